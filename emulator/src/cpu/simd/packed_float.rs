//! SSE, SSE2 and SSE3 floating-point arithmetic on XMM values: the `ps`/`pd` (packed) and
//! `ss`/`sd` (scalar, upper lanes from the first operand) forms of add, sub, mul, div,
//! sqrt, min, max and compares, `comis`/`ucomis`, the SSE3 horizontal and add-sub
//! operations, and the `rcp`/`rsqrt` approximations.
//!
//! Every function takes the first (destination) operand first, as in Intel syntax, and
//! returns the result with the exceptions raised by all lanes together; pass them to
//! [`Mxcsr::commit`]. Element arithmetic lives in `ieee`.

use super::ieee::{self, Control, Format, Relation, BINARY32, BINARY64};
use super::mxcsr::{Exceptions, Mxcsr};
use super::xmm::Xmm;

#[inline(always)]
fn packed32(
    a: Xmm,
    b: Xmm,
    mxcsr: Mxcsr,
    op: impl Fn(Format, u64, u64, Control) -> (u64, Exceptions),
) -> (Xmm, Exceptions) {
    let ctl = Control::new(mxcsr);
    let (x, y) = (a.u32x4(), b.u32x4());
    let mut out = [0u32; 4];
    let mut flags = Exceptions::NONE;
    for i in 0..4 {
        let (r, f) = op(BINARY32, x[i] as u64, y[i] as u64, ctl);
        out[i] = r as u32;
        flags |= f;
    }
    (Xmm::from_u32x4(out), flags)
}

#[inline(always)]
fn packed64(
    a: Xmm,
    b: Xmm,
    mxcsr: Mxcsr,
    op: impl Fn(Format, u64, u64, Control) -> (u64, Exceptions),
) -> (Xmm, Exceptions) {
    let ctl = Control::new(mxcsr);
    let (x, y) = (a.u64x2(), b.u64x2());
    let (r0, f0) = op(BINARY64, x[0], y[0], ctl);
    let (r1, f1) = op(BINARY64, x[1], y[1], ctl);
    (Xmm::from_u64x2([r0, r1]), f0 | f1)
}

#[inline(always)]
fn scalar32(
    a: Xmm,
    b: u32,
    mxcsr: Mxcsr,
    op: impl Fn(Format, u64, u64, Control) -> (u64, Exceptions),
) -> (Xmm, Exceptions) {
    let (r, f) = op(BINARY32, a.0 as u32 as u64, b as u64, Control::new(mxcsr));
    (a.with_low32(r as u32), f)
}

#[inline(always)]
fn scalar64(
    a: Xmm,
    b: u64,
    mxcsr: Mxcsr,
    op: impl Fn(Format, u64, u64, Control) -> (u64, Exceptions),
) -> (Xmm, Exceptions) {
    let (r, f) = op(BINARY64, a.low64(), b, Control::new(mxcsr));
    (a.with_low64(r), f)
}

#[inline(always)]
fn lane_add(f: Format, a: u64, b: u64, c: Control) -> (u64, Exceptions) {
    ieee::add(f, a, b, false, c)
}
#[inline(always)]
fn lane_sub(f: Format, a: u64, b: u64, c: Control) -> (u64, Exceptions) {
    ieee::add(f, a, b, true, c)
}
#[inline(always)]
fn lane_min(f: Format, a: u64, b: u64, c: Control) -> (u64, Exceptions) {
    ieee::min_max(f, a, b, false, c)
}
#[inline(always)]
fn lane_max(f: Format, a: u64, b: u64, c: Control) -> (u64, Exceptions) {
    ieee::min_max(f, a, b, true, c)
}
#[inline(always)]
fn lane_sqrt(f: Format, _a: u64, b: u64, c: Control) -> (u64, Exceptions) {
    ieee::sqrt(f, b, c)
}

