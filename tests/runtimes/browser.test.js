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
import { nodeResults, checkResults, nodeTraining, checkTraining, nodeThreadCases, nodeTrainingCases, nodeEnsembleCase } from './helpers/check.js';


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
import { runThreadCases, runTrainingCases, runEnsembleCase, shardProgramsByWorkers } from '/tests/helpers/threads-cases.js';
import { resetRuntime, jobRunner, jobSettings } from '/dist/internal.js';
try {
  await mt.init();
  const defaultThreads = mt.threadInfo();
  const results = runCases(mt);
  const training = runTraining(mt);
  // The worker pool: every split kernel and the seeded training runs, for 2, 3, 4 and 8 threads and after shutdown.
  await resetRuntime();
  const threads = {};
  for (const t of [2, 3, 4, 8]) {
    await mt.init({ threads: t });
    const before = shardProgramsByWorkers(jobRunner());
    threads[t] = { info: mt.threadInfo(), cases: runThreadCases(mt), training: await runTrainingCases(mt) };
    threads[t].shardsByWorkers = shardProgramsByWorkers(jobRunner()) - before;
  }
  // Ensemble members on job workers (module Web Workers), every member in a worker.
  const ensemble = await runEnsembleCase(mt, 3, jobSettings);
  await mt.shutdown();
  threads[1] = { info: mt.threadInfo(), cases: runThreadCases(mt), training: await runTrainingCases(mt) };
  window.__manytask = {
    crossOriginIsolated: self.crossOriginIsolated,
    sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
    initialized: mt.isInitialized(),
    hardwareConcurrency: navigator.hardwareConcurrency,
    defaultThreads,
    results,
    training,
    threads,
    ensemble,
  };
} catch (err) {
  window.__manytask = { error: String(err?.stack ?? err), code: err?.code };
}
</script>
</head>
<body>manytask</body>
</html>
`;

// The same page served without COOP/COEP: no SharedArrayBuffer, so one thread, said once.
const PLAIN_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>manytask, not isolated</title>
<script type="module">
import * as mt from '/dist/web.js';
try {
  await mt.init();
  await mt.init({ threads: 4 });
  const x = mt.Matrix.from([[1, 2], [3, 4]]);
  window.__plain = { crossOriginIsolated: self.crossOriginIsolated, info: mt.threadInfo(), product: mt.matmul(x, x).toArray() };
} catch (err) {
  window.__plain = { error: String(err?.stack ?? err), code: err?.code };
}
</script></head><body>manytask</body></html>
`;

const SHARED = [
  '/tests/runtimes/helpers/gemm-cases.js', '/tests/runtimes/helpers/train-case.js', '/tests/helpers/reference-core.js',
  '/tests/helpers/threads-cases.js',
];

const TYPES = { '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm', '.map': 'application/json' };

