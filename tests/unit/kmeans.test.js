// K-means: the kernels of assembly/rowstats.ts and assembly/kmeans.ts against
// plain f64 references at feature counts below/at/above the 4-lane SIMD width
// and centre counts around the 8-wide GEMM panel and the 32-column argmin mask,
// over several 256-row blocks; then KMeans and MiniBatchKMeans end to end
// (fixed-centre Lloyd vs the f64 reference, k-means++ vs random, empty
// clusters, tol, determinism) and their typed errors.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  init, KMeans, MiniBatchKMeans, Matrix, ArgumentError, ShapeError, DisposedError, ManytaskWarning, ConvergenceWarning,
  captureWarnings, setWarningHandler,
} from '../../dist/index.js';
import { runtime, heapF32 } from '../../dist/internal.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import { XoshiroRef } from '../helpers/nn-reference.js';
import { expectError } from '../helpers/errors.js';
import { screenOnOff } from '../helpers/rounding-screen.js';
import {
  assignRef, colMediansRef, colStatsRef, lloydRef, relocateRef, seededNormals, sqDist, sumsRef, uniform53Ref,
} from '../helpers/cluster-reference.js';

before(async () => { await init(); });

const DS = [1, 2, 3, 4, 5, 8, 13, 16, 17];

// --- WASM buffers for the kernel tests -------------------------------------
function buffers() {
  const { allocator } = runtime('test');
  const ptrs = [];
  const alloc = (bytes) => { const p = allocator.alloc(Math.max(bytes, 16)); ptrs.push(p); return p; };
  return {
    f32(values) { const p = alloc(values.length * 4); heapF32().set(values, p >>> 2); return p; },
    f64(values) { const p = alloc(values.length * 8); new Float64Array(heapF32().buffer, p, values.length).set(values); return p; },
    i32(values) { const p = alloc(values.length * 4); new Int32Array(heapF32().buffer, p, values.length).set(values); return p; },
    bytes: alloc,
    write(p, values) { heapF32().set(values, p >>> 2); },
    readF32: (p, n) => heapF32().slice(p >>> 2, (p >>> 2) + n),
    readF64: (p, n) => new Float64Array(heapF32().buffer, p, n).slice(),
    readI32: (p, n) => new Int32Array(heapF32().buffer, p, n).slice(),
    free() { for (const p of ptrs) allocator.free(p); },
  };
}
const K = () => runtime('test').kernels;

/** n points around k seeded centres (spread `spread`), plus an offset, as f32. */
function blobs(n, d, k, { seed = 1, spread = 1, sep = 6, offset = 0 } = {}) {
  const centres = seededValues(k * d, seed).map((v) => v * sep);
  const noise = seededNormals(n * d, seed + 100);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) x[i * d + f] = offset + centres[(i % k) * d + f] + spread * noise[i * d + f];
  return x;
}

// --- kernels ----------------------------------------------------------------

test('rowSquaredNorms, colMeanVar, subtractColumns, rowMeanSquaredError vs f64 references', () => {
  for (const d of DS) {
    for (const n of [1, 7, 300]) {
      const b = buffers();
      const xs = seededValues(n * d, d * 31 + n).map((v) => v * 3 + 1);
      const ys = seededValues(n * d, d * 37 + n);
      const x = b.f32(xs), y = b.f32(ys), out = b.bytes(n * 4);
      const largest = K().rowSquaredNorms(n, d, x, out);
      const norms = Array.from({ length: n }, (_, i) => xs.subarray(i * d, (i + 1) * d).reduce((s, v) => s + v * v, 0));
      // f32 sum of d positive terms: a few ulps of the value.
      assertClose(b.readF32(out, n), norms, { atol: 0, rtol: 4e-7 * d, label: `norms n=${n} d=${d}` });
      assert.equal(largest, Math.max(...b.readF32(out, n)), `largest norm n=${n} d=${d}`);

      const mean = b.bytes(d * 8), variance = b.bytes(d * 8);
      K().colMeanVar(n, d, x, mean, variance);
      const ref = colStatsRef(Float64Array.from(xs), n, d);
      assertClose(b.readF64(mean, d), ref.mean, { atol: 1e-13, rtol: 1e-13, label: `mean n=${n} d=${d}` });
      assertClose(b.readF64(variance, d), ref.variance, { atol: 1e-13, rtol: 1e-12, label: `variance n=${n} d=${d}` });

      // f32(x − shift) with the difference in f64: bit for bit.
      const shift = b.f64(ref.mean);
      K().subtractColumns(n, d, x, shift, y);
      const centred = b.readF32(y, n * d);
      for (let i = 0; i < n * d; i++) assert.equal(centred[i], Math.fround(xs[i] - ref.mean[i % d]), `subtract ${i} d=${d}`);

      const a2 = b.f32(ys), mse = b.bytes(n * 4);
      K().rowMeanSquaredError(n, d, x, a2, mse);
      const refMse = Array.from({ length: n }, (_, i) => {
        let s = 0;
        for (let f = 0; f < d; f++) s += (xs[i * d + f] - ys[i * d + f]) ** 2;
        return s / d;
      });
      assertClose(b.readF32(mse, n), refMse, { atol: 0, rtol: 1.2e-7, label: `row MSE n=${n} d=${d}` });
      b.free();
    }
  }
});

test('groupStats vs an f64 reference: each group\'s weight, sums and squares (by column, and pooled) about its reference point, largest |value|; weights, rows of weight 0 and empty groups', () => {
  for (const d of DS) {
    for (const n of [1, 7, 300]) {
      for (const weighted of [false, true]) {
        const b = buffers(), k = 4;
        const xs = seededValues(n * d, d * 41 + n).map((v, i) => (i % 5 === 0 ? -v * 7 : v * 3 + 1));
        // Group 3 gets no rows; with weights, every fourth row weighs 0.
        const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % 3);
        const ws = Float64Array.from({ length: n }, (_, i) => (i % 4 === 3 ? 0 : 0.5 + (i % 5)));
        const ref = Float64Array.from(seededValues(k * d, d + n), (v) => v * 2);
        const T = new Float64Array(k), S = new Float64Array(k * d), Q = new Float64Array(k * d), L = new Float32Array(k * d);
        for (let i = 0; i < n; i++) {
          const w = weighted ? ws[i] : 1;
          if (!(w > 0)) continue;
          const j = labels[i];
          T[j] += w;
          for (let f = 0; f < d; f++) {
            const e = xs[i * d + f] - ref[j * d + f];
            S[j * d + f] += w * e;
            Q[j * d + f] += w * e * e;
            L[j * d + f] = Math.max(L[j * d + f], Math.abs(xs[i * d + f]));
          }
        }
        const pooledQ = Float64Array.from({ length: k }, (_, j) => Q.subarray(j * d, (j + 1) * d).reduce((a, v) => a + v, 0));
        for (const pooled of [0, 1]) {
          const each = pooled ? k : k * d;
          const total = b.bytes(k * 8), sums = b.bytes(k * d * 8), squares = b.bytes(each * 8), largest = b.bytes(k * d * 4);
          K().groupStats(n, d, k, b.f32(xs), b.i32(labels), weighted ? b.f64(ws) : 0, b.f64(ref), total, sums, squares, largest, pooled);
          const label = `n=${n} d=${d}${weighted ? ' weighted' : ''}${pooled ? ' pooled' : ''}`;
          assert.deepEqual(b.readF64(total, k), T, `${label}: totals`);
          assertClose(b.readF64(sums, k * d), S, { atol: 1e-12, rtol: 1e-12, label: `${label}: sums` });
          assertClose(b.readF64(squares, each), pooled ? pooledQ : Q, { atol: 1e-12, rtol: 1e-12, label: `${label}: squares` });
          assert.deepEqual(b.readF32(largest, k * d), L, `${label}: largest`);
        }
        b.free();
      }
    }
  }
});

test('firstNonFinite finds the first NaN/±∞ in the SIMD body and the tail, and −1 when there is none', () => {
  for (const n of [1, 15, 16, 17, 64, 101]) {
    const b = buffers();
    const xs = seededValues(n, n);
    const x = b.f32(xs);
    assert.equal(K().firstNonFinite(n, x), -1);
    for (const pos of [0, n >> 1, n - 1]) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        const ys = xs.slice();
        ys[pos] = bad;
        if (pos + 1 < n) ys[n - 1] = NaN; // a later one must not win
        const y = b.f32(ys);
        assert.equal(K().firstNonFinite(n, y), pos, `n=${n} pos=${pos} ${bad}`);
      }
    }
    b.free();
  }
});

test('kmeansAssign: labels exact, distances, sums and counts vs f64 (k around the 8-panel and the 32-mask, several blocks)', () => {
  let seed = 1;
  for (const d of [1, 2, 3, 4, 5, 16, 17]) {
    for (const k of [1, 3, 8, 9, 17, 40]) {
      // d ≤ 4 runs 4 rows at a time (n = 1, 6, 7: only a tail; 2051: 4 banks flushed
      // every 1024 rows, then a tail of 3).
      for (const n of d <= 4 ? [1, 6, 7, 300, 2051] : [1, 5, 300, 600]) {
        const b = buffers();
        const xs = blobs(n, d, Math.max(k, 1), { seed: seed++, spread: 0.4 });
        const cs = Float32Array.from({ length: k * d }, (_, t) => xs[(((t / d) | 0) * 7 % n) * d + (t % d)] + 0.01 * ((t % 5) - 2));
        const x = b.f32(xs), c = b.f32(cs), xn = b.bytes(n * 4);
        K().rowSquaredNorms(n, d, x, xn);
        const labels = b.i32(new Int32Array(n).fill(-1)), minDist = b.bytes(n * 4);
        // Every label −1, so the totals start at zero.
        const sums = b.f64(new Float64Array(k * d)), counts = b.i32(new Int32Array(k));
        const scratch = b.bytes(K().kmeansScratchBytes(d, k));
        const changed = K().kmeansAssign(n, d, k, x, xn, c, labels, minDist, sums, counts, scratch);
        const X = Float64Array.from(xs), C = Float64Array.from(cs);
        const ref = assignRef(X, n, d, C, k);
        const label = `n=${n} d=${d} k=${k}`;
        assert.equal(changed, n, `${label}: every label changes from −1`);
        const got = b.readI32(labels, n);
        for (let i = 0; i < n; i++) {
          if (got[i] === ref.labels[i]) continue;
          // Only a near-tie may differ: then both distances agree to rounding.
          const a = sqDist(X, i, C, got[i], d), e = sqDist(X, i, C, ref.labels[i], d);
          assert.ok(Math.abs(a - e) <= 1e-5 * (1 + e), `${label}: row ${i} label ${got[i]} vs ${ref.labels[i]} (${a} vs ${e})`);
        }
        // The expansion ‖x‖² + ‖c‖² − 2x·c loses about eps·(‖x‖² + ‖c‖²).
        const scale = Array.from({ length: n }, (_, i) => {
          let s = 0;
          for (let f = 0; f < d; f++) s += X[i * d + f] ** 2 + C[got[i] * d + f] ** 2;
          return s;
        });
        const exact = Array.from({ length: n }, (_, i) => sqDist(X, i, C, got[i], d));
        assertClose(b.readF32(minDist, n), exact, { atol: 1e-30, rtol: 2e-6, scale, label: `${label}: minDist` });
        const { sums: rs, counts: rc } = sumsRef(X, n, d, got, k);
        assert.deepEqual(b.readI32(counts, k), rc, `${label}: counts`);
        const abs = new Float64Array(k * d);
        for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) abs[got[i] * d + f] += Math.abs(X[i * d + f]);
        // f64 sums of f32 values.
        assertClose(b.readF64(sums, k * d), rs, { atol: 1e-30, rtol: 1e-12, scale: abs, label: `${label}: sums` });
        // A second call with the same centres changes nothing.
        assert.equal(K().kmeansAssign(n, d, k, x, xn, c, labels, minDist, 0, 0, scratch), 0, `${label}: stable`);
        // Moved centres: only the rows whose label changes move between the totals,
        // which then equal the totals under the new labels.
        const before = b.readI32(labels, n);
        const cs2 = Float32Array.from(cs, (v, t) => v + 0.3 * Math.sin(7 * t + k));
        b.write(c, cs2);
        const moved = K().kmeansAssign(n, d, k, x, xn, c, labels, minDist, sums, counts, scratch);
        const after = b.readI32(labels, n);
        assert.equal(moved, after.filter((v, i) => v !== before[i]).length, `${label}: moved rows counted`);
        const again = sumsRef(X, n, d, after, k);
        assert.deepEqual(b.readI32(counts, k), again.counts, `${label}: counts after the move`);
        assertClose(b.readF64(sums, k * d), again.sums, { atol: 1e-30, rtol: 1e-12, scale: abs, label: `${label}: sums after the move` });
        // kmeansLabelSums rebuilds the same totals from the labels alone.
        const sums2 = b.bytes(k * d * 8), counts2 = b.bytes(k * 4);
        K().kmeansLabelSums(n, d, k, x, labels, sums2, counts2, 0, 0);
        assert.deepEqual(b.readI32(counts2, k), again.counts, `${label}: kmeansLabelSums counts`);
        assertClose(b.readF64(sums2, k * d), again.sums, { atol: 1e-30, rtol: 1e-12, scale: abs, label: `${label}: kmeansLabelSums` });
        b.free();
      }
    }
  }
});

