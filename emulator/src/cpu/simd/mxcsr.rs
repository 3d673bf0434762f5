//! The MXCSR register: rounding control, flush-to-zero, denormals-are-zero, the six
//! sticky exception flags and their masks.
//!
//! Owns the rules for loading MXCSR (`ldmxcsr`/`fxrstor` reject reserved bits with #GP),
//! for committing the exceptions one SSE instruction raised (the pre-computation versus
//! post-computation split of Intel SDM vol. 1, 11.5.1), and for telling the interpreter
//! which `si_code` Linux would put in the SIGFPE of an unmasked SIMD exception (#XM).
//! It does no arithmetic.

/// Exceptions raised by one operation, in MXCSR's own bit order (bits 0-5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Exceptions(pub u8);

impl Exceptions {
    pub const NONE: Exceptions = Exceptions(0);
    /// Invalid operation (IE).
    pub const INVALID: Exceptions = Exceptions(1 << 0);
    /// Denormal operand (DE).
    pub const DENORMAL: Exceptions = Exceptions(1 << 1);
    /// Divide by zero (ZE).
    pub const DIVIDE_BY_ZERO: Exceptions = Exceptions(1 << 2);
    /// Numeric overflow (OE).
    pub const OVERFLOW: Exceptions = Exceptions(1 << 3);
    /// Numeric underflow (UE).
    pub const UNDERFLOW: Exceptions = Exceptions(1 << 4);
    /// Inexact result, "precision" (PE).
    pub const PRECISION: Exceptions = Exceptions(1 << 5);
    /// The exceptions detected before the result is computed (IE, DE, ZE).
    pub const PRE_COMPUTATION: Exceptions = Exceptions(0b000111);
    /// The exceptions detected on the result (OE, UE, PE).
    pub const POST_COMPUTATION: Exceptions = Exceptions(0b111000);
    pub const ALL: Exceptions = Exceptions(0b111111);

    #[inline]
    pub const fn contains(self, other: Exceptions) -> bool {
        self.0 & other.0 == other.0
    }
    #[inline]
    pub const fn intersects(self, other: Exceptions) -> bool {
        self.0 & other.0 != 0
    }
    #[inline]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
    #[inline]
    pub const fn union(self, other: Exceptions) -> Exceptions {
        Exceptions(self.0 | other.0)
    }
    #[inline]
    pub const fn intersection(self, other: Exceptions) -> Exceptions {
        Exceptions(self.0 & other.0)
    }
}

impl core::ops::BitOr for Exceptions {
    type Output = Exceptions;
    #[inline]
    fn bitor(self, rhs: Exceptions) -> Exceptions {
        self.union(rhs)
    }
}

impl core::ops::BitOrAssign for Exceptions {
    #[inline]
    fn bitor_assign(&mut self, rhs: Exceptions) {
        self.0 |= rhs.0;
    }
}

/// MXCSR rounding control (bits 13-14), the same encoding as the x87 control word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rounding {
    NearestEven = 0,
    Down = 1,
    Up = 2,
    TowardZero = 3,
}

impl Rounding {
    #[inline]
    pub const fn from_bits(bits: u32) -> Rounding {
        match bits & 3 {
            0 => Rounding::NearestEven,
            1 => Rounding::Down,
            2 => Rounding::Up,
            _ => Rounding::TowardZero,
        }
    }
}

/// The 32-bit MXCSR register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Mxcsr(u32);

/// `ldmxcsr`/`fxrstor` with a reserved MXCSR bit set: the interpreter raises #GP(0),
/// which Linux delivers as SIGSEGV with `si_code = SI_KERNEL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReservedMxcsrBits(pub u32);

/// An unmasked SIMD floating-point exception (#XM) that the instruction raised. The
/// destination must be left unchanged; Linux delivers SIGFPE with `si_code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimdFault {
    /// The `si_code` Linux computes for #XM (`FPE_FLTINV` and friends).
    pub si_code: i32,
}

