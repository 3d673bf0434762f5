//! Integer arithmetic and logic: add adc sub sbb and or xor cmp test, inc dec neg not.
//! Flags are recorded lazily (see `flags`); the destination is written before the flags
//! so a faulting store changes nothing.

use super::{load, load_for_update, operand_size, place, read_operand, store, Handler};
use crate::cpu::fault::Step;
use crate::cpu::flags::FlagOp;
use crate::cpu::memory::GuestMemory;
use crate::cpu::state::CpuState;
use iced_x86::Instruction;

/// Two-operand forms: `op dst, src`.
#[inline(always)]
pub(super) fn binary<M: GuestMemory>(
    h: Handler,
    s: &mut CpuState,
    m: &mut M,
    i: &Instruction,
) -> Step {
    let size = operand_size(i, 0);
    let dst = place(s, i, 0)?;
    let b = read_operand(s, m, i, 1, size)?;
    let writes = writes_destination(h);
    let a = if writes {
        load_for_update(s, m, dst, size)?
    } else {
        load(s, m, dst, size)?
    };
    let (op, result) = compute(h, a, b, s.flags.cf());
    if writes {
        store(s, m, dst, size, result)?;
    }
    s.flags.record(op, size, a, b, result);
    Ok(())
}

/// The result and flag kind of a two-operand ALU operation (`carry` is CF before it).
#[inline(always)]
pub(super) fn compute(h: Handler, a: u32, b: u32, carry: bool) -> (FlagOp, u32) {
    match h {
        Handler::Add => (FlagOp::Add, a.wrapping_add(b)),
        Handler::Adc if carry => (FlagOp::AddWithCarry, a.wrapping_add(b).wrapping_add(1)),
        Handler::Adc => (FlagOp::Add, a.wrapping_add(b)),
        Handler::Sub | Handler::Cmp => (FlagOp::Sub, a.wrapping_sub(b)),
        Handler::Sbb if carry => (FlagOp::SubWithBorrow, a.wrapping_sub(b).wrapping_sub(1)),
        Handler::Sbb => (FlagOp::Sub, a.wrapping_sub(b)),
        Handler::Or => (FlagOp::Logic, a | b),
        Handler::Xor => (FlagOp::Logic, a ^ b),
        _ => (FlagOp::Logic, a & b), // and, test
    }
}

/// True for the two-operand operations that write their destination (not cmp/test).
#[inline(always)]
pub(super) fn writes_destination(h: Handler) -> bool {
    !matches!(h, Handler::Cmp | Handler::Test)
}

/// One-operand forms: inc dec neg not.
#[inline(always)]
pub(super) fn unary<M: GuestMemory>(
    h: Handler,
    s: &mut CpuState,
    m: &mut M,
    i: &Instruction,
) -> Step {
    let size = operand_size(i, 0);
    let dst = place(s, i, 0)?;
    let a = load_for_update(s, m, dst, size)?;
    match h {
        Handler::Inc => {
            let r = a.wrapping_add(1);
            store(s, m, dst, size, r)?;
            s.flags.record_keep_cf(FlagOp::Add, size, a, 1, r);
        }
        Handler::Dec => {
            let r = a.wrapping_sub(1);
            store(s, m, dst, size, r)?;
            s.flags.record_keep_cf(FlagOp::Sub, size, a, 1, r);
        }
        Handler::Neg => {
            let r = 0u32.wrapping_sub(a);
            store(s, m, dst, size, r)?;
            s.flags.record(FlagOp::Sub, size, 0, a, r);
        }
        _ => store(s, m, dst, size, !a)?, // not: no flags
    }
    Ok(())
}
