// The worker pool (src/threads/): every kernel it splits gives the bits of the
// single-thread module for 2, 3, 4 and 8 threads (8 on a 2-core machine too);
// bad thread counts are typed errors; a worker that traps, throws or dies
// surfaces as a typed error and the pool works again; memory that grows while
// the workers live is seen by them; after shutdown the library goes on, on one
// thread; the start-up self-test refuses a pool whose threads do not see each
// other's writes. Runs unchanged under Node, Deno and Bun.
import { test, before } from 'node:test';
import * as mt from '../../dist/index.js';
import assert from 'node:assert/strict';
import {
  init, threadInfo, shutdown, Matrix, matmul, KMeans, MAX_THREADS, ArgumentError, InitError, ThreadError, WasmTrapError, NotInitializedError,
} from '../../dist/index.js';
import { runtime, resetRuntime, jobRunner, jobs, Pool, Allocator, GEMM_SPLIT_MACS, GEMM_SPLIT_MACS_WARM, withSharedMemory } from '../../dist/internal.js';
import { runThreadCases, runTrainingCases, shardProgramsByWorkers, GEMM_CASES, blobs, hex } from '../helpers/threads-cases.js';
import { typedError } from '../helpers/errors.js';
import { gemmRef, assertClose, seededValues } from '../helpers/reference.js';

let reference; // the cases on the single-thread module
let trainingReference; // the seeded training runs on the single-thread module

before(async () => {
  await resetRuntime();
  await init({ threads: 1 });
  reference = runThreadCases(mt);
  trainingReference = await runTrainingCases(mt);
  await resetRuntime();
  await init({ threads: 2 });
}, { timeout: 120_000 });

/** Tasks the workers (not the calling thread) have run since the pool started. */
function workerTasks() {
  const r = jobRunner();
  return r.tasksRun ? r.tasksRun().slice(1).reduce((a, b) => a + b, 0) : 0;
}

function differences(got) {
  return Object.keys(reference).filter((k) => got[k] !== reference[k]);
}

test('training ends with the single-thread module\'s weights and losses, bit for bit, with 2, 3, 4 and 8 threads (it leaves 2, as the next test expects)', { timeout: 240_000 }, async () => {
  // Whether a worker or the calling thread claims a task is a race (any thread takes the next one):
  // that the workers took part is asserted over the four counts, not for each.
  let byWorkers = 0, shardsByWorkers = 0;
  for (const threads of [3, 8, 4, 2]) {
    await init({ threads });
    assert.equal(threadInfo().threads, threads);
    const before = workerTasks(), shardsBefore = shardProgramsByWorkers(jobRunner());
    const got = await runTrainingCases(mt);
    const differ = Object.keys(trainingReference).filter((k) => got[k] !== trainingReference[k]);
    assert.deepEqual(differ, [], `${threads} threads: these training runs differ from one thread`);
    byWorkers += workerTasks() - before;
    shardsByWorkers += shardProgramsByWorkers(jobRunner()) - shardsBefore;
  }
  assert.ok(byWorkers > 0, 'the workers took no part in the training');
  // Not only the GEMMs split inside a step: workers ran whole micro-shards' passes (forward and backward).
  assert.ok(shardsByWorkers > 0, 'no worker ran a micro-shard\'s pass');
});

test('init rejects thread counts that are not an integer from 1 to MAX_THREADS, and unknown options', { timeout: 120_000 }, async () => {
  for (const threads of [0, -1, 1.5, 1e4, MAX_THREADS + 1, NaN, '2', null]) {
    await assert.rejects(init({ threads }), typedError(ArgumentError, 'E_ARGUMENT', [/init: threads must be an integer from 1 to 64/]), `threads: ${String(threads)}`);
  }
  await assert.rejects(init({ fast: 'yes' }), typedError(ArgumentError, 'E_ARGUMENT', [/init: fast must be true or false/]));
  await assert.rejects(init({ thread: 2 }), typedError(ArgumentError, 'E_ARGUMENT', [/unknown option "thread"/]));
  await assert.rejects(init(undefined, { threads: 0 }), typedError(ArgumentError, 'E_ARGUMENT', [/threads must be/]));
  assert.equal(threadInfo().threads, 2, 'a rejected init leaves the pool as it was');
});

