//! Host files behind the emulator's storage traits: a read-only base image (a plain
//! file, or a published folder of manifest plus chunks), the overlay log in a file
//! beside it, and the `merge`/`reset` operations on the pair.
//!
//! Never writes the base image; touches no host file other than the overlay and, for
//! `merge`, the output the user named.

pub mod file_device;
pub mod file_log;
pub mod image;

pub use file_device::{FileChunkFetcher, FileDevice};
pub use file_log::FileLogStore;
pub use image::{BaseImage, ImageError};
