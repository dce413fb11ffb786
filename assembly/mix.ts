// Kernels of the sharing architectures (src/mtl/arch/): the row-wise softmax of
// the gates, mixing expert outputs with per-row gate weights (MMoE, CGC, PLE),
// cross-stitch units, and a strided block copy. Forward and backward side by side.
//
// Common contract (checked by the TypeScript caller, trusted here):
//   Counts (rows, n, d, T, cols) ≥ 1. Pointers are byte offsets, 4-byte aligned,
//   covering the whole extent they are read or written over. Row strides (ld…)
//   are in floats and ≥ the width of the block they stride.
//   A "block" of an expert or task is d consecutive floats in each row.
// Numerics: every sum runs in one fixed order (SIMD lanes of 4 over d, then the
// scalar tail; experts/tasks in index order), so results are deterministic and
// identical in every runtime. No relaxed SIMD; exp is AssemblyScript's Math.exp
// (software, inside this module).

// ---------------------------------------------------------------------------
// Gate softmax.

// y[r, :] = softmax(x[r, :]) over n columns; x and y are rows × n contiguous.
// y may alias x. Computed in f64 through the row maximum (no overflow), each
// value rounded to f32 once.
export function softmaxRows(rows: i32, n: i32, x: usize, y: usize): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * <usize>n << 2;
    const xr = x + o, yr = y + o;
    let m = <f64>load<f32>(xr);
    for (let j = 1; j < n; j++) m = max(m, <f64>load<f32>(xr + (<usize>j << 2)));
    let s: f64 = 0;
    for (let j = 0; j < n; j++) s += Math.exp(<f64>load<f32>(xr + (<usize>j << 2)) - m);
    const inv = 1.0 / s;
    // Element j is read before it is written, so y may be x.
    for (let j = 0; j < n; j++) {
      const p = <usize>j << 2;
      store<f32>(yr + p, <f32>(Math.exp(<f64>load<f32>(xr + p) - m) * inv));
    }
  }
}

// dx[r, j] = y[r, j] · (dy[r, j] − Σ_k y[r, k]·dy[r, k]), given the forward's
// output y. All rows × n contiguous; dx may alias dy (not y). f64 inside.
export function softmaxRowsBackward(rows: i32, n: i32, y: usize, dy: usize, dx: usize): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * <usize>n << 2;
    const yr = y + o, dyr = dy + o, dxr = dx + o;
    let s: f64 = 0;
    for (let j = 0; j < n; j++) {
      const p = <usize>j << 2;
      s += <f64>load<f32>(yr + p) * <f64>load<f32>(dyr + p);
    }
    for (let j = 0; j < n; j++) {
      const p = <usize>j << 2;
      store<f32>(dxr + p, <f32>(<f64>load<f32>(yr + p) * (<f64>load<f32>(dyr + p) - s)));
    }
  }
}

// ---------------------------------------------------------------------------
// Mixing experts with per-row gate weights.
//
// Layout: the experts' outputs of one level sit side by side in each row of e
// (row stride ldE floats): expert i of row r is the d floats at e + (r·ldE + i·d)·4.
// A gate mixes n of them, listed in `experts` (n i32 expert indices, each
// with (index + 1)·d ≤ ldE; distinct); g is rows × n contiguous (the gate's
// softmax output, column j weighting expert experts[j]).

// out[r, :] = Σ_j g[r, j] · E_{experts[j]}[r, :]   (out: rows × d, row stride ldOut).
// out must not overlap e or g.
export function mixForward(
  rows: i32, n: i32, d: i32, e: usize, ldE: i32, experts: usize, g: usize, out: usize, ldOut: i32,
): void {
  const d4 = d & ~3;
  for (let r = 0; r < rows; r++) {
    const er = e + (<usize>r * <usize>ldE << 2);
    const gr = g + (<usize>r * <usize>n << 2);
    const or = out + (<usize>r * <usize>ldOut << 2);
    let c = 0;
    for (; c < d4; c += 4) {
      const cb = <usize>c << 2;
      let acc = f32x4.splat(0);
      for (let j = 0; j < n; j++) {
        const src = er + (<usize>(load<i32>(experts + (<usize>j << 2)) * d) << 2);
        acc = f32x4.add(acc, f32x4.mul(f32x4.splat(load<f32>(gr + (<usize>j << 2))), v128.load(src + cb)));
      }
      v128.store(or + cb, acc);
    }
    for (; c < d; c++) {
      const cb = <usize>c << 2;
      let acc: f32 = 0;
      for (let j = 0; j < n; j++) {
        const src = er + (<usize>(load<i32>(experts + (<usize>j << 2)) * d) << 2);
        acc += load<f32>(gr + (<usize>j << 2)) * load<f32>(src + cb);
      }
      store<f32>(or + cb, acc);
    }
  }
}

