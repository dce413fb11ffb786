// Task and column names that Object.prototype already has — "__proto__",
// "constructor", "toString", … — work like any other name (issue #12 point 4).
// On a plain object `o[name] = v` with "__proto__" sets the prototype and loses
// the value, and `o["constructor"]` reads a function the object never held:
// `tasks.binary('__proto__')` made fit throw "gradScale must be a finite number,
// got NaN", such a task vanished from predict/evaluate, and such a column from
// Dataset.spec (and from the CLI's features; tests/runtimes/cli-trust.test.js).
// manytask/infer's predictions: tests/unit/model-file.test.js (which checks that
// infer starts uninitialized; Bun runs every unit file in one process).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  init, Dataset, MultiTaskModel, Ensemble, tasks, loadModel, ArgumentError,
} from '../../dist/index.js';
import { expectError } from '../helpers/errors.js';

before(async () => { await init(); });

const NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'];
const ROWS = 24;
const ARCH = { type: 'sharedBottom', units: [6], towerUnits: [] };
const x = Array.from({ length: ROWS }, (_, i) => [Math.sin(i), Math.cos(3 * i), (i % 5) / 5]);
/** Labels per task name, as own keys (Object.fromEntries defines them; `{ __proto__: … }` would set the prototype). */
const LABELS = Object.fromEntries([
  ['__proto__', x.map((r) => (r[0] > 0 ? 1 : 0))],
  ['constructor', x.map((_, i) => i % 3)],
  ['toString', x.map((r) => r[1] + r[2])],
  ['valueOf', x.flatMap((r) => [r[0] > 0 ? 1 : 0, r[2] > 0.3 ? 1 : 0])],
  ['hasOwnProperty', x.map((r) => 2 * r[0] - r[1])],
]);
const SPECS = () => [
  tasks.binary('__proto__'), tasks.multiclass('constructor', { classes: 3 }), tasks.regression('toString'),
  tasks.multilabel('valueOf', { classes: 2 }), tasks.regression('hasOwnProperty'),
];
const WEIGHTS = Object.fromEntries(NAMES.map((n, i) => [n, i + 1]));

const ownKeys = (o) => Object.keys(o).filter((k) => Object.hasOwn(o, k));

test('tasks named like Object.prototype\'s properties: fit, the weights given by name, logs, predict, evaluate, save and load, Ensemble', async () => {
  const model = new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, tasks: SPECS(), seed: 4, weighting: { type: 'fixed', weights: WEIGHTS } });
  const reloaded = [];
  try {
    const history = await model.fit(x, LABELS, {
      epochs: 3, batchSize: 8, validationData: { x, labels: LABELS }, earlyStopping: { monitor: 'val___proto___loss', patience: 5 },
    });
    const last = history.epochs.at(-1);
    assert.deepEqual(ownKeys(last.tasks), NAMES);
    assert.deepEqual(ownKeys(last.weights), NAMES);
    NAMES.forEach((n, i) => assert.equal(last.weights[n], i + 1, `the fixed weight of task "${n}"`));
    for (const n of NAMES) assert.ok(history.get(`${n}_loss`).every(Number.isFinite), `${n}_loss is logged`);
    assert.ok(history.get('val___proto___loss').every(Number.isFinite), 'early stopping watches the task "__proto__"');
    assert.deepEqual(ownKeys(last.val.tasks), NAMES);

    const p = model.predict(x);
    assert.deepEqual(ownKeys(p), NAMES);
    assert.equal(p.__proto__.kind, 'binary'); // the own key shadows the accessor
    assert.equal(p.constructor.kind, 'multiclass');
    assert.equal(Object.getPrototypeOf(p), Object.prototype, 'an ordinary object');
    const e = model.evaluate(x, LABELS);
    assert.deepEqual(ownKeys(e.tasks), NAMES);
    for (const n of NAMES) assert.ok(Number.isFinite(e.tasks[n].loss), `evaluate: ${n}`);

    // A task without labels in the call is left out, whatever its name: the record
    // holds no key "constructor", and its Object.prototype.constructor is no label array.
    const some = Object.fromEntries(Object.entries(LABELS).filter(([n]) => n !== 'constructor'));
    assert.deepEqual(ownKeys(model.evaluate(x, some).tasks), NAMES.filter((n) => n !== 'constructor'));

    const bytes = model.save();
    reloaded.push(loadModel(bytes));
    for (const m of reloaded) {
      const q = m.predict(x);
      assert.deepEqual(ownKeys(q), NAMES);
      assert.deepEqual(q.__proto__.probabilities, p.__proto__.probabilities);
      assert.deepEqual(q.toString.values, p.toString.values);
    }
    const loaded = reloaded[0];
    assert.deepEqual(loaded.evaluate(x, LABELS), e, 'the loaded model keeps the fixed weights by name and evaluates alike');
    const ensemble = new Ensemble([model, loaded]).predict(x);
    assert.deepEqual(ownKeys(ensemble), NAMES);
    assert.deepEqual(ensemble.hasOwnProperty.values, p.hasOwnProperty.values);
  } finally {
    model.dispose();
    for (const m of reloaded) m.dispose();
  }
});

