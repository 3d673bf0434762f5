//! Differential tests of the x87, MMX, SSE, SSE2 and SSE3 instructions: the same bytes
//! and the same FXSAVE state on the host CPU and in the interpreter; registers, flags,
//! signal, data page, SIGFPE `si_code` and the FXSAVE image after the case must match.
//!
//! Needs an x86 Linux host with `gcc -m32 -static`. `WEBVM_FUZZ_CASES` (default 200000),
//! `WEBVM_FUZZ_SEED`, `WEBVM_FUZZ_FIRST` as in `cpu_differential`.
#![cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "x86")))]

#[allow(dead_code)]
mod cpu_harness;

use cpu_harness::fpu::{generate_fp, run_fp_differential, FpTally};
use cpu_harness::fpu_cases;
use cpu_harness::native::NativeRunner;
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

fn assert_clean(what: &str, tally: &FpTally) {
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
fn fpu_random_cases_match_the_host_cpu() {
    let seed = env_u64("WEBVM_FUZZ_SEED", 0x5eed);
    let total = env_u64("WEBVM_FUZZ_CASES", 200_000);
    let first = env_u64("WEBVM_FUZZ_FIRST", 0);
    let mut runner = NativeRunner::start();
    let mut tally = FpTally::default();
    let started = Instant::now();
    let mut index = first;
    let end_all = first + total;
    let mut unsupported = 0;
    while index < end_all {
        let end = (index + 4096).min(end_all);
        let mut batch = Vec::with_capacity(4096);
        for n in index..end {
            match generate_fp(seed, n) {
                Some(c) => {
                    if total <= 4 {
                        // Replaying single cases: show them before they run.
                        eprintln!(
                            "case #{n}: bytes {:02x?} regs {:08x?} eflags {:#x} seed {:#x}\n  {}\n  image {}",
                            c.case.code,
                            c.case.regs,
                            c.case.eflags,
                            c.case.mem_seed,
                            cpu_harness::fpu::describe_image(&c.image),
                            c.image.iter().map(|b| format!("{b:02x}")).collect::<String>()
                        );
                    }
                    batch.push((format!("WEBVM_FUZZ_SEED={seed:#x} WEBVM_FUZZ_FIRST={n}"), c))
                }
                None => unsupported += 1,
            }
        }
        run_fp_differential(
            &mut runner,
            &batch,
            &mut tally,
            env_u64("WEBVM_FUZZ_REPORTS", 10) as usize,
        );
        index = end;
    }
    eprintln!(
        "fpu random: seed {seed:#x}, {total} drawn, {} compared, {} skipped, {unsupported} not generated, {} mismatches, {:.1}s",
        tally.compared,
        tally.skipped,
        tally.failures.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(tally.compared > total / 2, "too few comparable cases");
    assert_clean("fpu random cases", &tally);
}

#[test]
fn fpu_handwritten_cases_match_the_host_cpu() {
    let mut runner = NativeRunner::start();
    let cases = fpu_cases::cases();
    let mut tally = FpTally::default();
    run_fp_differential(&mut runner, &cases, &mut tally, 10);
    eprintln!(
        "fpu handwritten: {} cases, {} compared, {} skipped",
        cases.len(),
        tally.compared,
        tally.skipped
    );
    assert!(
        tally.compared > cases.len() as u64 * 9 / 10,
        "too many skipped"
    );
    assert_clean("fpu hand-written cases", &tally);
}

/// The coverage report for x87/MMX/SSE: mnemonics the interpreter runs through these
/// handlers, and those the hand-written and random cases exercise (`--nocapture` to
/// read it). Fails if a handled mnemonic has no case.
#[test]
fn fpu_coverage_report() {
    let mut runner = NativeRunner::start();
    let seed = env_u64("WEBVM_FUZZ_SEED", 0x5eed);
    let coverage = cpu_harness::coverage::fpu(&mut runner, seed);
    let handled = &coverage.handled;
    // Mnemonics of other families appearing in FPU cases (none expected) are ignored.
    // iced-x86 decodes `9B` as its own `wait`, so the combined forms (fstsw, fclex, ...)
    // never reach the interpreter; their `fn*` halves are exercised.
    let untested: Vec<&String> = handled
        .difference(&coverage.exercised)
        .filter(|m| !cpu_harness::coverage::exercised_elsewhere(m))
        .collect();
    let list = |v: Vec<&String>| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ");
    println!(
        "x87/MMX/SSE handled ({}): {}",
        handled.len(),
        list(handled.iter().collect())
    );
    let exercised: Vec<&String> = coverage.exercised.intersection(handled).collect();
    println!(
        "exercised by differential cases ({}): {}",
        exercised.len(),
        list(exercised)
    );
    println!(
        "handled but not exercised ({}): {}",
        untested.len(),
        list(untested.clone())
    );
    assert!(
        untested.is_empty(),
        "handled mnemonics without a case: {untested:?}"
    );
}
