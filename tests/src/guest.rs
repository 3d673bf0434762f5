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
/// filesystem at the end. Panics if the command runs longer than 120 s.
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
    let mut session = Session::start(root, argv, env, stdin);
    let status = session.wait();
    session.kernel.sync().expect("flush the filesystem");
    session.output(status)
}

/// A booted machine running one command, driven in slices by the test.
pub struct Session {
    pub kernel: Kernel,
    captured: Rc<RefCell<(Vec<u8>, Vec<u8>)>>,
    started: Instant,
    /// The command, for messages.
    shown: String,
}

impl Session {
    /// Boots `root` and starts `argv` (nothing runs until [`Session::step`]).
    pub fn start<D: BlockDevice + 'static>(
        root: D,
        argv: &[&str],
        env: &[(&str, &str)],
        stdin: &[u8],
    ) -> Session {
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
        Session {
            kernel,
            captured,
            started: Instant::now(),
            shown,
        }
    }

    /// Runs one slice; the command's raw wait status once it has ended. Panics after
    /// 120 s in all, or when the command waits for input that never comes.
    pub fn step(&mut self) -> Option<u32> {
        assert!(
            self.started.elapsed().as_secs() < 120,
            "the command {} did not finish within 120 s",
            self.shown
        );
        match self.kernel.run(10_000_000) {
            Exit::BudgetUsed => None,
            Exit::Exited(status) => Some(status),
            Exit::Idle { until: Some(_) } => {
                std::thread::sleep(std::time::Duration::from_millis(1));
                None
            }
            Exit::Idle { until: None } => panic!(
                "the command {} waits for input that never comes",
                self.shown
            ),
        }
    }

    /// Runs until the command ends; its raw wait status.
    pub fn wait(&mut self) -> u32 {
        loop {
            if let Some(status) = self.step() {
                return status;
            }
        }
    }

    /// What was printed so far (stdout, stderr).
    pub fn printed(&self) -> (String, String) {
        let c = self.captured.borrow();
        (
            String::from_utf8_lossy(&c.0).into_owned(),
            String::from_utf8_lossy(&c.1).into_owned(),
        )
    }

    /// The result, given the raw wait status from [`Session::wait`].
    pub fn output(&self, status: u32) -> Output {
        let (stdout, stderr) = self.printed();
        Output {
            status: Exit::shell_status(status),
            stdout,
            stderr,
        }
    }
}
