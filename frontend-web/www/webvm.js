// The embeddable JavaScript API of webvm (documented in docs/web.md).
//
//   const vm = await WebVM.create({ image: 'images/tiny/', persistent: true });
//   vm.attachTerminal(document.getElementById('term'));
//   const { status, output } = await vm.run('ls /');
//
// Owns the two workers (emulator and I/O), the console stream, the run-a-command
// protocol and reset. It does not know the page's layout: the demo page (main.js) is
// one user of it.

import { createChannelBuffer } from './channel.js';
import { clearLog, logLength } from './log-db.js';
import { MarkerScanner } from './markers.js';

const enc = new TextEncoder();
const here = new URL('.', import.meta.url);

function token() {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export class WebVM {
  /**
   * Boots a VM from a published image folder (with `manifest.json`).
   * Options: persistent (default true), onConsole(bytes) for guest output,
   * onStatus(event) for boot/stats/errors/exit, argv (default: root's login shell), env,
   * memoryMiB (default 512), rows/cols (default 24x80), timeoutMs for one disk request,
   * strace (trace every syscall to the console).
   */
  static async create(options) {
    const vm = new WebVM(options);
    await vm.boot();
    return vm;
  }

  constructor(options) {
    this.options = {
      persistent: true,
      argv: [], // root's login shell
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'TERM=xterm-256color'],
      memoryMiB: 512,
      rows: 24,
      cols: 80,
      timeoutMs: 60000,
      ...options,
    };
    this.imageBase = new URL(this.options.image, location.href);
    if (!this.imageBase.href.endsWith('/')) this.imageBase = new URL(this.imageBase.href + '/');
    this.imageId = null;
    this.terminal = null;
    this.stats = { network: 0, cached: 0, chunks: 0 };
    this.exited = null;
    this.listeners = new Set();
    this.scanner = new MarkerScanner((bytes) => this.#display(bytes));
    this.fileCalls = new Map(); // id -> {resolve, reject}
    this.execs = new Map(); // request id -> {resolve, reject, pid, stdout: [], stderr: [], onOutput}
    this.execByPid = new Map(); // pid -> the same record
    this.nextFileCall = 1;
    /** Bytes of the stored change log at boot: as loaded, and after compaction. */
    this.log = { loaded: 0, now: 0 };
    // Changes are saved at most a second after they happen; save them now when the
    // tab is hidden or closed (best effort: the browser may not wait for IndexedDB).
    if (typeof document !== 'undefined') {
      const save = () => {
        if (this.options.persistent && this.worker && this.exited === null) this.worker.postMessage({ type: 'sync' });
      };
      document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && save());
      addEventListener('pagehide', save);
    }
    /** Settles when the current (re)boot has finished; input waits for it. */
    this.ready = Promise.resolve();
  }

  /** Calls `fn(event)` for every status event ({type: 'booted'|'stats'|'error'|'exit'|'synced', ...}). */
  onStatus(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  #emit(event) {
    if (this.options.onStatus) this.options.onStatus(event);
    for (const fn of this.listeners) fn(event);
  }

  #display(bytes) {
    if (this.terminal) this.terminal.write(bytes);
    if (this.options.onConsole) this.options.onConsole(bytes);
  }

  /** Starts the workers and boots the image (`create` does this for you). */
  boot() {
    this.ready = this.#boot();
    return this.ready;
  }

  /**
   * Posts a message to the emulator worker once the current boot is done, so input
   * given during a boot, reset or restart reaches the new machine, in order.
   */
  #send(message) {
    const worker = () => this.worker.postMessage(message);
    this.ready.then(worker, () => {});
  }

  async #boot() {
    this.exited = null;
    const sab = createChannelBuffer(4 << 20);
    const channel = new MessageChannel();
    this.io = new Worker(new URL('./io-worker.js', here), { type: 'module', name: 'webvm-io' });
    this.worker = new Worker(new URL('./vm-worker.js', here), { type: 'module', name: 'webvm-cpu' });
    this.io.onmessage = (e) => {
      if (e.data.type === 'stats') {
        this.stats = e.data.stats;
        this.#emit({ type: 'stats', stats: this.stats });
      } else if (e.data.type === 'io-error') {
        this.#emit({ type: 'error', message: `disk: ${e.data.message} (the guest sees EIO)` });
      }
    };
    this.io.postMessage({ type: 'init', sab, base: this.imageBase.href, port: channel.port1 }, [channel.port1]);
    const booted = new Promise((resolve, reject) => {
      this.worker.onmessage = (e) => {
        const m = e.data;
        if (m.type === 'output') this.scanner.push(m.data);
        else if (m.type === 'file') this.#fileAnswer(m);
        else if (m.type.startsWith('process')) this.#execEvent(m);
        else if (m.type === 'booted') {
          this.imageId = m.imageId;
          this.log = { loaded: m.logLoadedBytes, now: m.logBytes };
          resolve();
        } else if (m.type === 'error' && m.fatal) reject(new Error(m.message));
        else if (m.type === 'exit') {
          this.exited = m.status;
          this.scanner.cancel(new Error(`the shell exited with status ${m.status}`));
          this.#cancelExecs(new Error(`the machine stopped: its shell exited with status ${m.status}`));
        }
        if (m.type !== 'output') this.#emit(m);
      };
      this.worker.onerror = (e) => {
        const err = new Error(`emulator worker: ${e.message}`);
        this.#emit({ type: 'error', message: err.message, fatal: true });
        reject(err);
      };
    });
    const size = this.options;
    this.worker.postMessage(
      {
        type: 'boot',
        manifestUrl: new URL('manifest.json', this.imageBase).href,
        sab,
        port: channel.port2,
        persistent: this.options.persistent,
        argv: this.options.argv,
        env: this.options.env,
        memoryMiB: this.options.memoryMiB,
        rows: size.rows,
        cols: size.cols,
        timeoutMs: this.options.timeoutMs,
        strace: !!this.options.strace,
      },
      [channel.port2],
    );
    await booted;
  }

  /** Sends keystrokes (a string or bytes) to the guest console, echoed like typing. */
  input(data) {
    this.#send({ type: 'input', data: typeof data === 'string' ? enc.encode(data) : data });
  }

  /** Tells the guest the terminal size (TIOCGWINSZ). */
  resize(rows, cols) {
    this.options.rows = rows;
    this.options.cols = cols;
    this.#send({ type: 'resize', rows, cols });
  }

  /**
   * Shows the console in an xterm.js terminal inside `element` (needs the global
   * `Terminal` and `FitAddon` from xterm.js). Returns the Terminal.
   */
  attachTerminal(element, termOptions = {}) {
    const term = new globalThis.Terminal({ cursorBlink: true, scrollback: 5000, ...termOptions });
    const fit = new globalThis.FitAddon.FitAddon();
    term.loadAddon(fit);
    term.open(element);
    fit.fit();
    term.onData((d) => this.input(d));
    term.onResize(({ rows, cols }) => this.resize(rows, cols));
    new ResizeObserver(() => fit.fit()).observe(element);
    this.resize(term.rows, term.cols);
    this.terminal = term;
    return term;
  }

  /**
   * Types a command line into the guest's interactive shell and resolves with
   * {status, output}: output is what the command printed between two markers the
   * shell prints around it (the typed line's echo is not part of it). With
   * `display: false` nothing of it reaches the terminal. Needs a POSIX shell reading
   * the console (the default login shell) at its prompt.
   */
  run(command, { display = true } = {}) {
    const t = token();
    const begin = `printf '\\033]777;webvm;${t};begin\\007'`;
    const end = `printf '\\033]777;webvm;${t};%d\\007' $?`;
    // One line when possible, so the shell prints no continuation prompt.
    const line = command.includes('\n')
      ? `${begin}; { ${command}\n}; ${end}\r`
      : `${begin}; ${command}; ${end}\r`;
    // The echo of the wrapped line is hidden; the terminal shows the command instead.
    const shown = unescape(encodeURIComponent(`${command.replace(/\n/g, '\r\n')}\r\n`));
    const done = this.scanner.expect(t, { display, shown });
    this.#send({ type: 'input', data: enc.encode(line.replace(/\n/g, '\r')) });
    return done;
  }

  /**
   * Runs the program `path` with `args` beside the shell (it needs no shell: like
   * CheerpX's `run`), as `uid`/`gid` (default 0) in `cwd` (default `/`) with `env`
   * (default: the VM's). stdin is empty. Resolves with {status, stdout, stderr} when it
   * ends; `onOutput(stdout, stderr)` sees the output as it comes.
   */
  exec(path, args = [], { env, cwd = '/', uid = 0, gid = 0, onOutput } = {}) {
    return new Promise((resolve, reject) => {
      const id = this.nextFileCall++;
      this.execs.set(id, { resolve, reject, stdout: [], stderr: [], onOutput });
      const message = { type: 'spawn', id, argv: [path, ...args], env: env || this.options.env, cwd, uid, gid };
      this.ready.then(
        () => this.worker.postMessage(message),
        (e) => {
          this.execs.delete(id);
          reject(e);
        },
      );
    });
  }

  #execEvent(m) {
    if (m.type === 'processStarted') {
      const record = this.execs.get(m.id);
      if (!record) return;
      this.execs.delete(m.id);
      this.execByPid.set(m.pid, record);
    } else if (m.type === 'processOutput') {
      const record = this.execByPid.get(m.pid);
      if (!record) return;
      record.stdout.push(m.stdout);
      record.stderr.push(m.stderr);
      if (record.onOutput) record.onOutput(m.stdout, m.stderr);
    } else if (m.type === 'processExit' && m.error) {
      const record = this.execs.get(m.id);
      this.execs.delete(m.id);
      if (record) record.reject(new Error(m.error));
    } else if (m.type === 'processExit') {
      const record = this.execByPid.get(m.pid);
      if (!record) return;
      this.execByPid.delete(m.pid);
      const join = (parts) => {
        const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) {
          all.set(p, at);
          at += p.length;
        }
        return all;
      };
      record.resolve({ status: m.status, stdout: join(record.stdout), stderr: join(record.stderr) });
    }
  }

  #cancelExecs(err) {
    for (const r of [...this.execs.values(), ...this.execByPid.values()]) r.reject(err);
    this.execs.clear();
    this.execByPid.clear();
  }

  #fileCall(message, transfer = []) {
    return new Promise((resolve, reject) => {
      const id = this.nextFileCall++;
      this.fileCalls.set(id, { resolve, reject });
      this.ready.then(
        () => this.worker.postMessage({ ...message, id }, transfer),
        (e) => {
          this.fileCalls.delete(id);
          reject(e);
        },
      );
    });
  }

  #fileAnswer(m) {
    const call = this.fileCalls.get(m.id);
    if (!call) return;
    this.fileCalls.delete(m.id);
    if (m.error) call.reject(new Error(m.error));
    else call.resolve(m.data);
  }

  /**
   * Writes `bytes` (a Uint8Array or string) to the absolute `path` in the guest,
   * replacing the file or creating it (mode 0644, owned like its directory). Goes
   * through the kernel, not the guest's shell, so it works whatever the shell is doing.
   */
  upload(path, bytes) {
    const data = typeof bytes === 'string' ? enc.encode(bytes) : new Uint8Array(bytes);
    return this.#fileCall({ type: 'writeFile', path, data }, [data.buffer]);
  }

  /** Reads the file at the absolute `path` in the guest as a Uint8Array. */
  download(path) {
    return this.#fileCall({ type: 'readFile', path });
  }

  /** Asks the guest side to save its changes to IndexedDB now. */
  sync() {
    return new Promise((resolve) => {
      const off = this.onStatus((e) => {
        if (e.type === 'synced') {
          off();
          resolve();
        }
      });
      this.#send({ type: 'sync' });
    });
  }

  /** Bytes of changes kept in IndexedDB for this image. */
  storedBytes() {
    return logLength(this.imageId);
  }

  /** Stops the machine (the workers are terminated; unsynced changes are lost). */
  stop() {
    this.worker?.terminate();
    this.io?.terminate();
    this.scanner.cancel(new Error('the VM was stopped'));
    for (const call of this.fileCalls.values()) call.reject(new Error('the VM was stopped'));
    this.fileCalls.clear();
    this.#cancelExecs(new Error('the VM was stopped'));
  }

  /**
   * Forgets every change (IndexedDB, from the page: works however broken the guest is)
   * and boots the published image again.
   */
  reset() {
    this.stop();
    this.ready = (async () => {
      await clearLog(this.imageId);
      if (this.terminal) this.terminal.reset();
      await this.#boot();
    })();
    return this.ready;
  }

  /** Stops the machine and boots it again from what is stored. */
  restart() {
    this.stop();
    this.ready = (async () => {
      if (this.terminal) this.terminal.reset();
      await this.#boot();
    })();
    return this.ready;
  }
}

/** Clears the stored changes of an image without booting it (for a broken state). */
export async function resetImage(imageUrl) {
  let base = new URL(imageUrl, location.href).href;
  if (!base.endsWith('/')) base += '/';
  const manifest = await (await fetch(new URL('manifest.json', base))).json();
  await clearLog(manifest.image_id);
}
