// The demo page: one VM in an xterm.js terminal, with status, persistence notice,
// reset, upload (button or drag and drop onto the terminal) and download.
//
// Owns the page's controls only; the machine is driven through the API in webvm.js.
// For automation the VM and its terminal are exposed as `window.webvm` and
// `window.webvmTerminal`; `window.webvmReady` resolves once the VM booted.

import { WebVM, resetImage } from './webvm.js';

const $ = (id) => document.getElementById(id);

function showError(message) {
  $('error').hidden = false;
  $('error').textContent = message;
}

function kib(n) {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${Math.round(n / 1024)} KiB`;
}

async function config() {
  const params = new URLSearchParams(location.search);
  let cfg = {};
  try {
    const r = await fetch('config.json');
    if (r.ok) cfg = await r.json();
  } catch {
    /* a static host without config.json: defaults below */
  }
  return {
    image: params.get('image') || cfg.image || 'images/default/',
    persistent: params.get('persistent') !== '0',
    strace: params.get('strace') === '1',
  };
}

async function storageNotice() {
  if (!navigator.storage || !navigator.storage.persist) return 'storage: not available';
  const persisted = (await navigator.storage.persisted()) || (await navigator.storage.persist());
  return persisted ? 'storage: persistent' : 'storage: best-effort (the browser may evict it)';
}

async function start() {
  if (!self.crossOriginIsolated) {
    showError('This page is not cross-origin isolated (COOP/COEP headers missing), so SharedArrayBuffer is unavailable. See docs/web.md.');
    return;
  }
  const cfg = await config();
  $('storage').textContent = cfg.persistent ? 'storage: asking…' : 'changes are not saved';
  if (cfg.persistent) storageNotice().then((t) => ($('storage').textContent = t));
  const vm = new WebVM({
    image: cfg.image,
    persistent: cfg.persistent,
    strace: cfg.strace,
    onStatus: (e) => {
      if (e.type === 'stats') $('status').textContent = `${cfg.image} — fetched ${kib(e.stats.network)}, from cache ${kib(e.stats.cached)}`;
      else if (e.type === 'error') showError(e.message);
      else if (e.type === 'exit') $('status').textContent = `the shell exited with status ${e.status}; reload or reset to start again`;
    },
  });
  window.webvm = vm;
  window.webvmTerminal = vm.attachTerminal($('terminal'));
  vm.terminal.focus();
  $('reset').onclick = async () => {
    $('error').hidden = true;
    try {
      if (vm.imageId) await vm.reset();
      else {
        await resetImage(cfg.image);
        location.reload();
      }
    } catch (e) {
      showError(`reset failed: ${e.message}`);
    }
    vm.terminal.focus();
  };
  $('upload').onchange = (e) => uploadFiles(vm, e.target.files);
  $('download').onclick = () => downloadFile(vm);
  const term = $('terminal');
  term.ondragover = (e) => {
    e.preventDefault();
    term.classList.add('drop');
  };
  term.ondragleave = () => term.classList.remove('drop');
  term.ondrop = (e) => {
    e.preventDefault();
    term.classList.remove('drop');
    uploadFiles(vm, e.dataTransfer.files);
  };
  await bootInto(vm);
}

async function bootInto(vm) {
  try {
    await vm.boot();
  } catch (e) {
    showError(`cannot boot: ${e.message}`);
    throw e;
  }
}

async function uploadFiles(vm, files) {
  for (const f of files) {
    try {
      await vm.upload(`/root/${f.name}`, new Uint8Array(await f.arrayBuffer()));
      $('status').textContent = `uploaded /root/${f.name}`;
    } catch (e) {
      showError(e.message);
    }
  }
}

async function downloadFile(vm) {
  const path = prompt('File to download from the VM:', '/root/');
  if (!path) return;
  try {
    const bytes = await vm.download(path);
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([bytes]));
    a.download = path.split('/').pop() || 'download';
    a.click();
    URL.revokeObjectURL(a.href);
  } catch (e) {
    showError(e.message);
  }
}

window.webvmReady = start();
