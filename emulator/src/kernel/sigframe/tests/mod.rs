//! Differential tests against the host kernel: `probe.c` (built with `gcc -m32`) raises
//! signals from known register states and dumps the frames the host built; these tests
//! build the same frames with [`build_frame`] and compare byte for byte, then parse the
//! frames the native handlers modified and compare with the state the native program
//! resumed with.
//!
//! Inputs the builder cannot know are fed from the native run and said so: the
//! interrupted esp and EFLAGS, the segment selectors, the FXSAVE image, the host's XSAVE
//! size and features, and the host vDSO's address. Everything else (registers, siginfo,
//! trap information, masks, alternate stack, restorer) comes from the probe's own inputs
//! and this module's model.

use super::abi::{sa::*, si_code::*, signo::*, SigSet, Siginfo, USER32_CS, USER_DS};
use super::action::{self, RestartError, RestartOutcome};
use super::altstack::AltStack;
use super::frame::{build_frame, FpuFrameFormat, SigAction, SignalDelivery};
use super::siginfo::{signal_for_fault, PageFaultCause, SigInfo, TrapInfo};
use super::sigreturn::{parse_rt_sigreturn, parse_sigreturn, FpuRestore};
use crate::cpu::fault::FaultKind;
use crate::cpu::memory::{Access, GuestAddr, MemFault, PagedMemory, Protection};
use crate::cpu::state::{
    CpuState, Segment, SegmentRegister, EAX, EBP, EBX, ECX, EDI, EDX, ESI, ESP,
};
use crate::loader::vdso;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use zerocopy::FromBytes;

const RF: u32 = 1 << 16;

/// One `CASE` block of the probe's output, with the state in effect when it ran.
#[derive(Clone, Debug)]
struct Case {
    name: String,
    lines: HashMap<String, String>,
    altstack: AltStack,
    actions: HashMap<u32, SigAction>,
}

impl Case {
    fn words(&self, key: &str) -> Vec<u32> {
        let line = self
            .lines
            .get(key)
            .unwrap_or_else(|| panic!("{}: no {key}", self.name));
        line.split_whitespace()
            .map(|w| u32::from_str_radix(w, 16).unwrap())
            .collect()
    }

    fn bytes(&self, key: &str) -> Vec<u8> {
        let line = self
            .lines
            .get(key)
            .unwrap_or_else(|| panic!("{}: no {key}", self.name));
        hex(line)
    }

