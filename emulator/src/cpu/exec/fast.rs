//! Fast paths for the most frequent instruction shapes of compiled code: 32-bit ALU, mov
//! and lea over registers, immediates and `[base + index*scale + disp]` memory, inc/dec
//! of a register, push/pop of a register, near call/ret, jcc and jmp (direct and through a
//! register), ALU with an immediate on memory, stores of an immediate, zero extension
//! of bytes and words, 32-bit shifts of a register by an immediate, and cdq. Their operands are
//! resolved once at decode time into a [`FastOp`], so executing them skips the generic
//! operand decoding. Semantics are the generic handlers' (faults included; the
//! differential tests exercise both paths); any other shape is `FastOp::None` and takes
//! the generic path.

use super::alu::{compute, writes_destination};
use super::shift::shift_value;
use super::stack::stack_slot;
use super::{condition, segment_limit_fault, Handler};
use crate::cpu::fault::{Step, Stop};
use crate::cpu::flags::FlagOp;
use crate::cpu::memory::{GuestAddr, GuestMemory};
use crate::cpu::state::{CpuState, ESP};
use iced_x86::{Code, ConditionCode, Instruction, OpKind, Register};

/// "No register" in a [`MemRef`].
const NO_REG: u8 = 8;

/// A 32-bit memory operand resolved at decode time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemRef {
    base: u8,
    index: u8,
    scale_shift: u8,
    /// Index into `CpuState::segments`.
    seg: u8,
    disp: u32,
}

impl MemRef {
    /// The operand of `i` if it uses 32-bit addressing.
    fn of(i: &Instruction) -> Option<MemRef> {
        let reg = |r: Register| match r {
            Register::None => Some(NO_REG),
            r => gpr32(r),
        };
        let seg = i.memory_segment();
        if !seg.is_segment_register() || i.memory_displ_size() == 2 {
            return None; // 16-bit addressing wraps at 64 KiB: the generic path does it
        }
        Some(MemRef {
            base: reg(i.memory_base())?,
            index: reg(i.memory_index())?,
            scale_shift: i.memory_index_scale().trailing_zeros() as u8,
            seg: (seg as usize - Register::ES as usize) as u8,
            disp: i.memory_displacement32(),
        })
    }

    /// The effective address (what `lea` computes).
    #[inline(always)]
    fn offset(&self, s: &CpuState) -> u32 {
        let mut off = self.disp;
        if self.base != NO_REG {
            off = off.wrapping_add(s.gpr[self.base as usize]);
        }
        if self.index != NO_REG {
            off = off.wrapping_add(s.gpr[self.index as usize] << self.scale_shift);
        }
        off
    }

    /// The linear address of a 4-byte access, faulting past the 4 GiB segment limit.
    #[inline(always)]
    fn linear(&self, s: &CpuState) -> Result<GuestAddr, Stop> {
        self.linear_sized(s, 4)
    }

    /// The linear address of a `size`-byte access, faulting past the segment limit.
    #[inline(always)]
    fn linear_sized(&self, s: &CpuState, size: u32) -> Result<GuestAddr, Stop> {
        let off = self.offset(s);
        if off > u32::MAX - (size - 1) {
            let seg = if self.seg == 2 {
                Register::SS
            } else {
                Register::DS
            };
            return Err(segment_limit_fault(seg).into());
        }
        Ok(GuestAddr(
            off.wrapping_add(s.segments[self.seg as usize].base),
        ))
    }
}

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
    /// `op dst, [mem]`.
    AluRegMem {
        op: Handler,
        dst: u8,
        mem: MemRef,
    },
    /// `op [mem], src` (a read-modify-write unless cmp/test).
    AluMemReg {
        op: Handler,
        mem: MemRef,
        src: u8,
    },
    MovRegReg {
        dst: u8,
        src: u8,
    },
    MovRegImm {
        dst: u8,
        imm: u32,
    },
    Load {
        dst: u8,
        mem: MemRef,
    },
    Store {
        src: u8,
        mem: MemRef,
    },
    Lea {
        dst: u8,
        mem: MemRef,
    },
    IncReg {
        reg: u8,
    },
    DecReg {
        reg: u8,
    },
    PushReg {
        reg: u8,
    },
    PopReg {
        reg: u8,
    },
    Call {
        target: u32,
    },
    Ret,
    Jcc {
        cc: ConditionCode,
        target: u32,
    },
    Jmp {
        target: u32,
    },
    JmpReg {
        reg: u8,
    },
    /// `op dword [mem], imm` (a read-modify-write unless cmp/test).
    AluMemImm {
        op: Handler,
        mem: MemRef,
        imm: u32,
    },
    StoreImm {
        mem: MemRef,
        imm: u32,
    },
    /// `movzx r32, byte/word [mem]`.
    LoadZeroExtend {
        dst: u8,
        mem: MemRef,
        size: u8,
    },
    /// `movzx r32, r8`: `src` counts al, cl, dl, bl, ah, ch, dh, bh.
    ZeroExtendByte {
        dst: u8,
        src: u8,
    },
    /// `movzx r32, r16`.
    ZeroExtendWord {
        dst: u8,
        src: u8,
    },
    /// shl/shr/sar/rol/ror of a 32-bit register by a non-zero masked immediate.
    ShiftRegImm {
        op: Handler,
        reg: u8,
        count: u8,
    },
    Cdq,
}

