//! Signal syscalls: actions, masks, `kill`/`tkill`/`tgkill`, `sigreturn`,
//! `rt_sigsuspend`/`pause`, `sigaltstack`.

use super::{mem, Call, SysError, SysResult};
use crate::kernel::errno::Errno;
use crate::kernel::memory::UserMem;
use crate::kernel::signal::{frame, SigAction, SigSet, NSIG, SIGKILL, SIGSTOP};
use crate::kernel::task::{Task, TaskState};
use crate::kernel::Kernel;

fn valid(sig: u32) -> bool {
    (1..NSIG as u32).contains(&sig)
}

pub fn rt_sigaction(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let sig = c.arg(0);
    if !valid(sig) || c.arg(3) != 8 {
        return Err(Errno::EINVAL.into());
    }
    let old = t.sighand.borrow()[sig as usize];
    if c.arg(1) != 0 {
        if sig == SIGKILL || sig == SIGSTOP {
            return Err(Errno::EINVAL.into());
        }
        let new: SigAction = mem(k, t, |m| m.read_obj(c.arg(1)))?;
        t.sighand.borrow_mut()[sig as usize] = SigAction {
            mask: SigSet(new.mask).blockable().0,
            ..new
        };
    }
    if c.arg(2) != 0 {
        mem(k, t, |m| m.write_obj(c.arg(2), &old))?;
    }
    Ok(0)
}

/// The old `sigaction` with a 32-bit mask: {handler, mask, flags, restorer}.
pub fn sigaction(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let sig = c.arg(0);
    if !valid(sig) {
        return Err(Errno::EINVAL.into());
    }
    let old = t.sighand.borrow()[sig as usize];
    if c.arg(1) != 0 {
        let raw: [u32; 4] = mem(k, t, |m| m.read_obj(c.arg(1)))?;
        t.sighand.borrow_mut()[sig as usize] = SigAction {
            handler: raw[0],
            mask: u64::from(raw[1]),
            flags: raw[2],
            restorer: raw[3],
        };
    }
    if c.arg(2) != 0 {
        let raw = [old.handler, old.mask as u32, old.flags, old.restorer];
        mem(k, t, |m| m.write_obj(c.arg(2), &raw))?;
    }
    Ok(0)
}

fn change_mask(t: &mut Task, how: u32, set: SigSet) -> Result<(), Errno> {
    let mut m = t.sigmask;
    match how {
        0 => m.0 |= set.0,
        1 => m.0 &= !set.0,
        2 => m = set,
        _ => return Err(Errno::EINVAL),
    }
    t.sigmask = m.blockable();
    Ok(())
}

pub fn rt_sigprocmask(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    if c.arg(3) != 8 {
        return Err(Errno::EINVAL.into());
    }
    let old = t.sigmask;
    if c.arg(1) != 0 {
        let set: u64 = mem(k, t, |m| m.read_obj(c.arg(1)))?;
        change_mask(t, c.arg(0), SigSet(set))?;
    }
    if c.arg(2) != 0 {
        mem(k, t, |m| m.write_obj(c.arg(2), &old.0))?;
    }
    Ok(0)
}

pub fn sigprocmask(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let old = t.sigmask;
    if c.arg(1) != 0 {
        let set = mem(k, t, |m| m.read_u32(c.arg(1)))?;
        let high = t.sigmask.0 & !0xffff_ffff;
        let set = match c.arg(0) {
            2 => SigSet(u64::from(set) | high),
            _ => SigSet(u64::from(set)),
        };
        change_mask(t, c.arg(0), set)?;
    }
    if c.arg(2) != 0 {
        mem(k, t, |m| m.write_u32(c.arg(2), old.0 as u32))?;
    }
    Ok(0)
}

pub fn rt_sigpending(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let pending = t.pending.0 | t.process.borrow().shared_pending.0;
    mem(k, t, |m| m.write_obj(c.arg(0), &(pending & t.sigmask.0)))?;
    Ok(0)
}

