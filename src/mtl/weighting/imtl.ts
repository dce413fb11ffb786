// IMTL, impartial multi-task learning (Liu, Li, Kuang, Xue, Chen, Yang, Liao &
// Zhang 2021, "Towards Impartial Multi-task Learning"; LibMTL's IMTL, which runs
// both halves of the paper's hybrid):
//
// IMTL-L (loss balance), with learnable scales s_t:
//   L̃_t = e^(s_t)·L_t − s_t           ∂L̃_t/∂s_t = e^(s_t)·L_t − 1   (0 at e^(s_t) = 1/L_t)
// IMTL-G (gradient balance), on the gradients of the scaled losses g̃_t = e^(s_t)·g_t:
//   find α with Σ_t α_t = 1 such that d = Σ_t α_t g̃_t has the same projection on
//   every unit gradient u_t = g̃_t/‖g̃_t‖:  d·u_1 = d·u_t for all t.
//   Paper:  α_{2..T} = g̃_1 Uᵀ (D Uᵀ)⁻¹,  D_j = g̃_1 − g̃_{j+1},  U_j = u_1 − u_{j+1},  α_1 = 1 − Σ α_{2..T}.
//   Here, from the Gram matrix G̃ = E·G·E (E = diag e^(s_t)): d·u_t = (G̃α)_t/‖g̃_t‖ = c
//   for all t ⇔ α ∝ G̃⁻¹·n with n_t = ‖g̃_t‖, normalized to Σ α = 1 (the same α when
//   G̃ is invertible). The inverse is a pseudo-inverse (Jacobi eigendecomposition,
//   eigenvalues below λ_max·T·2⁻²³ dropped), which extends the method to linearly
//   dependent gradients as torchjd's IMTLG does; if Σ(G̃⁺n) vanishes the shared
//   gradient is 0.
//
// The answer: taskWeights_t = e^(s_t) (each task's own parameters see its scaled
// loss), sharedCoefficients_t = α_t·e^(s_t). Then every active s_t steps along
// e^(s_t)·L_t − 1 with the trainer's learning rate, Adam (default) or SGD, as the
// uncertainty strategy steps its log-variances; s_t starts at 0. `lossScale: false`
// keeps every s_t at 0: IMTL-G alone, task weights 1.
//
// Cost per step: per-task gradients (needs.gradients 'either': of the shared
// representation, one backward per task part, unless the model asks for
// 'parameters'), a T×T eigendecomposition.
//
// Inactive tasks are left out of IMTL-G and keep their s_t (weight and coefficient 0).
// currentWeights() is each task's mean shared coefficient over the latest epoch's
// steps in which it was active (NaN if it never was).

import { checkKeys, booleanOption, choiceOption, type OptionRecord } from '../../runtime/validate.js';
import type { Kernels } from '../../runtime/abi.js';
import { GRADIENT_SOURCES, ReportingStrategy, ScalarAdam, WEIGHT_OPTIMIZERS, expWeightBeyondF32, firstNonFinite, fromJson, mathKernels, needsOf, startCombining, toJson, type Divergence, type GradientSource, type WeightOptimizer } from './common.js';
import { PINV_RTOL, SmallLinalg } from './linalg.js';
import type { WeightingNeeds, WeightingStepInput, WeightingStepOutput } from './types.js';

export interface ImtlWeightingSpec {
  type: 'imtl';
  /** Learn the loss scales e^(s_t) (IMTL-L). Default true (LibMTL's IMTL); false: IMTL-G alone. */
  lossScale?: boolean;
  /** How the s_t are stepped with the trainer's learning rate. Default 'adam'. */
  optimizer?: WeightOptimizer;
  /** Which per-task gradients the Gram matrix is built from. Default 'either' (the trainer picks the representation; the shared parameters on crossStitch). */
  gradients?: GradientSource;
}

