//! Loads and stores: FLD/FILD/FBLD and the built-in constants (pushes, with stack-overflow
//! handling), FST/FSTP to registers and memory, FIST/FISTP/FISTTP and FBSTP.

use super::X87State;
use crate::cpu::x87::convert;
use crate::cpu::x87::float80::F80;
use crate::cpu::x87::misc::cond;
use crate::cpu::x87::round::{Control, Flags, RoundingMode};

/// The built-in constants of FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2 and FLDZ.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Constant {
    /// +1.0.
    One,
    /// log2(10).
    Log2Ten,
    /// log2(e).
    Log2E,
    /// pi.
    Pi,
    /// log10(2).
    Log10Two,
    /// ln(2).
    LnTwo,
    /// +0.0.
    Zero,
}

impl Constant {
    /// The value as the hardware loads it: the 64-bit significand of its internal constant,
    /// whose last bit depends on the rounding mode for pi, log2(e), log10(2) and ln(2).
    pub fn value(self, control: Control) -> F80 {
        use RoundingMode::{NearestEven, Up};
        // (exponent, truncated significand, round-to-nearest increments, round-up increments)
        let (exp, truncated, nearest_up, up_up) = match self {
            Constant::One => return F80::ONE,
            Constant::Zero => return F80::ZERO,
            Constant::Log2Ten => (0x4000, 0xD49A_784B_CD1B_8AFE, false, true),
            Constant::Log2E => (0x3FFF, 0xB8AA_3B29_5C17_F0BB, true, true),
            Constant::Pi => (0x4000, 0xC90F_DAA2_2168_C234, true, true),
            Constant::Log10Two => (0x3FFD, 0x9A20_9A84_FBCF_F798, true, true),
            Constant::LnTwo => (0x3FFE, 0xB172_17F7_D1CF_79AB, true, true),
        };
        let increment = match control.rounding {
            NearestEven => nearest_up,
            Up => up_up,
            _ => false,
        };
        F80::from_parts(false, exp, truncated + increment as u64)
    }
}

impl X87State {
    /// FLD ST(i).
    pub fn fld_st(&mut self, i: usize) {
        match self.operand(i) {
            Some(v) => {
                self.status &= !cond::C1;
                self.push_checked((v, Flags::NONE));
            }
            None => {
                // Underflow on the source; the masked response pushes the indefinite without
                // a separate overflow check.
                if self.stack_underflow() {
                    self.push_indefinite_unchecked();
                }
            }
        }
    }

    /// FLD m80: the value is pushed unchanged (even signalling NaNs).
    pub fn fld_f80(&mut self, v: F80) {
        self.status &= !cond::C1;
        self.push_checked((v, Flags::NONE));
    }

    /// FLD m32.
    pub fn fld_f32(&mut self, bits: u32) {
        self.status &= !cond::C1;
        self.push_checked(convert::from_f32(bits));
    }

    /// FLD m64.
    pub fn fld_f64(&mut self, bits: u64) {
        self.status &= !cond::C1;
        self.push_checked(convert::from_f64(bits));
    }

    /// FILD m16/m32/m64 (pass the integer sign-extended).
    pub fn fild(&mut self, n: i64) {
        self.status &= !cond::C1;
        self.push_checked((convert::from_i64(n), Flags::NONE));
    }

    /// FBLD m80.
    pub fn fbld(&mut self, bytes: [u8; 10]) {
        self.status &= !cond::C1;
        self.push_checked((convert::from_bcd(bytes), Flags::NONE));
    }

    /// FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ.
    pub fn fld_constant(&mut self, c: Constant) {
        self.status &= !cond::C1;
        let v = c.value(self.control_settings());
        self.push_checked((v, Flags::NONE));
    }

    /// Shared store path: converts ST(0) with `convert`; on underflow stores `indefinite`.
    /// Returns the value to write, or `None` if an unmasked exception suppresses the store.
    fn store<T>(
        &mut self,
        pop: bool,
        indefinite: T,
        convert: impl FnOnce(F80, Control) -> (T, Flags),
    ) -> Option<T> {
        let Some(v) = self.operand(0) else {
            if self.stack_underflow() {
                if pop {
                    self.pop();
                }
                return Some(indefinite);
            }
            return None;
        };
        let (out, flags) = convert(v, self.control_settings());
        // Unmasked overflow or underflow on a memory destination: nothing is stored and only
        // that exception is reported.
        let unmasked_range = flags.0 & (Flags::OE.0 | Flags::UE.0) & !self.control;
        if unmasked_range != 0 {
            self.raise(Flags(unmasked_range));
            return None;
        }
        if !self.raise(flags) {
            return None;
        }
        if pop {
            self.pop();
        }
        Some(out)
    }

    /// FST/FSTP m32.
    pub fn fst_f32(&mut self, pop: bool) -> Option<u32> {
        self.store(pop, convert::F32_INDEFINITE, convert::to_f32)
    }

    /// FSTP m32 (convenience).
    pub fn fstp_f32(&mut self) -> Option<u32> {
        self.fst_f32(true)
    }

    /// FST/FSTP m64.
    pub fn fst_f64(&mut self, pop: bool) -> Option<u64> {
        self.store(pop, convert::F64_INDEFINITE, convert::to_f64)
    }

    /// FSTP m64 (convenience).
    pub fn fstp_f64(&mut self) -> Option<u64> {
        self.fst_f64(true)
    }

    /// FSTP m80: stores ST(0) unchanged.
    pub fn fstp_f80(&mut self) -> Option<F80> {
        self.store(true, F80::INDEFINITE, |v, _| (v, Flags::NONE))
    }

    /// FIST/FISTP m16/m32/m64 (`bits` = 16, 32 or 64) in the current rounding mode. The
    /// returned bits are the two's-complement integer, zero-extended.
    pub fn fist(&mut self, bits: u32, pop: bool) -> Option<u64> {
        let bits = bits.clamp(16, 64);
        self.store(pop, 1u64 << (bits - 1), |v, c| {
            convert::to_int(v, bits, c.rounding)
        })
    }

    /// FISTTP m16/m32/m64: truncating store, always pops.
    pub fn fisttp(&mut self, bits: u32) -> Option<u64> {
        let bits = bits.clamp(16, 64);
        self.store(true, 1u64 << (bits - 1), |v, _| {
            convert::to_int(v, bits, RoundingMode::TowardZero)
        })
    }

    /// FBSTP m80.
    pub fn fbstp(&mut self) -> Option<[u8; 10]> {
        self.store(true, convert::BCD_INDEFINITE, |v, c| {
            convert::to_bcd(v, c.rounding)
        })
    }

    /// FST/FSTP ST(i).
    pub fn fst_st(&mut self, i: usize, pop: bool) {
        match self.operand(0) {
            Some(v) => {
                self.status &= !cond::C1;
                self.set_st(i, v);
                if pop {
                    self.pop();
                }
            }
            None => self.underflow_into(i, pop),
        }
    }
}
