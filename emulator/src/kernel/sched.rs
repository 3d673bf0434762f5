//! The scheduler: [`Kernel::run`] interleaves every task by instruction budget on the
//! host's one thread, dispatches the syscalls and faults the CPU stops on, delivers
//! signals on the way back to user mode, and retries parked syscalls.
//!
//! A syscall that must wait returns `SysError::Block`; its task parks with the call's
//! number and arguments and the handler runs again on each pass until it completes
//! (a futex wait learns it was woken from `Task::futex_woken`). A deliverable signal
//! ends the wait with `EINTR`, or restarts the call after the handler with `SA_RESTART`.

use super::errno::Errno;
use super::exec::{release_mm, wake_vfork_parent};
use super::memory::UserMem;
use super::sigframe::{signal_for_fault, PageFaultCause, SigInfo};
use super::signal::{self, frame, DefaultAction, SigSet, SIG_DFL, SIG_IGN};
use super::syscall::{self, Call, SysError};
use super::task::{Parked, Task, TaskState, Tid};
use super::{Exit, Kernel, Zombie};
use crate::cpu::state::{EAX, EBP};
use crate::cpu::{Exit as CpuExit, FaultKind, SyscallGate};
use crate::loader::vdso::SYSENTER_RETURN;
use crate::mm::FaultReason;

/// Instructions a task runs before the next one gets its turn.
const SLICE: u64 = 20_000;

impl Kernel {
    /// Runs guest tasks for about `budget` instructions.
    pub fn run(&mut self, budget: u64) -> Exit {
        let mut used = 0u64;
        loop {
            self.pump_console();
            self.collect_pty_events();
            self.drop_dead_shared_anon();
            if let Some(status) = self.init_status {
                return Exit::Exited(status);
            }
            let timer_due = self.fire_timers();
            let tids: Vec<Tid> = self.tasks.keys().copied().collect();
            if tids.is_empty() {
                return Exit::Exited(self.init_status.unwrap_or(0));
            }
            // Start after the task that ran last.
            let start = tids.iter().position(|&t| t > self.cursor).unwrap_or(0);
            let mut progressed = false;
            let mut earliest: Option<u64> = timer_due;
            for &tid in tids[start..].iter().chain(&tids[..start]) {
                let Some(mut task) = self.tasks.remove(&tid) else {
                    continue;
                };
                self.cursor = tid;
                let ran = self.run_task(&mut task, SLICE.min(budget - used).max(1));
                used += ran.instructions;
                progressed |= ran.progressed;
                if let TaskState::Parked(Parked {
                    deadline: Some(d), ..
                }) = task.state
                {
                    earliest = Some(earliest.map_or(d, |e: u64| e.min(d)));
                }
                if matches!(task.state, TaskState::Dead) {
                    self.reap(task);
                } else {
                    self.tasks.insert(tid, task);
                }
                if self.init_status.is_some() {
                    break;
                }
                if used >= budget {
                    self.pump_console();
                    return Exit::BudgetUsed;
                }
            }
            if let Some(w) = self.next_wake.take() {
                earliest = Some(earliest.map_or(w, |e: u64| e.min(w)));
            }
            if !progressed && self.init_status.is_none() {
                let now = self.platform.clock.monotonic_ns();
                if earliest.is_some_and(|d| d <= now) {
                    continue;
                }
                return Exit::Idle { until: earliest };
            }
        }
    }

