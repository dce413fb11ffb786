// sweep(): the same model spec over seeds, a hyper-parameter grid or k folds,
// one run per worker thread, each run's history and metrics back.
//
//   const runs = await sweep({
//     model: { architecture: { type: 'mmoe', experts: 4, expertUnits: [16] }, tasks: [...], seed: 1 },
//     fit: { epochs: 50, batchSize: 32 },
//     data: train, test,                                      // or folds: 5
//     seeds: [1, 2, 3],
//     grid: { 'model.weighting': [{ type: 'fixed' }, { type: 'uncertainty' }], 'fit.batchSize': [32, 128] },
//   });
//   runs[0].params; runs[0].evaluation.tasks.species.accuracy;
//
// Each run trains its own model: on the calling thread, or on its own memory in
// a job worker that loaded the single-thread kernels (src/threads/jobs.ts,
// src/sweep/worker.ts), threads − 1 of them beside the calling thread; its
// numbers are those of the same run done on the calling thread, one after
// another (src/sweep/run.ts is the one code for both). Where there are no
// workers (threads: 1, Cloudflare Workers, a page that is not cross-origin
// isolated, init() given a module it cannot send on) the runs go one after
// another on the calling thread.

import { ArgumentError } from '../runtime/errors.js';
import { MAX_THREADS, runtime } from '../runtime/module.js';
import { checkKeys, checkOptionsObject, checkSeed, show } from '../runtime/validate.js';
import { Dataset, permutation } from '../data/dataset.js';
import type { MultiTaskModelOptions } from '../model/multitask-model.js';
import type { FitOptions } from '../mtl/fit.js';
import { DEFAULT_OPTIMIZER } from '../nn/optim.js';
import { jobWorkerSetup } from '../threads/index.js';
import { JOB_WORKER_FILE, runJobs, type JobWorkerSetup } from '../threads/jobs.js';
import { datasetData } from '../data/transfer.js';
import { runOne, type RunData, type RunPlan, type SweepRun } from './run.js';

export type { SweepRun } from './run.js';
import type { SweepWorkerInit } from './worker.js';

export interface SweepOptions {
  /** The model's options, as for `new MultiTaskModel` but without `input` (each run's training data gives it). */
  model: Omit<MultiTaskModelOptions, 'input'>;
  /** The fit options (no callbacks: the runs happen in other threads). */
  fit?: Omit<FitOptions, 'callbacks'>;
  /** The training data. */
  data: Dataset;
  /** Rows every run is evaluated on after training (not with `folds`, which hold out their own). */
  test?: Dataset;
  /** One run per seed (the model's seed: initialization, dropout, shuffling). Default: the model's own seed. */
  seeds?: readonly number[];
  /**
   * Options to vary, by path into { model, fit }: every combination is run, in
   * order (the first path varies slowest). E.g. { 'model.optimizer.learningRate':
   * [1e-3, 1e-2], 'model.architecture': [mmoe, sharedBottom], 'fit.batchSize': [32, 256] }.
   */
  grid?: Readonly<Record<string, readonly unknown[]>>;
  /** k-fold cross-validation: each run trains on k − 1 folds and is evaluated on the one held out. */
  folds?: number;
  /** Seeds the shuffle that cuts the folds. Default 0. */
  foldSeed?: number;
  /** Runs at a time (worker threads). Default: what init was given (threadInfo().requested). */
  threads?: number;
  /** Give each run's trained model back as a saved file (loadModel(run.model)), e.g. for an Ensemble. */
  keepModels?: boolean;
}

const KEYS = ['model', 'fit', 'data', 'test', 'seeds', 'grid', 'folds', 'foldSeed', 'threads', 'keepModels'] as const;

