//! Instruction execution: the table from iced-x86 instructions to our handlers, the
//! dispatch, and operand access shared by the instruction families.
//!
//! Each family lives in its own module (alu, shift, muldiv, bit, bcd, string, data,
//! stack, control, system, x87, sse with mmx for SIMD operand access). Handlers are precise: they do every access that can fault
//! before they change any register, so a fault leaves the state as it was (except the
//! documented progress of `rep` string instructions). Nothing here may panic on guest
//! input: an instruction we do not know becomes #UD.

mod alu;
mod bcd;
mod bit;
mod control;
mod data;
pub mod fast;
mod mmx;
mod muldiv;
mod shift;
mod sse;
mod stack;
mod string;
mod system;
mod x87;

pub use x87::x87_si_code;

use super::fault::{FaultKind, Step, Stop};
use super::memory::{GuestAddr, GuestMemory, MemFault};
use super::state::CpuState;
use iced_x86::{Code, ConditionCode, Instruction, Mnemonic, OpKind, Register};

/// What a decoded instruction does, chosen once at decode time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Handler {
    Invalid,
    Nop,
    // alu
    Add,
    Or,
    Adc,
    Sbb,
    And,
    Sub,
    Xor,
    Cmp,
    Test,
    Inc,
    Dec,
    Neg,
    Not,
    // shift
    Rol,
    Ror,
    Rcl,
    Rcr,
    Shl,
    Shr,
    Sar,
    Shld,
    Shrd,
    // muldiv
    Mul,
    Imul,
    Div,
    Idiv,
    // bit
    Bt,
    Bts,
    Btr,
    Btc,
    Bsf,
    Bsr,
    Lzcnt,
    Popcnt,
    // bcd
    Daa,
    Das,
    Aaa,
    Aas,
    Aam,
    Aad,
    // string
    Movs,
    Cmps,
    Scas,
    Lods,
    Stos,
    // data
    Mov,
    MovSegment,
    Movzx,
    Movsx,
    Lea,
    Xchg,
    Xadd,
    Cmpxchg,
    Cmpxchg8b,
    Bswap,
    Cmovcc,
    Setcc,
    Cbw,
    Cwde,
    Cwd,
    Cdq,
    Lahf,
    Sahf,
    Xlat,
    Salc,
    Clc,
    Stc,
    Cmc,
    Cld,
    Std,
    // stack
    Push,
    Pop,
    Pusha,
    Popa,
    Pushf,
    Popf,
    Enter,
    Leave,
    // control
    Jmp,
    Jcc,
    Call,
    Ret,
    Loop,
    Loope,
    Loopne,
    Jcxz,
    // system
    Int3,
    Int,
    Into,
    Ud,
    Privileged,
    Cpuid,
    Rdtsc,
    Sysenter,
    // x87, MMX/SSE (x87.rs, sse.rs)
    X87,
    Sse,
    Fxsave,
    Fxrstor,
}

