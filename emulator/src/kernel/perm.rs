//! Discretionary access control as Linux does it: the credentials a check uses and the
//! one permission function every path operation goes through.
//!
//! A process has real, effective, saved and filesystem user and group ids
//! ([`super::task::Process`]); file checks use the filesystem ids (which follow the
//! effective ones unless `setfsuid` moved them), `access` uses the real ones. There are
//! no capability sets: a process is privileged (`CAP_DAC_OVERRIDE`, `CAP_FOWNER`,
//! `CAP_CHOWN`, ...) when the id of the check is 0, and may change its ids freely
//! (`CAP_SETUID`, `CAP_SETGID`) when its effective uid is 0. Linux clears and restores
//! the capability sets on the same transitions, so the two agree for programs that do
//! not call `capset`. One `capset` case is kept: capabilities kept over a drop of every
//! uid 0 (`PR_SET_KEEPCAPS`) and raised again make the process privileged as a whole
//! until it execs (what `setpriv --reuid` does).

use super::errno::{Errno, KResult};
use super::vfs::{Stat, S_IFDIR, S_IFMT};

pub const MAY_EXEC: u32 = 1;
pub const MAY_WRITE: u32 = 2;
pub const MAY_READ: u32 = 4;

pub const S_ISUID: u32 = 0o4000;
pub const S_ISGID: u32 = 0o2000;
pub const S_ISVTX: u32 = 0o1000;

/// The identity one check is made with.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Cred {
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
    /// Holds the capabilities that override these checks (root's).
    pub cap: bool,
}

impl Cred {
    /// The superuser (for the kernel's own lookups).
    pub fn root() -> Cred {
        Cred {
            cap: true,
            ..Cred::default()
        }
    }

    /// Whether the check is made with root's privileges (capabilities).
    pub fn privileged(&self) -> bool {
        self.cap
    }

    /// `in_group_p`: `gid` is the check's group or a supplementary one.
    pub fn in_group(&self, gid: u32) -> bool {
        self.gid == gid || self.groups.contains(&gid)
    }

    /// `inode_owner_or_capable`: owns the inode or is privileged.
    pub fn owns(&self, st: &Stat) -> bool {
        self.privileged() || self.uid == st.uid
    }
}

/// `generic_permission`: may `cred` access an inode of `st` for `want` (`MAY_*` bits)?
/// The owner class applies to the owner even if the others have more; root passes
/// every check except executing a non-directory that has no execute bit at all.
pub fn may_access(cred: &Cred, st: &Stat, want: u32) -> KResult<()> {
    let want = want & 7;
    let bits = if cred.uid == st.uid {
        (st.mode >> 6) & 7
    } else if cred.in_group(st.gid) {
        (st.mode >> 3) & 7
    } else {
        st.mode & 7
    };
    if want & !bits == 0 {
        return Ok(());
    }
    if cred.privileged() {
        let is_dir = st.mode & S_IFMT == S_IFDIR;
        if want & MAY_EXEC == 0 || is_dir || st.mode & 0o111 != 0 {
            return Ok(());
        }
    }
    Err(Errno::EACCES)
}

/// The sticky-directory rule for removing or replacing `victim` in `dir`: in a sticky
/// directory only the victim's owner, the directory's owner or root may.
pub fn sticky_allows(cred: &Cred, dir: &Stat, victim: &Stat) -> bool {
    dir.mode & S_ISVTX == 0 || cred.privileged() || cred.uid == victim.uid || cred.uid == dir.uid
}

/// `may_delete`'s permission part: write and search on the directory, then the sticky
/// rule (`EPERM`).
pub fn may_delete(cred: &Cred, dir: &Stat, victim: &Stat) -> KResult<()> {
    may_access(cred, dir, MAY_WRITE | MAY_EXEC)?;
    if !sticky_allows(cred, dir, victim) {
        return Err(Errno::EPERM);
    }
    Ok(())
}

