//! The transcendental instructions on the stack: FSIN, FCOS, FSINCOS, FPTAN (C2 and an
//! unchanged operand when out of range), FPATAN, FYL2X, FYL2XP1 and F2XM1.

use super::X87State;
use crate::cpu::x87::arith::Outcome;
use crate::cpu::x87::float80::F80;
use crate::cpu::x87::misc::cond;
use crate::cpu::x87::round::Control;
use crate::cpu::x87::transcendental;

impl X87State {
    /// FSIN. Leaves ST(0) and sets C2 when |ST(0)| >= 2^63.
    pub fn fsin(&mut self) {
        self.trig_unary(transcendental::sin);
    }

    /// FCOS.
    pub fn fcos(&mut self) {
        self.trig_unary(transcendental::cos);
    }

    fn trig_unary(&mut self, f: fn(F80, Control) -> Option<Outcome>) {
        let Some(a) = self.operand(0) else {
            self.status &= !cond::C2;
            self.underflow_into(0, false);
            return;
        };
        match f(a, self.control_settings()) {
            Some(out) => {
                self.status &= !cond::C2;
                self.deliver(0, out, false);
            }
            None => {
                self.status = (self.status & !cond::C1) | cond::C2;
            }
        }
    }

    /// FSINCOS: ST(0) = sin, then cos is pushed.
    pub fn fsincos(&mut self) {
        self.trig_pair(transcendental::sincos);
    }

    /// FPTAN: ST(0) = tan, then 1.0 is pushed.
    pub fn fptan(&mut self) {
        self.trig_pair(transcendental::tan_and_one);
    }

    fn trig_pair(&mut self, f: fn(F80, Control) -> transcendental::TwoResults) {
        let Some(a) = self.operand(0) else {
            self.status &= !cond::C2;
            if self.stack_underflow() {
                self.set_st(0, F80::INDEFINITE);
                self.push_indefinite_unchecked();
            }
            return;
        };
        if !self.is_empty(7) {
            self.status &= !cond::C2;
            if self.stack_overflow() {
                self.set_st(0, F80::INDEFINITE);
                self.push_indefinite_unchecked();
            }
            return;
        }
        match f(a, self.control_settings()) {
            Some((first, pushed, flags)) => {
                self.status &= !cond::C2;
                if self.raise(flags) {
                    self.set_st(0, first);
                    self.top = (self.top + 7) & 7;
                    self.set_st(0, pushed);
                }
            }
            None => {
                self.status = (self.status & !cond::C1) | cond::C2;
            }
        }
    }

    /// The two-operand transcendental instructions that write ST(1) and pop.
    fn binary_pop(&mut self, f: fn(F80, F80, Control) -> Outcome) {
        match (self.operand(0), self.operand(1)) {
            (Some(a), Some(b)) => {
                let out = f(a, b, self.control_settings());
                self.deliver(1, out, true);
            }
            _ => self.underflow_into(1, true),
        }
    }

    /// FPATAN: ST(1) = atan2(ST(1), ST(0)), pop.
    pub fn fpatan(&mut self) {
        self.binary_pop(|x, y, c| transcendental::atan2(y, x, c));
    }

    /// FYL2X: ST(1) = ST(1) * log2(ST(0)), pop.
    pub fn fyl2x(&mut self) {
        self.binary_pop(|x, y, c| transcendental::y_log2_x(y, x, c));
    }

    /// FYL2XP1: ST(1) = ST(1) * log2(ST(0) + 1), pop.
    pub fn fyl2xp1(&mut self) {
        self.binary_pop(|x, y, c| transcendental::y_log2_x_plus_1(y, x, c));
    }

    /// F2XM1: ST(0) = 2^ST(0) - 1.
    pub fn f2xm1(&mut self) {
        self.unary(transcendental::exp2_minus_1);
    }
}
