//! Conversions between `F80` and the memory formats the x87 loads and stores: IEEE single and
//! double (as bit patterns, never host floats), 16/32/64-bit two's-complement integers (FILD,
//! FIST/FISTP with the rounding mode, FISTTP truncating) and 18-digit packed BCD (FBLD, FBSTP).
//! Also the shared "round to an integer" step that FRNDINT uses.

use super::arith::{special_single, Outcome};
use super::float80::{Class, Unpacked, EXP_BIAS, EXP_MAX, F80, INTEGER_BIT, QUIET_BIT};
use super::round::{round_bits, round_to_format, Control, Flags, Format, RoundingMode};

/// The single-precision QNaN indefinite.
pub const F32_INDEFINITE: u32 = 0xFFC0_0000;
/// The double-precision QNaN indefinite.
pub const F64_INDEFINITE: u64 = 0xFFF8_0000_0000_0000;
/// The packed-BCD indefinite (bytes 7..=9 are C0 FF FF).
pub const BCD_INDEFINITE: [u8; 10] = [0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF];

/// Widens an IEEE binary value with `fraction_bits` fraction bits and exponent `bias` to
/// extended precision. Exact; SNaN raises IE and is quieted, denormals raise DE.
fn from_ieee(bits: u64, fraction_bits: u32, exp_bits: u32, bias: i32) -> Outcome {
    let sign = bits >> (fraction_bits + exp_bits) & 1 == 1;
    let exp_max = (1u64 << exp_bits) - 1;
    let exp = (bits >> fraction_bits) & exp_max;
    let fraction = bits & ((1u64 << fraction_bits) - 1);
    let align = 63 - fraction_bits;
    if exp == exp_max {
        if fraction == 0 {
            return (F80::INFINITY.with_sign(sign), Flags::NONE);
        }
        let nan = F80::from_parts(sign, EXP_MAX, INTEGER_BIT | (fraction << align));
        return if nan.signif & QUIET_BIT == 0 {
            (nan.quieted(), Flags::IE)
        } else {
            (nan, Flags::NONE)
        };
    }
    if exp == 0 {
        if fraction == 0 {
            return (F80::ZERO.with_sign(sign), Flags::NONE);
        }
        let shift = fraction.leading_zeros();
        let e = (1 - bias) - (shift as i32 - (63 - fraction_bits as i32));
        let value = F80::from_parts(sign, (e + EXP_BIAS) as u16, fraction << shift);
        return (value, Flags::DE);
    }
    let e = exp as i32 - bias + EXP_BIAS;
    (
        F80::from_parts(sign, e as u16, INTEGER_BIT | (fraction << align)),
        Flags::NONE,
    )
}

/// FLD m32: single-precision bits to extended.
pub fn from_f32(bits: u32) -> Outcome {
    from_ieee(bits as u64, 23, 8, 127)
}

/// FLD m64: double-precision bits to extended.
pub fn from_f64(bits: u64) -> Outcome {
    from_ieee(bits, 52, 11, 1023)
}

/// Widens a memory operand for arithmetic (FADD m32 and friends): exact, but a signalling
/// NaN stays signalling so that the arithmetic's NaN rules see it. Returns DE for denormals.
fn widen_operand((value, flags): Outcome, original_signalling: bool) -> Outcome {
    if original_signalling {
        (
            F80 {
                signif: value.signif & !QUIET_BIT,
                ..value
            },
            Flags::NONE,
        )
    } else {
        (value, flags)
    }
}

/// Single-precision memory operand of an arithmetic instruction.
pub fn f32_operand(bits: u32) -> Outcome {
    let signalling =
        bits & 0x7F80_0000 == 0x7F80_0000 && bits & 0x7F_FFFF != 0 && bits & 0x40_0000 == 0;
    widen_operand(from_f32(bits), signalling)
}

/// Double-precision memory operand of an arithmetic instruction.
pub fn f64_operand(bits: u64) -> Outcome {
    let exp_mask = 0x7FF0_0000_0000_0000u64;
    let signalling = bits & exp_mask == exp_mask
        && bits & 0xF_FFFF_FFFF_FFFF != 0
        && bits & 0x8_0000_0000_0000 == 0;
    widen_operand(from_f64(bits), signalling)
}

