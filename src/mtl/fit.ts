// The training loop: epochs of shuffled mini-batches, validation, callbacks,
// early stopping with best-weights restore, learning-rate schedules, and a
// history of per-task losses, metrics and strategy weights per epoch.

import { heapF32, runtime } from '../runtime/module.js';
import { ArgumentError, ShapeError } from '../runtime/errors.js';
import { booleanOption, checkChoice, checkDim, checkF32, checkFiniteNumber, checkKeys, checkOptionsObject, checkSeed, show } from '../runtime/validate.js';
import { getOwn, setOwn } from '../runtime/records.js';
import { Rng, RngStream } from '../nn/rng.js';
import { createSchedule, type Schedule, type ScheduleSpec } from '../nn/schedule.js';
import type { MultiTaskModelCore, ResidentData } from './core.js';
import { evaluateResident, type Evaluation } from './evaluate.js';
import { KINDS, isDistributionKind } from './kinds.js';
import { DivergenceGuard, divergenceFactor, type DivergenceOptions } from '../train/divergence.js';
import { EarlyStopping, type EarlyStoppingRule } from '../train/early-stopping.js';
import { epochLoop, now, runAsync } from '../train/loop.js';
import { PREDICT_CHUNK } from '../graph/forward.js';
import type { Dataset } from '../data/index.js';
import type { FeatureRows } from '../tensor/rows.js';
import type { LabelColumns } from './labels.js';
import { ProximalTerm, readProximal, type ProximalOptions } from './proximal.js';
import { Attacker, readAdversarialTraining, type Attack, type AdversarialTrainingOptions } from './adversarial.js';

/** Rows to validate on during fit: a Dataset (encoded as the training data), or arrays with their labels. */
export type ValidationData = Dataset | { x: FeatureRows; labels: LabelColumns };

export interface EpochLogs {
  epoch: number;
  /** Sum over tasks of each task's mean training loss this epoch (unweighted, so epochs compare). */
  loss: number;
  /** Per task: mean training loss over the labeled rows of the epoch. */
  tasks: Record<string, { loss: number }>;
  /** The weighting strategy's task weights at the end of the epoch. */
  weights: Record<string, number>;
  learningRate: number;
  /** Validation results, when there is validation data. */
  val?: Evaluation;
  seconds: number;
}

export interface BatchLogs {
  batch: number;
  step: number;
  /** This batch's per-task losses. */
  tasks: Record<string, number>;
}

export interface FitCallbacks {
  onTrainBegin?: () => void;
  onEpochBegin?: (epoch: number) => void | boolean;
  /** Return false (or set model.stopTraining = true) to stop after this epoch. */
  onEpochEnd?: (epoch: number, logs: EpochLogs) => void | boolean;
  /** Return false (or set model.stopTraining = true) to stop after this batch. */
  onBatchEnd?: (batch: number, logs: BatchLogs) => void | boolean;
  onTrainEnd?: (history: History) => void;
}

export interface EarlyStoppingOptions {
  /** 'val_loss' (default with validation data, else 'loss'), 'loss', 'val_<task>_loss', 'val_<task>_<metric>'. */
  monitor?: string;
  /** Epochs without improvement before stopping (as Keras: training stops after that many; 0 acts as 1). Default 10. */
  patience?: number;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /**
   * 'auto' (default: 'max' for accuracy, auc, f1 and r2, else 'min'), 'min' or 'max'. A distribution
   * task's coverage is best at its level, neither highest nor lowest: monitoring it needs 'min' or 'max'.
   */
  mode?: 'auto' | 'min' | 'max';
  /**
   * Put back the weights of the best epoch, with the weighting strategy's learned state, when training
   * ends. Default true. As in Keras, the optimizer's moments, the step count and the random streams
   * (dropout, RLW's weights, PCGrad's orders…) stay where the last epoch left them.
   */
  restoreBestWeights?: boolean;
}

export interface FitLoopOptions {
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  schedule: Schedule | null;
  callbacks: FitCallbacks;
  earlyStopping: EarlyStoppingRule | null;
  /** Yield to the event loop at least this often (ms) so pages and progress displays stay responsive. */
  yieldEveryMs: number;
  /** The divergence rule's factor (Infinity: off). */
  divergenceFactor: number;
  /** The proximal term, anchored at the weights the run starts from. */
  proximal: Required<ProximalOptions> | null;
  /** What a task with no label in the training data is: an error, or left out of this fit. */
  unlabeledTasks: 'error' | 'skip';
  /** Adversarial training: the attack, the share of each batch it perturbs, and which features it may move. */
  adversarial: { attack: Attack; fraction: number; perturbable: Uint8Array } | null;
}

