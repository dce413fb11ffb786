// Gaussian-mixture EM kernels, driven by src/cluster/gmm.ts. Everything past the
// f32 input rows is f64: parameters, responsibilities, log-likelihoods.
//
// Parameters of k components over d features (f64, 8-byte aligned):
//   means       k × d
//   prec        the precision's Cholesky factor, as scikit-learn keeps it:
//                 COV_DIAG       k × d   1/σ_f per feature
//                 COV_SPHERICAL  k       1/σ, one per component
//                 COV_FULL       k × d × d  W = L⁻¹ (lower triangular, row-major,
//                                zeros above the diagonal) where Σ = L·Lᵀ, so that
//                                (x − μ)ᵀ Σ⁻¹ (x − μ) = ‖W (x − μ)‖²
//                 COV_TIED       d × d   one W as for COV_FULL, shared by every
//                                component (stride 0)
//   logDet      k       log det W = −½ log det Σ (for COV_TIED the same k times)
//   logWeights  k       log π_j
//
// Sample weights (n f64 ≥ 0, or 0 as the pointer for all 1): the M-step weighs
// row i's responsibilities by w_i, and the E-step returns Σ_i w_i log p(x_i), so
// an integer weight acts as that many copies of the row. With w = 1 every product
// is the unweighted value exactly.
//
// log N(x | μ, Σ) = −½ (d·log 2π + ‖W (x − μ)‖²) + log det W, evaluated directly
// on x − μ (not expanded into x² − 2xμ + μ², which cancels). Responsibilities
// come from a max-shifted log-sum-exp, so a row far from every component still
// has finite log-likelihood and responsibilities summing to 1.
//
// Contract (checked by the TypeScript caller, trusted here): n, d, k ≥ 1;
// covType one of the COV_* codes; x n × d f32 finite; resp n × k f64; the
// parameters as above with W's diagonal > 0; scratch as each kernel says.

import { uniform53, weightOf } from "./kmeans";

export const COV_FULL: i32 = 0;
export const COV_DIAG: i32 = 1;
export const COV_SPHERICAL: i32 = 2;
export const COV_TIED: i32 = 3;

// @ts-ignore: decorator
@inline const LOG_2PI: f64 = 1.8378770664093453;
// numpy's float64 eps; scikit-learn adds 10·eps to every component's mass.
// @ts-ignore: decorator
@inline const EPS: f64 = 2.220446049250313e-16;

// @ts-ignore: decorator
@inline function f64At(p: usize, i: i32): f64 { return load<f64>(p + (<usize>i << 3)); }
// @ts-ignore: decorator
@inline function setF64(p: usize, i: i32, v: f64): void { store<f64>(p + (<usize>i << 3), v); }

// ‖W (x − μ)‖² for component j; diff: d f64 scratch.
// @ts-ignore: decorator
@inline function quadForm(d: i32, covType: i32, xr: usize, mu: usize, w: usize, diff: usize): f64 {
  let q: f64 = 0;
  if (covType == COV_DIAG) {
    for (let f = 0; f < d; f++) {
      const e = (<f64>load<f32>(xr + (<usize>f << 2)) - f64At(mu, f)) * f64At(w, f);
      q += e * e;
    }
  } else if (covType == COV_SPHERICAL) {
    for (let f = 0; f < d; f++) {
      const e = <f64>load<f32>(xr + (<usize>f << 2)) - f64At(mu, f);
      q += e * e;
    }
    const p = load<f64>(w);
    q *= p * p;
  } else { // COV_FULL, COV_TIED
    for (let f = 0; f < d; f++) setF64(diff, f, <f64>load<f32>(xr + (<usize>f << 2)) - f64At(mu, f));
    for (let a = 0; a < d; a++) {
      const wa = w + (<usize>(a * d) << 3);
      let y: f64 = 0;
      for (let b = 0; b <= a; b++) y += f64At(wa, b) * f64At(diff, b);
      q += y * y;
    }
  }
  return q;
}

