//! Pseudo-terminals for guest programs: `/dev/ptmx` opens a new `tty::PtyPair`'s
//! master and adds `/dev/pts/N` (a device node in devfs); opening that opens the slave.
//! Reads, writes, ioctls and poll go to the pair with the caller's facts; events go
//! through the same path as the console's.

use super::console::caller;
use super::errno::Errno;
use super::syscall::{mem, SysError, SysResult};
use super::task::Task;
use super::tty::{self, End, PtyPair, ReadState, ReadStatus, WriteStatus};
use super::vfs::S_IFCHR;
use super::Kernel;
use std::cell::RefCell;
use std::rc::{Rc, Weak};

/// Major number of `/dev/pts/N`.
pub const PTS_MAJOR: u32 = 136;

/// One open end of a pair; closing the last open file of an end closes it.
pub struct PtyEnd {
    pub pair: Rc<RefCell<PtyPair>>,
    pub end: End,
}

impl Drop for PtyEnd {
    fn drop(&mut self) {
        if let Ok(mut p) = self.pair.try_borrow_mut() {
            match self.end {
                End::Master => p.close_master(),
                End::Slave => p.close_slave(),
            }
        }
    }
}

fn tty_err(e: tty::TtyError) -> SysError {
    SysError::Errno(Errno(e.errno()))
}

impl Kernel {
    /// `open("/dev/ptmx")`: a new pair and its `/dev/pts/N` node.
    pub(crate) fn open_ptmx(&mut self, owner: u32) -> Result<PtyEnd, Errno> {
        self.ptys.retain(|_, p| p.strong_count() > 0);
        let index = (0..4096u32)
            .find(|i| !self.ptys.contains_key(i))
            .ok_or(Errno::ENOSPC)?;
        let pair = Rc::new(RefCell::new(PtyPair::new(index)));
        self.ptys.insert(index, Rc::downgrade(&pair));
        if let Some(pts) = self.vfs.lookup_in_mount("/dev", b"pts") {
            if let Some(fs) = self.vfs.disk(pts.mount) {
                let mut fs = fs.borrow_mut();
                let name = index.to_string();
                let _ = fs.unlink(pts.ino, name.as_bytes());
                let _ = fs.create(
                    pts.ino,
                    name.as_bytes(),
                    S_IFCHR | 0o620,
                    (PTS_MAJOR, index),
                    (owner, 5),
                );
            }
        }
        Ok(PtyEnd {
            pair,
            end: End::Master,
        })
    }

    /// Applies what pairs did on their own. Closing an end happens in `PtyEnd::drop`,
    /// which cannot reach the kernel, so the hang-up that closing the master causes
    /// (SIGHUP and SIGCONT to the slave's session leader, the session losing its
    /// controlling terminal) is collected here, at the start of each scheduling pass.
    pub(crate) fn collect_pty_events(&mut self) {
        let pairs: Vec<_> = self.ptys.values().filter_map(Weak::upgrade).collect();
        for pair in pairs {
            let events = match pair.try_borrow_mut() {
                Ok(mut p) => p.take_events(),
                Err(_) => continue,
            };
            if !events.is_empty() {
                self.apply_events(events, None);
            }
        }
    }

    /// `open("/dev/pts/N")`.
    pub(crate) fn open_pts(
        &mut self,
        t: &mut Task,
        index: u32,
        noctty: bool,
    ) -> Result<PtyEnd, Errno> {
        let pair = self
            .ptys
            .get(&index)
            .and_then(Weak::upgrade)
            .ok_or(Errno::EIO)?;
        let c = caller(t, true);
        let r = pair.borrow_mut().open_slave(&c, noctty);
        let events = pair.borrow_mut().take_events();
        self.apply_events(events, Some(t));
        r.map_err(|e| Errno(e.errno()))?;
        Ok(PtyEnd {
            pair,
            end: End::Slave,
        })
    }

    pub(crate) fn pty_read(
        &mut self,
        t: &mut Task,
        p: &PtyEnd,
        len: usize,
        nonblock: bool,
    ) -> Result<Vec<u8>, SysError> {
        let mut buf = vec![0u8; len.min(4096)];
        let now = tty::Nanos(self.platform.clock.monotonic_ns());
        let key = (t.tid, Rc::as_ptr(&p.pair) as usize);
        let r = match p.end {
            End::Master => p.pair.borrow_mut().master_read(&mut buf, nonblock),
            End::Slave => {
                let c = caller(t, true);
                let state = self
                    .pty_reads
                    .entry(key)
                    .or_insert_with(|| ReadState::new(now));
                p.pair
                    .borrow_mut()
                    .slave_read(&c, &mut buf, now, state, nonblock)
            }
        };
        let events = p.pair.borrow_mut().take_events();
        self.apply_events(events, Some(t));
        let result = match r {
            Ok(ReadStatus::Done(n)) => {
                buf.truncate(n);
                Ok(buf)
            }
            Ok(ReadStatus::Wait(tty::Wait::Input)) => Err(SysError::Block(None)),
            Ok(ReadStatus::Wait(tty::Wait::InputOrDeadline(d))) => Err(SysError::Block(Some(d.0))),
            Err(e) => Err(tty_err(e)),
        };
        if !matches!(result, Err(SysError::Block(_))) {
            self.pty_reads.remove(&key);
        }
        result
    }

    pub(crate) fn pty_write(
        &mut self,
        t: &mut Task,
        p: &PtyEnd,
        data: &[u8],
        nonblock: bool,
    ) -> SysResult {
        let r = match p.end {
            End::Master => p.pair.borrow_mut().master_write(data, nonblock),
            End::Slave => {
                let c = caller(t, false);
                p.pair.borrow_mut().slave_write(&c, data, nonblock)
            }
        };
        let events = p.pair.borrow_mut().take_events();
        self.apply_events(events, Some(t));
        match r {
            Ok(WriteStatus::Done(n)) => Ok(n as u32),
            Ok(WriteStatus::Wait) => Err(SysError::Block(None)),
            Err(e) => Err(tty_err(e)),
        }
    }

    pub(crate) fn pty_ioctl(
        &mut self,
        t: &mut Task,
        p: &PtyEnd,
        request: u32,
        arg: u32,
    ) -> SysResult {
        let kind = tty::ioctl_arg(request).ok_or(Errno::ENOTTY)?;
        let input = match kind {
            tty::IoctlArg::None | tty::IoctlArg::Out(_) => Vec::new(),
            tty::IoctlArg::Value => arg.to_le_bytes().to_vec(),
            tty::IoctlArg::In(n) => mem(self, t, |m| m.read_vec(arg, n))?,
        };
        let sessions = super::console::sessions(self, t);
        let c = caller(t, true);
        let reply = p
            .pair
            .borrow_mut()
            .ioctl(p.end, &c, &sessions, request, &input);
        let events = p.pair.borrow_mut().take_events();
        self.apply_events(events, Some(t));
        match reply.map_err(tty_err)? {
            tty::IoctlReply::Done { value, out } => {
                if !out.is_empty() {
                    mem(self, t, |m| m.write(arg, &out))?;
                }
                Ok(value as u32)
            }
            tty::IoctlReply::OpenPeer { .. } => Err(Errno::ENOSYS.into()),
        }
    }

    /// (readable, writable, hung up) for `poll`.
    pub(crate) fn pty_poll(p: &PtyEnd) -> (bool, bool, bool) {
        let m = p.pair.borrow().poll(p.end);
        (
            m.has(tty::PollMask::IN),
            m.has(tty::PollMask::OUT),
            m.has(tty::PollMask::HUP),
        )
    }
}
