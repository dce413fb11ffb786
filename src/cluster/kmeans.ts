// K-means (Lloyd's algorithm) with scikit-learn's semantics, over the kernels of
// assembly/kmeans.ts.
//
//   const km = new KMeans({ k: 8, seed: 1 }).fit(points);
//   km.labels; km.inertia; km.clusterCenters; km.nIter;
//   km.predict(more); km.transform(more); km.anomalyScores(more);
//
// What fit does, as sklearn.cluster.KMeans(algorithm='lloyd'):
//  - The data are centred (column means subtracted) before anything else, so
//    the distance expansion ‖x‖² + ‖c‖² − 2·x·c does not cancel; centres are
//    reported back in the original coordinates.
//  - `tol` is relative: iterations stop when Σ_j ‖c_j(new) − c_j(old)‖² ≤
//    tol · mean over features of the feature variance, or as soon as an
//    assignment leaves every label unchanged (strict convergence).
//  - If the last iteration did not converge strictly, one more assignment makes
//    `labels` match `clusterCenters`; `inertia` is then Σ‖x_i − c_label(i)‖²,
//    computed exactly in f64 from the f32 data.
//  - Empty clusters: a centre that receives no point is moved onto the point
//    farthest from its own centre (among points whose cluster keeps another
//    point), which leaves its old cluster — sklearn's rule.
//  - `nInit` runs keep the lowest inertia (the first on ties); 'auto' is 1 run
//    for 'k-means++' or given centres, 10 for 'random'.
//  - Seeding: 'k-means++' is the greedy variant (2 + ⌊ln k⌋ candidates per
//    centre, keeping the one that lowers the potential most); 'random' takes k
//    distinct rows. Both are seeded (`seed`); a fit is reproducible bit for bit
//    in every runtime.

import { Matrix } from '../matrix.js';
import { ArgumentError, ShapeError } from '../runtime/errors.js';
import { heapF32, runtime } from '../runtime/module.js';
import { checkKeys, checkOptionsObject, show } from '../runtime/validate.js';
import type { Kernels } from '../runtime/abi.js';
import { assignRunsOf } from '../threads/parallel.js';
import {
  CLUSTER_STREAM, RngState, Workspace, intOption, notFitted, numberOption, readF32, readI32, requireDistinctRows,
  seedOption, stagePoints, writeF32, writeF64, type Points, type Staged,
} from './common.js';

/** How to choose the first centres: a method, or the k centres themselves (k rows of d numbers). */
export type KMeansInit = 'k-means++' | 'random' | readonly (readonly number[])[];

export interface KMeansOptions {
  /** Number of clusters, ≥ 1 (scikit-learn's n_clusters). */
  k: number;
  /** Default 'k-means++'. */
  init?: KMeansInit;
  /** Runs from different seeds, keeping the lowest inertia. Default 'auto' (1 for k-means++ or given centres, 10 for random). */
  nInit?: number | 'auto';
  /** Lloyd iterations per run, ≥ 1. Default 300. */
  maxIter?: number;
  /** Relative tolerance on the centre shift (see the top of this file), ≥ 0. Default 1e-4. */
  tol?: number;
  /** Seeds the initialization. Default 0. */
  seed?: number;
}

const KEYS = ['k', 'init', 'nInit', 'maxIter', 'tol', 'seed'] as const;

/** Checked k-means options shared by KMeans and MiniBatchKMeans. */
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
  const first: unknown = init[0];
  const d = Array.isArray(first) ? first.length : 0;
  if (d < 1) throw new ShapeError(`${where}: init centre 0 must be a non-empty array of numbers, got ${show(first)}`);
  const out = new Float64Array(k * d);
  for (let j = 0; j < k; j++) {
    const c: unknown = init[j];
    if (!Array.isArray(c) || c.length !== d) {
      throw new ShapeError(`${where}: init centre ${j} has ${Array.isArray(c) ? c.length : show(c)} values, expected ${d} (as centre 0)`);
    }
    for (let f = 0; f < d; f++) {
      const v: unknown = c[f];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new ArgumentError(`${where}: init centre ${j}, value ${f} is ${show(v)}; expected a finite number`);
      }
      out[j * d + f] = v;
    }
  }
  return { method: 'given', centers: out, cols: d };
}

