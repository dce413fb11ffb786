// The distribution task kinds — tasks.gaussian, tasks.poisson, tasks.quantile —
// through the public API: on a constant input each head reaches the maximum-
// likelihood answer computed on the raw (unstandardized) labels (mean and
// variance, the mean count, the empirical quantiles); the standardization of the
// targets is undone exactly for means, variances and quantiles; predict's
// intervals (normal and Poisson quantiles against f64 references, the level
// option); evaluate's NLL, coverage and pinball against the metric functions;
// the model file round trip through both loaders (bit for bit); and the typed
// errors for bad specs, labels and options.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  init, MultiTaskModel, Ensemble, Dataset, tasks, loadModel, ArgumentError, ModelFormatError, DEFAULT_LEVEL, DEFAULT_QUANTILES,
  gaussianNll, poissonNll, pinballLoss, intervalCoverage, intervalWidth,
} from '../../dist/index.js';
import { normalQuantile, poissonQuantile } from '../../dist/internal.js';
import { seededValues } from '../helpers/reference.js';
import { expectError } from '../helpers/errors.js';
import { withHeader } from '../helpers/model-file.js';
import { predictionBits, privateInfer } from '../helpers/private-infer.js';

let infer, cleanupInfer;
before(async () => {
  await init();
  ({ infer, cleanup: cleanupInfer } = await privateInfer());
  await infer.init();
});
after(async () => { await cleanupInfer?.(); });

const ARCH = { type: 'sharedBottom', units: [4], towerUnits: [] };
const N = 200;
// A skewed target far from 0 with a large spread (so an undone standardization shows), and counts.
const Y = Array.from(seededValues(N, 7), (v) => 1000 + 50 * v + 20 * v ** 3);
const COUNTS = Array.from(seededValues(N, 8), (v) => Math.floor(4.5 * (v + 1) ** 2));
const LEVELS = [0.1, 0.5, 0.9];

function distributionModel(seed = 1) {
  return new MultiTaskModel({
    input: { features: 1 }, architecture: ARCH, seed, optimizer: { type: 'adam', learningRate: 0.05 },
    tasks: [tasks.gaussian('g'), tasks.quantile('q', { quantiles: LEVELS }), tasks.poisson('c')],
  });
}

test('on a constant input each head reaches the maximum-likelihood answer of the raw labels', async () => {
  const m = distributionModel();
  await m.fit(Array.from({ length: N }, () => [0]), { g: Y, q: Y, c: COUNTS }, { epochs: 400, batchSize: N, shuffle: false });
  const p = m.predict([[0]]);
  const mean = Y.reduce((a, b) => a + b) / N;
  const variance = Y.reduce((a, b) => a + (b - mean) ** 2, 0) / N;
  const sd = Math.sqrt(variance);
  // Gaussian MLE: the sample mean and the (biased) sample variance.
  assert.ok(Math.abs(p.g.mean[0] - mean) < 1e-3 * sd, `mean ${p.g.mean[0]} vs ${mean}`);
  assert.ok(Math.abs(p.g.variance[0] / variance - 1) < 1e-3, `variance ${p.g.variance[0]} vs ${variance}`);
  // Pinball minimizers: any value between the order statistics around τ·n (within a hundredth of a std).
  const sorted = [...Y].sort((a, b) => a - b);
  LEVELS.forEach((tau, k) => {
    const lo = sorted[tau * N - 1], hi = sorted[tau * N];
    const q = p.q.quantiles[0][k];
    assert.ok(q > lo - 0.01 * sd && q < hi + 0.01 * sd, `quantile ${tau}: ${q} outside [${lo}, ${hi}]`);
  });
  assert.deepEqual(p.q.levels, LEVELS);
  // Poisson MLE: the mean count.
  const meanCount = COUNTS.reduce((a, b) => a + b) / N;
  assert.ok(Math.abs(p.c.mean[0] / meanCount - 1) < 1e-3, `rate ${p.c.mean[0]} vs ${meanCount}`);
  m.dispose();
});

