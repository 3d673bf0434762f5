//! Kill-during-write test: a child process runs a seeded workload through the ext2
//! driver on base image + overlay file and prints `ACK <round>` after each `sync`; the
//! parent kills it at a random moment, reopens, and checks that
//! - the pair opens (recovery: torn log tail cut, orphans freed),
//! - the filesystem is exactly the state after round k, with k the last acknowledged
//!   round or the one after it (its commit may have landed before the print),
//! - the merged image is clean for `e2fsck -fn`.
//!
//! Each seed kills the writer twice, the second time after it resumed from the
//! recovered state.

use emulator::block::BlockDevice;
use emulator::fs::ext2::{Ext2Error, Ext2Fs, ROOT_INO};
use frontend_native::storage::image::{merge, BaseImage};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const CHILD_ENV: &str = "WEBVM_CRASH_CHILD";
const DIRS: [&str; 3] = ["d0", "d1", "d2"];

struct Rng(u64);
impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// One step of the workload. Paths are `dir/name`.
#[derive(Debug)]
enum Op {
    Write(String, u64, Vec<u8>),
    Truncate(String, u64),
    Rename(String, String),
    Unlink(String),
    /// Create, write, hold open and unlink: an orphan at crash time.
    Orphan(String),
}

type Model = BTreeMap<String, Vec<u8>>;

fn ops_for_round(seed: u64, round: u64, model: &Model) -> Vec<Op> {
    let mut rng = Rng::new(seed * 100_003 + round);
    let mut ops = Vec::new();
    let total: usize = model.values().map(Vec::len).sum();
    let keys: Vec<&String> = model.keys().collect();
    let pick = |rng: &mut Rng| keys[rng.below(keys.len() as u64) as usize].clone();
    for i in 0..2 {
        if total > 4 << 20 {
            break;
        }
        let dir = DIRS[rng.below(3) as usize];
        let off = if rng.below(4) == 0 {
            rng.below(1 << 20)
        } else {
            0
        };
        let len = rng.below(60_000) as usize;
        ops.push(Op::Write(
            format!("{dir}/f{round}_{i}"),
            off,
            rng.bytes(len),
        ));
    }
    if !keys.is_empty() {
        let p = pick(&mut rng);
        let off = rng.below(model[&p].len() as u64 + 5000);
        let len = rng.below(9000) as usize;
        ops.push(Op::Write(p, off, rng.bytes(len)));
        match rng.below(5) {
            0 => {
                let p = pick(&mut rng);
                let size = rng.below(model[&p].len() as u64 + 1);
                ops.push(Op::Truncate(p, size));
            }
            1 | 2 => {
                let from = pick(&mut rng);
                let to = if rng.below(2) == 0 {
                    pick(&mut rng)
                } else {
                    format!("{}/r{round}", DIRS[rng.below(3) as usize])
                };
                ops.push(Op::Rename(from, to));
            }
            _ => ops.push(Op::Unlink(pick(&mut rng))),
        }
        if total > 3 << 20 {
            ops.push(Op::Unlink(pick(&mut rng)));
        }
    }
    if round % 3 == 0 {
        ops.push(Op::Orphan(format!("d0/tmp{round}")));
    }
    ops
}

fn apply_model(model: &mut Model, op: &Op) {
    match op {
        Op::Write(p, off, data) => {
            let f = model.entry(p.clone()).or_default();
            let end = *off as usize + data.len();
            if f.len() < end {
                f.resize(end, 0);
            }
            f[*off as usize..end].copy_from_slice(data);
        }
        Op::Truncate(p, size) => {
            if let Some(f) = model.get_mut(p) {
                f.resize(*size as usize, 0);
            }
        }
        Op::Rename(from, to) => {
            if from != to {
                if let Some(d) = model.remove(from) {
                    model.insert(to.clone(), d);
                }
            }
        }
        Op::Unlink(p) => {
            model.remove(p);
        }
        Op::Orphan(_) => {}
    }
}

