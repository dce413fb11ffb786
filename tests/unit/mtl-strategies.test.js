// Gradient strategies inside the model (src/mtl/core.ts phase A/B): the shared
// gradient a strategy produces equals Σ_t c_t·g_t, with g_t each task's gradient
// from a single-task run (the other tasks' labels masked out, fixed weights, so
// nothing of the strategy under test is involved) and c_t computed here from the
// Gram matrix of those g_t by the strategy's published formula; task-specific
// gradients are the single-task ones scaled by the task weights.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, MultiTaskModel, tasks, loadModel, WEIGHTING_TYPES, ARCHITECTURE_TYPES, ArgumentError } from '../../dist/index.js';
import { parseFile, withHeaderBytes } from '../helpers/model-file.js';
import { typedError } from '../helpers/errors.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import { taskPartRef } from '../helpers/arch-reference.js';
import { lossRef } from '../helpers/loss-reference.js';
import { coreGradients, withCoreBatch, paramsF64, headRef } from '../helpers/mtl-reference.js';
import { centralDifferences } from '../helpers/check-op.js';

before(async () => { await init(); });

const ROWS = 8, INPUT = 4;
const ARCH = { type: 'sharedBottom', units: [5, 4], towerUnits: [3], activation: 'tanh' };
const SHARED = ['shared.0.weight', 'shared.0.bias', 'shared.1.weight', 'shared.1.bias'];
const xs = seededValues(ROWS * INPUT, 7);
// Two regression tasks pulling the same (copied) tower and head in opposite directions: conflicting gradients.
const up = Array.from(seededValues(ROWS, 8), (v) => 1.5 * v + 0.5);
const down = up.map((v, i) => -0.8 * v + 0.1 * (i % 3));
const NONE = new Array(ROWS).fill(NaN);
// Σ c_t·g_t formed here in f64 from f32 gradients vs the model's f32 combination:
// rounding of a few products, and of c_t from an f32 Gram matrix.
const COMBINED = { atol: 1e-6, rtol: 1e-4 };

function makeModel(weighting) {
  const model = new MultiTaskModel({
    input: { features: INPUT }, architecture: ARCH, seed: 2,
    tasks: [tasks.regression('up'), tasks.regression('down')],
    ...(weighting ? { weighting } : { affinity: false }),
  });
  const p = model.parameters;
  p.list().forEach((info, i) => { if (info.name.endsWith('.bias')) p.set(info.name, seededValues(info.size, 40 + i).map((v) => 0.3 * v)); });
  for (const part of ['tower', 'head']) {
    for (const name of p.names().filter((n) => n.startsWith(`${part}.up.`))) p.set(name.replace('.up.', '.down.'), p.get(name));
  }
  return model;
}

function gradients(model, labels) {
  return coreGradients(model, { x: xs, rows: ROWS, labels }).grads;
}

/** g_up and g_down from single-task runs of a fixed-weight model with the same weights. */
function perTask() {
  const ref = makeModel(null);
  const gUp = gradients(ref, { up, down: NONE });
  const gDown = gradients(ref, { up: NONE, down });
  ref.dispose();
  return { gUp, gDown };
}

const flat = (g) => Float64Array.from(SHARED.flatMap((n) => Array.from(g[n])));
const dotF64 = (a, b) => a.reduce((s, v, i) => s + v * b[i], 0);

function checkShared(actual, gUp, gDown, cUp, cDown, label) {
  for (const n of SHARED) {
    const expected = Float64Array.from(gUp[n], (v, i) => cUp * v + cDown * gDown[n][i]);
    assertClose(actual[n], expected, { ...COMBINED, label: `${label}: ${n}` });
  }
}

function checkTaskSpecific(actual, gUp, gDown, label) {
  for (const n of Object.keys(actual).filter((k) => !SHARED.includes(k))) {
    const own = n.includes('.up.') ? gUp : gDown;
    assert.deepEqual(actual[n], own[n], `${label}: ${n} is the single-task gradient (task weight 1)`);
  }
}

