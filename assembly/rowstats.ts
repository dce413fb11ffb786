// Row and column statistics of an n × d row-major f32 matrix, shared by the
// clustering kernels (assembly/kmeans.ts, assembly/gmm.ts) and the autoencoder's
// anomaly score.
//
// Contract (checked by the TypeScript caller, trusted here): n, d ≥ 1; every
// pointer covers the extent its comment gives; outputs do not overlap inputs
// unless stated. f64 pointers are 8-byte aligned.

// out[i] = Σ_j x[i, j]² (f32, 4 lanes per step; the d % 4 tail scalar); returns
// the largest (+∞ if one overflows). d = 1, 2 take 4 rows per step.
export function rowSquaredNorms(n: i32, d: i32, x: usize, out: usize): f32 {
  const row = <usize>d << 2;
  let i = 0;
  let top = f32x4.splat(0);
  if (d <= 2) {
    for (; i + 4 <= n; i += 4) {
      const p = x + <usize>i * row;
      let v = v128.load(p);
      if (d == 2) {
        const w = v128.load(p, 16);
        const a = i32x4.shuffle(v, w, 0, 2, 4, 6), b = i32x4.shuffle(v, w, 1, 3, 5, 7);
        v = f32x4.add(f32x4.mul(a, a), f32x4.mul(b, b));
      } else {
        v = f32x4.mul(v, v);
      }
      v128.store(out + (<usize>i << 2), v);
      top = f32x4.pmax(top, v);
    }
  }
  let most = max(max(f32x4.extract_lane(top, 0), f32x4.extract_lane(top, 1)),
                 max(f32x4.extract_lane(top, 2), f32x4.extract_lane(top, 3)));
  for (; i < n; i++) {
    const p = x + <usize>i * row;
    let acc = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= d; j += 4) {
      const v = v128.load(p + (<usize>j << 2));
      acc = f32x4.add(acc, f32x4.mul(v, v));
    }
    let s = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) +
            (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
    for (; j < d; j++) {
      const v = load<f32>(p + (<usize>j << 2));
      s += v * v;
    }
    store<f32>(out + (<usize>i << 2), s);
    most = max(most, s);
  }
  return most;
}

// Lanes 0, 1 (lo) or 2, 3 (hi) of 4 consecutive values of a row-major matrix with
// d ∈ {1, 2, 4} columns, as f64x2: their columns repeat every 4 values.
// @ts-ignore: decorator
@inline function periodLo(d: i32, v: usize): v128 {
  return f64x2.replace_lane(f64x2.splat(load<f64>(v)), 1, load<f64>(v + (<usize>(1 % d) << 3)));
}
// @ts-ignore: decorator
@inline function periodHi(d: i32, v: usize): v128 {
  return f64x2.replace_lane(f64x2.splat(load<f64>(v + (<usize>(2 % d) << 3))), 1, load<f64>(v + (<usize>(3 % d) << 3)));
}
// @ts-ignore: decorator
@inline function hiHalf(v: v128): v128 {
  return i32x4.shuffle(v, v, 2, 3, 0, 1);
}

