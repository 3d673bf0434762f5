//! The ELF loader against Linux: the same i386 program is started natively (without
//! address randomisation) to read its `/proc/self/maps`, and loaded by our loader; every
//! range Linux maps from the file must be mapped by us from the same file offsets with
//! the same permissions (RELRO pages excepted: the C library makes them read-only after
//! start, which a freshly loaded image has not done yet).

use emulator::loader::elf::ElfFile;
use emulator::loader::{build_initial_stack, load_program, ElfSource, StackSpec};
use emulator::mm::{AddressSpace, Backing, Frames, MappedFile};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;
use webvm_tests::profile_dir;

struct HostFile {
    path: PathBuf,
    data: Vec<u8>,
}

impl MappedFile for HostFile {
    fn identity(&self) -> (u64, u64) {
        (1, 1)
    }
    fn path(&self) -> String {
        self.path.display().to_string()
    }
    fn size(&self) -> u64 {
        self.data.len() as u64
    }
    fn read_page(&self, offset: u64, page: &mut [u8]) -> Result<(), i32> {
        page.fill(0);
        let start = (offset as usize).min(self.data.len());
        let end = (start + page.len()).min(self.data.len());
        page[..end - start].copy_from_slice(&self.data[start..end]);
        Ok(())
    }
}

fn source(path: &Path) -> ElfSource {
    let data = std::fs::read(path).unwrap();
    let elf = ElfFile::parse(&data, data.len() as u64).expect("parses");
    ElfSource {
        file: Rc::new(HostFile {
            path: path.to_path_buf(),
            data,
        }),
        elf,
    }
}

/// (start, end, perms, offset) of each line of native maps naming `path`.
fn native_file_ranges(maps: &str, path: &str) -> Vec<(u32, u32, String, u32)> {
    maps.lines()
        .filter(|l| l.ends_with(path))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (s, e) = f[0].split_once('-').unwrap();
            (
                u32::from_str_radix(s, 16).unwrap(),
                u32::from_str_radix(e, 16).unwrap(),
                f[1].to_string(),
                u32::from_str_radix(f[2], 16).unwrap(),
            )
        })
        .collect()
}

#[test]
fn static_busybox_is_mapped_as_linux_maps_it() {
    let root = profile_dir("tiny").join("root");
    let busybox = std::fs::canonicalize(root.join("bin/busybox")).unwrap();
    let native = Command::new("setarch")
        .args(["-R"])
        .arg(&busybox)
        .args(["cat", "/proc/self/maps"])
        .output()
        .expect("run busybox natively");
    assert!(native.status.success());
    let native = String::from_utf8_lossy(&native.stdout).into_owned();
    let ranges = native_file_ranges(&native, &busybox.display().to_string());
    assert!(ranges.len() >= 2, "native maps:\n{native}");

    let mut frames = Frames::new(256 << 20);
    let mut space = AddressSpace::new();
    let program = source(&busybox);
    let loaded = load_program(&mut space, &mut frames, &program, None).unwrap();
    assert_eq!(loaded.start, program.elf.entry);
    for (start, end, perms, offset) in ranges {
        let mut at = start;
        while at < end {
            let vma = space
                .find_vma(at)
                .unwrap_or_else(|| panic!("{at:#x} unmapped; ours:\n{}", space.maps()));
            let Backing::File { .. } = vma.backing else {
                panic!("{at:#x} is not file-backed in ours:\n{}", space.maps());
            };
            assert_eq!(
                vma.file_offset(at),
                Some(u64::from(offset + (at - start))),
                "file offset at {at:#x}"
            );
            let ours = &vma.maps_line()[9 + 9..9 + 9 + 4];
            let relro = perms == "r--p" && ours == "rw-p";
            assert!(
                ours == perms || relro,
                "{at:#x}: ours {ours}, Linux {perms}"
            );
            at = vma.end.min(u64::from(end)) as u32;
        }
    }

    let spec = StackSpec {
        argv: vec![b"busybox".to_vec(), b"true".to_vec()],
        envp: vec![b"PATH=/bin".to_vec()],
        execfn: b"/bin/busybox".to_vec(),
        ..StackSpec::default()
    };
    let esp = build_initial_stack(&mut space, &mut frames, &spec, &loaded).unwrap();
    assert_eq!(esp % 16, 0);
    let mut words = [0u8; 16];
    space.read_bytes(&mut frames, esp, &mut words).unwrap();
    let word = |i: usize| u32::from_le_bytes(words[i * 4..i * 4 + 4].try_into().unwrap());
    assert_eq!(word(0), 2, "argc");
    let mut arg1 = [0u8; 5];
    space.read_bytes(&mut frames, word(2), &mut arg1).unwrap();
    assert_eq!(&arg1, b"true\0");
    assert_eq!(word(3), 0, "argv ends with NULL");
    assert!(space.maps().contains("[stack]"));
}

#[test]
fn dynamic_programs_get_their_interpreter() {
    let root = profile_dir("tiny").join("root");
    let ld = root.join("lib/ld-linux.so.2");
    let ld = if ld.exists() {
        ld
    } else {
        root.join("usr/lib/ld-linux.so.2")
    };
    let interp = source(&std::fs::canonicalize(&ld).unwrap());
    // ld.so is itself an ELF program; load it as the interpreter of itself.
    let program = source(&std::fs::canonicalize(&ld).unwrap());
    let mut frames = Frames::new(256 << 20);
    let mut space = AddressSpace::new();
    let loaded = load_program(&mut space, &mut frames, &program, Some(&interp)).unwrap();
    assert_eq!(
        loaded.entry,
        0x5655_5000 + program.elf.entry - program.elf.span().0,
        "PIE base"
    );
    assert_ne!(loaded.interp_base, 0);
    assert_eq!(loaded.interp_base % 4096, 0);
    assert_eq!(loaded.start, loaded.interp_base + interp.elf.entry);
    assert!(
        loaded.interp_base > 0xF000_0000,
        "interpreter is placed top-down"
    );
}

/// Corrupted headers (a seeded mutator over a real program's first bytes) give errors,
/// never a panic, both when parsing and when loading whatever still parses.
#[test]
fn corrupted_elf_headers_are_rejected_without_panicking() {
    let root = profile_dir("tiny").join("root");
    let original = std::fs::read(root.join("bin/busybox")).unwrap();
    let seed: u64 = std::env::var("WEBVM_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed);
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut parsed, mut loaded) = (0, 0);
    for _ in 0..3000 {
        let mut data = original[..4096.min(original.len())].to_vec();
        for _ in 0..1 + next() % 4 {
            let at = (next() % 300) as usize;
            data[at] = next() as u8;
        }
        let size = if next() % 8 == 0 {
            next() % 5000
        } else {
            original.len() as u64
        };
        let Ok(elf) = ElfFile::parse(&data, size) else {
            continue;
        };
        parsed += 1;
        let mut file_data = original.clone();
        file_data[..data.len()].copy_from_slice(&data);
        let program = ElfSource {
            file: Rc::new(HostFile {
                path: "/mutated".into(),
                data: file_data,
            }),
            elf,
        };
        let mut frames = Frames::new(64 << 20);
        let mut space = AddressSpace::new();
        if load_program(&mut space, &mut frames, &program, None).is_ok() {
            loaded += 1;
        }
    }
    println!("seed {seed}: {parsed} mutants parsed, {loaded} loaded, none panicked");
    assert!(parsed > 0, "the mutator should leave some headers valid");
}
