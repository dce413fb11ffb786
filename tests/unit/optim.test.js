// Optimizers and gradient clipping over a ParameterBlock: each update against a
// plain f64 transcription of PyTorch's algorithm over several steps, at lengths
// around the 4-wide SIMD step; frozen ranges; clipping; determinism; bad input.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  init, Matrix, ArgumentError, ShapeError, DisposedError, Network, Dense,
  createOptimizer, gradNorm, clipGradNorm, clipGradValue,
} from '../../dist/index.js';
import { runtime, heapF32, applyUpdate } from '../../dist/internal.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import { expectError } from '../helpers/errors.js';

before(async () => { await init(); });

const SIZES = [1, 3, 4, 5, 7, 8, 9, 33, 1000];
const STEPS = 6;
// After 6 f32 steps: each step rounds p (½ ulp, ≤ 6e-8 for |p| < 1) and the
// update carries a few f32 roundings relative to lr·|update| ≤ 0.1. A wrong
// term (bias correction, ε placement, decay) moves p by ≥ 1e-4 in these cases.
const PARAM_TOL = { atol: 1e-6, rtol: 1e-6 };
// State (momentum buffer, m, v): a few f32 roundings per step, relative to the
// same recurrence over |terms| (the buffer and m cancel; rounding does not).
const STATE_TOL = { atol: 0, rtol: 2e-6 };

// ---- plain f64 references (PyTorch's algorithms, literally) ----

/**
 * torch.optim.SGD, dampening 0: the buffer is set to g on the first step.
 * state.slots holds the buffer; state.scales the same recurrence over |terms|.
 */
function sgdRef(state, p, g, spec, lr, t, pre = (x) => x) {
  const { momentum = 0, nesterov = false, weightDecay = 0 } = spec;
  if (momentum > 0 && !state.slots) {
    state.slots = [new Float64Array(p.length)];
    state.scales = [new Float64Array(p.length)];
  }
  for (let i = 0; i < p.length; i++) {
    let d = pre(g[i]) + weightDecay * p[i];
    if (momentum > 0) {
      const [buf] = state.slots, [abs] = state.scales;
      const dAbs = Math.abs(pre(g[i])) + weightDecay * Math.abs(p[i]);
      buf[i] = t === 1 ? d : momentum * buf[i] + d;
      abs[i] = t === 1 ? dAbs : momentum * abs[i] + dAbs;
      d = nesterov ? d + momentum * buf[i] : buf[i];
    }
    p[i] -= lr * d;
  }
}

/** torch.optim.Adam / AdamW (amsgrad off), with Math.pow for the bias corrections. */
function adamRef(state, p, g, spec, lr, t, pre = (x) => x) {
  const { type, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 } = spec;
  const weightDecay = spec.weightDecay ?? (type === 'adamw' ? 0.01 : 0);
  if (!state.slots) {
    state.slots = [new Float64Array(p.length), new Float64Array(p.length)];
    state.scales = [new Float64Array(p.length), new Float64Array(p.length)];
  }
  const [m, v] = state.slots, [mAbs, vAbs] = state.scales;
  const bc1 = 1 - beta1 ** t, bc2 = 1 - beta2 ** t;
  for (let i = 0; i < p.length; i++) {
    let d = pre(g[i]), dAbs = Math.abs(d);
    if (type === 'adamw') p[i] *= 1 - lr * weightDecay;
    else { d += weightDecay * p[i]; dAbs += weightDecay * Math.abs(p[i]); }
    m[i] = beta1 * m[i] + (1 - beta1) * d;
    v[i] = beta2 * v[i] + (1 - beta2) * d * d;
    mAbs[i] = beta1 * mAbs[i] + (1 - beta1) * dAbs;
    vAbs[i] = beta2 * vAbs[i] + (1 - beta2) * dAbs * dAbs;
    const denom = Math.sqrt(v[i]) / Math.sqrt(bc2) + epsilon;
    p[i] -= (lr / bc1) * (m[i] / denom);
  }
}

const refFor = (spec) => (spec.type === 'sgd' ? sgdRef : adamRef);

// ---- a fake ParameterBlock from two Matrix allocations ----

function makeBlock(size, trainable, seed) {
  const pm = Matrix.from(seededValues(size, seed), 1, size);
  const gm = Matrix.zeros(1, size);
  const block = { size, params: pm.ptr, grads: gm.ptr, trainable };
  return {
    block,
    params: () => pm.toFloat32Array(),
    grads: () => gm.toFloat32Array(),
    setGrads(values) { heapF32().set(values, gm.ptr >>> 2); },
    dispose() { pm.dispose(); gm.dispose(); },
  };
}

/** Gradients for step t: values in [-2, 2) so clipping and weight decay both matter. */
const gradsAt = (size, seed, t) => seededValues(size, 1000 * seed + t).map((x) => 2 * x);

