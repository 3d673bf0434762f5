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

use super::fs::{owner, resolve, resolve_parent, stat_loc, task_umask, AT_FDCWD};
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
            let perm = 0o777 & !task_umask(t);
            let loc = k
                .vfs
                .create(dir, &leaf, S_IFSOCK | perm, (0, 0), owner(t))
                .map_err(|e| if e == Errno::EEXIST { Errno::EADDRINUSE } else { e })?;
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

// ----- sending ---------------------------------------------------------------------

/// Descriptors and credentials from a sender's control data (`__scm_send`).
fn parse_control(
    k: &Kernel,
    t: &Task,
    raw: &[u8],
) -> KResult<(Vec<Rc<OpenFile>>, Option<Cred>)> {
    let mut fds = Vec::new();
    let mut cred = None;
    let mut off = 0;
    let word = |at: usize| u32::from_le_bytes(raw[at..at + 4].try_into().unwrap());
    while off + CMSG_HDR <= raw.len() {
        let len = word(off) as usize;
        if len < CMSG_HDR || len > raw.len() - off {
            return Err(Errno::EINVAL);
        }
        let (level, ty) = (word(off + 4), word(off + 8));
        if level == SOL_SOCKET {
            let data = &raw[off + CMSG_HDR..off + len];
            match ty {
                SCM_RIGHTS => {
                    for fd in data.chunks_exact(4) {
                        let fd = u32::from_le_bytes(fd.try_into().unwrap());
                        if fds.len() >= SCM_MAX_FD {
                            return Err(Errno::EINVAL);
                        }
                        fds.push(fd_file(t, fd)?);
                    }
                }
                SCM_CREDENTIALS => {
                    if data.len() != 12 {
                        return Err(Errno::EINVAL);
                    }
                    let w = |i: usize| u32::from_le_bytes(data[i * 4..i * 4 + 4].try_into().unwrap());
                    let c = Cred {
                        pid: w(0),
                        uid: w(1),
                        gid: w(2),
                    };
                    cred = Some(check_creds(k, t, c)?);
                }
                _ => return Err(Errno::EINVAL),
            }
        }
        off += cmsg_align(len);
    }
    Ok((fds, cred))
}

/// `scm_check_creds`: one's own, or anything valid for root; the pid must exist.
fn check_creds(k: &Kernel, t: &Task, c: Cred) -> KResult<Cred> {
    if c.uid == u32::MAX || c.gid == u32::MAX {
        return Err(Errno::EINVAL);
    }
    let me = cred_of(t);
    let root = me.uid == 0;
    if !root && (c.pid != me.pid || c.uid != me.uid || c.gid != me.gid) {
        return Err(Errno::EPERM);
    }
    let exists = c.pid == me.pid
        || k.tasks.values().any(|x| x.process.borrow().pid == c.pid);
    if !exists {
        return Err(Errno::ESRCH);
    }
    Ok(c)
}

/// What a send carries.
struct Outgoing {
    data: Vec<u8>,
    flags: u32,
    /// The destination's raw `sockaddr` (`sendto`, `msg_name`), if any.
    name: Option<Vec<u8>>,
    control: Vec<u8>,
}

