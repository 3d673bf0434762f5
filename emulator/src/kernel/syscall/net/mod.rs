//! Socket syscalls: the direct i386 calls (`socket` 359 ... `shutdown` 373,
//! `recvmmsg`, `sendmmsg`) and the multiplexed `socketcall` (102), over the AF_UNIX
//! sockets of `kernel::socket`. Other families answer `EAFNOSUPPORT`.
//!
//! This side owns what crosses the boundary: `sockaddr_un`, the i386 `msghdr`
//! (28 bytes) and `cmsghdr` (12 bytes, 4-byte aligned), descriptors in and out of
//! the fd table, and waiting. A call that must wait returns `Block` and runs again;
//! a stream send or an `MSG_WAITALL` receive that moved part of its bytes keeps the
//! count in `Task::io_progress`, so the retry goes on from there and a signal ends
//! it with the count (as Linux returns a partial transfer).

use super::fs::{may_create, must_be_new, resolve, resolve_parent, stat_loc, task_umask, AT_FDCWD};
use super::io::fd_file;
use super::names::nr;
use super::{mem, Call, SysError, SysResult};
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::file::{FdEntry, FileKind, OpenFile, O_CLOEXEC, O_NONBLOCK, O_RDWR};
use crate::kernel::signal::SIGPIPE;
use crate::kernel::socket::addr::{self, UnixAddr, AF_UNIX, AF_UNSPEC};
use crate::kernel::socket::*;
use crate::kernel::task::{Task, TaskState};
use crate::kernel::vfs::{S_IFMT, S_IFSOCK};
use crate::kernel::Kernel;
use std::rc::Rc;

mod msg;
pub use msg::{
    file_read, file_write, recvfrom, recvmmsg, recvmmsg_time64, recvmsg, sendmmsg, sendmsg, sendto,
};

const SOCK_TYPE_MASK: u32 = 0xf;
const SOCK_NONBLOCK: u32 = O_NONBLOCK;
const SOCK_CLOEXEC: u32 = O_CLOEXEC;
/// `NPROTO`: families at or above are not even looked up.
const NPROTO: u32 = 46;
/// `SOCK_MAX`.
const SOCK_MAX: u32 = 11;

const MSG_OOB: u32 = 0x1;
const MSG_PEEK: u32 = 0x2;
const MSG_CTRUNC: u32 = 0x8;
const MSG_TRUNC: u32 = 0x20;
const MSG_DONTWAIT: u32 = 0x40;
const MSG_WAITALL: u32 = 0x100;
const MSG_NOSIGNAL: u32 = 0x4000;
const MSG_WAITFORONE: u32 = 0x10000;
const MSG_CMSG_CLOEXEC: u32 = 0x4000_0000;

const SOL_SOCKET: u32 = 1;
const SCM_RIGHTS: u32 = 1;
const SCM_CREDENTIALS: u32 = 2;
/// `sizeof(struct cmsghdr)` on i386.
const CMSG_HDR: usize = 12;

fn cmsg_align(n: usize) -> usize {
    (n + 3) & !3
}

/// Whether this is the first run of the call (not a retry of a parked one).
fn fresh(t: &Task) -> bool {
    !matches!(t.state, TaskState::Parked(_))
}

/// Bytes already moved by this call before it parked.
fn progress(t: &mut Task) -> usize {
    if fresh(t) {
        t.io_progress = 0;
    }
    t.io_progress
}

fn cred_of(t: &Task) -> Cred {
    let p = t.process.borrow();
    Cred {
        pid: p.pid,
        uid: p.uid,
        gid: p.gid,
    }
}

/// The socket behind `fd` (`EBADF`, `ENOTSOCK`).
fn sock_of(t: &Task, fd: u32) -> KResult<(Rc<OpenFile>, SockRef)> {
    let file = fd_file(t, fd)?;
    let sock = match &file.kind {
        FileKind::Socket(s) => s.sock.clone(),
        _ => return Err(Errno::ENOTSOCK),
    };
    Ok((file, sock))
}

