//! Syscalls on descriptors and data: `read`/`write` and their vector and positioned
//! forms, `lseek`, `dup*`, `pipe*`, `fcntl`, `ioctl`, `getdents*`, `poll`/`select`.

use super::fs::stat_file;
use super::{mem, Call, SysError, SysResult};
use crate::kernel::abi::{PollFd, Timespec32, Timespec64};
use crate::kernel::device::CharDevice;
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::exec::proc_ctx;
use crate::kernel::file::*;
use crate::kernel::inotify::{IN_ACCESS, IN_MODIFY};
use crate::kernel::pipe::{PipeEnd, PipeIo};
use crate::kernel::platform::{ConsoleRead, Stream};
use crate::kernel::signal::SIGPIPE;
use crate::kernel::task::Task;
use crate::kernel::vfs::{S_IFDIR, S_IFREG};
use crate::kernel::Kernel;
use std::rc::Rc;

/// Largest single transfer; bigger requests are short reads/writes, as Linux allows.
const MAX_IO: usize = 1 << 20;

pub fn fd_file(t: &Task, fd: u32) -> KResult<Rc<OpenFile>> {
    t.files
        .borrow()
        .get(fd)
        .map(|e| e.file.clone())
        .ok_or(Errno::EBADF)
}

/// Reads up to `len` bytes at `pos` (the file offset if `None`, advancing it).
fn read_file(
    k: &mut Kernel,
    t: &mut Task,
    file: &OpenFile,
    len: usize,
    pos: Option<u64>,
) -> Result<Vec<u8>, SysError> {
    if !file.readable() {
        return Err(Errno::EBADF.into());
    }
    let len = len.min(MAX_IO);
    let mut buf = vec![0u8; len];
    let offset = pos.unwrap_or(file.offset.get());
    let n = match &file.kind {
        FileKind::Inode { fs: fsr, loc } => {
            let mut fs = fsr.borrow_mut();
            if fs.stat(loc.ino)?.mode & 0o170000 == S_IFDIR {
                return Err(Errno::EISDIR.into());
            }
            let n = fs.read(loc.ino, offset, &mut buf)?;
            drop(fs);
            k.overlay_cached(*loc, offset, &mut buf[..n]);
            if n > 0 {
                k.vfs.notify.inode_event(fsr, *loc, false, IN_ACCESS);
            }
            n
        }
        FileKind::ProcData { data } => {
            let start = (offset as usize).min(data.len());
            let n = len.min(data.len() - start);
            buf[..n].copy_from_slice(&data[start..start + n]);
            n
        }
        FileKind::ProcDir => return Err(Errno::EISDIR.into()),
        FileKind::Socket(_) => {
            let data = super::net::file_read(k, t, file, len)?;
            let n = data.len();
            buf[..n].copy_from_slice(&data);
            n
        }
        FileKind::Pipe(end) => {
            let r = end.pipe.borrow_mut().read(&mut buf);
            match r {
                PipeIo::Done(n) => n,
                _ if file.nonblocking() => return Err(Errno::EAGAIN.into()),
                _ => return Err(SysError::Block(None)),
            }
        }
        FileKind::SignalFd(mask) => {
            let data = read_signalfd(t, mask.get(), len)?;
            if data.is_empty() {
                return if file.nonblocking() {
                    Err(Errno::EAGAIN.into())
                } else {
                    Err(SysError::Block(None))
                };
            }
            let n = data.len();
            buf[..n].copy_from_slice(&data);
            n
        }
        FileKind::EventFd(e) => e.read(&mut buf, file.nonblocking())?,
        FileKind::TimerFd(tf) => tf.read(k, &mut buf, file.nonblocking())?,
        FileKind::Inotify(i) => i.read(&mut buf, file.nonblocking())?,
        FileKind::Epoll(_) => return Err(Errno::EINVAL.into()),
        FileKind::Pty(p) => {
            let data = k.pty_read(t, p, len, file.nonblocking())?;
            let n = data.len();
            buf[..n].copy_from_slice(&data);
            n
        }
        FileKind::Device(dev) => match dev {
            CharDevice::Null => 0,
            CharDevice::Zero | CharDevice::Full => len,
            CharDevice::Random => {
                k.platform.entropy.fill(&mut buf);
                len
            }
            _ if k.tty_console.is_some() => {
                let data = k.console_read(t, len, file.nonblocking())?;
                let n = data.len();
                buf[..n].copy_from_slice(&data);
                n
            }
            _ => match k.platform.console.read(&mut buf) {
                ConsoleRead::Data(n) => n,
                ConsoleRead::EndOfFile => 0,
                ConsoleRead::Empty if file.nonblocking() => return Err(Errno::EAGAIN.into()),
                ConsoleRead::Empty => return Err(SysError::Block(None)),
            },
        },
    };
    buf.truncate(n);
    if pos.is_none() {
        file.offset.set(offset + n as u64);
    }
    Ok(buf)
}