test('kmeansDistances (transform) vs f64; kmeansUpdate, kmeansRowDistances, kmeansMiniBatchUpdate exactly', () => {
  for (const d of [1, 2, 3, 4, 5, 17]) {
    for (const k of [1, 6, 9]) {
      const n = 260, b = buffers();
      const xs = blobs(n, d, k, { seed: d * 10 + k });
      const cs = seededValues(k * d, k + d).map((v) => v * 4);
      const X = Float64Array.from(xs), C = Float64Array.from(cs);
      const x = b.f32(xs), c = b.f32(cs), xn = b.bytes(n * 4), out = b.bytes(n * k * 4);
      K().rowSquaredNorms(n, d, x, xn);
      K().kmeansDistances(n, d, k, x, xn, c, out, b.bytes(K().kmeansScratchBytes(d, k)));
      const got = b.readF32(out, n * k).map((v) => v * v);
      const ref = [], scale = [];
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < k; j++) {
          ref.push(sqDist(X, i, C, j, d));
          let s = 0;
          for (let f = 0; f < d; f++) s += X[i * d + f] ** 2 + C[j * d + f] ** 2;
          scale.push(s);
        }
      }
      assertClose(got, ref, { atol: 1e-30, rtol: 3e-6, scale, label: `distances d=${d} k=${k}` });

      const labels = Int32Array.from({ length: n }, (_, i) => (i * 5) % k);
      const pl = b.i32(labels), rowOut = b.bytes(n * 4);
      const total = K().kmeansRowDistances(n, d, x, c, pl, rowOut, 0);
      const exact = Array.from({ length: n }, (_, i) => sqDist(X, i, C, labels[i], d));
      assertClose(b.readF32(rowOut, n), exact.map(Math.fround), { atol: 0, rtol: 0, label: 'row distances (f64, rounded once)' });
      assertClose([total], [exact.reduce((s, v) => s + v, 0)], { atol: 0, rtol: 1e-13, label: 'inertia' });

      const { sums, counts } = sumsRef(X, n, d, labels, k);
      if (k > 1) counts[k - 1] = 0; // an empty cluster keeps its centre
      const ps = b.f64(sums), pc = b.i32(counts);
      const shift = K().kmeansUpdate(k, d, ps, pc, c, 0);
      const next = b.readF32(c, k * d);
      let refShift = 0;
      for (let j = 0; j < k; j++) {
        for (let f = 0; f < d; f++) {
          const v = counts[j] > 0 ? Math.fround(sums[j * d + f] * (1 / counts[j])) : cs[j * d + f];
          assert.equal(next[j * d + f], v, `update d=${d} k=${k} centre ${j} feature ${f}`);
          refShift += (v - cs[j * d + f]) ** 2;
        }
      }
      assertClose([shift], [refShift], { atol: 1e-12, rtol: 1e-12, label: 'centre shift' });

      const w = Float64Array.from({ length: k }, (_, j) => j * 3);
      const pw = b.f64(w), cm = b.f32(cs);
      K().kmeansMiniBatchUpdate(k, d, cm, pw, ps, pc, 0);
      const mb = b.readF32(cm, k * d), w2 = b.readF64(pw, k);
      for (let j = 0; j < k; j++) {
        assert.equal(w2[j], w[j] + counts[j], 'running counts');
        for (let f = 0; f < d; f++) {
          const v = counts[j] > 0 ? Math.fround((cs[j * d + f] * w[j] + sums[j * d + f]) * (1 / (w[j] + counts[j]))) : cs[j * d + f];
          assert.equal(mb[j * d + f], v, `mini-batch update centre ${j}`);
        }
      }
      b.free();
    }
  }
});

test('kmeansRelocateEmpty moves the farthest points of clusters that keep another point', () => {
  const n = 9, d = 2, k = 4;
  const b = buffers();
  const xs = Float32Array.from([0, 0, 0, 1, 1, 0, 9, 9, 10, 9, 30, 30, 5, 5, -7, 2, 4, 4]);
  const labels = Int32Array.from([0, 0, 0, 1, 1, 3, 1, 0, 1]); // cluster 2 is empty; cluster 3 has one row
  const dist = Float32Array.from([0, 1, 1, 2, 3, 99, 50, 60, 1]); // row 5 is farthest but alone in cluster 3
  const X = Float64Array.from(xs);
  const { sums, counts } = sumsRef(X, n, d, labels, k);
  const ps = b.f64(sums), pc = b.i32(counts), pd = b.f32(dist);
  const moved = K().kmeansRelocateEmpty(n, d, k, b.f32(xs), b.i32(labels), pd, ps, pc, 0, 0);
  const rs = Float64Array.from(sums), rc = Int32Array.from(counts), rd = Float64Array.from(dist);
  relocateRef(X, n, d, k, labels, rd, rs, rc);
  assert.equal(moved, 1);
  assert.deepEqual(b.readI32(pc, k), rc);
  assert.deepEqual(Array.from(b.readF64(ps, k * d)), Array.from(rs));
  assert.deepEqual(Array.from(b.readI32(pc, k)), [3, 4, 1, 1], 'row 7 (distance 60, cluster 0) moved to cluster 2');
  assert.deepEqual(Array.from(b.readF64(ps, k * d)).slice(4, 6), [-7, 2]);
  b.free();
});

test('sampling kernels: distinct rows, indices in range, the same draws as the reference xoshiro', () => {
  const b = buffers();
  const rng = b.bytes(16);
  K().rngSeed(rng, 7, 5);
  const n = 50, k = 20;
  const out = b.bytes(k * 4);
  K().kmeansSampleDistinct(rng, n, k, b.bytes(n * 4), out);
  const picks = b.readI32(out, k);
  assert.equal(new Set(picks).size, k, 'distinct');
  assert.ok(picks.every((v) => v >= 0 && v < n));
  // Lemire's multiply-and-reject over the same xoshiro stream.
  const ref = new XoshiroRef(7, 5);
  const below = (bound) => {
    for (;;) {
      const m = BigInt(ref.next()) * BigInt(bound);
      const low = Number(m & 0xffffffffn);
      if (low >= bound || low >= (2 ** 32 - bound) % bound) return Number(m >> 32n);
    }
  };
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + below(n - i);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  assert.deepEqual(Array.from(picks), perm.slice(0, k), 'partial Fisher–Yates on the reference stream');
  const idx = b.bytes(1000 * 4);
  K().kmeansSampleIndices(rng, 1000, 3, idx);
  const counts = [0, 0, 0];
  for (const v of b.readI32(idx, 1000)) counts[v]++;
  assert.ok(counts.every((c) => c > 270 && c < 400), `uniform over 3: ${counts}`);
  b.free();
});

test('kmeansReassign: starved centres move onto distinct batch rows and take the smallest kept count', () => {
  const b = buffers();
  const rng = b.bytes(16);
  K().rngSeed(rng, 3, 0);
  const k = 5, d = 3, rows = 4;
  const cs = seededValues(k * d, 1), batch = Float32Array.from({ length: rows * d }, (_, i) => 100 + i);
  const c = b.f32(cs), w = b.f64([1000, 5, 2000, 0, 300]), scratch = b.bytes((k + rows) * 4);
  // ratio 0.01 of max 2000 = 20: centres 1 and 3 are starved; at most rows/2 = 2 may move.
  const moved = K().kmeansReassign(rng, k, d, c, w, 0.01, rows, b.f32(batch), scratch);
  assert.equal(moved, 2);
  const next = b.readF32(c, k * d), weights = b.readF64(w, k);
  assert.deepEqual(Array.from(weights), [1000, 300, 2000, 300, 300]);
  const rowOf = (j) => (next[j * d] - 100) / d;
  for (const j of [1, 3]) {
    const r = rowOf(j);
    assert.ok(Number.isInteger(r) && r >= 0 && r < rows, `centre ${j} is a batch row`);
    assert.deepEqual(Array.from(next.subarray(j * d, j * d + d)), Array.from(batch.subarray(r * d, r * d + d)));
  }
  assert.notEqual(rowOf(1), rowOf(3), 'distinct rows');
  for (const j of [0, 2, 4]) assert.deepEqual(Array.from(next.subarray(j * d, j * d + d)), Array.from(cs.subarray(j * d, j * d + d)));
  // Limit: 3 starved, batch of 2 rows → only the smallest one moves.
  const w2 = b.f64([0, 1, 2, 1000, 1000]);
  assert.equal(K().kmeansReassign(rng, k, d, c, w2, 0.5, 2, b.f32(batch), scratch), 1);
  assert.deepEqual(Array.from(b.readF64(w2, k)), [1, 1, 2, 1000, 1000], 'centre 0 (count 0) moved, took min kept count 1');
  b.free();
});

// --- KMeans ----------------------------------------------------------------

/** The model's centring: f64 column medians, then f32(x − median); and the mean variance (of f64 column means Σ·(1/n)), which tol reads. */
function centred(xs, n, d) {
  const { variance } = colStatsRef(Float64Array.from(xs), n, d);
  const shift = colMediansRef(xs, n, d);
  const xc = Float64Array.from(xs, (v, i) => Math.fround(v - shift[i % d]));
  return { xc, shift, meanVariance: variance.reduce((s, v) => s + v, 0) / d };
}

test('KMeans from fixed centres: labels equal the f64 Lloyd reference, inertia to 1e-5, same iterations', () => {
  const cases = [
    { n: 1000, d: 5, k: 7, tol: 0, offset: 50 },
    { n: 2000, d: 16, k: 16, tol: 1e-4, offset: -3 },
    { n: 700, d: 3, k: 40, tol: 1e-4, offset: 0 },
    { n: 513, d: 1, k: 4, tol: 0, offset: 1000 },
  ];
  for (const [ci, { n, d, k, tol, offset }] of cases.entries()) {
    const xs = blobs(n, d, k, { seed: ci + 1, spread: 1.2, sep: 4, offset });
    const initCentres = [];
    for (let j = 0; j < k; j++) initCentres.push(Array.from(xs.subarray(j * 3 * d, j * 3 * d + d)));
    const km = new KMeans({ k, init: initCentres, maxIter: 100, tol }).fit({ data: xs, rows: n, cols: d });
    const { xc, shift, meanVariance } = centred(xs, n, d);
    const c0 = Float64Array.from(initCentres.flat(), (v, t) => Math.fround(v - shift[t % d]));
    const ref = lloydRef(xc, n, d, c0, k, { maxIter: 100, tolAbs: tol * meanVariance });
    const label = `case ${ci} (n=${n} d=${d} k=${k})`;
    assert.ok(ref.minGap > 1e-5, `${label}: the data leave rounding no say (min relative gap ${ref.minGap})`);
    assert.deepEqual(km.labels, ref.labels, `${label}: labels`);
    assert.equal(km.nIter, ref.nIter, `${label}: iterations`);
    assert.ok(Math.abs(km.inertia - ref.inertia) <= 1e-5 * ref.inertia, `${label}: inertia ${km.inertia} vs ${ref.inertia}`);
    const centres = km.clusterCenters.flat();
    const refCentres = Array.from(ref.centers, (v, t) => v + shift[t % d]);
    assertClose(centres, refCentres, { atol: 1e-5 * (1 + Math.abs(offset)), rtol: 1e-5, label: `${label}: centres` });
    assert.deepEqual(km.predict({ data: xs, rows: n, cols: d }), km.labels, `${label}: predict(fit data) = labels`);
  }
});

