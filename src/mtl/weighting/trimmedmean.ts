// Trimmed mean (Yin, Chen, Kannan & Bartlett 2018, "Byzantine-Robust Distributed
// Learning: Towards Optimal Statistical Rates"; torchjd's TrimmedMean):
//
//   for each coordinate i of the shared gradient:
//     sort the T task values g_1[i] … g_T[i], drop the `trim` smallest and the `trim` largest,
//     update[i] = the mean of the T − 2·trim left
//
// A coordinate-wise robust mean: where one task pulls a coordinate far from the
// others, that coordinate follows the majority. trim = 0 is the plain mean; with
// T = 2·trim + 1 it is the coordinate-wise median. Needs T ≥ 2·trim + 1 (checked
// when attached; the default trim 1 needs three tasks); a step with fewer active
// tasks trims ⌊(n − 1)/2⌋ instead. The update is on the scale of a mean task
// gradient (as CAGrad's). The sort and mean run in the kernel module
// (assembly/combine.ts trimmedMean). Task weights are 1.
//
// Cost per step: per-task gradients of the shared parameters (default; or of the
// representation), and one pass over them.
//
// Inactive tasks are left out (weight 0). currentWeights() reports 1/(n − 2·trim)
// for the active tasks (each value's weight in the mean of those kept).

import { ArgumentError } from '../../runtime/errors.js';
import { checkKeys, choiceOption, integerOption, type OptionRecord } from '../../runtime/validate.js';
import type { Kernels } from '../../runtime/abi.js';
import { heapF32 } from '../../runtime/module.js';
import { GRADIENT_SOURCES, KernelBlock, ReportingStrategy, mathKernels, needsOf, startCombining, writePointerTable, type GradientSource } from './common.js';
import type { WeightingNeeds, WeightingStepInput, WeightingStepOutput } from './types.js';

export interface TrimmedMeanWeightingSpec {
  type: 'trimmedmean';
  /** How many of the largest and of the smallest values to drop at each coordinate. Default 1. */
  trim?: number;
  /** Which per-task gradients are combined. Default 'parameters'. */
  gradients?: GradientSource;
}

export class TrimmedMeanWeighting extends ReportingStrategy {
  readonly type = 'trimmedmean';
  readonly needs: WeightingNeeds;
  readonly #trim: number;
  readonly #gradients: GradientSource;
  #k: Kernels | null = null;
  #active = new Int32Array(0);
  readonly #table = new KernelBlock();
  readonly #scratch = new KernelBlock();

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'trim', 'gradients']);
    this.#trim = integerOption(where, spec, 'trim', 1, 0);
    this.#gradients = choiceOption(where, spec, 'gradients', 'parameters', GRADIENT_SOURCES);
    this.needs = needsOf(this.#gradients, false, { vectors: true });
  }

  protected override setup(): void {
    super.setup();
    if (this.T < 2 * this.#trim + 1) {
      throw new ArgumentError(`trimmedmean.attach: trim ${this.#trim} needs at least ${2 * this.#trim + 1} tasks (2·trim + 1), the model has ${this.T}`);
    }
    this.#k = mathKernels('trimmedmean.attach');
    this.#active = new Int32Array(this.T);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const k = this.#k!, v = input.vectors!, act = this.#active, where = 'trimmedmean.step';
    const n = startCombining(input.active, out, act, this.T);
    if (n === 0) {
      heapF32().fill(0, v.output >>> 2, (v.output >>> 2) + v.length);
    } else {
      const trim = Math.min(this.#trim, (n - 1) >> 1);
      const table = this.#table.ensure(where, n * 4);
      const scratch = this.#scratch.ensure(where, n * 16);
      writePointerTable(table, v, act, n);
      k.trimmedMean(n, v.length, table, trim, scratch, v.output);
      for (let i = 0; i < n; i++) out.sharedCoefficients[act[i]!] = 1 / (n - 2 * trim);
    }
    this.report.add(input.epoch, out.sharedCoefficients, input.active);
  }

  config(): Record<string, unknown> {
    return { type: this.type, trim: this.#trim, gradients: this.#gradients };
  }

  override dispose(): void {
    this.#table.free();
    this.#scratch.free();
  }
}
