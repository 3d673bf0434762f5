//! Turns a root tree into an ext2 image with `mke2fs -d`, sized from the tree plus the
//! profile's free space, and checks it with `e2fsck -fn`.
//!
//! The filesystem UUID, directory hash seed and timestamps are derived from the build key,
//! so the same tree gives the same image bytes.

use crate::command::run_logged;
use crate::error::BuildError;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

pub const BLOCK_SIZE: u64 = 4096;
const INODE_SIZE: u64 = 256;
const MIB: u64 = 1 << 20;

/// What the tree needs, in filesystem blocks and inodes.
#[derive(Debug, Default, Clone, Copy)]
pub struct TreeUsage {
    pub blocks: u64,
    pub inodes: u64,
}

pub fn measure(root: &Path) -> Result<TreeUsage, BuildError> {
    let mut usage = TreeUsage::default();
    measure_into(root, &mut usage)?;
    Ok(usage)
}

fn measure_into(path: &Path, usage: &mut TreeUsage) -> Result<(), BuildError> {
    let meta = path.symlink_metadata().map_err(BuildError::io(path))?;
    usage.inodes += 1;
    // Data blocks plus roughly one indirect block per 1024 data blocks.
    let data = meta.size().div_ceil(BLOCK_SIZE);
    usage.blocks += data + data / 1024;
    if meta.is_dir() {
        for entry in fs::read_dir(path).map_err(BuildError::io(path))? {
            measure_into(&entry.map_err(BuildError::io(path))?.path(), usage)?;
        }
    }
    Ok(())
}

/// Image size in bytes: the tree, 10% slack for metadata, the inode tables, and the
/// requested free space, rounded up to 4 MiB.
pub fn image_size(usage: TreeUsage, inodes: u64, free_space_mib: u64) -> u64 {
    let data = usage.blocks * BLOCK_SIZE;
    let raw = data + data / 10 + inodes * INODE_SIZE + free_space_mib * MIB + 8 * MIB;
    raw.div_ceil(4 * MIB) * 4 * MIB
}

/// Inode count: what the tree uses plus room for the user to create many small files.
pub fn inode_count(usage: TreeUsage, free_space_mib: u64) -> u64 {
    usage.inodes + usage.inodes / 4 + free_space_mib * 64 + 1024
}

pub struct MakeFs<'a> {
    pub root: &'a Path,
    pub image: &'a Path,
    pub size: u64,
    pub inodes: u64,
    /// A UUID string derived from the build key.
    pub uuid: &'a str,
    pub log: &'a Path,
}

impl MakeFs<'_> {
    pub fn run(&self) -> Result<(), BuildError> {
        let partial = self.image.with_extension("ext2.partial");
        let _ = fs::remove_file(&partial);
        run_logged(
            "mke2fs",
            Command::new("mke2fs")
                .env("E2FSPROGS_FAKE_TIME", "1700000000")
                .args(["-q", "-F", "-t", "ext2", "-b"])
                .arg(BLOCK_SIZE.to_string())
                .arg("-I")
                .arg(INODE_SIZE.to_string())
                .arg("-N")
                .arg(self.inodes.to_string())
                .args(["-L", "webvm", "-m", "0", "-U"])
                .arg(self.uuid)
                .arg("-E")
                .arg(format!("root_owner=0:0,hash_seed={}", self.uuid))
                .arg("-d")
                .arg(self.root)
                .arg(&partial)
                .arg(format!("{}k", self.size / 1024)),
            self.log,
        )?;
        check(&partial, self.log)?;
        fs::rename(&partial, self.image).map_err(BuildError::io(self.image))
    }
}

/// `e2fsck -fn`: a forced, read-only check that must find nothing.
pub fn check(image: &Path, log: &Path) -> Result<(), BuildError> {
    run_logged(
        "e2fsck -fn",
        Command::new("e2fsck").arg("-fn").arg(image),
        log,
    )
    .map_err(|_| BuildError::FsckFailed(image.to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_leaves_the_requested_free_space() {
        let usage = TreeUsage {
            blocks: 1000,
            inodes: 300,
        };
        let inodes = inode_count(usage, 16);
        assert!(inodes > usage.inodes + 1000);
        let size = image_size(usage, inodes, 16);
        assert_eq!(size % (4 * MIB), 0);
        assert!(size >= 1000 * BLOCK_SIZE + 16 * MIB + inodes * INODE_SIZE);
    }
}
