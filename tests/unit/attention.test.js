// Self-attention over a window's time steps: the kernels of assembly/attention.ts
// against f64 references (tests/helpers/arch-reference.js attentionRef) at head
// widths below, at and above the SIMD width of 4 with odd remainders, windows of 1
// to 14 steps, one to three heads, causal and not — the forward pass, and the
// backward pass against central differences of the reference; the broadcast add;
// and a transformer model end to end: typed errors for bad shapes, the same weights
// for the same seed, the saved model predicting the same bits in manytask and
// manytask/infer. (The architecture's every parameter gradient against central
// differences: the transformer cases of tests/unit/arch.test.js.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { init, Matrix, Dataset, MultiTaskModel, tasks, windows, loadModel, ArgumentError, ShapeError } from '../../dist/index.js';
import { runtime } from '../../dist/internal.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import { attentionRef } from '../helpers/arch-reference.js';
import { checkOp } from '../helpers/check-op.js';
import { expectError } from '../helpers/errors.js';
import { assertServedAlike, privateInfer } from '../helpers/private-infer.js';

let infer, cleanupInfer;
before(async () => {
  await init();
  ({ infer, cleanup: cleanupInfer } = await privateInfer());
});
after(async () => { await cleanupInfer?.(); });

const k = () => runtime('test').kernels;
const read = (m) => m.toFloat32Array();
const f64 = (a) => Float64Array.from(a);
// [rows, steps, heads, dk]: dk 1, 3, 4, 5, 8, 9, 13 around the SIMD width; steps below, at and past the GEMM's
// 4 × 8 tile (1 to 14, the table's days; 19 for more than two column panels).
const SHAPES = [[1, 1, 1, 1], [2, 5, 2, 3], [1, 4, 1, 4], [3, 6, 3, 5], [2, 14, 2, 8], [1, 7, 1, 9], [2, 3, 2, 13], [1, 19, 2, 6]];

/** The kernel's forward on f32 copies of qkv (the op's kernel, or the direct one): its output and weights. */
function forward(qkv, rows, steps, heads, dk, causal, direct = false) {
  const D = heads * dk, x = Matrix.from(qkv, rows, steps * 3 * D), probs = Matrix.zeros(rows * heads * steps, steps), y = Matrix.zeros(rows, steps * D);
  const scratch = Matrix.from(seededValues(steps * Math.max(steps, dk), 9), 1, steps * Math.max(steps, dk));
  if (direct) k().attentionForwardDirect(rows, steps, heads, dk, causal ? 1 : 0, x.ptr, probs.ptr, y.ptr);
  else {
    k().attentionForward(rows, steps, heads, dk, causal ? 1 : 0, 1, x.ptr, probs.ptr, y.ptr, scratch.ptr);
    // Without keeping the weights (predicting): one block reused, the same output bits.
    const one = Matrix.zeros(steps, steps), again = Matrix.zeros(rows, steps * D);
    k().attentionForward(rows, steps, heads, dk, causal ? 1 : 0, 0, x.ptr, one.ptr, again.ptr, scratch.ptr);
    assert.deepEqual(read(again), read(y), 'keep = 0 computes the same');
    for (const m of [one, again]) m.dispose();
  }
  scratch.dispose();
  return { x, probs, y };
}

test('attention forward (GEMM and direct): softmax(q·kᵀ/√dk)·v per head against f64, causal and not, head widths around the SIMD width', () => {
  for (const [rows, steps, heads, dk] of SHAPES) {
    for (const [causal, direct] of [[false, false], [true, false], [false, true], [true, true]]) {
      const label = `${rows}×${steps} steps, ${heads} heads of ${dk}${causal ? ', causal' : ''}${direct ? ', direct' : ''}`;
      const qkv = seededValues(rows * steps * 3 * heads * dk, steps * 7 + dk);
      const { x, probs, y } = forward(qkv, rows, steps, heads, dk, causal, direct);
      assertClose(read(y), attentionRef(f64(qkv), rows, steps, heads, dk, causal), { atol: 1e-6, rtol: 1e-5, label });
      // The kept weights: each row a distribution, 0 past the query's step when causal.
      const p = read(probs);
      for (let i = 0; i < rows * heads * steps; i++) {
        const row = p.subarray(i * steps, (i + 1) * steps), t = i % steps;
        assert.ok(Math.abs(row.reduce((s, v) => s + v, 0) - 1) < 1e-6, `${label}: weights of query ${i} sum to 1`);
        if (causal) assert.ok(row.subarray(t + 1).every((v) => v === 0), `${label}: query at step ${t} sees no later step`);
      }
      for (const m of [x, probs, y]) m.dispose();
    }
  }
});

