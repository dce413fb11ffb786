// The seeded PRNG (assembly/rng.ts) as an object, and the one registry of the
// streams manytask draws from a seed. No Math.random anywhere in manytask.

import { runtime } from '../runtime/module.js';
import { ArgumentError, DisposedError } from '../runtime/errors.js';
import { checkF32, show } from '../runtime/validate.js';
import { checkCount, checkPointer } from './pointers.js';
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
   * `keys`: integers from 0 to 4294967295.
   */
  seedKeyed(out: number, keys: readonly number[]): void {
    const where = 'Rng.seedKeyed';
    this.#live();
    checkPointer(where, 'out', out, 16);
    if (!Array.isArray(keys)) throw new ArgumentError(`${where}: keys must be an array of integers, got ${show(keys)}`);
    let h = this.#seed;
    for (let i = 0; i < keys.length; i++) {
      const key: unknown = keys[i];
      if (typeof key !== 'number' || !Number.isInteger(key) || key < 0 || key > 0xffffffff) {
        throw new ArgumentError(`${where}: keys[${i}] must be an integer from 0 to 4294967295, got ${show(key)}`);
      }
      h = mix32(h ^ mix32(key >>> 0));
    }
    runtime(where).kernels.rngSeed(out, h, this.#stream);
  }

  /** @internal The 16-byte state's byte offset (the kernels draw from it directly). */
  get state(): number {
    return this.#live();
  }

  /**
   * Writes n floats uniform in [lo, hi) at the byte offset `out` (a block of
   * WASM memory holding at least n floats), as torch.Tensor.uniform_.
   */
  uniform(out: number, n: number, lo = 0, hi = 1): void {
    const where = 'Rng.uniform';
    const state = this.#live();
    const count = checkCount(where, 'n', n);
    checkF32(where, 'lo', lo);
    checkF32(where, 'hi', hi);
    if (!(lo <= hi)) throw new ArgumentError(`${where}: lo (${lo}) must not exceed hi (${hi})`);
    if (!Number.isFinite(Math.fround(Math.fround(hi) - Math.fround(lo)))) {
      throw new ArgumentError(`${where}: hi − lo is ${hi - lo}, beyond the float32 range (±3.4e38) the draws compute in`);
    }
    checkPointer(where, 'out', out, count * 4);
    runtime(where).kernels.rngUniform(state, count, out, lo, hi);
  }

  /** Writes n floats drawn from N(mean, std²) at the byte offset `out`, as torch.Tensor.normal_ (std ≥ 0). */
  normal(out: number, n: number, mean = 0, std = 1): void {
    const where = 'Rng.normal';
    const state = this.#live();
    const count = checkCount(where, 'n', n);
    checkF32(where, 'mean', mean);
    checkF32(where, 'std', std);
    if (std < 0) throw new ArgumentError(`${where}: std must be ≥ 0, got ${std}`);
    // A draw is at most 5.8 standard deviations from the mean (Box–Muller on 24-bit uniforms).
    if (!Number.isFinite(Math.fround(Math.abs(mean) + 6 * std))) {
      throw new ArgumentError(`${where}: mean ${mean} and std ${std} reach beyond the float32 range (±3.4e38) the draws compute in`);
    }
    checkPointer(where, 'out', out, count * 4);
    runtime(where).kernels.rngNormal(state, count, out, mean, std);
  }

  /** Shuffles the n i32 values at the byte offset `values` in place (Fisher–Yates). */
  shuffle(values: number, n: number): void {
    const where = 'Rng.shuffle';
    const state = this.#live();
    const count = checkCount(where, 'n', n);
    checkPointer(where, 'values', values, count * 4);
    runtime(where).kernels.rngShuffle(state, count, values);
  }

  /** Writes an inverted-dropout mask of n floats at `out`: 1/keep with probability keep, else 0; keep in (0, 1]. */
  dropoutMask(out: number, n: number, keep: number): void {
    const where = 'Rng.dropoutMask';
    const state = this.#live();
    const count = checkCount(where, 'n', n);
    if (typeof keep !== 'number' || !(keep > 0 && keep <= 1) || !Number.isFinite(Math.fround(1 / Math.fround(keep)))) {
      throw new ArgumentError(`${where}: keep (the probability of keeping a value) must be a number in (0, 1] whose inverse is a float32, got ${show(keep)}`);
    }
    checkPointer(where, 'out', out, count * 4);
    runtime(where).kernels.rngDropoutMask(state, count, out, keep);
  }

  nextU32(): number {
    return runtime('Rng.nextU32').kernels.rngNextU32(this.#live()) >>> 0;
  }

  #live(): number {
    if (this.#state === 0) throw new DisposedError('an Rng');
    return this.#state;
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
