//! The Linux personality: everything a Debian i386 program expects of a kernel, played
//! inside the emulator.
//!
//! [`Kernel`] owns the machine's tasks, physical frames, mount table and the frontend's
//! [`Platform`] services. The host drives it with [`Kernel::run`], which interleaves all
//! guest tasks on the calling thread by instruction budget and never blocks: a syscall
//! that must wait parks its task (see `sched`). Subsystems by folder: `task`, `sched`,
//! `exec`, `signal`, `memory`, `file`, `pipe`, `device`, `vfs`, `fs/{ext2,tmpfs,procfs,
//! devfs}`, `syscall/*` (one table naming every handler). `tty` and `sigframe` are built
//! elsewhere and will replace the console placeholder and `signal::frame`.
//!
//! Must not use host files, threads or clocks: it runs in a browser worker too.

pub mod abi;
pub mod console;
pub mod device;
pub mod epoll;
pub mod errno;
pub mod eventfd;
pub mod exec;
pub mod file;
pub mod fs;
pub mod host_files;
pub mod host_process;
pub mod inotify;
pub mod ipc;
pub mod locks;
pub mod memory;
pub mod pagecache;
pub mod perm;
pub mod pipe;
pub mod platform;
pub mod posix_timer;
pub mod ptmx;
pub mod robust;
pub mod sched;
pub mod shmem;
pub mod sigframe;
pub mod signal;
pub mod sigqueue;
pub mod socket;
pub mod syscall;
pub mod task;
pub mod timerfd;
pub mod tty;
pub mod vfs;

use crate::block::BlockDevice;
use crate::mm::Frames;
use errno::KResult;
use platform::{Platform, Stream};
use std::collections::{BTreeMap, BTreeSet};
use task::Tid;
use vfs::Vfs;

/// Who the first process runs as, and in which directory (`None`: `/`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitIdentity {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
    pub cwd: Option<Vec<u8>>,
}

impl Default for InitIdentity {
    fn default() -> Self {
        InitIdentity {
            uid: 0,
            gid: 0,
            groups: vec![0],
            cwd: None,
        }
    }
}

/// An account of the guest's `/etc/passwd`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestUser {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
    pub home: Vec<u8>,
    pub shell: Vec<u8>,
}

/// Why [`Kernel::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The budget is used up; call again.
    BudgetUsed,
    /// Every task waits: for input from the console, or until the monotonic time
    /// `until` (nanoseconds) if given. Call again when either may have happened.
    Idle { until: Option<u64> },
    /// The first process ended, with this wait status (exit code << 8, or signal).
    Exited(u32),
}

impl Exit {
    /// The shell's view of a wait status: the exit code, or 128 + signal.
    pub fn shell_status(status: u32) -> i32 {
        if status & 0x7f == 0 {
            ((status >> 8) & 0xff) as i32
        } else {
            128 + (status & 0x7f) as i32
        }
    }
}

/// How the kernel was asked to behave.
#[derive(Clone, Debug)]
pub struct Options {
    /// Trace every syscall to the console's stderr (`WEBVM_LOG=strace`).
    pub strace: bool,
    /// Guest physical memory.
    pub memory_bytes: u64,
    /// Hostname `uname` reports.
    pub hostname: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            strace: false,
            memory_bytes: 1 << 30,
            hostname: "webvm".into(),
        }
    }
}

/// A process that ended and was not yet waited for.
#[derive(Clone, Copy, Debug)]
pub struct Zombie {
    pub ppid: Tid,
    pub pgid: Tid,
    pub status: u32,
    /// Its CPU time and that of the children it waited for (the parent's
    /// `RUSAGE_CHILDREN` grows by this when it waits for it).
    pub cpu_ns: u64,
}

