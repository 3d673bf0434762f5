//! Lock syscalls: `fcntl`'s record-lock commands (`F_GETLK`/`F_SETLK`/`F_SETLKW`, their
//! `64` forms and the `F_OFD_*` ones) with i386's `struct flock` (32-bit offsets) and
//! packed `struct flock64`, and `flock`. The lock tables are `kernel::locks`.

use super::io::fd_file;
use super::{mem, Call, SysError, SysResult};
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::file::{FileKind, OpenFile};
use crate::kernel::locks::{Kind, Lock, Owner, Request};
use crate::kernel::task::Task;
use crate::kernel::vfs::Loc;
use crate::kernel::Kernel;
use std::rc::Rc;

pub const F_GETLK: u32 = 5;
pub const F_SETLK: u32 = 6;
pub const F_SETLKW: u32 = 7;
pub const F_GETLK64: u32 = 12;
pub const F_SETLK64: u32 = 13;
pub const F_SETLKW64: u32 = 14;
pub const F_OFD_GETLK: u32 = 36;
pub const F_OFD_SETLK: u32 = 37;
pub const F_OFD_SETLKW: u32 = 38;

const F_RDLCK: i16 = 0;
const F_WRLCK: i16 = 1;
const F_UNLCK: i16 = 2;

/// A `struct flock` as decoded: type, whence, start, len.
struct FlockArg {
    kind: i16,
    whence: i16,
    start: i64,
    len: i64,
    pid: i32,
}

fn read_flock(k: &mut Kernel, t: &Task, addr: u32, wide: bool) -> KResult<FlockArg> {
    if wide {
        // i386 packs `flock64`: type, whence, start at 4, len at 12, pid at 20.
        let b: [u8; 24] = mem(k, t, |m| m.read_obj(addr))?;
        Ok(FlockArg {
            kind: i16::from_le_bytes([b[0], b[1]]),
            whence: i16::from_le_bytes([b[2], b[3]]),
            start: i64::from_le_bytes(b[4..12].try_into().unwrap()),
            len: i64::from_le_bytes(b[12..20].try_into().unwrap()),
            pid: i32::from_le_bytes(b[20..24].try_into().unwrap()),
        })
    } else {
        let b: [u8; 16] = mem(k, t, |m| m.read_obj(addr))?;
        Ok(FlockArg {
            kind: i16::from_le_bytes([b[0], b[1]]),
            whence: i16::from_le_bytes([b[2], b[3]]),
            start: i64::from(i32::from_le_bytes(b[4..8].try_into().unwrap())),
            len: i64::from(i32::from_le_bytes(b[8..12].try_into().unwrap())),
            pid: i32::from_le_bytes(b[12..16].try_into().unwrap()),
        })
    }
}

fn write_flock(k: &mut Kernel, t: &Task, addr: u32, wide: bool, f: &FlockArg) -> KResult<()> {
    if wide {
        let mut b = [0u8; 24];
        b[0..2].copy_from_slice(&f.kind.to_le_bytes());
        b[2..4].copy_from_slice(&f.whence.to_le_bytes());
        b[4..12].copy_from_slice(&f.start.to_le_bytes());
        b[12..20].copy_from_slice(&f.len.to_le_bytes());
        b[20..24].copy_from_slice(&f.pid.to_le_bytes());
        mem(k, t, |m| m.write_obj(addr, &b))
    } else {
        let start = i32::try_from(f.start).map_err(|_| Errno::EOVERFLOW)?;
        let len = i32::try_from(f.len).map_err(|_| Errno::EOVERFLOW)?;
        let mut b = [0u8; 16];
        b[0..2].copy_from_slice(&f.kind.to_le_bytes());
        b[2..4].copy_from_slice(&f.whence.to_le_bytes());
        b[4..8].copy_from_slice(&start.to_le_bytes());
        b[8..12].copy_from_slice(&len.to_le_bytes());
        b[12..16].copy_from_slice(&f.pid.to_le_bytes());
        mem(k, t, |m| m.write_obj(addr, &b))
    }
}

/// The inode a lock applies to.
fn locked_inode(file: &OpenFile) -> KResult<Loc> {
    match &file.kind {
        FileKind::Inode { loc, .. } => Ok(*loc),
        _ => Err(Errno::EINVAL),
    }
}

/// `[start, end)` of a request, from its whence, start and len.
fn byte_range(file: &OpenFile, f: &FlockArg) -> KResult<(u64, u64)> {
    let base: i64 = match f.whence {
        0 => 0,
        1 => file.offset.get() as i64,
        2 => match &file.kind {
            FileKind::Inode { fs, loc } => fs.borrow_mut().stat(loc.ino)?.size as i64,
            _ => 0,
        },
        _ => return Err(Errno::EINVAL),
    };
    let start = base.checked_add(f.start).ok_or(Errno::EOVERFLOW)?;
    let (lo, hi) = match f.len {
        0 => (start, None),
        n if n > 0 => (start, Some(start.checked_add(n).ok_or(Errno::EOVERFLOW)?)),
        n => (start.checked_add(n).ok_or(Errno::EINVAL)?, Some(start)),
    };
    if lo < 0 {
        return Err(Errno::EINVAL);
    }
    Ok((lo as u64, hi.map_or(u64::MAX, |h| h as u64)))
}

