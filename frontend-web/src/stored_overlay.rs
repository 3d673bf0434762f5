//! Opening the overlay kept in IndexedDB, compacting it when it has grown much larger
//! than the blocks it holds (the log only ever appends: a block rewritten a thousand
//! times is stored a thousand times).
//!
//! Compaction happens at boot, before the guest runs: the latest version of each block
//! is written into a fresh log, which is persisted in one `Persist` call (one IndexedDB
//! transaction that also drops the pages past its end), so a tab closed meanwhile keeps
//! either the old log or the new one, never a mix. If compacting fails, the old log is
//! used as loaded.

use crate::paged_log::{PagedLog, Persist};
use emulator::block::overlay::format::{HEADER_LEN, RECORD_LEN};
use emulator::block::overlay::OverlayDevice;
use emulator::block::{BlockDevice, BlockError};

/// Logs smaller than this are left alone (compaction would save little).
pub const COMPACT_MIN_BYTES: u64 = 4 << 20;

/// A log is compacted when it is more than this many times its compacted size.
pub const COMPACT_RATIO: u64 = 2;

/// How the stored log was opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opened {
    /// Log bytes as loaded.
    pub loaded: u64,
    /// Log bytes after opening (smaller when compacted).
    pub now: u64,
}

/// The size a log holding one version of each of `blocks` blocks would have.
fn compacted_size(blocks: u64, block_size: u32) -> u64 {
    HEADER_LEN + blocks * (RECORD_LEN + u64::from(block_size)) + RECORD_LEN
}

/// Opens the overlay over the base `make_base` gives from the stored `log`; changes go
/// to the hook `make_persist` gives (each is called again if a compaction attempt
/// fails and the loaded log must be reopened).
pub fn open_stored_overlay<B: BlockDevice, P: Persist>(
    make_base: impl Fn() -> Result<B, BlockError>,
    log: Vec<u8>,
    make_persist: impl Fn() -> Option<P>,
    image_id: &str,
) -> Result<(OverlayDevice<B, PagedLog<P>>, Opened), BlockError> {
    let loaded = log.len() as u64;
    let as_loaded = |log: Vec<u8>| {
        let dev = OverlayDevice::open(make_base()?, PagedLog::new(log, make_persist()), image_id)?;
        let now = dev.log_len();
        Ok((dev, Opened { loaded, now }))
    };
    if loaded < COMPACT_MIN_BYTES {
        return as_loaded(log);
    }
    // A view without persistence decides; the loaded bytes are kept to reopen.
    let keep = log.clone();
    let view = OverlayDevice::open(make_base()?, PagedLog::<P>::new(log, None), image_id)?;
    let live = compacted_size(view.written_blocks().len() as u64, view.block_size());
    let Some(persist) = make_persist().filter(|_| view.log_len() > live * COMPACT_RATIO) else {
        drop(view);
        return as_loaded(keep);
    };
    match view.compact_into(PagedLog::new(Vec::new(), Some(persist))) {
        Ok(dev) => {
            let now = dev.log_len();
            Ok((dev, Opened { loaded, now }))
        }
        Err(_) => as_loaded(keep),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use emulator::block::memory::MemoryDevice;
    use std::cell::RefCell;
    use std::rc::Rc;

    const BS: u32 = 4096;
    const BLOCKS: u64 = 256;

    /// IndexedDB as the page keeps it: pages and a length, replaced per call.
    #[derive(Default)]
    struct Db {
        pages: std::collections::BTreeMap<u64, Vec<u8>>,
        len: u64,
        fail: bool,
    }

    #[derive(Clone)]
    struct Hook(Rc<RefCell<Db>>);

    impl Persist for Hook {
        fn persist(&mut self, len: u64, pages: &[(u64, &[u8])]) -> Result<(), String> {
            let mut db = self.0.borrow_mut();
            if db.fail {
                return Err("quota exceeded".into());
            }
            for (i, b) in pages {
                db.pages.insert(*i, b.to_vec());
            }
            let keep = len.div_ceil(crate::paged_log::PAGE_BYTES as u64);
            db.pages.retain(|&i, _| i < keep);
            db.len = len;
            Ok(())
        }
    }

    impl Db {
        fn load(&self) -> Vec<u8> {
            let mut v: Vec<u8> = self.pages.values().flatten().copied().collect();
            v.truncate(self.len as usize);
            v
        }
    }

    fn base() -> Result<MemoryDevice, BlockError> {
        Ok(MemoryDevice::new(BS, BLOCKS))
    }

    fn block(fill: u8) -> Vec<u8> {
        vec![fill; BS as usize]
    }

    /// Writes block `b` `times` times (syncing each time), last with `last`.
    fn rewrite(db: &Rc<RefCell<Db>>, b: u64, times: u32, last: u8) {
        let log = db.borrow().load();
        let (mut dev, _) =
            open_stored_overlay(base, log, || Some(Hook(db.clone())), "img").unwrap();
        for i in 0..times {
            let fill = if i + 1 == times { last } else { i as u8 };
            dev.write_block(b, &block(fill)).unwrap();
            dev.flush().unwrap();
        }
    }

    fn read(db: &Rc<RefCell<Db>>, b: u64) -> (Vec<u8>, Opened) {
        let log = db.borrow().load();
        let (mut dev, opened) =
            open_stored_overlay(base, log, || Some(Hook(db.clone())), "img").unwrap();
        let mut buf = block(0);
        dev.read_block(b, &mut buf).unwrap();
        (buf, opened)
    }

    #[test]
    fn a_small_log_is_kept_as_it_is() {
        let db = Rc::new(RefCell::new(Db::default()));
        rewrite(&db, 3, 10, 0xaa);
        let (data, opened) = read(&db, 3);
        assert_eq!(data, block(0xaa));
        assert_eq!(opened.loaded, opened.now);
    }

    #[test]
    fn a_log_of_rewrites_is_compacted_and_keeps_the_latest_data() {
        let db = Rc::new(RefCell::new(Db::default()));
        rewrite(&db, 7, 1, 0x55);
        rewrite(&db, 3, 2000, 0xaa);
        let before = db.borrow().len;
        assert!(before > COMPACT_MIN_BYTES);
        let (data, opened) = read(&db, 3);
        assert_eq!(data, block(0xaa));
        assert_eq!(opened.loaded, before);
        assert!(
            opened.now < 3 * u64::from(BS),
            "compacted to {}",
            opened.now
        );
        // What is stored now is the compacted log, and it reopens to the same blocks.
        assert_eq!(db.borrow().len, opened.now);
        let (data, again) = read(&db, 7);
        assert_eq!(data, block(0x55));
        assert_eq!(again.loaded, again.now);
        assert_eq!(read(&db, 4).0, block(0));
    }

    #[test]
    fn a_failed_compaction_leaves_the_stored_log_and_boots_from_it() {
        let db = Rc::new(RefCell::new(Db::default()));
        rewrite(&db, 3, 2000, 0xaa);
        let before = db.borrow().load();
        db.borrow_mut().fail = true;
        let (data, opened) = read(&db, 3);
        assert_eq!(data, block(0xaa));
        assert_eq!(opened.now, before.len() as u64);
        assert_eq!(db.borrow().load(), before);
    }
}
