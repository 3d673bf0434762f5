//! Cuts an image into content-named chunks and writes the `manifest.json` that any static
//! HTTP host can serve beside them (layout in `emulator::block::manifest`).
//!
//! Chunks are written to a temporary name and renamed, the manifest last, so a reader
//! never sees a manifest naming a chunk that is not complete. Chunks no longer named by
//! the manifest are removed.

use crate::error::BuildError;
use emulator::block::manifest::{chunk_name, ChunkRef, Manifest, MANIFEST_FORMAT};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fs::{self, File};
use std::io::Read;
use std::path::Path;

pub fn publish(
    image: &Path,
    folder: &Path,
    block_size: u32,
    chunk_size: u32,
) -> Result<Manifest, BuildError> {
    let chunk_dir = folder.join("chunks");
    fs::create_dir_all(&chunk_dir).map_err(BuildError::io(&chunk_dir))?;
    let mut file = File::open(image).map_err(BuildError::io(image))?;
    let size = file.metadata().map_err(BuildError::io(image))?.len();
    let mut whole = Sha256::new();
    let mut chunks = Vec::new();
    let mut buf = vec![0u8; chunk_size as usize];
    loop {
        let len = read_full(&mut file, &mut buf).map_err(BuildError::io(image))?;
        if len == 0 {
            break;
        }
        let bytes = &buf[..len];
        whole.update(bytes);
        let sha256 = hex::encode(Sha256::digest(bytes));
        let name = chunk_name(&sha256);
        let path = folder.join(&name);
        if !path.exists() {
            let partial = path.with_extension("partial");
            fs::write(&partial, bytes).map_err(BuildError::io(&partial))?;
            fs::rename(&partial, &path).map_err(BuildError::io(&path))?;
        }
        chunks.push(ChunkRef {
            name,
            size: len as u32,
            sha256,
        });
    }
    let manifest = Manifest {
        format: MANIFEST_FORMAT,
        image_id: format!("sha256-{}", hex::encode(whole.finalize())),
        size,
        block_size,
        chunk_size,
        chunks,
    };
    let manifest_path = folder.join("manifest.json");
    let partial = folder.join("manifest.json.partial");
    fs::write(&partial, manifest.to_json()).map_err(BuildError::io(&partial))?;
    fs::rename(&partial, &manifest_path).map_err(BuildError::io(&manifest_path))?;
    remove_stale_chunks(folder, &manifest)?;
    Ok(manifest)
}

fn remove_stale_chunks(folder: &Path, manifest: &Manifest) -> Result<(), BuildError> {
    let named: HashSet<&str> = manifest.chunks.iter().map(|c| c.name.as_str()).collect();
    let chunk_dir = folder.join("chunks");
    for entry in fs::read_dir(&chunk_dir).map_err(BuildError::io(&chunk_dir))? {
        let entry = entry.map_err(BuildError::io(&chunk_dir))?;
        let name = format!("chunks/{}", entry.file_name().to_string_lossy());
        if !named.contains(name.as_str()) {
            fs::remove_file(entry.path()).map_err(BuildError::io(entry.path()))?;
        }
    }
    Ok(())
}

fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = file.read(&mut buf[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}
