// KMeans, MiniBatchKMeans and GaussianMixture against scikit-learn's own results
// on fixed data: sample weights, explicit initial parameters, 'tied'
// covariances, precisions, warm starts, fitPredict, and the warnings. The
// expected values were computed once by tests/helpers/sklearn-cluster-expected.py
// (scikit-learn 1.2.1) and are embedded in tests/helpers/sklearn-cluster-expected.js;
// no Python runs here.
//
// Tolerances: the data are exact in float32 and centre exactly (see the script),
// so GaussianMixture, which computes in f64 past the input, agrees to a few ulps;
// k-means keeps its centres in float32, so centres agree to float32's precision
// (~6e-8 relative) and the scores of other points, linear in the centres, to ~1e-7.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, KMeans, MiniBatchKMeans, GaussianMixture, captureWarnings } from '../../dist/index.js';
import { assertClose } from '../helpers/reference.js';
import { expected as E } from '../helpers/sklearn-cluster-expected.js';

before(async () => { await init(); });

const F32_CENTRES = { atol: 1e-7, rtol: 2e-7 };
const F64 = { atol: 1e-12, rtol: 1e-11 };

test('KMeans from given centres, with and without sampleWeight: labels, iterations, centres, inertia, predict and score as scikit-learn', () => {
  for (const [name, sampleWeight] of [['unweighted', undefined], ['weighted', E.W]]) {
    const e = E.kmeans[name];
    const km = new KMeans({ k: 4, init: E.kmeansInit }).fit(E.X, { sampleWeight });
    assert.deepEqual(Array.from(km.labels), e.labels, `${name}: labels`);
    assert.equal(km.nIter, e.nIter, `${name}: iterations`);
    assertClose(km.clusterCenters.flat(), e.centers.flat(), { ...F32_CENTRES, label: `${name}: centres` });
    assertClose([km.inertia], [e.inertia], { atol: 0, rtol: 1e-12, label: `${name}: inertia (exact from the float32 centres: second order in their rounding)` });
    assert.deepEqual(Array.from(km.predict(E.X2)), e.predictX2, `${name}: predict on other rows`);
    assertClose([km.score(E.X2)], [e.scoreX2], { atol: 0, rtol: 2e-7, label: `${name}: score` });
    assertClose([km.score(E.X2, { sampleWeight: E.W2 })], [e.scoreX2Weighted], { atol: 0, rtol: 2e-7, label: `${name}: weighted score` });
    assert.deepEqual(Array.from(new KMeans({ k: 4, init: E.kmeansInit }).fitPredict(E.X, { sampleWeight })), e.labels, `${name}: fitPredict`);
  }
  // scikit-learn warns and runs once for given centres with n_init = 3: so does manytask.
  const { result, warnings } = captureWarnings(() => new KMeans({ k: 4, init: E.kmeansInit, nInit: 3 }).fit(E.X));
  assert.deepEqual(warnings.map((w) => w.code), ['W_INIT_RUNS_ONCE']);
  assertClose(result.clusterCenters.flat(), E.kmeans.unweighted.centers.flat(), { ...F32_CENTRES, label: 'nInit 3 with given centres' });
});

test('KMeans with more clusters than distinct points fits and warns, as scikit-learn: the same clustering, centres and inertia', () => {
  const e = E.fewer;
  const { result: km, warnings } = captureWarnings(() => new KMeans({ k: 5, init: e.init }).fit(e.X));
  assert.deepEqual(warnings.map((w) => w.code), ['W_FEWER_CLUSTERS']);
  assert.equal(km.inertia, e.inertia);
  // The same partition of the rows, each part at the same centre. (Which empty centre
  // moves where differs: see kmeansRelocateEmpty in assembly/kmeans.ts.)
  const parts = (labels, centres) => {
    const byCentre = new Map();
    labels.forEach((l, i) => byCentre.set(centres[l].join(), [...(byCentre.get(centres[l].join()) ?? []), i]));
    return [...byCentre.entries()].sort();
  };
  assert.deepEqual(parts(Array.from(km.labels), km.clusterCenters), parts(e.labels, e.centers));
});

test('MiniBatchKMeans.partialFit with sampleWeight, batch by batch: centres, absorbed weights, the batch labels and inertia as scikit-learn', () => {
  const mb = new MiniBatchKMeans({ k: 4, init: E.kmeansInit, batchSize: 32 });
  E.minibatch.forEach((e, step) => {
    const rows = E.X.slice(step * 32, step * 32 + 32);
    mb.partialFit(rows, { sampleWeight: E.W.slice(step * 32, step * 32 + 32) });
    const label = `after batch ${step}`;
    assertClose(mb.clusterCenters.flat(), e.centers.flat(), { ...F32_CENTRES, label: `${label}: centres` });
    assert.deepEqual(Array.from(mb.counts), e.counts, `${label}: absorbed weight per centre (dyadic: exact)`);
    assert.deepEqual(Array.from(mb.labels), e.labels, `${label}: labels of the batch`);
    assertClose([mb.inertia], [e.inertia], { atol: 0, rtol: 2e-7, label: `${label}: inertia of the batch` });
  });
  assert.equal(mb.nSteps, E.minibatch.length);
});

