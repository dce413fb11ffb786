// An ensemble of multi-task models with the same tasks. Members are given
// (trained by the user) or trained here from one model spec (Ensemble.train: on
// bootstrap samples of the rows — bagging, with out-of-bag metrics — or on
// different seeds). They combine per task: by the mean of their probabilities
// (or values), a weighted mean (weights given, or fitted on validation data by
// fitWeights), the mean of the best k members on validation data (rank, the
// "monotonic" ensemble), or a majority vote of their predicted classes. The
// combination itself lives in src/mtl/ensemble-combine.ts, which manytask/infer
// shares, so that a saved ensemble predicts the same there.

import { ArgumentError, ShapeError } from '../runtime/errors.js';
import { checkKeys, checkOptionsObject, checkSeed, show } from '../runtime/validate.js';
import { MAX_THREADS, heapF32, runtime } from '../runtime/module.js';
import { jobWorkerSetup } from '../threads/index.js';
import { JOB_WORKER_FILE, runJobs } from '../threads/jobs.js';
import { disposeSymbol } from '../runtime/holdings.js';
import { Rng, RngStream } from '../nn/rng.js';
import { Dataset } from '../data/index.js';
import type { PredictOptions } from '../data/encoding.js';
import type { FeatureRows } from '../tensor/rows.js';
import type { ResidentData } from '../mtl/core.js';
import type { LabelColumns } from '../mtl/labels.js';
import type { TaskSpec } from '../mtl/tasks.js';
import type { TaskPrediction } from '../mtl/kinds.js';
import type { FitOptions } from '../mtl/fit.js';
import { scoreOutputs, type Evaluation, type TaskEvaluation } from '../mtl/evaluate.js';
import { combinePredictions, membersDisagree, mixFlat, type CombinedTask } from '../mtl/ensemble-combine.js';
import { ModelFormatError, type WeightEncoding } from '../io/format.js';
import { decodeEnsemble, encodeEnsemble, readEnsembleWeights, type Combine } from '../io/ensemble-file.js';
import { MultiTaskModel, type MultiTaskModelOptions } from './multitask-model.js';
import { logLossObjective, minimiseOnSimplex, squaredErrorObjective } from './simplex-weights.js';
import { memberWorkerInit, trainMember, type MemberJob, type MemberPlan } from './ensemble-member.js';

export type { Combine as EnsembleCombine };

export interface EnsembleOptions {
  /**
   * 'mean' (equal weights, default), 'weighted' (the `weights` given), or 'vote'
   * (majority of predicted classes; ties go to the class first seen).
   * fitWeights and rank set 'weighted' and 'ranked' from validation data.
   */
  combine?: 'mean' | 'vote' | 'weighted';
  /**
   * With combine 'weighted': one weight per member (≥ 0, not all 0), for every
   * task, or per task name `{ task: [weights] }` covering every task. They are
   * scaled to sum to one.
   */
  weights?: readonly number[] | Readonly<Record<string, readonly number[]>>;
}

/** Ensemble.train's options. */
export interface EnsembleTrainOptions {
  /** How many members to train (≥ 1). */
  members: number;
  /**
   * 'bootstrap' (default): member i trains on n rows drawn with replacement from
   * the n rows of the data (bagging), and the ensemble reports out-of-bag
   * metrics; 'seeds': every member trains on all rows, with its own seed.
   */
  sampling?: 'bootstrap' | 'seeds';
  /** Seeds the samples and the members: member i is built with seed + i. Default: the model spec's seed, else 0. */
  seed?: number;
  /** Passed to every member's fit (a `seed` given here shuffles member i with seed + i). */
  fit?: FitOptions;
  /** 'mean' (default) or 'vote'. */
  combine?: 'mean' | 'vote';
  /**
   * Members trained at a time: the calling thread and threads − 1 job workers (each
   * on its own memory, with the single-thread kernels). Every member comes back as
   * its model file loads, wherever it trained: the ensemble is the same, bit for
   * bit, for any thread count (a further fit of a member starts from fresh
   * optimizer moments, as for any loaded model). Default: what init was given
   * (threadInfo().requested). With fit.callbacks (they run on the calling thread),
   * options that are not plain data, or where there are no workers (Cloudflare
   * Workers, a page that is not cross-origin isolated), the members train one
   * after another on the calling thread.
   */
  threads?: number;
}

