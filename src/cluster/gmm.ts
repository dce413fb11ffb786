// Gaussian mixtures fitted by EM, with scikit-learn's GaussianMixture semantics,
// over the kernels of assembly/gmm.ts (f64 throughout past the f32 input).
//
//   const gm = new GaussianMixture({ nComponents: 3, covarianceType: 'diag', seed: 1 }).fit(points, { sampleWeight });
//   gm.means; gm.covariances; gm.precisions; gm.precisionsCholesky; gm.weights; gm.converged; gm.lowerBound;
//   gm.predict(x); gm.predictProba(x); gm.scoreSamples(x); gm.score(x, { sampleWeight }); gm.bic(x);
//   gm.sample(100); gm.fitPredict(x); gm.anomalyScores(x);
//
// fit, for each of `nInit` starts:
//  - responsibilities from the start named by initParams: 'kmeans' (the labels
//    of KMeans with k-means++, one run, scikit-learn's defaults, seeded),
//    'k-means++' (k rows chosen by k-means++ seeding, one each), 'random'
//    (uniform, normalized per row) or 'random_from_data' (k distinct random
//    rows, one each); an M-step turns them into the first parameters, with the
//    mixing weights nk / n as scikit-learn's _initialize leaves them (they sum to
//    1 only when every row has a responsibility); then weightsInit, meansInit
//    and precisionsInit replace what they give (all three: no start is computed);
//  - then EM steps: the E-step gives the mean log-likelihood of the current
//    parameters (the "lower bound", recorded in lowerBounds) and the
//    responsibilities, the M-step new parameters; it stops when the lower bound
//    changes by less than `tol`, or after maxIter steps (converged = false).
// The start with the highest final lower bound is kept; if it did not converge,
// a ConvergenceWarning (W_NOT_CONVERGED) says so. warmStart: a fit after the
// first continues from the fitted parameters (one start, no initialization;
// the first change is measured from the previous lower bound), as scikit-learn.
// `regCovar` is added to every variance (the diagonal of full and tied
// covariances) so none collapses to zero. Data are centred by their column medians
// first, subtracted in f64 from the caller's values before the rounding to float32
// (the density is unchanged; the reported means are in the data's coordinates; a
// warm start keeps the first fit's centring; a far outlier does not move the
// medians, as it moved the means the data were centred by before, leaving the other
// points too far from them for float32 to keep their detail); never scaled
// (regCovar is in the data's units), so a column whose values lie within 2⁻¹⁰²
// (2.0e-31) of its median, below float32's 24 bits there, is refused. The k-means
// start scales its copy of data of a tiny spread as KMeans does. A fit whose
// components' points (the rows most likely under each) lie too far from the medians
// for float32 to keep their detail is refused (checkRounding in lloyd.ts); so are
// rows given to predictProba, scoreSamples, score, bic, aic or anomalyScores that
// the rounding moves too far relative to the component most likely for them
// (checkNewRows); predict's labels are not checked.
//
// sampleWeight (fit, fitPredict, score) — scikit-learn's GaussianMixture has
// none; manytask's makes an integer weight act as that many copies of the row:
// the M-step weighs each row's responsibilities by its weight, the lower bound
// and score are Σ w_i log p(x_i) / Σ w_i, the start's weights are nk / Σ w, and
// the k-means and k-means++ starts draw and average with the weights.

import type { Matrix } from '../tensor/matrix.js';
import { ArgumentError, ShapeError } from '../runtime/errors.js';
import { heapF32, runtime } from '../runtime/module.js';
import { beyondF32, checkBoolean, checkKeys, checkOptionsObject, isF32Finite, show, checkInteger, seedOption } from '../runtime/validate.js';
import { ConvergenceWarning, warn } from '../runtime/warnings.js';
import type { Kernels } from '../runtime/abi.js';
import { RngStream } from '../nn/rng.js';
import { checkSeed } from '../runtime/validate.js';
import {
  RngState, Workspace, checkParams, integerParam, notFitted, numberParam, readF64, readI32, requireRows, resultKind, sampleWeightOption, shapeResult, stagePoints, stageWeights, writeF64, type FlatPoints, type Points, type ResultOptions, type RowMajorArray, type SampleWeightOptions, type Staged, type StagedWeights,
} from './common.js';
import {
  LloydState, centreAgainst, centreFit, checkNewRows, checkRounding, checkRows, checkSpread, newRowsAtRisk, sideBySide, warnFewerClusters,
  type Centred, type Rounding,
} from './lloyd.js';
import { gmmRunsOf } from '../threads/parallel.js';

export type CovarianceType = 'full' | 'tied' | 'diag' | 'spherical';

/** How each start's responsibilities are made (scikit-learn's init_params). */
export type GaussianMixtureInit = 'kmeans' | 'k-means++' | 'random' | 'random_from_data';

/**
 * Precision matrices (inverse covariances) in the shape of the covariance type:
 * 'full' k matrices d × d, 'tied' one d × d, 'diag' k rows of d, 'spherical' k numbers.
 */
export type Precisions = readonly (readonly (readonly number[])[])[] | readonly (readonly number[])[] | readonly number[];

export interface GaussianMixtureOptions {
  /** Number of components, ≥ 1. Default 1. */
  nComponents?: number;
  /** Default 'full'. */
  covarianceType?: CovarianceType;
  /** Added to every variance, ≥ 0. Default 1e-6. */
  regCovar?: number;
  /** EM stops when the lower bound (mean log-likelihood) changes by less than this, ≥ 0. Default 1e-3. */
  tol?: number;
  /** EM steps per start, ≥ 1. Default 100. */
  maxIter?: number;
  /** Starts, keeping the highest lower bound. Default 1. */
  nInit?: number;
  /** How each start's responsibilities are made. Default 'kmeans'. */
  initParams?: GaussianMixtureInit;
  /** Initial mixing weights: k numbers in [0, 1] summing to 1. */
  weightsInit?: readonly number[];
  /** Initial means: k rows of d numbers, in the data's coordinates. */
  meansInit?: readonly (readonly number[])[];
  /** Initial precisions (inverse covariances), shaped as covarianceType says (see Precisions). */
  precisionsInit?: Precisions;
  /** Later fits continue from the fitted parameters (one start, no initialization). Default false. */
  warmStart?: boolean;
  /** Default 0. */
  seed?: number;
}