test('every split kernel gives the single-thread module\'s bits with 2, 3, 4 and 8 threads, and after shutdown', { timeout: 120_000 }, async (t) => {
  for (const threads of [2, 8, 3, 4]) {
    await init({ threads });
    const info = threadInfo();
    assert.deepEqual({ threads: info.threads, requested: info.requested, reason: info.reason }, { threads, requested: threads, reason: null });
    const before = workerTasks();
    const got = runThreadCases(mt);
    assert.deepEqual(differences(got), [], `${threads} threads: these results differ from one thread`);
    assert.ok(workerTasks() > before, `${threads} threads: the workers ran no task (the cases are below every split threshold?)`);
  }
  await shutdown();
  assert.equal(threadInfo().threads, 1);
  assert.match(threadInfo().reason, /shut down/);
  assert.deepEqual(differences(runThreadCases(mt)), [], 'after shutdown');
  t.diagnostic(`${Object.keys(reference).length} results bit-identical for 1, 2, 3, 4 and 8 threads`);
  await init({ threads: 2 });
  assert.equal(threadInfo().threads, 2, 'init({ threads }) after shutdown starts a pool again');
});

test('a split GEMM stays within the f64 reference\'s tolerance (the split changes no arithmetic)', { timeout: 120_000 }, () => {
  const c = GEMM_CASES[0];
  assert.ok(c.M * c.N * c.K > GEMM_SPLIT_MACS, 'the case is large enough to be split');
  const A = seededValues(c.M * c.K, 11), B = seededValues(c.K * c.N, 12), C0 = seededValues(c.M * c.N, 13), bias = seededValues(c.N, 14);
  const a = Matrix.from(A, c.M, c.K), b = Matrix.from(B, c.K, c.N), bm = Matrix.from(bias, 1, c.N);
  const out = matmul(a, b, { bias: bm, activation: 'relu' });
  const { C, scale } = gemmRef({ M: c.M, N: c.N, K: c.K, A, B, bias, relu: true, C0 });
  assertClose(out.toFloat32Array(), C, { atol: 1e-5, rtol: 1e-5, scale, label: 'split GEMM' });
  for (const m of [a, b, bm, out]) m.dispose();
});

test('a GEMM between the warm and the cold split thresholds is split right after a job and not after a pause, with the same bits', { timeout: 120_000 }, async () => {
  const M = 64, K = 128, N = 64;
  assert.ok(M * N * K > GEMM_SPLIT_MACS_WARM && M * N * K <= GEMM_SPLIT_MACS, 'the case lies between the thresholds');
  const a = Matrix.from(seededValues(M * K, 21), M, K), b = Matrix.from(seededValues(K * N, 22), K, N);
  const big = Matrix.from(seededValues(256 * 256, 23), 256, 256);
  const small = () => { const c = matmul(a, b); const bits = hex(c.toFloat32Array()); c.dispose(); return bits; };
  const byWorkers = (f) => { const before = workerTasks(); const out = f(); return { out, workers: workerTasks() - before }; };
  await init({ threads: 1 });
  const expected = small();
  await init({ threads: 2 });
  // Cold: the workers have waited longer than SPIN_MS and sleep; waking them costs more than half this GEMM.
  await new Promise((r) => setTimeout(r, 20));
  const cold = byWorkers(small);
  assert.equal(cold.out, expected, 'cold: the bits of one thread');
  assert.equal(cold.workers, 0, 'cold: the calling thread ran it alone');
  // Warm: right after a split GEMM. A host that stops this thread between the two calls makes the
  // pool cold again, so this tries a few times; the bits are the same either way.
  let warm = 0;
  for (let i = 0; i < 20 && warm === 0; i++) {
    matmul(big, big).dispose();
    const r = byWorkers(small);
    assert.equal(r.out, expected, 'warm: the bits of one thread');
    warm = r.workers;
  }
  assert.ok(warm > 0, 'warm: a worker ran a part of it');
  for (const m of [a, b, big]) m.dispose();
});

