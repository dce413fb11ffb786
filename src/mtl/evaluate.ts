// Evaluation: per-task loss and metrics over a dataset resident in WASM memory,
// in inference mode (no dropout), batch by batch.

import { heapF32, runtime } from '../runtime/module.js';
import { setOwn } from '../runtime/records.js';
import type { MultiTaskModelCore, ResidentData } from './core.js';
import type { TaskKind, TaskSpec } from './tasks.js';
import { decodePrediction } from './kinds.js';
import {
  binaryAccuracy, binaryAuc, binaryF1, binaryLogLoss, multiclassAccuracy, multiclassF1, multiclassLogLoss,
  multilabelAccuracy, multilabelF1, multilabelLogLoss, meanAbsoluteError, rootMeanSquaredError, r2Score,
  gaussianNll, poissonNll, pinballLoss, intervalCoverage, intervalWidth,
} from '../metrics/metrics.js';

/**
 * A task's evaluation. On soft labels (a softCrossEntropy task), `loss` is their soft cross-entropy and
 * accuracy, f1, auc and logLoss score the class each label favours (above 0.5; a multiclass row's most
 * probable class).
 */
export interface TaskEvaluation {
  /** Labeled rows the task was evaluated on. */
  rows: number;
  /** Mean loss over the labeled rows (regression: on standardized targets, the scale it trains on). */
  loss: number;
  accuracy?: number;
  /** Binary F1, or macro F1 over classes/labels. */
  f1?: number;
  auc?: number;
  logLoss?: number;
  /** Regression metrics, in the target's own units. */
  mae?: number;
  rmse?: number;
  r2?: number;
  /** Distribution tasks: the mean negative log-likelihood in the target's own units (Poisson: with log y!). */
  nll?: number;
  /** Distribution tasks: the fraction of rows inside the predicted central interval at `level`. */
  coverage?: number;
  /** Distribution tasks: the interval's mean width, in the target's units. */
  intervalWidth?: number;
  /** The level of those intervals (DEFAULT_LEVEL; a quantile task: its outermost levels' difference). */
  level?: number;
  /** Quantile tasks: the mean pinball loss over rows and levels, in the target's units. */
  pinball?: number;
}

/** What `evaluate` reports for a task of each kind (in the target's own units for regression). */
export interface TaskEvaluationByKind {
  binary: { rows: number; loss: number; accuracy: number; f1: number; auc: number; logLoss: number };
  multiclass: { rows: number; loss: number; accuracy: number; f1: number; logLoss: number };
  multilabel: { rows: number; loss: number; accuracy: number; f1: number; logLoss: number };
  regression: { rows: number; loss: number; mae: number; rmse: number; r2: number };
  reconstruction: { rows: number; loss: number };
  clustering: { rows: number; loss: number };
  gaussian: { rows: number; loss: number; nll: number; coverage: number; intervalWidth: number; level: number; mae: number; rmse: number; r2: number };
  poisson: { rows: number; loss: number; nll: number; coverage: number; intervalWidth: number; level: number; mae: number; rmse: number };
  quantile: { rows: number; loss: number; pinball: number; coverage: number; intervalWidth: number; level: number };
}

/** The evaluation of a task of kind `Kind`; TaskEvaluation where the kind is not known to the types. */
export type EvaluationOf<Kind extends TaskKind> = TaskKind extends Kind ? TaskEvaluation : TaskEvaluationByKind[Kind];

/**
 * Per-task loss and metrics. For a model built with `tasks.*` the tasks are
 * typed by name and kind (`evaluation.tasks.species?.accuracy`); a task
 * without a label in the data is absent.
 */
export interface Evaluation<Tasks extends readonly TaskSpec[] = readonly TaskSpec[]> {
  /** Sum of the task losses (unweighted). */
  loss: number;
  /** Per task with at least one label in the data. */
  tasks: { [S in Tasks[number] as S['name']]?: EvaluationOf<S['kind']> };
}

