//! Runs single x87 instructions on the host CPU and compares them with the software results.
//!
//! Every native run starts from `fninit`, loads the control word and operands, executes the
//! instruction, saves the status word, clears exceptions (so that unmasked ones do not trap in
//! the store that follows) and stores ST(0) as 80 bits.

use crate::cpu::x87::F80;

/// Status-word bits compared: B, C3, C2, C1, C0, ES, SF and the six exception flags (not TOP).
pub const STATUS_COMPARED: u16 = 0xC7FF;

/// Runs `$insn` with ST(0) = a and ST(1) = b; returns ST(0) afterwards and the status word.
macro_rules! native_binary {
    ($name:ident, $insn:literal) => {
        pub fn $name(cw: u16, a: F80, b: F80) -> (F80, u16) {
            let ab = a.to_bytes();
            let bb = b.to_bytes();
            let mut out = [0u8; 10];
            let sw: u16;
            // SAFETY: only x87 state and the local buffers are touched; the x87 stack is
            // empty again (fninit) when the block ends, as the ABI expects.
            unsafe {
                core::arch::asm!(
                    "fninit",
                    "fldcw word ptr [{cw}]",
                    "fld tbyte ptr [{b}]",
                    "fld tbyte ptr [{a}]",
                    $insn,
                    "fnstsw ax",
                    "fnclex",
                    "fstp tbyte ptr [{out}]",
                    "fninit",
                    cw = in(reg) &cw,
                    a = in(reg) ab.as_ptr(),
                    b = in(reg) bb.as_ptr(),
                    out = in(reg) out.as_mut_ptr(),
                    out("ax") sw,
                    out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
                    out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
                    options(nostack),
                );
            }
            (F80::from_bytes(out), sw)
        }
    };
}

/// Runs `$insn` with ST(0) = a, ST(1) = b; returns ST(0), ST(1) and the status word (for
/// instructions that leave two results, like fprem, fxtract, fsincos and fptan).
macro_rules! native_binary_two_results {
    ($name:ident, $insn:literal) => {
        pub fn $name(cw: u16, a: F80, b: F80) -> (F80, F80, u16) {
            let ab = a.to_bytes();
            let bb = b.to_bytes();
            let mut out0 = [0u8; 10];
            let mut out1 = [0u8; 10];
            let sw: u16;
            // SAFETY: as in `native_binary`.
            unsafe {
                core::arch::asm!(
                    "fninit",
                    "fldcw word ptr [{cw}]",
                    "fld tbyte ptr [{b}]",
                    "fld tbyte ptr [{a}]",
                    $insn,
                    "fnstsw ax",
                    "fnclex",
                    "fstp tbyte ptr [{out0}]",
                    "fstp tbyte ptr [{out1}]",
                    "fninit",
                    cw = in(reg) &cw,
                    a = in(reg) ab.as_ptr(),
                    b = in(reg) bb.as_ptr(),
                    out0 = in(reg) out0.as_mut_ptr(),
                    out1 = in(reg) out1.as_mut_ptr(),
                    out("ax") sw,
                    out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
                    out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
                    options(nostack),
                );
            }
            (F80::from_bytes(out0), F80::from_bytes(out1), sw)
        }
    };
}

native_binary!(fadd, "fadd st(0), st(1)");
native_binary!(fsub, "fsub st(0), st(1)");
native_binary!(fmul, "fmul st(0), st(1)");
native_binary!(fdiv, "fdiv st(0), st(1)");
native_binary!(fsqrt, "fsqrt");
native_binary!(fscale, "fscale");
native_binary!(frndint, "frndint");
native_binary!(fsin, "fsin");
native_binary!(fcos, "fcos");
native_binary!(f2xm1, "f2xm1");
native_binary!(fpatan, "fpatan");
native_binary!(fyl2x, "fyl2x");
native_binary!(fyl2xp1, "fyl2xp1");
native_binary!(fcom, "fcom st(1)");
native_binary!(fucom, "fucom st(1)");
native_binary!(ftst, "ftst");
native_binary!(fxam, "fxam");
native_binary_two_results!(fprem, "fprem");
native_binary_two_results!(fprem1, "fprem1");
native_binary_two_results!(fxtract, "fxtract");
native_binary_two_results!(fptan, "fptan");
native_binary_two_results!(fsincos, "fsincos");

