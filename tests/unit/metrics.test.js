// Task metrics against hand-computed values and scikit-learn's documented
// examples, brute-force references on seeded data (AUC over all pairs, log-loss
// as a plain sum of logs), masks, undefined cases (NaN) and bad input.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  init, ArgumentError, ShapeError,
  binaryAccuracy, binaryAuc, binaryF1, binaryLogLoss, multiclassAccuracy, multiclassF1, multiclassLogLoss,
  multilabelAccuracy, multilabelF1, multilabelLogLoss, meanAbsoluteError, rootMeanSquaredError, r2Score,
  gaussianNll, intervalWidth, lossAndGradient, Matrix,
} from '../../dist/index.js';
import { assertClose, seededValues } from '../helpers/reference.js';

before(async () => { await init(); });

const f32 = (a) => Float32Array.from(a);
const f64 = (a) => Float64Array.from(a);
// Counting metrics are ratios of small integers: exact up to the one division.
const RATIO = { atol: 0, rtol: 2 ** -52 };
// Log-losses: one log (≤ 1 ulp) of a product of n factors (n roundings) and a few operations.
const LOG = { atol: 1e-15, rtol: 1e-14 };

// ---------------------------------------------------------------------------
// Binary

test('binary accuracy and F1 by hand; p = threshold counts as negative', () => {
  const p = f32([0.9, 0.2, 0.5, 0.7, 0.1, 0.6]);
  const y = [1, 0, 1, 0, 0, 1];
  // predicted (p > 0.5): 1 0 0 1 0 1 → TP 2, FN 1 (the 0.5), FP 1, TN 2
  assert.equal(binaryAccuracy(p, y), 4 / 6);
  assertClose([binaryF1(p, y)], [4 / 6], { ...RATIO, label: 'F1 = 2·2/(4 + 1 + 1)' });
  // threshold 0.4: 1 0 1 1 0 1 → TP 3, FP 1 → accuracy 5/6, F1 6/7
  assert.equal(binaryAccuracy(p, y, { threshold: 0.4 }), 5 / 6);
  assertClose([binaryF1(p, y, { threshold: 0.4 })], [6 / 7], { ...RATIO, label: 'F1 at 0.4' });
  // The mask drops rows 2 and 3 (whatever they hold): TP 2, TN 2 → 1 and 1.
  const bad = f32([0.9, 0.2, NaN, 7, 0.1, 0.6]);
  const mask = [1, 1, 0, false, true, 1];
  assert.equal(binaryAccuracy(bad, [1, 0, 0.5, 9, 0, 1], { mask }), 1);
  assert.equal(binaryF1(bad, [1, 0, 0.5, 9, 0, 1], { mask: Uint8Array.from([1, 1, 0, 0, 1, 1]) }), 1);
});

test('binary F1 and accuracy when undefined: NaN', () => {
  // No positive label and none predicted: 2TP + FP + FN = 0.
  assert.ok(Number.isNaN(binaryF1(f32([0.1, 0.2]), [0, 0])));
  // A positive never predicted is a defined 0 (scikit-learn gives 0 too).
  assert.equal(binaryF1(f32([0.1, 0.2]), [0, 1]), 0);
  assert.ok(Number.isNaN(binaryAccuracy(f32([0.1, 0.2]), [0, 1], { mask: [0, 0] })));
  assert.ok(Number.isNaN(binaryAccuracy(f32([]), [])));
});

