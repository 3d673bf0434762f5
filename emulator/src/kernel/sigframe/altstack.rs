//! A task's alternate signal stack (`sigaltstack`): the stored `sas_ss_sp`,
//! `sas_ss_size` and `sas_ss_flags`, the "already on the alternate stack" test, the
//! `sigaltstack` system call's rules, and what a signal frame saves of it.
//!
//! This module only models the state; the kernel keeps one per task and copies guest
//! `stack_t` structures in and out.

use super::abi::{ss::*, StackT};
use thiserror::Error;

/// Why `sigaltstack` refused a new stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum AltStackError {
    /// The caller is running on the current alternate stack (`EPERM`).
    #[error("cannot change the alternate stack while running on it")]
    OnStack,
    /// `ss_flags` names an unknown mode (`EINVAL`).
    #[error("invalid ss_flags {0:#x}")]
    InvalidFlags(u32),
    /// The stack is smaller than `MINSIGSTKSZ` (`ENOMEM`).
    #[error("alternate stack of {0} bytes is smaller than MINSIGSTKSZ")]
    TooSmall(u32),
}

impl AltStackError {
    /// The errno the system call returns.
    pub fn errno(self) -> i32 {
        match self {
            AltStackError::OnStack => 1,
            AltStackError::InvalidFlags(_) => 22,
            AltStackError::TooSmall(_) => 12,
        }
    }
}

/// The alternate signal stack of one task, as Linux stores it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AltStack {
    pub sp: u32,
    pub size: u32,
    /// The `ss_flags` last given to `sigaltstack` (`SS_DISABLE` when none), including
    /// `SS_AUTODISARM`.
    pub flags: u32,
}

impl AltStack {
    /// The state of a new process: no stack, and flags 0 (a signal frame's `uc_stack`
    /// shows `ss_flags` 0 until `sigaltstack` is first called, as on the host).
    pub const INITIAL: AltStack = AltStack {
        sp: 0,
        size: 0,
        flags: 0,
    };

    /// No alternate stack after `SS_DISABLE` or after `SS_AUTODISARM` fired.
    pub const DISABLED: AltStack = AltStack {
        sp: 0,
        size: 0,
        flags: SS_DISABLE,
    };

    /// Whether `sp` lies in the stack, ignoring `SS_AUTODISARM` (`__on_sig_stack`): the
    /// stack grows down, so its top address is inside and its base is not.
    pub fn contains(&self, sp: u32) -> bool {
        sp > self.sp && sp - self.sp <= self.size
    }

    /// Whether a task with stack pointer `sp` counts as running on the alternate stack
    /// (`on_sig_stack`): never while `SS_AUTODISARM` is set.
    pub fn on_stack(&self, sp: u32) -> bool {
        self.flags & SS_AUTODISARM == 0 && self.contains(sp)
    }

    /// `sas_ss_flags`: `SS_DISABLE` with no stack, `SS_ONSTACK` when on it, else 0.
    pub fn mode(&self, sp: u32) -> u32 {
        if self.size == 0 {
            SS_DISABLE
        } else if self.on_stack(sp) {
            SS_ONSTACK
        } else {
            0
        }
    }

    /// The top of the stack, where a frame placed on it starts (as a 64-bit value, since
    /// `sp + size` may pass 4 GiB for a bogus stack).
    pub fn top(&self) -> u64 {
        self.sp as u64 + self.size as u64
    }

    /// What a signal frame's `uc_stack` records (the stored values as they are).
    pub fn saved(&self) -> StackT {
        StackT {
            ss_sp: self.sp,
            ss_flags: self.flags,
            ss_size: self.size,
        }
    }

    /// What `sigaltstack` reports as the old stack for a caller at `sp`.
    pub fn query(&self, sp: u32) -> StackT {
        StackT {
            ss_sp: self.sp,
            ss_flags: self.mode(sp) | (self.flags & SS_FLAG_BITS),
            ss_size: self.size,
        }
    }

    /// The `sigaltstack` system call for a caller at `sp`: installs `new` (if any) and
    /// returns the old stack as [`query`](Self::query) reports it. On error nothing
    /// changes and the old stack is not reported.
    pub fn sigaltstack(&mut self, new: Option<StackT>, sp: u32) -> Result<StackT, AltStackError> {
        let old = self.query(sp);
        if let Some(new) = new {
            self.set(new, sp)?;
        }
        Ok(old)
    }

    /// Restores the stack a signal frame saved (`restore_altstack` at `sigreturn`, with
    /// the stack pointer the frame restored). Linux ignores every error here.
    pub fn restore(&mut self, saved: StackT, sp: u32) {
        let _ = self.set(saved, sp);
    }

    fn set(&mut self, new: StackT, sp: u32) -> Result<(), AltStackError> {
        if self.on_stack(sp) {
            return Err(AltStackError::OnStack);
        }
        let mode = new.ss_flags & !SS_FLAG_BITS;
        if mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0 {
            return Err(AltStackError::InvalidFlags(new.ss_flags));
        }
        if (self.sp, self.size, self.flags) == (new.ss_sp, new.ss_size, new.ss_flags) {
            return Ok(());
        }
        if mode == SS_DISABLE {
            *self = AltStack {
                sp: 0,
                size: 0,
                flags: new.ss_flags,
            };
            return Ok(());
        }
        if new.ss_size < MINSIGSTKSZ {
            return Err(AltStackError::TooSmall(new.ss_size));
        }
        *self = AltStack {
            sp: new.ss_sp,
            size: new.ss_size,
            flags: new.ss_flags,
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(sp: u32, size: u32, flags: u32) -> StackT {
        StackT {
            ss_sp: sp,
            ss_flags: flags,
            ss_size: size,
        }
    }

    #[test]
    fn sigframe_altstack_rules() {
        let mut alt = AltStack::default();
        assert_eq!(alt.query(0x1000).ss_flags, SS_DISABLE);
        let old = alt
            .sigaltstack(Some(stack(0x10000, 0x4000, 0)), 0x8000)
            .unwrap();
        assert_eq!(old, stack(0, 0, SS_DISABLE));
        assert!(alt.on_stack(0x14000) && !alt.on_stack(0x10000) && !alt.on_stack(0x14001));
        assert_eq!(alt.query(0x12000).ss_flags, SS_ONSTACK);
        assert_eq!(
            alt.sigaltstack(Some(stack(0, 0, SS_DISABLE)), 0x12000),
            Err(AltStackError::OnStack)
        );
        assert_eq!(
            alt.sigaltstack(Some(stack(0x10000, 100, 0)), 0x8000),
            Err(AltStackError::TooSmall(100))
        );
        assert_eq!(
            alt.sigaltstack(Some(stack(0x10000, 0x4000, 4)), 0x8000),
            Err(AltStackError::InvalidFlags(4))
        );
        alt.sigaltstack(Some(stack(0x10000, 0x4000, SS_AUTODISARM)), 0x8000)
            .unwrap();
        assert!(!alt.on_stack(0x12000) && alt.contains(0x12000));
        assert_eq!(alt.query(0x12000).ss_flags, SS_AUTODISARM);
        // SS_ONSTACK given to sigaltstack is accepted as mode 0 and stored as given.
        alt.sigaltstack(Some(stack(0x10000, 0x4000, SS_ONSTACK)), 0x8000)
            .unwrap();
        assert_eq!(alt.saved().ss_flags, SS_ONSTACK);
        alt.sigaltstack(Some(stack(0x5555, 7, SS_DISABLE)), 0x8000)
            .unwrap();
        assert_eq!((alt.sp, alt.size, alt.flags), (0, 0, SS_DISABLE));
    }
}
