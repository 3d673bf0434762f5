//! AF_UNIX sockets: the objects behind `FileKind::Socket`, their queues and state
//! machine, following `net/unix/af_unix.c`. The syscall side (guest structures, fd
//! tables, blocking) is `syscall::net`; this module never touches guest memory.
//!
//! A socket is an `Rc<RefCell<UnixSocket>>`. Its open file holds it through a
//! [`SocketFile`], whose drop is `close` (`unix_release_sock`). Peers point at each
//! other weakly; a listening socket holds its not yet accepted connections. Every
//! queued [`Message`] charges its sender's send-buffer counter until it is read, which
//! is what blocks a writer (as `sk_wmem_alloc` against `sk_sndbuf` does).
//!
//! Stream sockets keep message boundaries only where Linux does: a read stops after
//! a message that carried descriptors, and (with `SO_PASSCRED`) before a message from
//! another writer. Datagram and seqpacket sockets deliver one message per read.

pub mod addr;

use super::errno::{Errno, KResult};
use super::file::OpenFile;
use super::vfs::{FsRef, Loc};
use addr::UnixAddr;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::rc::{Rc, Weak};

pub const SOCK_STREAM: u32 = 1;
pub const SOCK_DGRAM: u32 = 2;
pub const SOCK_RAW: u32 = 3;
pub const SOCK_SEQPACKET: u32 = 5;

/// `sk_shutdown` bits.
pub const RCV_SHUTDOWN: u8 = 1;
pub const SEND_SHUTDOWN: u8 = 2;
pub const SHUTDOWN_MASK: u8 = 3;

/// `net.core.wmem_default` / `rmem_default`, and the `_max` they are clamped to.
pub const DEFAULT_BUF: u32 = 212_992;
pub const MAX_BUF: u32 = 212_992;
pub const MIN_SNDBUF: u32 = 4608;
pub const MIN_RCVBUF: u32 = 2304;
/// `net.unix.max_dgram_qlen`: the initial backlog of every socket.
pub const MAX_DGRAM_QLEN: usize = 10;
/// `net.core.somaxconn`.
pub const SOMAXCONN: u32 = 4096;
/// At most this many descriptors in one message (`SCM_MAX_FD`).
pub const SCM_MAX_FD: usize = 253;
/// What a queued message costs its sender beyond its bytes (an skb's overhead).
const MESSAGE_OVERHEAD: usize = 768;

/// Poll bits as `unix_poll` sets them.
pub const POLLIN: u16 = 0x1;
pub const POLLOUT: u16 = 0x4;
pub const POLLERR: u16 = 0x8;
pub const POLLHUP: u16 = 0x10;
pub const POLLRDNORM: u16 = 0x40;
pub const POLLWRNORM: u16 = 0x100;
pub const POLLWRBAND: u16 = 0x200;
pub const POLLRDHUP: u16 = 0x2000;

pub type SockRef = Rc<RefCell<UnixSocket>>;

/// Process credentials as sockets carry them (`struct ucred`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cred {
    pub pid: u32,
    pub uid: u32,
    pub gid: u32,
}

impl Cred {
    /// What `SO_PEERCRED` reports with no peer.
    pub const NONE: Cred = Cred {
        pid: 0,
        uid: u32::MAX,
        gid: u32::MAX,
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Not connected (`TCP_CLOSE`).
    Unconnected,
    Listening,
    /// Connected (`TCP_ESTABLISHED`); stays so after the peer goes.
    Connected,
}

/// One queued message (an skb): data, the sender's name, descriptors in flight and
/// the sender's credentials.
pub struct Message {
    pub data: Vec<u8>,
    /// Bytes of `data` already read (stream sockets read messages in parts).
    pub read: usize,
    pub from: Option<UnixAddr>,
    pub fds: Vec<Rc<OpenFile>>,
    pub cred: Cred,
    charge: Option<(Rc<Cell<usize>>, usize)>,
}

impl Message {
    pub fn new(data: Vec<u8>, from: Option<UnixAddr>, fds: Vec<Rc<OpenFile>>, cred: Cred) -> Self {
        Message {
            data,
            read: 0,
            from,
            fds,
            cred,
            charge: None,
        }
    }

    fn unread(&self) -> usize {
        self.data.len() - self.read
    }

    /// Counts this message against `wmem` until it is dropped.
    fn charge(&mut self, wmem: &Rc<Cell<usize>>) {
        let cost = self.data.len() + MESSAGE_OVERHEAD;
        wmem.set(wmem.get() + cost);
        self.charge = Some((wmem.clone(), cost));
    }
}

impl Drop for Message {
    fn drop(&mut self) {
        if let Some((wmem, cost)) = self.charge.take() {
            wmem.set(wmem.get().saturating_sub(cost));
        }
    }
}

/// Why a socket operation did not complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockErr {
    Errno(Errno),
    /// Nothing possible now: the caller waits (or gets `EAGAIN`).
    WouldBlock,
    /// `EPIPE`, with `SIGPIPE` unless `MSG_NOSIGNAL`.
    Broken,
}

