// The seeded PRNG (assembly/rng.ts) as an object, and the one registry of the
// streams manytask draws from a seed. No Math.random anywhere in manytask.

import { runtime } from '../runtime/module.js';
import { ArgumentError, DisposedError } from '../runtime/errors.js';
import { show } from '../runtime/validate.js';
import { disposeSymbol, Holding } from '../runtime/holdings.js';
import { checkSeed } from '../runtime/validate.js';

/**
 * Every consumer of randomness in manytask draws from its own stream of a seed,
 * named here and nowhere else: the same seed handed to two consumers (the CLI
 * gives one `--seed` to the model, to fit's shuffle and to Dataset.split) gives
 * them independent sequences. `new Rng(seed, RngStream.x)` and the clustering
 * models' `RngState(seed, RngStream.x)` are the only ways src/ seeds a stream
 * (tests/unit/rng-streams.test.js checks both, and that no two names share a
 * number). A consumer keeps its number for good: changing it changes every
 * result trained with a given seed.
 *
 *  - init        parameter initialization (Network, MultiTaskModel, AutoEncoder's network)
 *  - dropout     dropout masks (the same owners), and the Gumbel noise of LTB's
 *                parent choices (the other noise of a training forward pass)
 *  - shuffle     the batch order of MultiTaskModel.fit and AutoEncoder.fit
 *  - split       Dataset.split's permutation
 *  - weighting   the weighting strategies' draws (RLW's weights, PCGrad's task order).
 *                It used to share 3 with split: with the CLI's one seed, RLW and
 *                PCGrad drew the very numbers that had chosen its validation rows.
 *  - clustering  KMeans, MiniBatchKMeans and GaussianMixture: their k-means++ starts,
 *                samples and re-seeding (each estimator draws only from its own seed);
 *                the model's clustering task runs KMeans with seed + 7919 · epoch.
 *  - bagging     Ensemble.train's bootstrap samples of the rows, one member after another.
 *  - adversarial PGD's random starts in the ε-ball (fit's `adversarial`, evaluate's `attack`).
 *
 * A user's own `new Rng(seed, stream)` may take any stream; 0–7 are these.
 */
export const RngStream = Object.freeze({
  init: 0,
  dropout: 1,
  shuffle: 2,
  split: 3,
  weighting: 4,
  clustering: 5,
  bagging: 6,
  adversarial: 7,
} as const);

export type RngStreamName = keyof typeof RngStream;
/** One of the registry's stream numbers. */
export type RngStreamId = (typeof RngStream)[RngStreamName];

export class Rng {
  #state: number;
  readonly #memory: Holding = new Holding('Rng');
  readonly #seed: number;
  readonly #stream: number;

  /** `stream` separates independent sequences drawn from one seed (manytask's own: RngStream). */
  constructor(seed: number, stream = 0) {
    checkSeed('Rng', seed);
    if (typeof stream !== 'number' || !Number.isInteger(stream) || stream < 0 || stream > 0xffffffff) {
      throw new ArgumentError(`Rng: stream must be an integer from 0 to 4294967295, got ${show(stream)}`);
    }
    const rt = runtime('Rng');
    this.#seed = seed >>> 0;
    this.#stream = stream >>> 0;
    this.#state = this.#memory.alloc(this, 16);
    rt.kernels.rngSeed(this.#state, this.#seed, this.#stream);
  }

  /**
   * Seeds the 16-byte state at `out` with a sequence of this Rng's seed and stream
   * picked by `keys` (say a step and a micro-shard): the same keys give the same
   * sequence whoever draws it and whatever was drawn before, so work split into
   * pieces draws the same numbers in any order. This Rng's own state is untouched.
   */
  seedKeyed(out: number, keys: readonly number[]): void {
    if (this.#state === 0) throw new DisposedError('an Rng');
    let h = this.#seed;
    for (const key of keys) h = mix32(h ^ mix32(key >>> 0));
    runtime('Rng.seedKeyed').kernels.rngSeed(out, h, this.#stream);
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

/** MurmurHash3's 32-bit finalizer: every input bit moves every output bit (integer arithmetic only). */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}
