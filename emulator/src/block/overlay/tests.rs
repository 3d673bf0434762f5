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
