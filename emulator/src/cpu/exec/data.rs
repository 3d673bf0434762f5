//! Data movement and small register operations: mov (incl. segment registers), movzx
//! movsx lea xchg xadd cmpxchg cmpxchg8b bswap cmovcc setcc, cbw cwde cwd cdq, lahf sahf
//! xlat salc, and the flag instructions clc stc cmc cld std.

use super::{
    condition, linear, load_for_update, offset, operand_size, place, read_mem, read_operand,
    segment_base, store, write_mem, Handler, Place,
};
use crate::cpu::fault::{FaultKind, Step};
use crate::cpu::flags::FlagOp;
use crate::cpu::memory::{GuestAddr, GuestMemory};
use crate::cpu::state::{eflags::*, size_mask, CpuState, EAX, EBX, ECX, EDX};
use iced_x86::{Instruction, OpKind, Register};

pub(super) fn mov<M: GuestMemory>(s: &mut CpuState, m: &mut M, i: &Instruction) -> Step {
    let size = operand_size(i, 0);
    let v = read_operand(s, m, i, 1, size)?;
    let dst = place(s, i, 0)?;
    store(s, m, dst, size, v)?;
    Ok(())
}

/// `mov r/m, sreg` reads a selector; `mov sreg, r/m` loads one. Loading uses the
/// descriptor bases the kernel layer registered; unknown selectors and `cs` give #GP.
pub(super) fn mov_segment<M: GuestMemory>(s: &mut CpuState, m: &mut M, i: &Instruction) -> Step {
    if i.op1_register().is_segment_register() {
        let sel = s.reg(i.op1_register());
        match place(s, i, 0)? {
            // A register destination gets the zero-extended selector (32-bit form).
            Place::Reg(r) => s.set_reg(r, sel),
            Place::Mem(a) => write_mem(m, a, 2, sel)?,
        }
        return Ok(());
    }
    let sel = read_operand(s, m, i, 1, 2)? & 0xffff;
    let seg = i.op0_register();
    if seg == Register::CS {
        return Err(FaultKind::InvalidOpcode.into());
    }
    let base = match s.descriptor_base(sel) {
        Some(b) => b,
        None if sel & !3 == 0 && seg != Register::SS => 0,
        None => return Err(FaultKind::GeneralProtection(sel & !3).into()),
    };
    let n = seg as usize - Register::ES as usize;
    s.segments[n].selector = sel;
    s.segments[n].base = base;
    Ok(())
}

pub(super) fn extend<M: GuestMemory>(
    h: Handler,
    s: &mut CpuState,
    m: &mut M,
    i: &Instruction,
) -> Step {
    let src_size = operand_size(i, 1);
    let v = read_operand(s, m, i, 1, src_size)?;
    let v = match (h, src_size) {
        (Handler::Movsx, 1) => v as u8 as i8 as i32 as u32,
        (Handler::Movsx, _) => v as u16 as i16 as i32 as u32,
        _ => v,
    };
    s.set_reg(i.op0_register(), v);
    Ok(())
}

pub(super) fn lea(s: &mut CpuState, i: &Instruction) -> Step {
    s.set_reg(i.op0_register(), offset(s, i));
    Ok(())
}

pub(super) fn xchg<M: GuestMemory>(s: &mut CpuState, m: &mut M, i: &Instruction) -> Step {
    let size = operand_size(i, 0);
    let p0 = place(s, i, 0)?;
    let p1 = place(s, i, 1)?;
    let a = load_for_update(s, m, p0, size)?;
    let b = load_for_update(s, m, p1, size)?;
    // Memory first, so a fault leaves the register untouched.
    if let Place::Mem(_) = p1 {
        store(s, m, p1, size, a)?;
        store(s, m, p0, size, b)?;
    } else {
        store(s, m, p0, size, b)?;
        store(s, m, p1, size, a)?;
    }
    Ok(())
}

pub(super) fn xadd<M: GuestMemory>(s: &mut CpuState, m: &mut M, i: &Instruction) -> Step {
    let size = operand_size(i, 0);
    let dst = place(s, i, 0)?;
    let src = i.op1_register();
    let a = load_for_update(s, m, dst, size)?;
    let b = s.reg(src);
    let sum = a.wrapping_add(b);
    if let Place::Mem(_) = dst {
        store(s, m, dst, size, sum)?;
        s.set_reg(src, a);
    } else {
        s.set_reg(src, a);
        store(s, m, dst, size, sum)?;
    }
    s.flags.record(FlagOp::Add, size, a, b, sum);
    Ok(())
}

