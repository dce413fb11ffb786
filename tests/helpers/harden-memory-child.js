// The model life-cycle loop of the memory test (issue #8, item 3), run in its own
// process so the JS heap can be measured after a full GC:
//
//   node --expose-gc tests/helpers/harden-memory-child.js [iterations] [warmup]
//
// Each iteration builds a small multi-task model, trains it for one epoch, saves it,
// loads the bytes back, predicts with both, and disposes both; every 10th iteration
// also trains and disposes an AutoEncoder. After `warmup` iterations it records WASM
// memory (the buffer size, the allocator's top and bytesInUse) and the JS heap (after
// gc()), and again at the end; it prints one JSON object on stdout.
import { init, MultiTaskModel, loadModel, tasks, AutoEncoder } from '../../dist/index.js';
import { runtime } from '../../dist/internal.js';

const iterations = Number(process.argv[2] ?? 1000);
const warmup = Number(process.argv[3] ?? 100);
await init();

const X = Array.from({ length: 32 }, (_, i) => [Math.sin(i), Math.cos(1.3 * i), (i % 5) / 5, Math.sin(0.7 * i)]);
const LABELS = { kind: X.map((_, i) => i % 3), flag: X.map((r) => (r[0] > 0 ? 1 : 0)), amount: X.map((r) => 50 * r[1] + 10) };

function measure() {
  globalThis.gc?.();
  globalThis.gc?.();
  const { memory, allocator } = runtime('memory test');
  return { wasmBytes: memory.buffer.byteLength, top: allocator.top, inUse: allocator.bytesInUse, heap: process.memoryUsage().heapUsed };
}

const started = performance.now();
let atWarmup = null;
let checksum = 0;
for (let i = 0; i < iterations; i++) {
  const m = new MultiTaskModel({
    input: { features: 4, classes: { kind: 3 } }, seed: i >>> 0,
    architecture: i % 2 ? { type: 'mmoe', experts: 2, expertUnits: [8], towerUnits: [4] } : { type: 'sharedBottom', units: [8], towerUnits: [] },
    tasks: [tasks.multiclass('kind'), tasks.binary('flag'), tasks.regression('amount')],
  });
  await m.fit(X, LABELS, { epochs: 1, batchSize: 16, yieldEveryMs: 1e9 });
  const bytes = m.save();
  const back = loadModel(bytes);
  const a = m.predict(X.slice(0, 4)).amount.values, b = back.predict(X.slice(0, 4)).amount.values;
  if (a[0] !== b[0]) throw new Error(`iteration ${i}: the loaded model predicts ${b[0]}, the saved one ${a[0]}`);
  checksum += a[0];
  m.dispose();
  back.dispose();
  if (i % 10 === 0) {
    const ae = new AutoEncoder({ inputSize: 4, encoderUnits: [3, 2], seed: i });
    ae.fit(X, { epochs: 1, batchSize: 16 });
    ae.anomalyScores(X);
    ae.dispose();
  }
  if (i + 1 === warmup) atWarmup = measure();
}
const atEnd = measure();
process.stdout.write(JSON.stringify({
  iterations, warmup, atWarmup, atEnd, seconds: (performance.now() - started) / 1000, gc: typeof globalThis.gc === 'function', checksum,
}) + '\n');
