//! Differential tests with unmasked exceptions: the host instruction traps (SIGFPE), a
//! handler records `si_code` and resumes after the instruction, and we compare whether
//! it trapped, the `si_code`, the MXCSR flags recorded and the destination (unchanged on
//! a trap) with what [`Mxcsr::commit`] decides.

use super::cases::{fuzz_cases, Report, Rng, Shape, F32, F64};
use super::native::{from_m128, to_m128};
use crate::cpu::simd::convert;
use crate::cpu::simd::mxcsr::{Exceptions, Mxcsr};
use crate::cpu::simd::packed_float;
use crate::cpu::simd::xmm::Xmm;
use core::arch::asm;
use std::cell::Cell;
use std::sync::Once;

thread_local! {
    /// Where the SIGFPE handler resumes: the instruction after the trapping one.
    static RESUME_AT: Cell<u64> = const { Cell::new(0) };
    /// The `si_code` of the last SIGFPE on this thread, 0 if none.
    static SI_CODE: Cell<i32> = const { Cell::new(0) };
}

extern "C" fn on_sigfpe(_sig: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    // SAFETY: the kernel passes valid siginfo and ucontext pointers to an SA_SIGINFO
    // handler; the thread-locals are const-initialized cells without destructors.
    unsafe {
        SI_CODE.with(|c| c.set((*info).si_code));
        let uc = context as *mut libc::ucontext_t;
        (*uc).uc_mcontext.gregs[libc::REG_RIP as usize] = RESUME_AT.with(|r| r.get()) as i64;
    }
}

fn install_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: installing a process-wide SIGFPE handler; only these tests raise SIGFPE.
        unsafe {
            let mut action: libc::sigaction = core::mem::zeroed();
            let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                on_sigfpe;
            action.sa_sigaction = handler as usize;
            action.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGFPE, &action, core::ptr::null_mut());
        }
    });
}

/// `insn xmm_a, xmm_b` under an MXCSR that may unmask exceptions: returns the new
/// `xmm_a`, the MXCSR after and the SIGFPE `si_code` (0 when it did not trap).
macro_rules! trapping_xmm2 {
    ($name:ident, $insn:literal) => {
        fn $name(a: u128, b: u128, mxcsr: u32) -> (u128, u32, i32) {
            install_handler();
            SI_CODE.with(|c| c.set(0));
            let resume = RESUME_AT.with(|r| r.as_ptr());
            let mut x = to_m128(a);
            let y = to_m128(b);
            let mut csr = [mxcsr, 0, 0];
            // SAFETY: as in `native`; a trap resumes at label 2 with registers restored
            // by sigreturn.
            unsafe {
                asm!(
                    "lea {t}, [rip + 2f]",
                    "mov [{resume}], {t}",
                    "stmxcsr [{p} + 8]",
                    "ldmxcsr [{p}]",
                    concat!($insn, " {x}, {y}"),
                    "2:",
                    "stmxcsr [{p} + 4]",
                    "ldmxcsr [{p} + 8]",
                    x = inout(xmm_reg) x,
                    y = in(xmm_reg) y,
                    p = in(reg) csr.as_mut_ptr(),
                    resume = in(reg) resume,
                    t = out(reg) _,
                );
            }
            (from_m128(x), csr[1], SI_CODE.with(|c| c.get()))
        }
    };
}

trapping_xmm2!(addps, "addps");
trapping_xmm2!(subsd, "subsd");
trapping_xmm2!(mulps, "mulps");
trapping_xmm2!(mulsd, "mulsd");
trapping_xmm2!(divps, "divps");
trapping_xmm2!(divpd, "divpd");
trapping_xmm2!(sqrtps, "sqrtps");
trapping_xmm2!(minps, "minps");
trapping_xmm2!(cmpltps, "cmpltps");
trapping_xmm2!(cvtpd2ps, "cvtpd2ps");
trapping_xmm2!(cvtps2dq, "cvtps2dq");
trapping_xmm2!(cvtsd2ss, "cvtsd2ss");
trapping_xmm2!(haddps, "haddps");

