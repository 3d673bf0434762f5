//! Credential syscalls: the `get*id`/`set*id` families (the 16-bit originals and the
//! `*32` forms), `setfs*id`, `getgroups`/`setgroups`, with Linux's rules for what an
//! unprivileged process may change (see `kernel::perm` for what "privileged" means).

use super::names::nr;
use super::{mem, Call, SysResult};
use crate::kernel::errno::Errno;
use crate::kernel::task::{Process, Task};
use crate::kernel::Kernel;

const NGROUPS_MAX: u32 = 65536;
/// What a 16-bit call reports for an id that does not fit (`overflowuid`).
const OVERFLOW_ID: u32 = 65534;

/// Whether the call is one of the original 16-bit forms.
fn narrow(n: u32) -> bool {
    matches!(
        n,
        nr::GETUID
            | nr::GETGID
            | nr::GETEUID
            | nr::GETEGID
            | nr::SETUID
            | nr::SETGID
            | nr::SETREUID
            | nr::SETREGID
            | nr::SETRESUID
            | nr::SETRESGID
            | nr::GETRESUID
            | nr::GETRESGID
            | nr::SETFSUID
            | nr::SETFSGID
            | nr::GETGROUPS
            | nr::SETGROUPS
    )
}

/// An id argument: a 16-bit `-1` widens to `-1`.
fn id_arg(c: &Call, i: usize) -> u32 {
    let v = c.arg(i);
    if narrow(c.nr) {
        if v as u16 == u16::MAX {
            u32::MAX
        } else {
            v & 0xffff
        }
    } else {
        v
    }
}

/// An id result for the call's width.
fn id_ret(c: &Call, id: u32) -> u32 {
    if narrow(c.nr) && id > 0xffff {
        OVERFLOW_ID
    } else {
        id
    }
}

fn is_user_call(n: u32) -> bool {
    matches!(
        n,
        nr::GETUID
            | nr::GETUID32
            | nr::GETEUID
            | nr::GETEUID32
            | nr::SETUID
            | nr::SETUID32
            | nr::SETREUID
            | nr::SETREUID32
            | nr::SETRESUID
            | nr::SETRESUID32
            | nr::GETRESUID
            | nr::GETRESUID32
            | nr::SETFSUID
            | nr::SETFSUID32
    )
}

/// The (real, effective, saved, filesystem) ids of the kind the call is about.
fn ids(p: &Process, user: bool) -> [u32; 4] {
    if user {
        [p.uid, p.euid, p.suid, p.fsuid]
    } else {
        [p.gid, p.egid, p.sgid, p.fsgid]
    }
}

fn set_ids(p: &mut Process, user: bool, v: [u32; 4]) {
    if user {
        let had_root = [p.uid, p.euid, p.suid].contains(&0);
        let was_root = p.euid == 0;
        [p.uid, p.euid, p.suid, p.fsuid] = v;
        if had_root && !v[..3].contains(&0) {
            p.caps_kept = p.keep_caps;
        }
        if was_root && v[1] != 0 || !p.caps_kept && !v[..3].contains(&0) {
            p.caps_raised = false;
        }
    } else {
        [p.gid, p.egid, p.sgid, p.fsgid] = v;
    }
}

pub fn getuid(_k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let p = t.process.borrow();
    let id = match c.nr {
        nr::GETUID | nr::GETUID32 => p.uid,
        nr::GETEUID | nr::GETEUID32 => p.euid,
        nr::GETGID | nr::GETGID32 => p.gid,
        _ => p.egid,
    };
    Ok(id_ret(c, id))
}

/// `setuid`/`setgid`: privileged sets all ids; otherwise only the effective (and
/// filesystem) id, to the real or saved one.
pub fn setuid(_k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let user = is_user_call(c.nr);
    let id = id_arg(c, 0);
    if id == u32::MAX {
        return Err(Errno::EINVAL.into());
    }
    let mut p = t.process.borrow_mut();
    let [mut r, _, mut s, _] = ids(&p, user);
    if p.privileged() {
        (r, s) = (id, id);
    } else if id != r && id != s {
        return Err(Errno::EPERM.into());
    }
    set_ids(&mut p, user, [r, id, s, id]);
    Ok(0)
}

