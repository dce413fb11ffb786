// MoCo, multi-objective gradient correction (Fernando, Shen, Liu, Chaudhury,
// Murugesan & Chen 2023, "Mitigating Gradient Bias in Multi-objective Learning: A
// Provably Convergent Approach"; LibMTL's MoCo, from the authors' code):
//
//   k = the step count (from 1);  β_k = β/k^σβ,  γ_k = γ/k^σγ
//   ĝ_t = L_t · g_t / ‖g_t‖                        (each gradient rescaled to its loss)
//   y_t ← y_t − β_k (y_t − ĝ_t)                   (a running estimate of each task's gradient)
//   λ ← softmax(λ − γ_k (Y Yᵀ + ρ I) λ)            (λ from 1/T; the MGDA weights, tracked)
//   update d = Σ_t λ_t y_t
//
// MGDA's min-norm weights are biased when computed from one mini-batch's noisy
// gradients; MoCo tracks each task's gradient across steps (y) and moves λ by one
// projected-gradient step a step, so both converge together. β 0.5, σβ 0.5, γ 0.1,
// σγ 0.5 and ρ 0 are LibMTL's defaults (MoCo_beta …). The y_t live in the kernel
// module's memory (T vectors as long as the shared parameters' gradient; saved in
// the model file) and are updated with its scale and axpy kernels. LibMTL's 1e-8
// in ‖g_t‖ + 1e-8 is replaced by leaving out a zero gradient (ĝ_t = 0). Task
// weights are 1.
//
// Cost per step: per-task gradients of the shared parameters (needs.vectors: the
// combination is of the y_t, not of this step's gradients), T vector updates and
// T² dot products.
//
// Inactive tasks keep their y_t and take no part in the λ step or the update: λ
// over the active tasks is the softmax above scaled to the mass they had, so the
// inactive keep theirs. currentWeights() is each task's mean λ_t over the latest
// epoch's steps in which it was active.

import { checkKeys, numberOption, type OptionRecord } from '../../runtime/validate.js';
import type { Kernels } from '../../runtime/abi.js';
import { ReportingStrategy, VectorBank, checkEach, combineVectors, firstNonFinite, fromJson, integerState, mathKernels, needsOf, startCombining, toJson, type Divergence } from './common.js';
import type { WeightingStepInput, WeightingStepOutput, WeightingVectors } from './types.js';

export interface MocoWeightingSpec {
  type: 'moco';
  /** β, the tracking rate of y. Default 0.5. */
  beta?: number;
  /** σβ, β's decay exponent over steps. Default 0.5. */
  betaSigma?: number;
  /** γ, the step of λ. Default 0.1. */
  gamma?: number;
  /** σγ, γ's decay exponent. Default 0.5. */
  gammaSigma?: number;
  /** ρ ≥ 0, the ℓ₂ regularization of λ's step. Default 0. */
  rho?: number;
}

