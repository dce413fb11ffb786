// Random Loss Weighting (Lin, Ye, Xu, Shi & Zhang 2021, "Reasonable Effectiveness
// of Random Weighting: A Litmus Test for Multi-Task Learning"; LibMTL's RLW with
// its default normal distribution):
//
//   z ~ N(0, I_T) drawn afresh every step,   w = softmax(z)      (Σ_t w_t = 1, as LibMTL)
//
// The draws come from the seeded ctx.rng (Box–Muller on its 32-bit outputs, with
// the WASM log/cos/sin), T of them every step whatever the batch holds, so a seed
// gives the same sequence in every engine. Inactive tasks get weight 0 and the
// softmax runs over the active ones only (still summing to 1): the softmax of a
// subset of i.i.d. normals is RLW on that subset.
// currentWeights() is each task's mean weight over the latest epoch's steps in
// which it was active (NaN if it never was).

import { ArgumentError } from '../../runtime/errors.js';
import { checkKeys, type OptionRecord } from '../../runtime/validate.js';
import type { Kernels } from '../../runtime/abi.js';
import { ReportingStrategy, mathKernels, needsOf, softmax, standardNormals } from './common.js';
import type { WeightingStepInput, WeightingStepOutput } from './types.js';

export interface RlwWeightingSpec {
  type: 'rlw';
}

export class RlwWeighting extends ReportingStrategy {
  readonly type = 'rlw';
  readonly needs = needsOf('none');
  #k: Kernels | null = null;
  #z = new Float64Array(0);

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type']);
  }

  protected override setup(): void {
    super.setup();
    if (this.rng === null) throw new ArgumentError('rlw.attach: the context has no rng (RLW draws its weights)');
    this.#k = mathKernels('rlw.attach');
    this.#z = new Float64Array(this.T);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    standardNormals(this.rng!, this.#k!, this.#z, this.T);
    softmax(this.#k!, this.#z, input.active, 1, 1, out.taskWeights);
    out.sharedCoefficients.set(out.taskWeights);
    this.report.add(input.epoch, out.taskWeights, input.active);
  }

  config(): Record<string, unknown> {
    return { type: this.type };
  }
}
