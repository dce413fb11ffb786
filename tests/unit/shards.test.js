// Micro-shards of the training step (src/mtl/shards.ts): how a batch is split
// (by its size alone), and that the order the shards run in changes no bit of
// the trained weights — the property that lets several threads run them at once.
// The gradient of a sharded step is checked against central differences in
// mtl-gradients.test.js; the same runs across thread counts in threads.test.js.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as mt from '../../dist/index.js';
import { setShardOrder, shardsOf, shardCount, SHARD_ROWS, MAX_SHARDS } from '../../dist/internal.js';
import { runTrainingCases } from '../helpers/threads-cases.js';

before(async () => { await mt.init(); });
after(() => setShardOrder(null));

test('a batch is ⌊rows / 128⌋ shards, 1 to 8, covering its rows in order with sizes one row apart at most', () => {
  assert.deepEqual([SHARD_ROWS, MAX_SHARDS], [128, 8]);
  const counts = Object.fromEntries([1, 32, 127, 128, 255, 256, 400, 511, 512, 1023, 1024, 5000].map((n) => [n, shardCount(n)]));
  assert.deepEqual(counts, { 1: 1, 32: 1, 127: 1, 128: 1, 255: 1, 256: 2, 400: 3, 511: 3, 512: 4, 1023: 7, 1024: 8, 5000: 8 });
  for (const rows of [1, 32, 130, 400, 513, 1023, 4097]) {
    const s = shardsOf(rows);
    assert.equal(s.length, shardCount(rows));
    let next = 0;
    s.forEach((shard, i) => {
      assert.deepEqual([shard.index, shard.start], [i, next], `${rows} rows, shard ${i}`);
      next += shard.rows;
    });
    assert.equal(next, rows, `${rows} rows: the shards cover the batch`);
    const sizes = s.map((x) => x.rows);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${rows} rows: sizes ${sizes}`);
  }
  assert.deepEqual(shardsOf(400).map((s) => s.rows), [133, 133, 134]);
});

test('the shards of each pass run in any order give the same weights and losses, bit for bit, on every path of the step', { timeout: 120_000 }, async () => {
  setShardOrder(null);
  const ascending = await runTrainingCases(mt);
  assert.equal(Object.keys(ascending).length, 10);
  const orders = {
    descending: (s) => [...s].reverse(),
    'odd first, then even': (s) => [...s.filter((x) => x.index % 2 === 1), ...s.filter((x) => x.index % 2 === 0)],
  };
  let ran = 0;
  for (const [name, order] of Object.entries(orders)) {
    setShardOrder((s) => { if (s.length > 2) ran++; return order(s); });
    const got = await runTrainingCases(mt);
    setShardOrder(null);
    const differ = Object.keys(ascending).filter((k) => got[k] !== ascending[k]);
    assert.deepEqual(differ, [], `shards run ${name}: these runs differ from the ascending order`);
  }
  // Not vacuous: passes of 3 shards ran reordered (the cases' batches of 400 rows).
  assert.ok(ran > 10, `passes of more than 2 shards reordered: ${ran}`);
});
