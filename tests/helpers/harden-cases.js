// The input-validation sweep of issue #8: one row per bad input, run by
// tests/unit/harden-validation.test.js, and rendered into docs/reliability.md
// (renderValidationTable below) so the document lists exactly what the test tries.
//
// A row: { area, call, tried, run(f), error: Class, message: RegExp, before? }
//   run(f)   the call, on the shared fixtures `f` (makeFixtures); may return a promise.
//   error    the ManytaskError subclass expected (its code is checked too).
//   message  what the message must say: it names the argument, task, column or row.
//   before   what the call did before this sweep fixed it (omitted: it already held).
// Or, for an input that must be *accepted* (a fix that made it work rather than fail):
//   { area, call, tried, run(f), ok: (value) => void (asserts), okText, before }
import assert from 'node:assert/strict';
import * as M from '../../dist/index.js';
import { parseFile, withCrc, withHeader, withHeaderText } from './model-file.js';

const {
  Matrix, matmul, gemm, add, mul, scale, axpy, dot, sum, sumSquares,
  Network, Dense, Activation, Dropout, LayerNorm, Sequential, Rng,
  createLoss, lossAndGradient, validateLossInputs, createOptimizer, gradNorm, clipGradNorm, clipGradValue, createSchedule,
  parseCSV, detectDelimiter, inferSchema, Dataset, Preprocessor, MultiTaskModel, loadModel, tasks, Ensemble,
  KMeans, MiniBatchKMeans, GaussianMixture, AutoEncoder,
  binaryAccuracy, binaryAuc, binaryLogLoss, multiclassAccuracy, r2Score, groupTasks, formatEvaluation, formatAffinity,
  ArgumentError, ShapeError, DisposedError, OutOfMemoryError, CsvError, DataError, UnknownCategoryError, UnknownClassError, ModelFormatError,
  NonFinitePredictionError, TrainingDivergedError,
} = M;

export const CODES = new Map([
  [ArgumentError, 'E_ARGUMENT'], [ShapeError, 'E_SHAPE'], [DisposedError, 'E_DISPOSED'], [OutOfMemoryError, 'E_OUT_OF_MEMORY'],
  [CsvError, 'E_ARGUMENT'], [DataError, 'E_ARGUMENT'], [UnknownCategoryError, 'E_ARGUMENT'], [UnknownClassError, 'E_ARGUMENT'],
  [ModelFormatError, 'E_MODEL_FORMAT'], [NonFinitePredictionError, 'E_NOT_FINITE'], [TrainingDivergedError, 'E_DIVERGED'],
]);

export const ARCH = { type: 'sharedBottom', units: [6], towerUnits: [] };
export const X = Array.from({ length: 24 }, (_, i) => [Math.sin(i), Math.cos(1.3 * i), (i % 5) / 5]);
export const LABELS = {
  kind: X.map((_, i) => i % 3), flag: X.map((r) => (r[0] > 0 ? 1 : 0)), amount: X.map((r) => 50 * r[1] + 10),
};
const PENGUIN_LIKE = 'bill,island,species,mass\n39.1,Torgersen,Adelie,3750\n46.5,Biscoe,Gentoo,5100\n49.9,Dream,Chinstrap,3800\n' +
  '38.6,Torgersen,Adelie,3450\n47.2,Biscoe,Gentoo,4925\n50.3,Dream,Chinstrap,3900\n';
const PENGUIN_SPEC = { features: { bill: 'numeric', island: 'categorical' }, targets: { species: 'multiclass', mass: 'regression' } };
/** Rows 0, 1, 3 and 4 of PENGUIN_LIKE: its own classes are [Adelie, Gentoo]. */
const WITHOUT_CHINSTRAP = PENGUIN_LIKE.split('\n').filter((line) => !line.includes('Chinstrap')).join('\n');
const at = (rows, r, c, v) => rows.map((row, i) => (i === r ? row.map((e, j) => (j === c ? v : e)) : row));

/** The objects rows act on, built once and warmed up (every buffer a valid call needs is allocated before the leak checks). */
export async function makeFixtures() {
  const f = {};
  f.a = Matrix.from([[1, 2], [3, 4]]);
  f.b = Matrix.from([[1, 2, 3], [4, 5, 6]]);
  f.c22 = Matrix.zeros(2, 2);
  f.c33 = Matrix.zeros(3, 3);
  f.col3 = Matrix.from([[1], [2], [3]]);
  f.row3 = Matrix.from([[1, 2, 3]]);
  f.withInf = scale(Matrix.from([[3e38, 1, 1]]), 10); // a computed Matrix can hold ±Infinity: [[Infinity, 10, 10]]
  f.disposedMatrix = Matrix.from([[1, 2], [3, 4]]);
  f.disposedMatrix.dispose();
  f.net = new Network([new Dense(3, { activation: 'relu' }), new Dense(2)], { inputSize: 2, seed: 1 });
  f.net.forward(f.a, { training: true }).dispose();
  f.netFresh = new Network([new Dense(2)], { inputSize: 2, seed: 1 });
  f.usedDense = new Dense(2);
  f.netUsing = new Network([f.usedDense], { inputSize: 2 });
  f.disposedNet = new Network([new Dense(1)], { inputSize: 2 });
  f.disposedNet.dispose();
  f.disposedRng = new Rng(1);
  f.disposedRng.dispose();
  f.opt = createOptimizer({ type: 'adam', learningRate: 0.01 }).attach(f.net.parameters);
  f.loose = createOptimizer({ type: 'sgd', learningRate: 0.01 });
  f.disposedOpt = createOptimizer({ type: 'adam', learningRate: 0.01 }).attach(f.netFresh.parameters);
  f.disposedOpt.dispose();
  f.logits = Matrix.from([[0.5, -1, 2], [1, 0, -0.5]]);
  f.cosine = createSchedule({ type: 'cosine', learningRate: 0.1, decaySteps: 10, unit: 'epoch' });
  f.rng = new Rng(1);
  f.scratch = Matrix.zeros(2, 2); // what the Rng's garbage calls may write into
  f.logit100 = Matrix.from([[100]]);
  f.big = Matrix.from([[3e38]]);
  f.e30 = Matrix.from([[1e30]]);
  f.orphanNet = new Network([new Dense(2)], { inputSize: 2, seed: 1 });
  f.orphanOpt = createOptimizer({ type: 'sgd', learningRate: 1 }).attach(f.orphanNet.parameters);
  f.orphanNet.dispose();
  f.freezeNet = new Network([new Dense(2)], { inputSize: 2, seed: 1 });
  f.freezeOpt = createOptimizer({ type: 'sgd', learningRate: 1 }).attach(f.freezeNet.parameters);
  f.freezeNet.forward(f.a, { training: true }).dispose();
  f.freezeNet.backward(f.a).dispose();

  f.model = new MultiTaskModel({
    input: { features: 3, classes: { kind: 3 } }, architecture: ARCH, seed: 1,
    tasks: [tasks.multiclass('kind'), tasks.binary('flag'), tasks.regression('amount')],
  });
  await f.model.fit(X, LABELS, { epochs: 1, batchSize: 8 });
  await f.model.fit(X, LABELS, { epochs: 1, batchSize: 32, validationSplit: 0.25 });
  f.model.predict(X);
  f.model.evaluate(X, LABELS);
  f.bytes = f.model.save();
  f.disposedModel = new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, tasks: [tasks.binary('flag')] });
  f.disposedModel.dispose();
  f.ds = Dataset.fromCSV(PENGUIN_LIKE, PENGUIN_SPEC);
  f.dsModel = new MultiTaskModel({ input: f.ds, architecture: ARCH, seed: 1, tasks: [tasks.multiclass('species'), tasks.regression('mass')] });
  await f.dsModel.fit(f.ds, { epochs: 1 });
  f.dsModel.predict([{ bill: 40, island: 'Dream' }]);
  f.pre = Preprocessor.fit(f.ds);
  f.ensemble = new Ensemble([f.model]);

  const points = X.map((r) => [r[0], r[1]]);
  f.points = points;
  f.km = new KMeans({ k: 2, seed: 1 }).fit(points);
  f.km.predict(points);
  f.mb = new MiniBatchKMeans({ k: 2, seed: 1, batchSize: 8 }).fit(points);
  f.gm = new GaussianMixture({ nComponents: 2, seed: 1 }).fit(points);
  f.ae = new AutoEncoder({ inputSize: 2, encoderUnits: [1], seed: 1 });
  f.ae.fit(points, { epochs: 1, batchSize: 8 });
  f.ae.fit(points, { epochs: 1, batchSize: 32 });
  f.ae.encode(points);
  f.disposedAe = new AutoEncoder({ inputSize: 2, encoderUnits: [1] });
  f.disposedAe.dispose();
  return f;
}

export function disposeFixtures(f) {
  for (const v of Object.values(f)) if (v && typeof v.dispose === 'function') v.dispose();
}

const far = X.map((r, i) => (i === 3 ? [1e30, 0] : [r[0], r[1]]));
const ok = (check, okText) => ({ ok: check, okText });

