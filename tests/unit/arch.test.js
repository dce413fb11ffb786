// Sharing architectures (src/mtl/arch/, each a description run by the engine of
// src/mtl/engine.ts) and their kernels (assembly/mix.ts): forward against f64
// references (tests/helpers/arch-reference.js), every parameter gradient and dZ
// against central differences of those references, dropout, parameter names and
// owners, specs, and the kernels alone.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, Matrix, ARCHITECTURE_TYPES, ArgumentError, ShapeError } from '../../dist/index.js';
import { heapF32, runtime, readArchitecture, crossStitchAlpha0 } from '../../dist/internal.js';
import { makeArchitecture } from '../helpers/arch-engine.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import { checkOp, numericGradient } from '../helpers/check-op.js';
import {
  archRef, taskPartRef, crossStitchAlpha, softmaxRef, softmaxBackwardRef, mixForwardRef, mixBackwardRef,
  crossStitchRef, crossStitchBackwardRef, dselectRef, gumbelLogitsRef, gumbelSettledRef,
} from '../helpers/arch-reference.js';

before(async () => { await init(); });

// f32 forward vs f64 reference: a few ulps of the values involved, through a few layers.
const FORWARD = { atol: 2e-5, rtol: 1e-4 };
// Analytic f32 gradients vs f64 central differences (as tests/unit/nn.test.js).
const GRADIENT = { atol: 2e-4, rtol: 2e-3 };
// Kernels vs f64 references: sums of a few f32 products.
const KERNEL = { atol: 1e-6, rtol: 1e-5 };

const f64 = (a) => Float64Array.from(a);
const TASKS = ['ctr', 'cvr', 'dwell'];

const make = makeArchitecture;

/**
 * Moves biases and α offsets off their zero initialization (so transposes and bias
 * terms are exercised); biases lean positive, so few ReLU units are dead in every row.
 */
function perturb(params, seed) {
  for (const [i, info] of params.list().entries()) {
    if (/\.bias$/.test(info.name)) params.set(info.name, seededValues(info.size, seed + i).map((v) => 0.3 * v + 0.2));
    else if (/\.alphaOffset$/.test(info.name)) params.set(info.name, seededValues(info.size, seed + i).map((v) => 0.3 * v));
  }
}

const read = (ptr, n) => heapF32().slice(ptr >>> 2, (ptr >>> 2) + n);
const reference = (params) => Object.fromEntries(params.names().map((n) => [n, f64(params.get(n))]));

/** Runs forwardShared and every forwardTask; returns copies of Z and the R_t. */
function runForward(arch, x, rows, training) {
  const z = arch.forwardShared(x.ptr, rows, training);
  const Z = read(z, rows * arch.sharedSize);
  const R = arch.outputSizes.map((n, t) => read(arch.forwardTask(t, x.ptr, z, rows, training), rows * n));
  return { z, Z, R };
}

/**
 * L = Σ_t ⟨r_t, R_t⟩. Runs backwardTask for every task, sums the dZ_t, runs
 * backwardShared, and checks every parameter gradient and each dZ_t against
 * central differences of the reference.
 */
function checkArchitecture(spec, { inputSize, rows, tasks, seed, label }) {
  const { arch, params, dispose } = make(spec, { inputSize, tasks, seed });
  perturb(params, seed * 7);
  const p = reference(params);
  const xs = seededValues(rows * inputSize, seed + 99);
  const x = Matrix.from(xs, rows, inputSize);
  const ctx = { params: p, x: f64(xs), rows, inputSize, taskNames: tasks };

  // Forward.
  const { z, Z, R } = runForward(arch, x, rows, true);
  const ref = archRef(spec, ctx);
  assert.equal(arch.sharedSize * rows, ref.Z.length, `${label}: sharedSize`);
  assertClose(Z, ref.Z, { ...FORWARD, label: `${label}: Z` });
  R.forEach((r, t) => assertClose(r, ref.R[t], { ...FORWARD, label: `${label}: R_${t}` }));

  // Backward. Gradients start as NaN: each one must be overwritten by its part's backward.
  heapF32().fill(NaN, params.grads >>> 2, (params.grads >>> 2) + params.size);
  const rs = arch.outputSizes.map((n, t) => seededValues(rows * n, seed * 13 + t));
  const rMats = rs.map((r, t) => Matrix.from(r, rows, arch.outputSizes[t]));
  const dZs = rMats.map((m, t) => arch.backwardTask(t, m.ptr, rows));
  const dZt = dZs.map((ptr) => read(ptr, rows * arch.sharedSize)); // read after all tasks: each task's buffer is its own
  const dZsum = new Float32Array(rows * arch.sharedSize);
  for (const d of dZt) for (let i = 0; i < d.length; i++) dZsum[i] += d[i];
  const shared = arch.sharedNames;
  const taskGrads = Object.fromEntries(arch.names.filter((n) => !shared.includes(n)).map((n) => [n, params.gradient(n)]));
  for (const n of shared) assert.ok(params.gradient(n).every(Number.isNaN), `${label}: backwardTask wrote the shared gradient ${n}`);
  const dZ = Matrix.from(dZsum, rows, arch.sharedSize);
  arch.backwardShared(dZ.ptr, rows);
  const summed = Object.fromEntries(shared.map((n) => [n, params.gradient(n)]));
  for (const [n, g] of Object.entries(taskGrads)) assert.deepEqual(params.gradient(n), g, `${label}: backwardShared left ${n} alone`);

  const rFlat = f64(rs.flatMap((r) => Array.from(r)));
  const flatR = (list) => f64(list.flatMap((r) => Array.from(r)));
  checkOp({
    label, r: rFlat, gradient: GRADIENT,
    // A dead ReLU unit can leave a small layer's gradient all zero; the other cases exercise it.
    // A gate over one expert is constant 1.
    mayBeZero: spec.experts === 1 ? arch.names.filter((n) => n.startsWith('gate.')) : [],
    gradients: arch.names.map((name) => ({
      name, actual: shared.includes(name) ? summed[name] : taskGrads[name], theta: p[name],
      reference: (theta) => flatR(archRef(spec, { ...ctx, params: { ...p, [name]: theta } }).R),
    })),
  });
  // backwardShared once per task's dZ_t (the trainer's per-task shared gradients):
  // repeatable, and the gradients add up to those of Σ_t dZ_t.
  const perTask = Object.fromEntries(shared.map((n) => [n, new Float64Array(summed[n].length)]));
  for (const ptr of dZs) {
    arch.backwardShared(ptr, rows);
    for (const n of shared) params.gradient(n).forEach((v, i) => { perTask[n][i] += v; });
  }
  for (const n of shared) assertClose(perTask[n], summed[n], { atol: 1e-6, rtol: 1e-5, label: `${label}: Σ_t backwardShared(dZ_t) for ${n}` });
  arch.backwardShared(dZ.ptr, rows);
  for (const n of shared) assert.deepEqual(params.gradient(n), summed[n], `${label}: backwardShared is repeatable (${n})`);

  // dZ_t through task t's part alone.
  tasks.forEach((_, t) => {
    checkOp({
      label: `${label}, task ${t}`, r: f64(rs[t]), gradient: GRADIENT,
      gradients: [{ name: `dZ_${t}`, actual: dZt[t], theta: f64(Z), reference: (theta) => taskPartRef(spec, { ...ctx, Z: theta })[t] }],
    });
  });
  assert.equal(arch.forwardShared(x.ptr, rows, false), z, `${label}: Z stays in the same buffer`);
  for (const m of [x, dZ, ...rMats]) m.dispose();
  dispose();
  return params;
}

