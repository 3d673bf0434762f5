//! `webvm run` as a user at a real terminal meets it: the `webvm` binary on a host
//! pseudo-terminal (like `docker run -it`), the default image's login shell, and the
//! classic demo's interactive part typed key by key: editing a file in vim, job control
//! (`sleep 100 &`, `jobs`, `fg`, ^Z, `bg`, ^C), a window resize reaching the guest, and
//! the shell's exit status becoming webvm's.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn images_dir() -> PathBuf {
    let dir = match std::env::var_os("WEBVM_IMAGES") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../images"),
    };
    assert!(
        dir.join("default/manifest.json").is_file(),
        "the default image is not built in {}: run ./test.sh first",
        dir.display()
    );
    dir
}

fn winsize(rows: u16, cols: u16) -> libc::winsize {
    libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

/// `webvm` running on the slave side of a host pty; the test holds the master.
struct Terminal {
    master: File,
    child: Child,
    /// Everything the terminal received.
    seen: Vec<u8>,
    /// Where the next `expect` starts looking.
    mark: usize,
}

impl Terminal {
    fn spawn(args: &[&str]) -> Terminal {
        let (mut master, mut slave) = (0, 0);
        let ws = winsize(24, 80);
        // SAFETY: openpty writes two descriptors we then own; the name pointer may be null.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &ws,
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors were just created and are owned here only.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_webvm"));
        cmd.args(args)
            .env("WEBVM_IMAGES", images_dir())
            .env("TERM", "xterm")
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("start webvm");
        Terminal {
            master: File::from(master),
            child,
            seen: Vec::new(),
            mark: 0,
        }
    }

    fn send(&mut self, keys: &str) {
        self.master.write_all(keys.as_bytes()).unwrap();
    }

    /// Reads until `needle` appears after the mark, then moves the mark past it.
    fn expect(&mut self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(at) = find(&self.seen[self.mark..], needle.as_bytes()) {
                self.mark += at + needle.len();
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "timed out waiting for {needle:?}; the terminal shows:\n{}",
                String::from_utf8_lossy(&self.seen[self.mark.saturating_sub(2000)..])
            );
            let mut pfd = libc::pollfd {
                fd: self.master.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            unsafe { libc::poll(&mut pfd, 1, left.as_millis().min(1000) as i32) };
            if pfd.revents != 0 {
                let mut buf = [0u8; 4096];
                match self.master.read(&mut buf) {
                    Ok(n) if n > 0 => self.seen.extend_from_slice(&buf[..n]),
                    // EIO: the slave side closed (webvm exited).
                    _ => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        }
    }

    fn resize(&mut self, rows: u16, cols: u16) {
        let ws = winsize(rows, cols);
        // SAFETY: TIOCSWINSZ reads one winsize; the kernel sends SIGWINCH to the
        // terminal's foreground process group (webvm).
        let rc = unsafe { libc::ioctl(self.master.as_raw_fd(), libc::TIOCSWINSZ, &ws) };
        assert_eq!(rc, 0);
    }

    fn wait(&mut self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "webvm did not exit");
            // Keep draining so webvm never blocks on a full terminal.
            let mut buf = [0u8; 4096];
            let mut pfd = libc::pollfd {
                fd: self.master.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            if unsafe { libc::poll(&mut pfd, 1, 50) } > 0 {
                let _ = self.master.read(&mut buf);
            }
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn vim_job_control_and_resize_at_a_real_terminal() {
    let mut t = Terminal::spawn(&["run", "--profile", "default", "--ephemeral"]);
    t.expect("# ");
    // Typed text is echoed; wait for what only the command's output contains.
    t.send("echo ready-$((40+2))\r");
    t.expect("ready-42");

    // The classic demo: edit a file in vim through the pty.
    t.send("vim -u NONE -N /tmp/note.txt\r");
    t.expect("[New]");
    t.send("ihello from vim");
    t.expect("hello from vim");
    t.send("\x1b");
    // vim tells an Escape key from the start of a sequence by waiting a moment.
    std::thread::sleep(Duration::from_millis(1500));
    t.send(":wq\r");
    t.expect("written");
    // vim flushes typeahead when it gives the terminal back: wait for the prompt.
    t.expect("# ");
    t.send("tr a-z A-Z < /tmp/note.txt\r");
    t.expect("HELLO FROM VIM");

    // Job control.
    t.send("sleep 100 &\r");
    t.expect("[1] ");
    t.send("jobs\r");
    t.expect("Running");
    t.send("fg\r");
    t.expect("sleep 100");
    std::thread::sleep(Duration::from_millis(500));
    t.send("\x1a");
    t.expect("Stopped");
    t.send("bg\r");
    t.expect("[1]+ sleep 100 &");
    t.send("jobs\r");
    t.expect("Running");
    t.send("fg\r");
    t.expect("sleep 100");
    std::thread::sleep(Duration::from_millis(500));
    t.send("\x03");
    t.send("echo st=$((0+$?))\r");
    t.expect("st=130");

    // A window resize reaches the guest: a trap sees SIGWINCH, stty the new size.
    t.send("trap 'echo winch-$((1+1))' WINCH; echo trapped-$((1+2))\r");
    t.expect("trapped-3");
    let before = t.mark;
    t.resize(30, 100);
    t.send("stty size\r");
    t.expect("30 100");
    // The trap may print before or after stty's answer.
    let after = t.mark;
    t.mark = before;
    t.expect("winch-2");
    t.mark = t.mark.max(after);

    // The shell's exit status is webvm's.
    t.send("exit 7\r");
    assert_eq!(t.wait(), 7);
}
