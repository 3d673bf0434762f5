//! Differential tests of the integer (MMX/SSE2) operations.