test('PCGrad (parameter gradients, two tasks): shared gradient = g₁ + g₂ each projected off the other', () => {
  const { gUp, gDown } = perTask();
  const a = flat(gUp), b = flat(gDown);
  const ab = dotF64(a, b);
  assert.ok(ab < 0, `the test needs conflicting gradients; g_up·g_down = ${ab}`);
  // g₁ᴾᶜ = g₁ − (g₁·g₂/‖g₂‖²)·g₂, g₂ᴾᶜ = g₂ − (g₂·g₁/‖g₁‖²)·g₁; shared = g₁ᴾᶜ + g₂ᴾᶜ.
  const cUp = 1 - ab / dotF64(a, a), cDown = 1 - ab / dotF64(b, b);
  const model = makeModel({ type: 'pcgrad' });
  const g = gradients(model, { up, down });
  checkShared(g, gUp, gDown, cUp, cDown, 'pcgrad');
  checkTaskSpecific(g, gUp, gDown, 'pcgrad');
  // The plain sum would differ: the projection is visible.
  const sum = Float64Array.from(gUp['shared.0.weight'], (v, i) => v + gDown['shared.0.weight'][i]);
  assert.ok(g['shared.0.weight'].some((v, i) => Math.abs(v - sum[i]) > 100 * (1e-6 + 1e-4 * Math.abs(sum[i]))), 'PCGrad differs from the plain sum');
  // One task labeled: nothing to project; its gradient passes through bit for bit, the other task gets nothing.
  const only = gradients(model, { up, down: NONE });
  for (const n of Object.keys(only)) assert.deepEqual(only[n], n.includes('.down.') ? new Float32Array(only[n].length) : gUp[n], `one active task: ${n}`);
  model.dispose();
});

test('MGDA (parameter gradients, two tasks): shared gradient = α·g₁ + (1 − α)·g₂ at the closed-form min-norm α', () => {
  const { gUp, gDown } = perTask();
  const a = flat(gUp), b = flat(gDown);
  const diff = a.map((v, i) => v - b[i]);
  const alpha = Math.min(1, Math.max(0, dotF64(b.map((v, i) => v - a[i]), b) / dotF64(diff, diff)));
  assert.ok(alpha > 0.05 && alpha < 0.95, `an interior min-norm point (α = ${alpha})`);
  const model = makeModel({ type: 'mgda', gradients: 'parameters' });
  const g = gradients(model, { up, down });
  checkShared(g, gUp, gDown, alpha, 1 - alpha, 'mgda');
  checkTaskSpecific(g, gUp, gDown, 'mgda');
  // The min-norm combination is a common descent direction: d·g_t ≥ ‖d‖² (up to rounding).
  const d = flat(g);
  for (const gt of [a, b]) assert.ok(dotF64(d, gt) >= dotF64(d, d) * (1 - 1e-4), 'd·g_t ≥ ‖d‖²');
  model.dispose();
});

test('MGDA-UB (representation gradients, the default): α from the Gram matrix of dL_t/dZ, computed here by central differences', () => {
  const { gUp, gDown } = perTask();
  const model = makeModel({ type: 'mgda' });
  // dL_t/dZ in f64: Z from the trunk, then L_t(Z) through task t's tower, head and MSE.
  const p = paramsF64(model);
  const names = ['up', 'down'];
  const x = Float64Array.from(xs);
  const trunk = (() => {
    let h = x, m = INPUT;
    for (const [l, u] of [[0, 5], [1, 4]]) {
      const W = p[`shared.${l}.weight`], bias = p[`shared.${l}.bias`], y = new Float64Array(ROWS * u);
      for (let i = 0; i < ROWS; i++) for (let j = 0; j < u; j++) {
        let s = bias[j];
        for (let k = 0; k < m; k++) s += h[i * m + k] * W[k * u + j];
        y[i * u + j] = Math.tanh(s);
      }
      h = y; m = u;
    }
    return h;
  })();
  const lossOfZ = (t, targets) => (Z) => {
    const R = taskPartRef(ARCH, { params: p, x, Z, rows: ROWS, inputSize: INPUT, taskNames: names })[t];
    const z = headRef(p, { name: names[t] }, R, ROWS, 3, 1);
    return lossRef({ type: 'mse' }, { rows: ROWS, cols: 1, logits: z, targets });
  };
  // The model standardizes nothing here: labels go to the core as given.
  const dZup = centralDifferences(lossOfZ(0, up), trunk, 1e-5).grad, dZdown = centralDifferences(lossOfZ(1, down), trunk, 1e-5).grad;
  const diff = dZup.map((v, i) => v - dZdown[i]);
  const alpha = Math.min(1, Math.max(0, dotF64(dZdown.map((v, i) => v - dZup[i]), dZdown) / dotF64(diff, diff)));
  assert.ok(alpha > 0.05 && alpha < 0.95, `an interior min-norm point (α = ${alpha})`);
  const g = gradients(model, { up, down });
  checkShared(g, gUp, gDown, alpha, 1 - alpha, 'mgda-ub');
  checkTaskSpecific(g, gUp, gDown, 'mgda-ub');
  model.dispose();
});

