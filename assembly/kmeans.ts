// K-means kernels, driven by src/cluster/kmeans.ts.
//
// One Lloyd iteration is kmeansAssign (assignment fused with the centre sums),
// kmeansRelocateEmpty (only when a cluster received no point; then
// kmeansLabelSums after the update) and kmeansUpdate.
// Seeding: kmeansPlusPlus (greedy k-means++) or kmeansSampleDistinct (random
// rows; kmeansSampleWeighted with sample weights). Mini-batch k-means:
// kmeansSampleIndices + gatherRows + kmeansAssign + kmeansMiniBatchUpdate.
//
// Sample weights (scikit-learn's sample_weight, n f64 ≥ 0; 0 as the pointer
// means every weight is 1 and leaves that path exactly as it was): a cluster's
// centre is the weighted mean of its rows, its size the sum of their weights,
// the inertia Σ w_i‖x_i − c‖², and k-means++ draws rows with probability ∝ w
// (the first) and ∝ w·D² (the others). The weighted Lloyd step does not keep
// the centre totals incrementally: with arbitrary f64 weights, adding and
// subtracting would leave rounding residue in a cluster that has lost every row
// (a "weight" of 1e-17 dividing a sum of 1e-16); instead kmeansLabelSums rebuilds
// the totals from the labels each iteration, and a cluster is empty exactly when
// its weight total is 0.
//
// Distances (d > 4). ‖x − c‖² = ‖x‖² + ‖c‖² − 2·x·c, with x·c from the GEMM kernel on
// blocks of BLOCK rows: D = −2·X_blk·Cᵀ + ‖c‖² (alpha = −2, ‖c‖² as GEMM's bias
// row), a BLOCK × kp block that stays in L1/L2, then for each row the argmin
// over D's row and ‖x‖² added to the minimum only. The centres are padded to
// kp = k rounded up to 8 (one GEMM panel) with ‖c‖² = +∞ in the padding, so the
// GEMM runs full 4×8 tiles only and the argmin reads whole vectors; a padded
// column can never win. The expansion cancels when ‖x‖ is large beside ‖x − c‖:
// the caller centres the data (subtracts the column means) first, as
// scikit-learn does. Ties go to the lowest centre index. With d ≤ 4 features the
// distances are computed directly instead (see DIRECT_MAX_D).
//
// Centre sums are kept incrementally in f64: the caller starts from zero totals
// with every label −1, and each assignment moves only the rows whose label
// changes (subtracted from the old cluster's total, added to the new one's).
// After the first iterations few rows change, so the M-step's sums cost next
// to nothing, where summing every row again took a third of an iteration on the
// zip codes; the totals are f64 sums of f32 values, the new centres f64 → f32.
//
// Contract (checked by the TypeScript caller, trusted here): n, d, k ≥ 1; x is
// n × d f32 row-major; centres k × d f32; labels n i32; counts k i32; sums
// k × d f64 (8-byte aligned); scratch as the *ScratchBytes functions say, 16-byte
// aligned; every value finite. The random kernels take the 16-byte xoshiro state
// of assembly/rng.ts.

import { gemm } from "./gemm";
import { rngNextU32 } from "./rng";
import { ACT_IDENTITY } from "./act";

// Rows per GEMM block: 256 × kp floats of D (16 KiB at k = 16) stay in L1.
// @ts-ignore: decorator
@inline const BLOCK: i32 = 256;

// @ts-ignore: decorator
@inline function padK(k: i32): i32 {
  return (k + 7) & ~7;
}

// @ts-ignore: decorator
@inline function round4(n: i32): i32 {
  return (n + 3) & ~3;
}

// Bytes of scratch kmeansAssign and kmeansDistances need for d features and k centres.
export function kmeansScratchBytes(d: i32, k: i32): i32 {
  const kp = padK(k);
  const gemmPath = (round4(kp * d) + kp + BLOCK * kp) << 2;
  return d <= DIRECT_MAX_D ? max(gemmPath, directScratchBytes(d, k)) : gemmPath;
}

// Copies the k centres into kp zero-padded rows at cpad and writes their squared
// norms (f32, the same rounding as rowSquaredNorms) at cnorm, +∞ past k.
function prepareCenters(d: i32, k: i32, kp: i32, centers: usize, cpad: usize, cnorm: usize): void {
  const row = <usize>d << 2;
  memory.copy(cpad, centers, <usize>k * row);
  memory.fill(cpad + <usize>k * row, 0, <usize>(kp - k) * row);
  for (let j = 0; j < kp; j++) {
    if (j >= k) { store<f32>(cnorm + (<usize>j << 2), Infinity); continue; }
    const p = cpad + <usize>j * row;
    let acc = f32x4.splat(0);
    let f = 0;
    for (; f + 4 <= d; f += 4) {
      const v = v128.load(p + (<usize>f << 2));
      acc = f32x4.add(acc, f32x4.mul(v, v));
    }
    let s = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) +
            (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
    for (; f < d; f++) {
      const v = load<f32>(p + (<usize>f << 2));
      s += v * v;
    }
    store<f32>(cnorm + (<usize>j << 2), s);
  }
}

// Up to this many features, distances are computed directly (SIMD across 4
// rows at a time, see assignDirect) instead of by the GEMM: with K ≤ 4 a GEMM tile does at most
// 4 multiply steps per epilogue and its store/reload of D dominates, and the
// direct form is exact where the expansion cancels.
// @ts-ignore: decorator
@inline const DIRECT_MAX_D: i32 = 4;

