//! The emulated side: the same case run by the interpreter over `PagedMemory`, mapped
//! to the outcome the native signal handler would report.

use super::case::*;
use super::compare::{
    decode, flags_modified, flags_read, has_undefined_result, undefined_flags as undefined_flags_of,
};
use emulator::cpu::{Access, Cpu, Exit, FaultKind, GuestAddr, PagedMemory, Protection};

pub struct Emulated {
    pub outcome: Outcome,
    pub exit: Exit,
    pub page: Vec<u8>,
    /// The case left the test window or did not end in a trap: its native run would not
    /// be comparable (or safe), so it is skipped.
    pub comparable: bool,
    /// Flags left undefined by the instructions that ran (and not redefined after).
    pub undefined_flags: u32,
}

/// Runs `steps` instructions of the case, then the trap that ends it.
pub fn run(case: &Case, selectors: &[u32; 6], steps: usize) -> Emulated {
    let mut mem = PagedMemory::new();
    mem.map(GuestAddr(CODE), PAGE, Protection::RX);
    mem.map(GuestAddr(DATA), PAGE, Protection::RW);
    mem.map(GuestAddr(RO_PAGE), PAGE, Protection::R);
    let mut code = vec![0xccu8; PAGE as usize];
    code[..16].copy_from_slice(&case.code);
    mem.load(GuestAddr(CODE), &code).unwrap();
    mem.load(GuestAddr(DATA), &fill_page(case.mem_seed))
        .unwrap();
    mem.load(GuestAddr(RO_PAGE), &fill_page(RO_SEED)).unwrap();

    let mut cpu = Cpu::new();
    let s = &mut cpu.state;
    s.gpr = case.regs;
    s.set_eflags(case.eflags);
    s.eip = CODE;
    for (seg, &sel) in s.segments.iter_mut().zip(selectors) {
        seg.selector = sel;
    }
    s.segments[4].base = FS_BASE;
    s.segments[5].base = GS_BASE;
    // The instructions under test one at a time, then the int3 (or fetch fault) that
    // follows them. Track which flags are undefined; a case where an instruction reads an
    // undefined flag (its outcome would be vendor-specific) is not comparable.
    let mut undefined_flags = 0;
    let mut reads_undefined = false;
    let mut exit = Exit::BudgetExhausted;
    for _ in 0..=steps {
        let at = cpu.state.eip.wrapping_sub(CODE) as usize;
        let before = cpu.state.gpr;
        let instr = (at < case.code.len()).then(|| decode(&case.code[at..]));
        if let Some(i) = &instr {
            // Reading an undefined flag, or an undefined result, makes the rest vendor-specific.
            reads_undefined |= flags_read(i) & undefined_flags != 0;
            reads_undefined |= has_undefined_result(i, &before);
        }
        exit = cpu.run(&mut mem, 1);
        // Flag effects count only for instructions that completed.
        if let (Some(i), Exit::BudgetExhausted) = (&instr, exit) {
            undefined_flags =
                (undefined_flags & !flags_modified(i, &before)) | undefined_flags_of(i, &before);
        }
        if exit != Exit::BudgetExhausted {
            break;
        }
    }
    let s = &cpu.state;
    let mut o = Outcome {
        regs: s.gpr,
        eip: s.eip,
        eflags: s.eflags(),
        ..Default::default()
    };
    let mut comparable = in_test_window(s.eip);
    match exit {
        Exit::Fault(f) => {
            let (signo, trapno) = match f.kind {
                FaultKind::Breakpoint => (SIGTRAP, 3),
                FaultKind::Overflow => (SIGSEGV, 4),
                FaultKind::DivideError => (SIGFPE, 0),
                FaultKind::StackSegment => (SIGBUS, 12),
                FaultKind::InvalidOpcode => (SIGILL, 6),
                FaultKind::X87FloatingPoint { .. } => (SIGFPE, 16),
                FaultKind::SimdFloatingPoint { .. } => (SIGFPE, 19),
                FaultKind::GeneralProtection(code) => {
                    o.err = code;
                    (SIGSEGV, 13)
                }
                FaultKind::PageFault(m) => {
                    o.addr = m.addr.0;
                    o.err = if m.access == Access::Write { 2 } else { 0 };
                    comparable &= in_test_window(m.addr.0);
                    (SIGSEGV, 14)
                }
            };
            o.signo = signo;
            o.trapno = trapno;
        }
        Exit::Syscall(_) | Exit::BudgetExhausted => comparable = false,
    }
    let page = mem.page_bytes(GuestAddr(DATA)).unwrap().to_vec();
    o.mem_hash = page_hash(&page);
    comparable &= !reads_undefined;
    Emulated {
        outcome: o,
        exit,
        page,
        comparable,
        undefined_flags,
    }
}