/** The options of GaussianMixture.sample. */
export interface GaussianMixtureSampleOptions {
  /**
   * Seeds the draws; default the model's seed (so repeated calls give the same rows, as scikit-learn's int
   * random_state). The draws come from the clustering stream of that seed, as scikit-learn's sample draws from
   * a generator made afresh from random_state.
   */
  seed?: number;
}

/** Rows drawn from a fitted mixture (grouped by component, as scikit-learn's sample): a FlatPoints plus each row's component. */
export interface GaussianMixtureSample extends FlatPoints {
  readonly data: Float64Array;
  readonly labels: Int32Array;
}

const COV_CODES: Record<CovarianceType, number> = { full: 0, diag: 1, spherical: 2, tied: 3 };
const INITS: readonly GaussianMixtureInit[] = ['kmeans', 'k-means++', 'random', 'random_from_data'];

/** The parameter constraints: read by the constructor, checked again by every fit. */
const PARAMS = {
  nComponents: integerParam('nComponents', 1),
  covarianceType: (where: string, value: unknown): CovarianceType => {
    if (typeof value !== 'string' || !Object.hasOwn(COV_CODES, value)) {
      throw new ArgumentError(`${where}: covarianceType must be "full", "tied", "diag" or "spherical", got ${show(value)}`);
    }
    return value as CovarianceType;
  },
  regCovar: numberParam('regCovar', (v) => v >= 0 && isF32Finite(v), 'a finite number ≥ 0 within the float32 range'),
  tol: numberParam('tol', (v) => v >= 0, 'a finite number ≥ 0'),
  maxIter: integerParam('maxIter', 1),
  nInit: integerParam('nInit', 1),
  initParams: (where: string, value: unknown): GaussianMixtureInit => {
    if (typeof value !== 'string' || !(INITS as readonly string[]).includes(value)) {
      throw new ArgumentError(`${where}: initParams must be "kmeans", "k-means++", "random" or "random_from_data", got ${show(value)}`);
    }
    return value as GaussianMixtureInit;
  },
  warmStart: (where: string, value: unknown) => checkBoolean(where, 'warmStart', value),
  seed: (where: string, value: unknown) => checkSeed(where, value),
} as const;
const KEYS = [...Object.keys(PARAMS), 'weightsInit', 'meansInit', 'precisionsInit'];

/** Parameters of k components over d features, in centred coordinates (f64). */
interface Params {
  /** k × d. */
  means: Float64Array;
  /** full k × d × d, tied d × d, diag k × d, spherical k. */
  covariances: Float64Array;
  /** The kernels' W (assembly/gmm.ts): full k × d × d, tied d × d, diag k × d, spherical k. */
  prec: Float64Array;
  logDet: Float64Array;
  logWeights: Float64Array;
  nk: Float64Array;
}

/** What one start of a fit ends with. */
interface Run {
  readonly params: Params;
  readonly shift: Float64Array;
  readonly converged: boolean;
  readonly nIter: number;
  readonly lowerBound: number;
  readonly lowerBounds: readonly number[];
}

/**
 * Everything a fit leaves behind, set at once: the start kept, and the number and
 * type of its components, which everything after the fit reads (not nComponents
 * and covarianceType, which may have changed since; the next fit checks them).
 */
interface Fitted extends Run {
  readonly nComponents: number;
  readonly covarianceType: CovarianceType;
  /** What the rounding to float32 did to each component's points (checkRounding), for the rows given later. */
  readonly rounding: Rounding;
}

/** Floats per component of W and of the covariances (tied: one matrix for all). */
function sizes(covType: CovarianceType, k: number, d: number): { prec: number; cov: number } {
  const total = covType === 'full' ? k * d * d : covType === 'tied' ? d * d : covType === 'diag' ? k * d : k;
  return { prec: total, cov: total };
}

/** The parameters in WASM memory (k components, d features). */
class ParamBuffers {
  readonly means: number;
  readonly covariances: number;
  readonly prec: number;
  readonly logDet: number;
  readonly logWeights: number;
  readonly nk: number;
  readonly precSize: number;
  readonly covSize: number;

  constructor(ws: Workspace, readonly k: number, readonly d: number, readonly covType: CovarianceType) {
    ({ prec: this.precSize, cov: this.covSize } = sizes(covType, k, d));
    this.means = ws.doubles(k * d);
    // Room for k × d even for spherical: the M-step accumulates the diagonal there.
    this.covariances = ws.doubles(Math.max(this.covSize, k * d));
    this.prec = ws.doubles(this.precSize);
    this.logDet = ws.doubles(k);
    this.logWeights = ws.doubles(k);
    this.nk = ws.doubles(k);
  }

  read(): Params {
    const { k, d } = this;
    return {
      means: readF64(this.means, k * d),
      covariances: readF64(this.covariances, this.covSize),
      prec: readF64(this.prec, this.precSize),
      logDet: readF64(this.logDet, k),
      logWeights: readF64(this.logWeights, k),
      nk: readF64(this.nk, k),
    };
  }

  write(p: Params): void {
    writeF64(this.means, p.means);
    writeF64(this.covariances, p.covariances);
    writeF64(this.prec, p.prec);
    writeF64(this.logDet, p.logDet);
    writeF64(this.logWeights, p.logWeights);
    writeF64(this.nk, p.nk);
  }
}

