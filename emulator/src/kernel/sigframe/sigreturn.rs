//! `sigreturn` (119) and `rt_sigreturn` (173) for a 32-bit process: reading the frame the
//! handler returns through, with the checks Linux makes (`ia32_restore_sigcontext`,
//! `fpu__restore_sig`, `restore_altstack`), into the registers, mask, alternate stack and
//! FPU state to resume with.
//!
//! Guest memory is only read. A frame that cannot be read or is invalid yields
//! [`BadFrame`], which carries what Linux had already changed before it noticed; the
//! kernel applies that and forces SIGSEGV.

use super::abi::{
    FsaveHeader, FxregsState, RtSigframe, SigSet, Sigcontext, Sigframe, StackT, USER32_CS, USER_DS,
};
use super::altstack::AltStack;
use crate::cpu::memory::{GuestAddr, GuestMemory, MemFault};
use crate::cpu::state::{
    eflags, CpuState, Segment, SegmentRegister, EAX, EBP, EBX, ECX, EDI, EDX, ESI, ESP,
};
use core::mem::{offset_of, size_of};
use thiserror::Error;
use zerocopy::{FromBytes, IntoBytes};

/// EFLAGS bits a handler may change through the sigcontext (`FIX_EFLAGS`): the status
/// flags, TF, DF, AC and RF. IF, IOPL, NT, VM, ID and the rest keep their current value.
pub const FIX_EFLAGS: u32 = eflags::STATUS | eflags::TF | eflags::DF | eflags::AC | (1 << 16);

/// The MXCSR bits the CPU implements (`mxcsr_feature_mask` with DAZ): an fpstate with
/// any other bit set is rejected.
pub const MXCSR_FEATURE_MASK: u32 = 0x0000_ffff;

/// Reading guest bytes, for the frame parser.
pub trait GuestRead {
    fn read_bytes(&mut self, addr: GuestAddr, out: &mut [u8]) -> Result<(), MemFault>;
}

impl<M: GuestMemory> GuestRead for M {
    fn read_bytes(&mut self, addr: GuestAddr, out: &mut [u8]) -> Result<(), MemFault> {
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = self.read_u8(addr.offset(i as u32))?;
        }
        Ok(())
    }
}

/// Registers restored from a sigcontext.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestoredRegs {
    /// eax, ecx, edx, ebx, esp, ebp, esi, edi (encoding order, as [`CpuState::gpr`]).
    pub gpr: [u32; 8],
    pub eip: u32,
    /// The full new EFLAGS: the current value with the [`FIX_EFLAGS`] bits replaced.
    pub eflags: u32,
    /// Selectors with RPL forced to 3, in [`Segment`] order (es, cs, ss, ds, fs, gs).
    pub segments: [u32; 6],
}

impl RestoredRegs {
    /// Loads the registers into `cpu`. A data segment selector (ds, es, fs, gs) that
    /// changed is loaded from its descriptor; one whose descriptor the CPU does not know
    /// becomes the null selector, as Linux's faulting segment load does. An unchanged
    /// selector keeps its current base (Linux reloads only changed ones). cs and ss are
    /// the flat user segments (see [`BadFrame`] for others).
    pub fn apply(&self, cpu: &mut CpuState) {
        cpu.gpr = self.gpr;
        cpu.eip = self.eip;
        cpu.set_eflags(self.eflags);
        for seg in [
            Segment::Es,
            Segment::Cs,
            Segment::Ss,
            Segment::Ds,
            Segment::Fs,
            Segment::Gs,
        ] {
            let selector = self.segments[seg as usize];
            let flat = |selector| SegmentRegister { selector, base: 0 };
            let current = *cpu.segment(seg);
            let loaded = match seg {
                Segment::Cs => flat(USER32_CS),
                Segment::Ss => flat(USER_DS),
                _ if current.selector | 3 == selector => current,
                _ if selector & !3 == 0 || selector == USER_DS || selector == USER32_CS => {
                    flat(selector)
                }
                _ => match cpu.descriptor_base(selector) {
                    Some(base) => SegmentRegister { selector, base },
                    None => SegmentRegister::default(),
                },
            };
            *cpu.segment_mut(seg) = loaded;
        }
    }
}

/// The FPU state to resume with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FpuRestore {
    /// The sigcontext had no fpstate: reset the x87/SSE state to its initial state.
    Init,
    /// Load this FXSAVE image (64-bit format). Its x87 part comes from the legacy header
    /// of the `_fpstate_32` (which wins over the FXSAVE copy, as in Linux); MXCSR and the
    /// XMM registers come from the FXSAVE part.
    Fxsave(Box<[u8; 512]>),
}

