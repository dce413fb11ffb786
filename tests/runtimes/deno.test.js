// tests/unit/ must pass unchanged under Deno: run `deno test -A tests/unit/`
// (Deno's own node:test and node:assert) and check it ran every unit test file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, REPO, run, describeRun, listTestFiles } from './helpers/process.js';

const DENO = join(BIN, 'deno');

test('deno test -A tests/unit/ passes and runs every unit test file', { timeout: 540_000 }, async (t) => {
  assert.ok(existsSync(DENO), `${DENO} is missing: run \`npm ci\` (deno is a devDependency)`);
  const files = listTestFiles(join(REPO, 'tests', 'unit'));
  assert.ok(files.length > 0, 'tests/unit/ has no *.test.js file');

  // --cached-only: fail at once rather than reach for the network if anything
  // were remote; --no-lock: never write a deno.lock into the repo.
  const r = await run(DENO, ['test', '-A', '--no-lock', '--cached-only', 'tests/unit/'], { timeoutMs: 480_000 });
  const report = describeRun('deno test -A tests/unit/', r);
  assert.ok(!r.timedOut, report);
  assert.equal(r.code, 0, report);

  const out = `${r.stdout}\n${r.stderr}`;
  // e.g. "ok | 5 passed | 0 failed (428ms)" or "ok | 3 passed (4 steps) | 0 failed | 1 ignored (19ms)"
  const summary = /^ok \| (\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed/m.exec(out);
  assert.ok(summary, `no "ok | N passed | 0 failed" summary line\n${report}`);
  assert.ok(Number(summary[1]) > 0, `deno ran no test\n${report}`);
  assert.equal(Number(summary[3]), 0, report);
  for (const f of files) {
    assert.match(out, new RegExp(`^running \\d+ tests? from \\./${escape(f)}$`, 'm'), `deno did not run ${f}\n${report}`);
  }
  t.diagnostic(`deno: ${summary[0]} over ${files.length} file(s), ${r.ms} ms`);
});

function escape(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