test('standardization is undone exactly: labels s·y + m (s a power of two) give s·mean + m, s²·variance, s·quantile + m', async () => {
  // Labels of mean exactly 0 and std exactly 1 are not rescaled (the reference);
  // 8·y + 1000 standardizes to the same floats, so both models train bit for bit alike.
  const x = Array.from({ length: 64 }, (_, i) => [Math.sin(i), (i % 7) / 7]);
  const y = x.map((_, i) => (i % 2 ? 1 : -1));
  const fitOn = async (labels) => {
    const m = new MultiTaskModel({
      input: { features: 2 }, architecture: ARCH, seed: 4, optimizer: { type: 'adam', learningRate: 0.02 },
      tasks: [tasks.gaussian('g'), tasks.quantile('q')],
    });
    await m.fit(x, { g: labels, q: labels }, { epochs: 5, batchSize: 16 });
    return m;
  };
  const raw = await fitOn(y), scaled = await fitOn(y.map((v) => 8 * v + 1000));
  const a = raw.predict(x), b = scaled.predict(x);
  assert.deepEqual(Array.from(b.g.mean), Array.from(a.g.mean, (v) => Math.fround(8 * v + 1000)));
  assert.deepEqual(Array.from(b.g.variance), Array.from(a.g.variance, (v) => 64 * v));
  assert.deepEqual(b.q.quantiles, a.q.quantiles.map((row) => row.map((v) => Math.fround(8 * v + 1000))));
  for (let i = 0; i < x.length; i++) {
    assert.ok(Math.abs(b.g.lower[i] - (8 * a.g.lower[i] + 1000)) < 1e-3 && Math.abs(b.g.upper[i] - (8 * a.g.upper[i] + 1000)) < 1e-3, `row ${i}`);
  }
  // evaluate in the target's units: the Gaussian NLL moves by log 8, the pinball loss scales by 8, coverage stays.
  const ea = raw.evaluate(x, { g: y, q: y }), eb = scaled.evaluate(x, { g: y.map((v) => 8 * v + 1000), q: y.map((v) => 8 * v + 1000) });
  assert.ok(Math.abs(eb.tasks.g.nll - (ea.tasks.g.nll + Math.log(8))) < 1e-5, `${eb.tasks.g.nll} vs ${ea.tasks.g.nll} + log 8`);
  assert.ok(Math.abs(eb.tasks.q.pinball / ea.tasks.q.pinball - 8) < 1e-5);
  assert.equal(eb.tasks.g.coverage, ea.tasks.g.coverage);
  assert.equal(eb.tasks.q.coverage, ea.tasks.q.coverage);
  raw.dispose();
  scaled.dispose();
});

