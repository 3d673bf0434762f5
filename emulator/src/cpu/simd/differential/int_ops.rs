//! Differential tests of the integer (MMX/SSE2) operations and XMM data movement: each
//! generic integer function is checked in its MMX form and its XMM form.

use super::cases::{fuzz_cases, Report, Rng};
use super::native;
use crate::cpu::simd::packed_int as int;
use crate::cpu::simd::shuffle;
use crate::cpu::simd::xmm::Xmm;

/// A host instruction on XMM operands: (a, b, mxcsr) -> (result, mxcsr).
type NativeXmm = fn(u128, u128, u32) -> (u128, u32);
/// A host instruction on MMX operands.
type NativeMm = fn(u64, u64) -> u64;

/// A 128-bit operand whose bytes, words and dwords often sit at saturation and sign
/// boundaries.
fn random_operand(rng: &mut Rng) -> u128 {
    match rng.below(4) {
        0 => rng.u128(),
        1 => {
            let specials = [0x00u8, 0x01, 0x7F, 0x80, 0x81, 0xFF, 0xFE];
            (0..16).fold(0u128, |acc, i| {
                let byte = if rng.below(2) == 0 {
                    specials[rng.below(specials.len() as u64) as usize]
                } else {
                    rng.next() as u8
                };
                acc | (byte as u128) << (8 * i)
            })
        }
        2 => {
            let specials = [
                0x0000u16, 0x0001, 0x7FFF, 0x8000, 0xFFFF, 0x00FF, 0xFF80, 0x0100,
            ];
            (0..8).fold(0u128, |acc, i| {
                acc | (specials[rng.below(specials.len() as u64) as usize] as u128) << (16 * i)
            })
        }
        _ => {
            let specials = [
                0u32,
                1,
                0x7FFF_FFFF,
                0x8000_0000,
                0xFFFF_FFFF,
                0x0000_8000,
                0xFFFF_7FFF,
            ];
            (0..4).fold(0u128, |acc, i| {
                acc | (specials[rng.below(specials.len() as u64) as usize] as u128) << (32 * i)
            })
        }
    }
}

/// A shift count: mostly near the lane widths, sometimes huge.
fn random_count(rng: &mut Rng) -> u128 {
    match rng.below(4) {
        0 => rng.next() as u128,
        1 => (1u128 << 32) + rng.below(4) as u128,
        _ => rng.below(70) as u128,
    }
}

fn run_xmm(
    op: &'static str,
    ours: &dyn Fn(u128, u128) -> u128,
    native: &dyn Fn(u128, u128) -> u128,
    shift: bool,
) {
    let mut report = Report::new(op);
    let mut rng = Rng::from_env(op);
    for _ in 0..fuzz_cases() {
        let a = random_operand(&mut rng);
        let b = if shift {
            random_count(&mut rng) | (rng.u128() << 64)
        } else {
            random_operand(&mut rng)
        };
        report.check(a, b, 0x1F80, (ours(a, b), 0x1F80), (native(a, b), 0x1F80));
    }
    report.finish();
}

fn run_mm(
    op: &'static str,
    ours: &dyn Fn(u64, u64) -> u64,
    native: &dyn Fn(u64, u64) -> u64,
    shift: bool,
) {
    let mut report = Report::new(op);
    let mut rng = Rng::from_env(op);
    for _ in 0..fuzz_cases() {
        let a = random_operand(&mut rng) as u64;
        let b = if shift {
            random_count(&mut rng) as u64
        } else {
            random_operand(&mut rng) as u64
        };
        report.check(
            a as u128,
            b as u128,
            0x1F80,
            (ours(a, b) as u128, 0x1F80),
            (native(a, b) as u128, 0x1F80),
        );
    }
    report.finish();
}

macro_rules! int_test {
    ($test:ident, $op:ident) => {
        #[test]
        fn $test() {
            run_xmm(
                stringify!($op),
                &|a, b| int::$op(Xmm(a), Xmm(b)).0,
                &|a, b| native::xmm::$op(a, b, 0x1F80).0,
                false,
            );
            run_mm(
                stringify!($op),
                &|a, b| int::$op(a, b),
                &native::mm::$op,
                false,
            );
        }
    };
}

macro_rules! shift_test {
    ($test:ident, $op:ident) => {
        #[test]
        fn $test() {
            run_xmm(
                stringify!($op),
                &|a, b| int::$op(Xmm(a), b as u64).0,
                &|a, b| native::xmm::$op(a, b, 0x1F80).0,
                true,
            );
            run_mm(
                stringify!($op),
                &|a, b| int::$op(a, b),
                &native::mm::$op,
                true,
            );
        }
    };
}

