//! Storage below the filesystems: block devices and the published image layout.
//!
//! Owns the [`BlockDevice`] trait every filesystem reads and writes through, and its
//! layers: [`memory`] (a device in RAM), [`chunked`] (a published image read chunk by
//! chunk through a [`chunked::ChunkFetcher`] the frontend supplies), [`cache`] (a block
//! cache in front of a slow device) and [`overlay`] (a read-only base plus the user's
//! written blocks, kept in a crash-safe log behind a [`overlay::LogStore`]).
//!
//! Must not know about HTTP, host files or IndexedDB directly: those arrive through the
//! small traits defined here ([`chunked::ChunkFetcher`], [`overlay::LogStore`]) and are
//! implemented by the frontends. All block numbers and byte offsets are 64-bit.

pub mod cache;
pub mod chunked;
pub mod hash;
pub mod manifest;
pub mod memory;
pub mod overlay;

use thiserror::Error;

/// Why a block device could not do what was asked. Every variant is an I/O error from
/// the guest's point of view; [`BlockError::errno`] says which one.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum BlockError {
    #[error("block {block} is beyond the end of the device ({count} blocks)")]
    OutOfRange { block: u64, count: u64 },
    #[error("buffer of {len} bytes is not one block of {block_size} bytes")]
    BadBuffer { len: usize, block_size: u32 },
    #[error("the device is read-only")]
    ReadOnly,
    #[error("chunk {index} ({name}) could not be fetched: {reason}")]
    MissingChunk {
        index: usize,
        name: String,
        reason: String,
    },
    #[error("chunk {index} ({name}) is truncated: {actual} bytes, expected {expected}")]
    TruncatedChunk {
        index: usize,
        name: String,
        actual: usize,
        expected: u32,
    },
    #[error("chunk {index} ({name}) is corrupt: it hashes to {actual}")]
    CorruptChunk {
        index: usize,
        name: String,
        actual: String,
    },
    #[error("overlay: {0}")]
    Overlay(String),
    #[error("storage: {0}")]
    Storage(String),
}

/// Linux errno values used by the storage layers.
pub mod errno {
    pub const EIO: i32 = 5;
    pub const EROFS: i32 = 30;
}

impl BlockError {
    /// The errno a guest sees for this error.
    pub fn errno(&self) -> i32 {
        match self {
            BlockError::ReadOnly => errno::EROFS,
            _ => errno::EIO,
        }
    }
}

/// A disk of fixed-size blocks. Synchronous: a frontend whose storage is asynchronous
/// (the browser) blocks the emulator thread inside its implementation.
pub trait BlockDevice {
    /// Size of one block in bytes (a power of two, at least 512).
    fn block_size(&self) -> u32;
    /// Number of blocks on the device.
    fn block_count(&self) -> u64;
    /// Reads block `block` into `buf`, which must be exactly one block long.
    fn read_block(&mut self, block: u64, buf: &mut [u8]) -> Result<(), BlockError>;
    /// Writes block `block` from `buf`, which must be exactly one block long.
    fn write_block(&mut self, block: u64, buf: &[u8]) -> Result<(), BlockError>;
    /// Makes every write done so far durable (the guest's `fsync`): when this returns
    /// `Ok`, those writes survive a crash of the host process.
    fn flush(&mut self) -> Result<(), BlockError>;

    /// Bytes written but not yet made durable by `flush` (0 for devices that write
    /// straight through). A filesystem uses it to commit before memory grows too much.
    fn pending_bytes(&self) -> u64 {
        0
    }

    /// Size of the device in bytes.
    fn size_bytes(&self) -> u64 {
        self.block_count() * u64::from(self.block_size())
    }
}

impl<T: BlockDevice + ?Sized> BlockDevice for Box<T> {
    fn block_size(&self) -> u32 {
        (**self).block_size()
    }
    fn block_count(&self) -> u64 {
        (**self).block_count()
    }
    fn read_block(&mut self, block: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        (**self).read_block(block, buf)
    }
    fn write_block(&mut self, block: u64, buf: &[u8]) -> Result<(), BlockError> {
        (**self).write_block(block, buf)
    }
    fn flush(&mut self) -> Result<(), BlockError> {
        (**self).flush()
    }
    fn pending_bytes(&self) -> u64 {
        (**self).pending_bytes()
    }
}

/// Checks a block number and buffer length against a device's geometry.
pub fn check_access(block: u64, len: usize, block_size: u32, count: u64) -> Result<(), BlockError> {
    if len != block_size as usize {
        return Err(BlockError::BadBuffer { len, block_size });
    }
    if block >= count {
        return Err(BlockError::OutOfRange { block, count });
    }
    Ok(())
}

/// Reads `buf.len()` bytes at byte `offset`, whatever the device's block size.
pub fn read_at<D: BlockDevice + ?Sized>(
    dev: &mut D,
    offset: u64,
    buf: &mut [u8],
) -> Result<(), BlockError> {
    let bs = u64::from(dev.block_size());
    let mut scratch = Vec::new();
    let mut done = 0usize;
    while done < buf.len() {
        let pos = offset + done as u64;
        let block = pos / bs;
        let within = (pos % bs) as usize;
        let n = (bs as usize - within).min(buf.len() - done);
        if within == 0 && n == bs as usize {
            dev.read_block(block, &mut buf[done..done + n])?;
        } else {
            scratch.resize(bs as usize, 0);
            dev.read_block(block, &mut scratch)?;
            buf[done..done + n].copy_from_slice(&scratch[within..within + n]);
        }
        done += n;
    }
    Ok(())
}

/// Writes `buf` at byte `offset`, reading back partial blocks first.
pub fn write_at<D: BlockDevice + ?Sized>(
    dev: &mut D,
    offset: u64,
    buf: &[u8],
) -> Result<(), BlockError> {
    let bs = u64::from(dev.block_size());
    let mut scratch = Vec::new();
    let mut done = 0usize;
    while done < buf.len() {
        let pos = offset + done as u64;
        let block = pos / bs;
        let within = (pos % bs) as usize;
        let n = (bs as usize - within).min(buf.len() - done);
        if within == 0 && n == bs as usize {
            dev.write_block(block, &buf[done..done + n])?;
        } else {
            scratch.resize(bs as usize, 0);
            dev.read_block(block, &mut scratch)?;
            scratch[within..within + n].copy_from_slice(&buf[done..done + n]);
            dev.write_block(block, &scratch)?;
        }
        done += n;
    }
    Ok(())
}
