//! Multiplication and division: mul, imul (one, two and three operands), div, idiv.
//! Division raises #DE for a zero divisor or a quotient that does not fit, before any
//! register changes. SF ZF AF PF after mul/imul and all flags after div are undefined;
//! mul/imul leave SF/ZF/PF from the low half of the result and AF clear.

use super::{operand_size, read_operand, Handler};
use crate::cpu::fault::{FaultKind, Step};
use crate::cpu::flags::zsp;
use crate::cpu::memory::GuestMemory;
use crate::cpu::state::{eflags::*, size_mask, CpuState, EAX, EDX};
use iced_x86::Instruction;

fn sign_extend(v: u32, size: u32) -> i64 {
    match size {
        1 => v as u8 as i8 as i64,
        2 => v as u16 as i16 as i64,
        _ => v as i32 as i64,
    }
}

/// The double-width accumulator: AX for bytes, DX:AX for words, EDX:EAX for dwords.
fn accumulator_pair(s: &CpuState, size: u32) -> u64 {
    match size {
        1 => (s.gpr[EAX] & 0xffff) as u64,
        2 => ((s.gpr[EDX] & 0xffff) as u64) << 16 | (s.gpr[EAX] & 0xffff) as u64,
        _ => (s.gpr[EDX] as u64) << 32 | s.gpr[EAX] as u64,
    }
}

fn set_accumulator_pair(s: &mut CpuState, size: u32, low: u32, high: u32) {
    match size {
        1 => s.set_gpr_sized(EAX, 2, (low & 0xff) | (high & 0xff) << 8),
        _ => {
            s.set_gpr_sized(EAX, size, low);
            s.set_gpr_sized(EDX, size, high);
        }
    }
}

fn set_mul_flags(s: &mut CpuState, overflow: bool, low: u32, size: u32) {
    let cf_of = if overflow { CF | OF } else { 0 };
    s.flags.set_all(cf_of | zsp(low, size));
}

/// mul, div, idiv with the implicit accumulator.
pub(super) fn one_operand<M: GuestMemory>(
    h: Handler,
    s: &mut CpuState,
    m: &mut M,
    i: &Instruction,
) -> Step {
    let size = operand_size(i, 0);
    let bits = size * 8;
    let mask = size_mask(size) as u64;
    let src = read_operand(s, m, i, 0, size)?;
    let acc = s.gpr[EAX] & size_mask(size);
    match h {
        Handler::Mul => {
            let p = acc as u64 * src as u64;
            let (low, high) = ((p & mask) as u32, ((p >> bits) & mask) as u32);
            set_accumulator_pair(s, size, low, high);
            set_mul_flags(s, high != 0, low, size);
        }
        Handler::Div => {
            let dividend = accumulator_pair(s, size);
            if src == 0 {
                return Err(FaultKind::DivideError.into());
            }
            let q = dividend / src as u64;
            if q > mask {
                return Err(FaultKind::DivideError.into());
            }
            let r = dividend % src as u64;
            set_accumulator_pair(s, size, q as u32, r as u32);
        }
        _ => {
            // idiv
            let dividend = match size {
                1 => (accumulator_pair(s, 1) as u16 as i16) as i64,
                2 => (accumulator_pair(s, 2) as u32 as i32) as i64,
                _ => accumulator_pair(s, 4) as i64,
            };
            let divisor = sign_extend(src, size);
            if divisor == 0 {
                return Err(FaultKind::DivideError.into());
            }
            let (q, r) = match dividend.checked_div(divisor) {
                Some(q) => (q, dividend % divisor),
                None => return Err(FaultKind::DivideError.into()), // i64::MIN / -1
            };
            let limit = 1i64 << (bits - 1);
            if q >= limit || q < -limit {
                return Err(FaultKind::DivideError.into());
            }
            set_accumulator_pair(s, size, q as u32, r as u32);
        }
    }
    Ok(())
}

/// imul in its three shapes: `imul r/m` (accumulator), `imul r, r/m`, `imul r, r/m, imm`.
pub(super) fn imul<M: GuestMemory>(s: &mut CpuState, m: &mut M, i: &Instruction) -> Step {
    let size = operand_size(i, 0);
    let bits = size * 8;
    let (a, b) = match i.op_count() {
        1 => (
            sign_extend(s.gpr[EAX], size),
            sign_extend(read_operand(s, m, i, 0, size)?, size),
        ),
        2 => (
            sign_extend(s.reg(i.op0_register()), size),
            sign_extend(read_operand(s, m, i, 1, size)?, size),
        ),
        _ => (
            sign_extend(read_operand(s, m, i, 1, size)?, size),
            sign_extend(read_operand(s, m, i, 2, size)?, size),
        ),
    };
    let p = a * b;
    let low = p as u32 & size_mask(size);
    let overflow = p != sign_extend(low, size);
    if i.op_count() == 1 {
        set_accumulator_pair(s, size, low, (p >> bits) as u32 & size_mask(size));
    } else {
        s.set_reg(i.op0_register(), low);
    }
    set_mul_flags(s, overflow, low, size);
    Ok(())
}
