//! Register values: the 128-bit [`Xmm`] type with little-endian lane views, and the
//! [`SimdReg`] trait that lets one integer function serve both an MMX register (`u64`)
//! and an XMM register. Owns no instruction semantics.

/// A 128-bit XMM value. Lane 0 is the least significant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Xmm(pub u128);

macro_rules! lanes {
    ($get:ident, $from:ident, $t:ty, $n:expr) => {
        #[inline]
        pub const fn $get(self) -> [$t; $n] {
            let mut out = [0 as $t; $n];
            let bits = <$t>::BITS;
            let mut i = 0;
            while i < $n {
                out[i] = (self.0 >> (i as u32 * bits)) as $t;
                i += 1;
            }
            out
        }
        #[inline]
        pub const fn $from(lanes: [$t; $n]) -> Xmm {
            let bits = <$t>::BITS;
            let mask = u128::MAX >> (128 - bits);
            let mut v = 0u128;
            let mut i = 0;
            while i < $n {
                v |= ((lanes[i] as u128) & mask) << (i as u32 * bits);
                i += 1;
            }
            Xmm(v)
        }
    };
}

impl Xmm {
    lanes!(u8x16, from_u8x16, u8, 16);
    lanes!(u16x8, from_u16x8, u16, 8);
    lanes!(u32x4, from_u32x4, u32, 4);
    lanes!(u64x2, from_u64x2, u64, 2);

    #[inline]
    pub const fn from_bytes(bytes: [u8; 16]) -> Xmm {
        Xmm(u128::from_le_bytes(bytes))
    }
    #[inline]
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0.to_le_bytes()
    }
    #[inline]
    pub const fn low64(self) -> u64 {
        self.0 as u64
    }
    #[inline]
    pub const fn high64(self) -> u64 {
        (self.0 >> 64) as u64
    }
    #[inline]
    pub const fn from_halves(low: u64, high: u64) -> Xmm {
        Xmm(low as u128 | (high as u128) << 64)
    }
    /// This value with its low 32 bits replaced (the `movss`/`ss`-op merge).
    #[inline]
    pub const fn with_low32(self, low: u32) -> Xmm {
        Xmm((self.0 & !0xFFFF_FFFF) | low as u128)
    }
    /// This value with its low 64 bits replaced (the `movsd`/`sd`-op merge).
    #[inline]
    pub const fn with_low64(self, low: u64) -> Xmm {
        Xmm((self.0 & !(u64::MAX as u128)) | low as u128)
    }
}

impl From<u128> for Xmm {
    #[inline]
    fn from(v: u128) -> Xmm {
        Xmm(v)
    }
}

impl From<Xmm> for u128 {
    #[inline]
    fn from(v: Xmm) -> u128 {
        v.0
    }
}

impl From<[u8; 16]> for Xmm {
    /// Bytes as they sit in guest memory (little-endian).
    #[inline]
    fn from(bytes: [u8; 16]) -> Xmm {
        Xmm::from_bytes(bytes)
    }
}

impl From<Xmm> for [u8; 16] {
    #[inline]
    fn from(v: Xmm) -> [u8; 16] {
        v.to_bytes()
    }
}

/// A SIMD integer register: an MMX register (`u64`) or an XMM register ([`Xmm`]).
/// Integer functions work on the value widened to 128 bits and narrow the result.
pub trait SimdReg: Copy {
    /// Width in bytes: 8 or 16.
    const BYTES: u32;
    fn to_u128(self) -> u128;
    fn from_u128(value: u128) -> Self;
}

impl SimdReg for u64 {
    const BYTES: u32 = 8;
    #[inline]
    fn to_u128(self) -> u128 {
        self as u128
    }
    #[inline]
    fn from_u128(value: u128) -> u64 {
        value as u64
    }
}

impl SimdReg for Xmm {
    const BYTES: u32 = 16;
    #[inline]
    fn to_u128(self) -> u128 {
        self.0
    }
    #[inline]
    fn from_u128(value: u128) -> Xmm {
        Xmm(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simd_xmm_lanes_round_trip() {
        let x = Xmm(0x0F0E_0D0C_0B0A_0908_0706_0504_0302_0100);
        assert_eq!(x.u8x16()[5], 5);
        assert_eq!(x.u16x8()[1], 0x0302);
        assert_eq!(x.u32x4()[3], 0x0F0E_0D0C);
        assert_eq!(Xmm::from_u32x4(x.u32x4()), x);
        assert_eq!(Xmm::from_u8x16(x.u8x16()), x);
        assert_eq!(Xmm::from_u16x8(x.u16x8()), x);
        assert_eq!(Xmm::from_u64x2(x.u64x2()), x);
        assert_eq!(x.with_low32(0xAABB_CCDD).u32x4()[0], 0xAABB_CCDD);
    }
}
