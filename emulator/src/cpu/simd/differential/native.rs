//! Runs one SSE/MMX instruction on the host CPU under a given MXCSR and returns the
//! result and the MXCSR after it. The caller's MXCSR is restored afterwards.

use core::arch::asm;
use core::arch::x86_64::__m128i;

#[inline]
pub fn to_m128(v: u128) -> __m128i {
    // SAFETY: both are 16 plain bytes.
    unsafe { core::mem::transmute::<u128, __m128i>(v) }
}
#[inline]
pub fn from_m128(v: __m128i) -> u128 {
    // SAFETY: both are 16 plain bytes.
    unsafe { core::mem::transmute::<__m128i, u128>(v) }
}

/// `insn xmm_a, xmm_b` (with an optional immediate as a const generic): returns the new
/// `xmm_a` and MXCSR.
macro_rules! xmm2 {
    ($name:ident, $insn:literal, imm) => {
        pub fn $name<const I: u8>(a: u128, b: u128, mxcsr: u32) -> (u128, u32) {
            let mut x = to_m128(a);
            let y = to_m128(b);
            let mut csr = [mxcsr, 0, 0];
            // SAFETY: as above.
            unsafe {
                asm!(
                    "stmxcsr [{p} + 8]",
                    "ldmxcsr [{p}]",
                    concat!($insn, " {x}, {y}, {i}"),
                    "stmxcsr [{p} + 4]",
                    "ldmxcsr [{p} + 8]",
                    x = inout(xmm_reg) x,
                    y = in(xmm_reg) y,
                    p = in(reg) csr.as_mut_ptr(),
                    i = const I,
                    options(nostack),
                );
            }
            (from_m128(x), csr[1])
        }
    };
    ($name:ident, $($insn:tt)+) => {
        pub fn $name(a: u128, b: u128, mxcsr: u32) -> (u128, u32) {
            let mut x = to_m128(a);
            let y = to_m128(b);
            let mut csr = [mxcsr, 0, 0];
            // SAFETY: the instruction only reads and writes the named registers and
            // the local MXCSR slots; the caller's MXCSR is restored.
            unsafe {
                asm!(
                    "stmxcsr [{p} + 8]",
                    "ldmxcsr [{p}]",
                    concat!($($insn)+, " {x}, {y}"),
                    "stmxcsr [{p} + 4]",
                    "ldmxcsr [{p} + 8]",
                    x = inout(xmm_reg) x,
                    y = in(xmm_reg) y,
                    p = in(reg) csr.as_mut_ptr(),
                    options(nostack),
                );
            }
            (from_m128(x), csr[1])
        }
    };
}

/// `insn r32, xmm_b`: returns the integer and MXCSR.
macro_rules! r32_from_xmm {
    ($name:ident, $insn:literal) => {
        pub fn $name(b: u128, mxcsr: u32) -> (u32, u32) {
            let y = to_m128(b);
            let r: u32;
            let mut csr = [mxcsr, 0, 0];
            // SAFETY: as above.
            unsafe {
                asm!(
                    "stmxcsr [{p} + 8]",
                    "ldmxcsr [{p}]",
                    concat!($insn, " {r:e}, {y}"),
                    "stmxcsr [{p} + 4]",
                    "ldmxcsr [{p} + 8]",
                    r = out(reg) r,
                    y = in(xmm_reg) y,
                    p = in(reg) csr.as_mut_ptr(),
                    options(nostack),
                );
            }
            (r, csr[1])
        }
    };
}

/// `insn xmm_a, r32`.
macro_rules! xmm_from_r32 {
    ($name:ident, $insn:literal) => {
        pub fn $name(a: u128, value: u32, mxcsr: u32) -> (u128, u32) {
            let mut x = to_m128(a);
            let mut csr = [mxcsr, 0, 0];
            // SAFETY: as above.
            unsafe {
                asm!(
                    "stmxcsr [{p} + 8]",
                    "ldmxcsr [{p}]",
                    concat!($insn, " {x}, {r:e}"),
                    "stmxcsr [{p} + 4]",
                    "ldmxcsr [{p} + 8]",
                    x = inout(xmm_reg) x,
                    r = in(reg) value,
                    p = in(reg) csr.as_mut_ptr(),
                    options(nostack),
                );
            }
            (from_m128(x), csr[1])
        }
    };
}

