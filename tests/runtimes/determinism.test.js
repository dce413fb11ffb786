// The same seed and data give bit-identical weights in Node, Deno and Bun (V8 and
// JavaScriptCore). Chromium and workerd run the same case in browser.test.js and
// workerd.test.js. Seeded training gives Node's single-thread weights in
// Deno and Bun at 1, 2, 3, 4 and 8 threads (Chromium: browser.test.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BIN, run, describeRun } from './helpers/process.js';
import { nodeTraining, checkTraining, nodeTrainingCases } from './helpers/check.js';

const SCRIPT = 'tests/runtimes/helpers/train-print.js';
const THREADS_TRAINING_SCRIPT = 'tests/runtimes/helpers/threads-training-print.js';

/** Runs `script` in runtime `name` and returns the JSON of its last line of output, and the run's report. */
async function printed(name, script, timeoutMs) {
  const [cmd, args] = name === 'deno' ? [join(BIN, 'deno'), ['run', '-A', '--no-lock', '--cached-only', script]] : [join(BIN, 'bun'), [script]];
  const r = await run(cmd, args, { timeoutMs });
  const report = describeRun(`${name} ${args.join(' ')}`, r);
  assert.equal(r.code, 0, report);
  try {
    return { got: JSON.parse(r.stdout.trim().split('\n').at(-1)), report };
  } catch {
    return assert.fail(`${name} did not print its result as JSON\n${report}`);
  }
}

for (const name of ['deno', 'bun']) {
  test(`seeded training in ${name} ends with Node's weights, bit for bit`, { timeout: 120_000 }, async () => {
    const { got } = await printed(name, SCRIPT, 90_000);
    checkTraining(name, got, await nodeTraining());
  });

  test(`training in ${name} at 1, 2, 3, 4 and 8 threads ends with Node's single-thread weights, bit for bit`, { timeout: 240_000 }, async (t) => {
    const { got, report } = await printed(name, THREADS_TRAINING_SCRIPT, 200_000);
    const want = await nodeTrainingCases();
    assert.deepEqual(Object.keys(got).sort(), ['1', '2', '3', '4', '8'], report);
    let shardsByWorkers = 0, pooled = false;
    for (const [threads, { info, training, shardsByWorkers: n = 0 }] of Object.entries(got)) {
      // Bun may fall back to one thread when its pool fails the self-test (oven-sh/bun#25677): the bits must not change.
      if (info.threads !== Number(threads)) t.diagnostic(`${name}: asked for ${threads} threads, ran ${info.threads} (${info.reason})`);
      const differ = Object.keys(want).filter((k) => training?.[k] !== want[k]);
      assert.deepEqual(differ, [], `${name}, ${threads} thread(s): these training runs differ from Node's single-thread module`);
      shardsByWorkers += n;
      pooled ||= info.threads > 1;
    }
    // Which thread claims a shard is a race: that workers ran shards is asserted over the thread counts.
    if (pooled) assert.ok(shardsByWorkers > 0, `${name}: no worker ran a micro-shard's pass`);
  });
}