export class ImtlWeighting extends ReportingStrategy {
  readonly type = 'imtl';
  readonly needs: WeightingNeeds;
  readonly #lossScale: boolean;
  readonly #optimizer: WeightOptimizer;
  readonly #gradients: GradientSource;
  #k: Kernels | null = null;
  #s = new Float64Array(0);
  #adam = new ScalarAdam(0);
  #active = new Int32Array(0);
  #G = new Float64Array(0);
  #norms = new Float64Array(0);
  #linalg = new SmallLinalg(0);

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'lossScale', 'optimizer', 'gradients']);
    this.#lossScale = booleanOption(where, spec, 'lossScale', true);
    this.#optimizer = choiceOption(where, spec, 'optimizer', 'adam', WEIGHT_OPTIMIZERS);
    this.#gradients = choiceOption(where, spec, 'gradients', 'either', GRADIENT_SOURCES);
    this.needs = needsOf(this.#gradients);
  }

  protected override setup(): void {
    super.setup();
    const T = this.T;
    this.#k = mathKernels('imtl.attach');
    this.#s = new Float64Array(T);
    this.#adam = new ScalarAdam(T);
    this.#active = new Int32Array(T);
    this.#G = new Float64Array(T * T);
    this.#norms = new Float64Array(T);
    this.#linalg = new SmallLinalg(T);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const k = this.#k!, T = this.T, gram = input.gram!, act = this.#active, s = this.#s, G = this.#G, norms = this.#norms;
    const n = startCombining(input.active, out, act, T);
    for (let i = 0; i < n; i++) {
      const t = act[i]!;
      const scale = k.mathExp(s[t]!);
      out.taskWeights[t] = scale;
      norms[i] = scale; // e^(s_t), for the moment
    }
    // G̃ = E·G·E over the active tasks, and n_t = ‖g̃_t‖.
    let largest = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) G[i * n + j] = norms[i]! * gram[act[i]! * T + act[j]!]! * norms[j]!;
    }
    for (let i = 0; i < n; i++) largest = Math.max(largest, G[i * n + i]!);
    if (n > 0 && largest > 0) {
      const la = this.#linalg;
      la.eigen(G, n);
      let top = 0;
      for (let i = 0; i < n; i++) top = Math.max(top, la.values[i]!);
      const b = norms; // reuse: n_t = √G̃_tt
      for (let i = 0; i < n; i++) b[i] = Math.sqrt(Math.max(G[i * n + i]!, 0));
      la.pinvApply(b, n, top * n * PINV_RTOL);
      let sum = 0, size = 0;
      for (let i = 0; i < n; i++) { sum += la.x[i]!; size += Math.abs(la.x[i]!); }
      if (Math.abs(sum) > 1e-12 * size) {
        for (let i = 0; i < n; i++) {
          const t = act[i]!;
          out.sharedCoefficients[t] = (la.x[i]! / sum) * out.taskWeights[t]!;
        }
      }
    }
    if (this.#lossScale) {
      for (let i = 0; i < n; i++) {
        const t = act[i]!;
        const g = out.taskWeights[t]! * input.losses[t]! - 1;
        s[t] = this.#optimizer === 'sgd' ? s[t]! - input.learningRate * g : this.#adam.step(t, s[t]!, g, input.learningRate);
      }
    }
    this.report.add(input.epoch, out.sharedCoefficients, input.active);
  }

  protected override diverging(): Divergence | null {
    const s = firstNonFinite(this.#s);
    return s !== null ? { ...s, what: 'the loss scale' } : this.#adam.firstNonFinite();
  }

  /** An s_t whose scale e^(s_t) (the task weight) float32 cannot carry. */
  protected override unusable(): Divergence | null {
    return expWeightBeyondF32(this.#s, 1);
  }

  /** The learned log loss scales s_t (a copy). */
  lossScales(): Float64Array {
    this.attached('lossScales');
    return this.#s.slice();
  }

  config(): Record<string, unknown> {
    return { type: this.type, lossScale: this.#lossScale, optimizer: this.#optimizer, gradients: this.#gradients };
  }

  protected override save(): Record<string, unknown> {
    return { lossScales: toJson(this.#s), ...this.#adam.save(), ...super.save() };
  }

  protected override load(state: OptionRecord): void {
    const where = 'imtl.restore';
    const s = new Float64Array(this.T);
    fromJson(where, state, 'lossScales', s);
    this.#adam.load(where, state);
    super.load(state);
    this.#s.set(s);
  }
}
