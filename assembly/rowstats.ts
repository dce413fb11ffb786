// Row and column statistics of an n × d row-major f32 matrix, shared by the
// clustering kernels (assembly/kmeans.ts, assembly/gmm.ts) and the autoencoder's
// anomaly score.
//
// Contract (checked by the TypeScript caller, trusted here): n, d ≥ 1; every
// pointer covers the extent its comment gives; outputs do not overlap inputs
// unless stated. f64 pointers are 8-byte aligned.

// out[i] = Σ_j x[i, j]² (f32, 4 lanes per step; the d % 4 tail scalar).
export function rowSquaredNorms(n: i32, d: i32, x: usize, out: usize): void {
  const row = <usize>d << 2;
  for (let i = 0; i < n; i++) {
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
  }
}

// mean[j] = Σ_i x[i, j] / n and variance[j] = Σ_i (x[i, j] − mean[j])² / n
// (population variance, numpy's var), both d f64, two passes in f64 (4 columns
// at a time as two f64x2, the d % 4 tail scalar).
export function colMeanVar(n: i32, d: i32, x: usize, mean: usize, variance: usize): void {
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
      v128.store(m, f64x2.add(v128.load(m, 16), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))), 16);
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
      const hi = f64x2.sub(f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)), v128.load(m, 16));
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

// out[i, j] = f32(x[i, j] − shift[j]) with shift d f64 (the difference in f64,
// rounded once); out may be x.
export function subtractColumns(n: i32, d: i32, x: usize, shift: usize, out: usize): void {
  const row = <usize>d << 2;
  for (let i = 0; i < n; i++) {
    const p = x + <usize>i * row, q = out + <usize>i * row;
    let j = 0;
    for (; j + 4 <= d; j += 4) {
      const v = v128.load(p + (<usize>j << 2));
      const m = shift + (<usize>j << 3);
      const lo = f32x4.demote_f64x2_zero(f64x2.sub(f64x2.promote_low_f32x4(v), v128.load(m)));
      const hi = f32x4.demote_f64x2_zero(f64x2.sub(f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)), v128.load(m, 16)));
      v128.store(q + (<usize>j << 2), i32x4.shuffle(lo, hi, 0, 1, 4, 5));
    }
    for (; j < d; j++) {
      store<f32>(q + (<usize>j << 2), <f32>(<f64>load<f32>(p + (<usize>j << 2)) - load<f64>(shift + (<usize>j << 3))));
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
        f64x2.promote_low_f32x4(i32x4.shuffle(va, va, 2, 3, 0, 1)),
        f64x2.promote_low_f32x4(i32x4.shuffle(vb, vb, 2, 3, 0, 1)),
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
