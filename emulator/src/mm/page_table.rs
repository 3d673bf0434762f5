//! The page table of one address space: guest page number to frame and permissions, in
//! two levels of 1024 entries so a sparse 4 GiB space costs little.
//!
//! An entry's permission bits are what an access may do *now*: a copy-on-write page is
//! readable but not writable until the write fault copies it.

use super::frames::FrameId;

const ENTRIES: usize = 1024;

/// One page table entry: frame index in the top 20 bits, flags below.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Pte(u32);

impl Pte {
    const PRESENT: u32 = 1 << 0;
    const READ: u32 = 1 << 1;
    const WRITE: u32 = 1 << 2;
    const EXEC: u32 = 1 << 3;
    /// The frame is shared copy-on-write: a write must copy it first (or take it over
    /// when this is the last reference).
    const COW: u32 = 1 << 4;

    pub fn new(frame: FrameId, read: bool, write: bool, exec: bool) -> Pte {
        let mut bits = (frame.0 << 12) | Pte::PRESENT;
        if read {
            bits |= Pte::READ;
        }
        if write {
            bits |= Pte::WRITE;
        }
        if exec {
            bits |= Pte::EXEC;
        }
        Pte(bits)
    }

    pub fn is_present(self) -> bool {
        self.0 & Pte::PRESENT != 0
    }
    pub fn frame(self) -> FrameId {
        FrameId(self.0 >> 12)
    }
    pub fn can_read(self) -> bool {
        self.0 & Pte::READ != 0
    }
    pub fn can_write(self) -> bool {
        self.0 & Pte::WRITE != 0
    }
    pub fn can_exec(self) -> bool {
        self.0 & Pte::EXEC != 0
    }
    pub fn is_cow(self) -> bool {
        self.0 & Pte::COW != 0
    }

    /// The same frame, shared copy-on-write: writes now fault.
    pub fn into_cow(self) -> Pte {
        Pte((self.0 | Pte::COW) & !Pte::WRITE)
    }

    /// The same entry with new permissions; a copy-on-write entry stays unwritable.
    pub fn with_permissions(self, read: bool, write: bool, exec: bool) -> Pte {
        let mut pte = Pte::new(self.frame(), read, write && !self.is_cow(), exec);
        pte.0 |= self.0 & Pte::COW;
        pte
    }
}

/// Guest page number to entry.
#[derive(Default, Clone)]
pub struct PageTable {
    directories: Vec<Option<Box<[Pte; ENTRIES]>>>,
}

impl PageTable {
    pub fn new() -> PageTable {
        PageTable {
            directories: vec![None; ENTRIES],
        }
    }

    pub fn get(&self, page: u32) -> Pte {
        let (dir, index) = split(page);
        match self.directories.get(dir).and_then(|d| d.as_ref()) {
            Some(table) => table[index],
            None => Pte::default(),
        }
    }

    pub fn set(&mut self, page: u32, pte: Pte) {
        let (dir, index) = split(page);
        if dir >= self.directories.len() {
            return;
        }
        let table =
            self.directories[dir].get_or_insert_with(|| Box::new([Pte::default(); ENTRIES]));
        table[index] = pte;
    }

    /// Removes and returns the entry of `page`.
    pub fn take(&mut self, page: u32) -> Pte {
        let old = self.get(page);
        if old.is_present() {
            self.set(page, Pte::default());
        }
        old
    }

    /// Every present entry with its page number, in ascending order.
    pub fn present(&self) -> impl Iterator<Item = (u32, Pte)> + '_ {
        self.directories
            .iter()
            .enumerate()
            .filter_map(|(dir, table)| table.as_ref().map(|t| (dir, t)))
            .flat_map(|(dir, table)| {
                table
                    .iter()
                    .enumerate()
                    .filter(|(_, pte)| pte.is_present())
                    .map(move |(index, pte)| (((dir * ENTRIES) + index) as u32, *pte))
            })
    }
}

fn split(page: u32) -> (usize, usize) {
    (
        (page as usize >> 10) & (ENTRIES - 1),
        page as usize & (ENTRIES - 1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_cow_drops_write() {
        let pte = Pte::new(FrameId(0xABCDE), true, true, false);
        assert_eq!(pte.frame(), FrameId(0xABCDE));
        assert!(pte.can_read() && pte.can_write() && !pte.can_exec());
        let cow = pte.into_cow();
        assert!(cow.is_cow() && !cow.can_write());
        assert!(!cow.with_permissions(true, true, true).can_write());

        let mut table = PageTable::new();
        table.set(0xFFFFF, pte);
        table.set(3, cow);
        let present: Vec<_> = table.present().map(|(page, _)| page).collect();
        assert_eq!(present, vec![3, 0xFFFFF]);
        assert_eq!(table.take(3), cow);
        assert!(!table.get(3).is_present());
    }
}
