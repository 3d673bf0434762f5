// Time from navigation to an interactive prompt, cold (fresh profile, empty Cache API)
// and warm (reload: chunks come from the Cache API), and the bytes the page fetched
// before the prompt. Prints one line per run; never asserts a time.
//
// Usage: WEBVM_URL=http://127.0.0.1:8080/ node bench.mjs [RUNS]

import { launch, waitForText } from './browser.mjs';

const url = process.env.WEBVM_URL;
const runs = Number(process.argv[2] || 2);
const PROMPT = /[#$]\s*$/;

async function toPrompt(page, how) {
  const t0 = Date.now();
  if (how === 'cold') await page.goto(`${url}?persistent=0`, { waitUntil: 'commit' });
  else await page.reload();
  await page.waitForFunction(() => window.webvmTerminal && window.webvm, null, { timeout: 120000 });
  await waitForText(page, PROMPT, 300000);
  const ms = Date.now() - t0;
  const stats = await page.evaluate(() => window.webvm.stats);
  const transfer = await page.evaluate(() =>
    performance.getEntriesByType('resource').reduce((n, e) => n + (e.transferSize || 0), 0));
  return { ms, stats, transfer };
}

const mib = (n) => `${(n / (1 << 20)).toFixed(2)} MiB`;
for (let i = 0; i < runs; i++) {
  const b = await launch();
  try {
    for (const how of ['cold', 'warm']) {
      const r = await toPrompt(b.page, how);
      console.log(
        `${how.padEnd(4)}  prompt after ${String(r.ms).padStart(5)} ms  ` +
          `chunks from network ${mib(r.stats.network)}, from Cache API ${mib(r.stats.cached)} ` +
          `(${r.stats.chunks} chunk requests); main-thread resources ${mib(r.transfer)} (the workers' wasm and scripts are not counted)`,
      );
    }
  } finally {
    await b.close();
  }
}
