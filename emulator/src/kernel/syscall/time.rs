//! Time syscalls: `clock_gettime` (and `*_time64`), `gettimeofday`, `time`, `times`,
//! `getrusage`, sleeps (`nanosleep`, `clock_nanosleep`) that park the task until a
//! deadline, `alarm` and the interval timers (`setitimer`: `ITIMER_REAL` on the
//! monotonic clock, `ITIMER_VIRTUAL` and `ITIMER_PROF` on the process's CPU time).
//!
//! CPU time is counted in guest instructions, 1 ns each: a thread's own count for
//! `CLOCK_THREAD_CPUTIME_ID`, the sum over the process's threads for
//! `CLOCK_PROCESS_CPUTIME_ID`, `getrusage` and `times`.

use super::{mem, Call, SysError, SysResult};
use crate::kernel::abi::{Rusage, Timespec32, Timespec64, Timeval32, Tms};
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::task::Task;
use crate::kernel::Kernel;

const CLOCK_REALTIME: u32 = 0;
const TIMER_ABSTIME: u32 = 1;

/// Nanoseconds on `clock`.
fn now(k: &Kernel, t: &Task, clock: u32) -> KResult<u64> {
    match clock {
        0 | 5 | 8 | 11 => Ok(k.platform.clock.realtime_ns()), // REALTIME(_COARSE/_ALARM), TAI
        1 | 4 | 6 | 7 | 9 => Ok(k.platform.clock.monotonic_ns()), // MONOTONIC*, BOOTTIME*
        2 => Ok(t.process.borrow().cpu_ns),                   // PROCESS_CPUTIME_ID
        3 => Ok(t.cpu.state.instructions_retired),            // THREAD_CPUTIME_ID
        _ => Err(Errno::EINVAL),
    }
}

pub fn clock_gettime(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let ns = now(k, t, c.arg(0))?;
    let ts = Timespec32 {
        sec: (ns / 1_000_000_000) as i32,
        nsec: (ns % 1_000_000_000) as i32,
    };
    mem(k, t, |m| m.write_obj(c.arg(1), &ts))?;
    Ok(0)
}

pub fn clock_gettime64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let ns = now(k, t, c.arg(0))?;
    let ts = Timespec64 {
        sec: (ns / 1_000_000_000) as i64,
        nsec: (ns % 1_000_000_000) as i64,
    };
    mem(k, t, |m| m.write_obj(c.arg(1), &ts))?;
    Ok(0)
}

pub fn clock_getres(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    now(k, t, c.arg(0))?;
    if c.arg(1) != 0 {
        mem(k, t, |m| {
            m.write_obj(c.arg(1), &Timespec32 { sec: 0, nsec: 1 })
        })?;
    }
    Ok(0)
}

pub fn clock_getres64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    now(k, t, c.arg(0))?;
    if c.arg(1) != 0 {
        mem(k, t, |m| {
            m.write_obj(c.arg(1), &Timespec64 { sec: 0, nsec: 1 })
        })?;
    }
    Ok(0)
}

pub fn gettimeofday(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let ns = k.platform.clock.realtime_ns();
    if c.arg(0) != 0 {
        let tv = Timeval32 {
            sec: (ns / 1_000_000_000) as i32,
            usec: ((ns / 1000) % 1_000_000) as i32,
        };
        mem(k, t, |m| m.write_obj(c.arg(0), &tv))?;
    }
    if c.arg(1) != 0 {
        mem(k, t, |m| m.write_obj(c.arg(1), &[0u32; 2]))?;
    }
    Ok(0)
}

pub fn time(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let secs = (k.platform.clock.realtime_ns() / 1_000_000_000) as u32;
    if c.arg(0) != 0 {
        mem(k, t, |m| m.write_u32(c.arg(0), secs))?;
    }
    Ok(secs)
}

pub fn times(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (own, children) = {
        let p = t.process.borrow();
        (p.cpu_ns, p.children_cpu_ns)
    };
    let ticks = |ns: u64| (ns / 10_000_000) as u32;
    if c.arg(0) != 0 {
        let tms = Tms {
            utime: ticks(own),
            cutime: ticks(children),
            ..Tms::default()
        };
        mem(k, t, |m| m.write_obj(c.arg(0), &tms))?;
    }
    Ok((k.uptime_ns() / 10_000_000) as u32)
}

const RUSAGE_SELF: i32 = 0;
const RUSAGE_CHILDREN: i32 = -1;
const RUSAGE_THREAD: i32 = 1;