// Odd sizes throughout: widths below, at and above the SIMD width of 4.
const CASES = [
  { type: 'sharedBottom', units: [7, 5], towerUnits: [3], activation: 'tanh' },
  { type: 'sharedBottom', units: [9], towerUnits: [] },
  { type: 'mmoe', experts: 3, expertUnits: [6, 5], towerUnits: [3], activation: 'tanh' },
  { type: 'mmoe', experts: 1, expertUnits: [9], towerUnits: [] },
  { type: 'omoe', experts: 3, expertUnits: [6, 5], towerUnits: [3], activation: 'tanh' },
  { type: 'omoe', experts: 2, expertUnits: [9], towerUnits: [] },
  { type: 'cgc', sharedExperts: 2, taskExperts: 1, expertUnits: [5, 3], towerUnits: [4], activation: 'tanh' },
  { type: 'cgc', sharedExperts: 1, taskExperts: 2, expertUnits: [9], towerUnits: [], activation: 'gelu' },
  { type: 'ple', levels: 2, sharedExperts: 2, taskExperts: 1, expertUnits: [5, 3], towerUnits: [3], activation: 'tanh' },
  { type: 'ple', levels: 3, sharedExperts: 1, taskExperts: 2, expertUnits: [5], towerUnits: [], activation: 'sigmoid' },
  // The papers' bias-free gates, softmax(W·x), and PyTorch's initialization (biases drawn, not zero).
  { type: 'mmoe', experts: 3, expertUnits: [6, 5], towerUnits: [3], gateBias: false, initializer: 'torch' },
  { type: 'omoe', experts: 3, expertUnits: [5], towerUnits: [], gateBias: false },
  { type: 'cgc', sharedExperts: 2, taskExperts: 1, expertUnits: [5], towerUnits: [3], gateBias: false, initializer: 'heNormal' },
  { type: 'ple', levels: 2, sharedExperts: 1, taskExperts: 2, expertUnits: [5, 3], towerUnits: [], gateBias: false, activation: 'tanh' },
  { type: 'crossStitch', units: [7, 5], towerUnits: [3], activation: 'tanh' },
  { type: 'crossStitch', units: [6, 9, 4], towerUnits: [], alphaDiagonal: 0.7 },
  // γ wide enough that the selectors' logits stay inside the smooth step, where the gradient is not 0;
  // 4 experts (a power of two: every code an expert) and 5 (renormalized over the codes that are experts).
  { type: 'dselectK', experts: 4, k: 2, expertUnits: [6, 5], towerUnits: [3], gamma: 6, activation: 'tanh' },
  { type: 'dselectK', experts: 5, k: 3, expertUnits: [9], towerUnits: [], gamma: 8 },
  // Causal convolutions over windows (inputs steps × channels: see SIZES): channels below, at and above
  // the SIMD width with odd remainders, taps reaching before the window (dilated), every pooling,
  // ReLU in the GEMM epilogue and GELU after it.
  { type: 'conv1d', steps: 4, filters: [5, 3], kernelSize: 3, dilation: [1, 2], towerUnits: [3], activation: 'tanh' },
  { type: 'conv1d', steps: 3, filters: [4], kernelSize: 2, pooling: 'max', units: [6], towerUnits: [], activation: 'gelu' },
  { type: 'conv1d', steps: 5, filters: [9, 5], kernelSize: 4, dilation: 2, pooling: 'last', towerUnits: [], activation: 'relu' },
  // Self-attention over the time steps: heads of 1, 2 and 3 columns (the kernel tests take the widths past the
  // SIMD width), causal and not, every pooling, two layers (kept small: every weight is differenced),
  // ReLU fused in the feed-forward and GELU after it.
  { type: 'transformer', steps: 4, dModel: 6, heads: 2, feedForward: 5, towerUnits: [3], activation: 'tanh' },
  { type: 'transformer', steps: 3, dModel: 5, heads: 5, feedForward: 7, causal: true, pooling: 'avg', units: [4], towerUnits: [], activation: 'gelu' },
  { type: 'transformer', steps: 4, dModel: 4, heads: 2, feedForward: 3, layers: 2, causal: true, pooling: 'max', towerUnits: [], activation: 'relu' },
];

