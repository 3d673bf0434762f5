//! `webvm run`: boots a guest image and runs one command in it with the host's standard
//! streams, like `docker run`; the guest command's exit status (128 + N for a signal)
//! becomes webvm's. `--user NAME` runs it as a guest account, in its home directory.
//!
//! Owns the host side of the machine's platform traits (clock, console, entropy) and the
//! drive loop; the machine itself is `emulator::kernel`.

use clap::Args;
use emulator::block::overlay::MemoryLogStore;
use emulator::block::overlay::OverlayDevice;
use emulator::kernel::platform::{Clock, Console, ConsoleRead, Entropy, Platform, Stream};
use emulator::kernel::{Exit, InitIdentity, Kernel, Options};
use frontend_native::hostfs::HostDirFs;
use frontend_native::storage::BaseImage;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Args)]
pub struct RunArgs {
    /// An ext2 image file or a published image folder (overrides --profile).
    #[arg(long)]
    image: Option<PathBuf>,
    /// Image profile to boot, as built by `guest-image build`.
    #[arg(long, default_value = "default")]
    profile: String,
    /// Folder holding the built profiles.
    #[arg(long, env = "WEBVM_IMAGES", default_value = "images")]
    images: PathBuf,
    /// Keep the guest's changes in memory only (discarded at exit).
    #[arg(long)]
    ephemeral: bool,
    /// Use this host directory as the guest's root filesystem instead of an image (like
    /// `qemu-i386 -L`): the guest is confined to it (no path, `..` or symbolic link
    /// leads out), its writes go to it, owners and modes are the host's.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["image", "ephemeral"])]
    root: Option<PathBuf>,
    /// Run as this account of the guest's /etc/passwd, in its home directory (default:
    /// root in /).
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    /// Environment variable for the guest command (repeatable).
    #[arg(long = "env", short = 'e', value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// Command and arguments to run in the guest (default: root's login shell).
    #[arg(trailing_var_arg = true)]
    command: Vec<String>,
}

/// Host time.
struct HostClock {
    start: Instant,
}

impl Clock for HostClock {
    fn realtime_ns(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
    }
    fn monotonic_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }
}

/// Bytes read from the host's stdin by a reader thread.
#[derive(Default)]
struct Input {
    data: VecDeque<u8>,
    eof: bool,
}

type SharedInput = Arc<(Mutex<Input>, Condvar)>;

/// The host's standard streams as the guest console. When standard input is a
/// terminal it is put in raw mode for the whole run (the guest's line discipline does
/// echo, editing and Ctrl-C) and restored at the end.
struct HostConsole {
    input: SharedInput,
    started: bool,
    terminal: [bool; 3],
    /// `stty -g` of the host terminal before the guest changed its mode.
    saved_mode: Option<String>,
}

/// Runs `stty` on the host terminal (standard input).
fn stty(args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("stty")
        .args(args)
        .stdin(std::process::Stdio::inherit())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

impl Drop for HostConsole {
    fn drop(&mut self) {
        if let Some(mode) = self.saved_mode.take() {
            stty(&[&mode]);
        }
    }
}

impl HostConsole {
    fn start_reader(&mut self) {
        if self.started {
            return;
        }
        self.started = true;
        let input = self.input.clone();
        std::thread::spawn(move || {
            let mut stdin = std::io::stdin();
            let mut buf = [0u8; 4096];
            loop {
                let n = stdin.read(&mut buf).unwrap_or(0);
                let (lock, cv) = &*input;
                let mut i = lock.lock().unwrap();
                if n == 0 {
                    i.eof = true;
                    cv.notify_all();
                    return;
                }
                i.data.extend(&buf[..n]);
                cv.notify_all();
            }
        });
    }
}

impl Console for HostConsole {
    fn read(&mut self, buf: &mut [u8]) -> ConsoleRead {
        self.start_reader();
        let mut i = self.input.0.lock().unwrap();
        if i.data.is_empty() {
            return if i.eof {
                ConsoleRead::EndOfFile
            } else {
                ConsoleRead::Empty
            };
        }
        let n = buf.len().min(i.data.len());
        for (slot, b) in buf.iter_mut().zip(i.data.drain(..n)) {
            *slot = b;
        }
        ConsoleRead::Data(n)
    }
    fn input_ready(&mut self) -> bool {
        self.start_reader();
        let i = self.input.0.lock().unwrap();
        !i.data.is_empty() || i.eof
    }
    fn write(&mut self, stream: Stream, data: &[u8]) {
        let _ = match stream {
            Stream::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(data).and_then(|_| out.flush())
            }
            Stream::Stderr => std::io::stderr().lock().write_all(data),
        };
    }
    fn is_terminal(&self, fd: u32) -> bool {
        self.terminal.get(fd as usize).copied().unwrap_or(false)
    }
    fn window_size(&self) -> Option<(u16, u16)> {
        // Asked on every scheduling pass: one ioctl, no process.
        [1, 0].into_iter().find_map(|fd| {
            let mut ws = libc::winsize {
                ws_row: 0,
                ws_col: 0,
                ws_xpixel: 0,
                ws_ypixel: 0,
            };
            // SAFETY: TIOCGWINSZ writes one `winsize` into the struct we own.
            let rc = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) };
            (rc == 0 && ws.ws_row > 0 && ws.ws_col > 0).then_some((ws.ws_row, ws.ws_col))
        })
    }
}

