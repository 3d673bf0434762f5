//! The overlay: a read-only base device plus the blocks the user wrote, kept in a
//! crash-safe append-only log (see [`format`](mod@format) and `docs/storage.md`).
//!
//! Owns the block index, the transaction that is being built between two flushes and
//! recovery when a log is opened. The bytes of the log live behind [`LogStore`], which a
//! frontend implements (a file beside the image natively, IndexedDB in the browser);
//! [`MemoryLogStore`] keeps them in RAM and can simulate a crash for tests.
//!
//! The guarantee: after a crash, reopening gives exactly the device as of some `flush`
//! that returned `Ok`, namely the last one, or a later one whose records all reached the
//! store (a `flush` is all or nothing). Writes not yet flushed live in memory only.

pub mod format;
mod memory_store;

pub use memory_store::MemoryLogStore;

use super::hash::BlockMap;
use super::{check_access, BlockDevice, BlockError};
use format::{LogHeader, RecordHeader, HEADER_LEN, KIND_BLOCK, KIND_COMMIT, RECORD_LEN};
use std::collections::BTreeMap;
use zerocopy::{FromBytes, IntoBytes};

/// Where an overlay log's bytes are kept. Offsets are 64-bit; the store never
/// interprets the bytes.
pub trait LogStore {
    /// Current length in bytes.
    fn size(&mut self) -> Result<u64, BlockError>;
    /// Reads exactly `buf.len()` bytes at `offset`.
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), BlockError>;
    /// Writes `data` at `offset`, extending the store if needed.
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<(), BlockError>;
    /// Cuts or extends the store to `len` bytes.
    fn set_len(&mut self, len: u64) -> Result<(), BlockError>;
    /// Makes every write so far durable.
    fn sync(&mut self) -> Result<(), BlockError>;
}

/// What recovery found when a log was opened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Complete transactions replayed.
    pub transactions: u64,
    /// Bytes after the last complete transaction that were discarded.
    pub discarded_bytes: u64,
}

/// A base device with the user's changes on top.
pub struct OverlayDevice<B: BlockDevice, S: LogStore> {
    base: B,
    store: S,
    image_id: String,
    /// Committed blocks: block number to the offset of its data in the log.
    index: BlockMap<u64, u64>,
    /// Written but not yet flushed.
    dirty: BTreeMap<u64, Vec<u8>>,
    /// End of the last complete transaction in the log.
    end: u64,
    /// Last committed transaction.
    seq: u64,
    recovery: Recovery,
}

fn overlay_err(msg: impl Into<String>) -> BlockError {
    BlockError::Overlay(msg.into())
}

impl<B: BlockDevice, S: LogStore> OverlayDevice<B, S> {
    /// Opens the overlay kept in `store` over `base`, whose id is `image_id`. An empty
    /// store gets a fresh header. A store that belongs to another image, or whose header
    /// is damaged, is refused and left untouched.
    pub fn open(base: B, mut store: S, image_id: &str) -> Result<OverlayDevice<B, S>, BlockError> {
        let block_size = base.block_size();
        let block_count = base.block_count();
        let fresh = LogHeader::new(block_size, block_count, image_id)
            .ok_or_else(|| overlay_err(format!("image id {image_id:?} is too long")))?;
        let len = store.size()?;
        let mut bytes = [0u8; HEADER_LEN as usize];
        let present = len.min(HEADER_LEN) as usize;
        store.read_at(0, &mut bytes[..present])?;
        // A crash while the header was first written leaves a prefix of it (or zeros):
        // such a log holds nothing yet and is started again. Anything else that is not a
        // valid header is not ours to overwrite.
        let torn_fresh = len <= HEADER_LEN
            && (bytes[..present] == fresh.as_bytes()[..present]
                || bytes[..present].iter().all(|&b| b == 0));
        if len == 0 || (torn_fresh && LogHeader::parse(&bytes).is_none()) {
            store.set_len(0)?;
            store.write_at(0, fresh.as_bytes())?;
            store.sync()?;
        } else {
            if len < HEADER_LEN {
                return Err(overlay_err("the overlay is shorter than its header"));
            }
            let header = LogHeader::parse(&bytes)
                .ok_or_else(|| overlay_err("the overlay header is damaged or not an overlay"))?;
            if header.image_id() != image_id {
                return Err(overlay_err(format!(
                    "the overlay belongs to image {}, not {image_id}",
                    header.image_id()
                )));
            }
            if header.block_size.get() != block_size || header.block_count.get() != block_count {
                return Err(overlay_err(format!(
                    "the overlay is for {} blocks of {} bytes, the image has {block_count} of {block_size}",
                    header.block_count, header.block_size
                )));
            }
        }
        let mut dev = OverlayDevice {
            base,
            store,
            image_id: image_id.to_string(),
            index: BlockMap::default(),
            dirty: BTreeMap::new(),
            end: HEADER_LEN,
            seq: 0,
            recovery: Recovery::default(),
        };
        dev.replay()?;
        Ok(dev)
    }

