// Layers: forward against f64 references and backward against central
// differences of those references (parameters and inputs), plus the RNG,
// initializers, dropout and freezing.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  init, Matrix, Network, Dense, Activation, Dropout, LayerNorm, Sequential, Rng,
  ArgumentError, ShapeError,
} from '../../dist/index.js';
import { heapF32 } from '../../dist/internal.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import { ACTIVATIONS, denseRef, layerNormRef, XoshiroRef } from '../helpers/nn-reference.js';
import { checkOp } from '../helpers/check-op.js';

before(async () => { await init(); });

// f32 forward vs f64 reference: a few ulps of the values involved.
const FORWARD = { atol: 1e-5, rtol: 1e-4 };
// Analytic f32 gradients vs f64 central differences.
const GRADIENT = { atol: 2e-4, rtol: 2e-3 };

const f64 = (a) => Float64Array.from(a);

/**
 * Checks a network's gradients: L = Σ r ⊙ net(x). `reference(params, x)` is the
 * f64 forward, with params as { name: Float64Array }.
 */
function checkGradients(net, rows, reference, label, mayBeZero = []) {
  const names = net.parameters.names();
  const params = Object.fromEntries(names.map((n) => [n, f64(net.parameters.get(n))]));
  const xs = seededValues(rows * net.inputSize, 99);
  const out = net.forward(Matrix.from(xs, rows, net.inputSize), { training: true });
  const r = seededValues(rows * net.outputSize, 7);
  const dx = net.backward(Matrix.from(r, rows, net.outputSize)).toFloat32Array();
  checkOp({
    label, output: out.toFloat32Array(), expected: reference(params, f64(xs)), forward: FORWARD, r, gradient: GRADIENT, mayBeZero,
    gradients: [
      ...names.map((name) => ({ name, actual: net.parameters.gradient(name), theta: params[name], reference: (theta) => reference({ ...params, [name]: theta }, f64(xs)) })),
      { name: 'x', actual: dx, theta: f64(xs), reference: (theta) => reference(params, theta) },
    ],
  });
}

test('Dense with every activation: forward and finite-difference gradients (weights, bias, input)', () => {
  for (const act of Object.keys(ACTIVATIONS)) {
    for (const [rows, m, n] of [[1, 1, 1], [3, 5, 7], [6, 9, 4], [5, 8, 8], [2, 13, 17]]) {
      const alpha = act === 'leakyRelu' ? 0.1 : act === 'elu' ? 0.7 : undefined;
      const opts = { activation: act, kernelInitializer: 'heNormal', biasInitializer: 'glorotUniform' };
      if (alpha !== undefined) opts.alpha = alpha;
      const net = new Network([new Dense(n, opts)], { inputSize: m, seed: rows * 31 + m });
      // One row of one unit: a positive pre-activation, so ReLU's gradient is not zero (a check of zeros could not fail).
      if (rows === 1) net.parameters.set('0.bias', new Float32Array(n).fill(3));
      checkGradients(net, rows, (p, x) => denseRef(x, rows, m, p['0.weight'], p['0.bias'], n, act, alpha), `Dense ${act} ${rows}×${m}→${n}`);
      net.dispose();
    }
  }
});

test('Dense without bias', () => {
  const net = new Network([new Dense(3, { useBias: false, activation: 'tanh' })], { inputSize: 4, seed: 1 });
  assert.deepEqual(net.parameters.names(), ['0.weight']);
  checkGradients(net, 5, (p, x) => denseRef(x, 5, 4, p['0.weight'], null, 3, 'tanh'), 'Dense no bias');
  net.dispose();
});

test('Activation layers: forward and gradients', () => {
  for (const act of Object.keys(ACTIVATIONS)) {
    const net = new Network([new Dense(6), new Activation(act)], { inputSize: 3, seed: 5 });
    checkGradients(net, 7, (p, x) => {
      const z = denseRef(x, 7, 3, p['0.weight'], p['0.bias'], 6, 'identity');
      return z.map((v) => ACTIVATIONS[act].f(v, act === 'leakyRelu' ? 0.01 : 1));
    }, `Activation ${act}`);
    net.dispose();
  }
});

test('LayerNorm: forward and gradients (scale, shift, input)', () => {
  for (const [rows, n] of [[1, 2], [4, 5], [3, 8], [2, 33]]) {
    const net = new Network([new Dense(n, { biasInitializer: 'glorotUniform' }), new LayerNorm()], { inputSize: 3, seed: n });
    // Move γ and β off their initial 1 and 0 so their gradients are exercised in general position.
    net.parameters.set('1.weight', seededValues(n, 3).map((v) => 1 + v));
    net.parameters.set('1.bias', seededValues(n, 4));
    checkGradients(net, rows, (p, x) => {
      const z = denseRef(x, rows, 3, p['0.weight'], p['0.bias'], n, 'identity');
      return layerNormRef(z, rows, n, p['1.weight'], p['1.bias'], 1e-5);
    }, `LayerNorm ${rows}×${n}`);
    net.dispose();
  }
});