impl From<Errno> for SockErr {
    fn from(e: Errno) -> SockErr {
        SockErr::Errno(e)
    }
}

pub type SockResult<T> = Result<T, SockErr>;

/// What one receive took.
#[derive(Default)]
pub struct Received {
    pub data: Vec<u8>,
    /// The whole message's length (datagrams; `MSG_TRUNC` reports it).
    pub full_len: usize,
    pub truncated: bool,
    pub from: Option<UnixAddr>,
    pub fds: Vec<Rc<OpenFile>>,
    /// The sender's credentials, when the receiver asked for them (`SO_PASSCRED`).
    pub cred: Option<Cred>,
}

/// An AF_UNIX socket.
pub struct UnixSocket {
    /// `SOCK_STREAM`, `SOCK_DGRAM` or `SOCK_SEQPACKET`.
    pub ty: u32,
    /// The sockfs inode number (`fstat`, `/proc/self/fd`).
    pub ino: u64,
    pub state: State,
    pub addr: Option<UnixAddr>,
    /// The socket inode a filesystem name created, held while bound.
    pub inode: Option<(FsRef, Loc)>,
    /// The peer (held after it closes, as Linux keeps it for `getpeername`; let go
    /// at our own close or a datagram reconnect).
    pub peer: Option<SockRef>,
    /// Received messages.
    pub queue: VecDeque<Message>,
    /// Connections waiting for `accept` (listening sockets).
    pub pending: VecDeque<SockRef>,
    /// `sk_max_ack_backlog`: the listen backlog, or the datagram queue limit.
    pub backlog: usize,
    pub shutdown: u8,
    /// `sk_err`: reported once by the next receive or `SO_ERROR`.
    pub error: Option<Errno>,
    pub passcred: bool,
    pub sndbuf: u32,
    pub rcvbuf: u32,
    /// `SO_RCVTIMEO`/`SO_SNDTIMEO` in nanoseconds (0: none).
    pub rcvtimeo: u64,
    pub sndtimeo: u64,
    /// `SO_PEERCRED`: the peer's at connect time (a listener's own, from `listen`).
    pub peercred: Option<Cred>,
    /// Bytes (with overhead) this socket has queued at receivers and not yet read.
    pub wmem: Rc<Cell<usize>>,
    /// Released (its last file closed).
    pub dead: bool,
    /// Options that are stored and read back but change nothing here.
    pub options: BTreeMap<u32, Vec<u8>>,
}

impl UnixSocket {
    pub fn new(ty: u32, ino: u64) -> SockRef {
        Rc::new(RefCell::new(UnixSocket {
            ty,
            ino,
            state: State::Unconnected,
            addr: None,
            inode: None,
            peer: None,
            queue: VecDeque::new(),
            pending: VecDeque::new(),
            backlog: MAX_DGRAM_QLEN,
            shutdown: 0,
            error: None,
            passcred: false,
            sndbuf: DEFAULT_BUF,
            rcvbuf: DEFAULT_BUF,
            rcvtimeo: 0,
            sndtimeo: 0,
            peercred: None,
            wmem: Rc::new(Cell::new(0)),
            dead: false,
            options: BTreeMap::new(),
        }))
    }

    /// Two sockets connected to each other (`socketpair`), both with `cred` as peer.
    pub fn pair(ty: u32, inos: (u64, u64), cred: Cred) -> (SockRef, SockRef) {
        let a = UnixSocket::new(ty, inos.0);
        let b = UnixSocket::new(ty, inos.1);
        for (x, y) in [(&a, &b), (&b, &a)] {
            let mut s = x.borrow_mut();
            s.peer = Some(y.clone());
            s.state = State::Connected;
            s.peercred = Some(cred);
        }
        (a, b)
    }

    pub fn connection_based(&self) -> bool {
        self.ty != SOCK_DGRAM
    }

    pub fn peer(&self) -> Option<SockRef> {
        self.peer.clone()
    }

    fn is_peer_of(&self, me: &SockRef) -> bool {
        self.peer.as_ref().is_some_and(|p| Rc::ptr_eq(p, me))
    }

    /// `unix_recvq_full`: more queued than the backlog allows.
    fn queue_full(&self) -> bool {
        let len = if self.state == State::Listening {
            self.pending.len()
        } else {
            self.queue.len()
        };
        len > self.backlog
    }

