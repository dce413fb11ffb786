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

import { checkFinitePredictions } from '../runtime/validate.js';

export type TaskKind = 'binary' | 'multiclass' | 'multilabel' | 'regression' | 'reconstruction' | 'clustering';

export interface KindInfo {
  /** Whether the kind learns labels the data gives (false: it makes its own targets from every row). */
  readonly supervised: boolean;
  /** What a prediction is: 'softmax' probabilities over the outputs, independent 'sigmoid' probabilities, or the outputs' values. */
  readonly output: 'softmax' | 'sigmoid' | 'identity';
  /** Labels are one class index per row (else one value per output). */
  readonly classIndex: boolean;
  /** The loss a task of this kind gets when its spec names none. */
  readonly defaultLoss: 'bce' | 'softmaxCrossEntropy' | 'mse';
  /** What evaluate reports besides the loss (the names in TaskEvaluation). */
  readonly metrics: readonly ('accuracy' | 'f1' | 'auc' | 'logLoss' | 'mae' | 'rmse' | 'r2')[];
  /** Class or label names apply to its outputs (binary: the two classes; multiclass: one per output; multilabel: one per label). */
  readonly named: boolean;
}

export const KINDS: Readonly<Record<TaskKind, KindInfo>> = {
  binary: { supervised: true, output: 'sigmoid', classIndex: false, defaultLoss: 'bce', metrics: ['accuracy', 'f1', 'auc', 'logLoss'], named: true },
  multiclass: { supervised: true, output: 'softmax', classIndex: true, defaultLoss: 'softmaxCrossEntropy', metrics: ['accuracy', 'f1', 'logLoss'], named: true },
  multilabel: { supervised: true, output: 'sigmoid', classIndex: false, defaultLoss: 'bce', metrics: ['accuracy', 'f1', 'logLoss'], named: true },
  regression: { supervised: true, output: 'identity', classIndex: false, defaultLoss: 'mse', metrics: ['mae', 'rmse', 'r2'], named: false },
  reconstruction: { supervised: false, output: 'identity', classIndex: false, defaultLoss: 'mse', metrics: [], named: false },
  clustering: { supervised: false, output: 'softmax', classIndex: true, defaultLoss: 'softmaxCrossEntropy', metrics: [], named: false },
};

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
  | { kind: 'clustering'; probabilities: number[][]; clusters: Int32Array };

/** What decodePrediction needs besides the outputs. */
export interface DecodeContext {
  /** Class (or label) names in output order, or null (classes are then their indices). */
  readonly classes: readonly string[] | null;
  /** Regression: the target's standardization, undone on the values. */
  readonly stats: { readonly mean: number; readonly std: number } | null;
  /** Reconstruction: the encoded input rows (rows × width), to score against. */
  readonly features: Float32Array;
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
  const split = (): number[][] => Array.from({ length: rows }, (_, i) => Array.from(v.subarray(i * width, (i + 1) * width)));
  const argmax = (row: readonly number[]): number => {
    let best = 0;
    for (let c = 1; c < row.length; c++) if (row[c]! > row[best]!) best = c;
    return best;
  };
  if (kind === 'regression' && ctx.stats) for (let i = 0; i < v.length; i++) v[i] = v[i]! * ctx.stats.std + ctx.stats.mean;
  checkFinitePredictions('predict', task, v, width);
  switch (kind) {
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
      checkFinitePredictions('predict', task, errors, 1);
      return { kind, values: split(), errors };
    }
    case 'clustering': {
      const probabilities = split();
      return { kind, probabilities, clusters: Int32Array.from(probabilities, argmax) };
    }
  }
}
