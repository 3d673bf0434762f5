//! Interpreter behaviour that the host-CPU differential tests cannot show: exits to the
//! kernel layer, segment bases, decoded-code invalidation, budgets and long `rep` runs.

use emulator::cpu::{
    Cpu, Exit, Fault, FaultKind, GuestAddr, GuestMemory, PagedMemory, Protection, SyscallGate,
};

const CODE: u32 = 0x0804_8000;
const DATA: u32 = 0x2000_0000;

fn machine(code: &[u8], code_protection: Protection) -> (Cpu, PagedMemory) {
    let mut mem = PagedMemory::new();
    mem.map(GuestAddr(CODE), 0x1000, code_protection);
    mem.map(GuestAddr(DATA), 0x4_0000, Protection::RW);
    let mut page = vec![0xccu8; 0x1000];
    page[..code.len()].copy_from_slice(code);
    mem.load(GuestAddr(CODE), &page).unwrap();
    let mut cpu = Cpu::new();
    cpu.state.eip = CODE;
    cpu.state.gpr[4] = DATA + 0x1000;
    (cpu, mem)
}

fn breakpoint_after(cpu: &Cpu, exit: Exit) {
    assert!(
        matches!(
            exit,
            Exit::Fault(Fault {
                kind: FaultKind::Breakpoint,
                ..
            })
        ),
        "expected the closing int3, got {exit:?} at eip {:#x}",
        cpu.state.eip
    );
}

#[test]
fn int_0x80_and_sysenter_exit_to_the_kernel_layer() {
    // mov eax, 4; int 0x80; sysenter
    let (mut cpu, mut mem) = machine(&[0xb8, 4, 0, 0, 0, 0xcd, 0x80, 0x0f, 0x34], Protection::RX);
    assert_eq!(cpu.run(&mut mem, 100), Exit::Syscall(SyscallGate::Int80));
    assert_eq!(cpu.state.eip, CODE + 7, "eip points after int 0x80");
    assert_eq!(cpu.state.gpr[0], 4);
    assert_eq!(cpu.run(&mut mem, 100), Exit::Syscall(SyscallGate::Sysenter));
    assert_eq!(cpu.state.eip, CODE + 9);
}

#[test]
fn gs_override_uses_the_thread_area_base() {
    // mov eax, gs:[0x10]; mov fs:[4], eax
    let code = [0x65, 0xa1, 0x10, 0, 0, 0, 0x64, 0xa3, 0x04, 0, 0, 0];
    let (mut cpu, mut mem) = machine(&code, Protection::RX);
    cpu.state.segments[5].base = DATA + 0x100; // gs
    cpu.state.segments[4].base = DATA + 0x200; // fs
    mem.write_u32(GuestAddr(DATA + 0x110), 0xfeed_f00d).unwrap();
    let exit = cpu.run(&mut mem, 100);
    breakpoint_after(&cpu, exit);
    assert_eq!(cpu.state.gpr[0], 0xfeed_f00d);
    assert_eq!(mem.read_u32(GuestAddr(DATA + 0x204)).unwrap(), 0xfeed_f00d);
}

#[test]
fn loading_gs_takes_the_base_the_kernel_installed() {
    // mov eax, 0x33; mov gs, ax; mov eax, gs:[0]; mov ebx, 0x43; mov gs, bx
    let code = [
        0xb8, 0x33, 0, 0, 0, 0x8e, 0xe8, 0x65, 0xa1, 0, 0, 0, 0, 0xbb, 0x43, 0, 0, 0, 0x8e, 0xeb,
    ];
    let (mut cpu, mut mem) = machine(&code, Protection::RX);
    cpu.state.set_descriptor(0x33, DATA + 0x300);
    mem.write_u32(GuestAddr(DATA + 0x300), 77).unwrap();
    let exit = cpu.run(&mut mem, 100);
    assert_eq!(cpu.state.gpr[0], 77);
    assert_eq!(cpu.state.segments[5].selector, 0x33);
    assert_eq!(
        exit,
        Exit::Fault(Fault {
            kind: FaultKind::GeneralProtection(0x40),
            eip: CODE + 18
        }),
        "a selector without a descriptor is #GP"
    );
}