/** 2 + ⌊ln k⌋ (scikit-learn's number of local trials), with the deterministic log kernel. */
export function plusPlusTrials(k: number): number {
  return 2 + Math.floor(runtime('k-means++').kernels.mathLog(k));
}

/**
 * The buffers of Lloyd's algorithm over centred points x (n × d f32 in WASM):
 * allocated once per fit, reused by every run.
 */
export class LloydState {
  readonly n: number;
  readonly d: number;
  readonly k: number;
  readonly x: number;
  readonly xNorms: number;
  readonly labels: number;
  readonly minDist: number;
  readonly sums: number;
  readonly counts: number;
  readonly scratch: number;
  readonly centers: number;
  readonly #ws: Workspace;
  #ppScratch = 0;
  #idxScratch = 0;
  #chosen = 0;
  /** The state whose seeding scratch this one uses (restarts run side by side share it). */
  readonly #seeder: LloydState;

  /** xNorms: the rows' squared norms if already at hand (checkSpread's), else computed here. */
  constructor(ws: Workspace, x: Staged, k: number, xNorms?: number, seeder?: LloydState) {
    const kern = runtime('KMeans').kernels;
    this.#ws = ws;
    this.#seeder = seeder ?? this;
    this.n = x.rows; this.d = x.cols; this.k = k; this.x = x.ptr;
    this.labels = ws.floats(x.rows);
    this.minDist = ws.floats(x.rows);
    this.sums = ws.doubles(k * x.cols);
    this.counts = ws.floats(k);
    this.scratch = ws.alloc(kern.kmeansScratchBytes(x.cols, k));
    this.centers = ws.floats(k * x.cols);
    if (xNorms === undefined) {
      this.xNorms = ws.floats(x.rows);
      kern.rowSquaredNorms(x.rows, x.cols, x.ptr, this.xNorms);
    } else {
      this.xNorms = xNorms;
    }
  }