/// The whole guest kernel state.
pub struct Kernel {
    pub tasks: BTreeMap<Tid, task::Task>,
    pub frames: Frames,
    pub vfs: Vfs,
    pub platform: Platform,
    pub options: Options,
    pub zombies: BTreeMap<Tid, Zombie>,
    next_tid: Tid,
    pub(crate) enosys_logged: BTreeSet<u32>,
    init_pid: Tid,
    init_status: Option<u32>,
    boot_ns: u64,
    /// Round-robin position of the scheduler.
    cursor: Tid,
    /// The pipe behind each FIFO inode that is open somewhere.
    /// The console as a terminal (when the frontend's console is one).
    pub(crate) tty_console: Option<console::TtyConsole>,
    /// `/dev/ptmx` pairs by number, and the read state of tasks parked on a slave.
    pub(crate) ptys: BTreeMap<u32, std::rc::Weak<std::cell::RefCell<tty::PtyPair>>>,
    pub(crate) pty_reads: BTreeMap<(Tid, usize), tty::ReadState>,
    /// The second last given to the filesystems for timestamps.
    fs_time: i64,
    pub(crate) fifos: BTreeMap<vfs::Loc, std::rc::Weak<std::cell::RefCell<pipe::Pipe>>>,
    /// Processes the frontend started beside init, by pid.
    pub(crate) host_processes: BTreeMap<Tid, host_process::HostProcess>,
    /// Advisory file locks (`fcntl` record locks, `flock`).
    pub(crate) locks: locks::LockTable,
    /// System V IPC objects (shared memory, semaphores, message queues).
    pub(crate) ipc: ipc::Ipc,
    /// The earliest monotonic time a parked wait asked to be retried at besides its own
    /// deadline (a `timerfd` expiring under `poll`/`epoll_wait`); taken by each pass.
    pub(crate) next_wake: Option<u64>,
    /// Names AF_UNIX sockets are bound to.
    pub(crate) sockets: socket::Registry,
    /// Guest instructions retired by every task since boot (for `WEBVM_LOG=stats`).
    pub instructions_retired: u64,
    /// Shared anonymous memory objects, whose pages go when the last mapping does.
    pub(crate) shared_anon: shmem::SharedAnonRegistry,
}

