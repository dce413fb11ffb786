// npm run demo — what the kernels compute and how fast, until the multi-task demo exists.
import { init, Matrix, matmul, gemm } from '../../dist/node.js';

await init();

// A small product you can check by hand.
const x = Matrix.from([[1, 2, 3], [4, 5, 6]]);
const w = Matrix.from([[1, 0], [0, 1], [1, -1]]);
const b = Matrix.from([[0.5, -10]]);
console.log('relu(x·w + b) =', matmul(x, w, { bias: b, activation: 'relu' }).toArray());
console.log('xᵀ·x          =', matmul(x, x, { transposeA: true }).toArray());

// The shapes a training step uses, timed.
const rows = [];
for (const [M, K, N] of [[256, 256, 256], [1024, 1024, 1024], [256, 64, 256]]) {
  for (const [label, ta, tb] of [['A·B', false, false], ['A·Bᵀ', false, true], ['Aᵀ·B', true, false]]) {
    const a = Matrix.from(values(M * K), ...(ta ? [K, M] : [M, K]));
    const bm = Matrix.from(values(K * N), ...(tb ? [N, K] : [K, N]));
    const c = Matrix.zeros(M, N);
    const opts = { transposeA: ta, transposeB: tb };
    gemm(a, bm, c, opts); // warm-up
    let iters = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 200) { gemm(a, bm, c, opts); iters++; }
    const seconds = (performance.now() - t0) / 1000 / iters;
    rows.push({ product: `${label} ${M}×${K}·${K}×${N}`, 'ms per call': +(seconds * 1e3).toFixed(3), 'GFLOP/s': +((2 * M * N * K) / seconds / 1e9).toFixed(1) });
    a.dispose(); bm.dispose(); c.dispose();
  }
}
console.table(rows);
console.log('For the comparison with TF.js, run: npm run bench -- gemm');

function values(n) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(i);
  return out;
}