export interface History {
  epochs: EpochLogs[];
  /**
   * With early stopping, the epoch whose monitored value was best (as Keras's EarlyStopping.best_epoch):
   * the model holds its weights when restoreBestWeights is on (the default), else the last epoch's.
   * Without early stopping, the last epoch. -1 when no epoch ran (epochs 0).
   */
  bestEpoch: number;
  stoppedEarly: boolean;
  /** Why training ended: 'epochs', 'earlyStopping' or 'stopped' (a callback or model.stopTraining). */
  reason: 'epochs' | 'earlyStopping' | 'stopped';
  /**
   * The values of one logged quantity per epoch: 'loss', 'learningRate', '<task>_loss', '<task>_weight',
   * and with validation data 'val_loss' and 'val_<task>_<metric>' (NaN in an epoch that has none: a task
   * without a labeled validation row). Any other name is an ArgumentError listing the names.
   */
  get(name: string): number[];
}

const FIT_KEYS = [
  'epochs', 'batchSize', 'shuffle', 'seed', 'validationSplit', 'validationData', 'callbacks', 'earlyStopping',
  'learningRate', 'sampleWeights', 'freeze', 'yieldEveryMs', 'labeledOnly', 'divergence', 'proximal', 'unlabeledTasks',
  'adversarial',
] as const;

export interface FitOptions {
  /** Default 1. 0 (as Keras) runs no epoch: the data is checked and, for a model built from arrays, its target statistics are fitted, nothing trains. */
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  /** Seeds the shuffling (default: the model's seed). */
  seed?: number;
  /** Hold out this fraction of the rows (the last ones, as Keras does) for validation; 0 (as Keras): none. */
  validationSplit?: number;
  /** Rows to validate on instead (not with validationSplit). */
  validationData?: ValidationData;
  callbacks?: FitCallbacks;
  earlyStopping?: EarlyStoppingOptions | boolean;
  /**
   * A schedule spec (see createSchedule) or a constant; default: the optimizer's learning rate. A schedule
   * counts the steps and epochs of this fit, from 0 (a warm-up or a decay starts again at each fit), not
   * the model's steps so far (`model.steps`).
   */
  learningRate?: number | ScheduleSpec;
  /** Per-row sample weights for the training rows: finite, ≥ 0, at least one above 0. */
  sampleWeights?: ArrayLike<number>;
  /** Parameter names (or prefixes) to keep frozen during this fit, e.g. ['shared']. */
  freeze?: string[];
  /**
   * Train on the rows that carry a label for at least one of the model's supervised
   * tasks only (for a single-task model: the rows with its label), dropped before
   * validationSplit and with their sampleWeights. Default false: every row is used,
   * and a row without labels trains the unsupervised tasks (if any) and counts in
   * nothing else. validationData is left as given.
   */
  labeledOnly?: boolean;
  yieldEveryMs?: number;
  /**
   * The divergence rule (src/train/divergence.ts): training stops with
   * TrainingDivergedError when a task's loss on a batch exceeds `factor` (default
   * 1e4) times the larger of 1 and its loss at the first step of this fit. `false`
   * turns it off (non-finite losses, gradients and updates still stop training).
   */
  divergence?: DivergenceOptions | boolean;
  /**
   * Adds μ/2 · ‖w − w₀‖² to the loss, w₀ being the weights this fit starts from,
   * over the shared parameters (default) or all: FedProx's local objective (the
   * federated client sets it), or L2-SP when fine-tuning a trained model.
   */
  proximal?: ProximalOptions;
  /**
   * A task with no label anywhere in the training data: 'error' (default: most
   * likely a mistake) or 'skip' — the other tasks train, its loss is 0 and its
   * parameters get no gradient from it (a federated client holding only some
   * tasks' labels). At least one task must have labels.
   */
  unlabeledTasks?: 'error' | 'skip';
  /**
   * Adversarial training: each batch's first ⌈fraction · rows⌉ rows (a random
   * sample of the data while `shuffle` is on) are replaced by their FGSM or PGD
   * adversarial examples against the current weights before the step, e.g.
   * `{ method: 'pgd', epsilon: 0.1, steps: 5 }` (Madry et al. 2018 with fraction
   * 1, the default; Kurakin et al. 2017's mixed batches with fraction 0.5). Only
   * the numeric features move (standardized: ε is in standard deviations);
   * one-hot categories and missing-value indicators stay. PGD's random starts
   * come from the `adversarial` stream of fit's seed. See docs/ensembles.md.
   */
  adversarial?: AdversarialTrainingOptions;
}

