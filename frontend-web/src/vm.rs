//! The JavaScript face of the machine (`WebVm`), used by the emulator worker only.
//!
//! Owns the wasm side of the platform traits: clock (`performance.now`, `Date.now`),
//! entropy (`crypto.getRandomValues`), the chunk fetcher and the overlay persistence
//! hook. The last two call synchronous JavaScript functions the worker passes in, which
//! block on `Atomics.wait` while the I/O worker fetches or writes IndexedDB: the
//! emulator itself stays synchronous. Every failure comes back as an error, never a hang.

use crate::console::ConsoleHandle;
use crate::paged_log::{PagedLog, Persist};
use crate::stored_overlay::{open_stored_overlay, Opened};
use emulator::block::chunked::{ChunkFetcher, ChunkedDevice};
use emulator::block::manifest::Manifest;
use emulator::block::overlay::OverlayDevice;
use emulator::kernel::errno::Errno;
use emulator::kernel::platform::{Clock, Entropy, Platform};
use emulator::kernel::{Exit, InitIdentity, Kernel, Options};
use js_sys::{Array, Function, Uint8Array};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    fn date_now() -> f64;
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buf: &mut [u8]);
}

struct WebClock;

impl Clock for WebClock {
    fn realtime_ns(&self) -> u64 {
        (date_now() * 1e6) as u64
    }
    fn monotonic_ns(&self) -> u64 {
        (performance_now() * 1e6) as u64
    }
}

struct WebEntropy;

impl Entropy for WebEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        // getRandomValues takes at most 65536 bytes per call.
        for piece in buf.chunks_mut(65536) {
            get_random_values(piece);
        }
    }
}

fn js_error(e: JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

/// Calls `fetchChunk(name) -> Uint8Array` (blocking on the I/O worker).
struct JsFetcher(Function);

impl ChunkFetcher for JsFetcher {
    fn fetch(&mut self, name: &str) -> Result<Vec<u8>, String> {
        let v = self
            .0
            .call1(&JsValue::NULL, &JsValue::from_str(name))
            .map_err(js_error)?;
        let bytes = v
            .dyn_into::<Uint8Array>()
            .map_err(|_| "the chunk fetcher returned no bytes".to_string())?;
        Ok(bytes.to_vec())
    }
}

/// Calls `persist(len, [[index, Uint8Array], ...])` (blocking until IndexedDB commits).
struct JsPersist(Function);

impl Persist for JsPersist {
    fn persist(&mut self, len: u64, pages: &[(u64, &[u8])]) -> Result<(), String> {
        let list = Array::new();
        for (i, bytes) in pages {
            let pair = Array::new();
            pair.push(&JsValue::from_f64(*i as f64));
            pair.push(&Uint8Array::from(*bytes));
            list.push(&pair);
        }
        self.0
            .call2(&JsValue::NULL, &JsValue::from_f64(len as f64), &list)
            .map_err(js_error)?;
        Ok(())
    }
}

type Disk = OverlayDevice<ChunkedDevice<JsFetcher>, PagedLog<JsPersist>>;

/// Chunks kept in memory above the fetcher (256 KiB each).
const KEEP_CHUNKS: usize = 64;

/// How to boot: guest memory, syscall tracing, the terminal's size at boot.
#[wasm_bindgen]
#[derive(Clone, Copy)]
pub struct BootOptions {
    #[wasm_bindgen(js_name = memoryMiB)]
    pub memory_mib: u32,
    /// Trace every syscall to the console (like `WEBVM_LOG=strace`).
    pub strace: bool,
    pub rows: u16,
    pub cols: u16,
}

#[wasm_bindgen]
impl BootOptions {
    #[wasm_bindgen(constructor)]
    pub fn new(memory_mib: u32, strace: bool, rows: u16, cols: u16) -> BootOptions {
        BootOptions {
            memory_mib,
            strace,
            rows,
            cols,
        }
    }
}

/// One virtual machine.
#[wasm_bindgen]
pub struct WebVm {
    kernel: Kernel,
    console: ConsoleHandle,
    idle_until_ms: f64,
    exit_status: i32,
    log: Opened,
}

/// What the last `run` ended with.
#[wasm_bindgen]
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// The budget is used up: call `run` again soon.
    Busy = 0,
    /// Every task waits for input or until `idleUntilMs`.
    Idle = 1,
    /// The first process ended: see `exitStatus`.
    Exited = 2,
}

