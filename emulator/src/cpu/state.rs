//! The architectural state of one guest CPU: general registers, eip, flags, segments, the
//! x87 unit (whose registers the MMX registers alias) and the SSE registers with MXCSR.
//!
//! This module owns the layout only. It is `#[repr(C)]` so that the interpreter and the
//! future JIT (which addresses fields by offset from wasm) share one struct. It must not
//! know how instructions are decoded or executed.

use super::flags::LazyFlags;
use super::simd::{Mxcsr, Xmm};
use super::x87::X87State;
use iced_x86::Register;

/// Index of a 32-bit general purpose register inside [`CpuState::gpr`], in encoding order.
pub const EAX: usize = 0;
pub const ECX: usize = 1;
pub const EDX: usize = 2;
pub const EBX: usize = 3;
pub const ESP: usize = 4;
pub const EBP: usize = 5;
pub const ESI: usize = 6;
pub const EDI: usize = 7;

/// Segment registers in encoding order (es, cs, ss, ds, fs, gs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Segment {
    Es = 0,
    Cs = 1,
    Ss = 2,
    Ds = 3,
    Fs = 4,
    Gs = 5,
}

/// One segment register as a user-mode program sees it: the selector it can read and the
/// base the kernel layer installed for it (`set_thread_area`, `modify_ldt`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct SegmentRegister {
    pub selector: u32,
    pub base: u32,
}

/// EFLAGS bits.
pub mod eflags {
    pub const CF: u32 = 1 << 0;
    pub const RESERVED1: u32 = 1 << 1;
    pub const PF: u32 = 1 << 2;
    pub const AF: u32 = 1 << 4;
    pub const ZF: u32 = 1 << 6;
    pub const SF: u32 = 1 << 7;
    pub const TF: u32 = 1 << 8;
    pub const IF: u32 = 1 << 9;
    pub const DF: u32 = 1 << 10;
    pub const OF: u32 = 1 << 11;
    pub const AC: u32 = 1 << 18;
    pub const ID: u32 = 1 << 21;
    /// The six arithmetic status flags.
    pub const STATUS: u32 = CF | PF | AF | ZF | SF | OF;
    /// Bits a user-mode `popf` may change (IOPL, IF, VM, RF stay put).
    pub const USER_WRITABLE: u32 = STATUS | TF | DF | AC | ID;
}

/// The guest CPU state shared by interpreter and JIT.
#[derive(Clone, Debug)]
#[repr(C, align(16))]
pub struct CpuState {
    /// eax, ecx, edx, ebx, esp, ebp, esi, edi.
    pub gpr: [u32; 8],
    pub eip: u32,
    /// The status flags, computed lazily from the last flag-setting operation.
    pub flags: LazyFlags,
    /// EFLAGS bits other than the six status flags (DF, IF, AC, ID, reserved bit 1).
    pub eflags_other: u32,
    pub segments: [SegmentRegister; 6],
    /// Counts retired instructions; `rdtsc` reads it so runs are reproducible.
    pub instructions_retired: u64,
    /// The x87 unit; MMX register i is the significand of physical x87 register i
    /// (`X87State::mmx_read`/`mmx_write`).
    pub x87: X87State,
    /// SSE registers xmm0-xmm7.
    pub xmm: [Xmm; 8],
    pub mxcsr: Mxcsr,
    /// Segment bases for selectors user code may load with `mov sreg` (GDT TLS slots and
    /// LDT entries the kernel layer installs): index `selector >> 3` (low 5 bits),
    /// table chosen by the TI bit. `descriptor_present` has one bit per entry.
    pub descriptor_bases: [[u32; DESCRIPTOR_SLOTS]; 2],
    pub descriptor_present: [u32; 2],
    /// Address of the instruction after the one executing; branches overwrite it.
    pub(crate) next_eip: u32,
}

/// Descriptor table entries tracked per table (GDT, LDT).
pub const DESCRIPTOR_SLOTS: usize = 32;

impl Default for CpuState {
    fn default() -> Self {
        CpuState {
            gpr: [0; 8],
            eip: 0,
            flags: LazyFlags::default(),
            eflags_other: eflags::RESERVED1 | eflags::IF,
            segments: [SegmentRegister::default(); 6],
            instructions_retired: 0,
            x87: X87State::new(),
            xmm: [Xmm(0); 8],
            mxcsr: Mxcsr::POWER_ON,
            descriptor_bases: [[0; DESCRIPTOR_SLOTS]; 2],
            descriptor_present: [0; 2],
            next_eip: 0,
        }
    }
}

impl CpuState {
    /// The full EFLAGS value with the status flags materialized.
    pub fn eflags(&self) -> u32 {
        self.flags.materialize() | self.eflags_other
    }

    /// Sets every EFLAGS bit a user-mode program can set; the others are ignored.
    pub fn set_eflags(&mut self, value: u32) {
        self.flags.set_all(value & eflags::STATUS);
        let kept = self.eflags_other & !(eflags::USER_WRITABLE & !eflags::STATUS);
        self.eflags_other =
            kept | (value & eflags::USER_WRITABLE & !eflags::STATUS) | eflags::RESERVED1;
    }

