//! Futexes: `FUTEX_WAIT`/`WAKE`/`REQUEUE`/`CMP_REQUEUE` and their bitset forms. A
//! futex is keyed by (address space, address), or, for a shared futex (no
//! `FUTEX_PRIVATE_FLAG`) in a `MAP_SHARED` area, by the physical frame and offset, so
//! processes that share the memory (POSIX semaphores after `fork`) wake each other.
//! A waiter parks; `wake` marks it woken so its retried wait returns 0 instead of
//! checking the value again.

use super::{mem, Call, SysError, SysResult};
use crate::kernel::abi::{Timespec32, Timespec64};
use crate::kernel::errno::Errno;
use crate::kernel::memory::Mm;
use crate::kernel::task::{Task, TaskState};
use crate::kernel::Kernel;
use crate::mm::FrameId;
use std::cell::RefCell;
use std::rc::Rc;

const FUTEX_WAIT: u32 = 0;
const FUTEX_WAKE: u32 = 1;
const FUTEX_REQUEUE: u32 = 3;
const FUTEX_CMP_REQUEUE: u32 = 4;
const FUTEX_WAKE_OP: u32 = 5;
const FUTEX_WAIT_BITSET: u32 = 9;
const FUTEX_WAKE_BITSET: u32 = 10;
const FUTEX_PRIVATE_FLAG: u32 = 128;
const FUTEX_CMD_MASK: u32 = 0x7f; // without PRIVATE (128) and CLOCK_REALTIME (256)

/// What identifies a futex.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    /// A private futex, or one in private memory: this address of this memory.
    Private(*const RefCell<Mm>, u32),
    /// A shared futex in shared memory: the frame and the offset in it.
    Shared(FrameId, u32),
}

fn key_of(mm: &Rc<RefCell<Mm>>, addr: u32, private: bool) -> Key {
    if !private {
        let m = mm.borrow();
        if m.space.find_vma(addr).is_some_and(|v| v.shared) {
            let pte = m.space.pte(addr);
            if pte.is_present() {
                return Key::Shared(pte.frame(), addr & 0xfff);
            }
        }
    }
    Key::Private(Rc::as_ptr(mm), addr)
}

/// Whether `t` is parked in a futex wait on `key` matching `bitset`.
fn waits_on(t: &Task, key: Key, bitset: u32) -> bool {
    if t.futex_woken {
        return false;
    }
    match t.state {
        TaskState::Parked(p)
            if p.nr == super::names::nr::FUTEX || p.nr == super::names::nr::FUTEX_TIME64 =>
        {
            let cmd = p.args[1] & FUTEX_CMD_MASK;
            let their_bits = if cmd == FUTEX_WAIT_BITSET {
                p.args[5]
            } else {
                u32::MAX
            };
            (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET)
                && their_bits & bitset != 0
                && key_of(&t.mm, p.args[0], p.args[1] & FUTEX_PRIVATE_FLAG != 0) == key
        }
        _ => false,
    }
}

/// Wakes up to `n` waiters on the private futex `addr` of `mm`; returns how many.
pub fn wake(k: &mut Kernel, mm: &Rc<RefCell<Mm>>, addr: u32, n: u32, bitset: u32) -> u32 {
    wake_key(k, key_of(mm, addr, true), n, bitset)
}

/// Wakes up to `n` waiters on the futex `addr` of `mm` as a shared futex: waiters in
/// other processes too when the memory is shared (what a robust futex's owner death
/// does).
pub fn wake_shared(k: &mut Kernel, mm: &Rc<RefCell<Mm>>, addr: u32, n: u32) -> u32 {
    wake_key(k, key_of(mm, addr, false), n, u32::MAX)
}

fn wake_key(k: &mut Kernel, key: Key, n: u32, bitset: u32) -> u32 {
    let mut woken = 0;
    for t in k.tasks.values_mut() {
        if woken >= n {
            break;
        }
        if waits_on(t, key, bitset) {
            t.futex_woken = true;
            woken += 1;
        }
    }
    woken
}

/// Moves up to `n` waiters from `from` to the address `to`.
fn requeue(k: &mut Kernel, from: Key, to: u32, n: u32) -> u32 {
    let mut moved = 0;
    for t in k.tasks.values_mut() {
        if moved >= n {
            break;
        }
        if waits_on(t, from, u32::MAX) {
            if let TaskState::Parked(p) = &mut t.state {
                p.args[0] = to;
                moved += 1;
            }
        }
    }
    moved
}

