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
            for op in &block.ops {
                state.next_eip = op.instr.next_ip32();
                match exec::execute(op.handler, state, mem, &op.instr) {
                    Ok(()) => {
                        state.eip = state.next_eip;
                        state.instructions_retired += 1;
                        remaining -= 1;
                    }
                    Err(Stop::Syscall(gate)) => {
                        state.eip = state.next_eip;
                        state.instructions_retired += 1;
                        return Exit::Syscall(gate);
                    }
                    Err(Stop::Fault(kind)) => {
                        let at = op.instr.ip32();
                        if kind.is_trap() {
                            state.eip = state.next_eip;
                            state.instructions_retired += 1;
                        }
                        return Exit::Fault(Fault { kind, eip: at });
                    }
                }
                if remaining == 0 || mem.code_write_epoch() != self.code_epoch_seen {
                    break;
                }
                if state.eip != op.instr.next_ip32() {
                    break; // a taken branch, or a rep chunk that ended on itself
                }
            }
        }
        Exit::BudgetExhausted
    }
}