test('Sequential MLP (relu → layernorm → gelu → sigmoid): gradients through every layer', () => {
  const layers = [
    new Dense(12, { activation: 'relu', kernelInitializer: 'heUniform' }),
    new LayerNorm(),
    new Dense(9, { activation: 'gelu' }),
    new Dense(2, { activation: 'sigmoid' }),
  ];
  const net = new Network(new Sequential(layers), { inputSize: 5, seed: 3 });
  assert.deepEqual(net.parameters.names(), ['0.weight', '0.bias', '1.weight', '1.bias', '2.weight', '2.bias', '3.weight', '3.bias']);
  const rows = 6;
  checkGradients(net, rows, (p, x) => {
    let h = denseRef(x, rows, 5, p['0.weight'], p['0.bias'], 12, 'relu');
    h = layerNormRef(h, rows, 12, p['1.weight'], p['1.bias'], 1e-5);
    h = denseRef(h, rows, 12, p['2.weight'], p['2.bias'], 9, 'gelu');
    return denseRef(h, rows, 9, p['3.weight'], p['3.bias'], 2, 'sigmoid');
  }, 'MLP');
  net.dispose();
});

test('Dropout: inverted mask in training, identity in inference, the same mask in backward', () => {
  const rows = 50, n = 40, rate = 0.3;
  const net = new Network([new Dropout(rate)], { inputSize: n, seed: 11 });
  const xs = seededValues(rows * n, 1);
  const x = Matrix.from(xs, rows, n);
  assert.deepEqual(net.forward(x).toFloat32Array(), xs, 'inference passes values through');
  const y = net.forward(x, { training: true }).toFloat32Array();
  let dropped = 0;
  const mask = new Float64Array(rows * n);
  for (let i = 0; i < y.length; i++) {
    if (y[i] === 0) { dropped++; continue; }
    mask[i] = 1 / (1 - rate);
    assert.ok(Math.abs(y[i] - Math.fround(xs[i] * Math.fround(1 / (1 - rate)))) <= 1e-6, `kept value ${i} is scaled by 1/(1-rate)`);
  }
  const fraction = dropped / y.length;
  assert.ok(Math.abs(fraction - rate) < 0.05, `dropped fraction ${fraction} ≈ ${rate}`);
  const dy = seededValues(rows * n, 2);
  const dx = net.backward(Matrix.from(dy, rows, n)).toFloat32Array();
  assertClose(dx, dy.map((v, i) => v * mask[i]), { atol: 0, rtol: 1e-6, label: 'dropout backward uses the forward mask' });
  const again = new Network([new Dropout(rate)], { inputSize: n, seed: 11 });
  assert.deepEqual(again.forward(x, { training: true }).toFloat32Array(), y, 'the same seed gives the same mask');
  net.dispose(); again.dispose();
});

