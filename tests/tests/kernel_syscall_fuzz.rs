//! No guest argument panics the kernel: every syscall number is called with seeded
//! random arguments (and with pointers into and just outside mapped memory) from a
//! freshly started process of the tiny image. Errors are fine; a panic fails the test.
//!
//! `WEBVM_FUZZ_SEED` picks another seed.

use emulator::block::overlay::{MemoryLogStore, OverlayDevice};
use emulator::kernel::platform::{Clock, Console, ConsoleRead, Platform, SeededEntropy, Stream};
use emulator::kernel::syscall::{dispatch, names, Call, SysError};
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

fn boot() -> Kernel {
    let base = BaseImage::open(&profile_dir("tiny")).expect("open image");
    let dev = OverlayDevice::open(base.device, MemoryLogStore::new(), &base.id).unwrap();
    let platform = Platform {
        clock: Box::new(FixedClock),
        console: Box::new(Silent),
        entropy: Box::new(SeededEntropy(7)),
    };
    Kernel::new(dev, platform, Options::default()).expect("boot")
}

#[test]
fn random_arguments_never_panic() {
    let seed: u64 = std::env::var("WEBVM_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_cafe);
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut kernel = boot();
    let pid = kernel
        .spawn_init(vec![b"/bin/busybox".to_vec(), b"true".to_vec()], vec![])
        .expect("start busybox");
    let stack = kernel.tasks[&pid].cpu.state.gpr[4];
    let interesting = [
        0u32,
        1,
        u32::MAX,
        0x7fff_ffff,
        0x8000_0000,
        stack,
        stack.wrapping_sub(4096),
        0xffff_e000 - 1,
        0xffff_dff0,
        4096,
    ];
    let mut calls = 0;
    for round in 0..40 {
        for nr in 0..names::COUNT as u32 {
            // execve would replace the program under test with a random one.
            if nr == names::nr::EXECVE {
                continue;
            }
            let mut args = [0u32; 6];
            for a in &mut args {
                let r = next();
                *a = if r % 3 == 0 {
                    interesting[(r >> 8) as usize % interesting.len()]
                } else if r % 3 == 1 {
                    (r >> 16) as u32 % 64
                } else {
                    (r >> 16) as u32
                };
            }
            let call = Call {
                nr,
                args,
                deadline: None,
            };
            let mut task = kernel.tasks.remove(&pid).expect("the task is still there");
            let result = dispatch(&mut kernel, &mut task, &call);
            if let Err(SysError::Block(_)) = result {
                // A parked call is simply abandoned here.
            }
            task.state = emulator::kernel::task::TaskState::Runnable;
            kernel.tasks.insert(pid, task);
            calls += 1;
        }
        let _ = round;
    }
    println!("seed {seed}: {calls} calls, no panic");
    assert!(calls > 1000);
}
