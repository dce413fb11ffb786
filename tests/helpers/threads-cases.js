// What the worker pool must not change: every kernel it splits, through the
// public API, at sizes above the thresholds where it splits them. `runThreadCases`
// returns each result as hex (bit for bit); tests/unit/threads.test.js compares
// them across thread counts and with the single-thread module, and the Chromium
// test (tests/runtimes/browser.test.js) in a cross-origin isolated page.
// Runtime-neutral: no Node APIs; it receives the library's module.
import { seededValues } from './reference-core.js';

/** Hex of the bytes of a typed array (or an array of numbers, as f64). */
export function hex(values) {
  const v = ArrayBuffer.isView(values) ? values : Float64Array.from(values);
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += bytes[i].toString(16).padStart(2, '0');
  return s;
}

/** GEMMs the pool splits: transposes, K beyond one 256 block, N ≤ 6 (the narrow kernel), M not a multiple of 4, epilogues. */
export const GEMM_CASES = [
  { name: 'A·B + bias, relu; K > 256, M odd', M: 131, N: 70, K: 300, bias: true, relu: true },
  { name: 'Aᵀ·B narrow (N = 5), K = 1100', M: 198, N: 5, K: 1100, transA: true },
  { name: 'A·Bᵀ, alpha −2, beta 0.5', M: 97, N: 64, K: 128, transB: true, alpha: -2, beta: 0.5 },
  { name: 'Aᵀ·Bᵀ', M: 66, N: 70, K: 130, transA: true, transB: true },
  { name: 'M = 35: two parts of 16 and 19 rows', M: 35, N: 128, K: 128 },
];

function gemmCase(mt, c, seed) {
  const { Matrix, gemm } = mt;
  const a = c.transA ? Matrix.from(seededValues(c.K * c.M, seed), c.K, c.M) : Matrix.from(seededValues(c.M * c.K, seed), c.M, c.K);
  const b = c.transB ? Matrix.from(seededValues(c.N * c.K, seed + 1), c.N, c.K) : Matrix.from(seededValues(c.K * c.N, seed + 1), c.K, c.N);
  const out = Matrix.from(seededValues(c.M * c.N, seed + 2), c.M, c.N);
  const bias = c.bias ? Matrix.from(seededValues(c.N, seed + 3), 1, c.N) : undefined;
  gemm(a, b, out, {
    transposeA: !!c.transA, transposeB: !!c.transB, alpha: c.alpha ?? 1, beta: c.beta ?? 0,
    ...(bias && { bias }), ...(c.relu && { activation: 'relu' }),
  });
  const result = hex(out.toFloat32Array());
  for (const m of [a, b, out, bias]) m?.dispose();
  return result;
}

/** Points with cluster structure: `k` blobs in d dimensions, seeded. */
export function blobs(n, d, k, seed) {
  const centers = seededValues(k * d, seed);
  const noise = seededValues(n * d, seed + 1);
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const j = i % k;
    for (let f = 0; f < d; f++) data[i * d + f] = 4 * centers[j * d + f] + 0.6 * noise[i * d + f];
  }
  return { data, rows: n, cols: d };
}

