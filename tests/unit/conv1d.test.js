// Sequences: the kernels of the causal 1-D convolution and of pooling over time
// (assembly/conv1d.ts) against f64 references (tests/helpers/arch-reference.js) at
// channel counts below, at and above the SIMD width of 4 with odd remainders; the
// convolution as the forward pass runs it (im2col, then the GEMM with its bias and
// ReLU epilogue) at sizes past the GEMM's tiles; windows() of a series; and a
// conv1d model end to end: typed errors for bad shapes, the same weights for the
// same seed, the saved model predicting the same in manytask and manytask/infer.
// (The layer's gradients against central differences: the conv1d cases of
// tests/unit/arch.test.js.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  init, Matrix, Dataset, MultiTaskModel, tasks, windows, levelsOf, loadModel, ArgumentError, ShapeError, UnknownCategoryError, DataError,
} from '../../dist/index.js';
import { runtime, heapF32 } from '../../dist/internal.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import { conv1dRef, temporalPoolRef } from '../helpers/arch-reference.js';
import { expectError } from '../helpers/errors.js';
import { assertServedAlike, privateInfer } from '../helpers/private-infer.js';

let infer, cleanupInfer;
before(async () => {
  await init();
  ({ infer, cleanup: cleanupInfer } = await privateInfer());
});
after(async () => { await cleanupInfer?.(); });

const CHANNELS = [1, 3, 4, 5, 8, 9, 13];
// Sums of a few f32 terms against f64.
const KERNEL = { atol: 1e-6, rtol: 1e-5 };
const read = (m) => m.toFloat32Array();
const k = () => runtime('test').kernels;

/** im2col as its definition: row (r, t), block k = x at step t − (kernel − 1 − k)·dilation, or zeros. */
function im2colRef(x, rows, steps, c, kernel, dilation) {
  const col = new Float64Array(rows * steps * kernel * c);
  for (let r = 0; r < rows; r++) for (let t = 0; t < steps; t++) for (let j = 0; j < kernel; j++) {
    const s = t - (kernel - 1 - j) * dilation;
    if (s >= 0) for (let ch = 0; ch < c; ch++) col[((r * steps + t) * kernel + j) * c + ch] = x[(r * steps + s) * c + ch];
  }
  return col;
}

test('im2col is the causal copy and col2im its adjoint (⟨im2col x, g⟩ = ⟨x, col2im g⟩), for channels around the SIMD width', () => {
  for (const c of CHANNELS) {
    for (const [rows, steps, kernel, dilation] of [[1, 1, 1, 1], [2, 5, 3, 1], [3, 7, 2, 3], [2, 4, 5, 2]]) {
      const label = `c=${c} rows=${rows} steps=${steps} kernel=${kernel} dilation=${dilation}`;
      const xs = seededValues(rows * steps * c, c * 31 + steps), x = Matrix.from(xs, rows, steps * c);
      const n = rows * steps * kernel * c, col = Matrix.zeros(1, n);
      k().conv1dIm2col(rows, steps, c, kernel, dilation, x.ptr, col.ptr);
      assert.deepEqual(Array.from(read(col)), Array.from(im2colRef(xs, rows, steps, c, kernel, dilation), Math.fround), `${label}: im2col`);
      const gs = seededValues(n, c + 7), g = Matrix.from(gs, 1, n), dx = Matrix.from(seededValues(rows * steps * c, 3), 1, rows * steps * c);
      k().conv1dCol2im(rows, steps, c, kernel, dilation, g.ptr, dx.ptr);
      // col2im's value at each input element: the sum of the column entries that copied it.
      const ref = new Float64Array(rows * steps * c), ones = im2colRef(Float64Array.from({ length: rows * steps * c }, (_, i) => i + 1), rows, steps, c, kernel, dilation);
      ones.forEach((v, i) => { if (v > 0) ref[v - 1] += gs[i]; });
      assertClose(read(dx), ref, { ...KERNEL, label: `${label}: col2im` });
      const dot = (a, b) => a.reduce((s, v, i) => s + v * b[i], 0);
      assert.ok(Math.abs(dot(im2colRef(xs, rows, steps, c, kernel, dilation), gs) - dot(xs, ref)) < 1e-9, `${label}: adjoint`);
      for (const m of [x, col, g, dx]) m.dispose();
    }
  }
});