// Floats per component of `prec` for a covariance type (0 for COV_TIED: one shared W).
// @ts-ignore: decorator
@inline function precSize(d: i32, covType: i32): i32 {
  return covType == COV_FULL ? d * d : covType == COV_DIAG ? d : covType == COV_TIED ? 0 : 1;
}

// The E-step. For every row: lp_j = log π_j + log N(x | μ_j, Σ_j),
// logProbNorm[i] = log Σ_j exp(lp_j) (n f64, skipped if 0), resp[i, j] =
// exp(lp_j − logProbNorm[i]) (skipped if resp is 0). Returns Σ_i w_i·logProbNorm[i]
// (weights n f64, or 0 for all 1). scratch: (d + k) f64.
export function gmmEStep(
  n: i32, d: i32, k: i32, covType: i32, x: usize, means: usize, prec: usize, logDet: usize, logWeights: usize,
  resp: usize, logProbNorm: usize, scratch: usize, weights: usize,
): f64 {
  const diff = scratch, lp = scratch + (<usize>d << 3);
  const ps = precSize(d, covType);
  const half = <f64>d * LOG_2PI;
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const xr = x + (<usize>(i * d) << 2);
    let m: f64 = -Infinity;
    for (let j = 0; j < k; j++) {
      const q = quadForm(d, covType, xr, means + (<usize>(j * d) << 3), prec + (<usize>(j * ps) << 3), diff);
      const v = -0.5 * (half + q) + f64At(logDet, j) + f64At(logWeights, j);
      setF64(lp, j, v);
      if (v > m) m = v;
    }
    let s: f64 = 0;
    for (let j = 0; j < k; j++) s += Math.exp(f64At(lp, j) - m);
    const lse = m + Math.log(s);
    if (logProbNorm != 0) setF64(logProbNorm, i, lse);
    if (resp != 0) {
      const rr = resp + (<usize>(i * k) << 3);
      for (let j = 0; j < k; j++) setF64(rr, j, Math.exp(f64At(lp, j) - lse));
    }
    total += weightOf(weights, i) * lse;
  }
  return total;
}

// Responsibilities are differences of log-likelihoods, each computed with a
// rounding error that grows with its size: far enough from the components (|x| of
// 1e17 against means 10 apart), f64 cannot tell two of them apart, and the E-step
// above gives a component picked by rounding, or [1, 1] (the log-sum-exp absorbs
// log 2). gmmUnresolvedRow finds such a row so that predict refuses it.
//
// With u = UNIT_ROUNDOFF (f64's 2^-53), a log-likelihood lp's rounding error is
// below (2d + 6)·u·B + 4u·|lp|, where B is ‖W (x − μ)‖² itself for diag and
// spherical, and Σ_a (Σ_b |W_ab|·|x_b − μ_b|)² for full and tied (whose terms can
// cancel): about twice the first-order bound. A row is unresolved when two
// components' log-likelihoods lie within their errors plus NEGLIGIBLE (beyond it
// the smaller responsibility is below e^-37, under f64's epsilon) and those errors
// reach RESOLUTION (so that probabilities are right to ~1e-6, and a far row lying
// between two components is still resolved).
// @ts-ignore: decorator
@inline const UNIT_ROUNDOFF: f64 = 1.1102230246251565e-16;
// @ts-ignore: decorator
@inline const RESOLUTION: f64 = 9.5367431640625e-7; // 2^-20
// @ts-ignore: decorator
@inline const NEGLIGIBLE: f64 = 37;

// Σ_a (Σ_b |W_ab|·|diff_b|)² for a lower-triangular W (d × d): the bound B for full and tied.
// @ts-ignore: decorator
@inline function absQuadForm(d: i32, w: usize, diff: usize): f64 {
  let b: f64 = 0;
  for (let a = 0; a < d; a++) {
    const wa = w + (<usize>(a * d) << 3);
    let s: f64 = 0;
    for (let c = 0; c <= a; c++) s += Math.abs(f64At(wa, c)) * Math.abs(f64At(diff, c));
    b += s * s;
  }
  return b;
}