/// A write by someone without `CAP_FSETID` clears a regular file's set-user-ID bit,
/// and its set-group-ID bit when group execute is set (Linux's `file_remove_privs`).
fn drop_privileges_on_write(
    fs: &mut dyn crate::kernel::vfs::FileSystem,
    ino: crate::kernel::vfs::Ino,
    t: &Task,
) -> KResult<()> {
    const S_ISUID: u32 = 0o4000;
    const S_ISGID: u32 = 0o2000;
    const S_IXGRP: u32 = 0o010;
    if t.process.borrow().fs_cred().cap {
        return Ok(());
    }
    let st = fs.stat(ino)?;
    let mut kill = 0;
    if st.mode & S_ISUID != 0 {
        kill |= S_ISUID;
    }
    if st.mode & S_ISGID != 0 && st.mode & S_IXGRP != 0 {
        kill |= S_ISGID;
    }
    if kill == 0 || st.file_type() != crate::kernel::vfs::S_IFREG {
        return Ok(());
    }
    let attr = crate::kernel::vfs::SetAttr {
        perm: Some(st.mode & 0o7777 & !kill),
        owner: None,
        atime: None,
        mtime: None,
    };
    fs.set_attr(ino, &attr)
}

/// Writes `data` at `pos` (the file offset if `None`).
pub(super) fn write_file(
    k: &mut Kernel,
    t: &mut Task,
    file: &OpenFile,
    data: &[u8],
    pos: Option<u64>,
) -> SysResult {
    if !file.writable() {
        return Err(Errno::EBADF.into());
    }
    match &file.kind {
        FileKind::Inode { fs: fsr, loc } => {
            let mut fs = fsr.borrow_mut();
            let offset = match pos {
                Some(p) => p,
                None if file.flags.get() & O_APPEND != 0 => fs.stat(loc.ino)?.size,
                None => file.offset.get(),
            };
            if file.seals.get().is_some() {
                let size = fs.stat(loc.ino)?.size;
                super::memfd::check_write(file, offset, data.len() as u64, size)?;
            }
            let cached = k.file_is_cached(*loc);
            let old_size = if cached { fs.stat(loc.ino)?.size } else { 0 };
            let n = fs.write(loc.ino, offset, data)?;
            if n > 0 {
                drop_privileges_on_write(&mut *fs, loc.ino, t)?;
            }
            drop(fs);
            if cached {
                k.update_cached(*loc, offset, &data[..n], old_size);
            }
            if pos.is_none() {
                file.offset.set(offset + n as u64);
            }
            if n > 0 {
                k.vfs.notify.inode_event(fsr, *loc, false, IN_MODIFY);
            }
            Ok(n as u32)
        }
        FileKind::Pipe(end) => {
            let r = end.pipe.borrow_mut().write(data);
            match r {
                PipeIo::Done(n) => Ok(n as u32),
                PipeIo::Broken => {
                    k.queue_signal(t, SIGPIPE, false, None);
                    Err(Errno::EPIPE.into())
                }
                PipeIo::WouldBlock if file.nonblocking() => Err(Errno::EAGAIN.into()),
                PipeIo::WouldBlock => Err(SysError::Block(None)),
            }
        }
        FileKind::Pty(p) => k.pty_write(t, p, data, file.nonblocking()),
        FileKind::Socket(_) => super::net::file_write(k, t, file, data),
        FileKind::SignalFd(_) => Err(Errno::EINVAL.into()),
        FileKind::EventFd(e) => e.write(data, file.nonblocking()),
        FileKind::Epoll(_) | FileKind::TimerFd(_) | FileKind::Inotify(_) => {
            Err(Errno::EINVAL.into())
        }
        FileKind::Device(dev) => match dev {
            CharDevice::Full => Err(Errno::ENOSPC.into()),
            CharDevice::Null | CharDevice::Zero | CharDevice::Random => Ok(data.len() as u32),
            _ if k.tty_console.is_some() => k.console_write(t, data, file.nonblocking()),
            CharDevice::ConsoleErr => {
                k.platform.console.write(Stream::Stderr, data);
                Ok(data.len() as u32)
            }
            _ => {
                k.platform.console.write(Stream::Stdout, data);
                Ok(data.len() as u32)
            }
        },
        FileKind::ProcData { .. } | FileKind::ProcDir => Err(Errno::EACCES.into()),
    }
}

