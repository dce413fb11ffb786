// The weighting strategies that combine the gradient vectors themselves
// (needs.vectors): GradDrop, TrimmedMean, MoCo, DB-MTL, ExcessMTL, MoDo and
// SDMGrad, each run on explicit vectors placed in the kernel module's memory and
// compared with the paper's update computed here in f64 over several steps; their
// state round-trips (vectors included), pinned bits, validation, and the memory
// they hold is returned by dispose().
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, Rng, ArgumentError, ShapeError, TrainingDivergedError, createWeighting } from '../../dist/index.js';
import { runtime, heapF32 } from '../../dist/internal.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import {
  attached, combine, dot, fnv1a, gradDropRef, gramOf, input, names, placeVectors, run, runVectors, trimmedMeanRef,
} from '../helpers/weighting-reference.js';

before(async () => { await init(); });

// The strategies' vector arithmetic is f32 (kernels) against these f64 references.
const F32 = { atol: 1e-6, rtol: 1e-5 };
const random = (T, n, seed) => Array.from({ length: T }, (_, t) => Array.from(seededValues(n, seed + t)));
const norm = (v) => Math.sqrt(dot(v, v));

// ---------------------------------------------------------------------------
// GradDrop

/** The uniforms a fresh Rng(seed) gives GradDrop (it draws `width` per step with rng.uniform). */
function uniformsOf(seed, widths) {
  const rng = new Rng(seed), { allocator } = runtime('test');
  const out = widths.map((w) => {
    const p = allocator.alloc(w * 4);
    rng.uniform(p, w, 0, 1);
    const u = heapF32().slice(p >>> 2, (p >>> 2) + w);
    allocator.free(p);
    return u;
  });
  rng.dispose();
  return out;
}

test('GradDrop: the paper\'s masks on the shared parameters\' gradients and on the representation (sign of Z, rows summed)', () => {
  // Parameters: one row, no sign correction; two steps of the seeded thresholds.
  const vs = random(3, 9, 1);
  const s = attached({ type: 'graddrop', gradients: 'parameters' }, 3, new Rng(5));
  const [u1, u2] = uniformsOf(5, [9, 9]);
  for (const u of [u1, u2]) {
    const { w, c, d } = runVectors(s, vs);
    const ref = gradDropRef(vs.map((v) => Float32Array.from(v)), 1, 9, null, u, 0);
    assert.deepEqual(w, [1, 1, 1]);
    assertClose(d, ref.out, { ...F32, label: 'parameters: combined' });
    assertClose(c, ref.factors.map((f) => f.reduce((a, b) => a + b) / 9), { atol: 1e-7, rtol: 0, label: 'parameters: kept fractions' });
  }
  // Representation: 3 rows × 5 columns, the sign of Z; leak 0.2.
  const rows = 3, width = 5;
  const reps = random(2, rows * width, 20), z = Array.from(seededValues(rows * width, 30));
  const r = attached({ type: 'graddrop', leak: 0.2 }, 2, new Rng(6));
  const [u] = uniformsOf(6, [width]);
  const { d } = runVectors(r, reps, {}, { rows, z });
  const ref = gradDropRef(reps.map((v) => Float32Array.from(v)), rows, width, Float32Array.from(z), u, 0.2);
  assertClose(d, ref.out, { ...F32, label: 'representation' });
  // leak 1 keeps everything: the plain sum.
  const all = runVectors(attached({ type: 'graddrop', leak: 1, gradients: 'parameters' }, 3), vs).d;
  assertClose(all, combine([1, 1, 1], vs), { ...F32, label: 'leak 1' });
  // An inactive task contributes nothing and is left out of the purity.
  const part = runVectors(attached({ type: 'graddrop', gradients: 'parameters' }, 3, new Rng(5)), vs, { active: [1, 0, 1] });
  const refPart = gradDropRef([vs[0], vs[2]].map((v) => Float32Array.from(v)), 1, 9, null, u1, 0);
  assertClose(part.d, refPart.out, { ...F32, label: 'inactive task' });
  assert.equal(part.c[1], 0);
});

