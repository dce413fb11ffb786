// Task metrics: pure functions over Float32Array/Float64Array predictions, one
// pass (AUC: one pass and two native sorts), no per-row allocation, for
// evaluation sets of ~10⁵ rows.
//
// Every function takes an optional `mask` (one entry per row: true or 1 if the row
// is labeled, false or 0 if not, anything else an ArgumentError naming the row —
// the losses' convention): rows without a label are skipped, and what they hold is
// never read. Labeled rows are checked (labels
// 0/1 or a class index in range, probabilities in [0, 1], everything finite):
// a bad value is an ArgumentError naming its row.
//
// Undefined values are NaN, never a silent 0:
//   - any metric over zero labeled rows;
//   - AUC when the labeled rows hold only one class;
//   - F1 of a class (or a binary task) that is neither in the labels nor predicted
//     (2·TP + FP + FN = 0). The macro F1 follows scikit-learn's default
//     f1_score(average='macro'): multiclass averages the classes present in the
//     labels or the predictions (the others are left out); multilabel averages
//     every label, one neither present nor predicted counting 0 (zero_division's
//     default), so a label never seen in the evaluation rows lowers it;
//   - R² of an output whose labeled targets are constant (scikit-learn returns 1
//     or 0 there by default: `force_finite`); the average skips such outputs.
//
// Conventions:
//   - thresholds: predicted positive iff p > threshold (default 0.5; Keras's
//     binary_accuracy), so p = 0.5 is negative;
//   - multiclass prediction: the first largest probability (numpy's argmax);
//   - log-loss: probabilities clipped to [ε, 1 − ε], ε = 1e-7 by default (Keras's
//     epsilon; scikit-learn clips at the dtype's machine epsilon); multiclass
//     log-loss reads the probability of the true class (rows should sum to 1: they
//     are not renormalized); natural logarithm, mean over labeled rows (multilabel:
//     over labeled rows × labels);
//   - AUC: the Mann–Whitney statistic, P(score of a positive > score of a
//     negative) + ½·P(equal), which is the area under the ROC curve with ties
//     (scikit-learn's roc_auc_score);
//   - regression with several outputs (`columns`): each metric per output, then
//     their plain mean (scikit-learn's multioutput='uniform_average'; for RMSE the
//     mean of the per-output RMSEs).
//
// Determinism: + − × ÷ and Math.sqrt only, plus one WASM log per log-loss (and
// per row for the distributions' negative log-likelihoods): the
// product of the clipped probabilities is accumulated (rescaled by 2⁵¹² when it
// gets small, which is exact) and its logarithm taken once. So the log-losses need
// `await init()`; the other metrics do not. Same bits in every engine.

import { ArgumentError, ShapeError } from '../runtime/errors.js';
import { runtime } from '../runtime/module.js';
import { checkKeys, checkOptionsObject, show } from '../runtime/validate.js';
import { checkQuantiles, readMask } from '../nn/loss.js';
import type { MaskValue } from '../nn/loss.js';

export type FloatArray = Float32Array | Float64Array;

export interface MetricOptions {
  /** One entry per row: true/1 counts the row, false/0 skips it (as the losses' mask). Default: every row. */
  mask?: ArrayLike<MaskValue> | undefined;
}

export interface ThresholdOptions extends MetricOptions {
  /** Predicted positive iff p > threshold; in [0, 1], default 0.5. */
  threshold?: number | undefined;
}

export interface LogLossOptions extends MetricOptions {
  /** Probabilities are clipped to [epsilon, 1 − epsilon]; in [0, 0.5), default 1e-7. */
  epsilon?: number | undefined;
}

export interface MultilabelOptions extends MetricOptions {
  /** Labels per row (the row length of the probabilities and labels). Required. */
  columns: number;
}

export interface RegressionOptions extends MetricOptions {
  /** Outputs per row. Default 1. */
  columns?: number | undefined;
}

/** Per-class (or per-label) values and their mean over the defined ones. */
export interface PerClassResult {
  readonly perClass: Float64Array;
  readonly macro: number;
}

// ---------------------------------------------------------------------------
// Binary

