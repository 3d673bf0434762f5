//! The map from a file's logical blocks to disk blocks: 12 direct pointers, then
//! single, double and triple indirect blocks. Owns lookup, allocation along a path and
//! freeing everything past a point (truncate). Walks are bounded by the fixed depth;
//! every pointer is range-checked before it is followed.

use super::error::{Ext2Error, Result};
use super::fs::Ext2Fs;
use super::inode::{Inode, DIND_BLOCK, DIRECT_BLOCKS, IND_BLOCK, TIND_BLOCK};
use crate::block::BlockDevice;

fn ptr_at(block: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([
        block[4 * i],
        block[4 * i + 1],
        block[4 * i + 2],
        block[4 * i + 3],
    ])
}

fn set_ptr(block: &mut [u8], i: usize, v: u32) {
    block[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
}

/// Pointer blocks last read at each indirection depth: (block number, content).
#[derive(Default)]
pub(super) struct PointerCache {
    levels: [(u32, Vec<u8>); 3],
}

impl<D: BlockDevice> Ext2Fs<D> {
    fn ptrs_per_block(&self) -> u64 {
        u64::from(self.geo.block_size / 4)
    }

    /// Logical blocks a file can have through its block map.
    pub(super) fn max_logical_blocks(&self) -> u64 {
        let p = self.ptrs_per_block();
        DIRECT_BLOCKS as u64 + p + p * p + p * p * p
    }

    /// The slot in `inode.block` and the indices below it for logical block `lblk`.
    fn path(&self, lblk: u64) -> Result<(usize, Vec<usize>)> {
        let p = self.ptrs_per_block();
        let mut l = lblk;
        if l < DIRECT_BLOCKS as u64 {
            return Ok((l as usize, vec![]));
        }
        l -= DIRECT_BLOCKS as u64;
        if l < p {
            return Ok((IND_BLOCK, vec![l as usize]));
        }
        l -= p;
        if l < p * p {
            return Ok((DIND_BLOCK, vec![(l / p) as usize, (l % p) as usize]));
        }
        l -= p * p;
        if l < p * p * p {
            return Ok((
                TIND_BLOCK,
                vec![
                    (l / (p * p)) as usize,
                    ((l / p) % p) as usize,
                    (l % p) as usize,
                ],
            ));
        }
        Err(Ext2Error::FileTooBig)
    }

    /// The disk block holding logical block `lblk`, or `None` for a hole.
    pub(super) fn bmap(&mut self, inode: &Inode, lblk: u64) -> Result<Option<u32>> {
        self.bmap_cached(inode, lblk, &mut PointerCache::default())
    }

    /// [`Ext2Fs::bmap`] keeping the pointer blocks it reads in `cache`, for walks over
    /// consecutive blocks. The cache must not outlive a change to the block map.
    pub(super) fn bmap_cached(
        &mut self,
        inode: &Inode,
        lblk: u64,
        cache: &mut PointerCache,
    ) -> Result<Option<u32>> {
        let (slot, indices) = self.path(lblk)?;
        let mut blk = inode.block[slot].get();
        for (depth, i) in indices.into_iter().enumerate() {
            if blk == 0 {
                return Ok(None);
            }
            let level = &mut cache.levels[depth];
            if level.0 != blk || level.1.is_empty() {
                self.check_block(blk)?;
                level.1.resize(self.geo.block_size as usize, 0);
                let mut buf = std::mem::take(&mut level.1);
                let read = self.read_meta_block(blk, &mut buf);
                let level = &mut cache.levels[depth];
                level.1 = buf;
                if let Err(e) = read {
                    level.1.clear();
                    return Err(e);
                }
                level.0 = blk;
            }
            blk = ptr_at(&cache.levels[depth].1, i);
        }
        if blk == 0 {
            return Ok(None);
        }
        self.check_block(blk)?;
        Ok(Some(blk))
    }

    fn sectors_per_block(&self) -> u32 {
        self.geo.block_size / 512
    }

    pub(super) fn add_blocks(&mut self, inode: &mut Inode, n: i64) {
        let per = i64::from(self.sectors_per_block());
        let v = i64::from(inode.blocks.get()) + n * per;
        inode.blocks = (v.clamp(0, i64::from(u32::MAX)) as u32).into();
    }

    /// The disk block for `lblk`, allocating it (and any missing pointer blocks) near
    /// `goal`. Returns the block and whether it is new (its content is undefined).
    pub(super) fn bmap_alloc(
        &mut self,
        inode: &mut Inode,
        lblk: u64,
        goal: u32,
    ) -> Result<(u32, bool)> {
        let (slot, indices) = self.path(lblk)?;
        if u64::from(inode.blocks.get()) + u64::from(self.sectors_per_block()) * 4
            > u64::from(u32::MAX)
        {
            return Err(Ext2Error::FileTooBig);
        }
        let mut blk = inode.block[slot].get();
        let mut goal = goal;
        if blk == 0 {
            blk = self.alloc_block(goal)?;
            self.add_blocks(inode, 1);
            inode.block[slot] = blk.into();
            if indices.is_empty() {
                return Ok((blk, true));
            }
            let zero = self.block_buf();
            self.write_block(blk, &zero)?;
        }
        let mut buf = self.block_buf();
        let last = indices.len().saturating_sub(1);
        for (depth, &i) in indices.iter().enumerate() {
            self.check_block(blk)?;
            self.read_meta_block(blk, &mut buf)?;
            let child = ptr_at(&buf, i);
            if child != 0 {
                blk = child;
                continue;
            }
            goal = goal.max(blk + 1);
            let new = self.alloc_block(goal)?;
            self.add_blocks(inode, 1);
            set_ptr(&mut buf, i, new);
            self.write_block(blk, &buf)?;
            if depth == last {
                return Ok((new, true));
            }
            let zero = self.block_buf();
            self.write_block(new, &zero)?;
            blk = new;
        }
        self.check_block(blk)?;
        Ok((blk, false))
    }

    /// Frees every logical block at or past `first`, and the pointer blocks left empty.
    pub(super) fn free_blocks_from(&mut self, inode: &mut Inode, first: u64) -> Result<()> {
        for i in (first.min(DIRECT_BLOCKS as u64) as usize)..DIRECT_BLOCKS {
            let b = inode.block[i].get();
            if b != 0 {
                self.free_block(b)?;
                self.add_blocks(inode, -1);
                inode.block[i] = 0.into();
            }
        }
        let p = self.ptrs_per_block();
        let mut start = DIRECT_BLOCKS as u64;
        for (slot, level) in [(IND_BLOCK, 1u32), (DIND_BLOCK, 2), (TIND_BLOCK, 3)] {
            let span = p.pow(level);
            let root = inode.block[slot].get();
            if root != 0 && first < start + span {
                let empty = self.free_tree(inode, root, level, start, first)?;
                if empty {
                    self.free_block(root)?;
                    self.add_blocks(inode, -1);
                    inode.block[slot] = 0.into();
                }
            }
            start += span;
        }
        Ok(())
    }

    /// Frees the part of the tree under pointer block `blk` (covering logical blocks
    /// from `start`, `level` levels deep) at or past `first`. Returns whether the
    /// pointer block is now all zeros (the caller frees it).
    fn free_tree(
        &mut self,
        inode: &mut Inode,
        blk: u32,
        level: u32,
        start: u64,
        first: u64,
    ) -> Result<bool> {
        self.check_block(blk)?;
        let p = self.ptrs_per_block();
        let child_span = p.pow(level - 1);
        let mut buf = self.block_buf();
        self.read_meta_block(blk, &mut buf)?;
        let mut changed = false;
        for i in 0..p as usize {
            let child = ptr_at(&buf, i);
            if child == 0 {
                continue;
            }
            let child_start = start + i as u64 * child_span;
            if child_start + child_span <= first {
                continue;
            }
            let free_child = if level == 1 {
                true
            } else {
                self.free_tree(inode, child, level - 1, child_start, first)?
            };
            if free_child {
                self.free_block(child)?;
                self.add_blocks(inode, -1);
                set_ptr(&mut buf, i, 0);
                changed = true;
            }
        }
        let empty = buf.iter().all(|&b| b == 0);
        if changed && !empty {
            self.write_block(blk, &buf)?;
        }
        Ok(empty)
    }
}