pub fn getrusage(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let ns = match c.int(0) {
        RUSAGE_SELF => t.process.borrow().cpu_ns,
        RUSAGE_CHILDREN => t.process.borrow().children_cpu_ns,
        RUSAGE_THREAD => t.cpu.state.instructions_retired,
        _ => return Err(Errno::EINVAL.into()),
    };
    let us = ns / 1000;
    let r = Rusage {
        utime: Timeval32 {
            sec: (us / 1_000_000) as i32,
            usec: (us % 1_000_000) as i32,
        },
        ..Rusage::default()
    };
    mem(k, t, |m| m.write_obj(c.arg(1), &r))?;
    Ok(0)
}

/// A parked sleep, as the scheduler needs it when a signal interrupts it: where its
/// remaining time goes (`rem`), if anywhere.
pub struct Sleep {
    /// Address of the `rem` timespec (0: none, or an absolute sleep).
    rem: u32,
    wide: bool,
}

impl Sleep {
    /// The sleep `parked` is, if it is one.
    pub fn of(parked: &crate::kernel::task::Parked) -> Option<Sleep> {
        use super::names::nr;
        let a = parked.args;
        let (rem, wide) = match parked.nr {
            nr::NANOSLEEP => (a[1], false),
            nr::CLOCK_NANOSLEEP | nr::CLOCK_NANOSLEEP_TIME64 => (
                if a[1] & TIMER_ABSTIME != 0 { 0 } else { a[3] },
                parked.nr == nr::CLOCK_NANOSLEEP_TIME64,
            ),
            _ => return None,
        };
        Some(Sleep { rem, wide })
    }

    /// Writes `left` ns to `rem` (nothing when there is none).
    pub fn write_remaining(
        &self,
        mem: &mut crate::kernel::memory::UserMem,
        left: u64,
    ) -> KResult<()> {
        if self.rem == 0 {
            return Ok(());
        }
        let (sec, nsec) = (left / 1_000_000_000, left % 1_000_000_000);
        if self.wide {
            let ts = Timespec64 {
                sec: sec as i64,
                nsec: nsec as i64,
            };
            mem.write_obj(self.rem, &ts)
        } else {
            let ts = Timespec32 {
                sec: sec.min(i32::MAX as u64) as i32,
                nsec: nsec as i32,
            };
            mem.write_obj(self.rem, &ts)
        }
    }
}

/// Parks until the monotonic `deadline`.
fn sleep_until(k: &Kernel, deadline: u64) -> SysResult {
    if k.platform.clock.monotonic_ns() >= deadline {
        Ok(0)
    } else {
        Err(SysError::Block(Some(deadline)))
    }
}

pub(crate) fn read_ts(k: &mut Kernel, t: &Task, addr: u32, wide: bool) -> KResult<u64> {
    let (sec, nsec) = if wide {
        let ts: Timespec64 = mem(k, t, |m| m.read_obj(addr))?;
        (ts.sec, ts.nsec)
    } else {
        let ts: Timespec32 = mem(k, t, |m| m.read_obj(addr))?;
        (i64::from(ts.sec), i64::from(ts.nsec))
    };
    if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
        return Err(Errno::EINVAL);
    }
    Ok((sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(nsec as u64))
}

fn relative_sleep(k: &mut Kernel, t: &Task, c: &Call, addr: u32, wide: bool) -> SysResult {
    let deadline = match c.deadline {
        Some(d) => d,
        None => {
            let ns = read_ts(k, t, addr, wide)?;
            k.platform.clock.monotonic_ns().saturating_add(ns)
        }
    };
    sleep_until(k, deadline)
}

pub fn nanosleep(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    relative_sleep(k, t, c, c.arg(0), false)
}

fn clock_sleep(k: &mut Kernel, t: &mut Task, c: &Call, wide: bool) -> SysResult {
    if c.arg(1) & TIMER_ABSTIME == 0 {
        now(k, t, c.arg(0))?;
        return relative_sleep(k, t, c, c.arg(2), wide);
    }
    let deadline = match c.deadline {
        Some(d) => d,
        None => {
            let target = read_ts(k, t, c.arg(2), wide)?;
            let clock_now = now(k, t, c.arg(0))?;
            let mono = k.platform.clock.monotonic_ns();
            if c.arg(0) == CLOCK_REALTIME {
                mono.saturating_add(target.saturating_sub(clock_now))
            } else {
                target
            }
        }
    };
    sleep_until(k, deadline)
}

pub fn clock_nanosleep(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    clock_sleep(k, t, c, false)
}

pub fn clock_nanosleep64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    clock_sleep(k, t, c, true)
}

