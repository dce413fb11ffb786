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
//   logDet      k       log det W = −½ log det Σ
//   logWeights  k       log π_j
//
// log N(x | μ, Σ) = −½ (d·log 2π + ‖W (x − μ)‖²) + log det W, evaluated directly
// on x − μ (not expanded into x² − 2xμ + μ², which cancels). Responsibilities
// come from a max-shifted log-sum-exp, so a row far from every component still
// has finite log-likelihood and responsibilities summing to 1.
//
// Contract (checked by the TypeScript caller, trusted here): n, d, k ≥ 1;
// covType one of the COV_* codes; x n × d f32 finite; resp n × k f64; the
// parameters as above with W's diagonal > 0; scratch as each kernel says.

import { rngNextU32 } from "./rng";

export const COV_FULL: i32 = 0;
export const COV_DIAG: i32 = 1;
export const COV_SPHERICAL: i32 = 2;

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
  } else {
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

// Floats per component of `prec` for a covariance type.
// @ts-ignore: decorator
@inline function precSize(d: i32, covType: i32): i32 {
  return covType == COV_FULL ? d * d : covType == COV_DIAG ? d : 1;
}

// The E-step. For every row: lp_j = log π_j + log N(x | μ_j, Σ_j),
// logProbNorm[i] = log Σ_j exp(lp_j) (n f64, skipped if 0), resp[i, j] =
// exp(lp_j − logProbNorm[i]) (skipped if resp is 0). Returns Σ_i logProbNorm[i].
// scratch: (d + k) f64.
export function gmmEStep(
  n: i32, d: i32, k: i32, covType: i32, x: usize, means: usize, prec: usize, logDet: usize, logWeights: usize,
  resp: usize, logProbNorm: usize, scratch: usize,
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
    total += lse;
  }
  return total;
}

// The M-step from responsibilities (scikit-learn's _estimate_gaussian_parameters
// and _compute_precision_cholesky), two passes in f64:
//   nk_j = Σ_i resp_ij + 10·eps;   π_j = nk_j / Σ nk;   μ_j = Σ_i resp_ij x_i / nk_j
//   COV_FULL       Σ_j = Σ_i resp_ij (x_i − μ_j)(x_i − μ_j)ᵀ / nk_j + regCovar·I
//   COV_DIAG       σ²_jf = Σ_i resp_ij (x_if − μ_jf)² / nk_j + regCovar
//   COV_SPHERICAL  σ²_j = mean over f of the diagonal σ²_jf (regCovar included)
// then prec, logDet and logWeights as described at the top. Writes nk (k f64),
// means, covariances (k × d × d for full, k × d for diag, k for spherical, but
// k × d of room in every case but full) and the rest.
// Returns 0, or j + 1 when component j's covariance is not positive definite
// (a Cholesky pivot ≤ 0, or a variance ≤ 0 for diag/spherical); the parameters
// are then partly written and must not be used. scratch: d f64.
export function gmmMStep(
  n: i32, d: i32, k: i32, covType: i32, x: usize, resp: usize, regCovar: f64,
  nk: usize, means: usize, covariances: usize, prec: usize, logDet: usize, logWeights: usize, scratch: usize,
): i32 {
  const diff = scratch;
  const ps = precSize(d, covType);
  for (let j = 0; j < k; j++) setF64(nk, j, 0);
  memory.fill(means, 0, <usize>(k * d) << 3);
  for (let i = 0; i < n; i++) {
    const xr = x + (<usize>(i * d) << 2);
    const rr = resp + (<usize>(i * k) << 3);
    for (let j = 0; j < k; j++) {
      const r = f64At(rr, j);
      setF64(nk, j, f64At(nk, j) + r);
      if (r == 0) continue;
      const mu = means + (<usize>(j * d) << 3);
      for (let f = 0; f < d; f++) setF64(mu, f, f64At(mu, f) + r * <f64>load<f32>(xr + (<usize>f << 2)));
    }
  }
  let mass: f64 = 0;
  for (let j = 0; j < k; j++) {
    const v = f64At(nk, j) + 10 * EPS;
    setF64(nk, j, v);
    mass += v;
    const mu = means + (<usize>(j * d) << 3);
    const inv = 1.0 / v;
    for (let f = 0; f < d; f++) setF64(mu, f, f64At(mu, f) * inv);
  }
  // Second pass: scatter about the new means.
  // Per-component accumulator: d × d (full) or the d diagonal entries (diag and
  // spherical; spherical's k variances are compacted to the front at the end,
  // so its `covariances` must still have room for k × d).
  const cs = covType == COV_FULL ? d * d : d;
  memory.fill(covariances, 0, <usize>(k * cs) << 3);
  for (let i = 0; i < n; i++) {
    const xr = x + (<usize>(i * d) << 2);
    const rr = resp + (<usize>(i * k) << 3);
    for (let j = 0; j < k; j++) {
      const r = f64At(rr, j);
      if (r == 0) continue;
      const mu = means + (<usize>(j * d) << 3);
      for (let f = 0; f < d; f++) setF64(diff, f, <f64>load<f32>(xr + (<usize>f << 2)) - f64At(mu, f));
      const c = covariances + (<usize>(j * cs) << 3);
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
      const hi = <f64>(rngNextU32(rng) >>> 5), lo = <f64>(rngNextU32(rng) >>> 6);
      const u = (hi * 67108864.0 + lo) * (1.0 / 9007199254740992.0);
      setF64(resp, i * k + j, u);
      s += u;
    }
    const inv = 1.0 / s;
    for (let j = 0; j < k; j++) setF64(resp, i * k + j, f64At(resp, i * k + j) * inv);
  }
}
