// AutoEncoder: gradients against central differences of an f64 reference
// forward pass, learning a low-rank synthetic set to a stated reconstruction
// error, the anomaly score, determinism and typed errors.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  init, AutoEncoder, Matrix, ArgumentError, ShapeError, DisposedError, NonFinitePredictionError, TrainingDivergedError,
} from '../../dist/index.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import { denseRef } from '../helpers/nn-reference.js';
import { numericGradient } from '../helpers/check-op.js';
import { seededNormals } from '../helpers/cluster-reference.js';
import { expectError } from '../helpers/errors.js';

before(async () => { await init(); });

/** The f64 reconstruction loss: mean over rows and features of (decoder(encoder(x)) − x)². */
function lossRef(params, x, rows, layers) {
  let h = x, width = layers[0].inputs;
  for (const l of layers) {
    // Dense's alpha defaults: 0.01 for leakyRelu, 1 for elu.
    h = denseRef(h, rows, width, params[`${l.net}.${l.i}.weight`], params[`${l.net}.${l.i}.bias`], l.units, l.act,
      l.act === 'leakyRelu' ? 0.01 : 1);
    width = l.units;
  }
  let s = 0;
  for (let t = 0; t < x.length; t++) s += (h[t] - x[t]) ** 2;
  return s / x.length;
}

test('gradients of the reconstruction loss match central differences (encoder and decoder, several shapes)', () => {
  const configs = [
    { inputSize: 5, encoderUnits: [4, 2], activation: 'tanh', outputActivation: 'sigmoid', rows: 7 },
    { inputSize: 3, encoderUnits: [1], activation: 'tanh', rows: 4 },
    { inputSize: 6, encoderUnits: [5, 3], decoderUnits: [2, 7], activation: 'elu', codeActivation: 'tanh', rows: 9 },
    { inputSize: 9, encoderUnits: [4], activation: 'gelu', outputActivation: 'identity', rows: 5 },
  ];
  for (const [ci, { rows, ...options }] of configs.entries()) {
    const ae = new AutoEncoder({ ...options, seed: ci + 1 });
    const d = options.inputSize;
    const xs = seededValues(rows * d, 40 + ci).map((v) => (options.outputActivation === 'sigmoid' ? (v + 1) / 2 : v));
    const act = (name, fallback) => options[name] ?? fallback;
    const layers = [];
    options.encoderUnits.forEach((u, i) => layers.push({
      net: 'enc', i, units: u, act: i === options.encoderUnits.length - 1 ? act('codeActivation', 'identity') : act('activation', 'relu'),
    }));
    const dec = options.decoderUnits ?? options.encoderUnits.slice(0, -1).reverse();
    dec.forEach((u, i) => layers.push({ net: 'dec', i, units: u, act: act('activation', 'relu') }));
    layers.push({ net: 'dec', i: dec.length, units: d, act: act('outputActivation', 'identity') });
    layers[0].inputs = d;
    const params = {};
    for (const [net, prefix] of [[ae.encoder, 'enc'], [ae.decoder, 'dec']]) {
      for (const name of net.parameters.names()) params[`${prefix}.${name}`] = Float64Array.from(net.parameters.get(name));
    }
    const x = Float64Array.from(xs);
    const loss = ae.computeGradients({ data: xs, rows, cols: d });
    const label = `config ${ci}`;
    assertClose([loss], [lossRef(params, x, rows, layers)], { atol: 1e-7, rtol: 1e-5, label: `${label}: loss` });
    for (const [net, prefix] of [[ae.encoder, 'enc'], [ae.decoder, 'dec']]) {
      for (const name of net.parameters.names()) {
        const key = `${prefix}.${name}`;
        const numeric = numericGradient((theta) => [lossRef({ ...params, [key]: theta }, x, rows, layers)], params[key], [1]);
        assertClose(net.parameters.gradient(name), numeric, { atol: 2e-6, rtol: 2e-3, label: `${label}: d loss / d ${key}` });
      }
    }
    ae.dispose();
  }
});

