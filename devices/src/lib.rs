//! Emulated device nodes: `/dev/dri/card0` (KMS), `/dev/fb0` and `/dev/input/event*`.
//!
//! This crate will own the device models and the `Display`/`Input` handles through which
//! frontends read the scanout and push input, so that no frontend knows DRM or evdev. It
//! holds no code yet: the devices are built once the Linux personality exists to host them
//! (see docs/ARCHITECTURE.md for the order of work).
