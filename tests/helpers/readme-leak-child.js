// Issue #12, point 6: each README pattern run many times WITHOUT dispose(), in a
// process whose garbage collector the test can force:
//
//   node --expose-gc tests/helpers/readme-leak-child.js [iterations] [pattern…]
//   deno run -A --v8-flags=--expose-gc tests/helpers/readme-leak-child.js …
//   bun tests/helpers/readme-leak-child.js …                    (Bun.gc)
//
// Every `every` iterations it forces a full collection, lets the finalizers run,
// and records the WASM memory in use and the memory's size (memory()). It prints
// one JSON object: per pattern, the bytes one iteration leaves behind before
// collection, and the samples after each collection.
import * as mt from '../../dist/index.js';

const { init, memory, Matrix, matmul, gemm, Network, Dense, LayerNorm, Dropout, lossAndGradient, createOptimizer } = mt;

const args = globalThis.Deno ? globalThis.Deno.args : globalThis.process.argv.slice(2);
const iterations = Number(args[0] ?? 10_000);
const only = args.slice(1);

function forceGc() {
  if (typeof globalThis.gc === 'function') globalThis.gc();
  else if (typeof globalThis.Bun?.gc === 'function') globalThis.Bun.gc(true);
  else throw new Error('no way to force garbage collection: run node --expose-gc, deno --v8-flags=--expose-gc or bun');
}

/**
 * Full collections and turns of the event loop until the finalizers have run: the
 * engine posts them as tasks of their own, after a collection, at a time of its
 * choosing. Stops once two turns in a row free nothing.
 */
async function collect(mem) {
  for (let turn = 0, idle = 0; turn < 20 && idle < 2; turn++) {
    const before = mem().bytesInUse;
    forceGc();
    await new Promise((resolve) => setTimeout(resolve, 0));
    idle = mem().bytesInUse < before ? 0 : idle + 1;
  }
}

await init();

const X4 = Array.from({ length: 16 }, (_, i) => [Math.sin(i), Math.cos(1.3 * i), (i % 5) / 5, Math.sin(0.7 * i)]);
const LABELS = { kind: X4.map((_, i) => i % 3), flag: X4.map((r) => (r[0] > 0 ? 1 : 0)), amount: X4.map((r) => 50 * r[1] + 10) };
const ROWS = [{ bill_length_mm: 46.5, flipper_length_mm: 219, island: 'Biscoe' }];
const CSV = ['bill_length_mm,flipper_length_mm,island,species', ...Array.from({ length: 12 }, (_, i) =>
  `${38 + (i % 6) * 2},${185 + (i % 4) * 9},${['Biscoe', 'Dream', 'Torgersen'][i % 3]},${['Adelie', 'Gentoo', 'Chinstrap'][i % 3]}`)].join('\n');

