// Loss kernels against the f64 references of tests/helpers/loss-reference.js:
// values, gradients against central differences of the reference (with masks,
// sample and class weights, temperature, label smoothing, gradScale, both
// reductions, at shapes across the SIMD widths), stability at extreme logits,
// masking semantics, and the typed errors for bad input.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  init, Matrix, ShapeError, ArgumentError, createLoss, lossAndGradient, validateLossInputs,
} from '../../dist/index.js';
import { runtime, heapF32 } from '../../dist/internal.js';
import { assertClose, hashBits, seededValues } from '../helpers/reference.js';
import { lossRef, isIndexLoss } from '../helpers/loss-reference.js';
import { checkOp } from '../helpers/check-op.js';
import { expectError } from '../helpers/errors.js';

before(async () => { await init(); });

const ROWS = [1, 2, 3, 5, 17];
const COLS = [1, 2, 3, 4, 5, 7, 8, 9];

// Every loss, with its parameters at defaults and away from them.
const SPECS = [
  { type: 'bce' },
  { type: 'softmaxCrossEntropy' },
  { type: 'softmaxCrossEntropy', temperature: 2.5, labelSmoothing: 0.1 },
  { type: 'softmaxCrossEntropy', temperature: 0.5, labelSmoothing: 0.3 },
  { type: 'softCrossEntropy' },
  { type: 'softCrossEntropy', temperature: 2.5 },
  { type: 'softCrossEntropy', temperature: 0.5, output: 'sigmoid' },
  { type: 'focal' },
  { type: 'focal', gamma: 0, alpha: 0.5 },
  { type: 'focal', gamma: 0.5, alpha: 0.8 },
  { type: 'multiclassFocal' },
  { type: 'multiclassFocal', gamma: 0 },
  { type: 'multiclassFocal', gamma: 0.5 },
  { type: 'softDice' },
  { type: 'softDice', smooth: 0.1 },
  { type: 'mse' },
  { type: 'huber' },
  { type: 'huber', delta: 0.3 },
];

const UNIT_TARGETS = new Set(['bce', 'focal', 'softDice', 'softCrossEntropy']);
const CLASS_WEIGHTED = new Set(['bce', 'focal', 'softmaxCrossEntropy', 'multiclassFocal']);

// Loss values: both sides are f64 (different libms and algebra): measured within
// a few ulps; this allows thousands, far below any wrong term.
const LOSS_TOL = { atol: 1e-14, rtol: 1e-12 };

function name(spec) {
  return JSON.stringify(spec);
}

/**
 * A batch for `spec`: f32 logits (×3, so saturated and linear regions both
 * occur), targets of the right kind (hard and soft for [0, 1] targets), and on
 * request a mask (rows 1, 4, 7… unlabeled, with garbage targets and weights there),
 * sample weights (one of them 0), class weights, gradScale and reduction.
 */
function makeCase(spec, rows, cols, seed, { masked = false, weighted = false, classWeighted = false, gradScale = 1, reduction = 'mean', logits } = {}) {
  logits ??= Float32Array.from(seededValues(rows * cols, seed), (v) => 3 * v);
  const u = seededValues(rows * cols, seed + 1).map((v) => (v + 1) / 2); // [0, 1)
  const mask = masked && rows > 1 ? Array.from({ length: rows }, (_, i) => i % 3 !== 1) : undefined;
  const labeled = (i) => !mask || mask[i];
  let targets;
  if (isIndexLoss(spec.type)) {
    targets = Array.from({ length: rows }, (_, i) => (labeled(i) ? Math.floor(u[i * cols] * cols) : [NaN, -1, 99][i % 3]));
  } else if (UNIT_TARGETS.has(spec.type)) {
    // A third hard 0, a third hard 1, a third soft.
    targets = Float32Array.from(u, (v, k) => (k % 3 === 0 ? 0 : k % 3 === 1 ? 1 : v));
  } else {
    targets = Float32Array.from(seededValues(rows * cols, seed + 2));
    if (spec.type === 'huber') {
      // Keep |z − y| away from δ, where the second derivative jumps and central differences err by O(h).
      const delta = spec.delta ?? 1;
      for (let k = 0; k < targets.length; k++) {
        if (Math.abs(Math.abs(logits[k] - targets[k]) - delta) < 1e-2) targets[k] = Math.fround(targets[k] + 0.05);
      }
    }
  }
  if (mask && !isIndexLoss(spec.type)) {
    for (let i = 0; i < rows; i++) if (!mask[i]) targets.fill(NaN, i * cols, (i + 1) * cols);
  }
  const sampleWeights = weighted
    ? Float32Array.from(seededValues(rows, seed + 3), (v, i) => (i === 2 ? 0 : labeled(i) ? 1 + v : NaN))
    : undefined;
  let classWeights;
  if (classWeighted && CLASS_WEIGHTED.has(spec.type)) {
    classWeights = isIndexLoss(spec.type)
      ? Float32Array.from(seededValues(cols, seed + 4), (v) => 1.1 + v)
      : Float32Array.from([0.7, 1.8]);
  }
  return { spec, rows, cols, logits, targets, mask, sampleWeights, classWeights, gradScale, reduction };
}

function runCase(c) {
  const logits = Matrix.from(c.logits, c.rows, c.cols);
  const options = { reduction: c.reduction, gradScale: c.gradScale };
  if (c.mask) options.mask = c.mask;
  if (c.sampleWeights) options.sampleWeights = c.sampleWeights;
  if (c.classWeights) options.classWeights = c.classWeights;
  const { loss, grad } = lossAndGradient(c.spec, logits, c.targets, options);
  const g = grad.toFloat32Array();
  logits.dispose();
  grad.dispose();
  return { loss, grad: g };
}

function reference(c, logits = c.logits) {
  return lossRef(c.spec, { ...c, logits });
}

/**
 * The kernel's loss against the reference, and its gradient against
 * gradScale × central differences of the reference. The gradient tolerance is
 * f32 rounding and the O(h²) truncation (relative to the largest gradient
 * entry), plus the rounding of the differences themselves (≈ ε·|loss|/h).
 */
