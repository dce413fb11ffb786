// npm run bench -- threads
// The worker pool: the same calls with 1 and 2 threads (init({ threads })), in
// the same process, alternating, medians, as a ratio; beside PyTorch at the same
// thread count where Debian's python3-torch is installed, and TF.js-wasm (one
// thread: its threaded build needs a browser). Then the relaxed-SIMD GEMM
// (init({ fast: true })) beside the default one, under Deno (relaxed SIMD is
// behind a flag in Node 20).
//   - the cost of handing out a job that does nothing (µs), the floor under
//     every split;
//   - GEMMs, square and of the benchmark MLP's training shapes, split by rows;
//   - k-means 100,000 × 16, k = 16, ms per Lloyd iteration of KMeans.fit;
//   - autoencoder 64-32-8-32-64 anomaly scores on 16,384 rows;
//   - MultiTaskModel.predict on 16,384 rows (the benchmark model of
//     bench/train.mjs: shared bottom 64→256→128, three heads), from a Matrix;
//   - MultiTaskModel training steps (the same network, Adam) at batch 32, 256
//     and 1024, samples/s: fit's step (its large GEMMs split by rows), the
//     batch already in the model's buffers; and that step's optimizer update
//     alone (µs).
// Results are bit-identical for every thread count (tests/unit/threads.test.js);
// only the time differs. Figures need a quiet machine: other processes take the
// second core away.
import { execFileSync, spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { cpus, availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import * as mt from '../dist/node.js';
import { resetRuntime, runtime, jobRunner, jobs, heapF32, applyUpdate } from '../dist/internal.js';
import { loadTfWasm } from './tfjs.mjs';
import { calibrate, median, table, timeIt } from './harness.mjs';
import { seededValues } from '../tests/helpers/reference.js';

const THREADS = [1, 2];
const ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function benchThreads({ quick = false } = {}) {
  await resetRuntime();
  await mt.init({ threads: 2 });
  const reps = quick ? 3 : 7;
  const targetMs = quick ? 15 : 80;
  const gemmCases = [
    ...(quick ? [256, 512] : [256, 512, 1024]).map((n) => ({ label: `${n}³ A·B`, M: n, K: n, N: n, transposeA: false, transposeB: false })),
    { label: 'X·W 1024×64·64×256', M: 1024, K: 64, N: 256, transposeA: false, transposeB: false },
    { label: 'dX = dY·Wᵀ 1024×256·256×64', M: 1024, K: 256, N: 64, transposeA: false, transposeB: true },
    { label: 'dW = Xᵀ·dY 64×1024·1024×256', M: 64, K: 1024, N: 256, transposeA: true, transposeB: false },
  ];
  const cases = [];
  const dispose = [];

  // The floor: a job of `threads` tasks that do nothing but say which thread ran them.
  const { allocator } = runtime('bench');
  const who = allocator.alloc(64 * 4);
  cases.push({ label: 'an empty job (µs)', unit: 'µs', fn: () => {
    const r = jobRunner();
    r.args[jobs.WHO.out] = who;
    r.run(jobs.JOB_WHO, r.threads);
  } });
  // The wake-up round trip: one empty task that only a worker may take (the calling thread waits for it).
  cases.push({ label: 'a task a worker must run (µs)', unit: 'µs', threads: 2, fn: () => {
    const r = jobRunner();
    r.args[jobs.WHO.out] = who;
    r.run(jobs.JOB_WHO, 1, true);
  } });

  for (const c of gemmCases) {
    const A = seededValues(c.M * c.K, 1), B = seededValues(c.K * c.N, 2);
    const a = c.transposeA ? mt.Matrix.from(A, c.K, c.M) : mt.Matrix.from(A, c.M, c.K);
    const b = c.transposeB ? mt.Matrix.from(B, c.N, c.K) : mt.Matrix.from(B, c.K, c.N);
    const out = mt.Matrix.zeros(c.M, c.N);
    dispose.push(a, b, out);
    cases.push({ ...c, unit: 'GFLOP/s', flops: 2 * c.M * c.N * c.K, fn: () => mt.gemm(a, b, out, { transposeA: c.transposeA, transposeB: c.transposeB }) });
  }

  // k-means as bench/kmeans.mjs times it: the whole fit from given centres, no convergence within the iterations.
  const n = 100_000, d = 16, k = 16, iters = quick ? 10 : 30;
  const flat = seededValues(n * d, 3);
  const initRows = Array.from({ length: k }, (_, j) => Array.from(flat.subarray(Math.floor((j * n) / k) * d, (Math.floor((j * n) / k) + 1) * d)));
  const points = { data: flat, rows: n, cols: d };
  const kmLabel = 'k-means 100,000 × 16, k = 16 (ms / iteration)';
  cases.push({ label: kmLabel, unit: 'ms', perCall: iters, fn: () => new mt.KMeans({ k, init: initRows, maxIter: iters, tol: 0 }).fit(points) });

  // Autoencoder anomaly scores: GEMMs, activations and row errors split by rows.
  const ae = new mt.AutoEncoder({ inputSize: 64, encoderUnits: [32, 8], activation: 'relu', seed: 1 });
  const aeRows = 16_384;
  const aeX = { data: seededValues(aeRows * 64, 5), rows: aeRows, cols: 64 };
  cases.push({ label: `autoencoder anomaly scores, ${aeRows.toLocaleString('en')} rows (ms)`, unit: 'ms', fn: () => ae.anomalyScores(aeX) });

  // predict on many rows: the forward GEMMs split by rows; the model untrained (the time is the same).
  const predictRows = 16_384, inputs = 64;
  const model = benchmarkModel();
  const predictX = mt.Matrix.from(seededValues(predictRows * inputs, 6), predictRows, inputs);
  dispose.push(predictX);
  cases.push({ label: `MultiTaskModel.predict, ${predictRows.toLocaleString('en')} rows (ms)`, unit: 'ms', fn: () => model.predict(predictX) });

  // Training steps of the benchmark network, on a batch resident in the model's buffers.
  const trainBatches = quick ? [32, 256] : [32, 256, 1024];
  const trainLabels = new Map();
  for (const rows of trainBatches) {
    const { model: trained, data, step } = trainingStep(rows);
    dispose.push({ dispose: () => { trained.core.freeResident(data); trained.dispose(); } });
    const label = `training step, batch ${rows} (samples/s)`;
    trainLabels.set(label, rows);
    cases.push({ label, unit: 'samples/s', rows, fn: step });
    if (rows === trainBatches.at(-1)) {
      // The step's update alone (Adam over the 50,448 parameters, in pieces on the pool
      // with 2 threads): it streams the weights, the gradient and the moments, so memory
      // bandwidth rather than the cores bounds it. A tiny rate: the weights hardly move.
      step();
      cases.push({ label: 'the update alone, Adam, 50,448 parameters (µs)', unit: 'µs', fn: () => applyUpdate(trained.core.optimizer, 1e-9, true) });
    }
  }

  // Alternate the thread counts: init({ threads }) restarts the pool on the same memory.
  const samples = cases.map(() => THREADS.map(() => []));
  const perBatch = [];
  for (const t of THREADS) {
    await mt.init({ threads: t });
    cases.forEach((c, i) => {
      if (c.threads !== undefined && c.threads !== t) return;
      c.fn();
      perBatch[i] = Math.max(perBatch[i] ?? 1, calibrate(c.fn, targetMs));
    });
  }
  for (let r = 0; r < reps; r++) {
    for (const [ti, t] of (r % 2 ? [...THREADS.entries()].reverse() : [...THREADS.entries()])) {
      await mt.init({ threads: t });
      if (mt.threadInfo().threads !== t) throw new Error(`bench: asked for ${t} threads, got ${JSON.stringify(mt.threadInfo())}`);
      cases.forEach((c, i) => {
        if (c.threads !== undefined && c.threads !== t) return;
        // A batch untimed first: init({ threads }) started new workers, whose JavaScript (the
        // task loop, the programs' interpreter) is not yet compiled by the engine's optimizing tier.
        timeIt(c.fn, perBatch[i]);
        samples[i][ti].push(timeIt(c.fn, perBatch[i]));
      });
    }
  }
  allocator.free(who);
  for (const m of dispose) m.dispose();
  ae.dispose();
  model.dispose();

  const show = (c, seconds) => {
    if (c.unit === 'GFLOP/s') return (c.flops / seconds / 1e9).toFixed(1);
    if (c.unit === 'µs') return (seconds * 1e6).toFixed(1);
    if (c.unit === 'samples/s') return Math.round(c.rows / seconds).toLocaleString('en');
    return (seconds * 1e3 / (c.perCall ?? 1)).toFixed(c.perCall ? 2 : 1);
  };
  const tf = await tfjsOneThread(gemmCases, reps, targetMs);
  const torch = pytorch(gemmCases, { label: kmLabel, n, d, k }, iters, reps, [...trainLabels].map(([label, rows]) => ({ label, rows })));
  const results = [];
  const rows = cases.map((c, i) => {
    const [one, two] = samples[i].map((xs) => (xs.length === 0 ? NaN : median(xs)));
    const tfSeconds = tf.get(c.label);
    const tr = (t) => torch.ok ? torch.threads[String(t)]?.[c.label] : undefined;
    results.push({ case: c.label, unit: c.unit, seconds: { 1: one, 2: two }, speedup: one / two, tfjsWasm: tfSeconds ?? null, torch: torch.ok ? { 1: tr(1) ?? null, 2: tr(2) ?? null } : null });
    return [
      c.label, Number.isNaN(one) ? '—' : show(c, one), show(c, two), Number.isNaN(one) ? '—' : `${(one / two).toFixed(2)}×`,
      tfSeconds === undefined ? '—' : show(c, tfSeconds),
      tr(1) === undefined ? '—' : show(c, tr(1)), tr(2) === undefined ? '—' : show(c, tr(2)),
    ];
  });
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores available`;
  console.log(`\nWorker pool, 1 and 2 threads — ${machine} (median of ${reps} alternating runs; the same bits either way)\n`);
  const text = table(['case', 'manytask 1 thread', 'manytask 2 threads', 'speed-up', 'TF.js-wasm (1 thread)', 'PyTorch 1', 'PyTorch 2'], rows);
  if (!torch.ok) console.log(`\nPyTorch: ${torch.message}`);
  console.log('TF.js-wasm runs one thread in Node (its threaded build needs a browser\'s workers).');

  const relaxed = relaxedInDeno(quick);
  let relaxedText = '';
  if (relaxed.ok && relaxed.available) {
    console.log(`\nRelaxed-SIMD GEMM (init({ fast: true })) beside the default, one thread, ${relaxed.runtime} — GFLOP/s\n`);
    relaxedText = table(['case', 'default (mul + add)', 'fast (relaxed_madd)', 'ratio'],
      relaxed.cases.map((c) => [c.label, c.exact.toFixed(1), c.fast.toFixed(1), `${(c.fast / c.exact).toFixed(2)}×`]));
  } else {
    console.log(`\nRelaxed-SIMD GEMM: ${relaxed.ok ? `${relaxed.runtime} has no relaxed SIMD` : relaxed.message}`);
  }
  await resetRuntime();
  return { results: { cases: results, relaxed: relaxed.ok ? relaxed.cases : [], machine }, text: `${text}\n\n${relaxedText}` };
}

/** TF.js on its WASM backend, the same GEMMs, one thread: seconds per call by label. */
async function tfjsOneThread(gemmCases, reps, targetMs) {
  const tf = await loadTfWasm();
  const out = new Map();
  for (const c of gemmCases) {
    const a = tf.tensor2d(seededValues(c.M * c.K, 1), c.transposeA ? [c.K, c.M] : [c.M, c.K]);
    const b = tf.tensor2d(seededValues(c.K * c.N, 2), c.transposeB ? [c.N, c.K] : [c.K, c.N]);
    const fn = () => tf.matMul(a, b, c.transposeA, c.transposeB).dispose();
    const iters = calibrate(fn, targetMs);
    out.set(c.label, median(Array.from({ length: reps }, () => timeIt(fn, iters))));
    a.dispose(); b.dispose();
  }
  return out;
}

/** The benchmark network (bench/train.mjs) as a MultiTaskModel: 64 inputs, shared bottom 256→128, binary, 5-class and regression heads, Adam. */
function benchmarkModel() {
  return new mt.MultiTaskModel({
    input: { features: 64, classes: { c: 5 } },
    architecture: { type: 'sharedBottom', units: [256, 128], towerUnits: [] },
    tasks: [mt.tasks.binary('b'), mt.tasks.multiclass('c'), mt.tasks.regression('y')],
    optimizer: { type: 'adam', learningRate: 1e-3 }, seed: 1, affinity: false,
  });
}

/**
 * The benchmark network as a MultiTaskModel with a batch of `rows` rows in its
 * buffers; `step` runs one training step on it (forward, losses, backward,
 * Adam), as fit does for each batch.
 */
export function trainingStep(rows) {
  const inputs = 64, classes = 5;
  const model = benchmarkModel();
  const xs = seededValues(rows * inputs, 9);
  const labels = new Map([
    ['b', Array.from({ length: rows }, (_, i) => (xs[i * inputs] > 0 ? 1 : 0))],
    ['c', Array.from({ length: rows }, (_, i) => Math.floor((xs[i * inputs + 1] + 1) * 2.5) % classes)],
    ['y', Array.from({ length: rows }, (_, i) => 3 * xs[i * inputs + 2])],
  ]);
  const core = model.core;
  const data = core.makeResident(xs, rows, labels);
  core.ensureCapacity(rows);
  const { allocator } = runtime('bench');
  const idx = allocator.alloc(rows * 4);
  new Int32Array(heapF32().buffer, idx, rows).set(Array.from({ length: rows }, (_, i) => i));
  core.loadBatch(data, idx, rows);
  allocator.free(idx);
  return { model, data, step: () => core.trainBatch(rows, 1e-3, 0) };
}

/** PyTorch at 1 and 2 threads through bench/torch_threads.py, where /usr/bin/python3 can import torch. */
function pytorch(gemmCases, kmeans, iterations, reps, train = []) {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) return { ok: false, message: 'skipped: apt-get install python3-torch libopenblas0-pthread' };
  // Debian's torch does its GEMMs through libblas.so.3: the reference BLAS (about 6 GFLOP/s at 512,
  // one thread or two) unless OpenBLAS provides it (about 87). A careful user installs OpenBLAS.
  if (referenceBlas()) return { ok: false, message: 'skipped: PyTorch would run on the reference BLAS, 14× slower at a 512 GEMM: apt-get install libopenblas0-pthread' };
  try {
    const spec = JSON.stringify({ threads: THREADS, reps, gemm: gemmCases, kmeans, train });
    const line = execFileSync('/usr/bin/python3', [join(ROOT, 'bench', 'torch_threads.py'), spec], { encoding: 'utf8', timeout: 600_000 }).trim().split('\n').at(-1);
    const r = JSON.parse(line);
    // Its k-means figure is per iteration; manytask's row times a fit of `iterations` iterations.
    for (const row of Object.values(r.threads)) row[kmeans.label] *= iterations;
    return { ok: true, threads: r.threads, version: r.torch };
  } catch (err) {
    return { ok: false, message: `failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
  }
}

/** Whether Debian's libblas.so.3 is the reference BLAS (its alternatives point into blas/, OpenBLAS's into openblas-*). */
function referenceBlas() {
  try {
    return /\/blas\/libblas\.so/.test(realpathSync(`/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/libblas.so.3`));
  } catch {
    return false;
  }
}

/** bench/relaxed.mjs under Deno (npm's deno, a devDependency). */
function relaxedInDeno(quick) {
  const deno = join(ROOT, 'node_modules', '.bin', 'deno');
  const r = spawnSync(deno, ['run', '-A', '--no-lock', '--cached-only', join(ROOT, 'bench', 'relaxed.mjs'), ...(quick ? ['--quick'] : [])],
    { encoding: 'utf8', timeout: 600_000, env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' } });
  if (r.error || r.status !== 0) return { ok: false, message: `deno bench/relaxed.mjs failed: ${r.error?.message ?? r.stderr.trim().split('\n').at(-1)}` };
  return { ok: true, ...JSON.parse(r.stdout.trim().split('\n').at(-1)) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchThreads({ quick: process.argv.includes('--quick') });
}
