//! Storage below the filesystems: the published image layout and block devices.
//!
//! Owns the description of a published disk image (`manifest`) that `guest-image` writes
//! and that the chunked block device reads. Must not know about HTTP, files or IndexedDB
//! directly: those arrive through traits implemented by the frontends.

pub mod manifest;
