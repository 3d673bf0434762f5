//! One process's view of memory: its VMAs and page table, and the operations Linux offers
//! on them (`mmap`, `munmap`, `mprotect`, `brk`, `fork`), plus the page-fault path that
//! fills pages on demand, breaks copy-on-write and grows the stack.
//!
//! Frames belong to [`Frames`], shared by every address space of the machine, so each
//! operation that may allocate or free takes it as an argument.

use super::frames::{FrameId, Frames};
use super::layout::{MMAP_BASE, MMAP_MIN_ADDR, STACK_LIMIT, TASK_SIZE};
use super::page_table::{PageTable, Pte};
use super::vma::{Backing, Prot, Vma};
use super::{page_ceil, page_floor, Access, PAGE_SHIFT, PAGE_SIZE};
use std::collections::BTreeMap;
use thiserror::Error;

/// Why a memory-management call failed, as the errno the guest sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum MmError {
    #[error("out of memory or address space")]
    NoMemory,
    #[error("invalid argument")]
    InvalidArgument,
    #[error("range already mapped")]
    AlreadyMapped,
    #[error("range not mapped as one area")]
    BadAddress,
}

impl MmError {
    /// The Linux errno (positive).
    pub fn errno(self) -> i32 {
        match self {
            MmError::NoMemory => 12,        // ENOMEM
            MmError::InvalidArgument => 22, // EINVAL
            MmError::AlreadyMapped => 17,   // EEXIST
            MmError::BadAddress => 14,      // EFAULT
        }
    }
}

/// Why an access faulted, which decides the signal and its `si_code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultReason {
    /// No mapping: `SIGSEGV` with `SEGV_MAPERR`.
    Unmapped,
    /// Mapped without the needed permission: `SIGSEGV` with `SEGV_ACCERR`.
    Protection,
    /// A file page wholly past the end of the file: `SIGBUS` with `BUS_ADRERR`.
    BeyondEndOfFile,
    /// No frame could be had, or the file could not be read: `SIGBUS`.
    NoMemoryOrIo,
}

/// A failed access to guest memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error("{reason:?} fault on {access:?} at {addr:#010x}")]
pub struct AccessFault {
    pub addr: u32,
    pub access: Access,
    pub reason: FaultReason,
}

/// The arguments of an `mmap`, already checked for flags the caller does not support.
#[derive(Clone, Debug)]
pub struct MapRequest {
    /// The address wanted: a hint, or the exact address with `fixed`.
    pub addr: u32,
    pub len: u32,
    pub prot: Prot,
    pub shared: bool,
    /// `MAP_FIXED`: replace whatever is there.
    pub fixed: bool,
    /// `MAP_FIXED_NOREPLACE`: exact address, but fail with `EEXIST` over a mapping.
    pub fixed_noreplace: bool,
    pub backing: Backing,
    pub label: Option<&'static str>,
    pub grows_down: bool,
}

impl MapRequest {
    /// An anonymous private mapping anywhere.
    pub fn anonymous(len: u32, prot: Prot) -> MapRequest {
        MapRequest {
            addr: 0,
            len,
            prot,
            shared: false,
            fixed: false,
            fixed_noreplace: false,
            backing: Backing::Anonymous,
            label: None,
            grows_down: false,
        }
    }
}

/// A process's memory.
pub struct AddressSpace {
    vmas: BTreeMap<u32, Vma>,
    table: PageTable,
    brk_start: u32,
    brk: u32,
}

impl Default for AddressSpace {
    fn default() -> Self {
        Self::new()
    }
}

impl AddressSpace {
    pub fn new() -> AddressSpace {
        AddressSpace {
            vmas: BTreeMap::new(),
            table: PageTable::new(),
            brk_start: 0,
            brk: 0,
        }
    }

    pub fn vmas(&self) -> impl Iterator<Item = &Vma> {
        self.vmas.values()
    }

    /// The area containing `addr`.
    pub fn find_vma(&self, addr: u32) -> Option<&Vma> {
        self.vmas
            .range(..=addr)
            .next_back()
            .map(|(_, vma)| vma)
            .filter(|vma| vma.contains(addr))
    }

