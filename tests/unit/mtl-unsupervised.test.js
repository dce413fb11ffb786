// Unlabeled rows inside multi-task training: reconstruction and clustering tasks
// (issue 5, item 4). Rows with no supervised label still train the shared part;
// reconstruction errors are anomaly scores; clusters are k-means pseudo-labels of
// the shared representation, renumbered to stay consistent across epochs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, MultiTaskModel, tasks, loadModel, ArgumentError, ShapeError } from '../../dist/index.js';
import { seededValues } from '../helpers/reference.js';
import { coreGradients, withCoreBatch } from '../helpers/mtl-reference.js';
import { matchClusters, heapF32 } from '../../dist/internal.js';
import * as infer from '../../dist/infer.js';

before(async () => { await init(); });

const ARCH = { type: 'sharedBottom', units: [6], towerUnits: [4], activation: 'tanh' };

/** Shared-part gradients of one batch whose supervised labels are all missing. */
function sharedGradients(extraTasks) {
  const model = new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, tasks: [tasks.binary('flag'), ...extraTasks], seed: 2, affinity: false });
  const rows = 6;
  const { grads } = coreGradients(model, { x: seededValues(rows * 3, 5), rows, labels: { flag: new Array(rows).fill(NaN), ...(extraTasks.length ? { recon: seededValues(rows * 3, 5) } : {}) } });
  const g = [...grads['shared.0.weight'], ...grads['shared.0.bias']];
  model.dispose();
  return g;
}

test('rows without any supervised label train the shared part only through an unsupervised task', () => {
  assert.ok(sharedGradients([]).every((v) => v === 0), 'no supervised label, no unsupervised task: no shared gradient');
  assert.ok(sharedGradients([tasks.reconstruction('recon')]).some((v) => Math.abs(v) > 1e-4), 'a reconstruction task trains the shared part on unlabeled rows');
});

/** Rows near a 2-d plane in 6 dimensions, plus a few far off it. */
function lowRank(rows, seed) {
  const a = seededValues(rows * 2, seed), x = new Float32Array(rows * 6);
  for (let i = 0; i < rows; i++) {
    const [u, v] = [a[2 * i], a[2 * i + 1]];
    const row = [u, v, u + v, u - v, 0.5 * u, -v];
    for (let j = 0; j < 6; j++) x[i * 6 + j] = row[j];
  }
  return x;
}

test('reconstruction learns the data and its per-row error scores anomalies', async () => {
  const x = lowRank(400, 1);
  const model = new MultiTaskModel({ input: { features: 6 }, architecture: { type: 'sharedBottom', units: [8, 2], towerUnits: [8] }, tasks: [tasks.reconstruction()], seed: 1, optimizer: { type: 'adam', learningRate: 0.01 } });
  const before = model.evaluate(x).tasks.reconstruction.loss;
  await model.fit(x, {}, { epochs: 60, batchSize: 32 });
  const after = model.evaluate(x).tasks.reconstruction.loss;
  assert.ok(after < before / 10 && after < 0.02, `reconstruction MSE fell from ${before} to ${after}`);
  const probe = Float32Array.from([...lowRank(5, 9), 2, -2, 2, 2, -2, 2]); // 5 normal rows, then one off the plane
  const p = model.predict(probe).reconstruction;
  assert.equal(p.kind, 'reconstruction');
  assert.equal(p.values.length, 6);
  p.values.forEach((row, i) => {
    const e = row.reduce((s, v, j) => s + (v - probe[i * 6 + j]) ** 2, 0) / 6;
    assert.ok(Math.abs(e - p.errors[i]) < 1e-6, `errors[${i}] is the mean squared difference`);
  });
  const worst = Math.max(...p.errors.slice(0, 5));
  assert.ok(p.errors[5] > 5 * worst, `the off-plane row scores ${p.errors[5]}, normal rows at most ${worst}`);
  model.dispose();
});

test('matchClusters renumbers a run to agree with the previous labels', () => {
  const prev = Int32Array.from([0, 0, 0, 1, 1, 2, 2, 2]);
  const next = Int32Array.from([2, 2, 2, 0, 0, 1, 1, 0]);
  assert.deepEqual(Array.from(matchClusters(next, prev, 3)), [1, 2, 0]);
  assert.deepEqual(Array.from(matchClusters(prev, prev, 3)), [0, 1, 2]);
});

