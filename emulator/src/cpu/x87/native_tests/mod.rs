//! Differential tests: the host's own x87 (x86_64 runs x87 instructions with the same
//! semantics as i386) is the oracle. Each test runs one instruction natively through inline
//! assembly and through the software implementation, over hand-picked edge values in every
//! precision and rounding mode and over seeded random operands, and compares the 80-bit result
//! bit for bit together with the status word's exception flags and condition codes.
//!
//! `WEBVM_FUZZ_SEED` and `WEBVM_FUZZ_CASES` choose the random seed and the number of random
//! cases per operation.

mod harness;
mod values;

mod arith_tests;
mod convert_tests;
mod misc_tests;
mod sequence_tests;
mod transcendental_tests;
