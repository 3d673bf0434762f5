//! The i386 signal ABI as the guest sees it: `sigset_t`, `siginfo_t`, `stack_t`,
//! `struct sigcontext`, `struct _fpstate_32`, `struct ucontext` and the two stack frames
//! (`sigframe` for plain handlers, `rt_sigframe` for `SA_SIGINFO` handlers), plus the
//! constants that go with them.
//!
//! Every type is `#[repr(C)]` with the field names of the Linux uapi and kernel headers
//! (`asm/sigcontext.h`, `asm-generic/siginfo.h`, `arch/x86/include/asm/sigframe.h`) and a
//! size assertion; byte offsets are never computed by hand. All fields are at most 32 bits
//! wide so that the Rust alignment equals the i386 one (where `u64` is 4-aligned).
//! This module holds layouts and numbers only: no behaviour.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

// The guest is little-endian and so is every host we build for (x86_64, wasm32); the
// structs below use native integers and rely on that.
#[cfg(target_endian = "big")]
compile_error!("the i386 signal ABI types assume a little-endian host");

/// Signal numbers of i386 Linux.
pub mod signo {
    pub const SIGHUP: u32 = 1;
    pub const SIGINT: u32 = 2;
    pub const SIGQUIT: u32 = 3;
    pub const SIGILL: u32 = 4;
    pub const SIGTRAP: u32 = 5;
    pub const SIGABRT: u32 = 6;
    pub const SIGBUS: u32 = 7;
    pub const SIGFPE: u32 = 8;
    pub const SIGKILL: u32 = 9;
    pub const SIGUSR1: u32 = 10;
    pub const SIGSEGV: u32 = 11;
    pub const SIGUSR2: u32 = 12;
    pub const SIGPIPE: u32 = 13;
    pub const SIGALRM: u32 = 14;
    pub const SIGTERM: u32 = 15;
    pub const SIGSTKFLT: u32 = 16;
    pub const SIGCHLD: u32 = 17;
    pub const SIGCONT: u32 = 18;
    pub const SIGSTOP: u32 = 19;
    pub const SIGTSTP: u32 = 20;
    pub const SIGTTIN: u32 = 21;
    pub const SIGTTOU: u32 = 22;
    pub const SIGURG: u32 = 23;
    pub const SIGXCPU: u32 = 24;
    pub const SIGXFSZ: u32 = 25;
    pub const SIGVTALRM: u32 = 26;
    pub const SIGPROF: u32 = 27;
    pub const SIGWINCH: u32 = 28;
    /// Also `SIGPOLL`.
    pub const SIGIO: u32 = 29;
    pub const SIGPOLL: u32 = SIGIO;
    pub const SIGPWR: u32 = 30;
    pub const SIGSYS: u32 = 31;
    /// First real-time signal as the kernel numbers them (glibc reserves 32 and 33).
    pub const SIGRTMIN: u32 = 32;
    /// Highest signal number (`_NSIG`).
    pub const SIGRTMAX: u32 = 64;
}

/// `sa_flags` bits.
pub mod sa {
    pub const SA_NOCLDSTOP: u32 = 0x0000_0001;
    pub const SA_NOCLDWAIT: u32 = 0x0000_0002;
    pub const SA_SIGINFO: u32 = 0x0000_0004;
    pub const SA_UNSUPPORTED: u32 = 0x0000_0400;
    pub const SA_EXPOSE_TAGBITS: u32 = 0x0000_0800;
    pub const SA_RESTORER: u32 = 0x0400_0000;
    pub const SA_ONSTACK: u32 = 0x0800_0000;
    pub const SA_RESTART: u32 = 0x1000_0000;
    pub const SA_NODEFER: u32 = 0x4000_0000;
    pub const SA_RESETHAND: u32 = 0x8000_0000;
}

/// `ss_flags` bits of `stack_t` and the `sigaltstack` size limits.
pub mod ss {
    pub const SS_ONSTACK: u32 = 1;
    pub const SS_DISABLE: u32 = 2;
    pub const SS_AUTODISARM: u32 = 1 << 31;
    /// Mode-independent flag bits (`SS_FLAG_BITS`).
    pub const SS_FLAG_BITS: u32 = SS_AUTODISARM;
    pub const MINSIGSTKSZ: u32 = 2048;
    pub const SIGSTKSZ: u32 = 8192;
}

