//! Differential tests: the same instruction bytes on the host CPU and in the interpreter.
//!
//! Needs an x86 Linux host with `gcc -m32 -static` (gcc-multilib). Randomized run size
//! and seed come from `WEBVM_FUZZ_CASES` (default 200000) and `WEBVM_FUZZ_SEED`.
#![cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "x86")))]

mod cpu_harness;

use cpu_harness::generator::generate;
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
    let mut index = 0u64;
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
