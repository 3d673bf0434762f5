//! Syscalls on names and metadata: `open`/`openat`, the `stat` family, `*at` directory
//! operations, links, renames, permissions, times, the working directory.

use super::{mem, path_arg, Call, SysError, SysResult};
use crate::kernel::abi::{Stat64, Statfs64, Statx, StatxTimestamp, Timespec32, Timespec64};
use crate::kernel::device::CharDevice;
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::exec::proc_ctx;
use crate::kernel::file::*;
use crate::kernel::fs::procfs;
use crate::kernel::perm::*;
use crate::kernel::task::Task;
use crate::kernel::vfs::namei::Walk;
use crate::kernel::vfs::*;
use crate::kernel::Kernel;
use std::rc::Rc;

pub const AT_FDCWD: i32 = -100;
const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
const AT_REMOVEDIR: u32 = 0x200;
const AT_SYMLINK_FOLLOW: u32 = 0x400;
const AT_EMPTY_PATH: u32 = 0x1000;

/// Where a path relative to `dirfd` starts.
pub fn walk_from(t: &Task, dirfd: i32) -> KResult<Walk> {
    let fsc = t.fs.borrow();
    let start = if dirfd == AT_FDCWD {
        fsc.cwd
    } else {
        let files = t.files.borrow();
        let f = files.get(dirfd as u32).ok_or(Errno::EBADF)?;
        f.file.loc.ok_or(Errno::ENOTDIR)?
    };
    Ok(Walk {
        root: fsc.root,
        start,
    })
}

pub(crate) fn resolve(k: &Kernel, t: &Task, dirfd: i32, path: &[u8], follow: bool) -> KResult<Loc> {
    let walk = walk_from(t, dirfd)?;
    let ctx = proc_ctx(k, t);
    k.vfs.resolve(&ctx, walk, path, follow)
}

pub(crate) fn resolve_parent(
    k: &Kernel,
    t: &Task,
    dirfd: i32,
    path: &[u8],
) -> KResult<(Loc, Vec<u8>)> {
    let walk = walk_from(t, dirfd)?;
    let ctx = proc_ctx(k, t);
    k.vfs.resolve_parent(&ctx, walk, path)
}

/// The inode `inotify_add_watch` names by `path`, and whether it is a directory.
pub fn resolve_for_watch(k: &Kernel, t: &Task, path: &[u8], follow: bool) -> KResult<(Loc, bool)> {
    let loc = k.vfs.cross_down(resolve(k, t, AT_FDCWD, path, follow)?);
    Ok((loc, stat_loc(k, t, loc)?.is_dir()))
}

pub(crate) fn stat_loc(k: &Kernel, t: &Task, loc: Loc) -> KResult<Stat> {
    k.vfs.stat(&proc_ctx(k, t), loc)
}

/// The identity the task's file operations are checked with.
fn cred(t: &Task) -> Cred {
    t.process.borrow().fs_cred()
}

/// `may_create`: a new name in `dir` needs write and search permission there. Returns
/// the owner and mode (`kind | perm`) the new inode gets.
pub(crate) fn may_create(k: &Kernel, t: &Task, dir: Loc, mode: u32) -> KResult<((u32, u32), u32)> {
    let st = stat_loc(k, t, dir)?;
    let c = cred(t);
    may_access(&c, &st, MAY_WRITE | MAY_EXEC)?;
    Ok(new_inode_owner(&c, &st, mode))
}

/// Fails with `EEXIST` when `name` is already in `dir` (checked before permissions, as
/// Linux's `filename_create` does).
pub(crate) fn must_be_new(k: &Kernel, t: &Task, dir: Loc, name: &[u8]) -> KResult<()> {
    if name.is_empty() || name == b"." || name == b".." {
        return Err(Errno::EEXIST);
    }
    let ctx = proc_ctx(k, t);
    match k.vfs.lookup_here(&ctx, dir, name) {
        Ok(_) => Err(Errno::EEXIST),
        Err(Errno::ENOENT) => Ok(()),
        Err(e) => Err(e),
    }
}

/// `may_delete`: `name` must exist in `dir`; write and search on `dir`, and the sticky
/// rule. Returns the victim's attributes.
fn may_delete_name(k: &Kernel, t: &Task, dir: Loc, name: &[u8]) -> KResult<Stat> {
    let ctx = proc_ctx(k, t);
    let victim = k.vfs.lookup_here(&ctx, dir, name)?;
    let vst = k.vfs.stat(&ctx, victim)?;
    let dst = k.vfs.stat(&ctx, dir)?;
    may_delete(&ctx.cred, &dst, &vst)?;
    Ok(vst)
}

pub(crate) fn task_umask(t: &Task) -> u32 {
    t.fs.borrow().umask
}

/// The absolute form of a path the task named (for `/proc/self/fd`).
fn absolute(k: &Kernel, t: &Task, dirfd: i32, path: &[u8]) -> Vec<u8> {
    if path.starts_with(b"/") {
        return path.to_vec();
    }
    let Ok(walk) = walk_from(t, dirfd) else {
        return path.to_vec();
    };
    let ctx = proc_ctx(k, t);
    let mut base = k
        .vfs
        .path_of(&ctx, walk.root, walk.start)
        .unwrap_or_else(|_| b"/".to_vec());
    if base != b"/" {
        base.push(b'/');
    }
    base.extend_from_slice(path);
    base
}