impl Kernel {
    /// A machine with `root` (an ext2 filesystem on a block device) as `/`, tmpfs on
    /// `/tmp` and `/dev/shm`, procfs on `/proc`, devfs on `/dev`, sysfs on `/sys`.
    pub fn new<D: BlockDevice + 'static>(
        root: D,
        platform: Platform,
        options: Options,
    ) -> KResult<Kernel> {
        let ext2 = crate::fs::ext2::Ext2Fs::open(root)?;
        let root: vfs::FsRef =
            std::rc::Rc::new(std::cell::RefCell::new(fs::ext2::Ext2Mount { fs: ext2 }));
        Kernel::with_root_fs(root, "ext2", "/dev/root", platform, options)
    }

    /// A machine whose `/` is `root`, any [`vfs::FileSystem`] (the frontend's host
    /// directory for `--root DIR`), with the standard mounts over it; `fstype` and
    /// `source` are what `/proc/mounts` shows for it.
    pub fn with_root_fs(
        root: vfs::FsRef,
        fstype: &'static str,
        source: &str,
        platform: Platform,
        options: Options,
    ) -> KResult<Kernel> {
        let boot_ns = platform.clock.monotonic_ns();
        let mut kernel = Kernel {
            tasks: BTreeMap::new(),
            frames: Frames::new(options.memory_bytes),
            vfs: Vfs::new(),
            platform,
            options,
            zombies: BTreeMap::new(),
            next_tid: 1,
            enosys_logged: BTreeSet::new(),
            init_pid: 0,
            init_status: None,
            boot_ns,
            cursor: 0,
            fifos: BTreeMap::new(),
            host_processes: BTreeMap::new(),
            locks: locks::LockTable::default(),
            sockets: socket::Registry::default(),
            fs_time: 0,
            tty_console: None,
            ptys: BTreeMap::new(),
            pty_reads: BTreeMap::new(),
            ipc: ipc::Ipc::default(),
            next_wake: None,
            instructions_retired: 0,
            shared_anon: Default::default(),
        };
        fs::mount_standard_on(&mut kernel.vfs, root, fstype, source)?;
        // Like `docker run -t`: a terminal only when both input and output are one, so
        // output redirected to a file gets no `\r\n`.
        if kernel.platform.console.is_terminal(0) && kernel.platform.console.is_terminal(1) {
            let size = kernel.platform.console.window_size();
            kernel.tty_console = Some(console::TtyConsole::new(size));
        }
        kernel.update_fs_time();
        Ok(kernel)
    }

    /// Gives the filesystems the current second for the timestamps they write.
    pub(crate) fn update_fs_time(&mut self) {
        let now = (self.platform.clock.realtime_ns() / 1_000_000_000) as i64;
        if now != self.fs_time {
            self.fs_time = now;
            self.vfs.set_time(now);
        }
    }

    /// Asks the scheduler to retry parked calls by the monotonic time `at`.
    pub(crate) fn wake_at(&mut self, at: u64) {
        self.next_wake = Some(self.next_wake.map_or(at, |w| w.min(at)));
    }

    /// Starts the first process as root in `/`: `argv[0]` resolved as a path, with `envp`.
    pub fn spawn_init(&mut self, argv: Vec<Vec<u8>>, envp: Vec<Vec<u8>>) -> KResult<Tid> {
        self.spawn_init_as(argv, envp, &InitIdentity::default())
    }

    /// Starts the first process with the given identity and working directory.
    pub fn spawn_init_as(
        &mut self,
        argv: Vec<Vec<u8>>,
        envp: Vec<Vec<u8>>,
        identity: &InitIdentity,
    ) -> KResult<Tid> {
        let pid = exec::spawn_init(self, argv, envp, identity)?;
        self.init_pid = pid;
        Ok(pid)
    }

    /// The account `name` in the guest's `/etc/passwd`, with its supplementary groups
    /// from `/etc/group`.
    pub fn lookup_user(&self, name: &[u8]) -> Option<GuestUser> {
        let passwd = self.read_root_file(b"/etc/passwd").ok()?;
        let fields = passwd
            .split(|&b| b == b'\n')
            .map(|line| line.split(|&b| b == b':').collect::<Vec<_>>())
            .find(|f| f.len() >= 7 && f[0] == name)?;
        let number = |field: &[u8]| std::str::from_utf8(field).ok()?.parse::<u32>().ok();
        let (uid, gid) = (number(fields[2])?, number(fields[3])?);
        let mut groups = vec![gid];
        if let Ok(group) = self.read_root_file(b"/etc/group") {
            for line in group.split(|&b| b == b'\n') {
                let f: Vec<&[u8]> = line.split(|&b| b == b':').collect();
                let member = f.len() >= 4 && f[3].split(|&b| b == b',').any(|m| m == name);
                if let Some(gid) = f.get(2).and_then(|g| number(g)) {
                    if member && !groups.contains(&gid) {
                        groups.push(gid);
                    }
                }
            }
        }
        Some(GuestUser {
            uid,
            gid,
            groups,
            home: fields[5].to_vec(),
            shell: fields[6].to_vec(),
        })
    }

    pub fn alloc_tid(&mut self) -> Tid {
        let tid = self.next_tid;
        self.next_tid += 1;
        tid
    }

    /// Nanoseconds since boot (monotonic).
    pub fn uptime_ns(&self) -> u64 {
        self.platform
            .clock
            .monotonic_ns()
            .saturating_sub(self.boot_ns)
    }

    /// Writes a diagnostic line to the console's stderr.
    pub fn log(&mut self, line: &str) {
        self.platform
            .console
            .write(Stream::Stderr, format!("{line}\n").as_bytes());
    }

    /// Reads a whole file (at most 1 MiB) of the root filesystem by a plain absolute
    /// path: no symbolic links, no other mounts (for the frontend's set-up questions).
    pub fn read_root_file(&self, path: &[u8]) -> KResult<Vec<u8>> {
        let fs = self.vfs.disk(0).ok_or(errno::Errno::EACCES)?;
        let mut fs = fs.borrow_mut();
        let mut ino = fs.root();
        for part in path.split(|&b| b == b'/').filter(|p| !p.is_empty()) {
            ino = fs.lookup(ino, part)?;
        }
        let size = fs.stat(ino)?.size.min(1 << 20) as usize;
        let mut buf = vec![0u8; size];
        let n = fs.read(ino, 0, &mut buf)?;
        buf.truncate(n);
        Ok(buf)
    }

    /// The login shell of root in the guest's `/etc/passwd`, if it names one.
    pub fn root_shell(&self) -> Option<Vec<u8>> {
        let passwd = self.read_root_file(b"/etc/passwd").ok()?;
        passwd
            .split(|&b| b == b'\n')
            .map(|line| line.split(|&b| b == b':').collect::<Vec<_>>())
            .find(|f| f.len() >= 7 && f[0] == b"root")
            .map(|f| f[6].to_vec())
            .filter(|s| s.starts_with(b"/"))
    }

    /// Flushes every filesystem to its device (at shutdown), pages of shared mappings
    /// still in use included.
    pub fn sync(&mut self) -> KResult<()> {
        self.write_back_cached(None)?;
        self.vfs.sync_all()
    }
}
