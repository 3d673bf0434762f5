//! A pseudo-terminal pair: the master and slave ends over one line discipline.
//!
//! Owns what Linux keeps in the two `tty_struct`s of a pty: open counts, the slave lock
//! (`unlockpt`), hangup, the window size, packet mode, and the controlling-terminal state
//! (session and foreground process group) with the job-control decisions that depend on
//! it. It knows processes only through the facts the kernel passes in ([`Caller`],
//! [`ProcessTable`]); everything it wants done to processes — signals, controlling-tty
//! changes, waking waiters — comes out as [`TtyEvent`]s that the kernel drains after each
//! call with [`PtyPair::take_events`].

use super::ldisc::{packet, LineDiscipline, ReadState, ReadStatus, WriteStatus};
use super::termios::{cflag, KTermios, Winsize};
use super::{Nanos, Pid, Signal, TtyError};

/// Which end of a pty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// `/dev/ptmx` side: the terminal emulator.
    Master,
    /// `/dev/pts/N` side: the programs' terminal.
    Slave,
}

/// What the kernel knows about the process making a call. `Default` is a process in
/// session 1, group 1, without this terminal as its controlling terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub pid: Pid,
    /// Process group id.
    pub pgrp: Pid,
    /// Session id.
    pub sid: Pid,
    /// The process leads its session.
    pub session_leader: bool,
    /// This pty's slave is the process's controlling terminal.
    pub ctty_is_this: bool,
    /// The process has some controlling terminal.
    pub has_ctty: bool,
    /// SIGTTIN is ignored or blocked by the calling thread.
    pub sigttin_ignored: bool,
    /// SIGTTOU is ignored or blocked by the calling thread.
    pub sigttou_ignored: bool,
    /// The caller's process group is orphaned.
    pub pgrp_orphaned: bool,
    /// The process has CAP_SYS_ADMIN.
    pub cap_sys_admin: bool,
    /// The open file was opened for reading (TIOCSCTTY needs it without CAP_SYS_ADMIN).
    pub file_readable: bool,
}

impl Default for Caller {
    fn default() -> Self {
        Caller {
            pid: 1,
            pgrp: 1,
            sid: 1,
            session_leader: false,
            ctty_is_this: false,
            has_ctty: false,
            sigttin_ignored: false,
            sigttou_ignored: false,
            pgrp_orphaned: false,
            cap_sys_admin: false,
            file_readable: true,
        }
    }
}

/// Process facts the tty asks the kernel for while deciding `TIOCSPGRP`.
pub trait ProcessTable {
    /// The session of process group `pgrp`, or `None` if no such group exists.
    fn session_of_pgrp(&self, pgrp: Pid) -> Option<Pid>;
}

/// Where a signal goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalTarget {
    /// Every process in this process group.
    Group(Pid),
    /// This process (the session leader, on hangup).
    Process(Pid),
}

/// Something the kernel must do after a tty call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtyEvent {
    /// Raise `signal` on `target`.
    Signal {
        target: SignalTarget,
        signal: Signal,
    },
    /// State changed on this end: re-check tasks waiting to read, write or poll it.
    Wake(End),
    /// The calling process acquired this terminal as its controlling terminal (open
    /// without `O_NOCTTY` by a session leader, or `TIOCSCTTY`).
    CttyAttached { sid: Pid },
    /// Every process of session `sid` no longer has this controlling terminal.
    CttyDetached { sid: Pid },
    /// Only the calling process gave up this controlling terminal (`TIOCNOTTY` by a
    /// process that does not lead its session).
    CallerCttyDetached,
}

/// `poll` bits (`POLLIN` and friends).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PollMask(pub u32);

impl PollMask {
    pub const IN: u32 = 0x001;
    pub const PRI: u32 = 0x002;
    pub const OUT: u32 = 0x004;
    pub const ERR: u32 = 0x008;
    pub const HUP: u32 = 0x010;
    pub const RDNORM: u32 = 0x040;
    pub const WRNORM: u32 = 0x100;

    /// Whether all bits of `bits` are set.
    pub fn has(self, bits: u32) -> bool {
        self.0 & bits == bits
    }
}

/// A pty pair. See the module documentation.
#[derive(Debug, Clone)]
pub struct PtyPair {
    pub(super) index: u32,
    pub(super) ld: LineDiscipline,
    pub(super) winsize: Winsize,
    pub(super) locked: bool,
    pub(super) master_open: bool,
    pub(super) slave_count: u32,
    pub(super) slave_ever_opened: bool,
    pub(super) hung_up: bool,
    pub(super) session: Option<Pid>,
    pub(super) pgrp: Option<Pid>,
    pub(super) packet: bool,
    pub(super) exclusive: bool,
    events: Vec<TtyEvent>,
    last_key: StateKey,
}