test('fixed weights on the per-task path (affinity measured): shared = Σ w_t·g_t, task parts = w_t·(their single-task gradient)', () => {
  const { gUp, gDown } = perTask();
  const model = new MultiTaskModel({
    input: { features: INPUT }, architecture: ARCH, seed: 2,
    tasks: [tasks.regression('up', { weight: 0.3 }), tasks.regression('down', { weight: 2.5 })],
  });
  // Same weights as the reference models.
  const ref = makeModel(null);
  for (const n of ref.parameters.names()) model.parameters.set(n, ref.parameters.get(n));
  ref.dispose();
  const g = gradients(model, { up, down });
  checkShared(g, gUp, gDown, 0.3, 2.5, 'fixed');
  for (const n of Object.keys(g).filter((k) => !SHARED.includes(k))) {
    const [w, own] = n.includes('.up.') ? [0.3, gUp] : [2.5, gDown];
    assertClose(g[n], Float64Array.from(own[n], (v) => w * v), { atol: 1e-7, rtol: 1e-6, label: `fixed: ${n} = w·g` });
  }
  model.dispose();
});

// ---------------------------------------------------------------------------
// Cross-stitch: task t's tower reads block t of Z alone, so dL_up/dZ and dL_down/dZ
// never overlap (a diagonal Gram matrix, nothing for GradDrop to drop, an identity
// affinity). There the strategies that could take either source default to the
// shared parameters' gradients (the columns and α: every column reaches every task
// through α), and 'representation' is refused.

const CS = { type: 'crossStitch', units: [5, 4], towerUnits: [3], activation: 'tanh' };
const CS_SHARED = ['column.up.0.weight', 'column.up.0.bias', 'column.down.0.weight', 'column.down.0.bias', 'cross.0.alphaOffset',
  'column.up.1.weight', 'column.up.1.bias', 'column.down.1.weight', 'column.down.1.bias', 'cross.1.alphaOffset'];

function makeCrossStitch(weighting, options = {}) {
  return new MultiTaskModel({
    input: { features: INPUT }, architecture: CS, seed: 2,
    tasks: [tasks.regression('up'), tasks.regression('down')],
    ...(weighting ? { weighting } : { affinity: false }), ...options,
  });
}

/** g_up and g_down on the cross-stitch network's shared parameters, from single-task runs. */
function perTaskCrossStitch() {
  const ref = makeCrossStitch(null);
  const gUp = gradients(ref, { up, down: NONE }), gDown = gradients(ref, { up: NONE, down });
  ref.dispose();
  const flatCs = (g) => Float64Array.from(CS_SHARED.flatMap((n) => Array.from(g[n])));
  return { gUp, gDown, a: flatCs(gUp), b: flatCs(gDown) };
}

test('crossStitch: MGDA, GradDrop and the other strategies of either source default to the shared parameters\' gradients', () => {
  const { gUp, gDown, a, b } = perTaskCrossStitch();
  // Both tasks reach both columns (through α): their parameter gradients overlap.
  assert.ok(Math.abs(dotF64(a, b)) > 1e-6 * Math.sqrt(dotF64(a, a) * dotF64(b, b)), 'g_up·g_down ≠ 0');
  const diff = a.map((v, i) => v - b[i]);
  const alpha = Math.min(1, Math.max(0, dotF64(b.map((v, i) => v - a[i]), b) / dotF64(diff, diff)));
  assert.ok(alpha > 0.05 && alpha < 0.95, `an interior min-norm point (α = ${alpha})`);
  const mgda = makeCrossStitch({ type: 'mgda' });
  assert.equal(mgda.core.gradientSource, 'parameters');
  const g = gradients(mgda, { up, down });
  for (const n of CS_SHARED) {
    assertClose(g[n], Float64Array.from(gUp[n], (v, i) => alpha * v + (1 - alpha) * gDown[n][i]), { ...COMBINED, label: `mgda: ${n}` });
  }
  mgda.dispose();
  // GradDrop without leak drops the gradient of one sign where the two disagree: the shared gradient is not the sum.
  const drop = makeCrossStitch({ type: 'graddrop' });
  assert.equal(drop.core.gradientSource, 'parameters');
  assert.equal(drop.core.weighting.config().gradients, 'either');
  const gd = gradients(drop, { up, down });
  const dropped = CS_SHARED.some((n) => gd[n].some((v, i) => Math.abs(v - (gUp[n][i] + gDown[n][i])) > 1e-4));
  assert.ok(dropped, 'some gradient dropped');
  drop.dispose();
  for (const type of ['gradnorm', 'imtl', 'alignedmtl']) {
    const m = makeCrossStitch({ type });
    assert.equal(m.core.gradientSource, 'parameters', type);
    m.dispose();
  }
});

