//! `modify_ldt`: a process's local descriptor table. The table is kept per address space
//! (`Mm::ldt`, shared by threads, copied by `fork`, emptied by `execve`) as the 8-byte
//! descriptors Linux builds; the CPU gets the base of each present entry among the
//! first `DESCRIPTOR_SLOTS` (what `mov sreg` with an LDT selector uses). Limits and
//! 16-bit segments are kept for reading back but not enforced by the CPU.

use super::{mem, Call, SysResult};
use crate::cpu::state::DESCRIPTOR_SLOTS;
use crate::kernel::abi::UserDesc;
use crate::kernel::errno::Errno;
use crate::kernel::task::Task;
use crate::kernel::Kernel;
use std::rc::Rc;

const LDT_ENTRIES: u32 = 8192;
const LDT_ENTRY_SIZE: u32 = 8;

/// The fields of `struct user_desc`'s flag word.
struct Flags {
    seg_32bit: u32,
    contents: u32,
    read_exec_only: u32,
    limit_in_pages: u32,
    seg_not_present: u32,
    useable: u32,
}

fn flags(word: u32) -> Flags {
    Flags {
        seg_32bit: word & 1,
        contents: (word >> 1) & 3,
        read_exec_only: (word >> 3) & 1,
        limit_in_pages: (word >> 4) & 1,
        seg_not_present: (word >> 5) & 1,
        useable: (word >> 6) & 1,
    }
}

/// Linux's `fill_ldt`: the descriptor for a `user_desc`.
fn descriptor(d: &UserDesc, f: &Flags, oldmode: bool) -> [u8; 8] {
    let low = (d.limit & 0xffff) | ((d.base_addr & 0xffff) << 16);
    // The accessed bit is set, as Linux does (its LDT is mapped read-only).
    let kind = ((f.read_exec_only ^ 1) << 1) | (f.contents << 2) | 1;
    let avl = if oldmode { 0 } else { f.useable };
    let high = ((d.base_addr >> 16) & 0xff)
        | (kind << 8)
        | (1 << 12) // code/data
        | (3 << 13) // DPL 3
        | ((f.seg_not_present ^ 1) << 15)
        | (d.limit & 0xf0000)
        | (avl << 20)
        | (f.seg_32bit << 22)
        | (f.limit_in_pages << 23)
        | (d.base_addr & 0xff00_0000);
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&low.to_le_bytes());
    out[4..].copy_from_slice(&high.to_le_bytes());
    out
}

fn write_ldt(k: &mut Kernel, t: &mut Task, ptr: u32, count: u32, oldmode: bool) -> SysResult {
    if count as usize != std::mem::size_of::<UserDesc>() {
        return Err(Errno::EINVAL.into());
    }
    let d: UserDesc = mem(k, t, |m| m.read_obj(ptr))?;
    if d.entry_number >= LDT_ENTRIES {
        return Err(Errno::EINVAL.into());
    }
    let f = flags(d.flags);
    if f.contents == 3 && (oldmode || f.seg_not_present == 0) {
        return Err(Errno::EINVAL.into());
    }
    let empty = (oldmode && d.base_addr == 0 && d.limit == 0)
        || (d.base_addr == 0
            && d.limit == 0
            && f.contents == 0
            && f.read_exec_only == 1
            && f.seg_32bit == 0
            && f.limit_in_pages == 0
            && f.seg_not_present == 1
            && f.useable == 0);
    let entry = if empty {
        [0u8; 8]
    } else {
        descriptor(&d, &f, oldmode)
    };
    let index = d.entry_number as usize;
    {
        let mut mm = t.mm.borrow_mut();
        if mm.ldt.len() <= index {
            mm.ldt.resize(index + 1, [0; 8]);
        }
        mm.ldt[index] = entry;
    }
    // Every thread of the address space sees the new entry.
    let present = !empty && f.seg_not_present == 0;
    let apply = |task: &mut Task| {
        if index >= DESCRIPTOR_SLOTS {
            return;
        }
        let selector = ((index as u32) << 3) | 4 | 3;
        let state = &mut task.cpu.state;
        if present {
            state.set_descriptor(selector, d.base_addr);
        } else {
            state.descriptor_present[1] &= !(1 << index);
        }
        for seg in state.segments.iter_mut() {
            if seg.selector & 4 != 0 && (seg.selector >> 3) as usize == index {
                seg.base = if present { d.base_addr } else { 0 };
            }
        }
    };
    apply(t);
    for other in k.tasks.values_mut() {
        if Rc::ptr_eq(&other.mm, &t.mm) {
            apply(other);
        }
    }
    Ok(0)
}

pub fn modify_ldt(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let (func, ptr, count) = (c.arg(0), c.arg(1), c.arg(2));
    match func {
        0 => {
            let table = t.mm.borrow().ldt.clone();
            if table.is_empty() {
                return Ok(0);
            }
            let count = count.min(LDT_ENTRIES * LDT_ENTRY_SIZE) as usize;
            let mut out: Vec<u8> = table.iter().flatten().copied().collect();
            out.resize(count, 0);
            mem(k, t, |m| m.write(ptr, &out))?;
            Ok(count as u32)
        }
        2 => {
            // The default LDT of a 64-bit kernel: 128 zero bytes.
            let count = count.min(128) as usize;
            mem(k, t, |m| m.write(ptr, &vec![0u8; count]))?;
            Ok(count as u32)
        }
        1 => write_ldt(k, t, ptr, count, true),
        0x11 => write_ldt(k, t, ptr, count, false),
        _ => Err(Errno::ENOSYS.into()),
    }
}
