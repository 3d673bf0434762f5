//! Output processing: what a write to this side turns into for the other side.
//!
//! Owns OPOST handling (ONLCR, OCRNL, ONOCR, ONLRET, OLCUC, XTABS) and the output column
//! it keeps, and the write entry point that respects the room toward the other side.

use super::echo::{is_cntrl, is_continuation, to_upper};
use super::{LineDiscipline, WriteStatus};
use crate::kernel::tty::termios::oflag;

impl LineDiscipline {
    /// Queues one output-processed character (Linux `do_output_char`). Returns how many
    /// bytes it produced, or `None` if they do not fit in `space`.
    pub(super) fn output_char(&mut self, c: u8, space: usize) -> Option<usize> {
        if space == 0 {
            return None;
        }
        let t = self.termios;
        let mut c = c;
        match c {
            b'\n' => {
                if t.o(oflag::ONLRET) {
                    self.column = 0;
                }
                if t.o(oflag::ONLCR) {
                    if space < 2 {
                        return None;
                    }
                    self.column = 0;
                    self.canon_column = 0;
                    self.out.push_back(b'\r');
                    self.out.push_back(b'\n');
                    return Some(2);
                }
                self.canon_column = self.column;
            }
            b'\r' => {
                if t.o(oflag::ONOCR) && self.column == 0 {
                    return Some(0);
                }
                if t.o(oflag::OCRNL) {
                    c = b'\n';
                    if t.o(oflag::ONLRET) {
                        self.column = 0;
                        self.canon_column = 0;
                    }
                } else {
                    self.column = 0;
                    self.canon_column = 0;
                }
            }
            b'\t' => {
                let spaces = 8 - (self.column & 7) as usize;
                if t.c_oflag & oflag::TABDLY == oflag::XTABS {
                    if space < spaces {
                        return None;
                    }
                    self.column = self.column.wrapping_add(spaces as u32);
                    self.out.extend(std::iter::repeat(b' ').take(spaces));
                    return Some(spaces);
                }
                self.column = self.column.wrapping_add(spaces as u32);
            }
            b'\x08' => self.column = self.column.saturating_sub(1),
            _ => {
                if !is_cntrl(c) {
                    if t.o(oflag::OLCUC) {
                        c = to_upper(c);
                    }
                    if !is_continuation(c, self.utf8()) {
                        self.column = self.column.wrapping_add(1);
                    }
                }
            }
        }
        self.out.push_back(c);
        Some(1)
    }

    /// A write to this side (Linux `n_tty_write`): pending echoes go first, then as much
    /// of `data` as fits, output-processed if OPOST is on.
    pub fn write(&mut self, data: &[u8]) -> WriteStatus {
        self.process_echoes();
        if data.is_empty() {
            return WriteStatus::Done(0);
        }
        let mut space = self.output_room();
        let mut taken = 0;
        if self.termios.o(oflag::OPOST) {
            for &c in data {
                match self.output_char(c, space) {
                    Some(n) => {
                        space -= n;
                        taken += 1;
                    }
                    None => break,
                }
            }
        } else {
            taken = space.min(data.len());
            self.out.extend(&data[..taken]);
        }
        self.settle_output();
        if taken == 0 {
            WriteStatus::Wait
        } else {
            WriteStatus::Done(taken)
        }
    }
}