/** [rows, inputSize] per case: a conv1d's input is steps × channels (1, 3 and 5 channels). */
const SIZES = (spec) => (spec.type === 'conv1d' || spec.type === 'transformer' ? [[3, spec.steps], [3, spec.steps * 3], [5, spec.steps * 5]] : [[3, 5], [5, 4]]);

for (const spec of CASES) {
  test(`${JSON.stringify(spec)}: forward and gradients (every parameter and dZ) for 1, 2 and 3 tasks`, () => {
    for (const T of [1, 2, 3]) {
      for (const [rows, inputSize] of SIZES(spec)) {
        checkArchitecture(spec, { inputSize, rows, tasks: TASKS.slice(0, T), seed: T * 10 + rows, label: `${spec.type} T=${T} ${rows}×${inputSize}` });
      }
    }
  });
}

test('every type is covered by the gradient cases', () => {
  // LTB's parent choices sample in training: tests/unit/ltb.test.js checks its gradients with the sampling fixed.
  assert.deepEqual([...new Set([...CASES.map((c) => c.type), 'ltb'])].sort(), [...ARCHITECTURE_TYPES].sort());
});

test('parameter names, sizes, the shared part and each tensor\'s owner', () => {
  const tasks = ['a', 'b'];
  const names = (spec) => {
    const { arch, dispose } = make(spec, { inputSize: 3, tasks });
    const out = { names: arch.names, sharedSize: arch.sharedSize, outputSizes: arch.outputSizes, shared: [...new Set(arch.sharedNames.map((n) => n.split('.')[0]))] };
    // Owners are declared: a task's tensor is named after it, a shared one after no task (checked here by name, never in the library).
    for (const n of arch.names) {
      const task = tasks.findIndex((t) => n.split('.').includes(t));
      assert.equal(arch.owners[n], task, `${spec.type}: owner of ${n}`);
    }
    dispose();
    return out;
  };
  assert.deepEqual(names({ type: 'sharedBottom', units: [4, 2], towerUnits: [3] }), {
    names: ['shared.0.weight', 'shared.0.bias', 'shared.1.weight', 'shared.1.bias',
      'tower.a.0.weight', 'tower.a.0.bias', 'tower.b.0.weight', 'tower.b.0.bias'],
    sharedSize: 2, outputSizes: [3, 3], shared: ['shared'],
  });
  assert.deepEqual(names({ type: 'mmoe', experts: 2, expertUnits: [4], towerUnits: [] }), {
    names: ['experts.0.0.weight', 'experts.0.0.bias', 'experts.1.0.weight', 'experts.1.0.bias',
      'gate.a.weight', 'gate.a.bias', 'gate.b.weight', 'gate.b.bias'],
    sharedSize: 8, outputSizes: [4, 4], shared: ['experts'],
  });
  assert.deepEqual(names({ type: 'omoe', experts: 2, expertUnits: [4], towerUnits: [3] }), {
    names: ['experts.0.0.weight', 'experts.0.0.bias', 'experts.1.0.weight', 'experts.1.0.bias', 'gate.weight', 'gate.bias',
      'tower.a.0.weight', 'tower.a.0.bias', 'tower.b.0.weight', 'tower.b.0.bias'],
    sharedSize: 4, outputSizes: [3, 3], shared: ['experts', 'gate'],
  });
  assert.deepEqual(names({ type: 'cgc', sharedExperts: 1, taskExperts: 1, expertUnits: [4], towerUnits: [2] }), {
    names: ['sharedExperts.0.0.weight', 'sharedExperts.0.0.bias', 'taskExperts.a.0.0.weight', 'taskExperts.a.0.0.bias',
      'taskExperts.b.0.0.weight', 'taskExperts.b.0.0.bias', 'gate.a.weight', 'gate.a.bias', 'gate.b.weight', 'gate.b.bias',
      'tower.a.0.weight', 'tower.a.0.bias', 'tower.b.0.weight', 'tower.b.0.bias'],
    sharedSize: 12, outputSizes: [2, 2], shared: ['sharedExperts', 'taskExperts'],
  });
  const level = (l) => [`levels.${l}.sharedExperts.0.0.weight`, `levels.${l}.sharedExperts.0.0.bias`,
    `levels.${l}.taskExperts.a.0.0.weight`, `levels.${l}.taskExperts.a.0.0.bias`,
    `levels.${l}.taskExperts.b.0.0.weight`, `levels.${l}.taskExperts.b.0.0.bias`];
  assert.deepEqual(names({ type: 'ple', levels: 2, sharedExperts: 1, taskExperts: 1, expertUnits: [4], towerUnits: [] }), {
    names: [...level(0), 'levels.0.gate.a.weight', 'levels.0.gate.a.bias', 'levels.0.gate.b.weight', 'levels.0.gate.b.bias',
      'levels.0.sharedGate.weight', 'levels.0.sharedGate.bias', ...level(1),
      'gate.a.weight', 'gate.a.bias', 'gate.b.weight', 'gate.b.bias'],
    sharedSize: 3 * 4 + 2 * 4, outputSizes: [4, 4], shared: ['levels'],
  });
  assert.deepEqual(names({ type: 'crossStitch', units: [4, 3], towerUnits: [] }), {
    names: ['column.a.0.weight', 'column.a.0.bias', 'column.b.0.weight', 'column.b.0.bias', 'cross.0.alphaOffset',
      'column.a.1.weight', 'column.a.1.bias', 'column.b.1.weight', 'column.b.1.bias', 'cross.1.alphaOffset'],
    sharedSize: 6, outputSizes: [3, 3], shared: ['column', 'cross'],
  });
  // Names do not depend on dropout.
  assert.deepEqual(names({ type: 'sharedBottom', units: [4, 2], towerUnits: [3], dropout: 0.2 }).names,
    names({ type: 'sharedBottom', units: [4, 2], towerUnits: [3] }).names);
});