fn model_after(seed: u64, rounds: u64) -> Model {
    let mut model = Model::new();
    for r in 1..=rounds {
        for op in ops_for_round(seed, r, &model) {
            apply_model(&mut model, &op);
        }
    }
    model
}

fn split(path: &str) -> (&str, &str) {
    path.split_once('/').unwrap()
}

fn apply_fs<D: BlockDevice>(fs: &mut Ext2Fs<D>, op: &Op) -> Result<(), Ext2Error> {
    let dir_of = |fs: &mut Ext2Fs<D>, d: &str| fs.lookup(ROOT_INO, d.as_bytes());
    match op {
        Op::Write(p, off, data) => {
            let (d, n) = split(p);
            let dir = dir_of(fs, d)?;
            let ino = match fs.lookup(dir, n.as_bytes()) {
                Ok(i) => i,
                Err(Ext2Error::NotFound) => fs.create(dir, n.as_bytes(), 0o100644, 0, 0)?,
                Err(e) => return Err(e),
            };
            assert_eq!(fs.write(ino, *off, data)?, data.len());
        }
        Op::Truncate(p, size) => {
            let (d, n) = split(p);
            let dir = dir_of(fs, d)?;
            let ino = fs.lookup(dir, n.as_bytes())?;
            fs.truncate(ino, *size)?;
        }
        Op::Rename(from, to) => {
            let (fd, fname) = split(from);
            let (td, tname) = split(to);
            let (fdir, tdir) = (dir_of(fs, fd)?, dir_of(fs, td)?);
            fs.rename(fdir, fname.as_bytes(), tdir, tname.as_bytes())?;
        }
        Op::Unlink(p) => {
            let (d, n) = split(p);
            let dir = dir_of(fs, d)?;
            fs.unlink(dir, n.as_bytes())?;
        }
        Op::Orphan(p) => {
            let (d, n) = split(p);
            let dir = dir_of(fs, d)?;
            let ino = fs.create(dir, n.as_bytes(), 0o100600, 0, 0)?;
            fs.write(ino, 0, &[7u8; 20_000])?;
            fs.hold(ino)?;
            fs.unlink(dir, n.as_bytes())?;
        }
    }
    Ok(())
}

fn read_round<D: BlockDevice>(fs: &mut Ext2Fs<D>) -> u64 {
    let Ok(ino) = fs.lookup(ROOT_INO, b"ROUND") else {
        return 0;
    };
    let mut buf = [0u8; 32];
    let n = fs.read(ino, 0, &mut buf).unwrap();
    std::str::from_utf8(&buf[..n])
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// The writer. Does nothing unless started by the parent test.
#[test]
fn crash_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.split('|');
    let image = PathBuf::from(parts.next().unwrap());
    let overlay = PathBuf::from(parts.next().unwrap());
    let seed: u64 = parts.next().unwrap().parse().unwrap();
    let dev = BaseImage::open_overlaid(&image, Some(&overlay)).unwrap();
    let mut fs = Ext2Fs::open(dev).unwrap();
    if fs.lookup(ROOT_INO, b"d0").is_err() {
        for d in DIRS {
            fs.mkdir(ROOT_INO, d.as_bytes(), 0o755, 0, 0).unwrap();
        }
        fs.sync().unwrap();
    }
    let done = read_round(&mut fs);
    let mut model = model_after(seed, done);
    let mut out = std::io::stdout().lock();
    for round in done + 1.. {
        for op in ops_for_round(seed, round, &model) {
            apply_fs(&mut fs, &op).unwrap_or_else(|e| panic!("{op:?}: {e}"));
            apply_model(&mut model, &op);
        }
        let ino = match fs.lookup(ROOT_INO, b"ROUND") {
            Ok(i) => i,
            Err(_) => fs.create(ROOT_INO, b"ROUND", 0o100644, 0, 0).unwrap(),
        };
        fs.truncate(ino, 0).unwrap();
        fs.write(ino, 0, round.to_string().as_bytes()).unwrap();
        fs.sync().unwrap();
        writeln!(out, "ACK {round}").unwrap();
        out.flush().unwrap();
    }
}

