// fit's labeledOnly: training on the rows that carry a label is the same as
// filtering them by hand first — bit-identical weights, for a single-task model on
// data where most rows lack its label, for a multi-task model (rows with no label
// for any task dropped, rows with some kept), with sample weights, with
// validationSplit (taken from the labeled rows), and from a Dataset; fewer
// optimizer steps per epoch; the errors.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, MultiTaskModel, tasks, Dataset, ArgumentError } from '../../dist/index.js';
import { seededValues } from '../helpers/reference.js';
import { weightsSnapshot } from '../helpers/mtl-reference.js';

before(async () => { await init(); });

const N = 60;
const u = seededValues(N * 3, 5);
const X = Array.from({ length: N }, (_, i) => [u[3 * i], u[3 * i + 1], u[3 * i + 2]]);
// "rare" is labeled on one row in five; "often" on every other row; rows 7, 17, 27, … have neither.
const RARE = X.map((r, i) => (i % 5 === 0 ? (r[0] > 0 ? 1 : 0) : NaN));
const OFTEN = X.map((r, i) => (i % 2 === 0 || i % 10 === 7 ? NaN : 3 * r[1] - r[2]));
const ARCH = { type: 'sharedBottom', units: [6], towerUnits: [4] };

const make = (specs, options = {}) => new MultiTaskModel({
  input: { features: 3 }, seed: 9, tasks: specs, architecture: ARCH, optimizer: { type: 'adam', learningRate: 0.02 }, ...options,
});
const same = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const pick = (values, rows) => rows.map((r) => values[r]);
const present = (v) => v !== null && v !== undefined && !Number.isNaN(v);

test('a single-task model: labeledOnly trains exactly as on the rows with its label, in fewer steps', async () => {
  const rows = X.map((_, i) => i).filter((i) => present(RARE[i]));
  assert.equal(rows.length, 12);
  const a = make([tasks.binary('rare')]), b = make([tasks.binary('rare')]), c = make([tasks.binary('rare')]);
  await a.fit(X, { rare: RARE }, { epochs: 5, batchSize: 8, labeledOnly: true });
  await b.fit(pick(X, rows), { rare: pick(RARE, rows) }, { epochs: 5, batchSize: 8 });
  await c.fit(X, { rare: RARE }, { epochs: 5, batchSize: 8 });
  assert.ok(same(weightsSnapshot(a), weightsSnapshot(b)), 'labeledOnly ≡ filtering by hand');
  assert.equal(a.steps, 5 * Math.ceil(12 / 8));
  assert.equal(c.steps, 5 * Math.ceil(N / 8), 'without it every row takes a batch slot');
  assert.ok(!same(weightsSnapshot(a), weightsSnapshot(c)));
  for (const m of [a, b, c]) m.dispose();
});

test('a multi-task model: rows with no label for any task are dropped, rows with some are kept; sample weights follow', async () => {
  const rows = X.map((_, i) => i).filter((i) => present(RARE[i]) || present(OFTEN[i]));
  assert.ok(rows.length < N && rows.some((i) => !present(RARE[i])), 'some rows go, some rows with one label stay');
  const weights = X.map((_, i) => 0.5 + (i % 4));
  const specs = () => [tasks.binary('rare'), tasks.regression('often')];
  const a = make(specs()), b = make(specs());
  await a.fit(X, { rare: RARE, often: OFTEN }, { epochs: 4, batchSize: 8, labeledOnly: true, sampleWeights: weights });
  await b.fit(pick(X, rows), { rare: pick(RARE, rows), often: pick(OFTEN, rows) }, { epochs: 4, batchSize: 8, sampleWeights: pick(weights, rows) });
  assert.ok(same(weightsSnapshot(a), weightsSnapshot(b)));
  // labeledOnly: false is the default.
  const c = make(specs()), d = make(specs());
  await c.fit(X, { rare: RARE, often: OFTEN }, { epochs: 2, batchSize: 8, labeledOnly: false });
  await d.fit(X, { rare: RARE, often: OFTEN }, { epochs: 2, batchSize: 8 });
  assert.ok(same(weightsSnapshot(c), weightsSnapshot(d)));
  for (const m of [a, b, c, d]) m.dispose();
});

test('validationSplit holds out the last of the labeled rows; a Dataset is filtered the same way', async () => {
  const rows = X.map((_, i) => i).filter((i) => present(OFTEN[i]));
  const cut = rows.length - Math.floor(rows.length * 0.25);
  const a = make([tasks.regression('often')]), b = make([tasks.regression('often')]);
  const ha = await a.fit(X, { often: OFTEN }, { epochs: 3, batchSize: 4, labeledOnly: true, validationSplit: 0.25 });
  const train = rows.slice(0, cut), val = rows.slice(cut);
  const hb = await b.fit(pick(X, train), { often: pick(OFTEN, train) }, {
    epochs: 3, batchSize: 4, validationData: { x: pick(X, val), labels: { often: pick(OFTEN, val) } },
  });
  assert.ok(same(weightsSnapshot(a), weightsSnapshot(b)));
  assert.deepEqual(ha.get('val_often_loss'), hb.get('val_often_loss'));
  // From a Dataset (CSV, empty cells = no label).
  const csv = ['x0,x1,x2,often', ...X.map((r, i) => `${r.join(',')},${present(OFTEN[i]) ? OFTEN[i] : ''}`)].join('\n');
  const full = Dataset.fromCSV(csv, { features: { x0: 'numeric', x1: 'numeric', x2: 'numeric' }, targets: { often: 'regression' } });
  const only = Dataset.fromCSV(['x0,x1,x2,often', ...rows.map((i) => `${X[i].join(',')},${OFTEN[i]}`)].join('\n'),
    { features: { x0: 'numeric', x1: 'numeric', x2: 'numeric' }, targets: { often: 'regression' } });
  const spec = { seed: 2, tasks: [tasks.regression('often')], architecture: ARCH };
  const c = new MultiTaskModel({ input: only, ...spec }), d = new MultiTaskModel({ input: only, ...spec });
  await c.fit(full, { epochs: 3, batchSize: 4, labeledOnly: true });
  await d.fit(only, { epochs: 3, batchSize: 4 });
  assert.ok(same(weightsSnapshot(c), weightsSnapshot(d)), 'Dataset');
  for (const m of [a, b, c, d]) m.dispose();
});

test('labeledOnly: a boolean; refuses data in which no row is left, and sample weights of the wrong length', async () => {
  const m = make([tasks.binary('rare')]);
  const argErr = (re) => (e) => e instanceof ArgumentError && re.test(e.message);
  await assert.rejects(m.fit(X, { rare: RARE }, { labeledOnly: 'yes' }), argErr(/fit: labeledOnly must be true or false, got "yes"/));
  await assert.rejects(m.fit(X, { rare: X.map(() => NaN) }, { labeledOnly: true }), argErr(/fit: labeledOnly leaves no rows: none of the 60 rows has a label for "rare"/));
  await assert.rejects(m.fit(X, { rare: RARE }, { labeledOnly: true, sampleWeights: [1, 2] }), argErr(/sampleWeights: expected 60 weights \(one per row\), got 2/));
  await assert.rejects(m.fit(X, { rare: RARE.slice(1) }, { labeledOnly: true }), /task "rare": expected labels for 60 rows, got 59 values/);
  assert.equal(m.steps, 0, 'nothing trained');
  m.dispose();
});
