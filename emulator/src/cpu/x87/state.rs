//! The x87 register file and the semantics of each x87 instruction, independent of decoding.
//!
//! `X87State` owns the eight physical registers, TOP, the control, status and tag words and
//! the last-instruction pointers. Its methods are what the interpreter calls after decoding:
//! memory operands arrive as values (`fld_f64(bits)`, `fadd_mem_f32(bits)`) and stores return
//! the value to write, or `None` when an unmasked exception suppresses the write. Register
//! operands are stack-relative indices `i` of ST(i) (taken modulo 8, never trusted).
//!
//! Exceptions follow the hardware: masked ones produce the default result and set the sticky
//! flag; unmasked ones also set ES and B, suppress the result where the x87 does (IE, DE, ZE,
//! and OE/UE for memory destinations), and stay pending until FNCLEX/FNINIT, so the interpreter
//! raises #MF (SIGFPE) before the next waiting FP instruction when
//! [`X87State::has_pending_exception`] is true. This module never raises anything itself.

use super::arith::{self, Outcome};
use super::convert;
use super::float80::{Class, F80};
use super::misc::{self, cond, Ordering};
use super::round::{Control, Flags};
use super::transcendental;

/// Status word: exception summary.
pub const SW_ES: u16 = 0x0080;
/// Status word: busy (mirrors ES).
pub const SW_B: u16 = 0x8000;
/// Status word bits kept in `X87State::status` (everything except TOP).
const SW_NO_TOP: u16 = !0x3800;

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
        use super::round::RoundingMode::{NearestEven, Up};
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

/// A transcendental with two results (fsincos, fptan).
type TrigPair = fn(F80, Control) -> Option<(F80, F80, Flags)>;

/// The x87 FPU state.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(C)]
pub struct X87State {
    /// Physical registers R0..R7 (ST(i) is R[(TOP + i) mod 8]).
    pub regs: [F80; 8],
    /// Control word.
    pub control: u16,
    /// Status word without the TOP field (see [`X87State::status_word`]).
    pub status: u16,
    /// Top-of-stack pointer, 0..=7.
    pub top: u8,
    /// Abbreviated tag: bit i set means physical register i is not empty.
    pub nonempty: u8,
    /// Last non-control instruction's opcode (11 bits).
    pub last_opcode: u16,
    /// Last non-control instruction's offset.
    pub last_ip: u32,
    /// Last non-control instruction's code segment selector.
    pub last_cs: u16,
    /// Last memory operand's data segment selector.
    pub last_ds: u16,
    /// Last memory operand's offset.
    pub last_dp: u32,
}

impl Default for X87State {
    fn default() -> Self {
        X87State::new()
    }
}

impl X87State {
    /// The state after FNINIT.
    pub const fn new() -> X87State {
        X87State {
            regs: [F80::ZERO; 8],
            control: 0x037F,
            status: 0,
            top: 0,
            nonempty: 0,
            last_opcode: 0,
            last_ip: 0,
            last_cs: 0,
            last_ds: 0,
            last_dp: 0,
        }
    }

    // ----- registers and the stack -----

    fn phys(&self, i: usize) -> usize {
        (self.top as usize).wrapping_add(i) & 7
    }

    /// ST(i) (whatever the register holds, even if empty).
    pub fn st(&self, i: usize) -> F80 {
        self.regs[self.phys(i)]
    }

    /// True if ST(i) is empty.
    pub fn is_empty(&self, i: usize) -> bool {
        self.nonempty & (1 << self.phys(i)) == 0
    }

    fn set_st(&mut self, i: usize, v: F80) {
        let p = self.phys(i);
        self.regs[p] = v;
        self.nonempty |= 1 << p;
    }

    fn pop(&mut self) {
        let p = self.phys(0);
        self.nonempty &= !(1 << p);
        self.top = (self.top + 1) & 7;
    }

    fn control_settings(&self) -> Control {
        Control::from_word(self.control)
    }

    /// The status word as FNSTSW stores it (TOP in bits 11..=13).
    pub fn status_word(&self) -> u16 {
        (self.status & SW_NO_TOP) | ((self.top as u16 & 7) << 11)
    }

    /// True if an unmasked exception is pending: the interpreter must raise #MF before the
    /// next waiting x87 instruction (and FWAIT).
    pub fn has_pending_exception(&self) -> bool {
        self.status & SW_ES != 0
    }

