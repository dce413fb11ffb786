// Learning-rate schedules against hand-computed values (warm-up composed with
// cosine, step and exponential decay), the deterministic math kernels against
// JS Math, bit-identical results (pinned across engines), and bad specs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, ManytaskError, ArgumentError, createSchedule, MultiTaskModel, tasks } from '../../dist/index.js';
import { runtime } from '../../dist/internal.js';
import { assertClose } from '../helpers/reference.js';

before(async () => { await init(); });

// The hand-computed values below are the exact ones (closed forms, 40 digits,
// rounded to 17). The schedules round π·t/T, then call one pow or cos (≤ 1 ulp)
// and do a few f64 operations; 1 + cos(x) loses a few more bits near x = π.
// A few ulps, and far below any formula error.
const LR_TOL = { atol: 1e-17, rtol: 2e-15 };

function expectValues(schedule, cases, label) {
  const actual = cases.map(([step, epoch]) => schedule(step, epoch));
  assertClose(actual, cases.map((c) => c[2]), { ...LR_TOL, label });
}

test('constant', () => {
  const s = createSchedule({ type: 'constant', learningRate: 0.003 });
  for (const t of [0, 1, 10, 1e9]) assert.equal(s(t), 0.003);
  assert.deepEqual({ ...s.config }, { type: 'constant', learningRate: 0.003, warmupSteps: 0, warmupStart: 0 });
});

test('step decay: ×gamma every stepSize steps or epochs', () => {
  const bySteps = createSchedule({ type: 'step', learningRate: 0.1, stepSize: 3, gamma: 0.5 });
  expectValues(bySteps, [
    [0, , 0.1], [2, , 0.1], [3, , 0.05], [5, , 0.05], [6, , 0.025], [30, , 0.1 / 1024],
  ], 'step decay by steps');
  // unit 'epoch' (PyTorch StepLR): the step argument is ignored; gamma defaults to 0.1.
  const byEpochs = createSchedule({ type: 'step', learningRate: 1, stepSize: 2, unit: 'epoch' });
  expectValues(byEpochs, [
    [0, 0, 1], [500, 1, 1], [9, 2, 0.1], [9, 3, 0.1], [0, 4, 0.01], [0, 7, 0.001],
  ], 'step decay by epochs');
  assert.equal(byEpochs.config.gamma, 0.1);
});

test('exponential decay, continuous and staircase', () => {
  const s = createSchedule({ type: 'exponential', learningRate: 0.1, decayRate: 0.96, decaySteps: 100 });
  expectValues(s, [
    [0, , 0.1],
    [100, , 0.096],
    [50, , 0.097979589711327124], // 0.1 · √0.96
    [250, , 0.090297989877959077], // 0.1 · 0.96^2.5
    [1000, , 0.066483263599150105], // 0.1 · 0.96^10
  ], 'exponential');
  const stairs = createSchedule({ type: 'exponential', learningRate: 0.1, decayRate: 0.96, decaySteps: 100, staircase: true });
  expectValues(stairs, [[0, , 0.1], [99, , 0.1], [100, , 0.096], [250, , 0.09216], [299, , 0.09216]], 'staircase');
  // PyTorch ExponentialLR(gamma=0.9), stepped per epoch.
  const torch = createSchedule({ type: 'exponential', learningRate: 1, decayRate: 0.9, decaySteps: 1, unit: 'epoch' });
  expectValues(torch, [[0, 0, 1], [7, 1, 0.9], [7, 3, 0.729]], 'ExponentialLR');
});

test('cosine decay to a floor, held there after decaySteps', () => {
  const s = createSchedule({ type: 'cosine', learningRate: 1, decaySteps: 10, minLearningRate: 0.1 });
  expectValues(s, [
    [0, , 1],
    [3, , 0.81450336353161291], // 0.1 + 0.45·(1 + sin(π/5)), sin(π/5) = √((5 − √5)/8)
    [5, , 0.55],
    [8, , 0.18594235253127366], // 0.1 + 0.45·(1 − cos(π/5)), cos(π/5) = (1 + √5)/4
    [10, , 0.1],
    [11, , 0.1],
    [1000, , 0.1],
  ], 'cosine');
  assert.equal(s(10), 0.1, 'exactly the floor at the end');
  const toZero = createSchedule({ type: 'cosine', learningRate: 0.02, decaySteps: 4 });
  expectValues(toZero, [[0, , 0.02], [1, , 0.017071067811865475] /* 0.01·(1 + √2/2) */, [2, , 0.01], [4, , 0], [9, , 0]], 'cosine to 0');
});

