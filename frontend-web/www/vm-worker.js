// The emulator worker: boots the wasm machine and drives `WebVm.run(budget)`.
//
// Owns the run loop. It runs guest code in slices of a few milliseconds, posts the
// terminal output to the page after each slice, and when every guest task waits
// (`Idle`) it sleeps until input arrives or the guest's deadline passes: no polling.
// Disk reads and overlay syncs block this worker in Atomics.wait (see channel.js)
// while the I/O worker does the asynchronous work.

import init, { WebVm, RunState, BootOptions } from './pkg/frontend_web.js';
import { SyncClient } from './channel.js';

const BUDGET = 200000; // instructions per run call
const SLICE_MS = 12; // run this long before letting messages in
const SYNC_EVERY_MS = 1000; // at most this often, when idle after activity

let vm = null;
let io = null;
let wake = null; // resolves the idle wait
let pendingInput = [];
let imageId = null;
let persistent = false;
let dirtySinceSync = false;
let lastSync = 0;
const hostProcesses = new Set(); // pids started by `exec`

function post(type, fields = {}) {
  self.postMessage({ type, ...fields });
}

function wakeUp() {
  if (wake) {
    const w = wake;
    wake = null;
    w();
  }
}

const yieldChannel = new MessageChannel();
function yieldToEvents() {
  return new Promise((resolve) => {
    yieldChannel.port1.onmessage = () => resolve();
    yieldChannel.port2.postMessage(0);
  });
}

function idleWait(untilMs) {
  return new Promise((resolve) => {
    wake = resolve;
    if (pendingInput.length) return wakeUp();
    if (Number.isFinite(untilMs)) setTimeout(wakeUp, Math.max(0, untilMs - performance.now()));
  });
}

function flushOutput() {
  const out = vm.takeOutput();
  if (out.length) post('output', { data: out });
  for (const pid of hostProcesses) {
    const [stdout, stderr] = vm.takeProcessOutput(pid);
    if (stdout.length || stderr.length) post('processOutput', { pid, stdout, stderr });
    const status = vm.processStatus(pid);
    if (status >= 0) {
      hostProcesses.delete(pid);
      post('processExit', { pid, status });
    }
  }
}

// Starts a process beside the shell (the API's `exec`); its output and exit status are
// posted by flushOutput after each slice.
function spawnProcess(msg) {
  if (!vm) {
    post('processExit', { id: msg.id, error: 'the machine has not booted' });
    return;
  }
  try {
    const pid = vm.spawnProcess(msg.argv, msg.env, msg.uid, msg.gid, msg.cwd);
    hostProcesses.add(pid);
    post('processStarted', { id: msg.id, pid });
    wakeUp();
  } catch (e) {
    post('processExit', { id: msg.id, error: String(e) });
  }
}

function trySync(force) {
  if (!persistent || !dirtySinceSync) return;
  const now = performance.now();
  if (!force && now - lastSync < SYNC_EVERY_MS) return;
  lastSync = now;
  dirtySinceSync = false;
  try {
    vm.sync();
    post('synced');
  } catch (e) {
    post('error', { message: `saving changes failed: ${e}` });
  }
}

async function loop() {
  for (;;) {
    for (const data of pendingInput.splice(0)) vm.pushInput(data);
    const start = performance.now();
    let state;
    do {
      state = vm.run(BUDGET);
      dirtySinceSync = true;
    } while (state === RunState.Busy && performance.now() - start < SLICE_MS);
    flushOutput();
    if (state === RunState.Exited) {
      trySync(true);
      post('exit', { status: vm.exitStatus });
      return;
    }
    if (state === RunState.Idle) {
      trySync(false);
      let until = vm.idleUntilMs;
      if (persistent && dirtySinceSync) until = Math.min(until, lastSync + SYNC_EVERY_MS);
      await idleWait(until);
    } else {
      await yieldToEvents();
    }
  }
}

function loadLog(port, id) {
  return new Promise((resolve, reject) => {
    port.onmessage = (e) => {
      if (e.data.op !== 'log') return;
      if (e.data.error) reject(new Error(e.data.error));
      else resolve(e.data.log);
    };
    port.postMessage({ op: 'loadLog', imageId: id });
  });
}

async function boot(msg) {
  await init({ module_or_path: new URL('./pkg/frontend_web_bg.wasm', import.meta.url) });
  const resp = await fetch(msg.manifestUrl);
  if (!resp.ok) throw new Error(`manifest: HTTP ${resp.status} for ${msg.manifestUrl}`);
  const manifestText = await resp.text();
  let manifest;
  try {
    manifest = JSON.parse(manifestText);
  } catch (e) {
    throw new Error(`manifest: not JSON (${e.message})`);
  }
  imageId = manifest.image_id;
  persistent = msg.persistent;
  io = new SyncClient(msg.sab, msg.port, msg.timeoutMs);
  const log = persistent ? await loadLog(msg.port, imageId) : new Uint8Array(0);
  msg.port.onmessage = null;
  const fetchChunk = (name) => io.call({ op: 'chunk', name });
  const persist = persistent
    ? (len, pages) => {
        io.call({ op: 'persist', imageId, len, pages });
      }
    : null;
  const options = new BootOptions(msg.memoryMiB, !!msg.strace, msg.rows, msg.cols);
  vm = new WebVm(manifestText, fetchChunk, log, persist, options);
  vm.resize(msg.rows, msg.cols);
  vm.spawn(msg.argv, msg.env);
  post('booted', { imageId, logBytes: vm.logBytes, logLoadedBytes: vm.logLoadedBytes });
  loop().catch((e) => post('error', { message: `the machine stopped: ${e}` }));
}

// Reads or writes a guest file through the kernel (between run slices: messages are
// handled only while the loop awaits) and answers with {type: 'file', id, data|error}.
function fileCall(msg) {
  if (!vm) {
    post('file', { id: msg.id, error: 'the machine has not booted' });
    return;
  }
  try {
    if (msg.type === 'readFile') {
      const data = vm.readFile(msg.path);
      self.postMessage({ type: 'file', id: msg.id, data }, [data.buffer]);
    } else {
      vm.writeFile(msg.path, msg.data);
      dirtySinceSync = true;
      post('file', { id: msg.id });
      wakeUp();
    }
  } catch (e) {
    post('file', { id: msg.id, error: String(e) });
  }
}

self.onmessage = (e) => {
  const msg = e.data;
  switch (msg.type) {
    case 'boot':
      boot(msg).catch((err) => post('error', { message: String(err.message || err), fatal: true }));
      break;
    case 'input':
      pendingInput.push(msg.data);
      wakeUp();
      break;
    case 'resize':
      if (vm) vm.resize(msg.rows, msg.cols);
      break;
    case 'sync':
      if (vm) trySync(true);
      post('synced');
      break;
    case 'spawn':
      spawnProcess(msg);
      break;
    case 'readFile':
    case 'writeFile':
      fileCall(msg);
      break;
  }
};
