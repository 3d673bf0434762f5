//! System V shared memory. A segment is a shared file mapping of a memory-only file
//! (a [`MemoryObject`] of device 0:1): its pages live in the frames' shared-page map, so every
//! attach in every process, before or after `fork`, sees the same frames. A segment's
//! attach count is the number of mappings holding its file (forks and splits count, as
//! in Linux); a removed segment is destroyed once that reaches zero.

use super::{ipc_get, now_secs, Cred, Ipc64Perm, IpcPermOld, Perm};
use super::{IPC_INFO, IPC_RMID, IPC_SET, IPC_STAT};
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::shmem::MemoryObject;
use crate::kernel::syscall::{mem, SysResult};
use crate::kernel::task::Task;
use crate::kernel::Kernel;
use crate::mm::{Backing, MapRequest, MappedFile, Prot, PAGE_SIZE};
use std::rc::Rc;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

const SHM_DEV: u64 = 1;
const SHM_RDONLY: u32 = 0o10000;
const SHM_RND: u32 = 0o20000;
const SHM_REMAP: u32 = 0o40000;
const SHM_EXEC: u32 = 0o100000;
const SHM_LOCK: u32 = 11;
const SHM_UNLOCK: u32 = 12;
const SHM_STAT: u32 = 13;
const SHM_INFO: u32 = 14;
const SHM_STAT_ANY: u32 = 15;
/// Mode flags: removed (destroyed at the last detach), locked.
const SHM_DEST: u32 = 0o1000;
const SHM_LOCKED: u32 = 0o2000;
const SHMMIN: u32 = 1;
const SHMMAX: u32 = 0xfeff_ffff;
const SHMLBA: u32 = PAGE_SIZE;

pub struct Segment {
    pub perm: Perm,
    /// The segment's memory: its pages outlive its attaches until it is destroyed.
    file: Rc<MemoryObject>,
    size: u32,
    atime: u32,
    dtime: u32,
    ctime: u32,
    cpid: u32,
    lpid: u32,
}

impl Segment {
    fn nattch(&self) -> u32 {
        (Rc::strong_count(&self.file) - 1) as u32
    }
}

/// `struct shmid64_ds` (i386): 84 bytes.
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct ShmidDs {
    perm: Ipc64Perm,
    segsz: u32,
    atime: u32,
    atime_high: u32,
    dtime: u32,
    dtime_high: u32,
    ctime: u32,
    ctime_high: u32,
    cpid: u32,
    lpid: u32,
    nattch: u32,
    unused4: u32,
    unused5: u32,
}
const _: () = assert!(std::mem::size_of::<ShmidDs>() == 84);

/// `struct shmid_ds` (i386, `IPC_OLD`): 48 bytes.
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct ShmidDsOld {
    perm: IpcPermOld,
    segsz: u32,
    atime: u32,
    dtime: u32,
    ctime: u32,
    cpid: u16,
    lpid: u16,
    nattch: u16,
    unused: u16,
    unused2: u32,
    unused3: u32,
}
const _: () = assert!(std::mem::size_of::<ShmidDsOld>() == 48);

/// Destroys removed segments without attaches.
pub fn sweep(k: &mut Kernel) {
    let dead: Vec<u32> = k
        .ipc
        .shm
        .objects
        .iter()
        .filter(|(_, s)| s.perm.mode & SHM_DEST != 0 && s.nattch() == 0)
        .map(|(id, _)| *id)
        .collect();
    for id in dead {
        if let Some(seg) = k.ipc.shm.objects.remove(&id) {
            k.frames.drop_shared_file_pages(seg.file.identity());
        }
    }
}

pub fn shmget(k: &mut Kernel, t: &mut Task, key: i32, size: u32, flags: u32) -> SysResult {
    sweep(k);
    let cred = Cred::of(t);
    let now = now_secs(k);
    let ino = k.ipc.next_shm_ino;
    let id = ipc_get(
        &mut k.ipc.shm,
        &cred,
        key,
        flags,
        |s| &s.perm,
        |s| {
            if size > s.size {
                Err(Errno::EINVAL)
            } else {
                Ok(())
            }
        },
        |perm| {
            if !(SHMMIN..=SHMMAX).contains(&size) {
                return Err(Errno::EINVAL);
            }
            Ok(Segment {
                perm,
                file: Rc::new(MemoryObject::new(
                    SHM_DEV,
                    ino,
                    format!("/SYSV{:08x} (deleted)", key as u32),
                    u64::from(size),
                )),
                size,
                atime: 0,
                dtime: 0,
                ctime: now,
                cpid: cred.pid,
                lpid: 0,
            })
        },
    )?;
    if k.ipc.shm.objects[&id].file.ino == ino {
        k.ipc.next_shm_ino += 1;
    }
    Ok(id)
}

