// The football example (examples/football/football.mjs) and the table script of
// docs/embeddings.md (scripts/football-table.mjs) run as the README and the doc
// say, at small settings (a few epochs), and print what they should.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childEnv, run, describeRun } from './helpers/process.js';

test('examples/football/football.mjs trains team embeddings, evaluates the held-out season and serves an unseen team', { timeout: 120_000 }, async () => {
  const r = await run(process.execPath, ['examples/football/football.mjs'], { env: childEnv({ EPOCHS: '3' }), timeoutMs: 90_000 });
  assert.equal(r.code, 0, describeRun('node examples/football/football.mjs', r));
  assert.match(r.stdout, /4882 training matches, 1626 held-out matches/);
  assert.match(r.stdout, /home goals: Poisson NLL \d\.\d{3}, MAE \d\.\d{3}/);
  assert.match(r.stdout, /outcome: +accuracy 0\.\d{3}, log loss \d\.\d{3}/);
  assert.match(r.stdout, /A New Club – Juventus: expected goals \d\.\d\d–\d\.\d\d, P\(home\) 0\.\d\d/);
});

test('scripts/football-table.mjs --quick prints the comparison table', { timeout: 120_000 }, async () => {
  const r = await run(process.execPath, ['scripts/football-table.mjs', '--quick'], { timeoutMs: 90_000 });
  assert.equal(r.code, 0, describeRun('node scripts/football-table.mjs --quick', r));
  for (const label of ['multi-task, team embeddings', 'multi-task, one-hot teams', 'one model per task, team embeddings', 'one model per task, one-hot teams']) {
    assert.match(r.stdout, new RegExp(`\\| ${label}[^|]*\\| \\d\\.\\d{3} ± \\d\\.\\d{3} \\|`), label);
  }
});
