//! The N_TTY line discipline of one terminal, as Linux's `n_tty` behaves.
//!
//! Owns the terminal's attributes, its input buffers (raw bytes not yet processed, and the
//! processed read buffer with its line boundaries), pending echoes, the output column,
//! flow control (`^S`/`^Q`), and the output queue toward the other side (for a pty, what
//! the master reads). It decides what a read returns and when a reader must wait, but it
//! never waits, never reads a clock, and knows nothing about processes: signals it raises
//! are collected for the caller to deliver ([`LineDiscipline::take_signals`]).
//!
//! Split by job: [`input`] (received bytes: ISIG, flow control, canonical editing),
//! [`echo`] (echo operations and how they print), [`output`] (OPOST processing of writes).

mod echo;
mod input;
mod output;

use std::collections::VecDeque;

use super::termios::{cc, iflag, lflag, KTermios};
use super::{Nanos, Signal, TtyError};
use echo::EchoOp;

/// Size of the processed input buffer (`N_TTY_BUF_SIZE`); one slot is kept free, so at
/// most 4095 bytes are readable, as on Linux.
pub const N_TTY_BUF_SIZE: usize = 4096;
/// Raw input accepted but not yet processed (Linux's flip buffers). A native pty master
/// accepts about 22 KiB before `EAGAIN` when nobody reads; 4095 + this is close.
pub const INPUT_FLIP_LIMIT: usize = 18 * 1024;
/// Output queued toward the other side beyond what its read buffer holds.
pub const OUTPUT_FLIP_LIMIT: usize = 18 * 1024;
/// At most this many queued output bytes count as "in the other side's read buffer";
/// a flush from this side only drops what lies beyond (Linux flushes the flip buffer
/// only, and the other side's ldisc has normally taken the first 4095 bytes already).
pub const OUTPUT_READ_BUF: usize = N_TTY_BUF_SIZE - 1;
/// A byte that ends a line in canonical mode without being returned: how VEOF is stored.
const EOF_MARK: u8 = 0;
/// Tenths of a second (VTIME's unit) in nanoseconds.
const DECISECOND: u64 = 100_000_000;

/// One processed input byte and whether it ends a canonical line.
#[derive(Debug, Clone, Copy)]
struct Slot {
    byte: u8,
    eol: bool,
}

/// What a read did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadStatus {
    /// Return this many bytes (0 means end of file, e.g. VEOF on an empty line or
    /// VMIN=0 with nothing to read).
    Done(usize),
    /// Park the reader; call `read` again (with the same [`ReadState`]) when woken.
    Wait(Wait),
}

/// What a parked task waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// New input (or any state change on the terminal).
    Input,
    /// New input, or the clock reaching this time, whichever comes first.
    InputOrDeadline(Nanos),
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteStatus {
    /// This many bytes (more than 0) were taken. A blocking writer that has more calls
    /// again with the rest (Linux returns only when everything is written).
    Done(usize),
    /// Nothing fits: park until the other side drains (or return `EAGAIN`).
    Wait,
}

/// The state of one `read` system call across wakeups: create it when the call starts
/// and pass the same value to every retry, so VTIME timers run as Linux runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadState {
    started: Nanos,
    timer_from: Nanos,
    seen: usize,
}

impl ReadState {
    /// A read that starts at `now`.
    pub fn new(now: Nanos) -> Self {
        ReadState {
            started: now,
            timer_from: now,
            seen: 0,
        }
    }
}