// The E-step of Lloyd's algorithm, fused with the M-step's sums.
//   labels[i]  ← argmin_j ‖x_i − c_j‖² (ties: lowest j); returns how many changed
//                (set labels to −1 beforehand to count every row);
//   minDist[i] ← that squared distance (f32): for d > 4 from the GEMM expansion
//                max(0, ‖x_i‖² + ‖c‖² − 2·x_i·c), for d ≤ 4 computed directly;
//   if sums ≠ 0: sums (k × d f64) and counts (k i32) must hold the totals and
//                sizes of the clusters under the labels on entry (rows labelled
//                −1 in none: all zero when every label is −1, as kmeansLabelSums
//                writes them); each row whose label changes is moved between
//                them, so on return they hold the totals under the new labels.
// xNorms: n f32 from rowSquaredNorms(x) (read only when d > 4).
// scratch: kmeansScratchBytes(d, k).
export function kmeansAssign(
  n: i32, d: i32, k: i32, x: usize, xNorms: usize, centers: usize,
  labels: usize, minDist: usize, sums: usize, counts: usize, scratch: usize,
): i32 {
  if (d <= DIRECT_MAX_D) {
    switch (d) {
      case 1: return assignDirect1(n, k, x, centers, labels, minDist, sums, counts, scratch);
      case 2: return assignDirect2(n, k, x, centers, labels, minDist, sums, counts, scratch);
      case 3: return assignDirect3(n, k, x, centers, labels, minDist, sums, counts, scratch);
      default: return assignDirect4(n, k, x, centers, labels, minDist, sums, counts, scratch);
    }
  }
  // d > DIRECT_MAX_D: the GEMM expansion.
  const kp = padK(k);
  const cpad = scratch;
  const cnorm = cpad + (<usize>round4(kp * d) << 2);
  const dblk = cnorm + (<usize>kp << 2);
  const row = <usize>d << 2;
  prepareCenters(d, k, kp, centers, cpad, cnorm);
  let changed = 0;
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const m = min(BLOCK, n - i0);
    const xb = x + <usize>i0 * row;
    gemm(0, 1, m, kp, d, -2, xb, d, cpad, d, 0, dblk, kp, cnorm, ACT_IDENTITY);
    for (let r = 0; r < m; r++) {
      const i = i0 + r;
      const src = xb + <usize>r * row;
      const p = dblk + (<usize>(r * kp) << 2);
      // The row minimum (a min-reduction across vectors, then across lanes).
      // pmin (b < a ? b : a) is one minps; min's NaN/±0 rules would cost V8 several
      // instructions, and there is no NaN here (finite data, +∞ padding).
      let mv = v128.load(p);
      for (let c = 4; c < kp; c += 4) mv = f32x4.pmin(mv, v128.load(p + (<usize>c << 2)));
      mv = f32x4.pmin(mv, i32x4.shuffle(mv, mv, 2, 3, 0, 1));
      mv = f32x4.pmin(mv, i32x4.shuffle(mv, mv, 1, 0, 3, 2));
      const best = f32x4.extract_lane(mv, 0);
      const label = firstEqual(p, kp, mv);
      const dist = best + load<f32>(xNorms + (<usize>i << 2));
      changed += finishRow(d, i, label, select<f32>(dist, 0, dist > 0), src, labels, minDist, sums, counts);
    }
  }
  return changed;
}

// The first column of the kp floats at p equal to the minimum splatted in mv: a
// 32-column bitmask per pass, so for k ≤ 32 finding it costs no data-dependent branch.
// @ts-ignore: decorator
@inline function firstEqual(p: usize, kp: i32, mv: v128): i32 {
  let label = 0;
  for (let c0 = 0; c0 < kp; c0 += 32) {
    const end = min(c0 + 32, kp);
    let mask: u32 = 0;
    for (let c = c0; c < end; c += 4) {
      mask |= <u32>i32x4.bitmask(f32x4.eq(v128.load(p + (<usize>c << 2)), mv)) << <u32>(c - c0);
    }
    if (mask != 0) { label = c0 + <i32>ctz(mask); break; }
  }
  return label;
}

// Stores row i's label and distance; returns 1 if the label changed, and then
// (if sums ≠ 0) moves the row at src between the clusters' totals.
// @ts-ignore: decorator
@inline function finishRow(
  d: i32, i: i32, label: i32, dist: f32, src: usize, labels: usize, minDist: usize, sums: usize, counts: usize,
): i32 {
  store<f32>(minDist + (<usize>i << 2), dist);
  const li = labels + (<usize>i << 2);
  const old = load<i32>(li);
  if (old == label) return 0;
  store<i32>(li, label);
  if (sums != 0) moveRow(d, src, old, label, sums, counts);
  return 1;
}

// Moves the d-feature row at src from cluster `from` (none if −1) to cluster `to`
// in the f64 totals and the sizes.
// @ts-ignore: decorator
@inline function moveRow(d: i32, src: usize, from: i32, to: i32, sums: usize, counts: usize): void {
  const pt = sums + (<usize>(to * d) << 3);
  if (from >= 0) {
    const pf = sums + (<usize>(from * d) << 3);
    for (let f = 0; f < d; f++) {
      const v = <f64>load<f32>(src + (<usize>f << 2)), o = <usize>f << 3;
      store<f64>(pf + o, load<f64>(pf + o) - v);
      store<f64>(pt + o, load<f64>(pt + o) + v);
    }
    store<i32>(counts + (<usize>from << 2), load<i32>(counts + (<usize>from << 2)) - 1);
  } else {
    for (let f = 0; f < d; f++) {
      const o = <usize>f << 3;
      store<f64>(pt + o, load<f64>(pt + o) + <f64>load<f32>(src + (<usize>f << 2)));
    }
  }
  store<i32>(counts + (<usize>to << 2), load<i32>(counts + (<usize>to << 2)) + 1);
}