/// Picks the handler for an instruction form; `Invalid` for anything we do not run.
/// Depends only on the `Code`, so it is decided once at decode time.
pub fn classify(code: Code) -> Handler {
    use Handler as H;
    use Mnemonic as M;
    match code {
        Code::INVALID => return H::Invalid,
        _ if x87::handles(code.mnemonic()) => return H::X87,
        _ if code.mnemonic() == M::Fxsave => return H::Fxsave,
        _ if code.mnemonic() == M::Fxrstor => return H::Fxrstor,
        _ if sse::handles(code) => return H::Sse,
        Code::Mov_rm16_Sreg
        | Code::Mov_r32m16_Sreg
        | Code::Mov_Sreg_rm16
        | Code::Mov_Sreg_r32m16 => return H::MovSegment,
        Code::Mov_r32_cr
        | Code::Mov_cr_r32
        | Code::Mov_r32_dr
        | Code::Mov_dr_r32
        | Code::Mov_r32_tr
        | Code::Mov_tr_r32 => return H::Privileged,
        Code::Popw_ES
        | Code::Popd_ES
        | Code::Popw_CS
        | Code::Popw_SS
        | Code::Popd_SS
        | Code::Popw_DS
        | Code::Popd_DS
        | Code::Popw_FS
        | Code::Popd_FS
        | Code::Popw_GS
        | Code::Popd_GS
        | Code::Bswap_r16
        | Code::Jmp_m1616
        | Code::Jmp_m1632
        | Code::Jmp_ptr1616
        | Code::Jmp_ptr1632
        | Code::Call_m1616
        | Code::Call_m1632
        | Code::Call_ptr1616
        | Code::Call_ptr1632
        | Code::Movsd_xmm_xmmm64
        | Code::Movsd_xmmm64_xmm
        | Code::Cmpsd_xmm_xmmm64_imm8 => return H::Invalid,
        _ => {}
    }
    match code.mnemonic() {
        M::Nop | M::Pause => H::Nop,
        M::Add => H::Add,
        M::Or => H::Or,
        M::Adc => H::Adc,
        M::Sbb => H::Sbb,
        M::And => H::And,
        M::Sub => H::Sub,
        M::Xor => H::Xor,
        M::Cmp => H::Cmp,
        M::Test => H::Test,
        M::Inc => H::Inc,
        M::Dec => H::Dec,
        M::Neg => H::Neg,
        M::Not => H::Not,
        M::Rol => H::Rol,
        M::Ror => H::Ror,
        M::Rcl => H::Rcl,
        M::Rcr => H::Rcr,
        M::Shl | M::Sal => H::Shl,
        M::Shr => H::Shr,
        M::Sar => H::Sar,
        M::Shld => H::Shld,
        M::Shrd => H::Shrd,
        M::Mul => H::Mul,
        M::Imul => H::Imul,
        M::Div => H::Div,
        M::Idiv => H::Idiv,
        M::Bt => H::Bt,
        M::Bts => H::Bts,
        M::Btr => H::Btr,
        M::Btc => H::Btc,
        M::Bsf => H::Bsf,
        M::Bsr => H::Bsr,
        // Without BMI1 advertised, `rep bsf` (F3 0F BC) is plain bsf, as on CPUs
        // that predate TZCNT.
        M::Tzcnt => H::Bsf,
        M::Lzcnt => H::Lzcnt,
        M::Popcnt => H::Popcnt,
        M::Daa => H::Daa,
        M::Das => H::Das,
        M::Aaa => H::Aaa,
        M::Aas => H::Aas,
        M::Aam => H::Aam,
        M::Aad => H::Aad,
        M::Movsb | M::Movsw | M::Movsd => H::Movs,
        M::Cmpsb | M::Cmpsw | M::Cmpsd => H::Cmps,
        M::Scasb | M::Scasw | M::Scasd => H::Scas,
        M::Lodsb | M::Lodsw | M::Lodsd => H::Lods,
        M::Stosb | M::Stosw | M::Stosd => H::Stos,
        M::Mov => H::Mov,
        M::Movzx => H::Movzx,
        M::Movsx => H::Movsx,
        M::Lea => H::Lea,
        M::Xchg => H::Xchg,
        M::Xadd => H::Xadd,
        M::Cmpxchg => H::Cmpxchg,
        M::Cmpxchg8b => H::Cmpxchg8b,
        M::Bswap => H::Bswap,
        M::Cmova
        | M::Cmovae
        | M::Cmovb
        | M::Cmovbe
        | M::Cmove
        | M::Cmovne
        | M::Cmovg
        | M::Cmovge
        | M::Cmovl
        | M::Cmovle
        | M::Cmovo
        | M::Cmovno
        | M::Cmovp
        | M::Cmovnp
        | M::Cmovs
        | M::Cmovns => H::Cmovcc,
        M::Seta
        | M::Setae
        | M::Setb
        | M::Setbe
        | M::Sete
        | M::Setne
        | M::Setg
        | M::Setge
        | M::Setl
        | M::Setle
        | M::Seto
        | M::Setno
        | M::Setp
        | M::Setnp
        | M::Sets
        | M::Setns => H::Setcc,
        M::Cbw => H::Cbw,
        M::Cwde => H::Cwde,
        M::Cwd => H::Cwd,
        M::Cdq => H::Cdq,
        M::Lahf => H::Lahf,
        M::Sahf => H::Sahf,
        M::Xlatb => H::Xlat,
        M::Salc => H::Salc,
        M::Clc => H::Clc,
        M::Stc => H::Stc,
        M::Cmc => H::Cmc,
        M::Cld => H::Cld,
        M::Std => H::Std,
        M::Push => H::Push,
        M::Pop => H::Pop,
        M::Pusha | M::Pushad => H::Pusha,
        M::Popa | M::Popad => H::Popa,
        M::Pushf | M::Pushfd => H::Pushf,
        M::Popf | M::Popfd => H::Popf,
        M::Enter => H::Enter,
        M::Leave => H::Leave,
        M::Jmp => H::Jmp,
        M::Ja
        | M::Jae
        | M::Jb
        | M::Jbe
        | M::Je
        | M::Jne
        | M::Jg
        | M::Jge
        | M::Jl
        | M::Jle
        | M::Jo
        | M::Jno
        | M::Jp
        | M::Jnp
        | M::Js
        | M::Jns => H::Jcc,
        M::Call => H::Call,
        M::Ret => H::Ret,
        M::Loop => H::Loop,
        M::Loope => H::Loope,
        M::Loopne => H::Loopne,
        M::Jecxz | M::Jcxz => H::Jcxz,
        M::Int3 => H::Int3,
        M::Int => H::Int,
        M::Into => H::Into,
        M::Ud0 | M::Ud1 | M::Ud2 => H::Ud,
        M::Hlt
        | M::Cli
        | M::Sti
        | M::In
        | M::Out
        | M::Insb
        | M::Insw
        | M::Insd
        | M::Outsb
        | M::Outsw
        | M::Outsd
        | M::Clts
        | M::Lgdt
        | M::Lidt
        | M::Lldt
        | M::Ltr
        | M::Lmsw
        | M::Invd
        | M::Wbinvd
        | M::Invlpg
        | M::Rdmsr
        | M::Wrmsr => H::Privileged,
        M::Cpuid => H::Cpuid,
        M::Rdtsc => H::Rdtsc,
        M::Sysenter => H::Sysenter,
        _ => H::Invalid,
    }
}

