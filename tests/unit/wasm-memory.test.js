// Issue #12, point 6 (the part every runtime runs; collecting objects nobody
// disposed needs a forced collection: tests/runtimes/readme-leaks.test.js):
// memory() reports what holds WASM memory, Symbol.dispose disposes, and results
// a user does not expect to own hold none. (It initializes manytask/infer: Bun runs
// every unit file in one process, in name order, and model-file.test.js checks that
// infer starts uninitialized, so this file's name sorts after it.)
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as mt from '../../dist/index.js';
import * as infer from '../../dist/infer.js';
import { runtime } from '../../dist/internal.js';

const { init, memory, Matrix, matmul, Network, Dense, Rng, MultiTaskModel, AutoEncoder, KMeans, MiniBatchKMeans, GaussianMixture, tasks, createOptimizer } = mt;

before(async () => {
  await init();
  await infer.init();
});

const X = Array.from({ length: 24 }, (_, i) => [Math.sin(i), Math.cos(1.3 * i), (i % 5) / 5]);
const LABELS = { flag: X.map((r) => (r[0] > 0 ? 1 : 0)), amount: X.map((r) => 50 * r[1] + 10) };
const newModel = () => new MultiTaskModel({
  input: { features: 3 }, seed: 1, architecture: { type: 'sharedBottom', units: [8], towerUnits: [] },
  tasks: [tasks.binary('flag'), tasks.regression('amount')],
});

/** memory() minus a baseline, by kind (kinds at 0 left out). */
function since(base) {
  const now = memory();
  const byKind = {};
  for (const kind of new Set([...Object.keys(base.byKind), ...Object.keys(now.byKind)])) {
    const d = (now.byKind[kind] ?? 0) - (base.byKind[kind] ?? 0);
    if (d !== 0) byKind[kind] = d;
  }
  return { bytes: now.bytesInUse - base.bytesInUse, objects: now.objects - base.objects, byKind };
}

test('memory(): the allocator\'s bytes in use, the memory\'s size, and the live objects by kind', () => {
  const m = memory();
  assert.deepEqual(Object.keys(m), ['bytesInUse', 'memoryBytes', 'objects', 'byKind', 'releasesUnreachable']);
  const { allocator, memory: wasm } = runtime('test');
  assert.equal(m.bytesInUse, allocator.bytesInUse);
  assert.equal(m.memoryBytes, wasm.buffer.byteLength);
  assert.equal(m.objects, Object.values(m.byKind).reduce((a, b) => a + b, 0));
  assert.equal(m.releasesUnreachable, typeof FinalizationRegistry === 'function');
  assert.equal(m.releasesUnreachable, true, 'every runtime the suite runs in has FinalizationRegistry');

  const base = memory();
  const a = Matrix.from([[1, 2, 3], [4, 5, 6]]);
  const b = Matrix.zeros(3, 1);
  assert.deepEqual(since(base), { bytes: 32 + 16, objects: 2, byKind: { Matrix: 2 } }, 'blocks round up to 16 bytes');
  const c = matmul(a, b);
  assert.deepEqual(since(base).byKind, { Matrix: 3 });
  for (const x of [a, b, c]) x.dispose();
  assert.deepEqual(since(base), { bytes: 0, objects: 0, byKind: {} });
});

test('what each kind of object holds, and dispose() gives all of it back', async () => {
  const base = memory();
  const net = new Network([new Dense(4, { activation: 'relu' }), new Dense(2)], { inputSize: 3, seed: 1 });
  const opt = createOptimizer({ type: 'adam', learningRate: 1e-3 }).attach(net.parameters);
  const x = Matrix.from(X);
  const y = net.forward(x);
  assert.deepEqual(since(base).byKind, { Layer: 2, Matrix: 2, Network: 1, Optimizer: 1, Parameters: 1, Rng: 1 });
  for (const o of [y, x, opt, net]) o.dispose();
  assert.deepEqual(since(base), { bytes: 0, objects: 0, byKind: {} });

  const model = newModel();
  await model.fit(X, LABELS, { epochs: 1, batchSize: 8 });
  const held = since(base);
  assert.equal(held.byKind.MultiTaskModel, 1, 'the model\'s batch buffers');
  assert.equal(held.byKind.Parameters, 1, 'one parameter block');
  assert.equal(held.byKind.Optimizer, 1);
  assert.equal(held.byKind.Rng, 2, 'dropout and the weighting strategy');
  assert.equal(held.byKind.NetworkEngine, 1, `the network's activations and gradients: ${JSON.stringify(held.byKind)}`);
  assert.ok(held.bytes > 0);
  const loaded = infer.loadModel(model.save());
  // One runtime for both entries: manytask/infer's report counts the model trained above too.
  assert.deepEqual(infer.memory().byKind, memory().byKind, 'both entries report one runtime');
  assert.equal(infer.memory().byKind.InferenceModel, 1);
  model.dispose();
  loaded.dispose();
  assert.deepEqual(since(base), { bytes: 0, objects: 0, byKind: {} });
  assert.deepEqual([infer.memory().bytesInUse, infer.memory().objects], [0, 0]);

  const ae = new AutoEncoder({ inputSize: 3, encoderUnits: [2], seed: 1 });
  ae.fit(X, { epochs: 1 });
  assert.ok(since(base).objects > 0);
  ae.dispose();
  assert.deepEqual(since(base), { bytes: 0, objects: 0, byKind: {} });
});

