// Issue #12, point 6: every pattern of the README run without dispose() — 10,000
// iterations in Node, 1,000 in Deno and Bun — with the garbage collector forced
// every tenth of the run (tests/helpers/readme-leak-child.js). Objects nobody
// disposed give their WASM memory back once they are collected, so:
//   - after each collection, the bytes in use are back to what they were before
//     the loop, give or take a few iterations' worth (Bun's collector scans the
//     stack conservatively and may keep the latest objects a little longer);
//   - the WASM memory never grows after the first collection;
//   - each pattern does leave memory behind between collections (without the
//     safety net it would pile up: 10,000 × that), except the clustering results,
//     which are plain typed arrays and hold none.
// A child process per runtime, because forcing a collection needs a flag node:test
// cannot pass to itself (node --expose-gc, deno --v8-flags=--expose-gc; Bun has Bun.gc).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, REPO, run, describeRun, childEnv } from './helpers/process.js';

const CHILD = join(REPO, 'tests', 'helpers', 'readme-leak-child.js');
/** Patterns whose results are plain typed arrays: nothing in WASM memory at any time. */
const HOLDS_NOTHING = new Set(['clustering']);
/** What a collection may leave of the latest iterations (a conservative stack scan), in iterations. */
const SLACK_ITERATIONS = 16;

function check(report, runtime, iterations) {
  assert.equal(report.runtime, runtime);
  assert.equal(report.iterations, iterations);
  assert.deepEqual(Object.keys(report.patterns), ['matrices', 'trainingLoop', 'clustering', 'autoencoder', 'model', 'loadModel', 'inferLoad']);
  const lines = [];
  for (const [name, p] of Object.entries(report.patterns)) {
    const where = `${runtime}, ${name}`;
    if (HOLDS_NOTHING.has(name)) assert.equal(p.perIteration, 0, `${where}: the results hold no WASM memory`);
    else assert.ok(p.perIteration > 0, `${where}: one iteration leaves memory behind until it is collected`);
    assert.equal(p.samples.length, 10, where);
    const bound = p.before.bytesInUse + SLACK_ITERATIONS * p.perIteration;
    for (const s of p.samples) {
      assert.ok(s.bytesInUse <= bound,
        `${where}: after ${s.i} iterations and a collection ${s.bytesInUse} bytes are in use, more than ${bound} (${p.before.bytesInUse} before the loop + ${SLACK_ITERATIONS} × ${p.perIteration})`);
      assert.equal(s.memoryBytes, p.samples[0].memoryBytes, `${where}: WASM memory grew after the first collection (at ${s.i} iterations)`);
    }
    const peak = Math.max(...p.samples.map((s) => s.peak));
    lines.push(`${name}: ${p.perIteration} B/iteration; after collections ${Math.max(...p.samples.map((s) => s.bytesInUse)) - p.before.bytesInUse} B above the start (peak ${peak - p.before.bytesInUse}), memory ${p.samples[0].memoryBytes} B; ${p.seconds.toFixed(1)} s`);
  }
  return lines;
}

const RUNS = [
  ['node', () => [process.execPath, ['--expose-gc', CHILD, '10000']], 10_000],
  ['deno', () => [join(BIN, 'deno'), ['run', '-A', '--no-lock', '--cached-only', '--v8-flags=--expose-gc', CHILD, '1000']], 1000],
  ['bun', () => [join(BIN, 'bun'), [CHILD, '1000']], 1000],
];

for (const [runtime, command, iterations] of RUNS) {
  test(`${runtime}: ${iterations} iterations of each README pattern without dispose(): WASM memory stays bounded`, { timeout: 300_000 }, async (t) => {
    const [cmd, args] = command();
    assert.ok(existsSync(cmd), `${cmd} is missing: run \`npm ci\``);
    const r = await run(cmd, args, { env: childEnv(), timeoutMs: 240_000 });
    const report = describeRun(`the ${runtime} leak loop`, r);
    assert.ok(!r.timedOut, report);
    assert.equal(r.code, 0, report);
    const lines = check(JSON.parse(r.stdout.trim().split('\n').pop()), runtime, iterations);
    for (const line of lines) t.diagnostic(line);
  });
}