/// Opens `path`: the common part of `open`, `openat` and `creat`.
pub fn do_open(
    k: &mut Kernel,
    t: &mut Task,
    dirfd: i32,
    path: &[u8],
    flags: u32,
    mode: u32,
) -> SysResult {
    if flags & (O_NOFOLLOW | O_EXCL) == 0 {
        if let Some(file) = reopen_fd_link(k, t, dirfd, path, flags)? {
            let cloexec = flags & O_CLOEXEC != 0;
            let fd = t.files.borrow_mut().alloc(0, FdEntry { file, cloexec });
            return Ok(fd.ok_or(Errno::EMFILE)?);
        }
    }
    let mut created = false;
    let loc = if flags & O_CREAT != 0 {
        let (dir, name) = resolve_parent(k, t, dirfd, path)?;
        if name.is_empty() || name == b"." || name == b".." {
            return Err(Errno::EISDIR.into());
        }
        let ctx = proc_ctx(k, t);
        match k.vfs.lookup_here(&ctx, dir, &name) {
            Ok(_) if flags & O_EXCL != 0 => return Err(Errno::EEXIST.into()),
            Ok(_) => resolve(k, t, dirfd, path, flags & O_NOFOLLOW == 0)?,
            Err(e) if e == Errno::ENOENT => {
                let perm = mode & 0o7777 & !task_umask(t);
                let (owner, mode) = may_create(k, t, dir, S_IFREG | perm)?;
                created = true;
                k.vfs.create(dir, &name, mode, (0, 0), owner)?
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        resolve(k, t, dirfd, path, flags & O_NOFOLLOW == 0)?
    };
    let loc = k.vfs.cross_down(loc);
    let st = stat_loc(k, t, loc)?;
    let writable = flags & O_ACCMODE != O_RDONLY;
    if flags & O_DIRECTORY != 0 && !st.is_dir() {
        return Err(Errno::ENOTDIR.into());
    }
    if st.file_type() == S_IFLNK && flags & O_PATH == 0 {
        return Err(Errno::ELOOP.into());
    }
    if st.is_dir() && writable {
        return Err(Errno::EISDIR.into());
    }
    // A file this call created is not checked (`open(O_CREAT|O_RDWR, 0444)` works).
    if flags & O_PATH == 0 && !created {
        let mut want = match flags & O_ACCMODE {
            O_RDONLY => MAY_READ,
            O_WRONLY => MAY_WRITE,
            _ => MAY_READ | MAY_WRITE,
        };
        if flags & O_TRUNC != 0 {
            want |= MAY_WRITE;
        }
        may_access(&cred(t), &st, want)?;
    }
    let abs = absolute(k, t, dirfd, path);
    let kind = if flags & O_PATH != 0 {
        FileKind::ProcDir
    } else {
        match st.file_type() {
            S_IFCHR if st.rdev == (5, 2) => FileKind::Pty(k.open_ptmx(cred(t).uid)?),
            S_IFCHR if st.rdev.0 == crate::kernel::ptmx::PTS_MAJOR => {
                FileKind::Pty(k.open_pts(t, st.rdev.1, flags & O_NOCTTY != 0)?)
            }
            S_IFCHR => FileKind::Device(CharDevice::from_rdev(st.rdev)?),
            S_IFIFO => open_fifo(k, loc, flags)?,
            S_IFSOCK | S_IFBLK => return Err(Errno::ENXIO.into()),
            _ => match k.vfs.disk(loc.mount) {
                Some(fs) => {
                    if flags & O_TRUNC != 0 && writable && st.file_type() == S_IFREG {
                        fs.borrow_mut().truncate(loc.ino, 0)?;
                        k.truncate_file_pages(t, loc, st.size, 0);
                        k.vfs.notify_inode(loc, crate::kernel::inotify::IN_MODIFY);
                    }
                    FileKind::Inode { fs, loc }
                }
                None if st.is_dir() => FileKind::ProcDir,
                None => {
                    if writable {
                        return Err(Errno::EACCES.into());
                    }
                    let ctx = proc_ctx(k, t);
                    FileKind::ProcData {
                        data: procfs::content(&k.vfs, &ctx, loc.ino)?,
                    }
                }
            },
        }
    };
    let file = OpenFile::new(kind, Some(loc), abs, flags);
    if matches!(file.kind, FileKind::Inode { .. }) {
        *file.notify.borrow_mut() = Some(k.vfs.notify.clone());
        k.vfs.notify_inode(loc, crate::kernel::inotify::IN_OPEN);
    }
    let fd = t
        .files
        .borrow_mut()
        .alloc(
            0,
            FdEntry {
                file,
                cloexec: flags & O_CLOEXEC != 0,
            },
        )
        .ok_or(Errno::EMFILE)?;
    Ok(fd)
}

/// Opening `/proc/<pid>/fd/N` (also through `/dev/fd/N`, `/dev/stdin`, ...) opens the
/// object behind that descriptor again, as Linux's "magic links" do: a pipe gets a new
/// end, a file a new description. `None` when the path does not lead to such a link.
fn reopen_fd_link(
    k: &Kernel,
    t: &Task,
    dirfd: i32,
    path: &[u8],
    flags: u32,
) -> KResult<Option<Rc<OpenFile>>> {
    let mut walk = walk_from(t, dirfd)?;
    let mut path = path.to_vec();
    let ctx = proc_ctx(k, t);
    for _ in 0..8 {
        let Ok(loc) = k.vfs.resolve(&ctx, walk, &path, false) else {
            return Ok(None);
        };
        if k.vfs.disk(loc.mount).is_none() {
            let Some((pid, fd)) = procfs::fd_link(loc.ino) else {
                return Ok(None);
            };
            let owner = procfs::find(&ctx, pid).ok_or(Errno::ENOENT)?;
            let file = owner
                .files
                .borrow()
                .get(fd)
                .map(|e| e.file.clone())
                .ok_or(Errno::ENOENT)?;
            let kind = match &file.kind {
                FileKind::Pipe(end) => FileKind::Pipe(crate::kernel::pipe::PipeEnd::new(
                    &end.pipe,
                    flags & O_ACCMODE != O_RDONLY,
                )),
                FileKind::Device(d) => FileKind::Device(*d),
                FileKind::Inode { fs, loc } => FileKind::Inode {
                    fs: fs.clone(),
                    loc: *loc,
                },
                FileKind::ProcData { data } => FileKind::ProcData { data: data.clone() },
                FileKind::ProcDir => FileKind::ProcDir,
                // Sockets cannot be reopened through /proc (ENXIO, as on Linux); the
                // others are not reopened here yet.
                _ => return Err(Errno::ENXIO),
            };
            return Ok(Some(OpenFile::new(
                kind,
                file.loc,
                file.path.clone(),
                flags,
            )));
        }
        if stat_loc(k, t, loc)?.file_type() != S_IFLNK {
            return Ok(None);
        }
        let (dir, _) = k.vfs.resolve_parent(&ctx, walk, &path)?;
        path = k.vfs.readlink(&ctx, loc)?;
        walk.start = dir;
    }
    Ok(None)
}

/// Opens a FIFO: every opener of the same inode shares one pipe. A writer waits (the
/// call parks and is retried) until a reader has it open; a reader does not wait, but
/// reads as if it had until the first writer comes.
fn open_fifo(k: &mut Kernel, loc: Loc, flags: u32) -> Result<FileKind, SysError> {
    use crate::kernel::pipe::{Pipe, PipeEnd};
    k.fifos.retain(|_, p| p.strong_count() > 0);
    let pipe = match k.fifos.get(&loc).and_then(|p| p.upgrade()) {
        Some(p) => p,
        None => {
            let p = Rc::new(std::cell::RefCell::new(Pipe {
                awaiting_writer: true,
                ..Pipe::default()
            }));
            k.fifos.insert(loc, Rc::downgrade(&p));
            p
        }
    };
    match flags & O_ACCMODE {
        O_RDONLY => Ok(FileKind::Pipe(PipeEnd::new(&pipe, false))),
        O_WRONLY => {
            if pipe.borrow().readers == 0 {
                if flags & O_NONBLOCK != 0 {
                    return Err(Errno::ENXIO.into());
                }
                return Err(SysError::Block(None));
            }
            Ok(FileKind::Pipe(PipeEnd::new(&pipe, true)))
        }
        _ => Ok(FileKind::Pipe(PipeEnd::new(&pipe, true))),
    }
}

pub fn open(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(0))?;
    do_open(k, t, AT_FDCWD, &path, c.arg(1), c.arg(2))
}

pub fn openat(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(1))?;
    do_open(k, t, c.int(0), &path, c.arg(2), c.arg(3))
}

