//! The machine console on a real terminal: a [`PtyPair`] (the `tty` work's line
//! discipline) whose slave is the guest's console (`/dev/console`, `/dev/tty` and the
//! first process's standard streams) and whose master is the frontend's terminal.
//!
//! Used only when the frontend's console is a terminal; with pipes the console stays a
//! plain byte stream (no echo, no `\r\n`), which is what piped use and the differential
//! tests expect. This module owns the pump between the platform console and the master,
//! the per-task read state, and turning the tty's events into signals and
//! controlling-terminal changes.

use super::errno::Errno;
use super::platform::{ConsoleRead, Stream};
use super::signal::SIG_IGN;
use super::syscall::{SysError, SysResult};
use super::task::{Task, Tid};
use super::tty::{
    self, Caller, End, Nanos, ProcessTable, PtyPair, ReadState, ReadStatus, SignalTarget, TtyError,
    TtyEvent, Winsize, WriteStatus,
};
use super::Kernel;
use std::collections::BTreeMap;

/// The console pty and what is in flight on it.
pub struct TtyConsole {
    pub pty: PtyPair,
    /// Read state of each task parked in a console read.
    reads: BTreeMap<Tid, ReadState>,
    /// Host input the line discipline could not take yet.
    pending_input: Vec<u8>,
}

/// Process groups and sessions, for `TIOCSPGRP`.
struct Sessions(Vec<(u32, u32)>);

impl ProcessTable for Sessions {
    fn session_of_pgrp(&self, pgrp: tty::Pid) -> Option<tty::Pid> {
        self.0
            .iter()
            .find(|(g, _)| *g as i32 == pgrp)
            .map(|(_, s)| *s as i32)
    }
}

fn tty_err(e: TtyError) -> SysError {
    SysError::Errno(Errno(e.errno()))
}

impl TtyConsole {
    /// A console whose first process (`init`, a session leader) gets it as its
    /// controlling terminal.
    pub fn new(winsize: Option<(u16, u16)>) -> TtyConsole {
        let mut pty = PtyPair::new(0);
        let unlock = 0u32.to_le_bytes();
        let _ = pty.ioctl(
            End::Master,
            &Caller::default(),
            &Sessions(Vec::new()),
            tty::ioctl::req::TIOCSPTLCK,
            &unlock,
        );
        if let Some((rows, cols)) = winsize {
            pty.resize(Winsize {
                ws_row: rows,
                ws_col: cols,
                ws_xpixel: 0,
                ws_ypixel: 0,
            });
        }
        let _ = pty.take_events();
        TtyConsole {
            pty,
            reads: BTreeMap::new(),
            pending_input: Vec::new(),
        }
    }
}

/// What the tty needs to know about the calling task.
pub fn caller(t: &Task, readable: bool) -> Caller {
    let p = t.process.borrow();
    let ignored =
        |sig: u32| t.sighand.borrow()[sig as usize].handler == SIG_IGN || t.sigmask.has(sig);
    Caller {
        pid: p.pid as i32,
        pgrp: p.pgid as i32,
        sid: p.sid as i32,
        session_leader: p.sid == p.pid,
        ctty_is_this: p.ctty,
        has_ctty: p.ctty,
        sigttin_ignored: ignored(super::signal::SIGTTIN),
        sigttou_ignored: ignored(super::signal::SIGTTOU),
        pgrp_orphaned: false,
        cap_sys_admin: p.uid == 0,
        file_readable: readable,
    }
}

impl Kernel {
    fn now(&self) -> Nanos {
        Nanos(self.platform.clock.monotonic_ns())
    }

    /// Attaches the console pty as `init`'s controlling terminal.
    pub(crate) fn attach_console(&mut self, init: &mut Task) {
        let c = caller(init, true);
        let Some(con) = self.tty_console.as_mut() else {
            return;
        };
        let _ = con.pty.open_slave(&c, false);
        self.apply_tty_events(Some(init));
    }

