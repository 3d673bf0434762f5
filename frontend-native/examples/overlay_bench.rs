//! Native storage benchmark: the ext2 driver on a base image file plus an overlay log
//! file (the device `webvm` mounts), against that raw device, with real `fdatasync`.
//!
//! Run: `cargo run --release -p frontend-native --example overlay_bench [MiB] [dir]`
//! (needs `mke2fs`; `dir` defaults to the system temp folder).

use emulator::block::cache::CachedDevice;
use emulator::block::BlockDevice;
use emulator::fs::ext2::{Ext2Fs, ROOT_INO};
use frontend_native::storage::image::BaseImage;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const IO: usize = 128 * 1024;
const SMALL: usize = 4096;

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn mibs(bytes: usize, t: Instant) -> f64 {
    bytes as f64 / (1 << 20) as f64 / t.elapsed().as_secs_f64()
}

fn fresh(dir: &Path, mb: usize) -> std::path::PathBuf {
    let img = dir.join("bench.img");
    let _ = std::fs::remove_file(&img);
    let _ = std::fs::remove_file(dir.join("bench.img.overlay"));
    std::fs::File::create(&img)
        .unwrap()
        .set_len((mb as u64 * 2 + 64) << 20)
        .unwrap();
    assert!(Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext2", "-b", "4096"])
        .arg(&img)
        .status()
        .expect("mke2fs")
        .success());
    img
}

fn raw(img: &Path, size: usize) -> [f64; 5] {
    let mut dev = BaseImage::open_overlaid(img, None).unwrap();
    let bs = dev.block_size() as usize;
    let first = 4096u64;
    let blocks = size / bs;
    let mut buf = vec![0x5au8; bs];
    let t = Instant::now();
    for b in 0..blocks {
        dev.write_block(first + b as u64, &buf).unwrap();
    }
    dev.flush().unwrap();
    let sw = mibs(size, t);
    let t = Instant::now();
    for b in 0..blocks {
        dev.read_block(first + b as u64, &mut buf).unwrap();
    }
    let sr = mibs(size, t);
    let mut rng = Rng(88172645463325252);
    let n = blocks / 4;
    let t = Instant::now();
    for _ in 0..n {
        dev.write_block(first + rng.below(blocks as u64), &buf)
            .unwrap();
    }
    dev.flush().unwrap();
    let rw = mibs(n * bs, t);
    let t = Instant::now();
    for _ in 0..n {
        dev.read_block(first + rng.below(blocks as u64), &mut buf)
            .unwrap();
    }
    let rr = mibs(n * bs, t);
    let t = Instant::now();
    for i in 0..100u64 {
        dev.write_block(first + i, &buf).unwrap();
        dev.flush().unwrap();
    }
    let fs_per_s = 100.0 / t.elapsed().as_secs_f64();
    [sw, sr, rw, rr, fs_per_s]
}

fn driver(img: &Path, size: usize, cache_blocks: usize) -> [f64; 5] {
    let dev = BaseImage::open_overlaid(img, None).unwrap();
    let dev: Box<dyn BlockDevice> = if cache_blocks > 0 {
        Box::new(CachedDevice::new(dev, cache_blocks))
    } else {
        Box::new(dev)
    };
    let mut fs = Ext2Fs::open(dev).unwrap();
    let ino = fs.create(ROOT_INO, b"bench", 0o100644, 0, 0).unwrap();
    let mut buf = vec![0x5au8; IO];
    let t = Instant::now();
    for i in 0..size / IO {
        fs.write(ino, (i * IO) as u64, &buf).unwrap();
    }
    fs.sync().unwrap();
    let sw = mibs(size, t);
    let t = Instant::now();
    for i in 0..size / IO {
        fs.read(ino, (i * IO) as u64, &mut buf).unwrap();
    }
    let sr = mibs(size, t);
    let mut rng = Rng(88172645463325252);
    let n = size / SMALL / 4;
    let mut small = vec![1u8; SMALL];
    let slots = (size / SMALL) as u64;
    let t = Instant::now();
    for _ in 0..n {
        fs.write(ino, rng.below(slots) * SMALL as u64, &small)
            .unwrap();
    }
    fs.sync().unwrap();
    let rw = mibs(n * SMALL, t);
    let t = Instant::now();
    for _ in 0..n {
        fs.read(ino, rng.below(slots) * SMALL as u64, &mut small)
            .unwrap();
    }
    let rr = mibs(n * SMALL, t);
    let t = Instant::now();
    for i in 0..100u64 {
        fs.write(ino, i * SMALL as u64, &small).unwrap();
        fs.sync().unwrap();
    }
    let fs_per_s = 100.0 / t.elapsed().as_secs_f64();
    [sw, sr, rw, rr, fs_per_s]
}

fn main() {
    let mb: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(64);
    let dir = std::env::args()
        .nth(2)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let size = mb << 20;
    println!(
        "overlay_bench: {mb} MiB per pattern in {}; MiB/s, and 4 KiB write+fsync per second",
        dir.display()
    );
    println!(
        "{:<32} {:>15} {:>15} {:>15} {:>15} {:>15}",
        "", "seq write", "seq read", "rand write", "rand read", "write+fsync/s"
    );
    let r = raw(&fresh(&dir, mb), size);
    let d = driver(&fresh(&dir, mb), size, 0);
    let c = driver(&fresh(&dir, mb), size, 8192);
    let show = |name: &str, v: [f64; 5], base: Option<[f64; 5]>| {
        print!("{name:<32}");
        for (i, x) in v.iter().enumerate() {
            match base {
                Some(b) => print!(" {x:>8.0} ({:>3.0}%)", 100.0 * x / b[i]),
                None => print!(" {x:>8.0}       "),
            }
        }
        println!();
    };
    show("raw file base + overlay file", r, None);
    show("ext2 on that device", d, Some(r));
    show("ext2 on 32 MiB cache + device", c, Some(r));
    let _ = std::fs::remove_file(dir.join("bench.img"));
    let _ = std::fs::remove_file(dir.join("bench.img.overlay"));
}
