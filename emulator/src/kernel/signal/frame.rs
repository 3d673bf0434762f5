//! The signal frame pushed on the user stack when a handler runs, and its undoing by
//! `sigreturn`/`rt_sigreturn`.
//!
//! A provisional layout that follows Linux's i386 `rt_sigframe`/`sigframe` for the parts
//! programs touch (`sigcontext` register order, `ucontext`, `siginfo`), without the FPU
//! state (the x87/SSE units are not wired yet). The `sigframe` work replaces this module.

use super::{SigAction, SigInfo, SigSet, SA_RESTORER, SA_SIGINFO};
use crate::cpu::state::{EAX, EBP, EBX, ECX, EDI, EDX, ESI, ESP};
use crate::cpu::CpuState;
use crate::kernel::errno::KResult;
use crate::kernel::memory::UserMem;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// `struct sigcontext` (i386).
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct SigContext {
    pub gs: u32,
    pub fs: u32,
    pub es: u32,
    pub ds: u32,
    pub edi: u32,
    pub esi: u32,
    pub ebp: u32,
    pub esp: u32,
    pub ebx: u32,
    pub edx: u32,
    pub ecx: u32,
    pub eax: u32,
    pub trapno: u32,
    pub err: u32,
    pub eip: u32,
    pub cs: u32,
    pub eflags: u32,
    pub esp_at_signal: u32,
    pub ss: u32,
    pub fpstate: u32,
    pub oldmask: u32,
    pub cr2: u32,
}
const _: () = assert!(std::mem::size_of::<SigContext>() == 88);

/// `struct ucontext` (i386) without the FPU area.
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C, packed(4))]
pub struct UContext {
    pub flags: u32,
    pub link: u32,
    pub stack_sp: u32,
    pub stack_flags: u32,
    pub stack_size: u32,
    pub mcontext: SigContext,
    pub sigmask: u64,
}
const _: () = assert!(std::mem::size_of::<UContext>() == 116);

/// `struct rt_sigframe` (i386) up to the return code.
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C, packed(4))]
pub struct RtSigFrame {
    pub pretcode: u32,
    pub sig: u32,
    pub pinfo: u32,
    pub puc: u32,
    pub info: SigInfo,
    pub uc: UContext,
    pub retcode: [u8; 8],
}
const _: () = assert!(std::mem::size_of::<RtSigFrame>() == 268);

/// `struct sigframe` (i386, handlers without `SA_SIGINFO`), FPU area omitted.
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct SigFrame {
    pub pretcode: u32,
    pub sig: u32,
    pub sc: SigContext,
    pub extramask: u32,
    pub retcode: [u8; 8],
}
const _: () = assert!(std::mem::size_of::<SigFrame>() == 108);

fn context_of(cpu: &CpuState, mask: SigSet) -> SigContext {
    let g = &cpu.gpr;
    SigContext {
        gs: cpu.segments[5].selector,
        fs: cpu.segments[4].selector,
        es: cpu.segments[0].selector,
        ds: cpu.segments[3].selector,
        edi: g[EDI],
        esi: g[ESI],
        ebp: g[EBP],
        esp: g[ESP],
        ebx: g[EBX],
        edx: g[EDX],
        ecx: g[ECX],
        eax: g[EAX],
        trapno: 0,
        err: 0,
        eip: cpu.eip,
        cs: cpu.segments[1].selector,
        eflags: cpu.eflags(),
        esp_at_signal: g[ESP],
        ss: cpu.segments[2].selector,
        fpstate: 0,
        oldmask: mask.0 as u32,
        cr2: 0,
    }
}

fn restore_context(cpu: &mut CpuState, sc: &SigContext) {
    let g = &mut cpu.gpr;
    g[EDI] = sc.edi;
    g[ESI] = sc.esi;
    g[EBP] = sc.ebp;
    g[ESP] = sc.esp;
    g[EBX] = sc.ebx;
    g[EDX] = sc.edx;
    g[ECX] = sc.ecx;
    g[EAX] = sc.eax;
    cpu.eip = sc.eip;
    cpu.set_eflags(sc.eflags);
    let gs = sc.gs & 0xffff;
    cpu.segments[5].selector = gs;
    cpu.segments[5].base = cpu.descriptor_base(gs).unwrap_or(0);
    let fs = sc.fs & 0xffff;
    cpu.segments[4].selector = fs;
    cpu.segments[4].base = cpu.descriptor_base(fs).unwrap_or(0);
}

