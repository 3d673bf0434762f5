//! Making names: create, mknod, symlink, mkdir, link, and removing them: unlink, rmdir.
//! Link counts follow every change.

use super::directory::{check_name, check_new_name, LINK_MAX};
use super::dirent::put_entry;
use super::error::{corrupt, Ext2Error, Result};
use super::fs::Ext2Fs;
use super::inode::{mode, FileType, Inode};
use crate::block::BlockDevice;
use zerocopy::FromZeros;

impl<D: BlockDevice> Ext2Fs<D> {
    pub(super) fn new_inode(
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
    pub(super) fn discard_new_inode(&mut self, ino: u32, inode: &mut Inode) {
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
    pub(super) fn make_node(
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
}
