// Starts Debian's Chromium headless through playwright-core with a fresh profile, and
// reads the xterm.js buffer of the webvm page. Shared by the e2e test and the benchmark.

import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-gpu',
];

/** A persistent context in a new user-data-dir (so Cache API and IndexedDB work and
 * survive reloads); `close()` removes the directory. */
export async function launch() {
  const dir = mkdtempSync(join(tmpdir(), 'webvm-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1000, height: 640 },
  });
  const page = context.pages()[0] || (await context.newPage());
  const logs = [];
  page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  return {
    context,
    page,
    logs,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The terminal's text, lines joined by \n, trailing blanks trimmed. */
export function screenText(page) {
  return page.evaluate(() => {
    const b = window.webvmTerminal.buffer.active;
    const lines = [];
    for (let i = 0; i < b.length; i++) lines.push(b.getLine(i).translateToString(true));
    return lines.join('\n').replace(/\s+$/, '');
  });
}

/** Waits until the terminal text matches `re`; throws with the screen on timeout. */
export async function waitForText(page, re, timeoutMs = 60000) {
  const end = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < end) {
    text = await screenText(page).catch(() => '');
    if (re.test(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${re}; screen:\n${text}`);
}

/** Waits for the page's VM and its terminal. */
export async function waitForVm(page, timeoutMs = 60000) {
  await page.waitForFunction(() => window.webvmTerminal && window.webvm, null, { timeout: timeoutMs });
  const err = await page.evaluate(() => window.webvmReady.then(() => null, (e) => String(e)));
  if (err) throw new Error(`VM did not boot: ${err}`);
}