/// Adjusts the handler for properties of the decoded instance that the code alone does
/// not fix: a memory write through a `cs:` override is #GP (code segments are not
/// writable), checked before any access.
pub fn refine(h: Handler, i: &Instruction) -> Handler {
    use Handler as H;
    if matches!(h, H::X87 | H::Sse | H::Fxsave | H::Fxrstor) {
        return h; // they check `cs:` writes themselves, after #MF (see `cs_write_fault`)
    }
    if i.memory_segment() == Register::CS && i.op0_kind() == OpKind::Memory {
        let reads_only = matches!(
            h,
            H::Cmp
                | H::Test
                | H::Bt
                | H::Push
                | H::Jmp
                | H::Call
                | H::Nop
                | H::Lea
                | H::Mul
                | H::Imul
                | H::Div
                | H::Idiv
                | H::Xlat
                | H::Movs
                | H::Cmps
                | H::Scas
                | H::Lods
                | H::Stos
                | H::Invalid
        );
        if !reads_only {
            return H::Privileged;
        }
    }
    h
}

/// #GP(0) for an x87/SIMD instruction that writes memory through `cs:` (checked at run
/// time after the pending-#MF check, which has priority on hardware).
#[inline]
pub(crate) fn cs_write_fault(i: &Instruction) -> Step {
    if i.memory_segment() == Register::CS && writes_memory(i) {
        return Err(FaultKind::GeneralProtection(0).into());
    }
    Ok(())
}

/// True if the instruction may write its memory operand (slow: computes iced-x86 info).
fn writes_memory(i: &Instruction) -> bool {
    use iced_x86::{InstructionInfoFactory, OpAccess};
    InstructionInfoFactory::new()
        .info(i)
        .used_memory()
        .iter()
        .any(|u| {
            matches!(
                u.access(),
                OpAccess::Write
                    | OpAccess::CondWrite
                    | OpAccess::ReadWrite
                    | OpAccess::ReadCondWrite
            )
        })
}

/// True when the instruction may write guest memory, implicit stack and string
/// accesses included (decided once at decode; when unsure, yes).
pub fn may_write_memory(h: Handler, i: &Instruction) -> bool {
    use Handler as H;
    match h {
        // Implicit writes: the stack, string destinations, x87/SSE stores.
        H::Push
        | H::Pusha
        | H::Pushf
        | H::Call
        | H::Enter
        | H::Movs
        | H::Stos
        | H::X87
        | H::Sse
        | H::Fxsave
        | H::Cmpxchg8b => true,
        // `xchg` writes whichever operand is memory.
        H::Xchg => (0..i.op_count()).any(|n| i.op_kind(n) == OpKind::Memory),
        // Everything else writes memory only as its first operand.
        _ => i.op_count() > 0 && i.op0_kind() == OpKind::Memory && !reads_first_operand_only(h),
    }
}

