// K-means (Lloyd's algorithm) with scikit-learn's semantics, over the kernels of
// assembly/kmeans.ts (driven by src/cluster/lloyd.ts), and BaseKMeans, what
// KMeans and MiniBatchKMeans share: their common options (checked once, here),
// the fitted state, and predict, transform, score and the anomaly scores.
//
//   const km = new KMeans({ k: 8, seed: 1 }).fit(points, { sampleWeight });
//   km.labels; km.inertia; km.clusterCenters; km.nIter;
//   km.predict(more); km.transform(more); km.score(more, { sampleWeight }); km.anomalyScores(more);
//
// What fit does, as sklearn.cluster.KMeans(algorithm='lloyd'):
//  - The data are centred (column medians subtracted) before anything else, so
//    the distance expansion ‖x‖² + ‖c‖² − 2·x·c does not cancel; the medians are
//    subtracted in f64 from the caller's values, before the rounding to float32
//    (an offset column, Unix timestamps say, keeps its detail), and a far outlier
//    does not move them (as it moves the mean, which left the other points too far
//    from it for float32 to keep their detail). Data whose spread is below 2⁻³²
//    are also scaled by a power of two (exact), so their squared distances do not
//    vanish in float32; below 2⁻¹⁰² they are refused (centreFit in lloyd.ts). A
//    cluster whose points lie too far from the medians for float32 to keep their
//    detail is refused after the run (checkRounding in lloyd.ts). New points
//    (predict, transform, score, anomalyScores) are staged the same way against the
//    fitted medians and scale (transform, score and anomalyScores refuse a row the
//    rounding moves too far relative to the cluster nearest it: checkNewRows);
//    centres, distances and inertias are reported in the caller's units.
//  - `tol` is relative: iterations stop when Σ_j ‖c_j(new) − c_j(old)‖² ≤
//    tol · mean over features of the feature variance, or as soon as an
//    assignment leaves every label unchanged (strict convergence).
//  - If the last iteration did not converge strictly, one more assignment makes
//    `labels` match `clusterCenters`; `inertia` is then Σ‖x_i − c_label(i)‖²,
//    computed exactly in f64 from the f32 data.
//  - Empty clusters: a centre that receives no point is moved onto the point
//    farthest from its own centre, which leaves its old cluster — scikit-learn's
//    rule, except that only points whose cluster keeps another point are taken
//    (see kmeansRelocateEmpty in assembly/kmeans.ts).
//  - `nInit` runs keep the lowest inertia (the first on ties); 'auto' is 1 run
//    for 'k-means++' or given centres, 10 for 'random'. Given centres with
//    nInit > 1 run once, with a warning (W_INIT_RUNS_ONCE), as scikit-learn does.
//  - Fewer distinct clusters than k: the fit completes and warns
//    (ConvergenceWarning, W_FEWER_CLUSTERS), saying that the points have fewer
//    than k distinct rows (of positive weight) when a count of them confirms it,
//    and else which centre ended empty or on another one.
//  - sampleWeight (fit, fitPredict, score): centres are weighted means, the
//    inertia is Σ w_i‖x_i − c‖², seeding draws rows ∝ weight (scikit-learn ≥ 1.3);
//    given centres ignore the weights. All-ones weights are no weights, bit for bit.
//  - Seeding: 'k-means++' is the greedy variant (2 + ⌊ln k⌋ candidates per
//    centre, keeping the one that lowers the potential most); 'random' takes k
//    distinct rows. Both are seeded (`seed`); a fit is reproducible bit for bit
//    in every runtime.

import type { Matrix } from '../tensor/matrix.js';
import { ArgumentError, ShapeError } from '../runtime/errors.js';
import { runtime } from '../runtime/module.js';
import { checkKeys, checkOptionsObject } from '../runtime/validate.js';
import { ManytaskWarning, warn } from '../runtime/warnings.js';
import type { Kernels } from '../runtime/abi.js';
import { RngStream } from '../nn/rng.js';
import { checkSeed } from '../runtime/validate.js';
import {
  RngState, Workspace, checkParams, integerParam, notFitted, numberParam, readF32, readI32, requireRows,
  resultKind, sampleWeightOption, shapeResult, stagePoints, stageWeights, writeF32,
  type ParamTable, type Points, type ResultOptions, type RowMajorArray, type SampleWeightOptions, type Staged, type StagedPoints, type StagedWeights,
} from './common.js';
import {
  LloydState, centreAgainst, centreFit, checkInit, checkK, checkNewRows, checkRounding, checkSpread, sideBySide, warnFewerClusters,
  type Frame, type InitChoice, type KMeansInit, type LloydRun, type Rounding,
} from './lloyd.js';

