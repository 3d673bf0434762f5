//! Guest memory as the CPU sees it: a small trait with typed little-endian reads and
//! writes that fail with a [`MemFault`], and [`PagedMemory`], a simple 4 KiB-page
//! implementation with protections used by tests and benchmarks.
//!
//! The kernel layer provides the real address space (VMAs, frames, TLB) by implementing
//! [`GuestMemory`]. The CPU is generic over it, so the hot path has no dynamic dispatch.
//! An access is all-or-nothing: a multi-byte write that would fault on its second page
//! writes nothing.

use thiserror::Error;

/// A 32-bit guest linear address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GuestAddr(pub u32);

impl GuestAddr {
    #[inline(always)]
    pub fn offset(self, delta: u32) -> GuestAddr {
        GuestAddr(self.0.wrapping_add(delta))
    }
    #[inline(always)]
    pub fn page(self) -> u32 {
        self.0 >> PAGE_SHIFT
    }
}

pub const PAGE_SHIFT: u32 = 12;
pub const PAGE_SIZE: u32 = 1 << PAGE_SHIFT;

/// How the faulting access used memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Execute,
}

/// A failed guest memory access: the first byte that could not be accessed and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error("page fault on {access:?} at {addr:#010x}", addr = .addr.0)]
pub struct MemFault {
    pub addr: GuestAddr,
    pub access: Access,
}

/// Guest memory for the CPU.
///
/// Besides data access it keeps the "page holds decoded code" marks: the decoder marks the
/// pages it reads code from, and a write to a marked page must unmark it, remember it for
/// [`take_written_code_pages`](Self::take_written_code_pages) and bump
/// [`code_write_epoch`](Self::code_write_epoch) so the CPU drops stale blocks.
pub trait GuestMemory {
    fn read_u8(&mut self, addr: GuestAddr) -> Result<u8, MemFault>;
    fn read_u16(&mut self, addr: GuestAddr) -> Result<u16, MemFault>;
    fn read_u32(&mut self, addr: GuestAddr) -> Result<u32, MemFault>;
    fn read_u64(&mut self, addr: GuestAddr) -> Result<u64, MemFault>;
    fn write_u8(&mut self, addr: GuestAddr, value: u8) -> Result<(), MemFault>;
    fn write_u16(&mut self, addr: GuestAddr, value: u16) -> Result<(), MemFault>;
    fn write_u32(&mut self, addr: GuestAddr, value: u32) -> Result<(), MemFault>;
    fn write_u64(&mut self, addr: GuestAddr, value: u64) -> Result<(), MemFault>;
    /// Checks that `len` bytes at `addr` could be written, without writing them.
    fn check_write(&mut self, addr: GuestAddr, len: u32) -> Result<(), MemFault>;
    /// Copies executable bytes at `addr` into `buf`, stopping early at the first page that
    /// is not executable. Returns how many bytes were copied; an error only if none were.
    fn fetch_code(&mut self, addr: GuestAddr, buf: &mut [u8]) -> Result<usize, MemFault>;
    /// Marks `page` (a page number) as holding decoded code.
    fn mark_code_page(&mut self, page: u32);
    /// Changes whenever a page marked as holding code is written.
    fn code_write_epoch(&self) -> u64;
    /// Moves the numbers of code pages written since the last call into `out`.
    fn take_written_code_pages(&mut self, out: &mut Vec<u32>);
}

/// Page protection bits for [`PagedMemory`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Protection {
    pub read: bool,
    pub write: bool,
    pub execute: bool,
}

impl Protection {
    pub const RW: Protection = Protection {
        read: true,
        write: true,
        execute: false,
    };
    pub const RX: Protection = Protection {
        read: true,
        write: false,
        execute: true,
    };
    pub const R: Protection = Protection {
        read: true,
        write: false,
        execute: false,
    };
    pub const RWX: Protection = Protection {
        read: true,
        write: true,
        execute: true,
    };
}

struct Page {
    bytes: Box<[u8; PAGE_SIZE as usize]>,
    protection: Protection,
    holds_code: bool,
}

/// Pages per second-level table of [`PagedMemory`].
const TABLE_PAGES: usize = 1024;

/// A sparse guest address space of 4 KiB pages with protections, for tests and benches.
/// A two-level table (1024 x 1024 pages) keeps lookups cheap and empty spaces small.
pub struct PagedMemory {
    tables: Vec<Option<Box<[Option<Page>]>>>,
    code_epoch: u64,
    written_code_pages: Vec<u32>,
}