int_test!(simd_diff_paddb, paddb);
int_test!(simd_diff_paddw, paddw);
int_test!(simd_diff_paddd, paddd);
int_test!(simd_diff_paddq, paddq);
int_test!(simd_diff_psubb, psubb);
int_test!(simd_diff_psubw, psubw);
int_test!(simd_diff_psubd, psubd);
int_test!(simd_diff_psubq, psubq);
int_test!(simd_diff_paddsb, paddsb);
int_test!(simd_diff_paddsw, paddsw);
int_test!(simd_diff_psubsb, psubsb);
int_test!(simd_diff_psubsw, psubsw);
int_test!(simd_diff_paddusb, paddusb);
int_test!(simd_diff_paddusw, paddusw);
int_test!(simd_diff_psubusb, psubusb);
int_test!(simd_diff_psubusw, psubusw);
int_test!(simd_diff_pmullw, pmullw);
int_test!(simd_diff_pmulhw, pmulhw);
int_test!(simd_diff_pmulhuw, pmulhuw);
int_test!(simd_diff_pmuludq, pmuludq);
int_test!(simd_diff_pmaddwd, pmaddwd);
int_test!(simd_diff_pavgb, pavgb);
int_test!(simd_diff_pavgw, pavgw);
int_test!(simd_diff_psadbw, psadbw);
int_test!(simd_diff_pminub, pminub);
int_test!(simd_diff_pmaxub, pmaxub);
int_test!(simd_diff_pminsw, pminsw);
int_test!(simd_diff_pmaxsw, pmaxsw);
int_test!(simd_diff_pcmpeqb, pcmpeqb);
int_test!(simd_diff_pcmpeqw, pcmpeqw);
int_test!(simd_diff_pcmpeqd, pcmpeqd);
int_test!(simd_diff_pcmpgtb, pcmpgtb);
int_test!(simd_diff_pcmpgtw, pcmpgtw);
int_test!(simd_diff_pcmpgtd, pcmpgtd);
int_test!(simd_diff_pand, pand);
int_test!(simd_diff_pandn, pandn);
int_test!(simd_diff_por, por);
int_test!(simd_diff_pxor, pxor);
int_test!(simd_diff_packsswb, packsswb);
int_test!(simd_diff_packssdw, packssdw);
int_test!(simd_diff_packuswb, packuswb);
int_test!(simd_diff_punpcklbw, punpcklbw);
int_test!(simd_diff_punpcklwd, punpcklwd);
int_test!(simd_diff_punpckldq, punpckldq);
int_test!(simd_diff_punpckhbw, punpckhbw);
int_test!(simd_diff_punpckhwd, punpckhwd);
int_test!(simd_diff_punpckhdq, punpckhdq);
shift_test!(simd_diff_psllw, psllw);
shift_test!(simd_diff_pslld, pslld);
shift_test!(simd_diff_psllq, psllq);
shift_test!(simd_diff_psrlw, psrlw);
shift_test!(simd_diff_psrld, psrld);
shift_test!(simd_diff_psrlq, psrlq);
shift_test!(simd_diff_psraw, psraw);
shift_test!(simd_diff_psrad, psrad);

macro_rules! move_test {
    ($test:ident, $native:ident, |$a:ident, $b:ident| $body:expr) => {
        #[test]
        fn $test() {
            run_xmm(
                stringify!($native),
                &|$a, $b| $body,
                &|a, b| native::$native(a, b, 0x1F80).0,
                false,
            );
        }
    };
    ($test:ident, $native:ident, r32, |$b:ident| $body:expr) => {
        #[test]
        fn $test() {
            run_xmm(
                stringify!($native),
                &|_a, $b| $body,
                &|_a, b| native::$native(b, 0x1F80).0 as u128,
                false,
            );
        }
    };
}

