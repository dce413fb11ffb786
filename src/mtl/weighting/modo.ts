// MoDo, multi-objective gradient descent with double sampling (Chen, Fernando,
// Ying & Chen 2023, "Three-Way Trade-Off in Multi-Objective Learning:
// Optimization, Generalization and Conflict-Avoidance"; LibMTL's MoDo, from the
// authors' code):
//
//   λ ← Π_Δ(λ − γ (G₁ G₂ᵀ λ + ρ λ))      G₁, G₂: the task gradients of two independent samples
//   update d = Σ_t λ_t g_t                (g_t of a third sample; λ from 1/T)
//
// MGDA's min-norm weights minimize ‖Σ λ_t g_t‖²; one stochastic gradient step on
// λ needs an unbiased estimate of its gradient Gᵀ(Gλ), which a product of two
// independent samples' gradients gives and one sample's own Gram matrix does not.
// LibMTL draws three mini-batches per step. Here the trainer gives one batch per
// step, and the samples are consecutive batches: the λ step pairs the previous
// step's gradients (G₁, kept in the kernel module's memory) with this step's
// (G₂, cross products (G₁G₂ᵀ)_ts = g_t(prev)·g_s(now)), and the update uses this
// step's gradients. The two batches are independent draws of rows; they are taken
// one parameter update apart, which the paper's analysis does not cover. The first
// step (no previous batch) leaves λ at 1/T. γ 1e-3 and ρ 0.1 are LibMTL's defaults
// (MoDo_gamma, MoDo_rho). Π_Δ is the Euclidean projection onto the simplex. Task
// weights are 1.
//
// Cost per step: per-task gradients of the shared parameters (needs.vectors), one
// copy of them kept for the next step, T² dot products.
//
// Inactive tasks take no part: the λ step runs over the active tasks when every one
// of them has a previous gradient (projected onto the simplex scaled to the mass
// they had), and the update uses their λ rescaled to sum to 1. currentWeights() is
// each task's mean λ_t over the latest epoch's steps in which it was active.

import { checkKeys, numberOption, type OptionRecord } from '../../runtime/validate.js';
import { heapF32 } from '../../runtime/module.js';
import type { Kernels } from '../../runtime/abi.js';
import { ReportingStrategy, VectorBank, checkEach, combineVectors, firstNonFinite, flagsFromJson, flagsToJson, fromJson, mathKernels, needsOf, startCombining, toJson, type Divergence } from './common.js';
import { projectOntoSimplex } from './simplex.js';
import type { WeightingStepInput, WeightingStepOutput, WeightingVectors } from './types.js';

export interface ModoWeightingSpec {
  type: 'modo';
  /** γ > 0, the step of λ. Default 1e-3. */
  gamma?: number;
  /** ρ ≥ 0, the ℓ₂ regularization of λ's step. Default 0.1. */
  rho?: number;
}

/**
 * The previous step's gradient of each task, for the double-sampling strategies
 * (MoDo, SDMGrad): their cross products with this step's, then a copy of this
 * step's for the next.
 */
export class PreviousGradients {
  readonly #bank: VectorBank;
  readonly has: Uint8Array;

  constructor(T: number) {
    this.#bank = new VectorBank(T);
    this.has = new Uint8Array(T);
  }