pub fn read(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let file = fd_file(t, c.arg(0))?;
    // Check the buffer before consuming input.
    mem(k, t, |m| m.write(c.arg(1), &[]))?;
    let data = read_file(k, t, &file, c.arg(2) as usize, None)?;
    mem(k, t, |m| m.write(c.arg(1), &data))?;
    Ok(data.len() as u32)
}

pub fn write(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let file = fd_file(t, c.arg(0))?;
    let len = (c.arg(2) as usize).min(MAX_IO);
    let data = mem(k, t, |m| m.read_vec(c.arg(1), len))?;
    write_file(k, t, &file, &data, None)
}

fn pos64(c: &Call) -> KResult<u64> {
    let p = u64::from(c.arg(3)) | (u64::from(c.arg(4)) << 32);
    if (p as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(p)
}

fn seekable(file: &OpenFile) -> KResult<()> {
    match file.kind {
        FileKind::Pipe(_) | FileKind::Socket(_) => Err(Errno::ESPIPE),
        _ => Ok(()),
    }
}

pub fn pread64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let file = fd_file(t, c.arg(0))?;
    seekable(&file)?;
    let data = read_file(k, t, &file, c.arg(2) as usize, Some(pos64(c)?))?;
    mem(k, t, |m| m.write(c.arg(1), &data))?;
    Ok(data.len() as u32)
}

pub fn pwrite64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let file = fd_file(t, c.arg(0))?;
    seekable(&file)?;
    let len = (c.arg(2) as usize).min(MAX_IO);
    let data = mem(k, t, |m| m.read_vec(c.arg(1), len))?;
    write_file(k, t, &file, &data, Some(pos64(c)?))
}

fn iovecs(k: &mut Kernel, t: &Task, addr: u32, count: u32) -> KResult<Vec<(u32, u32)>> {
    if count > 1024 {
        return Err(Errno::EINVAL);
    }
    let raw: Vec<u8> = mem(k, t, |m| m.read_vec(addr, count as usize * 8))?;
    Ok(raw
        .chunks_exact(8)
        .map(|c| {
            (
                u32::from_le_bytes(c[0..4].try_into().unwrap()),
                u32::from_le_bytes(c[4..8].try_into().unwrap()),
            )
        })
        .collect())
}

pub fn readv(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let file = fd_file(t, c.arg(0))?;
    let iov = iovecs(k, t, c.arg(1), c.arg(2))?;
    let total: usize = iov.iter().map(|v| v.1 as usize).sum();
    let data = read_file(k, t, &file, total, None)?;
    let mut done = 0;
    for (base, len) in iov {
        let n = (len as usize).min(data.len() - done);
        mem(k, t, |m| m.write(base, &data[done..done + n]))?;
        done += n;
        if done == data.len() {
            break;
        }
    }
    Ok(done as u32)
}

pub fn writev(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let file = fd_file(t, c.arg(0))?;
    let iov = iovecs(k, t, c.arg(1), c.arg(2))?;
    let mut data = Vec::new();
    for (base, len) in iov {
        let len = (len as usize).min(MAX_IO - data.len().min(MAX_IO));
        data.extend(mem(k, t, |m| m.read_vec(base, len))?);
    }
    write_file(k, t, &file, &data, None)
}

fn seek(k: &Kernel, t: &Task, file: &OpenFile, offset: i64, whence: u32) -> KResult<u64> {
    seekable(file)?;
    let base = match whence {
        0 => 0,
        1 => file.offset.get() as i64,
        2 => match &file.kind {
            FileKind::ProcData { data } => data.len() as i64,
            _ => stat_file(k, t, file)?.size as i64,
        },
        _ => return Err(Errno::EINVAL),
    };
    let new = base.checked_add(offset).ok_or(Errno::EINVAL)?;
    if new < 0 {
        return Err(Errno::EINVAL);
    }
    file.offset.set(new as u64);
    if whence == 0 && offset == 0 {
        *file.listing.borrow_mut() = None;
    }
    Ok(new as u64)
}

pub fn lseek(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let file = fd_file(t, c.arg(0))?;
    let pos = seek(k, t, &file, i64::from(c.int(1)), c.arg(2))?;
    u32::try_from(pos).map_err(|_| Errno::EOVERFLOW.into())
}

pub fn llseek(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let file = fd_file(t, c.arg(0))?;
    let offset = ((u64::from(c.arg(1)) << 32) | u64::from(c.arg(2))) as i64;
    let pos = seek(k, t, &file, offset, c.arg(4))?;
    mem(k, t, |m| m.write(c.arg(3), &pos.to_le_bytes()))?;
    Ok(0)
}