    /// Records `flags` in the status word. C1 becomes the flags' C1 bit. Returns true if the
    /// result may be delivered (no unmasked IE, DE or ZE).
    ///
    /// An unmasked denormal-operand exception stops the operation before it computes
    /// anything, so only DE is recorded then.
    fn raise(&mut self, flags: Flags) -> bool {
        let unmasked = flags.0 & Flags::EXCEPTIONS & !self.control;
        let flags = if unmasked & (Flags::IE.0 | Flags::ZE.0) == 0 && unmasked & Flags::DE.0 != 0 {
            Flags::DE
        } else {
            flags
        };
        self.status = (self.status & !cond::C1) | (flags.0 & (Flags::EXCEPTIONS | 0x40 | cond::C1));
        if unmasked != 0 {
            self.status |= SW_ES | SW_B;
        }
        unmasked & (Flags::IE.0 | Flags::DE.0 | Flags::ZE.0) == 0
    }

    /// Stack underflow: IE + SF with C1 = 0. Returns true if masked (default result wanted).
    fn stack_underflow(&mut self) -> bool {
        self.raise(Flags::IE | Flags::SF)
    }

    /// Stack overflow: IE + SF with C1 = 1. Returns true if masked.
    fn stack_overflow(&mut self) -> bool {
        self.raise(Flags::IE | Flags::SF | Flags::C1)
    }

    /// Pushes an already converted value with its conversion flags.
    fn push_checked(&mut self, (value, flags): Outcome) {
        if !self.is_empty(7) {
            if self.stack_overflow() {
                self.top = (self.top + 7) & 7;
                self.set_st(0, F80::INDEFINITE);
            }
            return;
        }
        // Loads are exact: an unmasked DE is reported but the value is still pushed.
        let unmasked_invalid = flags.has(Flags::IE) && !self.control_settings().masked(Flags::IE);
        self.raise(flags);
        if !unmasked_invalid {
            self.top = (self.top + 7) & 7;
            self.set_st(0, value);
        }
    }

    /// Pushes the masked stack-fault result without a second (overflow) check.
    fn push_indefinite_unchecked(&mut self) {
        self.top = (self.top + 7) & 7;
        self.set_st(0, F80::INDEFINITE);
    }

    /// Writes `value` to ST(dst) if `flags` allow, then pops if asked.
    fn deliver(&mut self, dst: usize, (value, flags): Outcome, pop: bool) {
        if self.raise(flags) {
            self.set_st(dst, value);
            if pop {
                self.pop();
            }
        }
    }

    /// Reads ST(i) for an operation, handling an empty register as stack underflow; returns
    /// `None` after handling it (the caller then delivers the indefinite if masked).
    fn operand(&self, i: usize) -> Option<F80> {
        if self.is_empty(i) {
            None
        } else {
            Some(self.st(i))
        }
    }

    /// Underflow response for an instruction writing ST(dst).
    fn underflow_into(&mut self, dst: usize, pop: bool) {
        if self.stack_underflow() {
            self.set_st(dst, F80::INDEFINITE);
            if pop {
                self.pop();
            }
        }
    }

    // ----- control instructions -----

    /// FNINIT.
    pub fn fninit(&mut self) {
        *self = X87State::new();
    }

    /// FNCLEX: clears the exception flags, SF, ES and B.
    pub fn fnclex(&mut self) {
        self.status &= !(Flags::EXCEPTIONS | 0x40 | SW_ES | SW_B);
    }

    /// FLDCW. Unmasking a pending exception flag makes it pending (ES set), as on hardware.
    pub fn fldcw(&mut self, cw: u16) {
        self.control = cw | 0x0040;
        self.update_summary();
    }

    /// FNSTCW.
    pub fn fnstcw(&self) -> u16 {
        self.control
    }

    /// FNSTSW (to memory or AX).
    pub fn fnstsw(&self) -> u16 {
        self.status_word()
    }

    fn update_summary(&mut self) {
        if self.status & Flags::EXCEPTIONS & !self.control != 0 {
            self.status |= SW_ES | SW_B;
        } else {
            self.status &= !(SW_ES | SW_B);
        }
    }

    /// Records the last instruction (for FNSTENV/FSAVE/FXSAVE): opcode is the 11-bit x87
    /// opcode (low 3 bits of the first byte and the ModRM byte).
    pub fn record_instruction(&mut self, cs: u16, ip: u32, opcode: u16) {
        self.last_cs = cs;
        self.last_ip = ip;
        self.last_opcode = opcode & 0x7FF;
    }