/** One start's initialization (see GaussianMixture's #starter): writes its parameters into the buffers. */
type Starter = (kern: Kernels, params: ParamBuffers, resp: number, scratch: number, rng: number, totalWeight: number) => void;

export class GaussianMixture {
  readonly nComponents: number;
  readonly covarianceType: CovarianceType;
  readonly regCovar: number;
  readonly tol: number;
  readonly maxIter: number;
  readonly nInit: number;
  readonly initParams: GaussianMixtureInit;
  readonly warmStart: boolean;
  readonly seed: number;
  readonly #weightsInit: Float64Array | null;
  readonly #meansInit: CheckedInit | null;
  readonly #precisionsInit: (CheckedInit & { type: CovarianceType }) | null;
  #fitted: Fitted | null = null;

  constructor(options?: GaussianMixtureOptions) {
    const where = 'GaussianMixture';
    const opts = checkOptionsObject(where, options);
    checkKeys(where, opts, KEYS);
    const or = (value: unknown, fallback: unknown) => (value === undefined ? fallback : value);
    this.nComponents = PARAMS.nComponents(where, or(opts.nComponents, 1));
    this.covarianceType = PARAMS.covarianceType(where, or(opts.covarianceType, 'full'));
    this.regCovar = PARAMS.regCovar(where, or(opts.regCovar, 1e-6));
    this.tol = PARAMS.tol(where, or(opts.tol, 1e-3));
    this.maxIter = PARAMS.maxIter(where, or(opts.maxIter, 100));
    this.nInit = PARAMS.nInit(where, or(opts.nInit, 1));
    this.initParams = PARAMS.initParams(where, or(opts.initParams, 'kmeans'));
    this.warmStart = PARAMS.warmStart(where, or(opts.warmStart, false));
    this.seed = PARAMS.seed(where, or(opts.seed, 0));
    this.#weightsInit = opts.weightsInit === undefined ? null : checkWeightsInit(where, opts.weightsInit, this.nComponents);
    this.#meansInit = opts.meansInit === undefined ? null : checkMeansInit(where, opts.meansInit, this.nComponents);
    this.#precisionsInit = opts.precisionsInit === undefined
      ? null : checkPrecisionsInit(where, opts.precisionsInit, this.covarianceType, this.nComponents);
    if (this.#meansInit !== null && this.#precisionsInit !== null && this.#precisionsInit.cols !== 0 &&
      this.#meansInit.cols !== this.#precisionsInit.cols) {
      throw new ShapeError(
        `${where}: meansInit has ${this.#meansInit.cols} features, precisionsInit ${this.#precisionsInit.cols}`,
      );
    }
  }

