//! Software IEEE 754 binary32 and binary64 arithmetic with the exact behaviour of x86
//! SSE: MXCSR rounding, DAZ and FTZ, tininess detected after rounding, x86 NaN rules
//! (the first source operand wins, signalling NaNs are quieted, invalid operations give
//! the negative "QNaN indefinite"), and the six exception flags.
//!
//! Values are bit patterns in the low bits of a `u64`; a [`Format`] says which
//! interchange format they are. Host floating point is never used, so results are the
//! same on every host and on wasm. Functions here work on one element; packing into
//! registers lives in `packed_float`. Nothing here panics on any input.

use super::mxcsr::{Exceptions, Mxcsr, Rounding};
use core::cmp::Ordering;

/// An IEEE 754 binary interchange format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    /// Stored fraction bits (23 or 52).
    pub frac_bits: u32,
    /// Exponent field bits (8 or 11).
    pub exp_bits: u32,
}

/// IEEE binary32 (`float`).
pub const BINARY32: Format = Format {
    frac_bits: 23,
    exp_bits: 8,
};
/// IEEE binary64 (`double`).
pub const BINARY64: Format = Format {
    frac_bits: 52,
    exp_bits: 11,
};

impl Format {
    #[inline]
    const fn bias(self) -> i32 {
        (1 << (self.exp_bits - 1)) - 1
    }
    /// Unbiased exponent of the smallest normal number.
    #[inline]
    const fn emin(self) -> i32 {
        1 - self.bias()
    }
    #[inline]
    pub const fn sign_bit(self) -> u64 {
        1 << (self.frac_bits + self.exp_bits)
    }
    #[inline]
    const fn frac_mask(self) -> u64 {
        (1 << self.frac_bits) - 1
    }
    #[inline]
    const fn exp_mask(self) -> u64 {
        ((1 << self.exp_bits) - 1) << self.frac_bits
    }
    #[inline]
    const fn quiet_bit(self) -> u64 {
        1 << (self.frac_bits - 1)
    }
    #[inline]
    pub const fn is_negative(self, bits: u64) -> bool {
        bits & self.sign_bit() != 0
    }
    #[inline]
    pub const fn is_nan(self, bits: u64) -> bool {
        bits & self.exp_mask() == self.exp_mask() && bits & self.frac_mask() != 0
    }
    #[inline]
    pub const fn is_signaling_nan(self, bits: u64) -> bool {
        self.is_nan(bits) && bits & self.quiet_bit() == 0
    }
    #[inline]
    pub const fn is_infinite(self, bits: u64) -> bool {
        bits & !self.sign_bit() == self.exp_mask()
    }
    #[inline]
    pub const fn is_zero(self, bits: u64) -> bool {
        bits & !self.sign_bit() == 0
    }
    #[inline]
    pub const fn is_denormal(self, bits: u64) -> bool {
        bits & self.exp_mask() == 0 && bits & self.frac_mask() != 0
    }
    #[inline]
    pub const fn quiet(self, bits: u64) -> u64 {
        bits | self.quiet_bit()
    }
    /// The "QNaN floating-point indefinite": negative, quiet, zero payload.
    #[inline]
    pub const fn default_nan(self) -> u64 {
        self.sign_bit() | self.exp_mask() | self.quiet_bit()
    }
    #[inline]
    const fn signed(self, sign: bool, magnitude: u64) -> u64 {
        if sign {
            magnitude | self.sign_bit()
        } else {
            magnitude
        }
    }
    #[inline]
    pub const fn zero(self, sign: bool) -> u64 {
        self.signed(sign, 0)
    }
    #[inline]
    pub const fn infinity(self, sign: bool) -> u64 {
        self.signed(sign, self.exp_mask())
    }
    #[inline]
    const fn max_finite(self, sign: bool) -> u64 {
        self.signed(sign, self.exp_mask() - 1)
    }
}

/// The parts of MXCSR that arithmetic needs.
#[derive(Clone, Copy, Debug)]
pub struct Control {
    pub rounding: Rounding,
    pub flush_to_zero: bool,
    pub denormals_are_zero: bool,
    pub underflow_masked: bool,
    pub overflow_masked: bool,
}