function checkCase(c, label, { saturated = false } = {}) {
  const got = runCase(c);
  // A softmax over one column is 1 whatever the logit; a batch whose every row is masked (or weighs 0) has no
  // gradient; nor have logits far out in a sigmoid's tails.
  const mayBeZero = saturated || ((isIndexLoss(c.spec.type) || (c.spec.type === 'softCrossEntropy' && c.spec.output !== 'sigmoid')) && c.cols === 1) || (c.mask !== undefined && !Array.from(c.mask).some(Boolean))
    || (c.sampleWeights !== undefined && !Array.from(c.sampleWeights).some((w) => w > 0));
  checkOp({
    label, output: [got.loss], expected: [reference(c)], forward: LOSS_TOL,
    // L = gradScale · loss: the kernel's gradient is gradScale · ∂loss/∂z.
    r: [c.gradScale], h: 1e-4,
    gradients: [{ name: 'logits', actual: got.grad, theta: c.logits, reference: (z) => [reference(c, z)] }],
    // Measured: under 1/15 of this bound at every shape and loss.
    gradient: ({ numeric, fMax, h }) => ({ atol: 5e-7 * Math.max(...Array.from(numeric, Math.abs)) + 8 * 2 ** -52 * fMax / h + 1e-30, rtol: 2e-6 }),
    mayBeZero: mayBeZero ? ['logits'] : [],
  });
  for (let k = 0; k < got.grad.length; k++) assert.ok(Number.isFinite(got.grad[k]), `${label}: gradient ${k} is ${got.grad[k]}`);
  return got;
}

test('every loss, plain, at every shape: value and finite-difference gradient', () => {
  for (const spec of SPECS) {
    for (const rows of ROWS) {
      for (const cols of COLS) {
        const c = makeCase(spec, rows, cols, 100 * rows + cols);
        checkCase(c, `${name(spec)} ${rows}×${cols} plain`);
      }
    }
  }
});

test('every loss with mask, sample weights, class weights and gradScale ≠ 1, both reductions, at every shape', () => {
  for (const spec of SPECS) {
    for (const rows of ROWS) {
      for (const cols of COLS) {
        for (const reduction of ['mean', 'sum']) {
          const c = makeCase(spec, rows, cols, 7 * rows + 13 * cols, {
            masked: true, weighted: true, classWeighted: true, gradScale: -1.7, reduction,
          });
          checkCase(c, `${name(spec)} ${rows}×${cols} masked+weighted ${reduction}`);
        }
      }
    }
  }
});

test('each option alone changes the result the way the reference says', () => {
  const variants = [
    { masked: true }, { weighted: true }, { classWeighted: true }, { gradScale: 0.25 }, { reduction: 'sum' },
  ];
  for (const spec of SPECS) {
    for (const v of variants) {
      const c = makeCase(spec, 5, 7, 31, v);
      checkCase(c, `${name(spec)} 5×7 ${JSON.stringify(v)}`);
    }
  }
});

test('stability: logits of ±80 and ±1e4 give a finite loss and the reference\'s gradient', () => {
  const extremes = [80, -80, 1e4, -1e4, 0.5, -3, 1e4, -1e4, 80];
  for (const spec of SPECS) {
    for (const cols of [1, 2, 5, 9]) {
      const rows = 4;
      const logits = new Float32Array(rows * cols);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) logits[i * cols + j] = extremes[(i * 3 + j * 2) % extremes.length];
      }
      for (const options of [{}, { weighted: true, classWeighted: true, gradScale: 3, reduction: 'sum' }]) {
        const c = makeCase(spec, rows, cols, 5 + cols, { ...options, logits });
        if (isIndexLoss(spec.type)) {
          // Labels on the largest logit, the smallest, and in between.
          c.targets = Array.from({ length: rows }, (_, i) => (i * 2) % cols);
        }
        const got = checkCase(c, `${name(spec)} ${rows}×${cols} extreme logits ${JSON.stringify(options)}`, { saturated: true });
        assert.ok(Number.isFinite(got.loss), `${name(spec)}: loss ${got.loss}`);
      }
    }
  }
});

test('stability: exact values far out in the tails', () => {
  // bce at z = ∓1e4 against the label costs 1e4 per element, gradient ±1/cols.
  let r = runCase({ spec: { type: 'bce' }, rows: 1, cols: 2, logits: new Float32Array([-1e4, 1e4]), targets: [1, 0], reduction: 'mean', gradScale: 1 });
  assert.equal(r.loss, 1e4);
  assert.deepEqual(Array.from(r.grad), [-0.5, 0.5]);
  // …and nothing when it agrees, with a gradient that vanishes without NaN.
  r = runCase({ spec: { type: 'bce' }, rows: 1, cols: 2, logits: new Float32Array([1e4, -1e4]), targets: [1, 0], reduction: 'mean', gradScale: 1 });
  assert.equal(r.loss, 0);
  assert.deepEqual(Array.from(r.grad), [0, 0]);
  // softmax: the wrong class by 1e4 costs 1e4, gradient p − onehot = [1, −1].
  r = runCase({ spec: { type: 'softmaxCrossEntropy' }, rows: 1, cols: 2, logits: new Float32Array([1e4, -1e4]), targets: [1], reduction: 'mean', gradScale: 1 });
  assert.equal(r.loss, 2e4);
  assert.deepEqual(Array.from(r.grad), [1, -1]);
  // A confident, correct softmax row keeps its tiny loss (no cancellation to 0): log(1 + e^-30).
  r = runCase({ spec: { type: 'softmaxCrossEntropy' }, rows: 1, cols: 2, logits: new Float32Array([15, -15]), targets: [0], reduction: 'mean', gradScale: 1 });
  assertClose([r.loss], [Math.log1p(Math.exp(-30))], { atol: 0, rtol: 1e-14, label: 'tiny softmax loss' });
  // multiclass focal with γ = 2 on a confident correct row: (1 − p)²·(−log p) ≈ e^-90.
  r = runCase({ spec: { type: 'multiclassFocal', gamma: 2 }, rows: 1, cols: 2, logits: new Float32Array([15, -15]), targets: [0], reduction: 'mean', gradScale: 1 });
  const rr = -Math.expm1(-Math.log1p(Math.exp(-30)));
  assertClose([r.loss], [rr * rr * Math.log1p(Math.exp(-30))], { atol: 0, rtol: 1e-12, label: 'tiny focal loss' });
  // mse and huber at 1e4.
  r = runCase({ spec: { type: 'huber', delta: 2 }, rows: 1, cols: 1, logits: new Float32Array([1e4]), targets: [0], reduction: 'mean', gradScale: 1 });
  assert.equal(r.loss, 2 * (1e4 - 1));
  assert.deepEqual(Array.from(r.grad), [2]);
  r = runCase({ spec: { type: 'mse' }, rows: 1, cols: 1, logits: new Float32Array([-1e4]), targets: [0], reduction: 'mean', gradScale: 1 });
  assert.equal(r.loss, 1e8);
  assert.deepEqual(Array.from(r.grad), [-2e4]);
});

