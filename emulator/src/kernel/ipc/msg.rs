//! System V message queues: `msgget`, `msgsnd` (waits while the queue is full),
//! `msgrcv` (by type: the first, the first of a type, of any other type with
//! `MSG_EXCEPT`, or the lowest type up to a bound; `MSG_NOERROR` truncates, `MSG_COPY`
//! peeks by position), `msgctl`. A message is `long mtype` (4 bytes on i386) and text.

use super::{gone, ipc_get, now_secs, Cred, Ipc64Perm, IpcPermOld, Perm};
use super::{IPC_INFO, IPC_NOWAIT, IPC_RMID};
use super::{IPC_SET, IPC_STAT};
use crate::kernel::errno::Errno;
use crate::kernel::syscall::{mem, SysError, SysResult};
use crate::kernel::task::Task;
use crate::kernel::Kernel;
use std::collections::VecDeque;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

const MSG_NOERROR: u32 = 0o10000;
const MSG_EXCEPT: u32 = 0o20000;
const MSG_COPY: u32 = 0o40000;
const MSG_STAT: u32 = 11;
const MSG_INFO: u32 = 12;
const MSG_STAT_ANY: u32 = 13;
const MSGMAX: u32 = 8192;
const MSGMNB: u32 = 16384;
const MSGMNI: i32 = 32000;

pub struct Queue {
    pub perm: Perm,
    msgs: VecDeque<(i32, Vec<u8>)>,
    qbytes: u32,
    stime: u32,
    rtime: u32,
    ctime: u32,
    lspid: u32,
    lrpid: u32,
}

impl Queue {
    fn cbytes(&self) -> u64 {
        self.msgs.iter().map(|m| m.1.len() as u64).sum()
    }
}

/// `struct msqid64_ds` (i386): 88 bytes.
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct MsqidDs {
    perm: Ipc64Perm,
    stime: u32,
    stime_high: u32,
    rtime: u32,
    rtime_high: u32,
    ctime: u32,
    ctime_high: u32,
    cbytes: u32,
    qnum: u32,
    qbytes: u32,
    lspid: u32,
    lrpid: u32,
    unused4: u32,
    unused5: u32,
}
const _: () = assert!(std::mem::size_of::<MsqidDs>() == 88);

/// `struct msqid_ds` (i386, `IPC_OLD`): 56 bytes.
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct MsqidDsOld {
    perm: IpcPermOld,
    first: u32,
    last: u32,
    stime: u32,
    rtime: u32,
    ctime: u32,
    lcbytes: u32,
    lqbytes: u32,
    cbytes: u16,
    qnum: u16,
    qbytes: u16,
    lspid: u16,
    lrpid: u16,
    pad: u16,
}
const _: () = assert!(std::mem::size_of::<MsqidDsOld>() == 56);

pub fn msgget(k: &mut Kernel, t: &mut Task, key: i32, flags: u32) -> SysResult {
    let cred = Cred::of(t);
    let now = now_secs(k);
    let id = ipc_get(
        &mut k.ipc.msg,
        &cred,
        key,
        flags,
        |q| &q.perm,
        |_| Ok(()),
        |perm| {
            Ok(Queue {
                perm,
                msgs: VecDeque::new(),
                qbytes: MSGMNB,
                stime: 0,
                rtime: 0,
                ctime: now,
                lspid: 0,
                lrpid: 0,
            })
        },
    )?;
    Ok(id)
}

fn would_block(flags: u32, nowait: Errno) -> SysError {
    if flags & IPC_NOWAIT != 0 {
        nowait.into()
    } else {
        SysError::Block(None)
    }
}

pub fn msgsnd(
    k: &mut Kernel,
    t: &mut Task,
    id: i32,
    msgp: u32,
    size: u32,
    flags: u32,
) -> SysResult {
    if size > MSGMAX || id < 0 {
        return Err(Errno::EINVAL.into());
    }
    let mtype = mem(k, t, |m| m.read_u32(msgp))? as i32;
    if mtype < 1 {
        return Err(Errno::EINVAL.into());
    }
    let text = mem(k, t, |m| m.read_vec(msgp.wrapping_add(4), size as usize))?;
    let cred = Cred::of(t);
    let now = now_secs(k);
    let q = k.ipc.msg.objects.get_mut(&(id as u32)).ok_or(gone(t))?;
    if !cred.may(&q.perm, 0o2) {
        return Err(Errno::EACCES.into());
    }
    if u64::from(size) + q.cbytes() > u64::from(q.qbytes)
        || q.msgs.len() as u64 >= u64::from(q.qbytes)
    {
        return Err(would_block(flags, Errno::EAGAIN));
    }
    q.msgs.push_back((mtype, text));
    q.lspid = cred.pid;
    q.stime = now;
    Ok(0)
}