macro_rules! float_ops {
    ($lane:expr, $ps:ident, $ss:ident, $pd:ident, $sd:ident, $what:literal) => {
        #[doc = concat!("`", stringify!($ps), "`: ", $what, " on four binary32 lanes.")]
        #[inline]
        pub fn $ps(a: Xmm, b: Xmm, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
            packed32(a, b, mxcsr, $lane)
        }
        #[doc = concat!("`", stringify!($ss), "`: ", $what, " on the low binary32 lane; `b` is the source's low 32 bits.")]
        #[inline]
        pub fn $ss(a: Xmm, b: u32, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
            scalar32(a, b, mxcsr, $lane)
        }
        #[doc = concat!("`", stringify!($pd), "`: ", $what, " on two binary64 lanes.")]
        #[inline]
        pub fn $pd(a: Xmm, b: Xmm, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
            packed64(a, b, mxcsr, $lane)
        }
        #[doc = concat!("`", stringify!($sd), "`: ", $what, " on the low binary64 lane; `b` is the source's low 64 bits.")]
        #[inline]
        pub fn $sd(a: Xmm, b: u64, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
            scalar64(a, b, mxcsr, $lane)
        }
    };
}

float_ops!(lane_add, addps, addss, addpd, addsd, "a + b");
float_ops!(lane_sub, subps, subss, subpd, subsd, "a - b");
float_ops!(ieee::mul, mulps, mulss, mulpd, mulsd, "a * b");
float_ops!(ieee::div, divps, divss, divpd, divsd, "a / b");
float_ops!(
    lane_min,
    minps,
    minss,
    minpd,
    minsd,
    "the minimum (second operand on NaN or equal)"
);
float_ops!(
    lane_max,
    maxps,
    maxss,
    maxpd,
    maxsd,
    "the maximum (second operand on NaN or equal)"
);
float_ops!(
    lane_sqrt,
    sqrtps,
    sqrtss,
    sqrtpd,
    sqrtsd,
    "the square root of b (a gives the upper lanes of the scalar forms)"
);

/// The `cmpps`/`cmpss`/`cmppd`/`cmpsd` predicate for immediates 0-7 (higher bits ignored):
/// true gives an all-ones lane.
#[inline]
fn predicate_holds(predicate: u8, relation: Relation) -> bool {
    use Relation::*;
    match predicate & 7 {
        0 => relation == Equal,
        1 => relation == Less,
        2 => matches!(relation, Less | Equal),
        3 => relation == Unordered,
        4 => relation != Equal,
        5 => relation != Less,
        6 => !matches!(relation, Less | Equal),
        _ => relation != Unordered,
    }
}

/// Whether the predicate signals IE on a quiet NaN (LT, LE, NLT, NLE).
#[inline]
fn predicate_signals(predicate: u8) -> bool {
    matches!(predicate & 7, 1 | 2 | 5 | 6)
}

#[inline]
fn compare_lane(fmt: Format, a: u64, b: u64, predicate: u8, ctl: Control) -> (bool, Exceptions) {
    let (rel, f) = ieee::compare(fmt, a, b, predicate_signals(predicate), ctl);
    (predicate_holds(predicate, rel), f)
}

/// `cmpps xmm1, xmm2, imm8`.
pub fn cmpps(a: Xmm, b: Xmm, predicate: u8, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    let ctl = Control::new(mxcsr);
    let (x, y) = (a.u32x4(), b.u32x4());
    let mut out = [0u32; 4];
    let mut flags = Exceptions::NONE;
    for i in 0..4 {
        let (t, f) = compare_lane(BINARY32, x[i] as u64, y[i] as u64, predicate, ctl);
        out[i] = if t { u32::MAX } else { 0 };
        flags |= f;
    }
    (Xmm::from_u32x4(out), flags)
}

/// `cmpss xmm1, xmm2/m32, imm8`.
pub fn cmpss(a: Xmm, b: u32, predicate: u8, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    let (t, f) = compare_lane(
        BINARY32,
        a.0 as u32 as u64,
        b as u64,
        predicate,
        Control::new(mxcsr),
    );
    (a.with_low32(if t { u32::MAX } else { 0 }), f)
}

/// `cmppd xmm1, xmm2, imm8`.
pub fn cmppd(a: Xmm, b: Xmm, predicate: u8, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    let ctl = Control::new(mxcsr);
    let (x, y) = (a.u64x2(), b.u64x2());
    let (t0, f0) = compare_lane(BINARY64, x[0], y[0], predicate, ctl);
    let (t1, f1) = compare_lane(BINARY64, x[1], y[1], predicate, ctl);
    let lane = |t: bool| if t { u64::MAX } else { 0 };
    (Xmm::from_u64x2([lane(t0), lane(t1)]), f0 | f1)
}

/// `cmpsd xmm1, xmm2/m64, imm8` (the SSE2 compare, not the string instruction).
pub fn cmpsd(a: Xmm, b: u64, predicate: u8, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    let (t, f) = compare_lane(BINARY64, a.low64(), b, predicate, Control::new(mxcsr));
    (a.with_low64(if t { u64::MAX } else { 0 }), f)
}

