//! Control transfer: jmp (direct and indirect), jcc, call, ret / ret imm16, loop loope
//! loopne, jecxz/jcxz. Handlers only set `next_eip`; a bad target faults when it is
//! fetched, with eip on the target, as on hardware with flat segments.

use super::stack::push_value;
use super::{condition, read_mem, read_operand, Handler};
use crate::cpu::fault::Step;
use crate::cpu::memory::GuestMemory;
use crate::cpu::state::{CpuState, ECX, ESP};
use iced_x86::{Instruction, OpKind};

/// The branch target for direct forms, or the r/m value for indirect ones.
#[inline(always)]
fn target<M: GuestMemory>(
    s: &CpuState,
    m: &mut M,
    i: &Instruction,
) -> Result<u32, crate::cpu::fault::Stop> {
    Ok(match i.op0_kind() {
        OpKind::NearBranch32 => i.near_branch32(),
        OpKind::NearBranch16 => i.near_branch16() as u32,
        _ => {
            let size = super::operand_size(i, 0);
            read_operand(s, m, i, 0, size)?
        }
    })
}

pub(super) fn jmp<M: GuestMemory>(s: &mut CpuState, m: &mut M, i: &Instruction) -> Step {
    s.next_eip = target(s, m, i)?;
    Ok(())
}

#[inline(always)]
pub(super) fn jcc(s: &mut CpuState, i: &Instruction) -> Step {
    if condition(s, i.condition_code()) {
        s.next_eip = match i.op0_kind() {
            OpKind::NearBranch16 => i.near_branch16() as u32,
            _ => i.near_branch32(),
        };
    }
    Ok(())
}

pub(super) fn call<M: GuestMemory>(s: &mut CpuState, m: &mut M, i: &Instruction) -> Step {
    let to = target(s, m, i)?;
    let size = i.stack_pointer_increment().unsigned_abs();
    push_value(s, m, size, s.next_eip)?;
    s.next_eip = to;
    Ok(())
}

pub(super) fn ret<M: GuestMemory>(s: &mut CpuState, m: &mut M, i: &Instruction) -> Step {
    let size = if matches!(
        i.code(),
        iced_x86::Code::Retnw | iced_x86::Code::Retnw_imm16
    ) {
        2
    } else {
        4
    };
    let esp = s.gpr[ESP];
    let to = read_mem(m, super::stack::stack_slot(esp, size)?, size)?;
    let release = if i.op_count() == 1 {
        i.immediate16() as u32
    } else {
        0
    };
    s.gpr[ESP] = esp.wrapping_add(size).wrapping_add(release);
    s.next_eip = to;
    Ok(())
}

pub(super) fn loop_family(h: Handler, s: &mut CpuState, i: &Instruction) -> Step {
    // The address size (0x67) picks cx or ecx; iced names it in the memory size of the
    // counter register operand, which we read from the op code form.
    let uses_cx = matches!(
        i.code(),
        iced_x86::Code::Loop_rel8_16_CX
            | iced_x86::Code::Loop_rel8_32_CX
            | iced_x86::Code::Loope_rel8_16_CX
            | iced_x86::Code::Loope_rel8_32_CX
            | iced_x86::Code::Loopne_rel8_16_CX
            | iced_x86::Code::Loopne_rel8_32_CX
            | iced_x86::Code::Jcxz_rel8_16
            | iced_x86::Code::Jcxz_rel8_32
    );
    let mask = if uses_cx { 0xffff } else { 0xffff_ffff };
    let width = if uses_cx { 2 } else { 4 };
    let taken = if h == Handler::Jcxz {
        s.gpr[ECX] & mask == 0
    } else {
        let count = s.gpr[ECX].wrapping_sub(1) & mask;
        s.set_gpr_sized(ECX, width, count);
        count != 0
            && match h {
                Handler::Loope => s.flags.zf(),
                Handler::Loopne => !s.flags.zf(),
                _ => true,
            }
    };
    if taken {
        s.next_eip = match i.op0_kind() {
            OpKind::NearBranch16 => i.near_branch16() as u32,
            _ => i.near_branch32(),
        };
    }
    Ok(())
}
