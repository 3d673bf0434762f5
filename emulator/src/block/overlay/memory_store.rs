//! A [`LogStore`] in RAM that remembers what was synced, so tests can simulate a crash.

use super::LogStore;
use crate::block::BlockError;

/// Log bytes in memory. `crash` returns what a disk could hold after a power cut.
#[derive(Debug, Clone, Default)]
pub struct MemoryLogStore {
    data: Vec<u8>,
    durable: Vec<u8>,
}

impl MemoryLogStore {
    pub fn new() -> MemoryLogStore {
        MemoryLogStore::default()
    }

    pub fn bytes(&self) -> &[u8] {
        &self.data
    }

    /// The store after a crash: everything synced, plus `keep` bytes of what was written
    /// after the last sync, the last of which flipped when `tear` is set.
    pub fn crash(&self, keep: usize, tear: bool) -> MemoryLogStore {
        let mut data = self.durable.clone();
        if self.data.len() > data.len() {
            let extra = &self.data[data.len()..];
            let n = keep.min(extra.len());
            data.extend_from_slice(&extra[..n]);
            if tear && n > 0 {
                let last = data.len() - 1;
                data[last] ^= 0x5a;
            }
        }
        MemoryLogStore {
            durable: data.clone(),
            data,
        }
    }

    /// Bytes written since the last sync.
    pub fn unsynced(&self) -> usize {
        self.data.len().saturating_sub(self.durable.len())
    }
}

impl LogStore for MemoryLogStore {
    fn size(&mut self) -> Result<u64, BlockError> {
        Ok(self.data.len() as u64)
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        let start = offset as usize;
        let end = start
            .checked_add(buf.len())
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| BlockError::Storage("read past the end of the log".into()))?;
        buf.copy_from_slice(&self.data[start..end]);
        Ok(())
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<(), BlockError> {
        let start = offset as usize;
        if self.data.len() < start + data.len() {
            self.data.resize(start + data.len(), 0);
        }
        self.data[start..start + data.len()].copy_from_slice(data);
        Ok(())
    }
    fn set_len(&mut self, len: u64) -> Result<(), BlockError> {
        self.data.resize(len as usize, 0);
        Ok(())
    }
    fn sync(&mut self) -> Result<(), BlockError> {
        self.durable = self.data.clone();
        Ok(())
    }
}
