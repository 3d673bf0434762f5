//! `epoll`: an interest list of open file descriptions, each with the events wanted and
//! the user's 64-bit datum. Readiness comes from `syscall::io::file_ready`, the same
//! source `poll` and `select` use; a wait that finds nothing parks and is retried by the
//! scheduler.
//!
//! Items hold their open file weakly: once every descriptor of a file is closed the item
//! is gone, as in Linux (while a `dup` lives, the item stays, under its old fd number).
//!
//! Edge-triggered items report when the file was woken since they last reported: the
//! wake-up counts of pipes, eventfds and timerfds tell (a reader woken by a write, a
//! writer by a read); other files count a newly gained event as the edge.

use super::errno::{Errno, KResult};
use super::file::{FdEntry, FileKind, OpenFile, O_CLOEXEC, O_RDWR};
use super::signal::SigSet;
use super::syscall::io::{deadline, fd_file, file_ready, timed_out, ts64};
use super::syscall::{mem, Call, SysError, SysResult};
use super::task::{Task, TaskState};
use super::Kernel;
use std::cell::RefCell;
use std::rc::{Rc, Weak};

pub const EPOLLIN: u32 = 0x001;
pub const EPOLLPRI: u32 = 0x002;
pub const EPOLLOUT: u32 = 0x004;
pub const EPOLLERR: u32 = 0x008;
pub const EPOLLHUP: u32 = 0x010;
pub const EPOLLRDNORM: u32 = 0x040;
pub const EPOLLRDBAND: u32 = 0x080;
pub const EPOLLWRNORM: u32 = 0x100;
pub const EPOLLWRBAND: u32 = 0x200;
pub const EPOLLMSG: u32 = 0x400;
pub const EPOLLRDHUP: u32 = 0x2000;
pub const EPOLLEXCLUSIVE: u32 = 1 << 28;
pub const EPOLLWAKEUP: u32 = 1 << 29;
pub const EPOLLONESHOT: u32 = 1 << 30;
pub const EPOLLET: u32 = 1 << 31;

const EPOLL_CTL_ADD: u32 = 1;
const EPOLL_CTL_DEL: u32 = 2;
const EPOLL_CTL_MOD: u32 = 3;
/// Linux's limit on nesting epoll instances.
const MAX_NESTS: u32 = 4;
/// `struct epoll_event` is packed on i386: u32 events, u64 data.
const EVENT_SIZE: u32 = 12;

/// What an edge-triggered item saw when it last reported.
#[derive(Clone, Copy)]
struct Seen {
    seq: Option<(u64, u64)>,
    mask: u32,
}

#[derive(Clone)]
struct Item {
    fd: u32,
    file: Weak<OpenFile>,
    events: u32,
    data: u64,
    /// Edge-triggered: `None` until the first report (the state at `ADD`/`MOD` counts
    /// as an edge).
    seen: Option<Seen>,
    /// A one-shot item that fired: silent until `EPOLL_CTL_MOD`.
    disabled: bool,
}

#[derive(Default)]
pub struct Epoll {
    items: RefCell<Vec<Item>>,
}

/// The wake-up counts (readers, writers) of files that keep them.
fn wake_seq(file: &OpenFile) -> Option<(u64, u64)> {
    match &file.kind {
        FileKind::Pipe(end) => {
            let p = end.pipe.borrow();
            Some((p.in_seq, p.out_seq))
        }
        FileKind::EventFd(e) => Some(e.seq()),
        FileKind::TimerFd(tf) => Some((tf.seq(), 0)),
        FileKind::Inotify(i) => Some((i.seq(), 0)),
        _ => None,
    }
}

/// The poll events of `file` as epoll bits.
fn events_of(k: &mut Kernel, t: &Task, file: &OpenFile) -> u32 {
    u32::from(file_ready(k, t, file) as u16)
}

impl Item {
    /// The events to report now, if the item fires (without changing it).
    fn check(&self, k: &mut Kernel, t: &Task, file: &OpenFile) -> (u32, Seen) {
        let mask = events_of(k, t, file);
        let now = Seen {
            seq: wake_seq(file),
            mask,
        };
        if self.disabled {
            return (0, now);
        }
        let ready = mask & (self.events | EPOLLERR | EPOLLHUP);
        if self.events & EPOLLET == 0 || ready == 0 {
            return (ready, now);
        }
        let fired = match self.seen {
            None => true,
            Some(seen) => {
                let (woke_in, woke_out) = match (seen.seq, now.seq) {
                    (Some(a), Some(b)) => (a.0 != b.0, a.1 != b.1),
                    _ => (false, false),
                };
                (woke_in && ready & !EPOLLOUT != 0)
                    || (woke_out && ready & !(EPOLLIN | EPOLLPRI | EPOLLRDHUP) != 0)
                    || ready & !seen.mask != 0
            }
        };
        (if fired { ready } else { 0 }, now)
    }
}

