//! Helpers shared by the storage tests: scratch folders, e2fsprogs wrappers, a seeded
//! random generator.

#![allow(dead_code)]

use emulator::block::memory::MemoryDevice;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// A scratch folder removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "webvm-storage-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(cmd: &mut Command) -> (i32, String) {
    let out = cmd.output().expect("e2fsprogs must be installed");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// Makes an ext2 image of `size_mb` MiB with `mke2fs -t ext2` defaults plus `extra`.
pub fn mkfs(scratch: &Scratch, size_mb: u64, extra: &[&str]) -> Vec<u8> {
    let img = scratch.path("mkfs.img");
    let f = std::fs::File::create(&img).unwrap();
    f.set_len(size_mb << 20).unwrap();
    drop(f);
    let (code, text) = run(Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext2", "-E", "root_owner=0:0"])
        .args(extra)
        .arg(&img)
        .env("MKE2FS_DEVICE_SECTSIZE", "512")
        .env("E2FSPROGS_FAKE_TIME", "1700000000"));
    assert_eq!(code, 0, "mke2fs failed: {text}");
    let bytes = std::fs::read(&img).unwrap();
    std::fs::remove_file(&img).unwrap();
    bytes
}

pub fn device(bytes: Vec<u8>) -> MemoryDevice {
    MemoryDevice::from_bytes(1024, bytes)
}

/// Runs `e2fsck -fn` on an image file; panics with its report unless clean.
pub fn assert_fsck_clean(image: &Path) {
    let (code, text) = run(Command::new("e2fsck").arg("-fn").arg(image));
    assert_eq!(
        code,
        0,
        "e2fsck -fn {} is not clean:\n{text}",
        image.display()
    );
}

/// Writes `bytes` to `name` in the scratch folder and checks it with e2fsck.
pub fn fsck_bytes(scratch: &Scratch, name: &str, bytes: &[u8]) -> PathBuf {
    let p = scratch.path(name);
    std::fs::write(&p, bytes).unwrap();
    assert_fsck_clean(&p);
    p
}

/// Runs one debugfs request on an image and returns its standard output.
pub fn debugfs(image: &Path, request: &str) -> Vec<u8> {
    let out = Command::new("debugfs")
        .arg("-R")
        .arg(request)
        .arg(image)
        .output()
        .expect("debugfs");
    out.stdout
}

/// xorshift64*: small, seeded, good enough for workloads.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}
