//! Hand-written x87/MMX/SSE differential cases: every family over edge values in all
//! rounding modes (set in the case's initial FCW and MXCSR), unmasked exceptions
//! (#MF at the next waiting instruction, #XM), state save/restore round trips, the
//! `fwait`-prefixed control forms, alignment faults and MMX/x87 aliasing.

use super::case::{Case, DATA};
use super::fpu::{FpCase, F32_EDGES, F64_EDGES, F80_EDGES};

/// eax points here (16-byte aligned, well inside the data page).
const BUF: u32 = DATA + 0x400;

/// An FXSAVE image with the given FCW/MXCSR, ST(0..) = `st` (TOP = 8 - st.len()), the
/// rest empty, and xmm registers.
fn image(fcw: u16, mxcsr: u32, st: &[(u16, u64)], xmm: [u128; 8]) -> [u8; 512] {
    let mut img = [0u8; 512];
    let top = (8 - st.len() as u16) & 7;
    img[0..2].copy_from_slice(&fcw.to_le_bytes());
    img[2..4].copy_from_slice(&(top << 11).to_le_bytes());
    let mut tags = 0u8;
    for (i, &(se, sig)) in st.iter().enumerate() {
        tags |= 1 << ((top as usize + i) & 7);
        let o = 32 + 16 * i;
        img[o..o + 8].copy_from_slice(&sig.to_le_bytes());
        img[o + 8..o + 10].copy_from_slice(&se.to_le_bytes());
    }
    img[4] = tags;
    img[24..28].copy_from_slice(&mxcsr.to_le_bytes());
    img[28..32].copy_from_slice(&0xffffu32.to_le_bytes());
    for (r, v) in xmm.iter().enumerate() {
        img[160 + 16 * r..176 + 16 * r].copy_from_slice(&v.to_le_bytes());
    }
    img
}

fn case(code: &[u8]) -> Case {
    let mut c = Case::new(code);
    c.regs = [
        BUF,
        0x1234_5678,
        0x8000_0001,
        BUF + 0x100,
        BUF + 0x800,
        3,
        7,
        BUF + 0x40,
    ];
    c.eflags = 0x202;
    c
}

fn push(out: &mut Vec<(String, FpCase)>, label: String, code: &[u8], img: [u8; 512]) {
    out.push((
        label,
        FpCase {
            case: case(code),
            image: img,
        },
    ));
}

/// FCW with all exceptions masked, extended precision and rounding mode `rc`.
fn fcw(rc: u16) -> u16 {
    0x037f | rc << 10
}

pub fn cases() -> Vec<(String, FpCase)> {
    let mut out = Vec::new();
    x87_binary(&mut out);
    x87_unary(&mut out);
    x87_memory(&mut out);
    x87_control(&mut out);
    sse_float(&mut out);
    simd_integer_and_moves(&mut out);
    out
}