test('linear warm-up composed with cosine, step and constant', () => {
  // Warm-up over 4 steps to the cosine's peak, then the cosine starts (it sees t − 4).
  const cos = createSchedule({ type: 'cosine', learningRate: 1, decaySteps: 10, warmupSteps: 4 });
  expectValues(cos, [
    [0, , 0], [1, , 0.25], [2, , 0.5], [3, , 0.75],
    [4, , 1], [9, , 0.5], [12, , 0.095491502812526288] /* ½(1 − cos(π/5)) */, [14, , 0], [20, , 0],
  ], 'warm-up + cosine');
  const from = createSchedule({ type: 'cosine', learningRate: 1, decaySteps: 10, warmupSteps: 4, warmupStart: 0.2 });
  expectValues(from, [[0, , 0.2], [2, , 0.6], [4, , 1]], 'warm-up from 0.2');
  // Epoch-based step decay with a step-based warm-up towards the current epoch's rate.
  const step = createSchedule({ type: 'step', learningRate: 0.5, stepSize: 1, gamma: 0.1, unit: 'epoch', warmupSteps: 10 });
  expectValues(step, [[0, 0, 0], [5, 0, 0.25], [10, 0, 0.5], [15, 1, 0.05], [8, 1, 0.04000000000000001]], 'warm-up + epoch step decay');
  const constant = createSchedule({ type: 'constant', learningRate: 3e-4, warmupSteps: 100 });
  expectValues(constant, [[0, , 0], [25, , 7.5e-5], [100, , 3e-4], [1e6, , 3e-4]], 'warm-up + constant');
});

test('schedules are deterministic: the same bits on every call (pinned across engines)', () => {
  const specs = [
    { type: 'cosine', learningRate: 0.001, decaySteps: 997, minLearningRate: 1e-5, warmupSteps: 13 },
    { type: 'exponential', learningRate: 0.01, decayRate: 0.93, decaySteps: 37 },
    { type: 'step', learningRate: 0.1, stepSize: 7, gamma: 0.7 },
  ];
  const hashes = specs.map((spec) => {
    const s = createSchedule(spec);
    const values = Float64Array.from({ length: 1200 }, (_, t) => s(t));
    assert.deepEqual(Float64Array.from({ length: 1200 }, (_, t) => s(t)), values, spec.type);
    return hashBits(values);
  });
  // Recorded once; equal under Node (V8), Deno (V8) and Bun (JavaScriptCore)
  // because pow and cos come from the WASM module, not the engine's Math.
  assert.deepEqual(hashes, [911684814, 1184893968, 2576583908]);
});

// ---- the deterministic math kernels ----

/** FNV-1a over the bytes of a typed array. */
function hashBits(arr) {
  let h = 0x811c9dc5;
  for (const byte of new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}

const grid = (lo, hi, n) => Float64Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
function geometric(start, ratio, n) {
  const out = new Float64Array(n);
  for (let i = 0, x = start; i < n; i++, x *= ratio) out[i] = x;
  return out;
}

// Both implementations are within 1 ulp of the exact result: they differ by at
// most 2 ulps of the result (relative 2^-51); sin/cos/tanh near 0 get an
// absolute 2^-53 (their ulp is far smaller than the argument's).
const MATH_TOL = { atol: 2 ** -53, rtol: 2 ** -51 };

test('math kernels agree with JS Math within 2 ulps and give the same bits on every call', () => {
  const k = runtime('test').kernels;
  const cases = {
    mathExp: [Math.exp, grid(-30, 30, 601)],
    // 1e-10 · 1.1^i up to ~1e10, by multiplication: the inputs are the same bits everywhere.
    mathLog: [Math.log, geometric(1e-10, 1.1, 484)],
    mathCos: [Math.cos, grid(-10, 10, 801)],
    mathSin: [Math.sin, grid(-10, 10, 801)],
  };
  const pins = {};
  for (const [name, [ref, xs]] of Object.entries(cases)) {
    const got = xs.map((x) => k[name](x));
    assertClose(got, xs.map(ref), { ...MATH_TOL, label: name });
    assert.deepEqual(xs.map((x) => k[name](x)), got, `${name} repeatable`);
    pins[name] = hashBits(got);
  }
  const bases = grid(0.05, 3, 60), exps = grid(-6, 6, 49);
  const pow = [], powRef = [];
  for (const x of bases) for (const y of exps) { pow.push(k.mathPow(x, y)); powRef.push(x ** y); }
  assertClose(pow, powRef, { atol: 0, rtol: 2 ** -51, label: 'mathPow' });
  pins.mathPow = hashBits(Float64Array.from(pow));
  // Exact cases and JS's special values.
  assert.equal(k.mathPow(0.5, 3), 0.125);
  assert.equal(k.mathPow(2, 0.5), Math.SQRT2);
  assert.equal(k.mathPow(0.9, 0), 1);
  assert.equal(k.mathPow(NaN, 0), 1);
  assert.ok(Number.isNaN(k.mathPow(1, Infinity)));
  assert.equal(k.mathCos(0), 1);
  assert.equal(k.mathCos(Math.PI), -1);
  assert.equal(k.mathExp(0), 1);
  assert.equal(k.mathLog(1), 0);
  assert.equal(k.mathLog(0), -Infinity);
  // The bits, pinned: the same module in every engine gives these.
  assert.deepEqual(pins, PINNED_MATH);
});

const PINNED_MATH = {
  mathExp: 2560501185,
  mathLog: 2420132229,
  mathCos: 3144421551,
  mathSin: 2350454188,
  mathPow: 2923545355,
};

// ---- bad input ----

function argError(fn, pattern) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof ArgumentError, `expected ArgumentError, got ${err?.constructor?.name}: ${err?.message}`);
    assert.ok(err instanceof ManytaskError);
    assert.equal(err.code, 'E_ARGUMENT');
    assert.match(err.message, pattern);
    return true;
  });
}

