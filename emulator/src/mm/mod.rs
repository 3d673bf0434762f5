//! Guest memory as the kernel manages it: physical frames shared by reference count,
//! page tables, and address spaces made of VMAs (`mmap`, `munmap`, `mprotect`, `brk`,
//! copy-on-write `fork`, demand paging, `/proc/self/maps`).
//!
//! This module knows nothing about instructions: the CPU reaches memory through the
//! address space's access methods, and faults come back as [`AccessFault`] values that
//! the kernel turns into `SIGSEGV`/`SIGBUS` with the right `si_code`. File contents reach
//! it through the [`MappedFile`] trait, so it does not depend on a filesystem.

mod address_space;
mod frames;
mod layout;
mod page_table;
mod vma;

pub use address_space::{AccessFault, AddressSpace, FaultReason, MapRequest, MmError};
pub use frames::{FileId, FrameId, Frames, OutOfFrames, SharedPageKey};
pub use layout::*;
pub use page_table::{PageTable, Pte};
pub use vma::{Backing, MappedFile, Prot, Vma};

/// Guest page size.
pub const PAGE_SIZE: u32 = 4096;
/// log2 of [`PAGE_SIZE`].
pub const PAGE_SHIFT: u32 = 12;

/// How an access used memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Execute,
}

/// Rounds `value` down to a page boundary.
pub const fn page_floor(value: u32) -> u32 {
    value & !(PAGE_SIZE - 1)
}

/// Rounds `value` up to a page boundary, or `None` past the top of the address space.
pub const fn page_ceil(value: u64) -> Option<u64> {
    let rounded = (value + PAGE_SIZE as u64 - 1) & !(PAGE_SIZE as u64 - 1);
    if rounded > 1 << 32 {
        None
    } else {
        Some(rounded)
    }
}