test('binary AUC: scikit-learn\'s example, ties counted ½, one class → NaN', () => {
  assert.equal(binaryAuc(f32([0.1, 0.4, 0.35, 0.8]), [0, 0, 1, 1]), 0.75); // roc_auc_score's docstring example
  // Positives {0.5, 0.9, 0.5}, negatives {0.5, 0.5, 0.1}: each 0.5-positive wins 1 and ties 2 (2 points),
  // 0.9 wins 3 → U = 7 of 9 pairs.
  assert.equal(binaryAuc(f32([0.5, 0.5, 0.5, 0.9, 0.1, 0.5]), [0, 0, 1, 1, 0, 1]), 7 / 9);
  assert.equal(binaryAuc(f32([0.3, 0.3, 0.3, 0.3]), [0, 1, 0, 1]), 0.5, 'all tied');
  assert.equal(binaryAuc(f32([0.9, 0.8, 0.1]), [0, 0, 1]), 0, 'perfectly wrong');
  assert.equal(binaryAuc(f64([-0, 0]), [0, 1]), 0.5, '−0 ties +0');
  assert.equal(binaryAuc(f32([-3, 12, 0.5]), [0, 1, 1]), 1, 'any scores (logits)');
  assert.ok(Number.isNaN(binaryAuc(f32([0.1, 0.4]), [1, 1])), 'one class');
  assert.ok(Number.isNaN(binaryAuc(f32([0.1, 0.4, 0.3]), [1, 1, 0], { mask: [1, 1, 0] })), 'one class after the mask');
  assert.equal(binaryAuc(f32([0.1, NaN, 0.4, 0.35, 0.8]), [0, -1, 0, 1, 1], { mask: [1, 0, 1, 1, 1] }), 0.75, 'masked row ignored');
});

/** O(n²) Mann–Whitney over all pairs. */
function aucPairs(s, y) {
  let u = 0, pos = 0, neg = 0;
  for (let i = 0; i < s.length; i++) {
    if (y[i] !== 1) continue;
    pos++;
    for (let j = 0; j < s.length; j++) {
      if (y[j] !== 0) continue;
      u += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
    }
  }
  for (let j = 0; j < s.length; j++) neg += y[j] === 0 ? 1 : 0;
  return u / pos / neg;
}

test('binary AUC against all pairs on 1500 seeded rows with many ties', () => {
  const r = seededValues(3000, 17);
  const s = new Float32Array(1500), y = new Float32Array(1500);
  for (let i = 0; i < 1500; i++) {
    y[i] = r[2 * i] > -0.1 ? 1 : 0;
    s[i] = Math.round((0.6 * y[i] + r[2 * i + 1]) * 10) / 10; // 1-decimal scores: large tie groups
  }
  assertClose([binaryAuc(s, y)], [aucPairs(s, y)], { atol: 0, rtol: 1e-15, label: 'AUC' });
  const mask = Uint8Array.from(r.slice(0, 1500), (v) => (v > 0.3 ? 0 : 1));
  const keep = [...mask.keys()].filter((i) => mask[i]);
  assertClose([binaryAuc(s, y, { mask })], [aucPairs(keep.map((i) => s[i]), keep.map((i) => y[i]))], { atol: 0, rtol: 1e-15, label: 'masked' });
});

