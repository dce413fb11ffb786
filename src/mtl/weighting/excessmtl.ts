// ExcessMTL, robust multi-task learning with excess risks (He, Zhou, Zhao & Han
// 2024, "Robust Multi-Task Learning with Excess Risks"; LibMTL's ExcessMTL, from
// the authors' code):
//
//   H_t ← H_t + g_t ⊙ g_t                              (AdaGrad's running sum of squares, per task)
//   e_t = g_tᵀ diag(1/√(H_t + 1e-7)) g_t              (the excess-risk estimate: a preconditioned ‖g_t‖²)
//   first step:  e_t(0) = e_t, weights stay 1
//   then:        w_t ← w_t · exp(η · e_t/e_t(0)),  w ← T·w/Σw
//   update: the loss Σ_t w_t L_t                       (taskWeights = sharedCoefficients = w)
//
// A task's excess risk — how far its loss is from the best it could reach — is
// estimated from how large its gradient is in the metric AdaGrad would use: a
// task still far from its optimum has a large preconditioned gradient, and
// exponentiated-gradient ascent gives it more weight. Unlike loss-based weighting,
// a task whose loss is high only because its labels are noisy (a high Bayes risk)
// does not take the weight. η = `stepSize` (default 0.01, LibMTL's
// robust_step_size; at most 709.78, see MAX_STEP_SIZE). The H_t live in the kernel
// module's memory (T vectors as long as the shared parameters' gradient, or as the
// representation's width, saved in the model file); accumulating them and forming
// e_t is one kernel pass per task (assembly/combine.ts accumulateSquares). With
// `gradients: 'representation'` the gradient of each task is dL_t/dZ summed over
// the batch's rows (LibMTL's rep_grad form), so its length does not change with the
// batch.
//
// Cost per step: per-task gradients of the shared parameters (default) or of the
// representation (needs.vectors), one pass over each.
//
// Inactive tasks keep H_t and w_t; the active tasks' weights are rescaled to keep
// their total (Σ_t w_t = T). A task's e_t(0) is taken at its first active step with
// e_t > 0. currentWeights() is each task's mean weight over the latest epoch's
// steps in which it was active.

import { ArgumentError } from '../../runtime/errors.js';
import { checkKeys, choiceOption, numberOption, type OptionRecord } from '../../runtime/validate.js';
import type { Kernels } from '../../runtime/abi.js';
import { GRADIENT_SOURCES, KernelBlock, ReportingStrategy, VectorBank, checkEach, combineVectors, firstNonFinite, fromJson, mathKernels, needsOf, startCombining, toJson, type Divergence, type GradientSource } from './common.js';
import type { WeightingNeeds, WeightingStepInput, WeightingStepOutput } from './types.js';

export interface ExcessMtlWeightingSpec {
  type: 'excessmtl';
  /** η in (0, 709.78], the exponentiated-gradient step of the weights. Default 0.01. */
  stepSize?: number;
  /** Which per-task gradients are measured. Default 'parameters'. */
  gradients?: GradientSource;
}

// ln(Number.MAX_VALUE): above it exp(η·e_t/e_t(0)) overflows at a step whose excess
// risk equals the first one's (the second step, typically), and the weights become
// ∞/∞ = NaN (stepSize 1e3 did at step 1). Below it a weight can still overflow when
// a task's excess risk grows past its first; that step is a TrainingDivergedError.
const MAX_STEP_SIZE = 709.78;