/** Trains every run of the sweep and gives back each one's history and metrics (see the top of this file). */
export async function sweep(options: SweepOptions): Promise<SweepRun[]> {
  const where = 'sweep';
  const o = checkOptionsObject(where, options);
  checkKeys(where, o, KEYS);
  if (typeof o.model !== 'object' || o.model === null || Array.isArray(o.model)) {
    throw new ArgumentError(`${where}: model must be the model's options (as for new MultiTaskModel, without input), got ${show(o.model)}`);
  }
  if ('input' in (o.model as object)) throw new ArgumentError(`${where}: model.input is given by each run's data; leave it out`);
  const fit = checkOptionsObject(`${where} fit`, o.fit) as FitOptions;
  if (fit.callbacks !== undefined) throw new ArgumentError(`${where}: fit.callbacks cannot run in a sweep's worker threads; read each run's epochs instead`);
  if (fit.validationData !== undefined) {
    throw new ArgumentError(`${where}: fit.validationData cannot be given to a sweep's runs (a Dataset does not reach its worker threads); use fit.validationSplit, or test: to evaluate every run on other rows`);
  }
  if (!(o.data instanceof Dataset)) throw new ArgumentError(`${where}: data must be a Dataset, got ${show(o.data)}`);
  if (o.test !== undefined && !(o.test instanceof Dataset)) throw new ArgumentError(`${where}: test must be a Dataset, got ${show(o.test)}`);
  const seeds = o.seeds === undefined ? [null] : checkList(where, 'seeds', o.seeds).map((s, i) => checkSeed(`${where}: seeds[${i}]`, s));
  const grid = gridCombinations(where, o.grid);
  if (o.seeds !== undefined && o.grid !== undefined && Object.hasOwn(o.grid as object, 'model.seed')) {
    throw new ArgumentError(`${where}: seeds and grid['model.seed'] both set each run's seed (seeds would win, and the runs be labelled with the grid's); give one of them`);
  }
  let folds: RunData['folds'] = null;
  if (o.folds !== undefined) {
    if (o.test !== undefined) throw new ArgumentError(`${where}: give folds or test, not both (each fold is evaluated on the rows it holds out)`);
    const k = o.folds;
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 2 || k > o.data.rows) {
      throw new ArgumentError(`${where}: folds must be an integer from 2 to the number of rows (${o.data.rows}), got ${show(k)}`);
    }
    folds = cutFolds(o.data.rows, k, o.foldSeed === undefined ? 0 : checkSeed(`${where}: foldSeed`, o.foldSeed));
  } else if (o.foldSeed !== undefined) {
    throw new ArgumentError(`${where}: foldSeed applies only with folds`);
  }
  const threads = o.threads === undefined ? (runtime(where).threads?.info().requested ?? 1) : o.threads;
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new ArgumentError(`${where}: threads must be an integer from 1 to ${MAX_THREADS}, got ${show(threads)}`);
  }
  if (o.keepModels !== undefined && typeof o.keepModels !== 'boolean') throw new ArgumentError(`${where}: keepModels must be true or false, got ${show(o.keepModels)}`);

  const plans: RunPlan[] = [];
  for (const params of grid) {
    for (const seed of seeds) {
      for (let f = 0; f < (folds?.length ?? 1); f++) {
        const spec = { model: structuredCopy(where, 'model', o.model), fit: structuredCopy(where, 'fit', fit) } as Record<string, unknown>;
        // { 'model.optimizer.learningRate': […] } on a model with the default optimizer varies that optimizer's rate.
        const model = spec.model as Record<string, unknown>;
        if (model.optimizer === undefined && Object.keys(params).some((p) => p.startsWith('model.optimizer.'))) model.optimizer = { ...DEFAULT_OPTIMIZER };
        for (const [path, value] of Object.entries(params)) setPath(spec, path, structuredCopy(where, `grid['${path}']`, value));
        plans.push({
          index: plans.length, params, seed, fold: folds === null ? null : f,
          model: (seed === null ? model : { ...model, seed }) as RunPlan['model'], fit: spec.fit as FitOptions, keepModel: o.keepModels === true,
        });
      }
    }
  }
  const data: RunData = { data: o.data, test: (o.test as Dataset | undefined) ?? null, folds };
  const setup = threads > 1 && plans.length > 1 ? await jobWorkerSetup(JOB_WORKER_FILE) : null;
  if (setup === null) {
    const out: SweepRun[] = [];
    for (const plan of plans) out.push(await runOne(plan, data));
    return out;
  }
  return runInWorkers(plans, data, Math.min(threads, plans.length), setup);
}

