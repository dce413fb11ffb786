// Layers: forward against f64 references and backward against central
// differences of those references (parameters and inputs), plus the RNG,
// initializers, dropout and freezing.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  init, Matrix, Network, Dense, Activation, Dropout, LayerNorm, Sequential, Rng, Parameters,
  ArgumentError, ShapeError, DisposedError,
} from '../../dist/index.js';
import { expectError } from '../helpers/errors.js';
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

// ---- the pointer-level methods: every pointer inside one live block, every number in range ----

const argErr = (fn, pattern) => expectError(fn, ArgumentError, 'E_ARGUMENT', pattern);

test('Rng\'s draws into WASM memory check the pointer, the count and the distribution\'s parameters', () => {
  const rng = new Rng(42);
  const a = Matrix.from([[1, 2, 3, 4]]), b = Matrix.from([[5, 6, 7, 8]]);
  const bBefore = b.toFloat32Array();
  // Past the end of a's 16 bytes (into b, next to it), from an address that is no pointer, or far out.
  argErr(() => rng.uniform(a.ptr, 8), /^Rng\.uniform: out \(\d+\) and the 32 bytes after it are not inside one live block of WASM memory/);
  argErr(() => rng.uniform(a.ptr + 4, 4), /out \(\d+\) and the 16 bytes after it are not inside one live block/);
  argErr(() => rng.uniform(a.ptr, 1e9), /and the 4000000000 bytes after it/);
  argErr(() => rng.normal(a.ptr, 2 ** 31), /^Rng\.normal: n must be an integer from 0 to 2147483647, got 2147483648/);
  argErr(() => rng.uniform(new Float32Array(4), 4), /^Rng\.uniform: out must be a pointer into WASM memory \(a byte offset > 0, a multiple of 4\), got a Float32Array/);
  argErr(() => rng.uniform(0, 4), /out must be a pointer .* got 0/);
  argErr(() => rng.uniform(a.ptr + 2, 1), /got \d+$/);
  argErr(() => rng.uniform(Symbol('p'), 1), /got symbol/);
  argErr(() => rng.shuffle(1n, 1), /^Rng\.shuffle: values must be a pointer .* got bigint/);
  argErr(() => rng.uniform(a.ptr, 1.5), /n must be an integer/);
  argErr(() => rng.uniform(a.ptr, 4, NaN, 1), /^Rng\.uniform: lo must be a finite number, got NaN/);
  argErr(() => rng.uniform(a.ptr, 4, 0, 1e39), /hi is 1e\+39, beyond the float32 range/);
  argErr(() => rng.uniform(a.ptr, 4, 1, 0), /lo \(1\) must not exceed hi \(0\)/);
  argErr(() => rng.uniform(a.ptr, 4, -3e38, 3e38), /hi − lo is 6e\+38, beyond the float32 range/);
  argErr(() => rng.normal(a.ptr, 4, 0, -1), /^Rng\.normal: std must be ≥ 0, got -1/);
  argErr(() => rng.normal(a.ptr, 4, 3e38, 1e38), /reach beyond the float32 range/);
  for (const keep of [2, 0, -0.5, NaN, 1e-40, '0.5']) argErr(() => rng.dropoutMask(a.ptr, 4, keep), /^Rng\.dropoutMask: keep \(the probability of keeping a value\) must be a number in \(0, 1\]/);
  argErr(() => rng.seedKeyed(a.ptr, null), /^Rng\.seedKeyed: keys must be an array of integers, got null/);
  argErr(() => rng.seedKeyed(a.ptr, [1, -1]), /keys\[1\] must be an integer from 0 to 4294967295, got -1/);
  argErr(() => rng.seedKeyed(a.ptr, [Symbol('k')]), /keys\[0\] must be an integer/);
  argErr(() => rng.seedKeyed(0, [1]), /^Rng\.seedKeyed: out must be a pointer/);
  const gone = Matrix.zeros(1, 4);
  const freed = gone.ptr;
  gone.dispose();
  argErr(() => rng.uniform(freed, 4), /not inside one live block/);
  assert.deepEqual(b.toFloat32Array(), bBefore, 'no refused call wrote into b');
  assert.deepEqual(a.toFloat32Array(), Float32Array.from([1, 2, 3, 4]), 'nor into a');
  // What is in range draws as before: the same numbers as an Rng of the same seed, in a block or part of one.
  const twin = new Rng(42);
  rng.uniform(a.ptr + 4, 3, -1, 1);
  const wide = Matrix.zeros(1, 3);
  twin.uniform(wide.ptr, 3, -1, 1);
  assert.deepEqual(a.toFloat32Array().subarray(1), wide.toFloat32Array());
  rng.dropoutMask(a.ptr, 4, 1);
  assert.deepEqual(a.toFloat32Array(), Float32Array.from([1, 1, 1, 1]), 'keep 1 keeps everything');
  rng.uniform(a.ptr, 0);
  rng.dispose();
  expectError(() => rng.uniform(a.ptr, 4), DisposedError, 'E_DISPOSED', /an Rng was used after dispose\(\)/);
  for (const m of [a, b, wide]) m.dispose();
  twin.dispose();
});

