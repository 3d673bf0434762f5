//! The seeded random case generator: random instruction encodings from the families the
//! interpreter implements (random prefixes, ModRM/SIB/displacement/immediate bytes),
//! random operand values and memory contents. Every case is reproducible from
//! `(seed, index)`.
//!
//! Registers used to address memory are steered so most accesses land in the test pages
//! (sometimes on a page edge, in the read-only page or in an unmapped guard page), which
//! makes faults as common as successes.

use super::case::*;
use super::compare::{decode, has_undefined_result};
use emulator::cpu::exec::{classify, Handler};
use iced_x86::{
    Decoder, DecoderOptions, FlowControl, Instruction, InstructionInfoFactory, Mnemonic, OpKind,
    Register,
};

/// SplitMix64: small, fast and good enough for test generation.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
    pub fn below(&mut self, n: u32) -> u32 {
        ((self.next_u32() as u64 * n as u64) >> 32) as u32
    }
    pub fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }
}

/// Values that make flags and edge cases interesting.
pub const EDGE_VALUES: [u32; 20] = [
    0,
    1,
    2,
    7,
    8,
    15,
    16,
    31,
    32,
    33,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0x8000,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fffe,
    0xffff_ffff,
];

/// One-byte opcodes of the implemented families (0x0f escapes listed separately).
const ONE_BYTE: &[u8] = &[
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x10, 0x11, 0x12, 0x13,
    0x14, 0x15, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x27, 0x28,
    0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x37, 0x38, 0x39, 0x3a,
    0x3b, 0x3c, 0x3d, 0x3f, 0x40, 0x43, 0x47, 0x48, 0x4c, 0x4f, 0x50, 0x53, 0x54, 0x55, 0x58, 0x5c,
    0x5d, 0x5f, 0x60, 0x61, 0x68, 0x69, 0x6a, 0x6b, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77,
    0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f, 0x80, 0x81, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88,
    0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8f, 0x90, 0x91, 0x94, 0x97, 0x98, 0x99, 0x9c, 0x9d, 0x9e, 0x9f,
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
    0xb0, 0xb4, 0xb8, 0xbc, 0xc0, 0xc1, 0xc2, 0xc3, 0xc6, 0xc7, 0xc8, 0xc9, 0xcc, 0xcd, 0xce, 0xd0,
    0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xe0, 0xe1, 0xe2, 0xe3, 0xe8, 0xe9, 0xeb, 0xf4, 0xf5,
    0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfc, 0xfd, 0xfe, 0xff,
];

/// Second bytes after 0x0f.
const TWO_BYTE: &[u8] = &[
    0x0b, 0x1f, 0x31, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c,
    0x4d, 0x4e, 0x4f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c,
    0x8d, 0x8e, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c,
    0x9d, 0x9e, 0x9f, 0xa2, 0xa3, 0xa4, 0xa5, 0xab, 0xac, 0xad, 0xaf, 0xb0, 0xb1, 0xb3, 0xb6, 0xb7,
    0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf, 0xc0, 0xc1, 0xc7, 0xc8, 0xc9, 0xcc, 0xcf, 0xff,
];

/// A value for a register: random, small, or an edge value.
fn register_value(rng: &mut Rng) -> u32 {
    match rng.below(10) {
        0..=3 => rng.next_u32(),
        4..=5 => rng.below(64),
        _ => rng.pick(&EDGE_VALUES),
    }
}

/// Where a memory access should land.
fn memory_target(rng: &mut Rng) -> u32 {
    match rng.below(100) {
        0..=59 => DATA + rng.below(PAGE),
        60..=69 => DATA + PAGE - 1 - rng.below(8), // crosses into the read-only page
        70..=81 => RO_PAGE + rng.below(PAGE),
        82..=87 => RO_PAGE + PAGE - 1 - rng.below(8), // crosses into the unmapped guard
        88..=91 => DATA - 1 - rng.below(8),           // starts in the guard below
        92..=95 => CODE + rng.below(64),
        _ => 0x0f00_0000 + rng.below(0x1000_0000),
    }
}

fn gpr_index(r: Register) -> Option<usize> {
    r.is_gpr32().then(|| r as usize - Register::EAX as usize)
}

pub struct Generated {
    pub case: Case,
}

/// Builds the case for `(seed, index)`, or `None` when the encoding drawn is outside
/// the implemented families or has an undefined result.
pub fn generate(seed: u64, index: u64) -> Option<Generated> {
    let mut rng = Rng::new(seed ^ index.wrapping_mul(0xd6e8_feb8_6659_fd93));
    let (bytes, instr, handler) = draw_instruction(&mut rng)?;
    let len = if instr.is_invalid() { 1 } else { instr.len() };
    let mut case = Case::new(&bytes[..len.max(1)]);
    if instr.is_invalid() {
        // Keep the whole random tail: the CPU decides how much of it is the instruction.
        case.code[..15].copy_from_slice(&bytes[..15]);
    }
    initial_state(&mut case, &mut rng);
    if !instr.is_invalid() && !prepare_operands(&mut case, 0, &instr, handler, &mut rng) {
        return None;
    }
    Some(Generated { case })
}

