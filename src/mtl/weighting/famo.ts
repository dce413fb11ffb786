// FAMO, fast adaptive multitask optimization (Liu, Liu, Stone & Liu 2023, "FAMO:
// Fast Adaptive Multitask Optimization"; LibMTL's FAMO, from the authors' code):
//
//   z = softmax(ξ),  D_t = L_t − L_t* + 1e-8   (L_t* = 0, as LibMTL: the losses' lower bound)
//   L = Σ_t z_t log D_t / c,  c = Σ_t z_t / D_t           ⇒  w_t = z_t / (c·D_t)
//   after the update, on the same batch:  δ_t = log D_t(before) − log D_t(after)
//   ξ ← Adam(ξ, ∇_ξ = Jᵀδ = z ⊙ (δ − zᵀδ)),  learning rate `learningRate` (0.025), weight decay `weightDecay` (1e-3)
//
// FAMO balances the tasks' rates of improvement: the log-loss weighting makes
// each task's loss fall at the same relative rate to first order, and ξ learns
// from the improvements each step actually achieved (a task that improved more
// than its share loses weight). c normalizes the weights so the update has the
// size of a single task's; Σ_t w_t D_t = 1. ξ has its own Adam (PyTorch's, with
// the weight decay added to the gradient as torch.optim.Adam's weight_decay does),
// not the trainer's learning rate, as LibMTL's FAMO_w_lr and FAMO_w_gamma.
//
// Cost per step: no per-task backward (needs.gradients 'none'), and one more
// forward pass of the batch after the update (needs.lossesAfterUpdate; the trainer
// runs it in training mode, as LibMTL's, so dropout draws its masks again).
//
// Inactive tasks take no part: weight 0, δ_t = 0 (ξ_t then moves only through the
// softmax's coupling and the weight decay). currentWeights() is each task's mean
// weight over the latest epoch's steps in which it was active.

import { checkKeys, numberOption, type OptionRecord } from '../../runtime/validate.js';
import type { Kernels } from '../../runtime/abi.js';
import { ReportingStrategy, ScalarAdam, firstNonFinite, fromJson, mathKernels, needsOf, softmax, toJson, type Divergence } from './common.js';
import type { WeightingStepInput, WeightingStepOutput } from './types.js';

export interface FamoWeightingSpec {
  type: 'famo';
  /** Adam's learning rate for the logits ξ. Default 0.025. */
  learningRate?: number;
  /** L2 weight decay on ξ (added to its gradient). Default 1e-3. */
  weightDecay?: number;
}

const SHIFT = 1e-8;

export class FamoWeighting extends ReportingStrategy {
  readonly type = 'famo';
  readonly needs = needsOf('none', false, { lossesAfterUpdate: true });
  readonly #lr: number;
  readonly #decay: number;
  #k: Kernels | null = null;
  #xi = new Float64Array(0);
  #adam = new ScalarAdam(0);
  #z = new Float64Array(0);
  #before = new Float64Array(0); // log D_t of the last step (NaN: inactive or none yet)

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'learningRate', 'weightDecay']);
    this.#lr = numberOption(where, spec, 'learningRate', 0.025, (v) => v > 0, 'a finite number > 0');
    this.#decay = numberOption(where, spec, 'weightDecay', 1e-3, (v) => v >= 0, 'a finite number ≥ 0');
  }

  protected override setup(): void {
    super.setup();
    const T = this.T;
    this.#k = mathKernels('famo.attach');
    this.#xi = new Float64Array(T);
    this.#adam = new ScalarAdam(T);
    this.#z = new Float64Array(T);
    this.#before = new Float64Array(T).fill(NaN);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const k = this.#k!, T = this.T, { losses, active } = input, z = this.#z;
    softmax(k, this.#xi, null, 1, 1, z);
    let c = 0;
    for (let t = 0; t < T; t++) if (active[t] !== 0) c += z[t]! / (losses[t]! + SHIFT);
    for (let t = 0; t < T; t++) {
      const on = active[t] !== 0;
      const w = on ? z[t]! / (c * (losses[t]! + SHIFT)) : 0;
      out.taskWeights[t] = w;
      out.sharedCoefficients[t] = w;
      this.#before[t] = on ? k.mathLog(losses[t]! + SHIFT) : NaN;
    }
    this.report.add(input.epoch, out.taskWeights, active);
  }

  protected override updated(losses: Float64Array, active: Uint8Array): void {
    const k = this.#k!, T = this.T, z = this.#z, xi = this.#xi, before = this.#before;
    // δ_t, then the softmax's vector-Jacobian product z ⊙ (δ − zᵀδ) (z from the step).
    let zd = 0;
    for (let t = 0; t < T; t++) {
      const after = losses[t]! + SHIFT;
      const d = active[t] !== 0 && Number.isFinite(before[t]!) && after > 0 && Number.isFinite(after) ? before[t]! - k.mathLog(after) : 0;
      before[t] = d; // δ, for the moment
      zd += z[t]! * d;
    }
    for (let t = 0; t < T; t++) {
      const g = z[t]! * (before[t]! - zd) + this.#decay * xi[t]!;
      xi[t] = this.#adam.step(t, xi[t]!, g, this.#lr);
      before[t] = NaN;
    }
  }

  protected override diverging(): Divergence | null {
    return firstNonFinite(this.#xi) ?? this.#adam.firstNonFinite();
  }

  /** The logits ξ (a copy). */
  logits(): Float64Array {
    this.attached('logits');
    return this.#xi.slice();
  }

  config(): Record<string, unknown> {
    return { type: this.type, learningRate: this.#lr, weightDecay: this.#decay };
  }

  protected override save(): Record<string, unknown> {
    return { logits: toJson(this.#xi), ...this.#adam.save(), ...super.save() };
  }

  protected override load(state: OptionRecord): void {
    const where = 'famo.restore';
    const xi = new Float64Array(this.T);
    fromJson(where, state, 'logits', xi);
    this.#adam.load(where, state);
    super.load(state);
    this.#xi.set(xi);
  }
}