/** Every split kernel, through the public API; returns { name: hex }. */
export function runThreadCases(mt) {
  const out = {};
  GEMM_CASES.forEach((c, i) => { out[`gemm: ${c.name}`] = gemmCase(mt, c, 11 + 7 * i); });

  // k-means: the assignment's chunked centre sums (d > 4: the GEMM path; d = 2: the direct path), transform, predict.
  const big = blobs(12_000, 16, 10, 3);
  const km = new mt.KMeans({ k: 10, seed: 5 }).fit(big);
  out['kmeans d=16: centres'] = hex(km.clusterCenters.flat());
  out['kmeans d=16: labels'] = hex(km.labels);
  out['kmeans d=16: inertia, iterations'] = hex([km.inertia, km.nIter]);
  const more = blobs(4_000, 16, 10, 9);
  out['kmeans d=16: transform'] = hex(km.transform(more).data);
  out['kmeans d=16: predict'] = hex(km.predict(more));
  // Sample weights: the weighted totals are rebuilt from the labels; the assignment is still split.
  const weight = Float64Array.from(seededValues(big.rows, 77), (v) => 1 + v);
  const kmw = new mt.KMeans({ k: 10, seed: 6 }).fit(big, { sampleWeight: weight });
  out['kmeans d=16, weighted: centres, inertia'] = hex([...kmw.clusterCenters.flat(), kmw.inertia, kmw.nIter]);
  const flat = blobs(30_000, 2, 8, 21);
  const km2 = new mt.KMeans({ k: 8, init: 'random', nInit: 3, seed: 2 }).fit(flat);
  out['kmeans d=2, 3 random starts: centres, inertia'] = hex([...km2.clusterCenters.flat(), km2.inertia, km2.nIter]);
  out['kmeans d=2: labels'] = hex(km2.labels);

  // Gaussian mixture: the E-step's chunked log-likelihood, the M-step's chunked sums (every covariance type).
  const g = blobs(3_000, 3, 4, 31);
  for (const covarianceType of ['full', 'diag', 'tied', 'spherical']) {
    const gm = new mt.GaussianMixture({ nComponents: 4, covarianceType, seed: 1, maxIter: 30 }).fit(g);
    out[`gmm ${covarianceType}: means, bounds`] = hex([...gm.means.flat(), ...gm.lowerBounds, gm.nIter]);
    out[`gmm ${covarianceType}: scoreSamples`] = hex(gm.scoreSamples(g));
  }
  const gw = new mt.GaussianMixture({ nComponents: 4, covarianceType: 'full', seed: 2, maxIter: 20 })
    .fit(g, { sampleWeight: Float64Array.from(seededValues(g.rows, 79), (v) => 1.5 + v) });
  out['gmm full, weighted: means, bounds'] = hex([...gw.means.flat(), ...gw.lowerBounds]);
  // nInit starts (side by side with worker threads, one after another on one thread): random and k-means starts.
  for (const [initParams, covarianceType, nInit] of [['random', 'full', 3], ['kmeans', 'diag', 2]]) {
    const gs = new mt.GaussianMixture({ nComponents: 4, covarianceType, initParams, nInit, seed: 4, maxIter: 40 }).fit(g);
    out[`gmm ${covarianceType}, ${nInit} ${initParams} starts: means, bounds`] = hex([...gs.means.flat(), ...gs.lowerBounds, gs.nIter, gs.lowerBound]);
  }

  // Autoencoder: training (the layers' GEMMs) and scoring (GEMMs, activations, row errors).
  const ae = new mt.AutoEncoder({ inputSize: 16, encoderUnits: [64, 4], activation: 'tanh', seed: 3 });
  const x = blobs(2_048, 16, 6, 41);
  ae.fit(x, { epochs: 2, batchSize: 512, learningRate: 1e-3 });
  out['autoencoder: anomaly scores'] = hex(ae.anomalyScores(blobs(4_096, 16, 6, 43)));
  ae.dispose();
  return out;
}

/**
 * Seeded training runs, one per path through the training step: the accumulated
 * backward with dropout and a task reading another's prediction; per-task
 * gradients of Z (PCGrad, with the affinity measured every step); per-task
 * gradients of the shared parameters (MGDA); a strategy that writes the combined
 * gradient itself (GradDrop); one that learns from the losses after the update
 * (FAMO), on LTB's Gumbel-sampled branches; then the newer ops: a conv1d trunk, a transformer
 * trunk, and embedded identifier columns sharing a table, under a shared bottom and under MMoE
 * (whose gates read the tables' rows). Batches of 400 and 256 rows (3 and 2 micro-shards): the first
 * run's 128-unit layers make GEMMs the pool splits. Returns { name: hex of the
 * final weights and the loss history }.
 */
