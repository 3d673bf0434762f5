//! Turning an ELF file into a runnable process image: parsing and checking the i386 ELF
//! headers (`elf`), mapping its segments and its interpreter into an address space
//! (`image`), the vDSO page (`vdso`), and the initial stack with argv, envp and the
//! auxiliary vector (`stack`).
//!
//! It does not read files itself: callers hand it the file as a [`crate::mm::MappedFile`]
//! plus the first bytes holding the headers, so it serves the ext2 root and host
//! directories alike.

pub mod elf;
pub mod image;
pub mod stack;
pub mod vdso;

pub use elf::{ElfError, ElfFile};
pub use image::{load_program, ElfSource, LoadError, LoadedProgram};
pub use stack::{build_initial_stack, StackSpec};