/// Entropy from the host kernel.
struct HostEntropy(Option<std::fs::File>);

impl Entropy for HostEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        if let Some(f) = &mut self.0 {
            if f.read_exact(buf).is_ok() {
                return;
            }
        }
        let mut x = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
            | 1;
        for b in buf {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
    }
}

/// The image to boot: an explicit path, or the profile's folder. A `disk.ext2` inside
/// a published folder is opened through the folder, whose manifest gives its id
/// without hashing the whole file.
fn image_path(args: &RunArgs) -> PathBuf {
    match &args.image {
        Some(p) => {
            let folder = p.parent().filter(|d| d.join("manifest.json").is_file());
            match folder {
                Some(d) if p.file_name().is_some_and(|n| n == "disk.ext2") => d.to_path_buf(),
                _ => p.clone(),
            }
        }
        None => args.images.join(&args.profile),
    }
}

fn boot(args: &RunArgs, platform: Platform, options: Options) -> Result<Kernel, String> {
    if let Some(dir) = &args.root {
        let shown = |e: &dyn std::fmt::Display| format!("{}: {e}", dir.display());
        if !dir.is_dir() {
            return Err(shown(&"not a directory"));
        }
        let fs = HostDirFs::new(dir).map_err(|e| shown(&e))?;
        let root: emulator::kernel::vfs::FsRef = Rc::new(RefCell::new(fs));
        let source = dir.display().to_string();
        return Kernel::with_root_fs(root, "hostdir", &source, platform, options)
            .map_err(|e| shown(&format!("errno {}", e.0)));
    }
    let path = image_path(args);
    let shown = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    if args.ephemeral {
        let base = BaseImage::open(&path).map_err(|e| shown(&e))?;
        let dev = OverlayDevice::open(base.device, MemoryLogStore::new(), &base.id)
            .map_err(|e| shown(&e))?;
        Kernel::new(dev, platform, options).map_err(|e| shown(&format!("errno {}", e.0)))
    } else {
        let dev = BaseImage::open_overlaid(&path, None).map_err(|e| shown(&e))?;
        Kernel::new(dev, platform, options).map_err(|e| shown(&format!("errno {}", e.0)))
    }
}

fn guest_env(args: &RunArgs, account: &Account) -> Vec<Vec<u8>> {
    let path = if account.identity.uid == 0 {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    } else {
        "PATH=/usr/local/bin:/usr/bin:/bin"
    };
    let mut env: Vec<String> = vec![
        path.into(),
        format!("HOME={}", account.home),
        format!("USER={}", account.name),
        format!("LOGNAME={}", account.name),
        format!("SHELL={}", account.shell),
        format!(
            "TERM={}",
            std::env::var("TERM").unwrap_or_else(|_| "xterm".into())
        ),
    ];
    for e in &args.env {
        let key = e.split('=').next().unwrap_or("");
        env.retain(|old| old.split('=').next() != Some(key));
        env.push(e.clone());
    }
    env.into_iter().map(String::into_bytes).collect()
}

/// The guest account the command runs as.
struct Account {
    name: String,
    home: String,
    shell: String,
    identity: InitIdentity,
}

