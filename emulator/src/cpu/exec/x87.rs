//! x87 instructions: operand access around the x87 unit (`cpu/x87/`), which owns the
//! semantics.
//!
//! This module reads memory operands, calls the matching [`X87State`] method, writes
//! results back and keeps what the interpreter owns: #MF before a waiting instruction
//! when an unmasked exception is pending, the x87 instruction and data pointers (FIP, FCS,
//! FOP, FDP, FDS) for non-control instructions, EFLAGS for `fcomi`, and AX for
//! `fnstsw ax`. It also runs `fxsave`/`fxrstor`. It must not compute floating point.
//!
//! Precision: a fault on a memory store leaves the x87 state as it was (the state is
//! restored), so every fault is precise.
//!
//! [`X87State`]: crate::cpu::x87::X87State

use super::{cs_write_fault, linear, offset, Handler};
use crate::cpu::fault::{FaultKind, Step, Stop};
use crate::cpu::memory::{GuestAddr, GuestMemory, MemFault};
use crate::cpu::simd::{Mxcsr, Xmm};
use crate::cpu::state::{CpuState, Segment};
use crate::cpu::x87::{ArithOp, Constant, FcmovCondition, F80};
use iced_x86::{Instruction, MemorySize, Mnemonic as M, OpKind, Register};

/// True for the x87 mnemonics this module runs (decided at decode time).
pub(super) fn handles(m: M) -> bool {
    matches!(
        m,
        M::Fld
            | M::Fst
            | M::Fstp
            | M::Fild
            | M::Fist
            | M::Fistp
            | M::Fisttp
            | M::Fbld
            | M::Fbstp
            | M::Fxch
            | M::Fcmovb
            | M::Fcmove
            | M::Fcmovbe
            | M::Fcmovu
            | M::Fcmovnb
            | M::Fcmovne
            | M::Fcmovnbe
            | M::Fcmovnu
            | M::Fadd
            | M::Faddp
            | M::Fiadd
            | M::Fsub
            | M::Fsubp
            | M::Fisub
            | M::Fsubr
            | M::Fsubrp
            | M::Fisubr
            | M::Fmul
            | M::Fmulp
            | M::Fimul
            | M::Fdiv
            | M::Fdivp
            | M::Fidiv
            | M::Fdivr
            | M::Fdivrp
            | M::Fidivr
            | M::Fprem
            | M::Fprem1
            | M::Fabs
            | M::Fchs
            | M::Frndint
            | M::Fscale
            | M::Fsqrt
            | M::Fxtract
            | M::Fcom
            | M::Fcomp
            | M::Fcompp
            | M::Fucom
            | M::Fucomp
            | M::Fucompp
            | M::Ficom
            | M::Ficomp
            | M::Fcomi
            | M::Fcomip
            | M::Fucomi
            | M::Fucomip
            | M::Ftst
            | M::Fxam
            | M::Fsin
            | M::Fcos
            | M::Fsincos
            | M::Fptan
            | M::Fpatan
            | M::F2xm1
            | M::Fyl2x
            | M::Fyl2xp1
            | M::Fld1
            | M::Fldl2t
            | M::Fldl2e
            | M::Fldpi
            | M::Fldlg2
            | M::Fldln2
            | M::Fldz
            | M::Fincstp
            | M::Fdecstp
            | M::Ffree
            | M::Ffreep
            | M::Fninit
            | M::Finit
            | M::Fnclex
            | M::Fclex
            | M::Fldcw
            | M::Fnstcw
            | M::Fstcw
            | M::Fnstsw
            | M::Fstsw
            | M::Fnstenv
            | M::Fstenv
            | M::Fldenv
            | M::Fnsave
            | M::Fsave
            | M::Frstor
            | M::Wait
            | M::Fnop
    )
}

/// Instructions that do not check for a pending unmasked exception.
fn non_waiting(m: M) -> bool {
    matches!(
        m,
        M::Fninit | M::Fnclex | M::Fnstcw | M::Fnstsw | M::Fnstenv | M::Fnsave
    )
}