export type { KMeansInit } from './lloyd.js';

/** The options KMeans and MiniBatchKMeans share. */
export interface BaseKMeansOptions {
  /** Number of clusters, ≥ 1 (scikit-learn's n_clusters). */
  k: number;
  /** Default 'k-means++'. */
  init?: KMeansInit;
  /** Runs (KMeans) or candidate seedings (MiniBatchKMeans) from different draws. Default 'auto'. */
  nInit?: number | 'auto';
  /** Lloyd iterations per run (KMeans), passes over the data (MiniBatchKMeans), ≥ 1. */
  maxIter?: number;
  /** Relative tolerance on the centre shift, ≥ 0. */
  tol?: number;
  /** Seeds the initialization. Default 0. */
  seed?: number;
}

export interface KMeansOptions extends BaseKMeansOptions {
  /** Default 'auto': 1 for k-means++ or given centres, 10 for random. */
  nInit?: number | 'auto';
  /** Default 300. */
  maxIter?: number;
  /** Relative tolerance on the centre shift (see the top of this file). Default 1e-4. */
  tol?: number;
}

/** Each family's defaults for the shared options. */
interface BaseKMeansDefaults {
  readonly maxIter: number;
  readonly tol: number;
  /** nInit 'auto' with init 'random'. */
  readonly randomRestarts: number;
}

/** The shared options' constraints (each family adds its own): read by the constructor, checked again by every fit. */
const BASE_PARAMS = {
  k: (where: string, value: unknown) => checkK(where, value),
  nInit: integerParam('nInit', 1),
  maxIter: integerParam('maxIter', 1),
  tol: numberParam('tol', (v) => v >= 0, 'a finite number ≥ 0'),
  seed: (where: string, value: unknown) => checkSeed(where, value),
} as const;

/** What a fit leaves behind, set all at once (a fit that throws leaves the previous state). */
export interface CentroidState {
  /** k × d, in the frame's coordinates (centred, and scaled: see Frame in lloyd.ts). */
  readonly centers: Float32Array;
  /** The column medians the data were centred by. */
  readonly shift: Float64Array;
  /** The power of two the centred data were scaled by (1 unless their spread is below 2⁻³²). */
  readonly scale: number;
  readonly labels: Int32Array;
  readonly inertia: number;
  readonly nIter: number;
  /** What the rounding to float32 did to each cluster's points (checkRounding), for the rows given later. */
  readonly rounding: Rounding;
}

/**
 * The base of KMeans and MiniBatchKMeans (scikit-learn's _BaseKMeans): the
 * shared options, checked in the constructor and again by every fit (`readonly`
 * binds TypeScript only); the fitted state, which only the subclasses' fit (and
 * partialFit) set; and everything that only reads the fitted centres (as many as
 * the fit made, whatever `k` says now).
 */
export abstract class BaseKMeans {
  readonly k: number;
  readonly init: 'k-means++' | 'random' | 'given';
  /** The runs asked for ('auto' resolved); given centres run once whatever it says. */
  readonly nInit: number;
  readonly maxIter: number;
  readonly tol: number;
  readonly seed: number;
  protected readonly initChoice: InitChoice;
  readonly #name: string;
  readonly #extraParams: ParamTable;
  #state: CentroidState | null = null;

  /** `extraParams`: the subclass's own constraints (its options beyond the shared ones), checked at fit with these. */
  protected constructor(name: string, options: unknown, defaults: BaseKMeansDefaults, extraParams: ParamTable) {
    const opts = checkOptionsObject(name, options);
    const [k, ...rest] = Object.keys(BASE_PARAMS);
    checkKeys(name, opts, [k!, 'init', ...rest, ...Object.keys(extraParams)]);
    this.#name = name;
    this.#extraParams = extraParams;
    const or = (value: unknown, fallback: unknown) => (value === undefined ? fallback : value);
    this.k = BASE_PARAMS.k(name, opts.k);
    this.initChoice = checkInit(name, opts.init, this.k);
    this.init = this.initChoice.method;
    this.nInit = opts.nInit === undefined || opts.nInit === 'auto'
      ? (this.init === 'random' ? defaults.randomRestarts : 1)
      : BASE_PARAMS.nInit(name, opts.nInit);
    this.maxIter = BASE_PARAMS.maxIter(name, or(opts.maxIter, defaults.maxIter));
    this.tol = BASE_PARAMS.tol(name, or(opts.tol, defaults.tol));
    this.seed = BASE_PARAMS.seed(name, or(opts.seed, 0));
  }