fn do_futex(k: &mut Kernel, t: &mut Task, c: &Call, wide: bool) -> SysResult {
    let (addr, op, val) = (c.arg(0), c.arg(1), c.arg(2));
    let cmd = op & FUTEX_CMD_MASK;
    let private = op & FUTEX_PRIVATE_FLAG != 0;
    match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            if cmd == FUTEX_WAIT_BITSET && c.arg(5) == 0 {
                return Err(Errno::EINVAL.into());
            }
            if t.futex_woken {
                t.futex_woken = false;
                return Ok(0);
            }
            let retry = c.deadline.is_some() || matches!(t.state, TaskState::Parked(_));
            if let Some(d) = c.deadline {
                if k.platform.clock.monotonic_ns() >= d {
                    return Err(Errno::ETIMEDOUT.into());
                }
            }
            if retry {
                return Err(SysError::Block(c.deadline));
            }
            let current = mem(k, t, |m| m.read_u32(addr))?;
            if current != val {
                return Err(Errno::EAGAIN.into());
            }
            let deadline = if c.arg(3) == 0 {
                None
            } else {
                let ns = if wide {
                    let ts: Timespec64 = mem(k, t, |m| m.read_obj(c.arg(3)))?;
                    (ts.sec.max(0) as u64)
                        .saturating_mul(1_000_000_000)
                        .saturating_add(ts.nsec.max(0) as u64)
                } else {
                    let ts: Timespec32 = mem(k, t, |m| m.read_obj(c.arg(3)))?;
                    (ts.sec.max(0) as u64) * 1_000_000_000 + ts.nsec.max(0) as u64
                };
                let mono = k.platform.clock.monotonic_ns();
                Some(if cmd == FUTEX_WAIT_BITSET {
                    // Absolute on CLOCK_MONOTONIC (or REALTIME with the flag).
                    if op & 256 != 0 {
                        mono.saturating_add(ns.saturating_sub(k.platform.clock.realtime_ns()))
                    } else {
                        ns
                    }
                } else {
                    mono.saturating_add(ns)
                })
            };
            Err(SysError::Block(deadline))
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => {
            let bits = if cmd == FUTEX_WAKE_BITSET {
                c.arg(5)
            } else {
                u32::MAX
            };
            if !private {
                // A shared key needs the page in place (and a mapping: EFAULT).
                mem(k, t, |m| m.read_u32(addr))?;
            }
            let key = key_of(&t.mm, addr, private);
            Ok(wake_key(k, key, val, bits))
        }
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            if cmd == FUTEX_CMP_REQUEUE {
                let current = mem(k, t, |m| m.read_u32(addr))?;
                if current != c.arg(5) {
                    return Err(Errno::EAGAIN.into());
                }
            }
            let key = key_of(&t.mm, addr, private);
            let woken = wake_key(k, key, val, u32::MAX);
            let moved = requeue(k, key, c.arg(4), c.arg(3));
            Ok(woken + moved)
        }
        FUTEX_WAKE_OP => {
            // Apply the operation to *uaddr2, then wake on both.
            let (addr2, encoded) = (c.arg(4), c.arg(5));
            let old = mem(k, t, |m| m.read_u32(addr2))?;
            let (opcode, cmp) = ((encoded >> 28) & 7, (encoded >> 24) & 15);
            let mut oparg = (encoded >> 12) & 0xfff;
            let cmparg = encoded & 0xfff;
            if encoded >> 28 & 8 != 0 {
                oparg = 1 << (oparg & 31);
            }
            let new = match opcode {
                0 => oparg,
                1 => old.wrapping_add(oparg),
                2 => old | oparg,
                3 => old & !oparg,
                4 => old ^ oparg,
                _ => return Err(Errno::ENOSYS.into()),
            };
            mem(k, t, |m| m.write_u32(addr2, new))?;
            let key = key_of(&t.mm, addr, private);
            let key2 = key_of(&t.mm, addr2, private);
            let mut woken = wake_key(k, key, val, u32::MAX);
            let (o, a) = (old as i32, cmparg as i32);
            let hit = match cmp {
                0 => o == a,
                1 => o != a,
                2 => o < a,
                3 => o <= a,
                4 => o > a,
                5 => o >= a,
                _ => return Err(Errno::ENOSYS.into()),
            };
            if hit {
                woken += wake_key(k, key2, c.arg(3), u32::MAX);
            }
            Ok(woken)
        }
        _ => Err(Errno::ENOSYS.into()),
    }
}

pub fn futex(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    do_futex(k, t, c, false)
}

pub fn futex_time64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    do_futex(k, t, c, true)
}