// sums (k × d f64) ← the total of each cluster's rows under labels (all in
// 0..k−1), counts (k i32) ← their sizes: the state kmeansAssign's incremental
// sums start from, rebuilt after kmeansRelocateEmpty has moved rows.
// With weights (n f64, else 0): sums ← Σ w_i·x_i per cluster and wsums (k f64)
// ← Σ w_i, in row order; counts still count rows.
export function kmeansLabelSums(
  n: i32, d: i32, k: i32, x: usize, labels: usize, sums: usize, counts: usize, weights: usize, wsums: usize,
): void {
  memory.fill(sums, 0, <usize>(k * d) << 3);
  memory.fill(counts, 0, <usize>k << 2);
  if (weights == 0) {
    for (let i = 0; i < n; i++) moveRow(d, x + (<usize>(i * d) << 2), -1, load<i32>(labels + (<usize>i << 2)), sums, counts);
    return;
  }
  memory.fill(wsums, 0, <usize>k << 3);
  for (let i = 0; i < n; i++) {
    const j = load<i32>(labels + (<usize>i << 2));
    const w = load<f64>(weights + (<usize>i << 3));
    const src = x + (<usize>(i * d) << 2);
    const pt = sums + (<usize>(j * d) << 3);
    for (let f = 0; f < d; f++) {
      const o = <usize>f << 3;
      store<f64>(pt + o, load<f64>(pt + o) + w * <f64>load<f32>(src + (<usize>f << 2)));
    }
    store<i32>(counts + (<usize>j << 2), load<i32>(counts + (<usize>j << 2)) + 1);
    store<f64>(wsums + (<usize>j << 3), load<f64>(wsums + (<usize>j << 3)) + w);
  }
}

// The direct path (d ≤ 4) runs across rows instead of across centres. Per
// block of up to DIRECT_BLOCK rows, the block's features are first transposed
// into xs (d rows of the block's values, zero-padded to a multiple of 8), so
// 4 rows' feature f is one load. Then for 8 rows at a time (two independent sets
// of 4 lanes, which hides the latency of the running minimum) and each centre j
// (coordinates splatted once per call into `table`): the distances
// Σ_f (X_f − c_jf)², their running minimum (pmin) and its index (a lane-wise max
// of j where the distance is strictly smaller: j only grows, so the first
// minimum wins, as on the GEMM path). Labels and minDist are written 8 at a
// time; the rows whose label changed (a bitmask) are moved between the totals.
// At d = 2 that is 9 SIMD ops per centre per 4 rows (+ 3 loads): the zip codes
// (42k rows, k = 8) take 61 µs, about 0.75 cycles per row and centre, 3.5
// instructions a cycle (a whole iteration took 0.28 ms when rows went one at a
// time across the centres and every row was summed again).

// @ts-ignore: decorator
@inline const DIRECT_BLOCK: i32 = 4 * BLOCK;

// Bytes of scratch the direct path needs (see assignDirect's layout).
// @ts-ignore: decorator
@inline function directScratchBytes(d: i32, k: i32): i32 {
  return k * (d + 1) * 16 + 96 + d * DIRECT_BLOCK * 4;
}

// One copy per dd (assignDirect1…4), so dd is a literal in each.
function assignDirect1(n: i32, k: i32, x: usize, c: usize, labels: usize, minDist: usize, sums: usize, counts: usize, scratch: usize): i32 {
  return assignDirect(1, n, k, x, c, labels, minDist, sums, counts, scratch);
}
function assignDirect2(n: i32, k: i32, x: usize, c: usize, labels: usize, minDist: usize, sums: usize, counts: usize, scratch: usize): i32 {
  return assignDirect(2, n, k, x, c, labels, minDist, sums, counts, scratch);
}
function assignDirect3(n: i32, k: i32, x: usize, c: usize, labels: usize, minDist: usize, sums: usize, counts: usize, scratch: usize): i32 {
  return assignDirect(3, n, k, x, c, labels, minDist, sums, counts, scratch);
}
function assignDirect4(n: i32, k: i32, x: usize, c: usize, labels: usize, minDist: usize, sums: usize, counts: usize, scratch: usize): i32 {
  return assignDirect(4, n, k, x, c, labels, minDist, sums, counts, scratch);
}