    /// Scans the log, keeps every complete transaction and cuts what follows the last.
    fn replay(&mut self) -> Result<(), BlockError> {
        let len = self.store.size()?;
        let block_size = u64::from(self.base.block_size());
        let block_count = self.base.block_count();
        let mut off = HEADER_LEN;
        let mut pending: Vec<(u64, u64)> = Vec::new();
        let mut data = vec![0u8; block_size as usize];
        let mut head = [0u8; RECORD_LEN as usize];
        while off + RECORD_LEN <= len {
            self.store.read_at(off, &mut head)?;
            let Ok((rec, _)) = RecordHeader::read_from_prefix(&head) else {
                break;
            };
            if rec.seq.get() != self.seq + 1 {
                break;
            }
            match rec.kind.get() {
                KIND_BLOCK => {
                    let block = rec.block.get();
                    if u64::from(rec.len.get()) != block_size
                        || block >= block_count
                        || off + RECORD_LEN + block_size > len
                    {
                        break;
                    }
                    self.store.read_at(off + RECORD_LEN, &mut data)?;
                    if !rec.verify(&data) {
                        break;
                    }
                    pending.push((block, off + RECORD_LEN));
                    off += RECORD_LEN + block_size;
                }
                KIND_COMMIT => {
                    if rec.len.get() != 0
                        || rec.block.get() != pending.len() as u64
                        || !rec.verify(&[])
                    {
                        break;
                    }
                    self.index.extend(pending.drain(..));
                    off += RECORD_LEN;
                    self.end = off;
                    self.seq += 1;
                    self.recovery.transactions += 1;
                }
                _ => break,
            }
        }
        if len > self.end {
            self.recovery.discarded_bytes = len - self.end;
            self.store.set_len(self.end)?;
            self.store.sync()?;
        }
        Ok(())
    }

    /// What was found when the log was opened.
    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    /// The id of the base image this overlay is bound to.
    pub fn image_id(&self) -> &str {
        &self.image_id
    }

