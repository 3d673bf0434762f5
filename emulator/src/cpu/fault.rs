//! Why the run loop stopped: CPU exceptions and the exits the kernel layer handles.
//!
//! This module only names outcomes; it does not decide them.

use super::memory::MemFault;
use thiserror::Error;

/// A CPU exception raised by a guest instruction, in the guest's own terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum FaultKind {
    /// #DE: division by zero, quotient overflow, `aam 0`.
    #[error("#DE divide error")]
    DivideError,
    /// #BP from `int3` / `int 3` (a trap: eip already points after the instruction).
    #[error("#BP breakpoint")]
    Breakpoint,
    /// #OF from `into` with OF set or `int 4` (a trap, like #BP).
    #[error("#OF overflow")]
    Overflow,
    /// #UD: invalid or unimplemented instruction.
    #[error("#UD invalid opcode")]
    InvalidOpcode,
    /// #GP: privileged instruction, `int n` to a kernel-only gate, bad selector.
    #[error("#GP general protection (error code {0:#x})")]
    GeneralProtection(u32),
    /// #SS: a stack-segment access beyond the segment limit (offset wrap past 4 GiB).
    #[error("#SS stack segment fault")]
    StackSegment,
    /// #MF: an unmasked x87 exception was pending at a waiting x87/MMX instruction (which
    /// has not run; eip points at it). `si_code` is what Linux puts in the SIGFPE.
    #[error("#MF x87 floating-point error (si_code {si_code})")]
    X87FloatingPoint { si_code: i32 },
    /// #XM: an SSE instruction raised an unmasked MXCSR exception; its destination is
    /// unchanged. `si_code` is what Linux puts in the SIGFPE.
    #[error("#XM SIMD floating-point exception (si_code {si_code})")]
    SimdFloatingPoint { si_code: i32 },
    /// #PF: the memory access that failed.
    #[error("#PF {0}")]
    PageFault(MemFault),
}

impl FaultKind {
    /// Traps report the address after the instruction; faults the instruction itself.
    pub fn is_trap(self) -> bool {
        matches!(self, FaultKind::Breakpoint | FaultKind::Overflow)
    }
}

/// The instruction used to enter the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallGate {
    Int80,
    Sysenter,
}

/// A precise fault: the exception and the address of the instruction that raised it.
/// For faults the CPU's eip still equals `eip`; for traps it points past it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    pub eip: u32,
}

/// Why [`Cpu::run`](super::Cpu::run) returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The guest asked the kernel for a service; eip points after the gate instruction.
    Syscall(SyscallGate),
    /// A CPU exception; the kernel layer turns it into a signal.
    Fault(Fault),
    /// The instruction budget ran out.
    BudgetExhausted,
}

/// Internal: why an instruction handler stopped short of completing normally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    Fault(FaultKind),
    Syscall(SyscallGate),
}

impl From<MemFault> for Stop {
    #[inline(always)]
    fn from(f: MemFault) -> Self {
        Stop::Fault(FaultKind::PageFault(f))
    }
}

impl From<FaultKind> for Stop {
    #[inline(always)]
    fn from(f: FaultKind) -> Self {
        Stop::Fault(f)
    }
}

/// Result of executing one instruction.
pub(crate) type Step = Result<(), Stop>;
