// The contract every joint-loss weighting strategy implements (one file per
// strategy in this folder). A strategy never sees the model: each step it gets
// the per-task losses and, if it asks for them, the Gram matrix of the per-task
// gradients of the shared part (or the gradient vectors themselves); it answers
// with numbers.
//
// The trainer then forms
//   • for each task's own parameters (its task part and head): gradient × taskWeights[t]
//   • for the shared part: Σ_t sharedCoefficients[t] · g_t   where g_t is task t's
//     (unweighted) gradient w.r.t. the shared parameters or the shared representation,
//     or, for a strategy with needs.vectors, the vector the strategy wrote itself.
// Loss-weighting strategies (fixed, uncertainty, DWA, RLW, GradNorm, …) return the
// same numbers in both arrays. Gradient-manipulation strategies (PCGrad, MGDA,
// CAGrad, …) express their combined gradient as coefficients over the g_t — PCGrad's
// projections, MGDA's min-norm point and CAGrad's update are all linear
// combinations of the task gradients whose coefficients follow from the Gram
// matrix alone — and usually leave taskWeights at 1. The few whose combination is
// not linear in the g_t, or that keep running estimates of them across steps
// (GradDrop, TrimmedMean, MoCo, DB-MTL, ExcessMTL, MoDo, SDMGrad), declare
// needs.vectors: they get the vectors (pointers into the kernel module's memory)
// and write the combined shared gradient themselves.
//
// The trainer never checks strategy names: it reads `needs`.

import type { Rng } from '../../nn/rng.js';

export interface WeightingNeeds {
  /**
   * Which per-task gradients the strategy's Gram matrix is built from:
   * 'none' (no Gram needed), 'representation' (dL_t/dZ, cheap: one backward per
   * task part), 'parameters' (dL_t/dθ_shared: one shared backward per task), or
   * 'either' (the trainer picks 'representation', unless the user asks otherwise or
   * the architecture's tasks read disjoint blocks of Z, as on crossStitch: then 'parameters').
   */
  readonly gradients: 'none' | 'representation' | 'parameters' | 'either';
  /** The strategy keeps per-epoch loss averages (the trainer calls endEpoch). */
  readonly lossHistory: boolean;
  /**
   * The strategy combines the per-task gradient vectors itself (needs.gradients is
   * then not 'none'): each step's input carries `vectors`, the strategy writes the
   * shared gradient to vectors.output, and the trainer does not read sharedCoefficients.
   */
  readonly vectors: boolean;
  /**
   * The strategy learns from how the step changed the losses (FAMO): after the
   * optimizer update the trainer runs the same batch forward once more (no backward)
   * and calls afterUpdate with the new per-task losses.
   */
  readonly lossesAfterUpdate: boolean;
}

/**
 * The per-task gradient vectors of one step, in the kernel module's memory
 * (f32, byte offsets). With source 'representation' each is dL_t/dZ, rows × width
 * row-major, and `representation` points at Z itself (rows × width); with
 * 'parameters' each is dL_t/dθ_shared packed into one vector (rows 1, width =
 * length) and `representation` is 0. Only the active tasks' vectors are meaningful.
 * Valid during step() only.
 */
export interface WeightingVectors {
  readonly source: 'representation' | 'parameters';
  /** One pointer per task (task order). */
  readonly pointers: readonly number[];
  /** Floats per vector (rows × width). */
  readonly length: number;
  readonly rows: number;
  readonly width: number;
  /** Z of this batch (source 'representation'), else 0. */
  readonly representation: number;
  /** Where the strategy writes the combined shared gradient (length floats; its content on entry is undefined). */
  readonly output: number;
}

export interface WeightingStepInput {
  /** Per-task losses of this batch (mean over labeled rows); meaningful where active[t] = 1. */
  readonly losses: Float64Array;
  /** 1 where the batch has at least one label for the task, else 0 (the task then gets weight 0 this step). */
  readonly active: Uint8Array;
  /** T×T row-major Gram matrix of the per-task gradients (g_s·g_t), when needs.gradients ≠ 'none'. */
  readonly gram: Float64Array | null;
  /** The per-task gradient vectors, when needs.vectors (else absent or null). */
  readonly vectors?: WeightingVectors | null;
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
  /** A seeded stream for strategies that draw (RLW, PCGrad's task order, GradDrop's thresholds). */
  readonly rng: Rng;
}

export interface WeightingStrategy {
  readonly type: string;
  readonly needs: WeightingNeeds;
  attach(ctx: WeightingContext): void;
  /**
   * Fills `out` for one step. TrainingDivergedError (naming the task) when the state
   * it starts from gives a task weight float32 cannot carry (checkUsable), a task
   * weight or shared coefficient is not a finite float32, or the strategy's learned
   * state stopped being finite; the trainer then restores the snapshot() from
   * before the step that led there.
   */
  step(input: WeightingStepInput, out: WeightingStepOutput): void;
  /**
   * TrainingDivergedError (naming the task, at `step`) when the state would give a
   * task weight float32 cannot carry at the next step; the trainer asks at the end
   * of a run, whose last step step() does not see again.
   */
  checkUsable(step: number): void;
  /** Per-task mean losses over the finished epoch (NaN for a task without labels); for strategies with needs.lossHistory. */
  endEpoch(epochLosses: Float64Array): void;
  /**
   * For strategies with needs.lossesAfterUpdate: the per-task losses of the step's
   * batch at the updated weights, with the step's `active` mask.
   */
  afterUpdate(losses: Float64Array, active: Uint8Array): void;
  /** The task weights to report for the last epoch (what history records per epoch). */
  currentWeights(): Float64Array;
  /** The JSON spec with defaults filled in. */
  config(): Record<string, unknown>;
  /** JSON-safe internal state (learned log-variances, loss history…) for saving and resuming. */
  state(): Record<string, unknown>;
  /**
   * The same state for putting back within this process: running gradient vectors
   * as Float32Array copies, not base64 text. The trainer takes one at the start of
   * every step and restores it when a divergence puts the weights back. `reuse`, an
   * earlier snapshot no longer needed, lends its copies' memory.
   */
  snapshot(reuse?: Record<string, unknown>): Record<string, unknown>;
  /** Applies a state() or snapshot(); throws ArgumentError on a field out of range. */
  restore(state: Record<string, unknown>): void;
  /** Returns what the strategy holds in the kernel module's memory (running gradient estimates); harmless twice. */
  dispose(): void;
}
