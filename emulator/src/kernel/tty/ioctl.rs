//! Terminal ioctls: request numbers, what each argument is, and the dispatcher.
//!
//! Owns the i386 request numbers of the terminal ioctls and their decisions on a
//! [`PtyPair`]. It never touches guest memory: [`ioctl_arg`] tells the kernel how many
//! bytes to copy in (or that the argument is a plain integer), [`PtyPair::ioctl`] takes
//! those bytes and returns the bytes to copy back out. File-level requests (`FIONBIO`,
//! `FIOCLEX`, `FIONCLEX`, `FIOASYNC`) belong to the kernel's file layer and are not here.

use super::pty::{Caller, End, ProcessTable, PtyPair, SignalTarget, TtyEvent};
use super::termios::{cc, cflag, KTermios, Termio, Termios, Termios2, Winsize};
use super::{Pid, Signal, TtyError};

/// Request numbers (i386, `asm-generic/ioctls.h`).
pub mod req {
    pub const TCGETS: u32 = 0x5401;
    pub const TCSETS: u32 = 0x5402;
    pub const TCSETSW: u32 = 0x5403;
    pub const TCSETSF: u32 = 0x5404;
    pub const TCGETA: u32 = 0x5405;
    pub const TCSETA: u32 = 0x5406;
    pub const TCSETAW: u32 = 0x5407;
    pub const TCSETAF: u32 = 0x5408;
    pub const TCSBRK: u32 = 0x5409;
    pub const TCXONC: u32 = 0x540a;
    pub const TCFLSH: u32 = 0x540b;
    pub const TIOCEXCL: u32 = 0x540c;
    pub const TIOCNXCL: u32 = 0x540d;
    pub const TIOCSCTTY: u32 = 0x540e;
    pub const TIOCGPGRP: u32 = 0x540f;
    pub const TIOCSPGRP: u32 = 0x5410;
    pub const TIOCOUTQ: u32 = 0x5411;
    pub const TIOCSTI: u32 = 0x5412;
    pub const TIOCGWINSZ: u32 = 0x5413;
    pub const TIOCSWINSZ: u32 = 0x5414;
    pub const TIOCGSOFTCAR: u32 = 0x5419;
    pub const TIOCSSOFTCAR: u32 = 0x541a;
    pub const FIONREAD: u32 = 0x541b;
    pub const TIOCINQ: u32 = FIONREAD;
    pub const TIOCPKT: u32 = 0x5420;
    pub const TIOCNOTTY: u32 = 0x5422;
    pub const TIOCSETD: u32 = 0x5423;
    pub const TIOCGETD: u32 = 0x5424;
    pub const TCSBRKP: u32 = 0x5425;
    pub const TIOCSBRK: u32 = 0x5427;
    pub const TIOCCBRK: u32 = 0x5428;
    pub const TIOCGSID: u32 = 0x5429;
    pub const TCGETS2: u32 = 0x802c_542a;
    pub const TCSETS2: u32 = 0x402c_542b;
    pub const TCSETSW2: u32 = 0x402c_542c;
    pub const TCSETSF2: u32 = 0x402c_542d;
    pub const TIOCGPTN: u32 = 0x8004_5430;
    pub const TIOCSPTLCK: u32 = 0x4004_5431;
    pub const TIOCGDEV: u32 = 0x8004_5432;
    pub const TIOCSIG: u32 = 0x4004_5436;
    pub const TIOCVHANGUP: u32 = 0x5437;
    pub const TIOCGPKT: u32 = 0x8004_5438;
    pub const TIOCGPTLCK: u32 = 0x8004_5439;
    pub const TIOCGEXCL: u32 = 0x8004_5440;
    pub const TIOCGPTPEER: u32 = 0x5441;
}

/// `TCFLSH` arguments.
pub const TCIFLUSH: u32 = 0;
pub const TCOFLUSH: u32 = 1;
pub const TCIOFLUSH: u32 = 2;
/// `TCXONC` arguments.
pub const TCOOFF: u32 = 0;
pub const TCOON: u32 = 1;
pub const TCIOFF: u32 = 2;
pub const TCION: u32 = 3;
/// The only line discipline offered (`N_TTY`).
pub const N_TTY: u32 = 0;
/// Major number of `/dev/pts/N`.
pub const UNIX98_PTY_SLAVE_MAJOR: u32 = 136;

/// What the ioctl argument is, so the kernel knows what to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoctlArg {
    /// Unused: pass no bytes.
    None,
    /// The argument itself is an integer: pass its 4 little-endian bytes.
    Value,
    /// A pointer to this many bytes the kernel reads from the guest.
    In(usize),
    /// A pointer to this many bytes the kernel writes back to the guest.
    Out(usize),
}

