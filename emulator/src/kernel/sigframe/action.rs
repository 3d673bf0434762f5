//! Per-signal facts and small decision tables the kernel consults around delivery: the
//! default action of each signal, its name, which signals are synchronous faults, the
//! wait-status encodings, the signal mask after a handler starts, and what happens to an
//! interrupted system call (`-ERESTART*` against `SA_RESTART`).
//!
//! Everything here is a pure function of its arguments; the kernel owns the task state
//! these decisions are applied to.

use super::abi::{sa::*, signo::*, SigSet, NR_RESTART_SYSCALL};

/// What happens when a signal arrives and its disposition is `SIG_DFL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    /// End the process.
    Terminate,
    /// End the process and dump core (the wait status carries 0x80).
    CoreDump,
    Ignore,
    /// Stop the process (job control).
    Stop,
    /// Continue a stopped process; nothing otherwise.
    Continue,
}

/// The default action of `sig` (signal(7)); real-time signals terminate.
pub fn default_action(sig: u32) -> DefaultAction {
    use DefaultAction::*;
    match sig {
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ
        | SIGSYS => CoreDump,
        SIGCHLD | SIGURG | SIGWINCH => Ignore,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => Stop,
        SIGCONT => Continue,
        _ => Terminate,
    }
}

/// The conventional name of `sig` ("SIGSEGV", "SIGRT5" for `SIGRTMIN + 5`), or `None`
/// when `sig` is not a signal number.
pub fn name(sig: u32) -> Option<&'static str> {
    const NAMES: [&str; 32] = [
        "",
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    const RT: [&str; 33] = [
        "SIGRT0", "SIGRT1", "SIGRT2", "SIGRT3", "SIGRT4", "SIGRT5", "SIGRT6", "SIGRT7", "SIGRT8",
        "SIGRT9", "SIGRT10", "SIGRT11", "SIGRT12", "SIGRT13", "SIGRT14", "SIGRT15", "SIGRT16",
        "SIGRT17", "SIGRT18", "SIGRT19", "SIGRT20", "SIGRT21", "SIGRT22", "SIGRT23", "SIGRT24",
        "SIGRT25", "SIGRT26", "SIGRT27", "SIGRT28", "SIGRT29", "SIGRT30", "SIGRT31", "SIGRT32",
    ];
    match sig {
        1..=31 => Some(NAMES[sig as usize]),
        SIGRTMIN..=SIGRTMAX => Some(RT[(sig - SIGRTMIN) as usize]),
        _ => None,
    }
}

/// Signals the kernel raises synchronously for the instruction that faulted
/// (`SYNCHRONOUS_MASK`): they are dequeued before any other pending signal.
pub fn is_synchronous(sig: u32) -> bool {
    matches!(sig, SIGSEGV | SIGBUS | SIGILL | SIGTRAP | SIGFPE | SIGSYS)
}

/// Signals whose disposition and blocking cannot be changed.
pub fn is_unblockable(sig: u32) -> bool {
    matches!(sig, SIGKILL | SIGSTOP)
}

/// Wait statuses as `wait4` reports them.
pub mod wait_status {
    /// Core-dump flag in a "killed by signal" status (`WCOREDUMP`).
    pub const CORE_FLAG: u32 = 0x80;

    /// `exit(code)`: `WIFEXITED`, `WEXITSTATUS` = `code & 0xff`.
    pub fn exited(code: u32) -> u32 {
        (code & 0xff) << 8
    }

    /// Killed by `sig`: `WIFSIGNALED`, `WTERMSIG`, with the core flag when dumped.
    pub fn signaled(sig: u32, core_dumped: bool) -> u32 {
        (sig & 0x7f) | if core_dumped { CORE_FLAG } else { 0 }
    }

    /// Stopped by `sig`: `WIFSTOPPED` (low byte 0x7f), `WSTOPSIG`.
    pub fn stopped(sig: u32) -> u32 {
        ((sig & 0xff) << 8) | 0x7f
    }

    /// Continued (`WIFCONTINUED`).
    pub const CONTINUED: u32 = 0xffff;
}

