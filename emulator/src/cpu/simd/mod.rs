//! MMX, SSE, SSE2 and SSE3 semantics as pure functions on register values.
//!
//! The interpreter decodes an instruction, reads its operands (a `u64` for an MMX
//! register, an [`Xmm`] for an XMM register or 128-bit memory operand), calls the function
//! named after the instruction and writes the result back. Floating-point functions also
//! take the current [`Mxcsr`] and return the [`Exceptions`] they raised; the interpreter
//! passes those to [`Mxcsr::commit`], which records the flags and says whether the
//! instruction traps with #XM (in which case the destination is left unchanged).
//!
//! Nothing here decodes instructions, touches guest memory or panics; all floating point
//! is done in software on bit patterns so that results are identical on every host.

pub mod convert;
#[cfg(all(test, target_arch = "x86_64"))]
mod differential;
pub mod ieee;
pub mod mxcsr;

pub use mxcsr::{Exceptions, Mxcsr, ReservedMxcsrBits, Rounding, SimdFault};
pub mod packed_float;
pub mod packed_int;
pub mod shuffle;
pub mod xmm;

pub use xmm::{SimdReg, Xmm};

#[cfg(test)]
mod tests {
    use super::packed_int as int;
    use super::*;

    /// Every operation on arbitrary bits under arbitrary MXCSR values (unmasked
    /// exceptions included) must return without panicking, overflow checks on.
    #[test]
    fn simd_no_panic_on_any_input() {
        let mut state = 0x1234_5678_9ABC_DEF0u64;
        let mut next = move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        for _ in 0..20_000 {
            let a = Xmm(next() as u128 | (next() as u128) << 64);
            let b = Xmm(next() as u128 | (next() as u128) << 64);
            let m = Mxcsr::from_bits_truncate(next() as u32);
            let imm = next() as u8;
            let (q, d) = (b.low64(), b.0 as u32);
            let _ = packed_float::addps(a, b, m);
            let _ = packed_float::subsd(a, q, m);
            let _ = packed_float::mulss(a, d, m);
            let _ = packed_float::divpd(a, b, m);
            let _ = packed_float::divps(a, b, m);
            let _ = packed_float::sqrtps(a, b, m);
            let _ = packed_float::sqrtpd(a, b, m);
            let _ = packed_float::minpd(a, b, m);
            let _ = packed_float::maxss(a, d, m);
            let _ = packed_float::cmpps(a, b, imm, m);
            let _ = packed_float::cmpsd(a, q, imm, m);
            let _ = packed_float::comiss(a.0 as u32, d, m);
            let _ = packed_float::ucomisd(a.low64(), q, m);
            let _ = packed_float::haddps(a, b, m);
            let _ = packed_float::addsubpd(a, b, m);
            let _ = packed_float::rcpps(b);
            let _ = packed_float::rsqrtps(b);
            let _ = convert::cvtpd2ps(b, m);
            let _ = convert::cvtps2pd(q, m);
            let _ = convert::cvtps2dq(b, m);
            let _ = convert::cvttpd2dq(b, m);
            let _ = convert::cvtsi2ss(a, d as i32, m);
            let _ = convert::cvtsd2si(q, m);
            let _ = convert::cvtpi2ps(a, q, m);
            let _ = int::psllw(a, q);
            let _ = int::psraw(a.low64(), q);
            let _ = int::psrad(a, imm as u64);
            let _ = int::pmaddwd(a, b);
            let _ = int::psadbw(a, b);
            let _ = int::packsswb(a, b);
            let _ = int::pinsrw(a, d, imm);
            let _ = int::pextrw(q, imm);
            let _ = shuffle::pslldq(a, imm);
            let _ = shuffle::psrldq(a, imm);
            let _ = shuffle::shufps(a, b, imm);
            let mut m2 = m;
            let _ = m2.commit(Exceptions(next() as u8 & 0x3F));
        }
    }