test('cross-stitch α starts at the blend (0.9 diagonal, 0.1/(T−1) off it; [[1]] for one task)', () => {
  for (const [T, expected] of [[1, [1]], [2, [0.9, 0.1, 0.1, 0.9]], [3, [0.9, 0.05, 0.05, 0.05, 0.9, 0.05, 0.05, 0.05, 0.9]]]) {
    assertClose(crossStitchAlpha0(T, 0.9), expected, { atol: 1e-12, rtol: 0, label: `T=${T}` });
  }
});

test('PLE with one level computes exactly what CGC computes', () => {
  const common = { sharedExperts: 2, taskExperts: 2, expertUnits: [5, 3], towerUnits: [2] };
  const a = make({ type: 'cgc', ...common }, { inputSize: 4, tasks: TASKS, seed: 3 });
  const b = make({ type: 'ple', levels: 1, ...common }, { inputSize: 4, tasks: TASKS, seed: 3 });
  const x = Matrix.from(seededValues(20, 1), 5, 4);
  const ra = runForward(a.arch, x, 5, false), rb = runForward(b.arch, x, 5, false);
  assert.deepEqual(rb.Z, ra.Z);
  assert.deepEqual(rb.R, ra.R);
  x.dispose(); a.dispose(); b.dispose();
});

test('dropout is active only with training = true', () => {
  const specs = [
    { type: 'sharedBottom', units: [16], towerUnits: [8] },
    { type: 'mmoe', experts: 2, expertUnits: [16], towerUnits: [8] },
    { type: 'cgc', sharedExperts: 1, taskExperts: 1, expertUnits: [16], towerUnits: [] },
    { type: 'ple', levels: 2, sharedExperts: 1, taskExperts: 1, expertUnits: [16], towerUnits: [8] },
    { type: 'crossStitch', units: [16, 12], towerUnits: [8] },
  ];
  const rows = 6, inputSize = 5, tasks = TASKS.slice(0, 2);
  for (const base of specs) {
    const spec = { ...base, dropout: 0.5 };
    const { arch, params, dispose } = make(spec, { inputSize, tasks, seed: 4 });
    perturb(params, 5);
    const xs = seededValues(rows * inputSize, 6);
    const x = Matrix.from(xs, rows, inputSize);
    const ref = archRef(spec, { params: reference(params), x: f64(xs), rows, inputSize, taskNames: tasks });
    // Inference: dropout is the identity, so the reference (which has none) matches.
    const inf = runForward(arch, x, rows, false);
    assertClose(inf.Z, ref.Z, { ...FORWARD, label: `${spec.type}: inference Z` });
    inf.R.forEach((r, t) => assertClose(r, ref.R[t], { ...FORWARD, label: `${spec.type}: inference R_${t}` }));
    // Training: masks change the outputs, and a second step draws new masks.
    const t1 = runForward(arch, x, rows, true), t2 = runForward(arch, x, rows, true);
    assert.notDeepEqual(t1.R, inf.R, `${spec.type}: training output differs from inference`);
    assert.notDeepEqual(t2.R, t1.R, `${spec.type}: fresh masks each step`);
    // Back to inference: deterministic again.
    assert.deepEqual(runForward(arch, x, rows, false).R, inf.R, `${spec.type}: inference is deterministic`);
    x.dispose();
    dispose();
  }
});

test('a spec read with its defaults filled in reads back the same', () => {
  const specs = [
    [{ type: 'sharedBottom', units: [4], towerUnits: [] }, { activation: 'relu', dropout: 0 }],
    [{ type: 'mmoe', experts: 2, expertUnits: [4], towerUnits: [2], dropout: 0.1 }, { activation: 'relu', gateBias: true }],
    [{ type: 'omoe', experts: 2, expertUnits: [4], towerUnits: [], gateBias: false, initializer: 'torch' }, { activation: 'relu', dropout: 0 }],
    [{ type: 'cgc', sharedExperts: 1, taskExperts: 1, expertUnits: [4], towerUnits: [], activation: 'tanh' }, { dropout: 0, gateBias: true }],
    [{ type: 'ple', levels: 2, sharedExperts: 1, taskExperts: 1, expertUnits: [4], towerUnits: [] }, { activation: 'relu', dropout: 0, gateBias: true }],
    [{ type: 'crossStitch', units: [4], towerUnits: [] }, { activation: 'relu', dropout: 0, alphaDiagonal: 0.9 }],
  ];
  for (const [spec, defaults] of specs) {
    const { config } = readArchitecture(spec);
    assert.deepEqual(config, { initializer: 'glorotUniform', ...spec, ...defaults });
    assert.deepEqual(readArchitecture(config).config, config);
  }
});