export class MocoWeighting extends ReportingStrategy {
  readonly type = 'moco';
  readonly needs = needsOf('parameters', false, { vectors: true });
  readonly #beta: number;
  readonly #betaSigma: number;
  readonly #gamma: number;
  readonly #gammaSigma: number;
  readonly #rho: number;
  #k: Kernels | null = null;
  #steps = 0;
  #lambda = new Float64Array(0);
  #y = new VectorBank(0);
  #active = new Int32Array(0);
  #M = new Float64Array(0);
  #next = new Float64Array(0);
  #coefficients = new Float64Array(0);
  #pointers: number[] = [];

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'beta', 'betaSigma', 'gamma', 'gammaSigma', 'rho']);
    const unit = (v: number) => v > 0 && v <= 1;
    this.#beta = numberOption(where, spec, 'beta', 0.5, unit, 'a number in (0, 1]');
    this.#betaSigma = numberOption(where, spec, 'betaSigma', 0.5, (v) => v >= 0, 'a finite number ≥ 0');
    this.#gamma = numberOption(where, spec, 'gamma', 0.1, (v) => v > 0, 'a finite number > 0');
    this.#gammaSigma = numberOption(where, spec, 'gammaSigma', 0.5, (v) => v >= 0, 'a finite number ≥ 0');
    this.#rho = numberOption(where, spec, 'rho', 0, (v) => v >= 0, 'a finite number ≥ 0');
  }

  protected override setup(): void {
    super.setup();
    const T = this.T;
    this.#k = mathKernels('moco.attach');
    this.#steps = 0;
    this.#lambda = new Float64Array(T).fill(1 / T);
    this.#y.dispose();
    this.#y = new VectorBank(T);
    this.#active = new Int32Array(T);
    this.#M = new Float64Array(T * T);
    this.#next = new Float64Array(T);
    this.#coefficients = new Float64Array(T);
    this.#pointers = new Array<number>(T).fill(0);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const k = this.#k!, T = this.T, v = input.vectors!, gram = input.gram!, act = this.#active, lambda = this.#lambda, y = this.#y;
    const n = startCombining(input.active, out, act, T);
    y.ready('moco.step', v.length);
    this.#steps++;
    const beta = this.#beta / k.mathPow(this.#steps, this.#betaSigma);
    const gamma = this.#gamma / k.mathPow(this.#steps, this.#gammaSigma);
    for (let i = 0; i < n; i++) {
      const t = act[i]!, yt = y.pointer(t);
      const norm = Math.sqrt(Math.max(gram[t * T + t]!, 0));
      k.scale(v.length, 1 - beta, yt);
      if (norm > 0) k.axpy(v.length, (beta * input.losses[t]!) / norm, v.pointers[t]!, yt);
    }
    // M = Y Yᵀ + ρI over the active tasks; λ_A ← mass·softmax(λ_A − γ M λ_A).
    const M = this.#M, next = this.#next;
    let mass = 0;
    for (let i = 0; i < n; i++) {
      mass += lambda[act[i]!]!;
      for (let j = i; j < n; j++) {
        const d = k.dot(v.length, y.pointer(act[i]!), y.pointer(act[j]!));
        M[i * n + j] = d;
        M[j * n + i] = d;
      }
      M[i * n + i] = M[i * n + i]! + this.#rho;
    }
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      let mi = 0;
      for (let j = 0; j < n; j++) mi += M[i * n + j]! * lambda[act[j]!]!;
      next[i] = lambda[act[i]!]! - gamma * mi;
      max = Math.max(max, next[i]!);
    }
    let sum = 0;
    for (let i = 0; i < n; i++) { next[i] = k.mathExp(next[i]! - max); sum += next[i]!; }
    for (let i = 0; i < n; i++) {
      const t = act[i]!;
      lambda[t] = (mass * next[i]!) / sum;
      out.sharedCoefficients[t] = lambda[t]!;
      this.#coefficients[i] = lambda[t]!;
    }
    combineVectors(k, this.#tracked(v), act, this.#coefficients, n);
    this.report.add(input.epoch, out.sharedCoefficients, input.active);
  }

  protected override diverging(): Divergence | null {
    return firstNonFinite(this.#lambda) ?? this.#y.firstNonFinite(this.#k!);
  }

  /** The vectors input with the y_t in place of the gradients (for combineVectors). */
  #tracked(v: WeightingVectors): WeightingVectors {
    for (let t = 0; t < this.T; t++) this.#pointers[t] = this.#y.pointer(t);
    return { ...v, pointers: this.#pointers };
  }

  config(): Record<string, unknown> {
    return { type: this.type, beta: this.#beta, betaSigma: this.#betaSigma, gamma: this.#gamma, gammaSigma: this.#gammaSigma, rho: this.#rho };
  }

  override dispose(): void {
    this.#y.dispose();
  }

  protected override save(): Record<string, unknown> {
    return { steps: this.#steps, lambda: toJson(this.#lambda), bank: this.#y.save(), ...super.save() };
  }

  protected override load(state: OptionRecord): void {
    const where = 'moco.restore';
    const steps = integerState(where, state, 'steps', 0);
    const lambda = new Float64Array(this.T);
    fromJson(where, state, 'lambda', lambda);
    checkEach(where, 'lambda', lambda, (x) => x >= 0, '≥ 0');
    super.load(state);
    this.#y.load(where, state.bank);
    this.#steps = steps;
    this.#lambda.set(lambda);
  }
}