test('KMeans: an empty cluster is re-seeded from the farthest point, as the reference does (direct and GEMM paths)', () => {
  // d = 2 runs the direct distances, d = 6 the GEMM; both keep the centre sums
  // incrementally and must rebuild them after the relocation.
  for (const d of [2, 6]) {
    const n = 600, k = 4;
    const xs = blobs(n, d, 3, { seed: 10, spread: 0.8, sep: 8 });
    const far = Array.from({ length: d }, (_, f) => (f % 2 ? -500 : 500));
    const initCentres = [0, 1, 2].map((r) => Array.from(xs.subarray(r * d, (r + 1) * d))).concat([far]);
    const km = new KMeans({ k, init: initCentres, tol: 0 }).fit({ data: xs, rows: n, cols: d });
    const { xc, shift } = centred(xs, n, d);
    const c0 = Float64Array.from(initCentres.flat(), (v, t) => Math.fround(v - shift[t % d]));
    const ref = lloydRef(xc, n, d, c0, k, { maxIter: 300, tolAbs: 0 });
    assert.ok(ref.minGap > 1e-5, `d=${d}: min relative gap ${ref.minGap}`);
    assert.deepEqual(km.labels, ref.labels, `d=${d}: labels`);
    assert.equal(km.nIter, ref.nIter, `d=${d}: iterations`);
    const sizes = new Array(k).fill(0);
    for (const l of km.labels) sizes[l]++;
    assert.ok(sizes.every((s) => s > 0), `d=${d}: every cluster has points: ${sizes}`);
    assert.ok(km.clusterCenters[3].every((v) => Math.abs(v) < 50), `d=${d}: the far centre came back to the data`);
    assert.ok(Math.abs(km.inertia - ref.inertia) <= 1e-5 * ref.inertia, `d=${d}: inertia`);
  }
});

test('k-means++ puts one centre in each of k separated blobs and beats random init on mean inertia', () => {
  const n = 800, d = 3, k = 8;
  const xs = blobs(n, d, k, { seed: 4, spread: 0.3, sep: 50 });
  const pts = { data: xs, rows: n, cols: d };
  let pp = 0, rnd = 0, ppAllBlobs = 0;
  const seeds = 12;
  for (let seed = 0; seed < seeds; seed++) {
    const a = new KMeans({ k, seed, maxIter: 1 }).fit(pts); // one iteration: mostly the seeding
    const r = new KMeans({ k, seed, init: 'random', nInit: 1, maxIter: 1 }).fit(pts);
    pp += a.inertia; rnd += r.inertia;
    const blobsHit = new Set(Array.from(a.labels.slice(0, k))); // rows 0..k−1 are one per blob
    if (blobsHit.size === k) ppAllBlobs++;
    const cs = a.clusterCenters.map((c) => c.join(','));
    assert.equal(new Set(cs).size, k, `seed ${seed}: distinct centres`);
  }
  assert.equal(ppAllBlobs, seeds, 'k-means++ seeded every blob for every seed');
  assert.ok(pp / seeds < rnd / seeds, `mean inertia k-means++ ${pp / seeds} < random ${rnd / seeds}`);
  assert.ok(pp / seeds < 0.5 * (rnd / seeds), 'by a wide margin on separated blobs');
});

test('KMeans: seeded and reproducible; nInit keeps the lowest inertia; tol is relative to the mean variance', () => {
  const n = 900, d = 4, k = 6;
  const xs = blobs(n, d, k, { seed: 2, spread: 2, sep: 3 });
  const pts = { data: xs, rows: n, cols: d };
  const a = new KMeans({ k, seed: 5 }).fit(pts), b = new KMeans({ k, seed: 5 }).fit(pts);
  assert.deepEqual(a.labels, b.labels);
  assert.deepEqual(a.clusterCenters, b.clusterCenters);
  assert.equal(a.inertia, b.inertia);
  // nInit's first run is the nInit = 1 run (same seed, same stream): keeping the best can only lower the inertia.
  let lower = 0;
  for (const seed of [1, 2, 3, 4]) {
    const one = new KMeans({ k, seed, init: 'random', nInit: 1 }).fit(pts).inertia;
    const four = new KMeans({ k, seed, init: 'random', nInit: 4 }).fit(pts).inertia;
    assert.ok(four <= one, `seed ${seed}: nInit 4 ${four} ≤ nInit 1 ${one}`);
    if (four < one) lower++;
  }
  assert.ok(lower > 0, 'some extra run found a better clustering');
  // tol is relative to the mean feature variance: scaling the data by a power of two
  // (exact in floating point) changes neither the iterations nor the labels.
  for (const scale of [1 / 64, 64, 4096]) {
    const scaled = new KMeans({ k, seed: 5, tol: 0.01 }).fit({ data: xs.map((v) => v * scale), rows: n, cols: d });
    const base = new KMeans({ k, seed: 5, tol: 0.01 }).fit(pts);
    assert.equal(scaled.nIter, base.nIter, `×${scale}: iterations`);
    assert.deepEqual(scaled.labels, base.labels, `×${scale}: labels`);
    assert.ok(base.nIter > 1 && base.nIter < new KMeans({ k, seed: 5, tol: 0 }).fit(pts).nIter, 'tol 0.01 stops early here');
  }
  // A huge tol stops after one iteration; a looser tol stops no later than a tighter one.
  assert.equal(new KMeans({ k, seed: 5, tol: 1e6 }).fit(pts).nIter, 1);
  const km = new KMeans({ k, seed: 5, tol: 0.05 }).fit(pts);
  assert.ok(km.nIter < new KMeans({ k, seed: 5, tol: 0 }).fit(pts).nIter, 'a looser tol stops sooner');
});

test('KMeans transform and anomalyScores: distances to every centre and to the nearest one', () => {
  const n = 300, d = 5, k = 4;
  const xs = blobs(n, d, k, { seed: 12, offset: 20 });
  const km = new KMeans({ k, seed: 3 }).fit({ data: xs, rows: n, cols: d });
  const C = Float64Array.from(km.clusterCenters.flat());
  const X = Float64Array.from(xs);
  const t = km.transform({ data: xs, rows: n, cols: d });
  assert.equal(t.rows, n); assert.equal(t.cols, k);
  const ref = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) ref.push(Math.sqrt(sqDist(X, i, C, j, d)));
  assert.ok(t.data instanceof Float32Array, 'a plain typed array: nothing to dispose');
  assertClose(t.data, ref, { atol: 2e-3, rtol: 1e-4, label: 'transform' });
  const tm = km.transform({ data: xs, rows: n, cols: d }, { as: 'matrix' });
  assert.deepEqual([tm.rows, tm.cols], [n, k]);
  assert.deepEqual(tm.toFloat32Array(), t.data, 'as a Matrix: the same values');
  tm.dispose();
  const scores = km.anomalyScores({ data: xs, rows: n, cols: d });
  const nearest = Array.from({ length: n }, (_, i) => Math.sqrt(sqDist(X, i, C, km.labels[i], d)));
  assertClose(scores, nearest, { atol: 1e-5, rtol: 1e-5, label: 'anomaly scores' });
  assertClose([-km.score({ data: xs, rows: n, cols: d })], [km.inertia], { atol: 0, rtol: 1e-12, label: 'score = −inertia' });
  // An outlier scores highest.
  const withOutlier = [...km.clusterCenters, [99, 99, 99, 99, 99]];
  const s2 = km.anomalyScores(withOutlier);
  assert.ok(s2[k] > 100 && s2.slice(0, k).every((v) => v < 1e-4));
  // Every input form gives the same labels.
  const rows = Array.from({ length: n }, (_, i) => Array.from(xs.subarray(i * d, (i + 1) * d)));
  const m = Matrix.from(xs, n, d);
  assert.deepEqual(km.predict(rows), km.labels);
  assert.deepEqual(km.predict(m), km.labels);
  assert.deepEqual(km.predict({ data: Float64Array.from(xs), rows: n, cols: d }), km.labels);
  m.dispose();
});

test('MiniBatchKMeans: close to KMeans on separated blobs; partialFit over a stream; reproducible', () => {
  const n = 6000, d = 4, k = 5;
  const xs = blobs(n, d, k, { seed: 21, spread: 0.5, sep: 10, offset: 7 });
  const pts = { data: xs, rows: n, cols: d };
  const full = new KMeans({ k, seed: 1 }).fit(pts);
  const mb = new MiniBatchKMeans({ k, seed: 1, batchSize: 256 }).fit(pts);
  assert.ok(mb.inertia <= full.inertia * 1.02, `mini-batch inertia ${mb.inertia} within 2% of ${full.inertia}`);
  assert.ok(mb.nSteps >= 2 && mb.nIter >= 1);
  const match = (centres) => full.clusterCenters.every((c) => centres.some((m) => Math.hypot(...c.map((v, f) => v - m[f])) < 0.15));
  assert.ok(match(mb.clusterCenters), 'every KMeans centre has a mini-batch centre within 0.15');
  const again = new MiniBatchKMeans({ k, seed: 1, batchSize: 256 }).fit(pts);
  assert.deepEqual(again.clusterCenters, mb.clusterCenters, 'same seed, same centres');

  const stream = new MiniBatchKMeans({ k, seed: 2 });
  for (let epoch = 0; epoch < 3; epoch++) {
    for (let start = 0; start < n; start += 500) stream.partialFit({ data: xs.subarray(start * d, (start + 500) * d), rows: 500, cols: d });
  }
  assert.equal(stream.nSteps, 36);
  assert.ok(match(stream.clusterCenters), 'partialFit over the stream finds the blobs');
  assert.ok(stream.counts.reduce((s, v) => s + v, 0) > 0);
  // labels and inertia: the last batch's, against the centres after its step.
  const last = { data: xs.subarray((n - 500) * d, n * d), rows: 500, cols: d };
  assert.deepEqual(stream.labels, stream.predict(last));
  assertClose([stream.inertia], [-stream.score(last)], { atol: 0, rtol: 1e-12, label: 'partialFit inertia = −score(batch)' });
  assert.throws(() => stream.partialFit([[1, 2, 3]]), (e) => e instanceof ShapeError && /3 values, expected 4 \(the model was fitted on 4 features\)/.test(e.message));
  const predicted = stream.predict(pts);
  assert.equal(predicted.length, n);
});

// --- the data's scale: offsets and tiny spreads --------------------------------

/** Σ (x − c_label)² in f64 from the caller's values and the reported centres (one column). */
const inertiaOf = (rows, labels, centres) => rows.reduce((s, [v], i) => s + (v - centres[labels[i]][0]) ** 2, 0);