// The first row (of n centred rows x, as for gmmEStep) whose responsibilities f64
// cannot resolve (see above), or −1. Rows within a radius of the origin, where no
// component's error can reach RESOLUTION / 2, cost d operations: the radius comes
// from B ≤ ΣW²·‖x − μ_j‖² (Cauchy–Schwarz) and |lp_j| ≤ ½(d·log 2π + B) + |log det W_j| + |log π_j|.
// scratch: (d + 2k) f64.
export function gmmUnresolvedRow(
  n: i32, d: i32, k: i32, covType: i32, x: usize, means: usize, prec: usize, logDet: usize, logWeights: usize, scratch: usize,
): i32 {
  const diff = scratch, lp = scratch + (<usize>d << 3), err = lp + (<usize>k << 3);
  const ps = precSize(d, covType);
  const half = <f64>d * LOG_2PI;
  const perB = <f64>(2 * d + 6) * UNIT_ROUNDOFF;
  const full = covType == COV_FULL || covType == COV_TIED;
  // The largest squared norm within which every row is resolved (−1: none).
  let safe: f64 = Infinity;
  for (let j = 0; j < k; j++) {
    const w = prec + (<usize>(j * ps) << 3), mu = means + (<usize>(j * d) << 3);
    let g: f64 = 0, mu2: f64 = 0;
    const entries = full ? d * d : covType == COV_DIAG ? d : 1;
    for (let t = 0; t < entries; t++) g += f64At(w, t) * f64At(w, t);
    for (let f = 0; f < d; f++) mu2 += f64At(mu, f) * f64At(mu, f);
    const constant = 0.5 * half + Math.abs(f64At(logDet, j)) + Math.abs(f64At(logWeights, j));
    const budget = 0.5 * RESOLUTION - 4 * UNIT_ROUNDOFF * constant;
    const r = budget > 0 ? Math.sqrt(budget / ((perB + 2 * UNIT_ROUNDOFF) * g)) - Math.sqrt(mu2) : -1;
    safe = Math.min(safe, r > 0 ? r * r : -1);
  }
  for (let i = 0; i < n; i++) {
    const xr = x + (<usize>(i * d) << 2);
    let x2: f64 = 0;
    for (let f = 0; f < d; f++) { const v = <f64>load<f32>(xr + (<usize>f << 2)); x2 += v * v; }
    if (x2 <= safe) continue;
    let m: f64 = -Infinity, best = 0;
    for (let j = 0; j < k; j++) {
      const w = prec + (<usize>(j * ps) << 3);
      const q = quadForm(d, covType, xr, means + (<usize>(j * d) << 3), w, diff);
      const v = -0.5 * (half + q) + f64At(logDet, j) + f64At(logWeights, j);
      setF64(lp, j, v);
      setF64(err, j, perB * (full ? absQuadForm(d, w, diff) : q) + 4 * UNIT_ROUNDOFF * Math.abs(v));
      if (v > m) { m = v; best = j; }
    }
    for (let j = 0; j < k; j++) {
      if (j == best) continue;
      const e = f64At(err, best) + f64At(err, j);
      if (e >= RESOLUTION && m - f64At(lp, j) < e + NEGLIGIBLE) return i;
    }
  }
  return -1;
}