test('intervals: the normal quantile and the Poisson quantile against f64 references; the level option', async () => {
  // Φ⁻¹ at known points (to Acklam's 1.2e-9).
  for (const [p, z] of [[0.5, 0], [0.75, 0.6744897501960817], [0.95, 1.6448536269514722], [0.975, 1.959963984540054], [0.995, 2.5758293035489004], [0.999, 3.090232306167813], [0.025, -1.959963984540054], [1e-6, -4.753424308822899]]) {
    assert.ok(Math.abs(normalQuantile(p) - z) <= 1.2e-9 * Math.max(1, Math.abs(z)), `Φ⁻¹(${p}) = ${normalQuantile(p)}, expected ${z}`);
  }
  // Poisson quantiles: the smallest k with P(X ≤ k) ≥ p, from the pmf summed in f64.
  const reference = (rate, p) => {
    let pmf = Math.exp(-rate), cdf = pmf, k = 0;
    while (cdf < p * (1 - 1e-12)) { k++; pmf *= rate / k; cdf += pmf; }
    return k;
  };
  for (const rate of [1e-4, 0.05, 0.7, 1, 3.3, 17.2, 250, 699.5]) {
    for (const p of [0.005, 0.05, 0.25, 0.5, 0.75, 0.95, 0.995]) {
      assert.equal(poissonQuantile(rate, p, normalQuantile(p)), reference(rate, p), `rate ${rate}, p ${p}`);
    }
  }
  // Above 1e6 the Cornish–Fisher expansion: within one count of the normal approximation's neighbourhood.
  const big = poissonQuantile(4e6, 0.95, normalQuantile(0.95));
  assert.ok(Math.abs(big - (4e6 + 1.6448536269514722 * 2000)) < 2, `${big}`);

  const m = distributionModel(2);
  const x = Array.from({ length: 40 }, (_, i) => [i / 40]);
  await m.fit(x, { g: Y.slice(0, 40), q: Y.slice(0, 40), c: COUNTS.slice(0, 40) }, { epochs: 3, batchSize: 8 });
  const p = m.predict(x);
  assert.equal(p.g.level, DEFAULT_LEVEL);
  assert.equal(p.c.level, 0.9);
  assert.equal(p.q.level, 0.8);   // the outermost levels, 0.1 and 0.9
  const z = normalQuantile(0.95);
  for (let i = 0; i < x.length; i++) {
    const half = z * Math.sqrt(p.g.variance[i]);
    assert.equal(p.g.lower[i], Math.fround(p.g.mean[i] - half));
    assert.equal(p.g.upper[i], Math.fround(p.g.mean[i] + half));
    assert.equal(p.c.lower[i], poissonQuantile(p.c.mean[i], 0.05, -z));
    assert.equal(p.c.upper[i], poissonQuantile(p.c.mean[i], 0.95, z));
    assert.deepEqual([p.q.lower[i], p.q.upper[i]], [p.q.quantiles[i][0], p.q.quantiles[i][2]]);
    assert.ok(p.q.quantiles[i][0] <= p.q.quantiles[i][1] && p.q.quantiles[i][1] <= p.q.quantiles[i][2], `row ${i}: quantiles cross`);
  }
  // level 0.8 (a quantile task needs 0.1 and 0.9 among its levels: it has them).
  const p8 = m.predict(x, { level: 0.8 });
  assert.equal(p8.g.level, 0.8);
  // Φ⁻¹(0.9) = 1.2815515655446004; upper and mean are float32 near 1000 (ulp 6e-5).
  assert.ok(Math.abs((p8.g.upper[0] - p8.g.mean[0]) - 1.2815515655446004 * Math.sqrt(p8.g.variance[0])) < 2e-4);
  expectError(() => m.predict(x, { level: 0.5 }), ArgumentError, 'E_ARGUMENT', /predict: level 0.5 needs the quantiles 0.25 and 0.75; task "q" has 0.1, 0.5, 0.9/);
  for (const bad of [0, 1, -0.5, '0.9', NaN]) expectError(() => m.predict(x, { level: bad }), ArgumentError, 'E_ARGUMENT', /predict: level must be a number in \(0, 1\)/);
  // The largest double below 1: (1 + level) / 2 rounds to 1, and the normal quantile of 1 looped forever.
  expectError(() => m.predict(x, { level: 1 - 2 ** -53 }), ArgumentError, 'E_ARGUMENT', /^predict: level 0\.9999999999999999 is too close to 1 for float64/);
  assert.throws(() => normalQuantile(1), RangeError);
  // evaluate's metrics are the metric functions on predict's output (evaluate reads the labels back from
  // their standardized float32 form: within float32 rounding).
  const e = m.evaluate(x, { g: Y.slice(0, 40), q: Y.slice(0, 40), c: COUNTS.slice(0, 40) });
  const y = Float64Array.from(Y.slice(0, 40)), c = Float64Array.from(COUNTS.slice(0, 40));
  const near = (a, b, what) => assert.ok(Math.abs(a - b) <= 1e-6 * Math.abs(b), `${what}: ${a} vs ${b}`);
  near(e.tasks.g.nll, gaussianNll(Float64Array.from(p.g.mean), Float64Array.from(p.g.variance), y), 'gaussian NLL');
  assert.equal(e.tasks.g.coverage, intervalCoverage(Float64Array.from(p.g.lower), Float64Array.from(p.g.upper), y));
  assert.equal(e.tasks.c.nll, poissonNll(Float64Array.from(p.c.mean), c));
  assert.equal(e.tasks.c.coverage, intervalCoverage(Float64Array.from(p.c.lower), Float64Array.from(p.c.upper), c));
  near(e.tasks.q.pinball, pinballLoss(Float64Array.from(p.q.quantiles.flat()), LEVELS, y), 'pinball');
  assert.equal(e.tasks.q.intervalWidth, intervalWidth(Float64Array.from(p.q.lower), Float64Array.from(p.q.upper)));
  assert.deepEqual(Object.keys(e.tasks.g).sort(), ['coverage', 'intervalWidth', 'level', 'loss', 'mae', 'nll', 'r2', 'rmse', 'rows']);
  assert.deepEqual(Object.keys(e.tasks.q).sort(), ['coverage', 'intervalWidth', 'level', 'loss', 'pinball', 'rows']);
  m.dispose();
});

