// Gaussian mixtures fitted by EM, with scikit-learn's GaussianMixture semantics,
// over the kernels of assembly/gmm.ts (f64 throughout past the f32 input).
//
//   const gm = new GaussianMixture({ nComponents: 3, covarianceType: 'diag', seed: 1 }).fit(points);
//   gm.means; gm.covariances; gm.weights; gm.converged; gm.lowerBound;
//   gm.predict(x); gm.predictProba(x); gm.scoreSamples(x); gm.bic(x); gm.anomalyScores(x);
//
// fit, for each of `nInit` starts:
//  - responsibilities from k-means labels ('kmeans': KMeans with k-means++, one
//    run, scikit-learn's defaults, seeded) or random and normalized ('random');
//    an M-step turns them into the first parameters;
//  - then EM steps: the E-step gives the mean log-likelihood of the current
//    parameters (the "lower bound", recorded in lowerBounds) and the
//    responsibilities, the M-step new parameters; it stops when the lower bound
//    changes by less than `tol`, or after maxIter steps (converged = false).
// The start with the highest final lower bound is kept. `regCovar` is added to
// every variance (the diagonal of full covariances) so none collapses to zero.
// Data are centred by their column means first (the density is unchanged; the
// reported means are in the data's coordinates).

import { Matrix } from '../matrix.js';
import { ArgumentError } from '../runtime/errors.js';
import { heapF32, runtime } from '../runtime/module.js';
import { checkKeys, checkOptionsObject, show } from '../runtime/validate.js';
import type { Kernels } from '../runtime/abi.js';
import { RngStream } from '../nn/rng.js';
import {
  RngState, Workspace, intOption, notFitted, numberOption, readF64, requireDistinctRows, seedOption,
  stagePoints, writeF64, type Points, type Staged,
} from './common.js';
import { LloydState, checkSpread, columnStats, shiftRows } from './kmeans.js';

export type CovarianceType = 'full' | 'diag' | 'spherical';

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
  initParams?: 'kmeans' | 'random';
  /** Default 0. */
  seed?: number;
}

const KEYS = ['nComponents', 'covarianceType', 'regCovar', 'tol', 'maxIter', 'nInit', 'initParams', 'seed'] as const;
const COV_CODES: Record<CovarianceType, number> = { full: 0, diag: 1, spherical: 2 };

interface Params {
  /** k × d, centred coordinates. */
  means: Float64Array;
  /** full k × d × d, diag k × d, spherical k. */
  covariances: Float64Array;
  prec: Float64Array;
  logDet: Float64Array;
  logWeights: Float64Array;
  nk: Float64Array;
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
    this.precSize = covType === 'full' ? d * d : covType === 'diag' ? d : 1;
    this.covSize = covType === 'full' ? d * d : covType === 'diag' ? d : 1;
    this.means = ws.doubles(k * d);
    // Room for k × d even for spherical: the M-step accumulates the diagonal there.
    this.covariances = ws.doubles(k * (covType === 'full' ? d * d : d));
    this.prec = ws.doubles(k * this.precSize);
    this.logDet = ws.doubles(k);
    this.logWeights = ws.doubles(k);
    this.nk = ws.doubles(k);
  }

  read(): Params {
    const { k, d } = this;
    return {
      means: readF64(this.means, k * d),
      covariances: readF64(this.covariances, k * this.covSize),
      prec: readF64(this.prec, k * this.precSize),
      logDet: readF64(this.logDet, k),
      logWeights: readF64(this.logWeights, k),
      nk: readF64(this.nk, k),
    };
  }

  write(p: Params): void {
    writeF64(this.means, p.means);
    writeF64(this.prec, p.prec);
    writeF64(this.logDet, p.logDet);
    writeF64(this.logWeights, p.logWeights);
  }
}

export class GaussianMixture {
  readonly nComponents: number;
  readonly covarianceType: CovarianceType;
  readonly regCovar: number;
  readonly tol: number;
  readonly maxIter: number;
  readonly nInit: number;
  readonly initParams: 'kmeans' | 'random';
  readonly seed: number;
  #params: Params | null = null;
  #shift: Float64Array | null = null;
  #converged = false;
  #nIter = 0;
  #lowerBound = -Infinity;
  #lowerBounds: number[] = [];

