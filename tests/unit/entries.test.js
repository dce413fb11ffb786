// `manytask` and `manytask/infer` share one runtime and one set of error
// classes (issue 17 item 5): one init() serves both, an error from either entry
// is an instance of the other's classes, and the full library refuses to run on
// the inference-only infer.wasm with a typed error, whichever order things happen in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as mt from '../../dist/index.js';
import * as infer from '../../dist/infer.js';
import { resetRuntime } from '../../dist/internal.js';
import { expectError } from '../helpers/errors.js';

const inferWasm = new URL('../../dist/infer.wasm', import.meta.url);

// Tests in this file run in order and share the module state on purpose; the last one leaves manytask initialized.
test('one set of error classes: every class manytask/infer exports is manytask\'s', () => {
  const shared = Object.keys(infer).filter((name) => /Error$/.test(name));
  assert.ok(shared.length >= 10, `manytask/infer exports ${shared.join(', ')}`);
  for (const name of shared) assert.equal(infer[name], mt[name], `${name} differs between the entries`);
});

test('every class an entry exports carries its own name (console.log, stack traces, an error\'s name)', () => {
  // Aliases that name the same class twice: its own name is the other export's.
  const aliases = { Activation: 'ActivationLayer' };
  for (const entry of [mt, infer]) {
    for (const [name, value] of Object.entries(entry)) {
      if (typeof value !== 'function' || !/^[A-Z]/.test(name)) continue;
      assert.equal(value.name, aliases[name] ?? name, `${name}.name`);
    }
  }
  const err = new mt.TrainingDivergedError('y', 3, 'the loss');
  assert.equal(err.name, 'TrainingDivergedError');
  assert.equal(err.withConsequence('kept').name, 'TrainingDivergedError');
  assert.match(String(err.stack), /^TrainingDivergedError: /);
});

test('before any init, both entries throw the same NotInitializedError', () => {
  resetRuntime();
  assert.equal(infer.isInitialized(), false);
  assert.equal(mt.isInitialized(), false);
  expectError(() => infer.memory(), mt.NotInitializedError, 'E_NOT_INITIALIZED', /memory/);
  expectError(() => mt.Matrix.zeros(1, 1), infer.NotInitializedError, 'E_NOT_INITIALIZED', /Matrix/);
});

test('init() from manytask initializes manytask/infer too', async () => {
  resetRuntime();
  await mt.init();
  assert.equal(infer.isInitialized(), true);
  const before = infer.memory().bytesInUse;
  const m = mt.Matrix.from([[1, 2]]);
  assert.ok(infer.memory().bytesInUse > before, 'manytask/infer reports the memory manytask allocates: one runtime');
  m.dispose();
  await infer.init(); // harmless: the full module serves the inference entry
});

test('infer.wasm first: the full library throws typed errors, and its init() says what to do', async () => {
  resetRuntime();
  await infer.init(inferWasm);
  const x = mt.Matrix.from([[1, 2, 3]]);
  try {
    // gemm is in infer.wasm; sum is not.
    assert.deepEqual(mt.matmul(x, mt.Matrix.from([[1], [1], [1]])).toArray(), [[6]]);
    expectError(() => mt.sum(x), mt.NotInitializedError, 'E_NOT_INITIALIZED', /^sumF64: manytask is not initialized/); // its f64 kernel
  } finally {
    x.dispose();
  }
  const first = mt.init();
  assert.equal(mt.init(), first, 'init() again returns the first call\'s promise');
  await assert.rejects(first, (e) => e instanceof mt.InitError && /manytask\/infer's init\(\) loaded the inference-only infer\.wasm first; call init\(\) from 'manytask' before it/.test(e.message));
  assert.equal(infer.isInitialized(), true, 'manytask/infer keeps running on infer.wasm');
});

test('init(infer.wasm) from manytask fails and leaves it free to load manytask.wasm next', async () => {
  resetRuntime();
  await assert.rejects(mt.init(inferWasm), (e) => e instanceof mt.InitError && /the module passed to init\(\) is the inference-only infer\.wasm/.test(e.message));
  assert.equal(mt.isInitialized(), false);
  await mt.init();
  assert.equal(mt.sum(mt.Matrix.from([[1, 2, 3]])), 6);
});

test('predictionsToJSON: the JSON form of predictions, typed arrays as arrays of the same numbers; one function in both entries', async () => {
  assert.equal(infer.predictionsToJSON, mt.predictionsToJSON);
  const x = [[0, 1], [1, 0], [1, 1], [0, 0]];
  const model = new mt.MultiTaskModel({
    input: { features: 2, classes: { kind: 3 } }, architecture: { type: 'sharedBottom', units: [4], towerUnits: [] }, seed: 3,
    tasks: [mt.tasks.binary('flag'), mt.tasks.multiclass('kind'), mt.tasks.regression('size'), mt.tasks.reconstruction(), mt.tasks.clustering('group', { clusters: 2 })],
  });
  await model.fit(x, { flag: [0, 1, 1, 0], kind: [0, 1, 2, 0], size: [1, 2, 3, 4] }, { epochs: 2 });
  const predictions = model.predict(x);
  const json = JSON.parse(JSON.stringify(mt.predictionsToJSON(predictions)));
  model.dispose();
  assert.deepEqual(Object.keys(json), ['flag', 'kind', 'size', 'reconstruction', 'group']);
  for (const [task, p] of Object.entries(predictions)) {
    for (const [field, value] of Object.entries(p)) {
      const expected = ArrayBuffer.isView(value) ? Array.from(value) : value;
      assert.deepEqual(json[task][field], expected, `${task}.${field}`);
    }
  }
  assert.ok(Array.isArray(json.flag.probabilities) && Array.isArray(json.size.values) && Array.isArray(json.group.clusters));
});
