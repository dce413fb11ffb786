// Gaussian mixtures: the EM kernels of assembly/gmm.ts against f64 references
// (the E-step's log-densities through a different route: solving with the
// Cholesky factor rather than multiplying by its stored inverse), recovery of a
// seeded synthetic mixture's parameters, the lower bound never decreasing, the
// scores and criteria, and typed errors.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, GaussianMixture, ArgumentError, ShapeError } from '../../dist/index.js';
import { runtime, heapF32 } from '../../dist/internal.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import { fullCov, mixtureLogDensityRef, mStepRef, seededNormals } from '../helpers/cluster-reference.js';

before(async () => { await init(); });

const TYPES = { full: 0, diag: 1, spherical: 2 };

/**
 * n rows from a mixture: component j (chosen with probability weights[j] by a
 * seeded draw) is means[j] + A_j·z with z standard normal, so its covariance is A_j·A_jᵀ.
 */
function sampleMixture(n, { weights, means, factors }, seed) {
  const d = means[0].length;
  const z = seededNormals(n * d, seed), u = seededValues(n, seed + 1).map((v) => (v + 1) / 2);
  const x = new Float32Array(n * d), comp = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let j = 0, acc = weights[0];
    while (u[i] >= acc && j < weights.length - 1) acc += weights[++j];
    comp[i] = j;
    for (let a = 0; a < d; a++) {
      let v = means[j][a];
      for (let b = 0; b < d; b++) v += factors[j][a][b] * z[i * d + b];
      x[i * d + a] = v;
    }
  }
  return { x, comp };
}

const covOf = (A) => A.map((row, a) => A.map((_, b) => row.reduce((s, v, t) => s + v * A[b][t], 0)));

// --- kernels ------------------------------------------------------------------

test('gmmMStep and gmmEStep vs f64 references, every covariance type, d below/at/above 4', () => {
  const { allocator, kernels } = runtime('test');
  for (const [type, code] of Object.entries(TYPES)) {
    for (const d of [1, 3, 4, 5]) {
      for (const k of [1, 3]) {
        const n = 120;
        const xs = seededValues(n * d, d * 10 + k).map((v, i) => v * (1 + (i % d)) + (i % 3));
        const r = seededValues(n * k, d + k).map((v) => v + 1.1);
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let j = 0; j < k; j++) s += r[i * k + j];
          for (let j = 0; j < k; j++) r[i * k + j] /= s;
        }
        const resp64 = Float64Array.from(r);
        const ptrs = [];
        const alloc = (bytes) => { const p = allocator.alloc(bytes); ptrs.push(p); return p; };
        const x = alloc(n * d * 4), resp = alloc(n * k * 8), nk = alloc(k * 8), means = alloc(k * d * 8);
        const covs = alloc(k * d * d * 8), prec = alloc(k * d * d * 8), logDet = alloc(k * 8), logW = alloc(k * 8);
        const scratch = alloc((d + k) * 8), logProb = alloc(n * 8), resp2 = alloc(n * k * 8);
        heapF32().set(xs, x >>> 2);
        new Float64Array(heapF32().buffer, resp, n * k).set(resp64);
        const reg = 1e-3;
        assert.equal(kernels.gmmMStep(n, d, k, code, x, resp, reg, nk, means, covs, prec, logDet, logW, scratch), 0);
        const f64 = (p, len) => new Float64Array(heapF32().buffer, p, len).slice();
        const ref = mStepRef(Float64Array.from(xs), n, d, resp64, k, reg);
        const label = `${type} d=${d} k=${k}`;
        assertClose(f64(nk, k), ref.nk, { atol: 0, rtol: 1e-13, label: `${label}: nk` });
        assertClose(f64(means, k * d), ref.means.flatMap((m) => Array.from(m)), { atol: 1e-13, rtol: 1e-12, label: `${label}: means` });
        const expected = ref.covs.flatMap((c) => {
          const diag = Array.from({ length: d }, (_, a) => c[a * d + a]);
          if (type === 'full') return Array.from(c);
          if (type === 'diag') return diag;
          return [diag.reduce((s, v) => s + v, 0) / d];
        });
        assertClose(f64(covs, expected.length), expected, { atol: 1e-13, rtol: 1e-11, label: `${label}: covariances` });
        assertClose(f64(logW, k), ref.weights.map(Math.log), { atol: 1e-14, rtol: 1e-13, label: `${label}: log weights` });

        // E-step with the parameters just estimated vs the density from plain parameters.
        const covsPlain = Array.from({ length: k }, (_, j) => {
          const per = type === 'full' ? d * d : type === 'diag' ? d : 1;
          const c = expected.slice(j * per, (j + 1) * per);
          if (type === 'full') return Float64Array.from(c);
          return fullCov(type, type === 'diag' ? c : c[0], d);
        });
        const total = kernels.gmmEStep(n, d, k, code, x, means, prec, logDet, logW, resp2, logProb, scratch);
        const lp = mixtureLogDensityRef(Float64Array.from(xs), n, d, ref.weights, ref.means, covsPlain);
        assertClose(f64(logProb, n), lp, { atol: 1e-10, rtol: 1e-11, label: `${label}: log-likelihood per row` });
        assertClose([total], [lp.reduce((s, v) => s + v, 0)], { atol: 1e-9, rtol: 1e-12, label: `${label}: total` });
        const rr = f64(resp2, n * k);
        for (let i = 0; i < n; i++) {
          const s = rr.subarray(i * k, (i + 1) * k).reduce((a, v) => a + v, 0);
          assert.ok(Math.abs(s - 1) < 1e-12, `${label}: row ${i} responsibilities sum to 1`);
        }
        for (const p of ptrs) allocator.free(p);
      }
    }
  }
});

