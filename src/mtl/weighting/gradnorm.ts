// GradNorm (Chen, Badrinarayanan, Lee & Rabinovich 2018, "GradNorm: Gradient
// Normalization for Adaptive Loss Balancing in Deep Multitask Networks"):
//
//   G_t   = ‖∇ w_t·L_t‖ = w_t·‖g_t‖,  ‖g_t‖ = √Gram_tt      (the task's weighted gradient norm)
//   Ḡ     = mean_t G_t
//   L̃_t   = L_t / L_t(0),  r_t = L̃_t / mean_s L̃_s            (relative inverse training rate)
//   L_grad = Σ_t | G_t − Ḡ·r_t^α |                            (the target Ḡ·r_t^α held constant)
//   ∂L_grad/∂w_t = sign(G_t − Ḡ·r_t^α) · ‖g_t‖
//   w ← step(w, ∂L_grad/∂w),  then w_t ← T·w_t / Σ_s w_s
//
// α = `alpha` (default 1.5, the paper's and LibMTL's). L_t(0) is the task's loss at
// the first step it is active with a loss > 0 (the paper's "initial loss"; LibMTL
// instead waits one epoch and uses that epoch's mean loss, with weights
// parametrized as T·softmax). The Gram matrix may come from either gradient
// source (the paper uses the last shared layer's weights; the representation is
// the cheap choice); only its diagonal is read.
//
// Each step answers the current w_t (before this step's update, as in the paper:
// the loss at step t uses w(t)), then updates: optimizer 'adam' (default; β₁ 0.9,
// β₂ 0.999, ε 1e-8, bias correction per task) or 'sgd' (w ← w − lr·∂L_grad/∂w)
// with the trainer's learning rate; weights are then floored at 1e-6 (a plain
// step could cross 0) and rescaled so the updated tasks keep their total.
//
// Inactive tasks get weight 0, take no part in Ḡ, the mean L̃ or the update, and
// keep their weight, moments and L_t(0); rescaling the updated tasks to their
// previous total keeps Σ_t w_t = T. The weights start at 1.

import { checkKeys, choiceOption, numberOption, type OptionRecord } from '../../runtime/validate.js';
import type { Kernels } from '../../runtime/abi.js';
import { BaseStrategy, GRADIENT_SOURCES, ScalarAdam, WEIGHT_OPTIMIZERS, checkEach, firstNonFinite, fromJson, mathKernels, needsOf, toJson, type Divergence, type GradientSource, type WeightOptimizer } from './common.js';
import type { WeightingNeeds, WeightingStepInput, WeightingStepOutput } from './types.js';

export interface GradNormWeightingSpec {
  type: 'gradnorm';
  /** The restoring force α ≥ 0. Default 1.5. */
  alpha?: number;
  /** How the weights are stepped with the trainer's learning rate. Default 'adam'. */
  optimizer?: WeightOptimizer;
  /** Which per-task gradients the norms come from. Default 'either' (the trainer picks the representation; the shared parameters on crossStitch). */
  gradients?: GradientSource;
}

const MIN_WEIGHT = 1e-6;

export class GradNormWeighting extends BaseStrategy {
  readonly type = 'gradnorm';
  readonly needs: WeightingNeeds;
  readonly #alpha: number;
  readonly #optimizer: WeightOptimizer;
  readonly #gradients: GradientSource;
  #k: Kernels | null = null;
  #w = new Float64Array(0);
  #initial = new Float64Array(0); // L_t(0); NaN until recorded
  #adam = new ScalarAdam(0);
  #norms = new Float64Array(0);
  #grad = new Float64Array(0);
  #update = new Uint8Array(0);

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'alpha', 'optimizer', 'gradients']);
    this.#alpha = numberOption(where, spec, 'alpha', 1.5, (v) => v >= 0, 'a finite number ≥ 0');
    this.#optimizer = choiceOption(where, spec, 'optimizer', 'adam', WEIGHT_OPTIMIZERS);
    this.#gradients = choiceOption(where, spec, 'gradients', 'either', GRADIENT_SOURCES);
    this.needs = needsOf(this.#gradients);
  }

  protected setup(): void {
    const T = this.T;
    this.#k = mathKernels('gradnorm.attach');
    this.#w = new Float64Array(T).fill(1);
    this.#initial = new Float64Array(T).fill(NaN);
    this.#adam = new ScalarAdam(T);
    this.#norms = new Float64Array(T);
    this.#grad = new Float64Array(T);
    this.#update = new Uint8Array(T);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const T = this.T, k = this.#k!;
    const { losses, active, learningRate: lr } = input;
    const gram = input.gram!;
    const w = this.#w, L0 = this.#initial, norms = this.#norms, upd = this.#update, grad = this.#grad;

    let n = 0, sumG = 0, sumRatio = 0;
    for (let t = 0; t < T; t++) {
      const on = active[t] !== 0;
      out.taskWeights[t] = on ? w[t]! : 0;
      out.sharedCoefficients[t] = on ? w[t]! : 0;
      upd[t] = 0;
      if (!on) continue;
      if (!(L0[t]! > 0) && losses[t]! > 0) L0[t] = losses[t]!;
      if (!(L0[t]! > 0)) continue;
      upd[t] = 1;
      n++;
      norms[t] = Math.sqrt(Math.max(gram[t * T + t]!, 0));
      sumG += w[t]! * norms[t]!;
      sumRatio += losses[t]! / L0[t]!;
    }
    if (n === 0 || !(sumRatio > 0)) return;
    const meanG = sumG / n, meanRatio = sumRatio / n;

    let before = 0;
    for (let t = 0; t < T; t++) {
      if (upd[t] === 0) continue;
      const r = losses[t]! / L0[t]! / meanRatio;
      const target = meanG * k.mathPow(r, this.#alpha);
      const diff = w[t]! * norms[t]! - target;
      grad[t] = diff > 0 ? norms[t]! : diff < 0 ? -norms[t]! : 0;
      before += w[t]!;
    }
    let after = 0;
    for (let t = 0; t < T; t++) {
      if (upd[t] === 0) continue;
      const g = grad[t]!;
      let wt = this.#optimizer === 'sgd' ? w[t]! - lr * g : this.#adam.step(t, w[t]!, g, lr);
      wt = Math.max(wt, MIN_WEIGHT);
      w[t] = wt;
      after += wt;
    }
    const scale = before / after;
    for (let t = 0; t < T; t++) if (upd[t] !== 0) w[t] = w[t]! * scale;
  }

  protected override diverging(): Divergence | null {
    return firstNonFinite(this.#w) ?? this.#adam.firstNonFinite();
  }

  currentWeights(): Float64Array {
    this.attached('currentWeights');
    return this.#w.slice();
  }

  config(): Record<string, unknown> {
    return { type: this.type, alpha: this.#alpha, optimizer: this.#optimizer, gradients: this.#gradients };
  }

  protected save(): Record<string, unknown> {
    return { weights: toJson(this.#w), initialLosses: toJson(this.#initial), ...this.#adam.save() };
  }

  protected load(state: OptionRecord): void {
    const where = 'gradnorm.restore';
    const T = this.T;
    const w = new Float64Array(T), L0 = new Float64Array(T);
    fromJson(where, state, 'weights', w);
    fromJson(where, state, 'initialLosses', L0, true);
    checkEach(where, 'weights', w, (x) => x > 0, '> 0');
    this.#adam.load(where, state);
    this.#w.set(w); this.#initial.set(L0);
  }
}