    /// `unix_writable`: little enough of our data is still unread.
    fn writable(&self) -> bool {
        self.state != State::Listening && self.wmem.get().saturating_mul(4) <= self.sndbuf as usize
    }

    /// Bytes a read could take now (`FIONREAD`): all of a stream's, the first datagram's.
    pub fn readable_bytes(&self) -> usize {
        if self.ty == SOCK_DGRAM {
            self.queue.front().map_or(0, |m| m.data.len())
        } else {
            self.queue.iter().map(Message::unread).sum()
        }
    }

    /// Takes the pending error (`sock_error`).
    pub fn take_error(&mut self) -> Option<Errno> {
        self.error.take()
    }

    /// The readiness mask (`unix_poll`, `unix_dgram_poll`).
    pub fn poll(this: &SockRef) -> u16 {
        let s = this.borrow();
        let mut mask = 0;
        if s.error.is_some() {
            mask |= POLLERR;
        }
        if s.shutdown == SHUTDOWN_MASK {
            mask |= POLLHUP;
        }
        if s.shutdown & RCV_SHUTDOWN != 0 {
            mask |= POLLRDHUP | POLLIN | POLLRDNORM;
        }
        if !s.queue.is_empty() || (s.state == State::Listening && !s.pending.is_empty()) {
            mask |= POLLIN | POLLRDNORM;
        }
        if s.connection_based() && s.state == State::Unconnected {
            mask |= POLLHUP;
        }
        let mut writable = s.writable();
        if writable && s.ty != SOCK_STREAM {
            if let Some(peer) = s.peer() {
                if !Rc::ptr_eq(&peer, this) {
                    let p = peer.borrow();
                    if !p.is_peer_of(this) && p.queue_full() {
                        writable = false;
                    }
                }
            }
        }
        if writable {
            mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
        }
        mask
    }

    /// `listen`: requires a name; may be repeated to change the backlog.
    pub fn listen(&mut self, backlog: u32, cred: Cred) -> KResult<()> {
        if self.ty != SOCK_STREAM && self.ty != SOCK_SEQPACKET {
            return Err(Errno::EOPNOTSUPP);
        }
        if self.addr.is_none() {
            return Err(Errno::EINVAL);
        }
        if self.state == State::Connected {
            return Err(Errno::EINVAL);
        }
        self.backlog = backlog.min(SOMAXCONN) as usize;
        self.state = State::Listening;
        self.peercred = Some(cred);
        Ok(())
    }

    /// `connect` of a stream or seqpacket socket to `listener`: a new socket for the
    /// server side joins the listener's queue (`unix_stream_connect`).
    pub fn connect_stream(
        this: &SockRef,
        listener: &SockRef,
        cred: Cred,
        new_ino: u64,
    ) -> SockResult<()> {
        {
            let l = listener.borrow();
            if l.state != State::Listening || l.shutdown & RCV_SHUTDOWN != 0 || l.dead {
                return Err(Errno::ECONNREFUSED.into());
            }
            if l.queue_full() {
                return Err(SockErr::WouldBlock);
            }
        }
        match this.borrow().state {
            State::Unconnected => {}
            State::Connected => return Err(Errno::EISCONN.into()),
            State::Listening => return Err(Errno::EINVAL.into()),
        }
        let server = UnixSocket::new(this.borrow().ty, new_ino);
        let mut l = listener.borrow_mut();
        {
            let mut s = server.borrow_mut();
            s.state = State::Connected;
            s.peer = Some(this.clone());
            s.peercred = Some(cred);
            s.addr = l.addr.clone();
        }
        let mut me = this.borrow_mut();
        me.state = State::Connected;
        me.peer = Some(server.clone());
        me.peercred = l.peercred;
        l.pending.push_back(server);
        Ok(())
    }

    /// `accept`: the oldest waiting connection.
    pub fn accept(&mut self) -> SockResult<SockRef> {
        if self.ty != SOCK_STREAM && self.ty != SOCK_SEQPACKET {
            return Err(Errno::EOPNOTSUPP.into());
        }
        if self.state != State::Listening {
            return Err(Errno::EINVAL.into());
        }
        match self.pending.pop_front() {
            Some(s) => Ok(s),
            None if self.shutdown & RCV_SHUTDOWN != 0 => Err(Errno::EINVAL.into()),
            None => Err(SockErr::WouldBlock),
        }
    }