/// A successful `sigreturn` / `rt_sigreturn`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Restored {
    pub regs: RestoredRegs,
    /// The new blocked mask (never SIGKILL or SIGSTOP).
    pub blocked: SigSet,
    /// The alternate stack saved in an `rt_sigframe`: apply with
    /// [`AltStack::restore`] at the restored esp (done by [`Restored::apply`]).
    pub altstack: Option<StackT>,
    pub fpu: FpuRestore,
}

impl Restored {
    /// Applies registers, mask and alternate stack. The system call returns the restored
    /// eax as it is (Linux sets `orig_ax = -1`, so no restart logic applies to it), and
    /// any pending `restart_syscall` block must be cancelled. The FPU state is the
    /// caller's to load.
    pub fn apply(&self, cpu: &mut CpuState, blocked: &mut SigSet, altstack: &mut AltStack) {
        self.regs.apply(cpu);
        *blocked = self.blocked;
        if let Some(saved) = self.altstack {
            altstack.restore(saved, self.regs.gpr[ESP]);
        }
    }
}

/// Why a frame was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum BadFrameReason {
    #[error("signal frame unreadable: {0}")]
    Unreadable(MemFault),
    #[error("fpstate has MXCSR {0:#x} with reserved bits set")]
    ReservedMxcsr(u32),
    #[error("sigcontext holds cs {cs:#x} / ss {ss:#x}, not the flat user segments")]
    BadSegments { cs: u32, ss: u32 },
}

/// A rejected `sigreturn`: Linux forces SIGSEGV, after having already applied
/// `blocked` (if it could read the mask) and `regs` (if it could read the sigcontext; the
/// FPU is then reset to its initial state).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error("bad signal frame: {reason}")]
pub struct BadFrame {
    pub reason: BadFrameReason,
    pub blocked: Option<SigSet>,
    pub regs: Option<RestoredRegs>,
}

/// `sigreturn` (legacy frame): `esp` is the stack pointer at the system call, 8 bytes
/// above the frame (the return to the restorer popped `pretcode`, its `pop %eax` the
/// signal number). `eflags` is the current EFLAGS.
pub fn parse_sigreturn(
    mem: &mut impl GuestRead,
    esp: u32,
    eflags: u32,
) -> Result<Restored, BadFrame> {
    let frame = esp.wrapping_sub(8);
    let low = read::<u32>(
        mem,
        frame.wrapping_add((offset_of!(Sigframe, sc) + offset_of!(Sigcontext, oldmask)) as u32),
    );
    let high = read::<u32>(
        mem,
        frame.wrapping_add(offset_of!(Sigframe, extramask) as u32),
    );
    let blocked = match (low, high) {
        (Ok(l), Ok(h)) => SigSet::from_words([l, h]).blockable(),
        (Err(e), _) | (_, Err(e)) => return Err(unreadable(e, None, None)),
    };
    let sc_at = frame.wrapping_add(offset_of!(Sigframe, sc) as u32);
    let (regs, fpu) = restore_sigcontext(mem, sc_at, eflags, blocked)?;
    Ok(Restored {
        regs,
        blocked,
        altstack: None,
        fpu,
    })
}

/// `rt_sigreturn`: `esp` is the stack pointer at the system call, 4 bytes above the frame
/// (the return to the restorer popped `pretcode`).
pub fn parse_rt_sigreturn(
    mem: &mut impl GuestRead,
    esp: u32,
    eflags: u32,
) -> Result<Restored, BadFrame> {
    let frame = esp.wrapping_sub(4);
    let uc = frame.wrapping_add(offset_of!(RtSigframe, uc) as u32);
    let mask_at = uc.wrapping_add(offset_of!(super::abi::Ucontext, uc_sigmask) as u32);
    let blocked = read::<[u32; 2]>(mem, mask_at)
        .map(|w| SigSet::from_words(w).blockable())
        .map_err(|e| unreadable(e, None, None))?;
    let sc_at = uc.wrapping_add(offset_of!(super::abi::Ucontext, uc_mcontext) as u32);
    let (regs, fpu) = restore_sigcontext(mem, sc_at, eflags, blocked)?;
    let stack_at = uc.wrapping_add(offset_of!(super::abi::Ucontext, uc_stack) as u32);
    let altstack =
        read::<StackT>(mem, stack_at).map_err(|e| unreadable(e, Some(blocked), Some(regs)))?;
    Ok(Restored {
        regs,
        blocked,
        altstack: Some(altstack),
        fpu,
    })
}

