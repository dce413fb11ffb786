// Element-wise combinations of per-task gradient vectors, for the weighting
// strategies whose shared gradient is not a linear combination of the task
// gradients (src/mtl/weighting/graddrop.ts, trimmedmean.ts, excessmtl.ts).
//
// Contract: `ptrs` holds `tasks` i32 byte offsets, each of an f32 vector of the
// stated length, 4-byte aligned (the allocator gives 16); `out` and the scratch
// buffers do not alias the inputs. The SIMD main loops run 4 columns at a time
// and the scalar tails repeat the same operations in the same order, so every
// element gets the same bits whichever path computes it.

// @ts-ignore: decorator
@inline function taskPtr(ptrs: usize, t: i32): usize {
  return <usize>load<i32>(ptrs + (<usize>t << 2));
}

/**
 * GradDrop (Chen et al. 2020, Algorithm 1): per column d of rows × width task
 * gradients g_t,
 *   s_td = Σ_r g_t[r, d] · sign(z[r, d])        (sign 1 everywhere when z = 0)
 *   P_d  = ½ (1 + Σ_t s_td / (Σ_t |s_td| + 1e-7))
 *   M_td = 1 if (P_d > U_d and s_td > 0) or (P_d < U_d and s_td < 0), else 0
 *   out[r, d] = Σ_t g_t[r, d] · (leak + (1 − leak) · M_td)
 * uniforms: width f32 draws in [0, 1). purity: tasks × width f32 scratch; on return it
 * holds the factors leak + (1 − leak)·M_td (the strategy reports their means).
 */
export function gradDropCombine(
  tasks: i32, rows: i32, width: i32, ptrs: usize, z: usize, uniforms: usize, leak: f32, purity: usize, out: usize,
): void {
  const rowBytes = <usize>width << 2;
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  // s_td, rows in order.
  for (let t = 0; t < tasks; t++) {
    const g = taskPtr(ptrs, t), s = purity + <usize>t * rowBytes;
    let d = 0;
    for (; d + 4 <= width; d += 4) {
      const o = <usize>d << 2;
      let acc = zero;
      for (let r = 0; r < rows; r++) {
        const at = <usize>r * rowBytes + o;
        let v = v128.load(g + at);
        if (z != 0) {
          const zv = v128.load(z + at);
          const sign = f32x4.sub(v128.and(f32x4.gt(zv, zero), one), v128.and(f32x4.lt(zv, zero), one));
          v = f32x4.mul(v, sign);
        }
        acc = f32x4.add(acc, v);
      }
      v128.store(s + o, acc);
    }
    for (; d < width; d++) {
      const o = <usize>d << 2;
      let acc: f32 = 0;
      for (let r = 0; r < rows; r++) {
        const at = <usize>r * rowBytes + o;
        let v = load<f32>(g + at);
        if (z != 0) {
          const zv = load<f32>(z + at);
          const sign: f32 = <f32>(zv > 0 ? 1 : 0) - <f32>(zv < 0 ? 1 : 0);
          v = v * sign;
        }
        acc = acc + v;
      }
      store<f32>(s + o, acc);
    }
  }
  // P_d, then each task's factor, written over s_td.
  const keep = f32x4.splat(1 - leak), leakv = f32x4.splat(leak), tiny = f32x4.splat(1e-7), half = f32x4.splat(0.5);
  let d = 0;
  for (; d + 4 <= width; d += 4) {
    const o = <usize>d << 2;
    let sum = zero, abs = zero;
    for (let t = 0; t < tasks; t++) {
      const v = v128.load(purity + <usize>t * rowBytes + o);
      sum = f32x4.add(sum, v);
      abs = f32x4.add(abs, f32x4.abs(v));
    }
    const p = f32x4.mul(half, f32x4.add(one, f32x4.div(sum, f32x4.add(abs, tiny))));
    const u = v128.load(uniforms + o);
    const above = f32x4.gt(p, u), below = f32x4.lt(p, u);
    for (let t = 0; t < tasks; t++) {
      const at = purity + <usize>t * rowBytes + o;
      const v = v128.load(at);
      const m = v128.or(v128.and(above, f32x4.gt(v, zero)), v128.and(below, f32x4.lt(v, zero)));
      v128.store(at, f32x4.add(leakv, f32x4.mul(keep, v128.and(m, one))));
    }
  }
  for (; d < width; d++) {
    const o = <usize>d << 2;
    let sum: f32 = 0, abs: f32 = 0;
    for (let t = 0; t < tasks; t++) {
      const v = load<f32>(purity + <usize>t * rowBytes + o);
      sum = sum + v;
      abs = abs + Mathf.abs(v);
    }
    const p: f32 = <f32>0.5 * (<f32>1 + sum / (abs + <f32>1e-7));
    const u = load<f32>(uniforms + o);
    for (let t = 0; t < tasks; t++) {
      const at = purity + <usize>t * rowBytes + o;
      const v = load<f32>(at);
      const m: f32 = (p > u && v > 0) || (p < u && v < 0) ? 1 : 0;
      store<f32>(at, leak + (<f32>1 - leak) * m);
    }
  }
  // out = Σ_t g_t · factor_t (tasks in order), row by row.
  for (let r = 0; r < rows; r++) {
    const row = <usize>r * rowBytes;
    let c = 0;
    for (; c + 4 <= width; c += 4) {
      const o = <usize>c << 2;
      let acc = zero;
      for (let t = 0; t < tasks; t++) {
        acc = f32x4.add(acc, f32x4.mul(v128.load(taskPtr(ptrs, t) + row + o), v128.load(purity + <usize>t * rowBytes + o)));
      }
      v128.store(out + row + o, acc);
    }
    for (; c < width; c++) {
      const o = <usize>c << 2;
      let acc: f32 = 0;
      for (let t = 0; t < tasks; t++) acc = acc + load<f32>(taskPtr(ptrs, t) + row + o) * load<f32>(purity + <usize>t * rowBytes + o);
      store<f32>(out + row + o, acc);
    }
  }
}

