// Task kinds, in one table: what each kind's output is, how its labels are held,
// its default loss, how its predictions decode, and which metrics apply. The model
// (training, evaluation, predict), `manytask/infer` and the CLI read this table
// instead of switching on the kind name. Pure data and plain functions: the
// inference bundle reaches this file.
//
// Supervised kinds learn labels; the unsupervised ones train on every row:
// `reconstruction` decodes the row's (encoded) features back (MSE), `clustering`
// learns k-means pseudo-labels of the shared representation, refreshed every
// epoch (DeepCluster, Caron et al. 2018).
//
// The distribution kinds predict a distribution of a numeric target, not a
// point (docs/probabilistic.md): `gaussian` its mean and variance (Gaussian
// negative log-likelihood), `poisson` the rate of a count (Poisson NLL),
// `quantile` several quantiles from one head (pinball loss, never crossing). Their
// head's raw outputs become the distribution's parameters in the kernels
// (assembly/distribution.ts); predict adds a central interval at a level (default
// DEFAULT_LEVEL).

import { ArgumentError } from '../runtime/errors.js';
import { checkFinitePredictions, show } from '../runtime/validate.js';
import { runtime } from '../runtime/module.js';
import { rowArrays } from '../tensor/rows.js';

export type TaskKind = 'binary' | 'multiclass' | 'multilabel' | 'regression' | 'reconstruction' | 'clustering' | 'gaussian' | 'poisson' | 'quantile';

/** The level of the central interval predict and evaluate give for a distribution task, unless told (90%). */
export const DEFAULT_LEVEL = 0.9;

export interface KindInfo {
  /** Whether the kind learns labels the data gives (false: it makes its own targets from every row). */
  readonly supervised: boolean;
  /**
   * What a prediction is: 'softmax' probabilities over the outputs, independent
   * 'sigmoid' probabilities, the outputs' values ('identity'), or the parameters
   * of a distribution (the outputs mapped by assembly/distribution.ts).
   */
  readonly output: 'softmax' | 'sigmoid' | 'identity' | 'gaussian' | 'poisson' | 'quantile';
  /** Labels are one class index per row (else one value per output). */
  readonly classIndex: boolean;
  /** Labels are one number per row whatever the output width (a distribution's outputs are its parameters). */
  readonly oneValue: boolean;
  /** Labels are standardized for training (mean 0, std 1) and predictions mapped back. */
  readonly standardized: boolean;
  /** The loss a task of this kind gets when its spec names none; a distribution kind takes no other. */
  readonly defaultLoss: 'bce' | 'softmaxCrossEntropy' | 'mse' | 'gaussianNll' | 'poissonNll' | 'pinball';
  /** What evaluate reports besides the loss (the names in TaskEvaluation). */
  readonly metrics: readonly ('accuracy' | 'f1' | 'auc' | 'logLoss' | 'mae' | 'rmse' | 'r2' | 'nll' | 'coverage' | 'intervalWidth' | 'pinball')[];
  /** Class or label names apply to its outputs (binary: the two classes; multiclass: one per output; multilabel: one per label). */
  readonly named: boolean;
}

const PLAIN = { oneValue: false, standardized: false } as const;
const DISTRIBUTION = { supervised: true, classIndex: false, oneValue: true, named: false } as const;
export const KINDS: Readonly<Record<TaskKind, KindInfo>> = {
  binary: { ...PLAIN, supervised: true, output: 'sigmoid', classIndex: false, defaultLoss: 'bce', metrics: ['accuracy', 'f1', 'auc', 'logLoss'], named: true },
  multiclass: { ...PLAIN, supervised: true, output: 'softmax', classIndex: true, defaultLoss: 'softmaxCrossEntropy', metrics: ['accuracy', 'f1', 'logLoss'], named: true },
  multilabel: { ...PLAIN, supervised: true, output: 'sigmoid', classIndex: false, defaultLoss: 'bce', metrics: ['accuracy', 'f1', 'logLoss'], named: true },
  regression: { supervised: true, output: 'identity', classIndex: false, oneValue: false, standardized: true, defaultLoss: 'mse', metrics: ['mae', 'rmse', 'r2'], named: false },
  reconstruction: { ...PLAIN, supervised: false, output: 'identity', classIndex: false, defaultLoss: 'mse', metrics: [], named: false },
  clustering: { ...PLAIN, supervised: false, output: 'softmax', classIndex: true, defaultLoss: 'softmaxCrossEntropy', metrics: [], named: false },
  gaussian: { ...DISTRIBUTION, output: 'gaussian', standardized: true, defaultLoss: 'gaussianNll', metrics: ['nll', 'coverage', 'intervalWidth', 'mae', 'rmse', 'r2'] },
  // Counts are not standardized: a log-rate head learns their scale in its bias, and a standardized count is no count.
  poisson: { ...DISTRIBUTION, output: 'poisson', standardized: false, defaultLoss: 'poissonNll', metrics: ['nll', 'coverage', 'intervalWidth', 'mae', 'rmse'] },
  quantile: { ...DISTRIBUTION, output: 'quantile', standardized: true, defaultLoss: 'pinball', metrics: ['pinball', 'coverage', 'intervalWidth'] },
};

