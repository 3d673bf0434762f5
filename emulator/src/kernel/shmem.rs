//! The memory object behind a shared anonymous mapping (`MAP_SHARED|MAP_ANONYMOUS`, or
//! `MAP_SHARED` of `/dev/zero`): like Linux's shmem, its pages belong to the object, not
//! to a process, so a parent and the children it forks share every page, whether it
//! was touched before the fork or after. The pages live in the frames' shared-page map
//! under the object's identity, and stay there while any mapping holds the object (a
//! page one process touched and unmapped is still the page another sees); the kernel
//! drops them once the object is gone ([`Kernel::drop_dead_shared_anon`]).

use super::Kernel;
use crate::mm::{FileId, MappedFile};
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicU64, Ordering};

/// Device number of shared anonymous memory (SysV segments use 1).
const SHMEM_DEV: u64 = 4;

static NEXT_INO: AtomicU64 = AtomicU64::new(1);

/// One shared anonymous mapping's memory, zero-filled.
pub struct SharedAnon {
    ino: u64,
    size: u64,
}

impl SharedAnon {
    /// A new object of `len` bytes (a fresh identity each time).
    pub fn new(len: u32) -> SharedAnon {
        SharedAnon {
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            size: u64::from(len).next_multiple_of(4096),
        }
    }
}

impl MappedFile for SharedAnon {
    fn identity(&self) -> (u64, u64) {
        (SHMEM_DEV, self.ino)
    }
    fn path(&self) -> String {
        "/dev/zero (deleted)".to_string()
    }
    fn size(&self) -> u64 {
        self.size
    }
    fn read_page(&self, _offset: u64, page: &mut [u8]) -> Result<(), i32> {
        page.fill(0);
        Ok(())
    }
    /// The cached pages are the object's only store.
    fn keep_pages(&self) -> bool {
        true
    }
}

/// The live shared anonymous objects, to free their pages once no mapping is left.
#[derive(Default)]
pub struct SharedAnonRegistry {
    live: Vec<(Weak<SharedAnon>, FileId)>,
}

impl Kernel {
    /// A new shared anonymous object of `len` bytes, registered for clean-up.
    pub(crate) fn new_shared_anon(&mut self, len: u32) -> Rc<SharedAnon> {
        let object = Rc::new(SharedAnon::new(len));
        self.shared_anon
            .live
            .push((Rc::downgrade(&object), object.identity()));
        object
    }

    /// Frees the pages of shared anonymous objects no mapping holds any more.
    pub(crate) fn drop_dead_shared_anon(&mut self) {
        if self.shared_anon.live.is_empty() {
            return;
        }
        let frames = &mut self.frames;
        self.shared_anon.live.retain(|(object, id)| {
            if object.strong_count() > 0 {
                return true;
            }
            for (page, _) in frames.file_pages(*id, 0..u64::MAX) {
                frames.remove_shared_file_page((*id, page));
            }
            false
        });
    }
}