/// `setreuid`/`setregid`.
pub fn setreuid(_k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let user = is_user_call(c.nr);
    let (nr_, ne) = (id_arg(c, 0), id_arg(c, 1));
    let mut p = t.process.borrow_mut();
    let privileged = p.privileged();
    let [r, e, s, _] = ids(&p, user);
    let (mut r2, mut e2, mut s2) = (r, e, s);
    if nr_ != u32::MAX {
        if !privileged && nr_ != r && nr_ != e {
            return Err(Errno::EPERM.into());
        }
        r2 = nr_;
    }
    if ne != u32::MAX {
        if !privileged && ne != r && ne != e && ne != s {
            return Err(Errno::EPERM.into());
        }
        e2 = ne;
    }
    if nr_ != u32::MAX || (ne != u32::MAX && ne != r) {
        s2 = e2;
    }
    set_ids(&mut p, user, [r2, e2, s2, e2]);
    Ok(0)
}

/// `setresuid`/`setresgid`: unprivileged, each new id must be one of the current three.
pub fn setresuid(_k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let user = is_user_call(c.nr);
    let want = [id_arg(c, 0), id_arg(c, 1), id_arg(c, 2)];
    let mut p = t.process.borrow_mut();
    let cur = ids(&p, user);
    if !p.privileged() {
        let allowed = |id: u32| id == u32::MAX || cur[..3].contains(&id);
        if !want.iter().all(|&id| allowed(id)) {
            return Err(Errno::EPERM.into());
        }
    }
    let pick = |new: u32, old: u32| if new == u32::MAX { old } else { new };
    let (r, e, s) = (
        pick(want[0], cur[0]),
        pick(want[1], cur[1]),
        pick(want[2], cur[2]),
    );
    set_ids(&mut p, user, [r, e, s, e]);
    Ok(0)
}

pub fn getresuid(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let user = is_user_call(c.nr);
    let v = ids(&t.process.borrow(), user);
    for (i, &raw) in v.iter().take(3).enumerate() {
        let id = id_ret(c, raw);
        if narrow(c.nr) {
            mem(k, t, |m| m.write(c.arg(i), &(id as u16).to_le_bytes()))?;
        } else {
            mem(k, t, |m| m.write_u32(c.arg(i), id))?;
        }
    }
    Ok(0)
}

/// `setfsuid`/`setfsgid`: returns the old filesystem id; changes it when allowed, and
/// never fails.
pub fn setfsuid(_k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let user = is_user_call(c.nr);
    let id = id_arg(c, 0);
    let mut p = t.process.borrow_mut();
    let mut v = ids(&p, user);
    let old = v[3];
    if id != u32::MAX && (p.privileged() || v.contains(&id)) {
        v[3] = id;
        set_ids(&mut p, user, v);
    }
    Ok(id_ret(c, old))
}

pub fn getgroups(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let groups = t.process.borrow().groups.clone();
    let size = c.int(0);
    if size < 0 {
        return Err(Errno::EINVAL.into());
    }
    if size == 0 {
        return Ok(groups.len() as u32);
    }
    if (size as usize) < groups.len() {
        return Err(Errno::EINVAL.into());
    }
    let bytes: Vec<u8> = if narrow(c.nr) {
        groups
            .iter()
            .flat_map(|&g| (id_ret(c, g) as u16).to_le_bytes())
            .collect()
    } else {
        groups.iter().flat_map(|g| g.to_le_bytes()).collect()
    };
    mem(k, t, |m| m.write(c.arg(1), &bytes))?;
    Ok(groups.len() as u32)
}

pub fn setgroups(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let size = c.arg(0);
    if size > NGROUPS_MAX {
        return Err(Errno::EINVAL.into());
    }
    if !t.process.borrow().privileged() {
        return Err(Errno::EPERM.into());
    }
    let width = if narrow(c.nr) { 2 } else { 4 };
    let bytes = mem(k, t, |m| m.read_vec(c.arg(1), size as usize * width))?;
    let mut groups: Vec<u32> = bytes
        .chunks(width)
        .map(|b| {
            if width == 2 {
                u32::from(u16::from_le_bytes([b[0], b[1]]))
            } else {
                u32::from_le_bytes([b[0], b[1], b[2], b[3]])
            }
        })
        .collect();
    groups.sort_unstable();
    groups.dedup();
    t.process.borrow_mut().groups = groups;
    Ok(0)
}

/// Capability sets as `capget` reports them: all of them for an effective uid of 0
/// (the full set up to `CAP_LAST_CAP` 40), none otherwise.
fn cap_words(p: &Process) -> [u32; 2] {
    if p.privileged() {
        [u32::MAX, 0x1ff]
    } else {
        [0, 0]
    }
}