    /// The page table entry of the page holding `addr` (for the CPU's fast path).
    pub fn pte(&self, addr: u32) -> Pte {
        self.table.get(addr >> PAGE_SHIFT)
    }

    // ----- mmap / munmap / mprotect -------------------------------------------------

    /// Maps a new area and returns its address.
    pub fn mmap(&mut self, frames: &mut Frames, request: MapRequest) -> Result<u32, MmError> {
        let len = page_ceil(u64::from(request.len)).ok_or(MmError::NoMemory)?;
        if len == 0 {
            return Err(MmError::InvalidArgument);
        }
        let exact = request.fixed || request.fixed_noreplace;
        let start = if exact {
            if request.addr % PAGE_SIZE != 0 {
                return Err(MmError::InvalidArgument);
            }
            if u64::from(request.addr) + len > TASK_SIZE {
                return Err(MmError::NoMemory);
            }
            if request.fixed_noreplace && self.overlaps(request.addr, len) {
                return Err(MmError::AlreadyMapped);
            }
            request.addr
        } else {
            self.free_range(page_floor(request.addr), len)
                .ok_or(MmError::NoMemory)?
        };
        let end = u64::from(start) + len;
        if exact {
            self.unmap_range(frames, start, end);
        }
        self.insert(Vma {
            start,
            end,
            prot: request.prot,
            shared: request.shared,
            backing: request.backing,
            label: request.label,
            grows_down: request.grows_down,
        });
        Ok(start)
    }

    /// Removes every mapping in `[addr, addr + len)`; unmapped holes are fine.
    pub fn munmap(&mut self, frames: &mut Frames, addr: u32, len: u32) -> Result<(), MmError> {
        if addr % PAGE_SIZE != 0 || len == 0 {
            return Err(MmError::InvalidArgument);
        }
        let end = page_ceil(u64::from(addr) + u64::from(len)).ok_or(MmError::InvalidArgument)?;
        if end > TASK_SIZE {
            return Err(MmError::InvalidArgument);
        }
        self.unmap_range(frames, addr, end);
        Ok(())
    }

    /// Changes the protection of `[addr, addr + len)`, which must be wholly mapped.
    pub fn mprotect(&mut self, addr: u32, len: u32, prot: Prot) -> Result<(), MmError> {
        if addr % PAGE_SIZE != 0 {
            return Err(MmError::InvalidArgument);
        }
        let end = page_ceil(u64::from(addr) + u64::from(len)).ok_or(MmError::NoMemory)?;
        if end == u64::from(addr) {
            return Ok(());
        }
        if !self.is_fully_mapped(addr, end) {
            return Err(MmError::NoMemory);
        }
        self.split_at(addr);
        self.split_at_end(end);
        let starts: Vec<u32> = self
            .vmas
            .range(addr..)
            .take_while(|(start, _)| u64::from(**start) < end)
            .map(|(start, _)| *start)
            .collect();
        for start in starts {
            let Some(mut vma) = self.vmas.remove(&start) else {
                continue;
            };
            vma.prot = prot;
            for page in (vma.start >> PAGE_SHIFT)..((vma.end >> PAGE_SHIFT) as u32) {
                let pte = self.table.get(page);
                if pte.is_present() {
                    self.table
                        .set(page, pte.with_permissions(prot.read, prot.write, prot.exec));
                }
            }
            self.insert(vma);
        }
        Ok(())
    }

