// The k-means engine under KMeans, MiniBatchKMeans and GaussianMixture's k-means
// start: the choice of initial centres, the centring and range checks of the
// data, and Lloyd's iterations (LloydState) over the kernels of assembly/kmeans.ts.
//
// Sample weights, when given, are an n-f64 block in WASM memory (stageWeights in
// common.ts); 0 means every weight is 1, and then every kernel runs exactly its
// unweighted path.

import { ArgumentError, ShapeError } from '../runtime/errors.js';
import { heapF32, runtime } from '../runtime/module.js';
import { beyondF32, isF32Finite, show } from '../runtime/validate.js';
import type { Kernels } from '../runtime/abi.js';
import { assignRunsOf } from '../threads/parallel.js';
import { ConvergenceWarning, warn } from '../runtime/warnings.js';
import { clustersUsed, countDistinctRows, readI32, writeF64, type Source, type Staged, type StagedPoints, type Workspace } from './common.js';

/** How to choose the first centres: a method, or the k centres themselves (k rows of d numbers). */
export type KMeansInit = 'k-means++' | 'random' | readonly (readonly number[])[];

/** A checked init option. */
export interface InitChoice {
  readonly method: 'k-means++' | 'random' | 'given';
  /** The given centres, k × d row-major (original coordinates), or null. */
  readonly centers: Float64Array | null;
  readonly cols: number;
}

export function checkK(where: string, k: unknown): number {
  if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 1) {
    throw new ArgumentError(`${where}: k must be an integer ≥ 1, got ${show(k)}`);
  }
  return k;
}

export function checkInit(where: string, init: unknown, k: number): InitChoice {
  if (init === undefined || init === 'k-means++') return { method: 'k-means++', centers: null, cols: 0 };
  if (init === 'random') return { method: 'random', centers: null, cols: 0 };
  if (!Array.isArray(init)) {
    throw new ArgumentError(`${where}: init must be "k-means++", "random" or an array of k centres (number[][]), got ${show(init)}`);
  }
  if (init.length !== k) throw new ShapeError(`${where}: init gives ${init.length} centres, expected k = ${k}`);
  return { method: 'given', ...checkRows(where, 'init centre', init, k) };
}

/**
 * `count` rows of equal length (≥ 1) of finite numbers within the float32 range, as a row-major
 * Float64Array; `what` names a row in messages ('init centre' → "init centre 2").
 */
export function checkRows(where: string, what: string, rows: readonly unknown[], count: number): { centers: Float64Array; cols: number } {
  const first: unknown = rows[0];
  const d = Array.isArray(first) ? first.length : 0;
  if (d < 1) throw new ShapeError(`${where}: ${what} 0 must be a non-empty array of numbers, got ${show(first)}`);
  const out = new Float64Array(count * d);
  for (let j = 0; j < count; j++) {
    const c: unknown = rows[j];
    if (!Array.isArray(c) || c.length !== d) {
      throw new ShapeError(`${where}: ${what} ${j} has ${Array.isArray(c) ? c.length : show(c)} values, expected ${d} (as ${what} 0)`);
    }
    for (let f = 0; f < d; f++) {
      const v: unknown = c[f];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new ArgumentError(`${where}: ${what} ${j}, value ${f} is ${show(v)}; expected a finite number`);
      }
      if (!isF32Finite(v)) throw beyondF32(where, `${what} ${j}, value ${f}`, v);
      out[j * d + f] = v;
    }
  }
  return { centers: out, cols: d };
}

/** 2 + ⌊ln k⌋ (scikit-learn's number of local trials), with the deterministic log kernel. */
export function plusPlusTrials(k: number): number {
  return 2 + Math.floor(runtime('k-means++').kernels.mathLog(k));
}

/**
 * The buffers of Lloyd's algorithm over centred points x (n × d f32 in WASM)
 * and their sample weights (n f64, or 0 for none): allocated once per fit,
 * reused by every run.
 */
export class LloydState {
  readonly n: number;
  readonly d: number;
  readonly k: number;
  readonly x: number;
  readonly weights: number;
  readonly xNorms: number;
  readonly labels: number;
  readonly minDist: number;
  readonly sums: number;
  readonly counts: number;
  /** k f64 weight totals (weighted runs only, else 0). */
  readonly wsums: number;
  readonly scratch: number;
  readonly centers: number;
  readonly #ws: Workspace;
  #plusPlusScratch = 0;
  #sampleScratch = 0;
  #chosen = 0;
  /** The state whose seeding scratch this one uses (restarts run side by side share it). */
  readonly #seeder: LloydState;

  /**
   * xNorms: the rows' squared norms if already at hand (checkSpread's), else
   * computed here; seeder: another state over the same points whose seeding
   * scratch this one borrows.
   */
  constructor(
    ws: Workspace, x: Staged, k: number,
    { xNorms, weights = 0, seeder }: { xNorms?: number; weights?: number; seeder?: LloydState } = {},
  ) {
    const kern = runtime('KMeans').kernels;
    this.#ws = ws;
    this.#seeder = seeder ?? this;
    this.n = x.rows; this.d = x.cols; this.k = k; this.x = x.ptr; this.weights = weights;
    this.labels = ws.floats(x.rows);
    this.minDist = ws.floats(x.rows);
    this.sums = ws.doubles(k * x.cols);
    this.counts = ws.floats(k);
    this.wsums = weights === 0 ? 0 : ws.doubles(k);
    this.scratch = ws.alloc(kern.kmeansScratchBytes(x.cols, k));
    this.centers = ws.floats(k * x.cols);
    if (xNorms === undefined) {
      this.xNorms = ws.floats(x.rows);
      kern.rowSquaredNorms(x.rows, x.cols, x.ptr, this.xNorms);
    } else {
      this.xNorms = xNorms;
    }
  }

