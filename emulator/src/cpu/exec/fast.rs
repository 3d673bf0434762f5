//! Fast paths for the most frequent instruction shapes of compiled code: 32-bit ALU and
//! mov between registers and immediates, loads and stores through `[reg + disp]`,
//! inc/dec of a register, and jcc. Their operands are resolved once at decode time into a
//! [`FastOp`], so executing them skips the generic operand decoding. Semantics are the
//! generic handlers' (the differential tests exercise both paths); any other shape is
//! `FastOp::None` and takes the generic path.

use super::alu::{compute, writes_destination};
use super::{condition, segment_limit_fault, Handler};
use crate::cpu::fault::{Step, Stop};
use crate::cpu::flags::FlagOp;
use crate::cpu::memory::{GuestAddr, GuestMemory};
use crate::cpu::state::CpuState;
use iced_x86::{ConditionCode, Instruction, OpKind, Register};

/// A pre-resolved instruction. Register operands are indexes into `CpuState::gpr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FastOp {
    None,
    AluRegReg {
        op: Handler,
        dst: u8,
        src: u8,
    },
    AluRegImm {
        op: Handler,
        dst: u8,
        imm: u32,
    },
    MovRegReg {
        dst: u8,
        src: u8,
    },
    MovRegImm {
        dst: u8,
        imm: u32,
    },
    IncReg {
        reg: u8,
    },
    DecReg {
        reg: u8,
    },
    /// `mov dst, [seg: base + disp]`; `seg` indexes `CpuState::segments`.
    Load {
        dst: u8,
        base: u8,
        seg: u8,
        disp: u32,
    },
    /// `mov [seg: base + disp], src`.
    Store {
        src: u8,
        base: u8,
        seg: u8,
        disp: u32,
    },
    Jcc {
        cc: ConditionCode,
        target: u32,
    },
}

fn gpr32(r: Register) -> Option<u8> {
    r.is_gpr32()
        .then(|| (r as usize - Register::EAX as usize) as u8)
}

/// `[base32 + disp32]` with no index and no 16-bit addressing: (base, segment, disp).
fn simple_memory(i: &Instruction) -> Option<(u8, u8, u32)> {
    if i.memory_index() != Register::None {
        return None;
    }
    let base = gpr32(i.memory_base())?;
    let seg = i.memory_segment();
    if !seg.is_segment_register() {
        return None;
    }
    Some((
        base,
        (seg as usize - Register::ES as usize) as u8,
        i.memory_displacement32(),
    ))
}

/// Chooses the fast form of a decoded instruction, if it has one.
pub fn select(h: Handler, i: &Instruction) -> FastOp {
    use Handler as H;
    match h {
        H::Add | H::Or | H::Adc | H::Sbb | H::And | H::Sub | H::Xor | H::Cmp | H::Test => {
            let Some(dst) = (i.op0_kind() == OpKind::Register)
                .then(|| gpr32(i.op0_register()))
                .flatten()
            else {
                return FastOp::None;
            };
            match i.op1_kind() {
                OpKind::Register => match gpr32(i.op1_register()) {
                    Some(src) => FastOp::AluRegReg { op: h, dst, src },
                    None => FastOp::None,
                },
                OpKind::Immediate32 => FastOp::AluRegImm {
                    op: h,
                    dst,
                    imm: i.immediate32(),
                },
                OpKind::Immediate8to32 => FastOp::AluRegImm {
                    op: h,
                    dst,
                    imm: i.immediate8to32() as u32,
                },
                _ => FastOp::None,
            }
        }
        H::Mov => match (i.op0_kind(), i.op1_kind()) {
            (OpKind::Register, OpKind::Register) => {
                match (gpr32(i.op0_register()), gpr32(i.op1_register())) {
                    (Some(dst), Some(src)) => FastOp::MovRegReg { dst, src },
                    _ => FastOp::None,
                }
            }
            (OpKind::Register, OpKind::Immediate32) => match gpr32(i.op0_register()) {
                Some(dst) => FastOp::MovRegImm {
                    dst,
                    imm: i.immediate32(),
                },
                None => FastOp::None,
            },
            (OpKind::Register, OpKind::Memory) => match (gpr32(i.op0_register()), simple_memory(i))
            {
                (Some(dst), Some((base, seg, disp))) => FastOp::Load {
                    dst,
                    base,
                    seg,
                    disp,
                },
                _ => FastOp::None,
            },
            (OpKind::Memory, OpKind::Register) => match (gpr32(i.op1_register()), simple_memory(i))
            {
                (Some(src), Some((base, seg, disp))) if i.memory_size().size() == 4 => {
                    FastOp::Store {
                        src,
                        base,
                        seg,
                        disp,
                    }
                }
                _ => FastOp::None,
            },
            _ => FastOp::None,
        },
        H::Inc | H::Dec if i.op0_kind() == OpKind::Register => match gpr32(i.op0_register()) {
            Some(reg) if h == H::Inc => FastOp::IncReg { reg },
            Some(reg) => FastOp::DecReg { reg },
            None => FastOp::None,
        },
        H::Jcc if i.op0_kind() == OpKind::NearBranch32 => FastOp::Jcc {
            cc: i.condition_code(),
            target: i.near_branch32(),
        },
        _ => FastOp::None,
    }
}