fn kind_of(f: &FlockArg, file: &OpenFile) -> KResult<Option<Kind>> {
    match f.kind {
        F_RDLCK if !file.readable() => Err(Errno::EBADF),
        F_WRLCK if !file.writable() => Err(Errno::EBADF),
        F_RDLCK => Ok(Some(Kind::Read)),
        F_WRLCK => Ok(Some(Kind::Write)),
        F_UNLCK => Ok(None),
        _ => Err(Errno::EINVAL),
    }
}

/// What `F_GETLK` reports for a conflicting lock.
fn describe(conflict: &Lock) -> FlockArg {
    FlockArg {
        kind: if conflict.kind == Kind::Write {
            F_WRLCK
        } else {
            F_RDLCK
        },
        whence: 0,
        start: conflict.start as i64,
        len: if conflict.end == u64::MAX {
            0
        } else {
            (conflict.end - conflict.start) as i64
        },
        pid: match conflict.owner {
            Owner::Process(pid) => pid as i32,
            Owner::File(_) => -1,
        },
    }
}

/// `fcntl(fd, cmd, struct flock *)` for the lock commands.
pub fn fcntl_lock(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let file = fd_file(t, c.arg(0))?;
    let cmd = c.arg(1);
    let wide = !matches!(cmd, F_GETLK | F_SETLK | F_SETLKW);
    let ofd = matches!(cmd, F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW);
    let arg = read_flock(k, t, c.arg(2), wide)?;
    if ofd && arg.pid != 0 {
        return Err(Errno::EINVAL.into());
    }
    let loc = locked_inode(&file)?;
    let (start, end) = byte_range(&file, &arg)?;
    k.locks.prune();
    let owner = if ofd {
        k.locks.file_owner(&file)
    } else {
        Owner::Process(t.pid())
    };
    if matches!(cmd, F_GETLK | F_GETLK64 | F_OFD_GETLK) {
        let kind = match arg.kind {
            F_RDLCK => Kind::Read,
            F_WRLCK => Kind::Write,
            _ => return Err(Errno::EINVAL.into()),
        };
        let answer = match k.locks.record_conflict(loc, owner, kind, start, end) {
            Some(conflict) => describe(&conflict),
            None => FlockArg {
                kind: F_UNLCK,
                ..arg
            },
        };
        write_flock(k, t, c.arg(2), wide, &answer)?;
        return Ok(0);
    }
    let kind = kind_of(&arg, &file)?;
    let pid = t.pid();
    match k.locks.set_record(loc, owner, kind, start, end) {
        Ok(()) => {
            k.locks.stop_waiting(pid);
            Ok(0)
        }
        Err(conflict) if matches!(cmd, F_SETLKW | F_SETLKW64) => {
            // A POSIX wait that would close a cycle of waits fails instead.
            if let (Owner::Process(blocker), Some(kind)) = (conflict.owner, kind) {
                let waiting_in_setlkw = |p: u32| parked_in_setlkw(k, p);
                if k.locks.would_deadlock(pid, blocker, waiting_in_setlkw) {
                    k.locks.stop_waiting(pid);
                    return Err(Errno::EDEADLK.into());
                }
                let request = Request {
                    loc,
                    kind,
                    start,
                    end,
                };
                k.locks.wait_for(pid, request);
            }
            Err(SysError::Block(None))
        }
        Err(_) if cmd == F_OFD_SETLKW => Err(SysError::Block(None)),
        Err(_) => Err(Errno::EAGAIN.into()),
    }
}

/// Whether a thread of process `pid` is parked in `fcntl(F_SETLKW)`.
fn parked_in_setlkw(k: &Kernel, pid: u32) -> bool {
    use crate::kernel::syscall::names::nr;
    use crate::kernel::task::TaskState;
    k.tasks.values().any(|t| {
        t.pid() == pid
            && matches!(t.state, TaskState::Parked(p)
                if (p.nr == nr::FCNTL || p.nr == nr::FCNTL64)
                    && matches!(p.args[1], F_SETLKW | F_SETLKW64))
    })
}

/// Closes descriptors of process `pid`: its record locks on their files go (closing
/// any descriptor of a file does that), and the OFD and `flock` locks of open files
/// closed for the last time.
pub fn close_entries(k: &mut Kernel, pid: u32, entries: Vec<crate::kernel::file::FdEntry>) {
    let inodes: Vec<Loc> = entries
        .iter()
        .filter_map(|e| match &e.file.kind {
            FileKind::Inode { loc, .. } => Some(*loc),
            _ => None,
        })
        .collect();
    drop(entries);
    for loc in inodes {
        k.locks.release(loc, Owner::Process(pid));
    }
    k.locks.prune();
}

const LOCK_SH: u32 = 1;
const LOCK_EX: u32 = 2;
const LOCK_NB: u32 = 4;
const LOCK_UN: u32 = 8;

/// `flock(fd, operation)`.
pub fn flock(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let file: Rc<OpenFile> = fd_file(t, c.arg(0))?;
    let op = c.arg(1);
    let kind = match op & !LOCK_NB {
        LOCK_SH => Some(Kind::Read),
        LOCK_EX => Some(Kind::Write),
        LOCK_UN => None,
        _ => return Err(Errno::EINVAL.into()),
    };
    let loc = locked_inode(&file)?;
    k.locks.prune();
    let owner = k.locks.file_owner(&file);
    match k.locks.set_flock(loc, owner, kind) {
        Ok(()) => Ok(0),
        Err(_) if op & LOCK_NB != 0 => Err(Errno::EAGAIN.into()),
        Err(_) => Err(SysError::Block(None)),
    }
}
