//! Input processing: what happens to each byte the other side sends.
//!
//! Owns the per-byte path of `n_tty` receive: ISTRIP/IUCLC, VLNEXT, IXON flow control,
//! ISIG characters, CR/NL mapping, canonical editing (VERASE, VWERASE, VKILL, VREPRINT,
//! line ends) and the echo each of them asks for. It queues echo operations; printing
//! them is [`super::echo`]'s job.

use super::echo::{is_alnum, is_cntrl, is_continuation, to_lower, EchoOp};
use super::{packet, LineDiscipline, Slot, EOF_MARK, N_TTY_BUF_SIZE};
use crate::kernel::tty::termios::{cc, iflag, lflag};
use crate::kernel::tty::Signal;

#[derive(Clone, Copy, PartialEq, Eq)]
enum KillType {
    Erase,
    Werase,
    Kill,
}

impl LineDiscipline {
    /// Moves raw input into the read buffer while there is room, then prints echoes.
    pub(super) fn process_pending_input(&mut self) {
        while let Some(&c) = self.pending_in.front() {
            if !self.make_room() {
                break;
            }
            self.pending_in.pop_front();
            self.lookahead_done = self.lookahead_count > 0;
            self.lookahead_count = self.lookahead_count.saturating_sub(1);
            self.receive_byte(c);
            self.commit_echoes();
        }
        self.lookahead_done = false;
        self.lookahead_flow_control();
        self.process_echoes();
        self.settle_output();
    }

    /// With the read buffer full, VSTART/VSTOP in input not yet processed still act
    /// (Linux `n_tty_lookahead_flow_ctrl`); they are skipped when their turn comes.
    fn lookahead_flow_control(&mut self) {
        let t = self.termios;
        if !t.i(iflag::IXON) {
            self.lookahead_count = self.pending_in.len();
            return;
        }
        while self.lookahead_count < self.pending_in.len() {
            let mut c = self.pending_in[self.lookahead_count];
            self.lookahead_count += 1;
            if t.i(iflag::ISTRIP) {
                c &= 0x7f;
            }
            if t.i(iflag::IUCLC) && t.l(lflag::IEXTEN) {
                c = to_lower(c);
            }
            if c == cc::VDISABLE {
                continue;
            }
            if c == t.cc(cc::VSTART) {
                self.start();
                self.process_echoes();
            } else if c == t.cc(cc::VSTOP) {
                self.stop();
            }
        }
    }

    /// Linux's room rule: one slot stays free; in canonical mode with no complete line
    /// a full buffer keeps overwriting its last byte so a line end still gets in.
    fn make_room(&mut self) -> bool {
        let mut room = N_TTY_BUF_SIZE as isize - self.read_buf.len() as isize;
        if self.termios.i(iflag::PARMRK) {
            room = (room + 2) / 3;
        }
        room -= 1;
        if room > 0 {
            return true;
        }
        let overflow = self.icanon() && self.canon_head == self.read_tail;
        if overflow && room < 0 {
            self.read_buf.pop_back();
        }
        overflow
    }

    fn put(&mut self, byte: u8) {
        self.read_buf.push_back(Slot { byte, eol: false });
    }

    fn receive_byte(&mut self, c: u8) {
        let t = &self.termios;
        let mut c = c;
        if t.i(iflag::ISTRIP) {
            c &= 0x7f;
        }
        if t.i(iflag::IUCLC) && t.l(lflag::IEXTEN) {
            c = to_lower(c);
        }
        if self.lnext {
            self.lnext = false;
            self.receive_plain(c);
        } else if self.termios.l(lflag::EXTPROC) {
            self.put(c);
        } else if self.is_special(c) {
            self.receive_special(c);
        } else {
            self.receive_plain(c);
        }
    }

    /// Linux's `char_map`: the bytes that take the special path under these flags.
    fn is_special(&self, c: u8) -> bool {
        let t = &self.termios;
        if c == cc::VDISABLE {
            return false;
        }
        let is = |i: usize| t.cc(i) == c;
        (c == b'\r' && (t.i(iflag::IGNCR) || t.i(iflag::ICRNL)))
            || (c == b'\n' && t.i(iflag::INLCR))
            || (t.l(lflag::ICANON)
                && (is(cc::VERASE)
                    || is(cc::VKILL)
                    || is(cc::VEOF)
                    || c == b'\n'
                    || is(cc::VEOL)
                    || (t.l(lflag::IEXTEN)
                        && (is(cc::VWERASE)
                            || is(cc::VLNEXT)
                            || is(cc::VEOL2)
                            || (t.l(lflag::ECHO) && is(cc::VREPRINT))))))
            || (t.i(iflag::IXON) && (is(cc::VSTART) || is(cc::VSTOP)))
            || (t.l(lflag::ISIG) && (is(cc::VINTR) || is(cc::VQUIT) || is(cc::VSUSP)))
    }

