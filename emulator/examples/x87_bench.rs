//! Throughput of the software x87 arithmetic and transcendentals against the host's native
//! x87 instructions.
//!
//! `cargo run --release -p emulator --example x87_bench`
//!
//! Both sides process the same 4096 random normal operand pairs; the native side loads both
//! operands, executes the instruction and stores the 80-bit result, which is the work an
//! emulated instruction has to match. Prints millions of operations per second and the ratio.

use std::hint::black_box;
use std::time::{Duration, Instant};

use emulator::cpu::x87::{arith, transcendental};
use emulator::cpu::x87::{Control, F80};

fn operands() -> Vec<(F80, F80)> {
    let mut state: u64 = 0x0DDB_A11C_0FFE_E000;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..4096)
        .map(|_| {
            let a = F80::from_parts(false, 0x3FF0 + (next() % 32) as u16, next() | 1 << 63);
            let b = F80::from_parts(
                next() & 1 == 1,
                0x3FF0 + (next() % 32) as u16,
                next() | 1 << 63,
            );
            (a, b)
        })
        .collect()
}

/// Runs `f` over all pairs repeatedly for about `budget`; returns operations per second.
fn measure(pairs: &[(F80, F80)], budget: Duration, mut f: impl FnMut(F80, F80) -> F80) -> f64 {
    let start = Instant::now();
    let mut ops: u64 = 0;
    let mut sink = 0u64;
    while start.elapsed() < budget {
        for &(a, b) in pairs {
            sink ^= f(black_box(a), black_box(b)).signif;
        }
        ops += pairs.len() as u64;
    }
    black_box(sink);
    ops as f64 / start.elapsed().as_secs_f64()
}

#[cfg(target_arch = "x86_64")]
mod native {
    use emulator::cpu::x87::F80;

    macro_rules! native_op {
        ($name:ident, $insn:literal) => {
            pub fn $name(a: F80, b: F80) -> F80 {
                let ab = a.to_bytes();
                let bb = b.to_bytes();
                let mut out = [0u8; 10];
                // SAFETY: x87 state and local buffers only; the stack is emptied again.
                unsafe {
                    core::arch::asm!(
                        "fld tbyte ptr [{b}]",
                        "fld tbyte ptr [{a}]",
                        $insn,
                        "fstp tbyte ptr [{out}]",
                        "fstp st(0)",
                        a = in(reg) ab.as_ptr(),
                        b = in(reg) bb.as_ptr(),
                        out = in(reg) out.as_mut_ptr(),
                        out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
                        out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
                        options(nostack),
                    );
                }
                F80::from_bytes(out)
            }
        };
    }

    /// For instructions that pop (the result is left in the only remaining register).
    macro_rules! native_pop_op {
        ($name:ident, $insn:literal) => {
            pub fn $name(a: F80, b: F80) -> F80 {
                let ab = a.to_bytes();
                let bb = b.to_bytes();
                let mut out = [0u8; 10];
                // SAFETY: x87 state and local buffers only; the stack is emptied again.
                unsafe {
                    core::arch::asm!(
                        "fld tbyte ptr [{b}]",
                        "fld tbyte ptr [{a}]",
                        $insn,
                        "fstp tbyte ptr [{out}]",
                        a = in(reg) ab.as_ptr(),
                        b = in(reg) bb.as_ptr(),
                        out = in(reg) out.as_mut_ptr(),
                        out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
                        out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
                        options(nostack),
                    );
                }
                F80::from_bytes(out)
            }
        };
    }

    native_op!(fadd, "fadd st(0), st(1)");
    native_op!(fmul, "fmul st(0), st(1)");
    native_op!(fdiv, "fdiv st(0), st(1)");
    native_op!(fsqrt, "fsqrt");
    native_op!(fsin, "fsin");
    native_op!(fcos, "fcos");
    native_pop_op!(fpatan, "fpatan");
    native_pop_op!(fyl2x, "fyl2x");
}

fn main() {
    let pairs = operands();
    let budget = Duration::from_millis(400);
    type Op = fn(F80, F80) -> F80;
    let soft: [(&str, Op); 8] = [
        ("add", |a, b| arith::add(a, b, Control::from_word(0x037F)).0),
        ("mul", |a, b| arith::mul(a, b, Control::from_word(0x037F)).0),
        ("div", |a, b| arith::div(a, b, Control::from_word(0x037F)).0),
        ("sqrt", |a, _| arith::sqrt(a, Control::from_word(0x037F)).0),
        ("sin", |a, _| {
            transcendental::sin(a, Control::from_word(0x037F)).map_or(a, |r| r.0)
        }),
        ("cos", |a, _| {
            transcendental::cos(a, Control::from_word(0x037F)).map_or(a, |r| r.0)
        }),
        // ST(0) = a, ST(1) = b: atan2(b, a) and b * log2(|a|).
        ("patan", |a, b| {
            transcendental::atan2(b, a, Control::from_word(0x037F)).0
        }),
        ("yl2x", |a, b| {
            transcendental::y_log2_x(b, a.abs(), Control::from_word(0x037F)).0
        }),
    ];
    println!(
        "{:<6} {:>14} {:>14} {:>8}",
        "op", "soft Mops/s", "native Mops/s", "ratio"
    );
    for (i, (name, op)) in soft.iter().enumerate() {
        let soft_rate = measure(&pairs, budget, op);
        #[cfg(target_arch = "x86_64")]
        let native_rate = {
            let natives: [Op; 8] = [
                native::fadd,
                native::fmul,
                native::fdiv,
                native::fsqrt,
                native::fsin,
                native::fcos,
                native::fpatan,
                |a, b| native::fyl2x(a.abs(), b),
            ];
            measure(&pairs, budget, natives[i])
        };
        #[cfg(not(target_arch = "x86_64"))]
        let native_rate = {
            let _ = i;
            f64::NAN
        };
        println!(
            "{:<6} {:>14.1} {:>14.1} {:>8.2}",
            name,
            soft_rate / 1e6,
            native_rate / 1e6,
            native_rate / soft_rate
        );
    }
}
