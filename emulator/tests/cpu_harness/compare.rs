//! Comparing a native and an emulated outcome: which parts of the state an instruction
//! defines (the one table of undefined flags lives here), and the mismatch report.

use super::case::*;
use super::emulated::Emulated;
use super::native::NativeRunner;
use iced_x86::{Decoder, DecoderOptions, Formatter, Instruction, IntelFormatter, Mnemonic as M};

const CF: u32 = 1;
const PF: u32 = 1 << 2;
const AF: u32 = 1 << 4;
const ZF: u32 = 1 << 6;
const SF: u32 = 1 << 7;
const DF: u32 = 1 << 10;
const OF: u32 = 1 << 11;
const STATUS: u32 = CF | PF | AF | ZF | SF | OF;

pub fn decode(code: &[u8]) -> Instruction {
    Decoder::with_ip(32, code, CODE as u64, DecoderOptions::NONE).decode()
}

pub fn disassemble(i: &Instruction) -> String {
    let mut out = String::new();
    IntelFormatter::new().format(i, &mut out);
    out
}

/// Shift/rotate count as the instruction sees it (masked to 5 bits).
fn count(i: &Instruction, regs: &[u32; 8]) -> u32 {
    let n = if matches!(i.mnemonic(), M::Shld | M::Shrd) {
        2
    } else {
        1
    };
    if i.op_count() <= n {
        return 1;
    }
    let raw = match i.op_kind(n) {
        iced_x86::OpKind::Register => regs[1] & 0xff, // cl
        _ => i.immediate8() as u32,
    };
    raw & 0x1f
}

fn operand_bits(i: &Instruction) -> u32 {
    match i.op0_kind() {
        iced_x86::OpKind::Register => i.op0_register().size() as u32 * 8,
        _ => i.memory_size().size() as u32 * 8,
    }
}

/// Flags the SDM leaves undefined after `i` (given the registers before it).
/// This is the one place that lists them.
pub fn undefined_flags(i: &Instruction, regs: &[u32; 8]) -> u32 {
    match i.mnemonic() {
        M::Mul | M::Imul => SF | ZF | AF | PF,
        M::Div | M::Idiv => STATUS,
        M::And | M::Or | M::Xor | M::Test => AF,
        M::Shl | M::Sal | M::Shr | M::Sar => {
            let c = count(i, regs);
            match c {
                0 => 0,
                1 => AF,
                c if c >= operand_bits(i) => AF | OF | CF,
                _ => AF | OF,
            }
        }
        M::Rol | M::Ror | M::Rcl | M::Rcr => match count(i, regs) {
            0 | 1 => 0,
            _ => OF,
        },
        M::Shld | M::Shrd => match count(i, regs) {
            0 => 0,
            1 => AF,
            _ => AF | OF,
        },
        M::Bt | M::Bts | M::Btr | M::Btc => OF | SF | AF | PF,
        // tzcnt runs as bsf here (BMI1 is not advertised); the runner runs bsf for it too.
        M::Bsf | M::Bsr | M::Tzcnt => CF | OF | SF | AF | PF,
        M::Lzcnt => OF | SF | AF | PF,
        M::Daa | M::Das => OF,
        M::Aaa | M::Aas => OF | SF | ZF | PF,
        M::Aam | M::Aad => OF | AF | CF,
        _ => 0,
    }
}

/// iced-x86 `RflagsBits` to EFLAGS bits (status flags and DF).
fn eflags_from_iced(bits: u32) -> u32 {
    use iced_x86::RflagsBits as R;
    [
        (R::OF, OF),
        (R::SF, SF),
        (R::ZF, ZF),
        (R::AF, AF),
        (R::CF, CF),
        (R::PF, PF),
        (R::DF, DF),
    ]
    .iter()
    .filter(|(iced, _)| bits & iced != 0)
    .fold(0, |acc, (_, ours)| acc | ours)
}

/// Flags `i` reads (EFLAGS bits).
pub fn flags_read(i: &Instruction) -> u32 {
    eflags_from_iced(i.rflags_read())
}

/// Flags `i` may change, given the registers before it (a zero shift count changes none).
pub fn flags_modified(i: &Instruction, regs: &[u32; 8]) -> u32 {
    let shifts = matches!(
        i.mnemonic(),
        M::Shl | M::Sal | M::Shr | M::Sar | M::Rol | M::Ror | M::Rcl | M::Rcr | M::Shld | M::Shrd
    );
    if shifts && count(i, regs) == 0 {
        return 0;
    }
    let string = matches!(
        i.mnemonic(),
        M::Cmpsb | M::Cmpsw | M::Cmpsd | M::Scasb | M::Scasw | M::Scasd
    );
    let counter =
        if i.memory_base() == iced_x86::Register::SI || i.memory_base() == iced_x86::Register::DI {
            regs[1] & 0xffff
        } else {
            regs[1]
        };
    if string && (i.has_rep_prefix() || i.has_repne_prefix()) && counter == 0 {
        return 0;
    }
    eflags_from_iced(i.rflags_modified())
}

