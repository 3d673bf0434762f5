//! Virtual memory areas: a contiguous page-aligned range of an address space with one
//! protection, one backing (anonymous or a file at an offset), private or shared.

use std::fmt;
use std::rc::Rc;

/// Page protections as `mmap`/`mprotect` give them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Prot {
    pub read: bool,
    pub write: bool,
    pub exec: bool,
}

impl Prot {
    pub const NONE: Prot = Prot {
        read: false,
        write: false,
        exec: false,
    };
    pub const READ: Prot = Prot {
        read: true,
        write: false,
        exec: false,
    };
    pub const READ_WRITE: Prot = Prot {
        read: true,
        write: true,
        exec: false,
    };
    pub const READ_EXEC: Prot = Prot {
        read: true,
        write: false,
        exec: true,
    };
    pub const ALL: Prot = Prot {
        read: true,
        write: true,
        exec: true,
    };

    /// From the `PROT_*` bits of a syscall (unknown bits are the caller's to reject).
    pub fn from_bits(bits: u32) -> Prot {
        Prot {
            read: bits & 1 != 0,
            write: bits & 2 != 0,
            exec: bits & 4 != 0,
        }
    }

    /// As on x86 without NX for 32-bit tasks, anything readable may be fetched as code
    /// only when `PROT_EXEC` was asked; we keep the stricter rule and report it honestly.
    fn letters(self) -> [u8; 3] {
        [
            if self.read { b'r' } else { b'-' },
            if self.write { b'w' } else { b'-' },
            if self.exec { b'x' } else { b'-' },
        ]
    }
}

/// The contents of a mapped file, as the memory manager needs them.
pub trait MappedFile {
    /// Device and inode numbers: the identity shared mappings are keyed by, and what
    /// `/proc/self/maps` shows.
    fn identity(&self) -> (u64, u64);
    /// The path `/proc/self/maps` shows.
    fn path(&self) -> String;
    /// Current size in bytes: pages wholly past the end raise `SIGBUS`.
    fn size(&self) -> u64;
    /// Fills `page` with the file's bytes at `offset`, zeros past the end of file.
    fn read_page(&self, offset: u64, page: &mut [u8]) -> Result<(), i32>;
    /// Writes a page of a shared mapping back at `offset` (only the part before the end
    /// of file; nothing when it is unchanged). Objects without a store keep the default.
    fn write_page(&self, _offset: u64, _page: &[u8]) -> Result<(), i32> {
        Ok(())
    }
    /// Whether cached pages outlive the last mapping (a SysV segment, whose pages are
    /// its only store, until the owner drops them with `Frames::remove_shared_file_page`).
    fn keep_pages(&self) -> bool {
        false
    }
}

/// What fills a VMA's pages.
#[derive(Clone)]
pub enum Backing {
    /// Zero-filled memory.
    Anonymous,
    /// A file; `offset` is the file offset of the VMA's first page.
    File {
        file: Rc<dyn MappedFile>,
        offset: u64,
    },
}

impl fmt::Debug for Backing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backing::Anonymous => write!(f, "Anonymous"),
            Backing::File { file, offset } => write!(f, "File({}, {offset:#x})", file.path()),
        }
    }
}

/// One area of an address space; `start` and `end` are page aligned, `end` exclusive.
#[derive(Clone, Debug)]
pub struct Vma {
    pub start: u32,
    pub end: u64,
    pub prot: Prot,
    pub shared: bool,
    pub backing: Backing,
    /// `[heap]`, `[stack]`, `[vdso]`: the label `/proc/self/maps` shows for anonymous areas.
    pub label: Option<&'static str>,
    /// The stack: grows down on faults just below it.
    pub grows_down: bool,
}

impl Vma {
    pub fn len(&self) -> u64 {
        self.end - u64::from(self.start)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, addr: u32) -> bool {
        addr >= self.start && u64::from(addr) < self.end
    }

    /// The file offset of the page at `addr`, for file-backed areas.
    pub fn file_offset(&self, addr: u32) -> Option<u64> {
        match &self.backing {
            Backing::File { offset, .. } => Some(offset + u64::from(addr - self.start)),
            Backing::Anonymous => None,
        }
    }

    /// The part of this area from `at` on; `self` keeps the part below.
    pub fn split_off(&mut self, at: u32) -> Vma {
        let mut upper = self.clone();
        upper.start = at;
        if let Backing::File { offset, .. } = &mut upper.backing {
            *offset += u64::from(at - self.start);
        }
        self.end = u64::from(at);
        upper
    }

    /// The line of `/proc/self/maps` for this area.
    pub fn maps_line(&self) -> String {
        let perms = self.prot.letters();
        let perms = format!(
            "{}{}{}{}",
            perms[0] as char,
            perms[1] as char,
            perms[2] as char,
            if self.shared { 's' } else { 'p' }
        );
        let (offset, dev, ino, name) = match &self.backing {
            Backing::File { file, offset } => {
                let (dev, ino) = file.identity();
                (*offset, dev, ino, file.path())
            }
            Backing::Anonymous => (0, 0, 0, self.label.unwrap_or("").to_string()),
        };
        let head = format!(
            "{:08x}-{:08x} {perms} {offset:08x} {:02x}:{:02x} {ino}",
            self.start,
            self.end,
            (dev >> 8) & 0xfff,
            dev & 0xff
        );
        if name.is_empty() {
            format!("{head}\n")
        } else {
            format!("{head:<73}{name}\n")
        }
    }
}