impl Control {
    #[inline]
    pub fn new(mxcsr: Mxcsr) -> Control {
        Control {
            rounding: mxcsr.rounding(),
            flush_to_zero: mxcsr.flush_to_zero(),
            denormals_are_zero: mxcsr.denormals_are_zero(),
            underflow_masked: mxcsr.underflow_masked(),
            overflow_masked: mxcsr.overflow_masked(),
        }
    }
    /// The same control with another rounding mode (`cvtt*` truncates).
    #[inline]
    pub fn with_rounding(self, rounding: Rounding) -> Control {
        Control { rounding, ..self }
    }
}

/// What an operand is, after DAZ.
#[derive(Clone, Copy, Debug)]
enum Class {
    Zero(bool),
    Infinite(bool),
    NaN,
    /// `sig * 2^exp`, `sig != 0`, not normalized.
    Finite {
        sign: bool,
        exp: i32,
        sig: u64,
    },
}

#[inline]
fn classify(fmt: Format, bits: u64) -> Class {
    let sign = fmt.is_negative(bits);
    let exp_field = ((bits & fmt.exp_mask()) >> fmt.frac_bits) as i32;
    let frac = bits & fmt.frac_mask();
    if exp_field == (1 << fmt.exp_bits) - 1 {
        if frac == 0 {
            Class::Infinite(sign)
        } else {
            Class::NaN
        }
    } else if exp_field == 0 {
        if frac == 0 {
            Class::Zero(sign)
        } else {
            Class::Finite {
                sign,
                exp: fmt.emin() - fmt.frac_bits as i32,
                sig: frac,
            }
        }
    } else {
        Class::Finite {
            sign,
            exp: exp_field - fmt.bias() - fmt.frac_bits as i32,
            sig: frac | (1 << fmt.frac_bits),
        }
    }
}

/// Sign, exponent and significand (`sig * 2^exp`) of a normal number; `None` for zeros,
/// denormals, infinities and NaNs. The fast paths start here: DAZ and DE cannot apply.
#[inline(always)]
fn normal_parts(fmt: Format, bits: u64) -> Option<(bool, i32, u64)> {
    let field = (bits & fmt.exp_mask()) >> fmt.frac_bits;
    let max_field = (1u64 << fmt.exp_bits) - 1;
    if field.wrapping_sub(1) < max_field - 1 {
        Some((
            fmt.is_negative(bits),
            field as i32 - fmt.bias() - fmt.frac_bits as i32,
            (bits & fmt.frac_mask()) | (1 << fmt.frac_bits),
        ))
    } else {
        None
    }
}

/// Applies DAZ to an input: a denormal becomes a zero of the same sign.
#[inline]
pub fn daz(fmt: Format, bits: u64, ctl: Control) -> u64 {
    if ctl.denormals_are_zero && fmt.is_denormal(bits) {
        bits & fmt.sign_bit()
    } else {
        bits
    }
}

/// Rounds `sig >> shift` to an integer in `rounding`; returns it and whether bits were lost.
#[inline]
fn round_shift(sig: u64, shift: u32, sign: bool, rounding: Rounding) -> (u64, bool) {
    if shift == 0 {
        return (sig, false);
    }
    let (kept, rest, half) = if shift >= 64 {
        // Everything is below the rounding point; only at 64 can it reach one half.
        (0, sig, if shift == 64 { 1u64 << 63 } else { u64::MAX })
    } else {
        (
            sig >> shift,
            sig & ((1u64 << shift) - 1),
            1u64 << (shift - 1),
        )
    };
    if rest == 0 {
        return (kept, false);
    }
    let up = match rounding {
        Rounding::NearestEven => rest > half || (rest == half && kept & 1 == 1),
        Rounding::Down => sign,
        Rounding::Up => !sign,
        Rounding::TowardZero => false,
    };
    (kept + up as u64, true)
}

/// Folds a wide significand into 63 bits, keeping lost bits as a sticky bit 0.
#[inline]
fn jam_to_u64(exp: i32, sig: u128) -> (i32, u64) {
    if sig >> 63 == 0 {
        return (exp, sig as u64);
    }
    let shift = 128 - sig.leading_zeros() - 63;
    let sticky = (sig & ((1u128 << shift) - 1) != 0) as u64;
    (exp + shift as i32, (sig >> shift) as u64 | sticky)
}