/// `si_code` values.
pub mod si_code {
    pub const SI_USER: i32 = 0;
    pub const SI_KERNEL: i32 = 0x80;
    pub const SI_QUEUE: i32 = -1;
    pub const SI_TIMER: i32 = -2;
    pub const SI_MESGQ: i32 = -3;
    pub const SI_ASYNCIO: i32 = -4;
    pub const SI_SIGIO: i32 = -5;
    pub const SI_TKILL: i32 = -6;
    pub const SI_DETHREAD: i32 = -7;
    pub const SI_ASYNCNL: i32 = -60;

    pub const ILL_ILLOPC: i32 = 1;
    pub const ILL_ILLOPN: i32 = 2;
    pub const ILL_ILLADR: i32 = 3;
    pub const ILL_ILLTRP: i32 = 4;
    pub const ILL_PRVOPC: i32 = 5;
    pub const ILL_PRVREG: i32 = 6;
    pub const ILL_COPROC: i32 = 7;
    pub const ILL_BADSTK: i32 = 8;
    pub const ILL_BADIADDR: i32 = 9;
    pub const NSIGILL: i32 = 11;

    pub const FPE_INTDIV: i32 = 1;
    pub const FPE_INTOVF: i32 = 2;
    pub const FPE_FLTDIV: i32 = 3;
    pub const FPE_FLTOVF: i32 = 4;
    pub const FPE_FLTUND: i32 = 5;
    pub const FPE_FLTRES: i32 = 6;
    pub const FPE_FLTINV: i32 = 7;
    pub const FPE_FLTSUB: i32 = 8;
    pub const FPE_FLTUNK: i32 = 14;
    pub const NSIGFPE: i32 = 15;

    pub const SEGV_MAPERR: i32 = 1;
    pub const SEGV_ACCERR: i32 = 2;
    pub const SEGV_BNDERR: i32 = 3;
    pub const SEGV_PKUERR: i32 = 4;
    pub const NSIGSEGV: i32 = 10;

    pub const BUS_ADRALN: i32 = 1;
    pub const BUS_ADRERR: i32 = 2;
    pub const BUS_OBJERR: i32 = 3;
    pub const BUS_MCEERR_AR: i32 = 4;
    pub const BUS_MCEERR_AO: i32 = 5;
    pub const NSIGBUS: i32 = 5;

    pub const TRAP_BRKPT: i32 = 1;
    pub const TRAP_TRACE: i32 = 2;
    pub const TRAP_BRANCH: i32 = 3;
    pub const TRAP_HWBKPT: i32 = 4;
    pub const TRAP_UNK: i32 = 5;
    pub const TRAP_PERF: i32 = 6;
    pub const NSIGTRAP: i32 = 6;

    pub const CLD_EXITED: i32 = 1;
    pub const CLD_KILLED: i32 = 2;
    pub const CLD_DUMPED: i32 = 3;
    pub const CLD_TRAPPED: i32 = 4;
    pub const CLD_STOPPED: i32 = 5;
    pub const CLD_CONTINUED: i32 = 6;
    pub const NSIGCHLD: i32 = 6;

    pub const POLL_IN: i32 = 1;
    pub const POLL_OUT: i32 = 2;
    pub const POLL_MSG: i32 = 3;
    pub const POLL_ERR: i32 = 4;
    pub const POLL_PRI: i32 = 5;
    pub const POLL_HUP: i32 = 6;
    pub const NSIGPOLL: i32 = 6;

    pub const SYS_SECCOMP: i32 = 1;
    pub const SYS_USER_DISPATCH: i32 = 2;
    pub const NSIGSYS: i32 = 2;
}

/// Segment selectors a 64-bit Linux kernel gives 32-bit user code.
pub const USER32_CS: u32 = 0x23;
pub const USER_DS: u32 = 0x2b;

/// i386 system call numbers the signal code needs.
pub const NR_RESTART_SYSCALL: u32 = 0;
pub const NR_SIGRETURN: u32 = 119;
pub const NR_RT_SIGRETURN: u32 = 173;

