//! The i386 CPU. This file is owned by the integer-interpreter branch; the x87 branch only
//! contributes the `x87` module declaration below.

pub mod x87;