/// What waiters on either end can observe; a change wakes both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct StateKey {
    input: usize,
    readable: usize,
    output: usize,
    room: usize,
    input_room: usize,
    packet: u8,
    flags: u8,
}

impl PtyPair {
    /// A new pair, as `open("/dev/ptmx")` creates it: master open, slave locked and not
    /// yet open, default termios, window size 0x0.
    pub fn new(index: u32) -> Self {
        let mut p = PtyPair {
            index,
            ld: LineDiscipline::new(KTermios::pty_default()),
            winsize: Winsize::default(),
            locked: true,
            master_open: true,
            slave_count: 0,
            slave_ever_opened: false,
            hung_up: false,
            session: None,
            pgrp: None,
            packet: false,
            exclusive: false,
            events: Vec::new(),
            last_key: StateKey::default(),
        };
        p.last_key = p.key();
        p
    }

    /// The pty number (`/dev/pts/N`).
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The line discipline (for inspection).
    pub fn ldisc(&self) -> &LineDiscipline {
        &self.ld
    }

    /// The slave's session and foreground process group, if it is a controlling tty.
    pub fn session(&self) -> Option<Pid> {
        self.session
    }

    /// The foreground process group.
    pub fn foreground(&self) -> Option<Pid> {
        self.pgrp
    }

    /// The window size.
    pub fn winsize(&self) -> Winsize {
        self.winsize
    }

    /// Sets the window size (`TIOCSWINSZ`, or a frontend resizing its terminal): a
    /// change sends SIGWINCH to the foreground process group.
    pub fn resize(&mut self, ws: Winsize) {
        if ws == self.winsize {
            return;
        }
        self.winsize = ws;
        if let Some(pgrp) = self.pgrp {
            self.push(TtyEvent::Signal {
                target: SignalTarget::Group(pgrp),
                signal: Signal::Winch,
            });
        }
    }

    /// Whether the slave side has been hung up (the master closed).
    pub fn is_hung_up(&self) -> bool {
        self.hung_up
    }

    /// Events produced since the last call, in order.
    pub fn take_events(&mut self) -> Vec<TtyEvent> {
        std::mem::take(&mut self.events)
    }

    pub(super) fn push(&mut self, e: TtyEvent) {
        self.events.push(e);
    }

    fn key(&self) -> StateKey {
        StateKey {
            input: self.ld.input_len(),
            readable: self.ld.inq(),
            output: self.ld.output_readable(),
            room: usize::from(self.ld.poll_writable()),
            input_room: self.ld.input_room(),
            packet: self.ld.packet_status(),
            flags: u8::from(self.hung_up)
                | u8::from(self.master_open) << 1
                | u8::from(self.slave_count > 0) << 2
                | u8::from(self.ld.is_stopped()) << 3,
        }
    }

    /// Turns raised signals into events and wakes both ends if anything changed.
    pub(super) fn settle(&mut self) {
        for sig in self.ld.take_signals() {
            if let Some(pgrp) = self.pgrp {
                self.push(TtyEvent::Signal {
                    target: SignalTarget::Group(pgrp),
                    signal: sig,
                });
            }
        }
        let key = self.key();
        if key != self.last_key {
            self.last_key = key;
            self.push(TtyEvent::Wake(End::Slave));
            self.push(TtyEvent::Wake(End::Master));
        }
    }

    /// Forces a wake of both ends (termios changes and the like).
    pub(super) fn wake_all(&mut self) {
        self.last_key = self.key();
        self.push(TtyEvent::Wake(End::Slave));
        self.push(TtyEvent::Wake(End::Master));
    }

    /// Applies new attributes as the pty driver does (CS8 and CREAD forced, no parity),
    /// reporting flow-control style changes in packet mode.
    pub(super) fn apply_termios(&mut self, mut t: KTermios) {
        t.c_cflag &= !(cflag::CSIZE | cflag::PARENB);
        t.c_cflag |= cflag::CS8 | cflag::CREAD;
        let old = *self.ld.termios();
        if self.packet {
            use super::termios::{cc, iflag};
            let dostop = |k: &KTermios| {
                k.i(iflag::IXON) && k.cc(cc::VSTART) == 0o21 && k.cc(cc::VSTOP) == 0o23
            };
            let (was, now) = (dostop(&old), dostop(&t));
            if was != now {
                self.ld
                    .add_packet_status(if now { packet::DOSTOP } else { packet::NOSTOP });
            }
        }
        self.ld.set_termios(t);
        self.wake_all();
        self.settle();
    }