// The backward of mixForward, given dOut (rows × d, row stride ldDOut):
//   dE_{experts[j]}[r, :]  = (accumulate ? dE_{experts[j]}[r, :] : 0) + g[r, j] · dOut[r, :]
//   dG[r, j]               = ⟨dOut[r, :], E_{experts[j]}[r, :]⟩
// dE has e's layout (row stride ldE); only the listed experts' blocks are
// touched. dG is rows × n contiguous, overwritten. dE must not overlap e, g or
// dOut; dG must not overlap anything else.
export function mixBackward(
  rows: i32, n: i32, d: i32, e: usize, ldE: i32, experts: usize, g: usize,
  dOut: usize, ldDOut: i32, dE: usize, dG: usize, accumulate: i32,
): void {
  const d4 = d & ~3;
  for (let r = 0; r < rows; r++) {
    const rowE = <usize>r * <usize>ldE << 2;
    const gr = g + (<usize>r * <usize>n << 2);
    const dgr = dG + (<usize>r * <usize>n << 2);
    const dor = dOut + (<usize>r * <usize>ldDOut << 2);
    for (let j = 0; j < n; j++) {
      const blk = rowE + (<usize>(load<i32>(experts + (<usize>j << 2)) * d) << 2);
      const src = e + blk, dst = dE + blk;
      const w = load<f32>(gr + (<usize>j << 2));
      const wv = f32x4.splat(w);
      let dot = f32x4.splat(0);
      let c = 0;
      for (; c < d4; c += 4) {
        const cb = <usize>c << 2;
        const dv = v128.load(dor + cb);
        dot = f32x4.add(dot, f32x4.mul(dv, v128.load(src + cb)));
        const add = f32x4.mul(wv, dv);
        v128.store(dst + cb, accumulate ? f32x4.add(v128.load(dst + cb), add) : add);
      }
      let s = horizontal(dot);
      for (; c < d; c++) {
        const cb = <usize>c << 2;
        const dv = load<f32>(dor + cb);
        s += dv * load<f32>(src + cb);
        const add = w * dv;
        store<f32>(dst + cb, accumulate ? load<f32>(dst + cb) + add : add);
      }
      store<f32>(dgr + (<usize>j << 2), s);
    }
  }
}

// ---------------------------------------------------------------------------
// Cross-stitch units (Misra et al., CVPR 2016): T tasks' activations of width d
// mixed by a T×T matrix α (row-major, f32): x̃_t = Σ_s α[t, s] · x_s.
//
// Layout: xs, ys, dys, dxs each point at T u32 byte offsets, one per task, of
// row 0 of that task's rows × d block; the blocks of one table share a row
// stride (ldX, ldY, …). The blocks may live in separate buffers or side by side
// in one (then the offsets differ by d·4 and the stride is T·d).

// y_t[r, :] = Σ_s alpha[t·T + s] · x_s[r, :]. No y block may overlap any x block.
export function crossStitchForward(
  rows: i32, T: i32, d: i32, xs: usize, ldX: i32, alpha: usize, ys: usize, ldY: i32,
): void {
  const d4 = d & ~3;
  for (let r = 0; r < rows; r++) {
    const rx = <usize>r * <usize>ldX << 2;
    const ry = <usize>r * <usize>ldY << 2;
    for (let t = 0; t < T; t++) {
      const yr = <usize>load<u32>(ys + (<usize>t << 2)) + ry;
      const at = alpha + (<usize>t * <usize>T << 2);
      let c = 0;
      for (; c < d4; c += 4) {
        const cb = <usize>c << 2;
        let acc = f32x4.splat(0);
        for (let s = 0; s < T; s++) {
          const xr = <usize>load<u32>(xs + (<usize>s << 2)) + rx;
          acc = f32x4.add(acc, f32x4.mul(f32x4.splat(load<f32>(at + (<usize>s << 2))), v128.load(xr + cb)));
        }
        v128.store(yr + cb, acc);
      }
      for (; c < d; c++) {
        const cb = <usize>c << 2;
        let acc: f32 = 0;
        for (let s = 0; s < T; s++) {
          const xr = <usize>load<u32>(xs + (<usize>s << 2)) + rx;
          acc += load<f32>(at + (<usize>s << 2)) * load<f32>(xr + cb);
        }
        store<f32>(yr + cb, acc);
      }
    }
  }
}

