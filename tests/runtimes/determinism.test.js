// The same seed and data give bit-identical weights in Node, Deno and Bun (V8 and
// JavaScriptCore). Chromium and workerd run the same case in browser.test.js and
// workerd.test.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BIN, run, describeRun } from './helpers/process.js';
import { nodeTraining, checkTraining } from './helpers/check.js';

const SCRIPT = 'tests/runtimes/helpers/train-print.js';

for (const [name, cmd, args] of [
  ['deno', join(BIN, 'deno'), ['run', '-A', '--no-lock', '--cached-only', SCRIPT]],
  ['bun', join(BIN, 'bun'), [SCRIPT]],
]) {
  test(`seeded training in ${name} ends with Node's weights, bit for bit`, { timeout: 120_000 }, async () => {
    const r = await run(cmd, args, { timeoutMs: 90_000 });
    const report = describeRun(`${name} ${args.join(' ')}`, r);
    assert.equal(r.code, 0, report);
    let got;
    try {
      got = JSON.parse(r.stdout.trim().split('\n').at(-1));
    } catch {
      assert.fail(`${name} did not print the training result as JSON\n${report}`);
    }
    checkTraining(name, got, await nodeTraining());
  });
}
