//! `memfd_create` and file seals (`F_ADD_SEALS`, `F_GET_SEALS`).
//!
//! A memfd is a regular file on the tmpfs behind `/dev/shm` that has no name: it is
//! created there under a hidden name and unlinked at once, so it lives while a
//! descriptor or a mapping holds it. `/proc/self/fd` shows it as `/memfd:NAME (deleted)`.
//! Its seals live with its open file (shared by `dup`, `fork` and `SCM_RIGHTS`); a
//! memfd made without `MFD_ALLOW_SEALING` carries `F_SEAL_SEAL` from the start, as on
//! Linux. The write, truncate, fallocate and mmap paths ask [`check_write`],
//! [`check_resize`] and [`check_shared_writable_map`].

use super::{mem, Call, SysResult};
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::file::{FdEntry, FileKind, OpenFile, O_RDWR};
use crate::kernel::task::Task;
use crate::kernel::vfs::S_IFREG;
use crate::kernel::Kernel;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

/// i386's `O_LARGEFILE`, which a memfd's open file has.
const O_LARGEFILE: u32 = 0o100000;
const MFD_CLOEXEC: u32 = 1;
const MFD_ALLOW_SEALING: u32 = 2;
/// Longest name (`NAME_MAX` less the `memfd:` prefix).
const MFD_NAME_MAX: usize = 249;

pub const F_ADD_SEALS: u32 = 1033;
pub const F_GET_SEALS: u32 = 1034;
const F_SEAL_SEAL: u32 = 0x01;
const F_SEAL_SHRINK: u32 = 0x02;
const F_SEAL_GROW: u32 = 0x04;
const F_SEAL_WRITE: u32 = 0x08;
const F_SEAL_FUTURE_WRITE: u32 = 0x10;
const ALL_SEALS: u32 =
    F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;

pub fn memfd_create(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let flags = c.arg(1);
    if flags & !(MFD_CLOEXEC | MFD_ALLOW_SEALING) != 0 {
        return Err(Errno::EINVAL.into());
    }
    let name = mem(k, t, |m| m.read_cstr(c.arg(0), 4096))?;
    if name.len() > MFD_NAME_MAX {
        return Err(Errno::EINVAL.into());
    }
    let shm = k.vfs.lookup_in_mount("/dev", b"shm").ok_or(Errno::ENOSYS)?;
    let shm = k.vfs.cross_down(shm);
    let fs = k.vfs.disk(shm.mount).ok_or(Errno::ENOSYS)?;
    let owner = {
        let p = t.process.borrow();
        (p.fsuid, p.fsgid)
    };
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let hidden = format!(".memfd.{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let ino = fs
        .borrow_mut()
        .create(shm.ino, hidden.as_bytes(), S_IFREG | 0o777, (0, 0), owner)?;
    let loc = crate::kernel::vfs::Loc {
        mount: shm.mount,
        ino,
    };
    let mut path = b"/memfd:".to_vec();
    path.extend_from_slice(&name);
    path.extend_from_slice(b" (deleted)");
    let kind = FileKind::Inode {
        fs: fs.clone(),
        loc,
    };
    // Opened (held) before the name goes, so the inode lives on.
    let file = OpenFile::new(kind, Some(loc), path, O_RDWR | O_LARGEFILE);
    let _ = fs.borrow_mut().unlink(shm.ino, hidden.as_bytes());
    let initial = if flags & MFD_ALLOW_SEALING != 0 {
        0
    } else {
        F_SEAL_SEAL
    };
    let _ = file.seals.set(Rc::new(Cell::new(initial)));
    let cloexec = flags & MFD_CLOEXEC != 0;
    let fd = t
        .files
        .borrow_mut()
        .alloc(0, FdEntry { file, cloexec })
        .ok_or(Errno::EMFILE)?;
    Ok(fd)
}

/// `fcntl(F_ADD_SEALS)` and `fcntl(F_GET_SEALS)`. Another file on tmpfs answers as
/// Linux's shmem does: sealed against sealing (`F_SEAL_SEAL`); elsewhere `EINVAL`.
pub fn fcntl_seals(file: &OpenFile, on_tmpfs: bool, cmd: u32, arg: u32) -> SysResult {
    let Some(seals) = file.seals.get() else {
        return match (on_tmpfs, cmd) {
            (false, _) => Err(Errno::EINVAL.into()),
            (true, F_GET_SEALS) => Ok(F_SEAL_SEAL),
            (true, _) => Err(Errno::EPERM.into()),
        };
    };
    if cmd == F_GET_SEALS {
        return Ok(seals.get());
    }
    if !file.writable() {
        return Err(Errno::EPERM.into());
    }
    if arg & !ALL_SEALS != 0 {
        return Err(Errno::EINVAL.into());
    }
    if seals.get() & F_SEAL_SEAL != 0 {
        return Err(Errno::EPERM.into());
    }
    seals.set(seals.get() | arg);
    Ok(0)
}

fn seals_of(file: &OpenFile) -> u32 {
    file.seals.get().map_or(0, |s| s.get())
}

/// A write of `len` bytes at `offset` into a file of `size` bytes.
pub fn check_write(file: &OpenFile, offset: u64, len: u64, size: u64) -> KResult<()> {
    let seals = seals_of(file);
    if seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0 && len > 0 {
        return Err(Errno::EPERM);
    }
    if seals & F_SEAL_GROW != 0 && offset.saturating_add(len) > size {
        return Err(Errno::EPERM);
    }
    Ok(())
}

/// A change of size from `size` to `new_size` (truncate, fallocate).
pub fn check_resize(file: &OpenFile, size: u64, new_size: u64) -> KResult<()> {
    let seals = seals_of(file);
    if (new_size < size && seals & F_SEAL_SHRINK != 0)
        || (new_size > size && seals & F_SEAL_GROW != 0)
    {
        return Err(Errno::EPERM);
    }
    Ok(())
}

/// A writable shared mapping of the file.
pub fn check_shared_writable_map(file: &OpenFile) -> KResult<()> {
    if seals_of(file) & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0 {
        return Err(Errno::EPERM);
    }
    Ok(())
}
