//! POSIX timer syscalls: `timer_create`, `timer_settime`/`timer_gettime` (and their
//! `_time64` forms), `timer_getoverrun`, `timer_delete`; and `rt_sigtimedwait`, which
//! programs use to take the signals those timers send. The timers themselves live in
//! `kernel::posix_timer`; the scheduler fires them.

use super::{mem, Call, SysError, SysResult};
use crate::kernel::abi::{Timespec32, Timespec64};
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::posix_timer::Notify;
use crate::kernel::signal::{SigSet, SIGALRM};
use crate::kernel::task::Task;
use crate::kernel::Kernel;

const SIGEV_SIGNAL: i32 = 0;
const SIGEV_NONE: i32 = 1;
const SIGEV_THREAD_ID: i32 = 4;
const TIMER_ABSTIME: u32 = 1;
const NSEC: u64 = 1_000_000_000;

/// The clocks a timer may use, as their time base: realtime or monotonic.
fn is_realtime(clock: u32) -> KResult<bool> {
    match clock {
        0 | 11 => Ok(true),         // REALTIME, TAI
        1 | 2 | 3 | 7 => Ok(false), // MONOTONIC, PROCESS/THREAD_CPUTIME, BOOTTIME
        _ => Err(Errno::EINVAL),    // coarse, raw and alarm clocks cannot time
    }
}

/// `timer_create(clock, sevp, timerid)`.
pub fn timer_create(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let clock = c.arg(0);
    is_realtime(clock)?;
    let notify = if c.arg(1) == 0 {
        None
    } else {
        // struct sigevent: sigev_value, sigev_signo, sigev_notify, then `_tid`.
        let ev: [u32; 4] = mem(k, t, |m| m.read_obj(c.arg(1)))?;
        let (value, signo) = (ev[0], ev[1]);
        let signal = |thread| {
            if !(1..=64).contains(&signo) {
                return Err(Errno::EINVAL);
            }
            Ok(Notify::Signal {
                signo,
                value,
                thread,
            })
        };
        Some(match ev[2] as i32 {
            SIGEV_NONE => Notify::Nothing,
            SIGEV_SIGNAL => signal(None)?,
            SIGEV_THREAD_ID => {
                // The thread must belong to the caller's process.
                let tid = ev[3];
                let ours = tid == t.tid || t.process.borrow().threads.contains(&tid);
                if !ours {
                    return Err(Errno::EINVAL.into());
                }
                signal(Some(tid))?
            }
            _ => return Err(Errno::EINVAL.into()),
        })
    };
    let mut p = t.process.borrow_mut();
    let provisional = notify.unwrap_or(Notify::Nothing);
    let id = p.timers.create(clock, provisional).ok_or(Errno::EAGAIN)?;
    drop(p);
    // Without a sigevent: SIGALRM carrying the timer id.
    let notify = notify.unwrap_or(Notify::Signal {
        signo: SIGALRM,
        value: id as u32,
        thread: None,
    });
    t.process.borrow_mut().timers.set_notify(id, notify);
    if let Err(e) = mem(k, t, |m| m.write_obj(c.arg(2), &id)) {
        t.process.borrow_mut().timers.delete(id);
        return Err(e.into());
    }
    Ok(0)
}

fn timer_id(t: &Task, c: &Call) -> KResult<i32> {
    let id = c.int(0);
    if t.process.borrow().timers.get(id).is_some() {
        Ok(id)
    } else {
        Err(Errno::EINVAL)
    }
}

/// An `itimerspec` as (interval, value) in ns, from either layout.
fn read_spec(k: &mut Kernel, t: &Task, addr: u32, wide: bool) -> KResult<(u64, u64)> {
    let (parts, limit): ([(i64, i64); 2], i64) = if wide {
        let s: [Timespec64; 2] = mem(k, t, |m| m.read_obj(addr))?;
        ([(s[0].sec, s[0].nsec), (s[1].sec, s[1].nsec)], i64::MAX)
    } else {
        let s: [Timespec32; 2] = mem(k, t, |m| m.read_obj(addr))?;
        let p = |ts: Timespec32| (i64::from(ts.sec), i64::from(ts.nsec));
        ([p(s[0]), p(s[1])], i64::from(i32::MAX))
    };
    let ns = |(sec, nsec): (i64, i64)| {
        if sec < 0 || sec > limit || !(0..NSEC as i64).contains(&nsec) {
            return Err(Errno::EINVAL);
        }
        Ok((sec as u64)
            .saturating_mul(NSEC)
            .saturating_add(nsec as u64))
    };
    Ok((ns(parts[0])?, ns(parts[1])?))
}