/**
 * Runs `steps` steps of the optimizer and of the reference on the elements of
 * the trainable ranges; a learning rate per step (undefined: the spec's).
 * Returns the final params, the reference's params and state (as block-sized
 * arrays), and the optimizer's state.
 */
function run(spec, size, trainable, { seed = size, steps = STEPS, lrs = [], pre } = {}) {
  const b = makeBlock(size, trainable, seed);
  const opt = createOptimizer(spec).attach(b.block);
  const p = Float64Array.from(b.params());
  const refState = {};
  const idx = trainable.flatMap(([o, n]) => Array.from({ length: n }, (_, i) => o + i));
  const sub = {};
  for (let t = 1; t <= steps; t++) {
    const g = gradsAt(size, seed, t);
    b.setGrads(g);
    const lr = lrs[t - 1];
    if (lr === undefined) opt.step(); else opt.step({ learningRate: lr });
    const pt = Float64Array.from(idx, (i) => p[i]);
    refFor(spec)(sub, pt, Float64Array.from(idx, (i) => g[i]), spec, lr ?? spec.learningRate, t, pre);
    idx.forEach((i, j) => { p[i] = pt[j]; });
  }
  const spread = (arr) => {
    const out = new Float64Array(size).fill(NaN);
    idx.forEach((i, j) => { out[i] = arr[j]; });
    return out;
  };
  return {
    params: b.params(), grads: b.grads(), expected: p,
    refState: (sub.slots ?? []).map(spread), refScale: (sub.scales ?? []).map(spread),
    state: opt.readState(), opt, block: b,
  };
}

function checkRun(r, label) {
  assertClose(r.params, r.expected, { ...PARAM_TOL, label: `${label} params` });
  assert.equal(r.state.length, r.refState.length, `${label}: number of state slots`);
  const kept = (arr) => arr.filter((x) => !Number.isNaN(x));
  r.state.forEach((s, k) => {
    assertClose(kept(s), kept(r.refState[k]), { ...STATE_TOL, scale: kept(r.refScale[k]), label: `${label} state slot ${k}` });
  });
}

const SGD_SPECS = [
  { type: 'sgd', learningRate: 0.1 },
  { type: 'sgd', learningRate: 0.1, weightDecay: 0.5 },
  { type: 'sgd', learningRate: 0.05, momentum: 0.9 },
  { type: 'sgd', learningRate: 0.02, momentum: 0.5, weightDecay: 0.01 },
  { type: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.1 },
];
const ADAM_SPECS = [
  { type: 'adam', learningRate: 0.01 },
  { type: 'adam', learningRate: 0.05, beta1: 0.5, beta2: 0.9, epsilon: 0.1, weightDecay: 0.2 },
  { type: 'adam', learningRate: 0.01, beta1: 0, beta2: 0, epsilon: 1e-3 },
  { type: 'adamw', learningRate: 0.01 },
  { type: 'adamw', learningRate: 0.05, beta1: 0.8, beta2: 0.99, epsilon: 1e-4, weightDecay: 0.5 },
];

for (const [name, specs] of [['SGD', SGD_SPECS], ['Adam and AdamW', ADAM_SPECS]]) {
  test(`${name} match the PyTorch reference over ${STEPS} steps at every size`, () => {
    for (const spec of specs) {
      for (const n of SIZES) {
        const r = run(spec, n, [[0, n]]);
        checkRun(r, `${JSON.stringify(spec)} n=${n}`);
        assert.equal(r.opt.iterations, STEPS);
        r.opt.dispose();
        r.block.dispose();
      }
    }
  });
}

