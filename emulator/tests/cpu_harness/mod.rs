//! Differential testing of the interpreter against the host CPU.
//!
//! `case` defines a test case and its outcome, `native` runs it on the host through a
//! small static i386 runner, `emulated` runs it in the interpreter, `compare` decides
//! what must match, `generator` draws random cases and `handwritten` lists edge cases;
//! `fpu` and `fpu_cases` do the same for x87/MMX/SSE with FXSAVE state; `coverage`
//! collects handled and exercised mnemonics, `elf_text` the instructions of ELF files.

pub mod case;
pub mod compare;
#[allow(dead_code)] // the coverage reports and cpu_image_coverage
pub mod coverage;
#[allow(dead_code)] // cpu_image_coverage only
pub mod elf_text;
pub mod emulated;
#[allow(dead_code)] // used by cpu_fpu_differential only
pub mod fpu;
#[allow(dead_code)]
pub mod fpu_cases;
pub mod generator;
pub mod handwritten;
pub mod native;

use case::Case;
use native::NativeRunner;

/// The case as both sides run it. We advertise no BMI1, so `F3 0F BC` must behave as
/// bsf, but the host runs it as tzcnt: the F3 prefix is replaced by a ds override (same
/// length, no effect on a flat ds) so both sides run bsf on identical bytes (code bytes
/// can be read as data). That `F3 0F BC` decodes to bsf is a test in cpu_interpreter.rs.
fn as_host_runs_it(case: &Case) -> Case {
    let mut out = case.clone();
    let mut at = 0;
    let mut decoder = iced_x86::Decoder::with_ip(32, &case.code, case::CODE as u64, 0);
    while decoder.can_decode() {
        let i = decoder.decode();
        if i.is_invalid() || i.code() == iced_x86::Code::Int3 {
            break;
        }
        if i.mnemonic() == iced_x86::Mnemonic::Tzcnt
            && i.segment_prefix() == iced_x86::Register::None
        {
            for b in out.code[at..at + i.len()].iter_mut() {
                if *b == 0xf3 {
                    *b = 0x3e;
                }
                if *b == 0x0f {
                    break;
                }
            }
        }
        at += i.len();
    }
    out
}

/// How many instructions precede the int3 padding (at least one).
fn instruction_count(case: &Case) -> usize {
    let mut decoder = iced_x86::Decoder::with_ip(32, &case.code, case::CODE as u64, 0);
    let mut n = 0;
    while decoder.can_decode() {
        let i = decoder.decode();
        if i.is_invalid() || i.code() == iced_x86::Code::Int3 {
            break;
        }
        n += 1;
    }
    n.max(1)
}

/// Totals of one differential run.
#[derive(Default, Debug)]
pub struct Tally {
    pub compared: u64,
    pub skipped: u64,
    pub failures: Vec<String>,
    /// Mnemonics of the compared cases (INVALID for undecodable bytes).
    pub exercised: std::collections::BTreeSet<String>,
}

/// Runs labeled cases on both sides and compares them; up to `max_reports` mismatches
/// are kept in full.
pub fn run_differential(
    runner: &mut NativeRunner,
    cases: &[(String, Case)],
    tally: &mut Tally,
    max_reports: usize,
) {
    let mut comparable = Vec::with_capacity(cases.len());
    let mut emulated = Vec::with_capacity(cases.len());
    for (label, case) in cases {
        let case = &as_host_runs_it(case);
        let steps = instruction_count(case);
        let e = emulated::run(case, &runner.selectors, steps);
        if e.comparable {
            comparable.push((label, case.clone()));
            emulated.push(e);
        } else {
            tally.skipped += 1;
        }
    }
    let just_cases: Vec<Case> = comparable.iter().map(|(_, c)| c.clone()).collect();
    let natives = runner.run_batch(&just_cases);
    for (((label, case), native), e) in comparable.iter().zip(&natives).zip(&emulated) {
        tally.compared += 1;
        tally
            .exercised
            .insert(format!("{:?}", compare::decode(&case.code).mnemonic()));
        if let Err(report) = compare::check(case, native, e, runner, label) {
            if tally.failures.len() < max_reports {
                tally.failures.push(report);
            } else {
                tally.failures.push(String::new());
            }
        }
    }
}
