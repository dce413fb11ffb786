// A worker thread that throws or traps while the optimizer's update runs in pieces
// on the pool (src/nn/optim.ts applyUpdates, src/train/steps.ts): some pieces were
// applied and others not, so the step is undone — the weights, Adam's moments, β₁ᵗ,
// β₂ᵗ and the step count are the bits from before it — and the error reaches the
// caller; the next fit runs its update in pieces on the pool again and ends with the
// bits of a model that never failed. The autoencoder's two optimizers (encoder, then
// decoder) are undone together. Runs unchanged under Node, Deno and Bun.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as mt from '../../dist/index.js';
import { init, threadInfo, ThreadError, WasmTrapError } from '../../dist/index.js';
import { runtime, jobs } from '../../dist/internal.js';
import { hex } from '../helpers/threads-cases.js';
import { typedError } from '../helpers/errors.js';
import { seededValues } from '../helpers/reference.js';

const INPUTS = 16;

/** 512 seeded rows (one batch: four micro-shards) with a binary and a regression label. */
function batch(seed) {
  const xs = seededValues(512 * INPUTS, seed);
  const x = { data: xs, rows: 512, cols: INPUTS };
  const labels = {
    a: Array.from({ length: 512 }, (_, i) => (xs[i * INPUTS] > 0 ? 1 : 0)),
    y: Array.from({ length: 512 }, (_, i) => 2 * xs[i * INPUTS + 1] - xs[i * INPUTS + 2]),
  };
  return { x, labels };
}

/** 18,500 parameters: an update of three pieces of 8,192 floats. */
const newModel = () => new mt.MultiTaskModel({
  input: { features: INPUTS }, architecture: { type: 'sharedBottom', units: [160, 96], towerUnits: [], dropout: 0.1 },
  tasks: [mt.tasks.binary('a'), mt.tasks.regression('y')], optimizer: { type: 'adam', learningRate: 0.01 }, seed: 5, affinity: false,
});

const FIT = { epochs: 1, batchSize: 512, shuffle: false };

/** The weights, the optimizer's moments, its step count and the model's, as bits. */
function stateOf(model) {
  const opt = model.core.optimizer;
  return {
    weights: hex(Float32Array.from(model.parameters.names().flatMap((n) => Array.from(model.parameters.get(n))))),
    moments: opt.readState().map((s) => hex(s)),
    iterations: opt.iterations,
    step: model.step,
  };
}

/** The fields of two stateOf results that differ (their names: the bits run to hundreds of kilobytes of hex). */
const differing = (a, b) => Object.keys(b).filter((k) => JSON.stringify(a?.[k]) !== JSON.stringify(b[k]));

/**
 * The first task of a job of pieces that runs the optimizer's update (its
 * first call is Adam's), or −1: task 0, or with a first phase (the shards'
 * sums and the gradient's scan, src/nn/optim.ts applyUpdateAfter) task `phase`.
 */
function updateTask(table, count, phase) {
  const { memory } = runtime('test');
  const entries = new Int32Array(memory.buffer, table, 2 * count);
  const opcode = phase < count ? new Float64Array(memory.buffer, entries[2 * phase], 1)[0] >>> 1 : -1;
  return opcode === jobs.PROGRAM_KERNELS.indexOf('adam') ? phase : -1;
}

/**
 * Runs `body` with the next update job of pieces made to fail: its second piece's
 * program gets, after its own calls (the piece's update is applied), a call that
 * throws ('throw': an opcode no kernel has) or traps ('trap': a read past the end of
 * memory); with `nth`, the nth such job. Returns what `seen()` gave as the job began.
 */
async function withFailingUpdate(seen, fault, body, nth = 1) {
  const runner = runtime('test').kernels.runPrograms;
  const runPieces = runner.runPieces;
  const add = jobs.PROGRAM_KERNELS.indexOf('add');
  let before = null, updates = 0;
  runner.runPieces = (table, count, results, phase = 0) => {
    const { memory, allocator } = runtime('test');
    const entries = new Int32Array(memory.buffer, table, 2 * count);
    const first = updateTask(table, count, phase), target = first + 1;
    if (before !== null || first < 0 || target >= count || ++updates < nth) return runPieces.call(runner, table, count, results, phase);
    before = seen();
    const at = entries[2 * target];
    const own = new Float64Array(memory.buffer, at, entries[2 * target + 1]);
    const faulty = [...own, ...(fault === 'throw' ? [2 * 1000, 0] : [2 * add, 4, 16, 0xfffffff0, at, at])];
    const block = allocator.alloc(faulty.length * 8);
    try {
      new Float64Array(memory.buffer, block, faulty.length).set(faulty);
      entries[2 * target] = block;
      entries[2 * target + 1] = faulty.length;
      return runPieces.call(runner, table, count, results, phase);
    } finally {
      allocator.free(block);
    }
  };
  try {
    await body();
  } finally {
    runner.runPieces = runPieces;
  }
  return before;
}

