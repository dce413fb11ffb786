// Reptile (MultiTaskModel.metaLearn, src/model/reptile.ts): one meta-iteration is
// exactly φ + ε(θ − φ) for θ the inner training it describes (replayed on a copy
// of the model); the same seed gives the same weights; the weights then serve
// addTask; bad options and tasks are typed errors.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, Dataset, MultiTaskModel, tasks, loadModel, ArgumentError } from '../../dist/index.js';
import { expectError } from '../helpers/errors.js';

before(async () => { await init(); });

/** 40 rows, three features; task a labelled on row 3 only, b on every row, c (multiclass) on even rows. */
function data() {
  const n = 40, f = (k) => Float64Array.from({ length: n }, (_, i) => Math.sin(i * (k + 1) * 0.7));
  return Dataset.fromColumns({
    x0: f(0), x1: f(1), x2: f(2),
    a: Float64Array.from({ length: n }, (_, i) => (i === 3 ? 2.5 : NaN)),
    b: Float64Array.from({ length: n }, (_, i) => Math.cos(i * 0.3)),
    c: Array.from({ length: n }, (_, i) => (i % 2 ? null : ['u', 'v', 'w'][i % 3])),
  }, { features: { x0: 'numeric', x1: 'numeric', x2: 'numeric' }, targets: { a: 'regression', b: 'regression', c: 'multiclass' } });
}

const make = (d, seed = 2) => new MultiTaskModel({
  input: d, seed, architecture: { type: 'sharedBottom', units: [6], towerUnits: [3] },
  tasks: [tasks.regression('a'), tasks.regression('b'), tasks.multiclass('c')], optimizer: { type: 'adam', learningRate: 0.01 },
});
const weights = (m) => Float32Array.from(m.parameters.names().flatMap((n) => Array.from(m.parameters.get(n))));

test('one meta-iteration is φ + ε(θ − φ), θ the inner training on the task\'s rows alone', async () => {
  const d = data(), model = make(d);
  const phi = weights(model);
  // Replay the inner loop on a copy: task a has one labelled row, so every drawn row is row 3.
  const copy = loadModel(model.save());
  const row = Object.fromEntries(d.featureNames.map((f) => [f, d.column(f)[3]]));
  const innerSteps = 3, batchSize = 4, take = innerSteps * batchSize;
  await copy.fit(Array.from({ length: take }, () => row), { a: new Array(take).fill(2.5) },
    { epochs: 1, batchSize, shuffle: false, earlyStopping: false, unlabeledTasks: 'skip' });
  const theta = weights(copy);
  assert.ok(theta.some((v, i) => v !== phi[i]), 'the inner training moved the weights');
  const summary = await model.metaLearn(d, { tasks: ['a'], iterations: 1, innerSteps, batchSize, metaStepSize: 0.5, seed: 9 });
  assert.deepEqual(summary, { iterations: 1, tasks: ['a'], steps: 3 });
  const expected = phi.map((p, i) => Math.fround(p + 0.5 * (theta[i] - p)));
  assert.deepEqual(weights(model), expected);
  model.dispose(); copy.dispose();
});

test('the same seed gives the same weights; the result serves addTask', async () => {
  const d = data();
  const [m1, m2] = [make(d), make(d)];
  for (const m of [m1, m2]) await m.metaLearn(d, { iterations: 6, innerSteps: 2, batchSize: 5, seed: 4 });
  assert.deepEqual(weights(m1), weights(m2));
  const before = weights(m1);
  const m3 = make(d);
  await m3.metaLearn(d, { iterations: 6, innerSteps: 2, batchSize: 5, seed: 5 });
  assert.notDeepEqual(weights(m3), before, 'another seed draws other rows');
  m1.addTask(tasks.regression('z'), { freezeShared: false });
  const rows = Array.from({ length: 8 }, (_, i) => ({ x0: i / 8, x1: 0, x2: 1 })), z = Array.from({ length: 8 }, (_, i) => i);
  await m1.fit(rows, { z }, { epochs: 2, batchSize: 4, unlabeledTasks: 'skip' });
  assert.ok(Number.isFinite(m1.evaluate(rows, { z }).tasks.z.mae));
  for (const m of [m1, m2, m3]) m.dispose();
});

test('bad options and tasks are typed errors naming them', async () => {
  const d = data(), model = make(d);
  const bad = (options, re) => assert.rejects(() => model.metaLearn(d, options), (e) => e instanceof ArgumentError && re.test(e.message));
  await bad({ tasks: ['nope'] }, /"nope" is not a supervised task of the model with labels in the data \(tasks: a, b, c\)/);
  await bad({ tasks: [] }, /tasks must be a non-empty array/);
  // A task named twice was sampled twice as often, without a word.
  await bad({ tasks: ['a', 'b', 'a'] }, /^metaLearn: tasks names "a" twice/);
  await bad({ iterations: 0 }, /iterations must be an integer ≥ 1, got 0/);
  await bad({ metaStepSize: 1.5 }, /metaStepSize must be a number in \(0, 1\]/);
  await bad({ innerLearningRate: -1 }, /innerLearningRate must be a number > 0/);
  await bad({ innerLearningRate: 1e39 }, /metaLearn: innerLearningRate must be a number > 0 within float32/);
  // The rows of one meta-iteration beyond WebAssembly's 4 GiB: refused before anything is allocated.
  await bad({ batchSize: 2 ** 31, innerSteps: 2 }, /metaLearn: innerSteps × batchSize = 4294967296 rows of \d+ features per meta-iteration \(\S+ GiB\) exceed the 4 GiB/);
  await bad({ batchSize: 1e9, innerSteps: 1000 }, /exceed the 4 GiB of WebAssembly memory; lower innerSteps or batchSize/);
  await bad({ inner: 3 }, /unknown option "inner"/);
  await assert.rejects(() => model.metaLearn([[1, 2, 3]]), (e) => e instanceof ArgumentError && /data must be a Dataset/.test(e.message));
  // A model whose tasks are all unsupervised: it spoke of a tasks option the user never gave.
  const clusters = new MultiTaskModel({ input: d, architecture: { type: 'sharedBottom', units: [4], towerUnits: [] }, tasks: [tasks.clustering('g', { clusters: 2 })] });
  await assert.rejects(() => clusters.metaLearn(d), (e) => e instanceof ArgumentError && /^metaLearn: the model has no supervised task with labels in the data/.test(e.message));
  clusters.dispose();
  // Rows without a's only label.
  await assert.rejects(() => model.metaLearn(d.select([0, 1, 2]), { tasks: ['a'] }), (e) => e instanceof ArgumentError && /task "a" has no labelled row/.test(e.message));
  model.dispose();
});
