//! The x87 transcendental instructions: FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X and
//! FYL2XP1. Each is evaluated in a 128-bit-significand software format ([`Wide`]) and rounded
//! once to the 64-bit extended significand, so results are within one unit in the last place
//! of the true value and usually correctly rounded. Like the hardware, the trigonometric
//! functions reduce their argument with a 66-bit approximation of pi (so results for large
//! arguments follow the hardware, not the true value) and refuse arguments of magnitude 2^63
//! or more (the caller sets C2 and leaves the operand).

use super::arith::{self, infinity, invalid, special_pair, special_single, zero, Outcome};
use super::float80::{Class, Unpacked, EXP_BIAS, F80};
use super::round::{round_to_format, Control, Flags, Format};

/// pi rounded to 66 significant bits, as an integer: pi = PI_66 * 2^-64.
const PI_66: u128 = (0xC90F_DAA2_2168_C234u128 << 2) | 3;

/// A working value: `m * 2^(exp - 127)` with `m` normalised (bit 127 set), or zero (m == 0).
/// Operations truncate, so each loses at most one unit of 2^-127 relative. The true value is
/// never exactly `m`: `below` says it lies just below `m` in magnitude (a series whose first
/// omitted term points down), otherwise it is taken to lie just above. This decides the
/// rounding of results that sit right next to a representable number, like sin(x) for tiny x.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Wide {
    neg: bool,
    exp: i32,
    m: u128,
    below: bool,
}

impl Wide {
    const ZERO: Wide = Wide {
        neg: false,
        exp: 0,
        m: 0,
        below: false,
    };

    fn normalised(neg: bool, exp: i32, m: u128) -> Wide {
        if m == 0 {
            return Wide::ZERO;
        }
        let lz = m.leading_zeros();
        Wide {
            neg,
            exp: exp - lz as i32,
            m: m << lz,
            below: false,
        }
    }

    /// `n * 2^scale`.
    fn from_int(neg: bool, n: u128, scale: i32) -> Wide {
        Wide::normalised(neg, scale + 127, n)
    }

    fn one() -> Wide {
        Wide::from_int(false, 1, 0)
    }

    fn from_unpacked(u: Unpacked) -> Wide {
        Wide {
            neg: u.sign,
            exp: u.exp - EXP_BIAS,
            m: (u.signif as u128) << 64,
            below: false,
        }
    }

    fn is_zero(self) -> bool {
        self.m == 0
    }

    fn negate(self) -> Wide {
        Wide {
            neg: !self.neg,
            ..self
        }
    }

    fn mul(self, other: Wide) -> Wide {
        if self.is_zero() || other.is_zero() {
            return Wide::ZERO;
        }
        let (hi, _) = mul_u128(self.m, other.m);
        Wide::normalised(self.neg != other.neg, self.exp + other.exp + 1, hi)
    }

    /// Division as multiplication by the reciprocal (see [`Wide::recip`]).
    fn div(self, other: Wide) -> Wide {
        if self.is_zero() || other.is_zero() {
            return Wide::ZERO;
        }
        self.mul(other.recip())
    }

    /// 1/self to about 125 bits: a 64-bit estimate from one hardware-sized division, then
    /// one Newton step x' = x (2 - b x), which doubles the number of correct bits.
    fn recip(self) -> Wide {
        if self.is_zero() {
            return Wide::ZERO;
        }
        // self = B * 2^exp with B = m / 2^127 in [1, 2); 2^126 / (m >> 64) ~ 2^63 / B.
        let estimate = (1u128 << 126) / (self.m >> 64);
        let x0 = Wide::from_int(self.neg, estimate, -63 - self.exp);
        let two = Wide::from_int(false, 2, 0);
        x0.mul(two.sub(self.mul(x0)))
    }

    /// Bitwise long division (the reference `div` is checked against in the tests).
    #[cfg(test)]
    fn div_long(self, other: Wide) -> Wide {
        if self.is_zero() || other.is_zero() {
            return Wide::ZERO;
        }
        let (a, b) = (self.m >> 1, other.m >> 1);
        let mut rem = a;
        let mut q: u128 = 0;
        for _ in 0..128 {
            q <<= 1;
            if rem >= b {
                rem -= b;
                q |= 1;
            }
            rem <<= 1;
        }
        Wide::normalised(self.neg != other.neg, self.exp - other.exp, q)
    }