// The backward of crossStitchForward, given dy_t (table dys, stride ldDY) and the
// forward's inputs x_s (table xs, stride ldX):
//   dx_s[r, :]      = Σ_t alpha[t·T + s] · dy_t[r, :]          (overwritten; table dxs, stride ldDX)
//   dAlpha[t·T + s] = Σ_r ⟨dy_t[r, :], x_s[r, :]⟩               (T×T, overwritten)
// Each row's dot product is summed in f32 (4 lanes, then the tail) and the rows
// in f64. No dx block may overlap a dy or x block; dAlpha overlaps nothing.
export function crossStitchBackward(
  rows: i32, T: i32, d: i32, xs: usize, ldX: i32, alpha: usize,
  dys: usize, ldDY: i32, dxs: usize, ldDX: i32, dAlpha: usize,
): void {
  const d4 = d & ~3;
  for (let r = 0; r < rows; r++) {
    const rdy = <usize>r * <usize>ldDY << 2;
    const rdx = <usize>r * <usize>ldDX << 2;
    for (let s = 0; s < T; s++) {
      const dxr = <usize>load<u32>(dxs + (<usize>s << 2)) + rdx;
      const as = alpha + (<usize>s << 2);
      let c = 0;
      for (; c < d4; c += 4) {
        const cb = <usize>c << 2;
        let acc = f32x4.splat(0);
        for (let t = 0; t < T; t++) {
          const dyr = <usize>load<u32>(dys + (<usize>t << 2)) + rdy;
          acc = f32x4.add(acc, f32x4.mul(f32x4.splat(load<f32>(as + (<usize>t * <usize>T << 2))), v128.load(dyr + cb)));
        }
        v128.store(dxr + cb, acc);
      }
      for (; c < d; c++) {
        const cb = <usize>c << 2;
        let acc: f32 = 0;
        for (let t = 0; t < T; t++) {
          const dyr = <usize>load<u32>(dys + (<usize>t << 2)) + rdy;
          acc += load<f32>(as + (<usize>t * <usize>T << 2)) * load<f32>(dyr + cb);
        }
        store<f32>(dxr + cb, acc);
      }
    }
  }
  for (let t = 0; t < T; t++) {
    const dy0 = <usize>load<u32>(dys + (<usize>t << 2));
    for (let s = 0; s < T; s++) {
      const x0 = <usize>load<u32>(xs + (<usize>s << 2));
      let total: f64 = 0;
      for (let r = 0; r < rows; r++) {
        const dyr = dy0 + (<usize>r * <usize>ldDY << 2);
        const xr = x0 + (<usize>r * <usize>ldX << 2);
        let acc = f32x4.splat(0);
        let c = 0;
        for (; c < d4; c += 4) {
          const cb = <usize>c << 2;
          acc = f32x4.add(acc, f32x4.mul(v128.load(dyr + cb), v128.load(xr + cb)));
        }
        let rowSum = horizontal(acc);
        for (; c < d; c++) {
          const cb = <usize>c << 2;
          rowSum += load<f32>(dyr + cb) * load<f32>(xr + cb);
        }
        total += <f64>rowSum;
      }
      store<f32>(dAlpha + (<usize>(t * T + s) << 2), <f32>total);
    }
  }
}

// ---------------------------------------------------------------------------
// dst[r, 0:cols] = src[r, 0:cols] for rows rows, with row strides ldSrc and
// ldDst (floats). Moves a block in or out of a wider buffer (an expert's output
// into Z, a task's column of Z into its tower's input). Regions must not overlap.
export function copyBlock(rows: i32, cols: i32, src: usize, ldSrc: i32, dst: usize, ldDst: i32): void {
  const bytes = <usize>cols << 2;
  if (ldSrc == cols && ldDst == cols) {
    memory.copy(dst, src, <usize>rows * bytes);
    return;
  }
  for (let r = 0; r < rows; r++) {
    memory.copy(dst + (<usize>r * <usize>ldDst << 2), src + (<usize>r * <usize>ldSrc << 2), bytes);
  }
}