fn unreadable(fault: MemFault, blocked: Option<SigSet>, regs: Option<RestoredRegs>) -> BadFrame {
    BadFrame {
        reason: BadFrameReason::Unreadable(fault),
        blocked,
        regs,
    }
}

fn read<T: FromBytes + IntoBytes>(mem: &mut impl GuestRead, addr: u32) -> Result<T, MemFault> {
    let mut value = T::new_zeroed();
    mem.read_bytes(GuestAddr(addr), value.as_mut_bytes())?;
    Ok(value)
}

/// `ia32_restore_sigcontext` + `fpu__restore_sig`.
fn restore_sigcontext(
    mem: &mut impl GuestRead,
    sc_at: u32,
    eflags: u32,
    blocked: SigSet,
) -> Result<(RestoredRegs, FpuRestore), BadFrame> {
    let sc: Sigcontext = read(mem, sc_at).map_err(|e| unreadable(e, Some(blocked), None))?;
    let mut gpr = [0u32; 8];
    gpr[EAX] = sc.eax;
    gpr[ECX] = sc.ecx;
    gpr[EDX] = sc.edx;
    gpr[EBX] = sc.ebx;
    gpr[ESP] = sc.esp;
    gpr[EBP] = sc.ebp;
    gpr[ESI] = sc.esi;
    gpr[EDI] = sc.edi;
    let rpl3 = |sel: u32| (sel & 0xffff) | 3;
    let mut segments = [0u32; 6];
    segments[Segment::Es as usize] = rpl3(sc.es);
    segments[Segment::Cs as usize] = rpl3(sc.cs);
    segments[Segment::Ss as usize] = rpl3(sc.ss);
    segments[Segment::Ds as usize] = rpl3(sc.ds);
    segments[Segment::Fs as usize] = rpl3(sc.fs);
    segments[Segment::Gs as usize] = rpl3(sc.gs);
    let regs = RestoredRegs {
        gpr,
        eip: sc.eip,
        eflags: (eflags & !FIX_EFLAGS) | (sc.eflags & FIX_EFLAGS),
        segments,
    };
    let bad = |reason| BadFrame {
        reason,
        blocked: Some(blocked),
        regs: Some(regs),
    };
    let (cs, ss) = (
        segments[Segment::Cs as usize],
        segments[Segment::Ss as usize],
    );
    if cs != USER32_CS || ss != USER_DS {
        return Err(bad(BadFrameReason::BadSegments { cs, ss }));
    }
    if sc.fpstate == 0 {
        return Ok((regs, FpuRestore::Init));
    }
    let legacy: FsaveHeader =
        read(mem, sc.fpstate).map_err(|e| bad(BadFrameReason::Unreadable(e)))?;
    let fx_at = sc.fpstate.wrapping_add(size_of::<FsaveHeader>() as u32);
    let mut fx: FxregsState = read(mem, fx_at).map_err(|e| bad(BadFrameReason::Unreadable(e)))?;
    if fx.mxcsr & !MXCSR_FEATURE_MASK != 0 {
        return Err(bad(BadFrameReason::ReservedMxcsr(fx.mxcsr)));
    }
    fold_legacy(&mut fx, &legacy);
    let mut image = Box::new([0u8; 512]);
    image.copy_from_slice(fx.as_bytes());
    Ok((regs, FpuRestore::Fxsave(image)))
}

/// `convert_to_fxsr` on a 64-bit kernel: the legacy header's x87 state replaces the
/// FXSAVE image's (control, status, tags, opcode, FIP, FDP, registers).
fn fold_legacy(fx: &mut FxregsState, env: &FsaveHeader) {
    fx.cwd = env.cw as u16;
    fx.swd = env.sw as u16;
    fx.twd = abridged_tag_word(env.tag as u16);
    fx.fop = (env.cssel >> 16) as u16;
    fx.fip = [env.ipoff, 0];
    fx.fdp = [env.dataoff, 0];
    for (i, reg) in env.st.iter().enumerate() {
        let dst = &mut fx.st_space.as_mut_bytes()[i * 16..i * 16 + 10];
        dst.copy_from_slice(reg.as_bytes());
    }
}