/// Control instructions leave FIP/FCS/FOP/FDP/FDS alone.
fn is_control(m: M) -> bool {
    matches!(
        m,
        M::Fninit
            | M::Finit
            | M::Fnclex
            | M::Fclex
            | M::Fldcw
            | M::Fnstcw
            | M::Fstcw
            | M::Fnstsw
            | M::Fstsw
            | M::Fnstenv
            | M::Fstenv
            | M::Fldenv
            | M::Fnsave
            | M::Fsave
            | M::Frstor
            | M::Wait
    )
}

/// The `si_code` Linux puts in the SIGFPE for #MF, from the unmasked exception flags
/// (arch/x86/kernel/traps.c: invalid, then divide, overflow, underflow/denormal, precision).
pub fn x87_si_code(status: u16, control: u16) -> i32 {
    let err = status & !control & 0x3f;
    if err & 0x01 != 0 {
        7 // FPE_FLTINV
    } else if err & 0x04 != 0 {
        3 // FPE_FLTDIV
    } else if err & 0x08 != 0 {
        4 // FPE_FLTOVF
    } else if err & 0x12 != 0 {
        5 // FPE_FLTUND
    } else if err & 0x20 != 0 {
        6 // FPE_FLTRES
    } else {
        0
    }
}

/// #MF if an unmasked x87 exception is pending (shared with the MMX instructions).
#[inline(always)]
pub(super) fn check_pending(s: &CpuState) -> Step {
    if s.x87.has_pending_exception() {
        let si_code = x87_si_code(s.x87.status, s.x87.control);
        return Err(FaultKind::X87FloatingPoint { si_code }.into());
    }
    Ok(())
}

/// Executes one x87 instruction.
pub(super) fn execute<Mem: GuestMemory>(s: &mut CpuState, m: &mut Mem, i: &Instruction) -> Step {
    let mn = i.mnemonic();
    if !non_waiting(mn) {
        check_pending(s)?;
    }
    cs_write_fault(i)?;
    let mem = if i.op_count() > 0 && i.op0_kind() == OpKind::Memory {
        Some(linear(s, i)?)
    } else {
        None
    };
    let before = s.x87;
    if let Err(e) = run(s, m, i, mn, mem) {
        s.x87 = before;
        return Err(e);
    }
    if !is_control(mn) {
        let opcode = x87_opcode(m, i);
        let cs = s.segment(Segment::Cs).selector as u16;
        s.x87.record_instruction(cs, i.ip32(), opcode);
        if mem.is_some() {
            let ds = s.reg(i.memory_segment()) as u16;
            let dp = offset(s, i);
            s.x87.record_data(ds, dp);
        }
    }
    Ok(())
}

/// The 11-bit x87 opcode (low 3 bits of the D8-DF byte, then the ModRM byte), read back
/// from the code bytes (iced-x86 does not keep them).
fn x87_opcode<Mem: GuestMemory>(m: &mut Mem, i: &Instruction) -> u16 {
    let mut buf = [0u8; 16];
    let n = m.fetch_code(GuestAddr(i.ip32()), &mut buf).unwrap_or(0);
    let len = n.min(i.len());
    let bytes = &buf[..len];
    match bytes.iter().position(|b| (0xd8..=0xdf).contains(b)) {
        Some(p) if p + 1 < len => (u16::from(bytes[p] & 7) << 8) | u16::from(bytes[p + 1]),
        _ => 0,
    }
}

/// FCW bits the hardware keeps: exception masks, precision and rounding control and
/// the (ignored) infinity-control bit 12; bit 6 always reads as 1, bits 7 and 13..15 as 0.
const FCW_KEPT: u16 = 0x1f3f;

/// After an instruction that loads or masks the control or status word (fldcw, fldenv,
/// frstor, fxrstor, fnstenv): FCW reserved bits as the hardware keeps them, and the
/// ES/B summary bits recomputed from the flags and masks.
fn normalize_control(x: &mut crate::cpu::x87::X87State) {
    x.fldcw(x.control & FCW_KEPT);
}

/// FNINIT/FNSAVE reinitialise the unit but leave the register contents (only the tags
/// say empty), as FXSAVE shows on hardware.
fn reinit_keeping_registers(x: &mut crate::cpu::x87::X87State) {
    let regs = x.regs;
    x.fninit();
    x.regs = regs;
}

