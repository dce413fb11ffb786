// Optimizer updates and gradient clipping over contiguous f32 ranges.
//
// Every update kernel is fused: one pass reads the gradient, the parameters and
// the optimizer state of a range and writes the parameters and the state. The
// TypeScript caller (src/nn/optim.ts) calls it once per trainable range.
//
// Contract (checked by the caller, trusted here):
//   n ≥ 0; every pointer covers n floats; p, g and the state slots do not
//   overlap each other (g may be anything the caller keeps constant).
//   Scalars arrive as f64 (exact through the JS boundary); the per-call
//   constants derived from them are computed once in f64 and rounded to f32,
//   then every element is computed in f32 with IEEE operations only (no relaxed
//   SIMD, no FMA), so the result is bit-identical in every WebAssembly engine.
//
// sgd and adam return 1 if a parameter they wrote is not finite (NaN or ±∞: a
// non-finite gradient, or an update that overflowed float32), else 0. The check
// is fused into the pass (two vector operations per four parameters, see
// nonFinite); the trainers use it to put back the weights from before the step.
//
// Gradient preprocessing, shared by every update: the gradient used is
//   ĝ = clamp(gradScale · g, −clip, clip)
// gradScale = 1 and clip = +∞ make this the identity exactly (global-norm
// clipping passes maxNorm/norm; value clipping passes the limit). The gradient
// block itself is never written by an update kernel.

// @ts-ignore: decorator
@inline function prep(gv: v128, gs: v128, lo: v128, hi: v128): v128 {
  return f32x4.min(f32x4.max(f32x4.mul(gv, gs), lo), hi);
}

// x − x: +0 (all bits zero) in every lane where x is finite, NaN where it is NaN or ±∞.
// OR-ed into an accumulator, any bit left set means a non-finite value was written
// (two operations per vector, and a one-cycle loop-carried dependency).
// @ts-ignore: decorator
@inline function nonFinite(x: v128): v128 {
  return f32x4.sub(x, x);
}

// @ts-ignore: decorator
@inline function prep1(g: f32, gs: f32, clip: f32): f32 {
  return min(max(g * gs, -clip), clip);
}

/**
 * SGD, PyTorch semantics (torch.optim.SGD, dampening 0):
 *   g ← ĝ + wd·p
 *   if v ≠ 0 (momentum buffer):  v ← μ·v + g;  g ← nesterov ? g + μ·v : v
 *   p ← p − lr·g
 * PyTorch sets the buffer to g on the first step; with the buffer zeroed at
 * allocation, μ·0 + g = g exactly, so no first-step flag is needed.
 * v = 0 (null pointer) means plain SGD: momentum and nesterov are ignored.
 * The new v goes to vOut: v itself (in place), or another buffer of the same
 * size, v then left as it was (an update in pieces on the worker threads takes
 * the new state only once every piece has run: src/nn/optim.ts).
 */
export function sgd(
  n: i32, p: usize, g: usize, v: usize, vOut: usize,
  lr: f64, momentum: f64, weightDecay: f64, nesterov: i32,
  gradScale: f64, clip: f64,
): i32 {
  const lr1 = <f32>lr, mu1 = <f32>momentum, wd1 = <f32>weightDecay;
  const gs1 = <f32>gradScale, c1 = <f32>clip;
  const lrv = f32x4.splat(lr1), muv = f32x4.splat(mu1), wdv = f32x4.splat(wd1);
  const gsv = f32x4.splat(gs1), hi = f32x4.splat(c1), lo = f32x4.splat(-c1);
  let bad = f32x4.splat(0);
  let badTail: i32 = 0;
  let i = 0;
  if (v == 0) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const pv = v128.load(p + o);
      const gv = f32x4.add(prep(v128.load(g + o), gsv, lo, hi), f32x4.mul(wdv, pv));
      const nv = f32x4.sub(pv, f32x4.mul(lrv, gv));
      bad = v128.or(bad, nonFinite(nv));
      v128.store(p + o, nv);
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const pe = load<f32>(p + o);
      const ge = prep1(load<f32>(g + o), gs1, c1) + wd1 * pe;
      const ne = pe - lr1 * ge;
      if (ne - ne != 0) badTail = 1;
      store<f32>(p + o, ne);
    }
  } else if (nesterov) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const pv = v128.load(p + o);
      const gv = f32x4.add(prep(v128.load(g + o), gsv, lo, hi), f32x4.mul(wdv, pv));
      const vv = f32x4.add(f32x4.mul(muv, v128.load(v + o)), gv);
      v128.store(vOut + o, vv);
      const nv = f32x4.sub(pv, f32x4.mul(lrv, f32x4.add(gv, f32x4.mul(muv, vv))));
      bad = v128.or(bad, nonFinite(nv));
      v128.store(p + o, nv);
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const pe = load<f32>(p + o);
      const ge = prep1(load<f32>(g + o), gs1, c1) + wd1 * pe;
      const ve = mu1 * load<f32>(v + o) + ge;
      store<f32>(vOut + o, ve);
      const ne = pe - lr1 * (ge + mu1 * ve);
      if (ne - ne != 0) badTail = 1;
      store<f32>(p + o, ne);
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const pv = v128.load(p + o);
      const gv = f32x4.add(prep(v128.load(g + o), gsv, lo, hi), f32x4.mul(wdv, pv));
      const vv = f32x4.add(f32x4.mul(muv, v128.load(v + o)), gv);
      v128.store(vOut + o, vv);
      const nv = f32x4.sub(pv, f32x4.mul(lrv, vv));
      bad = v128.or(bad, nonFinite(nv));
      v128.store(p + o, nv);
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const pe = load<f32>(p + o);
      const ge = prep1(load<f32>(g + o), gs1, c1) + wd1 * pe;
      const ve = mu1 * load<f32>(v + o) + ge;
      store<f32>(vOut + o, ve);
      const ne = pe - lr1 * ve;
      if (ne - ne != 0) badTail = 1;
      store<f32>(p + o, ne);
    }
  }
  return v128.any_true(bad) ? 1 : badTail;
}