// @ts-ignore: decorator
@inline function horizontal(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) +
         (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// ---------------------------------------------------------------------------
// The DSelect-k gate's selection (Hazimeh et al., NeurIPS 2021): k selectors, each
// m smooth-step values s_i ∈ [0, 1]^m, choose among n ≤ 2^m experts by the binary
// code of the expert's index (bit l of j, least significant first):
//   r_ij = Π_l (bit_l(j) ? s_il : 1 − s_il)          (Σ over all 2^m codes is 1)
//   q_ij = r_ij / Σ_{j' < n} r_ij'                     (n < 2^m: the codes past n renormalized away; n = 2^m: q = r)
//   y_j  = Σ_i a_i · q_ij                              (a: the selectors' softmax weights)
// s is rows × (k·m) (selector i's bits at columns i·m …), a rows × k, y rows × n,
// all contiguous. Sums in f64 in index order; each output rounded to f32 once.

// @ts-ignore: decorator
@inline function code(s: usize, m: i32, j: i32): f64 {
  let r: f64 = 1;
  for (let l = 0; l < m; l++) {
    const v = <f64>load<f32>(s + (<usize>l << 2));
    r *= (j >> l) & 1 ? v : 1 - v;
  }
  return r;
}

export function dselectForward(rows: i32, k: i32, m: i32, n: i32, s: usize, a: usize, y: usize): void {
  const all = n == 1 << m;
  for (let r = 0; r < rows; r++) {
    const yr = y + (<usize>r * <usize>n << 2);
    for (let j = 0; j < n; j++) {
      let acc: f64 = 0;
      for (let i = 0; i < k; i++) {
        const si = s + (<usize>(r * k + i) * <usize>m << 2);
        let z: f64 = 1;
        if (!all) { z = 0; for (let jj = 0; jj < n; jj++) z += code(si, m, jj); }
        acc += <f64>load<f32>(a + (<usize>(r * k + i) << 2)) * code(si, m, j) / z;
      }
      store<f32>(yr + (<usize>j << 2), <f32>acc);
    }
  }
}

// The backward of dselectForward given dy (rows × n): writes ds (rows × k·m) and
// da (rows × k). ∂r_ij/∂s_il is ± the product over the other bits, formed
// directly (never by dividing r by s, which the smooth step makes exactly 0 or 1).
export function dselectBackward(rows: i32, k: i32, m: i32, n: i32, s: usize, a: usize, dy: usize, ds: usize, da: usize): void {
  const all = n == 1 << m;
  for (let r = 0; r < rows; r++) {
    const dyr = dy + (<usize>r * <usize>n << 2);
    for (let i = 0; i < k; i++) {
      const si = s + (<usize>(r * k + i) * <usize>m << 2);
      const dsi = ds + (<usize>(r * k + i) * <usize>m << 2);
      const ai = <f64>load<f32>(a + (<usize>(r * k + i) << 2));
      let z: f64 = 1;
      if (!all) { z = 0; for (let j = 0; j < n; j++) z += code(si, m, j); }
      // ⟨dy, q_i⟩, which is dL/da_i and, normalized, the part of dL/dr_ij every j shares.
      let dq: f64 = 0;
      for (let j = 0; j < n; j++) dq += <f64>load<f32>(dyr + (<usize>j << 2)) * code(si, m, j) / z;
      store<f32>(da + (<usize>(r * k + i) << 2), <f32>dq);
      for (let l = 0; l < m; l++) {
        let g: f64 = 0;
        for (let j = 0; j < n; j++) {
          // dL/dr_ij = a_i·(dy_j − ⟨dy, q_i⟩)/Z, or a_i·dy_j when every code is an expert.
          const drj = ai * (all ? <f64>load<f32>(dyr + (<usize>j << 2)) : (<f64>load<f32>(dyr + (<usize>j << 2)) - dq) / z);
          let others: f64 = 1;
          for (let l2 = 0; l2 < m; l2++) {
            if (l2 == l) continue;
            const v = <f64>load<f32>(si + (<usize>l2 << 2));
            others *= (j >> l2) & 1 ? v : 1 - v;
          }
          g += (j >> l) & 1 ? drj * others : -drj * others;
        }
        store<f32>(dsi + (<usize>l << 2), <f32>g);
      }
    }
  }
}
