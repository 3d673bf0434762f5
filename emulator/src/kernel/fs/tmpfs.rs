//! tmpfs: a filesystem kept wholly in memory (`/tmp`, `/dev/shm`, and the trees behind
//! `/dev` and `/sys`). Inodes live in a table; an inode is freed when its last name and
//! its last open file are gone.

use crate::kernel::errno::{Errno, KResult};
use crate::kernel::vfs::*;
use std::collections::{BTreeMap, HashMap};

const TMPFS_MAGIC: u32 = 0x0102_1994;

enum Content {
    File(Vec<u8>),
    Dir {
        entries: BTreeMap<Vec<u8>, Ino>,
        parent: Ino,
    },
    Symlink(Vec<u8>),
    /// Fifo, socket or device node.
    Special,
}

struct Node {
    mode: u32,
    nlink: u32,
    uid: u32,
    gid: u32,
    rdev: (u32, u32),
    atime: i64,
    mtime: i64,
    ctime: i64,
    content: Content,
    open: u32,
}

/// An in-memory filesystem.
pub struct Tmpfs {
    nodes: HashMap<Ino, Node>,
    next: Ino,
    now: i64,
}

const ROOT: Ino = 1;

impl Tmpfs {
    pub fn new(root_mode: u32) -> Tmpfs {
        let mut nodes = HashMap::new();
        nodes.insert(
            ROOT,
            Node {
                mode: S_IFDIR | (root_mode & 0o7777),
                nlink: 2,
                uid: 0,
                gid: 0,
                rdev: (0, 0),
                atime: 0,
                mtime: 0,
                ctime: 0,
                content: Content::Dir {
                    entries: BTreeMap::new(),
                    parent: ROOT,
                },
                open: 0,
            },
        );
        Tmpfs {
            nodes,
            next: 2,
            now: 0,
        }
    }

    fn node(&mut self, ino: Ino) -> KResult<&mut Node> {
        self.nodes.get_mut(&ino).ok_or(Errno::ENOENT)
    }

    fn dir_entries(&mut self, dir: Ino) -> KResult<&mut BTreeMap<Vec<u8>, Ino>> {
        match &mut self.node(dir)?.content {
            Content::Dir { entries, .. } => Ok(entries),
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn check_new(&mut self, dir: Ino, name: &[u8]) -> KResult<()> {
        if name.is_empty() || name == b"." || name == b".." {
            return Err(Errno::EEXIST);
        }
        if name.len() > 255 {
            return Err(Errno::ENAMETOOLONG);
        }
        if self.dir_entries(dir)?.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        Ok(())
    }

    fn add(&mut self, dir: Ino, name: &[u8], node: Node) -> KResult<Ino> {
        self.check_new(dir, name)?;
        let ino = self.next;
        self.next += 1;
        let is_dir = matches!(node.content, Content::Dir { .. });
        self.nodes.insert(ino, node);
        self.dir_entries(dir)?.insert(name.to_vec(), ino);
        let now = self.now;
        let d = self.node(dir)?;
        d.mtime = now;
        d.ctime = now;
        if is_dir {
            d.nlink += 1;
        }
        Ok(ino)
    }

    fn new_node(&self, mode: u32, owner: (u32, u32), content: Content) -> Node {
        Node {
            mode,
            nlink: if matches!(content, Content::Dir { .. }) {
                2
            } else {
                1
            },
            uid: owner.0,
            gid: owner.1,
            rdev: (0, 0),
            atime: self.now,
            mtime: self.now,
            ctime: self.now,
            content,
            open: 0,
        }
    }

    fn maybe_free(&mut self, ino: Ino) {
        if let Some(n) = self.nodes.get(&ino) {
            if n.nlink == 0 && n.open == 0 {
                self.nodes.remove(&ino);
            }
        }
    }

    fn drop_link(&mut self, ino: Ino) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.nlink = n.nlink.saturating_sub(1);
            n.ctime = self.now;
            if matches!(n.content, Content::Dir { .. }) {
                n.nlink = 0;
            }
        }
        self.maybe_free(ino);
    }
}