test('Symbol.dispose disposes every object that holds WASM memory (what `using` calls)', async () => {
  assert.equal(typeof Symbol.dispose, 'symbol', 'the runtime has Symbol.dispose');
  const base = memory();
  const model = newModel();
  await model.fit(X, LABELS, { epochs: 1 });
  const objects = [
    Matrix.zeros(2, 2), new Rng(1), new Network([new Dense(2)], { inputSize: 2 }),
    createOptimizer({ type: 'sgd', learningRate: 0.1, momentum: 0.9 }).attach(new Network([new Dense(1)], { inputSize: 1 }).parameters),
    model, new AutoEncoder({ inputSize: 3, encoderUnits: [2] }), infer.loadModel(model.save()),
  ];
  for (const o of objects) {
    assert.equal(typeof o[Symbol.dispose], 'function', o.constructor.name);
    o[Symbol.dispose]();
    o[Symbol.dispose](); // twice is harmless, as dispose()
  }
  assert.ok(objects[0].isDisposed && objects[4].isDisposed && objects[6].isDisposed);
  assert.throws(() => objects[0].toArray(), mt.DisposedError);
  // The optimizer's network above was never disposed: its parameters and dropout state are
  // the rest (its layers allocate their buffers at the first forward).
  assert.deepEqual(since(base).byKind, { Parameters: 1, Rng: 1 });

  // Where the runtime parses `using`, a block disposes its objects when it ends.
  let usingSupported = true;
  try {
    new Function('{ using x = null; }');
  } catch {
    usingSupported = false;
  }
  if (usingSupported) {
    const before = memory().bytesInUse;
    new Function('Matrix', '{ using m = Matrix.zeros(4, 4); if (m.isDisposed) throw new Error("disposed early"); }')(Matrix);
    assert.equal(memory().bytesInUse, before, 'a `using` block disposed its Matrix');
  }
});

test('results a user does not expect to own are plain typed arrays: clustering holds no WASM memory', () => {
  const points = X.map((r) => [r[0], r[1]]);
  const km = new KMeans({ k: 3, seed: 1 }).fit(points);
  const mb = new MiniBatchKMeans({ k: 3, seed: 1, batchSize: 8 }).fit(points);
  const gmm = new GaussianMixture({ nComponents: 2, seed: 1 }).fit(points);
  const ae = new AutoEncoder({ inputSize: 2, encoderUnits: [1], seed: 1 });
  ae.fit(points, { epochs: 1 });
  const base = memory();
  const results = {
    'KMeans#transform': [km.transform(points), Float32Array, 3],
    'MiniBatchKMeans#transform': [mb.transform(points), Float32Array, 3],
    'GaussianMixture#predictProba': [gmm.predictProba(points), Float64Array, 2],
    'AutoEncoder#encode': [ae.encode(points), Float32Array, 1],
    'AutoEncoder#reconstruct': [ae.reconstruct(points), Float32Array, 2],
  };
  for (const [name, [r, type, cols]] of Object.entries(results)) {
    assert.ok(r.data instanceof type, `${name}: a ${type.name}`);
    assert.deepEqual([r.rows, r.cols, r.data.length], [24, cols, 24 * cols], name);
  }
  for (const scores of [km.anomalyScores(points), gmm.scoreSamples(points), gmm.anomalyScores(points), ae.anomalyScores(points), km.predict(points)]) {
    assert.ok(ArrayBuffer.isView(scores) && scores.length === 24);
  }
  assert.deepEqual(since(base), { bytes: 0, objects: 0, byKind: {} }, 'nothing stays in WASM memory');
  // A result is also valid points: feed the distances to another model.
  assert.equal(new KMeans({ k: 2, seed: 1 }).fit(results['KMeans#transform'][0]).labels.length, 24);
  // A Matrix when asked for one, holding memory until disposed.
  const m = gmm.predictProba(points, { as: 'matrix' });
  assert.ok(m instanceof Matrix && m.rows === 24 && m.cols === 2);
  assert.deepEqual(since(base).byKind, { Matrix: 1 });
  assert.deepEqual(Array.from(m.toFloat32Array()), Array.from(Float32Array.from(results['GaussianMixture#predictProba'][0].data)));
  m.dispose();
  ae.dispose();
});