// The M-step from responsibilities (scikit-learn's _estimate_gaussian_parameters
// and _compute_precision_cholesky), two passes in f64, with r_ij = w_i·resp_ij
// (weights n f64, or 0 for all 1):
//   nk_j = Σ_i r_ij + 10·eps;   π_j = nk_j / Σ nk;   μ_j = Σ_i r_ij x_i / nk_j
//   COV_FULL       Σ_j = Σ_i r_ij (x_i − μ_j)(x_i − μ_j)ᵀ / nk_j + regCovar·I
//   COV_TIED       Σ = (Σ_i w_i x_i x_iᵀ − Σ_j nk_j μ_j μ_jᵀ) / Σ_j nk_j + regCovar·I,
//                  scikit-learn's expansion: every row counts once in the first
//                  term whatever its responsibilities sum to (they sum to 1 after
//                  an E-step; not after a start from k chosen rows)
//   COV_DIAG       σ²_jf = Σ_i r_ij (x_if − μ_jf)² / nk_j + regCovar
//   COV_SPHERICAL  σ²_j = mean over f of the diagonal σ²_jf (regCovar included)
// then prec, logDet and logWeights as described at the top. Writes nk (k f64),
// means, covariances (k × d × d for full, d × d for tied, k × d for diag, k for
// spherical, but k × d of room for spherical) and the rest.
// Returns 0, or j + 1 when component j's covariance (for COV_TIED, the shared
// one: 1) is not positive definite (a Cholesky pivot ≤ 0, or a variance ≤ 0 for
// diag/spherical); the parameters are then partly written and must not be used.
// scratch: d f64.
export function gmmMStep(
  n: i32, d: i32, k: i32, covType: i32, x: usize, resp: usize, regCovar: f64,
  nk: usize, means: usize, covariances: usize, prec: usize, logDet: usize, logWeights: usize, scratch: usize,
  weights: usize,
): i32 {
  for (let j = 0; j < k; j++) setF64(nk, j, 0);
  memory.fill(means, 0, <usize>(k * d) << 3);
  gmmMStepSums(n, d, k, x, resp, weights, nk, means);
  gmmMStepMeans(d, k, nk, means);
  memory.fill(covariances, 0, <usize>gmmScatterSize(d, k, covType) << 3);
  gmmMStepScatter(n, d, k, covType, x, resp, weights, means, covariances, scratch);
  return gmmMStepFinish(d, k, covType, regCovar, nk, means, covariances, prec, logDet, logWeights);
}

// The M-step in parts, so that its sums over rows can be split in chunks of rows
// (src/threads/parallel.ts): gmmMStep is exactly
//   nk, means = 0; gmmMStepSums(all rows); gmmMStepMeans;
//   acc = 0 (gmmScatterSize f64); gmmMStepScatter(all rows); gmmMStepFinish
// and a chunked M-step runs the two row passes per chunk, each chunk into its own
// zeroed sums, added in chunk order before the next part.

// f64 of the second pass's accumulator: k × d × d (full, the lower triangles),
// k × d (diag and spherical: the diagonals), d × d (tied: Σ w x xᵀ, its lower triangle).
export function gmmScatterSize(d: i32, k: i32, covType: i32): i32 {
  return covType == COV_FULL ? k * d * d : covType == COV_TIED ? d * d : k * d;
}

// The first pass over n rows: nk[j] += Σ_i r_ij, sums[j] += Σ_i r_ij x_i (k f64, k × d f64), r_ij = w_i·resp_ij.
export function gmmMStepSums(n: i32, d: i32, k: i32, x: usize, resp: usize, weights: usize, nk: usize, sums: usize): void {
  for (let i = 0; i < n; i++) {
    const xr = x + (<usize>(i * d) << 2);
    const rr = resp + (<usize>(i * k) << 3);
    const w = weightOf(weights, i);
    for (let j = 0; j < k; j++) {
      const r = f64At(rr, j) * w;
      setF64(nk, j, f64At(nk, j) + r);
      if (r == 0) continue;
      const mu = sums + (<usize>(j * d) << 3);
      for (let f = 0; f < d; f++) setF64(mu, f, f64At(mu, f) + r * <f64>load<f32>(xr + (<usize>f << 2)));
    }
  }
}