/** rank's options. */
export interface RankOptions {
  /** How many of the best members to average per task (1 ≤ k ≤ members). */
  k: number;
  /**
   * The validation metric that ranks the members (default 'loss'): one for every
   * task, or per task name (tasks not named rank by 'loss'). Lower is better for
   * loss, logLoss, mae and rmse, higher for accuracy, f1, auc and r2; it must be
   * one evaluate reports for the task's kind.
   */
  metric?: RankMetric | Readonly<Record<string, RankMetric>>;
}

export type RankMetric = 'loss' | 'logLoss' | 'mae' | 'rmse' | 'accuracy' | 'f1' | 'auc' | 'r2';
const LOWER_IS_BETTER: readonly RankMetric[] = ['loss', 'logLoss', 'mae', 'rmse'];
const RANK_METRICS: readonly RankMetric[] = [...LOWER_IS_BETTER, 'accuracy', 'f1', 'auc', 'r2'];

/** Labeled rows for fitWeights, rank and evaluate: a Dataset, or `{ x, labels }`. */
export type LabeledData = Dataset | { x: FeatureRows; labels: LabelColumns };

export class Ensemble {
  readonly models: readonly MultiTaskModel[];
  #combine: Combine;
  /** Per task, one weight per member (≥ 0, summing to one). */
  readonly #weights = new Map<string, Float64Array>();
  #ranking: Record<string, number[]> | null = null;
  #bags: readonly Int32Array[] | null = null;
  #outOfBag: Evaluation | null = null;

  constructor(models: readonly MultiTaskModel[], options?: EnsembleOptions) {
    const opts = checkOptionsObject('Ensemble', options);
    checkKeys('Ensemble', opts, ['combine', 'weights']);
    if (!Array.isArray(models) || models.length === 0) throw new ArgumentError(`Ensemble: expected a non-empty array of models, got ${show(models)}`);
    models.forEach((m: unknown, i) => {
      const member = m as Partial<MultiTaskModel> | null | undefined;
      if (typeof member?.predict !== 'function' || !Array.isArray(member.taskNames) || !Array.isArray(member.tasks)) {
        throw new ArgumentError(`Ensemble: member ${i} is ${show(m)}, not a MultiTaskModel`);
      }
    });
    const why = membersDisagree(models.map(tasksOf));
    if (why !== null) throw new ArgumentError(`Ensemble: ${why}`);
    const combine = opts.combine ?? 'mean';
    if (combine !== 'mean' && combine !== 'vote' && combine !== 'weighted') {
      throw new ArgumentError(`Ensemble: combine must be 'mean', 'vote' or 'weighted', got ${show(opts.combine)}`);
    }
    if ((combine === 'weighted') !== (opts.weights !== undefined)) {
      throw new ArgumentError(combine === 'weighted' ? "Ensemble: combine 'weighted' needs weights (or call fitWeights)" : `Ensemble: weights are given, so combine must be 'weighted', not ${show(combine)}`);
    }
    this.models = [...models];
    this.#combine = combine;
    const names = models[0]!.taskNames;
    const equal = new Float64Array(models.length).fill(1 / models.length);
    for (const name of names) this.#weights.set(name, equal);
    if (opts.weights !== undefined) {
      const w = opts.weights as unknown;
      if (Array.isArray(w)) {
        for (const name of names) this.#weights.set(name, checkWeights(`Ensemble: weights`, w, models.length));
      } else {
        const record = checkOptionsObject('Ensemble weights', w);
        const extra = Object.keys(record).find((n) => !names.includes(n));
        if (extra !== undefined) throw new ArgumentError(`Ensemble: weights for "${extra}", which is not a task (tasks: ${names.join(', ')})`);
        for (const name of names) {
          if (!Object.hasOwn(record, name)) throw new ArgumentError(`Ensemble: weights has no entry for task "${name}"; give weights for every task (${names.join(', ')}) or one array for all`);
          this.#weights.set(name, checkWeights(`Ensemble: weights.${name}`, record[name], models.length));
        }
      }
    }
  }