/// Two-operand x87 arithmetic and compares over all pairs of edge values, four
/// rounding modes, and the three precisions for the arithmetic.
fn x87_binary(out: &mut Vec<(String, FpCase)>) {
    let ops: &[(&str, &[u8])] = &[
        ("fadd st,st1", &[0xd8, 0xc1]),
        ("fsub st,st1", &[0xd8, 0xe1]),
        ("fsubr st,st1", &[0xd8, 0xe9]),
        ("fmul st,st1", &[0xd8, 0xc9]),
        ("fdiv st,st1", &[0xd8, 0xf1]),
        ("fdivr st,st1", &[0xd8, 0xf9]),
        ("fsubp st1,st", &[0xde, 0xe9]),
        ("fdivrp st1,st", &[0xde, 0xf1]),
        ("fcom st1", &[0xd8, 0xd1]),
        ("fucompp", &[0xda, 0xe9]),
        ("fcomi st,st1", &[0xdb, 0xf1]),
        ("fucomip st,st1", &[0xdf, 0xe9]),
        ("fprem", &[0xd9, 0xf8]),
        ("fprem1", &[0xd9, 0xf5]),
        ("fscale", &[0xd9, 0xfd]),
        ("fpatan", &[0xd9, 0xf3]),
        ("fyl2x", &[0xd9, 0xf1]),
        ("fxch st1", &[0xd9, 0xc9]),
        ("fcmovb st,st1", &[0xda, 0xc1]),
        ("fcmovnbe st,st1", &[0xdb, 0xd1]),
    ];
    for (name, code) in ops {
        for (ai, &a) in F80_EDGES.iter().enumerate() {
            for (bi, &b) in F80_EDGES.iter().enumerate() {
                let rc = ((ai + bi) % 4) as u16;
                let pc = if name.starts_with("fadd") || name.starts_with("fdiv st") {
                    [0u16, 2, 3][(ai * 7 + bi) % 3]
                } else {
                    3
                };
                let cw = (fcw(rc) & !0x300) | pc << 8;
                let label = format!("{name} a#{ai} b#{bi} rc{rc} pc{pc}");
                let mut c = case(code);
                c.eflags = 0x202 | [0, 0x1, 0x40, 0x41][(ai + 2 * bi) % 4];
                out.push((
                    label,
                    FpCase {
                        case: c,
                        image: image(cw, 0x1f80, &[a, b], [0; 8]),
                    },
                ));
            }
        }
    }
}

/// One-operand x87 instructions on each edge value in every rounding mode, plus
/// stack faults (empty registers) and overflow (full stack).
fn x87_unary(out: &mut Vec<(String, FpCase)>) {
    let ops: &[(&str, &[u8])] = &[
        ("fchs", &[0xd9, 0xe0]),
        ("fabs", &[0xd9, 0xe1]),
        ("ftst", &[0xd9, 0xe4]),
        ("fxam", &[0xd9, 0xe5]),
        ("fsqrt", &[0xd9, 0xfa]),
        ("frndint", &[0xd9, 0xfc]),
        ("fxtract", &[0xd9, 0xf4]),
        ("fsin", &[0xd9, 0xfe]),
        ("fcos", &[0xd9, 0xff]),
        ("fsincos", &[0xd9, 0xfb]),
        ("fptan", &[0xd9, 0xf2]),
        ("fld st0", &[0xd9, 0xc0]),
        ("fst st3", &[0xdd, 0xd3]),
        ("fstp st1", &[0xdd, 0xd9]),
        ("ffree st0", &[0xdd, 0xc0]),
        ("ffreep st0", &[0xdf, 0xc0]),
        ("fincstp", &[0xd9, 0xf7]),
        ("fdecstp", &[0xd9, 0xf6]),
        ("fnop", &[0xd9, 0xd0]),
        ("fld1", &[0xd9, 0xe8]),
        ("fldl2t", &[0xd9, 0xe9]),
        ("fldl2e", &[0xd9, 0xea]),
        ("fldpi", &[0xd9, 0xeb]),
        ("fldlg2", &[0xd9, 0xec]),
        ("fldln2", &[0xd9, 0xed]),
        ("fldz", &[0xd9, 0xee]),
    ];
    for (name, code) in ops {
        for rc in 0..4u16 {
            for (ai, &a) in F80_EDGES.iter().enumerate() {
                let label = format!("{name} a#{ai} rc{rc}");
                push(out, label, code, image(fcw(rc), 0x1f80, &[a], [0; 8]));
            }
            let label = format!("{name} empty rc{rc}");
            push(out, label, code, image(fcw(rc), 0x1f80, &[], [0; 8]));
            let full = [F80_EDGES[2]; 8];
            let label = format!("{name} full stack rc{rc}");
            push(out, label, code, image(fcw(rc), 0x1f80, &full, [0; 8]));
        }
    }
}

