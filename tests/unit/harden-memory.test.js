// Issue #8, item 3 (the part every runtime runs; the 1,000-model loop with the JS
// heap is tests/runtimes/harden-memory.test.js): a request for more memory than the
// runtime allows is an OutOfMemoryError and the library keeps working; disposing
// twice is harmless and using anything disposed throws DisposedError; a model
// life-cycle loop leaves WASM memory flat.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  init, Matrix, matmul, Network, Dense, Rng, MultiTaskModel, AutoEncoder, KMeans, loadModel, tasks, createOptimizer,
  OutOfMemoryError, DisposedError, ManytaskError,
} from '../../dist/index.js';
import { runtime } from '../../dist/internal.js';

before(async () => { await init(); });

const rt = () => runtime('test');
const X = Array.from({ length: 32 }, (_, i) => [Math.sin(i), Math.cos(1.3 * i), (i % 5) / 5]);
const LABELS = { flag: X.map((r) => (r[0] > 0 ? 1 : 0)), amount: X.map((r) => 50 * r[1] + 10) };
const ARCH = { type: 'sharedBottom', units: [8], towerUnits: [] };
const newModel = (seed = 1) => new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, seed, tasks: [tasks.binary('flag'), tasks.regression('amount')] });

function oom(pattern) {
  return (err) => {
    assert.ok(err instanceof OutOfMemoryError, `expected OutOfMemoryError, got ${err?.constructor?.name}: ${err?.message}`);
    assert.ok(err instanceof ManytaskError);
    assert.equal(err.code, 'E_OUT_OF_MEMORY');
    assert.match(err.message, pattern);
    return true;
  };
}

test('more memory than wasm32 allows: OutOfMemoryError, nothing allocated or grown, and the library keeps working', async () => {
  const bytes = rt().memory.buffer.byteLength, inUse = rt().allocator.bytesInUse;
  assert.throws(() => Matrix.zeros(60000, 60000), oom(/cannot allocate 14400000000 bytes for a 60000×60000 Matrix: WebAssembly memory is limited to 4 GiB/));
  assert.throws(() => Matrix.from(new Float32Array(4), 2 ** 40, 2 ** 40), (e) => e instanceof ManytaskError); // the shape check comes first
  assert.throws(() => new Network([new Dense(1e9)], { inputSize: 4 }), oom(/for \d+ parameters/));
  assert.throws(() => new MultiTaskModel({ input: { features: 3 }, architecture: { type: 'sharedBottom', units: [60000, 60000], towerUnits: [] }, tasks: [tasks.binary('flag')] }),
    oom(/cannot allocate \d+ bytes for \d+ parameters/));
  assert.throws(() => new AutoEncoder({ inputSize: 50000, encoderUnits: [50000] }), oom(/parameters/));
  assert.equal(rt().memory.buffer.byteLength, bytes, 'WASM memory did not grow');
  assert.equal(rt().allocator.bytesInUse, inUse, 'nothing stays allocated');
  // Still working: a product, and a model that trains and predicts.
  const a = Matrix.from([[1, 2], [3, 4]]);
  const p = matmul(a, a);
  assert.deepEqual(p.toArray(), [[7, 10], [15, 22]]);
  a.dispose(); p.dispose();
  const m = newModel();
  const h = await m.fit(X, LABELS, { epochs: 3, batchSize: 8 });
  assert.ok(h.epochs.every((e) => Number.isFinite(e.loss)));
  assert.equal(m.predict(X).amount.values.length, 32);
  m.dispose();
  assert.equal(rt().allocator.bytesInUse, inUse);
});

test('a runtime that refuses to grow memory below 4 GiB: OutOfMemoryError saying so, and the allocator stays consistent', () => {
  // The module's own memory can grow to 4 GiB; a second memory capped at 2 pages stands in
  // for an engine (or an embedder) that refuses, driven through the same Allocator class.
  const Allocator = rt().allocator.constructor;
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 2 });
  const alloc = new Allocator(memory, 1024);
  const a = alloc.alloc(1000);
  assert.throws(() => alloc.alloc(3 * 65536, 'a big block'),
    oom(/cannot allocate 196608 bytes for a big block: the runtime refused to grow WebAssembly memory beyond 65536 bytes/));
  assert.equal(alloc.bytesInUse, 1008, 'the failed request took nothing');
  const b = alloc.alloc(70000); // what fits still does (growing by one page)
  assert.equal(memory.buffer.byteLength, 2 * 65536);
  alloc.free(a);
  alloc.free(b);
  assert.equal(alloc.bytesInUse, 0);
  assert.equal(alloc.top, 1024, 'everything went back to the bump pointer');
});

