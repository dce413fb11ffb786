// tests/unit/ must pass unchanged under Bun: run `bun test ./tests/unit/`
// (Bun's own node:test and node:assert) and check it ran every unit test file.
// The leading ./ makes Bun take the argument as a path, not a name filter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, REPO, run, describeRun, listTestFiles } from './helpers/process.js';

const BUN = join(BIN, 'bun');

test('bun test ./tests/unit/ passes and runs every unit test file', { timeout: 540_000 }, async (t) => {
  assert.ok(existsSync(BUN), `${BUN} is missing: run \`npm ci\` (bun is a devDependency)`);
  const files = listTestFiles(join(REPO, 'tests', 'unit'));
  assert.ok(files.length > 0, 'tests/unit/ has no *.test.js file');

  // Bun stops any test after 5 s by default; node:test and Deno have no such limit, and
  // on two busy cores a test that takes 1 s alone can pass 5 s. The run's own limit stays.
  const r = await run(BUN, ['test', '--timeout', '60000', './tests/unit/'], { timeoutMs: 480_000 });
  const report = describeRun('bun test ./tests/unit/', r);
  assert.ok(!r.timedOut, report);
  assert.equal(r.code, 0, report);

  const out = `${r.stdout}\n${r.stderr}`;
  // e.g. " 5 pass\n 0 fail\n Ran 5 tests across 1 file. [360.00ms]"
  const pass = /^\s*(\d+) pass$/m.exec(out);
  const fail = /^\s*(\d+) fail$/m.exec(out);
  const ran = /^Ran (\d+) tests? across (\d+) files?\./m.exec(out);
  assert.ok(pass && fail && ran, `no "N pass / N fail / Ran N tests across N files" summary\n${report}`);
  assert.ok(Number(pass[1]) > 0, `bun ran no test\n${report}`);
  assert.equal(Number(fail[1]), 0, report);
  assert.equal(Number(ran[2]), files.length, `bun ran ${ran[2]} file(s), tests/unit/ has ${files.length}: ${files.join(', ')}\n${report}`);
  for (const f of files) {
    assert.ok(out.includes(`${f}:`), `bun did not run ${f}\n${report}`);
  }
  t.diagnostic(`bun: ${pass[1]} pass, ${fail[1]} fail, ${ran[0]} (${r.ms} ms)`);
});