test('binary log-loss: scikit-learn\'s example, clipping, and a plain sum of logs on 100k rows', () => {
  // log_loss(["spam", "ham", "ham", "spam"], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]) = 0.21616…
  const expected = -(Math.log(0.9) + Math.log(0.9) + Math.log(0.8) + Math.log(0.65)) / 4;
  assertClose([binaryLogLoss(f64([0.9, 0.1, 0.2, 0.65]), [1, 0, 0, 1])], [expected], { ...LOG, label: 'docstring' });
  assertClose([expected], [0.21616187468057912], { ...LOG, label: 'scikit-learn\'s value' });
  // p = 0 for a positive is clipped to ε: −log(1e-7)/2 (with a perfect second row: 1 − (1 − ε)).
  assertClose([binaryLogLoss(f64([0, 1]), [1, 1])], [(-Math.log(1e-7) - Math.log(1 - 1e-7)) / 2], { ...LOG, label: 'clipped' });
  assertClose([binaryLogLoss(f64([0.5]), [0], { epsilon: 0.1 })], [Math.log(2)], { ...LOG, label: 'ε = 0.1' });
  assert.equal(binaryLogLoss(f64([0, 0.5]), [1, 0], { epsilon: 0 }), Infinity);
  // 100k rows: against Σ log in f64 (whose own rounding is ~n·ulp of the sum).
  const n = 100000;
  const r = seededValues(2 * n, 23);
  const p = new Float32Array(n), y = new Uint8Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    p[i] = 0.5 + 0.4999 * r[2 * i];
    y[i] = r[2 * i + 1] > 0 ? 1 : 0;
    sum += Math.log(y[i] ? p[i] : 1 - p[i]);
  }
  assertClose([binaryLogLoss(p, y)], [-sum / n], { atol: 0, rtol: 1e-12, label: '100k rows' });
  // Factors far below 1: the running product is rescaled (2000 factors of 1e-3 is 1e-6000).
  const tiny = new Float64Array(2000).fill(1e-3);
  assertClose([binaryLogLoss(tiny, new Uint8Array(2000).fill(1))], [-Math.log(1e-3)], { atol: 0, rtol: 1e-13, label: 'rescaled product' });
  assert.ok(Number.isNaN(binaryLogLoss(f64([0.5]), [1], { mask: [0] })));
});

// ---------------------------------------------------------------------------
// Multiclass

/** One-hot-ish probability rows from predicted classes. */
const rowsFor = (pred, K) => {
  const p = new Float32Array(pred.length * K);
  pred.forEach((c, i) => { for (let k = 0; k < K; k++) p[i * K + k] = k === c ? 0.6 : 0.4 / (K - 1); });
  return p;
};

test('multiclass F1: scikit-learn\'s example, a class never predicted, a class absent everywhere', () => {
  // f1_score([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], average=None) = [0.8, 0, 0]; macro 0.2666…
  const a = multiclassF1(rowsFor([0, 2, 1, 0, 0, 1], 3), [0, 1, 2, 0, 1, 2]);
  assertClose(Array.from(a.perClass), [0.8, 0, 0], { ...RATIO, label: 'per class' });
  assertClose([a.macro], [0.26666666666666666], { atol: 0, rtol: 4e-16, label: 'macro' });
  // Class 2 is never predicted: F1 0 (TP 0, FN 2); class 1: TP 1, FP 2 → 0.5; macro (1 + 0.5 + 0)/3.
  const b = multiclassF1(rowsFor([0, 1, 1, 1], 3), [0, 1, 2, 2]);
  assert.deepEqual(Array.from(b.perClass), [1, 0.5, 0]);
  assert.equal(b.macro, 0.5);
  // Class 3 appears neither in the labels nor in the predictions: NaN, left out of the macro mean
  // (scikit-learn's default labels: those present in y_true or y_pred).
  const c = multiclassF1(rowsFor([0, 1, 1, 1], 4), [0, 1, 2, 2]);
  assert.ok(Number.isNaN(c.perClass[3]));
  assert.equal(c.macro, 0.5);
  assert.equal(multiclassAccuracy(rowsFor([0, 2, 1, 0, 0, 1], 3), [0, 1, 2, 0, 1, 2]), 2 / 6);
});

