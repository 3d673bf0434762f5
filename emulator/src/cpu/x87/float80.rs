//! The 80-bit extended-precision value (`F80`) as the x87 stores it: sign, 15-bit biased
//! exponent and a 64-bit significand with an explicit integer bit. This module owns the bit
//! layout, the 10-byte memory format and the classification of encodings (including the
//! pseudo-denormal, unnormal, pseudo-infinity and pseudo-NaN encodings that the 387 and later
//! treat specially). It performs no arithmetic.

/// Exponent bias of the extended format.
pub const EXP_BIAS: i32 = 0x3FFF;
/// Biased exponent of infinities and NaNs.
pub const EXP_MAX: u16 = 0x7FFF;
/// The explicit integer bit of the significand.
pub const INTEGER_BIT: u64 = 1 << 63;
/// The bit that distinguishes a quiet NaN from a signalling NaN.
pub const QUIET_BIT: u64 = 1 << 62;

/// An x87 extended-precision value, bit for bit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(C)]
pub struct F80 {
    /// The 64-bit significand including the explicit integer bit (bit 63).
    pub signif: u64,
    /// Bit 15 is the sign, bits 0..=14 the biased exponent.
    pub sign_exp: u16,
}

/// What an encoding means to the 387 and later processors.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Class {
    /// Positive or negative zero.
    Zero,
    /// Exponent 0, integer bit clear, significand non-zero.
    Denormal,
    /// Exponent 0 with the integer bit set: a valid operand treated like a denormal.
    PseudoDenormal,
    /// A normal number: exponent 1..=0x7FFE and integer bit set.
    Normal,
    /// Infinity (significand exactly 0x8000_0000_0000_0000).
    Infinity,
    /// A quiet NaN.
    QuietNan,
    /// A signalling NaN.
    SignallingNan,
    /// Unnormal, pseudo-infinity or pseudo-NaN: the 387+ raise invalid-operand for these.
    Unsupported,
}

impl F80 {
    /// Positive zero.
    pub const ZERO: F80 = F80::from_parts(false, 0, 0);
    /// +1.0.
    pub const ONE: F80 = F80::from_parts(false, 0x3FFF, INTEGER_BIT);
    /// Positive infinity.
    pub const INFINITY: F80 = F80::from_parts(false, EXP_MAX, INTEGER_BIT);
    /// The "real indefinite" QNaN produced by masked invalid operations.
    pub const INDEFINITE: F80 = F80::from_parts(true, EXP_MAX, 0xC000_0000_0000_0000);

    /// Builds a value from sign, biased exponent (15 bits used) and significand.
    pub const fn from_parts(sign: bool, exp: u16, signif: u64) -> F80 {
        F80 {
            signif,
            sign_exp: ((sign as u16) << 15) | (exp & EXP_MAX),
        }
    }

    /// The sign bit.
    pub const fn sign(self) -> bool {
        self.sign_exp & 0x8000 != 0
    }

    /// The biased exponent.
    pub const fn exp(self) -> u16 {
        self.sign_exp & EXP_MAX
    }

    /// Reads the 10-byte little-endian memory format.
    pub fn from_bytes(bytes: [u8; 10]) -> F80 {
        let mut low = [0u8; 8];
        low.copy_from_slice(&bytes[..8]);
        F80 {
            signif: u64::from_le_bytes(low),
            sign_exp: u16::from_le_bytes([bytes[8], bytes[9]]),
        }
    }

    /// Writes the 10-byte little-endian memory format.
    pub fn to_bytes(self) -> [u8; 10] {
        let mut out = [0u8; 10];
        out[..8].copy_from_slice(&self.signif.to_le_bytes());
        out[8..].copy_from_slice(&self.sign_exp.to_le_bytes());
        out
    }

    /// The same value with the sign cleared.
    pub const fn abs(self) -> F80 {
        F80 {
            signif: self.signif,
            sign_exp: self.sign_exp & EXP_MAX,
        }
    }

    /// The same value with the sign inverted.
    pub const fn negate(self) -> F80 {
        F80 {
            signif: self.signif,
            sign_exp: self.sign_exp ^ 0x8000,
        }
    }

    /// The same value with the given sign.
    pub const fn with_sign(self, sign: bool) -> F80 {
        F80::from_parts(sign, self.exp(), self.signif)
    }

