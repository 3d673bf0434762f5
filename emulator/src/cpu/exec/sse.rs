//! MMX, SSE, SSE2 and SSE3 instructions: decode the operands (`mmx.rs` resolves and
//! accesses them), call the pure function in `cpu/simd/` named after the instruction,
//! apply the MXCSR decision (#XM leaves the destination unchanged) and write back.
//!
//! Rules kept here: 16-byte alignment of 128-bit memory operands (#GP(0)) except for
//! the unaligned forms, #MF before an instruction with an MMX register operand when an
//! x87 exception is pending, `ldmxcsr` reserved bits (#GP(0)), and the no-op-like
//! fences, prefetches and `clflush`. No floating point is computed here.

use super::cs_write_fault;
use super::mmx::{
    loc, masked_store, read128, read32, read64, uses_mmx, write128, write32, write64, Loc,
};
use super::x87::check_pending;
use crate::cpu::fault::{FaultKind, Step, Stop};
use crate::cpu::memory::GuestMemory;
use crate::cpu::simd::{
    convert as cv, packed_float as pf, packed_int as pi, shuffle as sh, Exceptions, Mxcsr,
};
use crate::cpu::state::CpuState;
use iced_x86::{Code, CpuidFeature, EncodingKind, Instruction, Mnemonic as M};

/// True for the instruction forms this module runs: legacy-encoded MMX/SSE/SSE2/SSE3
/// instructions (plus `clflush`), except the x87 `fisttp` and `monitor`/`mwait`.
pub(super) fn handles(code: Code) -> bool {
    if code.encoding() != EncodingKind::Legacy {
        return false;
    }
    let f = code.cpuid_features();
    let ours = |c: &CpuidFeature| {
        matches!(
            c,
            CpuidFeature::MMX
                | CpuidFeature::SSE
                | CpuidFeature::SSE2
                | CpuidFeature::SSE3
                | CpuidFeature::CLFSH
        )
    };
    !f.is_empty()
        && f.iter().all(ours)
        && !matches!(
            code.mnemonic(),
            M::Fisttp | M::Fxsave | M::Fxrstor | M::Pause | M::Monitor | M::Mwait
        )
}

fn commit(s: &mut CpuState, e: Exceptions) -> Step {
    s.mxcsr
        .commit(e)
        .map_err(|f| Stop::Fault(FaultKind::SimdFloatingPoint { si_code: f.si_code }))
}

/// 128-bit memory operands that may be misaligned.
fn unaligned_ok(mn: M) -> bool {
    matches!(
        mn,
        M::Movups | M::Movupd | M::Movdqu | M::Lddqu | M::Maskmovdqu
    )
}

/// Executes one MMX/SSE/SSE2/SSE3 instruction.
pub(super) fn execute<Mem: GuestMemory>(s: &mut CpuState, m: &mut Mem, i: &Instruction) -> Step {
    let mn = i.mnemonic();
    if uses_mmx(i) {
        // Touching an MMX register switches the x87 unit to MMX state; an instruction
        // that faults on memory or alignment does not, except maskmovq (whose register
        // reads come first), and one that raises #XM does (both as on the host).
        check_pending(s)?;
        let maskmovq = mn == M::Maskmovq;
        if !maskmovq {
            cs_write_fault(i)?;
        }
        let before = s.x87;
        s.x87.mmx_read(0); // enter MMX state: TOP = 0, all registers valid
        let r = if maskmovq {
            cs_write_fault(i).and_then(|()| run(s, m, i, mn))
        } else {
            run(s, m, i, mn)
        };
        if let Err(Stop::Fault(kind)) = r {
            if !matches!(kind, FaultKind::SimdFloatingPoint { .. }) && !maskmovq {
                s.x87 = before;
            }
        }
        return r;
    }
    if mn == M::Emms {
        check_pending(s)?;
    }
    cs_write_fault(i)?;
    run(s, m, i, mn)
}

