// Learning to Branch (src/mtl/arch/ltb.ts): the training forward (Gumbel-softmax
// parent choices) against an f64 reference drawn from the same seeded stream, every
// parameter gradient and dZ against central differences of that reference with the
// sampling fixed, the argmax tree outside training, determinism from the seed, the
// model file and manytask/infer (also in model-file.test.js), and bad specs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  init, Matrix, Rng, MultiTaskModel, tasks, Dataset, loadModel, ShapeError, ArgumentError,
} from '../../dist/index.js';
import * as sharedInfer from '../../dist/infer.js';
import { heapF32 } from '../../dist/internal.js';
import { makeArchitecture } from '../helpers/arch-engine.js';
import { denseLayerRef, softmaxRef } from '../helpers/arch-reference.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import { checkOp } from '../helpers/check-op.js';
import { expectError } from '../helpers/errors.js';

before(async () => { await init(); });

const FORWARD = { atol: 2e-5, rtol: 1e-4 };
const GRADIENT = { atol: 2e-4, rtol: 2e-3 };
const f64 = (a) => Float64Array.from(a);
const read = (ptr, n) => heapF32().slice(ptr >>> 2, (ptr >>> 2) + n);
const tanh = (v) => Math.tanh(v);

/** Σ_j w_j · nodes[j] (rows × d each), w one distribution for every row. */
function mixRef(w, nodes, rows, d) {
  const out = new Float64Array(rows * d);
  nodes.forEach((n, j) => { for (let i = 0; i < rows * d; i++) out[i] += w[j] * n[i]; });
  return out;
}

/**
 * The f64 LTB of spec (tanh layers) on x. `noise`: the Gumbel draws in the order the
 * engine makes them (shared layers' nodes, then each task's), or null for the argmax
 * tree. With `Z` given, the last shared layer's nodes are read from it (the task parts alone).
 */
function ltbRef(spec, { params: p, x, rows, inputSize, taskNames, noise, Z }) {
  const L = spec.units.length, tau = spec.temperature ?? 1;
  let k = 0;
  const choose = (name, count) => {
    const a = p[name];
    assert.equal(a.length, count, name);
    if (noise === null) {
      let best = 0;
      for (let j = 1; j < count; j++) if (a[j] > a[best]) best = j;
      return Float64Array.from({ length: count }, (_, j) => (j === best ? 1 : 0));
    }
    const g = noise[k++];
    return softmaxRef(Float64Array.from(a, (v, j) => (v + g[j]) / tau), 1, count);
  };
  const d = spec.units[L - 2], K = spec.branches[L - 2];
  let nodes = Z !== undefined
    ? Array.from({ length: K }, (_, j) => Float64Array.from({ length: rows * d }, (_, i) => Z[Math.floor(i / d) * K * d + j * d + (i % d)]))
    : Array.from({ length: spec.branches[0] }, (_, i) => denseLayerRef(p, `nodes.0.${i}`, x, rows, inputSize, spec.units[0], tanh));
  for (let l = 1; Z === undefined && l < L - 1; l++) {
    const parents = nodes, d = spec.units[l - 1];
    nodes = Array.from({ length: spec.branches[l] }, (_, i) => {
      const w = choose(`parents.${l}.${i}`, parents.length);
      return denseLayerRef(p, `nodes.${l}.${i}`, mixRef(w, parents, rows, d), rows, d, spec.units[l], tanh);
    });
  }
  const z = new Float64Array(rows * K * d);
  nodes.forEach((n, j) => { for (let i = 0; i < rows * d; i++) z[Math.floor(i / d) * K * d + j * d + (i % d)] = n[i]; });
  const R = taskNames.map((name) => {
    const w = choose(`parents.${name}`, K);
    let h = denseLayerRef(p, `nodes.${name}`, mixRef(w, nodes, rows, d), rows, d, spec.units[L - 1], tanh), width = spec.units[L - 1];
    spec.towerUnits.forEach((u, j) => { h = denseLayerRef(p, `tower.${name}.${j}`, h, rows, width, u, tanh); width = u; });
    return h;
  });
  return { Z: z, R };
}

/**
 * The Gumbel noise a new engine's first training forward draws: the step-wide
 * sequence of its dropout stream, keyed (step 0, pass 0, first pass under that
 * key, STEP_WIDE = 2³² − 1 in place of a shard: src/mtl/engine.ts #keyDraws).
 */
function drawNoise(spec, rng, T) {
  const copy = new Rng(0, 0);
  rng.seedKeyed(copy.state, [0, 0, 0, 0xffffffff]);
  const sizes = [];
  for (let l = 1; l < spec.units.length - 1; l++) for (let i = 0; i < spec.branches[l]; i++) sizes.push(spec.branches[l - 1]);
  for (let t = 0; t < T; t++) sizes.push(spec.branches.at(-1));
  const noise = sizes.map((n) => {
    const m = Matrix.zeros(1, n);
    copy.uniform(m.ptr, n, 0, 1);
    const g = Float64Array.from(read(m.ptr, n), (u) => -Math.log(-Math.log(u + 2 ** -25)));
    m.dispose();
    return g;
  });
  copy.dispose();
  return noise;
}

