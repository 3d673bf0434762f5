//! A write-through block cache in front of a slow device (a chunked image over HTTP, an
//! overlay log on disk). Owns only which blocks are kept; it never delays a write, so
//! `flush` keeps exactly the inner device's meaning.

use super::hash::BlockMap;
use super::{BlockDevice, BlockError};

/// A cache of up to `capacity` blocks, evicted by the clock (second chance) policy.
pub struct CachedDevice<D: BlockDevice> {
    inner: D,
    capacity: usize,
    /// Slot contents: block number, data, referenced since the hand last passed.
    slots: Vec<(u64, Vec<u8>, bool)>,
    index: BlockMap<u64, usize>,
    hand: usize,
    hits: u64,
    misses: u64,
}

impl<D: BlockDevice> CachedDevice<D> {
    pub fn new(inner: D, capacity: usize) -> CachedDevice<D> {
        CachedDevice {
            inner,
            capacity: capacity.max(1),
            slots: Vec::new(),
            index: BlockMap::default(),
            hand: 0,
            hits: 0,
            misses: 0,
        }
    }

    /// The device below the cache.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The device below the cache, for operations the cache does not forward.
    pub fn inner_mut(&mut self) -> &mut D {
        &mut self.inner
    }

    /// Gives back the device below the cache.
    pub fn into_inner(self) -> D {
        self.inner
    }

    /// (hits, misses) so far.
    pub fn stats(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }

    fn insert(&mut self, block: u64, data: &[u8]) {
        if let Some(&slot) = self.index.get(&block) {
            self.slots[slot].1.copy_from_slice(data);
            self.slots[slot].2 = true;
            return;
        }
        if self.slots.len() < self.capacity {
            self.index.insert(block, self.slots.len());
            self.slots.push((block, data.to_vec(), true));
            return;
        }
        loop {
            let slot = &mut self.slots[self.hand];
            if slot.2 {
                slot.2 = false;
                self.hand = (self.hand + 1) % self.capacity;
                continue;
            }
            self.index.remove(&slot.0);
            slot.0 = block;
            slot.1.copy_from_slice(data);
            slot.2 = true;
            self.index.insert(block, self.hand);
            self.hand = (self.hand + 1) % self.capacity;
            return;
        }
    }
}

impl<D: BlockDevice> BlockDevice for CachedDevice<D> {
    fn block_size(&self) -> u32 {
        self.inner.block_size()
    }
    fn block_count(&self) -> u64 {
        self.inner.block_count()
    }
    fn read_block(&mut self, block: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        if let Some(&slot) = self.index.get(&block) {
            if buf.len() == self.slots[slot].1.len() {
                buf.copy_from_slice(&self.slots[slot].1);
                self.slots[slot].2 = true;
                self.hits += 1;
                return Ok(());
            }
        }
        self.misses += 1;
        self.inner.read_block(block, buf)?;
        self.insert(block, buf);
        Ok(())
    }
    fn write_block(&mut self, block: u64, buf: &[u8]) -> Result<(), BlockError> {
        match self.inner.write_block(block, buf) {
            Ok(()) => {
                self.insert(block, buf);
                Ok(())
            }
            Err(e) => {
                // The inner device may hold anything now: forget our copy.
                if let Some(slot) = self.index.remove(&block) {
                    self.slots[slot].0 = u64::MAX;
                    self.slots[slot].2 = false;
                }
                Err(e)
            }
        }
    }
    fn flush(&mut self) -> Result<(), BlockError> {
        self.inner.flush()
    }
    fn pending_bytes(&self) -> u64 {
        self.inner.pending_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::memory::MemoryDevice;

    #[test]
    fn serves_repeated_reads_and_sees_writes() {
        let mut dev = CachedDevice::new(MemoryDevice::new(512, 64), 4);
        let mut buf = vec![0u8; 512];
        for round in 0..3u8 {
            for b in 0..10u64 {
                dev.write_block(b, &vec![b as u8 + round; 512]).unwrap();
            }
            for b in (0..10u64).rev() {
                dev.read_block(b, &mut buf).unwrap();
                assert_eq!(buf, vec![b as u8 + round; 512]);
            }
        }
        dev.read_block(0, &mut buf).unwrap();
        dev.read_block(0, &mut buf).unwrap();
        assert!(dev.stats().0 > 0);
        assert!(dev.index.len() <= 4);
    }
}
