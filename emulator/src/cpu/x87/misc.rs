//! The exact, non-rounding x87 operations on values: partial remainder (FPREM, FPREM1 with
//! their quotient bits), FSCALE, FXTRACT, comparisons (FCOM/FUCOM/FCOMI/FUCOMI/FTST) and
//! classification (FXAM). Pure functions; the register stack is elsewhere.

use super::arith::{
    denormal_flag, infinity, invalid, round_to_register, special_pair, zero, Outcome,
};
use super::convert::{from_i64, integer_magnitude};
use super::float80::{Class, Unpacked, EXP_BIAS, F80};
use super::round::{Control, Flags, RoundingMode};

/// Condition code bits at their status-word positions.
pub mod cond {
    /// C0.
    pub const C0: u16 = 0x0100;
    /// C1.
    pub const C1: u16 = 0x0200;
    /// C2.
    pub const C2: u16 = 0x0400;
    /// C3.
    pub const C3: u16 = 0x4000;
    /// All four.
    pub const ALL: u16 = C0 | C1 | C2 | C3;
}

/// Outcome of FPREM/FPREM1.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Remainder {
    /// The (partial) remainder for ST(0).
    pub value: F80,
    /// Exceptions.
    pub flags: Flags,
    /// C0..C3 as the instruction sets them: quotient bits Q2 (C0), Q1 (C3), Q0 (C1), and C2
    /// when the reduction is incomplete. `None` when no quotient was formed (NaN or invalid
    /// operands): the hardware then clears C1 and C2 and leaves C0 and C3 unchanged.
    pub cond: Option<u16>,
}

/// FPREM (`round_nearest` false: truncating quotient) and FPREM1 (IEEE remainder). The
/// remainder is exact; `control` only matters for a tiny result with underflow unmasked
/// (bias-adjusted, as the hardware delivers it).
pub fn remainder(a: F80, b: F80, round_nearest: bool, control: Control) -> Remainder {
    let simple = |(value, flags): Outcome| Remainder {
        value,
        flags,
        cond: None,
    };
    if let Some(out) = special_pair(a, b) {
        return simple(out);
    }
    let de = denormal_flag(a, b);
    match (a.class(), b.class()) {
        (Class::Infinity, _) | (_, Class::Zero) => {
            // Invalid takes priority over the denormal-operand exception.
            return simple(invalid());
        }
        (Class::Zero, _) => {
            return Remainder {
                value: a,
                flags: de,
                cond: Some(0),
            }
        }
        (_, Class::Infinity) => {
            // The dividend comes back unchanged; a pseudo-denormal is re-encoded as normal.
            let value = if a.class() == Class::PseudoDenormal {
                F80::from_parts(a.sign(), 1, a.signif)
            } else {
                a
            };
            return Remainder {
                value,
                flags: de,
                cond: Some(0),
            };
        }
        _ => {}
    }
    let (Some(ua), Some(ub)) = (Unpacked::from_f80(a), Unpacked::from_f80(b)) else {
        return simple(invalid());
    };
    let extended = control.extended();
    let (ea, eb) = (ua.exp - EXP_BIAS, ub.exp - EXP_BIAS);
    let d = ea - eb;
    let (sa, sb) = (ua.signif as u128, ub.signif as u128);
    if d >= 64 {
        // Partial reduction: the exponent drops by 32..=63.
        let n = ((d & 31) | 32) as u32;
        let rem = (sa << n) % sb;
        let (value, flags) = round_to_register(ua.sign, ea - n as i32 + 64, rem, extended);
        let value = if rem == 0 { zero(ua.sign) } else { value };
        return Remainder {
            value,
            flags: flags | de,
            cond: Some(cond::C2),
        };
    }
    let (mut quotient, mut rem, mut sign) = if d < 0 {
        (0u128, sa, ua.sign)
    } else {
        let num = sa << d;
        (num / sb, num % sb, ua.sign)
    };
    // `rem` is in units of b's last significand bit when d >= 0, of a's otherwise.
    let mut unit_exp = if d < 0 { ea - 63 } else { eb - 63 };
    if round_nearest {
        if d >= 0 {
            let twice = rem << 1;
            if twice > sb || (twice == sb && quotient & 1 == 1) {
                quotient += 1;
                rem = sb - rem;
                sign = !sign;
            }
        } else if d == -1 && sa > sb {
            // |a| > |b| / 2: quotient 1, remainder |b| - |a| with the opposite sign.
            quotient = 1;
            rem = (sb << 1) - sa;
            unit_exp = ea - 63;
            sign = !sign;
        }
    }
    let (value, flags) = if rem == 0 {
        (zero(ua.sign), Flags::NONE)
    } else {
        round_to_register(sign, unit_exp + 127, rem, extended)
    };
    let q = quotient as u16;
    let cond = (((q >> 2) & 1) * cond::C0) | (((q >> 1) & 1) * cond::C3) | ((q & 1) * cond::C1);
    Remainder {
        value,
        flags: flags | de,
        cond: Some(cond),
    }
}