/// ST(i) index of operand `n` (0 if it is not an x87 register).
fn st_index(i: &Instruction, n: u32) -> usize {
    if n < i.op_count() && i.op_kind(n) == OpKind::Register {
        let r = i.op_register(n);
        if r.is_st() {
            return (r as usize - Register::ST0 as usize) & 7;
        }
    }
    0
}

fn arith_op(mn: M) -> Option<(ArithOp, bool)> {
    Some(match mn {
        M::Fadd | M::Fiadd => (ArithOp::Add, false),
        M::Faddp => (ArithOp::Add, true),
        M::Fmul | M::Fimul => (ArithOp::Mul, false),
        M::Fmulp => (ArithOp::Mul, true),
        M::Fsub | M::Fisub => (ArithOp::Sub, false),
        M::Fsubp => (ArithOp::Sub, true),
        M::Fsubr | M::Fisubr => (ArithOp::SubR, false),
        M::Fsubrp => (ArithOp::SubR, true),
        M::Fdiv | M::Fidiv => (ArithOp::Div, false),
        M::Fdivp => (ArithOp::Div, true),
        M::Fdivr | M::Fidivr => (ArithOp::DivR, false),
        M::Fdivrp => (ArithOp::DivR, true),
        _ => return None,
    })
}

fn fcmov_condition(mn: M) -> FcmovCondition {
    match mn {
        M::Fcmovb => FcmovCondition::Below,
        M::Fcmove => FcmovCondition::Equal,
        M::Fcmovbe => FcmovCondition::BelowOrEqual,
        M::Fcmovu => FcmovCondition::Unordered,
        M::Fcmovnb => FcmovCondition::NotBelow,
        M::Fcmovne => FcmovCondition::NotEqual,
        M::Fcmovnbe => FcmovCondition::NotBelowOrEqual,
        _ => FcmovCondition::NotUnordered,
    }
}

fn constant(mn: M) -> Option<Constant> {
    Some(match mn {
        M::Fld1 => Constant::One,
        M::Fldl2t => Constant::Log2Ten,
        M::Fldl2e => Constant::Log2E,
        M::Fldpi => Constant::Pi,
        M::Fldlg2 => Constant::Log10Two,
        M::Fldln2 => Constant::LnTwo,
        M::Fldz => Constant::Zero,
        _ => return None,
    })
}

/// Reads `N` bytes (any alignment, may cross a page).
pub(super) fn read_bytes<const N: usize, Mem: GuestMemory>(
    m: &mut Mem,
    a: GuestAddr,
) -> Result<[u8; N], MemFault> {
    let mut out = [0u8; N];
    let mut at = 0;
    while at + 8 <= N {
        out[at..at + 8].copy_from_slice(&m.read_u64(a.offset(at as u32))?.to_le_bytes());
        at += 8;
    }
    while at < N {
        out[at] = m.read_u8(a.offset(at as u32))?;
        at += 1;
    }
    Ok(out)
}

/// Writes all bytes or none (the whole range is checked first).
pub(super) fn write_bytes<Mem: GuestMemory>(
    m: &mut Mem,
    a: GuestAddr,
    data: &[u8],
) -> Result<(), MemFault> {
    m.check_write(a, data.len() as u32)?;
    let mut at = 0;
    while at + 8 <= data.len() {
        let v = u64::from_le_bytes(data[at..at + 8].try_into().unwrap_or([0; 8]));
        m.write_u64(a.offset(at as u32), v)?;
        at += 8;
    }
    while at < data.len() {
        m.write_u8(a.offset(at as u32), data[at])?;
        at += 1;
    }
    Ok(())
}

fn read_int<Mem: GuestMemory>(m: &mut Mem, a: GuestAddr, size: MemorySize) -> Result<i64, Stop> {
    Ok(match size {
        MemorySize::Int16 => m.read_u16(a)? as i16 as i64,
        MemorySize::Int32 => m.read_u32(a)? as i32 as i64,
        MemorySize::Int64 => m.read_u64(a)? as i64,
        _ => return Err(FaultKind::InvalidOpcode.into()),
    })
}

