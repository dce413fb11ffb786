// Issue #8, item 2: training faults. A loss, gradient or update that becomes NaN or
// infinite stops training with TrainingDivergedError naming the task and step, the
// model goes back to its last good weights (finite, and those of a step that
// completed), and stays usable; fit can be cancelled every way a caller can cancel it.
// The same for AutoEncoder.fit and for a bare Network driven by hand.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  init, MultiTaskModel, AutoEncoder, Network, Dense, Matrix, tasks, lossAndGradient, createOptimizer, scale,
  ManytaskError, ArgumentError, DisposedError, TrainingDivergedError,
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
    epochs: 50, batchSize: 8, learningRate: 1e6,
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

test('a learning-rate schedule that grows without bound ends in TrainingDivergedError with finite weights, never in NaN weights', async () => {
  const m = model({ type: 'sgd', learningRate: 0.01 });
  await assert.rejects(
    m.fit(X, LABELS, { epochs: 20, batchSize: 8, learningRate: { type: 'exponential', learningRate: 0.01, decayRate: 1e10, decaySteps: 1 } }),
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