/// Loads and stores in every memory format, round trips through memory (so the loaded
/// values are edge values), in every rounding mode.
fn x87_memory(out: &mut Vec<(String, FpCase)>) {
    let stores: &[(&str, &[u8])] = &[
        ("fst m32; fld m32", &[0xd9, 0x10, 0xd9, 0x00]),
        ("fstp m64; fld m64", &[0xdd, 0x18, 0xdd, 0x00]),
        ("fstp m80; fld m80", &[0xdb, 0x38, 0xdb, 0x28]),
        ("fist m16; fild m16", &[0xdf, 0x10, 0xdf, 0x00]),
        ("fistp m32; fild m32", &[0xdb, 0x18, 0xdb, 0x00]),
        ("fistp m64; fild m64", &[0xdf, 0x38, 0xdf, 0x28]),
        ("fisttp m16", &[0xdf, 0x08]),
        ("fisttp m32", &[0xdb, 0x08]),
        ("fisttp m64", &[0xdd, 0x08]),
        ("fbstp; fbld", &[0xdf, 0x30, 0xdf, 0x20]),
        ("fst m32; fadd m32", &[0xd9, 0x10, 0xd8, 0x00]),
        ("fst m64; fdivr m64", &[0xdd, 0x10, 0xdc, 0x38]),
        ("fist m32; fisub m32", &[0xdb, 0x10, 0xda, 0x20]),
        ("fist m16; fimul m16", &[0xdf, 0x10, 0xde, 0x08]),
        ("fst m32; fcomp m32", &[0xd9, 0x10, 0xd8, 0x18]),
        ("fst m64; fcom m64", &[0xdd, 0x10, 0xdc, 0x10]),
        ("fist m32; ficomp m32", &[0xdb, 0x10, 0xda, 0x18]),
        ("fist m16; fidivr m16", &[0xdf, 0x10, 0xde, 0x38]),
    ];
    for (name, code) in stores {
        for rc in 0..4u16 {
            for (ai, &a) in F80_EDGES.iter().enumerate() {
                let label = format!("{name} a#{ai} rc{rc}");
                push(
                    out,
                    label,
                    code,
                    image(fcw(rc), 0x1f80, &[a, F80_EDGES[4]], [0; 8]),
                );
            }
        }
        // A store to the read-only page, and one crossing into it.
        for (where_, addr) in [("ro", DATA + 0x1000), ("cross", DATA + 0xffc)] {
            let mut c = case(code);
            c.regs[0] = addr;
            out.push((
                format!("{name} {where_}"),
                FpCase {
                    case: c,
                    image: image(fcw(0), 0x1f80, &[F80_EDGES[4]], [0; 8]),
                },
            ));
        }
    }
}