  /** Fits the mixture by EM (see the top of this file); returns this. */
  fit(points: Points, options?: SampleWeightOptions): this {
    const where = 'GaussianMixture.fit';
    const ws = new Workspace(where);
    try {
      this.#checkParams(where);
      const sampleWeight = sampleWeightOption(where, options);
      const warm = this.warmStart ? this.#fitted : null;
      if (warm !== null && (warm.nComponents !== this.nComponents || warm.covarianceType !== this.covarianceType)) {
        throw new ArgumentError(
          `${where}: warmStart continues the fitted ${warm.nComponents} '${warm.covarianceType}' components, but nComponents is now ` +
            `${this.nComponents} and covarianceType '${this.covarianceType}'; set warmStart to false to fit afresh`,
        );
      }
      const x = stagePoints(ws, where, points, warm?.shift.length);
      const k = this.nComponents, d = x.cols, n = x.rows;
      for (const [name, given] of [['meansInit', this.#meansInit], ['precisionsInit', this.#precisionsInit]] as const) {
        if (warm === null && given !== null && given.cols !== 0 && given.cols !== d) {
          throw new ShapeError(`${where}: ${name} has ${given.cols} features, the points ${d} columns`);
        }
      }
      requireRows(where, x, k, 'nComponents');
      const weights = stageWeights(ws, where, sampleWeight, n);
      if (warm === null && this.initParams === 'random_from_data' && weights !== null && weights.positive < k) {
        throw new ArgumentError(
          `${where}: initParams 'random_from_data' draws nComponents = ${k} distinct rows in proportion to sampleWeight, ` +
            `but only ${weights.positive} ${weights.positive === 1 ? 'row weighs' : 'rows weigh'} more than 0`,
        );
      }
      const kern = runtime(where).kernels;
      // Centred in f64 before the rounding to float32, never scaled (EM computes in f64; regCovar is in the data's units).
      const stats = warm === null ? centreFit(ws, where, x, false) : null;
      if (warm !== null) centreAgainst(ws, x, { shift: warm.shift, scale: 1 });
      const shift = warm?.shift ?? stats!.shift;
      const cov = COV_CODES[this.covarianceType];
      const params = new ParamBuffers(ws, k, d, this.covarianceType);
      const resp = ws.doubles(n * k);
      const scratch = ws.doubles(d * d + d + k);
      const w = weights?.ptr ?? 0, totalWeight = weights?.total ?? n;
      const rngState = new RngState(this.seed, RngStream.clustering);
      const rng = rngState.enter(ws);
      const start = warm === null ? this.#starter(ws, where, x, w, stats!) : null;
      let best: Run | null = null;
      // The component each row is most likely under at the kept start's last E-step (the groups checkRounding looks at).
      let groups: Int32Array | null = null;
      const starts = warm === null ? this.nInit : 1;
      if (starts > 1 && sideBySide(where, starts, n * k)) {
        ({ run: best, groups } = this.#startsSideBySide(kern, where, x, w, totalWeight, { params, resp, scratch, rng }, start!, ws, shift));
      } else {
        for (let r = 0; r < starts; r++) {
          if (warm === null) start!(kern, params, resp, scratch, rng, totalWeight);
          else params.write(warm.params);
          const bounds: number[] = [];
          let bound = warm?.lowerBound ?? -Infinity, converged = false, it = 0;
          while (it < this.maxIter) {
            it++;
            const prev = bound;
            bound = kern.gmmEStep(n, d, k, cov, x.ptr, params.means, params.prec, params.logDet, params.logWeights,
              resp, 0, scratch, w) / totalWeight;
            this.#mStep(kern, where, x, resp, params, cov, scratch, w);
            bounds.push(bound);
            if (Math.abs(bound - prev) < this.tol) { converged = true; break; }
          }
          if (best === null || bound > best.lowerBound) {
            best = { params: params.read(), shift, lowerBounds: bounds, lowerBound: bound, converged, nIter: it };
            groups = mostLikely(resp, n, k);
          }
        }
      }
      const rounding = checkRounding(where, ws, x, { shift, scale: 1 }, { labels: groups!, k, weights: w, isotropic: false, regCovar: this.regCovar },
        { centres: best!.params.means, units: componentSpreads(best!.params.covariances, this.covarianceType, k, d) });
      if (!best!.converged) {
        warn(new ConvergenceWarning('W_NOT_CONVERGED', where,
          `EM did not converge: after maxIter = ${this.maxIter} steps the lower bound still changed by at least ` +
            `tol = ${this.tol}; raise maxIter or tol, or try other starts`));
      }
      this.#fitted = { ...best!, nComponents: k, covarianceType: this.covarianceType, rounding };
      return this;
    } finally {
      ws.free();
    }
  }

  /**
   * Prepares a start (see the top of this file): what it needs staged once per
   * fit, and a function that writes one start's parameters into the buffers.
   */
  #starter(ws: Workspace, where: string, x: Staged, weights: number, centred: Centred): Starter {
    const k = this.nComponents, n = x.rows, d = x.cols;
    const { shift, scale, meanVariance } = centred;
    const cov = COV_CODES[this.covarianceType];
    const needResp = this.#weightsInit === null || this.#meansInit === null || this.#precisionsInit === null;
    const kind = this.initParams;
    // The k-means starts compute distances in float32, on the data scaled as KMeans scales them (a copy, when the
    // scale is not 1: see centreFit); EM itself works in f64 on the data as they are.
    let xs = x;
    if (needResp && kind !== 'random' && scale !== 1) {
      xs = { ptr: ws.floats(n * d), rows: n, cols: d };
      const heap = heapF32();
      for (let t = 0; t < n * d; t++) heap[(xs.ptr >>> 2) + t] = heap[(x.ptr >>> 2) + t]! * scale;
    }
    if (needResp && (kind === 'kmeans' || kind === 'k-means++')) {
      checkSpread(ws, `${where} (its ${kind === 'kmeans' ? 'k-means' : kind} start)`, xs, 'the column medians', { shift, scale });
    }
    const lloyd = needResp && kind !== 'random' ? new LloydState(ws, xs, k, { weights }) : null;
    const given = {
      logWeights: this.#weightsInit === null ? null : ws.doubles(k),
      means: this.#meansInit === null ? null : this.#meansInit.values.map((v, t) => v - shift[t % d]!),
      precisions: this.#precisionsInit === null ? 0 : ws.doubles(this.#precisionsInit.values.length),
    };
    const kern = runtime(where).kernels;
    if (given.logWeights !== null) writeF64(given.logWeights, this.#weightsInit!.map((v) => kern.mathLog(v)));
    if (given.precisions !== 0) writeF64(given.precisions, this.#precisionsInit!.values);
    return (kern, params, resp, scratch, rng, totalWeight) => {
      if (needResp) {
        if (kind === 'random') {
          kern.gmmRespRandom(rng, n, k, resp);
        } else if (kind === 'kmeans') {
          lloyd!.seed(kern, { method: 'k-means++', centers: null, cols: d }, { shift, scale }, rng);
          lloyd!.run(kern, 300, 1e-4 * meanVariance * scale * scale);
          warnFewerClusters(`${where} (its k-means start)`, new Int32Array(heapF32().buffer, lloyd!.labels, n), k, 'nComponents', xs,
            weights, new Float32Array(heapF32().buffer, lloyd!.centers, k * d), (cause) => `its k-means run ended with ${cause}; another seed may avoid it`);
          kern.gmmRespFromLabels(n, k, lloyd!.labels, resp);
        } else {
          lloyd!.seed(kern, { method: kind === 'k-means++' ? 'k-means++' : 'random', centers: null, cols: d }, { shift, scale }, rng);
          const chosen = lloyd!.chosenRows();
          const r = new Float64Array(heapF32().buffer, resp, n * k);
          r.fill(0);
          for (let j = 0; j < k; j++) r[chosen[j]! * k + j] = 1;
        }
        this.#mStep(kern, where, x, resp, params, cov, scratch, weights);
        // scikit-learn's _initialize: weights = nk / n, not renormalized (they sum to 1 only when every row has a responsibility).
        const nk = readF64(params.nk, k);
        writeF64(params.logWeights, nk.map((v) => kern.mathLog(v / totalWeight)));
      }
      if (given.logWeights !== null) heapF32().copyWithin(params.logWeights >>> 2, given.logWeights >>> 2, (given.logWeights >>> 2) + 2 * k);
      if (given.means !== null) writeF64(params.means, given.means);
      if (given.precisions !== 0) {
        const failed = kern.gmmPrecisionsCholesky(d, k, cov, given.precisions, params.prec, params.logDet, scratch);
        if (failed !== 0) {
          throw new ArgumentError(`${where}: precisionsInit${this.covarianceType === 'tied' ? '' : ` of component ${failed - 1}`} ` +
            `is not positive definite`);
        }
      }
    };
  }

  /**
   * The nInit starts side by side (with worker threads to share; fit's loop does
   * the same one start after another): every start is initialized in order (the
   * random draws of one after another), then each EM iteration runs the E-steps of
   * every unfinished start as one job and their M-steps as two
   * (src/threads/parallel.ts), so the starts share the threads. Each start goes
   * through exactly the operations of fit's loop, so the start kept, its
   * parameters and its bounds are the same bits; an error is the one fit's loop
   * would have raised first (the lowest start's).
   */
  #startsSideBySide(
    kern: Kernels, where: string, x: Staged, weights: number, totalWeight: number,
    first: { params: ParamBuffers; resp: number; scratch: number; rng: number }, start: Starter, ws: Workspace, shift: Float64Array,
  ): { run: Run; groups: Int32Array } {
    const k = this.nComponents, d = x.cols, n = x.rows;
    const cov = COV_CODES[this.covarianceType];
    const { scratch, rng } = first;
    const runs = Array.from({ length: this.nInit }, (_, r) =>
      r === 0 ? first : { params: new ParamBuffers(ws, k, d, this.covarianceType), resp: ws.doubles(n * k) });
    const state = runs.map(() => ({ bounds: [] as number[], bound: -Infinity, converged: false, it: 0, done: false, failure: null as unknown }));
    runs.forEach((run, r) => {
      try {
        start(kern, run.params, run.resp, scratch, rng, totalWeight);
      } catch (err) {
        Object.assign(state[r]!, { failure: err, done: true });
      }
    });
    const { eStep, mStep } = gmmRunsOf(kern);
    for (;;) {
      const live = state.flatMap((s, r) => (s.done ? [] : [r]));
      if (live.length === 0) break;
      const buffers = live.map((r) => {
        const p = runs[r]!.params;
        return {
          means: p.means, prec: p.prec, logDet: p.logDet, logWeights: p.logWeights, nk: p.nk, covariances: p.covariances,
          resp: runs[r]!.resp, logProbNorm: 0, scratch,
        };
      });
      const totals = eStep(n, d, k, cov, x.ptr, weights, buffers);
      const failed = mStep(n, d, k, cov, x.ptr, weights, this.regCovar, buffers);
      live.forEach((r, j) => {
        const s = state[r]!;
        s.it++;
        const prev = s.bound;
        s.bound = totals[j]! / totalWeight;
        if (failed[j] !== 0) { Object.assign(s, { failure: this.#mStepFailure(where, failed[j]!), done: true }); return; }
        s.bounds.push(s.bound);
        if (Math.abs(s.bound - prev) < this.tol) Object.assign(s, { converged: true, done: true });
        else if (s.it >= this.maxIter) s.done = true;
      });
    }
    const failure = state.find((s) => s.failure !== null);
    if (failure !== undefined) throw failure.failure;
    let best: Run | null = null, kept = 0;
    state.forEach((s, r) => {
      if (best === null || s.bound > best.lowerBound) {
        best = { params: runs[r]!.params.read(), shift, lowerBounds: s.bounds, lowerBound: s.bound, converged: s.converged, nIter: s.it };
        kept = r;
      }
    });
    return { run: best!, groups: mostLikely(runs[kept]!.resp, n, k) };
  }

  /** The parameters as they are now (scikit-learn's _validate_params at fit), and the initial ones still for nComponents. */
  #checkParams(where: string): void {
    checkParams(where, PARAMS, this);
    const k = this.nComponents;
    const prec = this.#precisionsInit;
    if (prec !== null && prec.type !== this.covarianceType) {
      throw new ArgumentError(`${where}: precisionsInit is shaped for '${prec.type}' covariances, covarianceType is '${this.covarianceType}'`);
    }
    const counts = [
      ['weightsInit', this.#weightsInit?.length], ['meansInit', this.#meansInit?.count], ['precisionsInit', prec?.type === 'tied' ? k : prec?.count],
    ] as const;
    for (const [name, count] of counts) {
      if (count !== undefined && count !== k) throw new ShapeError(`${where}: ${name} is for ${count} components, nComponents is ${k}`);
    }
  }

  #mStep(kern: Kernels, where: string, x: Staged, resp: number, p: ParamBuffers, cov: number, scratch: number, weights: number): void {
    const failed = kern.gmmMStep(x.rows, x.cols, p.k, cov, x.ptr, resp, this.regCovar,
      p.nk, p.means, p.covariances, p.prec, p.logDet, p.logWeights, scratch, weights);
    if (failed !== 0) throw this.#mStepFailure(where, failed);
  }

  /** The error of an M-step whose kernel returned `failed` (j + 1 for component j; 1 for tied). */
  #mStepFailure(where: string, failed: number): ArgumentError {
    const which = this.covarianceType === 'tied' ? 'the shared (tied) covariance' : `the covariance of component ${failed - 1}`;
    return new ArgumentError(
      `${where}: ${which} is not positive definite (too few, constant or ` +
        `collinear points in it); lower nComponents or raise regCovar (now ${this.regCovar})`,
    );
  }

  /** fit(points, options), then the most likely component of each of the points. */
  fitPredict(points: Points, options?: SampleWeightOptions): Int32Array {
    return this.fit(points, options).predict(points);
  }

  /** The component each row most likely belongs to. */
  predict(points: Points): Int32Array {
    return this.#eStep('GaussianMixture.predict', points, true, (x, resp, _lp, _total, _weights, k) => mostLikely(resp, x.rows, k), undefined, false);
  }

  /**
   * Each row's posterior probability of every component: rows × nComponents, as
   * { data: Float64Array, rows, cols }, or a (float32) Matrix to dispose with { as: 'matrix' }.
   */
  predictProba(points: Points, options?: { as?: 'array' }): RowMajorArray<Float64Array>;
  predictProba(points: Points, options: { as: 'matrix' }): Matrix;
  predictProba(points: Points, options?: ResultOptions): RowMajorArray<Float64Array> | Matrix {
    const as = resultKind('GaussianMixture.predictProba', options);
    return this.#eStep('GaussianMixture.predictProba', points, true, (x, resp, _lp, _total, _weights, k) => {
      // A copy first: allocating a Matrix may grow memory and detach a view.
      return shapeResult(as, readF64(resp, x.rows * k), x.rows, k);
    });
  }

  /** log p(x) of each row under the mixture (f64). */
  scoreSamples(points: Points): Float64Array {
    return this.#eStep('GaussianMixture.scoreSamples', points, false, (x, _resp, logProb) => readF64(logProb, x.rows));
  }

  /** The mean log-likelihood of the rows, Σ w_i log p(x_i) / Σ w_i with sampleWeight. */
  score(points: Points, options?: SampleWeightOptions): number {
    const where = 'GaussianMixture.score';
    const sampleWeight = sampleWeightOption(where, options);
    return this.#eStep(where, points, false, (x, _resp, _lp, total, weights) => total / (weights?.total ?? x.rows), sampleWeight);
  }

  /** −log p(x) of each row: larger is more anomalous. */
  anomalyScores(points: Points): Float64Array {
    const s = this.#eStep('GaussianMixture.anomalyScores', points, false, (x, _resp, logProb) => readF64(logProb, x.rows));
    for (let i = 0; i < s.length; i++) s[i] = -s[i]!;
    return s;
  }

  /** Bayesian information criterion on `points`: −2·log L + p·ln n (lower is better). */
  bic(points: Points): number {
    return this.#eStep('GaussianMixture.bic', points, false, (x, _r, _l, total) =>
      -2 * total + this.nParameters * runtime('GaussianMixture.bic').kernels.mathLog(x.rows));
  }

  /** Akaike information criterion on `points`: −2·log L + 2p (lower is better). */
  aic(points: Points): number {
    const total = this.#eStep('GaussianMixture.aic', points, false, (x, _r, _l, t) => t);
    return -2 * total + 2 * this.nParameters;
  }

  /**
   * `n` rows drawn from the fitted mixture (scikit-learn's sample): a component
   * per row by the mixing weights, the rows grouped by component, with their
   * component as `labels`. Seeded: the same seed gives the same rows.
   */
  sample(n = 1, options?: GaussianMixtureSampleOptions): GaussianMixtureSample {
    const where = 'GaussianMixture.sample';
    const { params, shift, nComponents: k, covarianceType } = this.#state(where);
    const count = n === undefined ? 1 : checkInteger(where, 'n', n, 1);
    const opts = checkOptionsObject(where, options);
    checkKeys(where, opts, ['seed']);
    const seed = seedOption(where, opts, this.seed);
    const d = shift.length;
    const ws = new Workspace(where);
    try {
      const p = new ParamBuffers(ws, k, d, covarianceType);
      p.write(params);
      const mixing = ws.doubles(k);
      writeF64(mixing, this.weights);
      const out = ws.doubles(count * d), labels = ws.floats(count), scratch = ws.alloc((2 * d + 2) * 8 + k * 4);
      const rngState = new RngState(seed, RngStream.clustering);
      const rng = rngState.enter(ws);
      runtime(where).kernels.gmmSample(rng, count, d, k, COV_CODES[covarianceType], p.means, p.prec, mixing, out, labels, scratch);
      const data = readF64(out, count * d);
      for (let t = 0; t < data.length; t++) data[t]! += shift[t % d]!;
      return { data, rows: count, cols: d, labels: readI32(labels, count) };
    } finally {
      ws.free();
    }
  }

  /** Free parameters: means, covariances and k − 1 weights (scikit-learn's _n_parameters). */
  get nParameters(): number {
    const { shift: { length: d }, nComponents: k, covarianceType } = this.#state('GaussianMixture.nParameters');
    const cov = {
      full: (k * d * (d + 1)) / 2, tied: (d * (d + 1)) / 2, diag: k * d, spherical: k,
    }[covarianceType];
    return cov + k * d + k - 1;
  }

  /** The component means, k rows of d numbers, in the data's coordinates. */
  get means(): number[][] {
    const { params, shift, nComponents: k } = this.#state('GaussianMixture.means');
    const d = shift.length;
    return Array.from({ length: k }, (_, j) =>
      Array.from({ length: d }, (_2, f) => params.means[j * d + f]! + shift[f]!));
  }

  /** 'full': k matrices d × d; 'tied': one d × d; 'diag': k rows of d variances; 'spherical': k variances. */
  get covariances(): number[][][] | number[][] | number[] {
    const fitted = this.#state('GaussianMixture.covariances');
    return shaped(fitted.params.covariances, fitted);
  }

  /** The inverse covariances, shaped as covariances (scikit-learn's precisions_). */
  get precisions(): number[][][] | number[][] | number[] {
    const fitted = this.#state('GaussianMixture.precisions');
    const d = fitted.shift.length, w = fitted.params.prec;
    if (fitted.covarianceType === 'diag' || fitted.covarianceType === 'spherical') return shaped(w.map((v) => v * v), fitted);
    // P = Wᵀ·W (W lower triangular).
    const out = new Float64Array(w.length);
    for (let at = 0; at < w.length; at += d * d) {
      for (let a = 0; a < d; a++) {
        for (let b = 0; b < d; b++) {
          let s = 0;
          for (let t = Math.max(a, b); t < d; t++) s += w[at + t * d + a]! * w[at + t * d + b]!;
          out[at + a * d + b] = s;
        }
      }
    }
    return shaped(out, fitted);
  }

  /**
   * scikit-learn's precisions_cholesky_: for 'full' and 'tied' the upper-triangular
   * U with U·Uᵀ = the precision; for 'diag' and 'spherical' 1/σ.
   */
  get precisionsCholesky(): number[][][] | number[][] | number[] {
    const fitted = this.#state('GaussianMixture.precisionsCholesky');
    const d = fitted.shift.length, w = fitted.params.prec;
    if (fitted.covarianceType === 'diag' || fitted.covarianceType === 'spherical') return shaped(w, fitted);
    const upper = new Float64Array(w.length); // U = Wᵀ
    for (let at = 0; at < w.length; at += d * d) {
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) upper[at + a * d + b] = w[at + b * d + a]!;
    }
    return shaped(upper, fitted);
  }

