//! Building the stack frame for a signal handler, as Linux builds it for a 32-bit process
//! (`get_sigframe`, `ia32_setup_frame`, `ia32_setup_rt_frame`, `copy_fpstate_to_sigframe`):
//! where the frame and the FPU state go, their bytes, and the registers the handler
//! starts with.
//!
//! The result is data: the caller writes [`BuiltFrame::writes`] into guest memory (a
//! failed write means "cannot deliver": force SIGSEGV, as for [`FrameError`]) and then
//! applies the register changes. Nothing here touches guest memory or task state.

use super::abi::{
    self, sa::*, FpReg, Fpstate32, FpxSwBytes, FsaveHeader, FxregsState, RtSigframe, SigSet,
    Sigcontext, Sigframe, Ucontext, FP_XSTATE_MAGIC1, FP_XSTATE_MAGIC2, FXSAVE_BYTES,
    NR_RT_SIGRETURN, NR_SIGRETURN, UC_FP_XSTATE, USER32_CS, USER_DS, X86_FXSR_MAGIC,
    XSAVE_HEADER_BYTES,
};
use super::action;
use super::altstack::AltStack;
use super::siginfo::{SigInfo, TrapInfo};
use crate::cpu::memory::GuestAddr;
use crate::cpu::state::{eflags, CpuState, Segment, EAX, EBP, EBX, ECX, EDI, EDX, ESI, ESP};
use core::mem::size_of;
use thiserror::Error;
use zerocopy::{FromBytes, FromZeros, IntoBytes};

/// A handler's `sigaction` as the kernel stores it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    pub handler: u32,
    pub flags: u32,
    pub restorer: u32,
    pub mask: SigSet,
}

/// How the FPU state is laid out in the frame, which depends on what the CPU offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FpuFrameFormat {
    /// FXSAVE without XSAVE: what the emulator's CPU advertises. The software-reserved
    /// bytes still carry `FP_XSTATE_MAGIC1` with `xstate_size` 512 and no features, and
    /// `uc_flags` is 0.
    Fxsr,
    /// XSAVE with an area of `xstate_size` bytes holding `xfeatures` for user space (a
    /// host kernel's layout; used to compare against the host, or for a CPU that grows
    /// XSAVE). The extended components beyond FP and SSE are written in their initial
    /// state.
    Xsave { xstate_size: u32, xfeatures: u64 },
}

impl FpuFrameFormat {
    /// Bytes of the FXSAVE/XSAVE area (`fpstate->user_size`).
    fn xstate_size(self) -> u32 {
        match self {
            FpuFrameFormat::Fxsr => FXSAVE_BYTES as u32,
            FpuFrameFormat::Xsave { xstate_size, .. } => xstate_size.max(FXSAVE_BYTES as u32),
        }
    }

    /// Bytes reserved above the legacy header (`xstate_sigframe_size`).
    fn sigframe_size(self) -> u32 {
        match self {
            FpuFrameFormat::Fxsr => self.xstate_size(),
            FpuFrameFormat::Xsave { .. } => self.xstate_size() + 4,
        }
    }
}

/// Everything about one delivery that is not CPU state.
#[derive(Clone, Copy, Debug)]
pub struct SignalDelivery<'a> {
    /// The signal and its `siginfo` (written only into `SA_SIGINFO` frames).
    pub info: &'a SigInfo,
    pub action: &'a SigAction,
    /// The task's current blocked mask.
    pub blocked: SigSet,
    /// The mask to save in the frame and restore at `sigreturn`: `blocked`, or the mask
    /// saved by `sigsuspend`/`ppoll`/`pselect` when the signal interrupted one of them.
    pub saved_mask: SigSet,
    pub altstack: &'a AltStack,
    /// The thread's last exception (`trapno`, `err`, `cr2` of the sigcontext).
    pub trap: TrapInfo,
    /// The x87/SSE state in the 512-byte 64-bit FXSAVE format (`fxsaveq`: FIP and FDP as
    /// 64-bit offsets at bytes 8 and 16). Bytes 464..512 are ignored.
    pub fxsave: &'a [u8; 512],
    /// Where the vDSO is mapped, if it is (its `__kernel_sigreturn` and
    /// `__kernel_rt_sigreturn` are the return trampolines without `SA_RESTORER`).
    pub vdso_base: Option<u32>,
    pub fpu_format: FpuFrameFormat,
    /// The kernel was entered through a fault-class exception (#DE, #UD, #GP, #PF...:
    /// the instruction will be re-executed), for which the CPU sets RF in the saved
    /// EFLAGS; the sigcontext shows it. False for system calls and traps (int3, into).
    pub resume_flag: bool,
}

