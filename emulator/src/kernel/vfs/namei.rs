//! Path resolution: components looked up one by one from the root or the working
//! directory, mounts crossed on the way down and on `..`, symbolic links followed (40 at
//! most, `ELOOP` beyond), and the reverse walk that gives `getcwd` its answer.

use super::{Loc, ProcCtx, Vfs, S_IFDIR, S_IFLNK};
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::perm::{may_access, MAY_EXEC};

/// Linux's limit on symbolic links followed in one resolution.
const MAX_SYMLINKS: u32 = 40;
pub const PATH_MAX: usize = 4096;

/// Where a resolution starts and what `/` means.
#[derive(Clone, Copy, Debug)]
pub struct Walk {
    pub root: Loc,
    pub start: Loc,
}

impl Vfs {
    /// The parent of `dir`, crossing up out of a mount at its root; `root` is its own
    /// parent.
    pub fn parent(&self, ctx: &ProcCtx, root: Loc, mut dir: Loc) -> KResult<Loc> {
        loop {
            if dir == root {
                return Ok(dir);
            }
            if dir == self.mount_root(dir.mount) {
                match self.mounts[dir.mount].on {
                    Some(at) => {
                        dir = at;
                        continue;
                    }
                    None => return Ok(dir),
                }
            }
            let up = self.lookup_here(ctx, dir, b"..")?;
            return Ok(self.cross_down(up));
        }
    }

    /// One step: `name` in `dir` (a directory), mounts crossed.
    fn step(&self, ctx: &ProcCtx, walk: &Walk, dir: Loc, name: &[u8]) -> KResult<Loc> {
        let st = self.stat(ctx, dir)?;
        if !st.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        may_access(&ctx.cred, &st, MAY_EXEC)?;
        match name {
            b"." => Ok(dir),
            b".." => self.parent(ctx, walk.root, dir),
            _ => {
                if name.len() > 255 {
                    return Err(Errno::ENAMETOOLONG);
                }
                Ok(self.cross_down(self.lookup_here(ctx, dir, name)?))
            }
        }
    }

    /// Resolves `path` to a location; the last component's symlink is followed when
    /// `follow` is set.
    pub fn resolve(&self, ctx: &ProcCtx, walk: Walk, path: &[u8], follow: bool) -> KResult<Loc> {
        let mut links = 0;
        self.resolve_inner(ctx, walk, path, follow, &mut links)
    }

    fn resolve_inner(
        &self,
        ctx: &ProcCtx,
        walk: Walk,
        path: &[u8],
        follow: bool,
        links: &mut u32,
    ) -> KResult<Loc> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        if path.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let mut at = if path[0] == b'/' {
            walk.root
        } else {
            walk.start
        };
        let trailing_slash = path.ends_with(b"/");
        let parts: Vec<&[u8]> = path
            .split(|&b| b == b'/')
            .filter(|p| !p.is_empty())
            .collect();
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let next = self.step(ctx, &walk, at, part)?;
            let st = self.stat(ctx, next)?;
            if st.file_type() == S_IFLNK && (!last || follow || trailing_slash) {
                *links += 1;
                if *links > MAX_SYMLINKS {
                    return Err(Errno::ELOOP);
                }
                let target = self.readlink(ctx, next)?;
                let sub = Walk {
                    root: walk.root,
                    start: at,
                };
                at = self.resolve_inner(ctx, sub, &target, true, links)?;
            } else {
                at = next;
            }
        }
        if trailing_slash && !self.stat(ctx, at)?.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        Ok(at)
    }

    /// Resolves all but the last component: the directory and the final name (which may
    /// be `.` or `..`, or empty for `/`). The directory is searchable by `ctx.cred` when
    /// the name is not empty (as Linux checks before looking at the last component).
    pub fn resolve_parent(
        &self,
        ctx: &ProcCtx,
        walk: Walk,
        path: &[u8],
    ) -> KResult<(Loc, Vec<u8>)> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        let trimmed = {
            let mut end = path.len();
            while end > 1 && path[end - 1] == b'/' {
                end -= 1;
            }
            &path[..end]
        };
        let (dir, name) = match trimmed.iter().rposition(|&b| b == b'/') {
            None => (walk.start, trimmed.to_vec()),
            Some(slash) => {
                let dir_path = if slash == 0 {
                    &b"/"[..]
                } else {
                    &trimmed[..slash]
                };
                (
                    self.resolve(ctx, walk, dir_path, true)?,
                    trimmed[slash + 1..].to_vec(),
                )
            }
        };
        let st = self.stat(ctx, dir)?;
        if !st.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if !name.is_empty() {
            may_access(&ctx.cred, &st, MAY_EXEC)?;
        }
        Ok((dir, name))
    }

    /// The absolute path of a directory (or any location reachable from `root`), as
    /// `getcwd` and `/proc/self/cwd` give it.
    pub fn path_of(&self, ctx: &ProcCtx, root: Loc, loc: Loc) -> KResult<Vec<u8>> {
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let mut at = loc;
        for _ in 0..256 {
            if at == root {
                break;
            }
            let (mount_root, on) = (self.mount_root(at.mount), self.mounts[at.mount].on);
            if at == mount_root {
                match on {
                    Some(p) => {
                        at = p;
                        continue;
                    }
                    None => break,
                }
            }
            let parent = self.parent(ctx, root, at)?;
            let entries = self.readdir(ctx, parent)?;
            let name = entries
                .iter()
                .find(|e| {
                    e.ino == at.ino && e.name != b"." && e.name != b".." && parent.mount == at.mount
                })
                .map(|e| e.name.clone())
                .ok_or(Errno::ENOENT)?;
            parts.push(name);
            at = parent;
        }
        let mut out = Vec::new();
        for p in parts.iter().rev() {
            out.push(b'/');
            out.extend_from_slice(p);
        }
        if out.is_empty() {
            out.push(b'/');
        }
        Ok(out)
    }

    /// The absolute path of the file `path` names, every symbolic link resolved (what
    /// `/proc/self/exe` shows).
    pub fn canonical_path(&self, ctx: &ProcCtx, mut walk: Walk, path: &[u8]) -> KResult<Vec<u8>> {
        let mut path = path.to_vec();
        for _ in 0..MAX_SYMLINKS {
            let (dir, name) = self.resolve_parent(ctx, walk, &path)?;
            if name.is_empty() || name == b"." || name == b".." {
                let loc = self.resolve(ctx, walk, &path, true)?;
                return self.path_of(ctx, walk.root, loc);
            }
            let loc = self.cross_down(self.lookup_here(ctx, dir, &name)?);
            if self.stat(ctx, loc)?.file_type() == S_IFLNK {
                path = self.readlink(ctx, loc)?;
                walk.start = dir;
                continue;
            }
            let mut out = self.path_of(ctx, walk.root, dir)?;
            if out != b"/" {
                out.push(b'/');
            }
            out.extend_from_slice(&name);
            return Ok(out);
        }
        Err(Errno::ELOOP)
    }

    /// Whether `loc` is a directory.
    pub fn is_dir(&self, ctx: &ProcCtx, loc: Loc) -> bool {
        self.stat(ctx, loc)
            .map(|s| s.mode & super::S_IFMT == S_IFDIR)
            .unwrap_or(false)
    }
}