#[test]
fn writing_code_drops_its_decoded_block() {
    // At +0x10: nop; int3 (decoded first). Then from +0: mov byte [CODE+0x10], 0x40
    // (inc eax); jmp +0x10. The jump must run the new byte.
    let mut code = vec![0xc6, 0x05];
    code.extend_from_slice(&(CODE + 0x10).to_le_bytes());
    code.push(0x40);
    code.extend_from_slice(&[0xeb, 0x07]); // jmp to +0x10
    code.resize(0x10, 0x90);
    code.push(0x90);
    let (mut cpu, mut mem) = machine(&code, Protection::RWX);
    cpu.state.eip = CODE + 0x10;
    let exit = cpu.run(&mut mem, 100);
    breakpoint_after(&cpu, exit);
    assert_eq!(cpu.state.gpr[0], 0);
    cpu.state.eip = CODE;
    let exit = cpu.run(&mut mem, 100);
    breakpoint_after(&cpu, exit);
    assert_eq!(cpu.state.gpr[0], 1, "the rewritten instruction ran");
}

#[test]
fn a_store_into_the_running_block_takes_effect_on_the_next_instruction() {
    // mov byte [CODE+7], 0x40 (7 bytes) ; nop  -> the nop becomes inc eax
    let mut code = vec![0xc6, 0x05];
    code.extend_from_slice(&(CODE + 7).to_le_bytes());
    code.extend_from_slice(&[0x40, 0x90]);
    let (mut cpu, mut mem) = machine(&code, Protection::RWX);
    let exit = cpu.run(&mut mem, 100);
    breakpoint_after(&cpu, exit);
    assert_eq!(cpu.state.gpr[0], 1);
}

#[test]
fn budget_counts_instructions() {
    // l: inc eax; jmp l
    let (mut cpu, mut mem) = machine(&[0x40, 0xeb, 0xfd], Protection::RX);
    assert_eq!(cpu.run(&mut mem, 1001), Exit::BudgetExhausted);
    assert_eq!(cpu.state.gpr[0], 501);
    assert_eq!(cpu.state.instructions_retired, 1001);
}

#[test]
fn unimplemented_instructions_are_invalid_opcode_not_panics() {
    // pshufb (SSSE3, not advertised), 16-bit fnstenv (not implemented), then invalid
    // and lock-prefixed encodings.
    for code in [
        &[0x66u8, 0x0f, 0x38, 0x00, 0xc1][..],
        &[0x66, 0xd9, 0x30],
        &[0x0f, 0xff, 0xff],
        &[0xf0, 0x90],
    ] {
        let (mut cpu, mut mem) = machine(code, Protection::RX);
        assert_eq!(
            cpu.run(&mut mem, 10),
            Exit::Fault(Fault {
                kind: FaultKind::InvalidOpcode,
                eip: CODE
            }),
            "{code:02x?}"
        );
    }
}

#[test]
fn an_instruction_running_off_the_executable_page_faults_at_the_boundary() {
    let mut mem = PagedMemory::new();
    mem.map(GuestAddr(CODE), 0x1000, Protection::RX);
    mem.map(GuestAddr(CODE + 0x1000), 0x1000, Protection::RW);
    mem.load(GuestAddr(CODE + 0xffe), &[0xb8, 0x01]).unwrap(); // mov eax, imm32 cut short
    let mut cpu = Cpu::new();
    cpu.state.eip = CODE + 0xffe;
    match cpu.run(&mut mem, 10) {
        Exit::Fault(Fault {
            kind: FaultKind::PageFault(f),
            eip,
        }) => {
            assert_eq!(eip, CODE + 0xffe);
            assert_eq!(f.addr, GuestAddr(CODE + 0x1000));
        }
        other => panic!("expected a fetch fault, got {other:?}"),
    }
}

