use super::*;
use crate::mm::{MappedFile, STACK_TOP};
use std::rc::Rc;

fn setup() -> (AddressSpace, Frames) {
    (AddressSpace::new(), Frames::new(64 << 20))
}

fn read_u32(space: &mut AddressSpace, frames: &mut Frames, addr: u32) -> Result<u32, AccessFault> {
    let mut buf = [0u8; 4];
    space.read_bytes(frames, addr, &mut buf)?;
    Ok(u32::from_le_bytes(buf))
}

fn write_u32(
    space: &mut AddressSpace,
    frames: &mut Frames,
    addr: u32,
    v: u32,
) -> Result<(), AccessFault> {
    space.write_bytes(frames, addr, &v.to_le_bytes())
}

struct TestFile {
    data: Vec<u8>,
    ino: u64,
}

/// A file that records what is written back to it.
struct BackedFile {
    data: std::cell::RefCell<Vec<u8>>,
}

impl MappedFile for BackedFile {
    fn identity(&self) -> (u64, u64) {
        (0x801, 99)
    }
    fn path(&self) -> String {
        "/test/backed".into()
    }
    fn size(&self) -> u64 {
        self.data.borrow().len() as u64
    }
    fn read_page(&self, offset: u64, page: &mut [u8]) -> Result<(), i32> {
        page.fill(0);
        let data = self.data.borrow();
        let start = (offset as usize).min(data.len());
        let end = (start + page.len()).min(data.len());
        page[..end - start].copy_from_slice(&data[start..end]);
        Ok(())
    }
    fn write_page(&self, offset: u64, page: &[u8]) -> Result<(), i32> {
        let mut data = self.data.borrow_mut();
        let start = (offset as usize).min(data.len());
        let end = (start + page.len()).min(data.len());
        data[start..end].copy_from_slice(&page[..end - start]);
        Ok(())
    }
}

impl MappedFile for TestFile {
    fn identity(&self) -> (u64, u64) {
        (0x801, self.ino)
    }
    fn path(&self) -> String {
        "/test/file".into()
    }
    fn size(&self) -> u64 {
        self.data.len() as u64
    }
    fn read_page(&self, offset: u64, page: &mut [u8]) -> Result<(), i32> {
        page.fill(0);
        let start = (offset as usize).min(self.data.len());
        let end = (start + page.len()).min(self.data.len());
        page[..end - start].copy_from_slice(&self.data[start..end]);
        Ok(())
    }
}

#[test]
fn anonymous_mappings_are_zeroed_top_down_and_merge() {
    let (mut space, mut frames) = setup();
    let a = space
        .mmap(&mut frames, MapRequest::anonymous(8192, Prot::READ_WRITE))
        .unwrap();
    assert_eq!(a, MMAP_BASE - 8192);
    let b = space
        .mmap(&mut frames, MapRequest::anonymous(4096, Prot::READ_WRITE))
        .unwrap();
    assert_eq!(b, a - 4096);
    assert_eq!(space.vmas().count(), 1, "adjacent anonymous areas merge");
    assert_eq!(read_u32(&mut space, &mut frames, a + 100), Ok(0));
    write_u32(&mut space, &mut frames, a + 100, 0xdeadbeef).unwrap();
    assert_eq!(read_u32(&mut space, &mut frames, a + 100), Ok(0xdeadbeef));
    assert_eq!(frames.in_use(), 1, "only touched pages take frames");
}

#[test]
fn munmap_punches_holes_and_frees_frames() {
    let (mut space, mut frames) = setup();
    let a = space
        .mmap(
            &mut frames,
            MapRequest::anonymous(3 * 4096, Prot::READ_WRITE),
        )
        .unwrap();
    for i in 0..3 {
        write_u32(&mut space, &mut frames, a + i * 4096, i).unwrap();
    }
    space.munmap(&mut frames, a + 4096, 4096).unwrap();
    assert_eq!(space.vmas().count(), 2);
    assert_eq!(frames.in_use(), 2);
    let err = read_u32(&mut space, &mut frames, a + 4096).unwrap_err();
    assert_eq!(err.reason, FaultReason::Unmapped);
    assert_eq!(read_u32(&mut space, &mut frames, a + 8192), Ok(2));
    assert_eq!(
        space.munmap(&mut frames, a + 1, 4096),
        Err(MmError::InvalidArgument)
    );
}

