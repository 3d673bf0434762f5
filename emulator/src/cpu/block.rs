//! Decoded basic blocks and their cache.
//!
//! A block is the run of instructions from a guest address up to and including the first
//! one that may leave the straight line (branch, call, ret, int, #UD), at most
//! [`MAX_BLOCK_INSTRUCTIONS`] long. Each instruction is decoded once by iced-x86 and
//! stored with its handler, so executing a block never re-decodes bytes. The pages a
//! block was read from are marked in guest memory; a write to one of them drops every
//! block read from that page.

use super::exec::fast::{select, FastOp};
use super::exec::{classify, ends_block, may_write_memory, refine, Handler};
use super::memory::{Access, GuestAddr, GuestMemory, MemFault, PAGE_SHIFT};
use iced_x86::{Decoder, DecoderError, DecoderOptions, Instruction};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

pub const MAX_BLOCK_INSTRUCTIONS: usize = 64;
/// Bytes fetched at once when decoding a block (longer blocks refetch).
const FETCH_WINDOW: usize = 256;

/// One pre-decoded instruction.
#[derive(Clone, Debug)]
pub struct DecodedOp {
    pub handler: Handler,
    /// Pre-resolved operands for the frequent shapes (`FastOp::None` otherwise).
    pub fast: FastOp,
    /// The instruction may write guest memory (so it may have written decoded code).
    pub may_write: bool,
    pub instr: Instruction,
}

#[derive(Debug, Default)]
pub struct Block {
    pub ops: Vec<DecodedOp>,
    first_page: u32,
    last_page: u32,
}

/// A multiplicative hasher for u32 keys (guest addresses and page numbers).
#[derive(Default)]
pub struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type AddrMap<V> = HashMap<u32, V, BuildHasherDefault<AddrHasher>>;

/// Entries of the direct-mapped table in front of the block map (a power of two).
const RECENT_ENTRIES: usize = 4096;
/// An empty entry of the recent table (no block starts at this address with this id).
const NO_BLOCK: u32 = u32::MAX;

/// Decoded blocks by start address, plus which blocks each page holds.
///
/// Blocks live in a slab; the map from start address to slot is only consulted when the
/// direct-mapped `recent` table (indexed by the low bits of the address) misses, so the
/// common step from one block to the next is one compare and one load.
pub struct BlockCache {
    slots: Vec<Block>,
    free_slots: Vec<u32>,
    by_start: AddrMap<u32>,
    by_page: AddrMap<Vec<u32>>,
    recent: Box<[(u32, u32)]>,
}

impl Default for BlockCache {
    fn default() -> Self {
        BlockCache {
            slots: Vec::new(),
            free_slots: Vec::new(),
            by_start: AddrMap::default(),
            by_page: AddrMap::default(),
            recent: vec![(0, NO_BLOCK); RECENT_ENTRIES].into_boxed_slice(),
        }
    }
}

#[inline(always)]
fn recent_index(eip: u32) -> usize {
    (eip ^ (eip >> 12)) as usize & (RECENT_ENTRIES - 1)
}

impl BlockCache {
    /// The block starting at `eip`, decoding it on first use.
    #[inline]
    pub fn get_or_decode<M: GuestMemory>(
        &mut self,
        eip: u32,
        mem: &mut M,
    ) -> Result<&Block, MemFault> {
        let (tag, slot) = self.recent[recent_index(eip)];
        if tag == eip && (slot as usize) < self.slots.len() {
            return Ok(&self.slots[slot as usize]);
        }
        self.lookup_or_decode(eip, mem)
    }

    #[inline(never)]
    fn lookup_or_decode<M: GuestMemory>(
        &mut self,
        eip: u32,
        mem: &mut M,
    ) -> Result<&Block, MemFault> {
        let slot = match self.by_start.get(&eip) {
            Some(&slot) => slot,
            None => {
                let block = decode_block(eip, mem)?;
                for page in block.first_page..=block.last_page {
                    mem.mark_code_page(page);
                    self.by_page.entry(page).or_default().push(eip);
                }
                let slot = match self.free_slots.pop() {
                    Some(slot) => {
                        self.slots[slot as usize] = block;
                        slot
                    }
                    None => {
                        self.slots.push(block);
                        (self.slots.len() - 1) as u32
                    }
                };
                self.by_start.insert(eip, slot);
                slot
            }
        };
        self.recent[recent_index(eip)] = (eip, slot);
        Ok(&self.slots[slot as usize])
    }

    /// Drops every block decoded from `page`.
    pub fn invalidate_page(&mut self, page: u32) {
        if let Some(starts) = self.by_page.remove(&page) {
            for start in starts {
                if let Some(slot) = self.by_start.remove(&start) {
                    self.slots[slot as usize] = Block::default();
                    self.free_slots.push(slot);
                    let entry = &mut self.recent[recent_index(start)];
                    if entry.0 == start {
                        *entry = (0, NO_BLOCK);
                    }
                }
            }
        }
    }

    pub fn clear(&mut self) {
        self.slots.clear();
        self.free_slots.clear();
        self.by_start.clear();
        self.by_page.clear();
        self.recent.fill((0, NO_BLOCK));
    }

    pub fn len(&self) -> usize {
        self.by_start.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_start.is_empty()
    }
}

fn decode_block<M: GuestMemory>(start: u32, mem: &mut M) -> Result<Block, MemFault> {
    let mut ops = Vec::new();
    let mut eip = start;
    let mut last_byte = start;
    let mut buf = [0u8; FETCH_WINDOW];
    'refill: loop {
        let fetched = match mem.fetch_code(GuestAddr(eip), &mut buf) {
            Ok(n) => n,
            Err(f) if ops.is_empty() => return Err(f),
            Err(_) => break,
        };
        let mut decoder = Decoder::with_ip(32, &buf[..fetched], eip as u64, DecoderOptions::NONE);
        let mut instr = Instruction::default();
        while decoder.can_decode() {
            decoder.decode_out(&mut instr);
            if decoder.last_error() == DecoderError::NoMoreBytes {
                if fetched == FETCH_WINDOW {
                    continue 'refill; // the window cut it: fetch again from here
                }
                // The instruction runs into a page we may not execute.
                if ops.is_empty() {
                    let addr = GuestAddr(eip.wrapping_add(fetched as u32));
                    return Err(MemFault {
                        addr,
                        access: Access::Execute,
                    });
                }
                break 'refill;
            }
            let handler = refine(classify(instr.code()), &instr);
            last_byte = eip.wrapping_add(instr.len() as u32 - 1);
            eip = instr.next_ip32();
            ops.push(DecodedOp {
                handler,
                fast: select(handler, &instr),
                may_write: may_write_memory(handler, &instr),
                instr,
            });
            if ends_block(handler) || ops.len() == MAX_BLOCK_INSTRUCTIONS {
                break 'refill;
            }
        }
        if fetched < FETCH_WINDOW {
            if decoder.can_decode() {
                continue;
            }
            // Ran out of executable bytes exactly at an instruction boundary.
            if ops.is_empty() {
                return Err(MemFault {
                    addr: GuestAddr(eip),
                    access: Access::Execute,
                });
            }
            break;
        }
    }
    Ok(Block {
        ops,
        first_page: start >> PAGE_SHIFT,
        last_page: last_byte >> PAGE_SHIFT,
    })
}
