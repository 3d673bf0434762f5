//! The virtual filesystem: the inode-level [`FileSystem`] trait every mounted
//! filesystem implements, the mount table, and path resolution (`namei`) across mounts,
//! `..`, and symbolic links.
//!
//! It owns names and mounts only. Open files live in `kernel::file`, file contents in
//! each filesystem. procfs is not a [`FileSystem`]: its contents come from the tasks, so
//! path resolution hands its names to `kernel::fs::procfs` with a [`ProcCtx`].

pub mod namei;

use super::errno::{Errno, KResult};
use super::fs::procfs;
use super::inotify::{IN_ACCESS, IN_ATTRIB, IN_CREATE, IN_DELETE, IN_MODIFY};
use super::inotify::{IN_MOVED_FROM, IN_MOVED_TO, IN_MOVE_SELF};
use super::perm::Cred;
use super::task::Task;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Inode number within one filesystem.
pub type Ino = u64;

pub const S_IFMT: u32 = 0o170000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFBLK: u32 = 0o060000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFIFO: u32 = 0o010000;

/// Attributes of an inode, as `stat` reports them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub dev: u64,
    pub ino: Ino,
    /// Type and permission bits.
    pub mode: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev: (u32, u32),
    pub size: u64,
    /// 512-byte units allocated.
    pub blocks: u64,
    pub blksize: u32,
    pub atime: i64,
    pub mtime: i64,
    pub ctime: i64,
}

impl Stat {
    pub fn file_type(&self) -> u32 {
        self.mode & S_IFMT
    }
    pub fn is_dir(&self) -> bool {
        self.file_type() == S_IFDIR
    }
}

/// One directory entry.
#[derive(Clone, Debug)]
pub struct DirEntry {
    pub ino: Ino,
    pub name: Vec<u8>,
    /// `S_IF*` type bits.
    pub kind: u32,
}

/// What `statfs` reports.
#[derive(Clone, Debug, Default)]
pub struct FsStats {
    pub magic: u32,
    pub block_size: u32,
    pub blocks: u64,
    pub free_blocks: u64,
    pub available_blocks: u64,
    pub files: u64,
    pub free_files: u64,
    pub name_max: u32,
}

/// Changes to an inode's attributes (`None` leaves one as is).
#[derive(Clone, Debug, Default)]
pub struct SetAttr {
    pub perm: Option<u32>,
    pub owner: Option<(u32, u32)>,
    pub atime: Option<i64>,
    pub mtime: Option<i64>,
}

/// Inode-level operations of a mounted filesystem. Names are single components; the
/// filesystem never sees a path. `..` of a directory is the filesystem's own.
pub trait FileSystem {
    fn root(&self) -> Ino;
    fn stat(&mut self, ino: Ino) -> KResult<Stat>;
    fn lookup(&mut self, dir: Ino, name: &[u8]) -> KResult<Ino>;
    /// Every entry, `.` and `..` included.
    fn readdir(&mut self, dir: Ino) -> KResult<Vec<DirEntry>>;
    fn read(&mut self, ino: Ino, offset: u64, buf: &mut [u8]) -> KResult<usize>;
    fn write(&mut self, ino: Ino, offset: u64, data: &[u8]) -> KResult<usize>;
    fn truncate(&mut self, ino: Ino, size: u64) -> KResult<()>;
    /// Creates a regular file, directory, fifo, socket or device node.
    fn create(
        &mut self,
        dir: Ino,
        name: &[u8],
        mode: u32,
        rdev: (u32, u32),
        owner: (u32, u32),
    ) -> KResult<Ino>;
    fn symlink(&mut self, dir: Ino, name: &[u8], target: &[u8], owner: (u32, u32)) -> KResult<Ino>;
    fn readlink(&mut self, ino: Ino) -> KResult<Vec<u8>>;
    fn link(&mut self, ino: Ino, dir: Ino, name: &[u8]) -> KResult<()>;
    fn unlink(&mut self, dir: Ino, name: &[u8]) -> KResult<()>;
    fn rmdir(&mut self, dir: Ino, name: &[u8]) -> KResult<()>;
    fn rename(&mut self, old_dir: Ino, old: &[u8], new_dir: Ino, new: &[u8]) -> KResult<()>;
    fn set_attr(&mut self, ino: Ino, attr: &SetAttr) -> KResult<()>;
    /// An open file keeps the inode alive after its last name goes.
    fn hold(&mut self, ino: Ino);
    fn release(&mut self, ino: Ino);
    fn statfs(&mut self) -> FsStats;
    fn sync(&mut self) -> KResult<()>;
    /// The clock for timestamps, seconds since the epoch.
    fn set_time(&mut self, _secs: i64) {}
}

