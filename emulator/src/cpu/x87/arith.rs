//! The correctly rounded basic operations on `F80`: add, subtract, multiply, divide and
//! square root, with the x87's handling of special operands (unsupported encodings, NaN
//! propagation, infinities, signed zeros, denormal operands) and the shared helpers other
//! operations use for those rules. Every function is pure: operands in, `(result, flags)` out.
//! Whether a result may be written (unmasked IE/DE/ZE suppress it) is decided by the caller.

use super::float80::{Class, Unpacked, EXP_BIAS, F80};
use super::round::{round_to_format, shift_right_sticky, Control, Flags, Format, RoundingMode};

/// A pure operation's outcome: the value to deliver (if the exceptions allow it) and flags.
pub type Outcome = (F80, Flags);

/// The invalid-operation response: real indefinite with IE.
pub const fn invalid() -> Outcome {
    (F80::INDEFINITE, Flags::IE)
}

/// The x87 rule for choosing the NaN result when at least one operand is a NaN: a QNaN beats
/// an SNaN, between two NaNs of the same kind the larger significand wins (the positive one on
/// a tie), and the result is always quiet. IE is raised if either operand signals.
pub fn propagate_nan(a: F80, b: F80) -> Outcome {
    let flags = if a.is_signalling_nan() || b.is_signalling_nan() {
        Flags::IE
    } else {
        Flags::NONE
    };
    let chosen = match (a.is_nan(), b.is_nan()) {
        (true, false) => a,
        (false, true) => b,
        _ => {
            let (sa, sb) = (a.is_signalling_nan(), b.is_signalling_nan());
            if sa && !sb {
                b
            } else if sb && !sa {
                a
            } else if a.signif != b.signif {
                if a.signif > b.signif {
                    a
                } else {
                    b
                }
            } else if a.sign_exp < b.sign_exp {
                a
            } else {
                b
            }
        }
    };
    (chosen.quieted(), flags)
}

/// Handles the operands every two-operand arithmetic instruction rejects first: unsupported
/// encodings (IE, indefinite) and NaNs (propagation). Returns `None` when neither applies.
pub fn special_pair(a: F80, b: F80) -> Option<Outcome> {
    if a.class() == Class::Unsupported || b.class() == Class::Unsupported {
        return Some(invalid());
    }
    if a.is_nan() || b.is_nan() {
        return Some(propagate_nan(a, b));
    }
    None
}

/// Same as [`special_pair`] for one operand.
pub fn special_single(a: F80) -> Option<Outcome> {
    match a.class() {
        Class::Unsupported => Some(invalid()),
        Class::SignallingNan => Some((a.quieted(), Flags::IE)),
        Class::QuietNan => Some((a, Flags::NONE)),
        _ => None,
    }
}

/// DE if either operand is a denormal or pseudo-denormal.
pub fn denormal_flag(a: F80, b: F80) -> Flags {
    if a.is_denormal_operand() || b.is_denormal_operand() {
        Flags::DE
    } else {
        Flags::NONE
    }
}

/// Signed zero.
pub const fn zero(sign: bool) -> F80 {
    F80::ZERO.with_sign(sign)
}

/// Signed infinity.
pub const fn infinity(sign: bool) -> F80 {
    F80::INFINITY.with_sign(sign)
}

/// Rounds an exact intermediate to an extended register at `control`'s precision. `exp` is
/// the unbiased exponent of bit 127 of `sig`; a zero `sig` yields a zero of `sign`.
pub fn round_to_register(sign: bool, exp: i32, sig: u128, control: Control) -> Outcome {
    if sig == 0 {
        return (zero(sign), Flags::NONE);
    }
    let format = Format::register(control.precision);
    let r = round_to_format(sign, exp, sig, format, control);
    (r.to_f80(format), r.flags)
}

/// Unbiased exponent of bit 63 of an unpacked significand.
fn unbiased(u: &Unpacked) -> i32 {
    u.exp - EXP_BIAS
}

/// `a + b`, rounded per `control` (FADD).
pub fn add(a: F80, b: F80, control: Control) -> Outcome {
    add_signed(a, b, false, control)
}

/// `a - b`, rounded per `control` (FSUB; FSUBR swaps the operands).
pub fn sub(a: F80, b: F80, control: Control) -> Outcome {
    add_signed(a, b, true, control)
}

