//! The mounted filesystem: superblock and group descriptors in memory, block and inode
//! I/O, and the write-back of metadata at the end of every operation.
//!
//! Every public operation leaves the device holding a consistent filesystem when it
//! returns (metadata is written through, never held across operations), so a commit of
//! the device below at any operation boundary is a state `e2fsck` accepts.

use super::error::{corrupt, Ext2Error, Result};
use super::group::{GroupDescriptor, GROUP_DESC_SIZE};
use super::inode::{FileType, Inode, InodeExtra};
use super::superblock::{Geometry, Superblock, SUPERBLOCK_OFFSET};
use crate::block::hash::BlockMap;
use crate::block::{read_at, write_at, BlockDevice};
use std::collections::{BTreeSet, HashMap};
use zerocopy::{FromBytes, IntoBytes};

/// An ext2 filesystem on a block device.
pub struct Ext2Fs<D: BlockDevice> {
    pub(super) dev: D,
    pub(super) sb: Superblock,
    pub(super) geo: Geometry,
    pub(super) groups: Vec<GroupDescriptor>,
    pub(super) dirty_groups: BTreeSet<u32>,
    pub(super) sb_dirty: bool,
    pub(super) read_only: bool,
    /// Seconds since the epoch used for timestamps; the kernel sets it.
    pub(super) now: u32,
    /// Open references per inode (see [`Ext2Fs::hold`]).
    pub(super) held: HashMap<u32, u32>,
    /// Bitmap blocks read during the current operation: content and whether changed.
    /// Written back and dropped by `finish`.
    pub(super) bitmaps: HashMap<u32, (Vec<u8>, bool)>,
    /// Recently read metadata blocks (inode tables, pointer blocks), kept coherent by
    /// `write_block`, through which every write of the filesystem goes.
    meta: BlockMap<u32, Vec<u8>>,
    /// Commit (flush the device) after an operation once this many bytes are pending.
    commit_threshold: u64,
}

/// Default for [`Ext2Fs::set_commit_threshold`].
pub const DEFAULT_COMMIT_THRESHOLD: u64 = 64 << 20;

/// Metadata blocks kept by an open filesystem before the cache is emptied.
const META_CACHE_BLOCKS: usize = 512;

/// Attributes of an inode, as `stat` reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    pub ino: u32,
    pub file_type: FileType,
    /// Permission bits (and setuid/setgid/sticky), without the type.
    pub perm: u16,
    pub nlink: u16,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    /// 512-byte sectors allocated.
    pub blocks: u64,
    pub atime: u32,
    pub mtime: u32,
    pub ctime: u32,
    /// (major, minor) for device nodes.
    pub rdev: (u32, u32),
}

/// Filesystem-wide counts, as `statfs` reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatFs {
    pub block_size: u32,
    pub blocks: u64,
    pub free_blocks: u64,
    /// Free blocks available to unprivileged users.
    pub available_blocks: u64,
    pub inodes: u64,
    pub free_inodes: u64,
    pub name_max: u32,
}

impl<D: BlockDevice> Ext2Fs<D> {
    /// Opens a filesystem for reading and writing. Releases inodes left on the orphan
    /// list by a crash (files unlinked while open) and commits that.
    pub fn open(dev: D) -> Result<Ext2Fs<D>> {
        let mut fs = Ext2Fs::load(dev, false)?;
        if fs.sb.last_orphan.get() != 0 {
            fs.release_orphans()?;
            fs.sync()?;
        }
        Ok(fs)
    }

    /// Opens a filesystem that will never be written: unknown read-only-compatible
    /// features are accepted and every change fails with `ReadOnly`.
    pub fn open_read_only(dev: D) -> Result<Ext2Fs<D>> {
        Ext2Fs::load(dev, true)
    }

