// Distillation (Hinton, Vinyals & Dean 2015): one student MultiTaskModel learns a
// teacher's (an Ensemble's, or any model's) soft predictions on every row it is
// given — labelled or not. Classification tasks learn the teacher's probabilities
// softened at temperature T (p^(1/T), renormalised: softmax(log p / T)) through
// the softCrossEntropy loss at the same T; regression tasks learn the teacher's
// predicted values. The student predicts at temperature 1.

import { ArgumentError } from '../runtime/errors.js';
import { checkKeys, checkOptionsObject, show } from '../runtime/validate.js';
import { runtime } from '../runtime/module.js';
import { Dataset } from '../data/index.js';
import type { TaskSpec } from '../mtl/tasks.js';
import type { FeatureRows } from '../tensor/rows.js';
import type { TaskPrediction } from '../mtl/kinds.js';
import type { FitOptions, History } from '../mtl/fit.js';
import type { Evaluation } from '../mtl/evaluate.js';
import { MultiTaskModel, type MultiTaskModelOptions } from './multitask-model.js';
import { Ensemble } from './ensemble.js';

export interface DistillOptions {
  /** Softens the teacher's classification probabilities (and the student's softmax/sigmoid while it trains); > 0, default 2. */
  temperature?: number;
  /** The student's fit options (epochs, batchSize, validationData with real labels, …). */
  fit?: FitOptions;
  /** More rows without labels (the same feature columns): the teacher labels them too. */
  unlabeled?: Dataset;
  /** Labelled rows on which the report evaluates teacher and student side by side. */
  evaluate?: Dataset;
}

/** One side of the report: its evaluation (with `evaluate`), its file size and its parameter count. */
export interface DistillSide {
  evaluation: Evaluation | null;
  /** Bytes of its saved file (an ensemble: its one ensemble file). */
  bytes: number;
  /** Floats in its parameter blocks (an ensemble: summed over its members). */
  parameters: number;
}

export interface DistillResult {
  student: MultiTaskModel;
  history: History;
  teacher: DistillSide;
  studentReport: DistillSide;
}

/**
 * Trains a student built from `spec` (its `input` defaults to `data`) on the
 * teacher's soft predictions for every row of `data` and of `options.unlabeled`.
 * The student's classification tasks get the softCrossEntropy loss at the
 * temperature; every supervised task of the student must be a task of the teacher
 * with the same kind and classes. Returns the student with the report.
 */
