//! Differential tests of fprem, fprem1, fscale, fxtract, frndint, comparisons and fxam.

use super::harness::{self, Report, STATUS_COMPARED};
use super::values::{control_words, edge_values, fuzz_cases, Rng};
use crate::cpu::x87::misc::{self, cond};
use crate::cpu::x87::{convert, Control, Flags, F80};

/// Edge pairs in every control word, then random pairs.
fn pairs(salt: u64, random_b: impl Fn(&mut Rng, F80) -> F80) -> Vec<(u16, F80, F80)> {
    let mut out = Vec::new();
    let edges = edge_values();
    for cw in control_words() {
        for &a in &edges {
            for &b in &edges {
                out.push((cw, a, b));
            }
        }
    }
    let mut rng = Rng::from_env(salt);
    let cws = control_words();
    for _ in 0..fuzz_cases(100_000) {
        let cw = cws[rng.below(cws.len() as u64) as usize];
        let a = rng.value();
        let b = random_b(&mut rng, a);
        out.push((cw, a, b));
    }
    out
}

fn any_value(rng: &mut Rng, a: F80) -> F80 {
    if rng.below(2) == 0 {
        rng.value_near(a)
    } else {
        rng.value()
    }
}

/// Compares one result register plus exceptions and the condition codes in `cond_mask`.
fn run_unary(
    name: &'static str,
    salt: u64,
    native: fn(u16, F80, F80) -> (F80, u16),
    soft: impl Fn(F80, F80, Control) -> (F80, u16),
    random_b: impl Fn(&mut Rng, F80) -> F80,
) {
    let mut report = Report::new(name);
    for (cw, a, b) in pairs(salt, random_b) {
        let (nv, nsw) = native(cw, a, b);
        let (sv, ssw) = soft(a, b, Control::from_word(cw));
        report.check(nv == sv && nsw & STATUS_COMPARED == ssw, || {
            format!(
                "{name} cw={cw:04X} a={a:?} b={b:?}: native {nv:?} sw={:04X}, soft {sv:?} sw={ssw:04X}",
                nsw & STATUS_COMPARED
            )
        });
    }
    report.finish();
}

fn status(flags: Flags) -> u16 {
    flags.0 & 0x027F
}

#[test]
fn x87_native_frndint() {
    run_unary(
        "frndint",
        31,
        harness::frndint,
        |a, _, c| {
            let (v, f) = convert::round_to_integer(a, c);
            (v, status(f))
        },
        any_value,
    );
}

#[test]
fn x87_native_fscale() {
    run_unary(
        "fscale",
        32,
        harness::fscale,
        |a, b, c| {
            let (v, f) = misc::scale(a, b, c);
            (v, status(f))
        },
        |rng, _| {
            let x = rng.value();
            if rng.below(2) == 0 {
                F80::from_parts(x.sign(), (0x3FFF + rng.below(18)) as u16, x.signif)
            } else {
                x
            }
        },
    );
}

fn run_two_results(
    name: &'static str,
    salt: u64,
    native: fn(u16, F80, F80) -> (F80, F80, u16),
    soft: impl Fn(F80, F80) -> (F80, F80, u16),
) {
    let mut report = Report::new(name);
    for (cw, a, b) in pairs(salt, any_value) {
        let (n0, n1, nsw) = native(cw, a, b);
        let (s0, s1, ssw) = soft(a, b);
        report.check(n0 == s0 && n1 == s1 && nsw & STATUS_COMPARED == ssw, || {
            format!(
                "{name} cw={cw:04X} a={a:?} b={b:?}: native {n0:?} {n1:?} sw={:04X}, soft {s0:?} {s1:?} sw={ssw:04X}",
                nsw & STATUS_COMPARED
            )
        });
    }
    report.finish();
}

#[test]
fn x87_native_fprem() {
    for (name, salt, native, nearest) in [
        (
            "fprem",
            33,
            harness::fprem as fn(u16, F80, F80) -> (F80, F80, u16),
            false,
        ),
        ("fprem1", 34, harness::fprem1, true),
    ] {
        run_two_results(name, salt, native, |a, b| {
            let r = misc::remainder(a, b, nearest, Control::from_word(0x037F));
            (r.value, b, (r.flags.0 & 0x007F) | r.cond.unwrap_or(0))
        });
    }
}

#[test]
fn x87_native_fxtract() {
    run_two_results("fxtract", 35, harness::fxtract, |a, _| {
        let (exponent, significand, f) = misc::extract(a);
        (significand, exponent, status(f))
    });
}

#[test]
fn x87_native_compare() {
    for (name, salt, native, quiet) in [
        (
            "fcom",
            36,
            harness::fcom as fn(u16, F80, F80) -> (F80, u16),
            false,
        ),
        ("fucom", 37, harness::fucom, true),
    ] {
        run_unary(
            name,
            salt,
            native,
            |a, b, _| {
                let (ord, f) = misc::compare(a, b, quiet);
                (a, status(f) | ord.condition_codes())
            },
            any_value,
        );
    }
    run_unary(
        "ftst",
        38,
        harness::ftst,
        |a, _, _| {
            let (ord, f) = misc::compare(a, F80::ZERO, false);
            (a, status(f) | ord.condition_codes())
        },
        any_value,
    );
    run_unary(
        "fxam",
        39,
        harness::fxam,
        |a, _, _| (a, misc::examine(a) & cond::ALL),
        any_value,
    );
}
