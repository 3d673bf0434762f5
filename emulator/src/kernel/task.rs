//! Tasks: one per guest thread, each with its CPU state, and the parts Linux lets
//! threads share (memory, descriptor table, filesystem context, signal handlers, the
//! process itself) behind `Rc<RefCell<..>>`, shared or copied as `clone` flags say.
//!
//! The scheduler (`kernel::sched`) runs them; this module holds their state only.

use super::file::FdTable;
use super::memory::Mm;
use super::perm::Cred;
use super::sigframe::{SigInfo, TrapInfo};
use super::signal::{SigAction, SigSet, NSIG};
use super::vfs::Loc;
use crate::cpu::{Cpu, SyscallGate};
use std::cell::RefCell;
use std::rc::Rc;

pub type Tid = u32;

/// Working directory, root and umask (`CLONE_FS` shares them).
#[derive(Clone)]
pub struct FsContext {
    pub root: Loc,
    pub cwd: Loc,
    pub umask: u32,
}

/// What a thread group shares: identity, family, credentials, the program.
pub struct Process {
    pub pid: Tid,
    pub ppid: Tid,
    pub pgid: Tid,
    pub sid: Tid,
    /// Real user and group ids (`getuid`); the effective, saved and filesystem ids
    /// follow. File permission checks use the filesystem ids (see `kernel::perm`).
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
    pub euid: u32,
    pub suid: u32,
    pub fsuid: u32,
    pub egid: u32,
    pub sgid: u32,
    pub fsgid: u32,
    /// `PR_SET_KEEPCAPS`: dropping every uid 0 keeps the permitted capabilities.
    pub keep_caps: bool,
    /// Capabilities were kept that way (so `capset` may raise them again); until exec.
    pub caps_kept: bool,
    /// Kept capabilities were raised again: privileged without a uid 0, until exec.
    pub caps_raised: bool,
    /// Path of the running program (`/proc/self/exe`).
    pub exe: Vec<u8>,
    /// The command name (`/proc/self/comm`, `prctl(PR_GET_NAME)`), at most 15 bytes.
    pub comm: Vec<u8>,
    /// NUL-separated arguments (`/proc/self/cmdline`).
    pub cmdline: Vec<u8>,
    /// Signal sent to the parent when it exits (usually SIGCHLD).
    pub exit_signal: u32,
    /// Stopped by a stop signal (its threads do not run until SIGCONT or SIGKILL).
    pub stopped: bool,
    /// A stop (`Some(sig)`) or continue (`Some(SIGCONT)`) the parent has not yet
    /// collected with `WUNTRACED`/`WCONTINUED`.
    pub stop_report: Option<u32>,
    /// The console is this process's controlling terminal.
    pub ctty: bool,
    /// Live threads.
    pub threads: Vec<Tid>,
    /// Set once `exit_group` or a fatal signal ends the process: the wait status.
    pub exiting: Option<u32>,
    /// Signals sent to the process as a whole, and the `siginfo` of those that have one.
    pub shared_pending: SigSet,
    pub shared_info: super::sigqueue::PendingInfo,
    /// Resource limits (cur, max) by resource number.
    pub rlimits: [(u64, u64); 16],
    pub start_ns: u64,
    /// `ITIMER_REAL`: when SIGALRM is next due (monotonic ns) and the reload interval.
    pub alarm: Option<u64>,
    pub alarm_interval: u64,
    /// CPU time of all its threads, live and gone (1 guest instruction = 1 ns).
    pub cpu_ns: u64,
    /// CPU time of its waited-for children and their own waited-for descendants.
    pub children_cpu_ns: u64,
    /// `ITIMER_VIRTUAL` and `ITIMER_PROF`, counted in the process's CPU time (a syscall
    /// takes none, so user and user+system time are the same here).
    pub cpu_timers: [CpuTimer; 2],
    /// Its parent died and init adopted it. Init here is the user's command, in the
    /// same session as everything else, so an adopted process's parent does not keep
    /// its group from being orphaned (on Linux init lives in a session of its own).
    pub reparented: bool,
    /// POSIX timers (`timer_create`); not inherited by `fork`, dropped by `execve`.
    pub timers: super::posix_timer::PosixTimers,
}

/// An interval timer on the process's CPU time (`ITIMER_VIRTUAL`, `ITIMER_PROF`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTimer {
    /// The CPU time (`Process::cpu_ns`) at which it fires; `None` when disarmed.
    pub due: Option<u64>,
    /// Reload interval (0: one shot).
    pub interval: u64,
}

impl Process {
    /// Adds `ns` of CPU time; the signals of the CPU timers that expired (SIGVTALRM,
    /// SIGPROF), each once however many periods passed, as Linux does.
    pub fn charge_cpu(&mut self, ns: u64) -> impl Iterator<Item = u32> {
        self.cpu_ns = self.cpu_ns.saturating_add(ns);
        let now = self.cpu_ns;
        let mut fired = [None; 2];
        for (n, timer) in self.cpu_timers.iter_mut().enumerate() {
            if let Some(due) = timer.due.filter(|&d| d <= now) {
                timer.due = (timer.interval > 0).then(|| {
                    let behind = (now - due) / timer.interval + 1;
                    due.saturating_add(behind.saturating_mul(timer.interval))
                });
                fired[n] = Some(if n == 0 {
                    super::signal::SIGVTALRM
                } else {
                    super::signal::SIGPROF
                });
            }
        }
        fired.into_iter().flatten()
    }