pub fn creat(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(0))?;
    do_open(
        k,
        t,
        AT_FDCWD,
        &path,
        O_CREAT | O_WRONLY | O_TRUNC,
        c.arg(1),
    )
}

// ----- stat ---------------------------------------------------------------------------

fn to_stat64(s: &Stat) -> Stat64 {
    Stat64 {
        dev: s.dev,
        ino_low: s.ino as u32,
        mode: s.mode,
        nlink: s.nlink,
        uid: s.uid,
        gid: s.gid,
        rdev: u64::from((s.rdev.0 << 8) | (s.rdev.1 & 0xff) | ((s.rdev.1 & !0xff) << 12)),
        size: s.size as i64,
        blksize: s.blksize,
        blocks: s.blocks,
        atime: s.atime as u32,
        mtime: s.mtime as u32,
        ctime: s.ctime as u32,
        ino: s.ino,
        ..Stat64::default()
    }
}

/// The attributes of an open file.
pub fn stat_file(k: &Kernel, t: &Task, file: &OpenFile) -> KResult<Stat> {
    match (&file.kind, file.loc) {
        (FileKind::Pipe(p), _) => Ok(Stat {
            dev: 0xc,
            ino: Rc::as_ptr(&p.pipe) as usize as u64 >> 4,
            mode: S_IFIFO | 0o600,
            nlink: 1,
            blksize: 4096,
            ..Stat::default()
        }),
        (FileKind::Socket(s), _) => Ok(Stat {
            dev: 0x8,
            ino: s.sock.borrow().ino,
            mode: crate::kernel::vfs::S_IFSOCK | 0o777,
            nlink: 1,
            blksize: 4096,
            ..Stat::default()
        }),
        (FileKind::Device(d), None) => Ok(Stat {
            dev: 0x16,
            ino: 3,
            mode: S_IFCHR | 0o620,
            nlink: 1,
            rdev: d.rdev(),
            blksize: 1024,
            ..Stat::default()
        }),
        (_, Some(loc)) => stat_loc(k, t, loc),
        // Anonymous inodes (signalfd, epoll, eventfd, timerfd, inotify).
        (kind, None) => Ok(Stat {
            dev: 0xd,
            ino: kind as *const FileKind as usize as u64 >> 4,
            mode: 0o600,
            nlink: 1,
            blksize: 4096,
            ..Stat::default()
        }),
    }
}

fn fd_file(t: &Task, fd: u32) -> KResult<Rc<OpenFile>> {
    t.files
        .borrow()
        .get(fd)
        .map(|e| e.file.clone())
        .ok_or(Errno::EBADF)
}

/// `stat` of `dirfd`/`path` with `AT_*` flags.
fn stat_at(k: &Kernel, t: &Task, dirfd: i32, path: &[u8], flags: u32) -> KResult<Stat> {
    if path.is_empty() {
        if flags & AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        if dirfd == AT_FDCWD {
            return stat_loc(k, t, t.fs.borrow().cwd);
        }
        let file = fd_file(t, dirfd as u32)?;
        return stat_file(k, t, &file);
    }
    let loc = resolve(k, t, dirfd, path, flags & AT_SYMLINK_NOFOLLOW == 0)?;
    stat_loc(k, t, loc)
}

fn put_stat64(k: &mut Kernel, t: &Task, addr: u32, s: &Stat) -> SysResult {
    let st = to_stat64(s);
    mem(k, t, |m| m.write_obj(addr, &st))?;
    Ok(0)
}

