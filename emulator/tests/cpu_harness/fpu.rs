//! Differential testing of the x87, MMX and SSE instructions: cases carry an initial
//! FXSAVE image (x87 stack, tags, TOP, FCW/FSW, MXCSR, xmm registers) that both sides
//! load; the comparison adds the FXSAVE image at the end of the case and the SIGFPE
//! `si_code` to what `compare` checks. Also the seeded generator of x87/MMX/SSE
//! encodings with random register and memory states.
//!
//! Masked in the comparison, and why (the one place that lists them):
//! - MXCSR_MASK (bytes 28..31): CPU-specific (AMD sets bit 17 for misaligned-exception
//!   masking); we report 0xFFFF, the bits we implement.
//! - FCS and FDS (bytes 12..13, 20..21): deprecated (CPUID.7.EBX[13]) and lost when a
//!   64-bit kernel saves the state of a 32-bit task with XSAVE64: they read as 0 there.
//! - Reserved bytes (5, 14..15, 22..23, 10..15 of each register slot, 288..511).
//! - The #PF address of the multi-chunk state accesses (fnstenv/fldenv, fnsave/frstor,
//!   fxsave/fxrstor): the host reports the chunk it faulted on (e.g. start + 0x1b, or the
//!   last byte of an fxsave area); both addresses must lie inside the accessed range.
//! - Accesses wider than 8 bytes whose offset wraps past 4 GiB: skipped (#GP from the
//!   limit vs #PF on AMD's first chunk).
//! - Sequences where a transcendental or rcp/rsqrt result flows into a later
//!   instruction are skipped (the tolerance cannot follow it).
//! - `rcpps`/`rcpss`/`rsqrtps`/`rsqrtss` lanes: vendor-specific approximations; lanes
//!   must agree within the architectural relative error 1.5 * 2^-12 (of each other:
//!   2^-10.4, checked as 2^-10).
//! - Transcendentals (fsin fcos fsincos fptan fpatan f2xm1 fyl2x fyl2xp1): registers
//!   may differ by one unit in the last place, and C1, PE, UE with them (the SDM only
//!   promises 1 ulp; AMD and Intel differ). `f2xm1`/`fyl2xp1` outside their domain and
//!   `fbld` of random (non-BCD) bytes are undefined: those cases are skipped.
//! - FOP, FIP and FDP (bytes 6..11, 16..19) when the host's FSW.ES is clear: AMD CPUs
//!   save them only while an unmasked exception is pending (they read as 0 otherwise);
//!   we track them as Intel CPUs do. With ES set they are compared.

use super::case::*;
use super::compare::{decode, disassemble};
use super::generator::Rng;
use emulator::cpu::exec::{classify, Handler};
use emulator::cpu::{Access, Cpu, Exit, FaultKind, GuestAddr, PagedMemory, Protection};
use iced_x86::{Instruction, OpKind, Register};

/// A case with its initial x87/SSE state.
#[derive(Clone)]
pub struct FpCase {
    pub case: Case,
    pub image: [u8; 512],
}

/// What the emulated side produced.
pub struct FpEmulated {
    pub outcome: Outcome,
    pub exit: Exit,
    pub image: [u8; 512],
    pub si_code: i32,
    pub page: Vec<u8>,
    pub comparable: bool,
}

/// Instructions in the case (at least one).
pub fn instruction_count(code: &[u8]) -> usize {
    let mut decoder = iced_x86::Decoder::with_ip(32, code, CODE as u64, 0);
    let mut n = 0;
    while decoder.can_decode() {
        let i = decoder.decode();
        if i.is_invalid() || i.code() == iced_x86::Code::Int3 {
            break;
        }
        n += 1;
    }
    n.max(1)
}

