//! Filesystems the machine mounts, each in its own folder. They sit on
//! [`crate::block::BlockDevice`] and expose inode-level operations for the kernel's VFS;
//! they know nothing about file descriptors, paths of more than one component, or tasks.

pub mod ext2;
