//! The webvm machine.
//!
//! This crate owns everything that makes up the virtual machine itself: the i386 CPU
//! (decoder, interpreter, x87/SSE), guest memory, the Linux personality that plays the
//! kernel, and storage (block devices and filesystems). It must never depend on a browser,
//! a window or a host filesystem path convention: it builds unchanged for the host and for
//! `wasm32-unknown-unknown`. Platform services (block storage, clock, console) reach it
//! through small traits it defines, implemented by the frontends.

pub mod block;
pub mod cpu;
pub mod fs;
pub mod kernel;
pub mod loader;
pub mod mm;