/// Rounds the exact value `(-1)^sign * sig * 2^exp` (inexactness below the rounding point
/// may be folded into bit 0 of `sig`, which must then have at least P + 2 bits) into
/// `fmt`, with overflow, underflow, FTZ and precision handling.
#[inline(always)]
pub fn round_pack(fmt: Format, sign: bool, exp: i32, sig: u64, ctl: Control) -> (u64, Exceptions) {
    if sig == 0 {
        return (fmt.zero(sign), Exceptions::NONE);
    }
    let frac = fmt.frac_bits as i32;
    let msb = 63 - sig.leading_zeros() as i32;
    let lead_exp = exp.saturating_add(msb);
    let emin = fmt.emin();
    // Fast path, the usual case: a normal result below the top binade (so a carry out of
    // rounding cannot overflow) with bits to round off.
    if lead_exp >= emin && lead_exp < fmt.bias() && msb > frac {
        let shift = (msb - frac) as u32;
        let kept = sig >> shift;
        let rest = sig & ((1u64 << shift) - 1);
        let encoded = (((lead_exp + fmt.bias() - 1) as u64) << frac) + kept;
        if rest == 0 {
            return (fmt.signed(sign, encoded), Exceptions::NONE);
        }
        let half = 1u64 << (shift - 1);
        let up = match ctl.rounding {
            Rounding::NearestEven => rest > half || (rest == half && kept & 1 == 1),
            Rounding::Down => sign,
            Rounding::Up => !sign,
            Rounding::TowardZero => false,
        };
        return (fmt.signed(sign, encoded + up as u64), Exceptions::PRECISION);
    }
    round_pack_slow(fmt, sign, exp, sig, ctl)
}

/// The general case of [`round_pack`]: results that are tiny, may overflow or are exact
/// with spare precision.
#[inline(never)]
fn round_pack_slow(fmt: Format, sign: bool, exp: i32, sig: u64, ctl: Control) -> (u64, Exceptions) {
    let frac = fmt.frac_bits as i32;
    let msb = 63 - sig.leading_zeros() as i32;
    let lead_exp = exp.saturating_add(msb);
    let emin = fmt.emin();
    let target_exp = lead_exp.max(emin);
    // Exponent of the unit in the last place of the result.
    let ulp_exp = target_exp - frac;
    let (mag, inexact) = if ulp_exp >= exp {
        round_shift(sig, (ulp_exp - exp).min(100) as u32, sign, ctl.rounding)
    } else {
        // Exact: the value has fewer significant bits than the format holds.
        (sig << ((exp - ulp_exp) as u32), false)
    };
    let mut flags = Exceptions::NONE;
    if inexact {
        flags |= Exceptions::PRECISION;
    }
    if lead_exp < emin {
        // Tininess after rounding: round to the format's precision with an unbounded
        // exponent and see whether the result is still below the smallest normal.
        let unbounded_shift = (lead_exp - frac - exp).clamp(0, 100) as u32;
        let (m, inexact_unbounded) = round_shift(sig, unbounded_shift, sign, ctl.rounding);
        let tiny = !(lead_exp == emin - 1 && m >> (frac + 1) != 0);
        if tiny {
            if !ctl.underflow_masked {
                // Unmasked underflow traps on any tiny result; no result is written,
                // and PE reports whether the exponent-unbounded result was inexact.
                let pe = if inexact_unbounded {
                    Exceptions::PRECISION
                } else {
                    Exceptions::NONE
                };
                return (fmt.zero(sign), Exceptions::UNDERFLOW | pe);
            }
            if ctl.flush_to_zero {
                return (
                    fmt.zero(sign),
                    Exceptions::UNDERFLOW | Exceptions::PRECISION,
                );
            }
            if inexact {
                flags |= Exceptions::UNDERFLOW;
            }
        }
    }
    // Adding the significand (with its hidden bit) to the exponent field minus one lets
    // a carry out of rounding bump the exponent, and makes denormals come out right.
    let overflow = target_exp > fmt.bias() || {
        let biased = (target_exp + fmt.bias() - 1) as u64;
        (biased << frac) + mag >= fmt.exp_mask()
    };
    if overflow {
        if !ctl.overflow_masked {
            // Unmasked overflow traps; no result is written, and PE reports whether the
            // exponent-unbounded result was inexact.
            return (fmt.infinity(sign), Exceptions::OVERFLOW | flags);
        }
        flags |= Exceptions::OVERFLOW | Exceptions::PRECISION;
        let to_infinity = match ctl.rounding {
            Rounding::NearestEven => true,
            Rounding::Down => sign,
            Rounding::Up => !sign,
            Rounding::TowardZero => false,
        };
        let bits = if to_infinity {
            fmt.infinity(sign)
        } else {
            fmt.max_finite(sign)
        };
        return (bits, flags);
    }
    let biased = (target_exp + fmt.bias() - 1) as u64;
    (fmt.signed(sign, (biased << frac) + mag), flags)
}

