//! A fast hasher for maps keyed by block numbers: the keys are plain integers chosen by
//! the filesystem, not by an attacker who could aim for collisions, so the default
//! SipHash's cost buys nothing here.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-and-fold hashing of integer keys.
#[derive(Default, Clone, Copy)]
pub struct BlockHasher(u64);

impl Hasher for BlockHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        let x = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = x ^ (x >> 29);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
}

/// A map from block numbers (or any integer key) to `V`.
pub type BlockMap<K, V> = HashMap<K, V, BuildHasherDefault<BlockHasher>>;
