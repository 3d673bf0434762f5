//! `timerfd`: a timer read through a descriptor. Expirations are counted lazily against
//! the platform clock whenever the timer is read, polled or queried; a task waiting for
//! one asks the scheduler (`Kernel::wake_at`) to be retried when it is due.

use super::errno::{Errno, KResult};
use super::file::{FdEntry, FileKind, OpenFile, O_CLOEXEC, O_NONBLOCK, O_RDWR};
use super::syscall::io::fd_file;
use super::syscall::{mem, Call, SysError, SysResult};
use super::task::Task;
use super::Kernel;
use std::cell::Cell;

const CLOCK_REALTIME: u32 = 0;
const CLOCK_MONOTONIC: u32 = 1;
const CLOCK_BOOTTIME: u32 = 7;
const CLOCK_REALTIME_ALARM: u32 = 8;
const CLOCK_BOOTTIME_ALARM: u32 = 9;
const TFD_TIMER_ABSTIME: u32 = 1;
const TFD_TIMER_CANCEL_ON_SET: u32 = 2;
const NS: u64 = 1_000_000_000;

#[derive(Clone, Copy, Default)]
struct State {
    /// The next expiration, in the timer's clock (ns); `None` when disarmed.
    next: Option<u64>,
    interval: u64,
    /// Expirations not yet read.
    ticks: u64,
    /// Expirations ever counted plus settings made: moves on each wake-up.
    seq: u64,
}

pub struct TimerFd {
    clock: u32,
    state: Cell<State>,
}

impl TimerFd {
    fn realtime(&self) -> bool {
        matches!(self.clock, CLOCK_REALTIME | CLOCK_REALTIME_ALARM)
    }

    fn now(&self, k: &Kernel) -> u64 {
        if self.realtime() {
            k.platform.clock.realtime_ns()
        } else {
            k.platform.clock.monotonic_ns()
        }
    }

    /// Counts the expirations up to now; returns the state.
    fn update(&self, k: &Kernel) -> (State, u64) {
        let now = self.now(k);
        let mut s = self.state.get();
        if let Some(next) = s.next {
            if now >= next {
                let n = match (now - next).checked_div(s.interval) {
                    Some(periods) => {
                        let n = 1 + periods;
                        s.next = Some(next.saturating_add(n.saturating_mul(s.interval)));
                        n
                    }
                    None => {
                        s.next = None;
                        1
                    }
                };
                s.ticks = s.ticks.saturating_add(n);
                s.seq = s.seq.wrapping_add(n);
                self.state.set(s);
            }
        }
        (s, now)
    }

    /// Asks the scheduler to look again when the next expiration is due.
    fn wake_for_next(&self, k: &mut Kernel, s: &State, now: u64) {
        if let Some(next) = s.next {
            let mono = k.platform.clock.monotonic_ns();
            k.wake_at(mono.saturating_add(next.saturating_sub(now)));
        }
    }

    /// Readable: some expiration is unread (else a wake-up is booked for the next).
    pub fn poll(&self, k: &mut Kernel) -> bool {
        let (s, now) = self.update(k);
        if s.ticks == 0 {
            self.wake_for_next(k, &s, now);
        }
        s.ticks > 0
    }

    /// `read`: the number of expirations since the last read, as a u64.
    pub fn read(
        &self,
        k: &mut Kernel,
        buf: &mut [u8],
        nonblocking: bool,
    ) -> Result<usize, SysError> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL.into());
        }
        let (mut s, now) = self.update(k);
        if s.ticks == 0 {
            if nonblocking {
                return Err(Errno::EAGAIN.into());
            }
            self.wake_for_next(k, &s, now);
            return Err(SysError::Block(None));
        }
        buf[..8].copy_from_slice(&s.ticks.to_le_bytes());
        s.ticks = 0;
        self.state.set(s);
        Ok(8)
    }

    pub fn seq(&self) -> u64 {
        self.state.get().seq
    }

    /// (interval, time to the next expiration), in ns.
    fn current(&self, k: &Kernel) -> (u64, u64) {
        let (s, now) = self.update(k);
        (s.interval, s.next.map_or(0, |n| n.saturating_sub(now)))
    }
}

