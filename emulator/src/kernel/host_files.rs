//! The frontends' file API: reading and writing a guest file by absolute path from
//! outside the guest (the browser's upload and download, automation), through the VFS
//! like a root process would, so it works whatever state the guest's shell is in.
//!
//! Calls happen between [`Kernel::run`] slices, when every task is in the task table.
//! Paths resolve from the root of the first live task (symlinks followed, mounts
//! crossed); a machine with no process left has no view of its tree to offer.

use super::errno::{Errno, KResult};
use super::exec::proc_ctx;
use super::vfs::namei::Walk;
use super::vfs::{Loc, SetAttr, Stat, S_IFMT, S_IFREG};
use super::Kernel;

/// Largest file [`Kernel::read_guest_file`] returns (it is held in memory whole).
pub const MAX_HOST_FILE: u64 = 1 << 30;

/// How much is read or written per filesystem call.
const STEP: usize = 1 << 20;

/// Only regular files are read or written whole (`EISDIR` for a directory).
fn regular(st: &Stat) -> KResult<()> {
    match st.mode & S_IFMT {
        S_IFREG => Ok(()),
        _ if st.is_dir() => Err(Errno::EISDIR),
        _ => Err(Errno::EINVAL),
    }
}

impl Kernel {
    /// A walk from the root of the lowest-numbered live task.
    fn host_walk(&self) -> KResult<(u32, Walk)> {
        let (&tid, task) = self.tasks.iter().next().ok_or(Errno::ESRCH)?;
        let root = task.fs.borrow().root;
        Ok((tid, Walk { root, start: root }))
    }

    fn host_resolve(&self, path: &[u8]) -> KResult<Loc> {
        if !path.starts_with(b"/") {
            return Err(Errno::EINVAL);
        }
        let (tid, walk) = self.host_walk()?;
        let ctx = proc_ctx(self, &self.tasks[&tid]);
        self.vfs.resolve(&ctx, walk, path, true)
    }

    /// The whole content of the regular file at `path`.
    pub fn read_guest_file(&mut self, path: &[u8]) -> KResult<Vec<u8>> {
        let loc = self.host_resolve(path)?;
        let fs = self.vfs.disk(loc.mount).ok_or(Errno::EACCES)?;
        let mut fs = fs.borrow_mut();
        let st = fs.stat(loc.ino)?;
        regular(&st)?;
        if st.size > MAX_HOST_FILE {
            return Err(Errno::EFBIG);
        }
        let mut data = vec![0u8; st.size as usize];
        let mut done = 0;
        while done < data.len() {
            let end = (done + STEP).min(data.len());
            let n = fs.read(loc.ino, done as u64, &mut data[done..end])?;
            if n == 0 {
                break;
            }
            done += n;
        }
        data.truncate(done);
        Ok(data)
    }

    /// Replaces the content of the file at `path` with `data`, creating it (mode 0644,
    /// owned like its directory, so an upload into a home directory belongs to its
    /// user) when it does not exist.
    pub fn write_guest_file(&mut self, path: &[u8], data: &[u8]) -> KResult<()> {
        if data.len() as u64 > MAX_HOST_FILE {
            return Err(Errno::EFBIG);
        }
        let loc = match self.host_resolve(path) {
            Ok(loc) => loc,
            Err(Errno::ENOENT) => self.host_create(path)?,
            Err(e) => return Err(e),
        };
        let fs = self.vfs.disk(loc.mount).ok_or(Errno::EACCES)?;
        let mut fs = fs.borrow_mut();
        let st = fs.stat(loc.ino)?;
        regular(&st)?;
        fs.truncate(loc.ino, 0)?;
        let mut done = 0;
        while done < data.len() {
            let end = (done + STEP).min(data.len());
            let n = fs.write(loc.ino, done as u64, &data[done..end])?;
            if n == 0 {
                return Err(Errno::ENOSPC);
            }
            done += n;
        }
        let now = self.platform.clock.realtime_ns() as i64 / 1_000_000_000;
        fs.set_attr(
            loc.ino,
            &SetAttr {
                mtime: Some(now),
                ..Default::default()
            },
        )?;
        Ok(())
    }

    fn host_create(&mut self, path: &[u8]) -> KResult<Loc> {
        let (tid, walk) = self.host_walk()?;
        let ctx = proc_ctx(self, &self.tasks[&tid]);
        let (dir, name) = self.vfs.resolve_parent(&ctx, walk, path)?;
        if name.is_empty() || name == b"." || name == b".." {
            return Err(Errno::EISDIR);
        }
        let owner = self.vfs.stat(&ctx, dir)?;
        self.vfs
            .create(dir, &name, S_IFREG | 0o644, (0, 0), (owner.uid, owner.gid))
    }
}