fn kind_of(mode: u32) -> u32 {
    mode & S_IFMT
}

impl FileSystem for Tmpfs {
    fn root(&self) -> Ino {
        ROOT
    }

    fn stat(&mut self, ino: Ino) -> KResult<Stat> {
        let n = self.node(ino)?;
        // Directories grow by 20 bytes an entry, as Linux's tmpfs counts them, and
        // occupy no blocks.
        let (size, blocks) = match &n.content {
            Content::File(d) => (d.len() as u64, (d.len() as u64).div_ceil(4096) * 8),
            Content::Symlink(t) => (t.len() as u64, 0),
            Content::Dir { entries, .. } => ((2 + entries.len() as u64) * 20, 0),
            Content::Special => (0, 0),
        };
        Ok(Stat {
            dev: 0,
            ino,
            mode: n.mode,
            nlink: n.nlink,
            uid: n.uid,
            gid: n.gid,
            rdev: n.rdev,
            size,
            blocks,
            blksize: 4096,
            atime: n.atime,
            mtime: n.mtime,
            ctime: n.ctime,
        })
    }

    fn lookup(&mut self, dir: Ino, name: &[u8]) -> KResult<Ino> {
        match &self.node(dir)?.content {
            Content::Dir { entries, parent } => match name {
                b"." => Ok(dir),
                b".." => Ok(*parent),
                _ => entries.get(name).copied().ok_or(Errno::ENOENT),
            },
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn readdir(&mut self, dir: Ino) -> KResult<Vec<DirEntry>> {
        let (entries, parent) = match &self.node(dir)?.content {
            Content::Dir { entries, parent } => (entries.clone(), *parent),
            _ => return Err(Errno::ENOTDIR),
        };
        let mut out = vec![
            DirEntry {
                ino: dir,
                name: b".".to_vec(),
                kind: S_IFDIR,
            },
            DirEntry {
                ino: parent,
                name: b"..".to_vec(),
                kind: S_IFDIR,
            },
        ];
        for (name, ino) in entries {
            let kind = self.nodes.get(&ino).map(|n| kind_of(n.mode)).unwrap_or(0);
            out.push(DirEntry { ino, name, kind });
        }
        Ok(out)
    }

    fn read(&mut self, ino: Ino, offset: u64, buf: &mut [u8]) -> KResult<usize> {
        match &self.node(ino)?.content {
            Content::File(data) => {
                let start = (offset.min(data.len() as u64)) as usize;
                let n = buf.len().min(data.len() - start);
                buf[..n].copy_from_slice(&data[start..start + n]);
                Ok(n)
            }
            Content::Dir { .. } => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    fn write(&mut self, ino: Ino, offset: u64, data: &[u8]) -> KResult<usize> {
        let now = self.now;
        let n = self.node(ino)?;
        match &mut n.content {
            Content::File(bytes) => {
                let end = offset
                    .checked_add(data.len() as u64)
                    .filter(|&e| e <= 1 << 31)
                    .ok_or(Errno::EFBIG)? as usize;
                if bytes.len() < end {
                    bytes.resize(end, 0);
                }
                bytes[offset as usize..end].copy_from_slice(data);
                n.mtime = now;
                n.ctime = now;
                Ok(data.len())
            }
            Content::Dir { .. } => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    fn truncate(&mut self, ino: Ino, size: u64) -> KResult<()> {
        if size > 1 << 31 {
            return Err(Errno::EFBIG);
        }
        let now = self.now;
        let n = self.node(ino)?;
        match &mut n.content {
            Content::File(bytes) => {
                bytes.resize(size as usize, 0);
                n.mtime = now;
                n.ctime = now;
                Ok(())
            }
            Content::Dir { .. } => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    fn create(
        &mut self,
        dir: Ino,
        name: &[u8],
        mode: u32,
        rdev: (u32, u32),
        owner: (u32, u32),
    ) -> KResult<Ino> {
        let content = match kind_of(mode) {
            S_IFREG => Content::File(Vec::new()),
            S_IFDIR => Content::Dir {
                entries: BTreeMap::new(),
                parent: dir,
            },
            S_IFCHR | S_IFBLK | S_IFIFO | S_IFSOCK => Content::Special,
            _ => return Err(Errno::EINVAL),
        };
        let mut node = self.new_node(mode, owner, content);
        node.rdev = rdev;
        self.add(dir, name, node)
    }

    fn symlink(&mut self, dir: Ino, name: &[u8], target: &[u8], owner: (u32, u32)) -> KResult<Ino> {
        let node = self.new_node(S_IFLNK | 0o777, owner, Content::Symlink(target.to_vec()));
        self.add(dir, name, node)
    }

    fn readlink(&mut self, ino: Ino) -> KResult<Vec<u8>> {
        match &self.node(ino)?.content {
            Content::Symlink(t) => Ok(t.clone()),
            _ => Err(Errno::EINVAL),
        }
    }

    fn link(&mut self, ino: Ino, dir: Ino, name: &[u8]) -> KResult<()> {
        if matches!(self.node(ino)?.content, Content::Dir { .. }) {
            return Err(Errno::EPERM);
        }
        self.check_new(dir, name)?;
        self.dir_entries(dir)?.insert(name.to_vec(), ino);
        let now = self.now;
        let n = self.node(ino)?;
        n.nlink += 1;
        n.ctime = now;
        Ok(())
    }

    fn unlink(&mut self, dir: Ino, name: &[u8]) -> KResult<()> {
        let ino = self.lookup(dir, name)?;
        if matches!(self.node(ino)?.content, Content::Dir { .. }) {
            return Err(Errno::EISDIR);
        }
        self.dir_entries(dir)?.remove(name);
        self.drop_link(ino);
        Ok(())
    }

    fn rmdir(&mut self, dir: Ino, name: &[u8]) -> KResult<()> {
        if name == b"." {
            return Err(Errno::EINVAL);
        }
        if name == b".." {
            return Err(Errno::ENOTEMPTY);
        }
        let ino = self.lookup(dir, name)?;
        match &self.node(ino)?.content {
            Content::Dir { entries, .. } if entries.is_empty() => {}
            Content::Dir { .. } => return Err(Errno::ENOTEMPTY),
            _ => return Err(Errno::ENOTDIR),
        }
        self.dir_entries(dir)?.remove(name);
        self.node(dir)?.nlink -= 1;
        self.drop_link(ino);
        Ok(())
    }

    fn rename(&mut self, old_dir: Ino, old: &[u8], new_dir: Ino, new: &[u8]) -> KResult<()> {
        if old == b"." || old == b".." || new == b"." || new == b".." {
            return Err(Errno::EINVAL);
        }
        let ino = self.lookup(old_dir, old)?;
        let is_dir = matches!(self.node(ino)?.content, Content::Dir { .. });
        // A directory cannot move inside itself.
        if is_dir {
            let mut at = new_dir;
            loop {
                if at == ino {
                    return Err(Errno::EINVAL);
                }
                let up = self.lookup(at, b"..")?;
                if up == at {
                    break;
                }
                at = up;
            }
        }
        if let Ok(existing) = self.lookup(new_dir, new) {
            if existing == ino {
                return Ok(());
            }
            let target_dir = matches!(self.node(existing)?.content, Content::Dir { .. });
            match (is_dir, target_dir) {
                (true, false) => return Err(Errno::ENOTDIR),
                (false, true) => return Err(Errno::EISDIR),
                (true, true) => self.rmdir(new_dir, new)?,
                (false, false) => self.unlink(new_dir, new)?,
            }
        }
        self.dir_entries(old_dir)?.remove(old);
        self.dir_entries(new_dir)?.insert(new.to_vec(), ino);
        if is_dir {
            if let Content::Dir { parent, .. } = &mut self.node(ino)?.content {
                *parent = new_dir;
            }
            self.node(old_dir)?.nlink -= 1;
            self.node(new_dir)?.nlink += 1;
        }
        let now = self.now;
        self.node(ino)?.ctime = now;
        Ok(())
    }

    fn set_attr(&mut self, ino: Ino, attr: &SetAttr) -> KResult<()> {
        let now = self.now;
        let n = self.node(ino)?;
        if let Some(p) = attr.perm {
            n.mode = (n.mode & S_IFMT) | (p & 0o7777);
        }
        if let Some((u, g)) = attr.owner {
            n.uid = u;
            n.gid = g;
        }
        if let Some(t) = attr.atime {
            n.atime = t;
        }
        if let Some(t) = attr.mtime {
            n.mtime = t;
        }
        n.ctime = now;
        Ok(())
    }

    fn hold(&mut self, ino: Ino) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.open += 1;
        }
    }

    fn release(&mut self, ino: Ino) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.open = n.open.saturating_sub(1);
        }
        self.maybe_free(ino);
    }

    fn statfs(&mut self) -> FsStats {
        let used: u64 = self
            .nodes
            .values()
            .map(|n| match &n.content {
                Content::File(d) => (d.len() as u64).div_ceil(4096),
                _ => 0,
            })
            .sum();
        let total = 65536u64;
        FsStats {
            magic: TMPFS_MAGIC,
            block_size: 4096,
            blocks: total,
            free_blocks: total.saturating_sub(used),
            available_blocks: total.saturating_sub(used),
            files: 65536,
            free_files: 65536u64.saturating_sub(self.nodes.len() as u64),
            name_max: 255,
        }
    }

    fn sync(&mut self) -> KResult<()> {
        Ok(())
    }

    fn set_time(&mut self, secs: i64) {
        self.now = secs;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_unlinked_files_live_until_released() {
        let mut fs = Tmpfs::new(0o1777);
        let f = fs
            .create(ROOT, b"a", S_IFREG | 0o644, (0, 0), (0, 0))
            .unwrap();
        fs.write(f, 0, b"data").unwrap();
        fs.hold(f);
        fs.unlink(ROOT, b"a").unwrap();
        assert_eq!(fs.lookup(ROOT, b"a"), Err(Errno::ENOENT));
        let mut buf = [0u8; 4];
        assert_eq!(fs.read(f, 0, &mut buf).unwrap(), 4);
        fs.release(f);
        assert!(fs.stat(f).is_err());
    }

    #[test]
    fn rename_over_and_hard_links() {
        let mut fs = Tmpfs::new(0o755);
        let d = fs
            .create(ROOT, b"d", S_IFDIR | 0o755, (0, 0), (0, 0))
            .unwrap();
        let a = fs.create(d, b"a", S_IFREG | 0o644, (0, 0), (0, 0)).unwrap();
        let b = fs
            .create(ROOT, b"b", S_IFREG | 0o644, (0, 0), (0, 0))
            .unwrap();
        fs.link(a, ROOT, b"c").unwrap();
        assert_eq!(fs.stat(a).unwrap().nlink, 2);
        fs.rename(d, b"a", ROOT, b"b").unwrap();
        assert_eq!(fs.lookup(ROOT, b"b").unwrap(), a);
        assert!(fs.stat(b).is_err(), "the replaced file is gone");
        assert_eq!(fs.rename(ROOT, b"d", d, b"x"), Err(Errno::EINVAL));
        assert_eq!(fs.rmdir(ROOT, b"d"), Ok(()));
        assert_eq!(fs.stat(ROOT).unwrap().nlink, 2);
    }
}