/// What a handler is started with: the signal, its action and info, the mask to
/// restore on return, the stack to use (the alternate stack's top, or the current esp),
/// and the vDSO base for the default restorers.
pub struct Delivery<'a> {
    pub sig: u32,
    pub action: &'a SigAction,
    pub info: &'a SigInfo,
    pub mask: SigSet,
    pub sp: u32,
    pub vdso_base: u32,
}

/// Pushes the frame for a signal delivery and points the CPU at the handler.
pub fn setup_rt_frame(cpu: &mut CpuState, mem: &mut UserMem, d: &Delivery) -> KResult<()> {
    let Delivery {
        sig,
        action,
        info,
        mask,
        sp,
        vdso_base,
    } = *d;
    let context = context_of(cpu, mask);
    if action.flags & SA_SIGINFO != 0 {
        let size = std::mem::size_of::<RtSigFrame>() as u32;
        // esp + 4 is 16-byte aligned at handler entry, as after a call.
        let frame = (sp.wrapping_sub(size) & !15).wrapping_sub(4);
        let restorer = if action.flags & SA_RESTORER != 0 {
            action.restorer
        } else {
            vdso_base + crate::loader::vdso::KERNEL_RT_SIGRETURN
        };
        let f = RtSigFrame {
            pretcode: restorer,
            sig,
            pinfo: frame.wrapping_add(16),
            puc: frame.wrapping_add(16 + 128),
            info: *info,
            uc: UContext {
                flags: 0,
                link: 0,
                stack_sp: 0,
                stack_flags: 2, // SS_DISABLE
                stack_size: 0,
                mcontext: context,
                sigmask: mask.0,
            },
            retcode: [0xb8, 173, 0, 0, 0, 0xcd, 0x80, 0],
        };
        mem.write_obj(frame, &f)?;
        cpu.gpr[ESP] = frame;
        cpu.gpr[EAX] = sig;
        cpu.gpr[EDX] = frame.wrapping_add(16);
        cpu.gpr[ECX] = frame.wrapping_add(16 + 128);
    } else {
        let size = std::mem::size_of::<SigFrame>() as u32;
        let frame = (sp.wrapping_sub(size) & !15).wrapping_sub(4);
        let restorer = if action.flags & SA_RESTORER != 0 {
            action.restorer
        } else {
            vdso_base + crate::loader::vdso::KERNEL_SIGRETURN
        };
        let f = SigFrame {
            pretcode: restorer,
            sig,
            sc: context,
            extramask: (mask.0 >> 32) as u32,
            retcode: [0x58, 0xb8, 119, 0, 0, 0, 0xcd, 0x80],
        };
        mem.write_obj(frame, &f)?;
        cpu.gpr[ESP] = frame;
        cpu.gpr[EAX] = sig;
        cpu.gpr[EDX] = 0;
        cpu.gpr[ECX] = 0;
    }
    cpu.eip = action.handler;
    // The handler starts with DF clear, as the ABI requires.
    cpu.eflags_other &= !crate::cpu::state::eflags::DF;
    Ok(())
}

/// `rt_sigreturn`: restores registers from the frame at `esp - 4`; returns the mask.
pub fn rt_sigreturn(cpu: &mut CpuState, mem: &mut UserMem) -> KResult<SigSet> {
    let frame = cpu.gpr[ESP].wrapping_sub(4);
    let f: RtSigFrame = mem.read_obj(frame)?;
    restore_context(cpu, &f.uc.mcontext);
    Ok(SigSet(f.uc.sigmask))
}

/// `sigreturn`: restores registers from the frame at `esp - 8`; returns the mask.
pub fn sigreturn(cpu: &mut CpuState, mem: &mut UserMem) -> KResult<SigSet> {
    let frame = cpu.gpr[ESP].wrapping_sub(8);
    let f: SigFrame = mem.read_obj(frame)?;
    restore_context(cpu, &f.sc);
    Ok(SigSet(
        u64::from(f.sc.oldmask) | (u64::from(f.extramask) << 32),
    ))
}
