// Issue #12, point 5: no prediction is NaN or ±Infinity silently, and an opt-in check
// refuses rows far outside the training data — in MultiTaskModel.predict and in
// manytask/infer's, which answer (and refuse) the same for the same file and rows.
//   - a model file with a weight of ±3.4e38 (and a valid checksum) loads; its
//     predictions were NaN: now NonFinitePredictionError naming the task and row;
//   - a row whose value overflows float32 inside the network (flipper 1e38 mm):
//     the same error, naming that row;
//   - evaluate, and fit's validation, refuse such a row where a task scores it,
//     naming themselves;
//   - predict(rows, { maxDeviation }) refuses a value more than that many standard
//     deviations from its column's training mean (bill length 1e30 mm, which the
//     example Worker answered with 200 and a body mass of −7.8e31) with an
//     OutOfRangeError naming the column and row; missing values are not checked.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as mt from '../../dist/index.js';
import * as infer from '../../dist/infer.js';
import { parseFile, withCrc } from '../helpers/model-file.js';
import { resetRuntime, runtime } from '../../dist/internal.js';

const CSV = readFileSync(new URL('../../examples/data/penguins.csv', import.meta.url), 'utf8');
const SPEC = {
  features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
  targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
};
const ROW = { bill_length_mm: 46.5, bill_depth_mm: 15.2, flipper_length_mm: 219, island: 'Biscoe' };
let model, bytes, loaders;

before(async () => {
  await mt.init();
  await infer.init();
  const data = mt.Dataset.fromCSV(CSV, SPEC);
  model = new mt.MultiTaskModel({
    input: data, seed: 1, architecture: { type: 'sharedBottom', units: [16], towerUnits: [8] },
    tasks: [mt.tasks.multiclass('species'), mt.tasks.binary('sex'), mt.tasks.regression('body_mass_g')],
  });
  await model.fit(data, { epochs: 20 });
  bytes = model.save();
  loaders = [['MultiTaskModel', mt.loadModel, mt], ['manytask/infer', infer.loadModel, infer]];
});

/** The file with the weights of parameter `name` replaced by fill(i) (checksum recomputed). */
function withWeights(file, name, fill) {
  const f = parseFile(file);
  const p = f.header.parameters.find((q) => q.name === name);
  assert.ok(p && f.encoding === 0, `${name} in an f32 file`);
  const out = file.slice();
  const weights = new Float32Array(out.buffer, out.byteOffset + f.bodyStart, f.n);
  const size = p.shape[0] * p.shape[1];
  for (let i = 0; i < size; i++) weights[p.offset + i] = fill(i);
  return withCrc(out);
}

function nonFinite(lib, task, row, where = 'predict') {
  return (err) => {
    assert.ok(err instanceof lib.NonFinitePredictionError, `expected NonFinitePredictionError, got ${err?.constructor?.name}: ${err?.message}`);
    assert.ok(err instanceof lib.ManytaskError);
    assert.equal(err.code, 'E_NOT_FINITE');
    assert.deepEqual([err.task, err.row], [task, row]);
    assert.ok(err.message.startsWith(`${where}: task "${task}", row ${row}: the prediction is `), err.message);
    assert.match(err.message, /: the prediction is (NaN|-?Infinity), not a finite number/);
    return true;
  };
}

test('a model file with weights of ±3.4e38 loads, and predict refuses with NonFinitePredictionError naming the task and row (both loaders)', () => {
  // The shared layer's weights alternate ±3.4e38: every task computes Infinity − Infinity.
  const forged = withWeights(bytes, 'shared.0.weight', (i) => (i % 2 ? -3.4e38 : 3.4e38));
  for (const [name, load, lib] of loaders) {
    const m = load(forged);
    assert.throws(() => m.predict([ROW, ROW]), nonFinite(lib, 'species', 0), name);
    m.dispose();
  }
  // Only the body-mass head: its prediction overflows (3.4e38 × its inputs), the others are fine, still refused.
  const head = withWeights(bytes, 'head.body_mass_g.0.weight', () => 3.4e38);
  for (const [name, load, lib] of loaders) {
    const m = load(head);
    assert.throws(() => m.predict([ROW]), nonFinite(lib, 'body_mass_g', 0), name);
    m.dispose();
  }
});