    /// `connect` of a datagram socket: sets (or with `None`, clears) the default
    /// destination (`unix_dgram_connect`).
    pub fn connect_dgram(this: &SockRef, other: Option<&SockRef>) -> SockResult<()> {
        if let Some(o) = other {
            if !Rc::ptr_eq(o, this) {
                let ob = o.borrow();
                if ob.peer.is_some() && !ob.is_peer_of(this) {
                    return Err(Errno::EPERM.into());
                }
            }
        }
        let mut me = this.borrow_mut();
        let old = me.peer.take();
        me.peer = other.cloned();
        me.state = if other.is_some() {
            State::Connected
        } else {
            State::Unconnected
        };
        let changed = match (&old, other) {
            (Some(a), Some(b)) => !Rc::ptr_eq(a, b),
            (Some(_), None) => true,
            _ => false,
        };
        // unix_dgram_disconnected: what came from anyone is dropped.
        let purged = if changed {
            std::mem::take(&mut me.queue)
        } else {
            VecDeque::new()
        };
        drop(me);
        drop(purged);
        drop(old);
        Ok(())
    }

    /// Sends stream data: as much of `data` as the send buffer takes now, in
    /// messages of at most half of it; `fds` go with the first (`unix_stream_sendmsg`).
    /// The caller checked the state (`ENOTCONN`).
    pub fn send_stream(
        this: &SockRef,
        data: &[u8],
        fds: Vec<Rc<OpenFile>>,
        cred: Cred,
    ) -> SockResult<usize> {
        let me = this.borrow();
        let peer = me.peer.clone().ok_or(Errno::ENOTCONN)?;
        if me.shutdown & SEND_SHUTDOWN != 0 {
            return Err(SockErr::Broken);
        }
        if peer.borrow().dead || peer.borrow().shutdown & RCV_SHUTDOWN != 0 {
            return Err(SockErr::Broken);
        }
        let sndbuf = me.sndbuf as usize;
        let max_chunk = (sndbuf / 2).saturating_sub(64).clamp(1, 64 * 1024);
        let mut sent = 0;
        let mut fds = Some(fds);
        let mut p = peer.borrow_mut();
        while sent < data.len() {
            if me.wmem.get() >= sndbuf {
                break;
            }
            let n = (data.len() - sent).min(max_chunk);
            let mut m = Message::new(
                data[sent..sent + n].to_vec(),
                me.addr.clone(),
                fds.take().unwrap_or_default(),
                cred,
            );
            m.charge(&me.wmem);
            p.queue.push_back(m);
            sent += n;
        }
        if sent == 0 && !data.is_empty() {
            return Err(SockErr::WouldBlock);
        }
        Ok(sent)
    }

    /// Sends one datagram (or seqpacket record) to `target`, the peer when `None`
    /// (`unix_dgram_sendmsg`). `Err(ECONNREFUSED)` after a dead peer also disconnects.
    pub fn send_dgram(
        this: &SockRef,
        target: Option<SockRef>,
        data: &[u8],
        fds: Vec<Rc<OpenFile>>,
        cred: Cred,
    ) -> SockResult<usize> {
        let seqpacket = this.borrow().ty == SOCK_SEQPACKET;
        let (sndbuf, wmem, from) = {
            let me = this.borrow();
            (me.sndbuf as usize, me.wmem.clone(), me.addr.clone())
        };
        let explicit = target.is_some();
        let other = match target {
            Some(t) => t,
            None => {
                let peer = this.borrow().peer.clone();
                peer.ok_or(Errno::ENOTCONN)?
            }
        };
        if data.len() > sndbuf.saturating_sub(32) {
            return Err(Errno::EMSGSIZE.into());
        }
        if wmem.get() >= sndbuf {
            return Err(SockErr::WouldBlock);
        }
        let self_send = Rc::ptr_eq(&other, this);
        if !self_send {
            let o = other.borrow();
            if o.peer.is_some() && !o.is_peer_of(this) {
                return Err(Errno::EPERM.into());
            }
            if o.dead {
                drop(o);
                return Err(if explicit {
                    Errno::ECONNREFUSED.into()
                } else {
                    Self::dead_peer(this, seqpacket)
                });
            }
        }
        let mut o = other.borrow_mut();
        if o.shutdown & RCV_SHUTDOWN != 0 {
            return Err(Errno::EPIPE.into());
        }
        if !self_send && !o.is_peer_of(this) && o.queue_full() {
            return Err(SockErr::WouldBlock);
        }
        let mut m = Message::new(data.to_vec(), from, fds, cred);
        m.charge(&wmem);
        o.queue.push_back(m);
        Ok(data.len())
    }

    /// The error for a send to a peer that is gone: seqpacket `EPIPE`; a datagram
    /// socket forgets the peer and reports `ECONNREFUSED` once.
    fn dead_peer(this: &SockRef, seqpacket: bool) -> SockErr {
        if seqpacket {
            return Errno::EPIPE.into();
        }
        let mut me = this.borrow_mut();
        let old = me.peer.take();
        me.state = State::Unconnected;
        drop(me);
        drop(old);
        Errno::ECONNREFUSED.into()
    }

