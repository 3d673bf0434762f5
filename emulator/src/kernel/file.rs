//! Open files and file descriptor tables: an [`OpenFile`] is what `open`, `pipe` and
//! `dup` share (offset, status flags); an [`FdTable`] maps a process's descriptor
//! numbers to them with the close-on-exec flag.
//!
//! Reading and writing are in `kernel::io`; this module only keeps the objects and their
//! lifetimes (an inode open here is held so unlinking it does not free it; a pipe end
//! closes when its last open file goes).

use super::device::CharDevice;
use super::pipe::PipeEnd;
use super::vfs::{DirEntry, FsRef, Loc};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

pub const O_ACCMODE: u32 = 0o3;
pub const O_RDONLY: u32 = 0;
pub const O_WRONLY: u32 = 1;
pub const O_RDWR: u32 = 2;
pub const O_CREAT: u32 = 0o100;
pub const O_EXCL: u32 = 0o200;
pub const O_NOCTTY: u32 = 0o400;
pub const O_TRUNC: u32 = 0o1000;
pub const O_APPEND: u32 = 0o2000;
pub const O_NONBLOCK: u32 = 0o4000;
pub const O_DIRECTORY: u32 = 0o200000;
pub const O_NOFOLLOW: u32 = 0o400000;
pub const O_CLOEXEC: u32 = 0o2000000;
pub const O_PATH: u32 = 0o10000000;
/// Flags `F_SETFL` may change.
pub const SETFL_MASK: u32 = O_APPEND | O_NONBLOCK;

/// What an open file is.
pub enum FileKind {
    /// A regular file, directory or symlink (`O_PATH`) of a disk filesystem.
    Inode {
        fs: FsRef,
        loc: Loc,
    },
    /// A procfs file: its text, generated at open.
    ProcData {
        data: Vec<u8>,
    },
    /// A procfs directory.
    ProcDir,
    Pipe(PipeEnd),
    Device(CharDevice),
    /// An end of a `/dev/ptmx` pseudo-terminal.
    Pty(super::ptmx::PtyEnd),
    /// A `signalfd`: reading takes pending signals of this set (the mask can change).
    SignalFd(Cell<u64>),
    /// An `epoll` instance and its interest list.
    Epoll(super::epoll::Epoll),
    /// An `eventfd` counter.
    EventFd(super::eventfd::EventFd),
    /// A `timerfd` timer.
    TimerFd(super::timerfd::TimerFd),
    /// An `inotify` instance.
    Inotify(Rc<super::inotify::Instance>),
    /// An AF_UNIX socket.
    Socket(super::socket::SocketFile),
}

/// An open file description.
pub struct OpenFile {
    pub kind: FileKind,
    /// Where it was opened (`fstat`, `fchdir`, `*at` calls); `None` for pipes.
    pub loc: Option<Loc>,
    /// The path it was opened by, for `/proc/self/fd`.
    pub path: Vec<u8>,
    pub flags: Cell<u32>,
    pub offset: Cell<u64>,
    /// The directory listing `getdents` walks, taken at the first call.
    pub listing: RefCell<Option<Vec<DirEntry>>>,
    /// Where to report the last close (`IN_CLOSE_*`), for files opened by path.
    pub notify: RefCell<Option<Rc<super::inotify::Hub>>>,
    /// A memfd's seals (`F_ADD_SEALS`); other files take none.
    pub seals: std::cell::OnceCell<Rc<Cell<u32>>>,
}

impl OpenFile {
    pub fn new(kind: FileKind, loc: Option<Loc>, path: Vec<u8>, flags: u32) -> Rc<OpenFile> {
        if let FileKind::Inode { fs, loc } = &kind {
            fs.borrow_mut().hold(loc.ino);
        }
        Rc::new(OpenFile {
            kind,
            loc,
            path,
            flags: Cell::new(flags & !O_CLOEXEC),
            offset: Cell::new(0),
            listing: RefCell::new(None),
            notify: RefCell::new(None),
            seals: std::cell::OnceCell::new(),
        })
    }

    pub fn readable(&self) -> bool {
        let f = self.flags.get();
        f & O_PATH == 0 && f & O_ACCMODE != O_WRONLY
    }

    pub fn writable(&self) -> bool {
        let f = self.flags.get();
        f & O_PATH == 0 && f & O_ACCMODE != O_RDONLY
    }

    pub fn nonblocking(&self) -> bool {
        self.flags.get() & O_NONBLOCK != 0
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        if let FileKind::Inode { fs, loc } = &self.kind {
            if let Some(hub) = self.notify.borrow_mut().take() {
                let is_dir = fs
                    .try_borrow_mut()
                    .is_ok_and(|mut f| f.stat(loc.ino).is_ok_and(|s| s.is_dir()));
                let mask = if self.writable() {
                    super::inotify::IN_CLOSE_WRITE
                } else {
                    super::inotify::IN_CLOSE_NOWRITE
                };
                hub.inode_event(fs, *loc, is_dir, mask);
            }
            if let Ok(mut fs) = fs.try_borrow_mut() {
                fs.release(loc.ino);
            }
        }
    }
}

/// One descriptor slot.
#[derive(Clone)]
pub struct FdEntry {
    pub file: Rc<OpenFile>,
    pub cloexec: bool,
}

/// RLIMIT_NOFILE default.
pub const MAX_FDS: usize = 1024;

/// A process's descriptors.
#[derive(Clone, Default)]
pub struct FdTable {
    slots: Vec<Option<FdEntry>>,
}

impl FdTable {
    pub fn get(&self, fd: u32) -> Option<&FdEntry> {
        self.slots.get(fd as usize).and_then(Option::as_ref)
    }

    pub fn get_mut(&mut self, fd: u32) -> Option<&mut FdEntry> {
        self.slots.get_mut(fd as usize).and_then(Option::as_mut)
    }

    /// The lowest free descriptor at or above `min`.
    pub fn alloc(&mut self, min: u32, entry: FdEntry) -> Option<u32> {
        let start = min as usize;
        let fd = (start..MAX_FDS).find(|&i| self.slots.get(i).map_or(true, |s| s.is_none()))?;
        self.put(fd as u32, entry);
        Some(fd as u32)
    }

    /// Puts `entry` at `fd`, returning what was there.
    pub fn put(&mut self, fd: u32, entry: FdEntry) -> Option<FdEntry> {
        let i = fd as usize;
        if self.slots.len() <= i {
            self.slots.resize(i + 1, None);
        }
        self.slots[i].replace(entry)
    }

    pub fn remove(&mut self, fd: u32) -> Option<FdEntry> {
        self.slots.get_mut(fd as usize).and_then(Option::take)
    }

    /// Takes out every close-on-exec descriptor (at `execve`); the caller closes them.
    pub fn close_on_exec(&mut self) -> Vec<FdEntry> {
        let mut closed = Vec::new();
        for slot in &mut self.slots {
            if slot.as_ref().is_some_and(|e| e.cloexec) {
                closed.extend(slot.take());
            }
        }
        closed
    }

    /// Open descriptors in order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &FdEntry)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|e| (i as u32, e)))
    }

    pub fn clear(&mut self) {
        self.slots.clear();
    }
}