/// Instructions whose memory first operand is only read.
fn reads_first_operand_only(h: Handler) -> bool {
    use Handler as H;
    matches!(
        h,
        H::Cmp | H::Test | H::Bt | H::Jmp | H::Mul | H::Imul | H::Div | H::Idiv | H::Nop
    )
}

/// True when the instruction ends a decoded block (it may change eip other than by
/// falling through, or leaves the run loop).
pub fn ends_block(h: Handler) -> bool {
    use Handler as H;
    matches!(
        h,
        H::Jmp
            | H::Jcc
            | H::Call
            | H::Ret
            | H::Loop
            | H::Loope
            | H::Loopne
            | H::Jcxz
            | H::Int3
            | H::Int
            | H::Into
            | H::Ud
            | H::Privileged
            | H::Sysenter
            | H::Invalid
    )
}

/// Executes one instruction. On success `s.next_eip` holds the address to continue at.
#[inline(always)]
pub(crate) fn execute<M: GuestMemory>(
    h: Handler,
    s: &mut CpuState,
    m: &mut M,
    i: &Instruction,
) -> Step {
    use Handler as H;
    match h {
        H::Invalid => Err(FaultKind::InvalidOpcode.into()),
        H::Nop => Ok(()),
        H::Add | H::Or | H::Adc | H::Sbb | H::And | H::Sub | H::Xor | H::Cmp | H::Test => {
            alu::binary(h, s, m, i)
        }
        H::Inc | H::Dec | H::Neg | H::Not => alu::unary(h, s, m, i),
        H::Rol | H::Ror | H::Rcl | H::Rcr | H::Shl | H::Shr | H::Sar => shift::shift(h, s, m, i),
        H::Shld | H::Shrd => shift::double_shift(h, s, m, i),
        H::Mul | H::Div | H::Idiv => muldiv::one_operand(h, s, m, i),
        H::Imul => muldiv::imul(s, m, i),
        H::Bt | H::Bts | H::Btr | H::Btc => bit::bit_test(h, s, m, i),
        H::Bsf | H::Bsr | H::Lzcnt | H::Popcnt => bit::bit_scan(h, s, m, i),
        H::Daa | H::Das | H::Aaa | H::Aas | H::Aam | H::Aad => bcd::execute(h, s, i),
        H::Movs | H::Cmps | H::Scas | H::Lods | H::Stos => string::execute(h, s, m, i),
        H::Mov => data::mov(s, m, i),
        H::MovSegment => data::mov_segment(s, m, i),
        H::Movzx | H::Movsx => data::extend(h, s, m, i),
        H::Lea => data::lea(s, i),
        H::Xchg => data::xchg(s, m, i),
        H::Xadd => data::xadd(s, m, i),
        H::Cmpxchg => data::cmpxchg(s, m, i),
        H::Cmpxchg8b => data::cmpxchg8b(s, m, i),
        H::Bswap => data::bswap(s, i),
        H::Cmovcc => data::cmov(s, m, i),
        H::Setcc => data::setcc(s, m, i),
        H::Cbw | H::Cwde | H::Cwd | H::Cdq | H::Lahf | H::Sahf | H::Salc => data::accumulator(h, s),
        H::Xlat => data::xlat(s, m, i),
        H::Clc | H::Stc | H::Cmc | H::Cld | H::Std => data::flag_op(h, s),
        H::Push => stack::push(s, m, i),
        H::Pop => stack::pop(s, m, i),
        H::Pusha => stack::pusha(s, m, i),
        H::Popa => stack::popa(s, m, i),
        H::Pushf => stack::pushf(s, m, i),
        H::Popf => stack::popf(s, m, i),
        H::Enter => stack::enter(s, m, i),
        H::Leave => stack::leave(s, m, i),
        H::Jmp => control::jmp(s, m, i),
        H::Jcc => control::jcc(s, i),
        H::Call => control::call(s, m, i),
        H::Ret => control::ret(s, m, i),
        H::Loop | H::Loope | H::Loopne | H::Jcxz => control::loop_family(h, s, i),
        H::Int3 | H::Int | H::Into | H::Ud | H::Privileged | H::Sysenter => {
            system::interrupt_family(h, s, i)
        }
        H::Cpuid => system::cpuid(s),
        H::Rdtsc => system::rdtsc(s),
        H::X87 => x87::execute(s, m, i),
        H::Sse => sse::execute(s, m, i),
        H::Fxsave | H::Fxrstor => x87::fxsave_family(h, s, m, i),
    }
}

