// npm run bench -- jobs
// Independent jobs on the worker threads, 1 and 2 threads in the same process,
// alternating, medians, as a ratio (the results are the same bits either way:
// tests/unit/threads.test.js, tests/unit/ensemble-threads.test.js):
//   - GaussianMixture.fit, full covariances, nInit starts side by side (each EM
//     iteration's E-steps as one job, the M-steps' row sums as two);
//   - KMeans.fit with nInit random starts side by side (each Lloyd iteration
//     assigns every unfinished start in one job);
//   - Ensemble.train, members one per worker thread (each a whole training run on
//     its own memory, with the single-thread kernels), `threads: 1` against 2.
//     The job workers stay between calls: the warm-up calls start them, the timed
//     calls find them ready (their JIT warm), as a program that trains ensembles
//     again and again would. A worker's engine compiles the training code anew,
//     and one call trains too little for it to get there: on this machine a member
//     took 130, 95 and 26 ms on the worker in its first three calls, and 15 ms on the
//     calling thread, so this case is warmed up WARM_CALLS times.
// Figures need a quiet machine: other processes take the second core away.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { cpus, availableParallelism } from 'node:os';
import * as mt from '../dist/node.js';
import { resetRuntime } from '../dist/internal.js';
import { median, table } from './harness.mjs';
import { blobs } from '../tests/helpers/threads-cases.js';

const THREADS = [1, 2];
/** Untimed calls of the ensemble case at each thread count before the timed ones (see above). */
const WARM_CALLS = 10;

export async function benchJobs({ quick = false } = {}) {
  await resetRuntime();
  await mt.init({ threads: 2 });
  const reps = quick ? 3 : 7;
  const gmmRows = quick ? 6_000 : 40_000, gmmStarts = quick ? 2 : 4;
  const gmmPoints = blobs(gmmRows, 8, 6, 11);
  const kmRows = quick ? 20_000 : 100_000, kmStarts = quick ? 2 : 4;
  const kmPoints = blobs(kmRows, 16, 16, 13);
  const penguins = mt.Dataset.fromCSV(readFileSync(new URL('../examples/data/penguins.csv', import.meta.url), 'utf8'), {
    features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
    targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
  });
  const members = quick ? 2 : 4;
  const spec = {
    architecture: { type: 'sharedBottom', units: [64, 32], towerUnits: [16] },
    tasks: [mt.tasks.multiclass('species'), mt.tasks.binary('sex'), mt.tasks.regression('body_mass_g')],
    optimizer: { type: 'adam', learningRate: 0.01 }, seed: 1,
  };
  const epochs = quick ? 2 : 30;

  const cases = [
    {
      label: `GaussianMixture.fit, full, ${gmmRows.toLocaleString('en')} × 8, k = 6, ${gmmStarts} starts, 10 EM steps (ms)`,
      fn: () => { new mt.GaussianMixture({ nComponents: 6, nInit: gmmStarts, initParams: 'random', maxIter: 10, tol: 0, seed: 2 }).fit(gmmPoints); },
    },
    {
      label: `KMeans.fit, ${kmRows.toLocaleString('en')} × 16, k = 16, ${kmStarts} random starts, 10 iterations (ms)`,
      fn: () => { new mt.KMeans({ k: 16, init: 'random', nInit: kmStarts, maxIter: 10, tol: 0, seed: 3 }).fit(kmPoints); },
    },
    {
      label: `Ensemble.train, ${members} members, penguins, ${epochs} epochs (ms)`,
      jobThreads: true,
      fn: async (threads) => { (await mt.Ensemble.train(spec, penguins, { members, sampling: 'seeds', threads, fit: { epochs, batchSize: 32 } })).dispose(); },
    },
  ];
  // The pool's thread count for the kernels' jobs; Ensemble.train's own `threads` for its members (the pool stays at 2).
  const time = async (c, t) => {
    if (!c.jobThreads) await mt.init({ threads: t });
    const t0 = performance.now();
    await c.fn(t);
    return performance.now() - t0;
  };
  for (const c of cases) {
    for (let w = 0; w < (c.jobThreads ? WARM_CALLS : 1); w++) for (const t of THREADS) await time(c, t); // warm-up
  }
  const samples = cases.map(() => THREADS.map(() => []));
  for (let r = 0; r < reps; r++) {
    for (const [ti, t] of (r % 2 ? [...THREADS.entries()].reverse() : [...THREADS.entries()])) {
      for (const [i, c] of cases.entries()) samples[i][ti].push(await time(c, t));
    }
  }
  const results = [];
  const rows = cases.map((c, i) => {
    const [one, two] = samples[i].map(median);
    results.push({ case: c.label, ms: { 1: one, 2: two }, speedup: one / two });
    return [c.label, one.toFixed(1), two.toFixed(1), `${(one / two).toFixed(2)}×`];
  });
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores available`;
  console.log(`\nIndependent jobs, 1 and 2 threads — ${machine} (median of ${reps} alternating runs; the same bits either way)\n`);
  const text = table(['case', 'manytask 1 thread', 'manytask 2 threads', 'speed-up'], rows);
  await resetRuntime();
  return { results: { cases: results, machine }, text };
}
