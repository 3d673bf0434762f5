//! The guest console in the browser: keystrokes from xterm.js go through the
//! [`LineDiscipline`] to the guest; guest output is collected until the worker drains it
//! and posts it to the page. Also holds the terminal size the page last reported.
//!
//! Implements `kernel::platform::Console` over state shared with the worker glue
//! ([`ConsoleHandle`]); knows nothing of JavaScript, so it is tested natively.

use crate::line_discipline::{onlcr, LineDiscipline, Ready};
use emulator::kernel::platform::{Console, ConsoleRead, Stream};
use std::cell::RefCell;
use std::rc::Rc;

/// Whether the guest is told its standard streams are a terminal. Off for now: the
/// kernel's `TCGETS` writes 60 bytes (glibc's user `termios`) where Linux i386 writes the
/// 36-byte kernel `termios`, which smashes the stack of every program calling
/// `tcgetattr` (busybox `ls`, `sh`). With it off, `TIOCGWINSZ` gives `ENOTTY`; shells
/// are started with `-i`. Turn on once the kernel writes 36 bytes.
pub const REPORT_TERMINAL: bool = false;

#[derive(Debug)]
struct State {
    ldisc: LineDiscipline,
    output: Vec<u8>,
    size: (u16, u16),
}

/// The frontend's side of the console: push input, drain output, set the size.
#[derive(Clone, Debug)]
pub struct ConsoleHandle(Rc<RefCell<State>>);

/// The kernel's side of the console.
pub struct WebConsole(ConsoleHandle);

impl ConsoleHandle {
    pub fn new() -> ConsoleHandle {
        ConsoleHandle(Rc::new(RefCell::new(State {
            ldisc: LineDiscipline::new(),
            output: Vec::new(),
            size: (24, 80),
        })))
    }

    /// The `Console` to give the kernel.
    pub fn console(&self) -> WebConsole {
        WebConsole(self.clone())
    }

    /// Keystrokes typed in the terminal; the echo goes straight to the output.
    pub fn push_input(&self, bytes: &[u8]) {
        let mut s = self.0.borrow_mut();
        let echo = s.ldisc.input(bytes);
        s.output.extend_from_slice(&echo);
    }

    /// Input that is not echoed (commands sent by the JS API, file uploads).
    pub fn push_silent(&self, bytes: &[u8]) {
        self.0.borrow_mut().ldisc.input(bytes);
    }

    /// Takes everything written since the last call.
    pub fn take_output(&self) -> Vec<u8> {
        std::mem::take(&mut self.0.borrow_mut().output)
    }

    /// The terminal's size in rows and columns (what `TIOCGWINSZ` reports).
    pub fn set_size(&self, rows: u16, cols: u16) {
        self.0.borrow_mut().size = (rows.max(1), cols.max(1));
    }

    /// Whether a guest read would return now.
    pub fn input_ready(&self) -> bool {
        self.0.borrow().ldisc.has_ready()
    }
}

impl Default for ConsoleHandle {
    fn default() -> Self {
        ConsoleHandle::new()
    }
}

impl Console for WebConsole {
    fn read(&mut self, buf: &mut [u8]) -> ConsoleRead {
        match self.0 .0.borrow_mut().ldisc.read(buf) {
            None => ConsoleRead::Empty,
            Some(Ready::EndOfFile) => ConsoleRead::EndOfFile,
            Some(Ready::Bytes(b)) => ConsoleRead::Data(b.len()),
        }
    }
    fn input_ready(&mut self) -> bool {
        self.0.input_ready()
    }
    fn write(&mut self, _stream: Stream, data: &[u8]) {
        onlcr(data, &mut self.0 .0.borrow_mut().output);
    }
    fn is_terminal(&self, fd: u32) -> bool {
        REPORT_TERMINAL && fd <= 2
    }
    fn window_size(&self) -> Option<(u16, u16)> {
        Some(self.0 .0.borrow().size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_echoes_and_reads_back() {
        let h = ConsoleHandle::new();
        let mut c = h.console();
        let mut buf = [0u8; 16];
        assert_eq!(c.read(&mut buf), ConsoleRead::Empty);
        h.push_input(b"ls\r");
        assert!(c.input_ready());
        assert_eq!(c.read(&mut buf), ConsoleRead::Data(3));
        assert_eq!(&buf[..3], b"ls\n");
        c.write(Stream::Stdout, b"a\n");
        assert_eq!(h.take_output(), b"ls\r\na\r\n");
        h.set_size(40, 120);
        assert_eq!(c.window_size(), Some((40, 120)));
    }
}