/// Linux `si_code` values for SIGFPE.
pub mod si_code {
    pub const FPE_FLTDIV: i32 = 3;
    pub const FPE_FLTOVF: i32 = 4;
    pub const FPE_FLTUND: i32 = 5;
    pub const FPE_FLTRES: i32 = 6;
    pub const FPE_FLTINV: i32 = 7;
}

impl Default for Mxcsr {
    fn default() -> Mxcsr {
        Mxcsr::POWER_ON
    }
}

impl Mxcsr {
    /// The value after reset and at process start: all exceptions masked, round to nearest.
    pub const POWER_ON: Mxcsr = Mxcsr(0x1F80);
    /// Bits an i386 guest may set: flags, DAZ, masks, RC, FTZ. `MXCSR_MASK` in the FXSAVE
    /// image reports this value; the CPUs we model all support DAZ.
    pub const WRITABLE_BITS: u32 = 0xFFFF;
    const FLAGS: u32 = 0x3F;
    const DAZ: u32 = 1 << 6;
    const MASK_SHIFT: u32 = 7;
    const RC_SHIFT: u32 = 13;
    const FTZ: u32 = 1 << 15;

    /// Builds an MXCSR from any bits, dropping the reserved ones.
    #[inline]
    pub const fn from_bits_truncate(bits: u32) -> Mxcsr {
        Mxcsr(bits & Self::WRITABLE_BITS)
    }

    /// `ldmxcsr`: reserved bits set means #GP and MXCSR keeps its old value.
    #[inline]
    pub const fn load(bits: u32) -> Result<Mxcsr, ReservedMxcsrBits> {
        if bits & !Self::WRITABLE_BITS != 0 {
            Err(ReservedMxcsrBits(bits))
        } else {
            Ok(Mxcsr(bits))
        }
    }

    /// `stmxcsr`.
    #[inline]
    pub const fn bits(self) -> u32 {
        self.0
    }
    #[inline]
    pub const fn rounding(self) -> Rounding {
        Rounding::from_bits(self.0 >> Self::RC_SHIFT)
    }
    #[inline]
    pub const fn flush_to_zero(self) -> bool {
        self.0 & Self::FTZ != 0
    }
    #[inline]
    pub const fn denormals_are_zero(self) -> bool {
        self.0 & Self::DAZ != 0
    }
    /// The sticky exception flags.
    #[inline]
    pub const fn flags(self) -> Exceptions {
        Exceptions((self.0 & Self::FLAGS) as u8)
    }
    /// The exception masks (a set bit means masked).
    #[inline]
    pub const fn masks(self) -> Exceptions {
        Exceptions(((self.0 >> Self::MASK_SHIFT) & Self::FLAGS) as u8)
    }
    #[inline]
    pub const fn underflow_masked(self) -> bool {
        self.masks().contains(Exceptions::UNDERFLOW)
    }
    #[inline]
    pub const fn overflow_masked(self) -> bool {
        self.masks().contains(Exceptions::OVERFLOW)
    }

    /// The exceptions that are both flagged and unmasked. This is what Linux inspects to
    /// pick the `si_code` of a #XM.
    #[inline]
    pub const fn unmasked_flags(self) -> Exceptions {
        Exceptions(self.flags().0 & !self.masks().0 & Self::FLAGS as u8)
    }

    /// Records the exceptions one instruction raised (all its elements together) and says
    /// whether it traps.
    ///
    /// If any pre-computation exception (IE, DE, ZE) is unmasked, only the
    /// pre-computation flags are recorded and the instruction traps. Otherwise all flags
    /// are recorded and the instruction traps if any of them is unmasked. On `Err` the
    /// interpreter must not write the destination. (An element whose unmasked OE or UE
    /// traps reports no PE; `ieee` already leaves it out.)
    #[inline]
    pub fn commit(&mut self, raised: Exceptions) -> Result<(), SimdFault> {
        let unmasked = Exceptions(!self.masks().0 & Self::FLAGS as u8);
        let pre = raised.intersection(Exceptions::PRE_COMPUTATION);
        let recorded = if pre.intersects(unmasked) {
            pre
        } else {
            raised
        };
        self.0 |= recorded.0 as u32;
        if recorded.intersects(unmasked) {
            Err(SimdFault {
                si_code: self.linux_si_code(),
            })
        } else {
            Ok(())
        }
    }

