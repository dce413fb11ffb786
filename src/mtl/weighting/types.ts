// The contract every joint-loss weighting strategy implements (one file per
// strategy in this folder). A strategy never sees the model: each step it gets
// the per-task losses and, if it asks for them, the Gram matrix of the per-task
// gradients of the shared part; it answers with numbers.
//
// The trainer then forms
//   • for each task's own parameters (its task part and head): gradient × taskWeights[t]
//   • for the shared part: Σ_t sharedCoefficients[t] · g_t   where g_t is task t's
//     (unweighted) gradient w.r.t. the shared parameters or the shared representation.
// Loss-weighting strategies (fixed, uncertainty, DWA, RLW, GradNorm) return the
// same numbers in both arrays. Gradient-manipulation strategies (PCGrad, MGDA,
// CAGrad) express their combined gradient as coefficients over the g_t — PCGrad's
// projections, MGDA's min-norm point and CAGrad's update are all linear
// combinations of the task gradients whose coefficients follow from the Gram
// matrix alone — and usually leave taskWeights at 1.
//
// The trainer never checks strategy names: it reads `needs`.

import type { Rng } from '../../nn/rng.js';

export interface WeightingNeeds {
  /**
   * Which per-task gradients the strategy's Gram matrix is built from:
   * 'none' (no Gram needed), 'representation' (dL_t/dZ, cheap: one backward per
   * task part), 'parameters' (dL_t/dθ_shared: one shared backward per task), or
   * 'either' (the trainer picks 'representation', unless the user asks otherwise).
   */
  readonly gradients: 'none' | 'representation' | 'parameters' | 'either';
  /** The strategy keeps per-epoch loss averages (the trainer calls endEpoch). */
  readonly lossHistory: boolean;
}

export interface WeightingStepInput {
  /** Per-task losses of this batch (mean over labeled rows); meaningful where active[t] = 1. */
  readonly losses: Float64Array;
  /** 1 where the batch has at least one label for the task, else 0 (the task then gets weight 0 this step). */
  readonly active: Uint8Array;
  /** T×T row-major Gram matrix of the per-task gradients (g_s·g_t), when needs.gradients ≠ 'none'. */
  readonly gram: Float64Array | null;
  /** The learning rate in effect (strategies with their own learnable weights step with it). */
  readonly learningRate: number;
  /** 0-based optimizer step and epoch. */
  readonly step: number;
  readonly epoch: number;
}

export interface WeightingStepOutput {
  /** Filled by the strategy: the factor on each task's loss for its own parameters. */
  readonly taskWeights: Float64Array;
  /** Filled by the strategy: the coefficient of each task's gradient in the shared part's gradient. */
  readonly sharedCoefficients: Float64Array;
}

export interface WeightingContext {
  readonly taskCount: number;
  readonly taskNames: readonly string[];
  /** A seeded stream for strategies that draw (RLW, PCGrad's task order). */
  readonly rng: Rng;
}

export interface WeightingStrategy {
  readonly type: string;
  readonly needs: WeightingNeeds;
  attach(ctx: WeightingContext): void;
  step(input: WeightingStepInput, out: WeightingStepOutput): void;
  /** Per-task mean losses over the finished epoch (NaN for a task without labels); for strategies with needs.lossHistory. */
  endEpoch(epochLosses: Float64Array): void;
  /** The task weights to report for the last epoch (what history records per epoch). */
  currentWeights(): Float64Array;
  /** The JSON spec with defaults filled in. */
  config(): Record<string, unknown>;
  /** JSON-safe internal state (learned log-variances, loss history…) for saving and resuming. */
  state(): Record<string, unknown>;
  restore(state: Record<string, unknown>): void;
}
