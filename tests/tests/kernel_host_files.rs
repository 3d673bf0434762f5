//! The frontends' file API (`Kernel::read_guest_file`/`write_guest_file`, behind the
//! browser's upload and download) against a running guest of the tiny image: a file
//! written from outside is what the guest reads, byte for byte; a file the guest writes
//! comes back unchanged; new files belong to their directory's owner; bad paths give the
//! errno a root process would get.

use emulator::block::overlay::{MemoryLogStore, OverlayDevice};
use emulator::kernel::errno::Errno;
use frontend_native::storage::BaseImage;
use webvm_tests::guest::Session;
use webvm_tests::profile_dir;

const ENV: &[(&str, &str)] = &[("PATH", "/usr/bin:/bin"), ("HOME", "/root")];

fn session(script: &str) -> Session {
    let base = BaseImage::open(&profile_dir("tiny")).expect("open the tiny image");
    let dev = OverlayDevice::open(base.device, MemoryLogStore::new(), &base.id).unwrap();
    Session::start(dev, &["/bin/sh", "-c", script], ENV, &[])
}

/// Drives the guest until `done(stdout)` holds.
fn run_until(s: &mut Session, done: impl Fn(&str) -> bool) {
    while !done(&s.printed().0) {
        if let Some(status) = s.step() {
            panic!("the guest ended early ({status:#x}): {:?}", s.printed());
        }
    }
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 131 + i / 251) as u8).collect()
}

#[test]
fn upload_and_download_round_trip_through_a_running_guest() {
    let mut s = session(
        "while [ ! -e /tmp/go ]; do sleep 0.05; done; \
         wc -c < /tmp/up; cp /tmp/up /root/copy; \
         stat -c '%U %a' /home/user/new.txt; cat /home/user/new.txt; \
         cat /etc/hostname; echo ready; exec sleep 30",
    );
    // Let the shell start and wait for the flag.
    for _ in 0..20 {
        s.step();
    }
    let data = pattern(300_000);
    s.kernel.write_guest_file(b"/tmp/up", &data).unwrap();
    s.kernel
        .write_guest_file(b"/home/user/new.txt", b"for user\n")
        .unwrap();
    // Replacing a longer file leaves nothing of the old content.
    s.kernel
        .write_guest_file(b"/etc/hostname", b"short\n")
        .unwrap();
    s.kernel.write_guest_file(b"/tmp/go", b"").unwrap();
    run_until(&mut s, |out| out.contains("ready"));
    assert_eq!(
        s.printed().0,
        "300000\nuser 644\nfor user\nshort\nready\n",
        "stderr: {}",
        s.printed().1
    );
    assert_eq!(s.kernel.read_guest_file(b"/root/copy").unwrap(), data);
    assert_eq!(
        s.kernel.read_guest_file(b"/etc/hostname").unwrap(),
        b"short\n"
    );
    // Symbolic links are followed (/bin/sh -> busybox in tiny).
    let busybox = s.kernel.read_guest_file(b"/bin/busybox").unwrap();
    assert!(busybox.starts_with(b"\x7fELF"));
    assert_eq!(s.kernel.read_guest_file(b"/bin/sh").unwrap(), busybox);
    // Only disk filesystems are offered (procfs files exist only for a process).
    assert_eq!(
        s.kernel.read_guest_file(b"/proc/uptime"),
        Err(Errno::EACCES)
    );
}

#[test]
fn bad_paths_get_the_errno_a_root_process_would() {
    let mut s = session("exec sleep 30");
    for _ in 0..5 {
        s.step();
    }
    let k = &mut s.kernel;
    assert_eq!(k.read_guest_file(b"/nonexistent"), Err(Errno::ENOENT));
    assert_eq!(k.read_guest_file(b"/etc"), Err(Errno::EISDIR));
    assert_eq!(k.read_guest_file(b"/dev/null"), Err(Errno::EINVAL));
    assert_eq!(k.read_guest_file(b"etc/passwd"), Err(Errno::EINVAL));
    assert_eq!(k.read_guest_file(b"/etc/passwd/x"), Err(Errno::ENOTDIR));
    assert_eq!(
        k.write_guest_file(b"/no/such/dir/f", b"x"),
        Err(Errno::ENOENT)
    );
    assert_eq!(k.write_guest_file(b"/tmp", b"x"), Err(Errno::EISDIR));
    assert_eq!(k.write_guest_file(b"/tmp/", b"x"), Err(Errno::EISDIR));
    assert!(k.write_guest_file(b"/proc/newfile", b"x").is_err());
    let long = format!("/{}", "a".repeat(300));
    assert_eq!(
        k.write_guest_file(long.as_bytes(), b"x"),
        Err(Errno::ENAMETOOLONG)
    );
}