/// Runs the case in the interpreter.
pub fn run_emulated(c: &FpCase, selectors: &[u32; 6]) -> FpEmulated {
    let case = &c.case;
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
    s.fxrstor_image(&c.image).expect("valid initial MXCSR");
    let steps = instruction_count(&case.code);
    let mut exit = Exit::BudgetExhausted;
    for _ in 0..=steps {
        exit = cpu.run(&mut mem, 1);
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
    let mut si_code = 0;
    match exit {
        Exit::Fault(f) => {
            let (signo, trapno) = match f.kind {
                FaultKind::Breakpoint => (SIGTRAP, 3),
                FaultKind::Overflow => (SIGSEGV, 4),
                FaultKind::DivideError => (SIGFPE, 0),
                FaultKind::StackSegment => (SIGBUS, 12),
                FaultKind::InvalidOpcode => (SIGILL, 6),
                FaultKind::X87FloatingPoint { si_code: c } => {
                    si_code = c;
                    (SIGFPE, 16)
                }
                FaultKind::SimdFloatingPoint { si_code: c } => {
                    si_code = c;
                    (SIGFPE, 19)
                }
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
    FpEmulated {
        outcome: o,
        exit,
        image: s.fxsave_image(),
        si_code,
        page,
        comparable,
    }
}

/// FXSAVE bytes not compared (see the module comment).
pub fn image_masked(byte: usize) -> bool {
    matches!(byte, 5 | 12 | 13 | 14 | 15 | 20..=23 | 28..=31)
        || (32..160).contains(&byte) && (byte - 32) % 16 >= 10
        || byte >= 288
}

const FXSAVE_FIELDS: [(&str, usize, usize); 12] = [
    ("fcw", 0, 2),
    ("fsw", 2, 4),
    ("ftw", 4, 5),
    ("fop", 6, 8),
    ("fip", 8, 12),
    ("fdp", 16, 20),
    ("mxcsr", 24, 28),
    ("st/mm", 32, 160),
    ("xmm0-3", 160, 224),
    ("xmm4-7", 224, 288),
    ("fcs", 12, 14),
    ("fds", 20, 22),
];

fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join("")
}

/// A readable dump of the x87/SSE part of an FXSAVE image.
pub fn describe_image(img: &[u8]) -> String {
    let w16 = |o: usize| u16::from_le_bytes([img[o], img[o + 1]]);
    let w32 = |o: usize| u32::from_le_bytes(img[o..o + 4].try_into().unwrap());
    let mut out = format!(
        "fcw {:04x} fsw {:04x} ftw {:02x} fop {:03x} fip {:08x} fdp {:08x} mxcsr {:08x}",
        w16(0),
        w16(2),
        img[4],
        w16(6),
        w32(8),
        w32(16),
        w32(24)
    );
    for r in 0..8 {
        let o = 32 + 16 * r;
        out.push_str(&format!(
            "\n      st{r} {:04x}:{:016x}",
            w16(o + 8),
            u64::from_le_bytes(img[o..o + 8].try_into().unwrap())
        ));
    }
    for r in 0..8 {
        let o = 160 + 16 * r;
        let v = u128::from_le_bytes(img[o..o + 16].try_into().unwrap());
        out.push_str(&format!("\n      xmm{r} {v:032x}"));
    }
    out
}

/// Compares; on mismatch returns a full report.
pub fn check(
    c: &FpCase,
    native: &super::native::FxResult,
    e: &FpEmulated,
    label: &str,
) -> Result<(), String> {
    let (n, nimg, nsi, npage) = native;
    let eo = &e.outcome;
    let mut diffs = Vec::new();
    let names = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
    for (k, name) in names.iter().enumerate() {
        if n.regs[k] != eo.regs[k] {
            diffs.push(format!(
                "{name}: native {:#010x} emulated {:#010x}",
                n.regs[k], eo.regs[k]
            ));
        }
    }
    if n.eip != eo.eip {
        diffs.push(format!("eip: native {:#x} emulated {:#x}", n.eip, eo.eip));
    }
    let defined = 0x8d5 | 0x400;
    if n.eflags & defined != eo.eflags & defined {
        diffs.push(format!(
            "eflags: native {:#x} emulated {:#x}",
            n.eflags & defined,
            eo.eflags & defined
        ));
    }
    if (n.signo, n.trapno) != (eo.signo, eo.trapno) {
        diffs.push(format!(
            "signal: native {}/trap {} emulated {}/trap {}",
            n.signo, n.trapno, eo.signo, eo.trapno
        ));
    } else if n.trapno == 13 && n.err != eo.err {
        diffs.push(format!(
            "#GP code: native {:#x} emulated {:#x}",
            n.err, eo.err
        ));
    } else if n.trapno == 14
        && ((n.addr != eo.addr && !chunked_state_access(c, n.eip, n.addr, eo.addr))
            || n.err & 2 != eo.err & 2)
    {
        diffs.push(format!(
            "#PF: native {:#x} write {} emulated {:#x} write {}",
            n.addr,
            n.err & 2 != 0,
            eo.addr,
            eo.err & 2 != 0
        ));
    } else if n.signo == SIGFPE && *nsi != e.si_code {
        diffs.push(format!("si_code: native {nsi} emulated {}", e.si_code));
    }
    match npage {
        Some(page) => {
            let masked = stored_pointer_bytes(c, page);
            let bytes: Vec<String> = page
                .iter()
                .zip(&e.page)
                .enumerate()
                .filter(|(k, (a, b))| a != b && !masked.contains(k))
                .take(16)
                .map(|(k, (a, b))| format!("+{k:#x}: native {a:#04x} emulated {b:#04x}"))
                .collect();
            if !bytes.is_empty() {
                diffs.push(format!("data page differs: {}", bytes.join(", ")));
            }
        }
        None if n.mem_hash != eo.mem_hash => diffs.push("data page hash differs".into()),
        None => {}
    }
    let pointers_saved = nimg[2] & 0x80 != 0;
    let masked = |k: usize| image_masked(k) || (!pointers_saved && matches!(k, 6..=11 | 16..=19));
    let approximate = has_approximation(c);
    let transcendental = has_transcendental(c);
    let lane_differs = |k: usize| {
        if transcendental && (32..160).contains(&k) {
            let at = 32 + (k - 32) / 16 * 16;
            !within_one_ulp(&nimg[at..at + 10], &e.image[at..at + 10])
        } else if transcendental && (2..4).contains(&k) {
            // C1 (bit 9), PE (bit 5) and UE (bit 4, tiny after rounding) follow the
            // last-bit rounding.
            let mask = if k == 2 { !0x30u8 } else { !0x02u8 };
            nimg[k] & mask != e.image[k] & mask
        } else if approximate && (160..288).contains(&k) {
            let at = k & !3;
            let a = u32::from_le_bytes(nimg[at..at + 4].try_into().unwrap());
            let b = u32::from_le_bytes(e.image[at..at + 4].try_into().unwrap());
            !approximately_equal(a, b)
        } else {
            nimg[k] != e.image[k]
        }
    };
    let differing: Vec<&str> = FXSAVE_FIELDS
        .iter()
        .filter(|(_, a, b)| (*a..*b).any(|k| !masked(k) && lane_differs(k)))
        .map(|(name, _, _)| *name)
        .collect();
    if !differing.is_empty() {
        diffs.push(format!(
            "fxsave differs in {}\n    before:   {}\n    native:   {}\n    emulated: {}",
            differing.join(" "),
            describe_image(&c.image),
            describe_image(nimg),
            describe_image(&e.image)
        ));
    }
    if diffs.is_empty() {
        return Ok(());
    }
    let mut listing = Vec::new();
    let mut decoder = iced_x86::Decoder::with_ip(32, &c.case.code, CODE as u64, 0);
    let mut len = 0;
    while decoder.can_decode() {
        let ins = decoder.decode();
        if ins.code() == iced_x86::Code::Int3 && len > 0 {
            break;
        }
        len += ins.len();
        listing.push(disassemble(&ins));
        if ins.is_invalid() {
            break;
        }
    }
    let len = len.clamp(1, 16);
    Err(format!(
        "MISMATCH {label}\n  bytes: {}\n  instructions: {}\n  initial: regs {:08x?} eflags {:#x} mem_seed {:#x}\n  native:   {:08x?}\n  emulated: {:08x?} exit {:?}\n  {}",
        hex(&c.case.code[..len]),
        listing.join("; "),
        c.case.regs,
        c.case.eflags,
        c.case.mem_seed,
        n,
        eo,
        e.exit,
        diffs.join("\n  ")
    ))
}

fn instructions(c: &FpCase) -> Vec<Instruction> {
    let mut decoder = iced_x86::Decoder::with_ip(32, &c.case.code, CODE as u64, 0);
    let mut out = Vec::new();
    while decoder.can_decode() {
        let ins = decoder.decode();
        if ins.is_invalid() || ins.code() == iced_x86::Code::Int3 {
            break;
        }
        out.push(ins);
    }
    out
}

/// The instruction at `eip` accesses an x87 environment/state or FXSAVE area and both
/// fault addresses lie inside it (the host reports the chunk it faulted on: the first,
/// or for fxsave even the last byte).
fn chunked_state_access(c: &FpCase, eip: u32, native: u32, emulated: u32) -> bool {
    instructions(c).iter().any(|i| {
        let size = i.memory_size().size() as u32;
        if i.ip32() != eip || !matches!(size, 28 | 108 | 512) {
            return false;
        }
        let start = linear_address(c, i);
        let inside = |a: u32| a.wrapping_sub(start) < size;
        inside(native) && inside(emulated)
    })
}

/// The linear address of `i`'s memory operand from the case's initial registers.
fn linear_address(c: &FpCase, i: &Instruction) -> u32 {
    let reg = |r: Register| gpr(r).map_or(0, |n| c.case.regs[n]);
    let seg = match i.memory_segment() {
        Register::FS => FS_BASE,
        Register::GS => GS_BASE,
        _ => 0,
    };
    seg.wrapping_add(reg(i.memory_base()))
        .wrapping_add(reg(i.memory_index()).wrapping_mul(i.memory_index_scale()))
        .wrapping_add(i.memory_displacement32())
}

/// Cases whose result the SDM leaves undefined: `f2xm1` outside -1..+1 and `fyl2xp1`
/// outside +-(1 - sqrt(2)/2), judged on the initial ST(0) (only the first instruction
/// can be judged; later ones make the case undefined), and `fbld` of random memory
/// (non-BCD digits) unless an `fbstp` before it wrote the operand.
fn undefined_result(c: &FpCase) -> bool {
    use iced_x86::Mnemonic as Mn;
    let top = ((u16::from_le_bytes([c.image[2], c.image[3]]) >> 11) & 7) as usize;
    // FXSAVE slots are in ST order.
    let _ = top;
    let st0_exp = u16::from_le_bytes([c.image[40], c.image[41]]) & 0x7fff;
    let st0_sig = u64::from_le_bytes(c.image[32..40].try_into().unwrap());
    instructions(c)
        .iter()
        .enumerate()
        .any(|(k, i)| match i.mnemonic() {
            Mn::F2xm1 => k > 0 || st0_exp >= 0x3fff,
            Mn::Fyl2xp1 => {
                k > 0 || st0_exp > 0x3ffd || (st0_exp == 0x3ffd && st0_sig >= 0x95f6_1998_0c43_3800)
            }
            // Valid BCD only when an earlier fbstp wrote it.
            Mn::Fbld => k == 0,
            _ => false,
        })
}

/// An access wider than 8 bytes (m80, m128, x87 environment/state, FXSAVE area) whose
/// offset wraps past 4 GiB: we raise the segment-limit #GP first, AMD hardware touches
/// the first chunk first and may report a #PF there. Both are SIGSEGV; the order is
/// implementation-specific, so not compared.
fn wrapping_state_access(c: &FpCase, e: &FpEmulated) -> bool {
    let Exit::Fault(f) = e.exit else { return false };
    f.kind == FaultKind::GeneralProtection(0)
        && instructions(c).iter().any(|i| {
            let size = i.memory_size().size() as u32;
            // Registers at the fault (earlier instructions may have changed them).
            let reg = |r: Register| gpr(r).map_or(0, |n| e.outcome.regs[n]);
            let offset = reg(i.memory_base())
                .wrapping_add(reg(i.memory_index()).wrapping_mul(i.memory_index_scale()))
                .wrapping_add(i.memory_displacement32());
            i.ip32() == f.eip && size > 8 && offset.checked_add(size - 1).is_none()
        })
}

/// A transcendental or `rcp*`/`rsqrt*` result (compared with a tolerance) followed by
/// another instruction that may carry the vendor-specific bits on: not compared.
fn inexact_value_flows_on(c: &FpCase) -> bool {
    use iced_x86::Mnemonic as Mn;
    let ins = instructions(c);
    ins.iter().rev().skip(1).any(|i| {
        matches!(
            i.mnemonic(),
            Mn::Fsin
                | Mn::Fcos
                | Mn::Fsincos
                | Mn::Fptan
                | Mn::Fpatan
                | Mn::F2xm1
                | Mn::Fyl2x
                | Mn::Fyl2xp1
                | Mn::Rcpps
                | Mn::Rcpss
                | Mn::Rsqrtps
                | Mn::Rsqrtss
        )
    })
}

/// Cases with a transcendental instruction: results may differ in the last bit between
/// implementations (the SDM promises 1 ulp), and with them C1, PE and UE.
fn has_transcendental(c: &FpCase) -> bool {
    use iced_x86::Mnemonic as Mn;
    instructions(c).iter().any(|i| {
        matches!(
            i.mnemonic(),
            Mn::Fsin
                | Mn::Fcos
                | Mn::Fsincos
                | Mn::Fptan
                | Mn::Fpatan
                | Mn::F2xm1
                | Mn::Fyl2x
                | Mn::Fyl2xp1
        )
    })
}

/// Two 80-bit register slots equal, or adjacent values of the same sign (one unit in
/// the last place, across a binade too).
fn within_one_ulp(a: &[u8], b: &[u8]) -> bool {
    let ordinal = |x: &[u8]| {
        let sig = u64::from_le_bytes(x[..8].try_into().unwrap());
        let se = u16::from_le_bytes([x[8], x[9]]);
        (
            se >> 15,
            ((se & 0x7fff) as u128) << 63 | (sig & !(1 << 63)) as u128,
        )
    };
    let ((sa, oa), (sb, ob)) = (ordinal(a), ordinal(b));
    a == b || (sa == sb && oa.abs_diff(ob) <= 1)
}

/// Cases that store an x87 environment (fnstenv, fnsave, fxsave) get the native data
/// page back, so the pointer fields can be masked as in the FXSAVE comparison.
pub fn stores_environment(c: &FpCase) -> bool {
    use iced_x86::Mnemonic as Mn;
    instructions(c).iter().any(|i| {
        matches!(
            i.mnemonic(),
            Mn::Fnstenv | Mn::Fstenv | Mn::Fnsave | Mn::Fsave | Mn::Fxsave
        )
    })
}

/// Offsets in the data page of the stored-environment bytes that are not compared: FCS,
/// FDS, reserved words, and FOP/FIP/FDP when the stored FSW has ES clear (AMD).
fn stored_pointer_bytes(c: &FpCase, page: &[u8]) -> Vec<usize> {
    use iced_x86::Mnemonic as Mn;
    let mut out = Vec::new();
    for i in instructions(c) {
        let fx = i.mnemonic() == Mn::Fxsave;
        if !fx
            && !matches!(
                i.mnemonic(),
                Mn::Fnstenv | Mn::Fstenv | Mn::Fnsave | Mn::Fsave
            )
        {
            continue;
        }
        let reg = |r: Register| gpr(r).map_or(0, |n| c.case.regs[n]);
        let seg = match i.memory_segment() {
            Register::FS => FS_BASE,
            Register::GS => GS_BASE,
            _ => 0,
        };
        let addr = seg
            .wrapping_add(reg(i.memory_base()))
            .wrapping_add(reg(i.memory_index()).wrapping_mul(i.memory_index_scale()))
            .wrapping_add(i.memory_displacement32());
        let start = addr.wrapping_sub(DATA) as usize;
        let at = |k: usize| start.wrapping_add(k);
        let fsw_at = if fx { 2 } else { 4 };
        let es_clear = page.get(at(fsw_at)).map_or(true, |b| b & 0x80 == 0);
        let (always, pointers): (Vec<usize>, Vec<usize>) = if fx {
            let mut a = vec![5, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31];
            for r in 0..8 {
                a.extend(32 + 16 * r + 10..32 + 16 * r + 16);
            }
            a.extend(288..512);
            (a, (6..12).chain(16..20).collect())
        } else {
            (
                vec![2, 3, 6, 7, 10, 11, 16, 17, 24, 25, 26, 27],
                (12..16).chain(18..24).collect(),
            )
        };
        out.extend(always.into_iter().map(at));
        if es_clear {
            out.extend(pointers.into_iter().map(at));
        }
    }
    out
}

fn has_approximation(c: &FpCase) -> bool {
    use iced_x86::Mnemonic as Mn;
    instructions(c).iter().any(|i| {
        matches!(
            i.mnemonic(),
            Mn::Rcpps | Mn::Rcpss | Mn::Rsqrtps | Mn::Rsqrtss
        )
    })
}

/// Two binary32 lanes equal, or finite, same sign and within 2^-10 relative.
fn approximately_equal(a: u32, b: u32) -> bool {
    if a == b {
        return true;
    }
    let (x, y) = (f32::from_bits(a) as f64, f32::from_bits(b) as f64);
    x.is_finite() && y.is_finite() && x != 0.0 && (x - y).abs() <= x.abs() / 1024.0
}

/// Totals of an FPU differential run.
#[derive(Default)]
pub struct FpTally {
    pub compared: u64,
    pub skipped: u64,
    pub failures: Vec<String>,
    pub exercised: std::collections::BTreeSet<String>,
}

/// Runs the cases on both sides and compares them.
pub fn run_fp_differential(
    runner: &mut super::native::NativeRunner,
    cases: &[(String, FpCase)],
    tally: &mut FpTally,
    max_reports: usize,
) {
    let mut comparable = Vec::new();
    let mut emulated = Vec::new();
    for (label, c) in cases {
        let e = run_emulated(c, &runner.selectors);
        if e.comparable
            && !undefined_result(c)
            && !wrapping_state_access(c, &e)
            && !inexact_value_flows_on(c)
        {
            comparable.push((label, c));
            emulated.push(e);
        } else {
            tally.skipped += 1;
        }
    }
    let batch: Vec<(Case, [u8; 512], bool)> = comparable
        .iter()
        .map(|(_, c)| (c.case.clone(), c.image, stores_environment(c)))
        .collect();
    let natives = runner.run_batch_fx(&batch);
    for (((label, c), native), e) in comparable.iter().zip(&natives).zip(&emulated) {
        tally.compared += 1;
        let mut decoder = iced_x86::Decoder::with_ip(32, &c.case.code, CODE as u64, 0);
        while decoder.can_decode() {
            let ins = decoder.decode();
            if ins.is_invalid() || ins.code() == iced_x86::Code::Int3 {
                break;
            }
            tally.exercised.insert(format!("{:?}", ins.mnemonic()));
        }
        if let Err(report) = check(c, native, e, label) {
            if tally.failures.len() < max_reports {
                tally.failures.push(report);
            } else {
                tally.failures.push(String::new());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Initial states.

/// Interesting 80-bit values: (sign_exp, significand).
pub const F80_EDGES: [(u16, u64); 28] = [
    (0x0000, 0),                     // +0
    (0x8000, 0),                     // -0
    (0x3fff, 0x8000_0000_0000_0000), // 1
    (0xbfff, 0x8000_0000_0000_0000), // -1
    (0x4000, 0xc90f_daa2_2168_c235), // pi
    (0x3ffe, 0x8000_0000_0000_0000), // 0.5
    (0x7fff, 0x8000_0000_0000_0000), // +inf
    (0xffff, 0x8000_0000_0000_0000), // -inf
    (0x7fff, 0xc000_0000_0000_0000), // QNaN
    (0xffff, 0xc000_0000_0000_0000), // indefinite
    (0x7fff, 0xa000_0000_0000_0001), // SNaN
    (0x0000, 0x0000_0000_0000_0001), // smallest denormal
    (0x8000, 0x7fff_ffff_ffff_ffff), // largest negative denormal
    (0x0000, 0x8000_0000_0000_0000), // pseudo-denormal
    (0x3fff, 0x4000_0000_0000_0000), // unnormal
    (0x7fff, 0x4000_0000_0000_0000), // pseudo-NaN
    (0x7ffe, 0xffff_ffff_ffff_ffff), // max normal
    (0x0001, 0x8000_0000_0000_0000), // min normal
    (0x403e, 0x8000_0000_0000_0000), // 2^63
    (0x403d, 0xffff_ffff_ffff_fffe), // just below 2^63
    (0x400d, 0xffff_0000_0000_0000), // 65535
    (0x400e, 0xffff_0000_0000_0000), // 131070
    (0x401d, 0xffff_fffe_0000_0000), // ~2^31
    (0xc01e, 0x8000_0000_8000_0000), // -(2^31 + 0.5)
    (0x3ffe, 0xc000_0000_0000_0000), // 0.75
    (0x3fff, 0xc000_0000_0000_0000), // 1.5
    (0x4002, 0xa000_0000_0000_0000), // 10
    (0x3c00, 0x8000_0000_0000_0001), // tiny
];

/// f32 lanes worth testing.
pub const F32_EDGES: [u32; 22] = [
    0,
    0x8000_0000,
    0x3f80_0000,
    0xbf80_0000,
    0x7f80_0000,
    0xff80_0000,
    0x7fc0_0000,
    0xffc0_0000,
    0x7f80_0001,
    0x7fa0_0000,
    0x0000_0001,
    0x807f_ffff,
    0x0080_0000,
    0x7f7f_ffff,
    0x4f00_0000,
    0xcf00_0000,
    0x3f00_0000,
    0x3fc0_0000,
    0x4b80_0000,
    0x4effffff,
    0x0040_0000,
    0x3f80_0001,
];

/// f64 lanes worth testing.
pub const F64_EDGES: [u64; 20] = [
    0,
    0x8000_0000_0000_0000,
    0x3ff0_0000_0000_0000,
    0xbff0_0000_0000_0000,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0000,
    0xfff8_0000_0000_0000,
    0x7ff0_0000_0000_0001,
    0x7ff4_0000_0000_0000,
    0x0000_0000_0000_0001,
    0x800f_ffff_ffff_ffff,
    0x0010_0000_0000_0000,
    0x7fef_ffff_ffff_ffff,
    0x41e0_0000_0000_0000,
    0xc1e0_0000_0000_0000,
    0x41df_ffff_ffff_ffff,
    0x3fe0_0000_0000_0000,
    0x3ff8_0000_0000_0000,
    0x3ff0_0000_0000_0001,
];

/// A random 80-bit value, biased to edges and to exponents near 1.
pub fn random_f80(rng: &mut Rng) -> (u16, u64) {
    match rng.below(10) {
        0..=2 => rng.pick(&F80_EDGES),
        3..=7 => {
            let sign = (rng.below(2) as u16) << 15;
            let exp = (0x3fff + rng.below(128) as i32 - 64) as u16;
            let mut sig = rng.next_u64() | 1 << 63;
            if rng.chance(30) {
                sig &= !0u64 << (rng.below(60) + 4);
                sig |= 1 << 63;
            }
            (sign | exp, sig)
        }
        8 => {
            let sign = (rng.below(2) as u16) << 15;
            let exp = rng.pick(&[0u16, 1, 2, 0x7ffd, 0x7ffe, 0x7fff, 0x3fbf, 0x403e, 0x403f]);
            (sign | exp, rng.next_u64() | (rng.below(2) as u64) << 63)
        }
        _ => (rng.next_u32() as u16, rng.next_u64()),
    }
}

fn random_xmm(rng: &mut Rng) -> u128 {
    let mut v = 0u128;
    match rng.below(4) {
        0 => {
            for lane in 0..4 {
                v |= (rng.pick(&F32_EDGES) as u128) << (32 * lane);
            }
        }
        1 => {
            for lane in 0..2 {
                v |= (rng.pick(&F64_EDGES) as u128) << (64 * lane);
            }
        }
        2 => {
            // Floats near one (single or double lanes).
            for lane in 0..4 {
                let f = 0x3f00_0000 + rng.below(0x0200_0000);
                v |= ((f | rng.below(2) << 31) as u128) << (32 * lane);
            }
        }
        _ => v = (rng.next_u64() as u128) << 64 | rng.next_u64() as u128,
    }
    v
}

/// A random FXSAVE image: x87 stack values, tags and TOP, FCW/FSW with pending
/// exceptions consistent with ES, MXCSR (valid bits only), xmm registers.
pub fn random_image(rng: &mut Rng) -> [u8; 512] {
    let mut img = [0u8; 512];
    let masks = if rng.chance(70) {
        0x3f
    } else {
        rng.below(64) as u16
    };
    let pc = if rng.chance(60) {
        3
    } else {
        rng.below(4) as u16
    };
    let rc = rng.below(4) as u16;
    let fcw = masks | 0x40 | pc << 8 | rc << 10;
    let flags = if rng.chance(70) {
        0
    } else {
        rng.below(128) as u16
    };
    let cc = (rng.below(16) as u16) & 0xf;
    let cbits = (cc & 7) << 8 | (cc >> 3) << 14;
    let top = rng.below(8) as u16;
    let es = if flags & 0x3f & !masks != 0 {
        0x8080
    } else {
        0
    };
    let fsw = flags | cbits | top << 11 | es;
    let ftw = match rng.below(10) {
        0..=2 => 0,
        3..=4 => 0xff,
        _ => rng.next_u32() as u8,
    };
    img[0..2].copy_from_slice(&fcw.to_le_bytes());
    img[2..4].copy_from_slice(&fsw.to_le_bytes());
    img[4] = ftw;
    let mflags = if rng.chance(60) { 0 } else { rng.below(64) };
    let mmasks = if rng.chance(75) { 0x3f } else { rng.below(64) };
    let mxcsr = mflags
        | (rng.chance(15) as u32) << 6
        | mmasks << 7
        | rng.below(4) << 13
        | (rng.chance(15) as u32) << 15;
    img[24..28].copy_from_slice(&mxcsr.to_le_bytes());
    img[28..32].copy_from_slice(&0xffffu32.to_le_bytes());
    for r in 0..8 {
        let (se, sig) = random_f80(rng);
        let o = 32 + 16 * r;
        img[o..o + 8].copy_from_slice(&sig.to_le_bytes());
        img[o + 8..o + 10].copy_from_slice(&se.to_le_bytes());
    }
    for r in 0..8 {
        let o = 160 + 16 * r;
        img[o..o + 16].copy_from_slice(&random_xmm(rng).to_le_bytes());
    }
    img
}

// ---------------------------------------------------------------------------------------
// Encodings.

/// Second opcode bytes (after 0x0f) of the MMX/SSE/SSE2/SSE3 instructions.
const SSE_OPCODES: &[u8] = &[
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e,
    0x2f, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e,
    0x5f, 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e,
    0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x7c, 0x7d, 0x7e, 0x7f, 0xae, 0xc2, 0xc3,
    0xc4, 0xc5, 0xc6, 0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc,
    0xdd, 0xde, 0xdf, 0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec,
    0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc,
    0xfd, 0xfe,
];

fn is_ours(i: &Instruction) -> bool {
    matches!(
        classify(i.code()),
        Handler::X87 | Handler::Sse | Handler::Fxsave | Handler::Fxrstor
    )
}

/// One random x87/MMX/SSE instruction's bytes (not yet steered).
fn random_encoding(rng: &mut Rng) -> Vec<u8> {
    let mut b = Vec::new();
    if rng.chance(6) {
        b.push(rng.pick(&[0x26u8, 0x2e, 0x36, 0x3e, 0x64, 0x65]));
    }
    let modrm = |rng: &mut Rng| -> u8 {
        if rng.chance(50) {
            0xc0 | rng.below(64) as u8
        } else {
            let md = rng.below(3) as u8;
            let rm = rng.pick(&[0u8, 1, 2, 3, 6, 7, 4]);
            md << 6 | (rng.below(8) as u8) << 3 | rm
        }
    };
    if rng.chance(50) {
        if rng.chance(2) {
            b.push(0x9b);
            return b;
        }
        b.push(0xd8 + rng.below(8) as u8);
        b.push(modrm(rng));
    } else {
        match rng.below(4) {
            0 => {}
            1 => b.push(0x66),
            2 => b.push(0xf2),
            _ => b.push(0xf3),
        }
        b.push(0x0f);
        b.push(rng.pick(SSE_OPCODES));
        b.push(modrm(rng));
    }
    // SIB, displacement, immediate: random bytes; the decoder takes what it needs.
    for _ in 0..6 {
        b.push(rng.next_u32() as u8);
    }
    b
}

/// Where a memory operand should land (a linear address).
fn memory_target(rng: &mut Rng, size: u32) -> u32 {
    let aligned = |rng: &mut Rng, base: u32, span: u32| base + (rng.below(span / 16) * 16);
    let span = PAGE - size.max(16);
    let t = match rng.below(100) {
        0..=54 => aligned(rng, DATA, span),
        55..=64 => DATA + rng.below(span),
        65..=74 => DATA + PAGE - rng.below(size.max(2)), // crosses into the read-only page
        75..=86 => aligned(rng, RO_PAGE, span),
        87..=91 => RO_PAGE + PAGE - rng.below(size.max(2)), // into the unmapped guard
        92..=95 => DATA - rng.below(16),
        _ => CODE + rng.below(64) * 16,
    };
    if rng.chance(8) {
        t + rng.below(16)
    } else {
        t
    }
}

fn gpr(r: Register) -> Option<usize> {
    r.is_gpr32().then(|| r as usize - Register::EAX as usize)
}

/// Sets registers so the memory operand of `i` lands at a chosen address; false if the
/// addressing form cannot be steered.
fn steer(rng: &mut Rng, i: &Instruction, regs: &mut [u32; 8]) -> bool {
    let has_mem = (0..i.op_count()).any(|n| i.op_kind(n) == OpKind::Memory);
    if !has_mem {
        return true;
    }
    if i.memory_base().is_gpr16() || i.memory_index().is_gpr16() {
        return false;
    }
    let size = i.memory_size().size() as u32;
    let target = memory_target(rng, size.max(1));
    let seg_base = match i.memory_segment() {
        Register::FS => FS_BASE,
        Register::GS => GS_BASE,
        _ => 0,
    };
    let mut want = target
        .wrapping_sub(seg_base)
        .wrapping_sub(i.memory_displacement32());
    if let Some(x) = gpr(i.memory_index()) {
        let v = rng.below(64);
        if Some(x) == gpr(i.memory_base()) {
            return false;
        }
        regs[x] = v;
        want = want.wrapping_sub(v.wrapping_mul(i.memory_index_scale()));
    }
    match gpr(i.memory_base()) {
        Some(b) => regs[b] = want,
        None => return false,
    }
    true
}

/// Draws case `index` of `seed`: 1 to 3 x87/MMX/SSE instructions, a random FXSAVE state,
/// random registers and flags, memory operands steered into (and around) the test pages.
pub fn generate_fp(seed: u64, index: u64) -> Option<FpCase> {
    let mut rng = Rng::new(seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xf0f0);
    let mut regs = [0u32; 8];
    for r in regs.iter_mut() {
        *r = rng.next_u32();
    }
    let count = if rng.chance(80) {
        1
    } else {
        2 + rng.below(2) as usize
    };
    let mut code = Vec::new();
    for _ in 0..count {
        let mut found = false;
        for _ in 0..32 {
            let bytes = random_encoding(&mut rng);
            let i = decode(&bytes);
            if i.is_invalid()
                || !is_ours(&i)
                || i.memory_size().size() == 14
                || i.memory_size().size() == 94
            {
                continue;
            }
            // A 16-bit address or an fldenv/frstor image from random memory is fine;
            // a prefix the host treats differently (lock) never reaches here.
            if code.len() + i.len() > 15 {
                break;
            }
            let mut trial = regs;
            if !steer(&mut rng, &i, &mut trial) {
                continue;
            }
            regs = trial;
            code.extend_from_slice(&bytes[..i.len()]);
            found = true;
            break;
        }
        if !found {
            break;
        }
    }
    if code.is_empty() {
        return None;
    }
    // esp must not point into the runner's own memory: the kernel would take the
    // signal frame for one on the alternate stack (which lives there) and kill it.
    if !in_test_window(regs[4]) {
        regs[4] = DATA + 0x800;
    }
    let mut case = Case::new(&code);
    case.regs = regs;
    case.eflags = 0x202 | (rng.next_u32() & 0x8d5);
    case.mem_seed = rng.next_u32();
    Some(FpCase {
        case,
        image: random_image(&mut rng),
    })
}