  /**
   * Checks the parameters as they are now (scikit-learn's _validate_params at
   * fit): the shared ones, the subclass's, and that given centres still number k.
   */
  protected checkParams(where: string): void {
    checkParams(where, BASE_PARAMS, this);
    checkParams(where, this.#extraParams, this);
    const { centers, cols } = this.initChoice;
    if (centers !== null && centers.length !== this.k * cols) {
      throw new ShapeError(`${where}: init gives ${centers.length / cols} centres, expected k = ${this.k}`);
    }
  }

  /** Fits to `points` (with one weight per row if given); returns this. */
  abstract fit(points: Points, options?: SampleWeightOptions): this;

  /** fit(points, options), then the labels of the points. */
  fitPredict(points: Points, options?: SampleWeightOptions): Int32Array {
    return this.fit(points, options).labels;
  }

  /** The index of the nearest centre for each row. */
  predict(points: Points): Int32Array {
    const { centers, frame, k } = this.#centres(`${this.#name}.predict`);
    return assignPoints(`${this.#name}.predict`, points, centers, frame, k, null, (_ws, x, st) => readI32(st.labels, x.rows));
  }

  /**
   * Euclidean distances from each row to every centre: rows × k, as
   * { data: Float32Array, rows, cols }, or a Matrix to dispose with { as: 'matrix' }.
   */
  transform(points: Points, options?: { as?: 'array' }): RowMajorArray;
  transform(points: Points, options: { as: 'matrix' }): Matrix;
  transform(points: Points, options?: ResultOptions): RowMajorArray | Matrix {
    const { centers, frame, k, rounding } = this.#centres(`${this.#name}.transform`);
    return transformPoints(`${this.#name}.transform`, points, options, centers, frame, k, rounding);
  }

  /**
   * −Σ w_i·(squared distance of row i to its nearest centre), w_i = 1 unless
   * sampleWeight gives them (scikit-learn's score: higher is better).
   */
  score(points: Points, options?: SampleWeightOptions): number {
    const where = `${this.#name}.score`;
    const { centers, frame, k, rounding } = this.#centres(where);
    const weights = sampleWeightOption(where, options);
    return -assignPoints(where, points, centers, frame, k, rounding,
      (_ws, x, st, kern, c) => kern.kmeansRowDistances(x.rows, x.cols, x.ptr, c, st.labels, 0, st.weights), weights) /
      (frame.scale * frame.scale);
  }

  /** Distance from each row to its nearest centre (exact, f64 then rounded): larger is more anomalous. */
  anomalyScores(points: Points): Float32Array {
    const { centers, frame, k, rounding } = this.#centres(`${this.#name}.anomalyScores`);
    return assignPoints(`${this.#name}.anomalyScores`, points, centers, frame, k, rounding, nearestDistances);
  }

  /** The centres, k rows of d numbers, in the coordinates of the data. */
  get clusterCenters(): number[][] {
    const { centers, frame, k } = this.#centres(`${this.#name}.clusterCenters`);
    return centerRows(centers, frame, k);
  }

  /** The cluster of each row of the last fit (for MiniBatchKMeans, of the last fit or partialFit batch); a copy. */
  get labels(): Int32Array {
    return this.#fitted(`${this.#name}.labels`).labels.slice();
  }

  /** Σ w_i‖x_i − c_label(i)‖² over the rows the labels are of. */
  get inertia(): number {
    return this.#fitted(`${this.#name}.inertia`).inertia;
  }

  /** Lloyd iterations of the run kept (KMeans); passes over the data (MiniBatchKMeans.fit). */
  get nIter(): number {
    return this.#fitted(`${this.#name}.nIter`).nIter;
  }

  /** Number of features seen in fit. */
  get nFeatures(): number {
    return this.#fitted(`${this.#name}.nFeatures`).shift.length;
  }

  get isFitted(): boolean {
    return this.#state !== null;
  }

  /** The fitted state, for subclasses (null before the first fit). */
  protected get state(): CentroidState | null {
    return this.#state;
  }

  /**
   * Makes `state` the fitted state, after warning (as scikit-learn does) when
   * its labels use fewer than k clusters (`fewer`: the fitted points as staged,
   * their weights (0: none), and what happened if the points have k distinct rows;
   * null: no warning); a warning handler that throws leaves the previous state in place.
   */
  protected commit(where: string, state: CentroidState, fewer: { x: Staged; weights: number; otherwise: (cause: string) => string } | null): void {
    if (fewer !== null) warnFewerClusters(where, state.labels, this.k, 'k', fewer.x, fewer.weights, state.centers, fewer.otherwise);
    this.#state = state;
  }

  /** How many runs to make: nInit, or 1 (with a warning) for given centres. */
  protected runs(where: string): number {
    if (this.init === 'given' && this.nInit > 1) {
      warn(new ManytaskWarning('W_INIT_RUNS_ONCE', where,
        `init gives the centres, so one run is made instead of nInit = ${this.nInit} (all would be the same)`));
      return 1;
    }
    return this.nInit;
  }

  /** ShapeError unless given init centres have the points' width. */
  protected checkInitCols(where: string, x: Staged): void {
    if (this.initChoice.method === 'given' && this.initChoice.cols !== x.cols) {
      throw new ShapeError(`${where}: the init centres have ${this.initChoice.cols} values each, the points ${x.cols} columns`);
    }
  }

  /** The rows, weights and their checks every fit starts with (before any kernel runs). */
  protected stageFit(ws: Workspace, where: string, points: Points, options: unknown): { x: StagedPoints; weights: StagedWeights | null } {
    this.checkParams(where);
    const sampleWeight = sampleWeightOption(where, options);
    const x = stagePoints(ws, where, points);
    this.checkInitCols(where, x);
    requireRows(where, x, this.k, 'k');
    const weights = stageWeights(ws, where, sampleWeight, x.rows);
    if (weights !== null && this.init === 'random' && weights.positive < this.k) {
      throw new ArgumentError(
        `${where}: init 'random' draws k = ${this.k} distinct rows in proportion to sampleWeight, ` +
          `but only ${weights.positive} ${weights.positive === 1 ? 'row weighs' : 'rows weigh'} more than 0`,
      );
    }
    return { x, weights };
  }

  #fitted(where: string): CentroidState {
    if (this.#state === null) throw notFitted(where, this.#name);
    return this.#state;
  }

  /** The fitted centres, what predict and the rest read: their number is the fit's k, whatever `k` says now. */
  #centres(where: string): { centers: Float32Array; frame: Frame; k: number; rounding: Rounding } {
    const { centers, shift, scale, rounding } = this.#fitted(where);
    return { centers, frame: { shift, scale }, k: centers.length / shift.length, rounding };
  }
}

