// Self-attention over the time steps of a window (one Transformer encoder layer:
// src/mtl/arch/transformer.ts), and the broadcast add its learned positional
// encoding and residual connections run on.
//
// Layout: a row is a window of `steps` tokens, token-major. The attention reads the
// row's queries, keys and values side by side in one value, qkv: token t holds
// [q | k | v], each D = heads·dk floats, head h at columns h·dk of each. It writes
// the heads' outputs concatenated per token (rows × steps × D) and keeps the
// attention weights (rows × heads × steps × steps, row i of a head: the query at
// step i over the keys) for the backward pass.
//
// Scores are s_ij = (q_i · k_j)/√dk; with `causal` ≠ 0 the query at step i sees
// keys j ≤ i only (weights 0 beyond). Dot products and the weighted sums run SIMD
// over the head's dk floats (lanes of 4, then the scalar tail, added in one fixed
// order); the softmax runs in f64 through the row's maximum, each weight rounded
// to f32 once, as softmaxRows in mix.ts. The windows are short (a few to a few
// dozen steps) and dk small, so a row's head is a 14 × 14 × 8 product: the GEMM's
// packing would cost more than it saves, and the direct loops keep infer.wasm small.
//
// Contracts: pointers cover what the counts say; outputs do not overlap inputs.
// Sums run in a fixed order, so results are deterministic on every runtime.

// Σ_c a[c]·b[c] over n floats: four SIMD lanes, added lane 0 + 1 + 2 + 3, then the tail.
@inline function dotF32(n: i32, a: usize, b: usize): f32 {
  let acc = f32x4.splat(0);
  let c = 0;
  for (; c + 4 <= n; c += 4) {
    const o = <usize>c << 2;
    acc = f32x4.add(acc, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; c < n; c++) s += load<f32>(a + (<usize>c << 2)) * load<f32>(b + (<usize>c << 2));
  return s;
}

// y[0:n] += alpha · x[0:n], SIMD.
@inline function axpyF32(n: i32, alpha: f32, x: usize, y: usize): void {
  const av = f32x4.splat(alpha);
  let c = 0;
  for (; c + 4 <= n; c += 4) {
    const o = <usize>c << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(av, v128.load(x + o))));
  }
  for (; c < n; c++) {
    const o = <usize>c << 2;
    store<f32>(y + o, load<f32>(y + o) + alpha * load<f32>(x + o));
  }
}

// y[r, :] = x[r, :] + p[:] for rows × n floats (p: n floats). With rows = 1 it is
// the element-wise sum of two arrays (the residual connections). y may alias x.
export function addBroadcast(rows: i32, n: i32, x: usize, p: usize, y: usize): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * <usize>n << 2, xr = x + o, yr = y + o;
    let c = 0;
    for (; c + 4 <= n; c += 4) {
      const q = <usize>c << 2;
      v128.store(yr + q, f32x4.add(v128.load(xr + q), v128.load(p + q)));
    }
    for (; c < n; c++) {
      const q = <usize>c << 2;
      store<f32>(yr + q, load<f32>(xr + q) + load<f32>(p + q));
    }
  }
}

// 1/√dk, rounded to f32 once (sqrt is exact IEEE arithmetic on every runtime).
@inline function scoreScale(dk: i32): f32 {
  return <f32>(1.0 / Math.sqrt(<f64>dk));
}