#[test]
fn mprotect_changes_permissions_of_present_pages() {
    let (mut space, mut frames) = setup();
    let a = space
        .mmap(
            &mut frames,
            MapRequest::anonymous(2 * 4096, Prot::READ_WRITE),
        )
        .unwrap();
    write_u32(&mut space, &mut frames, a, 1).unwrap();
    space.mprotect(a, 4096, Prot::READ).unwrap();
    let err = write_u32(&mut space, &mut frames, a, 2).unwrap_err();
    assert_eq!(
        (err.reason, err.access),
        (FaultReason::Protection, Access::Write)
    );
    assert_eq!(read_u32(&mut space, &mut frames, a), Ok(1));
    write_u32(&mut space, &mut frames, a + 4096, 3).unwrap();
    assert!(space.maps().contains("r--p"), "{}", space.maps());
    space.mprotect(a, 4096, Prot::READ_WRITE).unwrap();
    assert_eq!(space.vmas().count(), 1, "areas merge back");
    assert_eq!(
        space.mprotect(0x1000_0000, 4096, Prot::READ),
        Err(MmError::NoMemory)
    );
}

#[test]
fn fixed_mappings_replace_and_noreplace_refuses() {
    let (mut space, mut frames) = setup();
    let mut request = MapRequest::anonymous(4096, Prot::READ_WRITE);
    request.addr = 0xC000_0000;
    request.fixed = true;
    assert_eq!(space.mmap(&mut frames, request.clone()), Ok(0xC000_0000));
    write_u32(&mut space, &mut frames, 0xC000_0000, 5).unwrap();
    assert_eq!(space.mmap(&mut frames, request.clone()), Ok(0xC000_0000));
    assert_eq!(
        read_u32(&mut space, &mut frames, 0xC000_0000),
        Ok(0),
        "replaced, so zero again"
    );
    request.fixed = false;
    request.fixed_noreplace = true;
    assert_eq!(
        space.mmap(&mut frames, request),
        Err(MmError::AlreadyMapped)
    );
}

#[test]
fn brk_grows_and_shrinks_the_heap() {
    let (mut space, mut frames) = setup();
    space.set_brk_start(0x0805_1234);
    assert_eq!(space.brk(&mut frames, 0), 0x0805_2000);
    assert_eq!(space.brk(&mut frames, 0x0806_0010), 0x0806_0010);
    write_u32(&mut space, &mut frames, 0x0806_0000, 9).unwrap();
    assert!(space.maps().contains("[heap]"));
    assert_eq!(space.brk(&mut frames, 0x0805_3000), 0x0805_3000);
    assert!(read_u32(&mut space, &mut frames, 0x0806_0000).is_err());
    assert_eq!(frames.in_use(), 0);
}

#[test]
fn fork_copies_private_pages_on_write_and_shares_shared_ones() {
    let (mut parent, mut frames) = setup();
    let private = parent
        .mmap(&mut frames, MapRequest::anonymous(4096, Prot::READ_WRITE))
        .unwrap();
    let mut shared_req = MapRequest::anonymous(4096, Prot::READ_WRITE);
    shared_req.shared = true;
    let shared = parent.mmap(&mut frames, shared_req).unwrap();
    write_u32(&mut parent, &mut frames, private, 1).unwrap();
    write_u32(&mut parent, &mut frames, shared, 1).unwrap();

    let mut child = parent.fork(&mut frames);
    assert_eq!(frames.in_use(), 2, "fork copies nothing");
    write_u32(&mut child, &mut frames, private, 2).unwrap();
    write_u32(&mut child, &mut frames, shared, 3).unwrap();
    assert_eq!(read_u32(&mut parent, &mut frames, private), Ok(1));
    assert_eq!(read_u32(&mut child, &mut frames, private), Ok(2));
    assert_eq!(read_u32(&mut parent, &mut frames, shared), Ok(3));
    assert_eq!(frames.in_use(), 3);

    // The parent's page is now its own again: writing it must not copy.
    write_u32(&mut parent, &mut frames, private, 4).unwrap();
    assert_eq!(frames.in_use(), 3);
    child.clear(&mut frames);
    parent.clear(&mut frames);
    assert_eq!(frames.in_use(), 0);
}

