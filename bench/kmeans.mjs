// npm run bench -- kmeans
// Lloyd's k-means, a fixed number of iterations from the same initial centres,
// per iteration: manytask's KMeans.fit beside ml-kmeans (npm) and a plain JS
// Float32Array Lloyd loop, in the same process, alternating, medians.
//   - 100,000 × 16 points, k = 16 (uniform in [−1, 1)¹⁶: no cluster structure,
//     so Lloyd does not converge within 50 iterations and every contender runs all 50);
//   - the US zip codes' latitude and longitude (vega-datasets zipcodes.csv, read with
//     manytask's Dataset), k = 8.
// manytask's time is the whole fit() (copying and checking the points, centring,
// the iterations, the final assignment and the exact inertia) divided by its
// iteration count; a second row times one iteration of the kernels alone, a third
// the same fit with sample weights (whose centre totals are rebuilt from the
// labels every iteration instead of kept incrementally).
// ml-kmeans is set up as a careful user would: arrays of rows, the same initial
// centres, tolerance −1 so it runs exactly maxIterations, warmed up first.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { kmeans as mlKmeans } from 'ml-kmeans';
import * as mt from '../dist/node.js';
import { runtime, heapF32 } from '../dist/internal.js';
import { median, table } from './harness.mjs';
import { seededValues } from '../tests/helpers/reference.js';

/** A plain JS Lloyd loop over Float32Arrays, written for speed (no allocation per iteration). */
export function jsLloyd(x, n, d, init, k, iterations) {
  const c = Float32Array.from(init);
  const sums = new Float64Array(k * d), counts = new Int32Array(k), labels = new Int32Array(n);
  for (let it = 0; it < iterations; it++) {
    sums.fill(0); counts.fill(0);
    for (let i = 0; i < n; i++) {
      const xo = i * d;
      let best = Infinity, bj = 0;
      for (let j = 0; j < k; j++) {
        const co = j * d;
        let s = 0;
        for (let f = 0; f < d; f++) {
          const e = x[xo + f] - c[co + f];
          s += e * e;
        }
        if (s < best) { best = s; bj = j; }
      }
      labels[i] = bj;
      counts[bj]++;
      const so = bj * d;
      for (let f = 0; f < d; f++) sums[so + f] += x[xo + f];
    }
    for (let j = 0; j < k; j++) {
      if (counts[j] === 0) continue;
      for (let f = 0; f < d; f++) c[j * d + f] = sums[j * d + f] / counts[j];
    }
  }
  return { centers: c, labels };
}

/** Times `contenders` (each fn runs a whole clustering and returns its iteration count), alternating, medians. */
function compareRuns(contenders, reps) {
  for (const c of contenders) c.fn(); // warm up (JIT, WASM tiers, caches)
  const samples = contenders.map(() => []);
  const iterations = contenders.map(() => 0);
  for (let r = 0; r < reps; r++) {
    contenders.forEach((c, i) => {
      const t0 = performance.now();
      iterations[i] = c.fn();
      samples[i].push((performance.now() - t0) / iterations[i]);
    });
  }
  return contenders.map((c, i) => ({ msPerIteration: median(samples[i]), iterations: iterations[i] }));
}

/** One Lloyd iteration of the kernels alone (assign + relocate + update), ms, median over `reps` batches. */
function kernelIteration(flat, n, d, init, k, reps) {
  const { kernels: K, allocator } = runtime('bench');
  const p = [];
  const alloc = (bytes) => { const q = allocator.alloc(bytes); p.push(q); return q; };
  const x = alloc(n * d * 4), xn = alloc(n * 4), labels = alloc(n * 4), minDist = alloc(n * 4);
  const sums = alloc(k * d * 8), counts = alloc(k * 4), scratch = alloc(K.kmeansScratchBytes(d, k)), c = alloc(k * d * 4);
  heapF32().set(flat, x >>> 2);
  heapF32().set(init, c >>> 2);
  K.rowSquaredNorms(n, d, x, xn);
  // As LloydState.run: no row in any cluster yet, the totals follow the labels.
  new Int32Array(heapF32().buffer, labels, n).fill(-1);
  new Float64Array(heapF32().buffer, sums, k * d).fill(0);
  new Int32Array(heapF32().buffer, counts, k).fill(0);
  const one = () => {
    K.kmeansAssign(n, d, k, x, xn, c, labels, minDist, sums, counts, scratch);
    const moved = K.kmeansRelocateEmpty(n, d, k, x, labels, minDist, sums, counts, 0, 0);
    K.kmeansUpdate(k, d, sums, counts, c, 0);
    if (moved > 0) K.kmeansLabelSums(n, d, k, x, labels, sums, counts, 0, 0);
  };
  for (let i = 0; i < 3; i++) one();
  const times = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) one();
    times.push((performance.now() - t0) / 10);
  }
  for (const q of p) allocator.free(q);
  return median(times);
}