    /// Division by a small integer (series coefficients): two hardware-sized divisions
    /// instead of the bitwise long division of `div`.
    fn div_small(self, d: u64) -> Wide {
        if self.is_zero() || d == 0 {
            return Wide::ZERO;
        }
        let d = d as u128;
        let high = self.m / d;
        let low = ((self.m % d) << 64) / d;
        // high >= 2^127 / d >= 2^63, so at most 64 leading zeros are filled from `low`.
        let lz = high.leading_zeros();
        let m = if lz == 0 {
            high
        } else {
            (high << lz) | (low >> (64 - lz))
        };
        Wide {
            neg: self.neg,
            exp: self.exp - lz as i32,
            m,
            below: false,
        }
    }

    fn add(self, other: Wide) -> Wide {
        if self.is_zero() {
            return other;
        }
        if other.is_zero() {
            return self;
        }
        let (big, small) = if (self.exp, self.m) >= (other.exp, other.m) {
            (self, other)
        } else {
            (other, self)
        };
        let shift = (big.exp - small.exp) as u32;
        // One bit of headroom for the carry.
        let b = big.m >> 1;
        let s = if shift >= 127 {
            0
        } else {
            small.m >> (shift + 1)
        };
        if big.neg == small.neg {
            Wide::normalised(big.neg, big.exp + 1, b + s)
        } else {
            Wide::normalised(big.neg, big.exp + 1, b - s)
        }
    }

    fn sub(self, other: Wide) -> Wide {
        self.add(other.negate())
    }

    /// Square root by one Newton step from the correctly rounded 64-bit root.
    fn sqrt(self) -> Wide {
        if self.is_zero() || self.neg {
            return Wide::ZERO;
        }
        let approx = F80::from_parts(false, (self.exp + EXP_BIAS) as u16, (self.m >> 64) as u64);
        let (root, _) = arith::sqrt(approx, Control::from_word(0x037F));
        let Some(u) = Unpacked::from_f80(root) else {
            return Wide::ZERO;
        };
        let s = Wide::from_unpacked(u);
        let mut half = s.add(self.div(s));
        half.exp -= 1;
        half
    }

    /// The same value, noting which side of `m` the true value lies on.
    fn with_tail_below(self, below: bool) -> Wide {
        Wide { below, ..self }
    }

    /// Rounds to an extended register (64-bit precision, the control's rounding mode). The
    /// value is never exact, so a sticky bit guarantees PE and no false ties.
    fn round(self, control: Control) -> Outcome {
        if self.is_zero() {
            return (zero(self.neg), Flags::PE);
        }
        let format = Format::register(super::round::Precision::Extended);
        let m = if self.below { self.m - 1 } else { self.m | 1 };
        let r = round_to_format(self.neg, self.exp, m, format, control.extended());
        (r.to_f80(format), r.flags)
    }
}

/// Full 128 x 128 -> 256-bit product as (high, low).
fn mul_u128(a: u128, b: u128) -> (u128, u128) {
    let mask = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & mask);
    let (b1, b0) = (b >> 64, b & mask);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 64) + (p01 & mask) + (p10 & mask);
    let low = (p00 & mask) | (mid << 64);
    let high = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (high, low)
}

/// Sums a series until the terms no longer matter: `next(term, n)` gives term n from n-1.
/// Terms this many binary orders below the sum are omitted. It must stay below the 127-bit
/// reach of `Wide::add`, so that an omitted term is never one that addition would have
/// silently dropped, and the direction of the first omitted term is the true tail direction.
const OMIT_BELOW: i32 = 120;

/// The result remembers the direction of the first omitted term.
fn series(first: Wide, mut next: impl FnMut(Wide, u64) -> Wide) -> Wide {
    let mut sum = first;
    let mut term = first;
    for n in 1..200u64 {
        term = next(term, n);
        if term.is_zero() {
            break;
        }
        if term.exp < sum.exp - OMIT_BELOW {
            return sum.with_tail_below(term.neg != sum.neg);
        }
        sum = sum.add(term);
    }
    sum
}