#[wasm_bindgen]
impl WebVm {
    /// Boots the image described by `manifest_json`. `fetch_chunk(name)` returns a
    /// chunk's bytes (or throws); `log` is the overlay log as loaded from IndexedDB;
    /// `persist` is called on sync (null: changes stay in memory).
    #[wasm_bindgen(constructor)]
    pub fn new(
        manifest_json: &str,
        fetch_chunk: Function,
        log: Vec<u8>,
        persist: Option<Function>,
        options: BootOptions,
    ) -> Result<WebVm, String> {
        console_error_hook();
        let manifest = Manifest::from_json(manifest_json).map_err(|e| e.to_string())?;
        let id = manifest.image_id.clone();
        let make_base = || {
            ChunkedDevice::new(
                manifest.clone(),
                JsFetcher(fetch_chunk.clone()),
                KEEP_CHUNKS,
            )
        };
        let make_persist = || persist.clone().map(JsPersist);
        let (disk, opened): (Disk, Opened) =
            open_stored_overlay(make_base, log, make_persist, &id).map_err(|e| e.to_string())?;
        let console = ConsoleHandle::new();
        console.set_size(options.rows, options.cols);
        let platform = Platform {
            clock: Box::new(WebClock),
            console: Box::new(console.console()),
            entropy: Box::new(WebEntropy),
        };
        let options = Options {
            memory_bytes: u64::from(options.memory_mib) << 20,
            strace: options.strace,
            ..Options::default()
        };
        let kernel = Kernel::new(disk, platform, options)
            .map_err(|e| format!("cannot mount the image: errno {}", e.0))?;
        Ok(WebVm {
            kernel,
            console,
            idle_until_ms: 0.0,
            exit_status: 0,
            log: opened,
        })
    }

    /// Starts the first process (`argv[0]` is a path) with environment `env`
    /// (`KEY=VALUE` strings).
    /// An empty `argv` runs root's login shell from the image's `/etc/passwd` (else
    /// `/bin/sh`) as a login shell.
    pub fn spawn(&mut self, argv: Vec<String>, env: Vec<String>) -> Result<(), String> {
        let argv: Vec<Vec<u8>> = if argv.is_empty() {
            let shell = self
                .kernel
                .root_shell()
                .unwrap_or_else(|| b"/bin/sh".to_vec());
            vec![shell, b"-l".to_vec()]
        } else {
            argv.into_iter().map(String::into_bytes).collect()
        };
        let env = env.into_iter().map(String::into_bytes).collect();
        self.kernel
            .spawn_init(argv, env)
            .map(|_| ())
            .map_err(|e| format!("cannot start the command: errno {}", e.0))
    }

    /// Runs guest code for at most `budget` instructions.
    pub fn run(&mut self, budget: u32) -> RunState {
        match self.kernel.run(u64::from(budget)) {
            Exit::BudgetUsed => RunState::Busy,
            Exit::Idle { until } => {
                self.idle_until_ms = until.map_or(f64::INFINITY, |ns| ns as f64 / 1e6);
                RunState::Idle
            }
            Exit::Exited(status) => {
                self.exit_status = Exit::shell_status(status);
                RunState::Exited
            }
        }
    }

    /// After `Idle`: the `performance.now()` time to call `run` again by, or Infinity.
    #[wasm_bindgen(getter, js_name = idleUntilMs)]
    pub fn idle_until_ms(&self) -> f64 {
        self.idle_until_ms
    }

    /// Bytes of the stored change log as loaded from IndexedDB.
    #[wasm_bindgen(getter, js_name = logLoadedBytes)]
    pub fn log_loaded_bytes(&self) -> f64 {
        self.log.loaded as f64
    }

    /// Bytes of the change log after boot (smaller than loaded when it was compacted).
    #[wasm_bindgen(getter, js_name = logBytes)]
    pub fn log_bytes(&self) -> f64 {
        self.log.now as f64
    }

    /// After `Exited`: the exit status (128 + N for a signal).
    #[wasm_bindgen(getter, js_name = exitStatus)]
    pub fn exit_status(&self) -> i32 {
        self.exit_status
    }

    /// Bytes typed in the terminal (raw: the guest's line discipline echoes them).
    #[wasm_bindgen(js_name = pushInput)]
    pub fn push_input(&self, bytes: &[u8]) {
        self.console.push_input(bytes);
    }

