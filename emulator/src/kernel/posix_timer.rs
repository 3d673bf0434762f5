//! POSIX per-process timers (`timer_create` and friends): each process's table of
//! timers, their arming and the expiry arithmetic, including overrun counting.
//!
//! Times are kept on the kernel's monotonic clock; a `CLOCK_REALTIME` absolute expiry
//! is converted when the timer is armed (a later change of the wall clock does not move
//! it). CPU-time clocks run on the monotonic clock here (a guest thread is either
//! running or waiting on the single host thread, so this overstates CPU time).
//! The scheduler asks [`PosixTimers::expire`] on every pass and delivers the signals.

use super::sigframe::abi::si_code::SI_TIMER;
use super::sigframe::{SigFields, SigInfo};
use super::task::{Process, Tid};
use std::collections::BTreeMap;

/// How a timer tells its process it expired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notify {
    /// `SIGEV_NONE`: only `timer_gettime` shows it.
    Nothing,
    /// `SIGEV_SIGNAL` to the process, or `SIGEV_THREAD_ID` to one thread.
    Signal {
        signo: u32,
        value: u32,
        thread: Option<Tid>,
    },
}

/// One timer.
#[derive(Clone, Debug)]
pub struct PosixTimer {
    pub clock: u32,
    pub notify: Notify,
    /// Next expiry (monotonic ns), `None` when disarmed.
    pub due: Option<u64>,
    /// Reload interval in ns (0: one-shot).
    pub interval: u64,
    /// Expirations while its signal was pending, added to `si_overrun` when the signal
    /// is taken (as Linux counts them up to delivery).
    pending_overrun: u64,
    /// The overrun count of the last signal sent (`timer_getoverrun`).
    pub last_overrun: u32,
}

/// A signal a timer wants sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expiry {
    pub id: i32,
    pub signo: u32,
    pub value: u32,
    pub thread: Option<Tid>,
    /// `si_overrun`: expirations beyond the first that this signal stands for.
    pub overrun: u32,
}

/// Most timers one process may have (Linux bounds them by `RLIMIT_SIGPENDING`).
pub const MAX_TIMERS: usize = 4096;

/// Largest value `si_overrun` and `timer_getoverrun` report (`DELAYTIMER_MAX`).
const DELAYTIMER_MAX: u64 = i32::MAX as u64;

/// A process's timers, by id.
#[derive(Clone, Debug, Default)]
pub struct PosixTimers {
    timers: BTreeMap<i32, PosixTimer>,
}

impl PosixTimers {
    /// Adds a disarmed timer; its id, or `None` when the table is full.
    pub fn create(&mut self, clock: u32, notify: Notify) -> Option<i32> {
        if self.timers.len() >= MAX_TIMERS {
            return None;
        }
        // The lowest free id, as Linux hands them out.
        let id = (0..).find(|id| !self.timers.contains_key(id))?;
        self.timers.insert(
            id,
            PosixTimer {
                clock,
                notify,
                due: None,
                interval: 0,
                pending_overrun: 0,
                last_overrun: 0,
            },
        );
        Some(id)
    }

    /// Changes how a timer notifies (`timer_create` learns the id before the default
    /// notification, which carries it).
    pub fn set_notify(&mut self, id: i32, notify: Notify) {
        if let Some(t) = self.timers.get_mut(&id) {
            t.notify = notify;
        }
    }

    pub fn get(&self, id: i32) -> Option<&PosixTimer> {
        self.timers.get(&id)
    }

    pub fn delete(&mut self, id: i32) -> bool {
        self.timers.remove(&id).is_some()
    }

    /// Arms (`due` Some) or disarms a timer; returns the previous (due, interval).
    pub fn arm(&mut self, id: i32, due: Option<u64>, interval: u64) -> Option<(Option<u64>, u64)> {
        let t = self.timers.get_mut(&id)?;
        let old = (t.due, t.interval);
        t.due = due;
        t.interval = if due.is_some() { interval } else { 0 };
        t.pending_overrun = 0;
        Some(old)
    }

    /// The earliest armed expiry.
    pub fn next_due(&self) -> Option<u64> {
        self.timers.values().filter_map(|t| t.due).min()
    }