/** Validates the options that do not depend on the data; `perturbable` flags the features adversarial training may move (it throws if none). */
export function parseFitOptions(
  options: unknown, core: MultiTaskModelCore, hasValidation: boolean, perturbable: () => Uint8Array,
): FitLoopOptions & { raw: Record<string, unknown> } {
  const where = 'fit';
  const o = checkOptionsObject(where, options);
  checkKeys(where, o, FIT_KEYS);
  const epochs = o.epochs === undefined ? 1 : o.epochs;
  if (typeof epochs !== 'number' || !Number.isSafeInteger(epochs) || epochs < 0) throw new ShapeError(`${where}: epochs must be an integer ≥ 0, got ${show(epochs)}`);
  const batchSize = o.batchSize === undefined ? 32 : checkDim(where, 'batchSize', o.batchSize);
  const shuffle = booleanOption(where, o, 'shuffle', true);
  const seed = o.seed === undefined ? core.seed : checkSeed(where, o.seed);
  let schedule: Schedule | null = null;
  if (o.learningRate !== undefined) {
    schedule = typeof o.learningRate === 'number'
      ? createSchedule({ type: 'constant', learningRate: checkF32(where, 'learningRate', o.learningRate) })
      : createSchedule(o.learningRate as ScheduleSpec);
  }
  const callbacks = checkOptionsObject(`${where} callbacks`, o.callbacks) as FitCallbacks;
  checkKeys(`${where} callbacks`, callbacks, ['onTrainBegin', 'onEpochBegin', 'onEpochEnd', 'onBatchEnd', 'onTrainEnd']);
  for (const [k, v] of Object.entries(callbacks)) {
    if (v !== undefined && typeof v !== 'function') throw new ArgumentError(`${where}: callbacks.${k} must be a function, got ${show(v)}`);
  }
  let earlyStopping: FitLoopOptions['earlyStopping'] = null;
  if (o.earlyStopping !== undefined && o.earlyStopping !== false) {
    const e = o.earlyStopping === true ? {} : checkOptionsObject(`${where} earlyStopping`, o.earlyStopping);
    checkKeys(`${where} earlyStopping`, e, ['monitor', 'patience', 'minDelta', 'mode', 'restoreBestWeights']);
    const monitor = e.monitor === undefined ? (hasValidation ? 'val_loss' : 'loss') : e.monitor;
    if (typeof monitor !== 'string') throw new ArgumentError(`${where}: earlyStopping.monitor must be a string, got ${show(monitor)}`);
    if (monitor.startsWith('val_') && !hasValidation) {
      throw new ArgumentError(`${where}: earlyStopping monitors "${monitor}" but there is no validation data (give validationSplit or validationData)`);
    }
    const metric = monitoredMetric(monitor, core);
    const mode = e.mode === undefined ? 'auto' : e.mode;
    if (mode !== 'auto' && mode !== 'min' && mode !== 'max') throw new ArgumentError(`${where}: earlyStopping.mode must be 'auto', 'min' or 'max', got ${show(mode)}`);
    if (mode === 'auto' && metric === 'coverage') {
      throw new ArgumentError(`${where}: earlyStopping monitors "${monitor}", a coverage, which is best at the task's level, neither highest nor lowest: give mode 'min' or 'max', or monitor another value`);
    }
    const patience = e.patience === undefined ? 10 : e.patience;
    if (typeof patience !== 'number' || !Number.isInteger(patience) || patience < 0) throw new ArgumentError(`${where}: earlyStopping.patience must be an integer ≥ 0, got ${show(patience)}`);
    const minDelta = e.minDelta === undefined ? 0 : checkFiniteNumber(where, 'earlyStopping.minDelta', e.minDelta);
    if (e.restoreBestWeights !== undefined && typeof e.restoreBestWeights !== 'boolean') throw new ArgumentError(`${where}: earlyStopping.restoreBestWeights must be true or false`);
    earlyStopping = {
      monitor, patience, minDelta: Math.abs(minDelta),
      mode: mode === 'auto' ? (['accuracy', 'auc', 'f1', 'r2'].includes(metric) ? 'max' : 'min') : mode,
      restoreBestWeights: e.restoreBestWeights !== false,
    };
  }
  const yieldEveryMs = o.yieldEveryMs === undefined ? 50 : checkFiniteNumber(where, 'yieldEveryMs', o.yieldEveryMs);
  if (yieldEveryMs < 0) throw new ArgumentError(`${where}: yieldEveryMs must be ≥ 0, got ${yieldEveryMs}`);
  const divergence = divergenceFactor(where, o.divergence);
  const proximal = readProximal(where, o.proximal);
  const unlabeledTasks = o.unlabeledTasks === undefined ? 'error' : checkChoice(where, 'unlabeledTasks', o.unlabeledTasks, ['error', 'skip'] as const);
  let adversarial: FitLoopOptions['adversarial'] = null;
  if (o.adversarial !== undefined) {
    const read = readAdversarialTraining(where, o.adversarial);
    adversarial = { ...read, perturbable: perturbable() };
  }
  return { epochs, batchSize, shuffle, seed, schedule, callbacks, earlyStopping, yieldEveryMs, divergenceFactor: divergence, proximal, unlabeledTasks, adversarial, raw: o };
}

