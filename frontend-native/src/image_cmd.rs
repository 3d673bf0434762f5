//! `webvm image ...`: checks a published image folder (manifest plus chunks) against the
//! image it was cut from (`verify`), turns an image plus its overlay into a plain image
//! (`merge`) and discards an overlay (`reset`).
//!
//! Reads only inside the folder it is given; chunk names come from the manifest and are
//! validated as plain relative paths before use. Merge and reset live in
//! `frontend_native::storage::image`; this module only parses and reports.

use clap::Subcommand;
use emulator::block::manifest::{Manifest, ManifestError};
use frontend_native::storage;
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use thiserror::Error;

#[derive(Subcommand)]
pub enum ImageAction {
    /// Check that manifest.json describes the chunks, and disk.ext2 if present, exactly.
    Verify {
        /// A profile folder, e.g. images/default.
        folder: PathBuf,
    },
    /// Write the image with its overlay applied (as of the last commit) to a new file.
    Merge {
        /// A plain image file or a published image folder.
        image: PathBuf,
        /// The overlay file (default: `<image>.overlay`, or `disk.ext2.overlay` in a folder).
        #[arg(long)]
        overlay: Option<PathBuf>,
        /// The plain image to create; must not exist.
        #[arg(long, short)]
        output: PathBuf,
    },
    /// Discard the overlay: the image reads as published again.
    Reset {
        /// A plain image file or a published image folder.
        image: PathBuf,
        /// The overlay file (default as for `merge`).
        #[arg(long)]
        overlay: Option<PathBuf>,
        /// Discard it even if it belongs to another image.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Error)]
pub enum VerifyError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Manifest(#[from] ManifestError),
    #[error("chunk {index} ({name}) has {actual} bytes, manifest says {expected}")]
    ChunkLength {
        index: usize,
        name: String,
        actual: u64,
        expected: u32,
    },
    #[error("chunk {index} ({name}) hashes to {actual}, manifest says {expected}")]
    ChunkHash {
        index: usize,
        name: String,
        actual: String,
        expected: String,
    },
    #[error("disk.ext2 differs from the chunks: it hashes to {actual}, manifest says {expected}")]
    ImageHash { actual: String, expected: String },
}

pub fn execute(action: ImageAction) -> ExitCode {
    match action {
        ImageAction::Verify { folder } => match verify_folder(&folder) {
            Ok(summary) => {
                println!("{summary}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("webvm: {}: {e}", folder.display());
                ExitCode::FAILURE
            }
        },
        ImageAction::Merge {
            image,
            overlay,
            output,
        } => match storage::image::merge(&image, overlay.as_deref(), &output) {
            Ok(m) => {
                println!(
                    "{}: {} bytes, {} blocks from the overlay ({} commits)",
                    output.display(),
                    m.bytes,
                    m.blocks_from_overlay,
                    m.transactions
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("webvm: merge: {e}");
                ExitCode::FAILURE
            }
        },
        ImageAction::Reset {
            image,
            overlay,
            force,
        } => match storage::image::reset(&image, overlay.as_deref(), force) {
            Ok(true) => {
                println!("overlay discarded");
                ExitCode::SUCCESS
            }
            Ok(false) => {
                println!("no overlay to discard");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("webvm: reset: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

/// Verifies every chunk's length and hash, and the image id against the concatenation
/// of the chunks. Returns a one-line summary.
pub fn verify_folder(folder: &Path) -> Result<String, VerifyError> {
    let manifest_path = folder.join("manifest.json");
    let text = fs::read_to_string(&manifest_path).map_err(|source| VerifyError::Io {
        path: manifest_path.clone(),
        source,
    })?;
    let manifest = Manifest::from_json(&text)?;
    let mut whole = Sha256::new();
    for (index, chunk) in manifest.chunks.iter().enumerate() {
        let path = folder.join(&chunk.name);
        let bytes = fs::read(&path).map_err(|source| VerifyError::Io {
            path: path.clone(),
            source,
        })?;
        if bytes.len() as u64 != u64::from(chunk.size) {
            return Err(VerifyError::ChunkLength {
                index,
                name: chunk.name.clone(),
                actual: bytes.len() as u64,
                expected: chunk.size,
            });
        }
        let actual = hex::encode(Sha256::digest(&bytes));
        if actual != chunk.sha256 {
            return Err(VerifyError::ChunkHash {
                index,
                name: chunk.name.clone(),
                actual,
                expected: chunk.sha256.clone(),
            });
        }
        whole.update(&bytes);
    }
    let actual = format!("sha256-{}", hex::encode(whole.finalize()));
    if actual != manifest.image_id {
        return Err(VerifyError::ImageHash {
            actual,
            expected: manifest.image_id.clone(),
        });
    }
    let disk = folder.join("disk.ext2");
    if disk.exists() {
        let disk_id = hash_file(&disk)?;
        if disk_id != manifest.image_id {
            return Err(VerifyError::ImageHash {
                actual: disk_id,
                expected: manifest.image_id,
            });
        }
    }
    Ok(format!(
        "{}: {} bytes in {} chunks of {} bytes, id {}",
        folder.display(),
        manifest.size,
        manifest.chunks.len(),
        manifest.chunk_size,
        manifest.image_id
    ))
}

fn hash_file(path: &Path) -> Result<String, VerifyError> {
    let io = |source| VerifyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("sha256-{}", hex::encode(hasher.finalize())))
}