/// The argument kind of a terminal request, or `None` if it is not one (`ENOTTY`).
pub fn ioctl_arg(request: u32) -> Option<IoctlArg> {
    use req::*;
    use IoctlArg::*;
    Some(match request {
        TCGETS => Out(36),
        TCSETS | TCSETSW | TCSETSF => In(36),
        TCGETS2 => Out(44),
        TCSETS2 | TCSETSW2 | TCSETSF2 => In(44),
        TCGETA => Out(18),
        TCSETA | TCSETAW | TCSETAF => In(18),
        TIOCGWINSZ => Out(8),
        TIOCSWINSZ => In(8),
        TCSBRK | TCSBRKP | TCXONC | TCFLSH | TIOCSCTTY | TIOCSIG | TIOCGPTPEER => Value,
        TIOCEXCL | TIOCNXCL | TIOCNOTTY | TIOCSBRK | TIOCCBRK | TIOCVHANGUP => None,
        TIOCGPGRP | TIOCOUTQ | FIONREAD | TIOCGSID | TIOCGPTN | TIOCGPKT | TIOCGPTLCK
        | TIOCGEXCL | TIOCGETD | TIOCGSOFTCAR | TIOCGDEV => Out(4),
        TIOCSPGRP | TIOCSPTLCK | TIOCPKT | TIOCSETD | TIOCSSOFTCAR => In(4),
        TIOCSTI => In(1),
        _ => return Option::None,
    })
}

/// What the kernel does after a successful ioctl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IoctlReply {
    /// Copy `out` (if not empty) to the argument pointer, then return `value`.
    Done { value: i32, out: Vec<u8> },
    /// `TIOCGPTPEER`: open a new file on the slave with these `open` flags (calling
    /// [`PtyPair::reopen_slave`]; it never becomes a controlling terminal) and return
    /// its descriptor.
    OpenPeer { flags: u32 },
}

impl IoctlReply {
    fn ok() -> Self {
        IoctlReply::Done {
            value: 0,
            out: Vec::new(),
        }
    }

    fn out(bytes: Vec<u8>) -> Self {
        IoctlReply::Done {
            value: 0,
            out: bytes,
        }
    }

    fn int(v: i32) -> Self {
        Self::out(v.to_le_bytes().to_vec())
    }
}

fn arg_u32(arg: &[u8]) -> Result<u32, TtyError> {
    let b: [u8; 4] = arg
        .get(..4)
        .and_then(|s| s.try_into().ok())
        .ok_or(TtyError::Fault)?;
    Ok(u32::from_le_bytes(b))
}

/// How a termios-setting request behaves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetMode {
    Now,
    Drain,
    Flush,
}

impl PtyPair {
    /// Runs terminal ioctl `request` on `end` with `arg` (the bytes [`ioctl_arg`] asked
    /// for). Events (signals, controlling-tty changes, wakeups) are queued as usual.
    pub fn ioctl(
        &mut self,
        end: End,
        caller: &Caller,
        procs: &dyn ProcessTable,
        request: u32,
        arg: &[u8],
    ) -> Result<IoctlReply, TtyError> {
        if end == End::Slave && self.hung_up {
            return Err(if request == req::TIOCSPGRP {
                TtyError::NotTty
            } else {
                TtyError::Io
            });
        }
        let r = self.dispatch(end, caller, procs, request, arg);
        self.settle();
        r
    }

