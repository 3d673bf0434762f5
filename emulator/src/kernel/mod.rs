//! The Linux personality: the part of the emulator that plays the kernel for i386 guest
//! programs (tasks, system calls, signals, files).
//!
//! On this branch it holds only the signal delivery data (`sigframe`); the kernel core
//! (tasks, syscalls, VFS) lands beside it.

pub mod sigframe;