test('E-step is stable in log space: a row far from every component has a finite log-likelihood', () => {
  const gm = new GaussianMixture({ nComponents: 2, covarianceType: 'diag', seed: 1 })
    .fit(Array.from({ length: 40 }, (_, i) => [i % 2 ? 5 + (i % 7) * 0.1 : -5 + (i % 5) * 0.1, (i % 3) * 0.2]));
  const [far] = gm.scoreSamples([[1e4, -1e4]]);
  assert.ok(Number.isFinite(far) && far < -1e5, `log p = ${far}`);
  const p = Array.from(gm.predictProba([[1e4, -1e4]]).data);
  assert.ok(Math.abs(p[0] + p[1] - 1) < 1e-6 && p.every(Number.isFinite));
});

// --- the model ----------------------------------------------------------------

const TRUE = {
  full: {
    weights: [0.5, 0.3, 0.2],
    means: [[0, 0], [6, 1], [-1, 7]],
    factors: [[[1, 0], [0.6, 0.8]], [[0.5, 0], [-0.3, 1.2]], [[1.5, 0], [0, 0.4]]],
  },
  diag: {
    weights: [0.4, 0.35, 0.25],
    means: [[0, 0, 0], [8, 0, 2], [0, 8, -3]],
    factors: [[[1, 0, 0], [0, 2, 0], [0, 0, 0.5]], [[0.7, 0, 0], [0, 0.7, 0], [0, 0, 1.5]], [[1.2, 0, 0], [0, 0.4, 0], [0, 0, 1]]],
  },
  spherical: {
    weights: [0.6, 0.4],
    means: [[0, 0, 0, 0], [5, 5, -5, 5]],
    factors: [[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], [[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0], [0, 0, 0, 2]]],
  },
};

test('GaussianMixture recovers a seeded synthetic mixture: weights ±0.03, means ±0.15, covariances ±0.15·(1 + |Σ|)', () => {
  for (const [type, truth] of Object.entries(TRUE)) {
    const n = 4000, d = truth.means[0].length, k = truth.weights.length;
    const { x } = sampleMixture(n, truth, 7);
    const gm = new GaussianMixture({ nComponents: k, covarianceType: type, seed: 3 }).fit({ data: x, rows: n, cols: d });
    assert.ok(gm.converged, `${type}: converged in ${gm.nIter} steps`);
    // Match each true component to the nearest fitted mean.
    const fitted = gm.means;
    for (let j = 0; j < k; j++) {
      const m = truth.means[j];
      let best = 0;
      for (let t = 1; t < k; t++) if (Math.hypot(...fitted[t].map((v, f) => v - m[f])) < Math.hypot(...fitted[best].map((v, f) => v - m[f]))) best = t;
      const label = `${type} component ${j}`;
      assertClose(fitted[best], m, { atol: 0.15, rtol: 0, label: `${label}: mean` });
      assert.ok(Math.abs(gm.weights[best] - truth.weights[j]) < 0.03, `${label}: weight ${gm.weights[best]} vs ${truth.weights[j]}`);
      const trueCov = covOf(truth.factors[j]);
      const c = gm.covariances[best];
      const got = type === 'full' ? c.flat() : type === 'diag' ? c : [c];
      const want = type === 'full' ? trueCov.flat() : type === 'diag' ? trueCov.map((r, a) => r[a]) : [trueCov[0][0]];
      assertClose(got, want, { atol: 0.15, rtol: 0.15, label: `${label}: covariance` });
    }
    const total = gm.weights.reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(total - 1) < 1e-12, 'weights sum to 1');
  }
});

