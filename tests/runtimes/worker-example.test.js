// examples/worker in real workerd (Miniflare), built as `wrangler deploy`
// builds it (helpers/wrangler-bundle.js reads its wrangler.toml): a user
// project with manytask installed, the Worker bundled with the workerd
// conditions, infer.wasm and model.mtsk uploaded beside it as CompiledWasm and
// Data modules.
//
// - POST /predict answers what MultiTaskModel.predict answers in Node for the
//   same model file and rows, to the bit (JSON numbers round-trip exactly);
// - malformed JSON, wrong feature names or counts, bad values, values far
//   outside the training data and oversized bodies (declared or streamed) get
//   400 with a JSON error;
// - 200 concurrent requests are answered correctly, all by one isolate;
// - cold start → first prediction, against a minimal Worker (reported);
// - and, the Worker part of issue 6's determinism: a seeded MultiTaskModel
//   training run (helpers/mtl-train-case.js) in workerd ends with Node's
//   weights, losses, predictions and saved file, bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, copyFile, symlink, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO } from './helpers/process.js';
import { FEATURES, penguinRows, expected, startMiniflare } from './helpers/worker-example.js';
import { bundleWorkerProject, parseWranglerToml } from './helpers/wrangler-bundle.js';
import * as mt from '../../dist/node.js';

const EXAMPLE = join(REPO, 'examples', 'worker');
const MTL_CASE = fileURLToPath(new URL('./helpers/mtl-train-case.js', import.meta.url));

/** A user's project: node_modules/manytask is this repository. */
async function userProject(files) {
  const dir = await mkdtemp(join(tmpdir(), 'manytask-worker-'));
  await mkdir(join(dir, 'node_modules'), { recursive: true });
  await symlink(REPO, join(dir, 'node_modules', 'manytask'), 'dir');
  for (const [to, from] of Object.entries(files)) {
    await mkdir(join(dir, to, '..'), { recursive: true });
    if (typeof from === 'string') await copyFile(from, join(dir, to));
    else await writeFile(join(dir, to), from.text);
  }
  return dir;
}

const exampleFiles = () => ({
  'wrangler.toml': join(EXAMPLE, 'wrangler.toml'),
  'package.json': join(EXAMPLE, 'package.json'),
  'src/worker.js': join(EXAMPLE, 'src', 'worker.js'),
  'model.mtsk': join(EXAMPLE, 'model.mtsk'),
});

const post = (mf, body, init = {}) => mf.dispatchFetch('http://localhost/predict', {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' || body instanceof ReadableStream ? body : JSON.stringify(body), ...init,
});

