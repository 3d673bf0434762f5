//! Operand generation for the differential tests: hand-picked edge values and a seeded
//! random generator biased toward interesting exponents and significands near rounding
//! boundaries.

use crate::cpu::x87::F80;

/// Every control word the tests sweep: 3 precisions x 4 rounding modes, all masked.
pub fn control_words() -> Vec<u16> {
    let mut out = Vec::new();
    for pc in [0u16, 2, 3] {
        for rc in 0u16..4 {
            out.push(0x007F | (pc << 8) | (rc << 10));
        }
    }
    out
}

/// Hand-picked edge values.
pub fn edge_values() -> Vec<F80> {
    let f = F80::from_parts;
    let mut v = vec![
        f(false, 0, 0),
        f(true, 0, 0),
        f(false, 0x3FFF, 1 << 63),               // 1
        f(true, 0x3FFF, 1 << 63),                // -1
        f(false, 0x3FFF, 0xC000_0000_0000_0000), // 1.5
        f(false, 0x4000, 0xC000_0000_0000_0000), // 3
        f(false, 0x3FFF, u64::MAX),              // just below 2
        f(false, 0x3FFF, 0x8000_0000_0000_0001), // just above 1
        f(false, 0x3FFF, 0x8000_0080_0000_0000), // half ulp at 24 bits
        f(false, 0x3FFF, 0x8000_0000_0000_0400), // half ulp at 53 bits
        f(false, 0x3FFF, 0x8000_0180_0000_0000),
        f(false, 0x3FFF, 0x8000_0000_0000_0C00),
        f(false, 0x3FFF, 0xFFFF_FF7F_FFFF_FFFF),
        f(false, 0x3FFF, 0xFFFF_FFFF_FFFF_FBFF),
        f(false, 1, 1 << 63), // min normal
        f(true, 1, 1 << 63),
        f(false, 1, u64::MAX),
        f(false, 0x7FFE, u64::MAX), // max normal
        f(true, 0x7FFE, u64::MAX),
        f(false, 0x7FFE, 1 << 63),
        f(false, 0, 1), // min denormal
        f(true, 0, 1),
        f(false, 0, 0x7FFF_FFFF_FFFF_FFFF), // max denormal
        f(false, 0, 0x4000_0000_0000_0000),
        f(false, 0, 1 << 63), // pseudo-denormal
        f(true, 0, 0xC000_0000_0000_0000),
        f(false, 0x3FFF, 0x4000_0000_0000_0000), // unnormal
        f(false, 0x7FFF, 1 << 63),               // +inf
        f(true, 0x7FFF, 1 << 63),                // -inf
        f(false, 0x7FFF, 0),                     // pseudo-infinity
        f(false, 0x7FFF, 0x4000_0000_0000_0001), // pseudo-NaN
        f(false, 0x7FFF, 0xC000_0000_0000_0000), // QNaN
        f(true, 0x7FFF, 0xC000_0000_0000_0000),  // indefinite
        f(false, 0x7FFF, 0xC000_0000_0000_0001),
        f(false, 0x7FFF, 0x8000_0000_0000_0001), // SNaN
        f(true, 0x7FFF, 0xBFFF_FFFF_FFFF_FFFF),
        f(false, 0x3FFF - 64, 1 << 63), // tiny relative to 1
        f(false, 0x3FFF + 64, 1 << 63),
        f(false, 0x3FFF - 16382, 1 << 63),
        f(false, 0x3FFF + 16383, 1 << 63),
        f(false, 0x3C01, 1 << 63),               // double min normal
        f(false, 0x3F81, 1 << 63),               // single min normal
        f(false, 0x43FE, 0xFFFF_FFFF_FFFF_F800), // double max
        f(false, 0x407E, 0xFFFF_FF00_0000_0000), // single max
        f(false, 0x403D, 1 << 63),               // 2^62
        f(false, 0x403E, 1 << 63),               // 2^63
        f(true, 0x403E, 1 << 63),
        f(false, 0x3FFE, 1 << 63),               // 0.5
        f(false, 0x4000, 0xC90F_DAA2_2168_C235), // pi
    ];
    let negated: Vec<F80> = v.iter().map(|x| x.negate()).collect();
    v.extend(negated);
    v.sort_by_key(|x| (x.sign_exp, x.signif));
    v.dedup();
    v
}