/** Fraction of labeled rows where (p > threshold) equals the 0/1 label. */
export function binaryAccuracy(probabilities: FloatArray, labels: ArrayLike<number>, options?: ThresholdOptions): number {
  const c = binaryCounts('binaryAccuracy', probabilities, labels, options);
  const n = c.tp + c.fp + c.fn + c.tn;
  return n > 0 ? (c.tp + c.tn) / n : NaN;
}

/** F1 of the positive class, 2TP / (2TP + FP + FN); NaN when no row is positive or predicted positive. */
export function binaryF1(probabilities: FloatArray, labels: ArrayLike<number>, options?: ThresholdOptions): number {
  const c = binaryCounts('binaryF1', probabilities, labels, options);
  return f1(c.tp, c.fp, c.fn);
}

/**
 * Area under the ROC curve of any finite scores (probabilities or logits), as the
 * Mann–Whitney U over positives × negatives with ties counted ½. NaN unless both
 * classes are present.
 */
export function binaryAuc(scores: FloatArray, labels: ArrayLike<number>, options?: MetricOptions): number {
  const where = 'binaryAuc';
  const opts = parseOptions(where, options, []);
  checkFloats(where, 'scores', scores);
  const rows = scores.length;
  checkLabels(where, labels, rows);
  const mask = checkMask(where, opts.mask, rows);
  let nPos = 0, nNeg = 0;
  for (let i = 0; i < rows; i++) {
    if (mask !== undefined && !mask[i]) continue;
    const s = scores[i]!;
    if (!Number.isFinite(s)) throw new ArgumentError(`${where}: scores[${i}] must be finite, got ${s}`);
    const y = labels[i];
    if (y === 1) nPos++;
    else if (y === 0) nNeg++;
    else throw badLabel(where, i, y);
  }
  if (nPos === 0 || nNeg === 0) return NaN;
  const pos = new Float64Array(nPos), neg = new Float64Array(nNeg);
  let a = 0, b = 0;
  for (let i = 0; i < rows; i++) {
    if (mask !== undefined && !mask[i]) continue;
    const s = scores[i]! + 0; // −0 → +0
    if (labels[i] === 1) pos[a++] = s;
    else neg[b++] = s;
  }
  pos.sort();
  neg.sort();
  // For each positive: the negatives below it, plus ½ per negative equal to it.
  // Runs of equal positives reuse the same counts, so ties cost O(n) overall.
  let u = 0, below = 0, upTo = 0, prev = NaN, credit = 0;
  for (let i = 0; i < nPos; i++) {
    const p = pos[i]!;
    if (p !== prev) {
      while (below < nNeg && neg[below]! < p) below++;
      if (upTo < below) upTo = below;
      while (upTo < nNeg && neg[upTo]! === p) upTo++;
      credit = below + 0.5 * (upTo - below);
      prev = p;
    }
    u += credit;
  }
  return u / nPos / nNeg;
}

/** Mean of −[y·log p + (1 − y)·log(1 − p)] over labeled rows, p clipped to [ε, 1 − ε]. */
export function binaryLogLoss(probabilities: FloatArray, labels: ArrayLike<number>, options?: LogLossOptions): number {
  const where = 'binaryLogLoss';
  const opts = parseOptions(where, options, ['epsilon']);
  const eps = epsilonOf(where, opts.epsilon);
  checkFloats(where, 'probabilities', probabilities);
  const rows = probabilities.length;
  checkLabels(where, labels, rows);
  const mask = checkMask(where, opts.mask, rows);
  const hi = 1 - eps;
  let prod = 1, scaled = 0, n = 0;
  for (let i = 0; i < rows; i++) {
    if (mask !== undefined && !mask[i]) continue;
    const p = checkProbability(where, 'probabilities', probabilities, i);
    const y = labels[i];
    const pc = p < eps ? eps : p > hi ? hi : p;
    let f: number;
    if (y === 1) f = pc;
    else if (y === 0) f = 1 - pc;
    else throw badLabel(where, i, y);
    prod *= f;
    if (prod < TWO_POW_M512) { prod *= TWO_POW_512; scaled++; }
    n++;
  }
  return n > 0 ? -logOfProduct(where, prod, scaled) / n : NaN;
}

// ---------------------------------------------------------------------------
// Multiclass: probabilities rows × K (row-major), one class index per row.