test('a row that overflows float32 inside the network (flipper 1e38 mm) is refused by name; the other rows predict as before', () => {
  const far = { ...ROW, flipper_length_mm: 1e38 };
  for (const [name, load, lib] of loaders) {
    const m = load(bytes);
    assert.throws(() => m.predict([ROW, ROW, far]), nonFinite(lib, 'body_mass_g', 2), name);
    const ok = m.predict([ROW, ROW]);
    assert.deepEqual(ok.body_mass_g.values, model.predict([ROW, ROW]).body_mass_g.values, `${name}: the same as the trained model`);
    m.dispose();
  }
  assert.throws(() => model.predict([far]), nonFinite(mt, 'body_mass_g', 0));
});

test('evaluate, and fit\'s validation, refuse a scored row whose prediction predict refuses, naming the caller, the task and the row', async () => {
  // evaluate scored it: a bill length of 1e38 mm gave a body-mass MAE of 2.5e39 and an R² of −5.4e74 (the CLI's eval: exit 0),
  // and an overflowing row in fit's validation data was reported as predict's.
  const HEADER = 'species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex';
  const rows = ['Adelie,Torgersen,39.1,18.7,181,3750,male', 'Gentoo,Biscoe,46.5,15.2,219,5000,female'];
  const far = 'Adelie,Torgersen,39.1,18.7,1e38,3900,female';
  const ds = mt.Dataset.fromCSV([HEADER, ...rows, far].join('\n'), SPEC);
  assert.throws(() => model.predict(ds), nonFinite(mt, 'body_mass_g', 2));
  assert.throws(() => model.evaluate(ds), nonFinite(mt, 'body_mass_g', 2, 'evaluate'));
  // A row the task does not score (no body mass) is not refused: the other tasks' predictions of it are finite.
  const unscored = mt.Dataset.fromCSV([HEADER, ...rows, far.replace('3900', 'NA')].join('\n'), SPEC);
  assert.equal(model.evaluate(unscored).tasks.body_mass_g.rows, 2);
  assert.equal(model.evaluate(unscored).tasks.species.rows, 3);
  const m = mt.loadModel(bytes);
  const data = mt.Dataset.fromCSV(CSV, SPEC);
  await assert.rejects(m.fit(data, { epochs: 1, validationData: ds }), nonFinite(mt, 'body_mass_g', 2, 'fit validationData'));
  const tail = mt.Dataset.fromCSV(`${CSV.trimEnd()}\n${far}\n`, SPEC);
  await assert.rejects(m.fit(tail, { epochs: 1, validationSplit: 0.01 }), nonFinite(mt, 'body_mass_g', 2, 'fit: the last 3 rows (validationSplit)'));
  m.dispose();
});

test('predict(rows, { maxDeviation }) refuses a value far outside the training data with an OutOfRangeError naming the column and row (both loaders)', () => {
  const rows = [ROW, { ...ROW, bill_length_mm: 1e30 }];
  for (const [name, load, lib] of loaders) {
    const m = load(bytes);
    // Without the option: a finite, meaningless number (the example Worker answered 200 with it).
    assert.ok(Math.abs(m.predict(rows).body_mass_g.values[1]) > 1e20, name);
    assert.throws(() => m.predict(rows, { maxDeviation: 10 }), (err) => {
      assert.ok(err instanceof lib.OutOfRangeError && err instanceof lib.DataError && err instanceof lib.ArgumentError, `${name}: ${err?.constructor?.name}: ${err?.message}`);
      assert.equal(err.code, 'E_ARGUMENT');
      assert.deepEqual([err.column, err.rowIndex, err.value, err.limit], ['bill_length_mm', 1, '1e+30', 10]);
      assert.ok(err.deviations > 1e28, `${err.deviations}`);
      assert.match(err.message, /column "bill_length_mm", rows\[1\]: the value 1e\+30 is \S+ standard deviations from the training mean 43\.9\d* \(std 5\.4\d\), beyond maxDeviation 10/);
      return true;
    }, name);
    // Negative, and just beyond: −250.5 mm is about 54 standard deviations below the mean.
    assert.throws(() => m.predict([{ ...ROW, bill_depth_mm: -250.5 }], { maxDeviation: 10 }), (e) => e instanceof lib.OutOfRangeError && e.column === 'bill_depth_mm' && e.deviations < -100);
    // Within the limit, and missing values (the fill value, as in training), predict as without it.
    const near = [ROW, { ...ROW, flipper_length_mm: 150, bill_length_mm: null }];
    assert.deepEqual(m.predict(near, { maxDeviation: 10 }), m.predict(near), name);
    assert.deepEqual(m.predict(rows, { maxDeviation: Infinity }).body_mass_g.values, m.predict(rows).body_mass_g.values);
    for (const [bad, pattern] of [[0, /maxDeviation must be a number of standard deviations > 0, got 0/], [-1, /got -1/], ['10', /got "10"/], [NaN, /got NaN/]]) {
      assert.throws(() => m.predict(rows, { maxDeviation: bad }), (e) => e instanceof lib.ArgumentError && pattern.test(e.message), `${name}: ${bad}`);
    }
    assert.throws(() => m.predict(rows, { maxDev: 10 }), (e) => e instanceof lib.ArgumentError && /predict: unknown option "maxDev" \(known: maxDeviation, level\)/.test(e.message));
    m.dispose();
  }
  // A Dataset to predict on, through the same check, names the CSV line.
  const csv = `bill_length_mm,bill_depth_mm,flipper_length_mm,island\n46.5,15.2,219,Biscoe\n46.5,15.2,9000,Dream\n`;
  assert.throws(() => model.predict(mt.Dataset.fromCSV(csv, { features: SPEC.features }), { maxDeviation: 10 }),
    (e) => e instanceof mt.OutOfRangeError && e.column === 'flipper_length_mm' && e.rowIndex === 1 && e.line === 3 && /row 2 \(line 3\)/.test(e.message));
  // A model built from arrays keeps no column statistics: the option is refused, not ignored.
  const arrays = new mt.MultiTaskModel({ input: { features: 2 }, architecture: { type: 'sharedBottom', units: [2], towerUnits: [] }, tasks: [mt.tasks.binary('b')] });
  assert.throws(() => arrays.predict([[1, 2]], { maxDeviation: 10 }), (e) => e instanceof mt.ArgumentError && /maxDeviation needs a model built from a Dataset/.test(e.message));
  arrays.dispose();
});

