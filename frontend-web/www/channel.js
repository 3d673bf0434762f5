// A synchronous request channel from the emulator worker to the I/O worker.
//
// Owns the SharedArrayBuffer protocol only: the emulator worker posts a request on a
// MessagePort and sleeps in Atomics.wait on the buffer's state word; the I/O worker
// fills the reply into the buffer and wakes it with Atomics.notify. A reply that does
// not come within the timeout becomes an error, so the emulator never hangs.
//
// Layout: Int32 [0] state, [1] reply length, then reply bytes from byte 8.

export const IDLE = 0;
export const PENDING = 1;
export const OK = 2;
export const FAILED = 3;
const HEADER = 8;

/** A buffer for replies of up to `capacity` bytes. */
export function createChannelBuffer(capacity) {
  return new SharedArrayBuffer(HEADER + capacity);
}

/** The emulator worker's side. */
export class SyncClient {
  constructor(sab, port, timeoutMs = 60000) {
    this.sab = sab;
    this.state = new Int32Array(sab, 0, 2);
    this.port = port;
    this.timeoutMs = timeoutMs;
  }

  /** Sends `message` (plus transferables) and blocks until the reply; returns its
   * bytes as a fresh Uint8Array, or throws an Error with the I/O worker's reason. */
  call(message, transfer = []) {
    Atomics.store(this.state, 0, PENDING);
    this.port.postMessage(message, transfer);
    const deadline = performance.now() + this.timeoutMs;
    while (Atomics.load(this.state, 0) === PENDING) {
      const left = deadline - performance.now();
      if (left <= 0 || Atomics.wait(this.state, 0, PENDING, left) === 'timed-out') {
        if (Atomics.load(this.state, 0) !== PENDING) break;
        Atomics.store(this.state, 0, IDLE);
        throw new Error(`I/O worker did not answer ${message.op} within ${this.timeoutMs} ms`);
      }
    }
    const status = Atomics.load(this.state, 0);
    const len = Atomics.load(this.state, 1);
    const bytes = new Uint8Array(this.sab, HEADER, len).slice();
    Atomics.store(this.state, 0, IDLE);
    if (status !== OK) throw new Error(new TextDecoder().decode(bytes));
    return bytes;
  }
}

/** The I/O worker's side: answers one request. */
export function reply(sab, ok, bytes) {
  const state = new Int32Array(sab, 0, 2);
  const room = sab.byteLength - HEADER;
  if (ok && bytes.length > room) {
    ok = false;
    bytes = new TextEncoder().encode(`reply of ${bytes.length} bytes exceeds the channel (${room})`);
  }
  bytes = bytes.subarray(0, room);
  new Uint8Array(sab, HEADER, bytes.length).set(bytes);
  Atomics.store(state, 1, bytes.length);
  Atomics.store(state, 0, ok ? OK : FAILED);
  Atomics.notify(state, 0);
}
