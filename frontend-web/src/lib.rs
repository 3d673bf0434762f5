//! The browser frontend: the emulator compiled to `wasm32-unknown-unknown`, driven from a
//! module Web Worker (`www/vm-worker.js`), with the page (xterm.js terminal, IndexedDB
//! persistence, the embeddable JS API in `www/webvm.js`) beside it. See `docs/web.md`.
//!
//! The platform-neutral parts (the console byte queues, the paged overlay log and its
//! compaction at boot)
//! are plain Rust and tested natively; [`vm`] binds them to JavaScript and exists only
//! on wasm32.

pub mod console;
pub mod paged_log;
pub mod stored_overlay;

#[cfg(target_arch = "wasm32")]
pub mod vm;