/** What evaluate reports for a task of `kind` besides its loss (the metrics of KINDS; src/mtl/evaluate.ts). */
function valMetrics(task: string, kind: string): readonly string[] {
  const info = Object.hasOwn(KINDS, kind) ? KINDS[kind as keyof typeof KINDS] : undefined;
  if (info === undefined) throw new ArgumentError(`fit: task "${task}" is of kind ${show(kind)}, which has no metrics to log`);
  return info.metrics;
}

/**
 * The metric a monitor names ('loss', 'weight', 'accuracy', …). A monitor must name
 * something fit logs, or early stopping would watch NaN and stop after `patience` epochs.
 */
function monitoredMetric(monitor: string, core: MultiTaskModelCore): string {
  if (monitor === 'loss' || monitor === 'val_loss') return 'loss';
  const val = monitor.startsWith('val_');
  const rest = val ? monitor.slice(4) : monitor;
  for (const spec of core.specs) {
    const known = val ? ['loss', ...valMetrics(spec.name, spec.kind)] : ['loss', 'weight'];
    const metric = known.find((m) => rest === `${spec.name}_${m}`);
    if (metric !== undefined) return metric;
  }
  const kinds = [...new Set(core.specs.map((s) => s.kind))].map((k) => `${k}: ${KINDS[k].metrics.join(', ') || 'loss only'}`).join('; ');
  throw new ArgumentError(`fit: earlyStopping.monitor "${monitor}" is not something fit logs; use 'loss', '<task>_loss', 'val_loss', 'val_<task>_loss' or 'val_<task>_<metric>' (${kinds}) with tasks ${core.taskNames.join(', ')}`);
}

/** The names History.get knows for a model's tasks: what fit logs, with `val` the validation values. */
function logNames(core: MultiTaskModelCore, val: boolean): string[] {
  const names = ['loss', 'learningRate', ...core.taskNames.flatMap((t) => [`${t}_loss`, `${t}_weight`])];
  if (val) {
    names.push('val_loss');
    for (const s of core.specs) {
      for (const m of ['rows', 'loss', ...valMetrics(s.name, s.kind), ...(isDistributionKind(s.kind) ? ['level'] : [])]) names.push(`val_${s.name}_${m}`);
    }
  }
  return names;
}

/** The error for a monitored value that is NaN: undefined on these rows, so it can never improve. */
function undefinedMonitor(monitor: string, epoch: number): ArgumentError {
  return new ArgumentError(`fit: earlyStopping monitors "${monitor}", which is NaN after epoch ${epoch}: it is undefined on ` +
    `${monitor.startsWith('val_') ? 'the validation rows' : 'the training rows'} (no labeled row for the task, AUC of one class only, R² of ` +
    'constant labels), so it can never improve and early stopping would only put back the first epoch\'s weights; monitor val_loss or ' +
    `another value. The model keeps the weights of epoch ${epoch}`);
}

