//! Bad input: a seeded mutator damages the superblock, group descriptors, bitmaps,
//! inodes, directory entries and block pointers of a populated image; the driver must
//! return errors, never panic and never hang, whatever it is asked to do next.

mod common;

use common::*;
use emulator::block::memory::MemoryDevice;
use emulator::fs::ext2::{Ext2Fs, FileType, ROOT_INO};
use std::collections::HashSet;
use std::sync::mpsc;
use std::time::Duration;

/// Byte ranges worth damaging in the pristine image.
fn targets(image: &[u8]) -> Vec<(usize, usize)> {
    let mut fs = Ext2Fs::open_read_only(device(image.to_vec())).unwrap();
    let bs = fs.block_size() as usize;
    let mut t = vec![(1024, 1024), (bs, bs)]; // superblock, descriptor table
    let mut stack = vec![ROOT_INO];
    let mut seen = HashSet::new();
    while let Some(ino) = stack.pop() {
        if !seen.insert(ino) {
            continue;
        }
        let inode = fs.read_inode(ino).unwrap();
        // The inode itself: find it through the group descriptor table.
        let sb = fs.superblock().clone();
        let ipg = sb.inodes_per_group.get() as usize;
        let isz = sb.inode_size.get() as usize;
        let group = (ino as usize - 1) / ipg;
        let gd = &image[bs + 32 * group..][..32];
        let table = u32::from_le_bytes([gd[8], gd[9], gd[10], gd[11]]) as usize;
        t.push((table * bs + ((ino as usize - 1) % ipg) * isz, 128));
        // Its direct and indirect blocks.
        for p in inode.block.iter().map(|p| p.get() as usize) {
            if p != 0 && inode.file_type() != Some(FileType::Symlink) && p * bs < image.len() {
                t.push((p * bs, bs));
            }
        }
        if inode.is_dir() {
            for e in fs.readdir(ino).unwrap() {
                if e.name != b"." && e.name != b".." {
                    stack.push(e.ino);
                }
            }
        }
    }
    t
}

fn mutate(image: &mut [u8], targets: &[(usize, usize)], rng: &mut Rng) {
    for _ in 0..1 + rng.below(6) {
        let (start, len) = targets[rng.below(targets.len() as u64) as usize];
        let at = start + rng.below(len as u64) as usize;
        match rng.below(4) {
            0 => image[at] ^= 1 << rng.below(8),
            1 => image[at] = rng.next() as u8,
            2 => image[at] = [0, 0xff][rng.below(2) as usize],
            _ => {
                let v = rng.next() as u32 % [16, 4096, 1 << 20, u32::MAX][rng.below(4) as usize];
                for (i, b) in v.to_le_bytes().iter().enumerate() {
                    if at + i < image.len() {
                        image[at + i] = *b;
                    }
                }
            }
        }
    }
}

/// Everything a user might do: walk and read the whole tree, then change it. Returns
/// whether the damaged image opened at all.
fn exercise(image: Vec<u8>) -> bool {
    let dev = MemoryDevice::from_bytes(1024, image);
    let Ok(mut fs) = Ext2Fs::open(dev) else {
        return false;
    };
    let mut stack = vec![(ROOT_INO, 0)];
    let mut seen = HashSet::new();
    let mut files = Vec::new();
    while let Some((dir, depth)) = stack.pop() {
        if depth > 16 || !seen.insert(dir) {
            continue;
        }
        let Ok(entries) = fs.readdir(dir) else {
            continue;
        };
        for e in entries {
            if e.name == b"." || e.name == b".." {
                continue;
            }
            let _ = fs.lookup(dir, &e.name);
            match fs.stat(e.ino).map(|s| s.file_type) {
                Ok(FileType::Directory) => stack.push((e.ino, depth + 1)),
                Ok(FileType::Symlink) => {
                    let _ = fs.readlink(e.ino);
                }
                Ok(FileType::Regular) => {
                    let mut buf = vec![0u8; 1 << 20];
                    let _ = fs.read(e.ino, 0, &mut buf);
                    let _ = fs.read(e.ino, 5 << 30, &mut buf[..10]);
                    files.push((dir, e.name.clone(), e.ino));
                }
                _ => {}
            }
        }
    }
    let _ = fs.statfs();
    let _ = fs
        .create(ROOT_INO, b"new", 0o100644, 0, 0)
        .map(|ino| fs.write(ino, 0, &[1; 70_000]));
    let _ = fs.mkdir(ROOT_INO, b"newdir", 0o755, 0, 0);
    for (dir, name, ino) in files.iter().take(6) {
        let _ = fs.write(*ino, 3000, b"overwrite");
        let _ = fs.truncate(*ino, 100);
        let _ = fs.rename(*dir, name, ROOT_INO, b"moved");
        let _ = fs.link(*ino, ROOT_INO, b"hard");
        let _ = fs.hold(*ino);
        let _ = fs.unlink(ROOT_INO, b"moved");
        let _ = fs.release(*ino);
    }
    let _ = fs.rename(ROOT_INO, b"a", ROOT_INO, b"newdir");
    let _ = fs.rmdir(ROOT_INO, b"newdir");
    let _ = fs.sync();
    true
}

