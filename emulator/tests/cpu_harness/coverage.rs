//! Which mnemonics the interpreter handles and which the differential cases exercise.
//!
//! One source for the coverage reports of `cpu_differential` (integer families) and
//! `cpu_fpu_differential` (x87/MMX/SSE) and for `cpu_image_coverage`, which compares both
//! with the instructions of the default image's binaries. Mnemonics are iced-x86
//! `Mnemonic` names (`format!("{:?}")`).

use super::fpu::{generate_fp, run_fp_differential, FpTally};
use super::generator::generate;
use super::native::NativeRunner;
use super::{fpu_cases, handwritten, run_differential, Tally};
use emulator::cpu::exec::{classify, fpu_mnemonics, Handler};
use std::collections::BTreeSet;

/// Handled and exercised mnemonics of one half of the instruction set.
pub struct Coverage {
    pub handled: BTreeSet<String>,
    pub exercised: BTreeSet<String>,
    /// Mismatches met while collecting (the differential tests report them in full).
    pub mismatches: usize,
}

/// Random integer cases drawn for the report (on top of all hand-written ones).
pub const INTEGER_RANDOM: u64 = 30_000;
/// Random x87/SIMD cases drawn for the report (on top of all hand-written ones).
pub const FPU_RANDOM: u64 = 60_000;

/// Integer (non x87/SIMD) mnemonics: handled by `classify`, exercised by the hand-written
/// cases and `INTEGER_RANDOM` random ones with `seed`.
pub fn integer(runner: &mut NativeRunner, seed: u64) -> Coverage {
    let handled = iced_x86::Code::values()
        .filter(|&c| {
            !matches!(
                classify(c),
                Handler::Invalid | Handler::X87 | Handler::Sse | Handler::Fxsave | Handler::Fxrstor
            )
        })
        .map(|c| format!("{:?}", c.mnemonic()))
        .collect();
    let mut tally = Tally::default();
    let cases: Vec<_> = handwritten::cases()
        .into_iter()
        .map(|l| (l.label, l.case))
        .collect();
    run_differential(runner, &cases, &mut tally, 0);
    let random: Vec<_> = (0..INTEGER_RANDOM)
        .filter_map(|n| generate(seed, n).map(|g| (format!("case #{n}"), g.case)))
        .collect();
    run_differential(runner, &random, &mut tally, 0);
    Coverage {
        handled,
        exercised: tally.exercised,
        mismatches: tally.failures.len(),
    }
}

/// x87/MMX/SSE mnemonics: handled per `fpu_mnemonics`, exercised by the hand-written FPU
/// cases and `FPU_RANDOM` random ones with `seed`.
pub fn fpu(runner: &mut NativeRunner, seed: u64) -> Coverage {
    let handled = fpu_mnemonics()
        .into_iter()
        .map(|m| format!("{m:?}"))
        .collect();
    let mut tally = FpTally::default();
    run_fp_differential(runner, &fpu_cases::cases(), &mut tally, 0);
    let random: Vec<_> = (0..FPU_RANDOM)
        .filter_map(|n| generate_fp(seed, n).map(|c| (format!("case #{n}"), c)))
        .collect();
    run_fp_differential(runner, &random, &mut tally, 0);
    Coverage {
        handled,
        exercised: tally.exercised,
        mismatches: tally.failures.len(),
    }
}

/// Handled mnemonics that no differential case can exercise, with the reason; both
/// reports and the image coverage accept them as exercised elsewhere.
pub const EXERCISED_ELSEWHERE: &[(&str, &str)] = &[
    (
        "Sysenter",
        "leaves to the kernel layer; tests/cpu_interpreter.rs",
    ),
    (
        "Tzcnt",
        "`rep bsf` runs as bsf on both sides (as_host_runs_it); tests/cpu_interpreter.rs",
    ),
    (
        "Fclex",
        "iced decodes 9B as its own wait; fnclex is exercised",
    ),
    (
        "Finit",
        "iced decodes 9B as its own wait; fninit is exercised",
    ),
    (
        "Fsave",
        "iced decodes 9B as its own wait; fnsave is exercised",
    ),
    (
        "Fstcw",
        "iced decodes 9B as its own wait; fnstcw is exercised",
    ),
    (
        "Fstenv",
        "iced decodes 9B as its own wait; fnstenv is exercised",
    ),
    (
        "Fstsw",
        "iced decodes 9B as its own wait; fnstsw is exercised",
    ),
];

/// Whether `mnemonic` is in `EXERCISED_ELSEWHERE`.
pub fn exercised_elsewhere(mnemonic: &str) -> bool {
    EXERCISED_ELSEWHERE.iter().any(|(m, _)| *m == mnemonic)
}