fn sigreturn_with(k: &mut Kernel, t: &mut Task, rt: bool) -> SysResult {
    let result = {
        let mut mm = t.mm.borrow_mut();
        let mut m = UserMem::new(&mut mm, &mut k.frames);
        if rt {
            frame::rt_sigreturn(&mut t.cpu.state, &mut m, &mut t.altstack)
        } else {
            frame::sigreturn(&mut t.cpu.state, &mut m, &mut t.altstack)
        }
    };
    match result {
        Ok(mask) => {
            t.sigmask = mask.blockable();
            Err(SysError::Handled)
        }
        Err(_) => {
            k.exit_group(t, crate::kernel::signal::killed_status(11));
            Err(SysError::Handled)
        }
    }
}

pub fn rt_sigreturn(k: &mut Kernel, t: &mut Task, _c: &Call) -> SysResult {
    sigreturn_with(k, t, true)
}

pub fn sigreturn(k: &mut Kernel, t: &mut Task, _c: &Call) -> SysResult {
    sigreturn_with(k, t, false)
}

/// Waits for a signal with a temporary mask; always ends with `EINTR` when one arrives
/// (the scheduler interrupts the park).
pub fn rt_sigsuspend(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    if !matches!(t.state, TaskState::Parked(_)) {
        let set: u64 = mem(k, t, |m| m.read_obj(c.arg(0)))?;
        t.saved_mask = Some(t.sigmask);
        t.sigmask = SigSet(set).blockable();
    }
    Err(SysError::Block(None))
}

pub fn pause(_k: &mut Kernel, _t: &mut Task, _c: &Call) -> SysResult {
    Err(SysError::Block(None))
}

pub fn sigaltstack(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let old = t.altstack;
    if c.arg(0) != 0 {
        let ss: [u32; 3] = mem(k, t, |m| m.read_obj(c.arg(0)))?;
        t.altstack = (ss[0], ss[2], ss[1]);
    }
    if c.arg(1) != 0 {
        mem(k, t, |m| m.write_obj(c.arg(1), &[old.0, old.2, old.1]))?;
    }
    Ok(0)
}

pub fn kill(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (pid, sig) = (c.int(0), c.arg(1));
    if sig != 0 && !valid(sig) {
        return Err(Errno::EINVAL.into());
    }
    let targets: Vec<u32> = if pid > 0 {
        vec![pid as u32]
    } else {
        let pgid = if pid == 0 {
            t.process.borrow().pgid
        } else if pid == -1 {
            0
        } else {
            pid.unsigned_abs()
        };
        // kill(-1) reaches every process but init and the caller.
        let mut v: Vec<u32> = k
            .tasks
            .values()
            .filter(|o| o.is_leader())
            .filter(|o| pgid == 0 || o.process.borrow().pgid == pgid)
            .filter(|o| !(pid == -1 && o.tid == k.init_pid))
            .map(|o| o.tid)
            .collect();
        if pgid != 0 && t.process.borrow().pgid == pgid {
            v.push(t.pid());
        }
        v
    };
    // ESRCH when nobody is there; EPERM when every one there refused.
    let mut found = false;
    let mut sent = false;
    for target in targets {
        let allowed = if target == t.pid() {
            Some(true)
        } else {
            k.tasks
                .get(&target)
                .filter(|o| o.is_leader())
                .map(|o| t.process.borrow().may_signal(&o.process.borrow(), sig))
        };
        let Some(allowed) = allowed else {
            continue;
        };
        found = true;
        if !allowed {
            continue;
        }
        sent = true;
        if sig != 0 {
            k.signal_process(target, sig, t);
        }
    }
    match (found, sent) {
        (_, true) => Ok(0),
        // kill(-1) does not report the processes it could not signal.
        (true, false) if pid == -1 => Ok(0),
        (true, false) => Err(Errno::EPERM.into()),
        (false, _) => Err(Errno::ESRCH.into()),
    }
}

