// The I/O worker: fetches image chunks over HTTP (through the Cache API) and keeps the
// overlay log in IndexedDB, for the emulator worker, which waits synchronously.
//
// Owns network and IndexedDB access. Chunks are content-addressed
// (`chunks/<sha256>.bin`), so a cached chunk never goes stale; a chunk whose bytes do
// not hash to its name is not cached. Byte counts go to the page for the status line.

import { reply } from './channel.js';
import { openLogDb, loadLog, storePages } from './log-db.js';

const CACHE = 'webvm-chunks-v1';
let sab = null;
let base = null;
let stats = { network: 0, cached: 0, chunks: 0 };

function hex(buf) {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function fetchChunk(name) {
  const url = new URL(name, base).href;
  const cache = await caches.open(CACHE).catch(() => null);
  const hit = cache && (await cache.match(url));
  if (hit) {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    stats.cached += bytes.length;
    return bytes;
  }
  const resp = await fetch(url);
  if (!resp.ok) throw new Error(`HTTP ${resp.status} for ${url}`);
  const bytes = new Uint8Array(await resp.arrayBuffer());
  stats.network += bytes.length;
  const expect = /([0-9a-f]{64})\.bin$/.exec(name);
  if (cache && expect && hex(await crypto.subtle.digest('SHA-256', bytes)) === expect[1]) {
    await cache.put(url, new Response(bytes, { headers: { 'Content-Type': 'application/octet-stream' } }));
  }
  return bytes;
}

async function handle(msg) {
  const enc = new TextEncoder();
  try {
    if (msg.op === 'chunk') {
      stats.chunks += 1;
      reply(sab, true, await fetchChunk(msg.name));
    } else if (msg.op === 'persist') {
      await storePages(await openLogDb(), msg.imageId, msg.len, msg.pages);
      reply(sab, true, new Uint8Array(0));
    } else {
      throw new Error(`unknown request ${msg.op}`);
    }
  } catch (e) {
    const message = String(e && e.message ? e.message : e);
    self.postMessage({ type: 'io-error', message: `${msg.op} ${msg.name || ''}: ${message}` });
    reply(sab, false, enc.encode(message));
  }
  self.postMessage({ type: 'stats', stats });
}

// The page sends `init` with the port to the emulator worker; the emulator worker
// sends `loadLog` (asynchronous, answered by message) and then synchronous requests.
self.onmessage = (e) => {
  const msg = e.data;
  if (msg.type === 'init') {
    sab = msg.sab;
    base = msg.base;
    msg.port.onmessage = async (ev) => {
      const m = ev.data;
      if (m.op === 'loadLog') {
        try {
          const log = await loadLog(await openLogDb(), m.imageId);
          msg.port.postMessage({ op: 'log', log }, [log.buffer]);
        } catch (err) {
          msg.port.postMessage({ op: 'log', error: String(err) });
        }
      } else {
        handle(m);
      }
    };
  }
};
