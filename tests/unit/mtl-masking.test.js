// Missing labels: a row unlabeled for task t contributes nothing to t. Its
// (garbage) label and its features — hence its logits for t — leave t's own
// parameters' gradients bit-identical, and those gradients equal the ones of the
// batch without that row. Sample weight 0 at the core level: the row's content
// is ignored the same way, but it still counts in the mean's denominator.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, MultiTaskModel, tasks } from '../../dist/index.js';
import { heapF32 } from '../../dist/internal.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import { coreGradients } from '../helpers/mtl-reference.js';

before(async () => { await init(); });

const ROWS = 9, INPUT = 5, R = 3;
// The same sums in another order (a row fewer changes the GEMM's blocking): f32 rounding.
const REORDERED = { atol: 1e-7, rtol: 1e-5 };

const SPECS = [
  tasks.multiclass('kind', { weight: 0.7, headUnits: [4] }), tasks.binary('flag', { weight: 1.6 }),
  tasks.regression('amount', { weight: 0.4 }), tasks.multilabel('tags', { weight: 1.2 }),
];
const CLASSES = { kind: 3, tags: 3 };

function makeModel(options = {}) {
  const model = new MultiTaskModel({
    input: { features: INPUT, classes: CLASSES }, seed: 4, tasks: SPECS,
    architecture: { type: 'mmoe', experts: 2, expertUnits: [6], towerUnits: [4], activation: 'tanh' }, ...options,
  });
  const p = model.parameters;
  p.list().forEach((info, i) => { if (info.name.endsWith('.bias')) p.set(info.name, seededValues(info.size, 60 + i).map((v) => 0.3 * v)); });
  return model;
}

/** Labels of every task, all rows labeled. */
function allLabels() {
  const u = seededValues(ROWS * 3, 5);
  return {
    kind: Array.from({ length: ROWS }, (_, i) => i % 3),
    flag: Array.from({ length: ROWS }, (_, i) => (u[i] > 0 ? 1 : 0)),
    amount: Array.from({ length: ROWS }, (_, i) => 2 * u[i]),
    tags: Array.from({ length: ROWS * 3 }, (_, i) => (u[i] > -0.2 ? 1 : 0)),
  };
}

function withoutLabel(labels, task, row) {
  const width = task === 'tags' ? 3 : 1;
  return { ...labels, [task]: labels[task].map((v, i) => (Math.floor(i / width) === row ? NaN : v)) };
}

/** Runs computeGradients on a batch; `edit(data)` may change the resident data first. */
function run(model, { x, labels, indices, sampleWeights, edit }) {
  const { losses, grads } = coreGradients(model, { x, rows: ROWS, labels, sampleWeights, indices, edit });
  return { losses, g: grads };
}

const own = (g, task) => Object.fromEntries(Object.entries(g).filter(([n]) => n.split('.').includes(task)));

