//! `webvm run` in scripts, with pipes instead of a terminal: a bare command name is
//! found through the guest's `PATH`, stdin is streamed in, stdout and stderr come back
//! separately, and the command's exit status (128+N for a signal) is webvm's.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn images_dir() -> PathBuf {
    let dir = match std::env::var_os("WEBVM_IMAGES") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../images"),
    };
    assert!(
        dir.join("tiny/manifest.json").is_file(),
        "the tiny image is not built in {}: run ./test.sh first",
        dir.display()
    );
    dir
}

/// `webvm run --profile tiny --ephemeral ARGS...` with `input` on stdin.
fn run(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_webvm"))
        .args(["run", "--profile", "tiny", "--ephemeral", "--images"])
        .arg(images_dir())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start webvm");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap()
}

#[test]
fn a_bare_command_name_is_searched_in_path() {
    let out = run(&["--", "echo", "hello", "from", "PATH"], "");
    assert_eq!(text(&out.stdout), "hello from PATH\n");
    assert_eq!(out.status.code(), Some(0));
    let out = run(&["--", "no-such-command"], "");
    assert_eq!(out.status.code(), Some(127));
    assert!(text(&out.stderr).contains("no-such-command"));
}

#[test]
fn stdin_is_streamed_to_the_login_shell() {
    let out = run(&[], "echo one\necho two >&2\nexit 6\n");
    assert_eq!(text(&out.stdout), "one\n");
    assert_eq!(text(&out.stderr), "two\n");
    assert_eq!(out.status.code(), Some(6));
}

#[test]
fn a_signal_becomes_128_plus_its_number() {
    let out = run(&["--", "sh", "-c", "kill -TERM $$"], "");
    assert_eq!(out.status.code(), Some(128 + 15));
}