// nk_j += 10·eps; means_j = sums_j / nk_j, in place.
export function gmmMStepMeans(d: i32, k: i32, nk: usize, means: usize): void {
  for (let j = 0; j < k; j++) {
    const v = f64At(nk, j) + 10 * EPS;
    setF64(nk, j, v);
    const mu = means + (<usize>(j * d) << 3);
    const inv = 1.0 / v;
    for (let f = 0; f < d; f++) setF64(mu, f, f64At(mu, f) * inv);
  }
}

// The second pass over n rows, added into acc (gmmScatterSize f64): the scatter
// about the new means per component (full: lower triangles; diag and spherical:
// diagonals), or for tied Σ_i w_i x_i x_iᵀ (lower triangle). scratch: d f64.
export function gmmMStepScatter(
  n: i32, d: i32, k: i32, covType: i32, x: usize, resp: usize, weights: usize, means: usize, acc: usize, scratch: usize,
): void {
  if (covType == COV_TIED) {
    for (let i = 0; i < n; i++) {
      const xr = x + (<usize>(i * d) << 2);
      const w = weightOf(weights, i);
      if (w == 0) continue;
      for (let a = 0; a < d; a++) {
        const wa = w * <f64>load<f32>(xr + (<usize>a << 2));
        const ca = acc + (<usize>(a * d) << 3);
        for (let b = 0; b <= a; b++) setF64(ca, b, f64At(ca, b) + wa * <f64>load<f32>(xr + (<usize>b << 2)));
      }
    }
    return;
  }
  const diff = scratch;
  const cs = covType == COV_FULL ? d * d : d;
  for (let i = 0; i < n; i++) {
    const xr = x + (<usize>(i * d) << 2);
    const rr = resp + (<usize>(i * k) << 3);
    const w = weightOf(weights, i);
    for (let j = 0; j < k; j++) {
      const r = f64At(rr, j) * w;
      if (r == 0) continue;
      const mu = means + (<usize>(j * d) << 3);
      for (let f = 0; f < d; f++) setF64(diff, f, <f64>load<f32>(xr + (<usize>f << 2)) - f64At(mu, f));
      const c = acc + (<usize>(j * cs) << 3);
      if (covType == COV_FULL) {
        for (let a = 0; a < d; a++) {
          const ra = r * f64At(diff, a);
          const ca = c + (<usize>(a * d) << 3);
          for (let b = 0; b <= a; b++) setF64(ca, b, f64At(ca, b) + ra * f64At(diff, b));
        }
      } else {
        for (let f = 0; f < d; f++) {
          const e = f64At(diff, f);
          setF64(c, f, f64At(c, f) + r * e * e);
        }
      }
    }
  }
}

// The covariances from the second pass's sums (in `covariances`), then prec,
// logDet and logWeights; returns as gmmMStep does.
export function gmmMStepFinish(
  d: i32, k: i32, covType: i32, regCovar: f64, nk: usize, means: usize, covariances: usize, prec: usize, logDet: usize, logWeights: usize,
): i32 {
  const ps = precSize(d, covType);
  let mass: f64 = 0;
  for (let j = 0; j < k; j++) mass += f64At(nk, j);
  if (covType == COV_TIED) return tiedCovariance(d, k, regCovar, nk, mass, means, covariances, prec, logDet, logWeights);
  const cs = covType == COV_FULL ? d * d : d;
  for (let j = 0; j < k; j++) {
    const inv = 1.0 / f64At(nk, j);
    const c = covariances + (<usize>(j * cs) << 3);
    const w = prec + (<usize>(j * ps) << 3);
    setF64(logWeights, j, Math.log(f64At(nk, j) / mass));
    if (covType == COV_FULL) {
      // Normalize, regularize, mirror the lower triangle.
      for (let a = 0; a < d; a++) {
        for (let b = 0; b <= a; b++) {
          let v = f64At(c, a * d + b) * inv;
          if (a == b) v += regCovar;
          setF64(c, a * d + b, v);
          setF64(c, b * d + a, v);
        }
      }
      const ld = choleskyInverse(d, c, w);
      if (ld != ld) return j + 1; // NaN: not positive definite
      setF64(logDet, j, ld);
    } else if (covType == COV_DIAG) {
      let ld: f64 = 0;
      for (let f = 0; f < d; f++) {
        const v = f64At(c, f) * inv + regCovar;
        if (!(v > 0)) return j + 1;
        setF64(c, f, v);
        const p = 1.0 / Math.sqrt(v);
        setF64(w, f, p);
        ld += Math.log(p);
      }
      setF64(logDet, j, ld);
    } else {
      let s: f64 = 0;
      for (let f = 0; f < d; f++) s += f64At(c, f) * inv + regCovar;
      const v = s / <f64>d;
      if (!(v > 0)) return j + 1;
      const p = 1.0 / Math.sqrt(v);
      setF64(w, 0, p);
      setF64(logDet, j, <f64>d * Math.log(p));
    }
  }
  if (covType == COV_SPHERICAL) {
    // Compact the per-component variances to the first k slots: σ²_j = 1/p_j².
    for (let j = 0; j < k; j++) {
      const p = f64At(prec, j);
      setF64(covariances, j, 1.0 / (p * p));
    }
  }
  return 0;
}