/** Serves / (the page), /dist/** and the shared case modules in tests/runtimes/helpers/; logs every request. */
function startServer(log) {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://127.0.0.1').pathname;
    // /plain and what it loads (?plain) are served without cross-origin isolation.
    const isolated = path !== '/plain' && !(req.headers.referer ?? '').endsWith('/plain');
    const headers = {
      ...(isolated && { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }),
      'Cache-Control': 'no-store',
    };
    let status = 404;
    let body = `not found: ${path}`;
    let type = 'text/plain; charset=utf-8';
    if (req.method !== 'GET') {
      status = 405;
      body = 'GET only';
    } else if (path === '/' || path === '/plain') {
      status = 200;
      body = path === '/' ? PAGE : PLAIN_PAGE;
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

test('manytask in Chromium: web.js init() loads the threaded kernels and computes the GEMMs; the pool changes no bit; an isolated page gets threads, another one thread', { timeout: 1_200_000 }, async (t) => {
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
    // The default in a browser: its cores less one (for the page's own thread), at most 8.
    const cores = Math.max(1, Math.min(8, out.hardwareConcurrency - 1));
    assert.deepEqual(out.defaultThreads, { threads: cores, requested: cores, fast: false, reason: null });
    // init() with no argument fetched the module beside web.js; init({ threads }) the same module (its memory
    // import made shared as it loads) and the workers' script. The package ships one kernel module.
    const wasm = requests.filter((r) => r.path.endsWith('.wasm'));
    assert.deepEqual(wasm[0], { path: '/dist/manytask.wasm', status: 200, type: 'application/wasm' }, `init() fetched /dist/manytask.wasm first${context}`);
    assert.deepEqual([...new Set(wasm.map((r) => r.path))], ['/dist/manytask.wasm'], `only manytask.wasm was fetched${context}`);
    assert.ok(wasm.every((r) => r.type === 'application/wasm'), `every .wasm served as application/wasm${context}`);
    assert.ok(requests.some((r) => r.path === '/dist/worker.js'), `the workers were not started from /dist/worker.js${context}`);
    assert.ok(requests.every((r) => r.status === 200), `a request was not served${context}`);

    checkResults('chromium', out.results, await nodeResults());
    checkTraining('chromium', out.training, await nodeTraining());
    const single = await nodeThreadCases();
    const trained = await nodeTrainingCases();
    for (const [threads, { info, cases, training }] of Object.entries(out.threads)) {
      assert.equal(info.threads, Number(threads), `chromium, ${threads} threads: ${JSON.stringify(info)}`);
      const differ = Object.keys(single).filter((k) => cases[k] !== single[k]);
      assert.deepEqual(differ, [], `chromium, ${threads} thread(s): these results differ from Node's single-thread module`);
      const trainedDiffer = Object.keys(trained).filter((k) => training[k] !== trained[k]);
      assert.deepEqual(trainedDiffer, [], `chromium, ${threads} thread(s): these training runs differ from Node's single-thread module`);
    }
    // Which thread claims a shard is a race: that workers ran shards is asserted over the thread counts.
    const shardsByWorkers = Object.values(out.threads).reduce((n, r) => n + (r.shardsByWorkers ?? 0), 0);
    assert.ok(shardsByWorkers > 0, 'chromium: no worker ran a micro-shard\'s pass');
    // Ensemble.train's members in module Web Workers: the ensemble Node trains on one thread, bit for bit.
    assert.deepEqual(out.ensemble, await nodeEnsembleCase(), 'chromium: the ensemble trained on job workers differs from Node\'s single thread');
    assert.ok(requests.some((r) => r.path === '/dist/sweep-worker.js'), `the members were not trained in /dist/sweep-worker.js${context}`);
    t.diagnostic(`chromium ${browser.version()}: ${out.results.length} GEMM cases match the f64 reference and Node bit for bit; ` +
      `${Object.keys(single).length} pool results and ${Object.keys(trained).length} training runs bit-identical to Node's single thread for 1, 2, 3, 4 and 8 threads`);

    // Not cross-origin isolated: one thread, with one warning saying why.
    const plain = await browser.newPage();
    const warnings = [];
    plain.on('console', (msg) => { if (msg.type() === 'warning') warnings.push(msg.text()); });
    await plain.goto(`http://127.0.0.1:${port}/plain`, { waitUntil: 'load', timeout: 30_000 });
    await plain.waitForFunction(() => window.__plain !== undefined, null, { timeout: 30_000 });
    const p = await plain.evaluate(() => window.__plain);
    assert.equal(p.error, undefined, `the plain page failed: ${p.error}`);
    assert.equal(p.crossOriginIsolated, false);
    assert.equal(p.info.threads, 1);
    assert.match(p.info.reason, /not cross-origin isolated/);
    assert.deepEqual(p.product, [[7, 10], [15, 22]]);
    assert.equal(warnings.filter((w) => /manytask: .*not cross-origin isolated.*one thread/.test(w)).length, 1, `one warning: ${JSON.stringify(warnings)}`);
  } finally {
    await browser?.close();
    server.closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
  }
});