#[test]
fn file_mappings_read_the_file_and_fault_past_its_end() {
    let (mut a, mut frames) = setup();
    let mut b = AddressSpace::new();
    let data: Vec<u8> = (0..6000u32).map(|i| i as u8).collect();
    let file: Rc<dyn MappedFile> = Rc::new(TestFile { data, ino: 7 });
    let mut request = MapRequest::anonymous(3 * 4096, Prot::READ_WRITE);
    request.backing = Backing::File {
        file: file.clone(),
        offset: 0,
    };
    request.shared = true;
    let pa = a.mmap(&mut frames, request.clone()).unwrap();
    let pb = b.mmap(&mut frames, request).unwrap();
    assert_eq!(
        read_u32(&mut a, &mut frames, pa + 4096),
        Ok(u32::from_le_bytes([0, 1, 2, 3]))
    );
    write_u32(&mut a, &mut frames, pa + 8, 0x11223344).unwrap();
    assert_eq!(
        read_u32(&mut b, &mut frames, pb + 8),
        Ok(0x11223344),
        "shared pages are coherent"
    );
    let err = read_u32(&mut a, &mut frames, pa + 8192).unwrap_err();
    assert_eq!(err.reason, FaultReason::BeyondEndOfFile);

    let mut private = MapRequest::anonymous(4096, Prot::READ_WRITE);
    private.backing = Backing::File { file, offset: 4096 };
    let pp = a.mmap(&mut frames, private).unwrap();
    write_u32(&mut a, &mut frames, pp, 0).unwrap();
    assert_eq!(
        read_u32(&mut b, &mut frames, pb + 4096),
        Ok(u32::from_le_bytes([0, 1, 2, 3])),
        "private writes stay private"
    );
    assert!(a.maps().contains("00001000 08:01 7"), "{}", a.maps());
}

#[test]
fn the_stack_grows_down_within_its_limit() {
    let (mut space, mut frames) = setup();
    let mut stack = MapRequest::anonymous(4096 * 4, Prot::READ_WRITE);
    stack.addr = STACK_TOP - 4096 * 4;
    stack.fixed = true;
    stack.grows_down = true;
    stack.label = Some("[stack]");
    space.mmap(&mut frames, stack).unwrap();
    write_u32(&mut space, &mut frames, STACK_TOP - 100 * 4096, 1).unwrap();
    assert_eq!(
        space.find_vma(STACK_TOP - 100 * 4096).map(|v| v.start),
        Some(STACK_TOP - 100 * 4096)
    );
    let far = STACK_TOP - STACK_LIMIT - 8192;
    assert_eq!(
        write_u32(&mut space, &mut frames, far, 1)
            .unwrap_err()
            .reason,
        FaultReason::Unmapped
    );
}

#[test]
fn accesses_crossing_pages_and_the_top_of_memory_fault_cleanly() {
    let (mut space, mut frames) = setup();
    let a = space
        .mmap(&mut frames, MapRequest::anonymous(4096, Prot::READ_WRITE))
        .unwrap();
    let err = write_u32(&mut space, &mut frames, a + 4094, 1).unwrap_err();
    assert_eq!(err.addr, a + 4096);
    assert!(read_u32(&mut space, &mut frames, 0xFFFF_FFFE).is_err());
    let mut huge = MapRequest::anonymous(u32::MAX, Prot::READ);
    huge.addr = 0x1000;
    assert!(space.mmap(&mut frames, huge).is_err());
}

