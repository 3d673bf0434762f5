//! Block and inode allocation: the per-group bitmaps and the free counts in the group
//! descriptors and the superblock, kept exact on every change.

use super::error::{corrupt, Ext2Error, Result};
use super::fs::Ext2Fs;
use crate::block::BlockDevice;

/// Finds a clear bit in `bits[..limit]`, starting at `start` and wrapping.
fn find_clear(bits: &[u8], limit: u32, start: u32) -> Option<u32> {
    let limit = limit.min(bits.len() as u32 * 8);
    let start = if start >= limit { 0 } else { start };
    let scan = |from: u32, to: u32| -> Option<u32> {
        let mut i = from;
        while i < to {
            if i % 8 == 0 && i + 8 <= to && bits[(i / 8) as usize] == 0xff {
                i += 8;
                continue;
            }
            if bits[(i / 8) as usize] & (1 << (i % 8)) == 0 {
                return Some(i);
            }
            i += 1;
        }
        None
    };
    scan(start, limit).or_else(|| scan(0, start))
}

fn test_bit(bits: &[u8], i: u32) -> bool {
    bits[(i / 8) as usize] & (1 << (i % 8)) != 0
}

fn flip_bit(bits: &mut [u8], i: u32) {
    bits[(i / 8) as usize] ^= 1 << (i % 8);
}

impl<D: BlockDevice> Ext2Fs<D> {
    /// Takes bitmap block `blk` out of the per-operation cache (reading it if needed);
    /// give it back with [`Ext2Fs::put_bitmap`].
    fn take_bitmap(&mut self, blk: u32) -> Result<Vec<u8>> {
        match self.bitmaps.remove(&blk) {
            Some((bits, dirty)) => {
                if dirty {
                    // Keep the dirty mark while it is out.
                    self.bitmaps.insert(blk, (Vec::new(), true));
                }
                Ok(bits)
            }
            None => {
                let mut bits = self.block_buf();
                self.read_block(blk, &mut bits)?;
                Ok(bits)
            }
        }
    }

    fn put_bitmap(&mut self, blk: u32, bits: Vec<u8>, changed: bool) {
        let dirty = changed || self.bitmaps.get(&blk).is_some_and(|e| e.1);
        self.bitmaps.insert(blk, (bits, dirty));
    }

    /// Number of blocks in group `g` (the last group may be short).
    fn blocks_in_group(&self, g: u32) -> u32 {
        let start = u64::from(self.geo.first_data_block)
            + u64::from(g) * u64::from(self.geo.blocks_per_group);
        (self.geo.blocks_count - start).min(u64::from(self.geo.blocks_per_group)) as u32
    }

    pub(super) fn group_of_block(&self, blk: u32) -> u32 {
        (blk.saturating_sub(self.geo.first_data_block)) / self.geo.blocks_per_group
    }

    pub(super) fn group_of_inode(&self, ino: u32) -> u32 {
        (ino.max(1) - 1) / self.geo.inodes_per_group
    }

    /// Allocates a block, as close after `goal` as possible. The block's content is
    /// not touched.
    pub(super) fn alloc_block(&mut self, goal: u32) -> Result<u32> {
        if self.sb.free_blocks_count.get() == 0 {
            return Err(Ext2Error::NoSpace);
        }
        let goal = if u64::from(goal) < self.geo.blocks_count && goal > self.geo.first_data_block {
            goal
        } else {
            self.geo.first_data_block + 1
        };
        let first_group = self.group_of_block(goal);
        let n = self.geo.groups_count;
        for step in 0..n {
            let g = (first_group + step) % n;
            if self.groups[g as usize].free_blocks_count.get() == 0 {
                continue;
            }
            let bitmap = self.groups[g as usize].block_bitmap.get();
            let mut bits = self.take_bitmap(bitmap)?;
            let start = if step == 0 {
                (goal - self.geo.first_data_block) % self.geo.blocks_per_group
            } else {
                0
            };
            let Some(bit) = find_clear(&bits, self.blocks_in_group(g), start) else {
                self.put_bitmap(bitmap, bits, false);
                return Err(corrupt(format!(
                    "group {g} counts free blocks but its bitmap is full"
                )));
            };
            flip_bit(&mut bits, bit);
            self.put_bitmap(bitmap, bits, true);
            let gd = &mut self.groups[g as usize];
            gd.free_blocks_count = gd.free_blocks_count.get().saturating_sub(1).into();
            self.dirty_groups.insert(g);
            self.sb.free_blocks_count = self.sb.free_blocks_count.get().saturating_sub(1).into();
            self.sb_dirty = true;
            return Ok(self.geo.first_data_block + g * self.geo.blocks_per_group + bit);
        }
        Err(Ext2Error::NoSpace)
    }