    /// With underflow unmasked, an exact tiny result still raises UE (and FTZ does not
    /// apply); the instruction traps with FPE_FLTUND and the destination is kept.
    #[test]
    fn simd_unmasked_underflow_traps_on_exact_tiny_result() {
        // 2^-126 * 0.5 = 2^-127: exact, tiny.
        let all_masked_but_ue = Mxcsr::load(0x1F80 & !(1 << 11) | 0x8000).unwrap();
        let (_, raised) = packed_float::mulss(Xmm(0x0080_0000), 0x3F00_0000, all_masked_but_ue);
        assert_eq!(raised, Exceptions::UNDERFLOW);
        let mut m = all_masked_but_ue;
        assert_eq!(
            m.commit(raised),
            Err(SimdFault {
                si_code: mxcsr::si_code::FPE_FLTUND
            })
        );
        // Masked, the same product is exact: no flags, denormal result.
        let (r, raised) = packed_float::mulss(Xmm(0x0080_0000), 0x3F00_0000, Mxcsr::POWER_ON);
        assert_eq!((r.0, raised), (0x0040_0000, Exceptions::NONE));
    }

    /// Unmasked divide-by-zero in one lane and inexact in another: only ZE is recorded.
    #[test]
    fn simd_unmasked_divide_by_zero_records_only_pre_computation_flags() {
        let m0 = Mxcsr::load(0x1F80 & !(1 << 9)).unwrap();
        let a = Xmm::from_u32x4([0x3F80_0000, 0x3F80_0000, 0, 0]);
        let b = Xmm::from_u32x4([0, 0x4040_0000, 0x3F80_0000, 0x3F80_0000]);
        let (_, raised) = packed_float::divps(a, b, m0);
        assert_eq!(raised, Exceptions::DIVIDE_BY_ZERO | Exceptions::PRECISION);
        let mut m = m0;
        assert_eq!(
            m.commit(raised),
            Err(SimdFault {
                si_code: mxcsr::si_code::FPE_FLTDIV
            })
        );
        assert_eq!(m.flags(), Exceptions::DIVIDE_BY_ZERO);
    }
}

/// Rough cost of the hot functions, for tuning the interpreter:
/// `cargo test -p emulator --release simd_bench -- --ignored --nocapture`.
/// Prints numbers only; never asserts on time.
#[cfg(test)]
mod bench {
    use super::*;
    use std::hint::black_box;
    use std::time::Instant;

    fn time(name: &str, mut f: impl FnMut(u64) -> u128) {
        const N: u64 = 2_000_000;
        let start = Instant::now();
        let mut acc = 0u128;
        for i in 0..N {
            acc ^= f(black_box(i));
        }
        black_box(acc);
        let ns = start.elapsed().as_nanos() as f64 / N as f64;
        println!("{name:>10}: {ns:6.1} ns/op");
    }

    #[test]
    #[ignore]
    fn simd_bench_ns_per_op() {
        let m = Mxcsr::POWER_ON;
        let a = Xmm::from_u32x4([0x3F80_0001, 0x4049_0FDB, 0xC2F6_E979, 0x3EAA_AAAB]);
        let d = Xmm::from_u64x2([0x3FF0_0000_0000_0001, 0x4009_21FB_5444_2D18]);
        time("addps", |i| {
            packed_float::addps(a, Xmm(a.0 ^ i as u128), m).0 .0
        });
        time("mulps", |i| {
            packed_float::mulps(a, Xmm(a.0 ^ i as u128), m).0 .0
        });
        time("divps", |i| {
            packed_float::divps(a, Xmm(a.0 ^ i as u128), m).0 .0
        });
        time("sqrtps", |i| {
            packed_float::sqrtps(a, Xmm(a.0 ^ i as u128), m).0 .0
        });
        time("addpd", |i| {
            packed_float::addpd(d, Xmm(d.0 ^ i as u128), m).0 .0
        });
        time("mulpd", |i| {
            packed_float::mulpd(d, Xmm(d.0 ^ i as u128), m).0 .0
        });
        time("divpd", |i| {
            packed_float::divpd(d, Xmm(d.0 ^ i as u128), m).0 .0
        });
        time("sqrtpd", |i| {
            packed_float::sqrtpd(d, Xmm(d.0 ^ i as u128), m).0 .0
        });
        time("addsd", |i| packed_float::addsd(d, d.low64() ^ i, m).0 .0);
        time("cvtsd2si", |i| {
            convert::cvtsd2si(d.low64() ^ i, m).0 as u128
        });
        time("paddw", |i| packed_int::paddw(a, Xmm(a.0 ^ i as u128)).0);
        time("pmaddwd", |i| {
            packed_int::pmaddwd(a, Xmm(a.0 ^ i as u128)).0
        });
        time("packsswb", |i| {
            packed_int::packsswb(a, Xmm(a.0 ^ i as u128)).0
        });
        time("pshufd", |i| {
            shuffle::pshufd(Xmm(a.0 ^ i as u128), i as u8).0
        });
    }
}