fn add_signed(a: F80, b: F80, negate_b: bool, control: Control) -> Outcome {
    if let Some(out) = special_pair(a, b) {
        return out;
    }
    let flags = denormal_flag(a, b);
    let b = if negate_b { b.negate() } else { b };
    let (ca, cb) = (a.class(), b.class());
    match (ca == Class::Infinity, cb == Class::Infinity) {
        (true, true) if a.sign() != b.sign() => return (F80::INDEFINITE, flags | Flags::IE),
        (true, _) => return (a, flags),
        (_, true) => return (b, flags),
        _ => {}
    }
    let (ua, ub) = match (Unpacked::from_f80(a), Unpacked::from_f80(b)) {
        (None, None) => {
            // Both zero.
            let sign = if a.sign() == b.sign() {
                a.sign()
            } else {
                control.rounding == RoundingMode::Down
            };
            return (zero(sign), flags);
        }
        (Some(u), None) | (None, Some(u)) => {
            let (v, f) = round_to_register(u.sign, unbiased(&u), (u.signif as u128) << 64, control);
            return (v, flags | f);
        }
        (Some(ua), Some(ub)) => (ua, ub),
    };
    // Larger exponent first; two bits of headroom above the significand for the carry.
    let (big, small) = if ua.exp >= ub.exp { (ua, ub) } else { (ub, ua) };
    let big_sig = (big.signif as u128) << 62;
    let diff = (big.exp - small.exp) as u32;
    let small_sig = shift_right_sticky((small.signif as u128) << 62, diff);
    let exp = unbiased(&big) + 2;
    let (sign, sig) = if big.sign == small.sign {
        (big.sign, big_sig + small_sig)
    } else if big_sig >= small_sig {
        (big.sign, big_sig - small_sig)
    } else {
        (small.sign, small_sig - big_sig)
    };
    if sig == 0 {
        return (zero(control.rounding == RoundingMode::Down), flags);
    }
    let (v, f) = round_to_register(sign, exp, sig, control);
    (v, flags | f)
}

/// `a * b`, rounded per `control` (FMUL).
pub fn mul(a: F80, b: F80, control: Control) -> Outcome {
    if let Some(out) = special_pair(a, b) {
        return out;
    }
    let flags = denormal_flag(a, b);
    let sign = a.sign() != b.sign();
    let (ca, cb) = (a.class(), b.class());
    if ca == Class::Infinity || cb == Class::Infinity {
        if ca == Class::Zero || cb == Class::Zero {
            return (F80::INDEFINITE, flags | Flags::IE);
        }
        return (infinity(sign), flags);
    }
    let (ua, ub) = match (Unpacked::from_f80(a), Unpacked::from_f80(b)) {
        (Some(ua), Some(ub)) => (ua, ub),
        _ => return (zero(sign), flags),
    };
    let product = (ua.signif as u128) * (ub.signif as u128);
    let exp = unbiased(&ua) + unbiased(&ub) + 1;
    let (v, f) = round_to_register(sign, exp, product, control);
    (v, flags | f)
}

/// `a / b`, rounded per `control` (FDIV; FDIVR swaps the operands).
pub fn div(a: F80, b: F80, control: Control) -> Outcome {
    if let Some(out) = special_pair(a, b) {
        return out;
    }
    let flags = denormal_flag(a, b);
    let sign = a.sign() != b.sign();
    let (ca, cb) = (a.class(), b.class());
    match (ca, cb) {
        (Class::Infinity, Class::Infinity) | (Class::Zero, Class::Zero) => {
            return (F80::INDEFINITE, flags | Flags::IE)
        }
        (Class::Infinity, _) => return (infinity(sign), flags),
        (_, Class::Infinity) | (Class::Zero, _) => return (zero(sign), flags),
        // Zero divide takes priority over the denormal-operand exception.
        (_, Class::Zero) => return (infinity(sign), Flags::ZE),
        _ => {}
    }
    let (ua, ub) = match (Unpacked::from_f80(a), Unpacked::from_f80(b)) {
        (Some(ua), Some(ub)) => (ua, ub),
        _ => return (zero(sign), flags),
    };
    // a/b = (a_sig * 2^127 / b_sig) * 2^(ea - eb - 127): bit 127 carries exponent ea - eb.
    let sig = divide_significands(ua.signif, ub.signif);
    let (v, f) = round_to_register(sign, unbiased(&ua) - unbiased(&ub), sig, control);
    (v, flags | f)
}

/// Divides two normalised 64-bit significands: returns `a * 2^127 / b` truncated, with the
/// remainder folded into bit 0 as a sticky bit (at least 127 significant bits).
pub fn divide_significands(a: u64, b: u64) -> u128 {
    let b = b as u128;
    let numerator = (a as u128) << 63;
    let high = numerator / b;
    let rem = numerator % b;
    let low_num = rem << 64;
    let low = low_num / b;
    let sticky = (low_num % b != 0) as u128;
    (high << 64) | low | sticky
}