/// A straight-line sequence of 2-4 instructions in 16 bytes (only the last may branch),
/// to test how flags and registers flow from one instruction to the next (lazy flags).
pub fn generate_sequence(seed: u64, index: u64) -> Option<Generated> {
    let mut rng = Rng::new(seed ^ index.wrapping_mul(0x9fb2_1c65_1e98_df25) ^ 0x5e0);
    let wanted = 2 + rng.below(3) as usize;
    let mut parts = Vec::new();
    let mut used = 0;
    for _ in 0..wanted * 4 {
        if parts.len() == wanted {
            break;
        }
        let Some((bytes, instr, handler)) = draw_instruction(&mut rng) else {
            continue;
        };
        if instr.is_invalid() || used + instr.len() > 16 {
            continue;
        }
        let last = parts.len() + 1 == wanted;
        if !last && instr.flow_control() != FlowControl::Next {
            continue;
        }
        // popf could set TF (single-step) or AC (alignment checks), which the emulator
        // does not model; alone it is tested by `generate`, whose next step is a trap.
        // rdtsc and cpuid results are host-specific and would flow into later ones.
        if matches!(handler, Handler::Popf | Handler::Rdtsc | Handler::Cpuid) {
            continue;
        }
        used += instr.len();
        parts.push((bytes[..instr.len()].to_vec(), handler));
    }
    if parts.len() < 2 {
        return None;
    }
    // A branch back into the sequence's own bytes would run other decodings of them.
    if let Some((bytes, _)) = parts.last() {
        let ip = CODE as u64 + (used - bytes.len()) as u64;
        let last = Decoder::with_ip(32, bytes, ip, DecoderOptions::NONE).decode();
        let target = last.near_branch_target() as u32;
        if matches!(last.op0_kind(), OpKind::NearBranch32 | OpKind::NearBranch16)
            && target.wrapping_sub(CODE) < 16
        {
            return None;
        }
    }
    let code: Vec<u8> = parts.iter().flat_map(|(b, _)| b.iter().copied()).collect();
    let mut case = Case::new(&code);
    initial_state(&mut case, &mut rng);
    let mut at = 0;
    for (bytes, handler) in &parts {
        let instr = decode_at(&case.code, at);
        if !prepare_operands(&mut case, at, &instr, *handler, &mut rng) {
            return None;
        }
        at += bytes.len();
    }
    Some(Generated { case })
}

fn decode_at(code: &[u8], at: usize) -> Instruction {
    Decoder::with_ip(
        32,
        &code[at..],
        CODE as u64 + at as u64,
        DecoderOptions::NONE,
    )
    .decode()
}

/// Random prefixes, an opcode of an implemented family and random trailing bytes,
/// decoded. `None` for valid instructions outside the families and for syscalls.
fn draw_instruction(rng: &mut Rng) -> Option<(Vec<u8>, Instruction, Handler)> {
    let mut bytes = Vec::with_capacity(16);
    if rng.chance(15) {
        bytes.push(0x66);
    }
    if rng.chance(3) {
        bytes.push(0x67);
    }
    if rng.chance(3) {
        bytes.push(rng.pick(&[0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x64, 0x65]));
    }
    if rng.chance(3) {
        bytes.push(0xf0);
    }
    let opcode_pos = bytes.len();
    if rng.chance(30) {
        let second = rng.pick(TWO_BYTE);
        if matches!(second, 0xb8 | 0xbc | 0xbd) && rng.chance(60) {
            bytes.insert(opcode_pos, 0xf3); // popcnt, tzcnt, lzcnt
        }
        bytes.extend_from_slice(&[0x0f, second]);
    } else {
        let op = rng.pick(ONE_BYTE);
        // Opcodes that encode a register in their low three bits.
        let op = if (0x40..0x60).contains(&op)
            || (0x90..0x98).contains(&op)
            || (0xb0..0xc0).contains(&op)
        {
            (op & 0xf8) | rng.below(8) as u8
        } else {
            op
        };
        if (0xa4..=0xaf).contains(&op) && rng.chance(50) {
            bytes.insert(opcode_pos, rng.pick(&[0xf3, 0xf2]));
        }
        bytes.push(op);
    }
    while bytes.len() < 15 {
        bytes.push(rng.next_u32() as u8);
    }
    let instr = decode(&bytes);
    let handler = classify(instr.code());
    if handler == Handler::Invalid && !instr.is_invalid() {
        return None; // a valid instruction of a family we do not run (far jumps, ...)
    }
    if matches!(handler, Handler::Sysenter)
        || (handler == Handler::Int && instr.immediate8() == 0x80)
    {
        return None; // syscalls are the kernel layer's business
    }
    // `F3 0F BC` is compared against the host's bsf by swapping F3 for a ds override
    // (see `as_host_runs_it`); that needs no other segment prefix and a ds operand.
    if instr.mnemonic() == Mnemonic::Tzcnt
        && (instr.segment_prefix() != Register::None
            || (instr.op1_kind() == OpKind::Memory && instr.memory_segment() != Register::DS))
    {
        return None;
    }
    Some((bytes, instr, handler))
}

