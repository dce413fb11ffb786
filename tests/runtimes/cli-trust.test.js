// The CLI on files that differ from the training file (issue #12 points 1 and 4):
// `eval` of a file without one class reads its labels by the model's class names
// (it reported species accuracy 0.55 for the penguins without Chinstrap, exit 0),
// a file of one sex evaluates, an unknown class is an error naming task, class and
// row; a task or feature column named "__proto__" is trained, reported, saved and
// predicted like any other (the task vanished and the column was dropped, exit 0);
// `eval` refuses a row whose prediction `predict` refuses (it scored it, exit 0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, run, describeRun } from './helpers/process.js';
import { init, loadModel } from '../../dist/index.js';

const CLI = join(REPO, 'dist', 'cli.js');
const PENGUINS = await readFile(join(REPO, 'examples', 'data', 'penguins.csv'), 'utf8');
const [HEADER, ...LINES] = PENGUINS.trim().split('\n');
const cli = (args, cwd) => run(process.execPath, [CLI, ...args], { cwd, timeoutMs: 60_000 });
const column = (name) => HEADER.split(',').indexOf(name);
const only = (keep) => [HEADER, ...LINES.filter(keep)].join('\n') + '\n';

/** The numbers of one task's row of the evaluation table: { rows, loss, accuracy, … } (blank cells left out; columns are right-aligned). */
function evaluationRow(stdout, task) {
  const lines = stdout.split('\n');
  const head = lines.findIndex((l) => l.startsWith('task '));
  const line = lines.slice(head).find((l) => l.startsWith(`${task} `));
  assert.ok(head >= 0 && line, `no row for ${task} in\n${stdout}`);
  const columns = [...lines[head].matchAll(/\S+/g)].map((m) => ({ name: m[0], end: m.index + m[0].length }));
  const row = {};
  for (let i = 1; i < columns.length; i++) {
    const text = line.slice(i === 1 ? Math.max(columns[0].end, task.length) : columns[i - 1].end, columns[i].end).trim();
    if (text !== '') row[columns[i].name] = Number(text);
  }
  return row;
}

