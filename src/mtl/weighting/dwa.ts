// Dynamic Weight Average (Liu, Johns & Davison 2019, "End-to-End Multi-Task
// Learning with Attention"; LibMTL's DWA):
//
//   r_t(e) = L̄_t(e−1) / L̄_t(e−2)                      (L̄: the task's mean loss over an epoch)
//   w_t(e) = T · exp(r_t(e)/τ) / Σ_s exp(r_s(e)/τ)     for epochs e ≥ 2;  w_t = 1 in epochs 0 and 1
//
// τ = `temperature` (default 2). The weights sum to T. They change only at epoch
// boundaries: the trainer calls endEpoch with each epoch's mean losses
// (needs.lossHistory), and the two latest are kept. A task whose ratio is
// undefined — no labels in one of the two epochs (NaN), a non-finite loss, or
// L̄(e−2) ≤ 0 — takes r_t = 1, "its loss did not change".
//
// Inactive tasks get weight 0 for the step; the others keep their epoch weights
// (no renormalization, so a task's weight depends on the epoch only).
// currentWeights() is the weights in effect during the latest step (before any
// step: those of the coming epoch), so calling it before or after endEpoch
// reports the epoch that just ended.

import { checkKeys, show, numberOption, type OptionRecord } from '../../runtime/validate.js';
import { ArgumentError } from '../../runtime/errors.js';
import type { Kernels } from '../../runtime/abi.js';
import { BaseStrategy, fromJson, mathKernels, needsOf, softmax, toJson, weightActive } from './common.js';
import type { WeightingStepInput, WeightingStepOutput } from './types.js';

export interface DwaWeightingSpec {
  type: 'dwa';
  /** Softmax temperature τ > 0. Default 2. */
  temperature?: number;
}

export class DwaWeighting extends BaseStrategy {
  readonly type = 'dwa';
  readonly needs = needsOf('none', true);
  readonly #temperature: number;
  #k: Kernels | null = null;
  #epochs = 0;
  #last = new Float64Array(0); //     L̄(e−1)
  #before = new Float64Array(0); //   L̄(e−2)
  #ratios = new Float64Array(0);
  #w = new Float64Array(0); //        the weights for the current epoch
  #used = new Float64Array(0); //     the weights of the latest step
  #stepped = false;

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'temperature']);
    this.#temperature = numberOption(where, spec, 'temperature', 2, (v) => v > 0, 'a finite number > 0');
  }

  protected setup(): void {
    const T = this.T;
    this.#k = mathKernels('dwa.attach');
    this.#epochs = 0;
    this.#last = new Float64Array(T).fill(NaN);
    this.#before = new Float64Array(T).fill(NaN);
    this.#ratios = new Float64Array(T);
    this.#w = new Float64Array(T).fill(1);
    this.#used = new Float64Array(T).fill(1);
    this.#stepped = false;
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    weightActive(this.#w, input.active, out, this.T);
    this.#used.set(this.#w);
    this.#stepped = true;
  }

  protected override epochEnded(epochLosses: Float64Array): void {
    this.#before.set(this.#last);
    this.#last.set(epochLosses);
    this.#epochs++;
    this.#update();
  }

  #update(): void {
    if (this.#epochs < 2) {
      this.#w.fill(1);
      return;
    }
    const r = this.#ratios;
    for (let t = 0; t < this.T; t++) {
      const a = this.#last[t]!, b = this.#before[t]!;
      const q = a / b;
      r[t] = Number.isFinite(a) && Number.isFinite(b) && b > 0 && Number.isFinite(q) ? q : 1;
    }
    softmax(this.#k!, r, null, this.#temperature, this.T, this.#w);
  }

  currentWeights(): Float64Array {
    this.attached('currentWeights');
    return (this.#stepped ? this.#used : this.#w).slice();
  }

  config(): Record<string, unknown> {
    return { type: this.type, temperature: this.#temperature };
  }

  protected save(): Record<string, unknown> {
    return {
      epochs: this.#epochs, last: toJson(this.#last), beforeLast: toJson(this.#before),
      used: this.#stepped ? toJson(this.#used) : null,
    };
  }

  protected load(state: OptionRecord): void {
    const where = 'dwa.restore';
    const T = this.T;
    const epochs = state.epochs;
    if (typeof epochs !== 'number' || !Number.isSafeInteger(epochs) || epochs < 0) {
      throw new ArgumentError(`${where}: state.epochs must be an integer ≥ 0, got ${show(epochs)}`);
    }
    const last = new Float64Array(T), before = new Float64Array(T), used = new Float64Array(T);
    fromJson(where, state, 'last', last, true);
    fromJson(where, state, 'beforeLast', before, true);
    const stepped = state.used !== null && state.used !== undefined;
    if (stepped) fromJson(where, state, 'used', used);
    this.#epochs = epochs;
    this.#last.set(last);
    this.#before.set(before);
    this.#stepped = stepped;
    if (stepped) this.#used.set(used);
    this.#update();
  }
}
