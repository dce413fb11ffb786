// Nash-MTL, multi-task learning as a bargaining game (Navon, Shamsian, Achituve,
// Maron, Kawaguchi, Chechik & Fetaya 2022; LibMTL's Nash_MTL, from the authors'
// code):
//
//   Ĝ = G / ‖G‖_F                       (the Gram matrix of the task gradients, normalized)
//   α > 0 with  Ĝ α = 1/α                (the Nash bargaining solution: (Ĝα)_t·α_t = 1 for every t)
//   update d = Σ_t α_t g_t, clipped to ‖d‖ ≤ maxNorm
//
// The paper's α maximizes Σ_t log(g_t·d) over ‖d‖ ≤ 1; its first-order
// condition is Gα = 1/α. Where LibMTL runs up to 20 rounds of a sequential convex
// approximation through cvxpy/ECOS, this solves the equation exactly: α minimizes
// the strictly convex ½αᵀĜα − Σ_t log α_t, by Newton's method with a
// positivity-keeping line search (linalg.ts balance). For orthogonal gradients
// α_t = 1/‖ĝ_t‖. The weights are LibMTL's: α of the normalized Ĝ, used as loss
// weights, so each task's own parameters see α_t as well (taskWeights =
// sharedCoefficients = α before clipping). maxNorm (default 1, LibMTL's max_norm)
// clips the shared part's combined gradient as torch's clip_grad_norm_ does:
// coefficients × maxNorm/(‖d‖ + 1e-6) when that is below 1, ‖d‖² = αᵀGα from the
// raw Gram matrix — of the shared parameters' gradients by default, or of the
// representation's with `gradients: 'representation'`; 0 turns clipping off.
// updateWeightsEvery (default 1) recomputes α only every so many steps and reuses
// it between (the per-task gradients are still computed on every step), or
// sooner when a task takes part that was not in the last solve.
//
// A 1e-10 ridge on Ĝ's diagonal (relative to its largest entry) keeps a solution
// in existence when the gradients are linearly dependent with no solution (g₁ =
// −g₂); α then grows like 1/√ridge: the bargaining has no good answer there.
// A task whose gradient vanishes (‖g_t‖² ≤ 1e-20 of the largest) has no
// bargaining position: it takes no part this step (weight and coefficient 0).
//
// Cost per step: per-task gradients of the shared parameters (default; or of the
// representation), and a T×T Newton solve (a few iterations).
//
// Inactive tasks are left out (weight and coefficient 0). currentWeights() is each
// task's mean α over the latest epoch's steps in which it was active.

import { checkKeys, choiceOption, integerOption, numberOption, type OptionRecord } from '../../runtime/validate.js';
import type { Kernels } from '../../runtime/abi.js';
import { GRADIENT_SOURCES, ReportingStrategy, checkEach, fromJson, integerState, keepWithGradient, mathKernels, needsOf, startCombining, toJson, type GradientSource } from './common.js';
import { SmallLinalg } from './linalg.js';
import type { WeightingNeeds, WeightingStepInput, WeightingStepOutput } from './types.js';

export interface NashMtlWeightingSpec {
  type: 'nashmtl';
  /** Clip the combined shared gradient to this norm (0: no clipping). Default 1. */
  maxNorm?: number;
  /** Solve for α every this many steps, reusing it in between. Default 1. */
  updateWeightsEvery?: number;
  /** Which per-task gradients the Gram matrix is built from. Default 'parameters' (the paper's). */
  gradients?: GradientSource;
}

export const BALANCE_RIDGE = 1e-10;

export class NashMtlWeighting extends ReportingStrategy {
  readonly type = 'nashmtl';
  readonly needs: WeightingNeeds;
  readonly #maxNorm: number;
  readonly #every: number;
  readonly #gradients: GradientSource;
  #k: Kernels | null = null;
  #alpha = new Float64Array(0); // the last solved α per task (0: not in the last solve)
  #steps = 0;
  #active = new Int32Array(0);
  #G = new Float64Array(0);
  #linalg = new SmallLinalg(0);

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'maxNorm', 'updateWeightsEvery', 'gradients']);
    this.#maxNorm = numberOption(where, spec, 'maxNorm', 1, (v) => v >= 0, 'a finite number ≥ 0');
    this.#every = integerOption(where, spec, 'updateWeightsEvery', 1, 1);
    this.#gradients = choiceOption(where, spec, 'gradients', 'parameters', GRADIENT_SOURCES);
    this.needs = needsOf(this.#gradients);
  }

  protected override setup(): void {
    super.setup();
    const T = this.T;
    this.#k = mathKernels('nashmtl.attach');
    this.#alpha = new Float64Array(T);
    this.#steps = 0;
    this.#active = new Int32Array(T);
    this.#G = new Float64Array(T * T);
    this.#linalg = new SmallLinalg(T);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const T = this.T, gram = input.gram!, act = this.#active, alpha = this.#alpha;
    // Tasks with no gradient to bargain with sit out.
    const n = keepWithGradient(gram, T, act, startCombining(input.active, out, act, T), out);
    let stale = this.#steps % this.#every === 0;
    for (let i = 0; i < n; i++) if (alpha[act[i]!] === 0) stale = true; // not in the last solve
    if (stale) {
      alpha.fill(0);
      if (n > 0) {
        const G = this.#G;
        let frobenius = 0;
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) { const v = gram[act[i]! * T + act[j]!]!; G[i * n + j] = v; frobenius += v * v; }
        }
        frobenius = Math.sqrt(frobenius);
        for (let i = 0; i < n * n; i++) G[i] = G[i]! / frobenius;
        const la = this.#linalg;
        la.balance(this.#k!, G, n, 1, BALANCE_RIDGE);
        for (let i = 0; i < n; i++) alpha[act[i]!] = la.x[i]!;
      }
    }
    this.#steps++;
    // ‖d‖² = αᵀGα over the tasks taking part.
    let norm2 = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) norm2 += alpha[act[i]!]! * gram[act[i]! * T + act[j]!]! * alpha[act[j]!]!;
    }
    const norm = Math.sqrt(Math.max(norm2, 0));
    const clip = this.#maxNorm > 0 ? Math.min(1, this.#maxNorm / (norm + 1e-6)) : 1;
    for (let i = 0; i < n; i++) {
      const t = act[i]!;
      out.taskWeights[t] = alpha[t]!;
      out.sharedCoefficients[t] = alpha[t]! * clip;
    }
    this.report.add(input.epoch, out.taskWeights, input.active);
  }

  config(): Record<string, unknown> {
    return { type: this.type, maxNorm: this.#maxNorm, updateWeightsEvery: this.#every, gradients: this.#gradients };
  }

  protected override save(): Record<string, unknown> {
    return { alpha: toJson(this.#alpha), steps: this.#steps, ...super.save() };
  }

  protected override load(state: OptionRecord): void {
    const where = 'nashmtl.restore';
    const alpha = new Float64Array(this.T);
    fromJson(where, state, 'alpha', alpha);
    const steps = integerState(where, state, 'steps', 0);
    checkEach(where, 'alpha', alpha, (x) => x >= 0, '≥ 0');
    super.load(state);
    this.#alpha.set(alpha);
    this.#steps = steps;
  }
}