export async function runTrainingCases(mt) {
  const { MultiTaskModel, tasks } = mt;
  const rows = 600, inputs = 12;
  const xs = seededValues(rows * inputs, 501);
  const x = Array.from({ length: rows }, (_, i) => Array.from(xs.subarray(i * inputs, (i + 1) * inputs)));
  const labels = {
    kind: x.map((r, i) => (i % 9 === 4 ? null : r[0] + r[1] > 0.5 ? 2 : r[2] > 0 ? 1 : 0)),
    click: x.map((r, i) => (i % 7 === 3 ? NaN : r[3] - 0.5 * r[4] > 0 ? 1 : 0)),
    spend: x.map((r, i) => (i % 5 === 2 ? undefined : 3 * r[5] - r[6] * r[7] + 0.5)),
  };
  const three = (extra = {}) => [tasks.multiclass('kind'), tasks.binary('click', extra), tasks.regression('spend')];
  const runs = [
    { name: 'sharedBottom 128-128, dropout, click reads kind, batch 256', batchSize: 256, model: {
      architecture: { type: 'sharedBottom', units: [128, 128], towerUnits: [16], dropout: 0.1 },
      tasks: [tasks.multiclass('kind'), tasks.binary('click', { inputsFrom: ['kind'], headUnits: [4] }), tasks.regression('spend')],
      weighting: { type: 'uncertainty' },
    } },
    { name: 'mmoe, PCGrad on Z, affinity every step, batch 400', batchSize: 400, model: {
      architecture: { type: 'mmoe', experts: 3, expertUnits: [16], towerUnits: [8], dropout: 0.1 },
      tasks: three(), weighting: { type: 'pcgrad' }, affinity: { every: 1 },
    } },
    { name: 'cgc, MGDA on the shared parameters, batch 256', batchSize: 256, model: {
      architecture: { type: 'cgc', sharedExperts: 2, taskExperts: 1, expertUnits: [12], towerUnits: [6] },
      tasks: three(), weighting: { type: 'mgda' }, gradients: 'parameters',
    } },
    { name: 'crossStitch, GradDrop, batch 256', batchSize: 256, model: {
      architecture: { type: 'crossStitch', units: [12, 8], towerUnits: [4] }, tasks: three(), weighting: { type: 'graddrop' },
    } },
    { name: 'ltb (Gumbel branches), FAMO, batch 400', batchSize: 400, model: {
      architecture: { type: 'ltb', units: [12, 8], branches: [3], towerUnits: [4] }, tasks: three(), weighting: { type: 'famo' },
    } },
    { name: 'conv1d over 4 steps of 3 channels, dilation 2, batch 400', batchSize: 400, model: {
      architecture: { type: 'conv1d', steps: 4, filters: [8, 8], kernelSize: 2, dilation: [1, 2], pooling: 'last', towerUnits: [4] }, tasks: three(),
    } },
    { name: 'transformer over 4 steps of 3 channels, 2 heads, causal, batch 400', batchSize: 400, model: {
      architecture: { type: 'transformer', steps: 4, dModel: 8, heads: 2, feedForward: 12, causal: true, pooling: 'avg', towerUnits: [4], dropout: 0.1 }, tasks: three(),
    } },
  ];
  // Every other loss kernel (the step's losses run in its forward job on the pool): focal, multiclass focal, Huber,
  // soft dice, soft cross-entropy and the distribution heads' (Gaussian, Poisson, pinball), with weights by task.
  runs.push({ name: 'every other loss, batch 256', batchSize: 256, labels: {
    ...labels,
    dice: labels.click, soft: labels.click,
    level: x.map((r) => 2 * r[8] + r[9]),
    count: x.map((r, i) => (i % 6 === 1 ? null : Math.floor(3 * (r[10] + 1)))),
    q: x.map((r) => 2 * r[11] + r[0]),
  }, model: {
    architecture: { type: 'sharedBottom', units: [16], towerUnits: [4] },
    tasks: [
      tasks.multiclass('kind', { loss: { type: 'multiclassFocal', gamma: 2 } }), tasks.binary('click', { loss: { type: 'focal', gamma: 2, alpha: 0.25 } }),
      tasks.regression('spend', { loss: { type: 'huber', delta: 0.5 }, weight: 0.5 }), tasks.binary('dice', { loss: { type: 'softDice' } }),
      tasks.binary('soft', { loss: { type: 'softCrossEntropy' } }), tasks.gaussian('level'), tasks.poisson('count'), tasks.quantile('q'),
    ],
  } });
  const out = {};
  for (const r of runs) {
    const model = new MultiTaskModel({ input: { features: inputs, classes: { kind: 3 } }, ...r.model, optimizer: { type: 'adam', learningRate: 0.01 }, seed: 77 });
    const history = await model.fit(x, r.labels ?? labels, { epochs: 2, batchSize: r.batchSize, shuffle: true, seed: 5 });
    out[`training: ${r.name}`] = hex(Float32Array.from(model.parameters.names().flatMap((n) => Array.from(model.parameters.get(n)))))
      + ':' + hex(history.get('loss'));
    model.dispose();
  }
  // Embedded identifier columns sharing one table (rare identifiers in the out-of-vocabulary row), beside two numeric features.
  const data = mt.Dataset.fromColumns({
    a: x.map((_, i) => `u${(i * 7) % 37}`), b: x.map((_, i) => `u${(i * 11 + 3) % 41}`), f0: x.map((r) => r[0]), f1: x.map((r) => r[1]),
    kind: x.map((r) => (r[0] + r[1] > 0.5 ? 'p' : r[2] > 0 ? 'q' : 'r')), spend: x.map((r) => 3 * r[5] - r[6] * r[7] + 0.5),
  }, {
    features: { a: { type: 'categorical', embed: { dim: 4, table: 'user', minCount: 14 } }, b: { type: 'categorical', embed: { dim: 4, table: 'user', minCount: 14 } }, f0: 'numeric', f1: 'numeric' },
    targets: { kind: 'multiclass', spend: 'regression' },
  });
  // Then MMoE, whose gates read the tables' rows too, under MGDA over the shared parameters (each task's table gradient through its own gates).
  const embeddedRuns = [
    { name: 'embedded identifiers, one shared table, batch 400', model: { architecture: { type: 'sharedBottom', units: [16], towerUnits: [4], dropout: 0.1 } } },
    { name: 'mmoe on embedded identifiers, MGDA on the shared parameters, batch 400', model: {
      architecture: { type: 'mmoe', experts: 3, expertUnits: [8], towerUnits: [4] }, weighting: { type: 'mgda' }, gradients: 'parameters',
    } },
  ];
  for (const r of embeddedRuns) {
    const embedded = new MultiTaskModel({
      input: data, ...r.model, tasks: [tasks.multiclass('kind'), tasks.regression('spend')], optimizer: { type: 'adam', learningRate: 0.01 }, seed: 77,
    });
    const history = await embedded.fit(data, { epochs: 2, batchSize: 400, shuffle: true, seed: 5 });
    out[`training: ${r.name}`] = hex(Float32Array.from(embedded.parameters.names().flatMap((n) => Array.from(embedded.parameters.get(n)))))
      + ':' + hex(history.get('loss'));
    embedded.dispose();
  }
  return out;
}