move_test!(simd_diff_punpcklqdq, punpcklqdq, |a, b| int::punpcklqdq(
    Xmm(a),
    Xmm(b)
)
.0);
move_test!(simd_diff_punpckhqdq, punpckhqdq, |a, b| int::punpckhqdq(
    Xmm(a),
    Xmm(b)
)
.0);
move_test!(simd_diff_unpcklps, unpcklps, |a, b| shuffle::unpcklps(
    Xmm(a),
    Xmm(b)
)
.0);
move_test!(simd_diff_unpckhps, unpckhps, |a, b| shuffle::unpckhps(
    Xmm(a),
    Xmm(b)
)
.0);
move_test!(simd_diff_unpcklpd, unpcklpd, |a, b| shuffle::unpcklpd(
    Xmm(a),
    Xmm(b)
)
.0);
move_test!(simd_diff_unpckhpd, unpckhpd, |a, b| shuffle::unpckhpd(
    Xmm(a),
    Xmm(b)
)
.0);
move_test!(simd_diff_movss, movss, |a, b| shuffle::movss_reg(
    Xmm(a),
    Xmm(b)
)
.0);
move_test!(simd_diff_movsd, movsd, |a, b| shuffle::movsd_reg(
    Xmm(a),
    Xmm(b)
)
.0);
move_test!(simd_diff_movhlps, movhlps, |a, b| shuffle::movhlps(
    Xmm(a),
    Xmm(b)
)
.0);
move_test!(simd_diff_movlhps, movlhps, |a, b| shuffle::movlhps(
    Xmm(a),
    Xmm(b)
)
.0);
move_test!(simd_diff_movddup, movddup, |_a, b| shuffle::movddup(
    b as u64
)
.0);
move_test!(simd_diff_movsldup, movsldup, |_a, b| shuffle::movsldup(
    Xmm(b)
)
.0);
move_test!(simd_diff_movshdup, movshdup, |_a, b| shuffle::movshdup(
    Xmm(b)
)
.0);
move_test!(simd_diff_pmovmskb, pmovmskb, r32, |b| int::pmovmskb(Xmm(b))
    as u128);
move_test!(
    simd_diff_movmskps,
    movmskps,
    r32,
    |b| shuffle::movmskps(Xmm(b)) as u128
);
move_test!(
    simd_diff_movmskpd,
    movmskpd,
    r32,
    |b| shuffle::movmskpd(Xmm(b)) as u128
);

#[test]
fn simd_diff_pmovmskb_mm() {
    run_mm(
        "pmovmskb mm",
        &|a, _| int::pmovmskb(a) as u64,
        &|a, _| native::pmovmskb_mm(a) as u64,
        false,
    );
    assert_eq!(int::maskmov_byte_mask(Xmm(0x80 << 120 | 0x80)), 0x8001);
}

/// Expands to a list of (imm, native function) for the immediates tested.
macro_rules! with_imms {
    ($m:ident :: $f:ident; $($imm:literal)*) => {
        [$(($imm, native::$m::$f::<$imm> as NativeXmm)),*]
    };
    ($f:ident; $($imm:literal)*) => {
        [$(($imm, native::$f::<$imm> as NativeXmm)),*]
    };
}

/// Runs an immediate-operand instruction for each immediate in `table`. Integer ops do not
/// touch MXCSR, so a mismatch report shows the immediate in the MXCSR column.
fn run_imm(op: &'static str, table: &[(u8, NativeXmm)], ours: &dyn Fn(u128, u128, u8) -> u128) {
    let mut report = Report::new(op);
    let mut rng = Rng::from_env(op);
    for &(imm, native) in table {
        for _ in 0..fuzz_cases() / 16 + 1 {
            let (a, b) = (random_operand(&mut rng), random_operand(&mut rng));
            report.check(
                a,
                b,
                imm as u32,
                (ours(a, b, imm), 0x1F80),
                (native(a, b, 0x1F80).0, 0x1F80),
            );
        }
    }
    report.finish();
}

#[test]
fn simd_diff_shuffles() {
    run_imm(
        "pshufd",
        &with_imms!(pshufd; 0x00 0x1B 0xE4 0x4E 0xB1 0x39 0x93 0xFF 0x55 0xAA 0x72 0x8D),
        &|_a, b, i| shuffle::pshufd(Xmm(b), i).0,
    );
    run_imm(
        "pshuflw",
        &with_imms!(pshuflw; 0x00 0x1B 0xE4 0x4E 0xB1 0x39 0x93 0xFF 0x55 0xAA 0x72 0x8D),
        &|_a, b, i| shuffle::pshuflw(Xmm(b), i).0,
    );
    run_imm(
        "pshufhw",
        &with_imms!(pshufhw; 0x00 0x1B 0xE4 0x4E 0xB1 0x39 0x93 0xFF 0x55 0xAA 0x72 0x8D),
        &|_a, b, i| shuffle::pshufhw(Xmm(b), i).0,
    );
    run_imm(
        "shufps",
        &with_imms!(shufps; 0x00 0x1B 0xE4 0x4E 0xB1 0x39 0x93 0xFF 0x55 0xAA 0x72 0x8D),
        &|a, b, i| shuffle::shufps(Xmm(a), Xmm(b), i).0,
    );
    run_imm(
        "shufpd",
        &with_imms!(shufpd; 0 1 2 3 0xFC 0xFF),
        &|a, b, i| shuffle::shufpd(Xmm(a), Xmm(b), i).0,
    );
    run_imm(
        "pslldq",
        &with_imms!(pslldq; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 127 255),
        &|a, _b, i| shuffle::pslldq(Xmm(a), i).0,
    );
    run_imm(
        "psrldq",
        &with_imms!(psrldq; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 127 255),
        &|a, _b, i| shuffle::psrldq(Xmm(a), i).0,
    );
    run_imm(
        "pextrw",
        &with_imms!(pextrw; 0 1 2 3 4 5 6 7 8 13 255),
        &|a, _b, i| int::pextrw(Xmm(a), i) as u128,
    );
    run_imm(
        "pinsrw",
        &with_imms!(pinsrw; 0 1 2 3 4 5 6 7 8 13 255),
        &|a, b, i| int::pinsrw(Xmm(a), b as u32, i).0,
    );
}

