// npm run bench -- train
// One training step of an MLP 64→256→128 with three heads (binary 1, multiclass 5,
// regression 1; BCE + softmax CE + MSE, Adam) at batch 32, 256 and 1024, samples/s,
// beside the same model in TF.js (tfjs-layers on the WASM backend) in the same run;
// then single-row and 256-row inference latency.
import * as mt from '../dist/node.js';
import { runtime, heapF32 } from '../dist/internal.js';
import { loadTfWasm, withTfCpu } from './tfjs.mjs';
import { buildTfMlp } from './tfjs-mlp.mjs';
import { compare, median, table } from './harness.mjs';
import { seededValues } from '../tests/helpers/reference.js';

const INPUTS = 64, CLASSES = 5;

/** The benchmark model in manytask: a trunk and three heads, each head's input gradient summed into the trunk's. */
export function buildManytaskMlp({ seed = 1, maxRows }) {
  const { Network, Dense, createLoss, createOptimizer } = mt;
  const trunk = new Network([new Dense(256, { activation: 'relu' }), new Dense(128, { activation: 'relu' })], { inputSize: INPUTS, seed });
  const heads = [1, CLASSES, 1].map((units, i) => new Network([new Dense(units)], { inputSize: 128, seed: seed + 1 + i }));
  const losses = [createLoss({ type: 'bce' }), createLoss({ type: 'softmaxCrossEntropy' }), createLoss({ type: 'mse' })];
  const nets = [trunk, ...heads];
  const optimizers = nets.map((n) => createOptimizer({ type: 'adam', learningRate: 1e-3 }).attach(n.parameters));
  for (const n of nets) n.ensureCapacity(maxRows);
  const { allocator, kernels: k } = runtime('bench');
  const x = allocator.alloc(maxRows * INPUTS * 4);
  const targets = [allocator.alloc(maxRows * 4), allocator.alloc(maxRows * 4), allocator.alloc(maxRows * 4)];
  const grads = [allocator.alloc(maxRows * 4), allocator.alloc(maxRows * CLASSES * 4), allocator.alloc(maxRows * 4)];
  const dh = allocator.alloc(maxRows * 128 * 4);
  const buffers = [1, CLASSES, 1].map((cols, i) => ({ rows: 0, cols, logits: 0, targets: targets[i], grad: grads[i] }));

  /** One step on a batch given as JS typed arrays (copied in, as a user's batch would be). */
  function step(xs, yBinary, yClass, yReg, rows) {
    const heap = heapF32();
    heap.set(xs, x >>> 2);
    heap.set(yBinary, targets[0] >>> 2);
    new Int32Array(heap.buffer, targets[1], rows).set(yClass);
    heap.set(yReg, targets[2] >>> 2);
    const h = trunk.forwardPtr(x, rows, true);
    for (let i = 0; i < 3; i++) {
      const b = buffers[i];
      b.rows = rows;
      b.logits = heads[i].forwardPtr(h, rows, true);
      losses[i].compute(b);
      const dhi = heads[i].backwardPtr(b.grad, rows, true);
      if (i === 0) heap.copyWithin(dh >>> 2, dhi >>> 2, (dhi >>> 2) + rows * 128);
      else k.add(rows * 128, dh, dhi, dh);
    }
    trunk.backwardPtr(dh, rows, false);
    for (const o of optimizers) o.step();
  }

  /** Inference on rows given as a JS array: the three heads' outputs (read back, as a server would). */
  function predict(xs, rows) {
    heapF32().set(xs, x >>> 2);
    const h = trunk.forwardPtr(x, rows, false);
    return heads.map((head, i) => {
      const out = head.forwardPtr(h, rows, false);
      return heapF32().slice(out >>> 2, (out >>> 2) + rows * (i === 1 ? CLASSES : 1));
    });
  }

  return { step, predict, trunk, heads };
}

function batchData(rows, seed) {
  const xs = seededValues(rows * INPUTS, seed);
  const yBinary = new Float32Array(rows), yClass = new Int32Array(rows), yReg = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    yBinary[i] = xs[i * INPUTS] > 0 ? 1 : 0;
    yClass[i] = Math.floor((xs[i * INPUTS + 1] + 1) * 2.5) % CLASSES;
    yReg[i] = xs[i * INPUTS + 2] * 3;
  }
  return { xs, yBinary, yClass, yReg };
}

