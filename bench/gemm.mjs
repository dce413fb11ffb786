// npm run bench -- gemm
// GFLOP/s of manytask's GEMM beside TF.js-wasm tf.matMul with the same transposes,
// in the same process, alternating, median of 7.
import { init, Matrix, gemm } from '../dist/node.js';
import { loadTfWasm, withTfCpu } from './tfjs.mjs';
import { compare, table } from './harness.mjs';
import { seededValues } from '../tests/helpers/reference.js';

export async function benchGemm({ quick = false } = {}) {
  await init({ threads: 1 }); // one thread, beside one-thread peers (bench/threads.mjs times the pool)
  const tf = await loadTfWasm();
  // [label, M, K, N, transposeA, transposeB]: op(A) is M×K, op(B) is K×N.
  const cases = [];
  for (const n of quick ? [64, 256] : [64, 128, 256, 512, 1024]) cases.push([`${n}³ A·B`, n, n, n, false, false]);
  for (const [M, K, N] of [[32, 64, 256], [256, 256, 128], [1024, 128, 5]]) {
    cases.push([`${M}×${K}×${N} X·W`, M, K, N, false, false]);
    cases.push([`  dX = dY·Wᵀ`, M, N, K, false, true]);
    cases.push([`  dW = Xᵀ·dY`, K, M, N, true, false]);
  }
  if (!quick) {
    cases.push(['512³ A·Bᵀ', 512, 512, 512, false, true]);
    cases.push(['512³ Aᵀ·B', 512, 512, 512, true, false]);
  }
  const rows = [];
  const results = [];
  for (const [label, M, K, N, ta, tb] of cases) {
    const A = seededValues(M * K, 1), B = seededValues(K * N, 2);
    const shapeA = ta ? [K, M] : [M, K], shapeB = tb ? [N, K] : [K, N];
    const a = Matrix.from(A, ...shapeA), b = Matrix.from(B, ...shapeB), c = Matrix.zeros(M, N);
    const ta_ = tf.tensor2d(A, shapeA), tb_ = tf.tensor2d(B, shapeB);
    const opts = { transposeA: ta, transposeB: tb };
    const [mt, tfj] = compare([
      { fn: () => gemm(a, b, c, opts) },
      { fn: () => tf.matMul(ta_, tb_, ta, tb).dispose() },
    ], { reps: quick ? 3 : 7, targetMs: quick ? 15 : 60 });
    const flops = 2 * M * N * K;
    const gm = flops / mt / 1e9, gt = flops / tfj / 1e9;
    ta_.dispose(); tb_.dispose();
    // The CPU backend (pure JS) in its own pass, beside manytask again; skipped where it would take minutes.
    let cpu = NaN;
    if (flops <= 2 * 512 ** 3) {
      const [mt2, tcpu] = await withTfCpu(tf, () => {
        const xa = tf.tensor2d(A, shapeA), xb = tf.tensor2d(B, shapeB);
        try {
          return compare([{ fn: () => gemm(a, b, c, opts) }, { fn: () => tf.matMul(xa, xb, ta, tb).dispose() }], { reps: quick ? 3 : 5, targetMs: quick ? 15 : 40 });
        } finally { xa.dispose(); xb.dispose(); }
      });
      cpu = tcpu / mt2;
    }
    results.push({ label: label.trim(), M, K, N, transposeA: ta, transposeB: tb, manytaskGflops: gm, tfjsGflops: gt, ratio: tfj / mt, cpuRatio: cpu });
    rows.push([label, `${M}×${K}·${K}×${N}`, gm.toFixed(1), gt.toFixed(1), `${(tfj / mt).toFixed(2)}×`, Number.isNaN(cpu) ? '—' : `${cpu.toFixed(0)}×`]);
    a.dispose(); b.dispose(); c.dispose();
  }
  console.log('\nGEMM, f32, one thread — GFLOP/s (median of alternating repetitions)\n');
  const text = table(['case', 'op(A)·op(B)', 'manytask', 'TF.js-wasm', 'ratio', 'vs TF.js-cpu'], rows);
  return { results, text };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchGemm({ quick: process.argv.includes('--quick') });
}