/// Integer square root of a 64-bit value, digit by digit.
fn isqrt_u64(n: u64) -> u64 {
    let mut root: u64 = 0;
    let mut rem: u64 = 0;
    for i in (0..32).rev() {
        rem = (rem << 2) | ((n >> (2 * i)) & 3);
        let trial = (root << 2) | 1;
        root <<= 1;
        if rem >= trial {
            rem -= trial;
            root |= 1;
        }
    }
    root
}

/// Integer square root of a 128-bit value and the remainder `n - root^2`: a 32-bit root of
/// the high half, then Newton steps from above, which decrease monotonically to the floor.
pub fn isqrt_u128(n: u128) -> (u64, u128) {
    if n == 0 {
        return (0, 0);
    }
    let high_root = isqrt_u64((n >> 64) as u64) as u128;
    // (high_root + 1) * 2^32 >= sqrt(n), and is at most 2^64.
    let mut root = (high_root + 1) << 32;
    loop {
        let next = (root + n / root) >> 1;
        if next >= root {
            break;
        }
        root = next;
    }
    (root as u64, n - root * root)
}

/// `sqrt(a)`, rounded per `control` (FSQRT).
pub fn sqrt(a: F80, control: Control) -> Outcome {
    if let Some(out) = special_single(a) {
        return out;
    }
    let flags = if a.is_denormal_operand() {
        Flags::DE
    } else {
        Flags::NONE
    };
    match a.class() {
        Class::Zero => return (a, flags),
        Class::Infinity if !a.sign() => return (a, flags),
        // Invalid takes priority over the denormal-operand exception.
        _ if a.sign() => return invalid(),
        _ => {}
    }
    let u = match Unpacked::from_f80(a) {
        Some(u) => u,
        None => return invalid(),
    };
    // value = m * 2^e2 with e2 even and m in [2^126, 2^128).
    let e = unbiased(&u);
    let (m, e2) = if (e - 127) % 2 == 0 {
        ((u.signif as u128) << 64, e - 127)
    } else {
        ((u.signif as u128) << 63, e - 126)
    };
    let (root, rem) = isqrt_u128(m);
    // The root is irrational unless rem == 0, so it is never exactly halfway: one guard bit
    // and a sticky bit decide every rounding.
    let guard = rem > root as u128;
    let sig = ((root as u128) << 64) | ((guard as u128) << 63) | (rem != 0) as u128;
    let (v, f) = round_to_register(false, e2 / 2 + 63, sig, control);
    (v, flags | f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctl() -> Control {
        Control::from_word(0x037F)
    }

    #[test]
    fn x87_one_plus_one_is_two() {
        let (v, f) = add(F80::ONE, F80::ONE, ctl());
        assert_eq!(v, F80::from_parts(false, 0x4000, 1 << 63));
        assert_eq!(f, Flags::NONE);
    }

    #[test]
    fn x87_sqrt_of_four_is_two() {
        let four = F80::from_parts(false, 0x4001, 1 << 63);
        assert_eq!(sqrt(four, ctl()).0, F80::from_parts(false, 0x4000, 1 << 63));
    }

    #[test]
    fn x87_isqrt_matches_definition() {
        let mut x: u128 = 0x1234_5678_9ABC_DEF0_0FED_CBA9_8765_4321;
        for _ in 0..10_000 {
            x = x
                .wrapping_mul(0x2545_F491_4F6C_DD1D_9E37_79B9_7F4A_7C15)
                .wrapping_add(1);
            for n in [
                x,
                x >> 1,
                x >> 70,
                u128::MAX,
                1 << 126,
                (1 << 126) - 1,
                0,
                1,
            ] {
                let (r, rem) = isqrt_u128(n);
                let r = r as u128;
                assert!(r * r <= n, "{n:X}");
                assert_eq!(rem, n - r * r);
                assert!(r + 1 > u64::MAX as u128 || (r + 1) * (r + 1) > n, "{n:X}");
            }
        }
    }

    #[test]
    fn x87_one_third() {
        let three = F80::from_parts(false, 0x4000, 0xC000_0000_0000_0000);
        let (v, f) = div(F80::ONE, three, ctl());
        assert_eq!(v, F80::from_parts(false, 0x3FFD, 0xAAAA_AAAA_AAAA_AAAB));
        assert_eq!(f, Flags::PE | Flags::C1);
    }
}