  /** The mixing weights (sum to 1). */
  get weights(): number[] {
    const { params } = this.#state('GaussianMixture.weights');
    let s = 0;
    for (const v of params.nk) s += v;
    return Array.from(params.nk, (v) => v / s);
  }

  /** Whether the kept start met `tol` within maxIter steps. */
  get converged(): boolean {
    return this.#state('GaussianMixture.converged').converged;
  }

  /** EM steps of the kept start. */
  get nIter(): number {
    return this.#state('GaussianMixture.nIter').nIter;
  }

  /** The last lower bound (mean log-likelihood on the fitted points) of the kept start. */
  get lowerBound(): number {
    return this.#state('GaussianMixture.lowerBound').lowerBound;
  }

  /** The lower bound after every EM step of the kept start (EM never lowers it). */
  get lowerBounds(): number[] {
    return [...this.#state('GaussianMixture.lowerBounds').lowerBounds];
  }

  get nFeatures(): number {
    return this.#state('GaussianMixture.nFeatures').shift.length;
  }

  get isFitted(): boolean {
    return this.#fitted !== null;
  }

  #state(where: string): Fitted {
    if (this.#fitted === null) throw notFitted(where, 'GaussianMixture');
    return this.#fitted;
  }

  /**
   * Stages, centres and runs the E-step on points; `then` reads the results before
   * the workspace is freed. With responsibilities, a row too far from the
   * components for f64 to tell them apart is refused first (gmmUnresolvedRow).
   * Unless `rowsChecked` is false (predict: labels only), each row is then checked
   * against the component most likely for it (checkNewRows).
   */
  #eStep<T>(
    where: string, points: Points, withResp: boolean,
    then: (x: Staged, resp: number, logProb: number, total: number, weights: StagedWeights | null, k: number) => T,
    sampleWeight?: unknown, rowsChecked = true,
  ): T {
    const { params, shift, nComponents: k, covarianceType, rounding } = this.#state(where);
    const ws = new Workspace(where);
    try {
      const x = stagePoints(ws, where, points, shift.length);
      const weights = stageWeights(ws, where, sampleWeight, x.rows);
      centreAgainst(ws, x, { shift, scale: 1 });
      const d = x.cols;
      const p = new ParamBuffers(ws, k, d, covarianceType);
      p.write(params);
      const kern = runtime(where).kernels, cov = COV_CODES[covarianceType];
      const scratch = ws.doubles(d + 2 * k);
      if (withResp) {
        const row = kern.gmmUnresolvedRow(x.rows, d, k, cov, x.ptr, p.means, p.prec, p.logDet, p.logWeights, scratch);
        if (row >= 0) throw unresolved(where, x, row);
      }
      // The responsibilities also say which component each row is checked against (needed only when a
      // component's rows are at risk at all: none, for ordinary data).
      const fitted = { centres: params.means, units: componentSpreads(params.covariances, covarianceType, k, d) };
      const checked = rowsChecked && newRowsAtRisk(rounding, fitted, 1, d);
      const resp = withResp || checked ? ws.doubles(x.rows * k) : 0;
      const logProb = ws.doubles(x.rows);
      const total = kern.gmmEStep(x.rows, d, k, cov, x.ptr, p.means, p.prec, p.logDet, p.logWeights, resp, logProb, scratch, weights?.ptr ?? 0);
      if (checked) {
        checkNewRows(where, x, { shift, scale: 1 }, () => mostLikely(resp, x.rows, k), fitted.centres, rounding, fitted.units, false);
      }
      return then(x, resp, logProb, total, weights, k);
    } finally {
      ws.free();
    }
  }
}