    /// Sends SIGALRM to processes whose real-time interval timer expired and the
    /// signals of expired POSIX timers; returns the next time a timer is due.
    fn fire_timers(&mut self) -> Option<u64> {
        let now = self.platform.clock.monotonic_ns();
        let mut next: Option<u64> = None;
        let mut timer_signals = Vec::new();
        for t in self.tasks.values() {
            if !t.is_leader() {
                continue;
            }
            {
                let mut p = t.process.borrow_mut();
                let shared = p.shared_pending;
                let tasks = &self.tasks;
                let fired = p.timers.expire(now, |sig, thread| match thread {
                    Some(tid) => tasks.get(&tid).is_some_and(|x| x.pending.has(sig)),
                    None => shared.has(sig),
                });
                for e in fired {
                    timer_signals.push((t.tid, e));
                }
                if let Some(d) = p.timers.next_due() {
                    next = Some(next.map_or(d, |n: u64| n.min(d)));
                }
            }
            let mut p = t.process.borrow_mut();
            if let Some(due) = p.alarm {
                if due <= now {
                    p.alarm = (p.alarm_interval > 0).then(|| now + p.alarm_interval);
                    let a = t.sighand.borrow()[signal::SIGALRM as usize];
                    if a.handler != SIG_IGN {
                        p.shared_pending.add(signal::SIGALRM);
                    }
                }
                if let Some(d) = p.alarm {
                    next = Some(next.map_or(d, |n: u64| n.min(d)));
                }
            }
        }
        for (pid, e) in timer_signals {
            let info = SigInfo {
                signo: e.signo,
                errno: 0,
                code: crate::kernel::sigframe::abi::si_code::SI_TIMER,
                fields: crate::kernel::sigframe::SigFields::Timer(
                    crate::kernel::sigframe::abi::SiTimer {
                        si_tid: e.id,
                        si_overrun: e.overrun as i32,
                        si_value: e.value,
                    },
                ),
            };
            // A thread that has exited since takes nothing; the process gets it then.
            let (tid, to_process) = match e.thread {
                Some(tid) if self.tasks.contains_key(&tid) => (tid, false),
                _ => (pid, true),
            };
            if let Some(mut task) = self.tasks.remove(&tid) {
                self.queue_signal(&mut task, e.signo, to_process, Some(info));
                self.tasks.insert(tid, task);
            }
        }
        next
    }

    /// Runs one task for up to `budget` instructions.
    fn run_task(&mut self, task: &mut Task, budget: u64) -> Ran {
        let mut ran = Ran::default();
        if task.process.borrow().exiting.is_some() {
            task.state = TaskState::Dead;
            ran.progressed = true;
            return ran;
        }
        if task.process.borrow().stopped {
            return ran;
        }
        match task.state {
            TaskState::Dead => {
                ran.progressed = true;
                return ran;
            }
            TaskState::VforkWait(child) => {
                if self.tasks.contains_key(&child) {
                    return ran;
                }
                task.state = TaskState::Runnable;
            }
            TaskState::Parked(parked) => {
                if self.interrupt_wait(task, parked) {
                    ran.progressed = true;
                } else {
                    let call = Call {
                        nr: parked.nr,
                        args: parked.args,
                        deadline: parked.deadline,
                    };
                    let before = task.io_progress;
                    match self.invoke(task, &call) {
                        Err(SysError::Block(_)) => {
                            // Moving part of a transfer is progress too.
                            ran.progressed = task.io_progress != before;
                            return ran;
                        }
                        result => {
                            task.state = TaskState::Runnable;
                            self.finish_syscall(task, &call, result);
                            ran.progressed = true;
                        }
                    }
                }
            }
            TaskState::Runnable => {}
        }
        while ran.instructions < budget {
            if !matches!(task.state, TaskState::Runnable) {
                break;
            }
            if !self.deliver_signals(task) {
                // A signal killed or stopped it: its parent may now have a status to
                // collect, so this pass did something even if no instruction ran.
                ran.progressed = true;
                break;
            }
            if !matches!(task.state, TaskState::Runnable) {
                break;
            }
            let before = task.cpu.state.instructions_retired;
            // Stop when a CPU-time timer is due, so its signal comes on time.
            let slice = (budget - ran.instructions).min(
                task.process
                    .borrow()
                    .cpu_until_timer()
                    .map_or(u64::MAX, |left| left.max(1)),
            );
            let exit = {
                let mm_rc = task.mm.clone();
                let mut mm = mm_rc.borrow_mut();
                if mm.code_epoch() != task.code_epoch_seen {
                    task.cpu.flush_code_cache();
                }
                let mut mem = UserMem::new(&mut mm, &mut self.frames);
                let exit = task.cpu.run(&mut mem, slice);
                task.code_epoch_seen = mem.mm.code_epoch();
                exit
            };
            let retired = task.cpu.state.instructions_retired - before;
            self.instructions_retired += retired;
            {
                let mut p = task.process.borrow_mut();
                for sig in p.charge_cpu(retired).collect::<Vec<_>>() {
                    if task.sighand.borrow()[sig as usize].handler != SIG_IGN {
                        p.shared_pending.add(sig);
                    }
                }
            }
            ran.instructions += retired.max(1);
            ran.progressed = true;
            match exit {
                CpuExit::BudgetExhausted => break,
                CpuExit::Syscall(gate) => self.syscall(task, gate),
                CpuExit::Fault(fault) => self.fault(task, fault.kind, fault.eip),
            }
            if self.init_status.is_some() {
                break;
            }
        }
        ran
    }

