//! Changes a guest makes to the ext2 root reach the overlay file and survive a restart,
//! while the base image stays untouched and the merged result passes `e2fsck -fn`.

use frontend_native::storage::image::merge;
use frontend_native::storage::BaseImage;
use std::process::Command;
use webvm_tests::{guest, profile_dir};

const ENV: &[(&str, &str)] = &[("PATH", "/bin:/sbin:/usr/bin")];

#[test]
fn guest_writes_persist_in_the_overlay() {
    let dir = std::env::temp_dir().join(format!("webvm-kernel-persist-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let image = dir.join("disk.ext2");
    std::fs::copy(profile_dir("tiny").join("disk.ext2"), &image).unwrap();
    let before = std::fs::read(&image).unwrap();

    let dev = BaseImage::open_overlaid(&image, None).unwrap();
    let out = guest::run(
        dev,
        &[
            "/bin/sh",
            "-c",
            "echo kept > /root/note && mkdir /root/d && ln /root/note /root/link",
        ],
        ENV,
    );
    assert_eq!(out.status, 0, "{out:?}");

    let dev = BaseImage::open_overlaid(&image, None).unwrap();
    let out = guest::run(dev, &["/bin/sh", "-c", "cat /root/link; ls /root"], ENV);
    assert_eq!(out.stdout, "kept\nd\nlink\nnote\n", "{out:?}");

    assert!(
        std::fs::read(&image).unwrap() == before,
        "the base image was written"
    );
    let merged = dir.join("merged.ext2");
    merge(&image, None, &merged).unwrap();
    let fsck = Command::new("e2fsck")
        .arg("-fn")
        .arg(&merged)
        .output()
        .unwrap();
    assert!(
        fsck.status.success(),
        "e2fsck: {}",
        String::from_utf8_lossy(&fsck.stdout)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
