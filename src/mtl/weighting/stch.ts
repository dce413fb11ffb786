// STCH, smooth Tchebycheff scalarization (Lin, Zhang, Yang, Zhang & Zhang 2024,
// "Smooth Tchebycheff Scalarization for Multi-Objective Optimization"; LibMTL's
// STCH, from the authors' code):
//
//   epochs 0 … warmupEpochs:   L = Σ_t log L_t                      w_t = 1/L_t
//   afterwards:                L = T·μ·log Σ_t exp(ℓ_t/μ),  ℓ_t = log(L_t/z_t)
//                              w_t = T·softmax(ℓ/μ)_t / L_t
//
// where z_t (the nadir point) is task t's mean loss over epoch `warmupEpochs` (the
// last warm-up epoch; LibMTL averages its batch losses, this takes the epoch mean
// the trainer reports). The smooth maximum over the normalized log-losses puts
// nearly all the weight on the task furthest above its nadir as μ → 0 (the
// Tchebycheff scalarization, which reaches every Pareto-optimal point) and tends to
// equal weights on the log-losses as μ grows. μ = `mu` (default 1) and
// `warmupEpochs` (default 4) are LibMTL's. As LibMTL, log(L_t + 1e-20): a task at
// exactly zero loss gets a huge weight on a zero gradient. A task without a finite
// positive loss in the nadir epoch takes z_t = 1 (no normalization). The weights
// apply to the whole loss: taskWeights = sharedCoefficients = w.
//
// Cost per step: none beyond the losses (no per-task backward); the trainer
// reports each epoch's mean losses (needs.lossHistory).
//
// Inactive tasks take no part (T above counts the active ones; weight 0).
// currentWeights() is each task's mean weight over the latest epoch's steps in
// which it was active.

import { ArgumentError } from '../../runtime/errors.js';
import { checkKeys, integerOption, numberOption, type OptionRecord } from '../../runtime/validate.js';
import type { Kernels } from '../../runtime/abi.js';
import { ReportingStrategy, fromJson, integerState, mathKernels, needsOf, softmax, toJson } from './common.js';
import type { WeightingStepInput, WeightingStepOutput } from './types.js';

export interface StchWeightingSpec {
  type: 'stch';
  /** The smoothing μ > 0. Default 1. */
  mu?: number;
  /** Epochs of log-loss weighting before the nadir is fixed (its last one sets it). Default 4. */
  warmupEpochs?: number;
}

const TINY = 1e-20;

export class StchWeighting extends ReportingStrategy {
  readonly type = 'stch';
  readonly needs = needsOf('none', true);
  readonly #mu: number;
  readonly #warmup: number;
  #k: Kernels | null = null;
  #epochs = 0; //               epochs ended so far
  #nadir = new Float64Array(0); // NaN until fixed
  #logs = new Float64Array(0);
  #soft = new Float64Array(0);

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'mu', 'warmupEpochs']);
    this.#mu = numberOption(where, spec, 'mu', 1, (v) => v > 0, 'a finite number > 0');
    this.#warmup = integerOption(where, spec, 'warmupEpochs', 4, 0);
  }

  protected override setup(): void {
    super.setup();
    const T = this.T;
    this.#k = mathKernels('stch.attach');
    this.#epochs = 0;
    this.#nadir = new Float64Array(T).fill(NaN);
    this.#logs = new Float64Array(T);
    this.#soft = new Float64Array(T);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const k = this.#k!, T = this.T, { losses, active } = input;
    if (this.#epochs <= this.#warmup) {
      for (let t = 0; t < T; t++) {
        const w = active[t] !== 0 ? 1 / (losses[t]! + TINY) : 0;
        out.taskWeights[t] = w;
        out.sharedCoefficients[t] = w;
      }
    } else {
      const logs = this.#logs, soft = this.#soft, nadir = this.#nadir;
      let n = 0;
      for (let t = 0; t < T; t++) {
        if (active[t] === 0) continue;
        n++;
        logs[t] = k.mathLog(losses[t]! / nadir[t]! + TINY);
      }
      softmax(k, logs, active, this.#mu, n, soft);
      for (let t = 0; t < T; t++) {
        // ∂/∂L_t of T·μ·log Σ exp(ℓ/μ) = T·softmax_t·(1/z_t)/(L_t/z_t + 1e-20)
        const w = active[t] !== 0 ? soft[t]! / (nadir[t]! * (losses[t]! / nadir[t]! + TINY)) : 0;
        out.taskWeights[t] = w;
        out.sharedCoefficients[t] = w;
      }
    }
    this.report.add(input.epoch, out.taskWeights, active);
  }

  protected override epochEnded(epochLosses: Float64Array): void {
    if (this.#epochs === this.#warmup) {
      for (let t = 0; t < this.T; t++) {
        const z = epochLosses[t]!;
        this.#nadir[t] = Number.isFinite(z) && z > 0 ? z : 1;
      }
    }
    this.#epochs++;
  }

  /** The nadir point z (NaN until the warm-up ends; a copy). */
  nadir(): Float64Array {
    this.attached('nadir');
    return this.#nadir.slice();
  }

  config(): Record<string, unknown> {
    return { type: this.type, mu: this.#mu, warmupEpochs: this.#warmup };
  }

  protected override save(): Record<string, unknown> {
    return { epochs: this.#epochs, nadir: toJson(this.#nadir), ...super.save() };
  }

  protected override load(state: OptionRecord): void {
    const where = 'stch.restore';
    const epochs = integerState(where, state, 'epochs', 0);
    const nadir = new Float64Array(this.T);
    fromJson(where, state, 'nadir', nadir, true);
    for (let t = 0; t < this.T; t++) {
      const z = nadir[t]!;
      const fixed = epochs > this.#warmup;
      if (fixed ? !(z > 0) : !Number.isNaN(z)) {
        throw new ArgumentError(`${where}: state.nadir[${t}] must be ${fixed ? 'a number > 0 after the warm-up' : 'null during the warm-up'}, got ${z}`);
      }
    }
    super.load(state);
    this.#epochs = epochs;
    this.#nadir.set(nadir);
  }
}