    /// Handles a syscall the task just entered.
    fn syscall(&mut self, task: &mut Task, gate: SyscallGate) {
        let g = task.cpu.state.gpr;
        let mut args = [g[3], g[1], g[2], g[6], g[7], g[5]];
        task.gate = gate;
        if gate == SyscallGate::Sysenter {
            // __kernel_vsyscall pushed the sixth argument (ebp) and pointed ebp at it.
            let mut mm = task.mm.borrow_mut();
            let mut mem = UserMem::new(&mut mm, &mut self.frames);
            args[5] = mem.read_u32(g[EBP]).unwrap_or(0);
            task.cpu.state.eip = task.vdso_base + SYSENTER_RETURN;
        }
        // A sleep restarted after a stop keeps the deadline it had.
        let deadline = match task.restart_sleep.take() {
            Some((nr, d)) if nr == g[EAX] => Some(d),
            _ => None,
        };
        let call = Call {
            nr: g[EAX],
            args,
            deadline,
        };
        self.update_fs_time();
        let result = self.invoke(task, &call);
        if let Err(SysError::Block(deadline)) = result {
            task.state = TaskState::Parked(Parked {
                nr: call.nr,
                args,
                deadline,
            });
            return;
        }
        self.finish_syscall(task, &call, result);
    }

    fn invoke(&mut self, task: &mut Task, call: &Call) -> syscall::SysResult {
        let result = syscall::dispatch(self, task, call);
        if self.options.strace && !matches!(result, Err(SysError::Block(_))) {
            let name = syscall::name(call.nr);
            let shown = match &result {
                Ok(v) => format!("{:#x}", v),
                Err(SysError::Errno(e)) => format!("-{} ({})", e.0, e.0),
                Err(SysError::Handled) => "(handled)".into(),
                Err(SysError::Block(_)) => unreachable!(),
            };
            let a = call.args;
            let path = self.traced_path(task, name, &a);
            self.log(&format!(
                "[{}] {name}({:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}){path} = {shown}",
                task.tid, a[0], a[1], a[2], a[3], a[4], a[5]
            ));
        }
        result
    }

    /// For the trace: the path argument of calls that take one, as ` "path"`.
    fn traced_path(&mut self, task: &Task, name: &str, a: &[u32; 6]) -> String {
        let at = match name {
            "open" | "execve" | "stat64" | "lstat64" | "access" | "readlink" | "chdir"
            | "mkdir" | "unlink" | "rmdir" | "creat" | "truncate64" | "statfs64" => a[0],
            "openat" | "fstatat64" | "statx" | "faccessat" | "faccessat2" | "readlinkat"
            | "mkdirat" | "unlinkat" => a[1],
            _ => return String::new(),
        };
        let mut mm = task.mm.borrow_mut();
        let mut mem = UserMem::new(&mut mm, &mut self.frames);
        match mem.read_cstr(at, 4096) {
            Ok(p) => format!(" \"{}\"", String::from_utf8_lossy(&p)),
            Err(_) => String::new(),
        }
    }