test('the metric functions against hand-computed values', () => {
  const y = Float64Array.of(1, 2, 4);
  assert.ok(Math.abs(gaussianNll(Float64Array.of(1, 1, 1), Float64Array.of(1, 1, 4), y) - (0.5 * Math.log(2 * Math.PI) * 3 + 0.5 + 0.5 * Math.log(4) + 9 / 8) / 3) < 1e-14);
  // λ − y log λ + log y!: λ = 2 → 2 − log 2 + 0, 2 − 2 log 2 + log 2, 2 − 4 log 2 + log 24.
  const want = (3 * 2 - 7 * Math.log(2) + Math.log(2) + Math.log(24)) / 3;
  assert.ok(Math.abs(poissonNll(Float64Array.of(2, 2, 2), y) - want) < 1e-14);
  // One large count takes Stirling's series: log(300!) = lgamma(301) = 1414.905849945068 (Python's math.lgamma).
  assert.ok(Math.abs(poissonNll(Float64Array.of(300), Float64Array.of(300)) - (300 - 300 * Math.log(300) + 1414.905849945068)) < 1e-9);
  assert.ok(Math.abs(pinballLoss(Float64Array.of(0, 2, 3, 3), [0.25, 0.75], Float64Array.of(1, 4)) - ((0.25 * 1 + 0.25 * 1) / 2 + (0.25 * 1 + 0.75 * 1) / 2) / 2) < 1e-15);
  assert.equal(intervalCoverage(Float64Array.of(0, 0, 5), Float64Array.of(1, 1.5, 6), y, { mask: [1, 1, 0] }), 0.5);
  assert.equal(intervalWidth(Float64Array.of(0, 1), Float64Array.of(2, 5)), 3);
  expectError(() => poissonNll(Float64Array.of(1), Float64Array.of(1.5)), ArgumentError, 'E_ARGUMENT', /poissonNll: counts\[0\] must be a whole number ≥ 0, got 1.5/);
  expectError(() => gaussianNll(Float64Array.of(1), Float64Array.of(0), Float64Array.of(1)), ArgumentError, 'E_ARGUMENT', /gaussianNll: variances\[0\] must be finite and > 0, got 0/);
  assert.ok(Number.isNaN(intervalCoverage(Float64Array.of(0), Float64Array.of(1), Float64Array.of(0), { mask: [0] })));
  // A quantile that is not finite, and an interval upside down, were scored (NaN or Infinity; coverage 0, width −4).
  expectError(() => pinballLoss(Float64Array.of(0, NaN), [0.25, 0.75], Float64Array.of(1)), ArgumentError, 'E_ARGUMENT', /^pinballLoss: quantiles\[1\] \(row 0, level 0\.75\) must be finite, got NaN$/);
  expectError(() => pinballLoss(Float64Array.of(Infinity), [0.5], Float64Array.of(1)), ArgumentError, 'E_ARGUMENT', /quantiles\[0\] \(row 0, level 0\.5\) must be finite, got Infinity/);
  assert.equal(pinballLoss(Float64Array.of(NaN, 2), [0.5], Float64Array.of(1, 2), { mask: [0, 1] }), 0, 'a row left out by the mask is not read');
  for (const [name, fn] of [['intervalCoverage', () => intervalCoverage(Float64Array.of(0, 5), Float64Array.of(1, 1), Float64Array.of(0, 3))], ['intervalWidth', () => intervalWidth(Float64Array.of(0, 5), Float64Array.of(1, 1))]]) {
    expectError(fn, ArgumentError, 'E_ARGUMENT', new RegExp(`^${name}: row 1: lower 5 is above upper 1; pass the bounds as \\(lower, upper\\)$`));
  }
  assert.equal(intervalWidth(Float64Array.of(2), Float64Array.of(2)), 0, 'an empty interval is allowed');
});