    fn restart_on_any(&mut self) {
        let t = &self.termios;
        if self.stopped && !self.tco_stopped && t.i(iflag::IXON) && t.i(iflag::IXANY) {
            self.start();
            self.process_echoes();
        }
    }

    /// An ordinary byte (Linux `n_tty_receive_char`).
    fn receive_plain(&mut self, c: u8) {
        self.restart_on_any();
        if self.termios.l(lflag::ECHO) {
            self.finish_erasing();
            if self.canon_head == self.read_head() {
                self.echo_op(EchoOp::SetCanonCol);
            }
            self.echo_char(c);
        }
        if c == 0xff && self.termios.i(iflag::PARMRK) {
            self.put(c);
        }
        self.put(c);
    }

    /// A byte in the special map (Linux `n_tty_receive_char_special`).
    fn receive_special(&mut self, c: u8) {
        let t = self.termios;
        if t.i(iflag::IXON) && (c == t.cc(cc::VSTART) || c == t.cc(cc::VSTOP)) {
            if self.lookahead_done {
                // Already acted on by lookahead.
            } else if c == t.cc(cc::VSTART) {
                self.start();
                self.process_echoes();
            } else {
                self.stop();
            }
            return;
        }
        if t.l(lflag::ISIG) {
            let sig = if c == t.cc(cc::VINTR) {
                Some(Signal::Int)
            } else if c == t.cc(cc::VQUIT) {
                Some(Signal::Quit)
            } else if c == t.cc(cc::VSUSP) {
                Some(Signal::Tstp)
            } else {
                None
            };
            if let Some(sig) = sig {
                self.receive_signal_char(sig, c);
                return;
            }
        }
        self.restart_on_any();
        let mut c = c;
        if c == b'\r' {
            if t.i(iflag::IGNCR) {
                return;
            }
            if t.i(iflag::ICRNL) {
                c = b'\n';
            }
        } else if c == b'\n' && t.i(iflag::INLCR) {
            c = b'\r';
        }
        let echo = t.l(lflag::ECHO);
        let iexten = t.l(lflag::IEXTEN);
        if t.l(lflag::ICANON) {
            if c == t.cc(cc::VERASE) || c == t.cc(cc::VKILL) || (c == t.cc(cc::VWERASE) && iexten) {
                self.eraser(c);
                return;
            }
            if c == t.cc(cc::VLNEXT) && iexten {
                self.lnext = true;
                if echo {
                    self.finish_erasing();
                    if t.l(lflag::ECHOCTL) {
                        self.echo_raw(b'^');
                        self.echo_raw(b'\x08');
                    }
                }
                return;
            }
            if c == t.cc(cc::VREPRINT) && echo && iexten {
                self.finish_erasing();
                self.echo_char(c);
                self.echo_raw(b'\n');
                let start = self.canon_len();
                let line: Vec<u8> = self.read_buf.iter().skip(start).map(|s| s.byte).collect();
                for b in line {
                    self.echo_char(b);
                }
                return;
            }
            if c == b'\n' {
                if echo || t.l(lflag::ECHONL) {
                    self.echo_raw(b'\n');
                }
                self.end_line(c);
                return;
            }
            if c == t.cc(cc::VEOF) {
                self.end_line(EOF_MARK);
                return;
            }
            if c == t.cc(cc::VEOL) || (c == t.cc(cc::VEOL2) && iexten) {
                if echo {
                    if self.canon_head == self.read_head() {
                        self.echo_op(EchoOp::SetCanonCol);
                    }
                    self.echo_char(c);
                }
                if c == 0xff && t.i(iflag::PARMRK) {
                    self.put(c);
                }
                self.end_line(c);
                return;
            }
        }
        if echo {
            self.finish_erasing();
            if c == b'\n' {
                self.echo_raw(b'\n');
            } else {
                if self.canon_head == self.read_head() {
                    self.echo_op(EchoOp::SetCanonCol);
                }
                self.echo_char(c);
            }
        }
        if c == 0xff && t.i(iflag::PARMRK) {
            self.put(c);
        }
        self.put(c);
    }

    fn end_line(&mut self, c: u8) {
        self.read_buf.push_back(Slot { byte: c, eol: true });
        self.canon_head = self.read_head();
    }

