//! Directory entries: their on-disk layout and the walk over one directory block.
//!
//! Owns parsing and building `DirEntry` records inside a block; every record is checked
//! (length, alignment, bounds) before use, so a damaged block gives an error, not a
//! panic or an endless walk.

use super::error::{corrupt, Result};
use zerocopy::little_endian::{U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The fixed part of a directory entry; the name follows.
#[derive(Debug, Clone, FromBytes, IntoBytes, KnownLayout, Immutable)]
#[repr(C)]
pub struct DirEntry {
    pub inode: U32,
    pub rec_len: U16,
    pub name_len: u8,
    /// File type code when the filetype feature is on, else the high byte of name_len.
    pub file_type: u8,
}
const _: () = assert!(std::mem::size_of::<DirEntry>() == 8);

pub const DIRENT_HEADER: usize = 8;
pub const MAX_NAME_LEN: usize = 255;

/// The space an entry with a name of `name_len` bytes needs.
pub fn entry_len(name_len: usize) -> usize {
    (DIRENT_HEADER + name_len + 3) & !3
}

/// One checked entry of a directory block.
#[derive(Debug, Clone)]
pub struct RawEntry {
    /// Byte offset of the entry in its block.
    pub offset: usize,
    pub inode: u32,
    pub rec_len: usize,
    pub name_len: usize,
    pub file_type: u8,
}

impl RawEntry {
    pub fn name<'a>(&self, block: &'a [u8]) -> &'a [u8] {
        &block[self.offset + DIRENT_HEADER..self.offset + DIRENT_HEADER + self.name_len]
    }
    /// Space this entry actually uses (0 if it is an unused slot).
    pub fn used(&self) -> usize {
        if self.inode == 0 {
            0
        } else {
            entry_len(self.name_len)
        }
    }
}

/// Parses every entry of a directory block. Checks that the records tile the block.
pub fn parse_block(block: &[u8]) -> Result<Vec<RawEntry>> {
    let mut out = Vec::new();
    let mut offset = 0usize;
    while offset < block.len() {
        let Ok((head, _)) = DirEntry::read_from_prefix(&block[offset..]) else {
            return Err(corrupt(format!("directory entry at {offset} is cut off")));
        };
        let rec_len = usize::from(head.rec_len.get());
        let name_len = usize::from(head.name_len);
        if rec_len < DIRENT_HEADER
            || rec_len % 4 != 0
            || offset + rec_len > block.len()
            || (head.inode.get() != 0 && entry_len(name_len) > rec_len)
            || DIRENT_HEADER + name_len > rec_len
        {
            return Err(corrupt(format!(
                "directory entry at {offset}: rec_len {rec_len}, name_len {name_len}"
            )));
        }
        out.push(RawEntry {
            offset,
            inode: head.inode.get(),
            rec_len,
            name_len,
            file_type: head.file_type,
        });
        offset += rec_len;
    }
    Ok(out)
}

/// Writes an entry at `offset` of `block`.
pub fn put_entry(
    block: &mut [u8],
    offset: usize,
    inode: u32,
    rec_len: usize,
    name: &[u8],
    file_type: u8,
) {
    let head = DirEntry {
        inode: inode.into(),
        rec_len: (rec_len as u16).into(),
        name_len: name.len() as u8,
        file_type,
    };
    block[offset..offset + DIRENT_HEADER].copy_from_slice(head.as_bytes());
    block[offset + DIRENT_HEADER..offset + DIRENT_HEADER + name.len()].copy_from_slice(name);
}

/// Rewrites the fixed part of the entry at `offset` with `change`.
fn update_entry(block: &mut [u8], offset: usize, change: impl FnOnce(&mut DirEntry)) {
    if let Ok((head, _)) = DirEntry::mut_from_prefix(&mut block[offset..]) {
        change(head);
    }
}

/// Changes only the inode and type of the entry at `offset`.
pub fn set_target(block: &mut [u8], offset: usize, inode: u32, file_type: u8) {
    update_entry(block, offset, |e| {
        e.inode = inode.into();
        e.file_type = file_type;
    });
}

/// Changes only the record length of the entry at `offset`.
pub fn set_rec_len(block: &mut [u8], offset: usize, rec_len: usize) {
    update_entry(block, offset, |e| e.rec_len = (rec_len as u16).into());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_built_blocks_and_rejects_bad_lengths() {
        let mut block = vec![0u8; 1024];
        put_entry(&mut block, 0, 2, 12, b".", 2);
        put_entry(&mut block, 12, 2, 1012, b"..", 2);
        let e = parse_block(&block).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].name(&block), b"..");
        set_rec_len(&mut block, 12, 2000);
        assert!(parse_block(&block).is_err());
        set_rec_len(&mut block, 12, 0);
        assert!(parse_block(&block).is_err());
    }
}
