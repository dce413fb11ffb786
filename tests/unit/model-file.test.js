// The model file's weight encodings and the inference-only entry (issue 6):
//
// - manytask/infer (dist/infer.js on dist/infer.wasm) predicts exactly what
//   MultiTaskModel.predict does for the same file and rows, bit for bit, for
//   every architecture, activation, head and task-to-task input, f32/f16/int8
//   files, row objects and arrays, 1 to 2500 rows (several 1024-row chunks);
// - f16 weights are each f32 weight rounded to the nearest binary16 (ties to
//   even; checked against a reference rounding written here), out-of-range
//   values are refused at save; int8 weights are q·scale per tensor with
//   |error| ≤ scale/2 and the largest |value| kept;
// - the f32 layout is the version-1 layout (a file written here by the spec
//   loads, and save's f32 output is byte for byte that file);
// - broken f16/int8 files and headers that describe more network than their
//   weights are refused with ModelFormatError by both loaders, before the
//   model reserves memory;
// - the accuracy cost of f16/int8 on the demo's MMoE (npm run accuracy:weights
//   prints the table) stays within stated bounds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  init, MultiTaskModel, tasks, Dataset, loadModel, ModelFormatError, ArgumentError,
} from '../../dist/index.js';
import { runtime } from '../../dist/internal.js';
import * as sharedInfer from '../../dist/infer.js';
import { parseFile, withCrc, withHeader } from '../helpers/model-file.js';
import { privateInfer } from '../helpers/private-infer.js';

// manytask/infer on infer.wasm, as it runs in production: imported from dist/, it would
// share manytask's runtime and so run on manytask.wasm (helpers/private-infer.js).
let infer, cleanupInfer;
before(async () => {
  ({ infer, cleanup: cleanupInfer } = await privateInfer());
});
after(async () => {
  await cleanupInfer?.();
});

const PENGUINS = readFileSync(new URL('../../examples/data/penguins.csv', import.meta.url), 'utf8');
const SPEC = {
  features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
  targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
};
const ENCODINGS = ['f32', 'f16', 'int8'];
let data, train, held, objects;

before(async () => {
  await init();
  data = Dataset.fromCSV(PENGUINS, SPEC);
  [train, held] = data.split(0.75, { seed: 1, stratify: 'species' });
  const [head, ...lines] = PENGUINS.trim().split('\n');
  const cols = head.split(',');
  objects = lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
});

/** Predictions as text with every Float32Array as its bytes: equal text = equal bits. */
function bits(prediction) {
  return JSON.stringify(prediction, (_, v) => (v instanceof Float32Array ? `f32:${Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), (b) => b.toString(16).padStart(2, '0')).join('')}` : v));
}

async function trained(architecture, specs, { epochs = 3, seed = 3 } = {}) {
  const m = new MultiTaskModel({ input: train, architecture, tasks: specs, seed, optimizer: { type: 'adam', learningRate: 0.01 } });
  await m.fit(train, { epochs, batchSize: 32 });
  return m;
}

function weightsOf(model) {
  return Float32Array.from(model.parameters.names().flatMap((n) => Array.from(model.parameters.get(n))));
}

/** The version-1 file layout (src/io/format.ts), written here from its description: header JSON and f32 weights. */
function writeVersion1(header, weights) {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = (12 + json.length + 3) & ~3;
  const out = new Uint8Array(padded + 8 + weights.length * 4 + 4);
  const v = new DataView(out.buffer);
  out.set([0x4d, 0x54, 0x53, 0x4b]);
  v.setUint16(4, 1, true);
  v.setUint32(8, json.length, true);
  out.set(json, 12);
  v.setUint32(padded + 4, weights.length, true);
  weights.forEach((w, i) => v.setFloat32(padded + 8 + i * 4, w, true));
  return withCrc(out);
}