impl Epoll {
    /// Drops items whose file is closed everywhere.
    fn prune(&self) {
        self.items
            .borrow_mut()
            .retain(|i| i.file.strong_count() > 0);
    }

    /// Readable: some item would report now (for `poll` and nested epolls).
    pub fn poll(&self, k: &mut Kernel, t: &Task) -> bool {
        self.prune();
        for (i, file) in self.live_files() {
            let probe = self.items.borrow()[i].clone();
            if probe.check(k, t, &file).0 != 0 {
                return true;
            }
        }
        false
    }

    fn live_files(&self) -> Vec<(usize, Rc<OpenFile>)> {
        self.items
            .borrow()
            .iter()
            .enumerate()
            .filter_map(|(i, it)| it.file.upgrade().map(|f| (i, f)))
            .collect()
    }

    /// Takes up to `max` events (events, data), updating edge and one-shot state.
    fn harvest(&self, k: &mut Kernel, t: &Task, max: usize) -> Vec<(u32, u64)> {
        self.prune();
        let mut out = Vec::new();
        for (i, file) in self.live_files() {
            if out.len() >= max {
                break;
            }
            let probe = self.items.borrow()[i].clone();
            let (ready, now) = probe.check(k, t, &file);
            let mut items = self.items.borrow_mut();
            let it = &mut items[i];
            if it.events & EPOLLET != 0 && !it.disabled {
                // Every look counts as seen: a lost event is gained again only anew.
                if ready != 0 || it.seen.is_some() {
                    it.seen = Some(now);
                }
            }
            if ready != 0 {
                out.push((ready, it.data));
                if it.events & EPOLLONESHOT != 0 {
                    it.disabled = true;
                }
            }
        }
        out
    }

    /// Whether `target` is this instance or reachable from it, and how deep the nesting
    /// below it goes.
    fn reaches(&self, target: *const Epoll, depth: u32) -> (bool, u32) {
        if std::ptr::eq(self, target) {
            return (true, depth);
        }
        let mut deepest = depth;
        for (_, f) in self.live_files() {
            if let FileKind::Epoll(inner) = &f.kind {
                let (hit, d) = inner.reaches(target, depth + 1);
                if hit {
                    return (true, d);
                }
                deepest = deepest.max(d);
            }
        }
        (false, deepest)
    }
}

fn create(t: &mut Task, flags: u32) -> SysResult {
    let file = OpenFile::new(
        FileKind::Epoll(Epoll::default()),
        None,
        b"anon_inode:[eventpoll]".to_vec(),
        O_RDWR,
    );
    let cloexec = flags & O_CLOEXEC != 0;
    let fd = t.files.borrow_mut().alloc(0, FdEntry { file, cloexec });
    Ok(fd.ok_or(Errno::EMFILE)?)
}

/// `epoll_create(size)`: the size is only checked.
pub fn epoll_create(_k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    if c.int(0) <= 0 {
        return Err(Errno::EINVAL.into());
    }
    create(t, 0)
}

/// `epoll_create1(flags)`.
pub fn epoll_create1(_k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    if c.arg(0) & !O_CLOEXEC != 0 {
        return Err(Errno::EINVAL.into());
    }
    create(t, c.arg(0))
}

fn epoll_of(file: &OpenFile) -> KResult<&Epoll> {
    match &file.kind {
        FileKind::Epoll(ep) => Ok(ep),
        _ => Err(Errno::EINVAL),
    }
}

/// Files `epoll` cannot watch: regular files and directories (no `poll` method).
fn pollable(file: &OpenFile) -> bool {
    !matches!(
        file.kind,
        FileKind::Inode { .. } | FileKind::ProcData { .. } | FileKind::ProcDir
    )
}