// COV_TIED's covariance and its W from Σ_i w_i x_i x_iᵀ (the lower triangle, in c); `mass` is Σ nk.
function tiedCovariance(
  d: i32, k: i32, regCovar: f64, nk: usize, mass: f64,
  means: usize, c: usize, prec: usize, logDet: usize, logWeights: usize,
): i32 {
  for (let j = 0; j < k; j++) {
    const mu = means + (<usize>(j * d) << 3);
    const m = f64At(nk, j);
    for (let a = 0; a < d; a++) {
      const ma = m * f64At(mu, a);
      const ca = c + (<usize>(a * d) << 3);
      for (let b = 0; b <= a; b++) setF64(ca, b, f64At(ca, b) - ma * f64At(mu, b));
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = 0; b <= a; b++) {
      let v = f64At(c, a * d + b) / mass;
      if (a == b) v += regCovar;
      setF64(c, a * d + b, v);
      setF64(c, b * d + a, v);
    }
  }
  const ld = choleskyInverse(d, c, prec);
  if (ld != ld) return 1;
  for (let j = 0; j < k; j++) {
    setF64(logDet, j, ld);
    setF64(logWeights, j, Math.log(f64At(nk, j) / mass));
  }
  return 0;
}

// prec and logDet from given precision matrices (scikit-learn's precisions_init):
//   COV_FULL   k × d × d, COV_TIED d × d: each P symmetric positive definite; W is
//              the lower-triangular factor with Wᵀ·W = P (so ‖W(x − μ)‖² =
//              (x − μ)ᵀ P (x − μ)), from the Cholesky factor M of P with rows and
//              columns reversed: P = U·Uᵀ with U = J·M·J upper, W = Uᵀ — the same
//              W as gmmMStep's L⁻¹ for P = Σ⁻¹;
//   COV_DIAG   k × d precisions, COV_SPHERICAL k: W = √p.
// Returns 0, or j + 1 when P_j is not positive definite (for COV_TIED: 1).
// scratch: d × d f64.
export function gmmPrecisionsCholesky(d: i32, k: i32, covType: i32, precisions: usize, prec: usize, logDet: usize, scratch: usize): i32 {
  if (covType == COV_DIAG || covType == COV_SPHERICAL) {
    const ps = covType == COV_DIAG ? d : 1;
    for (let j = 0; j < k; j++) {
      let ld: f64 = 0;
      for (let f = 0; f < ps; f++) {
        const p = f64At(precisions, j * ps + f);
        if (!(p > 0) || !isFinite(p)) return j + 1;
        const w = Math.sqrt(p);
        setF64(prec, j * ps + f, w);
        ld += Math.log(w);
      }
      setF64(logDet, j, covType == COV_DIAG ? ld : <f64>d * ld);
    }
    return 0;
  }
  const blocks = covType == COV_TIED ? 1 : k;
  const m = scratch;
  for (let j = 0; j < blocks; j++) {
    const p = precisions + (<usize>(j * d * d) << 3);
    const w = prec + (<usize>(j * d * d) << 3);
    // M = chol(J·P·J), lower: (J·P·J)[a][b] = P[d−1−a][d−1−b].
    memory.fill(m, 0, <usize>(d * d) << 3);
    let ld: f64 = 0;
    for (let a = 0; a < d; a++) {
      for (let b = 0; b <= a; b++) {
        let s = f64At(p, (d - 1 - a) * d + (d - 1 - b));
        for (let t = 0; t < b; t++) s -= f64At(m, a * d + t) * f64At(m, b * d + t);
        if (a == b) {
          if (!(s > 0) || !isFinite(s)) return j + 1;
          setF64(m, a * d + a, Math.sqrt(s));
          ld += Math.log(f64At(m, a * d + a));
        } else {
          setF64(m, a * d + b, s / f64At(m, b * d + b));
        }
      }
    }
    // W[a][b] = U[b][a] = M[d−1−b][d−1−a] (lower: b ≤ a).
    memory.fill(w, 0, <usize>(d * d) << 3);
    for (let a = 0; a < d; a++) {
      for (let b = 0; b <= a; b++) setF64(w, a * d + b, f64At(m, (d - 1 - b) * d + (d - 1 - a)));
    }
    if (covType == COV_TIED) {
      for (let t = 0; t < k; t++) setF64(logDet, t, ld);
    } else {
      setF64(logDet, j, ld);
    }
  }
  return 0;
}