/// Control instructions, environments, pending exceptions and #MF.
fn x87_control(out: &mut Vec<(String, FpCase)>) {
    let seqs: &[(&str, &[u8])] = &[
        ("fnstsw ax", &[0xdf, 0xe0]),
        ("fstsw ax", &[0x9b, 0xdf, 0xe0]),
        ("fnstsw m16", &[0xdd, 0x38]),
        ("fstsw m16", &[0x9b, 0xdd, 0x38]),
        ("fnstcw; fldcw", &[0xd9, 0x38, 0xd9, 0x28]),
        ("fstcw", &[0x9b, 0xd9, 0x38]),
        ("fnclex", &[0xdb, 0xe2]),
        ("fclex", &[0x9b, 0xdb, 0xe2]),
        ("fninit", &[0xdb, 0xe3]),
        ("finit", &[0x9b, 0xdb, 0xe3]),
        ("fnstenv; fldenv", &[0xd9, 0x30, 0xd9, 0x20]),
        ("fstenv", &[0x9b, 0xd9, 0x30]),
        ("fnsave; frstor", &[0xdd, 0x30, 0xdd, 0x20]),
        ("fsave", &[0x9b, 0xdd, 0x30]),
        ("fwait", &[0x9b]),
        ("fld1; fwait", &[0xd9, 0xe8, 0x9b]),
        ("fdiv st,st1; fwait", &[0xd8, 0xf1, 0x9b]),
        (
            "fdiv st,st1; fnstsw ax; fnclex",
            &[0xd8, 0xf1, 0xdf, 0xe0, 0xdb, 0xe2],
        ),
        ("fadd m32; fld1", &[0xd8, 0x00, 0xd9, 0xe8]),
        (
            "fsqrt; fnstenv; fld1",
            &[0xd9, 0xfa, 0xd9, 0x30, 0xd9, 0xe8],
        ),
        ("fxsave; fxrstor", &[0x0f, 0xae, 0x00, 0x0f, 0xae, 0x08]),
        ("fxsave misaligned", &[0x0f, 0xae, 0x40, 0x08]),
        ("fxrstor random mxcsr", &[0x0f, 0xae, 0x48, 0x10]),
        ("fld1; emms", &[0xd9, 0xe8, 0x0f, 0x77]),
        ("paddb mm0,mm1 pending", &[0x0f, 0xfc, 0xc1]),
        ("movq mm0,[eax]; fld st0", &[0x0f, 0x6f, 0x00, 0xd9, 0xc0]),
        (
            "fld1; movd mm1,ecx; fxch",
            &[0xd9, 0xe8, 0x0f, 0x6e, 0xc9, 0xd9, 0xc9],
        ),
    ];
    // Masks: all masked, then each exception unmasked alone, then none masked.
    let masks: [u16; 8] = [0x3f, 0x3e, 0x3d, 0x3b, 0x37, 0x2f, 0x1f, 0x00];
    let values = [
        (0, 1),
        (2, 0),
        (4, 26),
        (8, 2),
        (11, 2),
        (16, 17),
        (10, 3),
        (27, 5),
    ];
    for (name, code) in seqs {
        for &m in &masks {
            for &(a, b) in &values {
                for pending in [false, true] {
                    let mut img = image(
                        0x0300 | m | 0x40,
                        0x1f80,
                        &[F80_EDGES[a], F80_EDGES[b]],
                        [0; 8],
                    );
                    if pending {
                        // A sticky flag set at start: with its mask clear it is pending.
                        let fsw = u16::from_le_bytes([img[2], img[3]])
                            | 0x05
                            | if m & 0x05 != 0x05 { 0x8080 } else { 0 };
                        img[2..4].copy_from_slice(&fsw.to_le_bytes());
                    }
                    let label = format!("{name} masks {m:#x} a#{a} b#{b} pending {pending}");
                    push(out, label, code, img);
                }
            }
        }
    }
}

fn lanes32(v: [u32; 4]) -> u128 {
    v.iter()
        .enumerate()
        .fold(0, |acc, (i, &x)| acc | (x as u128) << (32 * i))
}

fn lanes64(v: [u64; 2]) -> u128 {
    v[0] as u128 | (v[1] as u128) << 64
}

