// Plain f64 references for the clustering kernels and models. Written for
// clarity, not speed: they define the semantics the tests hold the kernels to.

/** uniform53 of assembly/kmeans.ts (53 bits from two draws) over a reference xoshiro stream (nn-reference's XoshiroRef). */
export function uniform53Ref(rng) {
  const hi = rng.next() >>> 5, lo = rng.next() >>> 6;
  return (hi * 67108864 + lo) / 9007199254740992;
}

/**
 * gmmSample of assembly/gmm.ts in plain f64 over a reference xoshiro stream: a
 * component per row by the weights (counted, then the rows grouped by
 * component), each row μ + z/W (diag, spherical) or μ + W⁻¹z (full, tied; W
 * lower triangular), z by Box–Muller on 53-bit uniforms. prec: the kernels' W
 * (per component: d × d, d or 1 numbers; tied: one d × d for all).
 */
export function gmmSampleRef(rng, n, d, k, type, means, prec, weights) {
  const counts = new Array(k).fill(0);
  const total = weights.reduce((s, v) => s + v, 0);
  for (let i = 0; i < n; i++) {
    const target = uniform53Ref(rng) * total;
    let acc = 0, j = 0;
    for (; j < k - 1; j++) {
      acc += weights[j];
      if (acc > target) break;
    }
    counts[j]++;
  }
  const out = new Float64Array(n * d), labels = new Int32Array(n);
  const per = type === 'full' ? d * d : type === 'tied' ? 0 : type === 'diag' ? d : 1;
  let i = 0;
  for (let j = 0; j < k; j++) {
    for (let c = 0; c < counts[j]; c++, i++) {
      const z = [];
      for (let f = 0; f < d; f += 2) {
        const r = Math.sqrt(-2 * Math.log(1 - uniform53Ref(rng)));
        const theta = 2 * Math.PI * uniform53Ref(rng);
        z.push(r * Math.cos(theta), r * Math.sin(theta));
      }
      const w = prec.subarray(j * per, j * per + (per || d * d));
      const y = new Float64Array(d);
      for (let a = 0; a < d; a++) {
        if (type === 'diag' || type === 'spherical') { y[a] = z[a] / w[type === 'diag' ? a : 0]; continue; }
        let s = z[a];
        for (let b = 0; b < a; b++) s -= w[a * d + b] * y[b];
        y[a] = s / w[a * d + a];
      }
      for (let a = 0; a < d; a++) out[i * d + a] = means[j * d + a] + y[a];
      labels[i] = j;
    }
  }
  return { out, labels };
}

/** Seeded standard normals (Box–Muller over a small LCG), as a Float64Array. */
export function seededNormals(n, seed) {
  const out = new Float64Array(n);
  let s = (seed * 2654435761 + 12345) >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u()));
    const t = 2 * Math.PI * u();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

/** Squared distance between row i of x (n × d) and row j of c (· × d), in f64. */
export function sqDist(x, i, c, j, d) {
  let s = 0;
  for (let f = 0; f < d; f++) {
    const e = x[i * d + f] - c[j * d + f];
    s += e * e;
  }
  return s;
}

/**
 * Nearest centre of every row (ties: the lowest index) with exact f64 distances.
 * Also returns, per row, the gap between the second-nearest and nearest squared
 * distance relative to the row's scale (for checking a test is not decided by rounding).
 */
export function assignRef(x, n, d, c, k) {
  const labels = new Int32Array(n), dist = new Float64Array(n);
  let minGap = Infinity;
  for (let i = 0; i < n; i++) {
    let best = Infinity, second = Infinity, bj = -1;
    for (let j = 0; j < k; j++) {
      const v = sqDist(x, i, c, j, d);
      if (v < best) { second = best; best = v; bj = j; } else if (v < second) second = v;
    }
    labels[i] = bj;
    dist[i] = best;
    if (k > 1) {
      let scale = 0;
      for (let f = 0; f < d; f++) scale += x[i * d + f] ** 2;
      minGap = Math.min(minGap, (second - best) / Math.max(scale, 1e-30));
    }
  }
  return { labels, dist, minGap };
}