// ---------------------------------------------------------------------------------------
// Operand access shared by the families.

/// Where an operand lives once its address has been computed.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Place {
    Reg(Register),
    Mem(GuestAddr),
}

/// Size in bytes (1, 2 or 4) of operand `n` when it is a register or memory.
#[inline(always)]
pub(crate) fn operand_size(i: &Instruction, n: u32) -> u32 {
    match i.op_kind(n) {
        OpKind::Register => i.op_register(n).size() as u32,
        _ => i.memory_size().size() as u32,
    }
}

/// Effective address of the memory operand, without the segment base (what `lea` sees).
#[inline(always)]
pub(crate) fn offset(s: &CpuState, i: &Instruction) -> u32 {
    let base = i.memory_base();
    let index = i.memory_index();
    let mut ea = i.memory_displacement32();
    if base != Register::None {
        ea = ea.wrapping_add(s.reg(base));
    }
    if index != Register::None {
        ea = ea.wrapping_add(s.reg(index).wrapping_mul(i.memory_index_scale()));
    }
    if base.is_gpr16()
        || index.is_gpr16()
        || (base == Register::None && index == Register::None && i.memory_displ_size() == 2)
    {
        ea &= 0xffff;
    }
    ea
}

/// Base of the segment register named by iced-x86 (es/cs/ss/ds/fs/gs).
#[inline(always)]
pub(crate) fn segment_base(s: &CpuState, seg: Register) -> u32 {
    let n = seg as usize;
    if n >= Register::ES as usize && n <= Register::GS as usize {
        s.segments[n - Register::ES as usize].base
    } else {
        0
    }
}

/// Linear address of the memory operand (segment base included). An access that runs
/// past the 4 GiB segment limit (offset + size - 1 > 0xffff_ffff) is #GP(0), or #SS(0)
/// through ss, before any memory is touched.
#[inline(always)]
pub(crate) fn linear(s: &CpuState, i: &Instruction) -> Result<GuestAddr, Stop> {
    let off = offset(s, i);
    let size = i.memory_size().size() as u32;
    if off.checked_add(size.saturating_sub(1)).is_none() {
        return Err(segment_limit_fault(i.memory_segment()).into());
    }
    Ok(GuestAddr(
        off.wrapping_add(segment_base(s, i.memory_segment())),
    ))
}

/// The fault for an access beyond a segment's limit.
#[inline(never)]
pub(crate) fn segment_limit_fault(seg: Register) -> FaultKind {
    if seg == Register::SS {
        FaultKind::StackSegment
    } else {
        FaultKind::GeneralProtection(0)
    }
}

/// Resolves operand `n` (register or memory) to a place.
#[inline(always)]
pub(crate) fn place(s: &CpuState, i: &Instruction, n: u32) -> Result<Place, Stop> {
    Ok(match i.op_kind(n) {
        OpKind::Register => Place::Reg(i.op_register(n)),
        _ => Place::Mem(linear(s, i)?),
    })
}

#[inline(always)]
pub(crate) fn read_mem<M: GuestMemory>(
    m: &mut M,
    a: GuestAddr,
    size: u32,
) -> Result<u32, MemFault> {
    match size {
        1 => m.read_u8(a).map(u32::from),
        2 => m.read_u16(a).map(u32::from),
        _ => m.read_u32(a),
    }
}

#[inline(always)]
pub(crate) fn write_mem<M: GuestMemory>(
    m: &mut M,
    a: GuestAddr,
    size: u32,
    v: u32,
) -> Result<(), MemFault> {
    match size {
        1 => m.write_u8(a, v as u8),
        2 => m.write_u16(a, v as u16),
        _ => m.write_u32(a, v),
    }
}

