//! The namespace: directories and the operations on names (lookup, create, link,
//! unlink, rename, symlink, mknod, readdir), link counts, and releasing inodes, with
//! the orphan list for files unlinked while still open.
//!
//! Directories are written as plain linear directories; a directory carrying an htree
//! index (dir_index) is read linearly and loses its index flag when changed, which
//! `e2fsck` accepts (the index blocks read as empty linear blocks).

use super::dir::{entry_len, parse_block, put_entry, set_rec_len, set_target, MAX_NAME_LEN};
use super::error::{corrupt, Ext2Error, Result};
use super::fs::Ext2Fs;
use super::inode::{mode, FileType, Inode, INDEX_FL, ROOT_INO};
use super::xattr::{XattrHeader, XATTR_MAGIC};
use crate::block::BlockDevice;
use std::collections::HashSet;
use zerocopy::{FromBytes, FromZeros};

/// Hard-link limit of ext2 (files and directories).
pub const LINK_MAX: u16 = 32000;

/// One name in a directory, as `readdir` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntryInfo {
    pub ino: u32,
    pub name: Vec<u8>,
    /// From the entry when the filetype feature is on, else `None`.
    pub file_type: Option<FileType>,
}

/// Where a name was found.
struct Found {
    lblk: u64,
    block: u32,
    offset: usize,
    ino: u32,
}

fn check_name(name: &[u8]) -> Result<()> {
    if name.is_empty() {
        return Err(Ext2Error::NotFound);
    }
    if name.len() > MAX_NAME_LEN {
        return Err(Ext2Error::NameTooLong);
    }
    if name.contains(&b'/') || name.contains(&0) {
        return Err(Ext2Error::Invalid("name contains '/' or NUL"));
    }
    Ok(())
}

fn check_new_name(name: &[u8]) -> Result<()> {
    check_name(name)?;
    if name == b"." || name == b".." {
        return Err(Ext2Error::Exists);
    }
    Ok(())
}

fn type_from_code(code: u8) -> Option<FileType> {
    Some(match code {
        1 => FileType::Regular,
        2 => FileType::Directory,
        3 => FileType::CharDevice,
        4 => FileType::BlockDevice,
        5 => FileType::Fifo,
        6 => FileType::Socket,
        7 => FileType::Symlink,
        _ => return None,
    })
}

impl<D: BlockDevice> Ext2Fs<D> {
    fn dir_inode(&mut self, ino: u32) -> Result<Inode> {
        let inode = self.live_inode(ino)?;
        if !inode.is_dir() {
            return Err(Ext2Error::NotDir);
        }
        Ok(inode)
    }

    fn dir_block_count(&self, dir: &Inode) -> Result<u64> {
        let bs = u64::from(self.geo.block_size);
        let size = dir.size();
        // A directory has no holes, so its blocks are all counted in `blocks`: this
        // bounds every walk over a damaged directory.
        let allocated = u64::from(dir.blocks.get()) / (bs / 512);
        if size % bs != 0 || size / bs > self.max_logical_blocks() || size / bs > allocated {
            return Err(corrupt(format!("directory size {size}")));
        }
        Ok(size / bs)
    }

    fn ftype_code(&self, t: FileType) -> u8 {
        if self.sb.has_filetype() {
            t.dirent_code()
        } else {
            0
        }
    }