test('offset data are centred in f64 before the rounding to float32: Unix timestamps and 1e8 + 0.1 steps cluster as the float64 references', () => {
  // Two bursts of events 100 s apart, each over 20 s, at Unix times around 1.7e9: float32 has a step
  // of 128 there, so rounding before centring (as before) merged each burst into one value (centres
  // B + 0 and B + 128, inertia 0, no warning). Expected, from a float64 numpy re-implementation of
  // scikit-learn's Lloyd (from centres B and B + 100): centres B + 10 and B + 110, inertia 436.
  const B = 1_700_000_000;
  const steps = [0, 7, 13, 20, 100, 107, 113, 120];
  const ts = steps.map((s) => [B + s]);
  const forms = {
    'number[][]': ts,
    'Float64Array data': { data: Float64Array.from(ts.flat()), rows: 8, cols: 1 },
    'number[] data': { data: ts.flat(), rows: 8, cols: 1 },
  };
  for (const [form, points] of Object.entries(forms)) {
    const km = new KMeans({ k: 2, init: [[B], [B + 100]] }).fit(points);
    assert.deepEqual(Array.from(km.labels), [0, 0, 0, 0, 1, 1, 1, 1], form);
    // The centred values are integers, exact in float32: so are the centres and the inertia.
    assert.deepEqual(km.clusterCenters, [[B + 10], [B + 110]], `${form}: centres`);
    assert.equal(km.inertia, 436, `${form}: inertia`);
    // New points are staged against the fitted means the same way.
    const fresh = [[B + 5], [B + 50], [B + 116]];
    assert.deepEqual(Array.from(km.predict(fresh)), [0, 0, 1], `${form}: predict`);
    assert.deepEqual(Array.from(km.transform(fresh).data), [5, 105, 40, 60, 106, 6], `${form}: transform`);
    assert.deepEqual(Array.from(km.anomalyScores(fresh)), [5, 40, 6], `${form}: anomalyScores`);
    assert.equal(km.score(fresh), -(25 + 1600 + 36), `${form}: score`);
  }
  // The same clustering as the timestamps shifted to 0 (what scikit-learn computes in float64), bit for bit.
  const seeded = new KMeans({ k: 2, seed: 0 }).fit(ts), zero = new KMeans({ k: 2, seed: 0 }).fit(steps.map((s) => [s]));
  assert.deepEqual(seeded.labels, zero.labels);
  assert.equal(seeded.inertia, zero.inertia);
  assert.deepEqual(seeded.clusterCenters.map(([c]) => c - B), zero.clusterCenters.flat().map((c) => c));
  // MiniBatchKMeans (fit and partialFit): the bursts stay apart, and the inertia is that of the reported centres.
  for (const mb of [new MiniBatchKMeans({ k: 2, seed: 0 }).fit(ts), new MiniBatchKMeans({ k: 2, seed: 0 }).partialFit(ts).partialFit(ts)]) {
    const l = Array.from(mb.labels);
    assert.deepEqual(l, [l[0], l[0], l[0], l[0], 1 - l[0], 1 - l[0], 1 - l[0], 1 - l[0]], 'MiniBatchKMeans: the two bursts');
    assert.ok(mb.inertia >= 436 && mb.inertia < 500, `MiniBatchKMeans inertia ${mb.inertia}`);
    assertClose([mb.inertia], [inertiaOf(ts, l, mb.clusterCenters)], { atol: 0, rtol: 1e-9, label: 'MiniBatchKMeans: inertia of its centres' });
  }
  // 1e8 + {0, 0.1, 0.2, 5, 5.1, 5.2} (float32's step at 1e8 is 8): the references give centres
  // 1e8 + 0.1 and 1e8 + 5.1, inertia 0.04; before, the inertia was 0.
  const o = [0, 0.1, 0.2, 5, 5.1, 5.2].map((v) => [1e8 + v]);
  const k8 = new KMeans({ k: 2, init: [[1e8], [1e8 + 5]] }).fit(o);
  assert.deepEqual(Array.from(k8.labels), [0, 0, 0, 1, 1, 1]);
  assertClose(k8.clusterCenters.flat(), [1e8 + 0.1, 1e8 + 5.1], { atol: 1e-6, rtol: 0, label: '1e8 centres' });
  assertClose([k8.inertia], [0.04], { atol: 0, rtol: 1e-5, label: '1e8 inertia' });
  // Data already float32 (integers, a Float32Array, a Matrix) centre as before: the same bits whatever the form.
  const ints = [[3, 1], [4, 1], [5, 2], [40, 41], [41, 40], [42, 42]];
  const asF32 = { data: Float32Array.from(ints.flat()), rows: 6, cols: 2 };
  const m = Matrix.from(asF32.data, 6, 2);
  const fits = [ints, asF32, m].map((p) => new KMeans({ k: 2, seed: 4 }).fit(p));
  m.dispose();
  for (const f of fits.slice(1)) {
    assert.deepEqual(f.clusterCenters, fits[0].clusterCenters);
    assert.equal(f.inertia, fits[0].inertia);
  }
});

test('tiny spreads: k-means works on the data scaled by a power of two (exact), and refuses a spread below 2e-31 with a typed error', () => {
  // Six points around 1e-25 and 5e-25: their squared distances (~1e-50) are 0 in float32, so before,
  // every label was 0, the centres 3.5e-25 and 1e-25, transform 0 everywhere, and the warning blamed
  // duplicate rows. The references (float64): centres 1.1e-25 and 5.1e-25, inertia 4e-52.
  const tiny = [1e-25, 1.1e-25, 1.2e-25, 5e-25, 5.1e-25, 5.2e-25].map((v) => [v]);
  for (const Model of [KMeans, MiniBatchKMeans]) {
    const { result: km, warnings } = captureWarnings(() => new Model({ k: 2, seed: 0 }).fit(tiny));
    assert.deepEqual(warnings, [], `${Model.name}: no warning`);
    const l = Array.from(km.labels);
    assert.deepEqual(l, [l[0], l[0], l[0], 1 - l[0], 1 - l[0], 1 - l[0]], `${Model.name}: labels`);
    const c = [km.clusterCenters[l[0]][0], km.clusterCenters[1 - l[0]][0]];
    if (Model === KMeans) {
      assertClose(c, [1.1e-25, 5.1e-25], { atol: 0, rtol: 1e-6, label: 'KMeans: centres' });
      assertClose([km.inertia], [4e-52], { atol: 0, rtol: 1e-5, label: 'KMeans: inertia' });
    } else {
      // Mini-batch centres are running means of the batches: within each group, and the inertia theirs.
      assert.ok(c[0] >= 1e-25 && c[0] <= 1.2e-25 && c[1] >= 5e-25 && c[1] <= 5.2e-25, `MiniBatchKMeans: centres ${c}`);
      assertClose([km.inertia], [inertiaOf(tiny, l, km.clusterCenters)], { atol: 0, rtol: 1e-5, label: 'MiniBatchKMeans: inertia' });
    }
    assert.deepEqual(km.predict(tiny), km.labels);
  }
  // Exactly the clustering of the data times 2^82 (which brings their largest deviation from the median,
  // 4e-25, into [1, 2), as the fit does inside): labels, centres, inertia, distances, bit for bit.
  const s = 2 ** 82;
  const km = new KMeans({ k: 2, seed: 0 }).fit(tiny), big = new KMeans({ k: 2, seed: 0 }).fit(tiny.map(([v]) => [v * s]));
  assert.deepEqual(km.labels, big.labels);
  assert.deepEqual(km.clusterCenters, big.clusterCenters.map(([v]) => [v / s]));
  assert.equal(km.inertia, big.inertia / (s * s));
  const fresh = [[0], [2e-25], [7e-25]];
  const bigFresh = fresh.map(([v]) => [v * s]);
  assert.deepEqual(km.predict(fresh), big.predict(bigFresh));
  assert.deepEqual(km.transform(fresh).data, big.transform(bigFresh).data.map((v) => v / s));
  assert.deepEqual(km.anomalyScores(fresh), big.anomalyScores(bigFresh).map((v) => v / s));
  assert.equal(km.score(fresh), big.score(bigFresh) / (s * s));
  // Given centres are scaled with the data.
  const given = new KMeans({ k: 2, init: [[1e-25], [5e-25]] }).fit(tiny);
  assert.deepEqual(Array.from(given.labels), [0, 0, 0, 1, 1, 1]);
  // A point far from such data is refused in the data's units.
  assert.throws(() => km.predict([[1e30]]), (e) => e instanceof ArgumentError && /points row 0 lies 1\.00e\+30 from the fitted column medians, too far for squared distances in float32 \(at most 1\.9e-6\)/.test(e.message));
  // Below 2^-102 (2.0e-31), float32 (the distances k-means gives back) has no digits left: refused, naming the column.
  const below = [[0, 1e-50], [0, 2e-50], [0, 3e-50], [0, 9e-50]];
  for (const Model of [KMeans, MiniBatchKMeans]) {
    assert.throws(() => new Model({ k: 2, seed: 0 }).fit(below), (e) => e instanceof ArgumentError && e.code === 'E_ARGUMENT' &&
      new RegExp(`${Model.name}\\.fit: the points lie at most 7\\.00e-50 from their column medians \\(the farthest value in column 1\\): below 2\\.0e-31`).test(e.message) &&
      /rescale the data/.test(e.message), Model.name);
  }
  assert.throws(() => new MiniBatchKMeans({ k: 2 }).partialFit(below), (e) => e instanceof ArgumentError && /MiniBatchKMeans\.partialFit: the points lie at most 7\.00e-50/.test(e.message));
  // A tiny column beside a wide one is no matter for k-means (it adds nothing to the distances, in float64 either).
  assert.deepEqual(Array.from(new KMeans({ k: 2, init: [[0, 0], [9, 0]] }).fit([[0, 1e-50], [1, 0], [9, 2e-50], [10, 0]]).labels), [0, 0, 1, 1]);
});

// --- outliers: the frame is centred at the column medians -------------------

/** The six points around (0, 0) and (10, 10) of the outlier examples, and their float64 centre and inertia. */
const SIX = [[0, 0], [1, 0], [0, 1], [10, 10], [11, 10], [10, 11]];
const SIX_CENTRE = 16 / 3, SIX_INERTIA = 908 / 3;

test('one far outlier no longer takes the other points\' detail: six points around (0, 0) and (10, 10) and one at (1e12, 0) cluster as in float64', () => {
  // Before, the data were centred at their column means: the outlier put column 0's at 1.4e11, where float32's
  // step is 16384, and the six points, held in float32 as their distance from it, lost their detail: their
  // centre came out (590, 5.33), the inertia 151. Centred at the medians (10, 1), they are held exactly (their
  // distances from the medians are small integers), and only the centres' own float32 rounding is left:
  // (5.33 − 10, 5.33 − 1) to float32's step there, 2⁻²¹ = 4.8e-7 (half of it, with a margin of 2); the inertia
  // is exact from the float32 centres up to their rounding squared (6·2·(2.4e-7)² < 1e-12); the outlier's centre
  // is 1e12 to float32's precision at its distance from the median (half a step of 65536).
  const pts = [...SIX, [1e12, 0]];
  for (const points of [pts, { data: Float64Array.from(pts.flat()), rows: 7, cols: 2 }]) {
    const km = new KMeans({ k: 2, seed: 0 }).fit(points);
    const l = Array.from(km.labels);
    assert.deepEqual(l, [l[0], l[0], l[0], l[0], l[0], l[0], 1 - l[0]], 'labels: the six, and the outlier');
    assertClose(km.clusterCenters[l[0]], [SIX_CENTRE, SIX_CENTRE], { atol: 2 ** -21, rtol: 0, label: 'the six points\' centre' });
    assertClose([km.inertia], [SIX_INERTIA], { atol: 1e-9, rtol: 0, label: 'inertia' });
    assertClose(km.clusterCenters[1 - l[0]], [1e12, 0], { atol: 32768, rtol: 0, label: 'the outlier\'s centre' });
    // The fitted rows, and rows far from everything, are answered (as float64 would, to float32's precision).
    assert.deepEqual(km.predict(pts), km.labels);
    assertClose(km.anomalyScores([[1e12, 0], [5e11, 3], [2, 3]]), [0, 5e11 - 4, Math.hypot(2 - SIX_CENTRE, 3 - SIX_CENTRE)],
      { atol: 0, rtol: 2 ** -22, label: 'anomalyScores' });
  }
  // MiniBatchKMeans: its inertia is the six points' about their centre (the outlier's, alone, is 0), as float64
  // computes it from the centre it reports (before: 151 for the same reason).
  const mb = new MiniBatchKMeans({ k: 2, seed: 0 }).fit(pts);
  const ml = Array.from(mb.labels), c = mb.clusterCenters;
  assert.deepEqual(ml, [ml[0], ml[0], ml[0], ml[0], ml[0], ml[0], 1 - ml[0]], 'MiniBatchKMeans: labels');
  const own = SIX.reduce((s, [a, b]) => s + (a - c[ml[0]][0]) ** 2 + (b - c[ml[0]][1]) ** 2, 0);
  assertClose([mb.inertia], [own], { atol: 0, rtol: 1e-9, label: 'MiniBatchKMeans: inertia of its centres' });
  assert.ok(c[ml[0]].every((v) => v >= 0 && v <= 11), `MiniBatchKMeans: the six points' centre ${c[ml[0]]}`);
});