/// One send on `sock` through `file`, resuming at `done` bytes for a parked stream
/// send. Returns the total sent.
fn send_core(
    k: &mut Kernel,
    t: &mut Task,
    c: &Call,
    file: &OpenFile,
    sock: &SockRef,
    out: &Outgoing,
    done: usize,
) -> SysResult {
    let (fds, explicit) = parse_control(k, t, &out.control)?;
    let cred = explicit.unwrap_or_else(|| cred_of(t));
    let nonblock = file.nonblocking() || out.flags & MSG_DONTWAIT != 0;
    let (ty, state, timeo) = {
        let s = sock.borrow();
        (s.ty, s.state, s.sndtimeo)
    };
    match ty {
        SOCK_STREAM => {
            if out.flags & MSG_OOB != 0 {
                return Err(Errno::EOPNOTSUPP.into());
            }
            if out.name.is_some() {
                return Err(if state == State::Connected {
                    Errno::EISCONN
                } else {
                    Errno::EOPNOTSUPP
                }
                .into());
            }
            let fds = if done == 0 { fds } else { Vec::new() };
            let r = UnixSocket::send_stream(sock, &out.data[done.min(out.data.len())..], fds, cred);
            let total = match r {
                Ok(n) => done + n,
                Err(SockErr::WouldBlock) => done,
                Err(SockErr::Broken) => {
                    if done > 0 {
                        return Ok(done as u32);
                    }
                    if out.flags & MSG_NOSIGNAL == 0 {
                        k.queue_signal(t, SIGPIPE, false, None);
                    }
                    return Err(Errno::EPIPE.into());
                }
                Err(SockErr::Errno(e)) if done > 0 => {
                    let _ = e;
                    return Ok(done as u32);
                }
                Err(SockErr::Errno(e)) => return Err(e.into()),
            };
            if total >= out.data.len() || (nonblock && total > 0) {
                return Ok(total as u32);
            }
            match wait(k, c, nonblock, timeo) {
                SysError::Block(d) => {
                    t.io_progress = total;
                    Err(SysError::Block(d))
                }
                _ if total > 0 => Ok(total as u32),
                e => Err(e),
            }
        }
        _ => {
            if out.flags & MSG_OOB != 0 {
                return Err(Errno::EOPNOTSUPP.into());
            }
            let target = if ty == SOCK_SEQPACKET {
                if let Some(e) = sock.borrow_mut().take_error() {
                    return Err(e.into());
                }
                if state != State::Connected {
                    return Err(Errno::ENOTCONN.into());
                }
                None
            } else {
                match &out.name {
                    Some(raw) if !raw.is_empty() => {
                        let name = UnixAddr::parse(raw)?;
                        if sock.borrow().passcred {
                            autobind(k, sock)?;
                        }
                        Some(lookup(k, t, &name, ty)?)
                    }
                    _ => None,
                }
            };
            if target.is_none() && sock.borrow().passcred && ty == SOCK_DGRAM {
                autobind(k, sock)?;
            }
            match UnixSocket::send_dgram(sock, target, &out.data, fds, cred) {
                Ok(n) => Ok(n as u32),
                Err(SockErr::WouldBlock) => Err(wait(k, c, nonblock, timeo)),
                Err(e) => Err(sock_err(e)),
            }
        }
    }
}

/// A send with the call's progress bookkeeping.
fn send_tracked(
    k: &mut Kernel,
    t: &mut Task,
    c: &Call,
    file: &OpenFile,
    sock: &SockRef,
    out: &Outgoing,
) -> SysResult {
    let done = progress(t);
    let r = send_core(k, t, c, file, sock, out, done);
    if !matches!(r, Err(SysError::Block(_))) {
        t.io_progress = 0;
    }
    r
}

/// `write`/`writev` on a socket: a send without flags.
pub fn file_write(k: &mut Kernel, t: &mut Task, file: &OpenFile, data: &[u8]) -> SysResult {
    let FileKind::Socket(s) = &file.kind else {
        return Err(Errno::ENOTSOCK.into());
    };
    let sock = s.sock.clone();
    let out = Outgoing {
        data: data.to_vec(),
        flags: 0,
        name: None,
        control: Vec::new(),
    };
    let c = current_call(t);
    send_tracked(k, t, &c, file, &sock, &out)
}

/// The parked call's deadline, for calls that reach sockets through `read`/`write`.
fn current_call(t: &Task) -> Call {
    match t.state {
        TaskState::Parked(p) => Call {
            nr: p.nr,
            args: p.args,
            deadline: p.deadline,
        },
        _ => Call {
            nr: 0,
            args: [0; 6],
            deadline: None,
        },
    }
}