pub type FsRef = Rc<RefCell<dyn FileSystem>>;

/// Index into the mount table.
pub type MountId = usize;

/// A place in the tree: an inode of a mount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    pub mount: MountId,
    pub ino: Ino,
}

/// What a mount holds.
#[derive(Clone)]
pub enum MountFs {
    Disk(FsRef),
    Proc,
}

pub struct Mount {
    pub fs: MountFs,
    /// Where it is mounted (`None` for the root).
    pub on: Option<Loc>,
    /// Absolute path, for `/proc/mounts`.
    pub path: String,
    pub fstype: &'static str,
    pub source: String,
    /// `st_dev` of its inodes.
    pub dev: u64,
}

/// What procfs needs to know to answer: the task asking and all tasks.
pub struct ProcCtx<'a> {
    pub current: &'a Task,
    pub tasks: &'a BTreeMap<u32, Task>,
    pub uptime_ns: u64,
    pub frames_in_use: usize,
    pub memory_bytes: u64,
    /// Who is resolving: directories need search permission for it.
    pub cred: Cred,
}

/// The link count of `ino` (0 once it is freed).
fn links(fs: &FsRef, ino: Ino) -> u32 {
    fs.borrow_mut().stat(ino).map_or(0, |s| s.nlink)
}

/// The mount table.
#[derive(Default)]
pub struct Vfs {
    pub mounts: Vec<Mount>,
    /// Mount point location to the mount on it.
    covered: BTreeMap<Loc, MountId>,
    /// Where filesystem changes are reported for `inotify`.
    pub notify: std::rc::Rc<super::inotify::Hub>,
}

impl Vfs {
    pub fn new() -> Vfs {
        Vfs::default()
    }

    /// Mounts `fs` at `on` (`None`: the root). Returns the new mount's id.
    pub fn mount(
        &mut self,
        fs: MountFs,
        on: Option<Loc>,
        path: &str,
        fstype: &'static str,
        source: &str,
    ) -> MountId {
        let id = self.mounts.len();
        self.mounts.push(Mount {
            fs,
            on,
            path: path.to_string(),
            fstype,
            source: source.to_string(),
            dev: 0x800 + id as u64,
        });
        if let Some(at) = on {
            self.covered.insert(at, id);
        }
        id
    }

    pub fn root(&self) -> Loc {
        self.mount_root(0)
    }

    pub fn mount_root(&self, m: MountId) -> Loc {
        let ino = match &self.mounts[m].fs {
            MountFs::Disk(fs) => fs.borrow().root(),
            MountFs::Proc => procfs::ROOT,
        };
        Loc { mount: m, ino }
    }

    /// The mount covering `loc`, followed through stacked mounts.
    pub fn cross_down(&self, mut loc: Loc) -> Loc {
        while let Some(&m) = self.covered.get(&loc) {
            loc = self.mount_root(m);
        }
        loc
    }

    pub fn disk(&self, m: MountId) -> Option<FsRef> {
        match &self.mounts[m].fs {
            MountFs::Disk(fs) => Some(fs.clone()),
            MountFs::Proc => None,
        }
    }

    fn disk_or_perm(&self, m: MountId) -> KResult<FsRef> {
        self.disk(m).ok_or(Errno::EACCES)
    }