    /// CPU time left before the next CPU timer fires.
    pub fn cpu_until_timer(&self) -> Option<u64> {
        self.cpu_timers
            .iter()
            .filter_map(|t| t.due)
            .min()
            .map(|d| d.saturating_sub(self.cpu_ns))
    }
}

/// A wait a syscall is parked on; the handler runs again when the scheduler retries it.
#[derive(Clone, Copy, Debug)]
pub struct Parked {
    pub nr: u32,
    pub args: [u32; 6],
    /// Monotonic time at which a timed wait gives up.
    pub deadline: Option<u64>,
}

/// Why a task is not runnable.
#[derive(Clone, Copy, Debug)]
pub enum TaskState {
    Runnable,
    /// In a syscall that must wait.
    Parked(Parked),
    /// A vfork parent waiting for its child to exec or exit.
    VforkWait(Tid),
    /// Finished; removed at the next scheduling pass.
    Dead,
}

/// One guest thread.
pub struct Task {
    pub tid: Tid,
    pub cpu: Cpu,
    pub mm: Rc<RefCell<Mm>>,
    pub files: Rc<RefCell<FdTable>>,
    pub fs: Rc<RefCell<FsContext>>,
    pub sighand: Rc<RefCell<[SigAction; NSIG]>>,
    pub process: Rc<RefCell<Process>>,
    pub sigmask: SigSet,
    pub pending: SigSet,
    /// Mask to restore after a `sigsuspend`-style wait delivers its signal.
    pub saved_mask: Option<SigSet>,
    pub clear_child_tid: u32,
    pub robust_list: u32,
    pub state: TaskState,
    /// The gate of the syscall in progress (for restarts).
    pub gate: SyscallGate,
    /// A `FUTEX_WAKE` reached this task's wait.
    pub futex_woken: bool,
    /// Bytes (or messages) the parked call already moved: a retry goes on from here,
    /// and a signal ends the call with this count instead of `EINTR` (socket sends
    /// and `MSG_WAITALL` receives).
    pub io_progress: usize,
    /// The memory's code epoch when this task last ran (threads share memory).
    pub code_epoch_seen: u64,
    /// Start of the vDSO in this task's memory.
    pub vdso_base: u32,
    /// Alternate signal stack (sp, size, flags).
    pub altstack: (u32, u32, u32),
    /// The `siginfo` of pending thread-directed signals that carry one.
    pub pending_info: super::sigqueue::PendingInfo,
    /// The last CPU exception (trapno, error code, cr2) for signal frames.
    pub trap: TrapInfo,
    /// A sleep interrupted by a signal that ran no handler (a stop, an ignored signal)
    /// restarts with its original deadline, like Linux's `restart_block`: (syscall
    /// number, monotonic deadline).
    pub restart_sleep: Option<(u32, u64)>,
}

impl Process {
    /// The identity file permission checks use.
    pub fn fs_cred(&self) -> Cred {
        Cred {
            uid: self.fsuid,
            gid: self.fsgid,
            groups: self.groups.clone(),
            cap: self.fsuid == 0 || self.caps_raised,
        }
    }

    /// The real ids (`access`, `faccessat` without `AT_EACCESS`).
    pub fn real_cred(&self) -> Cred {
        Cred {
            uid: self.uid,
            gid: self.gid,
            groups: self.groups.clone(),
            cap: self.uid == 0,
        }
    }

    /// May change its ids freely (`CAP_SETUID`/`CAP_SETGID`).
    pub fn privileged(&self) -> bool {
        self.euid == 0 || self.caps_raised
    }

    /// May send `sig` to `target` (Linux's `check_kill_permission`): with `CAP_KILL`,
    /// when the sender's real or effective uid is the target's real or saved uid, or
    /// for SIGCONT within the sender's session.
    pub fn may_signal(&self, target: &Process, sig: u32) -> bool {
        self.privileged()
            || [self.uid, self.euid]
                .iter()
                .any(|&u| u == target.uid || u == target.suid)
            || (sig == super::signal::SIGCONT && self.sid == target.sid)
    }

    /// Sets all four user ids (or group ids) at once, as for a new process.
    pub fn set_ids(&mut self, uid: u32, gid: u32) {
        (self.uid, self.euid, self.suid, self.fsuid) = (uid, uid, uid, uid);
        (self.gid, self.egid, self.sgid, self.fsgid) = (gid, gid, gid, gid);
    }
}

impl Task {
    /// Takes the pending signal `sig` (the thread's own if it has it, else the
    /// process's) with its `siginfo`, completed as taking it completes it (a POSIX
    /// timer's overruns): for delivery, `sigtimedwait` and `signalfd` alike.
    pub fn take_signal(&mut self, sig: u32) -> SigInfo {
        let info = if self.pending.has(sig) {
            self.pending_info.take(&mut self.pending, sig)
        } else {
            let mut p = self.process.borrow_mut();
            let p = &mut *p;
            p.shared_info.take(&mut p.shared_pending, sig)
        };
        let mut info = info.unwrap_or_else(|| SigInfo::kernel(sig));
        super::posix_timer::complete_taken(&mut self.process.borrow_mut(), &mut info);
        info
    }

    /// Takes the lowest-numbered pending signal of `mask`, thread's or process's.
    pub fn take_first_pending(&mut self, mask: u64) -> Option<(u32, SigInfo)> {
        let pending = self.pending.0 | self.process.borrow().shared_pending.0;
        let sig = SigSet(pending & mask).first()?;
        Some((sig, self.take_signal(sig)))
    }

    pub fn pid(&self) -> Tid {
        self.process.borrow().pid
    }

    pub fn is_leader(&self) -> bool {
        self.pid() == self.tid
    }
}