/** Cluster sums (k × d, Σ w_i·x_i) and counts of rows by label; with weights, also their totals wsums. */
export function sumsRef(x, n, d, labels, k, weights = null) {
  const sums = new Float64Array(k * d), counts = new Int32Array(k), wsums = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i] : 1;
    counts[labels[i]]++;
    wsums[labels[i]] += w;
    for (let f = 0; f < d; f++) sums[labels[i] * d + f] += w * x[i * d + f];
  }
  return { sums, counts, wsums };
}

/**
 * The empty-cluster relocation documented in assembly/kmeans.ts: each empty
 * cluster (in index order) takes the row with the largest distance to its centre
 * (ties: lowest row) among rows whose cluster has more than one row. With
 * weights (and wsums from sumsRef): empty means weight 0, and a row qualifies
 * when it weighs > 0 and its cluster keeps weight > 0 without it; it moves with
 * its weight. Mutates sums, counts, wsums and dist (taken rows get −1).
 */
export function relocateRef(x, n, d, k, labels, dist, sums, counts, weights = null, wsums = null) {
  for (let j = 0; j < k; j++) {
    if (weights ? wsums[j] > 0 : counts[j] !== 0) continue;
    let far = -1, farDist = -1;
    for (let i = 0; i < n; i++) {
      if (!(dist[i] > farDist)) continue;
      const ok = weights ? weights[i] > 0 && wsums[labels[i]] - weights[i] > 0 : counts[labels[i]] > 1;
      if (ok) { farDist = dist[i]; far = i; }
    }
    if (far < 0) break;
    const old = labels[far], w = weights ? weights[far] : 1;
    for (let f = 0; f < d; f++) {
      sums[old * d + f] -= w * x[far * d + f];
      sums[j * d + f] = w * x[far * d + f];
    }
    counts[old]--;
    counts[j] = 1;
    if (weights) { wsums[old] -= w; wsums[j] = w; }
    dist[far] = -1;
  }
}

/**
 * Lloyd's algorithm in f64 with scikit-learn's stopping rules (see
 * src/cluster/kmeans.ts): strict convergence when no label changes, else stop
 * when Σ‖Δc‖² ≤ tolAbs; a final assignment if not strictly converged; inertia
 * exact. x: n × d (already centred if the model centres; the reference works
 * in whatever coordinates it is given). weights (n, optional): centres are
 * weighted means, a cluster of weight 0 is empty, the inertia is weighted.
 */
export function lloydRef(x, n, d, init, k, { maxIter, tolAbs, weights = null }) {
  const c = Float64Array.from(init);
  let labels = new Int32Array(n).fill(-1);
  let strict = false, it = 0, minGap = Infinity;
  while (it < maxIter) {
    it++;
    const a = assignRef(x, n, d, c, k);
    minGap = Math.min(minGap, a.minGap);
    let changed = 0;
    for (let i = 0; i < n; i++) if (a.labels[i] !== labels[i]) changed++;
    labels = a.labels;
    if (changed === 0) { strict = true; break; }
    const { sums, counts, wsums } = sumsRef(x, n, d, labels, k, weights);
    relocateRef(x, n, d, k, labels, a.dist, sums, counts, weights, wsums);
    let shift = 0;
    for (let j = 0; j < k; j++) {
      const size = weights ? wsums[j] : counts[j];
      if (!(size > 0)) continue;
      for (let f = 0; f < d; f++) {
        const v = sums[j * d + f] / size;
        shift += (v - c[j * d + f]) ** 2;
        c[j * d + f] = v;
      }
    }
    if (shift <= tolAbs) break;
  }
  if (!strict) {
    const a = assignRef(x, n, d, c, k);
    labels = a.labels;
    minGap = Math.min(minGap, a.minGap);
  }
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += (weights ? weights[i] : 1) * sqDist(x, i, c, labels[i], d);
  // minGap: the smallest (second − nearest)/‖x‖² met in any assignment, so a
  // test can check its data leave f32 rounding no say in the labels.
  return { centers: c, labels, inertia, nIter: it, minGap };
}

/** Column means and population variances (the mean as Σ·(1/n), the kernel's rounding). */
export function colStatsRef(x, n, d) {
  const mean = new Float64Array(d), variance = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) mean[f] += x[i * d + f];
  for (let f = 0; f < d; f++) mean[f] *= 1 / n;
  for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) variance[f] += (x[i * d + f] - mean[f]) ** 2;
  for (let f = 0; f < d; f++) variance[f] *= 1 / n;
  return { mean, variance };
}

