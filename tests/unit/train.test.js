// A single-task MLP learns small nonlinear problems with the nn core alone
// (forward, loss, backward, optimizer), to stated accuracies on held-out data.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, Matrix, Network, Dense, lossAndGradient, createOptimizer } from '../../dist/index.js';
import { seededValues } from '../helpers/reference.js';

before(async () => { await init(); });

/** Points in [-1, 1)², labelled inside/outside a circle of radius √0.4: not linearly separable. */
function circles(n, seed) {
  const xy = seededValues(2 * n, seed);
  const labels = new Float32Array(n);
  for (let i = 0; i < n; i++) labels[i] = xy[2 * i] ** 2 + xy[2 * i + 1] ** 2 < 0.4 ? 1 : 0;
  return { x: Matrix.from(xy, n, 2), labels };
}

test('an MLP learns a circle (BCE + Adam) to ≥ 95% held-out accuracy', () => {
  const train = circles(512, 1), test_ = circles(1000, 2);
  const net = new Network([new Dense(32, { activation: 'tanh' }), new Dense(32, { activation: 'tanh' }), new Dense(1)], { inputSize: 2, seed: 3 });
  const opt = createOptimizer({ type: 'adam', learningRate: 0.01 }).attach(net.parameters);
  let first, last;
  for (let epoch = 0; epoch < 400; epoch++) {
    const logits = net.forward(train.x, { training: true });
    const { loss, grad } = lossAndGradient({ type: 'bce' }, logits, train.labels);
    net.backward(grad).dispose();
    opt.step();
    first ??= loss;
    last = loss;
    logits.dispose(); grad.dispose();
  }
  const out = net.forward(test_.x).toFloat32Array();
  let correct = 0;
  for (let i = 0; i < out.length; i++) correct += (out[i] > 0 ? 1 : 0) === test_.labels[i] ? 1 : 0;
  const accuracy = correct / out.length;
  assert.ok(last < first / 5, `training loss fell from ${first} to ${last}`);
  assert.ok(accuracy >= 0.95, `held-out accuracy ${accuracy}`);
  net.dispose(); opt.dispose();
});

test('an MLP fits y = sin(3x) (MSE + SGD with momentum) to held-out MSE < 0.01', () => {
  const make = (n, seed) => {
    const x = seededValues(n, seed);
    return { x: Matrix.from(x, n, 1), y: Matrix.from(x.map((v) => Math.sin(3 * v)), n, 1) };
  };
  const train = make(256, 4), held = make(500, 5);
  const net = new Network([new Dense(32, { activation: 'tanh' }), new Dense(1)], { inputSize: 1, seed: 6 });
  const opt = createOptimizer({ type: 'sgd', learningRate: 0.1, momentum: 0.9 }).attach(net.parameters);
  for (let epoch = 0; epoch < 1500; epoch++) {
    const pred = net.forward(train.x, { training: true });
    const { grad } = lossAndGradient({ type: 'mse' }, pred, train.y);
    net.backward(grad).dispose();
    opt.step();
    pred.dispose(); grad.dispose();
  }
  const pred = net.forward(held.x);
  const { loss } = lossAndGradient({ type: 'mse' }, pred, held.y);
  assert.ok(loss < 0.01, `held-out MSE ${loss}`);
  net.dispose(); opt.dispose();
});
