// npm run bench -- attention
// Self-attention's forward pass two ways, on the same inputs, alternating, medians:
// what the attention op runs (attentionForward, assembly/attention.ts: per row and
// head, the blocked GEMM for the scores Q·Kᵀ/√dk and for A·V, the softmax between)
// and the direct kernel beside it (attentionForwardDirect: SIMD dot products and
// weighted sums over each head's columns, no GEMM). Not causal. Shapes: a training
// batch of the Seattle weather's windows (32 × 14 steps, two heads of 12), one
// window (inference), and longer windows. Ratio: direct time / GEMM time (above 1:
// the GEMM wins).
import * as mt from '../dist/node.js';
import { runtime } from '../dist/internal.js';
import { compare, table } from './harness.mjs';
import { seededValues } from '../tests/helpers/reference.js';

const CASES = [
  { label: 'training batch (Seattle)', rows: 32, steps: 14, heads: 2, dk: 12 },
  { label: 'one window (inference)', rows: 1, steps: 14, heads: 2, dk: 12 },
  { label: 'longer windows', rows: 8, steps: 64, heads: 4, dk: 16 },
  { label: 'long windows, wide heads', rows: 2, steps: 256, heads: 2, dk: 64 },
];

export async function benchAttention({ quick = false } = {}) {
  await mt.init({ threads: 1 });
  const { kernels: k } = runtime('bench');
  const rows = [], results = [];
  for (const c of CASES) {
    const D = c.heads * c.dk, L = c.steps;
    const m = (n, seed) => mt.Matrix.from(seededValues(n, seed), 1, n);
    const qkv = m(c.rows * L * 3 * D, 1), probs = mt.Matrix.zeros(1, c.rows * c.heads * L * L), out = mt.Matrix.zeros(1, c.rows * L * D);
    const scratch = mt.Matrix.zeros(1, L * Math.max(L, c.dk));
    const [gemm, direct] = compare([
      { fn: () => k.attentionForward(c.rows, L, c.heads, c.dk, 0, 1, qkv.ptr, probs.ptr, out.ptr, scratch.ptr) },
      { fn: () => k.attentionForwardDirect(c.rows, L, c.heads, c.dk, 0, qkv.ptr, probs.ptr, out.ptr) },
    ], { reps: quick ? 3 : 9, targetMs: quick ? 20 : 80 });
    const flops = 4 * c.rows * c.heads * L * L * c.dk;
    results.push({ ...c, gemmUs: gemm * 1e6, directUs: direct * 1e6, ratio: direct / gemm });
    rows.push([c.label, `${c.rows}×${L} steps, ${c.heads} heads of ${c.dk}`,
      (gemm * 1e6).toFixed(1), (flops / gemm / 1e9).toFixed(2), (direct * 1e6).toFixed(1), (flops / direct / 1e9).toFixed(2), `${(direct / gemm).toFixed(2)}×`]);
    for (const v of [qkv, probs, out, scratch]) v.dispose();
  }
  const text = table(['case', 'shape', 'GEMM (µs)', 'GFLOP/s', 'direct (µs)', 'GFLOP/s', 'direct / GEMM'], rows);
  return { results, text };
}