/** Fraction of labeled rows whose first largest probability is at the label. */
export function multiclassAccuracy(probabilities: FloatArray, labels: ArrayLike<number>, options?: MetricOptions): number {
  const where = 'multiclassAccuracy';
  const opts = parseOptions(where, options, []);
  const { rows, K } = multiclassShape(where, probabilities, labels);
  const mask = checkMask(where, opts.mask, rows);
  let correct = 0, n = 0;
  for (let i = 0; i < rows; i++) {
    if (mask !== undefined && !mask[i]) continue;
    const y = classLabel(where, labels, i, K);
    if (argmax(where, probabilities, i, K) === y) correct++;
    n++;
  }
  return n > 0 ? correct / n : NaN;
}

/**
 * Per-class F1 (one-vs-rest, prediction = argmax) and their macro mean over the
 * classes present in the labels or the predictions (the others are NaN).
 */
export function multiclassF1(probabilities: FloatArray, labels: ArrayLike<number>, options?: MetricOptions): PerClassResult {
  const where = 'multiclassF1';
  const opts = parseOptions(where, options, []);
  const { rows, K } = multiclassShape(where, probabilities, labels);
  const mask = checkMask(where, opts.mask, rows);
  const tp = new Float64Array(K), predicted = new Float64Array(K), actual = new Float64Array(K);
  for (let i = 0; i < rows; i++) {
    if (mask !== undefined && !mask[i]) continue;
    const y = classLabel(where, labels, i, K);
    const p = argmax(where, probabilities, i, K);
    actual[y]!++;
    predicted[p]!++;
    if (p === y) tp[y]!++;
  }
  const perClass = new Float64Array(K);
  for (let k = 0; k < K; k++) perClass[k] = f1(tp[k]!, predicted[k]! - tp[k]!, actual[k]! - tp[k]!);
  return { perClass, macro: meanDefined(perClass) };
}

/** Mean of −log p[label] over labeled rows, p clipped to [ε, 1 − ε]. */
export function multiclassLogLoss(probabilities: FloatArray, labels: ArrayLike<number>, options?: LogLossOptions): number {
  const where = 'multiclassLogLoss';
  const opts = parseOptions(where, options, ['epsilon']);
  const eps = epsilonOf(where, opts.epsilon);
  const { rows, K } = multiclassShape(where, probabilities, labels);
  const mask = checkMask(where, opts.mask, rows);
  const hi = 1 - eps;
  let prod = 1, scaled = 0, n = 0;
  for (let i = 0; i < rows; i++) {
    if (mask !== undefined && !mask[i]) continue;
    const y = classLabel(where, labels, i, K);
    for (let k = 0; k < K; k++) checkProbability(where, 'probabilities', probabilities, i * K + k);
    const p = probabilities[i * K + y]!;
    prod *= p < eps ? eps : p > hi ? hi : p;
    if (prod < TWO_POW_M512) { prod *= TWO_POW_512; scaled++; }
    n++;
  }
  return n > 0 ? -logOfProduct(where, prod, scaled) / n : NaN;
}

// ---------------------------------------------------------------------------
// Multilabel: probabilities and 0/1 labels, both rows × columns (row-major).

/** Per-label accuracy (p > threshold against the 0/1 label) and their mean. */
export function multilabelAccuracy(probabilities: FloatArray, labels: ArrayLike<number>, options: MultilabelOptions & ThresholdOptions): PerClassResult {
  const c = multilabelCounts('multilabelAccuracy', probabilities, labels, options);
  const L = c.length / 4;
  const perClass = new Float64Array(L);
  for (let j = 0; j < L; j++) {
    const tp = c[4 * j]!, fp = c[4 * j + 1]!, fn = c[4 * j + 2]!, tn = c[4 * j + 3]!;
    const n = tp + fp + fn + tn;
    perClass[j] = n > 0 ? (tp + tn) / n : NaN;
  }
  return { perClass, macro: meanDefined(perClass) };
}

/**
 * Per-label F1 (NaN for a label neither present nor predicted) and their macro mean
 * over every label, such a label counting 0: scikit-learn's f1_score(average='macro')
 * with its default zero_division. NaN when no row is labeled.
 */
