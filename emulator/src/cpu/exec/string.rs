//! String instructions: movs cmps scas lods stos, with rep / repe / repne.
//!
//! Each iteration does its memory accesses first and only then advances esi/edi/ecx, so a
//! fault mid-way leaves the registers describing exactly the iterations completed and
//! eip on the instruction, as the hardware does. A long `rep` runs in chunks: after
//! [`REP_CHUNK`] iterations the instruction ends with eip still on it, so the scheduler
//! can interleave and the next step resumes it.

use super::{read_mem, segment_base, segment_limit_fault, write_mem, Handler};
use crate::cpu::fault::{Step, Stop};
use crate::cpu::flags::FlagOp;
use crate::cpu::memory::{GuestAddr, GuestMemory};
use crate::cpu::state::{size_mask, CpuState, EAX, ECX, EDI, ESI};
use iced_x86::{Instruction, OpKind, Register};

/// Iterations of a `rep` instruction done in one step before yielding.
pub const REP_CHUNK: u32 = 1 << 16;

pub(super) fn execute<M: GuestMemory>(
    h: Handler,
    s: &mut CpuState,
    m: &mut M,
    i: &Instruction,
) -> Step {
    let size = element_size(i);
    // 16-bit addressing (0x67 prefix) uses si/di/cx.
    let addr16 = (0..i.op_count()).any(|n| {
        matches!(
            i.op_kind(n),
            OpKind::MemorySegSI | OpKind::MemoryESDI | OpKind::MemorySegDI
        )
    });
    let amask = if addr16 { 0xffff } else { 0xffff_ffff };
    let src_seg = match i.segment_prefix() {
        Register::None => Register::DS,
        r => r,
    };
    let src_base = segment_base(s, src_seg);
    let dst_base = segment_base(s, Register::ES);
    let delta = if s.direction_flag() {
        0u32.wrapping_sub(size)
    } else {
        size
    };
    let rep = i.has_rep_prefix() || i.has_repne_prefix();
    let compares = matches!(h, Handler::Cmps | Handler::Scas);
    let mut done = 0;
    loop {
        if rep {
            if s.gpr[ECX] & amask == 0 {
                break;
            }
            if done == REP_CHUNK {
                s.next_eip = i.ip32();
                return Ok(());
            }
        }
        let esi = s.gpr[ESI] & amask;
        let edi = s.gpr[EDI] & amask;
        // Each access checks the segment limit when it happens (an offset running past
        // 4 GiB is #GP, or #SS through ss), so earlier accesses of the same iteration and
        // earlier iterations stay done, as on hardware.
        let src = || checked(src_seg, src_base, esi, size);
        let dst = || checked(Register::ES, dst_base, edi, size);
        let (adv_si, adv_di) = match h {
            Handler::Movs => {
                let v = read_mem(m, src()?, size)?;
                write_mem(m, dst()?, size, v)?;
                (true, true)
            }
            Handler::Stos => {
                write_mem(m, dst()?, size, s.gpr[EAX])?;
                (false, true)
            }
            Handler::Lods => {
                let v = read_mem(m, src()?, size)?;
                s.set_gpr_sized(EAX, size, v);
                (true, false)
            }
            Handler::Cmps => {
                // Which operand faults first must match the host CPU (AMD Zen): every
                // form reads the destination first except `repe cmpsb`.
                let (a, b) = if i.has_repe_prefix() && size == 1 {
                    let a = read_mem(m, src()?, size)?;
                    (a, read_mem(m, dst()?, size)?)
                } else {
                    let b = read_mem(m, dst()?, size)?;
                    (read_mem(m, src()?, size)?, b)
                };
                s.flags.record(FlagOp::Sub, size, a, b, a.wrapping_sub(b));
                (true, true)
            }
            _ => {
                // scas
                let a = s.gpr[EAX] & size_mask(size);
                let b = read_mem(m, dst()?, size)?;
                s.flags.record(FlagOp::Sub, size, a, b, a.wrapping_sub(b));
                (false, true)
            }
        };
        let width = if addr16 { 2 } else { 4 };
        if adv_si {
            s.set_gpr_sized(ESI, width, esi.wrapping_add(delta));
        }
        if adv_di {
            s.set_gpr_sized(EDI, width, edi.wrapping_add(delta));
        }
        if !rep {
            break;
        }
        s.set_gpr_sized(ECX, width, s.gpr[ECX].wrapping_sub(1));
        done += 1;
        if compares {
            let zf = s.flags.zf();
            if (i.has_repe_prefix() && !zf) || (i.has_repne_prefix() && zf) {
                break;
            }
        }
    }
    Ok(())
}

/// The linear address of a string operand, or the segment-limit fault.
#[inline(always)]
fn checked(seg: Register, base: u32, offset: u32, size: u32) -> Result<GuestAddr, Stop> {
    if offset.checked_add(size - 1).is_none() {
        return Err(segment_limit_fault(seg).into());
    }
    Ok(GuestAddr(base.wrapping_add(offset)))
}

fn element_size(i: &Instruction) -> u32 {
    use iced_x86::Mnemonic as M;
    match i.mnemonic() {
        M::Movsb | M::Cmpsb | M::Scasb | M::Lodsb | M::Stosb => 1,
        M::Movsw | M::Cmpsw | M::Scasw | M::Lodsw | M::Stosw => 2,
        _ => 4,
    }
}