/// One terminal's N_TTY line discipline. See the module documentation.
#[derive(Debug, Clone)]
pub struct LineDiscipline {
    termios: KTermios,
    /// Processed input from `read_tail` to `read_head`.
    read_buf: VecDeque<Slot>,
    /// Absolute positions, as Linux keeps them (they only ever grow, wrapping).
    read_tail: usize,
    canon_head: usize,
    /// Raw input not yet processed (waits for room in `read_buf`).
    pending_in: VecDeque<u8>,
    /// The previous byte was VLNEXT.
    lnext: bool,
    /// How many bytes at the front of `pending_in` flow-control lookahead has seen, and
    /// whether the byte being processed is one of them.
    lookahead_count: usize,
    lookahead_done: bool,
    /// In an ECHOPRT `\...` erase sequence.
    erasing: bool,
    echo_ops: VecDeque<EchoOp>,
    /// Size of the queued echoes in Linux's echo-buffer bytes, and how many of those
    /// were already committed (printing them ran out of room).
    echo_bytes: usize,
    echo_committed: usize,
    /// Output column (shared by echo and output processing) and where the current
    /// canonical line started.
    column: u32,
    canon_column: u32,
    /// Output stopped by VSTOP (`stopped`) or by `TCXONC TCOOFF` (`tco_stopped`).
    stopped: bool,
    tco_stopped: bool,
    /// Bytes toward the other side: echoes and processed writes.
    out: VecDeque<u8>,
    /// How many bytes at the front of `out` the other side has taken into its read
    /// buffer. Bytes output during the current input batch are not there yet, so a
    /// signal character's flush in the same batch drops them, as on Linux.
    out_settled: usize,
    /// See [`LineDiscipline::racy_flushes`].
    racy_flushes: u64,
    /// Signals raised by input characters, in order.
    raised: Vec<Signal>,
    /// Packet-mode status bits (`TIOCPKT_*`) accumulated for the other side.
    pkt_status: u8,
}

impl Default for LineDiscipline {
    fn default() -> Self {
        Self::new(KTermios::pty_default())
    }
}

impl LineDiscipline {
    /// A line discipline with these attributes and empty buffers.
    pub fn new(termios: KTermios) -> Self {
        LineDiscipline {
            termios,
            read_buf: VecDeque::new(),
            read_tail: 0,
            canon_head: 0,
            pending_in: VecDeque::new(),
            lnext: false,
            lookahead_count: 0,
            lookahead_done: false,
            erasing: false,
            echo_ops: VecDeque::new(),
            echo_bytes: 0,
            echo_committed: 0,
            column: 0,
            canon_column: 0,
            stopped: false,
            tco_stopped: false,
            out: VecDeque::new(),
            out_settled: 0,
            racy_flushes: 0,
            raised: Vec::new(),
            pkt_status: 0,
        }
    }

    /// The current attributes.
    pub fn termios(&self) -> &KTermios {
        &self.termios
    }

    fn read_head(&self) -> usize {
        self.read_tail.wrapping_add(self.read_buf.len())
    }

    fn icanon(&self) -> bool {
        self.termios.l(lflag::ICANON)
    }

    /// Bytes of complete lines (canonical mode).
    fn canon_len(&self) -> usize {
        let n = self.canon_head.wrapping_sub(self.read_tail);
        if n <= self.read_buf.len() {
            n
        } else {
            0
        }
    }

    /// Changes the attributes, as `TCSETS` does once the ioctl layer has decided to.
    /// Switching ICANON re-frames buffered input the way Linux does: to canonical, all
    /// buffered bytes become one line; to raw, everything buffered becomes readable.
    pub fn set_termios(&mut self, new: KTermios) {
        let old = self.termios;
        self.termios = new;
        if (old.c_lflag ^ new.c_lflag) & (lflag::ICANON | lflag::EXTPROC) != 0 {
            for s in self.read_buf.iter_mut() {
                s.eol = false;
            }
            if !self.icanon() || self.read_buf.is_empty() {
                self.canon_head = self.read_tail;
            } else {
                if let Some(last) = self.read_buf.back_mut() {
                    last.eol = true;
                }
                self.canon_head = self.read_head();
            }
            self.erasing = false;
            self.lnext = false;
        }
        if !self.termios.i(iflag::IXON) && old.i(iflag::IXON) && !self.tco_stopped {
            self.start();
            self.process_echoes();
        }
        self.process_pending_input();
    }