pub fn close(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let entry = t.files.borrow_mut().remove(c.arg(0));
    match entry {
        Some(e) => {
            super::lock::close_entries(k, t.pid(), vec![e]);
            Ok(0)
        }
        None => Err(Errno::EBADF.into()),
    }
}

pub fn dup(_k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let file = fd_file(t, c.arg(0))?;
    let fd = t
        .files
        .borrow_mut()
        .alloc(
            0,
            FdEntry {
                file,
                cloexec: false,
            },
        )
        .ok_or(Errno::EMFILE)?;
    Ok(fd)
}

fn do_dup3(k: &mut Kernel, t: &mut Task, old: u32, new: u32, cloexec: bool) -> SysResult {
    let file = fd_file(t, old)?;
    if new as usize >= MAX_FDS {
        return Err(Errno::EBADF.into());
    }
    let previous = t.files.borrow_mut().put(new, FdEntry { file, cloexec });
    // The descriptor replaced is closed, with what closing does to locks.
    super::lock::close_entries(k, t.pid(), previous.into_iter().collect());
    Ok(new)
}

pub fn dup2(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    if c.arg(0) == c.arg(1) {
        fd_file(t, c.arg(0))?;
        return Ok(c.arg(1));
    }
    do_dup3(k, t, c.arg(0), c.arg(1), false)
}

pub fn dup3(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    if c.arg(0) == c.arg(1) || c.arg(2) & !O_CLOEXEC != 0 {
        return Err(Errno::EINVAL.into());
    }
    do_dup3(k, t, c.arg(0), c.arg(1), c.arg(2) & O_CLOEXEC != 0)
}

fn make_pipe(k: &mut Kernel, t: &mut Task, addr: u32, flags: u32) -> SysResult {
    if flags & !(O_CLOEXEC | O_NONBLOCK | 0o40000) != 0 {
        return Err(Errno::EINVAL.into());
    }
    let (r, w) = PipeEnd::pair();
    let cloexec = flags & O_CLOEXEC != 0;
    let nb = flags & O_NONBLOCK;
    let rf = OpenFile::new(FileKind::Pipe(r), None, Vec::new(), O_RDONLY | nb);
    let wf = OpenFile::new(FileKind::Pipe(w), None, Vec::new(), O_WRONLY | nb);
    let mut files = t.files.borrow_mut();
    let rfd = files
        .alloc(0, FdEntry { file: rf, cloexec })
        .ok_or(Errno::EMFILE)?;
    let Some(wfd) = files.alloc(0, FdEntry { file: wf, cloexec }) else {
        files.remove(rfd);
        return Err(Errno::EMFILE.into());
    };
    drop(files);
    let mut bytes = [0u8; 8];
    bytes[..4].copy_from_slice(&rfd.to_le_bytes());
    bytes[4..].copy_from_slice(&wfd.to_le_bytes());
    if let Err(e) = mem(k, t, |m| m.write(addr, &bytes)) {
        let mut files = t.files.borrow_mut();
        files.remove(rfd);
        files.remove(wfd);
        return Err(e.into());
    }
    Ok(0)
}

pub fn pipe(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    make_pipe(k, t, c.arg(0), 0)
}

pub fn pipe2(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    make_pipe(k, t, c.arg(0), c.arg(1))
}

const F_DUPFD: u32 = 0;
const F_GETFD: u32 = 1;
const F_SETFD: u32 = 2;
const F_GETFL: u32 = 3;
const F_SETFL: u32 = 4;
const F_DUPFD_CLOEXEC: u32 = 1030;

pub fn fcntl(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let fd = c.arg(0);
    let file = fd_file(t, fd)?;
    match c.arg(1) {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            if c.arg(2) as usize >= MAX_FDS {
                return Err(Errno::EINVAL.into());
            }
            let cloexec = c.arg(1) == F_DUPFD_CLOEXEC;
            Ok(t.files
                .borrow_mut()
                .alloc(c.arg(2), FdEntry { file, cloexec })
                .ok_or(Errno::EMFILE)?)
        }
        F_GETFD => Ok(u32::from(
            t.files.borrow().get(fd).is_some_and(|e| e.cloexec),
        )),
        F_SETFD => {
            if let Some(e) = t.files.borrow_mut().get_mut(fd) {
                e.cloexec = c.arg(2) & 1 != 0;
            }
            Ok(0)
        }
        F_GETFL => Ok(file.flags.get()),
        F_SETFL => {
            let f = (file.flags.get() & !SETFL_MASK) | (c.arg(2) & SETFL_MASK);
            file.flags.set(f);
            Ok(0)
        }
        super::lock::F_GETLK
        | super::lock::F_SETLK
        | super::lock::F_SETLKW
        | super::lock::F_GETLK64
        | super::lock::F_SETLK64
        | super::lock::F_SETLKW64
        | super::lock::F_OFD_GETLK
        | super::lock::F_OFD_SETLK
        | super::lock::F_OFD_SETLKW => super::lock::fcntl_lock(k, t, c),
        super::memfd::F_ADD_SEALS | super::memfd::F_GET_SEALS => {
            let on_tmpfs = matches!(&file.kind,
                FileKind::Inode { loc, .. } if k.vfs.mounts[loc.mount].fstype == "tmpfs");
            super::memfd::fcntl_seals(&file, on_tmpfs, c.arg(1), c.arg(2))
        }
        _ => Err(Errno::EINVAL.into()),
    }
}

