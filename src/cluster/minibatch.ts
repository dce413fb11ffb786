// Mini-batch k-means (Sculley 2010) with scikit-learn's MiniBatchKMeans
// semantics, for data too large to sweep every iteration and for streams. It
// shares its options, predict, transform, score and anomaly scores with KMeans
// (BaseKMeans in kmeans.ts).
//
//   const mb = new MiniBatchKMeans({ k: 8, batchSize: 1024, seed: 1 }).fit(points);
//   for (const chunk of stream) mb.partialFit(chunk);      // or learn from a stream
//   mb.labels; mb.inertia;                                  // of the last chunk
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
// partialFit: the first call seeds the centres from its batch (at least k rows)
// and fixes the frame (the batch's column medians, and the scale of a tiny spread:
// see KMeans) that all later batches are staged in; every call is then one step on that batch, after which labels and
// inertia are those of the batch against the updated centres (scikit-learn's
// compute_labels). fit, and each partialFit batch, are refused (the model left as
// it was) when a cluster's points lie too far from the frame's medians for float32
// to keep their detail (checkRounding in lloyd.ts).
//
// sampleWeight (fit, partialFit, fitPredict, score): a centre moves toward the
// weighted mean of its batch rows with step (batch weight)/(absorbed weight +
// batch weight), the counts are weight totals, inertias are weighted, seeding
// draws rows ∝ weight. Batches are still drawn uniformly (as in scikit-learn).

import { ArgumentError } from '../runtime/errors.js';
import { heapF32, runtime } from '../runtime/module.js';
import { checkOptionsObject } from '../runtime/validate.js';
import type { Kernels } from '../runtime/abi.js';
import { RngStream } from '../nn/rng.js';
import {
  RngState, Workspace, countDistinctRows, integerParam, notFitted, numberParam, optionalParam, readF32, readF64, readI32,
  sampleWeightOption, stagePoints, stageWeights, writeF32, writeF64, type Points, type SampleWeightOptions, type Staged, type StagedPoints,
} from './common.js';
import { LloydState, centreAgainst, centreFit, checkRounding, checkSpread, type Frame, type Rounding } from './lloyd.js';
import { BaseKMeans, type BaseKMeansOptions } from './kmeans.js';

export interface MiniBatchKMeansOptions extends BaseKMeansOptions {
  /** Candidate seedings in fit. Default 'auto': 1 for k-means++ or given centres, 3 for random. */
  nInit?: number | 'auto';
  /** Passes over the data (epochs) in fit, ≥ 1. Default 100. */
  maxIter?: number;
  /** Relative centre-shift tolerance, ≥ 0; 0 (default) disables it. */
  tol?: number;
  /** Rows per step, ≥ 1. Default 1024. */
  batchSize?: number;
  /** Steps without improvement of the smoothed batch inertia before fit stops, ≥ 1. Default 10. */
  maxNoImprovement?: number;
  /** Rows the seeding uses in fit. Default 3 · batchSize (at least 3 · k, at most the rows). */
  initSize?: number;
  /** Fraction of the largest count below which a centre is reassigned, in [0, 1]. Default 0.01. */
  reassignmentRatio?: number;
}

/** MiniBatchKMeans's own parameter constraints (BaseKMeans has the shared ones). */
const PARAMS = {
  batchSize: integerParam('batchSize', 1),
  maxNoImprovement: integerParam('maxNoImprovement', 1),
  initSize: optionalParam(integerParam('initSize', 1)),
  reassignmentRatio: numberParam('reassignmentRatio', (v) => v >= 0 && v <= 1, 'a number in [0, 1]'),
} as const;

/** What mini-batch steps carry from one to the next (the centres are the base's). */
interface StepState {
  /** Each centre's absorbed weight (scikit-learn's _counts). */
  readonly counts: Float64Array;
  readonly nSteps: number;
  readonly sinceReassign: number;
  readonly rng: RngState;
}

export class MiniBatchKMeans extends BaseKMeans {
  readonly batchSize: number;
  readonly maxNoImprovement: number;
  readonly initSize: number | undefined;
  readonly reassignmentRatio: number;
  #steps: StepState | null = null;

