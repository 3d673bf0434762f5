//! The layout of the web page as a static site, shared by `webvm serve` (which answers
//! from the source folders) and `webvm build-web` (which copies them into one folder).
//!
//! Owns the mapping from a URL path to a file: the page (`frontend-web/www`), the
//! wasm-bindgen output (`frontend-web/pkg`), the xterm.js files from npm
//! (`frontend-web/node_modules/@xterm`), and the published image (`manifest.json` and
//! `chunks/` only; never `disk.ext2` or the build tree). Must not serve anything else.

use std::path::{Component, Path, PathBuf};

/// Where the page's pieces are on disk.
#[derive(Clone, Debug)]
pub struct Site {
    /// `frontend-web/` (holding `www/`, `pkg/`, `node_modules/`).
    pub web: PathBuf,
    /// The folder of built profiles (`images/`).
    pub images: PathBuf,
    /// The profile the page boots by default.
    pub profile: String,
}

/// What a URL path resolves to.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolved {
    File(PathBuf),
    /// `config.json`: which image the page boots.
    Config(String),
    NotFound,
}

/// The xterm.js files the page loads, as (URL path under `xterm/`, path under
/// `node_modules/@xterm`).
pub const XTERM_FILES: [(&str, &str); 3] = [
    ("xterm.js", "xterm/lib/xterm.js"),
    ("xterm.css", "xterm/css/xterm.css"),
    ("addon-fit.js", "addon-fit/lib/addon-fit.js"),
];

/// The wasm-bindgen outputs the worker imports.
pub const PKG_FILES: [&str; 2] = ["frontend_web.js", "frontend_web_bg.wasm"];

/// The default `frontend-web/` folder: beside this crate in the source tree.
pub fn default_web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend-web")
}

/// Splits a URL path into safe components (no `..`, no empty or hidden names).
fn safe_parts(url_path: &str) -> Option<Vec<&str>> {
    let path = url_path.split(['?', '#']).next().unwrap_or("");
    let mut parts = Vec::new();
    for p in path.split('/').filter(|p| !p.is_empty()) {
        if p.starts_with('.') || p.contains('\\') || Path::new(p).components().count() != 1 {
            return None;
        }
        if !matches!(Path::new(p).components().next(), Some(Component::Normal(_))) {
            return None;
        }
        parts.push(p);
    }
    Some(parts)
}

impl Site {
    /// The JSON of `config.json`.
    pub fn config_json(&self) -> String {
        format!("{{\"image\":\"images/{}/\"}}\n", self.profile)
    }

    /// Maps a URL path (`/`, `/pkg/frontend_web.js`, `/images/tiny/chunks/<sha>.bin`, ...).
    pub fn resolve(&self, url_path: &str) -> Resolved {
        let Some(parts) = safe_parts(url_path) else {
            return Resolved::NotFound;
        };
        let found = |p: PathBuf| {
            if p.is_file() {
                Resolved::File(p)
            } else {
                Resolved::NotFound
            }
        };
        match parts.as_slice() {
            [] => found(self.web.join("www/index.html")),
            ["config.json"] => Resolved::Config(self.config_json()),
            ["pkg", name] if PKG_FILES.contains(name) => found(self.web.join("pkg").join(name)),
            ["xterm", name] => match XTERM_FILES.iter().find(|(u, _)| u == name) {
                Some((_, rel)) => found(self.web.join("node_modules/@xterm").join(rel)),
                None => Resolved::NotFound,
            },
            ["images", profile, "manifest.json"] => {
                found(self.images.join(profile).join("manifest.json"))
            }
            ["images", profile, "chunks", name] if name.ends_with(".bin") => {
                found(self.images.join(profile).join("chunks").join(name))
            }
            [name] => found(self.web.join("www").join(name)),
            _ => Resolved::NotFound,
        }
    }
}

/// The `Content-Type` for a file name.
pub fn mime_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        Site {
            web: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../frontend-web"),
            images: PathBuf::from("/nonexistent-images"),
            profile: "tiny".into(),
        }
    }

    #[test]
    fn maps_the_page_and_refuses_escapes() {
        let s = site();
        assert!(matches!(s.resolve("/"), Resolved::File(p) if p.ends_with("www/index.html")));
        assert!(matches!(s.resolve("/main.js?x=1"), Resolved::File(_)));
        assert_eq!(s.resolve("/../Cargo.toml"), Resolved::NotFound);
        assert_eq!(s.resolve("/pkg/../../Cargo.toml"), Resolved::NotFound);
        assert_eq!(s.resolve("/.git/config"), Resolved::NotFound);
        assert_eq!(s.resolve("/images/tiny/disk.ext2"), Resolved::NotFound);
        assert_eq!(
            s.resolve("/images/tiny/root/etc/passwd"),
            Resolved::NotFound
        );
        assert_eq!(
            s.resolve("/config.json"),
            Resolved::Config("{\"image\":\"images/tiny/\"}\n".into())
        );
        assert_eq!(mime_type(Path::new("a.wasm")), "application/wasm");
        assert_eq!(
            mime_type(Path::new("a.js")),
            "text/javascript; charset=utf-8"
        );
    }
}
