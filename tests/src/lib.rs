//! Whole-system tests live in `tests/tests/`; this library only anchors the crate.
