//! Physical frames: 4 KiB pages of guest memory in one growable arena, each with a
//! reference count so `fork` and `MAP_SHARED` can share them.
//!
//! Frames are named by index, never by host address, so the arena may grow (and later
//! live inside the wasm memory the JIT addresses) without invalidating anything.

use super::PAGE_SIZE;
use std::collections::BTreeMap;
use thiserror::Error;

/// A page of a file mapped `MAP_SHARED`: file identity (device, inode) and page index.
pub type SharedPageKey = ((u64, u64), u64);

/// The identity of a mapped object (device, inode), as [`super::MappedFile::identity`].
pub type FileId = (u64, u64);

const FRAME_BYTES: usize = PAGE_SIZE as usize;

/// The index of a frame in the arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FrameId(pub u32);

/// The arena is at its limit: the guest gets `ENOMEM` (or `SIGBUS` on a fault).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error("guest memory exhausted ({limit} frames in use)")]
pub struct OutOfFrames {
    pub limit: u32,
}

/// All guest physical memory.
pub struct Frames {
    bytes: Vec<u8>,
    refs: Vec<u32>,
    free: Vec<u32>,
    limit: u32,
    /// The page cache of shared mappings: pages of files (or other shared objects, such
    /// as SysV segments) mapped `MAP_SHARED`, so every process mapping the same page
    /// sees the same frame. While a page is here its frame holds the current bytes of
    /// that page of the file (the kernel routes `read`/`write` through it); it is
    /// written back to the file when the last mapping goes, on `msync`, `fsync`, `sync`.
    /// The map holds one reference on each frame.
    shared_file_pages: BTreeMap<SharedPageKey, FrameId>,
}

impl Frames {
    /// An empty arena that will hold at most `max_bytes` of guest memory.
    pub fn new(max_bytes: u64) -> Frames {
        Frames {
            bytes: Vec::new(),
            refs: Vec::new(),
            free: Vec::new(),
            shared_file_pages: BTreeMap::new(),
            limit: (max_bytes / u64::from(PAGE_SIZE)).min(u64::from(u32::MAX)) as u32,
        }
    }

    /// A new zero-filled frame with one reference.
    pub fn alloc_zeroed(&mut self) -> Result<FrameId, OutOfFrames> {
        if let Some(index) = self.free.pop() {
            self.refs[index as usize] = 1;
            self.bytes_mut_of(index).fill(0);
            return Ok(FrameId(index));
        }
        let index = self.refs.len() as u32;
        if index >= self.limit {
            return Err(OutOfFrames { limit: self.limit });
        }
        self.bytes.resize(self.bytes.len() + FRAME_BYTES, 0);
        self.refs.push(1);
        Ok(FrameId(index))
    }

    /// A new frame holding a copy of `source`, with one reference.
    pub fn alloc_copy(&mut self, source: FrameId) -> Result<FrameId, OutOfFrames> {
        let copy = self.alloc_zeroed()?;
        let (src, dst) = (self.offset(source), self.offset(copy));
        self.bytes.copy_within(src..src + FRAME_BYTES, dst);
        Ok(copy)
    }

    /// Adds a reference to a frame.
    pub fn share(&mut self, frame: FrameId) {
        if let Some(count) = self.refs.get_mut(frame.0 as usize) {
            *count = count.saturating_add(1);
        }
    }

    /// Drops a reference; the frame is reused once none are left.
    pub fn release(&mut self, frame: FrameId) {
        if let Some(count) = self.refs.get_mut(frame.0 as usize) {
            if *count == 0 {
                return;
            }
            *count -= 1;
            if *count == 0 {
                self.free.push(frame.0);
            }
        }
    }

    /// The frame holding a shared file page, if some process has it mapped already.
    pub fn shared_file_page(&self, key: SharedPageKey) -> Option<FrameId> {
        self.shared_file_pages.get(&key).copied()
    }

    /// Records `frame` as the shared page for `key`; the record takes its own reference.
    pub fn insert_shared_file_page(&mut self, key: SharedPageKey, frame: FrameId) {
        self.share(frame);
        if let Some(old) = self.shared_file_pages.insert(key, frame) {
            self.release(old);
        }
    }

    /// Drops the cached page `key` (the cache's reference); returns its frame.
    pub fn remove_shared_file_page(&mut self, key: SharedPageKey) -> Option<FrameId> {
        let frame = self.shared_file_pages.remove(&key)?;
        self.release(frame);
        Some(frame)
    }

    /// The cached pages of `file` with index in `pages`, in order.
    pub fn file_pages(&self, file: FileId, pages: std::ops::Range<u64>) -> Vec<(u64, FrameId)> {
        if pages.start >= pages.end {
            return Vec::new();
        }
        self.shared_file_pages
            .range((file, pages.start)..(file, pages.end))
            .map(|(&(_, page), &frame)| (page, frame))
            .collect()
    }

    /// Whether any page of `file` is cached (the cheap test before the I/O paths look).
    pub fn has_file_pages(&self, file: FileId) -> bool {
        self.shared_file_pages
            .range((file, 0)..=(file, u64::MAX))
            .next()
            .is_some()
    }

    /// Every cached page, in order of file and page.
    pub fn all_file_pages(&self) -> Vec<(SharedPageKey, FrameId)> {
        self.shared_file_pages
            .iter()
            .map(|(&k, &f)| (k, f))
            .collect()
    }

    /// Forgets every shared page of the file `identity` (a System V shared memory
    /// segment destroyed), dropping the map's references.
    pub fn drop_shared_file_pages(&mut self, identity: (u64, u64)) {
        let keys: Vec<SharedPageKey> = self
            .shared_file_pages
            .keys()
            .filter(|k| k.0 == identity)
            .copied()
            .collect();
        for key in keys {
            if let Some(frame) = self.shared_file_pages.remove(&key) {
                self.release(frame);
            }
        }
    }

    pub fn ref_count(&self, frame: FrameId) -> u32 {
        self.refs.get(frame.0 as usize).copied().unwrap_or(0)
    }

    /// Frames currently referenced.
    pub fn in_use(&self) -> usize {
        self.refs.len() - self.free.len()
    }

    pub fn bytes(&self, frame: FrameId) -> &[u8] {
        let start = self.offset(frame);
        &self.bytes[start..start + FRAME_BYTES]
    }

    pub fn bytes_mut(&mut self, frame: FrameId) -> &mut [u8] {
        self.bytes_mut_of(frame.0)
    }

    fn bytes_mut_of(&mut self, index: u32) -> &mut [u8] {
        let start = index as usize * FRAME_BYTES;
        &mut self.bytes[start..start + FRAME_BYTES]
    }

    fn offset(&self, frame: FrameId) -> usize {
        frame.0 as usize * FRAME_BYTES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_zeroed_counted_and_reused() {
        let mut frames = Frames::new(2 * 4096);
        let a = frames.alloc_zeroed().unwrap();
        frames.bytes_mut(a)[10] = 7;
        let b = frames.alloc_copy(a).unwrap();
        assert_eq!(frames.bytes(b)[10], 7);
        assert_eq!(frames.alloc_zeroed(), Err(OutOfFrames { limit: 2 }));
        frames.share(a);
        frames.release(a);
        assert_eq!(frames.ref_count(a), 1);
        frames.release(a);
        assert_eq!(frames.in_use(), 1);
        let c = frames.alloc_zeroed().unwrap();
        assert_eq!(c, a, "a freed frame is reused");
        assert_eq!(frames.bytes(c)[10], 0, "and comes back zeroed");
    }
}