test('multiclass accuracy (first largest wins ties), log-loss, masks', () => {
  const p = f32([
    0.2, 0.5, 0.3,
    0.4, 0.4, 0.2, // tie: class 0
    0.1, 0.1, 0.8,
    0.7, 0.2, 0.1,
  ]);
  assert.equal(multiclassAccuracy(p, [1, 0, 2, 1]), 3 / 4);
  assert.equal(multiclassAccuracy(p, Int32Array.from([1, 1, 2, 1])), 2 / 4);
  assert.equal(multiclassAccuracy(p, [1, 0, 2, 1], { mask: [1, 1, 1, 0] }), 1);
  const ll = -(Math.log(f32([0.5])[0]) + Math.log(f32([0.4])[0]) + Math.log(f32([0.8])[0]) + Math.log(f32([0.2])[0])) / 4;
  assertClose([multiclassLogLoss(p, [1, 0, 2, 1])], [ll], { ...LOG, label: 'log-loss' });
  // scikit-learn's example in its two-column form.
  assertClose([multiclassLogLoss(f64([0.1, 0.9, 0.9, 0.1, 0.8, 0.2, 0.35, 0.65]), [1, 0, 0, 1])], [0.21616187468057912], { ...LOG, label: 'docstring' });
  assertClose([multiclassLogLoss(f64([1, 0, 0, 1]), [1, 1])], [(-Math.log(1e-7) - Math.log(1 - 1e-7)) / 2], { ...LOG, label: 'clipped' });
  assert.ok(Number.isNaN(multiclassAccuracy(p, [1, 0, 2, 1], { mask: [0, 0, 0, 0] })));
  // Unlabeled rows are not read: their label may be anything.
  assert.equal(multiclassAccuracy(p, [1, -5, 2, NaN], { mask: [1, 0, 1, 0] }), 1);
});

// ---------------------------------------------------------------------------
// Multilabel

test('multilabel: per-label accuracy and F1, their means, log-loss over every label', () => {
  const p = f32([
    0.9, 0.1, 0.6,
    0.2, 0.8, 0.4,
    0.7, 0.3, 0.2,
    0.1, 0.9, 0.9,
  ]);
  const y = [
    1, 0, 1,
    0, 1, 1,
    0, 0, 0,
    0, 1, 1,
  ];
  // label 0: pred 1 0 1 0 vs 1 0 0 0 → TP1 FP1 TN2 → acc 3/4, F1 2/3
  // label 1: pred 0 1 0 1 vs 0 1 0 1 → perfect → 1, 1
  // label 2: pred 1 0 0 1 vs 1 1 0 1 → TP2 FN1 TN1 → acc 3/4, F1 4/5
  const acc = multilabelAccuracy(p, y, { columns: 3 });
  assert.deepEqual(Array.from(acc.perClass), [0.75, 1, 0.75]);
  assertClose([acc.macro], [2.5 / 3], { ...RATIO, label: 'macro accuracy' });
  const f = multilabelF1(p, y, { columns: 3 });
  assertClose(Array.from(f.perClass), [2 / 3, 1, 0.8], { ...RATIO, label: 'per-label F1' });
  assertClose([f.macro], [(2 / 3 + 1 + 0.8) / 3], { atol: 0, rtol: 4e-16, label: 'macro F1' });
  let s = 0;
  for (let e = 0; e < 12; e++) s += Math.log(y[e] ? p[e] : 1 - p[e]);
  assertClose([multilabelLogLoss(p, y, { columns: 3 })], [-s / 12], { ...LOG, label: 'log-loss' });
  // Masking rows 1 and 3 leaves rows 0 and 2: label 1 is never positive nor predicted → its F1 is NaN,
  // and the macro mean counts it 0, as scikit-learn's f1_score(average='macro') does by default
  // (zero_division=0): f1_score([[1,0,1],[0,0,0]], [[1,0,1],[1,0,0]], average='macro') = 5/9.
  const m = multilabelF1(p, y, { columns: 3, mask: [1, 0, 1, 0] });
  assert.deepEqual(Array.from(m.perClass), [2 / 3, NaN, 1]);
  assertClose([m.macro], [(2 / 3 + 0 + 1) / 3], { ...RATIO, label: 'macro over every label, an undefined one as 0' });
});

// ---------------------------------------------------------------------------
// Regression

