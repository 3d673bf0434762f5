//! `guest-image`: builds Debian bookworm i386 root trees and published ext2 images from
//! named profiles.
//!
//! For each profile it leaves, in one folder (default `images/<profile>/`): the unpacked
//! `root/` tree (so tests can run the same programs natively with `chroot`), `disk.ext2`,
//! `chunks/` plus `manifest.json` for static HTTP hosting, `build.json` (the cache record)
//! and `build.log`. An unchanged profile is a cache hit.

mod cache;
mod command;
mod error;
mod mkfs;
mod profile;
mod publish;
mod rootfs;

use clap::{Parser, Subcommand};
use error::BuildError;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "guest-image",
    version,
    about = "Build Debian i386 guest images for webvm"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build (or reuse) the images of the named profiles.
    Build {
        /// Profiles to build, e.g. `tiny default`.
        #[arg(required = true)]
        profiles: Vec<String>,
        /// Folder that receives one subfolder per profile.
        #[arg(long, env = "WEBVM_IMAGES", default_value = "images")]
        out: PathBuf,
        /// Download cache, kept outside the clone.
        #[arg(long, env = "WEBVM_CACHE", default_value = "/var/cache/webvm")]
        cache: PathBuf,
        /// Debian mirror.
        #[arg(long, env = "WEBVM_DEBIAN_MIRROR", default_value = profile::DEFAULT_MIRROR)]
        mirror: String,
        /// Size of the published chunks in bytes (a multiple of 4096).
        #[arg(long, default_value_t = 256 * 1024)]
        chunk_size: u32,
        /// Rebuild even when the cached build is current.
        #[arg(long)]
        force: bool,
    },
    /// List the profiles.
    List,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::List => {
            for p in profile::all() {
                println!("{:8} {}", p.name, p.description);
            }
            ExitCode::SUCCESS
        }
        Command::Build {
            profiles,
            out,
            cache,
            mirror,
            chunk_size,
            force,
        } => {
            let options = BuildOptions {
                out,
                cache,
                mirror,
                chunk_size,
                force,
            };
            for name in profiles {
                if let Err(e) = build(&name, &options) {
                    eprintln!("guest-image: {name}: {e}");
                    return ExitCode::FAILURE;
                }
            }
            ExitCode::SUCCESS
        }
    }
}

struct BuildOptions {
    out: PathBuf,
    cache: PathBuf,
    mirror: String,
    chunk_size: u32,
    force: bool,
}

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("files/examples")
}

fn build(name: &str, options: &BuildOptions) -> Result<(), BuildError> {
    let profile = profile::find(name)
        .ok_or_else(|| BuildError::UnknownProfile(name.into(), profile::names()))?;
    if options.chunk_size == 0 || u64::from(options.chunk_size) % mkfs::BLOCK_SIZE != 0 {
        return Err(BuildError::Io {
            path: "--chunk-size".into(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "chunk size must be a non-zero multiple of 4096",
            ),
        });
    }
    let folder = options.out.join(profile.name);
    let examples = examples_dir();
    let key = cache::build_key(&profile, &examples, options.chunk_size)?;
    if !options.force {
        if let Some(record) = cache::current(&folder) {
            if record.key == key {
                eprintln!("guest-image: {name}: up to date ({})", record.image_id);
                return Ok(());
            }
        }
    }
    preflight(&profile)?;
    std::fs::create_dir_all(&folder).map_err(BuildError::io(&folder))?;
    let _ = std::fs::remove_file(folder.join("build.json"));
    let log = folder.join("build.log");
    let _ = std::fs::remove_file(&log);
    let started = Instant::now();
    let step = |what: &str| eprintln!("guest-image: {name}: {what} ({:.0?})", started.elapsed());

    step("building the root tree");
    let root = folder.join("root");
    rootfs::TreeBuild {
        profile: &profile,
        root: &root,
        cache: &options.cache,
        mirror: &options.mirror,
        examples: &examples,
        log: &log,
    }
    .run()?;

    step("making the ext2 image");
    let usage = mkfs::measure(&root)?;
    let inodes = mkfs::inode_count(usage, profile.free_space_mib);
    let size = mkfs::image_size(usage, inodes, profile.free_space_mib);
    let image = folder.join("disk.ext2");
    mkfs::MakeFs {
        root: &root,
        image: &image,
        size,
        inodes,
        uuid: &cache::uuid_from_key(&key),
        log: &log,
    }
    .run()?;

    step("cutting chunks");
    let manifest = publish::publish(&image, &folder, mkfs::BLOCK_SIZE as u32, options.chunk_size)?;
    cache::record(
        &folder,
        &cache::BuildRecord {
            key,
            profile: profile.name.into(),
            image_id: manifest.image_id.clone(),
            size: manifest.size,
        },
    )?;
    step(&format!(
        "done: {} MiB, {} chunks, {}",
        manifest.size >> 20,
        manifest.chunks.len(),
        manifest.image_id
    ));
    Ok(())
}

/// Clear errors before any work: root, and the tools this profile needs.
fn preflight(profile: &profile::Profile) -> Result<(), BuildError> {
    if !command::is_root() {
        let me = std::env::args().collect::<Vec<_>>().join(" ");
        return Err(BuildError::NotRoot(me));
    }
    match profile.base {
        profile::Base::Debootstrap { .. } => command::require_tool("debootstrap", "debootstrap")?,
        profile::Base::Unpacked { .. } => {
            command::require_tool("apt-get", "apt")?;
            command::require_tool("dpkg-deb", "dpkg")?;
        }
    }
    command::require_tool("mke2fs", "e2fsprogs")?;
    command::require_tool("e2fsck", "e2fsprogs")
}
