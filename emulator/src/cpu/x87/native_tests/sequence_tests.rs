//! Whole-state differential test: random sequences of x87 instructions (loads, stores,
//! register and memory arithmetic, stack manipulation, comparisons, FCMOV, control-word
//! changes with unmasked exceptions) run natively and on `X87State`. The native side carries
//! its state between steps in an FNSAVE image (FRSTOR, one instruction, FNSAVE), so after
//! every step the control, status and tag words, all eight registers, the stored memory
//! operand and EFLAGS are compared. Pending unmasked exceptions are compared and then cleared
//! on both sides (natively they would trap at the next waiting instruction).

use super::values::{fuzz_cases, ulps, Rng};
use crate::cpu::x87::{ArithOp, Constant, FcmovCondition, X87State, F80};

type NativeStep = fn(&mut [u8; 108], &mut [u8; 32], u64) -> u64;
type SoftStep = fn(&mut X87State, &mut [u8; 32], u32) -> u32;

/// EFLAGS bits compared: OF, SF, ZF, AF, PF, CF.
const EFLAGS_ARITH: u64 = 0x8D5;

macro_rules! native {
    ($($insn:literal),+) => {{
        fn run(img: &mut [u8; 108], mem: &mut [u8; 32], flags: u64) -> u64 {
            let out: u64;
            // SAFETY: touches only the x87 state (restored from and saved to `img`), `mem`
            // and the arithmetic flags; the x87 stack is left empty by FNSAVE.
            unsafe {
                core::arch::asm!(
                    "push {f}",
                    "popfq",
                    "frstor [{img}]",
                    $($insn,)+
                    "# {m}",
                    "fnsave [{img}]",
                    "pushfq",
                    "pop {f}",
                    img = in(reg) img.as_mut_ptr(),
                    m = in(reg) mem.as_mut_ptr(),
                    f = inout(reg) flags => out,
                    out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
                    out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
                );
            }
            out
        }
        run as NativeStep
    }};
}

/// What the memory operand holds before the step.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mem {
    /// Unused or a store destination (pre-filled with 0xEE).
    Out,
    F80,
    F32,
    F64,
    I16,
    I32,
    I64,
    Bcd,
    ControlWord,
}

fn m80(m: &[u8; 32]) -> F80 {
    let mut b = [0u8; 10];
    b.copy_from_slice(&m[..10]);
    F80::from_bytes(b)
}
fn m16(m: &[u8; 32]) -> u16 {
    u16::from_le_bytes([m[0], m[1]])
}
fn m32(m: &[u8; 32]) -> u32 {
    u32::from_le_bytes([m[0], m[1], m[2], m[3]])
}
fn m64(m: &[u8; 32]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&m[..8]);
    u64::from_le_bytes(b)
}
fn put(m: &mut [u8; 32], bytes: &[u8]) {
    m[..bytes.len()].copy_from_slice(bytes);
}

struct Step {
    name: &'static str,
    native: NativeStep,
    soft: SoftStep,
    mem: Mem,
    /// Transcendental: results may differ from the host by one ulp (and C1/PE with them);
    /// after such a step the software state is resynchronised from the host's.
    approximate: bool,
}

macro_rules! step {
    ($name:literal, $mem:ident, [$($insn:literal),+], $soft:expr) => {
        Step { name: $name, native: native!($($insn),+), soft: $soft, mem: Mem::$mem, approximate: false }
    };
}

macro_rules! approximate_step {
    ($name:literal, [$insn:literal], $soft:expr) => {
        Step {
            name: $name,
            native: native!($insn),
            soft: $soft,
            mem: Mem::Out,
            approximate: true,
        }
    };
}

fn arith(op: ArithOp, dst: usize, src: usize, pop: bool) -> impl Fn(&mut X87State) {
    move |s| s.arith_st(op, dst, src, pop)
}