  /** Writes initial centres (centred coordinates) into `centers`. */
  seed(kern: Kernels, init: InitChoice, shift: Float64Array, rng: number): void {
    const { n, d, k } = this;
    const s = this.#seeder;
    if (s.#chosen === 0) s.#chosen = s.#ws.floats(k);
    if (init.method === 'k-means++') {
      if (s.#ppScratch === 0) s.#ppScratch = s.#ws.alloc(kern.kmeansPlusPlusScratchBytes(n));
      kern.kmeansPlusPlus(n, d, k, this.x, plusPlusTrials(k), rng, this.centers, s.#chosen, s.#ppScratch);
    } else if (init.method === 'random') {
      if (s.#idxScratch === 0) s.#idxScratch = s.#ws.floats(n);
      kern.kmeansSampleDistinct(rng, n, k, s.#idxScratch, s.#chosen);
      kern.gatherRows(k, d, this.x, s.#chosen, this.centers);
    } else {
      const c = init.centers!;
      const heap = heapF32();
      const at = this.centers >>> 2;
      // f32(c − shift) in f64 first, as subtractColumns does for the data.
      for (let j = 0; j < k; j++) for (let f = 0; f < d; f++) heap[at + j * d + f] = c[j * d + f]! - shift[f]!;
    }
  }

  /**
   * Lloyd's iterations from the current centres. Returns the iteration count
   * and the exact inertia; labels and centres are left in their buffers.
   */
  run(kern: Kernels, maxIter: number, tolAbs: number): LloydRun {
    return LloydState.runAll(kern, [this], maxIter, tolAbs)[0]!;
  }

  /**
   * `run` for several states over the same points (k-means restarts) side by
   * side: each iteration assigns every unfinished state in one job, so the
   * restarts share the threads (src/threads/parallel.ts). Each state ends
   * exactly as its own `run` would have left it.
   */
  static runAll(kern: Kernels, states: readonly LloydState[], maxIter: number, tolAbs: number): LloydRun[] {
    const { n, d, k, x, xNorms } = states[0]!;
    const assignRuns = assignRunsOf(kern, (i) => states[i]!.scratch);
    const assign = (live: readonly LloydState[], withSums: boolean): number[] => live.length === 1
      ? [kern.kmeansAssign(n, d, k, x, xNorms, live[0]!.centers, live[0]!.labels, live[0]!.minDist,
        withSums ? live[0]!.sums : 0, withSums ? live[0]!.counts : 0, live[0]!.scratch)]
      : assignRuns(n, d, k, x, xNorms, live.map((s) => ({
        centers: s.centers, labels: s.labels, minDist: s.minDist, sums: withSums ? s.sums : 0, counts: withSums ? s.counts : 0,
      })));
    for (const s of states) {
      // kmeansAssign keeps sums and counts in step with the labels: no row in any cluster yet.
      new Int32Array(heapF32().buffer, s.labels, n).fill(-1);
      new Float64Array(heapF32().buffer, s.sums, k * d).fill(0);
      new Int32Array(heapF32().buffer, s.counts, k).fill(0);
    }
    const out = states.map(() => ({ nIter: 0, inertia: 0, strict: false, done: false }));
    for (let it = 1; it <= maxIter; it++) {
      const live = states.filter((_, i) => !out[i]!.done);
      if (live.length === 0) break;
      const changed = assign(live, true);
      live.forEach((s, j) => {
        const r = out[states.indexOf(s)]!;
        r.nIter = it;
        if (changed[j] === 0) { r.strict = true; r.done = true; return; }
        const moved = kern.kmeansRelocateEmpty(n, d, k, x, s.labels, s.minDist, s.sums, s.counts);
        const shift = kern.kmeansUpdate(k, d, s.sums, s.counts, s.centers);
        // Relocation moved rows in the totals but not in the labels: back in step.
        if (moved > 0) kern.kmeansLabelSums(n, d, k, x, s.labels, s.sums, s.counts);
        if (shift <= tolAbs) r.done = true;
      });
    }
    const loose = states.filter((_, i) => !out[i]!.strict);
    if (loose.length > 0) assign(loose, false);
    return states.map((s, i) => ({
      nIter: out[i]!.nIter, strict: out[i]!.strict, inertia: kern.kmeansRowDistances(n, d, x, s.centers, s.labels, 0),
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

/** Whether nInit restarts over n rows run side by side: only with worker threads to share, and memory to spare. */
function sideBySide(where: string, nInit: number, n: number): boolean {
  return nInit > 1 && n * nInit <= SIDE_BY_SIDE_ROWS && (runtime(where).threads?.info().threads ?? 1) > 1;
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

export class KMeans {
  readonly k: number;
  readonly init: 'k-means++' | 'random' | 'given';
  readonly nInit: number;
  readonly maxIter: number;
  readonly tol: number;
  readonly seed: number;
  readonly #init: InitChoice;
  #centers: Float32Array | null = null;
  #shift: Float64Array | null = null;
  #labels: Int32Array | null = null;
  #inertia = NaN;
  #nIter = 0;

  constructor(options: KMeansOptions) {
    const where = 'KMeans';
    const opts = checkOptionsObject(where, options);
    checkKeys(where, opts, KEYS);
    ({ k: this.k, init: this.#init, nInit: this.nInit } = checkStart(where, opts, 10));
    this.init = this.#init.method;
    this.maxIter = intOption(where, 'maxIter', opts.maxIter, 300, 1);
    this.tol = numberOption(where, 'tol', opts.tol, 1e-4, (v) => v >= 0, 'a finite number ≥ 0');
    this.seed = seedOption(where, opts.seed);
  }

  /** Clusters `points`; returns this. */
  fit(points: Points): this {
    const where = 'KMeans.fit';
    const ws = new Workspace(where);
    try {
      const x = stagePoints(ws, where, points);
      if (this.#init.method === 'given' && this.#init.cols !== x.cols) {
        throw new ShapeError(`${where}: the init centres have ${this.#init.cols} values each, the points ${x.cols} columns`);
      }
      requireDistinctRows(where, x, this.k, 'k');
      const kern = runtime(where).kernels;
      const { shift, meanVariance } = columnStats(ws, x);
      shiftRows(ws, x, shift);
      const norms = checkSpread(ws, where, x, 'the column means');
      const state = new LloydState(ws, x, this.k, norms);
      const rngState = new RngState(this.seed, CLUSTER_STREAM);
      const rng = rngState.enter(ws);
      let best: { centers: Float32Array; labels: Int32Array; inertia: number; nIter: number } | null = null;
      const keep = (s: LloydState, run: LloydRun) => {
        if (best === null || run.inertia < best.inertia) {
          best = { centers: readF32(s.centers, this.k * x.cols), labels: readI32(s.labels, x.rows), inertia: run.inertia, nIter: run.nIter };
        }
      };
      if (sideBySide(where, this.nInit, x.rows)) {
        // The restarts side by side, one state each (seeded in order: the same draws as one after another).
        const states = [state, ...Array.from({ length: this.nInit - 1 }, () => new LloydState(ws, x, this.k, norms, state))];
        for (const s of states) s.seed(kern, this.#init, shift, rng);
        LloydState.runAll(kern, states, this.maxIter, this.tol * meanVariance).forEach((run, r) => keep(states[r]!, run));
      } else {
        for (let r = 0; r < this.nInit; r++) {
          state.seed(kern, this.#init, shift, rng);
          keep(state, state.run(kern, this.maxIter, this.tol * meanVariance));
        }
      }
      this.#centers = best!.centers;
      this.#labels = best!.labels;
      this.#inertia = best!.inertia;
      this.#nIter = best!.nIter;
      this.#shift = shift;
      return this;
    } finally {
      ws.free();
    }
  }

  /** fit(points), then the labels. */
  fitPredict(points: Points): Int32Array {
    return this.fit(points).labels;
  }

  /** The index of the nearest centre for each row. */
  predict(points: Points): Int32Array {
    return this.#assign('KMeans.predict', points, (ws, s, st) => readI32(st.labels, s.rows));
  }

  /** Euclidean distances from each row to every centre, as a rows × k Matrix (dispose it). */
  transform(points: Points): Matrix {
    const { centers, shift } = this.#fitted('KMeans.transform');
    return transformPoints('KMeans.transform', points, centers, shift, this.k);
  }

  /** −Σ squared distance of each row to its nearest centre (scikit-learn's score: higher is better). */
  score(points: Points): number {
    return -this.#assign('KMeans.score', points, (ws, s, st, kern, c) =>
      kern.kmeansRowDistances(s.rows, s.cols, s.ptr, c, st.labels, 0));
  }

  /** Distance from each row to its nearest centre (exact, f64 then rounded): larger is more anomalous. */
  anomalyScores(points: Points): Float32Array {
    return this.#assign('KMeans.anomalyScores', points, nearestDistances);
  }

  /** The centres, k rows of d numbers, in the coordinates of the data. */
  get clusterCenters(): number[][] {
    const { centers, shift } = this.#fitted('KMeans.clusterCenters');
    return centerRows(centers, shift, this.k);
  }

  /** The cluster of each row of the fitted points (a copy). */
  get labels(): Int32Array {
    this.#fitted('KMeans.labels');
    return this.#labels!.slice();
  }

  /** Σ‖x_i − c_label(i)‖² over the fitted points. */
  get inertia(): number {
    this.#fitted('KMeans.inertia');
    return this.#inertia;
  }

  /** Lloyd iterations of the run kept. */
  get nIter(): number {
    this.#fitted('KMeans.nIter');
    return this.#nIter;
  }

  /** Number of features seen in fit. */
  get nFeatures(): number {
    return this.#fitted('KMeans.nFeatures').shift.length;
  }

  get isFitted(): boolean {
    return this.#centers !== null;
  }

  #fitted(where: string): { centers: Float32Array; shift: Float64Array } {
    if (this.#centers === null || this.#shift === null) throw notFitted(where, 'KMeans');
    return { centers: this.#centers, shift: this.#shift };
  }

  /** Stages and centres points, assigns them; `then` reads what it needs before the workspace is freed. */
  #assign<T>(
    where: string, points: Points,
    then: (ws: Workspace, x: Staged, st: { labels: number; minDist: number }, kern: Kernels, centers: number) => T,
  ): T {
    const { centers, shift } = this.#fitted(where);
    return assignPoints(where, points, centers, shift, this.k, then);
  }
}

/**
 * Shared by KMeans and MiniBatchKMeans: k, init and nInit ('auto': `randomRestarts`
 * for random init, else 1; given centres allow only 1).
 */
export function checkStart(where: string, opts: Record<string, unknown>, randomRestarts: number): { k: number; init: InitChoice; nInit: number } {
  const k = checkK(where, opts.k);
  const init = checkInit(where, opts.init, k);
  const nInit = opts.nInit === undefined || opts.nInit === 'auto'
    ? (init.method === 'random' ? randomRestarts : 1)
    : intOption(where, 'nInit', opts.nInit, 1, 1);
  if (init.method === 'given' && nInit !== 1) {
    throw new ArgumentError(`${where}: nInit must be 1 (or 'auto') when init gives the centres, got ${nInit}`);
  }
  return { k, init, nInit };
}

/** Shared by KMeans and MiniBatchKMeans (an assignPoints continuation): the distance of each row to its nearest centre. */
export function nearestDistances(_ws: Workspace, x: Staged, st: { labels: number; minDist: number }, kern: Kernels, c: number): Float32Array {
  kern.kmeansRowDistances(x.rows, x.cols, x.ptr, c, st.labels, st.minDist);
  const out = readF32(st.minDist, x.rows);
  for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(out[i]!);
  return out;
}

/** Shared by KMeans and MiniBatchKMeans: centres (centred coordinates, k × d) as rows in the data's coordinates. */
export function centerRows(centers: Float32Array, shift: Float64Array, k: number): number[][] {
  const d = shift.length;
  return Array.from({ length: k }, (_, j) => Array.from({ length: d }, (_, f) => centers[j * d + f]! + shift[f]!));
}

/**
 * New points against fitted centres: the points staged, shifted by the fitted
 * column means and checked, their squared norms, the centres and the distance
 * kernels' scratch, all in ws.
 */
function stageAgainst(ws: Workspace, where: string, points: Points, centers: Float32Array, shift: Float64Array, k: number) {
  const x = stagePoints(ws, where, points, shift.length);
  shiftRows(ws, x, shift);
  const xNorms = checkSpread(ws, where, x, 'the fitted column means');
  const kern = runtime(where).kernels;
  const c = ws.floats(centers.length);
  writeF32(c, centers);
  return { x, xNorms, kern, c, scratch: ws.alloc(kern.kmeansScratchBytes(x.cols, k)) };
}

/** Shared by KMeans and MiniBatchKMeans: nearest-centre assignment of new points. */
export function assignPoints<T>(
  where: string, points: Points, centers: Float32Array, shift: Float64Array, k: number,
  then: (ws: Workspace, x: Staged, st: { labels: number; minDist: number }, kern: Kernels, centers: number) => T,
): T {
  const ws = new Workspace(where);
  try {
    const { x, xNorms, kern, c, scratch } = stageAgainst(ws, where, points, centers, shift, k);
    const labels = ws.floats(x.rows), minDist = ws.floats(x.rows);
    kern.kmeansAssign(x.rows, x.cols, k, x.ptr, xNorms, c, labels, minDist, 0, 0, scratch);
    return then(ws, x, { labels, minDist }, kern, c);
  } finally {
    ws.free();
  }
}

/** Shared by KMeans and MiniBatchKMeans: distances to every centre as a rows × k Matrix. */
export function transformPoints(where: string, points: Points, centers: Float32Array, shift: Float64Array, k: number): Matrix {
  const ws = new Workspace(where);
  try {
    const { x, xNorms, kern, c, scratch } = stageAgainst(ws, where, points, centers, shift, k);
    const out = Matrix.zeros(x.rows, k);
    kern.kmeansDistances(x.rows, x.cols, k, x.ptr, xNorms, c, out.ptr, scratch);
    return out;
  } finally {
    ws.free();
  }
}