/// `uc_flags`: the fpstate pointed to by the sigcontext carries an XSAVE extension.
pub const UC_FP_XSTATE: u32 = 1;
/// `_fpx_sw_bytes.magic1`: the software-reserved bytes of the FXSAVE image are valid.
pub const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
/// Written after the XSAVE area when the CPU has XSAVE.
pub const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;
/// `_fpstate_32.magic` when the FXSAVE part is present (0xffff: plain FSAVE data only).
pub const X86_FXSR_MAGIC: u16 = 0x0000;
/// `AUDIT_ARCH_I386`, the `si_arch` of `SIGSYS`.
pub const AUDIT_ARCH_I386: u32 = 0x4000_0003;

/// The kernel's `sigset_t`: one bit per signal, bit `n - 1` for signal `n` (64 signals).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SigSet(pub u64);

impl SigSet {
    pub const EMPTY: SigSet = SigSet(0);

    /// The bit for `sig`, or 0 when `sig` is not a signal number (0, or above 64).
    pub fn bit(sig: u32) -> u64 {
        if (1..=64).contains(&sig) {
            1u64 << (sig - 1)
        } else {
            0
        }
    }

    pub fn contains(self, sig: u32) -> bool {
        self.0 & Self::bit(sig) != 0
    }

    pub fn with(self, sig: u32) -> SigSet {
        SigSet(self.0 | Self::bit(sig))
    }

    pub fn without(self, sig: u32) -> SigSet {
        SigSet(self.0 & !Self::bit(sig))
    }

    pub fn union(self, other: SigSet) -> SigSet {
        SigSet(self.0 | other.0)
    }

    /// The set with `SIGKILL` and `SIGSTOP` removed, as every mask change enforces.
    pub fn blockable(self) -> SigSet {
        self.without(signo::SIGKILL).without(signo::SIGSTOP)
    }

    /// The two 32-bit words of the guest's `sigset_t`.
    pub fn to_words(self) -> [u32; 2] {
        [self.0 as u32, (self.0 >> 32) as u32]
    }

    pub fn from_words(words: [u32; 2]) -> SigSet {
        SigSet(words[0] as u64 | (words[1] as u64) << 32)
    }
}

/// `stack_t`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct StackT {
    pub ss_sp: u32,
    pub ss_flags: u32,
    pub ss_size: u32,
}

/// `struct sigcontext` (32-bit). Segment selectors are stored zero-extended to 32 bits.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Sigcontext {
    pub gs: u32,
    pub fs: u32,
    pub es: u32,
    pub ds: u32,
    pub edi: u32,
    pub esi: u32,
    pub ebp: u32,
    pub esp: u32,
    pub ebx: u32,
    pub edx: u32,
    pub ecx: u32,
    pub eax: u32,
    pub trapno: u32,
    pub err: u32,
    pub eip: u32,
    pub cs: u32,
    pub eflags: u32,
    pub esp_at_signal: u32,
    pub ss: u32,
    /// Guest address of the `_fpstate_32`, or 0.
    pub fpstate: u32,
    /// Low word of the saved signal mask.
    pub oldmask: u32,
    pub cr2: u32,
}

/// `struct _fpreg`: one x87 register in FSAVE format.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct FpReg {
    pub significand: [u16; 4],
    pub exponent: u16,
}

/// `struct _fpx_sw_bytes`: what the kernel writes in the software-reserved tail of the
/// FXSAVE image (bytes 464..512).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct FpxSwBytes {
    pub magic1: u32,
    /// Size of everything the sigcontext's fpstate pointer refers to.
    pub extended_size: u32,
    /// `xfeatures` (a `u64` in the header, kept as two words for i386 alignment).
    pub xfeatures: [u32; 2],
    pub xstate_size: u32,
    pub padding: [u32; 7],
}

