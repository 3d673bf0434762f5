//! Threads as glibc's `pthread_create` makes them, driven syscall by syscall against a
//! process of the tiny image: `clone` with `CLONE_THREAD|CLONE_SETTLS|CLONE_PARENT_SETTID|
//! CLONE_CHILD_CLEARTID`, a futex wait parked until `FUTEX_WAKE`, a bitset wait that a
//! non-matching wake leaves alone, and thread exit clearing the child tid.

use emulator::block::overlay::{MemoryLogStore, OverlayDevice};
use emulator::kernel::platform::{Clock, Console, ConsoleRead, Platform, SeededEntropy, Stream};
use emulator::kernel::syscall::process::*;
use emulator::kernel::syscall::{dispatch, mem, names::nr, Call, SysError};
use emulator::kernel::task::{Parked, TaskState};
use emulator::kernel::{Kernel, Options};
use frontend_native::storage::BaseImage;
use webvm_tests::profile_dir;

struct FixedClock;

impl Clock for FixedClock {
    fn realtime_ns(&self) -> u64 {
        1_700_000_000_000_000_000
    }
    fn monotonic_ns(&self) -> u64 {
        1_000_000_000
    }
}

struct Silent;

impl Console for Silent {
    fn read(&mut self, _buf: &mut [u8]) -> ConsoleRead {
        ConsoleRead::EndOfFile
    }
    fn input_ready(&mut self) -> bool {
        true
    }
    fn write(&mut self, _stream: Stream, _data: &[u8]) {}
    fn is_terminal(&self, _fd: u32) -> bool {
        false
    }
}

fn call(k: &mut Kernel, tid: u32, nr: u32, args: [u32; 6]) -> Result<u32, SysError> {
    let mut task = k.tasks.remove(&tid).expect("task exists");
    let result = dispatch(
        k,
        &mut task,
        &Call {
            nr,
            args,
            deadline: None,
        },
    );
    if let Err(SysError::Block(deadline)) = result {
        task.state = TaskState::Parked(Parked { nr, args, deadline });
    }
    k.tasks.insert(tid, task);
    result
}

fn retry(k: &mut Kernel, tid: u32) -> Result<u32, SysError> {
    let mut task = k.tasks.remove(&tid).unwrap();
    let TaskState::Parked(p) = task.state else {
        panic!("not parked")
    };
    let result = dispatch(
        k,
        &mut task,
        &Call {
            nr: p.nr,
            args: p.args,
            deadline: p.deadline,
        },
    );
    if !matches!(result, Err(SysError::Block(_))) {
        task.state = TaskState::Runnable;
    }
    k.tasks.insert(tid, task);
    result
}

fn read_u32(k: &mut Kernel, tid: u32, addr: u32) -> u32 {
    let task = k.tasks.remove(&tid).unwrap();
    let v = mem(k, &task, |m| m.read_u32(addr)).unwrap();
    k.tasks.insert(tid, task);
    v
}

fn write_u32(k: &mut Kernel, tid: u32, addr: u32, v: u32) {
    let task = k.tasks.remove(&tid).unwrap();
    mem(k, &task, |m| m.write_u32(addr, v)).unwrap();
    k.tasks.insert(tid, task);
}

#[test]
fn pthread_style_clone_futex_and_exit() {
    let base = BaseImage::open(&profile_dir("tiny")).unwrap();
    let dev = OverlayDevice::open(base.device, MemoryLogStore::new(), &base.id).unwrap();
    let platform = Platform {
        clock: Box::new(FixedClock),
        console: Box::new(Silent),
        entropy: Box::new(SeededEntropy(3)),
    };
    let mut k = Kernel::new(dev, platform, Options::default()).unwrap();
    let pid = k
        .spawn_init(vec![b"/bin/busybox".to_vec(), b"true".to_vec()], vec![])
        .unwrap();
    let esp = k.tasks[&pid].cpu.state.gpr[4];
    // Scratch words on the main stack, below the initial frame.
    let (desc, ptid, ctid, futex_word) = (esp - 0x100, esp - 0x80, esp - 0x7c, esp - 0x78);
    for (i, v) in [u32::MAX, 0x1234_5000, 0xfffff, 0x51]
        .into_iter()
        .enumerate()
    {
        write_u32(&mut k, pid, desc + 4 * i as u32, v);
    }
    let flags = CLONE_VM
        | CLONE_FS
        | CLONE_FILES
        | CLONE_SIGHAND
        | CLONE_THREAD
        | CLONE_SETTLS
        | CLONE_PARENT_SETTID
        | CLONE_CHILD_CLEARTID;
    let tid = call(
        &mut k,
        pid,
        nr::CLONE,
        [flags, esp - 0x2000, ptid, desc, ctid, 0],
    )
    .unwrap();
    assert_ne!(tid, pid);
    assert_eq!(read_u32(&mut k, pid, ptid), tid, "CLONE_PARENT_SETTID");
    let child = &k.tasks[&tid];
    assert_eq!(child.cpu.state.gpr[0], 0, "the child sees 0");
    assert_eq!(child.cpu.state.gpr[4], esp - 0x2000, "the child's stack");
    let entry = read_u32(&mut k, pid, desc);
    assert!((12..15).contains(&entry), "TLS entry chosen: {entry}");
    assert_eq!(
        k.tasks[&tid].cpu.state.descriptor_base((entry << 3) | 3),
        Some(0x1234_5000)
    );
    assert_eq!(k.tasks[&tid].pid(), pid, "same thread group");
    assert_eq!(call(&mut k, tid, nr::GETPID, [0; 6]), Ok(pid));
    assert_eq!(call(&mut k, tid, nr::GETTID, [0; 6]), Ok(tid));

    // FUTEX_WAIT with a stale value fails at once; with the current one it parks.
    write_u32(&mut k, pid, futex_word, 7);
    // FUTEX_WAIT_BITSET|PRIVATE with bitset 1.
    let wait = |val| [futex_word, 9 | 128, val, 0, 0, 1];
    assert!(matches!(
        call(&mut k, tid, nr::FUTEX, wait(6)),
        Err(SysError::Errno(e)) if e.0 == 11
    ));
    assert_eq!(
        call(&mut k, tid, nr::FUTEX, wait(7)),
        Err(SysError::Block(None))
    );
    assert_eq!(
        retry(&mut k, tid),
        Err(SysError::Block(None)),
        "still waiting"
    );
    // A bitset wake that does not match leaves it; a plain wake wakes one.
    assert_eq!(
        call(&mut k, pid, nr::FUTEX, [futex_word, 10 | 128, 1, 0, 0, 2]),
        Ok(0)
    );
    assert_eq!(
        call(&mut k, pid, nr::FUTEX, [futex_word, 1 | 128, 1, 0, 0, 0]),
        Ok(1)
    );
    assert_eq!(retry(&mut k, tid), Ok(0), "woken");

    // The thread exits: its tid word is cleared when it is reaped.
    assert_eq!(read_u32(&mut k, pid, ctid), 0, "not set by clone");
    write_u32(&mut k, pid, ctid, tid);
    assert_eq!(call(&mut k, tid, nr::EXIT, [0; 6]), Err(SysError::Handled));
    assert!(matches!(k.tasks[&tid].state, TaskState::Dead));
    // One scheduling pass reaps it (the main thread runs a few instructions first).
    let _ = k.run(1);
    let _ = k.run(1);
    assert!(!k.tasks.contains_key(&tid), "reaped");
    assert_eq!(read_u32(&mut k, pid, ctid), 0, "CLONE_CHILD_CLEARTID");
    assert_eq!(k.tasks[&pid].process.borrow().threads, vec![pid]);
}