export class ExcessMtlWeighting extends ReportingStrategy {
  readonly type = 'excessmtl';
  readonly needs: WeightingNeeds;
  readonly #eta: number;
  readonly #gradients: GradientSource;
  #k: Kernels | null = null;
  #squares = new VectorBank(0);
  #initial = new Float64Array(0); // e_t(0); NaN until taken
  #w = new Float64Array(0);
  #active = new Int32Array(0);
  #excess = new Float64Array(0);
  readonly #rowSums = new KernelBlock();

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'stepSize', 'gradients']);
    this.#eta = numberOption(where, spec, 'stepSize', 0.01, (v) => v > 0, 'a finite number > 0');
    if (this.#eta > MAX_STEP_SIZE) {
      throw new ArgumentError(`${where}: stepSize is ${this.#eta}, above ${MAX_STEP_SIZE} (ln of the largest double): ` +
        'the weights\' factor exp(stepSize·e_t/e_t(0)) overflows at a step whose excess risk equals the first one\'s');
    }
    this.#gradients = choiceOption(where, spec, 'gradients', 'parameters', GRADIENT_SOURCES);
    this.needs = needsOf(this.#gradients, false, { vectors: true });
  }

  protected override setup(): void {
    super.setup();
    const T = this.T;
    this.#k = mathKernels('excessmtl.attach');
    this.#squares.dispose();
    this.#squares = new VectorBank(T);
    this.#initial = new Float64Array(T).fill(NaN);
    this.#w = new Float64Array(T).fill(1);
    this.#active = new Int32Array(T);
    this.#excess = new Float64Array(T);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const k = this.#k!, T = this.T, v = input.vectors!, act = this.#active, w = this.#w, e0 = this.#initial, e = this.#excess;
    const n = startCombining(input.active, out, act, T);
    const summed = v.source === 'representation';
    const length = summed ? v.width : v.length;
    this.#squares.ready('excessmtl.step', length);
    const rows = summed ? this.#rowSums.ensure('excessmtl.step', length * 4) : 0;
    let before = 0, after = 0;
    for (let i = 0; i < n; i++) {
      const t = act[i]!;
      let g = v.pointers[t]!;
      if (summed) { k.colSums(v.rows, v.width, g, rows); g = rows; }
      e[i] = k.accumulateSquares(length, g, this.#squares.pointer(t));
      before += w[t]!;
      if (e0[t]! > 0) w[t] = w[t]! * k.mathExp((this.#eta * e[i]!) / e0[t]!);
      else if (e[i]! > 0) e0[t] = e[i]!;
      after += w[t]!;
    }
    for (let i = 0; i < n; i++) {
      const t = act[i]!;
      w[t] = (w[t]! * before) / after;
      out.taskWeights[t] = w[t]!;
      out.sharedCoefficients[t] = w[t]!;
      e[i] = w[t]!; // the coefficients, for combineVectors
    }
    combineVectors(k, v, act, e, n);
    this.report.add(input.epoch, out.taskWeights, input.active);
  }

  /** A weight that is not finite (exp overflowed), an e_t(0) that is ±∞, or a sum of squares that overflowed float32. */
  protected override diverging(): Divergence | null {
    const w = firstNonFinite(this.#w);
    if (w !== null) return { ...w, what: 'the task weight' };
    for (let t = 0; t < this.T; t++) if (Math.abs(this.#initial[t]!) === Infinity) return { task: t };
    return this.#squares.firstNonFinite(this.#k!);
  }

  config(): Record<string, unknown> {
    return { type: this.type, stepSize: this.#eta, gradients: this.#gradients };
  }

  override dispose(): void {
    this.#squares.dispose();
    this.#rowSums.free();
  }

  protected override save(): Record<string, unknown> {
    return { weights: toJson(this.#w), initial: toJson(this.#initial), bank: this.#squares.save(), ...super.save() };
  }

  protected override load(state: OptionRecord): void {
    const where = 'excessmtl.restore';
    const w = new Float64Array(this.T), e0 = new Float64Array(this.T);
    fromJson(where, state, 'weights', w);
    fromJson(where, state, 'initial', e0, true);
    // A weight the others outgrow underflows to 0 and stays there: a state training reaches.
    checkEach(where, 'weights', w, (x) => x >= 0, '≥ 0');
    checkEach(where, 'initial', e0, (x) => Number.isNaN(x) || x > 0, '> 0 or null');
    super.load(state);
    this.#squares.load(where, state.bank);
    this.#w.set(w);
    this.#initial.set(e0);
  }
}