test('the adam and sgd kernels write the new state to another buffer with the bits of the update in place, and leave the state they read as it was', () => {
  const k = runtime('test').kernels;
  const { allocator } = runtime('test');
  for (const n of [1, 3, 4, 5, 7, 8, 33]) {
    const bytes = n * 4;
    const at = (values) => { const ptr = allocator.alloc(bytes); heapF32().set(values, ptr >>> 2); return ptr; };
    const read = (ptr) => Array.from(heapF32().subarray(ptr >>> 2, (ptr >>> 2) + n));
    const p0 = seededValues(n, 1), g0 = seededValues(n, 2), m0 = seededValues(n, 3).map((x) => x * 0.1), v0 = seededValues(n, 4).map((x) => x * x);
    const cases = [
      ['adam', (p, g, s, out) => k.adam(n, p, g, s[0], s[1], out[0], out[1], 0.01, 0.9, 0.999, 1e-8, 0.01, 0, 0.19, 0.002, 1, Infinity), 2],
      ['adamw', (p, g, s, out) => k.adam(n, p, g, s[0], s[1], out[0], out[1], 0.01, 0.9, 0.999, 1e-8, 0.01, 1, 0.19, 0.002, 0.5, 0.3), 2],
      ['sgd momentum', (p, g, s, out) => k.sgd(n, p, g, s[0], out[0], 0.1, 0.9, 0.01, 0, 1, Infinity), 1],
      ['sgd nesterov', (p, g, s, out) => k.sgd(n, p, g, s[0], out[0], 0.1, 0.9, 0, 1, 2, 0.5), 1],
    ];
    for (const [name, update, slots] of cases) {
      const state = [m0, v0].slice(0, slots);
      // In place.
      const pA = at(p0), gA = at(g0), sA = state.map(at);
      update(pA, gA, sA, sA);
      // Into other buffers.
      const pB = at(p0), gB = at(g0), sB = state.map(at), oB = state.map(() => at(new Float32Array(n).fill(NaN)));
      update(pB, gB, sB, oB);
      const label = `${name}, n = ${n}`;
      assert.deepEqual(read(pB), read(pA), `${label}: parameters`);
      oB.forEach((o, i) => assert.deepEqual(read(o), read(sA[i]), `${label}: state slot ${i}`));
      sB.forEach((sl, i) => assert.deepEqual(read(sl), Array.from(Float32Array.from(state[i])), `${label}: the state read is unchanged`));
      assert.notDeepEqual(read(pA), Array.from(Float32Array.from(p0)), `${label}: the update moved the parameters`);
      for (const ptr of [pA, gA, ...sA, pB, gB, ...sB, ...oB]) allocator.free(ptr);
    }
  }
});

test('step({ learningRate }) overrides the spec\'s rate for that step only', () => {
  const lrs = [0.1, undefined, 0.3, 0, undefined, 0.02];
  for (const spec of [SGD_SPECS[4], ADAM_SPECS[1], ADAM_SPECS[4]]) {
    for (const n of [5, 33]) {
      const r = run(spec, n, [[0, n]], { lrs });
      checkRun(r, `${spec.type} n=${n} scheduled`);
      r.opt.dispose();
      r.block.dispose();
    }
  }
});

test('frozen parameters are untouched and have no state; several trainable ranges in one block', () => {
  const size = 70;
  // Unaligned starts and odd lengths: every range has a SIMD body and a scalar tail.
  const trainable = [[1, 5], [9, 13], [30, 4], [41, 29]];
  const inRange = (i) => trainable.some(([o, n]) => i >= o && i < o + n);
  for (const spec of [SGD_SPECS[4], ADAM_SPECS[1], ADAM_SPECS[4]]) {
    const before = makeBlock(size, trainable, 77);
    const initial = before.params();
    before.dispose();
    const r = run(spec, size, trainable, { seed: 77 });
    checkRun(r, `${spec.type} ranges`);
    for (let i = 0; i < size; i++) {
      if (inRange(i)) {
        assert.notEqual(r.params[i], initial[i], `${spec.type}: trainable element ${i} was updated`);
        r.state.forEach((s) => assert.ok(!Number.isNaN(s[i]), `state for trainable element ${i}`));
      } else {
        assert.equal(Object.is(r.params[i], initial[i]), true, `${spec.type}: frozen element ${i} must keep its bits`);
        r.state.forEach((s) => assert.ok(Number.isNaN(s[i]), `frozen element ${i} has no state`));
      }
    }
    // One slot (SGD momentum) or two (Adam m, v) of Σ roundUp(length, 4) floats.
    const slots = spec.type === 'sgd' ? 1 : 2;
    assert.equal(r.opt.stateBytes, slots * (8 + 16 + 4 + 32) * 4);
    // The gradient block is read, never written, by the update.
    assert.deepEqual(r.grads, gradsAt(size, 77, STEPS));
    r.opt.dispose();
    r.block.dispose();
  }
});

test('SGD without momentum keeps no state; a block with no trainable range is left alone', () => {
  const b = makeBlock(10, [], 5);
  const initial = b.params();
  for (const spec of [SGD_SPECS[0], ADAM_SPECS[0]]) {
    const opt = createOptimizer(spec).attach(b.block);
    b.setGrads(gradsAt(10, 5, 1));
    opt.step();
    assert.equal(opt.stateBytes, 0);
    assert.deepEqual(b.params(), initial);
    opt.dispose();
  }
  b.dispose();
  const r = run(SGD_SPECS[1], 9, [[0, 9]]);
  assert.equal(r.opt.stateBytes, 0);
  assert.deepEqual(r.state, []);
  r.opt.dispose();
  r.block.dispose();
});

// ---- clipping ----

function normRef(g, trainable) {
  let s = 0;
  for (const [o, n] of trainable) for (let i = o; i < o + n; i++) s += g[i] * g[i];
  return Math.sqrt(s);
}

