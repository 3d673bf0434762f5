//! `inotify`: filesystem events read through a descriptor.
//!
//! The [`Hub`] (one per machine, in `Vfs::notify`) knows every inotify instance and is
//! told of each change where it passes: the namespace operations in `Vfs` (create,
//! link, symlink, unlink, rmdir, rename, set_attr), data reads and writes and truncation
//! in the syscall layer, opens in `do_open`, and the last close of an open file
//! (`OpenFile`'s drop). It turns them into events for the watches on the inode itself
//! and, named, for the watches on directories holding it (found by listing the watched
//! directories, so only when some directory is watched). A removed inode is reported
//! with `IN_DELETE_SELF` when its last link goes, even if it is still open.
//!
//! An instance queues encoded `struct inotify_event` records, merging an event equal to
//! the last unread one, as Linux does; reading never splits a record.

use super::errno::{Errno, KResult};
use super::file::{FdEntry, FileKind, OpenFile, O_CLOEXEC, O_NONBLOCK, O_RDONLY};
use super::syscall::io::fd_file;
use super::syscall::{path_arg, Call, SysError, SysResult};
use super::task::Task;
use super::vfs::{FsRef, Loc};
use super::Kernel;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::rc::{Rc, Weak};

pub const IN_ACCESS: u32 = 0x1;
pub const IN_MODIFY: u32 = 0x2;
pub const IN_ATTRIB: u32 = 0x4;
pub const IN_CLOSE_WRITE: u32 = 0x8;
pub const IN_CLOSE_NOWRITE: u32 = 0x10;
pub const IN_OPEN: u32 = 0x20;
pub const IN_MOVED_FROM: u32 = 0x40;
pub const IN_MOVED_TO: u32 = 0x80;
pub const IN_CREATE: u32 = 0x100;
pub const IN_DELETE: u32 = 0x200;
pub const IN_DELETE_SELF: u32 = 0x400;
pub const IN_MOVE_SELF: u32 = 0x800;
pub const IN_Q_OVERFLOW: u32 = 0x4000;
pub const IN_IGNORED: u32 = 0x8000;
pub const IN_ONLYDIR: u32 = 0x0100_0000;
pub const IN_DONT_FOLLOW: u32 = 0x0200_0000;
pub const IN_EXCL_UNLINK: u32 = 0x0400_0000;
pub const IN_MASK_CREATE: u32 = 0x1000_0000;
pub const IN_MASK_ADD: u32 = 0x2000_0000;
pub const IN_ISDIR: u32 = 0x4000_0000;
pub const IN_ONESHOT: u32 = 0x8000_0000;
const ALL_EVENTS: u32 = 0xfff;
/// Events a directory watch gets about its entries.
const CHILD_EVENTS: u32 = IN_ACCESS
    | IN_MODIFY
    | IN_ATTRIB
    | IN_CLOSE_WRITE
    | IN_CLOSE_NOWRITE
    | IN_OPEN
    | IN_MOVED_FROM
    | IN_MOVED_TO
    | IN_CREATE
    | IN_DELETE;
/// Linux's default `max_queued_events`.
const MAX_QUEUED: usize = 16384;
/// `sizeof(struct inotify_event)`.
const EVENT_HEADER: usize = 16;

#[derive(Clone, PartialEq, Eq)]
struct Event {
    wd: i32,
    mask: u32,
    cookie: u32,
    name: Vec<u8>,
}

impl Event {
    /// The record: header, then the name padded with NULs to a multiple of 16.
    fn encode(&self) -> Vec<u8> {
        let len = if self.name.is_empty() {
            0
        } else {
            (self.name.len() + 1).div_ceil(EVENT_HEADER) * EVENT_HEADER
        };
        let mut out = Vec::with_capacity(EVENT_HEADER + len);
        out.extend_from_slice(&self.wd.to_le_bytes());
        out.extend_from_slice(&self.mask.to_le_bytes());
        out.extend_from_slice(&self.cookie.to_le_bytes());
        out.extend_from_slice(&(len as u32).to_le_bytes());
        out.extend_from_slice(&self.name);
        out.resize(EVENT_HEADER + len, 0);
        out
    }
}

struct Watch {
    loc: Loc,
    mask: u32,
}

/// One inotify instance: its watches and its queue.
#[derive(Default)]
pub struct Instance {
    watches: RefCell<BTreeMap<i32, Watch>>,
    next_wd: Cell<i32>,
    queue: RefCell<VecDeque<Event>>,
    /// Moves with every queued event (edge-triggered `epoll`).
    seq: Cell<u64>,
}

impl Instance {
    fn push(&self, ev: Event) {
        let mut q = self.queue.borrow_mut();
        if q.back() == Some(&ev) {
            return;
        }
        if q.len() >= MAX_QUEUED {
            let overflow = Event {
                wd: -1,
                mask: IN_Q_OVERFLOW,
                cookie: 0,
                name: Vec::new(),
            };
            if q.back() != Some(&overflow) {
                q.push_back(overflow);
            }
            return;
        }
        q.push_back(ev);
        self.seq.set(self.seq.get() + 1);
    }

