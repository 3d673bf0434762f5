//! Interpreter speed: instructions per second on an integer loop, a memory loop, an x87
//! loop and an SSE loop, and the ratio to the same machine code run natively on the host.
//!
//! Run: `cargo run --release -p emulator --example cpu_bench`. The loops are encoded so
//! the same bytes mean the same thing in 32-bit and 64-bit mode, which lets the native run
//! happen inside this (x86-64) process.

use emulator::cpu::{Cpu, Exit, GuestAddr, PagedMemory, Protection};
use std::time::Instant;

const CODE: u32 = 0x0804_8000;
const DATA: u32 = 0x2000_0000;
const ELEMENTS: u32 = 1024;

/// `l: add eax, ecx; xor eax, 0x55aa55aa; imul eax, eax, 3; dec ecx; jnz l; ret`
const INTEGER_LOOP: &[u8] = &[
    0x01, 0xc8, 0x35, 0xaa, 0x55, 0xaa, 0x55, 0x6b, 0xc0, 0x03, 0xff, 0xc9, 0x75, 0xf2, 0xc3,
];
const INTEGER_LOOP_BODY: u64 = 5;

/// `l: mov edx, [rsi+rbx*4]; add [rdi+rbx*4], edx; inc ebx; and ebx, 1023; dec ecx; jnz l; ret`
const MEMORY_LOOP: &[u8] = &[
    0x8b, 0x14, 0x9e, 0x01, 0x14, 0x9f, 0xff, 0xc3, 0x81, 0xe3, 0xff, 0x03, 0x00, 0x00, 0xff, 0xc9,
    0x75, 0xee, 0xc3,
];
const MEMORY_LOOP_BODY: u64 = 6;

/// `fld1; fldz; l: fadd st,st1; fmul qword [rsi]; fld st0; fsqrt; fstp qword [rdi];
/// dec ecx; jnz l; fstp st0; fstp st0; ret` ([rsi] = 0.999, so the sum stays bounded).
const X87_LOOP: &[u8] = &[
    0xd9, 0xe8, 0xd9, 0xee, 0xd8, 0xc1, 0xdc, 0x0e, 0xd9, 0xc0, 0xd9, 0xfa, 0xdd, 0x1f, 0xff, 0xc9,
    0x75, 0xf2, 0xdd, 0xd8, 0xdd, 0xd8, 0xc3,
];
const X87_LOOP_BODY: u64 = 7;
const X87_LOOP_EXTRA: u64 = 4;

/// `xorps xmm1,xmm1; movups xmm3,[rsi+16]; l: movups xmm0,[rsi]; mulps xmm1,xmm0;
/// addps xmm1,xmm3; sqrtps xmm2,xmm1; movups [rdi],xmm2; dec ecx; jnz l; ret`
const SSE_LOOP: &[u8] = &[
    0x0f, 0x57, 0xc9, 0x0f, 0x10, 0x5e, 0x10, 0x0f, 0x10, 0x06, 0x0f, 0x59, 0xc8, 0x0f, 0x58, 0xcb,
    0x0f, 0x51, 0xd1, 0x0f, 0x11, 0x17, 0xff, 0xc9, 0x75, 0xed, 0xc3,
];
const SSE_LOOP_BODY: u64 = 7;
const SSE_LOOP_EXTRA: u64 = 2;

/// Source words of the loops: 1s for the memory loop; 0.999 as f64, then 0.999f and
/// 1.0f lanes for the floating-point loops.
fn source_words() -> Vec<u32> {
    let mut w = vec![1u32; ELEMENTS as usize];
    let d = 0.999f64.to_bits();
    w[0] = d as u32;
    w[1] = (d >> 32) as u32;
    w[4..8].fill(0.999f32.to_bits());
    w[8..12].fill(1.0f32.to_bits());
    w
}

fn with_extra(code: &[u8]) -> u64 {
    if code == X87_LOOP {
        X87_LOOP_EXTRA
    } else if code == SSE_LOOP {
        SSE_LOOP_EXTRA
    } else {
        0
    }
}