/// SSE/SSE2/SSE3 floating point over edge lanes, four rounding modes, with and without
/// FTZ+DAZ, and with exceptions unmasked (#XM).
fn sse_float(out: &mut Vec<(String, FpCase)>) {
    let ops: &[(&str, &[u8])] = &[
        ("addps", &[0x0f, 0x58, 0xc1]),
        ("subps", &[0x0f, 0x5c, 0xc1]),
        ("mulps", &[0x0f, 0x59, 0xc1]),
        ("divps", &[0x0f, 0x5e, 0xc1]),
        ("sqrtps", &[0x0f, 0x51, 0xc1]),
        ("minps", &[0x0f, 0x5d, 0xc1]),
        ("maxps", &[0x0f, 0x5f, 0xc1]),
        ("addss", &[0xf3, 0x0f, 0x58, 0xc1]),
        ("divss", &[0xf3, 0x0f, 0x5e, 0xc1]),
        ("cmpps lt", &[0x0f, 0xc2, 0xc1, 0x01]),
        ("cmpss unord", &[0xf3, 0x0f, 0xc2, 0xc1, 0x03]),
        ("comiss", &[0x0f, 0x2f, 0xc1]),
        ("ucomiss", &[0x0f, 0x2e, 0xc1]),
        ("cvtps2dq", &[0x66, 0x0f, 0x5b, 0xc1]),
        ("cvttps2dq", &[0xf3, 0x0f, 0x5b, 0xc1]),
        ("cvtps2pd", &[0x0f, 0x5a, 0xc1]),
        ("cvtss2sd", &[0xf3, 0x0f, 0x5a, 0xc1]),
        ("cvtss2si", &[0xf3, 0x0f, 0x2d, 0xc1]),
        ("cvttss2si", &[0xf3, 0x0f, 0x2c, 0xc1]),
        ("cvtps2pi", &[0x0f, 0x2d, 0xc1]),
        ("addsubps", &[0xf2, 0x0f, 0xd0, 0xc1]),
        ("haddps", &[0xf2, 0x0f, 0x7c, 0xc1]),
        ("hsubps", &[0xf2, 0x0f, 0x7d, 0xc1]),
        ("rcpps", &[0x0f, 0x53, 0xc1]),
        ("rsqrtss", &[0xf3, 0x0f, 0x52, 0xc1]),
        ("cvtdq2ps", &[0x0f, 0x5b, 0xc1]),
        ("cvtsi2ss", &[0xf3, 0x0f, 0x2a, 0xc1]),
    ];
    let ops64: &[(&str, &[u8])] = &[
        ("addpd", &[0x66, 0x0f, 0x58, 0xc1]),
        ("subsd", &[0xf2, 0x0f, 0x5c, 0xc1]),
        ("mulpd", &[0x66, 0x0f, 0x59, 0xc1]),
        ("divsd", &[0xf2, 0x0f, 0x5e, 0xc1]),
        ("sqrtpd", &[0x66, 0x0f, 0x51, 0xc1]),
        ("minsd", &[0xf2, 0x0f, 0x5d, 0xc1]),
        ("maxpd", &[0x66, 0x0f, 0x5f, 0xc1]),
        ("cmppd nle", &[0x66, 0x0f, 0xc2, 0xc1, 0x06]),
        ("cmpsd eq", &[0xf2, 0x0f, 0xc2, 0xc1, 0x00]),
        ("comisd", &[0x66, 0x0f, 0x2f, 0xc1]),
        ("ucomisd", &[0x66, 0x0f, 0x2e, 0xc1]),
        ("cvtpd2ps", &[0x66, 0x0f, 0x5a, 0xc1]),
        ("cvtsd2ss", &[0xf2, 0x0f, 0x5a, 0xc1]),
        ("cvtpd2dq", &[0xf2, 0x0f, 0xe6, 0xc1]),
        ("cvttpd2dq", &[0x66, 0x0f, 0xe6, 0xc1]),
        ("cvtsd2si", &[0xf2, 0x0f, 0x2d, 0xc1]),
        ("cvttsd2si", &[0xf2, 0x0f, 0x2c, 0xc1]),
        ("cvtpd2pi", &[0x66, 0x0f, 0x2d, 0xc1]),
        ("addsubpd", &[0x66, 0x0f, 0xd0, 0xc1]),
        ("haddpd", &[0x66, 0x0f, 0x7c, 0xc1]),
        ("hsubpd", &[0x66, 0x0f, 0x7d, 0xc1]),
        ("cvtdq2pd", &[0xf3, 0x0f, 0xe6, 0xc1]),
        ("cvtsi2sd", &[0xf2, 0x0f, 0x2a, 0xc1]),
    ];
    let modes: Vec<u32> = (0..4u32)
        .flat_map(|rc| [0x1f80 | rc << 13, 0x9fc0 | rc << 13, rc << 13])
        .collect();
    for (ops, wide) in [(ops, false), (ops64, true)] {
        for (name, code) in ops {
            for (ai, &mx) in modes.iter().enumerate() {
                let n = if wide {
                    F64_EDGES.len()
                } else {
                    F32_EDGES.len()
                };
                for k in 0..n {
                    // Register pairs walk all lane combinations over the modes.
                    let (a, b) = if wide {
                        let e = &F64_EDGES;
                        (
                            lanes64([e[k], e[(k + 3) % n]]),
                            lanes64([e[(k + ai) % n], e[(k * 5 + ai) % n]]),
                        )
                    } else {
                        let e = &F32_EDGES;
                        (
                            lanes32([e[k], e[(k + 1) % n], e[(k + 7) % n], e[(k + 13) % n]]),
                            lanes32([
                                e[(k + ai) % n],
                                e[(k * 3 + ai) % n],
                                e[n - 1 - k],
                                e[(k + 5) % n],
                            ]),
                        )
                    };
                    let label = format!("{name} k{k} mxcsr {mx:#x}");
                    let xmm = [a, b, 0, 0, 0, 0, 0, 0];
                    push(out, label, code, image(fcw(0), mx, &[], xmm));
                }
            }
        }
    }
}

