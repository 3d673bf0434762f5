//! The Linux personality: the part of the emulator that plays the kernel.
//!
//! This branch carries only the terminal layer; the kernel core (tasks, syscalls, VFS)
//! is merged in beside it.

pub mod tty;
