//! Maps a checked ELF program (and its interpreter, for dynamic programs) into an
//! address space the way Linux's binfmt_elf does: file-backed private mappings for each
//! `PT_LOAD`, the partial page after the file data zeroed, anonymous pages for the rest of
//! the bss, position-independent programs at the usual base, the interpreter top-down.

use super::elf::{ElfError, ElfFile, ProgramHeader, ET_DYN};
use crate::mm::{
    page_ceil, AddressSpace, Backing, Frames, MapRequest, MappedFile, MmError, Prot, PAGE_SIZE,
    PIE_BASE,
};
use std::rc::Rc;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LoadError {
    #[error("{0}")]
    Elf(#[from] ElfError),
    #[error("cannot map the program: {0}")]
    Memory(#[from] MmError),
    #[error("cannot zero the end of a segment at {0:#x}")]
    Fault(u32),
}

impl LoadError {
    pub fn errno(&self) -> i32 {
        match self {
            LoadError::Elf(e) => e.errno(),
            LoadError::Memory(e) => e.errno(),
            LoadError::Fault(_) => 14, // EFAULT
        }
    }
}

/// A file to load: its contents for mapping and its parsed headers.
pub struct ElfSource {
    pub file: Rc<dyn MappedFile>,
    pub elf: ElfFile,
}

/// Where the program ended up: what the initial stack's auxiliary vector describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadedProgram {
    /// Where execution starts: the interpreter's entry, or the program's.
    pub start: u32,
    /// The program's own entry (`AT_ENTRY`).
    pub entry: u32,
    /// Address of the program headers in memory (`AT_PHDR`), count and entry size.
    pub phdr: u32,
    pub phnum: u32,
    pub phent: u32,
    /// The interpreter's load address (`AT_BASE`), 0 without one.
    pub interp_base: u32,
    /// First address after the program's segments: where the heap starts.
    pub brk_start: u32,
    pub exec_stack: bool,
}

/// Maps `program` and, if given, its `interpreter` into `space`.
pub fn load_program(
    space: &mut AddressSpace,
    frames: &mut Frames,
    program: &ElfSource,
    interpreter: Option<&ElfSource>,
) -> Result<LoadedProgram, LoadError> {
    let (low, _) = program.elf.span();
    let bias = if program.elf.kind == ET_DYN {
        PIE_BASE.wrapping_sub(low)
    } else {
        0
    };
    let program_end = map_segments(space, frames, program, bias)?;
    let phdr = program
        .elf
        .phdr_vaddr()
        .ok_or(ElfError::Malformed(
            "program headers are not in a loaded segment",
        ))?
        .wrapping_add(bias);
    let (start, interp_base) = match interpreter {
        Some(interp) => {
            let (ilow, ihigh) = interp.elf.span();
            let span = u32::try_from(ihigh - u64::from(ilow)).map_err(|_| MmError::NoMemory)?;
            let reserved = space.mmap(frames, MapRequest::anonymous(span, Prot::NONE))?;
            space.munmap(frames, reserved, span)?;
            let ibias = if interp.elf.kind == ET_DYN {
                reserved.wrapping_sub(ilow)
            } else {
                0
            };
            map_segments(space, frames, interp, ibias)?;
            (interp.elf.entry.wrapping_add(ibias), reserved)
        }
        None => (program.elf.entry.wrapping_add(bias), 0),
    };
    space.set_brk_start(program_end);
    Ok(LoadedProgram {
        start,
        entry: program.elf.entry.wrapping_add(bias),
        phdr,
        phnum: program.elf.headers.len() as u32,
        phent: u32::from(program.elf.phentsize),
        interp_base,
        brk_start: program_end,
        exec_stack: program.elf.exec_stack,
    })
}

/// Maps every `PT_LOAD` of `source` at `bias`; returns the end of the highest segment.
fn map_segments(
    space: &mut AddressSpace,
    frames: &mut Frames,
    source: &ElfSource,
    bias: u32,
) -> Result<u32, LoadError> {
    let mut end = 0u32;
    for ph in source.elf.loads() {
        map_segment(space, frames, &source.file, ph, bias)?;
        let seg_end = ph.vaddr.wrapping_add(bias).wrapping_add(ph.memsz);
        end = end.max(seg_end);
    }
    Ok(end)
}

fn map_segment(
    space: &mut AddressSpace,
    frames: &mut Frames,
    file: &Rc<dyn MappedFile>,
    ph: &ProgramHeader,
    bias: u32,
) -> Result<(), LoadError> {
    let prot = Prot {
        read: ph.readable(),
        write: ph.writable(),
        exec: ph.executable(),
    };
    let vaddr = ph.vaddr.wrapping_add(bias);
    let page_start = vaddr & !(PAGE_SIZE - 1);
    let in_page = vaddr - page_start;
    let file_end = u64::from(vaddr) + u64::from(ph.filesz);
    let mem_end = u64::from(vaddr) + u64::from(ph.memsz);
    let file_pages_end = page_ceil(file_end).ok_or(MmError::NoMemory)?;
    let mem_pages_end = page_ceil(mem_end).ok_or(MmError::NoMemory)?;
    if ph.filesz > 0 {
        space.mmap(
            frames,
            MapRequest {
                addr: page_start,
                len: (file_pages_end - u64::from(page_start)) as u32,
                prot,
                shared: false,
                fixed: true,
                fixed_noreplace: false,
                backing: Backing::File {
                    file: file.clone(),
                    offset: u64::from(ph.offset - in_page),
                },
                label: None,
                grows_down: false,
            },
        )?;
        // The bytes after the file data in its last page belong to the bss: zero them.
        let tail = (file_pages_end - file_end) as usize;
        if ph.memsz > ph.filesz && tail > 0 {
            let zero_at = file_end as u32;
            let page = zero_at & !(PAGE_SIZE - 1);
            if !prot.write {
                space.mprotect(
                    page,
                    PAGE_SIZE,
                    Prot {
                        write: true,
                        ..prot
                    },
                )?;
            }
            space
                .write_bytes(frames, zero_at, &vec![0u8; tail])
                .map_err(|_| LoadError::Fault(zero_at))?;
            if !prot.write {
                space.mprotect(page, PAGE_SIZE, prot)?;
            }
        }
    }
    let anon_start = if ph.filesz > 0 {
        file_pages_end
    } else {
        u64::from(page_start)
    };
    if mem_pages_end > anon_start {
        let mut request = MapRequest::anonymous((mem_pages_end - anon_start) as u32, prot);
        request.addr = anon_start as u32;
        request.fixed = true;
        space.mmap(frames, request)?;
    }
    Ok(())
}