// n rows drawn from the mixture (scikit-learn's sample): a component for each row
// with probability weights_j (k f64 mixing weights summing to 1; a multinomial
// count per component), then the rows grouped by component in order, each
// μ_j + z/σ (diag, spherical: σ = 1/W) or μ_j + W⁻¹z (full, tied: forward
// substitution with the lower-triangular W, so Cov = W⁻¹W⁻ᵀ = Σ) with z
// standard normal in f64 (Box–Muller on 53-bit uniforms). out: n × d f64;
// labels: n i32 (the component of each row); scratch: 2·d + 2 f64 + k i32.
export function gmmSample(
  rng: usize, n: i32, d: i32, k: i32, covType: i32, means: usize, prec: usize, weights: usize,
  out: usize, labels: usize, scratch: usize,
): void {
  const z = scratch, counts = scratch + (<usize>(2 * d + 2) << 3);
  memory.fill(counts, 0, <usize>k << 2);
  let total: f64 = 0;
  for (let j = 0; j < k; j++) total += f64At(weights, j);
  for (let i = 0; i < n; i++) {
    const target = uniform53(rng) * total;
    let acc: f64 = 0;
    let j = 0;
    for (; j < k - 1; j++) {
      acc += f64At(weights, j);
      if (acc > target) break;
    }
    store<i32>(counts + (<usize>j << 2), load<i32>(counts + (<usize>j << 2)) + 1);
  }
  const ps = precSize(d, covType);
  let i = 0;
  for (let j = 0; j < k; j++) {
    const mu = means + (<usize>(j * d) << 3);
    const w = prec + (<usize>(j * ps) << 3);
    const cnt = load<i32>(counts + (<usize>j << 2));
    for (let c = 0; c < cnt; c++, i++) {
      for (let f = 0; f < d; f += 2) {
        // 1 − u is in (0, 1]: log is finite.
        const r = Math.sqrt(-2.0 * Math.log(1.0 - uniform53(rng)));
        const theta = 2.0 * Math.PI * uniform53(rng);
        setF64(z, f, r * Math.cos(theta));
        setF64(z, f + 1, r * Math.sin(theta));
      }
      const o = out + (<usize>(i * d) << 3);
      if (covType == COV_DIAG || covType == COV_SPHERICAL) {
        for (let f = 0; f < d; f++) setF64(o, f, f64At(mu, f) + f64At(z, f) / f64At(w, covType == COV_DIAG ? f : 0));
      } else {
        for (let a = 0; a < d; a++) {
          let s = f64At(z, a);
          for (let b = 0; b < a; b++) s -= f64At(w, a * d + b) * f64At(o, b);
          setF64(o, a, s / f64At(w, a * d + a));
        }
        for (let a = 0; a < d; a++) setF64(o, a, f64At(o, a) + f64At(mu, a));
      }
      store<i32>(labels + (<usize>i << 2), j);
    }
  }
}