// ---- masking, at the pointer level (so unlabeled rows can hold NaN logits) ----

/** Copies a batch into WASM memory and returns the pointers and a way to run and read it back. */
function pointerBatch(c) {
  const { allocator, memory } = runtime('test');
  const { rows, cols } = c;
  const index = isIndexLoss(c.spec.type);
  const p = {
    logits: allocator.alloc(rows * cols * 4),
    targets: allocator.alloc(index ? rows * 4 : rows * cols * 4),
    mask: c.mask ? allocator.alloc(rows) : 0,
    sampleWeights: c.sampleWeights ? allocator.alloc(rows * 4) : 0,
    classWeights: c.classWeights ? allocator.alloc(c.classWeights.length * 4) : 0,
    grad: allocator.alloc(rows * cols * 4),
  };
  const write = () => {
    const heap = heapF32();
    heap.set(c.logits, p.logits >>> 2);
    // A non-finite label becomes 2^29: class weight 2^29 lies 2 GiB past the class weights, so reading it traps.
    if (index) new Int32Array(memory.buffer, p.targets, rows).set(c.targets.map((v) => (Number.isFinite(v) ? v : 0x20000000)));
    else heap.set(c.targets, p.targets >>> 2);
    if (c.mask) new Uint8Array(memory.buffer, p.mask, rows).set(c.mask.map((m) => (m ? 1 : 0)));
    if (c.sampleWeights) heap.set(c.sampleWeights, p.sampleWeights >>> 2);
    if (c.classWeights) heap.set(c.classWeights, p.classWeights >>> 2);
    heap.fill(NaN, p.grad >>> 2, (p.grad >>> 2) + rows * cols); // must be overwritten everywhere
  };
  const loss = createLoss(c.spec);
  const run = (overrides = {}) => {
    write();
    const args = {
      rows, cols, logits: p.logits, targets: p.targets, mask: p.mask, sampleWeights: p.sampleWeights,
      classWeights: p.classWeights, grad: p.grad, gradScale: c.gradScale, reduction: c.reduction, ...overrides,
    };
    const value = loss.compute(args);
    const at = args.grad >>> 2;
    return { loss: value, grad: heapF32().slice(at, at + rows * cols) };
  };
  const free = () => { for (const ptr of Object.values(p)) allocator.free(ptr); };
  return { run, free };
}

test('an unlabeled row is never read: NaN logits, targets and weights there change nothing, its gradient is 0', () => {
  for (const spec of SPECS) {
    for (const reduction of ['mean', 'sum']) {
      const base = makeCase(spec, 5, 5, 77, { masked: true, weighted: true, classWeighted: true, gradScale: 0.9, reduction });
      base.mask = [true, false, true, true, false];
      const unlabeled = [1, 4];
      const b1 = pointerBatch(base);
      const first = b1.run();
      b1.free();
      // Garbage in every unlabeled row: NaN and huge logits, NaN or out-of-range targets, NaN weights.
      const garbage = structuredClone(base);
      for (const i of unlabeled) {
        for (let j = 0; j < 5; j++) garbage.logits[i * 5 + j] = j % 2 ? NaN : 3e38;
        // Labels whose class weight would be read from far outside memory (a trap).
        if (isIndexLoss(spec.type)) garbage.targets[i] = i === 1 ? NaN : 0x30000000;
        else garbage.targets.fill(NaN, i * 5, i * 5 + 5);
        if (garbage.sampleWeights) garbage.sampleWeights[i] = NaN;
      }
      const b2 = pointerBatch(garbage);
      const second = b2.run();
      b2.free();
      const label = `${name(spec)} ${reduction}`;
      assert.ok(Object.is(second.loss, first.loss), `${label}: loss ${second.loss} vs ${first.loss}`);
      assert.deepEqual(second.grad, first.grad, `${label}: gradients differ`);
      for (const i of unlabeled) {
        for (let j = 0; j < 5; j++) assert.ok(Object.is(second.grad[i * 5 + j], 0), `${label}: grad[${i}][${j}] = ${second.grad[i * 5 + j]}`);
      }
      for (const v of first.grad) assert.ok(Number.isFinite(v), `${label}: gradient not written everywhere`);
      // And the value is the reference's, which skips those rows.
      assertClose([first.loss], [reference(base)], { ...LOSS_TOL, label: `${label}: loss` });
    }
  }
});