/** The component of largest responsibility for each of the n rows (the first of equal ones), from the n × k f64 at `resp`. */
function mostLikely(resp: number, n: number, k: number): Int32Array {
  const r = new Float64Array(heapF32().buffer, resp, n * k);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let bj = 0;
    for (let j = 1; j < k; j++) if (r[i * k + j]! > r[i * k + bj]!) bj = j;
    out[i] = bj;
  }
  return out;
}

/** Each component's standard deviation in each column (k × d), from the covariances of its type. */
function componentSpreads(cov: Float64Array, type: CovarianceType, k: number, d: number): Float64Array {
  const out = new Float64Array(k * d);
  for (let j = 0; j < k; j++) {
    for (let f = 0; f < d; f++) {
      const v = type === 'full' ? cov[j * d * d + f * d + f] : type === 'tied' ? cov[f * d + f] : type === 'diag' ? cov[j * d + f] : cov[j];
      out[j * d + f] = Math.sqrt(v!);
    }
  }
  return out;
}

/** The error for centred row `row` of x, whose responsibilities f64 cannot resolve (as checkSpread's for k-means). */
function unresolved(where: string, x: Staged, row: number): ArgumentError {
  const values = heapF32().subarray((x.ptr >>> 2) + row * x.cols, (x.ptr >>> 2) + (row + 1) * x.cols);
  const distance = Math.sqrt(values.reduce((s, v) => s + v * v, 0));
  return new ArgumentError(
    `${where}: points row ${row} lies ${distance.toExponential(2)} from the fitted column medians, too far for its log-likelihoods ` +
      'under the components to be told apart in float64 (their rounding errors exceed their differences); rescale the data',
  );
}