/** Reference f16 rounding of an f32 value (nearest, ties to even), in f64 arithmetic on the f16 grid; Infinity when out of range. */
function f16Ref(x) {
  if (x === 0 || !Number.isFinite(x)) return x;
  const a = Math.abs(x);
  let e = -14;                                   // the grid spacing is 2^(e−10), 2^−24 for subnormals
  while (a >= 2 ** (e + 1)) e++;
  const ulp = 2 ** (e - 10);
  const q = a / ulp, f = Math.floor(q);
  const r = q - f > 0.5 || (q - f === 0.5 && f % 2 === 1) ? f + 1 : f;
  const v = r * ulp;
  return (x < 0 ? -1 : 1) * (v > 65504 ? Infinity : v);
}

test('manytask/infer shares manytask\'s runtime and error classes: after init() from manytask it loads, and its errors are manytask\'s', async () => {
  const m = await trained({ type: 'sharedBottom', units: [8], towerUnits: [] }, [tasks.binary('sex')], { epochs: 1 });
  const bytes = m.save();
  m.dispose();
  // init() from manytask initialized manytask/infer too (tests/unit/entries.test.js: before any init, and infer first).
  assert.equal(sharedInfer.isInitialized(), true);
  sharedInfer.loadModel(bytes).dispose();
  assert.equal(sharedInfer.ModelFormatError, ModelFormatError);
  assert.throws(() => sharedInfer.loadModel(bytes.subarray(0, 20)), (e) => e instanceof ModelFormatError && e instanceof sharedInfer.ManytaskError && e.code === 'E_MODEL_FORMAT');
});

const ARCHITECTURES = [
  { type: 'sharedBottom', units: [12, 8], towerUnits: [6], activation: 'elu', dropout: 0.1 },
  { type: 'mmoe', experts: 3, expertUnits: [8], towerUnits: [4], activation: 'tanh' },
  { type: 'omoe', experts: 3, expertUnits: [8, 6], towerUnits: [], activation: 'leakyRelu' },
  { type: 'cgc', sharedExperts: 2, taskExperts: 1, expertUnits: [6], towerUnits: [4], activation: 'softplus' },
  { type: 'ple', levels: 3, sharedExperts: 1, taskExperts: 2, expertUnits: [6], towerUnits: [], dropout: 0.2 },
  { type: 'crossStitch', units: [8, 6], towerUnits: [4], alphaDiagonal: 0.8, activation: 'sigmoid' },
  { type: 'dselectK', experts: 5, k: 2, expertUnits: [8], towerUnits: [4], gamma: 2 },
  // The papers' bias-free gates (the parameter table has no gate biases), under PyTorch's initialization.
  { type: 'mmoe', experts: 3, expertUnits: [8], towerUnits: [4], gateBias: false, initializer: 'torch' },
  { type: 'ple', levels: 2, sharedExperts: 1, taskExperts: 1, expertUnits: [6], towerUnits: [], gateBias: false },
  // Learning to Branch: predict and infer both take the argmax tree.
  { type: 'ltb', units: [8, 6, 5], branches: [3, 2], towerUnits: [4], temperature: 0.5 },
  // Causal convolutions (the nine encoded features read as 3 steps × 3 channels, or 9 × 1): GELU after the
  // GEMM, ReLU in its epilogue, every pooling.
  { type: 'conv1d', steps: 3, filters: [5, 4], kernelSize: 2, dilation: [1, 2], pooling: 'max', units: [6], towerUnits: [4], activation: 'gelu', dropout: 0.1 },
  { type: 'conv1d', steps: 9, filters: [7], pooling: 'last', towerUnits: [] },
  { type: 'conv1d', steps: 3, filters: [4], kernelSize: 3, towerUnits: [3], activation: 'tanh' },
  // Self-attention over the same 3 steps: two layers, causal, dropout; one head over 9 single-channel steps.
  { type: 'transformer', steps: 3, dModel: 6, heads: 2, feedForward: 8, layers: 2, causal: true, pooling: 'avg', towerUnits: [4], activation: 'gelu', dropout: 0.1 },
  { type: 'transformer', steps: 9, dModel: 5, heads: 1, feedForward: 7, towerUnits: [] },
];