/// A new descriptor for a socket.
fn install(t: &Task, sock: SockRef, flags: u32) -> KResult<u32> {
    let file = OpenFile::new(
        FileKind::Socket(SocketFile { sock }),
        None,
        Vec::new(),
        O_RDWR | (flags & SOCK_NONBLOCK),
    );
    let cloexec = flags & SOCK_CLOEXEC != 0;
    t.files
        .borrow_mut()
        .alloc(0, FdEntry { file, cloexec })
        .ok_or(Errno::EMFILE)
}

/// `move_addr_to_kernel`: at most a `sockaddr_storage`.
fn read_sockaddr(k: &mut Kernel, t: &Task, ptr: u32, len: u32) -> KResult<Vec<u8>> {
    if (len as i32) < 0 || len as usize > addr::SOCKADDR_STORAGE_LEN {
        return Err(Errno::EINVAL);
    }
    mem(k, t, |m| m.read_vec(ptr, len as usize))
}

/// `move_addr_to_user`: as much as fits, and the full length back.
fn write_sockaddr(k: &mut Kernel, t: &Task, ptr: u32, len_ptr: u32, data: &[u8]) -> KResult<()> {
    if ptr == 0 {
        return Ok(());
    }
    let room = mem(k, t, |m| m.read_u32(len_ptr))? as i32;
    if room < 0 {
        return Err(Errno::EINVAL);
    }
    let n = (room as usize).min(data.len());
    mem(k, t, |m| m.write(ptr, &data[..n]))?;
    mem(k, t, |m| m.write_u32(len_ptr, data.len() as u32))
}

/// `unix_find_other`: the live socket bound to `name`, of type `ty`.
fn lookup(k: &Kernel, t: &Task, name: &UnixAddr, ty: u32) -> KResult<SockRef> {
    let sock = match name {
        UnixAddr::Path(path) => {
            let loc = resolve(k, t, AT_FDCWD, path, true)?;
            if stat_loc(k, t, loc)?.mode & S_IFMT != S_IFSOCK {
                return Err(Errno::ECONNREFUSED);
            }
            k.sockets.by_path(loc).ok_or(Errno::ECONNREFUSED)?
        }
        UnixAddr::Abstract(n) => k.sockets.by_abstract(n).ok_or(Errno::ECONNREFUSED)?,
    };
    if sock.borrow().ty != ty {
        return Err(Errno::EPROTOTYPE);
    }
    Ok(sock)
}

/// The result of a wait: `EAGAIN` when not blocking or past the socket's timeout.
fn wait(k: &Kernel, c: &Call, nonblock: bool, timeout_ns: u64) -> SysError {
    if nonblock {
        return Errno::EAGAIN.into();
    }
    if timeout_ns == 0 {
        return SysError::Block(None);
    }
    let now = k.platform.clock.monotonic_ns();
    let deadline = c.deadline.unwrap_or(now.saturating_add(timeout_ns));
    if now >= deadline {
        return Errno::EAGAIN.into();
    }
    SysError::Block(Some(deadline))
}

// ----- creating, naming, connecting ---------------------------------------------------

