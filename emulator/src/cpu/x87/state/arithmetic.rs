//! Arithmetic on the stack: the FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR family in register and
//! memory forms, FSQRT, FRNDINT, FCHS, FABS, FSCALE, FXTRACT, FPREM and FPREM1.

use super::X87State;
use crate::cpu::x87::arith::{self, Outcome};
use crate::cpu::x87::convert;
use crate::cpu::x87::float80::{Class, F80};
use crate::cpu::x87::misc::{self, cond};
use crate::cpu::x87::round::{Control, Flags};

/// The two-operand arithmetic instructions.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ArithOp {
    /// dst + src.
    Add,
    /// dst * src.
    Mul,
    /// dst - src.
    Sub,
    /// src - dst.
    SubR,
    /// dst / src.
    Div,
    /// src / dst.
    DivR,
}

impl ArithOp {
    fn apply(self, dst: F80, src: F80, control: Control) -> Outcome {
        match self {
            ArithOp::Add => arith::add(dst, src, control),
            ArithOp::Mul => arith::mul(dst, src, control),
            ArithOp::Sub => arith::sub(dst, src, control),
            ArithOp::SubR => arith::sub(src, dst, control),
            ArithOp::Div => arith::div(dst, src, control),
            ArithOp::DivR => arith::div(src, dst, control),
        }
    }
}

impl X87State {
    /// FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR ST(dst), ST(src) (one of them is ST(0)); with `pop`
    /// the ...P forms.
    pub fn arith_st(&mut self, op: ArithOp, dst: usize, src: usize, pop: bool) {
        match (self.operand(dst), self.operand(src)) {
            (Some(a), Some(b)) => {
                let out = op.apply(a, b, self.control_settings());
                self.deliver(dst, out, pop);
            }
            _ => self.underflow_into(dst, pop),
        }
    }

    /// The memory forms: ST(0) = ST(0) op operand, where the operand is already widened.
    fn arith_mem(&mut self, op: ArithOp, (operand, conversion): Outcome) {
        let Some(a) = self.operand(0) else {
            self.underflow_into(0, false);
            return;
        };
        let (value, flags) = op.apply(a, operand, self.control_settings());
        // A denormal memory operand is reported even though it was normalised on widening,
        // unless the register operand's NaN or unsupported encoding decided the result first.
        let register_decides = matches!(
            a.class(),
            Class::QuietNan | Class::SignallingNan | Class::Unsupported
        );
        let extra = if register_decides || flags.has(Flags::IE | Flags::ZE) {
            Flags::NONE
        } else {
            Flags(conversion.0 & Flags::DE.0)
        };
        self.deliver(0, (value, flags | extra), false);
    }

    /// FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR m32.
    pub fn arith_mem_f32(&mut self, op: ArithOp, bits: u32) {
        self.arith_mem(op, convert::f32_operand(bits));
    }

    /// FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR m64.
    pub fn arith_mem_f64(&mut self, op: ArithOp, bits: u64) {
        self.arith_mem(op, convert::f64_operand(bits));
    }

    /// FIADD/FISUB/FISUBR/FIMUL/FIDIV/FIDIVR m16/m32 (pass the integer sign-extended).
    pub fn arith_mem_int(&mut self, op: ArithOp, n: i64) {
        self.arith_mem(op, (convert::from_i64(n), Flags::NONE));
    }

    /// FADD ST(dst), ST(src).
    pub fn fadd(&mut self, dst: usize, src: usize) {
        self.arith_st(ArithOp::Add, dst, src, false);
    }

    /// FADD m32.
    pub fn fadd_mem_f32(&mut self, bits: u32) {
        self.arith_mem_f32(ArithOp::Add, bits);
    }

    /// FADD m64.
    pub fn fadd_mem_f64(&mut self, bits: u64) {
        self.arith_mem_f64(ArithOp::Add, bits);
    }

    /// Applies a one-operand operation to ST(0).
    pub(super) fn unary(&mut self, f: impl FnOnce(F80, Control) -> Outcome) {
        match self.operand(0) {
            Some(a) => {
                let out = f(a, self.control_settings());
                self.deliver(0, out, false);
            }
            None => self.underflow_into(0, false),
        }
    }

    /// FSQRT.
    pub fn fsqrt(&mut self) {
        self.unary(arith::sqrt);
    }

    /// FRNDINT.
    pub fn frndint(&mut self) {
        self.unary(convert::round_to_integer);
    }

    /// FCHS (no exceptions except stack underflow; C1 cleared).
    pub fn fchs(&mut self) {
        self.unary(|a, _| (a.negate(), Flags::NONE));
    }

    /// FABS.
    pub fn fabs(&mut self) {
        self.unary(|a, _| (a.abs(), Flags::NONE));
    }

    /// FSCALE: ST(0) = ST(0) * 2^trunc(ST(1)).
    pub fn fscale(&mut self) {
        match (self.operand(0), self.operand(1)) {
            (Some(a), Some(b)) => {
                let out = misc::scale(a, b, self.control_settings());
                self.deliver(0, out, false);
            }
            _ => self.underflow_into(0, false),
        }
    }

    /// FXTRACT: ST(0) becomes the exponent and the significand is pushed.
    pub fn fxtract(&mut self) {
        let Some(a) = self.operand(0) else {
            if self.stack_underflow() {
                self.set_st(0, F80::INDEFINITE);
                self.push_indefinite_unchecked();
            }
            return;
        };
        if !self.is_empty(7) {
            if self.stack_overflow() {
                self.set_st(0, F80::INDEFINITE);
                self.push_indefinite_unchecked();
            }
            return;
        }
        let (exponent, significand, flags) = misc::extract(a);
        if self.raise(flags) {
            self.set_st(0, exponent);
            self.top = (self.top + 7) & 7;
            self.set_st(0, significand);
        }
    }

    /// FPREM (`ieee` false) and FPREM1 (`ieee` true): sets C0, C1, C3 to the low quotient
    /// bits and C2 when the reduction is incomplete.
    pub fn fprem(&mut self, ieee: bool) {
        // Without a quotient (special operands, stack underflow) C2 is cleared and C0/C3
        // keep their previous values.
        let (Some(a), Some(b)) = (self.operand(0), self.operand(1)) else {
            self.status &= !cond::C2;
            self.underflow_into(0, false);
            return;
        };
        let r = misc::remainder(a, b, ieee, self.control_settings());
        if self.raise(r.flags) {
            match r.cond {
                Some(bits) => self.status = (self.status & !cond::ALL) | bits,
                None => self.status &= !(cond::C1 | cond::C2),
            }
            self.set_st(0, r.value);
        } else {
            self.status &= !(cond::C1 | cond::C2);
        }
    }
}