/// `epoll_ctl(epfd, op, fd, event)`.
pub fn epoll_ctl(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (op, fd) = (c.arg(1), c.arg(2));
    let epf = fd_file(t, c.arg(0))?;
    let target = fd_file(t, fd)?;
    let (mut events, data) = if op == EPOLL_CTL_DEL {
        (0, 0)
    } else {
        let raw: [u8; 12] = mem(k, t, |m| m.read_obj(c.arg(3)))?;
        (
            u32::from_le_bytes(raw[..4].try_into().expect("4 bytes")),
            u64::from_le_bytes(raw[4..].try_into().expect("8 bytes")),
        )
    };
    if !pollable(&target) {
        return Err(Errno::EPERM.into());
    }
    let ep = epoll_of(&epf)?;
    if Rc::ptr_eq(&epf, &target) {
        return Err(Errno::EINVAL.into());
    }
    let exclusive_ok =
        EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;
    if events & EPOLLEXCLUSIVE != 0
        && (op == EPOLL_CTL_MOD
            || events & !exclusive_ok != 0
            || matches!(target.kind, FileKind::Epoll(_)))
    {
        return Err(Errno::EINVAL.into());
    }
    events |= EPOLLERR | EPOLLHUP;
    ep.prune();
    let pos = ep
        .items
        .borrow()
        .iter()
        .position(|i| i.fd == fd && std::ptr::eq(i.file.as_ptr(), Rc::as_ptr(&target)));
    match op {
        EPOLL_CTL_ADD => {
            if pos.is_some() {
                return Err(Errno::EEXIST.into());
            }
            if let FileKind::Epoll(inner) = &target.kind {
                let (hit, depth) = inner.reaches(ep, 0);
                if hit || depth >= MAX_NESTS {
                    return Err(Errno::ELOOP.into());
                }
            }
            ep.items.borrow_mut().push(Item {
                fd,
                file: Rc::downgrade(&target),
                events,
                data,
                seen: None,
                disabled: false,
            });
        }
        EPOLL_CTL_MOD => {
            let i = pos.ok_or(Errno::ENOENT)?;
            let mut items = ep.items.borrow_mut();
            if items[i].events & EPOLLEXCLUSIVE != 0 {
                return Err(Errno::EINVAL.into());
            }
            let it = &mut items[i];
            it.events = events;
            it.data = data;
            it.seen = None;
            it.disabled = false;
        }
        EPOLL_CTL_DEL => {
            let i = pos.ok_or(Errno::ENOENT)?;
            ep.items.borrow_mut().remove(i);
        }
        _ => return Err(Errno::EINVAL.into()),
    }
    Ok(0)
}

/// The common wait: `timeout_ns` `None` waits forever.
fn wait(k: &mut Kernel, t: &mut Task, c: &Call, timeout_ns: Option<u64>) -> SysResult {
    let (addr, max) = (c.arg(1), c.int(2));
    if max <= 0 || max as u32 > i32::MAX as u32 / EVENT_SIZE {
        return Err(Errno::EINVAL.into());
    }
    let epf = fd_file(t, c.arg(0))?;
    let ep = epoll_of(&epf)?;
    // The buffer must be writable before anything is taken.
    mem(k, t, |m| m.write(addr, &[]))?;
    let got = ep.harvest(k, t, max as usize);
    if got.is_empty() {
        let dl = deadline(k, c, timeout_ns);
        if timeout_ns != Some(0) && !timed_out(k, dl) {
            return Err(SysError::Block(dl));
        }
        return Ok(0);
    }
    let mut bytes = Vec::with_capacity(got.len() * EVENT_SIZE as usize);
    for (events, data) in &got {
        bytes.extend_from_slice(&events.to_le_bytes());
        bytes.extend_from_slice(&data.to_le_bytes());
    }
    mem(k, t, |m| m.write(addr, &bytes))?;
    Ok(got.len() as u32)
}

fn ms_timeout(ms: i32) -> Option<u64> {
    (ms >= 0).then(|| ms as u64 * 1_000_000)
}

/// `epoll_wait(epfd, events, maxevents, timeout_ms)`.
pub fn epoll_wait(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    wait(k, t, c, ms_timeout(c.int(3)))
}

/// The `p` forms: `sigmask` (if given) replaces the signal mask for the wait, and is
/// undone when the call returns (a handler run for a signal it let in restores it
/// through `saved_mask`, as `rt_sigsuspend` does).
fn pwait(k: &mut Kernel, t: &mut Task, c: &Call, timeout_ns: Option<u64>) -> SysResult {
    let sigmask = c.arg(4);
    if sigmask != 0 {
        if c.arg(5) != 8 {
            return Err(Errno::EINVAL.into());
        }
        if !matches!(t.state, TaskState::Parked(_)) {
            let set: u64 = mem(k, t, |m| m.read_obj(sigmask))?;
            t.saved_mask = Some(t.sigmask);
            t.sigmask = SigSet(set).blockable();
        }
    }
    let result = wait(k, t, c, timeout_ns);
    if sigmask != 0 && !matches!(result, Err(SysError::Block(_))) {
        if let Some(mask) = t.saved_mask.take() {
            t.sigmask = mask;
        }
    }
    result
}

/// `epoll_pwait(epfd, events, maxevents, timeout_ms, sigmask, sigsetsize)`.
pub fn epoll_pwait(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    pwait(k, t, c, ms_timeout(c.int(3)))
}

/// `epoll_pwait2(epfd, events, maxevents, timeout, sigmask, sigsetsize)`: the timeout is
/// a `struct __kernel_timespec` (NULL: forever).
pub fn epoll_pwait2(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let timeout = ts64(k, t, c.arg(3))?;
    pwait(k, t, c, timeout)
}