test('gradNorm is the L2 norm over the trainable ranges only', () => {
  for (const n of SIZES) {
    const trainable = n > 4 ? [[0, n - 4], [n - 3, 2]] : [[0, n]];
    const b = makeBlock(n, trainable, n);
    const g = gradsAt(n, n, 1);
    b.setGrads(g);
    // f64 accumulation of exact f32 squares: only the f64 sums round.
    assertClose([gradNorm(b.block)], [normRef(g, trainable)], { atol: 0, rtol: 1e-13, label: `gradNorm n=${n}` });
    b.dispose();
  }
});

test('clipGradNorm scales in place only above the limit and returns the pre-clip norm', () => {
  const size = 41, trainable = [[2, 17], [20, 19]];
  const b = makeBlock(size, trainable, 3);
  const g = gradsAt(size, 3, 1);
  const norm = normRef(g, trainable);
  // Below (and at) the limit: bit-identical gradients.
  for (const limit of [norm * 1.5, norm * 1.0001, norm]) {
    b.setGrads(g);
    assertClose([clipGradNorm(b.block, limit)], [norm], { atol: 0, rtol: 1e-13, label: 'norm below limit' });
    assert.deepEqual(b.grads(), g, `limit ${limit}: gradients unchanged`);
  }
  // Above: every trainable gradient times fround(maxNorm / norm), frozen ones untouched.
  const limit = norm / 4;
  b.setGrads(g);
  const returned = clipGradNorm(b.block, limit);
  assertClose([returned], [norm], { atol: 0, rtol: 1e-13, label: 'pre-clip norm' });
  const factor = Math.fround(limit / returned);
  const inRange = (i) => trainable.some(([o, n]) => i >= o && i < o + n);
  assert.deepEqual(b.grads(), g.map((x, i) => (inRange(i) ? Math.fround(x * factor) : x)));
  assertClose([gradNorm(b.block)], [limit], { atol: 0, rtol: 1e-6, label: 'norm after clipping' });
  b.dispose();
});

test('clipGradValue clamps the trainable gradients in place', () => {
  const size = 23, trainable = [[0, 10], [13, 9]];
  const b = makeBlock(size, trainable, 8);
  const g = gradsAt(size, 8, 1);
  b.setGrads(g);
  clipGradValue(b.block, 0.5);
  const inRange = (i) => trainable.some(([o, n]) => i >= o && i < o + n);
  assert.deepEqual(b.grads(), g.map((x, i) => (inRange(i) ? Math.min(Math.max(x, -0.5), 0.5) : x)));
  b.dispose();
});

test('globalClipNorm and clipValue in the optimizer match the reference and the clip functions', () => {
  for (const base of [SGD_SPECS[4], ADAM_SPECS[1], ADAM_SPECS[4]]) {
    for (const n of [1, 7, 33, 1000]) {
      // globalClipNorm below every step's norm (so it always clips): reference with the gradient scaled.
      const typical = Math.sqrt(n * 4 / 3); // E‖g‖ for g uniform in [-2, 2)
      const maxNorm = typical / 3;
      const spec = { ...base, globalClipNorm: maxNorm };
      const b = makeBlock(n, [[0, n]], n);
      const opt = createOptimizer(spec).attach(b.block);
      const p = Float64Array.from(b.params());
      const st = {};
      for (let t = 1; t <= STEPS; t++) {
        const g = gradsAt(n, n, t);
        b.setGrads(g);
        opt.step();
        const norm = normRef(g, [[0, n]]);
        assertClose([opt.lastGradNorm], [norm], { atol: 0, rtol: 1e-13, label: 'lastGradNorm' });
        const s = norm > maxNorm ? maxNorm / norm : 1;
        refFor(spec)(st, p, g, spec, spec.learningRate, t, (x) => x * s);
        assert.deepEqual(b.grads(), g, 'the fused clip leaves the gradient block alone');
      }
      assertClose(b.params(), p, { ...PARAM_TOL, label: `${spec.type} globalClipNorm n=${n}` });
      opt.dispose();
      b.dispose();

      // clipValue: reference with the gradient clamped.
      const rv = run({ ...base, clipValue: 0.3 }, n, [[0, n]], { pre: (x) => Math.min(Math.max(x, -0.3), 0.3) });
      checkRun(rv, `${base.type} clipValue n=${n}`);
      assert.ok(Number.isNaN(rv.opt.lastGradNorm), 'no norm is computed without globalClipNorm');
      rv.opt.dispose();
      rv.block.dispose();
    }
  }
});

