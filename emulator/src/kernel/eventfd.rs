//! `eventfd`: a 64-bit counter behind a descriptor. A write adds to it (blocking while
//! the sum would pass 2^64 - 2), a read takes it whole or, with `EFD_SEMAPHORE`, one at
//! a time (blocking while it is zero). Reads and writes move exactly 8 bytes.

use super::errno::Errno;
use super::file::{FdEntry, OpenFile, O_CLOEXEC, O_NONBLOCK, O_RDWR};
use super::syscall::{Call, SysError, SysResult};
use super::task::Task;
use super::Kernel;
use std::cell::Cell;

const EFD_SEMAPHORE: u32 = 1;
/// The largest value the counter may hold.
const MAX: u64 = u64::MAX - 1;

pub struct EventFd {
    count: Cell<u64>,
    semaphore: bool,
    /// Wake-up counts for edge-triggered `epoll` (readers woken, writers woken).
    seq: Cell<(u64, u64)>,
}

impl EventFd {
    /// `read`: the counter (or 1) as 8 little-endian bytes.
    pub fn read(&self, buf: &mut [u8], nonblocking: bool) -> Result<usize, SysError> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL.into());
        }
        let n = self.count.get();
        if n == 0 {
            return Err(would_block(nonblocking));
        }
        let taken = if self.semaphore { 1 } else { n };
        self.count.set(n - taken);
        let (i, o) = self.seq.get();
        self.seq.set((i, o + 1));
        buf[..8].copy_from_slice(&taken.to_le_bytes());
        Ok(8)
    }

    /// `write`: adds the 8-byte value.
    pub fn write(&self, data: &[u8], nonblocking: bool) -> SysResult {
        let Some(bytes) = data.get(..8) else {
            return Err(Errno::EINVAL.into());
        };
        let v = u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
        if v == u64::MAX {
            return Err(Errno::EINVAL.into());
        }
        let n = self.count.get();
        if MAX - n < v {
            return Err(would_block(nonblocking));
        }
        if v > 0 {
            self.count.set(n + v);
            let (i, o) = self.seq.get();
            self.seq.set((i + 1, o));
        }
        Ok(8)
    }

    /// (readable, writable, hang-up).
    pub fn poll(&self) -> (bool, bool, bool) {
        let n = self.count.get();
        (n > 0, n < MAX, false)
    }

    pub fn seq(&self) -> (u64, u64) {
        self.seq.get()
    }
}

fn would_block(nonblocking: bool) -> SysError {
    if nonblocking {
        Errno::EAGAIN.into()
    } else {
        SysError::Block(None)
    }
}

fn create(t: &mut Task, initval: u32, flags: u32) -> SysResult {
    if flags & !(EFD_SEMAPHORE | O_NONBLOCK | O_CLOEXEC) != 0 {
        return Err(Errno::EINVAL.into());
    }
    let e = EventFd {
        count: Cell::new(u64::from(initval)),
        semaphore: flags & EFD_SEMAPHORE != 0,
        seq: Cell::new((0, 0)),
    };
    let file = OpenFile::new(
        super::file::FileKind::EventFd(e),
        None,
        b"anon_inode:[eventfd]".to_vec(),
        O_RDWR | (flags & O_NONBLOCK),
    );
    let cloexec = flags & O_CLOEXEC != 0;
    let fd = t.files.borrow_mut().alloc(0, FdEntry { file, cloexec });
    Ok(fd.ok_or(Errno::EMFILE)?)
}

/// `eventfd(initval)`.
pub fn eventfd(_k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    create(t, c.arg(0), 0)
}

/// `eventfd2(initval, flags)`.
pub fn eventfd2(_k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    create(t, c.arg(0), c.arg(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_and_semaphore_rules() {
        let e = EventFd {
            count: Cell::new(0),
            semaphore: false,
            seq: Cell::new((0, 0)),
        };
        let mut buf = [0u8; 8];
        assert_eq!(e.read(&mut buf, true), Err(Errno::EAGAIN.into()));
        assert_eq!(e.write(&3u64.to_le_bytes(), true), Ok(8));
        assert_eq!(e.write(&4u64.to_le_bytes(), true), Ok(8));
        assert_eq!(e.read(&mut buf[..4], true), Err(Errno::EINVAL.into()));
        assert_eq!(e.read(&mut buf, true), Ok(8));
        assert_eq!(u64::from_le_bytes(buf), 7);
        assert_eq!(
            e.write(&u64::MAX.to_le_bytes(), true),
            Err(Errno::EINVAL.into())
        );
        assert_eq!(e.write(&MAX.to_le_bytes(), true), Ok(8));
        assert_eq!(
            e.write(&1u64.to_le_bytes(), true),
            Err(Errno::EAGAIN.into())
        );
        assert_eq!(e.poll(), (true, false, false));
        let s = EventFd {
            count: Cell::new(2),
            semaphore: true,
            seq: Cell::new((0, 0)),
        };
        assert_eq!(s.read(&mut buf, true), Ok(8));
        assert_eq!(u64::from_le_bytes(buf), 1);
        assert_eq!(s.count.get(), 1);
    }
}