/**
 * Coordinate-wise trimmed mean (Yin et al. 2018): out[i] = the mean of the task
 * values at i after dropping the `trim` smallest and the `trim` largest
 * (tasks > 2·trim). The values of each coordinate are sorted by an insertion
 * network of min/max exchanges, then the kept ones are summed in ascending order.
 * scratch: tasks × 16 bytes.
 */
export function trimmedMean(tasks: i32, n: i32, ptrs: usize, trim: i32, scratch: usize, out: usize): void {
  const kept = tasks - 2 * trim;
  const countv = f32x4.splat(<f32>kept);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    for (let t = 0; t < tasks; t++) {
      let v = v128.load(taskPtr(ptrs, t) + o);
      let j = t;
      for (; j > 0; j--) {
        const prev = v128.load(scratch + (<usize>(j - 1) << 4));
        v128.store(scratch + (<usize>j << 4), f32x4.max(prev, v));
        v = f32x4.min(prev, v);
      }
      v128.store(scratch, v);
      // (j ended at 0: v is now the smallest of the first t + 1 values.)
    }
    let acc = f32x4.splat(0);
    for (let t = trim; t < tasks - trim; t++) acc = f32x4.add(acc, v128.load(scratch + (<usize>t << 4)));
    v128.store(out + o, f32x4.div(acc, countv));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    for (let t = 0; t < tasks; t++) {
      let v = load<f32>(taskPtr(ptrs, t) + o);
      for (let j = t; j > 0; j--) {
        const prev = load<f32>(scratch + (<usize>(j - 1) << 2));
        store<f32>(scratch + (<usize>j << 2), Mathf.max(prev, v));
        v = Mathf.min(prev, v);
      }
      store<f32>(scratch, v);
    }
    let acc: f32 = 0;
    for (let t = trim; t < tasks - trim; t++) acc = acc + load<f32>(scratch + (<usize>t << 2));
    store<f32>(out + o, acc / <f32>kept);
  }
}

/**
 * ExcessMTL's excess-risk estimate (He et al. 2024): h += g² element-wise, then
 * returns Σ_i g_i² / √(h_i + 1e-7) with the updated h (an AdaGrad-preconditioned
 * squared norm). Terms in f32, summed in f64 (4 partial sums, a fixed order).
 */
export function accumulateSquares(n: i32, g: usize, h: usize): f64 {
  const tiny = f32x4.splat(1e-7);
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const gv = v128.load(g + o);
    const g2 = f32x4.mul(gv, gv);
    const hv = f32x4.add(v128.load(h + o), g2);
    v128.store(h + o, hv);
    const term = f32x4.div(g2, f32x4.sqrt(f32x4.add(hv, tiny)));
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(term));
    s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(term, term, 2, 3, 0, 1)));
  }
  let s = (f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1)) +
          (f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1));
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const g2 = gi * gi;
    const hi = load<f32>(h + o) + g2;
    store<f32>(h + o, hi);
    s += <f64>(g2 / Mathf.sqrt(hi + <f32>1e-7));
  }
  return s;
}