/** rows of a rank-3 signal in 12 dimensions (unit-scale features) plus N(0, 0.01²) noise. */
function lowRank(n, seed) {
  const d = 12, r = 3;
  const W = seededValues(r * d, seed).map((v) => v * 0.9);
  const z = seededNormals(n * r, seed + 1), e = seededNormals(n * d, seed + 2);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < d; f++) {
      let v = 0.01 * e[i * d + f];
      for (let t = 0; t < r; t++) v += z[i * r + t] * W[t * d + f];
      x[i * d + f] = v;
    }
  }
  return { data: x, rows: n, cols: d };
}

test('learns a rank-3 set in 12-D: held-out reconstruction error below 0.01 (feature variance ≈ 0.8), an off-subspace row scores highest', () => {
  // Held-out rows: the same subspace (same W), later draws of z and noise.
  const all = lowRank(2500, 1);
  const train = { data: all.data.subarray(0, 2000 * 12), rows: 2000, cols: 12 };
  const heldOut = { data: all.data.subarray(2000 * 12), rows: 500, cols: 12 };
  let variance = 0;
  for (const v of heldOut.data) variance += v * v;
  variance /= heldOut.data.length;
  const ae = new AutoEncoder({ inputSize: 12, encoderUnits: [16, 3], activation: 'tanh', seed: 3 });
  const before = ae.evaluate(heldOut);
  const history = ae.fit(train, { epochs: 40, batchSize: 64, learningRate: 3e-3 });
  assert.equal(history.loss.length, 40);
  assert.ok(history.loss[39] < history.loss[0] / 10, `training loss ${history.loss[0]} → ${history.loss[39]}`);
  const after = ae.evaluate(heldOut);
  assert.ok(variance > 0.5, `feature variance ${variance}`);
  assert.ok(after < 0.01, `held-out reconstruction error ${after} (was ${before})`);
  // A row off the subspace reconstructs badly.
  const odd = Float32Array.from(seededValues(12, 99), (v) => 3 * Math.sign(v));
  const scores = ae.anomalyScores({ data: new Float32Array([...heldOut.data.subarray(0, 12 * 20), ...odd]), rows: 21, cols: 12 });
  const top = scores.indexOf(Math.max(...scores));
  assert.equal(top, 20, `the off-subspace row has the largest score: ${scores[20]} vs max of others ${Math.max(...scores.slice(0, 20))}`);
  // Scores are the per-row mean squared error of reconstruct().
  const rec = ae.reconstruct(heldOut);
  assert.equal(rec.rows, 500); assert.equal(rec.cols, 12);
  const recData = rec.data;
  const perRow = Array.from({ length: 500 }, (_, i) => {
    let s = 0;
    for (let f = 0; f < 12; f++) s += (recData[i * 12 + f] - heldOut.data[i * 12 + f]) ** 2;
    return s / 12;
  });
  assertClose(ae.anomalyScores(heldOut), perRow, { atol: 1e-9, rtol: 1e-5, label: 'anomaly score = row MSE of reconstruct' });
  const mean = perRow.reduce((s, v) => s + v, 0) / 500;
  assertClose([after], [mean], { atol: 1e-9, rtol: 1e-5, label: 'evaluate = mean row MSE' });
  const codes = ae.encode(heldOut);
  assert.equal(codes.rows, 500); assert.equal(codes.cols, 3);
  assert.ok(codes.data instanceof Float32Array && codes.data.length === 1500);
  // The same values as a Matrix when asked for one (the caller disposes it).
  const codesMatrix = ae.encode(heldOut, { as: 'matrix' });
  assert.deepEqual(codesMatrix.toFloat32Array(), codes.data);
  codesMatrix.dispose();
  ae.dispose();
});

