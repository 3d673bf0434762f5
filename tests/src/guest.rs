//! Running one guest command in process: a [`Kernel`] over a given block device with a
//! console that captures stdout and stderr and feeds a fixed stdin (then end of file),
//! driven until the command ends. Shared by the kernel tests.

use emulator::block::BlockDevice;
use emulator::kernel::platform::{Clock, Console, ConsoleRead, Platform, SeededEntropy, Stream};
use emulator::kernel::{Exit, Kernel, Options};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

/// What a guest command did.
#[derive(Debug, PartialEq, Eq)]
pub struct Output {
    /// Exit code, or 128 + signal.
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

struct TestClock(Instant);

impl Clock for TestClock {
    fn realtime_ns(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
    }
    fn monotonic_ns(&self) -> u64 {
        self.0.elapsed().as_nanos() as u64
    }
}

struct Capture {
    output: Rc<RefCell<(Vec<u8>, Vec<u8>)>>,
    stdin: Vec<u8>,
    stdin_read: usize,
}

impl Console for Capture {
    fn read(&mut self, buf: &mut [u8]) -> ConsoleRead {
        let rest = &self.stdin[self.stdin_read..];
        if rest.is_empty() {
            return ConsoleRead::EndOfFile;
        }
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.stdin_read += n;
        ConsoleRead::Data(n)
    }
    fn input_ready(&mut self) -> bool {
        true
    }
    fn write(&mut self, stream: Stream, data: &[u8]) {
        let mut c = self.output.borrow_mut();
        match stream {
            Stream::Stdout => c.0.extend_from_slice(data),
            Stream::Stderr => c.1.extend_from_slice(data),
        }
    }
    fn is_terminal(&self, _fd: u32) -> bool {
        false
    }
}

/// Boots `root` and runs `argv` with environment `env` and an empty stdin; flushes the
/// filesystem at the end. Panics if the command runs longer than 60 s.
pub fn run<D: BlockDevice + 'static>(root: D, argv: &[&str], env: &[(&str, &str)]) -> Output {
    run_with_stdin(root, argv, env, &[])
}

/// [`run`] with `stdin` as the command's standard input.
pub fn run_with_stdin<D: BlockDevice + 'static>(
    root: D,
    argv: &[&str],
    env: &[(&str, &str)],
    stdin: &[u8],
) -> Output {
    let captured = Rc::new(RefCell::new((Vec::new(), Vec::new())));
    let platform = Platform {
        clock: Box::new(TestClock(Instant::now())),
        console: Box::new(Capture {
            output: captured.clone(),
            stdin: stdin.to_vec(),
            stdin_read: 0,
        }),
        entropy: Box::new(SeededEntropy(0x9e37_79b9_7f4a_7c15)),
    };
    let mut kernel = Kernel::new(root, platform, Options::default()).expect("boot");
    let shown = format!("{argv:?}");
    let argv = argv.iter().map(|s| s.as_bytes().to_vec()).collect();
    let envp = env
        .iter()
        .map(|(k, v)| format!("{k}={v}").into_bytes())
        .collect();
    kernel.spawn_init(argv, envp).expect("start the command");
    let started = Instant::now();
    let status = loop {
        assert!(
            started.elapsed().as_secs() < 60,
            "the command {shown} did not finish within 60 s"
        );
        match kernel.run(10_000_000) {
            Exit::BudgetUsed => {}
            Exit::Exited(status) => break status,
            Exit::Idle { until: Some(_) } => {
                std::thread::sleep(std::time::Duration::from_millis(1))
            }
            Exit::Idle { until: None } => panic!("the command waits for input that never comes"),
        }
    };
    kernel.sync().expect("flush the filesystem");
    let c = captured.borrow();
    Output {
        status: Exit::shell_status(status),
        stdout: String::from_utf8_lossy(&c.0).into_owned(),
        stderr: String::from_utf8_lossy(&c.1).into_owned(),
    }
}