export function evaluateResident(
  core: MultiTaskModelCore, data: ResidentData,
  targetStats: ReadonlyMap<string, { mean: number; std: number }>, where: string,
): Evaluation {
  const T = core.taskNames.length;
  const rows = data.rows;
  const chunk = Math.min(rows, core.capacity);
  const { allocator } = runtime('evaluate');
  const idx = allocator.alloc(chunk * 4);
  const preds = core.widths.map((w) => new Float32Array(rows * w));
  const lossSum = new Float64Array(T), lossCount = new Float64Array(T);
  const batchLoss = new Float64Array(T), batchCount = new Float64Array(T);
  try {
    for (let start = 0; start < rows; start += chunk) {
      const n = Math.min(chunk, rows - start);
      const ids = new Int32Array(heapF32().buffer, idx, n);
      for (let i = 0; i < n; i++) ids[i] = start + i;
      core.loadBatch(data, idx, n);
      const out = core.evaluateBatch(n, batchLoss, batchCount);
      for (let t = 0; t < T; t++) {
        lossSum[t]! += batchLoss[t]! * batchCount[t]!;
        lossCount[t]! += batchCount[t]!;
        const w = core.widths[t]!, p = out[t]! >>> 2;
        preds[t]!.set(heapF32().subarray(p, p + n * w), start * w);
      }
    }
  } finally {
    allocator.free(idx);
  }
  return scoreOutputs(core.specs, core.widths, data, preds, (t) => lossSum[t]! / lossCount[t]!, targetStats, where);
}

/**
 * Per-task metrics of outputs `preds` (per task rows × width: probabilities, or
 * values on the standardized scale regression trains on) against the resident
 * labels of `data`. `loss(t)` is task t's mean loss; null scores the outputs'
 * own loss instead — the log loss of classification probabilities, the mean
 * squared error of values — for outputs no loss function made (an ensemble's).
 * A scored row whose prediction (as predict gives it) is not finite is a
 * NonFinitePredictionError naming `where`, the task and the row, as predict's.
 * Soft labels (a softCrossEntropy task) are scored against the class they favour.
 */
