//! A process's memory as the CPU and the syscall layer use it: [`Mm`] wraps the
//! [`AddressSpace`] with the "page holds decoded code" marks the CPU needs, and
//! [`UserMem`] borrows it with the machine's frames to implement
//! [`GuestMemory`] and the copy-from/to-user helpers syscalls use (a bad pointer is
//! `EFAULT`, never a panic).

use super::errno::{Errno, KResult};
use crate::cpu::{Access as CpuAccess, GuestAddr, GuestMemory, MemFault};
use crate::mm::{Access, AccessFault, AddressSpace, FrameId, Frames, PAGE_SIZE};
use zerocopy::{FromBytes, Immutable, IntoBytes};

/// One process's memory: shared by the threads of a process.
pub struct Mm {
    pub space: AddressSpace,
    /// One bit per guest page: the page holds decoded code.
    code_pages: Vec<u64>,
    code_epoch: u64,
    written_code_pages: Vec<u32>,
    /// The local descriptor table (`modify_ldt`), as 8-byte descriptors.
    pub ldt: Vec<[u8; 8]>,
}

impl Mm {
    pub fn new(space: AddressSpace) -> Mm {
        Mm {
            space,
            code_pages: vec![0; (1 << 20) / 64],
            code_epoch: 0,
            written_code_pages: Vec::new(),
            ldt: Vec::new(),
        }
    }

    /// Changes whenever a code page is written (threads compare it between time slices).
    pub fn code_epoch(&self) -> u64 {
        self.code_epoch
    }

    /// Forgets every code mark (after `execve`).
    pub fn reset_code_marks(&mut self) {
        self.code_pages.iter_mut().for_each(|w| *w = 0);
        self.written_code_pages.clear();
        self.code_epoch += 1;
    }

    /// Drops the code marks of `[addr, addr + len)` after its mappings changed
    /// (`munmap`, `mremap`, `MAP_FIXED`), so code decoded there is decoded again.
    pub fn forget_code(&mut self, addr: u32, len: u32) {
        let first = addr / PAGE_SIZE;
        let last = (u64::from(addr) + u64::from(len)).div_ceil(u64::from(PAGE_SIZE));
        let last = last.min(1 << 20) as u32;
        for page in first..last {
            self.note_write(page);
        }
    }

    /// Records a write to `page`; true if it held decoded code (the epoch moved).
    #[inline]
    fn note_write(&mut self, page: u32) -> bool {
        let (word, bit) = ((page >> 6) as usize, page & 63);
        if self.code_pages[word] & (1 << bit) != 0 {
            self.code_pages[word] &= !(1 << bit);
            self.code_epoch += 1;
            self.written_code_pages.push(page);
            return true;
        }
        false
    }
}

/// Entries of each software TLB (direct-mapped by the low bits of the page number).
const TLB_ENTRIES: usize = 128;

const NO_PAGE: u32 = u32::MAX;

/// Recently translated pages and their frames, for one kind of access.
struct Tlb {
    pages: [u32; TLB_ENTRIES],
    frames: [FrameId; TLB_ENTRIES],
}

impl Tlb {
    fn new() -> Tlb {
        Tlb {
            pages: [NO_PAGE; TLB_ENTRIES],
            frames: [FrameId(0); TLB_ENTRIES],
        }
    }

    #[inline]
    fn get(&self, page: u32) -> Option<FrameId> {
        let i = page as usize % TLB_ENTRIES;
        (self.pages[i] == page).then(|| self.frames[i])
    }

    #[inline]
    fn set(&mut self, page: u32, frame: FrameId) {
        let i = page as usize % TLB_ENTRIES;
        self.pages[i] = page;
        self.frames[i] = frame;
    }

    /// Points an entry for `page`, if there is one, at `frame`.
    #[inline]
    fn update(&mut self, page: u32, frame: FrameId) {
        let i = page as usize % TLB_ENTRIES;
        if self.pages[i] == page {
            self.frames[i] = frame;
        }
    }

    fn clear(&mut self) {
        self.pages = [NO_PAGE; TLB_ENTRIES];
    }