test('predict(encoded rows, { maxDeviation }) on a model built from a Dataset checks the standardized columns, as for raw rows (both loaders, arrays and a Matrix)', () => {
  const names = model.featureNames;
  const flipper = names.indexOf('flipper_length_mm');
  assert.ok(flipper >= 0, names.join(', '));
  // The model's encoding is Preprocessor.fit on its training Dataset (the predictions below agree).
  const encoded = Array.from(mt.Preprocessor.fit(mt.Dataset.fromCSV(CSV, SPEC)).transform([ROW]).features);
  const far = encoded.slice();
  far[flipper] = 70000; // 70,000 standard deviations: a flipper of about a million mm
  for (const [name, load, lib] of loaders) {
    const m = load(bytes);
    assert.deepEqual(m.predict(mt.encoded([encoded]), { maxDeviation: 10 }), m.predict([ROW]), `${name}: the encoded row predicts as the raw one`);
    assert.throws(() => m.predict(mt.encoded([encoded, far]), { maxDeviation: 10 }), (e) => e instanceof lib.OutOfRangeError && e.column === 'flipper_length_mm' &&
      e.rowIndex === 1 && e.limit === 10 && /predict: column "flipper_length_mm", x row 1, feature \d+ \(encoded: 70000\): the value \S+ is 7\.00e\+4 standard deviations/.test(e.message), name);
    // One numeric feature at a time: the one-hot and missing-indicator features are not standardized, never checked.
    assert.ok(Number.isFinite(m.predict(mt.encoded([far])).body_mass_g.values[0]), name);
    m.dispose();
  }
  const matrix = mt.Matrix.from([encoded, far]);
  assert.throws(() => model.predict(mt.encoded(matrix), { maxDeviation: 10 }), (e) => e instanceof mt.OutOfRangeError && e.rowIndex === 1);
  matrix.dispose();
});