test('seeded and reproducible; trainOnBatch; callbacks, validation data and the optimizer state', () => {
  const data = lowRank(300, 5);
  const make = () => new AutoEncoder({ inputSize: 12, encoderUnits: [6, 2], seed: 8 });
  const a = make(), b = make();
  const ha = a.fit(data, { epochs: 3, batchSize: 50 }), hb = b.fit(data, { epochs: 3, batchSize: 50 });
  assert.deepEqual(ha.loss, hb.loss);
  assert.deepEqual(a.encoder.parameters.get('0.weight'), b.encoder.parameters.get('0.weight'));
  assert.equal(a.steps, 18);
  const other = new AutoEncoder({ inputSize: 12, encoderUnits: [6, 2], seed: 9 });
  assert.notDeepEqual(other.encoder.parameters.get('0.weight'), a.encoder.parameters.get('0.weight'));
  // trainOnBatch returns the loss before its step; computeGradients does not step.
  const batch = { data: data.data.subarray(0, 12 * 32), rows: 32, cols: 12 };
  const l0 = a.computeGradients(batch);
  assert.equal(a.computeGradients(batch), l0, 'no step in computeGradients');
  assert.equal(a.trainOnBatch(batch), l0);
  assert.ok(a.computeGradients(batch) < l0, 'the step lowered the batch loss');
  // onEpochEnd can stop training; validation data give valLoss.
  const seen = [];
  const h = b.fit(data, {
    epochs: 10, validationData: data, onEpochEnd: (epoch, logs) => { seen.push(logs.valLoss); return epoch < 1; },
  });
  assert.equal(h.loss.length, 2);
  assert.equal(h.valLoss.length, 2);
  assert.ok(seen.every((v) => typeof v === 'number' && v > 0));
  assertClose([h.valLoss[1]], [b.evaluate(data)], { atol: 0, rtol: 0, label: 'valLoss = evaluate' });
  // Matrix and array inputs work the same.
  const rows = Array.from({ length: 10 }, (_, i) => Array.from(data.data.subarray(i * 12, (i + 1) * 12)));
  const m = Matrix.from(data.data.subarray(0, 120), 10, 12);
  assert.deepEqual(b.anomalyScores(rows), b.anomalyScores(m));
  m.dispose();
  for (const x of [a, b, other]) x.dispose();
});

