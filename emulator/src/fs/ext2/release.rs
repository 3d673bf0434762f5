//! Giving inodes back: dropping links, freeing an inode with its blocks and xattr block,
//! and the orphan list that keeps files unlinked while open (`hold`/`release`) until the
//! last holder goes, or until the next open after a crash.

use super::error::{corrupt, Ext2Error, Result};
use super::fs::Ext2Fs;
use super::inode::{FileType, Inode};
use super::xattr::{XattrHeader, XATTR_MAGIC};
use crate::block::BlockDevice;
use std::collections::HashSet;
use zerocopy::FromBytes;

impl<D: BlockDevice> Ext2Fs<D> {
    /// A directory lost its name: its own two links go, and its `..` link to `parent`.
    pub(super) fn drop_dir(&mut self, ino: u32, parent: u32) -> Result<()> {
        let mut p = self.dir_inode(parent)?;
        p.links_count = p.links_count.get().saturating_sub(1).max(1).into();
        self.write_inode(parent, &p)?;
        let mut inode = self.read_inode(ino)?;
        inode.links_count = 1.into();
        self.write_inode(ino, &inode)?;
        self.drop_link(ino)
    }

    /// Takes one link away; frees the inode, or puts it on the orphan list if held.
    pub(super) fn drop_link(&mut self, ino: u32) -> Result<()> {
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
    pub(super) fn free_inode(&mut self, ino: u32, inode: &mut Inode) -> Result<()> {
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
    pub(super) fn release_xattr_block(&mut self, blk: u32) -> Result<()> {
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
    pub(super) fn unlink_orphan(&mut self, ino: u32) -> Result<()> {
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
}