export async function benchTrain({ quick = false } = {}) {
  await mt.init({ threads: 1 }); // one thread, beside one-thread peers (bench/threads.mjs times the pool)
  const tf = await loadTfWasm();
  const tfl = await import('@tensorflow/tfjs-layers');
  const batches = quick ? [32, 256] : [32, 256, 1024];
  const ours = buildManytaskMlp({ maxRows: Math.max(...batches) });
  const theirs = buildTfMlp(tf, tfl, { inputs: INPUTS, classes: CLASSES });
  const rows = [];
  const results = { training: [], inference: [] };
  for (const batch of batches) {
    const d = batchData(batch, batch);
    const [m, t] = compare([
      { fn: () => ours.step(d.xs, d.yBinary, d.yClass, d.yReg, batch) },
      { fn: () => theirs.step(d.xs, d.yBinary, d.yClass, d.yReg, batch) },
    ], { reps: quick ? 3 : 7, targetMs: quick ? 30 : 150 });
    results.training.push({ batch, manytask: batch / m, tfjs: batch / t, ratio: t / m });
    rows.push([`train step, batch ${batch}`, fmt(batch / m), fmt(batch / t), `${(t / m).toFixed(1)}×`]);
  }
  // The same model on TF.js's pure-JS CPU backend, in its own pass beside manytask.
  await withTfCpu(tf, () => {
    const onCpu = buildTfMlp(tf, tfl, { inputs: INPUTS, classes: CLASSES });
    try {
      batches.forEach((batch, i) => {
        const d = batchData(batch, batch);
        const [m, t] = compare([
          { fn: () => ours.step(d.xs, d.yBinary, d.yClass, d.yReg, batch) },
          { fn: () => onCpu.step(d.xs, d.yBinary, d.yClass, d.yReg, batch) },
        ], { reps: quick ? 3 : 5, targetMs: quick ? 30 : 100 });
        Object.assign(results.training[i], { tfjsCpu: batch / t, cpuRatio: t / m });
        rows[i].push(fmt(batch / t), `${(t / m).toFixed(0)}×`);
      });
    } finally {
      onCpu.dispose();
    }
  });
  console.log('\nMLP 64→256→128 + heads (1, 5, 1), BCE + CE + MSE, Adam — samples/s, one thread\n');
  const trainText = table(['job', 'manytask', 'TF.js-wasm', 'ratio', 'TF.js-cpu', 'ratio'], rows);

  // What MultiTaskModel.fit adds to the same steps driven by hand: one epoch of 32
  // batches (rows checked and copied into WASM, labels encoded, regression
  // standardized, rows gathered per batch, the weights kept before each update, the
  // divergence guard, the per-epoch log; at batch 256 and 1024 the micro-shards, which
  // one thread runs one after another) against the 32 steps.
  results.fit = [];
  const fitRows = [];
  for (const batch of batches) {
    const n = 32 * batch;
    const d = batchData(n, 100 + batch);
    const model = new mt.MultiTaskModel({
      input: { features: INPUTS, classes: { c: CLASSES } },
      architecture: { type: 'sharedBottom', units: [256, 128], towerUnits: [] },
      tasks: [mt.tasks.binary('b'), mt.tasks.multiclass('c'), mt.tasks.regression('y')],
      optimizer: { type: 'adam', learningRate: 1e-3 }, seed: 1, affinity: false,
    });
    const x = { data: d.xs, rows: n, cols: INPUTS }, labels = { b: d.yBinary, c: d.yClass, y: d.yReg };
    const fitEpoch = async () => {
      const t0 = performance.now();
      await model.fit(x, labels, { epochs: 1, batchSize: batch });
      return performance.now() - t0;
    };
    const byHand = () => {
      const t0 = performance.now();
      for (let i = 0; i < n; i += batch) {
        ours.step(d.xs.subarray(i * INPUTS, (i + batch) * INPUTS), d.yBinary.subarray(i, i + batch), d.yClass.subarray(i, i + batch), d.yReg.subarray(i, i + batch), batch);
      }
      return performance.now() - t0;
    };
    await fitEpoch(); byHand();
    // The overhead is the median of the pairs' ratios (each fit beside the steps timed
    // right after or before it, the order alternating): a drift in the machine's speed
    // moves both halves of a pair, not the ratio.
    const f = [], h = [], ratios = [];
    for (let r = 0; r < (quick ? 3 : 11); r++) {
      const [tf, th] = r % 2 === 0 ? [await fitEpoch(), byHand()] : [byHand(), await fitEpoch()].reverse();
      f.push(tf); h.push(th); ratios.push(tf / th);
    }
    const mf = median(f) / 1000, mh = median(h) / 1000, overhead = median(ratios) - 1;
    model.dispose();
    results.fit.push({ batch, fit: n / mf, byHand: n / mh, overhead });
    fitRows.push([`batch ${batch}`, fmt(n / mf), fmt(n / mh), `${(overhead * 100).toFixed(0)}%`]);
  }
  console.log('\nMultiTaskModel.fit against the same steps by hand — samples/s over one epoch of 32 batches, one thread\n');
  const fitText = table(['batch', 'fit', 'by hand', 'fit\'s overhead'], fitRows);

  const infRows = [];
  for (const n of [1, 256]) {
    const d = batchData(n, 7 + n);
    const xm = mt.Matrix.from(d.xs, n, INPUTS);
    // The public Matrix-level path too: what a user of Network.forward pays.
    const matrixPath = () => {
      const h = ours.trunk.forward(xm);
      for (const head of ours.heads) head.forward(h).dispose();
      h.dispose();
    };
    const [m, mm, t] = compare([
      { fn: () => ours.predict(d.xs, n) },
      { fn: matrixPath },
      { fn: () => theirs.predict(d.xs, n) },
    ], { reps: quick ? 3 : 7, targetMs: quick ? 30 : 100 });
    results.inference.push({ rows: n, manytaskUs: m * 1e6, manytaskMatrixUs: mm * 1e6, tfjsUs: t * 1e6, ratio: t / m });
    infRows.push([`predict ${n} row${n > 1 ? 's' : ''}`, `${(m * 1e6).toFixed(1)} µs`, `${(mm * 1e6).toFixed(1)} µs`, `${(t * 1e6).toFixed(1)} µs`, `${(t / m).toFixed(1)}×`]);
    xm.dispose();
  }
  console.log('\nInference latency, same model (outputs read back to JS), median\n');
  const infText = table(['job', 'manytask', 'manytask (Matrix API)', 'TF.js-wasm', 'ratio'], infRows);
  theirs.dispose();
  return { results, text: `${trainText}\n\n${fitText}\n\n${infText}` };
}

function fmt(x) {
  return x >= 1e5 ? `${(x / 1e3).toFixed(0)}k` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchTrain({ quick: process.argv.includes('--quick') });
}
