// Krum and Multi-Krum (Blanchard, El Mhamdi, Guerraoui & Stainer 2017, "Machine
// Learning with Adversaries: Byzantine Tolerant Gradient Descent"; torchjd's Krum):
//
//   d_ij = ‖g_i − g_j‖ = √(G_ii + G_jj − 2G_ij)
//   score_i = Σ of the T − f − 2 smallest d_ij over j ≠ i        (f = nByzantine)
//   update = the mean of the m = nSelected gradients with the lowest scores
//
// A robust aggregator: a task whose gradient sits far from the others' (an
// outlier, or a task that pulls against the rest) is left out of the shared
// update; with m = 1 the shared part follows the single most central task. Ties
// in the score go to the task that comes first. Needs T ≥ f + 3 and T ≥ m
// (checked when attached); a step with fewer active tasks than that averages the
// active ones (no choice to make). Task weights are 1.
//
// Cost per step: per-task gradients of the shared parameters (default; or of the
// representation); the distances come from the Gram matrix.
//
// Inactive tasks are left out (weight and coefficient 0). currentWeights() is each
// task's mean coefficient over the latest epoch's steps in which it was active: the
// fraction of steps it was selected, over m.

import { ArgumentError } from '../../runtime/errors.js';
import { checkKeys, choiceOption, integerOption, type OptionRecord } from '../../runtime/validate.js';
import { GRADIENT_SOURCES, ReportingStrategy, needsOf, startCombining, type GradientSource } from './common.js';
import type { WeightingNeeds, WeightingStepInput, WeightingStepOutput } from './types.js';

export interface KrumWeightingSpec {
  type: 'krum';
  /** f, how many task gradients may be outliers. Default 0. */
  nByzantine?: number;
  /** m, how many of the best-scored gradients are averaged (Multi-Krum). Default 1. */
  nSelected?: number;
  /** Which per-task gradients the Gram matrix is built from. Default 'parameters'. */
  gradients?: GradientSource;
}

export class KrumWeighting extends ReportingStrategy {
  readonly type = 'krum';
  readonly needs: WeightingNeeds;
  readonly #byzantine: number;
  readonly #selected: number;
  readonly #gradients: GradientSource;
  #active = new Int32Array(0);
  #distances = new Float64Array(0);
  #scores = new Float64Array(0);
  #order = new Int32Array(0);

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'nByzantine', 'nSelected', 'gradients']);
    this.#byzantine = integerOption(where, spec, 'nByzantine', 0, 0);
    this.#selected = integerOption(where, spec, 'nSelected', 1, 1);
    this.#gradients = choiceOption(where, spec, 'gradients', 'parameters', GRADIENT_SOURCES);
    this.needs = needsOf(this.#gradients);
  }

  protected override setup(): void {
    super.setup();
    const T = this.T;
    if (T < this.#byzantine + 3) {
      throw new ArgumentError(`krum.attach: nByzantine ${this.#byzantine} needs at least ${this.#byzantine + 3} tasks (nByzantine + 3), the model has ${T}`);
    }
    if (T < this.#selected) throw new ArgumentError(`krum.attach: nSelected ${this.#selected} is more than the ${T} tasks`);
    this.#active = new Int32Array(T);
    this.#distances = new Float64Array(T);
    this.#scores = new Float64Array(T);
    this.#order = new Int32Array(T);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const T = this.T, G = input.gram!, act = this.#active, dist = this.#distances, scores = this.#scores, order = this.#order;
    const n = startCombining(input.active, out, act, T);
    const m = this.#selected, closest = n - this.#byzantine - 2;
    if (n < this.#byzantine + 3 || n < m) {
      for (let i = 0; i < n; i++) out.sharedCoefficients[act[i]!] = 1 / n;
    } else {
      for (let i = 0; i < n; i++) {
        const ti = act[i]!;
        // The distances to the others, sorted ascending (insertion), then the `closest` smallest summed.
        let k = 0;
        for (let j = 0; j < n; j++) {
          if (j === i) continue;
          const tj = act[j]!;
          const v = Math.sqrt(Math.max(G[ti * T + ti]! + G[tj * T + tj]! - 2 * G[ti * T + tj]!, 0));
          let p = k++;
          for (; p > 0 && dist[p - 1]! > v; p--) dist[p] = dist[p - 1]!;
          dist[p] = v;
        }
        let score = 0;
        for (let j = 0; j < closest; j++) score += dist[j]!;
        scores[i] = score;
        // Rank by score, ties to the earlier task (a stable insertion).
        let p = i;
        for (; p > 0 && scores[order[p - 1]!]! > score; p--) order[p] = order[p - 1]!;
        order[p] = i;
      }
      for (let r = 0; r < m; r++) out.sharedCoefficients[act[order[r]!]!] = 1 / m;
    }
    this.report.add(input.epoch, out.sharedCoefficients, input.active);
  }

  config(): Record<string, unknown> {
    return { type: this.type, nByzantine: this.#byzantine, nSelected: this.#selected, gradients: this.#gradients };
  }
}