/// EFLAGS bits written by `comis*`/`ucomis*`.
pub mod eflags {
    pub const CF: u32 = 1 << 0;
    pub const PF: u32 = 1 << 2;
    pub const AF: u32 = 1 << 4;
    pub const ZF: u32 = 1 << 6;
    pub const SF: u32 = 1 << 7;
    pub const OF: u32 = 1 << 11;
    /// The flags `comis*` writes: ZF, PF and CF from the result; OF, SF and AF cleared.
    pub const WRITTEN: u32 = CF | PF | AF | ZF | SF | OF;
}

#[inline]
fn relation_eflags(relation: Relation) -> u32 {
    match relation {
        Relation::Unordered => eflags::ZF | eflags::PF | eflags::CF,
        Relation::Less => eflags::CF,
        Relation::Equal => eflags::ZF,
        Relation::Greater => 0,
    }
}

/// `comiss`: returns the new values of the [`eflags::WRITTEN`] bits. IE on any NaN.
pub fn comiss(a: u32, b: u32, mxcsr: Mxcsr) -> (u32, Exceptions) {
    let (r, f) = ieee::compare(BINARY32, a as u64, b as u64, true, Control::new(mxcsr));
    (relation_eflags(r), f)
}
/// `ucomiss`: like [`comiss`] but IE only for a signalling NaN.
pub fn ucomiss(a: u32, b: u32, mxcsr: Mxcsr) -> (u32, Exceptions) {
    let (r, f) = ieee::compare(BINARY32, a as u64, b as u64, false, Control::new(mxcsr));
    (relation_eflags(r), f)
}
/// `comisd`.
pub fn comisd(a: u64, b: u64, mxcsr: Mxcsr) -> (u32, Exceptions) {
    let (r, f) = ieee::compare(BINARY64, a, b, true, Control::new(mxcsr));
    (relation_eflags(r), f)
}
/// `ucomisd`.
pub fn ucomisd(a: u64, b: u64, mxcsr: Mxcsr) -> (u32, Exceptions) {
    let (r, f) = ieee::compare(BINARY64, a, b, false, Control::new(mxcsr));
    (relation_eflags(r), f)
}

/// `addsubps` (SSE3): even lanes subtract, odd lanes add.
pub fn addsubps(a: Xmm, b: Xmm, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    let ctl = Control::new(mxcsr);
    let (x, y) = (a.u32x4(), b.u32x4());
    let mut out = [0u32; 4];
    let mut flags = Exceptions::NONE;
    for i in 0..4 {
        let (r, f) = ieee::add(BINARY32, x[i] as u64, y[i] as u64, i % 2 == 0, ctl);
        out[i] = r as u32;
        flags |= f;
    }
    (Xmm::from_u32x4(out), flags)
}

/// `addsubpd` (SSE3): lane 0 subtracts, lane 1 adds.
pub fn addsubpd(a: Xmm, b: Xmm, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    let ctl = Control::new(mxcsr);
    let (x, y) = (a.u64x2(), b.u64x2());
    let (r0, f0) = ieee::add(BINARY64, x[0], y[0], true, ctl);
    let (r1, f1) = ieee::add(BINARY64, x[1], y[1], false, ctl);
    (Xmm::from_u64x2([r0, r1]), f0 | f1)
}

fn horizontal32(a: Xmm, b: Xmm, subtract: bool, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    let ctl = Control::new(mxcsr);
    let (x, y) = (a.u32x4(), b.u32x4());
    let pairs = [(x[0], x[1]), (x[2], x[3]), (y[0], y[1]), (y[2], y[3])];
    let mut out = [0u32; 4];
    let mut flags = Exceptions::NONE;
    for (o, (p, q)) in out.iter_mut().zip(pairs) {
        let (r, f) = ieee::add(BINARY32, p as u64, q as u64, subtract, ctl);
        *o = r as u32;
        flags |= f;
    }
    (Xmm::from_u32x4(out), flags)
}

fn horizontal64(a: Xmm, b: Xmm, subtract: bool, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    let ctl = Control::new(mxcsr);
    let (x, y) = (a.u64x2(), b.u64x2());
    let (r0, f0) = ieee::add(BINARY64, x[0], x[1], subtract, ctl);
    let (r1, f1) = ieee::add(BINARY64, y[0], y[1], subtract, ctl);
    (Xmm::from_u64x2([r0, r1]), f0 | f1)
}

