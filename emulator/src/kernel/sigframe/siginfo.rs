//! `siginfo_t` as the kernel keeps it ([`SigInfo`], one typed variant per union member)
//! and as the guest sees it ([`abi::Siginfo`]), with Linux's rule for which union member a
//! `(signal, si_code)` pair uses, and the mapping from a CPU exception to the signal,
//! `siginfo` and trap information Linux reports for it.
//!
//! Conversion in both directions goes through the layout rule, so a `siginfo` a program
//! hands in (`rt_sigqueueinfo`) keeps exactly the fields Linux keeps. This module does not
//! decide when a signal is sent or to whom.

use super::abi::{self, si_code::*, signo::*};
use crate::cpu::fault::FaultKind;
use crate::cpu::memory::Access;
use zerocopy::{FromBytes, IntoBytes};

/// Which member of the `siginfo` union a `(signal, si_code)` pair uses (`siginfo_layout`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    Kill,
    Timer,
    Poll,
    Fault,
    FaultMceErr,
    FaultBndErr,
    FaultPkuErr,
    FaultPerfEvent,
    Chld,
    Rt,
    Sys,
}

/// Linux's `siginfo_layout`.
pub fn layout(sig: u32, code: i32) -> Layout {
    if code > SI_USER && code < SI_KERNEL {
        let family = match sig {
            SIGILL => Some((NSIGILL, Layout::Fault)),
            SIGFPE => Some((NSIGFPE, Layout::Fault)),
            SIGSEGV => Some((NSIGSEGV, Layout::Fault)),
            SIGBUS => Some((NSIGBUS, Layout::Fault)),
            SIGTRAP => Some((NSIGTRAP, Layout::Fault)),
            SIGCHLD => Some((NSIGCHLD, Layout::Chld)),
            SIGPOLL => Some((NSIGPOLL, Layout::Poll)),
            SIGSYS => Some((NSIGSYS, Layout::Sys)),
            _ => None,
        };
        match family {
            Some((limit, layout)) if code <= limit => match (sig, code) {
                (SIGBUS, BUS_MCEERR_AR..=BUS_MCEERR_AO) => Layout::FaultMceErr,
                (SIGSEGV, SEGV_BNDERR) => Layout::FaultBndErr,
                (SIGSEGV, SEGV_PKUERR) => Layout::FaultPkuErr,
                (SIGTRAP, TRAP_PERF) => Layout::FaultPerfEvent,
                _ => layout,
            },
            _ if code <= NSIGPOLL => Layout::Poll,
            _ => Layout::Kill,
        }
    } else if code == SI_TIMER {
        Layout::Timer
    } else if code == SI_SIGIO {
        Layout::Poll
    } else if code < 0 {
        Layout::Rt
    } else {
        Layout::Kill
    }
}

/// The extra data after `si_addr` in a fault `siginfo`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FaultExtra {
    #[default]
    None,
    /// `si_addr_lsb` (BUS_MCEERR_AR/AO).
    AddrLsb(u16),
    /// `si_lower`, `si_upper` (SEGV_BNDERR).
    Bounds { lower: u32, upper: u32 },
    /// `si_pkey` (SEGV_PKUERR).
    Pkey(u32),
    /// `si_perf_data`, `si_perf_type`, `si_perf_flags` (TRAP_PERF).
    Perf { data: u32, kind: u32, flags: u32 },
}

/// The union part of a `siginfo`, by the member its layout selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigFields {
    Kill(abi::SiKill),
    Timer(abi::SiTimer),
    Rt(abi::SiRt),
    Chld(abi::SiChld),
    Fault { addr: u32, extra: FaultExtra },
    Poll(abi::SiPoll),
    Sys(abi::SiSys),
}

/// A `siginfo` as the kernel keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigInfo {
    pub signo: u32,
    pub errno: i32,
    pub code: i32,
    pub fields: SigFields,
}

impl SigInfo {
    /// A signal sent by `kill` (SI_USER), `tkill`/`tgkill` (SI_TKILL) or the kernel
    /// (SI_KERNEL, with pid and uid 0).
    pub fn kill(signo: u32, code: i32, pid: i32, uid: u32) -> SigInfo {
        SigInfo {
            signo,
            errno: 0,
            code,
            fields: SigFields::Kill(abi::SiKill {
                si_pid: pid,
                si_uid: uid,
            }),
        }
    }

    /// A signal the kernel forces with no more detail (`force_sig`: SI_KERNEL).
    pub fn kernel(signo: u32) -> SigInfo {
        SigInfo::kill(signo, SI_KERNEL, 0, 0)
    }