    fn load(mut dev: D, read_only: bool) -> Result<Ext2Fs<D>> {
        let mut raw = [0u8; 1024];
        read_at(&mut dev, SUPERBLOCK_OFFSET, &mut raw)?;
        let sb = Superblock::read_from_bytes(&raw).map_err(|_| corrupt("superblock"))?;
        let geo = sb.check(dev.size_bytes(), !read_only)?;
        let gdt_offset = u64::from(geo.first_data_block + 1) * u64::from(geo.block_size);
        let mut table = vec![0u8; geo.groups_count as usize * GROUP_DESC_SIZE];
        read_at(&mut dev, gdt_offset, &mut table)?;
        let itable_blocks =
            u64::from(geo.inodes_per_group) * u64::from(geo.inode_size) / u64::from(geo.block_size);
        let mut groups = Vec::with_capacity(geo.groups_count as usize);
        for (g, bytes) in table.chunks_exact(GROUP_DESC_SIZE).enumerate() {
            let gd = GroupDescriptor::read_from_bytes(bytes).map_err(|_| corrupt("descriptor"))?;
            let inside = |b: u32, len: u64| {
                b > geo.first_data_block && u64::from(b) + len <= geo.blocks_count
            };
            if !inside(gd.block_bitmap.get(), 1)
                || !inside(gd.inode_bitmap.get(), 1)
                || !inside(gd.inode_table.get(), itable_blocks)
            {
                return Err(corrupt(format!("group {g} points outside the filesystem")));
            }
            groups.push(gd);
        }
        let now = sb.wtime.get();
        Ok(Ext2Fs {
            dev,
            sb,
            geo,
            groups,
            dirty_groups: BTreeSet::new(),
            sb_dirty: false,
            read_only,
            now,
            held: HashMap::new(),
            bitmaps: HashMap::new(),
            meta: BlockMap::default(),
            commit_threshold: DEFAULT_COMMIT_THRESHOLD,
        })
    }

    /// Commits on its own, between two operations, once the device holds this many
    /// bytes not yet flushed (`u64::MAX`: only on `sync`). Bounds the memory a buffering
    /// device (the overlay) uses; every such commit is a consistent filesystem too.
    pub fn set_commit_threshold(&mut self, bytes: u64) {
        self.commit_threshold = bytes;
    }

    /// Sets the time used for timestamps from now on (seconds since the epoch).
    pub fn set_time(&mut self, secs: u32) {
        self.now = secs;
    }

    /// The superblock as last written.
    pub fn superblock(&self) -> &Superblock {
        &self.sb
    }

    /// Block size in bytes.
    pub fn block_size(&self) -> u32 {
        self.geo.block_size
    }

    /// The device below.
    pub fn device(&mut self) -> &mut D {
        &mut self.dev
    }

    /// Gives back the device (after [`Ext2Fs::sync`] if changes must last).
    pub fn into_device(self) -> D {
        self.dev
    }

    /// Writes all metadata and makes every change durable (the guest's `sync`/`fsync`).
    pub fn sync(&mut self) -> Result<()> {
        self.finish()?;
        self.dev.flush()?;
        Ok(())
    }

    /// The guest's `fsync`/`fdatasync` of one file: a whole-filesystem commit (see
    /// [`Ext2Fs::sync`]), which is at least what POSIX asks.
    pub fn fsync(&mut self, ino: u32) -> Result<()> {
        self.live_inode(ino)?;
        self.sync()
    }

    pub fn statfs(&self) -> StatFs {
        let free = u64::from(self.sb.free_blocks_count.get());
        StatFs {
            block_size: self.geo.block_size,
            blocks: self.geo.blocks_count,
            free_blocks: free,
            available_blocks: free.saturating_sub(u64::from(self.sb.r_blocks_count.get())),
            inodes: u64::from(self.geo.inodes_count),
            free_inodes: u64::from(self.sb.free_inodes_count.get()),
            name_max: 255,
        }
    }

    pub(super) fn check_writable(&self) -> Result<()> {
        if self.read_only {
            Err(Ext2Error::ReadOnly)
        } else {
            Ok(())
        }
    }