test('the mean divides by the number of labeled rows, not by the sum of weights, and matches the labeled sub-batch', () => {
  for (const spec of SPECS) {
    const rows = 6, cols = 5;
    const c = makeCase(spec, rows, cols, 91, { weighted: true, classWeighted: true, gradScale: 1.3 });
    c.mask = [true, false, true, false, false, true];
    c.sampleWeights = Float32Array.from([3, NaN, 0.5, NaN, NaN, 2.5]); // Σ = 6 ≠ 3 labeled rows
    const mean = runCase({ ...c, reduction: 'mean' });
    const sum = runCase({ ...c, reduction: 'sum' });
    const label = name(spec);
    assertClose([mean.loss * 3], [sum.loss], { atol: 1e-15, rtol: 1e-14, label: `${label}: mean·3 = sum` });
    assertClose(mean.grad.map((v) => 3 * v), sum.grad, { atol: 1e-12, rtol: 1e-6, label: `${label}: grad mean·3 = sum` });
    // The same rows on their own, unmasked: the same mean and, row for row, the same gradient bits.
    const keep = [0, 2, 5];
    const sub = {
      ...c, rows: 3, mask: undefined,
      logits: Float32Array.from(keep.flatMap((i) => Array.from(c.logits.subarray(i * cols, (i + 1) * cols)))),
      targets: isIndexLoss(spec.type)
        ? keep.map((i) => c.targets[i])
        : Float32Array.from(keep.flatMap((i) => Array.from(c.targets.subarray(i * cols, (i + 1) * cols)))),
      sampleWeights: Float32Array.from(keep.map((i) => c.sampleWeights[i])),
    };
    const alone = runCase({ ...sub, reduction: 'mean' });
    assert.ok(Object.is(alone.loss, mean.loss), `${label}: sub-batch mean ${alone.loss} vs masked mean ${mean.loss}`);
    keep.forEach((i, r) => {
      assert.deepEqual(alone.grad.subarray(r * cols, (r + 1) * cols), mean.grad.subarray(i * cols, (i + 1) * cols), `${label}: row ${i}`);
    });
  }
});

test('no labeled row: loss 0 and a zero gradient for both reductions, whatever the rows hold', () => {
  for (const spec of SPECS) {
    for (const reduction of ['mean', 'sum']) {
      const c = makeCase(spec, 3, 5, 12, { weighted: true, classWeighted: true, reduction, gradScale: 2 });
      c.mask = [false, false, false];
      c.logits.fill(NaN);
      if (isIndexLoss(spec.type)) c.targets = [NaN, -1, 1e9]; else c.targets.fill(NaN);
      c.sampleWeights.fill(NaN);
      const b = pointerBatch(c);
      const r = b.run();
      b.free();
      assert.ok(Object.is(r.loss, 0), `${name(spec)} ${reduction}: loss ${r.loss}`);
      assert.ok(r.grad.every((v) => Object.is(v, 0)), `${name(spec)} ${reduction}: gradient ${r.grad}`);
      // Through the validating API too (which must not look at the unlabeled rows either).
      const m = Matrix.from(new Float32Array(15), 3, 5);
      const api = lossAndGradient(spec, m, c.targets, { mask: [0, 0, 0], reduction });
      assert.equal(api.loss, 0);
      assert.ok(api.grad.toFloat32Array().every((v) => v === 0));
      m.dispose(); api.grad.dispose();
    }
  }
});

test('the gradient may overwrite the logits in place, with the same bits', () => {
  for (const spec of SPECS) {
    const c = makeCase(spec, 5, 9, 5, { masked: true, weighted: true, classWeighted: true, gradScale: -0.5 });
    const b = pointerBatch(c);
    const separate = b.run();
    const { allocator } = runtime('test');
    // Run again with grad = logits.
    const ptr = allocator.alloc(c.rows * c.cols * 4);
    heapF32().set(c.logits, ptr >>> 2);
    const inPlace = b.run({ logits: ptr, grad: ptr });
    allocator.free(ptr);
    b.free();
    assert.ok(Object.is(inPlace.loss, separate.loss), `${name(spec)}: loss`);
    assert.deepEqual(inPlace.grad, separate.grad, `${name(spec)}: gradient`);
  }
});

test('results are deterministic: same batch, same bits (pinned across engines)', () => {
  const hashes = {};
  for (const spec of SPECS) {
    const c = makeCase(spec, 17, 9, 3, { masked: true, weighted: true, classWeighted: true, gradScale: 0.3 });
    const a = runCase(c), b = runCase(c);
    assert.ok(Object.is(a.loss, b.loss));
    assert.deepEqual(a.grad, b.grad);
    hashes[name(spec)] = [hashBits(new Float64Array([a.loss])), hashBits(a.grad)];
  }
  // The kernels' libm is inside the module, so V8 (Node, Deno) and JavaScriptCore
  // (Bun) give the same bits. Recorded once: a change means the kernels' arithmetic changed.
  assert.deepEqual(hashes, PINNED_HASHES);
});

const PINNED_HASHES = {
  '{"type":"softCrossEntropy"}': [3481872119, 555304301],
  '{"type":"softCrossEntropy","temperature":2.5}': [2881508243, 863204966],
  '{"type":"softCrossEntropy","temperature":0.5,"output":"sigmoid"}': [505601760, 1073064695],
  '{"type":"bce"}': [2787632746, 1474514232],
  '{"type":"softmaxCrossEntropy"}': [209370529, 19316836],
  '{"type":"softmaxCrossEntropy","temperature":2.5,"labelSmoothing":0.1}': [2590778744, 2013286413],
  '{"type":"softmaxCrossEntropy","temperature":0.5,"labelSmoothing":0.3}': [2847335772, 4233082422],
  '{"type":"focal"}': [3846229593, 3174425823],
  '{"type":"focal","gamma":0,"alpha":0.5}': [2795415482, 3064290277],
  '{"type":"focal","gamma":0.5,"alpha":0.8}': [3052005466, 1774609575],
  '{"type":"multiclassFocal"}': [1895858721, 3651230816],
  '{"type":"multiclassFocal","gamma":0}': [209370529, 1054331743],
  '{"type":"multiclassFocal","gamma":0.5}': [3044691755, 1259274793],
  '{"type":"softDice"}': [4182286984, 3463182315],
  '{"type":"softDice","smooth":0.1}': [1150433280, 2409311388],
  '{"type":"mse"}': [3743171297, 1608687671],
  '{"type":"huber"}': [2406781647, 1390388988],
  '{"type":"huber","delta":0.3}': [401052722, 3411035548],
};

// ---- the loss objects ----

