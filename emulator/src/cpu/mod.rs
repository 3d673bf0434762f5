//! The i386 CPU. This file is a placeholder in the `simd` branch: the integer
//! interpreter's branch owns it and the integrator merges the two.

pub mod simd;