test('a model built from a Dataset refuses arrays, typed arrays and Matrices not marked encoded(): numbers in the raw columns would be read as standardized ones', async () => {
  // Numeric columns without missing values: the encoded rows are as wide as the raw ones, so nothing else could tell.
  const n = 200;
  const height = Array.from({ length: n }, (_, i) => 150 + (i * 37) % 50), age = Array.from({ length: n }, (_, i) => 20 + (i * 13) % 40);
  const weight = height.map((h, i) => 0.9 * h - 80 + 0.2 * age[i]);
  const data = mt.Dataset.fromColumns({ height, age, weight }, { features: { height: 'numeric', age: 'numeric' }, targets: { weight: 'regression' } });
  const m = new mt.MultiTaskModel({ input: data, architecture: { type: 'sharedBottom', units: [4], towerUnits: [] }, tasks: [mt.tasks.regression('weight')], seed: 1 });
  const X = mt.Matrix.from([[180, 30]]);
  try {
    await m.fit(data, { epochs: 2 });
    const steps = m.steps;
    const refused = (where) => (e) => e instanceof mt.ArgumentError && e.code === 'E_ARGUMENT' && new RegExp(`^${where}: this model was built from a Dataset: give rows as objects `
      + 'with its columns \\("height", "age"\\) or a Dataset; arrays and Matrices are read as its encoded features \\(2 per row, model\\.featureNames\\) only when marked so: encoded\\(x\\)$').test(e.message);
    for (const x of [[[180, 30]], new Float32Array([180, 30]), { data: [180, 30], rows: 1, cols: 2 }, X]) {
      assert.throws(() => m.predict(x), refused('predict'));
      assert.throws(() => m.evaluate(x, { weight: [88] }), refused('evaluate'));
      assert.throws(() => m.inputGradient(x, { weight: [88] }), refused('inputGradient'));
      await assert.rejects(m.fit(x, { weight: [88] }, { epochs: 1 }), refused('fit'));
      await assert.rejects(m.fit(data, { epochs: 1, validationData: { x, labels: { weight: [88] } } }), refused('fit validationData'));
    }
    assert.equal(m.steps, steps, 'nothing refused trained');
    // Marked, rows are read as the encoded rows they are: Preprocessor.transform's, attack's.
    const rows = [{ height: 180, age: 30 }, { height: 160, age: 50 }];
    const enc = mt.Preprocessor.fit(data).transform(rows).features;
    const want = m.predict(rows).weight.values;
    assert.deepEqual(m.predict(mt.encoded(enc)).weight.values, want);
    assert.deepEqual(m.predict(mt.encoded([Array.from(enc.subarray(0, 2)), Array.from(enc.subarray(2))])).weight.values, want);
    const encodedMatrix = mt.encoded(mt.Matrix.from([Array.from(enc.subarray(0, 2)), Array.from(enc.subarray(2))]));
    assert.deepEqual(m.predict(encodedMatrix).weight.values, want);
    encodedMatrix.dispose();
    assert.equal(m.evaluate(mt.encoded(enc), { weight: [88, 82] }).tasks.weight.rows, 2);
    // manytask/infer serving the model's file refuses the same arrays; either entry's encoded() marks them.
    const served = infer.loadModel(m.save());
    for (const x of [[[180, 30]], new Float32Array([180, 30])]) {
      assert.throws(() => served.predict(x), (e) => e instanceof infer.ArgumentError && /^predict: this model was built from a Dataset: give rows as objects .* only when marked so: encoded\(x\)$/.test(e.message));
    }
    assert.deepEqual(served.predict(rows).weight.values, want);
    assert.deepEqual(served.predict(mt.encoded(Float32Array.from(enc))).weight.values, want);
    assert.deepEqual(served.predict(infer.encoded([Array.from(enc.subarray(0, 2)), Array.from(enc.subarray(2))])).weight.values, want);
    served.dispose();
    const adversarial = m.attack(data, { method: 'fgsm', epsilon: 0.1 });
    assert.equal(m.predict(adversarial).weight.values.length, n, 'attack gives rows marked encoded');
    assert.throws(() => mt.encoded(3), (e) => e instanceof mt.ArgumentError && /^encoded: x must be an array of rows/.test(e.message));
  } finally {
    X.dispose();
    m.dispose();
  }
  // A model built from arrays reads arrays, marked or not.
  const arrays = new mt.MultiTaskModel({ input: { features: 2 }, architecture: { type: 'sharedBottom', units: [2], towerUnits: [] }, tasks: [mt.tasks.regression('y')] });
  assert.deepEqual(arrays.predict(mt.encoded([[1, 2]])), arrays.predict([[1, 2]]));
  arrays.dispose();
});