    /// `msync`: writes the cached pages of shared file mappings in `[addr, addr + len)`
    /// back to their files. `ENOMEM` when part of the range is not mapped (the mapped
    /// parts are still written).
    pub fn msync(&mut self, frames: &mut Frames, addr: u32, len: u32) -> Result<(), MmError> {
        if addr % PAGE_SIZE != 0 {
            return Err(MmError::InvalidArgument);
        }
        let end = page_ceil(u64::from(addr) + u64::from(len)).ok_or(MmError::NoMemory)?;
        let mapped = self.is_fully_mapped(addr, end);
        let areas: Vec<Vma> = self
            .vmas
            .values()
            .filter(|v| v.end > u64::from(addr) && u64::from(v.start) < end && v.shared)
            .cloned()
            .collect();
        for vma in areas {
            let Backing::File { file, .. } = &vma.backing else {
                continue;
            };
            let from = vma.start.max(addr);
            let to = vma.end.min(end);
            let mut at = u64::from(from);
            while at < to {
                if let Some(offset) = vma.file_offset(at as u32) {
                    let key = (file.identity(), offset >> PAGE_SHIFT);
                    if let Some(frame) = frames.shared_file_page(key) {
                        let _ = file.write_page(offset, frames.bytes(frame));
                    }
                }
                at += u64::from(PAGE_SIZE);
            }
        }
        if mapped {
            Ok(())
        } else {
            Err(MmError::NoMemory)
        }
    }

    /// Drops the pages of every mapping of `file` from file offset `from` on (after the
    /// file was truncated): touching them again raises `SIGBUS`, as on Linux, private
    /// copies included. The page cache itself is the caller's to trim.
    pub fn unmap_file_pages(&mut self, frames: &mut Frames, file: super::FileId, from: u64) {
        let areas: Vec<(u32, u64, u64)> = self
            .vmas
            .values()
            .filter_map(|v| match &v.backing {
                Backing::File { file: f, offset } if f.identity() == file => {
                    Some((v.start, v.end, *offset))
                }
                _ => None,
            })
            .collect();
        for (start, end, offset) in areas {
            let len = end - u64::from(start);
            if offset + len <= from {
                continue;
            }
            let first = if from > offset {
                u64::from(start) + (from - offset)
            } else {
                u64::from(start)
            };
            let mut at = first;
            while at < end {
                let pte = self.table.take((at >> PAGE_SHIFT) as u32);
                if pte.is_present() {
                    frames.release(pte.frame());
                }
                at += u64::from(PAGE_SIZE);
            }
        }
    }

    /// `mremap`: resizes the mapping at `addr` (which must lie in one area), in place when
    /// the space after it is free, else by moving it when `may_move`; `fixed` moves it to
    /// exactly that address (replacing what is there). Pages move with their frames.
    pub fn mremap(
        &mut self,
        frames: &mut Frames,
        addr: u32,
        old_len: u32,
        new_len: u32,
        may_move: bool,
        fixed: Option<u32>,
    ) -> Result<u32, MmError> {
        if addr % PAGE_SIZE != 0 || new_len == 0 {
            return Err(MmError::InvalidArgument);
        }
        let old_len = page_ceil(u64::from(old_len)).ok_or(MmError::InvalidArgument)?;
        let new_len = page_ceil(u64::from(new_len)).ok_or(MmError::InvalidArgument)?;
        if old_len == 0 {
            // Duplicating a shared mapping (old_size 0) is not supported.
            return Err(MmError::InvalidArgument);
        }
        if u64::from(addr) + old_len > TASK_SIZE {
            return Err(MmError::InvalidArgument);
        }
        if let Some(target) = fixed {
            if target % PAGE_SIZE != 0 || u64::from(target) + new_len > TASK_SIZE {
                return Err(MmError::InvalidArgument);
            }
            let (t0, t1) = (u64::from(target), u64::from(target) + new_len);
            let (o0, o1) = (u64::from(addr), u64::from(addr) + old_len);
            if t0 < o1 && o0 < t1 {
                return Err(MmError::InvalidArgument);
            }
            self.unmap_range(frames, target, t1);
            let mut old_len = old_len;
            if old_len > new_len {
                self.unmap_range(frames, (u64::from(addr) + new_len) as u32, o1);
                old_len = new_len;
            }
            self.check_resizable(addr, old_len)?;
            self.move_area(addr, old_len, target, new_len);
            return Ok(target);
        }
        if new_len <= old_len {
            if new_len < old_len {
                let end = u64::from(addr) + old_len;
                self.unmap_range(frames, (u64::from(addr) + new_len) as u32, end);
            }
            return Ok(addr);
        }
        let vma_end = self.check_resizable(addr, old_len)?;
        let old_end = u64::from(addr) + old_len;
        let grow = new_len - old_len;
        if vma_end == old_end && old_end + grow <= TASK_SIZE && !self.overlaps(old_end as u32, grow)
        {
            let start = self
                .find_vma(addr)
                .map(|v| v.start)
                .ok_or(MmError::BadAddress)?;
            if let Some(vma) = self.vmas.get_mut(&start) {
                vma.end = old_end + grow;
            }
            return Ok(addr);
        }
        if !may_move {
            return Err(MmError::NoMemory);
        }
        let target = self.free_range(0, new_len).ok_or(MmError::NoMemory)?;
        self.move_area(addr, old_len, target, new_len);
        Ok(target)
    }

