// Finite-difference gradient check of whole multi-task models: every
// architecture, tasks of every kind with fixed weights ≠ 1, unlabeled rows, a
// task-to-task input (ESMM-style, with and without backprop into its source),
// sample and class weights, and the relatedness regularizer. The gradient block
// that core.computeGradients fills is compared, parameter by parameter, with
// central differences of the f64 reference L = Σ_t w_t·L_t (+ penalty) of
// tests/helpers/mtl-reference.js. Each case runs twice: with affinity measuring
// (the trainer's per-task path: phase A per-task gradients, phase B weighted)
// and with affinity: false (one accumulated backward pass).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, MultiTaskModel, tasks } from '../../dist/index.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import {
  jointLossRef, modelRef, coreGradients, paramsF64,
} from '../helpers/mtl-reference.js';
import { centralDifferences } from '../helpers/check-op.js';

before(async () => { await init(); });

// The model's f32 losses vs the f64 reference: a few ulps through a few layers.
const LOSS = { atol: 1e-5, rtol: 1e-5 };
// Analytic f32 gradients vs f64 central differences (h = 1e-5, whose own error is
// ~1e-10): f32 rounding through a few layers. Measured worst: 1.3e-7 absolute.
const GRADIENT = { atol: 2e-6, rtol: 1e-4 };

const ROWS = 7, INPUT = 4;

/** Labels for a task of `kind` (width `width`): seeded, with the rows in `unlabeled` missing. */
function makeLabels(kind, width, seed, unlabeled, rows = ROWS) {
  const u = seededValues(rows * width, seed);
  const values = [], targets = [], mask = [];
  for (let i = 0; i < rows; i++) {
    const missing = unlabeled.includes(i);
    mask.push(missing ? 0 : 1);
    if (kind === 'multiclass' || kind === 'clustering') {
      const c = Math.floor((u[i] + 1) / 2 * width) % width;
      values.push(missing ? NaN : c);
      targets.push(missing ? 0 : c);
    } else {
      for (let j = 0; j < width; j++) {
        const v = kind === 'regression' ? 1.5 * u[i * width + j] : u[i * width + j] > 0 ? 1 : 0;
        values.push(missing ? NaN : v);
        targets.push(missing ? 0 : v);
      }
    }
  }
  return { values, ref: { targets, mask } };
}

/** Moves every bias and cross-stitch α offset off its zero initialization. */
function perturb(model, seed) {
  const p = model.parameters;
  p.list().forEach((info, i) => {
    if (/\.(bias|alphaOffset)$/.test(info.name)) p.set(info.name, seededValues(info.size, seed + i).map((v) => 0.3 * v));
  });
}

/**
 * Builds the model, loads one batch, runs computeGradients, and checks the
 * per-task losses and every parameter's gradient against the reference.
 */
function checkModel({ label, architecture, specs, classes = {}, unlabeled, sampleWeights, relatedness, affinity, seed = 1, classWeights, rows = ROWS }) {
  const model = new MultiTaskModel({
    input: { features: INPUT, classes }, architecture, tasks: specs, seed,
    ...(relatedness ? { relatedness } : {}), ...(affinity === false ? { affinity: false } : {}),
  });
  try {
    perturb(model, seed * 31);
    const widths = specs.map((s) => (s.kind === 'multiclass' || s.kind === 'multilabel' ? classes[s.name] : s.kind === 'clustering' ? s.clusters : s.kind === 'reconstruction' ? INPUT : 1));
    const xs = seededValues(rows * INPUT, seed + 99);
    // A reconstruction task's targets are the inputs themselves, every row labeled.
    const labels = specs.map((s, t) => (s.kind === 'reconstruction'
      ? { values: Array.from(xs), ref: { targets: Array.from(xs), mask: new Array(rows).fill(1) } }
      : makeLabels(s.kind, widths[t], seed * 10 + t, unlabeled[s.name] ?? [], rows)));
    const { losses, grads } = coreGradients(model, {
      x: xs, rows, labels: Object.fromEntries(specs.map((s, t) => [s.name, labels[t].values])), sampleWeights,
    }, classWeights ? (data) => model.core.setClassWeights(data) : undefined);

    const p = paramsF64(model);
    const ctx = { params: p, x: Float64Array.from(xs), rows, inputSize: INPUT, widths };
    const detached = modelRef(architecture, specs, ctx);
    const lossArgs = {
      labels: labels.map((l) => l.ref), weights: specs.map((s) => s.weight ?? 1), sampleWeights,
      classWeights: specs.map((s) => classWeights?.[s.name]), relatedness,
    };
    const L = (params) => jointLossRef(architecture, specs, { ...ctx, params, detached }, lossArgs);
    assertClose(losses, L(p).losses, { ...LOSS, label: `${label}: per-task losses` });
    assert.ok(Object.keys(grads).length === model.parameters.names().length);
    let checked = 0;
    for (const name of Object.keys(grads)) {
      const numeric = centralDifferences((theta) => L({ ...p, [name]: theta }).L, p[name], 1e-5).grad;
      assertClose(grads[name], numeric, { ...GRADIENT, label: `${label}: dL/d ${name}` });
      checked++;
    }
    // Guard against a vacuous check: the gradients are not all zero.
    assert.ok(Object.values(grads).some((g) => g.some((v) => Math.abs(v) > 1e-3)), `${label}: some gradient is non-zero`);
    return checked;
  } finally {
    model.dispose();
  }
}

