// examples/federated as its README runs it, in a copy of the example laid out
// as in the repository (dist/, node_modules/ and the data linked), so that the
// state it writes (.state/, .dev.vars, tokens.json) stays out of the tree:
//   node local.mjs                  the coordinator Worker in workerd (Miniflare) on 127.0.0.1, and the page's server
//   node start.mjs --rounds 3       the operator starts the federation and issues tokens
//   node client.mjs 0 1 2 3 4 5 6   seven Node clients…
//   the page, as client 7           …and one in headless Chromium, together closing every round.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, cp, symlink, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, run, describeRun, childEnv } from './helpers/process.js';
import { ensureChromium, launchChromium } from './helpers/chromium.js';

/** The example under tmp/examples/federated, with what it reaches in the repository linked. */
async function copyOfExample() {
  const root = await mkdtemp(join(tmpdir(), 'manytask-federated-example-'));
  await mkdir(join(root, 'examples'), { recursive: true });
  for (const p of ['dist', 'node_modules', 'package.json', 'examples/data']) await symlink(join(REPO, p), join(root, p));
  await cp(join(REPO, 'examples', 'federated'), join(root, 'examples', 'federated'), {
    recursive: true, filter: (src) => !/[/\\](\.state|\.dev\.vars|tokens\.json|node_modules)$/.test(src),
  });
  return { root, dir: join(root, 'examples', 'federated') };
}

/** Starts `node local.mjs` on free ports; resolves with its URLs once it prints them. */
function startLocal(dir) {
  const child = spawn(process.execPath, ['local.mjs', '--port', '0', '--page-port', '0'], { cwd: dir, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local.mjs did not start within 60 s:\n${output}`)), 60_000);
    const look = (d) => {
      output += d;
      const coordinator = /coordinator: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
      const page = /browser client: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
      if (coordinator && page) { clearTimeout(timer); resolve({ coordinator, page }); }
    };
    child.stdout.setEncoding('utf8').on('data', look);
    child.stderr.setEncoding('utf8').on('data', look);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`local.mjs exited (${code}):\n${output}`)); });
  });
  return { child, ready, output: () => output };
}

test('examples/federated: local.mjs, start.mjs, seven Node clients and the browser page train a federation of three rounds together', { timeout: 240_000 }, async (t) => {
  await ensureChromium(t);
  const { root, dir } = await copyOfExample();
  const local = startLocal(dir);
  let browser;
  try {
    const { coordinator, page: pageUrl } = await local.ready;
    const started = await run(process.execPath, ['start.mjs', '--url', coordinator, '--rounds', '3'], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(started.code, 0, describeRun('node start.mjs', started));
    assert.match(started.stdout, /started http:\/\/127\.0\.0\.1:\d+\/federations\/penguins: round 1, 3 rounds of up to 8 clients \(quorum 4\)/);
    const { federation, clients: tokens } = JSON.parse(await readFile(join(dir, 'tokens.json'), 'utf8'));
    assert.match(await readFile(join(dir, '.dev.vars'), 'utf8'), /^FEDERATED_SECRET=\S{40,}$/m);

    browser = await launchChromium();
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (err) => errors.push(err.message));
    const address = `${pageUrl}?client=7&token=${encodeURIComponent(tokens[7])}&federation=${encodeURIComponent(federation)}&autostart`;
    await page.goto(address, { waitUntil: 'load', timeout: 20_000 });
    const nodeClients = run(process.execPath, ['client.mjs', '0', '1', '2', '3', '4', '5', '6', '--encoding', 'int8'], { cwd: dir, timeoutMs: 120_000 });
    await page.waitForFunction(() => document.body.dataset.result || document.body.dataset.error, null, { timeout: 120_000 });
    const log = await page.locator('#log').textContent();
    assert.equal(await page.evaluate(() => document.body.dataset.error ?? null), null, `the page failed:\n${log}\n${errors.join('\n')}`);
    const result = JSON.parse(await page.evaluate(() => document.body.dataset.result));
    assert.equal(result.version, 3, log);
    assert.match(log, /client 7 \(Torgersen, 19 rows\) joined/);
    assert.equal((log.match(/^round \d: \d+ bytes sent/gm) ?? []).length, 3, log);
    const clients = await nodeClients;
    assert.equal(clients.code, 0, describeRun('node client.mjs 0 … 6', clients));
    for (let id = 0; id < 7; id++) {
      assert.match(clients.stdout, new RegExp(`client ${id}: global model version 3 on the 84 test rows: species accuracy 0\\.\\d+`), clients.stdout);
    }
    assert.equal((clients.stdout.match(/round closed: version \d/g) ?? []).length + (log.match(/round closed: version \d/g) ?? []).length, 3, 'each of the three rounds closed once, by whoever sent its last update');
    t.diagnostic(log.trim().split('\n').at(-1));
  } finally {
    await browser?.close();
    try { process.kill(-local.child.pid, 'SIGTERM'); } catch { /* already gone */ }
    await rm(root, { recursive: true, force: true });
  }
});
