// Plain f64 references for the clustering kernels and models. Written for
// clarity, not speed: they define the semantics the tests hold the kernels to.

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

/** Cluster sums (k × d) and counts of rows by label. */
export function sumsRef(x, n, d, labels, k) {
  const sums = new Float64Array(k * d), counts = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    counts[labels[i]]++;
    for (let f = 0; f < d; f++) sums[labels[i] * d + f] += x[i * d + f];
  }
  return { sums, counts };
}

/**
 * scikit-learn's empty-cluster relocation as documented in assembly/kmeans.ts:
 * each empty cluster (in index order) takes the row with the largest distance to
 * its centre (ties: lowest row) among rows whose cluster has more than one row.
 * Mutates sums, counts and dist (taken rows get −1).
 */
export function relocateRef(x, n, d, k, labels, dist, sums, counts) {
  for (let j = 0; j < k; j++) {
    if (counts[j] !== 0) continue;
    let far = -1, farDist = -1;
    for (let i = 0; i < n; i++) {
      if (dist[i] > farDist && counts[labels[i]] > 1) { farDist = dist[i]; far = i; }
    }
    if (far < 0) break;
    const old = labels[far];
    for (let f = 0; f < d; f++) {
      sums[old * d + f] -= x[far * d + f];
      sums[j * d + f] = x[far * d + f];
    }
    counts[old]--;
    counts[j] = 1;
    dist[far] = -1;
  }
}

/**
 * Lloyd's algorithm in f64 with scikit-learn's stopping rules (see
 * src/cluster/kmeans.ts): strict convergence when no label changes, else stop
 * when Σ‖Δc‖² ≤ tolAbs; a final assignment if not strictly converged; inertia
 * exact. x: n × d (already centred if the model centres; the reference works
 * in whatever coordinates it is given).
 */
export function lloydRef(x, n, d, init, k, { maxIter, tolAbs }) {
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
    const { sums, counts } = sumsRef(x, n, d, labels, k);
    relocateRef(x, n, d, k, labels, a.dist, sums, counts);
    let shift = 0;
    for (let j = 0; j < k; j++) {
      if (counts[j] === 0) continue;
      for (let f = 0; f < d; f++) {
        const v = sums[j * d + f] / counts[j];
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
  for (let i = 0; i < n; i++) inertia += sqDist(x, i, c, labels[i], d);
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
 * its mean for diag/spherical), regCovar added to the diagonal.
 */
export function mStepRef(x, n, d, resp, k, regCovar) {
  const nk = new Float64Array(k), means = [], covs = [];
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < n; i++) nk[j] += resp[i * k + j];
    nk[j] += 10 * 2.220446049250313e-16;
    const mu = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) mu[f] += resp[i * k + j] * x[i * d + f];
    for (let f = 0; f < d; f++) mu[f] /= nk[j];
    const c = new Float64Array(d * d);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < d; a++) {
        for (let b = 0; b < d; b++) c[a * d + b] += resp[i * k + j] * (x[i * d + a] - mu[a]) * (x[i * d + b] - mu[b]);
      }
    }
    for (let a = 0; a < d * d; a++) c[a] /= nk[j];
    for (let a = 0; a < d; a++) c[a * d + a] += regCovar;
    means.push(mu);
    covs.push(c);
  }
  const total = nk.reduce((s, v) => s + v, 0);
  return { weights: Array.from(nk, (v) => v / total), means, covs, nk };
}
