//! The on-disk inode: layout, file types, and the helpers that read its 64-bit size and
//! device numbers.

use zerocopy::little_endian::{U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

pub const ROOT_INO: u32 = 2;
/// Pointers in `block`: 12 direct, then single, double and triple indirect.
pub const DIRECT_BLOCKS: usize = 12;
pub const IND_BLOCK: usize = 12;
pub const DIND_BLOCK: usize = 13;
pub const TIND_BLOCK: usize = 14;
/// Longest symlink target kept inside the inode's block array.
pub const FAST_SYMLINK_MAX: usize = 59;
/// Set on directories that carry an htree index (dir_index).
pub const INDEX_FL: u32 = 0x1000;
pub const MAX_LINKS: u16 = 65000;

/// File type bits of `mode`.
pub mod mode {
    pub const S_IFMT: u16 = 0o170000;
    pub const S_IFSOCK: u16 = 0o140000;
    pub const S_IFLNK: u16 = 0o120000;
    pub const S_IFREG: u16 = 0o100000;
    pub const S_IFBLK: u16 = 0o060000;
    pub const S_IFDIR: u16 = 0o040000;
    pub const S_IFCHR: u16 = 0o020000;
    pub const S_IFIFO: u16 = 0o010000;
}

/// The first 128 bytes of an inode, common to every inode size.
#[derive(Debug, Clone, FromBytes, IntoBytes, KnownLayout, Immutable)]
#[repr(C)]
pub struct Inode {
    pub mode: U16,
    pub uid: U16,
    pub size: U32,
    pub atime: U32,
    pub ctime: U32,
    pub mtime: U32,
    pub dtime: U32,
    pub gid: U16,
    pub links_count: U16,
    /// 512-byte sectors in use, indirect and xattr blocks included.
    pub blocks: U32,
    pub flags: U32,
    pub osd1: U32,
    pub block: [U32; 15],
    pub generation: U32,
    pub file_acl: U32,
    pub size_high: U32,
    pub faddr: U32,
    pub blocks_hi: U16,
    pub file_acl_high: U16,
    pub uid_high: U16,
    pub gid_high: U16,
    pub checksum_lo: U16,
    pub reserved: U16,
}
const _: () = assert!(std::mem::size_of::<Inode>() == 128);

/// The fields after the first 128 bytes of a large inode (`inode_size` > 128), as far
/// as Linux uses them; `extra_isize` says how many of these bytes are in use.
#[derive(Debug, Clone, FromBytes, IntoBytes, KnownLayout, Immutable)]
#[repr(C)]
pub struct InodeExtra {
    pub extra_isize: U16,
    pub checksum_hi: U16,
    pub ctime_extra: U32,
    pub mtime_extra: U32,
    pub atime_extra: U32,
    pub crtime: U32,
    pub crtime_extra: U32,
    pub version_hi: U32,
    pub projid: U32,
}
const _: () = assert!(std::mem::size_of::<InodeExtra>() == 32);

/// What an inode is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

impl FileType {
    pub fn from_mode(mode: u16) -> Option<FileType> {
        Some(match mode & mode::S_IFMT {
            mode::S_IFREG => FileType::Regular,
            mode::S_IFDIR => FileType::Directory,
            mode::S_IFLNK => FileType::Symlink,
            mode::S_IFCHR => FileType::CharDevice,
            mode::S_IFBLK => FileType::BlockDevice,
            mode::S_IFIFO => FileType::Fifo,
            mode::S_IFSOCK => FileType::Socket,
            _ => return None,
        })
    }

    /// The `file_type` byte of a directory entry.
    pub fn dirent_code(self) -> u8 {
        match self {
            FileType::Regular => 1,
            FileType::Directory => 2,
            FileType::CharDevice => 3,
            FileType::BlockDevice => 4,
            FileType::Fifo => 5,
            FileType::Socket => 6,
            FileType::Symlink => 7,
        }
    }
}

impl Inode {
    pub fn file_type(&self) -> Option<FileType> {
        FileType::from_mode(self.mode.get())
    }
    pub fn is_dir(&self) -> bool {
        self.file_type() == Some(FileType::Directory)
    }
    pub fn size(&self) -> u64 {
        // Rev 1 keeps the high half of a regular file's size in `size_high`.
        let high = if self.is_dir() {
            0
        } else {
            self.size_high.get()
        };
        u64::from(self.size.get()) | (u64::from(high) << 32)
    }
    pub fn set_size(&mut self, size: u64) {
        self.size = (size as u32).into();
        if !self.is_dir() {
            self.size_high = ((size >> 32) as u32).into();
        }
    }
    pub fn uid(&self) -> u32 {
        u32::from(self.uid.get()) | (u32::from(self.uid_high.get()) << 16)
    }
    pub fn gid(&self) -> u32 {
        u32::from(self.gid.get()) | (u32::from(self.gid_high.get()) << 16)
    }
    pub fn set_owner(&mut self, uid: u32, gid: u32) {
        self.uid = (uid as u16).into();
        self.uid_high = ((uid >> 16) as u16).into();
        self.gid = (gid as u16).into();
        self.gid_high = ((gid >> 16) as u16).into();
    }
    /// Whether a symlink keeps its target in the block array (no data block); an
    /// xattr block of `block_size` bytes may still be counted in `blocks`.
    pub fn is_fast_symlink(&self, block_size: u32) -> bool {
        let ea_sectors = if self.file_acl.get() != 0 {
            block_size / 512
        } else {
            0
        };
        self.file_type() == Some(FileType::Symlink) && self.blocks.get() == ea_sectors
    }
    /// The device number of a device node, as Linux encodes it (`(major, minor)`).
    pub fn rdev(&self) -> (u32, u32) {
        let old = self.block[0].get();
        if old != 0 {
            ((old >> 8) & 0xff, old & 0xff)
        } else {
            let new = self.block[1].get();
            ((new & 0xfff00) >> 8, (new & 0xff) | ((new >> 12) & 0xfff00))
        }
    }
    pub fn set_rdev(&mut self, major: u32, minor: u32) {
        if major < 256 && minor < 256 {
            self.block[0] = ((major << 8) | minor).into();
            self.block[1] = 0.into();
        } else {
            self.block[0] = 0.into();
            self.block[1] = ((minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)).into();
        }
    }
}