const TASKS = ['ctr', 'cvr', 'dwell'];
const CASES = [
  { type: 'ltb', units: [5, 4], branches: [3], towerUnits: [3], activation: 'tanh' },
  { type: 'ltb', units: [6, 5, 3], branches: [3, 2], towerUnits: [], activation: 'tanh', temperature: 0.5 },
  { type: 'ltb', units: [4, 7, 5, 3], branches: [2, 3, 4], towerUnits: [2], activation: 'tanh', temperature: 2 },
];

for (const spec of CASES) {
  test(`${JSON.stringify(spec)}: training forward and every gradient with the Gumbel sampling fixed; the argmax tree outside training`, () => {
    for (const [T, rows, inputSize] of [[1, 3, 5], [2, 5, 4], [3, 4, 3]]) {
      const taskNames = TASKS.slice(0, T), label = `ltb ${spec.units.join('-')} T=${T} ${rows}×${inputSize}`;
      const { arch, params, rng, dispose } = makeArchitecture(spec, { inputSize, tasks: taskNames, seed: 3 + T });
      // Parent logits off their zero start (so the choices differ), biases off zero.
      for (const [i, info] of params.list().entries()) {
        if (/^parents\./.test(info.name)) params.set(info.name, seededValues(info.size, 40 + i).map((v) => 1.5 * v));
        else if (/\.bias$/.test(info.name)) params.set(info.name, seededValues(info.size, 70 + i).map((v) => 0.3 * v));
      }
      const p = Object.fromEntries(params.names().map((n) => [n, f64(params.get(n))]));
      const xs = seededValues(rows * inputSize, 99 + T);
      const x = Matrix.from(xs, rows, inputSize);
      const noise = drawNoise(spec, rng, T);
      const ctx = { params: p, x: f64(xs), rows, inputSize, taskNames, noise };

      const z = arch.forwardShared(x.ptr, rows, true);
      const Z = read(z, rows * arch.sharedSize);
      const R = taskNames.map((_, t) => read(arch.forwardTask(t, x.ptr, z, rows, true), rows * arch.outputSizes[t]));
      const ref = ltbRef(spec, ctx);
      assertClose(Z, ref.Z, { ...FORWARD, label: `${label}: Z` });
      R.forEach((r, t) => assertClose(r, ref.R[t], { ...FORWARD, label: `${label}: R_${t}` }));

      heapF32().fill(NaN, params.grads >>> 2, (params.grads >>> 2) + params.size);
      const rs = arch.outputSizes.map((n, t) => seededValues(rows * n, 13 * T + t));
      const rMats = rs.map((r, t) => Matrix.from(r, rows, arch.outputSizes[t]));
      const dZt = rMats.map((m, t) => read(arch.backwardTask(t, m.ptr, rows), rows * arch.sharedSize));
      const dZsum = new Float32Array(rows * arch.sharedSize);
      for (const d of dZt) d.forEach((v, i) => { dZsum[i] += v; });
      const dZ = Matrix.from(dZsum, rows, arch.sharedSize);
      arch.backwardShared(dZ.ptr, rows);
      const flatR = (list) => f64(list.flatMap((r) => Array.from(r)));
      checkOp({
        label, r: flatR(rs), gradient: GRADIENT,
        gradients: arch.names.map((name) => ({
          name, actual: params.gradient(name), theta: p[name],
          reference: (theta) => flatR(ltbRef(spec, { ...ctx, params: { ...p, [name]: theta } }).R),
        })),
      });
      taskNames.forEach((_, t) => {
        checkOp({
          label: `${label}, task ${t}`, r: f64(rs[t]), gradient: GRADIENT,
          gradients: [{ name: `dZ_${t}`, actual: dZt[t], theta: f64(Z), reference: (theta) => ltbRef(spec, { ...ctx, noise: [noise[noise.length - T + t]], Z: theta, taskNames: [taskNames[t]] }).R[0] }],
        });
      });

      // Outside training: each node takes its largest-logit parent, whatever the stream holds.
      const z0 = arch.forwardShared(x.ptr, rows, false);
      const tree = ltbRef(spec, { ...ctx, noise: null });
      assertClose(read(z0, rows * arch.sharedSize), tree.Z, { ...FORWARD, label: `${label}: Z of the tree` });
      taskNames.forEach((_, t) => assertClose(read(arch.forwardTask(t, x.ptr, z0, rows, false), rows * arch.outputSizes[t]), tree.R[t], { ...FORWARD, label: `${label}: R_${t} of the tree` }));
      for (const m of [x, dZ, ...rMats]) m.dispose();
      dispose();
    }
  });
}

