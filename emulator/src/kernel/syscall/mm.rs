//! Memory syscalls: `brk`, `mmap2` (and the old `mmap`), `munmap`, `mprotect`,
//! `mremap`, and the advice calls that need no action.

use super::{mem, Call, SysResult};
use crate::kernel::errno::Errno;
use crate::kernel::exec::VfsFile;
use crate::kernel::file::FileKind;
use crate::kernel::task::Task;
use crate::kernel::Kernel;
use crate::mm::{Backing, MapRequest, Prot};
use std::rc::Rc;

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
    let backing = if flags & MAP_ANONYMOUS != 0 {
        Backing::Anonymous
    } else {
        let file = super::io::fd_file(t, fd as u32)?;
        match &file.kind {
            FileKind::Inode { fs, loc } => {
                if !file.readable() {
                    return Err(Errno::EACCES.into());
                }
                let dev = k.vfs.mounts[loc.mount].dev;
                Backing::File {
                    file: Rc::new(VfsFile::new(fs.clone(), *loc, dev, file.path.clone())),
                    offset,
                }
            }
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
    drop(mm);
    Ok(0)
}

pub fn mprotect(_k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let mut mm = t.mm.borrow_mut();
    mm.space
        .mprotect(c.arg(0), c.arg(1), Prot::from_bits(c.arg(2)))?;
    Ok(0)
}

/// `mremap`: only shrinking in place; callers (glibc `realloc`) fall back to copying.
pub fn mremap(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (addr, old, new) = (c.arg(0), c.arg(1), c.arg(2));
    if addr % 4096 != 0 {
        return Err(Errno::EINVAL.into());
    }
    let page = |x: u32| u64::from(x).div_ceil(4096) * 4096;
    if page(new) <= page(old) && page(new) > 0 {
        if page(new) < page(old) {
            let start = u64::from(addr) + page(new);
            let len = page(old) - page(new);
            let (Ok(start), Ok(len)) = (u32::try_from(start), u32::try_from(len)) else {
                return Err(Errno::EINVAL.into());
            };
            let mut mm = t.mm.borrow_mut();
            mm.space.munmap(&mut k.frames, start, len)?;
        }
        return Ok(addr);
    }
    Err(Errno::ENOMEM.into())
}

pub fn nop(_k: &mut Kernel, _t: &mut Task, _c: &Call) -> SysResult {
    Ok(0)
}