test('bad schedule specs give ArgumentError naming the option', () => {
  argError(() => createSchedule({ type: 'linear', learningRate: 1 }), /unknown schedule type "linear" \(known: constant, step, exponential, cosine\)/);
  argError(() => createSchedule({ learningRate: 1 }), /unknown schedule type undefined/);
  argError(() => createSchedule(0.1), /spec must be an object/);
  for (const type of ['constant', 'step', 'exponential', 'cosine']) {
    const ok = { step: { stepSize: 1 }, exponential: { decayRate: 0.9, decaySteps: 1 }, cosine: { decaySteps: 1 } }[type] ?? {};
    argError(() => createSchedule({ type, ...ok }), new RegExp(`createSchedule\\(${type}\\): learningRate is required`));
    for (const lr of [-1, NaN, Infinity, '0.1']) {
      argError(() => createSchedule({ type, ...ok, learningRate: lr }), /learningRate must be a finite number ≥ 0/);
    }
    argError(() => createSchedule({ type, ...ok, learningRate: 1, lr: 1 }), /unknown option "lr" \(known: type, learningRate/);
    for (const w of [-1, 1.5, NaN, '3']) {
      argError(() => createSchedule({ type, ...ok, learningRate: 1, warmupSteps: w }), /warmupSteps must be an integer ≥ 0/);
    }
    argError(() => createSchedule({ type, ...ok, learningRate: 1, warmupStart: -0.1 }), /warmupStart must be a finite number ≥ 0/);
  }
  argError(() => createSchedule({ type: 'constant', learningRate: 1, unit: 'epoch' }), /unknown option "unit"/);
  argError(() => createSchedule({ type: 'step', learningRate: 1 }), /stepSize is required/);
  for (const n of [0, -2, 2.5, NaN]) {
    argError(() => createSchedule({ type: 'step', learningRate: 1, stepSize: n }), /stepSize must be an integer ≥ 1/);
    argError(() => createSchedule({ type: 'cosine', learningRate: 1, decaySteps: n }), /decaySteps must be an integer ≥ 1/);
    argError(() => createSchedule({ type: 'exponential', learningRate: 1, decayRate: 0.9, decaySteps: n }), /decaySteps must be an integer ≥ 1/);
  }
  for (const g of [0, -0.5, Infinity, NaN]) {
    argError(() => createSchedule({ type: 'step', learningRate: 1, stepSize: 2, gamma: g }), /gamma must be a finite number > 0/);
    argError(() => createSchedule({ type: 'exponential', learningRate: 1, decayRate: g, decaySteps: 2 }), /decayRate must be a finite number > 0/);
  }
  argError(() => createSchedule({ type: 'exponential', learningRate: 1, decaySteps: 2 }), /decayRate is required/);
  argError(() => createSchedule({ type: 'exponential', learningRate: 1, decayRate: 0.9, decaySteps: 2, staircase: 'yes' }), /staircase must be true or false/);
  argError(() => createSchedule({ type: 'cosine', learningRate: 1, decaySteps: 2, unit: 'epochs' }), /unit must be "step" or "epoch", got "epochs"/);
  argError(() => createSchedule({ type: 'cosine', learningRate: 1, decaySteps: 2, minLearningRate: -1 }), /minLearningRate must be a finite number ≥ 0/);
  argError(() => createSchedule({ type: 'cosine', learningRate: 0.1, decaySteps: 2, minLearningRate: 0.2 }), /minLearningRate \(0.2\) must not exceed learningRate \(0.1\)/);

  const s = createSchedule({ type: 'step', learningRate: 1, stepSize: 2, unit: 'epoch' });
  argError(() => s(3), /counts epochs \(unit: 'epoch'\); call it as schedule\(step, epoch\)/);
  for (const bad of [-1, 0.5, NaN, '1']) {
    argError(() => s(bad, 0), /step must be an integer ≥ 0/);
    argError(() => s(0, bad), /epoch must be an integer ≥ 0/);
  }
});

test('a rate that grows (gamma or decayRate above 1, as PyTorch and Keras allow) is refused at the step it leaves float32, naming the schedule', () => {
  const step = createSchedule({ type: 'step', learningRate: 1, stepSize: 1, gamma: 1e10 });
  expectValues(step, [[0, , 1], [1, , 1e10], [3, , 1e30]], 'gamma 1e10');
  argError(() => step(4), /^schedule: the "step" schedule's learning rate at step 4 is 1e\+40, beyond the float32 range \(3\.4e38\) the update computes in \(gamma 10000000000 every step\)/);
  argError(() => step(5), /at step 5 is 1e\+50/);
  const exp = createSchedule({ type: 'exponential', learningRate: 1, decayRate: 1e300, decaySteps: 1 });
  assert.equal(exp(0), 1);
  argError(() => exp(1), /the "exponential" schedule's learning rate at step 1 is 1e\+300, .*\(decayRate 1e\+300 every step\)/);
  argError(() => exp(2), /at step 2 is Infinity/);
  const byEpoch = createSchedule({ type: 'exponential', learningRate: 0.1, decayRate: 1e20, decaySteps: 2, unit: 'epoch', warmupSteps: 3 });
  argError(() => byEpoch(7, 4), /the "exponential" schedule's learning rate at step 7 \(epoch 4\) is \S+, .*\(decayRate 100000000000000000000 every 2 epochs\)/);
  // Growth within float32 is a rate like any other.
  expectValues(createSchedule({ type: 'step', learningRate: 0.01, stepSize: 2, gamma: 3 }), [[0, , 0.01], [2, , 0.03], [5, , 0.09]], 'gamma 3');
  assert.equal(createSchedule({ type: 'exponential', learningRate: 1, decayRate: 2, decaySteps: 1 })(127), 2 ** 127);
});

test('fit with a schedule that would overflow within its steps refuses before the first step, naming the step; one that stays in float32 trains', async () => {
  const x = Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(i)]);
  const y = x.map(([a, b]) => a + b);
  const model = new MultiTaskModel({ input: { features: 2 }, architecture: { type: 'sharedBottom', units: [4], towerUnits: [] }, tasks: [tasks.regression('y')], seed: 1 });
  const weights = () => model.parameters.names().map((n) => Array.from(model.parameters.get(n)));
  const before = weights();
  // 1e-30 · (1e10)^t: float32 holds it up to step 6 (1e30), not at step 7 (1e40).
  const growing = { type: 'exponential', learningRate: 1e-30, decayRate: 1e10, decaySteps: 1 };
  await assert.rejects(model.fit(x, { y }, { epochs: 2, batchSize: 8, divergence: false, learningRate: { ...growing, decayRate: 1e300 } }),
    (e) => e instanceof ArgumentError && /^fit: learningRate: this fit's 2 epochs of 8 batches reach step 15, where the "exponential" schedule's learning rate at step 15 is Infinity, beyond the float32 range/.test(e.message) && /nothing was trained$/.test(e.message));
  // Eight steps (0 to 7) reach 1e40: refused, though the first seven steps are fine.
  await assert.rejects(model.fit(x, { y }, { epochs: 1, batchSize: 8, learningRate: growing }),
    (e) => e instanceof ArgumentError && /this fit's 1 epoch of 8 batches reach step 7, where the "exponential" schedule's learning rate at step 7 is 1\S*e\+40, beyond/.test(e.message));
  assert.deepEqual(weights(), before, 'a refused fit trains nothing');
  assert.equal(model.core.step, 0);
  // Two steps (batches of 32) stop at 1e-20: the same schedule trains.
  const h = await model.fit(x, { y }, { epochs: 1, batchSize: 32, learningRate: growing });
  assert.equal(h.epochs.length, 1);
  assert.equal(model.core.step, 2);
  model.dispose();
});
