// Mini-batch k-means (Sculley 2010) with scikit-learn's MiniBatchKMeans
// semantics, for data too large to sweep every iteration and for streams.
//
//   const mb = new MiniBatchKMeans({ k: 8, batchSize: 1024, seed: 1 }).fit(points);
//   for (const chunk of stream) mb.partialFit(chunk);      // or learn from a stream
//
// Each step draws `batchSize` rows (with replacement), assigns them to the
// nearest centre and moves each centre j toward the mean of its batch rows with
// step counts_j / (w_j + counts_j), w_j being how many rows it has absorbed so
// far. Every 10·k rows (or as soon as a centre has absorbed none), centres with
// w_j < reassignmentRatio · max w are moved onto random batch rows.
//
// fit: `nInit` candidate seedings, each on `initSize` random rows, are scored on
// another `initSize` random rows; the best one is refined for at most
// maxIter · n / batchSize steps, stopping early when the smoothed batch inertia
// has not improved for `maxNoImprovement` steps, or (tol > 0) when the centres
// move less than tol · mean feature variance. labels and inertia are then those
// of every row against the final centres.
//
// partialFit: the first call seeds the centres from its batch (which needs at
// least k distinct rows) and fixes the shift (the batch's column means) that
// all later batches are centred by; every call is then one step on that batch.

import type { Matrix } from '../matrix.js';
import { ArgumentError, ShapeError } from '../runtime/errors.js';
import { heapF32, runtime } from '../runtime/module.js';
import { checkKeys, checkOptionsObject } from '../runtime/validate.js';
import type { Kernels } from '../runtime/abi.js';
import { RngStream } from '../nn/rng.js';
import {
  RngState, Workspace, countDistinctRows, intOption, notFitted, numberOption, readF32, readF64, readI32,
  requireDistinctRows, seedOption, stagePoints, writeF32, writeF64, type Points, type Staged,
} from './common.js';
import {
  LloydState, assignPoints, centerRows, checkInit, checkK, checkStart, checkSpread, columnStats, nearestDistances, shiftRows, transformPoints, type InitChoice, type KMeansInit,
} from './kmeans.js';

export interface MiniBatchKMeansOptions {
  /** Number of clusters, ≥ 1. */
  k: number;
  /** Default 'k-means++'. */
  init?: KMeansInit;
  /** Candidate seedings in fit. Default 'auto': 1 for k-means++ or given centres, 3 for random. */
  nInit?: number | 'auto';
  /** Passes over the data (epochs) in fit, ≥ 1. Default 100. */
  maxIter?: number;
  /** Rows per step, ≥ 1. Default 1024. */
  batchSize?: number;
  /** Relative centre-shift tolerance, ≥ 0; 0 (default) disables it. */
  tol?: number;
  /** Steps without improvement of the smoothed batch inertia before fit stops, ≥ 1. Default 10. */
  maxNoImprovement?: number;
  /** Rows the seeding uses in fit. Default 3 · batchSize (at least 3 · k, at most the rows). */
  initSize?: number;
  /** Fraction of the largest count below which a centre is reassigned, in [0, 1]. Default 0.01. */
  reassignmentRatio?: number;
  /** Default 0. */
  seed?: number;
}

const KEYS = ['k', 'init', 'nInit', 'maxIter', 'batchSize', 'tol', 'maxNoImprovement', 'initSize', 'reassignmentRatio', 'seed'] as const;

export class MiniBatchKMeans {
  readonly k: number;
  readonly init: 'k-means++' | 'random' | 'given';
  readonly nInit: number;
  readonly maxIter: number;
  readonly batchSize: number;
  readonly tol: number;
  readonly maxNoImprovement: number;
  readonly initSize: number | undefined;
  readonly reassignmentRatio: number;
  readonly seed: number;
  readonly #init: InitChoice;
  #rng: RngState;
  #centers: Float32Array | null = null;
  #shift: Float64Array | null = null;
  #weights: Float64Array | null = null;
  #labels: Int32Array | null = null;
  #inertia = NaN;
  #nIter = 0;
  #nSteps = 0;
  #sinceReassign = 0;

