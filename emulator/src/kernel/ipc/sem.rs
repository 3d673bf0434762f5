//! System V semaphore sets: `semget`, `semop`/`semtimedop` (all operations of a call
//! applied at once or none; a call that cannot proceed parks and is retried), `semctl`,
//! and `SEM_UNDO` adjustments applied when the process ends.

use super::{gone, ipc_get, now_secs, Cred, Ipc64Perm, IpcPermOld, Perm};
use super::{IPC_INFO, IPC_NOWAIT, IPC_RMID};
use super::{IPC_SET, IPC_STAT};
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::syscall::io::{deadline, timed_out};
use crate::kernel::syscall::names::nr;
use crate::kernel::syscall::{mem, Call, SysError, SysResult};
use crate::kernel::task::{Task, TaskState};
use crate::kernel::Kernel;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

const SEM_UNDO: i16 = 0x1000;
const GETPID: u32 = 11;
const GETVAL: u32 = 12;
const GETALL: u32 = 13;
const GETNCNT: u32 = 14;
const GETZCNT: u32 = 15;
const SETVAL: u32 = 16;
const SETALL: u32 = 17;
const SEM_STAT: u32 = 18;
const SEM_INFO: u32 = 19;
const SEM_STAT_ANY: u32 = 20;
const SEMMSL: i32 = 32000;
const SEMMNI: i32 = 32000;
const SEMOPM: u32 = 500;
const SEMVMX: i32 = 32767;

#[derive(Clone, Copy, Default)]
struct Sem {
    val: i32,
    pid: u32,
}

pub struct SemSet {
    pub perm: Perm,
    sems: Vec<Sem>,
    otime: u32,
    ctime: u32,
}

/// `struct semid64_ds` (i386): 64 bytes.
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct SemidDs {
    perm: Ipc64Perm,
    otime: u32,
    otime_high: u32,
    ctime: u32,
    ctime_high: u32,
    nsems: u32,
    unused3: u32,
    unused4: u32,
}
const _: () = assert!(std::mem::size_of::<SemidDs>() == 64);

/// `struct semid_ds` (i386, `IPC_OLD`): 44 bytes.
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct SemidDsOld {
    perm: IpcPermOld,
    otime: u32,
    ctime: u32,
    base: u32,
    pending: u32,
    pending_last: u32,
    undo: u32,
    nsems: u16,
    pad: u16,
}
const _: () = assert!(std::mem::size_of::<SemidDsOld>() == 44);

/// `struct sembuf`: 6 bytes.
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct SemBuf {
    num: u16,
    op: i16,
    flg: i16,
}

pub fn semget(k: &mut Kernel, t: &mut Task, key: i32, nsems: i32, flags: u32) -> SysResult {
    if !(0..=SEMMSL).contains(&nsems) {
        return Err(Errno::EINVAL.into());
    }
    let cred = Cred::of(t);
    let now = now_secs(k);
    let id = ipc_get(
        &mut k.ipc.sem,
        &cred,
        key,
        flags,
        |s| &s.perm,
        |s| {
            if nsems as usize > s.sems.len() {
                Err(Errno::EINVAL)
            } else {
                Ok(())
            }
        },
        |perm| {
            if nsems == 0 {
                return Err(Errno::EINVAL);
            }
            Ok(SemSet {
                perm,
                sems: vec![Sem::default(); nsems as usize],
                otime: 0,
                ctime: now,
            })
        },
    )?;
    Ok(id)
}

/// Applies `ops` to `sems` if all can proceed now. `Ok(None)`: done; `Ok(Some(i))`:
/// operation `i` must wait.
fn try_ops(sems: &mut [Sem], ops: &[SemBuf], pid: u32) -> KResult<Option<usize>> {
    let mut trial: Vec<i32> = sems.iter().map(|s| s.val).collect();
    for (i, op) in ops.iter().enumerate() {
        let v = &mut trial[op.num as usize];
        let d = i32::from(op.op);
        if d == 0 {
            if *v != 0 {
                return Ok(Some(i));
            }
        } else if *v + d < 0 {
            return Ok(Some(i));
        } else if *v + d > SEMVMX {
            return Err(Errno::ERANGE);
        } else {
            *v += d;
        }
    }
    for op in ops {
        let s = &mut sems[op.num as usize];
        s.val = trial[op.num as usize];
        s.pid = pid;
    }
    Ok(None)
}