fn int_bits(size: MemorySize) -> Option<u32> {
    match size {
        MemorySize::Int16 => Some(16),
        MemorySize::Int32 => Some(32),
        MemorySize::Int64 => Some(64),
        _ => None,
    }
}

fn write_int<Mem: GuestMemory>(m: &mut Mem, a: GuestAddr, bits: u32, v: u64) -> Step {
    match bits {
        16 => m.write_u16(a, v as u16)?,
        32 => m.write_u32(a, v as u32)?,
        _ => m.write_u64(a, v)?,
    }
    Ok(())
}

fn run<Mem: GuestMemory>(
    s: &mut CpuState,
    m: &mut Mem,
    i: &Instruction,
    mn: M,
    mem: Option<GuestAddr>,
) -> Step {
    let x = &mut s.x87;
    let size = i.memory_size();
    let ud = || -> Step { Err(FaultKind::InvalidOpcode.into()) };
    if let Some(c) = constant(mn) {
        x.fld_constant(c);
        return Ok(());
    }
    if let Some((op, pop)) = arith_op(mn) {
        match mem {
            Some(a) => match size {
                MemorySize::Float32 => x.arith_mem_f32(op, m.read_u32(a)?),
                MemorySize::Float64 => x.arith_mem_f64(op, m.read_u64(a)?),
                _ => {
                    let n = read_int(m, a, size)?;
                    x.arith_mem_int(op, n)
                }
            },
            None => {
                let (dst, src) = if i.op_count() >= 2 {
                    (st_index(i, 0), st_index(i, 1))
                } else {
                    (1, 0)
                };
                x.arith_st(op, dst, src, pop);
            }
        }
        return Ok(());
    }
    match mn {
        M::Fld => match mem {
            Some(a) => match size {
                MemorySize::Float32 => x.fld_f32(m.read_u32(a)?),
                MemorySize::Float64 => x.fld_f64(m.read_u64(a)?),
                MemorySize::Float80 => x.fld_f80(F80::from_bytes(read_bytes::<10, _>(m, a)?)),
                _ => return ud(),
            },
            None => x.fld_st(st_index(i, 0)),
        },
        M::Fild => {
            let a = mem.ok_or(Stop::Fault(FaultKind::InvalidOpcode))?;
            let n = read_int(m, a, size)?;
            x.fild(n);
        }
        M::Fbld => {
            let a = mem.ok_or(Stop::Fault(FaultKind::InvalidOpcode))?;
            x.fbld(read_bytes::<10, _>(m, a)?);
        }
        M::Fst | M::Fstp => {
            let pop = mn == M::Fstp;
            match mem {
                Some(a) => match size {
                    MemorySize::Float32 => {
                        m.check_write(a, 4)?;
                        if let Some(v) = x.fst_f32(pop) {
                            m.write_u32(a, v)?;
                        }
                    }
                    MemorySize::Float64 => {
                        m.check_write(a, 8)?;
                        if let Some(v) = x.fst_f64(pop) {
                            m.write_u64(a, v)?;
                        }
                    }
                    MemorySize::Float80 => {
                        m.check_write(a, 10)?;
                        if let Some(v) = x.fstp_f80() {
                            write_bytes(m, a, &v.to_bytes())?;
                        }
                    }
                    _ => return ud(),
                },
                None => x.fst_st(st_index(i, 0), pop),
            }
        }
        M::Fist | M::Fistp | M::Fisttp => {
            let a = mem.ok_or(Stop::Fault(FaultKind::InvalidOpcode))?;
            let bits = int_bits(size).ok_or(Stop::Fault(FaultKind::InvalidOpcode))?;
            m.check_write(a, bits / 8)?;
            let v = match mn {
                M::Fisttp => x.fisttp(bits),
                _ => x.fist(bits, mn == M::Fistp),
            };
            if let Some(v) = v {
                write_int(m, a, bits, v)?;
            }
        }
        M::Fbstp => {
            let a = mem.ok_or(Stop::Fault(FaultKind::InvalidOpcode))?;
            m.check_write(a, 10)?;
            if let Some(v) = x.fbstp() {
                write_bytes(m, a, &v)?;
            }
        }
        M::Fxch => x.fxch(if i.op_count() >= 2 { st_index(i, 1) } else { 1 }),
        M::Fcmovb
        | M::Fcmove
        | M::Fcmovbe
        | M::Fcmovu
        | M::Fcmovnb
        | M::Fcmovne
        | M::Fcmovnbe
        | M::Fcmovnu => {
            let eflags = s.flags.materialize();
            s.x87.fcmov(fcmov_condition(mn), eflags, st_index(i, 1));
        }
        M::Fcom | M::Fcomp | M::Fucom | M::Fucomp => {
            let pop = matches!(mn, M::Fcomp | M::Fucomp);
            let quiet = matches!(mn, M::Fucom | M::Fucomp);
            match mem {
                Some(a) => match size {
                    MemorySize::Float32 => x.fcom_mem_f32(m.read_u32(a)?, pop),
                    MemorySize::Float64 => x.fcom_mem_f64(m.read_u64(a)?, pop),
                    _ => return ud(),
                },
                None => {
                    let src = if i.op_count() >= 2 { st_index(i, 1) } else { 1 };
                    x.fcom_st(src, quiet, pop as u8)
                }
            }
        }
        M::Fcompp => x.fcom_st(1, false, 2),
        M::Fucompp => x.fcom_st(1, true, 2),
        M::Ficom | M::Ficomp => {
            let a = mem.ok_or(Stop::Fault(FaultKind::InvalidOpcode))?;
            let n = read_int(m, a, size)?;
            x.ficom(n, mn == M::Ficomp);
        }
        M::Fcomi | M::Fcomip | M::Fucomi | M::Fucomip => {
            let quiet = matches!(mn, M::Fucomi | M::Fucomip);
            let pop = matches!(mn, M::Fcomip | M::Fucomip);
            let zpc = x.fcomi(st_index(i, 1), quiet, pop);
            s.flags.set_all(zpc & 0x45);
        }
        M::Ftst => x.ftst(),
        M::Fxam => x.fxam(),
        M::Fabs => x.fabs(),
        M::Fchs => x.fchs(),
        M::Frndint => x.frndint(),
        M::Fscale => x.fscale(),
        M::Fsqrt => x.fsqrt(),
        M::Fxtract => x.fxtract(),
        M::Fprem => x.fprem(false),
        M::Fprem1 => x.fprem(true),
        M::Fsin => x.fsin(),
        M::Fcos => x.fcos(),
        M::Fsincos => x.fsincos(),
        M::Fptan => x.fptan(),
        M::Fpatan => x.fpatan(),
        M::F2xm1 => x.f2xm1(),
        M::Fyl2x => x.fyl2x(),
        M::Fyl2xp1 => x.fyl2xp1(),
        M::Fincstp => x.fincstp(),
        M::Fdecstp => x.fdecstp(),
        M::Ffree => x.ffree(st_index(i, 0)),
        M::Ffreep => x.ffreep(st_index(i, 0)),
        M::Fnop | M::Wait => {}
        M::Fninit | M::Finit => reinit_keeping_registers(x),
        M::Fnclex | M::Fclex => x.fnclex(),
        M::Fldcw => {
            let a = mem.ok_or(Stop::Fault(FaultKind::InvalidOpcode))?;
            x.fldcw(m.read_u16(a)? & FCW_KEPT);
        }
        M::Fnstcw | M::Fstcw => {
            let a = mem.ok_or(Stop::Fault(FaultKind::InvalidOpcode))?;
            m.write_u16(a, x.fnstcw())?;
        }
        M::Fnstsw | M::Fstsw => match mem {
            Some(a) => m.write_u16(a, x.fnstsw())?,
            None => {
                let sw = x.fnstsw();
                s.set_reg(Register::AX, sw as u32);
            }
        },
        M::Fnstenv | M::Fstenv | M::Fldenv | M::Fnsave | M::Fsave | M::Frstor => {
            let a = mem.ok_or(Stop::Fault(FaultKind::InvalidOpcode))?;
            match (mn, size) {
                (M::Fldenv, MemorySize::FpuEnv28) => {
                    let b = read_bytes::<28, _>(m, a)?;
                    x.fldenv(&b);
                    normalize_control(x);
                }
                (M::Frstor, MemorySize::FpuState108) => {
                    let b = read_bytes::<108, _>(m, a)?;
                    x.frstor(&b);
                    normalize_control(x);
                }
                (M::Fnstenv | M::Fstenv, MemorySize::FpuEnv28) => {
                    m.check_write(a, 28)?;
                    let b = x.fnstenv();
                    normalize_control(x);
                    write_bytes(m, a, &b)?;
                }
                (M::Fnsave | M::Fsave, MemorySize::FpuState108) => {
                    m.check_write(a, 108)?;
                    let regs = x.regs;
                    let b = x.fnsave();
                    x.regs = regs;
                    write_bytes(m, a, &b)?;
                }
                // The 16-bit (operand-size prefix) layouts are not implemented.
                _ => return ud(),
            }
        }
        _ => return ud(),
    }
    Ok(())
}

