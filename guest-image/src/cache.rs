//! Decides whether a profile must be rebuilt: the build key is a hash of everything that
//! shapes the image (builder version, profile definition, example files, chunk size), and
//! `build.json` in the profile folder records the key of what is there.

use crate::error::BuildError;
use crate::profile::Profile;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::path::Path;

/// Bump when the builder's output changes for the same profile.
const BUILDER_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct BuildRecord {
    pub key: String,
    pub profile: String,
    pub image_id: String,
    pub size: u64,
}

pub fn build_key(
    profile: &Profile,
    examples: &Path,
    chunk_size: u32,
) -> Result<String, BuildError> {
    let mut hasher = Sha256::new();
    hasher.update(format!(
        "webvm-guest-image v{BUILDER_VERSION}\n{profile:?}\nchunk={chunk_size}\n"
    ));
    if profile.examples {
        hash_tree(examples, examples, &mut hasher)?;
    }
    Ok(hex::encode(hasher.finalize()))
}

fn hash_tree(base: &Path, path: &Path, hasher: &mut Sha256) -> Result<(), BuildError> {
    let mut entries: Vec<_> = fs::read_dir(path)
        .map_err(BuildError::io(path))?
        .collect::<Result<_, _>>()
        .map_err(BuildError::io(path))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let p = entry.path();
        let relative = p
            .strip_prefix(base)
            .unwrap_or(&p)
            .to_string_lossy()
            .into_owned();
        if p.is_dir() {
            hasher.update(format!("dir {relative}\n"));
            hash_tree(base, &p, hasher)?;
        } else {
            let bytes = fs::read(&p).map_err(BuildError::io(&p))?;
            hasher.update(format!("file {relative} {}\n", bytes.len()));
            hasher.update(&bytes);
        }
    }
    Ok(())
}

/// A UUID (8-4-4-4-12 hex) derived from the key, for mke2fs.
pub fn uuid_from_key(key: &str) -> String {
    let h = &key[..32.min(key.len())];
    if h.len() < 32 {
        return "6b8e2c1a-0000-4000-8000-000000000000".into();
    }
    format!(
        "{}-{}-4{}-8{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// The record of the build in `folder`, if its outputs are all still there.
pub fn current(folder: &Path) -> Option<BuildRecord> {
    let text = fs::read_to_string(folder.join("build.json")).ok()?;
    let record: BuildRecord = serde_json::from_str(&text).ok()?;
    let disk = fs::metadata(folder.join("disk.ext2")).ok()?;
    let complete = disk.len() == record.size
        && folder.join("manifest.json").is_file()
        && folder.join("root/etc/passwd").is_file();
    complete.then_some(record)
}

pub fn record(folder: &Path, record: &BuildRecord) -> Result<(), BuildError> {
    let path = folder.join("build.json");
    let text = serde_json::to_string_pretty(record).unwrap_or_default();
    fs::write(&path, text).map_err(BuildError::io(&path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile;

    #[test]
    fn uuid_is_well_formed_and_stable() {
        let key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let uuid = uuid_from_key(key);
        assert_eq!(uuid, "01234567-89ab-4def-8123-456789abcdef");
        assert_eq!(uuid.len(), 36);
    }

    #[test]
    fn key_changes_with_the_profile_and_chunk_size() {
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("files/examples");
        let tiny = profile::find("tiny").unwrap();
        let default = profile::find("default").unwrap();
        let a = build_key(&tiny, &examples, 262144).unwrap();
        assert_eq!(a, build_key(&tiny, &examples, 262144).unwrap());
        assert_ne!(a, build_key(&tiny, &examples, 65536).unwrap());
        assert_ne!(a, build_key(&default, &examples, 262144).unwrap());
    }
}