    /// Reads up to `len` bytes of a stream (`unix_stream_read_generic`). Stops after
    /// a message with descriptors, and before one from another writer when
    /// credentials are passed. `Ok` with no data is end of file.
    pub fn recv_stream(&mut self, len: usize, peek: bool) -> SockResult<Received> {
        if self.state != State::Connected {
            return Err(Errno::EINVAL.into());
        }
        let mut out = Received::default();
        let mut i = 0;
        while out.data.len() < len {
            let Some(m) = self.queue.get_mut(i) else {
                break;
            };
            if self.passcred {
                match out.cred {
                    Some(c) if c != m.cred => break,
                    Some(_) => {}
                    None => out.cred = Some(m.cred),
                }
            }
            if out.from.is_none() {
                out.from = m.from.clone();
            }
            let n = m.unread().min(len - out.data.len());
            out.data.extend_from_slice(&m.data[m.read..m.read + n]);
            let has_fds = !m.fds.is_empty();
            if peek {
                if has_fds {
                    out.fds = m.fds.clone();
                    break;
                }
                i += 1;
                continue;
            }
            m.read += n;
            if has_fds {
                out.fds = std::mem::take(&mut m.fds);
            }
            if m.unread() > 0 {
                break;
            }
            self.queue.pop_front();
            if has_fds {
                break;
            }
        }
        if out.data.is_empty() && len > 0 {
            if let Some(e) = self.take_error() {
                return Err(e.into());
            }
            if self.shutdown & RCV_SHUTDOWN == 0 {
                return Err(SockErr::WouldBlock);
            }
        }
        out.full_len = out.data.len();
        Ok(out)
    }

    /// Takes (or with `peek` copies) the first datagram or record, cut to `len`
    /// (`unix_dgram_recvmsg`). `Ok` with nothing is end of file.
    pub fn recv_dgram(&mut self, len: usize, peek: bool) -> SockResult<Received> {
        if self.ty == SOCK_SEQPACKET && self.state != State::Connected {
            return Err(Errno::ENOTCONN.into());
        }
        let Some(m) = self.queue.front_mut() else {
            if let Some(e) = self.take_error() {
                return Err(e.into());
            }
            if self.shutdown & RCV_SHUTDOWN != 0 {
                return Ok(Received::default());
            }
            return Err(SockErr::WouldBlock);
        };
        let n = m.data.len().min(len);
        let mut out = Received {
            data: m.data[..n].to_vec(),
            full_len: m.data.len(),
            truncated: n < m.data.len(),
            from: m.from.clone(),
            fds: Vec::new(),
            cred: self.passcred.then_some(m.cred),
        };
        if peek {
            out.fds = m.fds.clone();
        } else {
            out.fds = std::mem::take(&mut m.fds);
            self.queue.pop_front();
        }
        Ok(out)
    }

    /// `shutdown`: `how` is `SHUT_RD` (0), `SHUT_WR` (1) or `SHUT_RDWR` (2); a
    /// connected stream or seqpacket peer sees the mirror image.
    pub fn shutdown(this: &SockRef, how: u32) -> KResult<()> {
        if how > 2 {
            return Err(Errno::EINVAL);
        }
        let mode = (how + 1) as u8;
        let (peer, connection) = {
            let mut me = this.borrow_mut();
            me.shutdown |= mode;
            (me.peer(), me.connection_based())
        };
        if let (Some(peer), true) = (peer, connection) {
            let mut peer_mode = 0;
            if mode & RCV_SHUTDOWN != 0 {
                peer_mode |= SEND_SHUTDOWN;
            }
            if mode & SEND_SHUTDOWN != 0 {
                peer_mode |= RCV_SHUTDOWN;
            }
            peer.borrow_mut().shutdown |= peer_mode;
        }
        Ok(())
    }

    /// The last close (`unix_release_sock`): a connected peer sees both directions
    /// shut (and `ECONNRESET` if we leave data unread); connections never accepted
    /// are released the same way. The socket inode of a name is let go.
    pub fn release(this: &SockRef) {
        Self::release_with(this, false);
    }

    /// `release` of a connection never accepted (`embrion`): its client is reset.
    fn release_with(this: &SockRef, embryo: bool) {
        let (peer, queue, pending, inode, unread, connection) = {
            let mut s = this.borrow_mut();
            s.dead = true;
            s.shutdown = SHUTDOWN_MASK;
            s.state = State::Unconnected;
            let unread = !s.queue.is_empty() || embryo;
            (
                s.peer.take(),
                std::mem::take(&mut s.queue),
                std::mem::take(&mut s.pending),
                s.inode.take(),
                unread,
                s.connection_based(),
            )
        };
        if let Some(peer) = peer {
            if connection && !Rc::ptr_eq(&peer, this) {
                let mut p = peer.borrow_mut();
                p.shutdown = SHUTDOWN_MASK;
                if unread {
                    p.error = Some(Errno::ECONNRESET);
                }
            }
        }
        for embryo in &pending {
            UnixSocket::release_with(embryo, true);
        }
        if let Some((fs, loc)) = inode {
            if let Ok(mut fs) = fs.try_borrow_mut() {
                fs.release(loc.ino);
            }
        }
        drop(queue);
        drop(pending);
    }
}

