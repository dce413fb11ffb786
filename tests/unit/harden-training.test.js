// Issue #8, item 2: training faults. A loss, gradient or update that becomes NaN or
// infinite stops training with TrainingDivergedError naming the task and step, the
// model goes back to its last good weights (finite, and those of a step that
// completed), and stays usable; fit can be cancelled every way a caller can cancel it.
// The same for AutoEncoder.fit and for a bare Network driven by hand.
// Issue #12, point 5: a loss that explodes while still finite stops training too
// (the divergence rule, src/train/divergence.ts), in fit and in AutoEncoder.fit.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  init, MultiTaskModel, AutoEncoder, Network, Dense, Matrix, Dataset, tasks, lossAndGradient, createOptimizer, scale, loadModel,
  WEIGHTING_TYPES, ManytaskError, ArgumentError, DisposedError, TrainingDivergedError,
} from '../../dist/index.js';
import { runtime } from '../../dist/internal.js';
import { weightsSnapshot } from '../helpers/mtl-reference.js';

before(async () => { await init(); });

const ARCH = { type: 'sharedBottom', units: [6], towerUnits: [] };
const X = Array.from({ length: 24 }, (_, i) => [Math.sin(i), Math.cos(1.3 * i), (i % 5) / 5]);
const LABELS = { flag: X.map((r) => (r[0] > 0 ? 1 : 0)), amount: X.map((r) => 50 * r[1] + 10) };
const inUse = () => runtime('test').allocator.bytesInUse;
const model = (optimizer) => new MultiTaskModel({
  input: { features: 3 }, architecture: ARCH, seed: 1, tasks: [tasks.binary('flag'), tasks.regression('amount')],
  ...(optimizer ? { optimizer } : {}),
});
const finite = (a) => Array.from(a).every(Number.isFinite);

function diverged(checks) {
  return (err) => {
    assert.ok(err instanceof TrainingDivergedError, `expected TrainingDivergedError, got ${err?.constructor?.name}: ${err?.message}`);
    assert.ok(err instanceof ManytaskError);
    assert.equal(err.code, 'E_DIVERGED');
    assert.match(err.message, new RegExp(`^training diverged at step ${err.step}: ${err.what}( of task "${err.task}")? is not finite\\. `));
    checks(err);
    return true;
  };
}

/**
 * The model is usable: finite predictions, an evaluation, and a fit at a sane rate that
 * lowers the loss. (After weights as large as a learning rate of 1e6 leaves them, the
 * last good weights predict and evaluate, but training from them may diverge again:
 * `refit: false` then only checks that fit keeps the weights finite either way.)
 */
async function assertUsable(m, { refit = true } = {}) {
  const p = m.predict(X);
  assert.ok(finite(p.amount.values) && finite(p.flag.probabilities), 'predictions are finite');
  const e = m.evaluate(X, LABELS);
  assert.ok(Number.isFinite(e.loss), `evaluate: loss ${e.loss}`);
  if (!refit) {
    await m.fit(X, LABELS, { epochs: 2, batchSize: 8, learningRate: 1e-6 }).catch((err) => assert.ok(err instanceof TrainingDivergedError, String(err)));
    assert.ok(finite(weightsSnapshot(m)), 'the weights stay finite');
    return;
  }
  const steps = m.steps;
  const h = await m.fit(X, LABELS, { epochs: 8, batchSize: 8, learningRate: 1e-3 });
  assert.equal(m.steps, steps + 24, 'fit again continues the step count');
  assert.ok(h.epochs.every((ep) => Number.isFinite(ep.loss)), 'fit again trains on finite losses');
  assert.ok(m.evaluate(X, LABELS).loss < e.loss, 'and lowers the loss');
}

