// Geometric Loss Strategy (Chennupati, Sistu, Yogamani & Rawashdeh 2019,
// "MultiNet++: Multi-Stream Feature Aggregation and Geometric Loss Strategy for
// Multi-Task Learning"; LibMTL's GLS):
//
//   L = (Π_t L_t)^(1/T)                       the geometric mean of the task losses
//   ∂L/∂θ = Σ_t w_t ∇L_t,   w_t = L / (T·L_t)
//
// so the strategy answers w_t for both the task's own parameters and its share of
// the shared gradient. Tasks with small losses weigh more: the geometric mean is
// as sensitive to halving any one loss as to halving another. Losses are floored
// at 1e-8 (the constant DB-MTL uses) so that a task whose loss reaches exactly 0
// does not make the others' weights 0 and its own infinite; L is formed as
// exp(mean log L_t) (WASM exp and log, the same bits everywhere).
//
// Cost per step: none beyond the losses (no per-task backward).
//
// Inactive tasks take no part (T above counts the active ones); their weight is 0.
// currentWeights() is each task's mean weight over the latest epoch's steps in
// which it was active (NaN if it never was).

import { checkKeys, type OptionRecord } from '../../runtime/validate.js';
import type { Kernels } from '../../runtime/abi.js';
import { ReportingStrategy, mathKernels, needsOf } from './common.js';
import type { WeightingStepInput, WeightingStepOutput } from './types.js';

export interface GlsWeightingSpec {
  type: 'gls';
}

/** The smallest loss the geometric mean sees. */
const LOSS_FLOOR = 1e-8;

export class GlsWeighting extends ReportingStrategy {
  readonly type = 'gls';
  readonly needs = needsOf('none');
  #k: Kernels | null = null;

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type']);
  }

  protected override setup(): void {
    super.setup();
    this.#k = mathKernels('gls.attach');
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const k = this.#k!, T = this.T, { losses, active } = input;
    let n = 0, logSum = 0;
    for (let t = 0; t < T; t++) {
      if (active[t] === 0) continue;
      n++;
      logSum += k.mathLog(Math.max(losses[t]!, LOSS_FLOOR));
    }
    const geometric = n > 0 ? k.mathExp(logSum / n) : 0;
    for (let t = 0; t < T; t++) {
      const w = active[t] !== 0 ? geometric / (n * Math.max(losses[t]!, LOSS_FLOOR)) : 0;
      out.taskWeights[t] = w;
      out.sharedCoefficients[t] = w;
    }
    this.report.add(input.epoch, out.taskWeights, active);
  }

  config(): Record<string, unknown> {
    return { type: this.type };
  }
}
