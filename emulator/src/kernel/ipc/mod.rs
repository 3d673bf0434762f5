//! System V IPC: shared memory (`shm`), semaphore sets (`sem`) and message queues
//! (`msg`), each a table of objects named by id and found by key. Both entry points
//! reach them: the direct i386 syscalls (`semget` 393 … `msgctl` 402,
//! `semtimedop_time64` 420) and the old multiplexer `ipc` (117), whose call number
//! carries a version in its high 16 bits (`msgrcv` version 0 passes a `struct
//! ipc_kludge`; `shmat` stores the address through `third`).
//!
//! The ctl calls use the 64-bit layouts (`ipc64_perm`, `shmid64_ds`, `semid64_ds`,
//! `msqid64_ds`), which glibc asks for with `IPC_64`, and which the direct calls always
//! use; through the multiplexer a command without `IPC_64` gets the old (`IPC_OLD`)
//! layouts with 16-bit ids, as Linux gives it.
//! A wait (`semop`, `msgsnd`, `msgrcv`) parks and is retried by the scheduler; a retry
//! that finds its object gone fails with `EIDRM`.

pub mod msg;
pub mod sem;
pub mod shm;

use super::errno::{Errno, KResult};
use super::syscall::{mem, Call, SysResult};
use super::task::{Task, TaskState};
use super::Kernel;
use std::collections::BTreeMap;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

pub const IPC_PRIVATE: i32 = 0;
pub const IPC_CREAT: u32 = 0o1000;
pub const IPC_EXCL: u32 = 0o2000;
pub const IPC_NOWAIT: u32 = 0o4000;
pub const IPC_RMID: u32 = 0;
pub const IPC_SET: u32 = 1;
pub const IPC_STAT: u32 = 2;
pub const IPC_INFO: u32 = 3;
pub const IPC_64: u32 = 0x100;
/// Ids are index + sequence × this, as in Linux, so a removed id is not soon reused.
const SEQ_MULTIPLIER: u32 = 32768;
/// Objects of each kind at most (`SHMMNI`, `SEMMNI`, `MSGMNI`).
const MAX_OBJECTS: u32 = 4096;

/// `struct ipc64_perm` (i386): 36 bytes.
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Ipc64Perm {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    pub mode: u16,
    pub pad1: u16,
    pub seq: u16,
    pub pad2: u16,
    pub unused1: u32,
    pub unused2: u32,
}
const _: () = assert!(std::mem::size_of::<Ipc64Perm>() == 36);

/// `struct ipc_perm` (i386, the `IPC_OLD` layout): 16 bytes.
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct IpcPermOld {
    pub key: i32,
    pub uid: u16,
    pub gid: u16,
    pub cuid: u16,
    pub cgid: u16,
    pub mode: u16,
    pub seq: u16,
}
const _: () = assert!(std::mem::size_of::<IpcPermOld>() == 16);

/// Owner, creator and mode of an object.
#[derive(Clone, Copy, Debug)]
pub struct Perm {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    /// Permission bits and kind-specific flags (`SHM_DEST`, `SHM_LOCKED`).
    pub mode: u32,
    pub seq: u16,
}

impl Perm {
    pub fn to_old(&self) -> IpcPermOld {
        IpcPermOld {
            key: self.key,
            uid: self.uid as u16,
            gid: self.gid as u16,
            cuid: self.cuid as u16,
            cgid: self.cgid as u16,
            mode: self.mode as u16,
            seq: self.seq,
        }
    }

    /// What `IPC_SET` changes: owner, group, permission bits.
    pub fn set(&mut self, uid: u32, gid: u32, mode: u32) {
        self.uid = uid;
        self.gid = gid;
        self.mode = (self.mode & !0o777) | (mode & 0o777);
    }

    pub fn to_abi(&self) -> Ipc64Perm {
        Ipc64Perm {
            key: self.key,
            uid: self.uid,
            gid: self.gid,
            cuid: self.cuid,
            cgid: self.cgid,
            mode: self.mode as u16,
            seq: self.seq,
            ..Default::default()
        }
    }
}

/// Who is asking.
pub struct Cred {
    pub pid: u32,
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
}

impl Cred {
    pub fn of(t: &Task) -> Cred {
        let p = t.process.borrow();
        Cred {
            pid: p.pid,
            uid: p.uid,
            gid: p.gid,
            groups: p.groups.clone(),
        }
    }

