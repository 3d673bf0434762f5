//! `webvm image merge|reset` and the file-backed overlay, end to end: the base is never
//! written, the merged image is clean for `e2fsck -fn` and holds the changes, reset
//! discards them, and an overlay is never applied to another image.

use emulator::block::chunked::split_image;
use emulator::fs::ext2::{Ext2Fs, ROOT_INO};
use frontend_native::storage::image::{hash_file, BaseImage};
use std::path::{Path, PathBuf};
use std::process::Command;

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("webvm-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn mkfs(path: &Path, mb: u64) {
    std::fs::File::create(path)
        .unwrap()
        .set_len(mb << 20)
        .unwrap();
    assert!(Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext2"])
        .arg(path)
        .status()
        .unwrap()
        .success());
}

fn webvm(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_webvm"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn fsck_clean(path: &Path) {
    let out = Command::new("e2fsck")
        .arg("-fn")
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn debugfs_cat(image: &Path, path: &str) -> Vec<u8> {
    Command::new("debugfs")
        .arg("-R")
        .arg(format!("cat {path}"))
        .arg(image)
        .output()
        .unwrap()
        .stdout
}

fn write_file(image: &Path, overlay: Option<&Path>, name: &[u8], data: &[u8]) {
    let dev = BaseImage::open_overlaid(image, overlay).unwrap();
    let mut fs = Ext2Fs::open(dev).unwrap();
    let ino = fs.create(ROOT_INO, name, 0o100644, 0, 0).unwrap();
    fs.write(ino, 0, data).unwrap();
    fs.sync().unwrap();
}

#[test]
fn merge_and_reset_a_plain_image() {
    let d = scratch("plain");
    let img = d.join("disk.img");
    mkfs(&img, 16);
    let id = hash_file(&img).unwrap();
    write_file(&img, None, b"hello", b"persisted through the overlay");
    assert_eq!(
        hash_file(&img).unwrap(),
        id,
        "the base must never be written"
    );
    let overlay = d.join("disk.img.overlay");
    assert!(overlay.exists());

    let merged = d.join("merged.img");
    let (ok, out) = webvm(&[
        "image",
        "merge",
        img.to_str().unwrap(),
        "-o",
        merged.to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    fsck_clean(&merged);
    assert_eq!(
        debugfs_cat(&merged, "/hello"),
        b"persisted through the overlay"
    );
    // Never over an existing file or the inputs.
    let (ok, _) = webvm(&[
        "image",
        "merge",
        img.to_str().unwrap(),
        "-o",
        merged.to_str().unwrap(),
    ]);
    assert!(!ok);
    let (ok, _) = webvm(&[
        "image",
        "merge",
        img.to_str().unwrap(),
        "-o",
        img.to_str().unwrap(),
    ]);
    assert!(!ok);

    // Rewrites of one file grow the log; compaction shrinks it and keeps the content.
    {
        let dev = BaseImage::open_overlaid(&img, None).unwrap();
        let mut fs = Ext2Fs::open(dev).unwrap();
        let ino = fs.lookup(ROOT_INO, b"hello").unwrap();
        for i in 0..30u8 {
            fs.write(ino, 0, &vec![i; 40_000]).unwrap();
            fs.sync().unwrap();
        }
        fs.write(ino, 0, b"persisted through the overlay").unwrap();
        fs.truncate(ino, 29).unwrap();
        fs.sync().unwrap();
    }
    let before = std::fs::metadata(&overlay).unwrap().len();
    let (ok, out) = webvm(&["image", "compact", img.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(
        std::fs::metadata(&overlay).unwrap().len() * 4 < before,
        "{out}"
    );
    let merged2 = d.join("merged2.img");
    let (ok, out) = webvm(&[
        "image",
        "merge",
        img.to_str().unwrap(),
        "-o",
        merged2.to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    fsck_clean(&merged2);
    assert_eq!(
        debugfs_cat(&merged2, "/hello"),
        b"persisted through the overlay"
    );

    // An overlay is bound to its image: a different image refuses it.
    let (ok, out) = webvm(&[
        "image",
        "merge",
        merged.to_str().unwrap(),
        "--overlay",
        overlay.to_str().unwrap(),
        "-o",
        d.join("x.img").to_str().unwrap(),
    ]);
    assert!(!ok && out.contains("belongs to image"), "{out}");

    // Reset refuses a file that is not an overlay, then discards the real one.
    let bogus = d.join("notes.txt");
    std::fs::write(&bogus, b"precious").unwrap();
    let (ok, out) = webvm(&[
        "image",
        "reset",
        img.to_str().unwrap(),
        "--overlay",
        bogus.to_str().unwrap(),
    ]);
    assert!(!ok && out.contains("not a webvm overlay"), "{out}");
    assert!(bogus.exists());
    let (ok, out) = webvm(&["image", "reset", img.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(!overlay.exists());
    let dev = BaseImage::open_overlaid(&img, None).unwrap();
    let mut fs = Ext2Fs::open(dev).unwrap();
    assert!(fs.lookup(ROOT_INO, b"hello").is_err());
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_published_folder_of_chunks_is_a_base_too() {
    let d = scratch("folder");
    let img = d.join("src.img");
    mkfs(&img, 8);
    let bytes = std::fs::read(&img).unwrap();
    let folder = d.join("published");
    std::fs::create_dir_all(folder.join("chunks")).unwrap();
    let (manifest, chunks) = split_image(&bytes, 4096, 256 * 1024);
    for (name, data) in chunks {
        std::fs::write(folder.join(name), data).unwrap();
    }
    std::fs::write(folder.join("manifest.json"), manifest.to_json()).unwrap();
    write_file(&folder, None, b"note", b"kept beside the chunks");
    assert!(folder.join("disk.ext2.overlay").exists());
    let merged = d.join("merged.img");
    let (ok, out) = webvm(&[
        "image",
        "merge",
        folder.to_str().unwrap(),
        "-o",
        merged.to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    fsck_clean(&merged);
    assert_eq!(debugfs_cat(&merged, "/note"), b"kept beside the chunks");
    // A damaged chunk is an I/O error, not wrong data.
    let first = folder.join(&manifest.chunks[0].name);
    let mut c = std::fs::read(&first).unwrap();
    c[1024 + 56] ^= 0xff;
    std::fs::write(&first, c).unwrap();
    std::fs::remove_file(folder.join("disk.ext2.overlay")).unwrap();
    let dev = BaseImage::open_overlaid(&folder, None).unwrap();
    let err = Ext2Fs::open(dev).err().unwrap();
    assert!(err.to_string().contains("corrupt"), "{err}");
    assert_eq!(err.errno(), 5);
    let _ = std::fs::remove_dir_all(&d);
}

/// A 5 GiB image (sparse on the host): blocks past the 4 GiB byte offset are written
/// through the overlay, read back after reopening, merged and checked.
#[test]
fn images_larger_than_4_gib() {
    let d = scratch("large");
    let img = d.join("large.img");
    mkfs(&img, 5 << 10);
    let dev = BaseImage::open_overlaid(&img, None).unwrap();
    let mut fs = Ext2Fs::open(dev).unwrap();
    let mut high = None;
    for i in 0..48u32 {
        let name = format!("dir{i}");
        let dir = fs.mkdir(ROOT_INO, name.as_bytes(), 0o755, 0, 0).unwrap();
        let f = fs.create(dir, b"data", 0o100644, 0, 0).unwrap();
        fs.write(f, 0, format!("payload {i}").repeat(1000).as_bytes())
            .unwrap();
        let first = fs.read_inode(f).unwrap().block[0].get();
        if u64::from(first) * 4096 > 4 << 30 {
            high = Some((name, i));
        }
    }
    fs.sync().unwrap();
    drop(fs);
    let (name, i) = high.expect("some file lives past 4 GiB");
    let dev = BaseImage::open_overlaid(&img, None).unwrap();
    let mut fs = Ext2Fs::open(dev).unwrap();
    let dir = fs.lookup(ROOT_INO, name.as_bytes()).unwrap();
    let f = fs.lookup(dir, b"data").unwrap();
    let mut buf = vec![0u8; 20];
    fs.read(f, 0, &mut buf).unwrap();
    assert!(buf.starts_with(format!("payload {i}").as_bytes()));
    drop(fs);
    let merged = d.join("merged.img");
    let (ok, out) = webvm(&[
        "image",
        "merge",
        img.to_str().unwrap(),
        "-o",
        merged.to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    fsck_clean(&merged);
    let got = debugfs_cat(&merged, &format!("/{name}/data"));
    assert_eq!(got, format!("payload {i}").repeat(1000).into_bytes());
    let _ = std::fs::remove_dir_all(&d);
}