pub fn stat64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(0))?;
    let s = stat_at(k, t, AT_FDCWD, &path, 0)?;
    put_stat64(k, t, c.arg(1), &s)
}

pub fn lstat64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(0))?;
    let s = stat_at(k, t, AT_FDCWD, &path, AT_SYMLINK_NOFOLLOW)?;
    put_stat64(k, t, c.arg(1), &s)
}

pub fn fstat64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let file = fd_file(t, c.arg(0))?;
    let s = stat_file(k, t, &file)?;
    put_stat64(k, t, c.arg(1), &s)
}

fn path_or_empty(k: &mut Kernel, t: &Task, addr: u32) -> KResult<Vec<u8>> {
    mem(k, t, |m| m.read_cstr(addr, 4096))
}

pub fn fstatat64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_or_empty(k, t, c.arg(1))?;
    let s = stat_at(k, t, c.int(0), &path, c.arg(3))?;
    put_stat64(k, t, c.arg(2), &s)
}

pub fn statx(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_or_empty(k, t, c.arg(1))?;
    let s = stat_at(k, t, c.int(0), &path, c.arg(2))?;
    let ts = |sec: i64| StatxTimestamp {
        sec,
        ..Default::default()
    };
    let x = Statx {
        mask: 0x7ff,
        blksize: s.blksize,
        nlink: s.nlink,
        uid: s.uid,
        gid: s.gid,
        mode: s.mode as u16,
        ino: s.ino,
        size: s.size,
        blocks: s.blocks,
        atime: ts(s.atime),
        ctime: ts(s.ctime),
        mtime: ts(s.mtime),
        rdev_major: s.rdev.0,
        rdev_minor: s.rdev.1,
        dev_major: (s.dev >> 8) as u32,
        dev_minor: (s.dev & 0xff) as u32,
        ..Statx::default()
    };
    mem(k, t, |m| m.write_obj(c.arg(4), &x))?;
    Ok(0)
}

fn put_statfs(k: &mut Kernel, t: &Task, loc: Loc, addr: u32) -> SysResult {
    let s = match k.vfs.disk(loc.mount) {
        Some(fs) => fs.borrow_mut().statfs(),
        None => FsStats {
            magic: 0x9fa0,
            block_size: 4096,
            name_max: 255,
            ..FsStats::default()
        },
    };
    let out = Statfs64 {
        kind: s.magic,
        bsize: s.block_size,
        blocks: s.blocks,
        bfree: s.free_blocks,
        bavail: s.available_blocks,
        files: s.files,
        ffree: s.free_files,
        namelen: s.name_max,
        frsize: s.block_size,
        ..Statfs64::default()
    };
    mem(k, t, |m| m.write_obj(addr, &out))?;
    Ok(0)
}

pub fn statfs64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(0))?;
    let loc = resolve(k, t, AT_FDCWD, &path, true)?;
    put_statfs(k, t, loc, c.arg(2))
}

pub fn fstatfs64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let file = fd_file(t, c.arg(0))?;
    let loc = file.loc.ok_or(Errno::ENOSYS)?;
    put_statfs(k, t, loc, c.arg(2))
}

// ----- directories and names ------------------------------------------------------------

pub fn getcwd(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let fsc = t.fs.borrow().clone();
    let ctx = proc_ctx(k, t);
    let mut path = k.vfs.path_of(&ctx, fsc.root, fsc.cwd)?;
    path.push(0);
    if path.len() > c.arg(1) as usize {
        return Err(Errno::ERANGE.into());
    }
    mem(k, t, |m| m.write(c.arg(0), &path))?;
    Ok(path.len() as u32)
}

fn set_cwd(k: &Kernel, t: &Task, loc: Loc) -> SysResult {
    let st = stat_loc(k, t, loc)?;
    if !st.is_dir() {
        return Err(Errno::ENOTDIR.into());
    }
    may_access(&cred(t), &st, MAY_EXEC)?;
    t.fs.borrow_mut().cwd = loc;
    Ok(0)
}

pub fn chdir(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(0))?;
    let loc = resolve(k, t, AT_FDCWD, &path, true)?;
    set_cwd(k, t, loc)
}

pub fn fchdir(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let file = fd_file(t, c.arg(0))?;
    set_cwd(k, t, file.loc.ok_or(Errno::ENOTDIR)?)
}

pub fn chroot(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(0))?;
    let loc = resolve(k, t, AT_FDCWD, &path, true)?;
    let st = stat_loc(k, t, loc)?;
    if !st.is_dir() {
        return Err(Errno::ENOTDIR.into());
    }
    may_access(&cred(t), &st, MAY_EXEC)?;
    if !cred(t).privileged() {
        return Err(Errno::EPERM.into());
    }
    t.fs.borrow_mut().root = loc;
    Ok(0)
}

pub fn umask(_k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let mut f = t.fs.borrow_mut();
    let old = f.umask;
    f.umask = c.arg(0) & 0o777;
    Ok(old)
}

fn do_mkdir(k: &mut Kernel, t: &mut Task, dirfd: i32, path: &[u8], mode: u32) -> SysResult {
    let (dir, name) = resolve_parent(k, t, dirfd, path)?;
    must_be_new(k, t, dir, &name)?;
    let perm = mode & 0o7777 & !task_umask(t);
    let (owner, mode) = may_create(k, t, dir, S_IFDIR | perm)?;
    k.vfs.create(dir, &name, mode, (0, 0), owner)?;
    Ok(0)
}

pub fn mkdir(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(0))?;
    do_mkdir(k, t, AT_FDCWD, &path, c.arg(1))
}

pub fn mkdirat(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(1))?;
    do_mkdir(k, t, c.int(0), &path, c.arg(2))
}