/// The NaN result of a two-operand operation when at least one operand is a NaN: the
/// first operand if it is a NaN, else the second, quieted. IE if either is signalling.
#[inline]
fn propagate_nan(fmt: Format, a: u64, b: u64) -> (u64, Exceptions) {
    let flags = if fmt.is_signaling_nan(a) || fmt.is_signaling_nan(b) {
        Exceptions::INVALID
    } else {
        Exceptions::NONE
    };
    let nan = if fmt.is_nan(a) { a } else { b };
    (fmt.quiet(nan), flags)
}

#[inline]
fn denormal_flag(fmt: Format, a: u64, b: u64) -> Exceptions {
    if fmt.is_denormal(a) || fmt.is_denormal(b) {
        Exceptions::DENORMAL
    } else {
        Exceptions::NONE
    }
}

#[inline]
fn invalid() -> Exceptions {
    Exceptions::INVALID
}

/// `a + b`, or `a - b` when `subtract`.
#[inline(always)]
pub fn add(fmt: Format, a: u64, b: u64, subtract: bool, ctl: Control) -> (u64, Exceptions) {
    if let (Some((sa, ea, ma)), Some((sb, eb, mb))) = (normal_parts(fmt, a), normal_parts(fmt, b)) {
        return add_finite(fmt, (sa, ea, ma), (sb != subtract, eb, mb), ctl);
    }
    add_special(fmt, a, b, subtract, ctl)
}

/// [`add`] when an operand is zero, denormal, infinite or NaN.
#[inline(never)]
fn add_special(fmt: Format, a: u64, b: u64, subtract: bool, ctl: Control) -> (u64, Exceptions) {
    let (a, b) = (daz(fmt, a, ctl), daz(fmt, b, ctl));
    if fmt.is_nan(a) || fmt.is_nan(b) {
        return propagate_nan(fmt, a, b);
    }
    let b_neg = if subtract { b ^ fmt.sign_bit() } else { b };
    let denormal = denormal_flag(fmt, a, b);
    let (ca, cb) = (classify(fmt, a), classify(fmt, b_neg));
    match (ca, cb) {
        (Class::Infinite(x), Class::Infinite(y)) => {
            if x == y {
                (fmt.infinity(x), Exceptions::NONE)
            } else {
                (fmt.default_nan(), invalid())
            }
        }
        (Class::Infinite(x), _) | (_, Class::Infinite(x)) => (fmt.infinity(x), denormal),
        (Class::Zero(x), Class::Zero(y)) => {
            let sign = if x == y {
                x
            } else {
                ctl.rounding == Rounding::Down
            };
            (fmt.zero(sign), Exceptions::NONE)
        }
        (Class::Zero(_), Class::Finite { sign, exp, sig })
        | (Class::Finite { sign, exp, sig }, Class::Zero(_)) => {
            // Exact, but FTZ still flushes a denormal result.
            let (r, f) = round_pack(fmt, sign, exp, sig, ctl);
            (r, f | denormal)
        }
        (
            Class::Finite {
                sign: sa,
                exp: ea,
                sig: ma,
            },
            Class::Finite {
                sign: sb,
                exp: eb,
                sig: mb,
            },
        ) => {
            let (r, f) = add_finite(fmt, (sa, ea, ma), (sb, eb, mb), ctl);
            (r, f | denormal)
        }
        _ => (fmt.default_nan(), invalid()), // NaN handled above
    }
}