test('a loss that becomes NaN (SGD, learning rate 1e6): the error names task and step; the model is back to the last good weights', async () => {
  const m = model({ type: 'sgd', learningRate: 1e-3 });
  const byStep = new Map([[0, weightsSnapshot(m)]]);
  let last = 0;
  await assert.rejects(m.fit(X, LABELS, {
    epochs: 50, batchSize: 8, learningRate: 1e6, divergence: false, // the rule would stop it before the NaN
    callbacks: { onBatchEnd: (_, logs) => { byStep.set(logs.step, weightsSnapshot(m)); last = logs.step; } },
  }), diverged((err) => {
    assert.equal(err.step, last, 'the step that failed is the one after the last that completed');
    assert.ok(['flag', 'amount'].includes(err.task));
    assert.match(err.message, new RegExp(`back to its last good weights, those of step ${last - 1}`));
  }));
  assert.equal(m.steps, last - 1);
  const kept = weightsSnapshot(m);
  assert.deepEqual(kept, byStep.get(last - 1), 'the weights of the step before the failing one');
  assert.ok(finite(kept), 'finite');
  await assertUsable(m, { refit: false });
  m.dispose();
});

test('an update that overflows float32 (SGD at 3e38) is undone: the weights from before it, at step 0', async () => {
  const m = model({ type: 'sgd', learningRate: 3e38 });
  const start = weightsSnapshot(m);
  await assert.rejects(m.fit(X, LABELS, { epochs: 2, batchSize: 8 }), diverged((err) => {
    assert.equal(err.what, 'the update');
    assert.equal(err.step, 0);
    assert.match(err.message, /The update overflowed float32; the model keeps the weights from before it/);
  }));
  assert.equal(m.steps, 0);
  assert.deepEqual(weightsSnapshot(m), start, 'the update was undone');
  m.core.resetOptimizer({ type: 'adam', learningRate: 1e-3 });
  await assertUsable(m);
  m.dispose();
});

test('a learning-rate schedule that grows to 1e34 within a fit ends in TrainingDivergedError with finite weights, never in NaN weights', async () => {
  const m = model({ type: 'sgd', learningRate: 0.01 });
  // Three steps at 0.01, 1e16 and 1e34: within float32, so the fit starts (fit refuses a schedule that leaves float32 before its last step).
  await assert.rejects(
    m.fit(X, LABELS, { epochs: 1, batchSize: 8, divergence: false, learningRate: { type: 'exponential', learningRate: 0.01, decayRate: 1e18, decaySteps: 1 } }),
    diverged((err) => assert.ok(err.step >= 1)),
  );
  assert.ok(finite(weightsSnapshot(m)), 'the weights kept are finite');
  assert.ok(finite(m.predict(X).flag.probabilities));
  m.dispose();
});

test('divergence at the first step of a fit leaves the weights the fit started from', async () => {
  const m = model();
  await m.fit(X, LABELS, { epochs: 3, batchSize: 8 });
  const trained = weightsSnapshot(m), steps = m.steps;
  await assert.rejects(m.fit(X, LABELS, { epochs: 2, batchSize: 8, learningRate: 3e38 }), diverged((err) => {
    assert.equal(err.step, steps);
  }));
  assert.equal(m.steps, steps);
  assert.deepEqual(weightsSnapshot(m), trained);
  await assertUsable(m);
  m.dispose();
});

// Three tasks (TrimmedMean needs 2·trim + 1), 96 rows.
const X3 = Array.from({ length: 96 }, (_, i) => [Math.sin(i * 1.3), Math.cos(i * 0.7), Math.sin(i * 0.37)]);
const LABELS3 = { a: X3.map(([p, q]) => p + q), b: X3.map(([p]) => (p > 0 ? 1 : 0)), c: X3.map(([, , z]) => (z > 0 ? 1 : 0)) };
const model3 = (weighting, optimizer) => new MultiTaskModel({
  input: { features: 3 }, architecture: { type: 'sharedBottom', units: [8], towerUnits: [4] }, seed: 3,
  tasks: [tasks.regression('a'), tasks.binary('b'), tasks.binary('c')], weighting, ...(optimizer ? { optimizer } : {}),
});