const FIONREAD: u32 = 0x541b;
/// `SIOCOUTQ` (`TIOCOUTQ`): bytes sent and not yet read.
const SIOCOUTQ: u32 = 0x5411;
const FIONBIO: u32 = 0x5421;
const FIOCLEX: u32 = 0x5451;
const FIONCLEX: u32 = 0x5450;

pub fn ioctl(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let file = fd_file(t, c.arg(0))?;
    let req = c.arg(1);
    let console = matches!(&file.kind, FileKind::Device(d) if d.is_console());
    if console && k.tty_console.is_some() && crate::kernel::tty::ioctl_arg(req).is_some() {
        return k.console_ioctl(t, req, c.arg(2));
    }
    if let FileKind::Pty(p) = &file.kind {
        if crate::kernel::tty::ioctl_arg(req).is_some() {
            return k.pty_ioctl(t, p, req, c.arg(2));
        }
    }
    match req {
        FIOCLEX | FIONCLEX => {
            if let Some(e) = t.files.borrow_mut().get_mut(c.arg(0)) {
                e.cloexec = req == FIOCLEX;
            }
            return Ok(0);
        }
        FIONBIO => {
            let on = mem(k, t, |m| m.read_u32(c.arg(2)))? != 0;
            let f = file.flags.get();
            file.flags
                .set(if on { f | O_NONBLOCK } else { f & !O_NONBLOCK });
            return Ok(0);
        }
        SIOCOUTQ if matches!(file.kind, FileKind::Socket(_)) => {
            let FileKind::Socket(s) = &file.kind else {
                unreachable!()
            };
            let n = s.sock.borrow().wmem.get() as u32;
            mem(k, t, |m| m.write_u32(c.arg(2), n))?;
            return Ok(0);
        }
        FIONREAD => {
            let n = match &file.kind {
                FileKind::Pipe(p) => p.pipe.borrow().data.len() as u32,
                FileKind::Inotify(i) => i.pending_bytes(),
                FileKind::Socket(s) => {
                    let s = s.sock.borrow();
                    if s.state == crate::kernel::socket::State::Listening {
                        return Err(Errno::EINVAL.into());
                    }
                    s.readable_bytes() as u32
                }
                FileKind::Inode { .. } => {
                    let st = stat_file(k, t, &file)?;
                    if st.mode & 0o170000 != S_IFREG {
                        return Err(Errno::ENOTTY.into());
                    }
                    st.size.saturating_sub(file.offset.get()) as u32
                }
                _ => 0,
            };
            mem(k, t, |m| m.write_u32(c.arg(2), n))?;
            return Ok(0);
        }
        _ => {}
    }
    // Without a terminal behind it the console is a plain stream, as a pipe would be.
    Err(Errno::ENOTTY.into())
}

// ----- directories --------------------------------------------------------------------

fn dirent_type(kind: u32) -> u8 {
    (kind >> 12) as u8
}