// ---------------------------------------------------------------------------
// TrimmedMean

test('TrimmedMean: the coordinate-wise trimmed mean of the active tasks\' gradients', () => {
  const vs = random(5, 11, 40);
  for (const trim of [0, 1, 2]) {
    const { w, c, d } = runVectors(attached({ type: 'trimmedmean', trim }, 5), vs);
    assert.deepEqual(w, [1, 1, 1, 1, 1]);
    assert.deepEqual(c, new Array(5).fill(1 / (5 - 2 * trim)));
    assertClose(d, trimmedMeanRef(vs, 11, trim), { ...F32, label: `trim ${trim}` });
  }
  // Two of the five inactive with trim 2: three active → trim ⌊(3 − 1)/2⌋ = 1, the median.
  const { d } = runVectors(attached({ type: 'trimmedmean', trim: 2 }, 5), vs, { active: [1, 0, 1, 1, 0] });
  assertClose(d, trimmedMeanRef([vs[0], vs[2], vs[3]], 11, 1), { ...F32, label: 'fewer active: the median' });
  // Representation gradients (rows × width) are combined the same way, coordinate by coordinate.
  const reps = random(3, 12, 50);
  const rep = runVectors(attached({ type: 'trimmedmean', gradients: 'representation' }, 3), reps, {}, { rows: 4, z: new Array(12).fill(1) });
  assertClose(rep.d, trimmedMeanRef(reps, 12, 1), { ...F32, label: 'representation' });
});

// ---------------------------------------------------------------------------
// MoCo, DB-MTL, ExcessMTL: running estimates across steps

function mocoRef(state, vs, losses, { beta = 0.5, betaSigma = 0.5, gamma = 0.1, gammaSigma = 0.5, rho = 0 } = {}) {
  const T = vs.length;
  state.k = (state.k ?? 0) + 1;
  state.y ??= vs.map((v) => v.map(() => 0));
  state.lambda ??= new Array(T).fill(1 / T);
  const b = beta / state.k ** betaSigma, g = gamma / state.k ** gammaSigma;
  state.y = state.y.map((y, t) => y.map((v, i) => (1 - b) * v + b * (losses[t] * vs[t][i]) / norm(vs[t])));
  const M = state.y.map((yi, i) => state.y.map((yj, j) => dot(yi, yj) + (i === j ? rho : 0)));
  const next = state.lambda.map((l, i) => l - g * M[i].reduce((s, m, j) => s + m * state.lambda[j], 0));
  const max = Math.max(...next), e = next.map((x) => Math.exp(x - max)), sum = e.reduce((a, c) => a + c);
  state.lambda = e.map((x) => x / sum);
  return { lambda: state.lambda.slice(), d: combine(state.lambda, state.y) };
}

test('MoCo: y tracks L_t·g_t/‖g_t‖, λ takes softmax steps on YYᵀλ, the update is Yᵀλ (four steps, decaying rates)', () => {
  for (const options of [{}, { beta: 0.8, betaSigma: 0, gamma: 2, gammaSigma: 0.25, rho: 0.5 }]) {
    const s = attached({ type: 'moco', ...options }, 3);
    const ref = {};
    for (let step = 0; step < 4; step++) {
      const vs = random(3, 7, 60 + 3 * step), losses = [1.5 - 0.1 * step, 0.4, 2 + 0.2 * step];
      const { w, c, d } = runVectors(s, vs, { losses });
      const r = mocoRef(ref, vs, losses, options);
      assert.deepEqual(w, [1, 1, 1]);
      assertClose(c, r.lambda, { atol: 1e-6, rtol: 1e-6, label: `${JSON.stringify(options)} step ${step}: λ` });
      assertClose(d, r.d, { ...F32, label: `${JSON.stringify(options)} step ${step}: update` });
    }
    assert.ok(Math.abs(ref.lambda[0] - 1 / 3) > 1e-4, 'λ moved');
    s.dispose();
  }
});