pub fn shmat(k: &mut Kernel, t: &mut Task, id: i32, addr: u32, flags: u32) -> KResult<u32> {
    let cred = Cred::of(t);
    let seg = k
        .ipc
        .shm
        .objects
        .get(&(id as u32))
        .filter(|_| id >= 0)
        .ok_or(Errno::EINVAL)?;
    let want = if flags & SHM_RDONLY != 0 { 0o4 } else { 0o6 };
    if !cred.may(
        &seg.perm,
        want | if flags & SHM_EXEC != 0 { 0o1 } else { 0 },
    ) {
        return Err(Errno::EACCES);
    }
    let mut at = addr;
    if at % SHMLBA != 0 {
        if flags & SHM_RND == 0 {
            return Err(Errno::EINVAL);
        }
        at &= !(SHMLBA - 1);
        if at == 0 && flags & SHM_REMAP != 0 {
            return Err(Errno::EINVAL);
        }
    }
    let len = seg.size;
    if at != 0 && flags & SHM_REMAP == 0 {
        let end = u64::from(at) + u64::from(len);
        let mm = t.mm.borrow();
        if mm
            .space
            .vmas()
            .any(|v| u64::from(v.start) < end && v.end > u64::from(at))
        {
            return Err(Errno::EINVAL);
        }
    }
    let prot = Prot {
        read: true,
        write: flags & SHM_RDONLY == 0,
        exec: flags & SHM_EXEC != 0,
    };
    let file: Rc<dyn MappedFile> = seg.file.clone();
    let request = MapRequest {
        addr: at,
        len,
        prot,
        shared: true,
        fixed: at != 0,
        fixed_noreplace: false,
        backing: Backing::File { file, offset: 0 },
        label: None,
        grows_down: false,
    };
    let mapped = t.mm.borrow_mut().space.mmap(&mut k.frames, request);
    let mapped = mapped.map_err(|e| Errno(e.errno()))?;
    let now = now_secs(k);
    if let Some(seg) = k.ipc.shm.objects.get_mut(&(id as u32)) {
        seg.atime = now;
        seg.lpid = cred.pid;
    }
    Ok(mapped)
}

pub fn shmdt(k: &mut Kernel, t: &mut Task, addr: u32) -> SysResult {
    if addr % PAGE_SIZE != 0 {
        return Err(Errno::EINVAL.into());
    }
    let ino = {
        let mm = t.mm.borrow();
        let vma = mm.space.find_vma(addr).filter(|v| v.start == addr);
        match vma.map(|v| &v.backing) {
            Some(Backing::File { file, offset: 0 }) if file.identity().0 == SHM_DEV => {
                file.identity().1
            }
            _ => return Err(Errno::EINVAL.into()),
        }
    };
    let Some((_, size)) = k
        .ipc
        .shm
        .objects
        .values()
        .find(|s| s.file.ino == ino)
        .map(|s| (s.file.ino, s.size))
    else {
        return Err(Errno::EINVAL.into());
    };
    // Unmap this segment's areas within its size from `addr`.
    let end = u64::from(addr) + u64::from(size).div_ceil(u64::from(PAGE_SIZE)) * 4096;
    let ranges: Vec<(u32, u64)> = t
        .mm
        .borrow()
        .space
        .vmas()
        .filter(|v| u64::from(v.start) >= u64::from(addr) && v.end <= end)
        .filter(|v| matches!(&v.backing, Backing::File { file, .. } if file.identity() == (SHM_DEV, ino)))
        .map(|v| (v.start, v.end))
        .collect();
    for (start, vend) in ranges {
        t.mm.borrow_mut()
            .space
            .munmap(&mut k.frames, start, (vend - u64::from(start)) as u32)?;
    }
    let (now, pid) = (now_secs(k), t.pid());
    if let Some(seg) = k.ipc.shm.objects.values_mut().find(|s| s.file.ino == ino) {
        seg.dtime = now;
        seg.lpid = pid;
    }
    sweep(k);
    Ok(0)
}

