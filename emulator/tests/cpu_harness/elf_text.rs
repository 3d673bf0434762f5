//! The instructions in the executable sections of an image's i386 ELF files.
//!
//! `elf_files` walks directories of a root tree for regular files that start with the ELF
//! magic (symlinks and hard-link duplicates are skipped); `scan_file` parses the ELF32
//! section headers, takes every `SHF_EXECINSTR` section with file contents and decodes it
//! linearly with iced-x86 in 32-bit mode, counting each instruction `Code`.
//!
//! A linear sweep also decodes data placed in code (jump tables, literal pools, odd
//! padding) as instructions. Such junk shows up next to undecodable bytes, so every
//! instruction within `JUNK_WINDOW` instructions of an invalid decode is counted
//! separately as "near invalid"; an instruction far from any invalid decode is taken as
//! real code. Nothing here panics on malformed files: bad headers give no sections.

use iced_x86::{Code, Decoder, DecoderOptions, Instruction};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// Instructions this close (in instructions, either side) to an undecodable byte
/// sequence are counted as possible junk.
pub const JUNK_WINDOW: usize = 8;

const SHF_EXECINSTR: u32 = 0x4;
const SHT_NOBITS: u32 = 8;
const EM_386: u16 = 3;

/// Counts of one instruction form in one file.
#[derive(Default, Debug, Clone, Copy)]
pub struct Count {
    /// All occurrences.
    pub all: u64,
    /// Occurrences at least `JUNK_WINDOW` instructions away from an invalid decode.
    pub clean: u64,
}

/// What a file's executable sections contain.
#[derive(Default, Debug)]
pub struct FileScan {
    pub codes: BTreeMap<Code, Count>,
    /// Bytes decoded.
    pub bytes: u64,
    /// Undecodable positions.
    pub invalid: u64,
}

/// Regular ELF files under `root/dir` for each `dir` (recursively), sorted, each inode
/// once. Missing directories are skipped (the caller checks the root).
pub fn elf_files(root: &Path, dirs: &[PathBuf]) -> Vec<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = dirs.iter().map(|d| root.join(d)).collect();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() && meta.len() > 52 && seen.insert((meta.dev(), meta.ino())) {
                let mut magic = [0u8; 4];
                let is_elf = std::fs::File::open(&path)
                    .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
                    .is_ok()
                    && magic == *b"\x7fELF";
                if is_elf {
                    out.push(path);
                }
            }
        }
    }
    out.sort();
    out
}

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

/// The executable sections of an ELF32 little-endian i386 file: (address, bytes).
/// Anything else (64-bit, other machines, truncated headers) gives none.
pub fn exec_sections(d: &[u8]) -> Vec<(u32, &[u8])> {
    let mut out = Vec::new();
    if d.get(..4) != Some(b"\x7fELF") || d.get(4) != Some(&1) || d.get(5) != Some(&1) {
        return out;
    }
    if u16_at(d, 0x12) != Some(EM_386) {
        return out;
    }
    let (Some(shoff), Some(shentsize), Some(shnum)) =
        (u32_at(d, 0x20), u16_at(d, 0x2e), u16_at(d, 0x30))
    else {
        return out;
    };
    if shentsize < 40 {
        return out;
    }
    for n in 0..shnum as usize {
        let at = shoff as usize + n * shentsize as usize;
        let (Some(kind), Some(flags), Some(addr), Some(offset), Some(size)) = (
            u32_at(d, at + 4),
            u32_at(d, at + 8),
            u32_at(d, at + 12),
            u32_at(d, at + 16),
            u32_at(d, at + 20),
        ) else {
            break;
        };
        if flags & SHF_EXECINSTR == 0 || kind == SHT_NOBITS {
            continue;
        }
        let end = (offset as usize).saturating_add(size as usize);
        if let Some(bytes) = d.get(offset as usize..end) {
            out.push((addr, bytes));
        }
    }
    out
}

/// Decodes the executable sections of `data` (an ELF file's contents).
pub fn scan(data: &[u8]) -> FileScan {
    let mut result = FileScan::default();
    let mut instruction = Instruction::default();
    for (addr, bytes) in exec_sections(data) {
        result.bytes += bytes.len() as u64;
        let mut decoder = Decoder::with_ip(32, bytes, addr as u64, DecoderOptions::NONE);
        let mut codes = Vec::with_capacity(bytes.len() / 3);
        while decoder.can_decode() {
            decoder.decode_out(&mut instruction);
            codes.push(instruction.code());
        }
        // Distance (in instructions) to the nearest invalid decode, both directions.
        let mut near = vec![false; codes.len()];
        let mut last_invalid: Option<usize> = None;
        for (i, &c) in codes.iter().enumerate() {
            if c == Code::INVALID {
                last_invalid = Some(i);
            }
            near[i] = last_invalid.is_some_and(|l| i - l <= JUNK_WINDOW);
        }
        last_invalid = None;
        for (i, &c) in codes.iter().enumerate().rev() {
            if c == Code::INVALID {
                last_invalid = Some(i);
                result.invalid += 1;
            }
            near[i] |= last_invalid.is_some_and(|l| l - i <= JUNK_WINDOW);
        }
        for (&c, &junk) in codes.iter().zip(&near) {
            let count = result.codes.entry(c).or_default();
            count.all += 1;
            if !junk {
                count.clean += 1;
            }
        }
    }
    result
}

/// Reads and scans one file (an unreadable file scans as empty).
pub fn scan_file(path: &Path) -> FileScan {
    std::fs::read(path).map(|d| scan(&d)).unwrap_or_default()
}
