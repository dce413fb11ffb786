// CAGrad, conflict-averse gradient descent (Liu, Liu, Jin, Stone & Liu 2021,
// "Conflict-Averse Gradient Descent for Multi-task Learning"; LibMTL's CAGrad and
// the authors' code):
//
//   g₀ = (1/T) Σ_t g_t,   c' = c·‖g₀‖,   ‖g₀‖² = (1/T²) Σ_st Gram_st
//   w* = argmin_{w ∈ Δ}  g_w·g₀ + c'·‖g_w‖,   g_w = Σ_t w_t g_t
//        (= wᵀ·Gram·1/T + c'·√(wᵀ·Gram·w): the dual of max_d min_t g_t·d subject to ‖d − g₀‖ ≤ c')
//   d  = g₀ + (c' / ‖g_w*‖)·g_w*,  divided by 1 + c² (rescale 1, the default), 1 + c (rescale 2) or 1 (rescale 0)
//   sharedCoefficients_t = (1/T + λ·w*_t) / rescale,   λ = c'/‖g_w*‖
//
// c defaults to 0.5 (LibMTL, the authors' code) and must lie in [0, 1), the range
// of the paper's convergence result to a minimum of the average loss: for c ≥ 1
// the update is undefined at Pareto-stationary points (g_w* = 0). The shared
// gradient is on the scale of the *mean* task gradient, as in the paper (c = 0
// gives g₀, not Σ g_t). Where LibMTL calls scipy's SLSQP on the simplex problem,
// this solves it exactly: its optimality conditions are those of a min-norm
// problem on shifted gradients, solved by Wolfe's algorithm inside a bisection on
// the shift (simplex.ts). LibMTL's 1e-8 guards are left out; when g_w* vanishes
// (possible only in degenerate Pareto-stationary cases: with c < 1 and 0 inside
// the hull, g_w* points against g₀) λ is taken as 0 and the update is g₀. Task weights are 1. The paper and LibMTL use the shared
// parameters' gradients (needs.gradients 'parameters' unless the spec's
// `gradients` says otherwise).
//
// Inactive tasks are left out (T above counts the active ones; coefficient and
// weight 0). currentWeights() is each task's mean shared coefficient over the
// latest epoch's steps in which it was active (NaN if it never was).

import { checkKeys, choiceOption, numberOption, type OptionRecord } from '../../runtime/validate.js';
import { GRADIENT_SOURCES, ReportingStrategy, needsOf, startCombining, type GradientSource } from './common.js';
import { SimplexSolver } from './simplex.js';
import type { WeightingNeeds, WeightingStepInput, WeightingStepOutput } from './types.js';

export type CagradRescale = 0 | 1 | 2;

export interface CagradWeightingSpec {
  type: 'cagrad';
  /** The radius c of the ball around g₀, relative to ‖g₀‖, in [0, 1). Default 0.5. */
  c?: number;
  /** Divide the update by 1 (0), 1 + c² (1, the default) or 1 + c (2), as LibMTL's `rescale`. */
  rescale?: CagradRescale;
  /** Which per-task gradients the Gram matrix is built from. Default 'parameters' (the paper's). */
  gradients?: GradientSource;
}

/** ‖g_w‖ below this fraction of the largest ‖g_t‖ counts as 0 (λ = 0). */
const VANISHING = 1e-12;

export class CagradWeighting extends ReportingStrategy {
  readonly type = 'cagrad';
  readonly needs: WeightingNeeds;
  readonly #c: number;
  readonly #rescale: CagradRescale;
  readonly #gradients: GradientSource;
  #active = new Int32Array(0);
  #solver = new SimplexSolver(0);

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'c', 'rescale', 'gradients']);
    this.#c = numberOption(where, spec, 'c', 0.5, (v) => v >= 0 && v < 1, 'a number in [0, 1)');
    this.#rescale = choiceOption<CagradRescale>(where, spec, 'rescale', 1, [0, 1, 2]);
    this.#gradients = choiceOption(where, spec, 'gradients', 'parameters', GRADIENT_SOURCES);
    this.needs = needsOf(this.#gradients);
  }

  protected override setup(): void {
    super.setup();
    const T = this.T;
    this.#active = new Int32Array(T);
    this.#solver = new SimplexSolver(T);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const T = this.T, act = this.#active, c = this.#c;
    const n = startCombining(input.active, out, act, T);
    if (n > 0) {
      const divide = this.#rescale === 0 ? 1 : this.#rescale === 1 ? 1 + c * c : 1 + c;
      const solver = this.#solver;
      solver.load(input.gram!, T, act, n, null); // scaled so the largest ‖g_t‖² is 1
      // In the scaled units: c' = c·‖g₀‖ = c·√(Σ G)/n, and λ = c'/‖g_w*‖.
      const total = solver.total();
      const cScaled = total > 0 ? (c * Math.sqrt(total)) / n : 0;
      let lambda = 0;
      if (cScaled > 0) {
        solver.cagrad(cScaled);
        const norm = Math.sqrt(solver.quadratic());
        if (norm > VANISHING) lambda = cScaled / norm;
      }
      for (let i = 0; i < n; i++) {
        const w = lambda > 0 ? solver.w[i]! : 0;
        out.sharedCoefficients[act[i]!] = (1 / n + lambda * w) / divide;
      }
    }
    this.report.add(input.epoch, out.sharedCoefficients, input.active);
  }

  config(): Record<string, unknown> {
    return { type: this.type, c: this.#c, rescale: this.#rescale, gradients: this.#gradients };
  }
}