    fn dispatch(
        &mut self,
        end: End,
        caller: &Caller,
        procs: &dyn ProcessTable,
        request: u32,
        arg: &[u8],
    ) -> Result<IoctlReply, TtyError> {
        use req::*;
        let master = end == End::Master;
        match request {
            TCGETS => Ok(IoctlReply::out(
                self.ld.termios().to_termios().to_guest_bytes(),
            )),
            TCGETS2 => Ok(IoctlReply::out(self.ld.termios().to_guest_bytes())),
            TCGETA => Ok(IoctlReply::out(
                self.ld.termios().to_termio().to_guest_bytes(),
            )),
            TCSETS | TCSETSW | TCSETSF => {
                let t = Termios::from_guest_bytes(arg).ok_or(TtyError::Fault)?;
                let mut k = *self.ld.termios();
                k.set_from_termios(&t);
                self.set_termios(caller, k, set_mode(request, TCSETSW, TCSETSF))
            }
            TCSETS2 | TCSETSW2 | TCSETSF2 => {
                let t = Termios2::from_guest_bytes(arg).ok_or(TtyError::Fault)?;
                self.set_termios(caller, t, set_mode(request, TCSETSW2, TCSETSF2))
            }
            TCSETA | TCSETAW | TCSETAF => {
                let t = Termio::from_guest_bytes(arg).ok_or(TtyError::Fault)?;
                let mut k = *self.ld.termios();
                k.set_from_termio(&t);
                self.set_termios(caller, k, set_mode(request, TCSETAW, TCSETAF))
            }
            TIOCGWINSZ => Ok(IoctlReply::out(self.winsize.to_guest_bytes())),
            TIOCSWINSZ => {
                let w = Winsize::from_guest_bytes(arg).ok_or(TtyError::Fault)?;
                self.resize(w);
                Ok(IoctlReply::ok())
            }
            FIONREAD => {
                let n = if master {
                    self.ld.output_readable()
                } else {
                    self.ld.inq()
                };
                Ok(IoctlReply::int(n as i32))
            }
            // A pty has no driver-side output buffer: Linux reports 0.
            TIOCOUTQ => Ok(IoctlReply::int(0)),
            TCFLSH => {
                let how = arg_u32(arg)?;
                if !master {
                    self.check_change(caller, Signal::Ttou)?;
                }
                let (input, output) = match how {
                    TCIFLUSH => (true, false),
                    TCOFLUSH => (false, true),
                    TCIOFLUSH => (true, true),
                    _ => return Err(TtyError::Invalid),
                };
                if master {
                    if input {
                        self.ld.clear_output();
                    }
                    if output {
                        self.ld.flush_pending_input();
                    }
                } else {
                    if input {
                        self.ld.flush_input();
                    }
                    if output {
                        self.ld.flush_output();
                    }
                }
                Ok(IoctlReply::ok())
            }
            TCXONC => {
                let how = arg_u32(arg)?;
                if master {
                    return match how {
                        TCOOFF..=TCION => Ok(IoctlReply::ok()),
                        _ => Err(TtyError::Invalid),
                    };
                }
                self.check_change(caller, Signal::Ttou)?;
                match how {
                    TCOOFF => self.ld.tco_stop(),
                    TCOON => self.ld.tco_start(),
                    TCIOFF => {
                        let c = self.ld.termios().cc(cc::VSTOP);
                        self.ld.send_xchar(c);
                    }
                    TCION => {
                        let c = self.ld.termios().cc(cc::VSTART);
                        self.ld.send_xchar(c);
                    }
                    _ => return Err(TtyError::Invalid),
                }
                Ok(IoctlReply::ok())
            }
            TCSBRK | TCSBRKP => {
                if !master {
                    self.check_change(caller, Signal::Ttou)?;
                }
                Ok(IoctlReply::ok())
            }
            TIOCSBRK | TIOCCBRK => Ok(IoctlReply::ok()),
            TIOCEXCL => {
                self.exclusive = true;
                Ok(IoctlReply::ok())
            }
            TIOCNXCL => {
                self.exclusive = false;
                Ok(IoctlReply::ok())
            }
            TIOCGEXCL => Ok(IoctlReply::int(i32::from(self.exclusive))),
            TIOCSCTTY if !master => self.tiocsctty(caller, arg_u32(arg)?),
            TIOCNOTTY if !master => {
                if !caller.ctty_is_this {
                    return Err(TtyError::NotTty);
                }
                if caller.session_leader {
                    self.disassociate(caller.sid, false);
                } else {
                    self.push(TtyEvent::CallerCttyDetached);
                }
                Ok(IoctlReply::ok())
            }
            TIOCGPGRP => {
                if !master && !caller.ctty_is_this {
                    return Err(TtyError::NotTty);
                }
                Ok(IoctlReply::int(self.pgrp.unwrap_or(0)))
            }
            TIOCSPGRP => self.tiocspgrp(caller, procs, arg),
            TIOCGSID => {
                if !master && !caller.ctty_is_this {
                    return Err(TtyError::NotTty);
                }
                self.session.map(IoctlReply::int).ok_or(TtyError::NotTty)
            }
            TIOCSTI => {
                let &b = arg.first().ok_or(TtyError::Fault)?;
                if !caller.ctty_is_this && !caller.cap_sys_admin {
                    return Err(TtyError::Permission);
                }
                if master {
                    self.ld.send_xchar(b);
                } else {
                    self.ld.receive(&[b]);
                }
                Ok(IoctlReply::ok())
            }
            TIOCGETD => Ok(IoctlReply::int(N_TTY as i32)),
            TIOCSETD => match arg_u32(arg)? {
                N_TTY => Ok(IoctlReply::ok()),
                _ => Err(TtyError::Invalid),
            },
            TIOCGSOFTCAR => {
                let clocal = self.ld.termios().c_cflag & cflag::CLOCAL != 0;
                Ok(IoctlReply::int(i32::from(clocal)))
            }
            TIOCSSOFTCAR => {
                let on = arg_u32(arg)? != 0;
                let mut k = *self.ld.termios();
                k.c_cflag = (k.c_cflag & !cflag::CLOCAL) | if on { cflag::CLOCAL } else { 0 };
                self.apply_termios(k);
                Ok(IoctlReply::ok())
            }
            TIOCGDEV => {
                let minor = self.index;
                let dev = (minor & 0xff) | (UNIX98_PTY_SLAVE_MAJOR << 8) | ((minor & !0xff) << 12);
                Ok(IoctlReply::int(dev as i32))
            }
            TIOCVHANGUP if !master => {
                if !caller.cap_sys_admin {
                    return Err(TtyError::Permission);
                }
                self.hangup();
                Ok(IoctlReply::ok())
            }
            TIOCGPTN if master => Ok(IoctlReply::int(self.index as i32)),
            TIOCSPTLCK if master => {
                self.locked = arg_u32(arg)? != 0;
                Ok(IoctlReply::ok())
            }
            TIOCGPTLCK if master => Ok(IoctlReply::int(i32::from(self.locked))),
            TIOCPKT if master => {
                let on = arg_u32(arg)? != 0;
                if on && !self.packet {
                    self.ld.take_packet_status();
                }
                self.packet = on;
                Ok(IoctlReply::ok())
            }
            TIOCGPKT if master => Ok(IoctlReply::int(i32::from(self.packet))),
            TIOCSIG if master => {
                let sig = Signal::from_number(arg_u32(arg)? as i32)
                    .filter(|s| matches!(s, Signal::Int | Signal::Quit | Signal::Tstp))
                    .ok_or(TtyError::Invalid)?;
                if let Some(pgrp) = self.pgrp {
                    self.push(TtyEvent::Signal {
                        target: SignalTarget::Group(pgrp),
                        signal: sig,
                    });
                }
                Ok(IoctlReply::ok())
            }
            TIOCGPTPEER if master => {
                if self.locked || self.hung_up {
                    return Err(TtyError::Io);
                }
                Ok(IoctlReply::OpenPeer {
                    flags: arg_u32(arg)?,
                })
            }
            _ => Err(TtyError::NotTty),
        }
    }

