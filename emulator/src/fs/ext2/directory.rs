//! Directory contents: finding, listing, adding and removing entries, growing and
//! shrinking directories, and the `..` link.
//!
//! Directories are written as plain linear directories; a directory carrying an htree
//! index (dir_index) is read linearly and loses its index flag when changed, which
//! `e2fsck` accepts (the index blocks read as empty linear blocks).

use super::dirent::{entry_len, parse_block, put_entry, set_rec_len, set_target, MAX_NAME_LEN};
use super::error::{corrupt, Ext2Error, Result};
use super::fs::Ext2Fs;
use super::inode::{FileType, Inode, INDEX_FL};
use crate::block::BlockDevice;

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
pub(super) struct Found {
    pub(super) lblk: u64,
    pub(super) block: u32,
    pub(super) offset: usize,
    pub(super) ino: u32,
}

pub(super) fn check_name(name: &[u8]) -> Result<()> {
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

pub(super) fn check_new_name(name: &[u8]) -> Result<()> {
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
    pub(super) fn dir_inode(&mut self, ino: u32) -> Result<Inode> {
        let inode = self.live_inode(ino)?;
        if !inode.is_dir() {
            return Err(Ext2Error::NotDir);
        }
        Ok(inode)
    }

    pub(super) fn dir_block_count(&self, dir: &Inode) -> Result<u64> {
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

    pub(super) fn ftype_code(&self, t: FileType) -> u8 {
        if self.sb.has_filetype() {
            t.dirent_code()
        } else {
            0
        }
    }

    /// Walks every entry of a directory; `visit` returns `true` to stop.
    pub(super) fn walk_dir(
        &mut self,
        dir: &Inode,
        mut visit: impl FnMut(u64, u32, &[u8], &super::dirent::RawEntry) -> bool,
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

    pub(super) fn find_entry(&mut self, dir: &Inode, name: &[u8]) -> Result<Option<Found>> {
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
    pub(super) fn add_entry(
        &mut self,
        dir_ino: u32,
        name: &[u8],
        ino: u32,
        t: FileType,
    ) -> Result<()> {
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
    pub(super) fn touch_dir(&mut self, dir_ino: u32, dir: &mut Inode) -> Result<()> {
        dir.mtime = self.now.into();
        dir.ctime = self.now.into();
        dir.flags = (dir.flags.get() & !INDEX_FL).into();
        self.write_inode(dir_ino, dir)
    }

    /// Removes the entry found at `f` from directory `dir_ino`, and gives back trailing
    /// blocks left empty.
    pub(super) fn remove_entry(&mut self, dir_ino: u32, f: &Found) -> Result<()> {
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

    pub(super) fn is_empty_dir(&mut self, dir: &Inode) -> Result<bool> {
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
    pub(super) fn parent_of(&mut self, dir_ino: u32) -> Result<(u32, u32, usize)> {
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
}