/// Cases whose result the SDM leaves undefined beyond flags; the generator skips them.
pub fn has_undefined_result(i: &Instruction, regs: &[u32; 8]) -> bool {
    matches!(i.mnemonic(), M::Shld | M::Shrd) && operand_bits(i) == 16 && count(i, regs) > 16
}

/// Registers whose value is not comparable (host-specific instructions).
fn masked_registers(i: &Instruction) -> u8 {
    match i.mnemonic() {
        M::Cpuid => 0b1111, // eax ecx edx ebx
        M::Rdtsc => 0b0101, // eax edx
        _ => 0,
    }
}

/// Registers masked by any instruction of the case.
fn masked_registers_of_sequence(code: &[u8]) -> u8 {
    let mut decoder = Decoder::with_ip(32, code, CODE as u64, DecoderOptions::NONE);
    let mut masked = 0;
    while decoder.can_decode() {
        let ins = decoder.decode();
        if ins.is_invalid() || ins.code() == iced_x86::Code::Int3 {
            break;
        }
        masked |= masked_registers(&ins);
    }
    masked
}

/// Compares; on mismatch returns a full report.
pub fn check(
    case: &Case,
    native: &Outcome,
    emulated: &Emulated,
    runner: &mut NativeRunner,
    label: &str,
) -> Result<(), String> {
    let e = &emulated.outcome;
    let mut diffs = Vec::new();
    let masked = masked_registers_of_sequence(&case.code);
    for (n, name) in ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"]
        .iter()
        .enumerate()
    {
        if masked & (1 << n) == 0 && native.regs[n] != e.regs[n] {
            diffs.push(format!(
                "{name}: native {:#010x} emulated {:#010x}",
                native.regs[n], e.regs[n]
            ));
        }
    }
    if native.eip != e.eip {
        diffs.push(format!(
            "eip: native {:#010x} emulated {:#010x}",
            native.eip, e.eip
        ));
    }
    let defined = (STATUS | DF) & !emulated.undefined_flags;
    if native.eflags & defined != e.eflags & defined {
        diffs.push(format!(
            "eflags (defined mask {defined:#x}): native {:#x} emulated {:#x}",
            native.eflags & defined,
            e.eflags & defined
        ));
    }
    if (native.signo, native.trapno) != (e.signo, e.trapno) {
        diffs.push(format!(
            "signal: native {}/trap {} emulated {}/trap {}",
            native.signo, native.trapno, e.signo, e.trapno
        ));
    } else if native.trapno == 13 && native.err != e.err {
        diffs.push(format!(
            "#GP error code: native {:#x} emulated {:#x}",
            native.err, e.err
        ));
    } else if native.trapno == 14 {
        if native.addr != e.addr {
            diffs.push(format!(
                "fault address: native {:#x} emulated {:#x}",
                native.addr, e.addr
            ));
        }
        if native.err & 2 != e.err & 2 {
            diffs.push(format!(
                "fault write bit: native {} emulated {}",
                native.err & 2 != 0,
                e.err & 2 != 0
            ));
        }
    }
    if native.mem_hash != e.mem_hash {
        let (_, page) = runner.run_with_page(case);
        let mut bytes = Vec::new();
        for (off, (a, b)) in page.iter().zip(&emulated.page).enumerate() {
            if a != b && bytes.len() < 16 {
                bytes.push(format!("+{off:#x}: native {a:#04x} emulated {b:#04x}"));
            }
        }
        diffs.push(format!("data page differs: {}", bytes.join(", ")));
    }
    if diffs.is_empty() {
        return Ok(());
    }
    let mut listing = Vec::new();
    let mut decoder = Decoder::with_ip(32, &case.code, CODE as u64, DecoderOptions::NONE);
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
        "MISMATCH {label}\n  bytes: {}\n  instruction: {}\n  initial: regs {:08x?} eflags {:#x} mem_seed {:#x}\n  native:   {:08x?}\n  emulated: {:08x?} exit {:?}\n  {}",
        case.code[..len].iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" "),
        listing.join("; "),
        case.regs,
        case.eflags,
        case.mem_seed,
        native,
        e,
        emulated.exit,
        diffs.join("\n  ")
    ))
}