test('createLoss fills in defaults and describes what the trainer must supply', () => {
  const cases = [
    [{ type: 'bce' }, { type: 'bce' }, 'dense', 'binary', true],
    [{ type: 'softmaxCrossEntropy' }, { type: 'softmaxCrossEntropy', temperature: 1, labelSmoothing: 0 }, 'index', 'perClass', false],
    [{ type: 'softCrossEntropy' }, { type: 'softCrossEntropy', temperature: 1, output: 'softmax' }, 'dense', 'none', true],
    [{ type: 'focal' }, { type: 'focal', gamma: 2, alpha: 0.25 }, 'dense', 'binary', true],
    [{ type: 'multiclassFocal', gamma: 1 }, { type: 'multiclassFocal', gamma: 1 }, 'index', 'perClass', false],
    [{ type: 'softDice' }, { type: 'softDice', smooth: 1 }, 'dense', 'none', true],
    [{ type: 'mse' }, { type: 'mse' }, 'dense', 'none', false],
    [{ type: 'huber', delta: 0.5 }, { type: 'huber', delta: 0.5 }, 'dense', 'none', false],
  ];
  for (const [spec, resolved, targetKind, classWeighting, unitTargets] of cases) {
    const loss = createLoss(spec);
    assert.deepEqual({ ...loss.spec }, resolved);
    assert.ok(Object.isFrozen(loss.spec));
    assert.equal(loss.type, spec.type);
    assert.equal(loss.targetKind, targetKind);
    assert.equal(loss.classWeighting, classWeighting);
    assert.equal(loss.unitTargets, unitTargets);
    assert.equal(loss.classWeightCount(6), { none: 0, binary: 2, perClass: 6 }[classWeighting]);
  }
  // A Loss object is accepted wherever a spec is, with the same result.
  const c = makeCase({ type: 'focal', gamma: 1.5 }, 3, 4, 8);
  const logits = Matrix.from(c.logits, 3, 4);
  const viaSpec = lossAndGradient(c.spec, logits, c.targets);
  const viaLoss = lossAndGradient(createLoss(c.spec), logits, c.targets);
  assert.equal(viaLoss.loss, viaSpec.loss);
  assert.deepEqual(viaLoss.grad.toFloat32Array(), viaSpec.grad.toFloat32Array());
  // Dense targets as a Matrix, a flat array and an array of rows are the same.
  const asMatrix = Matrix.from(c.targets, 3, 4);
  const asRows = [0, 1, 2].map((i) => Array.from(c.targets.subarray(i * 4, i * 4 + 4)));
  assert.equal(lossAndGradient(c.spec, logits, asMatrix).loss, viaSpec.loss);
  assert.equal(lossAndGradient(c.spec, logits, asRows).loss, viaSpec.loss);
  assert.equal(lossAndGradient(c.spec, logits, Array.from(c.targets)).loss, viaSpec.loss);
  // Masks as booleans and as 0/1 are the same.
  const m1 = lossAndGradient(c.spec, logits, c.targets, { mask: [true, false, true] });
  const m2 = lossAndGradient(c.spec, logits, c.targets, { mask: new Uint8Array([1, 0, 1]) });
  assert.equal(m1.loss, m2.loss);
  for (const m of [logits, asMatrix, viaSpec.grad, viaLoss.grad, m1.grad, m2.grad]) m.dispose();
});

// ---- bad input ----

test('createLoss rejects unknown types and options and out-of-range values, naming them', () => {
  const bad = (spec, pattern) => expectError(() => createLoss(spec), ArgumentError, 'E_ARGUMENT', pattern, { label: JSON.stringify(spec) });
  bad({ type: 'crossEntropy' }, /type must be one of "bce", "softmaxCrossEntropy".*got "crossEntropy"/);
  bad({}, /type must be one of .*got undefined/);
  bad({ type: 'focal', gama: 2 }, /unknown option "gama" for a "focal" loss \(known: type, gamma, alpha\)/);
  bad({ type: 'bce', temperature: 2 }, /unknown option "temperature" for a "bce" loss/);
  bad({ type: 'mse', delta: 1 }, /unknown option "delta" for a "mse" loss/);
  for (const t of [0, -1, NaN, Infinity, '2']) bad({ type: 'softmaxCrossEntropy', temperature: t }, /temperature of a "softmaxCrossEntropy" loss must be a finite number > 0/);
  for (const e of [-0.1, 1.5, NaN]) bad({ type: 'softmaxCrossEntropy', labelSmoothing: e }, /labelSmoothing .* must be a number in \[0, 1\]/);
  for (const g of [-1, NaN, Infinity]) {
    bad({ type: 'focal', gamma: g }, /gamma of a "focal" loss must be a finite number ≥ 0/);
    bad({ type: 'multiclassFocal', gamma: g }, /gamma of a "multiclassFocal" loss must be a finite number ≥ 0/);
  }
  for (const a of [-0.5, 1.01, null]) bad({ type: 'focal', alpha: a }, /alpha of a "focal" loss must be a number in \[0, 1\]/);
  for (const s of [0, -1, NaN]) bad({ type: 'softDice', smooth: s }, /smooth of a "softDice" loss must be a finite number > 0/);
  for (const d of [0, -2, Infinity]) bad({ type: 'huber', delta: d }, /delta of a "huber" loss must be a finite number > 0/);
  for (const spec of [null, 'mse', ['mse'], 3]) bad(spec, /spec must be an object such as \{ type: 'mse' \}/);
  // The edges of the ranges are accepted.
  createLoss({ type: 'softmaxCrossEntropy', labelSmoothing: 1 });
  createLoss({ type: 'focal', gamma: 0, alpha: 0 });
  createLoss({ type: 'focal', alpha: 1 });
});

