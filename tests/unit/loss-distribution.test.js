// The distribution losses (gaussianNll, poissonNll, pinball) and the distribution
// heads' prediction step (distributionForward), against the f64 references of
// tests/helpers/loss-reference.js: values, gradients against central differences
// (with masks, sample weights, gradScale, both reductions, at several row counts
// and quantile counts), non-crossing quantiles at extreme outputs, pinned bits
// (the same in every runtime), and the typed errors for bad targets and shapes.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, Matrix, ShapeError, ArgumentError, createLoss, lossAndGradient } from '../../dist/index.js';
import { runtime, heapF32 } from '../../dist/internal.js';
import { assertClose, hashBits, seededValues } from '../helpers/reference.js';
import { lossRef, distributionRef, GAUSSIAN_MIN_VARIANCE } from '../helpers/loss-reference.js';
import { checkOp } from '../helpers/check-op.js';
import { expectError } from '../helpers/errors.js';

before(async () => { await init(); });

const ROWS = [1, 2, 3, 5, 17];
const LEVELS = [[0.5], [0.1, 0.9], [0.05, 0.5, 0.95], [0.1, 0.25, 0.5, 0.75, 0.9], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]];
const SPECS = [{ type: 'gaussianNll' }, { type: 'poissonNll' }, ...LEVELS.map((quantiles) => ({ type: 'pinball', quantiles }))];
const LOSS_TOL = { atol: 1e-13, rtol: 1e-12 };

const colsOf = (spec) => (spec.type === 'gaussianNll' ? 2 : spec.type === 'poissonNll' ? 1 : spec.quantiles.length);

/** A batch: raw outputs in [−2, 2], targets of the loss's kind, optional mask, weights, gradScale, reduction. */
function makeCase(spec, rows, seed, { masked = false, weighted = false, gradScale = 1, reduction = 'mean' } = {}) {
  const cols = colsOf(spec);
  const logits = Float32Array.from(seededValues(rows * cols, seed), (v) => 2 * v);
  const u = seededValues(rows, seed + 1);
  const mask = masked && rows > 1 ? Array.from({ length: rows }, (_, i) => i % 3 !== 1) : undefined;
  const labeled = (i) => !mask || mask[i];
  let targets;
  if (spec.type === 'poissonNll') targets = Array.from(u, (v, i) => (labeled(i) ? Math.floor(4 * (v + 1)) : NaN));
  else targets = Array.from(u, (v, i) => (labeled(i) ? Math.fround(3 * v) : NaN));
  if (spec.type === 'pinball') {
    // Keep each target away from every quantile: the loss has a kink there, where central differences err.
    for (let i = 0; i < rows; i++) {
      if (!labeled(i)) continue;
      const q = distributionRef('quantile', Array.from(logits.subarray(i * cols, (i + 1) * cols)));
      while (q.some((x) => Math.abs(x - targets[i]) < 1e-2)) targets[i] = Math.fround(targets[i] + 0.037);
    }
  }
  const sampleWeights = weighted ? Float32Array.from(seededValues(rows, seed + 3), (v, i) => (i === 2 ? 0 : labeled(i) ? 1 + v : NaN)) : undefined;
  return { spec, rows, cols, logits, targets, mask, sampleWeights, gradScale, reduction };
}

function runCase(c) {
  const logits = Matrix.from(c.logits, c.rows, c.cols);
  const options = { reduction: c.reduction, gradScale: c.gradScale };
  if (c.mask) options.mask = c.mask;
  if (c.sampleWeights) options.sampleWeights = c.sampleWeights;
  const { loss, grad } = lossAndGradient(c.spec, logits, c.targets, options);
  const g = grad.toFloat32Array();
  logits.dispose();
  grad.dispose();
  return { loss, grad: g };
}

function checkCase(c, label) {
  const got = runCase(c);
  const reference = (z) => [lossRef(c.spec, { ...c, logits: z })];
  const allMasked = c.mask !== undefined && !c.mask.some(Boolean);
  checkOp({
    label, output: [got.loss], expected: reference(c.logits), forward: LOSS_TOL,
    r: [c.gradScale], h: 1e-4,
    gradients: [{ name: 'logits', actual: got.grad, theta: c.logits, reference }],
    // As the other losses (tests/unit/loss.test.js): f32 rounding, O(h²) truncation, the differences' rounding.
    gradient: ({ numeric, fMax, h }) => ({ atol: 5e-7 * Math.max(...Array.from(numeric, Math.abs)) + 8 * 2 ** -52 * fMax / h + 1e-30, rtol: 2e-6 }),
    mayBeZero: allMasked ? ['logits'] : [],
  });
  return got;
}

