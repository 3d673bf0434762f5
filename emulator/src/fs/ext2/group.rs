//! Block group descriptors: where each group's bitmaps and inode table are, and its
//! free counts.

use zerocopy::little_endian::{U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// One 32-byte entry of the group descriptor table.
#[derive(Debug, Clone, FromBytes, IntoBytes, KnownLayout, Immutable)]
#[repr(C)]
pub struct GroupDescriptor {
    pub block_bitmap: U32,
    pub inode_bitmap: U32,
    pub inode_table: U32,
    pub free_blocks_count: U16,
    pub free_inodes_count: U16,
    pub used_dirs_count: U16,
    pub flags: U16,
    pub reserved: [u8; 12],
}
const _: () = assert!(std::mem::size_of::<GroupDescriptor>() == 32);

pub const GROUP_DESC_SIZE: usize = 32;
