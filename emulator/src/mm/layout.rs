//! Where things go in a 32-bit process, as Linux lays out an i386 program on a 64-bit
//! kernel: the whole 4 GiB minus the top pages is user space, so memory above
//! 0x80000000 (and above 0xC0000000) is usable, which WINE and large programs rely on.

/// First address above user space: the top page stays unmapped as on Linux.
pub const TASK_SIZE: u64 = 0xFFFF_E000;
/// The main thread's stack grows down from here (the top of user space, as on Linux
/// without address randomisation).
pub const STACK_TOP: u32 = 0xFFFF_E000;
/// The stack may grow to this size (RLIMIT_STACK default, 8 MiB).
pub const STACK_LIMIT: u32 = 8 << 20;
/// Top-down mmap allocations start below the stack and its 128 MiB gap.
pub const MMAP_BASE: u32 = 0xF7FF_E000;
/// Lowest address a non-fixed mmap may return (as vm.mmap_min_addr).
pub const MMAP_MIN_ADDR: u32 = 0x0001_0000;
/// Where a position-independent executable is loaded: the address a 64-bit Linux kernel
/// uses for 32-bit PIE programs when randomisation is off (as under gdb).
pub const PIE_BASE: u32 = 0x5655_5000;