    /// `__tty_check_change`: may this caller act on the terminal, or must `signal`
    /// (SIGTTIN or SIGTTOU) stop its process group first?
    pub(super) fn check_change(&mut self, caller: &Caller, signal: Signal) -> Result<(), TtyError> {
        if !caller.ctty_is_this {
            return Ok(());
        }
        let Some(fg) = self.pgrp else {
            return Ok(());
        };
        if caller.pgrp == fg {
            return Ok(());
        }
        let ignored = if signal == Signal::Ttin {
            caller.sigttin_ignored
        } else {
            caller.sigttou_ignored
        };
        if ignored {
            if signal == Signal::Ttin {
                Err(TtyError::Io)
            } else {
                Ok(())
            }
        } else if caller.pgrp_orphaned {
            Err(TtyError::Io)
        } else {
            self.push(TtyEvent::Signal {
                target: SignalTarget::Group(caller.pgrp),
                signal,
            });
            Err(TtyError::Restart)
        }
    }

    /// Opens the slave (`open("/dev/pts/N")`). A session leader without a controlling
    /// terminal acquires this one unless `noctty`.
    pub fn open_slave(&mut self, caller: &Caller, noctty: bool) -> Result<(), TtyError> {
        if !self.master_open || self.hung_up || self.locked {
            return Err(TtyError::Io);
        }
        if self.exclusive && !caller.cap_sys_admin {
            return Err(TtyError::Busy);
        }
        self.slave_count += 1;
        self.slave_ever_opened = true;
        if !noctty
            && caller.session_leader
            && !caller.has_ctty
            && self.session.is_none()
            && caller.file_readable
        {
            self.session = Some(caller.sid);
            self.pgrp = Some(caller.pgrp);
            self.push(TtyEvent::CttyAttached { sid: caller.sid });
        }
        self.settle();
        Ok(())
    }

    /// Another open file on the slave (`dup` does not count; a second `open` or
    /// `TIOCGPTPEER` does).
    pub fn reopen_slave(&mut self) -> Result<(), TtyError> {
        if !self.master_open || self.hung_up {
            return Err(TtyError::Io);
        }
        self.slave_count += 1;
        self.slave_ever_opened = true;
        self.settle();
        Ok(())
    }

    /// Closes one slave file. When the last one closes, master reads drain then fail
    /// with `EIO` and the master polls `POLLHUP`.
    pub fn close_slave(&mut self) {
        self.slave_count = self.slave_count.saturating_sub(1);
        self.settle();
    }

    /// Closes the master: the slave hangs up. Its readers get end of file, its writers
    /// `EIO`; the session leader gets SIGHUP and SIGCONT, and the session loses its
    /// controlling terminal.
    pub fn close_master(&mut self) {
        if !self.master_open {
            return;
        }
        self.master_open = false;
        self.hangup();
    }

    /// `vhangup` of the slave (also what closing the master does).
    pub fn hangup(&mut self) {
        if self.hung_up {
            return;
        }
        self.hung_up = true;
        if let Some(sid) = self.session {
            for signal in [Signal::Hup, Signal::Cont] {
                self.push(TtyEvent::Signal {
                    target: SignalTarget::Process(sid),
                    signal,
                });
            }
            self.push(TtyEvent::CttyDetached { sid });
        }
        self.session = None;
        self.pgrp = None;
        self.ld.flush_input();
        self.wake_all();
    }

    /// The session leader of `sid` exited (or gave up the terminal with `TIOCNOTTY`):
    /// the foreground group gets SIGHUP (and SIGCONT unless `on_exit`), and the terminal
    /// is no longer anyone's controlling terminal.
    pub fn disassociate(&mut self, sid: Pid, on_exit: bool) {
        if self.session != Some(sid) {
            return;
        }
        if let Some(pgrp) = self.pgrp {
            self.push(TtyEvent::Signal {
                target: SignalTarget::Group(pgrp),
                signal: Signal::Hup,
            });
            if !on_exit {
                self.push(TtyEvent::Signal {
                    target: SignalTarget::Group(pgrp),
                    signal: Signal::Cont,
                });
            }
        }
        self.session = None;
        self.pgrp = None;
        self.push(TtyEvent::CttyDetached { sid });
    }

    /// A read on the slave. See [`LineDiscipline::read`] for the wait rules; a background
    /// reader gets SIGTTIN ([`TtyError::Restart`]) or `EIO`, a hung-up slave reads 0.
    pub fn slave_read(
        &mut self,
        caller: &Caller,
        buf: &mut [u8],
        now: Nanos,
        state: &mut ReadState,
        nonblock: bool,
    ) -> Result<ReadStatus, TtyError> {
        if self.hung_up {
            return Ok(ReadStatus::Done(0));
        }
        self.check_change(caller, Signal::Ttin)?;
        let r = self.ld.read(buf, now, state, nonblock);
        self.settle();
        r
    }

