// FairGrad, fair resource allocation in multi-task learning (Ban & Ji 2024, "Fair
// Resource Allocation in Multi-Task Learning"; LibMTL's FairGrad, from the
// authors' code):
//
//   w > 0 with  G w = w^(−1/α)          ((Gw)_t = g_t·d is task t's "utility" of d = Σ_s w_s g_s)
//   update d = Σ_t w_t g_t              (w used as loss weights)
//
// the optimality condition of α-fair allocation, max_d Σ_t (g_t·d)^(1−α)/(1−α)
// (log for α = 1) over a ball: α = 1 is proportional fairness — the same equation
// as Nash-MTL's, without the normalization; α → 0 maximizes the total; α → ∞
// approaches max-min fairness. Where LibMTL calls scipy's least_squares on the
// residual Gw − w^(−1/α) from w = 1/T, this solves it exactly: w minimizes the
// strictly convex ½wᵀGw − Σ_t φ(w_t), φ' = w^(−1/α), by Newton's method (linalg.ts
// balance; pow from the kernel module). For orthogonal gradients
// w_t = ‖g_t‖^(−2α/(α+1)). LibMTL uses w as the weights of the whole loss, so
// taskWeights = sharedCoefficients = w.
//
// As for Nash-MTL: a 1e-10 ridge (relative to the largest ‖g_t‖²) keeps a solution
// in existence for linearly dependent gradients, and a task whose gradient
// vanishes (‖g_t‖² ≤ 1e-20 of the largest) takes no part (weight 0).
//
// Cost per step: per-task gradients of the shared parameters (default; or of the
// representation), and a T×T Newton solve.
//
// Inactive tasks are left out (weight and coefficient 0). currentWeights() is each
// task's mean weight over the latest epoch's steps in which it was active.

import { checkKeys, choiceOption, numberOption, type OptionRecord } from '../../runtime/validate.js';
import type { Kernels } from '../../runtime/abi.js';
import { GRADIENT_SOURCES, ReportingStrategy, activeGram, keepWithGradient, mathKernels, needsOf, startCombining, type GradientSource } from './common.js';
import { SmallLinalg } from './linalg.js';
import { BALANCE_RIDGE } from './nashmtl.js';
import type { WeightingNeeds, WeightingStepInput, WeightingStepOutput } from './types.js';

export interface FairGradWeightingSpec {
  type: 'fairgrad';
  /** The fairness α > 0 (1: proportional fairness). Default 1. */
  alpha?: number;
  /** Which per-task gradients the Gram matrix is built from. Default 'parameters' (the paper's). */
  gradients?: GradientSource;
}

export class FairGradWeighting extends ReportingStrategy {
  readonly type = 'fairgrad';
  readonly needs: WeightingNeeds;
  readonly #alpha: number;
  readonly #gradients: GradientSource;
  #k: Kernels | null = null;
  #active = new Int32Array(0);
  #G = new Float64Array(0);
  #linalg = new SmallLinalg(0);

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'alpha', 'gradients']);
    this.#alpha = numberOption(where, spec, 'alpha', 1, (v) => v > 0, 'a finite number > 0');
    this.#gradients = choiceOption(where, spec, 'gradients', 'parameters', GRADIENT_SOURCES);
    this.needs = needsOf(this.#gradients);
  }

  protected override setup(): void {
    super.setup();
    const T = this.T;
    this.#k = mathKernels('fairgrad.attach');
    this.#active = new Int32Array(T);
    this.#G = new Float64Array(T * T);
    this.#linalg = new SmallLinalg(T);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const T = this.T, gram = input.gram!, act = this.#active;
    const n = keepWithGradient(gram, T, act, startCombining(input.active, out, act, T), out);
    if (n > 0) {
      activeGram(gram, T, act, n, this.#G);
      const la = this.#linalg;
      la.balance(this.#k!, this.#G, n, 1 / this.#alpha, BALANCE_RIDGE);
      for (let i = 0; i < n; i++) {
        const t = act[i]!;
        out.taskWeights[t] = la.x[i]!;
        out.sharedCoefficients[t] = la.x[i]!;
      }
    }
    this.report.add(input.epoch, out.taskWeights, input.active);
  }

  config(): Record<string, unknown> {
    return { type: this.type, alpha: this.#alpha, gradients: this.#gradients };
  }
}