test('Network.forwardPtr / backwardPtr and a layer\'s forward / backward check pointers, rows and order', () => {
  const net = new Network([new Dense(3, { activation: 'tanh' }), new Dense(2)], { inputSize: 2, seed: 3 });
  const x = Matrix.from([[1, 2], [3, -1]]), dy = Matrix.from([[1, 0], [0, 1]]);
  argErr(() => net.forwardPtr(0, 1e6, false), /^Network\.forwardPtr: x must be a pointer into WASM memory .* got 0/);
  argErr(() => net.forwardPtr(x.ptr, 3, false), /x \(\d+\) and the 24 bytes after it are not inside one live block/);
  argErr(() => net.forwardPtr(x.ptr, 0, false), /rows must be an integer from 1/);
  argErr(() => net.forwardPtr(x.ptr, 2, 'yes'), /training must be true or false/);
  argErr(() => net.ensureCapacity('8'), /^Network\.ensureCapacity: rows must be an integer/);
  argErr(() => net.backwardPtr(0, 5), /^Network\.backwardPtr: call forward first/);
  // A valid pass gives what forward and backward on matrices give.
  const y = net.forwardPtr(x.ptr, 2, false);
  const yArray = heapF32().slice(y >>> 2, (y >>> 2) + 4);
  expectError(() => net.backwardPtr(dy.ptr, 5), ShapeError, 'E_SHAPE', /^Network\.backwardPtr: rows must be 2 like the last forward, got 5/);
  argErr(() => net.backwardPtr(x.ptr + 8, 2), /dy \(\d+\) and the 16 bytes after it are not inside one live block/);
  argErr(() => net.backwardPtr(dy.ptr, 2, 1), /needInputGrad must be true or false/);
  const dx = net.backwardPtr(dy.ptr, 2, true);
  const dxArray = heapF32().slice(dx >>> 2, (dx >>> 2) + 4);
  const grads = net.parameters.gradient('0.weight');
  const yM = net.forward(x), dxM = net.backward(dy);
  assert.deepEqual(yArray, yM.toFloat32Array());
  assert.deepEqual(dxArray, dxM.toFloat32Array());
  assert.deepEqual(grads, net.parameters.gradient('0.weight'));
  // backward reads the forward's x again: an x freed in between is refused.
  const x2 = Matrix.from([[1, 2], [3, -1]]);
  net.forwardPtr(x2.ptr, 2, true);
  x2.dispose();
  argErr(() => net.backwardPtr(dy.ptr, 2), /^Network\.backwardPtr: the input x of the last forwardPtr was freed since; backward reads it/);
  argErr(() => net.backward(dy), /^Network\.backward: the input x of the last forwardPtr was freed since/);
  // Larger buffers drop the last forward's outputs: backward needs a new forward.
  net.ensureCapacity(64);
  argErr(() => net.backwardPtr(dy.ptr, 2), /call forward first/);
  // A layer on its own: built, its buffers large enough, forward before backward.
  argErr(() => new Dense(2).forward(0, 1, false), /^Dense\.forward: the layer is not built yet \(give it to a Network\)/);
  argErr(() => new Dense(2).backward(0, 1, false), /^Dense\.backward: the layer is not built yet/);
  argErr(() => new Dense(2).allocate(4), /^Dense\.allocate: the layer is not built yet/);
  argErr(() => new Dense(2).build(2, null, ''), /^Dense\.build: ctx must be \{ params: Parameters, rng: Rng \}, got null/);
  const first = net.root.layers[0];
  expectError(() => first.forward(x.ptr, 100, false), ShapeError, 'E_SHAPE', /^Dense\.forward: rows is 100, but the layer's buffers hold 64/);
  argErr(() => first.forward(x.ptr, 3, false), /^Dense\.forward: x \(\d+\) and the 24 bytes after it/);
  const h = first.forward(x.ptr, 2, true);
  argErr(() => first.backward(dy.ptr, 2, true), /^Dense\.backward: dy \(\d+\) and the 24 bytes after it/);
  assert.ok(first.backward(h, 2, true) > 0, 'a dy of 2 × 3 floats (its output buffer, here) is taken');
  expectError(() => first.backward(dy.ptr, 1, true), ShapeError, 'E_SHAPE', /rows must be 2 like the last forward, got 1/);
  argErr(() => new Parameters().allocate(null), /^Parameters\.allocate: rng must be an Rng, got null/);
  net.dispose();
  expectError(() => first.forward(x.ptr, 2, false), DisposedError, 'E_DISPOSED', /a Dense layer was used after dispose\(\)/);
  for (const m of [x, dy, yM, dxM]) m.dispose();
});
