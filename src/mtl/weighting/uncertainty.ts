// Uncertainty weighting (Kendall, Gal & Cipolla 2018, "Multi-Task Learning Using
// Uncertainty to Weigh Losses for Scene Geometry and Semantics"), in the form
// LibMTL's UW uses, with learnable s_t = log σ_t²:
//
//   L = Σ_t exp(−s_t)·L_t + s_t,          weight w_t = exp(−s_t)
//   ∂L/∂s_t = 1 − exp(−s_t)·L_t           (zero at the fixed point exp(−s_t) = 1/L_t)
//
// LibMTL writes the same objective halved, ½·Σ (exp(−s_t)·L_t + s_t), and reports
// ½·exp(−s_t); it initializes s_t = −0.5. Halving the objective does not move s_t
// under Adam (Adam is invariant to the gradient's scale), so
// `{ type: 'uncertainty', initialLogVariance: -0.5 }` follows LibMTL's s_t exactly,
// with weights twice LibMTL's. The default here is s_t = 0: every weight starts at
// 1, as with equal weighting.
//
// The strategy owns the s_t. Each step it answers w_t = exp(−s_t) (the values
// before this step's update, as the loss the model is differentiating uses them),
// then steps every active task's s_t with the trainer's learning rate:
//   optimizer 'adam' (default; β₁ 0.9, β₂ 0.999, ε 1e-8, PyTorch's update, with a
//                    bias correction counted per task over its active steps)
//   optimizer 'sgd'  s_t ← s_t − lr·∂L/∂s_t
// Inactive tasks get weight 0 and their s_t and moments are left as they are.
// currentWeights() is exp(−s_t) after the latest update.

import { ArgumentError } from '../../runtime/errors.js';
import { checkKeys, choiceOption, numberOption, type OptionRecord } from '../../runtime/validate.js';
import type { Kernels } from '../../runtime/abi.js';
import { BaseStrategy, LOG_F32_MAX, ScalarAdam, WEIGHT_OPTIMIZERS, expWeightBeyondF32, firstNonFinite, fromJson, mathKernels, needsOf, toJson, type Divergence, type WeightOptimizer } from './common.js';
import type { WeightingStepInput, WeightingStepOutput } from './types.js';

export interface UncertaintyWeightingSpec {
  type: 'uncertainty';
  /** The starting s_t = log σ_t² of every task, in [−88.72, 88.72] (σ_t² and the weight exp(−s_t) within float32). Default 0 (weights 1); LibMTL uses −0.5. */
  initialLogVariance?: number;
  /** How the s_t are stepped with the trainer's learning rate. Default 'adam'. */
  optimizer?: WeightOptimizer;
}

export class UncertaintyWeighting extends BaseStrategy {
  readonly type = 'uncertainty';
  readonly needs = needsOf('none');
  readonly #s0: number;
  readonly #optimizer: WeightOptimizer;
  #k: Kernels | null = null;
  #s = new Float64Array(0);
  #adam = new ScalarAdam(0);

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'initialLogVariance', 'optimizer']);
    this.#s0 = numberOption(where, spec, 'initialLogVariance', 0, () => true, 'a finite number');
    // The kernels scale each task's loss gradient by exp(−s₀) in float32: beyond it the
    // gradient overflows, or is 0 and nothing trains (s₀ = 1e6 gave weights 0 and a
    // loss that never moved, silently). The same bound holds the learned s_t (unusable).
    if (Math.abs(this.#s0) > LOG_F32_MAX) {
      throw new ArgumentError(`${where}: initialLogVariance is ${this.#s0}, outside [−${LOG_F32_MAX}, ${LOG_F32_MAX}]: ` +
        `the first task weight exp(−initialLogVariance) would be ${this.#s0 > 0 ? '0 in float32, and nothing would train' : 'beyond float32 (3.4e38)'}`);
    }
    this.#optimizer = choiceOption(where, spec, 'optimizer', 'adam', WEIGHT_OPTIMIZERS);
  }

  protected setup(): void {
    const T = this.T;
    this.#k = mathKernels('uncertainty.attach');
    this.#s = new Float64Array(T).fill(this.#s0);
    this.#adam = new ScalarAdam(T);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const k = this.#k!;
    const { losses, active, learningRate: lr } = input;
    const s = this.#s;
    for (let t = 0; t < this.T; t++) {
      if (active[t] === 0) {
        out.taskWeights[t] = 0;
        out.sharedCoefficients[t] = 0;
        continue;
      }
      const w = k.mathExp(-s[t]!);
      out.taskWeights[t] = w;
      out.sharedCoefficients[t] = w;
      const g = 1 - w * losses[t]!;
      s[t] = this.#optimizer === 'sgd' ? s[t]! - lr * g : this.#adam.step(t, s[t]!, g, lr);
    }
  }

  protected override diverging(): Divergence | null {
    const s = firstNonFinite(this.#s);
    return s !== null ? { ...s, what: 'the log-variance' } : this.#adam.firstNonFinite();
  }

  /** An s_t whose weight exp(−s_t) float32 cannot carry. */
  protected override unusable(): Divergence | null {
    return expWeightBeyondF32(this.#s, -1);
  }

  /** The learned log-variances s_t (a copy). */
  logVariances(): Float64Array {
    this.attached('logVariances');
    return this.#s.slice();
  }

  currentWeights(): Float64Array {
    this.attached('currentWeights');
    const k = this.#k!;
    const out = new Float64Array(this.T);
    for (let t = 0; t < this.T; t++) out[t] = k.mathExp(-this.#s[t]!);
    return out;
  }

  config(): Record<string, unknown> {
    return { type: this.type, initialLogVariance: this.#s0, optimizer: this.#optimizer };
  }

  protected save(): Record<string, unknown> {
    return { logVariances: toJson(this.#s), ...this.#adam.save() };
  }

  protected load(state: OptionRecord): void {
    const where = 'uncertainty.restore';
    const s = new Float64Array(this.T);
    fromJson(where, state, 'logVariances', s);
    this.#adam.load(where, state);
    this.#s.set(s);
  }
}