fn read_iovecs(k: &mut Kernel, t: &Task, addr: u32, count: u32) -> KResult<Vec<(u32, u32)>> {
    if count > 1024 {
        return Err(Errno::EMSGSIZE);
    }
    let raw = mem(k, t, |m| m.read_vec(addr, count as usize * 8))?;
    let mut out = Vec::with_capacity(count as usize);
    let mut total: u64 = 0;
    for c in raw.chunks_exact(8) {
        let base = u32::from_le_bytes(c[0..4].try_into().unwrap());
        let len = u32::from_le_bytes(c[4..8].try_into().unwrap());
        if (len as i32) < 0 {
            return Err(Errno::EINVAL);
        }
        total += u64::from(len);
        if total > i32::MAX as u64 {
            return Err(Errno::EINVAL);
        }
        out.push((base, len));
    }
    Ok(out)
}

fn gather(k: &mut Kernel, t: &Task, iov: &[(u32, u32)]) -> KResult<Vec<u8>> {
    let mut data = Vec::new();
    for &(base, len) in iov {
        let len = (len as usize).min((1 << 22) - data.len().min(1 << 22));
        data.extend(mem(k, t, |m| m.read_vec(base, len))?);
    }
    Ok(data)
}

/// Writes `data` across `iov`, starting `skip` bytes in.
fn scatter(k: &mut Kernel, t: &Task, iov: &[(u32, u32)], skip: usize, data: &[u8]) -> KResult<()> {
    let mut pos = 0usize; // position in the iovec space
    let mut done = 0usize; // bytes of data written
    for &(base, len) in iov {
        let len = len as usize;
        if done == data.len() {
            break;
        }
        let start = skip.max(pos);
        let end = pos + len;
        if start < end {
            let n = (end - start).min(data.len() - done);
            let at = base.wrapping_add((start - pos) as u32);
            mem(k, t, |m| m.write(at, &data[done..done + n]))?;
            done += n;
        }
        pos = end;
    }
    Ok(())
}

/// The i386 `struct msghdr`.
#[derive(Clone, Copy, Default)]
struct MsgHdr {
    name: u32,
    namelen: u32,
    iov: u32,
    iovlen: u32,
    control: u32,
    controllen: u32,
}

fn read_msghdr(k: &mut Kernel, t: &Task, addr: u32) -> KResult<MsgHdr> {
    let w: [u32; 7] = mem(k, t, |m| m.read_obj(addr))?;
    Ok(MsgHdr {
        name: w[0],
        namelen: w[1],
        iov: w[2],
        iovlen: w[3],
        control: w[4],
        controllen: w[5],
    })
}

fn outgoing_from_msghdr(k: &mut Kernel, t: &Task, h: &MsgHdr, flags: u32) -> KResult<Outgoing> {
    let iov = read_iovecs(k, t, h.iov, h.iovlen)?;
    let data = gather(k, t, &iov)?;
    let name = if h.name != 0 && h.namelen != 0 {
        Some(read_sockaddr(k, t, h.name, h.namelen)?)
    } else {
        None
    };
    if h.controllen as i32 > (1 << 20) || (h.controllen as i32) < 0 {
        return Err(Errno::ENOBUFS);
    }
    let control = if h.controllen > 0 {
        mem(k, t, |m| m.read_vec(h.control, h.controllen as usize))?
    } else {
        Vec::new()
    };
    Ok(Outgoing {
        data,
        flags,
        name,
        control,
    })
}

pub fn sendto(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (file, sock) = sock_of(t, c.arg(0))?;
    let len = (c.arg(2) as usize).min(1 << 22);
    let data = mem(k, t, |m| m.read_vec(c.arg(1), len))?;
    let name = if c.arg(4) != 0 && c.arg(5) != 0 {
        Some(read_sockaddr(k, t, c.arg(4), c.arg(5))?)
    } else {
        None
    };
    let out = Outgoing {
        data,
        flags: c.arg(3),
        name,
        control: Vec::new(),
    };
    send_tracked(k, t, c, &file, &sock, &out)
}

pub fn sendmsg(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (file, sock) = sock_of(t, c.arg(0))?;
    let h = read_msghdr(k, t, c.arg(1))?;
    let out = outgoing_from_msghdr(k, t, &h, c.arg(2))?;
    send_tracked(k, t, c, &file, &sock, &out)
}

