//! Differential tests of the load and store conversions (f32, f64, integers, packed BCD).

use super::harness::{self, Report, STATUS_COMPARED};
use super::values::{control_words, edge_values, fuzz_cases, Rng};
use crate::cpu::x87::convert;
use crate::cpu::x87::{Control, Flags, F80};

/// Status bits a masked store leaves after `fninit` (C1 and exceptions).
fn status(flags: Flags) -> u16 {
    flags.0 & 0x027F
}

/// Operands for the stores: edge values, then random values near each format's limits.
fn store_operands(salt: u64) -> Vec<F80> {
    let mut v = edge_values();
    let mut rng = Rng::from_env(salt);
    for _ in 0..fuzz_cases(100_000) {
        let x = rng.value();
        let exp = match rng.below(4) {
            0 => x.exp(),
            // Integer range: 2^-2 .. 2^66.
            1 => 0x3FFD + rng.below(70) as u16,
            // Near single / double exponent limits.
            2 => [0x3F81u16, 0x407E, 0x3C01, 0x43FE, 0x3F6A, 0x3BCD][rng.below(6) as usize]
                .wrapping_add(rng.below(60) as u16)
                .wrapping_sub(30),
            _ => 0x3FFF + rng.below(64) as u16,
        };
        v.push(F80::from_parts(x.sign(), exp & 0x7FFF, x.signif));
    }
    v
}

fn run_store<T: PartialEq + core::fmt::Debug + Copy>(
    name: &'static str,
    salt: u64,
    native: fn(u16, F80) -> (T, u16),
    soft: impl Fn(F80, Control) -> (T, Flags),
) {
    let mut report = Report::new(name);
    for a in store_operands(salt) {
        for cw in control_words() {
            let (nv, nsw) = native(cw, a);
            let (sv, flags) = soft(a, Control::from_word(cw));
            report.check(nv == sv && nsw & STATUS_COMPARED == status(flags), || {
                format!(
                    "{name} cw={cw:04X} a={a:?}: native {nv:X?} sw={:04X}, soft {sv:X?} sw={:04X}",
                    nsw & STATUS_COMPARED,
                    status(flags)
                )
            });
        }
    }
    report.finish();
}

#[test]
fn x87_native_fst_f32() {
    run_store("fst m32", 11, harness::fst_f32, convert::to_f32);
}

#[test]
fn x87_native_fst_f64() {
    run_store("fst m64", 12, harness::fst_f64, convert::to_f64);
}

#[test]
fn x87_native_fist() {
    run_store("fist m16", 13, harness::fist_i16, |a, c| {
        let (v, f) = convert::to_int(a, 16, c.rounding);
        (v as u16, f)
    });
    run_store("fist m32", 14, harness::fist_i32, |a, c| {
        let (v, f) = convert::to_int(a, 32, c.rounding);
        (v as u32, f)
    });
    run_store("fistp m64", 15, harness::fistp_i64, |a, c| {
        convert::to_int(a, 64, c.rounding)
    });
}

#[test]
fn x87_native_fisttp() {
    use crate::cpu::x87::RoundingMode::TowardZero;
    run_store("fisttp m16", 16, harness::fisttp_i16, |a, _| {
        let (v, f) = convert::to_int(a, 16, TowardZero);
        (v as u16, f)
    });
    run_store("fisttp m32", 17, harness::fisttp_i32, |a, _| {
        let (v, f) = convert::to_int(a, 32, TowardZero);
        (v as u32, f)
    });
    run_store("fisttp m64", 18, harness::fisttp_i64, |a, _| {
        convert::to_int(a, 64, TowardZero)
    });
}

#[test]
fn x87_native_fbstp() {
    run_store("fbstp", 19, harness::fbstp, |a, c| {
        convert::to_bcd(a, c.rounding)
    });
}

fn run_load<T: Copy + core::fmt::Debug>(
    name: &'static str,
    operands: impl Iterator<Item = T>,
    native: fn(u16, T) -> (F80, u16),
    soft: impl Fn(T) -> (F80, Flags),
) {
    let mut report = Report::new(name);
    for v in operands {
        let (nv, nsw) = native(0x037F, v);
        let (sv, flags) = soft(v);
        report.check(nv == sv && nsw & STATUS_COMPARED == status(flags), || {
            format!(
                "{name} {v:X?}: native {nv:?} sw={:04X}, soft {sv:?} sw={:04X}",
                nsw & STATUS_COMPARED,
                status(flags)
            )
        });
    }
    report.finish();
}

/// Random 64-bit patterns with the top 12 bits often special.
fn bit_patterns(salt: u64) -> impl Iterator<Item = u64> {
    let mut rng = Rng::from_env(salt);
    (0..fuzz_cases(100_000)).map(move |_| {
        let r = rng.next();
        match rng.below(4) {
            0 => r & 0x800F_FFFF_FFFF_FFFF,
            1 => r | 0x7FF0_0000_0000_0000,
            2 => r >> rng.below(64),
            _ => r,
        }
    })
}

#[test]
fn x87_native_fld_f32_f64_fild() {
    run_load(
        "fld m32",
        bit_patterns(21).map(|b| (b >> 32) as u32),
        harness::fld_f32,
        convert::from_f32,
    );
    run_load(
        "fld m64",
        bit_patterns(22),
        harness::fld_f64,
        convert::from_f64,
    );
    run_load("fild m64", bit_patterns(23), harness::fild_i64, |b| {
        (convert::from_i64(b as i64), Flags::NONE)
    });
}

#[test]
fn x87_native_fbld() {
    let mut rng = Rng::from_env(24);
    let operands = (0..fuzz_cases(100_000)).map(move |_| {
        let mut bytes = [0u8; 10];
        for b in bytes.iter_mut().take(9) {
            *b = ((rng.below(10) as u8) << 4) | rng.below(10) as u8;
        }
        bytes[9] = if rng.below(2) == 0 { 0 } else { 0x80 };
        if rng.below(8) == 0 {
            bytes[..9].iter_mut().for_each(|b| *b = 0);
        }
        bytes
    });
    run_load("fbld", operands, harness::fbld, |b| {
        (convert::from_bcd(b), Flags::NONE)
    });
}