    fn remove(&mut self, page: u32) {
        let i = page as usize % TLB_ENTRIES;
        if self.pages[i] == page {
            self.pages[i] = NO_PAGE;
        }
    }
}

/// An [`Mm`] together with the frames: what the CPU runs against.
///
/// It keeps recently translated pages for reading and for writing (a small software TLB
/// each). Mappings cannot change while it lives except through its own translations; a
/// write translation (which may break copy-on-write and give the page a new frame)
/// updates the read entry of that page. A page holding decoded code never stays in the
/// write TLB, so a write that hits it needs no code check: the first write to a code
/// page misses, drops the page's code and moves the code epoch (mirrored here so the
/// interpreter's check after each writing instruction is one load).
pub struct UserMem<'a> {
    pub mm: &'a mut Mm,
    pub frames: &'a mut Frames,
    read_tlb: Tlb,
    write_tlb: Tlb,
    code_epoch: u64,
}

fn cpu_fault(f: AccessFault) -> MemFault {
    MemFault {
        addr: GuestAddr(f.addr),
        access: match f.access {
            Access::Read => CpuAccess::Read,
            Access::Write => CpuAccess::Write,
            Access::Execute => CpuAccess::Execute,
        },
    }
}

impl<'a> UserMem<'a> {
    pub fn new(mm: &'a mut Mm, frames: &'a mut Frames) -> UserMem<'a> {
        let code_epoch = mm.code_epoch;
        UserMem {
            mm,
            frames,
            read_tlb: Tlb::new(),
            write_tlb: Tlb::new(),
            code_epoch,
        }
    }

    #[inline(always)]
    fn read_frame(&mut self, addr: u32) -> Result<FrameId, MemFault> {
        let page = addr / PAGE_SIZE;
        if let Some(frame) = self.read_tlb.get(page) {
            return Ok(frame);
        }
        self.read_frame_miss(addr)
    }

    #[cold]
    #[inline(never)]
    fn read_frame_miss(&mut self, addr: u32) -> Result<FrameId, MemFault> {
        let page = addr / PAGE_SIZE;
        let frame = self
            .mm
            .space
            .translate(self.frames, addr, Access::Read)
            .map_err(cpu_fault)?;
        self.read_tlb.set(page, frame);
        Ok(frame)
    }

    #[inline(always)]
    fn write_frame(&mut self, addr: u32) -> Result<FrameId, MemFault> {
        let page = addr / PAGE_SIZE;
        if let Some(frame) = self.write_tlb.get(page) {
            return Ok(frame);
        }
        self.write_frame_miss(addr)
    }

    #[cold]
    #[inline(never)]
    fn write_frame_miss(&mut self, addr: u32) -> Result<FrameId, MemFault> {
        let page = addr / PAGE_SIZE;
        let frame = self
            .mm
            .space
            .translate(self.frames, addr, Access::Write)
            .map_err(cpu_fault)?;
        // A code page is written: its decoded blocks go, and only then may it be cached.
        self.note_write(page);
        self.write_tlb.set(page, frame);
        self.read_tlb.update(page, frame);
        Ok(frame)
    }

    /// Records a write to `page` and mirrors the code epoch.
    #[inline]
    fn note_write(&mut self, page: u32) {
        if self.mm.note_write(page) {
            self.code_epoch = self.mm.code_epoch;
        }
    }

    /// Forgets the cached translations (after memory changed behind this view).
    fn forget(&mut self) {
        self.read_tlb.clear();
        self.write_tlb.clear();
    }

    #[inline(always)]
    fn read_n<const N: usize>(&mut self, addr: u32) -> Result<[u8; N], MemFault> {
        let mut out = [0u8; N];
        let off = (addr % PAGE_SIZE) as usize;
        if off + N <= PAGE_SIZE as usize {
            let frame = self.read_frame(addr)?;
            out.copy_from_slice(&self.frames.bytes(frame)[off..off + N]);
        } else {
            self.mm
                .space
                .read_bytes(self.frames, addr, &mut out)
                .map_err(cpu_fault)?;
        }
        Ok(out)
    }

    #[inline(always)]
    fn write_n<const N: usize>(&mut self, addr: u32, data: &[u8; N]) -> Result<(), MemFault> {
        let off = (addr % PAGE_SIZE) as usize;
        if off + data.len() <= PAGE_SIZE as usize {
            let frame = self.write_frame(addr)?;
            self.frames.bytes_mut(frame)[off..off + N].copy_from_slice(data);
        } else if let Some(second) = addr.checked_add(data.len() as u32 - 1) {
            // Across two pages, all or nothing: both are made writable first.
            let second_frame = self.write_frame(second)?;
            let first_frame = self.write_frame(addr)?;
            let head = PAGE_SIZE as usize - off;
            self.frames.bytes_mut(first_frame)[off..].copy_from_slice(&data[..head]);
            self.frames.bytes_mut(second_frame)[..data.len() - head].copy_from_slice(&data[head..]);
            self.note_write(addr / PAGE_SIZE);
            self.note_write(second / PAGE_SIZE);
        } else {
            // Wrapping past 4 GiB: the generic path reports the fault.
            let second = addr.wrapping_add(data.len() as u32 - 1);
            self.mm
                .space
                .translate(self.frames, second, Access::Write)
                .map_err(cpu_fault)?;
            self.forget();
            self.mm
                .space
                .write_bytes(self.frames, addr, &data[..])
                .map_err(cpu_fault)?;
            self.note_write(addr / PAGE_SIZE);
            self.note_write(second / PAGE_SIZE);
        }
        Ok(())
    }

    /// copy_from_user.
    pub fn read(&mut self, addr: u32, buf: &mut [u8]) -> KResult<()> {
        if buf.is_empty() {
            return Ok(());
        }
        self.mm
            .space
            .read_bytes(self.frames, addr, buf)
            .map_err(|_| Errno::EFAULT)
    }

    /// copy_to_user.
    pub fn write(&mut self, addr: u32, data: &[u8]) -> KResult<()> {
        if data.is_empty() {
            return Ok(());
        }
        self.forget();
        self.mm
            .space
            .write_bytes(self.frames, addr, data)
            .map_err(|_| Errno::EFAULT)?;
        let last_byte = addr.wrapping_add(data.len() as u32 - 1).max(addr);
        let (first, last) = (addr / PAGE_SIZE, last_byte / PAGE_SIZE);
        for page in first..=last {
            self.note_write(page);
        }
        Ok(())
    }

    pub fn read_vec(&mut self, addr: u32, len: usize) -> KResult<Vec<u8>> {
        let mut v = vec![0u8; len];
        self.read(addr, &mut v)?;
        Ok(v)
    }

    pub fn read_u32(&mut self, addr: u32) -> KResult<u32> {
        let mut b = [0u8; 4];
        self.read(addr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    pub fn write_u32(&mut self, addr: u32, v: u32) -> KResult<()> {
        self.write(addr, &v.to_le_bytes())
    }

    /// Reads a plain-old-data guest structure.
    pub fn read_obj<T: FromBytes + IntoBytes>(&mut self, addr: u32) -> KResult<T> {
        let mut v = T::new_zeroed();
        self.read(addr, v.as_mut_bytes())?;
        Ok(v)
    }

    /// Writes a plain-old-data guest structure.
    pub fn write_obj<T: IntoBytes + Immutable>(&mut self, addr: u32, v: &T) -> KResult<()> {
        self.write(addr, v.as_bytes())
    }

    /// A NUL-terminated string of at most `max` bytes (`ENAMETOOLONG` beyond).
    pub fn read_cstr(&mut self, addr: u32, max: usize) -> KResult<Vec<u8>> {
        let mut out = Vec::new();
        let mut at = addr;
        loop {
            let room = (PAGE_SIZE - at % PAGE_SIZE) as usize;
            let mut chunk = vec![0u8; room.min(256)];
            self.read(at, &mut chunk)?;
            if let Some(nul) = chunk.iter().position(|&b| b == 0) {
                out.extend_from_slice(&chunk[..nul]);
                return Ok(out);
            }
            out.extend_from_slice(&chunk);
            if out.len() > max {
                return Err(Errno::ENAMETOOLONG);
            }
            at = at.wrapping_add(chunk.len() as u32);
        }
    }

    /// A NULL-terminated array of string pointers (argv, envp).
    pub fn read_cstr_array(&mut self, addr: u32) -> KResult<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        if addr == 0 {
            return Ok(out);
        }
        for i in 0..0x10000u32 {
            let p = self.read_u32(addr.wrapping_add(i * 4))?;
            if p == 0 {
                return Ok(out);
            }
            out.push(self.read_cstr(p, 128 * 1024)?);
        }
        Err(Errno::E2BIG)
    }
}

