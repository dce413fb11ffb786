// Issue #8, item 6: property-based tests of the kernels against the f64 references,
// over random shapes, strides and values (fast-check; a fixed seed and a bounded
// number of runs per property, so every run tries the same cases and is quick).
// Each property states its tolerance beside it. The example-based kernel tests
// (gemm.test.js, vec.test.js, loss.test.js, arch.test.js, kmeans.test.js) pin chosen
// edge cases; these search the space between them.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { init, Matrix, add, mul, scale, axpy, dot, sum, sumSquares, lossAndGradient } from '../../dist/index.js';
import { runtime, heapF32, Act } from '../../dist/internal.js';
import { gemmRef, assertClose, seededValues } from '../helpers/reference.js';
import { lossRef, isIndexLoss } from '../helpers/loss-reference.js';
import { centralDifferences } from '../helpers/check-op.js';
import { softmaxRef, softmaxBackwardRef, mixForwardRef, mixBackwardRef } from '../helpers/arch-reference.js';
import { ACTIVATIONS } from '../helpers/nn-reference.js';
import { smoothStepRef } from '../helpers/arch-reference.js';
import { assignRef, sqDist, sumsRef, seededNormals } from '../helpers/cluster-reference.js';

before(async () => { await init(); });

/** Every property: this seed (the cases are the same on every run and in every runtime) and a bounded number of runs. */
const SEED = 20_251_121;
const runs = (numRuns) => ({ seed: SEED, numRuns, endOnFailure: true });
const K = () => runtime('kernel properties').kernels;
const f64 = (a) => Float64Array.from(a);
const seedArb = fc.integer({ min: 1, max: 1_000_000 });
/** Powers of two to scale values by: the tolerances are relative, so they must hold at every magnitude. */
const expArb = fc.integer({ min: -12, max: 12 });