    /// Advances every timer due at `now`. A signal still pending from an earlier
    /// expiry (`still_pending(signo, thread)`) is not sent again: the expirations are
    /// counted as overruns of the next one, as on Linux.
    pub fn expire(
        &mut self,
        now: u64,
        still_pending: impl Fn(u32, Option<Tid>) -> bool,
    ) -> Vec<Expiry> {
        let mut out = Vec::new();
        for (&id, t) in self.timers.iter_mut() {
            let Some(due) = t.due.filter(|&d| d <= now) else {
                continue;
            };
            let count = match (now - due).checked_div(t.interval) {
                Some(periods) => {
                    let n = periods + 1;
                    t.due = Some(due.saturating_add(n.saturating_mul(t.interval)));
                    n
                }
                None => {
                    t.due = None;
                    1
                }
            };
            let Notify::Signal {
                signo,
                value,
                thread,
            } = t.notify
            else {
                continue;
            };
            if still_pending(signo, thread) {
                t.pending_overrun = t.pending_overrun.saturating_add(count);
                continue;
            }
            let overrun = (t.pending_overrun + count - 1).min(DELAYTIMER_MAX) as u32;
            t.pending_overrun = 0;
            t.last_overrun = overrun;
            out.push(Expiry {
                id,
                signo,
                value,
                thread,
                overrun,
            });
        }
        out
    }
}

/// Completes the `siginfo` of a signal being taken (delivered, `sigtimedwait`,
/// `signalfd`): a POSIX timer's signal gets the expirations that happened while it was
/// pending added to `si_overrun`, which `timer_getoverrun` then reports.
pub fn complete_taken(process: &mut Process, info: &mut SigInfo) {
    if info.code != SI_TIMER {
        return;
    }
    if let SigFields::Timer(t) = &mut info.fields {
        if let Some(timer) = process.timers.timers.get_mut(&t.si_tid) {
            let total = (t.si_overrun.max(0) as u64 + timer.pending_overrun).min(DELAYTIMER_MAX);
            timer.pending_overrun = 0;
            timer.last_overrun = total as u32;
            t.si_overrun = total as i32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: Notify = Notify::Signal {
        signo: 34,
        value: 7,
        thread: None,
    };

    #[test]
    fn ids_are_the_lowest_free_ones() {
        let mut t = PosixTimers::default();
        assert_eq!(t.create(1, SIG), Some(0));
        assert_eq!(t.create(1, SIG), Some(1));
        assert!(t.delete(0));
        assert!(!t.delete(0));
        assert_eq!(t.create(1, SIG), Some(0));
    }

    #[test]
    fn one_shot_fires_once_and_disarms() {
        let mut t = PosixTimers::default();
        let id = t.create(1, SIG).unwrap();
        t.arm(id, Some(100), 0);
        assert!(t.expire(99, |_, _| false).is_empty());
        let e = t.expire(150, |_, _| false);
        assert_eq!(e.len(), 1);
        assert_eq!(
            (e[0].id, e[0].signo, e[0].value, e[0].overrun),
            (id, 34, 7, 0)
        );
        assert_eq!(t.get(id).unwrap().due, None);
        assert!(t.expire(1000, |_, _| false).is_empty());
    }

    #[test]
    fn intervals_count_missed_periods_as_overruns() {
        let mut t = PosixTimers::default();
        let id = t.create(1, SIG).unwrap();
        t.arm(id, Some(100), 10);
        // 100, 110, 120, 130 all passed by 135: one signal, three overruns.
        let e = t.expire(135, |_, _| false);
        assert_eq!(e[0].overrun, 3);
        assert_eq!(t.get(id).unwrap().due, Some(140));
        // While the signal is pending, expirations accumulate.
        assert!(t.expire(145, |_, _| true).is_empty());
        assert!(t.expire(155, |_, _| true).is_empty());
        let e = t.expire(160, |_, _| false);
        assert_eq!(e[0].overrun, 2);
        assert_eq!(t.get(id).unwrap().last_overrun, 2);
        assert_eq!(t.next_due(), Some(170));
    }

    #[test]
    fn sigev_none_timers_run_silently() {
        let mut t = PosixTimers::default();
        let id = t.create(1, Notify::Nothing).unwrap();
        t.arm(id, Some(10), 5);
        assert!(t.expire(100, |_, _| false).is_empty());
        assert_eq!(t.get(id).unwrap().due, Some(105));
    }

    #[test]
    fn the_table_is_bounded() {
        let mut t = PosixTimers::default();
        for _ in 0..MAX_TIMERS {
            assert!(t.create(0, SIG).is_some());
        }
        assert_eq!(t.create(0, SIG), None);
    }
}