/**
 * The centre of the clustering models' frame for up to 2,048 rows: each column's
 * median, the lower one (a value of the column) for an even count.
 */
export function colMediansRef(x, n, d) {
  return Float64Array.from({ length: d }, (_, f) => Float64Array.from({ length: n }, (_2, i) => x[i * d + f]).sort()[(n - 1) >> 1]);
}

/** Cholesky factor L (lower, d × d) of a symmetric positive-definite matrix. */
export function choleskyRef(a, d) {
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j];
      for (let t = 0; t < j; t++) s -= L[i * d + t] * L[j * d + t];
      L[i * d + j] = i === j ? Math.sqrt(s) : s / L[j * d + j];
    }
  }
  return L;
}

/**
 * log N(x | μ, Σ) for a full covariance, by solving L·z = x − μ (forward
 * substitution: a different route from the kernel's stored L⁻¹).
 */
export function logGaussFull(x, mu, cov, d) {
  const L = choleskyRef(cov, d);
  const z = new Float64Array(d);
  let logDet = 0;
  for (let i = 0; i < d; i++) {
    let s = x[i] - mu[i];
    for (let t = 0; t < i; t++) s -= L[i * d + t] * z[t];
    z[i] = s / L[i * d + i];
    logDet += 2 * Math.log(L[i * d + i]);
  }
  let q = 0;
  for (let i = 0; i < d; i++) q += z[i] * z[i];
  return -0.5 * (d * Math.log(2 * Math.PI) + logDet + q);
}

/** A d × d covariance from a GaussianMixture covariance entry of any type. */
export function fullCov(type, entry, d) {
  const c = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < d; b++) {
      if (type === 'full') c[a * d + b] = entry[a][b];
      else if (a === b) c[a * d + b] = type === 'diag' ? entry[a] : entry;
    }
  }
  return c;
}

/** log Σ_j π_j N(x | μ_j, Σ_j) for every row, from plain parameters (log-sum-exp). */
export function mixtureLogDensityRef(x, n, d, weights, means, covs) {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = x.subarray(i * d, (i + 1) * d);
    const lp = weights.map((w, j) => Math.log(w) + logGaussFull(row, means[j], covs[j], d));
    const m = Math.max(...lp);
    out[i] = m + Math.log(lp.reduce((s, v) => s + Math.exp(v - m), 0));
  }
  return out;
}

/**
 * The M-step from responsibilities (n × k), as assembly/gmm.ts documents it:
 * weights, means and d × d covariances (full; the caller reads the diagonal or
 * its mean for diag/spherical), regCovar added to the diagonal; `tied`, the one
 * shared covariance by scikit-learn's formula (Σ_i w_i x_i x_iᵀ − Σ_j nk_j μ_j μ_jᵀ) / Σ nk.
 * Sample weights (n, optional) multiply each row's responsibilities.
 */
export function mStepRef(x, n, d, resp, k, regCovar, weights = null) {
  const w = (i) => (weights ? weights[i] : 1);
  const nk = new Float64Array(k), means = [], covs = [];
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < n; i++) nk[j] += w(i) * resp[i * k + j];
    nk[j] += 10 * 2.220446049250313e-16;
    const mu = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) mu[f] += w(i) * resp[i * k + j] * x[i * d + f];
    for (let f = 0; f < d; f++) mu[f] /= nk[j];
    const c = new Float64Array(d * d);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < d; a++) {
        for (let b = 0; b < d; b++) c[a * d + b] += w(i) * resp[i * k + j] * (x[i * d + a] - mu[a]) * (x[i * d + b] - mu[b]);
      }
    }
    for (let a = 0; a < d * d; a++) c[a] /= nk[j];
    for (let a = 0; a < d; a++) c[a * d + a] += regCovar;
    means.push(mu);
    covs.push(c);
  }
  const total = nk.reduce((s, v) => s + v, 0);
  const tied = new Float64Array(d * d);
  for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) tied[a * d + b] += w(i) * x[i * d + a] * x[i * d + b];
  for (let j = 0; j < k; j++) for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) tied[a * d + b] -= nk[j] * means[j][a] * means[j][b];
  for (let a = 0; a < d * d; a++) tied[a] /= total;
  for (let a = 0; a < d; a++) tied[a * d + a] += regCovar;
  return { weights: Array.from(nk, (v) => v / total), means, covs, nk, tied };
}