test('fused clipping gives the same bits as clipping the gradient block, then stepping', () => {
  const n = 37;
  for (const [option, clipFn] of [
    [{ globalClipNorm: 1 }, (block) => clipGradNorm(block, 1)],
    [{ clipValue: 0.25 }, (block) => clipGradValue(block, 0.25)],
  ]) {
    const spec = { ...ADAM_SPECS[1], ...option };
    const fused = makeBlock(n, [[0, n]], 9), split = makeBlock(n, [[0, n]], 9);
    const o1 = createOptimizer(spec).attach(fused.block);
    const o2 = createOptimizer(ADAM_SPECS[1]).attach(split.block);
    for (let t = 1; t <= STEPS; t++) {
      fused.setGrads(gradsAt(n, 9, t));
      split.setGrads(gradsAt(n, 9, t));
      o1.step();
      clipFn(split.block);
      o2.step();
    }
    assert.deepEqual(fused.params(), split.params(), JSON.stringify(option));
    for (const x of [o1, o2, fused, split]) x.dispose();
  }
});

// ---- determinism ----

/** FNV-1a over the bits of a Float32Array. */
function hashBits(f32) {
  let h = 0x811c9dc5;
  for (const word of new Uint32Array(f32.buffer, f32.byteOffset, f32.length)) {
    for (let s = 0; s < 32; s += 8) h = Math.imul(h ^ ((word >>> s) & 0xff), 0x01000193) >>> 0;
  }
  return h;
}

test('updates are deterministic: same inputs, same bits (pinned across engines)', () => {
  const hashes = {};
  for (const spec of [SGD_SPECS[4], { ...ADAM_SPECS[1], globalClipNorm: 5 }, ADAM_SPECS[4]]) {
    const runs = [0, 1].map(() => {
      const r = run(spec, 1000, [[0, 1000]], { lrs: [0.1, 0.05, 0.02, 0.01, 0.005, 0.001] });
      const out = [r.params, ...r.state].map(hashBits);
      r.opt.dispose();
      r.block.dispose();
      return out;
    });
    assert.deepEqual(runs[0], runs[1], spec.type);
    hashes[spec.type] = runs[0];
  }
  // The same bits in V8 (Node, Deno), JavaScriptCore (Bun) and every other engine:
  // these were recorded once; a change means the kernels' arithmetic changed.
  assert.deepEqual(hashes, PINNED_HASHES);
});

const PINNED_HASHES = {
  sgd: [392646375, 753747200],
  adam: [3632043425, 698447511, 177350037],
  adamw: [3737799115, 692668252, 3069469527],
};

test('no WASM allocation per step; dispose frees the state', () => {
  const alloc = runtime('test').allocator;
  const b = makeBlock(100, [[0, 50], [60, 40]], 2);
  const before = alloc.bytesInUse;
  const opt = createOptimizer(ADAM_SPECS[0]).attach(b.block);
  const attached = alloc.bytesInUse;
  assert.equal(attached - before, opt.stateBytes);
  for (let t = 1; t <= 3; t++) { b.setGrads(gradsAt(100, 2, t)); opt.step({ learningRate: 0.001 }); }
  assert.equal(alloc.bytesInUse, attached);
  opt.dispose();
  opt.dispose();
  assert.equal(alloc.bytesInUse, before);
  assert.equal(opt.stateBytes, 0);
  b.dispose();
});

// ---- lifecycle and bad input ----

const argError = (fn, pattern) => expectError(fn, ArgumentError, 'E_ARGUMENT', pattern);