function dbmtlRef(state, vs, losses, { beta = 0.9, betaSigma = 0 } = {}) {
  state.k = (state.k ?? 0) + 1;
  state.buf ??= vs.map((v) => v.map(() => 0));
  const b = beta / state.k ** betaSigma;
  state.buf = state.buf.map((e, t) => e.map((x, i) => b * x + ((1 - b) * vs[t][i]) / (losses[t] + 1e-8)));
  const norms = state.buf.map(norm), max = Math.max(...norms);
  const alpha = norms.map((n) => max / n);
  return { alpha, d: combine(alpha, state.buf), w: losses.map((l) => 1 / (l + 1e-8)) };
}

test('DB-MTL: an EMA of the log-loss gradients, each rescaled to the largest norm; task weights 1/L_t', () => {
  for (const options of [{}, { beta: 0.5, betaSigma: 0.5 }]) {
    const s = attached({ type: 'dbmtl', ...options }, 3);
    const ref = {};
    for (let step = 0; step < 4; step++) {
      const vs = random(3, 6, 90 + 3 * step).map((v, t) => v.map((x) => x * (t + 1)));
      const losses = [0.5, 3, 1.2 - 0.2 * step];
      const { w, c, d } = runVectors(s, vs, { losses });
      const r = dbmtlRef(ref, vs, losses, options);
      assertClose(w, r.w, { atol: 0, rtol: 1e-15, label: `step ${step}: task weights` });
      assertClose(c, r.alpha, { atol: 1e-6, rtol: 1e-6, label: `step ${step}: α` });
      assertClose(d, r.d, { ...F32, label: `step ${step}: update` });
    }
    s.dispose();
  }
});

function excessRef(state, vs, { eta = 0.01 } = {}) {
  const T = vs.length;
  state.h ??= vs.map((v) => v.map(() => 0));
  state.w ??= new Array(T).fill(1);
  state.h = state.h.map((h, t) => h.map((x, i) => x + vs[t][i] ** 2));
  const e = vs.map((g, t) => g.reduce((s, x, i) => s + (x * x) / Math.sqrt(state.h[t][i] + 1e-7), 0));
  if (!state.e0) state.e0 = e;
  else {
    state.w = state.w.map((w, t) => w * Math.exp((eta * e[t]) / state.e0[t]));
    const sum = state.w.reduce((a, b) => a + b);
    state.w = state.w.map((w) => (w * T) / sum);
  }
  return { w: state.w.slice(), d: combine(state.w, vs) };
}

test('ExcessMTL: AdaGrad-preconditioned ‖g_t‖² against its first value drives exponentiated weights (parameters, and the representation summed over rows)', () => {
  const s = attached({ type: 'excessmtl', stepSize: 0.3 }, 3);
  const ref = {};
  for (let step = 0; step < 4; step++) {
    const vs = random(3, 8, 120 + 3 * step).map((v, t) => v.map((x) => x * (1 + t * step * 0.5)));
    const { w, c, d } = runVectors(s, vs);
    const r = excessRef(ref, vs, { eta: 0.3 });
    assertClose(w, r.w, { atol: 1e-6, rtol: 1e-6, label: `step ${step}: weights` });
    assert.deepEqual(c, w);
    assertClose(d, r.d, { ...F32, label: `step ${step}: update` });
  }
  assert.ok(ref.w[2] > ref.w[0], 'the task whose gradients grew gains weight');
  s.dispose();
  // Representation: each task's gradient is dL_t/dZ summed over the rows (width 4 here), the update Σ w_t·dZ_t.
  const r2 = attached({ type: 'excessmtl', stepSize: 0.3, gradients: 'representation' }, 2);
  const ref2 = {};
  for (let step = 0; step < 3; step++) {
    const reps = random(2, 12, 150 + 2 * step).map((v, t) => v.map((x) => x * (1 + t * step)));
    const summed = reps.map((v) => [0, 1, 2, 3].map((j) => v[j] + v[4 + j] + v[8 + j]));
    const { w, d } = runVectors(r2, reps, {}, { rows: 3, z: new Array(12).fill(1) });
    const r = excessRef(ref2, summed, { eta: 0.3 });
    assertClose(w, r.w, { atol: 1e-6, rtol: 1e-6, label: `representation step ${step}: weights` });
    assertClose(d, combine(r.w, reps), { ...F32, label: `representation step ${step}: update` });
  }
  r2.dispose();
});