  /**
   * Writes initial centres (in `frame`: centred and scaled) into `centers`. With weights,
   * k-means++ draws rows ∝ weight (and weight × squared distance), 'random' draws
   * k distinct rows ∝ weight (at least k rows must weigh > 0: the caller checks);
   * given centres ignore the weights, as in scikit-learn.
   */
  seed(kern: Kernels, init: InitChoice, frame: Frame, rng: number): void {
    const { n, d, k, weights } = this;
    const s = this.#seeder;
    if (s.#chosen === 0) s.#chosen = s.#ws.floats(k);
    if (init.method === 'k-means++') {
      if (s.#plusPlusScratch === 0) s.#plusPlusScratch = s.#ws.alloc(kern.kmeansPlusPlusScratchBytes(n));
      kern.kmeansPlusPlus(n, d, k, this.x, plusPlusTrials(k), rng, this.centers, s.#chosen, s.#plusPlusScratch, weights);
    } else if (init.method === 'random') {
      if (s.#sampleScratch === 0) s.#sampleScratch = s.#ws.doubles(n);
      if (weights === 0) kern.kmeansSampleDistinct(rng, n, k, s.#sampleScratch, s.#chosen);
      else kern.kmeansSampleWeighted(rng, n, k, weights, s.#sampleScratch, s.#chosen);
      kern.gatherRows(k, d, this.x, s.#chosen, this.centers);
    } else {
      const c = init.centers!;
      const { shift, scale } = frame;
      const heap = heapF32();
      const at = this.centers >>> 2;
      // f32((c − shift)·scale) in f64 first, as centreFit does for the data.
      for (let j = 0; j < k; j++) for (let f = 0; f < d; f++) heap[at + j * d + f] = (c[j * d + f]! - shift[f]!) * scale;
    }
  }

  /** The rows the last k-means++ or random seeding chose as centres (k indices). */
  chosenRows(): Int32Array {
    return readI32(this.#seeder.#chosen, this.k);
  }

  /**
   * Lloyd's iterations from the current centres. Returns the iteration count
   * and the exact (weighted) inertia; labels and centres are left in their buffers.
   */
  run(kern: Kernels, maxIter: number, tolAbs: number): LloydRun {
    return LloydState.runAll(kern, [this], maxIter, tolAbs)[0]!;
  }

  /**
   * `run` for several states over the same points and weights (k-means
   * restarts), side by side: each iteration assigns every unfinished state in
   * one job, so the restarts share the worker threads (src/threads/parallel.ts).
   * Each state ends exactly as its own `run` would have left it.
   */
  static runAll(kern: Kernels, states: readonly LloydState[], maxIter: number, tolAbs: number): LloydRun[] {
    const { n, d, k, x, xNorms, weights } = states[0]!;
    const assignRuns = assignRunsOf(kern, (i) => states[i]!.scratch);
    const assign = (live: readonly LloydState[], withSums: boolean): number[] => {
      if (live.length === 1) {
        const s = live[0]!;
        return [kern.kmeansAssign(n, d, k, x, xNorms, s.centers, s.labels, s.minDist, withSums ? s.sums : 0, withSums ? s.counts : 0, s.scratch)];
      }
      return assignRuns(n, d, k, x, xNorms, live.map((s) => ({
        centers: s.centers, labels: s.labels, minDist: s.minDist, sums: withSums ? s.sums : 0, counts: withSums ? s.counts : 0,
      })));
    };
    const buf = heapF32().buffer;
    for (const s of states) {
      // kmeansAssign keeps sums and counts in step with the labels: no row in any cluster yet.
      new Int32Array(buf, s.labels, n).fill(-1);
      new Float64Array(buf, s.sums, k * d).fill(0);
      new Int32Array(buf, s.counts, k).fill(0);
    }
    const out = states.map(() => ({ nIter: 0, strict: false, done: false }));
    for (let it = 1; it <= maxIter; it++) {
      const live = states.filter((_, i) => !out[i]!.done);
      if (live.length === 0) break;
      // Weighted totals are rebuilt from the labels every iteration (see assembly/kmeans.ts).
      const changed = assign(live, weights === 0);
      live.forEach((s, j) => {
        const r = out[states.indexOf(s)]!;
        r.nIter = it;
        if (changed[j] === 0) { r.strict = true; r.done = true; return; }
        let shift: number;
        if (weights === 0) {
          const moved = kern.kmeansRelocateEmpty(n, d, k, x, s.labels, s.minDist, s.sums, s.counts, 0, 0);
          shift = kern.kmeansUpdate(k, d, s.sums, s.counts, s.centers, 0);
          // Relocation moved rows in the totals but not in the labels: back in step.
          if (moved > 0) kern.kmeansLabelSums(n, d, k, x, s.labels, s.sums, s.counts, 0, 0);
        } else {
          kern.kmeansLabelSums(n, d, k, x, s.labels, s.sums, s.counts, weights, s.wsums);
          kern.kmeansRelocateEmpty(n, d, k, x, s.labels, s.minDist, s.sums, s.counts, weights, s.wsums);
          shift = kern.kmeansUpdate(k, d, s.sums, s.counts, s.centers, s.wsums);
        }
        if (shift <= tolAbs) r.done = true;
      });
    }
    const loose = states.filter((_, i) => !out[i]!.strict);
    if (loose.length > 0) assign(loose, false);
    return states.map((s, i) => ({
      nIter: out[i]!.nIter, strict: out[i]!.strict, inertia: kern.kmeansRowDistances(n, d, x, s.centers, s.labels, 0, weights),
    }));
  }
}

/** What one run of Lloyd's algorithm ended with. */
export interface LloydRun {
  readonly nIter: number;
  readonly inertia: number;
  readonly strict: boolean;
}

/** Rows × restarts up to which k-means restarts run side by side (each restart holds 8 bytes a row). */
const SIDE_BY_SIDE_ROWS = 1 << 22;

/** Whether `runs` restarts over n rows run side by side: only with worker threads to share, and memory to spare. */
export function sideBySide(where: string, runs: number, n: number): boolean {
  return runs > 1 && n * runs <= SIDE_BY_SIDE_ROWS && (runtime(where).threads?.info().threads ?? 1) > 1;
}

/**
 * Where the models compute: row x becomes f32((x − shift)·scale), shift the
 * column medians of the fitted data (f64, subtracted before the rounding to
 * float32: see columnMedians), scale a power of two (1 unless the data are tiny:
 * see SMALL_SPREAD). Centres, distances and inertias go back to the caller's
 * units by 1/scale and 1/scale², exactly.
 */
export interface Frame {
  readonly shift: Float64Array;
  readonly scale: number;
}

/** What centring the data of a fit found: the frame, and the mean over features of the feature variance (f64, unscaled). */
export interface Centred extends Frame {
  readonly meanVariance: number;
}

/**
 * A spread (the largest deviation of a value from its column median) below 2⁻³² makes
 * squared distances small enough (below 2⁻⁶⁴) for float32 to lose their detail at
 * its bottom (2⁻¹²⁶) or to drop them to 0: k-means then works on the data scaled
 * by a power of two (exact) that brings the spread into [1, 2).
 */
const SMALL_SPREAD = 2 ** -32;

/**
 * Below this spread (2⁻¹⁰², 2.0e-31), a column's values keep fewer than float32's
 * 24 bits of detail once centred (they fall under its smallest normal number,
 * 2⁻¹²⁶): refused, as no scale is applied there (GaussianMixture), or the results
 * the models give back in float32 (k-means' distances) would lose them.
 */
const TINY_SPREAD = 2 ** -102;

/** 2^e with 2^e · m in [1, 2), for TINY_SPREAD ≤ m < 1. */
function powerOfTwoAbove(m: number): number {
  let scale = 1;
  while (m * scale < 1) scale *= 2;
  return scale;
}

/**
 * Centres the staged points of a fit at their column medians (see columnMedians), in
 * place: from the caller's values (x.source) when those are float64 and not all
 * float32 already, else from the float32 copy (which then holds them exactly); each
 * value is x − median in f64, rounded once to float32. The column means and
 * variances (f64; meanVariance, which the tolerances read) are computed as before:
 * in f64 from the caller's values, or by the colMeanVar kernel from the float32
 * copy. `scaled`: k-means scales data of a small spread (see SMALL_SPREAD; the
 * returned scale is applied); false (GaussianMixture, which computes in f64 past the
 * input) leaves them unscaled and returns the scale that k-means would apply (for
 * its k-means start). Refuses data whose spread is below TINY_SPREAD, naming the
 * column (k-means: the whole data's spread; GaussianMixture: any column's, since
 * its covariances see each column on its own).
 */
export function centreFit(ws: Workspace, where: string, x: StagedPoints, scaled: boolean): Centred {
  const { rows: n, cols: d, source } = x;
  const at = x.ptr >>> 2;
  let shift: Float64Array | null = null, variance: Float64Array | null = null, deviation: Float64Array | null = null;
  if (source !== null) {
    // One pass: the column sums, and whether every value is a float32 already.
    const heap = heapF32();
    const sums = new Float64Array(d);
    let exact = true;
    eachRow(source, n, d, (r, o, i) => {
      const t = at + i * d;
      for (let j = 0; j < d; j++) {
        const v = r[o + j]!;
        sums[j]! += v;
        if (v !== heap[t + j]) exact = false;
      }
    });
    if (!exact) {
      const inv = 1 / n;
      const mean = sums.map((s) => s * inv), vars = new Float64Array(d), dev = new Float64Array(d);
      const median = columnMedians(source, n, d);
      eachRow(source, n, d, (r, o, i) => {
        const t = at + i * d;
        for (let j = 0; j < d; j++) {
          const v = r[o + j]!, e = v - mean[j]!, c = v - median[j]!;
          vars[j]! += e * e;
          if (Math.abs(c) > dev[j]!) dev[j] = Math.abs(c);
          heap[t + j] = c;
        }
      });
      for (let j = 0; j < d; j++) vars[j]! *= inv;
      [shift, variance, deviation] = [median, vars, dev];
    }
  }
  const fromCopy = shift === null;
  if (shift === null || variance === null) {
    // The float32 copy holds the caller's values: the kernel's statistics, in f64, and the medians of its values.
    const kern = runtime(where).kernels;
    const mean = ws.doubles(d), vars = ws.doubles(d);
    kern.colMeanVar(n, d, x.ptr, mean, vars);
    const heap64 = new Float64Array(heapF32().buffer);
    variance = heap64.slice(vars >>> 3, (vars >>> 3) + d);
    shift = columnMedians(valuesOf(x), n, d);
  }
  let meanVariance = 0, widest = 0;
  for (let j = 0; j < d; j++) { meanVariance += variance[j]!; widest = Math.max(widest, variance[j]!); }
  meanVariance /= d;
  // A spread is at least the standard deviation: the deviations are needed (a pass over the data, unless
  // the one above found them) only when every column is narrow, or, for a GMM, when one might be tiny (a
  // variance of 0 from the float32 copy is a constant column: unequal f32 values lie 7e-46 or more from their median).
  let scale = 1;
  if (deviation !== null || widest < SMALL_SPREAD ** 2 || (!scaled && variance.some((v) => v > 0 && v < TINY_SPREAD ** 2))) {
    deviation ??= deviationsOf(x, shift);
    let far = 0;
    for (let j = 1; j < d; j++) if (deviation[j]! > deviation[far]!) far = j;
    const spread = deviation[far]!;
    const tiny = scaled ? (spread > 0 && spread < TINY_SPREAD ? far : -1) : deviation.findIndex((m) => m > 0 && m < TINY_SPREAD);
    if (tiny >= 0) throw tinySpread(where, tiny, deviation[tiny]!, scaled);
    if (spread > 0 && spread < SMALL_SPREAD) scale = powerOfTwoAbove(spread);
  }
  if (fromCopy) {
    if (scaled && scale !== 1) {
      const heap = heapF32();
      for (let i = 0, t = at; i < n; i++) for (let j = 0; j < d; j++, t++) heap[t] = (heap[t]! - shift[j]!) * scale;
    } else {
      shiftRows(ws, x, shift);
    }
  } else if (scaled && scale !== 1) {
    centreAgainst(ws, x, { shift, scale });
  }
  return { shift, scale, meanVariance };
}

/**
 * Rows up to which the frame's centre is the median of all of a column's values;
 * of more rows, the median of this many, one drawn from each of as many equal
 * stretches of the rows by a fixed generator (the same rows at every fit of the
 * same number of rows: a fit stays reproducible bit for bit). The centre only has
 * to lie among the bulk of each column: where exactly changes nothing that
 * checkRounding guarantees (it checks the rounding wherever the centre is), only
 * which values float32 holds most finely. 2,048 rows put it there: were they drawn
 * independently, the count of them below a column's 43rd percentile would be
 * binomial (mean 881, standard deviation 22.4), and reaching the 1,024 that move the
 * median below that percentile is 6.4 standard deviations away (about 1e-10;
 * likewise above the 57th); one from each stretch varies less. Half of them would
 * have to be outliers to put the centre at one. The cost is the same at any n:
 * about 0.4 ms for 16 columns, mostly the sampled rows' first reads from memory and
 * the selections (the 65,536 rows drawn before took a fifth of a 10-iteration
 * KMeans fit of 10⁵ × 16, 4,096 about 0.8 ms).
 */
const MEDIAN_ROWS = 2048;

/**
 * The centre of the frame the models compute in: each column's median (the lower
 * one, a value of the column, for an even count: then the frame's centre of data
 * given in float32 is a float32, and a value within a factor of two of it is centred
 * exactly). The column mean, which it replaces, moves with a far outlier: one
 * point at 1e12 among six around 0 and 10 put it at 1.4e11, where float32's step is
 * 16384, and the six points (held in float32 as their distance from it) lost their
 * detail, silently (a centre at 590 for 5.33). The median stays among the bulk of
 * the values however far a few of them lie (and no value lies farther from it than
 * the column's range, as from the mean). Values, as eachRow reads them. A column at
 * a time, into one buffer of MEDIAN_ROWS values (16 KB): the sampled rows stay in
 * the cache from one column to the next, and a buffer of every column at once (512 KB
 * for 16 columns of 4,096 rows) took longer to map fresh at each fit than these
 * passes take.
 */
function columnMedians(values: Source, n: number, d: number): Float64Array {
  const m = Math.min(n, MEDIAN_ROWS);
  const picked = m === n ? null : stratifiedRows(n, m);
  const col = new Float64Array(m), out = new Float64Array(d);
  const rows = values.rows, flat = values.flat;
  for (let j = 0; j < d; j++) {
    if (rows !== null) {
      for (let t = 0; t < m; t++) col[t] = rows[picked === null ? t : picked[t]!]![j]!;
    } else {
      for (let t = 0; t < m; t++) col[t] = flat![(picked === null ? t : picked[t]!) * d + j]!;
    }
    out[j] = selectNth(col, (m - 1) >>> 1);
  }
  return out;
}

/** m row indices of n (m < n), one from each of m equal stretches, drawn by a fixed generator (a 32-bit mix of the stretch). */
function stratifiedRows(n: number, m: number): Int32Array {
  const out = new Int32Array(m);
  for (let t = 0; t < m; t++) {
    const lo = Math.floor((t * n) / m), hi = Math.floor(((t + 1) * n) / m);
    let h = Math.imul(t ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
    out[t] = lo + ((h >>> 0) % (hi - lo));
  }
  return out;
}

/**
 * The k-th smallest value of `a` (reordered in place): Floyd and Rivest's SELECT
 * (1975). On a range of more than 600 values it first selects within a stretch around
 * k of about n^(2/3) values (a sample's worth), which leaves at k a pivot that splits
 * off all but a few of the range in one partition; about 1.5 passes over the values,
 * where quickselect around a median of three took 2.75 (measured on 16 columns of
 * 4,096 scattered values: a third to two thirds of its time). What is left is sorted
 * once a range has taken more rounds than an even split would (so no order of the
 * values makes it quadratic).
 */
function selectNth(a: Float64Array, k: number): number {
  selectIn(a, 0, a.length - 1, k);
  return a[k]!;
}

/** Puts at a[k] the value that belongs there in sorted order, with only smaller-or-equal values in a[left … k) and larger-or-equal in (k … right]. */
function selectIn(a: Float64Array, left: number, right: number, k: number): void {
  let rounds = 2 * Math.ceil(Math.log2(right - left + 2)) + 4;
  while (right > left) {
    if (rounds-- === 0) {
      a.subarray(left, right + 1).sort();
      return;
    }
    if (right - left > 600) {
      const n = right - left + 1, i = k - left + 1, z = Math.log(n), s = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * Math.sign(i - n / 2);
      selectIn(a, Math.max(left, Math.floor(k - (i * s) / n + sd)), Math.min(right, Math.floor(k + ((n - i) * s) / n + sd)), k);
    }
    const t = a[k]!;
    let i = left, j = right;
    a[k] = a[left]!; a[left] = t;
    if (a[right]! > t) { a[left] = a[right]!; a[right] = t; }
    while (i < j) {
      const u = a[i]!; a[i] = a[j]!; a[j] = u;
      i++; j--;
      while (a[i]! < t) i++;
      while (a[j]! > t) j--;
    }
    if (a[left] === t) { const u = a[left]!; a[left] = a[j]!; a[j] = u; }
    else { j++; const u = a[j]!; a[j] = a[right]!; a[right] = u; }
    if (j <= k) left = j + 1;
    if (k <= j) right = j - 1;
  }
}

/**
 * Calls `row(r, o, i)` for each row i of the values: they are r[o], …, r[o + d − 1]
 * (the caller's row, or a stretch of a flat array). One loop per kind of source, so
 * each stays monomorphic.
 */
function eachRow(source: Source, n: number, d: number, row: (r: ArrayLike<number>, o: number, i: number) => void): void {
  if (source.rows !== null) {
    const rows = source.rows;
    for (let i = 0; i < n; i++) row(rows[i]!, 0, i);
  } else {
    const flat = source.flat!;
    for (let i = 0; i < n; i++) row(flat, i * d, i);
  }
}

/** eachRow over the rows `idx` only (in their order). */
function eachRowOf(source: Source, d: number, idx: Int32Array, row: (r: ArrayLike<number>, o: number, i: number) => void): void {
  if (source.rows !== null) {
    const rows = source.rows;
    for (let t = 0; t < idx.length; t++) row(rows[idx[t]!]!, 0, idx[t]!);
  } else {
    const flat = source.flat!;
    for (let t = 0; t < idx.length; t++) row(flat, idx[t]! * d, idx[t]!);
  }
}

/** The values of x as eachRow's source: the caller's values, or the float32 copy (if it holds them). */
function valuesOf(x: StagedPoints): Source {
  return x.source ?? { rows: null, flat: heapF32().subarray(x.ptr >>> 2, (x.ptr >>> 2) + x.rows * x.cols) };
}

/** The largest |x − shift| of each column, in f64 from the caller's values (or the float32 copy, if it holds them). */
function deviationsOf(x: StagedPoints, shift: Float64Array): Float64Array {
  const d = x.cols;
  const out = new Float64Array(d);
  eachRow(valuesOf(x), x.rows, d, (r, o) => {
    for (let j = 0; j < d; j++) {
      const e = Math.abs(r[o + j]! - shift[j]!);
      if (e > out[j]!) out[j] = e;
    }
  });
  return out;
}

function tinySpread(where: string, column: number, spread: number, kmeans: boolean): ArgumentError {
  const below = 'below 2.0e-31, float32 keeps fewer than its 24 bits of them (they fall under its smallest normal number, 1.2e-38)';
  return new ArgumentError(kmeans
    ? `${where}: the points lie at most ${spread.toExponential(2)} from their column medians (the farthest value in column ${column}): ` +
      `${below}, and k-means gives its distances back in float32; rescale the data (multiply it by a power of ten)`
    : `${where}: column ${column} of the points lies at most ${spread.toExponential(2)} from its median: ${below}, and the ` +
      'points are read into float32; rescale the column (multiply it by a power of ten)');
}

/**
 * Stages new points in a fitted frame, in place: each value becomes
 * f32((x − shift)·scale), from the caller's values when they are float64 (as
 * centreFit did for the fit), else from the float32 copy.
 */
export function centreAgainst(ws: Workspace, x: StagedPoints, frame: Frame): void {
  const { rows: n, cols: d, source } = x;
  const { shift, scale } = frame;
  if (source === null && scale === 1) {
    shiftRows(ws, x, shift);
    return;
  }
  const heap = heapF32(), at = x.ptr >>> 2;
  // A loop per kind of source, each monomorphic (this runs on every predict, transform and score).
  const rows = source?.rows ?? null;
  if (rows !== null) {
    for (let i = 0, t = at; i < n; i++) {
      const r = rows[i]!;
      for (let j = 0; j < d; j++, t++) heap[t] = (r[j]! - shift[j]!) * scale;
    }
  } else {
    const flat = source?.flat ?? heap, o = source === null ? at : 0;
    for (let i = 0, t = at, u = o; i < n; i++) for (let j = 0; j < d; j++, t++, u++) heap[t] = (flat[u]! - shift[j]!) * scale;
  }
}

/** Squared norms above this (float32's largest / 4) make ‖x‖² + ‖c‖² − 2·x·c, or ‖x − c‖², overflow float32. */
const MAX_SQUARED_NORM = 3.4028234663852886e38 / 4;

/**
 * Refuses centred points too far from the centre for k-means' float32 squared
 * distances (|x| above ~9.2e18 in the frame's units): they would overflow to ∞ and
 * every label would be a tie, silently. `from` says what the points were centred
 * on; `frame`, theirs, gives the message the distance in the caller's units (from
 * the caller's values when x has them: a value that overflowed float32 once scaled).
 * Returns the rows' squared norms (x.rows f32 in ws), which the distance kernels read.
 */
export function checkSpread(ws: Workspace, where: string, x: Staged | StagedPoints, from: string, frame: Frame | null = null): number {
  const norms = ws.floats(x.rows);
  const largest = runtime(where).kernels.rowSquaredNorms(x.rows, x.cols, x.ptr, norms);
  if (largest <= MAX_SQUARED_NORM) return norms;
  const heap = heapF32();
  const at = norms >>> 2;
  // Among the rows over the limit, the farthest (the one to look at), by its norm in f64.
  let worst = -1, worstSq = 0;
  for (let i = 0; i < x.rows; i++) {
    if (heap[at + i]! <= MAX_SQUARED_NORM) continue;
    let sq = 0;
    for (let j = 0; j < x.cols; j++) sq += heap[(x.ptr >>> 2) + i * x.cols + j]! ** 2;
    if (worst < 0 || sq > worstSq) { worst = i; worstSq = sq; }
  }
  if (worst < 0) return norms;
  const scale = frame?.scale ?? 1;
  const source = 'source' in x ? x.source : null;
  let distance = Math.sqrt(worstSq) / scale;
  if (source !== null && frame !== null) {
    const r = source.rows?.[worst] ?? source.flat!, o = source.rows === null ? worst * x.cols : 0;
    let sq = 0;
    for (let j = 0; j < x.cols; j++) sq += (r[o + j]! - frame.shift[j]!) ** 2;
    distance = Math.sqrt(sq);
  }
  // Without the caller's values, a value that overflowed float32 once centred and scaled is only known to be that far.
  const shown = Number.isFinite(distance) ? distance.toExponential(2) : `more than ${(3.4028234663852886e38 / scale).toExponential(2)}`;
  throw new ArgumentError(
    `${where}: points row ${worst} lies ${shown} from ${from}, too far for squared distances in float32 ` +
      `(at most ${(Math.sqrt(MAX_SQUARED_NORM) / scale).toExponential(1)}); rescale the data`,
  );
}

/**
 * How much of a group's spread (or of a row's distance from a group) the rounding to
 * float32 may cost before the answer is refused: 1/1024 (10 bits of float32's 24).
 */
const ROUNDING_TOLERANCE = 2 ** -10;

/**
 * Detail the caller's float64 values do not really carry: differences within 2⁻⁴⁴ of
 * the values (and of their distance from the frame's centre), 256 of float64's steps,
 * the noise of the arithmetic that made them (0.1 + 0.2 is 0.30000000000000004), which
 * scikit-learn's centring in float64 does not keep either.
 */
const FLOAT64_NOISE = 2 ** -44;

const ulpBits = new Float32Array(1), ulpWord = new Uint32Array(ulpBits.buffer);

/** float32's step at |v| (rounded to float32): the gap to the next float32 up; 2⁻¹⁴⁹ below the normal numbers. */
function ulp32(v: number): number {
  ulpBits[0] = Math.abs(v);
  const exp = (ulpWord[0]! >>> 23) & 0xff;
  return exp === 0xff ? Infinity : exp === 0 ? 2 ** -149 : 2 ** (exp - 150);
}

/**
 * The detail below which a rounding error is no loss: one float32 step at the value
 * when it is a float32 already (the caller's value carries no finer detail), else
 * FLOAT64_NOISE of the value or of its distance from the frame's centre.
 */
function noiseFloor(value: number, fromCentre: number, isF32: boolean): number {
  return isF32 ? ulp32(value) : FLOAT64_NOISE * Math.max(Math.abs(value), Math.abs(fromCentre));
}

/** A number for a message: 4 significant digits (3 in exponent form); float32's steps, powers of two, in full from 2⁻¹⁴ to 2⁴⁹. */
function num(v: number): string {
  const a = Math.abs(v);
  if (a === 0 || !Number.isFinite(v)) return String(v);
  if (a >= 2 ** -14 && a < 2 ** 50 && Math.log2(a) % 1 === 0) return String(v);
  return a >= 1e6 || a < 1e-3 ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

/**
 * What the rounding to float32 did to each group of a fit's points (the rows a
 * cluster's labels, or a component's largest responsibilities, name): k × d each,
 * in the caller's units. Kept with the fitted model for the rows it is given later.
 * A group the screen cleared (screenRounding) has no exact figures: its offset is 0,
 * its bound the screen's, and its spread a lower bound of the exact one.
 */
export interface Rounding {
  /**
   * How far the rounding moved the mean of the group's values in each column: the fitted
   * centre is off by this from where float64 would put it (the same for each point of the
   * group, so their distances from it are right however large it is).
   */
  readonly offset: Float64Array;
  /** At least |the offset float64 would find| in each column: |offset|, or the screen's bound on it (float32's half step at the group's farthest value). */
  readonly bound: Float64Array;
  /**
   * The group's scale in each column, in f64 from the caller's values (0 for an empty group): its
   * spread over all the columns (k-means), or its standard deviation in the column (see Groups.isotropic).
   */
  readonly spread: Float64Array;
  /** Each group's weight (its rows, or their weights' total): k numbers, 0 for a group no row (of positive weight) is in. */
  readonly weight: Float64Array;
}

/** The groups of points checkRounding looks at: a label (0…k−1) per row, and the rows' weights (n f64 in WASM, or 0 for none). */
export interface Groups {
  readonly labels: ArrayLike<number>;
  readonly k: number;
  readonly weights: number;
  /**
   * k-means: a cluster's scale is its spread over all the columns (the root mean square of
   * its points' distances from their mean), as its distances and inertia add the columns
   * up (a column of 1e-50 beside one of 1 changes nothing); else (GaussianMixture) each
   * column's own standard deviation, as each is a parameter of its own.
   */
  readonly isotropic: boolean;
  /** Added to each group's variance in each column (GaussianMixture's regCovar; 0 for k-means). */
  readonly regCovar: number;
}

/**
 * What checkNewRows will measure the model's later rows against: the fitted centres (k × d,
 * in the frame's units) and, for a GMM, each component's standard deviation in each column
 * (k × d; null for k-means, whose unit is the cluster's spread).
 */
export interface Fitted {
  readonly centres: ArrayLike<number>;
  readonly units: ArrayLike<number> | null;
}

/**
 * For manytask's own tests (src/internal.ts): with `screen` false, checkRounding runs its
 * exact passes over every group and checkNewRows looks at every row, as without the
 * screen; `cleared`, when set, is told which groups each fit's screen cleared.
 */
export const roundingChecks: { screen: boolean; cleared: ((groups: Uint8Array) => void) | null } = { screen: true, cleared: null };

/** float32's relative rounding: |f32(c) − c| ≤ 2⁻²⁴·|c| for c in its normal range. */
const F32_ROUNDING = 2 ** -24;

/**
 * Checks, after a fit, that holding its points in float32 (centred at the frame's
 * column medians) kept the detail of each group of them, and refuses the fit if not
 * (no silent wrong result). For each group and column, in f64 from the caller's values
 * and the float32 copy (two passes over the rows, of the groups the screen leaves): how far the rounding moved
 * the group's mean, and how much it changed the group's standard deviation (with
 * regCovar added to the variance, for a GMM). Refused when either change is more than
 * ROUNDING_TOLERANCE of the group's scale (see Groups.isotropic; for the mean, or of
 * the mean itself, which float32 holds to its precision there) and more than the noise
 * floor (noiseFloor). The median keeps the bulk of every column near the frame's centre,
 * where float32's step is small beside the points' spread; what this catches is a group
 * of points far from it whose detail float32's step there rounds away (more than 8192
 * times their own spread: nearer, the step is at most 1/1024 of it, and nothing is
 * refused): points at 1e12 + 0, 1, 2 beside values around 0 and 10 (float32's step at
 * 1e12 is 65536). Rows that weigh 0 are left out. Returns what the
 * rounding did to each group (the model keeps it for checkNewRows).
 *
 * The exact passes run only over the rows of the groups screenRounding (one kernel
 * pass over the float32 copy) cannot clear, that is, cannot prove safe: no refusal
 * possible here, nor for any row given later against `fitted`. Ordinary data leave
 * none; the refusals are the same as with every group checked exactly.
 */
export function checkRounding(where: string, ws: Workspace, x: StagedPoints, frame: Frame, g: Groups, fitted: Fitted): Rounding {
  const { rows: n, cols: d } = x, { k, labels, regCovar: reg } = g;
  const { shift, scale } = frame;
  const kd = k * d, inv = 1 / scale;
  const screen = screenRounding(ws, x, frame, g, fitted);
  const { cleared } = screen;
  if (!roundingChecks.screen) cleared.fill(0);
  roundingChecks.cleared?.(cleared.slice());
  if (cleared.every((c) => c === 1)) return { offset: new Float64Array(kd), bound: screen.bound, spread: screen.spread, weight: screen.total };
  // The caller's values (a Matrix's are a view of WASM memory) and the copy: nothing below allocates in WASM.
  const values = x.original(), heap = heapF32(), at = x.ptr >>> 2;
  const w = g.weights === 0 ? null : new Float64Array(heap.buffer, g.weights, n);
  // The exact passes, over the rows (of positive weight) of the groups left.
  let count = 0;
  const rowsLeft = new Int32Array(n);
  for (let i = 0; i < n; i++) if (cleared[labels[i]!] === 0 && (w === null || w[i]! > 0)) rowsLeft[count++] = i;
  const idx = rowsLeft.subarray(0, count);
  const total = new Float64Array(k), sumC = new Float64Array(kd), sumE = new Float64Array(kd);
  const far = new Float64Array(kd), large = new Float64Array(kd), f32 = new Uint8Array(kd).fill(1);
  eachRowOf(values, d, idx, (r, o, i) => {
    const wi = w === null ? 1 : w[i]!;
    const j = labels[i]!, b = j * d, t = at + i * d;
    total[j]! += wi;
    for (let f = 0; f < d; f++) {
      const v = r[o + f]!, c = v - shift[f]!;
      sumC[b + f]! += wi * c;
      sumE[b + f]! += wi * (heap[t + f]! * inv - c);
      if (Math.abs(c) > far[b + f]!) far[b + f] = Math.abs(c);
      if (Math.abs(v) > large[b + f]!) large[b + f] = Math.abs(v);
      if (f32[b + f] === 1 && Math.fround(v) !== v) f32[b + f] = 0;
    }
  });
  const mean = new Float64Array(kd), offset = new Float64Array(kd);
  for (let j = 0; j < k; j++) {
    if (!(total[j]! > 0)) continue;
    for (let f = 0, t = j * d; f < d; f++, t++) { mean[t] = sumC[t]! / total[j]!; offset[t] = sumE[t]! / total[j]!; }
  }
  // Second pass: the groups' variances about their means, of the values and of the float32 copy.
  const varTrue = new Float64Array(kd), varHeld = new Float64Array(kd);
  eachRowOf(values, d, idx, (r, o, i) => {
    const wi = w === null ? 1 : w[i]!;
    const b = labels[i]! * d, t = at + i * d;
    for (let f = 0; f < d; f++) {
      const c = r[o + f]! - shift[f]! - mean[b + f]!, h = heap[t + f]! * inv - mean[b + f]! - offset[b + f]!;
      varTrue[b + f]! += wi * c * c;
      varHeld[b + f]! += wi * h * h;
    }
  });
  // The cleared groups keep the screen's figures (their total, bound and spread: offset unknown, left 0).
  const spread = screen.spread, bound = screen.bound, weight = screen.total;
  const sd = (v: number, j: number) => Math.sqrt(v / total[j]! + reg);
  let worst = -1, worstBy = 1;
  const beyond = (change: number, allowed: number, floor: number) =>
    (change > floor && change > allowed ? (allowed > 0 ? change / allowed : Infinity) : 0);
  for (let j = 0; j < k; j++) {
    if (cleared[j] === 1) continue;
    weight[j] = total[j]!;
    for (let t = j * d; t < (j + 1) * d; t++) { spread[t] = 0; bound[t] = 0; }
    if (!(total[j]! > 0)) continue;
    let radius = 0;
    if (g.isotropic) for (let t = j * d; t < (j + 1) * d; t++) radius += varTrue[t]! / total[j]!;
    radius = Math.sqrt(radius);
    for (let f = 0, t = j * d; f < d; f++, t++) {
      const s = sd(varTrue[t]!, j), held = sd(varHeld[t]!, j);
      const ref = g.isotropic ? radius : s;
      spread[t] = ref;
      bound[t] = Math.abs(offset[t]!);
      const floor = noiseFloor(large[t]!, far[t]!, f32[t] === 1);
      const by = Math.max(
        beyond(Math.abs(offset[t]!), ROUNDING_TOLERANCE * Math.max(ref, Math.abs(mean[t]! + shift[f]!)), floor),
        beyond(Math.abs(held - s), ROUNDING_TOLERANCE * ref, floor));
      if (by > worstBy) { worst = t; worstBy = by; }
    }
  }
  if (worst < 0) return { offset, bound, spread, weight };
  const j = Math.floor(worst / d), f = worst % d;
  const s = sd(varTrue[worst]!, j), held = sd(varHeld[worst]!, j);
  const where_ = `${where}: the points of ${g.isotropic ? `cluster ${j}` : `component ${j} (the rows most likely under it)`}`;
  const lie = `lie up to ${num(far[worst]!)} from the median of column ${f}, where float32's step is ${num(ulp32(far[worst]! * scale) / scale)}`;
  const mine = `their mean in that column is ${num(mean[worst]! + shift[f]!)}`;
  throw new ArgumentError(
    `${where_} ${lie}, beside their ` +
      (g.isotropic
        ? `spread of ${num(spread[worst]!)} (the root mean square of their distances from their mean; ${mine})`
        : `standard deviation of ${num(s)} in that column (with regCovar; ${mine})`) +
      `: held in float32 as their distance from the median, their mean moves by ${num(Math.abs(offset[worst]!))}` +
      (held === s ? '' : ` and their standard deviation in the column ${g.isotropic ? `goes from ${num(s)} to` : 'becomes'} ${num(held)}`) +
      '. Float32 cannot keep the detail of points so far from the rest of the column: remove or clip the far values if they ' +
      'are outliers, or transform the column (a log or rank transform)',
  );
}

/**
 * The screen in front of checkRounding's exact passes: which groups it can clear
 * (`cleared`, k flags) from the float32 copy alone (the groupStats kernel, one pass:
 * each group's weight, and in each column its values' sums about the fitted centre,
 * their sum of squares (for k-means, over all the columns at once) and largest |value|,
 * in f64), with bounds that hold whatever the caller's values were:
 *
 * - Each value of a group moved by at most E = half float32's step at the group's
 *   largest |value| in the column (the step only grows with the value; 2⁻¹⁵⁰ below the
 *   normal numbers), in the caller's units. So the group's mean moved by at most E
 *   (`bound`), and its standard deviation in the column changed by at most E: the
 *   root mean square of the moves about their mean is at most their largest
 *   (Minkowski's inequality; √(s² + regCovar) moves no more than s). A cluster's
 *   spread over its columns changed by at most √(Σ E²) likewise.
 * - The exact standard deviation (or spread) is then at least the float32 copy's, less
 *   that: its lower bound `spread`. The copy's variance is q − p² (q, p: the mean
 *   square and the mean of the values less the centre; for k-means, q over all the
 *   columns less the p² of each), taken low by float64's error in the kernel's sums:
 *   γ = (n + d + 8)·2⁻⁵² of q, and 2γ·√q of each p (relative errors over the n·d terms;
 *   the centre near the mean keeps p small, else the bound drops toward 0 and the
 *   exact passes decide), then shrunk by 2⁻²⁰ for the arithmetic here.
 * - The fit's check cannot refuse a group whose E is at most half of ROUNDING_TOLERANCE
 *   of that lower bound in every column: both changes it measures are at most E, and
 *   float64's own error in measuring them (n·2⁻⁵² relatively, n < 2³⁰ rows in WASM
 *   memory) stays far inside the other half. As E is at most 2⁻²⁴ of the farthest
 *   value, this holds for a group within 8192 times its spread of the centre (the
 *   distance within which checkRounding can refuse nothing; see there).
 * - Later rows (checkNewRows) against the group: rowsCleared.
 *
 * A group is cleared when both hold. A group without rows is never cleared (nothing to
 * measure: the exact passes give it zeros, as before).
 */
function screenRounding(
  ws: Workspace, x: Staged, frame: Frame, g: Groups, fitted: Fitted,
): { cleared: Uint8Array; bound: Float64Array; spread: Float64Array; total: Float64Array } {
  const { rows: n, cols: d } = x, { k, regCovar: reg, isotropic } = g, { scale } = frame;
  const kd = k * d, inv = 1 / scale, each = isotropic ? k : kd;
  const labelsAt = ws.floats(n), refAt = ws.doubles(kd), totalAt = ws.doubles(k), sumsAt = ws.doubles(kd), squaresAt = ws.doubles(each);
  const largestAt = ws.floats(kd);
  new Int32Array(heapF32().buffer, labelsAt, n).set(g.labels);
  writeF64(refAt, fitted.centres);
  runtime('KMeans').kernels.groupStats(n, d, k, x.ptr, labelsAt, g.weights, refAt, totalAt, sumsAt, squaresAt, largestAt, isotropic ? 1 : 0);
  const buf = heapF32().buffer;
  const total = new Float64Array(buf, totalAt, k).slice(), sums = new Float64Array(buf, sumsAt, kd);
  const squares = new Float64Array(buf, squaresAt, each), largest = new Float32Array(buf, largestAt, kd);
  const gamma = (n + d + 8) * 2 ** -52, slack = 2 * gamma * (1 + gamma), shrink = 1 - 2 ** -20, half = ROUNDING_TOLERANCE / 2;
  const bound = new Float64Array(kd), spread = new Float64Array(kd), cleared = new Uint8Array(k);
  for (let j = 0; j < k; j++) {
    const w = total[j]!;
    if (!(w > 0)) continue;
    let fits = true;
    if (isotropic) {
      // The spread over all the columns, less √(Σ E²).
      const q = squares[j]! / w;
      let p2 = 0, moveSq = 0;
      for (let t = j * d; t < (j + 1) * d; t++) {
        bound[t] = (ulp32(largest[t]!) / 2) * inv;
        moveSq += bound[t]! ** 2;
        p2 += (Math.abs(sums[t]! / w) + slack * Math.sqrt(q)) ** 2;
      }
      const radius = Math.max(0, (Math.sqrt(Math.max(0, q * (1 - gamma) - p2)) * inv - Math.sqrt(moveSq)) * shrink);
      for (let t = j * d; t < (j + 1) * d; t++) {
        spread[t] = radius;
        if (!(bound[t]! <= half * radius)) fits = false;
      }
    } else {
      for (let t = j * d; t < (j + 1) * d; t++) {
        bound[t] = (ulp32(largest[t]!) / 2) * inv;
        const q = squares[t]! / w, v = Math.max(0, q * (1 - gamma) - (Math.abs(sums[t]! / w) + slack * Math.sqrt(q)) ** 2) * inv * inv;
        spread[t] = Math.max(0, (Math.sqrt(v + reg) - bound[t]!) * shrink);
        if (!(bound[t]! <= half * spread[t]!)) fits = false;
      }
    }
    if (fits && rowsCleared(j, d, fitted, bound, spread, scale)) cleared[j] = 1;
  }
  return { cleared, bound, spread, total };
}

/**
 * Whether checkNewRows can refuse no row whatever against group j, with its rounding's
 * `bound` (O, at least |offset|) and `spread` (at most the exact one), the fitted centre
 * C (`fitted.centres`, in the caller's units here) and each column's unit (σ, a GMM's;
 * 1 for k-means). A row's value c (from the frame's centre) moves by at most
 * 2⁻²⁴·|c| + 2⁻¹⁵⁰ (float32's rounding, below its normal numbers absolutely) and, less
 * the group's offset, by at most that + O; its distance from the group's centre
 * (C − offset) is at least |c| − A, A = |C| + O. Where |c| ≤ 2A the move is at most
 * β = 2·2⁻²⁴·A + 2⁻¹⁵⁰ + O; beyond, |c| is at most twice the distance, and the move at
 * most β + 2·2⁻²⁴·distance. Over the columns (in units of σ): move ≤ ‖β/σ‖ + 2⁻²³·distance.
 * With ‖β/σ‖ at most half of ROUNDING_TOLERANCE of the group's unit (its spread; 1 for
 * a GMM), the move stays within (2⁻¹¹ + 2⁻²³) of the larger of the unit and the distance,
 * below the 2⁻¹⁰ checkNewRows refuses at (the noise floor only lowers moves).
 */
function rowsCleared(j: number, d: number, fitted: Fitted, bound: ArrayLike<number>, spread: ArrayLike<number>, scale: number): boolean {
  const { centres, units } = fitted, inv = 1 / scale, tiny = 2 ** -150 * inv;
  let sq = 0;
  for (let f = 0, t = j * d; f < d; f++, t++) {
    const o = bound[t]!, beta = 2 * F32_ROUNDING * (Math.abs(centres[t]! * inv) + o) + tiny + o;
    const u = units === null || !(units[t]! > 0) ? 1 : 1 / units[t]!;
    sq += (beta * u) ** 2;
  }
  const unit = units === null ? spread[j * d]! : 1;
  return Math.sqrt(sq) <= (ROUNDING_TOLERANCE / 2) * unit * (1 - 2 ** -20);
}

/** Whether checkNewRows would look at any row: some group that rowsCleared does not clear (`fitted` as for checkNewRows). */
export function newRowsAtRisk(rounding: Rounding, fitted: Fitted, scale: number, d: number): boolean {
  if (!roundingChecks.screen) return true;
  for (let j = 0; j < rounding.weight.length; j++) if (!rowsCleared(j, d, fitted, rounding.bound, rounding.spread, scale)) return true;
  return false;
}

/**
 * Checks the new rows given to a fitted model (its transform, score and the like):
 * refuses a row that the rounding to float32 (centred at the fitted medians) moves,
 * relative to the group nearest it (`labels`: one per row), by more than
 * ROUNDING_TOLERANCE of both that group's scale and the row's own distance from the
 * group's centre (`centres`, k × d in the frame's units), leaving out each column's
 * move within the noise floor. `spread` (k × d) is each group's scale: a cluster's
 * spread over all its columns (the same in each), in which the move and the distance
 * are measured as they are; or a component's standard deviation in each column, in
 * units of which they are measured (so the log-likelihood's error stays within 1/1024
 * of the row's distance in them). A row's rounding moves it by at most float32's step
 * at its distance from the frame's centre, so a row far from the centre is right
 * relative to the distances it is reported at (an anomaly 1e12 away scores 1e12 to
 * float32's precision); what is refused is a row that far but near a far, tight group
 * that a fit on outliers left there (a point 1e12 + 1 beside one fitted at 1e12, 1
 * away, comes out 0 away). The group's own rounding (`rounding.offset`) is taken off:
 * the fit's points, and rows equal to them, sit where their group's centre does.
 * Labels alone (predict) are not checked: a row's rounding changes its label only
 * within float32's step of a boundary between groups, where float32 distances decide anyway.
 *
 * Rows nearest a group that rowsCleared clears (every group of ordinary data: O(k·d)
 * here, no pass over the rows) cannot be refused and are not looked at; `labels` is
 * asked for only when some group is not cleared.
 */
export function checkNewRows(
  where: string, x: StagedPoints, frame: Frame, labelsOf: () => ArrayLike<number>, centres: ArrayLike<number>,
  rounding: Rounding, spread: ArrayLike<number>, isotropic: boolean,
): void {
  const { rows: n, cols: d } = x;
  const { shift, scale } = frame;
  const inv = 1 / scale, offset = rounding.offset, k = rounding.weight.length;
  const fitted: Fitted = { centres, units: isotropic ? null : spread };
  const cleared = new Uint8Array(k);
  let left = 0;
  for (let j = 0; j < k; j++) {
    if (roundingChecks.screen && rowsCleared(j, d, fitted, rounding.bound, rounding.spread, scale)) cleared[j] = 1;
    else left++;
  }
  if (left === 0) return;
  const labels = labelsOf();
  const values = x.original(), heap = heapF32(), at = x.ptr >>> 2;
  let bad = -1, badMove = 0, badDistance = 0;
  eachRow(values, n, d, (r, o, i) => {
    if (bad >= 0 || cleared[labels[i]!] === 1) return;
    const b = labels[i]! * d, t = at + i * d;
    let move = 0, distance = 0;
    for (let f = 0; f < d; f++) {
      const v = r[o + f]!, c = v - shift[f]!;
      let m = heap[t + f]! * inv - c - offset[b + f]!;
      if (Math.abs(m) <= noiseFloor(v, c, Math.fround(v) === v)) m = 0;
      const dev = c - (centres[b + f]! * inv - offset[b + f]!);
      // In units of the component's standard deviations (a GMM), as they are (k-means).
      const u = isotropic || !(spread[b + f]! > 0) ? 1 : 1 / spread[b + f]!;
      move += (m * u) ** 2;
      distance += (dev * u) ** 2;
    }
    if (move === 0) return;
    move = Math.sqrt(move);
    distance = Math.sqrt(distance);
    const unit = isotropic ? spread[b]! : 1;
    if (move > ROUNDING_TOLERANCE * Math.max(unit, distance)) { bad = i; badMove = move; badDistance = distance; }
  });
  if (bad < 0) return;
  // The column to name: the one the rounding moved the row most in (in the units above).
  const j = labels[bad]!, b = j * d;
  let col = 0, most = -1;
  for (let f = 0; f < d; f++) {
    const c = valueAt(values, bad, f, d) - shift[f]!;
    const m = Math.abs(heap[at + bad * d + f]! * inv - c - offset[b + f]!) * (isotropic || !(spread[b + f]! > 0) ? 1 : 1 / spread[b + f]!);
    if (m > most) { most = m; col = f; }
  }
  const c = valueAt(values, bad, col, d) - shift[col]!;
  const what = isotropic
    ? `it moves by ${num(badMove)} relative to cluster ${j} (the nearest), more than 1/1024 of its distance from that cluster's ` +
      `centre (${num(badDistance)}) and of the cluster's spread (${num(spread[b]!)})`
    : `it moves by ${num(badMove)} of component ${j}'s standard deviations (the component most likely for it), more than 1/1024 ` +
      `of its distance from the component's mean in them (${num(badDistance)}), or of one`;
  throw new ArgumentError(
    `${where}: points row ${bad} lies ${num(Math.abs(c))} from the fitted median of column ${col}, where float32's step is ` +
      `${num(ulp32(c * scale) / scale)}: held in float32 ${what}. The model was fitted on points this far from the rest of ` +
      'the column; remove or clip such outliers before fitting, or transform the column (a log or rank transform)',
  );
}

/** Value f of row i of the caller's values. */
function valueAt(values: Source, i: number, f: number, d: number): number {
  return values.rows !== null ? values.rows[i]![f]! : values.flat![i * d + f]!;
}

/**
 * The W_FEWER_CLUSTERS warning (scikit-learn's ConvergenceWarning) when `labels`
 * use fewer than `k` clusters (`name`: 'k', 'nComponents'). It blames the data only
 * when a count of x's distinct rows (of those that weigh more than 0, with
 * `weights`, an x.rows f64 block or 0) confirms it; otherwise it names a centre no
 * row is labelled with (`centers`, k × x.cols) and where it is (on another centre,
 * or where no row is nearest), and `otherwise` (given that) says what left it there and what may help.
 * Rows are counted as staged (float32, centred): rows that float32 cannot tell
 * apart once centred count as one.
 */
export function warnFewerClusters(
  where: string, labels: ArrayLike<number>, k: number, name: string, x: Staged, weights: number,
  centers: ArrayLike<number>, otherwise: (cause: string) => string,
): void {
  const used = clustersUsed(labels, k);
  if (used >= k) return;
  const distinct = countDistinctRows(x, k, weights);
  const rows = weights === 0 ? 'distinct rows' : 'distinct rows that weigh more than 0';
  warn(new ConvergenceWarning('W_FEWER_CLUSTERS', where, distinct < k
    ? `found ${used} distinct clusters, fewer than ${name} = ${k}: the points have only ${distinct} ${rows}, so some centres coincide or stay empty`
    : `found ${used} distinct clusters, fewer than ${name} = ${k}, although the points have at least ${k} ${rows}: ` +
      otherwise(unusedCentre(labels, k, x.cols, centers))));
}

/** "centre j on centre i" (they coincide) or "centre j where no point is nearest to it", for the first centre j no label names. */
function unusedCentre(labels: ArrayLike<number>, k: number, d: number, centers: ArrayLike<number>): string {
  const seen = new Uint8Array(k);
  for (let i = 0; i < labels.length; i++) seen[labels[i]!] = 1;
  const j = seen.indexOf(0);
  for (let i = 0; i < k; i++) {
    if (i === j) continue;
    let same = true;
    for (let f = 0; f < d && same; f++) same = centers[i * d + f] === centers[j * d + f];
    if (same) return `centre ${j} on centre ${i}`;
  }
  return `centre ${j} where no point is nearest to it`;
}

/** Subtracts `shift` from every row of x in place (f64 arithmetic, rounded to f32). */
function shiftRows(ws: Workspace, x: Staged, shift: Float64Array): void {
  const p = ws.doubles(shift.length);
  writeF64(p, shift);
  runtime('KMeans').kernels.subtractColumns(x.rows, x.cols, x.ptr, p, x.ptr);
}
