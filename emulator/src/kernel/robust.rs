//! Robust futexes at thread exit (`set_robust_list`): every lock the dying thread
//! still holds gets `FUTEX_OWNER_DIED` and one waiter is woken, so the next locker of a
//! robust mutex gets `EOWNERDEAD` instead of waiting forever. Runs when a thread ends
//! (exit, a fatal signal, the other threads of an `execve`) and for the thread that
//! calls `execve`, before its memory goes, as Linux's `exit_robust_list` does.
//!
//! The list lives in guest memory and is the guest's to corrupt: a bad pointer ends
//! the walk, and at most [`ROBUST_LIST_LIMIT`] entries are visited (a cycle cannot
//! hang the kernel).

use super::memory::UserMem;
use super::task::Task;
use super::Kernel;

/// Most entries walked (Linux's `ROBUST_LIST_LIMIT`).
pub const ROBUST_LIST_LIMIT: usize = 2048;
/// Bits of a futex word: the owner's tid, waiters present, owner died.
const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
const FUTEX_WAITERS: u32 = 0x8000_0000;
const FUTEX_OWNER_DIED: u32 = 0x4000_0000;

/// `struct robust_list_head` on i386: `list.next`, `futex_offset`, `list_op_pending`.
struct Head {
    first: u32,
    futex_offset: i32,
    pending: u32,
}

impl Kernel {
    /// Releases the robust futexes `task` still owns (its list from `set_robust_list`).
    pub(crate) fn exit_robust_list(&mut self, task: &mut Task) {
        let head_addr = std::mem::take(&mut task.robust_list);
        if head_addr == 0 {
            return;
        }
        let mm = task.mm.clone();
        let mut futexes = Vec::new();
        {
            let mut m = mm.borrow_mut();
            let mut mem = UserMem::new(&mut m, &mut self.frames);
            let Some(head) = read_head(&mut mem, head_addr) else {
                return;
            };
            // Entries carry the PI flag in bit 0.
            let mut entry = head.first;
            let mut walked = 0;
            let mut intact = true;
            while entry & !1 != head_addr && walked < ROBUST_LIST_LIMIT {
                let at = entry & !1;
                let next = mem.read_u32(at);
                if at != head.pending & !1 {
                    futexes.push((at.wrapping_add(head.futex_offset as u32), entry & 1 != 0));
                }
                // An unreadable link ends the walk, and the pending entry is skipped.
                let Ok(next) = next else {
                    intact = false;
                    break;
                };
                entry = next;
                walked += 1;
            }
            if intact && head.pending & !1 != 0 {
                let at = head.pending & !1;
                futexes.push((
                    at.wrapping_add(head.futex_offset as u32),
                    head.pending & 1 != 0,
                ));
            }
        }
        for (addr, pi) in futexes {
            self.owner_died(task, &mm, addr, pi);
        }
    }

    /// `handle_futex_death`: if `task` owns the futex at `addr`, marks it
    /// `FUTEX_OWNER_DIED` (keeping the waiters bit) and wakes one waiter.
    fn owner_died(
        &mut self,
        task: &Task,
        mm: &std::rc::Rc<std::cell::RefCell<super::memory::Mm>>,
        addr: u32,
        pi: bool,
    ) {
        if addr % 4 != 0 {
            return;
        }
        let waiters = {
            let mut m = mm.borrow_mut();
            let mut mem = UserMem::new(&mut m, &mut self.frames);
            let Ok(word) = mem.read_u32(addr) else {
                return;
            };
            if word & FUTEX_TID_MASK != task.tid {
                return;
            }
            let marked = (word & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
            if mem.write_u32(addr, marked).is_err() {
                return;
            }
            word & FUTEX_WAITERS != 0
        };
        if waiters && !pi {
            super::syscall::futex::wake_shared(self, mm, addr, 1);
        }
    }
}

fn read_head(mem: &mut UserMem, addr: u32) -> Option<Head> {
    Some(Head {
        first: mem.read_u32(addr).ok()?,
        futex_offset: mem.read_u32(addr.wrapping_add(4)).ok()? as i32,
        pending: mem.read_u32(addr.wrapping_add(8)).ok()?,
    })
}
