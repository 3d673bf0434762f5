//! An overlay log kept in a host file ([`LogStore`]): positioned reads and writes, and
//! `fdatasync` for durability.

use emulator::block::overlay::LogStore;
use emulator::block::BlockError;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;

pub struct FileLogStore {
    file: File,
}

fn io_err(e: std::io::Error) -> BlockError {
    BlockError::Storage(e.to_string())
}

impl FileLogStore {
    /// Opens the log at `path`, creating it (and making its name durable) if missing.
    pub fn open(path: &Path) -> std::io::Result<FileLogStore> {
        let existed = path.exists();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        if !existed {
            if let Some(dir) = path.parent() {
                let dir = if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                };
                File::open(dir)?.sync_all()?;
            }
        }
        Ok(FileLogStore { file })
    }

    /// Opens an existing log without ever writing to it... except that recovery may
    /// cut a torn tail, so this is the same as [`FileLogStore::open`] minus creation.
    pub fn open_existing(path: &Path) -> std::io::Result<FileLogStore> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        Ok(FileLogStore { file })
    }
}

impl LogStore for FileLogStore {
    fn len(&mut self) -> Result<u64, BlockError> {
        Ok(self.file.metadata().map_err(io_err)?.len())
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        self.file.read_exact_at(buf, offset).map_err(io_err)
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<(), BlockError> {
        self.file.write_all_at(data, offset).map_err(io_err)
    }
    fn set_len(&mut self, len: u64) -> Result<(), BlockError> {
        self.file.set_len(len).map_err(io_err)
    }
    fn sync(&mut self) -> Result<(), BlockError> {
        self.file.sync_data().map_err(io_err)
    }
}