/// The open file's hold on a socket: dropping the last one closes it.
pub struct SocketFile {
    pub sock: SockRef,
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        UnixSocket::release(&self.sock);
    }
}

/// Who is bound where: filesystem names by socket inode, abstract names by bytes.
/// Entries of released sockets are ignored and replaced.
#[derive(Default)]
pub struct Registry {
    paths: BTreeMap<Loc, Weak<RefCell<UnixSocket>>>,
    abstract_names: BTreeMap<Vec<u8>, Weak<RefCell<UnixSocket>>>,
    next_ino: u64,
    next_auto: u32,
}

fn live(w: Option<&Weak<RefCell<UnixSocket>>>) -> Option<SockRef> {
    w.and_then(Weak::upgrade).filter(|s| !s.borrow().dead)
}

impl Registry {
    /// A new sockfs inode number.
    pub fn ino(&mut self) -> u64 {
        self.next_ino += 1;
        0x1000 + self.next_ino
    }

    pub fn by_path(&self, loc: Loc) -> Option<SockRef> {
        live(self.paths.get(&loc))
    }

    pub fn by_abstract(&self, name: &[u8]) -> Option<SockRef> {
        live(self.abstract_names.get(name))
    }

    pub fn bind_path(&mut self, loc: Loc, sock: &SockRef) {
        self.paths.retain(|_, w| live(Some(w)).is_some());
        self.paths.insert(loc, Rc::downgrade(sock));
    }

    /// Binds an abstract name; `EADDRINUSE` if a live socket has it.
    pub fn bind_abstract(&mut self, name: &[u8], sock: &SockRef) -> KResult<()> {
        if self.by_abstract(name).is_some() {
            return Err(Errno::EADDRINUSE);
        }
        self.abstract_names.retain(|_, w| live(Some(w)).is_some());
        self.abstract_names
            .insert(name.to_vec(), Rc::downgrade(sock));
        Ok(())
    }