/// FSCALE: `a * 2^trunc(b)`, rounded at 64-bit precision in the current rounding mode.
pub fn scale(a: F80, b: F80, control: Control) -> Outcome {
    if let Some(out) = special_pair(a, b) {
        return out;
    }
    let de = denormal_flag(a, b);
    match (a.class(), b.class()) {
        (Class::Zero, Class::Infinity) if !b.sign() => return (F80::INDEFINITE, de | Flags::IE),
        (Class::Infinity, Class::Infinity) if b.sign() => return (F80::INDEFINITE, de | Flags::IE),
        (Class::Zero | Class::Infinity, _) => return (a, de),
        (_, Class::Infinity) => {
            return if b.sign() {
                (zero(a.sign()), de)
            } else {
                (infinity(a.sign()), de)
            }
        }
        _ => {}
    }
    let Some(ua) = Unpacked::from_f80(a) else {
        return invalid();
    };
    let shift: i32 = match Unpacked::from_f80(b) {
        None => 0,
        Some(ub) => match integer_magnitude(ub, RoundingMode::TowardZero) {
            Some((mag, _, _)) => {
                let m = mag.min(1 << 20) as i32;
                if ub.sign {
                    -m
                } else {
                    m
                }
            }
            None => {
                if ub.sign {
                    -(1 << 20)
                } else {
                    1 << 20
                }
            }
        },
    };
    let (v, f) = round_to_register(
        ua.sign,
        ua.exp - EXP_BIAS + shift,
        (ua.signif as u128) << 64,
        control.extended(),
    );
    (v, f | de)
}

/// FXTRACT: returns (exponent as a value, significand with exponent 0). The exponent goes to
/// ST(1) and the significand to ST(0) after the push. Zero raises ZE.
pub fn extract(a: F80) -> (F80, F80, Flags) {
    match a.class() {
        Class::Unsupported => return (F80::INDEFINITE, F80::INDEFINITE, Flags::IE),
        Class::SignallingNan => return (a.quieted(), a.quieted(), Flags::IE),
        Class::QuietNan => return (a, a, Flags::NONE),
        Class::Zero => return (infinity(true), a, Flags::ZE),
        Class::Infinity => return (infinity(false), a, Flags::NONE),
        _ => {}
    }
    let de = if a.is_denormal_operand() {
        Flags::DE
    } else {
        Flags::NONE
    };
    let Some(u) = Unpacked::from_f80(a) else {
        return (F80::INDEFINITE, F80::INDEFINITE, Flags::IE);
    };
    let exponent = from_i64((u.exp - EXP_BIAS) as i64);
    let significand = F80::from_parts(u.sign, EXP_BIAS as u16, u.signif);
    (exponent, significand, de)
}

/// Result of a comparison.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ordering {
    /// a < b.
    Less,
    /// a == b.
    Equal,
    /// a > b.
    Greater,
    /// A NaN or unsupported operand.
    Unordered,
}

impl Ordering {
    /// C3, C2, C0 as FCOM/FUCOM/FTST set them (C1 cleared).
    pub const fn condition_codes(self) -> u16 {
        match self {
            Ordering::Greater => 0,
            Ordering::Less => cond::C0,
            Ordering::Equal => cond::C3,
            Ordering::Unordered => cond::C0 | cond::C2 | cond::C3,
        }
    }