const LINUX_CAPABILITY_VERSION_1: u32 = 0x1998_0330;
const LINUX_CAPABILITY_VERSION_2: u32 = 0x2007_1026;
const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// The version check both calls share: an unknown version is answered with the
/// preferred one and `EINVAL`; returns how many 32-bit words the caller's sets have.
fn cap_header(k: &mut Kernel, t: &Task, header: u32) -> Result<usize, super::SysError> {
    let version = mem(k, t, |m| m.read_u32(header))?;
    match version {
        LINUX_CAPABILITY_VERSION_1 => Ok(1),
        LINUX_CAPABILITY_VERSION_2 | LINUX_CAPABILITY_VERSION_3 => Ok(2),
        _ => {
            mem(k, t, |m| m.write_u32(header, LINUX_CAPABILITY_VERSION_3))?;
            Err(Errno::EINVAL.into())
        }
    }
}

/// `capget`: effective, permitted and inheritable sets of the caller (or another
/// process: the same rule applies to its ids).
pub fn capget(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let words = cap_header(k, t, c.arg(0))?;
    if c.arg(1) == 0 {
        return Ok(0);
    }
    let caps = cap_words(&t.process.borrow());
    let mut out = Vec::new();
    for w in caps.iter().take(words) {
        out.extend_from_slice(&w.to_le_bytes()); // effective
        out.extend_from_slice(&w.to_le_bytes()); // permitted
        out.extend_from_slice(&0u32.to_le_bytes()); // inheritable
    }
    mem(k, t, |m| m.write(c.arg(1), &out))?;
    Ok(0)
}

/// `capset`: accepted without effect (privilege follows the effective uid here) by a
/// process that may hold capabilities, one with a uid of 0 among its real, effective
/// and saved ones (as after `PR_SET_KEEPCAPS` and `setresuid`, what `setpriv` does);
/// another may only ask for nothing.
pub fn capset(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let words = cap_header(k, t, c.arg(0))?;
    let data = mem(k, t, |m| m.read_vec(c.arg(1), 12 * words))?;
    let asks = data.chunks(12).any(|set| set[..8].iter().any(|&b| b != 0));
    let may_hold = {
        let p = t.process.borrow();
        p.uid == 0 || p.euid == 0 || p.suid == 0 || p.caps_kept
    };
    if asks && !may_hold {
        return Err(Errno::EPERM.into());
    }
    let effective = data.chunks(12).any(|set| set[..4].iter().any(|&b| b != 0));
    let mut p = t.process.borrow_mut();
    p.caps_raised = effective && p.euid != 0;
    Ok(0)
}

const PR_CAPBSET_READ: u32 = 23;
const PR_CAPBSET_DROP: u32 = 24;
const PR_GET_KEEPCAPS: u32 = 7;
const PR_SET_KEEPCAPS: u32 = 8;
const PR_GET_SECUREBITS: u32 = 27;
const PR_SET_NO_NEW_PRIVS: u32 = 38;
const PR_GET_NO_NEW_PRIVS: u32 = 39;
const CAP_LAST_CAP: u32 = 40;

/// The `prctl` options about credentials; `None` for other options.
pub fn prctl(t: &mut Task, c: &Call) -> Option<SysResult> {
    let arg = c.arg(1);
    Some(match c.arg(0) {
        PR_GET_KEEPCAPS => Ok(u32::from(t.process.borrow().keep_caps)),
        PR_GET_SECUREBITS | PR_GET_NO_NEW_PRIVS => Ok(0),
        PR_SET_NO_NEW_PRIVS if arg == 1 => Ok(0),
        PR_CAPBSET_READ if arg <= CAP_LAST_CAP => Ok(1),
        PR_CAPBSET_DROP if arg <= CAP_LAST_CAP => {
            if t.process.borrow().privileged() {
                Ok(0)
            } else {
                Err(Errno::EPERM.into())
            }
        }
        PR_SET_KEEPCAPS if arg <= 1 => {
            t.process.borrow_mut().keep_caps = arg == 1;
            Ok(0)
        }
        PR_SET_KEEPCAPS | PR_SET_NO_NEW_PRIVS | PR_CAPBSET_READ | PR_CAPBSET_DROP => {
            Err(Errno::EINVAL.into())
        }
        _ => return None,
    })
}