    /// `ipcperms`: may this caller have `want` (`0o4` read, `0o2` write, or both)?
    pub fn may(&self, perm: &Perm, want: u32) -> bool {
        if self.uid == 0 {
            return true;
        }
        let granted = if self.uid == perm.uid || self.uid == perm.cuid {
            perm.mode >> 6
        } else if [perm.gid, perm.cgid]
            .iter()
            .any(|g| *g == self.gid || self.groups.contains(g))
        {
            perm.mode >> 3
        } else {
            perm.mode
        };
        want & !granted & 0o7 == 0
    }

    /// The rights `IPC_SET` and `IPC_RMID` need: owner, creator or root.
    pub fn owns(&self, perm: &Perm) -> bool {
        self.uid == 0 || self.uid == perm.uid || self.uid == perm.cuid
    }

    /// A new object's permissions.
    fn new_perm(&self, key: i32, flags: u32, seq: u16) -> Perm {
        Perm {
            key,
            uid: self.uid,
            gid: self.gid,
            cuid: self.uid,
            cgid: self.gid,
            mode: flags & 0o777,
            seq,
        }
    }
}

/// The objects of one kind, by id.
pub struct Table<T> {
    pub objects: BTreeMap<u32, T>,
    seq: u32,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            objects: BTreeMap::new(),
            seq: 0,
        }
    }
}

impl<T> Table<T> {
    /// A free id: the lowest free index with the next sequence number.
    fn alloc_id(&mut self) -> KResult<(u32, u16)> {
        let used: std::collections::BTreeSet<u32> =
            self.objects.keys().map(|id| id % SEQ_MULTIPLIER).collect();
        let idx = (0..MAX_OBJECTS)
            .find(|i| !used.contains(i))
            .ok_or(Errno::ENOSPC)?;
        let seq = self.seq;
        self.seq = (self.seq + 1) % (i32::MAX as u32 / SEQ_MULTIPLIER);
        Ok((seq * SEQ_MULTIPLIER + idx, seq as u16))
    }

    /// The highest index in use (what the `*_INFO` commands return).
    pub fn highest_index(&self) -> u32 {
        self.objects
            .keys()
            .map(|id| id % SEQ_MULTIPLIER)
            .max()
            .unwrap_or(0)
    }
}

/// What the `*get` calls share: find by key or create, with `IPC_CREAT`/`IPC_EXCL`.
pub fn ipc_get<T>(
    table: &mut Table<T>,
    cred: &Cred,
    key: i32,
    flags: u32,
    perm_of: impl Fn(&T) -> &Perm,
    check: impl FnOnce(&T) -> KResult<()>,
    create: impl FnOnce(Perm) -> KResult<T>,
) -> KResult<u32> {
    if key != IPC_PRIVATE {
        let found = table
            .objects
            .iter()
            .find(|(_, o)| perm_of(o).key == key)
            .map(|(id, _)| *id);
        if let Some(id) = found {
            if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 {
                return Err(Errno::EEXIST);
            }
            let obj = &table.objects[&id];
            let want = (flags >> 6 | flags >> 3 | flags) & 0o7;
            if !cred.may(perm_of(obj), want) {
                return Err(Errno::EACCES);
            }
            check(obj)?;
            return Ok(id);
        }
        if flags & IPC_CREAT == 0 {
            return Err(Errno::ENOENT);
        }
    }
    let (id, seq) = table.alloc_id()?;
    let obj = create(cred.new_perm(key, flags, seq))?;
    table.objects.insert(id, obj);
    Ok(id)
}

/// Every System V IPC object of the machine.
#[derive(Default)]
pub struct Ipc {
    pub shm: Table<shm::Segment>,
    pub sem: Table<sem::SemSet>,
    pub msg: Table<msg::Queue>,
    /// `SEM_UNDO` adjustments by process, then set id, then semaphore.
    pub undo: BTreeMap<u32, BTreeMap<u32, Vec<i32>>>,
    /// Inode numbers of shared memory segments (never reused).
    pub next_shm_ino: u64,
}

/// The current time in seconds, for the objects' timestamps.
pub fn now_secs(k: &Kernel) -> u32 {
    (k.platform.clock.realtime_ns() / 1_000_000_000) as u32
}

/// Whether this call is the retry of a parked wait (a vanished object is then `EIDRM`).
pub fn retrying(t: &Task) -> bool {
    matches!(t.state, TaskState::Parked(_))
}

/// A missing object: `EIDRM` for a waiter whose object was removed, else `EINVAL`.
pub fn gone(t: &Task) -> Errno {
    if retrying(t) {
        Errno::EIDRM
    } else {
        Errno::EINVAL
    }
}

