//! MMX, SSE, SSE2 and SSE3 semantics as pure functions on register values.
//!
//! The interpreter decodes an instruction, reads its operands (a `u64` for an MMX
//! register, an [`Xmm`] for an XMM register or 128-bit memory operand), calls the function
//! named after the instruction and writes the result back. Floating-point functions also
//! take the current [`Mxcsr`] and return the [`Exceptions`] they raised; the interpreter
//! passes those to [`Mxcsr::commit`], which records the flags and says whether the
//! instruction traps with #XM (in which case the destination is left unchanged).
//!
//! Nothing here decodes instructions, touches guest memory or panics; all floating point
//! is done in software on bit patterns so that results are identical on every host.

pub mod convert;
#[cfg(all(test, target_arch = "x86_64"))]
mod differential;
pub mod ieee;
pub mod mxcsr;

pub use mxcsr::{Exceptions, Mxcsr, ReservedMxcsrBits, Rounding, SimdFault};
pub mod packed_float;
pub mod packed_int;
pub mod shuffle;
pub mod xmm;

pub use xmm::{SimdReg, Xmm};