#[test]
fn simd_diff_pshufw() {
    let table: [(u8, NativeMm); 8] = [
        (0x00, native::pshufw::<0x00>),
        (0x1B, native::pshufw::<0x1B>),
        (0xE4, native::pshufw::<0xE4>),
        (0x4E, native::pshufw::<0x4E>),
        (0xB1, native::pshufw::<0xB1>),
        (0x93, native::pshufw::<0x93>),
        (0xFF, native::pshufw::<0xFF>),
        (0x72, native::pshufw::<0x72>),
    ];
    for (imm, native) in table {
        run_mm("pshufw", &|_a, b| int::pshufw(b, imm), &native, false);
    }
}

#[test]
fn simd_mmx_pextrw_pinsrw_use_four_lanes() {
    let v: u64 = 0x4444_3333_2222_1111;
    assert_eq!(int::pextrw(v, 5), 0x2222);
    assert_eq!(int::pinsrw(v, 0xABCD_9999, 6), 0x4444_9999_2222_1111);
}

/// Shift-by-immediate forms: the interpreter passes the immediate as the count.
macro_rules! shift_imm_test {
    ($test:ident, $op:ident) => {
        #[test]
        fn $test() {
            let xmm = with_imms!(shift_imm::$op; 0 1 7 8 15 16 17 31 32 33 63 64 65 127 128 255);
            run_imm(stringify!($op), &xmm, &|a, _b, i| int::$op(Xmm(a), i as u64).0);
            let mm: [(u8, NativeMm); 8] = [
                (0, native::shift_imm::mm::$op::<0>),
                (1, native::shift_imm::mm::$op::<1>),
                (15, native::shift_imm::mm::$op::<15>),
                (16, native::shift_imm::mm::$op::<16>),
                (31, native::shift_imm::mm::$op::<31>),
                (32, native::shift_imm::mm::$op::<32>),
                (63, native::shift_imm::mm::$op::<63>),
                (255, native::shift_imm::mm::$op::<255>),
            ];
            for (imm, native) in mm {
                run_mm(stringify!($op), &|a, _b| int::$op(a, imm as u64), &native, false);
            }
        }
    };
}

shift_imm_test!(simd_diff_psllw_imm, psllw);
shift_imm_test!(simd_diff_pslld_imm, pslld);
shift_imm_test!(simd_diff_psllq_imm, psllq);
shift_imm_test!(simd_diff_psrlw_imm, psrlw);
shift_imm_test!(simd_diff_psrld_imm, psrld);
shift_imm_test!(simd_diff_psrlq_imm, psrlq);
shift_imm_test!(simd_diff_psraw_imm, psraw);
shift_imm_test!(simd_diff_psrad_imm, psrad);

#[test]
fn simd_diff_pextrw_pinsrw_mm() {
    let extract: [(u8, NativeMm); 6] = [
        (0, native::pextrw_mm::<0>),
        (1, native::pextrw_mm::<1>),
        (3, native::pextrw_mm::<3>),
        (4, native::pextrw_mm::<4>),
        (7, native::pextrw_mm::<7>),
        (255, native::pextrw_mm::<255>),
    ];
    for (imm, native) in extract {
        run_mm(
            "pextrw mm",
            &|a, _b| int::pextrw(a, imm) as u64,
            &native,
            false,
        );
    }
    let insert: [(u8, NativeMm); 6] = [
        (0, native::pinsrw_mm::<0>),
        (1, native::pinsrw_mm::<1>),
        (3, native::pinsrw_mm::<3>),
        (4, native::pinsrw_mm::<4>),
        (7, native::pinsrw_mm::<7>),
        (255, native::pinsrw_mm::<255>),
    ];
    for (imm, native) in insert {
        run_mm(
            "pinsrw mm",
            &|a, b| int::pinsrw(a, b as u32, imm),
            &native,
            false,
        );
    }
}
