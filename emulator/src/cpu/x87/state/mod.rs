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
//!
//! The instruction groups live in submodules, each adding methods to `X87State`:
//! `load_store`, `arithmetic`, `compare` and `transcendental_ops`. This file holds
//! the register file itself, the stack and exception bookkeeping they share, the control and
//! stack-manipulation instructions (FXCH, FINCSTP, FDECSTP, FFREE), the tag word and MMX
//! aliasing.

mod arithmetic;
mod compare;
mod load_store;
mod transcendental_ops;

pub use arithmetic::ArithOp;
pub use compare::FcmovCondition;
pub use load_store::Constant;

use super::arith::Outcome;
use super::float80::{Class, F80};
use super::misc::cond;
use super::round::{Control, Flags};

/// Status word: exception summary.
pub const SW_ES: u16 = 0x0080;
/// Status word: busy (mirrors ES).
pub const SW_B: u16 = 0x8000;
/// Status word bits kept in `X87State::status` (everything except TOP).
const SW_NO_TOP: u16 = !0x3800;

/// Control-word bits the x87 keeps: exception masks, precision and rounding control and the
/// (obsolete) infinity-control bit; bit 6 always reads as one, bits 7 and 13..=15 as zero.
pub const fn control_word_as_stored(cw: u16) -> u16 {
    (cw & 0x1F3F) | 0x0040
}

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

    // ----- registers, the stack and exceptions -----

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
        self.status =
            (self.status & !cond::C1) | (flags.0 & (Flags::EXCEPTIONS | Flags::SF.0 | cond::C1));
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

    /// Reads ST(i) for an operation; `None` if the register is empty, which the caller turns
    /// into a stack underflow.
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
        self.status &= !(Flags::EXCEPTIONS | Flags::SF.0 | SW_ES | SW_B);
    }

    /// FLDCW. Unmasking a pending exception flag makes it pending (ES set), as on hardware.
    /// Reserved bits read back as the hardware stores them.
    pub fn fldcw(&mut self, cw: u16) {
        self.control = control_word_as_stored(cw);
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

    /// EMMS: marks all registers empty and, like the other MMX instructions, sets TOP = 0.
    pub fn emms(&mut self) {
        self.top = 0;
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

    /// Sets the status word as FLDENV/FRSTOR/FXRSTOR do (TOP included). ES and B are not
    /// taken from `sw`: they are recomputed from the flags and the current control word, so
    /// load the control word first.
    pub fn set_status_word(&mut self, sw: u16) {
        self.top = ((sw >> 11) & 7) as u8;
        self.status = sw & SW_NO_TOP;
        self.update_summary();
    }
}

#[cfg(test)]
mod tests;