test('the lower bound never decreases across EM steps (every covariance type, k-means and random starts)', () => {
  const { x } = sampleMixture(1500, TRUE.full, 11);
  for (const type of Object.keys(TYPES)) {
    for (const initParams of ['kmeans', 'random']) {
      for (const regCovar of [0, 1e-6]) {
        const gm = new GaussianMixture({ nComponents: 4, covarianceType: type, initParams, regCovar, tol: 1e-10, maxIter: 60, seed: 2 })
          .fit({ data: x, rows: 1500, cols: 2 });
        const lb = gm.lowerBounds;
        assert.ok(lb.length >= 3, `${type}/${initParams}: ${lb.length} steps`);
        for (let i = 1; i < lb.length; i++) {
          // EM is monotone; allow only f64 rounding of a mean over 1500 rows.
          assert.ok(lb[i] >= lb[i - 1] - 1e-12 * Math.abs(lb[i - 1]),
            `${type}/${initParams}/reg ${regCovar}: step ${i} lowered the bound ${lb[i - 1]} → ${lb[i]}`);
        }
        assert.equal(gm.lowerBound, lb.at(-1));
      }
    }
  }
});

test('scores, probabilities, predict, bic/aic against the fitted parameters; anomaly scores flag an outlier', () => {
  const truth = TRUE.full;
  const { x } = sampleMixture(1200, truth, 5);
  const pts = { data: x, rows: 1200, cols: 2 };
  for (const type of Object.keys(TYPES)) {
    const gm = new GaussianMixture({ nComponents: 3, covarianceType: type, seed: 1 }).fit(pts);
    const covs = gm.covariances.map((c) => fullCov(type, c, 2));
    const ref = mixtureLogDensityRef(Float64Array.from(x), 1200, 2, gm.weights, gm.means, covs);
    // The model evaluates f32(x − column means): each coordinate moves by ≤ 2⁻²⁴·|x − mean|,
    // so log p by about |Σ⁻¹(x − μ)|·that, below 1e-5 here (the kernel test holds 1e-11).
    const samples = gm.scoreSamples(pts);
    assertClose(samples, ref, { atol: 1e-5, rtol: 1e-6, label: `${type}: scoreSamples` });
    const total = samples.reduce((s, v) => s + v, 0);
    assertClose([gm.score(pts)], [total / 1200], { atol: 1e-12, rtol: 1e-12, label: 'score' });
    const p = { full: 3 * 3 + 6 + 2, diag: 3 * 2 + 6 + 2, spherical: 3 + 6 + 2 }[type];
    assert.equal(gm.nParameters, p);
    assertClose([gm.bic(pts)], [-2 * total + p * Math.log(1200)], { atol: 1e-7, rtol: 1e-10, label: 'bic' });
    assertClose([gm.aic(pts)], [-2 * total + 2 * p], { atol: 1e-7, rtol: 1e-10, label: 'aic' });
    const { data, rows, cols } = gm.predictProba(pts);
    assert.ok(data instanceof Float64Array && rows === 1200 && cols === 3);
    const proba = Array.from({ length: rows }, (_, i) => Array.from(data.subarray(i * cols, (i + 1) * cols)));
    const labels = gm.predict(pts);
    proba.forEach((row, i) => {
      assert.ok(Math.abs(row.reduce((s, v) => s + v, 0) - 1) < 1e-5, 'rows sum to 1');
      assert.equal(labels[i], row.indexOf(Math.max(...row)), `row ${i}: predict = argmax`);
    });
    const scores = gm.anomalyScores([[0, 0], [30, -30], [6, 1]]);
    assert.ok(scores[1] > scores[0] + 50 && scores[1] > scores[2] + 50, `outlier scores highest: ${scores}`);
  }
  // The full model fits this correlated data better than the others (lower BIC).
  const bic = Object.fromEntries(Object.keys(TYPES).map((t) => [t, new GaussianMixture({ nComponents: 3, covarianceType: t, seed: 1 }).fit(pts).bic(pts)]));
  assert.ok(bic.full < bic.diag && bic.full < bic.spherical, JSON.stringify(bic));
});

