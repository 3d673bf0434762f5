// The overlay log in IndexedDB: one database, pages of the log keyed by
// [imageId, pageIndex], and the log length keyed by imageId.
//
// Owns the IndexedDB schema. Used by the I/O worker (load, store) and by the page
// (reset: delete one image's records without the guest's help).

const DB = 'webvm-overlay';
const PAGE_BYTES = 64 * 1024; // must match frontend-web/src/paged_log.rs

function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
  });
}

let opened = null;

export function openLogDb() {
  if (!opened) {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => {
      r.result.createObjectStore('pages');
      r.result.createObjectStore('meta');
    };
    opened = req(r);
  }
  return opened;
}

/** The whole log of `imageId` (empty when none). */
export async function loadLog(db, imageId) {
  const tx = db.transaction(['pages', 'meta'], 'readonly');
  const len = (await req(tx.objectStore('meta').get(imageId)))?.len ?? 0;
  const log = new Uint8Array(len);
  const range = IDBKeyRange.bound([imageId, 0], [imageId, Infinity]);
  const keys = await req(tx.objectStore('pages').getAllKeys(range));
  const vals = await req(tx.objectStore('pages').getAll(range));
  keys.forEach((k, i) => {
    const at = k[1] * PAGE_BYTES;
    if (at < len) log.set(vals[i].subarray(0, len - at), at);
  });
  return log;
}

/** Stores changed pages ([index, bytes] pairs) and the new length in one transaction. */
export async function storePages(db, imageId, len, pages) {
  const tx = db.transaction(['pages', 'meta'], 'readwrite');
  for (const [i, bytes] of pages) tx.objectStore('pages').put(bytes, [imageId, i]);
  tx.objectStore('pages').delete(
    IDBKeyRange.bound([imageId, Math.ceil(len / PAGE_BYTES)], [imageId, Infinity]));
  tx.objectStore('meta').put({ len }, imageId);
  await done(tx);
}

/** Forgets every change made to `imageId`. */
export async function clearLog(imageId) {
  const db = await openLogDb();
  const tx = db.transaction(['pages', 'meta'], 'readwrite');
  tx.objectStore('pages').delete(IDBKeyRange.bound([imageId, 0], [imageId, Infinity]));
  tx.objectStore('meta').delete(imageId);
  await done(tx);
}

/** Bytes of the log kept for `imageId`. */
export async function logLength(imageId) {
  const db = await openLogDb();
  const tx = db.transaction(['meta'], 'readonly');
  return (await req(tx.objectStore('meta').get(imageId)))?.len ?? 0;
}
