// Failure modes of the multi-task model: divergence (TrainingDivergedError names
// the task and step and leaves the weights of the last good step), and bad input
// of every kind → typed errors naming the column, task, row or option.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  init, MultiTaskModel, tasks, Dataset, ArgumentError, ShapeError, DataError, UnknownCategoryError,
  TrainingDivergedError,
} from '../../dist/index.js';
import { seededValues } from '../helpers/reference.js';
import { coreGradients, withCoreBatch, weightsSnapshot } from '../helpers/mtl-reference.js';
import { typedError } from '../helpers/errors.js';

before(async () => { await init(); });

const PENGUINS = readFileSync(new URL('../../examples/data/penguins.csv', import.meta.url), 'utf8');

const argError = (patterns) => typedError(ArgumentError, 'E_ARGUMENT', patterns);
const shapeError = (patterns) => typedError(ShapeError, 'E_SHAPE', patterns);

const ARCH = { type: 'sharedBottom', units: [6], towerUnits: [] };
const X = Array.from({ length: 24 }, (_, i) => [Math.sin(i), Math.cos(1.3 * i), (i % 5) / 5]);
const LABELS = { kind: X.map((_, i) => i % 3), flag: X.map((r) => (r[0] > 0 ? 1 : 0)), amount: X.map((r) => 50 * r[1] + 10) };
function model(options = {}) {
  return new MultiTaskModel({
    input: { features: 3, classes: { kind: 3 } }, architecture: ARCH, seed: 1,
    tasks: [tasks.multiclass('kind'), tasks.binary('flag'), tasks.regression('amount')], ...options,
  });
}

// ---- divergence ----

test('TrainingDivergedError: learning rate 1e6 on a regression task names the task and step; weights are the last good step\'s; predict still works', async () => {
  const m = new MultiTaskModel({
    input: { features: 3 }, architecture: ARCH, seed: 1, optimizer: { type: 'sgd', learningRate: 1e-3 },
    tasks: [tasks.binary('flag'), tasks.regression('amount')],
  });
  let lastStep = -1;
  const before = weightsSnapshot(m);
  const byStep = new Map([[0, before]]); // the weights after each step
  await assert.rejects(
    m.fit(X, { flag: LABELS.flag, amount: LABELS.amount }, {
      // Without the divergence rule (which stops this run at its first exploded loss), to reach a NaN loss.
      epochs: 20, batchSize: 8, learningRate: 1e6, divergence: false,
      callbacks: { onBatchEnd: (_, logs) => { byStep.set(logs.step, weightsSnapshot(m)); lastStep = logs.step; } },
    }),
    (err) => {
      typedError(TrainingDivergedError, 'E_DIVERGED', [/task "amount"/, /at step \d+/])(err);
      assert.equal(err.task, 'amount');
      assert.ok(lastStep >= 1, `some steps succeeded first (${lastStep})`);
      assert.equal(err.step, lastStep, 'the failing step is the one after the last completed step');
      assert.match(err.message, new RegExp(`at step ${lastStep}:`));
      return true;
    },
  );
  // The weights of the failing step give a non-finite loss: the model goes back one more step, to the
  // last weights whose loss was finite (and the update from them too).
  assert.equal(m.steps, lastStep - 1, 'back to the step before the update that led to the failure');
  assert.deepEqual(weightsSnapshot(m), byStep.get(lastStep - 1), 'weights = the last good ones');
  if (lastStep >= 2) assert.notDeepEqual(byStep.get(lastStep - 1), before, 'the steps before did move the weights');
  const p = m.predict(X.slice(0, 5));
  assert.equal(p.amount.values.length, 5);
  assert.equal(p.flag.probabilities.length, 5);
  assert.ok(Array.from(p.flag.probabilities).every((v) => v >= 0 && v <= 1));
  assert.ok(Array.from(p.amount.values).every(Number.isFinite), 'the last good weights predict finite values');
  m.dispose();
});

