//! Echo: the operations input processing queues and how they print.
//!
//! Owns the echo queue's operations (a byte, a `^X` control pair, tab erase, column
//! bookkeeping) and turns them into output bytes with the same column arithmetic Linux
//! uses, so backspacing over tabs and control characters erases the right width. Echoes
//! wait in the queue while the output side has no room.

use super::{LineDiscipline, OUTPUT_FLIP_LIMIT, OUTPUT_READ_BUF};
use crate::kernel::tty::termios::{iflag, lflag, oflag};

/// One pending echo operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EchoOp {
    /// A byte, output-processed (OPOST) like a write.
    Byte(u8),
    /// A literal 0xff byte (no output processing, column + 1).
    Byte255,
    /// A control character shown as `^X`.
    Ctrl(u8),
    /// Back up over a tab: `num_chars` columns (mod 8) were used since the line start
    /// (or since the previous tab, if `after_tab`).
    EraseTab { num_chars: u8, after_tab: bool },
    /// Remember the column where the canonical line starts.
    SetCanonCol,
    /// One column back (after a multi-byte character printed by ECHOPRT).
    MoveBackCol,
}

/// Linux prints echoes in the middle of an input batch once this many bytes of them
/// are waiting (`ECHO_COMMIT_WATERMARK`), and again at each further block of this size.
const ECHO_COMMIT_WATERMARK: usize = 256;
const ECHO_BLOCK: usize = 256;

impl EchoOp {
    /// Bytes the operation takes in Linux's echo buffer (the watermark counts these).
    fn size(self) -> usize {
        match self {
            EchoOp::Byte(_) => 1,
            EchoOp::Byte255 | EchoOp::Ctrl(_) | EchoOp::SetCanonCol | EchoOp::MoveBackCol => 2,
            EchoOp::EraseTab { .. } => 3,
        }
    }
}

/// Linux's `iscntrl`: C0 controls and DEL (bytes 0x80–0x9f are not controls).
pub(super) fn is_cntrl(c: u8) -> bool {
    c < 0x20 || c == 0x7f
}

/// Linux's `isalnum` (its ctype table is Latin-1: 0xc0–0xff are letters, except the
/// multiplication and division signs).
pub(super) fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric() || (c >= 0xc0 && c != 0xd7 && c != 0xf7)
}

/// Linux's `tolower` (Latin-1 capitals included).
pub(super) fn to_lower(c: u8) -> u8 {
    if c.is_ascii_uppercase() || ((0xc0..=0xde).contains(&c) && c != 0xd7) {
        c + 0x20
    } else {
        c
    }
}

/// Linux's `toupper`: anything its table calls lower case moves down by 0x20, which
/// includes 0xdf and 0xff.
pub(super) fn to_upper(c: u8) -> u8 {
    if c.is_ascii_lowercase() || (c >= 0xdf && c != 0xf7) {
        c - 0x20
    } else {
        c
    }
}

/// A UTF-8 continuation byte, when IUTF8 is on.
pub(super) fn is_continuation(c: u8, utf8: bool) -> bool {
    utf8 && (c & 0xc0) == 0x80
}

impl LineDiscipline {
    /// Queues one echo operation.
    pub(super) fn echo_op(&mut self, op: EchoOp) {
        self.echo_bytes += op.size();
        self.echo_ops.push_back(op);
    }

    /// Drops every queued echo (a signal character's flush).
    pub(super) fn clear_echoes(&mut self) {
        self.echo_ops.clear();
        self.echo_bytes = 0;
        self.echo_committed = 0;
    }

    /// Queues `c` as Linux's `echo_char`: control characters become `^X` under ECHOCTL
    /// (tab excepted).
    pub(super) fn echo_char(&mut self, c: u8) {
        if c == 0xff {
            self.echo_op(EchoOp::Byte255);
        } else if self.termios.l(lflag::ECHOCTL) && is_cntrl(c) && c != b'\t' {
            self.echo_op(EchoOp::Ctrl(c));
        } else {
            self.echo_op(EchoOp::Byte(c));
        }
    }

    /// Queues `c` as is (Linux's `echo_char_raw`).
    pub(super) fn echo_raw(&mut self, c: u8) {
        if c == 0xff {
            self.echo_op(EchoOp::Byte255);
        } else {
            self.echo_op(EchoOp::Byte(c));
        }
    }

    /// Linux's `commit_echoes`, called after each input byte: prints the queued echoes
    /// early once a block of them has piled up; otherwise they wait for the end of the
    /// batch.
    pub(super) fn commit_echoes(&mut self) {
        let nr = self.echo_bytes;
        let old = self.echo_committed;
        if nr < ECHO_COMMIT_WATERMARK || nr % ECHO_BLOCK > old % ECHO_BLOCK {
            return;
        }
        self.process_echoes();
    }

    /// Room toward the other side; none while output is stopped.
    pub(super) fn output_room(&self) -> usize {
        if self.stopped {
            0
        } else {
            (OUTPUT_READ_BUF + OUTPUT_FLIP_LIMIT).saturating_sub(self.out.len())
        }
    }

    /// Prints queued echoes while there is room (Linux `__process_echoes`).
    pub(super) fn process_echoes(&mut self) {
        let mut space = self.output_room();
        while let Some(&op) = self.echo_ops.front() {
            match op {
                EchoOp::Byte(c) => {
                    if self.termios.o(oflag::OPOST) {
                        match self.output_char(c, space) {
                            Some(n) => space -= n,
                            None => break,
                        }
                    } else {
                        if space == 0 {
                            break;
                        }
                        self.out.push_back(c);
                        space -= 1;
                    }
                }
                EchoOp::Byte255 => {
                    if space == 0 {
                        break;
                    }
                    self.out.push_back(0xff);
                    self.column = self.column.wrapping_add(1);
                    space -= 1;
                }
                EchoOp::Ctrl(c) => {
                    if space < 2 {
                        break;
                    }
                    self.out.push_back(b'^');
                    self.out.push_back(c ^ 0o100);
                    self.column = self.column.wrapping_add(2);
                    space -= 2;
                }
                EchoOp::EraseTab {
                    num_chars,
                    after_tab,
                } => {
                    let mut n = u32::from(num_chars);
                    if !after_tab {
                        n = n.wrapping_add(self.canon_column);
                    }
                    let num_bs = 8 - (n & 7) as usize;
                    if num_bs > space {
                        break;
                    }
                    space -= num_bs;
                    for _ in 0..num_bs {
                        self.out.push_back(b'\x08');
                        self.column = self.column.saturating_sub(1);
                    }
                }
                EchoOp::SetCanonCol => self.canon_column = self.column,
                EchoOp::MoveBackCol => self.column = self.column.saturating_sub(1),
            }
            self.echo_ops.pop_front();
            self.echo_bytes -= op.size();
        }
        // Whatever is left was committed and waits for room.
        self.echo_committed = self.echo_bytes;
    }

    /// Whether UTF-8 continuation bytes are column-free (IUTF8).
    pub(super) fn utf8(&self) -> bool {
        self.termios.i(iflag::IUTF8)
    }
}
