//! The emulated side: the same case run by the interpreter over `PagedMemory`, mapped
//! to the outcome the native signal handler would report.

use super::case::*;
use emulator::cpu::{Access, Cpu, Exit, FaultKind, GuestAddr, PagedMemory, Protection};

pub struct Emulated {
    pub outcome: Outcome,
    pub exit: Exit,
    pub page: Vec<u8>,
    /// The case left the test window or did not end in a trap: its native run would not
    /// be comparable (or safe), so it is skipped.
    pub comparable: bool,
}

pub fn run(case: &Case, selectors: &[u32; 6]) -> Emulated {
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
    // The instruction under test, then the int3 (or fetch fault) that follows it.
    let exit = cpu.run(&mut mem, 2);
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
                FaultKind::InvalidOpcode => (SIGILL, 6),
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
    Emulated {
        outcome: o,
        exit,
        page,
        comparable,
    }
}