test('distribution losses at every row count: value and finite-difference gradient', () => {
  for (const spec of SPECS) for (const rows of ROWS) checkCase(makeCase(spec, rows, 10 * rows + colsOf(spec)), `${JSON.stringify(spec)} ${rows} rows`);
});

test('distribution losses with mask, sample weights and gradScale ≠ 1, both reductions', () => {
  for (const spec of SPECS) {
    for (const rows of ROWS) {
      for (const reduction of ['mean', 'sum']) {
        const c = makeCase(spec, rows, 7 * rows + 3, { masked: true, weighted: true, gradScale: -1.7, reduction });
        checkCase(c, `${JSON.stringify(spec)} ${rows} rows masked+weighted ${reduction}`);
      }
    }
  }
});

test('the gradient may overwrite the outputs in place: same bits as a separate buffer', () => {
  const { allocator, kernels: k } = runtime('test');
  for (const spec of SPECS) {
    const c = makeCase(spec, 17, 5, { weighted: true });
    const loss = createLoss(spec);
    const z = allocator.alloc(c.rows * c.cols * 4), y = allocator.alloc(c.rows * 4), g = allocator.alloc(c.rows * c.cols * 4), w = allocator.alloc(c.rows * 4);
    const run = (grad) => {
      heapF32().set(c.logits, z >>> 2);
      heapF32().set(c.targets, y >>> 2);
      heapF32().set(c.sampleWeights, w >>> 2);
      const value = loss.compute({ rows: c.rows, cols: c.cols, logits: z, targets: y, sampleWeights: w, grad });
      return { value, grad: heapF32().slice(grad >>> 2, (grad >>> 2) + c.rows * c.cols) };
    };
    const separate = run(g), inPlace = run(z);
    assert.ok(Object.is(separate.value, inPlace.value), `${spec.type}: loss`);
    assert.deepEqual(inPlace.grad, separate.grad, `${spec.type}: gradient`);
    for (const p of [z, y, g, w]) allocator.free(p);
    void k;
  }
});

/** distributionForward on f32 outputs, through the kernel. */
function forward(family, rows, cols, x) {
  const { allocator, kernels: k } = runtime('test');
  const a = allocator.alloc(rows * cols * 4), b = allocator.alloc(rows * cols * 4);
  heapF32().set(x, a >>> 2);
  k.distributionForward({ gaussian: 0, poisson: 1, quantile: 2 }[family], rows, cols, a, b, GAUSSIAN_MIN_VARIANCE);
  const out = heapF32().slice(b >>> 2, (b >>> 2) + rows * cols);
  allocator.free(a);
  allocator.free(b);
  return out;
}

test('distributionForward maps raw outputs as the reference does; quantiles never cross, even at extreme outputs', () => {
  for (const [family, cols] of [['gaussian', 2], ['poisson', 1], ['quantile', 1], ['quantile', 3], ['quantile', 9]]) {
    for (const rows of ROWS) {
      const x = Float32Array.from(seededValues(rows * cols, rows + cols), (v) => 3 * v);
      const got = forward(family, rows, cols, x);
      const want = [];
      for (let i = 0; i < rows; i++) want.push(...distributionRef(family, Array.from(x.subarray(i * cols, (i + 1) * cols))));
      // Stored as f32: within an f32 rounding of the f64 value.
      assertClose(got, want, { atol: 1e-30, rtol: 2 ** -23, label: `${family} ${rows}×${cols}` });
    }
  }
  const extreme = Float32Array.from([0, -1e4, 1e4, -80, 80, -1e30, 3e38, -3e38, 5]);
  const q = forward('quantile', 1, extreme.length, extreme);
  for (let k = 1; k < q.length; k++) assert.ok(q[k] >= q[k - 1], `quantile ${k} (${q[k]}) below quantile ${k - 1} (${q[k - 1]})`);
  const g = forward('gaussian', 2, 2, Float32Array.from([0, -1e4, 0, -3e38]));
  assert.equal(g[1], Math.fround(GAUSSIAN_MIN_VARIANCE));
  assert.equal(g[3], Math.fround(GAUSSIAN_MIN_VARIANCE));
});

