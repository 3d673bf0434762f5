//! Every instruction the default image's binaries contain is handled by the interpreter
//! and exercised by a differential test.
//!
//! Scans the ELF files of `$WEBVM_IMAGES/default/root` (default: `images/` at the top of
//! the workspace) in `usr/bin`, `usr/sbin`, `usr/lib/i386-linux-gnu`, `usr/libexec`,
//! `usr/lib/gcc` and `usr/lib/python3*`, decodes their executable sections linearly with
//! iced-x86 (`cpu_harness::elf_text`) and compares the mnemonics with the coverage data of
//! `cpu_differential` and `cpu_fpu_differential` (`cpu_harness::coverage`). A missing
//! image is a failure, not a skip. Needs what the differential tests need (an x86 Linux
//! host with `gcc -m32 -static`). `--nocapture` prints the full table.
#![cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "x86")))]

#[allow(dead_code)]
mod cpu_harness;

use cpu_harness::coverage::{self, exercised_elsewhere};
use cpu_harness::elf_text::{elf_files, scan_file, FileScan, JUNK_WINDOW};
use cpu_harness::native::NativeRunner;
use emulator::cpu::exec::{classify, Handler};
use iced_x86::{Code, CpuidFeature};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Files whose executable sections hold data as well as code: OpenSSL's perlasm
/// ("cryptogams", also bundled by GnuTLS) puts its lookup tables (AES T-tables, SHA and
/// ChaCha constants, ...) in `.text`, so a linear sweep decodes them as junk (arpl, bound,
/// lds, retf, iretd, int1, sldt, ... next to what objdump shows as `(bad)`). A mnemonic
/// found only in these files is reported apart, not required; one found in any other file
/// (away from undecodable bytes, see `JUNK_WINDOW`) counts as real code.
const DATA_IN_TEXT: &[&str] = &[
    "usr/lib/i386-linux-gnu/libcrypto.so.3",
    "usr/lib/i386-linux-gnu/libgnutls.so.30",
    "usr/lib/i386-linux-gnu/engines-3/padlock.so",
    "usr/lib/i386-linux-gnu/ossl-modules/legacy.so",
];

fn data_in_text(rel: &str) -> bool {
    DATA_IN_TEXT.iter().any(|p| rel.starts_with(p))
}