export function multilabelF1(probabilities: FloatArray, labels: ArrayLike<number>, options: MultilabelOptions & ThresholdOptions): PerClassResult {
  const c = multilabelCounts('multilabelF1', probabilities, labels, options);
  const L = c.length / 4;
  const perClass = new Float64Array(L);
  let sum = 0;
  for (let j = 0; j < L; j++) {
    perClass[j] = f1(c[4 * j]!, c[4 * j + 1]!, c[4 * j + 2]!);
    if (perClass[j] === perClass[j]) sum += perClass[j]!;
  }
  // Every label has the same rows: none counted if the first has none.
  const rows = c[0]! + c[1]! + c[2]! + c[3]!;
  return { perClass, macro: rows > 0 ? sum / L : NaN };
}

/** Binary log-loss averaged over every label of every labeled row. */
export function multilabelLogLoss(probabilities: FloatArray, labels: ArrayLike<number>, options: MultilabelOptions & LogLossOptions): number {
  const where = 'multilabelLogLoss';
  const opts = parseOptions(where, options, ['columns', 'epsilon']);
  const eps = epsilonOf(where, opts.epsilon);
  const { rows, L } = multilabelShape(where, probabilities, labels, opts.columns);
  const mask = checkMask(where, opts.mask, rows);
  const hi = 1 - eps;
  let prod = 1, scaled = 0, n = 0;
  for (let i = 0; i < rows; i++) {
    if (mask !== undefined && !mask[i]) continue;
    for (let j = 0, e = i * L; j < L; j++, e++) {
      const p = checkProbability(where, 'probabilities', probabilities, e);
      const pc = p < eps ? eps : p > hi ? hi : p;
      const y = labels[e];
      let f: number;
      if (y === 1) f = pc;
      else if (y === 0) f = 1 - pc;
      else throw badLabel(where, e, y);
      prod *= f;
      if (prod < TWO_POW_M512) { prod *= TWO_POW_512; scaled++; }
    }
    n += L;
  }
  return n > 0 ? -logOfProduct(where, prod, scaled) / n : NaN;
}

// ---------------------------------------------------------------------------
// Regression: predictions and targets rows × columns (row-major).

/** Mean |prediction − target| per output, averaged over outputs. */
export function meanAbsoluteError(predictions: FloatArray, targets: FloatArray, options?: RegressionOptions): number {
  return regression('meanAbsoluteError', predictions, targets, options, MAE);
}

/** √(mean (prediction − target)²) per output, averaged over outputs. */
export function rootMeanSquaredError(predictions: FloatArray, targets: FloatArray, options?: RegressionOptions): number {
  return regression('rootMeanSquaredError', predictions, targets, options, RMSE);
}

/**
 * R² = 1 − Σ(target − prediction)² / Σ(target − mean target)² per output (NaN when
 * the labeled targets are constant), averaged over the outputs where it is defined.
 * Predicting the mean target gives 0; it can be negative.
 */
export function r2Score(predictions: FloatArray, targets: FloatArray, options?: RegressionOptions): number {
  return regression('r2Score', predictions, targets, options, R2);
}

// ---------------------------------------------------------------------------
// Distributions (the gaussian, poisson and quantile tasks; docs/probabilistic.md).
// Means over labeled rows; the logarithms come from the kernels (await init()).

/** Mean Gaussian negative log-likelihood, ½·log 2πσ² + (y − μ)²/2σ², natural log. Variances must be > 0. */
export function gaussianNll(means: FloatArray, variances: FloatArray, targets: FloatArray, options?: MetricOptions): number {
  const where = 'gaussianNll';
  const rows = distributionRows(where, [means, variances, targets], options);
  const k = runtime(where).kernels;
  return meanOverRows(rows, (i) => {
    const v = variances[i]!, d = targets[i]! - means[i]!;
    if (!(v > 0) || !Number.isFinite(v)) throw new ArgumentError(`${where}: variances[${i}] must be finite and > 0, got ${v}`);
    return 0.5 * k.mathLog(2 * Math.PI * v) + (d * d) / (2 * v);
  });
}