    fn finish_syscall(&mut self, task: &mut Task, call: &Call, result: syscall::SysResult) {
        task.io_progress = 0;
        match result {
            Ok(v) => task.cpu.state.gpr[EAX] = v,
            Err(SysError::Errno(e)) if e == Errno::ERESTARTSYS => {
                self.restart_or_eintr(task, call.nr, call.args[5]);
            }
            Err(SysError::Errno(e)) => task.cpu.state.gpr[EAX] = (-e.0) as u32,
            Err(SysError::Handled) | Err(SysError::Block(_)) => {}
        }
    }

    /// An interrupted call: restart it (after the handler, if `SA_RESTART`) or fail it
    /// with `EINTR`.
    fn restart_or_eintr(&mut self, task: &mut Task, nr: u32, arg6: u32) {
        let sig = self.next_signal(task);
        let restart = match sig {
            Some(s) => {
                let a = task.sighand.borrow()[s as usize];
                a.handler == SIG_DFL || a.flags & signal::SA_RESTART != 0
            }
            None => true,
        };
        if restart {
            task.cpu.state.gpr[EAX] = nr;
            task.cpu.state.gpr[EBP] = if task.gate == SyscallGate::Sysenter {
                arg6
            } else {
                task.cpu.state.gpr[EBP]
            };
            task.cpu.state.eip = task.cpu.state.eip.wrapping_sub(2);
        } else {
            task.cpu.state.gpr[EAX] = (-Errno::EINTR.0) as u32;
        }
    }

    /// Ends a parked wait if a signal is deliverable. Returns whether it did.
    fn interrupt_wait(&mut self, task: &mut Task, parked: Parked) -> bool {
        let Some(sig) = self.next_signal(task) else {
            return false;
        };
        task.state = TaskState::Runnable;
        if let Some(sleep) = syscall::time::Sleep::of(&parked) {
            let handler = task.sighand.borrow()[sig as usize].handler;
            if handler == SIG_DFL || handler == SIG_IGN {
                // No handler runs: the sleep goes on after the stop, to the same end.
                task.restart_sleep = parked.deadline.map(|d| (parked.nr, d));
                self.restart_or_eintr(task, parked.nr, parked.args[5]);
            } else {
                // A handler runs: EINTR, and a relative sleep reports what was left.
                let now = self.platform.clock.monotonic_ns();
                let left = parked.deadline.map_or(0, |d| d.saturating_sub(now));
                let mut mm = task.mm.borrow_mut();
                let mut mem = UserMem::new(&mut mm, &mut self.frames);
                let written = sleep.write_remaining(&mut mem, left);
                drop(mm);
                task.cpu.state.gpr[EAX] = match written {
                    Ok(()) => (-Errno::EINTR.0) as u32,
                    Err(e) => (-e.0) as u32,
                };
            }
            return true;
        }
        let restartable = syscall::restartable(parked.nr);
        if task.io_progress > 0 {
            // A partial transfer ends with its count, as on Linux.
            task.cpu.state.gpr[EAX] = std::mem::take(&mut task.io_progress) as u32;
        } else if restartable {
            self.restart_or_eintr(task, parked.nr, parked.args[5]);
        } else {
            task.cpu.state.gpr[EAX] = (-Errno::EINTR.0) as u32;
        }
        true
    }

    /// The lowest pending, unblocked signal (thread's own first, then the process's).
    fn next_signal(&self, task: &Task) -> Option<u32> {
        let blocked = task.sigmask.blockable().0;
        let own = task.pending.0 & !blocked;
        if own != 0 {
            return SigSet(own).first();
        }
        let shared = task.process.borrow().shared_pending.0 & !blocked;
        SigSet(shared).first()
    }

