// npm run bench -- conv1d
// The causal 1-D convolution's forward pass two ways, on the same inputs, alternating,
// medians: im2col (assembly/conv1d.ts) + the blocked GEMM with the bias and ReLU in
// its epilogue — what the conv1d op runs — and a direct kernel (conv1dDirect: SIMD
// across the output channels, no im2col buffer). Shapes: a batch of windows as the
// Seattle weather example trains (32 × 14 steps), a wider layer, and one row at a
// time (inference). Ratio: direct time / im2col + GEMM time (above 1: im2col wins).
import * as mt from '../dist/node.js';
import { runtime } from '../dist/internal.js';
import { compare, table } from './harness.mjs';
import { seededValues } from '../tests/helpers/reference.js';

const CASES = [
  { label: 'training batch, first layer', rows: 32, steps: 14, cin: 11, cout: 32, kernel: 3, dilation: 1 },
  { label: 'training batch, second layer', rows: 32, steps: 14, cin: 32, cout: 32, kernel: 3, dilation: 2 },
  { label: 'wide layer', rows: 64, steps: 64, cin: 64, cout: 64, kernel: 5, dilation: 1 },
  { label: 'one window (inference)', rows: 1, steps: 14, cin: 32, cout: 32, kernel: 3, dilation: 2 },
];

export async function benchConv1d({ quick = false } = {}) {
  await mt.init({ threads: 1 });
  const { kernels: k } = runtime('bench');
  const rows = [], results = [];
  for (const c of CASES) {
    const m = (n, seed) => mt.Matrix.from(seededValues(n, seed), 1, n);
    const x = m(c.rows * c.steps * c.cin, 1), w = m(c.kernel * c.cin * c.cout, 2), b = m(c.cout, 3);
    const col = mt.Matrix.zeros(1, c.rows * c.steps * c.kernel * c.cin), y = mt.Matrix.zeros(1, c.rows * c.steps * c.cout);
    const kc = c.kernel * c.cin;
    const [gemm, direct] = compare([
      { fn: () => {
        k.conv1dIm2col(c.rows, c.steps, c.cin, c.kernel, c.dilation, x.ptr, col.ptr);
        k.gemm(0, 0, c.rows * c.steps, c.cout, kc, 1, col.ptr, kc, w.ptr, c.cout, 0, y.ptr, c.cout, b.ptr, 1);
      } },
      { fn: () => k.conv1dDirect(c.rows, c.steps, c.cin, c.cout, c.kernel, c.dilation, x.ptr, w.ptr, b.ptr, y.ptr, 1) },
    ], { reps: quick ? 3 : 9, targetMs: quick ? 20 : 80 });
    const flops = 2 * c.rows * c.steps * kc * c.cout;
    results.push({ ...c, im2colGemmUs: gemm * 1e6, directUs: direct * 1e6, ratio: direct / gemm });
    rows.push([c.label, `${c.rows}×${c.steps}×${c.cin} → ${c.cout}, k ${c.kernel}, d ${c.dilation}`,
      (gemm * 1e6).toFixed(1), (flops / gemm / 1e9).toFixed(2), (direct * 1e6).toFixed(1), (flops / direct / 1e9).toFixed(2), `${(direct / gemm).toFixed(2)}×`]);
    for (const v of [x, w, b, col, y]) v.dispose();
  }
  const text = table(['case', 'shape', 'im2col + GEMM (µs)', 'GFLOP/s', 'direct (µs)', 'GFLOP/s', 'direct / im2col'], rows);
  return { results, text };
}
