//! The native frontend's library part: host-side implementations of the traits the
//! emulator defines (file-backed block devices and overlay logs), shared by the `webvm`
//! command and its tests.

pub mod hostfs;
pub mod storage;