/// The MXCSR_MASK written by `fxsave`: every bit `ldmxcsr` accepts.
pub const MXCSR_MASK: u32 = Mxcsr::WRITABLE_BITS;

/// `fxsave m512` / `fxrstor m512`: #GP(0) on a misaligned address, and for `fxrstor` on
/// reserved MXCSR bits. Does not check for pending x87 exceptions.
pub(super) fn fxsave_family<Mem: GuestMemory>(
    h: Handler,
    s: &mut CpuState,
    m: &mut Mem,
    i: &Instruction,
) -> Step {
    cs_write_fault(i)?;
    let a = linear(s, i)?;
    if a.0 & 15 != 0 {
        return Err(FaultKind::GeneralProtection(0).into());
    }
    if h == Handler::Fxsave {
        m.check_write(a, 512)?;
        let area = s.fxsave_image();
        // Bytes 288..511 are reserved or available to software: left as they are.
        write_bytes(m, a, &area[..288])?;
    } else {
        let area = read_bytes::<512, _>(m, a)?;
        s.fxrstor_image(&area)?;
    }
    Ok(())
}

impl CpuState {
    /// The 512-byte FXSAVE image of the x87, MMX and SSE state (bytes 288..511 zero).
    /// The kernel layer uses it for signal frames; `fxsave` writes bytes 0..287 of it.
    pub fn fxsave_image(&self) -> [u8; 512] {
        let mut area = [0u8; 512];
        self.x87.fxsave(&mut area);
        area[24..28].copy_from_slice(&self.mxcsr.bits().to_le_bytes());
        area[28..32].copy_from_slice(&MXCSR_MASK.to_le_bytes());
        for (n, x) in self.xmm.iter().enumerate() {
            area[160 + 16 * n..176 + 16 * n].copy_from_slice(&x.to_bytes());
        }
        area
    }