fn verify(image: &Path, overlay: &Path, seed: u64, acked: u64, scratch: &Path) -> u64 {
    let dev = BaseImage::open_overlaid(image, Some(overlay)).expect("image + overlay open");
    let mut fs = Ext2Fs::open(dev).expect("filesystem opens after the crash");
    let k = read_round(&mut fs);
    assert!(
        k == acked || k == acked + 1,
        "seed {seed}: recovered round {k}, last acknowledged {acked}"
    );
    let model = model_after(seed, k);
    for dir in DIRS {
        let dino = fs.lookup(ROOT_INO, dir.as_bytes()).unwrap();
        let mut names: Vec<String> = fs
            .readdir(dino)
            .unwrap()
            .into_iter()
            .map(|e| String::from_utf8(e.name).unwrap())
            .filter(|n| n != "." && n != "..")
            .map(|n| format!("{dir}/{n}"))
            .collect();
        names.sort();
        let expected: Vec<String> = model
            .keys()
            .filter(|p| p.starts_with(&format!("{dir}/")))
            .cloned()
            .collect();
        assert_eq!(names, expected, "seed {seed} round {k}: names in {dir}");
    }
    for (path, data) in &model {
        let (d, n) = split(path);
        let dino = fs.lookup(ROOT_INO, d.as_bytes()).unwrap();
        let ino = fs.lookup(dino, n.as_bytes()).unwrap();
        let mut buf = vec![0u8; data.len() + 1];
        let got = fs.read(ino, 0, &mut buf).unwrap();
        assert_eq!(&buf[..got], &data[..], "seed {seed} round {k}: {path}");
    }
    drop(fs);
    let merged = scratch.join("merged.img");
    let _ = std::fs::remove_file(&merged);
    merge(image, Some(overlay), &merged).unwrap();
    let out = Command::new("e2fsck")
        .arg("-fn")
        .arg(&merged)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "seed {seed} round {k}: e2fsck -fn not clean:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    k
}

/// Starts a writer, kills it after `delay`, returns the last acknowledged round.
fn run_and_kill(image: &Path, overlay: &Path, seed: u64, delay: Duration) -> Option<u64> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(
            CHILD_ENV,
            format!("{}|{}|{seed}", image.display(), overlay.display()),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut last = None;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(n) = line.strip_prefix("ACK ") {
                last = n.trim().parse::<u64>().ok();
            }
        }
        last
    });
    std::thread::sleep(delay);
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap()
}

#[test]
fn killed_writers_leave_a_clean_image_and_every_acknowledged_write() {
    let seeds: u64 = std::env::var("WEBVM_CRASH_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    let scratch = std::env::temp_dir().join(format!("webvm-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let image = scratch.join("base.img");
    std::fs::File::create(&image)
        .unwrap()
        .set_len(16 << 20)
        .unwrap();
    let st = Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext2"])
        .arg(&image)
        .status()
        .expect("mke2fs");
    assert!(st.success());
    let mut rng = Rng::new(99);
    let mut total_rounds = 0;
    for seed in 1..=seeds {
        let overlay = scratch.join(format!("seed{seed}.overlay"));
        let mut acked = 0;
        for _cycle in 0..2 {
            let delay = Duration::from_millis(150 + rng.below(500));
            if let Some(a) = run_and_kill(&image, &overlay, seed, delay) {
                acked = a;
            }
            acked = verify(&image, &overlay, seed, acked, &scratch);
        }
        total_rounds += acked;
        let _ = std::fs::remove_file(&overlay);
    }
    eprintln!("{seeds} seeds, {total_rounds} committed rounds checked");
    assert!(
        total_rounds > 0,
        "the writer never got to commit: delays too short?"
    );
    let _ = std::fs::remove_dir_all(&scratch);
}