/// A series of terms `power_n / (2n + 1)` with `power_n = step(power_{n-1})`, starting at
/// `first`; remembers the direction of the first omitted term.
fn odd_series(first: Wide, step: impl Fn(Wide) -> Wide) -> Wide {
    let mut power = first;
    let mut sum = first;
    for n in 1..400u64 {
        power = step(power);
        let term = power.div_small(2 * n + 1);
        if term.is_zero() {
            break;
        }
        if term.exp < sum.exp - OMIT_BELOW {
            return sum.with_tail_below(term.neg != sum.neg);
        }
        sum = sum.add(term);
    }
    sum
}

/// sin(r) for |r| <= pi/4.
fn sin_series(r: Wide) -> Wide {
    let r2 = r.mul(r);
    series(r, |t, n| {
        t.mul(r2).div_small((2 * n) * (2 * n + 1)).negate()
    })
}

/// cos(r) for |r| <= pi/4.
fn cos_series(r: Wide) -> Wide {
    let r2 = r.mul(r);
    series(Wide::one(), |t, n| {
        t.mul(r2).div_small((2 * n - 1) * (2 * n)).negate()
    })
}

/// atan(t) by its Taylor series, for small |t|.
fn atan_series(t: Wide) -> Wide {
    let t2 = t.mul(t);
    // Term n is (-1)^n t^(2n+1) / (2n+1).
    odd_series(t, |power| power.mul(t2).negate())
}

/// atan(t) for any t: three angle halvings, then the series.
fn atan_wide(t: Wide) -> Wide {
    let mut t = t;
    for _ in 0..3 {
        t = t.div(Wide::one().add(Wide::one().add(t.mul(t)).sqrt()));
    }
    let mut a = atan_series(t);
    a.exp += 3;
    a
}

/// atanh(s) by its series, for |s| well below 1.
fn atanh_series(s: Wide) -> Wide {
    let s2 = s.mul(s);
    odd_series(s, |power| power.mul(s2))
}

/// ln(2) to 128 bits (truncated); `ln2_by_series` derives it in the tests.
const LN2_BITS: u128 = 0xB172_17F7_D1CF_79AB_C9E3_B398_03F2_F6AF;
/// pi to 128 bits (truncated); `pi_by_machin` derives it in the tests.
const PI_BITS: u128 = 0xC90F_DAA2_2168_C234_C4C6_628B_80DC_1CD1;

/// ln(2).
fn ln2() -> Wide {
    Wide {
        neg: false,
        exp: -1,
        m: LN2_BITS,
        below: false,
    }
}

/// pi.
fn pi() -> Wide {
    Wide {
        neg: false,
        exp: 1,
        m: PI_BITS,
        below: false,
    }
}

/// ln(2) = 2 atanh(1/3), to check `LN2_BITS`.
#[cfg(test)]
fn ln2_by_series() -> Wide {
    let mut v = atanh_series(Wide::one().div_small(3));
    v.exp += 1;
    v
}

/// pi by Machin's formula, 16 atan(1/5) - 4 atan(1/239), to check `PI_BITS`.
#[cfg(test)]
fn pi_by_machin() -> Wide {
    let mut a = atan_series(Wide::one().div_small(5));
    a.exp += 4;
    let mut b = atan_series(Wide::one().div_small(239));
    b.exp += 2;
    a.sub(b)
}

/// ln(m) for m in [sqrt(1/2), sqrt(2)]: 2 atanh((m - 1) / (m + 1)).
fn ln_near_one(m: Wide) -> Wide {
    let one = Wide::one();
    let mut v = atanh_series(m.sub(one).div(m.add(one)));
    v.exp += 1;
    v
}

/// Argument reduction as the hardware does it: |x| = k * (PI_66 / 2) + r with |r| <= pi/4.
/// Returns (k mod 4, r). `u` must satisfy |x| < 2^63.
fn reduce(u: Unpacked) -> (u32, Wide) {
    let e = u.exp - EXP_BIAS;
    if e < -2 {
        return (0, Wide::from_unpacked(Unpacked { sign: false, ..u }));
    }
    // |x| / (pi/2) = X * 2^(e + 2) / PI_66: long division in chunks, keeping the remainder
    // exactly (units of 2^-65) and the quotient's low bits.
    let mut shift_left = (e + 2) as u32;
    let mut rem = u.signif as u128;
    let mut k: u64 = 0;
    let first = rem / PI_66;
    rem %= PI_66;
    k = k.wrapping_add(first as u64);
    while shift_left > 0 {
        let chunk = shift_left.min(60);
        let num = rem << chunk;
        k = (k << chunk).wrapping_add((num / PI_66) as u64);
        rem = num % PI_66;
        shift_left -= chunk;
    }
    // Round to the nearest quadrant boundary.
    if rem > PI_66 >> 1 {
        k = k.wrapping_add(1);
        (k as u32 & 3, Wide::from_int(true, PI_66 - rem, -65))
    } else {
        (k as u32 & 3, Wide::from_int(false, rem, -65))
    }
}