    /// `TCSETS*`: SIGTTOU for background callers, then the new attributes; the `F`
    /// variants flush the slave's input first. A pty never has output to drain.
    fn set_termios(
        &mut self,
        caller: &Caller,
        t: KTermios,
        mode: SetMode,
    ) -> Result<IoctlReply, TtyError> {
        self.check_change(caller, Signal::Ttou)?;
        if mode == SetMode::Flush {
            self.ld.flush_input();
        }
        self.apply_termios(t);
        Ok(IoctlReply::ok())
    }

    fn tiocsctty(&mut self, caller: &Caller, steal: u32) -> Result<IoctlReply, TtyError> {
        if caller.session_leader && self.session == Some(caller.sid) {
            return Ok(IoctlReply::ok());
        }
        if !caller.session_leader || caller.has_ctty {
            return Err(TtyError::Permission);
        }
        if let Some(old) = self.session {
            if steal == 1 && caller.cap_sys_admin {
                self.push(TtyEvent::CttyDetached { sid: old });
            } else {
                return Err(TtyError::Permission);
            }
        }
        if !caller.file_readable && !caller.cap_sys_admin {
            return Err(TtyError::Permission);
        }
        self.session = Some(caller.sid);
        self.pgrp = Some(caller.pgrp);
        self.push(TtyEvent::CttyAttached { sid: caller.sid });
        Ok(IoctlReply::ok())
    }

    fn tiocspgrp(
        &mut self,
        caller: &Caller,
        procs: &dyn ProcessTable,
        arg: &[u8],
    ) -> Result<IoctlReply, TtyError> {
        match self.check_change(caller, Signal::Ttou) {
            Err(TtyError::Io) => return Err(TtyError::NotTty),
            Err(e) => return Err(e),
            Ok(()) => {}
        }
        let pgrp = arg_u32(arg)? as Pid;
        if pgrp < 0 {
            return Err(TtyError::Invalid);
        }
        if !caller.ctty_is_this || self.session != Some(caller.sid) {
            return Err(TtyError::NotTty);
        }
        match procs.session_of_pgrp(pgrp) {
            None => Err(TtyError::NoSuchGroup),
            Some(sid) if sid != caller.sid => Err(TtyError::Permission),
            Some(_) => {
                self.pgrp = Some(pgrp);
                Ok(IoctlReply::ok())
            }
        }
    }
}

fn set_mode(request: u32, drain: u32, flush: u32) -> SetMode {
    if request == flush {
        SetMode::Flush
    } else if request == drain {
        SetMode::Drain
    } else {
        SetMode::Now
    }
}