// @ts-ignore: decorator
@inline function assignDirect(
  dd: i32, n: i32, k: i32, x: usize, centers: usize,
  labels: usize, minDist: usize, sums: usize, counts: usize, scratch: usize,
): i32 {
  // Scratch: table (k entries: dd splatted coordinates, then the splatted
  // index), 8 new labels, 8 old labels and 8 distances (3 × 32 bytes), xs
  // (dd × DIRECT_BLOCK f32).
  const entry = <usize>(dd + 1) << 4;
  const table = scratch;
  const newLabels = table + <usize>k * entry;
  const oldLabels = newLabels + 32;
  const lastDist = oldLabels + 32;
  const xs = lastDist + 32;
  for (let j = 0; j < k; j++) {
    const e = table + <usize>j * entry;
    for (let f = 0; f < dd; f++) v128.store(e + (<usize>f << 4), v128.load32_splat(centers + (<usize>(j * dd + f) << 2)));
    v128.store(e + (<usize>dd << 4), i32x4.splat(j));
  }
  const row = <usize>dd << 2;
  const xsRow = <usize>DIRECT_BLOCK << 2;
  let changed = 0;
  for (let i0 = 0; i0 < n; i0 += DIRECT_BLOCK) {
    const m = min(DIRECT_BLOCK, n - i0);
    const m8 = (m + 7) & ~7;
    const xb = x + <usize>i0 * row;
    transposeBlock(dd, m, m8, xb, xs, xsRow);
    for (let r = 0; r < m8; r += 8) {
      const q = xs + (<usize>r << 2);
      const a0 = v128.load(q), b0 = v128.load(q, 16);
      let a1 = f32x4.splat(0), b1 = f32x4.splat(0), a2 = f32x4.splat(0), b2 = f32x4.splat(0);
      let a3 = f32x4.splat(0), b3 = f32x4.splat(0);
      if (dd > 1) { a1 = v128.load(q + xsRow); b1 = v128.load(q + xsRow, 16); }
      if (dd > 2) { a2 = v128.load(q + xsRow * 2); b2 = v128.load(q + xsRow * 2, 16); }
      if (dd > 3) { a3 = v128.load(q + xsRow * 3); b3 = v128.load(q + xsRow * 3, 16); }
      let bestA = f32x4.splat(Infinity), bestB = f32x4.splat(Infinity);
      let idxA = i32x4.splat(0), idxB = i32x4.splat(0);
      let e = table;
      for (let j = 0; j < k; j++) {
        let c = v128.load(e);
        let tA = f32x4.sub(a0, c), tB = f32x4.sub(b0, c);
        let dA = f32x4.mul(tA, tA), dB = f32x4.mul(tB, tB);
        if (dd > 1) {
          c = v128.load(e, 16);
          tA = f32x4.sub(a1, c); tB = f32x4.sub(b1, c);
          dA = f32x4.add(dA, f32x4.mul(tA, tA)); dB = f32x4.add(dB, f32x4.mul(tB, tB));
        }
        if (dd > 2) {
          c = v128.load(e, 32);
          tA = f32x4.sub(a2, c); tB = f32x4.sub(b2, c);
          dA = f32x4.add(dA, f32x4.mul(tA, tA)); dB = f32x4.add(dB, f32x4.mul(tB, tB));
        }
        if (dd > 3) {
          c = v128.load(e, 48);
          tA = f32x4.sub(a3, c); tB = f32x4.sub(b3, c);
          dA = f32x4.add(dA, f32x4.mul(tA, tA)); dB = f32x4.add(dB, f32x4.mul(tB, tB));
        }
        const jv = v128.load(e + (<usize>dd << 4));
        idxA = i32x4.max_s(idxA, v128.and(f32x4.lt(dA, bestA), jv));
        idxB = i32x4.max_s(idxB, v128.and(f32x4.lt(dB, bestB), jv));
        bestA = f32x4.pmin(bestA, dA);
        bestB = f32x4.pmin(bestB, dB);
        e += entry;
      }
      const i = i0 + r;
      const li = labels + (<usize>i << 2);
      const src = xb + <usize>r * row;
      if (r + 8 <= m) {
        const oldA = v128.load(li), oldB = v128.load(li, 16);
        const moved = i32x4.bitmask(v128.not(i32x4.eq(oldA, idxA))) |
                      (i32x4.bitmask(v128.not(i32x4.eq(oldB, idxB))) << 4);
        v128.store(li, idxA); v128.store(li, idxB, 16);
        const di = minDist + (<usize>i << 2);
        v128.store(di, bestA); v128.store(di, bestB, 16);
        if (moved != 0) {
          changed += <i32>popcnt(moved);
          if (sums != 0) {
            v128.store(oldLabels, oldA); v128.store(oldLabels, oldB, 16);
            v128.store(newLabels, idxA); v128.store(newLabels, idxB, 16);
            for (let bits = moved; bits != 0; bits &= bits - 1) {
              const l = <usize>ctz(bits);
              moveRow(dd, src + l * row, load<i32>(oldLabels + (l << 2)), load<i32>(newLabels + (l << 2)), sums, counts);
            }
          }
        }
      } else {
        // The block's last 1–7 rows, one by one.
        v128.store(newLabels, idxA); v128.store(newLabels, idxB, 16);
        v128.store(lastDist, bestA); v128.store(lastDist, bestB, 16);
        for (let l = 0; l < m - r; l++) {
          const o = <usize>l << 2;
          changed += finishRow(dd, i + l, load<i32>(newLabels + o), load<f32>(lastDist + o), src + <usize>l * row,
            labels, minDist, sums, counts);
        }
      }
    }
  }
  return changed;
}

// xs[f][r] = x[r][f] for the m rows at src, zero for m ≤ r < m8 (m8: m rounded
// up to 8); xs rows are xsRow bytes apart.
// @ts-ignore: decorator
@inline function transposeBlock(dd: i32, m: i32, m8: i32, src: usize, xs: usize, xsRow: usize): void {
  const row = <usize>dd << 2;
  let r = 0;
  if (dd == 1) {
    memory.copy(xs, src, <usize>m << 2);
    r = m;
  } else if (dd == 2) {
    for (; r + 4 <= m; r += 4) {
      const r0 = v128.load(src), r1 = v128.load(src, 16);
      const o = xs + (<usize>r << 2);
      v128.store(o, i32x4.shuffle(r0, r1, 0, 2, 4, 6));
      v128.store(o + xsRow, i32x4.shuffle(r0, r1, 1, 3, 5, 7));
      src += 32;
    }
  } else if (dd == 4) {
    for (; r + 4 <= m; r += 4) {
      const r0 = v128.load(src), r1 = v128.load(src, 16), r2 = v128.load(src, 32), r3 = v128.load(src, 48);
      const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
      const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
      const o = xs + (<usize>r << 2);
      v128.store(o, i64x2.shuffle(t0, t1, 0, 2));
      v128.store(o + xsRow, i64x2.shuffle(t0, t1, 1, 3));
      v128.store(o + xsRow * 2, i64x2.shuffle(t2, t3, 0, 2));
      v128.store(o + xsRow * 3, i64x2.shuffle(t2, t3, 1, 3));
      src += 64;
    }
  }
  // dd = 3 and the remainders: one value at a time.
  for (; r < m; r++) {
    for (let f = 0; f < dd; f++) store<f32>(xs + <usize>f * xsRow + (<usize>r << 2), load<f32>(src + (<usize>f << 2)));
    src += row;
  }
  for (; r < m8; r++) {
    for (let f = 0; f < dd; f++) store<f32>(xs + <usize>f * xsRow + (<usize>r << 2), 0);
  }
}

