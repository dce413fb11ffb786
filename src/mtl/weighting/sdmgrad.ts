// SDMGrad, stochastic direction-oriented multi-objective gradient descent (Xiao,
// Ban & Ji 2023, "Direction-oriented Multi-objective Learning: Simple and Provable
// Stochastic Algorithms"; LibMTL's SDMGrad, from the authors' code):
//
//   Ĝ = ξ₁ ξ₂ᵀ / s²,  s = mean_t √max(Ĝ_tt, 0)    (cross products of two independent samples' gradients)
//   w ← argmin over the simplex of ½ wᵀĜw + λ wᵀ(Ĝ·1/T), approximately:
//       `iterations` (20) steps of SGD with learning rate 5 and momentum 0.5 (fresh
//       each step), each followed by the Euclidean projection onto the simplex
//   update d = (Σ_t w_t ζ_t + λ·mean_t ζ_t) / (1 + λ)   (ζ: a third sample's gradients)
//
// The direction stays within a neighbourhood of the mean gradient (λ = `lambda`,
// default 0.3; 20 iterations: LibMTL's SDMGrad_lamda and SDMGrad_niter) while
// moving toward MGDA's conflict-avoiding direction; double sampling makes the
// weights' stochastic gradient unbiased. As MoDo (modo.ts, whose bookkeeping this
// shares): LibMTL draws three batches per step; here ξ₁ is the previous step's
// gradients, ξ₂ and ζ this step's, and the first step keeps w = 1/T. LibMTL's
// s² + 1e-8 is replaced by skipping the w update when s = 0. Task weights are 1.
//
// Cost per step: per-task gradients of the shared parameters (needs.vectors), one
// copy kept for the next step, T² dot products.
//
// Inactive tasks take no part: the w update runs over the active tasks (on their w
// rescaled to sum to 1, written back at the mass they had), and the update uses
// their w rescaled to sum to 1. currentWeights() is each task's mean coefficient
// (w_t + λ/n)/(1 + λ) over the latest epoch's steps in which it was active.

import { checkKeys, integerOption, numberOption, type OptionRecord } from '../../runtime/validate.js';
import type { Kernels } from '../../runtime/abi.js';
import { ReportingStrategy, checkEach, combineVectors, firstNonFinite, fromJson, mathKernels, needsOf, startCombining, toJson, type Divergence } from './common.js';
import { PreviousGradients } from './modo.js';
import { projectOntoSimplex } from './simplex.js';
import type { WeightingStepInput, WeightingStepOutput } from './types.js';

export interface SdmGradWeightingSpec {
  type: 'sdmgrad';
  /** λ ≥ 0, how strongly the direction is held near the mean gradient. Default 0.3. */
  lambda?: number;
  /** Projected-SGD iterations for w per step. Default 20. */
  iterations?: number;
}

const LEARNING_RATE = 5;
const MOMENTUM = 0.5;

export class SdmGradWeighting extends ReportingStrategy {
  readonly type = 'sdmgrad';
  readonly needs = needsOf('parameters', false, { vectors: true });
  readonly #lambda: number;
  readonly #iterations: number;
  #k: Kernels | null = null;
  #w = new Float64Array(0);
  #previous = new PreviousGradients(0);
  #active = new Int32Array(0);
  #C = new Float64Array(0);
  #mean = new Float64Array(0);
  #x = new Float64Array(0);
  #buffer = new Float64Array(0);
  #sorted = new Float64Array(0);

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'lambda', 'iterations']);
    this.#lambda = numberOption(where, spec, 'lambda', 0.3, (v) => v >= 0, 'a finite number ≥ 0');
    this.#iterations = integerOption(where, spec, 'iterations', 20, 1, 10000);
  }

  protected override setup(): void {
    super.setup();
    const T = this.T;
    this.#k = mathKernels('sdmgrad.attach');
    this.#w = new Float64Array(T).fill(1 / T);
    this.#previous.dispose();
    this.#previous = new PreviousGradients(T);
    this.#active = new Int32Array(T);
    this.#C = new Float64Array(T * T);
    this.#mean = new Float64Array(T);
    this.#x = new Float64Array(T);
    this.#buffer = new Float64Array(T);
    this.#sorted = new Float64Array(T);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const k = this.#k!, T = this.T, v = input.vectors!, act = this.#active, w = this.#w, C = this.#C;
    const x = this.#x, mean = this.#mean, buffer = this.#buffer, lambda = this.#lambda;
    const n = startCombining(input.active, out, act, T);
    let mass = 0;
    for (let i = 0; i < n; i++) mass += w[act[i]!]!;
    for (let i = 0; i < n; i++) x[i] = mass > 0 ? w[act[i]!]! / mass : 1 / n;
    if (this.#previous.cross('sdmgrad.step', k, v, act, n, C)) {
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.sqrt(Math.max(C[i * n + i]!, 0));
      s /= n;
      if (s > 0) {
        for (let i = 0; i < n * n; i++) C[i] = C[i]! / (s * s);
        for (let i = 0; i < n; i++) {
          let m = 0;
          for (let j = 0; j < n; j++) m += C[i * n + j]!;
          mean[i] = m / n;
        }
        for (let it = 0; it < this.#iterations; it++) {
          for (let i = 0; i < n; i++) {
            let g = lambda * mean[i]!;
            for (let j = 0; j < n; j++) g += C[i * n + j]! * x[j]!;
            buffer[i] = it === 0 ? g : MOMENTUM * buffer[i]! + g;
          }
          for (let i = 0; i < n; i++) x[i] = x[i]! - LEARNING_RATE * buffer[i]!;
          projectOntoSimplex(x, n, 1, x, this.#sorted);
        }
        for (let i = 0; i < n; i++) w[act[i]!] = (mass > 0 ? mass : 1) * x[i]!;
      }
    }
    for (let i = 0; i < n; i++) {
      x[i] = (x[i]! + lambda / n) / (1 + lambda);
      out.sharedCoefficients[act[i]!] = x[i]!;
    }
    combineVectors(k, v, act, x, n);
    this.#previous.remember(v, act, n);
    this.report.add(input.epoch, out.sharedCoefficients, input.active);
  }

  protected override diverging(): Divergence | null {
    return firstNonFinite(this.#w) ?? this.#previous.firstNonFinite(this.#k!);
  }

  config(): Record<string, unknown> {
    return { type: this.type, lambda: this.#lambda, iterations: this.#iterations };
  }

  override dispose(): void {
    this.#previous.dispose();
  }

  protected override save(): Record<string, unknown> {
    return { weights: toJson(this.#w), ...this.#previous.save(), ...super.save() };
  }

  protected override load(state: OptionRecord): void {
    const where = 'sdmgrad.restore';
    const w = new Float64Array(this.T);
    fromJson(where, state, 'weights', w);
    checkEach(where, 'weights', w, (x) => x >= 0, '≥ 0');
    super.load(state);
    this.#previous.load(where, state);
    this.#w.set(w);
  }
}