    /// Removes watch `wd`, queueing `IN_IGNORED`.
    fn drop_watch(&self, wd: i32) {
        if self.watches.borrow_mut().remove(&wd).is_some() {
            self.push(Event {
                wd,
                mask: IN_IGNORED,
                cookie: 0,
                name: Vec::new(),
            });
        }
    }

    /// Queues `mask` for the watches on `loc` that want it (`name`: about an entry).
    fn deliver(&self, loc: Loc, mask: u32, is_dir: bool, cookie: u32, name: Option<&[u8]>) {
        let hits: Vec<(i32, bool)> = self
            .watches
            .borrow()
            .iter()
            .filter(|(_, w)| w.loc == loc && w.mask & mask != 0)
            .filter(|_| name.is_none() || mask & CHILD_EVENTS != 0)
            .map(|(wd, w)| (*wd, w.mask & IN_ONESHOT != 0))
            .collect();
        for (wd, oneshot) in hits {
            self.push(Event {
                wd,
                mask: mask | if is_dir { IN_ISDIR } else { 0 },
                cookie,
                name: name.map(<[u8]>::to_vec).unwrap_or_default(),
            });
            if oneshot {
                self.drop_watch(wd);
            }
        }
    }

    /// `read`: whole records, as many as fit.
    pub fn read(&self, buf: &mut [u8], nonblocking: bool) -> Result<usize, SysError> {
        let mut q = self.queue.borrow_mut();
        let Some(first) = q.front() else {
            return Err(if nonblocking {
                Errno::EAGAIN.into()
            } else {
                SysError::Block(None)
            });
        };
        if first.encode().len() > buf.len() {
            return Err(Errno::EINVAL.into());
        }
        let mut n = 0;
        while let Some(ev) = q.front() {
            let rec = ev.encode();
            if n + rec.len() > buf.len() {
                break;
            }
            buf[n..n + rec.len()].copy_from_slice(&rec);
            n += rec.len();
            q.pop_front();
        }
        Ok(n)
    }

    pub fn poll(&self) -> bool {
        !self.queue.borrow().is_empty()
    }

    /// Bytes a read could return now (`FIONREAD`).
    pub fn pending_bytes(&self) -> u32 {
        self.queue
            .borrow()
            .iter()
            .map(|e| e.encode().len() as u32)
            .sum()
    }

    pub fn seq(&self) -> u64 {
        self.seq.get()
    }
}

/// Every inotify instance of the machine, told of each filesystem change.
#[derive(Default)]
pub struct Hub {
    instances: RefCell<Vec<Weak<Instance>>>,
    cookie: Cell<u32>,
}

impl Hub {
    /// Live instances that watch something.
    fn watchers(&self) -> Vec<Rc<Instance>> {
        let mut list = self.instances.borrow_mut();
        list.retain(|w| w.strong_count() > 0);
        list.iter()
            .filter_map(Weak::upgrade)
            .filter(|i| !i.watches.borrow().is_empty())
            .collect()
    }

    /// A new cookie tying `IN_MOVED_FROM` to its `IN_MOVED_TO`.
    pub fn next_cookie(&self) -> u32 {
        self.cookie.set(self.cookie.get().wrapping_add(1).max(1));
        self.cookie.get()
    }

    /// `mask` happened to the inode at `loc` itself: reported to the directories holding
    /// it (with its names, found in `fs`) and then to its own watches.
    pub fn inode_event(&self, fs: &FsRef, loc: Loc, is_dir: bool, mask: u32) {
        let watchers = self.watchers();
        if watchers.is_empty() {
            return;
        }
        let mut dirs: Vec<Loc> = watchers
            .iter()
            .flat_map(|i| {
                i.watches
                    .borrow()
                    .values()
                    .map(|w| w.loc)
                    .filter(|d| d.mount == loc.mount && *d != loc)
                    .collect::<Vec<_>>()
            })
            .collect();
        dirs.sort();
        dirs.dedup();
        for dir in dirs {
            let entries = match fs.try_borrow_mut() {
                Ok(mut fs) => fs.readdir(dir.ino).unwrap_or_default(),
                Err(_) => continue,
            };
            for e in entries {
                if e.ino == loc.ino && e.name != b"." && e.name != b".." {
                    for i in &watchers {
                        i.deliver(dir, mask, is_dir, 0, Some(&e.name));
                    }
                }
            }
        }
        for i in &watchers {
            i.deliver(loc, mask, is_dir, 0, None);
        }
    }

    /// An entry `name` of directory `dir` was created, removed or moved.
    pub fn child_event(&self, dir: Loc, name: &[u8], is_dir: bool, mask: u32, cookie: u32) {
        for i in self.watchers() {
            i.deliver(dir, mask, is_dir, cookie, Some(name));
        }
    }