/// A reduced trigonometric argument: quadrant (k mod 4), remainder, sign of the operand and
/// the denormal-operand flag.
type Reduced = (u32, Wide, bool, Flags);

/// Results of FSINCOS and FPTAN: the value replacing ST(0), the value pushed, and flags;
/// `None` when the operand is out of range (|x| >= 2^63).
pub type TwoResults = Option<(F80, F80, Flags)>;

/// Shared front end of FSIN/FCOS/FSINCOS/FPTAN. Returns `Err(outcome)` for special operands,
/// `Ok(None)` for out-of-range ones, and `Ok(Some(reduced))` otherwise.
fn trig_operand(x: F80) -> Result<Option<Reduced>, Outcome> {
    if let Some(out) = special_single(x) {
        return Err(out);
    }
    match x.class() {
        Class::Infinity => return Err(invalid()),
        Class::Zero => return Err((x, Flags::NONE)),
        _ => {}
    }
    let Some(u) = Unpacked::from_f80(x) else {
        return Err(invalid());
    };
    if u.exp - EXP_BIAS >= 63 {
        return Ok(None);
    }
    let de = if x.is_denormal_operand() {
        Flags::DE
    } else {
        Flags::NONE
    };
    let (quadrant, r) = reduce(u);
    Ok(Some((quadrant, r, u.sign, de)))
}

fn with_flags((v, f): Outcome, extra: Flags) -> Outcome {
    (v, f | extra)
}

/// sin and cos of a reduced argument.
fn sin_cos_reduced(quadrant: u32, r: Wide, negative: bool) -> (Wide, Wide) {
    (sin_reduced(quadrant, r, negative), cos_reduced(quadrant, r))
}

/// sin(x) from the reduced argument, evaluating only the series it needs.
fn sin_reduced(quadrant: u32, r: Wide, negative: bool) -> Wide {
    let sin = match quadrant {
        0 => sin_series(r),
        1 => cos_series(r),
        2 => sin_series(r).negate(),
        _ => cos_series(r).negate(),
    };
    if negative {
        sin.negate()
    } else {
        sin
    }
}

/// cos(x) from the reduced argument (cosine is even: the operand's sign does not matter).
fn cos_reduced(quadrant: u32, r: Wide) -> Wide {
    match quadrant {
        0 => cos_series(r),
        1 => sin_series(r).negate(),
        2 => cos_series(r).negate(),
        _ => sin_series(r),
    }
}

/// sin x for |x| < 2^-40: x - x^3/6 lies strictly between x and the next value toward
/// zero, closer to x; the series would lose the cubic term (and round as if above |x|).
fn tiny_sin(x: F80, control: Control) -> Option<Outcome> {
    let u = Unpacked::from_f80(x)?;
    if u.exp - EXP_BIAS >= -40 {
        return None;
    }
    let format = Format::register(super::round::Precision::Extended);
    let sig = ((u.signif as u128) << 64) - 1;
    let r = round_to_format(u.sign, u.exp - EXP_BIAS, sig, format, control.extended());
    Some((r.to_f80(format), r.flags))
}

/// FSIN. `None` means |x| >= 2^63 (C2 = 1, operand unchanged).
pub fn sin(x: F80, control: Control) -> Option<Outcome> {
    match trig_operand(x) {
        Err(out) => Some(out),
        Ok(None) => None,
        Ok(Some((q, r, neg, de))) => {
            if let Some(out) = tiny_sin(x, control) {
                return Some(with_flags(out, de));
            }
            Some(with_flags(sin_reduced(q, r, neg).round(control), de))
        }
    }
}

