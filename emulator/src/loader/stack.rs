//! The initial process stack as Linux builds it for an i386 program: the strings at the
//! top (`execfn`, environment, arguments), the platform string and `AT_RANDOM` bytes,
//! then, from the 16-byte aligned stack pointer up: `argc`, `argv[]`, `NULL`, `envp[]`,
//! `NULL`, and the auxiliary vector in the kernel's order.

use super::image::{LoadError, LoadedProgram};
use crate::mm::{AddressSpace, Frames, MapRequest, Prot, STACK_TOP};

pub const AT_NULL: u32 = 0;
pub const AT_PHDR: u32 = 3;
pub const AT_PHENT: u32 = 4;
pub const AT_PHNUM: u32 = 5;
pub const AT_PAGESZ: u32 = 6;
pub const AT_BASE: u32 = 7;
pub const AT_FLAGS: u32 = 8;
pub const AT_ENTRY: u32 = 9;
pub const AT_UID: u32 = 11;
pub const AT_EUID: u32 = 12;
pub const AT_GID: u32 = 13;
pub const AT_EGID: u32 = 14;
pub const AT_PLATFORM: u32 = 15;
pub const AT_HWCAP: u32 = 16;
pub const AT_CLKTCK: u32 = 17;
pub const AT_SECURE: u32 = 23;
pub const AT_RANDOM: u32 = 25;
pub const AT_HWCAP2: u32 = 26;
pub const AT_EXECFN: u32 = 31;
pub const AT_SYSINFO: u32 = 32;
pub const AT_SYSINFO_EHDR: u32 = 33;
pub const AT_MINSIGSTKSZ: u32 = 51;

/// The initial stack area: Linux starts with what the strings need plus room to grow;
/// the stack VMA grows down on demand after that.
const INITIAL_STACK: u32 = 128 * 1024;
/// Linux limits argv + envp to a quarter of the stack limit (8 MiB / 4).
pub const MAX_ARG_BYTES: usize = 2 << 20;

/// What the new process is told about itself.
#[derive(Debug, Clone, Default)]
pub struct StackSpec {
    pub argv: Vec<Vec<u8>>,
    pub envp: Vec<Vec<u8>>,
    /// The path given to execve (`AT_EXECFN`).
    pub execfn: Vec<u8>,
    /// 16 bytes for `AT_RANDOM` (stack protector and pointer guard seeds).
    pub random: [u8; 16],
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
    /// `AT_HWCAP`: CPUID leaf 1 EDX of the emulated CPU.
    pub hwcap: u32,
    /// Load address of the vDSO, 0 for none.
    pub vdso_base: u32,
}

/// Maps the stack and writes the initial frame; returns the initial `esp`.
pub fn build_initial_stack(
    space: &mut AddressSpace,
    frames: &mut Frames,
    spec: &StackSpec,
    program: &LoadedProgram,
) -> Result<u32, LoadError> {
    let strings_len: usize = spec
        .argv
        .iter()
        .chain(&spec.envp)
        .map(|s| s.len() + 1)
        .sum();
    if strings_len + spec.execfn.len() > MAX_ARG_BYTES {
        return Err(LoadError::Memory(crate::mm::MmError::NoMemory));
    }
    let mut request = MapRequest::anonymous(
        INITIAL_STACK,
        Prot {
            exec: program.exec_stack,
            ..Prot::READ_WRITE
        },
    );
    request.addr = STACK_TOP - INITIAL_STACK;
    request.fixed = true;
    request.grows_down = true;
    request.label = Some("[stack]");
    space.mmap(frames, request)?;

    let mut writer = StackWriter {
        space,
        frames,
        top: STACK_TOP - 4, // the last word stays zero, as on Linux
    };
    let execfn = writer.push_string(&spec.execfn)?;
    let mut env_ptrs: Vec<u32> = Vec::with_capacity(spec.envp.len());
    for s in spec.envp.iter().rev() {
        env_ptrs.push(writer.push_string(s)?);
    }
    env_ptrs.reverse();
    let mut arg_ptrs: Vec<u32> = Vec::with_capacity(spec.argv.len());
    for s in spec.argv.iter().rev() {
        arg_ptrs.push(writer.push_string(s)?);
    }
    arg_ptrs.reverse();
    writer.top &= !15;
    let platform = writer.push_string(b"i686")?;
    writer.top &= !15;
    let random = writer.push_bytes(&spec.random)?;

    let mut auxv: Vec<(u32, u32)> = Vec::new();
    if spec.vdso_base != 0 {
        auxv.push((AT_SYSINFO, spec.vdso_base + super::vdso::KERNEL_VSYSCALL));
        auxv.push((AT_SYSINFO_EHDR, spec.vdso_base));
    }
    auxv.extend_from_slice(&[
        (AT_MINSIGSTKSZ, 2048),
        (AT_HWCAP, spec.hwcap),
        (AT_PAGESZ, 4096),
        (AT_CLKTCK, 100),
        (AT_PHDR, program.phdr),
        (AT_PHENT, program.phent),
        (AT_PHNUM, program.phnum),
        (AT_BASE, program.interp_base),
        (AT_FLAGS, 0),
        (AT_ENTRY, program.entry),
        (AT_UID, spec.uid),
        (AT_EUID, spec.euid),
        (AT_GID, spec.gid),
        (AT_EGID, spec.egid),
        (
            AT_SECURE,
            u32::from(spec.uid != spec.euid || spec.gid != spec.egid),
        ),
        (AT_RANDOM, random),
        (AT_HWCAP2, 0),
        (AT_EXECFN, execfn),
        (AT_PLATFORM, platform),
        (AT_NULL, 0),
    ]);

    let mut table: Vec<u32> = Vec::new();
    table.push(arg_ptrs.len() as u32);
    table.extend(&arg_ptrs);
    table.push(0);
    table.extend(&env_ptrs);
    table.push(0);
    for (key, value) in auxv {
        table.push(key);
        table.push(value);
    }
    let bytes: Vec<u8> = table.iter().flat_map(|w| w.to_le_bytes()).collect();
    let esp = (writer.top - bytes.len() as u32) & !15;
    writer
        .space
        .write_bytes(writer.frames, esp, &bytes)
        .map_err(|f| LoadError::Fault(f.addr))?;
    Ok(esp)
}

struct StackWriter<'a> {
    space: &'a mut AddressSpace,
    frames: &'a mut Frames,
    top: u32,
}

impl StackWriter<'_> {
    fn push_bytes(&mut self, bytes: &[u8]) -> Result<u32, LoadError> {
        self.top -= bytes.len() as u32;
        self.space
            .write_bytes(self.frames, self.top, bytes)
            .map_err(|f| LoadError::Fault(f.addr))?;
        Ok(self.top)
    }

    fn push_string(&mut self, s: &[u8]) -> Result<u32, LoadError> {
        let mut with_nul = Vec::with_capacity(s.len() + 1);
        with_nul.extend_from_slice(s);
        with_nul.push(0);
        self.push_bytes(&with_nul)
    }
}