async function runInWorkers(plans: readonly RunPlan[], d: RunData, count: number, setup: JobWorkerSetup): Promise<SweepRun[]> {
  const init: SweepWorkerInit = {
    role: 'sweep', data: datasetData(d.data), test: d.test === null ? null : datasetData(d.test), folds: d.folds,
  };
  // The calling thread runs too (from the first run), beside count − 1 job workers.
  return runJobs<RunPlan, SweepRun>(setup, init, plans, count - 1, (i) => `sweep run ${i} (${describe(plans[i]!)})`, { run: (plan) => runOne(plan, d) });
}

function describe(plan: RunPlan): string {
  const parts = Object.entries(plan.params).map(([k, v]) => `${k} = ${JSON.stringify(v)}`);
  if (plan.seed !== null) parts.push(`seed ${plan.seed}`);
  if (plan.fold !== null) parts.push(`fold ${plan.fold}`);
  return parts.join(', ') || 'the model as given';
}

function checkList(where: string, name: string, v: unknown): unknown[] {
  if (!Array.isArray(v) || v.length === 0) throw new ArgumentError(`${where}: ${name} must be a non-empty array, got ${show(v)}`);
  return v;
}

/** Every combination of the grid's values, the first path varying slowest; [{}] without a grid. */
function gridCombinations(where: string, grid: unknown): Record<string, unknown>[] {
  if (grid === undefined) return [{}];
  const g = checkOptionsObject(`${where} grid`, grid);
  let out: Record<string, unknown>[] = [{}];
  for (const [path, values] of Object.entries(g)) {
    if (!/^(model|fit)\.[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(path)) {
      throw new ArgumentError(`${where}: grid path ${JSON.stringify(path)} must start with model. or fit. (e.g. 'model.optimizer.learningRate')`);
    }
    if (path.split('.').some((p) => p === '__proto__' || p === 'constructor' || p === 'prototype')) {
      throw new ArgumentError(`${where}: grid path ${JSON.stringify(path)} names an object's prototype`);
    }
    if (path === 'model.input' || path === 'fit.callbacks') throw new ArgumentError(`${where}: ${path} cannot be varied in a sweep`);
    const list = checkList(where, `grid['${path}']`, values);
    out = out.flatMap((c) => list.map((v) => ({ ...c, [path]: v })));
  }
  return out;
}

/** Sets spec[a][b]… = value for the path 'a.b.…', making plain objects on the way. */
function setPath(spec: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let at = spec;
  for (const key of keys.slice(0, -1)) {
    const next = at[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  at[keys.at(-1)!] = value;
}

/** A deep copy a worker can be sent, or an ArgumentError naming what cannot be (a function, a class instance…). */
function structuredCopy<T>(where: string, what: string, v: T): T {
  try {
    return structuredClone(v);
  } catch (err) {
    throw new ArgumentError(`${where}: ${what} must be plain data to reach a worker thread (${err instanceof Error ? err.message : String(err)})`);
  }
}

/**
 * k folds of n rows after a seeded shuffle (Dataset.split's): the first n % k
 * folds have one row more. Each fold's rows, and its training rows, in their
 * order in the data.
 */
function cutFolds(n: number, k: number, seed: number): { train: Int32Array; held: Int32Array }[] {
  const perm = permutation(n, seed);
  const foldOf = new Int32Array(n);
  let at = 0;
  for (let f = 0; f < k; f++) {
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    for (let i = 0; i < size; i++) foldOf[perm[at++]!] = f;
  }
  return Array.from({ length: k }, (_, f) => {
    const held: number[] = [], train: number[] = [];
    for (let r = 0; r < n; r++) (foldOf[r] === f ? held : train).push(r);
    return { train: Int32Array.from(train), held: Int32Array.from(held) };
  });
}
