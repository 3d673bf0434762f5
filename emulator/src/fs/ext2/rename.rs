//! `rename`: moving a name within or across directories, replacing what is there, with
//! the checks POSIX asks for (no directory into itself, kinds must match, a replaced
//! directory must be empty) and the link counts of both parents.

use super::directory::{check_name, check_new_name, LINK_MAX};
use super::dirent::set_target;
use super::error::{corrupt, Ext2Error, Result};
use super::fs::Ext2Fs;
use super::inode::{FileType, ROOT_INO};
use crate::block::BlockDevice;

impl<D: BlockDevice> Ext2Fs<D> {
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