test('a clustering task finds separated blobs and keeps its numbering from epoch to epoch', async () => {
  const centres = [[3, 0, 0], [0, 3, 0], [0, 0, 3]];
  const rows = 300, noise = seededValues(rows * 3, 4), x = new Float32Array(rows * 3), blob = [];
  for (let i = 0; i < rows; i++) {
    const c = i % 3;
    blob.push(c);
    for (let j = 0; j < 3; j++) x[i * 3 + j] = centres[c][j] + 0.3 * noise[i * 3 + j];
  }
  const model = new MultiTaskModel({
    input: { features: 3 }, architecture: { type: 'sharedBottom', units: [8], towerUnits: [] },
    tasks: [tasks.reconstruction(), tasks.clustering('clusters', { clusters: 3 })], seed: 3, optimizer: { type: 'adam', learningRate: 0.01 },
  });
  const seen = [];
  const h = await model.fit(x, {}, { epochs: 30, batchSize: 32, callbacks: { onEpochEnd: () => { seen.push(model.predict(x).clusters.clusters); } } });
  const losses = h.get('clusters_loss');
  assert.ok(losses.at(-1) < losses[1] / 2, `the clustering loss falls: ${losses[1]} → ${losses.at(-1)}`);
  const final = seen.at(-1);
  for (let c = 0; c < 3; c++) {
    const members = final.filter((_, i) => blob[i] === c);
    const counts = [0, 1, 2].map((k) => members.filter((v) => v === k).length);
    assert.ok(Math.max(...counts) >= 0.95 * members.length, `blob ${c} lands in one cluster: ${counts}`);
  }
  const agree = seen.at(-2).filter((v, i) => v === final[i]).length / rows;
  assert.ok(agree > 0.95, `cluster numbers are stable between the last two epochs (${agree})`);
  const e = model.evaluate(x);
  assert.ok(e.tasks.clusters.loss < 0.5, `evaluate scores the clusters against the last k-means run: ${e.tasks.clusters.loss}`);
  const loaded = loadModel(model.save());
  assert.deepEqual(Array.from(loaded.predict(x).clusters.clusters), Array.from(final), 'a loaded model predicts the same clusters');
  assert.equal(loaded.evaluate(x).tasks.clusters, undefined, 'a loaded model has no k-means run to score clusters against');
  model.dispose(); loaded.dispose();
});

test('pseudo-labels keep their numbers when k-means is re-run each epoch', () => {
  const centres = [[4, 0], [0, 4], [-4, -4], [4, 4]];
  const rows = 200, noise = seededValues(rows * 2, 6), x = new Float32Array(rows * 2);
  for (let i = 0; i < rows; i++) for (let j = 0; j < 2; j++) x[i * 2 + j] = centres[i % 4][j] + 0.2 * noise[i * 2 + j];
  const model = new MultiTaskModel({ input: { features: 2 }, architecture: { type: 'sharedBottom', units: [6], towerUnits: [] }, tasks: [tasks.clustering('c', { clusters: 4 })], seed: 5 });
  withCoreBatch(model, { x, rows, labels: { c: new Int32Array(rows) } }, (data) => {
    const read = () => Array.from(new Int32Array(heapF32().buffer, data.labels[0].targets, rows));
    model.core.refreshClusters(data, 0);
    const first = read();
    assert.equal(new Set(first).size, 4, 'four clusters');
    for (let epoch = 1; epoch <= 6; epoch++) {
      model.core.refreshClusters(data, epoch); // a different k-means seed each epoch
      assert.deepEqual(read(), first, `epoch ${epoch}: the same partition keeps the same numbers`);
    }
  });
  model.dispose();
});

test('manytask/infer predicts reconstruction and clustering tasks exactly as the full model', async () => {
  await infer.init();
  const x = lowRank(50, 3);
  const model = new MultiTaskModel({ input: { features: 6 }, architecture: { type: 'mmoe', experts: 2, expertUnits: [5], towerUnits: [4] },
    tasks: [tasks.reconstruction(), tasks.clustering('clusters', { clusters: 3 }), tasks.regression('y')], seed: 4 });
  await model.fit(x, { y: Array.from({ length: 50 }, (_, i) => (i % 5 ? i / 10 : NaN)) }, { epochs: 3, batchSize: 16 });
  const full = model.predict(x);
  for (const weights of ['f32', 'f16']) {
    const bytes = model.save({ weights });
    const lean = infer.loadModel(bytes);
    const mine = loadModel(bytes).predict(x), theirs = lean.predict(x);
    assert.deepEqual(Array.from(theirs.reconstruction.errors), Array.from(mine.reconstruction.errors), `${weights}: reconstruction errors`);
    assert.deepEqual(theirs.reconstruction.values, mine.reconstruction.values);
    assert.deepEqual(Array.from(theirs.clusters.clusters), Array.from(mine.clusters.clusters), `${weights}: clusters`);
    assert.deepEqual(theirs.clusters.probabilities, mine.clusters.probabilities);
    lean.dispose();
  }
  assert.deepEqual(Array.from(loadModel(model.save()).predict(x).clusters.clusters), Array.from(full.clusters.clusters));
  model.dispose();
});

test('bad unsupervised task specs give typed errors', () => {
  assert.throws(() => tasks.clustering('c'), (e) => e instanceof ArgumentError && /needs clusters/.test(e.message));
  assert.throws(() => tasks.clustering('c', { clusters: 1 }), (e) => e instanceof ArgumentError && /at least 2/.test(e.message));
  assert.throws(() => tasks.clustering('c', { clusters: 2.5 }), (e) => e instanceof ShapeError && /clusters must be a positive integer/.test(e.message));
  assert.throws(() => tasks.binary('b', { clusters: 3 }), (e) => e instanceof ArgumentError && /clusters applies to clustering tasks only/.test(e.message));
  assert.throws(() => tasks.reconstruction('r', { classWeights: [1, 2] }), (e) => e instanceof ArgumentError && /classWeights do not apply to a reconstruction task/.test(e.message));
});
