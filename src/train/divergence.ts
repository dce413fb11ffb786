// The divergence rule: training stops when a loss explodes, not only once it is
// no longer finite (a learning rate of 1e6 used to end "normally" at a loss of
// 2.4e37, and the CLI at --lr 100 saved a model whose regression R² was −957).
//
//   A task's loss on a batch diverges when it is above `factor` (default 10⁴)
//   times the task's reference: the larger of 1 and the task's loss at the first
//   step of this run (this fit call) whose batch had labels for the task.
//
// Why this reference, measured on the bundled penguins: a healthy run never
// comes near it (the largest batch loss of a run is 1 to 1.7 times its first;
// a learning rate of 1 spikes to 740 times and recovers), while a diverging one
// passes it at once (a learning rate of 10: 1.4e7 times at step 1; 100: 2.3e13).
// The loss a run reaches later is no reference: once a task fits its data the
// batch losses spread over orders of magnitude (a species head at 10⁻¹⁴ and
// then 2·10⁻⁵ on a harder batch is 5·10⁸ times "its best"). The floor of 1 is for
// runs that start near zero (a second fit of a fitted model): an explosion there
// still crosses 10⁴, while a noisy batch of a well-fitted task stays far below.
// `divergence: false` turns the rule off; the checks for non-finite losses,
// gradients and updates stay.

import { ArgumentError, TrainingDivergedError } from '../runtime/errors.js';
import { checkKeys, show } from '../runtime/validate.js';

/** fit's `divergence` option: the rule's factor, or false to turn the rule off. */
export interface DivergenceOptions {
  /** How many times its reference a task's loss may reach before training stops; > 1. Default 1e4. */
  factor?: number;
}

export const DEFAULT_DIVERGENCE_FACTOR = 1e4;

/** Reads `divergence` (undefined, true, false or { factor }); returns the factor, Infinity when off. */
export function divergenceFactor(where: string, value: unknown): number {
  if (value === undefined || value === true) return DEFAULT_DIVERGENCE_FACTOR;
  if (value === false) return Infinity;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ArgumentError(`${where}: divergence must be false (off), true or { factor }, got ${show(value)}`);
  }
  checkKeys(`${where} divergence`, value, ['factor']);
  const factor = (value as DivergenceOptions).factor;
  if (factor === undefined) return DEFAULT_DIVERGENCE_FACTOR;
  if (typeof factor !== 'number' || !(factor > 1)) {
    throw new ArgumentError(`${where}: divergence.factor must be a number > 1 (or Infinity), got ${show(factor)}`);
  }
  return factor;
}

/** The rule for one training run: each task's reference loss, and the check of every step. */
export class DivergenceGuard {
  readonly factor: number;
  readonly #taskNames: readonly string[];
  /** Per task: the reference loss, NaN until the task's first labeled batch. */
  readonly #reference: Float64Array;

  constructor(taskNames: readonly string[], factor: number) {
    this.#taskNames = taskNames;
    this.factor = factor;
    this.#reference = new Float64Array(taskNames.length).fill(NaN);
  }

  /**
   * Checks one step's per-task losses (finite; `active[t]` 0 where the batch had no
   * label for task t). Throws TrainingDivergedError naming the first task whose
   * loss is above its limit; `step` is the step the losses belong to.
   */
  check(losses: ArrayLike<number>, active: ArrayLike<number> | null, step: number): void {
    if (this.factor === Infinity) return;
    for (let t = 0; t < this.#reference.length; t++) {
      if (active !== null && active[t] === 0) continue;
      const loss = losses[t]!;
      const reference = this.#reference[t]!;
      if (Number.isNaN(reference)) {
        this.#reference[t] = Math.max(loss, 1);
        continue;
      }
      const limit = this.factor * reference;
      if (loss > limit) {
        throw new TrainingDivergedError(this.#taskNames[t]!, step, 'the loss', undefined, {
          value: loss, limit,
          rule: `${this.factor} × the larger of 1 and the task's loss at the first step of this run; the divergence option changes the factor or turns the rule off`,
        });
      }
    }
  }
}