  constructor(options?: GaussianMixtureOptions) {
    const where = 'GaussianMixture';
    const opts = checkOptionsObject(where, options);
    checkKeys(where, opts, KEYS);
    this.nComponents = intOption(where, 'nComponents', opts.nComponents, 1, 1);
    const cov = opts.covarianceType ?? 'full';
    if (typeof cov !== 'string' || !Object.hasOwn(COV_CODES, cov)) {
      throw new ArgumentError(`${where}: covarianceType must be "full", "diag" or "spherical", got ${show(cov)}`);
    }
    this.covarianceType = cov as CovarianceType;
    this.regCovar = numberOption(where, 'regCovar', opts.regCovar, 1e-6, (v) => v >= 0, 'a finite number ≥ 0');
    this.tol = numberOption(where, 'tol', opts.tol, 1e-3, (v) => v >= 0, 'a finite number ≥ 0');
    this.maxIter = intOption(where, 'maxIter', opts.maxIter, 100, 1);
    this.nInit = intOption(where, 'nInit', opts.nInit, 1, 1);
    const ip = opts.initParams ?? 'kmeans';
    if (ip !== 'kmeans' && ip !== 'random') {
      throw new ArgumentError(`${where}: initParams must be "kmeans" or "random", got ${show(ip)}`);
    }
    this.initParams = ip;
    this.seed = seedOption(where, opts.seed);
  }

  /** Fits the mixture by EM (see the top of this file); returns this. */
  fit(points: Points): this {
    const where = 'GaussianMixture.fit';
    const ws = new Workspace(where);
    try {
      const x = stagePoints(ws, where, points);
      const k = this.nComponents, d = x.cols, n = x.rows;
      if (this.initParams === 'kmeans') requireDistinctRows(where, x, k, 'nComponents');
      else if (n < k) throw new ArgumentError(`${where}: nComponents = ${k} is larger than the number of rows (${n})`);
      const kern = runtime(where).kernels;
      const { shift, meanVariance } = columnStats(ws, x);
      shiftRows(ws, x, shift);
      // The k-means start computes in float32; EM itself works in f64.
      if (this.initParams === 'kmeans') checkSpread(ws, `${where} (its k-means start)`, x, 'the column means');
      const cov = COV_CODES[this.covarianceType];
      const params = new ParamBuffers(ws, k, d, this.covarianceType);
      const resp = ws.doubles(n * k);
      const scratch = ws.doubles(d + k);
      const rngState = new RngState(this.seed, RngStream.clustering);
      const rng = rngState.enter(ws);
      const kmeansState = this.initParams === 'kmeans' ? new LloydState(ws, x, k) : null;
      let best: { params: Params; bounds: number[]; converged: boolean; nIter: number; bound: number } | null = null;
      for (let r = 0; r < this.nInit; r++) {
        if (kmeansState !== null) {
          kmeansState.seed(kern, { method: 'k-means++', centers: null, cols: d }, shift, rng);
          kmeansState.run(kern, 300, 1e-4 * meanVariance);
          kern.gmmRespFromLabels(n, k, kmeansState.labels, resp);
        } else {
          kern.gmmRespRandom(rng, n, k, resp);
        }
        this.#mStep(kern, where, x, resp, params, cov, scratch);
        const bounds: number[] = [];
        let bound = -Infinity, converged = false, it = 0;
        while (it < this.maxIter) {
          it++;
          const prev = bound;
          bound = kern.gmmEStep(n, d, k, cov, x.ptr, params.means, params.prec, params.logDet, params.logWeights,
            resp, 0, scratch) / n;
          this.#mStep(kern, where, x, resp, params, cov, scratch);
          bounds.push(bound);
          if (Math.abs(bound - prev) < this.tol) { converged = true; break; }
        }
        if (best === null || bound > best.bound) best = { params: params.read(), bounds, converged, nIter: it, bound };
      }
      this.#params = best!.params;
      this.#lowerBounds = best!.bounds;
      this.#lowerBound = best!.bound;
      this.#converged = best!.converged;
      this.#nIter = best!.nIter;
      this.#shift = shift;
      return this;
    } finally {
      ws.free();
    }
  }