/// The FXSAVE image (`struct fxregs_state`), 512 bytes, as the 64-bit (REX.W) form a
/// 64-bit kernel stores: 64-bit FPU instruction and data pointers, no selectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct FxregsState {
    pub cwd: u16,
    pub swd: u16,
    /// Abridged tag word (one bit per physical register) in the low byte.
    pub twd: u16,
    pub fop: u16,
    /// `rip` (two words).
    pub fip: [u32; 2],
    /// `rdp` (two words).
    pub fdp: [u32; 2],
    pub mxcsr: u32,
    pub mxcsr_mask: u32,
    /// ST(0)..ST(7), 16 bytes each (10 used).
    pub st_space: [u32; 32],
    pub xmm_space: [u32; 64],
    pub padding: [u32; 12],
    pub sw_reserved: FpxSwBytes,
}

/// `struct fregs_state`'s user view (`struct user_i387_ia32_struct`): the legacy FSAVE
/// environment and registers that head an i386 `_fpstate_32`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct FsaveHeader {
    pub cw: u32,
    pub sw: u32,
    pub tag: u32,
    pub ipoff: u32,
    pub cssel: u32,
    pub dataoff: u32,
    pub datasel: u32,
    pub st: [FpReg; 8],
    /// Status word copy (`status`).
    pub status: u16,
    /// [`X86_FXSR_MAGIC`] when the FXSAVE part follows.
    pub magic: u16,
}

/// `struct _fpstate_32`: the legacy header followed by the 512-byte FXSAVE image. With
/// XSAVE the extended area and `FP_XSTATE_MAGIC2` follow it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Fpstate32 {
    pub legacy: FsaveHeader,
    pub fx: FxregsState,
}

/// `struct ucontext_ia32`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Ucontext {
    pub uc_flags: u32,
    pub uc_link: u32,
    pub uc_stack: StackT,
    pub uc_mcontext: Sigcontext,
    pub uc_sigmask: [u32; 2],
}

/// `compat_siginfo_t`: three header words and the 116-byte union, whose variants are the
/// `Si*` structs below (written at the start of `fields`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Siginfo {
    pub si_signo: i32,
    pub si_errno: i32,
    pub si_code: i32,
    pub fields: [u32; 29],
}

/// `_kill`: `kill`, `tkill`, `tgkill`, and kernel-sent signals.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct SiKill {
    pub si_pid: i32,
    pub si_uid: u32,
}

/// `_timer`: POSIX timers.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct SiTimer {
    pub si_tid: i32,
    pub si_overrun: i32,
    /// `sigval_t` (`sival_int` or `sival_ptr`).
    pub si_value: u32,
}

/// `_rt`: `sigqueue`, message queues, AIO.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct SiRt {
    pub si_pid: i32,
    pub si_uid: u32,
    pub si_value: u32,
}

/// `_sigchld`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct SiChld {
    pub si_pid: i32,
    pub si_uid: u32,
    pub si_status: i32,
    /// `compat_clock_t`, in clock ticks.
    pub si_utime: i32,
    pub si_stime: i32,
}

/// `_sigfault`: SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP. After `si_addr` comes a union:
/// `si_addr_lsb` (short, BUS_MCEERR_*), `_addr_bnd` (`_lower`, `_upper` after 4 bytes of
/// padding, SEGV_BNDERR) or `_addr_pkey` (`_pkey` after the same padding, SEGV_PKUERR).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct SiFault {
    pub si_addr: u32,
    pub si_addr_lsb: u16,
    pub _pad: u16,
    /// `si_lower`, or `si_pkey`.
    pub si_lower: u32,
    pub si_upper: u32,
}

/// `_sigpoll`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct SiPoll {
    /// A `long`: 32 bits on i386.
    pub si_band: i32,
    pub si_fd: i32,
}

/// `_sigsys`: seccomp.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct SiSys {
    pub si_call_addr: u32,
    pub si_syscall: i32,
    pub si_arch: u32,
}

/// `struct sigframe_ia32`: what a handler without `SA_SIGINFO` finds at its esp. The
/// `fpstate_unused` area keeps `extramask` where old programs expect it; the live FPU
/// state is placed separately, above the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Sigframe {
    pub pretcode: u32,
    pub sig: u32,
    pub sc: Sigcontext,
    pub fpstate_unused: Fpstate32,
    /// High word of the saved signal mask.
    pub extramask: [u32; 1],
    /// `popl %eax; movl $__NR_sigreturn, %eax; int $0x80` (a marker for debuggers).
    pub retcode: [u8; 8],
}