/// Random registers (esp, often ebp, in the data page), flags and memory seed.
fn initial_state(case: &mut Case, rng: &mut Rng) {
    for r in case.regs.iter_mut() {
        *r = register_value(rng);
    }
    case.regs[4] = DATA + rng.below(PAGE); // esp
    if rng.chance(10) {
        case.regs[4] = memory_target(rng);
    }
    if rng.chance(50) {
        case.regs[5] = DATA + rng.below(PAGE); // ebp, for enter/leave
    }
    case.eflags = 0x202 | (rng.next_u32() & 0xcd5);
    case.mem_seed = rng.next_u32();
}

/// Steers the registers of the instruction at `at` toward useful values (memory in the
/// test pages, short rep counts, branch targets near the code). False when the case has
/// an architecturally undefined result and must be dropped.
fn prepare_operands(
    case: &mut Case,
    at: usize,
    instr: &Instruction,
    handler: Handler,
    rng: &mut Rng,
) -> bool {
    steer_memory(case, at, instr, rng);
    if matches!(
        handler,
        Handler::Movs | Handler::Cmps | Handler::Scas | Handler::Lods | Handler::Stos
    ) && (instr.has_rep_prefix() || instr.has_repne_prefix())
    {
        case.regs[1] = rng.below(40);
    }
    if matches!(handler, Handler::Jmp | Handler::Call) && instr.op0_kind() == OpKind::Register {
        if let Some(n) = gpr_index(instr.op0_register()) {
            case.regs[n] = if rng.chance(70) {
                CODE + 16 + rng.below(64)
            } else {
                memory_target(rng)
            };
        }
    }
    !has_undefined_result(&decode_at(&case.code, at), &case.regs)
}

/// Adjusts base/index registers so that each memory operand hits a chosen target.
fn steer_memory(case: &mut Case, at: usize, instr: &Instruction, rng: &mut Rng) {
    if instr.mnemonic() == Mnemonic::Lea || instr.mnemonic() == Mnemonic::Nop {
        return;
    }
    let mut factory = InstructionInfoFactory::new();
    let info = factory.info(instr);
    let mut fixed: u8 = 0;
    for um in info.used_memory() {
        let target = memory_target(rng);
        let regs = case.regs;
        let read = |r: Register, _: usize, _: usize| -> Option<u64> {
            match r {
                Register::FS => return Some(FS_BASE as u64),
                Register::GS => return Some(GS_BASE as u64),
                r if r == Register::None || r.is_segment_register() => return Some(0),
                _ => {}
            }
            let n = r.full_register32();
            let v = regs[n as usize - Register::EAX as usize];
            Some(match r.size() {
                1 if (r as usize) >= Register::AH as usize
                    && (r as usize) <= Register::BH as usize =>
                {
                    (v >> 8) & 0xff
                }
                1 => v & 0xff,
                2 => v & 0xffff,
                _ => v,
            } as u64)
        };
        let Some(ea) = um.virtual_address(0, read) else {
            continue;
        };
        let delta = target.wrapping_sub(ea as u32);
        let reg = if let Some(n) = gpr_index(um.base()) {
            Some(n)
        } else if um.scale() == 1 {
            gpr_index(um.index())
        } else {
            None
        };
        if let Some(n) = reg {
            if fixed & (1 << n) == 0 {
                case.regs[n] = case.regs[n].wrapping_add(delta);
                fixed |= 1 << n;
            }
        } else if um.base() == Register::None && um.index() == Register::None {
            // An absolute address (disp32, moffs): rewrite the displacement bytes.
            patch_displacement(case, at, delta);
        }
    }
}

fn patch_displacement(case: &mut Case, at: usize, delta: u32) {
    let mut decoder = Decoder::with_ip(32, &case.code[at..], CODE as u64, DecoderOptions::NONE);
    let instr = decoder.decode();
    let offsets = decoder.get_constant_offsets(&instr);
    if !offsets.has_displacement() || offsets.displacement_size() != 4 {
        return;
    }
    let at = at + offsets.displacement_offset();
    let old = u32::from_le_bytes(case.code[at..at + 4].try_into().unwrap());
    case.code[at..at + 4].copy_from_slice(&old.wrapping_add(delta).to_le_bytes());
}