    /// Records the last memory operand.
    pub fn record_data(&mut self, ds: u16, dp: u32) {
        self.last_ds = ds;
        self.last_dp = dp;
    }

    /// FINCSTP.
    pub fn fincstp(&mut self) {
        self.top = (self.top + 1) & 7;
        self.status &= !cond::C1;
    }

    /// FDECSTP.
    pub fn fdecstp(&mut self) {
        self.top = (self.top + 7) & 7;
        self.status &= !cond::C1;
    }

    /// FFREE ST(i) (clears C1 like the hardware).
    pub fn ffree(&mut self, i: usize) {
        let p = self.phys(i);
        self.nonempty &= !(1 << p);
        self.status &= !cond::C1;
    }

    /// FFREEP ST(i): FFREE then pop.
    pub fn ffreep(&mut self, i: usize) {
        self.ffree(i);
        self.pop();
    }

    /// FXCH ST(i). Empty registers count as stack underflow; masked, they read as indefinite.
    pub fn fxch(&mut self, i: usize) {
        let (a, b) = (self.operand(0), self.operand(i));
        let (a, b) = match (a, b) {
            (Some(a), Some(b)) => {
                self.status &= !cond::C1;
                (a, b)
            }
            _ => {
                if !self.stack_underflow() {
                    return;
                }
                (a.unwrap_or(F80::INDEFINITE), b.unwrap_or(F80::INDEFINITE))
            }
        };
        self.set_st(0, b);
        self.set_st(i, a);
    }

    // ----- loads -----

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

    // ----- stores -----

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
            convert::to_int(v, bits, super::round::RoundingMode::TowardZero)
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