    /// A fault signal (`force_sig_fault`) with `si_addr`.
    pub fn fault(signo: u32, code: i32, addr: u32) -> SigInfo {
        SigInfo {
            signo,
            errno: 0,
            code,
            fields: SigFields::Fault {
                addr,
                extra: FaultExtra::None,
            },
        }
    }

    /// `sigqueue` (SI_QUEUE) and other `_rt` senders.
    pub fn queue(signo: u32, code: i32, pid: i32, uid: u32, value: u32) -> SigInfo {
        SigInfo {
            signo,
            errno: 0,
            code,
            fields: SigFields::Rt(abi::SiRt {
                si_pid: pid,
                si_uid: uid,
                si_value: value,
            }),
        }
    }

    /// `SIGCHLD` for a child that exited, was killed, dumped, stopped or continued
    /// (`code` is a `CLD_*`; `status` the exit code or signal; times in clock ticks).
    pub fn chld(code: i32, pid: i32, uid: u32, status: i32, utime: i32, stime: i32) -> SigInfo {
        SigInfo {
            signo: SIGCHLD,
            errno: 0,
            code,
            fields: SigFields::Chld(abi::SiChld {
                si_pid: pid,
                si_uid: uid,
                si_status: status,
                si_utime: utime,
                si_stime: stime,
            }),
        }
    }

    /// A POSIX timer expiry (SI_TIMER).
    pub fn timer(signo: u32, tid: i32, overrun: i32, value: u32) -> SigInfo {
        SigInfo {
            signo,
            errno: 0,
            code: SI_TIMER,
            fields: SigFields::Timer(abi::SiTimer {
                si_tid: tid,
                si_overrun: overrun,
                si_value: value,
            }),
        }
    }

    /// `SIGIO`/`SIGPOLL` (or the `F_SETSIG` signal) for `fd` with `code` a `POLL_*`.
    pub fn poll(signo: u32, code: i32, band: i32, fd: i32) -> SigInfo {
        SigInfo {
            signo,
            errno: 0,
            code,
            fields: SigFields::Poll(abi::SiPoll {
                si_band: band,
                si_fd: fd,
            }),
        }
    }

    /// The guest's 128-byte `siginfo_t`: the header, the member the layout of
    /// `(signo, code)` selects, and zeros elsewhere (as `copy_siginfo_to_user32` does).
    pub fn to_abi(&self) -> abi::Siginfo {
        let mut out = abi::Siginfo {
            si_signo: self.signo as i32,
            si_errno: self.errno,
            si_code: self.code,
            ..Default::default()
        };
        let area = out.fields.as_mut_bytes();
        let put = |area: &mut [u8], bytes: &[u8]| area[..bytes.len()].copy_from_slice(bytes);
        match self.fields {
            SigFields::Kill(f) => put(area, f.as_bytes()),
            SigFields::Timer(f) => put(area, f.as_bytes()),
            SigFields::Rt(f) => put(area, f.as_bytes()),
            SigFields::Chld(f) => put(area, f.as_bytes()),
            SigFields::Poll(f) => put(area, f.as_bytes()),
            SigFields::Sys(f) => put(area, f.as_bytes()),
            SigFields::Fault { addr, extra } => {
                let mut f = abi::SiFault {
                    si_addr: addr,
                    ..Default::default()
                };
                let mut perf = None;
                match extra {
                    FaultExtra::None => {}
                    FaultExtra::AddrLsb(lsb) => f.si_addr_lsb = lsb,
                    FaultExtra::Bounds { lower, upper } => {
                        f.si_lower = lower;
                        f.si_upper = upper;
                    }
                    FaultExtra::Pkey(pkey) => f.si_lower = pkey,
                    FaultExtra::Perf { data, kind, flags } => {
                        perf = Some([addr, data, kind, flags])
                    }
                }
                match perf {
                    Some(words) => put(area, words.as_bytes()),
                    None => put(area, f.as_bytes()),
                }
            }
        }
        out
    }