/**
 * Adam and AdamW, PyTorch semantics (torch.optim.Adam / AdamW, amsgrad off):
 *   decoupled = 0 (Adam):  g ← ĝ + wd·p                 (L2 penalty in the gradient)
 *   decoupled = 1 (AdamW): g ← ĝ;  p ← p·(1 − lr·wd)    (decoupled weight decay)
 *   m ← β₁·m + (1−β₁)·g
 *   v ← β₂·v + (1−β₂)·g²
 *   p ← p − (lr/bc1) · m / (√v / √bc2 + ε)
 * bc1 = 1−β₁ᵗ and bc2 = 1−β₂ᵗ (t = 1 on the first step) are computed by the
 * caller as running f64 products (no pow: identical in every engine).
 * lr/bc1, √bc2, 1−β and 1−lr·wd are computed here in f64 (IEEE division and
 * square root), as PyTorch computes them in Python floats, then rounded to f32.
 * The new m and v go to mOut and vOut: m and v themselves (in place), or
 * another buffer (as sgd's vOut).
 */
export function adam(
  n: i32, p: usize, g: usize, m: usize, v: usize, mOut: usize, vOut: usize,
  lr: f64, beta1: f64, beta2: f64, epsilon: f64, weightDecay: f64, decoupled: i32,
  bc1: f64, bc2: f64, gradScale: f64, clip: f64,
): i32 {
  const step1 = <f32>(lr / bc1);
  const sbc1 = <f32>Math.sqrt(bc2);
  const b11 = <f32>beta1, ob11 = <f32>(1 - beta1);
  const b21 = <f32>beta2, ob21 = <f32>(1 - beta2);
  const eps1 = <f32>epsilon;
  // Exactly one of the two decays is active; the other is an exact identity
  // (x + 0·p = x and p·1 = p for finite p).
  const l21: f32 = decoupled ? 0 : <f32>weightDecay;
  const keep1: f32 = decoupled ? <f32>(1 - lr * weightDecay) : 1;
  const gs1 = <f32>gradScale, c1 = <f32>clip;

  const stepv = f32x4.splat(step1), sbcv = f32x4.splat(sbc1);
  const b1v = f32x4.splat(b11), ob1v = f32x4.splat(ob11);
  const b2v = f32x4.splat(b21), ob2v = f32x4.splat(ob21);
  const epsv = f32x4.splat(eps1), l2v = f32x4.splat(l21), keepv = f32x4.splat(keep1);
  const gsv = f32x4.splat(gs1), hi = f32x4.splat(c1), lo = f32x4.splat(-c1);
  let bad = f32x4.splat(0);
  let badTail: i32 = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    let pv = v128.load(p + o);
    const gv = f32x4.add(prep(v128.load(g + o), gsv, lo, hi), f32x4.mul(l2v, pv));
    pv = f32x4.mul(pv, keepv);
    const mv = f32x4.add(f32x4.mul(b1v, v128.load(m + o)), f32x4.mul(ob1v, gv));
    const vv = f32x4.add(f32x4.mul(b2v, v128.load(v + o)), f32x4.mul(ob2v, f32x4.mul(gv, gv)));
    v128.store(mOut + o, mv);
    v128.store(vOut + o, vv);
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vv), sbcv), epsv);
    const nv = f32x4.sub(pv, f32x4.mul(stepv, f32x4.div(mv, denom)));
    bad = v128.or(bad, nonFinite(nv));
    v128.store(p + o, nv);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let pe = load<f32>(p + o);
    const ge = prep1(load<f32>(g + o), gs1, c1) + l21 * pe;
    pe = pe * keep1;
    const me = b11 * load<f32>(m + o) + ob11 * ge;
    const ve = b21 * load<f32>(v + o) + ob21 * (ge * ge);
    store<f32>(mOut + o, me);
    store<f32>(vOut + o, ve);
    const denom = sqrt<f32>(ve) / sbc1 + eps1;
    const ne = pe - step1 * (me / denom);
    if (ne - ne != 0) badTail = 1;
    store<f32>(p + o, ne);
  }
  return v128.any_true(bad) ? 1 : badTail;
}

/**
 * Σ x², accumulated in f64 (each square of an f32 is exact in f64), for the
 * global gradient norm: far more accurate than an f32 sum over millions of
 * parameters, and deterministic (4 partial sums in two f64x2 accumulators,
 * added in a fixed order, then the tail left to right).
 */
export function sumSquaresF64(n: i32, x: usize): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const xv = v128.load(x + (<usize>i << 2));
    const lo = f64x2.promote_low_f32x4(xv);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(xv, xv, 2, 3, 0, 1));
    s0 = f64x2.add(s0, f64x2.mul(lo, lo));
    s1 = f64x2.add(s1, f64x2.mul(hi, hi));
  }
  let s = (f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1)) +
          (f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1));
  for (; i < n; i++) {
    const e = <f64>load<f32>(x + (<usize>i << 2));
    s += e * e;
  }
  return s;
}

/**
 * x ← clamp(x, −limit, limit) in place (gradient value clipping). NaN stays NaN
 * (WebAssembly min/max propagate it), so a diverged gradient is not hidden.
 */
export function clampAbs(n: i32, limit: f64, x: usize): void {
  const c1 = <f32>limit;
  const hi = f32x4.splat(c1), lo = f32x4.splat(-c1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.min(f32x4.max(v128.load(x + o), lo), hi));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, min(max(load<f32>(x + o), -c1), c1));
  }
}