    // ----- arithmetic -----

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
    fn unary(&mut self, f: impl FnOnce(F80, Control) -> Outcome) {
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

    // ----- comparisons -----

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

    // ----- transcendental -----

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

    fn trig_pair(&mut self, f: TrigPair) {
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

    // ----- MMX aliasing -----

    /// Every MMX instruction sets TOP = 0 and marks all registers valid.
    fn enter_mmx(&mut self) {
        self.top = 0;
        self.nonempty = 0xFF;
    }

    /// Reads MMi (the significand of physical register i) as an MMX instruction does.
    pub fn mmx_read(&mut self, i: usize) -> u64 {
        self.enter_mmx();
        self.regs[i & 7].signif
    }

    /// Writes MMi: significand = `v`, sign and exponent all ones, as MMX instructions do.
    pub fn mmx_write(&mut self, i: usize, v: u64) {
        self.enter_mmx();
        self.regs[i & 7] = F80 {
            signif: v,
            sign_exp: 0xFFFF,
        };
    }

    /// EMMS: marks all registers empty.
    pub fn emms(&mut self) {
        self.nonempty = 0;
    }

    // ----- tag word -----

    /// The full 2-bit tag of physical register `p` (00 valid, 01 zero, 10 special, 11 empty).
    pub fn full_tag(&self, p: usize) -> u16 {
        let p = p & 7;
        if self.nonempty & (1 << p) == 0 {
            return 3;
        }
        match self.regs[p].class() {
            Class::Normal => 0,
            Class::Zero => 1,
            _ => 2,
        }
    }

    /// The full tag word as FNSTENV/FSAVE store it.
    pub fn tag_word(&self) -> u16 {
        (0..8).fold(0u16, |tw, p| tw | (self.full_tag(p) << (2 * p)))
    }

    /// Loads a full tag word (FLDENV/FRSTOR): only "empty or not" is kept; the other tag
    /// values are re-derived from the register contents when stored.
    pub fn set_tag_word(&mut self, tw: u16) {
        self.nonempty = (0..8).fold(0u8, |m, p| {
            if (tw >> (2 * p)) & 3 == 3 {
                m
            } else {
                m | (1 << p)
            }
        });
    }

    /// Sets the status word as FLDENV/FRSTOR/FXRSTOR do (TOP included).
    pub fn set_status_word(&mut self, sw: u16) {
        self.top = ((sw >> 11) & 7) as u8;
        self.status = sw & SW_NO_TOP;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x87_push_pop_and_overflow() {
        let mut s = X87State::new();
        for n in 0..8 {
            s.fild(n);
        }
        assert_eq!(s.status_word() & 0x3800, 0);
        s.fld_constant(Constant::One);
        // Masked overflow pushes indefinite with IE, SF and C1.
        assert_eq!(s.st(0), F80::INDEFINITE);
        assert_eq!(s.status_word() & 0x0241, 0x0241);
        assert!(!s.has_pending_exception());
    }

    #[test]
    fn x87_unmasked_zero_divide_is_pending_and_keeps_operand() {
        let mut s = X87State::new();
        s.fldcw(0x037B);
        s.fild(0);
        s.fild(1);
        s.arith_st(ArithOp::Div, 0, 1, false);
        assert_eq!(s.st(0), F80::ONE);
        assert!(s.has_pending_exception());
        s.fnclex();
        assert!(!s.has_pending_exception());
    }

    #[test]
    fn x87_stack_underflow_store_gives_indefinite() {
        let mut s = X87State::new();
        assert_eq!(s.fstp_f64(), Some(convert::F64_INDEFINITE));
        assert_eq!(s.fnstsw() & 0x0241, 0x0041);
    }

    /// Every entry point with arbitrary operands, register indices and control words must
    /// return without panicking (overflow checks are on in tests).
    #[test]
    fn x87_no_panics_on_arbitrary_input() {
        let mut seed: u64 = 0x1234_5678_9ABC_DEF0;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut s = X87State::new();
        let ops = [
            ArithOp::Add,
            ArithOp::Sub,
            ArithOp::SubR,
            ArithOp::Mul,
            ArithOp::Div,
            ArithOp::DivR,
        ];
        for _ in 0..200_000 {
            let r = next();
            let v = F80 {
                signif: next(),
                sign_exp: r as u16,
            };
            let i = match r >> 60 {
                0 => usize::MAX,
                1 => usize::MAX - 3,
                _ => (r >> 20) as usize,
            };
            let op = ops[(r >> 8) as usize % ops.len()];
            match (r >> 32) % 40 {
                0 => s.fld_f80(v),
                1 => s.fld_f32(r as u32),
                2 => s.fld_f64(next()),
                3 => s.fild(next() as i64),
                4 => s.fbld(v.to_bytes()),
                5 => s.arith_st(op, i, 0, r & 1 == 0),
                6 => s.arith_mem_f32(op, r as u32),
                7 => s.arith_mem_f64(op, next()),
                8 => s.arith_mem_int(op, next() as i64),
                9 => s.fldcw(next() as u16),
                10 => {
                    let _ = s.fst_f32(r & 1 == 0);
                }
                11 => {
                    let _ = s.fst_f64(r & 1 == 0);
                }
                12 => {
                    let _ = s.fist((r >> 40) as u32, r & 1 == 0);
                }
                13 => {
                    let _ = s.fbstp();
                }
                14 => s.fsqrt(),
                15 => s.fscale(),
                16 => s.fxtract(),
                17 => s.fprem(r & 1 == 0),
                18 => s.fsin(),
                19 => s.fcos(),
                20 => s.fsincos(),
                21 => s.fptan(),
                22 => s.fpatan(),
                23 => s.fyl2x(),
                24 => s.fyl2xp1(),
                25 => s.f2xm1(),
                26 => s.frndint(),
                27 => s.fxch(i),
                28 => s.fcom_st(i, r & 1 == 0, (r >> 40) as u8),
                29 => {
                    let _ = s.fcomi(i, r & 1 == 0, r & 2 == 0);
                }
                30 => s.fcmov(FcmovCondition::BelowOrEqual, r as u32, i),
                31 => s.ffree(i),
                32 => s.fst_st(i, r & 1 == 0),
                33 => s.fld_st(i),
                34 => {
                    let image = s.fnsave();
                    let mut damaged = image;
                    damaged[(r as usize) % 108] = (r >> 16) as u8;
                    s.frstor(&damaged);
                }
                35 => {
                    let mut area = [0u8; 512];
                    s.fxsave(&mut area);
                    area[(r as usize) % 160] = (r >> 16) as u8;
                    s.fxrstor(&area);
                }
                36 => {
                    s.mmx_write(i, next());
                    let _ = s.mmx_read(i);
                }
                37 => s.fnclex(),
                38 => s.fxam(),
                _ => s.fld_constant(Constant::Pi),
            }
        }
    }

    #[test]
    fn x87_mmx_aliasing() {
        let mut s = X87State::new();
        s.fdecstp();
        s.mmx_write(3, 0x1234);
        assert_eq!(s.top, 0);
        assert_eq!(s.regs[3].sign_exp, 0xFFFF);
        assert_eq!(s.mmx_read(3), 0x1234);
        assert_eq!(s.tag_word() & (3 << 6), 2 << 6);
        s.emms();
        assert_eq!(s.tag_word(), 0xFFFF);
    }
}