/// `may_linkat` with `fs.protected_hardlinks` on (as Debian sets it): without owning
/// the file, only a regular file one may read and write, and that is not set-user-ID or
/// executable set-group-ID, may get a new name (`EPERM`).
pub fn may_link(cred: &Cred, st: &Stat) -> KResult<()> {
    if cred.owns(st) {
        return Ok(());
    }
    let safe = st.mode & S_IFMT == super::vfs::S_IFREG
        && st.mode & S_ISUID == 0
        && st.mode & (S_ISGID | 0o010) != (S_ISGID | 0o010)
        && may_access(cred, st, MAY_READ | MAY_WRITE).is_ok();
    if safe {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// `chmod` of an inode: owner or root (`EPERM`); without privilege the set-group-ID bit
/// is dropped unless the caller is in the file's group. Returns the bits to store.
pub fn chmod_bits(cred: &Cred, st: &Stat, mode: u32) -> KResult<u32> {
    if !cred.owns(st) {
        return Err(Errno::EPERM);
    }
    let mut mode = mode & 0o7777;
    if !cred.privileged() && !cred.in_group(st.gid) {
        mode &= !S_ISGID;
    }
    Ok(mode)
}

/// `chown`: root may set anything; the owner may only "change" the user to itself and
/// the group to one of its groups. `u32::MAX` leaves an id. Returns the new owner and,
/// for non-directories, the mode with the set-id bits Linux clears on every chown.
pub fn chown_check(
    cred: &Cred,
    st: &Stat,
    uid: u32,
    gid: u32,
) -> KResult<((u32, u32), Option<u32>)> {
    let new_uid = if uid == u32::MAX { st.uid } else { uid };
    let new_gid = if gid == u32::MAX { st.gid } else { gid };
    if !cred.privileged() {
        let uid_ok = uid == u32::MAX || (uid == st.uid && cred.uid == st.uid);
        let gid_ok =
            gid == u32::MAX || (cred.uid == st.uid && (gid == st.gid || cred.in_group(gid)));
        if !uid_ok || !gid_ok {
            return Err(Errno::EPERM);
        }
    }
    let mut perm = st.mode & 0o7777;
    if st.mode & S_IFMT != S_IFDIR {
        perm &= !S_ISUID;
        if perm & 0o010 != 0 {
            perm &= !S_ISGID;
        }
    }
    let changed = perm != st.mode & 0o7777;
    Ok(((new_uid, new_gid), changed.then_some(perm)))
}

/// Owner and mode of a new inode in `dir` (`inode_init_owner`): the group and, for
/// directories, the set-group-ID bit come from a set-group-ID directory.
pub fn new_inode_owner(cred: &Cred, dir: &Stat, mode: u32) -> ((u32, u32), u32) {
    let mut mode = mode;
    if dir.mode & S_ISGID != 0 {
        if mode & S_IFMT == S_IFDIR {
            mode |= S_ISGID;
        } else if mode & S_ISGID != 0
            && mode & 0o010 != 0
            && !cred.in_group(dir.gid)
            && !cred.privileged()
        {
            mode &= !S_ISGID;
        }
        return ((cred.uid, dir.gid), mode);
    }
    ((cred.uid, cred.gid), mode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::vfs::S_IFREG;

    fn file(mode: u32, uid: u32, gid: u32) -> Stat {
        Stat {
            mode: S_IFREG | mode,
            uid,
            gid,
            ..Stat::default()
        }
    }

    fn user(uid: u32, gid: u32, groups: &[u32]) -> Cred {
        Cred {
            uid,
            gid,
            groups: groups.to_vec(),
            cap: false,
        }
    }

    #[test]
    fn classes_and_root() {
        let u = user(1000, 1000, &[24]);
        assert!(may_access(&u, &file(0o644, 1000, 1000), MAY_READ | MAY_WRITE).is_ok());
        assert!(may_access(&u, &file(0o644, 0, 0), MAY_WRITE).is_err());
        assert!(
            may_access(&u, &file(0o064, 0, 24), MAY_WRITE).is_ok(),
            "supplementary group"
        );
        assert!(
            may_access(&u, &file(0o077, 1000, 0), MAY_READ).is_err(),
            "owner class wins"
        );
        let root = Cred::root();
        assert!(may_access(&root, &file(0o000, 5, 5), MAY_READ | MAY_WRITE).is_ok());
        assert!(may_access(&root, &file(0o644, 5, 5), MAY_EXEC).is_err());
        assert!(may_access(&root, &file(0o001, 5, 5), MAY_EXEC).is_ok());
        let dir = Stat {
            mode: S_IFDIR,
            ..Stat::default()
        };
        assert!(may_access(&root, &dir, MAY_EXEC).is_ok());
    }

    #[test]
    fn sticky_and_chown() {
        let u = user(1000, 1000, &[]);
        let tmp = Stat {
            mode: S_IFDIR | 0o1777,
            ..Stat::default()
        };
        assert_eq!(may_delete(&u, &tmp, &file(0o644, 0, 0)), Err(Errno::EPERM));
        assert!(may_delete(&u, &tmp, &file(0o644, 1000, 0)).is_ok());
        assert_eq!(
            chown_check(&u, &file(0o644, 1000, 1000), 0, u32::MAX),
            Err(Errno::EPERM)
        );
        assert!(chown_check(&u, &file(0o644, 1000, 1000), 1000, 1000).is_ok());
        let (_, mode) = chown_check(&Cred::root(), &file(0o6755, 1, 1), 2, 2).unwrap();
        assert_eq!(mode, Some(0o755));
        assert_eq!(chmod_bits(&u, &file(0o644, 1000, 50), 0o2755), Ok(0o755));
    }
}