  constructor(options: MiniBatchKMeansOptions) {
    const where = 'MiniBatchKMeans';
    const opts = checkOptionsObject(where, options);
    checkKeys(where, opts, KEYS);
    ({ k: this.k, init: this.#init, nInit: this.nInit } = checkStart(where, opts, 3));
    this.init = this.#init.method;
    this.maxIter = intOption(where, 'maxIter', opts.maxIter, 100, 1);
    this.batchSize = intOption(where, 'batchSize', opts.batchSize, 1024, 1);
    this.tol = numberOption(where, 'tol', opts.tol, 0, (v) => v >= 0, 'a finite number ≥ 0');
    this.maxNoImprovement = intOption(where, 'maxNoImprovement', opts.maxNoImprovement, 10, 1);
    this.initSize = opts.initSize === undefined ? undefined : intOption(where, 'initSize', opts.initSize, 1, 1);
    this.reassignmentRatio = numberOption(where, 'reassignmentRatio', opts.reassignmentRatio, 0.01,
      (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
    this.seed = seedOption(where, opts.seed);
    this.#rng = new RngState(this.seed, RngStream.clustering);
  }

  /** Clusters `points` by mini-batch steps (see the top of this file); returns this. */
  fit(points: Points): this {
    const where = 'MiniBatchKMeans.fit';
    const ws = new Workspace(where);
    try {
      const x = stagePoints(ws, where, points);
      this.#checkInitCols(where, x);
      requireDistinctRows(where, x, this.k, 'k');
      const kern = runtime(where).kernels;
      const { n, d, k } = { n: x.rows, d: x.cols, k: this.k };
      const { shift, meanVariance } = columnStats(ws, x);
      shiftRows(ws, x, shift);
      checkSpread(ws, where, x, 'the column means');
      this.#rng = new RngState(this.seed, RngStream.clustering);
      const rng = this.#rng.enter(ws);
      const batch = Math.min(this.batchSize, n);
      let initSize = this.initSize ?? 3 * batch;
      if (initSize < k) initSize = 3 * k;
      if (initSize > n) initSize = n;

      // Score each candidate seeding on a validation sample.
      const valid = sample(ws, kern, rng, x, initSize);
      const validState = new BatchBuffers(ws, kern, initSize, d, k);
      const subset = new BatchBuffers(ws, kern, initSize, d, k);
      let best: Float32Array | null = null;
      let bestInertia = Infinity;
      const centers = ws.floats(k * d);
      for (let r = 0; r < this.nInit; r++) {
        kern.kmeansSampleIndices(rng, initSize, n, subset.idx);
        kern.gatherRows(initSize, d, x.ptr, subset.idx, subset.x);
        const sub: Staged = { ptr: subset.x, rows: initSize, cols: d };
        // Seed from the sample unless it lacks k distinct rows (drawn with replacement); then from all rows.
        const source = countDistinctRows(sub, k) >= k ? sub : x;
        const seedState = new LloydState(ws, source, k);
        seedState.seed(kern, this.#init, shift, rng);
        heapF32().copyWithin(centers >>> 2, seedState.centers >>> 2, (seedState.centers >>> 2) + k * d);
        const inertia = validState.step(kern, valid, centers, null);
        if (best === null || inertia < bestInertia) { best = readF32(centers, k * d); bestInertia = inertia; }
      }
      writeF32(centers, best!);

      // Mini-batch steps.
      const weights = ws.doubles(k);
      new Float64Array(heapF32().buffer, weights, k).fill(0);
      const steps = Math.max(1, Math.floor((this.maxIter * n) / batch));
      const step = new BatchBuffers(ws, kern, batch, d, k);
      const reassignScratch = ws.floats(k + batch);
      const weightView = new Float64Array(heapF32().buffer, weights, k);
      const tolAbs = this.tol * meanVariance;
      this.#sinceReassign = 0;
      let ewa = NaN, ewaMin = NaN, noImprovement = 0;
      let i = 0;
      for (; i < steps; i++) {
        kern.kmeansSampleIndices(rng, batch, n, step.idx);
        kern.gatherRows(batch, d, x.ptr, step.idx, step.x);
        const reassign = this.#randomReassign(weightView, batch);
        const inertia = step.step(kern, { ptr: step.x, rows: batch, cols: d }, centers, weights);
        const moved = step.lastShift;
        if (reassign && this.reassignmentRatio > 0) {
          kern.kmeansReassign(rng, k, d, centers, weights, this.reassignmentRatio, batch, step.x, reassignScratch);
        }
        // scikit-learn's _mini_batch_convergence (the first step is ignored).
        if (i === 0) continue;
        const batchInertia = inertia / batch;
        if (Number.isNaN(ewa)) ewa = batchInertia;
        else {
          const alpha = Math.min((batch * 2) / (n + 1), 1);
          ewa = ewa * (1 - alpha) + batchInertia * alpha;
        }
        if (tolAbs > 0 && moved <= tolAbs) { i++; break; }
        if (Number.isNaN(ewaMin) || ewa < ewaMin) { noImprovement = 0; ewaMin = ewa; }
        else noImprovement++;
        if (noImprovement >= this.maxNoImprovement) { i++; break; }
      }
      this.#nSteps = Math.min(i, steps);
      this.#nIter = Math.ceil((this.#nSteps * batch) / n);

      // Labels and inertia of every row.
      const all = new LloydState(ws, x, k);
      heapF32().copyWithin(all.centers >>> 2, centers >>> 2, (centers >>> 2) + k * d);
      kern.kmeansAssign(n, d, k, x.ptr, all.xNorms, all.centers, all.labels, all.minDist, 0, 0, all.scratch);
      this.#inertia = kern.kmeansRowDistances(n, d, x.ptr, all.centers, all.labels, 0);
      this.#labels = readI32(all.labels, n);
      this.#centers = readF32(centers, k * d);
      this.#weights = readF64(weights, k);
      this.#shift = shift;
      this.#rng.leave(rng);
      return this;
    } finally {
      ws.free();
    }
  }

  /** One mini-batch step on `points` (the first call also seeds the centres from them); returns this. */
  partialFit(points: Points): this {
    const where = 'MiniBatchKMeans.partialFit';
    const ws = new Workspace(where);
    try {
      const x = stagePoints(ws, where, points, this.#shift === null ? undefined : this.#shift.length);
      const kern = runtime(where).kernels;
      const { d, k } = { d: x.cols, k: this.k };
      const rng = this.#rng.enter(ws);
      const centers = ws.floats(k * d);
      const weights = ws.doubles(k);
      if (this.#shift === null || this.#centers === null || this.#weights === null) {
        this.#checkInitCols(where, x);
        requireDistinctRows(where, x, k, 'k');
        const { shift } = columnStats(ws, x);
        shiftRows(ws, x, shift);
        checkSpread(ws, where, x, 'the column means');
        const seedState = new LloydState(ws, x, k);
        seedState.seed(kern, this.#init, shift, rng);
        heapF32().copyWithin(centers >>> 2, seedState.centers >>> 2, (seedState.centers >>> 2) + k * d);
        new Float64Array(heapF32().buffer, weights, k).fill(0);
        this.#shift = shift;
        this.#sinceReassign = 0;
        this.#nSteps = 0;
      } else {
        shiftRows(ws, x, this.#shift);
        checkSpread(ws, where, x, 'the column means of the first batch');
        writeF32(centers, this.#centers);
        writeF64(weights, this.#weights);
      }
      const step = new BatchBuffers(ws, kern, x.rows, d, k);
      const reassign = this.#randomReassign(new Float64Array(heapF32().buffer, weights, k), x.rows);
      step.step(kern, x, centers, weights);
      if (reassign && this.reassignmentRatio > 0) {
        const scratch = ws.floats(k + x.rows);
        kern.kmeansReassign(rng, k, d, centers, weights, this.reassignmentRatio, x.rows, x.ptr, scratch);
      }
      this.#centers = readF32(centers, k * d);
      this.#weights = readF64(weights, k);
      this.#nSteps++;
      this.#rng.leave(rng);
      return this;
    } finally {
      ws.free();
    }
  }

  /** The index of the nearest centre for each row. */
  predict(points: Points): Int32Array {
    const { centers, shift } = this.#fitted('MiniBatchKMeans.predict');
    return assignPoints('MiniBatchKMeans.predict', points, centers, shift, this.k, (ws, x, st) => readI32(st.labels, x.rows));
  }

  /** Euclidean distances from each row to every centre, as a rows × k Matrix (dispose it). */
  transform(points: Points): Matrix {
    const { centers, shift } = this.#fitted('MiniBatchKMeans.transform');
    return transformPoints('MiniBatchKMeans.transform', points, centers, shift, this.k);
  }

  /** −Σ squared distance of each row to its nearest centre. */
  score(points: Points): number {
    const { centers, shift } = this.#fitted('MiniBatchKMeans.score');
    return -assignPoints('MiniBatchKMeans.score', points, centers, shift, this.k,
      (ws, x, st, kern, c) => kern.kmeansRowDistances(x.rows, x.cols, x.ptr, c, st.labels, 0));
  }

  /** Distance from each row to its nearest centre: larger is more anomalous. */
  anomalyScores(points: Points): Float32Array {
    const { centers, shift } = this.#fitted('MiniBatchKMeans.anomalyScores');
    return assignPoints('MiniBatchKMeans.anomalyScores', points, centers, shift, this.k, nearestDistances);
  }

  /** The centres, k rows of d numbers, in the coordinates of the data. */
  get clusterCenters(): number[][] {
    const { centers, shift } = this.#fitted('MiniBatchKMeans.clusterCenters');
    return centerRows(centers, shift, this.k);
  }

  /** How many rows each centre has absorbed (scikit-learn's private _counts). */
  get counts(): Float64Array {
    this.#fitted('MiniBatchKMeans.counts');
    return this.#weights!.slice();
  }

  /** The cluster of each row given to fit() (not set by partialFit). */
  get labels(): Int32Array {
    if (this.#labels === null) throw notFitted('MiniBatchKMeans.labels', 'MiniBatchKMeans (labels come from fit(), not partialFit())');
    return this.#labels.slice();
  }

  /** Σ‖x_i − c_label(i)‖² over the rows given to fit(). */
  get inertia(): number {
    if (this.#labels === null) throw notFitted('MiniBatchKMeans.inertia', 'MiniBatchKMeans (inertia comes from fit(), not partialFit())');
    return this.#inertia;
  }

  /** Passes over the data fit() made (scikit-learn's n_iter_). */
  get nIter(): number {
    return this.#nIter;
  }

  /** Mini-batch steps taken (fit, or partialFit calls since the first). */
  get nSteps(): number {
    return this.#nSteps;
  }

  get isFitted(): boolean {
    return this.#centers !== null;
  }

  #checkInitCols(where: string, x: Staged): void {
    if (this.#init.method === 'given' && this.#init.cols !== x.cols) {
      throw new ShapeError(`${where}: the init centres have ${this.#init.cols} values each, the points ${x.cols} columns`);
    }
  }

  /** scikit-learn's _random_reassign: every 10·k rows, or whenever a centre has absorbed nothing yet. */
  #randomReassign(weights: Float64Array, rows: number): boolean {
    this.#sinceReassign += rows;
    let empty = false;
    for (let j = 0; j < weights.length; j++) if (weights[j] === 0) { empty = true; break; }
    if (empty || this.#sinceReassign >= 10 * this.k) {
      this.#sinceReassign = 0;
      return true;
    }
    return false;
  }

  #fitted(where: string): { centers: Float32Array; shift: Float64Array } {
    if (this.#centers === null || this.#shift === null) throw notFitted(where, 'MiniBatchKMeans');
    return { centers: this.#centers, shift: this.#shift };
  }
}

/** `rows` random rows of x (with replacement), gathered into a new staged block. */
function sample(ws: Workspace, kern: Kernels, rng: number, x: Staged, rows: number): Staged {
  const idx = ws.floats(rows), out = ws.floats(rows * x.cols);
  kern.kmeansSampleIndices(rng, rows, x.rows, idx);
  kern.gatherRows(rows, x.cols, x.ptr, idx, out);
  return { ptr: out, rows, cols: x.cols };
}

/** Buffers for assigning (and stepping on) batches of up to `rows` rows. */
class BatchBuffers {
  readonly idx: number;
  readonly x: number;
  readonly xNorms: number;
  readonly labels: number;
  readonly minDist: number;
  readonly sums: number;
  readonly counts: number;
  readonly scratch: number;
  readonly k: number;
  lastShift = 0;

  constructor(ws: Workspace, kern: Kernels, rows: number, d: number, k: number) {
    this.k = k;
    this.idx = ws.floats(rows);
    this.x = ws.floats(rows * d);
    this.xNorms = ws.floats(rows);
    this.labels = ws.floats(rows);
    this.minDist = ws.floats(rows);
    this.sums = ws.doubles(k * d);
    this.counts = ws.floats(k);
    this.scratch = ws.alloc(kern.kmeansScratchBytes(d, k));
  }

  /**
   * Assigns the rows of `b` to `centers`; with `weights`, also applies the
   * mini-batch update (lastShift = the centres' squared move). Returns the
   * batch inertia against the centres before the update: Σ minDist (from the
   * distance expansion, summed in f32).
   */
  step(kern: Kernels, b: Staged, centers: number, weights: number | null): number {
    const k = this.k;
    kern.rowSquaredNorms(b.rows, b.cols, b.ptr, this.xNorms);
    if (weights !== null) {
      // The batch's own totals: kmeansAssign adds each row that leaves label −1.
      const buf = heapF32().buffer;
      new Int32Array(buf, this.labels, b.rows).fill(-1);
      new Float64Array(buf, this.sums, k * b.cols).fill(0);
      new Int32Array(buf, this.counts, k).fill(0);
    }
    kern.kmeansAssign(b.rows, b.cols, k, b.ptr, this.xNorms, centers, this.labels, this.minDist,
      weights === null ? 0 : this.sums, weights === null ? 0 : this.counts, this.scratch);
    const inertia = kern.sum(b.rows, this.minDist);
    if (weights !== null) this.lastShift = kern.kmeansMiniBatchUpdate(k, b.cols, centers, weights, this.sums, this.counts);
    return inertia;
  }
}