/// Root in `/` by default, or the `--user` account in its home directory.
fn account(args: &RunArgs, kernel: &Kernel) -> Result<Account, String> {
    let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let Some(name) = &args.user else {
        let shell = kernel.root_shell().map(|s| lossy(&s));
        return Ok(Account {
            name: "root".into(),
            home: "/root".into(),
            shell: shell.unwrap_or_else(|| "/bin/sh".into()),
            identity: InitIdentity::default(),
        });
    };
    let user = kernel
        .lookup_user(name.as_bytes())
        .ok_or_else(|| format!("no user {name:?} in the guest's /etc/passwd"))?;
    let shell = if user.shell.starts_with(b"/") {
        lossy(&user.shell)
    } else {
        "/bin/sh".into()
    };
    Ok(Account {
        name: name.clone(),
        home: lossy(&user.home),
        shell,
        identity: InitIdentity {
            uid: user.uid,
            gid: user.gid,
            groups: user.groups,
            cwd: Some(user.home),
        },
    })
}

/// Kernel diagnostics (unimplemented syscalls, once each) on stderr, when
/// `WEBVM_LOG` names `warn`.
struct StderrLogger;

impl log::Log for StderrLogger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::Level::Warn
    }
    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            eprintln!("webvm: {}", record.args());
        }
    }
    fn flush(&self) {}
}

static LOGGER: StderrLogger = StderrLogger;

/// Runs the command; returns the process exit code.
pub fn execute(args: RunArgs) -> ExitCode {
    let log_parts = std::env::var("WEBVM_LOG").unwrap_or_default();
    if log_parts.split(',').any(|p| p == "warn") && log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Warn);
    }
    let input: SharedInput = Arc::default();
    let console = HostConsole {
        input: input.clone(),
        started: false,
        terminal: [
            std::io::stdin().is_terminal(),
            std::io::stdout().is_terminal(),
            std::io::stderr().is_terminal(),
        ],
        saved_mode: None,
    };
    let mut console = console;
    if console.terminal[0] && console.terminal[1] {
        console.saved_mode = stty(&["-g"]);
        stty(&["raw", "-echo"]);
    }
    let platform = Platform {
        clock: Box::new(HostClock {
            start: Instant::now(),
        }),
        console: Box::new(console),
        entropy: Box::new(HostEntropy(std::fs::File::open("/dev/urandom").ok())),
    };
    let options = Options {
        strace: log_parts.split(',').any(|p| p == "strace"),
        ..Options::default()
    };
    let mut kernel = match boot(&args, platform, options) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("webvm: cannot boot {e}");
            return ExitCode::from(125);
        }
    };
    let account = match account(&args, &kernel) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("webvm: {e}");
            return ExitCode::from(125);
        }
    };
    // No command: the account's shell from the image, as a login shell.
    let command = if args.command.is_empty() {
        vec![account.shell.clone(), "-l".to_string()]
    } else {
        args.command.clone()
    };
    let argv: Vec<Vec<u8>> = command.iter().map(|s| s.clone().into_bytes()).collect();
    let env = guest_env(&args, &account);
    if let Err(e) = kernel.spawn_init_as(argv, env, &account.identity) {
        eprintln!("webvm: cannot run {}: errno {}", command[0], e.0);
        return ExitCode::from(if e.0 == 2 { 127 } else { 126 });
    }
    let start = Instant::now();
    let status = loop {
        match kernel.run(5_000_000) {
            Exit::BudgetUsed => {}
            Exit::Exited(status) => break status,
            Exit::Idle { until } => {
                let now = start.elapsed().as_nanos() as u64;
                let wait = until.map_or(Duration::from_millis(50), |u| {
                    Duration::from_nanos(u.saturating_sub(now)).min(Duration::from_millis(50))
                });
                let (lock, cv) = &*input;
                let guard = lock.lock().unwrap();
                if guard.data.is_empty() && !guard.eof {
                    let _ = cv.wait_timeout(guard, wait);
                }
            }
        }
    };
    if let Err(e) = kernel.sync() {
        eprintln!("webvm: saving changes failed: errno {}", e.0);
    }
    if log_parts.split(',').any(|p| p == "stats") {
        let seconds = start.elapsed().as_secs_f64();
        let retired = kernel.instructions_retired;
        eprintln!(
            "webvm: {retired} guest instructions in {seconds:.3} s ({:.1} million/s)",
            retired as f64 / seconds.max(1e-9) / 1e6
        );
    }
    ExitCode::from(Exit::shell_status(status) as u8)
}