    pub fn stat(&self, ctx: &ProcCtx, loc: Loc) -> KResult<Stat> {
        let mut st = match &self.mounts[loc.mount].fs {
            MountFs::Disk(fs) => fs.borrow_mut().stat(loc.ino)?,
            MountFs::Proc => procfs::stat(ctx, loc.ino)?,
        };
        st.dev = self.mounts[loc.mount].dev;
        Ok(st)
    }

    /// One name in a directory, without crossing mounts.
    pub fn lookup_here(&self, ctx: &ProcCtx, dir: Loc, name: &[u8]) -> KResult<Loc> {
        let ino = match &self.mounts[dir.mount].fs {
            MountFs::Disk(fs) => fs.borrow_mut().lookup(dir.ino, name)?,
            MountFs::Proc => procfs::lookup(ctx, dir.ino, name)?,
        };
        Ok(Loc {
            mount: dir.mount,
            ino,
        })
    }

    pub fn readdir(&self, ctx: &ProcCtx, dir: Loc) -> KResult<Vec<DirEntry>> {
        match &self.mounts[dir.mount].fs {
            MountFs::Disk(fs) => fs.borrow_mut().readdir(dir.ino),
            MountFs::Proc => procfs::readdir(ctx, dir.ino),
        }
    }

    pub fn readlink(&self, ctx: &ProcCtx, loc: Loc) -> KResult<Vec<u8>> {
        match &self.mounts[loc.mount].fs {
            MountFs::Disk(fs) => fs.borrow_mut().readlink(loc.ino),
            MountFs::Proc => procfs::readlink(self, ctx, loc.ino),
        }
    }

    pub fn create(
        &self,
        dir: Loc,
        name: &[u8],
        mode: u32,
        rdev: (u32, u32),
        owner: (u32, u32),
    ) -> KResult<Loc> {
        let ino = self
            .disk_or_perm(dir.mount)?
            .borrow_mut()
            .create(dir.ino, name, mode, rdev, owner)?;
        let is_dir = mode & 0o170000 == S_IFDIR;
        self.notify.child_event(dir, name, is_dir, IN_CREATE, 0);
        Ok(Loc {
            mount: dir.mount,
            ino,
        })
    }

    pub fn symlink(&self, dir: Loc, name: &[u8], target: &[u8], owner: (u32, u32)) -> KResult<()> {
        self.disk_or_perm(dir.mount)?
            .borrow_mut()
            .symlink(dir.ino, name, target, owner)?;
        self.notify.child_event(dir, name, false, IN_CREATE, 0);
        Ok(())
    }

    pub fn link(&self, target: Loc, dir: Loc, name: &[u8]) -> KResult<()> {
        if target.mount != dir.mount {
            return Err(Errno::EXDEV);
        }
        self.disk_or_perm(dir.mount)?
            .borrow_mut()
            .link(target.ino, dir.ino, name)?;
        self.notify.self_event(target, false, IN_ATTRIB);
        self.notify.child_event(dir, name, false, IN_CREATE, 0);
        Ok(())
    }

    pub fn unlink(&self, dir: Loc, name: &[u8]) -> KResult<()> {
        let fs = self.disk_or_perm(dir.mount)?;
        let victim = fs.borrow_mut().lookup(dir.ino, name).ok();
        fs.borrow_mut().unlink(dir.ino, name)?;
        if let Some(ino) = victim {
            let loc = Loc {
                mount: dir.mount,
                ino,
            };
            self.notify.self_event(loc, false, IN_ATTRIB);
            self.notify.child_event(dir, name, false, IN_DELETE, 0);
            if links(&fs, ino) == 0 {
                self.notify.inode_gone(loc);
            }
        }
        Ok(())
    }

    pub fn rmdir(&self, dir: Loc, name: &[u8]) -> KResult<()> {
        let fs = self.disk_or_perm(dir.mount)?;
        let victim = fs.borrow_mut().lookup(dir.ino, name).ok();
        fs.borrow_mut().rmdir(dir.ino, name)?;
        self.notify.child_event(dir, name, true, IN_DELETE, 0);
        if let Some(ino) = victim {
            let mount = dir.mount;
            self.notify.inode_gone(Loc { mount, ino });
        }
        Ok(())
    }

