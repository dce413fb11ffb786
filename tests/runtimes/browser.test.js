// manytask in a real browser: Debian's Chromium, driven by playwright-core.
//
// A node:http server on 127.0.0.1 serves dist/ (the `browser` export,
// dist/web.js) and a page that calls `init()` with no argument, so web.js
// fetches manytask.wasm beside itself and compiles it while it streams in. The
// page is cross-origin isolated (COOP/COEP), as threads will need.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import { ensureChromium, launchChromium } from './helpers/chromium.js';
import { REPO } from './helpers/process.js';
import { nodeResults, checkResults, nodeTraining, checkTraining } from './helpers/check.js';


const PAGE = `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>manytask in Chromium</title>
<script type="module">
import * as mt from '/dist/web.js';
import { runCases } from '/tests/runtimes/helpers/gemm-cases.js';
import { runTraining } from '/tests/runtimes/helpers/train-case.js';
try {
  await mt.init();
  window.__manytask = {
    crossOriginIsolated: self.crossOriginIsolated,
    sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
    initialized: mt.isInitialized(),
    results: runCases(mt),
    training: runTraining(mt),
  };
} catch (err) {
  window.__manytask = { error: String(err?.stack ?? err), code: err?.code };
}
</script>
</head>
<body>manytask</body>
</html>
`;

const SHARED = ['/tests/runtimes/helpers/gemm-cases.js', '/tests/runtimes/helpers/train-case.js', '/tests/helpers/reference-core.js'];

const TYPES = { '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm', '.map': 'application/json' };

/** Serves / (the page), /dist/** and the shared case modules in tests/runtimes/helpers/; logs every request. */
function startServer(log) {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://127.0.0.1').pathname;
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cache-Control': 'no-store',
    };
    let status = 404;
    let body = `not found: ${path}`;
    let type = 'text/plain; charset=utf-8';
    if (req.method !== 'GET') {
      status = 405;
      body = 'GET only';
    } else if (path === '/') {
      status = 200;
      body = PAGE;
      type = 'text/html; charset=utf-8';
    } else if (path.startsWith('/dist/') || SHARED.includes(path)) {
      const file = normalize(join(REPO, decodeURIComponent(path)));
      const ext = file.slice(file.lastIndexOf('.'));
      if (file.startsWith(join(REPO, 'dist') + sep) || SHARED.some((p) => file === join(REPO, p))) {
        try {
          body = await readFile(file);
          status = 200;
          type = TYPES[ext] ?? 'application/octet-stream';
        } catch {
          // 404
        }
      }
    }
    log.push({ path, status, type });
    res.writeHead(status, { ...headers, 'Content-Type': type });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

test('manytask in Chromium: web.js init() fetches manytask.wasm and computes the GEMMs', { timeout: 1_200_000 }, async (t) => {
  await ensureChromium(t);
  const requests = [];
  const problems = [];
  const server = await startServer(requests);
  let browser;
  try {
    browser = await launchChromium();
    const page = await browser.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (err) => problems.push(`page error: ${err.stack ?? err}`));
    page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`); });
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} (${req.failure()?.errorText})`));

    const { port } = server.address();
    const response = await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: 'load', timeout: 30_000 });
    assert.equal(response?.status(), 200);
    await page.waitForFunction(() => window.__manytask !== undefined, null, { timeout: 30_000 });
    const out = await page.evaluate(() => window.__manytask);
    const context = `\nrequests: ${JSON.stringify(requests)}\nproblems: ${problems.join('\n')}`;

    assert.equal(out.error, undefined, `the page failed: ${out.error} (code ${out.code})${context}`);
    assert.deepEqual(problems, [], `page errors or console errors${context}`);
    assert.equal(out.initialized, true, context);
    assert.equal(out.crossOriginIsolated, true, `the page is not cross-origin isolated (COOP/COEP)${context}`);
    assert.equal(out.sharedArrayBuffer, true, `SharedArrayBuffer is unavailable${context}`);
    // init() with no argument fetched the .wasm beside web.js, served as application/wasm.
    assert.deepEqual(
      requests.filter((r) => r.path.endsWith('.wasm')),
      [{ path: '/dist/manytask.wasm', status: 200, type: 'application/wasm' }],
      `expected exactly one fetch of /dist/manytask.wasm${context}`,
    );
    assert.ok(requests.every((r) => r.status === 200), `a request was not served${context}`);

    checkResults('chromium', out.results, await nodeResults());
    checkTraining('chromium', out.training, await nodeTraining());
    t.diagnostic(`chromium ${browser.version()}: ${out.results.length} GEMM cases match the f64 reference and Node bit for bit`);
  } finally {
    await browser?.close();
    server.closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
  }
});