test('pooling over time: mean, maximum and last step, forward and backward, for channels around the SIMD width', () => {
  for (const c of CHANNELS) {
    for (const [rows, steps] of [[1, 1], [3, 2], [2, 7]]) {
      for (const [mode, code] of [['avg', 0], ['max', 1], ['last', 2]]) {
        const label = `${mode} c=${c} rows=${rows} steps=${steps}`;
        const xs = seededValues(rows * steps * c, c * 5 + steps), x = Matrix.from(xs, rows, steps * c), y = Matrix.zeros(rows, c);
        k().temporalPoolForward(code, rows, steps, c, x.ptr, y.ptr);
        assertClose(read(y), temporalPoolRef(mode, xs, rows, steps, c), { ...KERNEL, label: `${label}: forward` });
        const dys = seededValues(rows * c, 11), dy = Matrix.from(dys, rows, c), dx = Matrix.from(seededValues(rows * steps * c, 2), rows, steps * c);
        k().temporalPoolBackward(code, rows, steps, c, x.ptr, y.ptr, dy.ptr, dx.ptr);
        // The gradient of ⟨dy, pool(x)⟩: exact for the mean and the last step; the first maximum takes it.
        const ref = new Float64Array(rows * steps * c);
        for (let r = 0; r < rows; r++) for (let ch = 0; ch < c; ch++) {
          const at = (t) => (r * steps + t) * c + ch, g = dys[r * c + ch];
          if (mode === 'avg') for (let t = 0; t < steps; t++) ref[at(t)] = g / steps;
          else if (mode === 'last') ref[at(steps - 1)] = g;
          else {
            let best = 0;
            for (let t = 1; t < steps; t++) if (xs[at(t)] > xs[at(best)]) best = t;
            ref[at(best)] = g;
          }
        }
        assertClose(read(dx), ref, { ...KERNEL, label: `${label}: backward` });
        for (const m of [x, y, dy, dx]) m.dispose();
      }
    }
  }
});

test('the convolution as the forward pass runs it (im2col + GEMM, bias and ReLU in the epilogue) and directly, past the GEMM tiles', () => {
  for (const [rows, steps, cin, cout, kernel, dilation, relu] of [[7, 9, 13, 11, 3, 2, 1], [5, 16, 4, 33, 5, 1, 0], [1, 3, 1, 1, 4, 1, 1]]) {
    const label = `${rows}×${steps}×${cin} → ${cout}, kernel ${kernel}, dilation ${dilation}`;
    const xs = seededValues(rows * steps * cin, rows + cin), ws = seededValues(kernel * cin * cout, cout), bs = seededValues(cout, 5);
    const x = Matrix.from(xs, rows, steps * cin), w = Matrix.from(ws, kernel * cin, cout), b = Matrix.from(bs, 1, cout);
    const col = Matrix.zeros(rows * steps, kernel * cin), y = Matrix.zeros(rows * steps, cout);
    k().conv1dIm2col(rows, steps, cin, kernel, dilation, x.ptr, col.ptr);
    k().gemm(0, 0, rows * steps, cout, kernel * cin, 1, col.ptr, kernel * cin, w.ptr, cout, 0, y.ptr, cout, b.ptr, relu);
    const ref = conv1dRef(xs, rows, steps, cin, ws, bs, cout, kernel, dilation, relu ? (v) => Math.max(v, 0) : (v) => v);
    assertClose(read(y), ref, { atol: 1e-5, rtol: 1e-5, label });
    // The direct kernel (the alternative bench/conv1d.mjs measures) computes the same.
    k().conv1dDirect(rows, steps, cin, cout, kernel, dilation, x.ptr, w.ptr, b.ptr, y.ptr, relu);
    assertClose(read(y), ref, { atol: 1e-5, rtol: 1e-5, label: `${label}, direct` });
    for (const m of [x, w, b, col, y]) m.dispose();
  }
});

/** A short series: a numeric column, a categorical one, a regression and a multiclass target. */
function series(n = 9) {
  return Dataset.fromColumns({
    temp: Float64Array.from({ length: n }, (_, i) => 10 + i),
    sky: Array.from({ length: n }, (_, i) => ['sun', 'rain', 'fog'][i % 3]),
    rain: Float64Array.from({ length: n }, (_, i) => i * 0.5),
  }, { features: { temp: 'numeric', sky: 'categorical' }, targets: { rain: 'regression' } });
}