    /// `[addr, addr + len)` lies in one area; returns the area's end.
    fn check_resizable(&self, addr: u32, len: u64) -> Result<u64, MmError> {
        let vma = self.find_vma(addr).ok_or(MmError::BadAddress)?;
        if u64::from(addr) + len > vma.end {
            return Err(MmError::BadAddress);
        }
        Ok(vma.end)
    }

    /// Moves `[addr, addr + old_len)` (inside one area) to `target` with length
    /// `new_len`; the page table entries move with it.
    fn move_area(&mut self, addr: u32, old_len: u64, target: u32, new_len: u64) {
        let end = u64::from(addr) + old_len;
        self.split_at(addr);
        self.split_at_end(end);
        let Some(mut vma) = self.vmas.remove(&addr) else {
            return;
        };
        let pages = (old_len.min(new_len) >> PAGE_SHIFT) as u32;
        let (from, to) = (addr >> PAGE_SHIFT, target >> PAGE_SHIFT);
        let moved: Vec<(u32, Pte)> = (0..pages)
            .map(|i| (i, self.table.take(from + i)))
            .filter(|(_, pte)| pte.is_present())
            .collect();
        for (i, pte) in moved {
            self.table.set(to + i, pte);
        }
        vma.start = target;
        vma.end = u64::from(target) + new_len;
        self.insert(vma);
    }

    // ----- brk -------------------------------------------------------------------------

    /// Sets where the heap starts (just after the loaded program's bss).
    pub fn set_brk_start(&mut self, addr: u32) {
        let start = page_ceil(u64::from(addr)).unwrap_or(TASK_SIZE) as u32;
        self.brk_start = start;
        self.brk = start;
    }

    /// The `brk` syscall: moves the program break and returns the (possibly unchanged)
    /// current break, as Linux does.
    pub fn brk(&mut self, frames: &mut Frames, requested: u32) -> u32 {
        if requested < self.brk_start {
            return self.brk;
        }
        let (Some(old_end), Some(new_end)) = (
            page_ceil(u64::from(self.brk)),
            page_ceil(u64::from(requested)),
        ) else {
            return self.brk;
        };
        if new_end < old_end {
            self.unmap_range(frames, new_end as u32, old_end);
        } else if new_end > old_end {
            if self.overlaps(old_end as u32, new_end - old_end) {
                return self.brk;
            }
            self.insert(Vma {
                start: old_end as u32,
                end: new_end,
                prot: Prot::READ_WRITE,
                shared: false,
                backing: Backing::Anonymous,
                label: Some("[heap]"),
                grows_down: false,
            });
        }
        self.brk = requested;
        self.brk
    }

    // ----- fork and teardown ---------------------------------------------------------

    /// A copy of this address space for a child process: private pages become
    /// copy-on-write in both, shared pages stay shared.
    pub fn fork(&mut self, frames: &mut Frames) -> AddressSpace {
        let mut child = AddressSpace {
            vmas: self.vmas.clone(),
            table: PageTable::new(),
            brk_start: self.brk_start,
            brk: self.brk,
        };
        let present: Vec<(u32, Pte)> = self.table.present().collect();
        for (page, pte) in present {
            frames.share(pte.frame());
            let shared = self
                .find_vma(page << PAGE_SHIFT)
                .is_some_and(|vma| vma.shared);
            if shared {
                child.table.set(page, pte);
            } else {
                let cow = pte.into_cow();
                self.table.set(page, cow);
                child.table.set(page, cow);
            }
        }
        child
    }