/** Raw buffers in WASM memory for one property run; all freed by free(). */
class Buffers {
  #ptrs = [];
  #alloc(bytes) {
    const p = runtime('kernel properties').allocator.alloc(Math.max(bytes, 16));
    this.#ptrs.push(p);
    return p;
  }
  f32(values) { const p = this.#alloc(values.length * 4); heapF32().set(values, p >>> 2); return p; }
  filled(n, v) { const p = this.#alloc(n * 4); heapF32().fill(v, p >>> 2, (p >>> 2) + n); return p; }
  i32(values) { const p = this.#alloc(values.length * 4); new Int32Array(heapF32().buffer, p, values.length).set(values); return p; }
  f64(values) { const p = this.#alloc(values.length * 8); new Float64Array(heapF32().buffer, p, values.length).set(values); return p; }
  bytes(n) { return this.#alloc(n); }
  read(p, n) { return heapF32().slice(p >>> 2, (p >>> 2) + n); }
  readI32(p, n) { return new Int32Array(heapF32().buffer, p, n).slice(); }
  readF64(p, n) { return new Float64Array(heapF32().buffer, p, n).slice(); }
  free() { for (const p of this.#ptrs) runtime('kernel properties').allocator.free(p); this.#ptrs = []; }
}
function withBuffers(fn) {
  const b = new Buffers();
  try { return fn(b); } finally { b.free(); }
}

/** rows × cols values (row-major) laid out with row stride ld ≥ cols; the gaps hold `gap`. */
function strided(values, rows, cols, ld, gap) {
  const out = new Float32Array(rows * ld).fill(gap);
  for (let r = 0; r < rows; r++) out.set(values.subarray(r * cols, (r + 1) * cols), r * ld);
  return out;
}

// GEMM: relative to Σ|alpha·a·b| + |beta·c| + |bias| per element (the scale rounding errors
// are proportional to), 1e-5: f32 accumulation of ≤ 300 terms stays far below, one lost
// term is far above. Strided operands with NaN in the gaps check that nothing outside the
// operands is read; beta = 0 runs on a C of NaN (write-only); C's gaps must stay untouched.
test('GEMM: every transpose, alpha, beta, bias and ReLU, strided, over random shapes and magnitudes', () => {
  const arb = fc.record({
    M: fc.integer({ min: 1, max: 37 }), N: fc.integer({ min: 1, max: 37 }),
    K: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(255, 256, 257, 300)),
    transA: fc.boolean(), transB: fc.boolean(),
    alpha: fc.oneof(fc.constantFrom(1, -1, 0, 0.5), fc.double({ min: -4, max: 4, noNaN: true })),
    beta: fc.oneof(fc.constant(0), fc.constantFrom(1, -0.5), fc.double({ min: -2, max: 2, noNaN: true })),
    bias: fc.boolean(), relu: fc.boolean(),
    padA: fc.integer({ min: 0, max: 3 }), padB: fc.integer({ min: 0, max: 3 }), padC: fc.integer({ min: 0, max: 3 }),
    seed: seedArb, exp: expArb,
  });
  fc.assert(fc.property(arb, (c) => withBuffers((b) => {
    const { M, N, K: Kd, transA, transB, relu, padA, padB, padC } = c;
    const alpha = Math.fround(c.alpha), beta = Math.fround(c.beta);
    const s = 2 ** c.exp;
    const A = seededValues(M * Kd, c.seed).map((v) => v * s);
    const B = seededValues(Kd * N, c.seed + 1).map((v) => v * s);
    const C0 = beta === 0 ? undefined : seededValues(M * N, c.seed + 2).map((v) => v * s * s);
    const bias = c.bias ? seededValues(N, c.seed + 3).map((v) => v * s * s) : undefined;
    const [ar, ac] = transA ? [Kd, M] : [M, Kd];
    const [br, bc] = transB ? [N, Kd] : [Kd, N];
    const lda = ac + padA, ldb = bc + padB, ldc = N + padC;
    const a = b.f32(strided(A, ar, ac, lda, NaN)), bb = b.f32(strided(B, br, bc, ldb, NaN));
    const cp = b.f32(strided(C0 ?? new Float32Array(M * N).fill(NaN), M, N, ldc, 7));
    const biasPtr = bias ? b.f32(bias) : 0;
    K().gemm(transA ? 1 : 0, transB ? 1 : 0, M, N, Kd, alpha, a, lda, bb, ldb, beta, cp, ldc, biasPtr, relu ? Act.relu : Act.identity);
    const out = b.read(cp, M * ldc);
    const got = new Float32Array(M * N);
    for (let i = 0; i < M; i++) {
      got.set(out.subarray(i * ldc, i * ldc + N), i * N);
      for (let j = N; j < ldc; j++) assert.equal(out[i * ldc + j], 7, `C's gap at row ${i} was written`);
    }
    const { C, scale: sc } = gemmRef({ M, N, K: Kd, A, B, transA, transB, alpha, beta, C0, bias, relu });
    assertClose(got, C, { atol: 1e-30, rtol: 1e-5, scale: sc, label: JSON.stringify(c) });
  })), runs(1000));
});

// Element-wise ops: exactly the f32 rounding of the f64 result (no FMA: axpy rounds the
// product, then the sum). Reductions: 1e-5 relative to Σ|terms|, as vec.test.js.
test('vector ops: add, mul, scale, axpy bit-exact; dot, sum, sumSquares within 1e-5 of Σ|terms|', () => {
  const arb = fc.record({
    n: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 41, max: 5000 })),
    alpha: fc.double({ min: -8, max: 8, noNaN: true }), seed: seedArb, exp: expArb,
  });
  fc.assert(fc.property(arb, ({ n, alpha, seed, exp }) => {
    const s = 2 ** exp;
    const x = seededValues(n, seed).map((v) => v * s), y = seededValues(n, seed + 1).map((v) => v * s);
    const mx = Matrix.from(x, 1, n), my = Matrix.from(y, 1, n);
    const made = [mx, my];
    try {
      const exact = (m, f, label) => { made.push(m); assert.deepEqual(m.toFloat32Array(), Float32Array.from(x, f), label); };
      const a32 = Math.fround(alpha);
      exact(add(mx, my), (v, i) => v + y[i], 'add');
      exact(mul(mx, my), (v, i) => v * y[i], 'mul');
      exact(scale(mx, alpha), (v) => v * a32, 'scale');
      axpy(alpha, mx, my);
      assert.deepEqual(my.toFloat32Array(), Float32Array.from(y, (v, i) => v + Math.fround(a32 * x[i])), 'axpy');
      let d = 0, dAbs = 0, t = 0, tAbs = 0, q = 0;
      for (let i = 0; i < n; i++) { d += x[i] * y[i]; dAbs += Math.abs(x[i] * y[i]); t += x[i]; tAbs += Math.abs(x[i]); q += x[i] * x[i]; }
      const yAfter = my.toFloat32Array();
      let d2 = 0, d2Abs = 0;
      for (let i = 0; i < n; i++) { d2 += x[i] * yAfter[i]; d2Abs += Math.abs(x[i] * yAfter[i]); }
      assertClose([dot(mx, my)], [d2], { atol: 1e-30, rtol: 1e-5, scale: [d2Abs], label: `dot n=${n}` });
      assertClose([sum(mx)], [t], { atol: 1e-30, rtol: 1e-5, scale: [tAbs], label: `sum n=${n}` });
      assertClose([sumSquares(mx)], [q], { atol: 1e-30, rtol: 1e-5, scale: [q], label: `sumSquares n=${n}` });
      void d; void dAbs;
    } finally {
      for (const m of made) m.dispose();
    }
  }), runs(600));
});

// Activations: the forward against f64 of the same f32 input, within 2e-6 relative + 1e-7
// (the transcendentals are AssemblyScript's Mathf, a few ulp); the backward dy·f′(x)
// against the f64 derivative, within 1e-5 relative + 1e-6 (f′ is computed from y in f32).
const DERIVATIVES = {
  identity: () => 1,
  relu: (x) => (x > 0 ? 1 : 0),
  leakyRelu: (x, a) => (x > 0 ? 1 : a),
  elu: (x, a) => (x > 0 ? 1 : a * Math.exp(x)),
  gelu: (x) => {
    const c = Math.sqrt(2 / Math.PI), t = Math.tanh(c * (x + 0.044715 * x ** 3));
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x);
  },
  sigmoid: (x) => { const s = 1 / (1 + Math.exp(-x)); return s * (1 - s); },
  tanh: (x) => 1 - Math.tanh(x) ** 2,
  softplus: (x) => 1 / (1 + Math.exp(-x)),
  // DSelect-k's smooth step of width γ = alpha (an activation of the kernels, not of Dense).
  smoothStep: (x, g) => (Math.abs(x) >= g / 2 ? 0 : (-6 / g ** 3) * x * x + 3 / (2 * g)),
};
const FORWARD = { ...Object.fromEntries(Object.entries(ACTIVATIONS).map(([k, v]) => [k, v.f])), smoothStep: smoothStepRef };
test('activations and their gradients against f64, every kind, random lengths and ranges', () => {
  const arb = fc.record({
    kind: fc.constantFrom(...Object.keys(DERIVATIVES)), n: fc.integer({ min: 1, max: 300 }),
    range: fc.constantFrom(0.1, 1, 4, 12), alpha: fc.double({ min: 0.01, max: 2, noNaN: true }), seed: seedArb,
  });
  fc.assert(fc.property(arb, ({ kind, n, range, alpha, seed }) => withBuffers((b) => {
    const a32 = Math.fround(alpha);
    const xs = seededValues(n, seed).map((v) => v * range);
    for (let i = 0; i < n; i++) if (Math.abs(xs[i]) < 1e-6) xs[i] = 1e-3; // no kink at 0
    if (kind === 'smoothStep') for (let i = 0; i < n; i++) if (Math.abs(Math.abs(xs[i]) - a32 / 2) < 1e-4) xs[i] += 1e-3; // no kink at ±γ/2
    const dys = seededValues(n, seed + 1);
    const x = b.f32(xs), y = b.filled(n, NaN), dy = b.f32(dys), dx = b.filled(n, NaN);
    K().actForward(Act[kind], n, x, y, a32);
    K().actBackward(Act[kind], n, x, y, dy, dx, a32);
    const label = `${kind} n=${n} range=${range} alpha=${a32}`;
    assertClose(b.read(y, n), Array.from(xs, (v) => FORWARD[kind](v, a32)), { atol: 1e-7, rtol: 2e-6, label: `${label} forward` });
    assertClose(b.read(dx, n), Array.from(xs, (v, i) => dys[i] * DERIVATIVES[kind](v, a32)), { atol: 1e-6, rtol: 1e-5, label: `${label} backward` });
  })), runs(800));
});

// Losses: the value within 1e-12 of the f64 reference (both f64), the gradient against
// gradScale × central differences of the reference with loss.test.js's bound (f32
// rounding and O(h²) truncation relative to the largest entry), except that the
// reference's own rounding is ε·M/h with M the size of the terms it adds up (about
// max|z|/T + log C per row, times the weights), not ε·|loss|/h: a saturated softmax
// has a loss near 1e-8 computed as the difference of two numbers near 30, and its
// central differences are then the less accurate side (found by this property: the
// kernel matched the analytic gradient to 1e-9 where the differences were 1.7e-4 off).
test('every loss with random parameters, masks, weights, class weights, reductions and gradScale: value and gradient', () => {
  const specArb = fc.oneof(
    fc.constant({ type: 'bce' }),
    fc.record({ type: fc.constant('softmaxCrossEntropy'), temperature: fc.double({ min: 0.25, max: 4, noNaN: true }), labelSmoothing: fc.double({ min: 0, max: 0.5, noNaN: true }) }),
    fc.record({ type: fc.constant('focal'), gamma: fc.double({ min: 0, max: 3, noNaN: true }), alpha: fc.double({ min: 0, max: 1, noNaN: true }) }),
    fc.record({ type: fc.constant('multiclassFocal'), gamma: fc.double({ min: 0, max: 3, noNaN: true }) }),
    fc.record({ type: fc.constant('softDice'), smooth: fc.double({ min: 0.05, max: 2, noNaN: true }) }),
    fc.constant({ type: 'mse' }),
    fc.record({ type: fc.constant('huber'), delta: fc.double({ min: 0.2, max: 3, noNaN: true }) }),
  );
  const arb = fc.record({
    spec: specArb, rows: fc.integer({ min: 1, max: 9 }), cols: fc.integer({ min: 1, max: 9 }), seed: seedArb,
    masked: fc.boolean(), weighted: fc.boolean(), classWeighted: fc.boolean(),
    reduction: fc.constantFrom('mean', 'sum'), gradScale: fc.constantFrom(1, 0.25, -2, 3.5), logitScale: fc.constantFrom(0.5, 3, 8),
  });
  fc.assert(fc.property(arb, (c) => {
    const { spec, rows, cols } = c;
    const index = isIndexLoss(spec.type), unit = ['bce', 'focal', 'softDice'].includes(spec.type);
    const logits = Float32Array.from(seededValues(rows * cols, c.seed), (v) => c.logitScale * v);
    const u = seededValues(rows * cols, c.seed + 1).map((v) => (v + 1) / 2);
    const mask = c.masked ? Array.from({ length: rows }, (_, i) => (i * 7 + c.seed) % 3 !== 1) : undefined;
    let targets;
    if (index) targets = Array.from({ length: rows }, (_, i) => Math.min(cols - 1, Math.floor(u[i * cols] * cols)));
    else if (unit) targets = Float32Array.from(u, (v, k) => (k % 3 === 0 ? 0 : k % 3 === 1 ? 1 : v));
    else {
      targets = Float32Array.from(seededValues(rows * cols, c.seed + 2));
      if (spec.type === 'huber') { // keep |z − y| away from δ, where central differences err by O(h)
        for (let k = 0; k < targets.length; k++) if (Math.abs(Math.abs(logits[k] - targets[k]) - spec.delta) < 1e-2) targets[k] = Math.fround(targets[k] + 0.05);
      }
    }
    const sampleWeights = c.weighted ? Float32Array.from(seededValues(rows, c.seed + 3), (v) => 1 + v) : undefined;
    const classWeights = c.classWeighted && spec.type !== 'mse' && spec.type !== 'huber' && spec.type !== 'softDice'
      ? (index ? Float32Array.from(seededValues(cols, c.seed + 4), (v) => 1.1 + v) : Float32Array.of(0.7, 1.8)) : undefined;
    const m = Matrix.from(logits, rows, cols);
    const options = { reduction: c.reduction, gradScale: c.gradScale };
    if (mask) options.mask = mask;
    if (sampleWeights) options.sampleWeights = sampleWeights;
    if (classWeights) options.classWeights = classWeights;
    const { loss, grad } = lossAndGradient(spec, m, targets, options);
    const g = grad.toFloat32Array();
    m.dispose(); grad.dispose();
    const ref = (z) => lossRef(spec, { rows, cols, logits: z, targets, mask, sampleWeights, classWeights, reduction: c.reduction });
    const label = JSON.stringify(c);
    assertClose([loss], [ref(logits)], { atol: 1e-14, rtol: 1e-12, label: `${label}: loss` });
    const h = 1e-4;
    const { grad: fd, fMax } = centralDifferences(ref, logits, h);
    const expected = fd.map((v) => c.gradScale * v);
    let gMax = 0;
    for (const v of expected) gMax = Math.max(gMax, Math.abs(v));
    let zMax = 0;
    for (const v of logits) zMax = Math.max(zMax, Math.abs(v));
    const wMax = Math.max(1, ...(sampleWeights ?? []), ...(classWeights ?? []));
    const terms = Math.max(fMax, (zMax / (spec.temperature ?? 1) + Math.log(cols) + 1) * wMax * wMax * (c.reduction === 'sum' ? rows : 1));
    const atol = 5e-7 * gMax + Math.abs(c.gradScale) * 8 * 2 ** -52 * terms / h + 1e-30;
    assertClose(g, expected, { atol, rtol: 2e-6, label: `${label}: gradient` });
  }), runs(600));
});

// softmax rows and its backward, and the expert mix: within 1e-5 relative + 1e-6
// (arch.test.js's kernel tolerance), at random widths, subsets of experts and strides;
// the mix's output gaps and the experts' blocks it does not use are left untouched.
test('softmaxRows and its backward, mixForward and mixBackward, over random widths, expert subsets and strides', () => {
  const arb = fc.record({
    rows: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 13 }), total: fc.integer({ min: 1, max: 6 }),
    pick: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), pad: fc.integer({ min: 0, max: 3 }), outPad: fc.integer({ min: 0, max: 2 }),
    accumulate: fc.boolean(), logitRange: fc.constantFrom(1, 8, 30), seed: seedArb,
  });
  fc.assert(fc.property(arb, (c) => withBuffers((b) => {
    const { rows, d, total, pad, outPad, accumulate } = c;
    const idx = [...new Set(c.pick.map((p) => p % total))];
    const n = idx.length, ldE = total * d + pad, ldOut = d + outPad;
    const KERNEL = { atol: 1e-6, rtol: 1e-5 };
    const label = JSON.stringify({ ...c, idx });
    // Softmax over n gates per row.
    const logits = seededValues(rows * n, c.seed).map((v) => v * c.logitRange);
    const lx = b.f32(logits), g = b.filled(rows * n, NaN);
    K().softmaxRows(rows, n, lx, g);
    const gates = b.read(g, rows * n);
    assertClose(gates, softmaxRef(f64(logits), rows, n), { ...KERNEL, label: `${label} softmax` });
    const dys = seededValues(rows * n, c.seed + 1), dy = b.f32(dys), dgx = b.filled(rows * n, NaN);
    K().softmaxRowsBackward(rows, n, g, dy, dgx);
    assertClose(b.read(dgx, rows * n), softmaxBackwardRef(f64(gates), f64(dys), rows, n), { ...KERNEL, label: `${label} softmax backward` });
    // The mix of the chosen experts with those gates.
    const es = seededValues(rows * ldE, c.seed + 2), e = b.f32(es), ix = b.i32(idx);
    const out = b.filled(rows * ldOut, 7);
    K().mixForward(rows, n, d, e, ldE, ix, g, out, ldOut);
    const got = b.read(out, rows * ldOut);
    const dense = Array.from({ length: rows * d }, (_, i) => got[Math.floor(i / d) * ldOut + (i % d)]);
    assertClose(dense, mixForwardRef(rows, n, d, f64(es), ldE, idx, f64(gates)), { ...KERNEL, label: `${label} mix` });
    for (let r = 0; r < rows; r++) for (let j = d; j < ldOut; j++) assert.equal(got[r * ldOut + j], 7, `${label}: the output gap was written`);
    const dOuts = seededValues(rows * ldOut, c.seed + 3), dOut = b.f32(dOuts);
    const dE0 = seededValues(rows * ldE, c.seed + 4), dE = b.f32(dE0), dG = b.filled(rows * n, NaN);
    K().mixBackward(rows, n, d, e, ldE, ix, g, dOut, ldOut, dE, dG, accumulate ? 1 : 0);
    const dOutDense = f64(Array.from({ length: rows * d }, (_, i) => dOuts[Math.floor(i / d) * ldOut + (i % d)]));
    const ref = mixBackwardRef(rows, n, d, f64(es), ldE, idx, f64(gates), dOutDense, f64(dE0), accumulate);
    assertClose(b.read(dE, rows * ldE), ref.dE, { ...KERNEL, label: `${label} dE (unused blocks untouched)` });
    assertClose(b.read(dG, rows * n), ref.dG, { ...KERNEL, label: `${label} dG` });
  })), runs(600));
});