fn gpr32(r: Register) -> Option<u8> {
    r.is_gpr32()
        .then(|| (r as usize - Register::EAX as usize) as u8)
}

/// Register `n` of `i` if it is a 32-bit general register operand.
fn reg_operand(i: &Instruction, n: u32) -> Option<u8> {
    (i.op_kind(n) == OpKind::Register)
        .then(|| gpr32(i.op_register(n)))
        .flatten()
}

/// Operand `n` if it is an 8-bit register: 0..8 for al, cl, dl, bl, ah, ch, dh, bh.
fn byte_register(i: &Instruction, n: u32) -> Option<u8> {
    let r = i.op_register(n);
    (i.op_kind(n) == OpKind::Register && r.is_gpr8())
        .then(|| (r as usize - Register::AL as usize) as u8)
        .filter(|&x| x < 8)
}

/// Operand `n` if it is a 16-bit register.
fn word_register(i: &Instruction, n: u32) -> Option<u8> {
    let r = i.op_register(n);
    (i.op_kind(n) == OpKind::Register && r.is_gpr16())
        .then(|| (r as usize - Register::AX as usize) as u8)
}

/// A 4-byte memory operand with 32-bit addressing.
fn mem_operand(i: &Instruction, n: u32) -> Option<MemRef> {
    (i.op_kind(n) == OpKind::Memory && i.memory_size().size() == 4)
        .then(|| MemRef::of(i))
        .flatten()
}

/// Chooses the fast form of a decoded instruction, if it has one.
pub fn select(h: Handler, i: &Instruction) -> FastOp {
    select_inner(h, i).unwrap_or(FastOp::None)
}