fn read_ops(k: &mut Kernel, t: &Task, addr: u32, n: u32) -> KResult<Vec<SemBuf>> {
    let raw = mem(k, t, |m| m.read_vec(addr, n as usize * 6))?;
    Ok(raw
        .chunks_exact(6)
        .map(|b| SemBuf {
            num: u16::from_le_bytes([b[0], b[1]]),
            op: i16::from_le_bytes([b[2], b[3]]),
            flg: i16::from_le_bytes([b[4], b[5]]),
        })
        .collect())
}

/// `semop`/`semtimedop`: `timeout_ns` `None` waits forever.
pub fn semtimedop(
    k: &mut Kernel,
    t: &mut Task,
    c: &Call,
    id: i32,
    sops: u32,
    nsops: u32,
    timeout_ns: Option<u64>,
) -> SysResult {
    if nsops < 1 || id < 0 {
        return Err(Errno::EINVAL.into());
    }
    if nsops > SEMOPM {
        return Err(Errno::E2BIG.into());
    }
    let ops = read_ops(k, t, sops, nsops)?;
    let cred = Cred::of(t);
    let set = k.ipc.sem.objects.get_mut(&(id as u32)).ok_or(gone(t))?;
    if ops.iter().any(|o| o.num as usize >= set.sems.len()) {
        return Err(Errno::EFBIG.into());
    }
    let alter = ops.iter().any(|o| o.op != 0);
    if !cred.may(&set.perm, if alter { 0o2 } else { 0o4 }) {
        return Err(Errno::EACCES.into());
    }
    // Undo adjustments must stay within range.
    let undo_ops: Vec<&SemBuf> = ops.iter().filter(|o| o.flg & SEM_UNDO != 0).collect();
    if !undo_ops.is_empty() {
        let adj = k.ipc.undo.get(&cred.pid).and_then(|m| m.get(&(id as u32)));
        for o in &undo_ops {
            let cur = adj.map_or(0, |a| a[o.num as usize]);
            if (cur - i32::from(o.op)).abs() > SEMVMX {
                return Err(Errno::ERANGE.into());
            }
        }
    }
    let now = now_secs(k);
    let set = k.ipc.sem.objects.get_mut(&(id as u32)).ok_or(gone(t))?;
    match try_ops(&mut set.sems, &ops, cred.pid)? {
        None => {
            set.otime = now;
            let nsems = set.sems.len();
            if !undo_ops.is_empty() {
                let adj = k
                    .ipc
                    .undo
                    .entry(cred.pid)
                    .or_default()
                    .entry(id as u32)
                    .or_insert_with(|| vec![0; nsems]);
                for o in undo_ops {
                    adj[o.num as usize] -= i32::from(o.op);
                }
            }
            Ok(0)
        }
        Some(i) => {
            if ops[i].flg & IPC_NOWAIT as i16 != 0 {
                return Err(Errno::EAGAIN.into());
            }
            let dl = deadline(k, c, timeout_ns);
            if timeout_ns == Some(0) || timed_out(k, dl) {
                return Err(Errno::EAGAIN.into());
            }
            Err(SysError::Block(dl))
        }
    }
}

/// The set, semaphore and kind (`true`: waiting for zero) a parked task waits on.
fn waiting_on(k: &mut Kernel, task: &Task) -> Option<(u32, u16, bool)> {
    let TaskState::Parked(p) = task.state else {
        return None;
    };
    let (id, sops, nsops) = match p.nr {
        nr::IPC if matches!(p.args[0] & 0xffff, 1 | 4) => (p.args[1], p.args[4], p.args[2]),
        nr::SEMTIMEDOP_TIME64 => (p.args[0], p.args[1], p.args[2]),
        _ => return None,
    };
    if nsops > SEMOPM {
        return None;
    }
    let ops = read_ops(k, task, sops, nsops).ok()?;
    let set = k.ipc.sem.objects.get_mut(&id)?;
    if ops.iter().any(|o| o.num as usize >= set.sems.len()) {
        return None;
    }
    let mut trial = set.sems.clone();
    let i = try_ops(&mut trial, &ops, 0).ok()??;
    Some((id, ops[i].num, ops[i].op == 0))
}