fn do_getdents(k: &mut Kernel, t: &mut Task, c: &Call, wide: bool) -> SysResult {
    let file = fd_file(t, c.arg(0))?;
    let loc = file.loc.ok_or(Errno::ENOTDIR)?;
    if file.listing.borrow().is_none() {
        let ctx = proc_ctx(k, t);
        if !k.vfs.is_dir(&ctx, loc) {
            return Err(Errno::ENOTDIR.into());
        }
        let entries = k.vfs.readdir(&ctx, loc)?;
        *file.listing.borrow_mut() = Some(entries);
    }
    let listing = file.listing.borrow();
    let entries = listing.as_ref().expect("filled above");
    let cap = c.arg(2) as usize;
    let mut out = Vec::new();
    let mut index = file.offset.get() as usize;
    while let Some(e) = entries.get(index) {
        let rec = if wide {
            (19 + e.name.len() + 1).div_ceil(8) * 8
        } else {
            (10 + e.name.len() + 2).div_ceil(4) * 4
        };
        if out.len() + rec > cap {
            if out.is_empty() {
                return Err(Errno::EINVAL.into());
            }
            break;
        }
        let start = out.len();
        out.resize(start + rec, 0);
        let b = &mut out[start..];
        let next = (index + 1) as u64;
        if wide {
            b[0..8].copy_from_slice(&e.ino.to_le_bytes());
            b[8..16].copy_from_slice(&next.to_le_bytes());
            b[16..18].copy_from_slice(&(rec as u16).to_le_bytes());
            b[18] = dirent_type(e.kind);
            b[19..19 + e.name.len()].copy_from_slice(&e.name);
        } else {
            b[0..4].copy_from_slice(&(e.ino as u32).to_le_bytes());
            b[4..8].copy_from_slice(&(next as u32).to_le_bytes());
            b[8..10].copy_from_slice(&(rec as u16).to_le_bytes());
            b[10..10 + e.name.len()].copy_from_slice(&e.name);
            b[rec - 1] = dirent_type(e.kind);
        }
        index += 1;
    }
    drop(listing);
    file.offset.set(index as u64);
    mem(k, t, |m| m.write(c.arg(1), &out))?;
    Ok(out.len() as u32)
}

pub fn getdents64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    do_getdents(k, t, c, true)
}

pub fn getdents(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    do_getdents(k, t, c, false)
}

// ----- poll and select --------------------------------------------------------------------

const POLLIN: i16 = 1;
const POLLOUT: i16 = 4;
const POLLERR: i16 = 8;
const POLLHUP: i16 = 16;
const POLLNVAL: i16 = 32;

/// Which of `events` are ready on `fd` now.
fn ready(k: &mut Kernel, t: &Task, fd: i32, events: i16) -> i16 {
    if fd < 0 {
        return 0;
    }
    let Ok(file) = fd_file(t, fd as u32) else {
        return POLLNVAL;
    };
    file_ready(k, t, &file) & (events | POLLHUP | POLLERR)
}

/// Every poll event of an open file now (`POLLIN`, `POLLOUT`, `POLLHUP`, `POLLERR`):
/// the one readiness source of `poll`, `select` and `epoll`. Sockets report their whole
/// mask (`POLLRDHUP`, `POLLRDNORM`, ...).
pub fn file_ready(k: &mut Kernel, t: &Task, file: &OpenFile) -> i16 {
    if let FileKind::Socket(s) = &file.kind {
        return crate::kernel::socket::UnixSocket::poll(&s.sock) as i16;
    }
    let (r, w, hup) = match &file.kind {
        FileKind::Pipe(end) => {
            let p = end.pipe.borrow();
            if end.write {
                (
                    false,
                    p.readers == 0 || p.data.len() < crate::kernel::pipe::PIPE_CAPACITY,
                    p.readers == 0,
                )
            } else {
                // As Linux: end of file is POLLHUP alone, with or without data left.
                (
                    !p.data.is_empty(),
                    false,
                    p.writers == 0 && !p.awaiting_writer,
                )
            }
        }
        FileKind::Pty(p) => Kernel::pty_poll(p),
        FileKind::SignalFd(mask) => {
            let pending = t.pending.0 | t.process.borrow().shared_pending.0;
            (pending & mask.get() != 0, false, false)
        }
        FileKind::Device(d) if d.is_console() && k.tty_console.is_some() => k.console_poll(),
        FileKind::Device(d) if d.is_console() => (k.platform.console.input_ready(), true, false),
        FileKind::EventFd(e) => e.poll(),
        FileKind::TimerFd(tf) => (tf.poll(k), false, false),
        FileKind::Inotify(i) => (i.poll(), false, false),
        FileKind::Epoll(ep) => (ep.poll(k, t), false, false),
        _ => (true, true, false),
    };
    let mut out = 0;
    if r {
        out |= POLLIN;
    }
    if w {
        out |= POLLOUT;
    }
    if hup {
        // A pipe's write end without readers is POLLERR alone, as in Linux.
        if matches!(&file.kind, FileKind::Pipe(e) if e.write) {
            out |= POLLERR;
        } else {
            out |= POLLHUP;
        }
    }
    out
}

/// A timeout in nanoseconds (`None`: forever) to a deadline, kept across retries.
pub(crate) fn deadline(k: &Kernel, c: &Call, timeout_ns: Option<u64>) -> Option<u64> {
    c.deadline
        .or_else(|| timeout_ns.map(|ns| k.platform.clock.monotonic_ns().saturating_add(ns)))
}