fn signal_thread(k: &mut Kernel, t: &mut Task, tid: u32, sig: u32) -> SysResult {
    if sig != 0 && !valid(sig) {
        return Err(Errno::EINVAL.into());
    }
    let info = {
        let p = t.process.borrow();
        crate::kernel::sigframe::SigInfo::kill(sig, -6, p.pid as i32, p.uid) // SI_TKILL
    };
    if tid == t.tid {
        if sig != 0 {
            k.queue_signal(t, sig, false, Some(info));
        }
        return Ok(0);
    }
    let mut target = k.tasks.remove(&tid).ok_or(Errno::ESRCH)?;
    let allowed = t.process.borrow().may_signal(&target.process.borrow(), sig);
    if allowed && sig != 0 {
        k.queue_signal(&mut target, sig, false, Some(info));
    }
    k.tasks.insert(tid, target);
    if allowed {
        Ok(0)
    } else {
        Err(Errno::EPERM.into())
    }
}

pub fn tkill(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    signal_thread(k, t, c.arg(0), c.arg(1))
}

pub fn tgkill(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    signal_thread(k, t, c.arg(1), c.arg(2))
}

/// The `siginfo` a program hands to `rt_sigqueueinfo`/`rt_tgsigqueueinfo` for `sig`,
/// read from `addr`: only the fields its layout defines are kept and `si_signo` is
/// `sig`. Another target than the caller (`to_self` false) only takes a negative
/// `si_code` other than `SI_TKILL`: nobody may pretend to be the kernel, `kill` or
/// `tgkill`.
fn user_siginfo(
    k: &mut Kernel,
    t: &mut Task,
    addr: u32,
    sig: u32,
    to_self: bool,
) -> Result<crate::kernel::sigframe::SigInfo, SysError> {
    use crate::kernel::sigframe::{abi, SigInfo};
    let raw: abi::Siginfo = mem(k, t, |m| m.read_obj(addr))?;
    if (raw.si_code >= 0 || raw.si_code == abi::si_code::SI_TKILL) && !to_self {
        return Err(Errno::EPERM.into());
    }
    let mut info = SigInfo::from_abi(&raw);
    info.signo = sig;
    Ok(info)
}

/// `rt_sigqueueinfo(tgid, sig, info)` (what `sigqueue` calls): `sig` with the caller's
/// `siginfo` to a process; `EAGAIN` when its queue of real-time signals is full.
pub fn rt_sigqueueinfo(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (pid, sig) = (c.arg(0), c.arg(1));
    let info = user_siginfo(k, t, c.arg(2), sig, pid == t.pid())?;
    let target = k.tasks.get(&pid).filter(|o| o.is_leader());
    let allowed = target.map(|o| t.process.borrow().may_signal(&o.process.borrow(), sig));
    if c.int(0) <= 0 || (pid != t.pid() && allowed.is_none()) {
        return Err(Errno::ESRCH.into());
    }
    if allowed == Some(false) {
        return Err(Errno::EPERM.into());
    }
    if sig != 0 && !valid(sig) {
        return Err(Errno::EINVAL.into());
    }
    if sig != 0 && !k.signal_process_with(pid, sig, info, t) {
        return Err(Errno::EAGAIN.into());
    }
    Ok(0)
}

/// `rt_tgsigqueueinfo(tgid, tid, sig, info)`: the same for one thread of a process.
pub fn rt_tgsigqueueinfo(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (tgid, tid, sig) = (c.arg(0), c.arg(1), c.arg(2));
    if c.int(0) <= 0 || c.int(1) <= 0 {
        return Err(Errno::EINVAL.into());
    }
    let info = user_siginfo(k, t, c.arg(3), sig, tid == t.tid)?;
    if sig != 0 && !valid(sig) {
        return Err(Errno::EINVAL.into());
    }
    if tid == t.tid {
        if t.pid() != tgid {
            return Err(Errno::ESRCH.into());
        }
        if sig != 0 && !k.queue_signal(t, sig, false, Some(info)) {
            return Err(Errno::EAGAIN.into());
        }
        return Ok(0);
    }
    let mut target = k.tasks.remove(&tid).ok_or(Errno::ESRCH)?;
    let allowed = t.process.borrow().may_signal(&target.process.borrow(), sig);
    let queued = if target.pid() != tgid {
        Err(Errno::ESRCH)
    } else if !allowed {
        Err(Errno::EPERM)
    } else if sig != 0 && !k.queue_signal(&mut target, sig, false, Some(info)) {
        Err(Errno::EAGAIN)
    } else {
        Ok(0)
    };
    k.tasks.insert(tid, target);
    Ok(queued?)
}