/// One "in use" bit per register from a full tag word (empty = 0b11 → 0).
fn abridged_tag_word(tag: u16) -> u16 {
    (0..8).fold(0, |acc, i| {
        if (tag >> (2 * i)) & 3 != 3 {
            acc | 1 << i
        } else {
            acc
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::memory::{PagedMemory, Protection};
    use crate::kernel::sigframe::abi::{sa::*, signo::*};
    use crate::kernel::sigframe::frame::{build_frame, FpuFrameFormat, SigAction, SignalDelivery};
    use crate::kernel::sigframe::siginfo::{SigInfo, TrapInfo};
    use zerocopy::FromZeros;

    fn round_trip(flags: u32) {
        let mut cpu = CpuState::default();
        for (i, r) in cpu.gpr.iter_mut().enumerate() {
            *r = 0x1111_1111 * (i as u32 + 1);
        }
        cpu.gpr[ESP] = 0x0010_0000;
        cpu.eip = 0x0804_8123;
        cpu.segments[Segment::Cs as usize].selector = USER32_CS;
        cpu.segments[Segment::Ss as usize].selector = USER_DS;
        cpu.segments[Segment::Ds as usize].selector = USER_DS;
        cpu.segments[Segment::Es as usize].selector = USER_DS;
        cpu.set_eflags(eflags::CF | eflags::ZF | eflags::DF);
        let info = SigInfo::kill(SIGUSR2, 0, 3, 4);
        let action = SigAction {
            handler: 0x0804_9000,
            flags,
            restorer: 0x0804_a000,
            mask: SigSet::EMPTY,
        };
        let mut fx = [0u8; 512];
        fx[0] = 0x7f;
        fx[1] = 0x03;
        fx[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
        fx[160] = 0xaa; // xmm0 low byte
        let alt = AltStack::DISABLED;
        let d = SignalDelivery {
            info: &info,
            action: &action,
            blocked: SigSet::EMPTY,
            saved_mask: SigSet(0x8000_0000_0000_0001),
            altstack: &alt,
            trap: TrapInfo::default(),
            fxsave: &fx,
            vdso_base: None,
            fpu_format: FpuFrameFormat::Fxsr,
            resume_flag: false,
        };
        let built = build_frame(&cpu, &d).unwrap();
        let mut mem = PagedMemory::new();
        mem.map(GuestAddr(0x000f_0000), 0x10000, Protection::RW);
        for (addr, bytes) in built.writes() {
            mem.load(addr, bytes).unwrap();
        }
        let before = cpu.clone();
        built.apply(&mut cpu);
        let rt = flags & SA_SIGINFO != 0;
        let esp = built.esp + if rt { 4 } else { 8 };
        let restored = if rt {
            parse_rt_sigreturn(&mut mem, esp, cpu.eflags())
        } else {
            parse_sigreturn(&mut mem, esp, cpu.eflags())
        }
        .unwrap();
        let (mut blocked, mut alt2) = (SigSet::EMPTY, AltStack::DISABLED);
        restored.apply(&mut cpu, &mut blocked, &mut alt2);
        assert_eq!(cpu.gpr, before.gpr);
        assert_eq!(cpu.eip, before.eip);
        assert_eq!(cpu.eflags(), before.eflags());
        assert_eq!(blocked, SigSet(0x8000_0000_0000_0001));
        match restored.fpu {
            FpuRestore::Fxsave(image) => {
                assert_eq!(&image[..464], &fx[..464]);
            }
            FpuRestore::Init => panic!("fpstate expected"),
        }
    }

    #[test]
    fn sigframe_rt_round_trip() {
        round_trip(SA_SIGINFO | SA_RESTORER);
    }

    #[test]
    fn sigframe_legacy_round_trip() {
        round_trip(0);
    }

    #[test]
    fn sigframe_bad_frames() {
        let mut mem = PagedMemory::new();
        let err = parse_rt_sigreturn(&mut mem, 0x1000, 0x202).unwrap_err();
        assert!(matches!(err.reason, BadFrameReason::Unreadable(_)) && err.blocked.is_none());
        mem.map(GuestAddr(0x10000), 0x1000, Protection::RW);
        let mut frame = RtSigframe::new_zeroed();
        frame.uc.uc_sigmask = [u32::MAX, u32::MAX];
        frame.uc.uc_mcontext.cs = USER32_CS;
        frame.uc.uc_mcontext.ss = 0x2b;
        frame.uc.uc_mcontext.fpstate = 0x5000_0000; // unmapped
        frame.uc.uc_mcontext.eflags = 0xffff_ffff;
        mem.load(GuestAddr(0x10000), frame.as_bytes()).unwrap();
        let err = parse_rt_sigreturn(&mut mem, 0x10004, 0x202).unwrap_err();
        assert!(matches!(err.reason, BadFrameReason::Unreadable(_)));
        let blocked = err.blocked.unwrap();
        assert!(
            !blocked.contains(SIGKILL) && !blocked.contains(SIGSTOP) && blocked.contains(SIGINT)
        );
        // IF stays, IOPL/ID/VM/NT cannot be set, DF/TF/AC can.
        let e = err.regs.unwrap().eflags;
        assert_eq!(
            e & (eflags::IF | eflags::DF | eflags::TF | eflags::AC),
            0x200 | 0x400 | 0x100 | 0x40000
        );
        assert_eq!(e & (eflags::ID | 0x3000 | 0x4000 | 0x20000), 0);
        // A code selector in ss.
        frame.uc.uc_mcontext.ss = USER32_CS;
        frame.uc.uc_mcontext.fpstate = 0;
        mem.load(GuestAddr(0x10000), frame.as_bytes()).unwrap();
        let err = parse_rt_sigreturn(&mut mem, 0x10004, 0x202).unwrap_err();
        assert!(matches!(err.reason, BadFrameReason::BadSegments { .. }));
    }

    #[test]
    fn sigframe_no_fpstate_resets_and_bad_mxcsr_is_refused() {
        let mut mem = PagedMemory::new();
        mem.map(GuestAddr(0x10000), 0x2000, Protection::RW);
        let mut frame = RtSigframe::new_zeroed();
        frame.uc.uc_mcontext.cs = USER32_CS;
        frame.uc.uc_mcontext.ss = USER_DS;
        frame.uc.uc_mcontext.gs = 0x63;
        frame.uc.uc_mcontext.es = 0x7b;
        frame.uc.uc_mcontext.eip = 0x1234;
        mem.load(GuestAddr(0x10000), frame.as_bytes()).unwrap();
        let r = parse_rt_sigreturn(&mut mem, 0x10004, 0x202).unwrap();
        assert_eq!(r.fpu, FpuRestore::Init);
        assert_eq!(r.regs.eip, 0x1234);
        // gs 0x63 unchanged keeps its base; fs 0 loads the null selector (RPL 3); es
        // names a descriptor the CPU does not know and becomes null.
        let mut cpu = CpuState::default();
        *cpu.segment_mut(Segment::Gs) = SegmentRegister {
            selector: 0x63,
            base: 0xb7f0_0000,
        };
        *cpu.segment_mut(Segment::Fs) = SegmentRegister {
            selector: 0x73,
            base: 0x1000,
        };
        r.regs.apply(&mut cpu);
        assert_eq!(cpu.segment(Segment::Gs).base, 0xb7f0_0000);
        let null_rpl3 = SegmentRegister {
            selector: 3,
            base: 0,
        };
        assert_eq!(*cpu.segment(Segment::Fs), null_rpl3);
        assert_eq!(*cpu.segment(Segment::Es), SegmentRegister::default());

        let mut fp = crate::kernel::sigframe::abi::Fpstate32::new_zeroed();
        fp.fx.mxcsr = 0x1_0000;
        mem.load(GuestAddr(0x11000), fp.as_bytes()).unwrap();
        frame.uc.uc_mcontext.fpstate = 0x11000;
        mem.load(GuestAddr(0x10000), frame.as_bytes()).unwrap();
        let err = parse_rt_sigreturn(&mut mem, 0x10004, 0x202).unwrap_err();
        assert_eq!(err.reason, BadFrameReason::ReservedMxcsr(0x1_0000));
        assert_eq!(err.regs.unwrap().eip, 0x1234);
    }

    /// Arbitrary guest bytes never panic the parsers or the siginfo decoder.
    #[test]
    fn sigframe_random_frames_do_not_panic() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..200 {
            let mut mem = PagedMemory::new();
            mem.map(GuestAddr(0x10000), 0x2000, Protection::RW);
            let bytes: Vec<u8> = (0..0x2000).map(|_| next() as u8).collect();
            mem.load(GuestAddr(0x10000), &bytes).unwrap();
            if round % 2 == 0 {
                // Point fpstate into the mapped page sometimes.
                let fp = (0x10000 + (next() as u32 % 0x1800)).to_le_bytes();
                let sc = 0x10000 + 8 + offset_of!(Sigcontext, fpstate);
                mem.load(GuestAddr(sc as u32), &fp).unwrap();
            }
            let esp = 0x10000 + (next() as u32 % 0x2100);
            let _ = parse_sigreturn(&mut mem, esp, next() as u32);
            let _ = parse_rt_sigreturn(&mut mem, esp, next() as u32);
            let _ = parse_sigreturn(&mut mem, 8 + 0x10000, next() as u32);
            let raw =
                crate::kernel::sigframe::abi::Siginfo::read_from_bytes(&bytes[..128]).unwrap();
            let info = SigInfo::from_abi(&raw);
            let _ = info.to_abi();
        }
    }

    #[test]
    fn sigframe_abridged_tags() {
        assert_eq!(abridged_tag_word(0xffff), 0);
        assert_eq!(abridged_tag_word(0x4fff), 0xc0);
    }
}