/// splitmix64: small, seedable, good enough to spread bits.
pub struct Rng(u64);

impl Rng {
    /// A generator from `WEBVM_FUZZ_SEED` (default fixed) mixed with a per-test salt.
    pub fn from_env(salt: u64) -> Rng {
        let seed = std::env::var("WEBVM_FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0x5EED_0F87);
        Rng(seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// Next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform below `n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A random significand, often with long runs of ones or zeros in the rounding region.
    pub fn significand(&mut self) -> u64 {
        let r = self.next();
        let s = match self.below(6) {
            0 | 1 => r,
            2 => {
                // Runs below a random position: near-halfway and near-exact patterns.
                let pos = self.below(64) as u32;
                let low = if self.below(2) == 0 { 0 } else { u64::MAX };
                let mask = u64::MAX.checked_shl(pos).unwrap_or(0);
                (r & mask) | (low & !mask)
            }
            3 => {
                let pos = [40u32, 11, 0, 39, 10][self.below(5) as usize];
                (r & !(1u64 << pos).wrapping_sub(1)) | (1u64 << pos.saturating_sub(1))
            }
            4 => (1u64 << 63) | (1u64 << self.below(63)),
            _ => r >> self.below(64),
        };
        s | (1 << 63)
    }

    /// A random value biased to interesting exponents; a few are unnormal or pseudo-denormal.
    pub fn value(&mut self) -> F80 {
        let sign = self.below(2) == 1;
        let exp: u16 = match self.below(10) {
            0 => self.below(0x8000) as u16,
            1 => self.below(70) as u16,
            2 => 0x7FFE - self.below(70) as u16,
            3 => 0x7FFF,
            4 => 0,
            5 => (0x3F81 + self.below(10) as u16).wrapping_sub(5),
            6 => (0x3C01 + self.below(10) as u16).wrapping_sub(5),
            _ => 0x3FFF - 80 + self.below(160) as u16,
        };
        let mut signif = self.significand();
        if exp == 0 {
            signif >>= self.below(64);
        }
        if self.below(64) == 0 {
            signif &= !(1 << 63);
        }
        if self.below(64) == 0 && exp != 0 {
            signif = 0;
        }
        F80::from_parts(sign, exp & 0x7FFF, signif)
    }

    /// A value of the same rough magnitude as `other`, to exercise cancellation.
    pub fn value_near(&mut self, other: F80) -> F80 {
        let delta = self.below(130) as i32 - 65;
        let exp = (other.exp() as i32 + delta).clamp(0, 0x7FFE) as u16;
        let signif = if self.below(2) == 0 {
            other.signif ^ (1 << self.below(64)) | (1 << 63)
        } else {
            self.significand()
        };
        F80::from_parts(self.below(2) == 1, exp, signif)
    }
}

/// Number of random cases per operation: `WEBVM_FUZZ_CASES`, default `default`.
pub fn fuzz_cases(default: u64) -> u64 {
    std::env::var("WEBVM_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Distance in units in the last place between two finite values of the same sign.
pub fn ulps(a: F80, b: F80) -> Option<u128> {
    if a.sign() != b.sign() || a.exp() == 0x7FFF || b.exp() == 0x7FFF {
        return if a == b { Some(0) } else { None };
    }
    // Within one sign, the (exponent, significand) pair ordered as an integer is monotonic
    // for normal values; denormals (exponent 0) line up with exponent 1.
    let key = |v: F80| -> i128 { ((v.exp().max(1) as i128 - 1) << 63) + v.signif as i128 };
    Some((key(a) - key(b)).unsigned_abs())
}