test('regression: scikit-learn\'s examples; R² of the mean predictor is 0; constant targets → NaN', () => {
  // r2_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]) = 0.948608…; MAE 0.5; MSE 0.375.
  const y = f64([3, -0.5, 2, 7]), p = f64([2.5, 0.0, 2, 8]);
  assertClose([r2Score(p, y)], [0.9486081370449679], { atol: 0, rtol: 4e-16, label: 'R²' });
  assert.equal(meanAbsoluteError(p, y), 0.5);
  assertClose([rootMeanSquaredError(p, y)], [Math.sqrt(0.375)], { atol: 0, rtol: 2 ** -52, label: 'RMSE' });
  // Two outputs: y_true [[0.5, 1], [-1, 1], [7, -6]], y_pred [[0, 2], [-1, 2], [8, -5]]:
  // MAE 0.75; R² per output [0.9654…, 0.9081…], uniform average 0.936800…
  const y2 = f64([0.5, 1, -1, 1, 7, -6]), p2 = f64([0, 2, -1, 2, 8, -5]);
  assert.equal(meanAbsoluteError(p2, y2, { columns: 2 }), 0.75);
  assertClose([r2Score(p2, y2, { columns: 2 })], [0.9368005266622779], { atol: 0, rtol: 1e-15, label: 'R² multi' });
  assertClose([rootMeanSquaredError(p2, y2, { columns: 2 })], [(Math.sqrt(1.25 / 3) + 1) / 2], { atol: 0, rtol: 4e-16, label: 'RMSE multi' });
  // The constant predictor at the mean target: R² = 0 exactly.
  assert.equal(r2Score(f32([3, 3, 3, 3]), f32([1, 2, 3, 6])), 0);
  assert.ok(r2Score(f32([4, 4, 4, 4]), f32([1, 2, 3, 6])) < 0, 'another constant does worse');
  // Constant targets: R² undefined (scikit-learn's force_finite would say 0 or 1).
  assert.ok(Number.isNaN(r2Score(f32([1, 2, 3]), f32([0.1, 0.1, 0.1]))));
  // (Ten f64 targets 0.1 sum to 0.9999999999999999: the computed mean is not 0.1, yet R² is still NaN.)
  assert.ok(Number.isNaN(r2Score(new Float64Array(10).fill(0.2), new Float64Array(10).fill(0.1))));
  // …and an output with constant targets is left out of the average.
  assertClose([r2Score(f64([0.5, 1, -1, 2, 7, 3]), f64([0.5, 1, -1, 1, 7, 1]), { columns: 2 })], [1], { ...RATIO, label: 'one defined output' });
  // Values whose squares overflow or underflow float64 (they gave NaN or Infinity): the same numbers as
  // the data scaled by a power of two, which is exact.
  for (const s of [2 ** 600, 2 ** -600]) {
    const p = f64([0.5, 1, -1, 2.5].map((v) => v * s)), y = f64([0.25, 1.5, -1, 2].map((v) => v * s));
    assert.equal(r2Score(p, y), r2Score(f64([0.5, 1, -1, 2.5]), f64([0.25, 1.5, -1, 2])), `R² at scale 2^${Math.log2(s)}`);
    assert.equal(rootMeanSquaredError(p, y), rootMeanSquaredError(f64([0.5, 1, -1, 2.5]), f64([0.25, 1.5, -1, 2])) * s, `RMSE at scale 2^${Math.log2(s)}`);
  }
  assert.equal(r2Score(f64([1e200, -1e200]), f64([-1e200, 1e200])), -3);
  assert.equal(meanAbsoluteError(f64([1.5e308, -1.5e308]), f64([-1.5e308, 1.5e308])), 3e308);
  // Masks.
  assert.equal(meanAbsoluteError(f32([1, 100, 3]), f32([2, NaN, 3]), { mask: [1, 0, 1] }), 0.5);
  assert.ok(Number.isNaN(rootMeanSquaredError(f32([1]), f32([2]), { mask: [0] })));
});

// ---------------------------------------------------------------------------
// Bad input

const argErr = (re) => (e) => e instanceof ArgumentError && re.test(e.message);
const shapeErr = (re) => (e) => e instanceof ShapeError && re.test(e.message);