// Cholesky Σ = L·Lᵀ of the d × d symmetric matrix at c (read-only), then
// W = L⁻¹ (lower triangular, zeros above) into w. Returns log det W = −Σ log L_aa,
// or NaN if a pivot is ≤ 0 or not finite.
function choleskyInverse(d: i32, c: usize, w: usize): f64 {
  // L into w first (lower triangle), then invert it in place column by column
  // using the identity L·W = I solved by forward substitution into a copy.
  memory.fill(w, 0, <usize>(d * d) << 3);
  for (let a = 0; a < d; a++) {
    for (let b = 0; b <= a; b++) {
      let s = f64At(c, a * d + b);
      for (let t = 0; t < b; t++) s -= f64At(w, a * d + t) * f64At(w, b * d + t);
      if (a == b) {
        if (!(s > 0) || !isFinite(s)) return NaN;
        setF64(w, a * d + a, Math.sqrt(s));
      } else {
        setF64(w, a * d + b, s / f64At(w, b * d + b));
      }
    }
  }
  let ld: f64 = 0;
  for (let a = 0; a < d; a++) ld -= Math.log(f64At(w, a * d + a));
  // Invert the lower-triangular L in place: for each row a (top to bottom),
  // W[a][a] = 1/L[a][a], W[a][b] = −(Σ_{t=b}^{a−1} L[a][t]·W[t][b]) / L[a][a] for b < a.
  // Rows above a already hold W, row a still holds L: compute row a's W from
  // right to left needs L[a][t] for t ≥ b, which are only overwritten once used.
  for (let a = 0; a < d; a++) {
    const laa = f64At(w, a * d + a);
    for (let b = 0; b < a; b++) {
      let s: f64 = 0;
      for (let t = b; t < a; t++) s += f64At(w, a * d + t) * f64At(w, t * d + b);
      // W[a][b] is stored where L[a][b] was; L[a][b] is needed only for t = b,
      // which this sum has just used, and by no later b (they start at t = b' > b).
      setF64(w, a * d + b, -s / laa);
    }
    setF64(w, a * d + a, 1.0 / laa);
  }
  return ld;
}

// resp[i, j] = 1 if labels[i] == j else 0 (n × k f64): EM's start from k-means labels.
export function gmmRespFromLabels(n: i32, k: i32, labels: usize, resp: usize): void {
  memory.fill(resp, 0, <usize>(n * k) << 3);
  for (let i = 0; i < n; i++) setF64(resp, i * k + load<i32>(labels + (<usize>i << 2)), 1);
}

// resp[i, :] = u_i / Σ u_i with u uniform in [0, 1) (53 bits): scikit-learn's 'random' start.
export function gmmRespRandom(rng: usize, n: i32, k: i32, resp: usize): void {
  for (let i = 0; i < n; i++) {
    let s: f64 = 0;
    for (let j = 0; j < k; j++) {
      const u = uniform53(rng);
      setF64(resp, i * k + j, u);
      s += u;
    }
    const inv = 1.0 / s;
    for (let j = 0; j < k; j++) setF64(resp, i * k + j, f64At(resp, i * k + j) * inv);
  }
}
