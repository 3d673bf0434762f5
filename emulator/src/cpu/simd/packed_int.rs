//! MMX and SSE2 integer operations: wrapping and saturating add/sub, multiplies,
//! averages, sum of absolute differences, min/max, compares, logic, shifts, packs,
//! unpacks, `pmovmskb`, `pextrw`/`pinsrw`, `pshufw` and the byte mask of
//! `maskmovq`/`maskmovdqu`.
//!
//! Each function is generic over [`SimdReg`], so the same function serves the MMX form
//! (`u64`) and the XMM form ([`Xmm`](super::Xmm)); the semantics of the two forms are
//! identical lane by lane, and the cross-lane operations (packs, unpacks, `psadbw`,
//! `pmuludq`) are defined on the register width. The first argument is the destination
//! operand, as in Intel syntax. No flags, no MXCSR, no panics. `andps`/`andnps`/`orps`/
//! `xorps` and their `pd` forms are [`pand`], [`pandn`], [`por`], [`pxor`].

use super::xmm::SimdReg;

/// Lane `i` of width `w` bits (8, 16, 32 or 64) of a 128-bit value, zero-extended.
#[inline(always)]
fn lane(v: u128, w: u32, i: u32) -> u64 {
    ((v >> (i * w)) as u64) & (u64::MAX >> (64 - w))
}

/// A lane value sign-extended from `w` bits.
#[inline(always)]
fn signed(x: u64, w: u32) -> i64 {
    ((x << (64 - w)) as i64) >> (64 - w)
}

#[inline(always)]
fn lanes<V: SimdReg>(w: u32) -> u32 {
    V::BYTES * 8 / w
}

/// Applies `f` to each pair of `w`-bit lanes.
#[inline(always)]
fn map2<V: SimdReg>(a: V, b: V, w: u32, f: impl Fn(u64, u64) -> u64) -> V {
    let (x, y) = (a.to_u128(), b.to_u128());
    let mask = u64::MAX >> (64 - w);
    let mut out = 0u128;
    for i in 0..lanes::<V>(w) {
        out |= ((f(lane(x, w, i), lane(y, w, i)) & mask) as u128) << (i * w);
    }
    V::from_u128(out)
}

/// Applies `f` to each `w`-bit lane.
#[inline(always)]
fn map1<V: SimdReg>(a: V, w: u32, f: impl Fn(u64) -> u64) -> V {
    map2(a, a, w, |x, _| f(x))
}

#[inline(always)]
fn saturate_signed(v: i64, w: u32) -> u64 {
    let max = (1i64 << (w - 1)) - 1;
    v.clamp(-max - 1, max) as u64
}

#[inline(always)]
fn saturate_unsigned(v: i64, w: u32) -> u64 {
    v.clamp(0, (1i64 << w) - 1) as u64
}