test('crossStitch: gradients: \'representation\' is refused, in the strategy\'s spec and in the model\'s option', () => {
  const message = /MultiTaskModel: (weighting "(graddrop|mgda|pcgrad)": )?gradients: 'representation' cannot work on crossStitch: tasks "up" and "down" read disjoint columns of the shared representation/;
  for (const weighting of [{ type: 'graddrop', gradients: 'representation' }, { type: 'mgda', gradients: 'representation' }, { type: 'pcgrad', gradients: 'representation' }]) {
    assert.throws(() => makeCrossStitch(weighting), (e) => e instanceof ArgumentError && message.test(e.message), weighting.type);
  }
  assert.throws(() => makeCrossStitch({ type: 'mgda' }, { gradients: 'representation' }), (e) => e instanceof ArgumentError && message.test(e.message));
  // A head that reads the other task's prediction (and backpropagates into it) reaches the other's block too: allowed.
  const joined = new MultiTaskModel({
    input: { features: INPUT }, architecture: CS, weighting: { type: 'graddrop', gradients: 'representation' },
    tasks: [tasks.regression('up'), tasks.regression('down', { inputsFrom: ['up'] })],
  });
  assert.equal(joined.core.gradientSource, 'representation');
  joined.dispose();
});

test('every architecture: tasks share a column of Z (default: the representation\'s gradients) except on crossStitch', () => {
  const specs = {
    sharedBottom: { type: 'sharedBottom', units: [5], towerUnits: [3] },
    mmoe: { type: 'mmoe', experts: 2, expertUnits: [4], towerUnits: [] },
    omoe: { type: 'omoe', experts: 2, expertUnits: [4], towerUnits: [3] },
    cgc: { type: 'cgc', sharedExperts: 1, taskExperts: 1, expertUnits: [4], towerUnits: [] },
    ple: { type: 'ple', levels: 2, sharedExperts: 1, taskExperts: 2, expertUnits: [4], towerUnits: [3] },
    crossStitch: CS,
    dselectK: { type: 'dselectK', experts: 3, k: 1, expertUnits: [4], towerUnits: [] },
    ltb: { type: 'ltb', units: [5, 4], branches: [2], towerUnits: [] },
    conv1d: { type: 'conv1d', steps: 2, filters: [3], kernelSize: 2, towerUnits: [] },
    transformer: { type: 'transformer', steps: 2, dModel: 4, heads: 2, feedForward: 4, towerUnits: [] },
  };
  assert.deepEqual(Object.keys(specs).sort(), [...ARCHITECTURE_TYPES].sort(), 'a spec per architecture');
  for (const [type, architecture] of Object.entries(specs)) {
    const m = new MultiTaskModel({
      input: { features: INPUT }, architecture, seed: 3, weighting: { type: 'mgda' }, affinity: { every: 1 },
      tasks: [tasks.regression('up'), tasks.regression('down')],
    });
    assert.equal(m.core.gradientSource, type === 'crossStitch' ? 'parameters' : 'representation', type);
    // The affinity after one step: a cosine of overlapping gradients, never the structural 0 of disjoint ones.
    gradients(m, { up, down });
    const c = m.taskAffinity().matrix[0][1];
    assert.ok(Number.isFinite(c) && c !== 0, `${type}: affinity ${c}`);
    m.dispose();
  }
});

test('crossStitch: taskAffinity is the cosine of the tasks\' shared-parameter gradients (not the identity of Z\'s)', () => {
  const { a, b } = perTaskCrossStitch();
  const expected = dotF64(a, b) / Math.sqrt(dotF64(a, a) * dotF64(b, b));
  const m = makeCrossStitch({ type: 'fixed' }, { affinity: { every: 1 } });
  gradients(m, { up, down });
  const aff = m.taskAffinity();
  assert.equal(aff.samples[0][1], 1);
  assertClose([aff.matrix[0][1]], [expected], { atol: 1e-5, rtol: 1e-4, label: 'cosine' });
  assert.ok(Math.abs(expected) > 1e-3, `the test needs overlapping gradients (cosine ${expected})`);
  m.dispose();
});