/**
 * Micro-shard programs the pool's workers (not the calling thread) have run since
 * the pool started: the training step's passes run by workers (src/threads/program.ts).
 * `runner`: jobRunner() of dist/internal.js (0 on the calling thread alone).
 */
export function shardProgramsByWorkers(runner) {
  return runner?.programTasksRun ? runner.programTasksRun().slice(1).reduce((a, b) => a + b, 0) : 0;
}

/**
 * Ensemble.train with its members on job workers (`jobSettings` of the library's
 * internal entry: every member to a worker; null to let the calling thread take
 * some): the saved ensemble and its out-of-bag metrics, as hex and JSON.
 */
export async function runEnsembleCase(mt, threads, jobSettings = null) {
  const { Dataset, Ensemble, tasks } = mt;
  const rows = 240;
  const xs = seededValues(rows * 4, 601);
  const col = (f) => Array.from({ length: rows }, (_, i) => xs[i * 4 + f]);
  const data = Dataset.fromColumns(
    { a: col(0), b: col(1), c: col(2), d: col(3), kind: col(0).map((v, i) => ['x', 'y', 'z'][(v + xs[i * 4 + 1] > 0.3 ? 2 : v > 0 ? 1 : 0)]), y: col(2).map((v, i) => 2 * v - xs[i * 4 + 3]) },
    { features: { a: 'numeric', b: 'numeric', c: 'numeric', d: 'numeric' }, targets: { kind: 'multiclass', y: 'regression' } },
  );
  const spec = {
    architecture: { type: 'sharedBottom', units: [16], towerUnits: [4], dropout: 0.1 },
    tasks: [tasks.multiclass('kind'), tasks.regression('y')], weighting: { type: 'uncertainty' }, seed: 3,
  };
  if (jobSettings !== null) jobSettings.callerRuns = false;
  try {
    const e = await Ensemble.train(spec, data, { members: 4, seed: 8, threads, fit: { epochs: 3, batchSize: 32 } });
    const out = { file: hex(e.save()), outOfBag: JSON.stringify(e.outOfBag) };
    e.dispose();
    return out;
  } finally {
    if (jobSettings !== null) jobSettings.callerRuns = true;
  }
}

