//! Overlay tests: reads through, persistence, binding and crash recovery.

use super::*;
use crate::block::memory::MemoryDevice;

const ID: &str = "sha256-aaaa";

fn base() -> MemoryDevice {
    let data: Vec<u8> = (0..64 * 512u32).map(|i| (i % 253) as u8).collect();
    MemoryDevice::from_bytes(512, data)
}

fn block(v: u8) -> Vec<u8> {
    vec![v; 512]
}

#[test]
fn reads_base_until_written_and_persists_flushed_writes() {
    let mut dev = OverlayDevice::open(base(), MemoryLogStore::new(), ID).unwrap();
    let mut buf = block(0);
    dev.read_block(3, &mut buf).unwrap();
    assert_eq!(buf, base().as_bytes()[3 * 512..4 * 512]);
    dev.write_block(3, &block(9)).unwrap();
    dev.read_block(3, &mut buf).unwrap();
    assert_eq!(buf, block(9));
    dev.flush().unwrap();
    dev.write_block(3, &block(10)).unwrap();
    dev.write_block(4, &block(11)).unwrap();
    dev.flush().unwrap();
    dev.write_block(5, &block(12)).unwrap(); // never flushed
    let (_, store) = dev.into_parts();
    let mut dev = OverlayDevice::open(base(), store, ID).unwrap();
    assert_eq!(dev.recovery().transactions, 2);
    dev.read_block(3, &mut buf).unwrap();
    assert_eq!(buf, block(10));
    dev.read_block(4, &mut buf).unwrap();
    assert_eq!(buf, block(11));
    dev.read_block(5, &mut buf).unwrap();
    assert_eq!(buf, base().as_bytes()[5 * 512..6 * 512]);
    assert_eq!(dev.written_blocks(), vec![3, 4]);
}

#[test]
fn refuses_a_log_of_another_image_or_a_damaged_header() {
    let mut dev = OverlayDevice::open(base(), MemoryLogStore::new(), ID).unwrap();
    dev.write_block(1, &block(1)).unwrap();
    dev.flush().unwrap();
    let (_, store) = dev.into_parts();
    let err = OverlayDevice::open(base(), store.clone(), "sha256-bbbb")
        .err()
        .unwrap();
    assert!(err.to_string().contains("belongs to image"));
    let mut bad = store.clone();
    bad.write_at(20, &[0xff]).unwrap();
    assert!(OverlayDevice::open(base(), bad, ID).is_err());
    let small = MemoryDevice::new(512, 8);
    assert!(OverlayDevice::open(small, store, ID).is_err());
}

#[test]
fn a_crash_keeps_whole_transactions_only() {
    // Build a log of several transactions, crash while appending the next one at every
    // possible length, with and without a torn last byte.
    let mut dev = OverlayDevice::open(base(), MemoryLogStore::new(), ID).unwrap();
    for t in 0..3u8 {
        for b in 0..4u64 {
            dev.write_block(b + u64::from(t), &block(t * 10 + b as u8))
                .unwrap();
        }
        dev.flush().unwrap();
    }
    let committed = {
        let mut v = Vec::new();
        for b in 0..8u64 {
            let mut buf = block(0);
            dev.read_block(b, &mut buf).unwrap();
            v.push(buf);
        }
        v
    };
    // An unsynced transaction: written to the store but not synced.
    for b in 0..3u64 {
        dev.write_block(b, &block(200 + b as u8)).unwrap();
    }
    let bs = 512usize;
    let tx_len = 3 * (bs + RECORD_LEN as usize) + RECORD_LEN as usize;
    let mut store = dev.store_mut().clone();
    let end = store.size().unwrap();
    let mut tx = Vec::new();
    for (i, b) in (0..3u64).enumerate() {
        let _ = i;
        format::encode_block(&mut tx, 4, b, &block(200 + b as u8));
    }
    format::encode_commit(&mut tx, 4, 3);
    assert_eq!(tx.len(), tx_len);
    store.write_at(end, &tx).unwrap();
    for keep in 0..=tx_len {
        for tear in [false, true] {
            let crashed = store.crash(keep, tear);
            let mut dev = OverlayDevice::open(base(), crashed, ID).unwrap();
            let complete = keep == tx_len && !tear;
            let mut buf = block(0);
            for b in 0..8u64 {
                dev.read_block(b, &mut buf).unwrap();
                if complete && b < 3 {
                    assert_eq!(buf, block(200 + b as u8));
                } else {
                    assert_eq!(
                        buf, committed[b as usize],
                        "keep {keep} tear {tear} block {b}"
                    );
                }
            }
            // The recovered log accepts new transactions.
            dev.write_block(7, &block(77)).unwrap();
            dev.flush().unwrap();
            let (_, s) = dev.into_parts();
            let mut dev = OverlayDevice::open(base(), s, ID).unwrap();
            dev.read_block(7, &mut buf).unwrap();
            assert_eq!(buf, block(77));
        }
    }
}