test('parameter names and owners: the shared layers are shared, the last layer\'s nodes and choices are the tasks\'', () => {
  const { arch, dispose } = makeArchitecture({ type: 'ltb', units: [4, 3, 2], branches: [3, 2], towerUnits: [2] }, { inputSize: 3, tasks: ['a', 'b'] });
  assert.deepEqual(arch.names, [
    'nodes.0.0.weight', 'nodes.0.0.bias', 'nodes.0.1.weight', 'nodes.0.1.bias', 'nodes.0.2.weight', 'nodes.0.2.bias',
    'parents.1.0', 'nodes.1.0.weight', 'nodes.1.0.bias', 'parents.1.1', 'nodes.1.1.weight', 'nodes.1.1.bias',
    'parents.a', 'nodes.a.weight', 'nodes.a.bias', 'parents.b', 'nodes.b.weight', 'nodes.b.bias',
    'tower.a.0.weight', 'tower.a.0.bias', 'tower.b.0.weight', 'tower.b.0.bias',
  ]);
  assert.equal(arch.sharedSize, 2 * 3);
  assert.deepEqual(arch.sharedNames, arch.names.slice(0, 12));
  assert.equal(arch.owners['parents.b'], 1);
  assert.equal(arch.owners['nodes.a.weight'], 0);
  assert.equal(arch.owners['parents.1.1'], -1);
  dispose();
});

const PENGUINS = readFileSync(new URL('../../examples/data/penguins.csv', import.meta.url), 'utf8');
const SPEC = {
  features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
  targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
};

test('a trained LTB: the seed decides every sample, the file keeps it, manytask/infer predicts the argmax tree bit for bit', async () => {
  const data = Dataset.fromCSV(PENGUINS, SPEC);
  const architecture = { type: 'ltb', units: [12, 8], branches: [3], towerUnits: [4], temperature: 0.5 };
  const make = (seed) => new MultiTaskModel({
    input: data, architecture, seed, optimizer: { type: 'adam', learningRate: 0.02 },
    tasks: [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')],
  });
  const weights = (m) => m.parameters.names().map((n) => Array.from(m.parameters.get(n)));
  const [a, b, c] = [make(5), make(5), make(6)];
  for (const m of [a, b, c]) await m.fit(data, { epochs: 4, batchSize: 32 });
  assert.deepEqual(weights(a), weights(b), 'same seed: bit-identical training, Gumbel samples included');
  assert.notDeepEqual(weights(a), weights(c), 'another seed: another run');
  assert.ok(['species', 'sex', 'body_mass_g'].some((t) => a.parameters.get(`parents.${t}`).some((v) => v !== 0)), 'the parent logits learn');
  const accuracy = a.evaluate(data).tasks.species.accuracy;
  assert.ok(accuracy > 0.8, `the argmax tree predicts (species accuracy ${accuracy})`);

  const bytes = a.save();
  const loaded = loadModel(bytes), lean = sharedInfer.loadModel(bytes);
  assert.deepEqual(loaded.architecture, { ...architecture, activation: 'relu', dropout: 0, initializer: 'glorotUniform' });
  const [head, ...lines] = PENGUINS.trim().split('\n');
  const cols = head.split(',');
  const rows = lines.slice(0, 40).map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
  const want = a.predict(rows);
  assert.deepEqual(loaded.predict(rows), want);
  assert.deepEqual(lean.predict(rows), want);
  for (const m of [a, b, c, loaded, lean]) m.dispose();
});

test('bad LTB specs: typed errors naming the option', () => {
  const model = (architecture) => makeArchitecture(architecture, { inputSize: 3, tasks: ['a'] });
  expectError(() => model({ type: 'ltb', units: [4], branches: [], towerUnits: [] }), ShapeError, 'E_SHAPE', /"ltb": units must list at least two layers/);
  expectError(() => model({ type: 'ltb', units: [4, 3, 2], branches: [2], towerUnits: [] }), ShapeError, 'E_SHAPE', /"ltb": branches must have 2 counts \(one per layer but the last\), got 1/);
  expectError(() => model({ type: 'ltb', units: [4, 3], branches: [0], towerUnits: [] }), ShapeError, 'E_SHAPE', /branches\[0\] must be a positive integer, got 0/);
  expectError(() => model({ type: 'ltb', units: [4, 3], branches: [2], towerUnits: [], temperature: 0 }), ArgumentError, 'E_ARGUMENT', /temperature must be a number in \[0.01, 100\], got 0/);
  expectError(() => model({ type: 'ltb', units: [4, 3], towerUnits: [] }), ArgumentError, 'E_ARGUMENT', /"ltb": missing option "branches"/);
});