    /// Drops every mapping (on exit and exec).
    pub fn clear(&mut self, frames: &mut Frames) {
        self.unmap_range(frames, 0, TASK_SIZE);
        self.brk_start = 0;
        self.brk = 0;
    }

    // ----- access ----------------------------------------------------------------------

    /// The frame backing the page at `addr` for this kind of access, after handling
    /// whatever fault the access raises (demand fill, copy-on-write, stack growth).
    pub fn translate(
        &mut self,
        frames: &mut Frames,
        addr: u32,
        access: Access,
    ) -> Result<FrameId, AccessFault> {
        let pte = self.pte(addr);
        let allowed = match access {
            Access::Read => pte.can_read(),
            Access::Write => pte.can_write(),
            Access::Execute => pte.can_exec(),
        };
        if pte.is_present() && allowed {
            return Ok(pte.frame());
        }
        self.handle_fault(frames, addr, access)
    }

    /// Copies guest memory at `addr` into `buf` (copy_from_user).
    pub fn read_bytes(
        &mut self,
        frames: &mut Frames,
        addr: u32,
        buf: &mut [u8],
    ) -> Result<(), AccessFault> {
        let mut done = 0usize;
        while done < buf.len() {
            let at = addr.wrapping_add(done as u32);
            if at < addr {
                return Err(fault(at, Access::Read, FaultReason::Unmapped));
            }
            let frame = self.translate(frames, at, Access::Read)?;
            let offset = (at % PAGE_SIZE) as usize;
            let n = (PAGE_SIZE as usize - offset).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&frames.bytes(frame)[offset..offset + n]);
            done += n;
        }
        Ok(())
    }

    /// Copies `data` into guest memory at `addr` (copy_to_user).
    pub fn write_bytes(
        &mut self,
        frames: &mut Frames,
        addr: u32,
        data: &[u8],
    ) -> Result<(), AccessFault> {
        let mut done = 0usize;
        while done < data.len() {
            let at = addr.wrapping_add(done as u32);
            if at < addr {
                return Err(fault(at, Access::Write, FaultReason::Unmapped));
            }
            let frame = self.translate(frames, at, Access::Write)?;
            let offset = (at % PAGE_SIZE) as usize;
            let n = (PAGE_SIZE as usize - offset).min(data.len() - done);
            frames.bytes_mut(frame)[offset..offset + n].copy_from_slice(&data[done..done + n]);
            done += n;
        }
        Ok(())
    }

    /// The text of `/proc/self/maps`.
    pub fn maps(&self) -> String {
        self.vmas.values().map(Vma::maps_line).collect()
    }

    // ----- internals -------------------------------------------------------------------

    fn handle_fault(
        &mut self,
        frames: &mut Frames,
        addr: u32,
        access: Access,
    ) -> Result<FrameId, AccessFault> {
        if self.find_vma(addr).is_none() {
            self.grow_stack_to(addr)
                .ok_or(fault(addr, access, FaultReason::Unmapped))?;
        }
        let vma = self
            .find_vma(addr)
            .cloned()
            .ok_or(fault(addr, access, FaultReason::Unmapped))?;
        let permitted = match access {
            Access::Read => vma.prot.read,
            Access::Write => vma.prot.write,
            Access::Execute => vma.prot.exec,
        };
        if !permitted {
            return Err(fault(addr, access, FaultReason::Protection));
        }
        let page = addr >> PAGE_SHIFT;
        let pte = self.table.get(page);
        let frame = if pte.is_present() {
            // Only a write to a copy-on-write page gets here with the page present.
            let frame = pte.frame();
            if frames.ref_count(frame) > 1 {
                let copy = frames
                    .alloc_copy(frame)
                    .map_err(|_| fault(addr, access, FaultReason::NoMemoryOrIo))?;
                frames.release(frame);
                copy
            } else {
                frame
            }
        } else {
            self.fill_page(frames, &vma, addr, access)?
        };
        self.table.set(
            page,
            Pte::new(frame, vma.prot.read, vma.prot.write, vma.prot.exec),
        );
        Ok(frame)
    }

    /// A frame with the initial contents of the page at `addr` of `vma`.
    fn fill_page(
        &mut self,
        frames: &mut Frames,
        vma: &Vma,
        addr: u32,
        access: Access,
    ) -> Result<FrameId, AccessFault> {
        let no_memory = || fault(addr, access, FaultReason::NoMemoryOrIo);
        let page_addr = page_floor(addr);
        match &vma.backing {
            Backing::Anonymous => frames.alloc_zeroed().map_err(|_| no_memory()),
            Backing::File { file, .. } => {
                let offset = vma.file_offset(page_addr).unwrap_or(0);
                if offset >= page_ceil(file.size()).unwrap_or(u64::MAX) {
                    return Err(fault(addr, access, FaultReason::BeyondEndOfFile));
                }
                let key = (file.identity(), offset >> PAGE_SHIFT);
                if let Some(frame) = frames.shared_file_page(key) {
                    // The cached page holds the file's current bytes (stores through
                    // shared mappings not yet written back included).
                    if vma.shared {
                        frames.share(frame);
                        return Ok(frame);
                    }
                    return frames.alloc_copy(frame).map_err(|_| no_memory());
                }
                let frame = frames.alloc_zeroed().map_err(|_| no_memory())?;
                if file.read_page(offset, frames.bytes_mut(frame)).is_err() {
                    frames.release(frame);
                    return Err(no_memory());
                }
                if vma.shared {
                    frames.insert_shared_file_page(key, frame);
                }
                Ok(frame)
            }
        }
    }

    /// Extends a grows-down area (the stack) down to the page of `addr`, if `addr` is
    /// within the stack limit below it and the space is free.
    fn grow_stack_to(&mut self, addr: u32) -> Option<()> {
        let (&start, stack) = self.vmas.range(addr..).next()?;
        if !stack.grows_down || stack.end - u64::from(addr) > u64::from(STACK_LIMIT) {
            return None;
        }
        let new_start = page_floor(addr);
        if self.overlaps(new_start, u64::from(start - new_start)) {
            return None;
        }
        let mut stack = self.vmas.remove(&start)?;
        stack.start = new_start;
        self.vmas.insert(new_start, stack);
        Some(())
    }

    /// A free range of `len` bytes: at `hint` if free, else top-down below MMAP_BASE,
    /// else bottom-up above it.
    fn free_range(&self, hint: u32, len: u64) -> Option<u32> {
        if hint >= MMAP_MIN_ADDR && u64::from(hint) + len <= TASK_SIZE && !self.overlaps(hint, len)
        {
            return Some(hint);
        }
        let mut top = u64::from(MMAP_BASE);
        for vma in self.vmas.values().rev() {
            if u64::from(vma.start) >= top {
                continue;
            }
            if top - vma.end.min(top) >= len {
                return Some((top - len) as u32);
            }
            top = u64::from(vma.start);
        }
        if top >= u64::from(MMAP_MIN_ADDR) + len {
            return Some((top - len) as u32);
        }
        let mut bottom = u64::from(MMAP_BASE);
        for vma in self.vmas.range(MMAP_BASE..).map(|(_, v)| v) {
            if u64::from(vma.start) >= bottom + len {
                break;
            }
            bottom = bottom.max(vma.end);
        }
        (bottom + len <= TASK_SIZE).then_some(bottom as u32)
    }

    fn overlaps(&self, start: u32, len: u64) -> bool {
        let end = u64::from(start) + len;
        let below = self
            .vmas
            .range(..=start)
            .next_back()
            .is_some_and(|(_, v)| v.end > u64::from(start));
        let inside = self
            .vmas
            .range(start..)
            .next()
            .is_some_and(|(s, _)| u64::from(*s) < end);
        below || inside
    }

    fn is_fully_mapped(&self, start: u32, end: u64) -> bool {
        let mut at = u64::from(start);
        while at < end {
            match self.find_vma(at as u32) {
                Some(vma) => at = vma.end,
                None => return false,
            }
        }
        true
    }

    /// Splits the area containing `at` so that an area starts exactly at `at`.
    fn split_at(&mut self, at: u32) {
        let Some((&start, _)) = self.vmas.range(..=at).next_back() else {
            return;
        };
        if start == at {
            return;
        }
        if let Some(vma) = self.vmas.get_mut(&start) {
            if vma.contains(at) {
                let upper = vma.split_off(at);
                self.vmas.insert(at, upper);
            }
        }
    }

    fn split_at_end(&mut self, end: u64) {
        if end < TASK_SIZE {
            self.split_at(end as u32);
        }
    }

    fn unmap_range(&mut self, frames: &mut Frames, start: u32, end: u64) {
        self.split_at(start);
        self.split_at_end(end);
        let starts: Vec<u32> = self
            .vmas
            .range(start..)
            .take_while(|(s, _)| u64::from(**s) < end)
            .map(|(s, _)| *s)
            .collect();
        for s in starts {
            if let Some(vma) = self.vmas.remove(&s) {
                for page in (vma.start >> PAGE_SHIFT)..((vma.end >> PAGE_SHIFT) as u32) {
                    let pte = self.table.take(page);
                    if pte.is_present() {
                        frames.release(pte.frame());
                        if vma.shared {
                            release_cached_page(frames, &vma, page << PAGE_SHIFT, pte.frame());
                        }
                    }
                }
            }
        }
    }

    /// Inserts an area over free space and merges it with compatible neighbours, as
    /// Linux does (which `/proc/self/maps` shows).
    fn insert(&mut self, vma: Vma) {
        let mut vma = vma;
        let mergeable_prev = self
            .vmas
            .range(..vma.start)
            .next_back()
            .filter(|(_, prev)| prev.end == u64::from(vma.start) && can_merge(prev, &vma))
            .map(|(start, _)| *start);
        if let Some(prev) = mergeable_prev.and_then(|start| self.vmas.remove(&start)) {
            vma = Vma {
                start: prev.start,
                backing: prev.backing,
                ..vma
            };
        }
        if vma.end < TASK_SIZE {
            let next_start = vma.end as u32;
            if let Some(next) = self.vmas.get(&next_start) {
                if can_merge(&vma, next) {
                    let next_end = next.end;
                    self.vmas.remove(&next_start);
                    vma.end = next_end;
                }
            }
        }
        self.vmas.insert(vma.start, vma);
    }
}