#[test]
fn a_transaction_larger_than_one_write_piece_round_trips() {
    let base = MemoryDevice::new(4096, 1000);
    let mut dev = OverlayDevice::open(base.clone(), MemoryLogStore::new(), ID).unwrap();
    for b in 0..700u64 {
        dev.write_block(b, &vec![(b % 251) as u8; 4096]).unwrap();
    }
    dev.flush().unwrap();
    let (_, store) = dev.into_parts();
    // Any cut inside that transaction loses all of it, never part.
    let mut partial = store.clone();
    let len = partial.size().unwrap();
    partial.set_len(len - 10).unwrap();
    partial.sync().unwrap();
    let mut dev = OverlayDevice::open(base.clone(), partial, ID).unwrap();
    assert_eq!(dev.recovery().discarded_bytes, len - 10 - 128);
    assert!(dev.written_blocks().is_empty());
    dev = OverlayDevice::open(base, store, ID).unwrap();
    let mut buf = vec![0u8; 4096];
    for b in (0..700u64).step_by(37) {
        dev.read_block(b, &mut buf).unwrap();
        assert_eq!(buf, vec![(b % 251) as u8; 4096]);
    }
}

#[test]
fn a_damaged_log_never_panics_and_keeps_a_prefix_of_transactions() {
    let mut dev = OverlayDevice::open(base(), MemoryLogStore::new(), ID).unwrap();
    for t in 0..6u8 {
        dev.write_block(u64::from(t), &block(t + 1)).unwrap();
        dev.write_block(40, &block(t + 100)).unwrap();
        dev.flush().unwrap();
    }
    let (_, store) = dev.into_parts();
    let clean = store.bytes().to_vec();
    let mut seed = 0x1234_5678_9abc_def1u64;
    for _ in 0..2000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut bytes = clean.clone();
        let at = (seed as usize >> 8) % bytes.len();
        bytes[at] ^= (seed as u8) | 1;
        let mut s = MemoryLogStore::new();
        s.write_at(0, &bytes).unwrap();
        s.sync().unwrap();
        match OverlayDevice::open(base(), s, ID) {
            Err(_) => assert!(at < 128, "only a damaged header refuses the log"),
            Ok(mut dev) => {
                // Transactions before the damaged one are intact, later ones are gone.
                let kept = dev.recovery().transactions;
                assert!(kept < 6);
                let mut buf = block(0);
                dev.read_block(40, &mut buf).unwrap();
                let expected = if kept == 0 {
                    base().as_bytes()[40 * 512..41 * 512].to_vec()
                } else {
                    block(kept as u8 - 1 + 100)
                };
                assert_eq!(buf, expected);
            }
        }
    }
}

#[test]
fn compaction_keeps_the_latest_blocks_only() {
    let mut dev = OverlayDevice::open(base(), MemoryLogStore::new(), ID).unwrap();
    for round in 0..20u8 {
        for b in 0..5u64 {
            dev.write_block(b, &block(round + b as u8)).unwrap();
        }
        dev.flush().unwrap();
    }
    dev.write_block(9, &block(99)).unwrap(); // pending: flushed by compaction
    let before = dev.log_len();
    let dev = dev.compact_into(MemoryLogStore::new()).unwrap();
    assert!(dev.log_len() < before / 10, "{} vs {before}", dev.log_len());
    let (_, store) = dev.into_parts();
    let mut dev = OverlayDevice::open(base(), store, ID).unwrap();
    assert_eq!(dev.recovery().transactions, 1);
    let mut buf = block(0);
    for b in 0..5u64 {
        dev.read_block(b, &mut buf).unwrap();
        assert_eq!(buf, block(19 + b as u8));
    }
    dev.read_block(9, &mut buf).unwrap();
    assert_eq!(buf, block(99));
    // New commits go on after the compacted one.
    dev.write_block(1, &block(7)).unwrap();
    dev.flush().unwrap();
    let (_, store) = dev.into_parts();
    let mut dev = OverlayDevice::open(base(), store, ID).unwrap();
    dev.read_block(1, &mut buf).unwrap();
    assert_eq!(buf, block(7));
    // An empty overlay compacts to a bare header.
    let dev = OverlayDevice::open(base(), MemoryLogStore::new(), ID).unwrap();
    let dev = dev.compact_into(MemoryLogStore::new()).unwrap();
    assert_eq!(dev.log_len(), 128);
}

#[test]
fn a_header_torn_at_creation_starts_over_but_foreign_files_are_refused() {
    let fresh = OverlayDevice::open(base(), MemoryLogStore::new(), ID).unwrap();
    let (_, store) = fresh.into_parts();
    let header = store.bytes().to_vec();
    for cut in [0usize, 1, 50, 127] {
        let mut torn = MemoryLogStore::new();
        torn.write_at(0, &header[..cut]).unwrap();
        torn.sync().unwrap();
        let mut dev = OverlayDevice::open(base(), torn, ID).unwrap();
        dev.write_block(2, &block(2)).unwrap();
        dev.flush().unwrap();
    }
    let mut zeros = MemoryLogStore::new();
    zeros.write_at(0, &[0u8; 100]).unwrap();
    assert!(OverlayDevice::open(base(), zeros, ID).is_ok());
    let mut foreign = MemoryLogStore::new();
    foreign.write_at(0, b"my notes").unwrap();
    let err = OverlayDevice::open(base(), foreign.clone(), ID)
        .err()
        .unwrap();
    assert!(err.to_string().contains("shorter than its header"), "{err}");
    assert_eq!(foreign.bytes(), b"my notes");
}