// mean[j] = Σ_i x[i, j] / n and variance[j] = Σ_i (x[i, j] − mean[j])² / n
// (population variance, numpy's var), both d f64, two passes in f64 (4 columns
// at a time as two f64x2, the d % 4 tail scalar).
export function colMeanVar(n: i32, d: i32, x: usize, mean: usize, variance: usize): void {
  if (d == 1 || d == 2 || d == 4) {
    colMeanVarPeriodic(n, d, x, mean, variance);
    return;
  }
  const row = <usize>d << 2;
  memory.fill(mean, 0, <usize>d << 3);
  memory.fill(variance, 0, <usize>d << 3);
  for (let i = 0; i < n; i++) {
    const p = x + <usize>i * row;
    let j = 0;
    for (; j + 4 <= d; j += 4) {
      const v = v128.load(p + (<usize>j << 2));
      const m = mean + (<usize>j << 3);
      v128.store(m, f64x2.add(v128.load(m), f64x2.promote_low_f32x4(v)));
      v128.store(m, f64x2.add(v128.load(m, 16), f64x2.promote_low_f32x4(hiHalf(v))), 16);
    }
    for (; j < d; j++) {
      const m = mean + (<usize>j << 3);
      store<f64>(m, load<f64>(m) + <f64>load<f32>(p + (<usize>j << 2)));
    }
  }
  const inv = 1.0 / <f64>n;
  for (let j = 0; j < d; j++) store<f64>(mean + (<usize>j << 3), load<f64>(mean + (<usize>j << 3)) * inv);
  for (let i = 0; i < n; i++) {
    const p = x + <usize>i * row;
    let j = 0;
    for (; j + 4 <= d; j += 4) {
      const v = v128.load(p + (<usize>j << 2));
      const m = mean + (<usize>j << 3), q = variance + (<usize>j << 3);
      const lo = f64x2.sub(f64x2.promote_low_f32x4(v), v128.load(m));
      const hi = f64x2.sub(f64x2.promote_low_f32x4(hiHalf(v)), v128.load(m, 16));
      v128.store(q, f64x2.add(v128.load(q), f64x2.mul(lo, lo)));
      v128.store(q, f64x2.add(v128.load(q, 16), f64x2.mul(hi, hi)), 16);
    }
    for (; j < d; j++) {
      const q = variance + (<usize>j << 3);
      const e = <f64>load<f32>(p + (<usize>j << 2)) - load<f64>(mean + (<usize>j << 3));
      store<f64>(q, load<f64>(q) + e * e);
    }
  }
  for (let j = 0; j < d; j++) store<f64>(variance + (<usize>j << 3), load<f64>(variance + (<usize>j << 3)) * inv);
}

// colMeanVar for d ∈ {1, 2, 4}: the matrix as one flat run of n·d values whose
// columns repeat every 4, 8 at a time into four f64x2 sums (the row-by-row form
// kept each sum in memory, a store-to-load chain per row: 0.23 ms for 42k × 2).
function colMeanVarPeriodic(n: i32, d: i32, x: usize, mean: usize, variance: usize): void {
  const total = n * d;
  const inv = 1.0 / <f64>n;
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
  let t = 0;
  for (; t + 8 <= total; t += 8) {
    const p = x + (<usize>t << 2);
    const v = v128.load(p), w = v128.load(p, 16);
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
    s1 = f64x2.add(s1, f64x2.promote_low_f32x4(hiHalf(v)));
    s2 = f64x2.add(s2, f64x2.promote_low_f32x4(w));
    s3 = f64x2.add(s3, f64x2.promote_low_f32x4(hiHalf(w)));
  }
  const lo = f64x2.add(s0, s2), hi = f64x2.add(s1, s3);
  memory.fill(mean, 0, <usize>d << 3);
  addPeriodic(d, mean, lo, hi);
  for (let r = t; r < total; r++) {
    const m = mean + (<usize>(r % d) << 3);
    store<f64>(m, load<f64>(m) + <f64>load<f32>(x + (<usize>r << 2)));
  }
  for (let j = 0; j < d; j++) store<f64>(mean + (<usize>j << 3), load<f64>(mean + (<usize>j << 3)) * inv);
  const mLo = periodLo(d, mean), mHi = periodHi(d, mean);
  s0 = f64x2.splat(0); s1 = f64x2.splat(0); s2 = f64x2.splat(0); s3 = f64x2.splat(0);
  for (t = 0; t + 8 <= total; t += 8) {
    const p = x + (<usize>t << 2);
    const v = v128.load(p), w = v128.load(p, 16);
    const a = f64x2.sub(f64x2.promote_low_f32x4(v), mLo), b = f64x2.sub(f64x2.promote_low_f32x4(hiHalf(v)), mHi);
    const c = f64x2.sub(f64x2.promote_low_f32x4(w), mLo), e = f64x2.sub(f64x2.promote_low_f32x4(hiHalf(w)), mHi);
    s0 = f64x2.add(s0, f64x2.mul(a, a));
    s1 = f64x2.add(s1, f64x2.mul(b, b));
    s2 = f64x2.add(s2, f64x2.mul(c, c));
    s3 = f64x2.add(s3, f64x2.mul(e, e));
  }
  memory.fill(variance, 0, <usize>d << 3);
  addPeriodic(d, variance, f64x2.add(s0, s2), f64x2.add(s1, s3));
  for (let r = t; r < total; r++) {
    const q = variance + (<usize>(r % d) << 3);
    const e = <f64>load<f32>(x + (<usize>r << 2)) - load<f64>(mean + (<usize>(r % d) << 3));
    store<f64>(q, load<f64>(q) + e * e);
  }
  for (let j = 0; j < d; j++) store<f64>(variance + (<usize>j << 3), load<f64>(variance + (<usize>j << 3)) * inv);
}