/** Mean Poisson negative log-likelihood, λ − y·log λ + log y! (the full one), of counts y under rates λ > 0. */
export function poissonNll(rates: FloatArray, counts: FloatArray, options?: MetricOptions): number {
  const where = 'poissonNll';
  const rows = distributionRows(where, [rates, counts], options);
  const k = runtime(where).kernels;
  return meanOverRows(rows, (i) => {
    const rate = rates[i]!, y = counts[i]!;
    if (!(rate > 0) || !Number.isFinite(rate)) throw new ArgumentError(`${where}: rates[${i}] must be finite and > 0, got ${rate}`);
    if (!Number.isInteger(y) || y < 0) throw new ArgumentError(`${where}: counts[${i}] must be a whole number ≥ 0, got ${y}`);
    return rate - y * k.mathLog(rate) + logFactorial(y);
  });
}

/**
 * Mean pinball loss over rows and levels: ρ_τ(y − q) = τ·(y − q) above the
 * quantile, (1 − τ)·(q − y) below. quantiles: rows × levels.length, row-major.
 */
export function pinballLoss(quantiles: FloatArray, levels: readonly number[], targets: FloatArray, options?: MetricOptions): number {
  const where = 'pinballLoss';
  const Q = checkQuantiles(where, levels).length;
  checkFloats(where, 'quantiles', quantiles);
  if (quantiles.length !== targets.length * Q) throw new ShapeError(`${where}: quantiles has ${quantiles.length} values, expected ${targets.length} rows × ${Q} levels`);
  const rows = distributionRows(where, [targets], options);
  return meanOverRows(rows, (i) => {
    let s = 0;
    for (let j = 0; j < Q; j++) {
      const q = quantiles[i * Q + j]!;
      if (!Number.isFinite(q)) throw new ArgumentError(`${where}: quantiles[${i * Q + j}] (row ${i}, level ${levels[j]}) must be finite, got ${q}`);
      const u = targets[i]! - q;
      s += u > 0 ? levels[j]! * u : (levels[j]! - 1) * u;
    }
    return s / Q;
  });
}

/** The fraction of labeled rows whose target lies in [lower, upper]. */
export function intervalCoverage(lower: FloatArray, upper: FloatArray, targets: FloatArray, options?: MetricOptions): number {
  const rows = intervalRows('intervalCoverage', lower, upper, [lower, upper, targets], options);
  return meanOverRows(rows, (i) => (targets[i]! >= lower[i]! && targets[i]! <= upper[i]! ? 1 : 0));
}

/** The mean width upper − lower of the intervals over labeled rows. */
export function intervalWidth(lower: FloatArray, upper: FloatArray, options?: MetricOptions): number {
  const rows = intervalRows('intervalWidth', lower, upper, [lower, upper], options);
  return meanOverRows(rows, (i) => upper[i]! - lower[i]!);
}

/** distributionRows, and every counted interval the right way round (lower ≤ upper). */
function intervalRows(where: string, lower: FloatArray, upper: FloatArray, arrays: readonly FloatArray[], options: MetricOptions | undefined): number[] {
  const rows = distributionRows(where, arrays, options);
  for (const i of rows) {
    if (lower[i]! > upper[i]!) throw new ArgumentError(`${where}: row ${i}: lower ${lower[i]} is above upper ${upper[i]}; pass the bounds as (lower, upper)`);
  }
  return rows;
}

/** Checks one-value-per-row arrays of one length, finite in labeled rows; returns the rows that count. */
function distributionRows(where: string, arrays: readonly FloatArray[], options: MetricOptions | undefined): number[] {
  const opts = parseOptions(where, options, []);
  arrays.forEach((a, j) => checkFloats(where, `argument ${j + 1}`, a));
  const n = arrays[0]!.length;
  for (const a of arrays) if (a.length !== n) throw new ShapeError(`${where}: the arrays have ${arrays.map((x) => x.length).join(', ')} values; they must be one per row`);
  const mask = checkMask(where, opts.mask, n);
  const rows: number[] = [];
  for (let i = 0; i < n; i++) {
    if (mask !== undefined && !mask[i]) continue;
    arrays.forEach((a, j) => { if (!Number.isFinite(a[i]!)) throw new ArgumentError(`${where}: argument ${j + 1}, row ${i} must be finite, got ${a[i]}`); });
    rows.push(i);
  }
  return rows;
}

