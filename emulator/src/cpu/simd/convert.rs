//! Conversions between signed 32-bit integers, binary32 and binary64: every `cvt*` and
//! `cvtt*` of SSE and SSE2, including the MMX-operand forms (`cvtpi2ps`, `cvtps2pi`,
//! `cvtpd2pi`, ...). Float-to-integer conversions give the "integer indefinite"
//! 0x80000000 with IE on NaN or overflow; `cvtt*` truncate, the others use MXCSR.RC.
//!
//! Each function returns its result and the exceptions raised; pass them to
//! [`Mxcsr::commit`]. Element arithmetic lives in `ieee`.

use super::ieee::{self, Control, Format, BINARY32, BINARY64};
use super::mxcsr::{Exceptions, Mxcsr, Rounding};
use super::xmm::Xmm;

#[inline]
fn control(mxcsr: Mxcsr, truncate: bool) -> Control {
    let ctl = Control::new(mxcsr);
    if truncate {
        ctl.with_rounding(Rounding::TowardZero)
    } else {
        ctl
    }
}

/// Converts float lanes to int32 lanes.
#[inline]
fn floats_to_ints<const N: usize>(
    fmt: Format,
    lanes: [u64; N],
    mxcsr: Mxcsr,
    truncate: bool,
) -> ([u32; N], Exceptions) {
    let ctl = control(mxcsr, truncate);
    let mut flags = Exceptions::NONE;
    let out = lanes.map(|x| {
        let (r, f) = ieee::to_int32(fmt, x, ctl);
        flags |= f;
        r
    });
    (out, flags)
}

#[inline]
fn ints_to_floats<const N: usize>(
    fmt: Format,
    lanes: [u32; N],
    mxcsr: Mxcsr,
) -> ([u64; N], Exceptions) {
    let ctl = Control::new(mxcsr);
    let mut flags = Exceptions::NONE;
    let out = lanes.map(|x| {
        let (r, f) = ieee::from_int32(fmt, x as i32, ctl);
        flags |= f;
        r
    });
    (out, flags)
}

#[inline]
fn change_format<const N: usize>(
    from: Format,
    to: Format,
    lanes: [u64; N],
    mxcsr: Mxcsr,
) -> ([u64; N], Exceptions) {
    let ctl = Control::new(mxcsr);
    let mut flags = Exceptions::NONE;
    let out = lanes.map(|x| {
        let (r, f) = ieee::convert_format(from, to, x, ctl);
        flags |= f;
        r
    });
    (out, flags)
}

#[inline]
fn split32(v: u64) -> [u32; 2] {
    [v as u32, (v >> 32) as u32]
}
#[inline]
fn join32(lanes: [u32; 2]) -> u64 {
    lanes[0] as u64 | (lanes[1] as u64) << 32
}
#[inline]
fn widen<const N: usize>(lanes: [u32; N]) -> [u64; N] {
    lanes.map(|x| x as u64)
}
#[inline]
fn narrow<const N: usize>(lanes: [u64; N]) -> [u32; N] {
    lanes.map(|x| x as u32)
}

