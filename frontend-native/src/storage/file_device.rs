//! A read-only [`BlockDevice`] over a host file, and a [`ChunkFetcher`] reading the
//! chunks of a published folder.

use emulator::block::chunked::ChunkFetcher;
use emulator::block::{check_access, BlockDevice, BlockError};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// A base image file, opened read-only. Its length must be a multiple of the block size.
pub struct FileDevice {
    file: File,
    block_size: u32,
    block_count: u64,
}

impl FileDevice {
    /// Opens `path` read-only with the largest of 4096, 1024, 512 that divides its size.
    pub fn open(path: &Path) -> std::io::Result<FileDevice> {
        let len = std::fs::metadata(path)?.len();
        let block_size = [4096u32, 1024, 512]
            .into_iter()
            .find(|&bs| len % u64::from(bs) == 0)
            .unwrap_or(512);
        FileDevice::open_with_block_size(path, block_size)
    }

    /// Opens `path` read-only as blocks of `block_size` bytes.
    pub fn open_with_block_size(path: &Path, block_size: u32) -> std::io::Result<FileDevice> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        if block_size == 0 || len % u64::from(block_size) != 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("image size {len} is not a multiple of {block_size}"),
            ));
        }
        Ok(FileDevice {
            file,
            block_size,
            block_count: len / u64::from(block_size),
        })
    }
}

fn io_err(e: std::io::Error) -> BlockError {
    BlockError::Storage(e.to_string())
}

impl BlockDevice for FileDevice {
    fn block_size(&self) -> u32 {
        self.block_size
    }
    fn block_count(&self) -> u64 {
        self.block_count
    }
    fn read_block(&mut self, block: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        check_access(block, buf.len(), self.block_size, self.block_count)?;
        self.file
            .read_exact_at(buf, block * u64::from(self.block_size))
            .map_err(io_err)
    }
    fn write_block(&mut self, _block: u64, _buf: &[u8]) -> Result<(), BlockError> {
        Err(BlockError::ReadOnly)
    }
    fn flush(&mut self) -> Result<(), BlockError> {
        Ok(())
    }
}

/// Fetches chunks from a published folder on the host.
pub struct FileChunkFetcher {
    folder: PathBuf,
}

impl FileChunkFetcher {
    pub fn new(folder: &Path) -> FileChunkFetcher {
        FileChunkFetcher {
            folder: folder.to_path_buf(),
        }
    }
}

impl ChunkFetcher for FileChunkFetcher {
    fn fetch(&mut self, name: &str) -> Result<Vec<u8>, String> {
        // `name` was validated by the manifest as a plain relative path.
        std::fs::read(self.folder.join(name)).map_err(|e| e.to_string())
    }
}