    fn word(&self, key: &str) -> u32 {
        self.words(key)[0]
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

struct Probe {
    /// Lines outside cases, by key.
    globals: HashMap<String, String>,
    pid: u32,
    uid: u32,
    qinfo: Vec<u8>,
    cases: Vec<Case>,
}

/// Builds and runs the probe once for all tests.
fn probe() -> &'static Probe {
    static PROBE: OnceLock<Probe> = OnceLock::new();
    PROBE.get_or_init(|| {
        let src =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/kernel/sigframe/tests/probe.c");
        let dir = std::env::temp_dir().join(format!("webvm-sigframe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let exe = dir.join("probe");
        let gcc = Command::new("gcc")
            .args(["-m32", "-O0", "-no-pie", "-fno-pie", "-Wall", "-o"])
            .arg(&exe)
            .arg(&src)
            .output()
            .expect("gcc must be installed (with gcc-multilib) for the sigframe tests");
        assert!(
            gcc.status.success(),
            "gcc -m32 failed: {}",
            String::from_utf8_lossy(&gcc.stderr)
        );
        let out = Command::new(&exe).output().expect("running the i386 probe");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(out.status.success(), "probe failed: {:?}", out.status);
        parse(&String::from_utf8(out.stdout).unwrap())
    })
}

fn parse(text: &str) -> Probe {
    let mut probe = Probe {
        globals: HashMap::new(),
        pid: 0,
        uid: 0,
        qinfo: Vec::new(),
        cases: Vec::new(),
    };
    let mut altstack = AltStack::INITIAL;
    let mut actions = HashMap::new();
    let mut current: Option<Case> = None;
    for line in text.lines() {
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        let words = || -> Vec<u32> {
            rest.split_whitespace()
                .map(|w| u32::from_str_radix(w, 16).unwrap())
                .collect()
        };
        match key {
            "PID" => (probe.pid, probe.uid) = (words()[0], words()[1]),
            "QINFO" => probe.qinfo = hex(rest),
            "ALTSTACK" => {
                let w = words();
                altstack = AltStack {
                    sp: w[0],
                    flags: w[1],
                    size: w[2],
                };
            }
            "ACTION" => {
                let w = words();
                actions.insert(
                    w[0],
                    SigAction {
                        handler: w[1],
                        flags: w[2],
                        restorer: w[3],
                        mask: SigSet::from_words([w[4], w[5]]),
                    },
                );
            }
            "CASE" => {
                current = Some(Case {
                    name: rest.to_string(),
                    lines: HashMap::new(),
                    altstack,
                    actions: actions.clone(),
                })
            }
            "END" => probe.cases.push(current.take().unwrap()),
            _ => match current.as_mut() {
                Some(case) => {
                    case.lines.insert(key.to_string(), rest.to_string());
                }
                None => {
                    probe.globals.insert(key.to_string(), rest.to_string());
                }
            },
        }
    }
    probe
}

/// The mask the probe blocks before raising anything: SIGUSR2 and signal 40.
fn probe_mask() -> SigSet {
    SigSet::EMPTY.with(SIGUSR2).with(40)
}

/// sigcontext words in the native frame.
fn native_sc(case: &Case) -> super::abi::Sigcontext {
    let frame = case.bytes("FRAME");
    let at = if frame.len() == 268 { 16 + 128 + 20 } else { 8 };
    super::abi::Sigcontext::read_from_bytes(&frame[at..at + 88]).unwrap()
}

/// What each case raised and how, from the probe's point of view.
enum Raise {
    Syscall,
    Fault(FaultKind, PageFaultCause),
}

fn raise_of(case: &Case) -> Raise {
    let ins = case.words("IN");
    let pf = |addr, access, cause| {
        Raise::Fault(
            FaultKind::PageFault(MemFault {
                addr: GuestAddr(addr),
                access,
            }),
            cause,
        )
    };
    match case.name.as_str() {
        "segv_maperr" => pf(ins[0], Access::Read, PageFaultCause::NotMapped),
        "segv_accerr" => pf(ins[1], Access::Write, PageFaultCause::Protection),
        "fpe" => Raise::Fault(FaultKind::DivideError, PageFaultCause::NotMapped),
        "ill" => Raise::Fault(FaultKind::InvalidOpcode, PageFaultCause::NotMapped),
        "trap" => Raise::Fault(FaultKind::Breakpoint, PageFaultCause::NotMapped),
        "gp_legacy" => Raise::Fault(FaultKind::GeneralProtection(0), PageFaultCause::NotMapped),
        _ => Raise::Syscall,
    }
}

/// The interrupted CPU state as the probe set it up, checked against the native
/// sigcontext; esp, EFLAGS and the selectors come from the native run.
fn interrupted_state(case: &Case, sc: &super::abi::Sigcontext, eax: u32, eip: u32) -> CpuState {
    let ins = case.words("IN");
    let mut cpu = CpuState::default();
    cpu.gpr[EAX] = eax;
    cpu.gpr[EBX] = ins[1];
    cpu.gpr[ECX] = ins[2];
    cpu.gpr[EDX] = ins[3];
    cpu.gpr[ESI] = ins[4];
    cpu.gpr[EDI] = ins[5];
    cpu.gpr[EBP] = ins[6];
    cpu.gpr[ESP] = sc.esp;
    cpu.eip = eip;
    cpu.set_eflags(sc.eflags & !RF);
    for (seg, sel) in [
        (Segment::Gs, sc.gs),
        (Segment::Fs, sc.fs),
        (Segment::Es, sc.es),
        (Segment::Ds, sc.ds),
        (Segment::Cs, sc.cs),
        (Segment::Ss, sc.ss),
    ] {
        *cpu.segment_mut(seg) = SegmentRegister {
            selector: sel,
            base: 0,
        };
    }
    cpu
}

fn word_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

fn first_difference(name: &str, what: &str, ours: &[u8], native: &[u8]) {
    assert_eq!(ours.len(), native.len(), "{name}: {what} length");
    if let Some(i) = (0..ours.len()).find(|&i| ours[i] != native[i]) {
        let end = (i + 16).min(ours.len());
        panic!(
            "{name}: {what} differs at byte {i}: ours {:02x?}, native {:02x?}",
            &ours[i..end],
            &native[i..end]
        );
    }
}

/// Builds every case's frame with our code and compares it with the host's.
#[test]
fn sigframe_native_frames_match_byte_for_byte() {
    let probe = probe();
    assert!(
        probe.cases.len() >= 15,
        "the probe ran {} cases",
        probe.cases.len()
    );
    let mut thread = TrapInfo::default();
    for case in &probe.cases {
        let name = case.name.as_str();
        let frame_native = case.bytes("FRAME");
        let fp_native = case.bytes("FP");
        let sc = native_sc(case);
        // pretcode, then the signal number, in both frame kinds.
        let sig = u32::from_le_bytes(frame_native[4..8].try_into().unwrap());
        let ins = case.words("IN");
        let [insn, after] = [case.words("LABELS")[0], case.words("LABELS")[1]];
        let saved_esp = case.word("SAVEDESP");

        // The interrupted state and siginfo from the probe's inputs and our model.
        let (info, eax, eip, resume_flag) = match raise_of(case) {
            Raise::Fault(kind, cause) => {
                let eip = if kind.is_trap() { after } else { insn };
                let info = signal_for_fault(kind, eip, cause, &mut thread);
                (info, ins[0], eip, !kind.is_trap())
            }
            Raise::Syscall => match name {
                "restart_yes" | "restart_no" | "restart_sysenter" => {
                    // read() interrupted by SIGALRM from the interval timer.
                    let flags = case.actions[&SIGALRM].flags;
                    let (mut eax, mut eip) = (RestartError::ERESTARTSYS as u32, after);
                    if name == "restart_sysenter" {
                        // sysenter inside __kernel_vsyscall: Linux views the call as an
                        // int $0x80 whose landing pad follows the vDSO's int $0x80.
                        assert_eq!(case.bytes("EIPBYTES"), [0xcd, 0x80], "{name}");
                        assert_eq!(sc.ebp, ins[6], "{name}: caller's ebp");
                        assert_eq!(sc.esp, saved_esp - 16, "{name}: esp inside the vDSO");
                        let entry = action::sysenter_as_int80(sc.eip + 2, ins[6]);
                        eip = entry.eip;
                    }
                    let outcome = action::restart(RestartError::RestartSys, ins[0], Some(flags));
                    outcome.apply(&mut eax, &mut eip);
                    let expected = if flags & SA_RESTART != 0 {
                        RestartOutcome::Restart { eax: 3 }
                    } else {
                        RestartOutcome::Interrupted
                    };
                    assert_eq!(outcome, expected, "{name}");
                    (SigInfo::kernel(SIGALRM), eax, eip, false)
                }
                "sigchld_rt" => {
                    let child = u32::from_str_radix(probe.globals["CHILD"].trim(), 16).unwrap();
                    // CPU time in ticks depends on the host's accounting.
                    let info = SigInfo::chld(
                        CLD_EXITED,
                        child as i32,
                        probe.uid,
                        7,
                        word_at(&frame_native, 16 + 12 + 12) as i32,
                        word_at(&frame_native, 16 + 12 + 16) as i32,
                    );
                    (info, 0, after, false)
                }
                "tgkill_rt" => (
                    SigInfo::kill(sig, SI_TKILL, probe.pid as i32, probe.uid),
                    0,
                    after,
                    false,
                ),
                "sigqueue_rt" => {
                    let raw = Siginfo::read_from_bytes(&probe.qinfo[..]).unwrap();
                    (SigInfo::from_abi(&raw), 0, after, false)
                }
                _ => (
                    SigInfo::kill(sig, SI_USER, probe.pid as i32, probe.uid),
                    0,
                    after,
                    false,
                ),
            },
        };
        assert_eq!(info.signo, sig, "{name}: signal");
        let cpu = interrupted_state(case, &sc, eax, eip);
        if name != "restart_sysenter" {
            let esp = if ins[7] != 0 { ins[7] } else { saved_esp };
            assert_eq!(sc.esp, esp, "{name}: interrupted esp");
        }
        for (ours, native, reg) in [
            (cpu.gpr[EAX], sc.eax, "eax"),
            (cpu.gpr[EBX], sc.ebx, "ebx"),
            (cpu.gpr[ECX], sc.ecx, "ecx"),
            (cpu.gpr[EDX], sc.edx, "edx"),
            (cpu.gpr[ESI], sc.esi, "esi"),
            (cpu.gpr[EDI], sc.edi, "edi"),
            (cpu.gpr[EBP], sc.ebp, "ebp"),
            (cpu.eip, sc.eip, "eip"),
        ] {
            assert_eq!(
                ours, native,
                "{name}: {reg} {ours:#x} vs native {native:#x}"
            );
        }
        assert_eq!(
            sc.eflags & RF != 0,
            resume_flag,
            "{name}: RF in the saved EFLAGS"
        );
        assert_eq!(
            (sc.cs, sc.ss),
            (USER32_CS, USER_DS),
            "{name}: flat user segments"
        );

        // What only the host knows: its XSAVE layout, its vDSO address, the FPU image.
        let sw = &fp_native[112 + 464..112 + 512];
        let xstate_size = u32::from_le_bytes(sw[16..20].try_into().unwrap());
        let xfeatures = u64::from_le_bytes(sw[8..16].try_into().unwrap());
        let fxsave: [u8; 512] = fp_native[112..624].try_into().unwrap();
        let action = case.actions[&sig];
        let rt = action.flags & SA_SIGINFO != 0;
        let pretcode = u32::from_le_bytes(frame_native[0..4].try_into().unwrap());
        let vdso_base = if action.flags & SA_RESTORER == 0 {
            // Linux's vDSO trampolines are the same instructions as ours.
            let expected: &[u8] = if rt {
                &[0xb8, 173, 0, 0, 0, 0xcd, 0x80]
            } else {
                &[0x58, 0xb8, 119, 0, 0, 0, 0xcd, 0x80]
            };
            assert_eq!(
                &case.bytes("PRETCODE")[..expected.len()],
                expected,
                "{name}"
            );
            let ours = if rt {
                vdso::KERNEL_RT_SIGRETURN
            } else {
                vdso::KERNEL_SIGRETURN
            };
            Some(pretcode - ours)
        } else {
            assert_eq!(pretcode, action.restorer, "{name}: SA_RESTORER");
            None
        };

        let d = SignalDelivery {
            info: &info,
            action: &action,
            blocked: probe_mask(),
            saved_mask: probe_mask(),
            altstack: &case.altstack,
            trap: thread,
            fxsave: &fxsave,
            vdso_base,
            fpu_format: FpuFrameFormat::Xsave {
                xstate_size,
                xfeatures,
            },
            resume_flag,
        };
        let built = build_frame(&cpu, &d).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(built.rt, rt);
        assert_eq!(built.esp, case.word("FRAMEAT"), "{name}: handler esp");
        assert_eq!(
            built.fpstate_addr,
            case.word("FPAT"),
            "{name}: fpstate address"
        );
        if rt {
            first_difference(name, "frame", &built.frame, &frame_native);
        } else {
            // Linux leaves fpstate_unused as it was on the stack.
            let unused = super::frame::LEGACY_UNUSED;
            let (ours, native) = (&built.frame, &frame_native);
            first_difference(
                name,
                "frame head",
                &ours[..unused.start],
                &native[..unused.start],
            );
            first_difference(
                name,
                "frame tail",
                &ours[unused.end..],
                &native[unused.end..],
            );
            assert_eq!(built.writes().len(), 3);
        }
        // The legacy header, the FXSAVE image and the software bytes exactly; in the
        // XSAVE header only FP|SSE (the host's other components are its own); MAGIC2.
        first_difference(name, "fpstate", &built.fpstate[..624], &fp_native[..624]);
        assert_eq!(built.fpstate.len(), fp_native.len(), "{name}: fpstate size");
        assert_eq!(fp_native[624] & 3, 3, "{name}: xstate_bv has FP|SSE");
        let n = fp_native.len();
        first_difference(name, "MAGIC2", &built.fpstate[n - 4..], &fp_native[n - 4..]);

        // The mask inside the handler.
        let inside = case.words("BLOCKED");
        assert_eq!(
            built.blocked,
            SigSet::from_words([inside[0], inside[1]]),
            "{name}: mask in handler"
        );
        assert_eq!(
            built.disarm_altstack,
            case.altstack.flags & super::abi::ss::SS_AUTODISARM != 0
        );
        // The handler started with DF, TF clear.
        assert_eq!(
            case.word("ENTRYFLAGS") & 0x500,
            0,
            "{name}: DF/TF at handler entry"
        );
        assert_eq!(built.entry.eip, action.handler);
        assert_eq!(built.entry.eax, sig);
        if rt {
            assert_eq!(built.entry.edx, built.esp + 16);
            assert_eq!(built.entry.ecx, built.esp + 144);
        }
    }
}

/// The handlers changed eip, eax, esi, EFLAGS, the x87 control word and MXCSR in the
/// frame and returned: our parser must yield the state the native program resumed with.
#[test]
fn sigframe_native_sigreturn_matches() {
    let probe = probe();
    let mut checked = 0;
    for case in &probe.cases {
        let name = case.name.as_str();
        let (frame_key, fp_key) = if case.lines.contains_key("MODFRAME") {
            ("MODFRAME", "MODFP")
        } else {
            ("FRAME", "FP")
        };
        let frame = case.bytes(frame_key);
        let fp = case.bytes(fp_key);
        let frame_at = case.word("FRAMEAT");
        let fp_at = case.word("FPAT");
        let mut mem = PagedMemory::new();
        for (at, bytes) in [(frame_at, &frame), (fp_at, &fp)] {
            mem.map(GuestAddr(at), bytes.len() as u32, Protection::RW);
            mem.load(GuestAddr(at), bytes).unwrap();
        }
        // EFLAGS in the restorer at the system call: IF and the reserved bit.
        let current = 0x202;
        let restored = if frame.len() == 268 {
            parse_rt_sigreturn(&mut mem, frame_at + 4, current)
        } else {
            parse_sigreturn(&mut mem, frame_at + 8, current)
        }
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(restored.blocked, probe_mask(), "{name}: restored mask");
        if frame.len() == 268 {
            assert_eq!(
                restored.altstack.unwrap(),
                case.altstack.saved(),
                "{name}: uc_stack"
            );
        }
        let mut cpu = CpuState::default();
        let mut blocked = SigSet::EMPTY;
        // The task's alternate stack at sigreturn: as before delivery unless
        // SS_AUTODISARM disabled it.
        let mut alt = if case.altstack.flags & super::abi::ss::SS_AUTODISARM != 0 {
            AltStack::DISABLED
        } else {
            case.altstack
        };
        restored.apply(&mut cpu, &mut blocked, &mut alt);
        if frame.len() == 268 {
            // A stack saved with SS_AUTODISARM comes back armed.
            assert_eq!(alt, case.altstack, "{name}: altstack after rt_sigreturn");
        }
        if frame_key == "FRAME" {
            // Unmodified (restart cases): the sigcontext comes back as saved.
            let sc = native_sc(case);
            assert_eq!(
                (cpu.gpr[EAX], cpu.eip, cpu.gpr[ESP]),
                (sc.eax, sc.eip, sc.esp),
                "{name}"
            );
            continue;
        }
        let out = case.words("OUT");
        let ours = [
            cpu.gpr[EAX],
            cpu.gpr[EBX],
            cpu.gpr[ECX],
            cpu.gpr[EDX],
            cpu.gpr[ESI],
            cpu.gpr[EDI],
            cpu.gpr[EBP],
            cpu.gpr[ESP],
        ];
        assert_eq!(&ours[..], &out[..8], "{name}: registers after sigreturn");
        assert_eq!(cpu.eip, case.words("LABELS")[1], "{name}: eip");
        assert_eq!(
            restored.regs.eflags & !RF,
            out[8],
            "{name}: EFLAGS after sigreturn"
        );
        assert_eq!(cpu.eflags(), out[8], "{name}: EFLAGS in the CPU");
        assert_eq!(cpu.segment(Segment::Cs).selector, USER32_CS);
        match &restored.fpu {
            FpuRestore::Fxsave(image) => {
                let fx = super::abi::FxregsState::read_from_bytes(&image[..]).unwrap();
                assert_eq!(fx.cwd as u32, out[9], "{name}: x87 control word");
                assert_eq!(fx.mxcsr, out[10], "{name}: MXCSR");
            }
            FpuRestore::Init => panic!("{name}: fpstate expected"),
        }
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} modified frames");
}

/// A frame that does not fit on the alternate stack the task is on: the host kills the
/// task with SIGSEGV (the forced SIGSEGV cannot be delivered either); we refuse it.
#[test]
fn sigframe_native_altstack_overflow_is_refused() {
    let probe = probe();
    let word = |key: &str| u32::from_str_radix(probe.globals[key].trim(), 16).unwrap();
    let status = word("OVERFLOWSTATUS");
    assert_eq!(
        status & 0x7f,
        SIGSEGV,
        "the child died of SIGSEGV (status {status:#x})"
    );
    let nested = probe
        .cases
        .iter()
        .find(|c| c.name == "nested_onstack")
        .unwrap();
    let mut cpu = CpuState::default();
    cpu.gpr[ESP] = word("OVERFLOWESP");
    *cpu.segment_mut(Segment::Ss) = SegmentRegister {
        selector: USER_DS,
        base: 0,
    };
    let info = SigInfo::kill(SIGUSR1, SI_USER, probe.pid as i32, probe.uid);
    let action = nested.actions[&SIGUSR1];
    assert_ne!(action.flags & SA_ONSTACK, 0);
    let fxsave = [0u8; 512];
    let d = SignalDelivery {
        info: &info,
        action: &action,
        blocked: probe_mask(),
        saved_mask: probe_mask(),
        altstack: &nested.altstack,
        trap: TrapInfo::default(),
        fxsave: &fxsave,
        vdso_base: Some(0),
        fpu_format: FpuFrameFormat::Fxsr,
        resume_flag: false,
    };
    assert!(matches!(
        build_frame(&cpu, &d),
        Err(super::frame::FrameError::AltStackOverflow { .. })
    ));
}