#[test]
fn long_rep_stos_runs_in_chunks_and_finishes() {
    // mov edi, DATA; mov ecx, 0x30000; mov al, 0x5a; rep stosb
    let mut code = vec![0xbf];
    code.extend_from_slice(&DATA.to_le_bytes());
    code.push(0xb9);
    code.extend_from_slice(&0x3_0000u32.to_le_bytes());
    code.extend_from_slice(&[0xb0, 0x5a, 0xf3, 0xaa]);
    let (mut cpu, mut mem) = machine(&code, Protection::RX);
    let exit = cpu.run(&mut mem, 4);
    assert_eq!(exit, Exit::BudgetExhausted);
    assert_eq!(
        cpu.state.eip,
        CODE + 12,
        "a chunk ended with eip on the rep instruction"
    );
    assert!(cpu.state.gpr[1] > 0);
    let exit = cpu.run(&mut mem, 100);
    breakpoint_after(&cpu, exit);
    assert_eq!(cpu.state.gpr[1], 0);
    assert_eq!(cpu.state.gpr[7], DATA + 0x3_0000);
    assert_eq!(mem.read_u8(GuestAddr(DATA + 0x2_ffff)).unwrap(), 0x5a);
}

#[test]
fn a_loop_program_computes_its_sum() {
    // xor eax,eax; mov ecx,100; l: add eax,ecx; loop l
    let code = [0x31, 0xc0, 0xb9, 100, 0, 0, 0, 0x01, 0xc8, 0xe2, 0xfc];
    let (mut cpu, mut mem) = machine(&code, Protection::RX);
    let exit = cpu.run(&mut mem, 1000);
    breakpoint_after(&cpu, exit);
    assert_eq!(cpu.state.gpr[0], 5050);
}

/// Random bytes of every kind (x87, SSE, far jumps, garbage) must end in an `Exit`,
/// never a panic. Uses `WEBVM_FUZZ_SEED` (decimal) like the differential tests.
#[test]
fn random_bytes_never_panic() {
    let mut x: u64 = std::env::var("WEBVM_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed)
        | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    // A tenth of the differential run size (default 20,000 programs).
    let programs = std::env::var("WEBVM_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map_or(20_000, |n| n / 10);
    for _ in 0..programs {
        let mut code = [0u8; 64];
        for b in code.iter_mut() {
            *b = next() as u8;
        }
        let (mut cpu, mut mem) = machine(&code, Protection::RWX);
        for r in 0..8 {
            cpu.state.gpr[r] = match next() % 3 {
                0 => DATA + (next() as u32 & 0x3_ffff),
                1 => next() as u32,
                _ => next() as u32 & 0xff,
            };
        }
        cpu.state.set_eflags(next() as u32);
        let _ = cpu.run(&mut mem, 32);
    }
}

#[test]
fn rep_bsf_is_bsf_because_bmi1_is_not_advertised() {
    // mov eax, 7; xor ebx, ebx; rep bsf eax, ebx (F3 0F BC C3): source 0 keeps eax, sets ZF
    let code = [0xb8, 7, 0, 0, 0, 0x31, 0xdb, 0xf3, 0x0f, 0xbc, 0xc3];
    let (mut cpu, mut mem) = machine(&code, Protection::RX);
    let exit = cpu.run(&mut mem, 100);
    breakpoint_after(&cpu, exit);
    assert_eq!(cpu.state.gpr[0], 7, "tzcnt would have written 32");
    assert_ne!(cpu.state.eflags() & 0x40, 0, "ZF set for a zero source");
    // And with a non-zero source both agree: bit index 4.
    cpu.state.gpr[3] = 0x30;
    cpu.state.eip = CODE + 7;
    let exit = cpu.run(&mut mem, 100);
    breakpoint_after(&cpu, exit);
    assert_eq!(cpu.state.gpr[0], 4);
    // CPUID leaf 7 (and so BMI1) is beyond the advertised maximum leaf.
    let (mut cpu, mut mem) = machine(&[0x31, 0xc0, 0x0f, 0xa2], Protection::RX);
    let exit = cpu.run(&mut mem, 100);
    breakpoint_after(&cpu, exit);
    assert!(
        cpu.state.gpr[0] < 7,
        "max basic leaf {:#x}",
        cpu.state.gpr[0]
    );
}