// One iteration of each README pattern, as the README writes it but with every dispose() left out.
const patterns = {
  // "Low-level API": matrices, matmul with bias and ReLU, gemm into C.
  matrices: () => {
    const x = Matrix.from([[1, 2, 3], [4, 5, 6]]);
    const w = Matrix.from([[1, 0], [0, 1], [1, -1]]);
    const b = Matrix.from([[0.5, -10]]);
    const y = matmul(x, w, { bias: b, activation: 'relu' });
    y.toArray();
    const g = Matrix.zeros(3, 3);
    gemm(x, x, g, { transposeA: true, alpha: 0.5, beta: 0 });
  },
  // "Neural-network core": the hand-written training loop, one step per iteration
  // (the logits, the loss gradient and backward's dL/dx are new matrices each step).
  trainingLoop: (() => {
    const net = new Network([new Dense(16, { activation: 'relu' }), new LayerNorm(), new Dropout(0.1), new Dense(3)], { inputSize: 4, seed: 42 });
    const opt = createOptimizer({ type: 'adamw', learningRate: 1e-3, weightDecay: 1e-2, globalClipNorm: 1 }).attach(net.parameters);
    const x = Matrix.from(X4);
    const labels = LABELS.kind;
    return () => {
      const logits = net.forward(x, { training: true });
      const { grad } = lossAndGradient({ type: 'softmaxCrossEntropy', labelSmoothing: 0.1 }, logits, labels);
      net.backward(grad);
      opt.step({ learningRate: 1e-3 });
    };
  })(),
  // "Clustering, mixtures and anomaly scores": results of fitted models.
  clustering: (() => {
    const points = X4.map((r) => [r[0], r[1]]);
    const km = new mt.KMeans({ k: 3, seed: 1 }).fit(points);
    const gmm = new mt.GaussianMixture({ nComponents: 2, covarianceType: 'diag', seed: 1 }).fit(points);
    return () => {
      km.predict(points); km.transform(points); km.anomalyScores(points);
      gmm.predictProba(points); gmm.scoreSamples(points); gmm.anomalyScores(points);
    };
  })(),
  // The autoencoder of the same section: a new one each time.
  autoencoder: () => {
    const ae = new mt.AutoEncoder({ inputSize: 4, encoderUnits: [3, 2], seed: 1 });
    ae.fit(X4, { epochs: 1, batchSize: 16 });
    ae.encode(X4); ae.reconstruct(X4); ae.anomalyScores(X4);
  },
  // "Multi-task learning" and the browser Worker snippet: a new model on every
  // message (`model = new MultiTaskModel(…)`), trained and predicting.
  model: async () => {
    const data = mt.Dataset.fromCSV(CSV, { features: { bill_length_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' }, targets: { species: 'multiclass' } });
    const model = new mt.MultiTaskModel({
      input: data, seed: 1, architecture: { type: 'sharedBottom', units: [4], towerUnits: [] }, tasks: [mt.tasks.multiclass('species')],
    });
    await model.fit(data, { epochs: 1, batchSize: 16, yieldEveryMs: 1e9 });
    model.predict(ROWS);
  },
  // `loadModel(bytes)` of the full library, predicting.
  loadModel: null,
  // "Saving, and serving": a model file loaded per request (what a Worker should not
  // do, but may) by manytask/infer's loader.
  inferLoad: null,
};

const report = { iterations, runtime: globalThis.Bun ? 'bun' : globalThis.Deno ? 'deno' : 'node', patterns: {} };
const infer = await import('../../dist/infer.js');
await infer.init();
{
  const m = new mt.MultiTaskModel({ input: { features: 4, classes: { kind: 3 } }, seed: 1, architecture: { type: 'sharedBottom', units: [4], towerUnits: [] }, tasks: [mt.tasks.multiclass('kind')] });
  const bytes = m.save();
  m.dispose();
  patterns.loadModel = () => { mt.loadModel(bytes).predict(X4.slice(0, 2)); };
  patterns.inferLoad = () => { infer.loadModel(bytes).predict(X4.slice(0, 2)); };
}

for (const [name, run] of Object.entries(patterns)) {
  if (only.length > 0 && !only.includes(name)) continue;
  const mem = name === 'inferLoad' ? infer.memory : memory;
  const every = Math.max(1, Math.floor(iterations / 10));
  const started = performance.now();
  const cpuStart = globalThis.process?.cpuUsage?.();
  // A first iteration allocates what stays (the loop's network and its buffers), then
  // one more, uncollected, shows what each leaves behind without dispose().
  await run();
  await collect(mem);
  const before = mem();
  await run();
  const perIteration = mem().bytesInUse - before.bytesInUse;
  const samples = [];
  for (let i = 2; i < iterations; i++) {
    await run();
    if ((i + 1) % every === 0) {
      const peak = mem().bytesInUse;
      await collect(mem);
      const m = mem();
      samples.push({ i: i + 1, peak, bytesInUse: m.bytesInUse, memoryBytes: m.memoryBytes, objects: m.objects });
    }
  }
  report.patterns[name] = { every, before: { bytesInUse: before.bytesInUse, memoryBytes: before.memoryBytes }, perIteration, samples, seconds: (performance.now() - started) / 1000 };
  if (cpuStart) {
    const cpu = globalThis.process.cpuUsage(cpuStart);
    report.patterns[name].cpuSeconds = (cpu.user + cpu.system) / 1e6;
  }
}

console.log(JSON.stringify(report));