/// FCOS.
pub fn cos(x: F80, control: Control) -> Option<Outcome> {
    match trig_operand(x) {
        Err(_) if x.is_zero() => Some((F80::ONE, Flags::NONE)),
        Err(out) => Some(out),
        Ok(None) => None,
        Ok(Some((q, r, _, de))) => Some(with_flags(cos_reduced(q, r).round(control), de)),
    }
}

/// FSINCOS: (sin, cos, flags).
pub fn sincos(x: F80, control: Control) -> TwoResults {
    match trig_operand(x) {
        Err((v, f)) if x.is_zero() => Some((v, F80::ONE, f)),
        Err((v, f)) => Some((v, v, f)),
        Ok(None) => None,
        Ok(Some((q, r, neg, de))) => {
            let (s, c) = sin_cos_reduced(q, r, neg);
            let (sv, sf) = tiny_sin(x, control).unwrap_or_else(|| s.round(control));
            let (cv, cf) = c.round(control);
            // C1 reports the rounding of the sine (the first result computed).
            let flags = Flags((sf.0 | cf.0) & !Flags::C1.0) | Flags(sf.0 & Flags::C1.0) | de;
            Some((sv, cv, flags))
        }
    }
}

/// FPTAN: (tan, 1.0, flags).
pub fn tan_and_one(x: F80, control: Control) -> TwoResults {
    match trig_operand(x) {
        Err((v, f)) => Some((v, if v.is_nan() { v } else { F80::ONE }, f)),
        Ok(None) => None,
        Ok(Some((q, r, neg, de))) => {
            let (s, c) = (sin_series(r), cos_series(r));
            // For a tiny reduced argument tan(r) lies just above r and cot(r) just below 1/r.
            let t = if q & 1 == 0 {
                s.div(c)
            } else {
                c.div(s).negate().with_tail_below(true)
            };
            let t = if neg { t.negate() } else { t };
            let (v, f) = t.round(control);
            Some((v, F80::ONE, f | de))
        }
    }
}

/// FPATAN: atan2(y, x) (y is ST(1), x is ST(0)).
pub fn atan2(y: F80, x: F80, control: Control) -> Outcome {
    if let Some(out) = special_pair(y, x) {
        return out;
    }
    let de = arith::denormal_flag(y, x);
    let pi = pi();
    let half = |w: Wide, k: i32| Wide {
        exp: w.exp - k,
        ..w
    };
    let signed = |w: Wide| if y.sign() { w.negate() } else { w };
    let (cy, cx) = (y.class(), x.class());
    let angle = match (cy, cx) {
        (Class::Zero, _) => {
            if x.sign() {
                signed(pi)
            } else {
                return (y, de);
            }
        }
        (Class::Infinity, Class::Infinity) => {
            let quarter = half(pi, 2);
            signed(if x.sign() {
                quarter.add(half(pi, 1))
            } else {
                quarter
            })
        }
        (Class::Infinity, _) | (_, Class::Zero) => signed(half(pi, 1)),
        (_, Class::Infinity) => {
            if x.sign() {
                signed(pi)
            } else {
                return (zero(y.sign()), de);
            }
        }
        _ => {
            let (Some(uy), Some(ux)) = (Unpacked::from_f80(y), Unpacked::from_f80(x)) else {
                return invalid();
            };
            let wy = Wide::from_unpacked(Unpacked { sign: false, ..uy });
            let wx = Wide::from_unpacked(Unpacked { sign: false, ..ux });
            let steep = (wy.exp, wy.m) > (wx.exp, wx.m);
            let base = if steep {
                half(pi, 1).sub(atan_wide(wx.div(wy)))
            } else {
                atan_wide(wy.div(wx))
            };
            signed(if x.sign() { pi.sub(base) } else { base })
        }
    };
    with_flags(angle.round(control), de)
}

/// log2(|x|) for a finite non-zero x, as (exact integer part, result).
fn log2_wide(u: Unpacked) -> Wide {
    let mut e = u.exp - EXP_BIAS;
    let mut m = Wide::from_unpacked(Unpacked {
        sign: false,
        exp: EXP_BIAS,
        ..u
    });
    // Keep m in [sqrt(1/2), sqrt(2)): 0xB504F333F9DE6484 is sqrt(2) in [1, 2).
    if u.signif > 0xB504_F333_F9DE_6484 {
        m.exp -= 1;
        e += 1;
    }
    let ln_m = ln_near_one(m);
    let frac = ln_m.div(ln2());
    Wide::from_int(e < 0, e.unsigned_abs() as u128, 0).add(frac)
}