test('points too far from the rest of their column for float32 are refused, naming the cluster and the column; the boundary is 1/1024 of their spread', () => {
  // Three points at 1e12 + 0, 1, 2 beside the six: they are one value in float32 at their distance from the
  // medians (a step of 65536), so their spread, 0.82, became 0 (before: no error, the six points' centre at
  // (1369, 5.33) and the inertia 151 instead of 304.67).
  const far = [...SIX, [1e12, 0], [1e12 + 1, 0], [1e12 + 2, 0]];
  for (const [name, fit] of [['KMeans', () => new KMeans({ k: 2, seed: 0 }).fit(far)], ['MiniBatchKMeans', () => new MiniBatchKMeans({ k: 2, seed: 0 }).fit(far)],
    ['MiniBatchKMeans', () => new MiniBatchKMeans({ k: 2, seed: 0 }).partialFit(far)]]) {
    expectError(fit, ArgumentError, 'E_ARGUMENT', [
      new RegExp(`^${name}\\.(fit|partialFit): the points of cluster \\d lie up to 1\\.00e\\+12 from the median of column 0, where float32's step is 65536, ` +
        'beside their spread of 0\\.8165 .*their mean moves by \\d+ and their standard deviation in the column goes from 0\\.8165 to 0\\. '),
      /remove or clip the far values if they are outliers, or transform the column/,
    ], { label: name });
  }
  // The same points in column 1 (and a refused partialFit leaves the model as it was).
  const mb = new MiniBatchKMeans({ k: 2, seed: 0 }).partialFit(SIX.map(([a, b]) => [b, a]));
  const before = mb.clusterCenters;
  expectError(() => mb.partialFit([[0, 1e12], [0, 1e12 + 1], [0, 1e12 + 2], [1, 0]]), ArgumentError, 'E_ARGUMENT',
    /^MiniBatchKMeans\.partialFit: the points of cluster \d lie up to 1\.00e\+12 from the median of column 1, /);
  assert.deepEqual(mb.clusterCenters, before);

  // The boundary: three points D + 0, a, 2a beside 0…8 (median 5). At D − 5 = 2²⁰ − 4.7 and above, float32's
  // steps are 1/16 and 1/8, so the three are moved by +0.0125, −0.05, −0.05 whatever a (a whole number ≥ 5):
  // their spread changes by 0.0255, which is more than 1/1024 of it up to a = 31 (refused), less from a = 33
  // (accepted: then the inertia is float64's to 2/1024 of the far cluster's share, the square of the allowance).
  const D = 2 ** 20 + 0.3, m = 5;
  const sd = (z) => { const mu = z.reduce((s, v) => s + v, 0) / z.length; return Math.sqrt(z.reduce((s, v) => s + (v - mu) ** 2, 0) / z.length); };
  const verdicts = new Set();
  for (let a = 20; a <= 44; a++) {
    const group = [D, D + a, D + 2 * a];
    const s = sd(group.map((v) => v - m)), held = sd(group.map((v) => Math.fround(v - m)));
    const ratio = Math.abs(held - s) / (s / 1024);
    if (Math.abs(ratio - 1) < 1e-3) continue; // too close to call (a = 32)
    const pts = [0, 1, 2, 3, 4, 5, 6, 7, 8, ...group].map((v) => [v]);
    const fit = () => new KMeans({ k: 2, init: [[4], [D]] }).fit(pts);
    if (ratio > 1) {
      expectError(fit, ArgumentError, 'E_ARGUMENT', /^KMeans\.fit: the points of cluster 1 lie up to 1\.05e\+6 from the median of column 0, where float32's step is 0\.125/, { label: `a = ${a}` });
      verdicts.add('refused');
    } else {
      const km = fit();
      const farInertia = 3 * s * s, bulkInertia = 60;
      assertClose([km.inertia], [farInertia + bulkInertia], { atol: (2 / 1024) * farInertia, rtol: 0, label: `a = ${a}: inertia` });
      verdicts.add('accepted');
    }
  }
  assert.deepEqual([...verdicts].sort(), ['accepted', 'refused']);
});

/**
 * One column: 0…8 and three values around 5 + X (X ≈ 2^p, float32's step `step` there), X/2^logRatio apart,
 * each put within 0.49 of a step from a float32 value: rounded toward each other (`toward`, what costs the
 * spread most), all the same way (`same`, what moves the mean most), or at random.
 */
function farGroup(p, logRatio, pattern, rnd) {
  const X = 2 ** p * (1 + rnd() / 2), step = 2 ** (Math.floor(Math.log2(X)) - 23), s = X / 2 ** logRatio;
  const far = [-1, 1, 0.5].map((z) => {
    const phi = pattern === 'toward' ? (z < 0 ? -0.49 : 0.49) : pattern === 'same' ? 0.49 : rnd() - 0.5;
    return 5 + Math.round((X + s * z) / step) * step + phi * step;
  });
  // New rows: around the far values, 0.49 of a step either way from a float32 value.
  const rows = [-2, 0, 0.3, 3].flatMap((t) => [-0.49, 0.49].map((phi) => [5 + Math.round((X + s * t) / step) * step + phi * step]));
  return { X, pts: [0, 1, 2, 3, 4, 5, 6, 7, 8, ...far].map((v) => [v]), rows };
}

test('the screen before the exact rounding check changes no verdict: fits and new rows across the refusal boundary and the screen\'s, screen on and off', () => {
  // checkRounding runs its exact passes only over the groups a screen on the float32 copy cannot clear, and
  // checkNewRows looks only at rows nearest such groups. A far group 2^10 to 2^16 times its spread from the
  // median: the screen clears it up to about 2^11.4 times (where the rounding of later rows at the centre's
  // distance binds), new rows are refused from 2^13, fits from 2^14.5. With the screen off (every group and
  // every row checked exactly) the same fits and rows are refused, with the same messages, and the same
  // results come back.
  let seed = 11;
  const rnd = () => ((seed = Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5 | 0) >>> 0) / 2 ** 32;
  const seen = { refused: 0, cleared: 0, exactAccepted: 0, rowsRefused: 0, rowsAnswered: 0 };
  for (const p of [12, 20, 27]) {
    for (const logRatio of [10, 11, 11.5, 12, 12.5, 13, 13.5, 14, 14.5, 15, 16]) {
      for (const pattern of ['toward', 'same', 'random']) {
        const { X, pts, rows } = farGroup(p, logRatio, pattern, rnd);
        const label = `2^${p}, ratio 2^${logRatio}, ${pattern}`;
        for (const fit of [() => new KMeans({ k: 2, init: [[4], [5 + X]] }).fit(pts), () => new MiniBatchKMeans({ k: 2, init: [[4], [5 + X]] }).partialFit(pts)]) {
          const [on, off] = screenOnOff(fit);
          assert.equal(on.error, off.error, `${label}: fit`);
          if (on.error !== undefined) { seen.refused++; continue; }
          assert.deepEqual([on.ok.clusterCenters, on.ok.inertia, on.ok.labels], [off.ok.clusterCenters, off.ok.inertia, off.ok.labels], `${label}: fitted`);
          seen[on.clearedAll ? 'cleared' : 'exactAccepted']++;
          for (const row of rows) {
            const [a, b] = screenOnOff(() => Array.from(on.ok.transform([row]).data));
            assert.deepEqual([a.ok, a.error], [b.ok, b.error], `${label}: transform(${row})`);
            seen[a.error === undefined ? 'rowsAnswered' : 'rowsRefused']++;
          }
        }
      }
    }
  }
  // Each kind of verdict was reached: the sweep crossed both boundaries.
  for (const [kind, count] of Object.entries(seen)) assert.ok(count > 10, `${kind}: ${count}`);

  // Right at the refusal boundary, with the rounding at 97% of what the screen bounds it by: two values 2²⁰ + 1
  // and + G from the median 5 (float32's step 1/8 there), each 31/512 from a float32 value and rounded toward the
  // other, lose 31/512 of their spread, more than 1/1024 of it up to G = 123.875: refused at 123.75 (by 0.1%),
  // accepted at 124 (by 0.1%), with the screen on.
  const m = 5, base = 2 ** 20 + 1, off = 1 / 16 - 1 / 512;
  const shown = (v) => String(Number(v.toPrecision(4))).replace('.', '\\.');
  for (const G of [123.75, 124]) {
    const a = m + base - off, b = m + base + G + off;
    const pts = [0, 1, 2, 3, 4, 5, 6, 7, 8, a, b].map((v) => [v]);
    const spread = (b - a) / 2;
    assert.equal(off > spread / 1024, G === 123.75, `G = ${G}: the exact verdict`);
    for (const Model of [KMeans, MiniBatchKMeans]) {
      const fit = () => new Model({ k: 2, init: [[4], [m + base]] }).fit(pts);
      if (G === 123.75) {
        expectError(fit, ArgumentError, 'E_ARGUMENT', new RegExp(`^${Model.name}\\.fit: the points of cluster 1 lie up to 1\\.05e\\+6 from the median of column 0, ` +
          `where float32's step is 0\\.125, beside their spread of ${shown(spread)} .*their mean moves by 0 and their standard deviation ` +
          `in the column goes from ${shown(spread)} to ${shown(G / 2)}\\. `), { label: `${Model.name}, G = ${G}` });
      } else {
        assert.deepEqual(Array.from(fit().labels), [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1], `${Model.name}, G = ${G}: labels`);
      }
    }
  }
  // New rows: two values rounded the same way (each 31/512 up) keep their spread, G/2, and put their centre 31/512
  // off; a row rounded 31/512 the other way moves by 31/256 relative to it, more than 1/1024 of the spread while
  // G < 248: refused at 240; at 252 answered, 0 from the centre for float64's 31/256 (within 1/1024 of 126).
  for (const G of [240, 252]) {
    const km = new KMeans({ k: 2, init: [[4], [m + base]] }).fit([0, 1, 2, 3, 4, 5, 6, 7, 8, m + base - off, m + base + G - off].map((v) => [v]));
    const row = [[m + base + G / 2 + off]];
    if (G === 240) {
      expectError(() => km.transform(row), ArgumentError, 'E_ARGUMENT', /^KMeans\.transform: points row 0 lies 1\.05e\+6 from the fitted median of column 0, where float32's step is 0\.125: held in float32 it moves by 0\.1211 relative to cluster 1 \(the nearest\), more than 1\/1024 of its distance from that cluster's centre \(0\.1211\) and of the cluster's spread \(120\)/);
    } else {
      assertClose([km.transform(row).data[1]], [2 * off], { atol: 126 / 1024, rtol: 0, label: 'G = 252: the distance from the far cluster' });
    }
  }
});

test('new rows the rounding moves too far relative to the cluster nearest them are refused by transform, score and anomalyScores (not predict)', () => {
  // Fitted with the outlier at (1e12, 0) as a cluster of its own: a row at 1e12 + 1 is the same float32 value
  // at its distance from the medians, so it came out 0 from that cluster, 1 away (before: transform [1e12, 0]
  // and score −0, no error). Rows equal to the fitted ones, and far rows, are right to float32's precision.
  const km = new KMeans({ k: 2, seed: 0 }).fit([...SIX, [1e12, 0]]);
  const outlier = km.predict([[1e12, 0]])[0];
  for (const method of ['transform', 'score', 'anomalyScores']) {
    expectError(() => km[method]([[3, 4], [1e12 + 1, 0]]), ArgumentError, 'E_ARGUMENT', new RegExp(`^KMeans\\.${method}: points row 1 lies 1\\.00e\\+12 from ` +
      `the fitted median of column 0, where float32's step is 65536: held in float32 it moves by 1 relative to cluster ${outlier} \\(the nearest\\), ` +
      'more than 1/1024 of its distance from that cluster\'s centre \\(1\\) and of the cluster\'s spread \\(0\\)\\. The model was fitted on points this far'), { label: method });
  }
  assert.deepEqual(Array.from(km.predict([[1e12 + 1, 0]])), [outlier], 'a label is right within float32\'s step of the cluster');
  assert.deepEqual(Array.from(km.transform([[1e12, 0]]).data).slice(outlier, outlier + 1), [0]);
  assert.equal(km.score([[1e12, 0]]), -0);
  // 1e12 + 1e9 lies 1e9 from it: float32's step (65536) is 6.6e-5 of that, under 1/1024.
  assertClose(km.anomalyScores([[1e12 + 1e9, 0]]), [1e9], { atol: 65536, rtol: 0, label: '1e9 away' });
});

test('ordinary data keep working, centred at the column medians: a heavy-tailed column, sentinel values, arithmetic noise, float32 data', () => {
  // Incomes: 120 around 4e4 and 80 around 1.2e5, and one of 5e10. Before, the column mean (2.5e8, where float32's
  // step is 16) rounded every income by up to 8: the first centre came out 40944.7 for 40937.75 (1.7e-4 off). Now
  // as float64 (the Lloyd reference from the same centres) to float32's precision at their distance from the median.
  const z = seededNormals(200, 77);
  const incomes = Array.from({ length: 200 }, (_, i) => [Math.round(i < 120 ? 4e4 + 6e3 * z[i] : 1.2e5 + 1.5e4 * z[i]) + 0.25 * (i % 4)]);
  incomes.push([5e10]);
  const init0 = [[4e4], [1.2e5], [5e10]];
  const km = new KMeans({ k: 3, init: init0 }).fit(incomes);
  const ref = lloydRef(Float64Array.from(incomes.flat()), 201, 1, Float64Array.from(init0.flat()), 3, { maxIter: 300, tolAbs: 0 });
  assert.deepEqual(km.labels, ref.labels, 'incomes: labels');
  assertClose(km.clusterCenters.flat(), Array.from(ref.centers), { atol: 0, rtol: 1e-7, label: 'incomes: centres' });
  assertClose([km.inertia], [ref.inertia], { atol: 0, rtol: 1e-7, label: 'incomes: inertia' });
  // Of more than 2,048 rows, the medians are of 2,048 of them, one from each stretch: 70,000 values 0…99 with
  // one in 1,000 at 1e12 (a mean of 1e9, where float32's step is 64) leave the frame among the values 0…99.
  const many = Array.from({ length: 70000 }, (_, i) => [i % 1000 === 999 ? 1e12 : i % 100]);
  const bulk = many.filter(([v]) => v < 1e12), bulkMean = bulk.reduce((s, [v]) => s + v, 0) / bulk.length;
  const big = new KMeans({ k: 2, init: [[50], [1e12]] }).fit(many);
  assertClose([big.clusterCenters[0][0]], [bulkMean], { atol: 2 ** -18, rtol: 0, label: '70,000 rows: the centre of the values 0…99' });
  assertClose([big.inertia], [bulk.reduce((s, [v]) => s + (v - bulkMean) ** 2, 0)], { atol: 0, rtol: 1e-9, label: '70,000 rows: inertia' });
  // None of these is refused: a sentinel value far from the rest (duplicates keep their detail, having none);
  // values equal but for float64's noise (0.1 + 0.2 and 0.3); float32 values a step apart, far from the median;
  // Unix timestamps with a second's detail.
  const sentinel = [[-999, 1], [-999, 2], [-999, 1.5], [50, 1], [51, 2], [52, 1.5], [49.5, 1], [50.5, 2]];
  const noise = [[0.1 + 0.2, 1], [0.3, 1], [0.3, 1.5], [5, 7], [6, 8], [5.5, 7.5]];
  const f32 = Matrix.from(new Float32Array([1, 0, Math.fround(1 + 2 ** -23), 0, 1, 1, 1000, 5, 1001, 6, 1002, 7, 1003, 8, 1004, 9]), 8, 2);
  const stamps = [0, 7, 13, 20, 100, 107, 113, 120].map((s) => [1.7e9 + s, s % 3]);
  for (const [label, pts] of [['sentinel', sentinel], ['noise', noise], ['float32', f32], ['timestamps', stamps]]) {
    for (const Model of [KMeans, MiniBatchKMeans]) {
      const fitted = captureWarnings(() => new Model({ k: 2, seed: 0 }).fit(pts)).result;
      assert.ok(Number.isFinite(fitted.inertia), `${label} ${Model.name}`);
      assert.equal(fitted.transform(pts).rows, pts.rows ?? pts.length);
      assert.ok(Number.isFinite(fitted.score(pts)) && fitted.anomalyScores(pts).every(Number.isFinite), `${label} ${Model.name}: scores`);
    }
  }
  f32.dispose();
});

test('bad input gives typed errors before any kernel runs', () => {
  const pts = [[0, 0], [1, 1], [0, 1], [1, 0]];
  const dup = [[1, 2], [1, 2], [3, 4], [1, 2], [3, 4]];
  const is = (Type, re) => (e) => e instanceof Type && re.test(e.message);
  assert.throws(() => new KMeans({ k: 0 }), is(ArgumentError, /k must be an integer ≥ 1, got 0/));
  assert.throws(() => new KMeans({ k: 2.5 }), is(ArgumentError, /k must be an integer ≥ 1, got 2.5/));
  assert.throws(() => new KMeans({}), is(ArgumentError, /k must be an integer ≥ 1, got undefined/));
  assert.throws(() => new KMeans({ k: 9 }).fit(pts), is(ArgumentError, /k = 9 is larger than the number of rows \(4\)/));
  assert.throws(() => new KMeans({ k: 2 }).fit([]), is(ShapeError, /points has no rows/));
  assert.throws(() => new KMeans({ k: 2 }).fit([[1, 2], [3, NaN], [4, 5]]), is(ArgumentError, /row 1, column 1 is NaN; expected a finite number/));
  assert.throws(() => new KMeans({ k: 2 }).fit({ data: new Float32Array([1, 2, Infinity, 4]), rows: 2, cols: 2 }), is(ArgumentError, /row 1, column 0 is Infinity/));
  assert.throws(() => new KMeans({ k: 2 }).fit({ data: new Float64Array([1, 2, 1e300, 4]), rows: 2, cols: 2 }), is(ArgumentError, /row 1, column 0 is 1e\+300, beyond the float32 range/));
  assert.throws(() => new KMeans({ k: 2 }).fit([[1, 2], [3]]), is(ShapeError, /row 1 has 1 values, expected 2 \(as row 0\)/));
  assert.throws(() => new KMeans({ k: 2 }).fit({ data: new Float32Array(5), rows: 2, cols: 2 }), is(ShapeError, /5 values; 2 rows × 2 cols needs 4/));
  assert.throws(() => new KMeans({ k: 2 }).fit('points'), is(ArgumentError, /points must be an array of rows/));
  assert.throws(() => new KMeans({ k: 2, clusters: 3 }), is(ArgumentError, /unknown option "clusters"/));
  assert.throws(() => new KMeans({ k: 2, init: 'kmeans++' }), is(ArgumentError, /init must be "k-means\+\+", "random" or an array/));
  assert.throws(() => new KMeans({ k: 2, init: [[0, 0]] }), is(ShapeError, /init gives 1 centres, expected k = 2/));
  assert.throws(() => new KMeans({ k: 2, init: [[0, 0, 0], [1, 1, 1]] }).fit(pts), is(ShapeError, /init centres have 3 values each, the points 2 columns/));
  assert.throws(() => new KMeans({ k: 2, tol: -1 }), is(ArgumentError, /tol must be a finite number ≥ 0/));
  assert.throws(() => new KMeans({ k: 2 }).predict(pts), is(ArgumentError, /not fitted yet; call fit\(\) first/));
  const km = new KMeans({ k: 2 }).fit(pts);
  assert.throws(() => km.predict([[1, 2, 3]]), is(ShapeError, /row 0 has 3 values, expected 2 \(the model was fitted on 2 features\)/));
  assert.throws(() => km.transform({ data: new Float32Array(6), rows: 2, cols: 3 }), is(ShapeError, /points have 3 columns, expected 2/));
  const m = Matrix.zeros(2, 2);
  m.dispose();
  assert.throws(() => km.predict(m), (e) => e instanceof DisposedError);
  assert.throws(() => new MiniBatchKMeans({ k: 6 }).fit(dup), is(ArgumentError, /k = 6 is larger than the number of rows \(5\)/));
  assert.throws(() => new MiniBatchKMeans({ k: 2, batchSize: 0 }), is(ArgumentError, /batchSize must be an integer ≥ 1/));
  assert.throws(() => new MiniBatchKMeans({ k: 2, reassignmentRatio: 2 }), is(ArgumentError, /reassignmentRatio must be a number in \[0, 1\]/));
});

// --- sample weights ------------------------------------------------------------

/** Options for KMeans or MiniBatchKMeans (the latter with small batches). */
const options = (Model, o) => (Model === MiniBatchKMeans ? { batchSize: 64, ...o } : o);

/** n weights in [0, 3), every fifth 0 (seeded). */
function someWeights(n, seed) {
  return Float64Array.from(seededValues(n, seed), (v, i) => (i % 5 === 2 ? 0 : 1.5 + 1.5 * v));
}

test('weighted kernels vs f64: kmeansLabelSums, kmeansUpdate, kmeansRowDistances, kmeansMiniBatchUpdate (d around the 4 lanes, odd n)', () => {
  for (const d of DS) {
    for (const [n, k] of [[1, 1], [7, 3], [300, 9], [257, 17]]) {
      const b = buffers();
      const xs = blobs(n, d, k, { seed: d * 7 + n });
      const ws = someWeights(n, d + n);
      const X = Float64Array.from(xs);
      const labels = Int32Array.from({ length: n }, (_, i) => (i * 7 + 3) % k);
      const x = b.f32(xs), pl = b.i32(labels), pw = b.f64(ws);
      const sums = b.bytes(k * d * 8), counts = b.bytes(k * 4), wsums = b.bytes(k * 8);
      K().kmeansLabelSums(n, d, k, x, pl, sums, counts, pw, wsums);
      const ref = sumsRef(X, n, d, labels, k, ws);
      const label = `n=${n} d=${d} k=${k}`;
      // The same f64 products summed in the same (row) order: bit for bit.
      assert.deepEqual(Array.from(b.readF64(sums, k * d)), Array.from(ref.sums), `${label}: weighted sums`);
      assert.deepEqual(Array.from(b.readF64(wsums, k)), Array.from(ref.wsums), `${label}: weight totals`);
      assert.deepEqual(Array.from(b.readI32(counts, k)), Array.from(ref.counts), `${label}: row counts`);

      const cs = seededValues(k * d, k + d + n).map((v) => v * 3);
      const c = b.f32(cs);
      const shift = K().kmeansUpdate(k, d, sums, counts, c, wsums);
      const next = b.readF32(c, k * d);
      let refShift = 0;
      for (let j = 0; j < k; j++) {
        for (let f = 0; f < d; f++) {
          const v = ref.wsums[j] > 0 ? Math.fround(ref.sums[j * d + f] * (1 / ref.wsums[j])) : cs[j * d + f];
          assert.equal(next[j * d + f], v, `${label}: weighted update, centre ${j} feature ${f}`);
          refShift += (v - cs[j * d + f]) ** 2;
        }
      }
      assertClose([shift], [refShift], { atol: 1e-12, rtol: 1e-12, label: `${label}: shift` });

      const out = b.bytes(n * 4);
      const total = K().kmeansRowDistances(n, d, x, c, pl, out, pw);
      const C = Float64Array.from(next);
      const exact = Array.from({ length: n }, (_, i) => sqDist(X, i, C, labels[i], d));
      assertClose(b.readF32(out, n), exact.map(Math.fround), { atol: 0, rtol: 0, label: `${label}: per-row distances are unweighted` });
      assertClose([total], [exact.reduce((sum, v, i) => sum + ws[i] * v, 0)], { atol: 1e-300, rtol: 1e-13, label: `${label}: weighted inertia` });

      // Mini-batch step with the batch's weight per centre in place of its row count.
      const running = Float64Array.from({ length: k }, (_, j) => j * 2.5);
      const pr = b.f64(running), cm = b.f32(cs);
      K().kmeansMiniBatchUpdate(k, d, cm, pr, sums, counts, wsums);
      const mb = b.readF32(cm, k * d), after = b.readF64(pr, k);
      for (let j = 0; j < k; j++) {
        assert.equal(after[j], running[j] + ref.wsums[j], `${label}: absorbed weight ${j}`);
        for (let f = 0; f < d; f++) {
          const v = ref.wsums[j] > 0
            ? Math.fround((cs[j * d + f] * running[j] + ref.sums[j * d + f]) * (1 / (running[j] + ref.wsums[j]))) : cs[j * d + f];
          assert.equal(mb[j * d + f], v, `${label}: weighted mini-batch update ${j}`);
        }
      }
      b.free();
    }
  }
});

test('kmeansRelocateEmpty with weights: a cluster of weight 0 is empty; rows of weight 0, or alone in their weight, stay', () => {
  const n = 9, d = 2, k = 4;
  const b = buffers();
  const xs = Float32Array.from([0, 0, 0, 1, 1, 0, 9, 9, 10, 9, 30, 30, 5, 5, -7, 2, 4, 4]);
  const labels = Int32Array.from([0, 0, 0, 1, 1, 3, 1, 0, 2]);
  // Cluster 2 has a row (8) but weight 0; row 7 is the farthest but weighs 0; row 5 is alone in cluster 3.
  const ws = Float64Array.from([1, 2, 1, 0.5, 1, 3, 1, 0, 0]);
  const dist = Float32Array.from([0, 1, 1, 2, 3, 99, 50, 60, 1]);
  const X = Float64Array.from(xs);
  const ref = sumsRef(X, n, d, labels, k, ws);
  const ps = b.f64(ref.sums), pc = b.i32(ref.counts), pws = b.f64(ref.wsums), pd = b.f32(dist);
  const moved = K().kmeansRelocateEmpty(n, d, k, b.f32(xs), b.i32(labels), pd, ps, pc, b.f64(ws), pws);
  const rd = Float64Array.from(dist);
  relocateRef(X, n, d, k, labels, rd, ref.sums, ref.counts, ws, ref.wsums);
  assert.equal(moved, 1);
  assert.deepEqual(Array.from(b.readF64(pws, k)), Array.from(ref.wsums));
  assert.deepEqual(Array.from(b.readF64(ps, k * d)), Array.from(ref.sums));
  assert.deepEqual(Array.from(b.readI32(pc, k)), Array.from(ref.counts));
  assert.deepEqual(Array.from(b.readF64(pws, k)), [4, 1.5, 1, 3], 'row 6 (distance 50, weight 1, cluster 1) moved to cluster 2');
  b.free();
});

test('kmeansSampleWeighted draws k distinct rows ∝ weight: the reference draws on the same stream, never a row of weight 0', () => {
  for (const [n, k, seed] of [[10, 3, 1], [50, 20, 2], [7, 5, 3]]) {
    const b = buffers();
    const ws = someWeights(n, seed);
    const positive = ws.filter((w) => w > 0).length;
    const kk = Math.min(k, positive);
    const rng = b.bytes(16), out = b.bytes(kk * 4);
    K().rngSeed(rng, seed, 5);
    K().kmeansSampleWeighted(rng, n, kk, b.f64(ws), b.bytes(n * 8), out);
    const picks = Array.from(b.readI32(out, kk));
    const ref = new XoshiroRef(seed, 5), left = Array.from(ws), expected = [];
    for (let t = 0; t < kk; t++) {
      const total = left.reduce((s2, v) => s2 + v, 0);
      const target = uniform53Ref(ref) * total;
      let acc = 0, pick = -1;
      for (let i = 0; i < n; i++) {
        if (left[i] <= 0) continue;
        pick = i;
        acc += left[i];
        if (acc > target) break;
      }
      left[pick] = 0;
      expected.push(pick);
    }
    assert.deepEqual(picks, expected, `n=${n} k=${kk}`);
    assert.equal(new Set(picks).size, kk, 'distinct');
    assert.ok(picks.every((i) => ws[i] > 0), 'no row of weight 0');
    b.free();
  }
});

test('weighted k-means++: the first row is drawn ∝ weight, the next ∝ weight × squared distance; weight 0 is never drawn', () => {
  const b = buffers();
  const d = 2, n = 4;
  const x = b.f32([0, 0, 1, 0, 10, 0, 11, 0]);
  const ws = b.f64([1, 3, 0, 0]);
  const rng = b.bytes(16), centers = b.bytes(2 * d * 4), chosen = b.bytes(8), scratch = b.bytes(K().kmeansPlusPlusScratchBytes(n));
  K().rngSeed(rng, 11, 5);
  const firsts = [0, 0, 0, 0];
  for (let t = 0; t < 4000; t++) {
    K().kmeansPlusPlus(n, d, 1, x, 1, rng, centers, chosen, scratch, ws);
    firsts[b.readI32(chosen, 1)[0]]++;
  }
  assert.deepEqual(firsts.slice(2), [0, 0], 'rows of weight 0 are never the first centre');
  assert.ok(Math.abs(firsts[1] / 4000 - 0.75) < 0.03, `row 1 (weight 3 of 4) drawn ${firsts[1]} times of 4000`);
  // Second centre, one trial, when the first is row 0 (weights 5, 0, 2, 1: 5 draws in 8).
  const w2 = b.f64([5, 0, 2, 1]);
  const seconds = [0, 0, 0, 0];
  let fromRow0 = 0;
  for (let t = 0; t < 6000; t++) {
    K().kmeansPlusPlus(n, d, 2, x, 1, rng, centers, chosen, scratch, w2);
    const [c0, c1] = b.readI32(chosen, 2);
    assert.notEqual(c0, 1, 'row 1 weighs 0');
    if (c0 !== 0) continue;
    fromRow0++;
    seconds[c1]++;
  }
  // From row 0: D² = 0, 1, 100, 121; × w = 0, 0, 200, 121.
  assert.ok(Math.abs(fromRow0 / 6000 - 5 / 8) < 0.03, `row 0 first ${fromRow0} of 6000`);
  assert.equal(seconds[0] + seconds[1], 0);
  assert.ok(Math.abs(seconds[2] / fromRow0 - 200 / 321) < 0.03, `row 2 drawn ${seconds[2]} of ${fromRow0}, expected ${200 / 321} of them`);
  b.free();
});

test('KMeans with sampleWeight from fixed centres: labels, iterations and inertia as the weighted f64 Lloyd reference', () => {
  const cases = [
    { n: 1000, d: 5, k: 7, tol: 0, offset: 50 },
    { n: 513, d: 2, k: 4, tol: 1e-4, offset: 0 },
    { n: 700, d: 17, k: 9, tol: 1e-4, offset: -3 },
  ];
  for (const [ci, { n, d, k, tol, offset }] of cases.entries()) {
    const xs = blobs(n, d, k, { seed: ci + 31, spread: 1.2, sep: 4, offset });
    const ws = someWeights(n, ci + 5);
    const initCentres = [];
    for (let j = 0; j < k; j++) initCentres.push(Array.from(xs.subarray(j * 3 * d, j * 3 * d + d)));
    const km = new KMeans({ k, init: initCentres, maxIter: 100, tol }).fit({ data: xs, rows: n, cols: d }, { sampleWeight: ws });
    const { xc, shift, meanVariance } = centred(xs, n, d);
    const c0 = Float64Array.from(initCentres.flat(), (v, t) => Math.fround(v - shift[t % d]));
    const ref = lloydRef(xc, n, d, c0, k, { maxIter: 100, tolAbs: tol * meanVariance, weights: ws });
    const label = `case ${ci} (n=${n} d=${d} k=${k})`;
    assert.ok(ref.minGap > 1e-5, `${label}: the data leave rounding no say (min relative gap ${ref.minGap})`);
    assert.deepEqual(km.labels, ref.labels, `${label}: labels`);
    assert.equal(km.nIter, ref.nIter, `${label}: iterations`);
    assert.ok(Math.abs(km.inertia - ref.inertia) <= 1e-5 * ref.inertia, `${label}: inertia ${km.inertia} vs ${ref.inertia}`);
    assertClose(km.clusterCenters.flat(), Array.from(ref.centers, (v, t) => v + shift[t % d]),
      { atol: 1e-5 * (1 + Math.abs(offset)), rtol: 1e-5, label: `${label}: centres` });
    // score: −Σ w·d² over other rows, with their own weights.
    const other = blobs(99, d, k, { seed: ci + 77, spread: 1.2, sep: 4, offset });
    const ow = someWeights(99, ci + 9);
    const C = Float64Array.from(km.clusterCenters.flat()), O = Float64Array.from(other);
    const nearest = assignRef(O, 99, d, C, k);
    assertClose([-km.score({ data: other, rows: 99, cols: d }, { sampleWeight: ow })],
      [nearest.dist.reduce((sum, v, i) => sum + ow[i] * v, 0)], { atol: 1e-6, rtol: 1e-5, label: `${label}: weighted score` });
  }
});

test('sampleWeight: all ones is no weights, bit for bit; integer weights act as repeated rows; weight 0 never seeds a centre', () => {
  const n = 400, d = 3, k = 4;
  const xs = blobs(n, d, k, { seed: 8, spread: 0.7, sep: 6 });
  const pts = { data: xs, rows: n, cols: d };
  const ones = new Float64Array(n).fill(1);
  for (const Model of [KMeans, MiniBatchKMeans]) {
    for (const init of ['k-means++', 'random']) {
      const a = new Model(options(Model, { k, seed: 4, init })).fit(pts);
      const b = new Model(options(Model, { k, seed: 4, init })).fit(pts, { sampleWeight: ones });
      assert.deepEqual([a.clusterCenters, a.inertia, a.labels], [b.clusterCenters, b.inertia, b.labels], `${Model.name} ${init}`);
    }
  }
  // Repetition: the weighted fit from given centres equals the fit on repeated rows.
  const reps = Int32Array.from({ length: n }, (_, i) => (i * 7) % 4);
  const repeated = [];
  for (let i = 0; i < n; i++) for (let r = 0; r < reps[i]; r++) repeated.push(Array.from(xs.subarray(i * d, (i + 1) * d)));
  const initCentres = [0, 1, 2, 3].map((j) => Array.from(xs.subarray(j * d, (j + 1) * d)));
  const w = new KMeans({ k, init: initCentres }).fit(pts, { sampleWeight: reps });
  const r = new KMeans({ k, init: initCentres }).fit(repeated);
  assert.equal(w.nIter, r.nIter);
  assertClose(w.clusterCenters.flat(), r.clusterCenters.flat(), { atol: 1e-5, rtol: 1e-6, label: 'weights = repeated rows: centres' });
  assertClose([w.inertia], [r.inertia], { atol: 0, rtol: 1e-6, label: 'weights = repeated rows: inertia' });
  // An outlier of weight 0 is never a seed, whatever the seed (k-means++ and random).
  const withOutlier = [...Array.from({ length: 60 }, (_, i) => [i % 3, (i * 7) % 5]), [1e4, 1e4]];
  const wOut = Array.from({ length: 61 }, (_, i) => (i === 60 ? 0 : 1));
  for (let seed = 0; seed < 8; seed++) {
    for (const init of ['k-means++', 'random']) {
      const m = new KMeans({ k: 3, seed, init, maxIter: 1, nInit: 1 }).fit(withOutlier, { sampleWeight: wOut });
      assert.ok(m.clusterCenters.every((c) => c[0] < 100), `seed ${seed} ${init}: no centre at the weight-0 outlier`);
    }
  }
  expectError(() => new KMeans({ k: 3, init: 'random' }).fit(withOutlier, { sampleWeight: wOut.map((v, i) => (i < 59 ? 0 : 1)) }),
    ArgumentError, 'E_ARGUMENT', /init 'random' draws k = 3 distinct rows in proportion to sampleWeight, but only 2 rows weigh more than 0/);
});

test('MiniBatchKMeans with sampleWeight: a centre goes to the weighted mean; partialFit steps with weights; fitPredict', () => {
  // Two groups on a line, weights 3 : 1: one centre settles near the weighted mean 2.5.
  const pts = Array.from({ length: 200 }, (_, i) => [i % 2 ? 10 : 0]);
  const sampleWeight = Array.from({ length: 200 }, (_, i) => (i % 2 ? 1 : 3));
  const mb = new MiniBatchKMeans({ k: 1, batchSize: 50, seed: 3 }).fit(pts, { sampleWeight });
  assert.ok(Math.abs(mb.clusterCenters[0][0] - 2.5) < 0.4, `centre ${mb.clusterCenters[0][0]} near 2.5`);
  assertClose([mb.inertia], [200 / 2 * (3 * mb.clusterCenters[0][0] ** 2 + (10 - mb.clusterCenters[0][0]) ** 2)],
    { atol: 0, rtol: 1e-6, label: 'weighted inertia of every row' });
  const stream = new MiniBatchKMeans({ k: 1, seed: 3 });
  stream.partialFit(pts.slice(0, 100), { sampleWeight: sampleWeight.slice(0, 100) });
  assert.equal(stream.clusterCenters[0][0], 2.5, 'one step from a seed row: the weighted mean of the batch');
  assert.deepEqual(Array.from(stream.counts), [200]);
  const km = new MiniBatchKMeans({ k: 2, seed: 1, batchSize: 40 });
  assert.deepEqual(km.fitPredict(pts), km.labels);
  assert.deepEqual(new KMeans({ k: 2, seed: 1 }).fitPredict(pts, { sampleWeight }), new KMeans({ k: 2, seed: 1 }).fit(pts, { sampleWeight }).labels);
});

// --- warnings -----------------------------------------------------------------

test('more clusters than distinct points: KMeans and MiniBatchKMeans fit and warn (ConvergenceWarning W_FEWER_CLUSTERS)', () => {
  const dup = [[1, 2], [1, 2], [3, 4], [1, 2], [3, 4], [3, 4]];
  for (const Model of [KMeans, MiniBatchKMeans]) {
    for (const init of ['k-means++', 'random']) {
      const { result: m, warnings } = captureWarnings(() => new Model({ k: 4, seed: 2, init }).fit(dup));
      assert.equal(warnings.length, 1, `${Model.name} ${init}: one warning`);
      assert.ok(warnings[0] instanceof ConvergenceWarning && warnings[0] instanceof ManytaskWarning && warnings[0] instanceof Error);
      assert.equal(warnings[0].code, 'W_FEWER_CLUSTERS');
      assert.equal(warnings[0].where, `${Model.name}.fit`);
      assert.match(warnings[0].message, new RegExp(`${Model.name}\\.fit: found 2 distinct clusters, fewer than k = 4`));
      assert.equal(new Set(m.labels).size, 2);
      assert.equal(m.inertia, 0, `${Model.name} ${init}: every row sits on a centre`);
      assert.deepEqual(Array.from(m.predict([[1, 2], [3, 4]]), (l) => m.clusterCenters[l].join()), ['1,2', '3,4']);
    }
  }
  // Enough distinct points: no warning; nor for a partialFit batch that reaches only some clusters.
  assert.deepEqual(captureWarnings(() => new KMeans({ k: 2 }).fit(dup)).warnings, []);
  const stream = new MiniBatchKMeans({ k: 2, seed: 1 }).partialFit(dup);
  assert.deepEqual(captureWarnings(() => stream.partialFit([[1, 2]])).warnings, []);
});

test('W_FEWER_CLUSTERS blames the points only when a count of their distinct rows (of positive weight) says so; otherwise it says what happened', () => {
  // MiniBatchKMeans, k = 4 on 4 distinct points: two centres end on one point (KMeans: inertia 0, no warning).
  // The warning said "the points have fewer than k distinct rows".
  const X = [[0], [1], [2], [10]];
  const { result: mb, warnings } = captureWarnings(() => new MiniBatchKMeans({ k: 4, seed: 0 }).fit(X));
  assert.deepEqual(warnings.map((w) => w.code), ['W_FEWER_CLUSTERS']);
  const message = warnings[0].message;
  assert.match(message, /^MiniBatchKMeans\.fit: found 3 distinct clusters, fewer than k = 4, although the points have at least 4 distinct rows: the mini-batch steps left centre \d on centre \d, and the random reassignment \(reassignmentRatio = 0\.01\) did not move it away for good; KMeans, a larger reassignmentRatio or another seed may avoid it$/);
  const [, j, i] = message.match(/centre (\d) on centre (\d)/).map(Number);
  assert.deepEqual(mb.clusterCenters[j], mb.clusterCenters[i], 'the two centres named coincide');
  assert.ok(!mb.labels.includes(j), 'and no row is labelled with the first');
  assert.deepEqual(captureWarnings(() => new KMeans({ k: 4, seed: 0 }).fit(X)).warnings, [], 'KMeans fills every centre');
  // Duplicate rows: the count confirms it, and the message says how many.
  const dup = [[1, 2], [1, 2], [3, 4], [1, 2], [3, 4], [3, 4]];
  for (const Model of [KMeans, MiniBatchKMeans]) {
    const w = captureWarnings(() => new Model({ k: 4, seed: 2 }).fit(dup)).warnings;
    assert.match(w[0].message, new RegExp(`^${Model.name}\\.fit: found 2 distinct clusters, fewer than k = 4: the points have only 2 distinct rows, so some centres coincide or stay empty$`));
  }
  // Rows of weight 0 do not count.
  const weighted = captureWarnings(() => new KMeans({ k: 3, seed: 0 }).fit([[0], [1], [2], [3]], { sampleWeight: [1, 0, 0, 1] })).warnings;
  assert.match(weighted[0].message, /^KMeans\.fit: found 2 distinct clusters, fewer than k = 3: the points have only 2 distinct rows that weigh more than 0, so/);
});

test('explicit centres with nInit > 1: one run and a warning (W_INIT_RUNS_ONCE), for KMeans and MiniBatchKMeans', () => {
  const pts = Array.from({ length: 60 }, (_, i) => [i % 4, (i * 3) % 7]);
  const init = [[0, 0], [3, 6]];
  for (const Model of [KMeans, MiniBatchKMeans]) {
    const once = new Model(options(Model, { k: 2, init })).fit(pts);
    const { result: thrice, warnings } = captureWarnings(() => new Model(options(Model, { k: 2, init, nInit: 3 })).fit(pts));
    assert.deepEqual(warnings.map((w) => [w.code, w instanceof ConvergenceWarning]), [['W_INIT_RUNS_ONCE', false]]);
    assert.match(warnings[0].message, /init gives the centres, so one run is made instead of nInit = 3/);
    assert.deepEqual(thrice.clusterCenters, once.clusterCenters, `${Model.name}: the same as one run`);
    assert.equal(thrice.nInit, 3, 'the option stays as given');
  }
});

test('warning handlers: console by default, "ignore", "error" (the fit then changes nothing), a function; captureWarnings restores', () => {
  const dup = [[0], [0], [1]];
  const logged = [];
  const original = console.warn;
  console.warn = (...args) => logged.push(args.join(' '));
  try {
    new KMeans({ k: 3 }).fit(dup);
  } finally {
    console.warn = original;
  }
  assert.equal(logged.length, 1);
  assert.match(logged[0], /^ConvergenceWarning \[W_FEWER_CLUSTERS\] KMeans\.fit: found 2 distinct clusters/);

  const seen = [];
  const previous = setWarningHandler((w) => seen.push(w.code));
  try {
    new KMeans({ k: 3 }).fit(dup);
    assert.deepEqual(seen, ['W_FEWER_CLUSTERS']);
    setWarningHandler('ignore');
    new KMeans({ k: 3 }).fit(dup);
    setWarningHandler('error');
    const km = new KMeans({ k: 3 }).fit([[0], [5], [9]]);
    const before = km.clusterCenters;
    assert.throws(() => km.fit(dup), (e) => e instanceof ConvergenceWarning && e.code === 'W_FEWER_CLUSTERS');
    const fresh = new KMeans({ k: 3 });
    assert.throws(() => fresh.fit(dup), ConvergenceWarning);
    assert.equal(fresh.isFitted, false, 'a fit whose warning was raised as an error leaves the model unfitted');
    assert.deepEqual(km.clusterCenters, before, '… or as it was');
    // captureWarnings collects and puts the handler back, also when its function throws.
    assert.throws(() => captureWarnings(() => { throw new RangeError('boom'); }), RangeError);
    assert.throws(() => new KMeans({ k: 3 }).fit(dup), ConvergenceWarning, '"error" is in place again');
    expectError(() => setWarningHandler('loud'), ArgumentError, 'E_ARGUMENT', /setWarningHandler: expected a function, "console", "ignore" or "error", got "loud"/);
  } finally {
    setWarningHandler(previous);
  }
});

test('parameters are checked again at fit: one changed after construction (readonly binds TypeScript only) is refused', () => {
  const pts = [[0, 0], [1, 1], [0, 1], [1, 0]];
  const km = new KMeans({ k: 2 });
  km.k = 0;
  expectError(() => km.fit(pts), ArgumentError, 'E_ARGUMENT', /KMeans\.fit: k must be an integer ≥ 1, got 0/);
  const km2 = new KMeans({ k: 2, init: [[0, 0], [1, 1]] });
  km2.k = 3;
  expectError(() => km2.fit(pts), ShapeError, 'E_SHAPE', /KMeans\.fit: init gives 2 centres, expected k = 3/);
  const km3 = new KMeans({ k: 2 });
  km3.maxIter = '10';
  expectError(() => km3.fit(pts), ArgumentError, 'E_ARGUMENT', /KMeans\.fit: maxIter must be an integer ≥ 1, got "10"/);
  const mb = new MiniBatchKMeans({ k: 2, seed: 1 }).partialFit(pts);
  mb.batchSize = 0;
  expectError(() => mb.partialFit(pts), ArgumentError, 'E_ARGUMENT', /MiniBatchKMeans\.partialFit: batchSize must be an integer ≥ 1, got 0/);
  expectError(() => mb.fit(pts), ArgumentError, 'E_ARGUMENT', /MiniBatchKMeans\.fit: batchSize must be an integer ≥ 1, got 0/);
});

test('initial centres must fit float32: a finite value beyond ±3.4e38 is refused like Infinity, naming the centre and value', () => {
  const pts = [[-2, 7], [-3, 8], [4, -1], [5, -2]];
  for (const Model of [KMeans, MiniBatchKMeans]) {
    expectError(() => new Model({ k: 2, init: [[-2, 7], [4, -4e38]] }), ArgumentError, 'E_ARGUMENT',
      new RegExp(`^${Model.name}: init centre 1, value 1 is -4e\\+38, beyond the float32 range`));
    // The largest float32 is still a float32.
    assert.equal(new Model({ k: 2, init: [[-2, 7], [4, -3.4e38]] }).init, 'given');
  }
  assert.equal(new KMeans({ k: 2, init: [[-2, 7], [4, -1]] }).fit(pts).nIter, 2);
});

test('sample weights must be float32 values: one that is 0 in float32 or beyond it, or a total beyond it, is refused naming the row', () => {
  const pts = [[2.5], [-4], [7], [1]];
  const km = new KMeans({ k: 2, seed: 3 }).fit(pts);
  for (const Model of [KMeans, MiniBatchKMeans]) {
    const fit = (sampleWeight) => () => new Model({ k: 1, seed: 3 }).fit(pts, { sampleWeight });
    expectError(fit([1, 2, 1e-47, 3]), ArgumentError, 'E_ARGUMENT',
      new RegExp(`^${Model.name}\\.fit: sampleWeight\\[2\\] is 1e-47; a weight must be 0 or from 1\\.4e-45 to 3\\.4e38`));
    expectError(fit(new Float64Array([1, 5e38, 1, 1])), ArgumentError, 'E_ARGUMENT', /sampleWeight\[1\] is 5e\+38; a weight must be 0 or from 1\.4e-45/);
    expectError(fit([3e38, 1, 1e38, 2]), ArgumentError, 'E_ARGUMENT', /sampleWeight sums to 4e\+38 by row 2, beyond the float32 range/);
  }
  expectError(() => new MiniBatchKMeans({ k: 1, seed: 3 }).partialFit(pts, { sampleWeight: [4e-46, 4e-46, 4e-46, 4e-46] }), ArgumentError, 'E_ARGUMENT',
    /MiniBatchKMeans\.partialFit: sampleWeight\[0\] is 4e-46/);
  expectError(() => km.score([[0.5]], { sampleWeight: [2e300] }), ArgumentError, 'E_ARGUMENT', /KMeans\.score: sampleWeight\[0\] is 2e\+300/);
  // The smallest and largest float32 weights give finite results (the weighted mean of 2.5 and −4, and of 7 and 1).
  const tiny = new KMeans({ k: 1 }).fit(pts, { sampleWeight: [1.5e-45, 1.5e-45, 0, 0] });
  assert.deepEqual(tiny.clusterCenters, [[-0.75]]);
  assert.ok(Number.isFinite(tiny.inertia));
  const huge = new KMeans({ k: 1 }).fit(pts, { sampleWeight: [0, 0, 1.7e38, 1.7e38] });
  assert.deepEqual(huge.clusterCenters, [[4]]);
  assert.ok(Number.isFinite(huge.inertia) && Number.isFinite(huge.score(pts, { sampleWeight: [3.4e38, 0, 0, 0] })));
});

test('after fit, predict, transform, score and the rest read the fitted centres: k changed since (readonly binds TypeScript only) changes nothing until the next fit', () => {
  const pts = [[-6, 2], [-5, 3], [-6, 3], [8, -1], [9, -1], [8, 0], [1, 9], [2, 9]];
  const probe = [[-5.5, 2.5], [8.5, -0.5], [30, 30]];
  for (const Model of [KMeans, MiniBatchKMeans]) {
    const model = new Model({ k: 3, seed: 4 }).fit(pts);
    const before = [model.predict(probe), model.transform(probe), model.score(probe), model.anomalyScores(probe), model.clusterCenters];
    for (const k of [5, 1, 1e9]) {
      model.k = k;
      assert.deepEqual([model.predict(probe), model.transform(probe), model.score(probe), model.anomalyScores(probe), model.clusterCenters], before, `k = ${k}`);
    }
    model.k = 2;
    assert.equal(model.fit(pts).clusterCenters.length, 2, 'the next fit uses the new k');
  }
  const mb = new MiniBatchKMeans({ k: 3, seed: 4 }).fit(pts);
  mb.k = 4;
  expectError(() => mb.partialFit(pts), ArgumentError, 'E_ARGUMENT', /MiniBatchKMeans\.partialFit: partialFit continues the 3 fitted centres, but k is now 4; fit\(\) starts afresh/);
  assert.equal(mb.clusterCenters.length, 3);
});