    /// The `si_code` Linux gives a SIMD floating-point SIGFPE, from the flagged and
    /// unmasked exceptions of the whole MXCSR (arch/x86/kernel/traps.c, in priority
    /// order). Returns 0 when none is unmasked, as Linux does.
    pub const fn linux_si_code(self) -> i32 {
        let err = self.unmasked_flags();
        if err.intersects(Exceptions::INVALID) {
            si_code::FPE_FLTINV
        } else if err.intersects(Exceptions::DIVIDE_BY_ZERO) {
            si_code::FPE_FLTDIV
        } else if err.intersects(Exceptions::OVERFLOW) {
            si_code::FPE_FLTOVF
        } else if err.intersects(Exceptions(Exceptions::UNDERFLOW.0 | Exceptions::DENORMAL.0)) {
            si_code::FPE_FLTUND
        } else if err.intersects(Exceptions::PRECISION) {
            si_code::FPE_FLTRES
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simd_mxcsr_load_rejects_reserved_bits() {
        assert_eq!(Mxcsr::load(0x1F80), Ok(Mxcsr::POWER_ON));
        assert_eq!(Mxcsr::load(0xFFFF).map(Mxcsr::bits), Ok(0xFFFF));
        assert_eq!(Mxcsr::load(0x1_0000), Err(ReservedMxcsrBits(0x1_0000)));
        assert!(Mxcsr::load(0x8000_1F80).is_err());
    }

    #[test]
    fn simd_mxcsr_fields() {
        let m = Mxcsr::load(0x1F80 | 0x6000 | 0x8000 | 0x40 | 0x21).unwrap();
        assert_eq!(m.rounding(), Rounding::TowardZero);
        assert!(m.flush_to_zero());
        assert!(m.denormals_are_zero());
        assert_eq!(m.flags(), Exceptions(0x21));
        assert_eq!(m.masks(), Exceptions::ALL);
    }

    #[test]
    fn simd_mxcsr_commit_masked_sets_flags_without_fault() {
        let mut m = Mxcsr::POWER_ON;
        assert_eq!(
            m.commit(Exceptions::PRECISION | Exceptions::OVERFLOW),
            Ok(())
        );
        assert_eq!(m.bits(), 0x1F80 | 0x28);
    }

    #[test]
    fn simd_mxcsr_commit_unmasked_pre_computation_drops_post_flags() {
        // Invalid unmasked; the instruction also had an inexact element.
        let mut m = Mxcsr::load(0x1F80 & !(1 << 7)).unwrap();
        let r = m.commit(Exceptions::INVALID | Exceptions::PRECISION);
        assert_eq!(
            r,
            Err(SimdFault {
                si_code: si_code::FPE_FLTINV
            })
        );
        assert_eq!(m.flags(), Exceptions::INVALID);
    }

    #[test]
    fn simd_mxcsr_commit_unmasked_post_computation() {
        let mut m = Mxcsr::load(0x1F80 & !(1 << 11)).unwrap(); // UE unmasked
        let r = m.commit(Exceptions::UNDERFLOW | Exceptions::PRECISION);
        assert_eq!(
            r,
            Err(SimdFault {
                si_code: si_code::FPE_FLTUND
            })
        );
        assert_eq!(m.flags(), Exceptions::UNDERFLOW | Exceptions::PRECISION);
        // A masked exception alone does not trap even if an older unmasked flag is set.
        let mut m = Mxcsr::load((0x1F80 & !(1 << 12)) | 0x20).unwrap();
        assert_eq!(m.commit(Exceptions::NONE), Ok(()));
    }
}