/// `insn xmm_a, xmm_b` that sets EFLAGS: returns the EFLAGS value and MXCSR.
macro_rules! eflags_xmm2 {
    ($name:ident, $insn:literal) => {
        pub fn $name(a: u128, b: u128, mxcsr: u32) -> (u32, u32) {
            let x = to_m128(a);
            let y = to_m128(b);
            let flags: u64;
            let mut csr = [mxcsr, 0, 0];
            // SAFETY: as above; pushfq/pop use the stack balanced.
            unsafe {
                asm!(
                    "stmxcsr [{p} + 8]",
                    "ldmxcsr [{p}]",
                    concat!($insn, " {x}, {y}"),
                    "pushfq",
                    "pop {f}",
                    "stmxcsr [{p} + 4]",
                    "ldmxcsr [{p} + 8]",
                    x = in(xmm_reg) x,
                    y = in(xmm_reg) y,
                    f = out(reg) flags,
                    p = in(reg) csr.as_mut_ptr(),
                );
            }
            (flags as u32, csr[1])
        }
    };
}

/// `insn mm0, mm1` (optionally with an immediate): returns the new `mm0`.
macro_rules! mm2 {
    ($name:ident, $insn:literal, imm) => {
        pub fn $name<const I: u8>(a: u64, b: u64) -> u64 {
            let r: u64;
            // SAFETY: as above.
            unsafe {
                asm!(
                    "movq mm0, {a}",
                    "movq mm1, {b}",
                    concat!($insn, " mm0, mm1, {i}"),
                    "movq {r}, mm0",
                    "emms",
                    a = in(reg) a,
                    b = in(reg) b,
                    r = lateout(reg) r,
                    i = const I,
                    out("mm0") _, out("mm1") _,
                    out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
                    out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
                    options(nostack),
                );
            }
            r
        }
    };
    ($name:ident, $($insn:tt)+) => {
        pub fn $name(a: u64, b: u64) -> u64 {
            let r: u64;
            // SAFETY: uses mm0/mm1 (declared clobbered with the x87 stack) and leaves
            // the FPU in x87 mode with emms.
            unsafe {
                asm!(
                    "movq mm0, {a}",
                    "movq mm1, {b}",
                    concat!($($insn)+, " mm0, mm1"),
                    "movq {r}, mm0",
                    "emms",
                    a = in(reg) a,
                    b = in(reg) b,
                    r = lateout(reg) r,
                    out("mm0") _, out("mm1") _,
                    out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
                    out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
                    options(nostack),
                );
            }
            r
        }
    };
}

/// `insn mm0, xmm_b` (cvtps2pi and friends): returns `mm0` and MXCSR.
macro_rules! mm_from_xmm {
    ($name:ident, $insn:literal) => {
        pub fn $name(b: u128, mxcsr: u32) -> (u64, u32) {
            let y = to_m128(b);
            let r: u64;
            let mut csr = [mxcsr, 0, 0];
            // SAFETY: as for mm2 and xmm2.
            unsafe {
                asm!(
                    "stmxcsr [{p} + 8]",
                    "ldmxcsr [{p}]",
                    concat!($insn, " mm0, {y}"),
                    "stmxcsr [{p} + 4]",
                    "ldmxcsr [{p} + 8]",
                    "movq {r}, mm0",
                    "emms",
                    y = in(xmm_reg) y,
                    p = in(reg) csr.as_mut_ptr(),
                    r = lateout(reg) r,
                    out("mm0") _,
                    out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
                    out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
                    options(nostack),
                );
            }
            (r, csr[1])
        }
    };
}

/// `insn xmm_a, mm1` (cvtpi2ps, cvtpi2pd): returns `xmm_a` and MXCSR.
macro_rules! xmm_from_mm {
    ($name:ident, $insn:literal) => {
        pub fn $name(a: u128, b: u64, mxcsr: u32) -> (u128, u32) {
            let mut x = to_m128(a);
            let mut csr = [mxcsr, 0, 0];
            // SAFETY: as for mm2 and xmm2.
            unsafe {
                asm!(
                    "movq mm1, {b}",
                    "stmxcsr [{p} + 8]",
                    "ldmxcsr [{p}]",
                    concat!($insn, " {x}, mm1"),
                    "stmxcsr [{p} + 4]",
                    "ldmxcsr [{p} + 8]",
                    "emms",
                    x = inout(xmm_reg) x,
                    b = in(reg) b,
                    p = in(reg) csr.as_mut_ptr(),
                    out("mm1") _,
                    out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
                    out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
                    options(nostack),
                );
            }
            (from_m128(x), csr[1])
        }
    };
}