// ---------------------------------------------------------------------------
// MoDo, SDMGrad: double sampling across consecutive batches

/** Euclidean projection onto the simplex by bisection on θ (Σ max(v − θ, 0) = 1): a different route than the sort. */
function simplexProjectionRef(v) {
  let lo = Math.min(...v) - 1, hi = Math.max(...v);
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (v.reduce((s, x) => s + Math.max(x - mid, 0), 0) > 1) lo = mid; else hi = mid;
  }
  return v.map((x) => Math.max(x - (lo + hi) / 2, 0));
}

function modoRef(state, vs, { gamma = 1e-3, rho = 0.1 } = {}) {
  const T = vs.length;
  state.lambda ??= new Array(T).fill(1 / T);
  if (state.prev) {
    const C = state.prev.map((p) => vs.map((g) => dot(p, g)));
    state.lambda = simplexProjectionRef(state.lambda.map((l, i) => l - gamma * (C[i].reduce((s, c, j) => s + c * state.lambda[j], 0) + rho * l)));
  }
  state.prev = vs;
  return { lambda: state.lambda.slice(), d: combine(state.lambda, vs) };
}

test('MoDo: λ steps along the previous batch\'s gradients times this one\'s, projected onto the simplex; the update uses this batch', () => {
  const s = attached({ type: 'modo', gamma: 0.2, rho: 0.1 }, 3);
  const ref = {};
  for (let step = 0; step < 4; step++) {
    const vs = random(3, 5, 200 + 3 * step).map((v, t) => v.map((x) => x * (1 + t)));
    const { w, c, d } = runVectors(s, vs);
    const r = modoRef(ref, vs, { gamma: 0.2, rho: 0.1 });
    assert.deepEqual(w, [1, 1, 1]);
    assertClose(c, r.lambda, { atol: 1e-6, rtol: 1e-6, label: `step ${step}: λ` });
    assertClose(d, r.d, { ...F32, label: `step ${step}: update` });
    if (step === 0) assert.deepEqual(c, [1 / 3, 1 / 3, 1 / 3], 'no previous batch: λ stays');
  }
  assert.ok(Math.max(...ref.lambda) - Math.min(...ref.lambda) > 0.05, 'λ moved');
  s.dispose();
});

function sdmgradRef(state, vs, { lambda = 0.3, iterations = 20 } = {}) {
  const T = vs.length;
  state.w ??= new Array(T).fill(1 / T);
  if (state.prev) {
    let C = state.prev.map((p) => vs.map((g) => dot(p, g)));
    const s = C.reduce((a, row, i) => a + Math.sqrt(Math.max(row[i], 0)), 0) / T;
    C = C.map((row) => row.map((x) => x / (s * s)));
    const mean = C.map((row) => row.reduce((a, b) => a + b) / T);
    let x = state.w.slice(), buf = null;
    for (let it = 0; it < iterations; it++) {
      const g = x.map((_, i) => C[i].reduce((a, c, j) => a + c * x[j], 0) + lambda * mean[i]);
      buf = buf ? buf.map((b, i) => 0.5 * b + g[i]) : g;
      x = simplexProjectionRef(x.map((v, i) => v - 5 * buf[i]));
    }
    state.w = x;
  }
  state.prev = vs;
  const coef = state.w.map((w) => (w + lambda / T) / (1 + lambda));
  return { coef, d: combine(coef, vs) };
}