/// After a shared mapping let go of `frame` (the page at `addr` of `vma`): when only the
/// page cache still holds it, the page is written back to its file and leaves the
/// cache (unless the object keeps its pages, as a SysV segment does).
fn release_cached_page(frames: &mut Frames, vma: &Vma, addr: u32, frame: FrameId) {
    let Backing::File { file, .. } = &vma.backing else {
        return;
    };
    let Some(offset) = vma.file_offset(addr) else {
        return;
    };
    let key = (file.identity(), offset >> PAGE_SHIFT);
    if frames.shared_file_page(key) != Some(frame)
        || frames.ref_count(frame) != 1
        || file.keep_pages()
    {
        return;
    }
    // A failed write-back cannot be reported to anyone now; the file keeps its
    // previous contents, as after a crash.
    let _ = file.write_page(offset, frames.bytes(frame));
    frames.remove_shared_file_page(key);
}

/// Two adjacent areas behave as one: same permissions and sharing, and the same
/// backing continued (anonymous, or the same file at contiguous offsets).
fn can_merge(lower: &Vma, upper: &Vma) -> bool {
    if lower.prot != upper.prot
        || lower.shared != upper.shared
        || lower.label != upper.label
        || lower.grows_down != upper.grows_down
    {
        return false;
    }
    match (&lower.backing, &upper.backing) {
        (Backing::Anonymous, Backing::Anonymous) => true,
        (
            Backing::File {
                file: a,
                offset: oa,
            },
            Backing::File {
                file: b,
                offset: ob,
            },
        ) => a.identity() == b.identity() && oa + lower.len() == *ob,
        _ => false,
    }
}

fn fault(addr: u32, access: Access, reason: FaultReason) -> AccessFault {
    AccessFault {
        addr,
        access,
        reason,
    }
}

#[cfg(test)]
mod tests;
