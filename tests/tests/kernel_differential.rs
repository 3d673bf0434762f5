//! The kernel against Linux: every command of `tests/corpus/<profile>.txt` runs under
//! `/bin/sh -c` natively in `chroot images/<profile>/root` and in the emulator (in
//! process, on a throwaway overlay of the image); stdout, stderr and the exit status
//! must match. Needs root (for `unshare --mount` and `chroot`) and the built images; the
//! native side runs in a private mount namespace so the image's tree is never written.
//!
//! Longer cases live in `tests/corpus/programs/<profile>/` as whole programs, fed to the
//! guest on stdin by their extension: `.py` runs as `python3 -`, `.c` is compiled with
//! `gcc -x c` and run, `.sh` runs as `bash -s`. They are compared the same way.
//!
//! The emulated side keeps one overlay file for the whole corpus, as a user's session
//! would: afterwards the image merged with it must pass `e2fsck -fn`.
//!
//! `WEBVM_DIFF_FILTER=text` runs only the commands (or program names) containing `text`.

use frontend_native::storage::image::merge;
use frontend_native::storage::BaseImage;
use std::path::Path;
use std::process::Command;
use webvm_tests::{guest, profile_dir};

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
mkdir "$R/dev/shm" "$R/dev/pts"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"
ln -s /proc/self/fd/1 "$R/dev/stdout"
ln -s /proc/self/fd/2 "$R/dev/stderr"
mount -t proc proc "$R/proc"
exec setarch i686 chroot "$R" /bin/sh -c "$2"
"#;

fn native(root: &Path, cmd: &str, stdin: &[u8]) -> Outcome {
    use std::io::Write;
    let mut child = Command::new("unshare")
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
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run chroot (the test must run as root)");
    let mut input = child.stdin.take().expect("piped stdin");
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        // The command may exit without reading all of it.
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait for chroot");
    feeder.join().expect("stdin feeder");
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

fn emulated(folder: &Path, overlay: &Path, cmd: &str, stdin: &[u8]) -> Outcome {
    let dev = BaseImage::open_overlaid(folder, Some(overlay)).expect("open image and overlay");
    let out = guest::run_with_stdin(dev, &["/bin/sh", "-c", cmd], ENV, stdin);
    Outcome {
        status: out.status,
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

/// One case: a shell command and what it reads on stdin.
struct Case {
    label: String,
    command: String,
    stdin: Vec<u8>,
}

/// The shell command that runs a program file fed on stdin, by its extension.
fn program_command(path: &Path) -> Option<&'static str> {
    match path.extension()?.to_str()? {
        "py" => Some("cd /tmp && python3 -"),
        "c" => Some("cd /tmp && gcc -O1 -Wall -x c -o /tmp/prog - -lpthread && /tmp/prog"),
        "sh" => Some("cd /tmp && bash -s"),
        _ => None,
    }
}

fn corpus(profile: &str) -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let path = dir.join(format!("{profile}.txt"));
    let filter = std::env::var("WEBVM_DIFF_FILTER").unwrap_or_default();
    let mut cases: Vec<Case> = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| Case {
            label: l.to_string(),
            command: l.to_string(),
            stdin: Vec::new(),
        })
        .collect();
    let programs = dir.join("programs").join(profile);
    if let Ok(entries) = std::fs::read_dir(&programs) {
        let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for p in paths {
            let command = program_command(&p)
                .unwrap_or_else(|| panic!("{}: unknown program kind", p.display()));
            cases.push(Case {
                label: p.file_name().unwrap().to_string_lossy().into_owned(),
                command: command.to_string(),
                stdin: std::fs::read(&p).unwrap(),
            });
        }
    }
    cases.retain(|c| c.label.contains(&filter));
    cases
}

fn differential(profile: &str) {
    let folder = profile_dir(profile);
    let root = folder.join("root");
    let mut failures = Vec::new();
    let commands = corpus(profile);
    assert!(!commands.is_empty(), "empty corpus for {profile}");
    let scratch = std::env::temp_dir().join(format!("webvm-diff-{profile}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let overlay = scratch.join("corpus.overlay");
    for case in &commands {
        let want = native(&root, &case.command, &case.stdin);
        let got = emulated(&folder, &overlay, &case.command, &case.stdin);
        if want != got {
            failures.push(format!(
                "case: {}\n  native:   {want:?}\n  emulated: {got:?}",
                case.label
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
    // Everything the corpus wrote, merged into the image, is a clean filesystem.
    let merged = scratch.join("merged.ext2");
    merge(&folder, Some(&overlay), &merged).expect("merge the corpus overlay");
    let fsck = Command::new("e2fsck")
        .arg("-fn")
        .arg(&merged)
        .output()
        .expect("run e2fsck (package e2fsprogs)");
    assert!(
        fsck.status.success(),
        "e2fsck -fn of the image merged after the corpus:\n{}{}",
        String::from_utf8_lossy(&fsck.stdout),
        String::from_utf8_lossy(&fsck.stderr)
    );
    std::fs::remove_dir_all(&scratch).unwrap();
}

#[test]
fn tiny_profile_matches_native() {
    differential("tiny");
}

#[test]
fn default_profile_matches_native() {
    differential("default");
}