export class KMeans extends BaseKMeans {
  constructor(options: KMeansOptions) {
    super('KMeans', options, { maxIter: 300, tol: 1e-4, randomRestarts: 10 }, {});
  }

  /** Clusters `points` (see the top of this file); returns this. */
  fit(points: Points, options?: SampleWeightOptions): this {
    const where = 'KMeans.fit';
    const ws = new Workspace(where);
    try {
      const { x, weights } = this.stageFit(ws, where, points, options);
      const runs = this.runs(where);
      const kern = runtime(where).kernels;
      const frame = centreFit(ws, where, x, true);
      const { shift, scale } = frame;
      // The tolerance and the inertias in the frame's units: × scale², exactly.
      const tolAbs = this.tol * frame.meanVariance * scale * scale;
      const xNorms = checkSpread(ws, where, x, 'the column medians', frame);
      const state = new LloydState(ws, x, this.k, { xNorms, weights: weights?.ptr ?? 0 });
      const rngState = new RngState(this.seed, RngStream.clustering);
      const rng = rngState.enter(ws);
      let best: Omit<CentroidState, 'rounding'> | null = null;
      const keep = (s: LloydState, run: LloydRun) => {
        if (best === null || run.inertia / (scale * scale) < best.inertia) {
          best = {
            centers: readF32(s.centers, this.k * x.cols), shift, scale, labels: readI32(s.labels, x.rows),
            inertia: run.inertia / (scale * scale), nIter: run.nIter,
          };
        }
      };
      if (sideBySide(where, runs, x.rows)) {
        // With worker threads, the runs side by side, one state each, seeded in order (the draws of one after another).
        const states = [state, ...Array.from({ length: runs - 1 }, () =>
          new LloydState(ws, x, this.k, { xNorms, weights: weights?.ptr ?? 0, seeder: state }))];
        for (const s of states) s.seed(kern, this.initChoice, frame, rng);
        LloydState.runAll(kern, states, this.maxIter, tolAbs).forEach((run, r) => keep(states[r]!, run));
      } else {
        for (let r = 0; r < runs; r++) {
          state.seed(kern, this.initChoice, frame, rng);
          keep(state, state.run(kern, this.maxIter, tolAbs));
        }
      }
      const kept = best! as Omit<CentroidState, 'rounding'>;
      const rounding = checkRounding(where, ws, x, frame, { labels: kept.labels, k: this.k, weights: weights?.ptr ?? 0, isotropic: true, regCovar: 0 },
        { centres: kept.centers, units: null });
      this.commit(where, { ...kept, rounding }, {
        x, weights: weights?.ptr ?? 0,
        otherwise: (cause) => `the run ended with ${cause} (the empty-cluster rule moves such a centre only while the iterations ` +
          'go on, and they stopped at tol or maxIter); more runs (nInit), a smaller tol or another seed may avoid it',
      });
      return this;
    } finally {
      ws.free();
    }
  }
}