/** Reads a logged quantity ('val_species_accuracy', '<task>_loss', 'loss', …) from one epoch's logs. */
export function logValue(logs: EpochLogs, name: string): number {
  if (name === 'loss') return logs.loss;
  if (name === 'learningRate') return logs.learningRate;
  if (name === 'val_loss') return logs.val?.loss ?? NaN;
  const val = name.startsWith('val_');
  const rest = val ? name.slice(4) : name;
  for (const task of Object.keys(logs.tasks)) {
    if (!rest.startsWith(`${task}_`)) continue;
    const metric = rest.slice(task.length + 1);
    if (!val) {
      if (metric === 'loss') return getOwn(logs.tasks, task)!.loss;
      if (metric === 'weight') return getOwn(logs.weights, task) ?? NaN;
      continue;
    }
    const taskVal = logs.val === undefined ? undefined : getOwn(logs.val.tasks, task);
    const v = taskVal === undefined ? undefined : getOwn(taskVal as unknown as Record<string, number>, metric);
    if (v !== undefined) return v;
  }
  return NaN;
}

function makeHistory(epochs: EpochLogs[], bestEpoch: number, reason: History['reason'], names: readonly string[]): History {
  return {
    epochs, bestEpoch, reason, stoppedEarly: reason === 'earlyStopping',
    get(name: string) {
      if (!names.includes(name)) throw new ArgumentError(`history.get: ${show(name)} is not logged; the history has ${names.join(', ')}`);
      return epochs.map((e) => logValue(e, name));
    },
  };
}

export interface StopFlag { stopTraining: boolean }

/**
 * Before the first step: a schedule whose rate grows (gamma or decayRate above 1)
 * and would leave float32 within this fit's steps is refused now, not after the
 * epochs before that step have trained. A growing rate is largest at the last step
 * (step and exponential schedules are monotone, warm-up and cosine bounded), so
 * that one call is the check.
 */
function checkScheduleReach(opts: FitLoopOptions, rows: number): void {
  if (opts.schedule === null || opts.epochs === 0 || rows === 0) return;
  const perEpoch = Math.ceil(rows / Math.min(opts.batchSize, rows));
  const last = opts.epochs * perEpoch - 1;
  try {
    opts.schedule(last, opts.epochs - 1);
  } catch (err) {
    if (!(err instanceof ArgumentError)) throw err;
    throw new ArgumentError(`fit: learningRate: this fit's ${opts.epochs} epoch${opts.epochs === 1 ? '' : 's'} of ${perEpoch} batch${perEpoch === 1 ? '' : 'es'} reach step ${last}, where ${err.message.replace(/^schedule: /, '')}; nothing was trained`);
  }
}