test('the allocator says whether a pointer and a length lie in one live block, and which: a block freed and handed out again is another', () => {
  const Allocator = rt().allocator.constructor;
  const alloc = new Allocator(new WebAssembly.Memory({ initial: 1, maximum: 2 }), 1024);
  const a = alloc.alloc(40), b = alloc.alloc(16), r = alloc.reserve(32, 'scratch');
  const sa = alloc.blockAt(a, 40);
  assert.ok(sa > 0);
  assert.equal(alloc.blockAt(a, 48), sa, 'a block is its size rounded up to 16 bytes');
  assert.equal(alloc.blockAt(a + 20, 28), sa, 'inside a block');
  assert.equal(alloc.blockAt(a + 48, 0), alloc.blockAt(b, 16), 'its end is the next block\'s start');
  assert.equal(alloc.blockAt(a, 49), 0, 'past its end (into b)');
  assert.equal(alloc.blockAt(a + 44, 8), 0);
  assert.notEqual(alloc.blockAt(b, 16), sa);
  assert.equal(alloc.blockAt(r, 4), 0, 'the runtime\'s own blocks are not the user\'s');
  for (const bad of [0, 1023, 4096, -16, 1.5, NaN]) assert.equal(alloc.blockAt(bad, 4), 0, `pointer ${bad}`);
  assert.equal(alloc.blockAt(a, -1), 0);
  alloc.free(a);
  assert.equal(alloc.blockAt(a, 4), 0, 'freed');
  assert.equal(alloc.blockAt(a + 16, 0), 0, 'inside a free block');
  const again = alloc.alloc(40);
  assert.equal(again, a, 'the same memory handed out again…');
  assert.ok(alloc.blockAt(again, 40) > 0 && alloc.blockAt(again, 40) !== sa, '…is another block');
  for (const p of [again, b, r]) alloc.free(p);
  assert.equal(alloc.top, 1024);
});

test('disposing twice is harmless, and everything disposed throws DisposedError when used', async () => {
  const inUse = rt().allocator.bytesInUse;
  const m = Matrix.from([[1, 2], [3, 4]]);
  const net = new Network([new Dense(2)], { inputSize: 2 });
  const rng = new Rng(1);
  const adam = createOptimizer({ type: 'adam', learningRate: 0.01 }).attach(net.parameters);
  const sgd = createOptimizer({ type: 'sgd', learningRate: 0.01, momentum: 0.9 });
  const model = newModel();
  await model.fit(X, LABELS, { epochs: 1 });
  const ae = new AutoEncoder({ inputSize: 3, encoderUnits: [2] });
  ae.fit(X, { epochs: 1 });
  const z = Matrix.zeros(1, 2);
  const cases = {
    Matrix: [m, [() => m.toArray(), () => m.toFloat32Array(), () => matmul(m, m), () => m.ptr]],
    Network: [net, [() => net.forward(z), () => net.backward(z), () => net.parameters.get('0.weight'), () => net.ensureCapacity(4)]],
    Rng: [rng, [() => rng.nextU32(), () => rng.state]],
    'Adam optimizer': [adam, [() => adam.step(), () => adam.attach(net.parameters)]],
    'SGD optimizer': [sgd, [() => sgd.step(), () => sgd.attach(net.parameters)]],
    MultiTaskModel: [model, [
      () => model.predict(X), () => model.evaluate(X, LABELS), () => model.save(), () => model.addTask(tasks.binary('b')),
      () => model.freeze('shared'), () => model.taskAffinity(), () => model.classNames('flag'), () => model.parameters.get('shared.0.weight'),
    ]],
    AutoEncoder: [ae, [() => ae.encode(X), () => ae.reconstruct(X), () => ae.anomalyScores(X), () => ae.evaluate(X), () => ae.trainOnBatch(X), () => ae.computeGradients(X)]],
  };
  for (const [name, [object, uses]] of Object.entries(cases)) {
    object.dispose();
    object.dispose(); // harmless
    for (const [i, use] of uses.entries()) {
      assert.throws(use, (e) => e instanceof DisposedError && e.code === 'E_DISPOSED' && /was used after dispose\(\)/.test(e.message), `${name}: use ${i}`);
    }
  }
  await assert.rejects(model.fit(X, LABELS), (e) => e instanceof DisposedError);
  assert.throws(() => ae.fit(X), (e) => e instanceof DisposedError);
  assert.equal(model.isDisposed, true);
  assert.equal(m.isDisposed, true);
  z.dispose();
  assert.equal(rt().allocator.bytesInUse, inUse, 'all of it went back');
  // A loaded model and a fitted KMeans (which holds no WASM memory) behave the same.
  const trained = newModel();
  await trained.fit(X, LABELS, { epochs: 1 });
  const loaded = loadModel(trained.save());
  trained.dispose();
  loaded.dispose();
  loaded.dispose();
  assert.throws(() => loaded.predict(X), DisposedError);
  const km = new KMeans({ k: 2 }).fit(X);
  assert.equal(km.predict(X).length, 32);
});

test('a life-cycle loop (train, save, load, predict, dispose; autoencoders, k-means) leaves WASM memory flat after warm-up', async () => {
  const started = performance.now();
  let warm = null;
  for (let i = 0; i < 60; i++) {
    const m = newModel(i);
    await m.fit(X, LABELS, { epochs: 1, batchSize: 16 });
    const back = loadModel(m.save());
    assert.deepEqual(back.predict(X.slice(0, 2)).amount.values, m.predict(X.slice(0, 2)).amount.values);
    m.dispose();
    back.dispose();
    const ae = new AutoEncoder({ inputSize: 3, encoderUnits: [2], seed: i });
    ae.fit(X, { epochs: 1, batchSize: 16 });
    ae.dispose();
    const t = new KMeans({ k: 3, seed: i }).fit(X).transform(X, { as: 'matrix' });
    t.dispose();
    const { memory, allocator } = rt();
    const now = { bytes: memory.buffer.byteLength, top: allocator.top, inUse: allocator.bytesInUse };
    if (i === 9) warm = now;
    if (i > 9) assert.deepEqual(now, warm, `iteration ${i}: WASM memory as after warm-up`);
  }
  assert.ok(performance.now() - started < 20_000);
});
