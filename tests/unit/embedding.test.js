// Embedding tables for identifier columns (docs/embeddings.md): the kernels
// (assembly/embedding.ts) against f64 references at widths below, at and above the
// SIMD width with odd remainders; the 'embedding' operation's gradients against
// central differences; the spec, the preprocessing and the model around them.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, Matrix, Parameters, Rng, ArgumentError } from '../../dist/index.js';
import { heapF32, runtime, describeModel, NetworkEngine } from '../../dist/internal.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import { checkOp } from '../helpers/check-op.js';
import { embeddingGatherRef, embeddingScatterAddRef } from '../helpers/embedding-reference.js';

before(async () => { await init(); });

const k = () => runtime('embedding test').kernels;
const read = (ptr, n) => heapF32().slice(ptr >>> 2, (ptr >>> 2) + n);
const f64 = (a) => Float64Array.from(a);

// Rows of [a number, an index, a number, an index] (ldx 4): the kernels read a strided column.
function indexColumns(rows, entries, seed) {
  const v = seededValues(rows * 4, seed);
  for (let r = 0; r < rows; r++) {
    v[r * 4 + 1] = (r * 5 + seed) % entries;
    v[r * 4 + 3] = (r * 3) % entries; // rows repeat: scatter-add sums them
  }
  return v;
}

test('embeddingGather and embeddingScatterAdd match f64 references below, at and above the SIMD width', () => {
  const entries = 7;
  for (const d of [1, 3, 4, 5, 8, 13]) {
    for (const rows of [1, 5, 9]) {
      const label = `d ${d}, rows ${rows}`;
      const xs = indexColumns(rows, entries, d + rows);
      const x = Matrix.from(xs, rows, 4);
      const tableValues = seededValues(entries * d, d * 31);
      const table = Matrix.from(tableValues, entries, d);
      // y has a wider row (ldy d + 2): the kernel writes only its d columns.
      const y = Matrix.from(new Float32Array(rows * (d + 2)).fill(-7), rows, d + 2);
      assert.equal(k().embeddingGather(rows, d, x.ptr, 4, 3, table.ptr, entries, y.ptr, d + 2), -1, label);
      const got = read(y.ptr, rows * (d + 2));
      const want = embeddingGatherRef(rows, d, f64(xs), 4, 3, f64(tableValues));
      for (let r = 0; r < rows; r++) {
        assert.deepEqual(Array.from(got.subarray(r * (d + 2), r * (d + 2) + d)), Array.from(want.subarray(r * d, r * d + d)), `${label}: gather row ${r}`);
        assert.deepEqual(Array.from(got.subarray(r * (d + 2) + d, (r + 1) * (d + 2))), [-7, -7], `${label}: gather leaves the rest of the row`);
      }
      const gradValues = seededValues(entries * d, d * 17 + 1);
      const grad = Matrix.from(gradValues, entries, d);
      const dyValues = seededValues(rows * d, rows * 3 + d);
      const dy = Matrix.from(dyValues, rows, d);
      k().embeddingScatterAdd(rows, d, x.ptr, 4, 1, dy.ptr, d, grad.ptr);
      const expected = embeddingScatterAddRef(rows, d, f64(xs), 4, 1, f64(dyValues), f64(gradValues));
      assertClose(read(grad.ptr, entries * d), expected, { atol: 1e-6, rtol: 1e-6, label: `${label}: scatter-add` });
      const used = new Set(Array.from({ length: rows }, (_, r) => xs[r * 4 + 1]));
      for (let i = 0; i < entries; i++) {
        if (used.has(i)) continue;
        assert.deepEqual(Array.from(read(grad.ptr + i * d * 4, d)), Array.from(Float32Array.from(gradValues.slice(i * d, i * d + d))), `${label}: row ${i} untouched`);
      }
      for (const m of [x, table, y, grad, dy]) m.dispose();
    }
  }
});

test('embeddingGather reports the first row whose index is not a row of the table, and writes nothing from it on', () => {
  for (const bad of [7, -1, 2.5, NaN, 1e9]) {
    const x = Matrix.from([1, 0, 0, 2], 4, 1);
    heapF32()[(x.ptr >>> 2) + 2] = bad; // NaN too, which Matrix.from refuses
    const table = Matrix.from(seededValues(7 * 3, 1), 7, 3);
    const y = Matrix.from(new Float32Array(12).fill(9), 4, 3);
    assert.equal(k().embeddingGather(4, 3, x.ptr, 1, 0, table.ptr, 7, y.ptr, 3), 2, `index ${bad}`);
    assert.deepEqual(Array.from(read(y.ptr + 24, 6)), [9, 9, 9, 9, 9, 9], `index ${bad}: rows from the bad one on are not written`);
    for (const m of [x, table, y]) m.dispose();
  }
});

// An encoded row [a, team₁, b, team₂]: team columns share one table of 6 rows, d 5.
const TABLES = [{ table: 'team', entries: 6, dim: 5, columns: [1, 3] }];

function makeEngine(spec, tables = TABLES, inputSize = 4, rows = 7) {
  const description = describeModel(spec, [{ name: 'y', kind: 'regression', width: 1 }], inputSize, undefined, 'glorotUniform', tables);
  const params = new Parameters();
  const rng = new Rng(3, 1);
  const engine = new NetworkEngine(description, params, rng);
  const initRng = new Rng(3, 0);
  params.allocate(initRng);
  initRng.dispose();
  engine.allocate(rows);
  return { description, params, engine, dispose() { engine.dispose(); params.dispose(); rng.dispose(); } };
}

