//! The i386 ELF format as the loader needs it: the file header and program headers,
//! parsed with explicit little-endian reads and checked before anything is mapped.
//!
//! Every field that later code trusts (segment sizes, offsets, alignment, the
//! interpreter path) is validated here, so a malformed file gives an [`ElfError`] (the
//! guest sees `ENOEXEC`, `EINVAL` or `ELIBBAD`), never a panic.

use thiserror::Error;

pub const ET_EXEC: u16 = 2;
pub const ET_DYN: u16 = 3;
pub const EM_386: u16 = 3;
pub const PT_LOAD: u32 = 1;
pub const PT_INTERP: u32 = 3;
pub const PT_PHDR: u32 = 6;
pub const PT_GNU_STACK: u32 = 0x6474_e551;
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;

const EHDR_SIZE: usize = 52;
const PHDR_SIZE: usize = 32;
/// Linux refuses more program headers than fit in 64 KiB.
const MAX_PHNUM: usize = 65536 / PHDR_SIZE;
const PATH_MAX: usize = 4096;
const PAGE: u32 = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ElfError {
    #[error("not an ELF file")]
    NotElf,
    #[error("not a 32-bit little-endian i386 ELF executable ({0})")]
    WrongKind(&'static str),
    #[error("ELF header is truncated or inconsistent: {0}")]
    Malformed(&'static str),
    #[error("program header {index} is invalid: {reason}")]
    BadSegment { index: usize, reason: &'static str },
    #[error("the interpreter path is malformed")]
    BadInterpreter,
}

impl ElfError {
    /// The errno `execve` returns for this file.
    pub fn errno(&self) -> i32 {
        match self {
            ElfError::NotElf | ElfError::WrongKind(_) => 8, // ENOEXEC
            ElfError::BadInterpreter => 80,                 // ELIBBAD
            ElfError::Malformed(_) | ElfError::BadSegment { .. } => 8,
        }
    }
}

/// A program header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgramHeader {
    pub kind: u32,
    pub offset: u32,
    pub vaddr: u32,
    pub filesz: u32,
    pub memsz: u32,
    pub flags: u32,
    pub align: u32,
}

impl ProgramHeader {
    pub fn readable(&self) -> bool {
        self.flags & PF_R != 0
    }
    pub fn writable(&self) -> bool {
        self.flags & PF_W != 0
    }
    pub fn executable(&self) -> bool {
        self.flags & PF_X != 0
    }
}

/// A checked ELF file header with its program headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfFile {
    pub kind: u16,
    pub entry: u32,
    pub phoff: u32,
    pub phentsize: u16,
    pub headers: Vec<ProgramHeader>,
    /// The `PT_INTERP` path, if any.
    pub interpreter: Option<String>,
    /// `PT_GNU_STACK` asks for an executable stack.
    pub exec_stack: bool,
}

impl ElfFile {
    /// Parses the headers. `head` must hold the file's first bytes up to the end of the
    /// program headers and the interpreter path (the first 4 KiB nearly always do; the
    /// caller passes more when [`ElfFile::needed_len`] says so). `file_size` bounds the
    /// segment offsets.
    pub fn parse(head: &[u8], file_size: u64) -> Result<ElfFile, ElfError> {
        if head.len() < 4 || head[..4] != *b"\x7fELF" {
            return Err(ElfError::NotElf);
        }
        if head.len() < EHDR_SIZE {
            return Err(ElfError::Malformed("file shorter than the ELF header"));
        }
        if head[4] != 1 {
            return Err(ElfError::WrongKind("not ELFCLASS32"));
        }
        if head[5] != 1 {
            return Err(ElfError::WrongKind("not little-endian"));
        }
        if head[6] != 1 {
            return Err(ElfError::WrongKind("unknown ELF version"));
        }
        let kind = u16_at(head, 16);
        if kind != ET_EXEC && kind != ET_DYN {
            return Err(ElfError::WrongKind("not an executable or shared object"));
        }
        if u16_at(head, 18) != EM_386 {
            return Err(ElfError::WrongKind("machine is not i386"));
        }
        let entry = u32_at(head, 24);
        let phoff = u32_at(head, 28);
        let phentsize = u16_at(head, 42);
        let phnum = usize::from(u16_at(head, 44));
        if phentsize as usize != PHDR_SIZE {
            return Err(ElfError::Malformed("program header size is not 32"));
        }
        if phnum == 0 || phnum > MAX_PHNUM {
            return Err(ElfError::Malformed("bad program header count"));
        }
        let table_end = u64::from(phoff) + (phnum * PHDR_SIZE) as u64;
        if table_end > file_size {
            return Err(ElfError::Malformed("program headers past the end of file"));
        }
        if table_end > head.len() as u64 {
            return Err(ElfError::Malformed(
                "program headers not within the bytes read",
            ));
        }
        let mut headers = Vec::with_capacity(phnum);
        for index in 0..phnum {
            let at = phoff as usize + index * PHDR_SIZE;
            let ph = ProgramHeader {
                kind: u32_at(head, at),
                offset: u32_at(head, at + 4),
                vaddr: u32_at(head, at + 8),
                filesz: u32_at(head, at + 16),
                memsz: u32_at(head, at + 20),
                flags: u32_at(head, at + 24),
                align: u32_at(head, at + 28),
            };
            if ph.kind == PT_LOAD {
                check_load_segment(index, &ph, file_size)?;
            }
            headers.push(ph);
        }
        if !headers.iter().any(|h| h.kind == PT_LOAD) {
            return Err(ElfError::Malformed("no loadable segment"));
        }
        let interpreter = match headers.iter().filter(|h| h.kind == PT_INTERP).count() {
            0 => None,
            1 => Some(read_interpreter(
                head,
                file_size,
                headers.iter().find(|h| h.kind == PT_INTERP),
            )?),
            _ => return Err(ElfError::BadInterpreter),
        };
        let exec_stack = headers
            .iter()
            .find(|h| h.kind == PT_GNU_STACK)
            .map(|h| h.executable())
            .unwrap_or(true);
        Ok(ElfFile {
            kind,
            entry,
            phoff,
            phentsize,
            headers,
            interpreter,
            exec_stack,
        })
    }

    /// How many leading bytes of the file `parse` needs, judged from the ELF header
    /// alone (program headers and interpreter path included), capped at 64 KiB.
    pub fn needed_len(head: &[u8]) -> usize {
        if head.len() < EHDR_SIZE {
            return EHDR_SIZE;
        }
        let phoff = u32_at(head, 28) as usize;
        let phnum = usize::from(u16_at(head, 44));
        let mut needed = phoff.saturating_add(phnum * PHDR_SIZE);
        if head.len() >= needed {
            for index in 0..phnum {
                let at = phoff + index * PHDR_SIZE;
                if u32_at(head, at) == PT_INTERP {
                    let end = (u32_at(head, at + 4) as usize)
                        .saturating_add(u32_at(head, at + 16) as usize);
                    needed = needed.max(end);
                }
            }
        }
        needed.min(65536)
    }

    pub fn loads(&self) -> impl Iterator<Item = &ProgramHeader> {
        self.headers.iter().filter(|h| h.kind == PT_LOAD)
    }

    /// The page-aligned span `[low, high)` of the loadable segments' addresses.
    pub fn span(&self) -> (u32, u64) {
        let low = self
            .loads()
            .map(|h| h.vaddr & !(PAGE - 1))
            .min()
            .unwrap_or(0);
        let high = self
            .loads()
            .map(|h| u64::from(h.vaddr) + u64::from(h.memsz))
            .max()
            .unwrap_or(0);
        (low, (high + u64::from(PAGE) - 1) & !u64::from(PAGE - 1))
    }

    /// The virtual address of the program headers in the loaded image (before bias):
    /// from `PT_PHDR`, or the load segment containing the header table.
    pub fn phdr_vaddr(&self) -> Option<u32> {
        if let Some(h) = self.headers.iter().find(|h| h.kind == PT_PHDR) {
            return Some(h.vaddr);
        }
        self.loads()
            .find(|h| h.offset <= self.phoff && self.phoff - h.offset < h.filesz)
            .map(|h| h.vaddr + (self.phoff - h.offset))
    }
}

fn check_load_segment(index: usize, ph: &ProgramHeader, file_size: u64) -> Result<(), ElfError> {
    let bad = |reason| Err(ElfError::BadSegment { index, reason });
    if ph.filesz > ph.memsz {
        return bad("file size larger than memory size");
    }
    if u64::from(ph.offset) + u64::from(ph.filesz) > file_size {
        return bad("file range past the end of file");
    }
    if u64::from(ph.vaddr) + u64::from(ph.memsz) > 0xFFFF_E000 {
        return bad("memory range past the top of user space");
    }
    if ph.vaddr % PAGE != ph.offset % PAGE {
        return bad("address and offset are not congruent modulo the page size");
    }
    Ok(())
}

fn read_interpreter(
    head: &[u8],
    file_size: u64,
    ph: Option<&ProgramHeader>,
) -> Result<String, ElfError> {
    let ph = ph.ok_or(ElfError::BadInterpreter)?;
    let (start, len) = (u64::from(ph.offset), u64::from(ph.filesz));
    let end = start + len;
    if !(2..=PATH_MAX as u64).contains(&len) || end > file_size || end > head.len() as u64 {
        return Err(ElfError::BadInterpreter);
    }
    let bytes = &head[start as usize..end as usize];
    let Some((&0, path)) = bytes.split_last() else {
        return Err(ElfError::BadInterpreter);
    };
    if path.contains(&0) {
        return Err(ElfError::BadInterpreter);
    }
    String::from_utf8(path.to_vec()).map_err(|_| ElfError::BadInterpreter)
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    match b.get(at..at + 2) {
        Some(s) => u16::from_le_bytes([s[0], s[1]]),
        None => 0,
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    match b.get(at..at + 4) {
        Some(s) => u32::from_le_bytes([s[0], s[1], s[2], s[3]]),
        None => 0,
    }
}