    /// Takes raw input from the other side (a master write). Returns how many bytes were
    /// accepted; fewer than `data.len()` means the input buffers are full.
    pub fn receive(&mut self, data: &[u8]) -> usize {
        let mut taken = 0;
        loop {
            let room = INPUT_FLIP_LIMIT.saturating_sub(self.pending_in.len());
            let n = room.min(data.len() - taken);
            if n == 0 {
                return taken;
            }
            self.pending_in.extend(&data[taken..taken + n]);
            taken += n;
            self.process_pending_input();
        }
    }

    /// How many more raw input bytes [`receive`](Self::receive) would accept now.
    pub fn input_room(&self) -> usize {
        INPUT_FLIP_LIMIT.saturating_sub(self.pending_in.len())
    }

    /// Signals raised by input characters (VINTR, VQUIT, VSUSP) since the last call,
    /// for the foreground process group.
    pub fn take_signals(&mut self) -> Vec<Signal> {
        std::mem::take(&mut self.raised)
    }

    /// Packet-mode status bits accumulated since the last call (`TIOCPKT_*`).
    pub fn take_packet_status(&mut self) -> u8 {
        std::mem::take(&mut self.pkt_status)
    }

    /// Adds packet-mode status bits (`TIOCPKT_*`) for the other side.
    pub fn add_packet_status(&mut self, bits: u8) {
        self.pkt_status |= bits;
    }

    /// Packet-mode status bits waiting, without taking them.
    pub fn packet_status(&self) -> u8 {
        self.pkt_status
    }

    /// Whether a reader would be woken by `poll` for input: a complete line in canonical
    /// mode; otherwise VMIN bytes when VTIME is 0 and VMIN is not, else one byte.
    pub fn poll_readable(&self) -> bool {
        if self.icanon() {
            self.canon_len() > 0
        } else {
            let vmin = usize::from(self.termios.cc(cc::VMIN));
            let amt = if self.termios.cc(cc::VTIME) == 0 && vmin > 0 {
                vmin
            } else {
                1
            };
            self.read_buf.len() >= amt
        }
    }

    /// Whether a write would take at least one byte now.
    pub fn poll_writable(&self) -> bool {
        self.output_room() > 0
    }

    /// `FIONREAD`/`TIOCINQ`: bytes a reader could get now (canonical: complete lines,
    /// not counting VEOF marks).
    pub fn inq(&self) -> usize {
        if self.icanon() {
            let n = self.canon_len();
            let eofs = self
                .read_buf
                .iter()
                .take(n)
                .filter(|s| s.eol && s.byte == EOF_MARK)
                .count();
            n - eofs
        } else {
            self.read_buf.len()
        }
    }

    /// Reads processed input into `buf` (the slave side of a pty).
    ///
    /// Canonical mode returns at most one line. Otherwise VMIN/VTIME apply: VMIN=0,
    /// VTIME=0 returns at once; VMIN=0, VTIME>0 waits up to VTIME for a byte; VMIN>0,
    /// VTIME=0 waits for min(VMIN, len) bytes; VMIN>0, VTIME>0 waits for the first byte,
    /// then until min(VMIN, len) bytes or VTIME passes with no new byte. `nonblock`
    /// turns a wait into [`TtyError::WouldBlock`] (data already there is returned).
    pub fn read(
        &mut self,
        buf: &mut [u8],
        now: Nanos,
        state: &mut ReadState,
        nonblock: bool,
    ) -> Result<ReadStatus, TtyError> {
        self.process_pending_input();
        if buf.is_empty() {
            return Ok(ReadStatus::Done(0));
        }
        if self.icanon() {
            if self.canon_len() == 0 {
                return if nonblock {
                    Err(TtyError::WouldBlock)
                } else {
                    Ok(ReadStatus::Wait(Wait::Input))
                };
            }
            let n = self.canon_copy(buf);
            self.process_pending_input();
            return Ok(ReadStatus::Done(n));
        }
        let vmin = usize::from(self.termios.cc(cc::VMIN));
        let vtime = u64::from(self.termios.cc(cc::VTIME)) * DECISECOND;
        let avail = self.read_buf.len();
        if nonblock {
            // Linux returns what is there; with nothing, only VMIN=0 VTIME=0 returns 0.
            if avail == 0 && (vmin > 0 || vtime > 0) {
                return Err(TtyError::WouldBlock);
            }
        } else if let Some(wait) = raw_wait(vmin, vtime, avail, buf.len(), now, state) {
            return Ok(ReadStatus::Wait(wait));
        }
        let n = avail.min(buf.len());
        for (dst, slot) in buf.iter_mut().zip(self.read_buf.drain(..n)) {
            *dst = slot.byte;
        }
        self.read_tail = self.read_tail.wrapping_add(n);
        self.process_pending_input();
        Ok(ReadStatus::Done(n))
    }

