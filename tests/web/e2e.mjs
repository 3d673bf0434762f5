// End-to-end test of the webvm page in headless Chromium: boot to a prompt, type
// commands, read the terminal; a file survives a reload; reset forgets it; the JS API
// runs a command and moves a file in and out; a chunk that is missing on the server
// becomes EIO in the guest, not a hang. A screenshot is saved as an artifact.
//
// Usage: node e2e.mjs URL [ARTIFACT_DIR]   (tests/web/run.sh starts the server)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { launch, screenText, waitForText, waitForVm } from './browser.mjs';

const url = process.env.WEBVM_URL;
const artifacts = process.env.WEBVM_ARTIFACTS || 'artifacts';
const profile = process.env.WEBVM_PROFILE || 'tiny';
const PROMPT = /[#$]\s*$/;

async function type(page, text) {
  await page.keyboard.type(text, { delay: 5 });
}

async function lastPrompt(page) {
  await waitForText(page, /[#$]\s*$/);
}

test('a shell in the page: type, persist, reset, API', { timeout: 300000 }, async (t) => {
  assert.ok(url, 'WEBVM_URL must be set (use tests/web/run.sh)');
  mkdirSync(artifacts, { recursive: true });
  const b = await launch();
  t.after(async () => {
    if (process.env.WEBVM_VERBOSE || t.passed === false) console.log(b.logs.join('\n'));
    await b.close();
  });
  const { page } = b;
  await page.goto(url);
  await waitForVm(page);
  await lastPrompt(page);
  await page.click('#terminal');

  await type(page, 'echo hello from $(uname -m)\n');
  await waitForText(page, /^hello from i686$/m);

  await type(page, 'stty size\n');
  const rows = await page.evaluate(() => window.webvmTerminal.rows);
  const cols = await page.evaluate(() => window.webvmTerminal.cols);
  await waitForText(page, new RegExp(`^${rows} ${cols}$`, 'm'));

  // A smaller window: xterm refits, the foreground job gets SIGWINCH and the guest
  // sees the new size (TIOCGWINSZ).
  await type(page, `sh -c 'trap "echo winch-$((1+1)); exit" WINCH; echo waiting-$((2+1)); while :; do sleep 1; done'\n`);
  await waitForText(page, /^waiting-3$/m);
  const viewport = page.viewportSize();
  await page.setViewportSize({ width: Math.round(viewport.width * 0.6), height: Math.round(viewport.height * 0.6) });
  await page.waitForFunction((old) => window.webvmTerminal.cols < old, cols);
  await waitForText(page, /^winch-2$/m, 20000);
  const rows2 = await page.evaluate(() => window.webvmTerminal.rows);
  const cols2 = await page.evaluate(() => window.webvmTerminal.cols);
  await type(page, 'stty size\n');
  await waitForText(page, new RegExp(`^${rows2} ${cols2}$`, 'm'));
  await page.setViewportSize(viewport);
  await page.waitForFunction((old) => window.webvmTerminal.cols === old, cols);

  // Ctrl-C reaches the foreground job through the guest's line discipline.
  await type(page, 'cat\n');
  await type(page, 'ping-$((0))\n');
  await waitForText(page, /^ping-\$\(\(0\)\)\nping-\$\(\(0\)\)$/m, 10000);
  await page.keyboard.press('Control+C');
  await type(page, 'echo after-$((1+1))\n');
  await waitForText(page, /^after-2$/m, 10000);

  await type(page, 'echo persisted-$((6*7)) > /root/note.txt; sync; cat /root/note.txt\n');
  await waitForText(page, /^persisted-42$/m);
  // Rewriting the same data many times grows the stored log far past what it holds:
  // the next boot compacts it.
  await type(page, 'for i in 1 2 3 4; do dd if=/dev/zero of=/root/big bs=64k count=32 2>/dev/null; sync; done; rm /root/big; echo rewrote-$((2+2))\n');
  await waitForText(page, /^rewrote-4$/m, 60000);
  await page.screenshot({ path: `${artifacts}/terminal.png` });

  // The file survives a reload (IndexedDB overlay).
  await page.evaluate(() => window.webvm.sync());
  await page.reload();
  await waitForVm(page);
  await lastPrompt(page);
  const log = await page.evaluate(() => window.webvm.log);
  assert.ok(log.loaded > 4 << 20 && log.now < log.loaded / 2, `the stored log was compacted at boot: ${JSON.stringify(log)}`);
  assert.equal(await page.evaluate(() => window.webvm.storedBytes()), log.now);
  let r = await page.evaluate(() => window.webvm.run('cat /root/note.txt'));
  assert.equal(r.status, 0);
  assert.match(await page.evaluate(() => window.webvm.run('cat /root/note.txt').then((r) => new TextDecoder().decode(r.output))), /persisted-42/);

  // The JS API: exit status, upload, download.
  r = await page.evaluate(() => window.webvm.run('exit_code() { return 3; }; exit_code'));
  assert.equal(r.status, 3);
  // Upload and download go through the kernel, not the shell: they work while a
  // foreground job holds the terminal, byte-exact, and the guest sees the same bytes.
  await type(page, 'cat\n');
  const back = await page.evaluate(async () => {
    const data = new Uint8Array(3 << 20).map((_, i) => (i * 7 + (i >> 12)) & 255);
    await window.webvm.upload('/tmp/blob.bin', data);
    const got = await window.webvm.download('/tmp/blob.bin');
    const missing = await window.webvm.download('/tmp/no-such-file').then(() => 'resolved', (e) => e.message);
    return { same: got.length === data.length && got.every((v, i) => v === data[i]), missing };
  });
  assert.ok(back.same, 'a file uploaded into the VM comes back unchanged');
  assert.match(back.missing, /no such file/);
  // exec() starts a program beside the shell (busy with `cat` here), as another user.
  const ex = await page.evaluate(async () => {
    const r = await window.webvm.exec('/bin/sh', ['-c', 'echo out-$((1+1)); echo err >&2; id -u; pwd; exit 4'], { uid: 1000, gid: 1000, cwd: '/home/user' });
    const dec = new TextDecoder();
    const missing = await window.webvm.exec('/no/such/program').then(() => 'resolved', (e) => e.message);
    return { status: r.status, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr), missing };
  });
  assert.deepEqual(ex, { status: 4, stdout: 'out-2\n1000\n/home/user\n', stderr: 'err\n', missing: 'cannot start /no/such/program: no such file or directory (errno 2)' });
  await page.keyboard.press('Control+C');
  r = await page.evaluate(() => window.webvm.run('wc -c < /tmp/blob.bin').then((r) => new TextDecoder().decode(r.output)));
  assert.match(r, /^3145728\r?$/m);

  // The page's Upload and Download buttons.
  await page.setInputFiles('#upload', { name: 'hello.txt', mimeType: 'text/plain', buffer: Buffer.from('uploaded via the page\n') });
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('uploaded /root/hello.txt'));
  page.once('dialog', (d) => d.accept('/root/hello.txt'));
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  const { readFile } = await import('node:fs/promises');
  assert.equal(await readFile(await download.path(), 'utf8'), 'uploaded via the page\n');

  // Reset forgets the change, from the page.
  // The click handler replaces `webvm.ready` before it returns; it settles when the
  // new machine has booted (input sent earlier would wait for it anyway).
  await page.click('#reset');
  await page.evaluate(() => window.webvm.ready);
  await waitForText(page, PROMPT);
  r = await page.evaluate(() => window.webvm.run('test -e /root/note.txt; echo $?'));
  assert.match(new TextDecoder().decode(new Uint8Array(Object.values(r.output))), /^1\r?$/m);
  const stored = await page.evaluate(() => window.webvm.storedBytes());
  assert.ok(stored < 65536, `stored overlay after reset is small (${stored} bytes)`);

  if (profile === 'default') {
    // The classic demo, run through the page's API and read back.
    const demo = (cmd) => page.evaluate((c) => window.webvm.run(c).then((res) => ({
      status: res.status,
      text: new TextDecoder().decode(new Uint8Array(Object.values(res.output))),
    })), cmd);
    r = await demo('cd /home/user && python3 examples/python3/fibonacci.py');
    assert.equal(r.status, 0, r.text);
    assert.match(r.text, /fib\(19\) = 4181/);
    r = await demo('cd /home/user && gcc -o helloworld examples/c/helloworld.c && ./helloworld');
    assert.equal(r.status, 0, r.text);
    assert.match(r.text, /Hello, World!/);
    r = await demo('cd /home/user && objdump -d ./helloworld | head');
    assert.match(r.text, /file format elf32-i386/);
    console.log(`classic demo:\n${r.text}`);
  }
  await page.screenshot({ path: `${artifacts}/after-reset.png` });
  console.log((await screenText(page)).split('\n').slice(-8).join('\n'));
});

test('reset works after the guest destroyed its own filesystem', { timeout: 120000 }, async (t) => {
  const b = await launch();
  t.after(() => b.close());
  const { page } = b;
  await page.goto(url);
  await waitForVm(page);
  await waitForText(page, PROMPT);
  // Typed, not run(): run() needs printf, which is busybox here.
  await page.click('#terminal');
  // The shell's own binary: busybox in tiny, bash (root's shell) in default.
  const victim = profile === 'tiny' ? '/bin/busybox' : '/bin/bash';
  await type(page, `mv ${victim} ${victim}.moved; echo gone-$((2*3))\n`);
  await waitForText(page, /^gone-6$/m);
  await page.evaluate(() => window.webvm.sync());
  await page.reload();
  await page.waitForSelector('#error:not([hidden])', { timeout: 60000 });
  assert.match(await page.textContent('#error'), /cannot/);
  // The machine never booted, so the page clears the stored changes and reloads.
  await Promise.all([page.waitForEvent('load'), page.click('#reset')]);
  await waitForVm(page);
  await waitForText(page, PROMPT);
  const r = await page.evaluate((v) => window.webvm.run(`test -e ${v}`), victim);
  assert.equal(r.status, 0);
});

test('a chunk the server cannot give is EIO in the guest and an error on the page', { timeout: 120000 }, async (t) => {
  const b = await launch();
  t.after(() => b.close());
  const { page } = b;
  let failChunks = false;
  await b.context.route('**/chunks/**', (route) =>
    failChunks ? route.fulfill({ status: 404, body: 'gone' }) : route.continue());
  await page.goto(`${url}?persistent=0`);
  await waitForVm(page);
  await waitForText(page, PROMPT);
  failChunks = true;
  const r = await page.evaluate(async () => {
    const r = await window.webvm.run('cat /lib/i386-linux-gnu/libc.so.6 > /dev/null');
    return { status: r.status, text: new TextDecoder().decode(r.output) };
  });
  assert.notEqual(r.status, 0);
  assert.match(r.text, /Input\/output error/);
  const shown = await page.textContent('#error');
  assert.match(shown, /HTTP 404/);
  // The machine is still alive (a shell builtin: blocks not read yet stay unreadable).
  const again = await page.evaluate(async () => {
    const r = await window.webvm.run('echo alive');
    return { status: r.status, text: new TextDecoder().decode(new Uint8Array(Object.values(r.output))) };
  });
  assert.equal(again.status, 0);
  assert.match(again.text, /alive/);
  // With persistence off nothing reaches IndexedDB.
  assert.equal(await page.evaluate(() => window.webvm.storedBytes()), 0);
});

test('a missing manifest is reported on the page', { timeout: 60000 }, async (t) => {
  const b = await launch();
  t.after(() => b.close());
  await b.page.goto(`${url}?image=images/no-such-profile/`);
  await b.page.waitForSelector('#error:not([hidden])');
  assert.match(await b.page.textContent('#error'), /manifest: HTTP 404/);
});

test('build-web output boots on a host that sets no headers (service-worker shim)', { timeout: 120000, skip: !process.env.WEBVM_SITE && 'WEBVM_SITE not set' }, async (t) => {
  const { createServer } = await import('node:http');
  const { readFile } = await import('node:fs/promises');
  const { join, normalize, extname } = await import('node:path');
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json' };
  // A deliberately plain static host: files and MIME types, no COOP/COEP.
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    try {
      const body = await readFile(join(process.env.WEBVM_SITE, path.endsWith('/') ? `${path}index.html` : path));
      res.writeHead(200, { 'Content-Type': types[extname(path)] || (path.endsWith('/') ? 'text/html' : 'application/octet-stream') });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const b = await launch();
  t.after(async () => {
    await b.close();
    server.close();
  });
  await b.page.goto(`http://127.0.0.1:${server.address().port}/`);
  await b.page.waitForFunction(() => self.crossOriginIsolated && window.webvmTerminal, null, { timeout: 60000 });
  await waitForText(b.page, PROMPT);
  const r = await b.page.evaluate(() => window.webvm.run('echo static-ok'));
  assert.equal(r.status, 0);
});