function zipcodes() {
  const path = fileURLToPath(new URL('../node_modules/vega-datasets/data/zipcodes.csv', import.meta.url));
  const ds = mt.Dataset.fromCSV(readFileSync(path, 'utf8'), {
    features: { latitude: 'numeric', longitude: 'numeric' },
  });
  const lat = ds.column('latitude'), lon = ds.column('longitude');
  const rows = [];
  for (let i = 0; i < ds.rows; i++) if (!Number.isNaN(lat[i]) && !Number.isNaN(lon[i])) rows.push(i);
  const flat = new Float32Array(rows.length * 2);
  rows.forEach((r, i) => { flat[2 * i] = lat[r]; flat[2 * i + 1] = lon[r]; });
  return { flat, n: rows.length, d: 2 };
}

export async function benchKmeans({ quick = false } = {}) {
  await mt.init({ threads: 1 }); // one thread, beside one-thread peers (bench/threads.mjs times the pool)
  const iters = quick ? 10 : 50;
  const reps = quick ? 3 : 5;
  const uniform = { name: '100,000 × 16, k = 16', flat: seededValues(100000 * 16, 3), n: 100000, d: 16, k: 16 };
  const zip = { name: 'zip codes lat/long, k = 8', ...zipcodes(), k: 8 };
  const rows = [], results = [];
  for (const { name, flat, n, d, k } of [uniform, zip]) {
    // The same initial centres for everyone: k rows spread over the data.
    const init = new Float32Array(k * d);
    for (let j = 0; j < k; j++) init.set(flat.subarray(Math.floor((j * n) / k) * d, (Math.floor((j * n) / k) + 1) * d), j * d);
    const initRows = Array.from({ length: k }, (_, j) => Array.from(init.subarray(j * d, (j + 1) * d)));
    const dataRows = Array.from({ length: n }, (_, i) => Array.from(flat.subarray(i * d, (i + 1) * d)));
    const points = { data: flat, rows: n, cols: d };
    const sampleWeight = Float64Array.from(seededValues(n, 5), (v) => 1.5 + v);
    let ours = null, theirs = null, plain = null;
    const [m, ml, js, mw] = compareRuns([
      { fn: () => { ours = new mt.KMeans({ k, init: initRows, maxIter: iters, tol: 0 }).fit(points); return ours.nIter; } },
      { fn: () => { theirs = mlKmeans(dataRows, k, { initialization: initRows.map((r) => r.slice()), maxIterations: iters, tolerance: -1 }); return theirs.iterations; } },
      { fn: () => { plain = jsLloyd(flat, n, d, init, k, iters); return iters; } },
      { fn: () => new mt.KMeans({ k, init: initRows, maxIter: iters, tol: 0 }).fit(points, { sampleWeight }).nIter },
    ], reps);
    const kernelMs = kernelIteration(flat, n, d, init, k, reps);
    // Sanity: after the same iterations the three have the same centres, up to rounding
    // (manytask and the JS loop keep f32 centres, ml-kmeans f64 ones: a point at a
    // near-tie, e.g. zip codes sharing coordinates, can then go either way). Labels are
    // not compared: manytask reassigns them to the final centres, as scikit-learn does,
    // the others return the assignment before the last update.
    const ourCentres = ours.clusterCenters.flat();
    const diff = (other) => Math.max(...ourCentres.map((v, t) => Math.abs(v - other[t])));
    const mlDiff = diff(theirs.centroids.flat()), jsDiff = diff(Array.from(plain.centers));
    results.push({
      case: name, iterations: { manytask: m.iterations, mlKmeans: ml.iterations, js: js.iterations },
      msPerIteration: {
        manytask: m.msPerIteration, manytaskKernels: kernelMs, manytaskWeighted: mw.msPerIteration, mlKmeans: ml.msPerIteration, js: js.msPerIteration,
      },
      maxCentreDifference: { mlKmeans: mlDiff, js: jsDiff },
    });
    rows.push([name, 'manytask KMeans.fit', m.iterations, m.msPerIteration.toFixed(3), '1.0×']);
    rows.push(['', 'manytask, kernels only', '', kernelMs.toFixed(3), '']);
    rows.push(['', 'manytask KMeans.fit with sampleWeight', mw.iterations, mw.msPerIteration.toFixed(3), `${(mw.msPerIteration / m.msPerIteration).toFixed(1)}×`]);
    rows.push(['', 'ml-kmeans 7.0.1', ml.iterations, ml.msPerIteration.toFixed(2), `${(ml.msPerIteration / m.msPerIteration).toFixed(1)}×`]);
    rows.push(['', 'plain JS Float32Array loop', js.iterations, js.msPerIteration.toFixed(2), `${(js.msPerIteration / m.msPerIteration).toFixed(1)}×`]);
    rows.push(['', `centres differ from ml-kmeans' by ≤ ${mlDiff.toExponential(1)}, from JS's by ≤ ${jsDiff.toExponential(1)}`, '', '', '']);
  }
  console.log(`\nk-means, Lloyd from the same initial centres, ${iters} iterations max — ms per iteration (median of ${reps} alternating runs), one thread\n`);
  const text = table(['data', 'implementation', 'iterations', 'ms / iteration', 'slower than manytask'], rows);
  return { results, text };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchKmeans({ quick: process.argv.includes('--quick') });
}