#[test]
fn a_damaged_image_gives_errors_not_panics_or_hangs() {
    let s = Scratch::new("corrupt");
    let src = s.path("src");
    std::fs::create_dir_all(src.join("a/b")).unwrap();
    std::fs::create_dir_all(src.join("many")).unwrap();
    let mut rng = Rng::new(3);
    std::fs::write(src.join("a/small"), b"small file").unwrap();
    std::fs::write(src.join("a/b/medium"), rng.bytes(60_000)).unwrap();
    std::fs::write(src.join("big"), rng.bytes(5 << 20)).unwrap();
    for i in 0..200 {
        std::fs::write(src.join(format!("many/n{i}")), b"x").unwrap();
    }
    std::os::unix::fs::symlink("a/small", src.join("fast")).unwrap();
    std::os::unix::fs::symlink("x".repeat(200), src.join("slow")).unwrap();
    // 1 KiB blocks: the 5 MiB file uses double-indirect blocks.
    let pristine = mkfs(&s, 16, &["-b", "1024", "-d", src.to_str().unwrap()]);
    let targets = targets(&pristine);
    let cases: u64 = std::env::var("WEBVM_CORRUPT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let mut opened = 0;
    for seed in 0..cases {
        let mut rng = Rng::new(seed);
        let mut image = pristine.clone();
        mutate(&mut image, &targets, &mut rng);
        let (tx, rx) = mpsc::channel();
        let worker = std::thread::spawn(move || {
            let _ = tx.send(exercise(image));
        });
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(o) => {
                opened += u64::from(o);
                worker.join().unwrap()
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                panic!(
                    "seed {seed}: the driver panicked: {:?}",
                    worker.join().err()
                )
            }
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("seed {seed}: the driver hangs"),
        }
    }
    // Most damage is below the superblock: the driver must get past open and meet it.
    assert!(
        opened * 2 > cases,
        "only {opened} of {cases} damaged images opened"
    );
}

#[test]
fn unsupported_features_and_garbage_are_refused_clearly() {
    let s = Scratch::new("features");
    let img = mkfs(&s, 8, &[]);
    // ext4-only features.
    let mut ext4 = img.clone();
    let incompat = 1024 + 96;
    ext4[incompat] |= 0x40; // extents
    let err = Ext2Fs::open(device(ext4)).err().unwrap();
    assert!(
        err.to_string().contains("incompatible features 0x40"),
        "{err}"
    );
    let mut ro = img.clone();
    ro[1024 + 100 + 1] |= 0x04; // metadata_csum (0x400)
    assert!(Ext2Fs::open(device(ro.clone())).is_err());
    assert!(Ext2Fs::open_read_only(device(ro)).is_ok());
    assert!(Ext2Fs::open(device(vec![0u8; 1 << 20])).is_err());
    assert!(Ext2Fs::open(device(img[..4096].to_vec())).is_err());
}