/** The rows, by area. */
export const CASES = [
  // ---- Matrix and ops ----
  ['Matrix', 'Matrix.zeros', 'rows 0', () => Matrix.zeros(0, 2), ShapeError, /Matrix\.zeros: rows must be a positive integer, got 0/],
  ['Matrix', 'Matrix.zeros', 'cols 1.5', () => Matrix.zeros(2, 1.5), ShapeError, /Matrix\.zeros: cols must be a positive integer, got 1\.5/],
  ['Matrix', 'Matrix.zeros', 'rows NaN', () => Matrix.zeros(NaN, 2), ShapeError, /rows must be a positive integer, got NaN/],
  ['Matrix', 'Matrix.zeros', 'rows "3" (a string)', () => Matrix.zeros('3', 2), ShapeError, /rows must be a positive integer, got "3"/],
  ['Matrix', 'Matrix.zeros', '60000 × 60000 (14.4 GB, beyond 4 GiB of wasm32 memory)', () => Matrix.zeros(60000, 60000), OutOfMemoryError,
    /cannot allocate 14400000000 bytes for a 60000×60000 Matrix: WebAssembly memory is limited to 4 GiB/, 'OutOfMemoryError without naming the matrix'],
  ['Matrix', 'Matrix.zeros', '2⁴⁰ × 2⁴⁰ (bytes beyond 2⁵³)', () => Matrix.zeros(2 ** 40, 2 ** 40), OutOfMemoryError,
    /for a 1099511627776×1099511627776 Matrix/, 'ArgumentError from the allocator ("alloc: size must be a non-negative integer")'],
  ['Matrix', 'Matrix.from', 'a string', () => Matrix.from('abc', 1, 3), ArgumentError, /Matrix\.from: data must be a Float32Array, a number\[\] or a number\[\]\[\], got "abc"/],
  ['Matrix', 'Matrix.from', 'null', () => Matrix.from(null), ArgumentError, /data must be .* got null/],
  ['Matrix', 'Matrix.from', 'an Int32Array', () => Matrix.from(new Int32Array(4), 2, 2), ArgumentError, /data must be .* got an Int32Array/],
  ['Matrix', 'Matrix.from', '[] (empty)', () => Matrix.from([]), ShapeError, /a flat array of 0 values needs rows and cols/],
  ['Matrix', 'Matrix.from', '[[]] (a row of nothing)', () => Matrix.from([[]]), ShapeError, /Matrix\.from: cols must be a positive integer, got 0/],
  ['Matrix', 'Matrix.from', 'ragged rows', () => Matrix.from([[1, 2], [3]]), ShapeError, /row 1 has 1 values, expected 2/],
  ['Matrix', 'Matrix.from', '5 values for 2 × 3', () => Matrix.from(new Float32Array(5), 2, 3), ShapeError, /2×3 needs 6 values, got 5/],
  ['Matrix', 'Matrix.from', 'NaN', () => Matrix.from([[1, NaN]]), ArgumentError, /value at row 0, column 1 is NaN; expected a finite number/],
  ['Matrix', 'Matrix.from', '−Infinity (flat)', () => Matrix.from([1, 2, -Infinity, 4], 2, 2), ArgumentError, /value at row 1, column 0 is -Infinity/],
  ['Matrix', 'Matrix.from', '1e39 (finite, beyond float32)', () => Matrix.from([[1, 1e39]]), ArgumentError,
    /value at row 0, column 1 is 1e\+39, beyond the float32 range/, 'stored +Infinity'],
  ['Matrix', 'Matrix.from', '−1e308 in a Float64Array', () => Matrix.from(new Float64Array([1, -1e308]), 1, 2), ArgumentError,
    /value at row 0, column 1 is -1e\+308, beyond the float32 range/, 'stored −Infinity'],
  ['Matrix', 'Matrix.from', 'a string value', () => Matrix.from([[1, '2']]), ArgumentError, /value at row 0, column 1 is "2"; expected a finite number/],
  ['Matrix', 'Matrix.from', 'rows of 2 with cols 3', () => Matrix.from([[1, 2]], 1, 3), ShapeError, /row 0 has 2 values, expected 3/],
  ['Matrix', 'Matrix.from', 'rows as Float32Arrays', () => Matrix.from([new Float32Array([1, 2]), new Float32Array([3, 4])]),
    ok((m) => { try { assert.deepEqual(m.toArray(), [[1, 2], [3, 4]]); } finally { m.dispose(); } }, 'a 2×2 Matrix, as from number[][]'),
    'ShapeError "a flat array of 2 values needs rows and cols"'],
  ['Matrix', 'Matrix#toArray', 'a disposed matrix', (f) => f.disposedMatrix.toArray(), DisposedError, /a 2×2 Matrix was used after dispose\(\)/],
  ['Matrix', 'matmul', 'inner dimensions 2 and 3', (f) => matmul(f.a, f.col3), ShapeError,
    /matmul: inner dimensions differ: op\(a\) is 2×2, op\(b\) is 3×1/],
  ['Matrix', 'matmul', 'b an array', (f) => matmul(f.a, [[1]]), ArgumentError, /matmul: b must be a Matrix, got an array of length 1/],
  ['Matrix', 'matmul', 'option transpose_a (typo)', (f) => matmul(f.a, f.a, { transpose_a: true }), ArgumentError, /matmul: unknown option "transpose_a"/],
  ['Matrix', 'matmul', 'transposeA 1', (f) => matmul(f.a, f.a, { transposeA: 1 }), ArgumentError, /matmul: transposeA must be true or false, got 1/],
  ['Matrix', 'matmul', 'alpha NaN', (f) => matmul(f.a, f.a, { alpha: NaN }), ArgumentError, /matmul: alpha must be a finite number, got NaN/],
  ['Matrix', 'matmul', 'alpha 1e39', (f) => matmul(f.a, f.a, { alpha: 1e39 }), ArgumentError, /matmul: alpha is 1e\+39, beyond the float32 range/,
    'a result of ±Infinity (alpha became +Infinity in the kernel)'],
  ['Matrix', 'matmul', 'activation "gelu"', (f) => matmul(f.a, f.a, { activation: 'gelu' }), ArgumentError, /activation must be "identity" or "relu", got "gelu"/],
  ['Matrix', 'matmul', 'bias 1 × 3 for 2 columns', (f) => matmul(f.a, f.a, { bias: f.row3 }), ShapeError, /matmul: bias must be 1×2, got 1×3/],
  ['Matrix', 'matmul', 'options null', (f) => matmul(f.a, f.a, null), ArgumentError, /matmul: options must be an object, got null/],
  ['Matrix', 'gemm', 'c of the wrong shape', (f) => gemm(f.a, f.a, f.c33), ShapeError, /gemm: c must be 2×2 to hold op\(a\)·op\(b\), got 3×3/],
  ['Matrix', 'gemm', 'c the same matrix as a', (f) => gemm(f.a, f.c22, f.a), ArgumentError, /gemm: c must not be the same matrix as a, b or bias/],
  ['Matrix', 'gemm', 'beta 1e39', (f) => gemm(f.a, f.a, f.c22, { beta: 1e39 }), ArgumentError, /gemm: beta is 1e\+39, beyond the float32 range/, 'C scaled by +Infinity'],
  ['Matrix', 'gemm', 'beta Infinity', (f) => gemm(f.a, f.a, f.c22, { beta: Infinity }), ArgumentError, /gemm: beta must be a finite number, got Infinity/],
  ['Matrix', 'add', 'b of another shape', (f) => add(f.a, f.b), ShapeError, /add: b must be 2×2 like a, got 2×3/],
  ['Matrix', 'add', 'out a string', (f) => add(f.a, f.a, 'x'), ArgumentError, /add: out must be a Matrix, got "x"/],
  ['Matrix', 'mul', 'b a number', (f) => mul(f.a, 5), ArgumentError, /mul: b must be a Matrix, got 5/],
  ['Matrix', 'scale', 'alpha 1e39', (f) => scale(f.a, 1e39), ArgumentError, /scale: alpha is 1e\+39, beyond the float32 range/, 'a result of ±Infinity'],
  ['Matrix', 'scale', 'out an array', (f) => scale(f.a, 2, [1]), ArgumentError, /scale: out must be a Matrix, got an array of length 1/,
    'ShapeError "out must be 2×2 like a, got undefined×undefined"'],
  ['Matrix', 'scale', 'out null', (f) => scale(f.a, 2, null), ArgumentError, /scale: out must be a Matrix, got null/, 'TypeError (reading \'rows\' of null)'],
  ['Matrix', 'axpy', 'alpha 1e39', (f) => axpy(1e39, f.a, f.c22), ArgumentError, /axpy: alpha is 1e\+39, beyond the float32 range/, 'y filled with ±Infinity'],
  ['Matrix', 'axpy', 'y of another shape', (f) => axpy(1, f.a, f.b), ShapeError, /axpy: y must be 2×2 like a, got 2×3/],
  ['Matrix', 'dot', 'a disposed b', (f) => dot(f.a, f.disposedMatrix), DisposedError, /a 2×2 Matrix was used after dispose/],
  ['Matrix', 'sum', 'an array', () => sum([1, 2]), ArgumentError, /sum: a must be a Matrix, got an array of length 2/],
  ['Matrix', 'sumSquares', 'a disposed matrix', (f) => sumSquares(f.disposedMatrix), DisposedError, /Matrix was used after dispose/],
  ['Matrix', 'sumSquares', '[[1e30]] (1e60, beyond float32)', (f) => sumSquares(f.e30), ok((v) => assert.equal(v, Math.fround(1e30) ** 2), '1.0000000300949327e+60 (summed in float64)'),
    'Infinity (summed in float32)'],

  // ---- layers and Network ----
  ['Network', 'Dense', 'units 0', () => new Dense(0), ShapeError, /Dense: units must be a positive integer, got 0/],
  ['Network', 'Dense', 'activation "relux"', () => new Dense(2, { activation: 'relux' }), ArgumentError, /Dense: unknown activation "relux" \(known: identity, linear, relu/],
  ['Network', 'Dense', 'option activaton (typo)', () => new Dense(2, { activaton: 'relu' }), ArgumentError, /Dense: unknown option "activaton"/],
  ['Network', 'Dense', 'alpha 1e39', () => new Dense(2, { activation: 'leakyRelu', alpha: 1e39 }), ArgumentError, /Dense: alpha is 1e\+39, beyond the float32 range/,
    'accepted; the kernel slope became +Infinity'],
  ['Network', 'Dense', 'useBias "yes"', () => new Dense(2, { useBias: 'yes' }), ArgumentError, /Dense: useBias must be true or false, got "yes"/],
  ['Network', 'Dense', 'kernelInitializer "xavier"', () => new Dense(2, { kernelInitializer: 'xavier' }), ArgumentError, /Dense kernelInitializer: unknown initializer "xavier"/],
  ['Network', 'Activation', '"swish"', () => new Activation('swish'), ArgumentError, /Activation: unknown activation "swish"/],
  ['Network', 'Dropout', 'rate 1', () => new Dropout(1), ArgumentError, /Dropout: rate must be in \[0, 1\), got 1/],
  ['Network', 'Dropout', 'rate NaN', () => new Dropout(NaN), ArgumentError, /Dropout: rate must be a finite number, got NaN/],
  ['Network', 'LayerNorm', 'epsilon 0', () => new LayerNorm({ epsilon: 0 }), ArgumentError, /LayerNorm: epsilon must be positive/],
  ['Network', 'LayerNorm', 'epsilon 1e-50 (0 in float32)', () => new LayerNorm({ epsilon: 1e-50 }), ArgumentError, /LayerNorm: epsilon must be positive and within the float32 range/,
    'accepted; ε became 0 in the kernel (a constant row gives 0/0)'],
  ['Network', 'Sequential', 'no layers', () => new Sequential([]), ArgumentError, /Sequential: expected a non-empty array of layers/],
  ['Network', 'Sequential', 'a number among the layers', () => new Sequential([1]), ArgumentError, /Sequential: item 0 is 1, not a layer/],
  ['Network', 'Network', 'no inputSize', () => new Network([new Dense(1)], {}), ShapeError, /Network: inputSize must be a positive integer, got undefined/],
  ['Network', 'Network', 'seed −1', () => new Network([new Dense(1)], { inputSize: 2, seed: -1 }), ArgumentError, /Network: seed must be an integer from 0 to 4294967295, got -1/],
  ['Network', 'Network', 'a string for the layers', () => new Network('dense', { inputSize: 2 }), ArgumentError, /Network: expected a layer or an array of layers, got "dense"/],
  ['Network', 'Network', 'a layer already in another network', (f) => new Network([f.usedDense], { inputSize: 2 }), ArgumentError,
    /a Dense layer can only be used in one model/, 'leaked the new network\'s RNG state (16 bytes)'],
  ['Network', 'Network', 'Dense(100000) on 100000 inputs (40 GB of weights)', () => new Network([new Dense(100000)], { inputSize: 100000 }), OutOfMemoryError,
    /cannot allocate 40000400000 bytes for 10000100000 parameters/, 'OutOfMemoryError, leaking the RNG state'],
  ['Network', 'Network#forward', 'x an array', (f) => f.net.forward([[1, 2]]), ArgumentError, /Network\.forward: x must be a Matrix, got an array of length 1/],
  ['Network', 'Network#forward', 'x with 3 columns for 2 inputs', (f) => f.net.forward(f.b), ShapeError, /Network\.forward: x must have 2 columns \(the input size\), got 3/],
  ['Network', 'Network#forward', 'option train (typo)', (f) => f.net.forward(f.a, { train: true }), ArgumentError, /Network\.forward: unknown option "train"/],
  ['Network', 'Network#backward', 'before any forward', (f) => f.netFresh.backward(f.a), ArgumentError, /Network\.backward: call forward first/],
  ['Network', 'Network#backward', 'dy of the wrong shape', (f) => f.net.backward(f.b), ShapeError, /Network\.backward: dy must be 2×2 like the last output, got 2×3/],
  ['Network', 'Network#forward', 'a disposed network', (f) => f.disposedNet.forward(f.a), DisposedError, /a Network was used after dispose\(\)/],
  ['Network', 'Parameters#set', 'null', (f) => f.net.parameters.set('1.weight', null), ArgumentError, /parameter "1\.weight": values must be an array or a typed array of 6 numbers, got null/,
    'TypeError (reading \'length\' of null)'],
  ['Network', 'Parameters#set', 'a value of 1e39', (f) => f.net.parameters.set('1.weight', [1, 1, 1, 1, 1, 1e39]), ArgumentError,
    /parameter "1\.weight": value 5 is 1e\+39, beyond the float32 range/, 'stored +Infinity'],
  ['Network', 'Parameters#set', 'NaN', (f) => f.net.parameters.set('1.weight', [1, 1, NaN, 1, 1, 1]), ArgumentError, /parameter "1\.weight": value 2 is NaN; expected a finite number/],
  ['Network', 'Parameters#set', '1 value for 3 × 2', (f) => f.net.parameters.set('1.weight', [1]), ShapeError, /parameter "1\.weight" has 3×2 = 6 values, got 1/],
  ['Network', 'Parameters#get', 'an unknown name', (f) => f.net.parameters.get('2.weight'), ArgumentError, /unknown parameter "2\.weight" \(names: 0\.weight, 0\.bias, 1\.weight, 1\.bias\)/],
  ['Network', 'Parameters#freeze', 'the empty prefix', (f) => f.net.parameters.freeze(''), ArgumentError, /freeze: the name prefix must be a non-empty string, got ""/],
  ['Network', 'Parameters#freeze', 'a prefix nothing has', (f) => f.net.parameters.freeze('9'), ArgumentError, /freeze: no parameter name starts with "9"/],
  ['Network', 'Rng', 'seed 1.5', () => new Rng(1.5), ArgumentError, /Rng: seed must be an integer from 0 to 4294967295, got 1\.5/],
  ['Network', 'Rng', 'stream −1', () => new Rng(1, -1), ArgumentError, /Rng: stream must be an integer from 0 to 4294967295, got -1/, 'accepted as stream 4294967295'],
  ['Network', 'Rng', 'stream a Symbol', () => new Rng(1, Symbol('s')), ArgumentError, /Rng: stream must be an integer/, 'TypeError (cannot convert a Symbol)'],
  ['Network', 'Rng#nextU32', 'a disposed Rng', (f) => f.disposedRng.nextU32(), DisposedError, /an Rng was used after dispose\(\)/],
  ['Network', 'Rng#uniform', '8 floats into a 2 × 2 matrix', (f) => f.rng.uniform(f.scratch.ptr, 8), ArgumentError,
    /Rng\.uniform: out \(\d+\) and the 32 bytes after it are not inside one live block of WASM memory/, 'wrote into the next matrix'],
  ['Network', 'Rng#uniform', 'a Float32Array for the pointer', (f) => f.rng.uniform(new Float32Array(4), 4), ArgumentError,
    /Rng\.uniform: out must be a pointer into WASM memory .* got a Float32Array/, 'wrote at address 0'],
  ['Network', 'Rng#uniform', '1e9 values', (f) => f.rng.uniform(f.scratch.ptr, 1e9), ArgumentError, /and the 4000000000 bytes after it/,
    'WasmTrapError ("a bug in manytask") after writing to the end of memory'],
  ['Network', 'Rng#uniform', 'lo NaN', (f) => f.rng.uniform(f.scratch.ptr, 4, NaN, 1), ArgumentError, /Rng\.uniform: lo must be a finite number, got NaN/, 'wrote NaN'],
  ['Network', 'Rng#normal', 'std −1', (f) => f.rng.normal(f.scratch.ptr, 4, 0, -1), ArgumentError, /Rng\.normal: std must be ≥ 0, got -1/, 'accepted'],
  ['Network', 'Rng#dropoutMask', 'keep 2', (f) => f.rng.dropoutMask(f.scratch.ptr, 4, 2), ArgumentError, /keep \(the probability of keeping a value\) must be a number in \(0, 1\]/,
    'accepted (a mask of 0.5 everywhere)'],
  ['Network', 'Rng#seedKeyed', 'keys null', (f) => f.rng.seedKeyed(f.scratch.ptr, null), ArgumentError, /Rng\.seedKeyed: keys must be an array of integers, got null/,
    'TypeError (keys is not iterable)'],
  ['Network', 'Network#forwardPtr', 'address 0 for 1e6 rows', (f) => f.net.forwardPtr(0, 1e6, false), ArgumentError,
    /Network\.forwardPtr: x must be a pointer into WASM memory .* got 0/, 'read from address 0 (no error)'],
  ['Network', 'Network#backwardPtr', 'before any forward', (f) => f.netFresh.backwardPtr(f.a.ptr, 2), ArgumentError, /Network\.backwardPtr: call forward first/,
    'returned 0 (no error)'],
  ['Network', 'Dense#forward', 'a layer in no network', () => new Dense(2).forward(0, 1, false), ArgumentError, /Dense\.forward: the layer is not built yet/,
    'TypeError (reading \'ptr\' of undefined)'],

  // ---- losses ----
  ['Losses', 'createLoss', 'a string', () => createLoss('mse'), ArgumentError, /createLoss: spec must be an object such as \{ type: 'mse' \}, got "mse"/],
  ['Losses', 'createLoss', 'type "crossEntropy"', () => createLoss({ type: 'crossEntropy' }), ArgumentError, /createLoss: type must be one of "bce", "softmaxCrossEntropy"/],
  ['Losses', 'createLoss', 'huber delta 0', () => createLoss({ type: 'huber', delta: 0 }), ArgumentError, /delta of a "huber" loss must be a finite number > 0, got 0/],
  ['Losses', 'createLoss', 'option gama (typo)', () => createLoss({ type: 'focal', gama: 2 }), ArgumentError, /createLoss: unknown option "gama" for a "focal" loss/],
  ['Losses', 'createLoss', 'labelSmoothing 2', () => createLoss({ type: 'softmaxCrossEntropy', labelSmoothing: 2 }), ArgumentError, /labelSmoothing of a "softmaxCrossEntropy" loss must be a number in \[0, 1\], got 2/],
  ['Losses', 'lossAndGradient', 'logits an array', () => lossAndGradient({ type: 'mse' }, [[1]], [[1]]), ArgumentError, /lossAndGradient: logits must be a Matrix/],
  ['Losses', 'lossAndGradient', 'logits holding Infinity', (f) => lossAndGradient({ type: 'mse' }, f.withInf, [[0, 0, 0]]), ArgumentError, /lossAndGradient: logits row 0, column 0 is Infinity/],
  ['Losses', 'lossAndGradient', 'class 3 of 3', (f) => lossAndGradient({ type: 'softmaxCrossEntropy' }, f.logits, [0, 3]), ArgumentError,
    /targets row 1 has label 3, but the logits have 3 classes; a label must be an integer in \[0, 3\)/],
  ['Losses', 'lossAndGradient', 'class 1.5', (f) => lossAndGradient({ type: 'softmaxCrossEntropy' }, f.logits, [0, 1.5]), ArgumentError, /targets row 1 has label 1\.5/],
  ['Losses', 'lossAndGradient', '1 row of targets for 2', (f) => lossAndGradient({ type: 'mse' }, f.logits, [[1, 2, 3]]), ShapeError, /targets has 1 rows, expected 2 like the logits/],
  ['Losses', 'lossAndGradient', 'a target of 1e39', (f) => lossAndGradient({ type: 'mse' }, f.logits, [[1, 2, 3], [0, 0, 1e39]]), ArgumentError,
    /targets row 1, column 2 is 1e\+39, beyond the float32 range/, 'loss +Infinity'],
  ['Losses', 'lossAndGradient', 'a bce target of 2', (f) => lossAndGradient({ type: 'bce' }, f.logits, [[1, 0, 1], [0, 2, 1]]), ArgumentError,
    /targets row 1, column 1 is 2; a "bce" loss needs targets in \[0, 1\]/],
  ['Losses', 'lossAndGradient', 'mask of 1 entry for 2 rows', (f) => lossAndGradient({ type: 'mse' }, f.logits, [[1, 2, 3], [1, 2, 3]], { mask: [1] }), ShapeError,
    /mask has 1 entries, expected one per row \(2\)/],
  ['Losses', 'lossAndGradient', 'mask entry "yes"', (f) => lossAndGradient({ type: 'mse' }, f.logits, [[1, 2, 3], [1, 2, 3]], { mask: [1, 'yes'] }), ArgumentError,
    /mask\[1\] \(row 1\) is "yes"; expected true, false, 1 or 0/],
  ['Losses', 'lossAndGradient', 'sample weight −1', (f) => lossAndGradient({ type: 'mse' }, f.logits, [[1, 2, 3], [1, 2, 3]], { sampleWeights: [1, -1] }), ArgumentError,
    /sampleWeights\[1\] \(row 1\) is -1/],
  ['Losses', 'lossAndGradient', 'sample weight 1e39', (f) => lossAndGradient({ type: 'mse' }, f.logits, [[1, 2, 3], [1, 2, 3]], { sampleWeights: [1e39, 1] }), ArgumentError,
    /sampleWeights\[0\] \(row 0\) is 1e\+39; a sample weight must be a finite number ≥ 0 within the float32 range/, 'loss +Infinity'],
  ['Losses', 'lossAndGradient', 'class weight 1e39', (f) => lossAndGradient({ type: 'bce' }, f.logits, [[1, 0, 1], [0, 0, 1]], { classWeights: [1e39, 1] }), ArgumentError,
    /classWeights\[0\] is 1e\+39; a class weight must be a finite number ≥ 0 within the float32 range/, 'loss NaN'],
  ['Losses', 'lossAndGradient', '3 class weights for bce', (f) => lossAndGradient({ type: 'bce' }, f.logits, [[1, 0, 1], [0, 0, 1]], { classWeights: [1, 2, 3] }), ShapeError,
    /classWeights has 3 entries, expected 2 \(the weights of y = 0 and y = 1\)/],
  ['Losses', 'lossAndGradient', 'class weights for mse', (f) => lossAndGradient({ type: 'mse' }, f.logits, [[1, 2, 3], [1, 2, 3]], { classWeights: [1, 2] }), ArgumentError,
    /a "mse" loss takes no classWeights/],
  ['Losses', 'lossAndGradient', 'reduction "max"', (f) => lossAndGradient({ type: 'mse' }, f.logits, [[1, 2, 3], [1, 2, 3]], { reduction: 'max' }), ArgumentError,
    /lossAndGradient: reduction must be "mean" or "sum", got "max"/],
  ['Losses', 'lossAndGradient', 'gradScale 1e39', (f) => lossAndGradient({ type: 'mse' }, f.logits, [[1, 2, 3], [1, 2, 3]], { gradScale: 1e39 }), ArgumentError,
    /lossAndGradient: gradScale is 1e\+39, beyond the float32 range/, 'a gradient of ±Infinity'],
  ['Losses', 'lossAndGradient', 'option weights (typo)', (f) => lossAndGradient({ type: 'mse' }, f.logits, [[1, 2, 3], [1, 2, 3]], { weights: [1, 1] }), ArgumentError,
    /lossAndGradient: unknown option "weights"/],
  ['Losses', 'lossAndGradient', 'a Poisson log-rate of 100 (e¹⁰⁰ beyond float32)', (f) => lossAndGradient({ type: 'poissonNll' }, f.logit100, [3]), ArgumentError,
    /lossAndGradient: the gradient at row 0, column 0 is Infinity: the "poissonNll" loss overflows float32 there/, 'loss 2.7e43, gradient +Infinity'],
  ['Losses', 'lossAndGradient', 'MSE of 3e38 against −3e38', (f) => lossAndGradient({ type: 'mse' }, f.big, [[-3e38]]), ArgumentError,
    /gradient at row 0, column 0 is Infinity: the "mse" loss overflows float32 there/, 'loss 3.6e77, gradient +Infinity'],
  ['Losses', 'Loss#compute', 'null', () => createLoss({ type: 'mse' }).compute(null), ArgumentError, /mse loss: compute takes \{ rows, cols, logits, targets, grad, … \}/,
    'TypeError (reading \'rows\' of null)'],
  ['Losses', 'validateLossInputs', 'inputs null', () => validateLossInputs({ type: 'mse' }, null), ArgumentError, /validateLossInputs: inputs must be an object/,
    'TypeError (reading \'rows\' of null)'],

  // ---- optimizers and schedules ----
  ['Optimizers', 'createOptimizer', 'type "rmsprop"', () => createOptimizer({ type: 'rmsprop', learningRate: 1 }), ArgumentError, /createOptimizer: unknown optimizer type "rmsprop" \(known: sgd, adam, adamw\)/],
  ['Optimizers', 'createOptimizer', 'no learningRate', () => createOptimizer({ type: 'sgd' }), ArgumentError, /createOptimizer\(sgd\): learningRate is required/],
  ['Optimizers', 'createOptimizer', 'learningRate −1', () => createOptimizer({ type: 'sgd', learningRate: -1 }), ArgumentError, /learningRate must be a finite number ≥ 0, got -1/],
  ['Optimizers', 'createOptimizer', 'learningRate 1e39', () => createOptimizer({ type: 'sgd', learningRate: 1e39 }), ArgumentError,
    /createOptimizer\(sgd\): learningRate is 1e\+39, beyond the float32 range/, 'accepted; every step wrote ±Infinity/NaN weights'],
  ['Optimizers', 'createOptimizer', 'momentum 2', () => createOptimizer({ type: 'sgd', learningRate: 0.1, momentum: 2 }), ArgumentError, /momentum must be in \[0, 1\], got 2/],
  ['Optimizers', 'createOptimizer', 'nesterov without momentum', () => createOptimizer({ type: 'sgd', learningRate: 0.1, nesterov: true }), ArgumentError, /nesterov needs momentum > 0/],
  ['Optimizers', 'createOptimizer', 'beta1 1', () => createOptimizer({ type: 'adam', learningRate: 0.1, beta1: 1 }), ArgumentError, /createOptimizer\(adam\): beta1 must be in \[0, 1\), got 1/],
  ['Optimizers', 'createOptimizer', 'Adam epsilon 0', () => createOptimizer({ type: 'adam', learningRate: 0.1, epsilon: 0 }), ArgumentError,
    /createOptimizer\(adam\): epsilon must be > 0 .* 0\/0 = NaN/, 'accepted; a parameter whose gradient is 0 (a dead ReLU) became NaN'],
  ['Optimizers', 'createOptimizer', 'Adam epsilon 1e-50 (0 in float32)', () => createOptimizer({ type: 'adam', learningRate: 0.1, epsilon: 1e-50 }), ArgumentError,
    /epsilon must be > 0 \(at least 1\.4e-45/, 'accepted; ε became 0 in the kernel (NaN as above)'],
  ['Optimizers', 'createOptimizer', 'clipNorm (Keras per-variable)', () => createOptimizer({ type: 'adam', learningRate: 0.1, clipNorm: 1 }), ArgumentError, /clipNorm .* is not supported/],
  ['Optimizers', 'createOptimizer', 'globalClipNorm and clipValue', () => createOptimizer({ type: 'adam', learningRate: 0.1, globalClipNorm: 1, clipValue: 1 }), ArgumentError,
    /set at most one of globalClipNorm and clipValue/],
  ['Optimizers', 'createOptimizer', 'weightDecay 1e39', () => createOptimizer({ type: 'adamw', learningRate: 0.1, weightDecay: 1e39 }), ArgumentError,
    /createOptimizer\(adamw\): weightDecay is 1e\+39, beyond the float32 range/, 'accepted; weights became ±Infinity'],
  ['Optimizers', 'createOptimizer', 'option lr (typo)', () => createOptimizer({ type: 'adam', learningRate: 0.1, lr: 1 }), ArgumentError, /createOptimizer\(adam\): unknown option "lr"/],
  ['Optimizers', 'Optimizer#step', 'learningRate 1e39', (f) => f.opt.step({ learningRate: 1e39 }), ArgumentError, /adam\.step: learningRate is 1e\+39, beyond the float32 range/,
    'accepted; the weights became NaN'],
  ['Optimizers', 'Optimizer#step', 'option lr (typo)', (f) => f.opt.step({ lr: 1 }), ArgumentError, /adam\.step: unknown option "lr" \(known: learningRate\)/],
  ['Optimizers', 'Optimizer#step', 'options a string', (f) => f.opt.step('fast'), ArgumentError, /adam\.step: options must be an object, got "fast"/],
  ['Optimizers', 'Optimizer#step', 'before attach', (f) => f.loose.step(), ArgumentError, /sgd\.step: no parameter block attached; call attach\(block\) first/],
  ['Optimizers', 'Optimizer#attach', 'a second block', (f) => f.opt.attach(f.netFresh.parameters), ArgumentError, /adam\.attach: already attached to a parameter block/],
  ['Optimizers', 'Optimizer#attach', 'an empty object', (f) => f.loose.attach({}), ShapeError, /sgd\.attach: block\.size must be a positive integer, got undefined/],
  ['Optimizers', 'Optimizer#step', 'after its network was disposed', (f) => f.orphanOpt.step(), DisposedError,
    /sgd\.step: the parameter block this optimizer is attached to was used after dispose\(\)/, 'wrote into the memory of whatever was allocated there since'],
  ['Optimizers', 'Optimizer#step', 'a layer frozen after attach', (f) => {
    const before = f.freezeNet.parameters.get('0.weight');
    f.freezeNet.parameters.freeze('0');
    f.freezeOpt.step();
    return [f.freezeNet.parameters.get('0.weight'), before];
  }, ok(([after, before]) => assert.deepEqual(after, before), 'the frozen weights unchanged'), 'updated them (the ranges were read once, at attach)'],
  ['Optimizers', 'schedule(step)', 'step 4 of gamma 1e10 every step (1e40)', () => createSchedule({ type: 'step', learningRate: 1, stepSize: 1, gamma: 1e10 })(4), ArgumentError,
    /the "step" schedule's learning rate at step 4 is 1e\+40, beyond the float32 range/, 'returned 1e40 (+Infinity in the update)'],
  ['Optimizers', 'Optimizer#step', 'a disposed optimizer', (f) => f.disposedOpt.step(), DisposedError, /an Adam optimizer was used after dispose\(\)/],
  ['Optimizers', 'gradNorm', 'null', () => gradNorm(null), ArgumentError, /gradNorm: block must be a ParameterBlock, got null/],
  ['Optimizers', 'clipGradNorm', 'maxNorm 0', (f) => clipGradNorm(f.net.parameters, 0), ArgumentError, /clipGradNorm: maxNorm must be a finite number > 0, got 0/],
  ['Optimizers', 'clipGradValue', 'limit NaN', (f) => clipGradValue(f.net.parameters, NaN), ArgumentError, /clipGradValue: limit must be a finite number > 0, got NaN/],
  ['Optimizers', 'createSchedule', 'type "cosin"', () => createSchedule({ type: 'cosin' }), ArgumentError, /createSchedule: unknown schedule type "cosin"/],
  ['Optimizers', 'createSchedule', 'cosine without decaySteps', () => createSchedule({ type: 'cosine', learningRate: 1 }), ArgumentError, /createSchedule\(cosine\): decaySteps is required/],
  ['Optimizers', 'createSchedule', 'stepSize 0', () => createSchedule({ type: 'step', learningRate: 1, stepSize: 0 }), ArgumentError, /createSchedule\(step\): stepSize must be an integer ≥ 1, got 0/],
  ['Optimizers', 'createSchedule', 'learningRate 1e39', () => createSchedule({ type: 'constant', learningRate: 1e39 }), ArgumentError,
    /createSchedule\(constant\): learningRate is 1e\+39, beyond the float32 range/, 'accepted; fit trained to ±Infinity weights without an error'],
  ['Optimizers', 'createSchedule', 'minLearningRate above learningRate', () => createSchedule({ type: 'cosine', learningRate: 1, decaySteps: 10, minLearningRate: 2 }), ArgumentError,
    /minLearningRate \(2\) must not exceed learningRate \(1\)/],
  ['Optimizers', 'createSchedule', 'decayRate 0', () => createSchedule({ type: 'exponential', learningRate: 1, decayRate: 0, decaySteps: 1 }), ArgumentError,
    /decayRate must be a finite number > 0, got 0/],
  ['Optimizers', 'createSchedule', 'warmupSteps 1.5', () => createSchedule({ type: 'constant', learningRate: 1, warmupSteps: 1.5 }), ArgumentError, /warmupSteps must be an integer ≥ 0, got 1\.5/],
  ['Optimizers', 'createSchedule', 'unit "batch"', () => createSchedule({ type: 'step', learningRate: 1, stepSize: 2, unit: 'batch' }), ArgumentError, /unit must be "step" or "epoch", got "batch"/],
  ['Optimizers', 'schedule(step)', 'step −1', (f) => f.cosine(-1, 0), ArgumentError, /schedule: step must be an integer ≥ 0, got -1/],
  ['Optimizers', 'schedule(step)', 'an epoch schedule without the epoch', (f) => f.cosine(3), ArgumentError, /this cosine schedule counts epochs \(unit: 'epoch'\)/],

  // ---- CSV, Dataset, Preprocessor ----
  ['Data', 'parseCSV', 'null', () => parseCSV(null), ArgumentError, /parseCSV: the CSV must be a string, a Uint8Array or an ArrayBuffer, got null/],
  ['Data', 'parseCSV', 'an unterminated quote', () => parseCSV('a\n"x'), CsvError, /parseCSV: line 2: unterminated quoted field/],
  ['Data', 'parseCSV', 'a short record', () => parseCSV('a,b\n1,2\n3'), CsvError, /parseCSV: line 3: expected 2 fields \(as in the header\), found 1/],
  ['Data', 'parseCSV', 'a quote inside a field', () => parseCSV('a\nx"y'), CsvError, /line 2: a quote inside unquoted field 1/],
  ['Data', 'parseCSV', 'the empty text', () => parseCSV(''), CsvError, /parseCSV: line 1: the text is empty: expected a header row/],
  ['Data', 'parseCSV', 'delimiter ";;"', () => parseCSV('a\n1', { delimiter: ';;' }), ArgumentError, /parseCSV: delimiter must be one character .* got ";;"/],
  ['Data', 'parseCSV', 'Latin-1 bytes', () => parseCSV(new Uint8Array([0x61, 0x0a, 0xe9, 0x0a])), CsvError, /parseCSV: line 2: the bytes are not UTF-8 \(at byte 2: 0xE9 0x0A\)/],
  ['Data', 'detectDelimiter', 'null', () => detectDelimiter(null), ArgumentError, /detectDelimiter: the CSV text must be a string, got null/],
  ['Data', 'inferSchema', 'the CSV text, not parseCSV\'s result', () => inferSchema('a\n1'), ArgumentError, /inferSchema: give the result of parseCSV, got "a\\n1"/],
  ['Data', 'inferSchema', 'naValues a string', () => inferSchema(parseCSV('a\n1'), { naValues: 'NA' }), ArgumentError, /inferSchema: naValues must be an array of strings, got "NA"/],
  ['Data', 'Dataset.fromCSV', 'no spec', () => Dataset.fromCSV('a\n1'), ArgumentError, /Dataset\.fromCSV: spec must be an object \{ features, targets\? \}, got undefined/],
  ['Data', 'Dataset.fromCSV', 'features {}', () => Dataset.fromCSV('a\n1', { features: {} }), ArgumentError, /features is empty: name at least one feature column/],
  ['Data', 'Dataset.fromCSV', 'an unknown column', () => Dataset.fromCSV('a\n1', { features: { b: 'numeric' } }), ArgumentError, /unknown column "b" in the spec \(the data has: "a"\)/],
  ['Data', 'Dataset.fromCSV', 'type "numerical"', () => Dataset.fromCSV('a\n1', { features: { a: 'numerical' } }), ArgumentError, /feature "a": unknown type "numerical" \(known: numeric, categorical\)/],
  ['Data', 'Dataset.fromCSV', 'text in a numeric column', () => Dataset.fromCSV('a\n1\nabc', { features: { a: 'numeric' } }), DataError,
    /column "a", row 2 \(line 3\): expected a number, got "abc"/],
  ['Data', 'Dataset.fromCSV', '"Infinity" in a numeric column', () => Dataset.fromCSV('a\nInfinity', { features: { a: 'numeric' } }), DataError, /column "a", row 1 \(line 2\): expected a number, got "Infinity"/],
  ['Data', 'Dataset.fromCSV', 'a header and no rows', () => Dataset.fromCSV('a,b\n', { features: { a: 'numeric' } }), ShapeError, /Dataset\.fromCSV: the data has no rows/],
  ['Data', 'Dataset.fromCSV', 'a column named twice', () => Dataset.fromCSV('a,a\n1,2', { features: { a: 'numeric' } }), ArgumentError, /the header names column "a" more than once/],
  ['Data', 'Dataset.fromCSV', 'a column as feature and target', () => Dataset.fromCSV('a\n1', { features: { a: 'numeric' }, targets: { a: 'regression' } }), ArgumentError,
    /column "a" is both a feature and a target/],
  ['Data', 'Dataset.fromCSV', 'a binary target with 3 values', () => Dataset.fromCSV('a,y\n1,x\n2,y\n3,z', { features: { a: 'numeric' }, targets: { y: 'binary' } }), DataError,
    /target "y" \(binary\) has more than two distinct values: "x", "y", "z"/],
  ['Data', 'Dataset.fromCSV', 'a target with no label', () => Dataset.fromCSV('a,y\n1,\n2,', { features: { a: 'numeric' }, targets: { y: 'regression' } }), DataError,
    /target "y" \(regression\) has no labels: its value is missing in all 2 rows/],
  ['Data', 'Dataset.fromCSV', 'a class outside the given classes', () => Dataset.fromCSV('a,y\n1,x\n2,q', { features: { a: 'numeric' }, targets: { y: { type: 'multiclass', classes: ['x', 'y'] } } }), DataError,
    /column "y", row 2 \(line 3\): "q" is not one of the classes given in the spec/],
  ['Data', 'Dataset.fromCSV', 'a regression target of 1e39', () => Dataset.fromCSV('a,y\n1,2\n2,1e39', { features: { a: 'numeric' }, targets: { y: 'regression' } }), DataError,
    /column "y", row 2 \(line 3\): 1e\+39 is beyond the float32 range \(±3\.4e38\) a regression target is trained in/,
    'accepted; target() gave +Infinity and fit blamed "label Infinity"'],
  ['Data', 'Dataset.fromCSV', 'a numeric feature of 1e39', () => Dataset.fromCSV('a,y\n1,2\n1e39,1', { features: { a: 'numeric' }, targets: { y: 'regression' } }), DataError,
    /column "a", row 2 \(line 3\): 1e\+39 is beyond the float32 range \(±3\.4e38\) the model computes in/,
    'accepted: the column\'s other values standardized to one number'],
  ['Data', 'Dataset.fromCSV', 'a feature named "" (pandas\' index)', () => Dataset.fromCSV(',a,y\n0,1,2\n1,2,1', { features: { '': 'numeric', a: 'numeric' } }), ArgumentError,
    /a feature named "" \(column 1 of the header\): a model's columns need names/,
    'trained and saved a model that loadModel refused (columns[0].name must be a non-empty string)'],
  ['Data', 'Dataset.fromCSV', 'naValues a string', () => Dataset.fromCSV('a\n1', { features: { a: 'numeric' }, naValues: 'NA' }), ArgumentError, /naValues must be an array of strings, got "NA"/],
  ['Data', 'Dataset.fromRows', 'a string', () => Dataset.fromRows('x', { features: { a: 'numeric' } }), ArgumentError, /Dataset\.fromRows: rows must be an array of objects, got "x"/],
  ['Data', 'Dataset.fromRows', 'a number among the rows', () => Dataset.fromRows([{ a: 1 }, 5], { features: { a: 'numeric' } }), ArgumentError, /rows\[1\] must be an object, got 5/],
  ['Data', 'Dataset.fromRows', 'a hole in the rows ([r, , r])', () => Dataset.fromRows([{ a: 1 }, , { a: 2 }], { features: { a: 'numeric' } }), ArgumentError,
    /Dataset\.fromRows: rows\[1\] must be an object, got undefined/, 'TypeError (Object.keys of undefined)'],
  ['Data', 'Dataset.fromRows', 'a row without the feature', () => Dataset.fromRows([{ a: 1 }, { b: 1 }], { features: { a: 'numeric' } }), DataError, /rows\[1\] has no key "a", a feature/],
  ['Data', 'Dataset.fromRows', 'Infinity', () => Dataset.fromRows([{ a: Infinity }], { features: { a: 'numeric' } }), DataError, /column "a", rows\[0\]: expected a number, got Infinity/],
  ['Data', 'Dataset.fromRows', 'a numeric feature holding ±1e308', () => Dataset.fromRows([{ a: 1e308 }, { a: 1e308 }, { a: -1e308 }, { a: 1 }], { features: { a: 'numeric' } }), DataError,
    /column "a", rows\[0\]: 1e\+308 is beyond the float32 range \(±3\.4e38\) the model computes in/,
    'NaN features (the sum of the values overflowed), so training failed as "diverged"; then accepted, as 1e39 among the penguins\' flippers was (the other flippers standardized to one number)'],
  ['Data', 'Dataset.fromRows', 'an object in a categorical column', () => Dataset.fromRows([{ a: {} }], { features: { a: 'categorical' } }), DataError,
    /column "a", rows\[0\]: expected a string, number or boolean, got an object/],
  ['Data', 'Dataset.fromColumns', 'columns of 2 and 1 values', () => Dataset.fromColumns({ a: [1, 2], b: [1] }, { features: { a: 'numeric', b: 'numeric' } }), ShapeError,
    /column "b" has 1 values but column "a" has 2/],
  ['Data', 'Dataset.fromColumns', 'a string column', () => Dataset.fromColumns({ a: 'xy' }, { features: { a: 'numeric' } }), ArgumentError, /column "a" must be an array or a typed array, got "xy"/],
  ['Data', 'Dataset#split', 'fraction 0', (f) => f.ds.split(0), ArgumentError, /Dataset\.split: fraction must be a number between 0 and 1 \(exclusive\), got 0/],
  ['Data', 'Dataset#split', 'seed −1', (f) => f.ds.split(0.5, { seed: -1 }), ArgumentError, /Dataset\.split: seed must be an integer/],
  ['Data', 'Dataset#split', 'stratify on an unknown target', (f) => f.ds.split(0.5, { stratify: 'island' }), ArgumentError, /stratify must name a binary or multiclass target .* got "island"/],
  ['Data', 'Dataset#split', 'option strat (typo)', (f) => f.ds.split(0.5, { strat: 'species' }), ArgumentError, /Dataset\.split: unknown option "strat"/],
  ['Data', 'Dataset#select', 'no indices', (f) => f.ds.select([]), ShapeError, /Dataset\.select: no indices: a Dataset needs at least one row/],
  ['Data', 'Dataset#select', 'index 6 of 6 rows', (f) => f.ds.select([6]), ArgumentError, /indices\[0\] must be an integer row index from 0 to 5, got 6/],
  ['Data', 'Dataset#column', 'an unknown column', (f) => f.ds.column('sex'), ArgumentError, /Dataset\.column: no column "sex"/],
  ['Data', 'Dataset#target', 'a feature', (f) => f.ds.target('bill'), ArgumentError, /Dataset\.target: no target "bill" \(targets: "species", "mass"\)/],
  ['Data', 'Preprocessor.fit', 'a plain object', () => Preprocessor.fit({}), ArgumentError, /Preprocessor\.fit: expected a Dataset, got an object/],
  ['Data', 'Preprocessor.fromJSON', 'text that is not JSON', () => Preprocessor.fromJSON('{'), ArgumentError, /Preprocessor\.fromJSON: the text is not JSON/],
  ['Data', 'Preprocessor.fromJSON', 'std 0', () => Preprocessor.fromJSON(prepJson({ std: 0 })), ArgumentError, /columns\[0\]\.std must be > 0, got 0/],
  ['Data', 'Preprocessor#transform', 'std 1e-320 from JSON, then a value', () => Preprocessor.fromJSON(prepJson({ std: 1e-320 })).transform([{ a: 1 }]), DataError,
    /column "a", rows\[0\]: the value 1 is too far from the fitted mean 0 \(std 1e-320\)/, 'a feature of +Infinity'],
  ['Data', 'Preprocessor#transform', 'fill 1e308 from JSON, then a missing value', () => Preprocessor.fromJSON(prepJson({ fill: 1e308 })).transform([{ a: null }]), DataError,
    /column "a", rows\[0\]: the fill value 1e\+308 of a missing value is 1\.00e\+308 standard deviations from the fitted mean/, 'a feature of +Infinity'],
  ['Data', 'Preprocessor#transform', 'no rows', (f) => f.pre.transform([]), ShapeError, /Preprocessor\.transform: no rows/],
  ['Data', 'Preprocessor#transform', 'a row without a feature', (f) => f.pre.transform([{ bill: 40 }]), DataError, /rows\[0\] has no key "island"/],
  ['Data', 'Preprocessor#transform', 'a hole in the rows ([r, , r])', (f) => f.pre.transform([{ bill: 40, island: 'Dream' }, , { bill: 41, island: 'Dream' }]), ArgumentError,
    /Preprocessor\.transform: rows\[1\] must be an object, got undefined/, 'the hole encoded as a row of zeros'],
  ['Data', 'Preprocessor#transform', 'text in a numeric column', (f) => f.pre.transform([{ bill: 'forty', island: 'Dream' }]), DataError,
    /column "bill", rows\[0\]: expected a number, got "forty"/],
  ['Data', 'Preprocessor#transform', 'an unseen category', (f) => f.pre.transform([{ bill: 40, island: 'Atlantis' }]), UnknownCategoryError,
    /column "island", rows\[0\]: unknown category "Atlantis" \(known: "Biscoe", "Dream", "Torgersen"\)/],
  ['Data', 'Preprocessor#transform', 'an unseen category of 1 MB', (f) => f.pre.transform([{ bill: 40, island: 'z'.repeat(1_000_000) }]), UnknownCategoryError,
    /column "island", rows\[0\]: unknown category "z{100}"… \(1000000 characters\) \(known:/, 'a message of 1 MB (the whole category quoted)'],
  ['Data', 'Preprocessor#transform', 'a value 1e300 (beyond float32 once standardized)', (f) => f.pre.transform([{ bill: 1e300, island: 'Dream' }]), DataError,
    /column "bill", rows\[0\]: the value 1e\+300 is .* standard deviations from the fitted mean .* beyond the float32 range/, 'a feature of +Infinity'],

  // ---- the multi-task model ----
  ['MultiTaskModel', 'new MultiTaskModel', 'options null', () => new MultiTaskModel(null), ArgumentError, /MultiTaskModel: options must be an object, got null/],
  ['MultiTaskModel', 'new MultiTaskModel', 'no input', () => new MultiTaskModel({ architecture: ARCH, tasks: [tasks.binary('a')] }), ArgumentError, /options\.input is required/],
  ['MultiTaskModel', 'new MultiTaskModel', 'tasks a string', () => new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, tasks: 'a' }), ArgumentError, /tasks must be an array of tasks\.binary/],
  ['MultiTaskModel', 'new MultiTaskModel', 'tasks [null]', () => new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, tasks: [null] }), ArgumentError,
    /MultiTaskModel: task 0 is null; make tasks with tasks\.binary\(name\)/, 'TypeError (reading \'name\' of null)'],
  ['MultiTaskModel', 'new MultiTaskModel', 'two tasks named "a"', () => new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, tasks: [tasks.binary('a'), tasks.regression('a')] }), ArgumentError,
    /two tasks are named "a"/],
  ['MultiTaskModel', 'new MultiTaskModel', 'architecture "moe"', () => new MultiTaskModel({ input: { features: 3 }, architecture: { type: 'moe' }, tasks: [tasks.binary('a')] }), ArgumentError,
    /unknown architecture type "moe"/],
  ['MultiTaskModel', 'new MultiTaskModel', 'features 0', () => new MultiTaskModel({ input: { features: 0 }, architecture: ARCH, tasks: [tasks.binary('a')] }), ArgumentError,
    /MultiTaskModel input: features must be a positive count or a list of names, got 0/],
  ['MultiTaskModel', 'new MultiTaskModel', 'features 1e9', () => new MultiTaskModel({ input: { features: 1e9 }, architecture: ARCH, tasks: [tasks.binary('a')] }), ArgumentError,
    /MultiTaskModel input: features is 1000000000; a model takes at most 1048576 features/, 'the process crashed: out of JS heap making 10⁹ feature names'],
  ['MultiTaskModel', 'new MultiTaskModel', 'feature names ["a", "a"]', () => new MultiTaskModel({ input: { features: ['a', 'a'] }, architecture: ARCH, tasks: [tasks.binary('y')] }), ArgumentError,
    /features names "a" twice/, 'accepted'],
  ['MultiTaskModel', 'new MultiTaskModel', 'input.classes of a task "abc"', () => new MultiTaskModel({ input: { features: 3, classes: { k: 'abc' } }, architecture: ARCH, tasks: [tasks.multiclass('k')] }), ArgumentError,
    /task "k": its classes must be a class count ≥ 1 or a non-empty list of class names, got "abc"/, 'TypeError (c.map is not a function)'],
  ['MultiTaskModel', 'new MultiTaskModel', 'input.classes of a task []', () => new MultiTaskModel({ input: { features: 3, classes: { k: [] } }, architecture: ARCH, tasks: [tasks.multiclass('k')] }), ArgumentError,
    /task "k": its classes must be a class count ≥ 1 or a non-empty list/, 'ShapeError from Dense ("units must be a positive integer, got 0"), naming no task'],
  ['MultiTaskModel', 'new MultiTaskModel', 'seed 2³²', () => new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, tasks: [tasks.binary('a')], seed: 2 ** 32 }), ArgumentError,
    /MultiTaskModel: seed must be an integer from 0 to 4294967295, got 4294967296/],
  ['MultiTaskModel', 'new MultiTaskModel', 'optimizer learningRate 1e39', () => new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, tasks: [tasks.binary('a')], optimizer: { type: 'sgd', learningRate: 1e39 } }), ArgumentError,
    /createOptimizer\(sgd\): learningRate is 1e\+39, beyond the float32 range/, 'accepted'],
  ['MultiTaskModel', 'new MultiTaskModel', 'weighting "nash"', () => new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, tasks: [tasks.binary('a')], weighting: { type: 'nash' } }), ArgumentError,
    /unknown weighting type "nash"/],
  ['MultiTaskModel', 'new MultiTaskModel', 'affinity every 0', () => new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, tasks: [tasks.binary('a'), tasks.binary('b')], affinity: { every: 0 } }), ShapeError,
    /affinity: every must be a positive integer, got 0/, 'ShapeError, leaking the optimizer state (192 bytes)'],
  ['MultiTaskModel', 'new MultiTaskModel', 'relatedness strength Infinity', () => new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, tasks: [tasks.binary('a'), tasks.binary('b')], relatedness: { pairs: [['a', 'b', 1]], strength: Infinity } }), ArgumentError,
    /relatedness: strength must be a finite number, got Infinity/, 'ArgumentError, leaking the optimizer state'],
  ['MultiTaskModel', 'new MultiTaskModel', 'relatedness strength 1e39', () => new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, tasks: [tasks.binary('a'), tasks.binary('b')], relatedness: { pairs: [['a', 'b', 1]], strength: 1e39 } }), ArgumentError,
    /relatedness: strength is 1e\+39, beyond the float32 range/, 'accepted; gradients became ±Infinity'],
  ['MultiTaskModel', 'new MultiTaskModel', 'a regression task (written by hand) with a bce loss', () => new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, tasks: [{ name: 'a', kind: 'regression', loss: { type: 'bce' } }] }), ArgumentError,
    /MultiTaskModel: task "a": the bce loss does not fit a regression task; a regression task takes mse, huber/, 'accepted; trained on standardized targets outside [0, 1] to a loss of −74'],
  ['MultiTaskModel', 'new MultiTaskModel', 'a task written by hand with classWeights [1, −5]', () => new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, tasks: [{ name: 'a', kind: 'binary', classWeights: [1, -5] }] }), ArgumentError,
    /MultiTaskModel: task "a": classWeights must be 'balanced' or an array of finite weights ≥ 0 \(within the float32 range\), got classWeights\[1\] = -5/, 'accepted; trained on a negative loss'],
  ['MultiTaskModel', 'new MultiTaskModel', 'classes 4 and input.classes 3', () => new MultiTaskModel({ input: { features: 3, classes: { k: 3 } }, architecture: ARCH, tasks: [tasks.multiclass('k', { classes: 4 })] }), ArgumentError,
    /task "k" declares 4 classes \(its classes option\), but input\.classes gives 3/, 'accepted, with 3 outputs'],
  ['MultiTaskModel', 'new MultiTaskModel', 'a task weight with the uncertainty weighting', () => new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, tasks: [tasks.binary('a', { weight: 5 }), tasks.binary('b')], weighting: { type: 'uncertainty' } }), ArgumentError,
    /task "a" has weight 5, but the "uncertainty" weighting sets the task weights itself/, 'accepted; the weight ignored'],
  ['MultiTaskModel', 'new MultiTaskModel', 'gradients "both"', () => new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, tasks: [tasks.binary('a')], gradients: 'both' }), ArgumentError,
    /gradients must be 'representation' or 'parameters', got "both"/],
  ['MultiTaskModel', 'new MultiTaskModel', 'option epochs (belongs to fit)', () => new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, tasks: [tasks.binary('a')], epochs: 3 }), ArgumentError,
    /MultiTaskModel: unknown option "epochs"/],
  ['MultiTaskModel', 'new MultiTaskModel', 'headUnits [1e9] (16 GB)', () => new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, tasks: [tasks.binary('a', { headUnits: [1e9] })] }), OutOfMemoryError,
    /cannot allocate \d+ bytes for \d+ parameters: WebAssembly memory is limited to 4 GiB/],
  ['MultiTaskModel', 'tasks.binary', 'no name', () => tasks.binary(), ArgumentError, /tasks\.binary: the task name must be a non-empty string, got undefined/],
  ['MultiTaskModel', 'tasks.binary', 'options null', () => tasks.binary('a', null), ArgumentError, /tasks\.binary\('a'\): options must be an object, got null/],
  ['MultiTaskModel', 'tasks.binary', 'option weigth (typo)', () => tasks.binary('a', { weigth: 2 }), ArgumentError, /tasks\.binary\('a'\): unknown option "weigth"/],
  ['MultiTaskModel', 'tasks.regression', 'weight −1', () => tasks.regression('a', { weight: -1 }), ArgumentError, /tasks\.regression\('a'\): weight must be ≥ 0, got -1/],
  ['MultiTaskModel', 'tasks.regression', 'weight 1e39', () => tasks.regression('a', { weight: 1e39 }), ArgumentError, /tasks\.regression\('a'\): weight is 1e\+39, beyond the float32 range/,
    'accepted; the task\'s gradient became ±Infinity'],
  ['MultiTaskModel', 'tasks.binary', 'headUnits [0]', () => tasks.binary('a', { headUnits: [0] }), ShapeError, /tasks\.binary\('a'\): headUnits\[0\] must be a positive integer, got 0/],
  ['MultiTaskModel', 'tasks.multiclass', 'classes 1', () => tasks.multiclass('a', { classes: 1 }), ArgumentError, /a multiclass task needs at least 2 classes, got 1/],
  ['MultiTaskModel', 'tasks.binary', 'class weight 1e39', () => tasks.binary('a', { classWeights: [1, 1e39] }), ArgumentError,
    /tasks\.binary\('a'\): classWeights must be 'balanced' or an array of finite weights ≥ 0 \(within the float32 range\)/, 'accepted; the loss became NaN'],
  ['MultiTaskModel', 'tasks.binary', 'loss "bce" (a string)', () => tasks.binary('a', { loss: 'bce' }), ArgumentError, /tasks\.binary\('a'\): loss: spec must be an object/,
    'accepted here; the model constructor then failed naming no task'],
  ['MultiTaskModel', 'tasks.regression', 'loss huber with delta −1', () => tasks.regression('a', { loss: { type: 'huber', delta: -1 } }), ArgumentError,
    /tasks\.regression\('a'\): loss: delta of a "huber" loss must be a finite number > 0, got -1/, 'accepted here; failed later naming no task'],
  ['MultiTaskModel', 'tasks.binary', 'headActivation "relux"', () => tasks.binary('a', { headUnits: [4], headActivation: 'relux' }), ArgumentError,
    /tasks\.binary\('a'\): headActivation: unknown activation "relux"/, 'accepted here; the model constructor failed in Dense, naming no task'],
  ['MultiTaskModel', 'tasks.binary', 'inputsFrom itself', () => tasks.binary('a', { inputsFrom: ['a'] }), ArgumentError, /a task cannot read its own prediction/],
  ['MultiTaskModel', 'tasks.clustering', 'no clusters', () => tasks.clustering('c'), ArgumentError, /a clustering task needs clusters/],
  ['MultiTaskModel', 'tasks.binary', 'clusters 3', () => tasks.binary('a', { clusters: 3 }), ArgumentError, /clusters applies to clustering tasks only/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'labels a string', (f) => f.model.fit(X, 'labels'), ArgumentError, /fit: labels must be an object \{ taskName: values \}, got "labels"/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'labels of a task null', (f) => f.model.fit(X, { ...LABELS, flag: null }), ArgumentError,
    /fit: the labels of task "flag" must be an array .* got null/, 'TypeError (reading \'length\' of null)'],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'labels for an unknown task', (f) => f.model.fit(X, { ...LABELS, colour: X.map(() => 1) }), ArgumentError,
    /fit: labels for "colour", which is not a task \(tasks: kind, flag, amount\)/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'x with NaN', (f) => f.model.fit(at(X, 3, 1, NaN), LABELS), ArgumentError, /fit: x row 3, column 1 is NaN; expected a finite number/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'x with 1e39', (f) => f.model.fit(at(X, 5, 0, 1e39), LABELS), ArgumentError, /fit: x row 5, column 0 is 1e\+39, beyond the float32 range/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'learningRate 1e39', (f) => f.model.fit(X, LABELS, { learningRate: 1e39 }), ArgumentError,
    /^fit: learningRate is 1e\+39, beyond the float32 range/, 'the same error named createSchedule(constant)'],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'x a Matrix holding Infinity', (f) => f.model.fit(f.withInf, { flag: [1] }), ArgumentError, /fit: x row 0, column 0 is Infinity; expected a finite number/,
    'accepted; the loss became NaN and training "diverged"'],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'ragged x', (f) => f.model.fit(X.map((r, i) => (i === 4 ? r.slice(0, 2) : r)), LABELS), ShapeError, /fit: x row 4 has 2 values, expected 3/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'no rows', (f) => f.model.fit([], LABELS), ShapeError, /fit: x has no rows/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'x null', (f) => f.model.fit(null, LABELS), ArgumentError, /fit: x must be a Dataset, an array of rows, a Float32Array, \{ data, rows, cols \} or a Matrix, got null/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'class 3 of 3', (f) => f.model.fit(X, { ...LABELS, kind: LABELS.kind.map((v, i) => (i === 7 ? 3 : v)) }), ArgumentError,
    /task "kind", row 7: class 3 is out of range; expected an integer from 0 to 2/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'binary label 2', (f) => f.model.fit(X, { ...LABELS, flag: LABELS.flag.map((v, i) => (i === 4 ? 2 : v)) }), ArgumentError,
    /task "flag", row 4: label 2 must be 0 or 1/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'regression label "heavy"', (f) => f.model.fit(X, { ...LABELS, amount: LABELS.amount.map((v, i) => (i === 9 ? 'heavy' : v)) }), ArgumentError,
    /task "amount", row 9: label "heavy" is not a number/],
  ['MultiTaskModel', 'MultiTaskModel#fit', '23 labels for 24 rows', (f) => f.model.fit(X, { ...LABELS, kind: LABELS.kind.slice(1) }), ShapeError, /task "kind": expected 24 label values \(24 rows\), got 23/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'every label of a task missing', (f) => f.model.fit(X, { ...LABELS, amount: X.map(() => null) }), ArgumentError, /task "amount" has no labels in the training data/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'option epoch (typo)', (f) => f.model.fit(X, LABELS, { epoch: 3 }), ArgumentError, /fit: unknown option "epoch" \(known: epochs, batchSize/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'batchSize 0', (f) => f.model.fit(X, LABELS, { batchSize: 0 }), ShapeError, /fit: batchSize must be a positive integer, got 0/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'epochs 1.5', (f) => f.model.fit(X, LABELS, { epochs: 1.5 }), ShapeError, /fit: epochs must be an integer ≥ 0, got 1\.5/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'validationSplit 1.5', (f) => f.model.fit(X, LABELS, { validationSplit: 1.5 }), ArgumentError, /validationSplit must be a number between 0 and 1, got 1\.5/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'validationSplit 0.01 of 24 rows', (f) => f.model.fit(X, LABELS, { validationSplit: 0.01 }), ArgumentError, /validationSplit 0\.01 of 24 rows leaves no rows on one side/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'validationData null', (f) => f.model.fit(X, LABELS, { validationData: null }), ArgumentError,
    /fit: validationData must be a Dataset or \{ x, labels \}, got null/, 'TypeError (reading \'x\' of null)'],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'validationData without labels', (f) => f.model.fit(X, LABELS, { validationData: { x: X } }), ArgumentError,
    /fit validationData: no task has a labeled row \(tasks: kind, flag, amount\)/, 'accepted; every epoch reported val_loss 0'],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'validationSplit over rows without labels', (f) => f.model.fit(X, Object.fromEntries(Object.entries(LABELS).map(([k, v]) => [k, v.map((e, i) => (i >= 18 ? NaN : e))])), { validationSplit: 0.25 }), ArgumentError,
    /fit: the last 6 rows \(validationSplit\): no task has a labeled row/, 'accepted; every epoch reported val_loss 0'],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'callbacks.onEpochEnd 3', (f) => f.model.fit(X, LABELS, { callbacks: { onEpochEnd: 3 } }), ArgumentError, /fit: callbacks\.onEpochEnd must be a function, got 3/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'earlyStopping monitor "kind_acc"', (f) => f.model.fit(X, LABELS, { earlyStopping: { monitor: 'kind_acc' } }), ArgumentError,
    /earlyStopping\.monitor "kind_acc" is not something fit logs/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'earlyStopping minDelta Infinity', (f) => f.model.fit(X, LABELS, { earlyStopping: { minDelta: Infinity } }), ArgumentError,
    /fit: earlyStopping\.minDelta must be a finite number, got Infinity/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'learningRate NaN', (f) => f.model.fit(X, LABELS, { learningRate: NaN }), ArgumentError, /fit: learningRate must be a finite number, got NaN/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'learningRate 1e39', (f) => f.model.fit(X, LABELS, { learningRate: 1e39 }), ArgumentError,
    /learningRate is 1e\+39, beyond the float32 range/, 'trained to ±Infinity/NaN weights and resolved without an error'],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'sample weight 1e39', (f) => f.model.fit(X, LABELS, { sampleWeights: X.map((_, i) => (i === 2 ? 1e39 : 1)) }), ArgumentError,
    /sampleWeights: row 2 has weight 1e\+39; expected a finite number ≥ 0 within the float32 range/, 'TrainingDivergedError two steps later'],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'sampleWeights a string', (f) => f.model.fit(X, LABELS, { sampleWeights: 'abc' }), ArgumentError,
    /fit: sampleWeights must be an array or a typed array of weights \(one per row\), got "abc"/, 'ArgumentError "expected 24 weights, got 3" (the string\'s length)'],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'freeze a prefix nothing has', (f) => f.model.fit(X, LABELS, { freeze: ['shared', 'trunk'] }), ArgumentError, /no parameter name starts with "trunk"/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'yieldEveryMs −1', (f) => f.model.fit(X, LABELS, { yieldEveryMs: -1 }), ArgumentError, /fit: yieldEveryMs must be ≥ 0, got -1/, 'accepted'],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'divergence { factor: 0.5 }', (f) => f.model.fit(X, LABELS, { divergence: { factor: 0.5 } }), ArgumentError,
    /fit: divergence\.factor must be a number > 1 \(or Infinity\), got 0\.5/, 'refused as an unknown option (there was no divergence rule)'],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'sampleWeights all 0', (f) => f.model.fit(X, LABELS, { sampleWeights: X.map(() => 0) }), ArgumentError,
    /fit: sampleWeights has no positive weight; at least one row must weigh more than 0/, 'accepted; trained nothing, every task logged a loss of 0'],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'a regression label −1e39', (f) => f.model.fit(X, { ...LABELS, amount: LABELS.amount.map((v, i) => (i === 6 ? -1e39 : v)) }), ArgumentError,
    /task "amount", row 6: label -1e\+39 is beyond float32's range \(±3\.4e38\)/, 'accepted (its standardized value fits float32); a loss of 3.3e73'],
  ['MultiTaskModel', 'MultiTaskModel#evaluate', 'no labels', (f) => f.model.evaluate(X), ArgumentError, /evaluate: no task has a labeled row \(tasks: kind, flag, amount\)/,
    'returned { loss: 0, tasks: {} }'],
  ['MultiTaskModel', 'MultiTaskModel#evaluate', 'every label NaN', (f) => f.model.evaluate(X, { flag: X.map(() => NaN) }), ArgumentError, /evaluate: no task has a labeled row/,
    'returned { loss: 0, tasks: {} }'],
  ['MultiTaskModel', 'MultiTaskModel#evaluate', 'x with NaN', (f) => f.model.evaluate(at(X, 1, 1, NaN), LABELS), ArgumentError, /evaluate: x row 1, column 1 is NaN/],
  ['MultiTaskModel', 'MultiTaskModel#evaluate', 'a row whose prediction overflows (x of ±1e38)', (f) => f.model.evaluate(X.map((r, i) => (i === 1 ? [1e38, -1e38, 1e38] : r)), LABELS),
    NonFinitePredictionError, /evaluate: task "amount", row 1: the prediction is -Infinity, not a finite number/, 'scored: an amount loss of 4.5e72, as predict refused the row'],
  ['MultiTaskModel', 'MultiTaskModel#evaluate', 'a file without Chinstrap (its classes [Adelie, Gentoo]; Dataset model)',
    (f) => [f.dsModel.evaluate(Dataset.fromCSV(WITHOUT_CHINSTRAP, PENGUIN_SPEC)), f.dsModel.evaluate(f.ds.select([0, 1, 3, 4]))],
    ok(([got, same]) => assert.deepEqual(got, same), 'the metrics of the same rows of the training Dataset'),
    "Gentoo read as the file's class 1, the model's Chinstrap: wrong metrics, no error"],
  ['MultiTaskModel', 'MultiTaskModel#evaluate', 'a species the model does not know (Dataset model)',
    (f) => f.dsModel.evaluate(Dataset.fromCSV('bill,island,species,mass\n39.1,Torgersen,Adelie,3750\n46.5,Biscoe,Macaroni,5100\n', PENGUIN_SPEC)), UnknownClassError,
    /evaluate: task "species", row 2 \(line 3\): class "Macaroni" is not one of the model's classes \("Adelie", "Chinstrap", "Gentoo"\)/,
    "accepted; Macaroni read as the file's class 1, the model's Chinstrap"],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'a task named "__proto__"', async () => {
    const m = new MultiTaskModel({ input: { features: 3 }, architecture: ARCH, seed: 1, tasks: [tasks.binary('__proto__'), tasks.regression('amount')] });
    try {
      await m.fit(X, Object.fromEntries([['__proto__', LABELS.flag], ['amount', LABELS.amount]]), { epochs: 1 });
      return Object.keys(m.predict(X));
    } finally {
      m.dispose();
    }
  }, ok((keys) => assert.deepEqual(keys, ['__proto__', 'amount']), 'trained; predict answers both tasks'),
  'ArgumentError "bce loss: gradScale must be a finite number, got NaN"'],
  ['MultiTaskModel', 'MultiTaskModel#predict', 'no rows', (f) => f.model.predict([]), ShapeError, /predict: x has no rows/],
  ['MultiTaskModel', 'MultiTaskModel#predict', 'x null', (f) => f.model.predict(null), ArgumentError, /predict: x must be a Dataset, an array of rows, a Float32Array, \{ data, rows, cols \} or a Matrix, got null/],
  ['MultiTaskModel', 'MultiTaskModel#predict', 'rows of 2 values for 3 features', (f) => f.model.predict([[1, 2]]), ShapeError, /predict: x row 0 has 2 values, expected 3/],
  ['MultiTaskModel', 'MultiTaskModel#predict', 'a hole in the rows ([r, , r])', (f) => f.model.predict([[0, 1, 0], , [0, 1, 0]]), ShapeError,
    /predict: x row 1 has the value undefined, expected 3/, 'the hole predicted as a row of zeros'],
  ['MultiTaskModel', 'MultiTaskModel#predict', '−1e39', (f) => f.model.predict([[0, -1e39, 0]]), ArgumentError, /predict: x row 0, column 1 is -1e\+39, beyond the float32 range/],
  ['MultiTaskModel', 'MultiTaskModel#predict', 'a Matrix holding Infinity', (f) => f.model.predict(f.withInf), ArgumentError, /predict: x row 0, column 0 is Infinity/,
    'predictions of NaN'],
  ['MultiTaskModel', 'MultiTaskModel#predict', 'objects for a model built from arrays', (f) => f.model.predict([{ a: 1 }]), ArgumentError, /predict: this model was built from arrays/],
  ['MultiTaskModel', 'MultiTaskModel#predict', 'a Float32Array of 4 values', (f) => f.model.predict(new Float32Array(4)), ShapeError, /predict: a flat x must hold rows × 3 values, got 4/],
  ['MultiTaskModel', 'MultiTaskModel#predict', 'an unseen category (Dataset model)', (f) => f.dsModel.predict([{ bill: 40, island: 'Dream' }, { bill: 41, island: 'Atlantis' }]), UnknownCategoryError,
    /column "island", rows\[1\]: unknown category "Atlantis"/],
  ['MultiTaskModel', 'MultiTaskModel#predict', 'arrays not marked encoded (Dataset model)', (f) => f.dsModel.predict([[40, 0, 1, 0]]), ArgumentError,
    /predict: this model was built from a Dataset: give rows as objects with its columns \("bill", "island"\) or a Dataset; .* only when marked so: encoded\(x\)/, 'read as encoded features: a bill of 40 standard deviations'],
  ['MultiTaskModel', 'MultiTaskModel#predict', 'bill 1e300 (Dataset model)', (f) => f.dsModel.predict([{ bill: 1e300, island: 'Dream' }]), DataError,
    /column "bill", rows\[0\]: the value 1e\+300 is .* from the fitted mean/, 'predictions of NaN'],
  ['MultiTaskModel', 'MultiTaskModel#classNames', 'an unknown task', (f) => f.model.classNames('colour'), ArgumentError, /classNames: unknown task "colour" \(tasks: kind, flag, amount\)/],
  ['MultiTaskModel', 'MultiTaskModel#classNames', 'a Symbol', (f) => f.model.classNames(Symbol('x')), ArgumentError, /classNames: unknown task symbol/, 'TypeError (cannot convert a Symbol to a string)'],
  ['MultiTaskModel', 'MultiTaskModel#inputSpec', 'a model built from arrays', (f) => f.model.inputSpec(), ArgumentError, /this model was built from arrays; it reads 3 numeric features/],
  ['MultiTaskModel', 'MultiTaskModel#freeze', 'a prefix nothing has', (f) => f.model.freeze('trunk'), ArgumentError, /freeze: no parameter name starts with "trunk"/],
  ['MultiTaskModel', 'MultiTaskModel#unfreeze', 'a number', (f) => f.model.unfreeze(3), ArgumentError, /unfreeze: the name prefix must be a non-empty string, got 3/],
  ['MultiTaskModel', 'MultiTaskModel#addTask', 'null', (f) => f.model.addTask(null), ArgumentError, /addTask: the task must be made with tasks\.binary\(name\)/, 'TypeError (reading \'name\' of null)'],
  ['MultiTaskModel', 'MultiTaskModel#addTask', 'a task named like an existing one', (f) => f.model.addTask(tasks.binary('flag')), ArgumentError, /addTask: the model already has a task named "flag"/],
  ['MultiTaskModel', 'MultiTaskModel#addTask', 'a multiclass task without classes', (f) => f.model.addTask(tasks.multiclass('grade')), ArgumentError, /addTask: the multiclass task "grade" needs data or classes/],
  ['MultiTaskModel', 'MultiTaskModel#addTask', 'option freezeshared (typo)', (f) => f.model.addTask(tasks.binary('b2'), { freezeshared: true }), ArgumentError, /addTask: unknown option "freezeshared"/],
  ['MultiTaskModel', 'MultiTaskModel#save', 'option meta (typo)', (f) => f.model.save({ meta: 1 }), ArgumentError, /save: unknown option "meta" \(known: metadata, weights\)/],
  ['MultiTaskModel', 'loadModel', 'three zero bytes', () => loadModel(new Uint8Array(3)), ModelFormatError, /model/i],
  ['MultiTaskModel', 'loadModel', 'a truncated model file', (f) => loadModel(f.bytes.subarray(0, f.bytes.length >> 1)), ModelFormatError, /model/i],
  // Save and load (issue #8, item 4: docs/reliability.md "Hostile model files"). Forged files carry a recomputed CRC-32.
  ['MultiTaskModel', 'MultiTaskModel#save', 'metadata holding a BigInt', (f) => f.model.save({ metadata: { n: 10n } }), ArgumentError,
    /save: metadata\.n is a BigInt \(10n\); metadata must be a plain JSON-safe object/, 'TypeError from JSON.stringify ("Do not know how to serialize a BigInt")'],
  ['MultiTaskModel', 'MultiTaskModel#save', 'circular metadata', (f) => { const m = { a: {} }; m.a.up = m; return f.model.save({ metadata: m }); }, ArgumentError,
    /save: metadata\.a\.up is the object it is inside \(a cycle\)/, 'TypeError from JSON.stringify ("Converting circular structure to JSON")'],
  ['MultiTaskModel', 'MultiTaskModel#save', 'metadata holding a function', (f) => f.model.save({ metadata: { f: () => 1 } }), ArgumentError,
    /save: metadata\.f is a function \(JSON would drop it\)/, 'accepted; the key was dropped from the file'],
  ['MultiTaskModel', 'MultiTaskModel#save', 'metadata holding NaN', (f) => f.model.save({ metadata: { score: [1, NaN] } }), ArgumentError,
    /save: metadata\.score\[1\] is NaN \(JSON would store null\)/, 'accepted; the file held null'],
  ['MultiTaskModel', 'MultiTaskModel#save', 'metadata holding a Date', (f) => f.model.save({ metadata: { when: new Date(0) } }), ArgumentError,
    /save: metadata\.when is a Date \(not a plain object\)/, 'accepted; the file held a string'],
  ['MultiTaskModel', 'MultiTaskModel#save', 'metadata a Map', (f) => f.model.save({ metadata: new Map([['a', 1]]) }), ArgumentError,
    /save: metadata must be a plain JSON-safe object .*, got a Map/, 'accepted; the file held {}'],
  ['MultiTaskModel', 'MultiTaskModel#save', '17 MB of metadata', (f) => f.model.save({ metadata: { notes: 'x'.repeat(17_000_000) } }), ArgumentError,
    /save: the model's description is \d+ bytes of JSON \(its metadata \d+\), over the file format's limit of 16777216 bytes/, 'wrote a file that loadModel refuses ("the header length … does not fit")'],
  ['MultiTaskModel', 'new MultiTaskModel', 'a model of 1,025 tasks (more than a model file holds)', () =>
    new MultiTaskModel({ input: { features: 2 }, architecture: ARCH, tasks: Array.from({ length: 1025 }, (_, i) => tasks.binary(`t${i}`)), affinity: false }),
  ArgumentError, /MultiTaskModel: 1025 tasks; a model holds at most 1024/, 'built, then saved; both loaders read it (now a limit of the model and both loaders: see Hostile model files)'],
  ['MultiTaskModel', 'loadModel', 'regression statistics { mean: "x" }', (f) => loadModel(withHeader(f.bytes, (h) => ({ ...h, targetStats: { amount: { mean: 'x', std: 1 } } }))), ModelFormatError,
    /the target statistics of "amount" are mean "x" and std 1; they must be finite, the std > 0, both within the float32 range/, 'loaded; every prediction of the task was NaN'],
  ['MultiTaskModel', 'loadModel', 'regression std 1e308', (f) => loadModel(withHeader(f.bytes, (h) => ({ ...h, targetStats: { amount: { mean: 0, std: 1e308 } } }))), ModelFormatError,
    /the target statistics of "amount" are mean 0 and std 1e\+308/, 'loaded; predictions ±Infinity'],
  ['MultiTaskModel', 'loadModel', 'statistics for a binary task', (f) => loadModel(withHeader(f.bytes, (h) => ({ ...h, targetStats: { ...h.targetStats, flag: { mean: 0, std: 1 } } }))), ModelFormatError,
    /the target statistics name "flag", which is not a regression, gaussian or quantile task/, 'loaded (ignored)'],
  ['MultiTaskModel', 'loadModel', 'an int8 scale of 1e37 (127 · scale beyond float32)', (f) => loadModel(withHeader(f.model.save({ weights: 'int8' }), (h) => ({ ...h, parameters: h.parameters.map((t, i) => (i === 1 ? { ...t, scale: 1e37 } : t)) }))), ModelFormatError,
    /entry 1 of the parameter table is not a tensor .* with a finite scale ≥ 0: its scale is 1e\+37/, 'ModelFormatError naming weight 20 as not finite, not the scale'],
  ['MultiTaskModel', 'loadModel', 'a weighting state of another strategy', (f) => loadModel(withHeader(f.bytes, (h) => ({ ...h, weightingState: { type: 'dwa' } }))), ModelFormatError,
    /its weighting state is invalid \(fixed\.restore: state is for a "dwa" strategy/, 'ArgumentError from fixed.restore, leaking the loaded model (1,248 bytes of WASM memory)'],
  ['MultiTaskModel', 'loadModel', 'class names nested 20,000 deep', (f) => loadModel(withHeaderText(f.bytes, JSON.stringify({ ...parseFile(f.bytes).header, schema: { ...parseFile(f.bytes).header.schema, tasks: { ...parseFile(f.bytes).header.schema.tasks, kind: { width: 3, classes: ['a', 'b', '\u0000'] } } } }).replace('"\\u0000"', `${'['.repeat(20_000)}${']'.repeat(20_000)}`))), ModelFormatError,
    /the class names of task "kind" are not a list of strings/, 'RangeError (Maximum call stack size exceeded)'],
  ['MultiTaskModel', 'loadModel', '3 class names for a binary task', (f) => loadModel(withHeader(f.bytes, (h) => ({ ...h, schema: { ...h.schema, tasks: { ...h.schema.tasks, flag: { width: 1, classes: ['a', 'b', 'c'] } } } }))), ModelFormatError,
    /task "flag" \(binary, 1 outputs\) has 3 class names/, 'loaded; predict named the classes from the first two of the three'],
  ['MultiTaskModel', 'loadModel', 'a chain of 1,025 inputsFrom', (f) => loadModel(withHeader(f.bytes, (h) => ({ ...h, tasks: Array.from({ length: 1025 }, (_, i) => ({ name: `t${i}`, kind: 'binary', ...(i ? { inputsFrom: [`t${i - 1}`] } : {}) })) }))), ModelFormatError,
    /it has 1025 tasks; a model file holds at most 1024/],
  ['MultiTaskModel', 'loadModel', 'flags 1', (f) => { const b = Uint8Array.from(f.bytes); b[6] = 1; return loadModel(withCrc(b)); }, ModelFormatError,
    /its flags are 0x1; format version 1 has none/, 'loaded (the flags were not read)'],
  ['MultiTaskModel', 'MultiTaskModel#predict', 'a disposed model', (f) => f.disposedModel.predict([[1, 2, 3]]), DisposedError, /a MultiTaskModel was used after dispose\(\)/],
  ['MultiTaskModel', 'MultiTaskModel#fit', 'a disposed model', (f) => f.disposedModel.fit(X, { flag: LABELS.flag }), DisposedError, /a MultiTaskModel was used after dispose\(\)/],
  ['MultiTaskModel', 'MultiTaskModel#evaluate', 'a disposed model', (f) => f.disposedModel.evaluate(X, { flag: LABELS.flag }), DisposedError, /a MultiTaskModel was used after dispose\(\)/],
  ['MultiTaskModel', 'MultiTaskModel#save', 'a disposed model', (f) => f.disposedModel.save(), DisposedError, /a MultiTaskModel was used after dispose\(\)/],
  ['MultiTaskModel', 'MultiTaskModel#addTask', 'a disposed model', (f) => f.disposedModel.addTask(tasks.binary('q')), DisposedError, /a MultiTaskModel was used after dispose\(\)/],
  ['MultiTaskModel', 'MultiTaskModel#taskAffinity', 'a disposed model', (f) => f.disposedModel.taskAffinity(), DisposedError, /a MultiTaskModel was used after dispose\(\)/,
    'answered from the disposed model'],
  ['MultiTaskModel', 'MultiTaskModel#classNames', 'a disposed model', (f) => f.disposedModel.classNames('flag'), DisposedError, /a MultiTaskModel was used after dispose\(\)/,
    'answered from the disposed model'],
  ['MultiTaskModel', 'Ensemble', 'no models', () => new Ensemble([]), ArgumentError, /Ensemble: expected a non-empty array of models/],
  ['MultiTaskModel', 'Ensemble', '[null]', () => new Ensemble([null]), ArgumentError, /Ensemble: member 0 is null, not a MultiTaskModel/, 'TypeError (reading \'taskNames\' of null)'],
  ['MultiTaskModel', 'Ensemble', '[{}]', () => new Ensemble([{}]), ArgumentError, /Ensemble: member 0 is an object, not a MultiTaskModel/, 'TypeError (reading \'join\' of undefined)'],
  ['MultiTaskModel', 'Ensemble', 'models with other tasks', (f) => new Ensemble([f.model, f.dsModel]), ArgumentError, /Ensemble: member 1 has tasks \[species, mass\], member 0 has \[kind, flag, amount\]/],
  ['MultiTaskModel', 'Ensemble', 'combine "median"', (f) => new Ensemble([f.model], { combine: 'median' }), ArgumentError, /Ensemble: combine must be 'mean', 'vote' or 'weighted', got "median"/],
  ['MultiTaskModel', 'Ensemble#predict', 'rows of the wrong width', (f) => f.ensemble.predict([[1]]), ShapeError, /predict: x row 0 has 1 values, expected 3/],

  // ---- clustering, mixtures, autoencoder ----
  ['Clustering', 'KMeans', 'no options', () => new KMeans(), ArgumentError, /KMeans: k must be an integer ≥ 1, got undefined/],
  ['Clustering', 'KMeans', 'init "kmeans++"', () => new KMeans({ k: 2, init: 'kmeans++' }), ArgumentError, /KMeans: init must be "k-means\+\+", "random" or an array of k centres/],
  ['Clustering', 'KMeans', '1 initial centre for k = 2', () => new KMeans({ k: 2, init: [[1, 2]] }), ShapeError, /KMeans: init gives 1 centres, expected k = 2/],
  ['Clustering', 'KMeans', 'an initial centre with NaN', () => new KMeans({ k: 1, init: [[1, NaN]] }), ArgumentError, /KMeans: init centre 0, value 1 is NaN/],
  ['Clustering', 'KMeans', 'an initial centre with 1e39', () => new KMeans({ k: 2, init: [[0, 0], [1, 1e39]] }), ArgumentError,
    /KMeans: init centre 1, value 1 is 1e\+39, beyond the float32 range/, 'accepted (the centre was +Infinity in float32)'],
  ['Clustering', 'KMeans', 'tol −1', () => new KMeans({ k: 2, tol: -1 }), ArgumentError, /KMeans: tol must be a finite number ≥ 0, got -1/],
  ['Clustering', 'KMeans', 'option n_init (typo)', () => new KMeans({ k: 2, n_init: 3 }), ArgumentError, /KMeans: unknown option "n_init"/],
  ['Clustering', 'KMeans#fit', 'no rows', () => new KMeans({ k: 1 }).fit([]), ShapeError, /KMeans\.fit: points has no rows/],
  ['Clustering', 'KMeans#fit', 'ragged rows', () => new KMeans({ k: 1 }).fit([[1, 2], [3]]), ShapeError, /KMeans\.fit: points row 1 has 1 values, expected 2 \(as row 0\)/],
  ['Clustering', 'KMeans#fit', 'a hole in the rows ([r, , r])', () => new KMeans({ k: 1 }).fit([[1, 2], , [3, 4]]), ShapeError,
    /KMeans\.fit: points row 1 has the value undefined, expected 2 \(as row 0\)/, 'the hole clustered as a point at the origin'],
  ['Clustering', 'KMeans#fit', 'NaN', () => new KMeans({ k: 1 }).fit([[1, 2], [NaN, 1]]), ArgumentError, /KMeans\.fit: points row 1, column 0 is NaN/],
  ['Clustering', 'KMeans#fit', '1e39', () => new KMeans({ k: 1 }).fit([[1, 2], [1e39, 1]]), ArgumentError, /points row 1, column 0 is 1e\+39, beyond the float32 range/],
  ['Clustering', 'KMeans#fit', 'k = 3 on 2 rows', () => new KMeans({ k: 3 }).fit([[1, 2], [3, 4]]), ArgumentError, /KMeans\.fit: k = 3 is larger than the number of rows \(2\)/],
  ['Clustering', 'KMeans#fit', 'sampleWeight of 2 for 3 rows', () => new KMeans({ k: 1 }).fit([[1], [2], [3]], { sampleWeight: [1, 2] }), ShapeError,
    /KMeans\.fit: sampleWeight has 2 values, expected one per row \(3\)/],
  ['Clustering', 'KMeans#fit', 'sampleWeight −1', () => new KMeans({ k: 1 }).fit([[1], [2]], { sampleWeight: [1, -1] }), ArgumentError,
    /KMeans\.fit: sampleWeight\[1\] is -1; every weight must be a finite number ≥ 0/],
  ['Clustering', 'KMeans#fit', 'sampleWeight all 0', () => new KMeans({ k: 1 }).fit([[1], [2]], { sampleWeight: [0, 0] }), ArgumentError,
    /KMeans\.fit: sampleWeight sums to 0; at least one row needs a positive weight/],
  ['Clustering', 'KMeans#fit', 'sampleWeight 5e-324 (0 in float32)', () => new KMeans({ k: 1 }).fit([[1], [2]], { sampleWeight: [5e-324, 5e-324] }), ArgumentError,
    /KMeans\.fit: sampleWeight\[0\] is 5e-324; a weight must be 0 or from 1\.4e-45 to 3\.4e38/, 'a centre and inertia of NaN'],
  ['Clustering', 'KMeans#fit', 'sampleWeight 1e300', () => new KMeans({ k: 1 }).fit([[1], [2]], { sampleWeight: [1, 1e300] }), ArgumentError,
    /KMeans\.fit: sampleWeight\[1\] is 1e\+300; a weight must be 0 or from 1\.4e-45 to 3\.4e38/, 'a centre and inertia of NaN'],
  ['Clustering', 'KMeans#fit', 'sampleWeight summing beyond float32', () => new KMeans({ k: 1 }).fit([[1], [2], [3]], { sampleWeight: [3e38, 3e38, 1] }), ArgumentError,
    /KMeans\.fit: sampleWeight sums to 6e\+38 by row 1, beyond the float32 range/, 'accepted (the total was kept in f64)'],
  ['Clustering', 'KMeans#score', 'sampleWeight NaN', (f) => f.km.score([[1, 2]], { sampleWeight: [NaN] }), ArgumentError, /KMeans\.score: sampleWeight\[0\] is NaN/],
  ['Clustering', 'KMeans#score', 'sampleWeight 1e306', (f) => f.km.score([[1, 2]], { sampleWeight: [1e306] }), ArgumentError, /KMeans\.score: sampleWeight\[0\] is 1e\+306/,
    'a score of -Infinity'],
  ['Clustering', 'KMeans#fit', 'a point 1e30 away', () => new KMeans({ k: 2, seed: 1 }).fit(far), ArgumentError,
    /KMeans\.fit: points row 3 lies 1\.00e\+30 from the column medians, too far for squared distances in float32/, 'wrong labels: every squared distance was +Infinity'],
  ['Clustering', 'KMeans#fit', 'Unix timestamps: 1.7e9 + 0, 7, 13, 20 and 1.7e9 + 100, 107, 113, 120', () => {
    const km = new KMeans({ k: 2, init: [[1.7e9], [1.7e9 + 100]] }).fit([0, 7, 13, 20, 100, 107, 113, 120].map((s) => [1.7e9 + s]));
    return [km.clusterCenters.flat(), km.inertia];
  }, ok(([centres, inertia]) => assert.deepEqual([centres, inertia], [[1.7e9 + 10, 1.7e9 + 110], 436]), 'centres 1.7e9 + 10 and + 110, inertia 436 (the float64 results)'),
  'centres 1700000000 and 1700000128, inertia 0: the values were rounded to float32 (a step of 128 there) before the means were subtracted'],
  ['Clustering', 'KMeans#fit', 'six points around (0, 0) and (10, 10) and one at (1e12, 0)', () => {
    const km = new KMeans({ k: 2, seed: 0 }).fit([[0, 0], [1, 0], [0, 1], [10, 10], [11, 10], [10, 11], [1e12, 0]]);
    return [km.clusterCenters[0], km.inertia];
  }, ok(([centre, inertia]) => assert.ok(centre.every((v) => Math.abs(v - 16 / 3) < 1e-6) && Math.abs(inertia - 908 / 3) < 1e-9, `${centre} ${inertia}`),
    'the six points\' centre (5.33, 5.33) and the inertia 302.67 (the float64 results, to float32\'s precision)'),
  'the six points\' centre (590, 5.33) and the inertia 151: centred at the column means (1.4e11, dragged by the outlier), float32\'s step of 16384 took their detail'],
  ['Clustering', 'KMeans#fit', 'three points at 1e12 + 0, 1, 2 beside six around (0, 0) and (10, 10)', () =>
    new KMeans({ k: 2, seed: 0 }).fit([[0, 0], [1, 0], [0, 1], [10, 10], [11, 10], [10, 11], [1e12, 0], [1e12 + 1, 0], [1e12 + 2, 0]]), ArgumentError,
  /KMeans\.fit: the points of cluster 1 lie up to 1\.00e\+12 from the median of column 0, where float32's step is 65536, beside their spread of 0\.8165/,
  'the six points\' centre (1369, 5.33) and the inertia 151 instead of 304.67'],
  ['Clustering', 'KMeans#fit', 'points within 1e-49 of each other', () => new KMeans({ k: 2, seed: 1 }).fit([[1e-50], [2e-50], [3e-50], [9e-50]]), ArgumentError,
    /KMeans\.fit: the points lie at most 7\.00e-50 from their column medians \(the farthest value in column 0\): below 2\.0e-31/,
    'centres 0 and 0: the values were 0 in float32 (a warning blamed duplicate rows)'],
  ['Clustering', 'KMeans#fit', '{ data, rows, cols } that disagree', () => new KMeans({ k: 1 }).fit({ data: [1, 2, 3], rows: 2, cols: 2 }), ShapeError, /points\.data has 3 values; 2 rows × 2 cols needs 4/],
  ['Clustering', 'KMeans#predict', 'before fit', () => new KMeans({ k: 1 }).predict([[1]]), ArgumentError, /KMeans\.predict: this KMeans is not fitted yet; call fit\(\) first/],
  ['Clustering', 'KMeans#predict', '3 columns for 2', (f) => f.km.predict([[1, 2, 3]]), ShapeError, /KMeans\.predict: points row 0 has 3 values, expected 2 \(the model was fitted on 2 features\)/],
  ['Clustering', 'KMeans#anomalyScores', 'a point 1e30 away', (f) => f.km.anomalyScores([[1e30, 0]]), ArgumentError, /KMeans\.anomalyScores: points row 0 lies .* from the fitted column medians/,
    'a score of NaN'],
  ['Clustering', 'KMeans#transform', 'a point at (1e12 + 1, 0) after a fit with one at (1e12, 0)', () =>
    new KMeans({ k: 2, seed: 0 }).fit([[0, 0], [1, 0], [0, 1], [10, 10], [11, 10], [10, 11], [1e12, 0]]).transform([[1e12 + 1, 0]]), ArgumentError,
  /KMeans\.transform: points row 0 lies 1\.00e\+12 from the fitted median of column 0, where float32's step is 65536: held in float32 it moves by 1 relative to cluster 1/,
  'a distance of 0 to that point\'s cluster, 1 away'],
  ['Clustering', 'KMeans#transform', 'a disposed Matrix', (f) => f.km.transform(f.disposedMatrix), DisposedError, /Matrix was used after dispose/],
  ['Clustering', 'KMeans#predict', 'k set to 1e9 after fit', () => {
    const km = new KMeans({ k: 2, seed: 1 }).fit([[0, 0], [0, 1], [9, 9], [9, 8]]);
    km.k = 1e9;
    return [km.predict([[8, 9]]), km.transform([[8, 9]]).cols];
  }, ok(([labels, cols]) => assert.ok(labels.length === 1 && cols === 2, `${labels} ${cols}`), 'the fitted 2 centres answer; the next fit uses k'),
  'WasmTrapError: predict read 1e9 centres where the fit left 2'],
  ['Clustering', 'KMeans#transform', "as 'Matrix' (capitalized)", (f) => f.km.transform(f.points, { as: 'Matrix' }), ArgumentError, /KMeans\.transform: as must be 'array' or 'matrix', got "Matrix"/,
    'ignored: a Matrix came back (the option did not exist)'],
  ['Clustering', 'MiniBatchKMeans', 'batchSize 0', () => new MiniBatchKMeans({ k: 2, batchSize: 0 }), ArgumentError, /MiniBatchKMeans: batchSize must be an integer ≥ 1, got 0/],
  ['Clustering', 'MiniBatchKMeans', 'reassignmentRatio 2', () => new MiniBatchKMeans({ k: 2, reassignmentRatio: 2 }), ArgumentError, /reassignmentRatio must be a number in \[0, 1\], got 2/],
  ['Clustering', 'MiniBatchKMeans#fit', 'a point 1e30 away', () => new MiniBatchKMeans({ k: 2, seed: 1 }).fit(far), ArgumentError,
    /MiniBatchKMeans\.fit: points row 3 lies .* too far for squared distances in float32/, 'wrong labels, inertia 4.9e60'],
  ['Clustering', 'MiniBatchKMeans#partialFit', 'a batch of 3 columns after 2', (f) => f.mb.partialFit([[1, 2, 3]]), ShapeError, /MiniBatchKMeans\.partialFit: points row 0 has 3 values, expected 2/],
  ['Clustering', 'GaussianMixture', 'covarianceType "tide"', () => new GaussianMixture({ covarianceType: 'tide' }), ArgumentError, /covarianceType must be "full", "tied", "diag" or "spherical", got "tide"/],
  ['Clustering', 'GaussianMixture', 'weightsInit summing to 0.9', () => new GaussianMixture({ nComponents: 2, weightsInit: [0.5, 0.4] }), ArgumentError, /GaussianMixture: weightsInit must sum to 1, got 0\.9/],
  ['Clustering', 'GaussianMixture', 'precisionsInit not symmetric', () => new GaussianMixture({ precisionsInit: [[[1, 0.5], [0, 1]]] }), ArgumentError,
    /GaussianMixture: precisionsInit \(full\) matrix 0 is not symmetric: \[1\]\[0\] = 0, \[0\]\[1\] = 0\.5/],
  ['Clustering', 'GaussianMixture', 'regCovar −1', () => new GaussianMixture({ regCovar: -1 }), ArgumentError, /GaussianMixture: regCovar must be a finite number ≥ 0 within the float32 range, got -1/],
  ['Clustering', 'GaussianMixture', 'regCovar 1e39', () => new GaussianMixture({ regCovar: 1e39 }), ArgumentError,
    /GaussianMixture: regCovar must be a finite number ≥ 0 within the float32 range, got 1e\+39/, 'accepted: variances of 1e39'],
  ['Clustering', 'GaussianMixture', 'meansInit with 1e39', () => new GaussianMixture({ nComponents: 2, meansInit: [[0, 1e39], [1, 1]] }), ArgumentError,
    /GaussianMixture: meansInit row 0, value 1 is 1e\+39, beyond the float32 range/, 'accepted'],
  ['Clustering', 'GaussianMixture', 'initParams "kmeans++"', () => new GaussianMixture({ initParams: 'kmeans++' }), ArgumentError,
    /initParams must be "kmeans", "k-means\+\+", "random" or "random_from_data", got "kmeans\+\+"/],
  ['Clustering', 'GaussianMixture#fit', 'nComponents 3 on 2 rows', () => new GaussianMixture({ nComponents: 3, initParams: 'random' }).fit([[1, 2], [3, 4]]), ArgumentError,
    /nComponents = 3 is larger than the number of rows \(2\)/],
  ['Clustering', 'GaussianMixture#fit', 'a point 1e30 away', () => new GaussianMixture({ nComponents: 2, seed: 1 }).fit(far), ArgumentError,
    /GaussianMixture\.fit \(its k-means start\): points row 3 lies .* too far/, 'ArgumentError blaming a covariance that is "not positive definite"'],
  ['Clustering', 'GaussianMixture#fit', 'a column within 1e-40 of its median', () => new GaussianMixture({ nComponents: 2, seed: 1 }).fit([[0, 0], [1, 1e-40], [2, 0], [3, 1e-40]]),
    ArgumentError, /GaussianMixture\.fit: column 1 of the points lies at most 1\.00e-40 from its median: below 2\.0e-31, float32 keeps fewer than its 24 bits/,
    'accepted, with the column\'s values rounded to float32\'s subnormals'],
  ['Clustering', 'GaussianMixture#fit', 'precisionsInit not positive definite', () => new GaussianMixture({ precisionsInit: [[[1, 2], [2, 1]]] }).fit([[0, 1], [1, 0], [2, 2]]),
    ArgumentError, /GaussianMixture\.fit: precisionsInit of component 0 is not positive definite/],
  ['Clustering', 'GaussianMixture#fit', 'constant data with regCovar 0', () => new GaussianMixture({ nComponents: 1, regCovar: 0 }).fit([[1, 1], [1, 1], [1, 1]]), ArgumentError,
    /the covariance of component 0 is not positive definite .* raise regCovar \(now 0\)/],
  ['Clustering', 'GaussianMixture#scoreSamples', 'before fit', () => new GaussianMixture().scoreSamples([[1]]), ArgumentError, /this GaussianMixture is not fitted yet/],
  ['Clustering', 'GaussianMixture#predictProba', '1 column for 2', (f) => f.gm.predictProba([[1]]), ShapeError, /GaussianMixture\.predictProba: points row 0 has 1 values, expected 2/],
  ['Clustering', 'GaussianMixture#predictProba', 'a point 1e17 away from two clusters of one shape (diag)', () =>
    new GaussianMixture({ nComponents: 2, covarianceType: 'diag', seed: 1 }).fit([[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10]]).predictProba([[1e17, 0]]),
  ArgumentError, /GaussianMixture\.predictProba: points row 0 lies 1\.00e\+17 from the fitted column medians, too far for its log-likelihoods under the components to be told apart in float64/,
  'probabilities [1, 1], and predict chose the farther component'],
  ['Clustering', 'GaussianMixture#fit', '0, 0.1, 0.2, 5, 5.1, 5.2 and one value at 1e12', () => {
    const gm = new GaussianMixture({ nComponents: 2, seed: 0 }).fit([0, 0.1, 0.2, 5, 5.1, 5.2, 1e12].map((v) => [v]));
    return [gm.means[0][0], gm.covariances[0][0][0]];
  }, ok(([mean, variance]) => assert.ok(Math.abs(mean - 2.6) < 1e-6 && Math.abs(variance - (37.54 / 6 + 1e-6)) < 1e-5, `${mean} ${variance}`),
    'the six values\' mean 2.6 and variance 6.257 (the float64 results, to float32\'s precision)'),
  'the six values\' mean 587 and variance 1e-6 (regCovar alone): centred at the column mean (1.4e11, dragged by the outlier), float32\'s step of 16384 took their detail'],
  ['Clustering', 'GaussianMixture#fit', 'three values at 1e12 + 0, 1, 2 beside 0, 0.1, 0.2, 5, 5.1, 5.2', () =>
    new GaussianMixture({ nComponents: 2, seed: 0 }).fit([0, 0.1, 0.2, 5, 5.1, 5.2, 1e12, 1e12 + 1, 1e12 + 2].map((v) => [v])), ArgumentError,
  /GaussianMixture\.fit: the points of component 1 \(the rows most likely under it\) lie up to 1\.00e\+12 from the median of column 0, where float32's step is 65536/,
  'the six values\' mean 1367 and variance 1e-6, and the three\'s variance 1.2e-6 for 0.67'],
  ['Clustering', 'GaussianMixture#scoreSamples', 'a value of 1e12 + 10⁴ after a fit with one at 1e12', () =>
    new GaussianMixture({ nComponents: 2, seed: 0 }).fit([0, 0.1, 0.2, 5, 5.1, 5.2, 1e12].map((v) => [v])).scoreSamples([[1e12 + 1e4]]), ArgumentError,
  /GaussianMixture\.scoreSamples: points row 0 lies 1\.00e\+12 from the fitted median of column 0, where float32's step is 65536: held in float32 it moves by .* of component 1's standard deviations/,
  'a log-likelihood of 2.86, the one at 1e12 itself'],
  ['Clustering', 'GaussianMixture#predictProba', "covarianceType 'diag' set after a 'full' fit", () => {
    const gm = new GaussianMixture({ nComponents: 2, seed: 1 }).fit(X.map((r) => [r[0], r[1]]));
    const before = gm.predictProba([[0.5, 0.5]]).data;
    gm.covarianceType = 'diag';
    return [gm.predictProba([[0.5, 0.5]]).data, before];
  }, ok(([got, before]) => assert.deepEqual(got, before), "the fitted 'full' components answer; the next fit uses 'diag'"),
  "the 'full' parameters read as 'diag' ones: other probabilities, no error"],
  ['Clustering', 'GaussianMixture#predictProba', 'option asMatrix (typo)', (f) => f.gm.predictProba(f.points, { asMatrix: true }), ArgumentError, /GaussianMixture\.predictProba: unknown option "asMatrix" \(known: as\)/,
    'ignored: a Matrix came back (the option did not exist)'],
  ['Clustering', 'AutoEncoder', 'no inputSize', () => new AutoEncoder({ encoderUnits: [2] }), ShapeError, /AutoEncoder: inputSize must be a positive integer, got undefined/],
  ['Clustering', 'AutoEncoder', 'encoderUnits []', () => new AutoEncoder({ inputSize: 2, encoderUnits: [] }), ArgumentError, /AutoEncoder: encoderUnits must be a non-empty array of layer sizes/],
  ['Clustering', 'AutoEncoder', 'encoderUnits [0]', () => new AutoEncoder({ inputSize: 2, encoderUnits: [0] }), ArgumentError, /AutoEncoder: encoderUnits\[0\] must be a positive integer, got 0/],
  ['Clustering', 'AutoEncoder', 'activation "relux"', () => new AutoEncoder({ inputSize: 2, encoderUnits: [1], activation: 'relux' }), ArgumentError, /AutoEncoder: activation: unknown activation "relux"/],
  ['Clustering', 'AutoEncoder', 'option units (typo)', () => new AutoEncoder({ inputSize: 2, units: [1] }), ArgumentError, /AutoEncoder: unknown option "units"/],
  ['Clustering', 'AutoEncoder#fit', 'epochs 0', (f) => f.ae.fit(f.points, { epochs: 0 }), ArgumentError, /AutoEncoder\.fit: epochs must be an integer ≥ 1, got 0/],
  ['Clustering', 'AutoEncoder#fit', 'learningRate 1e39', (f) => f.ae.fit(f.points, { learningRate: 1e39 }), ArgumentError,
    /AutoEncoder\.fit: learningRate must be a finite number > 0 within the float32 range, got 1e\+39/, 'accepted; the weights became NaN'],
  ['Clustering', 'AutoEncoder#fit', 'globalClipNorm 1e39', (f) => f.ae.fit(f.points, { globalClipNorm: 1e39 }), ArgumentError,
    /AutoEncoder\.fit: globalClipNorm must be a finite number > 0 within the float32 range, got 1e\+39/, 'accepted'],
  ['Clustering', 'AutoEncoder#fit', '3 columns for inputSize 2', (f) => f.ae.fit([[1, 2, 3]]), ShapeError, /AutoEncoder\.fit: points row 0 has 3 values, expected 2/],
  ['Clustering', 'AutoEncoder#fit', 'validationData of 1 column', (f) => f.ae.fit(f.points, { validationData: [[1]] }), ShapeError, /AutoEncoder\.fit validationData: points row 0 has 1 values, expected 2/],
  ['Clustering', 'AutoEncoder#fit', 'onEpochEnd 3', (f) => f.ae.fit(f.points, { onEpochEnd: 3 }), ArgumentError, /AutoEncoder\.fit: onEpochEnd must be a function, got 3/],
  ['Clustering', 'AutoEncoder#fit', 'data around 1e12, unscaled', () => {
    const ae = new AutoEncoder({ inputSize: 2, encoderUnits: [1], seed: 1 });
    try {
      return ae.fit(X.map((r) => [r[0] * 1e12, r[1] * 1e12]), { epochs: 2 });
    } finally {
      ae.dispose();
    }
  }, TrainingDivergedError, /training diverged at step 0: the gradient of task "reconstruction" reaches .* beyond what Adam's second moment holds in float32/,
  'a loss that never moved, and no error: g² overflowed Adam\'s float32 second moment, and every update was 0'],
  ['Clustering', 'AutoEncoder#trainOnBatch', 'option lr (typo)', (f) => f.ae.trainOnBatch(f.points, { lr: 1 }), ArgumentError, /AutoEncoder\.trainOnBatch: unknown option "lr"/],
  ['Clustering', 'AutoEncoder#fit', 'divergence "off"', (f) => f.ae.fit(f.points, { divergence: 'off' }), ArgumentError,
    /AutoEncoder\.fit: divergence must be false \(off\), true or \{ factor \}, got "off"/, 'refused as an unknown option (there was no divergence rule)'],
  ['Clustering', 'AutoEncoder#anomalyScores', 'a row of 1e20 (its squared error beyond float32)', (f) => f.ae.anomalyScores([[0.5, 0.5], [1e20, 0]]), NonFinitePredictionError,
    /AutoEncoder\.anomalyScores: task "reconstruction", row 1: the prediction is Infinity, not a finite number: the reconstruction error of the row overflows float32/,
    'a score of Infinity'],
  ['Clustering', 'AutoEncoder#evaluate', 'a row of 3e38', (f) => f.ae.evaluate([[3e38, 3e38]]), NonFinitePredictionError,
    /AutoEncoder\.evaluate: task "reconstruction", row 0: the prediction is .*, not a finite number/, 'a mean error of NaN or Infinity'],
  ['Clustering', 'AutoEncoder#encode', 'a disposed autoencoder', (f) => f.disposedAe.encode([[1, 2]]), DisposedError, /AutoEncoder\.encode: an AutoEncoder was used after dispose\(\)/],

  // ---- metrics and reports ----
  ['Metrics', 'binaryAccuracy', '1 probability, 2 labels', () => binaryAccuracy(new Float32Array([0.5]), [1, 0]), ShapeError, /binaryAccuracy: labels has 2 entries, expected 1/],
  ['Metrics', 'binaryAccuracy', 'a number[] of probabilities', () => binaryAccuracy([0.5], [1]), ArgumentError, /binaryAccuracy: probabilities must be a Float32Array or Float64Array/],
  ['Metrics', 'binaryLogLoss', 'probability 1.5', () => binaryLogLoss(new Float32Array([1.5]), [1]), ArgumentError, /binaryLogLoss: probabilities\[0\] .*1\.5/],
  ['Metrics', 'binaryAuc', 'a mask of 1 for 2 rows', () => binaryAuc(new Float32Array([0.1, 0.9]), [0, 1], { mask: [1] }), ShapeError, /binaryAuc: mask has 1 entries, expected one per row \(2\)/],
  ['Metrics', 'binaryAccuracy', 'mask ["no", "no"]', () => binaryAccuracy(new Float32Array([0.9, 0.9]), [0, 0], { mask: ['no', 'no'] }), ArgumentError,
    /binaryAccuracy: mask\[0\] \(row 0\) is "no"; expected true, false, 1 or 0/, 'counted both rows ("no" is truthy)'],
  ['Metrics', 'multiclassAccuracy', 'class 3 of 2', () => multiclassAccuracy(new Float32Array([0.5, 0.5]), [3]), ArgumentError, /multiclassAccuracy: labels\[0\] .*3/],
  ['Metrics', 'r2Score', 'a prediction of Infinity', () => r2Score(new Float32Array([Infinity]), new Float32Array([1])), ArgumentError, /r2Score: predictions\[0\] must be finite, got Infinity/],
  ['Metrics', 'groupTasks', 'null', () => groupTasks(null, [], 0), ArgumentError, /groupTasks: tasks must be an array of task names, got null/, 'TypeError (reading \'map\' of null)'],
  ['Metrics', 'groupTasks', 'a 1 × 1 matrix for 2 tasks', () => groupTasks(['a', 'b'], [[1]], 0), ArgumentError, /groupTasks: matrix must be 2×2 numbers/, 'TypeError'],
  ['Metrics', 'formatEvaluation', 'null', () => formatEvaluation(null), ArgumentError, /formatEvaluation: expected what model\.evaluate returns/, 'TypeError (reading \'tasks\' of null)'],
  ['Metrics', 'formatAffinity', '{}', () => formatAffinity({}), ArgumentError, /formatAffinity: expected what model\.taskAffinity\(\) returns/, 'TypeError'],
].map(([area, call, tried, run, error, message, before]) => {
  const row = { area, call, tried, run };
  if (typeof error === 'function' && error.prototype instanceof Error) Object.assign(row, { error, message });
  else Object.assign(row, error); // ok(…): { ok, okText }
  const note = typeof error === 'function' ? before : message;
  if (note !== undefined) row.before = note;
  return row;
});