  /**
   * C (n×n) ← g_idx[i](previous) · g_idx[j](now), when every task idx[0..n) has a
   * previous gradient (returns false, C untouched, otherwise).
   */
  cross(where: string, k: Kernels, v: WeightingVectors, idx: Int32Array, n: number, C: Float64Array): boolean {
    this.#bank.ready(where, v.length);
    for (let i = 0; i < n; i++) if (this.has[idx[i]!] === 0) return false;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) C[i * n + j] = k.dot(v.length, this.#bank.pointer(idx[i]!), v.pointers[idx[j]!]!);
    }
    return n > 0;
  }

  /** Keeps this step's gradients of tasks idx[0..n) for the next step. */
  remember(v: WeightingVectors, idx: Int32Array, n: number): void {
    const heap = heapF32();
    for (let i = 0; i < n; i++) {
      const t = idx[i]!, from = v.pointers[t]! >>> 2;
      heap.copyWithin(this.#bank.pointer(t) >>> 2, from, from + v.length);
      this.has[t] = 1;
    }
  }

  /** The first task whose kept gradient is not finite, or null. */
  firstNonFinite(k: Kernels): Divergence | null {
    return this.#bank.firstNonFinite(k);
  }

  save(): Record<string, unknown> {
    return { has: flagsToJson(this.has), bank: this.#bank.save() };
  }

  load(where: string, state: OptionRecord): void {
    const has = new Uint8Array(this.has.length);
    flagsFromJson(where, state, 'has', has);
    this.#bank.load(where, state.bank);
    this.has.set(has);
  }

  dispose(): void {
    this.#bank.dispose();
  }
}

export class ModoWeighting extends ReportingStrategy {
  readonly type = 'modo';
  readonly needs = needsOf('parameters', false, { vectors: true });
  readonly #gamma: number;
  readonly #rho: number;
  #k: Kernels | null = null;
  #lambda = new Float64Array(0);
  #previous = new PreviousGradients(0);
  #active = new Int32Array(0);
  #C = new Float64Array(0);
  #next = new Float64Array(0);
  #sorted = new Float64Array(0);

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'gamma', 'rho']);
    this.#gamma = numberOption(where, spec, 'gamma', 1e-3, (v) => v > 0, 'a finite number > 0');
    this.#rho = numberOption(where, spec, 'rho', 0.1, (v) => v >= 0, 'a finite number ≥ 0');
  }

  protected override setup(): void {
    super.setup();
    const T = this.T;
    this.#k = mathKernels('modo.attach');
    this.#lambda = new Float64Array(T).fill(1 / T);
    this.#previous.dispose();
    this.#previous = new PreviousGradients(T);
    this.#active = new Int32Array(T);
    this.#C = new Float64Array(T * T);
    this.#next = new Float64Array(T);
    this.#sorted = new Float64Array(T);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const k = this.#k!, T = this.T, v = input.vectors!, act = this.#active, lambda = this.#lambda, C = this.#C, next = this.#next;
    const n = startCombining(input.active, out, act, T);
    let mass = 0;
    for (let i = 0; i < n; i++) mass += lambda[act[i]!]!;
    if (this.#previous.cross('modo.step', k, v, act, n, C) && mass > 0) {
      for (let i = 0; i < n; i++) {
        let ci = 0;
        for (let j = 0; j < n; j++) ci += C[i * n + j]! * lambda[act[j]!]!;
        next[i] = lambda[act[i]!]! - this.#gamma * (ci + this.#rho * lambda[act[i]!]!);
      }
      projectOntoSimplex(next, n, mass, next, this.#sorted);
      for (let i = 0; i < n; i++) lambda[act[i]!] = next[i]!;
    }
    for (let i = 0; i < n; i++) {
      const t = act[i]!;
      out.sharedCoefficients[t] = lambda[t]!;
      next[i] = mass > 0 ? lambda[t]! / mass : 1 / n;
    }
    combineVectors(k, v, act, next, n);
    this.#previous.remember(v, act, n);
    this.report.add(input.epoch, out.sharedCoefficients, input.active);
  }

  protected override diverging(): Divergence | null {
    return firstNonFinite(this.#lambda) ?? this.#previous.firstNonFinite(this.#k!);
  }

  config(): Record<string, unknown> {
    return { type: this.type, gamma: this.#gamma, rho: this.#rho };
  }

  override dispose(): void {
    this.#previous.dispose();
  }

  protected override save(): Record<string, unknown> {
    return { lambda: toJson(this.#lambda), ...this.#previous.save(), ...super.save() };
  }

  protected override load(state: OptionRecord): void {
    const where = 'modo.restore';
    const lambda = new Float64Array(this.T);
    fromJson(where, state, 'lambda', lambda);
    checkEach(where, 'lambda', lambda, (x) => x >= 0, '≥ 0');
    super.load(state);
    this.#previous.load(where, state);
    this.#lambda.set(lambda);
  }
}
