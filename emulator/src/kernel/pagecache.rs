//! Coherence of `MAP_SHARED` file mappings with `read`/`write`.
//!
//! The page cache lives in `mm::Frames` (`shared_file_pages`): a page of a file that some
//! process maps `MAP_SHARED` has one frame, which every such mapping uses and which
//! holds the page's current bytes: stores through any mapping land there at once. The
//! filesystem's copy is brought up to date lazily ("write-back"): when the last mapping
//! of the page goes (`munmap`, exit, `execve`, replaced by `MAP_FIXED`), on `msync`,
//! `fsync`/`fdatasync`, `sync` and when the machine stops. Write-back compares the frame
//! with the file and writes only what changed, within the file's size.
//!
//! So that `read` and `write` agree with the mappings in between:
//! - `read` takes the bytes of cached pages from their frames (the rest from the file);
//! - `write` goes to the file and is copied into the cached frames it overlaps;
//! - `truncate` drops cached pages past the new end and unmaps them from every process
//!   (touching them raises `SIGBUS`), and zeroes the tail of a partial last page;
//! - a private mapping's page is copied from the cached frame when there is one.

use super::errno::KResult;
use super::task::Task;
use super::vfs::{FileSystem, Loc};
use super::Kernel;
use crate::mm::{FileId, PAGE_SHIFT, PAGE_SIZE};
use std::collections::BTreeSet;

const PAGE: u64 = PAGE_SIZE as u64;

/// Writes `page` (the frame of the file page at `offset`) back to inode `ino` of `fs`:
/// only the part before the end of file, and only if it differs from what is stored.
pub fn write_back_page(fs: &mut dyn FileSystem, ino: u64, offset: u64, page: &[u8]) -> KResult<()> {
    let size = fs.stat(ino)?.size;
    if offset >= size {
        return Ok(());
    }
    let n = (size - offset).min(page.len() as u64) as usize;
    let mut stored = vec![0u8; n];
    let mut done = 0;
    while done < n {
        let got = fs.read(ino, offset + done as u64, &mut stored[done..])?;
        if got == 0 {
            break;
        }
        done += got;
    }
    if stored[..] != page[..n] {
        let mut written = 0;
        while written < n {
            let w = fs.write(ino, offset + written as u64, &page[written..n])?;
            if w == 0 {
                break;
            }
            written += w;
        }
    }
    Ok(())
}

impl Kernel {
    /// The identity mappings of the file at `loc` are keyed by (device, inode).
    pub fn file_id(&self, loc: Loc) -> FileId {
        (self.vfs.mounts[loc.mount].dev, loc.ino)
    }

    /// After `buf` was read from the file at `offset`: the bytes of cached pages replace
    /// the file's (stores through shared mappings not yet written back).
    pub(crate) fn overlay_cached(&self, loc: Loc, offset: u64, buf: &mut [u8]) {
        let id = self.file_id(loc);
        if buf.is_empty() || !self.frames.has_file_pages(id) {
            return;
        }
        let end = offset + buf.len() as u64;
        for (page, frame) in self
            .frames
            .file_pages(id, (offset >> PAGE_SHIFT)..end.div_ceil(PAGE))
        {
            let (from, to) = ((page * PAGE).max(offset), ((page + 1) * PAGE).min(end));
            let bytes = self.frames.bytes(frame);
            buf[(from - offset) as usize..(to - offset) as usize].copy_from_slice(
                &bytes[(from - page * PAGE) as usize..(to - page * PAGE) as usize],
            );
        }
    }

    /// Whether `write`s to the file at `loc` must update cached pages (then the caller
    /// passes the size before the write to [`Kernel::update_cached`]).
    pub(crate) fn file_is_cached(&self, loc: Loc) -> bool {
        self.frames.has_file_pages(self.file_id(loc))
    }

    /// After `data` was written to the file at `offset` (the file had `old_size` bytes):
    /// the cached pages it overlaps take the new bytes, and a gap the write left after
    /// the old end of file reads as zeros in them too.
    pub(crate) fn update_cached(&mut self, loc: Loc, offset: u64, data: &[u8], old_size: u64) {
        let id = self.file_id(loc);
        let end = offset + data.len() as u64;
        let gap_start = old_size.min(offset);
        for (page, frame) in self
            .frames
            .file_pages(id, (gap_start >> PAGE_SHIFT)..end.div_ceil(PAGE))
        {
            let base = page * PAGE;
            let bytes = self.frames.bytes_mut(frame);
            // The gap between the old end and the write.
            let (g0, g1) = (gap_start.max(base), offset.min(base + PAGE));
            if g0 < g1 {
                bytes[(g0 - base) as usize..(g1 - base) as usize].fill(0);
            }
            let (from, to) = (offset.max(base), end.min(base + PAGE));
            if from < to {
                bytes[(from - base) as usize..(to - base) as usize]
                    .copy_from_slice(&data[(from - offset) as usize..(to - offset) as usize]);
            }
        }
    }

    /// After the file at `loc` changed size from `old_size` to `len`: cached pages past
    /// the new end leave the cache and every mapping (`SIGBUS` on the next touch); the
    /// part of the last page past the end reads as zeros.
    pub(crate) fn truncate_file_pages(
        &mut self,
        current: &Task,
        loc: Loc,
        old_size: u64,
        len: u64,
    ) {
        let id = self.file_id(loc);
        let first_gone = len.div_ceil(PAGE);
        if len < old_size {
            let mut seen = BTreeSet::new();
            for task in std::iter::once(current).chain(self.tasks.values()) {
                let ptr = std::rc::Rc::as_ptr(&task.mm) as usize;
                if seen.insert(ptr) {
                    if let Ok(mut mm) = task.mm.try_borrow_mut() {
                        mm.space
                            .unmap_file_pages(&mut self.frames, id, first_gone * PAGE);
                    }
                }
            }
            for (page, _) in self.frames.file_pages(id, first_gone..u64::MAX) {
                self.frames.remove_shared_file_page((id, page));
            }
        }
        // Zero the tail of the page that holds the (old or new) end of file.
        let edge = len.min(old_size);
        if edge % PAGE != 0 {
            let page = edge >> PAGE_SHIFT;
            if let Some(frame) = self.frames.shared_file_page((id, page)) {
                self.frames.bytes_mut(frame)[(edge % PAGE) as usize..].fill(0);
            }
        }
    }

    /// Writes cached pages back to their files: those of `only`, or all.
    pub(crate) fn write_back_cached(&mut self, only: Option<FileId>) -> KResult<()> {
        let pages = match only {
            Some(id) => self
                .frames
                .file_pages(id, 0..u64::MAX)
                .into_iter()
                .map(|(p, f)| ((id, p), f))
                .collect(),
            None => self.frames.all_file_pages(),
        };
        for (((dev, ino), page), frame) in pages {
            let Some(m) = self.vfs.mounts.iter().position(|m| m.dev == dev) else {
                continue; // not a file (a SysV segment)
            };
            let Some(fs) = self.vfs.disk(m) else {
                continue;
            };
            let mut fs = fs.borrow_mut();
            write_back_page(&mut *fs, ino, page * PAGE, self.frames.bytes(frame))?;
        }
        Ok(())
    }
}