// k-means assignment: every label is the f64 nearest centre, except at a near-tie where
// both distances agree to 1e-5 relative; minDist within 2e-6 of (‖x‖² + ‖c‖²) (the
// expansion's cancellation, as kmeans.test.js); counts exact; sums (f64 sums of f32 values) to 1e-12 of Σ|x|.
test('k-means assignment against the f64 nearest centre: labels, distances, counts and sums, random n, d, k and spreads', () => {
  const arb = fc.record({
    n: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 250, max: 700 })), d: fc.integer({ min: 1, max: 20 }),
    k: fc.integer({ min: 1, max: 20 }), spread: fc.constantFrom(0.1, 1, 5), offset: fc.constantFrom(0, 3, 20), seed: seedArb,
  });
  fc.assert(fc.property(arb, ({ n, d, k, spread, offset, seed }) => withBuffers((b) => {
    const xs = Float32Array.from(seededNormals(n * d, seed), (v, i) => offset * ((i % d) % 2 ? 1 : -1) + spread * v);
    const cs = Float32Array.from(seededNormals(k * d, seed + 1), (v, i) => offset * ((i % d) % 2 ? 1 : -1) + spread * 1.5 * v);
    const x = b.f32(xs), c = b.f32(cs), xn = b.bytes(n * 4);
    K().rowSquaredNorms(n, d, x, xn);
    const labels = b.i32(new Int32Array(n).fill(-1)), minDist = b.bytes(n * 4);
    const sums = b.f64(new Float64Array(k * d)), counts = b.i32(new Int32Array(k)), scratch = b.bytes(K().kmeansScratchBytes(d, k));
    const changed = K().kmeansAssign(n, d, k, x, xn, c, labels, minDist, sums, counts, scratch);
    const X = f64(xs), C = f64(cs);
    const ref = assignRef(X, n, d, C, k);
    const label = `n=${n} d=${d} k=${k} spread=${spread} offset=${offset} seed=${seed}`;
    assert.equal(changed, n, `${label}: every label changes from −1`);
    const got = b.readI32(labels, n);
    for (let i = 0; i < n; i++) {
      assert.ok(got[i] >= 0 && got[i] < k, `${label}: row ${i} label ${got[i]}`);
      if (got[i] === ref.labels[i]) continue;
      const a = sqDist(X, i, C, got[i], d), e = sqDist(X, i, C, ref.labels[i], d);
      let s = 0;
      for (let f = 0; f < d; f++) s += X[i * d + f] ** 2 + C[got[i] * d + f] ** 2;
      assert.ok(Math.abs(a - e) <= 1e-5 * (1 + s), `${label}: row ${i} label ${got[i]} vs ${ref.labels[i]} (${a} vs ${e})`);
    }
    const scaleOf = Array.from({ length: n }, (_, i) => {
      let s = 0;
      for (let f = 0; f < d; f++) s += X[i * d + f] ** 2 + C[got[i] * d + f] ** 2;
      return s;
    });
    assertClose(b.read(minDist, n), Array.from({ length: n }, (_, i) => sqDist(X, i, C, got[i], d)), { atol: 1e-30, rtol: 2e-6, scale: scaleOf, label: `${label}: minDist` });
    const { sums: rs, counts: rc } = sumsRef(X, n, d, got, k);
    assert.deepEqual(b.readI32(counts, k), rc, `${label}: counts`);
    const abs = new Float64Array(k * d);
    for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) abs[got[i] * d + f] += Math.abs(X[i * d + f]);
    assertClose(b.readF64(sums, k * d), rs, { atol: 1e-30, rtol: 1e-12, scale: abs, label: `${label}: sums` });
  })), runs(400));
});
