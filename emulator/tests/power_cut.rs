//! Power-cut test: the ext2 driver writes through an overlay whose log store "loses
//! power" inside the N-th sync, keeping any prefix of the bytes written since the last
//! completed sync, possibly with a torn last byte. Reopening must always work, give a
//! filesystem `e2fsck -fn` calls clean (after `Ext2Fs::open`'s orphan recovery), and
//! hold every round whose sync returned.

mod common;

use common::*;
use emulator::block::memory::MemoryDevice;
use emulator::block::overlay::{LogStore, MemoryLogStore, OverlayDevice};
use emulator::block::{BlockDevice, BlockError};
use emulator::fs::ext2::{Ext2Fs, ROOT_INO};
use std::cell::RefCell;
use std::rc::Rc;

/// A store that fails its `fail_at`-th sync, recording what a disk could hold then.
struct CuttingStore {
    inner: MemoryLogStore,
    syncs: u64,
    fail_at: u64,
    keep: usize,
    tear: bool,
    snapshot: Rc<RefCell<Option<MemoryLogStore>>>,
}

impl LogStore for CuttingStore {
    fn size(&mut self) -> Result<u64, BlockError> {
        self.inner.size()
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        self.inner.read_at(offset, buf)
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<(), BlockError> {
        if self.snapshot.borrow().is_some() {
            return Err(BlockError::Storage("power is off".into()));
        }
        self.inner.write_at(offset, data)
    }
    fn set_len(&mut self, len: u64) -> Result<(), BlockError> {
        if self.snapshot.borrow().is_some() {
            return Err(BlockError::Storage("power is off".into()));
        }
        self.inner.set_len(len)
    }
    fn sync(&mut self) -> Result<(), BlockError> {
        self.syncs += 1;
        if self.syncs == self.fail_at {
            let keep = self.keep % (self.inner.unsynced() + 1);
            *self.snapshot.borrow_mut() = Some(self.inner.crash(keep, self.tear));
        }
        if self.snapshot.borrow().is_some() {
            return Err(BlockError::Storage("power is off".into()));
        }
        self.inner.sync()
    }
}

fn content(round: u64, len: usize) -> Vec<u8> {
    let mut rng = Rng::new(round);
    rng.bytes(len)
}

fn len_of(round: u64) -> usize {
    (round as usize * 7919) % 90_000
}

/// One round: a new file, an overwrite of an older one, a rename, an unlink, a held
/// orphan. Returns Err when the store lost power.
fn round<D: BlockDevice>(fs: &mut Ext2Fs<D>, r: u64) -> Result<(), String> {
    let e = |e: emulator::fs::ext2::Ext2Error| e.to_string();
    let name = format!("r{r}");
    let ino = fs
        .create(ROOT_INO, name.as_bytes(), 0o100644, 0, 0)
        .map_err(e)?;
    fs.write(ino, 0, &content(r, len_of(r))).map_err(e)?;
    if r >= 4 {
        // Round r-3's file is renamed to "old<r-3>" and then removed in round r+3.
        fs.rename(
            ROOT_INO,
            format!("r{}", r - 3).as_bytes(),
            ROOT_INO,
            format!("old{}", r - 3).as_bytes(),
        )
        .map_err(e)?;
    }
    if r >= 7 {
        fs.unlink(ROOT_INO, format!("old{}", r - 6).as_bytes())
            .map_err(e)?;
    }
    let t = fs.create(ROOT_INO, b"tmp", 0o100600, 0, 0).map_err(e)?;
    fs.write(t, 0, &[9u8; 10_000]).map_err(e)?;
    fs.hold(t).map_err(e)?;
    fs.unlink(ROOT_INO, b"tmp").map_err(e)?;
    fs.sync().map_err(e)
}

fn check(s: &Scratch, base: &[u8], store: MemoryLogStore, acked: u64) {
    let dev = OverlayDevice::open(
        MemoryDevice::from_bytes(4096, base.to_vec()),
        store,
        "sha256-x",
    )
    .expect("the overlay opens after a power cut");
    let mut fs = Ext2Fs::open(dev).expect("the filesystem opens after a power cut");
    // Rounds up to `acked` are all there (round acked+1 may be too).
    for r in 1..=acked {
        let name = if r + 6 <= acked {
            continue;
        } else if r + 3 <= acked {
            format!("old{r}")
        } else {
            format!("r{r}")
        };
        let ino = fs
            .lookup(ROOT_INO, name.as_bytes())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut buf = vec![0u8; len_of(r)];
        assert_eq!(fs.read(ino, 0, &mut buf).unwrap(), buf.len());
        assert_eq!(buf, content(r, len_of(r)), "{name}");
    }
    // Nothing past the round whose sync was cut.
    let future = format!("r{}", acked + 2);
    assert!(fs.lookup(ROOT_INO, future.as_bytes()).is_err());
    fs.sync().unwrap();
    let (base_dev, store) = fs.into_device().into_parts();
    let mut dev = OverlayDevice::open(base_dev, store, "sha256-x").unwrap();
    let mut merged = vec![0u8; dev.size_bytes() as usize];
    for (b, chunk) in merged.chunks_mut(4096).enumerate() {
        dev.read_block(b as u64, chunk).unwrap();
    }
    fsck_bytes(s, "cut.img", &merged);
}

#[test]
fn a_power_cut_inside_any_sync_keeps_every_acknowledged_round() {
    let s = Scratch::new("powercut");
    let base = mkfs(&s, 16, &["-b", "4096"]);
    let mut rng = Rng::new(5);
    let cases: u64 = std::env::var("WEBVM_POWERCUT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    for case in 0..cases {
        let snapshot = Rc::new(RefCell::new(None));
        let store = CuttingStore {
            inner: MemoryLogStore::new(),
            syncs: 0,
            // Sync 1 is the log header; round r's is sync r + 1.
            fail_at: 2 + rng.below(14),
            keep: rng.below(1 << 20) as usize,
            tear: rng.below(2) == 0,
            snapshot: snapshot.clone(),
        };
        let dev = OverlayDevice::open(
            MemoryDevice::from_bytes(4096, base.clone()),
            store,
            "sha256-x",
        )
        .unwrap();
        let mut fs = Ext2Fs::open(dev).unwrap();
        let mut acked = 0;
        for r in 1..=20 {
            match round(&mut fs, r) {
                Ok(()) => acked = r,
                Err(e) => {
                    assert!(
                        snapshot.borrow().is_some(),
                        "round {r} failed before the cut: {e}"
                    );
                    break;
                }
            }
        }
        let cut = snapshot.borrow_mut().take().expect("the power was cut");
        check(&s, &base, cut, acked);
        eprintln!("case {case}: cut after round {acked}");
    }
}
