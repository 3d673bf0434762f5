//! Comparisons and conditional moves: FCOM/FUCOM and their popping and memory forms, FICOM,
//! FTST, FCOMI/FUCOMI, FXAM and FCMOVcc.

use super::X87State;
use crate::cpu::x87::convert;
use crate::cpu::x87::float80::F80;
use crate::cpu::x87::misc::{self, cond, Ordering};
use crate::cpu::x87::round::Flags;

/// The FCMOVcc conditions, evaluated on EFLAGS.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FcmovCondition {
    /// CF = 1.
    Below,
    /// ZF = 1.
    Equal,
    /// CF = 1 or ZF = 1.
    BelowOrEqual,
    /// PF = 1.
    Unordered,
    /// CF = 0.
    NotBelow,
    /// ZF = 0.
    NotEqual,
    /// CF = 0 and ZF = 0.
    NotBelowOrEqual,
    /// PF = 0.
    NotUnordered,
}

impl FcmovCondition {
    /// True if the move happens for these EFLAGS.
    pub const fn holds(self, eflags: u32) -> bool {
        let cf = eflags & 0x01 != 0;
        let pf = eflags & 0x04 != 0;
        let zf = eflags & 0x40 != 0;
        match self {
            FcmovCondition::Below => cf,
            FcmovCondition::Equal => zf,
            FcmovCondition::BelowOrEqual => cf || zf,
            FcmovCondition::Unordered => pf,
            FcmovCondition::NotBelow => !cf,
            FcmovCondition::NotEqual => !zf,
            FcmovCondition::NotBelowOrEqual => !cf && !zf,
            FcmovCondition::NotUnordered => !pf,
        }
    }
}

impl X87State {
    fn set_condition(&mut self, bits: u16) {
        self.status = (self.status & !cond::ALL) | bits;
    }

    /// Shared FCOM/FUCOM/FICOM/FTST path. `b_conversion` carries DE from widening a memory
    /// operand. Condition codes are set even when an unmasked exception stops the pops.
    fn compare_and_pop(&mut self, b: Option<F80>, b_conversion: Flags, quiet: bool, pops: u8) {
        let (ordering, delivered) = match (self.operand(0), b) {
            (Some(a), Some(b)) => {
                let (ordering, flags) = misc::compare(a, b, quiet);
                let extra = if ordering == Ordering::Unordered {
                    Flags::NONE
                } else {
                    Flags(b_conversion.0 & Flags::DE.0)
                };
                (ordering, self.raise(flags | extra))
            }
            _ => (Ordering::Unordered, self.stack_underflow()),
        };
        self.set_condition(ordering.condition_codes());
        if delivered {
            for _ in 0..pops {
                self.pop();
            }
        }
    }

    /// FCOM/FCOMP/FCOMPP ST(i) (`pops` 0, 1 or 2); `quiet` gives FUCOM/FUCOMP/FUCOMPP.
    pub fn fcom_st(&mut self, i: usize, quiet: bool, pops: u8) {
        let b = self.operand(i);
        self.compare_and_pop(b, Flags::NONE, quiet, pops.min(2));
    }

    /// FCOM/FCOMP m32.
    pub fn fcom_mem_f32(&mut self, bits: u32, pop: bool) {
        let (b, conversion) = convert::f32_operand(bits);
        self.compare_and_pop(Some(b), conversion, false, pop as u8);
    }

    /// FCOM/FCOMP m64.
    pub fn fcom_mem_f64(&mut self, bits: u64, pop: bool) {
        let (b, conversion) = convert::f64_operand(bits);
        self.compare_and_pop(Some(b), conversion, false, pop as u8);
    }

    /// FICOM/FICOMP m16/m32.
    pub fn ficom(&mut self, n: i64, pop: bool) {
        self.compare_and_pop(Some(convert::from_i64(n)), Flags::NONE, false, pop as u8);
    }

    /// FTST: compares ST(0) with +0.0.
    pub fn ftst(&mut self) {
        self.compare_and_pop(Some(F80::ZERO), Flags::NONE, false, 0);
    }

    /// FCOMI/FCOMIP (`quiet` false) and FUCOMI/FUCOMIP (`quiet` true) ST(0), ST(i). Returns
    /// the new ZF|PF|CF bits (EFLAGS bits 6, 2, 0); the caller also clears OF, SF and AF. The
    /// flags are set even when an unmasked exception prevents the pop, as on hardware.
    pub fn fcomi(&mut self, i: usize, quiet: bool, pop: bool) -> u32 {
        let (ordering, delivered) = match (self.operand(0), self.operand(i)) {
            (Some(a), Some(b)) => {
                let (ordering, flags) = misc::compare(a, b, quiet);
                // FCOMI leaves C1 alone unless the stack underflows.
                let c1 = self.status & cond::C1;
                let delivered = self.raise(flags | Flags(c1));
                self.status = (self.status & !cond::C1) | c1;
                (ordering, delivered)
            }
            _ => (Ordering::Unordered, self.stack_underflow()),
        };
        if pop && delivered {
            self.pop();
        }
        ordering.eflags()
    }

    /// FXAM: classifies ST(0) into C3, C2, C0 with C1 = sign.
    pub fn fxam(&mut self) {
        let v = self.st(0);
        let bits = if self.is_empty(0) {
            misc::examine_empty(v)
        } else {
            misc::examine(v)
        };
        self.set_condition(bits);
    }

    /// FCMOVcc ST(0), ST(i).
    pub fn fcmov(&mut self, condition: FcmovCondition, eflags: u32, i: usize) {
        // C1 is left alone unless the stack underflows; a masked underflow writes the
        // indefinite to ST(0) whether or not the condition holds.
        match (self.operand(0), self.operand(i)) {
            (Some(_), Some(v)) => {
                if condition.holds(eflags) {
                    self.set_st(0, v);
                }
            }
            _ => {
                if self.stack_underflow() {
                    self.set_st(0, F80::INDEFINITE);
                }
            }
        }
    }
}