fn do_mknod(
    k: &mut Kernel,
    t: &mut Task,
    dirfd: i32,
    path: &[u8],
    mode: u32,
    dev: u32,
) -> SysResult {
    let (dir, name) = resolve_parent(k, t, dirfd, path)?;
    let kind = if mode & S_IFMT == 0 {
        S_IFREG
    } else {
        mode & S_IFMT
    };
    if !matches!(kind, S_IFREG | S_IFCHR | S_IFBLK | S_IFIFO | S_IFSOCK) {
        return Err(Errno::EINVAL.into());
    }
    must_be_new(k, t, dir, &name)?;
    if matches!(kind, S_IFCHR | S_IFBLK) && !cred(t).privileged() {
        return Err(Errno::EPERM.into()); // CAP_MKNOD
    }
    let perm = mode & 0o7777 & !task_umask(t);
    let (owner, mode) = may_create(k, t, dir, kind | perm)?;
    let rdev = ((dev >> 8) & 0xfff, (dev & 0xff) | ((dev >> 12) & 0xfff00));
    k.vfs.create(dir, &name, mode, rdev, owner)?;
    Ok(0)
}

pub fn mknod(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(0))?;
    do_mknod(k, t, AT_FDCWD, &path, c.arg(1), c.arg(2))
}

pub fn mknodat(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(1))?;
    do_mknod(k, t, c.int(0), &path, c.arg(2), c.arg(3))
}

fn do_unlink(k: &mut Kernel, t: &mut Task, dirfd: i32, path: &[u8], flags: u32) -> SysResult {
    let (dir, name) = resolve_parent(k, t, dirfd, path)?;
    if flags & AT_REMOVEDIR != 0 {
        if name == b"." {
            return Err(Errno::EINVAL.into());
        }
        let ctx = proc_ctx(k, t);
        let target = k.vfs.lookup_here(&ctx, dir, &name)?;
        if k.vfs.is_mount_point(target) {
            return Err(Errno::EBUSY.into());
        }
        if name != b".." {
            may_delete_name(k, t, dir, &name)?;
        }
        k.vfs.rmdir(dir, &name)?;
    } else {
        if name.is_empty() {
            return Err(Errno::EISDIR.into());
        }
        may_delete_name(k, t, dir, &name)?;
        k.vfs.unlink(dir, &name)?;
    }
    Ok(0)
}

pub fn unlink(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(0))?;
    do_unlink(k, t, AT_FDCWD, &path, 0)
}

pub fn rmdir(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(0))?;
    do_unlink(k, t, AT_FDCWD, &path, AT_REMOVEDIR)
}

pub fn unlinkat(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(1))?;
    do_unlink(k, t, c.int(0), &path, c.arg(2))
}

fn do_link(
    k: &mut Kernel,
    t: &mut Task,
    olddir: i32,
    old: &[u8],
    newdir: i32,
    new: &[u8],
    follow: bool,
) -> SysResult {
    let target = resolve(k, t, olddir, old, follow)?;
    let st = stat_loc(k, t, target)?;
    if st.is_dir() {
        return Err(Errno::EPERM.into());
    }
    let (dir, name) = resolve_parent(k, t, newdir, new)?;
    must_be_new(k, t, dir, &name)?;
    may_link(&cred(t), &st)?;
    may_create(k, t, dir, 0)?;
    k.vfs.link(target, dir, &name)?;
    Ok(0)
}

pub fn link(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let old = path_arg(k, t, c.arg(0))?;
    let new = path_arg(k, t, c.arg(1))?;
    do_link(k, t, AT_FDCWD, &old, AT_FDCWD, &new, false)
}

pub fn linkat(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let old = path_arg(k, t, c.arg(1))?;
    let new = path_arg(k, t, c.arg(3))?;
    let follow = c.arg(4) & AT_SYMLINK_FOLLOW != 0;
    do_link(k, t, c.int(0), &old, c.int(2), &new, follow)
}

fn do_symlink(k: &mut Kernel, t: &mut Task, target: &[u8], dirfd: i32, path: &[u8]) -> SysResult {
    let (dir, name) = resolve_parent(k, t, dirfd, path)?;
    must_be_new(k, t, dir, &name)?;
    let (owner, _) = may_create(k, t, dir, S_IFLNK | 0o777)?;
    k.vfs.symlink(dir, &name, target, owner)?;
    Ok(0)
}

pub fn symlink(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let target = path_arg(k, t, c.arg(0))?;
    let path = path_arg(k, t, c.arg(1))?;
    do_symlink(k, t, &target, AT_FDCWD, &path)
}

pub fn symlinkat(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let target = path_arg(k, t, c.arg(0))?;
    let path = path_arg(k, t, c.arg(2))?;
    do_symlink(k, t, &target, c.int(1), &path)
}

fn do_readlink(
    k: &mut Kernel,
    t: &mut Task,
    dirfd: i32,
    path: &[u8],
    buf: u32,
    size: u32,
) -> SysResult {
    if (size as i32) <= 0 {
        return Err(Errno::EINVAL.into());
    }
    let loc = resolve(k, t, dirfd, path, false)?;
    let ctx = proc_ctx(k, t);
    let target = k.vfs.readlink(&ctx, loc)?;
    let n = target.len().min(size as usize);
    mem(k, t, |m| m.write(buf, &target[..n]))?;
    Ok(n as u32)
}

pub fn readlink(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(0))?;
    do_readlink(k, t, AT_FDCWD, &path, c.arg(1), c.arg(2))
}

pub fn readlinkat(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(1))?;
    do_readlink(k, t, c.int(0), &path, c.arg(2), c.arg(3))
}