/** f64 values of a fitted mixture in the shape of its covariance type (see covariances). */
function shaped(values: Float64Array, { shift: { length: d }, nComponents: k, covarianceType }: Fitted): number[][][] | number[][] | number[] {
  if (covarianceType === 'spherical') return Array.from(values);
  const matrix = (at: number) => Array.from({ length: d }, (_, a) => Array.from(values.subarray(at + a * d, at + (a + 1) * d)));
  if (covarianceType === 'diag') return Array.from({ length: k }, (_, j) => Array.from(values.subarray(j * d, (j + 1) * d)));
  if (covarianceType === 'tied') return matrix(0);
  return Array.from({ length: k }, (_, j) => matrix(j * d * d));
}

// Option checks for the initial parameters (shapes that need the data's width are checked at fit).

function checkWeightsInit(where: string, value: unknown, k: number): Float64Array {
  if (!Array.isArray(value) || value.length !== k) {
    throw new ShapeError(`${where}: weightsInit must be an array of nComponents = ${k} numbers, got ${show(value)}`);
  }
  const out = new Float64Array(k);
  let sum = 0;
  for (let j = 0; j < k; j++) {
    const v: unknown = value[j];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
      throw new ArgumentError(`${where}: weightsInit[${j}] is ${show(v)}; every weight must be in [0, 1]`);
    }
    out[j] = v;
    sum += v;
  }
  // scikit-learn: np.allclose(|1 − Σ|, 0), an absolute tolerance of 1e-8.
  if (!(Math.abs(1 - sum) <= 1e-8)) throw new ArgumentError(`${where}: weightsInit must sum to 1, got ${sum}`);
  return out;
}