test('finite gradients above 1e19 are not divergence (their squares overflow f32, not f64)', () => {
  for (const affinity of [undefined, false]) {
    const m = new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, seed: 1, tasks: [tasks.binary('flag'), tasks.regression('amount')], ...(affinity === false ? { affinity } : {}) });
    const rows = 8;
    // Labels straight into the core (no standardization): MSE gradients ~1e20, finite.
    const { losses, grads: g } = coreGradients(m, { x: seededValues(rows * 3, 1), rows, labels: { flag: LABELS.flag.slice(0, rows), amount: new Array(rows).fill(1e20) } });
    assert.ok(losses.every(Number.isFinite));
    assert.ok(Object.values(g).every((v) => v.every(Number.isFinite)), 'every gradient is finite');
    assert.ok(Math.abs(g['head.amount.0.bias'][0]) > 1e20, 'and huge');
    m.dispose();
  }
});

test('a gradient that overflows in the shared part is blamed on the task whose dL/dZ is largest (per-task path)', () => {
  const m = new MultiTaskModel({ input: { features: 3 }, architecture: { ...ARCH, activation: 'tanh' }, seed: 1, tasks: [tasks.regression('amount'), tasks.binary('flag')] });
  const rows = 16;
  m.parameters.set('shared.0.weight', new Array(18).fill(1e-3));
  m.parameters.set('head.flag.0.weight', new Array(6).fill(3e38)); // finite logits, dL/dZ ~1e37, Σ over rows·x overflows
  assert.throws(() => coreGradients(m, { x: new Array(rows * 3).fill(5), rows, labels: { flag: new Array(rows).fill(0), amount: new Array(rows).fill(1) } }), (err) => {
    typedError(TrainingDivergedError, 'E_DIVERGED', [/the gradient of task "flag" is not finite/, /at step 0/])(err);
    return err.task === 'flag' && err.step === 0;
  });
  m.dispose();
});

// ---- bad input ----

