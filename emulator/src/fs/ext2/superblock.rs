//! The ext2 superblock: its on-disk layout, the feature flags this driver understands,
//! and the checks that decide whether an image can be opened at all.

use super::error::{corrupt, Ext2Error, Result};
use zerocopy::little_endian::{U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

pub const SUPERBLOCK_OFFSET: u64 = 1024;
pub const EXT2_MAGIC: u16 = 0xEF53;
pub const STATE_VALID: u16 = 1;

pub mod compat {
    pub const EXT_ATTR: u32 = 0x0008;
}
pub mod incompat {
    pub const FILETYPE: u32 = 0x0002;
    pub const RECOVER: u32 = 0x0004;
    /// The incompat features this driver reads and writes.
    pub const SUPPORTED: u32 = FILETYPE;
}
pub mod ro_compat {
    pub const SPARSE_SUPER: u32 = 0x0001;
    pub const LARGE_FILE: u32 = 0x0002;
    /// The ro_compat features this driver keeps intact when writing.
    pub const SUPPORTED: u32 = SPARSE_SUPER | LARGE_FILE;
}

/// The superblock as stored at byte 1024 (rev 0 and rev 1 fields).
#[derive(Debug, Clone, FromBytes, IntoBytes, KnownLayout, Immutable)]
#[repr(C)]
pub struct Superblock {
    pub inodes_count: U32,
    pub blocks_count: U32,
    pub r_blocks_count: U32,
    pub free_blocks_count: U32,
    pub free_inodes_count: U32,
    pub first_data_block: U32,
    pub log_block_size: U32,
    pub log_frag_size: U32,
    pub blocks_per_group: U32,
    pub frags_per_group: U32,
    pub inodes_per_group: U32,
    pub mtime: U32,
    pub wtime: U32,
    pub mnt_count: U16,
    pub max_mnt_count: U16,
    pub magic: U16,
    pub state: U16,
    pub errors: U16,
    pub minor_rev_level: U16,
    pub lastcheck: U32,
    pub checkinterval: U32,
    pub creator_os: U32,
    pub rev_level: U32,
    pub def_resuid: U16,
    pub def_resgid: U16,
    pub first_ino: U32,
    pub inode_size: U16,
    pub block_group_nr: U16,
    pub feature_compat: U32,
    pub feature_incompat: U32,
    pub feature_ro_compat: U32,
    pub uuid: [u8; 16],
    pub volume_name: [u8; 16],
    pub last_mounted: [u8; 64],
    pub algorithm_usage_bitmap: U32,
    pub prealloc_blocks: u8,
    pub prealloc_dir_blocks: u8,
    pub reserved_gdt_blocks: U16,
    pub journal_uuid: [u8; 16],
    pub journal_inum: U32,
    pub journal_dev: U32,
    pub last_orphan: U32,
    pub hash_seed: [u8; 16],
    pub def_hash_version: u8,
    pub jnl_backup_type: u8,
    pub desc_size: U16,
    pub default_mount_opts: U32,
    pub first_meta_bg: U32,
    pub mkfs_time: U32,
    pub jnl_blocks: [u8; 68],
    /// Fields of later revisions; kept as they are.
    pub rest: [u8; 688],
}
const _: () = assert!(std::mem::size_of::<Superblock>() == 1024);

/// Geometry derived from a checked superblock.
#[derive(Debug, Clone, Copy)]
pub struct Geometry {
    pub block_size: u32,
    pub inode_size: u32,
    pub blocks_count: u64,
    pub inodes_count: u32,
    pub first_data_block: u32,
    pub blocks_per_group: u32,
    pub inodes_per_group: u32,
    pub groups_count: u32,
    pub first_ino: u32,
    /// Blocks taken by the group descriptor table.
    pub gdt_blocks: u32,
}

impl Superblock {
    /// Checks magic, revision, features and geometry against a device of
    /// `device_bytes` bytes. `writable` asks for the stricter ro_compat check.
    pub fn check(&self, device_bytes: u64, writable: bool) -> Result<Geometry> {
        if self.magic.get() != EXT2_MAGIC {
            return Err(Ext2Error::Unsupported(format!(
                "bad magic {:#06x}: not an ext2 filesystem",
                self.magic.get()
            )));
        }
        let rev = self.rev_level.get();
        if rev > 1 {
            return Err(Ext2Error::Unsupported(format!("revision {rev}")));
        }
        let incompat = if rev == 0 {
            0
        } else {
            self.feature_incompat.get()
        };
        let unknown = incompat & !incompat::SUPPORTED;
        if unknown != 0 {
            let what = if unknown & incompat::RECOVER != 0 {
                " (needs journal recovery)"
            } else {
                ""
            };
            return Err(Ext2Error::Unsupported(format!(
                "incompatible features {unknown:#x}{what}"
            )));
        }
        let ro = if rev == 0 {
            0
        } else {
            self.feature_ro_compat.get()
        };
        if writable && ro & !ro_compat::SUPPORTED != 0 {
            return Err(Ext2Error::Unsupported(format!(
                "read-only-compatible features {:#x} prevent writing",
                ro & !ro_compat::SUPPORTED
            )));
        }
        let log = self.log_block_size.get();
        if log > 6 {
            return Err(corrupt(format!("block size 1024<<{log}")));
        }
        let block_size = 1024u32 << log;
        let (inode_size, first_ino) = if rev == 0 {
            (128, 11)
        } else {
            (u32::from(self.inode_size.get()), self.first_ino.get())
        };
        if inode_size < 128 || !inode_size.is_power_of_two() || inode_size > block_size {
            return Err(corrupt(format!("inode size {inode_size}")));
        }
        let blocks_count = u64::from(self.blocks_count.get());
        let first_data_block = self.first_data_block.get();
        let expected_first = u32::from(block_size == 1024);
        if first_data_block != expected_first {
            return Err(corrupt(format!("first data block {first_data_block}")));
        }
        let bpg = self.blocks_per_group.get();
        let ipg = self.inodes_per_group.get();
        if bpg == 0 || bpg > 8 * block_size || bpg % 8 != 0 {
            return Err(corrupt(format!("{bpg} blocks per group")));
        }
        if ipg == 0 || ipg > 8 * block_size || ipg % 8 != 0 {
            return Err(corrupt(format!("{ipg} inodes per group")));
        }
        if blocks_count <= u64::from(first_data_block) + 1 {
            return Err(corrupt(format!("{blocks_count} blocks")));
        }
        if blocks_count * u64::from(block_size) > device_bytes {
            return Err(corrupt(format!(
                "{blocks_count} blocks of {block_size} bytes do not fit a device of {device_bytes} bytes"
            )));
        }
        let groups = (blocks_count - u64::from(first_data_block)).div_ceil(u64::from(bpg));
        let inodes_count = self.inodes_count.get();
        if u64::from(inodes_count) != groups * u64::from(ipg) {
            return Err(corrupt(format!(
                "{inodes_count} inodes, but {groups} groups of {ipg}"
            )));
        }
        if first_ino < 11 || first_ino >= inodes_count {
            return Err(corrupt(format!("first inode {first_ino}")));
        }
        let gdt_blocks = (groups * 32).div_ceil(u64::from(block_size)) as u32;
        if u64::from(first_data_block) + 1 + u64::from(gdt_blocks) >= blocks_count {
            return Err(corrupt("the group descriptor table does not fit"));
        }
        Ok(Geometry {
            block_size,
            inode_size,
            blocks_count,
            inodes_count,
            first_data_block,
            blocks_per_group: bpg,
            inodes_per_group: ipg,
            groups_count: groups as u32,
            first_ino,
            gdt_blocks,
        })
    }

    pub fn has_filetype(&self) -> bool {
        self.rev_level.get() >= 1 && self.feature_incompat.get() & incompat::FILETYPE != 0
    }
}