test('the model file round-trips each kind: both loaders predict what the model does, bit for bit', async () => {
  const m = distributionModel(3);
  const x = Array.from({ length: 30 }, (_, i) => [Math.cos(i)]);
  await m.fit(x, { g: Y.slice(0, 30), q: Y.slice(0, 30), c: COUNTS.slice(0, 30) }, { epochs: 4, batchSize: 10 });
  const bits = predictionBits;
  for (const weights of ['f32', 'f16']) {
    const bytes = m.save({ weights });
    const full = loadModel(bytes), lean = infer.loadModel(bytes);
    if (weights === 'f32') assert.equal(bits(full.predict(x)), bits(m.predict(x)));
    assert.equal(bits(lean.predict(x)), bits(full.predict(x)), weights);
    assert.equal(bits(lean.predict(x, { level: 0.8 })), bits(full.predict(x, { level: 0.8 })), `${weights}, level 0.8`);
    assert.deepEqual(lean.tasks.map((t) => [t.name, t.kind, t.width]), [['g', 'gaussian', 2], ['q', 'quantile', 3], ['c', 'poisson', 1]]);
    full.dispose();
    lean.dispose();
  }
  // A forged header: levels that do not increase, or a width that is not the head's, are refused by both loaders.
  const bytes = m.save();
  const forged = [
    withHeader(bytes, (h) => ({ ...h, tasks: h.tasks.map((t) => (t.name === 'q' ? { ...t, quantiles: [0.9, 0.5, 0.1] } : t)) })),
    withHeader(bytes, (h) => ({ ...h, schema: { ...h.schema, tasks: { ...h.schema.tasks, g: { width: 1 } } } })),
    withHeader(bytes, (h) => ({ ...h, targetStats: { ...h.targetStats, c: { mean: 0, std: 1 } } })),
  ];
  for (const [i, f] of forged.entries()) {
    for (const load of [loadModel, infer.loadModel]) assert.throws(() => load(f), (e) => e.code === 'E_MODEL_FORMAT' && (load === loadModel ? e instanceof ModelFormatError : true), `forged ${i}`);
  }
  m.dispose();
});

