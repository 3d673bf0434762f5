//! The guest console in the browser: keystrokes from xterm.js are queued for the guest
//! as raw bytes, guest output is collected until the worker drains it and posts it to
//! the page, and the terminal size the page reported is kept for `TIOCGWINSZ`.
//!
//! It reports a terminal on descriptors 0–2, so the kernel runs the console on its own
//! pty and line discipline (echo, editing, Ctrl-C to the foreground job, `\r\n`): this
//! module passes bytes through untouched. Implements `kernel::platform::Console` over
//! state shared with the worker glue ([`ConsoleHandle`]); knows nothing of JavaScript.

use emulator::kernel::platform::{Console, ConsoleRead, Stream};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

#[derive(Debug)]
struct State {
    input: VecDeque<u8>,
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
            input: VecDeque::new(),
            output: Vec::new(),
            size: (24, 80),
        })))
    }

    /// The `Console` to give the kernel.
    pub fn console(&self) -> WebConsole {
        WebConsole(self.clone())
    }

    /// Bytes typed in the terminal.
    pub fn push_input(&self, bytes: &[u8]) {
        self.0.borrow_mut().input.extend(bytes);
    }

    /// Takes everything written since the last call.
    pub fn take_output(&self) -> Vec<u8> {
        std::mem::take(&mut self.0.borrow_mut().output)
    }

    /// The terminal's size in rows and columns.
    pub fn set_size(&self, rows: u16, cols: u16) {
        self.0.borrow_mut().size = (rows.max(1), cols.max(1));
    }
}

impl Default for ConsoleHandle {
    fn default() -> Self {
        ConsoleHandle::new()
    }
}

impl Console for WebConsole {
    fn read(&mut self, buf: &mut [u8]) -> ConsoleRead {
        let mut s = self.0 .0.borrow_mut();
        if s.input.is_empty() {
            return ConsoleRead::Empty;
        }
        let n = buf.len().min(s.input.len());
        for (slot, b) in buf.iter_mut().zip(s.input.drain(..n)) {
            *slot = b;
        }
        ConsoleRead::Data(n)
    }
    fn input_ready(&mut self) -> bool {
        !self.0 .0.borrow().input.is_empty()
    }
    fn write(&mut self, _stream: Stream, data: &[u8]) {
        self.0 .0.borrow_mut().output.extend_from_slice(data);
    }
    fn is_terminal(&self, fd: u32) -> bool {
        fd <= 2
    }
    fn window_size(&self) -> Option<(u16, u16)> {
        Some(self.0 .0.borrow().size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_pass_through_both_ways() {
        let h = ConsoleHandle::new();
        let mut c = h.console();
        let mut buf = [0u8; 2];
        assert_eq!(c.read(&mut buf), ConsoleRead::Empty);
        h.push_input(b"ls\r");
        assert!(c.input_ready());
        assert_eq!(c.read(&mut buf), ConsoleRead::Data(2));
        assert_eq!(&buf, b"ls");
        assert_eq!(c.read(&mut buf), ConsoleRead::Data(1));
        c.write(Stream::Stdout, b"a\r\n");
        assert_eq!(h.take_output(), b"a\r\n");
        h.set_size(40, 120);
        assert_eq!(c.window_size(), Some((40, 120)));
        assert!(c.is_terminal(0) && !c.is_terminal(3));
    }
}