    pub fn rename(&self, old_dir: Loc, old: &[u8], new_dir: Loc, new: &[u8]) -> KResult<()> {
        if old_dir.mount != new_dir.mount {
            return Err(Errno::EXDEV);
        }
        let fs = self.disk_or_perm(old_dir.mount)?;
        let moved = fs.borrow_mut().lookup(old_dir.ino, old).ok();
        let replaced = fs.borrow_mut().lookup(new_dir.ino, new).ok();
        fs.borrow_mut().rename(old_dir.ino, old, new_dir.ino, new)?;
        let Some(ino) = moved else {
            return Ok(());
        };
        let mount = old_dir.mount;
        let is_dir = fs.borrow_mut().stat(ino).is_ok_and(|s| s.is_dir());
        let cookie = self.notify.next_cookie();
        self.notify
            .child_event(old_dir, old, is_dir, IN_MOVED_FROM, cookie);
        self.notify
            .child_event(new_dir, new, is_dir, IN_MOVED_TO, cookie);
        self.notify
            .self_event(Loc { mount, ino }, is_dir, IN_MOVE_SELF);
        if let Some(r) = replaced.filter(|&r| r != ino) {
            let loc = Loc { mount, ino: r };
            self.notify.self_event(loc, is_dir, IN_ATTRIB);
            if links(&fs, r) == 0 {
                self.notify.inode_gone(loc);
            }
        }
        Ok(())
    }

    pub fn set_attr(&self, loc: Loc, attr: &SetAttr) -> KResult<()> {
        let fs = self.disk_or_perm(loc.mount)?;
        fs.borrow_mut().set_attr(loc.ino, attr)?;
        // As Linux's fsnotify_change: both times (utimes) or ownership/mode are an
        // attribute change; one time alone is an access or a modification.
        let mask = match (attr.atime.is_some(), attr.mtime.is_some()) {
            _ if attr.perm.is_some() || attr.owner.is_some() => IN_ATTRIB,
            (true, true) => IN_ATTRIB,
            (true, false) => IN_ACCESS,
            (false, true) => IN_MODIFY,
            (false, false) => 0,
        };
        if mask != 0 {
            let is_dir = fs.borrow_mut().stat(loc.ino).is_ok_and(|s| s.is_dir());
            self.notify.inode_event(&fs, loc, is_dir, mask);
        }
        Ok(())
    }

    /// Reports `mask` on the inode at `loc` of a disk filesystem (`inotify`).
    pub fn notify_inode(&self, loc: Loc, mask: u32) {
        if let Some(fs) = self.disk(loc.mount) {
            let is_dir = fs.borrow_mut().stat(loc.ino).is_ok_and(|s| s.is_dir());
            self.notify.inode_event(&fs, loc, is_dir, mask);
        }
    }

    /// `name` in the root directory of the mount at `path` (e.g. `/dev` and `console`).
    pub fn lookup_in_mount(&self, path: &str, name: &[u8]) -> Option<Loc> {
        let m = self.mounts.iter().position(|m| m.path == path)?;
        let root = self.mount_root(m);
        let ino = self.disk(m)?.borrow_mut().lookup(root.ino, name).ok()?;
        Some(Loc { mount: m, ino })
    }

    /// Whether `loc` is the mount point some mount covers (mounts cannot be removed).
    pub fn is_mount_point(&self, loc: Loc) -> bool {
        self.covered.contains_key(&loc)
    }

    /// Sets the timestamp clock of every disk filesystem.
    pub fn set_time(&self, secs: i64) {
        for m in &self.mounts {
            if let MountFs::Disk(fs) = &m.fs {
                if let Ok(mut fs) = fs.try_borrow_mut() {
                    fs.set_time(secs);
                }
            }
        }
    }

    /// Flushes every disk filesystem (`sync`, and at shutdown).
    pub fn sync_all(&self) -> KResult<()> {
        for m in &self.mounts {
            if let MountFs::Disk(fs) = &m.fs {
                fs.borrow_mut().sync()?;
            }
        }
        Ok(())
    }
}
