//! Software IEEE 754 binary32 and binary64 arithmetic with the exact behaviour of x86
//! SSE: MXCSR rounding, DAZ and FTZ, tininess detected after rounding, x86 NaN rules
//! (the first source operand wins, signalling NaNs are quieted, invalid operations give
//! the negative "QNaN indefinite"), and the six exception flags.
//!
//! Values are bit patterns in the low bits of a `u64`; a [`Format`] says which
//! interchange format they are. Host floating point is never used, so results are the
//! same on every host and on wasm. Functions here work on one element; packing into
//! registers lives in `packed_float`. Nothing here panics on any input.
//!
//! Split by job: `round` turns exact results into formatted values with the flags,
//! `arith` has add/sub, mul, div and sqrt, `compare` the orderings and min/max, and
//! `convert` the format and integer conversions. This file has the format description
//! and operand classification they share.

mod arith;
mod compare;
mod convert;
mod round;

pub use arith::{add, div, mul, sqrt};
pub use compare::{compare, min_max, Relation};
pub use convert::{convert_format, from_int32, to_int32, INTEGER_INDEFINITE};
pub use round::round_pack;

use super::mxcsr::{Exceptions, Mxcsr, Rounding};

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
pub(super) enum Class {
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
pub(super) fn classify(fmt: Format, bits: u64) -> Class {
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
pub(super) fn normal_parts(fmt: Format, bits: u64) -> Option<(bool, i32, u64)> {
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

/// first operand if it is a NaN, else the second, quieted. IE if either is signalling.
#[inline]
pub(super) fn propagate_nan(fmt: Format, a: u64, b: u64) -> (u64, Exceptions) {
    let flags = if fmt.is_signaling_nan(a) || fmt.is_signaling_nan(b) {
        Exceptions::INVALID
    } else {
        Exceptions::NONE
    };
    let nan = if fmt.is_nan(a) { a } else { b };
    (fmt.quiet(nan), flags)
}

#[inline]
pub(super) fn denormal_flag(fmt: Format, a: u64, b: u64) -> Exceptions {
    if fmt.is_denormal(a) || fmt.is_denormal(b) {
        Exceptions::DENORMAL
    } else {
        Exceptions::NONE
    }
}

#[inline]
pub(super) fn invalid() -> Exceptions {
    Exceptions::INVALID
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
