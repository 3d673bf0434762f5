//! The i386 CPU: state, guest-memory interface, decoded-block cache and the interpreter
//! for the integer user-mode instruction set.
//!
//! Entry point: [`Cpu::run`] executes guest code until a budget of instructions is used,
//! a syscall gate (`int 0x80`, `sysenter`) is reached or an exception is raised; the
//! kernel layer handles the [`Exit`]. The x87 (`x87/`) and SSE/MMX (`simd/`) units are
//! owned elsewhere and not wired yet: their instructions raise #UD here.

pub mod block;
pub mod exec;
pub mod fault;
pub mod flags;
pub mod memory;
pub mod simd;
pub mod state;
pub mod x87;

pub use fault::{Exit, Fault, FaultKind, SyscallGate};
pub use memory::{Access, GuestAddr, GuestMemory, MemFault, PagedMemory, Protection};
pub use state::CpuState;

use block::BlockCache;
use fault::Stop;

/// A guest CPU: architectural state plus the interpreter's decoded-code cache.
#[derive(Default)]
pub struct Cpu {
    pub state: CpuState,
    blocks: BlockCache,
    code_epoch_seen: u64,
    written_pages: Vec<u32>,
}

impl Cpu {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets all decoded code (after `execve`, or when memory is replaced wholesale).
    pub fn flush_code_cache(&mut self) {
        self.blocks.clear();
    }

    /// Drops decoded blocks of pages written since the last check.
    #[inline]
    fn sync_code_writes<M: GuestMemory>(&mut self, mem: &mut M) {
        let epoch = mem.code_write_epoch();
        if epoch != self.code_epoch_seen {
            self.code_epoch_seen = epoch;
            mem.take_written_code_pages(&mut self.written_pages);
            for page in self.written_pages.drain(..) {
                self.blocks.invalidate_page(page);
            }
        }
    }

    /// Runs at most `budget` instructions (a `rep` string instruction counts once per
    /// chunk of iterations).
    pub fn run<M: GuestMemory>(&mut self, mem: &mut M, budget: u64) -> Exit {
        let mut remaining = budget;
        while remaining > 0 {
            self.sync_code_writes(mem);
            let eip = self.state.eip;
            let block = match self.blocks.get_or_decode(eip, mem) {
                Ok(b) => b,
                Err(f) => {
                    return Exit::Fault(Fault {
                        kind: FaultKind::PageFault(f),
                        eip,
                    });
                }
            };
            let state = &mut self.state;
            let runnable = block
                .ops
                .len()
                .min(remaining.min(usize::MAX as u64) as usize);
            // `state.eip` is brought up to date when the block is left; inside it only
            // `next_eip` moves (what branches, calls and `rep` chunks change).
            let mut retired = 0u64;
            for op in &block.ops[..runnable] {
                state.next_eip = op.instr.next_ip32();
                let generic = op.fast == exec::fast::FastOp::None;
                let step = if generic {
                    exec::execute(op.handler, state, mem, &op.instr)
                } else {
                    exec::fast::execute(op.fast, state, mem)
                };
                if let Err(stop) = step {
                    state.instructions_retired += retired;
                    return match stop {
                        Stop::Syscall(gate) => {
                            state.eip = state.next_eip;
                            state.instructions_retired += 1;
                            Exit::Syscall(gate)
                        }
                        Stop::Fault(kind) => {
                            let at = op.instr.ip32();
                            state.eip = at;
                            if kind.is_trap() {
                                state.eip = state.next_eip;
                                state.instructions_retired += 1;
                            }
                            Exit::Fault(Fault { kind, eip: at })
                        }
                    };
                }
                retired += 1;
                // Only an instruction that writes memory can have written code.
                if op.may_write && mem.code_write_epoch() != self.code_epoch_seen {
                    break;
                }
                // Fast forms that branch end their block; a generic `rep` chunk may
                // end on itself in the middle of one.
                if generic && state.next_eip != op.instr.next_ip32() {
                    break;
                }
            }
            state.eip = state.next_eip;
            state.instructions_retired += retired;
            remaining -= retired;
        }
        Exit::BudgetExhausted
    }
}