/// The registers a handler starts with. Everything else keeps its value, except that the
/// x87/SSE state is reset to its initial state (FCW 0x37f, MXCSR 0x1f80, registers zero).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandlerEntry {
    pub eip: u32,
    pub esp: u32,
    /// The signal number (`-mregparm=3` handlers take it in eax).
    pub eax: u32,
    /// `&frame.info` for `SA_SIGINFO` handlers, else 0.
    pub edx: u32,
    /// `&frame.uc` for `SA_SIGINFO` handlers, else 0.
    pub ecx: u32,
    /// New cs, ss, ds, es selectors (flat user segments); fs and gs are kept.
    pub cs: u32,
    pub ss: u32,
    pub ds: u32,
    pub es: u32,
    /// EFLAGS bits to clear: DF (the ABI), TF and RF.
    pub eflags_clear: u32,
}

/// A frame ready to be written, and what changes when the handler starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltFrame {
    /// Whether this is an `rt_sigframe` (`SA_SIGINFO`) or a legacy `sigframe`.
    pub rt: bool,
    /// The handler's esp, where `frame` goes.
    pub esp: u32,
    /// The `sigframe` or `rt_sigframe` bytes.
    pub frame: Vec<u8>,
    /// Where `fpstate` goes (the sigcontext points there), above the frame.
    pub fpstate_addr: u32,
    /// The `_fpstate_32` and, with XSAVE, the extended area and `FP_XSTATE_MAGIC2`.
    pub fpstate: Vec<u8>,
    pub entry: HandlerEntry,
    /// The blocked mask once the handler runs.
    pub blocked: SigSet,
    /// `SS_AUTODISARM` was set: the task's alternate stack becomes [`AltStack::DISABLED`].
    pub disarm_altstack: bool,
    /// `SA_RESETHAND`: the disposition becomes `SIG_DFL`.
    pub reset_handler: bool,
}

/// Why a frame cannot be placed; Linux then forces SIGSEGV (`force_sigsegv`, which also
/// resets a SIGSEGV handler to `SIG_DFL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum FrameError {
    /// The frame would leave the alternate stack it is on or entering.
    #[error("signal frame at {frame:#x} overflows the alternate stack")]
    AltStackOverflow { frame: u64 },
    /// The frame would start below address 0 or end above 4 GiB.
    #[error("signal frame does not fit in the address space (stack at {sp:#x})")]
    OutOfAddressSpace { sp: u64 },
}

impl BuiltFrame {
    /// The regions to write: the frame at `esp` and the FPU state at `fpstate_addr`.
    /// The bytes between them are left untouched, as Linux leaves them, and so is the
    /// unused `fpstate_unused` area of a legacy frame.
    pub fn writes(&self) -> Vec<(GuestAddr, &[u8])> {
        let mut out = Vec::with_capacity(3);
        if self.rt {
            out.push((GuestAddr(self.esp), &self.frame[..]));
        } else {
            let unused = LEGACY_UNUSED;
            out.push((GuestAddr(self.esp), &self.frame[..unused.start]));
            out.push((
                GuestAddr(self.esp.wrapping_add(unused.end as u32)),
                &self.frame[unused.end..],
            ));
        }
        out.push((GuestAddr(self.fpstate_addr), &self.fpstate[..]));
        out
    }

