//! Memory syscalls: `brk`, `mmap2` (and the old `mmap`), `munmap`, `mprotect`,
//! `mremap`, and the advice calls that need no action.

use super::{mem, Call, SysResult};
use crate::kernel::errno::Errno;
use crate::kernel::exec::VfsFile;
use crate::kernel::file::{FileKind, O_APPEND};
use crate::kernel::task::Task;
use crate::kernel::Kernel;
use crate::mm::{Backing, MapRequest, Prot};

const MAP_SHARED: u32 = 0x01;
const MAP_PRIVATE: u32 = 0x02;
const MAP_FIXED: u32 = 0x10;
const MAP_ANONYMOUS: u32 = 0x20;
const MAP_GROWSDOWN: u32 = 0x100;
const MAP_FIXED_NOREPLACE: u32 = 0x100000;

pub fn brk(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let mut mm = t.mm.borrow_mut();
    Ok(mm.space.brk(&mut k.frames, c.arg(0)))
}

/// The arguments of an `mmap` call.
struct MmapArgs {
    addr: u32,
    len: u32,
    prot: u32,
    flags: u32,
    fd: i32,
    offset: u64,
}

fn do_mmap(k: &mut Kernel, t: &mut Task, a: MmapArgs) -> SysResult {
    let MmapArgs {
        addr,
        len,
        prot,
        flags,
        fd,
        offset,
    } = a;
    if len == 0 || flags & (MAP_SHARED | MAP_PRIVATE) == 0 {
        return Err(Errno::EINVAL.into());
    }
    // Shared anonymous memory belongs to an object every fork child shares.
    let shared_anonymous = |k: &mut Kernel| Backing::File {
        file: k.new_shared_anon(len),
        offset: 0,
    };
    let backing = if flags & MAP_ANONYMOUS != 0 {
        if flags & MAP_SHARED != 0 {
            shared_anonymous(k)
        } else {
            Backing::Anonymous
        }
    } else {
        let file = super::io::fd_file(t, fd as u32)?;
        match &file.kind {
            FileKind::Inode { fs, loc } => {
                if !file.readable() {
                    return Err(Errno::EACCES.into());
                }
                let writes_file = flags & MAP_SHARED != 0 && prot & 2 != 0;
                if writes_file && (!file.writable() || file.flags.get() & O_APPEND != 0) {
                    return Err(Errno::EACCES.into());
                }
                if writes_file {
                    super::memfd::check_shared_writable_map(&file)?;
                }
                let dev = k.vfs.mounts[loc.mount].dev;
                Backing::File {
                    file: VfsFile::new(fs.clone(), *loc, dev, file.path.clone()),
                    offset,
                }
            }
            FileKind::Device(_) if flags & MAP_SHARED != 0 => shared_anonymous(k),
            FileKind::Device(_) => Backing::Anonymous,
            _ => return Err(Errno::ENODEV.into()),
        }
    };
    let request = MapRequest {
        addr,
        len,
        prot: Prot::from_bits(prot),
        shared: flags & MAP_SHARED != 0,
        fixed: flags & MAP_FIXED != 0,
        fixed_noreplace: flags & MAP_FIXED_NOREPLACE != 0,
        backing,
        label: None,
        grows_down: flags & MAP_GROWSDOWN != 0,
    };
    let mut mm = t.mm.borrow_mut();
    let at = mm.space.mmap(&mut k.frames, request)?;
    if flags & MAP_FIXED != 0 {
        mm.forget_code(at, len);
    }
    Ok(at)
}

pub fn mmap2(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let offset = u64::from(c.arg(5)) * 4096;
    let args = MmapArgs {
        addr: c.arg(0),
        len: c.arg(1),
        prot: c.arg(2),
        flags: c.arg(3),
        fd: c.int(4),
        offset,
    };
    do_mmap(k, t, args)
}

pub fn old_mmap(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let a: [u32; 6] = mem(k, t, |m| m.read_obj(c.arg(0)))?;
    if a[5] % 4096 != 0 {
        return Err(Errno::EINVAL.into());
    }
    let args = MmapArgs {
        addr: a[0],
        len: a[1],
        prot: a[2],
        flags: a[3],
        fd: a[4] as i32,
        offset: u64::from(a[5]),
    };
    do_mmap(k, t, args)
}

pub fn munmap(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let mut mm = t.mm.borrow_mut();
    mm.space.munmap(&mut k.frames, c.arg(0), c.arg(1))?;
    mm.forget_code(c.arg(0), c.arg(1));
    Ok(0)
}

pub fn mprotect(_k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let mut mm = t.mm.borrow_mut();
    mm.space
        .mprotect(c.arg(0), c.arg(1), Prot::from_bits(c.arg(2)))?;
    Ok(0)
}

const MREMAP_MAYMOVE: u32 = 1;
const MREMAP_FIXED: u32 = 2;

/// `mremap`: shrinking, growing in place when the pages after the mapping are free,
/// moving with `MREMAP_MAYMOVE`, to an exact place with `MREMAP_FIXED`.
pub fn mremap(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (addr, old, new, flags) = (c.arg(0), c.arg(1), c.arg(2), c.arg(3));
    if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED) != 0
        || (flags & MREMAP_FIXED != 0 && flags & MREMAP_MAYMOVE == 0)
    {
        return Err(Errno::EINVAL.into());
    }
    let fixed = (flags & MREMAP_FIXED != 0).then(|| c.arg(4));
    let mut mm = t.mm.borrow_mut();
    let at = mm.space.mremap(
        &mut k.frames,
        addr,
        old,
        new,
        flags & MREMAP_MAYMOVE != 0,
        fixed,
    )?;
    mm.forget_code(addr, old);
    if at != addr {
        mm.forget_code(at, new);
    }
    Ok(at)
}

const MS_ASYNC: u32 = 1;
const MS_INVALIDATE: u32 = 2;
const MS_SYNC: u32 = 4;

/// `msync`: writes the range's pages of shared file mappings back to their files.
pub fn msync(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let flags = c.arg(2);
    if flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
        || (flags & MS_ASYNC != 0 && flags & MS_SYNC != 0)
    {
        return Err(Errno::EINVAL.into());
    }
    let mut mm = t.mm.borrow_mut();
    mm.space.msync(&mut k.frames, c.arg(0), c.arg(1))?;
    Ok(0)
}

pub fn nop(_k: &mut Kernel, _t: &mut Task, _c: &Call) -> SysResult {
    Ok(0)
}