function prepJson({ mean = 0, std = 1, fill = 0 }) {
  return { format: 'manytask.preprocessor', version: 1, naValues: [], columns: [{ name: 'a', type: 'numeric', missing: 'mean', mean, std, fill, indicator: false }] };
}

/**
 * The garbage sweep: every public function, each argument in turn replaced by each of
 * GARBAGE; the call must return normally or throw a ManytaskError (never a TypeError,
 * RangeError or crash). Each entry: [call, () => valid arguments] (fresh ones per call:
 * a layer can join only one network).
 */
export const GARBAGE = {
  undefined: undefined, null: null, 0: 0, NaN: NaN, '-1': -1, Infinity: Infinity, true: true, '"x"': 'x', '""': '',
  '[]': [], '[null]': [null], '[[null]]': [[null]], '{}': {}, '{ a: null }': { a: null }, 'a function': () => {},
  'a Symbol': Symbol('s'), '10n': 10n, 'Float32Array(2)': new Float32Array(2),
};

export function garbageTargets(f) {
  const X2 = [[1, 2], [3, 4], [5, 6]];
  return {
    'Matrix.from': [(a, b, c) => Matrix.from(a, b, c), () => [[[1]], 1, 1]],
    'Matrix.zeros': [(a, b) => Matrix.zeros(a, b), () => [1, 1]],
    matmul: [(a, b, c) => matmul(a, b, c), () => [f.a, f.a, {}]],
    gemm: [(a, b, c, d) => gemm(a, b, c, d), () => [f.a, f.a, f.c22, {}]],
    add: [(a, b, c) => add(a, b, c), () => [f.a, f.a, undefined]],
    mul: [(a, b, c) => mul(a, b, c), () => [f.a, f.a, undefined]],
    scale: [(a, b, c) => scale(a, b, c), () => [f.a, 2, undefined]],
    axpy: [(a, b, c) => axpy(a, b, c), () => [0, f.a, f.c22]],
    dot: [(a, b) => dot(a, b), () => [f.a, f.a]],
    sum: [(a) => sum(a), () => [f.a]],
    sumSquares: [(a) => sumSquares(a), () => [f.a]],
    Network: [(a, b) => new Network(a, b), () => [[new Dense(1)], { inputSize: 2 }]],
    'Network#forward': [(a, b) => f.net.forward(a, b), () => [f.a, {}]],
    'Network#backward': [(a) => f.net.backward(a), () => [f.c22]],
    Dense: [(a, b) => new Dense(a, b), () => [2, {}]],
    Activation: [(a, b) => new Activation(a, b), () => ['relu', {}]],
    Dropout: [(a) => new Dropout(a), () => [0.5]],
    LayerNorm: [(a) => new LayerNorm(a), () => [{}]],
    Sequential: [(a) => new Sequential(a), () => [[new Dense(1)]]],
    Rng: [(a, b) => new Rng(a, b), () => [1, 0]],
    'Rng#uniform': [(a, b, c, d) => f.rng.uniform(a, b, c, d), () => [f.scratch.ptr, 4, 0, 1]],
    'Rng#normal': [(a, b, c, d) => f.rng.normal(a, b, c, d), () => [f.scratch.ptr, 4, 0, 1]],
    'Rng#shuffle': [(a, b) => f.rng.shuffle(a, b), () => [f.scratch.ptr, 4]],
    'Rng#dropoutMask': [(a, b, c) => f.rng.dropoutMask(a, b, c), () => [f.scratch.ptr, 4, 0.5]],
    'Rng#seedKeyed': [(a, b) => f.rng.seedKeyed(a, b), () => [f.scratch.ptr, [1, 2]]],
    'Network#forwardPtr': [(a, b, c) => f.net.forwardPtr(a, b, c), () => [f.a.ptr, 2, false]],
    'Network#backwardPtr': [(a, b, c) => f.net.backwardPtr(a, b, c), () => [f.a.ptr, 2, false]],
    'Network#ensureCapacity': [(a) => f.net.ensureCapacity(a), () => [2]],
    'Dense#forward': [(a, b, c) => f.net.root.layers[0].forward(a, b, c), () => [f.a.ptr, 2, false]],
    'Dense#backward': [(a, b, c) => f.net.root.layers[0].backward(a, b, c), () => [f.b.ptr, 2, false]],
    'Loss#compute': [(a) => createLoss({ type: 'mse' }).compute(a), () => [{ rows: 2, cols: 2, logits: f.a.ptr, targets: f.a.ptr, grad: f.scratch.ptr }]],
    'Parameters#set': [(a, b) => f.net.parameters.set(a, b), () => ['1.bias', [0, 0]]],
    createLoss: [(a) => createLoss(a), () => [{ type: 'mse' }]],
    lossAndGradient: [(a, b, c, d) => lossAndGradient(a, b, c, d), () => [{ type: 'mse' }, f.a, [[1, 2], [3, 4]], {}]],
    validateLossInputs: [(a, b) => validateLossInputs(a, b), () => [{ type: 'mse' }, { rows: 1, cols: 1, targets: [1] }]],
    createOptimizer: [(a) => createOptimizer(a), () => [{ type: 'sgd', learningRate: 0.01 }]],
    'Optimizer#step': [(a) => f.opt.step(a), () => [{ learningRate: 0 }]],
    gradNorm: [(a) => gradNorm(a), () => [f.net.parameters]],
    clipGradNorm: [(a, b) => clipGradNorm(a, b), () => [f.net.parameters, 1e30]],
    clipGradValue: [(a, b) => clipGradValue(a, b), () => [f.net.parameters, 1e30]],
    createSchedule: [(a) => createSchedule(a), () => [{ type: 'constant', learningRate: 1 }]],
    'schedule(step)': [(a, b) => f.cosine(a, b), () => [0, 0]],
    parseCSV: [(a, b) => parseCSV(a, b), () => ['a\n1', {}]],
    'Dataset.fromCSV': [(a, b) => Dataset.fromCSV(a, b), () => ['a\n1', { features: { a: 'numeric' } }]],
    'Dataset.fromRows': [(a, b) => Dataset.fromRows(a, b), () => [[{ a: 1 }], { features: { a: 'numeric' } }]],
    'Dataset.fromColumns': [(a, b) => Dataset.fromColumns(a, b), () => [{ a: [1] }, { features: { a: 'numeric' } }]],
    'Dataset#split': [(a, b) => f.ds.split(a, b), () => [0.5, {}]],
    'Dataset#select': [(a) => f.ds.select(a), () => [[0]]],
    'Dataset#column': [(a) => f.ds.column(a), () => ['bill']],
    'Dataset#target': [(a) => f.ds.target(a), () => ['species']],
    'Preprocessor.fit': [(a) => Preprocessor.fit(a), () => [f.ds]],
    'Preprocessor.fromJSON': [(a) => Preprocessor.fromJSON(a), () => [f.pre.toJSON()]],
    'Preprocessor#transform': [(a) => f.pre.transform(a), () => [[{ bill: 40, island: 'Dream' }]]],
    MultiTaskModel: [(a) => new MultiTaskModel(a), () => [{ input: { features: 2 }, architecture: ARCH, tasks: [tasks.binary('a')] }]],
    'MultiTaskModel#fit': [(a, b, c) => f.model.fit(a, b, c), () => [X, LABELS, { epochs: 1, learningRate: 0 }]],
    'MultiTaskModel#evaluate': [(a, b) => f.model.evaluate(a, b), () => [X, LABELS]],
    'MultiTaskModel#predict': [(a) => f.model.predict(a), () => [X]],
    'MultiTaskModel#addTask': [(a, b) => f.model.addTask(a, b), () => [tasks.multiclass('kind'), {}]], // a name taken: never adds
    'MultiTaskModel#freeze': [(a) => f.model.freeze(a), () => ['nothing']],
    'MultiTaskModel#classNames': [(a) => f.model.classNames(a), () => ['kind']],
    'MultiTaskModel#save': [(a) => f.model.save(a), () => [{}]],
    loadModel: [(a) => loadModel(a), () => [f.bytes]],
    'tasks.binary': [(a, b) => tasks.binary(a, b), () => ['a', {}]],
    'tasks.multiclass': [(a, b) => tasks.multiclass(a, b), () => ['a', {}]],
    'tasks.clustering': [(a, b) => tasks.clustering(a, b), () => ['c', { clusters: 2 }]],
    Ensemble: [(a, b) => new Ensemble(a, b), () => [[f.model], {}]],
    'Ensemble#predict': [(a) => f.ensemble.predict(a), () => [X]],
    KMeans: [(a) => new KMeans(a), () => [{ k: 1 }]],
    'KMeans#fit': [(a) => new KMeans({ k: 1 }).fit(a), () => [X2]],
    'KMeans#predict': [(a) => f.km.predict(a), () => [X2]],
    'KMeans#transform': [(a, b) => f.km.transform(a, b), () => [X2, { as: 'array' }]],
    MiniBatchKMeans: [(a) => new MiniBatchKMeans(a), () => [{ k: 1 }]],
    'MiniBatchKMeans#partialFit': [(a) => new MiniBatchKMeans({ k: 1 }).partialFit(a), () => [X2]],
    GaussianMixture: [(a) => new GaussianMixture(a), () => [{}]],
    'GaussianMixture#fit': [(a) => new GaussianMixture({}).fit(a), () => [X2]],
    'GaussianMixture#predictProba': [(a, b) => f.gm.predictProba(a, b), () => [X2, { as: 'matrix' }]],
    AutoEncoder: [(a) => new AutoEncoder(a), () => [{ inputSize: 2, encoderUnits: [1] }]],
    'AutoEncoder#fit': [(a, b) => f.ae.fit(a, b), () => [X2, { learningRate: 1e-9 }]],
    'AutoEncoder#encode': [(a, b) => f.ae.encode(a, b), () => [X2, {}]],
    binaryAuc: [(a, b, c) => binaryAuc(a, b, c), () => [new Float32Array([0.5, 0.2]), [1, 0], {}]],
    multiclassAccuracy: [(a, b, c) => multiclassAccuracy(a, b, c), () => [new Float32Array([0.5, 0.5]), [1], {}]],
    groupTasks: [(a, b, c) => groupTasks(a, b, c), () => [['a'], [[1]], 0]],
    formatEvaluation: [(a) => formatEvaluation(a), () => [{ loss: 0, tasks: {} }]],
    formatAffinity: [(a) => formatAffinity(a), () => [{ tasks: [], matrix: [], groups: [] }]],
  };
}

