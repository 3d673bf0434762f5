//! The `siginfo` of pending signals, per thread and per process, next to the pending
//! bit sets (`Task::pending`, `Process::shared_pending`).
//!
//! As on Linux: a standard signal (1–31) is pending at most once, and a second instance
//! sent while it is pending is dropped with its `siginfo`; a real-time signal
//! (`SIGRTMIN` = 32 and up) is queued, every instance delivered in the order sent,
//! each with its own `siginfo`. The queue of a holder is bounded: past
//! [`MAX_QUEUED`] instances a sender gets `EAGAIN` (Linux counts against
//! `RLIMIT_SIGPENDING`).

use super::sigframe::SigInfo;
use super::signal::SigSet;
use std::collections::{BTreeMap, VecDeque};

/// The first real-time signal.
pub const SIGRTMIN: u32 = 32;

/// Most real-time instances one thread or process holds pending.
pub const MAX_QUEUED: usize = 4096;

/// The `siginfo` of each pending instance, by signal.
#[derive(Clone, Debug, Default)]
pub struct PendingInfo {
    by_signal: BTreeMap<u32, VecDeque<SigInfo>>,
    queued: usize,
}

impl PendingInfo {
    /// Posts an instance of `sig` into `set` (with its `siginfo`; the kernel's when
    /// `None`). False if it could not be queued (a full real-time queue).
    pub fn post(&mut self, set: &mut SigSet, sig: u32, info: Option<SigInfo>) -> bool {
        let was_pending = set.has(sig);
        set.add(sig);
        if !was_pending {
            // Whatever is left of an instance taken some other way goes.
            self.forget(sig);
        } else if sig < SIGRTMIN {
            return true; // already pending: this instance merges into it
        }
        if sig >= SIGRTMIN && self.queued >= MAX_QUEUED {
            return false;
        }
        let info = info.unwrap_or_else(|| SigInfo::kernel(sig));
        self.by_signal.entry(sig).or_default().push_back(info);
        self.queued += 1;
        true
    }

    /// Takes the oldest instance of `sig` out of `set`; its `siginfo` if one was kept.
    /// The bit stays set while real-time instances remain.
    pub fn take(&mut self, set: &mut SigSet, sig: u32) -> Option<SigInfo> {
        let queue = self.by_signal.get_mut(&sig);
        let info = queue.and_then(|q| q.pop_front());
        if info.is_some() {
            self.queued -= 1;
        }
        let more = self.by_signal.get(&sig).is_some_and(|q| !q.is_empty());
        if !more {
            self.by_signal.remove(&sig);
            set.remove(sig);
        }
        info
    }

    fn forget(&mut self, sig: u32) {
        if let Some(q) = self.by_signal.remove(&sig) {
            self.queued -= q.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(info: Option<SigInfo>) -> i32 {
        info.map_or(-1, |i| i.code)
    }

    fn with_code(sig: u32, code: i32) -> SigInfo {
        SigInfo::kill(sig, code, 0, 0)
    }

    #[test]
    fn standard_signals_merge_and_keep_the_first_siginfo() {
        let (mut set, mut infos) = (SigSet::default(), PendingInfo::default());
        assert!(infos.post(&mut set, 10, Some(with_code(10, 1))));
        assert!(infos.post(&mut set, 10, Some(with_code(10, 2))));
        assert_eq!(value(infos.take(&mut set, 10)), 1);
        assert!(!set.has(10));
        assert_eq!(infos.take(&mut set, 10), None);
    }

    #[test]
    fn real_time_signals_queue_in_order() {
        let (mut set, mut infos) = (SigSet::default(), PendingInfo::default());
        for code in [-1, -2, -3] {
            assert!(infos.post(&mut set, 40, Some(with_code(40, code))));
        }
        assert_eq!(value(infos.take(&mut set, 40)), -1);
        assert!(set.has(40));
        assert_eq!(value(infos.take(&mut set, 40)), -2);
        assert_eq!(value(infos.take(&mut set, 40)), -3);
        assert!(!set.has(40));
    }

    #[test]
    fn a_cleared_bit_drops_stale_instances_and_the_queue_is_bounded() {
        let (mut set, mut infos) = (SigSet::default(), PendingInfo::default());
        infos.post(&mut set, 40, Some(with_code(40, -1)));
        infos.post(&mut set, 40, Some(with_code(40, -2)));
        set.remove(40); // e.g. the signal became ignored
        infos.post(&mut set, 40, Some(with_code(40, -3)));
        assert_eq!(value(infos.take(&mut set, 40)), -3);
        assert!(!set.has(40));
        for _ in 0..MAX_QUEUED {
            assert!(infos.post(&mut set, 41, None));
        }
        assert!(!infos.post(&mut set, 41, None));
    }
}