/// `cvtsi2ss xmm, r/m32`: upper lanes from `a`.
pub fn cvtsi2ss(a: Xmm, value: i32, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    let (r, f) = ieee::from_int32(BINARY32, value, Control::new(mxcsr));
    (a.with_low32(r as u32), f)
}
/// `cvtsi2sd xmm, r/m32`: always exact.
pub fn cvtsi2sd(a: Xmm, value: i32, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    let (r, f) = ieee::from_int32(BINARY64, value, Control::new(mxcsr));
    (a.with_low64(r), f)
}
/// `cvtss2si r32, xmm/m32`.
pub fn cvtss2si(b: u32, mxcsr: Mxcsr) -> (u32, Exceptions) {
    ieee::to_int32(BINARY32, b as u64, control(mxcsr, false))
}
/// `cvttss2si r32, xmm/m32`.
pub fn cvttss2si(b: u32, mxcsr: Mxcsr) -> (u32, Exceptions) {
    ieee::to_int32(BINARY32, b as u64, control(mxcsr, true))
}
/// `cvtsd2si r32, xmm/m64`.
pub fn cvtsd2si(b: u64, mxcsr: Mxcsr) -> (u32, Exceptions) {
    ieee::to_int32(BINARY64, b, control(mxcsr, false))
}
/// `cvttsd2si r32, xmm/m64`.
pub fn cvttsd2si(b: u64, mxcsr: Mxcsr) -> (u32, Exceptions) {
    ieee::to_int32(BINARY64, b, control(mxcsr, true))
}
/// `cvtss2sd xmm, xmm/m32`: upper lane from `a`.
pub fn cvtss2sd(a: Xmm, b: u32, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    let (r, f) = ieee::convert_format(BINARY32, BINARY64, b as u64, Control::new(mxcsr));
    (a.with_low64(r), f)
}
/// `cvtsd2ss xmm, xmm/m64`: upper lanes from `a`.
pub fn cvtsd2ss(a: Xmm, b: u64, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    let (r, f) = ieee::convert_format(BINARY64, BINARY32, b, Control::new(mxcsr));
    (a.with_low32(r as u32), f)
}
/// `cvtps2pd xmm, xmm/m64`: the two low binary32 lanes of `b`, widened.
pub fn cvtps2pd(b: u64, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    let (r, f) = change_format(BINARY32, BINARY64, widen(split32(b)), mxcsr);
    (Xmm::from_u64x2(r), f)
}
/// `cvtpd2ps xmm, xmm/m128`: upper 64 bits of the result are zero.
pub fn cvtpd2ps(b: Xmm, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    let (r, f) = change_format(BINARY64, BINARY32, b.u64x2(), mxcsr);
    (Xmm(join32(narrow(r)) as u128), f)
}
/// `cvtdq2ps`.
pub fn cvtdq2ps(b: Xmm, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    let (r, f) = ints_to_floats(BINARY32, b.u32x4(), mxcsr);
    (Xmm::from_u32x4(narrow(r)), f)
}
/// `cvtps2dq`.
pub fn cvtps2dq(b: Xmm, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    let (r, f) = floats_to_ints(BINARY32, widen(b.u32x4()), mxcsr, false);
    (Xmm::from_u32x4(r), f)
}
/// `cvttps2dq`.
pub fn cvttps2dq(b: Xmm, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    let (r, f) = floats_to_ints(BINARY32, widen(b.u32x4()), mxcsr, true);
    (Xmm::from_u32x4(r), f)
}
/// `cvtdq2pd xmm, xmm/m64`: the two low int32 lanes of `b`; always exact.
pub fn cvtdq2pd(b: u64, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    let (r, f) = ints_to_floats(BINARY64, split32(b), mxcsr);
    (Xmm::from_u64x2(r), f)
}
/// `cvtpd2dq`: upper 64 bits of the result are zero.
pub fn cvtpd2dq(b: Xmm, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    let (r, f) = floats_to_ints(BINARY64, b.u64x2(), mxcsr, false);
    (Xmm(join32(r) as u128), f)
}
/// `cvttpd2dq`: upper 64 bits of the result are zero.
pub fn cvttpd2dq(b: Xmm, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    let (r, f) = floats_to_ints(BINARY64, b.u64x2(), mxcsr, true);
    (Xmm(join32(r) as u128), f)
}
/// `cvtpi2ps xmm, mm/m64`: two int32 lanes into the low half; upper half from `a`.
pub fn cvtpi2ps(a: Xmm, b: u64, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    let (r, f) = ints_to_floats(BINARY32, split32(b), mxcsr);
    (a.with_low64(join32(narrow(r))), f)
}
/// `cvtps2pi mm, xmm/m64`.
pub fn cvtps2pi(b: u64, mxcsr: Mxcsr) -> (u64, Exceptions) {
    let (r, f) = floats_to_ints(BINARY32, widen(split32(b)), mxcsr, false);
    (join32(r), f)
}
/// `cvttps2pi mm, xmm/m64`.
pub fn cvttps2pi(b: u64, mxcsr: Mxcsr) -> (u64, Exceptions) {
    let (r, f) = floats_to_ints(BINARY32, widen(split32(b)), mxcsr, true);
    (join32(r), f)
}
/// `cvtpi2pd xmm, mm/m64`: always exact.
pub fn cvtpi2pd(b: u64, mxcsr: Mxcsr) -> (Xmm, Exceptions) {
    cvtdq2pd(b, mxcsr)
}
/// `cvtpd2pi mm, xmm/m128`.
pub fn cvtpd2pi(b: Xmm, mxcsr: Mxcsr) -> (u64, Exceptions) {
    let (r, f) = floats_to_ints(BINARY64, b.u64x2(), mxcsr, false);
    (join32(r), f)
}
/// `cvttpd2pi mm, xmm/m128`.
pub fn cvttpd2pi(b: Xmm, mxcsr: Mxcsr) -> (u64, Exceptions) {
    let (r, f) = floats_to_ints(BINARY64, b.u64x2(), mxcsr, true);
    (join32(r), f)
}