/** Checked initial means or precisions: f64 row-major (as the kernels read them), features (0: not known), components. */
interface CheckedInit {
  readonly values: Float64Array;
  readonly cols: number;
  readonly count: number;
}

function checkMeansInit(where: string, value: unknown, k: number): CheckedInit {
  if (!Array.isArray(value) || value.length !== k) {
    throw new ShapeError(`${where}: meansInit must be an array of nComponents = ${k} rows, got ${show(value)}`);
  }
  const { centers, cols } = checkRows(where, 'meansInit row', value, k);
  return { values: centers, cols, count: k };
}

/** The precisions, checked for their covariance type. */
function checkPrecisionsInit(where: string, value: unknown, type: CovarianceType, k: number): CheckedInit & { type: CovarianceType } {
  return { ...checkPrecisionValues(where, value, type, k), type, count: type === 'tied' ? 1 : k };
}

function checkPrecisionValues(where: string, value: unknown, type: CovarianceType, k: number): { values: Float64Array; cols: number } {
  const name = `precisionsInit (${type})`;
  if (!Array.isArray(value)) throw new ArgumentError(`${where}: ${name} must be an array, got ${show(value)}`);
  if (type === 'spherical') {
    if (value.length !== k) throw new ShapeError(`${where}: ${name} must hold nComponents = ${k} numbers, got ${value.length}`);
    const out = Float64Array.from(value, (v: unknown, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
        throw new ArgumentError(`${where}: ${name}[${j}] is ${show(v)}; a precision must be a finite number > 0`);
      }
      if (!isF32Finite(v)) throw beyondF32(where, `${name}[${j}]`, v);
      return v;
    });
    return { values: out, cols: 0 };
  }
  if (type === 'diag') {
    if (value.length !== k) throw new ShapeError(`${where}: ${name} must hold nComponents = ${k} rows, got ${value.length}`);
    const { centers, cols } = checkRows(where, `${name} row`, value, k);
    const bad = centers.findIndex((v) => !(v > 0));
    if (bad >= 0) {
      throw new ArgumentError(`${where}: ${name} row ${Math.floor(bad / cols)}, value ${bad % cols} is ${centers[bad]}; ` +
        'a precision must be > 0');
    }
    return { values: centers, cols };
  }
  const matrices = type === 'tied' ? [value] : value;
  if (type === 'full' && matrices.length !== k) {
    throw new ShapeError(`${where}: ${name} must hold nComponents = ${k} matrices, got ${matrices.length}`);
  }
  let d = 0;
  const parts: Float64Array[] = [];
  matrices.forEach((m: unknown, j) => {
    const label = type === 'tied' ? name : `${name} matrix ${j}`;
    if (!Array.isArray(m) || m.length === 0) throw new ShapeError(`${where}: ${label} must be a d × d array of rows, got ${show(m)}`);
    const { centers, cols } = checkRows(where, `${label} row`, m, m.length);
    if (cols !== m.length || (d !== 0 && cols !== d)) {
      throw new ShapeError(`${where}: ${label} is ${m.length} × ${cols}; expected square${d !== 0 ? ` ${d} × ${d} (as matrix 0)` : ''}`);
    }
    d = cols;
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < a; b++) {
        const u = centers[a * d + b]!, v = centers[b * d + a]!;
        // scikit-learn: np.allclose(P, Pᵀ) (rtol 1e-5, atol 1e-8).
        if (!(Math.abs(u - v) <= 1e-8 + 1e-5 * Math.abs(v))) {
          throw new ArgumentError(`${where}: ${label} is not symmetric: [${a}][${b}] = ${u}, [${b}][${a}] = ${v}`);
        }
      }
    }
    parts.push(centers);
  });
  const out = new Float64Array(parts.length * d * d);
  parts.forEach((p, j) => out.set(p, j * d * d));
  return { values: out, cols: d };
}