/// A random MXCSR with some exceptions unmasked and random sticky flags.
fn unmasked_mxcsr(rng: &mut Rng) -> u32 {
    let masks = (0..6).fold(0u32, |acc, i| acc | ((rng.below(3) != 0) as u32) << (7 + i));
    let flags = if rng.below(4) == 0 {
        rng.below(64) as u32
    } else {
        0
    };
    masks
        | flags
        | (rng.below(4) as u32) << 13
        | (rng.below(2) as u32) << 15
        | (rng.below(2) as u32) << 6
}

type Ours = dyn Fn(Xmm, Xmm, Mxcsr) -> (Xmm, Exceptions);

fn run(
    op: &'static str,
    shape: Shape,
    ours: &Ours,
    native: fn(u128, u128, u32) -> (u128, u32, i32),
) {
    let mut report = Report::new(op);
    let mut rng = Rng::from_env(op);
    let lanes = 128 / (shape.frac_bits + shape.exp_bits + 1);
    let width = 128 / lanes;
    let mut traps = 0;
    for _ in 0..fuzz_cases() / 4 + 1 {
        let (mut a, mut b) = (0u128, 0u128);
        for i in 0..lanes {
            let x = shape.random(&mut rng);
            a |= (x as u128) << (i * width);
            b |= (shape.partner(&mut rng, x) as u128) << (i * width);
        }
        let mxcsr = unmasked_mxcsr(&mut rng);
        let (native_result, native_csr, native_code) = native(a, b, mxcsr);
        let mut m = Mxcsr::load(mxcsr).unwrap_or_default();
        let (r, raised) = ours(Xmm(a), Xmm(b), m);
        let (result, code) = match m.commit(raised) {
            Ok(()) => (r.0, 0),
            Err(fault) => (a, fault.si_code),
        };
        traps += (native_code != 0) as u64;
        // Fold the si_code into the compared MXCSR word so a mismatch shows it.
        report.check(
            a,
            b,
            mxcsr,
            (result, m.bits() | (code as u32) << 24),
            (native_result, native_csr | (native_code as u32) << 24),
        );
    }
    assert!(traps > 0, "{op}: no case trapped");
    report.finish();
}

macro_rules! unmasked_test {
    ($test:ident, $native:ident, $shape:expr, |$a:ident, $b:ident, $m:ident| $body:expr) => {
        #[test]
        fn $test() {
            run(stringify!($native), $shape, &|$a, $b, $m| $body, $native);
        }
    };
}

unmasked_test!(simd_trap_addps, addps, F32, |a, b, m| packed_float::addps(
    a, b, m
));
unmasked_test!(simd_trap_subsd, subsd, F64, |a, b, m| packed_float::subsd(
    a,
    b.low64(),
    m
));
unmasked_test!(simd_trap_mulps, mulps, F32, |a, b, m| packed_float::mulps(
    a, b, m
));
unmasked_test!(simd_trap_mulsd, mulsd, F64, |a, b, m| packed_float::mulsd(
    a,
    b.low64(),
    m
));
unmasked_test!(simd_trap_divps, divps, F32, |a, b, m| packed_float::divps(
    a, b, m
));
unmasked_test!(simd_trap_divpd, divpd, F64, |a, b, m| packed_float::divpd(
    a, b, m
));
unmasked_test!(simd_trap_sqrtps, sqrtps, F32, |a, b, m| {
    packed_float::sqrtps(a, b, m)
});
unmasked_test!(simd_trap_minps, minps, F32, |a, b, m| packed_float::minps(
    a, b, m
));
unmasked_test!(simd_trap_cmpltps, cmpltps, F32, |a, b, m| {
    packed_float::cmpps(a, b, 1, m)
});
unmasked_test!(simd_trap_cvtpd2ps, cvtpd2ps, F64, |_a, b, m| {
    convert::cvtpd2ps(b, m)
});
unmasked_test!(simd_trap_cvtps2dq, cvtps2dq, F32, |_a, b, m| {
    convert::cvtps2dq(b, m)
});
unmasked_test!(simd_trap_cvtsd2ss, cvtsd2ss, F64, |a, b, m| {
    convert::cvtsd2ss(a, b.low64(), m)
});
unmasked_test!(simd_trap_haddps, haddps, F32, |a, b, m| {
    packed_float::haddps(a, b, m)
});