test('windows(): time-major features, one-hot levels, targets horizon steps ahead', () => {
  const s = series();
  const w = windows(s, { length: 3, horizon: 2, targets: { rain: 'regression', sky: 'multiclass' } });
  // 9 rows, windows of 3 with targets 2 steps after: ends at rows 2 … 6, 5 windows.
  assert.equal(w.rows, 5);
  const step = (k) => [`temp[${k}]`, `sky=fog[${k}]`, `sky=rain[${k}]`, `sky=sun[${k}]`];
  assert.deepEqual(w.featureNames, [...step('t-2'), ...step('t-1'), ...step('t')]);
  assert.deepEqual(Array.from(w.column('temp[t-2]')), [10, 11, 12, 13, 14]);
  assert.deepEqual(Array.from(w.column('temp[t]')), [12, 13, 14, 15, 16]);
  assert.deepEqual(Array.from(w.column('sky=rain[t-1]')), [1, 0, 0, 1, 0]);
  assert.deepEqual(Array.from(w.column('rain')), [2, 2.5, 3, 3.5, 4]); // rows 4 … 8
  assert.deepEqual(w.column('sky'), ['rain', 'fog', 'sun', 'rain', 'fog']);
  assert.deepEqual(levelsOf(w), { sky: ['fog', 'rain', 'sun'] });
  // Without targets: every window, up to the one ending at the last row (what predicts the next step).
  const last = windows(s, { length: 3, features: ['sky', 'temp'] });
  assert.equal(last.rows, 7);
  assert.deepEqual(last.featureNames.slice(0, 4), ['sky=fog[t-2]', 'sky=rain[t-2]', 'sky=sun[t-2]', 'temp[t-2]']);
  assert.deepEqual(Array.from(last.column('temp[t]')).at(-1), 18);
  // Another series windowed with the training levels lines up even where it lacks a level.
  const other = Dataset.fromColumns({ temp: [1, 2, 3], sky: ['sun', 'sun', 'sun'] }, { features: { temp: 'numeric', sky: 'categorical' } });
  assert.deepEqual(windows(other, { length: 3, levels: levelsOf(w) }).featureNames, w.featureNames);
  assert.deepEqual(windows(other, { length: 3 }).featureNames, ['temp[t-2]', 'sky=sun[t-2]', 'temp[t-1]', 'sky=sun[t-1]', 'temp[t]', 'sky=sun[t]']);
});

test('windows(): bad input is a typed error naming what and where', () => {
  const s = series();
  expectError(() => windows(s, { length: 9, targets: { rain: 'regression' } }), ShapeError, 'E_SHAPE', /series has 9 rows; windows of length 9 with targets 1 step ahead need at least 10/);
  expectError(() => windows(s, { length: 0 }), ShapeError, 'E_SHAPE', /length must be an integer ≥ 1, got 0/);
  expectError(() => windows(s, { length: 2, horizon: 1.5, targets: { rain: 'regression' } }), ShapeError, 'E_SHAPE', /horizon must be an integer ≥ 1, got 1.5/);
  expectError(() => windows(s, { length: 2, size: 3 }), ArgumentError, 'E_ARGUMENT', /unknown option "size"/);
  expectError(() => windows(s, { length: 2, features: ['wind'] }), ArgumentError, 'E_ARGUMENT', /no column "wind"/);
  expectError(() => windows(s, { length: 2, levels: { sky: ['sun', 'rain'] } }), UnknownCategoryError, 'E_ARGUMENT', /column "sky", row 2: "fog" is not one of its levels \("sun", "rain"\)/, { props: { column: 'sky', rowIndex: 2 } });
  expectError(() => windows(s, { length: 2, levels: { temp: ['a'] } }), ArgumentError, 'E_ARGUMENT', /levels are given for "temp", a numeric column/);
  expectError(() => windows(s, { length: 2, levels: { wind: ['a'] } }), ArgumentError, 'E_ARGUMENT', /levels are given for "wind", which is not among the features/);
  expectError(() => windows([[1, 2]], { length: 2 }), ArgumentError, 'E_ARGUMENT', /the series must be a Dataset/);
  expectError(() => windows(s, { length: 2, targets: { 'temp[t]': 'regression' } }), ArgumentError, 'E_ARGUMENT', /the target "temp\[t\]" has the name of a window's feature/);
  // It was Dataset.column's error, naming a function the user never called.
  expectError(() => windows(s, { length: 2, targets: { wind: 'regression' } }), ArgumentError, 'E_ARGUMENT', /^windows: the target "wind" is not a column of the series \(features: /);
  // The windowed Dataset's own errors were Dataset.fromColumns's, another function the user never called.
  expectError(() => windows(s, { length: 2, targets: { sky: 'binary' } }), DataError, 'E_ARGUMENT', /^windows: target "sky" \(binary\) has more than two distinct values/);
  expectError(() => windows(s, { length: 2, targets: { rain: 'ordinal' } }), ArgumentError, 'E_ARGUMENT', /^windows: target "rain": unknown type "ordinal"/);
});

/** Windows of a longer synthetic series: tomorrow's value and its sign class. */
function synthetic() {
  const n = 120, v = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 3) + 0.3 * Math.sin(i * 1.7));
  const s = Dataset.fromColumns({ v, up: Array.from(v, (x, i) => (i > 0 && x > v[i - 1] ? 'up' : 'down')) }, { features: { v: 'numeric', up: 'categorical' } });
  return windows(s, { length: 6, targets: { v: 'regression', up: 'binary' } });
}

