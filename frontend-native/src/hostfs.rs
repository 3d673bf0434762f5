//! A host directory as the guest's root filesystem (`webvm run --root DIR`), behind the
//! emulator's inode-level [`FileSystem`] trait.
//!
//! Confinement: the guest's path resolution (the emulator's `namei`) walks one component
//! at a time and follows symbolic links itself, relative to the guest root. This module
//! only ever sees single names, and touches the host through file descriptors:
//! - every inode it hands out is an `O_PATH | O_NOFOLLOW` descriptor opened with
//!   `openat` on its directory's descriptor, starting from DIR's, so no host path is ever
//!   walked and a symbolic link is never followed by the host (its target is text the
//!   guest resolves inside DIR);
//! - `..` comes from this module's own table (the directory a directory was found in),
//!   never from the host, and DIR is its own parent;
//! - new names are made with the `*at` calls on the directory's descriptor, which do not
//!   follow a final symbolic link (`O_CREAT | O_EXCL`, `mkdirat`, `symlinkat`, ...);
//! - file contents, modes and times are reached through `/proc/self/fd/N` of the inode's
//!   own descriptor (the kernel's "magic link": the inode itself, not a path), and only
//!   for regular files and directories; a symbolic link's own mode and times are left.
//!
//! Owners, modes, sizes and times are the host's. Writes go to DIR. Descriptors are
//! kept for inodes in use and re-opened by name from their directory when they were
//! dropped to stay under the process's descriptor limit.

use emulator::kernel::errno::{Errno, KResult};
use emulator::kernel::vfs::{
    DirEntry, FileSystem, FsStats, Ino, SetAttr, Stat, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK,
    S_IFMT, S_IFREG, S_IFSOCK,
};
use std::collections::HashMap;
use std::ffi::CString;
use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirEntryExt, FileExt};
use std::path::Path;

const ROOT: Ino = 1;

struct Node {
    /// `O_PATH | O_NOFOLLOW` descriptor, when open.
    fd: Option<OwnedFd>,
    /// A descriptor for reading (and writing, when `writable`) a regular file.
    data: Option<(File, bool)>,
    /// The directory it was found in (for a directory: its `..`).
    parent: Ino,
    /// Its name there, to open it again.
    name: Vec<u8>,
    /// Host identity (device, inode).
    host: (u64, u64),
    /// Open files and mappings of the guest that keep it.
    holds: u32,
}

/// A host directory as a filesystem.
pub struct HostDirFs {
    nodes: HashMap<Ino, Node>,
    by_host: HashMap<(u64, u64), Ino>,
    next: Ino,
    open: usize,
    max_open: usize,
}

fn errno_of(e: std::io::Error) -> Errno {
    Errno(e.raw_os_error().unwrap_or(5))
}

fn last_errno() -> Errno {
    errno_of(std::io::Error::last_os_error())
}

fn cname(name: &[u8]) -> KResult<CString> {
    if name.is_empty() || name.contains(&b'/') || name == b"." || name == b".." {
        return Err(Errno::ENOENT);
    }
    CString::new(name).map_err(|_| Errno::EINVAL)
}

fn proc_path(fd: RawFd) -> CString {
    CString::new(format!("/proc/self/fd/{fd}")).expect("no NUL")
}

