// Distillation (issue #18 part 2): soft targets in a task's loss (softCrossEntropy:
// probabilities as labels, checked; at T = 1 on one-hot targets it trains exactly as
// softmaxCrossEntropy on the class indices), the teacher's tempered probabilities,
// and distill() end to end: a student trained on an ensemble's predictions for
// labelled and unlabelled rows, with teacher and student side by side.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { init, MultiTaskModel, tasks, Dataset, Ensemble, distill, ArgumentError, ShapeError } from '../../dist/index.js';
import { expectError } from '../helpers/errors.js';
import { softTargets } from '../../dist/internal.js';
import { assertClose } from '../helpers/reference.js';

const PENGUINS = readFileSync(new URL('../../examples/data/penguins.csv', import.meta.url), 'utf8');
const FEATURES = { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' };
const SPEC = { features: FEATURES, targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' } };
const ARCH = { type: 'sharedBottom', units: [8], towerUnits: [4] };
const TASKS = () => [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')];
let train, held, unlabeled, teacher;

before(async () => {
  await init();
  const data = Dataset.fromCSV(PENGUINS, SPEC);
  let rest;
  [train, rest] = data.split(0.5, { seed: 2, stratify: 'species' });
  [unlabeled, held] = rest.split(0.5, { seed: 3 });
  // The unlabelled rows as a Dataset with the features only.
  const columns = Object.keys(FEATURES);
  const lines = PENGUINS.trim().split('\n');
  const header = lines[0].split(',');
  const keep = columns.map((c) => header.indexOf(c));
  const text = [columns.join(','), ...Array.from(unlabeled.sourceRows, (r) => keep.map((k) => lines[r + 1].split(',')[k]).join(','))].join('\n');
  unlabeled = Dataset.fromCSV(text, { features: FEATURES });
  teacher = await Ensemble.train({ architecture: { type: 'sharedBottom', units: [16], towerUnits: [8] }, tasks: TASKS(), optimizer: { type: 'adam', learningRate: 0.02 } },
    train, { members: 3, seed: 1, fit: { epochs: 15, batchSize: 32 } });
});

test('softCrossEntropy at T = 1 on one-hot targets trains exactly as softmaxCrossEntropy on the class indices', async () => {
  const make = (loss) => new MultiTaskModel({ input: train, architecture: ARCH, tasks: [tasks.multiclass('species', loss ? { loss } : {})], seed: 4 });
  const hard = make(null), soft = make({ type: 'softCrossEntropy' });
  try {
    await hard.fit(train, { epochs: 3, batchSize: 16 });
    await soft.fit(train, { epochs: 3, batchSize: 16 }); // Dataset labels: class indices, stored one-hot
    assert.deepEqual(soft.predict(held).species.probabilities, hard.predict(held).species.probabilities);
    // Evaluated on class indices, the soft task reports the same metrics.
    const a = soft.evaluate(held).tasks.species, b = hard.evaluate(held).tasks.species;
    assert.equal(a.accuracy, b.accuracy);
    assert.equal(a.f1, b.f1);
    assertClose([a.loss], [b.loss], { atol: 1e-6, rtol: 1e-6, label: 'the same loss, computed by the other kernel' });
  } finally {
    hard.dispose();
    soft.dispose();
  }
});

test('soft labels: probabilities per class for multiclass, in [0, 1] for binary; checked, with typed errors', async () => {
  const m = new MultiTaskModel({
    input: { features: 2, classes: { c: 3 } }, architecture: ARCH, seed: 1,
    tasks: [tasks.multiclass('c', { loss: { type: 'softCrossEntropy', temperature: 2 } }), tasks.binary('b', { loss: { type: 'softCrossEntropy' } })],
  });
  try {
    const x = [[0, 1], [1, 0], [0.5, 0.5]];
    await m.fit(x, { c: [0.2, 0.3, 0.5, 1, 0, 0, NaN, NaN, NaN], b: [0.3, 1, 0] }, { epochs: 1 });
    await m.fit(x, { c: [0, 2, 1], b: [0, 1, 0.5] }, { epochs: 1 }); // indices, stored one-hot
    expectError(() => m.evaluate(x, { c: [0.2, 0.3, 0.6, 1, 0, 0, 0, 1, 0] }), ArgumentError, 'E_ARGUMENT', /task "c", row 0: its class probabilities sum to 1.1/);
    expectError(() => m.evaluate(x, { c: [-0.2, 0.7, 0.5, 1, 0, 0, 0, 1, 0] }), ArgumentError, 'E_ARGUMENT', /row 0: probability -0.2 of class 0 is not a number from 0 to 1/);
    expectError(() => m.evaluate(x, { c: [0, 1] }), ShapeError, 'E_SHAPE', /expected 3 class indices or 3 × 3 class probabilities, got 2/);
    expectError(() => m.evaluate(x, { b: [0, 1.5, 0] }), ArgumentError, 'E_ARGUMENT', /task "b", row 1: label 1.5 must be a probability from 0 to 1/);
  } finally {
    m.dispose();
  }
  // A hard-label task still takes only 0 and 1.
  const hard = new MultiTaskModel({ input: { features: 2 }, architecture: ARCH, tasks: [tasks.binary('b')] });
  expectError(() => hard.evaluate([[0, 1]], { b: [0.3] }), ArgumentError, 'E_ARGUMENT', /label 0.3 must be 0 or 1/);
  hard.dispose();
  expectError(() => new MultiTaskModel({ input: { features: 2 }, architecture: ARCH, tasks: [tasks.regression('r', { loss: { type: 'softCrossEntropy' } })] }),
    ArgumentError, 'E_ARGUMENT', /does not fit a regression task/);
  expectError(() => new MultiTaskModel({ input: { features: 2, classes: { c: 3 } }, architecture: ARCH, tasks: [tasks.multiclass('c', { loss: { type: 'softCrossEntropy', output: 'sigmoid' } })] }),
    ArgumentError, 'E_ARGUMENT', /with sigmoid outputs does not fit a multiclass task/);
});

test('evaluate scores soft binary and multilabel labels against the class each favours (> 0.5), as a multiclass task\'s; the loss is the soft one', async () => {
  // evaluate refused what fit accepted: "binaryAccuracy: labels[0] must be 0 or 1, got 0.3…", naming no task or row.
  const m = new MultiTaskModel({
    input: { features: 2, classes: { l: 2 } }, architecture: ARCH, seed: 1,
    tasks: [tasks.binary('b', { loss: { type: 'softCrossEntropy' } }), tasks.multilabel('l', { loss: { type: 'softCrossEntropy' } })],
  });
  try {
    const x = Array.from({ length: 12 }, (_, i) => [Math.sin(i), Math.cos(i)]);
    const soft = { b: x.map((_, i) => [0.3, 0.7, 0.5, 0.9][i % 4]), l: x.flatMap((_, i) => [[0.2, 0.8], [0.6, 0.5], [1, 0]][i % 3]) };
    const hard = { b: soft.b.map((v) => (v > 0.5 ? 1 : 0)), l: soft.l.map((v) => (v > 0.5 ? 1 : 0)) };
    await m.fit(x, soft, { epochs: 2 });
    const s = m.evaluate(x, soft), h = m.evaluate(x, hard);
    for (const k of ['accuracy', 'f1', 'auc', 'logLoss']) assert.equal(s.tasks.b[k], h.tasks.b[k], `b ${k}`);
    for (const k of ['accuracy', 'f1', 'logLoss']) assert.equal(s.tasks.l[k], h.tasks.l[k], `l ${k}`);
    assert.notEqual(s.tasks.b.loss, h.tasks.b.loss, 'the loss is that of the labels given');
  } finally {
    m.dispose();
  }
});

test('distill: a student learns the ensemble on labelled and unlabelled rows; teacher and student side by side', async () => {
  const spec = { architecture: ARCH, tasks: TASKS(), optimizer: { type: 'adam', learningRate: 0.02 }, seed: 9 };
  const r = await distill(teacher, spec, train, { temperature: 2, unlabeled, evaluate: held, fit: { epochs: 30, batchSize: 32 } });
  try {
    assert.ok(r.student instanceof MultiTaskModel);
    assert.equal(r.student.tasks.find((t) => t.name === 'species').loss.type, 'softCrossEntropy');
    assert.equal(r.history.epochs.length, 30);
    for (const side of [r.teacher, r.studentReport]) {
      assert.deepEqual(Object.keys(side.evaluation.tasks).sort(), ['body_mass_g', 'sex', 'species']);
      assert.ok(side.bytes > 0 && side.parameters > 0);
    }
    assert.equal(r.teacher.bytes, teacher.save().length);
    assert.ok(r.studentReport.bytes < r.teacher.bytes / 2, `student ${r.studentReport.bytes} B, teacher ${r.teacher.bytes} B`);
    assert.ok(r.studentReport.parameters < r.teacher.parameters);
    assert.deepEqual(r.studentReport.evaluation, r.student.evaluate(held));
    // The student follows its teacher: it agrees on most held-out species, and learns something real.
    const s = r.student.predict(held).species.classes, t = teacher.predict(held).species.classes;
    const agree = s.filter((c, i) => c === t[i]).length / s.length;
    assert.ok(agree > 0.85, `agreement ${agree}`);
    assert.ok(r.studentReport.evaluation.tasks.species.accuracy > 0.8, JSON.stringify(r.studentReport.evaluation.tasks.species));
    // The unlabelled rows are part of what it learns from.
    const without = await distill(teacher, spec, train, { temperature: 2, fit: { epochs: 30, batchSize: 32 } });
    assert.notDeepEqual(without.student.predict(held).sex.probabilities, r.student.predict(held).sex.probabilities);
    without.student.dispose();
  } finally {
    r.student.dispose();
  }
  // A single model can teach too.
  const one = await distill(teacher.models[0], { ...spec, tasks: [tasks.multiclass('species')] }, train, { fit: { epochs: 2 } });
  assert.equal(one.teacher.evaluation, null);
  one.student.dispose();
});

test('soft targets at a small temperature keep every row labeled: p^(1/T) normalized without underflowing to 0/0', () => {
  // T = 0.0005: 0.6^2000 and 0.4^2000 are both 0 in float64; their ratio is not.
  const binary = softTargets({ kind: 'binary', probabilities: Float32Array.of(0.6, 0.5, 0.4, 0, 1), classes: [] }, 0.0005);
  assert.deepEqual(Array.from(binary), [1, 0.5, 0, 0, 1]);
  const multiclass = softTargets({ kind: 'multiclass', probabilities: [[0.5, 0.3, 0.2], [0.2, 0.4, 0.4], [0, 1, 0]], classes: [] }, 0.001);
  // (0.3/0.5)^1000 = 1.4e-222: tiny, not 0.
  [1, 0, 0, 0, 0.5, 0.5, 0, 1, 0].forEach((want, i) => assert.ok(Math.abs(multiclass[i] - want) < 1e-200, `${i}: ${multiclass[i]}`));
  const multilabel = softTargets({ kind: 'multilabel', probabilities: [[0.7, 0.2]], labels: [] }, 0.0005);
  assert.deepEqual(multilabel, [1, 0]);
  // At T = 2 it is still p^(1/2) normalized, as before; at T = 1 the probabilities themselves.
  const [a] = softTargets({ kind: 'binary', probabilities: Float32Array.of(0.8), classes: [] }, 2);
  const p = Math.fround(0.8);
  assert.ok(Math.abs(a - Math.sqrt(p) / (Math.sqrt(p) + Math.sqrt(1 - p))) < 1e-12, `${a}`);
  assert.deepEqual(softTargets({ kind: 'multiclass', probabilities: [[0.25, 0.75]], classes: [] }, 1), [0.25, 0.75]);
});

test('distill: bad input gets typed errors', async () => {
  const spec = { architecture: ARCH, tasks: TASKS() };
  for (const temperature of [0, -1, NaN, '2']) {
    await assert.rejects(distill(teacher, spec, train, { temperature }), (e) => e instanceof ArgumentError && /temperature must be a finite number > 0/.test(e.message));
  }
  await assert.rejects(distill(teacher, { ...spec, tasks: [tasks.regression('flipper')] }, train), (e) => e instanceof ArgumentError && /"flipper" is not a task of the teacher/.test(e.message));
  await assert.rejects(distill(teacher, { ...spec, tasks: [tasks.binary('species')] }, train), (e) => e instanceof ArgumentError && /is binary in the student but multiclass in the teacher/.test(e.message));
  await assert.rejects(distill(teacher, { ...spec, tasks: [tasks.multiclass('species', { loss: { type: 'softmaxCrossEntropy' } })] }, train), (e) => e instanceof ArgumentError && /gives its own loss/.test(e.message));
  await assert.rejects(distill({}, spec, train), (e) => e instanceof ArgumentError && /teacher must be an Ensemble or a MultiTaskModel/.test(e.message));
  await assert.rejects(distill(teacher, spec, train, { unlabeled: [[1]] }), (e) => e instanceof ArgumentError && /unlabeled must be a Dataset/.test(e.message));
  const gaussian = new MultiTaskModel({ input: train, architecture: ARCH, tasks: [tasks.gaussian('body_mass_g')] });
  try {
    await assert.rejects(distill(gaussian, { architecture: ARCH, tasks: [tasks.gaussian('body_mass_g')] }, train),
      (e) => e instanceof ArgumentError && /"body_mass_g" is a gaussian task; distilling a predicted distribution is not supported/.test(e.message));
  } finally {
    gaussian.dispose();
  }
});