test('a worker that throws or traps during the optimizer\'s update in pieces leaves the weights, the moments, β₁ᵗ, β₂ᵗ and the step count as before the step; the next fit updates on the pool again, with the bits of a model that never failed', { timeout: 120_000 }, async () => {
  await init({ threads: 2 });
  const first = batch(91), second = batch(92);
  // The run that never failed: a step on the first batch, then one on the second.
  const clean = newModel();
  await clean.fit(first.x, first.labels, FIT);
  await clean.fit(second.x, second.labels, FIT);
  const want = stateOf(clean);
  clean.dispose();
  // Bun may fall back to one thread (oven-sh/bun#25677): then no update runs in pieces, and there is no fault to inject.
  if (threadInfo().threads < 2) return;

  for (const [fault, error] of [['throw', typedError(ThreadError, 'E_THREAD', [/a task of .* failed/])], ['trap', typedError(WasmTrapError, 'E_WASM_TRAP', [])]]) {
    const model = newModel();
    await model.fit(first.x, first.labels, FIT);
    const afterFirst = stateOf(model);
    assert.equal(afterFirst.iterations, 1);
    const seen = await withFailingUpdate(() => stateOf(model), fault, () => assert.rejects(model.fit(second.x, second.labels, FIT), error, `${fault}: the fit rejects`));
    assert.deepEqual(differing(seen, afterFirst), [], `${fault}: the failing update began from the state the first fit left`);
    const now = stateOf(model);
    assert.ok(now.weights === afterFirst.weights, `${fault}: the weights are not those from before the step`);
    assert.ok(now.moments.every((m, i) => m === afterFirst.moments[i]), `${fault}: Adam's moments are not those from before the step`);
    assert.deepEqual([now.iterations, now.step], [afterFirst.iterations, afterFirst.step], `${fault}: the step was not counted`);
    // The same step again, on the pool (its update in pieces), gives the bits of the run that never failed (β₁ᵗ, β₂ᵗ included).
    const runner = runtime('test').kernels.runPrograms;
    const runPieces = runner.runPieces;
    let updatesInPieces = 0;
    runner.runPieces = (table, count, results, phase = 0) => {
      if (updateTask(table, count, phase) >= 0) updatesInPieces++;
      return runPieces.call(runner, table, count, results, phase);
    };
    try {
      await model.fit(second.x, second.labels, FIT);
    } finally {
      runner.runPieces = runPieces;
    }
    assert.ok(updatesInPieces > 0, `${fault}: the next update did not run in pieces on the pool`);
    assert.deepEqual(differing(stateOf(model), want), [], `${fault}: after the failed step, the same step gives the bits of a model that never failed`);
    model.dispose();
  }
});

test('the autoencoder: a worker that throws during its decoder\'s update, after the encoder\'s, undoes both; the next fit has the bits of one that never failed', { timeout: 120_000 }, async () => {
  await init({ threads: 2 });
  // 128 → 128 → 8 and back: two blocks of 17,5xx parameters, each updated in pieces, the encoder's first.
  const newAutoencoder = () => new mt.AutoEncoder({ inputSize: 128, encoderUnits: [128, 8], activation: 'tanh', seed: 9 });
  const points = (seed) => ({ data: seededValues(256 * 128, seed), rows: 256, cols: 128 });
  const FIT_AE = { epochs: 1, batchSize: 256, learningRate: 1e-3, shuffle: false };
  const weights = (ae) => [ae.encoder, ae.decoder].map((net) => hex(Float32Array.from(net.parameters.names().flatMap((n) => Array.from(net.parameters.get(n)))))).join(':');
  const clean = newAutoencoder();
  clean.fit(points(1), FIT_AE);
  clean.fit(points(2), FIT_AE);
  const want = weights(clean);
  clean.dispose();
  if (threadInfo().threads < 2) return;

  const ae = newAutoencoder();
  ae.fit(points(1), FIT_AE);
  const afterFirst = weights(ae), steps = ae.steps;
  const seen = await withFailingUpdate(() => weights(ae), 'throw', () => {
    assert.throws(() => ae.fit(points(2), FIT_AE), typedError(ThreadError, 'E_THREAD', [/a task of .* failed/]));
  }, 2);
  assert.ok(seen !== null && seen !== afterFirst, 'the decoder\'s update began after the encoder\'s had changed its weights');
  assert.ok(weights(ae) === afterFirst, 'the encoder\'s and the decoder\'s weights are those from before the step');
  assert.equal(ae.steps, steps, 'the step was not counted');
  ae.fit(points(2), FIT_AE);
  assert.ok(weights(ae) === want, 'the same step again gives the bits of an autoencoder that never failed (both optimizers\' state put back)');
  ae.dispose();
});