    /// A write on the slave: output processing, toward what the master reads. With
    /// TOSTOP a background writer gets SIGTTOU.
    pub fn slave_write(
        &mut self,
        caller: &Caller,
        data: &[u8],
        nonblock: bool,
    ) -> Result<WriteStatus, TtyError> {
        if self.hung_up || !self.master_open {
            return Err(TtyError::Io);
        }
        if self.ld.termios().l(super::termios::lflag::TOSTOP) {
            self.check_change(caller, Signal::Ttou)?;
        }
        let r = self.ld.write(data);
        self.settle();
        match r {
            WriteStatus::Wait if nonblock => Err(TtyError::WouldBlock),
            r => Ok(r),
        }
    }

    /// A read on the master: the slave's output and echoes (at most 4095 bytes at a
    /// time). In packet mode the first byte is a `TIOCPKT_*` status. When the slave has
    /// closed and nothing is left, `EIO`.
    pub fn master_read(&mut self, buf: &mut [u8], nonblock: bool) -> Result<ReadStatus, TtyError> {
        if buf.is_empty() {
            return Ok(ReadStatus::Done(0));
        }
        let r = if self.packet && self.ld.packet_status() != 0 {
            buf[0] = self.ld.take_packet_status();
            Ok(ReadStatus::Done(1))
        } else if self.ld.output_readable() > 0 {
            if self.packet {
                buf[0] = packet::DATA;
                let n = self.ld.take_output(&mut buf[1..]);
                Ok(ReadStatus::Done(n + 1))
            } else {
                Ok(ReadStatus::Done(self.ld.take_output(buf)))
            }
        } else if self.slave_ever_opened && self.slave_count == 0 {
            Err(TtyError::Io)
        } else if nonblock {
            Err(TtyError::WouldBlock)
        } else {
            Ok(ReadStatus::Wait(super::ldisc::Wait::Input))
        };
        self.settle();
        r
    }

    /// A write on the master: input for the slave, processed by the line discipline
    /// (echo, signals, line editing). Takes what fits.
    pub fn master_write(&mut self, data: &[u8], nonblock: bool) -> Result<WriteStatus, TtyError> {
        if data.is_empty() {
            return Ok(WriteStatus::Done(0));
        }
        let n = self.ld.receive(data);
        self.settle();
        if n > 0 {
            Ok(WriteStatus::Done(n))
        } else if nonblock {
            Err(TtyError::WouldBlock)
        } else {
            Ok(WriteStatus::Wait)
        }
    }

    /// A read on `end`, for kernels that dispatch by end. The caller matters only for
    /// the slave.
    pub fn read(
        &mut self,
        end: End,
        caller: &Caller,
        buf: &mut [u8],
        now: Nanos,
        state: &mut ReadState,
        nonblock: bool,
    ) -> Result<ReadStatus, TtyError> {
        match end {
            End::Master => self.master_read(buf, nonblock),
            End::Slave => self.slave_read(caller, buf, now, state, nonblock),
        }
    }

    /// A write on `end`.
    pub fn write(
        &mut self,
        end: End,
        caller: &Caller,
        data: &[u8],
        nonblock: bool,
    ) -> Result<WriteStatus, TtyError> {
        match end {
            End::Master => self.master_write(data, nonblock),
            End::Slave => self.slave_write(caller, data, nonblock),
        }
    }

    /// What `poll` reports for `end` now.
    pub fn poll(&self, end: End) -> PollMask {
        let mut m = 0;
        match end {
            End::Slave => {
                if self.hung_up {
                    return PollMask(
                        PollMask::IN
                            | PollMask::OUT
                            | PollMask::ERR
                            | PollMask::HUP
                            | PollMask::RDNORM
                            | PollMask::WRNORM,
                    );
                }
                if self.ld.poll_readable() {
                    m |= PollMask::IN | PollMask::RDNORM;
                }
                if !self.master_open {
                    m |= PollMask::HUP;
                }
                if self.ld.poll_writable() {
                    m |= PollMask::OUT | PollMask::WRNORM;
                }
            }
            End::Master => {
                if self.ld.output_readable() > 0 {
                    m |= PollMask::IN | PollMask::RDNORM;
                }
                if self.packet && self.ld.packet_status() != 0 {
                    m |= PollMask::PRI | PollMask::IN | PollMask::RDNORM;
                }
                if self.slave_ever_opened && self.slave_count == 0 {
                    m |= PollMask::HUP;
                }
                if self.ld.input_room() > 0 {
                    m |= PollMask::OUT | PollMask::WRNORM;
                }
            }
        }
        PollMask(m)
    }
}