/** Whether a kind predicts a distribution (gaussian, poisson, quantile). */
export function isDistributionKind(kind: TaskKind): kind is 'gaussian' | 'poisson' | 'quantile' {
  return kind === 'gaussian' || kind === 'poisson' || kind === 'quantile';
}

/** The outputs of a distribution kind's head: gaussian 2 (mean, raw variance), poisson 1 (log-rate), quantile one per level. */
export function distributionWidth(kind: 'gaussian' | 'poisson' | 'quantile', levels: readonly number[] | undefined): number {
  return kind === 'gaussian' ? 2 : kind === 'poisson' ? 1 : levels!.length;
}

export const TASK_KINDS = Object.keys(KINDS) as readonly TaskKind[];

export function isTaskKind(v: unknown): v is TaskKind {
  return typeof v === 'string' && Object.hasOwn(KINDS, v);
}

/** How many class (or label) names a kind's outputs take: binary 2, multiclass and multilabel one per output, others none. */
export function classNameCount(kind: TaskKind, width: number): number {
  return kind === 'binary' ? 2 : KINDS[kind].named ? width : 0;
}

/** Per task: binary and multiclass probabilities with the predicted classes, multilabel probabilities, regression values. A class or label is predicted where its probability is > 0.5 (as the metrics count it). */
export type TaskPrediction =
  | { kind: 'binary'; probabilities: Float32Array; classes: (string | number)[] }
  | { kind: 'multiclass'; probabilities: number[][]; classes: (string | number)[] }
  | { kind: 'multilabel'; probabilities: number[][]; labels: (string | number)[][] }
  | { kind: 'regression'; values: Float32Array }
  /** The reconstructed (encoded) features, and per row the mean squared reconstruction error: an anomaly score. */
  | { kind: 'reconstruction'; values: number[][]; errors: Float32Array }
  | { kind: 'clustering'; probabilities: number[][]; clusters: Int32Array }
  /** The mean and variance per row, and the central interval mean ± z·σ at `level`. */
  | { kind: 'gaussian'; mean: Float32Array; variance: Float32Array; lower: Float32Array; upper: Float32Array; level: number }
  /** The rate (the mean count) per row, and the central interval at `level`: Poisson quantiles, whole counts. */
  | { kind: 'poisson'; mean: Float32Array; lower: Float32Array; upper: Float32Array; level: number }
  /**
   * Per row the quantiles at `levels` (rows × levels, increasing), and the interval
   * between the quantiles at (1 ∓ level)/2 (by default the lowest and highest levels).
   */
  | { kind: 'quantile'; levels: number[]; quantiles: number[][]; lower: Float32Array; upper: Float32Array; level: number };

/** What decodePrediction needs besides the outputs. */
export interface DecodeContext {
  /** Class (or label) names in output order, or null (classes are then their indices). */
  readonly classes: readonly string[] | null;
  /** Regression: the target's standardization, undone on the values. */
  readonly stats: { readonly mean: number; readonly std: number } | null;
  /** Reconstruction: the encoded input rows (rows × width), to score against. */
  readonly features: Float32Array;
  /** Quantile tasks: the levels of the outputs. */
  readonly levels?: readonly number[] | undefined;
  /** Distribution tasks: the central interval's level (DEFAULT_LEVEL when absent; a quantile task's outermost levels). */
  readonly level?: number | undefined;
  /** The caller, for errors (default 'predict'). */
  readonly where?: string;
}

/**
 * A task's predict() result from its outputs `v` (rows × width: probabilities or
 * values, as the prediction step of the network leaves them). `v` is taken over
 * (regression values are rescaled in place). A value that is not finite — weights
 * that overflow, a rescaling beyond float32 — is a NonFinitePredictionError naming
 * the task and row, never a NaN in the answer.
 */
