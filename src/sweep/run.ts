// One run of a sweep: build the model from its options, fit it, evaluate it.
// The same function runs on the calling thread (threads: 1) and in every sweep
// worker (src/sweep/worker.ts), so a run gives the same numbers wherever it runs.

import type { Dataset } from '../data/dataset.js';
import { MultiTaskModel, type MultiTaskModelOptions } from '../model/multitask-model.js';
import type { EpochLogs, FitOptions } from '../mtl/fit.js';
import type { Evaluation } from '../mtl/evaluate.js';

/** @internal What a run is: its place in the sweep and the options it trains with. */
export interface RunPlan {
  readonly index: number;
  readonly params: Record<string, unknown>;
  readonly seed: number | null;
  readonly fold: number | null;
  readonly model: Omit<MultiTaskModelOptions, 'input'>;
  readonly fit: FitOptions;
  readonly keepModel: boolean;
}

/** One run of a sweep. Runs come back in order: grid combinations, then seeds, then folds. */
export interface SweepRun {
  readonly index: number;
  /** This run's values of the grid's paths. */
  readonly params: Record<string, unknown>;
  readonly seed: number | null;
  readonly fold: number | null;
  /** The training history's epochs (as History.epochs), and how training ended. */
  readonly epochs: EpochLogs[];
  readonly bestEpoch: number;
  readonly stoppedEarly: boolean;
  readonly reason: 'epochs' | 'earlyStopping' | 'stopped';
  /** Metrics on the held-out fold, or on `test`; null with neither. */
  readonly evaluation: Evaluation | null;
  /** The trained model's file, with keepModels. */
  readonly model?: Uint8Array;
  /** Wall-clock seconds of the run, where it ran. */
  readonly seconds: number;
}

/** @internal The rows a run trains and is evaluated on: the data (and the test set), or a fold's two parts. */
export interface RunData {
  readonly data: Dataset;
  readonly test: Dataset | null;
  /** Per fold: the rows it trains on and the rows it holds out. */
  readonly folds: readonly { readonly train: Int32Array; readonly held: Int32Array }[] | null;
}

/** @internal */
export async function runOne(plan: RunPlan, d: RunData): Promise<SweepRun> {
  const started = Date.now();
  let train = d.data;
  let held = d.test;
  if (plan.fold !== null) {
    const f = d.folds![plan.fold]!;
    train = d.data.select(f.train);
    held = d.data.select(f.held);
  }
  const model = new MultiTaskModel({ ...plan.model, input: train } as MultiTaskModelOptions);
  try {
    const history = await model.fit(train, plan.fit);
    const evaluation = held === null ? null : model.evaluate(held);
    return {
      index: plan.index, params: plan.params, seed: plan.seed, fold: plan.fold,
      epochs: history.epochs, bestEpoch: history.bestEpoch, stoppedEarly: history.stoppedEarly, reason: history.reason,
      evaluation, ...(plan.keepModel && { model: model.save() }), seconds: (Date.now() - started) / 1000,
    };
  } finally {
    model.dispose();
  }
}