/// Called when process `pid` ends: applies its `SEM_UNDO` adjustments and destroys
/// removed shared memory segments nobody has attached any more.
pub fn process_exit(k: &mut Kernel, pid: u32) {
    sem::apply_undo(k, pid);
    shm::sweep(k);
}

/// `ipc(call, first, second, third, ptr, fifth)`: the i386 multiplexer.
pub fn ipc(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    const SEMOP: u32 = 1;
    const SEMGET: u32 = 2;
    const SEMCTL: u32 = 3;
    const SEMTIMEDOP: u32 = 4;
    const MSGSND: u32 = 11;
    const MSGRCV: u32 = 12;
    const MSGGET: u32 = 13;
    const MSGCTL: u32 = 14;
    const SHMAT: u32 = 21;
    const SHMDT: u32 = 22;
    const SHMGET: u32 = 23;
    const SHMCTL: u32 = 24;
    let (call, version) = (c.arg(0) & 0xffff, c.arg(0) >> 16);
    let (first, second, third, ptr, fifth) = (c.arg(1), c.arg(2), c.arg(3), c.arg(4), c.arg(5));
    match call {
        SEMOP => sem::semtimedop(k, t, c, first as i32, ptr, second, None),
        SEMTIMEDOP => {
            let timeout = super::syscall::io::ts32(k, t, fifth)?;
            sem::semtimedop(k, t, c, first as i32, ptr, second, timeout)
        }
        SEMGET => sem::semget(k, t, first as i32, second as i32, third),
        SEMCTL => {
            if ptr == 0 {
                return Err(Errno::EINVAL.into());
            }
            let arg = mem(k, t, |m| m.read_u32(ptr))?;
            let old = third & IPC_64 == 0;
            sem::semctl(k, t, first as i32, second as i32, third, arg, old)
        }
        MSGSND => msg::msgsnd(k, t, first as i32, ptr, second, third),
        MSGRCV => {
            let (msgp, msgtyp) = if version == 0 {
                if ptr == 0 {
                    return Err(Errno::EINVAL.into());
                }
                let kludge: [u32; 2] = mem(k, t, |m| m.read_obj(ptr))?;
                (kludge[0], kludge[1] as i32)
            } else {
                (ptr, fifth as i32)
            };
            msg::msgrcv(k, t, first as i32, msgp, second, msgtyp, third)
        }
        MSGGET => msg::msgget(k, t, first as i32, second),
        MSGCTL => msg::msgctl(k, t, first as i32, second, ptr, second & IPC_64 == 0),
        SHMAT => {
            if version == 1 {
                return Err(Errno::EINVAL.into());
            }
            let addr = shm::shmat(k, t, first as i32, ptr, second)?;
            mem(k, t, |m| m.write_u32(third, addr))?;
            Ok(0)
        }
        SHMDT => shm::shmdt(k, t, ptr),
        SHMGET => shm::shmget(k, t, first as i32, second, third),
        SHMCTL => shm::shmctl(k, t, first as i32, second, ptr, second & IPC_64 == 0),
        _ => Err(Errno::ENOSYS.into()),
    }
}

pub fn shmget(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    shm::shmget(k, t, c.int(0), c.arg(1), c.arg(2))
}

pub fn shmat(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    Ok(shm::shmat(k, t, c.int(0), c.arg(1), c.arg(2))?)
}

pub fn shmdt(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    shm::shmdt(k, t, c.arg(0))
}

pub fn shmctl(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    shm::shmctl(k, t, c.int(0), c.arg(1), c.arg(2), false)
}

pub fn semget(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    sem::semget(k, t, c.int(0), c.int(1), c.arg(2))
}

pub fn semctl(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    sem::semctl(k, t, c.int(0), c.int(1), c.arg(2), c.arg(3), false)
}

/// `semtimedop_time64(semid, sops, nsops, timeout)`.
pub fn semtimedop_time64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let timeout = super::syscall::io::ts64(k, t, c.arg(3))?;
    sem::semtimedop(k, t, c, c.int(0), c.arg(1), c.arg(2), timeout)
}

pub fn msgget(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    msg::msgget(k, t, c.int(0), c.arg(1))
}

pub fn msgsnd(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    msg::msgsnd(k, t, c.int(0), c.arg(1), c.arg(2), c.arg(3))
}

pub fn msgrcv(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    msg::msgrcv(k, t, c.int(0), c.arg(1), c.arg(2), c.int(3), c.arg(4))
}

pub fn msgctl(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    msg::msgctl(k, t, c.int(0), c.arg(1), c.arg(2), false)
}