export function decodePrediction(task: string, kind: TaskKind, v: Float32Array, rows: number, width: number, ctx: DecodeContext): TaskPrediction {
  const pick = (c: number): string | number => (ctx.classes ? ctx.classes[c]! : c);
  const split = (): number[][] => rowArrays(v, rows, width);
  const argmax = (row: readonly number[]): number => {
    let best = 0;
    for (let c = 1; c < row.length; c++) if (row[c]! > row[best]!) best = c;
    return best;
  };
  if (ctx.stats) {
    // Undo the standardization: values and quantiles y = m + s·z; a Gaussian's (mean, variance) → (m + s·μ, s²·v).
    const { mean, std } = ctx.stats;
    for (let i = 0; i < v.length; i++) v[i] = kind === 'gaussian' && i % 2 === 1 ? v[i]! * std * std : v[i]! * std + mean;
  }
  const where = ctx.where ?? 'predict';
  checkFinitePredictions(where, task, v, width);
  switch (kind) {
    case 'gaussian':
    case 'poisson':
    case 'quantile':
      return decodeDistribution(task, kind, v, rows, width, ctx);
    case 'regression':
      return { kind, values: v };
    case 'binary':
      return { kind, probabilities: v, classes: Array.from(v, (p) => pick(p > 0.5 ? 1 : 0)) };
    case 'multiclass': {
      const probabilities = split();
      return { kind, probabilities, classes: probabilities.map((row) => pick(argmax(row))) };
    }
    case 'multilabel': {
      const probabilities = split();
      return { kind, probabilities, labels: probabilities.map((row) => row.flatMap((p, c) => (p > 0.5 ? [pick(c)] : []))) };
    }
    case 'reconstruction': {
      const errors = new Float32Array(rows);
      for (let i = 0; i < rows; i++) {
        let e = 0;
        for (let c = 0; c < width; c++) e += (v[i * width + c]! - ctx.features[i * width + c]!) ** 2;
        errors[i] = e / width;
      }
      checkFinitePredictions(where, task, errors, 1);
      return { kind, values: split(), errors };
    }
    case 'clustering': {
      const probabilities = split();
      return { kind, probabilities, clusters: Int32Array.from(probabilities, argmax) };
    }
  }
}

/**
 * A distribution task's prediction from its parameters (rows × width, in the
 * target's units): the interval at ctx.level. Gaussian: mean ± z·σ with z the
 * standard normal quantile. Poisson: its quantiles at (1 ∓ level)/2, whole counts
 * (so coverage is at least the level). Quantile: the predicted quantiles at
 * (1 ∓ level)/2, which must be among the task's levels; by default its lowest and
 * highest levels, `level` then their difference.
 */
function decodeDistribution(task: string, kind: 'gaussian' | 'poisson' | 'quantile', v: Float32Array, rows: number, width: number, ctx: DecodeContext): TaskPrediction {
  const lower = new Float32Array(rows), upper = new Float32Array(rows);
  if (kind === 'quantile') {
    const levels = [...ctx.levels!];
    let lo = 0, hi = width - 1;
    if (ctx.level !== undefined) {
      lo = levels.findIndex((q) => Math.abs(q - (1 - ctx.level!) / 2) < 1e-9);
      hi = levels.findIndex((q) => Math.abs(q - (1 + ctx.level!) / 2) < 1e-9);
      if (lo < 0 || hi < 0) {
        throw new ArgumentError(`predict: level ${ctx.level} needs the quantiles ${(1 - ctx.level) / 2} and ${(1 + ctx.level) / 2}; task "${task}" has ${levels.join(', ')}`);
      }
    }
    for (let i = 0; i < rows; i++) { lower[i] = v[i * width + lo]!; upper[i] = v[i * width + hi]!; }
    const quantiles = rowArrays(v, rows, width);
    // The level as a person writes it (0.95 − 0.05 is 0.8999999999999999 in binary).
    return { kind, levels, quantiles, lower, upper, level: ctx.level ?? Math.round((levels[hi]! - levels[lo]!) * 1e9) / 1e9 };
  }
  const level = ctx.level ?? DEFAULT_LEVEL;
  const z = normalQuantile((1 + level) / 2);
  if (kind === 'gaussian') {
    const mean = new Float32Array(rows), variance = new Float32Array(rows);
    for (let i = 0; i < rows; i++) {
      const m = v[2 * i]!, s2 = v[2 * i + 1]!, half = z * Math.sqrt(s2);
      mean[i] = m; variance[i] = s2; lower[i] = m - half; upper[i] = m + half;
    }
    checkFinitePredictions(ctx.where ?? 'predict', task, lower, 1);
    checkFinitePredictions(ctx.where ?? 'predict', task, upper, 1);
    return { kind, mean, variance, lower, upper, level };
  }
  for (let i = 0; i < rows; i++) {
    lower[i] = poissonQuantile(v[i]!, (1 - level) / 2, -z);
    upper[i] = poissonQuantile(v[i]!, (1 + level) / 2, z);
  }
  return { kind, mean: v, lower, upper, level };
}

