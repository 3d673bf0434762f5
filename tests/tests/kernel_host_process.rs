//! Processes the frontend starts beside the first one (`Kernel::spawn_host_process`,
//! behind the JS API's `exec`): their output comes back separately as stdout and stderr,
//! their exit status is collected once, they run as the user and in the directory asked,
//! and the first process (a shell busy with something else) never sees them.

use emulator::block::overlay::{MemoryLogStore, OverlayDevice};
use emulator::kernel::errno::Errno;
use emulator::kernel::host_process::HostOutput;
use emulator::kernel::InitIdentity;
use frontend_native::storage::BaseImage;
use webvm_tests::guest::Session;
use webvm_tests::profile_dir;

const ENV: &[(&str, &str)] = &[("PATH", "/bin"), ("HOME", "/root")];

/// A tiny-image machine whose first process is a shell waiting in a loop.
fn machine() -> Session {
    let base = BaseImage::open(&profile_dir("tiny")).expect("open the tiny image");
    let dev = OverlayDevice::open(base.device, MemoryLogStore::new(), &base.id).unwrap();
    let mut s = Session::start(
        dev,
        &[
            "/bin/sh",
            "-c",
            "while [ ! -e /tmp/stop ]; do sleep 0.02; done; wait; echo init-saw-$?",
        ],
        ENV,
        &[],
    );
    for _ in 0..3 {
        s.step();
    }
    s
}

fn start(s: &mut Session, script: &str, uid: u32, cwd: &str) -> u32 {
    let identity = InitIdentity {
        uid,
        gid: uid,
        groups: vec![uid],
        cwd: Some(cwd.as_bytes().to_vec()),
    };
    let argv = ["/bin/sh", "-c", script]
        .map(|a| a.as_bytes().to_vec())
        .to_vec();
    let env = vec![b"PATH=/bin".to_vec()];
    s.kernel.spawn_host_process(argv, env, &identity).unwrap()
}

/// Runs until `pid` ends; its output and shell status.
fn finish(s: &mut Session, pid: u32) -> (HostOutput, i32) {
    let mut all = HostOutput::default();
    let mut first_ended = false;
    loop {
        let out = s.kernel.host_process_output(pid);
        all.stdout.extend(out.stdout);
        all.stderr.extend(out.stderr);
        if let Some(status) = s.kernel.host_process_status(pid) {
            return (all, emulator::kernel::Exit::shell_status(status));
        }
        // The first process may end in the same slice as `pid` (it waits for a file
        // `pid` creates); after that nothing more runs.
        assert!(!first_ended, "the first process ended before {pid}");
        first_ended = s.step().is_some();
    }
}

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap()
}

#[test]
fn output_status_identity_and_directory() {
    let mut s = machine();
    let pid = start(
        &mut s,
        "echo out; echo err >&2; id -u; id -g; pwd; read x; echo read=$?; exit 3",
        1000,
        "/home/user",
    );
    let (out, status) = finish(&mut s, pid);
    assert_eq!(text(&out.stdout), "out\n1000\n1000\n/home/user\nread=1\n");
    assert_eq!(text(&out.stderr), "err\n");
    assert_eq!(status, 3);
    // Collected once.
    assert_eq!(s.kernel.host_process_status(pid), None);
}

#[test]
fn many_at_once_and_large_output() {
    let mut s = machine();
    let big = start(
        &mut s,
        "i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); done",
        0,
        "/",
    );
    let killed = start(&mut s, "kill -9 $$", 0, "/");
    let (out, status) = finish(&mut s, big);
    assert_eq!(status, 0);
    let lines: Vec<&str> = text(&out.stdout).lines().collect();
    assert_eq!(lines.len(), 3000);
    assert_eq!(lines[2999], "line-2999");
    let (_, status) = finish(&mut s, killed);
    assert_eq!(status, 128 + 9);
}

#[test]
fn the_first_process_never_sees_them() {
    let mut s = machine();
    let pid = start(&mut s, "touch /tmp/stop; exit 5", 0, "/");
    let (_, status) = finish(&mut s, pid);
    assert_eq!(status, 5);
    // The first shell's `wait` has no child to wait for.
    let status = s.wait();
    assert_eq!(s.output(status).stdout, "init-saw-0\n");
}

#[test]
fn a_program_that_cannot_start_is_an_error() {
    let mut s = machine();
    let identity = InitIdentity::default();
    let r = s
        .kernel
        .spawn_host_process(vec![b"/no/such".to_vec()], vec![], &identity);
    assert_eq!(r.err(), Some(Errno::ENOENT));
    let bad_dir = InitIdentity {
        cwd: Some(b"/etc/passwd".to_vec()),
        ..InitIdentity::default()
    };
    let r = s
        .kernel
        .spawn_host_process(vec![b"/bin/sh".to_vec()], vec![], &bad_dir);
    assert_eq!(r.err(), Some(Errno::ENOTDIR));
    assert_eq!(s.kernel.host_process_status(12345), None);
}

/// A name without a slash is looked up in the environment's `PATH`, as `execvp` does.
#[test]
fn a_bare_name_is_found_through_path() {
    let mut s = machine();
    let identity = InitIdentity::default();
    let argv = |words: &[&str]| words.iter().map(|w| w.as_bytes().to_vec()).collect();
    // Missing and non-directory entries are skipped; /etc/passwd exists but cannot run.
    let env = vec![b"PATH=/no/such:/etc/passwd:/etc:/bin".to_vec()];
    let pid = s
        .kernel
        .spawn_host_process(argv(&["sh", "-c", "echo found; exit 4"]), env, &identity)
        .unwrap();
    let (out, status) = finish(&mut s, pid);
    assert_eq!((text(&out.stdout), status), ("found\n", 4));
    let only_etc = vec![b"PATH=/etc".to_vec()];
    let r = s
        .kernel
        .spawn_host_process(argv(&["passwd"]), only_etc.clone(), &identity);
    assert_eq!(r.err(), Some(Errno::EACCES));
    let r = s
        .kernel
        .spawn_host_process(argv(&["no-such-program"]), only_etc, &identity);
    assert_eq!(r.err(), Some(Errno::ENOENT));
}