// out[c] += the lanes of lo (values 0, 1 of each 4) and hi (values 2, 3) whose column is c.
// @ts-ignore: decorator
@inline function addPeriodic(d: i32, out: usize, lo: v128, hi: v128): void {
  const l0 = f64x2.extract_lane(lo, 0), l1 = f64x2.extract_lane(lo, 1);
  const h0 = f64x2.extract_lane(hi, 0), h1 = f64x2.extract_lane(hi, 1);
  if (d == 1) {
    store<f64>(out, load<f64>(out) + ((l0 + l1) + (h0 + h1)));
  } else if (d == 2) {
    store<f64>(out, load<f64>(out) + (l0 + h0));
    store<f64>(out, load<f64>(out, 8) + (l1 + h1), 8);
  } else {
    store<f64>(out, load<f64>(out) + l0);
    store<f64>(out, load<f64>(out, 8) + l1, 8);
    store<f64>(out, load<f64>(out, 16) + h0, 16);
    store<f64>(out, load<f64>(out, 24) + h1, 24);
  }
}

// out[i, j] = f32(x[i, j] − shift[j]) with shift d f64 (the difference in f64,
// rounded once); out may be x.
export function subtractColumns(n: i32, d: i32, x: usize, shift: usize, out: usize): void {
  if (d == 1 || d == 2 || d == 4) {
    // One flat run of n·d values whose columns repeat every 4.
    const total = n * d;
    const sLo = periodLo(d, shift), sHi = periodHi(d, shift);
    let t = 0;
    for (; t + 4 <= total; t += 4) {
      const v = v128.load(x + (<usize>t << 2));
      const lo = f32x4.demote_f64x2_zero(f64x2.sub(f64x2.promote_low_f32x4(v), sLo));
      const hi = f32x4.demote_f64x2_zero(f64x2.sub(f64x2.promote_low_f32x4(hiHalf(v)), sHi));
      v128.store(out + (<usize>t << 2), i32x4.shuffle(lo, hi, 0, 1, 4, 5));
    }
    for (; t < total; t++) {
      store<f32>(out + (<usize>t << 2), <f32>(<f64>load<f32>(x + (<usize>t << 2)) - load<f64>(shift + (<usize>(t % d) << 3))));
    }
    return;
  }
  const row = <usize>d << 2;
  for (let i = 0; i < n; i++) {
    const p = x + <usize>i * row, q = out + <usize>i * row;
    let j = 0;
    for (; j + 4 <= d; j += 4) {
      const v = v128.load(p + (<usize>j << 2));
      const m = shift + (<usize>j << 3);
      const lo = f32x4.demote_f64x2_zero(f64x2.sub(f64x2.promote_low_f32x4(v), v128.load(m)));
      const hi = f32x4.demote_f64x2_zero(f64x2.sub(f64x2.promote_low_f32x4(hiHalf(v)), v128.load(m, 16)));
      v128.store(q + (<usize>j << 2), i32x4.shuffle(lo, hi, 0, 1, 4, 5));
    }
    for (; j < d; j++) {
      store<f32>(q + (<usize>j << 2), <f32>(<f64>load<f32>(p + (<usize>j << 2)) - load<f64>(shift + (<usize>j << 3))));
    }
  }
}