/** predict's `level` option (checked already to be an object's key): undefined, or a number in (0, 1). */
export function levelOption(where: string, options: unknown): number | undefined {
  const level = (options as { level?: unknown } | undefined)?.level;
  if (level === undefined) return undefined;
  if (typeof level !== 'number' || !(level > 0 && level < 1)) throw new ArgumentError(`${where}: level must be a number in (0, 1), got ${show(level)}`);
  // The upper bound is the (1 + level) / 2 quantile: at 1 − 1.1e-16 that rounds to 1, an infinite bound.
  if (!((1 + level) / 2 < 1)) throw new ArgumentError(`${where}: level ${level} is too close to 1 for float64: its upper quantile, (1 + level) / 2, is 1; the largest level is 1 − 2.2e-16`);
  return level;
}

/** The column kind a task of `kind` reads from a Dataset: a distribution task reads a numeric ('regression') column. */
export function columnKind(kind: TaskKind): TaskKind {
  return isDistributionKind(kind) ? 'regression' : kind;
}

/**
 * Φ⁻¹(p), the standard normal quantile, for p in (0, 1): Acklam's rational
 * approximation (relative error < 1.2e-9). Its logarithm comes from the kernels'
 * log1p, so that every runtime gives the same bits: log q = log1p(m − 1) − j·log 2
 * with q = m·2⁻ʲ, m in [½, 1) (the scaling and m − 1 are exact).
 */
export function normalQuantile(p: number): number {
  // (log would halve 0 forever.)
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const { kernels: k } = runtime('predict');
  const log = (q: number): number => {
    let j = 0;
    while (q < 0.5) { q *= 2; j++; }
    return k.mathLog1p(q - 1) - j * 0.6931471805599453;
  };
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  // The tail's coefficients to 12 digits (its terms do not cancel: the result moves by about 1e-12).
  const c = [-0.00778489400243, -0.322396458041, -2.40075827716, -2.54973253934, 4.37466414146, 2.93816398270];
  const d = [0.00778469570904, 0.322467129070, 2.44513413714, 3.75440866191];
  const tail = (q: number): number => {
    const t = Math.sqrt(-2 * log(q));
    return (((((c[0]! * t + c[1]!) * t + c[2]!) * t + c[3]!) * t + c[4]!) * t + c[5]!) / ((((d[0]! * t + d[1]!) * t + d[2]!) * t + d[3]!) * t + 1);
  };
  if (p < 0.02425) return tail(p);
  if (p > 1 - 0.02425) return -tail(1 - p);
  const q = p - 0.5, r = q * q;
  return (((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/**
 * The p-quantile of a Poisson(rate) distribution: the smallest count k with
 * P(X ≤ k) ≥ p. Summed exactly (to 1e-17 of the mass) from the probabilities
 * relative to the mode, which needs no exp; above a rate of 1e6, where that takes
 * thousands of terms a row, the Cornish–Fisher expansion rate + z·√rate + (z² − 1)/6
 * (z = Φ⁻¹(p), passed in), within one count there.
 */
export function poissonQuantile(rate: number, p: number, z: number): number {
  if (!(rate > 0)) return 0;
  if (rate > 1e6) return Math.max(0, Math.ceil(rate + z * Math.sqrt(rate) + (z * z - 1) / 6 - 0.5));
  const mode = Math.floor(rate);
  // Relative masses below the mode (from the mode down), then the total with those above.
  const below: number[] = [];
  let m = 1, total = 1;
  for (let k = mode; k > 0 && m > 1e-17 * total; k--) { m *= k / rate; below.push(m); total += m; }
  m = 1;
  let last = mode;
  while (m > 1e-17 * total) { last++; m *= rate / last; total += m; }
  const target = p * total;
  let cdf = 0;
  for (let j = below.length - 1; j >= 0; j--) { cdf += below[j]!; if (cdf >= target) return mode - 1 - j; }
  m = 1;
  for (let k = mode; ; k++) {
    if (k > mode) m *= rate / k;
    cdf += m;
    // The sums ran in another order: `last` bounds the walk whatever their rounding.
    if (cdf >= target || k >= last) return k;
  }
}