test('a divergence puts the weighting strategy\'s learned state back with the weights, for every strategy; the model saves, loads and trains again', async () => {
  // Before, the weights went back and the strategy's state did not: uncertainty's and IMTL's
  // log-scales stayed where the exploded step had sent them, and the next fit failed in a
  // loss kernel's argument check ("gradScale must be a finite number, got Infinity").
  for (const type of WEIGHTING_TYPES) {
    const m = model3({ type }, { type: 'sgd', learningRate: 1 });
    const weights = weightsSnapshot(m), state = m.core.weighting.state();
    await assert.rejects(m.fit(X3, LABELS3, { epochs: 2, batchSize: 16, learningRate: 1e30 }), (err) => err instanceof TrainingDivergedError);
    assert.equal(m.steps, 0, type);
    assert.deepEqual(weightsSnapshot(m), weights, `${type}: the weights of step 0`);
    assert.deepEqual(m.core.weighting.state(), state, `${type}: the strategy's state of step 0`);
    loadModel(m.save()).dispose();
    const h = await m.fit(X3, LABELS3, { epochs: 1, batchSize: 16, learningRate: 0.01 });
    assert.ok(Number.isFinite(h.epochs[0].loss), `${type}: trains again`);
    m.dispose();
  }
});

test('after a divergence, a fit at a sane learning rate trains exactly as the model before the failed fit did (uncertainty, IMTL)', async () => {
  for (const type of ['uncertainty', 'imtl']) {
    const fresh = model3({ type });
    const expected = (await fresh.fit(X3, LABELS3, { epochs: 3, batchSize: 16 })).get('loss');
    fresh.dispose();
    for (const learningRate of [10, 1e3]) {
      const m = model3({ type });
      await assert.rejects(m.fit(X3, LABELS3, { epochs: 3, batchSize: 16, learningRate }), (err) => {
        assert.ok(err instanceof TrainingDivergedError, String(err));
        assert.deepEqual([err.step, err.what], [1, 'the loss']);
        return true;
      });
      const h = await m.fit(X3, LABELS3, { epochs: 3, batchSize: 16 });
      assert.deepEqual(h.get('loss'), expected, `${type} after lr ${learningRate}: the same losses as a fresh model`);
      m.dispose();
    }
  }
});

test('task weights a strategy makes non-finite are a TrainingDivergedError naming the task; weights and state go back, and save() writes a file loadModel reads', async () => {
  // ExcessMTL at stepSize 700: exp(700·e_t/e_t(0)) overflows at step 1 for a task whose
  // excess risk grew. Before: "ArgumentError mse loss: gradScale must be a finite number, got
  // NaN" after the shared weights had changed, every later fit the same, and a saved file
  // loadModel refused (state.weights[0] null).
  const m = model3({ type: 'excessmtl', stepSize: 700 });
  const weights = weightsSnapshot(m), state = m.core.weighting.state();
  await assert.rejects(m.fit(X3, LABELS3, { epochs: 2, batchSize: 16 }), (err) => {
    assert.ok(err instanceof TrainingDivergedError, String(err));
    assert.deepEqual([err.step, err.what], [1, 'the task weight']);
    assert.ok(['a', 'b', 'c'].includes(err.task));
    assert.match(err.message, new RegExp(`^training diverged at step 1: the task weight of task "${err.task}" is not finite\\. The model is back to its last good weights, those of step 0`));
    return true;
  });
  assert.equal(m.steps, 0);
  assert.deepEqual(weightsSnapshot(m), weights);
  assert.deepEqual(m.core.weighting.state(), state);
  const back = loadModel(m.save());
  assert.deepEqual(back.core.weighting.state(), state);
  back.dispose();
  m.dispose();
});