/// Narrows to an IEEE format, rounding per `control` (precision control does not apply).
fn to_ieee(v: F80, format: Format, indefinite: u64, control: Control) -> (u64, Flags) {
    let fraction_bits = format.precision - 1;
    let exp_bits = if format.precision == 24 { 8 } else { 11 };
    let sign_bit = (v.sign() as u64) << (fraction_bits + exp_bits);
    let exp_all_ones = ((1u64 << exp_bits) - 1) << fraction_bits;
    match v.class() {
        Class::Unsupported => return (indefinite, Flags::IE),
        Class::Zero => return (sign_bit, Flags::NONE),
        Class::Infinity => return (sign_bit | exp_all_ones, Flags::NONE),
        Class::QuietNan | Class::SignallingNan => {
            let flags = if v.is_signalling_nan() {
                Flags::IE
            } else {
                Flags::NONE
            };
            let fraction = ((v.signif | QUIET_BIT) << 1) >> (64 - fraction_bits);
            return (sign_bit | exp_all_ones | fraction, flags);
        }
        _ => {}
    }
    // Stores report no denormal-operand exception.
    let de = Flags::NONE;
    let u = match Unpacked::from_f80(v) {
        Some(u) => u,
        None => return (indefinite, Flags::IE),
    };
    let r = round_to_format(
        u.sign,
        u.exp - EXP_BIAS,
        (u.signif as u128) << 64,
        format,
        control,
    );
    (r.to_ieee_bits(format), r.flags | de)
}

/// FST m32: extended to single-precision bits. With unmasked overflow or underflow the
/// hardware stores nothing; the caller checks the flags.
pub fn to_f32(v: F80, control: Control) -> (u32, Flags) {
    let (bits, flags) = to_ieee(v, Format::SINGLE, F32_INDEFINITE as u64, control);
    (bits as u32, flags)
}

/// FST m64: extended to double-precision bits.
pub fn to_f64(v: F80, control: Control) -> (u64, Flags) {
    to_ieee(v, Format::DOUBLE, F64_INDEFINITE, control)
}

/// FILD: an integer (any width, sign-extended to i64) to extended. Always exact.
pub fn from_i64(n: i64) -> F80 {
    if n == 0 {
        return F80::ZERO;
    }
    let mag = n.unsigned_abs();
    let shift = mag.leading_zeros();
    F80::from_parts(n < 0, (EXP_BIAS + 63 - shift as i32) as u16, mag << shift)
}

/// A finite value rounded to an integer magnitude: `None` when it is at least 2^65.
/// Returns (magnitude, inexact, incremented).
pub fn integer_magnitude(u: Unpacked, mode: RoundingMode) -> Option<(u128, bool, bool)> {
    let e = u.exp - EXP_BIAS;
    if e > 64 {
        return None;
    }
    if e >= 63 {
        return Some(((u.signif as u128) << (e - 63), false, false));
    }
    Some(round_bits(u.signif as u128, (63 - e) as u32, u.sign, mode))
}

/// FIST/FISTP/FISTTP: rounds with `mode` to a signed integer of `bits` (16, 32 or 64).
/// Returns the two's-complement bits (zero-extended) and flags; out of range, NaN, infinity
/// and unsupported encodings give IE and the integer indefinite (only the sign bit set).
pub fn to_int(v: F80, bits: u32, mode: RoundingMode) -> (u64, Flags) {
    let indefinite = 1u64 << (bits - 1);
    let mask = u64::MAX >> (64 - bits);
    match v.class() {
        Class::Zero => return (0, Flags::NONE),
        Class::Normal | Class::Denormal | Class::PseudoDenormal => {}
        _ => return (indefinite, Flags::IE),
    }
    // Stores report no denormal-operand exception.
    let de = Flags::NONE;
    let u = match Unpacked::from_f80(v) {
        Some(u) => u,
        None => return (indefinite, Flags::IE),
    };
    let Some((mag, inexact, incremented)) = integer_magnitude(u, mode) else {
        return (indefinite, de | Flags::IE);
    };
    let limit = if u.sign {
        1u128 << (bits - 1)
    } else {
        (1u128 << (bits - 1)) - 1
    };
    if mag > limit {
        return (indefinite, de | Flags::IE);
    }
    let mut flags = de;
    if inexact {
        flags |= Flags::PE;
    }
    if incremented {
        flags |= Flags::C1;
    }
    let value = if u.sign {
        (mag as u64).wrapping_neg()
    } else {
        mag as u64
    };
    (value & mask, flags)
}

