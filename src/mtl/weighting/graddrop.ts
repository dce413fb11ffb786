// GradDrop, gradient sign dropout (Chen, Ngiam, Huang, Luong, Kretzschmar, Chai &
// Anguelov 2020, "Just Pick a Sign: Optimizing Deep Multitask Models with Gradient
// Sign Dropout", Algorithm 1; LibMTL's GradDrop):
//
//   per column d of the shared representation Z (rows × width):
//     s_td = Σ_rows (dL_t/dZ)[r, d] · sign(Z[r, d])        (the batch-summed signed gradient)
//     P_d  = ½ (1 + Σ_t s_td / (Σ_t |s_td| + 1e-7))         (the positive sign purity)
//     U_d ~ U[0, 1);   M_td = [P_d > U_d]·[s_td > 0] + [P_d < U_d]·[s_td < 0]
//   dL/dZ = Σ_t (dL_t/dZ) ⊙ (leak + (1 − leak)·M_t)        (M_t broadcast over the rows)
//
// At each coordinate one sign wins, with probability equal to its share of the
// gradient mass, and the gradients of the other sign are dropped there: the shared
// part gets no update that some tasks pull one way and others the other way
// without one side being chosen. leak (default 0, LibMTL's) lets a fraction of every
// gradient through. With `gradients: 'parameters'` the rule runs on the shared
// parameters' gradients directly (one row, no sign correction), as torchjd's
// GradDrop does on any Jacobian. The element-wise work runs in the kernel module
// (assembly/combine.ts gradDropCombine); the U_d come from the seeded ctx.rng
// (width draws per step). Task weights are 1.
//
// Cost per step: per-task gradients of the representation (one backward per task
// part; the default but on crossStitch) or of the shared parameters, and one pass over them.
//
// Inactive tasks take no part (weight 0). currentWeights() is each task's mean
// kept fraction, leak + (1 − leak)·mean_d M_td, over the latest epoch's steps in
// which it was active: 1 for a task whose gradient always agreed with the winner.

import { ArgumentError } from '../../runtime/errors.js';
import { checkKeys, choiceOption, numberOption, type OptionRecord } from '../../runtime/validate.js';
import type { Kernels } from '../../runtime/abi.js';
import { GRADIENT_SOURCES, KernelBlock, ReportingStrategy, mathKernels, needsOf, startCombining, writePointerTable, type GradientSource } from './common.js';
import type { WeightingNeeds, WeightingStepInput, WeightingStepOutput } from './types.js';

export interface GradDropWeightingSpec {
  type: 'graddrop';
  /** The fraction of every gradient let through regardless of sign, in [0, 1]. Default 0. */
  leak?: number;
  /**
   * Which per-task gradients are combined. Default 'either': the representation's
   * (the paper's and LibMTL's), or the model's `gradients` option, and the shared
   * parameters' on an architecture whose tasks read disjoint blocks of the
   * representation (crossStitch), where no coordinate has two signs to choose from.
   */
  gradients?: GradientSource;
}

export class GradDropWeighting extends ReportingStrategy {
  readonly type = 'graddrop';
  readonly needs: WeightingNeeds;
  readonly #leak: number;
  readonly #gradients: GradientSource;
  #k: Kernels | null = null;
  #active = new Int32Array(0);
  readonly #table = new KernelBlock();
  readonly #uniforms = new KernelBlock();
  readonly #factors = new KernelBlock();

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'leak', 'gradients']);
    this.#leak = numberOption(where, spec, 'leak', 0, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
    this.#gradients = choiceOption(where, spec, 'gradients', 'either', GRADIENT_SOURCES);
    this.needs = needsOf(this.#gradients, false, { vectors: true });
  }

  protected override setup(): void {
    super.setup();
    if (this.rng === null) throw new ArgumentError('graddrop.attach: the context has no rng (GradDrop draws its thresholds)');
    this.#k = mathKernels('graddrop.attach');
    this.#active = new Int32Array(this.T);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const k = this.#k!, v = input.vectors!, act = this.#active, where = 'graddrop.step';
    const n = startCombining(input.active, out, act, this.T);
    const width = v.width;
    const table = this.#table.ensure(where, Math.max(n, 1) * 4);
    const uniforms = this.#uniforms.ensure(where, width * 4);
    const factors = this.#factors.ensure(where, Math.max(n, 1) * width * 4);
    writePointerTable(table, v, act, n);
    this.rng!.uniform(uniforms, width, 0, 1);
    k.gradDropCombine(n, v.rows, width, table, v.representation, uniforms, this.#leak, factors, v.output);
    for (let i = 0; i < n; i++) out.sharedCoefficients[act[i]!] = k.sum(width, factors + i * width * 4) / width;
    this.report.add(input.epoch, out.sharedCoefficients, input.active);
  }

  config(): Record<string, unknown> {
    return { type: this.type, leak: this.#leak, gradients: this.#gradients };
  }

  override dispose(): void {
    this.#table.free();
    this.#uniforms.free();
    this.#factors.free();
  }
}
