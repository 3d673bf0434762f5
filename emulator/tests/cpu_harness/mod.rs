//! Differential testing of the interpreter against the host CPU.
//!
//! `case` defines a test case and its outcome, `native` runs it on the host through a
//! small static i386 runner, `emulated` runs it in the interpreter, `compare` decides
//! what must match, `generator` draws random cases and `handwritten` lists edge cases.

pub mod case;
pub mod compare;
pub mod emulated;
pub mod generator;
pub mod handwritten;
pub mod native;

use case::Case;
use native::NativeRunner;

/// Totals of one differential run.
#[derive(Default, Debug)]
pub struct Tally {
    pub compared: u64,
    pub skipped: u64,
    pub failures: Vec<String>,
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
        let e = emulated::run(case, &runner.selectors);
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
        if let Err(report) = compare::check(case, native, e, runner, label) {
            if tally.failures.len() < max_reports {
                tally.failures.push(report);
            } else {
                tally.failures.push(String::new());
            }
        }
    }
}