pub(super) fn cmpxchg<M: GuestMemory>(s: &mut CpuState, m: &mut M, i: &Instruction) -> Step {
    let size = operand_size(i, 0);
    let dst = place(s, i, 0)?;
    let old = load_for_update(s, m, dst, size)?;
    let acc = s.gpr[EAX] & size_mask(size);
    let equal = acc == old;
    match dst {
        // The processor always writes the destination (the old value when unequal).
        Place::Mem(a) => write_mem(
            m,
            a,
            size,
            if equal { s.reg(i.op1_register()) } else { old },
        )?,
        Place::Reg(r) => {
            if equal {
                s.set_reg(r, s.reg(i.op1_register()));
            }
        }
    }
    if !equal {
        s.set_gpr_sized(EAX, size, old);
    }
    s.flags
        .record(FlagOp::Sub, size, acc, old, acc.wrapping_sub(old));
    Ok(())
}

pub(super) fn cmpxchg8b<M: GuestMemory>(s: &mut CpuState, m: &mut M, i: &Instruction) -> Step {
    if i.op0_kind() != OpKind::Memory {
        return Err(FaultKind::InvalidOpcode.into());
    }
    let a = linear(s, i)?;
    m.check_write(a, 8)?;
    let old = m.read_u64(a)?;
    let expected = (s.gpr[EDX] as u64) << 32 | s.gpr[EAX] as u64;
    if old == expected {
        m.write_u64(a, (s.gpr[ECX] as u64) << 32 | s.gpr[EBX] as u64)?;
        s.flags.set(ZF, true);
    } else {
        m.write_u64(a, old)?;
        s.gpr[EAX] = old as u32;
        s.gpr[EDX] = (old >> 32) as u32;
        s.flags.set(ZF, false);
    }
    Ok(())
}

pub(super) fn bswap(s: &mut CpuState, i: &Instruction) -> Step {
    let r = i.op0_register();
    s.set_reg(r, s.reg(r).swap_bytes());
    Ok(())
}

pub(super) fn cmov<M: GuestMemory>(s: &mut CpuState, m: &mut M, i: &Instruction) -> Step {
    let size = operand_size(i, 0);
    // The source is read (and may fault) whether or not the condition holds.
    let v = read_operand(s, m, i, 1, size)?;
    if condition(s, i.condition_code()) {
        s.set_reg(i.op0_register(), v);
    }
    Ok(())
}

pub(super) fn setcc<M: GuestMemory>(s: &mut CpuState, m: &mut M, i: &Instruction) -> Step {
    let v = condition(s, i.condition_code()) as u32;
    let dst = place(s, i, 0)?;
    store(s, m, dst, 1, v)?;
    Ok(())
}

/// cbw cwde cwd cdq lahf sahf salc: fixed registers, no memory.
pub(super) fn accumulator(h: Handler, s: &mut CpuState) -> Step {
    let eax = s.gpr[EAX];
    match h {
        Handler::Cbw => s.set_gpr_sized(EAX, 2, eax as u8 as i8 as i16 as u32),
        Handler::Cwde => s.gpr[EAX] = eax as u16 as i16 as i32 as u32,
        Handler::Cwd => s.set_gpr_sized(EDX, 2, if eax & 0x8000 != 0 { 0xffff } else { 0 }),
        Handler::Cdq => {
            s.gpr[EDX] = if eax & 0x8000_0000 != 0 {
                0xffff_ffff
            } else {
                0
            }
        }
        Handler::Lahf => {
            let ah = (s.flags.materialize() & (SF | ZF | AF | PF | CF)) | RESERVED1;
            s.gpr[EAX] = (eax & 0xffff_00ff) | ah << 8;
        }
        Handler::Sahf => s.flags.set_some(SF | ZF | AF | PF | CF, eax >> 8),
        _ => s.set_gpr_sized(EAX, 1, if s.flags.cf() { 0xff } else { 0 }), // salc
    }
    Ok(())
}

pub(super) fn xlat<M: GuestMemory>(s: &mut CpuState, m: &mut M, i: &Instruction) -> Step {
    let seg = match i.segment_prefix() {
        Register::None => Register::DS,
        r => r,
    };
    let base = if i.memory_base() == Register::BX {
        s.gpr[EBX] & 0xffff
    } else {
        s.gpr[EBX]
    };
    let mut off = base.wrapping_add(s.gpr[EAX] & 0xff);
    if i.memory_base() == Register::BX {
        off &= 0xffff;
    }
    let v = read_mem(m, GuestAddr(off.wrapping_add(segment_base(s, seg))), 1)?;
    s.set_gpr_sized(EAX, 1, v);
    Ok(())
}

pub(super) fn flag_op(h: Handler, s: &mut CpuState) -> Step {
    match h {
        Handler::Clc => s.flags.set(CF, false),
        Handler::Stc => s.flags.set(CF, true),
        Handler::Cmc => {
            let cf = s.flags.cf();
            s.flags.set(CF, !cf)
        }
        Handler::Cld => s.eflags_other &= !DF,
        _ => s.eflags_other |= DF, // std
    }
    Ok(())
}
