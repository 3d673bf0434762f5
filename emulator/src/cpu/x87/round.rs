//! Rounding: the control-word settings (precision control, rounding mode, exception masks),
//! the exception flag set every operation returns, and the one routine that rounds an exact
//! intermediate result to a destination format (extended register at 24/53/64-bit precision,
//! or the single/double memory formats) with the x87's overflow, underflow (tininess after
//! rounding), denormalisation, C1 round-up and bias-adjust behaviour. It does not know about
//! the register stack.

use super::float80::{EXP_BIAS, F80};

/// Exception and condition bits an operation reports, at their status-word positions.
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
pub struct Flags(pub u16);

impl Flags {
    /// Invalid operation.
    pub const IE: Flags = Flags(0x0001);
    /// Denormal operand.
    pub const DE: Flags = Flags(0x0002);
    /// Zero divide.
    pub const ZE: Flags = Flags(0x0004);
    /// Overflow.
    pub const OE: Flags = Flags(0x0008);
    /// Underflow.
    pub const UE: Flags = Flags(0x0010);
    /// Precision (inexact result).
    pub const PE: Flags = Flags(0x0020);
    /// Stack fault (always together with IE).
    pub const SF: Flags = Flags(0x0040);
    /// Condition bit C1: for arithmetic, "the result was rounded up in magnitude".
    pub const C1: Flags = Flags(0x0200);
    /// No flags.
    pub const NONE: Flags = Flags(0);
    /// The six exception bits.
    pub const EXCEPTIONS: u16 = 0x003F;

    /// True if any bit of `other` is set here.
    pub const fn has(self, other: Flags) -> bool {
        self.0 & other.0 != 0
    }
}

impl core::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl core::ops::BitOrAssign for Flags {
    fn bitor_assign(&mut self, rhs: Flags) {
        self.0 |= rhs.0;
    }
}

/// Rounding control (control word bits 10-11).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RoundingMode {
    /// Round to nearest, ties to even.
    NearestEven,
    /// Toward negative infinity.
    Down,
    /// Toward positive infinity.
    Up,
    /// Toward zero (truncate).
    TowardZero,
}

/// Precision control (control word bits 8-9): significand bits kept by FADD..FSQRT.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Precision {
    /// 24 bits.
    Single,
    /// 53 bits.
    Double,
    /// 64 bits.
    Extended,
}

impl Precision {
    /// Number of significand bits including the integer bit.
    pub const fn bits(self) -> u32 {
        match self {
            Precision::Single => 24,
            Precision::Double => 53,
            Precision::Extended => 64,
        }
    }
}

/// The settings of the control word that arithmetic depends on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Control {
    /// Significand precision of FADD/FSUB/FMUL/FDIV/FSQRT results.
    pub precision: Precision,
    /// Rounding mode.
    pub rounding: RoundingMode,
    /// Exception mask bits (IM DM ZM OM UM PM at bits 0..=5).
    pub masks: u16,
}

impl Control {
    /// Decodes the control word. The reserved precision setting 01 behaves as 64 bits.
    pub const fn from_word(cw: u16) -> Control {
        let precision = match (cw >> 8) & 3 {
            0 => Precision::Single,
            2 => Precision::Double,
            _ => Precision::Extended,
        };
        let rounding = match (cw >> 10) & 3 {
            0 => RoundingMode::NearestEven,
            1 => RoundingMode::Down,
            2 => RoundingMode::Up,
            _ => RoundingMode::TowardZero,
        };
        Control {
            precision,
            rounding,
            masks: cw & Flags::EXCEPTIONS,
        }
    }

    /// The same settings with 64-bit precision (for operations precision control ignores).
    pub const fn extended(self) -> Control {
        Control {
            precision: Precision::Extended,
            rounding: self.rounding,
            masks: self.masks,
        }
    }

    /// True if the exception(s) in `flag` are masked.
    pub const fn masked(self, flag: Flags) -> bool {
        self.masks & flag.0 == flag.0
    }
}

/// A destination format: significand precision and normal exponent range (unbiased).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Format {
    /// Significand bits including the integer bit.
    pub precision: u32,
    /// Exponent of the smallest normal number.
    pub emin: i32,
    /// Exponent of the largest finite number.
    pub emax: i32,
    /// Exponent bias of the encoding.
    pub bias: i32,
    /// The bias adjustment applied to results on unmasked overflow/underflow.
    pub bias_adjust: i32,
}

