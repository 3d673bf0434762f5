//! Differential tests: the same instruction bytes on the host CPU and in the interpreter.
//!
//! Needs an x86 Linux host with `gcc -m32 -static` (gcc-multilib). Randomized run size
//! and seed come from `WEBVM_FUZZ_CASES` (default 200000) and `WEBVM_FUZZ_SEED`.
#![cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "x86")))]

mod cpu_harness;

use cpu_harness::generator::{generate, generate_sequence};
use cpu_harness::native::NativeRunner;
use cpu_harness::{handwritten, run_differential, Tally};
use std::time::Instant;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| {
            let v = v.trim();
            v.strip_prefix("0x")
                .map_or_else(|| v.parse().ok(), |h| u64::from_str_radix(h, 16).ok())
        })
        .unwrap_or(default)
}

fn assert_clean(what: &str, tally: &Tally) {
    let shown: Vec<&String> = tally.failures.iter().filter(|f| !f.is_empty()).collect();
    assert!(
        tally.failures.is_empty(),
        "{what}: {} of {} cases differ from the host CPU; first ones:\n{}",
        tally.failures.len(),
        tally.compared,
        shown
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn handwritten_cases_match_the_host_cpu() {
    let mut runner = NativeRunner::start();
    let cases: Vec<_> = handwritten::cases()
        .into_iter()
        .map(|l| (l.label, l.case))
        .collect();
    let mut tally = Tally::default();
    run_differential(&mut runner, &cases, &mut tally, 20);
    eprintln!(
        "handwritten: {} compared, {} skipped",
        tally.compared, tally.skipped
    );
    assert!(
        tally.compared > cases.len() as u64 * 9 / 10,
        "too many hand-written cases skipped"
    );
    assert_clean("hand-written cases", &tally);
}

#[test]
fn random_cases_match_the_host_cpu() {
    let seed = env_u64("WEBVM_FUZZ_SEED", 0x5eed);
    let total = env_u64("WEBVM_FUZZ_CASES", 200_000);
    let mut runner = NativeRunner::start();
    let mut tally = Tally::default();
    let started = Instant::now();
    let mut unsupported = 0u64;
    let first = env_u64("WEBVM_FUZZ_FIRST", 0);
    let total = first + total;
    let mut index = first;
    while index < total {
        let end = (index + 4096).min(total);
        let mut batch = Vec::with_capacity(4096);
        for n in index..end {
            match generate(seed, n) {
                Some(g) => batch.push((format!("WEBVM_FUZZ_SEED={seed:#x} case #{n}"), g.case)),
                None => unsupported += 1,
            }
        }
        run_differential(&mut runner, &batch, &mut tally, 20);
        index = end;
    }
    let total = total - first;
    eprintln!(
        "random: seed {seed:#x}, {total} drawn, {} compared, {} skipped (left the test window), {unsupported} outside the families, {} mismatches, {:.1}s",
        tally.compared,
        tally.skipped,
        tally.failures.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        tally.compared > total / 2,
        "the generator produced too few comparable cases"
    );
    assert_clean("random cases", &tally);
}

/// Straight-line sequences of 2-4 instructions: flags and registers flowing between
/// instructions (lazy flags read after inc/dec, adc chains, ...). A quarter of
/// `WEBVM_FUZZ_CASES` sequences.
#[test]
fn random_sequences_match_the_host_cpu() {
    let seed = env_u64("WEBVM_FUZZ_SEED", 0x5eed);
    let total = env_u64("WEBVM_FUZZ_CASES", 200_000) / 4;
    let mut runner = NativeRunner::start();
    let mut tally = Tally::default();
    let started = Instant::now();
    let mut index = 0;
    while index < total {
        let end = (index + 4096).min(total);
        let batch: Vec<_> = (index..end)
            .filter_map(|n| {
                generate_sequence(seed, n)
                    .map(|g| (format!("sequence WEBVM_FUZZ_SEED={seed:#x} #{n}"), g.case))
            })
            .collect();
        run_differential(&mut runner, &batch, &mut tally, 20);
        index = end;
    }
    eprintln!(
        "sequences: seed {seed:#x}, {total} drawn, {} compared, {} skipped, {} mismatches, {:.1}s",
        tally.compared,
        tally.skipped,
        tally.failures.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        tally.compared > total / 3,
        "the generator produced too few comparable sequences"
    );
    assert_clean("random sequences", &tally);
}

/// The coverage report: iced-x86 mnemonics the interpreter handles and those the
/// differential cases exercise. Run with `--nocapture` to read it; it fails if a handled
/// mnemonic is never exercised or a case exercised something the interpreter lacks.
#[test]
fn coverage_report() {
    // x87/MMX/SSE forms have their own report (cpu_fpu_differential).
    let mut runner = NativeRunner::start();
    let seed = env_u64("WEBVM_FUZZ_SEED", 0x5eed);
    let cpu_harness::coverage::Coverage {
        handled,
        exercised,
        mismatches,
    } = cpu_harness::coverage::integer(&mut runner, seed);
    let exercised = &exercised;
    let untested: Vec<&String> = handled
        .difference(exercised)
        .filter(|m| !cpu_harness::coverage::exercised_elsewhere(m))
        .collect();
    let unhandled: Vec<&String> = exercised
        .difference(&handled)
        .filter(|m| m.as_str() != "INVALID")
        .collect();
    let list = |v: Vec<&String>| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ");
    println!(
        "handled by the interpreter ({}): {}",
        handled.len(),
        list(handled.iter().collect())
    );
    println!(
        "exercised by differential cases ({}): {}",
        exercised.len(),
        list(exercised.iter().collect())
    );
    println!(
        "handled but not exercised ({}): {}",
        untested.len(),
        list(untested.clone())
    );
    assert!(
        mismatches == 0,
        "mismatches: run the other differential tests"
    );
    assert!(
        unhandled.is_empty(),
        "cases exercised unhandled mnemonics: {unhandled:?}"
    );
    assert!(
        untested.is_empty(),
        "handled mnemonics without a differential case: {untested:?}"
    );
}

/// The runner's x87/SSE plumbing, for the x87 and SIMD units' future differential tests:
/// an FXSAVE image goes in through `fxrstor` and comes back from the signal frame.
#[test]
fn native_runner_round_trips_fxsave_state() {
    let mut runner = NativeRunner::start();
    let mut image = [0u8; 512];
    image[0..2].copy_from_slice(&0x037fu16.to_le_bytes()); // fcw
    image[24..28].copy_from_slice(&0x1f80u32.to_le_bytes()); // mxcsr
    for (n, b) in image[160..288].iter_mut().enumerate() {
        *b = (n * 7 + 3) as u8; // xmm0-xmm7
    }
    let nop = cpu_harness::case::Case::new(&[0x90]);
    let (outcome, after) = runner.run_with_fxsave(&nop, &image);
    assert_eq!(outcome.trapno, 3, "the case ended at its int3");
    assert_eq!(
        &after[160..288],
        &image[160..288],
        "xmm registers survive a nop"
    );
    assert_eq!(&after[24..28], &image[24..28], "mxcsr survives a nop");

    // xorps xmm1, xmm1 clears xmm1 only; fld1 pushes 1.0 (80-bit 0x3fff_8000...).
    let xorps = cpu_harness::case::Case::new(&[0x0f, 0x57, 0xc9]);
    let (_, after) = runner.run_with_fxsave(&xorps, &image);
    assert_eq!(&after[176..192], &[0u8; 16], "xmm1 cleared");
    assert_eq!(&after[160..176], &image[160..176], "xmm0 untouched");
    let fld1 = cpu_harness::case::Case::new(&[0xd9, 0xe8]);
    let (_, after) = runner.run_with_fxsave(&fld1, &image);
    assert_eq!(
        &after[32..42],
        &[0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f],
        "st0 = 1.0"
    );
}