/// The position of the message `msgrcv` would take.
fn pick(q: &Queue, msgtyp: i32, flags: u32) -> Option<usize> {
    if flags & MSG_COPY != 0 {
        return (msgtyp >= 0 && (msgtyp as usize) < q.msgs.len()).then_some(msgtyp as usize);
    }
    let msgs = &q.msgs;
    match msgtyp {
        0 => (!msgs.is_empty()).then_some(0),
        t if t > 0 && flags & MSG_EXCEPT != 0 => msgs.iter().position(|m| m.0 != t),
        t if t > 0 => msgs.iter().position(|m| m.0 == t),
        t => {
            let bound = t.unsigned_abs();
            let mut best: Option<usize> = None;
            for (i, m) in msgs.iter().enumerate() {
                if (m.0 as u32) <= bound && best.map_or(true, |b| m.0 < msgs[b].0) {
                    best = Some(i);
                }
            }
            best
        }
    }
}

pub fn msgrcv(
    k: &mut Kernel,
    t: &mut Task,
    id: i32,
    msgp: u32,
    size: u32,
    msgtyp: i32,
    flags: u32,
) -> SysResult {
    if (size as i32) < 0 || id < 0 {
        return Err(Errno::EINVAL.into());
    }
    if flags & MSG_COPY != 0 && (flags & MSG_EXCEPT != 0 || flags & IPC_NOWAIT == 0) {
        return Err(Errno::EINVAL.into());
    }
    let cred = Cred::of(t);
    let now = now_secs(k);
    let q = k.ipc.msg.objects.get_mut(&(id as u32)).ok_or(gone(t))?;
    if !cred.may(&q.perm, 0o4) {
        return Err(Errno::EACCES.into());
    }
    let Some(i) = pick(q, msgtyp, flags) else {
        return Err(would_block(flags, Errno::ENOMSG));
    };
    let (mtype, text) = q.msgs[i].clone();
    if text.len() > size as usize && flags & MSG_NOERROR == 0 {
        return Err(Errno::E2BIG.into());
    }
    let n = text.len().min(size as usize);
    let mut out = Vec::with_capacity(4 + n);
    out.extend_from_slice(&mtype.to_le_bytes());
    out.extend_from_slice(&text[..n]);
    mem(k, t, |m| m.write(msgp, &out))?;
    if flags & MSG_COPY == 0 {
        let q = k
            .ipc
            .msg
            .objects
            .get_mut(&(id as u32))
            .ok_or(Errno::EINVAL)?;
        q.msgs.remove(i);
        q.lrpid = cred.pid;
        q.rtime = now;
    }
    Ok(n as u32)
}

fn stat_of(q: &Queue) -> MsqidDs {
    MsqidDs {
        perm: q.perm.to_abi(),
        stime: q.stime,
        rtime: q.rtime,
        ctime: q.ctime,
        cbytes: q.cbytes().min(u64::from(u32::MAX)) as u32,
        qnum: q.msgs.len() as u32,
        qbytes: q.qbytes,
        lspid: q.lspid,
        lrpid: q.lrpid,
        ..Default::default()
    }
}