/// The signal mask once a handler starts: the current mask plus the handler's `sa_mask`,
/// plus the signal itself unless `SA_NODEFER`, never `SIGKILL`/`SIGSTOP`.
pub fn blocked_after_delivery(blocked: SigSet, sa_flags: u32, sa_mask: SigSet, sig: u32) -> SigSet {
    let mut set = blocked.union(sa_mask);
    if sa_flags & SA_NODEFER == 0 {
        set = set.with(sig);
    }
    set.blockable()
}

/// Whether delivering with these flags resets the disposition to `SIG_DFL`
/// (`SA_RESETHAND`, also called `SA_ONESHOT`).
pub fn resets_handler(sa_flags: u32) -> bool {
    sa_flags & SA_RESETHAND != 0
}

/// The kernel-internal "restart me" errors a system call may end with when a signal is
/// pending. The guest never sees these values: they become `-EINTR` or a restart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartError {
    /// `-ERESTARTSYS` (512): restart only if the handler has `SA_RESTART`.
    RestartSys,
    /// `-ERESTARTNOINTR` (513): always restart.
    RestartNoIntr,
    /// `-ERESTARTNOHAND` (514): restart only if no handler runs.
    RestartNoHand,
    /// `-ERESTART_RESTARTBLOCK` (516): if no handler runs, continue through
    /// `restart_syscall` (nanosleep, clock_nanosleep, poll...); with a handler, `-EINTR`.
    RestartBlock,
}

impl RestartError {
    pub const ERESTARTSYS: i32 = -512;
    pub const ERESTARTNOINTR: i32 = -513;
    pub const ERESTARTNOHAND: i32 = -514;
    pub const ERESTART_RESTARTBLOCK: i32 = -516;

    /// Recognises a raw syscall result.
    pub fn from_result(result: i32) -> Option<RestartError> {
        match result {
            Self::ERESTARTSYS => Some(RestartError::RestartSys),
            Self::ERESTARTNOINTR => Some(RestartError::RestartNoIntr),
            Self::ERESTARTNOHAND => Some(RestartError::RestartNoHand),
            Self::ERESTART_RESTARTBLOCK => Some(RestartError::RestartBlock),
            _ => None,
        }
    }
}

/// `EINTR` as the guest sees it in eax.
pub const EINTR_RESULT: u32 = (-4i32) as u32;

/// What to do with the registers of a system call that ended with a restart error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartOutcome {
    /// The call returns `-EINTR` (eax = [`EINTR_RESULT`]); eip unchanged.
    Interrupted,
    /// Re-execute the gate: eax = `eax`, eip -= 2 (back onto `int $0x80`).
    Restart { eax: u32 },
}

impl RestartOutcome {
    /// Applies the outcome to eax and eip of the interrupted call.
    pub fn apply(self, eax: &mut u32, eip: &mut u32) {
        match self {
            RestartOutcome::Interrupted => *eax = EINTR_RESULT,
            RestartOutcome::Restart { eax: nr } => {
                *eax = nr;
                *eip = eip.wrapping_sub(2);
            }
        }
    }
}

/// Linux's restart decision (`handle_signal` when a handler runs, `arch_do_signal_or_restart`
/// when none does). `orig_eax` is the system call number; `handler_flags` is `Some(sa_flags)`
/// when a handler is about to run and `None` when the signal was ignored, stopped and
/// continued the task, or there was no signal at all.
///
/// A call entered through `sysenter` must first be put in the `int $0x80` form (see
/// [`sysenter_as_int80`]): then rewinding eip by 2 lands on the vDSO's `int $0x80`.
pub fn restart(error: RestartError, orig_eax: u32, handler_flags: Option<u32>) -> RestartOutcome {
    use RestartError::*;
    match (error, handler_flags) {
        (RestartBlock | RestartNoHand, Some(_)) => RestartOutcome::Interrupted,
        (RestartSys, Some(flags)) if flags & SA_RESTART == 0 => RestartOutcome::Interrupted,
        (RestartBlock, None) => RestartOutcome::Restart {
            eax: NR_RESTART_SYSCALL,
        },
        _ => RestartOutcome::Restart { eax: orig_eax },
    }
}