#[test]
fn exhausting_frames_is_reported_not_panicked() {
    let mut space = AddressSpace::new();
    let mut frames = Frames::new(2 * 4096);
    let a = space
        .mmap(
            &mut frames,
            MapRequest::anonymous(4 * 4096, Prot::READ_WRITE),
        )
        .unwrap();
    write_u32(&mut space, &mut frames, a, 1).unwrap();
    write_u32(&mut space, &mut frames, a + 4096, 1).unwrap();
    let err = write_u32(&mut space, &mut frames, a + 8192, 1).unwrap_err();
    assert_eq!(err.reason, FaultReason::NoMemoryOrIo);
}

#[test]
fn shared_file_pages_are_cached_and_written_back_when_the_last_mapping_goes() {
    let (mut a, mut frames) = setup();
    let mut b = AddressSpace::new();
    let file = Rc::new(BackedFile {
        data: std::cell::RefCell::new(vec![0u8; 5000]),
    });
    let mut request = MapRequest::anonymous(2 * 4096, Prot::READ_WRITE);
    request.backing = Backing::File {
        file: file.clone(),
        offset: 0,
    };
    request.shared = true;
    let pa = a.mmap(&mut frames, request.clone()).unwrap();
    let pb = b.mmap(&mut frames, request).unwrap();
    write_u32(&mut a, &mut frames, pa + 4096, 0xdeadbeef).unwrap();
    assert_eq!(read_u32(&mut b, &mut frames, pb + 4096), Ok(0xdeadbeef));
    assert!(frames.has_file_pages((0x801, 99)));
    a.msync(&mut frames, pa, 8192).unwrap();
    assert_eq!(
        &file.data.borrow()[4096..4100],
        &0xdeadbeefu32.to_le_bytes()
    );
    write_u32(&mut b, &mut frames, pb, 7).unwrap();
    a.munmap(&mut frames, pa, 8192).unwrap();
    assert_eq!(
        file.data.borrow()[0],
        0,
        "b still maps the page: no write-back yet"
    );
    b.munmap(&mut frames, pb, 8192).unwrap();
    assert_eq!(file.data.borrow()[0], 7, "the last unmap wrote it back");
    assert!(!frames.has_file_pages((0x801, 99)), "and emptied the cache");
    assert_eq!(
        file.data.borrow().len(),
        5000,
        "nothing past the end of file"
    );
}

#[test]
fn mremap_grows_in_place_moves_and_keeps_pages() {
    let (mut space, mut frames) = setup();
    let a = space
        .mmap(
            &mut frames,
            MapRequest::anonymous(4 * 4096, Prot::READ_WRITE),
        )
        .unwrap();
    space.munmap(&mut frames, a + 2 * 4096, 2 * 4096).unwrap();
    write_u32(&mut space, &mut frames, a, 42).unwrap();
    assert_eq!(
        space.mremap(&mut frames, a, 2 * 4096, 4 * 4096, false, None),
        Ok(a)
    );
    let mut blocker = MapRequest::anonymous(4096, Prot::READ);
    blocker.addr = a + 4 * 4096;
    blocker.fixed = true;
    space.mmap(&mut frames, blocker).unwrap();
    assert_eq!(
        space.mremap(&mut frames, a, 4 * 4096, 8 * 4096, false, None),
        Err(MmError::NoMemory)
    );
    let in_use = frames.in_use();
    let b = space
        .mremap(&mut frames, a, 4 * 4096, 8 * 4096, true, None)
        .unwrap();
    assert_ne!(a, b);
    assert_eq!(frames.in_use(), in_use, "pages moved, not copied");
    assert_eq!(read_u32(&mut space, &mut frames, b), Ok(42));
    assert_eq!(
        read_u32(&mut space, &mut frames, a).unwrap_err().reason,
        FaultReason::Unmapped
    );
    assert_eq!(
        space.mremap(&mut frames, a, 4096, 2 * 4096, true, None),
        Err(MmError::BadAddress)
    );
}
