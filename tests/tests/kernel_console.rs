//! The console as a terminal: with a console that says it is a terminal, the kernel
//! puts the tty work's line discipline between the guest and the frontend. Keystrokes
//! are echoed and turned into lines, Ctrl-C interrupts the foreground job, Ctrl-Z stops
//! it and `fg` continues it, and output
//! gets `\r\n`, as on a Linux console.

use emulator::block::overlay::{MemoryLogStore, OverlayDevice};
use emulator::kernel::platform::{Clock, Console, ConsoleRead, Platform, SeededEntropy, Stream};
use emulator::kernel::{Exit, Kernel, Options};
use frontend_native::storage::BaseImage;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Instant;
use webvm_tests::profile_dir;

struct TestClock(Instant);

impl Clock for TestClock {
    fn realtime_ns(&self) -> u64 {
        1_700_000_000_000_000_000
    }
    fn monotonic_ns(&self) -> u64 {
        self.0.elapsed().as_nanos() as u64
    }
}

/// A terminal that types its chunks one at a time, each once the guest waits for input
/// and nothing else, and records the screen.
struct Typist {
    chunks: Rc<RefCell<VecDeque<Vec<u8>>>>,
    ready: Rc<RefCell<bool>>,
    screen: Rc<RefCell<Vec<u8>>>,
}

impl Console for Typist {
    fn read(&mut self, buf: &mut [u8]) -> ConsoleRead {
        if !*self.ready.borrow() {
            return ConsoleRead::Empty;
        }
        match self.chunks.borrow_mut().pop_front() {
            Some(c) => {
                *self.ready.borrow_mut() = false;
                buf[..c.len()].copy_from_slice(&c);
                ConsoleRead::Data(c.len())
            }
            None => ConsoleRead::Empty,
        }
    }
    fn input_ready(&mut self) -> bool {
        false
    }
    fn write(&mut self, _stream: Stream, data: &[u8]) {
        self.screen.borrow_mut().extend_from_slice(data);
    }
    fn is_terminal(&self, _fd: u32) -> bool {
        true
    }
    fn window_size(&self) -> Option<(u16, u16)> {
        Some((24, 80))
    }
}

#[test]
fn console_terminal_echoes_edits_and_interrupts() {
    let base = BaseImage::open(&profile_dir("tiny")).unwrap();
    let dev = OverlayDevice::open(base.device, MemoryLogStore::new(), &base.id).unwrap();
    let chunks: VecDeque<Vec<u8>> = [
        &b"echo hx\x7fi\r"[..], // backspace edits the line
        b"stty size\r",
        b"cat\r",
        b"\x03", // Ctrl-C ends cat
        b"echo status $?\r",
        b"cat\r",
        b"\x1a", // Ctrl-Z stops it
        b"echo stopped $?\r",
        b"fg\r",
        b"\x03",
        b"exit 3\r",
    ]
    .iter()
    .map(|c| c.to_vec())
    .collect();
    let chunks = Rc::new(RefCell::new(chunks));
    let ready = Rc::new(RefCell::new(false));
    let screen = Rc::new(RefCell::new(Vec::new()));
    let platform = Platform {
        clock: Box::new(TestClock(Instant::now())),
        console: Box::new(Typist {
            chunks: chunks.clone(),
            ready: ready.clone(),
            screen: screen.clone(),
        }),
        entropy: Box::new(SeededEntropy(5)),
    };
    let mut k = Kernel::new(dev, platform, Options::default()).unwrap();
    k.spawn_init(vec![b"/bin/sh".to_vec()], vec![b"PS1=$ ".to_vec()])
        .unwrap();
    let started = Instant::now();
    let status = loop {
        assert!(
            started.elapsed().as_secs() < 60,
            "timed out; screen: {:?}",
            String::from_utf8_lossy(&screen.borrow())
        );
        match k.run(1_000_000) {
            Exit::Exited(s) => break s,
            // Type only when the guest waits for input alone (not, say, for ash's
            // cursor-position reply with a timeout).
            Exit::Idle { until: None } => *ready.borrow_mut() = true,
            Exit::Idle { until: Some(_) } => {
                std::thread::sleep(std::time::Duration::from_millis(1))
            }
            Exit::BudgetUsed => {}
        }
    };
    let screen = String::from_utf8_lossy(&screen.borrow()).into_owned();
    assert_eq!(Exit::shell_status(status), 3, "screen: {screen:?}");
    assert!(
        screen.contains("\r\nhi\r\n"),
        "echo after editing: {screen:?}"
    );
    assert!(screen.contains("24 80\r\n"), "window size: {screen:?}");
    assert!(screen.contains("status 130\r\n"), "Ctrl-C: {screen:?}");
    assert!(
        screen.contains("stopped 148\r\n"),
        "Ctrl-Z (128 + SIGTSTP): {screen:?}"
    );
    assert!(chunks.borrow().is_empty());
}