test('seeded and reproducible; nInit keeps the highest lower bound', () => {
  const { x } = sampleMixture(800, TRUE.full, 9);
  const pts = { data: x, rows: 800, cols: 2 };
  const a = new GaussianMixture({ nComponents: 3, seed: 4, initParams: 'random' }).fit(pts);
  const b = new GaussianMixture({ nComponents: 3, seed: 4, initParams: 'random' }).fit(pts);
  assert.deepEqual(a.means, b.means);
  assert.deepEqual(a.lowerBounds, b.lowerBounds);
  const one = new GaussianMixture({ nComponents: 3, seed: 4, initParams: 'random', maxIter: 5 }).fit(pts);
  const three = new GaussianMixture({ nComponents: 3, seed: 4, initParams: 'random', maxIter: 5, nInit: 3 }).fit(pts);
  assert.ok(three.lowerBound >= one.lowerBound, `${three.lowerBound} ≥ ${one.lowerBound}`);
});

test('bad input gives typed errors before any kernel runs', () => {
  const is = (Type, re) => (e) => e instanceof Type && re.test(e.message);
  const pts = [[0, 0], [1, 1], [0, 1], [1, 0], [5, 5], [6, 5]];
  assert.throws(() => new GaussianMixture({ nComponents: 0 }), is(ArgumentError, /nComponents must be an integer ≥ 1, got 0/));
  assert.throws(() => new GaussianMixture({ covarianceType: 'tied' }), is(ArgumentError, /covarianceType must be "full", "diag" or "spherical", got "tied"/));
  assert.throws(() => new GaussianMixture({ n_components: 2 }), is(ArgumentError, /unknown option "n_components"/));
  assert.throws(() => new GaussianMixture({ regCovar: -1 }), is(ArgumentError, /regCovar must be a finite number ≥ 0/));
  assert.throws(() => new GaussianMixture({ initParams: 'k-means++' }), is(ArgumentError, /initParams must be "kmeans" or "random"/));
  assert.throws(() => new GaussianMixture({ nComponents: 3 }).fit([[1, 1], [1, 1], [2, 2], [1, 1]]), is(ArgumentError, /nComponents = 3 is larger than the number of distinct rows \(2\)/));
  assert.throws(() => new GaussianMixture({ nComponents: 2 }).fit([]), is(ShapeError, /points has no rows/));
  assert.throws(() => new GaussianMixture({ nComponents: 2 }).fit([[0, 0], [1, NaN], [2, 2]]), is(ArgumentError, /row 1, column 1 is NaN/));
  assert.throws(() => new GaussianMixture().scoreSamples(pts), is(ArgumentError, /not fitted yet/));
  const gm = new GaussianMixture({ nComponents: 2, seed: 1 }).fit(pts);
  assert.throws(() => gm.predict([[1, 2, 3]]), is(ShapeError, /row 0 has 3 values, expected 2 \(the model was fitted on 2 features\)/));
  assert.throws(() => gm.scoreSamples({ data: new Float32Array(3), rows: 1, cols: 3 }), is(ShapeError, /points have 3 columns, expected 2/));
  // A constant feature with no regularization: the covariance is singular.
  const flat = Array.from({ length: 20 }, (_, i) => [i % 5, 1]);
  for (const covarianceType of ['full', 'diag', 'spherical']) {
    if (covarianceType === 'spherical') continue; // the spherical variance averages the features: still positive
    assert.throws(() => new GaussianMixture({ nComponents: 1, covarianceType, regCovar: 0 }).fit(flat),
      is(ArgumentError, /covariance of component 0 is not positive definite.*raise regCovar \(now 0\)/));
  }
  assert.doesNotThrow(() => new GaussianMixture({ nComponents: 1 }).fit(flat), 'regCovar 1e-6 keeps it definite');
});
