// A trained model's class lists (and categorical levels) are the contract for any
// later data: labels are matched to the model's classes by name, never by their
// position in the new Dataset's own class list (issue #12 point 1). A Dataset
// lists the classes its rows hold, sorted, or as its spec orders them: the
// penguins without Chinstrap list [Adelie, Gentoo], and Gentoo was read as the
// model's class 1, Chinstrap (species accuracy 0.55 instead of 1; fit trained
// the Gentoo rows as Chinstrap; a multilabel subset was a ShapeError).
//
// Every check compares data that differs from the training file with the same
// rows selected from the training Dataset: the metrics, weights and predictions
// must be equal, bit for bit.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  init, Dataset, MultiTaskModel, Ensemble, tasks, loadModel, ArgumentError, UnknownClassError, encoded,
} from '../../dist/index.js';
import { expectError, typedError } from '../helpers/errors.js';

const PENGUINS = readFileSync(new URL('../../examples/data/penguins.csv', import.meta.url), 'utf8');
const [HEADER, ...LINES] = PENGUINS.trim().split('\n');
const COLUMNS = HEADER.split(',');
const cell = (line, column) => line.split(',')[COLUMNS.indexOf(column)];
const SPEC = {
  features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
  targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
};
const ARCH = { type: 'sharedBottom', units: [16], towerUnits: [8] };
const SPECS = () => [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')];
const SPECIES = ['Adelie', 'Chinstrap', 'Gentoo'];

let full, model;

/** The CSV text of the penguins at `indices` (0-based data rows, in that order), and the indices. */
function rowsOf(indices) {
  return { text: [HEADER, ...indices.map((i) => LINES[i])].join('\n'), indices };
}
const where = (keep) => rowsOf(LINES.flatMap((line, i) => (keep(line) ? [i] : [])));

before(async () => {
  await init();
  full = Dataset.fromCSV(PENGUINS, SPEC);
  model = new MultiTaskModel({ input: full, architecture: ARCH, tasks: SPECS(), seed: 3, optimizer: { type: 'adam', learningRate: 0.01 } });
  await model.fit(full, { epochs: 25, batchSize: 32 });
});

test('evaluate on a file without one species = evaluate on the same rows of the training Dataset, for each species', () => {
  for (const missing of SPECIES) {
    const { text, indices } = where((line) => cell(line, 'species') !== missing);
    const subset = Dataset.fromCSV(text, SPEC);
    assert.deepEqual(subset.target('species').classes, SPECIES.filter((c) => c !== missing), 'the file lists its own classes');
    const got = model.evaluate(subset);
    assert.deepEqual(got, model.evaluate(full.select(indices)), `without ${missing}`);
    assert.ok(got.tasks.species.accuracy > 0.9, `without ${missing}: species accuracy ${got.tasks.species.accuracy}`);
  }
});

test('evaluate on a file of one sex, with either class order, = the same rows of the training Dataset', () => {
  for (const sex of ['female', 'male']) {
    const { text, indices } = where((line) => cell(line, 'sex') === sex);
    const expected = model.evaluate(full.select(indices));
    for (const order of [{ negative: 'female', positive: 'male' }, { negative: 'male', positive: 'female' }]) {
      const subset = Dataset.fromCSV(text, { ...SPEC, targets: { ...SPEC.targets, sex: { type: 'binary', ...order } } });
      assert.deepEqual(model.evaluate(subset), expected, `only ${sex}, positive ${order.positive}`);
    }
  }
  // The whole file read with the other positive class: each row keeps its label.
  const reversed = Dataset.fromCSV(PENGUINS, { ...SPEC, targets: { ...SPEC.targets, sex: { type: 'binary', positive: 'female' } } });
  assert.deepEqual(reversed.target('sex').classes, ['male', 'female']);
  assert.deepEqual(model.evaluate(reversed), model.evaluate(full));
});

test('rows in another order, classes listed in another order: the same metrics as the same rows of the training Dataset', () => {
  const { text, indices } = rowsOf(LINES.map((_, i) => LINES.length - 1 - i));
  const other = Dataset.fromCSV(text, { ...SPEC, targets: { ...SPEC.targets, species: { type: 'multiclass', classes: ['Gentoo', 'Chinstrap', 'Adelie'] } } });
  assert.deepEqual(other.target('species').classes, ['Gentoo', 'Chinstrap', 'Adelie']);
  assert.deepEqual(model.evaluate(other), model.evaluate(full.select(indices)));
});

test('fit on a file without Chinstrap trains what the same rows of the training Dataset train: new, continued and loaded models, validationData', async () => {
  const { text, indices } = where((line) => cell(line, 'species') !== 'Chinstrap');
  const subset = Dataset.fromCSV(text, SPEC);
  const same = full.select(indices);
  const fresh = () => new MultiTaskModel({ input: full, architecture: ARCH, tasks: SPECS(), seed: 5, optimizer: { type: 'adam', learningRate: 0.01 } });
  const saved = model.save();
  const pairs = [[fresh(), fresh()], [loadModel(saved), loadModel(saved)]];
  try {
    for (const [a, b] of pairs) {
      const ha = await a.fit(subset, { epochs: 3, batchSize: 32, validationData: subset });
      const hb = await b.fit(same, { epochs: 3, batchSize: 32, validationData: same });
      assert.deepEqual(ha.epochs.map((e) => [e.loss, e.val]), hb.epochs.map((e) => [e.loss, e.val]), 'training and validation logs');
      assert.deepEqual(a.predict(full), b.predict(full), 'the trained weights predict alike');
    }
  } finally {
    for (const [a, b] of pairs) { a.dispose(); b.dispose(); }
  }
});

test('a class the model does not know: UnknownClassError naming the task, the class and the row, from evaluate, fit and validationData', async () => {
  const lines = [...LINES];
  const at = lines.findIndex((line) => cell(line, 'species') === 'Gentoo');
  lines[at] = lines[at].replace(/^Gentoo/, 'Macaroni');
  const withMacaroni = Dataset.fromCSV([HEADER, ...lines].join('\n'), SPEC);
  const props = { task: 'species', column: 'species', value: 'Macaroni', rowIndex: at, line: at + 2, known: SPECIES };
  const message = new RegExp(`task "species", row ${at + 1} \\(line ${at + 2}\\): class "Macaroni" is not one of the model's classes \\("Adelie", "Chinstrap", "Gentoo"\\)`);
  expectError(() => model.evaluate(withMacaroni), UnknownClassError, 'E_ARGUMENT', [/^evaluate: /, message], { props });
  const before = model.predict(full);
  await assert.rejects(model.fit(withMacaroni, { epochs: 1 }), typedError(UnknownClassError, 'E_ARGUMENT', [/^fit: /, message], { props }));
  await assert.rejects(model.fit(full, { epochs: 1, validationData: withMacaroni }), typedError(UnknownClassError, 'E_ARGUMENT', [/^fit validationData: /, message], { props }));
  assert.deepEqual(model.predict(full), before, 'a refused fit trains nothing');
  // The same for a sex the model does not know: the file's binary classes are [female, juvenile].
  const juvenile = LINES.map((line) => line.replace(/,male$/, ',juvenile'));
  const first = juvenile.findIndex((line) => line.endsWith(',juvenile'));
  expectError(() => model.evaluate(Dataset.fromCSV([HEADER, ...juvenile].join('\n'), SPEC)), UnknownClassError, 'E_ARGUMENT',
    new RegExp(`task "sex", row ${first + 1} \\(line ${first + 2}\\): class "juvenile" is not one of the model's classes \\("female", "male"\\)`));
});

test('a task reads data of its own kind only', () => {
  const asMulticlass = Dataset.fromCSV(PENGUINS, { ...SPEC, targets: { ...SPEC.targets, body_mass_g: 'multiclass' } });
  expectError(() => model.evaluate(asMulticlass), ArgumentError, 'E_ARGUMENT', /evaluate: task "body_mass_g" is declared regression, but the dataset's column is multiclass/);
});

test('categorical levels are matched by name: a file without Torgersen (its own levels [Biscoe, Dream]) predicts as the same rows of the training Dataset', () => {
  const { text, indices } = where((line) => cell(line, 'island') !== 'Torgersen');
  const subset = Dataset.fromCSV(text, SPEC);
  assert.deepEqual([...new Set(subset.column('island'))].sort(), ['Biscoe', 'Dream']);
  assert.deepEqual(model.predict(subset), model.predict(full.select(indices)));
  // Rows as objects, in another order, with the file's columns in another order.
  const objects = indices.slice(0, 20).reverse().map((i) => Object.fromEntries([...COLUMNS].reverse().map((c) => [c, cell(LINES[i], c)])));
  assert.deepEqual(model.predict(objects), model.predict(full.select(indices.slice(0, 20).reverse())));
});

// ---- multilabel ----

const TAGS = ['blue', 'green', 'red'];
function tagged(n) {
  const rows = ['x1,x2,tags'];
  for (let i = 0; i < n; i++) {
    const x1 = Math.sin(1.7 * i), x2 = Math.cos(0.9 * i);
    const tags = [x1 > 0.2 ? 'red' : null, x2 > 0.3 ? 'green' : null, x1 + x2 < -0.5 ? 'blue' : null].filter(Boolean);
    rows.push(`${x1.toFixed(4)},${x2.toFixed(4)},${i % 17 === 0 ? '' : tags.join('|') || 'none'}`);
  }
  return rows;
}

test('multilabel: a file without one label, or with its labels in another order, = the same rows of the training Dataset; an unknown label is an UnknownClassError', async () => {
  const lines = tagged(90);
  const spec = { features: { x1: 'numeric', x2: 'numeric' }, targets: { tags: { type: 'multilabel', none: 'none' } } };
  const all = Dataset.fromCSV(lines.join('\n'), spec);
  assert.deepEqual(all.target('tags').classes, TAGS);
  const m = new MultiTaskModel({ input: all, architecture: ARCH, tasks: [tasks.multilabel('tags')], seed: 2, optimizer: { type: 'adam', learningRate: 0.02 } });
  try {
    await m.fit(all, { epochs: 10, batchSize: 16 });
    const data = lines.slice(1);
    for (const missing of TAGS) {
      const indices = data.flatMap((line, i) => (line.split(',')[2].split('|').includes(missing) ? [] : [i]));
      const subset = Dataset.fromCSV([lines[0], ...indices.map((i) => data[i])].join('\n'), spec);
      assert.deepEqual(subset.target('tags').classes, TAGS.filter((t) => t !== missing));
      assert.deepEqual(m.evaluate(subset), m.evaluate(all.select(indices)), `without ${missing}`);
      const sameRows = all.select(indices);
      const [a, b] = [0, 1].map(() => loadModel(m.save()));
      try {
        await a.fit(subset, { epochs: 2, batchSize: 16 });
        await b.fit(sameRows, { epochs: 2, batchSize: 16 });
        assert.deepEqual(a.predict(all), b.predict(all), `fit without ${missing}`);
      } finally { a.dispose(); b.dispose(); }
    }
    const reordered = Dataset.fromCSV(lines.join('\n'), { ...spec, targets: { tags: { type: 'multilabel', none: 'none', labels: ['red', 'blue', 'green'] } } });
    assert.deepEqual(m.evaluate(reordered), m.evaluate(all));
    const purple = [...lines];
    purple[5] = purple[5].replace(/,[^,]*$/, ',red|purple');
    expectError(() => m.evaluate(Dataset.fromCSV(purple.join('\n'), spec)), UnknownClassError, 'E_ARGUMENT',
      /evaluate: task "tags", row 5 \(line 6\): label "purple" is not one of the model's labels \("blue", "green", "red"\)/,
      { props: { task: 'tags', value: 'purple', rowIndex: 4, line: 6 } });
  } finally {
    m.dispose();
  }
});

// ---- tasks whose classes the model knows only as a count, or as names given with arrays ----

test('a task with only a class count refuses a Dataset\'s labels (no names to match); arrays give class indices as before', async () => {
  const m = new MultiTaskModel({ input: full, architecture: ARCH, tasks: [tasks.regression('body_mass_g')], seed: 1 });
  try {
    m.addTask(tasks.multiclass('species'), { classes: 3 });
    expectError(() => m.evaluate(full), ArgumentError, 'E_ARGUMENT',
      /evaluate: task "species" has no class names \(it was added without data, with a class count\), so the Dataset's labels \("Adelie", "Chinstrap", "Gentoo"\) cannot be matched to its outputs by name/);
    const e = m.evaluate(encoded(new Float32Array(4 * m.featureNames.length).fill(0.5)), { species: [0, 1, 2, 1], body_mass_g: [3000, 3500, 4000, 4500] });
    assert.equal(e.tasks.species.rows, 4, 'class indices with arrays');
  } finally {
    m.dispose();
  }
  // Named classes given with arrays: labels are indices into them, predictions their names.
  const named = new MultiTaskModel({ input: { features: 2, classes: { kind: ['a', 'b', 'c'] } }, architecture: ARCH, tasks: [tasks.multiclass('kind')], seed: 1 });
  try {
    await named.fit([[0, 1], [1, 0], [1, 1]], { kind: [2, 0, 1] }, { epochs: 1 });
    assert.deepEqual(named.classNames('kind'), ['a', 'b', 'c']);
    assert.ok(named.predict([[0, 1]]).kind.classes.every((c) => ['a', 'b', 'c'].includes(c)));
  } finally {
    named.dispose();
  }
  expectError(() => new MultiTaskModel({ input: { features: 2, classes: { kind: ['a', 'b', 'a'] } }, architecture: ARCH, tasks: [tasks.multiclass('kind')] }),
    ArgumentError, 'E_ARGUMENT', /task "kind": its class names must be distinct, as labels are matched to them by name; "a" is given twice/);
});

test('Ensemble: members whose classes differ (in names or order) are refused, not averaged output by output', () => {
  const { text } = where((line) => cell(line, 'species') !== 'Chinstrap');
  const make = (input) => new MultiTaskModel({ input, architecture: ARCH, tasks: SPECS(), seed: 1 });
  const reordered = Dataset.fromCSV(PENGUINS, { ...SPEC, targets: { ...SPEC.targets, species: { type: 'multiclass', classes: ['Gentoo', 'Adelie', 'Chinstrap'] } } });
  const members = [make(Dataset.fromCSV(text, SPEC)), make(reordered), make(full)];
  try {
    expectError(() => new Ensemble([model, members[0]]), ArgumentError, 'E_ARGUMENT',
      /Ensemble: task "species" has the classes \["Adelie", "Gentoo"\] in member 1 but \["Adelie", "Chinstrap", "Gentoo"\] in member 0; members must have the same classes in the same order/);
    expectError(() => new Ensemble([model, members[1]]), ArgumentError, 'E_ARGUMENT', /task "species" has the classes \["Gentoo", "Adelie", "Chinstrap"\] in member 1/);
    const ensemble = new Ensemble([model, members[2]]);
    assert.equal(ensemble.predict(full).species.probabilities.length, full.rows);
  } finally {
    for (const m of members) m.dispose();
  }
});
