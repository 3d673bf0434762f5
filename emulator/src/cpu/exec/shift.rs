//! Shifts and rotates: shl/sal shr sar rol ror rcl rcr, and the double shifts shld shrd.
//! Flags are computed eagerly. A masked count of zero changes nothing, flags included.
//! Flags the SDM leaves undefined (AF, OF for counts other than 1) get the values the
//! formulas below give; the differential harness masks them.

use super::{load_for_update, operand_size, place, read_operand, store, Handler};
use crate::cpu::fault::Step;
use crate::cpu::flags::zsp;
use crate::cpu::memory::GuestMemory;
use crate::cpu::state::{eflags::*, sign_bit, size_mask, CpuState};
use iced_x86::{Instruction, OpKind};

fn count_operand<M: GuestMemory>(
    s: &CpuState,
    m: &mut M,
    i: &Instruction,
    n: u32,
) -> Result<u32, crate::cpu::fault::Stop> {
    if i.op_count() <= n {
        return Ok(1); // D0/D1 forms: iced gives an implicit count of 1 as an operand
    }
    Ok(match i.op_kind(n) {
        OpKind::Register => s.reg(i.op_register(n)),
        _ => read_operand(s, m, i, n, 1)?,
    } & 0x1f)
}

pub(super) fn shift<M: GuestMemory>(
    h: Handler,
    s: &mut CpuState,
    m: &mut M,
    i: &Instruction,
) -> Step {
    let size = operand_size(i, 0);
    let mask = size_mask(size);
    let dst = place(s, i, 0)?;
    let count = count_operand(s, m, i, 1)?;
    let a = load_for_update(s, m, dst, size)? & mask;
    if count == 0 {
        return Ok(());
    }
    let (r, fmask, f) = shift_value(h, size, a, count, s.flags.cf() as u32);
    store(s, m, dst, size, r)?;
    s.flags.set_some(fmask, f);
    Ok(())
}

/// The result of shift or rotate `h` of the `size`-byte value `a` by a masked, non-zero
/// `count`, with the flags it changes: `(result, changed-flags mask, new flag bits)`.
#[inline(always)]
pub(super) fn shift_value(
    h: Handler,
    size: u32,
    a: u32,
    count: u32,
    cf_in: u32,
) -> (u32, u32, u32) {
    let bits = size * 8;
    let mask = size_mask(size);
    let sign = sign_bit(size);
    // (result, changed-flags mask, new flag bits)
    match h {
        Handler::Shl => {
            let wide = (a as u64) << count;
            let r = wide as u32 & mask;
            let cf = ((wide >> bits) & 1) as u32;
            let of = ((r & sign != 0) as u32) ^ cf;
            (r, STATUS, cf | of << 11 | zsp(r, size))
        }
        Handler::Shr => {
            let r = ((a as u64) >> count) as u32;
            let cf = ((a as u64 >> (count - 1)) & 1) as u32;
            let of = (a & sign != 0) as u32;
            (r, STATUS, cf | of << 11 | zsp(r, size))
        }
        Handler::Sar => {
            let signed = ((a << (32 - bits)) as i32 >> (32 - bits)) as i64;
            let r = (signed >> count) as u32 & mask;
            let cf = ((signed >> (count - 1)) & 1) as u32;
            (r, STATUS, cf | zsp(r, size))
        }
        Handler::Rol => {
            let c = count % bits;
            let r = if c == 0 {
                a
            } else {
                ((a << c) | (a >> (bits - c))) & mask
            };
            let cf = r & 1;
            let of = ((r & sign != 0) as u32) ^ cf;
            (r, CF | OF, cf | of << 11)
        }
        Handler::Ror => {
            let c = count % bits;
            let r = if c == 0 {
                a
            } else {
                ((a >> c) | (a << (bits - c))) & mask
            };
            let cf = (r & sign != 0) as u32;
            let of = cf ^ ((r >> (bits - 2)) & 1);
            (r, CF | OF, cf | of << 11)
        }
        Handler::Rcl => {
            let c = count % (bits + 1);
            // Rotate the (bits+1)-bit value CF:a left by c.
            let wide = ((cf_in as u64) << bits) | a as u64;
            let total = bits as u64 + 1;
            let rot = if c == 0 {
                wide
            } else {
                ((wide << c) | (wide >> (total as u32 - c))) & ((1u64 << total) - 1)
            };
            let r = rot as u32 & mask;
            let cf = ((rot >> bits) & 1) as u32;
            let of = ((r & sign != 0) as u32) ^ cf;
            (r, CF | OF, cf | of << 11)
        }
        _ => {
            // rcr
            let c = count % (bits + 1);
            let wide = ((cf_in as u64) << bits) | a as u64;
            let total = bits + 1;
            let rot = if c == 0 {
                wide
            } else {
                ((wide >> c) | (wide << (total - c))) & ((1u64 << total) - 1)
            };
            let r = rot as u32 & mask;
            let cf = ((rot >> bits) & 1) as u32;
            let of = ((r & sign != 0) as u32) ^ ((r >> (bits - 2)) & 1);
            (r, CF | OF, cf | of << 11)
        }
    }
}

/// shld / shrd: `dst` shifted with bits coming in from `src`.
pub(super) fn double_shift<M: GuestMemory>(
    h: Handler,
    s: &mut CpuState,
    m: &mut M,
    i: &Instruction,
) -> Step {
    let size = operand_size(i, 0);
    let bits = size * 8;
    let mask = size_mask(size);
    let sign = sign_bit(size);
    let dst = place(s, i, 0)?;
    let src = s.reg(i.op1_register()) & mask;
    let count = count_operand(s, m, i, 2)?;
    let a = load_for_update(s, m, dst, size)? & mask;
    if count == 0 {
        return Ok(());
    }
    // Counts above the operand width (16-bit forms only) give undefined results.
    let (r, cf) = if h == Handler::Shld {
        let pair = ((a as u64) << bits) | src as u64;
        let r = ((pair << count) >> bits) as u32 & mask;
        let cf = ((((a as u64) << count) >> bits) & 1) as u32;
        (r, cf)
    } else {
        let pair = ((src as u64) << bits) | a as u64;
        let r = (pair >> count) as u32 & mask;
        let cf = ((pair >> (count - 1)) & 1) as u32;
        (r, cf)
    };
    let of = ((r ^ a) & sign != 0) as u32;
    store(s, m, dst, size, r)?;
    s.flags.set_some(STATUS, cf | of << 11 | zsp(r, size));
    Ok(())
}