test('SDMGrad: projected momentum SGD on the normalized cross products, then (Σ w_t g_t + λ·mean)/(1 + λ)', () => {
  for (const options of [{}, { lambda: 1, iterations: 5 }]) {
    const s = attached({ type: 'sdmgrad', ...options }, 3);
    const ref = {};
    for (let step = 0; step < 4; step++) {
      const vs = random(3, 6, 300 + 3 * step).map((v, t) => v.map((x) => x * (1 + 0.5 * t)));
      const { w, c, d } = runVectors(s, vs);
      const r = sdmgradRef(ref, vs, options);
      assert.deepEqual(w, [1, 1, 1]);
      assertClose(c, r.coef, { atol: 1e-6, rtol: 1e-6, label: `${JSON.stringify(options)} step ${step}: coefficients` });
      assertClose(d, r.d, { ...F32, label: `${JSON.stringify(options)} step ${step}: update` });
    }
    s.dispose();
  }
});

// ---------------------------------------------------------------------------
// State, bits, memory, validation

const SPECS = [
  { type: 'graddrop', gradients: 'parameters' }, { type: 'trimmedmean' }, { type: 'moco' }, { type: 'dbmtl' },
  { type: 'excessmtl' }, { type: 'modo', gamma: 0.1 }, { type: 'sdmgrad' },
];

function stepK(s, k, active = [1, k % 3 === 2 ? 0 : 1, 1]) {
  const vs = random(3, 10, 500 + 3 * k);
  return runVectors(s, vs, { losses: [1 + 0.1 * k, 0.5, 2 - 0.05 * k], active, epoch: k >> 2 });
}

test('state() → JSON → restore() resumes exactly, running vectors included (before or after attach)', () => {
  for (const spec of SPECS) {
    const a = attached(spec, 3, new Rng(3));
    for (let k = 0; k < 5; k++) stepK(a, k);
    const json = JSON.stringify(a.state());
    const b = attached(spec, 3, new Rng(3));
    b.restore(JSON.parse(json));
    const c = createWeighting(spec);
    c.restore(JSON.parse(json));
    c.attach({ taskCount: 3, taskNames: names(3), rng: new Rng(3) });
    for (const s of [b, c]) {
      assert.deepEqual(s.state(), JSON.parse(json), `${spec.type}: state`);
      assert.deepEqual(Array.from(s.currentWeights()), Array.from(a.currentWeights()), `${spec.type}: currentWeights`);
    }
    if (spec.type !== 'graddrop') { // (GradDrop draws from the trainer's rng, which the state does not hold)
      for (let k = 5; k < 8; k++) {
        const ra = stepK(a, k), rb = stepK(b, k), rc = stepK(c, k);
        assert.deepEqual(rb, ra, `${spec.type}: step ${k} after restore`);
        assert.deepEqual(rc, ra, `${spec.type}: step ${k} after restore before attach`);
      }
    }
    for (const s of [a, b, c]) s.dispose();
  }
});

