// Debian's Chromium for the browser tests: installed with apt-get when missing
// (as root), then launched headless with this machine's closed network in mind.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { run, describeRun } from './process.js';

export const CHROMIUM = '/usr/bin/chromium';
const INSTALL = 'apt-get update && apt-get install -y chromium';

/** Debian's Chromium: installed with apt-get if missing and we are root, else a failure naming the command. */
export async function ensureChromium(t) {
  if (existsSync(CHROMIUM)) return;
  const uid = process.getuid?.();
  assert.equal(uid, 0, `${CHROMIUM} is missing and this is not root: install Debian's Chromium with \`sudo sh -c '${INSTALL}'\``);
  t.diagnostic(`${CHROMIUM} is missing: running ${INSTALL}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = await run('apt-get', ['update'], { env, timeoutMs: 300_000 });
  assert.ok(update.code === 0 && !update.timedOut, describeRun('apt-get update', update));
  const install = await run('apt-get', ['install', '-y', 'chromium'], { env, timeoutMs: 900_000 });
  assert.ok(install.code === 0 && !install.timedOut, describeRun('apt-get install -y chromium', install));
  assert.ok(existsSync(CHROMIUM), `apt-get installed chromium but ${CHROMIUM} is still missing`);
}

/** Headless Chromium without the background networking this machine refuses. */
export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
    timeout: 60_000,
  });
}