// out (n × k f32) ← ‖x_i − c_j‖ (the square root of the GEMM expansion, clamped
// at 0), as scikit-learn's transform. scratch: kmeansScratchBytes(d, k).
export function kmeansDistances(
  n: i32, d: i32, k: i32, x: usize, xNorms: usize, centers: usize, out: usize, scratch: usize,
): void {
  const kp = padK(k);
  const cpad = scratch;
  const cnorm = cpad + (<usize>round4(kp * d) << 2);
  prepareCenters(d, k, kp, centers, cpad, cnorm);
  gemm(0, 1, n, k, d, -2, x, d, cpad, d, 0, out, k, cnorm, ACT_IDENTITY);
  for (let i = 0; i < n; i++) {
    const xn = load<f32>(xNorms + (<usize>i << 2));
    const p = out + (<usize>(i * k) << 2);
    for (let j = 0; j < k; j++) {
      const q = p + (<usize>j << 2);
      store<f32>(q, Mathf.sqrt(max<f32>(load<f32>(q) + xn, 0)));
    }
  }
}

// The centre update: c_j ← sums_j / counts_j for every j with counts_j > 0 (the
// others keep their centre); with wsums (k f64, else 0), c_j ← sums_j / wsums_j
// for every j with wsums_j > 0. Returns Σ_j ‖c_j(new) − c_j(old)‖² in f64, the
// quantity scikit-learn compares with tol.
export function kmeansUpdate(k: i32, d: i32, sums: usize, counts: usize, centers: usize, wsums: usize): f64 {
  let shift: f64 = 0;
  for (let j = 0; j < k; j++) {
    const size: f64 = wsums == 0 ? <f64>load<i32>(counts + (<usize>j << 2)) : load<f64>(wsums + (<usize>j << 3));
    if (!(size > 0)) continue;
    const inv = 1.0 / size;
    for (let f = 0; f < d; f++) {
      const t = j * d + f;
      const c = centers + (<usize>t << 2);
      const next = <f32>(load<f64>(sums + (<usize>t << 3)) * inv);
      const e = <f64>next - <f64>load<f32>(c);
      shift += e * e;
      store<f32>(c, next);
    }
  }
  return shift;
}

// Empty clusters, relocated as scikit-learn does, with one difference: each
// cluster j with counts_j = 0 (in index order) takes the row farthest from its
// own centre (largest minDist; ties: lowest row) among rows whose cluster keeps
// at least one other row; that row's values leave its old cluster's sums and
// become cluster j's sum (count 1). scikit-learn takes the farthest rows whatever
// their cluster, so it can empty a one-row cluster while filling another, and
// its result then depends on the order numpy's argpartition leaves ties in; here
// relocation never empties a cluster. The two agree whenever the farthest rows
// are in clusters of two or more rows (as in scikit-learn's
// test_relocate_empty_clusters).
// The row's label is left alone (the next assignment sets it), so after the
// centre update the caller rebuilds the totals that kmeansAssign keeps in step
// with the labels (kmeansLabelSums). minDist of a taken row is set to −1. Returns how many clusters were relocated (fewer than
// the empty ones only if no row qualifies).
// With weights (n f64) and wsums (k f64, from kmeansLabelSums): a cluster is
// empty when its weight total is 0 (scikit-learn's rule), and a row qualifies
// when its weight is > 0 and its cluster keeps weight > 0 without it; the row
// moves with its weight (sums_j = w·x, wsums_j = w).
export function kmeansRelocateEmpty(
  n: i32, d: i32, k: i32, x: usize, labels: usize, minDist: usize, sums: usize, counts: usize, weights: usize, wsums: usize,
): i32 {
  let moved = 0;
  for (let j = 0; j < k; j++) {
    if (weights == 0 ? load<i32>(counts + (<usize>j << 2)) != 0 : load<f64>(wsums + (<usize>j << 3)) > 0) continue;
    let far = -1;
    let farDist: f32 = -1;
    for (let i = 0; i < n; i++) {
      const v = load<f32>(minDist + (<usize>i << 2));
      if (!(v > farDist)) continue;
      const l = load<i32>(labels + (<usize>i << 2));
      if (weights == 0) {
        if (load<i32>(counts + (<usize>l << 2)) <= 1) continue;
      } else {
        const w = load<f64>(weights + (<usize>i << 3));
        if (!(w > 0) || !(load<f64>(wsums + (<usize>l << 3)) - w > 0)) continue;
      }
      farDist = v; far = i;
    }
    if (far < 0) break;
    const old = load<i32>(labels + (<usize>far << 2));
    const src = x + (<usize>(far * d) << 2);
    const w: f64 = weights == 0 ? 1 : load<f64>(weights + (<usize>far << 3));
    for (let f = 0; f < d; f++) {
      // w·v with w = 1 is v exactly: the unweighted totals are unchanged.
      const v = w * <f64>load<f32>(src + (<usize>f << 2));
      const so = sums + (<usize>(old * d + f) << 3);
      store<f64>(so, load<f64>(so) - v);
      store<f64>(sums + (<usize>(j * d + f) << 3), v);
    }
    store<i32>(counts + (<usize>old << 2), load<i32>(counts + (<usize>old << 2)) - 1);
    store<i32>(counts + (<usize>j << 2), 1);
    if (weights != 0) {
      store<f64>(wsums + (<usize>old << 3), load<f64>(wsums + (<usize>old << 3)) - w);
      store<f64>(wsums + (<usize>j << 3), w);
    }
    store<f32>(minDist + (<usize>far << 2), -1);
    moved++;
  }
  return moved;
}