    /// Writes the superblock and the changed group descriptors.
    pub(super) fn finish(&mut self) -> Result<()> {
        if self.read_only {
            return Ok(());
        }
        let bitmaps = std::mem::take(&mut self.bitmaps);
        for (blk, (bits, dirty)) in &bitmaps {
            if *dirty {
                self.write_block(*blk, bits)?;
            }
        }
        let bs = self.geo.block_size as usize;
        let gdt_start = u64::from(self.geo.first_data_block + 1);
        let mut blocks: BTreeSet<u32> = BTreeSet::new();
        for &g in &self.dirty_groups {
            blocks.insert(g * GROUP_DESC_SIZE as u32 / bs as u32);
        }
        for b in blocks {
            let mut buf = vec![0u8; bs];
            let per = bs / GROUP_DESC_SIZE;
            let first = b as usize * per;
            for (i, gd) in self.groups.iter().skip(first).take(per).enumerate() {
                buf[i * GROUP_DESC_SIZE..(i + 1) * GROUP_DESC_SIZE].copy_from_slice(gd.as_bytes());
            }
            // Keep any bytes past the last descriptor as they were.
            let used = (self.groups.len() - first).min(per) * GROUP_DESC_SIZE;
            if used < bs {
                let mut old = vec![0u8; bs];
                self.read_block(u32::try_from(gdt_start).unwrap_or(0) + b, &mut old)?;
                buf[used..].copy_from_slice(&old[used..]);
            }
            self.write_block((gdt_start + u64::from(b)) as u32, &buf)?;
        }
        self.dirty_groups.clear();
        if self.sb_dirty {
            self.sb.wtime = self.now.into();
            let bs = u64::from(self.geo.block_size);
            self.meta.remove(&((SUPERBLOCK_OFFSET / bs) as u32));
            write_at(&mut self.dev, SUPERBLOCK_OFFSET, self.sb.as_bytes())?;
            self.sb_dirty = false;
        }
        Ok(())
    }

    /// Runs a changing operation: checks the filesystem is writable, then writes the
    /// metadata back whatever the outcome.
    pub(super) fn mutate<T>(&mut self, op: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.check_writable()?;
        let result = op(self);
        let written = self.finish();
        let value = result?;
        written?;
        if self.dev.pending_bytes() >= self.commit_threshold {
            // The operation is done either way; a failed commit leaves the writes
            // pending, and the next commit or `sync` retries and reports.
            if let Err(e) = self.dev.flush() {
                log::warn!("ext2: automatic commit failed: {e}");
            }
        }
        Ok(value)
    }

    /// Checks that `blk` may be a data or pointer block.
    pub(super) fn check_block(&self, blk: u32) -> Result<()> {
        if blk <= self.geo.first_data_block || u64::from(blk) >= self.geo.blocks_count {
            return Err(corrupt(format!(
                "block pointer {blk} is outside the filesystem"
            )));
        }
        Ok(())
    }

    pub(super) fn read_block(&mut self, blk: u32, buf: &mut [u8]) -> Result<()> {
        if u64::from(blk) >= self.geo.blocks_count {
            return Err(corrupt(format!("block {blk} is outside the filesystem")));
        }
        read_at(
            &mut self.dev,
            u64::from(blk) * u64::from(self.geo.block_size),
            buf,
        )?;
        Ok(())
    }

    pub(super) fn write_block(&mut self, blk: u32, buf: &[u8]) -> Result<()> {
        if u64::from(blk) >= self.geo.blocks_count {
            return Err(corrupt(format!("block {blk} is outside the filesystem")));
        }
        if let Some(cached) = self.meta.get_mut(&blk) {
            if cached.len() == buf.len() {
                cached.copy_from_slice(buf);
            } else {
                self.meta.remove(&blk);
            }
        }
        write_at(
            &mut self.dev,
            u64::from(blk) * u64::from(self.geo.block_size),
            buf,
        )?;
        Ok(())
    }

    /// Reads a metadata block through the metadata cache.
    pub(super) fn read_meta_block(&mut self, blk: u32, buf: &mut [u8]) -> Result<()> {
        if let Some(cached) = self.meta.get(&blk) {
            if cached.len() == buf.len() {
                buf.copy_from_slice(cached);
                return Ok(());
            }
        }
        self.read_block(blk, buf)?;
        if buf.len() == self.geo.block_size as usize {
            if self.meta.len() >= META_CACHE_BLOCKS {
                self.meta.clear();
            }
            self.meta.insert(blk, buf.to_vec());
        }
        Ok(())
    }

    pub(super) fn block_buf(&self) -> Vec<u8> {
        vec![0u8; self.geo.block_size as usize]
    }