test('lossAndGradient: bad labels name the row, the value and the class count', () => {
  const logits = Matrix.from(new Float32Array(12), 4, 3);
  for (const type of ['softmaxCrossEntropy', 'multiclassFocal']) {
    const spec = { type };
    expectError(() => lossAndGradient(spec, logits, [0, 1, 3, 2]), ArgumentError, 'E_ARGUMENT', /row 2 has label 3, but the logits have 3 classes.*integer in \[0, 3\)/);
    expectError(() => lossAndGradient(spec, logits, [0, -1, 1, 2]), ArgumentError, 'E_ARGUMENT', /row 1 has label -1/);
    expectError(() => lossAndGradient(spec, logits, [0, 1, 1.5, 2]), ArgumentError, 'E_ARGUMENT', /row 2 has label 1.5/);
    expectError(() => lossAndGradient(spec, logits, new Float64Array([0, 1, 2, NaN])), ArgumentError, 'E_ARGUMENT', /row 3 has label NaN/);
    expectError(() => lossAndGradient(spec, logits, [0, '1', 1, 2]), ArgumentError, 'E_ARGUMENT', /row 1 has label "1"/);
    expectError(() => lossAndGradient(spec, logits, [0, 1, 2]), ShapeError, 'E_SHAPE', /targets has 3 labels, expected one class index per row \(4\)/);
    expectError(() => lossAndGradient(spec, logits, Matrix.zeros(4, 3)), ArgumentError, 'E_ARGUMENT', /one class index per row/);
    // An unlabeled row's label is not looked at.
    lossAndGradient(spec, logits, [0, 1, 99, 2], { mask: [1, 1, 0, 1] }).grad.dispose();
  }
  logits.dispose();
});

test('lossAndGradient: bad dense targets, masks and weights give typed errors naming the row', () => {
  const logits = Matrix.from(new Float32Array(6), 3, 2);
  const good = new Float32Array([0, 1, 0.5, 0.5, 1, 0]);
  for (const type of ['bce', 'focal', 'softDice']) {
    expectError(() => lossAndGradient({ type }, logits, new Float32Array([0, 1, 0.5, 1.5, 1, 0])), ArgumentError, 'E_ARGUMENT',
      new RegExp(`targets row 1, column 1 is 1.5; a "${type}" loss needs targets in \\[0, 1\\]`));
    expectError(() => lossAndGradient({ type }, logits, [[0, 1], [0, -0.25], [1, 0]]), ArgumentError, 'E_ARGUMENT', /row 1, column 1 is -0.25/);
  }
  for (const type of ['bce', 'mse', 'huber']) {
    expectError(() => lossAndGradient({ type }, logits, new Float32Array([0, 1, 0, 1, NaN, 0])), ArgumentError, 'E_ARGUMENT', /targets row 2, column 0 is NaN; expected a finite number/);
    expectError(() => lossAndGradient({ type }, logits, [0, 1, 0, Infinity, 1, 0]), ArgumentError, 'E_ARGUMENT', /targets row 1, column 1 is Infinity/);
    expectError(() => lossAndGradient({ type }, logits, new Float32Array(5)), ShapeError, 'E_SHAPE', /targets has 5 values, expected 3×2 = 6/);
    expectError(() => lossAndGradient({ type }, logits, [[0, 1], [0, 1, 0], [1, 0]]), ShapeError, 'E_SHAPE', /targets row 1 has 3 values, expected 2/);
    expectError(() => lossAndGradient({ type }, logits, [[0, 1], [1, 0]]), ShapeError, 'E_SHAPE', /targets has 2 rows, expected 3/);
    expectError(() => lossAndGradient({ type }, logits, Matrix.zeros(2, 3)), ShapeError, 'E_SHAPE', /targets must be 3×2 like the logits, got 2×3/);
    expectError(() => lossAndGradient({ type }, logits, 'abc'), ArgumentError, 'E_ARGUMENT', /targets must be an array/);
  }
  // mse and huber take any finite target.
  lossAndGradient({ type: 'mse' }, logits, [5, -7, 0, 1, 2, 3]).grad.dispose();
  const spec = { type: 'bce' };
  // Masks.
  expectError(() => lossAndGradient(spec, logits, good, { mask: [1, 0] }), ShapeError, 'E_SHAPE', /mask has 2 entries, expected one per row \(3\)/);
  expectError(() => lossAndGradient(spec, logits, good, { mask: [1, 2, 0] }), ArgumentError, 'E_ARGUMENT', /mask\[1\] \(row 1\) is 2; expected true, false, 1 or 0/);
  expectError(() => lossAndGradient(spec, logits, good, { mask: [true, 'yes', 0] }), ArgumentError, 'E_ARGUMENT', /mask\[1\] \(row 1\) is "yes"/);
  // Sample weights.
  expectError(() => lossAndGradient(spec, logits, good, { sampleWeights: [1, 1] }), ShapeError, 'E_SHAPE', /sampleWeights has 2 entries, expected one per row \(3\)/);
  expectError(() => lossAndGradient(spec, logits, good, { sampleWeights: [1, -0.5, 1] }), ArgumentError, 'E_ARGUMENT', /sampleWeights\[1\] \(row 1\) is -0.5; a sample weight must be a finite number ≥ 0/);
  expectError(() => lossAndGradient(spec, logits, good, { sampleWeights: [1, 1, NaN] }), ArgumentError, 'E_ARGUMENT', /sampleWeights\[2\] \(row 2\) is NaN/);
  expectError(() => lossAndGradient(spec, logits, good, { sampleWeights: new Float64Array([Infinity, 1, 1]) }), ArgumentError, 'E_ARGUMENT', /sampleWeights\[0\] \(row 0\) is Infinity/);
  // … but an unlabeled row's weight and targets are not looked at.
  lossAndGradient(spec, logits, [0, 1, NaN, 7, 1, 0], { mask: [1, 0, 1], sampleWeights: [1, NaN, 2] }).grad.dispose();
  // Class weights.
  expectError(() => lossAndGradient(spec, logits, good, { classWeights: [1, 2, 3] }), ShapeError, 'E_SHAPE', /classWeights has 3 entries, expected 2 \(the weights of y = 0 and y = 1\)/);
  expectError(() => lossAndGradient(spec, logits, good, { classWeights: [1, -2] }), ArgumentError, 'E_ARGUMENT', /classWeights\[1\] is -2; a class weight must be a finite number ≥ 0/);
  expectError(() => lossAndGradient({ type: 'softmaxCrossEntropy' }, logits, [0, 1, 1], { classWeights: [1, 1, 1] }), ShapeError, 'E_SHAPE', /classWeights has 3 entries, expected one per class \(2\)/);
  expectError(() => lossAndGradient({ type: 'softmaxCrossEntropy' }, logits, [0, 1, 1], { classWeights: [1, NaN] }), ArgumentError, 'E_ARGUMENT', /classWeights\[1\] is NaN/);
  for (const type of ['mse', 'huber', 'softDice']) {
    expectError(() => lossAndGradient({ type }, logits, good, { classWeights: [1, 1] }), ArgumentError, 'E_ARGUMENT', new RegExp(`a "${type}" loss takes no classWeights`));
  }
  logits.dispose();
});