test('attention backward: dqkv against central differences of the f64 reference', () => {
  for (const [rows, steps, heads, dk] of SHAPES) {
    for (const causal of [false, true]) {
      const label = `${rows}×${steps} steps, ${heads} heads of ${dk}${causal ? ', causal' : ''}`;
      const D = heads * dk, n = rows * steps * 3 * D;
      const qkv = seededValues(n, steps * 11 + dk + (causal ? 1 : 0)), r = seededValues(rows * steps * D, dk * 3 + steps);
      const { x, probs, y } = forward(qkv, rows, steps, heads, dk, causal);
      const dy = Matrix.from(r, rows, steps * D), dx = Matrix.from(seededValues(n, 1), rows, steps * 3 * D), scratch = Matrix.from(seededValues(steps * steps, 4), 1, steps * steps);
      k().attentionBackward(rows, steps, heads, dk, causal ? 1 : 0, x.ptr, probs.ptr, dy.ptr, dx.ptr, scratch.ptr);
      checkOp({
        label, r: f64(r), gradient: { atol: 1e-5, rtol: 1e-4 },
        // One step attends to itself alone: its query and key do not move the output.
        mayBeZero: steps === 1 ? ['qkv'] : [],
        gradients: [{ name: 'qkv', actual: read(dx), theta: f64(qkv), reference: (t) => attentionRef(t, rows, steps, heads, dk, causal) }],
      });
      if (causal) {
        // A causal query never reads a later key or value: the last step's k and v get gradient from the last query only.
        const out = attentionRef(f64(qkv), rows, steps, heads, dk, true), later = f64(qkv);
        for (let c = 0; c < 3 * D; c++) later[(rows * steps - 1) * 3 * D + c] += 1;
        const moved = attentionRef(later, rows, steps, heads, dk, true);
        for (let i = 0; i < (rows * steps - 1) * D; i++) assert.equal(moved[i], out[i], `${label}: output ${i} reads the last step`);
      }
      for (const m of [x, probs, y, dy, dx, scratch]) m.dispose();
    }
  }
});

test('addBroadcast: every row plus one vector, and (one row) the sum of two arrays, for widths around the SIMD width', () => {
  for (const n of [1, 3, 4, 5, 8, 13]) {
    for (const rows of [1, 3]) {
      const xs = seededValues(rows * n, n), ps = seededValues(n, n + 1);
      const x = Matrix.from(xs, rows, n), p = Matrix.from(ps, 1, n), y = Matrix.zeros(rows, n);
      k().addBroadcast(rows, n, x.ptr, p.ptr, y.ptr);
      assert.deepEqual(Array.from(read(y)), Array.from(xs, (v, i) => Math.fround(v + ps[i % n])), `rows=${rows} n=${n}`);
      for (const m of [x, p, y]) m.dispose();
    }
  }
});

/** Windows of a synthetic series: tomorrow's value and its sign class. */
function synthetic() {
  const n = 120, v = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 3) + 0.3 * Math.sin(i * 1.7));
  const s = Dataset.fromColumns({ v, up: Array.from(v, (x, i) => (i > 0 && x > v[i - 1] ? 'up' : 'down')) }, { features: { v: 'numeric', up: 'categorical' } });
  return windows(s, { length: 6, targets: { v: 'regression', up: 'binary' } });
}

const SPEC = { type: 'transformer', steps: 6, dModel: 8, heads: 2, feedForward: 12, causal: true, pooling: 'avg', units: [4], towerUnits: [3], dropout: 0.1 };

test('a transformer model: bad shapes are typed errors; the same seed gives the same weights; manytask/infer predicts the same bits', async () => {
  const data = synthetic();
  const make = (architecture) => new MultiTaskModel({ input: data, architecture, tasks: [tasks.regression('v'), tasks.binary('up')], seed: 4, optimizer: { type: 'adam', learningRate: 0.01 } });
  // 18 features (3 channels × 6 steps): 4 steps do not divide them.
  expectError(() => make({ ...SPEC, steps: 4 }), ShapeError, 'E_SHAPE', /"transformer": the input has 18 features, not a multiple of steps = 4/);
  expectError(() => make({ ...SPEC, heads: 3 }), ArgumentError, 'E_ARGUMENT', /"transformer": dModel = 8 is not a multiple of heads = 3/);
  const [a, b] = [make(SPEC), make(SPEC)];
  const histories = [];
  for (const m of [a, b]) histories.push((await m.fit(data, { epochs: 6, batchSize: 16 })).get('loss'));
  const weights = (m) => m.parameters.names().flatMap((n) => Array.from(m.parameters.get(n)));
  assert.deepEqual(weights(a), weights(b), 'same seed, same weights');
  assert.ok(histories[0].at(-1) < histories[0][0], `the loss falls (${histories[0][0]} → ${histories[0].at(-1)})`);
  await assertServedAlike(a, data, loadModel, infer);
  for (const m of [a, b]) m.dispose();
});