/// The SSE loop reads its constants 16 bytes in (the x87 one at 0).
fn source_offset(code: &[u8]) -> usize {
    if code == SSE_LOOP {
        4
    } else {
        0
    }
}

fn interpreted(code: &[u8], iterations: u32, body: u64) -> (f64, u32) {
    let mut mem = PagedMemory::new();
    mem.map(GuestAddr(CODE), 0x1000, Protection::RX);
    mem.map(GuestAddr(DATA), 0x4000, Protection::RW);
    mem.map(GuestAddr(0x3000_0000), 0x1000, Protection::RW);
    mem.load(GuestAddr(CODE), code).unwrap();
    let mut cpu = Cpu::new();
    cpu.state.eip = CODE;
    cpu.state.gpr[1] = iterations;
    cpu.state.gpr[4] = 0x3000_0800;
    cpu.state.gpr[6] = DATA;
    cpu.state.gpr[7] = DATA + 0x1000 * 2;
    mem.load(GuestAddr(0x3000_0800), &0xdead_0000u32.to_le_bytes())
        .unwrap();
    let words: Vec<u8> = source_words()[source_offset(code)..]
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    mem.load(GuestAddr(DATA), &words).unwrap();
    let start = Instant::now();
    // The loop, its setup/cleanup instructions and its ret.
    let budget = iterations as u64 * body + with_extra(code) + 1;
    let exit = cpu.run(&mut mem, budget);
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(exit, Exit::BudgetExhausted);
    assert_eq!(cpu.state.eip, 0xdead_0000, "the loop ran to its ret");
    (budget as f64 / secs, cpu.state.gpr[0])
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn native(code: &[u8], iterations: u32, body: u64) -> Option<(f64, u32)> {
    // SAFETY: maps a fresh anonymous page, copies position-independent code that only
    // touches the registers and buffers set up below, and returns with `ret`.
    unsafe {
        let page = libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if page == libc::MAP_FAILED {
            return None;
        }
        std::ptr::copy_nonoverlapping(code.as_ptr(), page as *mut u8, code.len());
        let src = source_words()[source_offset(code)..].to_vec();
        let mut dst = vec![0u32; ELEMENTS as usize];
        let eax: u32;
        let start = Instant::now();
        std::arch::asm!(
            "push rbx",
            "xor ebx, ebx",
            "call r8",
            "pop rbx",
            in("r8") page,
            inout("ecx") iterations => _,
            inout("eax") 0u32 => eax,
            in("rsi") src.as_ptr(),
            in("rdi") dst.as_mut_ptr(),
            out("edx") _,
            out("xmm0") _,
            out("xmm1") _,
            out("xmm2") _,
            out("xmm3") _,
        );
        let secs = start.elapsed().as_secs_f64();
        std::hint::black_box(&mut dst);
        libc::munmap(page, 4096);
        let total = iterations as u64 * body + with_extra(code) + 1;
        Some((total as f64 / secs, eax))
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn native(_: &[u8], _: u32, _: u64) -> Option<(f64, u32)> {
    None
}

fn main() {
    let iterations: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000_000);
    for (name, code, body) in [
        ("integer loop", INTEGER_LOOP, INTEGER_LOOP_BODY),
        ("memory loop", MEMORY_LOOP, MEMORY_LOOP_BODY),
        ("x87 loop", X87_LOOP, X87_LOOP_BODY),
        ("sse loop", SSE_LOOP, SSE_LOOP_BODY),
    ] {
        let (emulated_ips, emulated_eax) = interpreted(code, iterations, body);
        print!("{name:13} interpreter {:8.1} M instr/s", emulated_ips / 1e6);
        match native(code, iterations, body) {
            Some((native_ips, native_eax)) => {
                assert_eq!(
                    native_eax, emulated_eax,
                    "{name}: native and emulated results differ"
                );
                println!(
                    "   native {:8.1} M instr/s   slowdown {:5.1}x",
                    native_ips / 1e6,
                    native_ips / emulated_ips
                );
            }
            None => println!("   (no native run on this host)"),
        }
    }
}
