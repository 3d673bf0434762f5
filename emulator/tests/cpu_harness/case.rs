//! One differential test case and its outcome, shared by the native and emulated sides.

/// Guest layout, identical in `runner.c`.
pub const CODE: u32 = 0x1000_0000;
pub const DATA: u32 = 0x2000_0000;
pub const RO_PAGE: u32 = DATA + PAGE;
pub const RO_SEED: u32 = 0x5eed_0001;
pub const PAGE: u32 = 4096;
/// Segment bases the runner gives the guest's fs and gs (see runner.c).
pub const FS_BASE: u32 = DATA + 0x400;
pub const GS_BASE: u32 = DATA - 0x200;

pub const SIGILL: u32 = 4;
pub const SIGTRAP: u32 = 5;
pub const SIGBUS: u32 = 7;
pub const SIGFPE: u32 = 8;
pub const SIGSEGV: u32 = 11;

/// Addresses a case may touch: low memory (always unmapped, reached by 16-bit
/// addressing) and a window around the code and data pages that the runner process
/// leaves unmapped apart from our pages.
pub fn in_test_window(addr: u32) -> bool {
    addr < 0x1_0000 || (0x0f00_0000..0x3100_0000).contains(&addr)
}

#[derive(Clone, Debug)]
pub struct Case {
    /// Instruction bytes, padded with int3 (0xcc).
    pub code: [u8; 16],
    /// eax ecx edx ebx esp ebp esi edi.
    pub regs: [u32; 8],
    pub eflags: u32,
    pub mem_seed: u32,
}

impl Case {
    pub fn new(bytes: &[u8]) -> Case {
        let mut code = [0xcc; 16];
        code[..bytes.len()].copy_from_slice(bytes);
        Case {
            code,
            regs: [0; 8],
            eflags: 0x202,
            mem_seed: 1,
        }
    }
}

/// The architectural result of a case, as the native signal handler sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Outcome {
    pub regs: [u32; 8],
    pub eip: u32,
    pub eflags: u32,
    pub signo: u32,
    pub trapno: u32,
    pub err: u32,
    pub addr: u32,
    pub mem_hash: u64,
}

/// The data page fill shared with the runner (xorshift32).
pub fn fill_page(seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(PAGE as usize);
    for _ in 0..PAGE / 4 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

/// The page hash shared with the runner (FNV-1a over 32-bit words).
pub fn page_hash(page: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for w in page.chunks_exact(4) {
        h = (h ^ u32::from_le_bytes(w.try_into().unwrap()) as u64).wrapping_mul(0x0100_0000_01b3);
    }
    h
}