/// Tasks waiting on semaphore `num` of set `id` for it to grow (or reach zero).
fn waiters(k: &mut Kernel, id: u32, num: u16, zero: bool) -> u32 {
    let tids: Vec<u32> = k.tasks.keys().copied().collect();
    let mut n = 0;
    for tid in tids {
        let Some(task) = k.tasks.remove(&tid) else {
            continue;
        };
        if waiting_on(k, &task) == Some((id, num, zero)) {
            n += 1;
        }
        k.tasks.insert(tid, task);
    }
    n
}

/// Forgets every process's undo adjustments of `id` (or of one semaphore).
fn clear_undo(k: &mut Kernel, id: u32, num: Option<usize>) {
    for sets in k.ipc.undo.values_mut() {
        match num {
            None => {
                sets.remove(&id);
            }
            Some(n) => {
                if let Some(adj) = sets.get_mut(&id) {
                    adj[n] = 0;
                }
            }
        }
    }
}

/// `semctl`; `old`: the `IPC_OLD` layouts (the multiplexer without `IPC_64`).
pub fn semctl(
    k: &mut Kernel,
    t: &mut Task,
    id: i32,
    num: i32,
    cmd: u32,
    arg: u32,
    old: bool,
) -> SysResult {
    let cmd = cmd & !super::IPC_64;
    let cred = Cred::of(t);
    if matches!(cmd, IPC_INFO | SEM_INFO) {
        let sets = &k.ipc.sem.objects;
        let (used, total) = (
            sets.len() as i32,
            sets.values().map(|s| s.sems.len() as i32).sum::<i32>(),
        );
        // struct seminfo: semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz,
        // semvmx, semaem.
        let mut info = [
            SEMMNI * SEMMSL,
            SEMMNI,
            SEMMNI * SEMMSL,
            SEMMNI * SEMMSL,
            SEMMSL,
            SEMOPM as i32,
            SEMOPM as i32,
            20,
            SEMVMX,
            SEMVMX,
        ];
        if cmd == SEM_INFO {
            info[7] = used;
            info[9] = total;
        }
        mem(k, t, |m| m.write_obj(arg, &info))?;
        return Ok(k.ipc.sem.highest_index());
    }
    let (id, by_index) = match cmd {
        SEM_STAT | SEM_STAT_ANY => {
            let found = k
                .ipc
                .sem
                .objects
                .keys()
                .find(|i| *i % super::SEQ_MULTIPLIER == id as u32)
                .copied();
            (found.ok_or(Errno::EINVAL)?, true)
        }
        _ if id < 0 => return Err(Errno::EINVAL.into()),
        _ => (id as u32, false),
    };
    let now = now_secs(k);
    let set = k.ipc.sem.objects.get_mut(&id).ok_or(Errno::EINVAL)?;
    let nsems = set.sems.len();
    let one = || -> KResult<usize> {
        if num < 0 || num as usize >= nsems {
            Err(Errno::EINVAL)
        } else {
            Ok(num as usize)
        }
    };
    let read_ok = cred.may(&set.perm, 0o4);
    let write_ok = cred.may(&set.perm, 0o2);
    match cmd {
        IPC_STAT | SEM_STAT | SEM_STAT_ANY => {
            if cmd != SEM_STAT_ANY && !read_ok {
                return Err(Errno::EACCES.into());
            }
            if old {
                let ds = SemidDsOld {
                    perm: set.perm.to_old(),
                    otime: set.otime,
                    ctime: set.ctime,
                    nsems: nsems as u16,
                    ..Default::default()
                };
                mem(k, t, |m| m.write_obj(arg, &ds))?;
            } else {
                let ds = SemidDs {
                    perm: set.perm.to_abi(),
                    otime: set.otime,
                    ctime: set.ctime,
                    nsems: nsems as u32,
                    ..Default::default()
                };
                mem(k, t, |m| m.write_obj(arg, &ds))?;
            }
            Ok(if by_index { id } else { 0 })
        }
        IPC_SET => {
            let (uid, gid, mode) = if old {
                let ds: SemidDsOld = mem(k, t, |m| m.read_obj(arg))?;
                (ds.perm.uid.into(), ds.perm.gid.into(), ds.perm.mode.into())
            } else {
                let ds: SemidDs = mem(k, t, |m| m.read_obj(arg))?;
                (ds.perm.uid, ds.perm.gid, ds.perm.mode.into())
            };
            let set = k.ipc.sem.objects.get_mut(&id).ok_or(Errno::EINVAL)?;
            if !cred.owns(&set.perm) {
                return Err(Errno::EPERM.into());
            }
            set.perm.set(uid, gid, mode);
            set.ctime = now;
            Ok(0)
        }
        IPC_RMID => {
            if !cred.owns(&set.perm) {
                return Err(Errno::EPERM.into());
            }
            k.ipc.sem.objects.remove(&id);
            clear_undo(k, id, None);
            Ok(0)
        }
        GETVAL | GETPID | GETNCNT | GETZCNT => {
            let n = one()?;
            if !read_ok {
                return Err(Errno::EACCES.into());
            }
            Ok(match cmd {
                GETVAL => set.sems[n].val as u32,
                GETPID => set.sems[n].pid,
                _ => waiters(k, id, n as u16, cmd == GETZCNT),
            })
        }
        GETALL => {
            if !read_ok {
                return Err(Errno::EACCES.into());
            }
            let vals: Vec<u8> = set
                .sems
                .iter()
                .flat_map(|s| (s.val as u16).to_le_bytes())
                .collect();
            mem(k, t, |m| m.write(arg, &vals))?;
            Ok(0)
        }
        SETVAL => {
            let n = one()?;
            if !write_ok {
                return Err(Errno::EACCES.into());
            }
            let v = arg as i32;
            if !(0..=SEMVMX).contains(&v) {
                return Err(Errno::ERANGE.into());
            }
            set.sems[n] = Sem {
                val: v,
                pid: cred.pid,
            };
            set.ctime = now;
            clear_undo(k, id, Some(n));
            Ok(0)
        }
        SETALL => {
            if !write_ok {
                return Err(Errno::EACCES.into());
            }
            let raw = mem(k, t, |m| m.read_vec(arg, nsems * 2))?;
            let vals: Vec<i32> = raw
                .chunks_exact(2)
                .map(|b| i32::from(u16::from_le_bytes([b[0], b[1]])))
                .collect();
            if vals.iter().any(|&v| v > SEMVMX) {
                return Err(Errno::ERANGE.into());
            }
            let set = k.ipc.sem.objects.get_mut(&id).ok_or(Errno::EINVAL)?;
            for (s, v) in set.sems.iter_mut().zip(vals) {
                *s = Sem {
                    val: v,
                    pid: cred.pid,
                };
            }
            set.ctime = now;
            for sets in k.ipc.undo.values_mut() {
                sets.remove(&id);
            }
            Ok(0)
        }
        _ => Err(Errno::EINVAL.into()),
    }
}

/// Applies and forgets the `SEM_UNDO` adjustments of process `pid`.
pub fn apply_undo(k: &mut Kernel, pid: u32) {
    let Some(sets) = k.ipc.undo.remove(&pid) else {
        return;
    };
    for (id, adj) in sets {
        if let Some(set) = k.ipc.sem.objects.get_mut(&id) {
            for (s, a) in set.sems.iter_mut().zip(adj) {
                if a != 0 {
                    s.val = (s.val + a).clamp(0, SEMVMX);
                    s.pid = pid;
                }
            }
        }
    }
}
