//! Memory-only objects that shared mappings map: the memory behind a shared anonymous
//! mapping (`MAP_SHARED|MAP_ANONYMOUS`, or `MAP_SHARED` of `/dev/zero`), and a System V
//! shared memory segment (`ipc/shm.rs`). Like Linux's shmem, their pages belong to the
//! object, not to a process, so a parent and the children it forks share every page,
//! whether it was touched before the fork or after. The pages live in the frames'
//! shared-page map under the object's identity and stay there while the object lives
//! (a page one process touched and unmapped is still the page another sees); the kernel
//! drops them once it is gone: a segment when it is destroyed, a shared anonymous
//! object when no mapping holds it any more ([`Kernel::drop_dead_shared_anon`]).

use super::Kernel;
use crate::mm::{FileId, MappedFile};
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicU64, Ordering};

/// Device number of shared anonymous memory (SysV segments use 1).
const SHARED_ANON_DEV: u64 = 4;

static NEXT_ANON_INO: AtomicU64 = AtomicU64::new(1);

/// Zero-filled memory with an identity, a size and the name `/proc/self/maps` shows.
pub struct MemoryObject {
    dev: u64,
    pub ino: u64,
    path: String,
    size: u64,
}

impl MemoryObject {
    pub fn new(dev: u64, ino: u64, path: String, size: u64) -> MemoryObject {
        MemoryObject {
            dev,
            ino,
            path,
            size,
        }
    }

    /// The memory of a new shared anonymous mapping of `len` bytes.
    fn anonymous(len: u32) -> MemoryObject {
        MemoryObject::new(
            SHARED_ANON_DEV,
            NEXT_ANON_INO.fetch_add(1, Ordering::Relaxed),
            "/dev/zero (deleted)".to_string(),
            u64::from(len).next_multiple_of(4096),
        )
    }
}

impl MappedFile for MemoryObject {
    fn identity(&self) -> (u64, u64) {
        (self.dev, self.ino)
    }
    fn path(&self) -> String {
        self.path.clone()
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
    live: Vec<(Weak<MemoryObject>, FileId)>,
}

impl Kernel {
    /// A new shared anonymous object of `len` bytes, registered for clean-up.
    pub(crate) fn new_shared_anon(&mut self, len: u32) -> Rc<MemoryObject> {
        let object = Rc::new(MemoryObject::anonymous(len));
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
            let alive = object.strong_count() > 0;
            if !alive {
                frames.drop_shared_file_pages(*id);
            }
            alive
        });
    }
}
