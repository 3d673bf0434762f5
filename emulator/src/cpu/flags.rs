//! Lazy arithmetic flags.
//!
//! Most instructions set the six status flags and the next one overwrites them unread, so
//! the hot ALU operations only record what they did (kind, size, operands, result) and a
//! flag is computed when something reads it (jcc, setcc, pushf, lahf, adc...). Every
//! defined flag comes out exact. Instructions whose flags are unusual (shifts, mul, bit
//! ops, BCD) set materialized bits directly. This module must not know about instructions.

use super::state::{eflags::*, sign_bit, size_mask};

/// The kind of the last lazily recorded flag-setting operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[repr(u32)]
pub enum FlagOp {
    /// `result = a + b` (add, inc).
    #[default]
    Add = 0,
    /// `result = a + b + 1` (adc with carry in).
    AddWithCarry = 1,
    /// `result = a - b` (sub, cmp, neg, dec, scas, cmps).
    Sub = 2,
    /// `result = a - b - 1` (sbb with borrow in).
    SubWithBorrow = 3,
    /// Logical operations: CF = OF = 0, AF cleared.
    Logic = 4,
}

/// Status flags: `bits` holds materialized values for flags outside `lazy`; the flags in
/// `lazy` are derived from the recorded operation.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct LazyFlags {
    bits: u32,
    lazy: u32,
    op: FlagOp,
    size: u32,
    a: u32,
    b: u32,
    result: u32,
}

impl LazyFlags {
    /// Records an arithmetic or logical result; all six status flags follow from it.
    #[inline(always)]
    pub fn record(&mut self, op: FlagOp, size: u32, a: u32, b: u32, result: u32) {
        let m = size_mask(size);
        self.op = op;
        self.size = size;
        self.a = a & m;
        self.b = b & m;
        self.result = result & m;
        self.lazy = STATUS;
    }

    /// Like [`record`](Self::record) but CF keeps its current value (inc, dec).
    #[inline(always)]
    pub fn record_keep_cf(&mut self, op: FlagOp, size: u32, a: u32, b: u32, result: u32) {
        let cf = self.cf();
        self.record(op, size, a, b, result);
        self.bits = (self.bits & !CF) | cf as u32;
        self.lazy = STATUS & !CF;
    }

    /// Replaces all six status flags with materialized values from `value`.
    #[inline]
    pub fn set_all(&mut self, value: u32) {
        self.bits = value & STATUS;
        self.lazy = 0;
    }

    /// Sets the flags in `mask` to the matching bits of `value`; other flags keep their
    /// current (possibly lazy) values.
    #[inline]
    pub fn set_some(&mut self, mask: u32, value: u32) {
        self.bits = (self.bits & !mask) | (value & mask);
        self.lazy &= !mask;
    }

    /// Sets one flag (a single bit such as [`CF`]).
    #[inline]
    pub fn set(&mut self, flag: u32, on: bool) {
        self.set_some(flag, if on { flag } else { 0 });
    }

    /// The six status flags as EFLAGS bits.
    pub fn materialize(&self) -> u32 {
        let mut v = self.bits & !self.lazy;
        if self.lazy != 0 {
            let computed = (self.compute_cf() as u32)
                | (self.compute_pf() as u32) << 2
                | (self.compute_af() as u32) << 4
                | (self.compute_zf() as u32) << 6
                | (self.compute_sf() as u32) << 7
                | (self.compute_of() as u32) << 11;
            v |= computed & self.lazy;
        }
        v & STATUS
    }

    #[inline(always)]
    pub fn cf(&self) -> bool {
        if self.lazy & CF != 0 {
            self.compute_cf()
        } else {
            self.bits & CF != 0
        }
    }
    #[inline(always)]
    pub fn pf(&self) -> bool {
        if self.lazy & PF != 0 {
            self.compute_pf()
        } else {
            self.bits & PF != 0
        }
    }
    #[inline(always)]
    pub fn af(&self) -> bool {
        if self.lazy & AF != 0 {
            self.compute_af()
        } else {
            self.bits & AF != 0
        }
    }
    #[inline(always)]
    pub fn zf(&self) -> bool {
        if self.lazy & ZF != 0 {
            self.compute_zf()
        } else {
            self.bits & ZF != 0
        }
    }
    #[inline(always)]
    pub fn sf(&self) -> bool {
        if self.lazy & SF != 0 {
            self.compute_sf()
        } else {
            self.bits & SF != 0
        }
    }
    #[inline(always)]
    pub fn of(&self) -> bool {
        if self.lazy & OF != 0 {
            self.compute_of()
        } else {
            self.bits & OF != 0
        }
    }

    #[inline(always)]
    fn compute_cf(&self) -> bool {
        match self.op {
            FlagOp::Add => self.result < self.a,
            FlagOp::AddWithCarry => self.result <= self.a,
            FlagOp::Sub => self.a < self.b,
            FlagOp::SubWithBorrow => self.a <= self.b,
            FlagOp::Logic => false,
        }
    }
    #[inline(always)]
    fn compute_pf(&self) -> bool {
        (self.result as u8).count_ones() % 2 == 0
    }
    #[inline(always)]
    fn compute_af(&self) -> bool {
        match self.op {
            FlagOp::Logic => false,
            _ => (self.a ^ self.b ^ self.result) & 0x10 != 0,
        }
    }
    #[inline(always)]
    fn compute_zf(&self) -> bool {
        self.result == 0
    }
    #[inline(always)]
    fn compute_sf(&self) -> bool {
        self.result & sign_bit(self.size) != 0
    }
    #[inline(always)]
    fn compute_of(&self) -> bool {
        let sign = sign_bit(self.size);
        match self.op {
            FlagOp::Add | FlagOp::AddWithCarry => {
                (self.a ^ self.result) & (self.b ^ self.result) & sign != 0
            }
            FlagOp::Sub | FlagOp::SubWithBorrow => {
                (self.a ^ self.b) & (self.a ^ self.result) & sign != 0
            }
            FlagOp::Logic => false,
        }
    }
}

/// Parity flag for a result: set when the low byte has an even number of one bits.
#[inline(always)]
pub fn parity(value: u32) -> bool {
    (value as u8).count_ones() % 2 == 0
}

/// ZF, SF and PF of `result` as EFLAGS bits, for instructions that set them eagerly.
#[inline(always)]
pub fn zsp(result: u32, size: u32) -> u32 {
    let r = result & size_mask(size);
    ((r == 0) as u32) << 6 | ((r & sign_bit(size) != 0) as u32) << 7 | (parity(r) as u32) << 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_flags_for_cmp_of_min_and_one() {
        let mut f = LazyFlags::default();
        let (a, b) = (0x8000_0000u32, 1u32);
        f.record(FlagOp::Sub, 4, a, b, a.wrapping_sub(b));
        assert!(!f.cf() && f.of() && !f.zf() && !f.sf());
        assert_eq!(f.materialize(), OF | AF | PF);
    }

    #[test]
    fn inc_keeps_carry() {
        let mut f = LazyFlags::default();
        f.set(CF, true);
        f.record_keep_cf(FlagOp::Add, 1, 0xff, 1, 0x100);
        assert!(f.cf() && f.zf() && f.af());
    }
}