fn do_rename(
    k: &mut Kernel,
    t: &mut Task,
    od: i32,
    old: &[u8],
    nd: i32,
    new: &[u8],
    flags: u32,
) -> SysResult {
    let (odir, oname) = resolve_parent(k, t, od, old)?;
    let (ndir, nname) = resolve_parent(k, t, nd, new)?;
    if oname.is_empty() || nname.is_empty() || oname == b"." || oname == b".." {
        return Err(Errno::EBUSY.into());
    }
    let ctx = proc_ctx(k, t);
    let target = k.vfs.lookup_here(&ctx, ndir, &nname);
    if flags & 1 != 0 && target.is_ok() {
        return Err(Errno::EEXIST.into()); // RENAME_NOREPLACE
    }
    drop(ctx);
    let source = may_delete_name(k, t, odir, &oname)?;
    match target {
        Ok(_) if nname != b"." && nname != b".." => {
            may_delete_name(k, t, ndir, &nname)?;
        }
        _ => {
            may_create(k, t, ndir, 0)?;
        }
    }
    if source.is_dir() && odir != ndir {
        may_access(&cred(t), &source, MAY_WRITE)?;
    }
    k.vfs.rename(odir, &oname, ndir, &nname)?;
    Ok(0)
}

pub fn rename(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let old = path_arg(k, t, c.arg(0))?;
    let new = path_arg(k, t, c.arg(1))?;
    do_rename(k, t, AT_FDCWD, &old, AT_FDCWD, &new, 0)
}

pub fn renameat(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let old = path_arg(k, t, c.arg(1))?;
    let new = path_arg(k, t, c.arg(3))?;
    do_rename(k, t, c.int(0), &old, c.int(2), &new, 0)
}

pub fn renameat2(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let old = path_arg(k, t, c.arg(1))?;
    let new = path_arg(k, t, c.arg(3))?;
    do_rename(k, t, c.int(0), &old, c.int(2), &new, c.arg(4))
}

const AT_EACCESS: u32 = 0x200;

/// `access`/`faccessat`/`faccessat2`: checked with the real ids (the effective ones with
/// `AT_EACCESS`), the path walk included.
fn do_access(
    k: &mut Kernel,
    t: &mut Task,
    dirfd: i32,
    path: &[u8],
    mode: u32,
    flags: u32,
) -> SysResult {
    if mode & !7 != 0 || flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL.into());
    }
    let c = {
        let p = t.process.borrow();
        if flags & AT_EACCESS != 0 {
            p.fs_cred()
        } else {
            p.real_cred()
        }
    };
    let st = if path.is_empty() {
        stat_at(k, t, dirfd, path, flags)?
    } else {
        let walk = walk_from(t, dirfd)?;
        let mut ctx = proc_ctx(k, t);
        ctx.cred = c.clone();
        let loc = k
            .vfs
            .resolve(&ctx, walk, path, flags & AT_SYMLINK_NOFOLLOW == 0)?;
        k.vfs.stat(&ctx, loc)?
    };
    if mode != 0 {
        may_access(&c, &st, mode)?;
    }
    Ok(0)
}

pub fn access(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(0))?;
    do_access(k, t, AT_FDCWD, &path, c.arg(1), 0)
}

pub fn faccessat(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let flags = if c.nr == super::names::nr::FACCESSAT2 {
        c.arg(3)
    } else {
        0
    };
    let path = if flags & AT_EMPTY_PATH != 0 {
        path_or_empty(k, t, c.arg(1))?
    } else {
        path_arg(k, t, c.arg(1))?
    };
    do_access(k, t, c.int(0), &path, c.arg(2), flags)
}

// ----- attributes ------------------------------------------------------------------------

/// What an attribute change asks, so the permission rule can be applied to the inode's
/// current attributes once it is found.
#[derive(Clone, Copy)]
enum AttrChange {
    Mode(u32),
    /// `u32::MAX` keeps an id.
    Owner(u32, u32),
    /// `None`: both "now"; `Some`: explicit times (`UTIME_OMIT` already dropped).
    Times {
        touch: bool,
        atime: Option<i64>,
        mtime: Option<i64>,
    },
}

/// Checks `change` against `st` for the task and gives the attributes to store.
fn attr_for(t: &Task, st: &Stat, change: AttrChange) -> KResult<SetAttr> {
    let c = cred(t);
    Ok(match change {
        AttrChange::Mode(mode) => SetAttr {
            perm: Some(chmod_bits(&c, st, mode)?),
            ..SetAttr::default()
        },
        AttrChange::Owner(uid, gid) => {
            let (owner, perm) = chown_check(&c, st, uid, gid)?;
            SetAttr {
                owner: Some(owner),
                perm,
                ..SetAttr::default()
            }
        }
        AttrChange::Times {
            touch,
            atime,
            mtime,
        } => {
            if touch {
                // Both "now": the owner, root, or anyone who may write it.
                if !c.owns(st) {
                    may_access(&c, st, MAY_WRITE)?;
                }
            } else if !c.owns(st) {
                return Err(Errno::EPERM);
            }
            SetAttr {
                atime,
                mtime,
                ..SetAttr::default()
            }
        }
    })
}

fn set_attr_path(
    k: &mut Kernel,
    t: &mut Task,
    dirfd: i32,
    path: &[u8],
    follow: bool,
    change: AttrChange,
) -> SysResult {
    let loc = resolve(k, t, dirfd, path, follow)?;
    let st = stat_loc(k, t, loc)?;
    let attr = attr_for(t, &st, change)?;
    k.vfs.set_attr(loc, &attr)?;
    Ok(0)
}

fn set_attr_fd(k: &mut Kernel, t: &mut Task, fd: u32, change: AttrChange) -> SysResult {
    let file = fd_file(t, fd)?;
    let st = stat_file(k, t, &file)?;
    let attr = attr_for(t, &st, change)?;
    match file.loc {
        Some(loc) => k.vfs.set_attr(loc, &attr)?,
        None => return Ok(0),
    }
    Ok(0)
}

pub fn chmod(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(0))?;
    set_attr_path(k, t, AT_FDCWD, &path, true, AttrChange::Mode(c.arg(1)))
}