// Exact squared distances to the assigned centres, Σ_f (x_if − c_lf)² in f64:
// written to out (n f32) unless out is 0; returns their f64 sum (the inertia),
// Σ w_i·distance_i with weights (n f64, else 0).
export function kmeansRowDistances(n: i32, d: i32, x: usize, centers: usize, labels: usize, out: usize, weights: usize): f64 {
  switch (d) {
    case 1: return rowDistancesSmall(1, n, x, centers, labels, out, weights);
    case 2: return rowDistancesSmall(2, n, x, centers, labels, out, weights);
    case 3: return rowDistancesSmall(3, n, x, centers, labels, out, weights);
    case 4: return rowDistancesSmall(4, n, x, centers, labels, out, weights);
  }
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const px = x + (<usize>(i * d) << 2);
    const pc = centers + (<usize>(load<i32>(labels + (<usize>i << 2)) * d) << 2);
    let acc0 = f64x2.splat(0), acc1 = f64x2.splat(0);
    let f = 0;
    for (; f + 4 <= d; f += 4) {
      const o = <usize>f << 2;
      const vx = v128.load(px + o), vc = v128.load(pc + o);
      const lo = f64x2.sub(f64x2.promote_low_f32x4(vx), f64x2.promote_low_f32x4(vc));
      const hi = f64x2.sub(
        f64x2.promote_low_f32x4(i32x4.shuffle(vx, vx, 2, 3, 0, 1)),
        f64x2.promote_low_f32x4(i32x4.shuffle(vc, vc, 2, 3, 0, 1)),
      );
      acc0 = f64x2.add(acc0, f64x2.mul(lo, lo));
      acc1 = f64x2.add(acc1, f64x2.mul(hi, hi));
    }
    const acc = f64x2.add(acc0, acc1);
    let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
    for (; f < d; f++) {
      const e = <f64>load<f32>(px + (<usize>f << 2)) - <f64>load<f32>(pc + (<usize>f << 2));
      s += e * e;
    }
    if (out != 0) store<f32>(out + (<usize>i << 2), <f32>s);
    total += weights == 0 ? s : s * load<f64>(weights + (<usize>i << 3));
  }
  return total;
}

// kmeansRowDistances for dd ≤ 4 features (a literal at every call site): the
// same f64 sums in the same order, unrolled (the general loop's per-row
// overhead was most of its time at d = 2).
// @ts-ignore: decorator
@inline function rowDistancesSmall(dd: i32, n: i32, x: usize, centers: usize, labels: usize, out: usize, weights: usize): f64 {
  let total: f64 = 0;
  const row = <usize>dd << 2;
  for (let i = 0; i < n; i++) {
    const px = x + <usize>i * row;
    const pc = centers + <usize>load<i32>(labels + (<usize>i << 2)) * row;
    const e0 = <f64>load<f32>(px) - <f64>load<f32>(pc);
    let s = e0 * e0;
    if (dd > 1) {
      const e1 = <f64>load<f32>(px, 4) - <f64>load<f32>(pc, 4);
      if (dd == 4) {
        // The general loop's pairing: (e0² + e2²) + (e1² + e3²).
        const e2 = <f64>load<f32>(px, 8) - <f64>load<f32>(pc, 8);
        const e3 = <f64>load<f32>(px, 12) - <f64>load<f32>(pc, 12);
        s = (s + e2 * e2) + (e1 * e1 + e3 * e3);
      } else {
        s += e1 * e1;
        if (dd == 3) {
          const e2 = <f64>load<f32>(px, 8) - <f64>load<f32>(pc, 8);
          s += e2 * e2;
        }
      }
    }
    if (out != 0) store<f32>(out + (<usize>i << 2), <f32>s);
    total += weights == 0 ? s : s * load<f64>(weights + (<usize>i << 3));
  }
  return total;
}

// Squared distance between two d-vectors, f32, 4 lanes then the tail.
// @ts-ignore: decorator
@inline function sqDist(d: i32, a: usize, b: usize): f32 {
  let acc = f32x4.splat(0);
  let f = 0;
  for (; f + 4 <= d; f += 4) {
    const o = <usize>f << 2;
    const e = f32x4.sub(v128.load(a + o), v128.load(b + o));
    acc = f32x4.add(acc, f32x4.mul(e, e));
  }
  let s = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) +
          (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  for (; f < d; f++) {
    const e = load<f32>(a + (<usize>f << 2)) - load<f32>(b + (<usize>f << 2));
    s += e * e;
  }
  return s;
}

