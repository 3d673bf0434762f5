//! A block device held entirely in RAM: for tests, for small scratch disks and as the
//! base of an overlay when the whole image has been downloaded.

use super::{check_access, BlockDevice, BlockError};

/// A device whose blocks live in one `Vec<u8>`.
#[derive(Debug, Clone)]
pub struct MemoryDevice {
    block_size: u32,
    data: Vec<u8>,
}

impl MemoryDevice {
    /// A zero-filled device of `block_count` blocks.
    pub fn new(block_size: u32, block_count: u64) -> MemoryDevice {
        MemoryDevice {
            block_size,
            data: vec![0; (block_count * u64::from(block_size)) as usize],
        }
    }

    /// A device holding `data`, which is padded with zeros to a whole number of blocks.
    pub fn from_bytes(block_size: u32, mut data: Vec<u8>) -> MemoryDevice {
        let bs = block_size as usize;
        data.resize(data.len().div_ceil(bs) * bs, 0);
        MemoryDevice { block_size, data }
    }

    /// The device's content.
    pub fn as_bytes(&self) -> &[u8] {
        &self.data
    }

    /// Gives back the device's content.
    pub fn into_bytes(self) -> Vec<u8> {
        self.data
    }

    fn range(&self, block: u64) -> std::ops::Range<usize> {
        let start = (block * u64::from(self.block_size)) as usize;
        start..start + self.block_size as usize
    }
}

impl BlockDevice for MemoryDevice {
    fn block_size(&self) -> u32 {
        self.block_size
    }
    fn block_count(&self) -> u64 {
        self.data.len() as u64 / u64::from(self.block_size)
    }
    fn read_block(&mut self, block: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        check_access(block, buf.len(), self.block_size, self.block_count())?;
        buf.copy_from_slice(&self.data[self.range(block)]);
        Ok(())
    }
    fn write_block(&mut self, block: u64, buf: &[u8]) -> Result<(), BlockError> {
        check_access(block, buf.len(), self.block_size, self.block_count())?;
        let r = self.range(block);
        self.data[r].copy_from_slice(buf);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), BlockError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::{read_at, write_at};

    #[test]
    fn reads_back_what_was_written_and_checks_bounds() {
        let mut dev = MemoryDevice::new(512, 4);
        write_at(&mut dev, 500, &[7u8; 30]).unwrap();
        let mut buf = [0u8; 40];
        read_at(&mut dev, 495, &mut buf).unwrap();
        assert_eq!(&buf[..5], &[0; 5]);
        assert_eq!(&buf[5..35], &[7; 30]);
        let mut block = vec![0u8; 512];
        assert!(matches!(
            dev.read_block(4, &mut block),
            Err(BlockError::OutOfRange { block: 4, count: 4 })
        ));
        assert!(matches!(
            dev.read_block(0, &mut block[..100]),
            Err(BlockError::BadBuffer { .. })
        ));
    }
}
