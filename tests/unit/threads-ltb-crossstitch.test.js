// LTB (Gumbel-sampled parents) and cross-stitch networks on the worker pool: their
// micro-shards' passes — the training forward with its Gumbel sample, the backward
// through α, the settled tree of predict and evaluate — run as programs on the pool's
// threads (the ops' arithmetic is in kernels: assembly/gumbel.ts, assembly/stitch.ts),
// with the bits of one thread for 2 and 3 threads. Runs unchanged under Node, Deno and Bun.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as mt from '../../dist/index.js';
import { init, threadInfo } from '../../dist/index.js';
import { runtime, resetRuntime } from '../../dist/internal.js';
import { hex } from '../helpers/threads-cases.js';
import { seededValues } from '../helpers/reference.js';

const ROWS = 600, INPUTS = 10;
const xs = seededValues(ROWS * INPUTS, 313);
const x = Array.from({ length: ROWS }, (_, i) => Array.from(xs.subarray(i * INPUTS, (i + 1) * INPUTS)));
const labels = {
  kind: x.map((r, i) => (i % 9 === 4 ? null : r[0] + r[1] > 0.5 ? 2 : r[2] > 0 ? 1 : 0)),
  click: x.map((r) => (r[3] - 0.5 * r[4] > 0 ? 1 : 0)),
  spend: x.map((r) => 3 * r[5] - r[6] * r[7] + 0.5),
};
// 2,048 rows to predict: 8 blocks of rows on the pool.
const many = Array.from({ length: 2048 }, (_, i) => x[i % ROWS].map((v) => v + i * 1e-4));

const SPECS = {
  'ltb, dropout': { architecture: { type: 'ltb', units: [16, 12, 8], branches: [3, 2], towerUnits: [4], temperature: 0.7, dropout: 0.1 } },
  'crossStitch, dropout, PCGrad': { architecture: { type: 'crossStitch', units: [16, 8], towerUnits: [4], dropout: 0.1 }, weighting: { type: 'pcgrad' } },
};

/** Counts the jobs of micro-shard programs the pool runs while `body` runs. */
async function programJobs(body) {
  const runner = runtime('test').kernels.runPrograms;
  if (runner === undefined) { await body(); return 0; }
  const run = runner.run;
  let jobs = 0;
  runner.run = (...args) => { jobs++; return run.apply(runner, args); };
  try {
    await body();
  } finally {
    runner.run = run;
  }
  return jobs;
}

/** A seeded fit (batches of 400: 3 shards, and 200: 2), then predict and evaluate: the weights, losses and outputs as hex, and the program jobs of each part. */
async function runSpec(spec) {
  const model = new mt.MultiTaskModel({
    input: { features: INPUTS, classes: { kind: 3 } }, tasks: [mt.tasks.multiclass('kind'), mt.tasks.binary('click'), mt.tasks.regression('spend')],
    optimizer: { type: 'adam', learningRate: 0.01 }, seed: 21, ...spec,
  });
  let history, predictions, metrics;
  const fitJobs = await programJobs(async () => { history = await model.fit(x, labels, { epochs: 2, batchSize: 400, shuffle: true, seed: 4 }); });
  const predictJobs = await programJobs(() => { predictions = model.predict(many); metrics = model.evaluate(many, { kind: many.map(() => 1), click: many.map(() => 0), spend: many.map((r) => r[0]) }); });
  const weights = hex(Float32Array.from(model.parameters.names().flatMap((n) => Array.from(model.parameters.get(n)))));
  model.dispose();
  return { bits: `${weights}:${hex(history.get('loss'))}:${JSON.stringify(predictions)}:${JSON.stringify(metrics)}`, fitJobs, predictJobs };
}

const reference = {};
before(async () => {
  // The single-thread module (a pool cannot be added to it later: resetRuntime between).
  await resetRuntime();
  await init({ threads: 1 });
  for (const [name, spec] of Object.entries(SPECS)) reference[name] = (await runSpec(spec)).bits;
  await resetRuntime();
}, { timeout: 120_000 });

test('LTB and cross-stitch: training, predict and evaluate run their shards as programs on the pool, with the bits of one thread for 2 and 3 threads', { timeout: 120_000 }, async () => {
  for (const threads of [2, 3]) {
    await init({ threads });
    for (const [name, spec] of Object.entries(SPECS)) {
      const got = await runSpec(spec);
      assert.ok(got.bits === reference[name], `${name}, ${threads} threads: the weights, losses or outputs differ from one thread's`);
      // Bun may fall back to one thread (oven-sh/bun#25677): the bits above hold either way.
      if (threadInfo().threads < 2) continue;
      assert.ok(got.fitJobs > 0, `${name}, ${threads} threads: no training pass ran as programs on the pool`);
      assert.ok(got.predictJobs > 0, `${name}, ${threads} threads: predict and evaluate ran no block of rows as programs on the pool`);
    }
  }
  await init({ threads: 2 });
});
