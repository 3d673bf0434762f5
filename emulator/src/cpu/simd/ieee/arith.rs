//! Add, subtract, multiply, divide and square root of one element, with x86 NaN,
//! DAZ and denormal-operand rules. Normal operands take inlined fast paths; zeros,
//! denormals, infinities and NaNs go out of line.

use super::round::{jam_to_u64, round_pack};
use super::{
    classify, daz, denormal_flag, invalid, normal_parts, propagate_nan, Class, Control, Format,
};
use crate::cpu::simd::mxcsr::{Exceptions, Rounding};

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
