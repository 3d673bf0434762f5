//! The Linux personality: the part of the emulator that plays the kernel for i386 guest
//! programs (tasks, system calls, signals, files, terminals).
//!
//! This holds the standalone parts that the kernel core (tasks, syscalls, VFS) builds on:
//! the exact i386 signal delivery data (`sigframe`) and the terminal layer (`tty`).

pub mod sigframe;
pub mod tty;