    /// ZF, PF, CF (EFLAGS bits 6, 2, 0) as FCOMI/FUCOMI set them.
    pub const fn eflags(self) -> u32 {
        match self {
            Ordering::Greater => 0,
            Ordering::Less => 0x01,
            Ordering::Equal => 0x40,
            Ordering::Unordered => 0x45,
        }
    }
}

/// Compares `a` with `b`. `quiet` (FUCOM*) raises IE only for signalling NaNs; FCOM* raises
/// it for any NaN. Unsupported encodings always raise IE.
pub fn compare(a: F80, b: F80, quiet: bool) -> (Ordering, Flags) {
    let (ca, cb) = (a.class(), b.class());
    if ca == Class::Unsupported || cb == Class::Unsupported {
        return (Ordering::Unordered, Flags::IE);
    }
    if a.is_nan() || b.is_nan() {
        let signals = !quiet || a.is_signalling_nan() || b.is_signalling_nan();
        let flags = if signals { Flags::IE } else { Flags::NONE };
        return (Ordering::Unordered, flags);
    }
    let flags = denormal_flag(a, b);
    (order(a, b), flags)
}

/// Orders two non-NaN, supported values.
fn order(a: F80, b: F80) -> Ordering {
    let key = |v: F80| -> (i32, u64) {
        match v.class() {
            Class::Zero => (i32::MIN, 0),
            Class::Infinity => (i32::MAX, 0),
            _ => match Unpacked::from_f80(v) {
                Some(u) => (u.exp, u.signif),
                None => (i32::MIN, 0),
            },
        }
    };
    let (ka, kb) = (key(a), key(b));
    let (za, zb) = (a.class() == Class::Zero, b.class() == Class::Zero);
    if za && zb {
        return Ordering::Equal;
    }
    let magnitude = ka.cmp(&kb);
    let (sa, sb) = (a.sign() && !za, b.sign() && !zb);
    use core::cmp::Ordering as O;
    let result = match (sa, sb) {
        (false, true) => O::Greater,
        (true, false) => O::Less,
        (false, false) => magnitude,
        (true, true) => magnitude.reverse(),
    };
    match result {
        O::Less => Ordering::Less,
        O::Equal => Ordering::Equal,
        O::Greater => Ordering::Greater,
    }
}

/// FXAM condition codes (C3, C2, C0, with C1 = sign) for a non-empty register.
pub fn examine(a: F80) -> u16 {
    let class_bits = match a.class() {
        Class::Unsupported => 0,
        Class::QuietNan | Class::SignallingNan => cond::C0,
        Class::Normal => cond::C2,
        Class::Infinity => cond::C2 | cond::C0,
        Class::Zero => cond::C3,
        Class::Denormal | Class::PseudoDenormal => cond::C3 | cond::C2,
    };
    class_bits | if a.sign() { cond::C1 } else { 0 }
}

/// FXAM condition codes for an empty register (C1 still reports the sign bit).
pub fn examine_empty(a: F80) -> u16 {
    cond::C3 | cond::C0 | if a.sign() { cond::C1 } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x87_fprem_of_seven_by_two() {
        let seven = from_i64(7);
        let two = from_i64(2);
        let r = remainder(seven, two, false, Control::from_word(0x037F));
        assert_eq!(r.value, F80::ONE);
        assert_eq!(r.cond, Some(cond::C3 | cond::C1)); // quotient 3
        let r1 = remainder(seven, two, true, Control::from_word(0x037F));
        assert_eq!(r1.value, F80::ONE.negate()); // quotient 4
        assert_eq!(r1.cond, Some(cond::C0));
    }

    #[test]
    fn x87_compare_signed_zeros_equal() {
        assert_eq!(
            compare(F80::ZERO, F80::ZERO.negate(), false).0,
            Ordering::Equal
        );
        assert_eq!(
            compare(F80::ONE.negate(), F80::ZERO, false).0,
            Ordering::Less
        );
    }
}
