//! Advisory file locks: POSIX record locks (`fcntl` `F_SETLK`/`F_SETLKW`/`F_GETLK`,
//! owned by a process, released when it closes any descriptor of the file or exits),
//! open-file-description locks (`F_OFD_*`, owned by the open file) and `flock` locks
//! (whole-file, owned by the open file, independent of the other two, as on Linux).
//!
//! This module keeps the lock tables and their range arithmetic; the syscalls
//! (`syscall::io::fcntl`, `flock`) decode the guest's structures and wait.

use super::file::OpenFile;
use super::vfs::Loc;
use std::collections::BTreeMap;
use std::rc::{Rc, Weak};

/// Who holds a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Owner {
    /// A process (classic POSIX locks): its pid.
    Process(u32),
    /// An open file description (OFD and `flock` locks): its address. The table holds
    /// a weak reference to it, so the address is not reused while the entry exists, and
    /// drops its locks once it is gone.
    File(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
}

/// One held range, `[start, end)`; `end == u64::MAX` reaches past any end of file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lock {
    pub owner: Owner,
    pub kind: Kind,
    pub start: u64,
    pub end: u64,
}

impl Lock {
    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.start < end && start < self.end
    }

    fn conflicts(&self, owner: Owner, kind: Kind, start: u64, end: u64) -> bool {
        self.owner != owner
            && self.overlaps(start, end)
            && (self.kind == Kind::Write || kind == Kind::Write)
    }
}

/// The locks of every inode, in two independent families.
#[derive(Default)]
pub struct LockTable {
    /// POSIX and OFD record locks (they conflict with each other).
    records: BTreeMap<Loc, Vec<Lock>>,
    /// `flock` locks (whole file).
    flocks: BTreeMap<Loc, Vec<Lock>>,
    /// The open file descriptions that own locks.
    files: BTreeMap<usize, Weak<OpenFile>>,
    /// What each process waiting in `F_SETLKW` asked for (for deadlock detection).
    waiting: BTreeMap<u32, Request>,
}

/// A POSIX record lock a process waits for.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    pub loc: Loc,
    pub kind: Kind,
    pub start: u64,
    pub end: u64,
}

/// How many waits a deadlock search follows (Linux's `MAX_DEADLK_ITERATIONS`).
const MAX_DEADLOCK_STEPS: usize = 10;

/// The first lock of `locks` that keeps `owner` from taking `kind` on `[start, end)`.
fn first_conflict(
    locks: Option<&Vec<Lock>>,
    owner: Owner,
    kind: Kind,
    start: u64,
    end: u64,
) -> Option<Lock> {
    locks?
        .iter()
        .find(|l| l.conflicts(owner, kind, start, end))
        .copied()
}

/// Sets (`Some(kind)`) or clears (`None`) `owner`'s lock on `[start, end)` in `locks`,
/// splitting and merging its other ranges as Linux does (adjacent ranges of the same
/// kind become one).
fn apply(locks: &mut Vec<Lock>, owner: Owner, kind: Option<Kind>, start: u64, end: u64) {
    let mut kept = Vec::with_capacity(locks.len() + 2);
    let (mut new_start, mut new_end) = (start, end);
    for l in locks.drain(..) {
        if l.owner != owner {
            kept.push(l);
            continue;
        }
        let touches = l.start <= end && start <= l.end;
        if Some(l.kind) == kind && touches {
            // Same kind, overlapping or adjacent: absorbed into the new range.
            new_start = new_start.min(l.start);
            new_end = new_end.max(l.end);
        } else if l.overlaps(start, end) {
            // Other kind (or an unlock): keep the parts outside the new range.
            if l.start < start {
                kept.push(Lock { end: start, ..l });
            }
            if l.end > end {
                kept.push(Lock { start: end, ..l });
            }
        } else {
            kept.push(l);
        }
    }
    if let Some(kind) = kind {
        kept.push(Lock {
            owner,
            kind,
            start: new_start,
            end: new_end,
        });
    }
    kept.sort_by_key(|l| (l.start, l.end));
    *locks = kept;
}

impl LockTable {
    /// Records that process `pid` waits for `request`.
    pub fn wait_for(&mut self, pid: u32, request: Request) {
        self.waiting.insert(pid, request);
    }

    /// Process `pid` waits no more.
    pub fn stop_waiting(&mut self, pid: u32) {
        self.waiting.remove(&pid);
    }

    /// Whether `pid` waiting on a lock `blocker` holds closes a cycle: `blocker` waits
    /// (as `still_waiting` confirms) for a lock whose holder waits ... for one `pid`
    /// holds. POSIX locks only, and at most [`MAX_DEADLOCK_STEPS`] hops, as on Linux.
    pub fn would_deadlock(
        &self,
        pid: u32,
        blocker: u32,
        still_waiting: impl Fn(u32) -> bool,
    ) -> bool {
        let mut holder = blocker;
        for _ in 0..MAX_DEADLOCK_STEPS {
            if holder == pid {
                return true;
            }
            let Some(r) = self.waiting.get(&holder) else {
                return false;
            };
            if !still_waiting(holder) {
                return false;
            }
            match self.record_conflict(r.loc, Owner::Process(holder), r.kind, r.start, r.end) {
                Some(Lock {
                    owner: Owner::Process(next),
                    ..
                }) => holder = next,
                _ => return false,
            }
        }
        false
    }