const CONV = { type: 'conv1d', steps: 6, filters: [6, 5], kernelSize: 3, dilation: [1, 2], pooling: 'last', units: [4], towerUnits: [3] };

test('a series with gaps: each missing-value indicator is a channel at every step, so every step has the same channels', async () => {
  const n = 60;
  const temp = Array.from({ length: n }, (_, d) => (d === 3 ? null : 12 + 3 * Math.sin(d * 1.3)));
  const hum = Array.from({ length: n }, (_, d) => (d === 56 ? null : 50 + 10 * Math.cos(d * 0.7)));
  const rain = Array.from({ length: n }, (_, d) => 0.2 * d);
  const series = Dataset.fromColumns({ temp, hum, rain }, { features: { temp: 'numeric', hum: 'numeric', rain: 'numeric' } });
  const w = windows(series, { length: 5, targets: { hum: 'regression' } });
  const m = new MultiTaskModel({ input: w, architecture: { type: 'conv1d', steps: 5, filters: [3], kernelSize: 2, pooling: 'last', towerUnits: [] }, tasks: [tasks.regression('hum')], seed: 1 });
  const step = (k) => ['temp', 'temp', 'hum', 'hum', 'rain'].map((c, j) => `${c}[t${k === 0 ? '' : `-${k}`}]${j === 1 || j === 3 ? '_missing' : ''}`);
  // The gap in temp falls at steps t-4 … t-1 of some window and the one in hum at t-4 … t-2: both get an indicator at every step.
  assert.deepEqual(m.featureNames, [4, 3, 2, 1, 0].flatMap(step));
  await m.fit(w, { epochs: 2 });
  assert.ok(Number.isFinite(m.evaluate(w).loss));
  m.dispose();
  // Without gaps, no indicator anywhere, as before.
  const full = windows(Dataset.fromColumns({ rain }, { features: { rain: 'numeric' } }), { length: 3, targets: { rain: 'regression' } });
  const plain = new MultiTaskModel({ input: full, architecture: { type: 'conv1d', steps: 3, filters: [2], towerUnits: [] }, tasks: [tasks.regression('rain')] });
  assert.deepEqual(plain.featureNames, ['rain[t-2]', 'rain[t-1]', 'rain[t]']);
  plain.dispose();
});

test('a conv1d model: bad shapes are typed errors; the same seed gives the same weights; manytask/infer predicts the same bits', async () => {
  const data = synthetic();
  const make = (architecture) => new MultiTaskModel({ input: data, architecture, tasks: [tasks.regression('v'), tasks.binary('up')], seed: 4, optimizer: { type: 'adam', learningRate: 0.01 } });
  // 18 features (3 channels × 6 steps): 4 steps do not divide them.
  expectError(() => make({ ...CONV, steps: 4 }), ShapeError, 'E_SHAPE', /the input has 18 features, not a multiple of steps = 4/);
  expectError(() => make({ ...CONV, dilation: [1] }), ArgumentError, 'E_ARGUMENT', /dilation lists 1 layers but filters lists 2/);
  // 3 steps divide the 18 features, but the windows have 6 steps: step 1 would read [t-5] and [t-4] as two steps' channels.
  expectError(() => make({ ...CONV, steps: 3, dilation: 1 }), ShapeError, 'E_SHAPE',
    /architecture "conv1d": feature 0 is "v\[t-5\]", but as step 1 of 3 steps of 6 channels it should be channel "v" at \[t-2\]/);
  expectError(() => make({ type: 'transformer', steps: 2, dModel: 4, heads: 1, towerUnits: [] }), ShapeError, 'E_SHAPE', /architecture "transformer": feature 0 is "v\[t-5\]"/);
  const [a, b] = [make(CONV), make(CONV)];
  for (const m of [a, b]) await m.fit(data, { epochs: 4, batchSize: 16 });
  const weights = (m) => m.parameters.names().flatMap((n) => Array.from(m.parameters.get(n)));
  assert.deepEqual(weights(a), weights(b), 'same seed, same weights');
  const evaluation = a.evaluate(data);
  assert.ok(Number.isFinite(evaluation.tasks.v.loss) && evaluation.tasks.up.accuracy >= 0, 'evaluates');
  await assertServedAlike(a, data, loadModel, infer);
  for (const m of [a, b]) m.dispose();
});