test('a worker that traps, throws or dies is a typed error in the caller; the pool works again on the next call', { timeout: 120_000 }, async () => {
  await init({ threads: 3 });
  const pool = jobRunner();
  assert.ok(pool instanceof Pool, 'a pool runs');
  const fault = (mode) => {
    pool.args[jobs.FAULT.mode] = mode;
    pool.args[jobs.FAULT.value] = 42;
    pool.run(jobs.JOB_FAULT, 1, true);
  };
  const whoRan = (tasks) => {
    const { allocator, memory } = runtime('test');
    const out = allocator.alloc(tasks * 4);
    try {
      pool.args[jobs.WHO.out] = out;
      pool.run(jobs.JOB_WHO, tasks, true);
      return [...new Int32Array(memory.buffer, out, tasks)];
    } finally {
      allocator.free(out);
    }
  };
  const x = Matrix.from(seededValues(200 * 300, 5), 200, 300);
  // Each product disposed at once: one left to the garbage collector would give its memory back
  // whenever a collection runs, in a later test's await (the shutdown test compares bytesInUse across one).
  const product = () => {
    const p = matmul(x, x, { transposeB: true });
    try {
      return hex(p.toFloat32Array());
    } finally {
      p.dispose();
    }
  };
  const expected = product();

  assert.throws(() => fault(jobs.FAULT_TRAP), typedError(WasmTrapError, 'E_WASM_TRAP', [/kernel fault trapped/, /worker thread [12]/]));
  assert.ok(whoRan(8).every((t) => t >= 1), 'after a trap, the workers run tasks');
  assert.throws(() => fault(jobs.FAULT_THROW), typedError(ThreadError, 'E_THREAD', [/a task that throws \(value 42\)/, /worker thread/]));
  assert.equal(product(), expected, 'after a throw');

  assert.throws(() => fault(jobs.FAULT_DIE), typedError(ThreadError, 'E_THREAD', [/a worker thread stopped/, /incomplete/]));
  // The next call works at once, on the threads that are left…
  assert.equal(product(), expected, 'right after a worker died');
  // …and a replacement joins.
  const deadline = Date.now() + 20_000;
  while (threadInfo().threads < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(threadInfo().threads, 3, 'a replacement worker started');
  assert.ok(whoRan(8).every((t) => t >= 1), 'the replacement runs tasks');
  assert.equal(product(), expected, 'with the replacement');
  x.dispose();
});

test('a worker that traps in the middle of a micro-shard\'s pass is a typed error; the next fit runs its shards on the workers again, with the same bits', { timeout: 120_000 }, async () => {
  await init({ threads: 2 });
  const pool = jobRunner();
  assert.ok(pool instanceof Pool, 'a pool runs');
  const x = Array.from({ length: 512 }, (_, i) => Array.from(seededValues(6, 900 + i)));
  const labels = { a: x.map((r) => (r[0] + r[1] > 0 ? 1 : 0)), b: x.map((r) => 2 * r[2] - r[3]) };
  const fitWeights = async () => {
    const model = new mt.MultiTaskModel({
      input: { features: 6 }, architecture: { type: 'sharedBottom', units: [32], towerUnits: [8], dropout: 0.1 },
      tasks: [mt.tasks.binary('a'), mt.tasks.regression('b')], seed: 3,
    });
    await model.fit(x, labels, { epochs: 2, batchSize: 256, seed: 1 });
    const w = hex(Float32Array.from(model.parameters.names().flatMap((n) => Array.from(model.parameters.get(n)))));
    model.dispose();
    return w;
  };
  const before = await fitWeights();
  // A shard's program that adds 16 floats in place, then reads past the end of memory.
  const { allocator, memory } = runtime('test');
  const add = 2 * jobs.PROGRAM_KERNELS.indexOf('add');
  const block = allocator.alloc(256);
  try {
    const program = [add, 4, 16, block + 128, block + 128, block + 128, add, 4, 16, 0xfffffff0, block + 128, block + 128];
    new Float64Array(memory.buffer, block, program.length).set(program);
    new Int32Array(memory.buffer, block + 192, 2).set([block, program.length]);
    pool.args[jobs.PROGRAM.table] = block + 192;
    pool.args[jobs.PROGRAM.results] = block + 200;
    assert.throws(() => pool.run(jobs.JOB_PROGRAM, 1, true), typedError(WasmTrapError, 'E_WASM_TRAP', [/micro-shard's pass/, /worker thread 1/]));
  } finally {
    allocator.free(block);
  }
  // Which thread claims a shard is a race (the calling thread may take every task of a
  // job while the worker wakes, and on a loaded machine the worker may not be scheduled
  // for a while): fit again, at most 40 times (a fit takes milliseconds), until the worker took one.
  const shards = shardProgramsByWorkers(pool);
  for (let attempt = 0; attempt < 40 && shardProgramsByWorkers(pool) === shards; attempt++) {
    assert.equal(await fitWeights(), before, `the fit after the fault (attempt ${attempt + 1})`);
  }
  assert.ok(shardProgramsByWorkers(pool) > shards, 'the workers ran shards again (in 40 fits)');
});

test('predict and evaluate on many rows run a block of rows per task on the pool, with the bits of one thread', { timeout: 120_000 }, async () => {
  const rows = 3000;
  const x = Array.from({ length: rows }, (_, i) => Array.from(seededValues(8, 4000 + i)));
  const labels = { a: x.map((r) => (r[0] + r[1] > 0 ? 1 : 0)), c: x.map((r) => (r[2] > 0.3 ? 2 : r[2] > -0.3 ? 1 : 0)), y: x.map((r) => 2 * r[3] - r[4]) };
  await init({ threads: 2 });
  const model = new mt.MultiTaskModel({
    input: { features: 8, classes: { c: 3 } }, architecture: { type: 'mmoe', experts: 3, expertUnits: [32], towerUnits: [8], dropout: 0.2 },
    tasks: [mt.tasks.binary('a'), mt.tasks.multiclass('c'), mt.tasks.regression('y')], seed: 6,
  });
  await model.fit(x.slice(0, 600), { a: labels.a.slice(0, 600), c: labels.c.slice(0, 600), y: labels.y.slice(0, 600) }, { epochs: 1, batchSize: 64 });
  const run = () => JSON.stringify({ predict: model.predict(x), evaluate: model.evaluate(x, labels) });
  const results = {};
  let byWorkers = 0;
  for (const threads of [2, 3, 8]) {
    await init({ threads });
    const before = shardProgramsByWorkers(jobRunner());
    results[threads] = run();
    byWorkers += shardProgramsByWorkers(jobRunner()) - before;
  }
  // Which thread claims a block is a race (the calling thread may take every block of a call while
  // the workers wake, and on a loaded machine they may not be scheduled for a while): run again on
  // 2 threads, at most 40 times (a run takes milliseconds), until a worker took one; each with the same bits.
  const again = [];
  await init({ threads: 2 });
  for (let attempt = 0; attempt < 40 && byWorkers === 0; attempt++) {
    const before = shardProgramsByWorkers(jobRunner());
    again.push(run());
    byWorkers += shardProgramsByWorkers(jobRunner()) - before;
  }
  await shutdown();
  const one = run();
  for (const threads of [2, 3, 8]) assert.equal(results[threads], one, `${threads} threads`);
  again.forEach((r, i) => assert.equal(r, one, `2 threads, run ${i + 1} after the three`));
  assert.ok(byWorkers > 0, 'no worker ran a block of rows (in 3 + 40 runs)');
  model.dispose();
  await init({ threads: 2 });
});

test('memory that grows while the workers live: they compute on the new pages', { timeout: 120_000 }, async () => {
  await init({ threads: 3 });
  const { memory } = runtime('test');
  const before = memory.buffer.byteLength;
  // Fill what is free, so that the next blocks land above the old end of memory.
  const filler = Matrix.zeros(8192, 4096);
  assert.ok(memory.buffer.byteLength > before, 'memory grew');
  const data = blobs(12_000, 16, 10, 3);
  const km = new KMeans({ k: 10, seed: 5 }).fit(data);
  assert.equal(hex(km.clusterCenters.flat()), reference['kmeans d=16: centres']);
  assert.equal(hex(km.labels), reference['kmeans d=16: labels']);
  const got = runThreadCases(mt);
  assert.deepEqual(differences(got), [], 'cases computed on grown memory');
  filler.dispose();
});

test('shutdown stops the workers, frees their scratch, and the library carries on on one thread', { timeout: 120_000 }, async () => {
  await init({ threads: 4 });
  const { allocator } = runtime('test');
  // bytesInUse is compared across the awaited shutdown. An object of an earlier test that was not
  // disposed would give its memory back when the garbage collector collects it (FinalizationRegistry),
  // which may be during that await: the object this test holds must be the only one live.
  assert.deepEqual(mt.memory().byKind, {}, 'no object of an earlier test is still live (its finalizer could free memory during shutdown)');
  const held = Matrix.from(seededValues(32 * 32, 2), 32, 32);
  const inUse = allocator.bytesInUse, reserved = allocator.bytesReserved;
  assert.ok(inUse >= 32 * 32 * 4, 'the Matrix this test holds is counted in bytesInUse');
  assert.ok(reserved >= 4 * 528_000, 'each thread has its GEMM scratch, held apart from bytesInUse');
  await shutdown();
  assert.equal(allocator.bytesInUse, inUse, 'bytesInUse counts what the library\'s objects hold, not the threads\' scratch');
  assert.ok(allocator.bytesReserved < reserved, 'the workers\' scratch was freed');
  assert.deepEqual({ threads: threadInfo().threads, requested: threadInfo().requested }, { threads: 1, requested: 4 });
  held.dispose();
  const a = Matrix.from(seededValues(64 * 64, 1), 64, 64);
  const product = matmul(a, a);
  assert.equal(product.rows, 64, 'works after shutdown');
  for (const m of [a, product]) m.dispose();
  await shutdown(); // twice is harmless
  await init({ threads: 2 });
  assert.equal(threadInfo().threads, 2);
});

test('the single-thread module cannot grow threads after init; threads: 1 is the single-thread module', { timeout: 120_000 }, async () => {
  await resetRuntime();
  await init({ threads: 1 });
  assert.deepEqual(threadInfo(), { threads: 1, requested: 1, fast: false, reason: null });
  await assert.rejects(init({ threads: 2 }), typedError(InitError, 'E_INIT', [/initialized on one thread \(threads: 1\).*cannot be added/]));
  await resetRuntime();
  await init({ threads: 2 });
});

test('init calls made together end as the same calls made in turn', { timeout: 120_000 }, async () => {
  // The first still loading: the second's options apply after it (here: refused, as in turn), not dropped.
  await resetRuntime();
  const [one, two] = await Promise.allSettled([init({ threads: 1 }), init({ threads: 2 })]);
  assert.equal(one.status, 'fulfilled');
  assert.equal(two.status, 'rejected');
  typedError(InitError, 'E_INIT', [/initialized on one thread \(threads: 1\).*cannot be added/])(two.reason);
  assert.deepEqual(threadInfo(), { threads: 1, requested: 1, fast: false, reason: null });
  // Loaded: reconfigurations one after another, the last call's count the one that stays.
  await resetRuntime();
  await init({ threads: 2 });
  await Promise.all([init({ threads: 1 }), init({ threads: 2 })]);
  assert.deepEqual(threadInfo(), { threads: 2, requested: 2, fast: false, reason: null });
  await Promise.all([init({ threads: 2 }), init({ threads: 1 })]);
  assert.deepEqual(threadInfo(), { threads: 1, requested: 1, fast: false, reason: null });
  await init({ threads: 2 });
});

test('shutdown() called while init() still loads stops the pool that init starts', { timeout: 120_000 }, async () => {
  await resetRuntime();
  const loading = init({ threads: 2 });
  await shutdown();
  await loading;
  const info = threadInfo();
  assert.equal(info.threads, 1);
  assert.match(String(info.reason), /shut down/);
  const m = Matrix.from([[1, 2], [3, 4]]);
  assert.deepEqual(Array.from(matmul(m, m).toFloat32Array()), [7, 10, 15, 22]);
  m.dispose();
  // Before any init at all there is nothing to stop: it resolves (it was NotInitializedError, which in a
  // `finally` after a failed init hid the init's own error), and the library still asks for init.
  await resetRuntime();
  await shutdown();
  assert.throws(() => Matrix.from([[1]]), typedError(NotInitializedError, 'E_NOT_INITIALIZED', [/init/]));
  await init({ threads: 2 });
});

test('the default is the machine\'s cores, at most 8', { timeout: 120_000 }, async () => {
  await resetRuntime();
  await init();
  const nav = globalThis.navigator?.hardwareConcurrency;
  const cores = nav ?? (await import('node:os')).availableParallelism();
  assert.equal(threadInfo().requested, Math.min(8, cores));
  await resetRuntime();
  await init({ threads: 2 });
});

test('fast: the relaxed GEMM runs where WebAssembly.validate accepts it, within tolerance; else the reason says why', { timeout: 120_000 }, async () => {
  const { readFile } = await import('node:fs/promises');
  const relaxedValid = WebAssembly.validate(withSharedMemory(await readFile(new URL('../../dist/gemm-relaxed.wasm', import.meta.url)), 65536, 'gemm-relaxed.wasm'));
  await init({ threads: 2, fast: true });
  const info = threadInfo();
  assert.equal(info.fast, relaxedValid, `fast mode where the relaxed module validates (${relaxedValid})`);
  if (!relaxedValid) assert.match(info.reason, /lacks relaxed SIMD/);
  for (const c of GEMM_CASES) {
    const A = seededValues(c.M * c.K, 3), B = seededValues(c.K * c.N, 4);
    const a = c.transA ? Matrix.from(A, c.K, c.M) : Matrix.from(A, c.M, c.K);
    const b = c.transB ? Matrix.from(B, c.N, c.K) : Matrix.from(B, c.K, c.N);
    const out = matmul(a, b, { transposeA: !!c.transA, transposeB: !!c.transB });
    const { C, scale } = gemmRef({ M: c.M, N: c.N, K: c.K, A, B, transA: !!c.transA, transB: !!c.transB });
    assertClose(out.toFloat32Array(), C, { atol: 1e-5, rtol: 1e-5, scale, label: `fast ${c.name}` });
    for (const m of [a, b, out]) m.dispose();
  }
  await init({ threads: 2, fast: false });
  assert.equal(threadInfo().fast, false);
  assert.deepEqual(differences(runThreadCases(mt)), [], 'fast off again: the deterministic bits');
});

test('the start-up self-test refuses a pool whose workers do not see what the calling thread wrote', { timeout: 120_000 }, async () => {
  const { readFile } = await import('node:fs/promises');
  const module = await WebAssembly.compile(withSharedMemory(await readFile(new URL('../../dist/manytask.wasm', import.meta.url)), 65536, 'manytask.wasm'));
  const memory = new WebAssembly.Memory({ initial: 32, maximum: 1024, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory, abort() { throw new Error('abort'); } } });
  const k = instance.exports;
  const allocator = new Allocator(memory, k.heapBase());
  k.setGemmScratch(allocator.alloc(k.gemmScratchBytes()));
  const flavor = 'node';
  const workerUrl = new URL('../../dist/worker.js', import.meta.url);
  const start = (kernels) => Pool.start({ workers: 2, flavor, workerUrl, module, relaxed: null, memory, allocator, kernels });

  const honest = await start(k);
  assert.equal(honest.problem, null);
  assert.equal(honest.pool.threads, 3);
  await honest.pool.shutdown();
  // What a worker reports reading no longer matches what this thread sees: as if its stores were not seen.
  const stale = await start({ ...k, sumSquaresF64: (n, x) => k.sumSquaresF64(n, x) + 1 });
  assert.equal(stale.pool, null);
  assert.match(stale.problem, /failed the shared-memory self-test.*oven-sh\/bun#25677/);
});

test('the optimizer\'s update and the shards\' gradient sum run in pieces on the pool, with the bits of one thread (Adam, AdamW, SGD with Nesterov momentum)', { timeout: 120_000 }, async () => {
  const rows = 1100, inputs = 16;
  const xs = seededValues(rows * inputs, 91);
  const x = { data: xs, rows, cols: inputs };
  const labels = {
    a: Array.from({ length: rows }, (_, i) => (xs[i * inputs] > 0 ? 1 : 0)),
    y: Array.from({ length: rows }, (_, i) => 2 * xs[i * inputs + 1] - xs[i * inputs + 2]),
  };
  // 18,500 parameters: an update of three pieces; batches of 512 rows: four shards (and a last batch of 76: one).
  const train = async (optimizer) => {
    const model = new mt.MultiTaskModel({
      input: { features: inputs }, architecture: { type: 'sharedBottom', units: [160, 96], towerUnits: [] },
      tasks: [mt.tasks.binary('a'), mt.tasks.regression('y')], optimizer, seed: 5, affinity: false,
    });
    const history = await model.fit(x, labels, { epochs: 2, batchSize: 512, shuffle: true });
    const w = hex(Float32Array.from(model.parameters.names().flatMap((n) => Array.from(model.parameters.get(n)))));
    model.dispose();
    return `${w}:${history.get('loss').join(',')}`;
  };
  const optimizers = [
    { type: 'adam', learningRate: 0.01 },
    { type: 'adamw', learningRate: 0.01, weightDecay: 0.05 },
    { type: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true },
  ];
  await init({ threads: 1 });
  const want = [];
  for (const o of optimizers) want.push(await train(o));
  for (const threads of [2, 3]) {
    await init({ threads });
    // Count the jobs of pieces: the reduction's and the update's.
    const runner = runtime('test').kernels.runPrograms;
    const runPieces = runner.runPieces;
    let jobsOfPieces = 0;
    runner.runPieces = (...args) => { jobsOfPieces++; return runPieces.apply(runner, args); };
    try {
      for (const [i, o] of optimizers.entries()) assert.equal(await train(o), want[i], `${o.type}, ${threads} threads`);
    } finally {
      runner.runPieces = runPieces;
    }
    // Bun may fall back to one thread (oven-sh/bun#25677): the bits above hold either way.
    if (threadInfo().threads > 1) assert.ok(jobsOfPieces > 0, `${threads} threads: no reduction or update ran in pieces on the pool`);
  }
  await init({ threads: 2 });
});