    /// Sets up `cpu` to enter the handler (general registers, eip, segments, flags). The
    /// x87/SSE reset is the caller's, since the FPU state is not in [`CpuState`] yet.
    pub fn apply(&self, cpu: &mut CpuState) {
        let e = &self.entry;
        cpu.eip = e.eip;
        cpu.gpr[ESP] = e.esp;
        cpu.gpr[EAX] = e.eax;
        cpu.gpr[EDX] = e.edx;
        cpu.gpr[ECX] = e.ecx;
        for (seg, selector) in [
            (Segment::Cs, e.cs),
            (Segment::Ss, e.ss),
            (Segment::Ds, e.ds),
            (Segment::Es, e.es),
        ] {
            *cpu.segment_mut(seg) = crate::cpu::state::SegmentRegister { selector, base: 0 };
        }
        // DF, TF (and RF) live outside the lazily computed status flags.
        cpu.eflags_other &= !e.eflags_clear;
    }
}

/// Builds the frame for delivering `d.info.signo` to a handler while the CPU is in state
/// `cpu` (after any system-call restart adjustment of eax and eip).
pub fn build_frame(cpu: &CpuState, d: &SignalDelivery) -> Result<BuiltFrame, FrameError> {
    let rt = d.action.flags & SA_SIGINFO != 0;
    let frame_size = if rt {
        size_of::<RtSigframe>()
    } else {
        size_of::<Sigframe>()
    } as u64;
    let place = place_frame(cpu, d, frame_size)?;

    let sig = d.info.signo;
    let sc = sigcontext(cpu, d, place.fpstate as u32);
    let restorer = if d.action.flags & SA_RESTORER != 0 {
        Some(d.action.restorer)
    } else {
        d.vdso_base.map(|base| {
            base.wrapping_add(if rt {
                crate::loader::vdso::KERNEL_RT_SIGRETURN
            } else {
                crate::loader::vdso::KERNEL_SIGRETURN
            })
        })
    };
    let esp = place.frame as u32;
    let (frame, edx, ecx) = if rt {
        let info_at = esp.wrapping_add(core::mem::offset_of!(RtSigframe, info) as u32);
        let uc_at = esp.wrapping_add(core::mem::offset_of!(RtSigframe, uc) as u32);
        let f = RtSigframe {
            pretcode: restorer
                .unwrap_or(esp.wrapping_add(core::mem::offset_of!(RtSigframe, retcode) as u32)),
            sig,
            pinfo: info_at,
            puc: uc_at,
            info: d.info.to_abi(),
            uc: Ucontext {
                uc_flags: match d.fpu_format {
                    FpuFrameFormat::Fxsr => 0,
                    FpuFrameFormat::Xsave { .. } => UC_FP_XSTATE,
                },
                uc_link: 0,
                uc_stack: d.altstack.saved(),
                uc_mcontext: sc,
                uc_sigmask: d.saved_mask.to_words(),
            },
            retcode: rt_retcode(),
        };
        (f.as_bytes().to_vec(), info_at, uc_at)
    } else {
        let f = Sigframe {
            pretcode: restorer
                .unwrap_or(esp.wrapping_add(core::mem::offset_of!(Sigframe, retcode) as u32)),
            sig,
            sc,
            fpstate_unused: Fpstate32::new_zeroed(),
            extramask: [d.saved_mask.to_words()[1]],
            retcode: legacy_retcode(),
        };
        (f.as_bytes().to_vec(), 0, 0)
    };

    Ok(BuiltFrame {
        rt,
        esp,
        frame,
        fpstate_addr: place.fpstate as u32,
        fpstate: fpstate_bytes(cpu, d.fxsave, d.fpu_format),
        entry: HandlerEntry {
            eip: d.action.handler,
            esp,
            eax: sig,
            edx,
            ecx,
            cs: USER32_CS,
            ss: USER_DS,
            ds: USER_DS,
            es: USER_DS,
            eflags_clear: eflags::DF | eflags::TF | RF,
        },
        blocked: action::blocked_after_delivery(d.blocked, d.action.flags, d.action.mask, sig),
        disarm_altstack: d.altstack.flags & abi::ss::SS_AUTODISARM != 0,
        reset_handler: action::resets_handler(d.action.flags),
    })
}