// ---- docs/reliability.md ----

export const DOC_BEGIN = '<!-- harden:validation:begin (generated by tests/unit/harden-validation.test.js: HARDEN_WRITE_DOC=1 node --test tests/unit/harden-validation.test.js) -->';
export const DOC_END = '<!-- harden:validation:end -->';

const escapeCell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
/**
 * A message pattern as a reader wants it: the regular expression's source without its
 * escapes (\d+ as N, .* as …). Also the same text in every engine (JSC writes × as \u00D7 in .source).
 */
export function humanPattern(re) {
  return re.source
    .replace(/\\u([0-9a-fA-F]{4})/g, (_, h) => String.fromCharCode(parseInt(h, 16)))
    .replace(/\\d\+/g, 'N').replace(/\\d/g, 'N').replace(/\.\*/g, '…')
    .replace(/\\(.)/g, '$1');
}
const codeOf = (row) => (row.error ? `\`${row.error.name}\` (${CODES.get(row.error)})` : `accepted: ${row.okText}`);

/** The generated part of docs/reliability.md: a summary and one table per area. */
export function renderValidationTable(cases = CASES, garbage = null) {
  const areas = [...new Set(cases.map((c) => c.area))];
  const fixed = cases.filter((c) => c.before !== undefined).length;
  const lines = [DOC_BEGIN, ''];
  lines.push(`${cases.length} bad inputs over ${new Set(cases.map((c) => c.call)).size} functions and methods; every one held (a typed error, or the`);
  lines.push(`accepted result stated) when the test last ran. ${fixed} of them did not hold before this sweep: the`);
  lines.push('"before" column says what they did. Each row also checks that the failed call left no WASM memory');
  lines.push('allocated (the allocator\'s bytesInUse is unchanged).');
  lines.push('');
  for (const area of areas) {
    lines.push(`#### ${area}`, '');
    lines.push('| call | input tried | result | the message says | before |');
    lines.push('| --- | --- | --- | --- | --- |');
    for (const c of cases.filter((r) => r.area === area)) {
      const pattern = c.error ? `\`${escapeCell(humanPattern(c.message))}\`` : '';
      lines.push(`| \`${escapeCell(c.call)}\` | ${escapeCell(c.tried)} | ${codeOf(c)} | ${pattern} | ${c.before === undefined ? 'held' : escapeCell(c.before)} |`);
    }
    lines.push('');
  }
  if (garbage) {
    const names = Object.keys(garbage.targets);
    const calls = Object.values(garbage.targets).reduce((n, [, args]) => n + args().length, 0) * Object.keys(garbage.values).length;
    lines.push('#### Garbage arguments', '');
    lines.push(`Every argument of ${names.length} functions and methods, in turn, replaced by each of ${Object.keys(garbage.values).length} values`);
    lines.push(`(${Object.keys(garbage.values).map((k) => `\`${k}\``).join(', ')}): ${calls} calls, each of which must`);
    lines.push('return normally or throw a `ManytaskError` — never a `TypeError`, a `RangeError` or a crash. Covered:');
    lines.push(names.map((n) => `\`${n}\``).join(', ') + '.');
    lines.push('');
  }
  lines.push(DOC_END);
  return lines.join('\n');
}
