// Finds the markers the JS API asks the guest shell to print before and after a command
// (`ESC ] 777 ; webvm ; <token> ; begin BEL` and `... ; <status> BEL`) in the console
// stream, resolves the waiting `run` with the status and the output between them, and
// passes everything else on (or hides it, for a run with `display: false`).
//
// Owns byte-stream scanning only. A marker may be split across output messages, so an
// unfinished escape sequence is held back until the rest arrives.

const PREFIX = '\x1b]777;webvm;';

function latin1(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return s;
}

function toBytes(s) {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

export class MarkerScanner {
  constructor(display) {
    this.display = display;
    this.held = '';
    this.waiting = []; // {token, resolve, reject, display, shown, begun, output: []}
  }

  /** Registers a command; resolves with {status, output} when its marker arrives. */
  expect(token, { display = true, shown = '' } = {}) {
    return new Promise((resolve, reject) => {
      this.waiting.push({ token, resolve, reject, display, shown, begun: false, output: [] });
    });
  }

  cancel(err) {
    for (const w of this.waiting.splice(0)) w.reject(err);
  }

  #emit(s) {
    if (!s) return;
    const bytes = toBytes(s);
    const w = this.waiting[0];
    if (w && w.begun) w.output.push(bytes);
    // Before its begin marker, a run's output is the shell echoing the typed line.
    if (!w || (w.display && w.begun)) this.display(bytes);
  }

  push(bytes) {
    let s = this.held + latin1(bytes);
    this.held = '';
    for (;;) {
      const at = s.indexOf('\x1b]777;');
      if (at < 0) {
        // Hold back a trailing partial prefix.
        const esc = s.lastIndexOf('\x1b');
        if (esc >= 0 && PREFIX.startsWith(s.slice(esc))) {
          this.#emit(s.slice(0, esc));
          this.held = s.slice(esc);
        } else this.#emit(s);
        return;
      }
      this.#emit(s.slice(0, at));
      const end = s.indexOf('\x07', at);
      if (end < 0) {
        this.held = s.slice(at);
        return;
      }
      const body = s.slice(at + PREFIX.length, end).split(';');
      const w = this.waiting[0];
      if (s.startsWith(PREFIX, at) && w && body[0] === w.token && body[1] === 'begin') {
        w.begun = true;
        if (w.display && w.shown) this.display(toBytes(w.shown));
      } else if (s.startsWith(PREFIX, at) && w && body[0] === w.token && w.begun) {
        this.waiting.shift();
        const len = w.output.reduce((n, b) => n + b.length, 0);
        const output = new Uint8Array(len);
        let o = 0;
        for (const b of w.output) {
          output.set(b, o);
          o += b.length;
        }
        w.resolve({ status: Number(body[1]), output });
      }
      s = s.slice(end + 1);
    }
  }
}
