// The two fit options a federated client needs (and others use too):
// - proximal: μ/2·‖w − w₀‖² (src/mtl/proximal.ts), FedProx's local objective and
//   L2-SP. Its gradient μ·(w − w₀) is what computeGradients adds to the backward
//   pass's gradient, over the parameters of the shared part (owner −1) or all of
//   them; it is checked against central differences of the penalty, and fit with
//   it keeps the covered weights nearer their start.
// - unlabeledTasks: 'skip': a task with no label in the training data (a client
//   holding only some tasks' labels) is left out instead of refused.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, MultiTaskModel, tasks, ArgumentError } from '../../dist/index.js';
import { ProximalTerm } from '../../dist/internal.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import { coreGradients } from '../helpers/mtl-reference.js';
import { centralDifferences } from '../helpers/check-op.js';

before(async () => { await init(); });

const ROWS = 9, INPUT = 4;
const x = seededValues(ROWS * INPUT, 5);
const labels = { kind: Array.from({ length: ROWS }, (_, i) => i % 3), amount: Array.from(seededValues(ROWS, 8)) };
const build = () => new MultiTaskModel({
  input: { features: INPUT, classes: { kind: 3 } },
  architecture: { type: 'mmoe', experts: 2, expertUnits: [5], towerUnits: [3] },
  tasks: [tasks.multiclass('kind'), tasks.regression('amount')], seed: 3, affinity: false,
});

/** Moves every parameter by a seeded step, so that w ≠ w₀. */
function move(model, seed) {
  const p = model.parameters;
  p.list().forEach((info, i) => {
    const w = p.get(info.name), d = seededValues(info.size, seed + i);
    p.set(info.name, w.map((v, j) => v + 0.2 * d[j]));
  });
}

const gradients = (model) => coreGradients(model, { x, rows: ROWS, labels }).grads;

for (const covered of ['shared', 'all']) {
  test(`proximal (${covered}): the gradient gains μ·(w − w₀) on the ${covered === 'shared' ? 'shared parameters only (owner −1)' : 'parameters of every owner'}, as central differences of the penalty say`, () => {
    const model = build();
    try {
      const mu = 0.7;
      const anchor = Object.fromEntries(model.parameters.list().map((p) => [p.name, model.parameters.get(p.name)]));
      const term = new ProximalTerm(model.parameters, { mu, parameters: covered });
      move(model, 40);
      const plain = gradients(model);
      model.core.proximal = term;
      const withTerm = gradients(model);
      model.core.proximal = null;
      let owners = new Set();
      for (const info of model.parameters.list()) {
        const w = model.parameters.get(info.name), a = anchor[info.name];
        const inside = covered === 'all' || info.owner === -1;
        const added = withTerm[info.name].map((g, i) => g - plain[info.name][i]);
        const expected = inside ? w.map((v, i) => mu * (v - a[i])) : new Float32Array(info.size);
        assertClose(added, expected, { atol: 1e-6, rtol: 1e-5, label: `${info.name} (owner ${info.owner})` });
        if (inside) owners.add(info.owner);
        if (inside && info.owner === -1) {
          // d/dθ of μ/2·‖θ − θ₀‖², numerically, through the term's own penalty().
          const original = Float64Array.from(w);
          const numeric = centralDifferences((theta) => { model.parameters.set(info.name, theta); return term.penalty(); }, original, 1e-3).grad;
          model.parameters.set(info.name, original);
          assertClose(numeric, expected, { atol: 2e-4, rtol: 1e-3, label: `d penalty / d ${info.name}` });
        }
      }
      assert.ok(owners.has(-1) && (covered === 'shared' ? owners.size === 1 : owners.has(0) && owners.has(1)), `owners covered: ${[...owners]}`);
      term.dispose();
    } finally {
      model.dispose();
    }
  });
}

