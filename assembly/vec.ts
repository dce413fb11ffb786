// Vector kernels over contiguous f32 arrays of length n ≥ 0.
// Contract: pointers cover n floats. `out` may alias an input (element-wise ops
// read each element before writing it). Reductions keep 8 partial sums in two
// f32x4 accumulators and add them in a fixed order, so results are deterministic
// (but differ from a left-to-right scalar sum by rounding).

// y += alpha · x
export function axpy(n: i32, alpha: f32, x: usize, y: usize): void {
  const av = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(av, v128.load(x + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + alpha * load<f32>(x + o));
  }
}

// x *= alpha
export function scale(n: i32, alpha: f32, x: usize): void {
  const av = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.mul(v128.load(x + o), av));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) * alpha);
  }
}

// out = x + y
export function add(n: i32, x: usize, y: usize, out: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(v128.load(x + o), v128.load(y + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) + load<f32>(y + o));
  }
}

// out = x ⊙ y
export function mul(n: i32, x: usize, y: usize, out: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(v128.load(x + o), v128.load(y + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) * load<f32>(y + o));
  }
}

// Σ x·y
export function dot(n: i32, x: usize, y: usize): f32 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    s0 = f32x4.add(s0, f32x4.mul(v128.load(x + o), v128.load(y + o)));
    s1 = f32x4.add(s1, f32x4.mul(v128.load(x + o, 16), v128.load(y + o, 16)));
  }
  let s = horizontal(f32x4.add(s0, s1));
  for (; i < n; i++) {
    const o = <usize>i << 2;
    s += load<f32>(x + o) * load<f32>(y + o);
  }
  return s;
}

// Σ x
export function sum(n: i32, x: usize): f32 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    s0 = f32x4.add(s0, v128.load(x + o));
    s1 = f32x4.add(s1, v128.load(x + o, 16));
  }
  let s = horizontal(f32x4.add(s0, s1));
  for (; i < n; i++) s += load<f32>(x + (<usize>i << 2));
  return s;
}

// Σ x²
export function sumSquares(n: i32, x: usize): f32 {
  return dot(n, x, x);
}

// Σ x accumulated in f64 (the public sum: a total beyond float32 is still a number):
// four partial sums in two f64x2 accumulators, added in a fixed order, then the
// tail left to right, as sumSquaresF64 (assembly/optim.ts).
export function sumF64(n: i32, x: usize): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const xv = v128.load(x + (<usize>i << 2));
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(xv));
    s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(xv, xv, 2, 3, 0, 1)));
  }
  let s = (f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1)) +
          (f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1));
  for (; i < n; i++) s += <f64>load<f32>(x + (<usize>i << 2));
  return s;
}

// Σ x·y accumulated in f64 (each product of two f32 is exact in f64), as sumF64.
export function dotF64(n: i32, x: usize, y: usize): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const xv = v128.load(x + o), yv = v128.load(y + o);
    s0 = f64x2.add(s0, f64x2.mul(f64x2.promote_low_f32x4(xv), f64x2.promote_low_f32x4(yv)));
    s1 = f64x2.add(s1, f64x2.mul(
      f64x2.promote_low_f32x4(v128.shuffle<f32>(xv, xv, 2, 3, 0, 1)),
      f64x2.promote_low_f32x4(v128.shuffle<f32>(yv, yv, 2, 3, 0, 1)),
    ));
  }
  let s = (f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1)) +
          (f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1));
  for (; i < n; i++) {
    const o = <usize>i << 2;
    s += <f64>load<f32>(x + o) * <f64>load<f32>(y + o);
  }
  return s;
}

// @ts-ignore: decorator
@inline function horizontal(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) +
         (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// out[j] = Σ_r x[r, j] over rows × cols contiguous (the bias gradient of a dense
// layer: column sums of dY). out is overwritten.
export function colSums(rows: i32, cols: i32, x: usize, out: usize): void {
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    let s = f32x4.splat(0);
    let p = x + (<usize>j << 2);
    const stride = <usize>cols << 2;
    for (let r = 0; r < rows; r++) {
      s = f32x4.add(s, v128.load(p));
      p += stride;
    }
    v128.store(out + (<usize>j << 2), s);
  }
  for (; j < cols; j++) {
    let s: f32 = 0;
    let p = x + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      s += load<f32>(p);
      p += <usize>cols << 2;
    }
    store<f32>(out + (<usize>j << 2), s);
  }
}
