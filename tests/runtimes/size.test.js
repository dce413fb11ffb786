// manytask/infer's bundle budget (issue 6): for every export condition, the
// entry bundled and minified as a user's bundler would (esbuild, .wasm kept
// out) plus its .wasm, each gzip -9, is at most BUDGET (scripts/size.mjs) in total, and holds none
// of the training code. Measured by scripts/size.mjs (`npm run size` prints it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measure, BUDGET, TRAINING_CODE } from '../../scripts/size.mjs';

test(`manytask/infer: minified JS + infer.wasm ≤ ${BUDGET / 1000} KB gzip for every condition, with no training code in it`, { timeout: 60_000 }, async (t) => {
  const rows = await measure();
  const full = rows.find((r) => !r.infer);
  // The measurement sees real bundles: the full entry is far over the budget, and the rule that finds training code finds it there.
  assert.ok(full.total > 3 * BUDGET, `the full entry measures ${full.total} bytes`);
  assert.ok(full.training.some((s) => s.includes('src/mtl/fit.ts')), `training code not detected in the full entry: ${full.sources.join(', ')}`);
  assert.ok(TRAINING_CODE.test('src/nn/optim.ts') && TRAINING_CODE.test('src/data/csv.ts') && !TRAINING_CODE.test('src/io/predictor.ts'));
  for (const r of rows.filter((x) => x.infer)) {
    t.diagnostic(`${r.name}: ${r.jsGzip} + ${r.wasmGzip} = ${r.total} bytes gzip (budget ${BUDGET})`);
    assert.ok(r.sources.includes('src/io/predictor.ts') && r.sources.includes('src/runtime/module.ts'), `${r.name}: sources ${r.sources.join(', ')}`);
    assert.deepEqual(r.training, [], `${r.name} bundles training code`);
    assert.ok(r.total <= BUDGET, `${r.name}: ${r.jsGzip} (JS) + ${r.wasmGzip} (.wasm) = ${r.total} bytes gzip exceeds the budget of ${BUDGET}`);
  }
});