    /// Copies (part of) the first complete line, as `canon_copy_from_read_buf` does,
    /// then skips a VEOF mark that follows when the buffer filled up exactly.
    fn canon_copy(&mut self, buf: &mut [u8]) -> usize {
        let avail = self.canon_len();
        let mut copied = 0;
        let mut consumed = 0;
        while consumed < avail && copied < buf.len() {
            let Some(slot) = self.read_buf.get(consumed).copied() else {
                break;
            };
            consumed += 1;
            if slot.eol {
                if slot.byte != EOF_MARK {
                    buf[copied] = slot.byte;
                    copied += 1;
                }
                self.consume(consumed);
                return copied;
            }
            buf[copied] = slot.byte;
            copied += 1;
        }
        self.consume(consumed);
        if let Some(s) = self.read_buf.front() {
            if self.canon_len() > 0 && s.eol && s.byte == EOF_MARK {
                self.consume(1);
            }
        }
        copied
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.read_buf.len());
        self.read_buf.drain(..n);
        self.read_tail = self.read_tail.wrapping_add(n);
    }

    /// Discards all input, processed and not (`TCIFLUSH`, or a signal character
    /// without NOFLSH).
    pub fn flush_input(&mut self) {
        self.reset_read_buf();
        self.pending_in.clear();
        self.lookahead_count = 0;
        self.pkt_status |= packet::FLUSHREAD;
    }

    /// Linux's `reset_buffer_flags`: empties the read buffer and restarts positions.
    fn reset_read_buf(&mut self) {
        self.read_buf.clear();
        self.read_tail = 0;
        self.canon_head = 0;
        self.erasing = false;
    }

    /// Discards raw input not yet processed (a `TCOFLUSH` from the other side).
    pub fn flush_pending_input(&mut self) {
        self.pending_in.clear();
        self.lookahead_count = 0;
    }

    /// `TCOFLUSH` on this side: drops queued output the other side's read buffer has
    /// not taken (everything past [`OUTPUT_READ_BUF`], and what the current input batch
    /// produced).
    ///
    /// Dropping what the current batch produced is one side of a race on Linux: the
    /// other side's buffer worker may run on another CPU first and keep those bytes.
    /// [`racy_flushes`](Self::racy_flushes) counts the flushes where that mattered.
    pub fn flush_output(&mut self) {
        if self.out.len() > self.out_settled && self.out_settled < OUTPUT_READ_BUF {
            self.racy_flushes += 1;
        }
        self.out.truncate(self.out_settled);
        self.pkt_status |= packet::FLUSHWRITE;
    }

    /// How many output flushes dropped bytes whose fate is a race on Linux (see
    /// [`flush_output`](Self::flush_output)); differential tests stop comparing there.
    pub fn racy_flushes(&self) -> u64 {
        self.racy_flushes
    }

    /// Stops output (`TCXONC TCOOFF`).
    pub fn tco_stop(&mut self) {
        self.tco_stopped = true;
        self.stop();
    }

    /// Restarts output (`TCXONC TCOON`).
    pub fn tco_start(&mut self) {
        self.tco_stopped = false;
        self.start();
    }

    /// Sends a control character straight to the other side (`TCXONC TCIOFF/TCION`).
    pub fn send_xchar(&mut self, c: u8) {
        if c != cc::VDISABLE && self.out.len() < OUTPUT_READ_BUF + OUTPUT_FLIP_LIMIT {
            self.out.push_back(c);
        }
        self.settle_output();
    }

    pub(crate) fn stop(&mut self) {
        if !self.stopped {
            self.stopped = true;
            self.pkt_status = (self.pkt_status & !packet::START) | packet::STOP;
        }
    }

    /// Restarts output (Linux `start_tty`). Held echoes are not printed here: callers
    /// that print them (VSTART, IXANY, clearing IXON) do so, as in Linux.
    pub(crate) fn start(&mut self) {
        if self.stopped && !self.tco_stopped {
            self.stopped = false;
            self.pkt_status = (self.pkt_status & !packet::STOP) | packet::START;
        }
    }

    /// Whether output is stopped (VSTOP or TCOOFF).
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Takes up to `buf.len()` (at most [`OUTPUT_READ_BUF`]) queued output bytes: what the
    /// master of a pty reads.
    pub fn take_output(&mut self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.out.len()).min(OUTPUT_READ_BUF);
        for (dst, b) in buf.iter_mut().zip(self.out.drain(..n)) {
            *dst = b;
        }
        self.process_echoes();
        self.settle_output();
        n
    }

    /// The other side's buffer work has run: it holds what fits of the queued output.
    pub(super) fn settle_output(&mut self) {
        self.out_settled = self.out.len().min(OUTPUT_READ_BUF);
    }

    /// Queued output bytes the other side can read now (`FIONREAD` on a pty master).
    pub fn output_readable(&self) -> usize {
        self.out.len().min(OUTPUT_READ_BUF)
    }

    /// Discards all queued output (`TCIFLUSH` on the other side).
    pub fn clear_output(&mut self) {
        self.out.clear();
        self.out_settled = 0;
    }

    /// Whether processed or raw input is waiting (for hangup decisions and tests).
    pub fn input_len(&self) -> usize {
        self.read_buf.len() + self.pending_in.len()
    }
}