/// The sum of two nonzero finite values given as (sign, exponent, significand).
#[inline(always)]
fn add_finite(
    fmt: Format,
    (sa, ea, ma): (bool, i32, u64),
    (sb, eb, mb): (bool, i32, u64),
    ctl: Control,
) -> (u64, Exceptions) {
    // Give both significands guard bits up to bit 61, then align the smaller exponent
    // with the lost bits kept as a sticky bit.
    let guard = 62 - (fmt.frac_bits + 1);
    let (big_s, big_e, big_m, small_s, small_e, small_m) = if ea >= eb {
        (sa, ea, ma, sb, eb, mb)
    } else {
        (sb, eb, mb, sa, ea, ma)
    };
    let big = big_m << guard;
    let small = small_m << guard;
    let distance = (big_e - small_e) as u32;
    let small = if distance >= 64 {
        (small != 0) as u64
    } else {
        (small >> distance) | ((small & ((1u64 << distance) - 1)) != 0) as u64
    };
    let exp = big_e - guard as i32;
    let (sign, sum) = if big_s == small_s {
        (big_s, big + small)
    } else if big >= small {
        (big_s, big - small)
    } else {
        (small_s, small - big)
    };
    if sum == 0 {
        return (fmt.zero(ctl.rounding == Rounding::Down), Exceptions::NONE);
    }
    round_pack(fmt, sign, exp, sum, ctl)
}

/// `a * b`.
#[inline]
pub fn mul(fmt: Format, a: u64, b: u64, ctl: Control) -> (u64, Exceptions) {
    if let (Some((sa, ea, ma)), Some((sb, eb, mb))) = (normal_parts(fmt, a), normal_parts(fmt, b)) {
        return mul_finite(fmt, sa != sb, ea + eb, ma, mb, ctl);
    }
    let (a, b) = (daz(fmt, a, ctl), daz(fmt, b, ctl));
    if fmt.is_nan(a) || fmt.is_nan(b) {
        return propagate_nan(fmt, a, b);
    }
    let denormal = denormal_flag(fmt, a, b);
    let sign = fmt.is_negative(a) != fmt.is_negative(b);
    match (classify(fmt, a), classify(fmt, b)) {
        (Class::Infinite(_), Class::Zero(_)) | (Class::Zero(_), Class::Infinite(_)) => {
            (fmt.default_nan(), invalid())
        }
        (Class::Infinite(_), _) | (_, Class::Infinite(_)) => (fmt.infinity(sign), denormal),
        (Class::Zero(_), _) | (_, Class::Zero(_)) => (fmt.zero(sign), denormal),
        (
            Class::Finite {
                exp: ea, sig: ma, ..
            },
            Class::Finite {
                exp: eb, sig: mb, ..
            },
        ) => {
            let (r, f) = mul_finite(fmt, sign, ea + eb, ma, mb, ctl);
            (r, f | denormal)
        }
        _ => (fmt.default_nan(), invalid()),
    }
}

/// The product of two nonzero significands, `ma * mb * 2^exp`.
#[inline(always)]
fn mul_finite(
    fmt: Format,
    sign: bool,
    exp: i32,
    ma: u64,
    mb: u64,
    ctl: Control,
) -> (u64, Exceptions) {
    let (exp, product) = if 2 * (fmt.frac_bits + 1) <= 63 {
        (exp, ma * mb)
    } else {
        jam_to_u64(exp, ma as u128 * mb as u128)
    };
    round_pack(fmt, sign, exp, product, ctl)
}

/// Shifts a nonzero significand of at most P bits so that its top bit is the hidden
/// bit's position; returns the new exponent and significand.
#[inline]
fn normalize(fmt: Format, exp: i32, sig: u64) -> (i32, u64) {
    let shift = sig.leading_zeros().saturating_sub(63 - fmt.frac_bits);
    (exp - shift as i32, sig << shift)
}