impl GuestMemory for UserMem<'_> {
    #[inline(always)]
    fn read_u8(&mut self, addr: GuestAddr) -> Result<u8, MemFault> {
        Ok(self.read_n::<1>(addr.0)?[0])
    }
    #[inline(always)]
    fn read_u16(&mut self, addr: GuestAddr) -> Result<u16, MemFault> {
        Ok(u16::from_le_bytes(self.read_n(addr.0)?))
    }
    #[inline(always)]
    fn read_u32(&mut self, addr: GuestAddr) -> Result<u32, MemFault> {
        Ok(u32::from_le_bytes(self.read_n(addr.0)?))
    }
    #[inline(always)]
    fn read_u64(&mut self, addr: GuestAddr) -> Result<u64, MemFault> {
        Ok(u64::from_le_bytes(self.read_n(addr.0)?))
    }
    #[inline(always)]
    fn write_u8(&mut self, addr: GuestAddr, value: u8) -> Result<(), MemFault> {
        self.write_n(addr.0, &[value])
    }
    #[inline(always)]
    fn write_u16(&mut self, addr: GuestAddr, value: u16) -> Result<(), MemFault> {
        self.write_n(addr.0, &value.to_le_bytes())
    }
    #[inline(always)]
    fn write_u32(&mut self, addr: GuestAddr, value: u32) -> Result<(), MemFault> {
        self.write_n(addr.0, &value.to_le_bytes())
    }
    #[inline(always)]
    fn write_u64(&mut self, addr: GuestAddr, value: u64) -> Result<(), MemFault> {
        self.write_n(addr.0, &value.to_le_bytes())
    }
    fn check_write(&mut self, addr: GuestAddr, len: u32) -> Result<(), MemFault> {
        if len == 0 {
            return Ok(());
        }
        let last = addr.0.wrapping_add(len - 1);
        let mut page = addr.0 & !(PAGE_SIZE - 1);
        loop {
            let at = page.max(addr.0);
            self.write_frame(at)?;
            if page >= (last & !(PAGE_SIZE - 1)) {
                return Ok(());
            }
            page += PAGE_SIZE;
        }
    }
    fn fetch_code(&mut self, addr: GuestAddr, buf: &mut [u8]) -> Result<usize, MemFault> {
        let mut n = 0;
        while n < buf.len() {
            let at = addr.0.wrapping_add(n as u32);
            match self.mm.space.translate(self.frames, at, Access::Execute) {
                Ok(frame) => {
                    let off = (at % PAGE_SIZE) as usize;
                    let take = (PAGE_SIZE as usize - off).min(buf.len() - n);
                    buf[n..n + take].copy_from_slice(&self.frames.bytes(frame)[off..off + take]);
                    n += take;
                }
                Err(f) if n == 0 => return Err(cpu_fault(f)),
                Err(_) => break,
            }
        }
        Ok(n)
    }
    fn mark_code_page(&mut self, page: u32) {
        let (word, bit) = ((page >> 6) as usize, page & 63);
        if let Some(w) = self.mm.code_pages.get_mut(word) {
            *w |= 1 << bit;
        }
        self.write_tlb.remove(page);
    }
    #[inline(always)]
    fn code_write_epoch(&self) -> u64 {
        self.code_epoch
    }
    fn take_written_code_pages(&mut self, out: &mut Vec<u32>) {
        out.append(&mut self.mm.written_code_pages);
    }
}
