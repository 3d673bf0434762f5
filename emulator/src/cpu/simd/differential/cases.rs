//! Operand generation and mismatch reporting for the differential tests.

use std::fmt::Write as _;

/// splitmix64: small, seedable, good enough to spread test cases.
pub struct Rng(u64);

impl Rng {
    pub fn from_env(salt: &str) -> Rng {
        let seed = std::env::var("WEBVM_FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0x5EED_0FC0_FFEE);
        let mut h = seed;
        for b in salt.bytes() {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01B3);
        }
        Rng(h)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn u128(&mut self) -> u128 {
        self.next() as u128 | (self.next() as u128) << 64
    }
}

pub fn fuzz_cases() -> u64 {
    std::env::var("WEBVM_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50_000)
}

/// A float format's shape for generating values.
#[derive(Clone, Copy)]
pub struct Shape {
    pub frac_bits: u32,
    pub exp_bits: u32,
}
pub const F32: Shape = Shape {
    frac_bits: 23,
    exp_bits: 8,
};
pub const F64: Shape = Shape {
    frac_bits: 52,
    exp_bits: 11,
};

impl Shape {
    fn bias(self) -> u64 {
        (1 << (self.exp_bits - 1)) - 1
    }
    fn exp_max(self) -> u64 {
        (1 << self.exp_bits) - 1
    }
    pub fn pack(self, sign: bool, exp: u64, frac: u64) -> u64 {
        ((sign as u64) << (self.frac_bits + self.exp_bits))
            | (exp & self.exp_max()) << self.frac_bits
            | (frac & ((1 << self.frac_bits) - 1))
    }

    /// Edge values: zeros, denormals, normal limits, infinities, NaNs with payloads,
    /// halfway rounding points and integer-conversion boundaries, both signs.
    pub fn edges(self) -> Vec<u64> {
        let f = self.frac_bits;
        let b = self.bias();
        let all = (1u64 << f) - 1;
        let mut mags = vec![
            self.pack(false, 0, 0),
            self.pack(false, 0, 1),
            self.pack(false, 0, all),
            self.pack(false, 0, 1 << (f - 1)),
            self.pack(false, 1, 0),
            self.pack(false, 1, 1),
            self.pack(false, 2, 0),
            self.pack(false, self.exp_max() - 1, all),
            self.pack(false, self.exp_max() - 1, 0),
            self.pack(false, self.exp_max(), 0),
            self.pack(false, self.exp_max(), 1 << (f - 1)),
            self.pack(false, self.exp_max(), (1 << (f - 1)) | 0x1234),
            self.pack(false, self.exp_max(), 1),
            self.pack(false, self.exp_max(), 1 << (f - 2)),
            self.pack(false, b, 0),
            self.pack(false, b, 1),
            self.pack(false, b, all),
            self.pack(false, b - 1, 0),
            self.pack(false, b + 1, 1 << (f - 2)),
            self.pack(false, b + 1, 3 << (f - 2)),
            self.pack(false, b + 31, 0),
            self.pack(false, b + 30, all),
            self.pack(false, b + 31, 1),
            self.pack(false, b + 30, all & !0xFF),
            self.pack(false, b + 32, 0),
            self.pack(false, b - 2, 0),
            self.pack(false, b + f as u64, 1),
            self.pack(false, b + f as u64 + 1, 1),
            self.pack(false, b / 2, 0x5555),
            self.pack(false, 3 * b / 2, 0x2AAA),
            self.pack(false, f as u64 + 1, 0),
            self.pack(false, 1, all),
        ];
        // binary64 values that sit on binary32 rounding boundaries.
        if f == 52 {
            mags.push(0x36A0_0000_0000_0000); // 2^-149
            mags.push(0x3690_0000_0000_0000); // 2^-150
            mags.push(0x3690_0000_0000_0001);
            mags.push(0x380F_FFFF_F000_0000); // just under 2^-126, halfway
            mags.push(0x380F_FFFF_E000_0000);
            mags.push(0x47EF_FFFF_F000_0000); // halfway to overflow
            mags.push(0x47EF_FFFF_EFFF_FFFF);
            mags.push(0x3FF0_0000_1000_0000); // 1 + half ulp(float)
            mags.push(0x3FF0_0000_3000_0000);
            mags.push(0x41DF_FFFF_FFE0_0000); // 2^31 - 0.5
            mags.push(0x41DF_FFFF_FFF0_0000);
            mags.push(0x41E0_0000_0010_0000); // 2^31 + 0.5
        }
        let mut out = Vec::new();
        for m in mags {
            out.push(m);
            out.push(m | 1 << (self.frac_bits + self.exp_bits));
        }
        out
    }

    /// A random value biased to interesting exponents and significands.
    pub fn random(self, rng: &mut Rng) -> u64 {
        let f = self.frac_bits;
        let b = self.bias();
        let exp = match rng.below(12) {
            0 => 0,
            1 => 1 + rng.below(3),
            2 => self.exp_max() - 1 - rng.below(3),
            3 => self.exp_max(),
            4..=6 => b - 8 + rng.below(16),
            7 => b + 20 + rng.below(14),
            _ => rng.below(self.exp_max() + 1),
        };
        let frac = match rng.below(8) {
            0 => 0,
            1 => (1u64 << f) - 1 - rng.below(4),
            2 => 1 << rng.below(f as u64),
            3 => rng.next() & !((1u64 << rng.below(f as u64)) - 1),
            _ => rng.next(),
        };
        self.pack(rng.below(2) == 1, exp, frac)
    }

    /// A second operand related to `a`: near it, at a rounding distance, or unrelated.
    pub fn partner(self, rng: &mut Rng, a: u64) -> u64 {
        match rng.below(6) {
            0 => a ^ rng.below(8),
            1 => {
                let shift = match rng.below(4) {
                    0 => self.frac_bits as u64,
                    1 => self.frac_bits as u64 + 1,
                    2 => self.frac_bits as u64 + 2,
                    _ => rng.below(self.frac_bits as u64 + 4),
                };
                let e = ((a >> self.frac_bits) & self.exp_max()).saturating_sub(shift);
                self.pack(rng.below(2) == 1, e, rng.next())
            }
            2 => a ^ (1 << (self.frac_bits + self.exp_bits)),
            _ => self.random(rng),
        }
    }
}

/// The MXCSR values the tests run under: every rounding mode with FTZ and DAZ on and
/// off, all exceptions masked, flags clear.
pub fn mxcsr_configs() -> Vec<u32> {
    let mut out = Vec::new();
    for rc in 0..4u32 {
        for ftz in [0, 0x8000] {
            for daz in [0, 0x40] {
                out.push(0x1F80 | rc << 13 | ftz | daz);
            }
        }
    }
    out
}

/// A random MXCSR: any rounding, FTZ, DAZ, all masked, random sticky flags.
pub fn random_mxcsr(rng: &mut Rng) -> u32 {
    let configs = mxcsr_configs();
    configs[rng.below(configs.len() as u64) as usize]
        | (rng.below(64) as u32 * (rng.below(4) == 0) as u32)
}

/// Collects mismatches; panics at the end with the first few.
pub struct Report {
    pub op: &'static str,
    pub cases: u64,
    pub mismatches: u64,
    text: String,
}

impl Report {
    pub fn new(op: &'static str) -> Report {
        Report {
            op,
            cases: 0,
            mismatches: 0,
            text: String::new(),
        }
    }

    /// Compares (result, mxcsr) pairs.
    pub fn check(&mut self, a: u128, b: u128, mxcsr: u32, ours: (u128, u32), native: (u128, u32)) {
        self.cases += 1;
        if ours != native {
            self.mismatches += 1;
            if self.mismatches <= 12 {
                let _ = writeln!(
                    self.text,
                    "{} a={:032x} b={:032x} mxcsr={:04x}: ours={:032x} mxcsr={:04x} native={:032x} mxcsr={:04x}",
                    self.op, a, b, mxcsr, ours.0, ours.1, native.0, native.1
                );
            }
        }
    }

    /// Panics with the first mismatches; otherwise prints the case count (shown with
    /// `--nocapture`).
    pub fn finish(self) {
        println!(
            "{}: {} cases, {} mismatches",
            self.op, self.cases, self.mismatches
        );
        if self.mismatches > 0 {
            panic!(
                "{}: {} mismatches in {} cases\n{}",
                self.op, self.mismatches, self.cases, self.text
            );
        }
    }
}