test('specs, labels and combinations that cannot work are typed errors naming the task and row', async () => {
  assert.deepEqual(tasks.quantile('y').quantiles, DEFAULT_QUANTILES);
  assert.deepEqual(DEFAULT_QUANTILES, [0.05, 0.5, 0.95]);
  expectError(() => tasks.gaussian('y', { loss: { type: 'mse' } }), ArgumentError, 'E_ARGUMENT', /tasks.gaussian\('y'\): a gaussian task trains on its own loss \(gaussianNll\); loss does not apply/);
  expectError(() => tasks.quantile('y', { quantiles: [0.5, 0.2] }), ArgumentError, 'E_ARGUMENT', /tasks.quantile\('y'\): quantiles: quantiles must increase strictly/);
  expectError(() => tasks.quantile('y', { quantiles: [] }), ArgumentError, 'E_ARGUMENT', /quantiles must be a non-empty array/);
  expectError(() => tasks.gaussian('y', { quantiles: [0.5] }), ArgumentError, 'E_ARGUMENT', /quantiles applies to quantile tasks only/);
  expectError(() => tasks.poisson('y', { classWeights: [1, 2] }), ArgumentError, 'E_ARGUMENT', /classWeights do not apply to a poisson task/);
  const m = new MultiTaskModel({ input: { features: 1 }, architecture: ARCH, tasks: [tasks.poisson('c'), tasks.gaussian('g')] });
  const x = [[0], [1], [2]];
  await assert.rejects(m.fit(x, { c: [1, 2.5, 3] }, { epochs: 1 }), (e) => e instanceof ArgumentError && /task "c", row 1: label 2.5 is not a count; a poisson task needs whole numbers from 0 to 16777216/.test(e.message));
  await assert.rejects(m.fit(x, { c: [1, -1, 3] }, { epochs: 1 }), (e) => e instanceof ArgumentError && /task "c", row 1: label -1 is not a count/.test(e.message));
  // A Dataset's labels are float32: shown as written (13.9), not as 13.899999618530273; a float64 as it is.
  const counts = Dataset.fromColumns({ x: [0, 1, 2], c: [1, 13.9, 3] }, { features: { x: 'numeric' }, targets: { c: 'regression' } });
  const fromData = new MultiTaskModel({ input: counts, architecture: ARCH, tasks: [tasks.poisson('c')] });
  await assert.rejects(fromData.fit(counts, { epochs: 1 }), (e) => e instanceof ArgumentError && /task "c", row 1: label 13\.9 is not a count;/.test(e.message));
  fromData.dispose();
  await assert.rejects(m.fit(x, { c: [1, 0.1 + 0.2, 3] }, { epochs: 1 }), (e) => e instanceof ArgumentError && /task "c", row 1: label 0\.30000000000000004 is not a count;/.test(e.message));
  await assert.rejects(m.fit(x, { g: [1, 'a', 3] }, { epochs: 1 }), (e) => e instanceof ArgumentError && /task "g", row 1: label "a" is not a number/.test(e.message));
  m.dispose();
  // A head reading a distribution's parameters would get no gradient through them.
  expectError(() => new MultiTaskModel({ input: { features: 1 }, architecture: ARCH, tasks: [tasks.gaussian('g'), tasks.regression('r', { inputsFrom: ['g'] })] }),
    ArgumentError, 'E_ARGUMENT', /task "r" reads from the gaussian task "g": a head cannot read a distribution/);
  const members = [1, 2].map((seed) => new MultiTaskModel({ input: { features: 1 }, architecture: ARCH, seed, tasks: [tasks.quantile('q')] }));
  expectError(() => new Ensemble(members), ArgumentError, 'E_ARGUMENT', /task "q" is a quantile task; combining predicted distributions is not supported/);
  for (const e of members) e.dispose();
});

test('the training losses are ≥ 0 (the NLLs less their least value), so strategies that take logs and ratios of them train', async () => {
  const x = Array.from({ length: 60 }, (_, i) => [Math.sin(i), Math.cos(i)]);
  const labels = { g: Y.slice(0, 60), q: Y.slice(0, 60), c: COUNTS.slice(0, 60) };
  for (const type of ['famo', 'stch', 'dbmtl', 'gls']) {
    const m = new MultiTaskModel({
      input: { features: 2 }, architecture: ARCH, seed: 6, weighting: { type }, optimizer: { type: 'adam', learningRate: 0.01 },
      tasks: [tasks.gaussian('g'), tasks.quantile('q'), tasks.poisson('c')],
    });
    const history = await m.fit(x, labels, { epochs: 5, batchSize: 20 });
    const e = m.evaluate(x, labels);
    for (const t of ['g', 'q', 'c']) {
      assert.ok(e.tasks[t].loss >= 0 && Number.isFinite(e.tasks[t].loss), `${type}: task ${t} loss ${e.tasks[t].loss}`);
    }
    assert.ok(history.get('loss').every(Number.isFinite), `${type}: training losses ${history.get('loss')}`);
    m.dispose();
  }
});