test('a run whose last step leaves task weights float32 cannot carry ends in TrainingDivergedError, back to that step\'s start', async () => {
  // One batch at 1e6: uncertainty's Adam moves s_t by ~1e6 in the run's only step, whose own
  // weights were 1. Before, fit resolved and every later fit failed ("gradScale … Infinity").
  const m = model3({ type: 'uncertainty' });
  const weights = weightsSnapshot(m), state = m.core.weighting.state();
  await assert.rejects(m.fit(X3.slice(0, 16), { a: LABELS3.a.slice(0, 16), b: LABELS3.b.slice(0, 16), c: LABELS3.c.slice(0, 16) }, { epochs: 1, batchSize: 16, learningRate: 1e6 }), (err) => {
    assert.ok(err instanceof TrainingDivergedError, String(err));
    assert.deepEqual([err.task, err.step, err.what], ['a', 1, 'the task weight']);
    assert.match(err.message, /^training diverged at step 1: the task weight of task "a" is exp\(1\.00e\+6\), beyond float32\. The model is back to its last good weights, those of step 0/);
    return true;
  });
  assert.equal(m.steps, 0);
  assert.deepEqual(weightsSnapshot(m), weights);
  assert.deepEqual(m.core.weighting.state(), state);
  const h = await m.fit(X3, LABELS3, { epochs: 2, batchSize: 16 });
  assert.ok(h.epochs.every((ep) => Number.isFinite(ep.loss)));
  m.dispose();
});

test('per-task gradients whose Gram matrix overflows float32 are a TrainingDivergedError of the gradient, not the strategy\'s argument error', async () => {
  // An input of 1e15: each task's gradient of the shared parameters is finite, its squared
  // norm (the kernels' f32 dot) is not. Before: "ArgumentError pcgrad.step: gram[0][0] is Infinity".
  const x = Array.from({ length: 16 }, (_, i) => [1e15 * Math.sin(i * 1.3), Math.cos(i * 0.7)]);
  const m = new MultiTaskModel({
    input: { features: 2 }, architecture: { type: 'sharedBottom', units: [4], towerUnits: [] }, seed: 3, weighting: { type: 'pcgrad' },
    tasks: [tasks.regression('a'), tasks.binary('b')],
  });
  const weights = weightsSnapshot(m);
  await assert.rejects(m.fit(x, { a: x.map(([, q]) => q), b: x.map(([, q]) => (q > 0 ? 1 : 0)) }, { epochs: 1, batchSize: 16 }), diverged((err) => {
    assert.deepEqual([err.task, err.step, err.what], ['a', 0, 'the gradient']);
  }));
  assert.deepEqual(weightsSnapshot(m), weights);
  m.dispose();
});

test('weighting options that cannot train are refused by the model constructor, naming the option', () => {
  assert.throws(() => model3({ type: 'fixed', weights: [1e39, 1, 1] }), (err) => err instanceof ArgumentError && /createWeighting\(fixed\): weights\[0\] is 1e\+39, beyond the float32 range/.test(err.message));
  assert.throws(() => model3({ type: 'uncertainty', initialLogVariance: 1e6 }), (err) => err instanceof ArgumentError && /initialLogVariance is 1000000, outside \[−88\.72, 88\.72\]/.test(err.message));
  assert.throws(() => model3({ type: 'excessmtl', stepSize: 1e30 }), (err) => err instanceof ArgumentError && /stepSize is 1e\+30, above 709\.78/.test(err.message));
});

test('fit can be cancelled: a callback returning false, stopTraining set from outside, a callback that throws, dispose during fit', async () => {
  const m = model();
  // onBatchEnd returns false after the third batch.
  let h = await m.fit(X, LABELS, { epochs: 5, batchSize: 4, callbacks: { onBatchEnd: (b) => b < 2 } });
  assert.equal(h.reason, 'stopped');
  assert.equal(m.steps, 3);
  // onEpochBegin returns false: nothing trains.
  h = await m.fit(X, LABELS, { epochs: 5, callbacks: { onEpochBegin: () => false } });
  assert.equal(h.reason, 'stopped');
  assert.equal(h.epochs.length, 0);
  assert.equal(m.steps, 3);
  // stopTraining set by someone else while fit waits between batches.
  const started = performance.now();
  const running = m.fit(X, LABELS, { epochs: 100_000, batchSize: 4, yieldEveryMs: 0 });
  await new Promise((r) => setTimeout(r, 30));
  m.stopTraining = true;
  h = await running;
  assert.equal(h.reason, 'stopped');
  assert.ok(h.epochs.length < 100_000 && performance.now() - started < 10_000, `stopped after ${h.epochs.length} epochs`);
  // A second fit while one runs is refused, and the first is unharmed.
  const first = m.fit(X, LABELS, { epochs: 3, batchSize: 4, yieldEveryMs: 0 });
  await assert.rejects(m.fit(X, LABELS), (e) => e instanceof ArgumentError && /fit: this model is already training/.test(e.message));
  assert.equal((await first).epochs.length, 3);
  // A callback that throws: its error comes out of fit, and nothing fit allocated stays
  // (the model's batch buffers for 32 rows exist from the fit before, with the same options).
  await m.fit(X, LABELS, { epochs: 1 });
  const base = inUse();
  const boom = new Error('user callback failed');
  await assert.rejects(m.fit(X, LABELS, { epochs: 3, callbacks: { onBatchEnd: () => { throw boom; } } }), (e) => e === boom);
  assert.equal(inUse(), base, 'the resident data and the shuffle buffers were freed');
  await assertUsable(m);
  // dispose from a callback: the next batch finds a disposed model.
  await assert.rejects(m.fit(X, LABELS, { epochs: 3, batchSize: 4, callbacks: { onBatchEnd: (b) => { if (b === 1) m.dispose(); } } }),
    (e) => e instanceof DisposedError && e.code === 'E_DISPOSED');
  assert.ok(inUse() < base, 'everything of the model went back');
});

