//! `webvm build-web --out DIR`: writes the page as a folder any static host can serve
//! (page, worker scripts, wasm, xterm.js, `config.json`, the image's manifest and
//! chunks), laid out exactly as `webvm serve` answers (see `site`).
//!
//! Owns copying. It does not compile: the wasm comes from `frontend-web/build.sh`
//! (cargo + wasm-bindgen) and xterm.js from `npm ci` in `frontend-web/`; a missing piece
//! is reported with the command that makes it.

use crate::site::{self, Site, PKG_FILES, XTERM_FILES};
use clap::Args;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct BuildWebArgs {
    /// Output folder (created; existing files are overwritten).
    #[arg(long)]
    out: PathBuf,
    /// Image profile(s) to include; the first is the page's default.
    #[arg(long = "profile", default_value = "default")]
    profiles: Vec<String>,
    /// Folder holding the built profiles.
    #[arg(long, env = "WEBVM_IMAGES", default_value = "images")]
    images: PathBuf,
    /// Leave the images out (publish them elsewhere; set `?image=URL`).
    #[arg(long)]
    no_images: bool,
    /// The `frontend-web` folder.
    #[arg(long, env = "WEBVM_WEB")]
    web: Option<PathBuf>,
}

/// Pieces of the page that are not built yet, each with the command that builds it.
pub fn missing_parts(site: &Site) -> Vec<String> {
    let mut missing = Vec::new();
    if PKG_FILES
        .iter()
        .any(|f| !site.web.join("pkg").join(f).is_file())
    {
        missing.push(format!(
            "{}/pkg is not built: run frontend-web/build.sh",
            site.web.display()
        ));
    }
    if XTERM_FILES
        .iter()
        .any(|(_, rel)| !site.web.join("node_modules/@xterm").join(rel).is_file())
    {
        missing.push(format!(
            "xterm.js is not installed: run `npm ci` in {}",
            site.web.display()
        ));
    }
    if !site
        .images
        .join(&site.profile)
        .join("manifest.json")
        .is_file()
    {
        missing.push(format!(
            "no image {}/{}/manifest.json: build it with `guest-image build {}`",
            site.images.display(),
            site.profile,
            site.profile
        ));
    }
    missing
}

/// Hard-links `from` to `to` when both are on one filesystem, else copies.
fn link_or_copy(from: &Path, to: &Path) -> io::Result<()> {
    if to.exists() {
        fs::remove_file(to)?;
    }
    fs::hard_link(from, to).or_else(|_| fs::copy(from, to).map(|_| ()))
}

fn build(args: &BuildWebArgs) -> Result<(), String> {
    let web = args.web.clone().unwrap_or_else(site::default_web_dir);
    let site = Site {
        web: web.clone(),
        images: args.images.clone(),
        profile: args.profiles[0].clone(),
    };
    let mut missing = missing_parts(&site);
    if args.no_images {
        missing.retain(|m| !m.starts_with("no image"));
    }
    if !missing.is_empty() {
        return Err(missing.join("\n"));
    }
    let out = &args.out;
    let err = |what: &Path, e: io::Error| format!("{}: {e}", what.display());
    for dir in ["pkg", "xterm"] {
        fs::create_dir_all(out.join(dir)).map_err(|e| err(&out.join(dir), e))?;
    }
    let www = web.join("www");
    for entry in fs::read_dir(&www).map_err(|e| err(&www, e))? {
        let entry = entry.map_err(|e| err(&www, e))?;
        if entry.file_type().map_err(|e| err(&www, e))?.is_file() {
            let to = out.join(entry.file_name());
            fs::copy(entry.path(), &to).map_err(|e| err(&to, e))?;
        }
    }
    for f in PKG_FILES {
        let from = web.join("pkg").join(f);
        fs::copy(&from, out.join("pkg").join(f)).map_err(|e| err(&from, e))?;
    }
    for (name, rel) in XTERM_FILES {
        let from = web.join("node_modules/@xterm").join(rel);
        fs::copy(&from, out.join("xterm").join(name)).map_err(|e| err(&from, e))?;
    }
    fs::write(out.join("config.json"), site.config_json())
        .map_err(|e| err(&out.join("config.json"), e))?;
    if !args.no_images {
        for profile in &args.profiles {
            let from = args.images.join(profile);
            let to = out.join("images").join(profile);
            fs::create_dir_all(to.join("chunks")).map_err(|e| err(&to, e))?;
            for entry in fs::read_dir(from.join("chunks")).map_err(|e| err(&from, e))? {
                let entry = entry.map_err(|e| err(&from, e))?;
                let dest = to.join("chunks").join(entry.file_name());
                link_or_copy(&entry.path(), &dest).map_err(|e| err(&dest, e))?;
            }
            // The manifest last, as guest-image publishes it.
            fs::copy(from.join("manifest.json"), to.join("manifest.json"))
                .map_err(|e| err(&from.join("manifest.json"), e))?;
        }
    }
    Ok(())
}

pub fn execute(args: BuildWebArgs) -> ExitCode {
    match build(&args) {
        Ok(()) => {
            println!(
                "webvm: wrote {} (serve it with COOP/COEP headers, see docs/web.md)",
                args.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("webvm build-web: {e}");
            ExitCode::from(1)
        }
    }
}