/// FBLD: 18 packed BCD digits and a sign byte to extended. Exact. Nibbles above 9 are not
/// checked (the hardware result is undefined for them).
pub fn from_bcd(bytes: [u8; 10]) -> F80 {
    let mut n: u64 = 0;
    for &byte in bytes[..9].iter().rev() {
        n = n
            .wrapping_mul(100)
            .wrapping_add(((byte >> 4) as u64) * 10 + (byte & 0xF) as u64);
    }
    let sign = bytes[9] & 0x80 != 0;
    if n == 0 {
        return F80::ZERO.with_sign(sign);
    }
    let shift = n.leading_zeros();
    F80::from_parts(sign, (EXP_BIAS + 63 - shift as i32) as u16, n << shift)
}

/// FBSTP: rounds with `mode` and stores 18 BCD digits; |value| >= 10^18, NaN, infinity and
/// unsupported encodings give IE and the BCD indefinite.
pub fn to_bcd(v: F80, mode: RoundingMode) -> ([u8; 10], Flags) {
    let sign_byte = if v.sign() { 0x80 } else { 0 };
    match v.class() {
        Class::Zero => {
            let mut out = [0u8; 10];
            out[9] = sign_byte;
            return (out, Flags::NONE);
        }
        Class::Normal | Class::Denormal | Class::PseudoDenormal => {}
        _ => return (BCD_INDEFINITE, Flags::IE),
    }
    // Stores report no denormal-operand exception.
    let de = Flags::NONE;
    let Some(u) = Unpacked::from_f80(v) else {
        return (BCD_INDEFINITE, Flags::IE);
    };
    let Some((mag, inexact, incremented)) = integer_magnitude(u, mode) else {
        return (BCD_INDEFINITE, de | Flags::IE);
    };
    if mag >= 1_000_000_000_000_000_000 {
        return (BCD_INDEFINITE, de | Flags::IE);
    }
    let mut n = mag as u64;
    let mut out = [0u8; 10];
    for byte in out.iter_mut().take(9) {
        let low = (n % 10) as u8;
        n /= 10;
        let high = (n % 10) as u8;
        n /= 10;
        *byte = (high << 4) | low;
    }
    out[9] = sign_byte;
    let mut flags = de;
    if inexact {
        flags |= Flags::PE;
    }
    if incremented {
        flags |= Flags::C1;
    }
    (out, flags)
}

/// FRNDINT: rounds to an integer in the current rounding mode at full precision.
pub fn round_to_integer(v: F80, control: Control) -> Outcome {
    if let Some(out) = special_single(v) {
        return out;
    }
    if matches!(v.class(), Class::Zero | Class::Infinity) {
        return (v, Flags::NONE);
    }
    let de = if v.is_denormal_operand() {
        Flags::DE
    } else {
        Flags::NONE
    };
    let Some(u) = Unpacked::from_f80(v) else {
        return super::arith::invalid();
    };
    let Some((mag, inexact, incremented)) = integer_magnitude(u, control.rounding) else {
        // Already an integer (at least 2^65).
        return (v, de);
    };
    let mut flags = de;
    if inexact {
        flags |= Flags::PE;
    }
    if incremented {
        flags |= Flags::C1;
    }
    if mag == 0 {
        return (F80::ZERO.with_sign(u.sign), flags);
    }
    let shift = mag.leading_zeros();
    let signif = ((mag << shift) >> 64) as u64;
    let exp = EXP_BIAS + 127 - shift as i32;
    (F80::from_parts(u.sign, exp as u16, signif), flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x87_f64_round_trip_of_one() {
        let (v, f) = from_f64(0x3FF0_0000_0000_0000);
        assert_eq!((v, f), (F80::ONE, Flags::NONE));
        let control = Control::from_word(0x037F);
        assert_eq!(to_f64(v, control), (0x3FF0_0000_0000_0000, Flags::NONE));
    }

    #[test]
    fn x87_bcd_round_trip() {
        let bytes = [0x89, 0x67, 0x45, 0x23, 0x01, 0, 0, 0, 0, 0x80];
        let v = from_bcd(bytes);
        assert_eq!(to_bcd(v, RoundingMode::NearestEven), (bytes, Flags::NONE));
    }

    #[test]
    fn x87_int_conversion_limits() {
        let v = from_i64(i64::MIN);
        assert_eq!(
            to_int(v, 64, RoundingMode::NearestEven),
            (1 << 63, Flags::NONE)
        );
        assert_eq!(
            to_int(v, 32, RoundingMode::NearestEven),
            (1 << 31, Flags::IE)
        );
    }
}