/// `openat(dir, name, O_PATH | O_NOFOLLOW)`.
fn open_path(dir: RawFd, name: &[u8]) -> KResult<OwnedFd> {
    let name = cname(name)?;
    let fd = unsafe {
        libc::openat(
            dir,
            name.as_ptr(),
            libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(last_errno());
    }
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The attributes of the inode behind an `O_PATH` descriptor.
fn fstat(fd: RawFd) -> KResult<libc::stat64> {
    let mut st: libc::stat64 = unsafe { std::mem::zeroed() };
    let empty = c"";
    let rc = unsafe {
        libc::fstatat64(
            fd,
            empty.as_ptr(),
            &mut st,
            libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if rc < 0 {
        return Err(last_errno());
    }
    Ok(st)
}

fn check(rc: libc::c_int) -> KResult<()> {
    if rc < 0 {
        Err(last_errno())
    } else {
        Ok(())
    }
}

impl HostDirFs {
    /// Opens `dir` as the root. Raises the descriptor limit to its maximum (an inode in
    /// use holds a descriptor).
    pub fn new(dir: &Path) -> std::io::Result<HostDirFs> {
        let path = CString::new(dir.as_os_str().as_bytes())?;
        let fd = unsafe {
            libc::open(
                path.as_ptr(),
                libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let st = fstat(fd.as_raw_fd()).map_err(|e| std::io::Error::from_raw_os_error(e.0))?;
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        let mut max_open = 512;
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
                limit.rlim_cur = limit.rlim_max.min(1 << 20);
                libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
                libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
                max_open = (limit.rlim_cur as usize / 2).clamp(64, 1 << 16);
            }
        }
        let host = (st.st_dev, st.st_ino);
        let mut nodes = HashMap::new();
        nodes.insert(
            ROOT,
            Node {
                fd: Some(fd),
                data: None,
                parent: ROOT,
                name: Vec::new(),
                host,
                holds: 1,
            },
        );
        Ok(HostDirFs {
            nodes,
            by_host: HashMap::from([(host, ROOT)]),
            next: ROOT + 1,
            open: 1,
            max_open,
        })
    }

    fn node(&self, ino: Ino) -> KResult<&Node> {
        self.nodes.get(&ino).ok_or(Errno::ENOENT)
    }

    /// The `O_PATH` descriptor of `ino`, opening it again by name when it was dropped.
    fn fd_of(&mut self, ino: Ino) -> KResult<RawFd> {
        if let Some(fd) = &self.node(ino)?.fd {
            return Ok(fd.as_raw_fd());
        }
        let (parent, name, host) = {
            let n = self.node(ino)?;
            (n.parent, n.name.clone(), n.host)
        };
        if parent == ino {
            return Err(Errno::ESTALE);
        }
        let dir = self.fd_of(parent)?;
        let fd = open_path(dir, &name)?;
        let st = fstat(fd.as_raw_fd())?;
        if (st.st_dev, st.st_ino) != host {
            return Err(Errno::ESTALE);
        }
        let raw = fd.as_raw_fd();
        self.nodes.get_mut(&ino).ok_or(Errno::ENOENT)?.fd = Some(fd);
        self.open += 1;
        Ok(raw)
    }

    /// Closes the descriptors of inodes nobody holds when too many are open. Only called
    /// first thing in an operation, so no descriptor number taken earlier goes stale.
    fn trim(&mut self) {
        if self.open < self.max_open {
            return;
        }
        for (&ino, node) in self.nodes.iter_mut() {
            if ino != ROOT && node.holds == 0 && node.fd.is_some() {
                node.fd = None;
                node.data = None;
                self.open -= 1;
            }
        }
    }

    /// The inode number for the host inode behind `fd`, found as `name` in `parent`.
    fn intern(&mut self, parent: Ino, name: &[u8], fd: OwnedFd) -> KResult<Ino> {
        let st = fstat(fd.as_raw_fd())?;
        let host = (st.st_dev, st.st_ino);
        if let Some(&ino) = self.by_host.get(&host) {
            let node = self.nodes.get_mut(&ino).ok_or(Errno::ENOENT)?;
            if ino != ROOT {
                node.parent = parent;
                node.name = name.to_vec();
            }
            if node.fd.is_none() {
                node.fd = Some(fd);
                self.open += 1;
            }
            return Ok(ino);
        }
        let ino = self.next;
        self.next += 1;
        self.nodes.insert(
            ino,
            Node {
                fd: Some(fd),
                data: None,
                parent,
                name: name.to_vec(),
                host,
                holds: 0,
            },
        );
        self.by_host.insert(host, ino);
        self.open += 1;
        Ok(ino)
    }

    /// A descriptor for the contents of a regular file, writable when asked.
    fn data(&mut self, ino: Ino, write: bool) -> KResult<&File> {
        let ready = matches!(&self.node(ino)?.data, Some((_, w)) if *w || !write);
        if !ready {
            let fd = self.fd_of(ino)?;
            let st = fstat(fd)?;
            match st.st_mode & libc::S_IFMT {
                libc::S_IFREG => {}
                libc::S_IFDIR => return Err(Errno::EISDIR),
                _ => return Err(Errno::EINVAL),
            }
            let path = proc_path(fd);
            let open = |flags| unsafe { libc::open(path.as_ptr(), flags | libc::O_CLOEXEC) };
            let (raw, writable) = match open(libc::O_RDWR) {
                raw if raw >= 0 => (raw, true),
                _ if write => return Err(last_errno()),
                _ => match open(libc::O_RDONLY) {
                    raw if raw >= 0 => (raw, false),
                    _ => return Err(last_errno()),
                },
            };
            let file = unsafe { File::from_raw_fd(raw) };
            self.nodes.get_mut(&ino).ok_or(Errno::ENOENT)?.data = Some((file, writable));
        }
        Ok(&self.node(ino)?.data.as_ref().ok_or(Errno::EIO)?.0)
    }

    fn is_symlink(&mut self, ino: Ino) -> KResult<bool> {
        let fd = self.fd_of(ino)?;
        Ok(fstat(fd)?.st_mode & libc::S_IFMT == libc::S_IFLNK)
    }

    /// Gives a new inode its exact mode (the host's umask applied to it) and owner (when
    /// the host lets this process: as root).
    fn settle_new(&mut self, ino: Ino, perm: Option<u32>, owner: (u32, u32)) {
        let Ok(fd) = self.fd_of(ino) else {
            return;
        };
        if let Some(perm) = perm {
            let path = proc_path(fd);
            unsafe { libc::chmod(path.as_ptr(), perm & 0o7777) };
        }
        let empty = c"";
        unsafe {
            libc::fchownat(
                fd,
                empty.as_ptr(),
                owner.0,
                owner.1,
                libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW,
            )
        };
    }
}

fn to_stat(ino: Ino, st: &libc::stat64) -> Stat {
    Stat {
        dev: 0,
        ino,
        mode: st.st_mode,
        nlink: st.st_nlink as u32,
        uid: st.st_uid,
        gid: st.st_gid,
        rdev: (libc::major(st.st_rdev), libc::minor(st.st_rdev)),
        size: st.st_size as u64,
        blocks: st.st_blocks as u64,
        blksize: st.st_blksize as u32,
        atime: st.st_atime,
        mtime: st.st_mtime,
        ctime: st.st_ctime,
    }
}

fn kind_of(t: std::fs::FileType) -> u32 {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        S_IFDIR
    } else if t.is_symlink() {
        S_IFLNK
    } else if t.is_fifo() {
        S_IFIFO
    } else if t.is_socket() {
        S_IFSOCK
    } else if t.is_char_device() {
        S_IFCHR
    } else if t.is_block_device() {
        S_IFBLK
    } else {
        S_IFREG
    }
}

impl FileSystem for HostDirFs {
    fn root(&self) -> Ino {
        ROOT
    }

    fn stat(&mut self, ino: Ino) -> KResult<Stat> {
        let fd = self.fd_of(ino)?;
        Ok(to_stat(ino, &fstat(fd)?))
    }

    fn lookup(&mut self, dir: Ino, name: &[u8]) -> KResult<Ino> {
        self.trim();
        match name {
            b"." => Ok(dir),
            b".." => Ok(self.node(dir)?.parent),
            _ => {
                let dfd = self.fd_of(dir)?;
                let fd = open_path(dfd, name)?;
                self.intern(dir, name, fd)
            }
        }
    }

    fn readdir(&mut self, dir: Ino) -> KResult<Vec<DirEntry>> {
        self.trim();
        let fd = self.fd_of(dir)?;
        let dev = fstat(fd)?.st_dev;
        let path = format!("/proc/self/fd/{fd}");
        let parent = self.node(dir)?.parent;
        let mut out = vec![
            DirEntry {
                ino: dir,
                name: b".".to_vec(),
                kind: S_IFDIR,
            },
            DirEntry {
                ino: parent,
                name: b"..".to_vec(),
                kind: S_IFDIR,
            },
        ];
        for entry in std::fs::read_dir(path).map_err(errno_of)? {
            let entry = entry.map_err(errno_of)?;
            let name = entry.file_name().as_bytes().to_vec();
            let kind = entry.file_type().map(kind_of).unwrap_or(S_IFREG);
            let host = (dev, entry.ino());
            let ino = match self.by_host.get(&host) {
                Some(&ino) => ino,
                None => {
                    let ino = self.next;
                    self.next += 1;
                    self.nodes.insert(
                        ino,
                        Node {
                            fd: None,
                            data: None,
                            parent: dir,
                            name: name.clone(),
                            host,
                            holds: 0,
                        },
                    );
                    self.by_host.insert(host, ino);
                    ino
                }
            };
            out.push(DirEntry { ino, name, kind });
        }
        Ok(out)
    }

    fn read(&mut self, ino: Ino, offset: u64, buf: &mut [u8]) -> KResult<usize> {
        let file = self.data(ino, false)?;
        file.read_at(buf, offset).map_err(errno_of)
    }

    fn write(&mut self, ino: Ino, offset: u64, data: &[u8]) -> KResult<usize> {
        let file = self.data(ino, true)?;
        file.write_at(data, offset).map_err(errno_of)
    }

    fn truncate(&mut self, ino: Ino, size: u64) -> KResult<()> {
        let file = self.data(ino, true)?;
        file.set_len(size).map_err(errno_of)
    }

    fn create(
        &mut self,
        dir: Ino,
        name: &[u8],
        mode: u32,
        rdev: (u32, u32),
        owner: (u32, u32),
    ) -> KResult<Ino> {
        let dfd = self.fd_of(dir)?;
        let c = cname(name)?;
        let perm = mode & 0o7777;
        let mut data = None;
        match mode & S_IFMT {
            S_IFREG => {
                let raw = unsafe {
                    libc::openat(
                        dfd,
                        c.as_ptr(),
                        libc::O_CREAT
                            | libc::O_EXCL
                            | libc::O_RDWR
                            | libc::O_NOFOLLOW
                            | libc::O_CLOEXEC,
                        perm,
                    )
                };
                if raw < 0 {
                    return Err(last_errno());
                }
                data = Some((unsafe { File::from_raw_fd(raw) }, true));
            }
            S_IFDIR => check(unsafe { libc::mkdirat(dfd, c.as_ptr(), perm) })?,
            S_IFIFO | S_IFSOCK | S_IFCHR | S_IFBLK => {
                let dev = libc::makedev(rdev.0, rdev.1);
                check(unsafe { libc::mknodat(dfd, c.as_ptr(), mode & 0o177777, dev) })?;
            }
            _ => return Err(Errno::EINVAL),
        }
        let fd = open_path(dfd, name)?;
        let ino = self.intern(dir, name, fd)?;
        if let Some(node) = self.nodes.get_mut(&ino) {
            if data.is_some() {
                node.data = data;
            }
        }
        self.settle_new(ino, Some(perm), owner);
        Ok(ino)
    }

    fn symlink(&mut self, dir: Ino, name: &[u8], target: &[u8], owner: (u32, u32)) -> KResult<Ino> {
        let dfd = self.fd_of(dir)?;
        let c = cname(name)?;
        let target = CString::new(target).map_err(|_| Errno::EINVAL)?;
        check(unsafe { libc::symlinkat(target.as_ptr(), dfd, c.as_ptr()) })?;
        let fd = open_path(dfd, name)?;
        let ino = self.intern(dir, name, fd)?;
        self.settle_new(ino, None, owner);
        Ok(ino)
    }

    fn readlink(&mut self, ino: Ino) -> KResult<Vec<u8>> {
        if !self.is_symlink(ino)? {
            return Err(Errno::EINVAL);
        }
        let fd = self.fd_of(ino)?;
        let mut buf = vec![0u8; 4096];
        let empty = c"";
        let n = unsafe { libc::readlinkat(fd, empty.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            return Err(last_errno());
        }
        buf.truncate(n as usize);
        Ok(buf)
    }

    fn link(&mut self, ino: Ino, dir: Ino, name: &[u8]) -> KResult<()> {
        let fd = self.fd_of(ino)?;
        let dfd = self.fd_of(dir)?;
        let c = cname(name)?;
        let empty = c"";
        let rc = unsafe { libc::linkat(fd, empty.as_ptr(), dfd, c.as_ptr(), libc::AT_EMPTY_PATH) };
        if rc < 0 {
            // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the magic link does not.
            let path = proc_path(fd);
            check(unsafe {
                libc::linkat(
                    libc::AT_FDCWD,
                    path.as_ptr(),
                    dfd,
                    c.as_ptr(),
                    libc::AT_SYMLINK_FOLLOW,
                )
            })?;
        }
        Ok(())
    }

    fn unlink(&mut self, dir: Ino, name: &[u8]) -> KResult<()> {
        let dfd = self.fd_of(dir)?;
        let c = cname(name)?;
        check(unsafe { libc::unlinkat(dfd, c.as_ptr(), 0) })
    }

    fn rmdir(&mut self, dir: Ino, name: &[u8]) -> KResult<()> {
        if name == b".." {
            return Err(Errno::ENOTEMPTY);
        }
        if name == b"." {
            return Err(Errno::EINVAL);
        }
        let dfd = self.fd_of(dir)?;
        let c = cname(name)?;
        check(unsafe { libc::unlinkat(dfd, c.as_ptr(), libc::AT_REMOVEDIR) })
    }

    fn rename(&mut self, old_dir: Ino, old: &[u8], new_dir: Ino, new: &[u8]) -> KResult<()> {
        let ofd = self.fd_of(old_dir)?;
        let nfd = self.fd_of(new_dir)?;
        let (oc, nc) = (cname(old)?, cname(new)?);
        let moved = open_path(ofd, old)?;
        check(unsafe { libc::renameat(ofd, oc.as_ptr(), nfd, nc.as_ptr()) })?;
        self.intern(new_dir, new, moved)?;
        Ok(())
    }

    fn set_attr(&mut self, ino: Ino, attr: &SetAttr) -> KResult<()> {
        let fd = self.fd_of(ino)?;
        let symlink = self.is_symlink(ino)?;
        if let Some((uid, gid)) = attr.owner {
            let empty = c"";
            check(unsafe {
                libc::fchownat(
                    fd,
                    empty.as_ptr(),
                    uid,
                    gid,
                    libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW,
                )
            })?;
        }
        if symlink {
            // A link's own mode does not exist on Linux; its times are left alone.
            return Ok(());
        }
        let path = proc_path(fd);
        if let Some(perm) = attr.perm {
            check(unsafe { libc::chmod(path.as_ptr(), perm & 0o7777) })?;
        }
        if attr.atime.is_some() || attr.mtime.is_some() {
            let ts = |t: Option<i64>| libc::timespec {
                tv_sec: t.unwrap_or(0),
                tv_nsec: if t.is_some() { 0 } else { libc::UTIME_OMIT },
            };
            let times = [ts(attr.atime), ts(attr.mtime)];
            check(unsafe { libc::utimensat(libc::AT_FDCWD, path.as_ptr(), times.as_ptr(), 0) })?;
        }
        Ok(())
    }

    fn hold(&mut self, ino: Ino) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.holds += 1;
        }
        // Keep a descriptor while held: the name may go away.
        let _ = self.fd_of(ino);
    }

    fn release(&mut self, ino: Ino) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.holds = n.holds.saturating_sub(1);
        }
    }

    fn statfs(&mut self) -> FsStats {
        let mut s: libc::statfs64 = unsafe { std::mem::zeroed() };
        let fd = self.fd_of(ROOT).unwrap_or(-1);
        if unsafe { libc::fstatfs64(fd, &mut s) } < 0 {
            return FsStats::default();
        }
        FsStats {
            magic: s.f_type as u32,
            block_size: s.f_bsize as u32,
            blocks: s.f_blocks,
            free_blocks: s.f_bfree,
            available_blocks: s.f_bavail,
            files: s.f_files,
            free_files: s.f_ffree,
            name_max: s.f_namelen as u32,
        }
    }

    fn sync(&mut self) -> KResult<()> {
        for node in self.nodes.values() {
            if let Some((file, true)) = &node.data {
                let _ = file.sync_data();
            }
        }
        Ok(())
    }
}