/// `struct rt_sigframe_ia32`: what an `SA_SIGINFO` handler finds at its esp. The FPU state
/// follows, separately aligned, above it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct RtSigframe {
    pub pretcode: u32,
    pub sig: u32,
    /// Guest address of `info`.
    pub pinfo: u32,
    /// Guest address of `uc`.
    pub puc: u32,
    pub info: Siginfo,
    pub uc: Ucontext,
    /// `movl $__NR_rt_sigreturn, %eax; int $0x80; 0` (a marker for debuggers).
    pub retcode: [u8; 8],
}

/// Size of the FXSAVE image.
pub const FXSAVE_BYTES: usize = 512;
/// Size of the XSAVE header that follows the FXSAVE image in an XSAVE area.
pub const XSAVE_HEADER_BYTES: usize = 64;

const _: () = {
    use core::mem::{align_of, size_of};
    assert!(size_of::<StackT>() == 12);
    assert!(size_of::<Sigcontext>() == 88);
    assert!(size_of::<FpReg>() == 10);
    assert!(size_of::<FpxSwBytes>() == 48);
    assert!(size_of::<FxregsState>() == FXSAVE_BYTES);
    assert!(size_of::<FsaveHeader>() == 112);
    assert!(size_of::<Fpstate32>() == 624);
    assert!(size_of::<Ucontext>() == 116);
    assert!(size_of::<Siginfo>() == 128);
    assert!(size_of::<SiKill>() <= 116);
    assert!(size_of::<SiTimer>() <= 116);
    assert!(size_of::<SiRt>() <= 116);
    assert!(size_of::<SiChld>() == 20);
    assert!(size_of::<SiFault>() == 16);
    assert!(size_of::<SiPoll>() <= 116);
    assert!(size_of::<SiSys>() <= 116);
    assert!(size_of::<Sigframe>() == 732);
    assert!(size_of::<RtSigframe>() == 268);
    assert!(align_of::<Sigframe>() == 4);
    assert!(align_of::<RtSigframe>() == 4);
};

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    /// Offsets that user programs hard-code (glibc, gdb, WINE), checked against the
    /// numbers the i386 headers give.
    #[test]
    fn sigframe_abi_offsets_match_the_i386_headers() {
        assert_eq!(offset_of!(Sigcontext, eip), 56);
        assert_eq!(offset_of!(Sigcontext, fpstate), 76);
        assert_eq!(offset_of!(Sigcontext, cr2), 84);
        assert_eq!(offset_of!(Ucontext, uc_mcontext), 20);
        assert_eq!(offset_of!(Ucontext, uc_sigmask), 108);
        assert_eq!(offset_of!(RtSigframe, info), 16);
        assert_eq!(offset_of!(RtSigframe, uc), 144);
        assert_eq!(offset_of!(RtSigframe, retcode), 260);
        assert_eq!(offset_of!(Sigframe, sc), 8);
        assert_eq!(offset_of!(Sigframe, extramask), 720);
        assert_eq!(offset_of!(Fpstate32, fx), 112);
        assert_eq!(offset_of!(FxregsState, mxcsr), 24);
        assert_eq!(offset_of!(FxregsState, st_space), 32);
        assert_eq!(offset_of!(FxregsState, xmm_space), 160);
        assert_eq!(offset_of!(FxregsState, sw_reserved), 464);
        assert_eq!(offset_of!(Siginfo, fields), 12);
    }

    #[test]
    fn sigframe_sigset_words_and_bits() {
        let s = SigSet::EMPTY.with(1).with(64).with(0).with(65);
        assert_eq!(s.to_words(), [1, 0x8000_0000]);
        assert_eq!(SigSet::from_words([1, 0x8000_0000]), s);
        assert!(s.contains(64) && !s.contains(2));
        let all = SigSet(u64::MAX).blockable();
        assert!(!all.contains(signo::SIGKILL) && !all.contains(signo::SIGSTOP));
    }
}