/// FYL2X: y * log2(x).
pub fn y_log2_x(y: F80, x: F80, control: Control) -> Outcome {
    if let Some(out) = special_pair(y, x) {
        return out;
    }
    let de = arith::denormal_flag(y, x);
    let (cy, cx) = (y.class(), x.class());
    if x.sign() && cx != Class::Zero {
        return invalid();
    }
    let x_is_one = x == F80::ONE;
    match (cy, cx) {
        (Class::Zero, Class::Zero) | (Class::Zero, Class::Infinity) => return invalid(),
        (Class::Infinity, _) if x_is_one => return invalid(),
        // y * log2(0) = y * -inf: exact for infinite y; otherwise zero divide, which takes
        // priority over the denormal-operand exception.
        (Class::Infinity, Class::Zero) => return (infinity(!y.sign()), Flags::NONE),
        (_, Class::Zero) => return (infinity(!y.sign()), Flags::ZE),
        (_, Class::Infinity) => return (infinity(y.sign()), de),
        (Class::Infinity, _) => {
            // Sign follows log2(x): negative below one.
            let below_one = x.exp() < EXP_BIAS as u16;
            return (infinity(y.sign() != below_one), de);
        }
        (Class::Zero, _) => {
            let below_one = x.exp() < EXP_BIAS as u16;
            return (zero(y.sign() != below_one), de);
        }
        _ => {}
    }
    let (Some(uy), Some(ux)) = (Unpacked::from_f80(y), Unpacked::from_f80(x)) else {
        return invalid();
    };
    if ux.signif == 1 << 63 {
        // Exact power of two: log2 is an integer and the product is rounded once. The
        // hardware still reports PE (except for x = 1).
        let e = super::convert::from_i64((ux.exp - EXP_BIAS) as i64);
        let (v, f) = arith::mul(y, e, control.extended());
        let inexact = match (ux.exp == EXP_BIAS, v.exp() == 0 && !v.is_zero()) {
            (true, _) => Flags::NONE,
            // A tiny result the hardware considers inexact also underflows.
            (false, true) => Flags::PE | Flags::UE,
            (false, false) => Flags::PE,
        };
        return (v, f | de | inexact);
    }
    let result = Wide::from_unpacked(uy).mul(log2_wide(ux));
    with_flags(result.round(control), de)
}

/// FYL2XP1: y * log2(1 + x), for |x| < 1 - sqrt(2)/2.
pub fn y_log2_x_plus_1(y: F80, x: F80, control: Control) -> Outcome {
    if let Some(out) = special_pair(y, x) {
        return out;
    }
    let de = arith::denormal_flag(y, x);
    let (cy, cx) = (y.class(), x.class());
    match (cy, cx) {
        (Class::Infinity, Class::Zero) | (Class::Zero, Class::Infinity) => return invalid(),
        (_, Class::Infinity) if x.sign() => return invalid(),
        (_, Class::Zero) | (Class::Zero, _) => {
            return (zero(y.sign() != x.sign()), de);
        }
        (_, Class::Infinity) | (Class::Infinity, _) => {
            return (infinity(y.sign() != x.sign()), de);
        }
        _ => {}
    }
    let (Some(uy), Some(ux)) = (Unpacked::from_f80(y), Unpacked::from_f80(x)) else {
        return invalid();
    };
    let wx = Wide::from_unpacked(ux);
    let two = Wide::from_int(false, 2, 0);
    let s = wx.div(two.add(wx));
    let mut ln = atanh_series(s);
    ln.exp += 1;
    let result = Wide::from_unpacked(uy).mul(ln.div(ln2()));
    with_flags(result.round(control), de)
}