test('bad optimizer specs give ArgumentError naming the option', () => {
  argError(() => createOptimizer({ type: 'rmsprop', learningRate: 0.1 }), /unknown optimizer type "rmsprop" \(known: sgd, adam, adamw\)/);
  argError(() => createOptimizer({ learningRate: 0.1 }), /unknown optimizer type undefined \(known: sgd, adam, adamw\)/);
  argError(() => createOptimizer('adam'), /spec must be an object/);
  argError(() => createOptimizer(null), /spec must be an object/);
  for (const type of ['sgd', 'adam', 'adamw']) {
    argError(() => createOptimizer({ type }), new RegExp(`createOptimizer\\(${type}\\): learningRate is required`));
    for (const lr of [-0.1, NaN, Infinity, -Infinity, '0.1', null]) {
      argError(() => createOptimizer({ type, learningRate: lr }), /learningRate must be a finite number ≥ 0/);
    }
    argError(() => createOptimizer({ type, learningRate: 0.1, lr: 0.1 }), /unknown option "lr" \(known: type, learningRate, /);
    argError(() => createOptimizer({ type, learningRate: 0.1, weightDecay: -1 }), /weightDecay must be a finite number ≥ 0, got -1/);
    argError(() => createOptimizer({ type, learningRate: 0.1, weightDecay: NaN }), /weightDecay must be a finite number ≥ 0, got NaN/);
    argError(() => createOptimizer({ type, learningRate: 0.1, clipNorm: 1 }), /clipNorm .*per-variable.* use globalClipNorm/);
    argError(() => createOptimizer({ type, learningRate: 0.1, globalClipNorm: 0 }), /globalClipNorm must be a finite number > 0, got 0/);
    argError(() => createOptimizer({ type, learningRate: 0.1, clipValue: -1 }), /clipValue must be a finite number > 0, got -1/);
    argError(() => createOptimizer({ type, learningRate: 0.1, clipValue: 1, globalClipNorm: 1 }), /at most one of globalClipNorm and clipValue/);
  }
  argError(() => createOptimizer({ type: 'sgd', learningRate: 0.1, beta1: 0.9 }), /unknown option "beta1"/);
  argError(() => createOptimizer({ type: 'adam', learningRate: 0.1, momentum: 0.9 }), /unknown option "momentum"/);
  for (const momentum of [-0.1, 1.5, NaN, '0.9']) {
    argError(() => createOptimizer({ type: 'sgd', learningRate: 0.1, momentum }), /momentum must be/);
  }
  argError(() => createOptimizer({ type: 'sgd', learningRate: 0.1, nesterov: true }), /nesterov needs momentum > 0/);
  argError(() => createOptimizer({ type: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: 1 }), /nesterov must be true or false/);
  for (const name of ['beta1', 'beta2']) {
    for (const beta of [1, -0.1, 1.5, NaN, Infinity, '0.9']) {
      argError(() => createOptimizer({ type: 'adam', learningRate: 0.1, [name]: beta }), new RegExp(`${name} must be in \\[0, 1\\)`));
    }
  }
  argError(() => createOptimizer({ type: 'adamw', learningRate: 0.1, epsilon: -1e-8 }), /epsilon must be a finite number ≥ 0/);
  // The defaults, filled in.
  assert.deepEqual({ ...createOptimizer({ type: 'adamw', learningRate: 0.001 }).config },
    { type: 'adamw', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 });
  assert.deepEqual({ ...createOptimizer({ type: 'adam', learningRate: 0.001 }).config },
    { type: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  assert.deepEqual({ ...createOptimizer({ type: 'sgd', learningRate: 0.01, clipValue: 1 }).config },
    { type: 'sgd', learningRate: 0.01, momentum: 0, nesterov: false, weightDecay: 0, clipValue: 1 });
});

test('bad blocks give ShapeError or ArgumentError saying what is wrong', () => {
  const b = makeBlock(20, [[0, 20]], 1);
  const attach = (block) => createOptimizer(ADAM_SPECS[0]).attach(block);
  const good = b.block;
  expectError(() => attach({ ...good, trainable: [[10, 5], [0, 5]] }), ShapeError, 'E_SHAPE', /trainable\[1\] = \[0, 5\] starts before the end of the previous range \(15\)/);
  expectError(() => attach({ ...good, trainable: [[0, 10], [5, 10]] }), ShapeError, 'E_SHAPE', /sorted and non-overlapping/);
  expectError(() => attach({ ...good, trainable: [[15, 6]] }), ShapeError, 'E_SHAPE', /\[15, 6\] ends beyond block.size \(20\)/);
  expectError(() => attach({ ...good, size: 0 }), ShapeError, 'E_SHAPE', /block.size must be a positive integer/);
  argError(() => attach({ ...good, trainable: [[0, 0]] }), /trainable\[0\] must be \[offset, length\]/);
  argError(() => attach({ ...good, trainable: [[-1, 3]] }), /trainable\[0\] must be \[offset, length\]/);
  argError(() => attach({ ...good, trainable: [[0.5, 3]] }), /trainable\[0\] must be \[offset, length\]/);
  argError(() => attach({ ...good, trainable: [0, 3] }), /trainable\[0\] must be \[offset, length\]/);
  argError(() => attach({ ...good, trainable: undefined }), /trainable must be an array/);
  argError(() => attach({ ...good, params: good.params + 2 }), /block.params must be a positive multiple of 4/);
  argError(() => attach({ ...good, grads: 0 }), /block.grads must be a positive multiple of 4/);
  argError(() => attach({ ...good, grads: runtime('test').memory.buffer.byteLength - 40 }), /ends beyond WASM memory/);
  argError(() => attach({ ...good, grads: good.params + 40 }), /params and block.grads overlap/);
  argError(() => attach(null), /block must be a ParameterBlock/);
  argError(() => gradNorm({ ...good, trainable: [[0, 0]] }), /^gradNorm: block.trainable\[0\]/);
  argError(() => clipGradNorm(good, 0), /clipGradNorm: maxNorm must be a finite number > 0, got 0/);
  argError(() => clipGradNorm(good, NaN), /maxNorm must be a finite number > 0/);
  argError(() => clipGradValue(good, -1), /clipGradValue: limit must be a finite number > 0, got -1/);
  b.dispose();
});

test('optimizer lifecycle: attach once, step after attach, nothing after dispose', () => {
  const b = makeBlock(8, [[0, 8]], 4);
  const opt = createOptimizer(ADAM_SPECS[0]);
  assert.equal(opt.stateBytes, 0);
  argError(() => opt.step(), /adam.step: no parameter block attached; call attach\(block\) first/);
  assert.equal(opt.attach(b.block), opt);
  argError(() => opt.attach(b.block), /already attached/);
  argError(() => opt.step({ learningRate: -1 }), /learningRate must be a finite number ≥ 0, got -1/);
  argError(() => opt.step({ learningRate: NaN }), /learningRate must be a finite number ≥ 0, got NaN/);
  argError(() => opt.step({ lr: 0.1 }), /unknown option "lr" \(known: learningRate\)/);
  argError(() => opt.step(0.1), /options must be an object/);
  assert.equal(opt.iterations, 0, 'rejected steps do not count');
  opt.step();
  assert.equal(opt.iterations, 1);
  opt.dispose();
  expectError(() => opt.step(), DisposedError, 'E_DISPOSED', /an Adam optimizer was used after dispose\(\)/);
  expectError(() => opt.attach(b.block), DisposedError, 'E_DISPOSED');
  const sgd = createOptimizer(SGD_SPECS[2]);
  sgd.dispose();
  expectError(() => sgd.step(), DisposedError, 'E_DISPOSED', /an SGD optimizer/);
  b.dispose();
});

// ---- the block's life and its trainable ranges, read at every step ----

test('a step after the block\'s memory was freed (network.dispose()) throws DisposedError and writes nothing', () => {
  for (const spec of [SGD_SPECS[0], SGD_SPECS[2], ADAM_SPECS[0]]) {
    const net = new Network([new Dense(4)], { inputSize: 4, seed: 1 });
    const opt = createOptimizer(spec).attach(net.parameters);
    heapF32().fill(1, net.parameters.grads >>> 2, (net.parameters.grads >>> 2) + net.parameters.size);
    opt.step();
    net.dispose();
    // The matrices made next take the network's memory back.
    const mats = Array.from({ length: 4 }, () => Matrix.from(new Float32Array(24).fill(7), 6, 4));
    const before = mats.map((m) => m.toFloat32Array());
    expectError(() => opt.step(), DisposedError, 'E_DISPOSED', new RegExp(`^${spec.type}\\.step: the parameter block this optimizer is attached to was used after dispose\\(\\)`));
    expectError(() => applyUpdate(opt, 0.1), DisposedError, 'E_DISPOSED', /the parameter block this optimizer is attached to/);
    assert.deepEqual(mats.map((m) => m.toFloat32Array()), before, `${spec.type}: nothing was written into the matrices`);
    assert.equal(opt.iterations, 1);
    for (const m of mats) m.dispose();
    opt.dispose();
  }
  // A block of one's own: its gradient matrix disposed and its memory handed to another.
  const b = makeBlock(12, [[0, 12]], 3);
  const opt = createOptimizer(ADAM_SPECS[0]).attach(b.block);
  b.setGrads(gradsAt(12, 3, 1));
  opt.step();
  b.dispose();
  const other = Matrix.from(new Float32Array(12).fill(5), 1, 12);
  expectError(() => opt.step(), DisposedError, 'E_DISPOSED', /adam\.step: the parameter block/);
  assert.deepEqual(other.toFloat32Array(), new Float32Array(12).fill(5));
  other.dispose();
  opt.dispose();
});

test('a block must lie in live memory the library handed out: attach refuses one that does not', () => {
  const b = makeBlock(20, [[0, 20]], 1);
  const attach = (block) => createOptimizer(ADAM_SPECS[0]).attach(block);
  // 20 floats from 96 bytes into a 160-byte matrix: past its end.
  const other = Matrix.zeros(1, 40);
  argError(() => attach({ ...b.block, params: other.ptr + 96 }), /adam\.attach: block\.params \(\d+\) \+ 20 floats is not inside one live block of WASM memory/);
  const fits = attach({ ...b.block, params: other.ptr + 80 });
  assert.equal(fits.stateBytes, 2 * 20 * 4, 'its last 20 floats are a block');
  fits.dispose();
  other.dispose();
  const gone = Matrix.zeros(1, 20);
  const freed = gone.ptr;
  gone.dispose();
  argError(() => attach({ ...b.block, grads: freed }), /block\.grads \(\d+\) \+ 20 floats is not inside one live block/);
  argError(() => gradNorm({ ...b.block, grads: freed }), /^gradNorm: block\.grads/);
  b.dispose();
});

/**
 * Steps of an optimizer attached to a block of three tensors whose trainable ranges
 * change between steps, against the reference run per tensor: PyTorch skips a tensor
 * without a gradient (its state and its own step count stay), and starts a tensor's
 * state at its first step.
 */
function runWithFreezes(spec, tensors, schedule) {
  const size = tensors.reduce((n, [, len]) => n + len, 0);
  const b = makeBlock(size, schedule[0], 11);
  const opt = createOptimizer(spec).attach(b.block);
  const p = Float64Array.from(b.params());
  const refs = tensors.map(() => ({ state: {}, t: 0 }));
  const initial = b.params();
  const history = [];
  for (let s = 0; s < schedule.length; s++) {
    const g = gradsAt(size, 11, s + 1);
    b.setGrads(g);
    b.block.trainable = schedule[s];
    const before = b.params();
    opt.step();
    const after = b.params();
    tensors.forEach(([off, len], k) => {
      const on = schedule[s].some(([o, n]) => off >= o && off + len <= o + n);
      if (!on) {
        for (let i = off; i < off + len; i++) assert.ok(Object.is(after[i], before[i]), `${spec.type} step ${s + 1}: frozen element ${i} keeps its bits`);
        return;
      }
      const ref = refs[k];
      ref.t++;
      const pt = p.subarray(off, off + len);
      refFor(spec)(ref.state, pt, g.subarray(off, off + len), spec, spec.learningRate, ref.t);
    });
    history.push(opt.readState());
  }
  return { b, opt, p, refs, initial, history };
}

test('freeze and unfreeze after attach: frozen tensors stop changing and keep their state; the others follow PyTorch per tensor', () => {
  // Three tensors of odd lengths (not on 4-float boundaries): spans split inside a state's v128s.
  const tensors = [[0, 5], [5, 11], [16, 11]];
  const A = [0, 5], B = [5, 11], C = [16, 11];
  const schedule = [
    [[0, 16]], [[0, 16]], // A and B; C frozen from the start
    [B], [B], // A frozen: it stops, its state stays
    [[0, 27]], [[0, 27]], // A back (its own 3rd and 4th steps), C for the first time (a fresh state)
    [A, C], // B frozen, the others go on
  ];
  for (const spec of [SGD_SPECS[3], SGD_SPECS[4], ADAM_SPECS[1], ADAM_SPECS[3], ADAM_SPECS[4]]) {
    const label = JSON.stringify(spec);
    const { b, opt, p, refs, initial, history } = runWithFreezes(spec, tensors, schedule);
    assertClose(b.params(), p, { ...PARAM_TOL, label: `${label} params` });
    assert.equal(opt.iterations, schedule.length);
    // C had no state before its first step; A's state did not move while A was frozen.
    for (const slot of history[3]) for (let i = 16; i < 27; i++) assert.ok(Number.isNaN(slot[i]), `${label}: C has no state before it is trained`);
    history[3].forEach((slot, k) => assert.deepEqual(slot.subarray(0, 5), history[1][k].subarray(0, 5), `${label}: A's state slot ${k} kept while frozen`));
    assert.notDeepEqual(b.params().subarray(16, 27), initial.subarray(16, 27), `${label}: C trained once unfrozen`);
    // The state at the end, tensor by tensor, against the reference's.
    const state = opt.readState();
    tensors.forEach(([off, len], k) => {
      const ref = refs[k].state;
      (ref.slots ?? []).forEach((slot, j) => assertClose(state[j].subarray(off, off + len), slot, { ...STATE_TOL, scale: ref.scales[j], label: `${label} tensor ${k} state slot ${j}` }));
    });
    opt.dispose();
    b.dispose();
  }
});

test('freezing a Network\'s layer after attach: opt.step() leaves its weights and its Adam moments alone, unfreezing resumes them', () => {
  const net = new Network([new Dense(3, { activation: 'tanh' }), new Dense(1)], { inputSize: 2, seed: 1 });
  const opt = createOptimizer({ type: 'adam', learningRate: 0.1 }).attach(net.parameters);
  const x = Matrix.from([[1, 2], [3, -1]]);
  const dy = Matrix.from([[1], [-2]]);
  const step = () => { net.forward(x, { training: true }).dispose(); net.backward(dy).dispose(); opt.step(); };
  const w0 = net.parameters.list().find((t) => t.name === '0.weight');
  const moments = () => opt.readState().map((s) => s.slice(w0.offset, w0.offset + w0.size));
  step();
  net.parameters.freeze('0');
  const [frozenW, frozenM] = [net.parameters.get('0.weight'), moments()];
  const head = net.parameters.get('1.weight');
  step();
  step();
  assert.deepEqual(net.parameters.get('0.weight'), frozenW, 'a frozen weight does not change');
  assert.deepEqual(moments(), frozenM, 'nor do its moments');
  assert.notDeepEqual(net.parameters.get('1.weight'), head, 'the rest trains');
  net.parameters.unfreeze('0');
  step();
  assert.notDeepEqual(net.parameters.get('0.weight'), frozenW, 'unfrozen, it trains again');
  for (const m of [x, dy]) m.dispose();
  opt.dispose(); net.dispose();
});
