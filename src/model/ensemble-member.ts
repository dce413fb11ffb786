// One member of Ensemble.train: build the model from the spec with the member's
// seed, fit it on its rows (its bootstrap sample, or all of them). The same
// function trains a member on the calling thread and in a job worker
// (src/threads/jobs.ts; the worker script is src/sweep/worker.ts), so a member
// has the same weights wherever it trained.

import { Dataset } from '../data/dataset.js';
import { datasetData, datasetFrom, type DatasetData } from '../data/transfer.js';
import type { JobWorkerInit } from '../threads/jobs.js';
import type { FitOptions, ValidationData } from '../mtl/fit.js';
import { MultiTaskModel, type ArrayInputSpec, type MultiTaskModelOptions } from './multitask-model.js';

/** @internal What every member shares: the spec (its input apart), the input, the data, the fit options. */
export interface MemberPlan {
  readonly spec: Omit<MultiTaskModelOptions, 'input'>;
  /** The model's input: a Dataset, an array spec, or null for the training data itself. */
  readonly input: Dataset | ArrayInputSpec | null;
  readonly data: Dataset;
  /** Passed to every member's fit (its seed, if any, replaced by the member's). */
  readonly fit: FitOptions;
}

/** @internal One member: its seed, its fit seed (undefined: fit's default) and its rows (null: all of them). */
export interface MemberJob {
  readonly seed: number;
  readonly fitSeed: number | undefined;
  readonly bag: Int32Array | null;
}

/**
 * @internal Trains one member and gives back its model file. Every member comes
 * back as its file loads, wherever it trained (here or in a job worker): the same
 * weights, weighting state and step count, and, for a further fit, the fresh
 * optimizer state of any loaded model — never state that depends on the thread
 * that trained it.
 */
export async function trainMember(plan: MemberPlan, job: MemberJob): Promise<Uint8Array> {
  const model = new MultiTaskModel({ ...(plan.spec as MultiTaskModelOptions), input: plan.input ?? plan.data, seed: job.seed });
  try {
    const rows = job.bag === null ? plan.data : plan.data.select(job.bag);
    await model.fit(rows, { ...plan.fit, ...(job.fitSeed !== undefined ? { seed: job.fitSeed } : {}) });
    return model.save();
  } finally {
    model.dispose();
  }
}

/** @internal A member job worker's start-up data: the plan as data a worker can be sent. */
export interface MemberWorkerInit extends JobWorkerInit {
  readonly role: 'member';
  readonly spec: Omit<MultiTaskModelOptions, 'input'>;
  readonly input: DatasetData | ArrayInputSpec | null;
  readonly data: DatasetData;
  readonly fit: Omit<FitOptions, 'validationData'>;
  readonly validationData: DatasetData | { x: unknown; labels: unknown } | null;
  readonly validationIsDataset: boolean;
}

/**
 * @internal The plan as a worker's start-up data, or the
 * option that cannot reach a worker thread — fit callbacks, a function anywhere,
 * an object of a class other than Dataset — for the members to train on the
 * calling thread instead.
 */
export function memberWorkerInit(plan: MemberPlan): MemberWorkerInit | { cannot: string } {
  if (plan.fit.callbacks !== undefined) return { cannot: 'fit.callbacks' };
  const { validationData, ...fit } = plan.fit;
  const parts: [string, unknown][] = [['the model spec', plan.spec], ['fit', fit]];
  const v = validationData as ValidationData | undefined;
  const vIsDataset = v instanceof Dataset;
  if (v !== undefined && !vIsDataset) parts.push(['fit.validationData', v]);
  const inputIsDataset = plan.input instanceof Dataset;
  if (plan.input !== null && !inputIsDataset) parts.push(['the spec\'s input', plan.input]);
  for (const [what, value] of parts) {
    if (!plainData(value)) return { cannot: what };
  }
  return {
    role: 'member', spec: plan.spec, fit,
    input: plan.input === null ? null : inputIsDataset ? datasetData(plan.input as Dataset) : plan.input as ArrayInputSpec,
    data: datasetData(plan.data),
    validationData: v === undefined ? null : vIsDataset ? datasetData(v as Dataset) : v as { x: unknown; labels: unknown },
    validationIsDataset: vIsDataset,
  };
}

/** @internal In the job worker: the plan rebuilt from its start-up data, and the function that trains a member into its file. */
export function memberJobs(init: MemberWorkerInit): (job: MemberJob) => Promise<Uint8Array> {
  const v = init.validationData;
  const validation = v === null ? undefined : init.validationIsDataset ? datasetFrom(v as DatasetData) : v as ValidationData;
  const plan: MemberPlan = {
    spec: init.spec,
    input: init.input === null ? null : isDatasetData(init.input) ? datasetFrom(init.input) : init.input,
    data: datasetFrom(init.data),
    fit: { ...init.fit, ...(validation !== undefined ? { validationData: validation } : {}) },
  };
  return (job) => trainMember(plan, job);
}

function isDatasetData(v: unknown): v is DatasetData {
  return typeof v === 'object' && v !== null && 'columns' in v && 'spec' in v;
}

/**
 * Whether a value is data structured clone carries unchanged: primitives, plain
 * objects, arrays and typed arrays, nothing else (a function or a class instance
 * would be refused, or lose its class, on the way to a worker).
 */
function plainData(v: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (v === null || v === undefined) return true;
  const t = typeof v;
  if (t === 'string' || t === 'number' || t === 'boolean' || t === 'bigint') return true;
  if (t !== 'object') return false;
  if (ArrayBuffer.isView(v)) return !(v instanceof DataView);
  if (Array.isArray(v)) return v.every((x) => plainData(x, depth + 1));
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(v as object).every((x) => plainData(x, depth + 1));
}