function meanOverRows(rows: readonly number[], f: (i: number) => number): number {
  if (rows.length === 0) return NaN;
  let s = 0;
  for (const i of rows) s += f(i);
  return s / rows.length;
}

/** log(n!) for a whole n ≥ 0: the sum of logs up to 256, Stirling's series (error < 1e-15) above. */
function logFactorial(n: number): number {
  const k = runtime('poissonNll').kernels;
  if (n < 256) {
    let s = 0;
    for (let j = 2; j <= n; j++) s += k.mathLog(j);
    return s;
  }
  return n * k.mathLog(n) - n + 0.5 * k.mathLog(2 * Math.PI * n) + 1 / (12 * n) - 1 / (360 * n ** 3);
}

// ---------------------------------------------------------------------------
// Internals

const TWO_POW_512 = 1.3407807929942597e154;
const TWO_POW_M512 = 7.458340731200207e-155;
const MAE = 0, RMSE = 1, R2 = 2;

interface ParsedOptions {
  mask?: unknown;
  threshold?: unknown;
  epsilon?: unknown;
  columns?: unknown;
}

function parseOptions(where: string, options: unknown, extra: readonly string[]): ParsedOptions {
  const o = checkOptionsObject(where, options);
  checkKeys(where, o, ['mask', ...extra]);
  return o as ParsedOptions;
}

function checkFloats(where: string, name: string, x: unknown): asserts x is FloatArray {
  if (!(x instanceof Float32Array) && !(x instanceof Float64Array)) {
    throw new ArgumentError(`${where}: ${name} must be a Float32Array or Float64Array, got ${show(x)}`);
  }
}

function checkLabels(where: string, labels: unknown, rows: number): asserts labels is ArrayLike<number> {
  if (!isArrayLike(labels)) throw new ArgumentError(`${where}: labels must be an array or typed array, got ${show(labels)}`);
  if (labels.length !== rows) throw new ShapeError(`${where}: labels has ${labels.length} entries, expected ${rows}`);
}

/** The mask as bytes, each entry checked as the losses check it (true/1 or false/0); undefined when absent. */
function checkMask(where: string, mask: unknown, rows: number): Uint8Array | undefined {
  if (mask === undefined) return undefined;
  if (!isArrayLike(mask)) throw new ArgumentError(`${where}: mask must be an array or typed array, got ${show(mask)}`);
  return readMask(where, mask, rows) ?? undefined;
}

function isArrayLike(x: unknown): x is ArrayLike<unknown> {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
}

function thresholdOf(where: string, v: unknown): number {
  if (v === undefined) return 0.5;
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
    throw new ArgumentError(`${where}: threshold must be a number in [0, 1], got ${show(v)}`);
  }
  return v;
}

function epsilonOf(where: string, v: unknown): number {
  if (v === undefined) return 1e-7;
  if (typeof v !== 'number' || !(v >= 0 && v < 0.5)) {
    throw new ArgumentError(`${where}: epsilon must be a number in [0, 0.5), got ${show(v)}`);
  }
  return v;
}

function checkProbability(where: string, name: string, x: FloatArray, e: number): number {
  const p = x[e]!;
  if (!(p >= 0 && p <= 1)) throw new ArgumentError(`${where}: ${name}[${e}] must be a probability in [0, 1], got ${p}`);
  return p;
}

function badLabel(where: string, e: number, y: unknown): ArgumentError {
  return new ArgumentError(`${where}: labels[${e}] must be 0 or 1, got ${show(y)}`);
}

function f1(tp: number, fp: number, fn: number): number {
  const d = 2 * tp + fp + fn;
  return d > 0 ? (2 * tp) / d : NaN;
}

function meanDefined(values: Float64Array): number {
  let s = 0, n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === v) { s += v; n++; }
  }
  return n > 0 ? s / n : NaN;
}

/** log(prod·2^(−512·scaled)) with one WASM log. */
function logOfProduct(where: string, prod: number, scaled: number): number {
  const k = runtime(where).kernels;
  const log = k.mathLog(prod);
  return scaled === 0 ? log : log - scaled * (512 * k.mathLog(2));
}

