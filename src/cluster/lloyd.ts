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
import { readI32, writeF64, type Staged, type Workspace } from './common.js';

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
   * Writes initial centres (centred coordinates) into `centers`. With weights,
   * k-means++ draws rows ∝ weight (and weight × squared distance), 'random' draws
   * k distinct rows ∝ weight (at least k rows must weigh > 0: the caller checks);
   * given centres ignore the weights, as in scikit-learn.
   */
  seed(kern: Kernels, init: InitChoice, shift: Float64Array, rng: number): void {
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
      const heap = heapF32();
      const at = this.centers >>> 2;
      // f32(c − shift) in f64 first, as subtractColumns does for the data.
      for (let j = 0; j < k; j++) for (let f = 0; f < d; f++) heap[at + j * d + f] = c[j * d + f]! - shift[f]!;
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

/** Column means (the shift) and the mean feature variance of x, from the kernel (f64). */
export function columnStats(ws: Workspace, x: Staged): { shift: Float64Array; meanVariance: number } {
  const kern = runtime('KMeans').kernels;
  const mean = ws.doubles(x.cols), variance = ws.doubles(x.cols);
  kern.colMeanVar(x.rows, x.cols, x.ptr, mean, variance);
  const heap64 = new Float64Array(heapF32().buffer);
  const shift = heap64.slice(mean >>> 3, (mean >>> 3) + x.cols);
  let s = 0;
  for (let f = 0; f < x.cols; f++) s += heap64[(variance >>> 3) + f]!;
  return { shift, meanVariance: s / x.cols };
}

/** Squared norms above this (float32's largest / 4) make ‖x‖² + ‖c‖² − 2·x·c, or ‖x − c‖², overflow float32. */
const MAX_SQUARED_NORM = 3.4028234663852886e38 / 4;

/**
 * Refuses centred points too far from the centre for k-means' float32 squared
 * distances (|x| above ~9.2e18): they would overflow to ∞ and every label would be
 * a tie, silently. `from` says what the points were centred on. Returns the
 * rows' squared norms (x.rows f32 in ws), which the distance kernels read.
 */
export function checkSpread(ws: Workspace, where: string, x: Staged, from: string): number {
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
  throw new ArgumentError(
    `${where}: points row ${worst} lies ${Math.sqrt(worstSq).toExponential(2)} from ${from}, too far for squared distances in float32 ` +
      `(at most ${Math.sqrt(MAX_SQUARED_NORM).toExponential(1)}); rescale the data`,
  );
}

/** Subtracts `shift` from every row of x in place (f64 arithmetic, rounded to f32). */
export function shiftRows(ws: Workspace, x: Staged, shift: Float64Array): void {
  const p = ws.doubles(shift.length);
  writeF64(p, shift);
  runtime('KMeans').kernels.subtractColumns(x.rows, x.cols, x.ptr, p, x.ptr);
}