/// F2XM1: 2^x - 1 for -1 <= x <= 1. Outside that range the result is undefined by the
/// manuals; the host leaves the operand unchanged and reports PE, and so does this.
pub fn exp2_minus_1(x: F80, control: Control) -> Outcome {
    if let Some(out) = special_single(x) {
        return out;
    }
    match x.class() {
        Class::Zero => return (x, Flags::NONE),
        Class::Infinity => {
            return if x.sign() {
                (F80::ONE.negate(), Flags::NONE)
            } else {
                (x, Flags::NONE)
            }
        }
        _ => {}
    }
    let de = if x.is_denormal_operand() {
        Flags::DE
    } else {
        Flags::NONE
    };
    let Some(u) = Unpacked::from_f80(x) else {
        return invalid();
    };
    if u.exp - EXP_BIAS > 0 || (u.exp - EXP_BIAS == 0 && u.signif != 1 << 63) {
        // Out of range: the hardware leaves the operand and reports PE.
        return (x, de | Flags::PE);
    }
    if u.exp - EXP_BIAS == 0 {
        // x = +-1: the hardware delivers 1 from just below and -0.5 from just beyond.
        let result = if u.sign {
            Wide::from_int(true, 1, -1)
        } else {
            Wide::one().with_tail_below(true)
        };
        return with_flags(result.round(control), de);
    }
    let t = Wide::from_unpacked(u).mul(ln2());
    let sum = series(t, |term, n| term.mul(t).div_small(n + 1));
    with_flags(sum.round(control), de)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x87_pi_66_matches_machin() {
        let p = pi_by_machin();
        // PI_66 * 2^-64 must be pi to 66 bits.
        assert_eq!(p.m >> (128 - 66), PI_66, "computed pi {:032X}", p.m);
        assert_eq!(p.exp, 1);
    }

    /// The series accumulate truncation errors of a few dozen units of 2^-127, so this
    /// checks the typed constants to about 121 bits.
    #[test]
    fn x87_wide_constants_match_their_series() {
        let p = pi_by_machin();
        assert_eq!(p.exp, pi().exp);
        assert!(p.m.abs_diff(PI_BITS) <= 64, "pi by Machin {:032X}", p.m);
        let l = ln2_by_series();
        assert_eq!(l.exp, ln2().exp);
        assert!(l.m.abs_diff(LN2_BITS) <= 64, "ln 2 by series {:032X}", l.m);
    }

    #[test]
    fn x87_reciprocal_division_matches_long_division() {
        let mut x: u128 = 0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C834;
        let mut y: u128 = 0xD1B5_4A32_D192_ED03_8CB9_2BA7_2F3D_8DD7;
        for _ in 0..10_000 {
            x = x.rotate_left(13).wrapping_mul(0x2545_F491_4F6C_DD1D) | 1 << 127;
            y = y.rotate_left(29).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1 << 127;
            let (a, b) = (Wide::normalised(false, 3, x), Wide::normalised(true, -7, y));
            let fast = a.div(b);
            let slow = a.div_long(b);
            assert_eq!(
                (fast.exp, fast.neg),
                (slow.exp, slow.neg),
                "{x:032X} / {y:032X}"
            );
            assert!(
                fast.m.abs_diff(slow.m) <= 16,
                "{:032X} vs {:032X}",
                fast.m,
                slow.m
            );
        }
    }

    #[test]
    fn x87_div_small_matches_long_division() {
        let mut x: u128 = 0x8123_4567_89AB_CDEF_0FED_CBA9_8765_4321;
        for d in [
            1u64,
            2,
            3,
            6,
            7,
            239,
            1190,
            65_537,
            u32::MAX as u64,
            u64::MAX,
        ] {
            x = x.rotate_left(17) | 1 << 127;
            let w = Wide::normalised(false, 5, x);
            let fast = w.div_small(d);
            let slow = w.div_long(Wide::from_int(false, d as u128, 0));
            assert_eq!(fast.exp, slow.exp, "d={d}");
            assert!(
                fast.m.abs_diff(slow.m) <= 2,
                "d={d}: {:032X} vs {:032X}",
                fast.m,
                slow.m
            );
        }
    }

    #[test]
    fn x87_sin_of_small_values() {
        let c = Control::from_word(0x037F);
        let (v, f) = sin(F80::ONE, c).unwrap();
        // sin(1) = 0.8414709848078965066525...
        assert_eq!((v.exp(), v.signif >> 48), (0x3FFE, 0xD76A));
        assert!(f.has(Flags::PE));
    }
}