// Floating point, packed and scalar.
xmm2!(addps, "addps");
xmm2!(addss, "addss");
xmm2!(addpd, "addpd");
xmm2!(addsd, "addsd");
xmm2!(subps, "subps");
xmm2!(subss, "subss");
xmm2!(subpd, "subpd");
xmm2!(subsd, "subsd");
xmm2!(mulps, "mulps");
xmm2!(mulss, "mulss");
xmm2!(mulpd, "mulpd");
xmm2!(mulsd, "mulsd");
xmm2!(divps, "divps");
xmm2!(divss, "divss");
xmm2!(divpd, "divpd");
xmm2!(divsd, "divsd");
xmm2!(minps, "minps");
xmm2!(minss, "minss");
xmm2!(minpd, "minpd");
xmm2!(minsd, "minsd");
xmm2!(maxps, "maxps");
xmm2!(maxss, "maxss");
xmm2!(maxpd, "maxpd");
xmm2!(maxsd, "maxsd");
xmm2!(sqrtps, "sqrtps");
xmm2!(sqrtss, "sqrtss");
xmm2!(sqrtpd, "sqrtpd");
xmm2!(sqrtsd, "sqrtsd");
xmm2!(addsubps, "addsubps");
xmm2!(addsubpd, "addsubpd");
xmm2!(haddps, "haddps");
xmm2!(haddpd, "haddpd");
xmm2!(hsubps, "hsubps");
xmm2!(hsubpd, "hsubpd");
xmm2!(rcpps, "rcpps");

xmm2!(rsqrtps, "rsqrtps");

xmm2!(cmpps, "cmpps", imm);
xmm2!(cmpss, "cmpss", imm);
xmm2!(cmppd, "cmppd", imm);
xmm2!(cmpsd, "cmpsd", imm);
eflags_xmm2!(comiss, "comiss");
eflags_xmm2!(ucomiss, "ucomiss");
eflags_xmm2!(comisd, "comisd");
eflags_xmm2!(ucomisd, "ucomisd");

// Conversions.
xmm2!(cvtss2sd, "cvtss2sd");
xmm2!(cvtsd2ss, "cvtsd2ss");
xmm2!(cvtps2pd, "cvtps2pd");
xmm2!(cvtpd2ps, "cvtpd2ps");
xmm2!(cvtdq2ps, "cvtdq2ps");
xmm2!(cvtps2dq, "cvtps2dq");
xmm2!(cvttps2dq, "cvttps2dq");
xmm2!(cvtdq2pd, "cvtdq2pd");
xmm2!(cvtpd2dq, "cvtpd2dq");
xmm2!(cvttpd2dq, "cvttpd2dq");
r32_from_xmm!(cvtss2si, "cvtss2si");
r32_from_xmm!(cvttss2si, "cvttss2si");
r32_from_xmm!(cvtsd2si, "cvtsd2si");
r32_from_xmm!(cvttsd2si, "cvttsd2si");
xmm_from_r32!(cvtsi2ss, "cvtsi2ss");
xmm_from_r32!(cvtsi2sd, "cvtsi2sd");
mm_from_xmm!(cvtps2pi, "cvtps2pi");
mm_from_xmm!(cvttps2pi, "cvttps2pi");
mm_from_xmm!(cvtpd2pi, "cvtpd2pi");
mm_from_xmm!(cvttpd2pi, "cvttpd2pi");
xmm_from_mm!(cvtpi2ps, "cvtpi2ps");
xmm_from_mm!(cvtpi2pd, "cvtpi2pd");

/// `insn xmm_a, imm8`.
macro_rules! xmm1_imm {
    ($name:ident, $insn:literal) => {
        pub fn $name<const I: u8>(a: u128, _b: u128, _mxcsr: u32) -> (u128, u32) {
            let mut x = to_m128(a);
            // SAFETY: register-only instruction.
            unsafe {
                asm!(concat!($insn, " {x}, {i}"), x = inout(xmm_reg) x, i = const I, options(nostack, nomem));
            }
            (from_m128(x), 0x1F80)
        }
    };
}

/// `pextrw r32, xmm, imm8`.
pub fn pextrw<const I: u8>(a: u128, _b: u128, _mxcsr: u32) -> (u128, u32) {
    let x = to_m128(a);
    let r: u32;
    // SAFETY: register-only instruction.
    unsafe {
        asm!("pextrw {r:e}, {x}, {i}", r = out(reg) r, x = in(xmm_reg) x, i = const I, options(nostack, nomem));
    }
    (r as u128, 0x1F80)
}

/// `pinsrw xmm, r32, imm8` with the value in the low 32 bits of `b`.
pub fn pinsrw<const I: u8>(a: u128, b: u128, _mxcsr: u32) -> (u128, u32) {
    let mut x = to_m128(a);
    // SAFETY: register-only instruction.
    unsafe {
        asm!("pinsrw {x}, {r:e}, {i}", r = in(reg) b as u32, x = inout(xmm_reg) x, i = const I, options(nostack, nomem));
    }
    (from_m128(x), 0x1F80)
}

/// `pmovmskb r32, mm`.
pub fn pmovmskb_mm(a: u64) -> u32 {
    let r: u32;
    // SAFETY: as for mm2.
    unsafe {
        asm!(
            "movq mm0, {a}",
            "pmovmskb {r:e}, mm0",
            "emms",
            a = in(reg) a,
            r = lateout(reg) r,
            out("mm0") _,
            out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
            out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
            options(nostack),
        );
    }
    r
}

