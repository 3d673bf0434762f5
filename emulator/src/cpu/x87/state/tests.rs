//! Unit tests of the register stack and instruction semantics.

use super::*;
use crate::cpu::x87::convert;

#[test]
fn x87_push_pop_and_overflow() {
    let mut s = X87State::new();
    for n in 0..8 {
        s.fild(n);
    }
    assert_eq!(s.status_word() & 0x3800, 0);
    s.fld_constant(Constant::One);
    // Masked overflow pushes indefinite with IE, SF and C1.
    assert_eq!(s.st(0), F80::INDEFINITE);
    assert_eq!(s.status_word() & 0x0241, 0x0241);
    assert!(!s.has_pending_exception());
}

#[test]
fn x87_unmasked_zero_divide_is_pending_and_keeps_operand() {
    let mut s = X87State::new();
    s.fldcw(0x037B);
    s.fild(0);
    s.fild(1);
    s.arith_st(ArithOp::Div, 0, 1, false);
    assert_eq!(s.st(0), F80::ONE);
    assert!(s.has_pending_exception());
    s.fnclex();
    assert!(!s.has_pending_exception());
}

#[test]
fn x87_stack_underflow_store_gives_indefinite() {
    let mut s = X87State::new();
    assert_eq!(s.fstp_f64(), Some(convert::F64_INDEFINITE));
    assert_eq!(s.fnstsw() & 0x0241, 0x0041);
}

/// Every entry point with arbitrary operands, register indices and control words must
/// return without panicking (overflow checks are on in tests).
#[test]
fn x87_no_panics_on_arbitrary_input() {
    let mut seed: u64 = 0x1234_5678_9ABC_DEF0;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut s = X87State::new();
    let ops = [
        ArithOp::Add,
        ArithOp::Sub,
        ArithOp::SubR,
        ArithOp::Mul,
        ArithOp::Div,
        ArithOp::DivR,
    ];
    for _ in 0..200_000 {
        let r = next();
        let v = F80 {
            signif: next(),
            sign_exp: r as u16,
        };
        let i = match r >> 60 {
            0 => usize::MAX,
            1 => usize::MAX - 3,
            _ => (r >> 20) as usize,
        };
        let op = ops[(r >> 8) as usize % ops.len()];
        match (r >> 32) % 40 {
            0 => s.fld_f80(v),
            1 => s.fld_f32(r as u32),
            2 => s.fld_f64(next()),
            3 => s.fild(next() as i64),
            4 => s.fbld(v.to_bytes()),
            5 => s.arith_st(op, i, 0, r & 1 == 0),
            6 => s.arith_mem_f32(op, r as u32),
            7 => s.arith_mem_f64(op, next()),
            8 => s.arith_mem_int(op, next() as i64),
            9 => s.fldcw(next() as u16),
            10 => {
                let _ = s.fst_f32(r & 1 == 0);
            }
            11 => {
                let _ = s.fst_f64(r & 1 == 0);
            }
            12 => {
                let _ = s.fist((r >> 40) as u32, r & 1 == 0);
            }
            13 => {
                let _ = s.fbstp();
            }
            14 => s.fsqrt(),
            15 => s.fscale(),
            16 => s.fxtract(),
            17 => s.fprem(r & 1 == 0),
            18 => s.fsin(),
            19 => s.fcos(),
            20 => s.fsincos(),
            21 => s.fptan(),
            22 => s.fpatan(),
            23 => s.fyl2x(),
            24 => s.fyl2xp1(),
            25 => s.f2xm1(),
            26 => s.frndint(),
            27 => s.fxch(i),
            28 => s.fcom_st(i, r & 1 == 0, (r >> 40) as u8),
            29 => {
                let _ = s.fcomi(i, r & 1 == 0, r & 2 == 0);
            }
            30 => s.fcmov(FcmovCondition::BelowOrEqual, r as u32, i),
            31 => s.ffree(i),
            32 => s.fst_st(i, r & 1 == 0),
            33 => s.fld_st(i),
            34 => {
                let image = s.fnsave();
                let mut damaged = image;
                damaged[(r as usize) % 108] = (r >> 16) as u8;
                s.frstor(&damaged);
            }
            35 => {
                let mut area = [0u8; 512];
                s.fxsave(&mut area);
                area[(r as usize) % 160] = (r >> 16) as u8;
                s.fxrstor(&area);
            }
            36 => {
                s.mmx_write(i, next());
                let _ = s.mmx_read(i);
            }
            37 => s.fnclex(),
            38 => s.fxam(),
            _ => s.fld_constant(Constant::Pi),
        }
    }
}

#[test]
fn x87_mmx_aliasing() {
    let mut s = X87State::new();
    s.fdecstp();
    s.mmx_write(3, 0x1234);
    assert_eq!(s.top, 0);
    assert_eq!(s.regs[3].sign_exp, 0xFFFF);
    assert_eq!(s.mmx_read(3), 0x1234);
    assert_eq!(s.tag_word() & (3 << 6), 2 << 6);
    s.emms();
    assert_eq!(s.tag_word(), 0xFFFF);
}