    /// The owner an open file description's OFD and `flock` locks are held by.
    pub fn file_owner(&mut self, file: &Rc<OpenFile>) -> Owner {
        let id = Rc::as_ptr(file) as usize;
        self.files.entry(id).or_insert_with(|| Rc::downgrade(file));
        Owner::File(id)
    }

    /// Drops the locks of open file descriptions that no longer exist (closed
    /// everywhere, or their processes ended).
    pub fn prune(&mut self) {
        let dead: Vec<usize> = self
            .files
            .iter()
            .filter(|(_, w)| w.strong_count() == 0)
            .map(|(&id, _)| id)
            .collect();
        for id in dead {
            self.files.remove(&id);
            self.release_all(Owner::File(id));
        }
    }

    /// The record lock that would keep `owner` from locking `[start, end)`.
    pub fn record_conflict(
        &self,
        loc: Loc,
        owner: Owner,
        kind: Kind,
        start: u64,
        end: u64,
    ) -> Option<Lock> {
        first_conflict(self.records.get(&loc), owner, kind, start, end)
    }

    /// Takes or releases a record lock; `Err(conflict)` when another owner holds one.
    pub fn set_record(
        &mut self,
        loc: Loc,
        owner: Owner,
        kind: Option<Kind>,
        start: u64,
        end: u64,
    ) -> Result<(), Lock> {
        if let Some(k) = kind {
            if let Some(c) = self.record_conflict(loc, owner, k, start, end) {
                return Err(c);
            }
        }
        let locks = self.records.entry(loc).or_default();
        apply(locks, owner, kind, start, end);
        if locks.is_empty() {
            self.records.remove(&loc);
        }
        Ok(())
    }

    /// Takes (`Some`) or drops (`None`) a `flock` lock of the whole file.
    pub fn set_flock(&mut self, loc: Loc, owner: Owner, kind: Option<Kind>) -> Result<(), Lock> {
        if let Some(k) = kind {
            if let Some(c) = first_conflict(self.flocks.get(&loc), owner, k, 0, u64::MAX) {
                return Err(c);
            }
        }
        let locks = self.flocks.entry(loc).or_default();
        apply(locks, owner, kind, 0, u64::MAX);
        if locks.is_empty() {
            self.flocks.remove(&loc);
        }
        Ok(())
    }

    /// Drops every lock `owner` holds on `loc` (a process closed a descriptor of the
    /// file; the last close of an open file description).
    pub fn release(&mut self, loc: Loc, owner: Owner) {
        for table in [&mut self.records, &mut self.flocks] {
            if let Some(locks) = table.get_mut(&loc) {
                locks.retain(|l| l.owner != owner);
                if locks.is_empty() {
                    table.remove(&loc);
                }
            }
        }
    }

    /// Drops every lock of `owner` everywhere (a process ended).
    pub fn release_all(&mut self, owner: Owner) {
        for table in [&mut self.records, &mut self.flocks] {
            table.retain(|_, locks| {
                locks.retain(|l| l.owner != owner);
                !locks.is_empty()
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: Loc = Loc { mount: 0, ino: 12 };
    const A: Owner = Owner::Process(1);
    const B: Owner = Owner::Process(2);

    #[test]
    fn read_locks_share_and_write_locks_exclude() {
        let mut t = LockTable::default();
        assert!(t.set_record(F, A, Some(Kind::Read), 0, 100).is_ok());
        assert!(t.set_record(F, B, Some(Kind::Read), 50, 150).is_ok());
        assert!(t.set_record(F, B, Some(Kind::Write), 50, 60).is_err());
        assert!(t.set_record(F, B, Some(Kind::Write), 100, 150).is_ok());
        assert_eq!(
            t.record_conflict(F, A, Kind::Read, 120, 130).unwrap().owner,
            B
        );
    }

    #[test]
    fn unlocking_the_middle_splits_a_range_and_same_kinds_merge() {
        let mut t = LockTable::default();
        t.set_record(F, A, Some(Kind::Write), 0, 100).unwrap();
        t.set_record(F, A, None, 40, 60).unwrap();
        assert!(t.record_conflict(F, B, Kind::Write, 45, 55).is_none());
        assert!(t.record_conflict(F, B, Kind::Write, 30, 41).is_some());
        assert!(t.record_conflict(F, B, Kind::Write, 59, 70).is_some());
        t.set_record(F, A, Some(Kind::Write), 40, 60).unwrap();
        assert_eq!(t.records[&F].len(), 1);
        // A read lock in the middle of the owner's write lock converts that part.
        t.set_record(F, A, Some(Kind::Read), 10, 20).unwrap();
        assert_eq!(t.records[&F].len(), 3);
        assert!(t.record_conflict(F, B, Kind::Read, 12, 15).is_none());
        assert!(t.record_conflict(F, B, Kind::Read, 25, 26).is_some());
    }

    #[test]
    fn closing_releases_and_flock_is_separate() {
        let mut t = LockTable::default();
        t.set_record(F, A, Some(Kind::Write), 0, u64::MAX).unwrap();
        let fa = Owner::File(0x1000);
        let fb = Owner::File(0x2000);
        assert!(t.set_flock(F, fa, Some(Kind::Write)).is_ok());
        assert!(t.set_flock(F, fb, Some(Kind::Read)).is_err());
        t.release(F, A);
        assert!(t.record_conflict(F, B, Kind::Write, 0, 10).is_none());
        assert!(t.set_flock(F, fb, Some(Kind::Read)).is_err());
        t.release_all(fa);
        assert!(t.set_flock(F, fb, Some(Kind::Read)).is_ok());
    }
}