// An unbiased integer in [0, bound), bound ≥ 1 (Lemire's multiply-and-reject, as assembly/rng.ts).
// @ts-ignore: decorator
@inline function below(rng: usize, bound: u32): u32 {
  let m = <u64>rngNextU32(rng) * <u64>bound;
  let low = <u32>m;
  if (low < bound) {
    const threshold: u32 = (<u32>0 - bound) % bound;
    while (low < threshold) {
      m = <u64>rngNextU32(rng) * <u64>bound;
      low = <u32>m;
    }
  }
  return <u32>(m >>> 32);
}

// A double uniform in [0, 1) with 53 random bits (two draws).
// @ts-ignore: decorator
@inline export function uniform53(rng: usize): f64 {
  const hi = <f64>(rngNextU32(rng) >>> 5); // 27 bits
  const lo = <f64>(rngNextU32(rng) >>> 6); // 26 bits
  return (hi * 67108864.0 + lo) * (1.0 / 9007199254740992.0);
}

// Bytes of scratch kmeansPlusPlus needs for n rows: three n-float distance
// arrays and one n-double cumulative sum.
export function kmeansPlusPlusScratchBytes(n: i32): i32 {
  return (round4(n) * 3 + round4(n) * 2) << 2;
}

// Greedy k-means++ (Arthur & Vassilvitskii; scikit-learn's variant): the first
// centre is a uniform row; each next one is the best of `trials` candidate rows,
// each drawn with probability ∝ its squared distance to the nearest chosen
// centre (the first row whose cumulative f64 sum exceeds u·potential, so a row
// at distance 0 is never drawn), "best" meaning the lowest potential Σ_i
// min(closest_i, ‖x_i − candidate‖²) (ties: the first drawn). Writes the k
// centres (copies of rows) to centers and their row indices to chosen (k i32).
// With weights (n f64, else 0; scikit-learn ≥ 1.3): the first row is drawn ∝ w_i,
// the candidates ∝ w_i·closest_i, the potential is Σ_i w_i·min(…); a row of
// weight 0 is never drawn while the potential is positive.
// With fewer than k distinct rows (of positive weight) the potential reaches 0
// and the remaining centres repeat chosen ones (the last row is drawn).
export function kmeansPlusPlus(
  n: i32, d: i32, k: i32, x: usize, trials: i32, rng: usize, centers: usize, chosen: usize, scratch: usize, weights: usize,
): void {
  const row = <usize>d << 2;
  const nBytes = <usize>round4(n) << 2;
  let closest = scratch, work = scratch + nBytes, best = scratch + nBytes * 2;
  const cumsum = scratch + nBytes * 3;
  const first = weights == 0 ? <i32>below(rng, <u32>n) : drawWeighted(rng, n, weights, cumsum);
  memory.copy(centers, x + <usize>first * row, row);
  store<i32>(chosen, first);
  const c0 = x + <usize>first * row;
  for (let i = 0; i < n; i++) store<f32>(closest + (<usize>i << 2), sqDist(d, x + <usize>i * row, c0));
  for (let c = 1; c < k; c++) {
    let acc: f64 = 0;
    for (let i = 0; i < n; i++) {
      acc += weightOf(weights, i) * <f64>load<f32>(closest + (<usize>i << 2));
      store<f64>(cumsum + (<usize>i << 3), acc);
    }
    const pot = acc;
    let bestPot: f64 = Infinity;
    let bestId = -1;
    for (let t = 0; t < trials; t++) {
      const target = uniform53(rng) * pot;
      let lo = 0, hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (load<f64>(cumsum + (<usize>mid << 3)) > target) hi = mid; else lo = mid + 1;
      }
      const cand = x + <usize>lo * row;
      let p: f64 = 0;
      for (let i = 0; i < n; i++) {
        const o = <usize>i << 2;
        const v = min<f32>(load<f32>(closest + o), sqDist(d, x + <usize>i * row, cand));
        store<f32>(work + o, v);
        p += weightOf(weights, i) * <f64>v;
      }
      if (p < bestPot) {
        bestPot = p; bestId = lo;
        const t2 = best; best = work; work = t2;
      }
    }
    memory.copy(centers + <usize>c * row, x + <usize>bestId * row, row);
    store<i32>(chosen + (<usize>c << 2), bestId);
    const t3 = closest; closest = best; best = t3;
  }
}

// w_i, or 1 without weights: 1·v is v exactly, so the unweighted sums are as they were.
// @ts-ignore: decorator
@inline export function weightOf(weights: usize, i: i32): f64 {
  return weights == 0 ? 1.0 : load<f64>(weights + (<usize>i << 3));
}

// A row index drawn with probability ∝ weights (n f64 ≥ 0, positive total): the
// first row whose cumulative sum (written to cumsum, n f64) exceeds u·total.
function drawWeighted(rng: usize, n: i32, weights: usize, cumsum: usize): i32 {
  let acc: f64 = 0;
  for (let i = 0; i < n; i++) {
    acc += load<f64>(weights + (<usize>i << 3));
    store<f64>(cumsum + (<usize>i << 3), acc);
  }
  const target = uniform53(rng) * acc;
  let lo = 0, hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (load<f64>(cumsum + (<usize>mid << 3)) > target) hi = mid; else lo = mid + 1;
  }
  return lo;
}