    /// Blocks that differ from the base (committed or not), in ascending order.
    pub fn written_blocks(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self
            .index
            .keys()
            .chain(self.dirty.keys())
            .copied()
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Bytes of written blocks held in memory until the next flush.
    pub fn dirty_bytes(&self) -> u64 {
        self.dirty.len() as u64 * u64::from(self.base.block_size())
    }

    /// Length of the log in bytes.
    pub fn log_len(&self) -> u64 {
        self.end
    }

    /// Gives back the base and the store (unflushed writes are dropped).
    pub fn into_parts(self) -> (B, S) {
        (self.base, self.store)
    }

    /// Rewrites the overlay into `new` (an empty store) as one transaction holding only
    /// the latest version of each written block, and returns the device over it. Pending
    /// writes are flushed into the old log first. On error the old log is untouched and
    /// complete (reopen it); the caller replaces the old log by the new one atomically
    /// (natively: rename) only after this returns `Ok`.
    pub fn compact_into<S2: LogStore>(
        mut self,
        mut new: S2,
    ) -> Result<OverlayDevice<B, S2>, BlockError> {
        self.flush()?;
        if new.size()? != 0 {
            return Err(overlay_err("the store to compact into is not empty"));
        }
        let block_size = self.base.block_size();
        let header = LogHeader::new(block_size, self.base.block_count(), &self.image_id)
            .ok_or_else(|| overlay_err("image id too long"))?;
        new.write_at(0, header.as_bytes())?;
        let mut blocks: Vec<(u64, u64)> = self.index.iter().map(|(&b, &o)| (b, o)).collect();
        blocks.sort_unstable();
        let mut index = BlockMap::default();
        index.reserve(blocks.len());
        let mut data = vec![0u8; block_size as usize];
        let mut bytes = Vec::with_capacity(1 << 20);
        let mut at = HEADER_LEN;
        let seq = if blocks.is_empty() { 0 } else { 1 };
        for &(block, off) in &blocks {
            self.store.read_at(off, &mut data)?;
            index.insert(block, at + bytes.len() as u64 + RECORD_LEN);
            format::encode_block(&mut bytes, seq, block, &data);
            if bytes.len() >= 1 << 20 {
                new.write_at(at, &bytes)?;
                at += bytes.len() as u64;
                bytes.clear();
            }
        }
        if seq == 1 {
            format::encode_commit(&mut bytes, seq, blocks.len() as u64);
        }
        new.write_at(at, &bytes)?;
        at += bytes.len() as u64;
        new.sync()?;
        Ok(OverlayDevice {
            base: self.base,
            store: new,
            image_id: self.image_id,
            index,
            dirty: BTreeMap::new(),
            end: at,
            seq,
            recovery: Recovery::default(),
        })
    }

    /// The log's store.
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }
}

impl<B: BlockDevice, S: LogStore> BlockDevice for OverlayDevice<B, S> {
    fn block_size(&self) -> u32 {
        self.base.block_size()
    }
    fn block_count(&self) -> u64 {
        self.base.block_count()
    }
    fn read_block(&mut self, block: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        check_access(block, buf.len(), self.block_size(), self.block_count())?;
        if let Some(data) = self.dirty.get(&block) {
            buf.copy_from_slice(data);
            Ok(())
        } else if let Some(&off) = self.index.get(&block) {
            self.store.read_at(off, buf)
        } else {
            self.base.read_block(block, buf)
        }
    }
    fn pending_bytes(&self) -> u64 {
        self.dirty_bytes()
    }
    fn write_block(&mut self, block: u64, buf: &[u8]) -> Result<(), BlockError> {
        check_access(block, buf.len(), self.block_size(), self.block_count())?;
        match self.dirty.get_mut(&block) {
            Some(d) => d.copy_from_slice(buf),
            None => {
                self.dirty.insert(block, buf.to_vec());
            }
        }
        Ok(())
    }
    /// Appends the dirty blocks as one transaction, then syncs the store.
    fn flush(&mut self) -> Result<(), BlockError> {
        if self.dirty.is_empty() {
            return Ok(());
        }
        let seq = self.seq + 1;
        let bs = u64::from(self.block_size());
        // Written in pieces of about 1 MiB so a big transaction needs no second copy.
        let piece = (1usize << 20).max((bs + RECORD_LEN) as usize);
        let mut bytes = Vec::with_capacity(piece + (bs + 2 * RECORD_LEN) as usize);
        let mut placed = Vec::with_capacity(self.dirty.len());
        let mut at = self.end;
        let mut result = Ok(());
        for (&block, data) in &self.dirty {
            placed.push((block, at + bytes.len() as u64 + RECORD_LEN));
            format::encode_block(&mut bytes, seq, block, data);
            if bytes.len() >= piece {
                result = self.store.write_at(at, &bytes);
                if result.is_err() {
                    break;
                }
                at += bytes.len() as u64;
                bytes.clear();
            }
        }
        if result.is_ok() {
            format::encode_commit(&mut bytes, seq, self.dirty.len() as u64);
            result = self
                .store
                .write_at(at, &bytes)
                .and_then(|()| self.store.sync());
            at += bytes.len() as u64;
        }
        if let Err(e) = result {
            // The tail may hold part of this transaction: cut it so the next attempt
            // starts clean. The dirty blocks stay in memory.
            let _ = self.store.set_len(self.end);
            return Err(e);
        }
        self.end = at;
        self.seq = seq;
        self.index.extend(placed);
        self.dirty.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests;
