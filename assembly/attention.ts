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
// keys j ≤ i only (weights 0 beyond). Per row and head, the scores and the weighted
// sum of the values are two calls of the blocked SIMD GEMM (gemm.ts; the keys copied
// transposed first, so that the inference module's GEMM, which takes no transposed
// operand, serves it: attentionForwardLean), the softmax between them in f64
// through the row's maximum, one exp per weight. The backward pass is four GEMMs per row and head. A direct
// kernel (attentionForwardDirect: SIMD dot products and weighted sums, no GEMM)
// computes the same and is kept beside it for the measurement (`npm run bench --
// attention`): the GEMM's tiles win even at 14 steps.
//
// Contracts: pointers cover what the counts say; outputs do not overlap inputs.
// Sums run in a fixed order, so results are deterministic on every runtime.

import { gemm, gemmForward } from "./gemm";
import { ACT_IDENTITY } from "./act";
import { add, axpy, dot } from "./vec";

// y[r, :] = x[r, :] + p[:] for rows × n floats (p: n floats). With rows = 1 it is
// the element-wise sum of two arrays (the residual connections). y may alias x.
export function addBroadcast(rows: i32, n: i32, x: usize, p: usize, y: usize): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * <usize>n << 2;
    add(n, x + o, p, y + o);
  }
}

// 1/√dk, rounded to f32 once (sqrt is exact IEEE arithmetic on every runtime).
@inline function scoreScale(dk: i32): f32 {
  return <f32>(1.0 / Math.sqrt(<f64>dk));
}

// Softmax over the first `seen` of the n floats at p, in place, in f64 through their
// maximum (one exp each, rounded to f32, then scaled by 1/Σ); the rest set to 0.
@inline function softmaxPrefix(n: i32, seen: i32, p: usize): void {
  let m: f64 = -Infinity;
  for (let j = 0; j < seen; j++) m = max(m, <f64>load<f32>(p + (<usize>j << 2)));
  let sum: f64 = 0;
  for (let j = 0; j < seen; j++) {
    const o = <usize>j << 2, e = Math.exp(<f64>load<f32>(p + o) - m);
    store<f32>(p + o, <f32>e);
    sum += e;
  }
  const inv = 1.0 / sum;
  for (let j = 0; j < seen; j++) {
    const o = <usize>j << 2;
    store<f32>(p + o, <f32>(<f64>load<f32>(p + o) * inv));
  }
  if (seen < n) memory.fill(p + (<usize>seen << 2), 0, <usize>(n - seen) << 2);
}

// out = softmax(q·kᵀ/√dk [causal]) · v per row and head. With keep ≠ 0, probs keeps
// every row's weights (rows × heads × steps × steps floats, for the backward);
// with keep = 0 (predicting) it holds one head's steps × steps, reused, so that
// long windows do not cost rows × steps² floats. scratch holds dk × steps floats
// (a head's keys, transposed). The full module's
// GEMM, with the row kernel for fewer than 4 steps (the same bits as the tiles).
export function attentionForward(
  rows: i32, steps: i32, heads: i32, dk: i32, causal: i32, keep: i32, qkv: usize, probs: usize, out: usize, scratch: usize,
): void {
  attentionForwardWith(false, rows, steps, heads, dk, causal, keep, qkv, probs, out, scratch);
}

// attentionForward on gemmForward: what infer.wasm exports as attentionForward (its
// only GEMM; calling the full module's from there would bring its transposed paths in).
export function attentionForwardLean(
  rows: i32, steps: i32, heads: i32, dk: i32, causal: i32, keep: i32, qkv: usize, probs: usize, out: usize, scratch: usize,
): void {
  attentionForwardWith(true, rows, steps, heads, dk, causal, keep, qkv, probs, out, scratch);
}