test('maxDeviation on a column constant in training: any other value is refused, saying so (it passed within "10 standard deviations" of std 1); raw and encoded rows, both loaders', async () => {
  // The penguins with a constant column: every row measured at 20 °C.
  const lines = CSV.trim().split('\n').map((l, i) => `${l},${i === 0 ? 'water_c' : 20}`);
  const spec = { ...SPEC, features: { ...SPEC.features, water_c: 'numeric' } };
  const data = mt.Dataset.fromCSV(lines.join('\n'), spec);
  const m0 = new mt.MultiTaskModel({ input: data, seed: 1, architecture: { type: 'sharedBottom', units: [8], towerUnits: [] }, tasks: [mt.tasks.regression('body_mass_g')] });
  await m0.fit(data, { epochs: 2 });
  const file = m0.save();
  const water = m0.featureNames.indexOf('water_c');
  m0.dispose();
  const row = { ...ROW, water_c: 20 };
  for (const [name, load, lib] of loaders) {
    const m = load(file);
    assert.deepEqual(m.predict([row], { maxDeviation: 10 }), m.predict([row]), `${name}: the constant itself passes`);
    assert.deepEqual(m.predict([{ ...row, water_c: null }], { maxDeviation: 10 }), m.predict([{ ...row, water_c: null }]), `${name}: a missing value is not checked`);
    for (const [x, sign] of [[29, Infinity], [19.5, -Infinity]]) {
      assert.throws(() => m.predict([row, { ...row, water_c: x }], { maxDeviation: 10 }), (e) => {
        assert.ok(e instanceof lib.OutOfRangeError, `${name}: ${e?.constructor?.name}: ${e?.message}`);
        assert.deepEqual([e.column, e.rowIndex, e.deviations, e.limit], ['water_c', 1, sign, 10]);
        assert.ok(e.message.endsWith(`: column "water_c", rows[1]: the value ${x} is not 20, the column's only value in training: maxDeviation refuses any other`), e.message);
        return true;
      }, `${name}: ${x}`);
    }
    // Encoded rows: the constant's encoding passes, any other value is refused.
    // (The full library reads arrays only marked encoded(); manytask/infer reads them as encoded.)
    const mark = lib.encoded ?? ((x) => x);
    const encoded = Array.from(mt.Preprocessor.fit(data).transform([row]).features);
    assert.deepEqual(m.predict(mark([encoded]), { maxDeviation: 10 }), m.predict([row]), name);
    const other = encoded.slice();
    other[water] = 2;
    assert.throws(() => m.predict(mark([encoded, other]), { maxDeviation: 10 }), (e) => e instanceof lib.OutOfRangeError && e.column === 'water_c' && e.rowIndex === 1 &&
      /x row 1, feature \d+ \(encoded: 2\): the value 22 is not 20, the column's only value/.test(e.message), name);
    m.dispose();
  }
});

test('predict reads a Matrix where it lies: the same answer as its rows as arrays, also when memory grows during the call; bad matrices are typed errors', async () => {
  // One thread from the start: memory that is not shared, whose growth detaches the views made before it.
  await resetRuntime();
  await mt.init({ threads: 1 });
  assert.ok(!(runtime('test').memory.buffer instanceof SharedArrayBuffer));
  const features = 5, rows = 2500; // three chunks of PREDICT_CHUNK rows
  const m = new mt.MultiTaskModel({
    input: { features, classes: { c: 3 } }, seed: 2, affinity: false,
    architecture: { type: 'sharedBottom', units: [8], towerUnits: [] },
    tasks: [mt.tasks.multiclass('c'), mt.tasks.regression('y'), mt.tasks.reconstruction('r')],
  });
  const values = Array.from({ length: rows * features }, (_, i) => Math.sin(i * 0.37) * 2);
  const arrays = Array.from({ length: rows }, (_, i) => values.slice(i * features, (i + 1) * features));
  const x = mt.Matrix.from(values, rows, features);
  const expected = m.predict(arrays);
  assert.deepEqual(m.predict(x), expected);
  // Memory grows during the call: a wide model's first predict makes its batch buffers
  // (1024 rows × 4096 units, 16 MB) after predict has found the Matrix's place, and the
  // reconstruction errors read the Matrix again after the growth.
  const w = new mt.MultiTaskModel({
    input: { features, classes: { c: 3 } }, seed: 3, affinity: false,
    architecture: { type: 'sharedBottom', units: [4096], towerUnits: [] },
    tasks: [mt.tasks.multiclass('c'), mt.tasks.reconstruction('r')],
  });
  const before = mt.memory().memoryBytes;
  const grown = w.predict(x);
  assert.ok(mt.memory().memoryBytes > before, 'memory grew during predict');
  assert.deepEqual(grown, w.predict(arrays));
  w.dispose();

  const wide = mt.Matrix.from([[1, 2, 3, 4, 5, 6]]);
  assert.throws(() => m.predict(wide), (e) => e instanceof mt.ShapeError && /predict: x has 6 columns, expected 5/.test(e.message));
  wide.dispose();
  const large = mt.Matrix.from([[1, 2, 3, 4, 5], [1, 2, 3e38, 4, 5]]);
  const bad = mt.scale(large, 10); // row 1, column 2 overflows to Infinity
  assert.throws(() => m.predict(bad), (e) => e instanceof mt.ArgumentError && /predict: x row 1, column 2 is Infinity/.test(e.message));
  large.dispose();
  bad.dispose();
  x.dispose();
  assert.throws(() => m.predict(x), mt.DisposedError);
  m.dispose();
});
