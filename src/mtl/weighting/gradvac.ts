// GradVac, gradient vaccine (Wang, Tsvetkov, Firat & Cao 2021, "Gradient Vaccine:
// Investigating and Improving Multi-task Optimization in Massively Multilingual
// Models"; LibMTL's GradVac, whole-model granularity, its default):
//
//   for each task i:  g_i' ← g_i
//     for each j ≠ i in a random order:
//       ρ_ij = cos(g_i', g_j)
//       if ρ_ij < ρ̂_ij:  g_i' ← g_i' + ‖g_i'‖ (ρ̂_ij √(1−ρ_ij²) − ρ_ij √(1−ρ̂_ij²)) / (‖g_j‖ √(1−ρ̂_ij²)) · g_j
//       ρ̂_ij ← (1 − β) ρ̂_ij + β ρ_ij          (an EMA of the observed similarity, ρ̂ starting at 0)
//   shared gradient = Σ_i g_i'
//
// Where PCGrad only removes conflict (it projects until ρ = 0), GradVac raises
// each pair's cosine to the similarity the pair has had on average: the added
// multiple of g_j makes cos(g_i', g_j) = ρ̂_ij exactly. With every ρ̂ = 0 (the first
// step) it is PCGrad. As PCGrad, every g_i' stays a linear combination Σ_k C_ik g_k
// of the task gradients, so the Gram matrix is all it needs: ‖g_i'‖² = C_i G C_iᵀ,
// g_i'·g_j = (C G)_ij. β = `beta` (default 0.5, LibMTL's; the paper uses 0.01).
// LibMTL's 1e-8 guards are replaced by skipping what they guard: a pair where
// either vector is 0 (ρ taken as 0, no change) or ρ̂ = ±1 (√(1−ρ̂²) = 0). The
// orders are Fisher–Yates shuffles from the seeded ctx.rng, as PCGrad's. LibMTL's
// per-layer and per-matrix granularities (GradVac_group_type 1, 2) are not offered:
// they need each parameter group's gradients, which the Gram matrix does not keep.
// Task weights are 1.
//
// Cost per step: per-task gradients of the shared parameters (default; or of the
// representation), O(T³) arithmetic on the Gram matrix.
//
// Inactive tasks take no part (nothing drawn for them, their ρ̂ untouched).
// currentWeights() is each task's mean shared coefficient over the latest epoch's
// steps in which it was active.

import { ArgumentError } from '../../runtime/errors.js';
import { checkKeys, choiceOption, numberOption, type OptionRecord } from '../../runtime/validate.js';
import { GRADIENT_SOURCES, ReportingStrategy, addCombinations, checkEach, fromJson, needsOf, othersShuffled, startCombining, toJson, type GradientSource } from './common.js';
import type { WeightingNeeds, WeightingStepInput, WeightingStepOutput } from './types.js';

export interface GradVacWeightingSpec {
  type: 'gradvac';
  /** The EMA rate β of the target similarities, in [0, 1]. Default 0.5 (LibMTL's). */
  beta?: number;
  /** Which per-task gradients the Gram matrix is built from. Default 'parameters'. */
  gradients?: GradientSource;
}

export class GradVacWeighting extends ReportingStrategy {
  readonly type = 'gradvac';
  readonly needs: WeightingNeeds;
  readonly #beta: number;
  readonly #gradients: GradientSource;
  #targets = new Float64Array(0); // ρ̂, T×T
  #active = new Int32Array(0);
  #order = new Int32Array(0);
  #C = new Float64Array(0);

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'beta', 'gradients']);
    this.#beta = numberOption(where, spec, 'beta', 0.5, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
    this.#gradients = choiceOption(where, spec, 'gradients', 'parameters', GRADIENT_SOURCES);
    this.needs = needsOf(this.#gradients);
  }

  protected override setup(): void {
    super.setup();
    if (this.rng === null) throw new ArgumentError('gradvac.attach: the context has no rng (GradVac draws its task orders)');
    const T = this.T;
    this.#targets = new Float64Array(T * T);
    this.#active = new Int32Array(T);
    this.#order = new Int32Array(T);
    this.#C = new Float64Array(T * T);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const T = this.T, G = input.gram!, C = this.#C, R = this.#targets, act = this.#active, order = this.#order, beta = this.#beta;
    const n = startCombining(input.active, out, act, T);
    C.fill(0);
    for (let a = 0; a < n; a++) {
      const i = act[a]!;
      C[i * T + i] = 1;
      const m = othersShuffled(this.rng!, act, n, a, order);
      for (let o = 0; o < m; o++) {
        const j = order[o]!;
        // ‖g_i'‖², g_i'·g_j over the active tasks' coefficients.
        let norm2 = 0, dot = 0;
        for (let b = 0; b < n; b++) {
          const k = act[b]!;
          const cik = C[i * T + k]!;
          if (cik === 0) continue;
          dot += cik * G[k * T + j]!;
          for (let c = 0; c < n; c++) norm2 += cik * G[k * T + act[c]!]! * C[i * T + act[c]!]!;
        }
        const normI = Math.sqrt(Math.max(norm2, 0)), normJ = Math.sqrt(Math.max(G[j * T + j]!, 0));
        const rho = normI > 0 && normJ > 0 ? Math.min(1, Math.max(-1, dot / (normI * normJ))) : 0;
        const target = R[i * T + j]!;
        const room = 1 - target * target;
        if (rho < target && room > 0 && normI > 0 && normJ > 0) {
          const w = (normI * (target * Math.sqrt(1 - rho * rho) - rho * Math.sqrt(room))) / (normJ * Math.sqrt(room));
          C[i * T + j] = C[i * T + j]! + w;
        }
        R[i * T + j] = (1 - beta) * target + beta * rho;
      }
    }
    addCombinations(C, T, act, n, out);
    this.report.add(input.epoch, out.sharedCoefficients, input.active);
  }

  /** The target similarities ρ̂ (T×T, row-major; a copy). */
  targets(): Float64Array {
    this.attached('targets');
    return this.#targets.slice();
  }

  config(): Record<string, unknown> {
    return { type: this.type, beta: this.#beta, gradients: this.#gradients };
  }

  protected override save(): Record<string, unknown> {
    return { targets: toJson(this.#targets), ...super.save() };
  }

  protected override load(state: OptionRecord): void {
    const where = 'gradvac.restore';
    const R = new Float64Array(this.T * this.T);
    fromJson(where, state, 'targets', R);
    checkEach(where, 'targets', R, (x) => x >= -1 && x <= 1, 'in [−1, 1]');
    super.load(state);
    this.#targets.set(R);
  }
}
