//! Storage benchmark: sequential and random read/write throughput of the ext2 driver
//! against the raw block device it sits on, in memory and through an overlay.
//!
//! Run: `cargo run --release -p emulator --example storage_bench [MiB]`
//! (needs `mke2fs` from e2fsprogs to make the image).

use emulator::block::cache::CachedDevice;
use emulator::block::memory::MemoryDevice;
use emulator::block::overlay::{MemoryLogStore, OverlayDevice};
use emulator::block::BlockDevice;
use emulator::fs::ext2::{Ext2Fs, ROOT_INO};
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

fn mkfs(mb: u64) -> Vec<u8> {
    let path = std::env::temp_dir().join(format!("webvm-bench-{}.img", std::process::id()));
    std::fs::File::create(&path)
        .unwrap()
        .set_len(mb << 20)
        .unwrap();
    let ok = Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext2", "-b", "4096"])
        .arg(&path)
        .status()
        .expect("mke2fs (e2fsprogs) is needed")
        .success();
    assert!(ok);
    let bytes = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    bytes
}

fn rate(bytes: usize, start: Instant) -> f64 {
    bytes as f64 / (1 << 20) as f64 / start.elapsed().as_secs_f64()
}

/// (seq write, seq read, random 4K write, random 4K read) in MiB/s on the raw device.
fn raw<D: BlockDevice>(dev: &mut D, first_block: u64, size: usize) -> [f64; 4] {
    let bs = dev.block_size() as usize;
    let per_io = IO / bs;
    let mut buf = vec![0x5au8; IO];
    let ios = size / IO;
    let t = Instant::now();
    for i in 0..ios {
        for (j, b) in buf.chunks(bs).enumerate() {
            dev.write_block(first_block + (i * per_io + j) as u64, b)
                .unwrap();
        }
    }
    dev.flush().unwrap();
    let sw = rate(size, t);
    let t = Instant::now();
    for i in 0..ios {
        for (j, b) in buf.chunks_mut(bs).enumerate() {
            dev.read_block(first_block + (i * per_io + j) as u64, b)
                .unwrap();
        }
    }
    let sr = rate(size, t);
    let blocks = (size / bs) as u64;
    let mut rng = Rng(88172645463325252);
    let n = size / SMALL / 4;
    let mut small = vec![1u8; SMALL];
    let t = Instant::now();
    for _ in 0..n {
        let b = rng.below(blocks - (SMALL / bs) as u64);
        for (j, c) in small.chunks(bs).enumerate() {
            dev.write_block(first_block + b + j as u64, c).unwrap();
        }
    }
    dev.flush().unwrap();
    let rw = rate(n * SMALL, t);
    let t = Instant::now();
    for _ in 0..n {
        let b = rng.below(blocks - (SMALL / bs) as u64);
        for (j, c) in small.chunks_mut(bs).enumerate() {
            dev.read_block(first_block + b + j as u64, c).unwrap();
        }
    }
    let rr = rate(n * SMALL, t);
    [sw, sr, rw, rr]
}

/// The same pattern through one ext2 file.
fn driver<D: BlockDevice>(fs: &mut Ext2Fs<D>, size: usize) -> [f64; 4] {
    let ino = fs.create(ROOT_INO, b"bench", 0o100644, 0, 0).unwrap();
    let mut buf = vec![0x5au8; IO];
    let ios = size / IO;
    let t = Instant::now();
    for i in 0..ios {
        fs.write(ino, (i * IO) as u64, &buf).unwrap();
    }
    fs.sync().unwrap();
    let sw = rate(size, t);
    let t = Instant::now();
    for i in 0..ios {
        fs.read(ino, (i * IO) as u64, &mut buf).unwrap();
    }
    let sr = rate(size, t);
    let mut rng = Rng(88172645463325252);
    let n = size / SMALL / 4;
    let mut small = vec![1u8; SMALL];
    let t = Instant::now();
    for _ in 0..n {
        let off = rng.below((size - SMALL) as u64 / SMALL as u64) * SMALL as u64;
        fs.write(ino, off, &small).unwrap();
    }
    fs.sync().unwrap();
    let rw = rate(n * SMALL, t);
    let t = Instant::now();
    for _ in 0..n {
        let off = rng.below((size - SMALL) as u64 / SMALL as u64) * SMALL as u64;
        fs.read(ino, off, &mut small).unwrap();
    }
    let rr = rate(n * SMALL, t);
    fs.unlink(ROOT_INO, b"bench").unwrap();
    [sw, sr, rw, rr]
}

fn row(name: &str, v: [f64; 4], base: Option<[f64; 4]>) {
    print!("{name:<34}");
    for (i, x) in v.iter().enumerate() {
        match base {
            Some(b) => print!(" {x:>9.0} ({:>4.0}%)", 100.0 * x / b[i]),
            None => print!(" {x:>9.0}        "),
        }
    }
    println!();
}

fn main() {
    let mb: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(64);
    let size = mb << 20;
    let image = mkfs((mb as u64) * 2 + 32);
    println!("storage_bench: {mb} MiB per pattern, sequential I/O of {} KiB, random of 4 KiB; MiB/s (driver as % of raw)", IO >> 10);
    println!(
        "{:<34} {:>16} {:>16} {:>16} {:>16}",
        "", "seq write", "seq read", "rand write", "rand read"
    );

    let mut mem = MemoryDevice::from_bytes(4096, image.clone());
    let raw_mem = raw(&mut mem, 1024, size);
    row("raw memory device", raw_mem, None);
    let mut fs = Ext2Fs::open(MemoryDevice::from_bytes(4096, image.clone())).unwrap();
    row(
        "ext2 on memory device",
        driver(&mut fs, size),
        Some(raw_mem),
    );

    let mut ov = OverlayDevice::open(
        MemoryDevice::from_bytes(4096, image.clone()),
        MemoryLogStore::new(),
        "sha256-bench",
    )
    .unwrap();
    let raw_ov = raw(&mut ov, 1024, size);
    row("raw overlay (memory log)", raw_ov, None);
    let ov = OverlayDevice::open(
        MemoryDevice::from_bytes(4096, image.clone()),
        MemoryLogStore::new(),
        "sha256-bench",
    )
    .unwrap();
    let mut fs = Ext2Fs::open(CachedDevice::new(ov, 4096)).unwrap();
    row(
        "ext2 on cache + overlay",
        driver(&mut fs, size),
        Some(raw_ov),
    );
}
