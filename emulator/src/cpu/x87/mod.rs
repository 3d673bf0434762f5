//! The x87 floating-point unit with true 80-bit extended precision, in pure integer software
//! so it behaves identically on every host and on `wasm32-unknown-unknown`.
//!
//! Layers, bottom up:
//! - [`float80`]: the `F80` encoding and its classification.
//! - [`round`]: control-word settings, exception flags and rounding to a destination format.
//! - [`arith`]: add, subtract, multiply, divide, square root and the special-operand rules.
//! - [`convert`]: f32/f64/integer/packed-BCD conversions.
//! - [`misc`]: remainder, scale, extract, round-to-integer, comparisons and classification.
//! - [`transcendental`]: fsin, fcos, fptan, fpatan, f2xm1, fyl2x, fyl2xp1.
//! - [`state`]: the register stack and the instruction semantics the interpreter calls.
//! - [`env_layout`]: FSAVE/FNSTENV/FXSAVE memory images.
//!
//! Nothing here decodes instructions or touches guest memory: the interpreter passes memory
//! operands in as values and writes results out.

pub mod arith;
pub mod convert;
pub mod env_layout;
pub mod float80;
pub mod misc;
pub mod round;
pub mod state;
pub mod transcendental;

pub use float80::{Class, F80};
pub use round::{Control, Flags, Precision, RoundingMode};
pub use state::{ArithOp, Constant, FcmovCondition, X87State};

#[cfg(all(test, target_arch = "x86_64"))]
mod native_tests;