/// Bytes of a legacy frame Linux never writes (`fpstate_unused`).
pub const LEGACY_UNUSED: core::ops::Range<usize> =
    core::mem::offset_of!(Sigframe, fpstate_unused)..core::mem::offset_of!(Sigframe, extramask);

/// The resume flag (not modelled by the CPU, but cleared here as Linux clears it).
const RF: u32 = 1 << 16;

struct Placement {
    frame: u64,
    fpstate: u64,
}

/// `get_sigframe` + `fpu__alloc_mathframe` for an ia32 frame.
fn place_frame(
    cpu: &CpuState,
    d: &SignalDelivery,
    frame_size: u64,
) -> Result<Placement, FrameError> {
    let esp = cpu.gpr[ESP];
    let alt = d.altstack;
    let nested = alt.on_stack(esp);
    let mut sp = esp as u64;
    let mut entering = false;
    if d.action.flags & SA_ONSTACK != 0 && alt.mode(esp) == 0 {
        sp = alt.top();
        entering = true;
    }
    // (The legacy "sa_restorer is the stack" switch for a non-flat ss exists only in
    // 32-bit kernels; a 64-bit kernel never applies it to ia32 tasks.)
    let bad = FrameError::OutOfAddressSpace { sp };
    let math = d.fpu_format.sigframe_size() as u64;
    let buf_fx = sp.checked_sub(math).ok_or(bad)? & !63;
    let fpstate = buf_fx
        .checked_sub(size_of::<FsaveHeader>() as u64)
        .ok_or(bad)?;
    let below = fpstate.checked_sub(frame_size).ok_or(bad)?;
    let frame = ((below + 4) & !15).checked_sub(4).ok_or(bad)?;
    if buf_fx + math > 1 << 32 {
        return Err(bad);
    }
    if (nested || entering) && !(frame <= u32::MAX as u64 && alt.contains(frame as u32)) {
        return Err(FrameError::AltStackOverflow { frame });
    }
    Ok(Placement { frame, fpstate })
}

fn sigcontext(cpu: &CpuState, d: &SignalDelivery, fpstate: u32) -> Sigcontext {
    let sel = |s: Segment| cpu.segment(s).selector & 0xffff;
    Sigcontext {
        gs: sel(Segment::Gs),
        fs: sel(Segment::Fs),
        es: sel(Segment::Es),
        ds: sel(Segment::Ds),
        edi: cpu.gpr[EDI],
        esi: cpu.gpr[ESI],
        ebp: cpu.gpr[EBP],
        esp: cpu.gpr[ESP],
        ebx: cpu.gpr[EBX],
        edx: cpu.gpr[EDX],
        ecx: cpu.gpr[ECX],
        eax: cpu.gpr[EAX],
        trapno: d.trap.trapno,
        err: d.trap.error_code,
        eip: cpu.eip,
        cs: sel(Segment::Cs),
        eflags: cpu.eflags() | if d.resume_flag { RF } else { 0 },
        esp_at_signal: cpu.gpr[ESP],
        ss: sel(Segment::Ss),
        fpstate,
        oldmask: d.saved_mask.to_words()[0],
        cr2: d.trap.cr2,
    }
}

/// `popl %eax; movl $__NR_sigreturn, %eax; int $0x80`.
fn legacy_retcode() -> [u8; 8] {
    let nr = NR_SIGRETURN.to_le_bytes();
    [0x58, 0xb8, nr[0], nr[1], nr[2], nr[3], 0xcd, 0x80]
}

/// `movl $__NR_rt_sigreturn, %eax; int $0x80`, then a zero byte.
fn rt_retcode() -> [u8; 8] {
    let nr = NR_RT_SIGRETURN.to_le_bytes();
    [0xb8, nr[0], nr[1], nr[2], nr[3], 0xcd, 0x80, 0]
}