test('fit({ proximal }): a strong term keeps the shared weights near where fit started, the task parts (not covered) train as without it', async () => {
  const distances = {};
  for (const mu of [0, 50]) {
    const model = build();
    try {
      const start = model.parameters.list().map((p) => model.parameters.get(p.name));
      await model.fit(x, labels, { epochs: 20, batchSize: 3, learningRate: 0.05, ...(mu > 0 ? { proximal: { mu } } : {}) });
      const d = { shared: 0, task: 0 };
      model.parameters.list().forEach((p, i) => {
        const w = model.parameters.get(p.name);
        const sq = w.reduce((s, v, j) => s + (v - start[i][j]) ** 2, 0);
        d[p.owner === -1 ? 'shared' : 'task'] += sq;
      });
      distances[mu] = d;
      assert.equal(model.core.proximal, null, 'fit drops its term when it ends');
    } finally {
      model.dispose();
    }
  }
  assert.ok(distances[50].shared < 0.2 * distances[0].shared, `shared: ‖w − w₀‖² ${distances[50].shared} with μ = 50 vs ${distances[0].shared} without`);
  assert.ok(distances[50].task > 0.2 * distances[0].task, `task parts still train: ${distances[50].task} vs ${distances[0].task}`);
});

test('fit({ proximal }) refuses what it cannot use, naming it', async () => {
  const model = build();
  try {
    for (const [proximal, pattern] of [
      [{ mu: -1 }, /proximal: mu must be a number ≥ 0/],
      [{ mu: NaN }, /mu must be/],
      [{ mu: 1e39 }, /within the float32 range/],
      [{ mu: 1, parameters: 'heads' }, /parameters must be one of "shared", "all"/],
      [{ mu: 1, anchor: [] }, /unknown option "anchor"/],
      [5, /options must be an object/],
    ]) {
      await assert.rejects(model.fit(x, labels, { epochs: 1, proximal }), (err) => {
        assert.ok(err instanceof ArgumentError, `${JSON.stringify(proximal)}: ${err}`);
        assert.match(err.message, pattern);
        return true;
      });
    }
  } finally {
    model.dispose();
  }
});

test('fit({ unlabeledTasks: \'skip\' }): the labeled tasks train, the unlabeled one gets no gradient (its parameters stay, with Adam); refused by default, and when no task has labels', async () => {
  const model = build();
  try {
    const onlyKind = { kind: labels.kind, amount: labels.amount.map(() => null) };
    await assert.rejects(model.fit(x, onlyKind, { epochs: 1 }), (err) => err instanceof ArgumentError && /task "amount" has no labels in the training data \(fit's unlabeledTasks: 'skip' trains the other tasks without it\)/.test(err.message));
    const before = model.parameters.list().map((p) => [p.owner, model.parameters.get(p.name)]);
    const batchLosses = [];
    const history = await model.fit(x, onlyKind, { epochs: 3, batchSize: 4, unlabeledTasks: 'skip', callbacks: { onBatchEnd: (_, logs) => { batchLosses.push(logs.tasks); } } });
    assert.ok(batchLosses.length > 0 && batchLosses.every((l) => l.amount === 0 && l.kind > 0), `each batch: the skipped task's loss is 0, the other's positive (${JSON.stringify(batchLosses[0])})`);
    for (const epoch of history.epochs) {
      assert.ok(Number.isNaN(epoch.tasks.amount.loss), 'no mean loss over zero labeled rows for the skipped task');
      assert.equal(epoch.loss, epoch.tasks.kind.loss, 'the epoch loss sums the trained tasks only');
    }
    model.parameters.list().forEach((p, i) => {
      const same = model.parameters.get(p.name).every((v, j) => v === before[i][1][j]);
      if (p.owner === 1) assert.ok(same, `${p.name} (task "amount") is unchanged`);
      else assert.ok(!same, `${p.name} trained`);
    });
    await assert.rejects(model.fit(x, { kind: labels.kind.map(() => NaN), amount: onlyKind.amount }, { unlabeledTasks: 'skip' }),
      (err) => err instanceof ArgumentError && /has no labels in the training data \(nor has any other task\)/.test(err.message));
    await assert.rejects(model.fit(x, labels, { unlabeledTasks: 'ignore' }), (err) => err instanceof ArgumentError && /unlabeledTasks must be one of "error", "skip"/.test(err.message));
  } finally {
    model.dispose();
  }
});