    /// Delivers pending signals before returning to user mode. Returns false if the
    /// task stopped being runnable (killed).
    fn deliver_signals(&mut self, task: &mut Task) -> bool {
        while let Some(sig) = self.next_signal(task) {
            let info = task.take_signal(sig);
            let action = task.sighand.borrow()[sig as usize];
            match action.handler {
                SIG_IGN => continue,
                SIG_DFL => match signal::default_action(sig) {
                    DefaultAction::Ignore | DefaultAction::Continue => continue,
                    DefaultAction::Stop => {
                        // A terminal's stop signals do nothing to an orphaned group:
                        // nobody would be left to continue it (SIGSTOP still stops).
                        let pgid = task.process.borrow().pgid;
                        if sig != signal::SIGSTOP && self.group_is_orphaned(pgid, Some(task)) {
                            continue;
                        }
                        self.stop_process(task, sig);
                        return false;
                    }
                    DefaultAction::Terminate | DefaultAction::CoreDump => {
                        self.exit_group(task, signal::killed_status(sig));
                        return false;
                    }
                },
                _ => {
                    let saved_mask = task.saved_mask.take().unwrap_or(task.sigmask);
                    let delivery = frame::Delivery {
                        sig,
                        action: &action,
                        blocked: task.sigmask,
                        saved_mask,
                        altstack: task.altstack,
                        vdso_base: task.vdso_base,
                        info: &info,
                        trap: task.trap,
                    };
                    let delivered = {
                        let mut mm = task.mm.borrow_mut();
                        let mut mem = UserMem::new(&mut mm, &mut self.frames);
                        frame::setup_rt_frame(&mut task.cpu.state, &mut mem, &delivery)
                    };
                    let Ok(delivered) = delivered else {
                        self.exit_group(task, signal::killed_status(signal::SIGSEGV));
                        return false;
                    };
                    task.sigmask = delivered.blocked.blockable();
                    if delivered.reset_handler {
                        task.sighand.borrow_mut()[sig as usize] = Default::default();
                    }
                    if delivered.disarm_altstack {
                        task.altstack = (0, 0, 2);
                    }
                }
            }
        }
        if let Some(mask) = task.saved_mask.take() {
            task.sigmask = mask;
        }
        true
    }