/// Integer SIMD in MMX and XMM forms, moves of every kind with aligned, misaligned and
/// faulting memory operands, shuffles, MXCSR load/store.
fn simd_integer_and_moves(out: &mut Vec<(String, FpCase)>) {
    let codes: &[(&str, &[u8])] = &[
        ("movaps [eax]", &[0x0f, 0x29, 0x00]),
        ("movaps [eax+4]", &[0x0f, 0x29, 0x40, 0x04]),
        ("movups [eax+4]", &[0x0f, 0x11, 0x40, 0x04]),
        ("movdqa xmm1,[eax+8]", &[0x66, 0x0f, 0x6f, 0x48, 0x08]),
        ("movdqu xmm1,[eax+8]", &[0xf3, 0x0f, 0x6f, 0x48, 0x08]),
        ("lddqu xmm1,[eax+3]", &[0xf2, 0x0f, 0xf0, 0x48, 0x03]),
        ("movntdq [eax]", &[0x66, 0x0f, 0xe7, 0x00]),
        ("movntps [eax]", &[0x0f, 0x2b, 0x00]),
        ("movnti [eax],ecx", &[0x0f, 0xc3, 0x08]),
        ("movntq [eax],mm1", &[0x0f, 0xe7, 0x08]),
        ("movss xmm0,[eax]", &[0xf3, 0x0f, 0x10, 0x00]),
        ("movss xmm0,xmm1", &[0xf3, 0x0f, 0x10, 0xc1]),
        ("movsd [eax],xmm1", &[0xf2, 0x0f, 0x11, 0x08]),
        ("movhps xmm0,[eax]", &[0x0f, 0x16, 0x00]),
        ("movlps [eax],xmm1", &[0x0f, 0x13, 0x08]),
        ("movhlps", &[0x0f, 0x12, 0xc1]),
        ("movlhps", &[0x0f, 0x16, 0xc1]),
        ("movq xmm0,xmm1", &[0xf3, 0x0f, 0x7e, 0xc1]),
        ("movq [eax],xmm1", &[0x66, 0x0f, 0xd6, 0x08]),
        ("movd xmm0,ecx", &[0x66, 0x0f, 0x6e, 0xc1]),
        ("movd ecx,mm1", &[0x0f, 0x7e, 0xc9]),
        ("movq2dq", &[0xf3, 0x0f, 0xd6, 0xc1]),
        ("movdq2q", &[0xf2, 0x0f, 0xd6, 0xc1]),
        ("maskmovq", &[0x0f, 0xf7, 0xc1]),
        ("maskmovdqu", &[0x66, 0x0f, 0xf7, 0xc1]),
        ("pmovmskb eax,xmm1", &[0x66, 0x0f, 0xd7, 0xc1]),
        ("movmskpd", &[0x66, 0x0f, 0x50, 0xc1]),
        ("paddusb mm0,mm1", &[0x0f, 0xdc, 0xc1]),
        ("psubsw xmm0,xmm1", &[0x66, 0x0f, 0xe9, 0xc1]),
        ("pmaddwd", &[0x66, 0x0f, 0xf5, 0xc1]),
        ("psadbw mm0,mm1", &[0x0f, 0xf6, 0xc1]),
        ("pmulhuw", &[0x66, 0x0f, 0xe4, 0xc1]),
        ("pmuludq mm0,mm1", &[0x0f, 0xf4, 0xc1]),
        ("packuswb", &[0x66, 0x0f, 0x67, 0xc1]),
        ("packssdw mm0,mm1", &[0x0f, 0x6b, 0xc1]),
        ("punpckhqdq", &[0x66, 0x0f, 0x6d, 0xc1]),
        ("psllw xmm0,xmm1", &[0x66, 0x0f, 0xf1, 0xc1]),
        ("psrad mm0,7", &[0x0f, 0x72, 0xe0, 0x07]),
        ("psrlq xmm0,33", &[0x66, 0x0f, 0x73, 0xd0, 0x21]),
        ("pslldq xmm0,5", &[0x66, 0x0f, 0x73, 0xf8, 0x05]),
        ("psrldq xmm0,17", &[0x66, 0x0f, 0x73, 0xd8, 0x11]),
        ("pshufd", &[0x66, 0x0f, 0x70, 0xc1, 0x1b]),
        ("pshufw", &[0x0f, 0x70, 0xc1, 0x93]),
        ("pshufhw", &[0xf3, 0x0f, 0x70, 0xc1, 0x4e]),
        ("pextrw", &[0x66, 0x0f, 0xc5, 0xc1, 0x05]),
        ("pinsrw mm0,[eax],2", &[0x0f, 0xc4, 0x00, 0x02]),
        ("shufps", &[0x0f, 0xc6, 0xc1, 0xb1]),
        ("unpckhpd", &[0x66, 0x0f, 0x15, 0xc1]),
        ("movddup", &[0xf2, 0x0f, 0x12, 0xc1]),
        ("movshdup", &[0xf3, 0x0f, 0x16, 0xc1]),
        ("movsldup", &[0xf3, 0x0f, 0x12, 0xc1]),
        ("pavgb xmm0,[eax]", &[0x66, 0x0f, 0xe0, 0x00]),
        ("pcmpgtd mm0,[eax]", &[0x0f, 0x66, 0x00]),
        ("ldmxcsr [eax]", &[0x0f, 0xae, 0x10]),
        ("stmxcsr; ldmxcsr", &[0x0f, 0xae, 0x18, 0x0f, 0xae, 0x10]),
        (
            "prefetchnta; sfence; lfence; mfence",
            &[
                0x0f, 0x18, 0x00, 0x0f, 0xae, 0xf8, 0x0f, 0xae, 0xe8, 0x0f, 0xae, 0xf0,
            ],
        ),
        ("clflush [eax]", &[0x0f, 0xae, 0x38]),
        ("emms", &[0x0f, 0x77]),
    ];
    let regs: [u128; 6] = [
        0,
        u128::MAX,
        0x8000_7fff_ff80_007f_0001_ffff_8000_0001,
        0x0123_4567_89ab_cdef_fedc_ba98_7654_3210,
        lanes32([0x7fc0_0000, 0x3f80_0000, 0x8000_0000, 0xff80_0000]),
        0xffff_0000_8080_7f7f_0000_ffff_7f80_8001,
    ];
    for (name, code) in codes {
        for (ai, &a) in regs.iter().enumerate() {
            for (bi, &b) in regs.iter().enumerate() {
                let mut img = image(fcw(0), 0x1f80, &[], [a, b, a ^ b, 0, 0, 0, 0, 0]);
                // mm0/mm1 too (the low quadwords), as valid registers.
                for (r, v) in [(0, a), (1, b)] {
                    let o = 32 + 16 * r;
                    img[o..o + 8].copy_from_slice(&(v as u64).to_le_bytes());
                    img[o + 8..o + 10].copy_from_slice(&0xffffu16.to_le_bytes());
                }
                img[4] = 0xff;
                let label = format!("{name} a#{ai} b#{bi}");
                push(out, label, code, img);
            }
        }
        for (where_, addr) in [
            ("ro", DATA + 0x1000),
            ("cross", DATA + 0xff8),
            ("unmapped", DATA + 0x2000),
        ] {
            let mut c = case(code);
            c.regs[0] = addr;
            c.regs[7] = addr;
            out.push((
                format!("{name} {where_}"),
                FpCase {
                    case: c,
                    image: image(fcw(0), 0x1f80, &[], [regs[3]; 8]),
                },
            ));
        }
    }
}
