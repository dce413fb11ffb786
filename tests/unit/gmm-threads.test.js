// The GMM on the worker pool: the chunked M-step's jobs and the starts side by
// side. A task of an M-step job that traps or throws — in a worker or on the
// calling thread — is a typed error in the caller, and the next fit gives the
// bits it gave before. (Bit-identity across 1, 2, 3, 4 and 8 threads and the
// single-thread module: tests/unit/threads.test.js, through
// tests/helpers/threads-cases.js.) Runs unchanged under Node, Deno and Bun.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init, GaussianMixture, ThreadError, WasmTrapError } from '../../dist/index.js';
import { jobRunner, jobs, runtime, Pool } from '../../dist/internal.js';
import { blobs, hex } from '../helpers/threads-cases.js';
import { typedError } from '../helpers/errors.js';

test('an M-step task that traps or throws is a typed error; the next fit, starts side by side, gives the same bits', { timeout: 120_000 }, async () => {
  await init({ threads: 3 });
  const pool = jobRunner();
  assert.ok(pool instanceof Pool, 'a pool runs');
  const points = blobs(2_000, 3, 3, 7);
  const fit = () => {
    const gm = new GaussianMixture({ nComponents: 3, nInit: 3, initParams: 'random', seed: 9, maxIter: 40 }).fit(points);
    return hex([...gm.means.flat(), ...gm.covariances.flat(2), ...gm.lowerBounds]);
  };
  const expected = fit();

  const { allocator, memory } = runtime('test');
  const n = 4_096, d = 3, k = 2;
  // One run whose pointers are all valid but x, which lies past the end of memory (a trap in the kernel),
  // or a table pointer past the end (a RangeError in the task's JavaScript).
  const table = allocator.alloc(jobs.GMM_RUN_FIELDS * 4);
  const buffers = allocator.alloc(n * k * 8 + 8 * 1024);
  try {
    const run = new Int32Array(memory.buffer, table, jobs.GMM_RUN_FIELDS);
    run.fill(0);
    run[jobs.GMM_RUN.resp] = buffers;
    run[jobs.GMM_RUN.means] = buffers + n * k * 8;
    run[jobs.GMM_RUN.partials] = buffers + n * k * 8 + 512;
    const job = (x, runs) => {
      const g = pool.args, M = jobs.MSTEP;
      g[M.n] = n; g[M.d] = d; g[M.k] = k; g[M.covType] = 0; g[M.x] = x; g[M.weights] = 0; g[M.chunkRows] = 512;
      g[M.partialStride] = 64; g[M.scratch] = buffers; g[M.scratchStride] = 0; g[M.runs] = runs;
      pool.run(jobs.JOB_GMM_MSTEP_SUMS, 8, true);
    };
    assert.throws(() => job(0xfffff000, table), typedError(WasmTrapError, 'E_WASM_TRAP', [/kernel gmmMStepSums trapped/, /worker thread/]));
    assert.equal(fit(), expected, 'after a trap');
    assert.throws(() => job(buffers, 0x7ffffff0), typedError(ThreadError, 'E_THREAD', [/a task of gmmMStepSums failed/, /worker thread/]));
    assert.equal(fit(), expected, 'after a throw');
  } finally {
    allocator.free(table);
    allocator.free(buffers);
  }
});