test('infer predicts MultiTaskModel.predict\'s output bit for bit: every architecture, f32/f16/int8 files, 1 to 2500 rows', async () => {
  await infer.init();
  const many = Array.from({ length: 2500 }, (_, i) => objects[(i * 7) % objects.length]);
  for (const architecture of ARCHITECTURES) {
    const m = await trained(architecture, [
      tasks.multiclass('species', { headUnits: [5], headActivation: 'gelu' }),
      tasks.binary('sex'),
      tasks.regression('body_mass_g', { inputsFrom: ['sex', 'species'], headUnits: [4] }),
    ]);
    for (const weights of ENCODINGS) {
      const bytes = m.save({ weights, metadata: { arch: architecture.type } });
      const full = loadModel(bytes), lean = infer.loadModel(bytes);
      const label = `${architecture.type}, ${weights}`;
      assert.equal(lean.weights, weights);
      for (const rows of [objects, many, objects.slice(5, 6), objects.slice(0, 3)]) {
        assert.equal(bits(lean.predict(rows)), bits(full.predict(rows)), `${label}, ${rows.length} rows`);
      }
      if (weights === 'f32') assert.equal(bits(lean.predict(objects)), bits(m.predict(objects)), `${label}: the trained model itself`);
      full.dispose();
      lean.dispose();
    }
    m.dispose();
  }
});

test('infer on a model built from arrays: number[][] and flat arrays, multilabel label lists, class indices', async () => {
  await infer.init();
  const x = Array.from({ length: 60 }, (_, i) => [Math.sin(i), Math.cos(i), (i % 5) / 5]);
  const labels = { tags: x.flatMap((r) => [r[0] > 0 ? 1 : 0, r[1] > 0 ? 1 : 0]), k: x.map((_, i) => i % 3), spend: x.map((r) => 50 + 20 * r[2]) };
  const m = new MultiTaskModel({
    input: { features: ['a', 'b', 'c'], classes: { tags: ['red', 'blue'], k: 3 } }, seed: 5,
    architecture: { type: 'mmoe', experts: 2, expertUnits: [8], towerUnits: [] },
    tasks: [tasks.multilabel('tags'), tasks.multiclass('k'), tasks.regression('spend', { inputsFrom: ['tags'] })],
  });
  await m.fit(x, labels, { epochs: 8, batchSize: 16 });
  for (const weights of ENCODINGS) {
    const bytes = m.save({ weights });
    const full = loadModel(bytes), lean = infer.loadModel(bytes);
    const p = lean.predict(x);
    assert.equal(bits(p), bits(full.predict(x)), weights);
    assert.equal(bits(lean.predict(Float32Array.from(x.flat()))), bits(p), `${weights}: a flat Float32Array`);
    assert.equal(bits(lean.predict(Float64Array.from(x.flat()))), bits(p), `${weights}: a flat Float64Array`);
    assert.deepEqual(p.k.classes.filter((c) => ![0, 1, 2].includes(c)), [], 'class indices without names');
    assert.ok(p.tags.labels.every((l) => l.every((n) => n === 'red' || n === 'blue')));
    assert.equal(lean.inputColumns, null);
    assert.deepEqual(lean.featureNames, ['a', 'b', 'c']);
    assert.throws(() => lean.predict([{ a: 1, b: 2, c: 3 }]), (e) => e instanceof infer.ArgumentError && /built from arrays/.test(e.message));
    assert.throws(() => lean.predict([[1, 2]]), (e) => e instanceof infer.ShapeError && /x row 0 has 2 values, expected 3/.test(e.message));
    assert.throws(() => lean.predict(new Float32Array(4)), (e) => e instanceof infer.ShapeError);
    assert.throws(() => lean.predict([[1, NaN, 2]]), (e) => e instanceof infer.ArgumentError && /row 0, column 1 is NaN/.test(e.message));
    assert.throws(() => lean.predict([[1, 1e39, 2]]), (e) => e instanceof infer.ArgumentError && /beyond the float32 range/.test(e.message));
    assert.throws(() => lean.predict([]), (e) => e instanceof infer.ShapeError);
    full.dispose(); lean.dispose();
  }
  m.dispose();
});