  /**
   * Trains `members` models from one spec and returns them as an ensemble; see
   * EnsembleTrainOptions. The spec's `input` defaults to `data` (every member then
   * has the same preprocessing and class lists). A member whose training fails
   * disposes the members trained so far before the error is rethrown.
   */
  static async train(spec: Omit<MultiTaskModelOptions, 'input'> & { input?: MultiTaskModelOptions['input'] }, data: Dataset, options: EnsembleTrainOptions): Promise<Ensemble> {
    const where = 'Ensemble.train';
    const s = checkOptionsObject(where, spec);
    if (!(data instanceof Dataset)) throw new ArgumentError(`${where}: data must be a Dataset (bootstrap samples are drawn from its rows), got ${show(data)}`);
    const opts = checkOptionsObject(where, options);
    checkKeys(where, opts, ['members', 'sampling', 'seed', 'fit', 'combine', 'threads']);
    const n = opts.members;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1000) throw new ArgumentError(`${where}: members must be an integer from 1 to 1000, got ${show(n)}`);
    const sampling = opts.sampling ?? 'bootstrap';
    if (sampling !== 'bootstrap' && sampling !== 'seeds') throw new ArgumentError(`${where}: sampling must be 'bootstrap' or 'seeds', got ${show(sampling)}`);
    const seed = opts.seed !== undefined ? checkSeed(where, opts.seed) : s.seed !== undefined ? checkSeed(where, s.seed) : 0;
    if (opts.combine !== undefined && opts.combine !== 'mean' && opts.combine !== 'vote') throw new ArgumentError(`${where}: combine must be 'mean' or 'vote', got ${show(opts.combine)}`);
    const fit = checkOptionsObject(`${where} fit`, opts.fit) as FitOptions;
    const fitSeed = fit.seed === undefined ? undefined : checkSeed(`${where} fit`, fit.seed);
    const threads = opts.threads === undefined ? (runtime(where).threads?.info().requested ?? 1) : opts.threads;
    if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
      throw new ArgumentError(`${where}: threads must be an integer from 1 to ${MAX_THREADS}, got ${show(threads)}`);
    }
    const bags = sampling === 'bootstrap' ? bootstrapSamples(data.rows, n, seed) : null;
    const { input, ...rest } = s;
    const plan: MemberPlan = { spec: rest as Omit<MultiTaskModelOptions, 'input'>, input: (input as MemberPlan['input'] | undefined) ?? null, data, fit };
    const jobs: MemberJob[] = Array.from({ length: n }, (_, i) => ({
      seed: (seed + i) % 2 ** 32, fitSeed: fitSeed === undefined ? undefined : (fitSeed + i) % 2 ** 32, bag: bags?.[i] ?? null,
    }));
    const models = await trainMembers(plan, jobs, threads);
    try {
      const ensemble = new Ensemble(models, opts.combine === undefined ? {} : { combine: opts.combine as 'mean' | 'vote' });
      if (bags) {
        ensemble.#bags = bags;
        ensemble.#outOfBag = ensemble.#scoreOutOfBag(data, bags);
      }
      return ensemble;
    } catch (err) {
      for (const m of models) m.dispose();
      throw err;
    }
  }

  /** Per member, the rows of the training data it trained on (Ensemble.train with bootstrap sampling); null otherwise. */
  get bags(): readonly Int32Array[] | null { return this.#bags && this.#bags.map((b) => b.slice()); }

  /** Per-task metrics of each training row predicted by the members that did not train on it (bootstrap sampling); null otherwise. */
  get outOfBag(): Evaluation | null { return this.#outOfBag; }

  /** 'mean', 'vote', 'weighted' (weights given or fitted by fitWeights) or 'ranked' (set by rank). */
  get combine(): Combine { return this.#combine; }

  get taskNames(): readonly string[] { return this.models[0]!.taskNames; }

  /** Per task, the weight of each member in the combination (summing to one). */
  weights(): Record<string, number[]> {
    return Object.fromEntries([...this.#weights].map(([name, w]) => [name, Array.from(w)]));
  }

  /** After rank: per task, the members from best to worst on the validation metric; null before. */
  get ranking(): Record<string, number[]> | null {
    return this.#ranking && Object.fromEntries(Object.entries(this.#ranking).map(([n, r]) => [n, [...r]]));
  }

  /** The combined predictions per task (see EnsembleOptions); `options` as MultiTaskModel.predict's. */
  predict(input: Parameters<MultiTaskModel['predict']>[0], options?: PredictOptions): Record<string, TaskPrediction> {
    const all = this.models.map((m) => m.predict(input, options) as Record<string, TaskPrediction>);
    return combinePredictions(tasksOf(this.models[0]!), all, (t) => this.#weights.get(t)!, this.#combine === 'vote');
  }

  /**
   * Per-task loss and metrics of the combined predictions, as MultiTaskModel.evaluate
   * reports them (the same metrics, from the same code); a task's loss is the log
   * loss of the combined probabilities, or the mean squared error of the combined
   * values on the standardized scale regression trains on. A 'vote' ensemble has
   * no probabilities to score: evaluate refuses it.
   */
  evaluate(data: Dataset | FeatureRows, labels?: LabelColumns): Evaluation {
    if (this.#combine === 'vote') throw new ArgumentError("Ensemble.evaluate: a 'vote' ensemble has no combined probabilities to score; evaluate it with combine 'mean' or 'weighted'");
    const m0 = this.models[0]!;
    const outputs = this.models.map((m) => m.predict(data as Dataset) as Record<string, TaskPrediction>);
    return m0.withLabels(data, labels, 'Ensemble.evaluate', (resident, stats) => {
      const perTask = m0.tasks.map((t) => {
        const w = this.#weights.get(t.name)!;
        return mixFlat(outputs.map((o) => outputOf(o[t.name]!, stats.get(t.name))), w);
      });
      return scoreOutputs(m0.tasks, widthsOf(m0), resident, perTask, null, stats, 'Ensemble.evaluate');
    });
  }

  /**
   * Fits the member weights per task on validation data: the non-negative weights,
   * summing to one, that minimise the validation loss of the combination — the
   * log loss of the mixed probabilities (binary, multiclass, multilabel), the mean
   * squared error of the mixed values (regression, on the standardized scale;
   * reconstruction). Projected gradient descent on the simplex (see
   * src/model/simplex-weights.ts); the loss is convex in the weights, so the
   * minimum is global. Sets combine to 'weighted' and returns the weights.
   */
  fitWeights(validation: LabeledData): Record<string, number[]> {
    const [data, labels] = labeled('Ensemble.fitWeights', validation);
    const m0 = this.models[0]!;
    const outputs = this.models.map((m) => m.predict(data as Dataset) as Record<string, TaskPrediction>);
    const M = this.models.length;
    const fitted = m0.withLabels(data, labels, 'Ensemble.fitWeights', (resident, stats) => {
      const out = new Map<string, Float64Array>();
      m0.tasks.forEach((t, j) => {
        const l = resident.labels[j];
        if (!l || l.labeled === 0) throw new ArgumentError(`Ensemble.fitWeights: task "${t.name}" has no label in the validation data; its weights cannot be fitted`);
        const each = outputs.map((o) => outputOf(o[t.name]!, stats.get(t.name)));
        const width = each[0]!.length / resident.rows;
        const cells = labeledCells(resident, j, width, t.kind === 'multiclass' || width === 1);
        let objective;
        if (t.kind === 'multiclass') {
          // Soft targets (a member trained by distillation): the class each row's probabilities favour.
          const y = l.soft
            ? Int32Array.from({ length: resident.rows }, (_, i) => { const row = Array.from(heapF32().subarray((l.targets >>> 2) + i * width, (l.targets >>> 2) + (i + 1) * width)); return row.indexOf(Math.max(...row)); })
            : new Int32Array(heapF32().buffer, l.targets, resident.rows);
          const a = new Float64Array(cells.length * M);
          cells.forEach((i, r) => { for (let m = 0; m < M; m++) a[r * M + m] = each[m]![i * width + y[i]!]!; });
          objective = logLossObjective(a, M);
        } else {
          const y = heapF32().subarray(l.targets >>> 2, (l.targets >>> 2) + resident.rows * width);
          if (t.kind === 'binary' || t.kind === 'multilabel') {
            const a = new Float64Array(cells.length * M);
            cells.forEach((c, r) => { for (let m = 0; m < M; m++) a[r * M + m] = y[c] === 1 ? each[m]![c]! : 1 - each[m]![c]!; });
            objective = logLossObjective(a, M);
          } else {
            const v = new Float64Array(cells.length * M);
            cells.forEach((c, r) => { for (let m = 0; m < M; m++) v[r * M + m] = each[m]![c]!; });
            objective = squaredErrorObjective(v, Float64Array.from(cells, (c) => y[c]!), M);
          }
        }
        out.set(t.name, minimiseOnSimplex(objective, M).weights);
      });
      return out;
    });
    for (const [name, w] of fitted) this.#weights.set(name, w);
    this.#combine = 'weighted';
    this.#ranking = null;
    return this.weights();
  }

  /**
   * The "monotonic" ensemble: ranks the members per task by a validation metric
   * (each member's own evaluate on `validation`; ties keep member order) and
   * averages the best k of them per task. Sets combine to 'ranked' and returns
   * the ranking (per task, members from best to worst).
   */
  rank(validation: LabeledData, options: RankOptions): Record<string, number[]> {
    const where = 'Ensemble.rank';
    const [data, labels] = labeled(where, validation);
    const opts = checkOptionsObject(where, options);
    checkKeys(where, opts, ['k', 'metric']);
    const k = opts.k, M = this.models.length;
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) throw new ArgumentError(`${where}: k must be an integer ≥ 1, got ${show(k)}`);
    if (k > M) throw new ArgumentError(`${where}: k is ${k}, larger than the ${M} members of the ensemble`);
    const given = opts.metric ?? 'loss';
    const perTask = typeof given === 'object' && given !== null && !Array.isArray(given) ? checkOptionsObject(`${where} metric`, given) : null;
    if (perTask) {
      const extra = Object.keys(perTask).find((n) => !this.taskNames.includes(n));
      if (extra !== undefined) throw new ArgumentError(`${where}: metric for "${extra}", which is not a task (tasks: ${this.taskNames.join(', ')})`);
    }
    const metricOf = (task: string): RankMetric => {
      const m = perTask ? (Object.hasOwn(perTask, task) ? perTask[task] : 'loss') : given;
      if (!RANK_METRICS.includes(m as RankMetric)) throw new ArgumentError(`${where}: metric must be one of ${RANK_METRICS.join(', ')}${perTask ? ` (task "${task}")` : ''}, got ${show(m)}`);
      return m as RankMetric;
    };
    for (const name of this.taskNames) metricOf(name);
    const evals = this.models.map((m) => (data instanceof Dataset ? m.evaluate(data) : m.evaluate(data, labels)));
    const ranking: Record<string, number[]> = {};
    const weights = new Map<string, Float64Array>();
    for (const name of this.taskNames) {
      const metric = metricOf(name);
      const scores = evals.map((e, m) => {
        const te = (e.tasks as Record<string, TaskEvaluation | undefined>)[name];
        if (te === undefined) throw new ArgumentError(`${where}: task "${name}" has no label in the validation data; the members cannot be ranked on it`);
        const v = te[metric as keyof TaskEvaluation];
        if (typeof v !== 'number') throw new ArgumentError(`${where}: evaluate reports no ${metric} for task "${name}" (member ${m}); pick a metric every task has, such as 'loss'`);
        if (Number.isNaN(v)) throw new ArgumentError(`${where}: member ${m}'s ${metric} for task "${name}" is NaN on the validation data (too few rows of a class?); pick another metric`);
        return v;
      });
      const sign = LOWER_IS_BETTER.includes(metric) ? 1 : -1;
      const order = scores.map((_, m) => m).sort((a, b) => sign * (scores[a]! - scores[b]!) || a - b);
      ranking[name] = order;
      const w = new Float64Array(M);
      for (const m of order.slice(0, k)) w[m] = 1 / k;
      weights.set(name, w);
    }
    for (const [name, w] of weights) this.#weights.set(name, w);
    this.#combine = 'ranked';
    this.#ranking = ranking;
    return this.ranking!;
  }

  /**
   * The ensemble as one file (src/io/ensemble-file.ts): its members' model files
   * (weights stored as `weights`: 'f32', 'f16' or 'int8') and how they combine.
   * Load it with Ensemble.load, or with loadEnsemble from manytask/infer.
   */
  save(options?: { weights?: WeightEncoding }): Uint8Array {
    const opts = checkOptionsObject('Ensemble.save', options);
    checkKeys('Ensemble.save', opts, ['weights']);
    const files = this.models.map((m) => m.save(opts.weights === undefined ? {} : { weights: opts.weights as WeightEncoding }));
    return encodeEnsemble({ combine: this.#combine, weights: this.weights() }, files);
  }

  /** Rebuilds an ensemble saved with save(); ModelFormatError for a file that is not one. */
  static load(bytes: Uint8Array): Ensemble {
    const { header, members } = decodeEnsemble(bytes);
    const models: MultiTaskModel[] = [];
    try {
      for (const m of members) models.push(MultiTaskModel.load(m));
      const why = membersDisagree(models.map(tasksOf));
      if (why !== null) throw new ModelFormatError(`(an ensemble file) ${why}`);
      const weights = readEnsembleWeights(header, models[0]!.taskNames, models.length);
      const e = new Ensemble(models);
      for (const [name, w] of weights) e.#weights.set(name, w);
      e.#combine = header.combine;
      return e;
    } catch (err) {
      for (const m of models) m.dispose();
      throw err;
    }
  }

  /** Disposes every member. */
  dispose(): void {
    for (const m of this.models) m.dispose();
  }

  [disposeSymbol](): void {
    this.dispose();
  }

  /**
   * Out-of-bag metrics: each row of the training data predicted by the mean of
   * the members whose bootstrap sample missed it (rows every member saw are left
   * out), scored as evaluate scores.
   */
  #scoreOutOfBag(data: Dataset, bags: readonly Int32Array[]): Evaluation | null {
    const n = data.rows, M = this.models.length;
    const inBag = bags.map((bag) => { const seen = new Uint8Array(n); for (const r of bag) seen[r] = 1; return seen; });
    const rows = Array.from({ length: n }, (_, r) => r).filter((r) => inBag.some((seen) => !seen[r]));
    if (rows.length === 0) return null;
    const sub = data.select(rows);
    const m0 = this.models[0]!;
    const outputs = this.models.map((m) => m.predict(sub) as Record<string, TaskPrediction>);
    try {
      return m0.withLabels(sub, undefined, 'Ensemble out-of-bag', (resident, stats) => {
        const perTask = m0.tasks.map((t) => {
          const each = outputs.map((o) => outputOf(o[t.name]!, stats.get(t.name)));
          const width = each[0]!.length / rows.length;
          const mixed = new Float32Array(each[0]!.length);
          rows.forEach((r, i) => {
            let count = 0;
            for (let m = 0; m < M; m++) {
              if (inBag[m]![r]) continue;
              count++;
              for (let c = 0; c < width; c++) mixed[i * width + c]! += each[m]![i * width + c]!;
            }
            for (let c = 0; c < width; c++) mixed[i * width + c]! /= count;
          });
          return mixed;
        });
        return scoreOutputs(m0.tasks, widthsOf(m0), resident, perTask, null, stats, 'Ensemble out-of-bag');
      });
    } catch (err) {
      // Out-of-bag rows with no label for any task leave nothing to report.
      if (err instanceof ArgumentError && /no task has a labeled row/.test(err.message)) return null;
      throw err;
    }
  }
}

/**
 * Trains the members into their model files (trainMember): on the calling
 * thread and on threads − 1 job workers (src/threads/jobs.ts) where there are
 * workers and the plan can reach them, else one after another on the calling
 * thread; then loads them. A failure disposes what was loaded and is rethrown.
 */
async function trainMembers(plan: MemberPlan, jobs: readonly MemberJob[], threads: number): Promise<MultiTaskModel[]> {
  const init = threads > 1 && jobs.length > 1 ? memberWorkerInit(plan) : null;
  const setup = init !== null && !('cannot' in init) ? await jobWorkerSetup(JOB_WORKER_FILE) : null;
  const describe = (i: number) => `Ensemble.train member ${i} (seed ${jobs[i]!.seed})`;
  let files: Uint8Array[];
  if (setup === null || init === null || 'cannot' in init) {
    files = [];
    for (const [i, job] of jobs.entries()) {
      try {
        files.push(await trainMember(plan, job));
      } catch (err) {
        // Named as runJobs names a member's failure, on whichever thread it ran.
        if (err instanceof Error) err.message = `${describe(i)}: ${err.message}`;
        throw err;
      }
    }
  } else {
    // The calling thread trains members too (from the first), beside threads − 1 job workers.
    files = await runJobs<MemberJob, Uint8Array>(
      setup, init, jobs, Math.min(threads - 1, jobs.length - 1), describe, { run: (job) => trainMember(plan, job) },
    );
  }
  const models: MultiTaskModel[] = [];
  try {
    for (const file of files) models.push(MultiTaskModel.load(file));
    return models;
  } catch (err) {
    for (const m of models) m.dispose();
    throw err;
  }
}

/** Rebuilds an ensemble saved with `ensemble.save()` (Ensemble.load). */
export function loadEnsemble(bytes: Uint8Array): Ensemble {
  return Ensemble.load(bytes);
}

/**
 * `members` bootstrap samples of `rows` rows: each n indices drawn uniformly with
 * replacement from the bagging stream of `seed`, member after member (so the
 * samples depend only on the seed, the row count and the member's position).
 */
export function bootstrapSamples(rows: number, members: number, seed: number): Int32Array[] {
  if (!Number.isInteger(rows) || rows < 1) throw new ShapeError(`bootstrapSamples: rows must be an integer ≥ 1, got ${show(rows)}`);
  const rng = new Rng(seed, RngStream.bagging);
  try {
    // Rejection sampling on 32-bit draws: every row exactly equally likely.
    const limit = Math.floor(2 ** 32 / rows) * rows;
    return Array.from({ length: members }, () => {
      const bag = new Int32Array(rows);
      for (let i = 0; i < rows; i++) {
        let u = rng.nextU32();
        while (u >= limit) u = rng.nextU32();
        bag[i] = u % rows;
      }
      return bag;
    });
  } finally {
    rng.dispose();
  }
}

function tasksOf(m: MultiTaskModel): CombinedTask[] {
  return m.tasks.map((t: TaskSpec) => ({ name: t.name, kind: t.kind, classes: m.classNames(t.name) }));
}

function widthsOf(m: MultiTaskModel): readonly number[] {
  return m.core.widths;
}

/** A member's prediction of a task as the model's outputs: probabilities, or values standardized as regression trains. */
function outputOf(p: TaskPrediction, stats: { mean: number; std: number } | undefined): Float32Array {
  switch (p.kind) {
    case 'binary': return p.probabilities;
    case 'multiclass': case 'multilabel': case 'clustering': return Float32Array.from(p.probabilities.flat());
    case 'reconstruction': return Float32Array.from(p.values.flat());
    case 'regression': {
      const st = stats ?? { mean: 0, std: 1 };
      return Float32Array.from(p.values, (v) => (v - st.mean) / st.std);
    }
    case 'gaussian': case 'poisson': case 'quantile':
      // Refused when the ensemble is built (membersDisagree): a mixture's distribution is not the mean of its members'.
      throw new ArgumentError(`Ensemble: task kind ${p.kind} cannot be combined`);
  }
}

/** The labeled cells of task j: its labeled rows (`perRow`: one label per row), or their row · width + output indices. */
function labeledCells(resident: ResidentData, j: number, width: number, perRow: boolean): number[] {
  const mask = new Uint8Array(heapF32().buffer, resident.labels[j]!.mask, resident.rows);
  const cells: number[] = [];
  for (let i = 0; i < resident.rows; i++) {
    if (!mask[i]) continue;
    if (perRow) cells.push(i);
    else for (let c = 0; c < width; c++) cells.push(i * width + c);
  }
  return cells;
}

function checkWeights(where: string, w: unknown, members: number): Float64Array {
  if (!Array.isArray(w) && !(ArrayBuffer.isView(w) && !(w instanceof DataView))) throw new ArgumentError(`${where} must be an array of one weight per member, got ${show(w)}`);
  const a = w as ArrayLike<unknown>;
  if (a.length !== members) throw new ArgumentError(`${where} has ${a.length} weights; the ensemble has ${members} members (one weight per member)`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ArgumentError(`${where}[${i}] must be a finite number ≥ 0, got ${show(v)}`);
    sum += v;
  }
  if (!(sum > 0)) throw new ArgumentError(`${where}: the weights are all 0; at least one member needs a positive weight`);
  // Each weight is divided by the sum: a sum beyond float64 would make every weight 0.
  if (sum === Infinity) throw new ArgumentError(`${where}: the weights sum to more than the float64 maximum (1.8e308); give them on a smaller scale (only their ratios matter)`);
  return Float64Array.from(a as ArrayLike<number>, (v) => v / sum);
}

function labeled(where: string, v: unknown): [Dataset | FeatureRows, LabelColumns | undefined] {
  if (v instanceof Dataset) return [v, undefined];
  if (typeof v !== 'object' || v === null || !('x' in v) || !('labels' in v)) throw new ArgumentError(`${where}: validation data must be a Dataset or { x, labels }, got ${show(v)}`);
  return [(v as { x: FeatureRows }).x, (v as { labels: LabelColumns }).labels];
}
