//! Ordering of two elements (`cmp*`, `comis*`, `ucomis*`) and x86's asymmetric
//! `min`/`max`.

use super::{daz, denormal_flag, invalid, Control, Format};
use crate::cpu::simd::mxcsr::Exceptions;
use core::cmp::Ordering;

/// The outcome of comparing two values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    Less,
    Equal,
    Greater,
    Unordered,
}

/// Compares `a` with `b` (after DAZ). `signal_on_qnan` selects the signalling compare
/// (IE on any NaN) versus the quiet one (IE on a signalling NaN only). DE is raised for
/// a denormal operand when no operand is a NaN.
#[inline]
pub fn compare(
    fmt: Format,
    a: u64,
    b: u64,
    signal_on_qnan: bool,
    ctl: Control,
) -> (Relation, Exceptions) {
    let (a, b) = (daz(fmt, a, ctl), daz(fmt, b, ctl));
    if fmt.is_nan(a) || fmt.is_nan(b) {
        let signal = signal_on_qnan || fmt.is_signaling_nan(a) || fmt.is_signaling_nan(b);
        let flags = if signal { invalid() } else { Exceptions::NONE };
        return (Relation::Unordered, flags);
    }
    let denormal = denormal_flag(fmt, a, b);
    (compare_ordered(fmt, a, b), denormal)
}

/// Orders two non-NaN bit patterns by value (+0 equals -0).
#[inline]
fn compare_ordered(fmt: Format, a: u64, b: u64) -> Relation {
    if fmt.is_zero(a) && fmt.is_zero(b) {
        return Relation::Equal;
    }
    let key = |x: u64| -> i128 {
        let magnitude = (x & !fmt.sign_bit()) as i128;
        if fmt.is_negative(x) {
            -magnitude
        } else {
            magnitude
        }
    };
    match key(a).cmp(&key(b)) {
        Ordering::Less => Relation::Less,
        Ordering::Equal => Relation::Equal,
        Ordering::Greater => Relation::Greater,
    }
}

/// `minss`-style minimum (`max` when `want_max`): the first operand if it is strictly
/// smaller (larger), else the second. Any NaN gives the second operand and IE; two zeros
/// give the second operand.
#[inline]
pub fn min_max(fmt: Format, a: u64, b: u64, want_max: bool, ctl: Control) -> (u64, Exceptions) {
    let (da, db) = (daz(fmt, a, ctl), daz(fmt, b, ctl));
    if fmt.is_nan(da) || fmt.is_nan(db) {
        return (db, invalid());
    }
    let denormal = denormal_flag(fmt, da, db);
    let wanted = if want_max {
        Relation::Greater
    } else {
        Relation::Less
    };
    if compare_ordered(fmt, da, db) == wanted {
        (da, denormal)
    } else {
        (db, denormal)
    }
}
