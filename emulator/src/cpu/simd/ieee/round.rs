//! Rounding an exact result into binary32/binary64: MXCSR rounding modes, tininess after
//! rounding, FTZ, overflow responses and the PE/UE/OE flags (including the rules for
//! unmasked OE/UE, where no result is written).

use super::{Control, Format};
use crate::cpu::simd::mxcsr::{Exceptions, Rounding};

/// Rounds `sig >> shift` to an integer in `rounding`; returns it and whether bits were lost.
#[inline]
pub(super) fn round_shift(sig: u64, shift: u32, sign: bool, rounding: Rounding) -> (u64, bool) {
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
pub(super) fn jam_to_u64(exp: i32, sig: u128) -> (i32, u64) {
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
pub(super) fn round_pack_slow(
    fmt: Format,
    sign: bool,
    exp: i32,
    sig: u64,
    ctl: Control,
) -> (u64, Exceptions) {
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