// Statistics of the groups of rows of x (n × d f32) that labels (n i32, each in
// 0..k−1) name, in one pass, about a point of each group (ref, k × d f64: the
// fitted centres, near the groups' means, so that the variance taken as
// squares/total − (sums/total)² loses little to cancellation): total (k f64) ←
// Σ w_i over a group's rows; sums (k × d f64) ← Σ w_i·(x_i − ref); squares
// (k × d f64) ← Σ w_i·(x_i − ref)²; largest (k × d f32) ← max |x_i|. Pooled
// (k-means, whose spread is over all the columns), squares is k, over all the
// columns (Σ w_i·‖x_i − ref‖²: a row's sum stays in a register). With weights (n
// f64, else 0: each 1) a row weighing 0 (or NaN) is left out. A group without rows
// gets 0 throughout. The screen of the clustering models' rounding check
// (screenRounding in src/cluster/lloyd.ts).
export function groupStats(
  n: i32, d: i32, k: i32, x: usize, labels: usize, weights: usize, ref: usize,
  total: usize, sums: usize, squares: usize, largest: usize, pooled: i32,
): void {
  memory.fill(total, 0, <usize>k << 3);
  memory.fill(sums, 0, <usize>(k * d) << 3);
  memory.fill(squares, 0, <usize>(pooled != 0 ? k : k * d) << 3);
  memory.fill(largest, 0, <usize>(k * d) << 2);
  const row = <usize>d << 2;
  for (let i = 0; i < n; i++) {
    const w: f64 = weights == 0 ? 1.0 : load<f64>(weights + (<usize>i << 3));
    if (!(w > 0)) continue;
    const j = load<i32>(labels + (<usize>i << 2));
    store<f64>(total + (<usize>j << 3), load<f64>(total + (<usize>j << 3)) + w);
    const at = <usize>(j * d) << 3;
    const p = x + <usize>i * row, pr = ref + at, ps = sums + at;
    const wv = f64x2.splat(w);
    let f = 0;
    const pl = largest + (<usize>(j * d) << 2);
    if (pooled != 0) {
      let acc = f64x2.splat(0);
      for (; f + 4 <= d; f += 4) {
        const v = v128.load(p + (<usize>f << 2));
        const o = <usize>f << 3, l = pl + (<usize>f << 2);
        const lo = f64x2.sub(f64x2.promote_low_f32x4(v), v128.load(pr + o));
        const hi = f64x2.sub(f64x2.promote_low_f32x4(hiHalf(v)), v128.load(pr + o, 16));
        v128.store(ps + o, f64x2.add(v128.load(ps + o), f64x2.mul(wv, lo)));
        v128.store(ps + o, f64x2.add(v128.load(ps + o, 16), f64x2.mul(wv, hi)), 16);
        acc = f64x2.add(acc, f64x2.add(f64x2.mul(lo, lo), f64x2.mul(hi, hi)));
        v128.store(l, f32x4.pmax(v128.load(l), f32x4.abs(v)));
      }
      let sq = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
      for (; f < d; f++) {
        const v = load<f32>(p + (<usize>f << 2));
        const o = <usize>f << 3, l = pl + (<usize>f << 2);
        const e = <f64>v - load<f64>(pr + o);
        store<f64>(ps + o, load<f64>(ps + o) + w * e);
        sq += e * e;
        store<f32>(l, max(load<f32>(l), abs(v)));
      }
      const q = squares + (<usize>j << 3);
      store<f64>(q, load<f64>(q) + w * sq);
      continue;
    }
    const pq = squares + at;
    for (; f + 4 <= d; f += 4) {
      const v = v128.load(p + (<usize>f << 2));
      const o = <usize>f << 3, l = pl + (<usize>f << 2);
      const lo = f64x2.sub(f64x2.promote_low_f32x4(v), v128.load(pr + o));
      const hi = f64x2.sub(f64x2.promote_low_f32x4(hiHalf(v)), v128.load(pr + o, 16));
      const wlo = f64x2.mul(wv, lo), whi = f64x2.mul(wv, hi);
      v128.store(ps + o, f64x2.add(v128.load(ps + o), wlo));
      v128.store(ps + o, f64x2.add(v128.load(ps + o, 16), whi), 16);
      v128.store(pq + o, f64x2.add(v128.load(pq + o), f64x2.mul(wlo, lo)));
      v128.store(pq + o, f64x2.add(v128.load(pq + o, 16), f64x2.mul(whi, hi)), 16);
      v128.store(l, f32x4.pmax(v128.load(l), f32x4.abs(v)));
    }
    for (; f < d; f++) {
      const v = load<f32>(p + (<usize>f << 2));
      const o = <usize>f << 3, l = pl + (<usize>f << 2);
      const e = <f64>v - load<f64>(pr + o), we = w * e;
      store<f64>(ps + o, load<f64>(ps + o) + we);
      store<f64>(pq + o, load<f64>(pq + o) + we * e);
      store<f32>(l, max(load<f32>(l), abs(v)));
    }
  }
}