    /// The inode table block holding inode `ino`, and its offset in that block.
    fn inode_location(&self, ino: u32) -> Result<(u32, usize)> {
        if ino == 0 || ino > self.geo.inodes_count {
            return Err(corrupt(format!("inode number {ino} out of range")));
        }
        let group = (ino - 1) / self.geo.inodes_per_group;
        let index = (ino - 1) % self.geo.inodes_per_group;
        let table = self.groups[group as usize].inode_table.get();
        let byte = u64::from(index) * u64::from(self.geo.inode_size);
        let bs = u64::from(self.geo.block_size);
        Ok((table + (byte / bs) as u32, (byte % bs) as usize))
    }

    /// Reads inode `ino` as stored.
    pub fn read_inode(&mut self, ino: u32) -> Result<Inode> {
        let (blk, off) = self.inode_location(ino)?;
        let mut buf = self.block_buf();
        self.read_meta_block(blk, &mut buf)?;
        Inode::read_from_bytes(&buf[off..off + 128]).map_err(|_| corrupt("inode"))
    }

    pub(super) fn write_inode(&mut self, ino: u32, inode: &Inode) -> Result<()> {
        let (blk, off) = self.inode_location(ino)?;
        let mut buf = self.block_buf();
        self.read_meta_block(blk, &mut buf)?;
        buf[off..off + 128].copy_from_slice(inode.as_bytes());
        self.write_block(blk, &buf)
    }

    /// Writes a fresh inode, clearing the whole on-disk slot (extra space included).
    pub(super) fn write_new_inode(&mut self, ino: u32, inode: &Inode) -> Result<()> {
        let (blk, off) = self.inode_location(ino)?;
        let size = self.geo.inode_size as usize;
        let mut buf = self.block_buf();
        self.read_meta_block(blk, &mut buf)?;
        let slot = &mut buf[off..off + size];
        slot.fill(0);
        slot[..128].copy_from_slice(inode.as_bytes());
        if let Ok((extra, _)) = InodeExtra::mut_from_prefix(&mut slot[128..]) {
            // Claim the extra fields Linux uses (all zero), as Linux does.
            extra.extra_isize = (std::mem::size_of::<InodeExtra>() as u16).into();
        }
        self.write_block(blk, &buf)
    }

    /// Reads an inode that must be in use (links or held open).
    pub(super) fn live_inode(&mut self, ino: u32) -> Result<Inode> {
        let inode = self.read_inode(ino)?;
        if inode.mode.get() == 0 || (inode.links_count.get() == 0 && !self.held.contains_key(&ino))
        {
            return Err(Ext2Error::NotFound);
        }
        if inode.file_type().is_none() {
            return Err(corrupt(format!(
                "inode {ino} has mode {:#o}",
                inode.mode.get()
            )));
        }
        Ok(inode)
    }

    /// `stat` of an inode.
    pub fn stat(&mut self, ino: u32) -> Result<Stat> {
        let inode = self.live_inode(ino)?;
        let file_type = inode.file_type().ok_or_else(|| corrupt("mode"))?;
        let rdev = match file_type {
            FileType::CharDevice | FileType::BlockDevice => inode.rdev(),
            _ => (0, 0),
        };
        Ok(Stat {
            ino,
            file_type,
            perm: inode.mode.get() & 0o7777,
            nlink: inode.links_count.get(),
            uid: inode.uid(),
            gid: inode.gid(),
            size: inode.size(),
            blocks: u64::from(inode.blocks.get()),
            atime: inode.atime.get(),
            mtime: inode.mtime.get(),
            ctime: inode.ctime.get(),
            rdev,
        })
    }

    /// Changes permission bits, owner and times (each `None` leaves it as is).
    pub fn set_attr(
        &mut self,
        ino: u32,
        perm: Option<u16>,
        owner: Option<(u32, u32)>,
        times: Option<(u32, u32)>,
    ) -> Result<()> {
        self.mutate(|fs| {
            let mut inode = fs.live_inode(ino)?;
            if let Some(p) = perm {
                let ty = inode.mode.get() & super::inode::mode::S_IFMT;
                inode.mode = (ty | (p & 0o7777)).into();
            }
            if let Some((uid, gid)) = owner {
                inode.set_owner(uid, gid);
            }
            if let Some((atime, mtime)) = times {
                inode.atime = atime.into();
                inode.mtime = mtime.into();
            }
            inode.ctime = fs.now.into();
            fs.write_inode(ino, &inode)
        })
    }
}