macro_rules! lanewise {
    ($($(#[$doc:meta])* $name:ident, $w:expr, |$x:ident, $y:ident| $body:expr;)*) => {
        $(
            $(#[$doc])*
            #[inline]
            pub fn $name<V: SimdReg>(a: V, b: V) -> V {
                map2(a, b, $w, |$x, $y| $body)
            }
        )*
    };
}

lanewise! {
    /// `paddb`: wrapping byte add.
    paddb, 8, |x, y| x.wrapping_add(y);
    /// `paddw`.
    paddw, 16, |x, y| x.wrapping_add(y);
    /// `paddd`.
    paddd, 32, |x, y| x.wrapping_add(y);
    /// `paddq`.
    paddq, 64, |x, y| x.wrapping_add(y);
    /// `psubb`: wrapping byte subtract.
    psubb, 8, |x, y| x.wrapping_sub(y);
    /// `psubw`.
    psubw, 16, |x, y| x.wrapping_sub(y);
    /// `psubd`.
    psubd, 32, |x, y| x.wrapping_sub(y);
    /// `psubq`.
    psubq, 64, |x, y| x.wrapping_sub(y);
    /// `paddsb`: signed saturating.
    paddsb, 8, |x, y| saturate_signed(signed(x, 8) + signed(y, 8), 8);
    /// `paddsw`.
    paddsw, 16, |x, y| saturate_signed(signed(x, 16) + signed(y, 16), 16);
    /// `psubsb`.
    psubsb, 8, |x, y| saturate_signed(signed(x, 8) - signed(y, 8), 8);
    /// `psubsw`.
    psubsw, 16, |x, y| saturate_signed(signed(x, 16) - signed(y, 16), 16);
    /// `paddusb`: unsigned saturating.
    paddusb, 8, |x, y| saturate_unsigned(x as i64 + y as i64, 8);
    /// `paddusw`.
    paddusw, 16, |x, y| saturate_unsigned(x as i64 + y as i64, 16);
    /// `psubusb`.
    psubusb, 8, |x, y| saturate_unsigned(x as i64 - y as i64, 8);
    /// `psubusw`.
    psubusw, 16, |x, y| saturate_unsigned(x as i64 - y as i64, 16);
    /// `pmullw`: low 16 bits of the product.
    pmullw, 16, |x, y| x.wrapping_mul(y);
    /// `pmulhw`: high 16 bits of the signed product.
    pmulhw, 16, |x, y| ((signed(x, 16) * signed(y, 16)) >> 16) as u64;
    /// `pmulhuw`: high 16 bits of the unsigned product.
    pmulhuw, 16, |x, y| (x * y) >> 16;
    /// `pmuludq`: the low dwords of each quadword multiplied into a quadword.
    pmuludq, 64, |x, y| (x & 0xFFFF_FFFF) * (y & 0xFFFF_FFFF);
    /// `pavgb`: unsigned average rounded up.
    pavgb, 8, |x, y| (x + y + 1) >> 1;
    /// `pavgw`.
    pavgw, 16, |x, y| (x + y + 1) >> 1;
    /// `pminub`.
    pminub, 8, |x, y| x.min(y);
    /// `pmaxub`.
    pmaxub, 8, |x, y| x.max(y);
    /// `pminsw`.
    pminsw, 16, |x, y| signed(x, 16).min(signed(y, 16)) as u64;
    /// `pmaxsw`.
    pmaxsw, 16, |x, y| signed(x, 16).max(signed(y, 16)) as u64;
    /// `pcmpeqb`: all ones where equal.
    pcmpeqb, 8, |x, y| if x == y { u64::MAX } else { 0 };
    /// `pcmpeqw`.
    pcmpeqw, 16, |x, y| if x == y { u64::MAX } else { 0 };
    /// `pcmpeqd`.
    pcmpeqd, 32, |x, y| if x == y { u64::MAX } else { 0 };
    /// `pcmpgtb`: all ones where the destination is greater (signed).
    pcmpgtb, 8, |x, y| if signed(x, 8) > signed(y, 8) { u64::MAX } else { 0 };
    /// `pcmpgtw`.
    pcmpgtw, 16, |x, y| if signed(x, 16) > signed(y, 16) { u64::MAX } else { 0 };
    /// `pcmpgtd`.
    pcmpgtd, 32, |x, y| if signed(x, 32) > signed(y, 32) { u64::MAX } else { 0 };
}

/// `pmaddwd`: adjacent signed word products summed into dwords (0x8000 * 0x8000 twice
/// wraps to 0x80000000).
#[inline]
pub fn pmaddwd<V: SimdReg>(a: V, b: V) -> V {
    let (x, y) = (a.to_u128(), b.to_u128());
    let mut out = 0u128;
    for i in 0..lanes::<V>(32) {
        let p = |j: u32| signed(lane(x, 16, j), 16) * signed(lane(y, 16, j), 16);
        let sum = (p(2 * i) + p(2 * i + 1)) as u64 & 0xFFFF_FFFF;
        out |= (sum as u128) << (32 * i);
    }
    V::from_u128(out)
}

/// `psadbw`: per quadword, the sum of absolute byte differences in the low word.
#[inline]
pub fn psadbw<V: SimdReg>(a: V, b: V) -> V {
    let (x, y) = (a.to_u128(), b.to_u128());
    let mut out = 0u128;
    for q in 0..lanes::<V>(64) {
        let sum: u64 = (0..8)
            .map(|j| lane(x, 8, q * 8 + j).abs_diff(lane(y, 8, q * 8 + j)))
            .sum();
        out |= (sum as u128) << (64 * q);
    }
    V::from_u128(out)
}

/// `pand`, also `andps`/`andpd`.
#[inline]
pub fn pand<V: SimdReg>(a: V, b: V) -> V {
    V::from_u128(a.to_u128() & b.to_u128())
}
/// `pandn`: `!a & b`, also `andnps`/`andnpd`.
#[inline]
pub fn pandn<V: SimdReg>(a: V, b: V) -> V {
    V::from_u128(!a.to_u128() & b.to_u128())
}
/// `por`, also `orps`/`orpd`.
#[inline]
pub fn por<V: SimdReg>(a: V, b: V) -> V {
    V::from_u128(a.to_u128() | b.to_u128())
}
/// `pxor`, also `xorps`/`xorpd`.
#[inline]
pub fn pxor<V: SimdReg>(a: V, b: V) -> V {
    V::from_u128(a.to_u128() ^ b.to_u128())
}

macro_rules! shifts {
    ($($(#[$doc:meta])* $name:ident, $w:expr, $kind:ident;)*) => {
        $(
            $(#[$doc])*
            ///
            /// `count` is the whole 64-bit count operand (the source's low quadword, or
            /// the immediate); counts at or above the lane width clear the lane (or fill
            /// it with the sign for arithmetic shifts).
            #[inline]
            pub fn $name<V: SimdReg>(a: V, count: u64) -> V {
                shifts!(@apply $kind, a, $w, count)
            }
        )*
    };
    (@apply left, $a:expr, $w:expr, $count:expr) => {
        if $count >= $w { V::from_u128(0) } else { map1($a, $w, |x| x << $count) }
    };
    (@apply right, $a:expr, $w:expr, $count:expr) => {
        if $count >= $w { V::from_u128(0) } else { map1($a, $w, |x| x >> $count) }
    };
    (@apply arithmetic, $a:expr, $w:expr, $count:expr) => {{
        let c = $count.min($w - 1);
        map1($a, $w, |x| (signed(x, $w) >> c) as u64)
    }};
}

shifts! {
    /// `psllw`.
    psllw, 16, left;
    /// `pslld`.
    pslld, 32, left;
    /// `psllq`.
    psllq, 64, left;
    /// `psrlw`.
    psrlw, 16, right;
    /// `psrld`.
    psrld, 32, right;
    /// `psrlq`.
    psrlq, 64, right;
    /// `psraw`.
    psraw, 16, arithmetic;
    /// `psrad`.
    psrad, 32, arithmetic;
}

/// Packs the `w`-bit lanes of `a` then `b` into `w/2`-bit lanes with `saturate`.
#[inline(always)]
fn pack<V: SimdReg>(a: V, b: V, w: u32, saturate: impl Fn(i64) -> u64) -> V {
    let n = lanes::<V>(w);
    let half = w / 2;
    let mask = u64::MAX >> (64 - half);
    let mut out = 0u128;
    for (k, src) in [a.to_u128(), b.to_u128()].into_iter().enumerate() {
        for i in 0..n {
            let v = saturate(signed(lane(src, w, i), w)) & mask;
            out |= (v as u128) << ((k as u32 * n + i) * half);
        }
    }
    V::from_u128(out)
}

/// `packsswb`: signed words to signed bytes, saturating.
#[inline]
pub fn packsswb<V: SimdReg>(a: V, b: V) -> V {
    pack(a, b, 16, |v| saturate_signed(v, 8))
}
/// `packssdw`: signed dwords to signed words, saturating.
#[inline]
pub fn packssdw<V: SimdReg>(a: V, b: V) -> V {
    pack(a, b, 32, |v| saturate_signed(v, 16))
}
/// `packuswb`: signed words to unsigned bytes, saturating.
#[inline]
pub fn packuswb<V: SimdReg>(a: V, b: V) -> V {
    pack(a, b, 16, |v| saturate_unsigned(v, 8))
}

/// Interleaves the low (or high) halves' `w`-bit lanes of `a` and `b`.
#[inline(always)]
fn unpack<V: SimdReg>(a: V, b: V, w: u32, high: bool) -> V {
    let n = lanes::<V>(w);
    let start = if high { n / 2 } else { 0 };
    let (x, y) = (a.to_u128(), b.to_u128());
    let mut out = 0u128;
    for i in 0..n / 2 {
        out |= (lane(x, w, start + i) as u128) << (2 * i * w);
        out |= (lane(y, w, start + i) as u128) << ((2 * i + 1) * w);
    }
    V::from_u128(out)
}

macro_rules! unpacks {
    ($($(#[$doc:meta])* $name:ident, $w:expr, $high:expr;)*) => {
        $(
            $(#[$doc])*
            #[inline]
            pub fn $name<V: SimdReg>(a: V, b: V) -> V {
                unpack(a, b, $w, $high)
            }
        )*
    };
}

unpacks! {
    /// `punpcklbw`.
    punpcklbw, 8, false;
    /// `punpcklwd`.
    punpcklwd, 16, false;
    /// `punpckldq`, also `unpcklps` on XMM.
    punpckldq, 32, false;
    /// `punpcklqdq` (XMM only), also `unpcklpd`.
    punpcklqdq, 64, false;
    /// `punpckhbw`.
    punpckhbw, 8, true;
    /// `punpckhwd`.
    punpckhwd, 16, true;
    /// `punpckhdq`, also `unpckhps` on XMM.
    punpckhdq, 32, true;
    /// `punpckhqdq` (XMM only), also `unpckhpd`.
    punpckhqdq, 64, true;
}

/// `pmovmskb`: the top bit of each byte, zero-extended into a 32-bit register.
#[inline]
pub fn pmovmskb<V: SimdReg>(a: V) -> u32 {
    let x = a.to_u128();
    (0..V::BYTES).fold(0, |acc, i| acc | (((x >> (8 * i + 7)) & 1) as u32) << i)
}

/// `maskmovq`/`maskmovdqu`: bit `i` set means byte `i` of the data goes to memory at
/// `[edi + i]`. Bytes whose mask bit is clear are not accessed.
#[inline]
pub fn maskmov_byte_mask<V: SimdReg>(mask: V) -> u32 {
    pmovmskb(mask)
}

/// `pextrw r32, reg, imm8`: the selected word, zero-extended (imm modulo lane count).
#[inline]
pub fn pextrw<V: SimdReg>(a: V, imm: u8) -> u32 {
    lane(a.to_u128(), 16, imm as u32 % lanes::<V>(16)) as u32
}

/// `pinsrw reg, r32/m16, imm8`: replaces the selected word with the low 16 bits of `value`.
#[inline]
pub fn pinsrw<V: SimdReg>(a: V, value: u32, imm: u8) -> V {
    let i = imm as u32 % lanes::<V>(16);
    let cleared = a.to_u128() & !(0xFFFFu128 << (16 * i));
    V::from_u128(cleared | ((value & 0xFFFF) as u128) << (16 * i))
}

/// `pshufw mm, mm/m64, imm8`: word `i` of the result is word `imm[2i+1:2i]` of `b`.
#[inline]
pub fn pshufw(b: u64, imm: u8) -> u64 {
    (0..4).fold(0, |acc, i| {
        let sel = (imm >> (2 * i)) & 3;
        acc | ((b >> (16 * sel as u32)) & 0xFFFF) << (16 * i)
    })
}