// ---------------------------------------------------------------------------
// Strategies that write the shared gradient themselves (needs.vectors) and that
// learn from the losses after the update (needs.lossesAfterUpdate).

test('needs.vectors, parameter gradients: the strategy\'s output becomes the shared gradient (TrimmedMean with trim 0: the mean)', () => {
  const { gUp, gDown } = perTask();
  const model = makeModel({ type: 'trimmedmean', trim: 0 });
  const g = gradients(model, { up, down });
  checkShared(g, gUp, gDown, 0.5, 0.5, 'trimmedmean, parameters');
  checkTaskSpecific(g, gUp, gDown, 'trimmedmean, parameters');
  model.dispose();
});

test('needs.vectors, representation gradients: the strategy writes dL/dZ and the shared part runs backward on it', () => {
  const { gUp, gDown } = perTask();
  for (const [weighting, c] of [[{ type: 'trimmedmean', trim: 0, gradients: 'representation' }, 0.5], [{ type: 'graddrop', leak: 1 }, 1]]) {
    const model = makeModel(weighting);
    const g = gradients(model, { up, down });
    checkShared(g, gUp, gDown, c, c, weighting.type);
    checkTaskSpecific(g, gUp, gDown, weighting.type);
    model.dispose();
  }
  // GradDrop with no leak: each column of dL/dZ keeps one sign, so the shared gradient differs from the sum.
  const drop = makeModel({ type: 'graddrop' });
  const g = gradients(drop, { up, down });
  const sum = Float64Array.from(gUp['shared.1.weight'], (v, i) => v + gDown['shared.1.weight'][i]);
  assert.ok(g['shared.1.weight'].some((v, i) => Math.abs(v - sum[i]) > 1e-4), 'some gradient dropped');
  checkTaskSpecific(g, gUp, gDown, 'graddrop');
  drop.dispose();
});

test('needs.lossesAfterUpdate: FAMO gets the batch\'s losses at the new weights and steps its logits from them', () => {
  const model = makeModel({ type: 'famo' });
  const after = new Float64Array(2), counts = new Float64Array(2);
  const before = withCoreBatch(model, { x: xs, rows: ROWS, labels: { up, down } }, () => {
    const losses = Array.from(model.core.trainBatch(ROWS, 1e-2, 0));
    model.core.evaluateBatch(ROWS, after, counts); // the same rows at the updated weights (no dropout here)
    return losses;
  });
  const delta = before.map((l, t) => Math.log(l + 1e-8) - Math.log(after[t] + 1e-8));
  const zd = 0.5 * (delta[0] + delta[1]);
  const grad = delta.map((d) => 0.5 * (d - zd));
  assertClose(Array.from(model.core.weighting.logits()), grad.map((x) => -0.025 * x / (Math.abs(x) + 1e-8)), { atol: 1e-12, rtol: 1e-9, label: 'ξ after one step' });
  model.dispose();
});

test('a model with a strategy that keeps gradient vectors saves and reloads them: training continues identically (from a fresh optimizer)', async () => {
  for (const weighting of [{ type: 'moco' }, { type: 'modo', gamma: 0.05 }]) {
    const make = () => new MultiTaskModel({
      input: { features: INPUT }, architecture: ARCH, seed: 4, weighting,
      tasks: [tasks.regression('up'), tasks.regression('down')],
    });
    const x = Array.from({ length: ROWS }, (_, i) => Array.from(xs.slice(i * INPUT, (i + 1) * INPUT)));
    const a = make();
    await a.fit(x, { up, down }, { epochs: 3, batchSize: 4, shuffle: false });
    const b = loadModel(a.save());
    assert.deepEqual(b.core.weighting.state(), a.core.weighting.state(), `${weighting.type}: state restored`);
    a.core.resetOptimizer(); // a model file keeps no optimizer state: compare from the same fresh one
    await a.fit(x, { up, down }, { epochs: 2, batchSize: 4, shuffle: false });
    await b.fit(x, { up, down }, { epochs: 2, batchSize: 4, shuffle: false });
    for (const n of a.parameters.names()) assert.deepEqual(b.parameters.get(n), a.parameters.get(n), `${weighting.type}: ${n}`);
    a.dispose();
    b.dispose();
  }
});

