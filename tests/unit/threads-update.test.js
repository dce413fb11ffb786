// A training step's tail on the pool: with two threads or more and a batch of
// two micro-shards or more, the shards' gradient sums, the scan of the gradient
// for a value that is not finite and the optimizer's update run as one job in two
// phases (src/nn/optim.ts, applyUpdateAfter; src/threads/tasks.ts,
// PROGRAM.phase). A gradient that is not finite must stop the step before any
// update, exactly as on one thread: the same error, the same weights after it,
// the same bits when training goes on. Runs unchanged under Node, Deno and Bun.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as mt from '../../dist/index.js';
import { init, TrainingDivergedError } from '../../dist/index.js';
import { jobRunner, jobs, resetRuntime } from '../../dist/internal.js';
import { hex } from '../helpers/threads-cases.js';
import { seededValues } from '../helpers/reference.js';

const F = 64;

/** 512 rows; those from `hugeFrom` on are scaled by 1e20: a finite loss, a gradient that overflows float32. */
function data(hugeFrom) {
  const x = Array.from({ length: 512 }, (_, i) => Array.from(seededValues(F, 300 + i), (v) => (i >= hugeFrom ? v * 1e20 : v)));
  return { x, labels: { a: x.map((r) => (r[0] + r[1] > 0 ? 1 : 0)), b: x.map((r, i) => (i >= hugeFrom ? 1 : 2 * r[2] - r[3])) } };
}

/** A model of 20,834 parameters: more than two of the update's pieces (8,192 floats), so the update runs on the pool. */
function model() {
  return new mt.MultiTaskModel({
    input: { features: F }, architecture: { type: 'sharedBottom', units: [160, 64], towerUnits: [] },
    tasks: [mt.tasks.binary('a'), mt.tasks.regression('b')], seed: 3, affinity: false, // no per-task gradients at any step
  });
}

const weights = (m) => hex(Float32Array.from(m.parameters.names().flatMap((n) => Array.from(m.parameters.get(n)))));

/** Runs `body` counting the pool's jobs of pieces that had a first phase. */
async function countingPhasedJobs(body) {
  const pool = jobRunner();
  const run = pool.run;
  let phased = 0;
  pool.run = function (kind, tasks, ...rest) {
    if (kind === jobs.JOB_PIECES && pool.args[jobs.PROGRAM.phase] > 0) phased++;
    return run.call(this, kind, tasks, ...rest);
  };
  try {
    await body();
  } finally {
    delete pool.run;
  }
  return phased;
}

/** A fit that diverges at the gradient of batch `hugeFrom / 256`, then a fit on rows with none scaled: what a user sees of both. */
async function diverge(hugeFrom) {
  const m = model();
  const { x, labels } = data(hugeFrom);
  const before = weights(m);
  let error;
  try {
    await m.fit(x, labels, { epochs: 1, batchSize: 256, shuffle: false, seed: 1, divergence: false });
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof TrainingDivergedError, `the fit diverged (got ${error})`);
  const after = weights(m);
  const good = data(512);
  await m.fit(good.x, good.labels, { epochs: 2, batchSize: 256, seed: 2 });
  const out = { message: error.message, what: error.what, step: error.step, unchanged: after === before, after, trained: weights(m) };
  m.dispose();
  return out;
}

test('a gradient that is not finite, found in the update\'s job on 2 and 3 threads, stops the step as on one thread: the same error, weights and bits afterwards', { timeout: 120_000 }, async () => {
  const cases = { 'at the second step': 256, 'at the first step': 0 };
  const reference = {};
  await resetRuntime();
  await init({ threads: 1 }); // the single-thread module
  for (const [name, hugeFrom] of Object.entries(cases)) reference[name] = await diverge(hugeFrom);
  assert.equal(reference['at the second step'].what, 'the gradient');
  assert.equal(reference['at the second step'].step, 1);
  assert.match(reference['at the second step'].message, /back to its last good weights, those of step 0/);
  assert.equal(reference['at the first step'].step, 0);
  assert.match(reference['at the first step'].message, /The weights were not updated/);
  assert.ok(reference['at the first step'].unchanged, 'one thread: a first step with a bad gradient changed the weights');
  await resetRuntime();
  for (const threads of [2, 3]) {
    await init({ threads });
    const got = {};
    const phased = await countingPhasedJobs(async () => {
      for (const [name, hugeFrom] of Object.entries(cases)) got[name] = await diverge(hugeFrom);
    });
    assert.ok(phased > 0, `${threads} threads: no step ran its sums, scan and update as one job`);
    for (const name of Object.keys(cases)) assert.deepEqual(got[name], reference[name], `${threads} threads, ${name}`);
  }
  await init({ threads: 2 });
});

/**
 * Adam over a block of 20,000 floats (three of the update's pieces) whose trainable
 * ranges change between steps: 16,000 at attach, the first 8,000 frozen for two
 * steps, then all 20,000 (the last 4,000 for the first time: the state grows).
 * Returns the parameters, the state and whether the updates ran in pieces.
 */
function freezingSteps() {
  const size = 20_000;
  const params = mt.Matrix.from(seededValues(size, 41), 1, size), grads = mt.Matrix.zeros(1, size);
  const block = { size, params: params.ptr, grads: grads.ptr, trainable: [[0, 16_000]] };
  const opt = mt.createOptimizer({ type: 'adam', learningRate: 0.01 }).attach(block);
  const schedule = [[[0, 16_000]], [[0, 16_000]], [[8_000, 8_000]], [[8_000, 8_000]], [[0, 20_000]], [[0, 20_000]]];
  let pieces = true, frozen = null, frozenKept = false;
  schedule.forEach((trainable, s) => {
    if (s === 2) frozen = hex(params.toFloat32Array().subarray(0, 8_000));
    const g = mt.Matrix.from(seededValues(size, 100 + s), 1, size);
    mt.scale(g, 1, grads);
    g.dispose();
    block.trainable = trainable;
    opt.step();
    pieces &&= opt.updatesInPieces(true);
    if (s === 3) frozenKept = hex(params.toFloat32Array().subarray(0, 8_000)) === frozen;
  });
  const out = { params: hex(params.toFloat32Array()), state: opt.readState().map(hex), pieces, frozenKept };
  opt.dispose(); params.dispose(); grads.dispose();
  return out;
}

test('freezing and unfreezing between steps: the update in pieces on 2 threads gives the bits of one thread', { timeout: 60_000 }, async () => {
  await resetRuntime();
  await init({ threads: 1 });
  const one = freezingSteps();
  assert.equal(one.pieces, false);
  assert.ok(one.frozenKept, 'the floats frozen for two steps kept their bits');
  await resetRuntime();
  await init({ threads: 2 });
  const two = freezingSteps();
  assert.equal(two.pieces, true, 'the updates ran in pieces on the pool');
  assert.deepEqual({ ...two, pieces: false }, one);
});