test('fixed weights by name: a task named "toString" without an entry is an error, not Object.prototype.toString as a weight', () => {
  expectError(() => new MultiTaskModel({
    input: { features: 3 }, architecture: ARCH, tasks: [tasks.regression('toString'), tasks.regression('y')], weighting: { type: 'fixed', weights: { y: 1 } },
  }), ArgumentError, 'E_ARGUMENT', /weights has no entry for task "toString"/);
});

test('columns named like Object.prototype\'s properties: Dataset.spec keeps them, a model reads them, predict takes them from row objects', () => {
  const csv = ['__proto__,constructor,toString,valueOf,y',
    ...Array.from({ length: 30 }, (_, i) => `${['a', 'b', 'c'][i % 3]},${i / 10},${(i * 7) % 11},${i % 2 ? 'yes' : 'no'},${(i * 3) % 5}`)].join('\n');
  const spec = {
    features: Object.fromEntries([['__proto__', 'categorical'], ['constructor', 'numeric'], ['toString', 'numeric']]),
    targets: Object.fromEntries([['valueOf', 'binary'], ['y', 'regression']]),
  };
  const data = Dataset.fromCSV(csv, spec);
  assert.deepEqual(data.featureNames, ['__proto__', 'constructor', 'toString']);
  assert.deepEqual(ownKeys(data.spec.features), ['__proto__', 'constructor', 'toString']);
  assert.deepEqual(data.spec.features.__proto__, { type: 'categorical', unknown: 'error', embed: false });
  assert.deepEqual(ownKeys(data.spec.targets), ['valueOf', 'y']);
  assert.deepEqual(Dataset.fromCSV(csv, data.spec).featureNames, data.featureNames, 'the resolved spec reads the file again');
  const model = new MultiTaskModel({ input: data, architecture: ARCH, tasks: [tasks.binary('valueOf'), tasks.regression('y')], seed: 1 });
  try {
    assert.deepEqual(model.featureNames, ['__proto__=a', '__proto__=b', '__proto__=c', 'constructor', 'toString']);
    assert.deepEqual(ownKeys(model.inputSpec()), ['__proto__', 'constructor', 'toString']);
    const rows = JSON.parse('[{"__proto__": "b", "constructor": 0.4, "toString": 6}, {"__proto__": "c", "constructor": 1.1, "toString": 0}]');
    const fromRows = model.predict(rows);
    assert.deepEqual(ownKeys(fromRows), ['valueOf', 'y']);
    assert.deepEqual(fromRows.valueOf.probabilities, model.predict(data.select([4, 11])).valueOf.probabilities, 'rows 4 and 11 hold those values');
  } finally {
    model.dispose();
  }
});