impl Format {
    /// An extended-precision register rounded to `precision`.
    pub const fn register(precision: Precision) -> Format {
        Format {
            precision: precision.bits(),
            emin: 1 - EXP_BIAS,
            emax: 0x7FFE - EXP_BIAS,
            bias: EXP_BIAS,
            bias_adjust: 24576,
        }
    }
    /// IEEE single in memory.
    pub const SINGLE: Format = Format {
        precision: 24,
        emin: -126,
        emax: 127,
        bias: 127,
        bias_adjust: 192,
    };
    /// IEEE double in memory.
    pub const DOUBLE: Format = Format {
        precision: 53,
        emin: -1022,
        emax: 1023,
        bias: 1023,
        bias_adjust: 1536,
    };
}

/// A rounded finite or infinite result in a destination format.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Rounded {
    /// The sign.
    pub sign: bool,
    /// Biased exponent in the destination encoding (0 for denormals and zero, all ones for
    /// infinity).
    pub biased_exp: i32,
    /// Significand of `precision` bits, integer bit at bit `precision - 1`.
    pub signif: u64,
    /// Exceptions raised and C1.
    pub flags: Flags,
}

impl Rounded {
    /// Packs into an extended register (significand left-aligned to bit 63).
    pub fn to_f80(self, format: Format) -> F80 {
        let signif = self.signif << (64 - format.precision);
        F80::from_parts(self.sign, (self.biased_exp & 0x7FFF) as u16, signif)
    }

    /// Packs into the IEEE binary interchange layout of `format` (single or double).
    pub fn to_ieee_bits(self, format: Format) -> u64 {
        let fraction_bits = format.precision - 1;
        let fraction = self.signif & ((1u64 << fraction_bits) - 1);
        let exp_bits = if format.precision == 24 { 8 } else { 11 };
        let exp = (self.biased_exp as u64) & ((1u64 << exp_bits) - 1);
        ((self.sign as u64) << (fraction_bits + exp_bits)) | (exp << fraction_bits) | fraction
    }
}

/// Rounds away the low `drop` bits of `sig` according to `mode`. Returns the kept bits
/// (possibly carried one bit wider), whether anything was discarded, and whether the kept part
/// was incremented.
pub fn round_bits(sig: u128, drop: u32, sign: bool, mode: RoundingMode) -> (u128, bool, bool) {
    if drop == 0 {
        return (sig, false, false);
    }
    let (kept, rem, half) = if drop >= 129 {
        // Everything is discarded and the remainder is below one half of the last kept unit.
        (0u128, sig, None)
    } else if drop == 128 {
        (0u128, sig, Some(1u128 << 127))
    } else {
        (
            sig >> drop,
            sig & ((1u128 << drop) - 1),
            Some(1u128 << (drop - 1)),
        )
    };
    if rem == 0 {
        return (kept, false, false);
    }
    let increment = match mode {
        RoundingMode::NearestEven => match half {
            Some(h) => rem > h || (rem == h && kept & 1 == 1),
            None => false,
        },
        RoundingMode::TowardZero => false,
        RoundingMode::Down => sign,
        RoundingMode::Up => !sign,
    };
    (kept + increment as u128, true, increment)
}

/// Shifts right keeping a sticky bit: any one shifted out is ORed into bit 0.
pub fn shift_right_sticky(v: u128, shift: u32) -> u128 {
    if shift == 0 {
        v
    } else if shift >= 128 {
        (v != 0) as u128
    } else {
        (v >> shift) | ((v & ((1u128 << shift) - 1) != 0) as u128)
    }
}