test('bad input gives typed errors', () => {
  const is = (Type, re) => (e) => e instanceof Type && re.test(e.message);
  assert.throws(() => new AutoEncoder({ inputSize: 0, encoderUnits: [2] }), is(ShapeError, /inputSize must be a positive integer/));
  assert.throws(() => new AutoEncoder({ inputSize: 4, encoderUnits: [] }), is(ArgumentError, /encoderUnits must be a non-empty array/));
  assert.throws(() => new AutoEncoder({ inputSize: 4, encoderUnits: [3, 0] }), is(ArgumentError, /encoderUnits\[1\] must be a positive integer, got 0/));
  assert.throws(() => new AutoEncoder({ inputSize: 4, encoderUnits: [2], activation: 'swish' }), is(ArgumentError, /AutoEncoder: activation: unknown activation "swish"/));
  assert.throws(() => new AutoEncoder({ inputSize: 4, encoderUnits: [2], units: 3 }), is(ArgumentError, /unknown option "units"/));
  const ae = new AutoEncoder({ inputSize: 4, encoderUnits: [2] });
  assert.throws(() => ae.fit([[1, 2, 3]]), is(ShapeError, /row 0 has 3 values, expected 4/));
  assert.throws(() => ae.fit([[1, 2, 3, NaN]]), is(ArgumentError, /row 0, column 3 is NaN/));
  assert.throws(() => ae.fit([[1, 2, 3, 4]], { epoch: 3 }), is(ArgumentError, /unknown option "epoch"/));
  assert.throws(() => ae.fit([[1, 2, 3, 4]], { learningRate: 0 }), is(ArgumentError, /learningRate must be a finite number > 0/));
  assert.throws(() => ae.fit([[9, -3, 0.5, 2]], { globalClipNorm: 6e38 }),
    is(ArgumentError, /^AutoEncoder\.fit: globalClipNorm must be a finite number > 0 within the float32 range, got 6e\+38/));
  assert.throws(() => ae.trainOnBatch([[9, -3, 0.5, 2]], { globalClipNorm: 6e38 }), is(ArgumentError, /trainOnBatch: globalClipNorm must be .* within the float32 range/));
  assert.equal(ae.steps, 0);
  assert.throws(() => ae.anomalyScores({ data: new Float32Array(6), rows: 2, cols: 3 }), is(ShapeError, /points have 3 columns, expected 4/));
  assert.throws(() => ae.fit([]), is(ShapeError, /no rows/));
  // The options that built the networks cannot change: inputSize 6 would read rows of 6 values into a network of 4 inputs.
  for (const [name, value] of [['inputSize', 6], ['codeSize', 3], ['seed', 9]]) {
    const was = ae[name];
    assert.throws(() => { ae[name] = value; }, TypeError, name);
    assert.equal(ae[name], was);
  }
  assert.equal(ae.anomalyScores([[0.5, -1, 2, 0]]).length, 1);
  assert.throws(() => ae.anomalyScores([[0.5, -1, 2, 0, 1, 1]]), is(ShapeError, /row 0 has 6 values, expected 4/));
  ae.dispose();
  assert.throws(() => ae.encode([[1, 2, 3, 4]]), (e) => e instanceof DisposedError);
  ae.dispose(); // twice is harmless
  // dispose() inside onEpochEnd: the fit stops with an error naming the AutoEncoder and the callback, not its inner Network.
  const inner = new AutoEncoder({ inputSize: 4, encoderUnits: [3], seed: 1 });
  const rows = Array.from({ length: 8 }, (_, i) => [i, -i, i % 3, 1]);
  assert.throws(() => inner.fit(rows, { epochs: 3, onEpochEnd: () => { inner.dispose(); } }),
    is(DisposedError, /^AutoEncoder\.fit: the AutoEncoder, disposed in onEpochEnd, was used after dispose\(\)$/));
});

test('a reconstruction error beyond float32 is a NonFinitePredictionError naming the first such row: anomalyScores, evaluate, validationData', () => {
  const pts = Array.from({ length: 16 }, (_, i) => [Math.cos(0.7 * i), 0.3 * (i % 4) - 0.5, Math.sin(0.7 * i) * 2]);
  const ae = new AutoEncoder({ inputSize: 3, encoderUnits: [5, 2], activation: 'tanh', seed: 7 });
  ae.fit(pts, { epochs: 3, batchSize: 4 });
  const scores = ae.anomalyScores(pts);
  const E = (fn, where, row) => expectError(fn, NonFinitePredictionError, 'E_NOT_FINITE',
    new RegExp(`^${where}: task "reconstruction", row ${row}: the prediction is (Infinity|NaN), not a finite number: the reconstruction error of the row overflows float32 .*; rescale the data$`),
    { props: { task: 'reconstruction', row } });
  // (x − x̂)² overflows for x = 4e19; the network itself overflows (NaN) for values of 3e38.
  E(() => ae.anomalyScores([pts[0], pts[1], [-4e19, 0.1, 0.2], [3e38, 3e38, -3e38]]), 'AutoEncoder\\.anomalyScores', 2);
  E(() => ae.anomalyScores([pts[0], [3e38, 3e38, -3e38]]), 'AutoEncoder\\.anomalyScores', 1);
  E(() => ae.evaluate([[0.5, 1e30, 0]]), 'AutoEncoder\\.evaluate', 0);
  assert.deepEqual(ae.anomalyScores(pts), scores);
  const steps = ae.steps;
  E(() => ae.fit(pts, { validationData: [pts[3], [0, 0, 2e20]] }), 'AutoEncoder\\.fit validationData', 1);
  assert.equal(ae.steps, steps + 1, 'the epoch before the validation rows were scored was trained, as onEpochEnd returning false would leave it');
  // Large rows whose errors still fit float32 are scored.
  assert.ok(Number.isFinite(ae.anomalyScores([[1e15, 0, 0]])[0]));
  ae.dispose();
  // computeGradients: with ReLU, a value of 1e20 gives a float64 loss that is finite (1.1e39) but a
  // weight gradient (activation × error, 1e20 × 1e20) beyond float32. It returned that loss and left
  // infinite gradients; it refuses them now, as trainOnBatch does.
  const relu = new AutoEncoder({ inputSize: 3, encoderUnits: [4, 2], seed: 1 });
  const far = [[1e20, 1, 2], [0, 1, 2], [1, 1, 1]];
  for (const fn of [() => relu.computeGradients(far), () => relu.trainOnBatch(far)]) {
    expectError(fn, TrainingDivergedError, 'E_DIVERGED', /the gradient of task "reconstruction" is not finite/, { props: { task: 'reconstruction', what: 'the gradient' } });
  }
  assert.equal(relu.steps, 0);
  assert.ok(Number.isFinite(relu.computeGradients([[1e18, 1, 2], [0, 1, 2], [1, 1, 1]])), 'rows whose gradients fit float32 still get them');
  relu.dispose();
});

