//! A base image on the host and its overlay file: opening the pair, `merge` (base plus
//! overlay into a new plain image) and `reset` (discard the overlay).
//!
//! A base is either a plain image file (its id is the SHA-256 of its content, computed
//! at open) or a published folder (`manifest.json`, `chunks/`, optionally `disk.ext2`;
//! its id is the manifest's). The overlay defaults to `<image>.overlay` beside a file,
//! or `disk.ext2.overlay` inside a folder.

use super::{FileChunkFetcher, FileDevice, FileLogStore};
use emulator::block::chunked::ChunkedDevice;
use emulator::block::manifest::{Manifest, ManifestError};
use emulator::block::overlay::format::{LogHeader, HEADER_LEN};
use emulator::block::overlay::OverlayDevice;
use emulator::block::{BlockDevice, BlockError};
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ImageError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Manifest(#[from] ManifestError),
    #[error("{0}")]
    Block(#[from] BlockError),
    #[error("{0} is not a webvm overlay (refusing to touch it)")]
    NotAnOverlay(PathBuf),
    #[error("{path} belongs to image {found}, not {expected} (use --force to discard it anyway)")]
    OtherImage {
        path: PathBuf,
        found: String,
        expected: String,
    },
    #[error("the output {0} is the image or its overlay")]
    OutputIsInput(PathBuf),
    #[error("the output {0} exists (remove it first)")]
    OutputExists(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ImageError + '_ {
    move |source| ImageError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The read-only base an overlay sits on.
pub struct BaseImage {
    pub device: Box<dyn BlockDevice>,
    /// `sha256-<hex>`: what overlays are bound to.
    pub id: String,
    /// Where the overlay lives unless the user says otherwise.
    pub default_overlay: PathBuf,
}

/// The device a guest sees: base plus overlay file.
pub type Overlaid = OverlayDevice<Box<dyn BlockDevice>, FileLogStore>;

impl BaseImage {
    /// Opens a plain image file or a published folder.
    pub fn open(path: &Path) -> Result<BaseImage, ImageError> {
        if path.is_dir() {
            let manifest_path = path.join("manifest.json");
            let text = fs::read_to_string(&manifest_path).map_err(io(&manifest_path))?;
            let manifest = Manifest::from_json(&text)?;
            let disk = path.join("disk.ext2");
            let id = manifest.image_id.clone();
            let device: Box<dyn BlockDevice> = if disk.exists() {
                Box::new(
                    FileDevice::open_with_block_size(&disk, manifest.block_size)
                        .map_err(io(&disk))?,
                )
            } else {
                Box::new(ChunkedDevice::new(
                    manifest,
                    FileChunkFetcher::new(path),
                    4,
                )?)
            };
            Ok(BaseImage {
                device,
                id,
                default_overlay: disk.with_extension("ext2.overlay"),
            })
        } else {
            let device = FileDevice::open(path).map_err(io(path))?;
            let id = hash_file(path)?;
            let mut name = path.as_os_str().to_owned();
            name.push(".overlay");
            Ok(BaseImage {
                device: Box::new(device),
                id,
                default_overlay: PathBuf::from(name),
            })
        }
    }

    /// Opens the base with its overlay (created if missing), replaying the overlay's
    /// log: the result is the state as of the last completed commit.
    pub fn open_overlaid(path: &Path, overlay: Option<&Path>) -> Result<Overlaid, ImageError> {
        let base = BaseImage::open(path)?;
        let overlay = overlay
            .map(Path::to_path_buf)
            .unwrap_or(base.default_overlay);
        let store = FileLogStore::open(&overlay).map_err(io(&overlay))?;
        Ok(OverlayDevice::open(base.device, store, &base.id)?)
    }
}

/// The SHA-256 id of a file's content.
pub fn hash_file(path: &Path) -> Result<String, ImageError> {
    let mut file = File::open(path).map_err(io(path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("sha256-{}", hex::encode(hasher.finalize())))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn sync_parent(path: &Path) -> Result<(), ImageError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

/// What `merge` did.
#[derive(Debug)]
pub struct MergeSummary {
    pub bytes: u64,
    pub blocks_from_overlay: u64,
    pub transactions: u64,
}

/// Writes base plus overlay (as of its last commit) to `output`, a new plain image.
/// The output appears complete or not at all (written aside, synced, renamed).
pub fn merge(
    image: &Path,
    overlay: Option<&Path>,
    output: &Path,
) -> Result<MergeSummary, ImageError> {
    let base = BaseImage::open(image)?;
    let overlay_path = overlay
        .map(Path::to_path_buf)
        .unwrap_or(base.default_overlay.clone());
    if same_file(output, image) || same_file(output, &overlay_path) || output == image {
        return Err(ImageError::OutputIsInput(output.to_path_buf()));
    }
    if output.exists() {
        return Err(ImageError::OutputExists(output.to_path_buf()));
    }
    let mut dev: Box<dyn BlockDevice> = base.device;
    let mut transactions = 0;
    let mut from_overlay = 0;
    if overlay_path.exists() {
        let store = FileLogStore::open_existing(&overlay_path).map_err(io(&overlay_path))?;
        let ov = OverlayDevice::open(dev, store, &base.id)?;
        transactions = ov.recovery().transactions;
        from_overlay = ov.written_blocks().len() as u64;
        dev = Box::new(ov);
    }
    let mut tmp = output.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    let out = File::create(&tmp).map_err(io(&tmp))?;
    let size = dev.size_bytes();
    out.set_len(size).map_err(io(&tmp))?;
    let bs = dev.block_size() as usize;
    let mut buf = vec![0u8; bs];
    for block in 0..dev.block_count() {
        dev.read_block(block, &mut buf)?;
        // Leave zero blocks as holes: the output stays sparse.
        if buf.iter().any(|&b| b != 0) {
            out.write_all_at(&buf, block * bs as u64)
                .map_err(io(&tmp))?;
        }
    }
    out.sync_all().map_err(io(&tmp))?;
    drop(out);
    fs::rename(&tmp, output).map_err(io(output))?;
    sync_parent(output)?;
    Ok(MergeSummary {
        bytes: size,
        blocks_from_overlay: from_overlay,
        transactions,
    })
}

/// Discards the overlay of `image`. Refuses a file that is not an overlay, and (unless
/// `force`) an overlay of another image. Returns whether there was one.
pub fn reset(image: &Path, overlay: Option<&Path>, force: bool) -> Result<bool, ImageError> {
    let base = BaseImage::open(image)?;
    let overlay_path = overlay
        .map(Path::to_path_buf)
        .unwrap_or(base.default_overlay);
    if !overlay_path.exists() {
        return Ok(false);
    }
    let file = File::open(&overlay_path).map_err(io(&overlay_path))?;
    let mut head = vec![0u8; HEADER_LEN as usize];
    file.read_exact_at(&mut head, 0)
        .map_err(|_| ImageError::NotAnOverlay(overlay_path.clone()))?;
    let header =
        LogHeader::parse(&head).ok_or_else(|| ImageError::NotAnOverlay(overlay_path.clone()))?;
    if header.image_id() != base.id && !force {
        return Err(ImageError::OtherImage {
            path: overlay_path,
            found: header.image_id(),
            expected: base.id,
        });
    }
    fs::remove_file(&overlay_path).map_err(io(&overlay_path))?;
    sync_parent(&overlay_path)?;
    Ok(true)
}
