//! The on-disk format of an overlay log: one [`LogHeader`] then a sequence of records,
//! each a [`RecordHeader`] optionally followed by one block of data.
//!
//! Owns byte layout, checksums and the recovery scan; knows nothing of where the bytes
//! are kept. All integers are little-endian. See `docs/storage.md` for the guarantee.
//!
//! ```text
//! LogHeader (128 bytes)   magic "WVMOVL01", version, block size, block count,
//!                         base image id, checksum
//! Block record            RecordHeader{kind=BLOCK, seq, block, len=block size} + data
//! ...
//! Commit record           RecordHeader{kind=COMMIT, seq, block=number of block records
//!                         in this commit, len=0}
//! ```
//!
//! Every record carries a CRC-32 over its header and data (the header of the log, written
//! once, carries a truncated SHA-256). A transaction (the block
//! records of one `seq` and the commit record that closes it) counts only if all its
//! records are intact and the commit record is present; recovery keeps every complete
//! transaction and cuts the log after the last one.

use sha2::{Digest, Sha256};
use zerocopy::little_endian::{U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

pub const LOG_MAGIC: [u8; 8] = *b"WVMOVL01";
pub const LOG_VERSION: u32 = 1;
pub const IMAGE_ID_LEN: usize = 80;

pub const KIND_BLOCK: u32 = 0x4b4c_4231; // "1BLK"
pub const KIND_COMMIT: u32 = 0x544d_4331; // "1CMT"

/// The first 128 bytes of an overlay log: what it belongs to.
#[derive(Debug, Clone, FromBytes, IntoBytes, KnownLayout, Immutable)]
#[repr(C)]
pub struct LogHeader {
    pub magic: [u8; 8],
    pub version: U32,
    pub block_size: U32,
    pub block_count: U64,
    /// The base image's id (`sha256-<hex>`), ASCII, zero padded.
    pub image_id: [u8; IMAGE_ID_LEN],
    pub reserved: [u8; 8],
    /// First 16 bytes of the SHA-256 of the bytes before it.
    pub checksum: [u8; 16],
}
const _: () = assert!(std::mem::size_of::<LogHeader>() == 128);

/// The header of one record.
#[derive(Debug, Clone, FromBytes, IntoBytes, KnownLayout, Immutable)]
#[repr(C)]
pub struct RecordHeader {
    pub kind: U32,
    pub reserved: U32,
    /// The transaction this record belongs to; strictly increasing from 1.
    pub seq: U64,
    /// Block number for a block record; record count for a commit record.
    pub block: U64,
    /// Bytes of data after the header.
    pub len: U32,
    pub reserved2: U32,
    /// CRC-32 (IEEE) over the header (with this field zeroed) and the data.
    pub checksum: U32,
    pub reserved3: [u8; 12],
}
const _: () = assert!(std::mem::size_of::<RecordHeader>() == 48);

pub const HEADER_LEN: u64 = std::mem::size_of::<LogHeader>() as u64;
pub const RECORD_LEN: u64 = std::mem::size_of::<RecordHeader>() as u64;

fn digest16(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    let full = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
    out
}

fn crc(parts: &[&[u8]]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    for p in parts {
        h.update(p);
    }
    h.finalize()
}

impl LogHeader {
    pub fn new(block_size: u32, block_count: u64, image_id: &str) -> Option<LogHeader> {
        if image_id.len() > IMAGE_ID_LEN {
            return None;
        }
        let mut id = [0u8; IMAGE_ID_LEN];
        id[..image_id.len()].copy_from_slice(image_id.as_bytes());
        let mut h = LogHeader {
            magic: LOG_MAGIC,
            version: LOG_VERSION.into(),
            block_size: block_size.into(),
            block_count: block_count.into(),
            image_id: id,
            reserved: [0; 8],
            checksum: [0; 16],
        };
        h.checksum = digest16(&[&h.as_bytes()[..112]]);
        Some(h)
    }

    /// Parses and checks a header; `None` if it is not an intact header of our version.
    pub fn parse(bytes: &[u8]) -> Option<LogHeader> {
        let h = LogHeader::read_from_prefix(bytes).ok()?.0;
        if h.magic != LOG_MAGIC || h.version.get() != LOG_VERSION {
            return None;
        }
        if digest16(&[&h.as_bytes()[..112]]) != h.checksum {
            return None;
        }
        Some(h)
    }

    pub fn image_id(&self) -> String {
        let end = self
            .image_id
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(IMAGE_ID_LEN);
        String::from_utf8_lossy(&self.image_id[..end]).into_owned()
    }
}

impl RecordHeader {
    /// A sealed record header for `data`.
    pub fn new(kind: u32, seq: u64, block: u64, data: &[u8]) -> RecordHeader {
        let mut r = RecordHeader {
            kind: kind.into(),
            reserved: 0.into(),
            seq: seq.into(),
            block: block.into(),
            len: (data.len() as u32).into(),
            reserved2: 0.into(),
            checksum: 0.into(),
            reserved3: [0; 12],
        };
        r.checksum = crc(&[r.as_bytes(), data]).into();
        r
    }

    /// Whether the checksum matches this header and `data`.
    pub fn verify(&self, data: &[u8]) -> bool {
        let mut copy = self.clone();
        copy.checksum = 0.into();
        crc(&[copy.as_bytes(), data]) == self.checksum.get()
    }
}

/// Appends a block record to `out`.
pub fn encode_block(out: &mut Vec<u8>, seq: u64, block: u64, data: &[u8]) {
    out.extend_from_slice(RecordHeader::new(KIND_BLOCK, seq, block, data).as_bytes());
    out.extend_from_slice(data);
}

/// Appends a commit record closing transaction `seq` of `count` block records.
pub fn encode_commit(out: &mut Vec<u8>, seq: u64, count: u64) {
    out.extend_from_slice(RecordHeader::new(KIND_COMMIT, seq, count, &[]).as_bytes());
}