// out = softmax(q·kᵀ/√dk [causal]) · v per row and head; probs keeps the weights.
export function attentionForward(rows: i32, steps: i32, heads: i32, dk: i32, causal: i32, qkv: usize, probs: usize, out: usize): void {
  const D = heads * dk, tokenBytes = <usize>(3 * D) << 2, outBytes = <usize>D << 2, scale = scoreScale(dk);
  const stepsBytes = <usize>steps << 2;
  for (let r = 0; r < rows; r++) {
    const row = qkv + <usize>(r * steps) * tokenBytes, outRow = out + <usize>(r * steps) * outBytes;
    memory.fill(outRow, 0, <usize>steps * outBytes);
    for (let h = 0; h < heads; h++) {
      const head = <usize>(h * dk) << 2, p = probs + <usize>((r * heads + h) * steps) * stepsBytes;
      for (let i = 0; i < steps; i++) {
        const q = row + <usize>i * tokenBytes + head, pi = p + <usize>i * stepsBytes;
        const seen = causal ? i + 1 : steps;
        // Scores, their maximum, then exp(s − max) / Σ in f64.
        let m: f64 = -Infinity;
        for (let j = 0; j < seen; j++) {
          const s = dotF32(dk, q, row + <usize>j * tokenBytes + outBytes + head) * scale;
          store<f32>(pi + (<usize>j << 2), s);
          m = max(m, <f64>s);
        }
        let sum: f64 = 0;
        for (let j = 0; j < seen; j++) sum += Math.exp(<f64>load<f32>(pi + (<usize>j << 2)) - m);
        const inv = 1.0 / sum;
        for (let j = 0; j < seen; j++) {
          const o = <usize>j << 2;
          store<f32>(pi + o, <f32>(Math.exp(<f64>load<f32>(pi + o) - m) * inv));
        }
        if (seen < steps) memory.fill(pi + (<usize>seen << 2), 0, <usize>(steps - seen) << 2);
        // out_i = Σ_j p_ij · v_j, in the order j.
        const o = outRow + <usize>i * outBytes + head;
        for (let j = 0; j < seen; j++) axpyF32(dk, load<f32>(pi + (<usize>j << 2)), row + <usize>j * tokenBytes + 2 * outBytes + head, o);
      }
    }
  }
}

// The gradient of qkv (written whole) from dout (rows × steps × D), with the
// forward's qkv and probs; scratch holds `steps` floats. Per query i of a head:
//   dp_ij = dout_i · v_j,   ds_ij = p_ij (dp_ij − Σ_k p_ik dp_ik) / √dk,
//   dq_i = Σ_j ds_ij k_j,   dk_j += ds_ij q_i,   dv_j += p_ij dout_i,
// in the order i, then j.
export function attentionBackward(
  rows: i32, steps: i32, heads: i32, dk: i32, causal: i32, qkv: usize, probs: usize, dout: usize, dqkv: usize, scratch: usize,
): void {
  const D = heads * dk, tokenBytes = <usize>(3 * D) << 2, outBytes = <usize>D << 2, scale = scoreScale(dk);
  const stepsBytes = <usize>steps << 2;
  for (let r = 0; r < rows; r++) {
    const row = qkv + <usize>(r * steps) * tokenBytes, drow = dqkv + <usize>(r * steps) * tokenBytes;
    const doutRow = dout + <usize>(r * steps) * outBytes;
    memory.fill(drow, 0, <usize>steps * tokenBytes);
    for (let h = 0; h < heads; h++) {
      const head = <usize>(h * dk) << 2, p = probs + <usize>((r * heads + h) * steps) * stepsBytes;
      for (let i = 0; i < steps; i++) {
        const pi = p + <usize>i * stepsBytes, doi = doutRow + <usize>i * outBytes + head;
        const seen = causal ? i + 1 : steps;
        let s: f64 = 0;
        for (let j = 0; j < seen; j++) {
          const dp = dotF32(dk, doi, row + <usize>j * tokenBytes + 2 * outBytes + head);
          store<f32>(scratch + (<usize>j << 2), dp);
          s += <f64>load<f32>(pi + (<usize>j << 2)) * <f64>dp;
        }
        const q = row + <usize>i * tokenBytes + head, dq = drow + <usize>i * tokenBytes + head;
        for (let j = 0; j < seen; j++) {
          const o = <usize>j << 2, pij = load<f32>(pi + o);
          const ds = <f32>(<f64>pij * (<f64>load<f32>(scratch + o) - s)) * scale;
          const kj = <usize>j * tokenBytes + outBytes + head;
          axpyF32(dk, ds, row + kj, dq);
          axpyF32(dk, ds, q, drow + kj);
          axpyF32(dk, pij, doi, drow + kj + outBytes);
        }
      }
    }
  }
}