test('results are deterministic: same batch, same bits (pinned across engines)', () => {
  const hashes = {};
  for (const spec of SPECS) {
    const c = makeCase(spec, 17, 3, { masked: true, weighted: true, gradScale: 0.3 });
    const a = runCase(c), b = runCase(c);
    assert.ok(Object.is(a.loss, b.loss));
    assert.deepEqual(a.grad, b.grad);
    const f = forward(spec.type === 'gaussianNll' ? 'gaussian' : spec.type === 'poissonNll' ? 'poisson' : 'quantile', c.rows, c.cols, c.logits);
    hashes[JSON.stringify(spec)] = [hashBits(new Float64Array([a.loss])), hashBits(a.grad), hashBits(f)];
  }
  // The kernels' libm is inside the module: V8 (Node, Deno) and JavaScriptCore (Bun) give the same bits.
  assert.deepEqual(hashes, PINNED_HASHES);
});

const PINNED_HASHES = {
  '{"type":"gaussianNll"}': [3791650867, 4131150054, 2710270618],
  '{"type":"poissonNll"}': [3171890284, 1036539265, 3283911036],
  '{"type":"pinball","quantiles":[0.5]}': [2636058194, 1689167193, 873880280],
  '{"type":"pinball","quantiles":[0.1,0.9]}': [117827019, 1954491928, 3907886790],
  '{"type":"pinball","quantiles":[0.05,0.5,0.95]}': [1637190711, 520539938, 1517757921],
  '{"type":"pinball","quantiles":[0.1,0.25,0.5,0.75,0.9]}': [3007203664, 2283181137, 2089205543],
  '{"type":"pinball","quantiles":[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9]}': [201435175, 3069781272, 2669410011],
};

test('bad targets, shapes and levels are typed errors naming what and where', () => {
  const two = Matrix.from(new Float32Array([0.1, 0.2, 0.3, 0.4]), 2, 2);
  const one = Matrix.from(new Float32Array([0.1, 0.2]), 2, 1);
  try {
    expectError(() => lossAndGradient({ type: 'gaussianNll' }, one, [1, 2]), ShapeError, 'E_SHAPE', /a "gaussianNll" loss takes 2 outputs per row, got 1 columns/);
    expectError(() => lossAndGradient({ type: 'poissonNll' }, two, [1, 2]), ShapeError, 'E_SHAPE', /a "poissonNll" loss takes 1 output per row, got 2 columns/);
    expectError(() => lossAndGradient({ type: 'pinball', quantiles: [0.1, 0.5, 0.9] }, two, [1, 2]), ShapeError, 'E_SHAPE', /takes 3 outputs per row, got 2 columns/);
    expectError(() => lossAndGradient({ type: 'gaussianNll' }, two, [1, 2, 3]), ShapeError, 'E_SHAPE', /targets has 3 values, expected one per row \(2\)/);
    expectError(() => lossAndGradient({ type: 'gaussianNll' }, two, [1, NaN]), ArgumentError, 'E_ARGUMENT', /targets row 1 is NaN; expected a finite number/);
    expectError(() => lossAndGradient({ type: 'poissonNll' }, one, [3, -1]), ArgumentError, 'E_ARGUMENT', /targets row 1 is -1; a "poissonNll" loss needs counts ≥ 0/);
    // A masked row is never read.
    assert.ok(Number.isFinite(lossAndGradient({ type: 'poissonNll' }, one, [3, -1], { mask: [1, 0] }).loss));
  } finally {
    two.dispose();
    one.dispose();
  }
  const bad = (quantiles, message) => expectError(() => createLoss({ type: 'pinball', quantiles }), ArgumentError, 'E_ARGUMENT', message);
  bad(undefined, /quantiles must be a non-empty array of levels in \(0, 1\)/);
  bad([], /quantiles must be a non-empty array/);
  bad([0.5, 1], /quantiles\[1\] is 1; a level must be a number in \(0, 1\)/);
  bad([0, 0.5], /quantiles\[0\] is 0/);
  bad([0.5, 0.5], /quantiles must increase strictly; quantiles\[1\] = 0.5 follows 0.5/);
  bad([0.9, 0.1], /must increase strictly/);
  bad([0.5, 0.5 + 1e-12], /quantiles\[0\] and \[1\] .* are one level in float32/);
  expectError(() => createLoss({ type: 'gaussianNll', floor: 1 }), ArgumentError, 'E_ARGUMENT', /unknown option "floor" for a "gaussianNll" loss/);
});