/// The quotient of two nonzero finite values given as (exponent, significand).
#[inline(always)]
fn div_finite(
    fmt: Format,
    sign: bool,
    (ea, ma): (i32, u64),
    (eb, mb): (i32, u64),
    ctl: Control,
) -> (u64, Exceptions) {
    let (ea, ma) = normalize(fmt, ea, ma);
    let (eb, mb) = normalize(fmt, eb, mb);
    // A quotient of at least P + 2 bits, then the remainder as a sticky bit.
    let extra = fmt.frac_bits + 3;
    let (quotient, sticky) = if 2 * fmt.frac_bits + 4 <= 64 {
        let dividend = ma << extra;
        (dividend / mb, (dividend % mb != 0) as u64)
    } else {
        let dividend = (ma as u128) << extra;
        let divisor = mb as u128;
        // The quotient has at most P + 3 bits.
        (
            (dividend / divisor) as u64,
            (dividend % divisor != 0) as u64,
        )
    };
    round_pack(fmt, sign, ea - eb - extra as i32, quotient | sticky, ctl)
}

/// `a / b`.
#[inline]
pub fn div(fmt: Format, a: u64, b: u64, ctl: Control) -> (u64, Exceptions) {
    if let (Some((sa, ea, ma)), Some((sb, eb, mb))) = (normal_parts(fmt, a), normal_parts(fmt, b)) {
        return div_finite(fmt, sa != sb, (ea, ma), (eb, mb), ctl);
    }
    let (a, b) = (daz(fmt, a, ctl), daz(fmt, b, ctl));
    if fmt.is_nan(a) || fmt.is_nan(b) {
        return propagate_nan(fmt, a, b);
    }
    let denormal = denormal_flag(fmt, a, b);
    let sign = fmt.is_negative(a) != fmt.is_negative(b);
    match (classify(fmt, a), classify(fmt, b)) {
        (Class::Infinite(_), Class::Infinite(_)) | (Class::Zero(_), Class::Zero(_)) => {
            (fmt.default_nan(), invalid())
        }
        (Class::Infinite(_), _) => (fmt.infinity(sign), denormal),
        (_, Class::Infinite(_)) => (fmt.zero(sign), denormal),
        (Class::Zero(_), _) => (fmt.zero(sign), denormal),
        // Divide-by-zero takes precedence over a denormal dividend (DE is not set).
        (_, Class::Zero(_)) => (fmt.infinity(sign), Exceptions::DIVIDE_BY_ZERO),
        (
            Class::Finite {
                exp: ea, sig: ma, ..
            },
            Class::Finite {
                exp: eb, sig: mb, ..
            },
        ) => {
            let (r, f) = div_finite(fmt, sign, (ea, ma), (eb, mb), ctl);
            (r, f | denormal)
        }
        _ => (fmt.default_nan(), invalid()),
    }
}