pub(crate) fn timed_out(k: &Kernel, deadline: Option<u64>) -> bool {
    deadline.is_some_and(|d| k.platform.clock.monotonic_ns() >= d)
}

fn do_poll(
    k: &mut Kernel,
    t: &mut Task,
    c: &Call,
    fds_addr: u32,
    n: u32,
    timeout_ns: Option<u64>,
) -> SysResult {
    if n > MAX_FDS as u32 {
        return Err(Errno::EINVAL.into());
    }
    let mut fds: Vec<PollFd> = Vec::with_capacity(n as usize);
    for i in 0..n {
        fds.push(mem(k, t, |m| m.read_obj(fds_addr.wrapping_add(i * 8)))?);
    }
    let mut count = 0;
    for p in &mut fds {
        p.revents = ready(k, t, p.fd, p.events);
        if p.revents != 0 {
            count += 1;
        }
    }
    let dl = deadline(k, c, timeout_ns);
    if count == 0 && timeout_ns != Some(0) && !timed_out(k, dl) {
        return Err(SysError::Block(dl));
    }
    for (i, p) in fds.iter().enumerate() {
        mem(k, t, |m| {
            m.write_obj(fds_addr.wrapping_add(i as u32 * 8), p)
        })?;
    }
    Ok(count)
}

pub fn poll(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let ms = c.int(2);
    let timeout = (ms >= 0).then(|| ms as u64 * 1_000_000);
    do_poll(k, t, c, c.arg(0), c.arg(1), timeout)
}

pub(crate) fn ts32(k: &mut Kernel, t: &Task, addr: u32) -> KResult<Option<u64>> {
    if addr == 0 {
        return Ok(None);
    }
    let ts: Timespec32 = mem(k, t, |m| m.read_obj(addr))?;
    if ts.sec < 0 || !(0..1_000_000_000).contains(&ts.nsec) {
        return Err(Errno::EINVAL);
    }
    Ok(Some(ts.sec as u64 * 1_000_000_000 + ts.nsec as u64))
}

pub(crate) fn ts64(k: &mut Kernel, t: &Task, addr: u32) -> KResult<Option<u64>> {
    if addr == 0 {
        return Ok(None);
    }
    let ts: Timespec64 = mem(k, t, |m| m.read_obj(addr))?;
    if ts.sec < 0 || !(0..1_000_000_000).contains(&ts.nsec) {
        return Err(Errno::EINVAL);
    }
    Ok(Some(
        (ts.sec as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(ts.nsec as u64),
    ))
}

pub fn ppoll(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let timeout = ts32(k, t, c.arg(2))?;
    do_poll(k, t, c, c.arg(0), c.arg(1), timeout)
}

pub fn ppoll_time64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let timeout = ts64(k, t, c.arg(2))?;
    do_poll(k, t, c, c.arg(0), c.arg(1), timeout)
}

fn do_select(k: &mut Kernel, t: &mut Task, c: &Call, timeout_ns: Option<u64>) -> SysResult {
    let n = c.arg(0).min(MAX_FDS as u32);
    let words = n.div_ceil(32) as usize;
    let read_set = |k: &mut Kernel, addr: u32| -> KResult<Vec<u32>> {
        if addr == 0 {
            return Ok(vec![0; words]);
        }
        let raw = mem(k, t, |m| m.read_vec(addr, words * 4))?;
        Ok(raw
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
            .collect())
    };
    let sets = [
        read_set(k, c.arg(1))?,
        read_set(k, c.arg(2))?,
        read_set(k, c.arg(3))?,
    ];
    let mut out = [vec![0u32; words], vec![0u32; words], vec![0u32; words]];
    let mut count = 0;
    for fd in 0..n {
        let (w, b) = ((fd / 32) as usize, 1u32 << (fd % 32));
        let wanted = [
            sets[0][w] & b != 0,
            sets[1][w] & b != 0,
            sets[2][w] & b != 0,
        ];
        if !wanted.iter().any(|&x| x) {
            continue;
        }
        let r = ready(k, t, fd as i32, POLLIN | POLLOUT);
        if r & POLLNVAL != 0 {
            return Err(Errno::EBADF.into());
        }
        let got = [
            r & (POLLIN | POLLHUP | POLLERR) != 0,
            r & (POLLOUT | POLLERR) != 0,
            false,
        ];
        for i in 0..3 {
            if wanted[i] && got[i] {
                out[i][w] |= b;
                count += 1;
            }
        }
    }
    let dl = deadline(k, c, timeout_ns);
    if count == 0 && timeout_ns != Some(0) && !timed_out(k, dl) {
        return Err(SysError::Block(dl));
    }
    for (i, addr) in [c.arg(1), c.arg(2), c.arg(3)].into_iter().enumerate() {
        if addr != 0 {
            let bytes: Vec<u8> = out[i].iter().flat_map(|w| w.to_le_bytes()).collect();
            mem(k, t, |m| m.write(addr, &bytes))?;
        }
    }
    Ok(count)
}