#[inline(always)]
pub(crate) fn load<M: GuestMemory>(
    s: &CpuState,
    m: &mut M,
    p: Place,
    size: u32,
) -> Result<u32, MemFault> {
    match p {
        Place::Reg(r) => Ok(s.reg(r)),
        Place::Mem(a) => read_mem(m, a, size),
    }
}

/// Reads a destination that will be written back. For memory the write permission is
/// checked first, so a fault reports a write access, as a read-modify-write does on
/// hardware.
#[inline(always)]
pub(crate) fn load_for_update<M: GuestMemory>(
    s: &CpuState,
    m: &mut M,
    p: Place,
    size: u32,
) -> Result<u32, MemFault> {
    match p {
        Place::Reg(r) => Ok(s.reg(r)),
        Place::Mem(a) => {
            m.check_write(a, size)?;
            read_mem(m, a, size)
        }
    }
}

#[inline(always)]
pub(crate) fn store<M: GuestMemory>(
    s: &mut CpuState,
    m: &mut M,
    p: Place,
    size: u32,
    v: u32,
) -> Result<(), MemFault> {
    match p {
        Place::Reg(r) => {
            s.set_reg(r, v);
            Ok(())
        }
        Place::Mem(a) => write_mem(m, a, size, v),
    }
}

/// Reads operand `n` of any kind (register, memory, immediate) as a `size`-byte value.
#[inline(always)]
pub(crate) fn read_operand<M: GuestMemory>(
    s: &CpuState,
    m: &mut M,
    i: &Instruction,
    n: u32,
    size: u32,
) -> Result<u32, Stop> {
    Ok(match i.op_kind(n) {
        OpKind::Register => s.reg(i.op_register(n)),
        OpKind::Memory => read_mem(m, linear(s, i)?, size)?,
        OpKind::Immediate8 => i.immediate8() as u32,
        OpKind::Immediate8_2nd => i.immediate8_2nd() as u32,
        OpKind::Immediate16 => i.immediate16() as u32,
        OpKind::Immediate32 => i.immediate32(),
        OpKind::Immediate8to16 => i.immediate8to16() as u16 as u32,
        OpKind::Immediate8to32 => i.immediate8to32() as u32,
        _ => return Err(FaultKind::InvalidOpcode.into()),
    })
}

/// Evaluates a condition code against the current flags.
#[inline(always)]
pub(crate) fn condition(s: &CpuState, cc: ConditionCode) -> bool {
    let f = &s.flags;
    match cc {
        ConditionCode::o => f.of(),
        ConditionCode::no => !f.of(),
        ConditionCode::b => f.cf(),
        ConditionCode::ae => !f.cf(),
        ConditionCode::e => f.zf(),
        ConditionCode::ne => !f.zf(),
        ConditionCode::be => f.cf() || f.zf(),
        ConditionCode::a => !f.cf() && !f.zf(),
        ConditionCode::s => f.sf(),
        ConditionCode::ns => !f.sf(),
        ConditionCode::p => f.pf(),
        ConditionCode::np => !f.pf(),
        ConditionCode::l => f.sf() != f.of(),
        ConditionCode::ge => f.sf() == f.of(),
        ConditionCode::le => f.zf() || f.sf() != f.of(),
        ConditionCode::g => !f.zf() && f.sf() == f.of(),
        ConditionCode::None => true,
    }
}

/// The iced-x86 mnemonics that have at least one form the interpreter runs, for the
/// coverage report.
pub fn handled_mnemonics() -> Vec<Mnemonic> {
    let mut out: Vec<Mnemonic> = Code::values()
        .filter(|&c| classify(c) != Handler::Invalid)
        .map(|c| c.mnemonic())
        .collect();
    out.sort_by_key(|&m| m as u32);
    out.dedup();
    out
}

/// The mnemonics run by the x87 and MMX/SSE handlers (their coverage report is in
/// `tests/cpu_fpu_differential.rs`).
pub fn fpu_mnemonics() -> Vec<Mnemonic> {
    let mut out: Vec<Mnemonic> = Code::values()
        .filter(|&c| {
            matches!(
                classify(c),
                Handler::X87 | Handler::Sse | Handler::Fxsave | Handler::Fxrstor
            )
        })
        .map(|c| c.mnemonic())
        .collect();
    out.sort_by_key(|&m| m as u32);
    out.dedup();
    out
}