#[rustfmt::skip]
fn steps() -> Vec<Step> {
    use ArithOp::*;
    vec![
        step!("fld m80", F80, ["fld tbyte ptr [{m}]"], |s, m, f| { s.fld_f80(m80(m)); f }),
        step!("fld m80", F80, ["fld tbyte ptr [{m}]"], |s, m, f| { s.fld_f80(m80(m)); f }),
        step!("fld m32", F32, ["fld dword ptr [{m}]"], |s, m, f| { s.fld_f32(m32(m)); f }),
        step!("fld m64", F64, ["fld qword ptr [{m}]"], |s, m, f| { s.fld_f64(m64(m)); f }),
        step!("fild m16", I16, ["fild word ptr [{m}]"], |s, m, f| { s.fild(m16(m) as i16 as i64); f }),
        step!("fild m32", I32, ["fild dword ptr [{m}]"], |s, m, f| { s.fild(m32(m) as i32 as i64); f }),
        step!("fild m64", I64, ["fild qword ptr [{m}]"], |s, m, f| { s.fild(m64(m) as i64); f }),
        step!("fbld", Bcd, ["fbld tbyte ptr [{m}]"], |s, m, f| { let mut b = [0u8; 10]; b.copy_from_slice(&m[..10]); s.fbld(b); f }),
        step!("fld1", Out, ["fld1"], |s, _, f| { s.fld_constant(Constant::One); f }),
        step!("fldl2t", Out, ["fldl2t"], |s, _, f| { s.fld_constant(Constant::Log2Ten); f }),
        step!("fldl2e", Out, ["fldl2e"], |s, _, f| { s.fld_constant(Constant::Log2E); f }),
        step!("fldpi", Out, ["fldpi"], |s, _, f| { s.fld_constant(Constant::Pi); f }),
        step!("fldlg2", Out, ["fldlg2"], |s, _, f| { s.fld_constant(Constant::Log10Two); f }),
        step!("fldln2", Out, ["fldln2"], |s, _, f| { s.fld_constant(Constant::LnTwo); f }),
        step!("fldz", Out, ["fldz"], |s, _, f| { s.fld_constant(Constant::Zero); f }),
        step!("fld st(1)", Out, ["fld st(1)"], |s, _, f| { s.fld_st(1); f }),
        step!("fld st(5)", Out, ["fld st(5)"], |s, _, f| { s.fld_st(5); f }),
        step!("fst st(2)", Out, ["fst st(2)"], |s, _, f| { s.fst_st(2, false); f }),
        step!("fstp st(1)", Out, ["fstp st(1)"], |s, _, f| { s.fst_st(1, true); f }),
        step!("fstp m80", Out, ["fstp tbyte ptr [{m}]"], |s, m, f| { if let Some(v) = s.fstp_f80() { put(m, &v.to_bytes()) } f }),
        step!("fst m32", Out, ["fst dword ptr [{m}]"], |s, m, f| { if let Some(v) = s.fst_f32(false) { put(m, &v.to_le_bytes()) } f }),
        step!("fstp m32", Out, ["fstp dword ptr [{m}]"], |s, m, f| { if let Some(v) = s.fst_f32(true) { put(m, &v.to_le_bytes()) } f }),
        step!("fst m64", Out, ["fst qword ptr [{m}]"], |s, m, f| { if let Some(v) = s.fst_f64(false) { put(m, &v.to_le_bytes()) } f }),
        step!("fstp m64", Out, ["fstp qword ptr [{m}]"], |s, m, f| { if let Some(v) = s.fst_f64(true) { put(m, &v.to_le_bytes()) } f }),
        step!("fist m16", Out, ["fist word ptr [{m}]"], |s, m, f| { if let Some(v) = s.fist(16, false) { put(m, &(v as u16).to_le_bytes()) } f }),
        step!("fistp m32", Out, ["fistp dword ptr [{m}]"], |s, m, f| { if let Some(v) = s.fist(32, true) { put(m, &(v as u32).to_le_bytes()) } f }),
        step!("fistp m64", Out, ["fistp qword ptr [{m}]"], |s, m, f| { if let Some(v) = s.fist(64, true) { put(m, &v.to_le_bytes()) } f }),
        step!("fisttp m16", Out, ["fisttp word ptr [{m}]"], |s, m, f| { if let Some(v) = s.fisttp(16) { put(m, &(v as u16).to_le_bytes()) } f }),
        step!("fisttp m64", Out, ["fisttp qword ptr [{m}]"], |s, m, f| { if let Some(v) = s.fisttp(64) { put(m, &v.to_le_bytes()) } f }),
        step!("fbstp", Out, ["fbstp tbyte ptr [{m}]"], |s, m, f| { if let Some(v) = s.fbstp() { put(m, &v) } f }),
        step!("fadd st0,st1", Out, ["fadd st(0), st(1)"], |s, _, f| { arith(Add, 0, 1, false)(s); f }),
        step!("fmul st0,st2", Out, ["fmul st(0), st(2)"], |s, _, f| { arith(Mul, 0, 2, false)(s); f }),
        step!("fsub st0,st1", Out, [".byte 0xD8, 0xE1"], |s, _, f| { arith(Sub, 0, 1, false)(s); f }),
        step!("fsubr st0,st1", Out, [".byte 0xD8, 0xE9"], |s, _, f| { arith(SubR, 0, 1, false)(s); f }),
        step!("fdiv st0,st1", Out, [".byte 0xD8, 0xF1"], |s, _, f| { arith(Div, 0, 1, false)(s); f }),
        step!("fdivr st0,st3", Out, [".byte 0xD8, 0xFB"], |s, _, f| { arith(DivR, 0, 3, false)(s); f }),
        step!("fsub st2,st0", Out, [".byte 0xDC, 0xEA"], |s, _, f| { arith(Sub, 2, 0, false)(s); f }),
        step!("fsubr st1,st0", Out, [".byte 0xDC, 0xE1"], |s, _, f| { arith(SubR, 1, 0, false)(s); f }),
        step!("fdiv st1,st0", Out, [".byte 0xDC, 0xF9"], |s, _, f| { arith(Div, 1, 0, false)(s); f }),
        step!("fdivr st2,st0", Out, [".byte 0xDC, 0xF2"], |s, _, f| { arith(DivR, 2, 0, false)(s); f }),
        step!("faddp st1", Out, [".byte 0xDE, 0xC1"], |s, _, f| { arith(Add, 1, 0, true)(s); f }),
        step!("fmulp st2", Out, [".byte 0xDE, 0xCA"], |s, _, f| { arith(Mul, 2, 0, true)(s); f }),
        step!("fsubp st1", Out, [".byte 0xDE, 0xE9"], |s, _, f| { arith(Sub, 1, 0, true)(s); f }),
        step!("fsubrp st1", Out, [".byte 0xDE, 0xE1"], |s, _, f| { arith(SubR, 1, 0, true)(s); f }),
        step!("fdivp st1", Out, [".byte 0xDE, 0xF9"], |s, _, f| { arith(Div, 1, 0, true)(s); f }),
        step!("fdivrp st1", Out, [".byte 0xDE, 0xF1"], |s, _, f| { arith(DivR, 1, 0, true)(s); f }),
        step!("fadd m32", F32, ["fadd dword ptr [{m}]"], |s, m, f| { s.arith_mem_f32(Add, m32(m)); f }),
        step!("fsub m64", F64, ["fsub qword ptr [{m}]"], |s, m, f| { s.arith_mem_f64(Sub, m64(m)); f }),
        step!("fsubr m32", F32, ["fsubr dword ptr [{m}]"], |s, m, f| { s.arith_mem_f32(SubR, m32(m)); f }),
        step!("fmul m64", F64, ["fmul qword ptr [{m}]"], |s, m, f| { s.arith_mem_f64(Mul, m64(m)); f }),
        step!("fdiv m32", F32, ["fdiv dword ptr [{m}]"], |s, m, f| { s.arith_mem_f32(Div, m32(m)); f }),
        step!("fdivr m64", F64, ["fdivr qword ptr [{m}]"], |s, m, f| { s.arith_mem_f64(DivR, m64(m)); f }),
        step!("fiadd m16", I16, ["fiadd word ptr [{m}]"], |s, m, f| { s.arith_mem_int(Add, m16(m) as i16 as i64); f }),
        step!("fimul m32", I32, ["fimul dword ptr [{m}]"], |s, m, f| { s.arith_mem_int(Mul, m32(m) as i32 as i64); f }),
        step!("fidivr m32", I32, ["fidivr dword ptr [{m}]"], |s, m, f| { s.arith_mem_int(DivR, m32(m) as i32 as i64); f }),
        step!("fsqrt", Out, ["fsqrt"], |s, _, f| { s.fsqrt(); f }),
        step!("fchs", Out, ["fchs"], |s, _, f| { s.fchs(); f }),
        step!("fabs", Out, ["fabs"], |s, _, f| { s.fabs(); f }),
        step!("frndint", Out, ["frndint"], |s, _, f| { s.frndint(); f }),
        step!("fscale", Out, ["fscale"], |s, _, f| { s.fscale(); f }),
        step!("fxtract", Out, ["fxtract"], |s, _, f| { s.fxtract(); f }),
        step!("fprem", Out, ["fprem"], |s, _, f| { s.fprem(false); f }),
        step!("fprem1", Out, ["fprem1"], |s, _, f| { s.fprem(true); f }),
        step!("fxch st1", Out, ["fxch st(1)"], |s, _, f| { s.fxch(1); f }),
        step!("fxch st3", Out, ["fxch st(3)"], |s, _, f| { s.fxch(3); f }),
        step!("fincstp", Out, ["fincstp"], |s, _, f| { s.fincstp(); f }),
        step!("fdecstp", Out, ["fdecstp"], |s, _, f| { s.fdecstp(); f }),
        step!("ffree st2", Out, ["ffree st(2)"], |s, _, f| { s.ffree(2); f }),
        step!("ffreep st1", Out, [".byte 0xDF, 0xC1"], |s, _, f| { s.ffreep(1); f }),
        step!("fcom st1", Out, ["fcom st(1)"], |s, _, f| { s.fcom_st(1, false, 0); f }),
        step!("fcomp st2", Out, ["fcomp st(2)"], |s, _, f| { s.fcom_st(2, false, 1); f }),
        step!("fcompp", Out, ["fcompp"], |s, _, f| { s.fcom_st(1, false, 2); f }),
        step!("fucom st1", Out, ["fucom st(1)"], |s, _, f| { s.fcom_st(1, true, 0); f }),
        step!("fucompp", Out, ["fucompp"], |s, _, f| { s.fcom_st(1, true, 2); f }),
        step!("fcom m32", F32, ["fcom dword ptr [{m}]"], |s, m, f| { s.fcom_mem_f32(m32(m), false); f }),
        step!("fcomp m64", F64, ["fcomp qword ptr [{m}]"], |s, m, f| { s.fcom_mem_f64(m64(m), true); f }),
        step!("ficom m16", I16, ["ficom word ptr [{m}]"], |s, m, f| { s.ficom(m16(m) as i16 as i64, false); f }),
        step!("ftst", Out, ["ftst"], |s, _, f| { s.ftst(); f }),
        step!("fxam", Out, ["fxam"], |s, _, f| { s.fxam(); f }),
        step!("fcomi st1", Out, ["fcomi st, st(1)"], |s, _, f| { (f & !0x8D5) | s.fcomi(1, false, false) }),
        step!("fucomip st2", Out, ["fucomip st, st(2)"], |s, _, f| { (f & !0x8D5) | s.fcomi(2, true, true) }),
        step!("fcmovb st1", Out, ["fcmovb st, st(1)"], |s, _, f| { s.fcmov(FcmovCondition::Below, f, 1); f }),
        step!("fcmovne st2", Out, ["fcmovne st, st(2)"], |s, _, f| { s.fcmov(FcmovCondition::NotEqual, f, 2); f }),
        step!("fcmovbe st1", Out, ["fcmovbe st, st(1)"], |s, _, f| { s.fcmov(FcmovCondition::BelowOrEqual, f, 1); f }),
        step!("fcmovnu st3", Out, ["fcmovnu st, st(3)"], |s, _, f| { s.fcmov(FcmovCondition::NotUnordered, f, 3); f }),
        step!("fldcw", ControlWord, ["fldcw word ptr [{m}]"], |s, m, f| { s.fldcw(m16(m)); f }),
        step!("fnstcw", Out, ["fnstcw word ptr [{m}]"], |s, m, f| { put(m, &s.fnstcw().to_le_bytes()); f }),
        step!("fnstsw", Out, ["fnstsw word ptr [{m}]"], |s, m, f| { put(m, &s.fnstsw().to_le_bytes()); f }),
        step!("fnclex", Out, ["fnclex"], |s, _, f| { s.fnclex(); f }),
        step!("movq mm1, m64", I64, ["movq mm1, qword ptr [{m}]"], |s, m, f| { s.mmx_write(1, m64(m)); f }),
        step!("movq m64, mm6", Out, ["movq qword ptr [{m}], mm6"], |s, m, f| { put(m, &s.mmx_read(6).to_le_bytes()); f }),
        step!("emms", Out, ["emms"], |s, _, f| { s.emms(); f }),
        approximate_step!("fsin", ["fsin"], |s, _, f| { s.fsin(); f }),
        approximate_step!("fcos", ["fcos"], |s, _, f| { s.fcos(); f }),
        approximate_step!("fsincos", ["fsincos"], |s, _, f| { s.fsincos(); f }),
        approximate_step!("fptan", ["fptan"], |s, _, f| { s.fptan(); f }),
        approximate_step!("fpatan", ["fpatan"], |s, _, f| { s.fpatan(); f }),
        approximate_step!("fyl2x", ["fyl2x"], |s, _, f| { s.fyl2x(); f }),
        approximate_step!("f2xm1", ["f2xm1"], |s, _, f| { s.f2xm1(); f }),
    ]
}