test('manytask eval reads labels by the model\'s class names: files without a species, of one sex, and with a species the model does not know', { timeout: 180_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'manytask-cli-trust-'));
  try {
    const model = join(dir, 'penguins.mtsk');
    let r = await cli(['train', join(REPO, 'examples', 'data', 'penguins.csv'), '--task', 'species:multiclass', '--task', 'sex:binary',
      '--task', 'body_mass_g:regression', '--arch', 'sharedBottom', '--epochs', '40', '--lr', '0.01', '--quiet', '--out', model], dir);
    assert.equal(r.code, 0, describeRun('train', r));
    r = await cli(['eval', model, join(REPO, 'examples', 'data', 'penguins.csv')], dir);
    assert.equal(r.code, 0, describeRun('eval', r));
    const whole = evaluationRow(r.stdout, 'species').accuracy;
    assert.ok(whole > 0.95, `species accuracy on the training file: ${whole}`);

    for (const species of ['Adelie', 'Chinstrap', 'Gentoo']) {
      const file = join(dir, `without-${species}.csv`);
      await writeFile(file, only((l) => l.split(',')[column('species')] !== species));
      r = await cli(['eval', model, file], dir);
      assert.equal(r.code, 0, describeRun(`eval without ${species}`, r));
      const accuracy = evaluationRow(r.stdout, 'species').accuracy;
      assert.ok(accuracy > 0.95, `species accuracy without ${species}: ${accuracy}\n${r.stdout}`);
    }

    const females = join(dir, 'females.csv');
    await writeFile(females, only((l) => l.split(',')[column('sex')] === 'female'));
    r = await cli(['eval', model, females], dir);
    assert.equal(r.code, 0, describeRun('eval of one sex', r));
    assert.equal(evaluationRow(r.stdout, 'sex').rows, 165);

    const lines = [...LINES];
    const at = lines.findIndex((l) => l.startsWith('Gentoo,'));
    lines[at] = lines[at].replace(/^Gentoo/, 'Macaroni');
    const macaroni = join(dir, 'macaroni.csv');
    await writeFile(macaroni, [HEADER, ...lines].join('\n'));
    r = await cli(['eval', model, macaroni], dir);
    assert.equal(r.code, 1, describeRun('eval with an unknown species', r));
    assert.match(r.stderr, new RegExp(`task "species", row ${at + 1} \\(line ${at + 2}\\): class "Macaroni" is not one of the model's classes`));

    // A row whose prediction predict refuses (a bill of 3e38 mm, within float32) was scored: a body-mass MAE of 1.9e40, exit 0.
    const far = join(dir, 'far.csv');
    const farLines = LINES.filter((l) => !l.includes('NA')).slice(0, 6);
    farLines[4] = farLines[4].split(',').map((v, i) => (i === column('bill_length_mm') ? '3e38' : v)).join(',');
    await writeFile(far, [HEADER, ...farLines].join('\n') + '\n');
    r = await cli(['predict', model, far, '--max-deviation', 'none'], dir);
    assert.equal(r.code, 1, describeRun('predict of a row that overflows', r));
    const refused = r.stderr.match(/task "(\w+)", row 4: the prediction is (NaN|-?Infinity), not a finite number/);
    assert.ok(refused, r.stderr);
    r = await cli(['eval', model, far], dir);
    assert.equal(r.code, 1, describeRun('eval of a row that overflows', r));
    assert.ok(r.stderr.includes(refused[0]), `eval refuses what predict refused (${refused[0]}):\n${r.stderr}`);

    // A task column without a label in any row (every cell NA or empty): the other tasks are evaluated,
    // as for the file without that column, and the one left out is named (it refused the whole file).
    const set = (l, name, v) => l.split(',').map((c, i) => (i === column(name) ? v : c)).join(',');
    const noSpecies = join(dir, 'no-species.csv');
    await writeFile(noSpecies, [HEADER, ...LINES.map((l, i) => set(l, 'species', i % 2 ? 'NA' : ''))].join('\n') + '\n');
    const withoutColumn = join(dir, 'without-species-column.csv');
    const dropped = (l) => l.split(',').filter((_, i) => i !== column('species')).join(',');
    await writeFile(withoutColumn, [dropped(HEADER), ...LINES.map(dropped)].join('\n') + '\n');
    r = await cli(['eval', model, noSpecies], dir);
    assert.equal(r.code, 0, describeRun('eval with no species labels', r));
    assert.equal(r.stderr, `manytask: ${noSpecies}: not evaluated: task "species", whose column has no labels (every cell is missing)\n`);
    const reference = await cli(['eval', model, withoutColumn], dir);
    assert.equal(reference.code, 0, describeRun('eval without the species column', reference));
    assert.equal(r.stdout, reference.stdout);
    assert.equal(evaluationRow(r.stdout, 'body_mass_g').rows, 342);
    assert.doesNotMatch(r.stdout, /^species /m);
    // With no task labeled at all, there is nothing to evaluate.
    const none = join(dir, 'no-labels.csv');
    await writeFile(none, [HEADER, ...LINES.map((l) => set(set(set(l, 'species', ''), 'sex', 'NA'), 'body_mass_g', ''))].join('\n') + '\n');
    r = await cli(['eval', model, none], dir);
    assert.equal(r.code, 1, describeRun('eval with no labels', r));
    assert.equal(r.stderr, `manytask: ${none}: the task columns "species", "sex", "body_mass_g" have no labels (every cell is missing): nothing to evaluate\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('manytask train/eval/predict with a task and a feature column named __proto__', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'manytask-cli-proto-'));
  try {
    // sex becomes the task "__proto__", island the feature column "constructor", bill_length_mm the feature "__proto__" of the second file.
    const header = HEADER.replace('sex', '__proto__').replace('island', 'constructor');
    const csv = join(dir, 'proto.csv');
    await writeFile(csv, [header, ...LINES].join('\n'));
    const model = join(dir, 'proto.mtsk');
    let r = await cli(['train', csv, '--task', 'species:multiclass', '--task', '__proto__:binary', '--epochs', '3', '--quiet', '--out', model], dir);
    assert.equal(r.code, 0, describeRun('train', r));
    assert.match(r.stdout, /^__proto__ +\d+ /m, 'the validation table has the task');
    r = await cli(['eval', model, csv], dir);
    assert.equal(r.code, 0, describeRun('eval', r));
    assert.equal(evaluationRow(r.stdout, '__proto__').rows, 333);
    const out = join(dir, 'pred.csv');
    r = await cli(['predict', model, csv, '--out', out], dir);
    assert.equal(r.code, 0, describeRun('predict', r));
    assert.equal((await readFile(out, 'utf8')).split('\n')[0], 'row,species,species_confidence,__proto__,__proto___confidence');

    const features = join(dir, 'features.csv');
    await writeFile(features, [HEADER.replace('bill_length_mm', '__proto__'), ...LINES].join('\n'));
    const featureModel = join(dir, 'features.mtsk');
    r = await cli(['train', features, '--task', 'species:multiclass', '--epochs', '2', '--quiet', '--out', featureModel], dir);
    assert.equal(r.code, 0, describeRun('train with a __proto__ feature', r));
    await init();
    for (const [file, names] of [[model, ['constructor=Biscoe', 'constructor=Dream', 'constructor=Torgersen']], [featureModel, ['__proto__', '__proto___missing']]]) {
      const m = loadModel(new Uint8Array(await readFile(file)));
      try {
        for (const n of names) assert.ok(m.featureNames.includes(n), `${n} in ${m.featureNames}`);
      } finally {
        m.dispose();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a multilabel column: an empty cell is a row with none of the labels, trained on and predicted as such; an NA text is a row without a label', { timeout: 120_000 }, async () => {
  // It was a row without a label: the 35% of rows with no tag were left out of training, and predict
  // gave "blue|red" for a point far from both tags' regions, silently.
  const dir = await mkdtemp(join(tmpdir(), 'manytask-cli-multilabel-'));
  try {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const lines = ['x1,x2,tags'];
    for (let i = 0; i < 300; i++) {
      const a = random(), b = random();
      const tags = [...(a > 0.6 ? ['red'] : []), ...(b > 0.6 ? ['blue'] : [])];
      lines.push(`${a.toFixed(3)},${b.toFixed(3)},${i % 50 === 0 ? 'NA' : tags.join('|')}`);
    }
    const file = join(dir, 'tags.csv'), model = join(dir, 'tags.mtsk');
    await writeFile(file, lines.join('\n') + '\n');
    const empty = lines.slice(1).filter((l) => l.endsWith(',')).length;
    let r = await cli(['train', file, '--task', 'tags:multilabel', '--epochs', '40', '--lr', '0.01', '--quiet', '--out', model], dir);
    assert.equal(r.code, 0, describeRun('train', r));
    assert.match(r.stdout, new RegExp(`tags +task +multilabel, 2 labels, ${empty} rows with none of them, 6 rows without a label\\n`));
    const points = join(dir, 'points.csv'), out = join(dir, 'out.csv');
    await writeFile(points, 'x1,x2\n0.1,0.1\n0.9,0.1\n0.1,0.9\n0.9,0.9\n');
    r = await cli(['predict', model, points, '--out', out], dir);
    assert.equal(r.code, 0, describeRun('predict', r));
    assert.equal(await readFile(out, 'utf8'), 'row,tags\n1,\n2,red\n3,blue\n4,blue|red\n');
    // eval reads the file as train did: the NA rows are the only rows without a label.
    r = await cli(['eval', model, file], dir);
    assert.equal(r.code, 0, describeRun('eval', r));
    const row = evaluationRow(r.stdout, 'tags');
    assert.equal(row.rows, 294);
    assert.ok(row.accuracy > 0.9, `tags accuracy: ${row.accuracy}\n${r.stdout}`);
    // A file in which no row has a label is evaluated with the model's labels (it was refused, with the library's hint).
    const none = join(dir, 'none.csv');
    await writeFile(none, 'x1,x2,tags\n0.1,0.1,\n0.2,0.3,\n0.3,0.2,\n');
    r = await cli(['eval', model, none], dir);
    assert.equal(r.code, 0, describeRun('eval of rows with no label', r));
    assert.equal(evaluationRow(r.stdout, 'tags').rows, 3);
    r = await cli(['train', none, '--task', 'tags:multilabel', '--quiet', '--out', join(dir, 'none.mtsk')], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--task tags:multilabel: column "tags" has no labels: every cell is empty \(none of the labels\) or missing, and a multilabel task needs at least one label/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
