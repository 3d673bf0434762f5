//! Differential tests of floating-point arithmetic, compares and conversions.

use super::cases::{fuzz_cases, mxcsr_configs, random_mxcsr, Report, Rng, Shape, F32, F64};
use super::native;
use crate::cpu::simd::convert;
use crate::cpu::simd::mxcsr::{Exceptions, Mxcsr};
use crate::cpu::simd::packed_float::{self, eflags};
use crate::cpu::simd::xmm::Xmm;

type Op<'a> = dyn Fn(u128, u128, u32) -> (u128, u32) + 'a;

fn mx(bits: u32) -> Mxcsr {
    Mxcsr::load(bits).unwrap_or_default()
}

/// MXCSR after committing `raised` (all exceptions are masked in these tests).
fn after(bits: u32, raised: Exceptions) -> u32 {
    let mut m = mx(bits);
    let _ = m.commit(raised);
    m.bits()
}

fn join(shape: Shape, lanes: &[u64]) -> u128 {
    let width = shape.frac_bits + shape.exp_bits + 1;
    lanes.iter().enumerate().fold(0u128, |acc, (i, &l)| {
        acc | (l as u128) << (i as u32 * width)
    })
}

fn low32(v: u128) -> u32 {
    v as u32
}

fn low64(v: u128) -> u64 {
    v as u64
}

fn lane_count(shape: Shape) -> usize {
    128 / (shape.frac_bits + shape.exp_bits + 1) as usize
}

/// Edge values pairwise in all MXCSR configurations, then random cases.
fn run(op: &'static str, shape: Shape, ours: &Op<'_>, native: &Op<'_>) {
    let mut report = Report::new(op);
    let edges = shape.edges();
    let n = edges.len();
    let lanes = lane_count(shape);
    for mxcsr in mxcsr_configs() {
        for i in 0..n {
            for j in 0..n {
                let a: Vec<u64> = (0..lanes).map(|k| edges[(i + k * j) % n]).collect();
                let b: Vec<u64> = (0..lanes).map(|k| edges[(j + k * (i + 1)) % n]).collect();
                let (a, b) = (join(shape, &a), join(shape, &b));
                report.check(a, b, mxcsr, ours(a, b, mxcsr), native(a, b, mxcsr));
            }
        }
    }
    let mut rng = Rng::from_env(op);
    for _ in 0..fuzz_cases() {
        let a: Vec<u64> = (0..lanes).map(|_| shape.random(&mut rng)).collect();
        let b: Vec<u64> = a.iter().map(|&x| shape.partner(&mut rng, x)).collect();
        let (a, b) = (join(shape, &a), join(shape, &b));
        let mxcsr = random_mxcsr(&mut rng);
        report.check(a, b, mxcsr, ours(a, b, mxcsr), native(a, b, mxcsr));
    }
    report.finish();
}

macro_rules! float_test {
    // Both operands full XMM values.
    ($test:ident, $op:ident, $shape:expr, xx) => {
        #[test]
        fn $test() {
            run(
                stringify!($op),
                $shape,
                &|a, b, m| {
                    let (r, f) = packed_float::$op(Xmm(a), Xmm(b), mx(m));
                    (r.0, after(m, f))
                },
                &native::$op,
            );
        }
    };
    // Scalar: the second operand is the low lane only.
    ($test:ident, $op:ident, $shape:expr, $t:ty) => {
        #[test]
        fn $test() {
            run(
                stringify!($op),
                $shape,
                &|a, b, m| {
                    let (r, f) = packed_float::$op(Xmm(a), b as $t, mx(m));
                    (r.0, after(m, f))
                },
                &native::$op,
            );
        }
    };
}

