//! The signal frame pushed on the user stack when a handler runs, and its undoing by
//! `sigreturn`/`rt_sigreturn`: the kernel's side of `kernel::sigframe`, which computes
//! Linux's exact i386 layouts. This module gathers what a delivery needs from the task,
//! writes the bytes `sigframe` produces and applies the register changes.

use super::{SigAction, SigSet};
use crate::cpu::state::ESP;
use crate::cpu::CpuState;
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::memory::UserMem;
use crate::kernel::sigframe::{self, AltStack, FpuFrameFormat, SignalDelivery, TrapInfo};

/// The FXSAVE image of an x87/SSE unit in its initial state (FCW 0x37f, MXCSR 0x1f80),
/// which is what every task has until the CPU's x87/SSE state is wired to the frame.
fn initial_fxsave() -> [u8; 512] {
    let mut f = [0u8; 512];
    f[0..2].copy_from_slice(&0x037fu16.to_le_bytes());
    f[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
    f[28..32].copy_from_slice(&0xffffu32.to_le_bytes());
    f
}

/// What starting a handler needs to know besides the CPU state.
pub struct Delivery<'a> {
    pub sig: u32,
    pub action: &'a SigAction,
    /// The blocked mask now, and the one to restore at `sigreturn` (different after
    /// `sigsuspend`).
    pub blocked: SigSet,
    pub saved_mask: SigSet,
    /// The task's alternate stack: (sp, size, flags).
    pub altstack: (u32, u32, u32),
    pub vdso_base: u32,
    /// The `siginfo` to hand an `SA_SIGINFO` handler, and the thread's last exception.
    pub info: &'a sigframe::SigInfo,
    pub trap: TrapInfo,
}

/// What changed for the task once the frame is on its stack.
pub struct Delivered {
    pub blocked: SigSet,
    pub reset_handler: bool,
    pub disarm_altstack: bool,
}

fn altstack_of(t: (u32, u32, u32)) -> AltStack {
    AltStack {
        sp: t.0,
        size: t.1,
        flags: t.2,
    }
}

/// Pushes the frame for a signal and points the CPU at the handler.
pub fn setup_rt_frame(cpu: &mut CpuState, mem: &mut UserMem, d: &Delivery) -> KResult<Delivered> {
    let action = sigframe::SigAction {
        handler: d.action.handler,
        flags: d.action.flags,
        restorer: d.action.restorer,
        mask: sigframe::abi::SigSet(d.action.mask),
    };
    let altstack = altstack_of(d.altstack);
    let fxsave = initial_fxsave();
    let delivery = SignalDelivery {
        info: d.info,
        action: &action,
        blocked: sigframe::abi::SigSet(d.blocked.0),
        saved_mask: sigframe::abi::SigSet(d.saved_mask.0),
        altstack: &altstack,
        trap: d.trap,
        fxsave: &fxsave,
        vdso_base: (d.vdso_base != 0).then_some(d.vdso_base),
        fpu_format: FpuFrameFormat::Fxsr,
        resume_flag: false,
    };
    let built = sigframe::build_frame(cpu, &delivery).map_err(|_| Errno::EFAULT)?;
    for (addr, bytes) in built.writes() {
        mem.write(addr.0, bytes)?;
    }
    built.apply(cpu);
    Ok(Delivered {
        blocked: SigSet(built.blocked.0),
        reset_handler: built.reset_handler,
        disarm_altstack: built.disarm_altstack,
    })
}

/// Restores the interrupted state from the frame; returns the mask to block again.
/// A bad frame is `EFAULT` (the caller forces SIGSEGV, as Linux does).
fn restore(
    cpu: &mut CpuState,
    altstack: &mut (u32, u32, u32),
    result: Result<sigframe::sigreturn::Restored, sigframe::BadFrame>,
) -> KResult<SigSet> {
    let restored = result.map_err(|_| Errno::EFAULT)?;
    let mut blocked = sigframe::abi::SigSet(0);
    let mut stack = altstack_of(*altstack);
    restored.apply(cpu, &mut blocked, &mut stack);
    *altstack = (stack.sp, stack.size, stack.flags);
    Ok(SigSet(blocked.0))
}

/// `rt_sigreturn`.
pub fn rt_sigreturn(
    cpu: &mut CpuState,
    mem: &mut UserMem,
    altstack: &mut (u32, u32, u32),
) -> KResult<SigSet> {
    let (esp, eflags) = (cpu.gpr[ESP], cpu.eflags());
    let parsed = sigframe::parse_rt_sigreturn(mem, esp, eflags);
    restore(cpu, altstack, parsed)
}

/// `sigreturn` (frames of handlers without `SA_SIGINFO`).
pub fn sigreturn(
    cpu: &mut CpuState,
    mem: &mut UserMem,
    altstack: &mut (u32, u32, u32),
) -> KResult<SigSet> {
    let (esp, eflags) = (cpu.gpr[ESP], cpu.eflags());
    let parsed = sigframe::parse_sigreturn(mem, esp, eflags);
    restore(cpu, altstack, parsed)
}
