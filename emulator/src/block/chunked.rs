//! A published image read chunk by chunk: `manifest.json` plus `chunks/<sha256>.bin`.
//!
//! Owns fetching through a [`ChunkFetcher`] (the web frontend supplies HTTP, the native
//! one reads files, tests use a map), verifying every chunk's length and SHA-256 before
//! any of its bytes are used, and keeping the last few chunks in memory. Read-only:
//! writes belong to an overlay above it.

use super::manifest::Manifest;
use super::{check_access, BlockDevice, BlockError};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;

/// Where chunk bytes come from. `name` is the chunk's path relative to the manifest's
/// folder as written in the manifest (already validated as a plain relative path).
pub trait ChunkFetcher {
    /// Returns the whole chunk, or a human-readable reason it could not be had.
    fn fetch(&mut self, name: &str) -> Result<Vec<u8>, String>;
}

/// A read-only device over a chunked image.
pub struct ChunkedDevice<F: ChunkFetcher> {
    manifest: Manifest,
    fetcher: F,
    /// Verified chunks, most recently used last.
    recent: VecDeque<(usize, Vec<u8>)>,
    keep: usize,
}

impl<F: ChunkFetcher> ChunkedDevice<F> {
    /// A device over `manifest`'s image, keeping at most `keep_chunks` chunks in memory.
    /// The manifest is validated first.
    pub fn new(
        manifest: Manifest,
        fetcher: F,
        keep_chunks: usize,
    ) -> Result<ChunkedDevice<F>, BlockError> {
        manifest
            .validate()
            .map_err(|e| BlockError::Storage(e.to_string()))?;
        Ok(ChunkedDevice {
            manifest,
            fetcher,
            recent: VecDeque::new(),
            keep: keep_chunks.max(1),
        })
    }

    /// The manifest this device reads.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn chunk(&mut self, index: usize) -> Result<&[u8], BlockError> {
        if let Some(pos) = self.recent.iter().position(|(i, _)| *i == index) {
            let entry = self.recent.remove(pos).expect("position is in range");
            self.recent.push_back(entry);
        } else {
            let chunk = &self.manifest.chunks[index];
            let bytes =
                self.fetcher
                    .fetch(&chunk.name)
                    .map_err(|reason| BlockError::MissingChunk {
                        index,
                        name: chunk.name.clone(),
                        reason,
                    })?;
            if bytes.len() != chunk.size as usize {
                return Err(BlockError::TruncatedChunk {
                    index,
                    name: chunk.name.clone(),
                    actual: bytes.len(),
                    expected: chunk.size,
                });
            }
            let actual = hex(&Sha256::digest(&bytes));
            if actual != chunk.sha256 {
                return Err(BlockError::CorruptChunk {
                    index,
                    name: chunk.name.clone(),
                    actual,
                });
            }
            if self.recent.len() >= self.keep {
                self.recent.pop_front();
            }
            self.recent.push_back((index, bytes));
        }
        Ok(&self.recent.back().expect("just pushed").1)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl<F: ChunkFetcher> BlockDevice for ChunkedDevice<F> {
    fn block_size(&self) -> u32 {
        self.manifest.block_size
    }
    fn block_count(&self) -> u64 {
        self.manifest.size / u64::from(self.manifest.block_size)
    }
    fn read_block(&mut self, block: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        check_access(block, buf.len(), self.block_size(), self.block_count())?;
        let offset = block * u64::from(self.manifest.block_size);
        let (index, within) = self.manifest.locate(offset).ok_or(BlockError::OutOfRange {
            block,
            count: self.block_count(),
        })?;
        let within = within as usize;
        let len = buf.len();
        let chunk = self.chunk(index)?;
        buf.copy_from_slice(&chunk[within..within + len]);
        Ok(())
    }
    fn write_block(&mut self, _block: u64, _buf: &[u8]) -> Result<(), BlockError> {
        Err(BlockError::ReadOnly)
    }
    fn flush(&mut self) -> Result<(), BlockError> {
        Ok(())
    }
}

/// Cuts `image` into a manifest and its chunks (name, bytes), the layout
/// `guest-image` publishes. Used by tests and tools.
pub fn split_image(
    image: &[u8],
    block_size: u32,
    chunk_size: u32,
) -> (Manifest, Vec<(String, Vec<u8>)>) {
    let mut chunks = Vec::new();
    let mut refs = Vec::new();
    for piece in image.chunks(chunk_size as usize) {
        let sha = hex(&Sha256::digest(piece));
        let name = super::manifest::chunk_name(&sha);
        refs.push(super::manifest::ChunkRef {
            name: name.clone(),
            size: piece.len() as u32,
            sha256: sha,
        });
        chunks.push((name, piece.to_vec()));
    }
    let manifest = Manifest {
        format: super::manifest::MANIFEST_FORMAT,
        image_id: format!("sha256-{}", hex(&Sha256::digest(image))),
        size: image.len() as u64,
        block_size,
        chunk_size,
        chunks: refs,
    };
    (manifest, chunks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct MapFetcher(HashMap<String, Vec<u8>>);
    impl ChunkFetcher for MapFetcher {
        fn fetch(&mut self, name: &str) -> Result<Vec<u8>, String> {
            self.0.get(name).cloned().ok_or_else(|| "404".to_string())
        }
    }

    fn image() -> Vec<u8> {
        (0..5 * 4096u32).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn reads_every_block_through_chunks() {
        let img = image();
        let (m, chunks) = split_image(&img, 1024, 8192);
        let mut dev = ChunkedDevice::new(m, MapFetcher(chunks.into_iter().collect()), 2).unwrap();
        assert_eq!(dev.block_count(), 20);
        let mut buf = vec![0u8; 1024];
        for b in (0..20).rev() {
            dev.read_block(b, &mut buf).unwrap();
            assert_eq!(&buf[..], &img[b as usize * 1024..][..1024]);
        }
        assert_eq!(dev.write_block(0, &buf), Err(BlockError::ReadOnly));
    }

    #[test]
    fn reports_missing_truncated_and_corrupt_chunks() {
        let img = image();
        let (m, chunks) = split_image(&img, 1024, 8192);
        let mut map: HashMap<_, _> = chunks.into_iter().collect();
        let names: Vec<String> = m.chunks.iter().map(|c| c.name.clone()).collect();
        map.remove(&names[0]);
        map.get_mut(&names[1]).unwrap().truncate(100);
        map.get_mut(&names[2]).unwrap()[5] ^= 1;
        let mut dev = ChunkedDevice::new(m, MapFetcher(map), 4).unwrap();
        let mut buf = vec![0u8; 1024];
        let e = dev.read_block(0, &mut buf).unwrap_err();
        assert!(matches!(e, BlockError::MissingChunk { index: 0, .. }));
        assert_eq!(e.errno(), 5);
        assert!(matches!(
            dev.read_block(8, &mut buf),
            Err(BlockError::TruncatedChunk {
                index: 1,
                actual: 100,
                ..
            })
        ));
        assert!(matches!(
            dev.read_block(16, &mut buf),
            Err(BlockError::CorruptChunk { index: 2, .. })
        ));
    }
}
