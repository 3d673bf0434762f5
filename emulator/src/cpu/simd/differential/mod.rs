//! Differential tests: every operation runs on the host CPU (the oracle) and in our
//! software model, and results and MXCSR must agree bit for bit.
//!
//! Hand-picked edge values run in all rounding modes with FTZ and DAZ on and off; then a
//! seeded random generator biased to interesting exponents runs `WEBVM_FUZZ_CASES` cases
//! per operation (default 50,000) from `WEBVM_FUZZ_SEED` (default fixed). Test names
//! start with `simd_` so `cargo test -p emulator simd` runs them. Only built on x86_64
//! hosts, which have SSE3.

mod cases;
mod float_ops;
mod int_ops;
mod native;
mod unmasked;