    /// Classifies the encoding.
    pub fn class(self) -> Class {
        let exp = self.exp();
        let integer = self.signif & INTEGER_BIT != 0;
        match exp {
            0 if self.signif == 0 => Class::Zero,
            0 if integer => Class::PseudoDenormal,
            0 => Class::Denormal,
            EXP_MAX if !integer => Class::Unsupported,
            EXP_MAX if self.signif << 1 == 0 => Class::Infinity,
            EXP_MAX if self.signif & QUIET_BIT != 0 => Class::QuietNan,
            EXP_MAX => Class::SignallingNan,
            _ if !integer => Class::Unsupported,
            _ => Class::Normal,
        }
    }

    /// True for quiet and signalling NaNs (not for pseudo-NaNs).
    pub fn is_nan(self) -> bool {
        matches!(self.class(), Class::QuietNan | Class::SignallingNan)
    }

    /// True for signalling NaNs.
    pub fn is_signalling_nan(self) -> bool {
        self.class() == Class::SignallingNan
    }

    /// True for denormals and pseudo-denormals (the operands that raise DE).
    pub fn is_denormal_operand(self) -> bool {
        matches!(self.class(), Class::Denormal | Class::PseudoDenormal)
    }

    /// True for zeros of either sign.
    pub fn is_zero(self) -> bool {
        self.class() == Class::Zero
    }

    /// The same NaN with the quiet bit set.
    pub const fn quieted(self) -> F80 {
        F80 {
            signif: self.signif | QUIET_BIT,
            sign_exp: self.sign_exp,
        }
    }
}

impl core::fmt::Debug for F80 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:04X}:{:016X}", self.sign_exp, self.signif)
    }
}

/// A finite non-zero value unpacked for arithmetic: value = `signif` * 2^(`exp` - 16383 - 63),
/// with `signif` normalised so that bit 63 is set.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Unpacked {
    /// The sign.
    pub sign: bool,
    /// The unbounded biased exponent (may be below 1 after normalising a denormal).
    pub exp: i32,
    /// The significand with bit 63 set.
    pub signif: u64,
}

impl Unpacked {
    /// Unpacks a finite non-zero value (normal, denormal or pseudo-denormal), normalising it.
    /// Returns `None` for zeros, infinities, NaNs and unsupported encodings.
    pub fn from_f80(v: F80) -> Option<Unpacked> {
        let (exp, signif) = match v.class() {
            Class::Normal => (v.exp() as i32, v.signif),
            // A denormal's value uses the exponent of the smallest normal.
            Class::Denormal | Class::PseudoDenormal => (1, v.signif),
            _ => return None,
        };
        let shift = signif.leading_zeros();
        Some(Unpacked {
            sign: v.sign(),
            exp: exp - shift as i32,
            signif: signif << shift,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x87_classifies_special_encodings() {
        assert_eq!(F80::INDEFINITE.class(), Class::QuietNan);
        assert_eq!(F80::INFINITY.class(), Class::Infinity);
        assert_eq!(
            F80::from_parts(false, EXP_MAX, 0).class(),
            Class::Unsupported
        );
        assert_eq!(F80::from_parts(false, 5, 1).class(), Class::Unsupported);
        assert_eq!(
            F80::from_parts(false, 0, INTEGER_BIT).class(),
            Class::PseudoDenormal
        );
        assert_eq!(F80::from_parts(true, 0, 1).class(), Class::Denormal);
        assert_eq!(
            F80::from_parts(true, EXP_MAX, INTEGER_BIT | 1).class(),
            Class::SignallingNan
        );
    }

    #[test]
    fn x87_memory_format_round_trips() {
        let v = F80::from_parts(true, 0x4000, 0xC90F_DAA2_2168_C235);
        let bytes = v.to_bytes();
        assert_eq!(bytes[9], 0xC0);
        assert_eq!(F80::from_bytes(bytes), v);
    }

    #[test]
    fn x87_unpacks_denormals_normalised() {
        let u = Unpacked::from_f80(F80::from_parts(false, 0, 1)).unwrap();
        assert_eq!(u.signif, INTEGER_BIT);
        assert_eq!(u.exp, 1 - 63);
    }
}