/// `msgctl`; `old`: the `IPC_OLD` layouts (the multiplexer without `IPC_64`).
pub fn msgctl(k: &mut Kernel, t: &mut Task, id: i32, cmd: u32, buf: u32, old: bool) -> SysResult {
    let cmd = cmd & !super::IPC_64;
    let cred = Cred::of(t);
    if matches!(cmd, IPC_INFO | MSG_INFO) {
        let qs = &k.ipc.msg.objects;
        // struct msginfo: msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql (int),
        // msgseg (unsigned short).
        let mut info: [i32; 8] = [
            MSGMNI * MSGMNB as i32 / 1024,
            MSGMNB as i32,
            MSGMAX as i32,
            MSGMNB as i32,
            MSGMNI,
            16,
            MSGMNB as i32,
            0xffff,
        ];
        if cmd == MSG_INFO {
            info[0] = qs.len() as i32;
            let count: u64 = qs.values().map(|q| q.msgs.len() as u64).sum();
            let bytes: u64 = qs.values().map(Queue::cbytes).sum();
            info[1] = count.min(i32::MAX as u64) as i32;
            info[6] = bytes.min(i32::MAX as u64) as i32;
        }
        mem(k, t, |m| m.write_obj(buf, &info))?;
        return Ok(k.ipc.msg.highest_index());
    }
    let (id, by_index) = match cmd {
        MSG_STAT | MSG_STAT_ANY => {
            let found = k
                .ipc
                .msg
                .objects
                .keys()
                .find(|i| *i % super::SEQ_MULTIPLIER == id as u32)
                .copied();
            (found.ok_or(Errno::EINVAL)?, true)
        }
        _ if id < 0 => return Err(Errno::EINVAL.into()),
        _ => (id as u32, false),
    };
    let q = k.ipc.msg.objects.get(&id).ok_or(Errno::EINVAL)?;
    match cmd {
        IPC_STAT | MSG_STAT | MSG_STAT_ANY => {
            if cmd != MSG_STAT_ANY && !cred.may(&q.perm, 0o4) {
                return Err(Errno::EACCES.into());
            }
            let ds = stat_of(q);
            if old {
                let short = |v: u32| v.min(0xffff) as u16;
                let ds = MsqidDsOld {
                    perm: q.perm.to_old(),
                    stime: ds.stime,
                    rtime: ds.rtime,
                    ctime: ds.ctime,
                    cbytes: short(ds.cbytes),
                    qnum: short(ds.qnum),
                    qbytes: short(ds.qbytes),
                    lspid: ds.lspid as u16,
                    lrpid: ds.lrpid as u16,
                    ..Default::default()
                };
                mem(k, t, |m| m.write_obj(buf, &ds))?;
            } else {
                mem(k, t, |m| m.write_obj(buf, &ds))?;
            }
            Ok(if by_index { id } else { 0 })
        }
        IPC_SET => {
            let (uid, gid, mode, qbytes) = if old {
                // As Linux's 32-bit compatibility layer: the 16-bit fields only
                // (`msg_lcbytes`/`msg_lqbytes` stay unused both ways).
                let ds: MsqidDsOld = mem(k, t, |m| m.read_obj(buf))?;
                let p = ds.perm;
                (p.uid.into(), p.gid.into(), p.mode.into(), ds.qbytes.into())
            } else {
                let ds: MsqidDs = mem(k, t, |m| m.read_obj(buf))?;
                (ds.perm.uid, ds.perm.gid, ds.perm.mode.into(), ds.qbytes)
            };
            let now = now_secs(k);
            let q = k.ipc.msg.objects.get_mut(&id).ok_or(Errno::EINVAL)?;
            if !cred.owns(&q.perm) {
                return Err(Errno::EPERM.into());
            }
            if qbytes > MSGMNB && cred.uid != 0 {
                return Err(Errno::EPERM.into());
            }
            q.qbytes = qbytes;
            q.perm.set(uid, gid, mode);
            q.ctime = now;
            Ok(0)
        }
        IPC_RMID => {
            if !cred.owns(&q.perm) {
                return Err(Errno::EPERM.into());
            }
            k.ipc.msg.objects.remove(&id);
            Ok(0)
        }
        _ => Err(Errno::EINVAL.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(types: &[i32]) -> Queue {
        Queue {
            perm: Perm {
                key: 0,
                uid: 0,
                gid: 0,
                cuid: 0,
                cgid: 0,
                mode: 0o600,
                seq: 0,
            },
            msgs: types.iter().map(|&t| (t, vec![])).collect(),
            qbytes: MSGMNB,
            stime: 0,
            rtime: 0,
            ctime: 0,
            lspid: 0,
            lrpid: 0,
        }
    }

    #[test]
    fn msgtyp_selects_like_linux() {
        let q = queue(&[3, 1, 2, 1]);
        assert_eq!(pick(&q, 0, 0), Some(0));
        assert_eq!(pick(&q, 2, 0), Some(2));
        assert_eq!(pick(&q, 3, MSG_EXCEPT), Some(1));
        assert_eq!(pick(&q, -2, 0), Some(1));
        assert_eq!(pick(&q, -5, 0), Some(1));
        assert_eq!(pick(&q, 7, 0), None);
        assert_eq!(pick(&q, 3, MSG_COPY), Some(3));
        assert_eq!(pick(&q, 4, MSG_COPY), None);
    }
}
