//! The browser frontend: the emulator compiled to `wasm32-unknown-unknown`, driven from a
//! Web Worker, with the page (xterm.js terminal, canvas, IndexedDB persistence) beside it.
//!
//! Nothing is exported yet: the page is built once the Linux personality can run a shell.
//! The crate exists so that the whole workspace, emulator included, is checked for the
//! wasm target from the start.
