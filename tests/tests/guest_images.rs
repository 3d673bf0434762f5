//! The published guest images: every profile's manifest describes its chunks and its
//! disk image exactly, the filesystem passes `e2fsck -fn`, and the root tree holds what
//! the profile promises.

use emulator::block::manifest::Manifest;
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::Read;
use std::path::Path;
use std::process::Command;
use webvm_tests::profile_dir;

fn check_manifest_matches_chunks_and_disk(folder: &Path) {
    let text = fs::read_to_string(folder.join("manifest.json")).expect("read manifest");
    let manifest = Manifest::from_json(&text).expect("manifest is valid");
    let mut disk = File::open(folder.join("disk.ext2")).expect("open disk.ext2");
    let disk_len = disk.metadata().unwrap().len();
    assert_eq!(manifest.size, disk_len, "manifest size vs disk.ext2 length");

    let mut whole = Sha256::new();
    let mut from_disk = vec![0u8; manifest.chunk_size as usize];
    for (index, chunk) in manifest.chunks.iter().enumerate() {
        let bytes = fs::read(folder.join(&chunk.name)).expect("read chunk");
        assert_eq!(
            bytes.len() as u64,
            u64::from(chunk.size),
            "chunk {index} length"
        );
        assert_eq!(
            hex::encode(Sha256::digest(&bytes)),
            chunk.sha256,
            "chunk {index} hash"
        );
        let disk_part = &mut from_disk[..bytes.len()];
        disk.read_exact(disk_part).expect("read disk.ext2");
        assert!(
            disk_part == bytes.as_slice(),
            "chunk {index} differs from disk.ext2"
        );
        whole.update(&bytes);
    }
    let mut rest = Vec::new();
    disk.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "disk.ext2 is longer than its chunks");
    assert_eq!(
        format!("sha256-{}", hex::encode(whole.finalize())),
        manifest.image_id
    );

    // Every file in chunks/ is named by the manifest (no stale chunks are published).
    for entry in fs::read_dir(folder.join("chunks")).unwrap() {
        let name = format!("chunks/{}", entry.unwrap().file_name().to_string_lossy());
        assert!(
            manifest.chunks.iter().any(|c| c.name == name),
            "stale chunk {name}"
        );
    }
}

fn check_e2fsck_clean(folder: &Path) {
    let output = Command::new("e2fsck")
        .arg("-fn")
        .arg(folder.join("disk.ext2"))
        .output()
        .expect("run e2fsck (package e2fsprogs)");
    assert!(
        output.status.success(),
        "e2fsck -fn failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn tiny_manifest_describes_chunks_and_disk_exactly() {
    check_manifest_matches_chunks_and_disk(&profile_dir("tiny"));
}

#[test]
fn default_manifest_describes_chunks_and_disk_exactly() {
    check_manifest_matches_chunks_and_disk(&profile_dir("default"));
}

#[test]
fn tiny_image_passes_e2fsck() {
    check_e2fsck_clean(&profile_dir("tiny"));
}

#[test]
fn default_image_passes_e2fsck() {
    check_e2fsck_clean(&profile_dir("default"));
}

#[test]
fn tiny_root_has_busybox_and_the_user() {
    let root = profile_dir("tiny").join("root");
    assert!(root.join("bin/busybox").is_file());
    assert!(
        root.join("bin/sh").symlink_metadata().is_ok(),
        "busybox applet links"
    );
    let passwd = fs::read_to_string(root.join("etc/passwd")).unwrap();
    assert!(passwd.lines().any(|l| l.starts_with("user:x:1000:1000:")));
}

#[test]
fn default_root_has_the_classic_demo() {
    let root = profile_dir("default").join("root");
    for program in [
        "usr/bin/bash",
        "usr/bin/python3",
        "usr/bin/gcc",
        "usr/bin/objdump",
        "usr/bin/vim.basic",
        "usr/bin/less",
        "usr/bin/file",
    ] {
        assert!(
            root.join(program).exists(),
            "{program} missing from the default image"
        );
    }
    let examples = root.join("home/user/examples");
    for example in [
        "c/helloworld.c",
        "python3/fibonacci.py",
        "cpp/helloworld.cpp",
        "shell/sysinfo.sh",
    ] {
        assert!(
            examples.join(example).is_file(),
            "examples/{example} missing"
        );
    }
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(examples.join("c/helloworld.c")).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid()),
        (1000, 1000),
        "examples belong to the user"
    );
}

/// The root tree is the native reference for later differential tests: the classic demo
/// must work in a plain chroot of it.
#[test]
fn default_root_runs_the_classic_demo_natively() {
    let root = profile_dir("default").join("root");
    let script = "cd /home/user && python3 examples/python3/fibonacci.py 10 | tail -1 \
                  && gcc -o /tmp/hello examples/c/helloworld.c && /tmp/hello && rm /tmp/hello";
    let output = Command::new("chroot")
        .arg(&root)
        .args(["/bin/sh", "-c", script])
        .output()
        .expect("run chroot (needs root)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "fib(9) = 34\nHello, World!\n"
    );
}