test('every strategy\'s state survives the model file: save → loadModel gives the same state() and weights', async () => {
  const x = Array.from({ length: ROWS }, (_, i) => Array.from(xs.slice(i * INPUT, (i + 1) * INPUT)));
  const third = up.map((v, i) => 0.3 * v + 0.2 * down[i]);
  for (const type of WEIGHTING_TYPES) {
    const m = new MultiTaskModel({
      input: { features: INPUT }, architecture: ARCH, seed: 1, weighting: { type },
      tasks: [tasks.regression('up'), tasks.regression('down'), tasks.regression('third')],
    });
    await m.fit(x, { up, down, third }, { epochs: 2, batchSize: 4 });
    const back = loadModel(m.save());
    assert.deepEqual(back.core.weighting.state(), m.core.weighting.state(), `${type}: state`);
    assert.deepEqual(back.core.weighting.config(), m.core.weighting.config(), `${type}: config`);
    assert.deepEqual(Array.from(back.core.weighting.currentWeights()), Array.from(m.core.weighting.currentWeights()), `${type}: weights`);
    m.dispose();
    back.dispose();
  }
});

test('task weights: { type: \'fixed\' } without weights takes them, as the default weighting does; fixed weights that disagree, or another strategy, refuse them; files that held an unread one still load', async () => {
  const x = Array.from({ length: ROWS }, (_, i) => Array.from(xs.slice(i * INPUT, (i + 1) * INPUT)));
  const make = (weighting, weight = 5) => new MultiTaskModel({
    input: { features: INPUT }, architecture: ARCH, seed: 2, affinity: false,
    tasks: [tasks.regression('up', weight === null ? {} : { weight }), tasks.regression('down')], ...(weighting ? { weighting } : {}),
  });
  const weightsOf = (m) => m.parameters.names().map((n) => Array.from(m.parameters.get(n)));
  const byDefault = make(undefined), fixed = make({ type: 'fixed' });
  try {
    const h = await fixed.fit(x, { up, down }, { epochs: 2, batchSize: 4, shuffle: false });
    await byDefault.fit(x, { up, down }, { epochs: 2, batchSize: 4, shuffle: false });
    assert.deepEqual(h.get('up_weight'), [5, 5]);
    assert.deepEqual(h.get('down_weight'), [1, 1]);
    assert.deepEqual(weightsOf(fixed), weightsOf(byDefault), 'the same training as the default weighting');
  } finally {
    fixed.dispose();
    byDefault.dispose();
  }
  // The same weight said twice is one statement; two different ones are refused, naming both.
  make({ type: 'fixed', weights: { up: 5, down: 1 } }).dispose();
  make({ type: 'fixed', weights: [5, 2] }).dispose();
  const refused = (pattern) => typedError(ArgumentError, 'E_ARGUMENT', pattern);
  assert.throws(() => make({ type: 'fixed', weights: { up: 3, down: 1 } }), refused(/MultiTaskModel: task "up" has weight 5, but the fixed weighting's weights give it 3; give a task's weight in one place/));
  assert.throws(() => make({ type: 'fixed', weights: [3, 1] }), refused(/task "up" has weight 5, but the fixed weighting's weights give it 3/));
  // Other strategies set the task weights themselves (as LibMTL's): a task weight would be ignored.
  for (const type of WEIGHTING_TYPES.filter((t) => t !== 'fixed')) {
    assert.throws(() => make({ type }), refused(new RegExp(`task "up" has weight 5, but the "${type}" weighting sets the task weights itself \\(only 'fixed' reads a task's weight\\)`)), type);
  }
  make({ type: 'uncertainty' }, 1).dispose(); // 1 weights nothing

  // Files written before the check: a weight next to another strategy, or next to fixed weights that won.
  const forged = (m, edit) => {
    const f = parseFile(m.save());
    edit(f.header);
    return withHeaderBytes(m.save(), new TextEncoder().encode(JSON.stringify(f.header)));
  };
  for (const [weighting, header] of [[{ type: 'uncertainty' }, (h) => { h.tasks[0].weight = 5; }], [{ type: 'fixed', weights: [1, 1] }, (h) => { h.tasks[0].weight = 5; }]]) {
    const m = make(weighting, null);
    const loaded = loadModel(forged(m, header));
    try {
      assert.equal(loaded.tasks[0].weight, undefined, weighting.type);
      assert.deepEqual(loaded.core.weighting.config(), m.core.weighting.config());
      assert.deepEqual(loaded.predict(x), m.predict(x));
    } finally {
      m.dispose();
      loaded.dispose();
    }
  }
});