test('examples/worker: wrangler.toml as wrangler reads it, bundle contents, predictions equal Node\'s, 400s, 200 concurrent requests on one isolate', { timeout: 180_000 }, async (t) => {
  const config = parseWranglerToml(await readFile(join(EXAMPLE, 'wrangler.toml'), 'utf8'));
  assert.equal(config.main, 'src/worker.js');
  assert.match(config.compatibility_date, /^\d{4}-\d{2}-\d{2}$/);
  assert.deepEqual(config.rules, [{ type: 'Data', globs: ['**/*.mtsk'], fallthrough: true }]);

  const dir = await userProject(exampleFiles());
  let mf, output = () => '';
  try {
    const b = await bundleWorkerProject(dir, join(dir, 'dist'));
    // The `workerd` condition of manytask/infer was taken, and nothing of the full library.
    assert.ok(b.inputs.some((p) => p.endsWith('dist/infer-workerd.js')), `inputs: ${b.inputs.join(', ')}`);
    for (const other of ['dist/workerd.js', 'dist/index.js', 'dist/node.js', 'dist/web.js', 'dist/infer.js', 'dist/infer-node.js']) {
      assert.ok(!b.inputs.some((p) => p.endsWith(other)), `the bundle includes ${other}`);
    }
    assert.deepEqual(b.externals.map((e) => [e.type, e.source]).sort(), [
      ['CompiledWasm', join(REPO, 'dist', 'infer.wasm')],
      ['Data', join(dir, 'model.mtsk')],
    ]);
    assert.deepEqual(b.nodeImports, [], 'node: imports in the Worker bundle');
    ({ mf, output } = await startMiniflare([b.worker]));

    await mt.init();
    const model = mt.loadModel(new Uint8Array(await readFile(join(EXAMPLE, 'model.mtsk'))));
    const rows = penguinRows(await readFile(join(REPO, 'examples', 'data', 'penguins.csv'), 'utf8'));
    assert.equal(rows.length, 344);

    // GET /model
    const info = await (await mf.dispatchFetch('http://localhost/model')).json();
    assert.deepEqual(info.inputColumns.map((c) => c.name), FEATURES);
    assert.deepEqual(info.tasks.map((x) => [x.name, x.kind]), [['species', 'multiclass'], ['sex', 'binary'], ['body_mass_g', 'regression']]);
    assert.equal(info.metadata.trainedBy, 'examples/worker/train.mjs');

    // Every row at once, and one row: Node's predictions, bit for bit.
    for (const batch of [rows, rows.slice(40, 41)]) {
      const res = await post(mf, { rows: batch });
      const text = await res.text();
      assert.equal(res.status, 200, `${text.slice(0, 500)}\n${output()}`);
      assert.deepEqual(JSON.parse(text).predictions, expected(model, batch), `${batch.length} rows`);
    }

    // Bad requests: 400 and a JSON error naming the problem.
    const many = Array.from({ length: 1001 }, () => rows[0]);
    const { island: _, ...three } = rows[0];
    const cases = [
      ['malformed JSON', '{"rows": [', 'invalid_json', /not valid JSON/],
      ['not an object', '[1, 2]', 'invalid_request', /"rows"/],
      ['no rows', { rows: [] }, 'invalid_request', /1 to 1000 rows, got 0/],
      ['too many rows', { rows: many }, 'invalid_request', /got 1001/],
      ['a row that is not an object', { rows: [rows[0], 7] }, 'invalid_row', /rows\[1\]/],
      ['a misspelt feature', { rows: [{ ...three, isle: 'Dream' }] }, 'unknown_feature', /"isle", which is not a feature/],
      ['an extra feature', { rows: [{ ...rows[0], species: 'Adelie' }] }, 'unknown_feature', /"species"/],
      ['three of four features', { rows: [rows[1], three] }, 'missing_feature', /rows\[1\] has 3 of the 4 features; missing: island/],
      ['text in a numeric column', { rows: [{ ...rows[0], bill_length_mm: '12kg' }] }, 'invalid_value', /bill_length_mm.*"12kg"/],
      ['an unseen category', { rows: [{ ...rows[0], island: 'Atlantis' }] }, 'invalid_value', /unknown category "Atlantis"/],
      // Issue #12: 1e30 got 200 and a body mass of −7.8e31; now refused, by row and column.
      ['a value far outside the training data', { rows: [rows[0], { ...rows[0], bill_length_mm: 1e30 }] }, 'out_of_range',
        /^predict: column "bill_length_mm", rows\[1\]: the value 1e\+30 is \S+ standard deviations from the training mean \S+ \(std \S+\), beyond maxDeviation 10/],
      ['a negative flipper', { rows: [{ ...rows[0], flipper_length_mm: -250.5 }] }, 'out_of_range', /column "flipper_length_mm", rows\[0\]: the value -250\.5 is 3\d\.\d standard deviations/],
      ['a 300 KB body', JSON.stringify({ rows: [rows[0]], pad: 'x'.repeat(300_000) }), 'body_too_large', /262144/],
    ];
    for (const [label, body, code, pattern] of cases) {
      const res = await post(mf, body);
      const text = await res.text();
      assert.equal(res.status, 400, `${label}: HTTP ${res.status} ${text.slice(0, 300)}`);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/, label);
      const err = JSON.parse(text).error;
      assert.equal(err.code, code, `${label}: ${text.slice(0, 300)}`);
      assert.match(err.message, pattern, label);
    }
    // Over HTTP with a Content-Length, the body is refused before it is read.
    const declared = await fetch(new URL('/predict', await mf.ready), { method: 'POST', body: JSON.stringify({ rows: [rows[0]], pad: 'x'.repeat(300_000) }) });
    assert.equal(declared.status, 400);
    assert.match((await declared.json()).error.message, /^the body is 300\d{3} bytes; the limit is 262144$/);
    // A streamed body (no Content-Length) is cut off at the limit too, and
    // answered before it ends: the client sends 320 KB and then holds the
    // stream open until the answer has come. (A client still writing when
    // workerd closes the connection on an unread upload gets a TCP reset and
    // may lose the answer: undici's fetch failed with ECONNRESET in 2–3 of 400
    // tries when this test sent 512 KB and closed. Holding the stream is also
    // what shows the Worker does not wait for the rest.)
    const chunk = new TextEncoder().encode(' '.repeat(64 * 1024));
    let sent = 0;
    let streamController;
    const stream = new ReadableStream({
      start(controller) {
        streamController = controller;
      },
      pull(controller) {
        if (sent++ < 5) controller.enqueue(chunk);
        else return new Promise(() => {}); // the rest never comes before the answer
      },
    });
    const streamed = await post(mf, stream, { duplex: 'half' });
    assert.equal(streamed.status, 400);
    assert.equal((await streamed.json()).error.code, 'body_too_large');
    assert.equal(sent, 6, 'the client had sent 5 chunks of 64 KB and was holding the sixth');
    streamController.close();
    assert.equal((await mf.dispatchFetch('http://localhost/predict')).status, 405);
    assert.equal((await mf.dispatchFetch('http://localhost/other', { method: 'POST', body: '{}' })).status, 404);

    // 200 concurrent requests, each its own rows; all right, all from one isolate.
    const N = 200;
    const batches = Array.from({ length: N }, (_, i) => Array.from({ length: 1 + (i % 5) }, (_, k) => rows[(i * 37 + k * 11) % rows.length]));
    const started = performance.now();
    const answers = await Promise.all(batches.map(async (batch) => {
      const res = await post(mf, { rows: batch });
      return { status: res.status, count: Number(res.headers.get('x-isolate-predictions')), body: await res.json() };
    }));
    const ms = performance.now() - started;
    answers.forEach((a, i) => {
      assert.equal(a.status, 200, `request ${i}: ${JSON.stringify(a.body).slice(0, 300)}`);
      assert.deepEqual(a.body.predictions, expected(model, batches[i]), `request ${i}`);
    });
    const counts = answers.map((a) => a.count).sort((x, y) => x - y);
    assert.deepEqual(counts, Array.from({ length: N }, (_, i) => counts[0] + i), 'one isolate counted every prediction once');
    t.diagnostic(`${N} concurrent requests answered in ${ms.toFixed(0)} ms, all by one isolate (its predictions ${counts[0]}…${counts.at(-1)})`);
    model.dispose();
  } finally {
    try {
      await mf?.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
});

test('seeded MultiTaskModel training in workerd ends with Node\'s weights, losses, predictions and saved file, bit for bit', { timeout: 120_000 }, async () => {
  const worker = `
import * as mt from 'manytask';
import { runMtlTraining } from ${JSON.stringify(MTL_CASE)};
export default {
  async fetch() {
    try {
      await mt.init();
      return Response.json(await runMtlTraining(mt));
    } catch (err) {
      return Response.json({ error: String(err?.stack ?? err) }, { status: 500 });
    }
  },
};
`;
  const dir = await userProject({
    'wrangler.toml': { text: 'name = "mtl-determinism"\nmain = "src/worker.js"\ncompatibility_date = "2025-01-01"\n' },
    'src/worker.js': { text: worker },
  });
  let mf, output = () => '';
  try {
    const b = await bundleWorkerProject(dir, join(dir, 'dist'));
    assert.ok(b.inputs.some((p) => p.endsWith('dist/workerd.js')), `inputs: ${b.inputs.join(', ')}`);
    assert.deepEqual(b.externals.map((e) => e.source), [join(REPO, 'dist', 'manytask.wasm')]);
    ({ mf, output } = await startMiniflare([b.worker]));
    const res = await mf.dispatchFetch('http://localhost/');
    const text = await res.text();
    assert.equal(res.status, 200, `${text.slice(0, 2000)}\n${output()}`);
    const got = JSON.parse(text);
    const { runMtlTraining, MTL_EPOCHS } = await import('./helpers/mtl-train-case.js');
    const mine = await runMtlTraining(mt);
    assert.equal(mine.losses.length, MTL_EPOCHS);
    assert.ok(mine.losses.at(-1) < mine.losses[0], `the run trains: ${mine.losses}`);
    for (const key of ['losses', 'valLosses', 'taskWeights']) assert.deepEqual(got[key], mine[key], `${key} differ from Node's`);
    for (const key of ['weights', 'prediction', 'saved']) {
      if (got[key] !== mine[key]) {
        const at = [...got[key]].findIndex((c, i) => c !== mine[key][i]);
        assert.fail(`workerd's ${key} differ from Node's (${got[key].length / 2} vs ${mine[key].length / 2} bytes; first difference at byte ${Math.floor(at / 2)})`);
      }
    }
  } finally {
    try {
      await mf?.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
});