    /// Reads a guest `siginfo_t` keeping only the fields its layout defines (what Linux
    /// keeps of a `siginfo` passed to `rt_sigqueueinfo`).
    pub fn from_abi(raw: &abi::Siginfo) -> SigInfo {
        let signo = raw.si_signo as u32;
        let area = raw.fields.as_bytes();
        let fault = |extra| SigFields::Fault {
            addr: raw.fields[0],
            extra,
        };
        let fields = match layout(signo, raw.si_code) {
            Layout::Kill => SigFields::Kill(read(area)),
            Layout::Timer => SigFields::Timer(read(area)),
            Layout::Rt => SigFields::Rt(read(area)),
            Layout::Chld => SigFields::Chld(read(area)),
            Layout::Poll => SigFields::Poll(read(area)),
            Layout::Sys => SigFields::Sys(read(area)),
            Layout::Fault => fault(FaultExtra::None),
            Layout::FaultMceErr => {
                fault(FaultExtra::AddrLsb(read::<abi::SiFault>(area).si_addr_lsb))
            }
            Layout::FaultBndErr => {
                let f: abi::SiFault = read(area);
                fault(FaultExtra::Bounds {
                    lower: f.si_lower,
                    upper: f.si_upper,
                })
            }
            Layout::FaultPkuErr => fault(FaultExtra::Pkey(raw.fields[2])),
            Layout::FaultPerfEvent => fault(FaultExtra::Perf {
                data: raw.fields[1],
                kind: raw.fields[2],
                flags: raw.fields[3],
            }),
        };
        SigInfo {
            signo,
            errno: raw.si_errno,
            code: raw.si_code,
            fields,
        }
    }
}

/// Reads a union member from the start of the 116-byte area (always large enough).
fn read<T: FromBytes>(area: &[u8]) -> T {
    T::read_from_prefix(area)
        .map(|(v, _)| v)
        .unwrap_or_else(|_| T::new_zeroed())
}

/// What the kernel records about the last exception of a thread (`thread.trap_nr`,
/// `thread.error_code`, `thread.cr2`); the signal frame's sigcontext reports it, stale
/// values included, so the kernel keeps one per task and updates it only on faults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrapInfo {
    pub trapno: u32,
    pub error_code: u32,
    pub cr2: u32,
}

/// x86 exception vectors.
pub mod trap {
    pub const DE: u32 = 0;
    pub const DB: u32 = 1;
    pub const BP: u32 = 3;
    pub const OF: u32 = 4;
    pub const BR: u32 = 5;
    pub const UD: u32 = 6;
    pub const NM: u32 = 7;
    pub const SS: u32 = 12;
    pub const GP: u32 = 13;
    pub const PF: u32 = 14;
    pub const MF: u32 = 16;
    pub const AC: u32 = 17;
    pub const XF: u32 = 19;
}

/// Page fault error code bits.
pub mod pf {
    pub const PROT: u32 = 1 << 0;
    pub const WRITE: u32 = 1 << 1;
    pub const USER: u32 = 1 << 2;
    pub const INSTR: u32 = 1 << 4;
}

/// Why a page fault could not be satisfied, which the address space knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageFaultCause {
    /// No mapping at the address (SEGV_MAPERR).
    NotMapped,
    /// A mapping whose protection forbids the access (SEGV_ACCERR).
    Protection,
    /// A file page wholly past the end of the file, or no memory for the page
    /// (SIGBUS, BUS_ADRERR).
    BusError,
}

