//! Bit instructions: bt bts btr btc, bsf bsr (also for `rep bsf`, F3 0F BC, since BMI1
//! and so TZCNT are not advertised), lzcnt (ABM is advertised) and popcnt.
//! With a register bit offset and a memory operand, bt* address memory relative to the
//! operand by the signed offset, as the hardware does.

use super::{operand_size, place, read_mem, read_operand, write_mem, Handler, Place};
use crate::cpu::fault::Step;
use crate::cpu::memory::{GuestAddr, GuestMemory};
use crate::cpu::state::{eflags::*, size_mask, CpuState};
use iced_x86::{Instruction, OpKind};

pub(super) fn bit_test<M: GuestMemory>(
    h: Handler,
    s: &mut CpuState,
    m: &mut M,
    i: &Instruction,
) -> Step {
    let size = operand_size(i, 0);
    let bits = size * 8;
    let offset = read_operand(s, m, i, 1, size)?;
    // With a register bit offset and a memory operand, the offset also moves the address.
    let (target, bit) = if i.op0_kind() == OpKind::Memory && i.op1_kind() == OpKind::Register {
        let signed = if size == 2 {
            offset as u16 as i16 as i32
        } else {
            offset as i32
        };
        let units = signed.div_euclid(bits as i32);
        // The displacement joins the effective address, which wraps at the
        // address size (16 bits with a 0x67 prefix).
        let mut ea = super::offset(s, i).wrapping_add((units * size as i32) as u32);
        if i.memory_base().is_gpr16() || i.memory_index().is_gpr16() || i.memory_displ_size() == 2 {
            ea &= 0xffff;
        }
        // The segment limit applies to the final offset.
        if ea.checked_add(size - 1).is_none() {
            return Err(super::segment_limit_fault(i.memory_segment()).into());
        }
        let linear = GuestAddr(ea.wrapping_add(super::segment_base(s, i.memory_segment())));
        (Place::Mem(linear), signed.rem_euclid(bits as i32) as u32)
    } else {
        (place(s, i, 0)?, offset & (bits - 1))
    };
    let old = match target {
        Place::Reg(r) => s.reg(r),
        Place::Mem(a) if h != Handler::Bt => {
            m.check_write(a, size)?;
            read_mem(m, a, size)?
        }
        Place::Mem(a) => read_mem(m, a, size)?,
    };
    let set = old >> bit & 1 != 0;
    let new = match h {
        Handler::Bts => old | 1 << bit,
        Handler::Btr => old & !(1 << bit),
        Handler::Btc => old ^ 1 << bit,
        _ => old,
    };
    if h != Handler::Bt {
        match target {
            Place::Reg(r) => s.set_reg(r, new),
            Place::Mem(a) => write_mem(m, a, size, new)?,
        }
    }
    s.flags.set(CF, set);
    Ok(())
}

pub(super) fn bit_scan<M: GuestMemory>(
    h: Handler,
    s: &mut CpuState,
    m: &mut M,
    i: &Instruction,
) -> Step {
    let size = operand_size(i, 0);
    let bits = size * 8;
    let src = read_operand(s, m, i, 1, size)? & size_mask(size);
    let dst = i.op0_register();
    match h {
        Handler::Bsf | Handler::Bsr => {
            if src == 0 {
                // The destination keeps its value (documented by AMD, done by Intel).
                s.flags.set(ZF, true);
            } else {
                let index = if h == Handler::Bsf {
                    src.trailing_zeros()
                } else {
                    31 - src.leading_zeros()
                };
                s.set_reg(dst, index);
                s.flags.set(ZF, false);
            }
        }
        Handler::Lzcnt => {
            let count = if src == 0 {
                bits
            } else {
                src.leading_zeros() - (32 - bits)
            };
            s.set_reg(dst, count);
            let cf = if src == 0 { CF } else { 0 };
            let zf = if count == 0 { ZF } else { 0 };
            s.flags.set_some(CF | ZF, cf | zf);
        }
        _ => {
            let count = src.count_ones();
            s.set_reg(dst, count);
            s.flags.set_all(if src == 0 { ZF } else { 0 });
        }
    }
    Ok(())
}