/// The exceptions: instruction-set extensions that real code contains but the interpreter
/// deliberately does not run. Our CPUID (docs/cpu.md) leaves their feature bits clear, and
/// every use found is on a path chosen at run time from those bits (glibc IFUNC variants,
/// `__builtin_cpu_supports` in gcc/coreutils, the CPU dispatch of libcrypto, libgcrypt,
/// libsodium, libxxhash, gmp), so a program never reaches them here; on hardware without
/// the extension (e.g. any i686) they are #UD too. A mnemonic is excepted only when every
/// form of it found in real code needs one of these features (iced-x86's
/// `Code::cpuid_features`).
const NOT_ADVERTISED: &[(CpuidFeature, &str)] = &[
    // glibc's memcpy/strcpy/... `_ssse3` variants, crypto libraries.
    (CpuidFeature::SSSE3, "SSSE3, CPUID.1:ECX[9] clear"),
    (CpuidFeature::SSE4_1, "SSE4.1, CPUID.1:ECX[19] clear"),
    // glibc's strcspn/strspn `_sse42`, libcpp's lexer in cc1/cpp.
    (CpuidFeature::SSE4_2, "SSE4.2, CPUID.1:ECX[20] clear"),
    (CpuidFeature::AES, "AES-NI, CPUID.1:ECX[25] clear"),
    (CpuidFeature::PCLMULQDQ, "PCLMULQDQ, CPUID.1:ECX[1] clear"),
    (CpuidFeature::SHA, "SHA extensions, CPUID.7:EBX[29] clear"),
    (CpuidFeature::BMI1, "BMI1, CPUID.7:EBX[3] clear"),
    (CpuidFeature::BMI2, "BMI2, CPUID.7:EBX[8] clear"),
    // VEX/EVEX forms: need CPUID AVX bits and OSXSAVE, all clear (no YMM/ZMM state).
    (CpuidFeature::AVX, "AVX, CPUID.1:ECX[28] clear"),
    (CpuidFeature::AVX2, "AVX2, CPUID.7:EBX[5] clear"),
    (CpuidFeature::FMA, "FMA, CPUID.1:ECX[12] clear"),
    (CpuidFeature::AVX512F, "AVX-512, CPUID.7:EBX[16] clear"),
    (CpuidFeature::AVX512VL, "AVX-512VL, CPUID.7:EBX[31] clear"),
    (CpuidFeature::AVX512BW, "AVX-512BW, CPUID.7:EBX[30] clear"),
    (
        CpuidFeature::VPCLMULQDQ,
        "VPCLMULQDQ, CPUID.7:ECX[10] clear",
    ),
    // libstdc++'s std::random_device (linked into gcc's tools), libgcrypt, libsodium.
    (CpuidFeature::RDRAND, "RDRAND, CPUID.1:ECX[30] clear"),
    (CpuidFeature::RDSEED, "RDSEED, CPUID.7:EBX[18] clear"),
    // xgetbv: ld.so, libgcc, gcc's driver read XCR0 only after seeing OSXSAVE.
    (
        CpuidFeature::XSAVE,
        "XSAVE/XGETBV, CPUID.1:ECX[26..27] clear",
    ),
    // glibc's lock elision and libitm: only with RTM.
    (CpuidFeature::RTM, "TSX RTM, CPUID.7:EBX[11] clear"),
    (
        CpuidFeature::HLE_or_RTM,
        "TSX (xtest: HLE or RTM), CPUID.7:EBX[4,11] clear",
    ),
    // glibc's pkey_get/pkey_set: only when the kernel reports protection keys.
    (CpuidFeature::PKU, "PKU, CPUID.7:ECX[3] clear"),
    // VIA PadLock in libgcrypt: only with the Centaur vendor and its feature leaf.
    (
        CpuidFeature::PADLOCK_ACE,
        "VIA PadLock, vendor is not CentaurHauls",
    ),
    (
        CpuidFeature::PADLOCK_RNG,
        "VIA PadLock, vendor is not CentaurHauls",
    ),
    (
        CpuidFeature::PADLOCK_PHE,
        "VIA PadLock, vendor is not CentaurHauls",
    ),
    // gmp's fat binary: the Athlon (k7) MMX loops end with femms.
    (
        CpuidFeature::D3NOW,
        "3DNow!, CPUID.80000001:EDX[31] clear; gmp picks k7 code only for AuthenticAMD",
    ),
];

/// Why the forms `codes` need not run: the not-advertised feature each needs, or `None`
/// when some form needs none of them.
fn exception_reason(codes: &BTreeSet<Code>) -> Option<String> {
    let mut reasons = BTreeSet::new();
    for code in codes {
        let reason = NOT_ADVERTISED
            .iter()
            .find(|(f, _)| code.cpuid_features().contains(f))?;
        reasons.insert(reason.1);
    }
    (!reasons.is_empty()).then(|| reasons.into_iter().collect::<Vec<_>>().join("; "))
}

/// The root tree of the default image; panics (fails the test) when it is missing.
fn image_root() -> PathBuf {
    let images = match std::env::var_os("WEBVM_IMAGES") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../images"),
    };
    let root = images.join("default/root");
    assert!(
        root.join("usr/bin").is_dir(),
        "the default image's root tree is missing at {}: build it with `./test.sh` or \
         `cargo run -p guest-image -- build default` (as root), or point WEBVM_IMAGES at \
         a folder holding default/root",
        root.display()
    );
    root
}

/// The directories scanned, relative to the root (`usr/lib/python3*` expanded).
fn scanned_dirs(root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = [
        "usr/bin",
        "usr/sbin",
        "usr/lib/i386-linux-gnu",
        "usr/libexec",
        "usr/lib/gcc",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    if let Ok(entries) = std::fs::read_dir(root.join("usr/lib")) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with("python3") {
                dirs.push(PathBuf::from("usr/lib").join(e.file_name()));
            }
        }
    }
    dirs
}