test('bad specs: typed errors naming the option', () => {
  const arg = (re) => (e) => e instanceof ArgumentError && re.test(e.message);
  const shape = (re) => (e) => e instanceof ShapeError && re.test(e.message);
  const bad = [
    [{ type: 'moe', experts: 2 }, arg(/unknown architecture type "moe" \(known: sharedBottom, mmoe, omoe, cgc, ple, crossStitch, dselectK, ltb, conv1d, transformer\)/)],
    [{ units: [3] }, arg(/unknown architecture type undefined/)],
    [null, arg(/spec must be an object/)],
    [[], arg(/spec must be an object/)],
    [{ type: 'sharedBottom', units: [3], towerUnits: [], unit: 3 }, arg(/"sharedBottom": unknown option "unit" \(known: type, units, towerUnits, activation, dropout, initializer\)/)],
    [{ type: 'sharedBottom', towerUnits: [] }, arg(/"sharedBottom": missing option "units"/)],
    [{ type: 'sharedBottom', units: [3] }, arg(/missing option "towerUnits"/)],
    [{ type: 'sharedBottom', units: [], towerUnits: [] }, shape(/units must list at least one layer width/)],
    [{ type: 'sharedBottom', units: 3, towerUnits: [] }, arg(/units must be an array of layer widths, got 3/)],
    [{ type: 'sharedBottom', units: [3, 0], towerUnits: [] }, shape(/units\[1\] must be a positive integer, got 0/)],
    [{ type: 'sharedBottom', units: [3], towerUnits: [2.5] }, shape(/towerUnits\[0\] must be a positive integer, got 2.5/)],
    [{ type: 'sharedBottom', units: [3], towerUnits: [], activation: 'swish' }, arg(/unknown activation "swish" \(known: identity, linear, relu/)],
    [{ type: 'sharedBottom', units: [3], towerUnits: [], dropout: 1 }, arg(/dropout must be a number in \[0, 1\), got 1/)],
    [{ type: 'sharedBottom', units: [3], towerUnits: [], dropout: '0.1' }, arg(/dropout must be a number/)],
    [{ type: 'mmoe', experts: 0, expertUnits: [3], towerUnits: [] }, shape(/"mmoe": experts must be an integer ≥ 1, got 0/)],
    [{ type: 'mmoe', experts: 2, expertUnits: [3], towerUnits: [], sharedExperts: 1 }, arg(/"mmoe": unknown option "sharedExperts"/)],
    [{ type: 'cgc', sharedExperts: 1, expertUnits: [3], towerUnits: [] }, arg(/"cgc": missing option "taskExperts"/)],
    [{ type: 'cgc', sharedExperts: 1, taskExperts: 1.5, expertUnits: [3], towerUnits: [] }, shape(/taskExperts must be an integer ≥ 1, got 1.5/)],
    [{ type: 'ple', levels: 0, sharedExperts: 1, taskExperts: 1, expertUnits: [3], towerUnits: [] }, shape(/"ple": levels must be an integer ≥ 1, got 0/)],
    [{ type: 'ple', sharedExperts: 1, taskExperts: 1, expertUnits: [3], towerUnits: [] }, arg(/"ple": missing option "levels"/)],
    [{ type: 'crossStitch', units: [3], towerUnits: [], alphaDiagonal: 1.5 }, arg(/alphaDiagonal must be a number in \[0, 1\], got 1.5/)],
    [{ type: 'crossStitch', units: [3], towerUnits: [], levels: 2 }, arg(/"crossStitch": unknown option "levels"/)],
    [{ type: 'mmoe', experts: 2, expertUnits: [3], towerUnits: [], gateBias: 0 }, arg(/"mmoe": gateBias must be true or false, got 0/)],
    [{ type: 'sharedBottom', units: [3], towerUnits: [], gateBias: false }, arg(/"sharedBottom": unknown option "gateBias"/)],
    [{ type: 'conv1d', steps: 0, filters: [3], towerUnits: [] }, shape(/"conv1d": steps must be an integer ≥ 1, got 0/)],
    [{ type: 'conv1d', steps: 4, towerUnits: [] }, arg(/"conv1d": missing option "filters"/)],
    [{ type: 'conv1d', steps: 4, filters: [3], towerUnits: [], pooling: 'mean' }, arg(/"conv1d": pooling must be one of "avg", "max", "last", got "mean"/)],
    [{ type: 'conv1d', steps: 4, filters: [3], towerUnits: [], dilation: [1, 0] }, shape(/"conv1d": dilation\[1\] must be a positive integer, got 0/)],
    [{ type: 'conv1d', steps: 4, filters: [3], towerUnits: [], kernelSize: 1.5 }, shape(/"conv1d": kernelSize must be an integer ≥ 1, got 1.5/)],
    [{ type: 'transformer', steps: 0, towerUnits: [] }, shape(/"transformer": steps must be an integer ≥ 1, got 0/)],
    [{ type: 'transformer', steps: 4, towerUnits: [], causal: 1 }, arg(/"transformer": causal must be true or false, got 1/)],
    [{ type: 'transformer', steps: 4, towerUnits: [], pooling: 'first' }, arg(/"transformer": pooling must be one of "avg", "max", "last", got "first"/)],
    [{ type: 'transformer', steps: 4, towerUnits: [], heads: 0 }, shape(/"transformer": heads must be an integer ≥ 1, got 0/)],
    [{ type: 'mmoe', experts: 2, expertUnits: [3], towerUnits: [], initializer: 'he' }, arg(/"mmoe": unknown initializer "he" \(known: glorotUniform, glorotNormal, heUniform, heNormal, torch\)/)],
  ];
  for (const [spec, check] of bad) assert.throws(() => readArchitecture(spec), check, JSON.stringify(spec));
});

test('misuse: rows beyond the capacity, and use after dispose, are typed errors', () => {
  const spec = { type: 'mmoe', experts: 2, expertUnits: [3], towerUnits: [] };
  const { arch, engine, dispose } = make(spec, { inputSize: 2, tasks: ['a', 'b'], maxRows: 4 });
  const x = Matrix.zeros(5, 2);
  assert.throws(() => arch.forwardShared(x.ptr, 5, false), (e) => e instanceof ShapeError && /rows must be an integer from 1 to 4, got 5/.test(e.message));
  assert.throws(() => engine.forwardTask(0, 0, false), (e) => e instanceof ShapeError);
  arch.allocate(5);
  arch.forwardShared(x.ptr, 5, false);
  dispose();
  assert.throws(() => arch.forwardShared(x.ptr, 4, false), (e) => e.code === 'E_DISPOSED');
  assert.throws(() => arch.allocate(4), (e) => e.code === 'E_DISPOSED');
  x.dispose();
});

test('task names: distinct, non-empty, without "." (they are parameter name segments)', () => {
  const spec = { type: 'mmoe', experts: 2, expertUnits: [3], towerUnits: [] };
  const arg = (re) => (e) => e instanceof ArgumentError && re.test(e.message);
  assert.throws(() => make(spec, { inputSize: 2, tasks: ['a', 'a'] }), arg(/two tasks are named "a"/));
  assert.throws(() => make(spec, { inputSize: 2, tasks: ['a', 'b.c'] }), arg(/named "b\.c"/));
  assert.throws(() => make(spec, { inputSize: 2, tasks: [] }), arg(/tasks must be a non-empty array/));
});

// ---------------------------------------------------------------------------
// Kernels alone. Sizes below, at and above the SIMD width (4), with odd tails.

const k = () => runtime('arch test').kernels;

/** Copies values into a fresh WASM buffer (a Matrix keeps it alive); returns the matrix. */
function buffer(values) {
  const m = Matrix.zeros(1, Math.max(values.length, 1));
  heapF32().set(values, m.ptr >>> 2); // NaN allowed: marks what a kernel must overwrite
  return m;
}

function ints(values) {
  const m = Matrix.zeros(1, values.length);
  new Int32Array(heapF32().buffer, m.ptr, values.length).set(values);
  return m;
}

test('softmaxRows and its backward match the f64 reference, in place too', () => {
  for (const [rows, n] of [[1, 1], [3, 2], [4, 5], [2, 9], [5, 17]]) {
    const xs = seededValues(rows * n, n).map((v) => 8 * v); // logits up to ±8
    const x = buffer(xs), y = buffer(new Float32Array(rows * n));
    k().softmaxRows(rows, n, x.ptr, y.ptr);
    const yRef = softmaxRef(f64(xs), rows, n);
    assertClose(read(y.ptr, rows * n), yRef, { ...KERNEL, label: `softmax ${rows}×${n}` });
    k().softmaxRows(rows, n, x.ptr, x.ptr);
    assert.deepEqual(read(x.ptr, rows * n), read(y.ptr, rows * n), 'in place gives the same bits');
    const dys = seededValues(rows * n, n + 1);
    const dy = buffer(dys), dx = buffer(new Float32Array(rows * n));
    k().softmaxRowsBackward(rows, n, y.ptr, dy.ptr, dx.ptr);
    const dxRef = softmaxBackwardRef(f64(read(y.ptr, rows * n)), f64(dys), rows, n);
    assertClose(read(dx.ptr, rows * n), dxRef, { ...KERNEL, label: `softmax backward ${rows}×${n}` });
    k().softmaxRowsBackward(rows, n, y.ptr, dy.ptr, dy.ptr);
    assert.deepEqual(read(dy.ptr, rows * n), read(dx.ptr, rows * n), 'dx may alias dy');
    for (const m of [x, y, dy, dx]) m.dispose();
  }
  // Huge logits do not overflow.
  const big = buffer([1000, 999, -1000]);
  k().softmaxRows(1, 3, big.ptr, big.ptr);
  assertClose(read(big.ptr, 3), softmaxRef(f64([1000, 999, -1000]), 1, 3), { ...KERNEL, label: 'large logits' });
  big.dispose();
});

test('mixForward / mixBackward: a gate over a subset of the experts, strided rows, overwrite and accumulate', () => {
  for (const d of [1, 3, 4, 5, 8, 11]) {
    for (const [rows, total, idx] of [[1, 1, [0]], [3, 4, [3, 0, 2]], [5, 6, [1, 4]], [2, 3, [0, 1, 2]]]) {
      const n = idx.length, pad = 2, ldE = total * d + pad, ldOut = d + 1;
      const es = seededValues(rows * ldE, d * 7 + rows);
      const gs = softmaxRef(f64(seededValues(rows * n, d + n)), rows, n);
      const e = buffer(es), g = buffer(Float32Array.from(gs)), ix = ints(idx);
      const out = buffer(new Float32Array(rows * ldOut).fill(7));
      k().mixForward(rows, n, d, e.ptr, ldE, ix.ptr, g.ptr, out.ptr, ldOut);
      const outRef = mixForwardRef(rows, n, d, f64(es), ldE, idx, f64(Float32Array.from(gs)));
      const got = read(out.ptr, rows * ldOut);
      const label = `mix d=${d} rows=${rows} idx=${idx}`;
      assertClose(Array.from({ length: rows * d }, (_, i) => got[Math.floor(i / d) * ldOut + (i % d)]), outRef, { ...KERNEL, label });
      for (let r = 0; r < rows; r++) assert.equal(got[r * ldOut + d], 7, `${label}: the stride gap is untouched`);

      const dOuts = seededValues(rows * ldOut, d + 3);
      const dOut = buffer(dOuts);
      for (const accumulate of [0, 1]) {
        const dE0 = seededValues(rows * ldE, d + 5 + accumulate);
        const dE = buffer(dE0), dG = buffer(new Float32Array(rows * n));
        k().mixBackward(rows, n, d, e.ptr, ldE, ix.ptr, g.ptr, dOut.ptr, ldOut, dE.ptr, dG.ptr, accumulate);
        const dOutDense = f64(Array.from({ length: rows * d }, (_, i) => dOuts[Math.floor(i / d) * ldOut + (i % d)]));
        const ref = mixBackwardRef(rows, n, d, f64(es), ldE, idx, f64(Float32Array.from(gs)), dOutDense, f64(dE0), accumulate);
        assertClose(read(dE.ptr, rows * ldE), ref.dE, { ...KERNEL, label: `${label} dE accumulate=${accumulate} (other blocks untouched)` });
        assertClose(read(dG.ptr, rows * n), ref.dG, { ...KERNEL, label: `${label} dG` });
        dE.dispose(); dG.dispose();
      }
      for (const m of [e, g, ix, out, dOut]) m.dispose();
    }
  }
});

test('crossStitchForward / Backward: separate blocks and side-by-side blocks, every width', () => {
  for (const T of [1, 2, 3]) {
    for (const [rows, d] of [[1, 1], [3, 3], [2, 4], [4, 5], [3, 8], [2, 13]]) {
      const n = rows * d, label = `cross-stitch T=${T} ${rows}×${d}`;
      const alphaVals = seededValues(T * T, T + d);
      const alpha = buffer(alphaVals);
      const xsVals = Array.from({ length: T }, (_, t) => seededValues(n, 10 * t + d));
      const dysVals = Array.from({ length: T }, (_, t) => seededValues(n, 20 * t + d + 1));
      const ref = crossStitchRef(xsVals.map(f64), f64(alphaVals), T, n);
      const back = crossStitchBackwardRef(xsVals.map(f64), f64(alphaVals), dysVals.map(f64), T, n);
      // Inputs in separate buffers; outputs side by side in one rows × (T·d) buffer.
      const xBufs = xsVals.map(buffer), dyBufs = dysVals.map(buffer);
      const wide = buffer(new Float32Array(rows * T * d));
      const xTable = ints(xBufs.map((b) => b.ptr)), yTable = ints(xBufs.map((_, t) => wide.ptr + t * d * 4));
      k().crossStitchForward(rows, T, d, xTable.ptr, d, alpha.ptr, yTable.ptr, T * d);
      const w = read(wide.ptr, rows * T * d);
      ref.forEach((y, t) => assertClose(Array.from({ length: n }, (_, i) => w[Math.floor(i / d) * T * d + t * d + (i % d)]), y, { ...KERNEL, label: `${label} y_${t}` }));
      // Backward: dy side by side (stride T·d), dx into separate buffers.
      const dyWide = buffer(new Float32Array(rows * T * d));
      const hw = heapF32();
      dysVals.forEach((v, t) => { for (let i = 0; i < n; i++) hw[(dyWide.ptr >>> 2) + Math.floor(i / d) * T * d + t * d + (i % d)] = v[i]; });
      const dyTable = ints(xBufs.map((_, t) => dyWide.ptr + t * d * 4));
      const dxBufs = xsVals.map(() => buffer(new Float32Array(n).fill(NaN)));
      const dxTable = ints(dxBufs.map((b) => b.ptr));
      const dAlpha = buffer(new Float32Array(T * T).fill(NaN));
      k().crossStitchBackward(rows, T, d, xTable.ptr, d, alpha.ptr, dyTable.ptr, T * d, dxTable.ptr, d, dAlpha.ptr);
      back.dxs.forEach((dx, s) => assertClose(read(dxBufs[s].ptr, n), dx, { ...KERNEL, label: `${label} dx_${s}` }));
      assertClose(read(dAlpha.ptr, T * T), back.dAlpha, { ...KERNEL, label: `${label} dα` });
      // The same with dy in separate buffers.
      const dyTable2 = ints(dyBufs.map((b) => b.ptr));
      k().crossStitchBackward(rows, T, d, xTable.ptr, d, alpha.ptr, dyTable2.ptr, d, dxTable.ptr, d, dAlpha.ptr);
      assertClose(read(dAlpha.ptr, T * T), back.dAlpha, { ...KERNEL, label: `${label} dα (separate dy)` });
      for (const m of [alpha, wide, xTable, yTable, dyWide, dyTable, dxTable, dAlpha, dyTable2, ...xBufs, ...dyBufs, ...dxBufs]) m.dispose();
    }
  }
});

test('copyBlock moves a strided block and nothing else', () => {
  for (const [rows, cols, ldSrc, ldDst] of [[1, 1, 1, 1], [3, 5, 5, 5], [4, 3, 7, 3], [2, 6, 6, 9], [5, 4, 11, 13]]) {
    const src = buffer(seededValues(rows * ldSrc, cols));
    const dst = buffer(new Float32Array(rows * ldDst).fill(-2));
    k().copyBlock(rows, cols, src.ptr, ldSrc, dst.ptr, ldDst);
    const s = read(src.ptr, rows * ldSrc), out = read(dst.ptr, rows * ldDst);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < ldDst; c++) assert.equal(out[r * ldDst + c], c < cols ? s[r * ldSrc + c] : -2);
    }
    src.dispose(); dst.dispose();
  }
});