test('snapshot() keeps the running vectors as Float32Array copies: restore() puts them back exactly, snapshot(reuse) writes into the old copies', () => {
  // The trainer takes one at the start of every step and puts it back when a divergence
  // puts the weights back (src/train/steps.ts): a copy, not base64 text, and no new
  // allocation the size of the gradients each step.
  for (const spec of SPECS.filter((x) => x.type !== 'graddrop' && x.type !== 'trimmedmean')) {
    const a = attached(spec, 3, new Rng(3));
    for (let k = 0; k < 5; k++) stepK(a, k);
    const json = a.state();
    const snap = a.snapshot();
    assert.ok(snap.bank.vectors instanceof Float32Array && typeof json.bank.vectors === 'string', `${spec.type}: a copy in the snapshot, text in state()`);
    assert.deepEqual(a.state(), json, `${spec.type}: state() unchanged by snapshot()`);
    for (let k = 5; k < 8; k++) stepK(a, k);
    assert.notDeepEqual(a.state(), json, `${spec.type}: the steps moved it`);
    a.restore(snap);
    assert.deepEqual(a.state(), json, `${spec.type}: back`);
    const kept = snap.bank.vectors;
    stepK(a, 8);
    const again = a.snapshot(snap);
    assert.equal(again.bank.vectors, kept, `${spec.type}: the old copy reused`);
    assert.deepEqual(again, { ...a.state(), bank: again.bank }, `${spec.type}: the reused snapshot is the current state`);
    assert.equal(JSON.stringify(a.state().bank), JSON.stringify({ length: again.bank.length, vectors: a.state().bank.vectors }));
    const b = attached(spec, 3, new Rng(3));
    b.restore(again);
    assert.deepEqual(b.state(), a.state(), `${spec.type}: a snapshot restores into another strategy`);
    a.dispose();
    b.dispose();
  }
});

test('running vectors and learned weights that leave float32 are a TrainingDivergedError; a weight underflowing to 0 is a state restore() takes', () => {
  const diverged = (task, what) => (e) => e instanceof TrainingDivergedError && e.task === task && e.what === what && /is not finite/.test(e.message);
  // ExcessMTL's sums of squares in f32: a gradient entry of 1e20 overflows them (its e_t is then 0, and
  // the state, saved, was a file loadModel refused).
  const e = attached({ type: 'excessmtl' }, 2);
  assert.throws(() => runVectors(e, [[1e20, 1], [1, 2]]), diverged('task0', 'the weighting state'));
  // Its weights: an excess risk 1e3 times its first at stepSize 1 overflows exp (∞/∞: NaN weights, which
  // the loss kernels refused as "gradScale must be a finite number, got NaN").
  const w = attached({ type: 'excessmtl', stepSize: 1 }, 2);
  runVectors(w, [[1e-3, 0], [1, 1]]);
  assert.throws(() => runVectors(w, [[1e3, 0], [1, 1]]), (err) => err instanceof TrainingDivergedError && err.what === 'the task weight' && err.task === 'task0');
  // (Outside the trainer nothing puts the state back: these two are spent.)
  // A weight the others outgrow underflows to 0 and stays there: a state training reaches, and restore() takes.
  const r = attached({ type: 'excessmtl' }, 2);
  runVectors(r, [[1, 2], [3, 4]]);
  const st = r.state();
  assert.doesNotThrow(() => r.restore({ ...st, weights: [0, 2] }));
  assert.throws(() => r.restore({ ...st, weights: [-1, 3] }), (err) => err instanceof ArgumentError && /excessmtl.restore: state.weights\[0\] must be ≥ 0, got -1/.test(err.message));
  for (const s of [e, w, r]) s.dispose();
});

test('MoDo at γ 1e30 keeps λ on the simplex: the projection of values whose spread dwarfs the mass puts it on the largest', () => {
  // Before, the mass was below the values' rounding and was lost: every λ 0, for good.
  const s = attached({ type: 'modo', gamma: 1e30 }, 3);
  for (let k = 0; k < 4; k++) {
    runVectors(s, random(3, 10, 700 + k));
    const lambda = s.state().lambda;
    assert.equal(lambda.reduce((a, b) => a + b, 0), 1, `step ${k}: Σλ = 1 (${lambda})`);
    if (k > 0) assert.deepEqual([...lambda].sort(), [0, 0, 1], `step ${k}: a vertex (${lambda})`);
  }
  s.dispose();
});