/// Converts ST(0) = a with `$insn` storing to memory of `$ty`; returns the stored bits and
/// the status word. The buffer starts as all ones so a suppressed store is visible.
macro_rules! native_store {
    ($name:ident, $ty:ty, $insn:literal) => {
        pub fn $name(cw: u16, a: F80) -> ($ty, u16) {
            let ab = a.to_bytes();
            let mut out: $ty = <$ty>::MAX;
            let sw: u16;
            // SAFETY: as in `native_binary`.
            unsafe {
                core::arch::asm!(
                    "fninit",
                    "fldcw word ptr [{cw}]",
                    "fld tbyte ptr [{a}]",
                    $insn,
                    "fnstsw ax",
                    "fninit",
                    cw = in(reg) &cw,
                    a = in(reg) ab.as_ptr(),
                    out = in(reg) &mut out,
                    out("ax") sw,
                    out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
                    out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
                    options(nostack),
                );
            }
            (out, sw)
        }
    };
}

native_store!(fst_f32, u32, "fst dword ptr [{out}]");
native_store!(fst_f64, u64, "fst qword ptr [{out}]");
native_store!(fist_i16, u16, "fist word ptr [{out}]");
native_store!(fist_i32, u32, "fist dword ptr [{out}]");
native_store!(fistp_i64, u64, "fistp qword ptr [{out}]");
native_store!(fisttp_i16, u16, "fisttp word ptr [{out}]");
native_store!(fisttp_i32, u32, "fisttp dword ptr [{out}]");
native_store!(fisttp_i64, u64, "fisttp qword ptr [{out}]");

/// Stores ST(0) = a as packed BCD.
pub fn fbstp(cw: u16, a: F80) -> ([u8; 10], u16) {
    let ab = a.to_bytes();
    let mut out = [0xEEu8; 10];
    let sw: u16;
    // SAFETY: as in `native_binary`.
    unsafe {
        core::arch::asm!(
            "fninit",
            "fldcw word ptr [{cw}]",
            "fld tbyte ptr [{a}]",
            "fbstp tbyte ptr [{out}]",
            "fnstsw ax",
            "fninit",
            cw = in(reg) &cw,
            a = in(reg) ab.as_ptr(),
            out = in(reg) out.as_mut_ptr(),
            out("ax") sw,
            out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
            out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
            options(nostack),
        );
    }
    (out, sw)
}

/// Loads memory of `$ty` with `$insn` and stores ST(0) as 80 bits.
macro_rules! native_load {
    ($name:ident, $ty:ty, $insn:literal) => {
        pub fn $name(cw: u16, v: $ty) -> (F80, u16) {
            let mut out = [0u8; 10];
            let sw: u16;
            // SAFETY: as in `native_binary`.
            unsafe {
                core::arch::asm!(
                    "fninit",
                    "fldcw word ptr [{cw}]",
                    $insn,
                    "fnstsw ax",
                    "fnclex",
                    "fstp tbyte ptr [{out}]",
                    "fninit",
                    cw = in(reg) &cw,
                    v = in(reg) &v,
                    out = in(reg) out.as_mut_ptr(),
                    out("ax") sw,
                    out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
                    out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
                    options(nostack),
                );
            }
            (F80::from_bytes(out), sw)
        }
    };
}

native_load!(fld_f32, u32, "fld dword ptr [{v}]");
native_load!(fld_f64, u64, "fld qword ptr [{v}]");
native_load!(fild_i64, u64, "fild qword ptr [{v}]");
native_load!(fbld, [u8; 10], "fbld tbyte ptr [{v}]");

/// Collects mismatches of one operation and fails the test with a readable report.
pub struct Report {
    name: &'static str,
    cases: u64,
    mismatches: u64,
    shown: Vec<String>,
}

impl Report {
    /// A report for operation `name`.
    pub fn new(name: &'static str) -> Report {
        Report {
            name,
            cases: 0,
            mismatches: 0,
            shown: Vec::new(),
        }
    }

    /// Records one comparison; `describe` is only called for mismatches.
    pub fn check(&mut self, equal: bool, describe: impl FnOnce() -> String) {
        self.cases += 1;
        if !equal {
            self.mismatches += 1;
            if self.shown.len() < 20 {
                self.shown.push(describe());
            }
        }
    }

    /// Prints the summary and panics if anything differed.
    pub fn finish(self) {
        eprintln!(
            "x87 differential {}: {} cases, {} mismatches",
            self.name, self.cases, self.mismatches
        );
        for line in &self.shown {
            eprintln!("  {line}");
        }
        assert_eq!(
            self.mismatches, 0,
            "{} differs from the host x87",
            self.name
        );
    }
}
