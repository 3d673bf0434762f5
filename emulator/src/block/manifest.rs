//! The manifest of a published disk image.
//!
//! A published image is a folder holding `manifest.json` and the image split into
//! fixed-size chunks under `chunks/`. Chunks are named by the SHA-256 of their content, so
//! identical chunks (most often the all-zero free space of a fresh filesystem) are stored
//! and fetched once, and chunks shared between two versions of an image stay cached.
//!
//! This module only describes and checks that layout; it does no I/O and computes no
//! hashes (callers hash with whatever their platform offers and compare hex strings).

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The only manifest format this code reads and writes.
pub const MANIFEST_FORMAT: u32 = 1;

/// The description of a chunked disk image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`MANIFEST_FORMAT`].
    pub format: u32,
    /// `sha256-<hex>` of the whole image: the identity overlays are bound to.
    pub image_id: String,
    /// Size of the image in bytes.
    pub size: u64,
    /// Filesystem block size in bytes (a power of two, at least 512).
    pub block_size: u32,
    /// Size of every chunk but the last, in bytes (a multiple of `block_size`).
    pub chunk_size: u32,
    /// The chunks in image order.
    pub chunks: Vec<ChunkRef>,
}

/// One chunk of the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkRef {
    /// Path of the chunk relative to the manifest's folder, e.g. `chunks/<sha256>.bin`.
    pub name: String,
    /// Length of the chunk in bytes.
    pub size: u32,
    /// Lower-case hex SHA-256 of the chunk's content.
    pub sha256: String,
}

/// Why a manifest cannot be used.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ManifestError {
    #[error("manifest is not valid JSON for format {MANIFEST_FORMAT}: {0}")]
    Parse(String),
    #[error("unsupported manifest format {0} (this build reads format {MANIFEST_FORMAT})")]
    UnsupportedFormat(u32),
    #[error("image id {0:?} is not of the form sha256-<64 hex digits>")]
    BadImageId(String),
    #[error("block size {0} is not a power of two of at least 512")]
    BadBlockSize(u32),
    #[error("chunk size {chunk_size} is not a non-zero multiple of the block size {block_size}")]
    BadChunkSize { chunk_size: u32, block_size: u32 },
    #[error("image size {0} is not a multiple of the block size")]
    SizeNotBlockAligned(u64),
    #[error("{count} chunks listed, but an image of {size} bytes needs {expected}")]
    ChunkCount {
        count: usize,
        size: u64,
        expected: u64,
    },
    #[error("chunk {index} has size {actual}, expected {expected}")]
    ChunkSize {
        index: usize,
        actual: u32,
        expected: u32,
    },
    #[error("chunk {index} has a malformed hash {hash:?}")]
    BadChunkHash { index: usize, hash: String },
    #[error("chunk {index} has an unsafe name {name:?}")]
    BadChunkName { index: usize, name: String },
}