const tanh = { activation: 'tanh' };
const head = (n) => ({ headUnits: [n], headActivation: 'tanh' });

const CASES = [
  {
    label: 'sharedBottom: multiclass + binary + regression, relatedness between towers and heads',
    architecture: { type: 'sharedBottom', units: [5, 4], towerUnits: [3], ...tanh },
    specs: [tasks.multiclass('species', { weight: 0.6, ...head(3) }), tasks.binary('sex', { weight: 1.7 }), tasks.regression('mass', { weight: 0.4 })],
    classes: { species: 3 },
    unlabeled: { species: [2], sex: [0, 5], mass: [3] },
    relatedness: { pairs: [['sex', 'mass', 0.5], ['species', 'sex', 2]], strength: 0.05 },
  },
  {
    label: 'mmoe: multilabel + binary → regression (ESMM, backprop into the source)',
    architecture: { type: 'mmoe', experts: 3, expertUnits: [5], towerUnits: [3], ...tanh },
    specs: [tasks.multilabel('tags', { weight: 0.8 }), tasks.binary('click', { weight: 1.3, ...head(2) }),
      tasks.regression('spend', { weight: 2.5, inputsFrom: ['click'], ...head(3) })],
    classes: { tags: 3 },
    unlabeled: { tags: [1], click: [4], spend: [0, 6] },
  },
  {
    label: 'sharedBottom: reconstruction + clustering (pseudo-labels) + a mostly unlabeled binary task',
    architecture: { type: 'sharedBottom', units: [5], towerUnits: [3], ...tanh },
    specs: [tasks.reconstruction('recon', { weight: 0.8 }), tasks.clustering('clusters', { clusters: 3, weight: 0.5 }), tasks.binary('flag', { weight: 1.2 })],
    unlabeled: { flag: [0, 1, 2, 3, 4] },
  },
  {
    label: 'omoe: multiclass + regression with one gate for both',
    architecture: { type: 'omoe', experts: 3, expertUnits: [5], towerUnits: [3], ...tanh },
    specs: [tasks.multiclass('kind', { weight: 0.7 }), tasks.regression('amount', { weight: 1.6 })],
    classes: { kind: 3 },
    unlabeled: { kind: [1], amount: [4] },
  },
  {
    label: 'cgc: binary → binary (ESMM, backpropToInputs false) + multiclass, sample weights',
    architecture: { type: 'cgc', sharedExperts: 2, taskExperts: 1, expertUnits: [4], towerUnits: [3], ...tanh },
    specs: [tasks.binary('click', { weight: 0.5 }), tasks.binary('buy', { weight: 1.5, inputsFrom: ['click'], backpropToInputs: false }),
      tasks.multiclass('kind', { weight: 0.9 })],
    classes: { kind: 4 },
    unlabeled: { click: [2], buy: [1, 2], kind: [5] },
    sampleWeights: [1, 0.5, 2, 0, 1.25, 0.75, 3],
  },
  {
    label: 'ple (2 levels): multiclass + binary + regression, class weights',
    architecture: { type: 'ple', levels: 2, sharedExperts: 1, taskExperts: 1, expertUnits: [4, 3], towerUnits: [3], ...tanh },
    specs: [tasks.multiclass('species', { weight: 1.2, classWeights: [0.5, 2, 1] }), tasks.binary('sex', { weight: 0.3, classWeights: [1.5, 0.5] }),
      tasks.regression('mass', { weight: 0.7, ...head(2) })],
    classes: { species: 3 },
    unlabeled: { species: [], sex: [6], mass: [1, 2] },
    classWeights: { species: [0.5, 2, 1], sex: [1.5, 0.5] },
  },
  {
    label: 'sharedBottom: a diamond of task inputs (multiclass → binary → regression, multiclass → regression), readers declared first',
    architecture: { type: 'sharedBottom', units: [4], towerUnits: [], ...tanh },
    specs: [tasks.regression('value', { weight: 0.6, inputsFrom: ['buy', 'kind'] }), tasks.binary('buy', { weight: 1.9, inputsFrom: ['kind'], ...head(2) }),
      tasks.multiclass('kind', { weight: 0.8 })],
    classes: { kind: 3 },
    unlabeled: { value: [1], buy: [2, 3], kind: [6] },
  },
  {
    label: 'crossStitch: binary + regression + multilabel',
    architecture: { type: 'crossStitch', units: [4, 3], towerUnits: [2], ...tanh },
    specs: [tasks.binary('sex', { weight: 2 }), tasks.regression('mass', { weight: 0.5 }), tasks.multilabel('tags', { weight: 1.1, ...head(3) })],
    classes: { tags: 2 },
    unlabeled: { sex: [3], mass: [], tags: [0, 4] },
  },
];

