//! The ways an image build can fail, each with what the user should do about it.

use std::path::PathBuf;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum BuildError {
    #[error("unknown profile {0:?}; known profiles: {1}")]
    UnknownProfile(String, String),
    #[error("building images needs root (debootstrap, chroot and file ownership); run as root, e.g. `sudo {0}`")]
    NotRoot(String),
    #[error(
        "`{tool}` is missing: install the Debian package `{package}` (apt-get install {package})"
    )]
    MissingTool { tool: String, package: String },
    #[error("{what} failed with {status}; its output is in {log}")]
    CommandFailed {
        what: String,
        status: String,
        log: PathBuf,
    },
    #[error("cannot run {what}: {source}")]
    Spawn {
        what: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("e2fsck found problems in {0}")]
    FsckFailed(PathBuf),
}

impl BuildError {
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> BuildError {
        let path = path.into();
        move |source| BuildError::Io { path, source }
    }
}
