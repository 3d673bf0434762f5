//! The overlay log in the browser: an in-memory [`LogStore`] whose bytes are kept in
//! IndexedDB as fixed-size pages. The whole log is loaded before boot; `sync` hands the
//! pages changed since the last sync, and the new length, to a [`Persist`] hook (the
//! worker glue sends them to the I/O worker and waits until IndexedDB committed them).
//!
//! Owns the page bookkeeping only; it does not know IndexedDB or JavaScript.

use emulator::block::overlay::LogStore;
use emulator::block::BlockError;
use std::collections::BTreeSet;

/// Size of one stored page of the log.
pub const PAGE_BYTES: usize = 64 * 1024;

/// Where synced pages go.
pub trait Persist {
    /// Stores `pages` (index, bytes; the last page may be short) and the log length
    /// `len`, durably, before returning `Ok`.
    fn persist(&mut self, len: u64, pages: &[(u64, &[u8])]) -> Result<(), String>;
}

/// A log in memory, optionally persisted.
pub struct PagedLog<P: Persist> {
    data: Vec<u8>,
    dirty: BTreeSet<u64>,
    /// Length at the last sync (a shorter log must be recorded even with no page dirty).
    synced_len: u64,
    persist: Option<P>,
}

impl<P: Persist> PagedLog<P> {
    /// A log holding `initial` (as loaded from storage), persisted through `persist`
    /// when given.
    pub fn new(initial: Vec<u8>, persist: Option<P>) -> PagedLog<P> {
        PagedLog {
            synced_len: initial.len() as u64,
            data: initial,
            dirty: BTreeSet::new(),
            persist,
        }
    }

    fn mark(&mut self, start: u64, end: u64) {
        if end > start {
            let first = start / PAGE_BYTES as u64;
            let last = (end - 1) / PAGE_BYTES as u64;
            self.dirty.extend(first..=last);
        }
    }
}

fn storage(msg: impl Into<String>) -> BlockError {
    BlockError::Storage(msg.into())
}

impl<P: Persist> LogStore for PagedLog<P> {
    fn size(&mut self) -> Result<u64, BlockError> {
        Ok(self.data.len() as u64)
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        let start = usize::try_from(offset).map_err(|_| storage("log offset too large"))?;
        let end = start
            .checked_add(buf.len())
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| storage("read past the end of the log"))?;
        buf.copy_from_slice(&self.data[start..end]);
        Ok(())
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<(), BlockError> {
        let start = usize::try_from(offset).map_err(|_| storage("log offset too large"))?;
        let end = start + data.len();
        // A write past the end zero-fills the gap: those pages change too.
        let first = offset.min(self.data.len() as u64);
        if self.data.len() < end {
            self.data.resize(end, 0);
        }
        self.data[start..end].copy_from_slice(data);
        self.mark(first, end as u64);
        Ok(())
    }
    fn set_len(&mut self, len: u64) -> Result<(), BlockError> {
        let old = self.data.len() as u64;
        let new = usize::try_from(len).map_err(|_| storage("log length too large"))?;
        self.data.resize(new, 0);
        if len > old {
            self.mark(old, len);
        } else if len % PAGE_BYTES as u64 != 0 {
            self.mark(len, len + 1);
        }
        self.dirty.retain(|&p| p * (PAGE_BYTES as u64) < len);
        Ok(())
    }
    fn sync(&mut self) -> Result<(), BlockError> {
        let len = self.data.len() as u64;
        if self.dirty.is_empty() && len == self.synced_len {
            return Ok(());
        }
        if let Some(p) = &mut self.persist {
            let pages: Vec<(u64, &[u8])> = self
                .dirty
                .iter()
                .map(|&i| {
                    let start = i as usize * PAGE_BYTES;
                    let end = (start + PAGE_BYTES).min(self.data.len());
                    (i, &self.data[start..end])
                })
                .collect();
            p.persist(len, &pages).map_err(storage)?;
        }
        self.dirty.clear();
        self.synced_len = len;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Remembers pages as IndexedDB would.
    #[derive(Default)]
    struct Db {
        pages: BTreeMap<u64, Vec<u8>>,
        len: u64,
        calls: usize,
    }
    impl Persist for &mut Db {
        fn persist(&mut self, len: u64, pages: &[(u64, &[u8])]) -> Result<(), String> {
            self.calls += 1;
            self.len = len;
            for (i, b) in pages {
                self.pages.insert(*i, b.to_vec());
            }
            Ok(())
        }
    }
    impl Db {
        fn load(&self) -> Vec<u8> {
            let mut v = Vec::new();
            for b in self.pages.values() {
                v.extend_from_slice(b);
            }
            v.truncate(self.len as usize);
            v
        }
    }

    #[test]
    fn synced_pages_reload_to_the_same_log() {
        let mut db = Db::default();
        {
            let mut log = PagedLog::new(Vec::new(), Some(&mut db));
            log.write_at(0, &[1; 100]).unwrap();
            log.write_at(PAGE_BYTES as u64 * 2 + 5, &[2; 10]).unwrap();
            log.sync().unwrap();
            log.sync().unwrap();
        }
        assert_eq!(db.calls, 1);
        let loaded = db.load();
        assert_eq!(loaded.len(), PAGE_BYTES * 2 + 15);
        let mut log = PagedLog::new(loaded, Some(&mut db));
        let mut buf = [0u8; 10];
        log.read_at(PAGE_BYTES as u64 * 2 + 5, &mut buf).unwrap();
        assert_eq!(buf, [2; 10]);
        log.set_len(50).unwrap();
        log.sync().unwrap();
        assert_eq!(db.load(), vec![1; 50]);
    }
}