@inline function attentionForwardWith(
  lean: bool, rows: i32, steps: i32, heads: i32, dk: i32, causal: i32, keep: i32, qkv: usize, probs: usize, out: usize, scratch: usize,
): void {
  const D = heads * dk, ld = 3 * D, scale = scoreScale(dk), tokenBytes = <usize>ld << 2;
  for (let r = 0; r < rows; r++) {
    const row = qkv + <usize>(r * steps) * tokenBytes, outRow = out + (<usize>(r * steps * D) << 2);
    for (let h = 0; h < heads; h++) {
      const q = row + (<usize>(h * dk) << 2), p = keep ? probs + (<usize>((r * heads + h) * steps * steps) << 2) : probs;
      const keys = q + (<usize>D << 2);
      for (let j = 0; j < steps; j++) {
        for (let c = 0; c < dk; c++) store<f32>(scratch + (<usize>(c * steps + j) << 2), load<f32>(keys + <usize>j * tokenBytes + (<usize>c << 2)));
      }
      if (lean) gemmForward(steps, steps, dk, scale, q, ld, scratch, steps, 0, p, steps, 0, ACT_IDENTITY);
      else gemm(0, 0, steps, steps, dk, scale, q, ld, scratch, steps, 0, p, steps, 0, ACT_IDENTITY);
      for (let i = 0; i < steps; i++) softmaxPrefix(steps, causal ? i + 1 : steps, p + (<usize>(i * steps) << 2));
      const v = q + (<usize>(2 * D) << 2), o = outRow + (<usize>(h * dk) << 2);
      if (lean) gemmForward(steps, dk, steps, 1, p, steps, v, ld, 0, o, D, 0, ACT_IDENTITY);
      else gemm(0, 0, steps, dk, steps, 1, p, steps, v, ld, 0, o, D, 0, ACT_IDENTITY);
    }
  }
}

// attentionForward without the GEMM: SIMD dot products for the scores and SIMD
// weighted sums of the values (the measured alternative; see the header).
export function attentionForwardDirect(rows: i32, steps: i32, heads: i32, dk: i32, causal: i32, qkv: usize, probs: usize, out: usize): void {
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
          const s = dot(dk, q, row + <usize>j * tokenBytes + outBytes + head) * scale;
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
        for (let j = 0; j < seen; j++) axpy(dk, load<f32>(pi + (<usize>j << 2)), row + <usize>j * tokenBytes + 2 * outBytes + head, o);
      }
    }
  }
}

// The gradient of qkv (written whole) from dout (rows × steps × D), with the
// forward's qkv and probs; scratch holds steps × steps floats. Per row and head:
//   dP = dO·Vᵀ,   dS = P ⊙ (dP − rowsum(P ⊙ dP)) / √dk,
//   dQ = dS·K,    dK = dSᵀ·Q,    dV = Pᵀ·dO.
export function attentionBackward(
  rows: i32, steps: i32, heads: i32, dk: i32, causal: i32, qkv: usize, probs: usize, dout: usize, dqkv: usize, scratch: usize,
): void {
  const D = heads * dk, ld = 3 * D, scale = scoreScale(dk), tokenBytes = <usize>ld << 2, stepsBytes = <usize>steps << 2;
  for (let r = 0; r < rows; r++) {
    const row = qkv + <usize>(r * steps) * tokenBytes, drow = dqkv + <usize>(r * steps) * tokenBytes;
    const doutRow = dout + (<usize>(r * steps * D) << 2);
    for (let h = 0; h < heads; h++) {
      const head = <usize>(h * dk) << 2, p = probs + <usize>((r * heads + h) * steps) * stepsBytes;
      const q = row + head, k = q + (<usize>D << 2), v = q + (<usize>(2 * D) << 2), dO = doutRow + head;
      gemm(0, 1, steps, steps, dk, 1, dO, D, v, ld, 0, scratch, steps, 0, ACT_IDENTITY);
      for (let i = 0; i < steps; i++) {
        const pi = p + <usize>i * stepsBytes, di = scratch + <usize>i * stepsBytes, seen = causal ? i + 1 : steps;
        let s: f64 = 0;
        for (let j = 0; j < seen; j++) s += <f64>load<f32>(pi + (<usize>j << 2)) * <f64>load<f32>(di + (<usize>j << 2));
        for (let j = 0; j < seen; j++) {
          const o = <usize>j << 2;
          store<f32>(di + o, <f32>(<f64>load<f32>(pi + o) * (<f64>load<f32>(di + o) - s)) * scale);
        }
        if (seen < steps) memory.fill(di + (<usize>seen << 2), 0, <usize>(steps - seen) << 2);
      }
      gemm(0, 0, steps, dk, steps, 1, scratch, steps, k, ld, 0, drow + head, ld, 0, ACT_IDENTITY);
      gemm(1, 0, steps, dk, steps, 1, scratch, steps, q, ld, 0, drow + head + (<usize>D << 2), ld, 0, ACT_IDENTITY);
      gemm(1, 0, steps, dk, steps, 1, p, steps, dO, D, 0, drow + head + (<usize>(2 * D) << 2), ld, 0, ACT_IDENTITY);
    }
  }
}