test('lossAndGradient: non-finite logits name the row; bad options and arguments are ArgumentErrors', () => {
  const logits = Matrix.from(new Float32Array(6), 3, 2);
  const targets = [0, 1, 1, 0, 1, 1];
  heapF32()[(logits.ptr >>> 2) + 3] = NaN; // row 1, column 1
  expectError(() => lossAndGradient({ type: 'bce' }, logits, targets), ArgumentError, 'E_ARGUMENT', /logits row 1, column 1 is NaN; expected a finite number/);
  expectError(() => lossAndGradient({ type: 'softmaxCrossEntropy' }, logits, [0, 1, 0]), ArgumentError, 'E_ARGUMENT', /logits row 1, column 1 is NaN/);
  // A non-finite logit in an unlabeled row is never read.
  const r = lossAndGradient({ type: 'bce' }, logits, targets, { mask: [true, false, true] });
  assert.ok(Number.isFinite(r.loss));
  r.grad.dispose();
  heapF32()[(logits.ptr >>> 2) + 4] = -Infinity; // row 2, column 0
  expectError(() => lossAndGradient({ type: 'mse' }, logits, targets, { mask: [true, false, true] }), ArgumentError, 'E_ARGUMENT', /logits row 2, column 0 is -Infinity/);

  const ok = Matrix.zeros(3, 2);
  expectError(() => lossAndGradient({ type: 'bce' }, ok, targets, { reduction: 'avg' }), ArgumentError, 'E_ARGUMENT', /reduction must be "mean" or "sum", got "avg"/);
  expectError(() => lossAndGradient({ type: 'bce' }, ok, targets, { gradScale: NaN }), ArgumentError, 'E_ARGUMENT', /gradScale must be a finite number/);
  expectError(() => lossAndGradient({ type: 'bce' }, ok, targets, { weights: [1, 1, 1] }), ArgumentError, 'E_ARGUMENT', /unknown option "weights"/);
  expectError(() => lossAndGradient({ type: 'bce' }, [[0, 1]], targets), ArgumentError, 'E_ARGUMENT', /logits must be a Matrix/);
  expectError(() => lossAndGradient({ type: 'bce' }, ok, targets, 5), ArgumentError, 'E_ARGUMENT', /options must be an object/);
  expectError(() => lossAndGradient({ type: 'nope' }, ok, targets), ArgumentError, 'E_ARGUMENT', /type must be one of/);
  // The pointer-level compute checks what costs nothing.
  const mse = createLoss({ type: 'mse' });
  const args = { rows: 3, cols: 2, logits: ok.ptr, targets: ok.ptr, grad: ok.ptr };
  expectError(() => mse.compute({ ...args, classWeights: 64 }), ArgumentError, 'E_ARGUMENT', /mse loss: takes no class weights/);
  expectError(() => mse.compute({ ...args, reduction: 'none' }), ArgumentError, 'E_ARGUMENT', /reduction must be "mean" or "sum"/);
  expectError(() => mse.compute({ ...args, rows: 0 }), ShapeError, 'E_SHAPE', /rows must be a positive integer/);
  // Failed calls leave nothing allocated behind.
  const inUse = runtime('test').allocator.bytesInUse;
  expectError(() => lossAndGradient({ type: 'bce' }, ok, targets, { sampleWeights: [1, 1, -1] }), ArgumentError, 'E_ARGUMENT', /row 2/);
  assert.equal(runtime('test').allocator.bytesInUse, inUse);
  logits.dispose();
  ok.dispose();
});

test('validateLossInputs checks a batch without logits, for the trainer', () => {
  const loss = createLoss({ type: 'softmaxCrossEntropy' });
  assert.equal(validateLossInputs(loss, { rows: 3, cols: 4, targets: [0, 3, 2] }), null);
  assert.deepEqual(Array.from(validateLossInputs(loss, { rows: 3, cols: 4, targets: [0, NaN, 2], mask: [1, 0, true] })), [1, 0, 1]);
  expectError(() => validateLossInputs(loss, { rows: 3, cols: 4, targets: [0, 4, 2] }), ArgumentError, 'E_ARGUMENT', /row 1 has label 4, but the logits have 4 classes/);
  expectError(() => validateLossInputs(loss, { rows: 0, cols: 4, targets: [] }), ShapeError, 'E_SHAPE', /rows must be a positive integer/);
});

