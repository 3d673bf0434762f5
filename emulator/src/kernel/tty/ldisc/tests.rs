//! Unit tests of the line discipline alone (the native differential tests are in
//! `tty/native_tests.rs`).

use super::*;