/** A fitted GaussianMixture's attributes and results on X2 beside scikit-learn's. */
function checkMixture(g, e, label) {
  assert.equal(g.nIter, e.nIter, `${label}: iterations`);
  assert.equal(g.converged, e.converged, `${label}: converged`);
  assertClose([g.lowerBound], [e.lowerBound], { ...F64, label: `${label}: lower bound` });
  for (const key of ['weights', 'means', 'covariances', 'precisions', 'precisionsCholesky']) {
    const got = [g[key]].flat(3), want = [e[key]].flat(3);
    assert.equal(got.length, want.length, `${label}: ${key} shape`);
    assertClose(got, want, { atol: 1e-11, rtol: 1e-10, label: `${label}: ${key}` });
  }
  assertClose(g.scoreSamples(E.X2), e.scoreSamplesX2, { ...F64, label: `${label}: scoreSamples` });
  // predictProba: { data: Float64Array, rows, cols }, rows × k.
  const proba = g.predictProba(E.X2);
  assert.deepEqual([proba.rows, proba.cols], [e.probaX2.length, e.probaX2[0].length], `${label}: predictProba shape`);
  assertClose(proba.data, e.probaX2.flat(), { atol: 1e-6, rtol: 0, label: `${label}: predictProba` });
  assert.deepEqual(Array.from(g.predict(E.X2)), e.predictX2, `${label}: predict`);
  assertClose([g.score(E.X2), g.bic(E.X2), g.aic(E.X2)], [e.scoreX2, e.bicX2, e.aicX2], { ...F64, label: `${label}: score, bic, aic` });
}

test("GaussianMixture from weightsInit, meansInit and precisionsInit, every covariance type including 'tied': all attributes as scikit-learn", () => {
  for (const covarianceType of ['full', 'tied', 'diag', 'spherical']) {
    const e = E.gmm[covarianceType];
    const g = new GaussianMixture({
      nComponents: 4, covarianceType, weightsInit: E.gmmInit.weights, meansInit: E.gmmInit.means,
      precisionsInit: E.gmmInit.precisions[covarianceType],
    });
    const { result: labels, warnings } = captureWarnings(() => g.fitPredict(E.X));
    assert.deepEqual(warnings, [], `${covarianceType}: converged, no warning`);
    assert.deepEqual(Array.from(labels), e.fitPredict, `${covarianceType}: fitPredict`);
    assert.equal(g.nParameters, { full: 39, tied: 21, diag: 27, spherical: 19 }[covarianceType]);
    checkMixture(g, e, covarianceType);
  }
});

test('GaussianMixture warmStart: a second fit continues from the first, as scikit-learn (and warns that neither converged)', () => {
  const g = new GaussianMixture({
    nComponents: 4, weightsInit: E.gmmInit.weights, meansInit: E.gmmInit.means, precisionsInit: E.gmmInit.precisions.full,
    maxIter: 2, warmStart: true,
  });
  const first = captureWarnings(() => g.fit(E.X)).warnings;
  assert.deepEqual(first.map((w) => w.code), ['W_NOT_CONVERGED']);
  assertClose([g.lowerBound], [E.warmStart.first.lowerBound], { ...F64, label: 'first fit' });
  assert.equal(g.nIter, E.warmStart.first.nIter);
  captureWarnings(() => g.fit(E.X));
  checkMixture(g, E.warmStart.second, 'second fit');
});

test('GaussianMixture sampleWeight: integer weights give what scikit-learn gives on the rows repeated (full and tied)', () => {
  for (const covarianceType of ['full', 'tied']) {
    const e = E.gmmRepeated[covarianceType];
    const g = new GaussianMixture({
      nComponents: 4, covarianceType, weightsInit: E.gmmInit.weights, meansInit: E.gmmInit.means,
      precisionsInit: E.gmmInit.precisions[covarianceType],
    }).fit(E.X, { sampleWeight: E.WI });
    checkMixture(g, e, `${covarianceType} weighted`);
    assertClose([g.score(E.X2, { sampleWeight: E.WI2 })], [e.scoreX2Repeated], { ...F64, label: `${covarianceType}: weighted score = score of repeated rows` });
  }
});
