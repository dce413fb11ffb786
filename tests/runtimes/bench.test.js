// `npm run bench -- --quick` (what CI runs): every suite runs beside its peer and prints
// its table. Timings are not judged here — the machine is shared and noisy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REPO, run, describeRun } from './helpers/process.js';
import { join } from 'node:path';

test('the benchmark suite runs in --quick mode and prints every table', { timeout: 180_000 }, async () => {
  const r = await run(process.execPath, [join(REPO, 'bench', 'run.mjs'), '--quick'], { timeoutMs: 150_000 });
  const report = describeRun('node bench/run.mjs --quick', r);
  assert.equal(r.code, 0, report);
  for (const heading of [/GEMM, f32, one thread/, /MLP 64→256→128 \+ heads/, /Inference latency/, /k-means, Lloyd/, /Autoencoder 64-32-8-32-64/, /Inference bundle, minified/, /Cold start → first prediction/, /manytask's share of cold start/, /Worker pool, 1 and 2 threads/, /Relaxed-SIMD GEMM/, /im2col \+ GEMM \(µs\)/, /Independent jobs, 1 and 2 threads/]) {
    assert.match(r.stdout, heading, report);
  }
  assert.match(r.stdout, /\|\s+manytask\/infer \(workerd\) \|/, report);
  assert.doesNotMatch(r.stdout, /wrote BENCHMARKS\.md/, '--quick must not overwrite the measured report');
});