/// `timerfd_create(clockid, flags)`.
pub fn timerfd_create(_k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (clock, flags) = (c.arg(0), c.arg(1));
    if !matches!(
        clock,
        CLOCK_REALTIME
            | CLOCK_MONOTONIC
            | CLOCK_BOOTTIME
            | CLOCK_REALTIME_ALARM
            | CLOCK_BOOTTIME_ALARM
    ) || flags & !(O_NONBLOCK | O_CLOEXEC) != 0
    {
        return Err(Errno::EINVAL.into());
    }
    let tf = TimerFd {
        clock,
        state: Cell::new(State::default()),
    };
    let file = OpenFile::new(
        FileKind::TimerFd(tf),
        None,
        b"anon_inode:[timerfd]".to_vec(),
        O_RDWR | (flags & O_NONBLOCK),
    );
    let cloexec = flags & O_CLOEXEC != 0;
    let fd = t.files.borrow_mut().alloc(0, FdEntry { file, cloexec });
    Ok(fd.ok_or(Errno::EMFILE)?)
}

/// Reads a `struct itimerspec` (32- or 64-bit `time_t`) as (interval, value) in ns.
fn read_spec(k: &mut Kernel, t: &Task, addr: u32, wide: bool) -> KResult<(u64, u64)> {
    let v: [i64; 4] = if wide {
        mem(k, t, |m| m.read_obj(addr))?
    } else {
        let v: [i32; 4] = mem(k, t, |m| m.read_obj(addr))?;
        v.map(i64::from)
    };
    let ns = |sec: i64, nsec: i64| -> KResult<u64> {
        if sec < 0 || !(0..NS as i64).contains(&nsec) {
            return Err(Errno::EINVAL);
        }
        Ok((sec as u64).saturating_mul(NS).saturating_add(nsec as u64))
    };
    Ok((ns(v[0], v[1])?, ns(v[2], v[3])?))
}

fn write_spec(k: &mut Kernel, t: &Task, addr: u32, wide: bool, spec: (u64, u64)) -> KResult<()> {
    let v = [
        (spec.0 / NS) as i64,
        (spec.0 % NS) as i64,
        (spec.1 / NS) as i64,
        (spec.1 % NS) as i64,
    ];
    if wide {
        mem(k, t, |m| m.write_obj(addr, &v))
    } else {
        mem(k, t, |m| m.write_obj(addr, &v.map(|x| x as i32)))
    }
}

fn with_timer<R>(t: &Task, fd: u32, f: impl FnOnce(&TimerFd) -> R) -> KResult<R> {
    let file = fd_file(t, fd)?;
    match &file.kind {
        FileKind::TimerFd(tf) => Ok(f(tf)),
        _ => Err(Errno::EINVAL),
    }
}

fn settime(k: &mut Kernel, t: &mut Task, c: &Call, wide: bool) -> SysResult {
    let (fd, flags, new, old) = (c.arg(0), c.arg(1), c.arg(2), c.arg(3));
    if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0 {
        return Err(Errno::EINVAL.into());
    }
    let (interval, value) = read_spec(k, t, new, wide)?;
    let previous = with_timer(t, fd, |tf| tf.current(k))?;
    if old != 0 {
        write_spec(k, t, old, wide, previous)?;
    }
    with_timer(t, fd, |tf| {
        let now = tf.now(k);
        let mut s = tf.state.get();
        s.ticks = 0;
        s.seq += 1;
        s.interval = interval;
        s.next = match value {
            0 => None,
            v if flags & TFD_TIMER_ABSTIME != 0 => Some(v),
            v => Some(now.saturating_add(v)),
        };
        tf.state.set(s);
    })?;
    Ok(0)
}

fn gettime(k: &mut Kernel, t: &mut Task, c: &Call, wide: bool) -> SysResult {
    let spec = with_timer(t, c.arg(0), |tf| tf.current(k))?;
    write_spec(k, t, c.arg(1), wide, spec)?;
    Ok(0)
}

pub fn timerfd_settime(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    settime(k, t, c, false)
}

pub fn timerfd_settime64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    settime(k, t, c, true)
}

pub fn timerfd_gettime(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    gettime(k, t, c, false)
}

pub fn timerfd_gettime64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    gettime(k, t, c, true)
}