/// `shmctl`; `old`: the `IPC_OLD` layouts (the multiplexer without `IPC_64`).
pub fn shmctl(k: &mut Kernel, t: &mut Task, id: i32, cmd: u32, buf: u32, old: bool) -> SysResult {
    let cmd = cmd & !super::IPC_64;
    let cred = Cred::of(t);
    match cmd {
        IPC_INFO => {
            // struct shminfo64: shmmax, shmmin, shmmni, shmseg, shmall, 4 unused.
            let info: [u32; 9] = [SHMMAX, SHMMIN, 4096, 4096, u32::MAX >> 12, 0, 0, 0, 0];
            // The old `struct shminfo` is the first five, as ints.
            let len = if old { 5 } else { 9 };
            mem(k, t, |m| {
                m.write(buf, zerocopy::IntoBytes::as_bytes(&info[..len]))
            })?;
            return Ok(k.ipc.shm.highest_index());
        }
        SHM_INFO => {
            // struct shm_info: used_ids, shm_tot, shm_rss, shm_swp, swap_attempts/successes.
            let segs = &k.ipc.shm.objects;
            let pages: u64 = segs
                .values()
                .map(|s| u64::from(s.size.div_ceil(PAGE_SIZE)))
                .sum();
            let pages = pages.min(u64::from(u32::MAX)) as u32;
            let info: [u32; 6] = [segs.len() as u32, pages, pages, 0, 0, 0];
            mem(k, t, |m| m.write_obj(buf, &info))?;
            return Ok(k.ipc.shm.highest_index());
        }
        _ => {}
    }
    let (id, by_index) = match cmd {
        SHM_STAT | SHM_STAT_ANY => {
            let found = k
                .ipc
                .shm
                .objects
                .keys()
                .find(|i| *i % super::SEQ_MULTIPLIER == id as u32)
                .copied();
            (found.ok_or(Errno::EINVAL)?, true)
        }
        _ if id < 0 => return Err(Errno::EINVAL.into()),
        _ => (id as u32, false),
    };
    let seg = k.ipc.shm.objects.get_mut(&id).ok_or(Errno::EINVAL)?;
    match cmd {
        IPC_STAT | SHM_STAT | SHM_STAT_ANY => {
            if cmd != SHM_STAT_ANY && !cred.may(&seg.perm, 0o4) {
                return Err(Errno::EACCES.into());
            }
            let ds = ShmidDs {
                perm: seg.perm.to_abi(),
                segsz: seg.size,
                atime: seg.atime,
                dtime: seg.dtime,
                ctime: seg.ctime,
                cpid: seg.cpid,
                lpid: seg.lpid,
                nattch: seg.nattch(),
                ..Default::default()
            };
            if old {
                let ds = ShmidDsOld {
                    perm: seg.perm.to_old(),
                    segsz: ds.segsz,
                    atime: ds.atime,
                    dtime: ds.dtime,
                    ctime: ds.ctime,
                    cpid: ds.cpid as u16,
                    lpid: ds.lpid as u16,
                    nattch: ds.nattch.min(0xffff) as u16,
                    ..Default::default()
                };
                mem(k, t, |m| m.write_obj(buf, &ds))?;
            } else {
                mem(k, t, |m| m.write_obj(buf, &ds))?;
            }
            Ok(if by_index { id } else { 0 })
        }
        IPC_SET => {
            let (uid, gid, mode) = if old {
                let ds: ShmidDsOld = mem(k, t, |m| m.read_obj(buf))?;
                (ds.perm.uid.into(), ds.perm.gid.into(), ds.perm.mode.into())
            } else {
                let ds: ShmidDs = mem(k, t, |m| m.read_obj(buf))?;
                (ds.perm.uid, ds.perm.gid, ds.perm.mode.into())
            };
            let now = now_secs(k);
            let seg = k.ipc.shm.objects.get_mut(&id).ok_or(Errno::EINVAL)?;
            if !cred.owns(&seg.perm) {
                return Err(Errno::EPERM.into());
            }
            seg.perm.set(uid, gid, mode);
            seg.ctime = now;
            Ok(0)
        }
        IPC_RMID => {
            if !cred.owns(&seg.perm) {
                return Err(Errno::EPERM.into());
            }
            seg.perm.mode |= SHM_DEST;
            seg.perm.key = super::IPC_PRIVATE;
            sweep(k);
            Ok(0)
        }
        SHM_LOCK | SHM_UNLOCK => {
            if !cred.owns(&seg.perm) {
                return Err(Errno::EPERM.into());
            }
            if cmd == SHM_LOCK {
                seg.perm.mode |= SHM_LOCKED;
            } else {
                seg.perm.mode &= !SHM_LOCKED;
            }
            Ok(0)
        }
        _ => Err(Errno::EINVAL.into()),
    }
}