/// The signal Linux sends for a CPU exception in user mode, with its `siginfo`, updating
/// the thread's trap information as Linux does: `trapno` and `error_code` on every
/// exception, `cr2` only on page faults (it stays stale otherwise). `eip` is the address
/// the CPU reports (the instruction for faults, the next one for traps); page faults need
/// `cause` (ignored for the other kinds).
pub fn signal_for_fault(
    kind: FaultKind,
    eip: u32,
    cause: PageFaultCause,
    thread: &mut TrapInfo,
) -> SigInfo {
    let (info, trapno, error_code) = match kind {
        FaultKind::DivideError => (SigInfo::fault(SIGFPE, FPE_INTDIV, eip), trap::DE, 0),
        FaultKind::Breakpoint => (SigInfo::kernel(SIGTRAP), trap::BP, 0),
        FaultKind::Overflow => (SigInfo::kernel(SIGSEGV), trap::OF, 0),
        FaultKind::InvalidOpcode => (SigInfo::fault(SIGILL, ILL_ILLOPN, eip), trap::UD, 0),
        FaultKind::GeneralProtection(code) => (SigInfo::kernel(SIGSEGV), trap::GP, code),
        // Linux's do_stack_segment: a forced SIGBUS with SI_KERNEL.
        FaultKind::StackSegment => (SigInfo::kernel(SIGBUS), trap::SS, 0),
        // Linux's math_error: SIGFPE at the instruction that took the exception.
        FaultKind::X87FloatingPoint { si_code } => {
            (SigInfo::fault(SIGFPE, si_code, eip), trap::MF, 0)
        }
        FaultKind::SimdFloatingPoint { si_code } => {
            (SigInfo::fault(SIGFPE, si_code, eip), trap::XF, 0)
        }
        FaultKind::PageFault(fault) => {
            let mut error_code = pf::USER;
            match fault.access {
                Access::Read => {}
                Access::Write => error_code |= pf::WRITE,
                Access::Execute => error_code |= pf::INSTR,
            }
            let (signo, code) = match cause {
                PageFaultCause::NotMapped => (SIGSEGV, SEGV_MAPERR),
                PageFaultCause::Protection => {
                    error_code |= pf::PROT;
                    (SIGSEGV, SEGV_ACCERR)
                }
                PageFaultCause::BusError => (SIGBUS, BUS_ADRERR),
            };
            thread.cr2 = fault.addr.0;
            (
                SigInfo::fault(signo, code, fault.addr.0),
                trap::PF,
                error_code,
            )
        }
    };
    thread.trapno = trapno;
    thread.error_code = error_code;
    info
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::memory::{GuestAddr, MemFault};

    #[test]
    fn sigframe_siginfo_layout_follows_linux() {
        assert_eq!(layout(SIGSEGV, SEGV_MAPERR), Layout::Fault);
        assert_eq!(layout(SIGSEGV, SEGV_BNDERR), Layout::FaultBndErr);
        assert_eq!(layout(SIGSEGV, SEGV_PKUERR), Layout::FaultPkuErr);
        assert_eq!(layout(SIGBUS, BUS_MCEERR_AO), Layout::FaultMceErr);
        assert_eq!(layout(SIGTRAP, TRAP_PERF), Layout::FaultPerfEvent);
        assert_eq!(layout(SIGCHLD, CLD_EXITED), Layout::Chld);
        assert_eq!(layout(SIGIO, POLL_IN), Layout::Poll);
        assert_eq!(layout(SIGSYS, SYS_SECCOMP), Layout::Sys);
        // A positive code on a signal with no family of its own is still _sigpoll.
        assert_eq!(layout(SIGUSR1, 3), Layout::Poll);
        assert_eq!(layout(SIGUSR1, 7), Layout::Kill);
        assert_eq!(layout(SIGSEGV, NSIGSEGV + 1), Layout::Kill);
        assert_eq!(layout(SIGUSR1, SI_USER), Layout::Kill);
        assert_eq!(layout(SIGUSR1, SI_KERNEL), Layout::Kill);
        assert_eq!(layout(SIGUSR1, SI_TIMER), Layout::Timer);
        assert_eq!(layout(SIGUSR1, SI_SIGIO), Layout::Poll);
        assert_eq!(layout(SIGUSR1, SI_QUEUE), Layout::Rt);
        assert_eq!(layout(SIGUSR1, SI_TKILL), Layout::Rt);
    }

    #[test]
    fn sigframe_siginfo_round_trips_through_the_guest_layout() {
        let samples = [
            SigInfo::kill(SIGUSR1, SI_USER, 42, 1000),
            SigInfo::queue(SIGRTMIN + 2, SI_QUEUE, 7, 0, 0xdead_beef),
            SigInfo::fault(SIGSEGV, SEGV_ACCERR, 0x1234),
            SigInfo {
                signo: SIGSEGV,
                errno: 0,
                code: SEGV_BNDERR,
                fields: SigFields::Fault {
                    addr: 9,
                    extra: FaultExtra::Bounds { lower: 1, upper: 2 },
                },
            },
            SigInfo {
                signo: SIGCHLD,
                errno: 0,
                code: CLD_EXITED,
                fields: SigFields::Chld(abi::SiChld {
                    si_pid: 5,
                    si_uid: 6,
                    si_status: 3,
                    si_utime: 1,
                    si_stime: 2,
                }),
            },
        ];
        for s in samples {
            assert_eq!(SigInfo::from_abi(&s.to_abi()), s);
        }
        let raw = SigInfo::fault(SIGSEGV, SEGV_MAPERR, 0x10).to_abi();
        assert_eq!(&raw.fields[..4], &[0x10, 0, 0, 0]);
        assert_eq!(raw.as_bytes().len(), 128);
    }

    #[test]
    fn sigframe_fault_mapping() {
        let pf = FaultKind::PageFault(MemFault {
            addr: GuestAddr(0x10),
            access: Access::Write,
        });
        let mut thread = TrapInfo::default();
        let info = signal_for_fault(pf, 0x8000, PageFaultCause::Protection, &mut thread);
        assert_eq!(info, SigInfo::fault(SIGSEGV, SEGV_ACCERR, 0x10));
        assert_eq!(
            (thread.trapno, thread.error_code, thread.cr2),
            (14, 7, 0x10)
        );
        let kind = FaultKind::DivideError;
        let info = signal_for_fault(kind, 0x8000, PageFaultCause::NotMapped, &mut thread);
        assert_eq!(info, SigInfo::fault(SIGFPE, FPE_INTDIV, 0x8000));
        // cr2 stays from the last page fault.
        assert_eq!((thread.trapno, thread.error_code, thread.cr2), (0, 0, 0x10));
    }
}