/** An assignPoints continuation: the distance of each row to its nearest centre, in the caller's units. */
function nearestDistances(_ws: Workspace, x: Staged, st: Assigned, kern: Kernels, c: number, scale: number): Float32Array {
  kern.kmeansRowDistances(x.rows, x.cols, x.ptr, c, st.labels, st.minDist, 0);
  const out = readF32(st.minDist, x.rows);
  for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(out[i]!) / scale;
  return out;
}

/** Centres (the frame's coordinates, k × d) as rows in the data's coordinates. */
function centerRows(centers: Float32Array, { shift, scale }: Frame, k: number): number[][] {
  const d = shift.length;
  return Array.from({ length: k }, (_, j) => Array.from({ length: d }, (_, f) => centers[j * d + f]! / scale + shift[f]!));
}

/**
 * New points against fitted centres: the points staged in the fitted frame
 * (centred at the fitted column medians in f64, then scaled) and checked, their
 * squared norms, the centres and the distance kernels' scratch, all in ws.
 */
function stageAgainst(ws: Workspace, where: string, points: Points, centers: Float32Array, frame: Frame, k: number) {
  const x = stagePoints(ws, where, points, frame.shift.length);
  centreAgainst(ws, x, frame);
  const xNorms = checkSpread(ws, where, x, 'the fitted column medians', frame);
  const kern = runtime(where).kernels;
  const c = ws.floats(centers.length);
  writeF32(c, centers);
  return { x, xNorms, kern, c, scratch: ws.alloc(kern.kmeansScratchBytes(x.cols, k)) };
}

/** New points assigned to centres: labels and squared distances (n each), the points' weights (0: none). */
interface Assigned {
  readonly labels: number;
  readonly minDist: number;
  readonly weights: number;
}

/**
 * Nearest-centre assignment of new points (with `sampleWeight`, checked against them, staged too);
 * with `rounding` (the fit's), the rows are checked against the clusters nearest them (checkNewRows).
 */
function assignPoints<T>(
  where: string, points: Points, centers: Float32Array, frame: Frame, k: number, rounding: Rounding | null,
  then: (ws: Workspace, x: Staged, st: Assigned, kern: Kernels, centers: number, scale: number) => T,
  sampleWeight?: unknown,
): T {
  const ws = new Workspace(where);
  try {
    const { x, xNorms, kern, c, scratch } = stageAgainst(ws, where, points, centers, frame, k);
    const weights = stageWeights(ws, where, sampleWeight, x.rows)?.ptr ?? 0;
    const labels = ws.floats(x.rows), minDist = ws.floats(x.rows);
    kern.kmeansAssign(x.rows, x.cols, k, x.ptr, xNorms, c, labels, minDist, 0, 0, scratch);
    if (rounding !== null) checkNewRows(where, x, frame, () => readI32(labels, x.rows), centers, rounding, rounding.spread, true);
    return then(ws, x, { labels, minDist, weights }, kern, c, frame.scale);
  } finally {
    ws.free();
  }
}

/** Distances to every centre, rows × k (see ResultOptions). */
function transformPoints(
  where: string, points: Points, options: unknown, centers: Float32Array, frame: Frame, k: number, rounding: Rounding,
): RowMajorArray | Matrix {
  const as = resultKind(where, options);
  const ws = new Workspace(where);
  try {
    const { x, xNorms, kern, c, scratch } = stageAgainst(ws, where, points, centers, frame, k);
    const out = ws.floats(x.rows * k);
    kern.kmeansDistances(x.rows, x.cols, k, x.ptr, xNorms, c, out, scratch);
    const distances = readF32(out, x.rows * k);
    // Each row checked against its nearest centre (the first of equal distances, as the assignment's ties).
    const nearest = () => {
      const to = new Int32Array(x.rows);
      for (let i = 0; i < x.rows; i++) {
        for (let j = 1; j < k; j++) if (distances[i * k + j]! < distances[i * k + to[i]!]!) to[i] = j;
      }
      return to;
    };
    checkNewRows(where, x, frame, nearest, centers, rounding, rounding.spread, true);
    if (frame.scale !== 1) for (let t = 0; t < distances.length; t++) distances[t]! /= frame.scale;
    return shapeResult(as, distances, x.rows, k);
  } finally {
    ws.free();
  }
}