    /// Returns a block to the free pool. Freeing a free block is corruption.
    pub(super) fn free_block(&mut self, blk: u32) -> Result<()> {
        self.check_block(blk)?;
        let g = self.group_of_block(blk);
        let bit = (blk - self.geo.first_data_block) % self.geo.blocks_per_group;
        let bitmap = self.groups[g as usize].block_bitmap.get();
        let mut bits = self.take_bitmap(bitmap)?;
        if !test_bit(&bits, bit) {
            self.put_bitmap(bitmap, bits, false);
            return Err(corrupt(format!("block {blk} freed twice")));
        }
        flip_bit(&mut bits, bit);
        self.put_bitmap(bitmap, bits, true);
        let gd = &mut self.groups[g as usize];
        gd.free_blocks_count = gd.free_blocks_count.get().saturating_add(1).into();
        self.dirty_groups.insert(g);
        self.sb.free_blocks_count = self.sb.free_blocks_count.get().saturating_add(1).into();
        self.sb_dirty = true;
        Ok(())
    }

    /// Allocates an inode number: directories go to a group with many free inodes and
    /// blocks, other files near their parent.
    pub(super) fn alloc_inode(&mut self, parent: u32, is_dir: bool) -> Result<u32> {
        if self.sb.free_inodes_count.get() == 0 {
            return Err(Ext2Error::NoSpace);
        }
        let n = self.geo.groups_count;
        let first = if is_dir {
            let avg = self.sb.free_inodes_count.get() / n.max(1);
            (0..n)
                .filter(|&g| u32::from(self.groups[g as usize].free_inodes_count.get()) >= avg)
                .max_by_key(|&g| {
                    (
                        self.groups[g as usize].free_blocks_count.get(),
                        std::cmp::Reverse(g),
                    )
                })
                .unwrap_or(0)
        } else {
            self.group_of_inode(parent) % n
        };
        for step in 0..n {
            let g = (first + step) % n;
            if self.groups[g as usize].free_inodes_count.get() == 0 {
                continue;
            }
            let bitmap = self.groups[g as usize].inode_bitmap.get();
            let mut bits = self.take_bitmap(bitmap)?;
            // Inodes below first_ino are reserved.
            let base = g * self.geo.inodes_per_group;
            let start = self.geo.first_ino.saturating_sub(base + 1);
            let mut bit = find_clear(&bits, self.geo.inodes_per_group, start);
            if let Some(b) = bit {
                if base + b + 1 < self.geo.first_ino {
                    bit = None;
                }
            }
            let Some(bit) = bit else {
                self.put_bitmap(bitmap, bits, false);
                return Err(corrupt(format!(
                    "group {g} counts free inodes but its bitmap is full"
                )));
            };
            flip_bit(&mut bits, bit);
            self.put_bitmap(bitmap, bits, true);
            let gd = &mut self.groups[g as usize];
            gd.free_inodes_count = gd.free_inodes_count.get().saturating_sub(1).into();
            if is_dir {
                gd.used_dirs_count = gd.used_dirs_count.get().saturating_add(1).into();
            }
            self.dirty_groups.insert(g);
            self.sb.free_inodes_count = self.sb.free_inodes_count.get().saturating_sub(1).into();
            self.sb_dirty = true;
            return Ok(base + bit + 1);
        }
        Err(Ext2Error::NoSpace)
    }

    /// Clears an inode's bit and fixes the counts.
    pub(super) fn free_inode_number(&mut self, ino: u32, was_dir: bool) -> Result<()> {
        if ino < self.geo.first_ino || ino > self.geo.inodes_count {
            return Err(corrupt(format!("freeing reserved inode {ino}")));
        }
        let g = self.group_of_inode(ino);
        let bit = (ino - 1) % self.geo.inodes_per_group;
        let bitmap = self.groups[g as usize].inode_bitmap.get();
        let mut bits = self.take_bitmap(bitmap)?;
        if !test_bit(&bits, bit) {
            self.put_bitmap(bitmap, bits, false);
            return Err(corrupt(format!("inode {ino} freed twice")));
        }
        flip_bit(&mut bits, bit);
        self.put_bitmap(bitmap, bits, true);
        let gd = &mut self.groups[g as usize];
        gd.free_inodes_count = gd.free_inodes_count.get().saturating_add(1).into();
        if was_dir {
            gd.used_dirs_count = gd.used_dirs_count.get().saturating_sub(1).into();
        }
        self.dirty_groups.insert(g);
        self.sb.free_inodes_count = self.sb.free_inodes_count.get().saturating_add(1).into();
        self.sb_dirty = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::find_clear;

    #[test]
    fn finds_clear_bits_with_wraparound_and_limit() {
        let bits = [0xff, 0b1110_1111, 0xff];
        assert_eq!(find_clear(&bits, 24, 0), Some(12));
        assert_eq!(find_clear(&bits, 24, 13), Some(12));
        assert_eq!(find_clear(&bits, 12, 0), None);
        assert_eq!(find_clear(&[0u8; 2], 16, 99), Some(0));
    }
}
