//! A minimal cooked-mode line discipline for the browser console: echo, erase, kill,
//! end-of-file and CR to NL on input; NL to CR NL on output.
//!
//! The kernel's console is still a placeholder that relies on the host's cooked mode
//! (see `docs/kernel.md`); a browser has no host terminal, so the page needs this. It is
//! replaced by the kernel's `tty` work (ptys with a real line discipline) when that lands.
//! Owns only byte transformations: it never touches the kernel or JavaScript.

use std::collections::VecDeque;

/// What a guest read gets next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ready {
    /// A completed line (including its `\n`), or the partial line `^D` pushed.
    Bytes(Vec<u8>),
    /// `^D` on an empty line.
    EndOfFile,
}

/// The state of the line being edited and the input ready for the guest.
#[derive(Debug, Default)]
pub struct LineDiscipline {
    line: Vec<u8>,
    ready: VecDeque<Ready>,
    /// Whether typed characters are echoed back.
    echo: bool,
}

const ERASE: [u8; 2] = [0x7f, 0x08];
const KILL: u8 = 0x15; // ^U
const EOF: u8 = 0x04; // ^D
const INTR: u8 = 0x03; // ^C

impl LineDiscipline {
    pub fn new() -> LineDiscipline {
        LineDiscipline {
            echo: true,
            ..LineDiscipline::default()
        }
    }

    /// Feeds typed bytes; returns what to echo to the terminal.
    pub fn input(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut echo = Vec::new();
        for &b in bytes {
            match b {
                b'\r' | b'\n' => {
                    self.line.push(b'\n');
                    self.ready
                        .push_back(Ready::Bytes(std::mem::take(&mut self.line)));
                    echo.extend_from_slice(b"\r\n");
                }
                b if ERASE.contains(&b) => {
                    // Erase one character: drop UTF-8 continuation bytes with their lead.
                    while let Some(last) = self.line.pop() {
                        if last & 0xc0 != 0x80 {
                            break;
                        }
                    }
                    if self.echo {
                        echo.extend_from_slice(b"\x08 \x08");
                    }
                }
                KILL => {
                    let chars = self.line.iter().filter(|&&c| c & 0xc0 != 0x80).count();
                    self.line.clear();
                    for _ in 0..chars {
                        echo.extend_from_slice(b"\x08 \x08");
                    }
                }
                EOF => {
                    if self.line.is_empty() {
                        self.ready.push_back(Ready::EndOfFile);
                    } else {
                        self.ready
                            .push_back(Ready::Bytes(std::mem::take(&mut self.line)));
                    }
                }
                INTR => {
                    // No signal can be sent from the frontend yet: drop the line.
                    self.line.clear();
                    echo.extend_from_slice(b"^C\r\n");
                    self.ready.push_back(Ready::Bytes(b"\n".to_vec()));
                }
                _ => {
                    self.line.push(b);
                    if self.echo {
                        echo.push(b);
                    }
                }
            }
        }
        echo
    }

    /// Whether a guest read would return something now.
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Takes up to `buf.len()` bytes of the next ready line (the rest stays queued).
    pub fn read(&mut self, buf: &mut [u8]) -> Option<Ready> {
        match self.ready.pop_front()? {
            Ready::EndOfFile => Some(Ready::EndOfFile),
            Ready::Bytes(mut bytes) => {
                if bytes.len() > buf.len() {
                    let rest = bytes.split_off(buf.len());
                    self.ready.push_front(Ready::Bytes(rest));
                }
                buf[..bytes.len()].copy_from_slice(&bytes);
                Some(Ready::Bytes(bytes))
            }
        }
    }
}

/// Output post-processing (`ONLCR`): every `\n` becomes `\r\n`.
pub fn onlcr(data: &[u8], out: &mut Vec<u8>) {
    for &b in data {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(ld: &mut LineDiscipline) -> Vec<Ready> {
        let mut out = Vec::new();
        let mut buf = [0u8; 64];
        while let Some(r) = ld.read(&mut buf) {
            out.push(r);
        }
        out
    }

    #[test]
    fn lines_are_released_on_enter_with_echo() {
        let mut ld = LineDiscipline::new();
        assert_eq!(ld.input(b"ec"), b"ec");
        assert!(!ld.has_ready());
        assert_eq!(ld.input(b"ho\r"), b"ho\r\n");
        assert_eq!(read_all(&mut ld), vec![Ready::Bytes(b"echo\n".to_vec())]);
    }

    #[test]
    fn erase_kill_and_utf8() {
        let mut ld = LineDiscipline::new();
        ld.input("ab\u{e9}".as_bytes());
        ld.input(&[0x7f]);
        ld.input(b"c\r");
        ld.input(b"junk\x15ok\r");
        assert_eq!(
            read_all(&mut ld),
            vec![
                Ready::Bytes(b"abc\n".to_vec()),
                Ready::Bytes(b"ok\n".to_vec())
            ]
        );
    }

    #[test]
    fn eof_and_partial_reads() {
        let mut ld = LineDiscipline::new();
        ld.input(b"partial\x04\x04");
        let mut small = [0u8; 4];
        assert_eq!(ld.read(&mut small), Some(Ready::Bytes(b"part".to_vec())));
        assert_eq!(ld.read(&mut small), Some(Ready::Bytes(b"ial".to_vec())));
        assert_eq!(ld.read(&mut small), Some(Ready::EndOfFile));
    }

    #[test]
    fn onlcr_adds_carriage_returns() {
        let mut out = Vec::new();
        onlcr(b"a\nb\n", &mut out);
        assert_eq!(out, b"a\r\nb\r\n");
    }
}