test('AutoEncoder: a loss that becomes infinite goes back to the last good weights; the autoencoder stays usable', () => {
  const rows = Array.from({ length: 16 }, (_, i) => [Math.sin(i), Math.cos(i), 0.5 * Math.sin(2 * i)]);
  const ae = new AutoEncoder({ inputSize: 3, encoderUnits: [2], seed: 1 });
  const weights = () => [...ae.encoder.parameters.list().map((p) => ae.encoder.parameters.get(p.name)), ...ae.decoder.parameters.list().map((p) => ae.decoder.parameters.get(p.name))];
  const byStep = new Map([[0, weights()]]);
  assert.throws(() => ae.fit(rows, {
    epochs: 200, batchSize: 16, learningRate: 1e30, // one step per epoch
    onEpochEnd: () => { byStep.set(ae.steps, weights()); },
  }), diverged((err) => {
    assert.equal(err.task, 'reconstruction');
    assert.equal(ae.steps, Math.max(err.step - 1, 0));
  }));
  assert.deepEqual(weights(), byStep.get(ae.steps), 'the weights of a step that completed');
  assert.ok(weights().every(finite));
  assert.ok(finite(ae.reconstruct(rows).data), 'finite reconstructions');
  const before = ae.evaluate(rows);
  assert.ok(Number.isFinite(before));
  ae.fit(rows, { epochs: 30, batchSize: 4, learningRate: 1e-2 });
  assert.ok(ae.evaluate(rows) < before, 'fit again lowers the reconstruction error');
  ae.dispose();
});

test('AutoEncoder: a gradient that overflows while the loss is finite (inputs of 1e20) stops before any update', () => {
  const ae = new AutoEncoder({ inputSize: 2, encoderUnits: [2], seed: 1 });
  const w0 = ae.encoder.parameters.get('0.weight');
  const huge = Array.from({ length: 8 }, (_, i) => [1e20 * Math.sin(i), 1e20 * Math.cos(i)]);
  assert.throws(() => ae.fit(huge, { epochs: 3, batchSize: 8 }), diverged((err) => {
    assert.equal(err.what, 'the gradient');
    assert.equal(err.step, 0);
    assert.match(err.message, /The weights were not updated/);
  }));
  assert.deepEqual(ae.encoder.parameters.get('0.weight'), w0);
  assert.equal(ae.steps, 0);
  const h = ae.fit([[0.1, 0.2], [0.3, -0.1], [-0.2, 0.4]], { epochs: 3 });
  assert.ok(h.loss.every(Number.isFinite), 'usable afterwards');
  // onEpochEnd returning false stops the fit; the autoencoder stays usable.
  const stopped = ae.fit([[0.1, 0.2], [0.3, -0.1]], { epochs: 50, onEpochEnd: (epoch) => epoch < 2 });
  assert.equal(stopped.loss.length, 3);
  assert.ok(Number.isFinite(ae.evaluate([[0.1, 0.2]])));
  ae.dispose();
});