/// The register view Linux gives a system call entered by `sysenter` through the vDSO's
/// `__kernel_vsyscall` (`push ecx; push edx; push ebp; mov esp,ebp; sysenter; int $0x80;
/// pop ebp ...`): eip is the instruction after the `int $0x80` (the "landing pad") and
/// ebp is the caller's ebp, read from the stack where the vDSO pushed it (`saved_ebp` =
/// the 32-bit word at esp). From then on the call is handled, restarted and returned from
/// exactly like an `int $0x80` from that address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SysenterEntry {
    pub eip: u32,
    pub ebp: u32,
}

/// See [`SysenterEntry`]. `int80_landing_pad` is the guest address after the vDSO's
/// `int $0x80` (`vdso_base + loader::vdso::SYSENTER_RETURN`).
pub fn sysenter_as_int80(int80_landing_pad: u32, saved_ebp: u32) -> SysenterEntry {
    SysenterEntry {
        eip: int80_landing_pad,
        ebp: saved_ebp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigframe_default_actions() {
        assert_eq!(default_action(SIGSEGV), DefaultAction::CoreDump);
        assert_eq!(default_action(SIGTERM), DefaultAction::Terminate);
        assert_eq!(default_action(SIGCHLD), DefaultAction::Ignore);
        assert_eq!(default_action(SIGTSTP), DefaultAction::Stop);
        assert_eq!(default_action(SIGCONT), DefaultAction::Continue);
        assert_eq!(default_action(SIGRTMIN + 3), DefaultAction::Terminate);
        assert_eq!(default_action(SIGPWR), DefaultAction::Terminate);
        assert_eq!(default_action(SIGSTKFLT), DefaultAction::Terminate);
        assert_eq!(name(SIGSEGV), Some("SIGSEGV"));
        assert_eq!(name(SIGRTMAX), Some("SIGRT32"));
        assert_eq!(name(0), None);
        assert_eq!(name(65), None);
        assert!(is_synchronous(SIGFPE) && !is_synchronous(SIGUSR1));
    }

    #[test]
    fn sigframe_wait_status_encoding() {
        use wait_status::*;
        assert_eq!(exited(3), 0x300);
        assert_eq!(signaled(SIGSEGV, true), 0x8b);
        assert_eq!(signaled(SIGTERM, false), 0x0f);
        assert_eq!(stopped(SIGTSTP), 0x147f);
        assert_eq!(CONTINUED, 0xffff);
    }

    #[test]
    fn sigframe_restart_table() {
        use RestartError::*;
        use RestartOutcome::*;
        let nr = 3; // read
        let restart_nr = Restart { eax: nr };
        let with = Some(SA_RESTART);
        let without = Some(0);
        assert_eq!(restart(RestartSys, nr, with), restart_nr);
        assert_eq!(restart(RestartSys, nr, without), Interrupted);
        assert_eq!(restart(RestartSys, nr, None), restart_nr);
        assert_eq!(restart(RestartNoIntr, nr, without), restart_nr);
        assert_eq!(restart(RestartNoIntr, nr, None), restart_nr);
        assert_eq!(restart(RestartNoHand, nr, with), Interrupted);
        assert_eq!(restart(RestartNoHand, nr, None), restart_nr);
        assert_eq!(restart(RestartBlock, nr, with), Interrupted);
        assert_eq!(restart(RestartBlock, nr, None), Restart { eax: 0 });
        let (mut eax, mut eip) = (RestartError::ERESTARTSYS as u32, 0x1002);
        restart_nr.apply(&mut eax, &mut eip);
        assert_eq!((eax, eip), (3, 0x1000));
        assert_eq!(RestartError::from_result(-512), Some(RestartSys));
        assert_eq!(RestartError::from_result(-4), None);
    }

    #[test]
    fn sigframe_mask_after_delivery() {
        let m = blocked_after_delivery(SigSet::EMPTY, 0, SigSet::EMPTY.with(SIGKILL), SIGUSR1);
        assert_eq!(m, SigSet::EMPTY.with(SIGUSR1));
        let m = blocked_after_delivery(SigSet::EMPTY.with(2), SA_NODEFER, SigSet::EMPTY, SIGUSR1);
        assert_eq!(m, SigSet::EMPTY.with(2));
    }
}