// k distinct row indices drawn one after another, each with probability ∝ its
// weight among the rows not yet drawn (scikit-learn's choice(n, k, replace=False,
// p = w / Σw) for 'random' init with sample weights), written to out (k i32).
// Needs at least k rows of positive weight (the caller checks). scratch: n f64.
export function kmeansSampleWeighted(rng: usize, n: i32, k: i32, weights: usize, scratch: usize, out: usize): void {
  memory.copy(scratch, weights, <usize>n << 3);
  for (let t = 0; t < k; t++) {
    // The total again each time (not a running difference): no residue from subtraction.
    let total: f64 = 0;
    for (let i = 0; i < n; i++) total += load<f64>(scratch + (<usize>i << 3));
    const target = uniform53(rng) * total;
    let acc: f64 = 0;
    let pick = -1;
    for (let i = 0; i < n; i++) {
      const w = load<f64>(scratch + (<usize>i << 3));
      if (w <= 0) continue;
      pick = i; // the last positive row if rounding leaves target beyond the final sum
      acc += w;
      if (acc > target) break;
    }
    store<f64>(scratch + (<usize>pick << 3), 0);
    store<i32>(out + (<usize>t << 2), pick);
  }
}

// k distinct row indices in [0, n), uniformly (a partial Fisher–Yates over
// scratch, n i32), written to out (k i32; out may be scratch); k ≤ n.
export function kmeansSampleDistinct(rng: usize, n: i32, k: i32, scratch: usize, out: usize): void {
  for (let i = 0; i < n; i++) store<i32>(scratch + (<usize>i << 2), i);
  for (let i = 0; i < k; i++) {
    const j = i + <i32>below(rng, <u32>(n - i));
    const pi = scratch + (<usize>i << 2), pj = scratch + (<usize>j << 2);
    const t = load<i32>(pj);
    store<i32>(pj, load<i32>(pi));
    store<i32>(pi, t);
    store<i32>(out + (<usize>i << 2), t);
  }
}

// count row indices in [0, bound), uniformly with replacement, to out (i32).
export function kmeansSampleIndices(rng: usize, count: i32, bound: i32, out: usize): void {
  for (let i = 0; i < count; i++) store<i32>(out + (<usize>i << 2), <i32>below(rng, <u32>bound));
}

// The mini-batch update (scikit-learn's _mini_batch_step): for each centre with
// counts_j > 0 rows in this batch, c_j ← (c_j·w_j + sums_j) / (w_j + counts_j)
// and w_j += counts_j, with w (k f64) each centre's running count. With sample
// weights, batchWsums (k f64, else 0) holds the batch's weight per centre (from
// kmeansLabelSums, whose weighted sums are then sums) and takes counts' place.
// Returns Σ_j ‖c_j(new) − c_j(old)‖².
export function kmeansMiniBatchUpdate(
  k: i32, d: i32, centers: usize, weights: usize, sums: usize, counts: usize, batchWsums: usize,
): f64 {
  let shift: f64 = 0;
  for (let j = 0; j < k; j++) {
    const cnt: f64 = batchWsums == 0 ? <f64>load<i32>(counts + (<usize>j << 2)) : load<f64>(batchWsums + (<usize>j << 3));
    if (!(cnt > 0)) continue;
    const wp = weights + (<usize>j << 3);
    const w = load<f64>(wp);
    const total = w + cnt;
    const inv = 1.0 / total;
    for (let f = 0; f < d; f++) {
      const t = j * d + f;
      const c = centers + (<usize>t << 2);
      const old = <f64>load<f32>(c);
      const next = <f32>((old * w + load<f64>(sums + (<usize>t << 3))) * inv);
      const e = <f64>next - old;
      shift += e * e;
      store<f32>(c, next);
    }
    store<f64>(wp, total);
  }
  return shift;
}

// Random reassignment of starved centres (scikit-learn's MiniBatchKMeans): the
// centres whose running count w_j < ratio · max w — at most ⌊batchRows / 2⌋ of
// them, keeping those with the smallest w (ties: the lower index) — move onto
// distinct rows of the batch (batchRows × d f32) drawn uniformly, and their w
// becomes the smallest w among the centres that stay. Returns how many moved.
// scratch: k + batchRows i32.
export function kmeansReassign(
  rng: usize, k: i32, d: i32, centers: usize, weights: usize, ratio: f64, batchRows: i32, batch: usize, scratch: usize,
): i32 {
  let maxW: f64 = 0;
  for (let j = 0; j < k; j++) maxW = max(maxW, load<f64>(weights + (<usize>j << 3)));
  const threshold = ratio * maxW;
  const flags = scratch, picks = scratch + (<usize>k << 2);
  let count = 0;
  for (let j = 0; j < k; j++) {
    const f = load<f64>(weights + (<usize>j << 3)) < threshold ? 1 : 0;
    store<i32>(flags + (<usize>j << 2), f);
    count += f;
  }
  const limit = batchRows >> 1;
  while (count > limit) {
    // Drop the flagged centre with the largest weight (ties: the highest index).
    let drop = -1;
    let dropW: f64 = -Infinity;
    for (let j = 0; j < k; j++) {
      if (load<i32>(flags + (<usize>j << 2)) == 0) continue;
      const w = load<f64>(weights + (<usize>j << 3));
      if (w >= dropW) { dropW = w; drop = j; }
    }
    store<i32>(flags + (<usize>drop << 2), 0);
    count--;
  }
  if (count == 0) return 0;
  let keepMin: f64 = Infinity;
  for (let j = 0; j < k; j++) {
    if (load<i32>(flags + (<usize>j << 2)) == 0) keepMin = min(keepMin, load<f64>(weights + (<usize>j << 3)));
  }
  kmeansSampleDistinct(rng, batchRows, count, picks, picks);
  const row = <usize>d << 2;
  let t = 0;
  for (let j = 0; j < k; j++) {
    if (load<i32>(flags + (<usize>j << 2)) == 0) continue;
    const r = load<i32>(picks + (<usize>t << 2));
    t++;
    memory.copy(centers + <usize>j * row, batch + <usize>r * row, row);
    store<f64>(weights + (<usize>j << 3), keepMin);
  }
  return count;
}
