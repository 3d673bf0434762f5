//! `inotify`: events about filesystem changes, read through a descriptor.

use super::errno::Errno;
use super::syscall::SysError;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

#[derive(Default)]
pub struct Inotify {
    /// Encoded `struct inotify_event` records not yet read.
    queue: RefCell<VecDeque<Vec<u8>>>,
    seq: Cell<u64>,
}

impl Inotify {
    pub fn read(&self, buf: &mut [u8], nonblocking: bool) -> Result<usize, SysError> {
        let mut q = self.queue.borrow_mut();
        let Some(first) = q.front() else {
            return Err(if nonblocking {
                Errno::EAGAIN.into()
            } else {
                SysError::Block(None)
            });
        };
        if first.len() > buf.len() {
            return Err(Errno::EINVAL.into());
        }
        let mut n = 0;
        while let Some(ev) = q.front() {
            if n + ev.len() > buf.len() {
                break;
            }
            buf[n..n + ev.len()].copy_from_slice(ev);
            n += ev.len();
            q.pop_front();
        }
        Ok(n)
    }

    pub fn poll(&self) -> bool {
        !self.queue.borrow().is_empty()
    }

    pub fn seq(&self) -> u64 {
        self.seq.get()
    }
}

use super::syscall::{Call, SysResult};
use super::task::Task;
use super::Kernel;

pub fn inotify_init(_k: &mut Kernel, _t: &mut Task, _c: &Call) -> SysResult {
    Err(Errno::ENOSYS.into())
}
pub fn inotify_init1(_k: &mut Kernel, _t: &mut Task, _c: &Call) -> SysResult {
    Err(Errno::ENOSYS.into())
}
pub fn inotify_add_watch(_k: &mut Kernel, _t: &mut Task, _c: &Call) -> SysResult {
    Err(Errno::ENOSYS.into())
}
pub fn inotify_rm_watch(_k: &mut Kernel, _t: &mut Task, _c: &Call) -> SysResult {
    Err(Errno::ENOSYS.into())
}
