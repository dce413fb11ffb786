// npm run bench -- autoencoder
// A dense autoencoder 64-32-8-32-64 (ReLU hidden layers, linear code and output,
// MSE, Adam 1e-3), samples/s, beside the same model in TF.js (tfjs-layers on the
// WASM backend) in the same process, alternating, medians:
//   - one training step on a batch given as a JS Float32Array (AutoEncoder.trainOnBatch
//     vs optimizer.minimize, as bench/tfjs-mlp.mjs does it), at batch 32, 256, 1024;
//   - one epoch of fit() over 16,384 rows at batch 256 (shuffled), each library's own fit;
//   - anomaly scores (per-row reconstruction error) of 16,384 rows.
import * as mt from '../dist/node.js';
import { loadTfWasm } from './tfjs.mjs';
import { compare, median, table } from './harness.mjs';
import { seededValues } from '../tests/helpers/reference.js';

const INPUTS = 64, UNITS = [32, 8];

/** The same model in tfjs-layers, set up as a careful user would for speed. */
function buildTfAutoencoder(tf, tfl, seed = 1) {
  const init = (s) => tfl.initializers.glorotUniform({ seed: seed + s });
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [INPUTS], units: 32, activation: 'relu', kernelInitializer: init(0) }),
      tfl.layers.dense({ units: 8, kernelInitializer: init(1) }),
      tfl.layers.dense({ units: 32, activation: 'relu', kernelInitializer: init(2) }),
      tfl.layers.dense({ units: INPUTS, kernelInitializer: init(3) }),
    ],
  });
  const optimizer = tf.train.adam(1e-3);
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
  return {
    step(x, rows) {
      const xt = tf.tensor2d(x, [rows, INPUTS]);
      optimizer.minimize(() => tf.losses.meanSquaredError(xt, model.apply(xt, { training: true })), false);
      xt.dispose();
    },
    async fitEpoch(xt) {
      await model.fit(xt, xt, { epochs: 1, batchSize: 256, shuffle: true, verbose: 0 });
    },
    scores(x, rows) {
      const out = tf.tidy(() => {
        const xt = tf.tensor2d(x, [rows, INPUTS]);
        return tf.mean(tf.squaredDifference(model.predict(xt, { batchSize: rows }), xt), 1);
      });
      const d = out.dataSync();
      out.dispose();
      return d;
    },
    dispose() { model.dispose(); optimizer.dispose(); },
  };
}

/** Rows on a noisy 8-dimensional subspace of R⁶⁴, so the model has something to learn. */
function data(rows, seed) {
  const z = seededValues(rows * 8, seed), w = seededValues(8 * INPUTS, 77), e = seededValues(rows * INPUTS, seed + 1);
  const x = new Float32Array(rows * INPUTS);
  for (let i = 0; i < rows; i++) {
    for (let f = 0; f < INPUTS; f++) {
      let v = 0.05 * e[i * INPUTS + f];
      for (let t = 0; t < 8; t++) v += z[i * 8 + t] * w[t * INPUTS + f];
      x[i * INPUTS + f] = v;
    }
  }
  return x;
}

export async function benchAutoencoder({ quick = false } = {}) {
  await mt.init({ threads: 1 }); // one thread, beside one-thread peers (bench/threads.mjs times the pool)
  const tf = await loadTfWasm();
  const tfl = await import('@tensorflow/tfjs-layers');
  const ours = new mt.AutoEncoder({ inputSize: INPUTS, encoderUnits: UNITS, activation: 'relu', seed: 1 });
  const theirs = buildTfAutoencoder(tf, tfl);
  const reps = quick ? 3 : 7;
  const rows = [], results = { training: [], fit: null, scores: null };
  for (const batch of quick ? [32, 256] : [32, 256, 1024]) {
    const x = data(batch, batch);
    const points = { data: x, rows: batch, cols: INPUTS };
    const [m, t] = compare([
      { fn: () => ours.trainOnBatch(points) },
      { fn: () => theirs.step(x, batch) },
    ], { reps, targetMs: quick ? 30 : 150 });
    results.training.push({ batch, manytask: batch / m, tfjs: batch / t, ratio: t / m });
    rows.push([`train step, batch ${batch}`, fmt(batch / m), fmt(batch / t), `${(t / m).toFixed(1)}×`]);
  }

  // One epoch of each library's own fit (theirs is async: timed by hand, alternating).
  const n = quick ? 4096 : 16384;
  const xs = data(n, 5);
  const points = { data: xs, rows: n, cols: INPUTS };
  const xt = tf.tensor2d(xs, [n, INPUTS]);
  ours.fit(points, { epochs: 1, batchSize: 256 });
  await theirs.fitEpoch(xt);
  const fitOurs = [], fitTheirs = [];
  for (let r = 0; r < (quick ? 2 : 5); r++) {
    let t0 = performance.now();
    ours.fit(points, { epochs: 1, batchSize: 256 });
    fitOurs.push((performance.now() - t0) / 1000);
    t0 = performance.now();
    await theirs.fitEpoch(xt);
    fitTheirs.push((performance.now() - t0) / 1000);
  }
  xt.dispose();
  const fm = median(fitOurs), ft = median(fitTheirs);
  results.fit = { rows: n, manytask: n / fm, tfjs: n / ft, ratio: ft / fm };
  rows.push([`fit, 1 epoch of ${n} rows, batch 256`, fmt(n / fm), fmt(n / ft), `${(ft / fm).toFixed(1)}×`]);

  const [sm, st] = compare([
    { fn: () => ours.anomalyScores(points) },
    { fn: () => theirs.scores(xs, n) },
  ], { reps, targetMs: quick ? 30 : 150 });
  results.scores = { rows: n, manytask: n / sm, tfjs: n / st, ratio: st / sm };
  rows.push([`anomaly scores, ${n} rows`, fmt(n / sm), fmt(n / st), `${(st / sm).toFixed(1)}×`]);

  console.log(`\nAutoencoder ${INPUTS}-${UNITS.join('-')}-${[...UNITS].reverse().slice(1).join('-')}-${INPUTS} (ReLU, MSE, Adam) — samples/s, one thread\n`);
  const text = table(['job', 'manytask', 'TF.js-wasm', 'ratio'], rows);
  ours.dispose();
  theirs.dispose();
  return { results, text };
}

function fmt(x) {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e5 ? `${(x / 1e3).toFixed(0)}k` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchAutoencoder({ quick: process.argv.includes('--quick') });
}