test('dselectForward / dselectBackward: every code an expert or not, against f64 and its central differences', () => {
  for (const [rows, sel, n] of [[1, 1, 2], [3, 2, 3], [2, 3, 4], [4, 2, 5], [2, 1, 8], [3, 4, 11], [1, 2, 16]]) {
    const m = Math.ceil(Math.log2(n)), label = `dselect rows=${rows} k=${sel} n=${n}`;
    // Selector values inside (0, 1), away from the ends; softmax weights per row.
    const ss = seededValues(rows * sel * m, n + sel).map((v) => 0.5 + 0.45 * v);
    const as = softmaxRef(f64(seededValues(rows * sel, n)), rows, sel);
    const s = buffer(ss), a = buffer(Float32Array.from(as)), y = buffer(new Float32Array(rows * n).fill(NaN));
    const s64 = f64(Float32Array.from(ss)), a64 = f64(Float32Array.from(as));
    k().dselectForward(rows, sel, m, n, s.ptr, a.ptr, y.ptr);
    const yRef = dselectRef(s64, a64, rows, sel, m, n);
    assertClose(read(y.ptr, rows * n), yRef, { ...KERNEL, label: `${label} forward` });
    for (let r = 0; r < rows; r++) assertClose([yRef.slice(r * n, (r + 1) * n).reduce((p, q) => p + q, 0)], [1], { atol: 1e-6, rtol: 0, label: `${label}: a distribution` });
    const dys = seededValues(rows * n, n + 7);
    const dy = buffer(dys), ds = buffer(new Float32Array(rows * sel * m).fill(NaN)), da = buffer(new Float32Array(rows * sel).fill(NaN));
    k().dselectBackward(rows, sel, m, n, s.ptr, a.ptr, dy.ptr, ds.ptr, da.ptr);
    const dy64 = f64(dys);
    assertClose(read(ds.ptr, rows * sel * m), numericGradient((v) => dselectRef(v, a64, rows, sel, m, n), s64, dy64), { ...GRADIENT, label: `${label} ds` });
    assertClose(read(da.ptr, rows * sel), numericGradient((v) => dselectRef(s64, v, rows, sel, m, n), a64, dy64), { ...GRADIENT, label: `${label} da` });
    for (const b of [s, a, y, dy, ds, da]) b.dispose();
  }
});