fn fill_memory(rng: &mut Rng, kind: Mem, mem: &mut [u8; 32]) {
    *mem = [0xEE; 32];
    match kind {
        Mem::Out => {}
        Mem::F80 => put(mem, &rng.value().to_bytes()),
        Mem::F32 | Mem::F64 => {
            let r = rng.next();
            let bits = match rng.below(4) {
                0 => r | 0x7FF0_0000_0000_0000,
                1 => r & 0x800F_FFFF_FFFF_FFFF,
                2 => (r & 0x800F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000,
                _ => r,
            };
            if kind == Mem::F32 {
                put(mem, &((bits >> 32) as u32).to_le_bytes());
            } else {
                put(mem, &bits.to_le_bytes());
            }
        }
        Mem::I16 | Mem::I32 | Mem::I64 => {
            let v = rng.next() >> rng.below(64);
            put(mem, &v.to_le_bytes());
        }
        Mem::Bcd => {
            for b in mem.iter_mut().take(9) {
                *b = ((rng.below(10) as u8) << 4) | rng.below(10) as u8;
            }
            mem[9] = if rng.below(2) == 0 { 0 } else { 0x80 };
        }
        Mem::ControlWord => {
            let masks = if rng.below(2) == 0 {
                0x3F
            } else {
                0x3F & !(1 << rng.below(6)) & !(rng.next() as u16 & 0x3F & rng.next() as u16)
            };
            let cw = masks | ((rng.below(4) as u16) << 8) | ((rng.below(4) as u16) << 10) | 0x40;
            put(mem, &cw.to_le_bytes());
        }
    }
}

/// Equality of two FNSAVE images up to one ulp per register and the C1 and PE bits.
fn approximately_equal(native: &[u8; 108], soft: &[u8; 108]) -> bool {
    let word = |img: &[u8; 108], o: usize| u16::from_le_bytes([img[o], img[o + 1]]);
    let reg = |img: &[u8; 108], i: usize| {
        let mut b = [0u8; 10];
        b.copy_from_slice(&img[28 + 10 * i..38 + 10 * i]);
        F80::from_bytes(b)
    };
    word(native, 0) == word(soft, 0)
        && word(native, 4) & !0x0220 == word(soft, 4) & !0x0220
        && word(native, 8) == word(soft, 8)
        && (0..8).all(|i| matches!(ulps(reg(native, i), reg(soft, i)), Some(0..=1)))
}

/// The compared parts of an FNSAVE image: control, status and tag words and the registers.
fn comparable(image: &[u8; 108]) -> Vec<u8> {
    let mut v = Vec::with_capacity(86);
    v.extend_from_slice(&image[0..2]);
    v.extend_from_slice(&image[4..6]);
    v.extend_from_slice(&image[8..10]);
    v.extend_from_slice(&image[28..]);
    v
}

fn describe(image: &[u8; 108]) -> String {
    let w = |o: usize| u16::from_le_bytes([image[o], image[o + 1]]);
    let mut s = format!("cw={:04X} sw={:04X} tw={:04X}", w(0), w(4), w(8));
    for i in 0..8 {
        let mut b = [0u8; 10];
        b.copy_from_slice(&image[28 + 10 * i..38 + 10 * i]);
        s += &format!(" st{i}={:?}", F80::from_bytes(b));
    }
    s
}

/// FRSTOR `image`, then FXSAVE, FNSTENV and FNSTCW (FNSTENV masks all exceptions) natively.
fn native_env_and_fxsave(image: &[u8; 108]) -> ([u8; 28], [u8; 512], u16) {
    let mut image = *image;
    let mut env = [0u8; 28];
    let mut area = Fxsave([0u8; 512]);
    let mut cw_after = 0u16;
    // SAFETY: x87 state and the local buffers only; FNINIT leaves the stack empty.
    unsafe {
        core::arch::asm!(
            "frstor [{img}]",
            "fxsave [{area}]",
            "fnstenv [{env}]",
            "fnstcw word ptr [{cw}]",
            "fninit",
            img = in(reg) image.as_mut_ptr(),
            area = in(reg) area.0.as_mut_ptr(),
            env = in(reg) env.as_mut_ptr(),
            cw = in(reg) &mut cw_after,
            out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
            out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
            options(nostack),
        );
    }
    (env, area.0, cw_after)
}

/// FXSAVE needs a 16-byte aligned area.
#[repr(C, align(16))]
struct Fxsave([u8; 512]);

/// Compares FNSTENV (control, status and tag words with their reserved halves) and the x87
/// part of FXSAVE (words, abridged tag, registers) for the state in `image`.
fn check_env_and_fxsave(image: &[u8; 108], soft: &X87State) -> Option<String> {
    let (native_env, native_area, native_cw_after) = native_env_and_fxsave(image);
    let mut s = *soft;
    let mut soft_area = [0u8; 512];
    s.fxsave(&mut soft_area);
    let soft_env = s.fnstenv();
    let env_same = native_env[..12] == soft_env[..12] && native_cw_after == s.fnstcw();
    let fx_same = native_area[..5] == soft_area[..5] && native_area[32..160] == soft_area[32..160];
    if env_same && fx_same {
        None
    } else {
        Some(format!(
            "fnstenv native {:02X?} soft {:02X?}; fxsave native {:02X?} soft {:02X?}",
            &native_env[..12],
            &soft_env[..12],
            &native_area[..48],
            &soft_area[..48]
        ))
    }
}

#[test]
fn x87_native_instruction_sequences() {
    let steps = steps();
    let mut rng = Rng::from_env(51);
    let total = fuzz_cases(100_000);
    let sequence_len = 40;
    let mut executed = 0u64;
    let mut failures = Vec::new();
    let mut failed_steps = 0u64;
    while executed < total {
        let mut soft = X87State::new();
        let mut image = X87State::new().fnsave();
        soft.frstor(&image);
        let mut history: Vec<String> = Vec::new();
        let mut eflags: u32 = 0x202;
        for _ in 0..sequence_len {
            executed += 1;
            let step = &steps[rng.below(steps.len() as u64) as usize];
            let mut mem = [0u8; 32];
            fill_memory(&mut rng, step.mem, &mut mem);
            let mut soft_mem = mem;
            let flags_in = (rng.next() as u32 & 0x8D5) | 0x202;
            history.push(format!("{} mem={:02X?}", step.name, &mem[..10]));
            let native_flags = (step.native)(&mut image, &mut mem, flags_in as u64) as u32;
            let soft_flags = (step.soft)(&mut soft, &mut soft_mem, flags_in);
            let soft_image = { soft }.fnsave();
            let images_agree = if step.approximate {
                approximately_equal(&image, &soft_image)
            } else {
                comparable(&image) == comparable(&soft_image)
            };
            let same = images_agree
                && mem == soft_mem
                && native_flags & EFLAGS_ARITH as u32 == soft_flags & EFLAGS_ARITH as u32;
            if !same {
                failed_steps += 1;
                if failures.len() < 10 {
                    let start = history.len().saturating_sub(6);
                    failures.push(format!(
                        "after {}:\n    native {}\n    soft   {}\n    mem native {:02X?} soft {:02X?} eflags native {:03X} soft {:03X}",
                        history[start..].join(" ; "),
                        describe(&image),
                        describe(&soft_image),
                        &mem[..10],
                        &soft_mem[..10],
                        native_flags & 0x8D5,
                        soft_flags & 0x8D5
                    ));
                }
                break;
            }
            eflags = soft_flags;
            if step.approximate {
                soft.frstor(&image);
            }
            // Clear pending exceptions on both sides so the next waiting instruction does
            // not trap natively.
            if soft.has_pending_exception() {
                soft.fnclex();
                image[4] &= !0xFF;
                image[5] &= !0x80;
            }
        }
        let _ = eflags;
        if let Some(problem) = check_env_and_fxsave(&image, &soft) {
            failed_steps += 1;
            if failures.len() < 10 {
                failures.push(format!("{problem}\n    state {}", describe(&image)));
            }
        }
    }
    eprintln!("x87 instruction sequences: {executed} steps, {failed_steps} mismatching sequences");
    for f in &failures {
        eprintln!("  {f}");
    }
    assert_eq!(failed_steps, 0, "x87 state differs from the host");
}

/// FLDCW then FNSTCW for every 16-bit pattern: which bits the control word keeps.
#[test]
fn x87_native_control_word_bits() {
    let mut mismatches = Vec::new();
    for cw in 0..=u16::MAX {
        let mut native = 0u16;
        // SAFETY: as above.
        unsafe {
            core::arch::asm!(
                "fninit",
                "fldcw word ptr [{cw}]",
                "fnstcw word ptr [{out}]",
                "fninit",
                cw = in(reg) &cw,
                out = in(reg) &mut native,
                options(nostack),
            );
        }
        let mut soft = X87State::new();
        soft.fldcw(cw);
        if soft.fnstcw() != native && mismatches.len() < 10 {
            mismatches.push(format!(
                "fldcw {cw:04X}: native {native:04X} soft {:04X}",
                soft.fnstcw()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

/// FRSTOR of arbitrary images (random control, status and tag words and registers) followed
/// by FNSAVE, and FXRSTOR of arbitrary areas followed by FXSAVE: what the loads keep, how
/// the tag word is re-derived, and the status word's summary bits.
#[test]
fn x87_native_restore_arbitrary_images() {
    let mut rng = Rng::from_env(52);
    let mut mismatches = Vec::new();
    for _ in 0..fuzz_cases(100_000) / 10 {
        let mut image = [0u8; 108];
        for b in image.iter_mut() {
            *b = rng.next() as u8;
        }
        for i in 0..8 {
            let v = rng.value().to_bytes();
            image[28 + 10 * i..38 + 10 * i].copy_from_slice(&v);
        }
        let original = image;
        let mut mem = [0u8; 32];
        (native!("nop"))(&mut image, &mut mem, 0x202);
        let mut soft = X87State::new();
        soft.frstor(&original);
        let soft_image = soft.fnsave();
        if comparable(&image) != comparable(&soft_image) && mismatches.len() < 10 {
            mismatches.push(format!(
                "frstor {:02X?}\n    native {}\n    soft   {}",
                &original[..12],
                describe(&image),
                describe(&soft_image)
            ));
        }
        // FXRSTOR of an area built from the same bytes (MXCSR kept valid).
        let mut area = Fxsave([0u8; 512]);
        for b in area.0.iter_mut().take(160) {
            *b = rng.next() as u8;
        }
        for i in 0..8 {
            let v = rng.value().to_bytes();
            area.0[32 + 16 * i..42 + 16 * i].copy_from_slice(&v);
        }
        area.0[24..28].copy_from_slice(&0x1F80u32.to_le_bytes());
        area.0[28..32].copy_from_slice(&0u32.to_le_bytes());
        let input = area.0;
        let mut out = Fxsave([0u8; 512]);
        // SAFETY: x87/SSE control state and local buffers only; FNINIT and a default MXCSR
        // are restored afterwards.
        unsafe {
            core::arch::asm!(
                "fxrstor [{a}]",
                "fxsave [{o}]",
                "fninit",
                "push 0x1F80",
                "ldmxcsr [rsp]",
                "add rsp, 8",
                a = in(reg) area.0.as_mut_ptr(),
                o = in(reg) out.0.as_mut_ptr(),
                out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
                out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
            );
        }
        let mut soft = X87State::new();
        soft.fxrstor(&input);
        let mut soft_out = [0u8; 512];
        soft.fxsave(&mut soft_out);
        // Bytes 6..24 (FOP, FIP, FCS, FDP, FDS) are not compared: some processors (AMD)
        // store them only while an exception is pending.
        let same = out.0[..6] == soft_out[..6] && out.0[32..160] == soft_out[32..160];
        if !same && mismatches.len() < 10 {
            mismatches.push(format!(
                "fxrstor {:02X?}: native {:02X?} soft {:02X?}",
                &input[..6],
                &out.0[..48],
                &soft_out[..48]
            ));
        }
    }
    for m in &mismatches {
        eprintln!("  {m}");
    }
    assert!(
        mismatches.is_empty(),
        "restored x87 state differs from the host"
    );
}