fn check_type(domain: u32, raw_type: u32, protocol: u32) -> KResult<(u32, u32)> {
    let ty = raw_type & SOCK_TYPE_MASK;
    let flags = raw_type & !SOCK_TYPE_MASK;
    if flags & !(SOCK_CLOEXEC | SOCK_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    if domain >= NPROTO {
        return Err(Errno::EAFNOSUPPORT);
    }
    if ty >= SOCK_MAX {
        return Err(Errno::EINVAL);
    }
    if domain != u32::from(AF_UNIX) {
        return Err(Errno::EAFNOSUPPORT);
    }
    if protocol != 0 && protocol != 1 {
        return Err(Errno::EPROTONOSUPPORT);
    }
    let ty = match ty {
        SOCK_STREAM | SOCK_DGRAM | SOCK_SEQPACKET => ty,
        SOCK_RAW => SOCK_DGRAM,
        _ => return Err(Errno::ESOCKTNOSUPPORT),
    };
    Ok((ty, flags))
}

pub fn socket(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (ty, flags) = check_type(c.arg(0), c.arg(1), c.arg(2))?;
    let sock = UnixSocket::new(ty, k.sockets.ino());
    Ok(install(t, sock, flags)?)
}

pub fn socketpair(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (ty, flags) = check_type(c.arg(0), c.arg(1), c.arg(2))?;
    let inos = (k.sockets.ino(), k.sockets.ino());
    let (a, b) = UnixSocket::pair(ty, inos, cred_of(t));
    let fa = install(t, a, flags)?;
    let fb = match install(t, b, flags) {
        Ok(fd) => fd,
        Err(e) => {
            t.files.borrow_mut().remove(fa);
            return Err(e.into());
        }
    };
    let mut bytes = [0u8; 8];
    bytes[..4].copy_from_slice(&fa.to_le_bytes());
    bytes[4..].copy_from_slice(&fb.to_le_bytes());
    if let Err(e) = mem(k, t, |m| m.write(c.arg(3), &bytes)) {
        let mut files = t.files.borrow_mut();
        files.remove(fa);
        files.remove(fb);
        return Err(e.into());
    }
    Ok(0)
}

/// Gives `sock` an abstract name of its own if it has none (`unix_autobind`).
fn autobind(k: &mut Kernel, sock: &SockRef) -> KResult<()> {
    if sock.borrow().addr.is_some() {
        return Ok(());
    }
    let name = k.sockets.autobind(sock)?;
    sock.borrow_mut().addr = Some(name);
    Ok(())
}

pub fn bind(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (_, sock) = sock_of(t, c.arg(0))?;
    let raw = read_sockaddr(k, t, c.arg(1), c.arg(2))?;
    if raw.len() == addr::PATH_OFFSET && u16::from_le_bytes([raw[0], raw[1]]) == AF_UNIX {
        autobind(k, &sock)?;
        return Ok(0);
    }
    let name = UnixAddr::parse(&raw)?;
    match &name {
        UnixAddr::Path(path) => {
            let (dir, leaf) = resolve_parent(k, t, AT_FDCWD, path)?;
            if leaf.is_empty() || leaf == b"." || leaf == b".." {
                return Err(Errno::EADDRINUSE.into());
            }
            let in_use = |e: Errno| {
                if e == Errno::EEXIST {
                    Errno::EADDRINUSE
                } else {
                    e
                }
            };
            // The same rules as any new name: it must be new, then the directory must
            // allow it (`mknod`'s path in Linux's `unix_bind`).
            must_be_new(k, t, dir, &leaf).map_err(in_use)?;
            let (owner, mode) = may_create(k, t, dir, S_IFSOCK | (0o777 & !task_umask(t)))?;
            let loc = k
                .vfs
                .create(dir, &leaf, mode, (0, 0), owner)
                .map_err(in_use)?;
            if sock.borrow().addr.is_some() {
                let _ = k.vfs.unlink(dir, &leaf);
                return Err(Errno::EINVAL.into());
            }
            let fs = k.vfs.disk(loc.mount).ok_or(Errno::EACCES)?;
            fs.borrow_mut().hold(loc.ino);
            let mut s = sock.borrow_mut();
            s.addr = Some(name.clone());
            s.inode = Some((fs, loc));
            drop(s);
            k.sockets.bind_path(loc, &sock);
        }
        UnixAddr::Abstract(n) => {
            if sock.borrow().addr.is_some() {
                return Err(Errno::EINVAL.into());
            }
            k.sockets.bind_abstract(n, &sock)?;
            sock.borrow_mut().addr = Some(name.clone());
        }
    }
    Ok(0)
}

pub fn connect(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (file, sock) = sock_of(t, c.arg(0))?;
    let raw = read_sockaddr(k, t, c.arg(1), c.arg(2))?;
    let ty = sock.borrow().ty;
    if ty == SOCK_DGRAM {
        if raw.len() < 2 {
            return Err(Errno::EINVAL.into());
        }
        if u16::from_le_bytes([raw[0], raw[1]]) == AF_UNSPEC {
            UnixSocket::connect_dgram(&sock, None).map_err(sock_err)?;
            return Ok(0);
        }
        let name = UnixAddr::parse(&raw)?;
        if sock.borrow().passcred {
            autobind(k, &sock)?;
        }
        let other = lookup(k, t, &name, ty)?;
        UnixSocket::connect_dgram(&sock, Some(&other)).map_err(sock_err)?;
        return Ok(0);
    }
    let name = UnixAddr::parse(&raw)?;
    if sock.borrow().passcred {
        autobind(k, &sock)?;
    }
    let listener = lookup(k, t, &name, ty)?;
    let ino = k.sockets.ino();
    match UnixSocket::connect_stream(&sock, &listener, cred_of(t), ino) {
        Ok(()) => Ok(0),
        Err(SockErr::WouldBlock) => {
            let timeo = sock.borrow().sndtimeo;
            Err(wait(k, c, file.nonblocking(), timeo))
        }
        Err(e) => Err(sock_err(e)),
    }
}

fn sock_err(e: SockErr) -> SysError {
    match e {
        SockErr::Errno(e) => e.into(),
        SockErr::WouldBlock => Errno::EAGAIN.into(),
        SockErr::Broken => Errno::EPIPE.into(),
    }
}

pub fn listen(_k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (_, sock) = sock_of(t, c.arg(0))?;
    let backlog = c.arg(1).min(SOMAXCONN);
    let cred = cred_of(t);
    sock.borrow_mut().listen(backlog, cred)?;
    Ok(0)
}

fn do_accept(k: &mut Kernel, t: &mut Task, c: &Call, flags: u32) -> SysResult {
    if flags & !(SOCK_CLOEXEC | SOCK_NONBLOCK) != 0 {
        return Err(Errno::EINVAL.into());
    }
    let (file, sock) = sock_of(t, c.arg(0))?;
    let r = sock.borrow_mut().accept();
    let new = match r {
        Ok(s) => s,
        Err(SockErr::WouldBlock) => {
            let timeo = sock.borrow().rcvtimeo;
            return Err(wait(k, c, file.nonblocking(), timeo));
        }
        Err(e) => return Err(sock_err(e)),
    };
    let peer_name = peer_sockaddr(&new).unwrap_or_else(addr::unnamed);
    if c.arg(1) != 0 {
        write_sockaddr(k, t, c.arg(1), c.arg(2), &peer_name)?;
    }
    Ok(install(t, new, flags)?)
}

pub fn accept4(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    do_accept(k, t, c, c.arg(3))
}

fn own_sockaddr(sock: &SockRef) -> Vec<u8> {
    match &sock.borrow().addr {
        Some(a) => a.to_sockaddr(),
        None => addr::unnamed(),
    }
}

/// The peer's name (`None`: no peer).
fn peer_sockaddr(sock: &SockRef) -> Option<Vec<u8>> {
    let peer = sock.borrow().peer()?;
    Some(own_sockaddr(&peer))
}

pub fn getsockname(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (_, sock) = sock_of(t, c.arg(0))?;
    let name = own_sockaddr(&sock);
    write_sockaddr(k, t, c.arg(1), c.arg(2), &name)?;
    Ok(0)
}

pub fn getpeername(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (_, sock) = sock_of(t, c.arg(0))?;
    let name = peer_sockaddr(&sock).ok_or(Errno::ENOTCONN)?;
    write_sockaddr(k, t, c.arg(1), c.arg(2), &name)?;
    Ok(0)
}

pub fn shutdown(_k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (_, sock) = sock_of(t, c.arg(0))?;
    UnixSocket::shutdown(&sock, c.arg(1))?;
    Ok(0)
}

// ----- options ---------------------------------------------------------------------

const SO_DEBUG: u32 = 1;
const SO_REUSEADDR: u32 = 2;
const SO_TYPE: u32 = 3;
const SO_ERROR: u32 = 4;
const SO_DONTROUTE: u32 = 5;
const SO_BROADCAST: u32 = 6;
const SO_SNDBUF: u32 = 7;
const SO_RCVBUF: u32 = 8;
const SO_KEEPALIVE: u32 = 9;
const SO_OOBINLINE: u32 = 10;
const SO_NO_CHECK: u32 = 11;
const SO_PRIORITY: u32 = 12;
const SO_LINGER: u32 = 13;
const SO_BSDCOMPAT: u32 = 14;
const SO_REUSEPORT: u32 = 15;
const SO_PASSCRED: u32 = 16;
const SO_PEERCRED: u32 = 17;
const SO_RCVLOWAT: u32 = 18;
const SO_SNDLOWAT: u32 = 19;
const SO_RCVTIMEO_OLD: u32 = 20;
const SO_SNDTIMEO_OLD: u32 = 21;
const SO_PEERNAME: u32 = 28;
const SO_TIMESTAMP: u32 = 29;
const SO_ACCEPTCONN: u32 = 30;
const SO_SNDBUFFORCE: u32 = 32;
const SO_RCVBUFFORCE: u32 = 33;
const SO_PASSSEC: u32 = 34;
const SO_MARK: u32 = 36;
const SO_PROTOCOL: u32 = 38;
const SO_DOMAIN: u32 = 39;
const SO_PEEK_OFF: u32 = 42;
const SO_RCVTIMEO_NEW: u32 = 66;
const SO_SNDTIMEO_NEW: u32 = 67;

/// Boolean options that are kept and read back as 0 or 1.
fn boolean_option(name: u32) -> bool {
    matches!(
        name,
        SO_DEBUG
            | SO_REUSEADDR
            | SO_DONTROUTE
            | SO_BROADCAST
            | SO_KEEPALIVE
            | SO_OOBINLINE
            | SO_NO_CHECK
            | SO_REUSEPORT
            | SO_TIMESTAMP
            | SO_PASSSEC
    )
}

fn timeval_to_ns(raw: &[u8], wide: bool) -> KResult<u64> {
    let (sec, usec) = if wide {
        (
            i64::from_le_bytes(raw[0..8].try_into().unwrap()),
            i64::from_le_bytes(raw[8..16].try_into().unwrap()),
        )
    } else {
        (
            i64::from(i32::from_le_bytes(raw[0..4].try_into().unwrap())),
            i64::from(i32::from_le_bytes(raw[4..8].try_into().unwrap())),
        )
    };
    if !(0..1_000_000).contains(&usec) {
        return Err(Errno::EDOM);
    }
    if sec < 0 {
        return Ok(0);
    }
    Ok((sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(usec as u64 * 1000))
}

fn ns_to_timeval(ns: u64, wide: bool) -> Vec<u8> {
    let (sec, usec) = (ns / 1_000_000_000, (ns % 1_000_000_000) / 1000);
    if wide {
        [sec.to_le_bytes(), usec.to_le_bytes()].concat()
    } else {
        [(sec as u32).to_le_bytes(), (usec as u32).to_le_bytes()].concat()
    }
}

pub fn setsockopt(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (_, sock) = sock_of(t, c.arg(0))?;
    let (level, name, optval, optlen) = (c.arg(1), c.arg(2), c.arg(3), c.arg(4) as i32);
    if level != SOL_SOCKET {
        return Err(Errno::EOPNOTSUPP.into());
    }
    if optlen < 4 {
        return Err(Errno::EINVAL.into());
    }
    let raw = mem(k, t, |m| m.read_vec(optval, (optlen as usize).min(16)))?;
    let val = i32::from_le_bytes(raw[0..4].try_into().unwrap());
    let mut s = sock.borrow_mut();
    match name {
        n if boolean_option(n) => {
            s.options
                .insert(n, i32::from(val != 0).to_le_bytes().to_vec());
        }
        SO_PRIORITY | SO_MARK => {
            s.options.insert(name, val.to_le_bytes().to_vec());
        }
        SO_RCVLOWAT => {
            let v = if val < 0 { i32::MAX } else { val.max(1) };
            s.options.insert(name, v.to_le_bytes().to_vec());
        }
        SO_PEEK_OFF => {
            s.options.insert(name, val.to_le_bytes().to_vec());
        }
        SO_BSDCOMPAT => {}
        SO_SNDBUF | SO_SNDBUFFORCE => {
            let v = if name == SO_SNDBUF {
                (val as u32).min(MAX_BUF)
            } else {
                val.max(0) as u32
            };
            s.sndbuf = v.saturating_mul(2).max(MIN_SNDBUF);
        }
        SO_RCVBUF | SO_RCVBUFFORCE => {
            let v = if name == SO_RCVBUF {
                (val as u32).min(MAX_BUF)
            } else {
                val.max(0) as u32
            };
            s.rcvbuf = v.saturating_mul(2).max(MIN_RCVBUF);
        }
        SO_PASSCRED => s.passcred = val != 0,
        SO_LINGER => {
            if optlen < 8 {
                return Err(Errno::EINVAL.into());
            }
            s.options.insert(name, raw[..8].to_vec());
        }
        SO_RCVTIMEO_OLD | SO_SNDTIMEO_OLD | SO_RCVTIMEO_NEW | SO_SNDTIMEO_NEW => {
            let wide = name >= SO_RCVTIMEO_NEW;
            if optlen < if wide { 16 } else { 8 } {
                return Err(Errno::EINVAL.into());
            }
            let ns = timeval_to_ns(&raw, wide)?;
            if name == SO_RCVTIMEO_OLD || name == SO_RCVTIMEO_NEW {
                s.rcvtimeo = ns;
            } else {
                s.sndtimeo = ns;
            }
        }
        _ => return Err(Errno::ENOPROTOOPT.into()),
    }
    Ok(0)
}

pub fn getsockopt(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (_, sock) = sock_of(t, c.arg(0))?;
    let (level, name, optval, optlen_ptr) = (c.arg(1), c.arg(2), c.arg(3), c.arg(4));
    if level != SOL_SOCKET {
        return Err(Errno::EOPNOTSUPP.into());
    }
    let len = mem(k, t, |m| m.read_u32(optlen_ptr))? as i32;
    if len < 0 {
        return Err(Errno::EINVAL.into());
    }
    let int = |v: i32| v.to_le_bytes().to_vec();
    let value: Vec<u8> = {
        let mut s = sock.borrow_mut();
        match name {
            SO_TYPE => int(s.ty as i32),
            SO_DOMAIN => int(i32::from(AF_UNIX)),
            SO_PROTOCOL => int(0),
            SO_ERROR => int(s.take_error().map_or(0, |e| e.0)),
            SO_ACCEPTCONN => int(i32::from(s.state == State::Listening)),
            SO_SNDBUF => int(s.sndbuf as i32),
            SO_RCVBUF => int(s.rcvbuf as i32),
            SO_PASSCRED => int(i32::from(s.passcred)),
            SO_SNDLOWAT => int(1),
            SO_BSDCOMPAT => int(0),
            SO_RCVLOWAT => s.options.get(&name).cloned().unwrap_or_else(|| int(1)),
            SO_PEEK_OFF => s.options.get(&name).cloned().unwrap_or_else(|| int(-1)),
            SO_LINGER => s.options.get(&name).cloned().unwrap_or_else(|| vec![0; 8]),
            SO_PEERCRED => {
                let c = s.peercred.unwrap_or(Cred::NONE);
                [
                    c.pid.to_le_bytes(),
                    c.uid.to_le_bytes(),
                    c.gid.to_le_bytes(),
                ]
                .concat()
            }
            SO_RCVTIMEO_OLD | SO_RCVTIMEO_NEW => ns_to_timeval(s.rcvtimeo, name == SO_RCVTIMEO_NEW),
            SO_SNDTIMEO_OLD | SO_SNDTIMEO_NEW => ns_to_timeval(s.sndtimeo, name == SO_SNDTIMEO_NEW),
            SO_PEERNAME => {
                drop(s);
                let peer = peer_sockaddr(&sock).ok_or(Errno::ENOTCONN)?;
                if peer.len() < len as usize {
                    return Err(Errno::EINVAL.into());
                }
                peer
            }
            n if boolean_option(n) || n == SO_PRIORITY || n == SO_MARK => {
                s.options.get(&n).cloned().unwrap_or_else(|| int(0))
            }
            _ => return Err(Errno::ENOPROTOOPT.into()),
        }
    };
    let n = (len as usize).min(value.len());
    mem(k, t, |m| m.write(optval, &value[..n]))?;
    mem(k, t, |m| m.write_u32(optlen_ptr, n as u32))?;
    Ok(0)
}

// ----- socketcall ----------------------------------------------------------------------

/// `socketcall(call, args)`: the i386 multiplexer; `args` points at the call's
/// arguments as 32-bit words.
pub fn socketcall(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    // Arguments of SYS_SOCKET (1) ... SYS_SENDMMSG (20).
    const NARGS: [usize; 21] = [
        0, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 6, 6, 2, 5, 5, 3, 3, 4, 5, 4,
    ];
    let call = c.arg(0);
    if !(1..=20).contains(&call) {
        return Err(Errno::EINVAL.into());
    }
    let n = NARGS[call as usize];
    let raw = mem(k, t, |m| m.read_vec(c.arg(1), n * 4))?;
    let mut args = [0u32; 6];
    for (i, w) in raw.chunks_exact(4).enumerate() {
        args[i] = u32::from_le_bytes(w.try_into().unwrap());
    }
    let sub = |nr: u32, args: [u32; 6]| Call {
        nr,
        args,
        deadline: c.deadline,
    };
    let a = args;
    match call {
        1 => socket(k, t, &sub(nr::SOCKET, a)),
        2 => bind(k, t, &sub(nr::BIND, a)),
        3 => connect(k, t, &sub(nr::CONNECT, a)),
        4 => listen(k, t, &sub(nr::LISTEN, a)),
        5 => do_accept(k, t, &sub(nr::ACCEPT4, a), 0),
        6 => getsockname(k, t, &sub(nr::GETSOCKNAME, a)),
        7 => getpeername(k, t, &sub(nr::GETPEERNAME, a)),
        8 => socketpair(k, t, &sub(nr::SOCKETPAIR, a)),
        9 => sendto(k, t, &sub(nr::SENDTO, [a[0], a[1], a[2], a[3], 0, 0])),
        10 => recvfrom(k, t, &sub(nr::RECVFROM, [a[0], a[1], a[2], a[3], 0, 0])),
        11 => sendto(k, t, &sub(nr::SENDTO, a)),
        12 => recvfrom(k, t, &sub(nr::RECVFROM, a)),
        13 => shutdown(k, t, &sub(nr::SHUTDOWN, a)),
        14 => setsockopt(k, t, &sub(nr::SETSOCKOPT, a)),
        15 => getsockopt(k, t, &sub(nr::GETSOCKOPT, a)),
        16 => sendmsg(k, t, &sub(nr::SENDMSG, a)),
        17 => recvmsg(k, t, &sub(nr::RECVMSG, a)),
        18 => do_accept(k, t, &sub(nr::ACCEPT4, a), a[3]),
        19 => recvmmsg(k, t, &sub(nr::RECVMMSG, a)),
        _ => sendmmsg(k, t, &sub(nr::SENDMMSG, a)),
    }
}