/// The `_fpstate_32` (+ XSAVE extension) a 64-bit kernel writes for an ia32 task.
fn fpstate_bytes(cpu: &CpuState, image: &[u8; 512], format: FpuFrameFormat) -> Vec<u8> {
    let mut fx =
        FxregsState::read_from_bytes(&image[..]).unwrap_or_else(|_| FxregsState::new_zeroed());
    let xstate_size = format.xstate_size();
    let xfeatures = match format {
        FpuFrameFormat::Fxsr => 0,
        FpuFrameFormat::Xsave { xfeatures, .. } => xfeatures,
    };
    fx.sw_reserved = FpxSwBytes {
        magic1: FP_XSTATE_MAGIC1,
        extended_size: xstate_size + 4 + size_of::<FsaveHeader>() as u32,
        xfeatures: [xfeatures as u32, (xfeatures >> 32) as u32],
        xstate_size,
        padding: [0; 7],
    };
    let state = Fpstate32 {
        legacy: fsave_header(cpu, &fx),
        fx,
    };
    let mut out = state.as_bytes().to_vec();
    if let FpuFrameFormat::Xsave { .. } = format {
        // The XSAVE header (xstate_bv = FP | SSE, as the kernel forces; the rest zero),
        // the remaining components in their initial state, then MAGIC2.
        let mut header = [0u8; XSAVE_HEADER_BYTES];
        header[0] = 3;
        out.extend_from_slice(&header);
        out.resize(size_of::<FsaveHeader>() + xstate_size as usize, 0);
        out.extend_from_slice(&FP_XSTATE_MAGIC2.to_le_bytes());
    }
    out
}

/// `convert_from_fxsr` on a 64-bit kernel: the FSAVE-format view of an FXSAVE image.
fn fsave_header(cpu: &CpuState, fx: &FxregsState) -> FsaveHeader {
    let mut st = [FpReg::default(); 8];
    for (i, reg) in st.iter_mut().enumerate() {
        // FXSAVE keeps each register in 16 bytes, FSAVE in 10.
        let slot = &fx.st_space.as_bytes()[i * 16..i * 16 + 10];
        *reg = FpReg::read_from_bytes(slot).unwrap_or_default();
    }
    FsaveHeader {
        cw: fx.cwd as u32 | 0xffff_0000,
        sw: fx.swd as u32 | 0xffff_0000,
        tag: full_tag_word(fx),
        ipoff: fx.fip[0],
        cssel: cpu.segment(Segment::Cs).selector & 0xffff,
        dataoff: fx.fdp[0],
        datasel: (cpu.segment(Segment::Ds).selector & 0xffff) | 0xffff_0000,
        st,
        status: fx.swd,
        magic: X86_FXSR_MAGIC,
    }
}