/// Scans the files on two threads (the machine is shared).
fn scan_all(files: &[PathBuf]) -> Vec<FileScan> {
    let half = files.len().div_ceil(2);
    std::thread::scope(|s| {
        let parts: Vec<_> = files
            .chunks(half.max(1))
            .map(|part| s.spawn(move || part.iter().map(|f| scan_file(f)).collect::<Vec<_>>()))
            .collect();
        parts
            .into_iter()
            // A scanner thread cannot panic (malformed files scan as empty); if one did,
            // the results would no longer line up with `files`, so fail loudly.
            .flat_map(|p| p.join().expect("scanner thread panicked"))
            .collect()
    })
}

/// One line of the table: a mnemonic's files and occurrences (all, and clean: away from
/// undecodable bytes).
#[derive(Default)]
struct Row {
    /// Paths (relative to the root) of the files containing it, with the count.
    paths: Vec<(String, u64)>,
    /// Forms found in real code (outside `DATA_IN_TEXT`, away from undecodable bytes).
    real_codes: BTreeSet<Code>,
    files: usize,
    /// Files outside `DATA_IN_TEXT` with an occurrence away from undecodable bytes.
    real_files: usize,
    all: u64,
    clean: u64,
}

#[test]
fn image_instructions_are_handled_and_exercised() {
    let root = image_root();
    let started = Instant::now();
    let files = elf_files(&root, &scanned_dirs(&root));
    let scans = scan_all(&files);
    let scanned: Vec<(&PathBuf, &FileScan)> = files
        .iter()
        .zip(&scans)
        .filter(|(_, s)| s.bytes > 0)
        .collect();
    let bytes: u64 = scanned.iter().map(|(_, s)| s.bytes).sum();
    let invalid: u64 = scanned.iter().map(|(_, s)| s.invalid).sum();
    let scan_time = started.elapsed();

    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    // Instruction forms (Code) in clean real code that the interpreter does not handle
    // although it handles other forms of the mnemonic: (files, occurrences).
    let mut forms: BTreeMap<Code, (usize, u64)> = BTreeMap::new();
    let dump = std::env::var("WEBVM_COVERAGE_DUMP").ok();
    for (path, scan) in &scanned {
        let rel = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .display()
            .to_string();
        if dump.as_deref() == Some(rel.as_str()) {
            // For cross-checking one file against `objdump -d -M intel`.
            for (code, count) in &scan.codes {
                println!("dump {rel}: {code:?} {:?} {}", code.mnemonic(), count.all);
            }
        }
        let mut per_file: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for (&code, count) in &scan.codes {
            if code == Code::INVALID {
                continue;
            }
            let name = format!("{:?}", code.mnemonic());
            if count.clean > 0 && !data_in_text(&rel) {
                rows.entry(name.clone())
                    .or_default()
                    .real_codes
                    .insert(code);
            }
            let m = per_file.entry(name).or_default();
            m.0 += count.all;
            m.1 += count.clean;
            if count.clean > 0 && !data_in_text(&rel) && classify(code) == Handler::Invalid {
                let f = forms.entry(code).or_default();
                f.0 += 1;
                f.1 += count.clean;
            }
        }
        for (m, (all, clean)) in per_file {
            let row = rows.entry(m).or_default();
            row.files += 1;
            row.paths.push((rel.clone(), all));
            row.real_files += usize::from(clean > 0 && !data_in_text(&rel));
            row.all += all;
            row.clean += clean;
        }
    }

    let mut runner = NativeRunner::start();
    let seed = 0x5eed;
    let integer = coverage::integer(&mut runner, seed);
    let fpu = coverage::fpu(&mut runner, seed);
    let handled = |m: &str| integer.handled.contains(m) || fpu.handled.contains(m);
    let exercised = |m: &str| {
        integer.exercised.contains(m) || fpu.exercised.contains(m) || exercised_elsewhere(m)
    };
    let exceptions: BTreeMap<&str, String> = rows
        .iter()
        .filter(|(m, _)| !handled(m))
        .filter_map(|(m, row)| Some((m.as_str(), exception_reason(&row.real_codes)?)))
        .collect();
    let exception = |m: &str| exceptions.get(m);

    println!(
        "{} ELF files under {} ({} with i386 code), {:.1} MB of executable sections, {} \
         undecodable positions, scanned in {:.1}s",
        files.len(),
        root.display(),
        scanned.len(),
        bytes as f64 / 1e6,
        invalid,
        scan_time.as_secs_f64()
    );
    println!(
        "{:<14} {:>6} {:>6} {:>10} {:>10}  handled exercised",
        "mnemonic", "files", "real", "count", "clean"
    );
    let yes = |b: bool| if b { "yes" } else { "NO" };
    let mut real = Vec::new();
    let mut noise = Vec::new();
    let mut missing = Vec::new();
    for (m, row) in &rows {
        println!(
            "{:<14} {:>6} {:>6} {:>10} {:>10}  {:<7} {:<9} {}",
            m,
            row.files,
            row.real_files,
            row.all,
            row.clean,
            yes(handled(m)),
            yes(exercised(m)),
            exception(m).map_or(String::new(), |r| format!("exception: {r}"))
        );
        if row.real_files > 0 {
            real.push(m.as_str());
            if exception(m).is_none() && !(handled(m) && exercised(m)) {
                missing.push(m.as_str());
            }
        } else {
            noise.push(m.as_str());
        }
    }
    let real_handled = real.iter().filter(|m| handled(m)).count();
    let real_exercised = real.iter().filter(|m| handled(m) && exercised(m)).count();
    println!(
        "{} mnemonics in total; {} in real code (in a file outside DATA_IN_TEXT, more than \
         {JUNK_WINDOW} instructions from undecodable bytes): {} handled, {} handled and \
         exercised, {} exceptions",
        rows.len(),
        real.len(),
        real_handled,
        real_exercised,
        exceptions.len()
    );
    let noise_unhandled: Vec<&&str> = noise.iter().filter(|m| !handled(m)).collect();
    println!(
        "only in DATA_IN_TEXT files or next to undecodable bytes ({}), of them not handled: {:?}",
        noise.len(),
        noise_unhandled
    );
    println!("unhandled forms of mnemonics in real code (Code: files, clean occurrences):");
    for (code, (f, n)) in &forms {
        println!("  {code:?}: {f}, {n}");
    }
    println!("files containing the mnemonics the interpreter does not handle:");
    for (m, row) in rows.iter().filter(|(m, _)| !handled(m)) {
        let shown: Vec<String> = row
            .paths
            .iter()
            .take(6)
            .map(|(p, n)| format!("{p} ({n})"))
            .collect();
        let more = row.paths.len().saturating_sub(6);
        let more = if more > 0 {
            format!(" +{more} more")
        } else {
            String::new()
        };
        println!("  {m}: {}{more}", shown.join(", "));
    }
    println!("total time {:.1}s", started.elapsed().as_secs_f64());

    assert!(
        scanned.len() > 100,
        "only {} ELF files with i386 code under {}",
        scanned.len(),
        root.display()
    );
    assert_eq!(
        integer.mismatches + fpu.mismatches,
        0,
        "differential mismatches: run cpu_differential and cpu_fpu_differential"
    );
    // Forms the interpreter lacks although it handles the mnemonic (e.g. a 16-bit or
    // memory form): real code must not contain any.
    let partial: Vec<&Code> = forms
        .keys()
        .filter(|c| handled(&format!("{:?}", c.mnemonic())))
        .collect();
    assert!(
        partial.is_empty(),
        "forms in the image's code that the interpreter does not handle: {partial:?}"
    );
    assert!(
        missing.is_empty(),
        "mnemonics in the image's code that the interpreter does not handle or no \
         differential case exercises (add them, or their CPUID feature to NOT_ADVERTISED if it is one): {missing:?}"
    );
}
