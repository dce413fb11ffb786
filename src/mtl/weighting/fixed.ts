// Fixed weights (and, with none given, equal weighting — LibMTL's EW):
//
//   L = Σ_t w_t · L_t,      w_t constant; default w_t = 1 for every task.
//
// The same w_t multiplies each task's own gradient and its gradient in the shared
// part (taskWeights = sharedCoefficients = w_t·active_t). Weights are given as an
// array in task order or as a record { taskName: weight } naming every task; they
// are finite, ≥ 0, within float32 (the kernels scale each task's gradient by its
// weight in float32, where 1e39 is ∞) and not all 0 there. The array's length and
// the record's names are checked against the tasks when the strategy is attached.

import { ArgumentError } from '../../runtime/errors.js';
import { beyondF32, checkKeys, show, type OptionRecord } from '../../runtime/validate.js';
import { BaseStrategy, needsOf, weightActive } from './common.js';
import type { WeightingStepInput, WeightingStepOutput } from './types.js';

export interface FixedWeightingSpec {
  type: 'fixed';
  /** One weight per task (task order) or by task name; finite, ≥ 0, within float32 (≤ 3.4e38), not all 0. Default: 1 for every task. */
  weights?: readonly number[] | Readonly<Record<string, number>>;
}

export class FixedWeighting extends BaseStrategy {
  readonly type = 'fixed';
  readonly needs = needsOf('none');
  readonly #given: number[] | ReadonlyMap<string, number> | undefined;
  #w = new Float64Array(0);

  constructor(spec: OptionRecord, where: string) {
    super();
    checkKeys(where, spec, ['type', 'weights']);
    const v = spec.weights;
    if (v === undefined) {
      this.#given = undefined;
    } else if (Array.isArray(v)) {
      if (v.length === 0) throw new ArgumentError(`${where}: weights must not be empty`);
      v.forEach((x: unknown, i) => checkWeight(where, `weights[${i}]`, x));
      this.#given = v.slice() as number[];
    } else if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v)) {
      // A Map, not an object: a task may be named "__proto__" or "constructor".
      const byName = new Map<string, number>();
      for (const [name, x] of Object.entries(v)) byName.set(name, checkWeight(where, `weights[${JSON.stringify(name)}]`, x));
      if (byName.size === 0) throw new ArgumentError(`${where}: weights must not be empty`);
      this.#given = byName;
    } else {
      throw new ArgumentError(`${where}: weights must be an array of numbers or a record { taskName: weight }, got ${show(v)}`);
    }
    const values = this.#given === undefined ? [1] : [...this.#given.values()];
    // As float32 (what the kernels scale by): weights of 1e-50 train nothing either.
    if (!values.some((x) => Math.fround(x) > 0)) throw new ArgumentError(`${where}: weights must not all be 0 (in float32)`);
  }

  protected setup(): void {
    const where = 'fixed.attach';
    const T = this.T;
    const w = new Float64Array(T).fill(1);
    const g = this.#given;
    if (Array.isArray(g)) {
      if (g.length !== T) {
        throw new ArgumentError(`${where}: weights has ${g.length} entries but there are ${T} tasks (${this.names.join(', ')})`);
      }
      w.set(g);
    } else if (g !== undefined) {
      for (const name of g.keys()) {
        if (!this.names.includes(name)) {
          throw new ArgumentError(`${where}: weights names an unknown task ${show(name)} (tasks: ${this.names.join(', ')})`);
        }
      }
      this.names.forEach((name, t) => {
        const x = g.get(name);
        if (x === undefined) throw new ArgumentError(`${where}: weights has no entry for task ${show(name)}`);
        w[t] = x;
      });
    }
    this.#w = w;
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    weightActive(this.#w, input.active, out, this.T);
  }

  currentWeights(): Float64Array {
    this.attached('currentWeights');
    return this.#w.slice();
  }

  config(): Record<string, unknown> {
    const g = this.#given;
    if (g !== undefined) return { type: this.type, weights: Array.isArray(g) ? g.slice() : Object.fromEntries(g) };
    return this.T > 0 ? { type: this.type, weights: Array.from(this.#w) } : { type: this.type };
  }

  protected save(): Record<string, unknown> {
    return {};
  }

  protected load(_state: OptionRecord): void {}
}

function checkWeight(where: string, name: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) {
    throw new ArgumentError(`${where}: ${name} must be a finite number ≥ 0, got ${show(x)}`);
  }
  if (!Number.isFinite(Math.fround(x))) throw beyondF32(where, name, x);
  return x;
}
