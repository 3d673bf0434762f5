//! The ext2 driver (`crate::fs::ext2`, owned by the storage work) behind the VFS's
//! [`FileSystem`] trait: inode numbers widened, errors mapped, times converted.

use crate::block::BlockDevice;
use crate::fs::ext2::{Ext2Fs, FileType};
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::vfs::*;

const EXT2_SUPER_MAGIC: u32 = 0xEF53;

/// A mounted ext2 filesystem.
pub struct Ext2Mount<D: BlockDevice> {
    pub fs: Ext2Fs<D>,
}

fn ino32(ino: Ino) -> KResult<u32> {
    u32::try_from(ino).map_err(|_| Errno::ENOENT)
}

fn type_bits(t: FileType) -> u32 {
    match t {
        FileType::Regular => S_IFREG,
        FileType::Directory => S_IFDIR,
        FileType::Symlink => S_IFLNK,
        FileType::CharDevice => S_IFCHR,
        FileType::BlockDevice => S_IFBLK,
        FileType::Fifo => S_IFIFO,
        FileType::Socket => S_IFSOCK,
    }
}

impl<D: BlockDevice> FileSystem for Ext2Mount<D> {
    fn root(&self) -> Ino {
        u64::from(crate::fs::ext2::ROOT_INO)
    }

    fn stat(&mut self, ino: Ino) -> KResult<Stat> {
        let s = self.fs.stat(ino32(ino)?)?;
        Ok(Stat {
            dev: 0,
            ino,
            mode: type_bits(s.file_type) | u32::from(s.perm),
            nlink: u32::from(s.nlink),
            uid: s.uid,
            gid: s.gid,
            rdev: s.rdev,
            size: s.size,
            blocks: s.blocks,
            blksize: self.fs.block_size(),
            atime: i64::from(s.atime),
            mtime: i64::from(s.mtime),
            ctime: i64::from(s.ctime),
        })
    }

    fn lookup(&mut self, dir: Ino, name: &[u8]) -> KResult<Ino> {
        Ok(u64::from(self.fs.lookup(ino32(dir)?, name)?))
    }

    fn readdir(&mut self, dir: Ino) -> KResult<Vec<DirEntry>> {
        let entries = self.fs.readdir(ino32(dir)?)?;
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            let kind = match e.file_type {
                Some(t) => type_bits(t),
                None => self
                    .fs
                    .stat(e.ino)
                    .map(|s| type_bits(s.file_type))
                    .unwrap_or(0),
            };
            out.push(DirEntry {
                ino: u64::from(e.ino),
                name: e.name,
                kind,
            });
        }
        Ok(out)
    }

    fn read(&mut self, ino: Ino, offset: u64, buf: &mut [u8]) -> KResult<usize> {
        Ok(self.fs.read(ino32(ino)?, offset, buf)?)
    }

    fn write(&mut self, ino: Ino, offset: u64, data: &[u8]) -> KResult<usize> {
        Ok(self.fs.write(ino32(ino)?, offset, data)?)
    }

    fn truncate(&mut self, ino: Ino, size: u64) -> KResult<()> {
        Ok(self.fs.truncate(ino32(ino)?, size)?)
    }

    fn create(
        &mut self,
        dir: Ino,
        name: &[u8],
        mode: u32,
        rdev: (u32, u32),
        owner: (u32, u32),
    ) -> KResult<Ino> {
        let dir = ino32(dir)?;
        let bits = (mode & 0o177777) as u16;
        let ino = match mode & S_IFMT {
            S_IFDIR => self.fs.mkdir(dir, name, bits & 0o7777, owner.0, owner.1)?,
            S_IFCHR | S_IFBLK => self.fs.mknod(dir, name, bits, rdev, owner.0, owner.1)?,
            S_IFREG | S_IFIFO | S_IFSOCK => self.fs.create(dir, name, bits, owner.0, owner.1)?,
            _ => return Err(Errno::EINVAL),
        };
        Ok(u64::from(ino))
    }

    fn symlink(&mut self, dir: Ino, name: &[u8], target: &[u8], owner: (u32, u32)) -> KResult<Ino> {
        Ok(u64::from(self.fs.symlink(
            ino32(dir)?,
            name,
            target,
            owner.0,
            owner.1,
        )?))
    }

    fn readlink(&mut self, ino: Ino) -> KResult<Vec<u8>> {
        let ino = ino32(ino)?;
        if self.fs.stat(ino)?.file_type != FileType::Symlink {
            return Err(Errno::EINVAL);
        }
        Ok(self.fs.readlink(ino)?)
    }

    fn link(&mut self, ino: Ino, dir: Ino, name: &[u8]) -> KResult<()> {
        Ok(self.fs.link(ino32(ino)?, ino32(dir)?, name)?)
    }

    fn unlink(&mut self, dir: Ino, name: &[u8]) -> KResult<()> {
        Ok(self.fs.unlink(ino32(dir)?, name)?)
    }

    fn rmdir(&mut self, dir: Ino, name: &[u8]) -> KResult<()> {
        Ok(self.fs.rmdir(ino32(dir)?, name)?)
    }

    fn rename(&mut self, old_dir: Ino, old: &[u8], new_dir: Ino, new: &[u8]) -> KResult<()> {
        Ok(self.fs.rename(ino32(old_dir)?, old, ino32(new_dir)?, new)?)
    }

    fn set_attr(&mut self, ino: Ino, attr: &SetAttr) -> KResult<()> {
        let ino = ino32(ino)?;
        let times = if attr.atime.is_some() || attr.mtime.is_some() {
            let s = self.fs.stat(ino)?;
            Some((
                attr.atime.map(|t| t as u32).unwrap_or(s.atime),
                attr.mtime.map(|t| t as u32).unwrap_or(s.mtime),
            ))
        } else {
            None
        };
        Ok(self.fs.set_attr(
            ino,
            attr.perm.map(|p| (p & 0o7777) as u16),
            attr.owner,
            times,
        )?)
    }

    fn hold(&mut self, ino: Ino) {
        if let Ok(i) = ino32(ino) {
            let _ = self.fs.hold(i);
        }
    }

    fn release(&mut self, ino: Ino) {
        if let Ok(i) = ino32(ino) {
            let _ = self.fs.release(i);
        }
    }

    fn statfs(&mut self) -> FsStats {
        let s = self.fs.statfs();
        FsStats {
            magic: EXT2_SUPER_MAGIC,
            block_size: s.block_size,
            blocks: s.blocks,
            free_blocks: s.free_blocks,
            available_blocks: s.available_blocks,
            files: s.inodes,
            free_files: s.free_inodes,
            name_max: s.name_max,
        }
    }

    fn sync(&mut self) -> KResult<()> {
        Ok(self.fs.sync()?)
    }

    fn set_time(&mut self, secs: i64) {
        self.fs.set_time(secs as u32);
    }
}