/// Whether a blocking non-canonical read with `avail` bytes buffered must wait, and for
/// what (Linux `n_tty_read` with VMIN/VTIME; `vtime` in nanoseconds).
fn raw_wait(
    vmin: usize,
    vtime: u64,
    avail: usize,
    len: usize,
    now: Nanos,
    state: &mut ReadState,
) -> Option<Wait> {
    if vmin == 0 {
        // A timeout for the first byte, counted from the start of the read.
        if avail > 0 || vtime == 0 {
            return None;
        }
        let deadline = state.started.plus_nanos(vtime);
        return (now < deadline).then_some(Wait::InputOrDeadline(deadline));
    }
    if avail >= vmin.min(len) {
        return None;
    }
    if avail == 0 || vtime == 0 {
        return Some(Wait::Input);
    }
    // An inter-byte timer, restarted whenever more input has arrived.
    if avail != state.seen {
        state.seen = avail;
        state.timer_from = now;
    }
    let deadline = state.timer_from.plus_nanos(vtime);
    (now < deadline).then_some(Wait::InputOrDeadline(deadline))
}

/// Packet-mode status bits (`TIOCPKT_*`).
pub mod packet {
    pub const DATA: u8 = 0;
    pub const FLUSHREAD: u8 = 1;
    pub const FLUSHWRITE: u8 = 2;
    pub const STOP: u8 = 4;
    pub const START: u8 = 8;
    pub const NOSTOP: u8 = 16;
    pub const DOSTOP: u8 = 32;
    pub const IOCTL: u8 = 64;
}

#[cfg(test)]
mod tests;
