// MGDA / MGDA-UB (Sener & Koltun 2018, "Multi-Task Learning as Multi-Objective
// Optimization"): the shared gradient is the min-norm point of the convex hull of
// the task gradients,
//
//   α* = argmin_{α ∈ Δ} ‖Σ_t α_t ĝ_t‖² = argmin αᵀĜα,      ĝ_t = g_t / n_t,  Ĝ_st = Gram_st / (n_s n_t)
//   shared gradient = Σ_t α*_t ĝ_t,  i.e. sharedCoefficients_t = α*_t / n_t
//
// With the representation gradients dL_t/dZ (needs.gradients 'either': the
// trainer's default) this is MGDA-UB, the paper's upper bound; with the shared
// parameters' gradients it is MGDA. Two tasks use the closed form
// α₁ = clamp(((g₂ − g₁)·g₂) / ‖g₁ − g₂‖², 0, 1), α₂ = 1 − α₁; more tasks use
// Frank–Wolfe in its fully-corrective form, Wolfe's min-norm-point algorithm, on Ĝ
// (simplex.ts): exact in finitely many steps, where the plain Frank–Wolfe of Sener
// & Koltun's MinNormSolver (250 iterations, tolerance 1e-5) stops short when Ĝ is
// ill-conditioned.
//
// `normalization` (LibMTL's mgda_gn): n_t = 1 ('none', the default, LibMTL's),
// ‖g_t‖ ('l2'), L_t ('loss'), or L_t·‖g_t‖ ('loss+'); an n_t that is not > 0 is
// taken as 1. The coefficients are those of the min-norm point of the normalized
// gradients (as LibMTL with parameter gradients), so the shared gradient d
// satisfies d·ĝ_t ≥ ‖d‖² for every task: a common descent direction. (Sener &
// Koltun's code instead applies α* to the unnormalized losses.) The task weights
// are 1, as in LibMTL.
//
// Inactive tasks are left out of the problem (coefficient and weight 0).
// currentWeights() is each task's mean shared coefficient over the latest epoch's
// steps in which it was active (NaN if it never was).

import { checkKeys, choiceOption, type OptionRecord } from '../../runtime/validate.js';
import { GRADIENT_SOURCES, ReportingStrategy, needsOf, startCombining, type GradientSource } from './common.js';
import { SimplexSolver } from './simplex.js';
import type { WeightingNeeds, WeightingStepInput, WeightingStepOutput } from './types.js';

export type MgdaNormalization = 'none' | 'l2' | 'loss' | 'loss+';
const NORMALIZATIONS: readonly MgdaNormalization[] = ['none', 'l2', 'loss', 'loss+'];

export interface MgdaWeightingSpec {
  type: 'mgda';
  /** Gradient normalization before the min-norm problem (LibMTL's mgda_gn). Default 'none'. */
  normalization?: MgdaNormalization;
  /** Which per-task gradients the Gram matrix is built from. Default 'either' (representation: MGDA-UB; the shared parameters on crossStitch). */
  gradients?: GradientSource;
}

export class MgdaWeighting extends ReportingStrategy {
  readonly type = 'mgda';
  readonly needs: WeightingNeeds;
  readonly #normalization: MgdaNormalization;
  readonly #gradients: GradientSource;
  #active = new Int32Array(0);
  #divisors = new Float64Array(0);
  #solver = new SimplexSolver(0);

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'normalization', 'gradients']);
    this.#normalization = choiceOption(where, spec, 'normalization', 'none', NORMALIZATIONS);
    this.#gradients = choiceOption(where, spec, 'gradients', 'either', GRADIENT_SOURCES);
    this.needs = needsOf(this.#gradients);
  }

  protected override setup(): void {
    super.setup();
    const T = this.T;
    this.#active = new Int32Array(T);
    this.#divisors = new Float64Array(T);
    this.#solver = new SimplexSolver(T);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const T = this.T, G = input.gram!, act = this.#active, div = this.#divisors, mode = this.#normalization;
    const n = startCombining(input.active, out, act, T);
    for (let i = 0; i < n; i++) {
      const t = act[i]!;
      const norm = Math.sqrt(Math.max(G[t * T + t]!, 0));
      const d = mode === 'none' ? 1 : mode === 'l2' ? norm : mode === 'loss' ? input.losses[t]! : input.losses[t]! * norm;
      div[i] = d > 0 && Number.isFinite(d) ? d : 1;
    }
    if (n > 0) {
      const solver = this.#solver;
      solver.load(G, T, act, n, mode === 'none' ? null : div);
      solver.minNorm();
      for (let i = 0; i < n; i++) out.sharedCoefficients[act[i]!] = solver.w[i]! / div[i]!;
    }
    this.report.add(input.epoch, out.sharedCoefficients, input.active);
  }

  config(): Record<string, unknown> {
    return { type: this.type, normalization: this.#normalization, gradients: this.#gradients };
  }
}