float_test!(simd_diff_addps, addps, F32, xx);
float_test!(simd_diff_addss, addss, F32, u32);
float_test!(simd_diff_addpd, addpd, F64, xx);
float_test!(simd_diff_addsd, addsd, F64, u64);
float_test!(simd_diff_subps, subps, F32, xx);
float_test!(simd_diff_subss, subss, F32, u32);
float_test!(simd_diff_subpd, subpd, F64, xx);
float_test!(simd_diff_subsd, subsd, F64, u64);
float_test!(simd_diff_mulps, mulps, F32, xx);
float_test!(simd_diff_mulss, mulss, F32, u32);
float_test!(simd_diff_mulpd, mulpd, F64, xx);
float_test!(simd_diff_mulsd, mulsd, F64, u64);
float_test!(simd_diff_divps, divps, F32, xx);
float_test!(simd_diff_divss, divss, F32, u32);
float_test!(simd_diff_divpd, divpd, F64, xx);
float_test!(simd_diff_divsd, divsd, F64, u64);
float_test!(simd_diff_minps, minps, F32, xx);
float_test!(simd_diff_minss, minss, F32, u32);
float_test!(simd_diff_minpd, minpd, F64, xx);
float_test!(simd_diff_minsd, minsd, F64, u64);
float_test!(simd_diff_maxps, maxps, F32, xx);
float_test!(simd_diff_maxss, maxss, F32, u32);
float_test!(simd_diff_maxpd, maxpd, F64, xx);
float_test!(simd_diff_maxsd, maxsd, F64, u64);
float_test!(simd_diff_sqrtps, sqrtps, F32, xx);
float_test!(simd_diff_sqrtss, sqrtss, F32, u32);
float_test!(simd_diff_sqrtpd, sqrtpd, F64, xx);
float_test!(simd_diff_sqrtsd, sqrtsd, F64, u64);
float_test!(simd_diff_addsubps, addsubps, F32, xx);
float_test!(simd_diff_addsubpd, addsubpd, F64, xx);
float_test!(simd_diff_haddps, haddps, F32, xx);
float_test!(simd_diff_haddpd, haddpd, F64, xx);
float_test!(simd_diff_hsubps, hsubps, F32, xx);
float_test!(simd_diff_hsubpd, hsubpd, F64, xx);

/// Runs a compare test for every predicate 0-7.
macro_rules! compare_test {
    ($test:ident, $op:ident, $shape:expr, $conv:expr) => {
        #[test]
        fn $test() {
            // 0-7, plus immediates with reserved high bits (ignored by legacy SSE).
            for predicate in [0u8, 1, 2, 3, 4, 5, 6, 7, 0x0D, 0xFA] {
                let native: fn(u128, u128, u32) -> (u128, u32) = match predicate {
                    0x0D => native::$op::<0x0D>,
                    0xFA => native::$op::<0xFA>,
                    0 => native::$op::<0>,
                    1 => native::$op::<1>,
                    2 => native::$op::<2>,
                    3 => native::$op::<3>,
                    4 => native::$op::<4>,
                    5 => native::$op::<5>,
                    6 => native::$op::<6>,
                    _ => native::$op::<7>,
                };
                run(
                    stringify!($op),
                    $shape,
                    &|a, b, m| {
                        let (r, f) = packed_float::$op(Xmm(a), $conv(b), predicate, mx(m));
                        (r.0, after(m, f))
                    },
                    &native,
                );
            }
        }
    };
}

compare_test!(simd_diff_cmpps, cmpps, F32, Xmm);
compare_test!(simd_diff_cmpss, cmpss, F32, low32);
compare_test!(simd_diff_cmppd, cmppd, F64, Xmm);
compare_test!(simd_diff_cmpsd, cmpsd, F64, low64);

macro_rules! comis_test {
    ($test:ident, $op:ident, $shape:expr, $t:ty) => {
        #[test]
        fn $test() {
            run(
                stringify!($op),
                $shape,
                &|a, b, m| {
                    let (r, f) = packed_float::$op(a as $t, b as $t, mx(m));
                    (r as u128, after(m, f))
                },
                &|a, b, m| {
                    let (r, csr) = native::$op(a, b, m);
                    ((r & eflags::WRITTEN) as u128, csr)
                },
            );
        }
    };
}

comis_test!(simd_diff_comiss, comiss, F32, u32);
comis_test!(simd_diff_ucomiss, ucomiss, F32, u32);
comis_test!(simd_diff_comisd, comisd, F64, u64);
comis_test!(simd_diff_ucomisd, ucomisd, F64, u64);

// Conversions from floats: operands are float-shaped.
macro_rules! convert_test {
    ($test:ident, $op:ident, $shape:expr, |$a:ident, $b:ident, $m:ident| $body:expr) => {
        #[test]
        fn $test() {
            run(stringify!($op), $shape, &|$a, $b, $m| $body, &native::$op);
        }
    };
}