test("a gradient beyond Adam's float32 second moment (unscaled data around 1e12) stops training before the update, instead of a loss that never moves", () => {
  // g² overflowed Adam's second moment for gradients from 2^64 (1.8e19): the update was 0 from then on,
  // and the loss stayed at 2.894e23 every epoch, with no warning. Now a TrainingDivergedError says so, and
  // the weights are those the fit started from.
  const rows = Array.from({ length: 64 }, (_, i) => {
    const a = Math.sin(i), b = Math.cos(1.7 * i);
    return [a, b, a + b, a - b].map((v) => v * 1e12);
  });
  const ae = new AutoEncoder({ inputSize: 4, encoderUnits: [8, 2], seed: 1 });
  const w0 = ae.encoder.parameters.get('0.weight'), d0 = ae.decoder.parameters.get('0.weight');
  for (const fn of [() => ae.fit(rows, { epochs: 5 }), () => ae.fit(rows, { epochs: 5, divergence: false }), () => ae.trainOnBatch(rows)]) {
    expectError(fn, TrainingDivergedError, 'E_DIVERGED', [
      /^training diverged at step 0: the gradient of task "reconstruction" reaches \d\.\d\de\+\d+ in the (encoder|decoder), beyond what Adam's second moment holds in float32 \(its square overflows from 1\.84e\+19\): the weight would stop moving for good/,
      /scale them first/, /clip gradients \(globalClipNorm\)/,
    ], { props: { task: 'reconstruction', what: 'the gradient', step: 0 } });
  }
  assert.equal(ae.steps, 0);
  assert.deepEqual(ae.encoder.parameters.get('0.weight'), w0);
  assert.deepEqual(ae.decoder.parameters.get('0.weight'), d0);
  // globalClipNorm scales the gradient below the limit: training moves.
  const h = ae.fit(rows, { epochs: 5, globalClipNorm: 1, learningRate: 0.1 });
  assert.equal(ae.steps, 10);
  assert.ok(h.loss.every(Number.isFinite) && h.loss.at(-1) < h.loss[0], `the loss moves: ${h.loss}`);
  // Scaled data train as ever.
  const scaled = new AutoEncoder({ inputSize: 4, encoderUnits: [8, 2], seed: 1 });
  const hs = scaled.fit(rows.map((r) => r.map((v) => v / 1e12)), { epochs: 20, learningRate: 1e-2 });
  assert.ok(hs.loss.at(-1) < hs.loss[0]);
  ae.dispose();
  scaled.dispose();
});