    /// Moves host input into the console and console output to the host.
    pub(crate) fn pump_console(&mut self) {
        let Some(con) = self.tty_console.as_mut() else {
            return;
        };
        // A new host window size reaches the guest as TIOCSWINSZ does: the pty keeps it
        // and signals SIGWINCH to the foreground group (nothing when it is unchanged).
        if let Some((rows, cols)) = self.platform.console.window_size() {
            con.pty.resize(Winsize {
                ws_row: rows,
                ws_col: cols,
                ws_xpixel: 0,
                ws_ypixel: 0,
            });
        }
        let mut buf = [0u8; 4096];
        loop {
            if con.pending_input.is_empty() {
                match self.platform.console.read(&mut buf) {
                    ConsoleRead::Data(n) => con.pending_input.extend_from_slice(&buf[..n]),
                    ConsoleRead::Empty | ConsoleRead::EndOfFile => break,
                }
            }
            match con.pty.master_write(&con.pending_input, true) {
                Ok(WriteStatus::Done(n)) => {
                    con.pending_input.drain(..n);
                }
                _ => break,
            }
        }
        loop {
            match con.pty.master_read(&mut buf, true) {
                Ok(ReadStatus::Done(n)) if n > 0 => {
                    self.platform.console.write(Stream::Stdout, &buf[..n]);
                }
                _ => break,
            }
        }
        self.apply_tty_events(None);
    }

    /// Acts on the tty's events: signals to process groups or processes, and
    /// controlling-terminal changes. `current` is the task running a syscall, if any.
    pub(crate) fn apply_tty_events(&mut self, current: Option<&mut Task>) {
        let Some(con) = self.tty_console.as_mut() else {
            return;
        };
        let events = con.pty.take_events();
        self.apply_events(events, current);
    }

    /// Acts on events from any terminal (the console or a `/dev/ptmx` pair).
    pub(crate) fn apply_events(&mut self, events: Vec<TtyEvent>, mut current: Option<&mut Task>) {
        for ev in events {
            match ev {
                TtyEvent::Signal { target, signal } => {
                    let sig = signal.number() as u32;
                    let wanted = |pid: u32, pgid: u32| match target {
                        SignalTarget::Group(g) => pgid as i32 == g,
                        SignalTarget::Process(p) => pid as i32 == p,
                    };
                    for t in self.tasks.values_mut() {
                        let (pid, pgid) = {
                            let p = t.process.borrow();
                            (p.pid, p.pgid)
                        };
                        if t.tid == pid && wanted(pid, pgid) {
                            post(t, sig);
                        }
                    }
                    if let Some(t) = current.as_deref_mut() {
                        let (pid, pgid) = {
                            let p = t.process.borrow();
                            (p.pid, p.pgid)
                        };
                        if wanted(pid, pgid) {
                            post(t, sig);
                        }
                    }
                }
                TtyEvent::Wake(_) => {}
                TtyEvent::CttyAttached { sid } | TtyEvent::CttyDetached { sid } => {
                    let attached = matches!(ev, TtyEvent::CttyAttached { .. });
                    let all = self
                        .tasks
                        .values()
                        .map(|t| t.process.clone())
                        .chain(current.as_deref().map(|t| t.process.clone()));
                    for p in all {
                        let mut p = p.borrow_mut();
                        if p.sid as i32 == sid {
                            p.ctty = attached;
                        }
                    }
                }
                TtyEvent::CallerCttyDetached => {
                    if let Some(t) = current.as_deref() {
                        t.process.borrow_mut().ctty = false;
                    }
                }
            }
        }
    }

