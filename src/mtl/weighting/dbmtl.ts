// DB-MTL, dual-balancing multi-task learning (Lin, Ye, Zhang, Xu, Zhang & Kwok
// 2023, "Dual-Balancing for Multi-Task Learning"; LibMTL's DB_MTL):
//
//   loss-scale balance:      each task trains on log(L_t + 1e-8):  ∇ = g_t / (L_t + 1e-8)
//   k = the step count (from 1);  β_k = β/k^σ
//   ĝ_t ← β_k ĝ_t + (1 − β_k) g_t/(L_t + 1e-8)       (an EMA of each log-loss gradient, from 0)
//   gradient-magnitude balance:  α_t = max_s ‖ĝ_s‖ / ‖ĝ_t‖
//   update d = Σ_t α_t ĝ_t                             (every task's term as large as the largest)
//
// The log turns every loss into a scale-free objective (a task with a loss of 1000
// does not drown one with 0.01), and the rescaling gives every task's smoothed
// gradient the norm of the largest, so the shared part is moved by all of them
// equally. β 0.9 and σ 0 are LibMTL's defaults (DB_beta, DB_beta_sigma). Each task's
// own parameters see the log-loss gradient: taskWeights = 1/(L_t + 1e-8). The ĝ_t
// live in the kernel module's memory (T vectors as long as the shared parameters'
// gradient; saved in the model file). LibMTL's ‖ĝ_t‖ + 1e-8 is replaced by leaving
// out a zero ĝ_t (α_t = 0).
//
// Cost per step: per-task gradients of the shared parameters (needs.vectors), T
// vector updates and norms.
//
// Inactive tasks keep their ĝ_t and take no part (weight 0). currentWeights() is
// each task's mean α_t over the latest epoch's steps in which it was active.

import { checkKeys, numberOption, type OptionRecord } from '../../runtime/validate.js';
import type { Kernels } from '../../runtime/abi.js';
import { ReportingStrategy, VectorBank, combineVectors, integerState, mathKernels, needsOf, startCombining, type Divergence } from './common.js';
import type { WeightingStepInput, WeightingStepOutput } from './types.js';

export interface DbMtlWeightingSpec {
  type: 'dbmtl';
  /** β in [0, 1), the EMA's memory. Default 0.9. */
  beta?: number;
  /** σ ≥ 0, β's decay exponent over steps. Default 0. */
  betaSigma?: number;
}

const SHIFT = 1e-8;

export class DbMtlWeighting extends ReportingStrategy {
  readonly type = 'dbmtl';
  readonly needs = needsOf('parameters', false, { vectors: true });
  readonly #beta: number;
  readonly #sigma: number;
  #k: Kernels | null = null;
  #steps = 0;
  #ema = new VectorBank(0);
  #active = new Int32Array(0);
  #norms = new Float64Array(0);
  #pointers: number[] = [];

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'beta', 'betaSigma']);
    this.#beta = numberOption(where, spec, 'beta', 0.9, (v) => v >= 0 && v < 1, 'a number in [0, 1)');
    this.#sigma = numberOption(where, spec, 'betaSigma', 0, (v) => v >= 0, 'a finite number ≥ 0');
  }

  protected override setup(): void {
    super.setup();
    const T = this.T;
    this.#k = mathKernels('dbmtl.attach');
    this.#steps = 0;
    this.#ema.dispose();
    this.#ema = new VectorBank(T);
    this.#active = new Int32Array(T);
    this.#norms = new Float64Array(T);
    this.#pointers = new Array<number>(T).fill(0);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const k = this.#k!, T = this.T, v = input.vectors!, act = this.#active, ema = this.#ema, norms = this.#norms;
    const n = startCombining(input.active, out, act, T);
    ema.ready('dbmtl.step', v.length);
    this.#steps++;
    const beta = this.#beta / k.mathPow(this.#steps, this.#sigma);
    let largest = 0;
    for (let i = 0; i < n; i++) {
      const t = act[i]!, e = ema.pointer(t);
      const scale = 1 / (input.losses[t]! + SHIFT);
      out.taskWeights[t] = scale;
      k.scale(v.length, beta, e);
      k.axpy(v.length, (1 - beta) * scale, v.pointers[t]!, e);
      norms[i] = Math.sqrt(k.sumSquaresF64(v.length, e));
      largest = Math.max(largest, norms[i]!);
    }
    for (let i = 0; i < n; i++) {
      const t = act[i]!;
      const alpha = norms[i]! > 0 ? largest / norms[i]! : 0;
      out.sharedCoefficients[t] = alpha;
      norms[i] = alpha; // the coefficients, for combineVectors
      this.#pointers[t] = ema.pointer(t);
    }
    combineVectors(k, { ...v, pointers: this.#pointers }, act, norms, n);
    this.report.add(input.epoch, out.sharedCoefficients, input.active);
  }

  protected override diverging(): Divergence | null {
    return this.#ema.firstNonFinite(this.#k!);
  }

  config(): Record<string, unknown> {
    return { type: this.type, beta: this.#beta, betaSigma: this.#sigma };
  }

  override dispose(): void {
    this.#ema.dispose();
  }

  protected override save(): Record<string, unknown> {
    return { steps: this.#steps, bank: this.#ema.save(), ...super.save() };
  }

  protected override load(state: OptionRecord): void {
    const where = 'dbmtl.restore';
    const steps = integerState(where, state, 'steps', 0);
    super.load(state);
    this.#ema.load(where, state.bank);
    this.#steps = steps;
  }
}