    /// VINTR/VQUIT/VSUSP: raise the signal, flush unless NOFLSH, restart output, echo.
    fn receive_signal_char(&mut self, sig: Signal, c: u8) {
        self.raised.push(sig);
        if !self.termios.l(lflag::NOFLSH) {
            self.clear_echoes();
            self.flush_output();
            self.reset_read_buf();
            self.pkt_status |= packet::FLUSHREAD;
        }
        if self.termios.i(iflag::IXON) {
            self.start();
        }
        if self.termios.l(lflag::ECHO) {
            self.echo_char(c);
        } else {
            self.process_echoes();
        }
    }

    fn finish_erasing(&mut self) {
        if self.erasing {
            self.echo_raw(b'/');
            self.erasing = false;
        }
    }

    /// VERASE, VWERASE and VKILL in canonical mode (Linux `eraser`).
    fn eraser(&mut self, c: u8) {
        let t = self.termios;
        if self.read_head() == self.canon_head {
            return;
        }
        let kill_type = if c == t.cc(cc::VERASE) {
            KillType::Erase
        } else if c == t.cc(cc::VWERASE) {
            KillType::Werase
        } else {
            if !t.l(lflag::ECHO) {
                self.truncate_to_canon();
                return;
            }
            if !t.l(lflag::ECHOK) || !t.l(lflag::ECHOKE) || !t.l(lflag::ECHOE) {
                self.truncate_to_canon();
                self.finish_erasing();
                self.echo_char(t.cc(cc::VKILL));
                if t.l(lflag::ECHOK) {
                    self.echo_raw(b'\n');
                }
                return;
            }
            KillType::Kill
        };
        let utf8 = t.i(iflag::IUTF8);
        let mut seen_alnums = 0;
        let line_start = self.canon_len();
        while self.read_buf.len() > line_start {
            // One possibly multi-byte character.
            let mut head = self.read_buf.len();
            let mut ch;
            loop {
                head -= 1;
                ch = self.read_buf[head].byte;
                if !(is_continuation(ch, utf8) && head != line_start) {
                    break;
                }
            }
            if is_continuation(ch, utf8) {
                break;
            }
            if kill_type == KillType::Werase {
                if is_alnum(ch) || ch == b'_' {
                    seen_alnums += 1;
                } else if seen_alnums > 0 {
                    break;
                }
            }
            let removed: Vec<u8> = self.read_buf.drain(head..).map(|s| s.byte).collect();
            if t.l(lflag::ECHO) {
                self.echo_erase(kill_type, ch, &removed, line_start);
            }
            if kill_type == KillType::Erase {
                break;
            }
        }
        if self.read_head() == self.canon_head && t.l(lflag::ECHO) {
            self.finish_erasing();
        }
    }

    fn truncate_to_canon(&mut self) {
        let keep = self.canon_len();
        self.read_buf.truncate(keep);
    }

    /// The echo for one erased character (`removed` holds its bytes, first is `ch`).
    fn echo_erase(&mut self, kill_type: KillType, ch: u8, removed: &[u8], line_start: usize) {
        let t = self.termios;
        let ctl = t.l(lflag::ECHOCTL);
        if t.l(lflag::ECHOPRT) {
            if !self.erasing {
                self.echo_raw(b'\\');
                self.erasing = true;
            }
            self.echo_char(ch);
            for &b in removed.iter().skip(1) {
                self.echo_raw(b);
                self.echo_op(EchoOp::MoveBackCol);
            }
        } else if kill_type == KillType::Erase && !t.l(lflag::ECHOE) {
            self.echo_char(t.cc(cc::VERASE));
        } else if ch == b'\t' {
            // Columns used since the line start or the previous tab.
            let utf8 = t.i(iflag::IUTF8);
            let mut num_chars: u32 = 0;
            let mut after_tab = false;
            for s in self.read_buf.iter().skip(line_start).rev() {
                let b = s.byte;
                if b == b'\t' {
                    after_tab = true;
                    break;
                } else if is_cntrl(b) {
                    if ctl {
                        num_chars += 2;
                    }
                } else if !is_continuation(b, utf8) {
                    num_chars += 1;
                }
            }
            self.echo_op(EchoOp::EraseTab {
                num_chars: (num_chars & 7) as u8,
                after_tab,
            });
        } else {
            if is_cntrl(ch) && ctl {
                self.echo_raw(b'\x08');
                self.echo_raw(b' ');
                self.echo_raw(b'\x08');
            }
            if !is_cntrl(ch) || ctl {
                self.echo_raw(b'\x08');
                self.echo_raw(b' ');
                self.echo_raw(b'\x08');
            }
        }
    }
}