    /// `unix_autobind`: a free abstract name of five hex digits.
    pub fn autobind(&mut self, sock: &SockRef) -> KResult<UnixAddr> {
        for _ in 0..0x100000 {
            self.next_auto = (self.next_auto + 1) & 0xfffff;
            let name = format!("{:05x}", self.next_auto).into_bytes();
            if self.bind_abstract(&name, sock).is_ok() {
                return Ok(UnixAddr::Abstract(name));
            }
        }
        Err(Errno::ENOSPC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: Cred = Cred {
        pid: 7,
        uid: 0,
        gid: 0,
    };

    fn drain(s: &SockRef, len: usize) -> Vec<u8> {
        s.borrow_mut().recv_stream(len, false).unwrap().data
    }

    #[test]
    fn stream_glues_writes_and_blocks_when_the_send_buffer_is_full() {
        let (a, b) = UnixSocket::pair(SOCK_STREAM, (1, 2), ME);
        assert_eq!(UnixSocket::send_stream(&a, b"ab", vec![], ME), Ok(2));
        assert_eq!(UnixSocket::send_stream(&a, b"cd", vec![], ME), Ok(2));
        assert_eq!(
            b.borrow_mut().recv_stream(3, true).unwrap().data,
            b"abc".to_vec()
        );
        assert_eq!(drain(&b, 3), b"abc");
        assert_eq!(drain(&b, 10), b"d");
        assert_eq!(
            b.borrow_mut().recv_stream(10, false).err(),
            Some(SockErr::WouldBlock)
        );
        let big = vec![7u8; 1 << 20];
        let sent = UnixSocket::send_stream(&a, &big, vec![], ME).unwrap();
        assert!(sent >= DEFAULT_BUF as usize / 2 && sent < big.len());
        assert_eq!(
            UnixSocket::send_stream(&a, &big, vec![], ME),
            Err(SockErr::WouldBlock)
        );
        assert_eq!(UnixSocket::poll(&a) & POLLOUT, 0);
        // Reading gives the room back.
        while b.borrow().readable_bytes() > 0 {
            drain(&b, 65536);
        }
        assert_eq!(a.borrow().wmem.get(), 0);
        assert_ne!(UnixSocket::poll(&a) & POLLOUT, 0);
    }

    #[test]
    fn close_shuts_the_peer_and_resets_it_if_data_was_unread() {
        let (a, b) = UnixSocket::pair(SOCK_STREAM, (1, 2), ME);
        UnixSocket::send_stream(&a, b"unread", vec![], ME).unwrap();
        UnixSocket::release(&b);
        assert_eq!(
            a.borrow_mut().recv_stream(8, false).err(),
            Some(SockErr::Errno(Errno::ECONNRESET))
        );
        assert_eq!(a.borrow_mut().recv_stream(8, false).unwrap().data.len(), 0);
        assert_eq!(
            UnixSocket::send_stream(&a, b"x", vec![], ME),
            Err(SockErr::Broken)
        );
        let mask = UnixSocket::poll(&a);
        assert_eq!(
            mask & (POLLHUP | POLLRDHUP | POLLIN | POLLOUT),
            POLLHUP | POLLRDHUP | POLLIN | POLLOUT
        );
    }

    #[test]
    fn datagrams_keep_boundaries_and_truncate() {
        let (a, b) = UnixSocket::pair(SOCK_DGRAM, (1, 2), ME);
        UnixSocket::send_dgram(&a, None, b"first", vec![], ME).unwrap();
        UnixSocket::send_dgram(&a, None, b"second", vec![], ME).unwrap();
        let r = b.borrow_mut().recv_dgram(3, false).unwrap();
        assert_eq!(
            (r.data.as_slice(), r.full_len, r.truncated),
            (&b"fir"[..], 5, true)
        );
        assert_eq!(
            b.borrow_mut().recv_dgram(64, false).unwrap().data,
            b"second"
        );
        UnixSocket::release(&b);
        assert_eq!(
            UnixSocket::send_dgram(&a, None, b"x", vec![], ME),
            Err(SockErr::Errno(Errno::ECONNREFUSED))
        );
        assert_eq!(
            UnixSocket::send_dgram(&a, None, b"x", vec![], ME),
            Err(SockErr::Errno(Errno::ENOTCONN))
        );
    }

    #[test]
    fn a_named_receiver_queues_eleven_datagrams_from_strangers() {
        let server = UnixSocket::new(SOCK_DGRAM, 1);
        let client = UnixSocket::new(SOCK_DGRAM, 2);
        let mut n = 0;
        while UnixSocket::send_dgram(&client, Some(server.clone()), b"q", vec![], ME).is_ok() {
            n += 1;
        }
        assert_eq!(n, MAX_DGRAM_QLEN + 1);
    }

    #[test]
    fn listen_connect_accept() {
        let l = UnixSocket::new(SOCK_STREAM, 1);
        l.borrow_mut().addr = Some(UnixAddr::Abstract(b"x".to_vec()));
        l.borrow_mut().listen(1, ME).unwrap();
        let c1 = UnixSocket::new(SOCK_STREAM, 2);
        let c2 = UnixSocket::new(SOCK_STREAM, 3);
        let c3 = UnixSocket::new(SOCK_STREAM, 4);
        UnixSocket::connect_stream(&c1, &l, ME, 5).unwrap();
        UnixSocket::connect_stream(&c2, &l, ME, 6).unwrap();
        assert_eq!(
            UnixSocket::connect_stream(&c3, &l, ME, 7),
            Err(SockErr::WouldBlock)
        );
        assert_eq!(
            UnixSocket::connect_stream(&c1, &l, ME, 8),
            Err(SockErr::WouldBlock)
        );
        assert_ne!(UnixSocket::poll(&l) & POLLIN, 0);
        let s1 = l.borrow_mut().accept().unwrap();
        UnixSocket::send_stream(&c1, b"hi", vec![], ME).unwrap();
        assert_eq!(drain(&s1, 8), b"hi");
        assert_eq!(s1.borrow().addr, Some(UnixAddr::Abstract(b"x".to_vec())));
        // Closing the listener resets the connection nobody accepted.
        UnixSocket::release(&l);
        assert_eq!(
            c2.borrow_mut().recv_stream(8, false).err(),
            Some(SockErr::Errno(Errno::ECONNRESET))
        );
    }

    #[test]
    fn shutdown_mirrors_on_the_peer() {
        let (a, b) = UnixSocket::pair(SOCK_STREAM, (1, 2), ME);
        UnixSocket::shutdown(&a, 1).unwrap();
        assert_eq!(b.borrow().shutdown, RCV_SHUTDOWN);
        assert_eq!(b.borrow_mut().recv_stream(4, false).unwrap().data.len(), 0);
        assert_eq!(
            UnixSocket::send_stream(&a, b"x", vec![], ME),
            Err(SockErr::Broken)
        );
        assert_eq!(UnixSocket::send_stream(&b, b"x", vec![], ME), Ok(1));
        assert_eq!(UnixSocket::shutdown(&a, 3), Err(Errno::EINVAL));
    }

    /// Random operations on sockets whose files travel inside each other's queues:
    /// no double borrow, no panic, and every send-buffer charge comes back once all
    /// is closed.
    #[test]
    fn random_operations_never_panic_and_release_every_charge() {
        use crate::kernel::file::{FileKind, OpenFile, O_RDWR};
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let open = |s: &SockRef| {
            OpenFile::new(
                FileKind::Socket(SocketFile { sock: s.clone() }),
                None,
                Vec::new(),
                O_RDWR,
            )
        };
        let sock = |f: &Rc<OpenFile>| match &f.kind {
            FileKind::Socket(s) => s.sock.clone(),
            _ => unreachable!(),
        };
        let mut files: Vec<Rc<OpenFile>> = Vec::new();
        let mut counters = Vec::new();
        let mut ino = 0;
        for _ in 0..20_000 {
            let ty = [SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET][next(3)];
            let pick =
                |files: &Vec<Rc<OpenFile>>, i: usize| files.get(i % files.len().max(1)).cloned();
            match next(10) {
                0 if files.len() < 40 => {
                    ino += 2;
                    let (a, b) = UnixSocket::pair(ty, (ino, ino + 1), ME);
                    counters.push(a.borrow().wmem.clone());
                    counters.push(b.borrow().wmem.clone());
                    files.push(open(&a));
                    files.push(open(&b));
                }
                1 if files.len() < 40 => {
                    ino += 1;
                    let s = UnixSocket::new(ty, ino);
                    s.borrow_mut().addr = Some(UnixAddr::Abstract(ino.to_le_bytes().to_vec()));
                    counters.push(s.borrow().wmem.clone());
                    files.push(open(&s));
                }
                2 => {
                    if let Some(f) = pick(&files, next(64)) {
                        let s = sock(&f);
                        let fds: Vec<_> = (0..next(3))
                            .filter_map(|_| pick(&files, next(64)))
                            .collect();
                        let data = vec![1u8; next(5000)];
                        let _ = if s.borrow().ty == SOCK_STREAM {
                            UnixSocket::send_stream(&s, &data, fds, ME)
                        } else {
                            let target = pick(&files, next(64)).map(|t| sock(&t));
                            let target = target.filter(|_| next(2) == 0);
                            UnixSocket::send_dgram(&s, target, &data, fds, ME)
                        };
                    }
                }
                3 => {
                    if let Some(f) = pick(&files, next(64)) {
                        let s = sock(&f);
                        let peek = next(3) == 0;
                        let r = if s.borrow().ty == SOCK_STREAM {
                            s.borrow_mut().recv_stream(next(9000), peek)
                        } else {
                            s.borrow_mut().recv_dgram(next(9000), peek)
                        };
                        // Received descriptors sometimes stay open a while.
                        if let Ok(r) = r {
                            for fd in r.fds {
                                if next(2) == 0 && files.len() < 60 {
                                    files.push(fd);
                                }
                            }
                        }
                    }
                }
                4 if !files.is_empty() => {
                    files.swap_remove(next(files.len()));
                }
                5 => {
                    if let Some(f) = pick(&files, next(64)) {
                        let _ = UnixSocket::shutdown(&sock(&f), next(4) as u32);
                    }
                }
                6 => {
                    if let Some(f) = pick(&files, next(64)) {
                        let _ = sock(&f).borrow_mut().listen(next(3) as u32, ME);
                    }
                }
                7 => {
                    if let (Some(a), Some(b)) = (pick(&files, next(64)), pick(&files, next(64))) {
                        let (a, b) = (sock(&a), sock(&b));
                        ino += 1;
                        if a.borrow().ty == SOCK_DGRAM {
                            let other = (next(3) > 0).then_some(&b);
                            let _ = UnixSocket::connect_dgram(&a, other);
                        } else if a.borrow().ty == b.borrow().ty {
                            let _ = UnixSocket::connect_stream(&a, &b, ME, ino);
                        }
                    }
                }
                8 => {
                    if let Some(f) = pick(&files, next(64)) {
                        let r = sock(&f).borrow_mut().accept();
                        if let Ok(s) = r {
                            counters.push(s.borrow().wmem.clone());
                            files.push(open(&s));
                        }
                    }
                }
                _ => {
                    for f in &files {
                        UnixSocket::poll(&sock(f));
                    }
                }
            }
        }
        files.clear();
        // Whatever is still queued sits in a cycle of sockets that hold each other's
        // files (as on Linux, where the garbage collector would find it); the rest of
        // the charges came back.
        let leaked = counters.iter().filter(|c| c.get() > 0).count();
        assert!(
            leaked < counters.len(),
            "{leaked} of {} counters charged",
            counters.len()
        );
    }
}
