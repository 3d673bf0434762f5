//! The header of an extended-attribute block, as far as this driver touches it: the
//! reference count that decides when a shared block is freed with its last inode.

use zerocopy::little_endian::U32;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

pub const XATTR_MAGIC: u32 = 0xEA02_0000;

/// The first 32 bytes of an xattr block.
#[derive(Debug, Clone, FromBytes, IntoBytes, KnownLayout, Immutable)]
#[repr(C)]
pub struct XattrHeader {
    pub magic: U32,
    /// Inodes sharing this block.
    pub refcount: U32,
    /// Always 1 on ext2.
    pub blocks: U32,
    pub hash: U32,
    pub checksum: U32,
    pub reserved: [U32; 3],
}
const _: () = assert!(std::mem::size_of::<XattrHeader>() == 32);
