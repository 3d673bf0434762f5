//! Instructions that talk to the system: int3, int n, into, ud0/ud1/ud2, privileged
//! instructions (#GP in user mode), sysenter, cpuid, rdtsc.
//!
//! `int 0x80` and `sysenter` leave the run loop as syscalls. The Linux IDT lets user code
//! reach only vectors 3 (#BP), 4 (#OF) and 0x80; every other `int n` is #GP with the
//! error code of an IDT selector. CPUID advertises exactly what this interpreter runs.

use super::Handler;
use crate::cpu::fault::{FaultKind, Step, Stop, SyscallGate};
use crate::cpu::state::{eflags::OF, CpuState, EAX, EBX, ECX, EDX};
use iced_x86::Instruction;

pub(super) fn interrupt_family(h: Handler, s: &mut CpuState, i: &Instruction) -> Step {
    Err(match h {
        Handler::Int3 => FaultKind::Breakpoint.into(),
        Handler::Int => match i.immediate8() {
            0x80 => Stop::Syscall(SyscallGate::Int80),
            3 => FaultKind::Breakpoint.into(),
            4 => FaultKind::Overflow.into(),
            n => FaultKind::GeneralProtection((n as u32) << 3 | 2).into(),
        },
        Handler::Into => {
            if s.flags.materialize() & OF == 0 {
                return Ok(());
            }
            FaultKind::Overflow.into()
        }
        Handler::Sysenter => Stop::Syscall(SyscallGate::Sysenter),
        Handler::Privileged => FaultKind::GeneralProtection(0).into(),
        _ => FaultKind::InvalidOpcode.into(),
    })
}

/// CPUID feature bits we implement, leaf 1 EDX: FPU (0), TSC (4), CX8 (8), CMOV (15),
/// CLFSH (19), MMX (23), FXSR (24), SSE (25), SSE2 (26).
pub const CPUID_1_EDX: u32 =
    1 | 1 << 4 | 1 << 8 | 1 << 15 | 1 << 19 | 1 << 23 | 1 << 24 | 1 << 25 | 1 << 26;
/// Leaf 1 ECX: SSE3 (0), POPCNT (23).
pub const CPUID_1_ECX: u32 = 1 | 1 << 23;
/// Leaf 0x8000_0001 ECX: LZCNT/ABM (5).
pub const CPUID_EXT1_ECX: u32 = 1 << 5;

pub(super) fn cpuid(s: &mut CpuState) -> Step {
    let vendor = *b"WebVMWebVMVM";
    let word =
        |n: usize| u32::from_le_bytes([vendor[n], vendor[n + 1], vendor[n + 2], vendor[n + 3]]);
    let (a, b, c, d) = match s.gpr[EAX] {
        0 => (1, word(0), word(8), word(4)),
        // Family 6, model 15, stepping 1; EBX bits 15..8: clflush line size 8 (x 8 bytes).
        1 => (0x0000_06f1, 8 << 8, CPUID_1_ECX, CPUID_1_EDX),
        0x8000_0000 => (0x8000_0001, 0, 0, 0),
        0x8000_0001 => (0, 0, CPUID_EXT1_ECX, 0),
        _ => (0, 0, 0, 0),
    };
    s.gpr[EAX] = a;
    s.gpr[EBX] = b;
    s.gpr[ECX] = c;
    s.gpr[EDX] = d;
    Ok(())
}

/// The time stamp counter is the retired-instruction count, so runs are reproducible.
pub(super) fn rdtsc(s: &mut CpuState) -> Step {
    let t = s.instructions_retired;
    s.gpr[EAX] = t as u32;
    s.gpr[EDX] = (t >> 32) as u32;
    Ok(())
}
