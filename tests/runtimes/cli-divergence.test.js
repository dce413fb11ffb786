// Issue #12, point 5, at the command line: `manytask train … --lr 100` saved a model
// whose body-mass R² was −957 (exit 0). The divergence rule stops the run: the CLI
// exits 1 with the error, and writes no model file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, run, describeRun } from './helpers/process.js';

const CLI = join(REPO, 'dist', 'cli.js');
const CSV = join(REPO, 'examples', 'data', 'penguins.csv');

test('manytask train --lr 100 stops with the divergence error and saves nothing', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'manytask-cli-diverge-'));
  try {
    const out = join(dir, 'model.mtsk');
    const r = await run(process.execPath, [CLI, 'train', CSV, '--task', 'species:multiclass', '--task', 'sex:binary', '--task', 'body_mass_g:regression',
      '--lr', '100', '--epochs', '30', '--quiet', '--out', out], { cwd: dir, timeoutMs: 60_000 });
    const report = describeRun('train --lr 100', r);
    assert.equal(r.code, 1, report);
    assert.match(r.stderr, /^manytask: training diverged at step 1: the loss of task "\w+" is \S+, above its divergence limit \S+ \(10000 × the larger of 1/, report);
    assert.match(r.stderr, /back to its last good weights, those of step 0/, report);
    await assert.rejects(stat(out), (e) => e.code === 'ENOENT', 'no model file was written');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