    /// Walks every entry of a directory; `visit` returns `true` to stop.
    fn walk_dir(
        &mut self,
        dir: &Inode,
        mut visit: impl FnMut(u64, u32, &[u8], &super::dir::RawEntry) -> bool,
    ) -> Result<()> {
        let n = self.dir_block_count(dir)?;
        let mut buf = self.block_buf();
        let mut cache = super::blockmap::PointerCache::default();
        for lblk in 0..n {
            let Some(b) = self.bmap_cached(dir, lblk, &mut cache)? else {
                return Err(corrupt("hole in a directory"));
            };
            self.read_block(b, &mut buf)?;
            for e in parse_block(&buf)? {
                if visit(lblk, b, &buf, &e) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    fn find_entry(&mut self, dir: &Inode, name: &[u8]) -> Result<Option<Found>> {
        let mut found = None;
        self.walk_dir(dir, |lblk, block, buf, e| {
            if e.inode != 0 && e.name(buf) == name {
                found = Some(Found {
                    lblk,
                    block,
                    offset: e.offset,
                    ino: e.inode,
                });
                true
            } else {
                false
            }
        })?;
        Ok(found)
    }

    /// The inode number `name` stands for in directory `dir`.
    pub fn lookup(&mut self, dir: u32, name: &[u8]) -> Result<u32> {
        check_name(name)?;
        let d = self.dir_inode(dir)?;
        match self.find_entry(&d, name)? {
            Some(f) => Ok(f.ino),
            None => Err(Ext2Error::NotFound),
        }
    }

    /// Every entry of directory `dir`, `.` and `..` included, in on-disk order.
    pub fn readdir(&mut self, dir: u32) -> Result<Vec<DirEntryInfo>> {
        let d = self.dir_inode(dir)?;
        let filetype = self.sb.has_filetype();
        let mut out = Vec::new();
        self.walk_dir(&d, |_, _, buf, e| {
            if e.inode != 0 {
                out.push(DirEntryInfo {
                    ino: e.inode,
                    name: e.name(buf).to_vec(),
                    file_type: if filetype {
                        type_from_code(e.file_type)
                    } else {
                        None
                    },
                });
            }
            false
        })?;
        Ok(out)
    }

    /// Up to `max` entries of directory `dir` starting at position `pos` (0 for the
    /// start), and the position to continue from (`None` at the end). Positions are byte
    /// offsets in the directory, as Linux's ext2 uses for `f_pos`: they stay valid while
    /// entries are added or removed elsewhere.
    pub fn readdir_from(
        &mut self,
        dir: u32,
        pos: u64,
        max: usize,
    ) -> Result<(Vec<DirEntryInfo>, Option<u64>)> {
        let d = self.dir_inode(dir)?;
        let filetype = self.sb.has_filetype();
        let bs = u64::from(self.geo.block_size);
        let mut out = Vec::new();
        let mut next = None;
        self.walk_dir(&d, |lblk, _, buf, e| {
            let at = lblk * bs + e.offset as u64;
            if at < pos || e.inode == 0 {
                return false;
            }
            if out.len() == max {
                next = Some(at);
                return true;
            }
            out.push(DirEntryInfo {
                ino: e.inode,
                name: e.name(buf).to_vec(),
                file_type: if filetype {
                    type_from_code(e.file_type)
                } else {
                    None
                },
            });
            false
        })?;
        Ok((out, next))
    }

    /// Adds `name -> ino` to directory `dir_ino`, growing it by a block if no block
    /// has room. Fails with `Exists` if the name is taken.
    fn add_entry(&mut self, dir_ino: u32, name: &[u8], ino: u32, t: FileType) -> Result<()> {
        let mut dir = self.dir_inode(dir_ino)?;
        let need = entry_len(name.len());
        let mut slot: Option<(u32, usize, usize)> = None; // block, offset, used
        let mut exists = false;
        self.walk_dir(&dir, |_, block, buf, e| {
            if e.inode != 0 && e.name(buf) == name {
                exists = true;
                return true;
            }
            if slot.is_none() && e.rec_len - e.used() >= need {
                slot = Some((block, e.offset, e.used()));
            }
            false
        })?;
        if exists {
            return Err(Ext2Error::Exists);
        }
        let code = self.ftype_code(t);
        let mut buf = self.block_buf();
        match slot {
            Some((block, offset, used)) => {
                self.read_block(block, &mut buf)?;
                let entries = parse_block(&buf)?;
                let e = entries
                    .iter()
                    .find(|e| e.offset == offset)
                    .ok_or_else(|| corrupt("directory changed under us"))?;
                if used == 0 {
                    put_entry(&mut buf, offset, ino, e.rec_len, name, code);
                } else {
                    let rest = e.rec_len - used;
                    set_rec_len(&mut buf, offset, used);
                    put_entry(&mut buf, offset + used, ino, rest, name, code);
                }
                self.write_block(block, &buf)?;
            }
            None => {
                let lblk = self.dir_block_count(&dir)?;
                let goal = self.bmap(&dir, lblk.saturating_sub(1))?.unwrap_or(0);
                let (block, _) = self.bmap_alloc(&mut dir, lblk, goal)?;
                buf.fill(0);
                let bs = buf.len();
                put_entry(&mut buf, 0, ino, bs, name, code);
                self.write_block(block, &buf)?;
                dir.set_size((lblk + 1) * bs as u64);
            }
        }
        self.touch_dir(dir_ino, &mut dir)
    }

    /// Marks a changed directory: new times, and no htree index any more.
    fn touch_dir(&mut self, dir_ino: u32, dir: &mut Inode) -> Result<()> {
        dir.mtime = self.now.into();
        dir.ctime = self.now.into();
        dir.flags = (dir.flags.get() & !INDEX_FL).into();
        self.write_inode(dir_ino, dir)
    }

    /// Removes the entry found at `f` from directory `dir_ino`, and gives back trailing
    /// blocks left empty.
    fn remove_entry(&mut self, dir_ino: u32, f: &Found) -> Result<()> {
        let mut buf = self.block_buf();
        self.read_block(f.block, &mut buf)?;
        let entries = parse_block(&buf)?;
        let pos = entries
            .iter()
            .position(|e| e.offset == f.offset)
            .ok_or_else(|| corrupt("directory changed under us"))?;
        if pos == 0 {
            set_target(&mut buf, f.offset, 0, 0);
        } else {
            let prev = &entries[pos - 1];
            set_rec_len(&mut buf, prev.offset, prev.rec_len + entries[pos].rec_len);
        }
        self.write_block(f.block, &buf)?;
        let mut dir = self.dir_inode(dir_ino)?;
        // Shrink: drop empty blocks at the end (never block 0).
        let mut n = self.dir_block_count(&dir)?;
        let _ = f.lblk;
        while n > 1 {
            let Some(b) = self.bmap(&dir, n - 1)? else {
                break;
            };
            self.read_block(b, &mut buf)?;
            if parse_block(&buf)?.iter().any(|e| e.inode != 0) {
                break;
            }
            self.free_blocks_from(&mut dir, n - 1)?;
            n -= 1;
            dir.set_size(n * u64::from(self.geo.block_size));
        }
        self.touch_dir(dir_ino, &mut dir)
    }

    fn is_empty_dir(&mut self, dir: &Inode) -> Result<bool> {
        let mut empty = true;
        self.walk_dir(dir, |_, _, buf, e| {
            if e.inode != 0 && e.name(buf) != b"." && e.name(buf) != b".." {
                empty = false;
                return true;
            }
            false
        })?;
        Ok(empty)
    }

    /// The parent recorded in a directory's `..` entry.
    fn parent_of(&mut self, dir_ino: u32) -> Result<(u32, u32, usize)> {
        let dir = self.dir_inode(dir_ino)?;
        let b = self
            .bmap(&dir, 0)?
            .ok_or_else(|| corrupt("directory without a first block"))?;
        let mut buf = self.block_buf();
        self.read_block(b, &mut buf)?;
        let entries = parse_block(&buf)?;
        let dotdot = entries
            .iter()
            .find(|e| e.name(&buf) == b"..")
            .ok_or_else(|| corrupt(format!("directory {dir_ino} has no '..'")))?;
        Ok((dotdot.inode, b, dotdot.offset))
    }

    fn new_inode(
        &mut self,
        parent: u32,
        mode_bits: u16,
        uid: u32,
        gid: u32,
    ) -> Result<(u32, Inode)> {
        let is_dir = mode_bits & mode::S_IFMT == mode::S_IFDIR;
        let ino = self.alloc_inode(parent, is_dir)?;
        let mut inode = Inode::new_zeroed();
        inode.mode = mode_bits.into();
        inode.set_owner(uid, gid);
        inode.atime = self.now.into();
        inode.ctime = self.now.into();
        inode.mtime = self.now.into();
        inode.links_count = 1.into();
        Ok((ino, inode))
    }

    /// Undoes a half-made inode after a failure.
    fn discard_new_inode(&mut self, ino: u32, inode: &mut Inode) {
        let _ = self.free_blocks_from(inode, 0);
        inode.links_count = 0.into();
        inode.dtime = self.now.max(1).into();
        let _ = self.write_inode(ino, inode);
        let _ = self.free_inode_number(ino, inode.is_dir());
    }

    /// Creates a file named `name` in `dir` with `mode` (type and permission bits:
    /// regular file, directory, fifo or socket). Returns its inode number.
    pub fn create(
        &mut self,
        dir: u32,
        name: &[u8],
        mode_bits: u16,
        uid: u32,
        gid: u32,
    ) -> Result<u32> {
        match FileType::from_mode(mode_bits) {
            Some(FileType::Directory) => self.mkdir(dir, name, mode_bits & 0o7777, uid, gid),
            Some(FileType::Regular | FileType::Fifo | FileType::Socket) => {
                self.make_node(dir, name, mode_bits, uid, gid, |_, _| Ok(()))
            }
            Some(FileType::CharDevice | FileType::BlockDevice) => {
                self.mknod(dir, name, mode_bits, (0, 0), uid, gid)
            }
            _ => Err(Ext2Error::Invalid("mode has no file type")),
        }
    }

    /// Creates a device node (or fifo/socket) with device number `(major, minor)`.
    pub fn mknod(
        &mut self,
        dir: u32,
        name: &[u8],
        mode_bits: u16,
        rdev: (u32, u32),
        uid: u32,
        gid: u32,
    ) -> Result<u32> {
        match FileType::from_mode(mode_bits) {
            Some(FileType::CharDevice | FileType::BlockDevice) => {
                self.make_node(dir, name, mode_bits, uid, gid, |_, inode| {
                    inode.set_rdev(rdev.0, rdev.1);
                    Ok(())
                })
            }
            Some(FileType::Regular | FileType::Fifo | FileType::Socket) => {
                self.make_node(dir, name, mode_bits, uid, gid, |_, _| Ok(()))
            }
            _ => Err(Ext2Error::Invalid("mknod of a directory or symlink")),
        }
    }

    /// Creates a symbolic link `name` in `dir` pointing at `target`: kept in the inode
    /// when short (fast), in one data block otherwise.
    pub fn symlink(
        &mut self,
        dir: u32,
        name: &[u8],
        target: &[u8],
        uid: u32,
        gid: u32,
    ) -> Result<u32> {
        if target.is_empty() {
            return Err(Ext2Error::NotFound);
        }
        if target.len() >= self.geo.block_size as usize || target.len() > 4095 {
            return Err(Ext2Error::NameTooLong);
        }
        let target = target.to_vec();
        self.make_node(
            dir,
            name,
            mode::S_IFLNK | 0o777,
            uid,
            gid,
            move |fs, inode| {
                if target.len() < 60 {
                    let mut raw = [0u8; 60];
                    raw[..target.len()].copy_from_slice(&target);
                    for (i, p) in inode.block.iter_mut().enumerate() {
                        *p = u32::from_le_bytes([
                            raw[4 * i],
                            raw[4 * i + 1],
                            raw[4 * i + 2],
                            raw[4 * i + 3],
                        ])
                        .into();
                    }
                    inode.set_size(target.len() as u64);
                    Ok(())
                } else {
                    let (b, _) = fs.bmap_alloc(inode, 0, 0)?;
                    let mut buf = fs.block_buf();
                    buf[..target.len()].copy_from_slice(&target);
                    fs.write_block(b, &buf)?;
                    inode.set_size(target.len() as u64);
                    Ok(())
                }
            },
        )
    }

    /// Allocates, fills (`init`) and names a new non-directory inode.
    fn make_node(
        &mut self,
        dir: u32,
        name: &[u8],
        mode_bits: u16,
        uid: u32,
        gid: u32,
        init: impl FnOnce(&mut Self, &mut Inode) -> Result<()>,
    ) -> Result<u32> {
        check_new_name(name)?;
        let t = FileType::from_mode(mode_bits).ok_or(Ext2Error::Invalid("mode"))?;
        self.mutate(|fs| {
            let d = fs.dir_inode(dir)?;
            if fs.find_entry(&d, name)?.is_some() {
                return Err(Ext2Error::Exists);
            }
            let (ino, mut inode) = fs.new_inode(dir, mode_bits, uid, gid)?;
            fs.write_new_inode(ino, &inode)?;
            let made = init(fs, &mut inode)
                .and_then(|()| fs.write_inode(ino, &inode))
                .and_then(|()| fs.add_entry(dir, name, ino, t));
            if let Err(e) = made {
                fs.discard_new_inode(ino, &mut inode);
                return Err(e);
            }
            Ok(ino)
        })
    }

    /// Creates directory `name` in `dir`.
    pub fn mkdir(&mut self, dir: u32, name: &[u8], perm: u16, uid: u32, gid: u32) -> Result<u32> {
        check_new_name(name)?;
        self.mutate(|fs| {
            let d = fs.dir_inode(dir)?;
            if fs.find_entry(&d, name)?.is_some() {
                return Err(Ext2Error::Exists);
            }
            if d.links_count.get() >= LINK_MAX {
                return Err(Ext2Error::TooManyLinks);
            }
            let (ino, mut inode) = fs.new_inode(dir, mode::S_IFDIR | (perm & 0o7777), uid, gid)?;
            inode.links_count = 2.into();
            fs.write_new_inode(ino, &inode)?;
            let made = (|| {
                let goal =
                    fs.geo.first_data_block + fs.group_of_inode(ino) * fs.geo.blocks_per_group;
                let (b, _) = fs.bmap_alloc(&mut inode, 0, goal)?;
                let mut buf = fs.block_buf();
                let bs = buf.len();
                let code = fs.ftype_code(FileType::Directory);
                put_entry(&mut buf, 0, ino, 12, b".", code);
                put_entry(&mut buf, 12, dir, bs - 12, b"..", code);
                fs.write_block(b, &buf)?;
                inode.set_size(bs as u64);
                fs.write_inode(ino, &inode)?;
                fs.add_entry(dir, name, ino, FileType::Directory)
            })();
            if let Err(e) = made {
                fs.discard_new_inode(ino, &mut inode);
                return Err(e);
            }
            let mut d = fs.dir_inode(dir)?;
            d.links_count = d.links_count.get().saturating_add(1).into();
            fs.write_inode(dir, &d)?;
            Ok(ino)
        })
    }

    /// Adds another name for `ino` (not a directory).
    pub fn link(&mut self, ino: u32, dir: u32, name: &[u8]) -> Result<()> {
        check_new_name(name)?;
        self.mutate(|fs| {
            let mut inode = fs.live_inode(ino)?;
            if inode.is_dir() {
                return Err(Ext2Error::NotPermitted("hard link to a directory"));
            }
            if inode.links_count.get() == 0 {
                return Err(Ext2Error::NotFound);
            }
            if inode.links_count.get() >= LINK_MAX {
                return Err(Ext2Error::TooManyLinks);
            }
            let t = inode.file_type().ok_or_else(|| corrupt("mode"))?;
            fs.add_entry(dir, name, ino, t)?;
            inode.links_count = inode.links_count.get().saturating_add(1).into();
            inode.ctime = fs.now.into();
            fs.write_inode(ino, &inode)
        })
    }

    /// Removes name `name` (not a directory) from `dir`. The inode goes when its last
    /// name goes and no one holds it open (see [`Ext2Fs::hold`]).
    pub fn unlink(&mut self, dir: u32, name: &[u8]) -> Result<()> {
        check_name(name)?;
        self.mutate(|fs| {
            let d = fs.dir_inode(dir)?;
            let f = fs.find_entry(&d, name)?.ok_or(Ext2Error::NotFound)?;
            let inode = fs.live_inode(f.ino)?;
            if inode.is_dir() {
                return Err(Ext2Error::IsDir);
            }
            fs.remove_entry(dir, &f)?;
            fs.drop_link(f.ino)
        })
    }

    /// Removes the empty directory `name` from `dir`.
    pub fn rmdir(&mut self, dir: u32, name: &[u8]) -> Result<()> {
        check_name(name)?;
        if name == b"." {
            return Err(Ext2Error::Invalid("rmdir of '.'"));
        }
        if name == b".." {
            return Err(Ext2Error::NotEmpty);
        }
        self.mutate(|fs| {
            let d = fs.dir_inode(dir)?;
            let f = fs.find_entry(&d, name)?.ok_or(Ext2Error::NotFound)?;
            let victim = fs.live_inode(f.ino)?;
            if !victim.is_dir() {
                return Err(Ext2Error::NotDir);
            }
            if !fs.is_empty_dir(&victim)? {
                return Err(Ext2Error::NotEmpty);
            }
            fs.remove_entry(dir, &f)?;
            fs.drop_dir(f.ino, dir)
        })
    }

    /// A directory lost its name: its own two links go, and its `..` link to `parent`.
    fn drop_dir(&mut self, ino: u32, parent: u32) -> Result<()> {
        let mut p = self.dir_inode(parent)?;
        p.links_count = p.links_count.get().saturating_sub(1).max(1).into();
        self.write_inode(parent, &p)?;
        let mut inode = self.read_inode(ino)?;
        inode.links_count = 1.into();
        self.write_inode(ino, &inode)?;
        self.drop_link(ino)
    }

    /// Takes one link away; frees the inode, or puts it on the orphan list if held.
    fn drop_link(&mut self, ino: u32) -> Result<()> {
        let mut inode = self.read_inode(ino)?;
        let links = inode.links_count.get().saturating_sub(1);
        inode.links_count = links.into();
        inode.ctime = self.now.into();
        if links > 0 {
            return self.write_inode(ino, &inode);
        }
        if self.held.contains_key(&ino) {
            inode.dtime = self.sb.last_orphan;
            self.sb.last_orphan = ino.into();
            self.sb_dirty = true;
            return self.write_inode(ino, &inode);
        }
        self.free_inode(ino, &mut inode)
    }

    /// Frees an inode with no links: its blocks, its xattr block, its number.
    fn free_inode(&mut self, ino: u32, inode: &mut Inode) -> Result<()> {
        let has_blocks = match inode.file_type() {
            Some(FileType::Regular | FileType::Directory) => true,
            Some(FileType::Symlink) => !inode.is_fast_symlink(self.geo.block_size),
            _ => false,
        };
        if has_blocks {
            self.free_blocks_from(inode, 0)?;
        }
        let acl = inode.file_acl.get();
        if acl != 0 {
            self.release_xattr_block(acl)?;
            inode.file_acl = 0.into();
            self.add_blocks(inode, -1);
        }
        let was_dir = inode.is_dir();
        inode.links_count = 0.into();
        inode.dtime = self.now.max(1).into();
        inode.set_size(0);
        self.write_inode(ino, inode)?;
        self.free_inode_number(ino, was_dir)
    }

    /// Drops one reference to a shared extended-attribute block.
    fn release_xattr_block(&mut self, blk: u32) -> Result<()> {
        self.check_block(blk)?;
        let mut buf = self.block_buf();
        self.read_block(blk, &mut buf)?;
        let Ok((header, _)) = XattrHeader::mut_from_prefix(&mut buf[..]) else {
            return Err(corrupt("xattr block too small"));
        };
        if header.magic.get() != XATTR_MAGIC {
            return Err(corrupt(format!("xattr block {blk} has no magic")));
        }
        let refs = header.refcount.get();
        if refs <= 1 {
            self.free_block(blk)
        } else {
            header.refcount = (refs - 1).into();
            self.write_block(blk, &buf)
        }
    }

    /// Notes that the kernel holds `ino` open: if its last name goes, it is kept
    /// (on the orphan list, so a crash frees it on the next open) until released.
    pub fn hold(&mut self, ino: u32) -> Result<()> {
        self.live_inode(ino)?;
        *self.held.entry(ino).or_insert(0) += 1;
        Ok(())
    }

    /// Drops a hold; frees the inode if it was the last hold on an unlinked inode.
    pub fn release(&mut self, ino: u32) -> Result<()> {
        let Some(count) = self.held.get_mut(&ino) else {
            return Err(Ext2Error::Invalid("release of an inode not held"));
        };
        *count -= 1;
        if *count > 0 {
            return Ok(());
        }
        self.held.remove(&ino);
        let inode = self.read_inode(ino)?;
        if inode.links_count.get() != 0 || self.read_only {
            return Ok(());
        }
        self.mutate(|fs| {
            fs.unlink_orphan(ino)?;
            let mut inode = fs.read_inode(ino)?;
            fs.free_inode(ino, &mut inode)
        })
    }

    /// Takes `ino` off the orphan list.
    fn unlink_orphan(&mut self, ino: u32) -> Result<()> {
        let mut prev: Option<u32> = None;
        let mut cur = self.sb.last_orphan.get();
        for _ in 0..self.geo.inodes_count {
            if cur == 0 {
                return Err(corrupt(format!("inode {ino} missing from the orphan list")));
            }
            let inode = self.read_inode(cur)?;
            let next = inode.dtime.get();
            if cur == ino {
                match prev {
                    None => {
                        self.sb.last_orphan = next.into();
                        self.sb_dirty = true;
                    }
                    Some(p) => {
                        let mut pi = self.read_inode(p)?;
                        pi.dtime = next.into();
                        self.write_inode(p, &pi)?;
                    }
                }
                return Ok(());
            }
            prev = Some(cur);
            cur = next;
        }
        Err(corrupt("orphan list loops"))
    }

    /// Frees every inode on the orphan list (after a crash nobody holds them).
    pub(super) fn release_orphans(&mut self) -> Result<()> {
        self.mutate(|fs| {
            let mut seen = HashSet::new();
            let mut cur = fs.sb.last_orphan.get();
            fs.sb.last_orphan = 0.into();
            fs.sb_dirty = true;
            while cur != 0 {
                if !seen.insert(cur) || cur < fs.geo.first_ino {
                    return Err(corrupt("orphan list loops or names a reserved inode"));
                }
                let mut inode = fs.read_inode(cur)?;
                let next = inode.dtime.get();
                if inode.links_count.get() == 0 && inode.mode.get() != 0 {
                    fs.free_inode(cur, &mut inode)?;
                } else {
                    inode.dtime = 0.into();
                    fs.write_inode(cur, &inode)?;
                }
                cur = next;
            }
            Ok(())
        })
    }

    /// Moves `old_dir/old_name` to `new_dir/new_name`, replacing what is there (a file
    /// by a file, an empty directory by a directory).
    pub fn rename(
        &mut self,
        old_dir: u32,
        old_name: &[u8],
        new_dir: u32,
        new_name: &[u8],
    ) -> Result<()> {
        check_name(old_name)?;
        check_new_name(new_name)?;
        if old_name == b"." || old_name == b".." {
            return Err(Ext2Error::Invalid("rename of '.' or '..'"));
        }
        self.mutate(|fs| {
            let od = fs.dir_inode(old_dir)?;
            let src = fs.find_entry(&od, old_name)?.ok_or(Ext2Error::NotFound)?;
            let src_inode = fs.live_inode(src.ino)?;
            let src_type = src_inode.file_type().ok_or_else(|| corrupt("mode"))?;
            let src_is_dir = src_type == FileType::Directory;
            let nd = fs.dir_inode(new_dir)?;
            if src_is_dir && old_dir != new_dir {
                // The new parent must not be inside the directory being moved.
                let mut cur = new_dir;
                for _ in 0..=fs.geo.inodes_count {
                    if cur == src.ino {
                        return Err(Ext2Error::Invalid("rename of a directory into itself"));
                    }
                    if cur == ROOT_INO {
                        break;
                    }
                    let (parent, _, _) = fs.parent_of(cur)?;
                    if parent == cur {
                        break;
                    }
                    cur = parent;
                }
            }
            let existing = fs.find_entry(&nd, new_name)?;
            match existing {
                Some(dst) if dst.ino == src.ino => return Ok(()),
                Some(dst) => {
                    let dst_inode = fs.live_inode(dst.ino)?;
                    if src_is_dir {
                        if !dst_inode.is_dir() {
                            return Err(Ext2Error::NotDir);
                        }
                        if !fs.is_empty_dir(&dst_inode)? {
                            return Err(Ext2Error::NotEmpty);
                        }
                    } else if dst_inode.is_dir() {
                        return Err(Ext2Error::IsDir);
                    }
                    let mut buf = fs.block_buf();
                    fs.read_block(dst.block, &mut buf)?;
                    set_target(&mut buf, dst.offset, src.ino, fs.ftype_code(src_type));
                    fs.write_block(dst.block, &buf)?;
                    let mut nd = fs.dir_inode(new_dir)?;
                    fs.touch_dir(new_dir, &mut nd)?;
                    if dst_inode.is_dir() {
                        fs.drop_dir(dst.ino, new_dir)?;
                    } else {
                        fs.drop_link(dst.ino)?;
                    }
                }
                None => {
                    if src_is_dir && old_dir != new_dir && nd.links_count.get() >= LINK_MAX {
                        return Err(Ext2Error::TooManyLinks);
                    }
                    fs.add_entry(new_dir, new_name, src.ino, src_type)?;
                }
            }
            // The old entry may have moved if both names share a directory.
            let od = fs.dir_inode(old_dir)?;
            let src_now = fs
                .find_entry(&od, old_name)?
                .ok_or_else(|| corrupt("renamed entry vanished"))?;
            fs.remove_entry(old_dir, &src_now)?;
            if src_is_dir && old_dir != new_dir {
                let (_, b, off) = fs.parent_of(src.ino)?;
                let mut buf = fs.block_buf();
                fs.read_block(b, &mut buf)?;
                set_target(&mut buf, off, new_dir, fs.ftype_code(FileType::Directory));
                fs.write_block(b, &buf)?;
                let mut o = fs.dir_inode(old_dir)?;
                o.links_count = o.links_count.get().saturating_sub(1).max(1).into();
                fs.write_inode(old_dir, &o)?;
                let mut n = fs.dir_inode(new_dir)?;
                n.links_count = n.links_count.get().saturating_add(1).into();
                fs.write_inode(new_dir, &n)?;
            }
            let mut s = fs.read_inode(src.ino)?;
            s.ctime = fs.now.into();
            fs.write_inode(src.ino, &s)
        })
    }
}