/// Rounds the exact non-zero value `sig * 2^(exp - 127)` (so `exp` is the exponent of bit 127)
/// to `format` under `control`. `sig` need not be normalised but must be non-zero; bit 0 may
/// be a sticky bit. Unmasked overflow/underflow deliver the bias-adjusted result as the x87
/// does for register destinations.
pub fn round_to_format(
    sign: bool,
    exp: i32,
    sig: u128,
    format: Format,
    control: Control,
) -> Rounded {
    debug_assert!(sig != 0);
    let lz = sig.leading_zeros();
    let sig = sig << lz;
    let exp = exp - lz as i32;
    let p = format.precision;
    let mode = control.rounding;

    // Round as if the exponent range were unbounded.
    let (mut kept, inexact, incremented) = round_bits(sig, 128 - p, sign, mode);
    let mut rounded_exp = exp;
    if kept >> p != 0 {
        kept >>= 1;
        rounded_exp += 1;
    }
    let mut flags = Flags::NONE;
    if inexact {
        flags |= Flags::PE;
    }
    if incremented {
        flags |= Flags::C1;
    }

    if rounded_exp > format.emax {
        // Unmasked: deliver the result with the exponent reduced by the bias adjustment, if
        // that brings it into range (otherwise the hardware falls back to the masked result).
        let adjusted = rounded_exp - format.bias_adjust;
        if !control.masked(Flags::OE) && adjusted <= format.emax {
            return Rounded {
                sign,
                biased_exp: adjusted + format.bias,
                signif: kept as u64,
                flags: flags | Flags::OE,
            };
        }
        // Unmasked but beyond even the bias-adjusted range: the hardware delivers infinity.
        let to_infinity = !control.masked(Flags::OE)
            || match mode {
                RoundingMode::NearestEven => true,
                RoundingMode::TowardZero => false,
                RoundingMode::Down => sign,
                RoundingMode::Up => !sign,
            };
        let overflow = Flags::OE | Flags::PE;
        return if to_infinity {
            Rounded {
                sign,
                biased_exp: format.emax + format.bias + 1,
                signif: 1u64 << (p - 1),
                flags: overflow | Flags::C1,
            }
        } else {
            Rounded {
                sign,
                biased_exp: format.emax + format.bias,
                signif: u64::MAX >> (64 - p),
                flags: overflow,
            }
        };
    }

    if rounded_exp < format.emin {
        let adjusted = rounded_exp + format.bias_adjust;
        if !control.masked(Flags::UE) && adjusted >= format.emin {
            return Rounded {
                sign,
                biased_exp: adjusted + format.bias,
                signif: kept as u64,
                flags: flags | Flags::UE,
            };
        }
        if !control.masked(Flags::UE) {
            // Unmasked but beyond even the bias-adjusted range: the hardware delivers zero.
            return Rounded {
                sign,
                biased_exp: 0,
                signif: 0,
                flags: Flags::UE | Flags::PE,
            };
        }
        // Denormalise: the rounding position stays at the precision's last bit of the field.
        let shift = (format.emin - exp) as u32;
        let (kept, inexact, incremented) =
            round_bits(sig, (128 - p).saturating_add(shift), sign, mode);
        let mut flags = Flags::NONE;
        if inexact {
            flags |= Flags::PE | Flags::UE;
        }
        if incremented {
            flags |= Flags::C1;
        }
        let biased_exp = if kept >> (p - 1) != 0 { 1 } else { 0 };
        return Rounded {
            sign,
            biased_exp,
            signif: kept as u64,
            flags,
        };
    }

    Rounded {
        sign,
        biased_exp: rounded_exp + format.bias,
        signif: kept as u64,
        flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nearest() -> Control {
        Control::from_word(0x037F)
    }

    #[test]
    fn x87_round_bits_ties_to_even() {
        assert_eq!(
            round_bits(0b1011, 1, false, RoundingMode::NearestEven),
            (0b110, true, true)
        );
        assert_eq!(
            round_bits(0b1001, 1, false, RoundingMode::NearestEven),
            (0b100, true, false)
        );
        assert_eq!(
            round_bits(1, 200, true, RoundingMode::Down),
            (1, true, true)
        );
    }

    #[test]
    fn x87_rounds_one_exactly() {
        let r = round_to_format(
            false,
            0,
            1u128 << 127,
            Format::register(Precision::Extended),
            nearest(),
        );
        assert_eq!(r.to_f80(Format::register(Precision::Extended)), F80::ONE);
        assert_eq!(r.flags, Flags::NONE);
    }

    #[test]
    fn x87_overflow_masked_gives_infinity() {
        let f = Format::register(Precision::Extended);
        let r = round_to_format(false, 20000, 1u128 << 127, f, nearest());
        assert_eq!(r.to_f80(f), F80::INFINITY);
        assert_eq!(r.flags, Flags::OE | Flags::PE | Flags::C1);
    }
}