fn run<Mem: GuestMemory>(s: &mut CpuState, m: &mut Mem, i: &Instruction, mn: M) -> Step {
    let aligned = i.memory_size().size() == 16 && !unaligned_ok(mn);
    if i.op_count() == 0 {
        return no_operand(s, mn);
    }
    let d = loc(s, i, 0, aligned)?;
    let src = if i.op_count() > 1 {
        Some(loc(s, i, 1, aligned)?)
    } else {
        None
    };
    let imm = i.immediate8();
    let mx = s.mxcsr;

    // Integer operations generic over MMX (u64) and XMM registers.
    macro_rules! int2 {
        ($f:path) => {{
            let b = src.ok_or(ud())?;
            match d {
                Loc::Mm(_) => {
                    let bv = read64(s, m, b)?;
                    let av = read64(s, m, d)?;
                    write64(s, m, d, $f(av, bv))
                }
                _ => {
                    let bv = read128(s, m, b)?;
                    let av = read128(s, m, d)?;
                    write128(s, m, d, $f(av, bv))
                }
            }
        }};
    }
    macro_rules! shift {
        ($f:path) => {{
            let b = src.ok_or(ud())?;
            let count = match b {
                Loc::Imm(v) => v as u64,
                Loc::Mem(_) if !matches!(d, Loc::Mm(_)) => read128(s, m, b)?.low64(),
                _ => read64(s, m, b)?,
            };
            match d {
                Loc::Mm(_) => {
                    let av = read64(s, m, d)?;
                    write64(s, m, d, $f(av, count))
                }
                _ => {
                    let av = read128(s, m, d)?;
                    write128(s, m, d, $f(av, count))
                }
            }
        }};
    }
    // Floating point: packed (128-bit source), scalar single (32), scalar double (64).
    macro_rules! fp {
        (ps $f:path) => {{
            let bv = read128(s, m, src.ok_or(ud())?)?;
            let (r, e) = $f(read128(s, m, d)?, bv, mx);
            commit(s, e)?;
            write128(s, m, d, r)
        }};
        (ss $f:path) => {{
            let bv = read32(s, m, src.ok_or(ud())?)?;
            let (r, e) = $f(read128(s, m, d)?, bv, mx);
            commit(s, e)?;
            write128(s, m, d, r)
        }};
        (sd $f:path) => {{
            let bv = read64(s, m, src.ok_or(ud())?)?;
            let (r, e) = $f(read128(s, m, d)?, bv, mx);
            commit(s, e)?;
            write128(s, m, d, r)
        }};
        (cmp $w:ident $f:path) => {{
            let b = src.ok_or(ud())?;
            let a = read128(s, m, d)?;
            let (r, e) = match stringify!($w) {
                "ss" => pf::cmpss(a, read32(s, m, b)?, imm, mx),
                "sd" => pf::cmpsd(a, read64(s, m, b)?, imm, mx),
                _ => $f(a, read128(s, m, b)?, imm, mx),
            };
            commit(s, e)?;
            write128(s, m, d, r)
        }};
    }
    macro_rules! comis {
        ($f:path, $rd:ident, $t:ty) => {{
            let bv = $rd(s, m, src.ok_or(ud())?)? as $t;
            let av = $rd(s, m, d)? as $t;
            let (flags, e) = $f(av, bv, mx);
            commit(s, e)?;
            s.flags.set_all(flags);
            Ok(())
        }};
    }
    macro_rules! cvt {
        // dst xmm from 128-bit / 64-bit source, no merge.
        (x128 $f:path) => {{
            let bv = read128(s, m, src.ok_or(ud())?)?;
            let (r, e) = $f(bv, mx);
            commit(s, e)?;
            write128(s, m, d, r)
        }};
        (x64 $f:path) => {{
            let bv = read64(s, m, src.ok_or(ud())?)?;
            let (r, e) = $f(bv, mx);
            commit(s, e)?;
            write128(s, m, d, r)
        }};
        // to a general or MMX register
        (to32 $f:path, $rd:ident, $t:ty) => {{
            let bv = $rd(s, m, src.ok_or(ud())?)? as $t;
            let (r, e) = $f(bv, mx);
            commit(s, e)?;
            write32(s, m, d, r)
        }};
        (tomm $f:path, $rd:ident) => {{
            let bv = $rd(s, m, src.ok_or(ud())?)?;
            let (r, e) = $f(bv, mx);
            commit(s, e)?;
            write64(s, m, d, r)
        }};
    }

    match mn {
        // ----- moves -----
        M::Movaps
        | M::Movapd
        | M::Movups
        | M::Movupd
        | M::Movdqa
        | M::Movdqu
        | M::Lddqu
        | M::Movntps
        | M::Movntpd
        | M::Movntdq => {
            let v = read128(s, m, src.ok_or(ud())?)?;
            write128(s, m, d, v)
        }
        M::Movnti => {
            let v = read32(s, m, src.ok_or(ud())?)?;
            write32(s, m, d, v)
        }
        M::Movntq => {
            let v = read64(s, m, src.ok_or(ud())?)?;
            write64(s, m, d, v)
        }
        M::Movss => {
            let b = src.ok_or(ud())?;
            match (d, b) {
                (Loc::Xmm(_), Loc::Xmm(_)) => {
                    let r = sh::movss_reg(read128(s, m, d)?, read128(s, m, b)?);
                    write128(s, m, d, r)
                }
                (Loc::Xmm(_), Loc::Mem(_)) => {
                    let v = read32(s, m, b)?;
                    write128(s, m, d, sh::movss_load(v))
                }
                _ => {
                    let v = read32(s, m, b)?;
                    write32(s, m, d, v)
                }
            }
        }
        M::Movsd => {
            let b = src.ok_or(ud())?;
            match (d, b) {
                (Loc::Xmm(_), Loc::Xmm(_)) => {
                    let r = sh::movsd_reg(read128(s, m, d)?, read128(s, m, b)?);
                    write128(s, m, d, r)
                }
                (Loc::Xmm(_), Loc::Mem(_)) => {
                    let v = read64(s, m, b)?;
                    write128(s, m, d, sh::movsd_load(v))
                }
                _ => {
                    let v = read64(s, m, b)?;
                    write64(s, m, d, v)
                }
            }
        }
        M::Movlps | M::Movlpd => {
            let b = src.ok_or(ud())?;
            if let Loc::Mem(_) = d {
                let v = read64(s, m, b)?;
                write64(s, m, d, v)
            } else {
                let v = read64(s, m, b)?;
                let r = sh::movlps_load(read128(s, m, d)?, v);
                write128(s, m, d, r)
            }
        }
        M::Movhps | M::Movhpd => {
            let b = src.ok_or(ud())?;
            if let Loc::Mem(_) = d {
                let v = read128(s, m, b)?.high64();
                write64(s, m, d, v)
            } else {
                let v = read64(s, m, b)?;
                let r = sh::movhps_load(read128(s, m, d)?, v);
                write128(s, m, d, r)
            }
        }
        M::Movhlps => {
            let r = sh::movhlps(read128(s, m, d)?, read128(s, m, src.ok_or(ud())?)?);
            write128(s, m, d, r)
        }
        M::Movlhps => {
            let r = sh::movlhps(read128(s, m, d)?, read128(s, m, src.ok_or(ud())?)?);
            write128(s, m, d, r)
        }
        M::Movd => {
            let v = read32(s, m, src.ok_or(ud())?)?;
            write32(s, m, d, v)
        }
        M::Movq | M::Movq2dq | M::Movdq2q => {
            // Every form moves 64 bits; an XMM destination is zero-extended.
            let v = read64(s, m, src.ok_or(ud())?)?;
            write64(s, m, d, v)
        }
        M::Movmskps => {
            let r = sh::movmskps(read128(s, m, src.ok_or(ud())?)?);
            write32(s, m, d, r)
        }
        M::Movmskpd => {
            let r = sh::movmskpd(read128(s, m, src.ok_or(ud())?)?);
            write32(s, m, d, r)
        }
        M::Pmovmskb => {
            let b = src.ok_or(ud())?;
            let r = match b {
                Loc::Mm(_) => pi::pmovmskb(read64(s, m, b)?),
                _ => pi::pmovmskb(read128(s, m, b)?),
            };
            write32(s, m, d, r)
        }
        // Operand 0 is the implicit seg:[edi] destination.
        M::Maskmovq => {
            let data = read64(s, m, src.ok_or(ud())?)?;
            let mask = read64(s, m, loc(s, i, 2, false)?)?;
            masked_store(s, m, i, data as u128, pi::maskmov_byte_mask(mask), 8)
        }
        M::Maskmovdqu => {
            let data = read128(s, m, src.ok_or(ud())?)?;
            let mask = read128(s, m, loc(s, i, 2, false)?)?;
            masked_store(s, m, i, data.0, pi::maskmov_byte_mask(mask), 16)
        }
        M::Movddup => {
            let v = read64(s, m, src.ok_or(ud())?)?;
            write128(s, m, d, sh::movddup(v))
        }
        M::Movsldup => {
            let v = read128(s, m, src.ok_or(ud())?)?;
            write128(s, m, d, sh::movsldup(v))
        }
        M::Movshdup => {
            let v = read128(s, m, src.ok_or(ud())?)?;
            write128(s, m, d, sh::movshdup(v))
        }

        // ----- integer -----
        M::Paddb => int2!(pi::paddb),
        M::Paddw => int2!(pi::paddw),
        M::Paddd => int2!(pi::paddd),
        M::Paddq => int2!(pi::paddq),
        M::Psubb => int2!(pi::psubb),
        M::Psubw => int2!(pi::psubw),
        M::Psubd => int2!(pi::psubd),
        M::Psubq => int2!(pi::psubq),
        M::Paddsb => int2!(pi::paddsb),
        M::Paddsw => int2!(pi::paddsw),
        M::Psubsb => int2!(pi::psubsb),
        M::Psubsw => int2!(pi::psubsw),
        M::Paddusb => int2!(pi::paddusb),
        M::Paddusw => int2!(pi::paddusw),
        M::Psubusb => int2!(pi::psubusb),
        M::Psubusw => int2!(pi::psubusw),
        M::Pmullw => int2!(pi::pmullw),
        M::Pmulhw => int2!(pi::pmulhw),
        M::Pmulhuw => int2!(pi::pmulhuw),
        M::Pmuludq => int2!(pi::pmuludq),
        M::Pavgb => int2!(pi::pavgb),
        M::Pavgw => int2!(pi::pavgw),
        M::Pminub => int2!(pi::pminub),
        M::Pmaxub => int2!(pi::pmaxub),
        M::Pminsw => int2!(pi::pminsw),
        M::Pmaxsw => int2!(pi::pmaxsw),
        M::Pcmpeqb => int2!(pi::pcmpeqb),
        M::Pcmpeqw => int2!(pi::pcmpeqw),
        M::Pcmpeqd => int2!(pi::pcmpeqd),
        M::Pcmpgtb => int2!(pi::pcmpgtb),
        M::Pcmpgtw => int2!(pi::pcmpgtw),
        M::Pcmpgtd => int2!(pi::pcmpgtd),
        M::Pmaddwd => int2!(pi::pmaddwd),
        M::Psadbw => int2!(pi::psadbw),
        M::Pand | M::Andps | M::Andpd => int2!(pi::pand),
        M::Pandn | M::Andnps | M::Andnpd => int2!(pi::pandn),
        M::Por | M::Orps | M::Orpd => int2!(pi::por),
        M::Pxor | M::Xorps | M::Xorpd => int2!(pi::pxor),
        M::Packsswb => int2!(pi::packsswb),
        M::Packssdw => int2!(pi::packssdw),
        M::Packuswb => int2!(pi::packuswb),
        M::Punpcklbw => int2!(pi::punpcklbw),
        M::Punpcklwd => int2!(pi::punpcklwd),
        M::Punpckldq => int2!(pi::punpckldq),
        M::Punpcklqdq => int2!(pi::punpcklqdq),
        M::Punpckhbw => int2!(pi::punpckhbw),
        M::Punpckhwd => int2!(pi::punpckhwd),
        M::Punpckhdq => int2!(pi::punpckhdq),
        M::Punpckhqdq => int2!(pi::punpckhqdq),
        M::Psllw => shift!(pi::psllw),
        M::Pslld => shift!(pi::pslld),
        M::Psllq => shift!(pi::psllq),
        M::Psrlw => shift!(pi::psrlw),
        M::Psrld => shift!(pi::psrld),
        M::Psrlq => shift!(pi::psrlq),
        M::Psraw => shift!(pi::psraw),
        M::Psrad => shift!(pi::psrad),
        M::Pslldq => {
            let r = sh::pslldq(read128(s, m, d)?, imm);
            write128(s, m, d, r)
        }
        M::Psrldq => {
            let r = sh::psrldq(read128(s, m, d)?, imm);
            write128(s, m, d, r)
        }
        M::Pshufw => {
            let v = read64(s, m, src.ok_or(ud())?)?;
            write64(s, m, d, pi::pshufw(v, imm))
        }
        M::Pshufd | M::Pshuflw | M::Pshufhw => {
            let v = read128(s, m, src.ok_or(ud())?)?;
            let r = match mn {
                M::Pshufd => sh::pshufd(v, imm),
                M::Pshuflw => sh::pshuflw(v, imm),
                _ => sh::pshufhw(v, imm),
            };
            write128(s, m, d, r)
        }
        M::Pextrw => {
            let b = src.ok_or(ud())?;
            let r = match b {
                Loc::Mm(_) => pi::pextrw(read64(s, m, b)?, imm),
                _ => pi::pextrw(read128(s, m, b)?, imm),
            };
            write32(s, m, d, r)
        }
        M::Pinsrw => {
            let b = src.ok_or(ud())?;
            let v = match b {
                Loc::Mem(a) => m.read_u16(a)? as u32,
                _ => read32(s, m, b)?,
            };
            match d {
                Loc::Mm(_) => {
                    let a = read64(s, m, d)?;
                    write64(s, m, d, pi::pinsrw(a, v, imm))
                }
                _ => {
                    let a = read128(s, m, d)?;
                    write128(s, m, d, pi::pinsrw(a, v, imm))
                }
            }
        }
        M::Shufps | M::Shufpd | M::Unpcklps | M::Unpckhps | M::Unpcklpd | M::Unpckhpd => {
            let b = read128(s, m, src.ok_or(ud())?)?;
            let a = read128(s, m, d)?;
            let r = match mn {
                M::Shufps => sh::shufps(a, b, imm),
                M::Shufpd => sh::shufpd(a, b, imm),
                M::Unpcklps => sh::unpcklps(a, b),
                M::Unpckhps => sh::unpckhps(a, b),
                M::Unpcklpd => sh::unpcklpd(a, b),
                _ => sh::unpckhpd(a, b),
            };
            write128(s, m, d, r)
        }

        // ----- floating point -----
        M::Addps => fp!(ps pf::addps),
        M::Addpd => fp!(ps pf::addpd),
        M::Addss => fp!(ss pf::addss),
        M::Addsd => fp!(sd pf::addsd),
        M::Subps => fp!(ps pf::subps),
        M::Subpd => fp!(ps pf::subpd),
        M::Subss => fp!(ss pf::subss),
        M::Subsd => fp!(sd pf::subsd),
        M::Mulps => fp!(ps pf::mulps),
        M::Mulpd => fp!(ps pf::mulpd),
        M::Mulss => fp!(ss pf::mulss),
        M::Mulsd => fp!(sd pf::mulsd),
        M::Divps => fp!(ps pf::divps),
        M::Divpd => fp!(ps pf::divpd),
        M::Divss => fp!(ss pf::divss),
        M::Divsd => fp!(sd pf::divsd),
        M::Minps => fp!(ps pf::minps),
        M::Minpd => fp!(ps pf::minpd),
        M::Minss => fp!(ss pf::minss),
        M::Minsd => fp!(sd pf::minsd),
        M::Maxps => fp!(ps pf::maxps),
        M::Maxpd => fp!(ps pf::maxpd),
        M::Maxss => fp!(ss pf::maxss),
        M::Maxsd => fp!(sd pf::maxsd),
        M::Sqrtps => fp!(ps pf::sqrtps),
        M::Sqrtpd => fp!(ps pf::sqrtpd),
        M::Sqrtss => fp!(ss pf::sqrtss),
        M::Sqrtsd => fp!(sd pf::sqrtsd),
        M::Addsubps => fp!(ps pf::addsubps),
        M::Addsubpd => fp!(ps pf::addsubpd),
        M::Haddps => fp!(ps pf::haddps),
        M::Haddpd => fp!(ps pf::haddpd),
        M::Hsubps => fp!(ps pf::hsubps),
        M::Hsubpd => fp!(ps pf::hsubpd),
        M::Cmpps => fp!(cmp ps pf::cmpps),
        M::Cmppd => fp!(cmp pd pf::cmppd),
        M::Cmpss => fp!(cmp ss pf::cmpps),
        M::Cmpsd => fp!(cmp sd pf::cmpps),
        M::Comiss => comis!(pf::comiss, read32, u32),
        M::Ucomiss => comis!(pf::ucomiss, read32, u32),
        M::Comisd => comis!(pf::comisd, read64, u64),
        M::Ucomisd => comis!(pf::ucomisd, read64, u64),
        M::Rcpps | M::Rsqrtps => {
            let b = read128(s, m, src.ok_or(ud())?)?;
            let r = if mn == M::Rcpps {
                pf::rcpps(b)
            } else {
                pf::rsqrtps(b)
            };
            write128(s, m, d, r)
        }
        M::Rcpss | M::Rsqrtss => {
            let b = read32(s, m, src.ok_or(ud())?)?;
            let a = read128(s, m, d)?;
            let r = if mn == M::Rcpss {
                pf::rcpss(a, b)
            } else {
                pf::rsqrtss(a, b)
            };
            write128(s, m, d, r)
        }

        // ----- conversions -----
        M::Cvtsi2ss | M::Cvtsi2sd => {
            let v = read32(s, m, src.ok_or(ud())?)? as i32;
            let a = read128(s, m, d)?;
            let (r, e) = if mn == M::Cvtsi2ss {
                cv::cvtsi2ss(a, v, mx)
            } else {
                cv::cvtsi2sd(a, v, mx)
            };
            commit(s, e)?;
            write128(s, m, d, r)
        }
        M::Cvtss2si => cvt!(to32 cv::cvtss2si, read32, u32),
        M::Cvttss2si => cvt!(to32 cv::cvttss2si, read32, u32),
        M::Cvtsd2si => cvt!(to32 cv::cvtsd2si, read64, u64),
        M::Cvttsd2si => cvt!(to32 cv::cvttsd2si, read64, u64),
        M::Cvtss2sd => fp!(ss cv::cvtss2sd),
        M::Cvtsd2ss => fp!(sd cv::cvtsd2ss),
        M::Cvtps2pd => cvt!(x64 cv::cvtps2pd),
        M::Cvtdq2pd => cvt!(x64 cv::cvtdq2pd),
        M::Cvtpi2pd => cvt!(x64 cv::cvtpi2pd),
        M::Cvtpd2ps => cvt!(x128 cv::cvtpd2ps),
        M::Cvtdq2ps => cvt!(x128 cv::cvtdq2ps),
        M::Cvtps2dq => cvt!(x128 cv::cvtps2dq),
        M::Cvttps2dq => cvt!(x128 cv::cvttps2dq),
        M::Cvtpd2dq => cvt!(x128 cv::cvtpd2dq),
        M::Cvttpd2dq => cvt!(x128 cv::cvttpd2dq),
        M::Cvtpi2ps => {
            let v = read64(s, m, src.ok_or(ud())?)?;
            let (r, e) = cv::cvtpi2ps(read128(s, m, d)?, v, mx);
            commit(s, e)?;
            write128(s, m, d, r)
        }
        M::Cvtps2pi => cvt!(tomm cv::cvtps2pi, read64),
        M::Cvttps2pi => cvt!(tomm cv::cvttps2pi, read64),
        M::Cvtpd2pi => cvt!(tomm cv::cvtpd2pi, read128),
        M::Cvttpd2pi => cvt!(tomm cv::cvttpd2pi, read128),

        // ----- state and hints with a memory operand -----
        M::Ldmxcsr => {
            let v = read32(s, m, d)?;
            s.mxcsr = Mxcsr::load(v).map_err(|_| Stop::Fault(FaultKind::GeneralProtection(0)))?;
            Ok(())
        }
        M::Stmxcsr => write32(s, m, d, mx.bits()),
        M::Prefetchnta | M::Prefetcht0 | M::Prefetcht1 | M::Prefetcht2 => Ok(()),
        M::Clflush => {
            // Faults like a read on an unmapped page; otherwise nothing to do.
            if let Loc::Mem(a) = d {
                m.read_u8(a)?;
            }
            Ok(())
        }
        _ => Err(ud()),
    }
}

fn ud() -> Stop {
    Stop::Fault(FaultKind::InvalidOpcode)
}

/// Instructions without register or memory operands: emms and the fences.
fn no_operand(s: &mut CpuState, mn: M) -> Step {
    match mn {
        M::Emms => {
            // An MMX instruction: TOP = 0, then every register is tagged empty.
            s.x87.top = 0;
            s.x87.emms();
            Ok(())
        }
        M::Sfence | M::Lfence | M::Mfence => Ok(()),
        _ => Err(ud()),
    }
}
