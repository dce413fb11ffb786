// The `manytask` command as a user runs it: train on the bundled CSV, eval, predict, and its errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, run, describeRun } from './helpers/process.js';

const CLI = join(REPO, 'dist', 'cli.js');
const CSV = join(REPO, 'examples', 'data', 'penguins.csv');
const cli = (args, cwd) => run(process.execPath, [CLI, ...args], { cwd, timeoutMs: 60_000 });

test('manytask train → eval → predict on the penguins CSV', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'manytask-cli-'));
  try {
    const model = join(dir, 'penguins.mtsk');
    let r = await cli(['train', CSV, '--task', 'species:multiclass', '--task', 'sex:binary', '--task', 'body_mass_g:regression',
      '--arch', 'mmoe', '--epochs', '30', '--quiet', '--weights', 'f16', '--out', model], dir);
    assert.equal(r.code, 0, describeRun('train', r));
    assert.match(r.stdout, /validation \(69 random rows, seed 0\)/);
    assert.match(r.stdout, /species\s+69\s/);
    assert.match(r.stdout, /task affinity/);
    assert.match(r.stdout, /suggested groups: \{/);
    assert.match(r.stdout, /saved .*penguins\.mtsk \(\d+\.\d KB\)/);
    assert.ok((await stat(model)).size > 1000);

    r = await cli(['eval', model, CSV], dir);
    assert.equal(r.code, 0, describeRun('eval', r));
    const speciesLine = r.stdout.split('\n').find((l) => l.startsWith('species'));
    const accuracy = Number(speciesLine.trim().split(/\s+/)[3]);
    assert.ok(accuracy > 0.9, `species accuracy on the training CSV: ${accuracy}\n${r.stdout}`);

    const out = join(dir, 'pred.csv');
    r = await cli(['predict', model, CSV, '--out', out], dir);
    assert.equal(r.code, 0, describeRun('predict', r));
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    assert.equal(lines[0], 'species,species_probability,sex,sex_probability,body_mass_g');
    assert.equal(lines.length, 345);
    assert.match(lines[1], /^(Adelie|Chinstrap|Gentoo),0\.\d+,(female|male),[01]\.\d+,\d+(\.\d+)?$/);

    r = await cli(['predict', model, CSV, '--out', join(dir, 'pred.json')], dir);
    assert.equal(r.code, 0, describeRun('predict json', r));
    const json = JSON.parse(await readFile(join(dir, 'pred.json'), 'utf8'));
    assert.equal(json.length, 344);
    assert.ok(json[0].body_mass_g > 2000 && json[0].body_mass_g < 7000, `body mass ${json[0].body_mass_g} g`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('manytask explains bad usage and bad files, with exit codes 2 and 1', { timeout: 60_000 }, async () => {
  let r = await cli([]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /Usage:/);
  r = await cli(['train', CSV, '--task', 'species:colour']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--task species:colour: expected <column>:<kind>/);
  r = await cli(['train', CSV, '--task', 'wingspan:regression']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no column "wingspan" \(columns: species, island/);
  r = await cli(['train', CSV, '--task', 'sex:binary', '--arch', 'transformer']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--arch must be sharedBottom, mmoe, omoe, cgc, ple or crossStitch/);
  r = await cli(['train', CSV, '--task', 'sex:binary', '--epoch', '3']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option --epoch for train/);
  r = await cli(['train', 'no-such.csv', '--task', 'sex:binary']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot read no-such\.csv: no such file/);
  r = await cli(['eval', CSV, CSV]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not a usable manytask model file: it does not start with the "MTSK" magic/);
  r = await cli(['train', CSV, '--task', 'sex:binary', '--weights', 'f8']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--weights must be f32, f16 or int8, got "f8"/);
  r = await cli(['train', CSV, '--task', 'island:multiclass', '--feature', 'bill_length_mm', '--epochs', '1', '--quiet', '--weighting', 'magic']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--weighting must be one of fixed/);
});