    /// An event only the inode's own watches get (`IN_MOVE_SELF`, `IN_ATTRIB` of a link
    /// count).
    pub fn self_event(&self, loc: Loc, is_dir: bool, mask: u32) {
        for i in self.watchers() {
            i.deliver(loc, mask, is_dir, 0, None);
        }
    }

    /// The inode at `loc` is gone: `IN_DELETE_SELF` (never marked `IN_ISDIR`, as in
    /// Linux), then its watches end (`IN_IGNORED`).
    pub fn inode_gone(&self, loc: Loc) {
        for i in self.watchers() {
            i.deliver(loc, IN_DELETE_SELF, false, 0, None);
            let wds: Vec<i32> = i
                .watches
                .borrow()
                .iter()
                .filter(|(_, w)| w.loc == loc)
                .map(|(wd, _)| *wd)
                .collect();
            for wd in wds {
                i.drop_watch(wd);
            }
        }
    }
}

fn create(k: &mut Kernel, t: &mut Task, flags: u32) -> SysResult {
    if flags & !(O_NONBLOCK | O_CLOEXEC) != 0 {
        return Err(Errno::EINVAL.into());
    }
    let inst = Rc::new(Instance {
        next_wd: Cell::new(1),
        ..Default::default()
    });
    k.vfs
        .notify
        .instances
        .borrow_mut()
        .push(Rc::downgrade(&inst));
    let file = OpenFile::new(
        FileKind::Inotify(inst),
        None,
        b"anon_inode:inotify".to_vec(),
        O_RDONLY | (flags & O_NONBLOCK),
    );
    let cloexec = flags & O_CLOEXEC != 0;
    let fd = t.files.borrow_mut().alloc(0, FdEntry { file, cloexec });
    Ok(fd.ok_or(Errno::EMFILE)?)
}

pub fn inotify_init(k: &mut Kernel, t: &mut Task, _c: &Call) -> SysResult {
    create(k, t, 0)
}

pub fn inotify_init1(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    create(k, t, c.arg(0))
}

fn instance(t: &Task, fd: u32) -> KResult<Rc<Instance>> {
    let file = fd_file(t, fd)?;
    match &file.kind {
        FileKind::Inotify(i) => Ok(i.clone()),
        _ => Err(Errno::EINVAL),
    }
}

/// `inotify_add_watch(fd, path, mask)`: a new watch, or a new mask for the inode's.
pub fn inotify_add_watch(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let mask = c.arg(2);
    let inst = instance(t, c.arg(0))?;
    if mask & ALL_EVENTS == 0 || (mask & IN_MASK_ADD != 0 && mask & IN_MASK_CREATE != 0) {
        return Err(Errno::EINVAL.into());
    }
    let path = path_arg(k, t, c.arg(1))?;
    let (loc, is_dir) =
        super::syscall::fs::resolve_for_watch(k, t, &path, mask & IN_DONT_FOLLOW == 0)?;
    if mask & IN_ONLYDIR != 0 && !is_dir {
        return Err(Errno::ENOTDIR.into());
    }
    let wanted = mask & (ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK);
    let mut watches = inst.watches.borrow_mut();
    if let Some((wd, w)) = watches.iter_mut().find(|(_, w)| w.loc == loc) {
        if mask & IN_MASK_CREATE != 0 {
            return Err(Errno::EEXIST.into());
        }
        w.mask = if mask & IN_MASK_ADD != 0 {
            w.mask | wanted
        } else {
            wanted
        };
        return Ok(*wd as u32);
    }
    let wd = inst.next_wd.get();
    inst.next_wd.set(wd + 1);
    watches.insert(wd, Watch { loc, mask: wanted });
    Ok(wd as u32)
}

/// `inotify_rm_watch(fd, wd)`.
pub fn inotify_rm_watch(_k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let inst = instance(t, c.arg(0))?;
    let wd = c.int(1);
    if !inst.watches.borrow().contains_key(&wd) {
        return Err(Errno::EINVAL.into());
    }
    inst.drop_watch(wd);
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_padded_and_equal_events_merge() {
        let ev = Event {
            wd: 1,
            mask: IN_CREATE,
            cookie: 0,
            name: b"abc".to_vec(),
        };
        let rec = ev.encode();
        assert_eq!(rec.len(), 32);
        assert_eq!(&rec[12..16], &16u32.to_le_bytes());
        let inst = Instance::default();
        inst.push(ev.clone());
        inst.push(ev.clone());
        assert_eq!(inst.pending_bytes(), 32);
        let mut small = [0u8; 20];
        assert_eq!(inst.read(&mut small, true), Err(Errno::EINVAL.into()));
        let mut buf = [0u8; 64];
        assert_eq!(inst.read(&mut buf, true), Ok(32));
        assert_eq!(inst.read(&mut buf, true), Err(Errno::EAGAIN.into()));
    }
}