test('bad input: a typed error naming the row or the option', () => {
  const p = f32([0.1, 0.9, 0.5]);
  assert.throws(() => binaryAccuracy(p, [0, 1, 0.5]), argErr(/binaryAccuracy: labels\[2\] must be 0 or 1, got 0.5/));
  assert.throws(() => binaryF1(f32([0.1, 1.5]), [0, 1]), argErr(/probabilities\[1\] must be a probability in \[0, 1\], got 1.5/));
  assert.throws(() => binaryLogLoss(f32([NaN]), [1]), argErr(/probabilities\[0\] must be a probability/));
  assert.throws(() => binaryAuc(f32([0.1, NaN]), [0, 1]), argErr(/binaryAuc: scores\[1\] must be finite, got NaN/));
  assert.throws(() => binaryAuc(f32([0.1, 0.2]), [0, 2]), argErr(/labels\[1\] must be 0 or 1, got 2/));
  assert.throws(() => binaryAuc([0.1, 0.2], [0, 1]), argErr(/scores must be a Float32Array or Float64Array, got an array of length 2/));
  assert.throws(() => binaryAccuracy(p, [0, 1]), shapeErr(/labels has 2 entries, expected 3/));
  assert.throws(() => binaryAccuracy(p, 'abc'), argErr(/labels must be an array or typed array/));
  assert.throws(() => binaryAccuracy(p, [0, 1, 1], { mask: [1, 1] }), shapeErr(/mask has 2 entries, expected one per row \(3\)/));
  assert.throws(() => binaryAccuracy(p, [0, 1, 1], { treshold: 0.3 }), argErr(/unknown option "treshold" \(known: mask, threshold\)/));
  assert.throws(() => binaryAuc(p, [0, 1, 1], { threshold: 0.3 }), argErr(/unknown option "threshold" \(known: mask\)/));
  assert.throws(() => binaryAccuracy(p, [0, 1, 1], { threshold: 2 }), argErr(/threshold must be a number in \[0, 1\], got 2/));
  assert.throws(() => binaryLogLoss(p, [0, 1, 1], { epsilon: 0.5 }), argErr(/epsilon must be a number in \[0, 0.5\), got 0.5/));
  assert.throws(() => binaryAccuracy(p, [0, 1, 1], 3), argErr(/options must be an object/));
  assert.throws(() => multiclassAccuracy(f32([0.1, 0.9, 0.5]), [0, 1]), shapeErr(/probabilities \(3 values\) must hold rows × classes for the 2 labels, with at least 2 classes/));
  assert.throws(() => multiclassF1(f32([0.1, 0.9]), [0, 1]), shapeErr(/at least 2 classes/));
  assert.throws(() => multiclassF1(f32([0.1, 0.9, 0.5, 0.5]), [0, 2]), argErr(/labels\[1\] must be a class index from 0 to 1, got 2/));
  assert.throws(() => multiclassAccuracy(f32([0.1, 0.9, NaN, 0.5]), [0, 1]), argErr(/probabilities\[2\] must be finite/));
  assert.throws(() => multiclassLogLoss(f32([0.1, 0.9, -0.1, 1.1]), [0, 1]), argErr(/probabilities\[2\] must be a probability/));
  assert.throws(() => multilabelF1(p, [0, 1, 1], {}), shapeErr(/columns \(labels per row\) must be a positive integer, got undefined/));
  assert.throws(() => multilabelF1(p, [0, 1, 1], { columns: 2 }), shapeErr(/not a multiple of columns \(2\)/));
  assert.throws(() => multilabelAccuracy(f32([0.1, 0.9]), [0, 3], { columns: 2 }), argErr(/labels\[1\] must be 0 or 1, got 3/));
  assert.throws(() => meanAbsoluteError(f32([1, 2]), f32([1])), shapeErr(/targets has 1 values, predictions 2/));
  assert.throws(() => r2Score(f32([1, 2, 3]), f32([1, 2, 3]), { columns: 2 }), shapeErr(/not a multiple of columns \(2\)/));
  assert.throws(() => rootMeanSquaredError(f32([1, 2]), f32([1, Infinity])), argErr(/targets\[1\] must be finite, got Infinity/));
  assert.throws(() => r2Score(f32([1, NaN]), f32([1, 2])), argErr(/predictions\[1\] must be finite, got NaN/));
});