    /// Loads an FXSAVE image as `fxrstor` does; reserved MXCSR bits are #GP(0) and leave
    /// the state unchanged.
    pub fn fxrstor_image(&mut self, area: &[u8; 512]) -> Result<(), FaultKind> {
        let bits = u32::from_le_bytes([area[24], area[25], area[26], area[27]]);
        let mxcsr = Mxcsr::load(bits).map_err(|_| FaultKind::GeneralProtection(0))?;
        self.x87.fxrstor(area);
        normalize_control(&mut self.x87);
        self.mxcsr = mxcsr;
        for (n, x) in self.xmm.iter_mut().enumerate() {
            let mut b = [0u8; 16];
            b.copy_from_slice(&area[160 + 16 * n..176 + 16 * n]);
            *x = Xmm::from_bytes(b);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::{Cpu, Exit, Fault, PagedMemory, Protection};

    const CODE: u32 = 0x1000;
    const DATA: u32 = 0x8000;

    fn run(code: &[u8], setup: impl FnOnce(&mut Cpu)) -> (Cpu, Exit) {
        let mut mem = PagedMemory::new();
        mem.map(GuestAddr(CODE), 0x1000, Protection::RX);
        mem.map(GuestAddr(DATA), 0x1000, Protection::RW);
        let mut bytes = code.to_vec();
        bytes.push(0xcc);
        mem.load(GuestAddr(CODE), &bytes).unwrap();
        let mut cpu = Cpu::new();
        cpu.state.eip = CODE;
        cpu.state.gpr[0] = DATA;
        setup(&mut cpu);
        let exit = cpu.run(&mut mem, 100);
        (cpu, exit)
    }

    #[test]
    fn x87_si_code_follows_linux_priority() {
        assert_eq!(x87_si_code(0x3f, 0), 7);
        assert_eq!(x87_si_code(0x3f, 0x01), 3);
        assert_eq!(x87_si_code(0x30, 0x20), 5);
        assert_eq!(x87_si_code(0x20, 0x1f), 6);
        assert_eq!(x87_si_code(0x20, 0x3f), 0);
    }

    #[test]
    fn unmasked_zero_divide_faults_at_the_next_waiting_instruction() {
        // fld1; fldz; fdivp st1,st0; fwait
        let code = [0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xf9, 0x9b];
        let (cpu, exit) = run(&code, |c| c.state.x87.fldcw(0x037b));
        let mf = FaultKind::X87FloatingPoint { si_code: 3 };
        assert_eq!(
            exit,
            Exit::Fault(Fault {
                kind: mf,
                eip: CODE + 6
            })
        );
        assert_eq!(cpu.state.eip, CODE + 6);
        assert_eq!(cpu.state.x87.last_ip, CODE + 4, "FIP is the fdivp");
        assert_eq!(cpu.state.x87.last_opcode, 0x6f9);
    }

    #[test]
    fn mmx_registers_alias_the_x87_significands() {
        // movd mm1, ecx; then emms
        let (cpu, _) = run(&[0x0f, 0x6e, 0xc9], |c| {
            c.state.gpr[1] = 0x1234_5678;
            c.state.x87.top = 5;
        });
        let x = &cpu.state.x87;
        assert_eq!(x.regs[1].signif, 0x1234_5678);
        assert_eq!(x.regs[1].sign_exp, 0xffff);
        assert_eq!((x.top, x.nonempty), (0, 0xff));
        let (cpu, _) = run(&[0x0f, 0x6e, 0xc9, 0x0f, 0x77], |_| {});
        assert_eq!(cpu.state.x87.nonempty, 0, "emms empties the tags");
    }

    #[test]
    fn alignment_and_mxcsr_faults() {
        // movaps xmm0, [eax+4]
        let (_, exit) = run(&[0x0f, 0x28, 0x40, 0x04], |_| {});
        let gp = FaultKind::GeneralProtection(0);
        assert_eq!(
            exit,
            Exit::Fault(Fault {
                kind: gp,
                eip: CODE
            })
        );
        // ldmxcsr [eax] with bit 16 set
        let (mut cpu, mut mem) = (Cpu::new(), PagedMemory::new());
        mem.map(GuestAddr(CODE), 0x1000, Protection::RX);
        mem.map(GuestAddr(DATA), 0x1000, Protection::RW);
        mem.load(GuestAddr(CODE), &[0x0f, 0xae, 0x10, 0xcc])
            .unwrap();
        mem.load(GuestAddr(DATA), &0x0001_1f80u32.to_le_bytes())
            .unwrap();
        cpu.state.eip = CODE;
        cpu.state.gpr[0] = DATA;
        assert_eq!(
            cpu.run(&mut mem, 10),
            Exit::Fault(Fault {
                kind: gp,
                eip: CODE
            })
        );
    }

    #[test]
    fn fxsave_round_trips_through_fxrstor() {
        // fldpi; fxsave [eax]; fninit; fxrstor [eax]
        let code = [0xd9, 0xeb, 0x0f, 0xae, 0x00, 0xdb, 0xe3, 0x0f, 0xae, 0x08];
        let (cpu, _) = run(&code, |c| c.state.xmm[3] = Xmm(0xabcd));
        assert_eq!(cpu.state.x87.top, 7);
        assert_eq!(cpu.state.x87.st(0).exp(), 0x4000);
        assert_eq!(cpu.state.xmm[3], Xmm(0xabcd));
    }
}
