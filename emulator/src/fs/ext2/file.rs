//! File contents: read, write (sparse, 64-bit sizes), truncate and symlink targets.

use super::blockmap::PointerCache;
use super::error::{corrupt, Ext2Error, Result};
use super::fs::Ext2Fs;
use super::inode::{FileType, Inode};
use super::superblock::ro_compat;
use crate::block::BlockDevice;

/// Sizes past this need the large_file feature.
const LARGE_FILE_LIMIT: u64 = 0x7fff_ffff;

impl<D: BlockDevice> Ext2Fs<D> {
    /// Reads up to `buf.len()` bytes at `offset`; returns how many (0 at end of file).
    /// Holes read as zeros.
    pub fn read(&mut self, ino: u32, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let inode = self.live_inode(ino)?;
        match inode.file_type() {
            Some(FileType::Directory) => return Err(Ext2Error::IsDir),
            Some(FileType::Regular) => {}
            _ => return Err(Ext2Error::Invalid("not a regular file")),
        }
        self.read_inode_data(&inode, offset, buf)
    }

    /// Reads file data of any inode with a block map.
    pub(super) fn read_inode_data(
        &mut self,
        inode: &Inode,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize> {
        let size = inode.size();
        if offset >= size {
            return Ok(0);
        }
        let len = (buf.len() as u64).min(size - offset) as usize;
        let bs = u64::from(self.geo.block_size);
        let mut block = Vec::new();
        let mut cache = PointerCache::default();
        let mut done = 0usize;
        while done < len {
            let pos = offset + done as u64;
            let within = (pos % bs) as usize;
            let n = (bs as usize - within).min(len - done);
            match self.bmap_cached(inode, pos / bs, &mut cache)? {
                Some(b) if n == bs as usize => self.read_block(b, &mut buf[done..done + n])?,
                Some(b) => {
                    block.resize(bs as usize, 0);
                    self.read_block(b, &mut block)?;
                    buf[done..done + n].copy_from_slice(&block[within..within + n]);
                }
                None => buf[done..done + n].fill(0),
            }
            done += n;
        }
        Ok(len)
    }

    /// Writes `data` at `offset`, growing the file as needed. Returns the bytes written:
    /// fewer than asked only when the disk filled up part way (none gives `NoSpace`).
    /// A large write is done in pieces, each a complete operation, so that automatic
    /// commits can happen between them.
    pub fn write(&mut self, ino: u32, offset: u64, data: &[u8]) -> Result<usize> {
        const PIECE: usize = 4 << 20;
        let mut done = 0;
        loop {
            let end = (done + PIECE).min(data.len());
            let piece = &data[done..end];
            let n = match self.write_piece(ino, offset + done as u64, piece) {
                Ok(n) => n,
                Err(e) if done == 0 => return Err(e),
                Err(_) => return Ok(done),
            };
            done += n;
            if n < piece.len() || done == data.len() {
                return Ok(done);
            }
        }
    }

    fn write_piece(&mut self, ino: u32, offset: u64, data: &[u8]) -> Result<usize> {
        self.mutate(|fs| {
            let mut inode = fs.live_inode(ino)?;
            match inode.file_type() {
                Some(FileType::Directory) => return Err(Ext2Error::IsDir),
                Some(FileType::Regular) => {}
                _ => return Err(Ext2Error::Invalid("not a regular file")),
            }
            if data.is_empty() {
                return Ok(0);
            }
            let end = offset
                .checked_add(data.len() as u64)
                .ok_or(Ext2Error::FileTooBig)?;
            if end.div_ceil(u64::from(fs.geo.block_size)) > fs.max_logical_blocks() {
                return Err(Ext2Error::FileTooBig);
            }
            let (written, result) = fs.write_inode_data(ino, &mut inode, offset, data);
            let new_end = offset + written as u64;
            if new_end > inode.size() {
                fs.grow_size(&mut inode, new_end);
            }
            inode.mtime = fs.now.into();
            inode.ctime = fs.now.into();
            fs.write_inode(ino, &inode)?;
            match result {
                Ok(()) => Ok(written),
                Err(Ext2Error::NoSpace) | Err(Ext2Error::FileTooBig) if written > 0 => Ok(written),
                Err(e) => Err(e),
            }
        })
    }

    /// Sets the size, turning on large_file in the superblock when a size needs it.
    pub(super) fn grow_size(&mut self, inode: &mut Inode, size: u64) {
        if size > LARGE_FILE_LIMIT
            && !inode.is_dir()
            && self.sb.feature_ro_compat.get() & ro_compat::LARGE_FILE == 0
        {
            self.sb.feature_ro_compat =
                (self.sb.feature_ro_compat.get() | ro_compat::LARGE_FILE).into();
            if self.sb.rev_level.get() == 0 {
                // Features need revision 1, whose extra fields take the values revision 0
                // implies (as Linux's ext2_update_dynamic_rev does).
                self.sb.rev_level = 1.into();
                self.sb.first_ino = 11.into();
                self.sb.inode_size = 128.into();
            }
            self.sb_dirty = true;
        }
        inode.set_size(size);
    }

    /// Writes block by block. Returns the bytes written and how it ended; `inode`
    /// describes the blocks allocated so far. The size is the caller's business.
    pub(super) fn write_inode_data(
        &mut self,
        ino: u32,
        inode: &mut Inode,
        offset: u64,
        data: &[u8],
    ) -> (usize, Result<()>) {
        let mut done = 0usize;
        let result = self.write_blocks(ino, inode, offset, data, &mut done);
        (done, result)
    }

    fn write_blocks(
        &mut self,
        ino: u32,
        inode: &mut Inode,
        offset: u64,
        data: &[u8],
        done: &mut usize,
    ) -> Result<()> {
        let bs = u64::from(self.geo.block_size);
        let mut block = self.block_buf();
        let group_start =
            self.geo.first_data_block + self.group_of_inode(ino) * self.geo.blocks_per_group;
        let mut goal = group_start;
        while *done < data.len() {
            let pos = offset + *done as u64;
            let lblk = pos / bs;
            let within = (pos % bs) as usize;
            let n = (bs as usize - within).min(data.len() - *done);
            if lblk > 0 && goal == group_start {
                if let Some(prev) = self.bmap(inode, lblk - 1)? {
                    goal = prev + 1;
                }
            }
            let (b, new) = self.bmap_alloc(inode, lblk, goal)?;
            goal = b + 1;
            if n == bs as usize {
                block.copy_from_slice(&data[*done..*done + n]);
            } else {
                if new {
                    block.fill(0);
                } else {
                    self.read_block(b, &mut block)?;
                }
                block[within..within + n].copy_from_slice(&data[*done..*done + n]);
            }
            self.write_block(b, &block)?;
            *done += n;
        }
        Ok(())
    }

    /// Sets a regular file's size: shrinking frees blocks past the end and zeroes the
    /// rest of the last block; growing leaves a hole.
    pub fn truncate(&mut self, ino: u32, size: u64) -> Result<()> {
        self.mutate(|fs| {
            let mut inode = fs.live_inode(ino)?;
            match inode.file_type() {
                Some(FileType::Directory) => return Err(Ext2Error::IsDir),
                Some(FileType::Regular) => {}
                _ => return Err(Ext2Error::Invalid("not a regular file")),
            }
            if size.div_ceil(u64::from(fs.geo.block_size)) > fs.max_logical_blocks() {
                return Err(Ext2Error::FileTooBig);
            }
            fs.set_file_size(&mut inode, size)?;
            inode.mtime = fs.now.into();
            inode.ctime = fs.now.into();
            fs.write_inode(ino, &inode)
        })
    }

    pub(super) fn set_file_size(&mut self, inode: &mut Inode, size: u64) -> Result<()> {
        let bs = u64::from(self.geo.block_size);
        if size < inode.size() {
            self.free_blocks_from(inode, size.div_ceil(bs))?;
            let within = (size % bs) as usize;
            if within != 0 {
                if let Some(b) = self.bmap(inode, size / bs)? {
                    let mut block = self.block_buf();
                    self.read_block(b, &mut block)?;
                    block[within..].fill(0);
                    self.write_block(b, &block)?;
                }
            }
            inode.set_size(size);
        } else {
            self.grow_size(inode, size);
        }
        Ok(())
    }

    /// The target of a symbolic link.
    pub fn readlink(&mut self, ino: u32) -> Result<Vec<u8>> {
        let inode = self.live_inode(ino)?;
        if inode.file_type() != Some(FileType::Symlink) {
            return Err(Ext2Error::Invalid("not a symlink"));
        }
        let size = inode.size();
        if inode.is_fast_symlink(self.geo.block_size) {
            if size > 60 {
                return Err(corrupt("fast symlink longer than its inode"));
            }
            let mut raw = Vec::with_capacity(60);
            for p in &inode.block {
                raw.extend_from_slice(&p.get().to_le_bytes());
            }
            raw.truncate(size as usize);
            return Ok(raw);
        }
        if size >= u64::from(self.geo.block_size) {
            return Err(corrupt("symlink longer than a block"));
        }
        let mut buf = vec![0u8; size as usize];
        self.read_inode_data(&inode, 0, &mut buf)?;
        Ok(buf)
    }
}