test('multilabel macro F1 is scikit-learn\'s average=\'macro\': a label neither present nor predicted counts 0', () => {
  // f1_score([[1, 0]], [[1, 0]], average='macro') = 0.5: label 1 has no TP, FP or FN (F1 0, zero_division's default).
  const f = multilabelF1(f32([0.9, 0.1]), [1, 0], { columns: 2 });
  assert.deepEqual(Array.from(f.perClass), [1, NaN]);
  assert.equal(f.macro, 0.5);
  // No label present or predicted anywhere: 0, as scikit-learn; no labeled row at all: NaN.
  assert.equal(multilabelF1(f32([0.1, 0.2, 0.3, 0.4]), [0, 0, 0, 0], { columns: 2 }).macro, 0);
  assert.ok(Number.isNaN(multilabelF1(f32([0.9, 0.1]), [1, 0], { columns: 2, mask: [0] }).macro));
  // Multiclass is unchanged: the classes present in the labels or the predictions (class 2 is in neither).
  const m = multiclassF1(f32([0.9, 0.1, 0, 0.2, 0.8, 0, 0.9, 0.1, 0, 0.6, 0.4, 0]), [0, 1, 1, 0]);
  assertClose([m.macro], [(0.8 + 2 / 3) / 2], { ...RATIO, label: 'f1_score([0,1,1,0], [0,1,0,0], average=\'macro\')' });
});

test('a mask entry is true/1 or false/0 in every metric, as in the losses: anything else names its row', () => {
  const p = f32([0.9, 0.9]), y = [0, 0];
  const calls = [
    ['binaryAccuracy', (mask) => binaryAccuracy(p, y, { mask })],
    ['binaryAuc', (mask) => binaryAuc(p, [0, 1], { mask })],
    ['multiclassF1', (mask) => multiclassF1(f32([0.9, 0.1, 0.2, 0.8]), [0, 1], { mask })],
    ['multilabelF1', (mask) => multilabelF1(f32([0.9, 0.1, 0.2, 0.8]), [1, 0, 0, 1], { columns: 2, mask })],
    ['r2Score', (mask) => r2Score(f64([1, 2]), f64([1, 3]), { mask })],
    ['gaussianNll', (mask) => gaussianNll(f64([0, 0]), f64([1, 1]), f64([0, 1]), { mask })],
    ['intervalWidth', (mask) => intervalWidth(f64([0, 0]), f64([1, 2]), { mask })],
  ];
  for (const [name, call] of calls) {
    for (const [mask, row, shown] of [[['no', 'no'], 0, '"no"'], [[1, 2], 1, '2'], [[true, 'yes'], 1, '"yes"'], [[0, null], 1, 'null'], [[0.5, 1], 0, '0.5']]) {
      assert.throws(() => call(mask), argErr(new RegExp(`^${name}: mask\\[${row}\\] \\(row ${row}\\) is ${shown.replace('.', '\\.')}; expected true, false, 1 or 0`)));
    }
    for (const mask of [[true, false], [1, 0], Uint8Array.from([1, 0]), [false, true]]) call(mask);
  }
  // The losses say the same of the same mask.
  const z = Matrix.from([[1], [2]]);
  assert.throws(() => lossAndGradient({ type: 'mse' }, z, [1, 2], { mask: ['no', 'no'] }), argErr(/mask\[0\] \(row 0\) is "no"; expected true, false, 1 or 0/));
  z.dispose();
  assert.equal(binaryAccuracy(p, y, { mask: [true, false] }), 0);
  assert.ok(Number.isNaN(binaryAccuracy(p, y, { mask: [0, 0] })));
});