/// The full x87 tag word (2 bits per physical register: valid 0, zero 1, special 2,
/// empty 3) from FXSAVE's abridged one and the register contents.
fn full_tag_word(fx: &FxregsState) -> u32 {
    let top = (fx.swd as u32 >> 11) & 7;
    let mut tag = 0xffff_0000u32;
    for phys in 0..8u32 {
        let t = if fx.twd & (1 << phys) == 0 {
            3
        } else {
            let st = ((phys.wrapping_sub(top)) & 7) as usize;
            let w = &fx.st_space[st * 4..st * 4 + 3];
            let mantissa = w[0] as u64 | (w[1] as u64) << 32;
            let exponent = w[2] & 0x7fff;
            match exponent {
                0x7fff => 2,
                0 if mantissa == 0 => 1,
                0 => 2,
                _ if mantissa >> 63 != 0 => 0,
                _ => 2,
            }
        };
        tag |= t << (2 * phys);
    }
    tag
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::sigframe::abi::{signo::*, ss::*};

    fn delivery<'a>(
        info: &'a SigInfo,
        action: &'a SigAction,
        alt: &'a AltStack,
        fx: &'a [u8; 512],
    ) -> SignalDelivery<'a> {
        SignalDelivery {
            info,
            action,
            blocked: SigSet::EMPTY,
            saved_mask: SigSet(0x1_0000_0002),
            altstack: alt,
            trap: TrapInfo::default(),
            fxsave: fx,
            vdso_base: Some(0xf7ff_0000),
            fpu_format: FpuFrameFormat::Fxsr,
            resume_flag: false,
        }
    }

    #[test]
    fn sigframe_fxsr_placement_and_registers() {
        let mut cpu = CpuState::default();
        cpu.gpr[ESP] = 0xbfff_f123;
        cpu.eip = 0x0804_9000;
        cpu.set_eflags(eflags::DF | eflags::CF);
        let info = SigInfo::kill(SIGUSR1, 0, 1, 2);
        let action = SigAction {
            handler: 0x0804_8000,
            flags: SA_SIGINFO,
            restorer: 0,
            mask: SigSet::EMPTY,
        };
        let alt = AltStack::DISABLED;
        let fx = [0u8; 512];
        let b = build_frame(&cpu, &delivery(&info, &action, &alt, &fx)).unwrap();
        // buf_fx = (sp - 512) & -64, fpstate 112 below, frame 16-aligned at esp + 4.
        assert_eq!(b.fpstate_addr, ((0xbfff_f123 - 512) & !63) - 112);
        assert_eq!((b.esp + 4) % 16, 0);
        assert!(b.esp + 268 <= b.fpstate_addr && b.fpstate_addr - (b.esp + 268) < 16);
        assert_eq!(b.fpstate.len(), 624);
        assert_eq!(b.entry.edx, b.esp + 16);
        assert_eq!(b.entry.ecx, b.esp + 144);
        let f = RtSigframe::read_from_bytes(&b.frame[..]).unwrap();
        assert_eq!(
            f.pretcode,
            0xf7ff_0000 + crate::loader::vdso::KERNEL_RT_SIGRETURN
        );
        assert_eq!(f.uc.uc_mcontext.eflags & eflags::DF, eflags::DF);
        assert_eq!(f.uc.uc_sigmask, [2, 1]);
        assert_eq!(f.uc.uc_stack, alt.saved());
        let fp = Fpstate32::read_from_bytes(&b.fpstate[..]).unwrap();
        assert_eq!(fp.fx.sw_reserved.magic1, FP_XSTATE_MAGIC1);
        assert_eq!(fp.fx.sw_reserved.extended_size, 628);
        assert_eq!(fp.legacy.tag, 0xffff_ffff);
        b.apply(&mut cpu);
        assert!(!cpu.direction_flag());
        assert_eq!(cpu.eflags() & eflags::CF, eflags::CF);
        assert_eq!(b.blocked, SigSet::EMPTY.with(SIGUSR1));
    }

    #[test]
    fn sigframe_altstack_overflow_is_an_error() {
        let mut cpu = CpuState::default();
        cpu.gpr[ESP] = 0xbfff_0000;
        let info = SigInfo::kill(SIGUSR1, 0, 1, 2);
        let action = SigAction {
            handler: 1,
            flags: SA_ONSTACK,
            restorer: 0,
            mask: SigSet::EMPTY,
        };
        let fx = [0u8; 512];
        let small = AltStack {
            sp: 0x1000,
            size: 0x400,
            flags: 0,
        };
        let err = build_frame(&cpu, &delivery(&info, &action, &small, &fx));
        assert!(matches!(err, Err(FrameError::AltStackOverflow { .. })));
        let big = AltStack {
            sp: 0x1000,
            size: 0x2000,
            flags: SS_AUTODISARM,
        };
        let b = build_frame(&cpu, &delivery(&info, &action, &big, &fx)).unwrap();
        assert!(big.contains(b.esp) && b.disarm_altstack);
        // Already on the alternate stack: the frame goes below the current esp.
        cpu.gpr[ESP] = 0x2000;
        let on = AltStack { flags: 0, ..big };
        let b = build_frame(&cpu, &delivery(&info, &action, &on, &fx)).unwrap();
        assert!(b.esp < 0x2000 - 512);
        // Stack pointer near 0: the frame does not fit.
        cpu.gpr[ESP] = 0x100;
        let none = AltStack::DISABLED;
        assert!(matches!(
            build_frame(&cpu, &delivery(&info, &action, &none, &fx)),
            Err(FrameError::OutOfAddressSpace { .. })
        ));
    }

    #[test]
    fn sigframe_legacy_frame_without_vdso() {
        let mut cpu = CpuState::default();
        cpu.gpr[ESP] = 0x0080_0000;
        cpu.segment_mut(Segment::Ss).selector = USER_DS;
        let info = SigInfo::kill(SIGHUP, 0, 1, 2);
        let mut action = SigAction {
            handler: 0x0804_8000,
            flags: 0,
            restorer: 0x0040_0000,
            mask: SigSet::EMPTY.with(SIGINT),
        };
        let alt = AltStack::INITIAL;
        let fx = [0u8; 512];
        let mut d = delivery(&info, &action, &alt, &fx);
        d.vdso_base = None;
        let b = build_frame(&cpu, &d).unwrap();
        assert!(!b.rt && b.esp < 0x0080_0000 && b.esp > 0x0080_0000 - 2048);
        let f = Sigframe::read_from_bytes(&b.frame[..]).unwrap();
        // No vDSO and no SA_RESTORER: return through the frame's own retcode.
        assert_eq!(f.pretcode, b.esp + 724);
        assert_eq!(f.retcode, [0x58, 0xb8, 119, 0, 0, 0, 0xcd, 0x80]);
        assert_eq!((f.sc.oldmask, f.extramask[0]), (2, 1));
        assert_eq!((b.entry.edx, b.entry.ecx), (0, 0));
        assert_eq!(
            b.blocked,
            SigSet::EMPTY.with(SIGINT).with(SIGHUP),
            "sa_mask and the signal itself"
        );
        // A non-flat ss with sa_restorer but no SA_RESTORER: still the normal stack on
        // a 64-bit kernel.
        cpu.segment_mut(Segment::Ss).selector = 0x0f;
        let b = build_frame(&cpu, &delivery(&info, &action, &alt, &fx)).unwrap();
        assert!(b.esp < 0x0080_0000 && b.esp > 0x0080_0000 - 2048);
        action.flags = SA_RESTORER | SA_RESETHAND | SA_NODEFER;
        let b = build_frame(&cpu, &delivery(&info, &action, &alt, &fx)).unwrap();
        assert!(b.esp > 0x0070_0000 && b.reset_handler);
        assert_eq!(b.blocked, SigSet::EMPTY.with(SIGINT));
    }

    /// Any stack pointer, alternate stack, flags and FPU image: a frame or an error,
    /// never a panic; a frame always fits below 4 GiB with esp + 4 16-aligned.
    #[test]
    fn sigframe_random_deliveries_do_not_panic() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u32
        };
        for _ in 0..2000 {
            let mut cpu = CpuState::default();
            cpu.gpr[ESP] = next();
            let info = SigInfo::kill(next() % 70, next() as i32, 0, 0);
            let action = SigAction {
                handler: next(),
                flags: next(),
                restorer: next(),
                mask: SigSet(next() as u64),
            };
            let alt = AltStack {
                sp: next(),
                size: next() >> (next() % 32),
                flags: next(),
            };
            let mut fx = [0u8; 512];
            fx.iter_mut().for_each(|b| *b = next() as u8);
            let mut d = delivery(&info, &action, &alt, &fx);
            if next() % 2 == 0 {
                d.fpu_format = FpuFrameFormat::Xsave {
                    xstate_size: next() % 4096,
                    xfeatures: next() as u64,
                };
            }
            if let Ok(b) = build_frame(&cpu, &d) {
                assert_eq!(b.esp.wrapping_add(4) % 16, 0);
                let end = b.fpstate_addr as u64 + b.fpstate.len() as u64;
                assert!(end <= 1 << 32 && (b.esp as u64) + (b.frame.len() as u64) <= end);
            }
        }
    }

    #[test]
    fn sigframe_tag_word_classes() {
        let mut fx = FxregsState::new_zeroed();
        fx.swd = 6 << 11; // top = 6
        fx.twd = 0b1100_0000; // physical 6 (ST0) and 7 (ST1) in use
        fx.st_space[0..3].copy_from_slice(&[0, 0x8000_0000, 0x3fff]); // ST0 = 1.0: valid
        fx.st_space[4..7].copy_from_slice(&[0, 0, 0]); // ST1 = +0: zero
        assert_eq!(full_tag_word(&fx), 0xffff_0000 | 0x4fff);
    }
}
