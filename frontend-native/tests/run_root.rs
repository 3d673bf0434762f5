//! `webvm run --root DIR`: a host directory as the guest's root. The guest's writes
//! reach the directory, and nothing leads out of it: not `..`, not symbolic links made
//! by the guest, not symbolic links the host put inside DIR pointing at host paths.
//!
//! Works on a copy of the tiny image's root tree in a temporary folder (the built tree
//! is never written); needs the tiny image built (`WEBVM_IMAGES`, default `images/`).

use std::path::{Path, PathBuf};
use std::process::Command;

fn images_dir() -> PathBuf {
    match std::env::var_os("WEBVM_IMAGES") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../images"),
    }
}

/// A copy of the tiny root tree in a fresh folder, with a file beside it (outside).
struct Sandbox {
    top: PathBuf,
}

impl Sandbox {
    fn new(name: &str) -> Sandbox {
        let tree = images_dir().join("tiny/root");
        assert!(
            tree.join("bin/busybox").is_file(),
            "the tiny image is not built at {}: run `cargo run -p guest-image -- build tiny` \
             as root first",
            tree.display()
        );
        let top = std::env::temp_dir().join(format!("webvm-root-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&top);
        std::fs::create_dir_all(&top).unwrap();
        let status = Command::new("cp")
            .arg("-a")
            .arg(&tree)
            .arg(top.join("root"))
            .status()
            .expect("cp");
        assert!(status.success(), "copying the tiny root failed");
        std::fs::write(top.join("secret"), "SECRET-OUTSIDE\n").unwrap();
        Sandbox { top }
    }

    fn root(&self) -> PathBuf {
        self.top.join("root")
    }

    fn run(&self, script: &str) -> (i32, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_webvm"))
            .arg("run")
            .arg("--root")
            .arg(self.root())
            .args(["--", "/bin/busybox", "sh", "-c", script])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run webvm");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.top);
    }
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

#[test]
fn runs_programs_and_writes_reach_the_host_directory() {
    let sb = Sandbox::new("write");
    let (status, out, err) = sb.run(
        "cat /etc/hostname; echo new > /newfile; mkdir /d; mv /newfile /d/moved; \
         ln -s moved /d/link; chmod 640 /d/moved; cat /d/link; touch /d/gone; rm /d/gone; \
         ls /d; stat -c '%a %U' /d/moved",
    );
    assert_eq!(status, 0, "stdout: {out}\nstderr: {err}");
    assert_eq!(out, "webvm\nnew\nlink\nmoved\n640 root\n", "stderr: {err}");
    let root = sb.root();
    assert_eq!(
        std::fs::read_to_string(root.join("d/moved")).unwrap(),
        "new\n"
    );
    assert_eq!(mode(&root.join("d/moved")), 0o640);
    assert_eq!(
        std::fs::read_link(root.join("d/link")).unwrap(),
        PathBuf::from("moved")
    );
    assert!(!root.join("newfile").exists() && !root.join("d/gone").exists());
}

#[test]
fn nothing_leads_out_of_the_root() {
    let sb = Sandbox::new("escape");
    let root = sb.root();
    // Symbolic links the host put inside DIR, naming host paths: the guest resolves
    // their targets inside its own root.
    std::os::unix::fs::symlink(sb.top.join("secret"), root.join("hostabs")).unwrap();
    std::os::unix::fs::symlink(&sb.top, root.join("hostdir")).unwrap();
    std::os::unix::fs::symlink("../secret", root.join("hostrel")).unwrap();
    let (status, out, err) = sb.run(
        "cat /../secret; cat /../../secret; cd /; cd ..; cd ..; cat secret; pwd; \
         ln -s / /tmp/esc; cat /tmp/esc/../secret; ln -s ../../.. /up; cat /up/secret; \
         cat /hostabs; cat /hostdir/secret; cat /hostrel; ls /hostdir; \
         cd -P /tmp/esc/..; pwd; ls /proc/self/root/../ | grep -c secret; \
         cat /proc/self/root/../secret; echo done",
    );
    assert!(
        !out.contains("SECRET") && !err.contains("SECRET"),
        "a file outside the root was read:\n{out}\n{err}"
    );
    assert!(
        out.ends_with("done\n"),
        "status {status}\nstdout: {out}\nstderr: {err}"
    );
    assert_eq!(out, "/\n/\n0\ndone\n", "stderr: {err}");
    // Every read of the outside file failed for not existing inside the root.
    assert_eq!(
        err.matches("No such file or directory").count(),
        10,
        "stderr: {err}"
    );
    // The host links are untouched and nothing was created outside.
    let mut outside: Vec<_> = std::fs::read_dir(&sb.top)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    outside.sort();
    assert_eq!(outside, ["root", "secret"]);
}
