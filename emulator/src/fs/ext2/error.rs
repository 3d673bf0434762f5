//! Everything that can go wrong in the ext2 driver, and the one place that says which
//! Linux errno each case becomes.

use crate::block::BlockError;
use thiserror::Error;

/// An ext2 operation's failure.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Ext2Error {
    #[error("no such file or directory")]
    NotFound,
    #[error("file exists")]
    Exists,
    #[error("not a directory")]
    NotDir,
    #[error("is a directory")]
    IsDir,
    #[error("directory not empty")]
    NotEmpty,
    #[error("no space left on device")]
    NoSpace,
    #[error("file name too long")]
    NameTooLong,
    #[error("invalid argument: {0}")]
    Invalid(&'static str),
    #[error("too many links")]
    TooManyLinks,
    #[error("file too large")]
    FileTooBig,
    #[error("operation not permitted: {0}")]
    NotPermitted(&'static str),
    #[error("read-only filesystem")]
    ReadOnly,
    #[error("unsupported filesystem: {0}")]
    Unsupported(String),
    #[error("corrupt filesystem: {0}")]
    Corrupt(String),
    #[error("i/o error: {0}")]
    Io(#[from] BlockError),
}

/// Linux i386 errno values.
pub mod errno {
    pub const EPERM: i32 = 1;
    pub const ENOENT: i32 = 2;
    pub const EIO: i32 = 5;
    pub const EEXIST: i32 = 17;
    pub const ENOTDIR: i32 = 20;
    pub const EISDIR: i32 = 21;
    pub const EINVAL: i32 = 22;
    pub const EFBIG: i32 = 27;
    pub const ENOSPC: i32 = 28;
    pub const EROFS: i32 = 30;
    pub const EMLINK: i32 = 31;
    pub const ENAMETOOLONG: i32 = 36;
    pub const ENOTEMPTY: i32 = 39;
    pub const EUCLEAN: i32 = 117;
}

impl Ext2Error {
    /// The errno the guest sees.
    pub fn errno(&self) -> i32 {
        use errno::*;
        match self {
            Ext2Error::NotFound => ENOENT,
            Ext2Error::Exists => EEXIST,
            Ext2Error::NotDir => ENOTDIR,
            Ext2Error::IsDir => EISDIR,
            Ext2Error::NotEmpty => ENOTEMPTY,
            Ext2Error::NoSpace => ENOSPC,
            Ext2Error::NameTooLong => ENAMETOOLONG,
            Ext2Error::Invalid(_) => EINVAL,
            Ext2Error::TooManyLinks => EMLINK,
            Ext2Error::FileTooBig => EFBIG,
            Ext2Error::NotPermitted(_) => EPERM,
            Ext2Error::ReadOnly => EROFS,
            Ext2Error::Unsupported(_) => EINVAL,
            Ext2Error::Corrupt(_) => EUCLEAN,
            Ext2Error::Io(e) => e.errno(),
        }
    }
}

/// Shorthand for a corruption error.
pub(crate) fn corrupt(msg: impl Into<String>) -> Ext2Error {
    Ext2Error::Corrupt(msg.into())
}

pub type Result<T> = std::result::Result<T, Ext2Error>;