  #mStep(kern: Kernels, where: string, x: Staged, resp: number, p: ParamBuffers, cov: number, scratch: number): void {
    const failed = kern.gmmMStep(x.rows, x.cols, p.k, cov, x.ptr, resp, this.regCovar,
      p.nk, p.means, p.covariances, p.prec, p.logDet, p.logWeights, scratch);
    if (failed !== 0) {
      throw new ArgumentError(
        `${where}: the covariance of component ${failed - 1} is not positive definite (too few, constant or ` +
          `collinear points in it); lower nComponents or raise regCovar (now ${this.regCovar})`,
      );
    }
  }

  /** The component each row most likely belongs to. */
  predict(points: Points): Int32Array {
    return this.#eStep('GaussianMixture.predict', points, true, (x, resp) => {
      const k = this.nComponents;
      const r = new Float64Array(heapF32().buffer, resp, x.rows * k);
      const out = new Int32Array(x.rows);
      for (let i = 0; i < x.rows; i++) {
        let bj = 0;
        for (let j = 1; j < k; j++) if (r[i * k + j]! > r[i * k + bj]!) bj = j;
        out[i] = bj;
      }
      return out;
    });
  }

  /** Each row's posterior probability of every component, a rows × nComponents Matrix (dispose it). */
  predictProba(points: Points): Matrix {
    return this.#eStep('GaussianMixture.predictProba', points, true, (x, resp) => {
      // A copy first: allocating the Matrix may grow memory and detach a view.
      return Matrix.from(readF64(resp, x.rows * this.nComponents), x.rows, this.nComponents);
    });
  }

  /** log p(x) of each row under the mixture (f64). */
  scoreSamples(points: Points): Float64Array {
    return this.#eStep('GaussianMixture.scoreSamples', points, false, (x, _resp, logProb) => readF64(logProb, x.rows));
  }

  /** The mean log-likelihood of the rows. */
  score(points: Points): number {
    return this.#eStep('GaussianMixture.score', points, false, (x, _resp, _lp, total) => total / x.rows);
  }

  /** −log p(x) of each row: larger is more anomalous. */
  anomalyScores(points: Points): Float64Array {
    const s = this.scoreSamples(points);
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

  /** Free parameters: means, covariances and k − 1 weights. */
  get nParameters(): number {
    const d = this.#fitted('GaussianMixture.nParameters').shift.length, k = this.nComponents;
    const cov = this.covarianceType === 'full' ? (k * d * (d + 1)) / 2 : this.covarianceType === 'diag' ? k * d : k;
    return cov + k * d + k - 1;
  }

  /** The component means, k rows of d numbers, in the data's coordinates. */
  get means(): number[][] {
    const { params, shift } = this.#fitted('GaussianMixture.means');
    const d = shift.length;
    return Array.from({ length: this.nComponents }, (_, j) =>
      Array.from({ length: d }, (_2, f) => params.means[j * d + f]! + shift[f]!));
  }

  /** 'full': k matrices d × d; 'diag': k rows of d variances; 'spherical': k variances. */
  get covariances(): number[][][] | number[][] | number[] {
    const { params, shift } = this.#fitted('GaussianMixture.covariances');
    const d = shift.length, k = this.nComponents, c = params.covariances;
    if (this.covarianceType === 'spherical') return Array.from(c);
    if (this.covarianceType === 'diag') return Array.from({ length: k }, (_, j) => Array.from(c.subarray(j * d, (j + 1) * d)));
    return Array.from({ length: k }, (_, j) =>
      Array.from({ length: d }, (_2, a) => Array.from(c.subarray(j * d * d + a * d, j * d * d + (a + 1) * d))));
  }

  /** The mixing weights (sum to 1). */
  get weights(): number[] {
    const { params } = this.#fitted('GaussianMixture.weights');
    let s = 0;
    for (const v of params.nk) s += v;
    return Array.from(params.nk, (v) => v / s);
  }

  /** Whether the kept start met `tol` within maxIter steps. */
  get converged(): boolean {
    this.#fitted('GaussianMixture.converged');
    return this.#converged;
  }

  /** EM steps of the kept start. */
  get nIter(): number {
    this.#fitted('GaussianMixture.nIter');
    return this.#nIter;
  }

  /** The last lower bound (mean log-likelihood on the fitted points) of the kept start. */
  get lowerBound(): number {
    this.#fitted('GaussianMixture.lowerBound');
    return this.#lowerBound;
  }

  /** The lower bound after every EM step of the kept start (EM never lowers it). */
  get lowerBounds(): number[] {
    this.#fitted('GaussianMixture.lowerBounds');
    return [...this.#lowerBounds];
  }

  get nFeatures(): number {
    return this.#fitted('GaussianMixture.nFeatures').shift.length;
  }

  get isFitted(): boolean {
    return this.#params !== null;
  }

  #fitted(where: string): { params: Params; shift: Float64Array } {
    if (this.#params === null || this.#shift === null) throw notFitted(where, 'GaussianMixture');
    return { params: this.#params, shift: this.#shift };
  }

  /** Stages, centres and runs the E-step on points; `then` reads the results before the workspace is freed. */
  #eStep<T>(
    where: string, points: Points, withResp: boolean,
    then: (x: Staged, resp: number, logProb: number, total: number) => T,
  ): T {
    const { params, shift } = this.#fitted(where);
    const ws = new Workspace(where);
    try {
      const x = stagePoints(ws, where, points, shift.length);
      shiftRows(ws, x, shift);
      const k = this.nComponents, d = x.cols;
      const p = new ParamBuffers(ws, k, d, this.covarianceType);
      p.write(params);
      const resp = withResp ? ws.doubles(x.rows * k) : 0;
      const logProb = ws.doubles(x.rows);
      const scratch = ws.doubles(d + k);
      const total = runtime(where).kernels.gmmEStep(x.rows, d, k, COV_CODES[this.covarianceType], x.ptr,
        p.means, p.prec, p.logDet, p.logWeights, resp, logProb, scratch);
      return then(x, resp, logProb, total);
    } finally {
      ws.free();
    }
  }
}