/** f64 reference of a one-layer tanh trunk on [a, b, T[team₁], T[team₂]]. */
function trunkRef(x, rows, p, units) {
  const W = p['shared.0.weight'], b = p['shared.0.bias'], T = p['embedding.team'], d = 5, n = 2 + 2 * d;
  const z = new Float64Array(rows * units);
  for (let r = 0; r < rows; r++) {
    const row = [x[r * 4], x[r * 4 + 2], ...T.slice(x[r * 4 + 1] * d, x[r * 4 + 1] * d + d), ...T.slice(x[r * 4 + 3] * d, x[r * 4 + 3] * d + d)];
    for (let u = 0; u < units; u++) {
      let s = b[u];
      for (let i = 0; i < n; i++) s += row[i] * W[i * units + u];
      z[r * units + u] = Math.tanh(s);
    }
  }
  return z;
}

test('the embedding operation: forward against an f64 reference, the tables\' and the layer\'s gradients against central differences', () => {
  const units = 3, rows = 7;
  const { description, params, engine, dispose } = makeEngine({ type: 'sharedBottom', units: [units], towerUnits: [], activation: 'tanh' }, TABLES, 4, rows);
  assert.deepEqual(description.tensors.map((t) => `${t.name} ${t.rows}×${t.cols}`).slice(0, 3), ['embedding.team 6×5', 'shared.0.weight 12×3', 'shared.0.bias 1×3']);
  // Team 5 is never used: its gradient must stay zero.
  const xs = indexColumns(rows, 5, 2);
  const x = Matrix.from(xs, rows, 4);
  const p = Object.fromEntries(params.names().map((n) => [n, f64(params.get(n))]));
  const z = engine.forwardShared(x.ptr, rows, true);
  const r = f64(seededValues(rows * units, 5));
  const dZ = Matrix.from(r, rows, units);
  heapF32().fill(NaN, params.grads >>> 2, (params.grads >>> 2) + params.size);
  engine.backwardShared(dZ.ptr, rows);
  const tableGrad = params.gradient('embedding.team');
  assert.deepEqual(Array.from(tableGrad.subarray(25, 30)), [0, 0, 0, 0, 0], 'a row no identifier used has a zero gradient');
  checkOp({
    label: 'embedding → tanh layer', output: read(z, rows * units), expected: trunkRef(f64(xs), rows, p, units),
    forward: { atol: 2e-6, rtol: 1e-5 }, r, gradient: { atol: 2e-5, rtol: 1e-4 },
    gradients: ['embedding.team', 'shared.0.weight', 'shared.0.bias'].map((name) => ({
      name, actual: params.gradient(name), theta: p[name], reference: (theta) => trunkRef(f64(xs), rows, { ...p, [name]: theta }, units),
    })),
  });
  for (const m of [x, dZ]) m.dispose();
  dispose();
});

test('every architecture reading the input stage trains with embeddings, gates and selectors included (tests/unit/embedding-arch.test.js checks their gradients)', () => {
  for (const spec of [
    { type: 'mmoe', experts: 2, expertUnits: [4], towerUnits: [] }, { type: 'cgc', sharedExperts: 1, taskExperts: 1, expertUnits: [4], towerUnits: [] },
    { type: 'dselectK', experts: 3, k: 2, expertUnits: [4], towerUnits: [] },
    { type: 'sharedBottom', units: [4], towerUnits: [] }, { type: 'crossStitch', units: [4], towerUnits: [] }, { type: 'omoe', experts: 2, expertUnits: [4], towerUnits: [] },
    { type: 'ple', levels: 2, sharedExperts: 1, taskExperts: 1, expertUnits: [4], towerUnits: [] }, { type: 'ltb', units: [4, 4], branches: [2], towerUnits: [] },
  ]) {
    const { description, dispose } = makeEngine(spec);
    assert.equal(description.tensors[0].name, 'embedding.team', spec.type);
    dispose();
  }
});

test('bad embedding tables (a forged header) are refused', () => {
  const shape = [{ name: 'y', kind: 'regression', width: 1 }];
  for (const tables of [
    [{ table: 'a', entries: 0, dim: 2, columns: [0] }], [{ table: 'a', entries: 3, dim: 1.5, columns: [0] }], [{ table: 'a', entries: 3, dim: 2, columns: [4] }],
    [{ table: 'a', entries: 3, dim: 2, columns: [] }], [{ table: 'a', entries: 3, dim: 2, columns: [0] }, { table: 'b', entries: 3, dim: 2, columns: [0] }],
    [{ table: 'a', entries: 3, dim: 2, columns: [-1] }], [{ table: 'a', entries: 3, dim: 2, columns: ['1'] }], 'team',
  ]) {
    assert.throws(() => describeModel({ type: 'sharedBottom', units: [4], towerUnits: [] }, shape, 4, undefined, 'glorotUniform', tables), ArgumentError, JSON.stringify(tables));
  }
});

test('an index outside its table (raw arrays) is a typed error naming the feature, not a read past the table', () => {
  const { engine, dispose } = makeEngine({ type: 'sharedBottom', units: [3], towerUnits: [] }, TABLES, 4, 2);
  const x = Matrix.from([0, 1, 0, 6, 0, 2, 0, 3], 2, 4);
  assert.throws(() => engine.forwardShared(x.ptr, 2, false), (e) => e instanceof ArgumentError && /feature 3, row 0 of the batch: not a table row \(0…5\)/.test(e.message));
  x.dispose();
  dispose();
});