for (const c of CASES) {
  for (const affinity of [undefined, false]) {
    const path = affinity === false ? 'accumulated backward (affinity: false)' : 'per-task path (affinity measured)';
    test(`${c.label} — ${path}: every parameter's gradient matches central differences`, () => {
      const n = checkModel({ ...c, affinity, label: `${c.architecture.type} ${path}` });
      assert.ok(n >= 8, `${n} parameters checked`);
    });
  }
}

// A batch of 400 rows is 3 micro-shards (133, 133, 134 rows: src/mtl/shards.ts): each
// shard's rows of every buffer, its own gradient block, and their sum must still be
// the gradient of the whole batch's loss. One case per path through the step.
const SHARDED_ROWS = 400;
for (const index of [1, 4, 7]) {
  const c = CASES[index];
  for (const affinity of [undefined, false]) {
    const path = affinity === false ? 'accumulated backward' : 'per-task path';
    test(`${SHARDED_ROWS} rows in 3 micro-shards, ${c.label} — ${path}: every parameter's gradient matches central differences`, () => {
      const sampleWeights = c.sampleWeights && Array.from({ length: SHARDED_ROWS }, (_, i) => c.sampleWeights[i % c.sampleWeights.length]);
      const n = checkModel({ ...c, sampleWeights, affinity, rows: SHARDED_ROWS, label: `${c.architecture.type} ${path}, ${SHARDED_ROWS} rows` });
      assert.ok(n >= 8, `${n} parameters checked`);
    });
  }
}

test('ESMM with backpropToInputs true vs false: the source head gradient differs exactly by the reader\'s path', () => {
  // Same weights, same batch: with backprop, the source's head also gets the reader's
  // gradient through its prediction, so the two runs must differ there (and only where
  // the reader's loss reaches: not in the reader's own head).
  const run = (backpropToInputs) => {
    const model = new MultiTaskModel({
      input: { features: INPUT }, seed: 3, affinity: false,
      architecture: { type: 'sharedBottom', units: [4], towerUnits: [], ...tanh },
      tasks: [tasks.binary('click'), tasks.binary('buy', { inputsFrom: ['click'], backpropToInputs })],
    });
    perturb(model, 5);
    const y = Array.from({ length: ROWS }, (_, i) => i % 2);
    const g = coreGradients(model, { x: seededValues(ROWS * INPUT, 4), rows: ROWS, labels: { click: y, buy: y.map((v) => 1 - v) } }).grads;
    model.dispose();
    return g;
  };
  const on = run(true), off = run(false);
  assert.deepEqual(on['head.buy.0.weight'], off['head.buy.0.weight'], 'the reader\'s own head gradient is the same');
  assert.notDeepEqual(on['head.click.0.weight'], off['head.click.0.weight'], 'the source head gets the reader\'s gradient only with backprop');
  assert.notDeepEqual(on['shared.0.weight'], off['shared.0.weight']);
});