function binaryCounts(where: string, probabilities: FloatArray, labels: ArrayLike<number>, options: ThresholdOptions | undefined) {
  const opts = parseOptions(where, options, ['threshold']);
  const threshold = thresholdOf(where, opts.threshold);
  checkFloats(where, 'probabilities', probabilities);
  const rows = probabilities.length;
  checkLabels(where, labels, rows);
  const mask = checkMask(where, opts.mask, rows);
  let tp = 0, fp = 0, fn = 0, tn = 0;
  for (let i = 0; i < rows; i++) {
    if (mask !== undefined && !mask[i]) continue;
    const p = checkProbability(where, 'probabilities', probabilities, i);
    const y = labels[i];
    const positive = p > threshold;
    if (y === 1) { if (positive) tp++; else fn++; }
    else if (y === 0) { if (positive) fp++; else tn++; }
    else throw badLabel(where, i, y);
  }
  return { tp, fp, fn, tn };
}

function multiclassShape(where: string, probabilities: FloatArray, labels: ArrayLike<number>): { rows: number; K: number } {
  checkFloats(where, 'probabilities', probabilities);
  if (!isArrayLike(labels)) throw new ArgumentError(`${where}: labels must be an array or typed array of class indices, got ${show(labels)}`);
  const rows = labels.length;
  const K = rows > 0 ? probabilities.length / rows : 0;
  if (rows === 0 || !Number.isInteger(K) || K < 2) {
    throw new ShapeError(
      `${where}: probabilities (${probabilities.length} values) must hold rows × classes for the ${rows} labels, with at least 2 classes`,
    );
  }
  return { rows, K };
}

function classLabel(where: string, labels: ArrayLike<number>, i: number, K: number): number {
  const y = labels[i];
  if (typeof y !== 'number' || !Number.isInteger(y) || y < 0 || y >= K) {
    throw new ArgumentError(`${where}: labels[${i}] must be a class index from 0 to ${K - 1}, got ${show(y)}`);
  }
  return y;
}

function argmax(where: string, x: FloatArray, row: number, K: number): number {
  const base = row * K;
  let best = 0, bestValue = -Infinity;
  for (let k = 0; k < K; k++) {
    const v = x[base + k]!;
    if (!Number.isFinite(v)) throw new ArgumentError(`${where}: probabilities[${base + k}] must be finite, got ${v}`);
    if (v > bestValue) { bestValue = v; best = k; }
  }
  return best;
}

function multilabelShape(where: string, probabilities: FloatArray, labels: ArrayLike<number>, columns: unknown): { rows: number; L: number } {
  checkFloats(where, 'probabilities', probabilities);
  if (typeof columns !== 'number' || !Number.isSafeInteger(columns) || columns < 1) {
    throw new ShapeError(`${where}: columns (labels per row) must be a positive integer, got ${show(columns)}`);
  }
  if (probabilities.length % columns !== 0) {
    throw new ShapeError(`${where}: probabilities has ${probabilities.length} values, not a multiple of columns (${columns})`);
  }
  checkLabels(where, labels, probabilities.length);
  return { rows: probabilities.length / columns, L: columns };
}

/** [tp, fp, fn, tn] per label. */
function multilabelCounts(where: string, probabilities: FloatArray, labels: ArrayLike<number>, options: MultilabelOptions & ThresholdOptions): Float64Array {
  const opts = parseOptions(where, options, ['columns', 'threshold']);
  const threshold = thresholdOf(where, opts.threshold);
  const { rows, L } = multilabelShape(where, probabilities, labels, opts.columns);
  const mask = checkMask(where, opts.mask, rows);
  const c = new Float64Array(4 * L);
  for (let i = 0; i < rows; i++) {
    if (mask !== undefined && !mask[i]) continue;
    for (let j = 0, e = i * L; j < L; j++, e++) {
      const p = checkProbability(where, 'probabilities', probabilities, e);
      const y = labels[e];
      const positive = p > threshold;
      if (y === 1) c[4 * j + (positive ? 0 : 2)]!++;
      else if (y === 0) c[4 * j + (positive ? 1 : 3)]!++;
      else throw badLabel(where, e, y);
    }
  }
  return c;
}