convert_test!(simd_diff_cvtss2sd, cvtss2sd, F32, |a, b, m| {
    let (r, f) = convert::cvtss2sd(Xmm(a), b as u32, mx(m));
    (r.0, after(m, f))
});
convert_test!(simd_diff_cvtsd2ss, cvtsd2ss, F64, |a, b, m| {
    let (r, f) = convert::cvtsd2ss(Xmm(a), b as u64, mx(m));
    (r.0, after(m, f))
});
convert_test!(simd_diff_cvtps2pd, cvtps2pd, F32, |_a, b, m| {
    let (r, f) = convert::cvtps2pd(b as u64, mx(m));
    (r.0, after(m, f))
});
convert_test!(simd_diff_cvtpd2ps, cvtpd2ps, F64, |_a, b, m| {
    let (r, f) = convert::cvtpd2ps(Xmm(b), mx(m));
    (r.0, after(m, f))
});
convert_test!(simd_diff_cvtps2dq, cvtps2dq, F32, |_a, b, m| {
    let (r, f) = convert::cvtps2dq(Xmm(b), mx(m));
    (r.0, after(m, f))
});
convert_test!(simd_diff_cvttps2dq, cvttps2dq, F32, |_a, b, m| {
    let (r, f) = convert::cvttps2dq(Xmm(b), mx(m));
    (r.0, after(m, f))
});
convert_test!(simd_diff_cvtpd2dq, cvtpd2dq, F64, |_a, b, m| {
    let (r, f) = convert::cvtpd2dq(Xmm(b), mx(m));
    (r.0, after(m, f))
});
convert_test!(simd_diff_cvttpd2dq, cvttpd2dq, F64, |_a, b, m| {
    let (r, f) = convert::cvttpd2dq(Xmm(b), mx(m));
    (r.0, after(m, f))
});

macro_rules! to_int_test {
    ($test:ident, $op:ident, $shape:expr, $t:ty) => {
        #[test]
        fn $test() {
            run(
                stringify!($op),
                $shape,
                &|_a, b, m| {
                    let (r, f) = convert::$op(b as $t, mx(m));
                    (r as u128, after(m, f))
                },
                &|_a, b, m| {
                    let (r, csr) = native::$op(b, m);
                    (r as u128, csr)
                },
            );
        }
    };
}

to_int_test!(simd_diff_cvtss2si, cvtss2si, F32, u32);
to_int_test!(simd_diff_cvttss2si, cvttss2si, F32, u32);
to_int_test!(simd_diff_cvtsd2si, cvtsd2si, F64, u64);
to_int_test!(simd_diff_cvttsd2si, cvttsd2si, F64, u64);

macro_rules! to_mm_test {
    ($test:ident, $op:ident, $shape:expr, $($conv:tt)*) => {
        #[test]
        fn $test() {
            run(
                stringify!($op),
                $shape,
                &|_a, b, m| {
                    let (r, f) = convert::$op($($conv)*(b), mx(m));
                    (r as u128, after(m, f))
                },
                &|_a, b, m| {
                    let (r, csr) = native::$op(b, m);
                    (r as u128, csr)
                },
            );
        }
    };
}

to_mm_test!(simd_diff_cvtps2pi, cvtps2pi, F32, low64);
to_mm_test!(simd_diff_cvttps2pi, cvttps2pi, F32, low64);
to_mm_test!(simd_diff_cvtpd2pi, cvtpd2pi, F64, Xmm);
to_mm_test!(simd_diff_cvttpd2pi, cvttpd2pi, F64, Xmm);

/// An int32 biased to conversion boundaries.
fn random_i32(rng: &mut Rng) -> u32 {
    let base: u32 = match rng.below(6) {
        0 => rng.below(200) as u32,
        1 => 1u32 << rng.below(32),
        2 => 0x7FFF_FFFF,
        3 => (1u32 << (24 + rng.below(8))).wrapping_add(rng.below(0x100) as u32),
        _ => rng.next() as u32,
    };
    let base = base.wrapping_add((rng.below(5) as u32).wrapping_sub(2));
    if rng.below(2) == 0 {
        base
    } else {
        base.wrapping_neg()
    }
}

/// Runs an integer-source conversion on random int32 lanes and all MXCSR configurations.
fn run_from_int(op: &'static str, ours: &Op<'_>, native: &Op<'_>) {
    let mut report = Report::new(op);
    let mut rng = Rng::from_env(op);
    let configs = mxcsr_configs();
    for case in 0..fuzz_cases() {
        let a = rng.u128();
        let b = (0..4).fold(0u128, |acc, k| {
            acc | (random_i32(&mut rng) as u128) << (32 * k)
        });
        let mxcsr = configs[case as usize % configs.len()];
        report.check(a, b, mxcsr, ours(a, b, mxcsr), native(a, b, mxcsr));
    }
    report.finish();
}

#[test]
fn simd_diff_cvtsi2ss() {
    run_from_int(
        "cvtsi2ss",
        &|a, b, m| {
            let (r, f) = convert::cvtsi2ss(Xmm(a), b as i32, mx(m));
            (r.0, after(m, f))
        },
        &|a, b, m| native::cvtsi2ss(a, b as u32, m),
    );
}