/// Executes a fast form; same contract as `exec::execute`.
#[inline(always)]
pub(crate) fn execute<M: GuestMemory>(f: FastOp, s: &mut CpuState, m: &mut M) -> Step {
    match f {
        FastOp::AluRegReg { op, dst, src } => {
            let (a, b) = (s.gpr[dst as usize], s.gpr[src as usize]);
            alu(op, s, dst, a, b);
        }
        FastOp::AluRegImm { op, dst, imm } => {
            let a = s.gpr[dst as usize];
            alu(op, s, dst, a, imm);
        }
        FastOp::MovRegReg { dst, src } => s.gpr[dst as usize] = s.gpr[src as usize],
        FastOp::MovRegImm { dst, imm } => s.gpr[dst as usize] = imm,
        FastOp::IncReg { reg } => {
            let a = s.gpr[reg as usize];
            let r = a.wrapping_add(1);
            s.gpr[reg as usize] = r;
            s.flags.record_keep_cf(FlagOp::Add, 4, a, 1, r);
        }
        FastOp::DecReg { reg } => {
            let a = s.gpr[reg as usize];
            let r = a.wrapping_sub(1);
            s.gpr[reg as usize] = r;
            s.flags.record_keep_cf(FlagOp::Sub, 4, a, 1, r);
        }
        FastOp::Load {
            dst,
            base,
            seg,
            disp,
        } => {
            let a = offset_checked(s, base, disp, seg)?.wrapping_add(s.segments[seg as usize].base);
            s.gpr[dst as usize] = m.read_u32(GuestAddr(a))?;
        }
        FastOp::Store {
            src,
            base,
            seg,
            disp,
        } => {
            let a = offset_checked(s, base, disp, seg)?.wrapping_add(s.segments[seg as usize].base);
            m.write_u32(GuestAddr(a), s.gpr[src as usize])?;
        }
        FastOp::Jcc { cc, target } => {
            if condition(s, cc) {
                s.next_eip = target;
            }
        }
        FastOp::None => {}
    }
    Ok(())
}

/// `base + disp` for a 4-byte access, faulting past the 4 GiB segment limit.
#[inline(always)]
fn offset_checked(s: &CpuState, base: u8, disp: u32, seg: u8) -> Result<u32, Stop> {
    let off = s.gpr[base as usize].wrapping_add(disp);
    if off > u32::MAX - 3 {
        let seg = if seg == 2 { Register::SS } else { Register::DS };
        return Err(segment_limit_fault(seg).into());
    }
    Ok(off)
}

#[inline(always)]
fn alu(op: Handler, s: &mut CpuState, dst: u8, a: u32, b: u32) {
    let (kind, result) = compute(op, a, b, s.flags.cf());
    if writes_destination(op) {
        s.gpr[dst as usize] = result;
    }
    s.flags.record(kind, 4, a, b, result);
}
