//! `webvm image verify` accepts a published image and reports, without panicking, every
//! way one can be damaged: a truncated or altered chunk, a missing chunk, a bad manifest.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tiny_image() -> PathBuf {
    let dir = match std::env::var_os("WEBVM_IMAGES") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../images"),
    }
    .join("tiny");
    assert!(
        dir.join("manifest.json").is_file(),
        "the tiny image is not built at {}: run ./test.sh first",
        dir.display()
    );
    dir
}

/// A private copy of the tiny image's manifest and chunks (not disk.ext2) to damage.
fn copy_published(from: &Path, name: &str) -> PathBuf {
    let to = std::env::temp_dir().join(format!("webvm-verify-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&to);
    fs::create_dir_all(to.join("chunks")).unwrap();
    fs::copy(from.join("manifest.json"), to.join("manifest.json")).unwrap();
    for entry in fs::read_dir(from.join("chunks")).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join("chunks").join(entry.file_name())).unwrap();
    }
    to
}

fn verify(folder: &Path) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_webvm"))
        .args(["image", "verify"])
        .arg(folder)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(101), "webvm panicked: {text}");
    (output.status.success(), text)
}

fn largest_chunk(folder: &Path) -> PathBuf {
    fs::read_dir(folder.join("chunks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .max_by_key(|p| fs::metadata(p).unwrap().len())
        .unwrap()
}

#[test]
fn accepts_the_published_tiny_image() {
    let (ok, text) = verify(&tiny_image());
    assert!(ok, "{text}");
}

#[test]
fn reports_an_altered_chunk() {
    let folder = copy_published(&tiny_image(), "altered");
    let chunk = largest_chunk(&folder);
    let mut bytes = fs::read(&chunk).unwrap();
    bytes[100] ^= 0x40;
    fs::write(&chunk, bytes).unwrap();
    let (ok, text) = verify(&folder);
    assert!(!ok && text.contains("hashes to"), "{text}");
    fs::remove_dir_all(folder).unwrap();
}

#[test]
fn reports_a_truncated_chunk() {
    let folder = copy_published(&tiny_image(), "truncated");
    let chunk = largest_chunk(&folder);
    let bytes = fs::read(&chunk).unwrap();
    fs::write(&chunk, &bytes[..bytes.len() / 2]).unwrap();
    let (ok, text) = verify(&folder);
    assert!(!ok && text.contains("bytes, manifest says"), "{text}");
    fs::remove_dir_all(folder).unwrap();
}

#[test]
fn reports_a_missing_chunk_and_a_bad_manifest() {
    let folder = copy_published(&tiny_image(), "missing");
    fs::remove_file(largest_chunk(&folder)).unwrap();
    let (ok, text) = verify(&folder);
    assert!(!ok && text.contains("cannot read"), "{text}");

    fs::write(folder.join("manifest.json"), "{\"format\": 1}").unwrap();
    let (ok, text) = verify(&folder);
    assert!(!ok && text.contains("not valid JSON"), "{text}");

    let text_manifest = fs::read_to_string(tiny_image().join("manifest.json")).unwrap();
    fs::write(
        folder.join("manifest.json"),
        text_manifest.replace("\"format\": 1", "\"format\": 9"),
    )
    .unwrap();
    let (ok, text) = verify(&folder);
    assert!(
        !ok && text.contains("unsupported manifest format 9"),
        "{text}"
    );
    fs::remove_dir_all(folder).unwrap();
}