/// `haddps` (SSE3): `[a0+a1, a2+a3, b0+b1, b2+b3]`.
pub fn haddps(a: Xmm, b: Xmm, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    horizontal32(a, b, false, mxcsr)
}
/// `hsubps` (SSE3): `[a0-a1, a2-a3, b0-b1, b2-b3]`.
pub fn hsubps(a: Xmm, b: Xmm, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    horizontal32(a, b, true, mxcsr)
}
/// `haddpd` (SSE3): `[a0+a1, b0+b1]`.
pub fn haddpd(a: Xmm, b: Xmm, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    horizontal64(a, b, false, mxcsr)
}
/// `hsubpd` (SSE3): `[a0-a1, b0-b1]`.
pub fn hsubpd(a: Xmm, b: Xmm, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    horizontal64(a, b, true, mxcsr)
}

/// One lane of `rcpps`: about 1/x with |relative error| <= 1.5 * 2^-12, never raising
/// an exception and ignoring MXCSR. Denormal inputs count as zero and results below the
/// normal range are flushed to zero, as on hardware. This model returns the correctly
/// rounded binary32 1/x rounded again to 12 significant bits (hardware tables differ
/// between vendors, so no model matches them all).
pub fn reciprocal_lane(x: u32) -> u32 {
    let f = BINARY32;
    let x64 = x as u64;
    let sign = f.is_negative(x64);
    if f.is_nan(x64) {
        return f.quiet(x64) as u32;
    }
    if f.is_zero(x64) || f.is_denormal(x64) {
        return f.infinity(sign) as u32;
    }
    if f.is_infinite(x64) {
        return f.zero(sign) as u32;
    }
    approximate(
        ieee::div(
            f,
            0x3F80_0000 | (sign as u64) << 31,
            x64 & !f.sign_bit(),
            rcp_control(),
        )
        .0 as u32,
    )
}

/// One lane of `rsqrtps`: about 1/sqrt(x), same error bound and rules as
/// [`reciprocal_lane`]; a negative nonzero input gives the default NaN.
pub fn reciprocal_sqrt_lane(x: u32) -> u32 {
    let f = BINARY32;
    let x64 = x as u64;
    if f.is_nan(x64) {
        return f.quiet(x64) as u32;
    }
    if f.is_zero(x64) || f.is_denormal(x64) {
        return f.infinity(f.is_negative(x64)) as u32;
    }
    if f.is_negative(x64) {
        return f.default_nan() as u32;
    }
    if f.is_infinite(x64) {
        return 0;
    }
    let ctl = rcp_control();
    let (root, _) = ieee::sqrt(f, x64, ctl);
    approximate(ieee::div(f, 0x3F80_0000, root, ctl).0 as u32)
}

/// Exact-enough arithmetic for the approximations: round to nearest, flush tiny results.
fn rcp_control() -> Control {
    Control::new(Mxcsr::from_bits_truncate(0x1F80 | 0x8000 | 0x40))
}

/// Rounds a binary32 to 12 significant bits (nearest, ties away), as a table lookup would
/// give; keeps zero, infinity and NaN.
fn approximate(x: u32) -> u32 {
    const DROPPED: u32 = 23 - 11;
    let exp = (x >> 23) & 0xFF;
    if exp == 0 || exp == 0xFF {
        return x;
    }
    // A carry into the exponent field is a correct rounding; a carry to infinity cannot
    // happen because 1/x of a normal binary32 is far below the overflow threshold.
    x.wrapping_add(1 << (DROPPED - 1)) & !((1 << DROPPED) - 1)
}

/// `rcpps`.
pub fn rcpps(b: Xmm) -> Xmm {
    Xmm::from_u32x4(b.u32x4().map(reciprocal_lane))
}
/// `rcpss xmm1, xmm2/m32`.
pub fn rcpss(a: Xmm, b: u32) -> Xmm {
    a.with_low32(reciprocal_lane(b))
}
/// `rsqrtps`.
pub fn rsqrtps(b: Xmm) -> Xmm {
    Xmm::from_u32x4(b.u32x4().map(reciprocal_sqrt_lane))
}
/// `rsqrtss xmm1, xmm2/m32`.
pub fn rsqrtss(a: Xmm, b: u32) -> Xmm {
    a.with_low32(reciprocal_sqrt_lane(b))
}