    /// Guest output since the last call (terminal bytes).
    #[wasm_bindgen(js_name = takeOutput)]
    pub fn take_output(&self) -> Vec<u8> {
        self.console.take_output()
    }

    /// The terminal's size; the kernel applies a change as `TIOCSWINSZ` (SIGWINCH).
    pub fn resize(&self, rows: u16, cols: u16) {
        self.console.set_size(rows, cols);
    }

    /// Starts `argv[0]` (a path) beside the shell, as `uid`/`gid` in `cwd` (`/` when
    /// empty), stdin empty, stdout and stderr captured. Returns its pid.
    #[wasm_bindgen(js_name = spawnProcess)]
    pub fn spawn_process(
        &mut self,
        argv: Vec<String>,
        env: Vec<String>,
        uid: u32,
        gid: u32,
        cwd: String,
    ) -> Result<u32, String> {
        let identity = InitIdentity {
            uid,
            gid,
            groups: vec![gid],
            cwd: (!cwd.is_empty()).then(|| cwd.into_bytes()),
        };
        let name = argv.first().cloned().unwrap_or_default();
        let argv = argv.into_iter().map(String::into_bytes).collect();
        let env = env.into_iter().map(String::into_bytes).collect();
        self.kernel
            .spawn_host_process(argv, env, &identity)
            .map_err(|e| format!("cannot start {name}: {}", describe(e)))
    }

    /// What a started process wrote since the last call: `[stdout, stderr]`.
    #[wasm_bindgen(js_name = takeProcessOutput)]
    pub fn take_process_output(&mut self, pid: u32) -> Array {
        let out = self.kernel.host_process_output(pid);
        let pair = Array::new();
        pair.push(&Uint8Array::from(&out.stdout[..]));
        pair.push(&Uint8Array::from(&out.stderr[..]));
        pair
    }

    /// A started process's exit status (128 + N for a signal) once it ended, collected
    /// once; -1 while it runs.
    #[wasm_bindgen(js_name = processStatus)]
    pub fn process_status(&mut self, pid: u32) -> i32 {
        self.kernel
            .host_process_status(pid)
            .map_or(-1, Exit::shell_status)
    }

    /// The whole content of the guest file at the absolute `path` (symlinks followed),
    /// read through the guest's filesystem as root, between run slices.
    #[wasm_bindgen(js_name = readFile)]
    pub fn read_file(&mut self, path: &str) -> Result<Vec<u8>, String> {
        self.kernel
            .read_guest_file(path.as_bytes())
            .map_err(|e| format!("cannot read {path}: {}", describe(e)))
    }

    /// Replaces (or creates, mode 0644, owned like its directory) the guest file at the
    /// absolute `path` with `data`.
    #[wasm_bindgen(js_name = writeFile)]
    pub fn write_file(&mut self, path: &str, data: &[u8]) -> Result<(), String> {
        self.kernel
            .write_guest_file(path.as_bytes(), data)
            .map_err(|e| format!("cannot write {path}: {}", describe(e)))
    }

    /// Writes every change to the overlay (and through it to IndexedDB).
    pub fn sync(&mut self) -> Result<(), String> {
        self.kernel
            .sync()
            .map_err(|e| format!("sync failed: errno {}", e.0))
    }
}

/// An errno as a person reads it.
fn describe(e: Errno) -> String {
    let text = match e {
        Errno::ENOENT => "no such file or directory",
        Errno::EACCES => "permission denied",
        Errno::EISDIR => "is a directory",
        Errno::ENOTDIR => "a path component is not a directory",
        Errno::EINVAL => "not a regular file or not an absolute path",
        Errno::ENOSPC => "no space left on the disk",
        Errno::EFBIG => "file too large",
        Errno::ENAMETOOLONG => "name too long",
        Errno::ELOOP => "too many symbolic links",
        Errno::EIO => "input/output error (a disk chunk could not be fetched)",
        Errno::ESRCH => "no process is running",
        _ => "error",
    };
    format!("{text} (errno {})", e.0)
}

/// Rust panics show up in the worker's console with their message.
fn console_error_hook() {
    std::panic::set_hook(Box::new(|info| {
        web_log(&format!("webvm panicked: {info}"));
    }));
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn web_log(s: &str);
}
