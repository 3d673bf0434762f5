//! Helpers shared by the whole-system tests in `tests/tests/`: where the built guest
//! images are, and failing loudly (never skipping) when they are missing.

pub mod guest;

use std::path::PathBuf;

/// The folder holding one subfolder per built profile: `$WEBVM_IMAGES`, or `images/` at
/// the top of the workspace.
pub fn images_dir() -> PathBuf {
    match std::env::var_os("WEBVM_IMAGES") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../images"),
    }
}

/// The folder of a built profile; panics with the command to run when it is missing, so a
/// test that needs an image fails instead of silently passing.
pub fn profile_dir(profile: &str) -> PathBuf {
    let dir = images_dir().join(profile);
    assert!(
        dir.join("manifest.json").is_file(),
        "the {profile} image is not built at {}: run `./test.sh` or \
         `cargo run -p guest-image -- build {profile}` as root first",
        dir.display()
    );
    dir
}
