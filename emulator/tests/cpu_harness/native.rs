//! The native side of the differential harness: builds `runner.c` with `gcc -m32 -static`
//! and talks to it over a pipe in batches.

use super::case::{Case, Outcome, PAGE};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::OnceLock;

const RUNNER_SOURCE: &str = include_str!("runner.c");
/// Largest batch the runner accepts.
pub const MAX_BATCH: usize = 4096;

/// Compiles the runner (once per source version, shared by test processes); returns
/// its path.
fn runner_binary() -> &'static PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        RUNNER_SOURCE.hash(&mut hasher);
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let bin = dir.join(format!("cpu_runner_{:016x}", hasher.finish()));
        if bin.exists() {
            return bin;
        }
        // Build under a private name, then rename: concurrent test processes never see
        // a half-written binary.
        let src = dir.join(format!("cpu_runner_{}.c", std::process::id()));
        let tmp = dir.join(format!("cpu_runner_{}.tmp", std::process::id()));
        std::fs::write(&src, RUNNER_SOURCE).expect("write runner source");
        let status = Command::new("gcc")
            .args(["-m32", "-static", "-O2", "-Wall", "-o"])
            .arg(&tmp)
            .arg(&src)
            .status()
            .expect("run gcc (needs gcc-multilib)");
        let _ = std::fs::remove_file(&src);
        assert!(
            status.success(),
            "gcc -m32 -static failed building the native runner"
        );
        std::fs::rename(&tmp, &bin).expect("install runner binary");
        bin
    })
}

/// A case run from an FXSAVE image: outcome, FXSAVE image after it, SIGFPE `si_code`,
/// and the data page when asked for.
pub type FxResult = (Outcome, Vec<u8>, i32, Option<Vec<u8>>);

pub struct NativeRunner {
    child: Child,
    input: BufWriter<ChildStdin>,
    output: BufReader<ChildStdout>,
    /// es, cs, ss, ds, fs, gs as the host kernel set them.
    pub selectors: [u32; 6],
}

impl NativeRunner {
    pub fn start() -> NativeRunner {
        let mut child = Command::new(runner_binary())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start native runner");
        let input = BufWriter::with_capacity(1 << 18, child.stdin.take().unwrap());
        let mut output = BufReader::with_capacity(1 << 18, child.stdout.take().unwrap());
        let mut hello = [0u8; 32];
        output.read_exact(&mut hello).expect("runner hello");
        let word = |n: usize| u32::from_le_bytes(hello[n * 4..n * 4 + 4].try_into().unwrap());
        assert_eq!(word(0), 0x57564d31, "runner protocol mismatch");
        let selectors = [word(1), word(2), word(3), word(4), word(5), word(6)];
        NativeRunner {
            child,
            input,
            output,
            selectors,
        }
    }

    /// Runs the cases natively; one outcome per case.
    pub fn run_batch(&mut self, cases: &[Case]) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(cases.len());
        for chunk in cases.chunks(MAX_BATCH) {
            self.send(chunk, 0);
            for _ in chunk {
                outcomes.push(self.receive());
            }
        }
        outcomes
    }

    /// Runs one case natively and also returns the data page afterwards.
    pub fn run_with_page(&mut self, case: &Case) -> (Outcome, Vec<u8>) {
        self.send(std::slice::from_ref(case), 1);
        let outcome = self.receive();
        let mut page = vec![0u8; PAGE as usize];
        self.output.read_exact(&mut page).expect("runner page dump");
        (outcome, page)
    }

    /// Runs one case natively starting from the given FXSAVE image (x87/MMX/SSE state)
    /// and returns the FXSAVE image at the end of the case. The image's MXCSR must be
    /// valid for `fxrstor` (reserved bits clear).
    pub fn run_with_fxsave(&mut self, case: &Case, fxsave: &[u8; 512]) -> (Outcome, Vec<u8>) {
        self.send(std::slice::from_ref(case), 2);
        self.input.write_all(fxsave).unwrap();
        self.input.flush().unwrap();
        let outcome = self.receive();
        let mut after = vec![0u8; 512];
        self.output
            .read_exact(&mut after)
            .expect("runner fxsave image");
        (outcome, after)
    }

    /// Runs cases natively, each from its own FXSAVE image (valid MXCSR required); returns
    /// the outcome, the FXSAVE image at the end of the case (from the signal frame) and the
    /// signal's `si_code`.
    /// With `dump_page`, the data page after the case comes back too.
    pub fn run_batch_fx(&mut self, cases: &[(Case, [u8; 512], bool)]) -> Vec<FxResult> {
        let mut out = Vec::with_capacity(cases.len());
        for chunk in cases.chunks(MAX_BATCH) {
            self.send_fx_cases(chunk);
            for (_, image, _) in chunk {
                self.input.write_all(image).unwrap();
            }
            self.input.flush().expect("native runner died");
            for &(_, _, dump) in chunk {
                let outcome = self.receive();
                let mut after = vec![0u8; 512];
                self.output.read_exact(&mut after).expect("runner fx batch");
                let si_code = i32::from_le_bytes(after[508..512].try_into().unwrap());
                let page = dump.then(|| {
                    let mut page = vec![0u8; PAGE as usize];
                    self.output.read_exact(&mut page).expect("runner page");
                    page
                });
                out.push((outcome, after, si_code, page));
            }
        }
        out
    }

    fn send_fx_cases(&mut self, cases: &[(Case, [u8; 512], bool)]) {
        let w = &mut self.input;
        w.write_all(&(cases.len() as u32).to_le_bytes()).unwrap();
        for (c, _, dump) in cases {
            w.write_all(&c.code).unwrap();
            for r in c.regs {
                w.write_all(&r.to_le_bytes()).unwrap();
            }
            let flags = 4 | if *dump { 8 } else { 0 };
            for v in [c.eflags, c.mem_seed, flags, 0] {
                w.write_all(&v.to_le_bytes()).unwrap();
            }
        }
    }

    fn send(&mut self, cases: &[Case], flags: u32) {
        let w = &mut self.input;
        w.write_all(&(cases.len() as u32).to_le_bytes()).unwrap();
        for c in cases {
            w.write_all(&c.code).unwrap();
            for r in c.regs {
                w.write_all(&r.to_le_bytes()).unwrap();
            }
            for v in [c.eflags, c.mem_seed, flags, 0] {
                w.write_all(&v.to_le_bytes()).unwrap();
            }
        }
        w.flush()
            .expect("native runner died (see stderr; a case may have hung)");
    }

    fn receive(&mut self) -> Outcome {
        let mut raw = [0u8; 64];
        self.output
            .read_exact(&mut raw)
            .expect("native runner died mid-batch (a case may have hung or crashed it)");
        let w = |n: usize| u32::from_le_bytes(raw[n * 4..n * 4 + 4].try_into().unwrap());
        Outcome {
            regs: std::array::from_fn(w),
            eip: w(8),
            eflags: w(9),
            signo: w(10),
            trapno: w(11),
            err: w(12),
            addr: w(13),
            mem_hash: w(14) as u64 | (w(15) as u64) << 32,
        }
    }
}

impl Drop for NativeRunner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
