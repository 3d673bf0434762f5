//! Conversions of one element: binary32 <-> binary64 (NaN payloads kept, quieted) and
//! float <-> int32 (the "integer indefinite" on NaN or overflow).

use super::round::{round_pack, round_shift};
use super::{classify, daz, denormal_flag, invalid, Class, Control, Format};
use crate::cpu::simd::mxcsr::Exceptions;

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