/// Integer square root of a `u64` (digit by digit).
#[inline]
fn isqrt64(n: u64) -> u64 {
    let mut rem = n;
    let mut root = 0u64;
    let mut bit = 1u64 << ((63 - n.leading_zeros().min(63)) & !1);
    while bit != 0 {
        if rem >= root + bit {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    root
}

/// Integer square root of `n < 2^120`, and whether it was exact.
#[inline]
fn isqrt(n: u128) -> (u64, bool) {
    if n >> 64 == 0 {
        let root = isqrt64(n as u64);
        return (root, root as u128 * root as u128 == n);
    }
    // An overestimate from the top 62 bits, one Newton step (which stays above the
    // root and squares the relative error to about 2^-62), then exact correction.
    let bits = 128 - n.leading_zeros();
    let k = (bits - 61) & !1;
    let estimate = (isqrt64((n >> k) as u64) as u128 + 1) << (k / 2);
    let mut root = (estimate + n / estimate) / 2;
    while root * root > n {
        root -= 1;
    }
    (root as u64, root * root == n)
}

/// The square root of `a`.
#[inline]
pub fn sqrt(fmt: Format, a: u64, ctl: Control) -> (u64, Exceptions) {
    let a = daz(fmt, a, ctl);
    if fmt.is_nan(a) {
        let flags = if fmt.is_signaling_nan(a) {
            invalid()
        } else {
            Exceptions::NONE
        };
        return (fmt.quiet(a), flags);
    }
    let denormal = denormal_flag(fmt, a, 0);
    match classify(fmt, a) {
        Class::Zero(_) => (a, Exceptions::NONE),
        Class::Infinite(false) => (a, Exceptions::NONE),
        Class::Infinite(true) | Class::Finite { sign: true, .. } => {
            // Invalid takes precedence over a denormal operand (DE is not set).
            (fmt.default_nan(), invalid())
        }
        Class::Finite { exp, sig, .. } => {
            let (exp, sig) = normalize(fmt, exp, sig);
            // A root of at least P + 2 bits: the radicand gets 2 * frac + 6 or 7 bits,
            // with an even exponent.
            let base = fmt.frac_bits as i32 + 5;
            let shift = if (exp - base) & 1 == 0 {
                base
            } else {
                base + 1
            };
            let radicand = (sig as u128) << shift;
            let (root, exact) = isqrt(radicand);
            let (r, f) = round_pack(fmt, false, (exp - shift) / 2, root | (!exact) as u64, ctl);
            (r, f | denormal)
        }
        Class::NaN => (fmt.default_nan(), invalid()),
    }
}

/// The outcome of comparing two values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    Less,
    Equal,
    Greater,
    Unordered,
}

/// Compares `a` with `b` (after DAZ). `signal_on_qnan` selects the signalling compare
/// (IE on any NaN) versus the quiet one (IE on a signalling NaN only). DE is raised for
/// a denormal operand when no operand is a NaN.
#[inline]
pub fn compare(
    fmt: Format,
    a: u64,
    b: u64,
    signal_on_qnan: bool,
    ctl: Control,
) -> (Relation, Exceptions) {
    let (a, b) = (daz(fmt, a, ctl), daz(fmt, b, ctl));
    if fmt.is_nan(a) || fmt.is_nan(b) {
        let signal = signal_on_qnan || fmt.is_signaling_nan(a) || fmt.is_signaling_nan(b);
        let flags = if signal { invalid() } else { Exceptions::NONE };
        return (Relation::Unordered, flags);
    }
    let denormal = denormal_flag(fmt, a, b);
    (compare_ordered(fmt, a, b), denormal)
}

/// Orders two non-NaN bit patterns by value (+0 equals -0).
#[inline]
fn compare_ordered(fmt: Format, a: u64, b: u64) -> Relation {
    if fmt.is_zero(a) && fmt.is_zero(b) {
        return Relation::Equal;
    }
    let key = |x: u64| -> i128 {
        let magnitude = (x & !fmt.sign_bit()) as i128;
        if fmt.is_negative(x) {
            -magnitude
        } else {
            magnitude
        }
    };
    match key(a).cmp(&key(b)) {
        Ordering::Less => Relation::Less,
        Ordering::Equal => Relation::Equal,
        Ordering::Greater => Relation::Greater,
    }
}

/// `minss`-style minimum (`max` when `want_max`): the first operand if it is strictly
/// smaller (larger), else the second. Any NaN gives the second operand and IE; two zeros
/// give the second operand.
#[inline]
pub fn min_max(fmt: Format, a: u64, b: u64, want_max: bool, ctl: Control) -> (u64, Exceptions) {
    let (da, db) = (daz(fmt, a, ctl), daz(fmt, b, ctl));
    if fmt.is_nan(da) || fmt.is_nan(db) {
        return (db, invalid());
    }
    let denormal = denormal_flag(fmt, da, db);
    let wanted = if want_max {
        Relation::Greater
    } else {
        Relation::Less
    };
    if compare_ordered(fmt, da, db) == wanted {
        (da, denormal)
    } else {
        (db, denormal)
    }
}

/// Converts between binary32 and binary64 (`cvtss2sd`, `cvtsd2ss`, `cvtps2pd`, ...).
#[inline]
pub fn convert_format(from: Format, to: Format, a: u64, ctl: Control) -> (u64, Exceptions) {
    let a = daz(from, a, ctl);
    let sign = from.is_negative(a);
    if from.is_nan(a) {
        let flags = if from.is_signaling_nan(a) {
            invalid()
        } else {
            Exceptions::NONE
        };
        // Keep the payload's top bits; quiet the result.
        let payload = a & from.frac_mask();
        let payload = if to.frac_bits >= from.frac_bits {
            payload << (to.frac_bits - from.frac_bits)
        } else {
            payload >> (from.frac_bits - to.frac_bits)
        };
        return (to.quiet(to.infinity(sign) | payload), flags);
    }
    match classify(from, a) {
        Class::Zero(s) => (to.zero(s), Exceptions::NONE),
        Class::Infinite(s) => (to.infinity(s), Exceptions::NONE),
        Class::Finite { sign, exp, sig } => {
            let (r, f) = round_pack(to, sign, exp, sig, ctl);
            (r, f | denormal_flag(from, a, 0))
        }
        Class::NaN => (to.default_nan(), invalid()),
    }
}

/// The "integer indefinite" that invalid float-to-integer conversions return.
pub const INTEGER_INDEFINITE: u32 = 0x8000_0000;

/// Converts to a signed 32-bit integer in `ctl.rounding` (`cvtss2si`; `cvttss2si` passes
/// [`Rounding::TowardZero`]). NaN or out of range gives [`INTEGER_INDEFINITE`] and IE.
#[inline]
pub fn to_int32(fmt: Format, a: u64, ctl: Control) -> (u32, Exceptions) {
    let a = daz(fmt, a, ctl);
    match classify(fmt, a) {
        Class::Zero(_) => (0, Exceptions::NONE),
        Class::Infinite(_) | Class::NaN => (INTEGER_INDEFINITE, invalid()),
        Class::Finite { sign, exp, sig } => {
            let (magnitude, inexact) = if exp >= 0 {
                // Anything with more than 33 integer bits is out of range.
                if exp > 32 || (64 - sig.leading_zeros()) as i32 + exp > 33 {
                    return (INTEGER_INDEFINITE, invalid());
                }
                (sig << exp, false)
            } else {
                round_shift(sig, (-exp).min(100) as u32, sign, ctl.rounding)
            };
            let limit: u64 = if sign { 1 << 31 } else { (1 << 31) - 1 };
            if magnitude > limit {
                return (INTEGER_INDEFINITE, invalid());
            }
            let value = if sign {
                (magnitude as u32).wrapping_neg()
            } else {
                magnitude as u32
            };
            let flags = if inexact {
                Exceptions::PRECISION
            } else {
                Exceptions::NONE
            };
            (value, flags)
        }
    }
}

/// Converts a signed 32-bit integer (`cvtsi2ss`, `cvtdq2pd`, ...).
#[inline]
pub fn from_int32(fmt: Format, value: i32, ctl: Control) -> (u64, Exceptions) {
    let sign = value < 0;
    round_pack(fmt, sign, 0, value.unsigned_abs() as u64, ctl)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctl() -> Control {
        Control::new(Mxcsr::POWER_ON)
    }

    #[test]
    fn simd_ieee_basic_arithmetic() {
        let f = BINARY32;
        assert_eq!(
            add(f, 0x3F80_0000, 0x4000_0000, false, ctl()).0,
            0x4040_0000
        );
        assert_eq!(mul(f, 0x4040_0000, 0x4040_0000, ctl()).0, 0x4110_0000);
        assert_eq!(
            div(f, 0x3F80_0000, 0x4040_0000, ctl()),
            (0x3EAA_AAAB, Exceptions::PRECISION)
        );
        assert_eq!(sqrt(f, 0x4080_0000, ctl()).0, 0x4000_0000);
        let d = BINARY64;
        assert_eq!(
            sqrt(d, 0x4000_0000_0000_0000, ctl()).0,
            0x3FF6_A09E_667F_3BCD
        );
        assert_eq!(
            to_int32(d, 0x41E0_0000_0000_0000, ctl()),
            (INTEGER_INDEFINITE, invalid())
        );
        assert_eq!(
            to_int32(d, 0xC1E0_0000_0000_0000, ctl()),
            (0x8000_0000, Exceptions::NONE)
        );
    }
}
