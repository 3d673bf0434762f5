//! The terminal layer: termios, the N_TTY line discipline and pseudo-terminal pairs.
//!
//! Pure logic. Nothing here blocks, sleeps, reads a clock or touches guest memory: the
//! kernel passes the current time and the caller's process facts in, copies ioctl
//! arguments from and to the guest itself, and acts on what comes back — a result, a
//! "wait for input" / "wait until T" answer, or [`TtyEvent`]s (signals to raise, ends
//! whose waiters should re-check, controlling-terminal changes).
//!
//! - [`termios`]: the guest ABI structs and constants.
//! - [`ldisc`]: the line discipline (input processing, echo, output processing, reads).
//! - [`pty`]: a master/slave pair over one line discipline, with job control and hangup.
//! - [`ioctl`]: request numbers, argument sizes and the ioctl dispatcher.

pub mod ioctl;
pub mod ldisc;
pub mod pty;
pub mod termios;

#[cfg(all(test, target_os = "linux"))]
mod native_tests;
#[cfg(test)]
mod pty_tests;

pub use ioctl::{ioctl_arg, IoctlArg, IoctlReply};
pub use ldisc::{LineDiscipline, ReadState, ReadStatus, Wait, WriteStatus};
pub use pty::{Caller, End, PollMask, ProcessTable, PtyPair, SignalTarget, TtyEvent};
pub use termios::{KTermios, Termios, Termios2, Winsize};

/// A guest process, process-group or session id (`pid_t`).
pub type Pid = i32;

/// A point on the kernel's monotonic clock, in nanoseconds. The tty never reads a
/// clock; the kernel passes `now` in and gets deadlines back in the same unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Nanos(pub u64);

impl Nanos {
    /// `self + d`, saturating.
    pub fn plus_nanos(self, d: u64) -> Nanos {
        Nanos(self.0.saturating_add(d))
    }
}

/// Linux i386 errno values the terminal layer returns.
pub mod errno {
    pub const EPERM: i32 = 1;
    pub const ESRCH: i32 = 3;
    pub const EINTR: i32 = 4;
    pub const EIO: i32 = 5;
    pub const EAGAIN: i32 = 11;
    pub const EFAULT: i32 = 14;
    pub const EBUSY: i32 = 16;
    pub const EINVAL: i32 = 22;
    pub const ENOTTY: i32 = 25;
    /// The kernel-internal "restart the system call after the signal" code.
    pub const ERESTARTSYS: i32 = 512;
}

/// Signals the terminal layer raises (i386 numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Hup,
    Int,
    Quit,
    Cont,
    Tstp,
    Ttin,
    Ttou,
    Winch,
}

impl Signal {
    /// The Linux i386 signal number.
    pub fn number(self) -> i32 {
        match self {
            Signal::Hup => 1,
            Signal::Int => 2,
            Signal::Quit => 3,
            Signal::Cont => 18,
            Signal::Tstp => 20,
            Signal::Ttin => 21,
            Signal::Ttou => 22,
            Signal::Winch => 28,
        }
    }

    /// The signal with this number, if the terminal layer knows it.
    pub fn from_number(n: i32) -> Option<Signal> {
        [
            Signal::Hup,
            Signal::Int,
            Signal::Quit,
            Signal::Cont,
            Signal::Tstp,
            Signal::Ttin,
            Signal::Ttou,
            Signal::Winch,
        ]
        .into_iter()
        .find(|s| s.number() == n)
    }
}

/// Why a terminal operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TtyError {
    /// Non-blocking and nothing can be done now.
    #[error("operation would block")]
    WouldBlock,
    /// Hung up, other side gone, or a background process that may not be stopped.
    #[error("terminal I/O error")]
    Io,
    /// A job-control signal was raised on the caller's process group (see the events);
    /// the system call restarts after it is handled.
    #[error("interrupted by a job-control signal")]
    Restart,
    /// Not a terminal request, or not this caller's controlling terminal.
    #[error("not a controlling terminal or unknown request")]
    NotTty,
    /// Not allowed (controlling-terminal rules, a locked pty).
    #[error("operation not permitted")]
    Permission,
    /// Bad argument value.
    #[error("invalid argument")]
    Invalid,
    /// No such process group.
    #[error("no such process group")]
    NoSuchGroup,
    /// The argument bytes were too short for the request.
    #[error("bad address")]
    Fault,
    /// Exclusive mode is on.
    #[error("terminal busy")]
    Busy,
}

impl TtyError {
    /// The errno the guest sees.
    pub fn errno(self) -> i32 {
        match self {
            TtyError::WouldBlock => errno::EAGAIN,
            TtyError::Io => errno::EIO,
            TtyError::Restart => errno::ERESTARTSYS,
            TtyError::NotTty => errno::ENOTTY,
            TtyError::Permission => errno::EPERM,
            TtyError::Invalid => errno::EINVAL,
            TtyError::NoSuchGroup => errno::ESRCH,
            TtyError::Fault => errno::EFAULT,
            TtyError::Busy => errno::EBUSY,
        }
    }
}
