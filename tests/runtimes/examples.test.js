// The Deno and Bun example scripts run as a user runs them, and say what they should.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BIN, REPO, run, describeRun } from './helpers/process.js';

const PREDICTION = /species (Adelie|Chinstrap|Gentoo), sex (female|male), body mass \d{4} g/;

test('examples/deno/train.ts trains, evaluates and predicts under Deno', { timeout: 120_000 }, async () => {
  const r = await run(join(BIN, 'deno'), ['run', '--allow-read', '--no-lock', '--cached-only', 'examples/deno/train.ts'], { timeoutMs: 90_000 });
  assert.equal(r.code, 0, describeRun('deno run examples/deno/train.ts', r));
  assert.match(r.stdout, /species\s+69\s+[\d.]+\s+(0\.9\d+|1\.0000)/, 'species accuracy ≥ 0.9 on the test split');
  assert.match(r.stdout, PREDICTION);
});

test('examples/bun/train.ts trains, saves, reloads and predicts under Bun', { timeout: 120_000 }, async () => {
  try {
    const r = await run(join(BIN, 'bun'), ['examples/bun/train.ts'], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, describeRun('bun examples/bun/train.ts', r));
    assert.match(r.stdout, /species\s+69\s+[\d.]+\s+(0\.9\d+|1\.0000)/, 'species accuracy ≥ 0.9 on the test split');
    assert.match(r.stdout, /saved .*penguins\.mtsk; reloaded, it predicts species (Adelie|Chinstrap|Gentoo), sex (female|male), body mass \d{4} g/);
  } finally {
    await rm(join(REPO, 'examples', 'bun', 'penguins.mtsk'), { force: true });
  }
});
