// Gaussian mixtures: the EM kernels of assembly/gmm.ts against f64 references
// (the E-step's log-densities through a different route: solving with the
// Cholesky factor rather than multiplying by its stored inverse), recovery of a
// seeded synthetic mixture's parameters, the lower bound never decreasing, the
// scores and criteria, and typed errors.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, GaussianMixture, ArgumentError, ShapeError, ConvergenceWarning, captureWarnings } from '../../dist/index.js';
import { runtime, heapF32 } from '../../dist/internal.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import {
  choleskyRef, colMediansRef, fullCov, gmmSampleRef, mixtureLogDensityRef, mStepRef, seededNormals,
} from '../helpers/cluster-reference.js';
import { XoshiroRef } from '../helpers/nn-reference.js';
import { expectError } from '../helpers/errors.js';
import { screenOnOff } from '../helpers/rounding-screen.js';

before(async () => { await init(); });

const TYPES = { full: 0, diag: 1, spherical: 2, tied: 3 };

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

test('gmmMStep and gmmEStep vs f64 references, every covariance type, d below/at/above 4, with and without sample weights, in one chunk and in several (src/threads/parallel.ts)', () => {
  const { allocator, kernels } = runtime('test');
  for (const [type, code] of Object.entries(TYPES)) {
    for (const d of [1, 3, 4, 5]) {
      for (const [k, weighted, chunked] of [[1, false, false], [3, false, false], [3, true, false], [2, true, false], [3, false, true], [2, true, true]]) {
        // 1,337 rows: five chunks of the chunked E- and M-steps, the last one longer.
        const n = (chunked ? 1337 : 120) + (weighted ? 1 : 0);
        // Weights in [0, 2.5), every seventh 0.
        const ws = weighted ? Float64Array.from(seededValues(n, d + 40 * k), (v, i) => (i % 7 === 3 ? 0 : 1.25 + 1.25 * v)) : null;
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
        const w = ws ? alloc(n * 8) : 0;
        heapF32().set(xs, x >>> 2);
        new Float64Array(heapF32().buffer, resp, n * k).set(resp64);
        if (ws) new Float64Array(heapF32().buffer, w, n).set(ws);
        const reg = 1e-3;
        assert.equal(kernels.gmmMStep(n, d, k, code, x, resp, reg, nk, means, covs, prec, logDet, logW, scratch, w), 0);
        const f64 = (p, len) => new Float64Array(heapF32().buffer, p, len).slice();
        const ref = mStepRef(Float64Array.from(xs), n, d, resp64, k, reg, ws);
        const label = `${type} d=${d} k=${k} n=${n}${ws ? ' weighted' : ''}`;
        assertClose(f64(nk, k), ref.nk, { atol: 0, rtol: 1e-13, label: `${label}: nk` });
        assertClose(f64(means, k * d), ref.means.flatMap((m) => Array.from(m)), { atol: 1e-13, rtol: 1e-12, label: `${label}: means` });
        const expected = type === 'tied' ? Array.from(ref.tied) : ref.covs.flatMap((c) => {
          const diag = Array.from({ length: d }, (_, a) => c[a * d + a]);
          if (type === 'full') return Array.from(c);
          if (type === 'diag') return diag;
          return [diag.reduce((s, v) => s + v, 0) / d];
        });
        // tied: Σ w x xᵀ − Σ nk μ μᵀ cancels to about eps·|x|² (|x| ≤ 7 here).
        assertClose(f64(covs, expected.length), expected, { atol: type === 'tied' ? 1e-12 : 1e-13, rtol: 1e-11, label: `${label}: covariances` });
        assertClose(f64(logW, k), ref.weights.map(Math.log), { atol: 1e-14, rtol: 1e-13, label: `${label}: log weights` });

        // E-step with the parameters just estimated vs the density from plain parameters.
        const covsPlain = Array.from({ length: k }, (_, j) => {
          if (type === 'tied') return Float64Array.from(expected);
          const per = type === 'full' ? d * d : type === 'diag' ? d : 1;
          const c = expected.slice(j * per, (j + 1) * per);
          if (type === 'full') return Float64Array.from(c);
          return fullCov(type, type === 'diag' ? c : c[0], d);
        });
        const total = kernels.gmmEStep(n, d, k, code, x, means, prec, logDet, logW, resp2, logProb, scratch, w);
        const lp = mixtureLogDensityRef(Float64Array.from(xs), n, d, ref.weights, ref.means, covsPlain);
        assertClose(f64(logProb, n), lp, { atol: 1e-10, rtol: 1e-11, label: `${label}: log-likelihood per row` });
        assertClose([total], [lp.reduce((s, v, i) => s + (ws ? ws[i] : 1) * v, 0)], { atol: 1e-9, rtol: 1e-12, label: `${label}: total (weighted)` });
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

/**
 * The f64 reference of gmmUnresolvedRow's test for one row (assembly/gmm.ts): each
 * component's log-likelihood and the bound on its rounding error, then whether two
 * of them lie within their errors (+ 37) while those reach 2^-20. No radius: every row is looked at.
 */
function unresolvedRef(row, d, k, type, means, W, logDet, logW) {
  const u = 2 ** -53, perB = (2 * d + 6) * u, half = d * 1.8378770664093453;
  const lp = [], err = [];
  for (let j = 0; j < k; j++) {
    const mu = means[j], w = W[type === 'tied' ? 0 : j];
    const diff = Array.from({ length: d }, (_, f) => row[f] - mu[f]);
    let q = 0, bound = 0;
    if (type === 'diag') for (let f = 0; f < d; f++) { const e = diff[f] * w[f]; q += e * e; }
    else if (type === 'spherical') { for (let f = 0; f < d; f++) q += diff[f] * diff[f]; q *= w[0] * w[0]; }
    else {
      for (let a = 0; a < d; a++) {
        let y = 0, abs = 0;
        for (let b = 0; b <= a; b++) { y += w[a * d + b] * diff[b]; abs += Math.abs(w[a * d + b]) * Math.abs(diff[b]); }
        q += y * y;
        bound += abs * abs;
      }
    }
    const v = -0.5 * (half + q) + logDet[j] + logW[j];
    lp.push(v);
    err.push(perB * (type === 'full' || type === 'tied' ? bound : q) + 4 * u * Math.abs(v));
  }
  const best = lp.indexOf(Math.max(...lp));
  return lp.some((v, j) => j !== best && err[best] + err[j] >= 2 ** -20 && lp[best] - v < err[best] + err[j] + 37);
}

test('gmmUnresolvedRow flags exactly the rows the f64 reference does, at every scale up to 3e38 (its radius skips none it should look at)', () => {
  const { allocator, kernels } = runtime('test');
  for (const [type, code] of Object.entries(TYPES)) {
    for (const [d, shared] of [[1, true], [2, true], [3, true], [1, false], [3, false]]) {
      const k = 3;
      const r = seededValues(k * d * d + k * d + 8, 7 * d + code);
      let t = 0;
      const next = () => r[t++];
      const means = Array.from({ length: k }, () => Array.from({ length: d }, () => 6 * next()));
      // W: lower triangular with a positive diagonal (full, tied), d positive values (diag), one (spherical);
      // shared: one for all (clusters of one shape), whose log-likelihoods far away differ by little.
      const W = Array.from({ length: type === 'tied' || shared ? 1 : k }, () => {
        if (type === 'spherical') return [1.2 + next()];
        if (type === 'diag') return Array.from({ length: d }, () => 1.2 + next());
        return Array.from({ length: d * d }, (_, at) => (at % d === Math.floor(at / d) ? 1.2 + next() : at % d < Math.floor(at / d) ? 0.4 * next() : 0));
      });
      if (type !== 'tied' && shared) W.push(W[0], W[0]);
      const logDetOf = (w) => (type === 'spherical' ? d * Math.log(w[0]) : type === 'diag' ? w.reduce((s, v) => s + Math.log(v), 0)
        : Array.from({ length: d }, (_, a) => Math.log(w[a * d + a])).reduce((s, v) => s + v, 0));
      const logDet = Array.from({ length: k }, (_, j) => logDetOf(W[type === 'tied' ? 0 : j]));
      const logW = [0.5, 0.3, 0.2].map(Math.log);
      // Rows at every scale: along each mean, between two means, and in seeded directions.
      const dirs = [...means, means[0].map((v, f) => (v + means[1][f]) / 2), ...Array.from({ length: 3 }, (_, i) => seededValues(d, 100 + i))];
      const rows = [];
      for (const scale of [1, 30, 1e3, 1e5, 1e7, 1e9, 1e12, 1e14, 1e15, 1e16, 1e17, 1e18, 1e21, 1e30, 3e38]) {
        for (const dir of dirs) {
          const norm = Math.hypot(...dir) || 1;
          rows.push(Float32Array.from(dir, (v) => (v / norm) * scale));
        }
      }
      const ptrs = [];
      const alloc = (bytes) => { const p = allocator.alloc(Math.max(bytes, 16)); ptrs.push(p); return p; };
      const f64 = (values) => { const p = alloc(values.length * 8); new Float64Array(heapF32().buffer, p, values.length).set(values); return p; };
      const mp = f64(means.flat()), wp = f64(W.flat()), ldp = f64(logDet), lwp = f64(logW);
      const x = alloc(d * 4), scratch = alloc((d + 2 * k) * 8);
      const flagged = rows.map((row) => {
        heapF32().set(row, x >>> 2);
        const got = kernels.gmmUnresolvedRow(1, d, k, code, x, mp, wp, ldp, lwp, scratch);
        assert.equal(got === 0, unresolvedRef(row, d, k, type, means, W, logDet, logW), `${type} d=${d} row ${Array.from(row)}`);
        return got === 0;
      });
      assert.ok(flagged.slice(0, 4 * dirs.length).every((f) => !f), `${type} d=${d}: rows within 1e5 are resolved`);
      if (shared) assert.ok(flagged.some((f) => f), `${type} d=${d}: some far row is not`);
      // Several rows at once: the first unresolved one.
      const all = alloc(rows.length * d * 4);
      rows.forEach((row, i) => heapF32().set(row, (all >>> 2) + i * d));
      assert.equal(kernels.gmmUnresolvedRow(rows.length, d, k, code, all, mp, wp, ldp, lwp, scratch), flagged.indexOf(true));
      for (const p of ptrs) allocator.free(p);
    }
  }
});

test('predict and predictProba refuse a row too far for f64 to tell the components apart (naming it), where they gave a far component and probabilities summing to 4', () => {
  // Four clusters of one shape (exact in float32 once centred): far away, their log-likelihoods differ by less than their rounding.
  const shape = [[0, 0], [-0.5, 0.5], [0.5, -0.25], [0.25, -0.75]];
  const pts = [[-4, -4], [4, -4], [-4, 4], [4, 4]].flatMap(([a, b]) => shape.map(([u, v]) => [a + u, b + v]));
  for (const covarianceType of ['full', 'tied', 'diag', 'spherical']) {
    const gm = new GaussianMixture({ nComponents: 4, covarianceType, seed: 5 }).fit(pts);
    const far = [[-4, -4], [4, 4], [0, 4e17]];
    for (const method of ['predict', 'predictProba']) {
      expectError(() => gm[method](far), ArgumentError, 'E_ARGUMENT', new RegExp(`^GaussianMixture\\.${method}: points row 2 lies 4\\.00e\\+17 from ` +
        'the fitted column medians, too far for its log-likelihoods under the components to be told apart in float64 .*; rescale the data$'), { label: `${covarianceType} ${method}` });
    }
    // The log-likelihood of such a row is still right to f64's precision: scoreSamples and score answer.
    assert.ok(gm.scoreSamples(far).every(Number.isFinite) && gm.scoreSamples(far)[2] < -1e33, covarianceType);
    // Far rows whose components f64 does tell apart get probabilities summing to 1 and the most likely component.
    const farButResolved = [[1e12, 3e11], [-2e9, 7e9], [5e6, -4e7]];
    const proba = gm.predictProba(farButResolved).data, labels = gm.predict(farButResolved);
    for (let i = 0; i < farButResolved.length; i++) {
      const row = Array.from(proba.subarray(4 * i, 4 * i + 4));
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-12, `${covarianceType} row ${i}: ${row}`);
      assert.equal(labels[i], row.indexOf(Math.max(...row)));
    }
  }
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
        // tol 1e-10 within 60 steps: most do not converge (and warn, collected here).
        const { result: gm } = captureWarnings(() => new GaussianMixture({ nComponents: 4, covarianceType: type, initParams, regCovar, tol: 1e-10, maxIter: 60, seed: 2 })
          .fit({ data: x, rows: 1500, cols: 2 }));
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
    const covs = type === 'tied' ? [0, 1, 2].map(() => Float64Array.from(gm.covariances.flat())) : gm.covariances.map((c) => fullCov(type, c, 2));
    const ref = mixtureLogDensityRef(Float64Array.from(x), 1200, 2, gm.weights, gm.means, covs);
    // The model evaluates f32(x − column medians): each coordinate moves by ≤ 2⁻²⁴·|x − median|,
    // so log p by about |Σ⁻¹(x − μ)|·that, below 1e-5 here (the kernel test holds 1e-11).
    const samples = gm.scoreSamples(pts);
    assertClose(samples, ref, { atol: 1e-5, rtol: 1e-6, label: `${type}: scoreSamples` });
    const total = samples.reduce((s, v) => s + v, 0);
    assertClose([gm.score(pts)], [total / 1200], { atol: 1e-12, rtol: 1e-12, label: 'score' });
    const p = { full: 3 * 3 + 6 + 2, tied: 3 + 6 + 2, diag: 3 * 2 + 6 + 2, spherical: 3 + 6 + 2 }[type];
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
  // 5 steps: not always converged (the warnings are collected).
  const one = captureWarnings(() => new GaussianMixture({ nComponents: 3, seed: 4, initParams: 'random', maxIter: 5 }).fit(pts)).result;
  const three = captureWarnings(() => new GaussianMixture({ nComponents: 3, seed: 4, initParams: 'random', maxIter: 5, nInit: 3 }).fit(pts)).result;
  assert.ok(three.lowerBound >= one.lowerBound, `${three.lowerBound} ≥ ${one.lowerBound}`);
});

test('bad input gives typed errors before any kernel runs', () => {
  const is = (Type, re) => (e) => e instanceof Type && re.test(e.message);
  const pts = [[0, 0], [1, 1], [0, 1], [1, 0], [5, 5], [6, 5]];
  assert.throws(() => new GaussianMixture({ nComponents: 0 }), is(ArgumentError, /nComponents must be an integer ≥ 1, got 0/));
  assert.throws(() => new GaussianMixture({ covarianceType: 'tide' }), is(ArgumentError, /covarianceType must be "full", "tied", "diag" or "spherical", got "tide"/));
  assert.throws(() => new GaussianMixture({ n_components: 2 }), is(ArgumentError, /unknown option "n_components"/));
  assert.throws(() => new GaussianMixture({ regCovar: -1 }), is(ArgumentError, /regCovar must be a finite number ≥ 0/));
  assert.throws(() => new GaussianMixture({ initParams: 'kmeans++' }), is(ArgumentError, /initParams must be "kmeans", "k-means\+\+", "random" or "random_from_data"/));
  assert.throws(() => new GaussianMixture({ nComponents: 5 }).fit([[1, 1], [1, 1], [2, 2], [1, 1]]), is(ArgumentError, /nComponents = 5 is larger than the number of rows \(4\)/));
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

// --- initial parameters, tied covariances, weights, sampling ----------------------

/** A seeded symmetric positive-definite d × d matrix (row-major), well conditioned. */
function spd(d, seed, scale = 1) {
  const a = seededValues(d * d, seed);
  const m = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let t = 0; t < d; t++) m[i * d + j] += a[i * d + t] * a[j * d + t];
  for (let i = 0; i < d; i++) m[i * d + i] += d * 0.5;
  return m.map((v) => v * scale);
}

test('gmmPrecisionsCholesky: W lower triangular with Wᵀ·W = P, log det W = ½ log det P; a non-definite P names its component', () => {
  const { allocator, kernels } = runtime('test');
  const f64 = (p, len) => new Float64Array(heapF32().buffer, p, len).slice();
  for (const d of [1, 2, 3, 4, 5, 7]) {
    for (const [type, code, k] of [['full', 0, 3], ['tied', 3, 2], ['diag', 1, 3], ['spherical', 2, 2]]) {
      const count = type === 'full' ? k * d * d : type === 'tied' ? d * d : type === 'diag' ? k * d : k;
      const P = new Float64Array(count);
      if (type === 'full') for (let j = 0; j < k; j++) P.set(spd(d, d * 10 + j, 0.5 + j), j * d * d);
      else if (type === 'tied') P.set(spd(d, d * 10 + 7));
      else P.set(Float64Array.from(seededValues(count, d + k), (v) => 1.2 + v));
      const pp = allocator.alloc(count * 8), w = allocator.alloc(count * 8), logDet = allocator.alloc(k * 8), scratch = allocator.alloc(d * d * 8);
      new Float64Array(heapF32().buffer, pp, count).set(P);
      assert.equal(kernels.gmmPrecisionsCholesky(d, k, code, pp, w, logDet, scratch), 0, `${type} d=${d}`);
      const W = f64(w, count), ld = f64(logDet, k);
      const label = `${type} d=${d}`;
      if (type === 'diag' || type === 'spherical') {
        assertClose(W.map((v) => v * v), P, { atol: 0, rtol: 1e-15, label: `${label}: W² = P` });
        for (let j = 0; j < k; j++) {
          const row = type === 'diag' ? P.subarray(j * d, (j + 1) * d) : Array(d).fill(P[j]);
          assertClose([ld[j]], [0.5 * Array.from(row).reduce((s2, v) => s2 + Math.log(v), 0)], { atol: 1e-14, rtol: 1e-13, label: `${label}: log det` });
        }
      } else {
        const blocks = type === 'tied' ? 1 : k;
        for (let j = 0; j < blocks; j++) {
          const Wj = W.subarray(j * d * d, (j + 1) * d * d), Pj = P.subarray(j * d * d, (j + 1) * d * d);
          for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) assert.equal(Wj[a * d + b], 0, `${label}: W is lower triangular`);
          const back = new Float64Array(d * d);
          for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) for (let t = 0; t < d; t++) back[a * d + b] += Wj[t * d + a] * Wj[t * d + b];
          assertClose(back, Pj, { atol: 1e-13, rtol: 1e-12, label: `${label} matrix ${j}: Wᵀ·W = P` });
          const L = choleskyRef(Pj, d);
          let half = 0;
          for (let a = 0; a < d; a++) half += Math.log(L[a * d + a]);
          for (const jj of type === 'tied' ? Array.from({ length: k }, (_, t) => t) : [j]) {
            assertClose([ld[jj]], [half], { atol: 1e-13, rtol: 1e-12, label: `${label}: log det W = ½ log det P (component ${jj})` });
          }
        }
        if (d > 1) {
          // Make the last matrix indefinite: its failure names it.
          const bad = Float64Array.from(P);
          const at = (blocks - 1) * d * d;
          bad[at + 1] = bad[at + d] = 10 * (bad[at] + bad[at + d + 1]);
          new Float64Array(heapF32().buffer, pp, count).set(bad);
          assert.equal(kernels.gmmPrecisionsCholesky(d, k, code, pp, w, logDet, scratch), blocks, `${label}: indefinite matrix ${blocks - 1}`);
        }
      }
      for (const p of [pp, w, logDet, scratch]) allocator.free(p);
    }
  }
});

test('sample(n): components by the weights, grouped, each with its mean and covariance (every type); seeded; the model unchanged', () => {
  const { x } = sampleMixture(3000, TRUE.full, 21);
  const pts = { data: x, rows: 3000, cols: 2 };
  for (const type of Object.keys(TYPES)) {
    const gm = new GaussianMixture({ nComponents: 3, covarianceType: type, seed: 5 }).fit(pts);
    const before = gm.scoreSamples(pts);
    const n = 30000;
    const s = gm.sample(n);
    assert.equal(s.rows, n); assert.equal(s.cols, 2); assert.equal(s.data.length, 2 * n);
    for (let i = 1; i < n; i++) assert.ok(s.labels[i] >= s.labels[i - 1], `${type}: rows grouped by component`);
    const covs = type === 'tied' ? [0, 1, 2].map(() => gm.covariances) : gm.covariances.map((c) => Array.from({ length: 2 }, (_, a) => Array.from(fullCov(type, c, 2).subarray(a * 2, a * 2 + 2))));
    for (let j = 0; j < 3; j++) {
      const rows = [];
      for (let i = 0; i < n; i++) if (s.labels[i] === j) rows.push([s.data[2 * i], s.data[2 * i + 1]]);
      const label = `${type} component ${j}`;
      // Binomial count: std √(n·w·(1 − w)) ≤ 87; the mean and covariance of ≥ 2000 rows: a few hundredths.
      assert.ok(Math.abs(rows.length - n * gm.weights[j]) < 400, `${label}: ${rows.length} rows for weight ${gm.weights[j]}`);
      const mean = [0, 1].map((f) => rows.reduce((t, r) => t + r[f], 0) / rows.length);
      assertClose(mean, gm.means[j], { atol: 0.08, rtol: 0, label: `${label}: mean` });
      const cov = [0, 1].map((a) => [0, 1].map((b) => rows.reduce((t, r) => t + (r[a] - mean[a]) * (r[b] - mean[b]), 0) / rows.length));
      assertClose(cov.flat(), covs[j].flat(), { atol: 0.1, rtol: 0.08, label: `${label}: covariance` });
    }
    assert.deepEqual(gm.sample(50), gm.sample(50), `${type}: the same seed gives the same rows`);
    assert.notDeepEqual(gm.sample(50).data, gm.sample(50, { seed: 6 }).data, `${type}: another seed, other rows`);
    assert.deepEqual(gm.scoreSamples(pts), before, `${type}: sampling leaves the model as it was`);
    assert.equal(gm.predict(s).length, n, 'a sample is points');
  }
  expectError(() => new GaussianMixture().sample(3), ArgumentError, 'E_ARGUMENT', /GaussianMixture\.sample: this GaussianMixture is not fitted yet/);
  const gm = new GaussianMixture({ nComponents: 2, seed: 1 }).fit(pts);
  expectError(() => gm.sample(0), ArgumentError, 'E_ARGUMENT', /GaussianMixture\.sample: n must be an integer ≥ 1, got 0/);
  expectError(() => gm.sample(2, { sead: 1 }), ArgumentError, 'E_ARGUMENT', /GaussianMixture\.sample: unknown option "sead"/);
  assert.equal(gm.sample().rows, 1, 'one row by default, as scikit-learn');
});

/**
 * The first lower bound of a start made of k chosen rows (scikit-learn's 'k-means++' and
 * 'random_from_data'): one-hot responsibilities, an M-step, weights nk / Σw, then the
 * mean log-likelihood. xc: the centred f32 data as f64.
 */
function chosenRowsStartRef(xc, n, d, chosen, k, regCovar, weights) {
  const resp = new Float64Array(n * k);
  chosen.forEach((i, j) => { resp[i * k + j] = 1; });
  const ref = mStepRef(xc, n, d, resp, k, regCovar, weights);
  const total = weights ? weights.reduce((s, v) => s + v, 0) : n;
  const lp = mixtureLogDensityRef(xc, n, d, Array.from(ref.nk, (v) => v / total), ref.means, ref.covs);
  return lp.reduce((s, v, i) => s + (weights ? weights[i] : 1) * v, 0) / total;
}

test("initParams 'k-means++' and 'random_from_data': the first lower bound is the reference start's, from the rows the seeded draw picks", () => {
  const { allocator, kernels } = runtime('test');
  const n = 300, d = 2, k = 3, seed = 9, regCovar = 1e-2;
  const { x } = sampleMixture(n, TRUE.full, 31);
  // The model's centring: f32(x − the column's median).
  const median = colMediansRef(x, n, d);
  const xc = Float64Array.from(x, (v, i) => Math.fround(v - median[i % d]));
  const weights = Float64Array.from(seededValues(n, 3), (v, i) => (i % 9 === 0 ? 0 : 1 + v));
  for (const initParams of ['k-means++', 'random_from_data']) {
    for (const w of [null, weights]) {
      // The model's draw: its RNG stream (5) from its seed, the first call after seeding.
      const rng = allocator.alloc(16), px = allocator.alloc(n * d * 4), chosen = allocator.alloc(k * 4), pw = allocator.alloc(n * 8);
      const scratch = allocator.alloc(Math.max(kernels.kmeansPlusPlusScratchBytes(n), n * 8)), centers = allocator.alloc(k * d * 4);
      heapF32().set(xc, px >>> 2);
      if (w) new Float64Array(heapF32().buffer, pw, n).set(w);
      kernels.rngSeed(rng, seed, 5);
      if (initParams === 'k-means++') kernels.kmeansPlusPlus(n, d, k, px, 2 + Math.floor(Math.log(k)), rng, centers, chosen, scratch, w ? pw : 0);
      else if (w) kernels.kmeansSampleWeighted(rng, n, k, pw, scratch, chosen);
      else kernels.kmeansSampleDistinct(rng, n, k, scratch, chosen);
      const rows = Array.from(new Int32Array(heapF32().buffer, chosen, k));
      for (const p of [rng, px, chosen, pw, scratch, centers]) allocator.free(p);
      if (w) assert.ok(rows.every((i) => w[i] > 0), 'weighted draws skip rows of weight 0');
      const { result: gm } = captureWarnings(() => new GaussianMixture({ nComponents: k, initParams, seed, regCovar, maxIter: 2 })
        .fit({ data: x, rows: n, cols: d }, w ? { sampleWeight: w } : undefined));
      const expected = chosenRowsStartRef(xc, n, d, rows, k, regCovar, w);
      assertClose([gm.lowerBounds[0]], [expected], { atol: 1e-9, rtol: 1e-11, label: `${initParams}${w ? ' weighted' : ''}: first lower bound` });
    }
  }
});

test('sampleWeight: all ones is none, bit for bit; a weight of 0 removes its row; score is the weighted mean', () => {
  const { x } = sampleMixture(400, TRUE.full, 41);
  const pts = { data: x, rows: 400, cols: 2 };
  for (const covarianceType of Object.keys(TYPES)) {
    const a = new GaussianMixture({ nComponents: 3, covarianceType, seed: 2 }).fit(pts);
    const b = new GaussianMixture({ nComponents: 3, covarianceType, seed: 2 }).fit(pts, { sampleWeight: new Float32Array(400).fill(1) });
    assert.deepEqual([a.means, a.covariances, a.lowerBounds], [b.means, b.covariances, b.lowerBounds], `${covarianceType}: all ones`);
    // Given starting parameters (no random start): zero weights = the rows left out.
    const start = { weightsInit: a.weights, meansInit: a.means, precisionsInit: a.precisions, covarianceType, nComponents: 3, maxIter: 20, tol: 0 };
    const keep = Array.from({ length: 400 }, (_, i) => i % 4 !== 1);
    const w = keep.map((v) => (v ? 1 : 0));
    const rows = Array.from({ length: 400 }, (_, i) => [x[2 * i], x[2 * i + 1]]);
    const { result: weighted } = captureWarnings(() => new GaussianMixture(start).fit(rows, { sampleWeight: w }));
    const { result: subset } = captureWarnings(() => new GaussianMixture(start).fit(rows.filter((_, i) => keep[i])));
    // Different rows set the centring (their column medians), so float32 rounding differs a little.
    assertClose(weighted.means.flat(), subset.means.flat(), { atol: 1e-5, rtol: 1e-6, label: `${covarianceType}: weight 0 = row removed (means)` });
    assertClose(weighted.lowerBounds, subset.lowerBounds, { atol: 1e-6, rtol: 1e-7, label: `${covarianceType}: lower bounds` });
    const sw = Array.from({ length: 400 }, (_, i) => (i % 3) * 0.5);
    const lp = a.scoreSamples(pts);
    assertClose([a.score(pts, { sampleWeight: sw })], [lp.reduce((s, v, i) => s + sw[i] * v, 0) / sw.reduce((s, v) => s + v, 0)],
      { atol: 1e-12, rtol: 1e-12, label: `${covarianceType}: weighted score` });
  }
});

test('warnings: EM stopped at maxIter (W_NOT_CONVERGED); more components than distinct rows fits and warns; warmStart continues', () => {
  const { x } = sampleMixture(500, TRUE.full, 51);
  const pts = { data: x, rows: 500, cols: 2 };
  const { result: gm, warnings } = captureWarnings(() => new GaussianMixture({ nComponents: 3, maxIter: 1, seed: 1 }).fit(pts));
  assert.equal(gm.converged, false);
  assert.deepEqual(warnings.map((w) => [w.code, w instanceof ConvergenceWarning]), [['W_NOT_CONVERGED', true]]);
  assert.match(warnings[0].message, /GaussianMixture\.fit: EM did not converge: .* maxIter = 1 steps/);
  assert.deepEqual(captureWarnings(() => new GaussianMixture({ nComponents: 3, seed: 1 }).fit(pts)).warnings, [], 'converged: no warning');

  const dup = [[1, 1], [1, 1], [2, 2], [1, 1], [2, 2]];
  const few = captureWarnings(() => new GaussianMixture({ nComponents: 3, covarianceType: 'diag', seed: 1 }).fit(dup));
  assert.deepEqual(few.warnings.map((w) => w.code).slice(0, 1), ['W_FEWER_CLUSTERS']);
  assert.match(few.warnings[0].message, /GaussianMixture\.fit \(its k-means start\): found 2 distinct clusters, fewer than nComponents = 3: the points have only 2 distinct rows, so some centres coincide or stay empty$/);
  assert.ok(few.result.means.flat().every(Number.isFinite) && few.result.weights.every(Number.isFinite));

  // warmStart: the second fit starts where the first stopped (one start; its first change is from the last lower bound).
  const warm = new GaussianMixture({ nComponents: 3, seed: 1, maxIter: 3, tol: 0, warmStart: true, nInit: 4 });
  captureWarnings(() => warm.fit(pts));
  const third = warm.lowerBound;
  captureWarnings(() => warm.fit(pts));
  const six = captureWarnings(() => new GaussianMixture({ nComponents: 3, seed: 1, maxIter: 6, tol: 0, nInit: 4 }).fit(pts)).result;
  // EM never lowers the bound; at its fixed point (reached here) the next one is equal up to f64's rounding.
  assert.ok(warm.lowerBounds[0] >= third - 1e-14 * Math.abs(third), 'the second fit goes on from the first');
  assertClose(warm.means.flat(), six.means.flat(), { atol: 1e-12, rtol: 1e-12, label: '3 + 3 warm steps = 6 steps' });
  assert.equal(warm.nIter, 3);
});

test('one far outlier no longer takes the other values\' detail: 0, 0.1, 0.2, 5, 5.1, 5.2 and one value at 1e12 fit as in float64', () => {
  // Before, the data were centred at the column mean (1.4e11, where float32's step is 16384): the six values lost
  // their detail, and their component came out with mean 587 and variance 1e-6 (regCovar alone). Centred at the
  // median (5), they are held to float32's half step at 5, 2.4e-7: so is their mean, and their variance to twice
  // that times their mean distance from it, 2.5 (1.2e-6); the outlier's mean is 1e12 to float32's half step at its
  // distance from the median (32768).
  const six = [0, 0.1, 0.2, 5, 5.1, 5.2];
  const values = [...six, 1e12];
  const mean = 2.6, variance = six.reduce((s, v) => s + (v - mean) ** 2, 0) / 6 + 1e-6;
  for (const covarianceType of ['full', 'diag', 'spherical']) {
    const gm = new GaussianMixture({ nComponents: 2, covarianceType, seed: 0 }).fit(values.map((v) => [v]));
    const labels = Array.from(gm.predict(values.map((v) => [v])));
    const j = labels[0];
    assert.deepEqual(labels, [j, j, j, j, j, j, 1 - j], `${covarianceType}: components`);
    assertClose([gm.means[j][0]], [mean], { atol: 2 ** -22, rtol: 0, label: `${covarianceType}: the six values' mean` });
    assertClose([gm.covariances.flat(2)[j]], [variance], { atol: 1.3e-6, rtol: 0, label: `${covarianceType}: their variance` });
    assertClose(gm.weights, j === 0 ? [6 / 7, 1 / 7] : [1 / 7, 6 / 7], { atol: 1e-12, rtol: 0, label: `${covarianceType}: weights` });
    assertClose([gm.means[1 - j][0]], [1e12], { atol: 32768, rtol: 0, label: `${covarianceType}: the outlier's mean` });
    // The six values' log-likelihoods are float64's under the fitted parameters (the outlier's component adds
    // nothing there); a value far from both is answered too.
    const ref = mixtureLogDensityRef(Float64Array.from(six), 6, 1, gm.weights, gm.means, gm.covariances.flat(2).map((v) => Float64Array.of(v)));
    assertClose(gm.scoreSamples(six.map((v) => [v])), ref, { atol: 1e-6, rtol: 0, label: `${covarianceType}: scoreSamples` });
    assert.ok(gm.scoreSamples([[5e11]])[0] < -1e21, `${covarianceType}: a value far from both`);
  }
});

test('values too far from the rest of their column for float32 are refused, naming the component and the column, at fit and for new rows', () => {
  // Three values at 1e12 + 0, 1, 2 beside the six: one value in float32 at their distance from the median (a step
  // of 65536), so their variance, 0.67, came out as regCovar alone (before: no error, and the six values' mean 1367).
  const values = [0, 0.1, 0.2, 5, 5.1, 5.2, 1e12, 1e12 + 1, 1e12 + 2].map((v) => [v, 1]);
  for (const covarianceType of ['full', 'tied', 'diag', 'spherical']) {
    expectError(() => new GaussianMixture({ nComponents: 2, covarianceType, seed: 0 }).fit(values), ArgumentError, 'E_ARGUMENT', [
      /^GaussianMixture\.fit: the points of component \d \(the rows most likely under it\) lie up to 1\.00e\+12 from the median of column 0, where float32's step is 65536, /,
      /beside their standard deviation of 0\.8165 in that column \(with regCovar; .*their standard deviation in the column becomes 0\.001\. /,
      /remove or clip the far values if they are outliers, or transform the column/,
    ], { label: covarianceType });
  }
  // The check is against the model's own scale: with regCovar 1e3 their standard deviation is 31.63, and the
  // 0.0105 float32 takes from it is under 1/1024 of it: the fit stands (the variance 1000.67 comes out 1000.0).
  const wide = new GaussianMixture({ nComponents: 2, covarianceType: 'diag', regCovar: 1e3, seed: 0 }).fit(values);
  const far = wide.means.findIndex(([v]) => v > 1e11);
  assertClose([wide.covariances[far][0]], [1000 + 2 / 3], { atol: (2 / 1024) * 1000, rtol: 0, label: 'regCovar 1e3: the far variance' });

  // New rows: fitted with one value at 1e12 (a component with a standard deviation of 0.0024), a row at 1e12 + 1e4
  // is the same float32 value at its distance from the median, 4e6 of its standard deviations away (before: the
  // log-likelihood of 1e12 itself, 2.86, for it). The fitted value itself is answered; predict's label is right.
  const gm = new GaussianMixture({ nComponents: 2, seed: 0 }).fit([0, 0.1, 0.2, 5, 5.1, 5.2, 1e12].map((v) => [v]));
  const j = gm.predict([[1e12]])[0];
  for (const method of ['scoreSamples', 'predictProba', 'score', 'anomalyScores', 'bic', 'aic']) {
    expectError(() => gm[method]([[2], [1e12 + 1e4]]), ArgumentError, 'E_ARGUMENT', new RegExp(`^GaussianMixture\\.${method}: points row 1 lies 1\\.00e\\+12 ` +
      `from the fitted median of column 0, where float32's step is 65536: held in float32 it moves by \\S+ of component ${j}'s standard deviations ` +
      '\\(the component most likely for it\\), more than 1/1024 of its distance from the component\'s mean in them'), { label: method });
  }
  assert.deepEqual(Array.from(gm.predict([[1e12 + 1e4]])), [j]);
  assert.ok(Number.isFinite(gm.scoreSamples([[1e12]])[0]));
});

test('the screen before the exact rounding check changes no verdict: fits and new rows across the refusal boundary and the screen\'s, screen on and off', () => {
  // As for k-means (kmeans.test.js): three values around 5 + X beside 0…8, X 2^10 to 2^16 times their spread, each
  // within 0.49 of float32's step from a float32 value (rounded toward each other, the same way, or at random):
  // with checkRounding's screen off (every component's points, and every new row, checked exactly) the same fits
  // and rows are refused, with the same messages, and the same results come back.
  let seed = 12;
  const rnd = () => ((seed = Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5 | 0) >>> 0) / 2 ** 32;
  const seen = { refused: 0, cleared: 0, exactAccepted: 0, rowsRefused: 0, rowsAnswered: 0 };
  for (const p of [12, 20, 27]) {
    for (const logRatio of [10, 11, 11.5, 12, 12.5, 13, 13.5, 14, 14.5, 15, 16]) {
      for (const pattern of ['toward', 'same', 'random']) {
        const X = 2 ** p * (1 + rnd() / 2), step = 2 ** (Math.floor(Math.log2(X)) - 23), s = X / 2 ** logRatio;
        const near = (t, phi) => 5 + Math.round((X + s * t) / step) * step + phi * step;
        const far = [-1, 1, 0.5].map((z) => near(z, pattern === 'toward' ? (z < 0 ? -0.49 : 0.49) : pattern === 'same' ? 0.49 : rnd() - 0.5));
        const pts = [0, 1, 2, 3, 4, 5, 6, 7, 8, ...far].map((v) => [v]);
        for (const covarianceType of ['full', 'diag']) {
          const label = `2^${p}, ratio 2^${logRatio}, ${pattern}, ${covarianceType}`;
          const [on, off] = screenOnOff(() => new GaussianMixture({ nComponents: 2, covarianceType, seed: 0 }).fit(pts));
          assert.equal(on.error, off.error, `${label}: fit`);
          if (on.error !== undefined) { seen.refused++; continue; }
          assert.deepEqual([on.ok.means, on.ok.covariances, on.ok.lowerBound], [off.ok.means, off.ok.covariances, off.ok.lowerBound], `${label}: fitted`);
          seen[on.clearedAll ? 'cleared' : 'exactAccepted']++;
          for (const t of [-2, 0, 0.3, 3]) {
            for (const phi of [-0.49, 0.49]) {
              const [a, b] = screenOnOff(() => Array.from(on.ok.scoreSamples([[near(t, phi)]])));
              assert.deepEqual([a.ok, a.error], [b.ok, b.error], `${label}: scoreSamples at ${t}, ${phi}`);
              seen[a.error === undefined ? 'rowsAnswered' : 'rowsRefused']++;
            }
          }
        }
      }
    }
  }
  for (const [kind, count] of Object.entries(seen)) assert.ok(count > 10, `${kind}: ${count}`);
  // Right at the refusal boundary, with the rounding at 97% of the screen's bound on it (as for k-means): two values
  // 2²⁰ + 1 and + G from the median 5 lose 31/512 of their standard deviation, refused up to G = 123.875.
  const m = 5, base = 2 ** 20 + 1, off = 1 / 16 - 1 / 512;
  for (const G of [123.75, 124]) {
    const pts = [0, 1, 2, 3, 4, 5, 6, 7, 8, m + base - off, m + base + G + off].map((v) => [v]);
    const sd = G / 2 + off;
    const fit = () => new GaussianMixture({ nComponents: 2, seed: 0 }).fit(pts);
    if (G === 123.75) {
      expectError(fit, ArgumentError, 'E_ARGUMENT', new RegExp('^GaussianMixture\\.fit: the points of component \\d \\(the rows most likely under it\\) lie up ' +
        `to 1\\.05e\\+6 from the median of column 0, where float32's step is 0\\.125, beside their standard deviation of ${String(Number(sd.toPrecision(4))).replace('.', '\\.')} in that column`));
    } else {
      const gm = fit();
      const far = gm.means.findIndex(([v]) => v > 1e6);
      assertClose([gm.covariances[far][0][0]], [sd ** 2], { atol: (2 / 1024) * sd ** 2, rtol: 0, label: `G = ${G}: the far variance` });
    }
  }
});

test('offset data are centred in f64 before the rounding to float32: Unix timestamps fit as the float64 EM reference does on them shifted to 0', () => {
  // Two bursts 100 s apart at Unix times around 1.7e9, where float32's step is 128: rounding before
  // centring (as before) gave means B + 0 and B + 128, variances of regCovar alone and a lower bound of
  // +5.3. Expected, from a float64 numpy re-implementation of scikit-learn's EM on the times shifted to
  // 0 (exact) from the same initial parameters:
  const B = 1_700_000_000;
  const steps = [0, 7, 13, 20, 100, 107, 113, 120];
  const ref = {
    means: [9.999999999999996, 109.99999999999996], variance: 54.500000999999976, lowerBound: -4.111186064599217, nIter: 3,
    scoreSamples: [-4.5286172496004795, -3.6937548795979542, -3.6937548795979547, -4.528617249600481, -4.528617249600472,
      -3.6937548795979525, -3.693754879597957, -4.528617249600487],
  };
  const ts = steps.map((s) => [B + s]);
  for (const [covarianceType, precisionsInit] of [['full', [[[0.01]], [[0.01]]]], ['diag', [[0.01], [0.01]]]]) {
    for (const points of [ts, { data: Float64Array.from(ts.flat()), rows: 8, cols: 1 }]) {
      const gm = new GaussianMixture({ nComponents: 2, covarianceType, weightsInit: [0.5, 0.5], meansInit: [[B + 1], [B + 99]], precisionsInit }).fit(points);
      const label = `${covarianceType}, ${Array.isArray(points) ? 'number[][]' : 'Float64Array'}`;
      assertClose(gm.means.flat().map((m) => m - B), ref.means, { atol: 1e-6, rtol: 0, label: `${label}: means` });
      assertClose(gm.covariances.flat(2), [ref.variance, ref.variance], { atol: 0, rtol: 1e-12, label: `${label}: variances` });
      assertClose([gm.lowerBound], [ref.lowerBound], { atol: 1e-12, rtol: 0, label: `${label}: lower bound` });
      assert.equal(gm.nIter, ref.nIter, label);
      assertClose(gm.scoreSamples(ts), ref.scoreSamples, { atol: 1e-12, rtol: 0, label: `${label}: scoreSamples` });
      assert.deepEqual(Array.from(gm.predict([[B + 5], [B + 115]])), [0, 1], label);
    }
  }
  // The default start (k-means) finds the same two components.
  const gm = new GaussianMixture({ nComponents: 2, seed: 0 }).fit(ts);
  assertClose(gm.means.flat().map((m) => m - B).sort((a, b) => a - b), ref.means, { atol: 1e-6, rtol: 0, label: 'k-means start: means' });
  assertClose([gm.lowerBound], [ref.lowerBound], { atol: 1e-9, rtol: 0, label: 'k-means start: lower bound' });
  // A warm start stages the data against the first fit's means the same way: it continues, converged.
  const warm = new GaussianMixture({ nComponents: 2, seed: 0, warmStart: true });
  warm.fit(ts);
  warm.fit(ts);
  assertClose(warm.means.flat().sort((a, b) => a - b), gm.means.flat().sort((a, b) => a - b), { atol: 1e-6, rtol: 0, label: 'warm start' });
});

test('tiny spreads: the k-means start runs on the data scaled by a power of two; a column whose spread is below 2e-31 is refused, named', () => {
  // Six points around 1e-25 and 5e-25 (with regCovar 1e-60, below their variances): the k-means start
  // computed squared distances of ~1e-50, 0 in float32, so it put every row in one cluster, warned of
  // duplicate rows, and both means ended at 3.1e-25. EM itself works in f64 on the data as they are.
  const tiny = [1e-25, 1.1e-25, 1.2e-25, 5e-25, 5.1e-25, 5.2e-25].map((v) => [v]);
  const { result: gm, warnings } = captureWarnings(() => new GaussianMixture({ nComponents: 2, seed: 0, regCovar: 1e-60 }).fit(tiny));
  assert.deepEqual(warnings, []);
  assertClose(gm.means.flat().sort((a, b) => a - b), [1.1e-25, 5.1e-25], { atol: 0, rtol: 1e-6, label: 'means' });
  // Each group's variance, 0.01e-50 · 2/3, plus regCovar.
  assertClose(gm.covariances.flat(2), [2e-52 / 3 + 1e-60, 2e-52 / 3 + 1e-60], { atol: 0, rtol: 1e-4, label: 'variances' });
  const l = Array.from(gm.predict(tiny));
  assert.deepEqual(l, [l[0], l[0], l[0], 1 - l[0], 1 - l[0], 1 - l[0]]);
  // A column of values within 2e-31 of its median keeps fewer than float32's 24 bits: refused, naming it.
  const tinyColumn = [[0, 0], [1, 1e-40], [2, 0], [3, 1e-40]];
  expectError(() => new GaussianMixture({ nComponents: 2, seed: 0 }).fit(tinyColumn), ArgumentError, 'E_ARGUMENT',
    [/^GaussianMixture\.fit: column 1 of the points lies at most 1\.00e-40 from its median: below 2\.0e-31, float32 keeps fewer than its 24 bits/, /rescale the column/]);
  // A constant column is no such column.
  assert.equal(new GaussianMixture({ nComponents: 2, seed: 0 }).fit([[0, 5], [1, 5], [9, 5], [10, 5]]).nFeatures, 2);
});

test('new options: typed errors for weightsInit, meansInit, precisionsInit, warmStart and sampleWeight', () => {
  const pts = [[0, 0], [1, 1], [0, 1], [1, 0], [5, 5], [6, 5]];
  const E = (fn, Class, re) => expectError(fn, Class, Class === ShapeError ? 'E_SHAPE' : 'E_ARGUMENT', re);
  E(() => new GaussianMixture({ nComponents: 2, weightsInit: [1] }), ShapeError, /weightsInit must be an array of nComponents = 2 numbers/);
  E(() => new GaussianMixture({ nComponents: 2, weightsInit: [1.5, -0.5] }), ArgumentError, /weightsInit\[0\] is 1\.5; every weight must be in \[0, 1\]/);
  E(() => new GaussianMixture({ nComponents: 2, meansInit: [[0, 0]] }), ShapeError, /meansInit must be an array of nComponents = 2 rows/);
  E(() => new GaussianMixture({ nComponents: 2, meansInit: [[0, 0], [1]] }), ShapeError, /meansInit row 1 has 1 values, expected 2/);
  E(() => new GaussianMixture({ nComponents: 2, meansInit: [[0, 0, 0], [1, 1, 1]] }).fit(pts), ShapeError, /GaussianMixture\.fit: meansInit has 3 features, the points 2 columns/);
  E(() => new GaussianMixture({ nComponents: 2, covarianceType: 'diag', precisionsInit: [[1, 0], [1, 1]] }), ArgumentError, /precisionsInit \(diag\) row 0, value 1 is 0; a precision must be > 0/);
  E(() => new GaussianMixture({ nComponents: 2, covarianceType: 'spherical', precisionsInit: [1] }), ShapeError, /precisionsInit \(spherical\) must hold nComponents = 2 numbers, got 1/);
  E(() => new GaussianMixture({ covarianceType: 'tied', precisionsInit: [[1, 0]] }), ShapeError, /precisionsInit \(tied\) is 1 × 2; expected square/);
  E(() => new GaussianMixture({ nComponents: 2, precisionsInit: [[[1]], [[1, 0], [0, 1]]] }), ShapeError, /precisionsInit \(full\) matrix 1 is 2 × 2; expected square 1 × 1 \(as matrix 0\)/);
  E(() => new GaussianMixture({ nComponents: 1, meansInit: [[0, 0]], precisionsInit: [[[1]]] }), ShapeError, /meansInit has 2 features, precisionsInit 1/);
  E(() => new GaussianMixture({ warmStart: 1 }), ArgumentError, /warmStart must be true or false, got 1/);
  E(() => new GaussianMixture({ nComponents: 2 }).fit(pts, { sampleWeight: [1, 2] }), ShapeError, /GaussianMixture\.fit: sampleWeight has 2 values, expected one per row \(6\)/);
  E(() => new GaussianMixture({ nComponents: 2 }).fit(pts, { weights: [1] }), ArgumentError, /GaussianMixture\.fit: unknown option "weights"/);
  E(() => new GaussianMixture({ nComponents: 3, initParams: 'random_from_data' }).fit(pts, { sampleWeight: [1, 1, 0, 0, 0, 0] }), ArgumentError,
    /initParams 'random_from_data' draws nComponents = 3 distinct rows in proportion to sampleWeight, but only 2 rows weigh more than 0/);
  const gm = new GaussianMixture({ nComponents: 2, seed: 1 }).fit(pts);
  E(() => gm.score(pts, { sampleWeight: [0, 0, 0, 0, 0, 0] }), ArgumentError, /GaussianMixture\.score: sampleWeight sums to 0/);
  // Weights are float32 values: 0 in float32, beyond it, or summing beyond it, is refused naming the row.
  E(() => new GaussianMixture({ nComponents: 2 }).fit(pts, { sampleWeight: [1, 1, 1, 1, 1e-60, 1] }), ArgumentError,
    /GaussianMixture\.fit: sampleWeight\[4\] is 1e-60; a weight must be 0 or from 1\.4e-45 to 3\.4e38/);
  E(() => gm.score(pts, { sampleWeight: [1, 1, 1, 1, 1, 1e39] }), ArgumentError, /GaussianMixture\.score: sampleWeight\[5\] is 1e\+39/);
  E(() => gm.score(pts, { sampleWeight: [2e38, 0, 2e38, 0, 0, 0] }), ArgumentError, /GaussianMixture\.score: sampleWeight sums to 4e\+38 by row 2/);
  assert.deepEqual(gm.fitPredict(pts), gm.predict(pts), 'fitPredict = predict on the fitted points');
});

test('parameters are checked again at fit, with the initial parameters still matching them', () => {
  const pts = [[0, 0], [1, 1], [0, 1], [1, 0], [5, 5], [6, 5]];
  const a = new GaussianMixture({ nComponents: 2, weightsInit: [0.5, 0.5] });
  a.nComponents = 3;
  expectError(() => a.fit(pts), ShapeError, 'E_SHAPE', /GaussianMixture\.fit: weightsInit is for 2 components, nComponents is 3/);
  const b = new GaussianMixture({ nComponents: 1, precisionsInit: [[[1, 0], [0, 1]]] });
  b.covarianceType = 'diag';
  expectError(() => b.fit(pts), ArgumentError, 'E_ARGUMENT', /precisionsInit is shaped for 'full' covariances, covarianceType is 'diag'/);
  const c = new GaussianMixture({ nComponents: 2 });
  c.regCovar = -1;
  expectError(() => c.fit(pts), ArgumentError, 'E_ARGUMENT', /GaussianMixture\.fit: regCovar must be a finite number ≥ 0 within the float32 range, got -1/);
});

test('after fit, every method reads the fitted components: nComponents or covarianceType changed since changes nothing until the next fit', () => {
  const pts = [[4, -1], [5, -1.5], [4.5, 0], [5.5, -0.5], [-3, 6], [-2, 7.5], [-3.5, 7], [-2.5, 5.5], [0.5, 3]];
  const probe = [[4.8, -0.7], [-2.9, 6.4], [0, 0]];
  for (const covarianceType of ['full', 'tied', 'diag', 'spherical']) {
    const gm = new GaussianMixture({ nComponents: 2, covarianceType, seed: 2 }).fit(pts);
    const read = () => [
      gm.predict(probe), gm.predictProba(probe), gm.scoreSamples(probe), gm.score(probe), gm.bic(probe), gm.aic(probe), gm.nParameters,
      gm.means, gm.covariances, gm.precisions, gm.precisionsCholesky, gm.weights, gm.sample(5),
    ];
    const before = read();
    gm.nComponents = 3;
    gm.covarianceType = covarianceType === 'diag' ? 'full' : 'diag';
    assert.deepEqual(read(), before, covarianceType);
    gm.warmStart = true;
    expectError(() => gm.fit(pts), ArgumentError, 'E_ARGUMENT',
      new RegExp(`warmStart continues the fitted 2 '${covarianceType}' components, but nComponents is now 3 and covarianceType '${gm.covarianceType}'`));
    gm.warmStart = false;
    assert.equal(gm.fit(pts).means.length, 3, 'the next fit uses them');
  }
});

test('numbers in the options must fit float32: regCovar, meansInit and precisionsInit beyond ±3.4e38 are refused like Infinity', () => {
  const E = (options, re) => expectError(() => new GaussianMixture(options), ArgumentError, 'E_ARGUMENT', re);
  E({ regCovar: 2e39 }, /^GaussianMixture: regCovar must be a finite number ≥ 0 within the float32 range, got 2e\+39/);
  E({ nComponents: 2, meansInit: [[3, -1, 2], [-5e38, 0, 1]] }, /^GaussianMixture: meansInit row 1, value 0 is -5e\+38, beyond the float32 range/);
  E({ nComponents: 2, covarianceType: 'spherical', precisionsInit: [0.5, 1e300] }, /precisionsInit \(spherical\)\[1\] is 1e\+300, beyond the float32 range/);
  E({ covarianceType: 'diag', precisionsInit: [[0.5, 7e38]] }, /precisionsInit \(diag\) row 0, value 1 is 7e\+38, beyond the float32 range/);
  assert.equal(new GaussianMixture({ regCovar: 3.4e38 }).regCovar, 3.4e38);
});

test('gmmSample vs the f64 reference on the same xoshiro stream: every covariance type, d around the 4 lanes and odd', () => {
  const { allocator, kernels } = runtime('test');
  for (const d of [1, 2, 3, 4, 5, 7]) {
    for (const [type, code, k] of [['full', 0, 3], ['tied', 3, 2], ['diag', 1, 3], ['spherical', 2, 4]]) {
      const n = 37;
      const per = type === 'full' ? d * d : type === 'tied' ? 0 : type === 'diag' ? d : 1;
      const count = type === 'tied' ? d * d : k * per;
      // W: lower triangular with a positive diagonal (full, tied), or positive entries.
      const prec = Float64Array.from(seededValues(count, d * 5 + k), (v, t) => {
        if (type === 'diag' || type === 'spherical') return 0.5 + Math.abs(v);
        const a = Math.floor((t % (d * d)) / d), b = t % d;
        return b > a ? 0 : a === b ? 0.7 + Math.abs(v) : v * 0.3;
      });
      const means = Float64Array.from(seededValues(k * d, d + k), (v) => v * 5);
      const weights = Float64Array.from({ length: k }, (_, j) => (j + 1) / ((k * (k + 1)) / 2));
      const ptrs = [];
      const alloc = (bytes) => { const p = allocator.alloc(Math.max(bytes, 16)); ptrs.push(p); return p; };
      const f64 = (values) => { const p = alloc(values.length * 8); new Float64Array(heapF32().buffer, p, values.length).set(values); return p; };
      const rng = alloc(16), out = alloc(n * d * 8), labels = alloc(n * 4), scratch = alloc((2 * d + 2) * 8 + k * 4);
      kernels.rngSeed(rng, 7, 6);
      kernels.gmmSample(rng, n, d, k, code, f64(means), f64(prec), f64(weights), out, labels, scratch);
      const ref = gmmSampleRef(new XoshiroRef(7, 6), n, d, k, type, means, prec, weights);
      const label = `${type} d=${d} k=${k}`;
      assert.deepEqual(Array.from(new Int32Array(heapF32().buffer, labels, n)), Array.from(ref.labels), `${label}: components`);
      // The same operations; only log, cos and sin may differ in the last bit between WASM and the JS engine.
      assertClose(new Float64Array(heapF32().buffer, out, n * d).slice(), ref.out, { atol: 1e-13, rtol: 1e-13, label: `${label}: rows` });
      for (const p of ptrs) allocator.free(p);
    }
  }
});
