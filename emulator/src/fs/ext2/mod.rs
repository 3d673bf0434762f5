//! The ext2 filesystem, read-write, over a [`crate::block::BlockDevice`].
//!
//! Inode-level operations for the kernel's VFS: [`Ext2Fs::open`], [`Ext2Fs::lookup`],
//! [`Ext2Fs::create`], [`Ext2Fs::read`], [`Ext2Fs::write`], [`Ext2Fs::truncate`],
//! [`Ext2Fs::readdir`], [`Ext2Fs::rename`], [`Ext2Fs::link`], [`Ext2Fs::unlink`],
//! [`Ext2Fs::symlink`], [`Ext2Fs::mknod`], [`Ext2Fs::statfs`], [`Ext2Fs::sync`], and
//! [`Ext2Fs::hold`]/[`Ext2Fs::release`] for files unlinked while open.
//!
//! Supports revision 0 and 1 with the features `mke2fs -t ext2` turns on (ext_attr,
//! resize_inode, dir_index, filetype, sparse_super, large_file). Any other incompat
//! feature (or, for writing, ro_compat feature) is refused with a clear error.
//! Bad images give [`Ext2Error::Corrupt`], never a panic: every pointer is range
//! checked and every walk is bounded.

mod alloc;
mod blockmap;
mod directory;
pub mod dirent;
pub mod error;
mod file;
mod fs;
pub mod group;
pub mod inode;
mod namei;
mod release;
mod rename;
pub mod superblock;
pub mod xattr;

pub use directory::{DirEntryInfo, LINK_MAX};
pub use error::{Ext2Error, Result};
pub use fs::{Ext2Fs, Stat, StatFs, DEFAULT_COMMIT_THRESHOLD};
pub use inode::{FileType, ROOT_INO};