impl Default for PagedMemory {
    fn default() -> Self {
        PagedMemory {
            tables: (0..TABLE_PAGES).map(|_| None).collect(),
            code_epoch: 0,
            written_code_pages: Vec::new(),
        }
    }
}

impl PagedMemory {
    pub fn new() -> Self {
        Self::default()
    }

    #[inline(always)]
    fn page(&self, page: u32) -> Option<&Page> {
        let table = self.tables[(page as usize >> 10) & (TABLE_PAGES - 1)].as_ref()?;
        table[page as usize & (TABLE_PAGES - 1)].as_ref()
    }

    #[inline(always)]
    fn page_mut(&mut self, page: u32) -> Option<&mut Page> {
        let table = self.tables[(page as usize >> 10) & (TABLE_PAGES - 1)].as_mut()?;
        table[page as usize & (TABLE_PAGES - 1)].as_mut()
    }

    /// Maps zeroed pages covering `[addr, addr + len)` with `protection` (pages already
    /// mapped keep their bytes and take the new protection).
    pub fn map(&mut self, addr: GuestAddr, len: u32, protection: Protection) {
        let first = addr.page();
        let last = addr.0.wrapping_add(len.max(1) - 1) >> PAGE_SHIFT;
        for page in first..=last {
            let table = self.tables[page as usize >> 10]
                .get_or_insert_with(|| (0..TABLE_PAGES).map(|_| None).collect());
            let slot = &mut table[page as usize & (TABLE_PAGES - 1)];
            match slot {
                Some(p) => p.protection = protection,
                None => {
                    *slot = Some(Page {
                        bytes: Box::new([0; PAGE_SIZE as usize]),
                        protection,
                        holds_code: false,
                    })
                }
            }
        }
    }

    /// Copies `data` into mapped memory ignoring protections (a loader's view).
    pub fn load(&mut self, addr: GuestAddr, data: &[u8]) -> Result<(), MemFault> {
        for (i, &b) in data.iter().enumerate() {
            let a = addr.offset(i as u32);
            let page = self.page_mut(a.page()).ok_or(MemFault {
                addr: a,
                access: Access::Write,
            })?;
            page.bytes[(a.0 & (PAGE_SIZE - 1)) as usize] = b;
        }
        Ok(())
    }

    /// The bytes of the page containing `addr`, if mapped.
    pub fn page_bytes(&self, addr: GuestAddr) -> Option<&[u8; PAGE_SIZE as usize]> {
        self.page(addr.page()).map(|p| &*p.bytes)
    }

    fn allowed(&self, page: u32, access: Access) -> bool {
        match self.page(page) {
            Some(p) => match access {
                Access::Read => p.protection.read,
                Access::Write => p.protection.write,
                Access::Execute => p.protection.execute,
            },
            None => false,
        }
    }

    fn check(&self, addr: GuestAddr, len: u32, access: Access) -> Result<(), MemFault> {
        let last = addr.offset(len - 1);
        if !self.allowed(addr.page(), access) {
            return Err(MemFault { addr, access });
        }
        if last.page() != addr.page() && !self.allowed(last.page(), access) {
            return Err(MemFault {
                addr: GuestAddr(last.0 & !(PAGE_SIZE - 1)),
                access,
            });
        }
        Ok(())
    }

    #[inline(always)]
    fn read_bytes<const N: usize>(&mut self, addr: GuestAddr) -> Result<[u8; N], MemFault> {
        let off = (addr.0 & (PAGE_SIZE - 1)) as usize;
        if off + N <= PAGE_SIZE as usize {
            if let Some(p) = self.page(addr.page()) {
                if p.protection.read {
                    return Ok(p.bytes[off..off + N].try_into().expect("length N"));
                }
            }
            return Err(MemFault {
                addr,
                access: Access::Read,
            });
        }
        self.check(addr, N as u32, Access::Read)?;
        let mut out = [0u8; N];
        for (i, o) in out.iter_mut().enumerate() {
            let a = addr.offset(i as u32);
            *o = self.page(a.page()).expect("checked").bytes[(a.0 & (PAGE_SIZE - 1)) as usize];
        }
        Ok(out)
    }