test('labels: unknown task, class out of range (row named), text and non-finite labels, a task with no labels, mismatched lengths', async () => {
  const m = model();
  const fresh = m.predict(X).amount.values;
  await assert.rejects(m.fit(X, { ...LABELS, colour: X.map(() => 1) }), argError(/fit: labels for "colour", which is not a task \(tasks: kind, flag, amount\)/));
  await assert.rejects(m.fit(X, { ...LABELS, kind: LABELS.kind.map((v, i) => (i === 7 ? 3 : v)) }), argError(/task "kind", row 7: class 3 is out of range; expected an integer from 0 to 2/));
  await assert.rejects(m.fit(X, { ...LABELS, kind: LABELS.kind.map((v, i) => (i === 2 ? 0.5 : v)) }), argError(/task "kind", row 2: class 0.5 is out of range/));
  await assert.rejects(m.fit(X, { ...LABELS, flag: LABELS.flag.map((v, i) => (i === 4 ? 2 : v)) }), argError(/task "flag", row 4: label 2 must be 0 or 1/));
  await assert.rejects(m.fit(X, { ...LABELS, flag: LABELS.flag.map((v, i) => (i === 5 ? 'yes' : v)) }), argError(/task "flag", row 5: label "yes" is not a number/));
  await assert.rejects(m.fit(X, { ...LABELS, amount: LABELS.amount.map((v, i) => (i === 6 ? Infinity : v)) }), argError(/task "amount", row 6: label Infinity is not a finite number/));
  // Finite, but not in float32 (it said "is not a finite number").
  await assert.rejects(m.fit(X, { ...LABELS, amount: LABELS.amount.map((v, i) => (i === 6 ? -1e39 : v)) }), argError(/task "amount", row 6: label -1e\+39 is beyond float32's range \(±3\.4e38\)$/));
  const small = model();
  await small.fit(X, { ...LABELS, amount: X.map((r) => r[0]) }, { epochs: 1 }); // a std below 1
  assert.throws(() => small.evaluate(X, { amount: X.map((_, i) => (i === 6 ? 3e38 : 0)) }),
    argError(/task "amount", row 6: label 3e\+38 is beyond float32's range once standardized \(mean .*, std 0\.\d+\)$/));
  small.dispose();
  await assert.rejects(m.fit(X, { ...LABELS, amount: LABELS.amount.map((v, i) => (i === 9 ? 'heavy' : v)) }), argError(/task "amount", row 9: label "heavy" is not a number/));
  await assert.rejects(m.fit(X, { kind: LABELS.kind, flag: LABELS.flag }), argError(/task "amount" has no labels in the training data/));
  await assert.rejects(m.fit(X, { ...LABELS, amount: X.map((_, i) => [NaN, null, undefined][i % 3]) }), argError(/task "amount" has no labels in the training data/));
  await assert.rejects(m.fit(X, { ...LABELS, kind: LABELS.kind.slice(1) }), shapeError(/task "kind": expected 24 label values \(24 rows\), got 23/));
  await assert.rejects(m.fit(X, 'labels'), argError(/fit: labels must be an object/));
  assert.equal(m.steps, 0, 'nothing trained');
  assert.deepEqual(m.predict(X).amount.values, fresh, 'a refused call fitted no target standardization');
  m.dispose();
});

test('features: NaN, ±Infinity and values beyond float32 named by row and column; ragged rows; wrong widths', async () => {
  const m = model();
  const with_ = (r, c, v) => X.map((row, i) => (i === r ? row.map((e, j) => (j === c ? v : e)) : row));
  await assert.rejects(m.fit(with_(3, 1, NaN), LABELS), argError(/fit: x row 3, column 1 is NaN; expected a finite number/));
  await assert.rejects(m.fit(with_(0, 2, -Infinity), LABELS), argError(/fit: x row 0, column 2 is -Infinity/));
  await assert.rejects(m.fit(with_(5, 0, 1e39), LABELS), argError(/fit: x row 5, column 0 is 1e\+39.*float32/));
  await assert.rejects(m.fit(Float64Array.from(with_(6, 2, -1e39).flat()), LABELS), argError(/fit: x row 6, column 2 is -1e\+39.*float32/));
  await assert.rejects(m.fit(Float32Array.from(with_(2, 2, NaN).flat()), LABELS), argError(/fit: x row 2, column 2 is NaN/));
  await assert.rejects(m.fit(X.map((r, i) => (i === 4 ? r.slice(0, 2) : r)), LABELS), shapeError(/fit: x row 4 has 2 values, expected 3/));
  await assert.rejects(m.fit(new Float32Array(10), LABELS), shapeError(/a flat x must hold rows × 3 values, got 10/));
  assert.throws(() => m.predict([[1, 2]]), shapeError(/predict: x row 0 has 2 values, expected 3/));
  assert.throws(() => m.predict([[1, NaN, 2]]), argError(/predict: x row 0, column 1 is NaN/));
  assert.throws(() => m.predict([{ a: 1 }]), argError(/predict: this model was built from arrays/));
  assert.throws(() => m.evaluate(with_(1, 1, NaN), LABELS), argError(/evaluate: x row 1, column 1 is NaN/));
  assert.equal(m.steps, 0);
  m.dispose();
});

test('Dataset inputs: unknown target for a task, task kind ≠ column kind, unseen category and text at predict', () => {
  const data = Dataset.fromCSV(PENGUINS, {
    features: { bill_length_mm: 'numeric', island: 'categorical' }, targets: { species: 'multiclass', sex: 'binary' },
  });
  assert.throws(() => new MultiTaskModel({ input: data, architecture: ARCH, tasks: [tasks.regression('body_mass_g')] }),
    argError(/task "body_mass_g" is not a target of the dataset \(targets: species, sex\)/));
  assert.throws(() => new MultiTaskModel({ input: data, architecture: ARCH, tasks: [tasks.binary('species')] }),
    argError(/task "species" is declared binary, but the dataset's column is multiclass/));
  const m = new MultiTaskModel({ input: data, architecture: ARCH, tasks: [tasks.multiclass('species'), tasks.binary('sex')] });
  assert.throws(() => m.predict([{ bill_length_mm: 40, island: 'Dream' }, { bill_length_mm: 41, island: 'Atlantis' }]), (err) => {
    typedError(UnknownCategoryError, 'E_ARGUMENT', [/column "island"/, /rows\[1\]/, /unknown category "Atlantis"/])(err);
    return err instanceof DataError;
  });
  assert.throws(() => m.predict([{ bill_length_mm: 'forty', island: 'Dream' }]), typedError(DataError, 'E_ARGUMENT', [/column "bill_length_mm", rows\[0\]: expected a number, got "forty"/]));
  assert.throws(() => m.predict([{ island: 'Dream' }]), typedError(DataError, 'E_ARGUMENT', [/rows\[0\] has no key "bill_length_mm"/]));
  m.dispose();
});

test('bad fit options: unknown names, batchSize 0, validationSplit out of range, conflicting validation, bad callbacks, monitors, weights, freeze', async () => {
  const m = model();
  const bad = [
    [{ epoch: 3 }, argError(/fit: unknown option "epoch" \(known: epochs, batchSize/)],
    [{ batchSize: 0 }, shapeError(/fit: batchSize must be a positive integer, got 0/)],
    [{ epochs: 1.5 }, shapeError(/fit: epochs must be an integer ≥ 0, got 1.5/)],
    [{ epochs: -1 }, shapeError(/fit: epochs must be an integer ≥ 0, got -1/)],
    [{ validationSplit: 1.5 }, argError(/fit: validationSplit must be a number between 0 and 1, got 1.5/)],
    [{ validationSplit: -0.1 }, argError(/validationSplit must be a number between 0 and 1, got -0.1/)],
    [{ validationSplit: 0.01 }, argError(/validationSplit 0.01 of 24 rows leaves no rows on one side/)],
    [{ validationSplit: 0.5, validationData: { x: X, labels: LABELS } }, argError(/give validationData or validationSplit, not both/)],
    [{ shuffle: 'yes' }, argError(/shuffle must be true or false/)],
    [{ seed: -1 }, argError(/seed must be an integer/)],
    [{ callbacks: { onEpochEnd: 3 } }, argError(/callbacks.onEpochEnd must be a function, got 3/)],
    [{ callbacks: { onEpochFinish() {} } }, argError(/fit callbacks: unknown option "onEpochFinish"/)],
    [{ earlyStopping: { monitor: 'val_kind_accuracy' } }, argError(/monitors "val_kind_accuracy" but there is no validation data/)],
    [{ earlyStopping: { monitor: 'kind_acc' } }, argError(/earlyStopping.monitor "kind_acc" is not something fit logs/)],
    [{ validationSplit: 0.25, earlyStopping: { monitor: 'val_amount_accuracy' } }, argError(/earlyStopping.monitor "val_amount_accuracy" is not something fit logs/)],
    [{ validationSplit: 0.25, earlyStopping: { monitor: 'val_color_loss' } }, argError(/earlyStopping.monitor "val_color_loss" is not something fit logs/)],
    [{ earlyStopping: { patience: -1 } }, argError(/patience must be an integer ≥ 0/)],
    [{ earlyStopping: { mode: 'up' } }, argError(/mode must be 'auto', 'min' or 'max'/)],
    [{ learningRate: { type: 'cosin' } }, argError(/unknown schedule type "cosin"/)],
    [{ learningRate: NaN }, argError(/learningRate/)],
    [{ sampleWeights: X.map((_, i) => (i === 3 ? -1 : 1)) }, argError(/sampleWeights: row 3 has weight -1/)],
    [{ sampleWeights: [1, 2] }, argError(/sampleWeights: expected 24 weights \(one per row\), got 2/)],
    // As scikit-learn ("Sample weights must contain at least one non-zero number"): it trained nothing and logged a loss of 0.
    [{ sampleWeights: X.map(() => 0) }, argError(/^fit: sampleWeights has no positive weight; at least one row must weigh more than 0$/)],
    [{ sampleWeights: X.map((_, i) => (i < 18 ? 0 : 1)), validationSplit: 0.25 }, argError(/^fit: sampleWeights has no positive weight for the training rows \(validationSplit\)/)],
    [{ freeze: 'shared' }, argError(/freeze must be an array/)],
    [{ freeze: ['shared', 'trunk'] }, argError(/no parameter name starts with "trunk"/)],
  ];
  for (const [options, check] of bad) await assert.rejects(m.fit(X, LABELS, options), check, JSON.stringify(options));
  assert.equal(m.steps, 0, 'no bad call trained');
  assert.ok(m.parameters.list().every((p) => !m.parameters.isFrozen(p.name)), 'a refused freeze leaves nothing frozen');
  // Valid monitors are accepted.
  for (const monitor of ['loss', 'kind_loss', 'flag_weight']) await m.fit(X, LABELS, { epochs: 1, earlyStopping: { monitor } });
  for (const monitor of ['val_loss', 'val_kind_accuracy', 'val_flag_auc', 'val_amount_r2', 'val_amount_rmse', 'val_kind_f1', 'val_flag_logLoss']) {
    await m.fit(X, LABELS, { epochs: 1, validationSplit: 0.25, earlyStopping: { monitor } });
  }
  m.dispose();
});

test('bad model specs: architecture, weighting, task options, duplicate names, cyclic or unknown inputsFrom, losses, relatedness', () => {
  const specs = [tasks.multiclass('kind'), tasks.regression('amount')];
  const make = (o) => () => new MultiTaskModel({ input: { features: 3, classes: { kind: 3 } }, architecture: ARCH, tasks: specs, ...o });
  const bad = [
    [{ architecture: { type: 'moe' } }, argError(/unknown architecture type "moe" \(known: sharedBottom, mmoe, omoe, cgc, ple, crossStitch, dselectK, ltb, conv1d, transformer\)/)],
    [{ architecture: { type: 'mmoe', experts: 2, towerUnits: [] } }, argError(/"mmoe": missing option "expertUnits"/)],
    [{ architecture: { type: 'sharedBottom', units: [0], towerUnits: [] } }, shapeError(/units\[0\] must be a positive integer, got 0/)],
    [{ weighting: { type: 'nash' } }, argError(/unknown weighting type "nash"/)],
    [{ weighting: { type: 'dwa', temperature: -1 } }, argError(/createWeighting\(dwa\): temperature must be a finite number > 0, got -1/)],
    [{ weighting: { type: 'fixed', weights: { kind: 1, colour: 2 } } }, argError(/weights names an unknown task "colour" \(tasks: kind, amount\)/)],
    [{ weighting: { type: 'fixed', weights: [1, 2, 3] } }, argError(/weights has 3 entries but there are 2 tasks/)],
    [{ epochs: 3 }, argError(/MultiTaskModel: unknown option "epochs"/)],
    [{ tasks: [] }, argError(/tasks must be a non-empty array/)],
    [{ tasks: [tasks.binary('a'), tasks.regression('a')] }, argError(/two tasks are named "a"/)],
    [{ tasks: [tasks.binary('a', { inputsFrom: ['c'] }), tasks.binary('b', { inputsFrom: ['a'] }), tasks.binary('c', { inputsFrom: ['b'] })] }, argError(/the inputsFrom of task "a" form a cycle: a → c → b → a/)],
    [{ tasks: [tasks.binary('a', { inputsFrom: ['z'] })] }, argError(/task "a" reads from "z", which is not a task \(tasks: a\)/)],
    [{ tasks: [tasks.multiclass('m')] }, argError(/task "m": with array inputs a multiclass task needs its class count/)],
    [{ tasks: [{ name: 'a', kind: 'binary', loss: { type: 'softmaxCrossEntropy' } }] }, argError(/task "a": the softmaxCrossEntropy loss does not fit a binary task/)],
    [{ tasks: [tasks.binary('a.b')] }, argError(/task names must be distinct non-empty strings without "\."/)],
    [{ tasks: [{ name: 'a', kind: 'ranking' }] }, argError(/task 0 is .*make tasks with tasks.binary/)],
    [{ relatedness: { pairs: [['kind', 'colour', 1]] } }, argError(/relatedness: unknown task in pair/)],
    [{ relatedness: { matrix: [[0, 1], [2, 0]] } }, argError(/relatedness: the matrix must be symmetric/)],
    [{ gradients: 'both' }, argError(/gradients must be 'representation' or 'parameters'/)],
    [{ affinity: { method: 'tag' } }, argError(/affinity: method must be 'gradientCosine'/)],
    [{ input: undefined }, argError(/options.input is required/)],
    [{ input: { features: 0 } }, argError(/features must be a positive count or a list of names, got 0/)],
  ];
  for (const [o, check] of bad) assert.throws(make(o), check, JSON.stringify(o));
  assert.throws(() => tasks.binary('a', { weigth: 2 }), argError(/tasks.binary\('a'\): unknown option "weigth"/));
  assert.throws(() => tasks.regression('a', { weight: -1 }), argError(/weight must be ≥ 0/));
  assert.throws(() => tasks.multiclass('a', { classes: 1 }), argError(/at least 2 classes/));
  assert.throws(() => tasks.binary('a', { inputsFrom: ['a'] }), argError(/cannot read its own prediction/));
  assert.throws(() => tasks.regression('a', { classWeights: [1, 2] }), argError(/classWeights do not apply to a regression task/));
  assert.throws(() => tasks.binary('a', { loss: { type: 'softmaxCrossEntropy' } }), argError(/tasks\.binary\('a'\): the softmaxCrossEntropy loss does not fit a binary task/));
});

// The losses each kind trains with (README, "Tasks"); any other is refused where the task is made.
const KIND_LOSSES = {
  binary: ['bce', 'focal', 'softDice', 'softCrossEntropy'],
  multiclass: ['softmaxCrossEntropy', 'multiclassFocal', 'softCrossEntropy'],
  multilabel: ['bce', 'focal', 'softDice', 'softCrossEntropy'],
  regression: ['mse', 'huber'],
  reconstruction: ['mse', 'huber'],
  clustering: ['softmaxCrossEntropy', 'multiclassFocal'],
};
const LOSSES = {
  bce: { type: 'bce' }, softmaxCrossEntropy: { type: 'softmaxCrossEntropy' }, softCrossEntropy: { type: 'softCrossEntropy' },
  focal: { type: 'focal' }, multiclassFocal: { type: 'multiclassFocal' }, softDice: { type: 'softDice' }, mse: { type: 'mse' },
  huber: { type: 'huber' }, gaussianNll: { type: 'gaussianNll' }, poissonNll: { type: 'poissonNll' }, pinball: { type: 'pinball', quantiles: [0.5] },
};

test('a loss that does not fit the task\'s kind is refused, by tasks.* and in a spec written by hand, naming the task, kind and loss and the losses it takes', () => {
  const extra = (kind) => (kind === 'clustering' ? { clusters: 3 } : {});
  const input = (kind) => ({ features: 3, ...(kind === 'multiclass' || kind === 'multilabel' ? { classes: { t: 3 } } : {}) });
  for (const [kind, allowed] of Object.entries(KIND_LOSSES)) {
    for (const [type, loss] of Object.entries(LOSSES)) {
      const label = `${kind} + ${type}`;
      if (allowed.includes(type)) {
        // Taken, and a model builds and trains with it.
        const spec = tasks[kind]('t', { loss, ...extra(kind) });
        assert.deepEqual(spec.loss, loss, label);
        const m = new MultiTaskModel({ input: input(kind), architecture: ARCH, seed: 1, tasks: kind === 'reconstruction' || kind === 'clustering' ? [spec, tasks.binary('flag')] : [spec] });
        m.dispose();
        continue;
      }
      const message = new RegExp(`the ${type} loss does not fit a ${kind} task; a ${kind} task takes ${allowed.join(', ')}$`);
      assert.throws(() => tasks[kind]('t', { loss, ...extra(kind) }), argError([new RegExp(`^tasks\\.${kind}\\('t'\\): `), message]), label);
      assert.throws(() => new MultiTaskModel({ input: input(kind), architecture: ARCH, tasks: [{ name: 't', kind, loss, ...extra(kind) }] }),
        argError([/^MultiTaskModel: task "t": /, message]), label);
    }
  }
  // A distribution task trains on its own loss only.
  for (const kind of ['gaussian', 'poisson', 'quantile']) {
    for (const loss of Object.values(LOSSES)) {
      assert.throws(() => new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, tasks: [{ name: 'd', kind, loss }] }),
        argError(new RegExp(`task "d": a ${kind} task trains on its own loss .*; loss does not apply`)), `${kind} + ${loss.type}`);
    }
  }
  // softCrossEntropy reads the outputs of the kind.
  assert.throws(() => tasks.binary('b', { loss: { type: 'softCrossEntropy', output: 'softmax' } }), argError(/the softCrossEntropy loss with softmax outputs does not fit a binary task/));
  assert.throws(() => new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, tasks: [{ name: 'b', kind: 'multilabel', classes: 2, loss: { type: 'softCrossEntropy', output: 'softmax' } }] }),
    argError(/task "b": the softCrossEntropy loss with softmax outputs does not fit a multilabel task/));
  tasks.multiclass('c', { loss: { type: 'softCrossEntropy', output: 'softmax' } });
  // A loss without class weights refuses them here, not when fit starts.
  assert.throws(() => tasks.multilabel('m', { loss: { type: 'softDice' }, classWeights: [1, 2] }), argError(/tasks\.multilabel\('m'\): the softDice loss takes no classWeights/));
});

test('a task spec written by hand is checked as tasks.* checks it; a spec from tasks.* is a frozen copy, so changing its options afterwards changes no model', async () => {
  const build = (spec, options = {}) => new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, seed: 1, tasks: [spec], ...options });
  const bad = [
    [{ classWeights: [1, -5] }, argError(/MultiTaskModel: task "a": classWeights must be 'balanced' or an array of finite weights ≥ 0 \(within the float32 range\), got classWeights\[1\] = -5/)],
    [{ classWeights: [1, 1e39] }, argError(/classWeights\[1\] = 1e\+39/)],
    [{ classWeights: [0, 0] }, argError(/MultiTaskModel: task "a": classWeights must not all be 0/)],
    [{ classWeights: [] }, argError(/classWeights must be 'balanced' or an array/)],
    [{ headUnits: [0] }, shapeError(/MultiTaskModel: task "a": headUnits\[0\] must be a positive integer, got 0/)],
    [{ headUnits: [2.5] }, shapeError(/headUnits\[0\] must be a positive integer, got 2.5/)],
    [{ typo: 1 }, argError(/MultiTaskModel: task "a": unknown option "typo"/)],
    [{ classes: 7 }, argError(/MultiTaskModel: task "a": classes applies to multiclass and multilabel tasks only/)],
    [{ clusters: 3 }, argError(/clusters applies to clustering tasks only/)],
    [{ weight: -3 }, argError(/MultiTaskModel: task "a": weight must be ≥ 0, got -3/)],
    [{ headActivation: 'swishy' }, argError(/MultiTaskModel: task "a": headActivation/)],
    [{ backpropToInputs: 'yes' }, argError(/backpropToInputs must be true or false/)],
  ];
  for (const [extra, check] of bad) assert.throws(() => build({ name: 'a', kind: 'binary', ...extra }), check, JSON.stringify(extra));
  assert.throws(() => tasks.binary('a', { classWeights: [0, 0] }), argError(/tasks\.binary\('a'\): classWeights must not all be 0/));
  // A quantile task written by hand gets the default levels, as tasks.quantile gives them.
  const q = build({ name: 'q', kind: 'quantile' });
  assert.deepEqual(q.tasks[0].quantiles, [0.05, 0.5, 0.95]);
  q.dispose();
  // addTask checks the same.
  const grown = build(tasks.binary('a'));
  assert.throws(() => grown.addTask({ name: 'b', kind: 'binary', classWeights: [1, -5] }), argError(/addTask: task "b": classWeights must be/));
  grown.dispose();

  // tasks.* copies and freezes: the arrays given stay the caller's.
  const cw = [1, 2], head = [4];
  const spec = tasks.binary('a', { classWeights: cw, headUnits: head, loss: { type: 'focal', gamma: 1 } });
  assert.notEqual(spec.classWeights, cw);
  assert.ok(Object.isFrozen(spec) && Object.isFrozen(spec.classWeights) && Object.isFrozen(spec.headUnits) && Object.isFrozen(spec.loss));
  cw[1] = -5; head[0] = 1;
  const x = X.slice(0, 16), a = { a: x.map((r) => (r[0] > 0 ? 1 : 0)) };
  const changed = build(spec), fresh = build(tasks.binary('a', { classWeights: [1, 2], headUnits: [4], loss: { type: 'focal', gamma: 1 } }));
  try {
    await changed.fit(x, a, { epochs: 2, batchSize: 8 });
    await fresh.fit(x, a, { epochs: 2, batchSize: 8 });
    assert.deepEqual(weightsSnapshot(changed), weightsSnapshot(fresh), 'trained with the weights and head given when the task was made');
    assert.ok(Object.isFrozen(changed.tasks[0]), 'model.tasks cannot be changed under the model');
  } finally {
    changed.dispose();
    fresh.dispose();
  }
});

test('class counts: a task\'s classes and input.classes, a Dataset or addTask\'s classes must agree; input.classes names multiclass or multilabel tasks only', () => {
  const arrays = (classes, spec) => new MultiTaskModel({ input: { features: 2, classes }, architecture: ARCH, tasks: [spec] });
  assert.throws(() => arrays({ y: 3 }, tasks.multiclass('y', { classes: 4 })),
    argError(/task "y" declares 4 classes \(its classes option\), but input\.classes gives 3; give them in one place/));
  assert.throws(() => arrays({ y: ['p', 'q', 'r'] }, tasks.multilabel('y', { classes: 2 })), argError(/task "y" declares 2 labels \(its classes option\), but input\.classes gives 3/));
  for (const [classes, width, names] of [[{ y: 3 }, 3, null], [{ y: ['p', 'q', 'r'] }, 3, ['p', 'q', 'r']], [{}, 3, null]]) {
    const m = arrays(classes, tasks.multiclass('y', { classes: 3 }));
    assert.equal(m.predict([[0, 0]]).y.probabilities[0].length, width);
    assert.deepEqual(m.classNames('y'), names);
    m.dispose();
  }
  assert.throws(() => arrays({ y: 3, ypsilon: 9 }, tasks.multiclass('y')), argError(/MultiTaskModel input\.classes: "ypsilon" is not a task \(tasks: y\)/));
  assert.throws(() => arrays({ y: ['no', 'yes'] }, tasks.binary('y')), argError(/MultiTaskModel input\.classes: task "y" is binary; classes apply to multiclass and multilabel tasks/));
  arrays({ y: undefined }, tasks.binary('y')).dispose();

  const d = Dataset.fromColumns({ a: [1, 2, 3, 4], y: ['p', 'q', 'r', 'p'] }, { features: { a: 'numeric' }, targets: { y: 'multiclass' } });
  assert.throws(() => new MultiTaskModel({ input: d, architecture: ARCH, tasks: [tasks.multiclass('y', { classes: 5 })] }),
    argError(/task "y" declares 5 classes \(its classes option\), but the Dataset's column has 3 \("p", "q", "r"\): name them all in the Dataset's spec \(targets: \{ "y": \{ type: 'multiclass', classes: \[…\] \} \}\)/));
  const five = Dataset.fromColumns({ a: [1, 2, 3, 4], y: ['p', 'q', 'r', 'p'] }, { features: { a: 'numeric' }, targets: { y: { type: 'multiclass', classes: ['p', 'q', 'r', 's', 't'] } } });
  for (const [data, width] of [[d, 3], [five, 5]]) {
    const m = new MultiTaskModel({ input: data, architecture: ARCH, tasks: [tasks.multiclass('y', { classes: width })] });
    assert.equal(m.predict([{ a: 1 }]).y.probabilities[0].length, width);
    m.dispose();
  }

  const m = arrays({}, tasks.binary('b'));
  try {
    assert.throws(() => m.addTask(tasks.multiclass('z', { classes: 4 }), { classes: 3 }), argError(/task "z" declares 4 classes \(its classes option\), but addTask's classes option gives 3/));
    assert.throws(() => m.addTask(tasks.binary('z'), { classes: 2 }), argError(/addTask: classes apply to a multiclass or multilabel task added without data; task "z" is binary/));
    m.addTask(tasks.multiclass('z', { classes: 4 }));
    assert.equal(m.predict([[0, 0]]).z.probabilities[0].length, 4);
  } finally {
    m.dispose();
  }
});

test('class weights that do not fit the task are refused when fit starts', async () => {
  const m = new MultiTaskModel({ input: { features: 3, classes: { kind: 3 } }, architecture: ARCH, tasks: [tasks.multiclass('kind', { classWeights: [1, 2] })] });
  await assert.rejects(m.fit(X, { kind: LABELS.kind }), argError(/task "kind": classWeights needs 3 weights, got 2/));
  m.dispose();
});

test('task names that are Object.prototype keys work; more tasks than a model file holds are refused', async () => {
  const m = new MultiTaskModel({
    input: { features: 2 }, architecture: { type: 'sharedBottom', units: [3], towerUnits: [] },
    tasks: [tasks.binary('toString'), tasks.regression('valueOf'), tasks.multiclass('constructor', { classes: 3 })],
  });
  await m.fit([[1, 2], [3, 4], [5, 6]], { toString: [0, 1, 0], valueOf: [1, 2, 3], constructor: [0, 2, 1] }, { epochs: 1 });
  assert.deepEqual(Object.keys(m.predict([[1, 2]])).sort(), ['constructor', 'toString', 'valueOf']);
  m.dispose();
  assert.throws(() => new MultiTaskModel({
    input: { features: 2 }, architecture: { type: 'sharedBottom', units: [3], towerUnits: [] },
    tasks: Array.from({ length: 1025 }, (_, i) => tasks.binary(`t${i}`)),
  }), (e) => e instanceof ArgumentError && /1025 tasks; a model holds at most 1024/.test(e.message));
});