pub fn newselect(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let timeout = if c.arg(4) == 0 {
        None
    } else {
        let tv: [i32; 2] = mem(k, t, |m| m.read_obj(c.arg(4)))?;
        if tv[0] < 0 || tv[1] < 0 {
            return Err(Errno::EINVAL.into());
        }
        Some(tv[0] as u64 * 1_000_000_000 + tv[1] as u64 * 1000)
    };
    do_select(k, t, c, timeout)
}

pub fn pselect6(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let timeout = ts32(k, t, c.arg(4))?;
    do_select(k, t, c, timeout)
}

pub fn pselect6_time64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let timeout = ts64(k, t, c.arg(4))?;
    do_select(k, t, c, timeout)
}

pub fn sendfile64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let out = fd_file(t, c.arg(0))?;
    let input = fd_file(t, c.arg(1))?;
    let pos = if c.arg(2) != 0 {
        Some(mem(k, t, |m| m.read_obj::<u64>(c.arg(2)))?)
    } else {
        None
    };
    // A file is read at an explicit position and its offset moves by what was
    // written, so a partial or parked write (a socket) loses nothing.
    let seekable = matches!(
        input.kind,
        FileKind::Inode { .. } | FileKind::ProcData { .. }
    );
    let start = pos.or_else(|| seekable.then(|| input.offset.get()));
    let data = read_file(k, t, &input, (c.arg(3) as usize).min(MAX_IO), start)?;
    let n = write_file(k, t, &out, &data, None)?;
    if let Some(p) = pos {
        mem(k, t, |m| {
            m.write_obj(c.arg(2), &p.wrapping_add(u64::from(n)))
        })?;
    } else if let Some(s) = start {
        input.offset.set(s + u64::from(n));
    }
    Ok(n)
}

/// Takes pending signals of `mask` as `struct signalfd_siginfo` records (128 bytes each).
fn read_signalfd(t: &mut Task, mask: u64, len: usize) -> Result<Vec<u8>, SysError> {
    if len < 128 {
        return Err(Errno::EINVAL.into());
    }
    let mut out = Vec::new();
    while out.len() + 128 <= len {
        let Some((sig, info)) = t.take_first_pending(mask) else {
            break;
        };
        let raw = info.to_abi();
        // signalfd_siginfo: signo, errno, code, pid, uid, fd, tid, band, overrun,
        // trapno, status, int, ptr (u64), utime (u64), stime (u64), addr (u64), pad.
        let bytes = zerocopy::IntoBytes::as_bytes(&raw);
        let word = |i: usize| u32::from_le_bytes(bytes[i * 4..i * 4 + 4].try_into().unwrap());
        let mut rec = [0u8; 128];
        rec[0..4].copy_from_slice(&sig.to_le_bytes());
        rec[4..8].copy_from_slice(&word(1).to_le_bytes());
        rec[8..12].copy_from_slice(&word(2).to_le_bytes());
        rec[12..16].copy_from_slice(&word(3).to_le_bytes()); // pid
        rec[16..20].copy_from_slice(&word(4).to_le_bytes()); // uid
        out.extend_from_slice(&rec);
    }
    Ok(out)
}

/// `signalfd4(fd, mask, size, flags)`: a new descriptor, or a new mask for an existing one.
pub fn signalfd4(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    if c.arg(2) != 8 || c.arg(3) & !(O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(Errno::EINVAL.into());
    }
    let mask: u64 = mem(k, t, |m| m.read_obj(c.arg(1)))?;
    let mask = crate::kernel::signal::SigSet(mask).blockable().0;
    if c.int(0) != -1 {
        let file = fd_file(t, c.arg(0))?;
        return match &file.kind {
            FileKind::SignalFd(m) => {
                m.set(mask);
                Ok(c.arg(0))
            }
            _ => Err(Errno::EINVAL.into()),
        };
    }
    let file = OpenFile::new(
        FileKind::SignalFd(std::cell::Cell::new(mask)),
        None,
        b"anon_inode:[signalfd]".to_vec(),
        O_RDONLY | (c.arg(3) & O_NONBLOCK),
    );
    let cloexec = c.arg(3) & O_CLOEXEC != 0;
    let fd = t.files.borrow_mut().alloc(0, FdEntry { file, cloexec });
    Ok(fd.ok_or(Errno::EMFILE)?)
}
