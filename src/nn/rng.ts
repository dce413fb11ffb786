// The seeded PRNG (assembly/rng.ts) as an object: used for initialization,
// dropout and shuffling. No Math.random anywhere in manytask.

import { runtime } from '../runtime/module.js';
import { ArgumentError, DisposedError } from '../runtime/errors.js';
import { show } from '../runtime/validate.js';
import { disposeSymbol, Holding } from '../runtime/holdings.js';
import { checkSeed } from './validate.js';

export class Rng {
  #state: number;
  readonly #memory: Holding = new Holding('Rng');

  /** `stream` separates independent sequences drawn from one seed (init, dropout, shuffle). */
  constructor(seed: number, stream = 0) {
    checkSeed('Rng', seed);
    if (typeof stream !== 'number' || !Number.isInteger(stream) || stream < 0 || stream > 0xffffffff) {
      throw new ArgumentError(`Rng: stream must be an integer from 0 to 4294967295, got ${show(stream)}`);
    }
    const rt = runtime('Rng');
    this.#state = this.#memory.alloc(this, 16);
    rt.kernels.rngSeed(this.#state, seed >>> 0, stream >>> 0);
  }

  get state(): number {
    if (this.#state === 0) throw new DisposedError('an Rng');
    return this.#state;
  }

  uniform(out: number, n: number, lo = 0, hi = 1): void {
    runtime('Rng.uniform').kernels.rngUniform(this.state, n, out, lo, hi);
  }

  normal(out: number, n: number, mean = 0, std = 1): void {
    runtime('Rng.normal').kernels.rngNormal(this.state, n, out, mean, std);
  }

  /** Shuffles n i32 values at `values` in place. */
  shuffle(values: number, n: number): void {
    runtime('Rng.shuffle').kernels.rngShuffle(this.state, n, values);
  }

  dropoutMask(out: number, n: number, keep: number): void {
    runtime('Rng.dropoutMask').kernels.rngDropoutMask(this.state, n, out, keep);
  }

  nextU32(): number {
    return runtime('Rng.nextU32').kernels.rngNextU32(this.state) >>> 0;
  }

  dispose(): void {
    if (this.#state === 0) return;
    this.#memory.release();
    this.#state = 0;
  }

  [disposeSymbol](): void {
    this.dispose();
  }
}
