//! XMM data movement that does no arithmetic: the shuffles (`pshufd`, `pshuflw`,
//! `pshufhw`, `shufps`, `shufpd`), the float unpacks, whole-register byte shifts
//! (`pslldq`/`psrldq`), sign-mask extraction (`movmskps`/`movmskpd`), the partial moves
//! with their merge-or-zero rules (`movss`, `movsd`, `movlps`, `movhps`, `movhlps`,
//! `movlhps`, `movq`) and the SSE3 duplicates (`movddup`, `movsldup`, `movshdup`).
//!
//! The first argument is the destination operand. Memory forms take the loaded bits.
//! `pshufw` and the integer unpacks live in `packed_int` because MMX shares them.

use super::xmm::Xmm;

/// Selects 32-bit lanes by 2-bit fields of `imm`: lanes 0-1 from `lo`, 2-3 from `hi`.
#[inline]
fn select32(lo: Xmm, hi: Xmm, imm: u8) -> Xmm {
    let (l, h) = (lo.u32x4(), hi.u32x4());
    let pick = |v: [u32; 4], i: u32| v[((imm >> (2 * i)) & 3) as usize];
    Xmm::from_u32x4([pick(l, 0), pick(l, 1), pick(h, 2), pick(h, 3)])
}

/// `pshufd xmm, xmm/m128, imm8`.
#[inline]
pub fn pshufd(b: Xmm, imm: u8) -> Xmm {
    select32(b, b, imm)
}

/// `shufps xmm1, xmm2/m128, imm8`: the two low lanes from `a`, the two high from `b`.
#[inline]
pub fn shufps(a: Xmm, b: Xmm, imm: u8) -> Xmm {
    select32(a, b, imm)
}

/// `shufpd xmm1, xmm2/m128, imm8`: low lane `a[imm.0]`, high lane `b[imm.1]`.
#[inline]
pub fn shufpd(a: Xmm, b: Xmm, imm: u8) -> Xmm {
    let (x, y) = (a.u64x2(), b.u64x2());
    Xmm::from_u64x2([x[(imm & 1) as usize], y[((imm >> 1) & 1) as usize]])
}

/// Shuffles the four words of a quadword.
#[inline]
fn shuffle_words(q: u64, imm: u8) -> u64 {
    (0..4).fold(0, |acc, i| {
        let sel = (imm >> (2 * i)) & 3;
        acc | ((q >> (16 * sel as u32)) & 0xFFFF) << (16 * i)
    })
}

/// `pshuflw xmm, xmm/m128, imm8`: shuffles the low four words, copies the high quadword.
#[inline]
pub fn pshuflw(b: Xmm, imm: u8) -> Xmm {
    Xmm::from_halves(shuffle_words(b.low64(), imm), b.high64())
}

/// `pshufhw xmm, xmm/m128, imm8`: shuffles the high four words, copies the low quadword.
#[inline]
pub fn pshufhw(b: Xmm, imm: u8) -> Xmm {
    Xmm::from_halves(b.low64(), shuffle_words(b.high64(), imm))
}

/// `unpcklps`.
#[inline]
pub fn unpcklps(a: Xmm, b: Xmm) -> Xmm {
    let (x, y) = (a.u32x4(), b.u32x4());
    Xmm::from_u32x4([x[0], y[0], x[1], y[1]])
}
/// `unpckhps`.
#[inline]
pub fn unpckhps(a: Xmm, b: Xmm) -> Xmm {
    let (x, y) = (a.u32x4(), b.u32x4());
    Xmm::from_u32x4([x[2], y[2], x[3], y[3]])
}
/// `unpcklpd`.
#[inline]
pub fn unpcklpd(a: Xmm, b: Xmm) -> Xmm {
    Xmm::from_halves(a.low64(), b.low64())
}
/// `unpckhpd`.
#[inline]
pub fn unpckhpd(a: Xmm, b: Xmm) -> Xmm {
    Xmm::from_halves(a.high64(), b.high64())
}

/// `pslldq xmm, imm8`: shifts the whole register left by `imm` bytes; above 15 clears.
#[inline]
pub fn pslldq(a: Xmm, imm: u8) -> Xmm {
    if imm > 15 {
        Xmm(0)
    } else {
        Xmm(a.0 << (8 * imm as u32))
    }
}

/// `psrldq xmm, imm8`: shifts the whole register right by `imm` bytes; above 15 clears.
#[inline]
pub fn psrldq(a: Xmm, imm: u8) -> Xmm {
    if imm > 15 {
        Xmm(0)
    } else {
        Xmm(a.0 >> (8 * imm as u32))
    }
}

/// `movmskps r32, xmm`: the four sign bits.
#[inline]
pub fn movmskps(a: Xmm) -> u32 {
    a.u32x4()
        .iter()
        .enumerate()
        .fold(0, |acc, (i, &x)| acc | (x >> 31) << i)
}

/// `movmskpd r32, xmm`: the two sign bits.
#[inline]
pub fn movmskpd(a: Xmm) -> u32 {
    ((a.high64() >> 63) as u32) << 1 | (a.low64() >> 63) as u32
}

/// `movss xmm1, xmm2`: low lane from `b`, the rest from `a`.
#[inline]
pub fn movss_reg(a: Xmm, b: Xmm) -> Xmm {
    a.with_low32(b.0 as u32)
}
/// `movss xmm, m32`: the loaded value with the upper lanes zeroed.
#[inline]
pub fn movss_load(value: u32) -> Xmm {
    Xmm(value as u128)
}
/// `movsd xmm1, xmm2`: low lane from `b`, the high lane from `a`.
#[inline]
pub fn movsd_reg(a: Xmm, b: Xmm) -> Xmm {
    a.with_low64(b.low64())
}
/// `movsd xmm, m64`, also `movq xmm, xmm/m64` and `movq2dq`: high lane zeroed.
#[inline]
pub fn movsd_load(value: u64) -> Xmm {
    Xmm(value as u128)
}
/// `movlps`/`movlpd xmm, m64`: replaces the low quadword, keeps the high.
#[inline]
pub fn movlps_load(a: Xmm, value: u64) -> Xmm {
    a.with_low64(value)
}
/// `movhps`/`movhpd xmm, m64`: replaces the high quadword, keeps the low.
#[inline]
pub fn movhps_load(a: Xmm, value: u64) -> Xmm {
    Xmm::from_halves(a.low64(), value)
}
/// `movhlps xmm1, xmm2`: low quadword of `a` becomes the high quadword of `b`.
#[inline]
pub fn movhlps(a: Xmm, b: Xmm) -> Xmm {
    Xmm::from_halves(b.high64(), a.high64())
}
/// `movlhps xmm1, xmm2`: high quadword of `a` becomes the low quadword of `b`.
#[inline]
pub fn movlhps(a: Xmm, b: Xmm) -> Xmm {
    Xmm::from_halves(a.low64(), b.low64())
}
/// `movddup` (SSE3): the low quadword of the source in both halves.
#[inline]
pub fn movddup(b: u64) -> Xmm {
    Xmm::from_halves(b, b)
}
/// `movsldup` (SSE3): even lanes duplicated.
#[inline]
pub fn movsldup(b: Xmm) -> Xmm {
    let x = b.u32x4();
    Xmm::from_u32x4([x[0], x[0], x[2], x[2]])
}
/// `movshdup` (SSE3): odd lanes duplicated.
#[inline]
pub fn movshdup(b: Xmm) -> Xmm {
    let x = b.u32x4();
    Xmm::from_u32x4([x[1], x[1], x[3], x[3]])
}