pub fn fchmod(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    set_attr_fd(k, t, c.arg(0), AttrChange::Mode(c.arg(1)))
}

pub fn fchmodat(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(1))?;
    set_attr_path(k, t, c.int(0), &path, true, AttrChange::Mode(c.arg(2)))
}

/// The 16-bit `chown` family widens a 16-bit `-1`.
fn chown_id(c: &Call, v: u32) -> u32 {
    use super::names::nr;
    if matches!(c.nr, nr::CHOWN | nr::LCHOWN | nr::FCHOWN) {
        if v as u16 == u16::MAX {
            u32::MAX
        } else {
            v & 0xffff
        }
    } else {
        v
    }
}

pub fn chown(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(0))?;
    let change = AttrChange::Owner(chown_id(c, c.arg(1)), chown_id(c, c.arg(2)));
    set_attr_path(k, t, AT_FDCWD, &path, true, change)
}

pub fn lchown(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(0))?;
    let change = AttrChange::Owner(chown_id(c, c.arg(1)), chown_id(c, c.arg(2)));
    set_attr_path(k, t, AT_FDCWD, &path, false, change)
}

pub fn fchown(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let change = AttrChange::Owner(chown_id(c, c.arg(1)), chown_id(c, c.arg(2)));
    set_attr_fd(k, t, c.arg(0), change)
}

pub fn fchownat(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_or_empty(k, t, c.arg(1))?;
    let change = AttrChange::Owner(c.arg(2), c.arg(3));
    if path.is_empty() && c.arg(4) & AT_EMPTY_PATH != 0 {
        return set_attr_fd(k, t, c.arg(0), change);
    }
    let follow = c.arg(4) & AT_SYMLINK_NOFOLLOW == 0;
    set_attr_path(k, t, c.int(0), &path, follow, change)
}

const UTIME_NOW: i64 = (1 << 30) - 1;
const UTIME_OMIT: i64 = (1 << 30) - 2;

fn now_secs(k: &Kernel) -> i64 {
    (k.platform.clock.realtime_ns() / 1_000_000_000) as i64
}

/// The change `utimensat` asks for; `None` when both times are `UTIME_OMIT` (nothing
/// to do, not even a lookup).
fn times_change(k: &Kernel, times: Option<[(i64, i64); 2]>) -> KResult<Option<AttrChange>> {
    let now = now_secs(k);
    let Some([a, m]) = times else {
        return Ok(Some(AttrChange::Times {
            touch: true,
            atime: Some(now),
            mtime: Some(now),
        }));
    };
    for (_, nsec) in [a, m] {
        if !(0..1_000_000_000).contains(&nsec) && nsec != UTIME_NOW && nsec != UTIME_OMIT {
            return Err(Errno::EINVAL);
        }
    }
    if a.1 == UTIME_OMIT && m.1 == UTIME_OMIT {
        return Ok(None);
    }
    let pick = |(sec, nsec): (i64, i64)| match nsec {
        UTIME_NOW => Some(now),
        UTIME_OMIT => None,
        _ => Some(sec),
    };
    Ok(Some(AttrChange::Times {
        touch: a.1 == UTIME_NOW && m.1 == UTIME_NOW,
        atime: pick(a),
        mtime: pick(m),
    }))
}

fn do_utimens(k: &mut Kernel, t: &mut Task, c: &Call, times: Option<[(i64, i64); 2]>) -> SysResult {
    let Some(change) = times_change(k, times)? else {
        return Ok(0);
    };
    if c.arg(1) == 0 {
        return set_attr_fd(k, t, c.arg(0), change);
    }
    let path = path_arg(k, t, c.arg(1))?;
    let follow = c.arg(3) & AT_SYMLINK_NOFOLLOW == 0;
    set_attr_path(k, t, c.int(0), &path, follow, change)
}

pub fn utimensat(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let times = if c.arg(2) == 0 {
        None
    } else {
        let ts: [Timespec32; 2] = mem(k, t, |m| m.read_obj(c.arg(2)))?;
        Some([
            (i64::from(ts[0].sec), i64::from(ts[0].nsec)),
            (i64::from(ts[1].sec), i64::from(ts[1].nsec)),
        ])
    };
    do_utimens(k, t, c, times)
}

pub fn utimensat64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let times = if c.arg(2) == 0 {
        None
    } else {
        let ts: [Timespec64; 2] = mem(k, t, |m| m.read_obj(c.arg(2)))?;
        Some([(ts[0].sec, ts[0].nsec), (ts[1].sec, ts[1].nsec)])
    };
    do_utimens(k, t, c, times)
}

pub fn utimes(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(0))?;
    let times = if c.arg(1) == 0 {
        None
    } else {
        let tv: [u32; 4] = mem(k, t, |m| m.read_obj(c.arg(1)))?;
        Some([(i64::from(tv[0] as i32), 0), (i64::from(tv[2] as i32), 0)])
    };
    let change = times_change(k, times)?.ok_or(Errno::EINVAL)?;
    set_attr_path(k, t, AT_FDCWD, &path, true, change)
}

fn truncate_loc(k: &mut Kernel, t: &Task, loc: Loc, len: u64) -> SysResult {
    let st = stat_loc(k, t, loc)?;
    if st.is_dir() {
        return Err(Errno::EISDIR.into());
    }
    let fs = k.vfs.disk(loc.mount).ok_or(Errno::EACCES)?;
    fs.borrow_mut().truncate(loc.ino, len)?;
    k.truncate_file_pages(t, loc, st.size, len);
    k.vfs.notify_inode(loc, crate::kernel::inotify::IN_MODIFY);
    Ok(0)
}