// out[i] = Σ_j (a[i, j] − b[i, j])² / d, accumulated in f64, stored as f32: the
// per-row mean squared error (the autoencoder's reconstruction error).
export function rowMeanSquaredError(n: i32, d: i32, a: usize, b: usize, out: usize): void {
  const row = <usize>d << 2;
  const invD = 1.0 / <f64>d;
  for (let i = 0; i < n; i++) {
    const pa = a + <usize>i * row, pb = b + <usize>i * row;
    let acc0 = f64x2.splat(0), acc1 = f64x2.splat(0);
    let j = 0;
    for (; j + 4 <= d; j += 4) {
      const o = <usize>j << 2;
      const va = v128.load(pa + o), vb = v128.load(pb + o);
      const lo = f64x2.sub(f64x2.promote_low_f32x4(va), f64x2.promote_low_f32x4(vb));
      const hi = f64x2.sub(
        f64x2.promote_low_f32x4(hiHalf(va)),
        f64x2.promote_low_f32x4(hiHalf(vb)),
      );
      acc0 = f64x2.add(acc0, f64x2.mul(lo, lo));
      acc1 = f64x2.add(acc1, f64x2.mul(hi, hi));
    }
    const acc = f64x2.add(acc0, acc1);
    let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
    for (; j < d; j++) {
      const e = <f64>load<f32>(pa + (<usize>j << 2)) - <f64>load<f32>(pb + (<usize>j << 2));
      s += e * e;
    }
    store<f32>(out + (<usize>i << 2), <f32>(s * invD));
  }
}

// The index of the first non-finite value (NaN or ±∞) among x[0 .. n), or −1:
// the input check of the clustering models, run on their f32 copy of the data
// before any other kernel sees it. v − v is 0 exactly for finite v.
export function firstNonFinite(n: i32, x: usize): i32 {
  let i = 0;
  const zero = f32x4.splat(0);
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    const a = v128.load(p), b = v128.load(p, 16), c = v128.load(p, 32), e = v128.load(p, 48);
    const bad = v128.or(
      v128.or(f32x4.ne(f32x4.sub(a, a), zero), f32x4.ne(f32x4.sub(b, b), zero)),
      v128.or(f32x4.ne(f32x4.sub(c, c), zero), f32x4.ne(f32x4.sub(e, e), zero)),
    );
    if (v128.any_true(bad)) break;
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v - v != 0) return i;
  }
  return -1;
}