/// Arms `ITIMER_REAL`; returns what was left of the previous timer (ns).
fn arm(k: &Kernel, t: &Task, value_ns: u64, interval_ns: u64) -> (u64, u64) {
    let now = k.platform.clock.monotonic_ns();
    let mut p = t.process.borrow_mut();
    let left = p.alarm.map_or(0, |d| d.saturating_sub(now));
    let old_interval = p.alarm_interval;
    p.alarm = (value_ns > 0).then(|| now.saturating_add(value_ns));
    p.alarm_interval = if value_ns > 0 { interval_ns } else { 0 };
    (left, old_interval)
}

pub fn alarm(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (left, _) = arm(k, t, u64::from(c.arg(0)) * 1_000_000_000, 0);
    Ok(left.div_ceil(1_000_000_000) as u32)
}

fn timeval_ns(tv: Timeval32) -> KResult<u64> {
    if tv.sec < 0 || !(0..1_000_000).contains(&tv.usec) {
        return Err(Errno::EINVAL);
    }
    Ok(tv.sec as u64 * 1_000_000_000 + tv.usec as u64 * 1000)
}

/// The time left of interval timer `which` as a timeval. A CPU-time one is rounded up:
/// Linux samples process CPU time at ticks, so a timer just armed still shows its whole
/// first period, where ours has already counted the instructions since.
fn time_left_timeval(which: u32, ns: u64) -> Timeval32 {
    match which {
        ITIMER_REAL => ns_timeval(ns),
        _ => ns_timeval(ns.div_ceil(1000) * 1000),
    }
}

fn ns_timeval(ns: u64) -> Timeval32 {
    Timeval32 {
        sec: (ns / 1_000_000_000) as i32,
        usec: ((ns / 1000) % 1_000_000) as i32,
    }
}

const ITIMER_REAL: u32 = 0;
const ITIMER_VIRTUAL: u32 = 1;
const ITIMER_PROF: u32 = 2;

/// One scheduler tick of Debian's kernels (`CONFIG_HZ=250`). Linux adds it to the first
/// period of a CPU-time itimer, and reports it as the time left of one that has
/// expired but not yet signalled.
const TICK_NS: u64 = 4_000_000;

/// The time left of a CPU-time timer due at `due` when the process has used `now`.
fn cpu_time_left(due: Option<u64>, now: u64) -> u64 {
    due.map_or(0, |d| if d > now { d - now } else { TICK_NS })
}

/// Arms the CPU-time timer `which` (1 virtual, 2 prof); returns its previous
/// (time left, interval).
fn arm_cpu_timer(t: &Task, which: u32, value_ns: u64, interval_ns: u64) -> (u64, u64) {
    let mut p = t.process.borrow_mut();
    let now = p.cpu_ns;
    let timer = &mut p.cpu_timers[which as usize - 1];
    let old = (cpu_time_left(timer.due, now), timer.interval);
    timer.due = (value_ns > 0).then(|| now.saturating_add(value_ns).saturating_add(TICK_NS));
    timer.interval = if value_ns > 0 { interval_ns } else { 0 };
    old
}

/// The (time left, interval) of interval timer `which`.
fn itimer_state(k: &Kernel, t: &Task, which: u32) -> (u64, u64) {
    let p = t.process.borrow();
    match which {
        ITIMER_REAL => {
            let now = k.platform.clock.monotonic_ns();
            (
                p.alarm.map_or(0, |d| d.saturating_sub(now)),
                p.alarm_interval,
            )
        }
        _ => {
            let timer = p.cpu_timers[which as usize - 1];
            (cpu_time_left(timer.due, p.cpu_ns), timer.interval)
        }
    }
}

pub fn setitimer(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let which = c.arg(0);
    if !matches!(which, ITIMER_REAL | ITIMER_VIRTUAL | ITIMER_PROF) {
        return Err(Errno::EINVAL.into());
    }
    let (value, interval) = if c.arg(1) == 0 {
        (0, 0)
    } else {
        let v: [Timeval32; 2] = mem(k, t, |m| m.read_obj(c.arg(1)))?;
        (timeval_ns(v[1])?, timeval_ns(v[0])?)
    };
    let (left, old_interval) = match which {
        ITIMER_REAL => arm(k, t, value, interval),
        _ => arm_cpu_timer(t, which, value, interval),
    };
    if c.arg(2) != 0 {
        let old = [ns_timeval(old_interval), time_left_timeval(which, left)];
        mem(k, t, |m| m.write_obj(c.arg(2), &old))?;
    }
    Ok(0)
}

pub fn getitimer(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let which = c.arg(0);
    if !matches!(which, ITIMER_REAL | ITIMER_VIRTUAL | ITIMER_PROF) {
        return Err(Errno::EINVAL.into());
    }
    let (left, interval) = itimer_state(k, t, which);
    mem(k, t, |m| {
        m.write_obj(
            c.arg(1),
            &[ns_timeval(interval), time_left_timeval(which, left)],
        )
    })?;
    Ok(0)
}