/// `truncate` by path: write permission on a regular file.
fn truncate_path(k: &mut Kernel, t: &Task, path: &[u8], len: u64) -> SysResult {
    if (len as i64) < 0 {
        return Err(Errno::EINVAL.into());
    }
    let loc = resolve(k, t, AT_FDCWD, path, true)?;
    let st = stat_loc(k, t, loc)?;
    if st.is_dir() {
        return Err(Errno::EISDIR.into());
    }
    if st.file_type() != S_IFREG {
        return Err(Errno::EINVAL.into());
    }
    may_access(&cred(t), &st, MAY_WRITE)?;
    truncate_loc(k, t, loc, len)
}

pub fn truncate(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(0))?;
    truncate_path(k, t, &path, c.int(1) as i64 as u64)
}

pub fn truncate64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(0))?;
    truncate_path(
        k,
        t,
        &path,
        u64::from(c.arg(1)) | (u64::from(c.arg(2)) << 32),
    )
}

fn ftruncate_to(k: &mut Kernel, t: &Task, fd: u32, len: u64) -> SysResult {
    if (len as i64) < 0 {
        return Err(Errno::EINVAL.into());
    }
    let file = fd_file(t, fd)?;
    if !file.writable() {
        return Err(Errno::EINVAL.into());
    }
    match &file.kind {
        FileKind::Inode { loc, .. } => {
            if file.seals.get().is_some() {
                let size = stat_loc(k, t, *loc)?.size;
                super::memfd::check_resize(&file, size, len)?;
            }
            truncate_loc(k, t, *loc, len)
        }
        _ => Err(Errno::EINVAL.into()),
    }
}

pub fn ftruncate(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    ftruncate_to(k, t, c.arg(0), c.int(1) as i64 as u64)
}

pub fn ftruncate64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    ftruncate_to(
        k,
        t,
        c.arg(0),
        u64::from(c.arg(1)) | (u64::from(c.arg(2)) << 32),
    )
}

const FALLOC_FL_KEEP_SIZE: u32 = 0x01;
const FALLOC_FL_PUNCH_HOLE: u32 = 0x02;
/// Largest file size ext2 and tmpfs take here (`EFBIG` past it).
const MAX_FILE_SIZE: u64 = 1 << 40;

/// `fallocate(fd, mode, offset, len)` (offset and len as 64-bit pairs), with the modes
/// Linux's tmpfs takes on every filesystem here. Space is not reserved ahead (writes
/// allocate blocks as they come), so mode 0 only makes the file at least
/// `offset + len` long; `FALLOC_FL_KEEP_SIZE` alone changes nothing; punching a hole
/// writes zeros there (through the page cache, so mappings see them). Zeroing,
/// collapsing and inserting ranges are `EOPNOTSUPP`, as on tmpfs.
pub fn fallocate(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let mode = c.arg(1);
    let offset = (u64::from(c.arg(2)) | (u64::from(c.arg(3)) << 32)) as i64;
    let len = (u64::from(c.arg(4)) | (u64::from(c.arg(5)) << 32)) as i64;
    if offset < 0 || len <= 0 {
        return Err(Errno::EINVAL.into());
    }
    if mode & !(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE) != 0 {
        return Err(Errno::EOPNOTSUPP.into());
    }
    let punch = mode & FALLOC_FL_PUNCH_HOLE != 0;
    if punch && mode & FALLOC_FL_KEEP_SIZE == 0 {
        return Err(Errno::EOPNOTSUPP.into());
    }
    let file = fd_file(t, c.arg(0))?;
    if !file.writable() {
        return Err(Errno::EBADF.into());
    }
    let loc = match &file.kind {
        FileKind::Inode { loc, .. } => *loc,
        FileKind::Pipe(_) => return Err(Errno::ESPIPE.into()),
        _ => return Err(Errno::ENODEV.into()),
    };
    let st = stat_loc(k, t, loc)?;
    if st.is_dir() {
        return Err(Errno::EISDIR.into());
    }
    if st.file_type() != S_IFREG {
        return Err(Errno::ENODEV.into());
    }
    let (offset, len) = (offset as u64, len as u64);
    let end = offset.checked_add(len).filter(|&e| e <= MAX_FILE_SIZE);
    let end = end.ok_or(Errno::EFBIG)?;
    if mode & FALLOC_FL_KEEP_SIZE == 0 {
        super::memfd::check_resize(&file, st.size, end.max(st.size))?;
    }
    if punch {
        // Zeros over what exists; nothing past the end.
        let zero_end = end.min(st.size);
        let zeros = vec![0u8; 1 << 20];
        let mut at = offset;
        while at < zero_end {
            let n = (zero_end - at).min(zeros.len() as u64) as usize;
            super::io::write_file(k, t, &file, &zeros[..n], Some(at))?;
            at += n as u64;
        }
    }
    if mode & FALLOC_FL_KEEP_SIZE == 0 && end > st.size {
        truncate_loc(k, t, loc, end)?;
    }
    Ok(0)
}

pub fn sync(k: &mut Kernel, _t: &mut Task, _c: &Call) -> SysResult {
    k.write_back_cached(None)?;
    k.vfs.sync_all()?;
    Ok(0)
}

pub fn fsync(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let file = fd_file(t, c.arg(0))?;
    if let FileKind::Inode { fs, loc } = &file.kind {
        k.write_back_cached(Some(k.file_id(*loc)))?;
        fs.borrow_mut().sync()?;
    }
    Ok(0)
}

/// Extended attributes: none are stored, so reads find nothing and writes are refused.
pub fn getxattr(_k: &mut Kernel, _t: &mut Task, _c: &Call) -> SysResult {
    Err(Errno::ENODATA.into())
}

pub fn listxattr(_k: &mut Kernel, _t: &mut Task, _c: &Call) -> SysResult {
    Ok(0)
}

pub fn setxattr(_k: &mut Kernel, _t: &mut Task, _c: &Call) -> SysResult {
    Err(Errno::EOPNOTSUPP.into())
}