// What LTB's Gumbel choice and a cross-stitch unit computed in JavaScript, as kernels a
// micro-shard's program holds (assembly/gumbel.ts, assembly/stitch.ts): against the f64
// references, and bit for bit against the JavaScript they replace (f64 operations in the
// same order, mathLog for the logarithm, one rounding to f32).
const bits = (a) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

test('gumbelLogits, gumbelSettled, divideByScalar, crossStitchAlpha, writePointer: the f64 references, and the bits of the JavaScript they replace', () => {
  for (const n of [1, 2, 3, 4, 5, 7, 8, 11]) {
    for (const tau of [1, 0.5, 0.7, 3]) {
      const label = `n=${n} τ=${tau}`;
      // Draws as the RNG makes them (multiples of 2⁻²⁴ in [0, 1)), 0 and the largest among them.
      const us = Float32Array.from(seededValues(n, n + 40), (v, j) => (j === 0 ? 0 : j === n - 1 && n > 2 ? 1 - 2 ** -24 : Math.floor((v + 1) / 2 * 2 ** 24) / 2 ** 24));
      const alphas = Float32Array.from(seededValues(n, n + 50), (v) => 2 * v);
      const u = buffer(us), alpha = buffer(alphas), out = buffer(new Float32Array(n).fill(NaN));
      k().gumbelLogits(n, u.ptr, alpha.ptr, tau, out.ptr);
      const old = Array.from(us, (v, j) => (alphas[j] + -k().mathLog(-k().mathLog(v + 2 ** -25))) / tau);
      assert.deepEqual(bits(read(out.ptr, n)), bits(old), `${label}: gumbelLogits gives the bits of the JavaScript loop`);
      assertClose(read(out.ptr, n), gumbelLogitsRef(f64(us), f64(alphas), tau), { ...KERNEL, label: `${label} gumbelLogits` });
      // In place, as the engine calls it (the draws' buffer becomes the logits).
      k().gumbelLogits(n, u.ptr, alpha.ptr, tau, u.ptr);
      assert.deepEqual(bits(read(u.ptr, n)), bits(old), `${label}: gumbelLogits in place`);

      const grads = seededValues(n, n + 60);
      const g = buffer(grads), dAlpha = buffer(new Float32Array(n + 1).fill(NaN));
      k().divideByScalar(n, g.ptr, tau, dAlpha.ptr);
      assert.deepEqual(bits(read(dAlpha.ptr, n)), bits(Array.from(grads, (v) => v / tau)), `${label}: divideByScalar is the f64 division, rounded once`);
      assert.ok(Number.isNaN(read(dAlpha.ptr, n + 1)[n]), `${label}: divideByScalar writes n floats`);
      for (const b of [u, alpha, out, g, dAlpha]) b.dispose();
    }
    for (const rows of [1, 3, 4, 5]) {
      // Ties: the first of equals.
      const alphas = Float32Array.from(seededValues(n, n + 70), (v, j) => (n > 2 && j === n - 1 ? Math.max(...seededValues(n, n + 70).slice(0, n - 1)) : v));
      const alpha = buffer(alphas), y = buffer(new Float32Array(rows * n + 1).fill(NaN));
      k().gumbelSettled(rows, n, alpha.ptr, y.ptr);
      const got = read(y.ptr, rows * n + 1);
      assert.deepEqual(Array.from(got.subarray(0, rows * n)), Array.from(gumbelSettledRef(f64(alphas), rows)), `n=${n} rows=${rows}: gumbelSettled`);
      assert.ok(Number.isNaN(got[rows * n]), `n=${n} rows=${rows}: gumbelSettled writes rows × n floats`);
      alpha.dispose(); y.dispose();
    }
  }
  for (const T of [1, 2, 3, 5]) {
    const count = T * T, spec = { alphaDiagonal: 0.85 };
    const offsets = seededValues(count, T + 80).map((v) => 0.3 * v);
    const alpha0 = crossStitchAlpha(spec, { 'cross.0.alphaOffset': new Float64Array(count) }, 0, T);
    const a0 = Matrix.zeros(1, 2 * count);
    new Float64Array(heapF32().buffer, a0.ptr, count).set(alpha0);
    const off = buffer(offsets), alpha = buffer(new Float32Array(count + 1).fill(NaN));
    k().crossStitchAlpha(count, a0.ptr, off.ptr, alpha.ptr);
    const got = read(alpha.ptr, count + 1);
    assert.deepEqual(bits(got.subarray(0, count)), bits(Array.from(alpha0, (v, i) => v + offsets[i])), `T=${T}: crossStitchAlpha is α⁰ + offset in f64, rounded once`);
    assertClose(got.subarray(0, count), crossStitchAlpha(spec, { 'cross.0.alphaOffset': f64(offsets) }, 0, T), { ...KERNEL, label: `T=${T} crossStitchAlpha` });
    assert.ok(Number.isNaN(got[count]), `T=${T}: crossStitchAlpha writes T² floats`);
    const table = ints(Array.from({ length: T + 1 }, () => -1));
    for (let t = 0; t < T; t++) k().writePointer(table.ptr, t, 0x10000 + 16 * t);
    assert.deepEqual(Array.from(new Int32Array(heapF32().buffer, table.ptr, T + 1)), [...Array.from({ length: T }, (_, t) => 0x10000 + 16 * t), -1], `T=${T}: writePointer`);
    for (const b of [a0, off, alpha, table]) b.dispose();
  }
});