export async function distill(
  teacher: Ensemble | MultiTaskModel, spec: Omit<MultiTaskModelOptions, 'input'> & { input?: MultiTaskModelOptions['input'] },
  data: Dataset, options?: DistillOptions,
): Promise<DistillResult> {
  const where = 'distill';
  if (!(teacher instanceof Ensemble) && !(teacher instanceof MultiTaskModel)) throw new ArgumentError(`${where}: the teacher must be an Ensemble or a MultiTaskModel, got ${show(teacher)}`);
  const s = checkOptionsObject(where, spec);
  if (!Array.isArray(s.tasks)) throw new ArgumentError(`${where}: the student spec needs its tasks, got ${show(s.tasks)}`);
  if (!(data instanceof Dataset)) throw new ArgumentError(`${where}: data must be a Dataset, got ${show(data)}`);
  const opts = checkOptionsObject(where, options);
  checkKeys(where, opts, ['temperature', 'fit', 'unlabeled', 'evaluate']);
  const T = opts.temperature ?? 2;
  if (typeof T !== 'number' || !Number.isFinite(T) || T <= 0) throw new ArgumentError(`${where}: temperature must be a finite number > 0, got ${show(T)}`);
  for (const [name, v] of [['unlabeled', opts.unlabeled], ['evaluate', opts.evaluate]] as const) {
    if (v !== undefined && !(v instanceof Dataset)) throw new ArgumentError(`${where}: ${name} must be a Dataset, got ${show(v)}`);
  }
  const unlabeled = opts.unlabeled as Dataset | undefined, held = opts.evaluate as Dataset | undefined;
  const models = teacher instanceof Ensemble ? teacher.models : [teacher];
  const lead = models[0]!;
  const studentTasks = (s.tasks as TaskSpec[]).map((t) => {
    if (t.kind === 'reconstruction' || t.kind === 'clustering') return t; // learns from the rows themselves
    const own = lead.tasks.find((x) => x.name === t.name);
    if (own === undefined) throw new ArgumentError(`${where}: the student's task "${t.name}" is not a task of the teacher (tasks: ${lead.taskNames.join(', ')})`);
    if (own.kind !== t.kind) throw new ArgumentError(`${where}: task "${t.name}" is ${t.kind} in the student but ${own.kind} in the teacher`);
    if (t.kind === 'regression') return t;
    if (t.kind === 'gaussian' || t.kind === 'poisson' || t.kind === 'quantile') {
      throw new ArgumentError(`${where}: task "${t.name}" is a ${t.kind} task; distilling a predicted distribution is not supported (a regression student task learns the teacher's means)`);
    }
    if (t.loss !== undefined) throw new ArgumentError(`${where}: task "${t.name}" gives its own loss; distillation trains classification tasks with softCrossEntropy at the temperature`);
    if (t.classWeights !== undefined) throw new ArgumentError(`${where}: task "${t.name}" has classWeights; soft targets have no single class to weight`);
    return { ...t, loss: { type: 'softCrossEntropy' as const, temperature: T } };
  });
  const student = new MultiTaskModel({ ...(spec as MultiTaskModelOptions), input: spec.input ?? data, tasks: studentTasks });
  try {
    const columns = Object.keys(student.inputSpec());
    const rows = [...rowObjects(data, columns), ...(unlabeled ? rowObjects(unlabeled, columns) : [])];
    const taught = teacher.predict(rows) as Record<string, TaskPrediction>;
    const labels: Record<string, number[] | Float32Array> = {};
    for (const t of studentTasks) {
      if (t.kind === 'reconstruction' || t.kind === 'clustering') continue;
      const want = student.classNames(t.name), have = lead.classNames(t.name);
      if (JSON.stringify(want) !== JSON.stringify(have)) {
        throw new ArgumentError(`${where}: task "${t.name}" has the classes ${JSON.stringify(want)} in the student but ${JSON.stringify(have)} in the teacher`);
      }
      labels[t.name] = softTargets(taught[t.name]!, T);
    }
    const history = await student.fit(rows as unknown as FeatureRows, labels, opts.fit as FitOptions | undefined);
    const side = (m: Ensemble | MultiTaskModel): DistillSide => ({
      evaluation: held ? (m instanceof Ensemble ? m.evaluate(held) : m.evaluate(held)) : null,
      bytes: m.save().length,
      parameters: (m instanceof Ensemble ? m.models : [m]).reduce((n, x) => n + x.parameters.size, 0),
    });
    return { student, history, teacher: side(teacher), studentReport: side(student) };
  } catch (err) {
    student.dispose();
    throw err;
  }
}

/** A teacher's prediction as the student's labels: tempered probabilities (flat, rows × outputs), or values. */
export function softTargets(p: TaskPrediction, temperature: number): number[] | Float32Array {
  const k = runtime('distill').kernels;
  // p_j^(1/T) / Σ p_i^(1/T), as exp(log p_j / T − m) / Σ exp(log p_i / T − m) with m the largest
  // log p_i / T: the largest term is 1, so a small T cannot underflow every term to 0 (0/0, a row
  // read as unlabeled). Logs and exps in WASM (the same bits on every runtime); p = 0 stays 0.
  const temper = (probabilities: readonly number[]): number[] => {
    let t = probabilities;
    if (temperature !== 1) {
      const logs = probabilities.map((v) => (v <= 0 ? -Infinity : k.mathLog(v) / temperature));
      const m = Math.max(...logs);
      t = logs.map((l) => (l === -Infinity ? 0 : k.mathExp(l - m)));
    }
    const sum = t.reduce((x, y) => x + y, 0);
    return t.map((v) => v / sum);
  };
  switch (p.kind) {
    case 'regression':
      return p.values;
    case 'binary':
      return Array.from(p.probabilities, (v) => temper([v, 1 - v])[0]!);
    case 'multilabel':
      return p.probabilities.flatMap((row) => row.map((v) => temper([v, 1 - v])[0]!));
    case 'multiclass':
      return p.probabilities.flatMap((row) => temper(Array.from(row)));
    default:
      throw new ArgumentError(`distill: a ${p.kind} prediction is not a target to learn`);
  }
}

/** A Dataset's rows as objects of its raw feature columns (missing numbers as null), as predict and fit read them. */
function rowObjects(data: Dataset, columns: readonly string[]): Record<string, unknown>[] {
  const values = columns.map((c) => data.column(c) as ArrayLike<unknown>);
  return Array.from({ length: data.rows }, (_, i) => Object.fromEntries(columns.map((c, j) => {
    const v = values[j]![i];
    return [c, typeof v === 'number' && Number.isNaN(v) ? null : v];
  })));
}