test('a bare Network driven by hand: a NaN gradient is refused by Optimizer#step with nothing updated; an overflowing update is reported', () => {
  const net = new Network([new Dense(3, { activation: 'relu' }), new Dense(1)], { inputSize: 2, seed: 1 });
  const opt = createOptimizer({ type: 'adam', learningRate: 0.01 }).attach(net.parameters);
  const x = Matrix.from([[1, 2], [3, 4]]);
  const snapshot = () => net.parameters.list().map((p) => net.parameters.get(p.name));
  // A good step first.
  let y = net.forward(x, { training: true });
  let { grad } = lossAndGradient({ type: 'mse' }, y, [[1], [2]]);
  net.backward(grad).dispose();
  opt.step();
  y.dispose(); grad.dispose();
  const good = snapshot(), state = opt.readState(), iterations = opt.iterations;
  // dL/dy of Infinity (as from an overflowing loss): the gradients are not finite.
  y = net.forward(x, { training: true });
  const dy = scale(Matrix.from([[3e38], [1]]), 10);
  net.backward(dy).dispose();
  assert.throws(() => opt.step(), diverged((err) => {
    assert.equal(err.task, '');
    assert.equal(err.step, iterations);
    assert.match(err.message, /the gradient of parameter "[01]\.(weight|bias)" is not finite\. The parameters and the optimizer state were not updated/);
  }));
  assert.deepEqual(snapshot(), good, 'parameters untouched');
  assert.deepEqual(opt.readState(), state, 'Adam state untouched');
  assert.equal(opt.iterations, iterations);
  // An SGD step at 3e38 with gradients of order 1 overflows.
  const sgd = createOptimizer({ type: 'sgd', learningRate: 3e38 }).attach(net.parameters);
  ({ grad } = lossAndGradient({ type: 'mse' }, y, [[100], [200]]));
  net.backward(grad).dispose();
  assert.throws(() => sgd.step(), diverged((err) => {
    assert.match(err.message, /the updated parameters of parameter "[0-9.a-z]+" is not finite\. The update overflowed float32/);
  }));
  for (const m of [x, y, dy, grad]) m.dispose();
  opt.dispose(); sgd.dispose(); net.dispose();
});

test('a hand-written training loop at learning rate 1e6 ends in a typed error, never in silent NaN', () => {
  const net = new Network([new Dense(8, { activation: 'tanh' }), new Dense(1)], { inputSize: 3, seed: 2 });
  const opt = createOptimizer({ type: 'sgd', learningRate: 1e6 }).attach(net.parameters);
  const x = Matrix.from(X);
  const targets = LABELS.amount.map((v) => [v]);
  let error = null, steps = 0;
  for (; steps < 200 && error === null; steps++) {
    const y = net.forward(x, { training: true });
    try {
      const { loss, grad } = lossAndGradient({ type: 'mse' }, y, targets);
      assert.ok(!Number.isNaN(loss), `step ${steps}: a NaN loss came out without an error`);
      net.backward(grad).dispose();
      grad.dispose();
      opt.step();
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err;
      error = err;
    } finally {
      y.dispose();
    }
  }
  assert.ok(error instanceof TrainingDivergedError || error instanceof ArgumentError, `after ${steps} steps: ${error?.constructor?.name}: ${error?.message}`);
  assert.match(error.message, /step \d+|row \d+, column \d+/);
  x.dispose(); opt.dispose(); net.dispose();
});

/** A TrainingDivergedError of the divergence rule: a finite loss above its limit. */
function exploded(checks) {
  return (err) => {
    assert.ok(err instanceof TrainingDivergedError, `expected TrainingDivergedError, got ${err?.constructor?.name}: ${err?.message}`);
    assert.equal(err.code, 'E_DIVERGED');
    assert.equal(err.what, 'the loss');
    assert.ok(Number.isFinite(err.value) && Number.isFinite(err.limit) && err.value > err.limit, `loss ${err.value}, limit ${err.limit}`);
    assert.match(err.message, new RegExp(`^training diverged at step ${err.step}: the loss of task "${err.task}" is \\S+, above its divergence limit \\S+ \\(10000 × the larger of 1 and the task's loss at the first step of this run; the divergence option changes the factor or turns the rule off\\)\\. `));
    checks(err);
    return true;
  };
}

