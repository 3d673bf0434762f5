//! Stack instructions: push pop pusha popa pushf popf enter leave.
//!
//! The stack is flat 32-bit (ss base 0, esp). Every memory access happens before esp or
//! any other register changes, so a push that faults leaves esp as it was.

use super::{linear, read_mem, read_operand, write_mem};
use crate::cpu::fault::{FaultKind, Step, Stop};
use crate::cpu::memory::{GuestAddr, GuestMemory};
use crate::cpu::state::{eflags, CpuState, EBP, ESP};
use iced_x86::{Instruction, OpKind};

/// Pushes `v` (`size` bytes) and commits esp.
#[inline(always)]
pub(crate) fn push_value<M: GuestMemory>(s: &mut CpuState, m: &mut M, size: u32, v: u32) -> Step {
    let new_esp = s.gpr[ESP].wrapping_sub(size);
    write_mem(m, stack_slot(new_esp, size)?, size, v)?;
    s.gpr[ESP] = new_esp;
    Ok(())
}

/// The address of a `size`-byte stack access at `esp`: #SS if it runs past 4 GiB
/// (ss is flat, base 0).
#[inline(always)]
pub(crate) fn stack_slot(esp: u32, size: u32) -> Result<GuestAddr, Stop> {
    if esp.checked_add(size - 1).is_none() {
        return Err(FaultKind::StackSegment.into());
    }
    Ok(GuestAddr(esp))
}

/// Operand size of a push/pop: iced names it in the stack pointer increment.
#[inline(always)]
fn stack_size(i: &Instruction) -> u32 {
    i.stack_pointer_increment().unsigned_abs()
}

pub(super) fn push<M: GuestMemory>(s: &mut CpuState, m: &mut M, i: &Instruction) -> Step {
    let size = stack_size(i);
    let v = match i.op0_kind() {
        // Immediates are sign-extended to the operand size by iced already.
        OpKind::Register if i.op0_register().is_segment_register() => s.reg(i.op0_register()),
        _ => read_operand(s, m, i, 0, size)?,
    };
    push_value(s, m, size, v)
}

pub(super) fn pop<M: GuestMemory>(s: &mut CpuState, m: &mut M, i: &Instruction) -> Step {
    let size = stack_size(i);
    let esp = s.gpr[ESP];
    let v = read_mem(m, stack_slot(esp, size)?, size)?;
    let new_esp = esp.wrapping_add(size);
    match i.op0_kind() {
        OpKind::Memory => {
            // The address is computed with esp already incremented.
            s.gpr[ESP] = new_esp;
            let a = linear(s, i)?;
            if let Err(f) = write_mem(m, a, size, v) {
                s.gpr[ESP] = esp;
                return Err(f.into());
            }
        }
        _ => {
            s.gpr[ESP] = new_esp;
            s.set_reg(i.op0_register(), v); // `pop esp` ends with the popped value
        }
    }
    Ok(())
}

pub(super) fn pusha<M: GuestMemory>(s: &mut CpuState, m: &mut M, i: &Instruction) -> Step {
    let size = if stack_size(i) == 16 { 2 } else { 4 };
    let esp = s.gpr[ESP];
    let bottom = esp.wrapping_sub(8 * size);
    // Pushes happen in order: a fault keeps the stores before it (as the hardware does)
    // but leaves esp unchanged.
    for (n, &v) in s.gpr.iter().enumerate() {
        let a = esp.wrapping_sub((n as u32 + 1) * size);
        write_mem(m, stack_slot(a, size)?, size, v)?; // gpr[ESP] still holds the original esp
    }
    s.gpr[ESP] = bottom;
    Ok(())
}

pub(super) fn popa<M: GuestMemory>(s: &mut CpuState, m: &mut M, i: &Instruction) -> Step {
    let size = if stack_size(i) == 16 { 2 } else { 4 };
    let esp = s.gpr[ESP];
    // Registers load one at a time in address order (edi first). A fault part-way keeps
    // the ones already loaded and leaves esp unchanged: that is what the host CPU
    // (AMD Zen) does, and the differential tests hold us to it.
    for k in 0..8u32 {
        let v = read_mem(m, stack_slot(esp.wrapping_add(k * size), size)?, size)?;
        let n = 7 - k as usize;
        if n != ESP {
            s.set_gpr_sized(n, size, v);
        }
    }
    s.gpr[ESP] = esp.wrapping_add(8 * size);
    Ok(())
}

pub(super) fn pushf<M: GuestMemory>(s: &mut CpuState, m: &mut M, i: &Instruction) -> Step {
    let size = stack_size(i);
    let v = s.eflags();
    push_value(s, m, size, v)
}

pub(super) fn popf<M: GuestMemory>(s: &mut CpuState, m: &mut M, i: &Instruction) -> Step {
    let size = stack_size(i);
    let esp = s.gpr[ESP];
    let v = read_mem(m, stack_slot(esp, size)?, size)?;
    let v = if size == 2 {
        (s.eflags() & 0xffff_0000) | v
    } else {
        v
    };
    s.set_eflags(v & !eflags::TF); // single-stepping is not emulated
    s.gpr[ESP] = esp.wrapping_add(size);
    Ok(())
}

pub(super) fn enter<M: GuestMemory>(s: &mut CpuState, m: &mut M, i: &Instruction) -> Step {
    let size = operand_size_of_enter(i);
    let alloc = i.immediate16() as u32;
    let level = i.immediate8_2nd() as u32 & 0x1f;
    let mut esp = s.gpr[ESP];
    let mut ebp = s.gpr[EBP];
    esp = esp.wrapping_sub(size);
    write_mem(m, stack_slot(esp, size)?, size, ebp)?;
    let frame = esp;
    if level > 0 {
        for _ in 1..level {
            ebp = ebp.wrapping_sub(size);
            let v = read_mem(m, stack_slot(ebp, size)?, size)?;
            esp = esp.wrapping_sub(size);
            write_mem(m, stack_slot(esp, size)?, size, v)?;
        }
        esp = esp.wrapping_sub(size);
        write_mem(m, stack_slot(esp, size)?, size, frame)?;
    }
    esp = esp.wrapping_sub(alloc);
    // The processor ends by probing the new stack top for writability (a read-modify-write
    // access that stores nothing); a fault there keeps the frame already written.
    m.check_write(stack_slot(esp, size)?, size)?;
    s.set_gpr_sized(EBP, size, frame);
    s.gpr[ESP] = esp;
    Ok(())
}

fn operand_size_of_enter(i: &Instruction) -> u32 {
    if i.code() == iced_x86::Code::Enterw_imm16_imm8 {
        2
    } else {
        4
    }
}

pub(super) fn leave<M: GuestMemory>(s: &mut CpuState, m: &mut M, i: &Instruction) -> Step {
    let size = if i.code() == iced_x86::Code::Leavew {
        2
    } else {
        4
    };
    let ebp = s.gpr[EBP];
    let v = read_mem(m, stack_slot(ebp, size)?, size)?;
    s.gpr[ESP] = ebp.wrapping_add(size);
    s.set_gpr_sized(EBP, size, v);
    Ok(())
}