for (const affinity of [undefined, false]) {
  const path = affinity === false ? 'accumulated backward' : 'per-task path';
  for (const task of ['kind', 'flag', 'amount', 'tags']) {
    test(`${task} (${path}): an unlabeled row's garbage label and features leave ${task}'s gradients bit-identical; = the batch without the row`, () => {
      const model = makeModel(affinity === false ? { affinity: false } : {});
      const x = seededValues(ROWS * INPUT, 9);
      const labels = withoutLabel(allLabels(), task, R);
      const t = SPECS.findIndex((s) => s.name === task);
      const base = run(model, { x, labels });
      const mine = own(base.g, task);
      assert.ok(Object.keys(mine).length >= 4, `${task} has its own parameters (${Object.keys(mine)})`);

      // Garbage in the unlabeled row's target (an out-of-range class, a non-0/1 label, a huge value): never read.
      const garbage = run(model, {
        x, labels,
        edit: (data) => {
          const l = data.labels[t], width = task === 'tags' ? 3 : 1;
          if (task === 'kind') new Int32Array(heapF32().buffer, l.targets, ROWS)[R] = 99;
          else heapF32().fill(task === 'amount' ? 1e30 : 7, (l.targets >>> 2) + R * width, (l.targets >>> 2) + (R + 1) * width);
        },
      });
      assert.deepEqual(garbage.losses, base.losses, 'losses');
      for (const n of Object.keys(base.g)) assert.deepEqual(garbage.g[n], base.g[n], `garbage label: ${n}`);

      // Other features in that row: t's logits there change, its own gradients do not; the other tasks' do.
      const x2 = Float32Array.from(x);
      for (let j = 0; j < INPUT; j++) x2[R * INPUT + j] = 3 * Math.cos(j + 1);
      const moved = run(model, { x: x2, labels });
      for (const n of Object.keys(mine)) assert.deepEqual(moved.g[n], mine[n], `other features in the unlabeled row: ${n}`);
      assert.equal(moved.losses[t], base.losses[t], `${task}'s loss`);
      assert.notDeepEqual(moved.g['experts.0.0.weight'], base.g['experts.0.0.weight'], 'the row still trains the other tasks');

      // The batch without that row.
      const indices = Array.from({ length: ROWS }, (_, i) => i).filter((i) => i !== R);
      const fewer = run(model, { x, labels, indices });
      assertClose([fewer.losses[t]], [base.losses[t]], { ...REORDERED, label: `${task}'s loss without the row` });
      for (const n of Object.keys(mine)) assertClose(fewer.g[n], mine[n], { ...REORDERED, label: `without the row: ${n}` });
      model.dispose();
    });
  }
}

test('a task with no label in the batch: weight 0 that step, its parameters get a zero gradient, the others train as without it', () => {
  const model = makeModel({ affinity: false });
  const x = seededValues(ROWS * INPUT, 9);
  const labels = { ...allLabels(), flag: new Array(ROWS).fill(null) };
  const { g } = run(model, { x, labels });
  for (const [n, v] of Object.entries(own(g, 'flag'))) assert.ok(v.every((e) => e === 0), `${n} is zero`);
  const { flag: _, ...rest } = labels;
  const absent = run(model, { x, labels: rest });
  for (const n of Object.keys(g)) assert.deepEqual(absent.g[n], g[n], `labels all null ≡ no labels given: ${n}`);
  model.dispose();
});

test('sample weight 0: the row\'s label and features are ignored; the mean still divides by the labeled rows, so the gradient is (n−1)/n of the unlabeled row\'s', () => {
  const model = makeModel({ affinity: false });
  const x = seededValues(ROWS * INPUT, 9);
  const labels = allLabels();
  const sampleWeights = Array.from({ length: ROWS }, (_, i) => (i === R ? 0 : 1 + (i % 3) / 4));
  const base = run(model, { x, labels, sampleWeights });
  // Another label and other features in the weight-0 row: every gradient bit-identical.
  const x2 = Float32Array.from(x);
  for (let j = 0; j < INPUT; j++) x2[R * INPUT + j] = -2;
  const other = { kind: labels.kind.map((v, i) => (i === R ? (v + 1) % 3 : v)), flag: labels.flag.map((v, i) => (i === R ? 1 - v : v)),
    amount: labels.amount.map((v, i) => (i === R ? 50 : v)), tags: labels.tags.map((v, i) => (Math.floor(i / 3) === R ? 1 - v : v)) };
  const changed = run(model, { x: x2, labels: other, sampleWeights });
  for (const n of Object.keys(base.g)) assert.deepEqual(changed.g[n], base.g[n], `weight-0 row changed: ${n}`);
  // The same row unlabeled for every task instead: each task's mean has one row fewer in its denominator.
  let unl = labels;
  for (const task of Object.keys(labels)) unl = withoutLabel(unl, task, R);
  const unlabeled = run(model, { x, labels: unl, sampleWeights });
  const n = ROWS; // every task is labeled in every row here
  for (const task of Object.keys(labels)) {
    for (const [name, v] of Object.entries(own(unlabeled.g, task))) {
      assertClose(base.g[name], Float64Array.from(v, (e) => e * (n - 1) / n), { ...REORDERED, label: `${name}: weight 0 = (n−1)/n · unlabeled` });
    }
  }
  base.losses.forEach((l, t) => assertClose([l], [unlabeled.losses[t] * (n - 1) / n], { ...REORDERED, label: `loss ${t}` }));
  model.dispose();
});