const penguins = () => Dataset.fromCSV(readFileSync(new URL('../../examples/data/penguins.csv', import.meta.url), 'utf8'), {
  features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
  targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
});
/** The CLI's model (`manytask train … --arch mmoe`), or the README's (uncertainty weighting). */
const penguinModel = (data, readme = false) => new MultiTaskModel({
  input: data, seed: readme ? 42 : 0,
  architecture: { type: 'mmoe', experts: 4, expertUnits: readme ? [16] : [32], towerUnits: readme ? [8] : [16] },
  ...(readme ? { weighting: { type: 'uncertainty' } } : {}),
  tasks: [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')],
});

test('a loss that explodes but stays finite (the README\'s model at learning rate 1e6, the CLI\'s at --lr 100) stops training by the divergence rule; the model keeps its last good weights', async () => {
  // Before the rule, fit at 1e6 ended normally with a loss of 2.4e37 (or, with uncertainty
  // weighting, in "bce loss: gradScale must be a finite number"), and the CLI at --lr 100
  // saved a model whose body-mass R² was −957.
  const data = penguins();
  for (const [learningRate, readme] of [[1e6, true], [100, false]]) {
    const m = penguinModel(data, readme);
    const start = weightsSnapshot(m);
    const losses = [];
    await assert.rejects(m.fit(data, { epochs: 30, batchSize: 32, learningRate, callbacks: { onBatchEnd: (_, logs) => { losses.push(logs.tasks); } } }), exploded((err) => {
      assert.equal(err.step, 1, `lr ${learningRate}: the first step's update already explodes the loss`);
      assert.match(err.message, /back to its last good weights, those of step 0/);
      const first = losses[0][err.task];
      assert.equal(err.limit, 1e4 * Math.max(first, 1), 'the limit: 10⁴ × the larger of 1 and the first loss');
    }));
    assert.equal(m.steps, 0);
    assert.deepEqual(weightsSnapshot(m), start, 'the weights of the step before the exploded loss');
    const e = m.evaluate(data);
    assert.ok(e.tasks.body_mass_g.r2 > -2 && Number.isFinite(e.loss), `the model kept predicts sanely: R² ${e.tasks.body_mass_g.r2}`);
    m.dispose();
  }
});

test('the divergence rule never stops a healthy run, its factor is an option, and divergence: false turns it off', async () => {
  const data = penguins();
  const m = penguinModel(data);
  // 100 epochs at the README's learning rate: the batch losses fall far below the first.
  const h = await m.fit(data, { epochs: 100, batchSize: 32, learningRate: 0.01 });
  assert.equal(h.epochs.length, 100);
  // A second fit starts near zero on species: the floor of 1 keeps the rule quiet.
  const again = await m.fit(data, { epochs: 20, batchSize: 8, learningRate: 0.01 });
  assert.equal(again.epochs.length, 20);
  m.dispose();
  // At a learning rate of 0.3 the body-mass loss jumps to ~10² times its first at step 1 and
  // recovers: under 10⁴, no stop; a factor of 10 stops the same run there.
  const run = (divergence) => { const x = penguinModel(data); return x.fit(data, { epochs: 3, batchSize: 32, learningRate: 0.3, ...(divergence === undefined ? {} : { divergence }) }).finally(() => x.dispose()); };
  assert.equal((await run()).epochs.length, 3);
  await assert.rejects(run({ factor: 10 }), (err) => {
    assert.match(err.message, /above its divergence limit \S+ \(10 × the larger of 1/);
    assert.deepEqual([err.task, err.step], ['body_mass_g', 1]);
    return true;
  });
  // Off: the CLI's model at --lr 100 runs all its epochs on absurd losses, as before the rule (the caller asked for it).
  const off = penguinModel(data);
  const h2 = await off.fit(data, { epochs: 3, batchSize: 32, learningRate: 100, divergence: false });
  assert.ok(h2.epochs.at(-1).tasks.body_mass_g.loss > 1e3, `loss ${h2.epochs.at(-1).tasks.body_mass_g.loss} (targets standardized: 1 is the mean's)`);
  off.dispose();
  // The option is checked.
  const m2 = model();
  for (const [bad, pattern] of [
    [{ factor: 1 }, /fit: divergence\.factor must be a number > 1 \(or Infinity\), got 1/],
    [{ factor: NaN }, /divergence\.factor must be a number > 1/],
    [{ limit: 10 }, /fit divergence: unknown option "limit" \(known: factor\)/],
    ['off', /fit: divergence must be false \(off\), true or \{ factor \}, got "off"/],
  ]) {
    await assert.rejects(m2.fit(X, LABELS, { epochs: 1, divergence: bad }), (e) => e instanceof ArgumentError && pattern.test(e.message));
  }
  assert.equal(m2.steps, 0);
  m2.dispose();
});

test('AutoEncoder: a loss that explodes but stays finite (learning rate 1e3) stops by the same rule, back to the last good weights; trainOnBatch too', () => {
  const rows = Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(i), 0.5 * Math.sin(2 * i), (i % 7) / 7]);
  const make = () => new AutoEncoder({ inputSize: 4, encoderUnits: [3, 2], seed: 1 });
  const weights = (ae) => [ae.encoder, ae.decoder].flatMap((net) => net.parameters.list().map((p) => Array.from(net.parameters.get(p.name))));
  // Before the rule: fit ended normally at a loss of 4.6e25.
  const ae = make();
  const start = weights(ae);
  assert.throws(() => ae.fit(rows, { epochs: 20, batchSize: 8, learningRate: 1e3 }), exploded((err) => {
    assert.equal(err.task, 'reconstruction');
    assert.equal(err.step, 1);
    assert.match(err.message, /The autoencoder is back to its last good weights, those of step 0/);
  }));
  assert.equal(ae.steps, 0);
  assert.deepEqual(weights(ae), start);
  // Off, a run at 300 ends "normally" on absurd losses. At 1e3 it ended so too, its loss stuck at 4.6e25: its
  // gradients had outgrown Adam's float32 second moment, which froze the weights. That non-finite check stays
  // on without the rule, and stops the run at step 1 by the gradient instead.
  const off = make();
  assert.ok(off.fit(rows, { epochs: 3, batchSize: 8, learningRate: 300, divergence: false }).loss.every((l) => l > 1e10));
  const offFast = make();
  assert.throws(() => offFast.fit(rows, { epochs: 3, batchSize: 8, learningRate: 1e3, divergence: false }), (err) => {
    assert.ok(err instanceof TrainingDivergedError && err.code === 'E_DIVERGED', `${err?.constructor?.name}: ${err?.message}`);
    assert.deepEqual([err.what, err.step], ['the gradient', 1]);
    assert.match(err.message, /reaches \S+ in the (encoder|decoder), beyond what Adam's second moment holds in float32/);
    return true;
  });
  assert.equal(offFast.steps, 0, 'back to the weights of step 0');
  offFast.dispose();
  // Healthy: 200 epochs at 1e-2.
  const fine = make();
  assert.equal(fine.fit(rows, { epochs: 200, batchSize: 8, learningRate: 1e-2 }).loss.length, 200);
  // trainOnBatch: successive calls are one run, its first batch the reference; the exploded step is not applied.
  const t = make();
  t.trainOnBatch(rows, { learningRate: 1e3 });
  const before = weights(t);
  assert.throws(() => t.trainOnBatch(rows, { learningRate: 1e3 }), exploded((err) => assert.match(err.message, /The weights were not updated/)));
  assert.deepEqual(weights(t), before);
  assert.throws(() => t.trainOnBatch(rows, { divergence: { factor: 0.5 } }), (e) => e instanceof ArgumentError && /AutoEncoder\.trainOnBatch: divergence\.factor must be a number > 1/.test(e.message));
  for (const a of [ae, off, fine, t]) a.dispose();
});