test('pinned bits: the same combined gradients in every engine', () => {
  const hashes = {};
  for (const spec of SPECS) {
    const s = attached(spec, 3, new Rng(42));
    const values = [];
    for (let k = 0; k < 6; k++) {
      const { w, c, d } = stepK(s, k);
      values.push(...w, ...c, ...d);
    }
    hashes[JSON.stringify(spec)] = fnv1a(values);
    s.dispose();
  }
  assert.deepEqual(hashes, {
    '{"type":"graddrop","gradients":"parameters"}': PINNED.graddrop,
    '{"type":"trimmedmean"}': PINNED.trimmedmean,
    '{"type":"moco"}': PINNED.moco,
    '{"type":"dbmtl"}': PINNED.dbmtl,
    '{"type":"excessmtl"}': PINNED.excessmtl,
    '{"type":"modo","gamma":0.1}': PINNED.modo,
    '{"type":"sdmgrad"}': PINNED.sdmgrad,
  });
});

const PINNED = {
  graddrop: '6d7124b9', trimmedmean: '5e548da6', moco: '254e4054', dbmtl: 'a33dfed8', excessmtl: '2b110f4a', modo: 'c094dac4', sdmgrad: '29e004fd',
};

test('dispose() returns the running vectors and scratch to the allocator', () => {
  const { allocator } = runtime('test');
  for (const spec of SPECS) {
    const rng = new Rng(1); // (its 16 bytes are the test's)
    const before = allocator.bytesInUse;
    const s = attached(spec, 3, rng);
    stepK(s, 0);
    stepK(s, 1);
    assert.ok(allocator.bytesInUse > before, `${spec.type}: holds memory while in use`);
    s.dispose();
    s.dispose();
    assert.equal(allocator.bytesInUse, before, `${spec.type}: bytes in use after dispose`);
    rng.dispose();
  }
});

test('vectors input: required, of the right shape; stored vectors must keep their length', () => {
  const shapeErr = (re) => (e) => e instanceof ShapeError && re.test(e.message);
  const s = attached({ type: 'moco' }, 2);
  assert.throws(() => run(s, 2, input(2, { gram: gramOf([[1], [2]]) })), shapeErr(/moco.step: vectors must be given/));
  const placed = placeVectors([[1, 2], [3, 4]]);
  const bad = (edit) => input(2, { gram: gramOf([[1, 2], [3, 4]]), vectors: { ...placed.vectors, ...edit } });
  assert.throws(() => run(s, 2, bad({ pointers: [placed.vectors.pointers[0]] })), shapeErr(/vectors.pointers must be 2 pointers/));
  assert.throws(() => run(s, 2, bad({ length: 3 })), shapeErr(/rows × width = length/));
  assert.throws(() => run(s, 2, bad({ rows: 2, width: 1 })), shapeErr(/parameter gradient vectors have rows 1, got 2/));
  assert.throws(() => run(s, 2, bad({ output: 0 })), shapeErr(/vectors.output must be a pointer/));
  run(s, 2, bad({}));
  placed.release();
  assert.throws(() => runVectors(s, [[1, 2, 3], [4, 5, 6]]), shapeErr(/moco.step: the strategy's stored vectors have 2 entries, this step's gradients 3/));
  s.dispose();
  const st = attached({ type: 'dbmtl' }, 2);
  runVectors(st, [[1, 2], [3, 4]]);
  const saved = st.state();
  assert.throws(() => st.restore({ ...saved, bank: { length: 2, vectors: 'AAAA' } }), (e) => /state.bank.vectors must be the base64 text of 4 float32 values/.test(e.message));
  assert.throws(() => st.restore({ ...saved, bank: { length: -1, vectors: null } }), (e) => /state.bank.length must be an integer ≥ 0/.test(e.message));
  const nan = { ...saved, bank: { length: 1, vectors: 'AADAfwAAwH8=' } }; // two NaN floats
  assert.throws(() => st.restore(nan), (e) => /state.bank.vectors\[0\] is NaN, not a finite number/.test(e.message));
  st.dispose();
});