    #[inline(always)]
    fn write_bytes(&mut self, addr: GuestAddr, data: &[u8]) -> Result<(), MemFault> {
        let off = (addr.0 & (PAGE_SIZE - 1)) as usize;
        if off + data.len() <= PAGE_SIZE as usize {
            let page_no = addr.page();
            match self.page_mut(page_no) {
                Some(p) if p.protection.write => {
                    p.bytes[off..off + data.len()].copy_from_slice(data);
                    if p.holds_code {
                        p.holds_code = false;
                        self.code_epoch += 1;
                        self.written_code_pages.push(page_no);
                    }
                    return Ok(());
                }
                _ => {
                    return Err(MemFault {
                        addr,
                        access: Access::Write,
                    })
                }
            }
        }
        self.check(addr, data.len() as u32, Access::Write)?;
        for (i, &b) in data.iter().enumerate() {
            let a = addr.offset(i as u32);
            let page = self.page_mut(a.page()).expect("checked above");
            page.bytes[(a.0 & (PAGE_SIZE - 1)) as usize] = b;
            if page.holds_code {
                page.holds_code = false;
                self.code_epoch += 1;
                self.written_code_pages.push(a.page());
            }
        }
        Ok(())
    }
}

impl GuestMemory for PagedMemory {
    fn read_u8(&mut self, addr: GuestAddr) -> Result<u8, MemFault> {
        Ok(self.read_bytes::<1>(addr)?[0])
    }
    fn read_u16(&mut self, addr: GuestAddr) -> Result<u16, MemFault> {
        Ok(u16::from_le_bytes(self.read_bytes(addr)?))
    }
    fn read_u32(&mut self, addr: GuestAddr) -> Result<u32, MemFault> {
        Ok(u32::from_le_bytes(self.read_bytes(addr)?))
    }
    fn read_u64(&mut self, addr: GuestAddr) -> Result<u64, MemFault> {
        Ok(u64::from_le_bytes(self.read_bytes(addr)?))
    }
    fn write_u8(&mut self, addr: GuestAddr, value: u8) -> Result<(), MemFault> {
        self.write_bytes(addr, &[value])
    }
    fn write_u16(&mut self, addr: GuestAddr, value: u16) -> Result<(), MemFault> {
        self.write_bytes(addr, &value.to_le_bytes())
    }
    fn write_u32(&mut self, addr: GuestAddr, value: u32) -> Result<(), MemFault> {
        self.write_bytes(addr, &value.to_le_bytes())
    }
    fn write_u64(&mut self, addr: GuestAddr, value: u64) -> Result<(), MemFault> {
        self.write_bytes(addr, &value.to_le_bytes())
    }
    fn check_write(&mut self, addr: GuestAddr, len: u32) -> Result<(), MemFault> {
        self.check(addr, len, Access::Write)
    }
    fn fetch_code(&mut self, addr: GuestAddr, buf: &mut [u8]) -> Result<usize, MemFault> {
        let mut n = 0;
        while n < buf.len() {
            let a = addr.offset(n as u32);
            match self.page(a.page()) {
                Some(p) if p.protection.execute => {
                    let off = (a.0 & (PAGE_SIZE - 1)) as usize;
                    let take = (PAGE_SIZE as usize - off).min(buf.len() - n);
                    buf[n..n + take].copy_from_slice(&p.bytes[off..off + take]);
                    n += take;
                }
                _ if n == 0 => {
                    return Err(MemFault {
                        addr: a,
                        access: Access::Execute,
                    })
                }
                _ => break,
            }
        }
        Ok(n)
    }
    fn mark_code_page(&mut self, page: u32) {
        if let Some(p) = self.page_mut(page) {
            p.holds_code = true;
        }
    }
    fn code_write_epoch(&self) -> u64 {
        self.code_epoch
    }
    fn take_written_code_pages(&mut self, out: &mut Vec<u32>) {
        out.append(&mut self.written_code_pages);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_page_write_is_all_or_nothing() {
        let mut m = PagedMemory::new();
        m.map(GuestAddr(0x1000), 0x1000, Protection::RW);
        m.map(GuestAddr(0x2000), 0x1000, Protection::R);
        let err = m.write_u32(GuestAddr(0x1ffe), 0xdead_beef).unwrap_err();
        assert_eq!(
            err,
            MemFault {
                addr: GuestAddr(0x2000),
                access: Access::Write
            }
        );
        assert_eq!(m.read_u16(GuestAddr(0x1ffe)).unwrap(), 0);
        assert_eq!(
            m.read_u32(GuestAddr(0x2ffe)).unwrap_err().addr,
            GuestAddr(0x3000)
        );
    }

    #[test]
    fn writing_a_code_page_bumps_the_epoch() {
        let mut m = PagedMemory::new();
        m.map(GuestAddr(0x1000), 0x1000, Protection::RWX);
        m.mark_code_page(1);
        m.write_u8(GuestAddr(0x1010), 1).unwrap();
        assert_eq!(m.code_write_epoch(), 1);
        let mut pages = Vec::new();
        m.take_written_code_pages(&mut pages);
        assert_eq!(pages, vec![1]);
    }
}
