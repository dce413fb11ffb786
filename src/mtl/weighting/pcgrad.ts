// PCGrad, projecting conflicting gradients (Yu, Kumar, Gupta, Levine, Hausman &
// Finn 2020, "Gradient Surgery for Multi-Task Learning", Algorithm 1):
//
//   for each task i:  g_i^PC ← g_i
//     for each j ≠ i in a random order:
//       if g_i^PC · g_j < 0:   g_i^PC ← g_i^PC − (g_i^PC · g_j / ‖g_j‖²) · g_j
//   shared gradient = Σ_i g_i^PC
//
// (projections onto the original g_j, as in the paper and LibMTL). Every g_i^PC
// stays a linear combination Σ_k C_ik g_k of the task gradients: C starts as the
// identity, g_i^PC·g_j = Σ_k C_ik Gram_kj, and a projection subtracts
// (g_i^PC·g_j / Gram_jj) from C_ij. The shared coefficient of task k is Σ_i C_ik.
// Task weights (for each task's own parameters) are 1.
//
// The order of the j is a fresh Fisher–Yates shuffle for each i, drawn from the
// seeded ctx.rng (32-bit outputs, Lemire's bounded integers). The paper and LibMTL
// work on the gradients of the shared parameters, so needs.gradients is
// 'parameters' unless the spec's `gradients` says otherwise.
//
// Inactive tasks take no part (coefficient and weight 0; nothing is drawn for
// them). currentWeights() is each task's mean shared coefficient over the latest
// epoch's steps in which it was active (NaN if it never was).

import { ArgumentError } from '../../runtime/errors.js';
import { checkKeys, choiceOption, type OptionRecord } from '../../runtime/validate.js';
import { GRADIENT_SOURCES, ReportingStrategy, addCombinations, needsOf, othersShuffled, startCombining, type GradientSource } from './common.js';
import type { WeightingNeeds, WeightingStepInput, WeightingStepOutput } from './types.js';

export interface PcgradWeightingSpec {
  type: 'pcgrad';
  /** Which per-task gradients the Gram matrix is built from. Default 'parameters' (the paper's). */
  gradients?: GradientSource;
}

export class PcgradWeighting extends ReportingStrategy {
  readonly type = 'pcgrad';
  readonly needs: WeightingNeeds;
  readonly #gradients: GradientSource;
  #active = new Int32Array(0); // indices of the active tasks
  #order = new Int32Array(0);
  #C = new Float64Array(0); //    T×T, rows and columns indexed by task

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'gradients']);
    this.#gradients = choiceOption(where, spec, 'gradients', 'parameters', GRADIENT_SOURCES);
    this.needs = needsOf(this.#gradients);
  }

  protected override setup(): void {
    super.setup();
    if (this.rng === null) throw new ArgumentError('pcgrad.attach: the context has no rng (PCGrad draws its task orders)');
    const T = this.T;
    this.#active = new Int32Array(T);
    this.#order = new Int32Array(T);
    this.#C = new Float64Array(T * T);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const T = this.T, G = input.gram!, C = this.#C, act = this.#active, order = this.#order;
    const n = startCombining(input.active, out, act, T);
    C.fill(0);
    for (let a = 0; a < n; a++) {
      const i = act[a]!;
      C[i * T + i] = 1;
      const m = othersShuffled(this.rng!, act, n, a, order);
      for (let o = 0; o < m; o++) {
        const j = order[o]!;
        const gjj = G[j * T + j]!;
        if (!(gjj > 0)) continue; // g_j = 0: nothing conflicts with it
        let dot = 0;
        for (let b = 0; b < n; b++) {
          const k = act[b]!;
          dot += C[i * T + k]! * G[k * T + j]!;
        }
        if (dot < 0) C[i * T + j] = C[i * T + j]! - dot / gjj;
      }
    }
    addCombinations(C, T, act, n, out);
    this.report.add(input.epoch, out.sharedCoefficients, input.active);
  }

  config(): Record<string, unknown> {
    return { type: this.type, gradients: this.#gradients };
  }
}
