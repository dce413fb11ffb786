// ConFIG, conflict-free gradients (Liu, Chu & Thuerey 2024, "ConFIG: Towards
// Conflict-free Training of Physics Informed Neural Networks", Equation 2;
// torchjd's ConFIG):
//
//   u_t = g_t / ‖g_t‖                   (unit gradients, the rows of U)
//   b = U⁺ · 1                          (the least-norm b with u_t·b = 1 for every t)
//   d = (Σ_t g_t · b̂) · b̂,   b̂ = b / ‖b‖
//
// d makes the same angle with every task gradient (u_t·d equal for all t, so
// positive: no conflict), and its length is the sum of the gradients' projections
// on that direction. From the Gram matrix: U Uᵀ = C, the cosine matrix
// C_st = G_st/(‖g_s‖‖g_t‖), and U⁺ = Uᵀ C⁺, so b = Σ_t a_t g_t with a_t = (C⁺1)_t/‖g_t‖;
// ‖b‖² = aᵀGa and Σ_t g_t·b = 1ᵀGa, giving the coefficients a·(1ᵀGa)/(aᵀGa). C⁺ is a pseudo-inverse (Jacobi eigendecomposition, eigenvalues
// below λ_max·T·2⁻²³ dropped); a task with ‖g_t‖ = 0 has a zero row in U, as
// torchjd's nan_to_num gives it, and b = 0 gives d = 0. No preference vector
// (torchjd's default, all ones). Task weights are 1.
//
// Cost per step: per-task gradients of the shared parameters (default; or of the
// representation), a T×T eigendecomposition.
//
// Inactive tasks are left out (weight and coefficient 0). currentWeights() is each
// task's mean coefficient over the latest epoch's steps in which it was active.

import { checkKeys, choiceOption, type OptionRecord } from '../../runtime/validate.js';
import { GRADIENT_SOURCES, ReportingStrategy, needsOf, startCombining, type GradientSource } from './common.js';
import { PINV_RTOL, SmallLinalg } from './linalg.js';
import type { WeightingNeeds, WeightingStepInput, WeightingStepOutput } from './types.js';

export interface ConfigWeightingSpec {
  type: 'config';
  /** Which per-task gradients the Gram matrix is built from. Default 'parameters'. */
  gradients?: GradientSource;
}

export class ConfigWeighting extends ReportingStrategy {
  readonly type = 'config';
  readonly needs: WeightingNeeds;
  readonly #gradients: GradientSource;
  #active = new Int32Array(0);
  #C = new Float64Array(0);
  #norms = new Float64Array(0);
  #ones = new Float64Array(0);
  #a = new Float64Array(0);
  #linalg = new SmallLinalg(0);

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'gradients']);
    this.#gradients = choiceOption(where, spec, 'gradients', 'parameters', GRADIENT_SOURCES);
    this.needs = needsOf(this.#gradients);
  }

  protected override setup(): void {
    super.setup();
    const T = this.T;
    this.#active = new Int32Array(T);
    this.#C = new Float64Array(T * T);
    this.#norms = new Float64Array(T);
    this.#ones = new Float64Array(T).fill(1);
    this.#a = new Float64Array(T);
    this.#linalg = new SmallLinalg(T);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const T = this.T, G = input.gram!, act = this.#active, C = this.#C, norms = this.#norms, a = this.#a;
    const n = startCombining(input.active, out, act, T);
    for (let i = 0; i < n; i++) norms[i] = Math.sqrt(Math.max(G[act[i]! * T + act[i]!]!, 0));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const d = norms[i]! * norms[j]!;
        C[i * n + j] = d > 0 ? G[act[i]! * T + act[j]!]! / d : 0;
      }
    }
    if (n > 0) {
      const la = this.#linalg;
      la.eigen(C, n);
      let top = 0;
      for (let i = 0; i < n; i++) top = Math.max(top, la.values[i]!);
      la.pinvApply(this.#ones, n, top * n * PINV_RTOL);
      for (let i = 0; i < n; i++) a[i] = norms[i]! > 0 ? la.x[i]! / norms[i]! : 0;
      let quadratic = 0, total = 0; // aᵀGa = ‖b‖², 1ᵀGa = Σ_t g_t·b
      for (let i = 0; i < n; i++) {
        let gi = 0;
        for (let j = 0; j < n; j++) gi += G[act[i]! * T + act[j]!]! * a[j]!;
        quadratic += a[i]! * gi;
        total += gi;
      }
      if (quadratic > 0) {
        for (let i = 0; i < n; i++) out.sharedCoefficients[act[i]!] = (a[i]! * total) / quadratic;
      }
    }
    this.report.add(input.epoch, out.sharedCoefficients, input.active);
  }

  config(): Record<string, unknown> {
    return { type: this.type, gradients: this.#gradients };
  }
}
