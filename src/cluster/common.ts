// What the clustering models share: reading points into WASM memory (validated
// before any kernel runs), a workspace that frees everything a call allocated,
// a seeded RNG state kept in JS between calls, and option checks.
//
// The models keep their fitted state in JS typed arrays and hold no WASM memory
// between calls (only the AutoEncoder, which owns networks, needs dispose()).
// Their results (labels, distances, probabilities, scores, codes) come back as
// plain typed arrays too, unless a Matrix is asked for ({ as: 'matrix' }).

import { readRows, badValue } from '../tensor/rows.js';
import { Matrix } from '../tensor/matrix.js';
import { ArgumentError, ShapeError } from '../runtime/errors.js';
import { heapF32, runtime } from '../runtime/module.js';
import { F32_MAX, checkKeys, checkOptionsObject, isF32Finite, show, checkInteger, checkNumber } from '../runtime/validate.js';
import { checkSeed } from '../runtime/validate.js';
import type { RngStreamId } from '../nn/rng.js';

/**
 * Points, one row each: an array of rows, a Matrix, or a flat row-major array
 * with its shape, `{ data: Float32Array, rows, cols }`. Every value must be finite
 * and within float32's range. The models compute in float32 on the points centred
 * at their column medians: given as float64 (number arrays, a Float64Array), the
 * medians are subtracted in float64, before the rounding to float32. A group of
 * points too far from the median for float32 to keep their detail is refused
 * (checkRounding in src/cluster/lloyd.ts).
 */
export type Points =
  | readonly (readonly number[])[]
  | Matrix
  | FlatPoints;

export interface FlatPoints {
  readonly data: Float32Array | Float64Array | readonly number[];
  readonly rows: number;
  readonly cols: number;
}

/**
 * A rows × cols result, row-major, in a plain typed array: JS memory, nothing to
 * dispose. It is also valid Points, so it can be fed to another model.
 */
export interface RowMajorArray<T extends Float32Array | Float64Array = Float32Array> {
  readonly data: T;
  readonly rows: number;
  readonly cols: number;
}

/** How a rows × cols result comes back: a RowMajorArray (default), or a Matrix in WASM memory that the caller disposes. */
export interface ResultOptions {
  as?: 'array' | 'matrix';
}

/** Reads ResultOptions (checked before any work is done). */
export function resultKind(where: string, options: unknown): 'array' | 'matrix' {
  if (options === undefined) return 'array';
  const o = checkOptionsObject(where, options);
  checkKeys(where, o, ['as']);
  if (o.as === undefined || o.as === 'array' || o.as === 'matrix') return o.as ?? 'array';
  throw new ArgumentError(`${where}: as must be 'array' or 'matrix', got ${show(o.as)}`);
}

/** A rows × cols result as the caller asked for it (see ResultOptions). */
export function shapeResult<T extends Float32Array | Float64Array>(as: 'array' | 'matrix', data: T, rows: number, cols: number): RowMajorArray<T> | Matrix {
  return as === 'matrix' ? Matrix.from(data, rows, cols) : { data, rows, cols };
}

/** A copy of validated points in WASM memory (owned by a Workspace). */
export interface Staged {
  readonly ptr: number;
  readonly rows: number;
  readonly cols: number;
}

/**
 * The caller's values behind staged points when they are float64 (an array of
 * rows, or a flat number[] or Float64Array): `rows`, or `flat` row-major. The
 * float32 copy has rounded them; centring reads them here (src/cluster/lloyd.ts).
 */
export interface Source {
  readonly rows: readonly (readonly number[])[] | null;
  readonly flat: ArrayLike<number> | null;
}

/** Staged points and, if they came as float64, the caller's values (null: float32 already, a Matrix or a Float32Array). */
export interface StagedPoints extends Staged {
  readonly source: Source | null;
  /**
   * The caller's values, whatever their kind: `source`, or the Float32Array or Matrix given (their values
   * exactly, as float64 numbers). A Matrix's is a view of WASM memory: read it before anything allocates.
   */
  readonly original: () => Source;
}