#[test]
fn simd_diff_cvtsi2sd() {
    run_from_int(
        "cvtsi2sd",
        &|a, b, m| {
            let (r, f) = convert::cvtsi2sd(Xmm(a), b as i32, mx(m));
            (r.0, after(m, f))
        },
        &|a, b, m| native::cvtsi2sd(a, b as u32, m),
    );
}

#[test]
fn simd_diff_cvtdq2ps() {
    run_from_int(
        "cvtdq2ps",
        &|_a, b, m| {
            let (r, f) = convert::cvtdq2ps(Xmm(b), mx(m));
            (r.0, after(m, f))
        },
        &native::cvtdq2ps,
    );
}

#[test]
fn simd_diff_cvtdq2pd() {
    run_from_int(
        "cvtdq2pd",
        &|_a, b, m| {
            let (r, f) = convert::cvtdq2pd(b as u64, mx(m));
            (r.0, after(m, f))
        },
        &native::cvtdq2pd,
    );
}

#[test]
fn simd_diff_cvtpi2ps() {
    run_from_int(
        "cvtpi2ps",
        &|a, b, m| {
            let (r, f) = convert::cvtpi2ps(Xmm(a), b as u64, mx(m));
            (r.0, after(m, f))
        },
        &|a, b, m| native::cvtpi2ps(a, b as u64, m),
    );
}

#[test]
fn simd_diff_cvtpi2pd() {
    run_from_int(
        "cvtpi2pd",
        &|_a, b, m| {
            let (r, f) = convert::cvtpi2pd(b as u64, mx(m));
            (r.0, after(m, f))
        },
        &|a, b, m| native::cvtpi2pd(a, b as u64, m),
    );
}

/// rcp/rsqrt: special inputs must match the host exactly; finite results must be
/// within the architectural bound of the true value, as must the host's.
fn check_approximation(
    op: &'static str,
    ours: fn(u32) -> u32,
    native: fn(u128, u128, u32) -> (u128, u32),
    exact: fn(f64) -> f64,
) {
    let mut report = Report::new(op);
    let mut rng = Rng::from_env(op);
    let bound = 1.5 * (2.0f64).powi(-12);
    let mut inputs: Vec<u32> = F32.edges().into_iter().map(|x| x as u32).collect();
    inputs.extend((0..fuzz_cases()).map(|_| F32.random(&mut rng) as u32));
    for x in inputs {
        let mine = ours(x);
        let (theirs, csr) = native(0, x as u128, 0x1F80);
        let theirs = theirs as u32;
        report.cases += 1;
        let exp_bits = |v: u32| (v >> 23) & 0xFF;
        let both_normal = exp_bits(mine) != 0
            && exp_bits(mine) != 0xFF
            && exp_bits(theirs) != 0
            && exp_bits(theirs) != 0xFF;
        let fine = if both_normal {
            let truth = exact(f32::from_bits(x) as f64);
            let err = |v: u32| ((f32::from_bits(v) as f64 - truth) / truth).abs();
            err(mine) <= bound && err(theirs) <= bound
        } else {
            // Near the flush-to-zero edge the two approximations may fall on either side.
            let tiny = |v: u32| exp_bits(v) <= 1;
            mine == theirs || (tiny(mine) && tiny(theirs))
        };
        if !fine || csr != 0x1F80 {
            report.check(
                x as u128,
                0,
                0x1F80,
                (mine as u128, 0x1F80),
                (theirs as u128, csr),
            );
        }
    }
    report.finish();
}

#[test]
fn simd_diff_rcpps_within_bound() {
    check_approximation("rcpps", packed_float::reciprocal_lane, native::rcpps, |x| {
        1.0 / x
    });
    // The packed and scalar forms apply the lane function and merge like other ops.
    let a = Xmm::from_u32x4([1, 2, 3, 4]);
    assert_eq!(
        packed_float::rcpss(a, 0x3F80_0000).u32x4(),
        [0x3F80_0000, 2, 3, 4]
    );
}

#[test]
fn simd_diff_rsqrtps_within_bound() {
    check_approximation(
        "rsqrtps",
        packed_float::reciprocal_sqrt_lane,
        native::rsqrtps,
        |x| 1.0 / x.sqrt(),
    );
    let a = Xmm::from_u32x4([1, 2, 3, 4]);
    assert_eq!(
        packed_float::rsqrtss(a, 0x3F80_0000).u32x4(),
        [0x3F80_0000, 2, 3, 4]
    );
}