function regression(where: string, predictions: FloatArray, targets: FloatArray, options: RegressionOptions | undefined, kind: number): number {
  const opts = parseOptions(where, options, ['columns']);
  checkFloats(where, 'predictions', predictions);
  checkFloats(where, 'targets', targets);
  const cols = opts.columns === undefined ? 1 : opts.columns;
  if (typeof cols !== 'number' || !Number.isSafeInteger(cols) || cols < 1) {
    throw new ShapeError(`${where}: columns (outputs per row) must be a positive integer, got ${show(cols)}`);
  }
  if (targets.length !== predictions.length) {
    throw new ShapeError(`${where}: targets has ${targets.length} values, predictions ${predictions.length}`);
  }
  if (predictions.length % cols !== 0) {
    throw new ShapeError(`${where}: predictions has ${predictions.length} values, not a multiple of columns (${cols})`);
  }
  const rows = predictions.length / cols;
  const mask = checkMask(where, opts.mask, rows);
  let largest = 0;
  for (let i = 0; i < rows; i++) {
    if (mask !== undefined && !mask[i]) continue;
    for (let e = i * cols; e < (i + 1) * cols; e++) {
      if (!Number.isFinite(predictions[e]!)) throw new ArgumentError(`${where}: predictions[${e}] must be finite, got ${predictions[e]}`);
      if (!Number.isFinite(targets[e]!)) throw new ArgumentError(`${where}: targets[${e}] must be finite, got ${targets[e]}`);
      largest = Math.max(largest, Math.abs(predictions[e]!), Math.abs(targets[e]!));
    }
  }
  // Squares of float64 values beyond 1.3e154 overflow, below 1e-162 underflow: data that far out
  // is scaled by a power of two (exact), and the result scaled back; other data is read as it is.
  const scale = largest > 2 ** 400 || (largest > 0 && largest < 2 ** -400) ? 2 ** -Math.ceil(Math.log2(largest)) : 1;
  const value = regressionValue(predictions, targets, rows, cols, mask, kind, scale);
  return kind === R2 ? value : value / scale;
}

/** MAE, RMSE or R² of the counted rows, each value multiplied by `scale` (MAE and RMSE come out scaled). */
function regressionValue(predictions: FloatArray, targets: FloatArray, rows: number, cols: number, mask: ArrayLike<MaskValue> | undefined, kind: number, scale: number): number {
  // Pass 1: Σ|e| or Σe², Σy (for R²'s mean), and whether y varies, per output.
  const err = new Float64Array(cols), mean = new Float64Array(cols), first = new Float64Array(cols);
  const varies = new Uint8Array(cols);
  let n = 0;
  for (let i = 0; i < rows; i++) {
    if (mask !== undefined && !mask[i]) continue;
    for (let j = 0, e = i * cols; j < cols; j++, e++) {
      const p = predictions[e]! * scale, y = targets[e]! * scale;
      const d = p - y;
      err[j] = err[j]! + (kind === MAE ? Math.abs(d) : d * d);
      mean[j] = mean[j]! + y;
      // Whether y varies, on the values as given (scaling down may round apart values to one).
      if (n === 0) first[j] = targets[e]!;
      else if (targets[e]! !== first[j]) varies[j] = 1;
    }
    n++;
  }
  if (n === 0) return NaN;
  if (kind !== R2) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += kind === MAE ? err[j]! / n : Math.sqrt(err[j]! / n);
    return s / cols;
  }
  // Pass 2 (R²): Σ(y − ȳ)² per output (two passes, for accuracy).
  for (let j = 0; j < cols; j++) mean[j] = mean[j]! / n;
  const tot = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    if (mask !== undefined && !mask[i]) continue;
    for (let j = 0, e = i * cols; j < cols; j++, e++) {
      const d = targets[e]! * scale - mean[j]!;
      tot[j] = tot[j]! + d * d;
    }
  }
  let s = 0, defined = 0;
  for (let j = 0; j < cols; j++) {
    if (varies[j] !== 0 && tot[j]! > 0) { s += 1 - err[j]! / tot[j]!; defined++; }
  }
  return defined > 0 ? s / defined : NaN;
}
