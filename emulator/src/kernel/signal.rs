//! Signals: numbers, sets, actions and their defaults, and the choice of which pending
//! signal to deliver. Building the handler's stack frame is one function,
//! [`frame::setup_rt_frame`], kept apart so the exact i386 layouts (the `sigframe` work)
//! can replace it whole.

pub mod frame;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Signals 1..=64; index 0 unused.
pub const NSIG: usize = 65;

pub const SIGHUP: u32 = 1;
pub const SIGINT: u32 = 2;
pub const SIGQUIT: u32 = 3;
pub const SIGILL: u32 = 4;
pub const SIGTRAP: u32 = 5;
pub const SIGABRT: u32 = 6;
pub const SIGBUS: u32 = 7;
pub const SIGFPE: u32 = 8;
pub const SIGKILL: u32 = 9;
pub const SIGUSR1: u32 = 10;
pub const SIGSEGV: u32 = 11;
pub const SIGUSR2: u32 = 12;
pub const SIGPIPE: u32 = 13;
pub const SIGALRM: u32 = 14;
pub const SIGTERM: u32 = 15;
pub const SIGCHLD: u32 = 17;
pub const SIGCONT: u32 = 18;
pub const SIGSTOP: u32 = 19;
pub const SIGTSTP: u32 = 20;
pub const SIGTTIN: u32 = 21;
pub const SIGTTOU: u32 = 22;
pub const SIGURG: u32 = 23;
pub const SIGVTALRM: u32 = 26;
pub const SIGPROF: u32 = 27;
pub const SIGWINCH: u32 = 28;

pub const SIG_DFL: u32 = 0;
pub const SIG_IGN: u32 = 1;

pub const SA_SIGINFO: u32 = 4;
pub const SA_ONSTACK: u32 = 0x0800_0000;
pub const SA_RESTART: u32 = 0x1000_0000;
pub const SA_NODEFER: u32 = 0x4000_0000;
pub const SA_RESETHAND: u32 = 0x8000_0000;
pub const SA_RESTORER: u32 = 0x0400_0000;

/// A set of signals, bit `n - 1` for signal `n`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigSet(pub u64);

impl SigSet {
    pub fn bit(sig: u32) -> u64 {
        1u64 << (sig - 1)
    }
    pub fn has(self, sig: u32) -> bool {
        (1..=64).contains(&sig) && self.0 & Self::bit(sig) != 0
    }
    pub fn add(&mut self, sig: u32) {
        if (1..=64).contains(&sig) {
            self.0 |= Self::bit(sig);
        }
    }
    pub fn remove(&mut self, sig: u32) {
        if (1..=64).contains(&sig) {
            self.0 &= !Self::bit(sig);
        }
    }
    /// The lowest signal in the set.
    pub fn first(self) -> Option<u32> {
        (self.0 != 0).then(|| self.0.trailing_zeros() + 1)
    }
    /// SIGKILL and SIGSTOP cannot be blocked.
    pub fn blockable(self) -> SigSet {
        SigSet(self.0 & !(Self::bit(SIGKILL) | Self::bit(SIGSTOP)))
    }
}

/// `struct sigaction` as the kernel keeps it (`rt_sigaction`'s layout on i386).
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C, packed(4))]
pub struct SigAction {
    pub handler: u32,
    pub flags: u32,
    pub restorer: u32,
    pub mask: u64,
}
const _: () = assert!(std::mem::size_of::<SigAction>() == 20);

/// What happens when a signal with the default action arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    Terminate,
    CoreDump,
    Ignore,
    Stop,
    Continue,
}

pub fn default_action(sig: u32) -> DefaultAction {
    match sig {
        SIGCHLD | SIGURG | SIGWINCH => DefaultAction::Ignore,
        SIGCONT => DefaultAction::Continue,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => DefaultAction::Stop,
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | 24 | 25 | 31 => {
            DefaultAction::CoreDump
        }
        _ => DefaultAction::Terminate,
    }
}

/// Wait status of a process killed by `sig`. Linux sets the core-dump bit (0x80) only
/// when a core file was written; webvm writes none, just as Linux writes none under the
/// default `RLIMIT_CORE` of 0, so the bit stays clear.
pub fn killed_status(sig: u32) -> u32 {
    sig
}

/// Wait status of a process that exited with `code`.
pub fn exited_status(code: u32) -> u32 {
    (code & 0xff) << 8
}

/// `siginfo_t` (128 bytes); the fields most signals use.
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct SigInfo {
    pub signo: i32,
    pub errno: i32,
    pub code: i32,
    /// pid or fault address, then uid / status words.
    pub fields: [u32; 29],
}
const _: () = assert!(std::mem::size_of::<SigInfo>() == 128);

impl SigInfo {
    pub fn new(signo: u32, code: i32) -> SigInfo {
        SigInfo {
            signo: signo as i32,
            errno: 0,
            code,
            fields: [0; 29],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_encode_as_linux() {
        assert_eq!(exited_status(3), 0x300);
        assert_eq!(killed_status(SIGKILL), 9);
        assert_eq!(killed_status(SIGSEGV), 11);
        let mut s = SigSet::default();
        s.add(SIGCHLD);
        s.add(SIGINT);
        assert_eq!(s.first(), Some(SIGINT));
        s.add(SIGKILL);
        assert!(!s.blockable().has(SIGKILL));
    }
}