test('Rng: xoshiro128** matches an independent implementation bit for bit; shuffles are permutations', () => {
  for (const [seed, stream] of [[0, 0], [1, 0], [42, 2], [4294967295, 7]]) {
    const rng = new Rng(seed, stream);
    const ref = new XoshiroRef(seed, stream);
    for (let i = 0; i < 100; i++) assert.equal(rng.nextU32(), ref.next(), `seed ${seed} stream ${stream} draw ${i}`);
    rng.dispose();
  }
  const n = 1000;
  const buf = Matrix.zeros(1, n);
  const rng = new Rng(5);
  const ints = new Int32Array(heapF32().buffer, buf.ptr, n);
  for (let i = 0; i < n; i++) ints[i] = i;
  rng.shuffle(buf.ptr, n);
  const perm = Array.from(new Int32Array(heapF32().buffer, buf.ptr, n));
  assert.deepEqual([...perm].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
  assert.notDeepEqual(perm.slice(0, 20), Array.from({ length: 20 }, (_, i) => i));
  rng.uniform(buf.ptr, n, -2, 3);
  const u = buf.toFloat32Array();
  assert.ok(u.every((v) => v >= -2 && v < 3));
  assert.ok(Math.abs(u.reduce((s, v) => s + v, 0) / n - 0.5) < 0.15, 'uniform mean');
  rng.normal(buf.ptr, n, 1, 2);
  const g = buf.toFloat32Array();
  const mean = g.reduce((s, v) => s + v, 0) / n;
  const sd = Math.sqrt(g.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
  assert.ok(Math.abs(mean - 1) < 0.2 && Math.abs(sd - 2) < 0.2, `normal mean ${mean} sd ${sd}`);
  rng.dispose(); buf.dispose();
});

test('initializers: seeded, within their limits and scales; zeros and ones', () => {
  const make = (init, seed) => new Network([new Dense(200, { kernelInitializer: init })], { inputSize: 300, seed });
  const a = make('glorotUniform', 1), b = make('glorotUniform', 1), c = make('glorotUniform', 2);
  const wa = a.parameters.get('0.weight');
  assert.deepEqual(wa, b.parameters.get('0.weight'), 'same seed, same weights');
  assert.notDeepEqual(wa, c.parameters.get('0.weight'), 'another seed, other weights');
  const limit = Math.sqrt(6 / 500);
  assert.ok(wa.every((v) => Math.abs(v) <= limit));
  assert.deepEqual(a.parameters.get('0.bias'), new Float32Array(200));
  const std = (w) => Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
  for (const [init, expected] of [['heNormal', Math.sqrt(2 / 300)], ['glorotNormal', Math.sqrt(2 / 500)], ['heUniform', Math.sqrt(2 / 300)]]) {
    const net = make(init, 3);
    const s = std(net.parameters.get('0.weight'));
    assert.ok(Math.abs(s / expected - 1) < 0.03, `${init}: std ${s} vs ${expected}`);
    net.dispose();
  }
  const ones = new Network([new Dense(3, { kernelInitializer: 'ones' })], { inputSize: 2 });
  assert.deepEqual(ones.parameters.get('0.weight'), new Float32Array(6).fill(1));
  for (const n of [a, b, c, ones]) n.dispose();
});

test('parameters: one contiguous block, addressable by name, frozen by prefix', () => {
  const net = new Network([new Dense(4, { activation: 'relu' }), new Dense(3), new Dense(1)], { inputSize: 5, seed: 1 });
  const p = net.parameters;
  const list = p.list();
  assert.equal(p.size, list.at(-1).offset + Math.ceil(list.at(-1).size / 4) * 4);
  assert.deepEqual(p.trainable, [[0, p.size]]);
  assert.deepEqual(p.freeze('1'), ['1.weight', '1.bias']);
  const w1 = list.find((i) => i.name === '1.weight'), w2 = list.find((i) => i.name === '2.weight');
  assert.deepEqual(p.trainable, [[0, w1.offset], [w2.offset, p.size - w2.offset]]);
  assert.equal(p.isFrozen('1.bias'), true);
  p.unfreeze('1.weight');
  assert.equal(p.isFrozen('1.weight'), false);
  assert.throws(() => p.freeze('3'), (e) => e instanceof ArgumentError && /no parameter name starts with "3"/.test(e.message));
  assert.throws(() => p.get('0.kernel'), (e) => e instanceof ArgumentError && /unknown parameter "0.kernel".*0.weight/.test(e.message));
  assert.throws(() => p.set('0.bias', [1, 2]), (e) => e instanceof ShapeError && /1×4 = 4 values, got 2/.test(e.message));
  net.dispose();
});

test('bad layer and network options give typed errors', () => {
  assert.throws(() => new Dense(0), (e) => e instanceof ShapeError && /units must be a positive integer/.test(e.message));
  assert.throws(() => new Dense(3, { activation: 'swish' }), (e) => e instanceof ArgumentError && /unknown activation "swish".*relu/.test(e.message));
  assert.throws(() => new Dense(3, { kernelInitializer: 'orthogonal' }), (e) => e instanceof ArgumentError && /unknown initializer "orthogonal"/.test(e.message));
  assert.throws(() => new Dense(3, { units: 4 }), (e) => e instanceof ArgumentError && /unknown option "units"/.test(e.message));
  assert.throws(() => new Dropout(1), (e) => e instanceof ArgumentError && /rate must be in \[0, 1\)/.test(e.message));
  assert.throws(() => new Network([new Dense(2)], { inputSize: 3, seed: -1 }), (e) => e instanceof ArgumentError && /seed must be an integer/.test(e.message));
  assert.throws(() => new Network([], { inputSize: 3 }), (e) => e instanceof ArgumentError && /non-empty array of layers/.test(e.message));
  const net = new Network([new Dense(2)], { inputSize: 3 });
  assert.throws(() => net.forward(Matrix.zeros(4, 2)), (e) => e instanceof ShapeError && /3 columns \(the input size\), got 2/.test(e.message));
  net.forward(Matrix.zeros(4, 3));
  assert.throws(() => net.backward(Matrix.zeros(4, 3)), (e) => e instanceof ShapeError && /dy must be 4×2/.test(e.message));
  const shared = new Dense(2);
  new Network([shared], { inputSize: 2 }).dispose();
  assert.throws(() => new Network([shared], { inputSize: 2 }), (e) => e instanceof ArgumentError && /only be used in one model/.test(e.message));
  net.dispose();
});