fn write_spec(
    k: &mut Kernel,
    t: &Task,
    addr: u32,
    wide: bool,
    interval: u64,
    value: u64,
) -> KResult<()> {
    if wide {
        let ts = |ns: u64| Timespec64 {
            sec: (ns / NSEC) as i64,
            nsec: (ns % NSEC) as i64,
        };
        mem(k, t, |m| m.write_obj(addr, &[ts(interval), ts(value)]))
    } else {
        let ts = |ns: u64| Timespec32 {
            sec: (ns / NSEC).min(i32::MAX as u64) as i32,
            nsec: (ns % NSEC) as i32,
        };
        mem(k, t, |m| m.write_obj(addr, &[ts(interval), ts(value)]))
    }
}

fn settime(k: &mut Kernel, t: &mut Task, c: &Call, wide: bool) -> SysResult {
    let id = timer_id(t, c)?;
    let flags = c.arg(1);
    if c.arg(2) == 0 {
        return Err(Errno::EINVAL.into());
    }
    let (interval, value) = read_spec(k, t, c.arg(2), wide)?;
    let clock = t.process.borrow().timers.get(id).map_or(1, |tm| tm.clock);
    let now = k.platform.clock.monotonic_ns();
    let due = if value == 0 {
        None
    } else if flags & TIMER_ABSTIME != 0 {
        // An absolute time on the timer's clock, converted to the monotonic base.
        let base = if is_realtime(clock)? {
            k.platform.clock.realtime_ns()
        } else {
            now
        };
        Some(now.saturating_add(value.saturating_sub(base)).max(now))
    } else {
        Some(now.saturating_add(value))
    };
    let (old_due, old_interval) = t
        .process
        .borrow_mut()
        .timers
        .arm(id, due, interval)
        .ok_or(Errno::EINVAL)?;
    if c.arg(3) != 0 {
        let left = old_due.map_or(0, |d| d.saturating_sub(now).max(1));
        write_spec(k, t, c.arg(3), wide, old_interval, left)?;
    }
    Ok(0)
}

pub fn timer_settime(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    settime(k, t, c, false)
}

pub fn timer_settime64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    settime(k, t, c, true)
}

fn gettime(k: &mut Kernel, t: &mut Task, c: &Call, wide: bool) -> SysResult {
    let id = timer_id(t, c)?;
    let now = k.platform.clock.monotonic_ns();
    let (due, interval) = {
        let p = t.process.borrow();
        let tm = p.timers.get(id).ok_or(Errno::EINVAL)?;
        (tm.due, tm.interval)
    };
    // An armed timer never shows zero left (that would read as disarmed).
    let left = due.map_or(0, |d| d.saturating_sub(now).max(1));
    write_spec(k, t, c.arg(1), wide, interval, left)?;
    Ok(0)
}

pub fn timer_gettime(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    gettime(k, t, c, false)
}

pub fn timer_gettime64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    gettime(k, t, c, true)
}

pub fn timer_getoverrun(_k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let id = timer_id(t, c)?;
    let p = t.process.borrow();
    Ok(p.timers.get(id).map_or(0, |tm| tm.last_overrun))
}

pub fn timer_delete(_k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let id = timer_id(t, c)?;
    t.process.borrow_mut().timers.delete(id);
    Ok(0)
}

/// `rt_sigtimedwait(set, info, timeout, sigsetsize)`: takes one pending signal of `set`
/// (the thread's own first), or waits for one until the timeout (EAGAIN).
fn sigtimedwait(k: &mut Kernel, t: &mut Task, c: &Call, wide: bool) -> SysResult {
    if c.arg(3) != 8 {
        return Err(Errno::EINVAL.into());
    }
    let set = SigSet(mem(k, t, |m| m.read_obj::<u64>(c.arg(0)))?).blockable();
    let timeout = if c.arg(2) == 0 {
        None
    } else {
        Some(super::time::read_ts(k, t, c.arg(2), wide)?)
    };
    if let Some((sig, info)) = t.take_first_pending(set.0) {
        if c.arg(1) != 0 {
            let raw = info.to_abi();
            mem(k, t, |m| m.write_obj(c.arg(1), &raw))?;
        }
        return Ok(sig);
    }
    let now = k.platform.clock.monotonic_ns();
    let deadline = c
        .deadline
        .or_else(|| timeout.map(|ns| now.saturating_add(ns)));
    if deadline.is_some_and(|d| now >= d) {
        return Err(Errno::EAGAIN.into());
    }
    Err(SysError::Block(deadline))
}

pub fn rt_sigtimedwait(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    sigtimedwait(k, t, c, false)
}

pub fn rt_sigtimedwait_time64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    sigtimedwait(k, t, c, true)
}