    /// A read of the console by `t`.
    pub(crate) fn console_read(
        &mut self,
        t: &mut Task,
        len: usize,
        nonblock: bool,
    ) -> Result<Vec<u8>, SysError> {
        let c = caller(t, true);
        let now = self.now();
        let con = self.tty_console.as_mut().expect("tty console");
        let state = con
            .reads
            .entry(t.tid)
            .or_insert_with(|| ReadState::new(now));
        let mut buf = vec![0u8; len.min(4096)];
        let r = con.pty.slave_read(&c, &mut buf, now, state, nonblock);
        let result = match r {
            Ok(ReadStatus::Done(n)) => {
                buf.truncate(n);
                Ok(buf)
            }
            Ok(ReadStatus::Wait(tty::Wait::Input)) => Err(SysError::Block(None)),
            Ok(ReadStatus::Wait(tty::Wait::InputOrDeadline(d))) => Err(SysError::Block(Some(d.0))),
            Err(e) => Err(tty_err(e)),
        };
        if !matches!(result, Err(SysError::Block(_))) {
            con.reads.remove(&t.tid);
        }
        self.apply_tty_events(Some(t));
        result
    }

    /// A write to the console by `t`.
    pub(crate) fn console_write(&mut self, t: &mut Task, data: &[u8], nonblock: bool) -> SysResult {
        let c = caller(t, false);
        let con = self.tty_console.as_mut().expect("tty console");
        let r = con.pty.slave_write(&c, data, nonblock);
        self.apply_tty_events(Some(t));
        let result = match r {
            Ok(WriteStatus::Done(n)) => Ok(n as u32),
            Ok(WriteStatus::Wait) => Err(SysError::Block(None)),
            Err(e) => Err(tty_err(e)),
        };
        self.pump_console();
        result
    }

    /// A terminal ioctl on the console by `t`: `arg` is the guest pointer or value.
    pub(crate) fn console_ioctl(&mut self, t: &mut Task, request: u32, arg: u32) -> SysResult {
        use super::syscall::mem;
        let kind = tty::ioctl_arg(request).ok_or(Errno::ENOTTY)?;
        let input = match kind {
            tty::IoctlArg::None | tty::IoctlArg::Out(_) => Vec::new(),
            tty::IoctlArg::Value => arg.to_le_bytes().to_vec(),
            tty::IoctlArg::In(n) => mem(self, t, |m| m.read_vec(arg, n))?,
        };
        let sessions = sessions(self, t);
        let c = caller(t, true);
        let con = self.tty_console.as_mut().expect("tty console");
        let reply = con.pty.ioctl(End::Slave, &c, &sessions, request, &input);
        self.apply_tty_events(Some(t));
        match reply.map_err(tty_err)? {
            tty::IoctlReply::Done { value, out } => {
                if !out.is_empty() {
                    mem(self, t, |m| m.write(arg, &out))?;
                }
                Ok(value as u32)
            }
            tty::IoctlReply::OpenPeer { .. } => Err(Errno::ENOTTY.into()),
        }
    }

    /// Readiness of the console for `poll`: (readable, writable, hung up).
    pub(crate) fn console_poll(&self) -> (bool, bool, bool) {
        let con = self.tty_console.as_ref().expect("tty console");
        let m = con.pty.poll(End::Slave);
        (
            m.has(tty::PollMask::IN),
            m.has(tty::PollMask::OUT),
            m.has(tty::PollMask::HUP),
        )
    }
}

/// The process groups and sessions of all tasks, for `TIOCSPGRP`.
pub(crate) fn sessions(k: &Kernel, t: &Task) -> impl ProcessTable {
    Sessions(
        k.tasks
            .values()
            .chain(std::iter::once(t))
            .map(|o| {
                let p = o.process.borrow();
                (p.pgid, p.sid)
            })
            .collect(),
    )
}

/// Queues `sig` for the process of `t` unless it is ignored.
fn post(t: &mut Task, sig: u32) {
    Kernel::continue_or_stop_effects(&t.process, sig);
    if super::sched::discards(t, sig) {
        return;
    }
    t.process.borrow_mut().shared_pending.add(sig);
}
