//! Operand access for the MMX, SSE, SSE2 and SSE3 instructions: where an operand lives
//! (MMX register, XMM register, general register, memory) and how wide reads and writes
//! of it are. MMX registers are the x87 significands: touching one puts the x87 unit in
//! MMX state (TOP = 0, all registers valid) through `X87State::mmx_read`/`mmx_write`,
//! and an instruction with an MMX register operand first raises #MF if an x87 exception
//! is pending. This module has no instruction semantics (those are in `cpu/simd/`,
//! dispatched from `sse.rs`).

use super::x87::{read_bytes, write_bytes};
use super::{linear, offset, segment_base};
use crate::cpu::fault::{FaultKind, Step, Stop};
use crate::cpu::memory::{GuestAddr, GuestMemory};
use crate::cpu::simd::Xmm;
use crate::cpu::state::CpuState;
use iced_x86::{Instruction, OpKind, Register};

/// Where a SIMD operand lives.
#[derive(Clone, Copy, Debug)]
pub(super) enum Loc {
    Mm(usize),
    Xmm(usize),
    Gpr(Register),
    Mem(GuestAddr),
    Imm(u32),
}

/// True if any operand of `i` is an MMX register.
pub(super) fn uses_mmx(i: &Instruction) -> bool {
    (0..i.op_count()).any(|n| i.op_kind(n) == OpKind::Register && i.op_register(n).is_mm())
}

/// Resolves operand `n`; `aligned` demands a 16-byte aligned memory operand (#GP(0)).
pub(super) fn loc(s: &CpuState, i: &Instruction, n: u32, aligned: bool) -> Result<Loc, Stop> {
    if n >= i.op_count() {
        return Err(FaultKind::InvalidOpcode.into());
    }
    Ok(match i.op_kind(n) {
        OpKind::Register => {
            let r = i.op_register(n);
            if r.is_mm() {
                Loc::Mm((r as usize - Register::MM0 as usize) & 7)
            } else if r.is_xmm() {
                Loc::Xmm((r as usize - Register::XMM0 as usize) & 7)
            } else {
                Loc::Gpr(r)
            }
        }
        OpKind::Memory => {
            // Misalignment (#GP) is reported before a segment-limit fault.
            let unchecked = offset(s, i).wrapping_add(segment_base(s, i.memory_segment()));
            if aligned && unchecked & 15 != 0 {
                return Err(FaultKind::GeneralProtection(0).into());
            }
            Loc::Mem(linear(s, i)?)
        }
        OpKind::Immediate8 => Loc::Imm(i.immediate8() as u32),
        // The implicit destination of maskmovq/maskmovdqu (see `masked_store`).
        OpKind::MemorySegEDI | OpKind::MemorySegDI => Loc::Imm(0),
        _ => return Err(FaultKind::InvalidOpcode.into()),
    })
}

/// Reads 128 bits (an MMX register or a GPR zero-extended).
pub(super) fn read128<M: GuestMemory>(s: &mut CpuState, m: &mut M, l: Loc) -> Result<Xmm, Stop> {
    Ok(match l {
        Loc::Xmm(n) => s.xmm[n],
        Loc::Mem(a) => Xmm::from_bytes(read_bytes::<16, _>(m, a)?),
        other => Xmm(read64(s, m, other)? as u128),
    })
}

/// Reads 64 bits: the low quadword of an XMM register, an MMX register, or memory.
pub(super) fn read64<M: GuestMemory>(s: &mut CpuState, m: &mut M, l: Loc) -> Result<u64, Stop> {
    Ok(match l {
        Loc::Xmm(n) => s.xmm[n].low64(),
        Loc::Mm(n) => s.x87.mmx_read(n),
        Loc::Mem(a) => m.read_u64(a)?,
        Loc::Gpr(r) => s.reg(r) as u64,
        Loc::Imm(v) => v as u64,
    })
}

/// Reads 32 bits: the low doubleword of a register, or memory.
pub(super) fn read32<M: GuestMemory>(s: &mut CpuState, m: &mut M, l: Loc) -> Result<u32, Stop> {
    Ok(match l {
        Loc::Xmm(n) => s.xmm[n].0 as u32,
        Loc::Mm(n) => s.x87.mmx_read(n) as u32,
        Loc::Mem(a) => m.read_u32(a)?,
        Loc::Gpr(r) => s.reg(r),
        Loc::Imm(v) => v,
    })
}

/// Writes a whole XMM register or 16 bytes of memory.
pub(super) fn write128<M: GuestMemory>(s: &mut CpuState, m: &mut M, l: Loc, v: Xmm) -> Step {
    match l {
        Loc::Xmm(n) => s.xmm[n] = v,
        Loc::Mem(a) => write_bytes(m, a, &v.to_bytes())?,
        other => write64(s, m, other, v.low64())?,
    }
    Ok(())
}

/// Writes 64 bits: an MMX register, memory, or an XMM register zero-extended.
pub(super) fn write64<M: GuestMemory>(s: &mut CpuState, m: &mut M, l: Loc, v: u64) -> Step {
    match l {
        Loc::Mm(n) => s.x87.mmx_write(n, v),
        Loc::Xmm(n) => s.xmm[n] = Xmm(v as u128),
        Loc::Mem(a) => m.write_u64(a, v)?,
        Loc::Gpr(r) => s.set_reg(r, v as u32),
        Loc::Imm(_) => return Err(FaultKind::InvalidOpcode.into()),
    }
    Ok(())
}

/// Writes 32 bits: a general register, memory, or an MMX/XMM register zero-extended.
pub(super) fn write32<M: GuestMemory>(s: &mut CpuState, m: &mut M, l: Loc, v: u32) -> Step {
    match l {
        Loc::Mem(a) => m.write_u32(a, v)?,
        Loc::Gpr(r) => s.set_reg(r, v),
        other => write64(s, m, other, v as u64)?,
    }
    Ok(())
}

/// `maskmovq`/`maskmovdqu`: stores the bytes of `data` selected by `mask` bits at
/// `seg:[edi]` (the instruction's implicit memory operand). The whole 8/16-byte range
/// is checked for write access first, whatever the mask, as AMD hardware does (Intel
/// leaves faults with a zero mask implementation-specific).
pub(super) fn masked_store<M: GuestMemory>(
    s: &CpuState,
    m: &mut M,
    i: &Instruction,
    data: u128,
    mask: u32,
    len: u32,
) -> Step {
    let di = if i.op0_kind() == OpKind::MemorySegDI {
        s.gpr[crate::cpu::state::EDI] & 0xffff
    } else {
        s.gpr[crate::cpu::state::EDI]
    };
    let a = GuestAddr(di.wrapping_add(segment_base(s, i.memory_segment())));
    m.check_write(a, len)?;
    for b in 0..len {
        if mask & (1 << b) != 0 {
            m.write_u8(a.offset(b), (data >> (8 * b)) as u8)?;
        }
    }
    Ok(())
}
