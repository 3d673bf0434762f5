//! Pipes: a bounded byte queue with counts of open read and write ends, so a reader sees
//! end-of-file once every writer is gone and a writer gets `EPIPE` once every reader is.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// Linux's default pipe capacity.
pub const PIPE_CAPACITY: usize = 65536;
/// Writes up to this size are atomic.
pub const PIPE_BUF: usize = 4096;

#[derive(Default)]
pub struct Pipe {
    pub data: VecDeque<u8>,
    pub readers: u32,
    pub writers: u32,
    /// A FIFO whose first writer has not come yet: readers wait instead of seeing
    /// end-of-file (as a blocking FIFO open would have waited).
    pub awaiting_writer: bool,
    /// Wake-up counts for edge-triggered `epoll`: `in_seq` moves when readers are woken
    /// (data written, last writer gone), `out_seq` when writers are (data read, last
    /// reader gone).
    pub in_seq: u64,
    pub out_seq: u64,
}

/// One end of a pipe, held by an open file.
pub struct PipeEnd {
    pub pipe: Rc<RefCell<Pipe>>,
    pub write: bool,
}

impl PipeEnd {
    pub fn new(pipe: &Rc<RefCell<Pipe>>, write: bool) -> PipeEnd {
        {
            let mut p = pipe.borrow_mut();
            if write {
                p.writers += 1;
                p.awaiting_writer = false;
            } else {
                p.readers += 1;
            }
        }
        PipeEnd {
            pipe: pipe.clone(),
            write,
        }
    }

    /// A new pipe's (read end, write end).
    pub fn pair() -> (PipeEnd, PipeEnd) {
        let pipe = Rc::new(RefCell::new(Pipe::default()));
        (PipeEnd::new(&pipe, false), PipeEnd::new(&pipe, true))
    }
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        let mut p = self.pipe.borrow_mut();
        if self.write {
            p.writers -= 1;
            p.in_seq += 1;
        } else {
            p.readers -= 1;
            p.out_seq += 1;
        }
    }
}

/// What a pipe read or write could do now.
#[derive(Debug, PartialEq, Eq)]
pub enum PipeIo {
    Done(usize),
    /// Nothing possible yet: the caller parks (or gets `EAGAIN`).
    WouldBlock,
    /// Write with no reader left: `EPIPE` and `SIGPIPE`.
    Broken,
}

impl Pipe {
    pub fn read(&mut self, buf: &mut [u8]) -> PipeIo {
        if self.data.is_empty() {
            return if (self.writers == 0 && !self.awaiting_writer) || buf.is_empty() {
                PipeIo::Done(0)
            } else {
                PipeIo::WouldBlock
            };
        }
        let n = buf.len().min(self.data.len());
        for (i, b) in self.data.drain(..n).enumerate() {
            buf[i] = b;
        }
        self.out_seq += 1;
        PipeIo::Done(n)
    }

    pub fn write(&mut self, data: &[u8]) -> PipeIo {
        if self.readers == 0 {
            return PipeIo::Broken;
        }
        let room = PIPE_CAPACITY - self.data.len();
        if room == 0 || (data.len() <= PIPE_BUF && room < data.len()) {
            return PipeIo::WouldBlock;
        }
        let n = room.min(data.len());
        self.data.extend(&data[..n]);
        self.in_seq += 1;
        PipeIo::Done(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eof_after_writers_close_and_broken_after_readers_close() {
        let (r, w) = PipeEnd::pair();
        assert_eq!(w.pipe.borrow_mut().write(b"hi"), PipeIo::Done(2));
        let mut buf = [0u8; 8];
        assert_eq!(r.pipe.borrow_mut().read(&mut buf), PipeIo::Done(2));
        assert_eq!(r.pipe.borrow_mut().read(&mut buf), PipeIo::WouldBlock);
        let pipe = r.pipe.clone();
        drop(w);
        assert_eq!(pipe.borrow_mut().read(&mut buf), PipeIo::Done(0));
        let (r, w) = PipeEnd::pair();
        drop(r);
        assert_eq!(w.pipe.borrow_mut().write(b"x"), PipeIo::Broken);
    }
}
