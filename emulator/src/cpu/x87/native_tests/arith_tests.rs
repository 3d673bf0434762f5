//! Differential tests of add, subtract, multiply, divide and square root.

use super::harness::{self, Report, STATUS_COMPARED};
use super::values::{control_words, edge_values, fuzz_cases, Rng};
use crate::cpu::x87::arith::{self, Outcome};
use crate::cpu::x87::{Control, F80};

type Soft = fn(F80, F80, Control) -> Outcome;
type Native = fn(u16, F80, F80) -> (F80, u16);

/// The status word a masked arithmetic instruction leaves after `fninit`.
fn soft_status(flags: crate::cpu::x87::Flags) -> u16 {
    flags.0 & 0x027F
}

fn compare(report: &mut Report, name: &str, native: Native, soft: Soft, cw: u16, a: F80, b: F80) {
    let (nv, nsw) = native(cw, a, b);
    let (sv, flags) = soft(a, b, Control::from_word(cw));
    let ssw = soft_status(flags);
    report.check(nv == sv && nsw & STATUS_COMPARED == ssw, || {
        format!(
            "{name} cw={cw:04X} a={a:?} b={b:?}: native {nv:?} sw={:04X}, soft {sv:?} sw={ssw:04X}",
            nsw & STATUS_COMPARED
        )
    });
}

fn run_binary(name: &'static str, salt: u64, native: Native, soft: Soft) {
    let mut report = Report::new(name);
    let edges = edge_values();
    for cw in control_words() {
        for &a in &edges {
            for &b in &edges {
                compare(&mut report, name, native, soft, cw, a, b);
            }
        }
    }
    let mut rng = Rng::from_env(salt);
    let cws = control_words();
    for _ in 0..fuzz_cases(100_000) {
        let cw = cws[rng.below(cws.len() as u64) as usize];
        let a = rng.value();
        let b = if rng.below(3) == 0 {
            rng.value_near(a)
        } else {
            rng.value()
        };
        compare(&mut report, name, native, soft, cw, a, b);
    }
    report.finish();
}

#[test]
fn x87_native_fadd() {
    run_binary("fadd", 1, harness::fadd, arith::add);
}

#[test]
fn x87_native_fsub() {
    run_binary("fsub", 2, harness::fsub, arith::sub);
}

#[test]
fn x87_native_fmul() {
    run_binary("fmul", 3, harness::fmul, arith::mul);
}

#[test]
fn x87_native_fdiv() {
    run_binary("fdiv", 4, harness::fdiv, arith::div);
}

#[test]
fn x87_native_fsqrt() {
    run_binary("fsqrt", 5, harness::fsqrt, |a, _b, c| arith::sqrt(a, c));
}

/// The same instructions through `X87State` with unmasked exceptions: bias-adjusted
/// overflow/underflow results, suppressed results for IE/ZE/DE, only DE reported when an
/// unmasked denormal stops the operation, and ES/B.
#[test]
fn x87_native_arith_unmasked() {
    use crate::cpu::x87::{ArithOp, X87State};
    let ops: [(&str, Native, Option<ArithOp>); 5] = [
        ("fadd", harness::fadd, Some(ArithOp::Add)),
        ("fsub", harness::fsub, Some(ArithOp::Sub)),
        ("fmul", harness::fmul, Some(ArithOp::Mul)),
        ("fdiv", harness::fdiv, Some(ArithOp::Div)),
        ("fsqrt", harness::fsqrt, None),
    ];
    let mut report = Report::new("unmasked arithmetic");
    let edges = edge_values();
    let mut rng = Rng::from_env(6);
    let mut pairs: Vec<(F80, F80)> = Vec::new();
    for &a in &edges {
        for &b in &edges {
            pairs.push((a, b));
        }
    }
    for _ in 0..fuzz_cases(100_000) / 4 {
        let a = rng.value();
        pairs.push((a, rng.value_near(a)));
    }
    for (i, &(a, b)) in pairs.iter().enumerate() {
        // Unmask one exception (or all) in a precision and rounding setting.
        let unmask = [0x3Fu16, 0x01, 0x02, 0x04, 0x08, 0x10, 0x20][i % 7];
        let cw = (0x003F & !unmask) | ((i as u16 / 7 % 4) << 10) | ([0u16, 2, 3][i % 3] << 8);
        for &(name, native, op) in &ops {
            let (nv, nsw) = native(cw, a, b);
            let mut s = X87State::new();
            s.fldcw(cw);
            s.fld_f80(b);
            s.fld_f80(a);
            match op {
                Some(op) => s.arith_st(op, 0, 1, false),
                None => s.fsqrt(),
            }
            let (sv, ssw) = (s.st(0), s.status_word() & STATUS_COMPARED);
            report.check(nv == sv && nsw & STATUS_COMPARED == ssw, || {
                format!(
                    "{name} cw={cw:04X} a={a:?} b={b:?}: native {nv:?} sw={:04X}, soft {sv:?} sw={ssw:04X}",
                    nsw & STATUS_COMPARED
                )
            });
        }
    }
    report.finish();
}