export function scoreOutputs(
  specs: readonly TaskSpec[], widths: readonly number[], data: ResidentData, preds: readonly Float32Array[],
  loss: ((task: number) => number) | null, targetStats: ReadonlyMap<string, { mean: number; std: number }>, where: string,
): Evaluation {
  const rows = data.rows;
  const result: Evaluation = { loss: 0, tasks: {} };
  specs.forEach((spec, t) => {
    const l = data.labels[t];
    if (!l || l.labeled === 0) return;
    const heap = heapF32();
    const mask = new Uint8Array(heap.buffer, l.mask, rows).slice();
    const width = widths[t]!;
    const p = preds[t]!;
    const e: TaskEvaluation = { rows: l.labeled, loss: loss ? loss(t) : NaN };
    const st = targetStats.get(spec.name);
    // The scored rows' predictions as predict gives them, refused where predict refuses them
    // (an unlabeled row's outputs are not scored and may be anything: zeros in their place).
    const scored = p.slice();
    for (let i = 0; i < rows; i++) if (!mask[i]) scored.fill(0, i * width, (i + 1) * width);
    const d = decodePrediction(spec.name, spec.kind, scored, rows, width, {
      classes: null, stats: st ?? null, levels: spec.quantiles, where,
      features: spec.kind === 'reconstruction' ? heapF32().subarray(l.targets >>> 2, (l.targets >>> 2) + rows * width) : new Float32Array(0),
    });
    switch (spec.kind) {
      case 'binary': {
        const y = heapF32().slice(l.targets >>> 2, (l.targets >>> 2) + rows);
        // Soft labels (softCrossEntropy): the class each favours, as a multiclass task's below.
        if (l.soft) for (let i = 0; i < rows; i++) y[i] = y[i]! > 0.5 ? 1 : 0;
        Object.assign(e, {
          accuracy: binaryAccuracy(p, y, { mask }), f1: binaryF1(p, y, { mask }),
          auc: binaryAuc(p, y, { mask }), logLoss: binaryLogLoss(p, y, { mask }),
        });
        break;
      }
      case 'multiclass': {
        // Soft targets (a softCrossEntropy task): the class each row's probabilities favour.
        const y = l.soft ? Int32Array.from({ length: rows }, (_, i) => argmax(heap.subarray((l.targets >>> 2) + i * width, (l.targets >>> 2) + (i + 1) * width)))
          : new Int32Array(heap.buffer, l.targets, rows).slice();
        Object.assign(e, {
          accuracy: multiclassAccuracy(p, y, { mask }), f1: multiclassF1(p, y, { mask }).macro, logLoss: multiclassLogLoss(p, y, { mask }),
        });
        break;
      }
      case 'multilabel': {
        const y = heapF32().slice(l.targets >>> 2, (l.targets >>> 2) + rows * width);
        if (l.soft) for (let i = 0; i < y.length; i++) y[i] = y[i]! > 0.5 ? 1 : 0;
        Object.assign(e, {
          accuracy: multilabelAccuracy(p, y, { mask, columns: width }).macro,
          f1: multilabelF1(p, y, { mask, columns: width }).macro,
          logLoss: multilabelLogLoss(p, y, { mask, columns: width }),
        });
        break;
      }
      case 'regression': {
        const y = heapF32().slice(l.targets >>> 2, (l.targets >>> 2) + rows);
        const { mean, std } = st ?? { mean: 0, std: 1 };
        const pv = Float64Array.from(p, (v) => v * std + mean);
        const yv = Float64Array.from(y, (v) => v * std + mean);
        Object.assign(e, {
          mae: meanAbsoluteError(pv, yv, { mask }), rmse: rootMeanSquaredError(pv, yv, { mask }), r2: r2Score(pv, yv, { mask }),
        });
        break;
      }
      case 'gaussian':
      case 'poisson':
      case 'quantile': {
        const scale = (v: number) => (st ? v * st.std + st.mean : v);
        const y = Float64Array.from(heapF32().subarray(l.targets >>> 2, (l.targets >>> 2) + rows), scale);
        // The labeled rows only.
        const picked = [...mask.keys()].filter((i) => mask[i] !== 0);
        const pick = (a: ArrayLike<number>) => Float64Array.from(picked, (i) => a[i]!);
        const yl = pick(y);
        if (d.kind !== 'gaussian' && d.kind !== 'poisson' && d.kind !== 'quantile') break;
        const lo = pick(d.lower), hi = pick(d.upper);
        Object.assign(e, { coverage: intervalCoverage(lo, hi, yl), intervalWidth: intervalWidth(lo, hi), level: d.level });
        if (d.kind === 'quantile') {
          Object.assign(e, { pinball: pinballLoss(Float64Array.from(picked.flatMap((i) => d.quantiles[i]!)), d.levels, yl) });
        } else {
          const mean = pick(d.mean);
          Object.assign(e, {
            nll: d.kind === 'gaussian' ? gaussianNll(mean, pick(d.variance), yl) : poissonNll(mean, yl),
            mae: meanAbsoluteError(mean, yl), rmse: rootMeanSquaredError(mean, yl),
            ...(d.kind === 'gaussian' ? { r2: r2Score(mean, yl) } : {}),
          });
        }
      }
    }
    if (!loss) e.loss = e.logLoss ?? meanSquaredError(p, heapF32().subarray(l.targets >>> 2, (l.targets >>> 2) + rows * width), mask, width);
    setOwn<TaskEvaluation | undefined>(result.tasks, spec.name, e);
    result.loss += e.loss;
  });
  return result;
}

/** Mean over the masked rows' cells of (p − y)²: the loss of outputs on the scale they train on. */
function meanSquaredError(p: Float32Array, y: Float32Array, mask: Uint8Array, width: number): number {
  let sum = 0, n = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    for (let c = 0; c < width; c++) { sum += (p[i * width + c]! - y[i * width + c]!) ** 2; n++; }
  }
  return sum / n;
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let c = 1; c < row.length; c++) if (row[c]! > row[best]!) best = c;
  return best;
}