/** Allocations of one call, all freed by `free()` (in a finally). */
export class Workspace {
  readonly #ptrs: number[] = [];
  readonly #where: string;

  constructor(where: string) {
    this.#where = where;
  }

  /** A 16-byte-aligned block of `bytes` (contents undefined). */
  alloc(bytes: number): number {
    const p = runtime(this.#where).allocator.alloc(Math.max(bytes, 16));
    this.#ptrs.push(p);
    return p;
  }

  /** A block of `count` f32/i32 slots (4 bytes each). */
  floats(count: number): number {
    return this.alloc(count * 4);
  }

  /** A block of `count` f64 slots. */
  doubles(count: number): number {
    return this.alloc(count * 8);
  }

  free(): void {
    const { allocator } = runtime(this.#where);
    for (const p of this.#ptrs) allocator.free(p);
    this.#ptrs.length = 0;
  }
}

/**
 * Validates `points` and copies them into WASM memory (src/tensor/rows.ts reads
 * them). `cols`, when given, is the number of features a fitted model expects
 * (ShapeError otherwise).
 */
export function stagePoints(ws: Workspace, where: string, points: unknown, cols?: number): StagedPoints {
  let ptr = 0;
  const { rows, cols: c } = readRows(where, 'points', points, {
    ...(cols !== undefined ? { cols } : {}),
    accepts: 'an array of rows (number[][]), a Matrix or { data, rows, cols }',
    // Written straight into WASM memory, and checked there by a kernel (large data).
    into: (r, k) => { ptr = ws.floats(r * k); return new Float32Array(heapF32().buffer, ptr, r * k); },
    check: false,
  });
  const given = points as { data?: ArrayLike<unknown> };
  const flat = points instanceof Float64Array ? points
    : given.data !== undefined && !(points instanceof Matrix) && !(given.data instanceof Float32Array) ? given.data as ArrayLike<number> : null;
  const source: Source | null = Array.isArray(points) ? { rows: points as readonly (readonly number[])[], flat: null }
    : flat !== null ? { rows: null, flat } : null;
  const original = (): Source => {
    if (source !== null) return source;
    if (points instanceof Matrix) return { rows: null, flat: heapF32().subarray(points.ptr >>> 2, (points.ptr >>> 2) + rows * c) };
    return { rows: null, flat: (points instanceof Float32Array ? points : given.data) as Float32Array };
  };
  const staged = { ptr, rows, cols: c, source, original };
  checkFinite(where, staged, Array.isArray(points)
    ? (i) => (points[Math.floor(i / c)] as readonly unknown[])[i % c]
    : given.data !== undefined && !(points instanceof Matrix) ? (i) => given.data![i] : (i) => heapF32()[(ptr >>> 2) + i]);
  return staged;
}

/**
 * Scans the f32 copy with the firstNonFinite kernel (a check, run before any
 * kernel computes on the data), which also catches finite f64 values beyond
 * the f32 range; the error shows the caller's value, `original(i)` for flat index i.
 */
function checkFinite(where: string, x: Staged, original: (i: number) => unknown): void {
  const i = runtime(where).kernels.firstNonFinite(x.rows * x.cols, x.ptr);
  if (i >= 0) throw badValue(where, 'points', Math.floor(i / x.cols), i % x.cols, original(i));
}

/**
 * How many distinct rows `x` has, counting no further than `limit` (rows equal
 * value for value, −0 = 0, are one row); with `weights` (x.rows f64 in WASM, 0
 * for none), only the rows that weigh more than 0.
 */
export function countDistinctRows(x: Staged, limit: number, weights = 0): number {
  const heap = heapF32();
  const w = weights === 0 ? null : new Float64Array(heap.buffer, weights, x.rows);
  const seen = new Set<string>();
  const base = x.ptr >>> 2;
  for (let i = 0; i < x.rows && seen.size < limit; i++) {
    if (w !== null && !(w[i]! > 0)) continue;
    const row = heap.subarray(base + i * x.cols, base + (i + 1) * x.cols);
    seen.add(row.join(','));
  }
  return seen.size;
}

/** Throws unless `x` has at least `k` rows (scikit-learn's n_samples ≥ n_clusters). */
export function requireRows(where: string, x: Staged, k: number, what: string): void {
  if (x.rows < k) {
    throw new ArgumentError(`${where}: ${what} = ${k} is larger than the number of rows (${x.rows})`);
  }
}

/** One non-negative weight per row (scikit-learn's sample_weight): a number[] or any numeric typed array. */
export type SampleWeight =
  | readonly number[] | Float32Array | Float64Array | Int8Array | Uint8Array | Uint8ClampedArray
  | Int16Array | Uint16Array | Int32Array | Uint32Array;

/** The options of a fit or a score that takes sample weights. */
export interface SampleWeightOptions {
  /** One weight ≥ 0 per row, each 0 or a positive float32 (their sum > 0 and a float32 too); omitted, every row weighs 1. */
  sampleWeight?: SampleWeight;
}

/** Staged sample weights: n f64 in WASM, their sum and how many are > 0. */
export interface StagedWeights {
  readonly ptr: number;
  readonly total: number;
  readonly positive: number;
}

/** Checks the options object of a call that takes `{ sampleWeight }` and returns the weights (or undefined). */
export function sampleWeightOption(where: string, options: unknown): unknown {
  const opts = checkOptionsObject(where, options);
  checkKeys(where, opts, ['sampleWeight']);
  return opts.sampleWeight;
}

/**
 * Validates sample weights for `rows` rows and copies them into WASM memory as
 * f64. Returns null when there are none or every weight is exactly 1, so that
 * the unweighted path (and its results, bit for bit) is used.
 */
export function stageWeights(ws: Workspace, where: string, weights: unknown, rows: number): StagedWeights | null {
  if (weights === undefined) return null;
  const numericView = ArrayBuffer.isView(weights) && !(weights instanceof DataView) &&
    !(weights instanceof BigInt64Array) && !(weights instanceof BigUint64Array);
  if (!numericView && !Array.isArray(weights)) {
    throw new ArgumentError(`${where}: sampleWeight must be a number[] or a numeric typed array, got ${show(weights)}`);
  }
  const values = weights as ArrayLike<unknown>;
  if (values.length !== rows) {
    throw new ShapeError(`${where}: sampleWeight has ${values.length} values, expected one per row (${rows})`);
  }
  let total = 0, positive = 0, allOnes = true;
  for (let i = 0; i < rows; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new ArgumentError(`${where}: sampleWeight[${i}] is ${show(v)}; every weight must be a finite number ≥ 0`);
    }
    // Weights and their total are float32 values, as the data are: a weighted mean takes
    // 1/(its rows' weight), +Infinity for 5e-324, and weight × squared distance overflows for 1e300.
    if (!isF32Finite(v) || (v > 0 && Math.fround(v) === 0)) {
      throw new ArgumentError(`${where}: sampleWeight[${i}] is ${v}; a weight must be 0 or from 1.4e-45 to 3.4e38 (float32's smallest and largest positive values); rescale the weights`);
    }
    total += v;
    if (total > F32_MAX) {
      throw new ArgumentError(`${where}: sampleWeight sums to ${total} by row ${i}, beyond the float32 range (3.4e38); rescale the weights`);
    }
    if (v > 0) positive++;
    if (v !== 1) allOnes = false;
  }
  if (!(total > 0)) throw new ArgumentError(`${where}: sampleWeight sums to 0; at least one row needs a positive weight`);
  if (allOnes) return null;
  const ptr = ws.doubles(rows);
  writeF64(ptr, values as ArrayLike<number>);
  return { ptr, total, positive };
}

/** A xoshiro128** state (4 × u32) kept in JS between calls; `enter` copies it into WASM, `leave` back. */
export class RngState {
  readonly #state = new Uint32Array(4);

  constructor(seed: number, stream: RngStreamId) {
    const ws = new Workspace('Rng');
    try {
      const p = ws.alloc(16);
      runtime('Rng').kernels.rngSeed(p, seed >>> 0, stream >>> 0);
      this.#state.set(new Uint32Array(heapF32().buffer, p, 4));
    } finally {
      ws.free();
    }
  }

  /** A pointer to a copy of the state inside `ws`. */
  enter(ws: Workspace): number {
    const p = ws.alloc(16);
    new Uint32Array(heapF32().buffer, p, 4).set(this.#state);
    return p;
  }

  /** Reads the advanced state back from `ptr`. */
  leave(ptr: number): void {
    this.#state.set(new Uint32Array(heapF32().buffer, ptr, 4));
  }

}

// Option checks.

/**
 * An estimator's parameter constraints, declared once per class (scikit-learn's
 * _parameter_constraints): each entry checks a value and returns it typed. The
 * constructor reads its options through them; fit checks the estimator's
 * current values through them again (checkParams), so a parameter changed after
 * construction (`readonly` binds TypeScript only) is refused with a typed error
 * instead of reaching a kernel.
 */
export type ParamCheck<T> = (where: string, value: unknown) => T;
export type ParamTable = Readonly<Record<string, ParamCheck<unknown>>>;

export function integerParam(name: string, min: number): ParamCheck<number> {
  return (where, value) => checkInteger(where, name, value, min);
}

export function numberParam(name: string, ok: (v: number) => boolean, expected: string): ParamCheck<number> {
  return (where, value) => checkNumber(where, name, value, ok, expected);
}

/** A parameter that may also be undefined (not set). */
export function optionalParam<T>(check: ParamCheck<T>): ParamCheck<T | undefined> {
  return (where, value) => (value === undefined ? undefined : check(where, value));
}

/** Checks every parameter of `table` on the estimator (at fit). */
export function checkParams(where: string, table: ParamTable, estimator: object): void {
  for (const [name, check] of Object.entries(table)) check(where, (estimator as Record<string, unknown>)[name]);
}

export function notFitted(where: string, model: string): ArgumentError {
  return new ArgumentError(`${where}: this ${model} is not fitted yet; call fit() first`);
}

/** A Float64Array copy of `count` doubles at `ptr`. */
export function readF64(ptr: number, count: number): Float64Array {
  return new Float64Array(heapF32().buffer, ptr, count).slice();
}

/** A Float32Array copy of `count` floats at `ptr`. */
export function readF32(ptr: number, count: number): Float32Array {
  return heapF32().slice(ptr >>> 2, (ptr >>> 2) + count);
}

/**
 * How many of the clusters 0…k−1 `labels` use: a flag per cluster, and the pass
 * stops once all k are seen. A Set of 100,000 labels took 1.4 ms of each KMeans.fit
 * (and of a GMM's k-means start); this takes 0.08 ms at most.
 */
export function clustersUsed(labels: ArrayLike<number>, k: number): number {
  const seen = new Uint8Array(k);
  let used = 0;
  for (let i = 0; i < labels.length && used < k; i++) {
    const c = labels[i]!;
    if (seen[c] === 0) { seen[c] = 1; used++; }
  }
  return used;
}

/** An Int32Array copy of `count` ints at `ptr`. */
export function readI32(ptr: number, count: number): Int32Array {
  return new Int32Array(heapF32().buffer, ptr, count).slice();
}

export function writeF64(ptr: number, values: ArrayLike<number>): void {
  new Float64Array(heapF32().buffer, ptr, values.length).set(values);
}

export function writeF32(ptr: number, values: ArrayLike<number>): void {
  heapF32().set(values, ptr >>> 2);
}