fn select_inner(h: Handler, i: &Instruction) -> Option<FastOp> {
    use Handler as H;
    if i.has_lock_prefix() {
        return None;
    }
    Some(match h {
        H::Add | H::Or | H::Adc | H::Sbb | H::And | H::Sub | H::Xor | H::Cmp | H::Test => {
            if i.op0_kind() == OpKind::Memory
                && matches!(i.op1_kind(), OpKind::Immediate32 | OpKind::Immediate8to32)
            {
                let imm = match i.op1_kind() {
                    OpKind::Immediate32 => i.immediate32(),
                    _ => i.immediate8to32() as u32,
                };
                FastOp::AluMemImm {
                    op: h,
                    mem: mem_operand(i, 0)?,
                    imm,
                }
            } else if let Some(dst) = reg_operand(i, 0) {
                match i.op1_kind() {
                    OpKind::Register => FastOp::AluRegReg {
                        op: h,
                        dst,
                        src: reg_operand(i, 1)?,
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
                    OpKind::Memory => FastOp::AluRegMem {
                        op: h,
                        dst,
                        mem: mem_operand(i, 1)?,
                    },
                    _ => return None,
                }
            } else {
                FastOp::AluMemReg {
                    op: h,
                    mem: mem_operand(i, 0)?,
                    src: reg_operand(i, 1)?,
                }
            }
        }
        H::Mov => match (i.op0_kind(), i.op1_kind()) {
            (OpKind::Register, OpKind::Register) => FastOp::MovRegReg {
                dst: reg_operand(i, 0)?,
                src: reg_operand(i, 1)?,
            },
            (OpKind::Register, OpKind::Immediate32) => FastOp::MovRegImm {
                dst: reg_operand(i, 0)?,
                imm: i.immediate32(),
            },
            (OpKind::Register, OpKind::Memory) => FastOp::Load {
                dst: reg_operand(i, 0)?,
                mem: mem_operand(i, 1)?,
            },
            (OpKind::Memory, OpKind::Register) => FastOp::Store {
                src: reg_operand(i, 1)?,
                mem: mem_operand(i, 0)?,
            },
            (OpKind::Memory, OpKind::Immediate32) => FastOp::StoreImm {
                mem: mem_operand(i, 0)?,
                imm: i.immediate32(),
            },
            _ => return None,
        },
        H::Movzx => {
            let dst = reg_operand(i, 0)?;
            match i.op1_kind() {
                OpKind::Memory => {
                    let size = i.memory_size().size() as u8;
                    if !matches!(size, 1 | 2) {
                        return None;
                    }
                    FastOp::LoadZeroExtend {
                        dst,
                        mem: MemRef::of(i)?,
                        size,
                    }
                }
                _ => match byte_register(i, 1) {
                    Some(src) => FastOp::ZeroExtendByte { dst, src },
                    None => FastOp::ZeroExtendWord {
                        dst,
                        src: word_register(i, 1)?,
                    },
                },
            }
        }
        H::Shl | H::Shr | H::Sar | H::Rol | H::Ror
            if i.op1_kind() == OpKind::Immediate8 && i.op_count() == 2 =>
        {
            let count = i.immediate8() & 0x1f;
            if count == 0 {
                return None;
            }
            FastOp::ShiftRegImm {
                op: h,
                reg: reg_operand(i, 0)?,
                count,
            }
        }
        H::Cdq => FastOp::Cdq,
        H::Jmp => match i.op0_kind() {
            OpKind::NearBranch32 => FastOp::Jmp {
                target: i.near_branch32(),
            },
            OpKind::Register => FastOp::JmpReg {
                reg: reg_operand(i, 0)?,
            },
            _ => return None,
        },
        H::Lea => FastOp::Lea {
            dst: reg_operand(i, 0)?,
            mem: MemRef::of(i)?,
        },
        H::Inc => FastOp::IncReg {
            reg: reg_operand(i, 0)?,
        },
        H::Dec => FastOp::DecReg {
            reg: reg_operand(i, 0)?,
        },
        H::Push if i.code() == Code::Push_r32 => FastOp::PushReg {
            reg: reg_operand(i, 0)?,
        },
        H::Pop if i.code() == Code::Pop_r32 => FastOp::PopReg {
            reg: reg_operand(i, 0)?,
        },
        H::Call if i.code() == Code::Call_rel32_32 => FastOp::Call {
            target: i.near_branch32(),
        },
        H::Ret if i.code() == Code::Retnd => FastOp::Ret,
        H::Jcc if i.op0_kind() == OpKind::NearBranch32 => FastOp::Jcc {
            cc: i.condition_code(),
            target: i.near_branch32(),
        },
        _ => return None,
    })
}

/// Executes a fast form; same contract as `exec::execute`.
#[inline(always)]
pub(crate) fn execute<M: GuestMemory>(f: FastOp, s: &mut CpuState, m: &mut M) -> Step {
    match f {
        FastOp::AluRegReg { op, dst, src } => {
            let (a, b) = (s.gpr[dst as usize], s.gpr[src as usize]);
            alu_into_register(op, s, dst, a, b);
        }
        FastOp::AluRegImm { op, dst, imm } => {
            let a = s.gpr[dst as usize];
            alu_into_register(op, s, dst, a, imm);
        }
        FastOp::AluRegMem { op, dst, mem } => {
            let b = m.read_u32(mem.linear(s)?)?;
            let a = s.gpr[dst as usize];
            alu_into_register(op, s, dst, a, b);
        }
        FastOp::AluMemReg { op, mem, src } => {
            let addr = mem.linear(s)?;
            let writes = writes_destination(op);
            if writes {
                m.check_write(addr, 4)?; // read-modify-write: a fault is a write fault
            }
            let a = m.read_u32(addr)?;
            let b = s.gpr[src as usize];
            let (kind, result) = compute(op, a, b, s.flags.cf());
            if writes {
                m.write_u32(addr, result)?;
            }
            s.flags.record(kind, 4, a, b, result);
        }
        FastOp::MovRegReg { dst, src } => s.gpr[dst as usize] = s.gpr[src as usize],
        FastOp::MovRegImm { dst, imm } => s.gpr[dst as usize] = imm,
        FastOp::Load { dst, mem } => s.gpr[dst as usize] = m.read_u32(mem.linear(s)?)?,
        FastOp::Store { src, mem } => m.write_u32(mem.linear(s)?, s.gpr[src as usize])?,
        FastOp::Lea { dst, mem } => s.gpr[dst as usize] = mem.offset(s),
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
        FastOp::PushReg { reg } => {
            let v = s.gpr[reg as usize]; // push esp pushes the old value
            let esp = s.gpr[ESP].wrapping_sub(4);
            m.write_u32(stack_slot(esp, 4)?, v)?;
            s.gpr[ESP] = esp;
        }
        FastOp::PopReg { reg } => {
            let esp = s.gpr[ESP];
            let v = m.read_u32(stack_slot(esp, 4)?)?;
            s.gpr[ESP] = esp.wrapping_add(4);
            s.gpr[reg as usize] = v; // pop esp ends with the popped value
        }
        FastOp::Call { target } => {
            let esp = s.gpr[ESP].wrapping_sub(4);
            m.write_u32(stack_slot(esp, 4)?, s.next_eip)?;
            s.gpr[ESP] = esp;
            s.next_eip = target;
        }
        FastOp::Ret => {
            let esp = s.gpr[ESP];
            s.next_eip = m.read_u32(stack_slot(esp, 4)?)?;
            s.gpr[ESP] = esp.wrapping_add(4);
        }
        FastOp::Jcc { cc, target } => {
            if condition(s, cc) {
                s.next_eip = target;
            }
        }
        FastOp::Jmp { target } => s.next_eip = target,
        FastOp::JmpReg { reg } => s.next_eip = s.gpr[reg as usize],
        FastOp::AluMemImm { op, mem, imm } => {
            let addr = mem.linear(s)?;
            let writes = writes_destination(op);
            if writes {
                m.check_write(addr, 4)?;
            }
            let a = m.read_u32(addr)?;
            let (kind, result) = compute(op, a, imm, s.flags.cf());
            if writes {
                m.write_u32(addr, result)?;
            }
            s.flags.record(kind, 4, a, imm, result);
        }
        FastOp::StoreImm { mem, imm } => m.write_u32(mem.linear(s)?, imm)?,
        FastOp::LoadZeroExtend { dst, mem, size } => {
            let addr = mem.linear_sized(s, size as u32)?;
            s.gpr[dst as usize] = if size == 1 {
                m.read_u8(addr)? as u32
            } else {
                m.read_u16(addr)? as u32
            };
        }
        FastOp::ZeroExtendByte { dst, src } => {
            let word = s.gpr[(src & 3) as usize];
            s.gpr[dst as usize] = (word >> ((src & 4) * 2)) & 0xff;
        }
        FastOp::ZeroExtendWord { dst, src } => s.gpr[dst as usize] = s.gpr[src as usize] & 0xffff,
        FastOp::ShiftRegImm { op, reg, count } => {
            let a = s.gpr[reg as usize];
            let (r, fmask, f) = shift_value(op, 4, a, count as u32, s.flags.cf() as u32);
            s.gpr[reg as usize] = r;
            s.flags.set_some(fmask, f);
        }
        FastOp::Cdq => s.gpr[2] = ((s.gpr[0] as i32) >> 31) as u32,
        FastOp::None => {}
    }
    Ok(())
}

#[inline(always)]
fn alu_into_register(op: Handler, s: &mut CpuState, dst: u8, a: u32, b: u32) {
    let (kind, result) = compute(op, a, b, s.flags.cf());
    if writes_destination(op) {
        s.gpr[dst as usize] = result;
    }
    s.flags.record(kind, 4, a, b, result);
}
