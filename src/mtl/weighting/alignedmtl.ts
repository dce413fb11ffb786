// Aligned-MTL, independent component alignment (Senushkin, Patakin, Kuznetsov &
// Konushin 2023, "Independent Component Alignment for Multi-Task Learning",
// Algorithm 1; LibMTL's Aligned_MTL, from the authors' code):
//
//   G = V Λ Vᵀ                          (eigendecomposition of the T×T Gram matrix)
//   keep the eigenvalues λ_i > λ_max·T·2⁻²³ (the numerical rank r)
//   B = √σ · V_r Λ_r^(−1/2) V_rᵀ,       σ = λ_min of the kept ('min', the paper's)
//   α = B·1,  update d = Σ_t α_t g_t
//
// The aligned gradients G_matrix·B are orthogonal with equal norms √σ (BGB = σ·I on
// the span): the system of task gradients is made as well conditioned as it can
// be, stretched to the smallest singular value, and the update is their sum. For
// orthogonal gradients, α_t = min_s ‖g_s‖ / ‖g_t‖: every gradient rescaled to the
// smallest norm. `scale` 'median' or 'mean' takes σ as the median (the lower of
// the two middle values) or mean kept eigenvalue instead, as torchjd's scale_mode
// offers ('rmse' there). The eigendecomposition is Jacobi's (linalg.ts), in f64.
// Task weights are 1 (LibMTL's task-specific parameters get the plain gradients).
//
// Cost per step: per-task gradients (needs.gradients 'either': of the shared
// representation unless the model asks for 'parameters'), a T×T eigendecomposition.
//
// Inactive tasks are left out (weight and coefficient 0). currentWeights() is each
// task's mean α over the latest epoch's steps in which it was active.

import { checkKeys, choiceOption, type OptionRecord } from '../../runtime/validate.js';
import { GRADIENT_SOURCES, ReportingStrategy, activeGram, needsOf, startCombining, type GradientSource } from './common.js';
import { PINV_RTOL, SmallLinalg } from './linalg.js';
import type { WeightingNeeds, WeightingStepInput, WeightingStepOutput } from './types.js';

export type AlignedMtlScale = 'min' | 'median' | 'mean';
const SCALES: readonly AlignedMtlScale[] = ['min', 'median', 'mean'];

export interface AlignedMtlWeightingSpec {
  type: 'alignedmtl';
  /** Which kept eigenvalue sets the aligned norm: 'min' (default, the paper's), 'median' or 'mean'. */
  scale?: AlignedMtlScale;
  /** Which per-task gradients the Gram matrix is built from. Default 'either' (the trainer picks the representation; the shared parameters on crossStitch). */
  gradients?: GradientSource;
}

export class AlignedMtlWeighting extends ReportingStrategy {
  readonly type = 'alignedmtl';
  readonly needs: WeightingNeeds;
  readonly #scale: AlignedMtlScale;
  readonly #gradients: GradientSource;
  #active = new Int32Array(0);
  #G = new Float64Array(0);
  #kept = new Float64Array(0);
  #linalg = new SmallLinalg(0);

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'scale', 'gradients']);
    this.#scale = choiceOption(where, spec, 'scale', 'min', SCALES);
    this.#gradients = choiceOption(where, spec, 'gradients', 'either', GRADIENT_SOURCES);
    this.needs = needsOf(this.#gradients);
  }

  protected override setup(): void {
    super.setup();
    const T = this.T;
    this.#active = new Int32Array(T);
    this.#G = new Float64Array(T * T);
    this.#kept = new Float64Array(T);
    this.#linalg = new SmallLinalg(T);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const T = this.T, act = this.#active;
    const n = startCombining(input.active, out, act, T);
    if (n > 0) {
      activeGram(input.gram!, T, act, n, this.#G);
      const la = this.#linalg;
      la.eigen(this.#G, n);
      let top = 0;
      for (let i = 0; i < n; i++) top = Math.max(top, la.values[i]!);
      const tol = top * n * PINV_RTOL;
      // The kept eigenvalues, ascending (insertion sort), for σ.
      const kept = this.#kept;
      let r = 0;
      for (let i = 0; i < n; i++) {
        const l = la.values[i]!;
        if (!(l > tol)) continue;
        let j = r++;
        for (; j > 0 && kept[j - 1]! > l; j--) kept[j] = kept[j - 1]!;
        kept[j] = l;
      }
      if (r > 0) {
        let sigma = kept[0]!;
        if (this.#scale === 'median') sigma = kept[(r - 1) >> 1]!;
        else if (this.#scale === 'mean') { sigma = 0; for (let i = 0; i < r; i++) sigma += kept[i]!; sigma /= r; }
        const root = Math.sqrt(sigma), V = la.vectors;
        // α = √σ·Σ_{kept i} v_i (v_i·1)/√λ_i
        for (let j = 0; j < n; j++) {
          const l = la.values[j]!;
          if (!(l > tol)) continue;
          let ones = 0;
          for (let i = 0; i < n; i++) ones += V[i * n + j]!;
          const f = (root * ones) / Math.sqrt(l);
          for (let i = 0; i < n; i++) {
            const t = act[i]!;
            out.sharedCoefficients[t] = out.sharedCoefficients[t]! + f * V[i * n + j]!;
          }
        }
      }
    }
    this.report.add(input.epoch, out.sharedCoefficients, input.active);
  }

  config(): Record<string, unknown> {
    return { type: this.type, scale: this.#scale, gradients: this.#gradients };
  }
}