/** Runs the epochs. `train` and `val` are resident in WASM memory; the caller frees them. */
export async function fitLoop(
  core: MultiTaskModelCore, train: ResidentData, val: ResidentData | null, opts: FitLoopOptions, stop: StopFlag,
  targetStats: ReadonlyMap<string, { mean: number; std: number }>, valWhere = 'fit validationData',
): Promise<History> {
  const T = core.taskNames.length;
  const { allocator } = runtime('fit');
  const n = train.rows;
  checkScheduleReach(opts, n);
  core.ensureCapacity(Math.max(Math.min(opts.batchSize, n), Math.min(val?.rows ?? 0, PREDICT_CHUNK)));
  core.setClassWeights(train);
  const order = allocator.alloc(n * 4);
  const rng = new Rng(opts.seed, RngStream.shuffle);
  const epochsLog: EpochLogs[] = [];
  const sums = new Float64Array(T), counts = new Float64Array(T);
  const es = opts.earlyStopping === null ? null : new EarlyStopping(opts.earlyStopping);
  let bestWeights: Snapshot | null = null;
  let reason: History['reason'] = 'epochs';
  let started = 0, lr = 0;
  // A schedule is a fit option: it counts this fit's steps, as it counts this fit's epochs.
  const firstStep = core.step;
  stop.stopTraining = false;
  core.beginTraining(new DivergenceGuard(core.taskNames, opts.divergenceFactor));
  const adv = opts.adversarial;
  let attacker: Attacker | null = null;
  try {
    attacker = adv ? new Attacker(core, adv.attack, adv.perturbable, opts.seed, core.capacity) : null;
    core.proximal = opts.proximal ? new ProximalTerm(core.parameters, opts.proximal) : null;
    opts.callbacks.onTrainBegin?.();
    await runAsync(epochLoop({ epochs: opts.epochs, rows: n, batchSize: opts.batchSize, order, shuffle: opts.shuffle ? (o, rows) => rng.shuffle(o, rows) : null }, {
      beginEpoch: (epoch) => {
        started = now();
        if (opts.callbacks.onEpochBegin?.(epoch) === false) { reason = 'stopped'; return false; }
        if (core.hasClustering) {
          core.refreshClusters(train, epoch);
          if (val) core.assignClusters(val);
        }
        sums.fill(0); counts.fill(0);
        return true;
      },
      batch: (indices, rows, epoch, batch) => {
        core.loadBatch(train, indices, rows);
        if (attacker) attacker.perturb(Math.ceil(adv!.fraction * rows));
        lr = opts.schedule ? opts.schedule(core.step - firstStep, epoch) : core.optimizer.config.learningRate;
        const losses = core.trainBatch(rows, lr, epoch);
        const labeled = core.batchLabeledCounts;
        for (let t = 0; t < T; t++) { sums[t]! += losses[t]! * labeled[t]!; counts[t]! += labeled[t]!; }
        if (opts.callbacks.onBatchEnd) {
          const tasks: Record<string, number> = {};
          core.taskNames.forEach((name, t) => { setOwn(tasks, name, losses[t]!); });
          if (opts.callbacks.onBatchEnd(batch, { batch, step: core.step, tasks }) === false) stop.stopTraining = true;
        }
        return !stop.stopTraining;
      },
      endEpoch: (epoch) => {
        const epochLosses = new Float64Array(T);
        for (let t = 0; t < T; t++) epochLosses[t] = counts[t]! > 0 ? sums[t]! / counts[t]! : NaN;
        if (core.weighting.needs.lossHistory) core.weighting.endEpoch(epochLosses);
        const weights = core.weighting.currentWeights();
        const logs: EpochLogs = {
          epoch, loss: 0, tasks: {}, weights: {}, learningRate: lr, seconds: 0,
        };
        core.taskNames.forEach((name, t) => {
          setOwn(logs.tasks, name, { loss: epochLosses[t]! });
          setOwn(logs.weights, name, weights[t]!);
          if (counts[t]! > 0) logs.loss += epochLosses[t]!;
        });
        if (val) logs.val = evaluateResident(core, val, targetStats, valWhere);
        logs.seconds = (now() - started) / 1000;
        epochsLog.push(logs);
        const watched = es === null ? 0 : logValue(logs, es.rule.monitor);
        // NaN never improves: early stopping would stop after `patience` epochs and put back the first epoch's weights.
        if (Number.isNaN(watched)) throw undefinedMonitor(es!.rule.monitor, epoch);
        const verdict = es?.update(watched, epoch);
        if (verdict === 'improved' && es!.rule.restoreBestWeights) bestWeights = snapshot(core, bestWeights);
        if (opts.callbacks.onEpochEnd?.(epoch, logs) === false) stop.stopTraining = true;
        if (verdict === 'stop') { reason = 'earlyStopping'; return false; }
        if (stop.stopTraining) { reason = 'stopped'; return false; }
        return true;
      },
    }), opts.yieldEveryMs);
    core.endTraining();
    const bestEpoch = es !== null && es.bestEpoch >= 0 ? es.bestEpoch : epochsLog.length - 1;
    if (bestWeights !== null && bestEpoch !== epochsLog.length - 1) restore(core, bestWeights);
    const history = makeHistory(epochsLog, bestEpoch, reason, logNames(core, val !== null));
    opts.callbacks.onTrainEnd?.(history);
    return history;
  } finally {
    allocator.free(order);
    rng.dispose();
    attacker?.dispose();
    core.proximal?.dispose();
    core.proximal = null;
  }
}

/** The best epoch's weights, and the weighting strategy's state (learned log-variances, loss history…) that goes with them. */
interface Snapshot { readonly weights: Float32Array; readonly weighting: Record<string, unknown> }

function snapshot(core: MultiTaskModelCore, reuse: Snapshot | null): Snapshot {
  const p = core.parameters;
  return { weights: heapF32().slice(p.params >>> 2, (p.params >>> 2) + p.size), weighting: core.weighting.snapshot(reuse?.weighting) };
}

function restore(core: MultiTaskModelCore, best: Snapshot): void {
  heapF32().set(best.weights, core.parameters.params >>> 2);
  core.weighting.restore(best.weighting);
}
