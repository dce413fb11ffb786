// Issue #8, item 5: load on the Worker. examples/worker, bundled as wrangler
// bundles it (helpers/wrangler-bundle.js, as worker-example.test.js does), runs
// in workerd through Miniflare. 1,000 POST /predict requests are sent at once
// through dispatchFetch, a fixed-seed mix (tests/helpers/harden-fuzz-worker.js)
// of valid bodies and malformed ones: bad or empty JSON, wrong shapes, wrong,
// extra or missing features, text, "NaN"-like strings and numbers too large to
// compute with, unseen categories, oversized bodies, wrong content types,
// invalid UTF-8, deep nesting, 10,000 keys.
//   - every valid request gets 200 and exactly the predictions Node's
//     MultiTaskModel gives for the same rows from the same file;
//   - every malformed one gets 400, a JSON body { error: { code, message } } with
//     the expected code; nothing gets a 500;
//   - one isolate answered every valid request (its prediction counter, sent in
//     a header, runs 1…n without a gap), and afterwards the same isolate answers
//     a final batch of valid requests correctly: no request poisoned it.
// Bounded: 1,000 requests and a final 100; the load must finish within 60 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, copyFile, symlink, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './helpers/process.js';
import { penguinRows, expected, startMiniflare } from './helpers/worker-example.js';
import { bundleWorkerProject } from './helpers/wrangler-bundle.js';
import { requestMix, FEATURES, MALFORMED_KINDS } from '../helpers/harden-fuzz-worker.js';
import * as mt from '../../dist/node.js';

const EXAMPLE = join(REPO, 'examples', 'worker');
const SEED = Number(process.env.HARDEN_LOAD_SEED ?? 20_260_508); // another seed: another mix
const LOAD = 1000;
const FINAL = 100;
const LOAD_LIMIT_MS = 60_000;

async function send(mf, r) {
  const started = performance.now();
  const res = await mf.dispatchFetch('http://localhost/predict', r.init);
  const text = await res.text();
  return { r, status: res.status, type: res.headers.get('content-type') ?? '', count: Number(res.headers.get('x-isolate-predictions')), text, ms: performance.now() - started };
}

/** The answer checked against what the request expects; returns a problem, or null. */
function problem(a, model) {
  const { r } = a;
  let body;
  try {
    body = JSON.parse(a.text);
  } catch {
    return `${r.label}: HTTP ${a.status}, not JSON: ${a.text.slice(0, 200)}`;
  }
  if (r.expect.rows) {
    if (a.status !== 200) return `${r.label}: HTTP ${a.status} ${a.text.slice(0, 300)}`;
    try {
      assert.deepEqual(body.predictions, expected(model, r.expect.rows));
    } catch {
      return `${r.label}: predictions differ from Node's`;
    }
    return null;
  }
  if (a.status !== 400) return `${r.label}: HTTP ${a.status} (expected 400) ${a.text.slice(0, 300)}`;
  if (!/application\/json/.test(a.type)) return `${r.label}: content-type ${a.type}`;
  if (body?.error?.code !== r.expect.code) return `${r.label}: error code ${body?.error?.code}, expected ${r.expect.code}: ${a.text.slice(0, 300)}`;
  if (typeof body.error.message !== 'string' || body.error.message.length === 0 || body.error.message.length > 1000) return `${r.label}: message of ${body.error.message?.length} characters`;
  return null;
}

test(`examples/worker under load: ${LOAD} concurrent requests, valid and malformed; each answered as it should, one isolate, not poisoned`, { timeout: 180_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'manytask-worker-load-'));
  let mf;
  try {
    await mkdir(join(dir, 'node_modules'), { recursive: true });
    await symlink(REPO, join(dir, 'node_modules', 'manytask'), 'dir');
    await mkdir(join(dir, 'src'));
    for (const f of ['wrangler.toml', 'package.json', 'model.mtsk', join('src', 'worker.js')]) await copyFile(join(EXAMPLE, f), join(dir, f));
    const b = await bundleWorkerProject(dir, join(dir, 'dist'));
    let output;
    ({ mf, output } = await startMiniflare([b.worker]));

    await mt.init();
    const model = mt.loadModel(new Uint8Array(await readFile(join(EXAMPLE, 'model.mtsk'))));
    const rows = penguinRows(await readFile(join(REPO, 'examples', 'data', 'penguins.csv'), 'utf8'));
    const requests = requestMix(rows, LOAD, SEED);
    const valid = requests.filter((r) => r.expect.rows).length;
    assert.ok(valid > 400 && valid < 800, `${valid} valid of ${LOAD}`);
    assert.equal(new Set(requests.filter((r) => r.expect.code).map((r) => r.kind)).size, MALFORMED_KINDS, 'malformed requests of every kind');

    // The load: every request at once.
    const started = performance.now();
    const answers = await Promise.all(requests.map((r) => send(mf, r)));
    const ms = performance.now() - started;
    const problems = answers.map((a) => problem(a, model)).filter((p) => p !== null);
    assert.deepEqual(problems, [], `${problems.length} of ${LOAD} requests answered wrongly:\n${problems.slice(0, 20).join('\n')}\n${output().slice(-2000)}`);
    assert.ok(ms < LOAD_LIMIT_MS, `the load took ${ms.toFixed(0)} ms`);
    const counts = answers.filter((a) => a.r.expect.rows).map((a) => a.count).sort((x, y) => x - y);
    assert.deepEqual(counts, Array.from({ length: valid }, (_, i) => counts[0] + i), 'one isolate counted every valid request once');

    // Afterwards, the same isolate: a final batch of valid requests, each right.
    const final = requestMix(rows, FINAL * 3, SEED + 1).filter((r) => r.expect.rows).slice(0, FINAL);
    const after = await Promise.all(final.map((r) => send(mf, r)));
    const late = after.map((a) => problem(a, model)).filter((p) => p !== null);
    assert.deepEqual(late, [], `after the load: ${late.slice(0, 10).join('\n')}`);
    const next = after.map((a) => a.count).sort((x, y) => x - y);
    assert.deepEqual(next, Array.from({ length: FINAL }, (_, i) => counts.at(-1) + 1 + i), 'the same isolate answered the final batch, counting on');
    const info = await (await mf.dispatchFetch('http://localhost/model')).json();
    assert.deepEqual(info.inputColumns.map((c) => c.name), FEATURES);

    const byCode = {};
    for (const a of answers) byCode[a.r.expect.code ?? 'valid'] = (byCode[a.r.expect.code ?? 'valid'] ?? 0) + 1;
    const slowest = Math.max(...answers.map((a) => a.ms));
    t.diagnostic(`${LOAD} concurrent requests (seed ${SEED}) answered in ${ms.toFixed(0)} ms (slowest ${slowest.toFixed(0)} ms): ${JSON.stringify(byCode)}; then ${FINAL} valid ones by the same isolate (predictions ${next[0]}…${next.at(-1)})`);
    model.dispose();
  } finally {
    try {
      await mf?.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
});