impl Manifest {
    /// Parses and validates a manifest.
    pub fn from_json(text: &str) -> Result<Manifest, ManifestError> {
        let manifest: Manifest =
            serde_json::from_str(text).map_err(|e| ManifestError::Parse(e.to_string()))?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// Serialises the manifest as pretty JSON.
    pub fn to_json(&self) -> String {
        // Serialising plain strings and integers cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks that the manifest describes a complete, consistent image.
    pub fn validate(&self) -> Result<(), ManifestError> {
        if self.format != MANIFEST_FORMAT {
            return Err(ManifestError::UnsupportedFormat(self.format));
        }
        match self.image_id.strip_prefix("sha256-") {
            Some(hex) if is_sha256_hex(hex) => {}
            _ => return Err(ManifestError::BadImageId(self.image_id.clone())),
        }
        if self.block_size < 512 || !self.block_size.is_power_of_two() {
            return Err(ManifestError::BadBlockSize(self.block_size));
        }
        if self.chunk_size == 0 || self.chunk_size % self.block_size != 0 {
            return Err(ManifestError::BadChunkSize {
                chunk_size: self.chunk_size,
                block_size: self.block_size,
            });
        }
        if self.size % u64::from(self.block_size) != 0 {
            return Err(ManifestError::SizeNotBlockAligned(self.size));
        }
        let expected = self.size.div_ceil(u64::from(self.chunk_size));
        if self.chunks.len() as u64 != expected {
            return Err(ManifestError::ChunkCount {
                count: self.chunks.len(),
                size: self.size,
                expected,
            });
        }
        for (index, chunk) in self.chunks.iter().enumerate() {
            let expected = self.chunk_len(index);
            if chunk.size != expected {
                return Err(ManifestError::ChunkSize {
                    index,
                    actual: chunk.size,
                    expected,
                });
            }
            if !is_sha256_hex(&chunk.sha256) {
                return Err(ManifestError::BadChunkHash {
                    index,
                    hash: chunk.sha256.clone(),
                });
            }
            if !is_safe_relative_name(&chunk.name) {
                return Err(ManifestError::BadChunkName {
                    index,
                    name: chunk.name.clone(),
                });
            }
        }
        Ok(())
    }

    /// The length chunk `index` must have in an image of this size.
    pub fn chunk_len(&self, index: usize) -> u32 {
        let start = index as u64 * u64::from(self.chunk_size);
        let remaining = self.size.saturating_sub(start);
        remaining.min(u64::from(self.chunk_size)) as u32
    }

    /// The chunk holding byte `offset` of the image and the offset within it.
    pub fn locate(&self, offset: u64) -> Option<(usize, u32)> {
        if offset >= self.size {
            return None;
        }
        let chunk_size = u64::from(self.chunk_size);
        Some(((offset / chunk_size) as usize, (offset % chunk_size) as u32))
    }
}

/// The name under which a chunk with this content hash is stored.
pub fn chunk_name(sha256_hex: &str) -> String {
    format!("chunks/{sha256_hex}.bin")
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A relative path of plain components: no `..`, no absolute path, no backslash.
fn is_safe_relative_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.contains('\\')
        && name
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn sample(size: u64, chunk_size: u32) -> Manifest {
        let count = size.div_ceil(u64::from(chunk_size)) as usize;
        let mut m = Manifest {
            format: MANIFEST_FORMAT,
            image_id: format!("sha256-{HASH}"),
            size,
            block_size: 4096,
            chunk_size,
            chunks: Vec::new(),
        };
        for i in 0..count {
            m.chunks.push(ChunkRef {
                name: chunk_name(HASH),
                size: m.chunk_len(i),
                sha256: HASH.to_string(),
            });
        }
        m
    }

    #[test]
    fn round_trips_through_json() {
        let m = sample(3 * 65536 + 4096, 65536);
        assert_eq!(m.chunks.len(), 4);
        assert_eq!(m.chunks[3].size, 4096);
        assert_eq!(Manifest::from_json(&m.to_json()), Ok(m));
    }

    #[test]
    fn locates_offsets() {
        let m = sample(2 * 65536, 65536);
        assert_eq!(m.locate(0), Some((0, 0)));
        assert_eq!(m.locate(65537), Some((1, 1)));
        assert_eq!(m.locate(2 * 65536), None);
    }

    #[test]
    fn rejects_inconsistent_manifests() {
        let mut m = sample(2 * 65536, 65536);
        m.chunks.pop();
        assert!(matches!(
            m.validate(),
            Err(ManifestError::ChunkCount { .. })
        ));

        let mut m = sample(2 * 65536, 65536);
        m.chunks[0].size = 4096;
        assert!(matches!(
            m.validate(),
            Err(ManifestError::ChunkSize { index: 0, .. })
        ));

        let mut m = sample(65536, 65536);
        m.chunks[0].name = "../../etc/passwd".into();
        assert!(matches!(
            m.validate(),
            Err(ManifestError::BadChunkName { .. })
        ));

        let mut m = sample(65536, 65536);
        m.chunk_size = 1000;
        assert!(matches!(
            m.validate(),
            Err(ManifestError::BadChunkSize { .. })
        ));

        let mut m = sample(65536, 65536);
        m.image_id = "md5-abc".into();
        assert!(matches!(m.validate(), Err(ManifestError::BadImageId(_))));

        assert!(matches!(
            Manifest::from_json("{"),
            Err(ManifestError::Parse(_))
        ));
    }
}
