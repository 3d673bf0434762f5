//! The kernel against Linux: every command of `tests/corpus/<profile>.txt` runs under
//! `/bin/sh -c` natively in `chroot images/<profile>/root` and in the emulator (in
//! process, on a throwaway overlay of the image); stdout, stderr and the exit status
//! must match. Needs root (for `unshare --mount` and `chroot`) and the built images; the
//! native side runs in a private mount namespace so the image's tree is never written.
//!
//! `WEBVM_DIFF_FILTER=text` runs only the commands containing `text`.

use emulator::block::overlay::{MemoryLogStore, OverlayDevice};
use emulator::kernel::platform::{Clock, Console, ConsoleRead, Platform, SeededEntropy, Stream};
use emulator::kernel::{Exit, Kernel, Options};
use frontend_native::storage::BaseImage;
use std::cell::RefCell;
use std::path::Path;
use std::process::Command;
use std::rc::Rc;
use std::time::Instant;
use webvm_tests::profile_dir;

const ENV: &[(&str, &str)] = &[
    (
        "PATH",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ),
    ("HOME", "/root"),
    ("TERM", "xterm"),
];

#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    status: i32,
    stdout: String,
    stderr: String,
}

/// Sets up the native side without touching the image's tree: a private mount
/// namespace with tmpfs on `/tmp` and `/dev` (the host's memory devices bound in) and
/// procfs, then `chroot`.
const NATIVE_SETUP: &str = r#"
set -e
R=$1
mount -t tmpfs tmpfs "$R/tmp"
mount -t tmpfs tmpfs "$R/dev"
for d in null zero full random urandom; do
    touch "$R/dev/$d"
    mount --bind "/dev/$d" "$R/dev/$d"
done
mkdir "$R/dev/shm"
mount -t proc proc "$R/proc"
exec setarch i686 chroot "$R" /bin/sh -c "$2"
"#;

fn native(root: &Path, cmd: &str) -> Outcome {
    let out = Command::new("unshare")
        .args([
            "--mount",
            "--propagation",
            "private",
            "/bin/sh",
            "-c",
            NATIVE_SETUP,
            "sh",
        ])
        .arg(root)
        .arg(cmd)
        .env_clear()
        .envs(ENV.iter().copied())
        .current_dir("/")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run chroot (the test must run as root)");
    use std::os::unix::process::ExitStatusExt;
    let status = out
        .status
        .code()
        .unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0));
    Outcome {
        status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

struct TestClock(Instant);

impl Clock for TestClock {
    fn realtime_ns(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
    }
    fn monotonic_ns(&self) -> u64 {
        self.0.elapsed().as_nanos() as u64
    }
}

/// Captures what the guest writes; stdin is empty.
struct Capture(Rc<RefCell<(Vec<u8>, Vec<u8>)>>);

impl Console for Capture {
    fn read(&mut self, _buf: &mut [u8]) -> ConsoleRead {
        ConsoleRead::EndOfFile
    }
    fn input_ready(&mut self) -> bool {
        true
    }
    fn write(&mut self, stream: Stream, data: &[u8]) {
        let mut c = self.0.borrow_mut();
        match stream {
            Stream::Stdout => c.0.extend_from_slice(data),
            Stream::Stderr => c.1.extend_from_slice(data),
        }
    }
    fn is_terminal(&self, _fd: u32) -> bool {
        false
    }
}

fn emulated(folder: &Path, cmd: &str) -> Outcome {
    let base = BaseImage::open(folder).expect("open image");
    let dev = OverlayDevice::open(base.device, MemoryLogStore::new(), &base.id).unwrap();
    let captured = Rc::new(RefCell::new((Vec::new(), Vec::new())));
    let platform = Platform {
        clock: Box::new(TestClock(Instant::now())),
        console: Box::new(Capture(captured.clone())),
        entropy: Box::new(SeededEntropy(0x9e37_79b9_7f4a_7c15)),
    };
    let mut kernel = Kernel::new(dev, platform, Options::default()).expect("boot");
    let argv = ["/bin/sh", "-c", cmd]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    let envp = ENV
        .iter()
        .map(|(k, v)| format!("{k}={v}").into_bytes())
        .collect();
    kernel.spawn_init(argv, envp).expect("start /bin/sh");
    let started = Instant::now();
    let status = loop {
        assert!(
            started.elapsed().as_secs() < 60,
            "`{cmd}` did not finish within 60 s"
        );
        match kernel.run(10_000_000) {
            Exit::BudgetUsed => {}
            Exit::Exited(status) => break status,
            Exit::Idle { until: Some(_) } => {
                std::thread::sleep(std::time::Duration::from_millis(1))
            }
            Exit::Idle { until: None } => panic!("`{cmd}` waits for input that never comes"),
        }
    };
    let c = captured.borrow();
    Outcome {
        status: Exit::shell_status(status),
        stdout: String::from_utf8_lossy(&c.0).into_owned(),
        stderr: String::from_utf8_lossy(&c.1).into_owned(),
    }
}

fn corpus(profile: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(format!("{profile}.txt"));
    let filter = std::env::var("WEBVM_DIFF_FILTER").unwrap_or_default();
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| l.contains(&filter))
        .map(String::from)
        .collect()
}

fn differential(profile: &str) {
    let folder = profile_dir(profile);
    let root = folder.join("root");
    let mut failures = Vec::new();
    let commands = corpus(profile);
    assert!(!commands.is_empty(), "empty corpus for {profile}");
    for cmd in &commands {
        let want = native(&root, cmd);
        let got = emulated(&folder, cmd);
        if want != got {
            failures.push(format!(
                "command: {cmd}\n  native:   {want:?}\n  emulated: {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} commands differ:\n{}",
        failures.len(),
        commands.len(),
        failures.join("\n")
    );
}

#[test]
fn tiny_profile_matches_native() {
    differential("tiny");
}

#[test]
fn default_profile_matches_native() {
    differential("default");
}