macro_rules! int_pairs {
    ($($op:ident)*) => {
        pub mod xmm {
            use super::*;
            $(xmm2!($op, stringify!($op));)*
        }
        pub mod mm {
            use super::*;
            $(mm2!($op, stringify!($op));)*
        }
    };
}

int_pairs! {
    paddb paddw paddd paddq psubb psubw psubd psubq paddsb paddsw psubsb psubsw
    paddusb paddusw psubusb psubusw pmullw pmulhw pmulhuw pmuludq pmaddwd pavgb pavgw
    psadbw pminub pmaxub pminsw pmaxsw pcmpeqb pcmpeqw pcmpeqd pcmpgtb pcmpgtw pcmpgtd
    pand pandn por pxor psllw pslld psllq psrlw psrld psrlq psraw psrad
    packsswb packssdw packuswb punpcklbw punpcklwd punpckldq punpckhbw punpckhwd
    punpckhdq
}

xmm2!(punpcklqdq, "punpcklqdq");
xmm2!(punpckhqdq, "punpckhqdq");
xmm2!(unpcklps, "unpcklps");
xmm2!(unpckhps, "unpckhps");
xmm2!(unpcklpd, "unpcklpd");
xmm2!(unpckhpd, "unpckhpd");
xmm2!(movss, "movss");
xmm2!(movsd, "movsd");
xmm2!(movhlps, "movhlps");
xmm2!(movlhps, "movlhps");
xmm2!(movddup, "movddup");
xmm2!(movsldup, "movsldup");
xmm2!(movshdup, "movshdup");
xmm2!(pshufd, "pshufd", imm);
xmm2!(pshuflw, "pshuflw", imm);
xmm2!(pshufhw, "pshufhw", imm);
xmm2!(shufps, "shufps", imm);
xmm2!(shufpd, "shufpd", imm);
mm2!(pshufw, "pshufw", imm);
xmm1_imm!(pslldq, "pslldq");
xmm1_imm!(psrldq, "psrldq");
r32_from_xmm!(pmovmskb, "pmovmskb");
r32_from_xmm!(movmskps, "movmskps");
r32_from_xmm!(movmskpd, "movmskpd");

/// `insn mm0, imm8`.
macro_rules! mm1_imm {
    ($name:ident, $insn:literal) => {
        pub fn $name<const I: u8>(a: u64, _b: u64) -> u64 {
            let r: u64;
            // SAFETY: as for mm2.
            unsafe {
                asm!(
                    "movq mm0, {a}",
                    concat!($insn, " mm0, {i}"),
                    "movq {r}, mm0",
                    "emms",
                    a = in(reg) a,
                    r = lateout(reg) r,
                    i = const I,
                    out("mm0") _,
                    out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
                    out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
                    options(nostack),
                );
            }
            r
        }
    };
}

/// `pextrw r32, mm, imm8` and `pinsrw mm, r32, imm8`, MMX forms.
pub fn pextrw_mm<const I: u8>(a: u64, _b: u64) -> u64 {
    let r: u32;
    // SAFETY: as for mm2.
    unsafe {
        asm!(
            "movq mm0, {a}",
            "pextrw {r:e}, mm0, {i}",
            "emms",
            a = in(reg) a,
            r = lateout(reg) r,
            i = const I,
            out("mm0") _,
            out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
            out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
            options(nostack),
        );
    }
    r as u64
}

pub fn pinsrw_mm<const I: u8>(a: u64, b: u64) -> u64 {
    let r: u64;
    // SAFETY: as for mm2.
    unsafe {
        asm!(
            "movq mm0, {a}",
            "pinsrw mm0, {v:e}, {i}",
            "movq {r}, mm0",
            "emms",
            a = in(reg) a,
            v = in(reg) b as u32,
            r = lateout(reg) r,
            i = const I,
            out("mm0") _,
            out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
            out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
            options(nostack),
        );
    }
    r
}

pub mod shift_imm {
    use super::*;
    xmm1_imm!(psllw, "psllw");
    xmm1_imm!(pslld, "pslld");
    xmm1_imm!(psllq, "psllq");
    xmm1_imm!(psrlw, "psrlw");
    xmm1_imm!(psrld, "psrld");
    xmm1_imm!(psrlq, "psrlq");
    xmm1_imm!(psraw, "psraw");
    xmm1_imm!(psrad, "psrad");
    pub mod mm {
        use super::super::*;
        mm1_imm!(psllw, "psllw");
        mm1_imm!(pslld, "pslld");
        mm1_imm!(psllq, "psllq");
        mm1_imm!(psrlw, "psrlw");
        mm1_imm!(psrld, "psrld");
        mm1_imm!(psrlq, "psrlq");
        mm1_imm!(psraw, "psraw");
        mm1_imm!(psrad, "psrad");
    }
}