test('lossAndGradient: finite inputs whose loss or gradient overflows float32 are an ArgumentError naming the row and column', () => {
  const inUse = runtime('test').allocator.bytesInUse;
  const refuse = (spec, logits, targets, options, pattern) => {
    const z = Matrix.from(logits);
    expectError(() => lossAndGradient(spec, z, targets, options), ArgumentError, 'E_ARGUMENT', pattern);
    z.dispose();
  };
  // A Poisson log-rate of 100: e^100 is beyond float32 (loss 2.7e43, gradient +Infinity); row 1, after a healthy row.
  refuse({ type: 'poissonNll' }, [[0.5], [100]], [3, 3], undefined,
    /^lossAndGradient: the gradient at row 1, column 0 is Infinity: the "poissonNll" loss overflows float32 there \(logit 100\)/);
  refuse({ type: 'poissonNll' }, [[88.8]], [3], undefined, /gradient at row 0, column 0 is Infinity/);
  // MSE between ±3e38: a difference of 6e38 (summed: a gradient of 2·6e38; averaged over 4 cells the gradient fits, the loss not).
  refuse({ type: 'mse' }, [[0], [3e38]], [[0], [-3e38]], { reduction: 'sum' }, /gradient at row 1, column 0 is Infinity: the "mse" loss/);
  refuse({ type: 'mse' }, [[0, 0], [1, 3e38]], [[0, 0], [1, -3e38]], undefined,
    /the "mse" loss is 9\.0\d*e\+76, beyond the float32 range \(±3\.4e38\) the kernels compute in: row 1, column 1 alone overflows it \(logit 3\.0\d*e\+38\)/);
  // Finite logits and targets, but weights of 3e38 summed.
  refuse({ type: 'mse' }, [[1e10], [1e10]], [[0], [0]], { sampleWeights: [3e38, 3e38], reduction: 'sum' }, /gradient at row 0, column 0 is Infinity/);
  // A finite gradient and a loss beyond float32: the row (and for a loss summed over columns, the column) that alone overflows.
  refuse({ type: 'gaussianNll' }, [[0, 0], [1e20, -50]], [0, 0], undefined,
    /^lossAndGradient: the "gaussianNll" loss is 2\.5\d*e\+43, beyond the float32 range \(±3\.4e38\) the kernels compute in: row 1 alone overflows it$/);
  refuse({ type: 'huber' }, [[1], [3e38]], [[0], [-3e38]], { reduction: 'sum' }, /the "huber" loss is 6\.0\d*e\+38, .*: row 1, column 0 alone overflows it \(logit 3\.0\d*e\+38\)/);
  refuse({ type: 'softmaxCrossEntropy' }, [[1, 0], [3e38, -3e38]], [0, 1], { reduction: 'sum' }, /the "softmaxCrossEntropy" loss is \S+, beyond the float32 range .*: row 1 alone overflows it$/);
  // Rows that only overflow together: no row is named.
  refuse({ type: 'huber' }, [[2e38], [2e38]], [[0], [0]], { reduction: 'sum' }, /the "huber" loss is \S+e\+38, beyond the float32 range \(±3\.4e38\) the kernels compute in$/);
  // A masked row is never read, overflow or not.
  const z = Matrix.from([[0.5], [100]]);
  const ok = lossAndGradient({ type: 'poissonNll' }, z, [3, 3], { mask: [1, 0] });
  assert.ok(Number.isFinite(ok.loss));
  assert.deepEqual(Array.from(ok.grad.toFloat32Array()).map(Number.isFinite), [true, true]);
  ok.grad.dispose(); z.dispose();
  // What stays within float32 is returned as before, however large.
  for (const [spec, logits, targets, options] of [
    [{ type: 'poissonNll' }, [[-200]], [3]], [{ type: 'gaussianNll' }, [[0, 1e30]], [0]],
    [{ type: 'softmaxCrossEntropy', temperature: 1e-30 }, [[1, 0]], [1]], [{ type: 'bce' }, [[-100]], [[1]], { gradScale: 1e37, reduction: 'sum' }],
  ]) {
    const m = Matrix.from(logits);
    const r = lossAndGradient(spec, m, targets, options);
    assert.ok(Math.abs(r.loss) <= 3.4028234663852886e38 && r.grad.toFloat32Array().every(Number.isFinite), `${spec.type}: ${r.loss}`);
    r.grad.dispose(); m.dispose();
  }
  assert.equal(runtime('test').allocator.bytesInUse, inUse, 'the refused calls left nothing allocated');
});

test('Loss.compute checks its buffers: an object, each pointer inside one live block with room for its rows, the gradient overlapping nothing else', () => {
  const mse = createLoss({ type: 'mse' }), sce = createLoss({ type: 'softmaxCrossEntropy' });
  const rows = 5, cols = 2;
  const z = Matrix.from(seededValues(rows * cols, 1), rows, cols), y = Matrix.from(seededValues(rows * cols, 2), rows, cols);
  const g = Matrix.zeros(rows, cols), small = Matrix.zeros(1, 1); // small: one block of 16 bytes
  const args = { rows, cols, logits: z.ptr, targets: y.ptr, grad: g.ptr };
  for (const bad of [null, undefined, 5, 'args']) argErr(() => mse.compute(bad), /^mse loss: compute takes \{ rows, cols, logits, targets, grad, … \}/);
  argErr(() => mse.compute({ ...args, logits: 0 }), /^mse loss: logits must be a pointer into WASM memory .* got 0/);
  argErr(() => mse.compute({ ...args, targets: small.ptr }), /^mse loss: targets \(\d+\) and the 40 bytes after it are not inside one live block/);
  argErr(() => mse.compute({ ...args, grad: new Float32Array(4) }), /grad must be a pointer .* got a Float32Array/);
  argErr(() => mse.compute({ ...args, sampleWeights: small.ptr }), /sampleWeights \(\d+\) and the 20 bytes after it/);
  argErr(() => mse.compute({ ...args, mask: small.ptr + 12 }), /mask \(\d+\) and the 5 bytes after it/);
  argErr(() => sce.compute({ ...args, classWeights: small.ptr + 12 }), /^softmaxCrossEntropy loss: classWeights \(\d+\) and the 8 bytes after it/);
  argErr(() => sce.compute({ ...args, targets: small.ptr }), /targets \(\d+\) and the 20 bytes after it/); // 5 i32 labels
  argErr(() => mse.compute({ ...args, grad: y.ptr }), /^mse loss: grad overlaps another buffer of the call \(it may be the logits themselves, nothing else\)/);
  // Valid: the value lossAndGradient gives; the gradient may be the logits themselves.
  const value = mse.compute(args);
  const r = lossAndGradient({ type: 'mse' }, z, y);
  assert.equal(value, r.loss);
  assert.deepEqual(g.toFloat32Array(), r.grad.toFloat32Array());
  assert.equal(mse.compute({ ...args, grad: z.ptr }), value);
  for (const m of [z, y, g, small, r.grad]) m.dispose();
});

const argErr = (fn, pattern) => expectError(fn, ArgumentError, 'E_ARGUMENT', pattern);
