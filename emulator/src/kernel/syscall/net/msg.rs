//! Sending and receiving: the i386 `msghdr` (28 bytes) and `cmsghdr` (12 bytes,
//! 4-byte aligned), descriptors and credentials in control data, `MSG_*` flags, the
//! `read`/`write` view of a socket, and the progress a parked transfer keeps.

use super::*;

// ----- sending ---------------------------------------------------------------------

/// Descriptors and credentials from a sender's control data (`__scm_send`).
fn parse_control(k: &Kernel, t: &Task, raw: &[u8]) -> KResult<(Vec<Rc<OpenFile>>, Option<Cred>)> {
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
                    let w =
                        |i: usize| u32::from_le_bytes(data[i * 4..i * 4 + 4].try_into().unwrap());
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
    let exists = c.pid == me.pid || k.tasks.values().any(|x| x.process.borrow().pid == c.pid);
    if !exists {
        return Err(Errno::ESRCH);
    }
    Ok(c)
}

/// A send's bytes: in the kernel already (`write`), or still in guest buffers.
enum Payload {
    Bytes(Vec<u8>),
    Guest(Vec<(u32, u32)>),
}

/// At most this much of a stream send is copied in per attempt.
const STREAM_WINDOW: usize = 1 << 20;

/// What a send carries.
struct Outgoing {
    payload: Payload,
    flags: u32,
    /// The destination's raw `sockaddr` (`sendto`, `msg_name`), if any.
    name: Option<Vec<u8>>,
    control: Vec<u8>,
}

impl Outgoing {
    fn len(&self) -> usize {
        match &self.payload {
            Payload::Bytes(b) => b.len(),
            Payload::Guest(iov) => iov.iter().map(|v| v.1 as usize).sum(),
        }
    }

    /// Up to `max` bytes from offset `from`.
    fn read(&self, k: &mut Kernel, t: &Task, from: usize, max: usize) -> KResult<Vec<u8>> {
        match &self.payload {
            Payload::Bytes(b) => {
                let from = from.min(b.len());
                Ok(b[from..(from + max).min(b.len())].to_vec())
            }
            Payload::Guest(iov) => {
                let mut out = Vec::new();
                let mut pos = 0usize;
                for &(base, len) in iov {
                    let len = len as usize;
                    let start = from.max(pos);
                    let end = (pos + len).min(from + max);
                    if start < end {
                        let at = base.wrapping_add((start - pos) as u32);
                        out.extend(mem(k, t, |m| m.read_vec(at, end - start))?);
                    }
                    pos += len;
                    if pos >= from + max {
                        break;
                    }
                }
                Ok(out)
            }
        }
    }
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
            let len = out.len();
            let window = match out.read(k, t, done, STREAM_WINDOW) {
                Ok(w) => w,
                Err(_) if done > 0 => return Ok(done as u32),
                Err(e) => return Err(e.into()),
            };
            let r = UnixSocket::send_stream(sock, &window, fds, cred);
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
            if total >= len || (nonblock && total > 0) {
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
            let sndbuf = sock.borrow().sndbuf as usize;
            if out.len() > sndbuf.saturating_sub(32) {
                return Err(Errno::EMSGSIZE.into());
            }
            let data = out.read(k, t, 0, out.len())?;
            match UnixSocket::send_dgram(sock, target, &data, fds, cred) {
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
        payload: Payload::Bytes(data.to_vec()),
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
        payload: Payload::Guest(iov),
        flags,
        name,
        control,
    })
}

pub fn sendto(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (file, sock) = sock_of(t, c.arg(0))?;
    let len = c.arg(2).min(i32::MAX as u32);
    let name = if c.arg(4) != 0 && c.arg(5) != 0 {
        Some(read_sockaddr(k, t, c.arg(4), c.arg(5))?)
    } else {
        None
    };
    let out = Outgoing {
        payload: Payload::Guest(vec![(c.arg(1), len)]),
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
                mem(k, t, |m| m.write_u32(at.wrapping_add(28), n))?;
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
pub fn file_read(
    k: &mut Kernel,
    t: &mut Task,
    file: &OpenFile,
    len: usize,
) -> Result<Vec<u8>, SysError> {
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
    (c, file, sock): (&Call, &OpenFile, &SockRef),
    iov: &[(u32, u32)],
    flags: u32,
    control_room: usize,
    done: usize,
) -> Result<RecvDone, SysError> {
    let total: usize = iov.iter().map(|v| v.1 as usize).sum();
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
    let done = recv_core(k, t, (c, &file, &sock), &iov, c.arg(3), 0, progress)?;
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
    (c, file, sock): (&Call, &OpenFile, &SockRef),
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
    let done = recv_core(k, t, (c, file, sock), &iov, flags, room, progress)?;
    if h.name != 0 {
        if let Some(name) = &done.name {
            let n = (h.namelen as usize).min(name.len());
            mem(k, t, |m| m.write(h.name, &name[..n]))?;
            mem(k, t, |m| m.write_u32(at.wrapping_add(4), name.len() as u32))?;
        }
    }
    if !done.control.is_empty() {
        mem(k, t, |m| m.write(h.control, &done.control))?;
    }
    mem(k, t, |m| {
        m.write_u32(at.wrapping_add(20), done.control.len() as u32)
    })?;
    mem(k, t, |m| m.write_u32(at.wrapping_add(24), done.msg_flags))?;
    Ok(done.value as u32)
}

pub fn recvmsg(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (file, sock) = sock_of(t, c.arg(0))?;
    let progress = progress(t);
    recvmsg_at(k, t, (c, &file, &sock), c.arg(1), c.arg(2), progress)
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
        match recvmsg_at(k, t, (c, &file, &sock), at, flags, 0) {
            Ok(n) => {
                mem(k, t, |m| m.write_u32(at.wrapping_add(28), n))?;
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