    /// Installs the base for a selector's descriptor (the kernel layer's
    /// `set_thread_area` / `modify_ldt`). Indexes beyond the tracked slots are ignored.
    pub fn set_descriptor(&mut self, selector: u32, base: u32) {
        let (table, index) = ((selector >> 2) as usize & 1, (selector >> 3) as usize);
        if index < DESCRIPTOR_SLOTS {
            self.descriptor_bases[table][index] = base;
            self.descriptor_present[table] |= 1 << index;
        }
    }

    /// The base for `selector` if the kernel layer installed its descriptor.
    pub fn descriptor_base(&self, selector: u32) -> Option<u32> {
        let (table, index) = ((selector >> 2) as usize & 1, (selector >> 3) as usize);
        (index < DESCRIPTOR_SLOTS && self.descriptor_present[table] & (1 << index) != 0)
            .then(|| self.descriptor_bases[table][index])
    }

    pub fn direction_flag(&self) -> bool {
        self.eflags_other & eflags::DF != 0
    }

    pub fn segment(&self, seg: Segment) -> &SegmentRegister {
        &self.segments[seg as usize]
    }

    pub fn segment_mut(&mut self, seg: Segment) -> &mut SegmentRegister {
        &mut self.segments[seg as usize]
    }

    /// Reads a general register of any width (8, 16 or 32 bits) named by iced-x86.
    #[inline(always)]
    pub fn reg(&self, reg: Register) -> u32 {
        let n = reg as usize;
        if n >= Register::EAX as usize && n <= Register::EDI as usize {
            self.gpr[n - Register::EAX as usize]
        } else if n >= Register::AX as usize && n <= Register::DI as usize {
            self.gpr[n - Register::AX as usize] & 0xffff
        } else if n >= Register::AL as usize && n <= Register::BL as usize {
            self.gpr[n - Register::AL as usize] & 0xff
        } else if n >= Register::AH as usize && n <= Register::BH as usize {
            (self.gpr[n - Register::AH as usize] >> 8) & 0xff
        } else if n >= Register::ES as usize && n <= Register::GS as usize {
            self.segments[n - Register::ES as usize].selector
        } else {
            0
        }
    }

    /// Writes a general register of any width; narrower writes keep the other bits.
    #[inline(always)]
    pub fn set_reg(&mut self, reg: Register, value: u32) {
        let n = reg as usize;
        if n >= Register::EAX as usize && n <= Register::EDI as usize {
            self.gpr[n - Register::EAX as usize] = value;
        } else if n >= Register::AX as usize && n <= Register::DI as usize {
            let r = &mut self.gpr[n - Register::AX as usize];
            *r = (*r & 0xffff_0000) | (value & 0xffff);
        } else if n >= Register::AL as usize && n <= Register::BL as usize {
            let r = &mut self.gpr[n - Register::AL as usize];
            *r = (*r & 0xffff_ff00) | (value & 0xff);
        } else if n >= Register::AH as usize && n <= Register::BH as usize {
            let r = &mut self.gpr[n - Register::AH as usize];
            *r = (*r & 0xffff_00ff) | ((value & 0xff) << 8);
        }
    }

    /// Writes the low `size` bytes of general register `index` (0-7 in encoding order).
    #[inline(always)]
    pub fn set_gpr_sized(&mut self, index: usize, size: u32, value: u32) {
        let mask = size_mask(size);
        let r = &mut self.gpr[index];
        *r = (*r & !mask) | (value & mask);
    }
}

/// All-ones mask for an operand of `size` bytes (1, 2 or 4).
#[inline(always)]
pub fn size_mask(size: u32) -> u32 {
    match size {
        1 => 0xff,
        2 => 0xffff,
        _ => 0xffff_ffff,
    }
}

/// The sign bit of an operand of `size` bytes.
#[inline(always)]
pub fn sign_bit(size: u32) -> u32 {
    1 << (size * 8 - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_registers_alias_the_right_halves() {
        let mut s = CpuState::default();
        s.gpr[EBX] = 0x1122_3344;
        assert_eq!(s.reg(Register::BL), 0x44);
        assert_eq!(s.reg(Register::BH), 0x33);
        assert_eq!(s.reg(Register::BX), 0x3344);
        s.set_reg(Register::BH, 0xaa);
        s.set_reg(Register::AX, 0xbeef);
        assert_eq!(s.gpr[EBX], 0x1122_aa44);
        assert_eq!(s.gpr[EAX], 0xbeef);
    }

    #[test]
    fn popf_only_changes_user_writable_bits() {
        let mut s = CpuState::default();
        s.set_eflags(0xffff_ffff);
        assert_eq!(s.eflags() & eflags::IF, eflags::IF);
        assert_eq!(s.eflags() & (1 << 12), 0, "IOPL must stay 0");
        s.set_eflags(0);
        assert_eq!(s.eflags(), eflags::RESERVED1 | eflags::IF);
    }
}