    /// A CPU exception becomes a signal.
    fn fault(&mut self, task: &mut Task, kind: FaultKind, eip: u32) {
        let cause = match kind {
            FaultKind::PageFault(f) if task.mm.borrow().space.find_vma(f.addr.0).is_some() => {
                // The address space knows why: ask it again.
                let access = match f.access {
                    crate::cpu::Access::Read => crate::mm::Access::Read,
                    crate::cpu::Access::Write => crate::mm::Access::Write,
                    crate::cpu::Access::Execute => crate::mm::Access::Execute,
                };
                let again =
                    task.mm
                        .borrow_mut()
                        .space
                        .translate(&mut self.frames, f.addr.0, access);
                match again.map_err(|e| e.reason) {
                    Err(FaultReason::BeyondEndOfFile | FaultReason::NoMemoryOrIo) => {
                        PageFaultCause::BusError
                    }
                    _ => PageFaultCause::Protection,
                }
            }
            _ => PageFaultCause::NotMapped,
        };
        let info = signal_for_fault(kind, eip, cause, &mut task.trap);
        let sig = info.signo;
        if self.options.strace {
            let mut bytes = [0u8; 8];
            {
                let mut mm = task.mm.borrow_mut();
                let mut mem = UserMem::new(&mut mm, &mut self.frames);
                let _ = mem.read(eip, &mut bytes);
            }
            let line = format!(
                "[{}] fault {kind} at eip {eip:#x} (bytes {})",
                task.tid,
                bytes
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            self.log(&line);
        }
        let action = task.sighand.borrow()[sig as usize];
        if action.handler == SIG_DFL || action.handler == SIG_IGN || task.sigmask.has(sig) {
            self.exit_group(task, signal::killed_status(sig));
        } else {
            task.pending_info.post(&mut task.pending, sig, Some(info));
        }
    }

    /// Sends `sig` to a whole process (`kill`), from `current`.
    pub fn signal_process(&mut self, pid: Tid, sig: u32, current: &mut Task) {
        let info = {
            let p = current.process.borrow();
            SigInfo::kill(sig, 0, p.pid as i32, p.uid) // SI_USER
        };
        self.signal_process_with(pid, sig, info, current);
    }

    /// Sends `sig` with `info` to a whole process, from `current`. False if it could not
    /// be queued (a full real-time queue).
    pub fn signal_process_with(
        &mut self,
        pid: Tid,
        sig: u32,
        info: SigInfo,
        current: &mut Task,
    ) -> bool {
        if current.pid() == pid {
            return self.queue_signal(current, sig, true, Some(info));
        }
        if let Some(t) = self.tasks.get(&pid) {
            let process = t.process.clone();
            if Self::continue_or_stop_effects(&process, sig) {
                let (ppid, cpid) = {
                    let p = process.borrow();
                    (p.ppid, p.pid)
                };
                self.notify_parent(ppid, cpid, 6, signal::SIGCONT); // CLD_CONTINUED
            }
        }
        let Some(t) = self.tasks.get_mut(&pid) else {
            return true;
        };
        if discards(t, sig) {
            return true;
        }
        let queued = {
            let mut p = t.process.borrow_mut();
            let p = &mut *p;
            p.shared_info.post(&mut p.shared_pending, sig, Some(info))
        };
        if sig == signal::SIGKILL {
            t.process.borrow_mut().exiting = Some(signal::killed_status(sig));
        }
        queued
    }

    /// Queues `sig` on `task` (or its process when `process`), with its `siginfo` (a
    /// kernel-sent signal's when `None`). False if a real-time queue was full.
    pub fn queue_signal(
        &mut self,
        task: &mut Task,
        sig: u32,
        process: bool,
        info: Option<SigInfo>,
    ) -> bool {
        Self::continue_or_stop_effects(&task.process, sig);
        if discards(task, sig) {
            return true;
        }
        if process {
            let mut p = task.process.borrow_mut();
            let p = &mut *p;
            p.shared_info.post(&mut p.shared_pending, sig, info)
        } else {
            task.pending_info.post(&mut task.pending, sig, info)
        }
    }

    /// Stops the process of `task` (a stop signal's default action) and tells the parent.
    fn stop_process(&mut self, task: &mut Task, sig: u32) {
        let (ppid, pid) = {
            let mut p = task.process.borrow_mut();
            p.stopped = true;
            p.stop_report = Some(sig);
            (p.ppid, p.pid)
        };
        self.notify_parent(ppid, pid, 5, sig); // CLD_STOPPED
    }

    /// Queues SIGCHLD with `code` (CLD_*) for the parent unless it ignores it or asked
    /// for no stop notices (`SA_NOCLDSTOP`).
    pub(crate) fn notify_parent(&mut self, ppid: Tid, pid: Tid, code: i32, value: u32) {
        const SA_NOCLDSTOP: u32 = 1;
        if let Some(parent) = self.tasks.get_mut(&ppid) {
            let a = parent.sighand.borrow()[signal::SIGCHLD as usize];
            if discards(parent, signal::SIGCHLD) || a.flags & SA_NOCLDSTOP != 0 {
                return;
            }
            let info = SigInfo::chld(code, pid as i32, 0, value as i32, 0, 0);
            let mut p = parent.process.borrow_mut();
            let p = &mut *p;
            p.shared_info
                .post(&mut p.shared_pending, signal::SIGCHLD, Some(info));
        }
    }

    /// SIGCONT's effect at sending time: a stopped process runs again (whatever the
    /// handler), pending stop signals are dropped; a stop signal drops a pending
    /// SIGCONT. Returns true when the process was continued.
    pub(crate) fn continue_or_stop_effects(
        process: &std::cell::RefCell<super::task::Process>,
        sig: u32,
    ) -> bool {
        let mut p = process.borrow_mut();
        match sig {
            signal::SIGCONT => {
                for s in [
                    signal::SIGSTOP,
                    signal::SIGTSTP,
                    signal::SIGTTIN,
                    signal::SIGTTOU,
                ] {
                    p.shared_pending.remove(s);
                }
                if p.stopped {
                    p.stopped = false;
                    p.stop_report = Some(signal::SIGCONT);
                    return true;
                }
                false
            }
            signal::SIGSTOP | signal::SIGTSTP | signal::SIGTTIN | signal::SIGTTOU => {
                p.shared_pending.remove(signal::SIGCONT);
                false
            }
            _ => false,
        }
    }

    /// POSIX's rule for a process group that has just become orphaned (no member has a
    /// parent in the same session but another group) while one of its members is
    /// stopped: every member gets SIGHUP, then SIGCONT, so no job stays stopped with
    /// nobody left to continue it.
    fn hang_up_orphaned_group(&mut self, pgid: Tid) {
        let members: Vec<Tid> = self
            .tasks
            .values()
            .filter(|t| t.is_leader() && t.process.borrow().pgid == pgid)
            .map(|t| t.tid)
            .collect();
        if members.is_empty() || !self.group_is_orphaned(pgid, None) {
            return;
        }
        let stopped = members.iter().any(|&m| {
            self.tasks
                .get(&m)
                .is_some_and(|t| t.process.borrow().stopped)
        });
        if !stopped {
            return;
        }
        for m in members {
            for sig in [signal::SIGHUP, signal::SIGCONT] {
                if let Some(mut task) = self.tasks.remove(&m) {
                    self.queue_signal(&mut task, sig, true, None);
                    self.tasks.insert(m, task);
                }
            }
        }
    }

    /// Whether process group `pgid` is orphaned: no member has a parent in the same
    /// session but another group. `current` is the running task, which is out of the
    /// task table while it runs. A process init adopted anchors nothing (see
    /// `Process::reparented`); init's own group counts as anchored, as a command started
    /// from a shell is (init stands for the user's command, whose shell is outside).
    fn group_is_orphaned(&self, pgid: Tid, current: Option<&Task>) -> bool {
        let process_of = |pid: Tid| match current {
            Some(c) if c.pid() == pid => Some(c.process.clone()),
            _ => self
                .tasks
                .get(&pid)
                .filter(|t| t.is_leader())
                .map(|t| t.process.clone()),
        };
        let members = self
            .tasks
            .values()
            .chain(current)
            .map(|t| t.process.clone())
            .filter(|p| p.borrow().pgid == pgid);
        for member in members {
            let p = member.borrow();
            if p.pid == self.init_pid {
                return false;
            }
            if p.reparented {
                continue;
            }
            let anchored = process_of(p.ppid).is_some_and(|parent| {
                let parent = parent.borrow();
                parent.sid == p.sid && parent.pgid != pgid
            });
            if anchored {
                return false;
            }
        }
        true
    }

    /// Ends the whole process of `task` with wait status `status`.
    pub fn exit_group(&mut self, task: &mut Task, status: u32) {
        let process = task.process.clone();
        if process.borrow().exiting.is_none() {
            process.borrow_mut().exiting = Some(status);
        }
        task.state = TaskState::Dead;
    }

    /// Removes a dead task: clears its child tid, and if it was the last thread, makes
    /// its process a zombie for the parent and tells the parent.
    fn reap(&mut self, mut task: Task) {
        let tid = task.tid;
        self.exit_robust_list(&mut task);
        if task.clear_child_tid != 0 {
            let addr = task.clear_child_tid;
            {
                let mut mm = task.mm.borrow_mut();
                let mut mem = UserMem::new(&mut mm, &mut self.frames);
                let _ = mem.write_u32(addr, 0);
            }
            syscall::futex::wake(self, &task.mm, addr, 1, u32::MAX);
        }
        let last = {
            let mut p = task.process.borrow_mut();
            p.threads.retain(|&t| t != tid);
            p.threads.is_empty()
        };
        release_mm(self, &task);
        wake_vfork_parent(self, tid);
        if !last {
            return;
        }
        let (pid, ppid, pgid, status, exit_signal, cpu_ns) = {
            let p = task.process.borrow();
            (
                p.pid,
                p.ppid,
                p.pgid,
                p.exiting.unwrap_or(0),
                p.exit_signal,
                p.cpu_ns.saturating_add(p.children_cpu_ns),
            )
        };
        drop(task);
        super::ipc::process_exit(self, pid);
        // Its record locks go with it (its open files' locks when they close).
        self.locks
            .release_all(crate::kernel::locks::Owner::Process(pid));
        self.locks.prune();
        if pid == self.init_pid {
            self.init_status = Some(status);
            return;
        }
        // Orphans go to init.
        let mut adopted_groups = Vec::new();
        for t in self.tasks.values() {
            let mut p = t.process.borrow_mut();
            if p.ppid == pid {
                p.ppid = self.init_pid;
                p.reparented = true;
                adopted_groups.push(p.pgid);
            }
        }
        // Groups this exit orphaned get SIGHUP and SIGCONT if they have a stopped job.
        adopted_groups.push(pgid);
        adopted_groups.sort_unstable();
        adopted_groups.dedup();
        for group in adopted_groups {
            self.hang_up_orphaned_group(group);
        }
        for z in self.zombies.values_mut() {
            if z.ppid == pid {
                z.ppid = self.init_pid;
            }
        }
        let parent_ignores = self
            .tasks
            .get(&ppid)
            .is_some_and(|t| t.sighand.borrow()[signal::SIGCHLD as usize].handler == SIG_IGN);
        if !parent_ignores {
            self.zombies.insert(
                pid,
                Zombie {
                    ppid,
                    pgid,
                    status,
                    cpu_ns,
                },
            );
        }
        if exit_signal != 0 {
            if let Some(parent) = self.tasks.get_mut(&ppid) {
                if !discards(parent, exit_signal) {
                    let (code, value) = if status & 0x7f == 0 {
                        (1, (status >> 8) & 0xff) // CLD_EXITED
                    } else if status & 0x80 != 0 {
                        (3, status & 0x7f) // CLD_DUMPED
                    } else {
                        (2, status & 0x7f) // CLD_KILLED
                    };
                    let info = SigInfo::chld(code, pid as i32, 0, value as i32, 0, 0);
                    let mut p = parent.process.borrow_mut();
                    let p = &mut *p;
                    p.shared_info
                        .post(&mut p.shared_pending, exit_signal, Some(info));
                }
            }
        }
    }
}

#[derive(Default)]
struct Ran {
    instructions: u64,
    progressed: bool,
}

/// Linux drops a signal when it is sent if the target ignores it (explicitly, or by its
/// default action) and does not block it; a blocked one stays pending (for `signalfd`,
/// `sigwait`, or a later handler).
pub(crate) fn discards(t: &Task, sig: u32) -> bool {
    if sig == signal::SIGKILL || sig == signal::SIGSTOP {
        return false;
    }
    let a = t.sighand.borrow()[sig as usize];
    let ignored = a.handler == SIG_IGN
        || (a.handler == SIG_DFL && signal::default_action(sig) == DefaultAction::Ignore);
    ignored && !t.sigmask.has(sig)
}