  constructor(options: MiniBatchKMeansOptions) {
    const where = 'MiniBatchKMeans';
    super(where, options, { maxIter: 100, tol: 0, randomRestarts: 3 }, PARAMS);
    const opts = checkOptionsObject(where, options);
    const or = (value: unknown, fallback: unknown) => (value === undefined ? fallback : value);
    this.batchSize = PARAMS.batchSize(where, or(opts.batchSize, 1024));
    this.maxNoImprovement = PARAMS.maxNoImprovement(where, or(opts.maxNoImprovement, 10));
    this.initSize = PARAMS.initSize(where, opts.initSize);
    this.reassignmentRatio = PARAMS.reassignmentRatio(where, or(opts.reassignmentRatio, 0.01));
  }

  /** Clusters `points` by mini-batch steps (see the top of this file); returns this. */
  fit(points: Points, options?: SampleWeightOptions): this {
    const where = 'MiniBatchKMeans.fit';
    const ws = new Workspace(where);
    try {
      const { x, weights: staged } = this.stageFit(ws, where, points, options);
      const runs = this.runs(where);
      const weights = staged?.ptr ?? 0;
      const kern = runtime(where).kernels;
      const { n, d, k } = { n: x.rows, d: x.cols, k: this.k };
      const frame = centreFit(ws, where, x, true);
      const { shift, scale } = frame;
      const xNorms = checkSpread(ws, where, x, 'the column medians', frame);
      const rngState = new RngState(this.seed, RngStream.clustering);
      const rng = rngState.enter(ws);
      const batch = Math.min(this.batchSize, n);
      let initSize = this.initSize ?? 3 * batch;
      if (initSize < k) initSize = 3 * k;
      if (initSize > n) initSize = n;

      // Score each candidate seeding on a validation sample.
      const valid = sample(ws, kern, rng, x, weights, initSize);
      const validState = new BatchBuffers(ws, initSize, d, k, weights !== 0);
      const subset = new BatchBuffers(ws, initSize, d, k, weights !== 0);
      let best: Float32Array | null = null, whole: LloydState | null = null;
      let bestInertia = Infinity;
      const centers = ws.floats(k * d);
      for (let r = 0; r < runs; r++) {
        subset.gather(kern, rng, x, weights, n);
        const sub = subset.staged;
        // Seed from the sample unless it lacks k distinct rows (drawn with replacement) or, weighted,
        // k rows of positive weight for 'random'; then from all rows.
        const fromSubset = countDistinctRows(sub, k) >= k && (weights === 0 || positiveCount(subset.w, initSize) >= k);
        const seedState = fromSubset ? subset.st : (whole ??= new LloydState(ws, x, k, { weights }));
        seedState.seed(kern, this.initChoice, frame, rng);
        heapF32().copyWithin(centers >>> 2, seedState.centers >>> 2, (seedState.centers >>> 2) + k * d);
        const inertia = validState.step(kern, valid, centers, null);
        if (best === null || inertia < bestInertia) { best = readF32(centers, k * d); bestInertia = inertia; }
      }
      writeF32(centers, best!);

      // Mini-batch steps.
      const counts = ws.doubles(k);
      new Float64Array(heapF32().buffer, counts, k).fill(0);
      const steps = Math.max(1, Math.floor((this.maxIter * n) / batch));
      const step = new BatchBuffers(ws, batch, d, k, weights !== 0);
      const reassignScratch = ws.floats(k + batch);
      // In the frame's units (× scale², exactly), as the centres' moves are.
      const tolAbs = this.tol * frame.meanVariance * scale * scale;
      let sinceReassign = 0;
      let ewa = NaN, ewaMin = NaN, noImprovement = 0;
      let i = 0;
      for (; i < steps; i++) {
        step.gather(kern, rng, x, weights, n);
        let reassign: boolean;
        ({ reassign, sinceReassign } = this.#randomReassign(new Float64Array(heapF32().buffer, counts, k), batch, sinceReassign));
        const inertia = step.step(kern, step.staged, centers, counts);
        const moved = step.lastShift;
        if (reassign && this.reassignmentRatio > 0) {
          kern.kmeansReassign(rng, k, d, centers, counts, this.reassignmentRatio, batch, step.x, reassignScratch);
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
      const nSteps = Math.min(i, steps);

      // Labels and inertia of every row.
      // The rows' squared norms checkSpread took (x is as it was then; only batches drawn from it changed).
      const all = new LloydState(ws, x, k, { xNorms });
      heapF32().copyWithin(all.centers >>> 2, centers >>> 2, (centers >>> 2) + k * d);
      kern.kmeansAssign(n, d, k, x.ptr, all.xNorms, all.centers, all.labels, all.minDist, 0, 0, all.scratch);
      const inertia = kern.kmeansRowDistances(n, d, x.ptr, all.centers, all.labels, 0, weights) / (scale * scale);
      const labels = readI32(all.labels, n);
      const rounding = checkRounding(where, ws, x, frame, { labels, k, weights, isotropic: true, regCovar: 0 },
        { centres: readF32(centers, k * d), units: null });
      rngState.leave(rng);
      this.commit(where, {
        centers: readF32(centers, k * d), shift, scale, labels, inertia, nIter: Math.ceil((nSteps * batch) / n), rounding,
      }, {
        x, weights,
        otherwise: (cause) => `the mini-batch steps left ${cause}, and the random reassignment ` +
          `(reassignmentRatio = ${this.reassignmentRatio}) did not move it away for good; KMeans, a larger ` +
          'reassignmentRatio or another seed may avoid it',
      });
      this.#steps = { counts: readF64(counts, k), nSteps, sinceReassign, rng: rngState };
      return this;
    } finally {
      ws.free();
    }
  }

  /**
   * One mini-batch step on `points` (the first call also seeds the centres from
   * them); then labels and inertia are the batch's against the new centres. Returns this.
   */
  partialFit(points: Points, options?: SampleWeightOptions): this {
    const where = 'MiniBatchKMeans.partialFit';
    const ws = new Workspace(where);
    try {
      const prev = this.state, steps = this.#steps;
      const first = prev === null || steps === null;
      let x: StagedPoints, weights: number, frame: Frame;
      if (first) {
        const staged = this.stageFit(ws, where, points, options);
        x = staged.x;
        weights = staged.weights?.ptr ?? 0;
        this.runs(where);
        frame = centreFit(ws, where, x, true);
      } else {
        this.checkParams(where);
        const fittedK = prev.centers.length / prev.shift.length;
        if (this.k !== fittedK) {
          throw new ArgumentError(`${where}: partialFit continues the ${fittedK} fitted centres, but k is now ${this.k}; fit() starts afresh`);
        }
        const sampleWeight = sampleWeightOption(where, options);
        x = stagePoints(ws, where, points, prev.shift.length);
        weights = stageWeights(ws, where, sampleWeight, x.rows)?.ptr ?? 0;
        frame = prev;
        centreAgainst(ws, x, frame);
      }
      const { shift, scale } = frame;
      checkSpread(ws, where, x, first ? 'the column medians' : 'the column medians of the first batch', frame);
      const kern = runtime(where).kernels;
      const { d, k } = { d: x.cols, k: this.k };
      // The kept state advances only at the end (leave), once the step has succeeded.
      const rngState = first ? new RngState(this.seed, RngStream.clustering) : steps.rng;
      const rng = rngState.enter(ws);
      const centers = ws.floats(k * d);
      const counts = ws.doubles(k);
      if (first) {
        const seedState = new LloydState(ws, x, k, { weights });
        seedState.seed(kern, this.initChoice, frame, rng);
        heapF32().copyWithin(centers >>> 2, seedState.centers >>> 2, (seedState.centers >>> 2) + k * d);
        new Float64Array(heapF32().buffer, counts, k).fill(0);
      } else {
        writeF32(centers, prev.centers);
        writeF64(counts, steps.counts);
      }
      const step = new BatchBuffers(ws, x.rows, d, k, weights !== 0);
      const { reassign, sinceReassign } = this.#randomReassign(new Float64Array(heapF32().buffer, counts, k), x.rows,
        first ? 0 : steps.sinceReassign);
      step.step(kern, { ...x, weights }, centers, counts);
      if (reassign && this.reassignmentRatio > 0) {
        const scratch = ws.floats(k + x.rows);
        kern.kmeansReassign(rng, k, d, centers, counts, this.reassignmentRatio, x.rows, x.ptr, scratch);
      }
      // The batch's labels and inertia against the updated centres.
      const { xNorms, labels, minDist, scratch } = step.st;
      kern.rowSquaredNorms(x.rows, d, x.ptr, xNorms);
      kern.kmeansAssign(x.rows, d, k, x.ptr, xNorms, centers, labels, minDist, 0, 0, scratch);
      const inertia = kern.kmeansRowDistances(x.rows, d, x.ptr, centers, labels, 0, weights) / (scale * scale);
      const batchLabels = readI32(labels, x.rows);
      const batchRounding = checkRounding(where, ws, x, frame, { labels: batchLabels, k, weights, isotropic: true, regCovar: 0 },
        { centres: readF32(centers, k * d), units: null });
      // A batch may well use fewer than k clusters: no W_FEWER_CLUSTERS here (nor in scikit-learn's partial_fit).
      this.commit(where, {
        centers: readF32(centers, k * d), shift, scale, labels: batchLabels, inertia, nIter: prev?.nIter ?? 0,
        rounding: first ? batchRounding : latestRounding(prev.rounding, batchRounding, d),
      }, null);
      rngState.leave(rng);
      this.#steps = { counts: readF64(counts, k), nSteps: (steps?.nSteps ?? 0) + 1, sinceReassign, rng: rngState };
      return this;
    } finally {
      ws.free();
    }
  }

  /** The weight each centre has absorbed (scikit-learn's private _counts; rows when unweighted). */
  get counts(): Float64Array {
    if (this.#steps === null) throw notFitted('MiniBatchKMeans.counts', 'MiniBatchKMeans');
    return this.#steps.counts.slice();
  }

  /** Mini-batch steps taken (by fit, or by partialFit calls since the first). */
  get nSteps(): number {
    return this.#steps?.nSteps ?? 0;
  }

  /** scikit-learn's _random_reassign: every 10·k rows, or whenever a centre has absorbed nothing yet. */
  #randomReassign(counts: Float64Array, rows: number, since: number): { reassign: boolean; sinceReassign: number } {
    const sinceReassign = since + rows;
    if (counts.some((c) => c === 0) || sinceReassign >= 10 * this.k) return { reassign: true, sinceReassign: 0 };
    return { reassign: false, sinceReassign };
  }
}

/**
 * What the rounding did to each cluster's points for partialFit: the batch's for the
 * clusters it has rows in, the earlier batches' for the others (an approximation: a
 * centre is a running mean over the batches; it serves checkNewRows, which clears a
 * cluster against its centre of the moment, and otherwise takes off the offset kept:
 * 0 for a cluster the screen cleared at its batch, where the bound kept says it is
 * within 1/2048 of the cluster's spread).
 */
function latestRounding(prev: Rounding, batch: Rounding, d: number): Rounding {
  const offset = prev.offset.slice(), bound = prev.bound.slice(), spread = prev.spread.slice(), weight = prev.weight.slice();
  for (let j = 0; j < weight.length; j++) {
    if (!(batch.weight[j]! > 0)) continue;
    offset.set(batch.offset.subarray(j * d, (j + 1) * d), j * d);
    bound.set(batch.bound.subarray(j * d, (j + 1) * d), j * d);
    spread.set(batch.spread.subarray(j * d, (j + 1) * d), j * d);
    weight[j] = batch.weight[j]!;
  }
  return { offset, bound, spread, weight };
}

/** How many of the `n` f64 weights at `ptr` are > 0. */
function positiveCount(ptr: number, n: number): number {
  let c = 0;
  for (const w of new Float64Array(heapF32().buffer, ptr, n)) if (w > 0) c++;
  return c;
}

/** A batch of rows in WASM memory with its sample weights (n f64, or 0 for none). */
interface Batch extends Staged {
  readonly weights: number;
}

/** `rows` random rows of x (with replacement) and their weights, gathered into new blocks. */
function sample(ws: Workspace, kern: Kernels, rng: number, x: Staged, weights: number, rows: number): Batch {
  const idx = ws.floats(rows), out = ws.floats(rows * x.cols);
  kern.kmeansSampleIndices(rng, rows, x.rows, idx);
  kern.gatherRows(rows, x.cols, x.ptr, idx, out);
  const w = weights === 0 ? 0 : ws.doubles(rows);
  if (w !== 0) gatherWeights(kern, weights, idx, rows, w);
  return { ptr: out, rows, cols: x.cols, weights: w };
}

/** out (rows f64) ← the weights of the rows at `idx`: gatherRows moves each f64 as two 4-byte words, bits intact. */
function gatherWeights(kern: Kernels, weights: number, idx: number, rows: number, out: number): void {
  kern.gatherRows(rows, 2, weights, idx, out);
}

/**
 * Buffers for drawing, assigning and stepping on batches of `rows` rows: the
 * batch itself (indices, rows, weights) and a LloydState over it for the rest.
 */
class BatchBuffers {
  readonly rows: number;
  readonly d: number;
  readonly k: number;
  readonly idx: number;
  readonly x: number;
  /** The batch rows' weights (rows f64), 0 when unweighted. */
  readonly w: number;
  /** Labels, distances, totals (wsums: the batch's weight per centre) and scratch; its xNorms are filled per step. */
  readonly st: LloydState;
  lastShift = 0;

  constructor(ws: Workspace, rows: number, d: number, k: number, weighted: boolean) {
    this.rows = rows; this.d = d; this.k = k;
    this.idx = ws.floats(rows);
    this.x = ws.floats(rows * d);
    this.w = weighted ? ws.doubles(rows) : 0;
    this.st = new LloydState(ws, { ptr: this.x, rows, cols: d }, k, { xNorms: ws.floats(rows), weights: this.w });
  }

  /** Draws `rows` rows of x (n rows, weights as x's) with replacement into this batch. */
  gather(kern: Kernels, rng: number, x: Staged, weights: number, n: number): void {
    kern.kmeansSampleIndices(rng, this.rows, n, this.idx);
    kern.gatherRows(this.rows, this.d, x.ptr, this.idx, this.x);
    if (this.w !== 0) gatherWeights(kern, weights, this.idx, this.rows, this.w);
  }

  /** The rows gather() drew. */
  get staged(): Batch {
    return { ptr: this.x, rows: this.rows, cols: this.d, weights: this.w };
  }

  /**
   * Assigns the rows of `b` (at most `rows`) to `centers`; with `counts` (each
   * centre's absorbed weight, k f64), also applies the mini-batch update
   * (lastShift = the centres' squared move). Returns the batch inertia against
   * the centres before the update: unweighted Σ minDist (from the distance
   * expansion, summed in f32), weighted Σ w_i·‖x_i − c‖² (exact).
   */
  step(kern: Kernels, b: Batch, centers: number, counts: number | null): number {
    const { k } = this;
    const { xNorms, labels, minDist, sums, counts: sizes, wsums, scratch } = this.st;
    kern.rowSquaredNorms(b.rows, b.cols, b.ptr, xNorms);
    if (b.weights !== 0) {
      kern.kmeansAssign(b.rows, b.cols, k, b.ptr, xNorms, centers, labels, minDist, 0, 0, scratch);
      const inertia = kern.kmeansRowDistances(b.rows, b.cols, b.ptr, centers, labels, 0, b.weights);
      if (counts !== null) {
        kern.kmeansLabelSums(b.rows, b.cols, k, b.ptr, labels, sums, sizes, b.weights, wsums);
        this.lastShift = kern.kmeansMiniBatchUpdate(k, b.cols, centers, counts, sums, sizes, wsums);
      }
      return inertia;
    }
    if (counts !== null) {
      // The batch's own totals: kmeansAssign adds each row that leaves label −1.
      const buf = heapF32().buffer;
      new Int32Array(buf, labels, b.rows).fill(-1);
      new Float64Array(buf, sums, k * b.cols).fill(0);
      new Int32Array(buf, sizes, k).fill(0);
    }
    kern.kmeansAssign(b.rows, b.cols, k, b.ptr, xNorms, centers, labels, minDist,
      counts === null ? 0 : sums, counts === null ? 0 : sizes, scratch);
    const inertia = kern.sum(b.rows, minDist);
    if (counts !== null) this.lastShift = kern.kmeansMiniBatchUpdate(k, b.cols, centers, counts, sums, sizes, 0);
    return inertia;
  }
}