test('infer answers tasks named like Object.prototype\'s properties ("__proto__", "constructor"), as the full model does', async () => {
  await infer.init();
  const x = Array.from({ length: 20 }, (_, i) => [Math.sin(i), Math.cos(i)]);
  // Own keys (Object.fromEntries): a literal { __proto__: … } would set the prototype.
  const labels = Object.fromEntries([['__proto__', x.map((r) => (r[0] > 0 ? 1 : 0))], ['constructor', x.map((r) => r[0] + r[1])]]);
  const m = new MultiTaskModel({
    input: { features: 2 }, seed: 2, architecture: { type: 'sharedBottom', units: [4], towerUnits: [] }, weighting: { type: 'fixed', weights: [1, 1] },
    tasks: [tasks.binary('__proto__'), tasks.regression('constructor')],
  });
  await m.fit(x, labels, { epochs: 2 });
  const lean = infer.loadModel(m.save());
  const p = lean.predict(x);
  assert.deepEqual(Object.keys(p).filter((k) => Object.hasOwn(p, k)), ['__proto__', 'constructor']);
  assert.equal(bits(p), bits(m.predict(x)));
  lean.dispose();
  m.dispose();
});

test('infer metadata and input errors: tasks, classes, input columns, metadata; missing keys, unknown categories, bad values; dispose', async () => {
  await infer.init();
  const m = await trained({ type: 'sharedBottom', units: [8], towerUnits: [] }, [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')]);
  const lean = infer.loadModel(m.save({ weights: 'f16', metadata: { dataset: 'penguins', n: 3 } }));
  assert.deepEqual(lean.tasks, [
    { name: 'species', kind: 'multiclass', width: 3, classes: ['Adelie', 'Chinstrap', 'Gentoo'] },
    { name: 'sex', kind: 'binary', width: 1, classes: ['female', 'male'] },
    { name: 'body_mass_g', kind: 'regression', width: 1, classes: null },
  ]);
  assert.deepEqual(lean.taskNames, m.taskNames);
  assert.deepEqual(lean.classNames('species'), m.classNames('species'));
  assert.throws(() => lean.classNames('mass'), (e) => e instanceof infer.ArgumentError && /unknown task "mass"/.test(e.message));
  assert.deepEqual(lean.featureNames, m.featureNames);
  assert.deepEqual(lean.inputColumns, [
    { name: 'bill_length_mm', type: 'numeric' }, { name: 'bill_depth_mm', type: 'numeric' }, { name: 'flipper_length_mm', type: 'numeric' },
    { name: 'island', type: 'categorical', categories: ['Biscoe', 'Dream', 'Torgersen'] },
  ]);
  assert.deepEqual(Object.fromEntries(lean.inputColumns.map((c) => [c.name, c.type])), m.inputSpec());
  assert.deepEqual(lean.metadata, { dataset: 'penguins', n: 3 });
  const row = { bill_length_mm: 39.1, bill_depth_mm: 18.7, flipper_length_mm: 181, island: 'Torgersen' };
  // Missing values are imputed as predict does; extra keys are ignored.
  const gaps = [{ ...row, bill_depth_mm: null, extra: 'x' }, { ...row, island: '' }, { ...row, flipper_length_mm: '181' }];
  assert.equal(bits(lean.predict(gaps)), bits(loadModel(m.save({ weights: 'f16' })).predict(gaps)));
  const { island: _, ...noIsland } = row;
  assert.throws(() => lean.predict([row, noIsland]), (e) => e instanceof infer.DataError && e.column === 'island' && e.rowIndex === 1 && /rows\[1\] has no key "island"/.test(e.message));
  assert.throws(() => lean.predict([{ ...row, island: 'Atlantis' }]), (e) => e instanceof infer.UnknownCategoryError && /unknown category "Atlantis" \(known: "Biscoe", "Dream", "Torgersen"\)/.test(e.message));
  assert.throws(() => lean.predict([{ ...row, bill_length_mm: '12kg' }]), (e) => e instanceof infer.DataError && /column "bill_length_mm", rows\[0\]: expected a number, got "12kg"/.test(e.message));
  assert.throws(() => lean.predict([row, 'penguin']), (e) => e instanceof infer.ArgumentError && /rows\[1\] must be an object/.test(e.message));
  assert.throws(() => lean.predict('rows'), (e) => e instanceof infer.ArgumentError && /x must be an array of rows/.test(e.message));
  lean.dispose();
  lean.dispose();
  assert.equal(lean.isDisposed, true);
  assert.throws(() => lean.predict([row]), (e) => e instanceof infer.DisposedError);
  m.dispose();
});

test('f16: every weight is its f32 value rounded to the nearest binary16 (ties to even); beyond ±65504 save refuses', async () => {
  const m = await trained({ type: 'sharedBottom', units: [16], towerUnits: [] }, [tasks.multiclass('species'), tasks.binary('sex')]);
  // Edge cases in one tensor: zeros, subnormals and their ties, the normal range's ends, ties between normals.
  const edge = [0, -0, 1, -1, 2 ** -24, 2 ** -25, 3 * 2 ** -25, 1.5 * 2 ** -24, 2 ** -14, 2 ** -14 - 2 ** -25, 2 ** -26,
    1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 65519, -65519, 0.1, Math.PI, -2.5e-6, 1234.567, 2049, 2051];
  const w = m.parameters.get('shared.0.weight');
  w.set(edge.map(Math.fround));
  m.parameters.set('shared.0.weight', w);
  const original = weightsOf(m);
  const f16 = m.save({ weights: 'f16' });
  const back = loadModel(f16);
  const got = weightsOf(back);
  for (let i = 0; i < original.length; i++) {
    const want = Math.fround(f16Ref(original[i]));
    assert.ok(Object.is(got[i], want), `weight ${i}: ${original[i]} became ${got[i]}, the nearest binary16 is ${want}`);
  }
  // A few by hand: the smallest subnormal, a subnormal tie to even (→ 0 and → 2·2⁻²⁴), a tie between normals, the largest.
  assert.deepEqual(Array.from(back.parameters.get('shared.0.weight').subarray(0, edge.length)).slice(4, 16),
    [2 ** -24, 0, 2 ** -23, 2 ** -23, 2 ** -14, 2 ** -14, 0, 1, 1 + 2 ** -9, 65504, 65504, -65504]);
  // Relative error ≤ 2⁻¹¹ in the normal range.
  for (let i = 0; i < original.length; i++) {
    if (Math.abs(original[i]) >= 2 ** -14) assert.ok(Math.abs(got[i] - original[i]) <= Math.abs(original[i]) * 2 ** -11, `weight ${i}`);
  }
  assert.equal(m.save().length - f16.length, 2 * m.parameters.size, 'two bytes per weight instead of four');
  w[3] = 65520;
  m.parameters.set('shared.0.weight', w);
  assert.throws(() => m.save({ weights: 'f16' }), (e) => e instanceof ArgumentError && /parameter "shared.0.weight" holds 65520, beyond the f16 range/.test(e.message));
  assert.throws(() => m.save({ weights: 'f8' }), (e) => e instanceof ArgumentError && /weights must be 'f32', 'f16' or 'int8'/.test(e.message));
  back.dispose(); m.dispose();
});

test('int8: per tensor q·scale with scale = max|w|/127, |error| ≤ scale/2, the largest |w| kept; zero tensors stay zero', async () => {
  const m = await trained({ type: 'mmoe', experts: 2, expertUnits: [8], towerUnits: [4] }, [tasks.multiclass('species'), tasks.binary('sex')]);
  m.parameters.set('tower.sex.0.bias', [0, 0, 0, 0]);
  const bytes = m.save({ weights: 'int8' });
  const back = loadModel(bytes);
  const table = parseFile(bytes).header.parameters;
  assert.deepEqual(table.map((t) => t.name), m.parameters.names());
  for (const t of table) {
    const w = m.parameters.get(t.name), q = back.parameters.get(t.name);
    const max = Math.max(...Array.from(w, Math.abs));
    assert.equal(t.scale, Math.fround(max / 127), `${t.name}: scale`);
    for (let i = 0; i < w.length; i++) {
      assert.ok(Math.abs(q[i] - w[i]) <= t.scale / 2 * (1 + 1e-6), `${t.name}[${i}]: ${w[i]} → ${q[i]} (scale ${t.scale})`);
      const steps = q[i] / t.scale;
      assert.ok(t.scale === 0 ? q[i] === 0 : Math.abs(steps - Math.round(steps)) < 1e-4 && Math.abs(Math.round(steps)) <= 127, `${t.name}[${i}] is a multiple of the scale`);
    }
    const k = Array.from(w, Math.abs).indexOf(max);
    if (max > 0) assert.equal(Math.abs(q[k]), Math.fround(127 * t.scale), `${t.name}: its largest |value| is ±127·scale`);
  }
  assert.deepEqual(Array.from(back.parameters.get('tower.sex.0.bias')), [0, 0, 0, 0]);
  const n = parseFile(bytes).header.parameters.reduce((end, t) => Math.max(end, t.offset + t.shape[0] * t.shape[1]), 0);
  assert.equal(bytes.length, parseFile(bytes).at + 8 + Math.ceil(n / 4) * 4 + 4, 'one byte per weight');
  back.dispose(); m.dispose();
});

test('the f32 layout is version 1: a file written by the spec here loads in both, and save() writes exactly it', async () => {
  await infer.init();
  const m = await trained({ type: 'cgc', sharedExperts: 1, taskExperts: 1, expertUnits: [6], towerUnits: [3] }, [tasks.binary('sex'), tasks.regression('body_mass_g')]);
  const saved = m.save({ metadata: { v: 1 } });
  const header = parseFile(saved).header;
  const p = m.parameters;
  const block = new Float32Array(p.size);
  for (const t of p.list()) block.set(p.get(t.name), t.offset);
  const v1 = writeVersion1(header, block);
  assert.deepEqual(saved, v1, 'save() output = the version-1 layout');
  assert.equal(new DataView(saved.buffer).getUint16(4, true), 1);
  assert.equal(bits(loadModel(v1).predict(held)), bits(m.predict(held)));
  assert.equal(bits(infer.loadModel(v1).predict(objects)), bits(m.predict(objects)));
  m.dispose();
});

test('both loaders refuse broken f16/int8 files, unknown encodings and inconsistent headers with ModelFormatError', async () => {
  await infer.init();
  const m = await trained({ type: 'sharedBottom', units: [8], towerUnits: [4] }, [tasks.multiclass('species'), tasks.binary('sex')], { epochs: 1 });
  const files = Object.fromEntries(ENCODINGS.map((e) => [e, m.save({ weights: e })]));
  m.dispose();
  const loaders = [['loadModel', loadModel], ['infer.loadModel', infer.loadModel]];
  const refuse = (bytes, pattern, label) => {
    for (const [name, load] of loaders) {
      assert.throws(() => load(bytes), (e) => {
        assert.ok(e instanceof ModelFormatError || e instanceof infer.ModelFormatError, `${name}, ${label}: ${e?.constructor?.name}: ${e?.message}`);
        assert.equal(e.code, 'E_MODEL_FORMAT');
        assert.match(e.message, pattern, `${name}, ${label}`);
        return true;
      });
    }
  };
  for (const [enc, good] of Object.entries(files)) {
    const copy = () => Uint8Array.from(good);
    refuse(good.subarray(0, good.length - 6), /checksum|should be|truncated/, `${enc}: truncated`);
    const flipped = copy(); flipped[good.length - 10] ^= 0x01;
    refuse(flipped, /checksum does not match/, `${enc}: a flipped weight bit`);
    const extended = withCrc(Uint8Array.from([...good.subarray(0, good.length - 4), 0, 0, 0, 0, 0, 0, 0, 0]));
    refuse(extended, new RegExp(`should be \\d+ bytes for \\d+ ${enc} weights`), `${enc}: extended`);
    const future = copy(); future[parseFile(good).at] = 3;
    refuse(withCrc(future), /encoding 3, which this manytask does not know/, `${enc}: encoding 3`);
    const magic = copy(); magic[3] = 0;
    refuse(magic, /"MTSK" magic/, `${enc}: magic`);
    const version = copy(); new DataView(version.buffer).setUint16(4, 2, true);
    refuse(version, /format version 2, newer than this manytask reads \(1\)/, `${enc}: future version`);
    // The network is checked against the table and the weight count before anything is built.
    refuse(withHeader(copy(), (h) => ({ ...h, architecture: { ...h.architecture, units: [1e8] } })), /parameter table does not match.*"shared.0.weight" \d+×100000000/, `${enc}: units 1e8`);
    refuse(withHeader(copy(), (h) => ({ ...h, architecture: { type: 'mmoe', experts: 1e9, expertUnits: [1e9], towerUnits: [] } })), /parameter table does not match/, `${enc}: 1e9 experts`);
    refuse(withHeader(copy(), (h) => ({ ...h, tasks: h.tasks.map((t) => ({ ...t, headUnits: [2 ** 40] })) })), /parameter table does not match/, `${enc}: a huge head`);
    refuse(withHeader(copy(), (h) => ({ ...h, parameters: h.parameters.slice(0, -1) })), /parameter table does not match/, `${enc}: a table one tensor short`);
    refuse(withHeader(copy(), (h) => ({ ...h, tasks: [...h.tasks].reverse() })), /parameter table does not match/, `${enc}: tasks reordered`);
    refuse(withHeader(copy(), (h) => ({ ...h, architecture: { ...h.architecture, activation: 'swish' } })), /model description is invalid.*unknown activation "swish"/, `${enc}: activation`);
    refuse(withHeader(copy(), (h) => ({ ...h, tasks: [h.tasks[0], { ...h.tasks[1], inputsFrom: ['species'] }, ] })), /parameter table does not match/, `${enc}: an input the weights lack`);
    refuse(withHeader(copy(), (h) => ({ ...h, tasks: [{ ...h.tasks[0], inputsFrom: ['sex'] }, { ...h.tasks[1], inputsFrom: ['species'] }] })), /model description is invalid.*cycle/, `${enc}: a cycle`);
  }
  // int8: each tensor needs its scale.
  refuse(withHeader(Uint8Array.from(files.int8), (h) => ({ ...h, parameters: h.parameters.map(({ scale, ...t }, i) => (i === 2 ? t : { ...t, scale })) })),
    /entry 2 of the parameter table is not a tensor .* with a finite scale/, 'int8: a missing scale');
  refuse(withHeader(Uint8Array.from(files.int8), (h) => ({ ...h, parameters: h.parameters.map((t) => ({ ...t, scale: -t.scale })) })),
    /with a finite scale ≥ 0/, 'int8: negative scales');
  // f16: a NaN or infinite pattern is a weight that is not finite.
  for (const pattern of [0x7e00, 0xfc00]) {
    const nan = Uint8Array.from(files.f16);
    new DataView(nan.buffer).setUint16(parseFile(nan).at + 8 + 2, pattern, true);
    refuse(withCrc(nan), /weight 1 is not finite/, `f16 0x${pattern.toString(16)}`);
  }
});

test('a header that claims a huge network is refused before the model reserves any memory', async () => {
  const m = await trained({ type: 'sharedBottom', units: [8], towerUnits: [] }, [tasks.binary('sex')], { epochs: 1 });
  const good = m.save();
  m.dispose();
  const { allocator, memory } = runtime('test');
  const before = [allocator.bytesInUse, memory.buffer.byteLength];
  for (const architecture of [{ type: 'sharedBottom', units: [2 ** 26], towerUnits: [] }, { type: 'ple', levels: 1e6, sharedExperts: 1e6, taskExperts: 1e6, expertUnits: [1e6], towerUnits: [] }]) {
    assert.throws(() => loadModel(withHeader(Uint8Array.from(good), (h) => ({ ...h, architecture }))), ModelFormatError);
  }
  assert.deepEqual([allocator.bytesInUse, memory.buffer.byteLength], before);
});

test('accuracy cost of f16 and int8 weights on the demo\'s MMoE (penguins, seeds 0–4): within stated bounds', async (t) => {
  // Measured (npm run accuracy:weights): f16 changes no predicted class, |Δp| ≤ 1.1e-3, MAE by ≤ 0.06 g;
  // int8 flips 1 of 690 classes, |Δp| ≤ 1.3e-2, MAE by ≤ 1.6 g. Bounds: about 3× those.
  const bounds = {
    f16: { accuracy: 1 / 60, auc: 0.002, r2: 0.001, mae: 0.5, prob: 0.005 },
    int8: { accuracy: 0.05, auc: 0.01, r2: 0.005, mae: 5, prob: 0.05 },
  };
  const worst = { f16: { accuracy: 0, auc: 0, r2: 0, mae: 0, prob: 0 }, int8: { accuracy: 0, auc: 0, r2: 0, mae: 0, prob: 0 } };
  for (const seed of [0, 1, 2, 3, 4]) {
    const [tr, te] = data.split(0.8, { seed, stratify: 'species' });
    const model = new MultiTaskModel({
      input: tr, architecture: { type: 'mmoe', experts: 4, expertUnits: [16], towerUnits: [8] },
      tasks: [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')], seed, optimizer: { type: 'adam', learningRate: 0.01 },
    });
    await model.fit(tr, { epochs: 200, batchSize: 32, validationSplit: 0.15, earlyStopping: { patience: 25 }, seed });
    const base = model.evaluate(te).tasks, ref = model.predict(te);
    for (const enc of ['f16', 'int8']) {
      const loaded = loadModel(model.save({ weights: enc }));
      const e = loaded.evaluate(te).tasks, p = loaded.predict(te);
      const w = worst[enc];
      w.accuracy = Math.max(w.accuracy, Math.abs(e.species.accuracy - base.species.accuracy), Math.abs(e.sex.accuracy - base.sex.accuracy));
      w.auc = Math.max(w.auc, Math.abs(e.sex.auc - base.sex.auc));
      w.r2 = Math.max(w.r2, Math.abs(e.body_mass_g.r2 - base.body_mass_g.r2));
      w.mae = Math.max(w.mae, Math.abs(e.body_mass_g.mae - base.body_mass_g.mae));
      for (let i = 0; i < te.rows; i++) {
        w.prob = Math.max(w.prob, Math.abs(p.sex.probabilities[i] - ref.sex.probabilities[i]), ...p.species.probabilities[i].map((v, c) => Math.abs(v - ref.species.probabilities[i][c])));
      }
      loaded.dispose();
    }
    model.dispose();
  }
  for (const enc of ['f16', 'int8']) {
    t.diagnostic(`${enc}: worst change over seeds ${JSON.stringify(worst[enc])}`);
    for (const [k, bound] of Object.entries(bounds[enc])) assert.ok(worst[enc][k] <= bound, `${enc}: ${k} changed by ${worst[enc][k]} > ${bound}`);
  }
  assert.ok(worst.f16.prob > 0 && worst.int8.prob > worst.f16.prob, 'the encodings do change the weights, int8 more than f16');
});