pub fn sendmmsg(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (file, sock) = sock_of(t, c.arg(0))?;
    let vlen = c.arg(2).min(1024);
    let flags = c.arg(3);
    let mut sent = 0;
    for i in 0..vlen {
        let at = c.arg(1).wrapping_add(i * 32);
        let h = read_msghdr(k, t, at)?;
        let out = outgoing_from_msghdr(k, t, &h, flags)?;
        let r = if i == 0 {
            send_tracked(k, t, c, &file, &sock, &out)
        } else {
            let nb = Outgoing {
                flags: flags | MSG_DONTWAIT,
                ..out
            };
            send_core(k, t, c, &file, &sock, &nb, 0)
        };
        match r {
            Ok(n) => {
                mem(k, t, |m| m.write_u32(at + 28, n))?;
                sent += 1;
            }
            Err(e) if i == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(sent)
}

// ----- receiving ---------------------------------------------------------------------

/// One receive attempt: data, or the error or wait the call gives.
fn recv_once(
    k: &mut Kernel,
    c: &Call,
    file: &OpenFile,
    sock: &SockRef,
    len: usize,
    flags: u32,
) -> Result<Received, SysError> {
    let peek = flags & MSG_PEEK != 0;
    let nonblock = file.nonblocking() || flags & MSG_DONTWAIT != 0;
    let r = {
        let mut s = sock.borrow_mut();
        if s.ty == SOCK_STREAM {
            s.recv_stream(len, peek)
        } else {
            s.recv_dgram(len, peek)
        }
    };
    match r {
        Ok(r) => Ok(r),
        Err(SockErr::WouldBlock) => {
            let timeo = sock.borrow().rcvtimeo;
            Err(wait(k, c, nonblock, timeo))
        }
        Err(e) => Err(sock_err(e)),
    }
}

/// `read`/`readv` on a socket: a receive without flags (descriptors that came along
/// are closed).
pub fn file_read(k: &mut Kernel, t: &mut Task, file: &OpenFile, len: usize) -> Result<Vec<u8>, SysError> {
    let FileKind::Socket(s) = &file.kind else {
        return Err(Errno::ENOTSOCK.into());
    };
    let sock = s.sock.clone();
    let c = current_call(t);
    Ok(recv_once(k, &c, file, &sock, len, 0)?.data)
}

/// What a finished receive reports besides the data.
struct RecvDone {
    /// The call's value.
    value: usize,
    name: Option<Vec<u8>>,
    control: Vec<u8>,
    msg_flags: u32,
}

/// A receive into `iov` with `MSG_WAITALL` continuation; builds the control data
/// for a buffer of `control_room` bytes.
fn recv_core(
    k: &mut Kernel,
    t: &mut Task,
    c: &Call,
    file: &OpenFile,
    sock: &SockRef,
    iov: &[(u32, u32)],
    flags: u32,
    control_room: usize,
    done: usize,
) -> Result<RecvDone, SysError> {
    let total: usize = iov.iter().map(|v| v.1 as usize).sum();
    // Check the buffers before taking anything.
    for &(base, len) in iov {
        if len > 0 {
            mem(k, t, |m| m.write(base, &[]))?;
        }
    }
    let r = match recv_once(k, c, file, sock, total - done.min(total), flags) {
        Ok(r) => r,
        Err(SysError::Block(d)) => {
            t.io_progress = done;
            return Err(SysError::Block(d));
        }
        Err(e) => {
            t.io_progress = 0;
            if done > 0 {
                return Ok(RecvDone {
                    value: done,
                    name: None,
                    control: Vec::new(),
                    msg_flags: 0,
                });
            }
            return Err(e);
        }
    };
    let stream = sock.borrow().ty == SOCK_STREAM;
    let res = scatter(k, t, iov, done, &r.data);
    if let Err(e) = res {
        t.io_progress = 0;
        return Err(e.into());
    }
    let got = done + r.data.len();
    let nonblock = file.nonblocking() || flags & MSG_DONTWAIT != 0;
    if stream
        && flags & MSG_WAITALL != 0
        && flags & MSG_PEEK == 0
        && !nonblock
        && !r.data.is_empty()
        && got < total
        && r.fds.is_empty()
    {
        t.io_progress = got;
        let timeo = sock.borrow().rcvtimeo;
        return match wait(k, c, false, timeo) {
            SysError::Block(d) => Err(SysError::Block(d)),
            _ => {
                t.io_progress = 0;
                Ok(RecvDone {
                    value: got,
                    name: None,
                    control: Vec::new(),
                    msg_flags: 0,
                })
            }
        };
    }
    t.io_progress = 0;
    let mut msg_flags = 0;
    if r.truncated {
        msg_flags |= MSG_TRUNC;
    }
    let value = if !stream && flags & MSG_TRUNC != 0 {
        r.full_len
    } else {
        got
    };
    let name = r.from.as_ref().map(UnixAddr::to_sockaddr);
    let cloexec = flags & MSG_CMSG_CLOEXEC != 0;
    let control = build_control(t, control_room, r.cred, r.fds, cloexec, &mut msg_flags);
    Ok(RecvDone {
        value,
        name: Some(name.unwrap_or_default()),
        control,
        msg_flags,
    })
}

/// Control data for the receiver (`put_cmsg_compat`, `scm_detach_fds_compat`):
/// credentials first, then as many descriptors as fit (installed in the caller's
/// table); what does not fit sets `MSG_CTRUNC` (those descriptors are closed).
fn build_control(
    t: &Task,
    room: usize,
    cred: Option<Cred>,
    fds: Vec<Rc<OpenFile>>,
    cloexec: bool,
    msg_flags: &mut u32,
) -> Vec<u8> {
    let mut out = Vec::new();
    let header = |len: usize, ty: u32| {
        let mut h = Vec::with_capacity(CMSG_HDR);
        h.extend_from_slice(&(len as u32).to_le_bytes());
        h.extend_from_slice(&SOL_SOCKET.to_le_bytes());
        h.extend_from_slice(&ty.to_le_bytes());
        h
    };
    if let Some(c) = cred {
        let left = room - out.len();
        if left < CMSG_HDR {
            *msg_flags |= MSG_CTRUNC;
        } else {
            let mut cm = header(CMSG_HDR + 12, SCM_CREDENTIALS);
            for v in [c.pid, c.uid, c.gid] {
                cm.extend_from_slice(&v.to_le_bytes());
            }
            if left < cm.len() {
                *msg_flags |= MSG_CTRUNC;
                cm.truncate(left);
                cm[..4].copy_from_slice(&(left as u32).to_le_bytes());
            }
            let space = cmsg_align(CMSG_HDR + 12).min(left);
            cm.resize(space, 0);
            out.extend_from_slice(&cm);
        }
    }
    if !fds.is_empty() {
        let left = room - out.len();
        let fit = if left > CMSG_HDR {
            (left - CMSG_HDR) / 4
        } else {
            0
        };
        let mut installed = Vec::new();
        for file in fds.iter().take(fit) {
            let fd = t.files.borrow_mut().alloc(
                0,
                FdEntry {
                    file: file.clone(),
                    cloexec,
                },
            );
            match fd {
                Some(fd) => installed.push(fd),
                None => break,
            }
        }
        if !installed.is_empty() {
            let mut cm = header(CMSG_HDR + 4 * installed.len(), SCM_RIGHTS);
            for fd in &installed {
                cm.extend_from_slice(&fd.to_le_bytes());
            }
            let space = cmsg_align(cm.len()).min(left);
            cm.resize(space, 0);
            out.extend_from_slice(&cm);
        }
        if installed.len() < fds.len() {
            *msg_flags |= MSG_CTRUNC;
        }
    }
    out
}

pub fn recvfrom(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (file, sock) = sock_of(t, c.arg(0))?;
    let iov = [(c.arg(1), c.arg(2).min(i32::MAX as u32))];
    let progress = progress(t);
    let done = recv_core(k, t, c, &file, &sock, &iov, c.arg(3), 0, progress)?;
    if c.arg(4) != 0 {
        if let Some(name) = &done.name {
            write_sockaddr(k, t, c.arg(4), c.arg(5), name)?;
        }
    }
    Ok(done.value as u32)
}

/// Receives one message into the `msghdr` at `at`, writing back its name, control
/// length and flags.
fn recvmsg_at(
    k: &mut Kernel,
    t: &mut Task,
    c: &Call,
    file: &OpenFile,
    sock: &SockRef,
    at: u32,
    flags: u32,
    progress: usize,
) -> SysResult {
    let h = read_msghdr(k, t, at)?;
    let iov = read_iovecs(k, t, h.iov, h.iovlen)?;
    let room = if h.control == 0 {
        0
    } else {
        h.controllen as usize
    };
    let done = recv_core(k, t, c, file, sock, &iov, flags, room, progress)?;
    if h.name != 0 {
        if let Some(name) = &done.name {
            let n = (h.namelen as usize).min(name.len());
            mem(k, t, |m| m.write(h.name, &name[..n]))?;
            mem(k, t, |m| m.write_u32(at + 4, name.len() as u32))?;
        }
    }
    if !done.control.is_empty() {
        mem(k, t, |m| m.write(h.control, &done.control))?;
    }
    mem(k, t, |m| m.write_u32(at + 20, done.control.len() as u32))?;
    mem(k, t, |m| m.write_u32(at + 24, done.msg_flags))?;
    Ok(done.value as u32)
}

pub fn recvmsg(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (file, sock) = sock_of(t, c.arg(0))?;
    let progress = progress(t);
    recvmsg_at(k, t, c, &file, &sock, c.arg(1), c.arg(2), progress)
}

fn do_recvmmsg(k: &mut Kernel, t: &mut Task, c: &Call, timeout: Option<u64>) -> SysResult {
    let (file, sock) = sock_of(t, c.arg(0))?;
    let vlen = c.arg(2).min(1024);
    let mut flags = c.arg(3) & !MSG_WAITALL;
    // The count of messages already taken rides in `io_progress`.
    let mut got = progress(t) as u32;
    let deadline = match (c.deadline, timeout) {
        (Some(d), _) => Some(d),
        (None, Some(ns)) => Some(k.platform.clock.monotonic_ns().saturating_add(ns)),
        _ => None,
    };
    if got > 0 && flags & MSG_WAITFORONE != 0 {
        flags |= MSG_DONTWAIT;
    }
    while got < vlen {
        let at = c.arg(1).wrapping_add(got * 32);
        match recvmsg_at(k, t, c, &file, &sock, at, flags, 0) {
            Ok(n) => {
                mem(k, t, |m| m.write_u32(at + 28, n))?;
                got += 1;
                if flags & MSG_WAITFORONE != 0 {
                    flags |= MSG_DONTWAIT;
                }
            }
            Err(SysError::Block(d)) => {
                if deadline.is_some_and(|dl| k.platform.clock.monotonic_ns() >= dl) {
                    break;
                }
                t.io_progress = got as usize;
                return Err(SysError::Block(deadline.or(d)));
            }
            Err(e) if got == 0 => {
                t.io_progress = 0;
                return Err(e);
            }
            Err(_) => break,
        }
    }
    t.io_progress = 0;
    Ok(got)
}

pub fn recvmmsg(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let timeout = if c.arg(4) == 0 {
        None
    } else {
        let ts: [i32; 2] = mem(k, t, |m| m.read_obj(c.arg(4)))?;
        Some(ts[0].max(0) as u64 * 1_000_000_000 + ts[1].max(0) as u64)
    };
    do_recvmmsg(k, t, c, timeout)
}

pub fn recvmmsg_time64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let timeout = if c.arg(4) == 0 {
        None
    } else {
        let ts: [i64; 2] = mem(k, t, |m| m.read_obj(c.arg(4)))?;
        Some((ts[0].max(0) as u64).saturating_mul(1_000_000_000) + ts[1].max(0) as u64)
    };
    do_recvmmsg(k, t, c, timeout)
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
            s.options.insert(n, i32::from(val != 0).to_le_bytes().to_vec());
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
                [c.pid.to_le_bytes(), c.uid.to_le_bytes(), c.gid.to_le_bytes()].concat()
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
    const NARGS: [usize; 21] = [0, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 6, 6, 2, 5, 5, 3, 3, 4, 5, 4];
    let call = c.arg(0);
    if call < 1 || call > 20 {
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
