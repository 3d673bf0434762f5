//! Signal delivery data exactly as Linux builds it for a 32-bit (i386) process on a 64-bit
//! kernel: the ABI structures, the frame a handler finds on its stack, the parsing of
//! `sigreturn`/`rt_sigreturn`, the alternate stack rules, `siginfo`, and the per-signal
//! tables (default actions, restart rules, wait statuses).
//!
//! This module computes; it owns no task state and never touches guest memory except to
//! read a frame at `sigreturn`. The kernel decides when and to whom a signal is delivered,
//! writes the bytes this module produces, and applies the register changes.
//! See `docs/signals.md`.

pub mod abi;
pub mod action;
pub mod altstack;
pub mod frame;
pub mod siginfo;
pub mod sigreturn;

#[cfg(test)]
mod tests;

pub use action::{
    blocked_after_delivery, default_action, restart, sysenter_as_int80, wait_status, DefaultAction,
    RestartError, RestartOutcome,
};
pub use altstack::{AltStack, AltStackError};
pub use frame::{
    build_frame, BuiltFrame, FpuFrameFormat, FrameError, HandlerEntry, SigAction, SignalDelivery,
};
pub use siginfo::{signal_for_fault, PageFaultCause, SigFields, SigInfo, TrapInfo};
pub use sigreturn::{
    parse_rt_sigreturn, parse_sigreturn, BadFrame, BadFrameReason, FpuRestore, GuestRead, Restored,
    RestoredRegs,
};
