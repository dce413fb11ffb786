// The relaxed-SIMD GEMM (init({ fast: true })) beside the default one, in the
// same process, alternating: GFLOP/s of each and the ratio. Run where relaxed
// SIMD is on by default (bench/threads.mjs runs it under Deno):
//   deno run -A bench/relaxed.mjs [--quick]   → one JSON line
import * as mt from '../dist/index.js';
import { median, timeIt, calibrate } from './harness.mjs';
import { seededValues as seededF32 } from '../tests/helpers/reference-core.js';

const args = globalThis.Deno ? Deno.args : process.argv.slice(2);
const quick = args.includes('--quick');
await mt.init({ threads: 1, fast: true });
const available = mt.threadInfo().fast;
const cases = [[256, 256, 256, false], [512, 512, 512, false], [1024, 64, 256, false], [64, 1024, 256, true]];
const out = { available, runtime: globalThis.Deno ? `deno ${Deno.version.deno}` : `node ${process.version}`, cases: [] };
if (available) {
  for (const [M, K, N, ta] of quick ? cases.slice(0, 2) : cases) {
    const a = ta ? mt.Matrix.from(seededF32(K * M, 1), K, M) : mt.Matrix.from(seededF32(M * K, 1), M, K);
    const b = mt.Matrix.from(seededF32(K * N, 2), K, N), c = mt.Matrix.zeros(M, N);
    const fn = () => mt.gemm(a, b, c, { transposeA: ta });
    const iters = calibrate(fn, quick ? 15 : 60);
    const samples = { exact: [], fast: [] };
    for (let r = 0; r < (quick ? 3 : 7); r++) {
      for (const fast of r % 2 ? [true, false] : [false, true]) {
        await mt.init({ threads: 1, fast });
        fn();
        samples[fast ? 'fast' : 'exact'].push(timeIt(fn, iters));
      }
    }
    const flops = 2 * M * N * K;
    out.cases.push({ label: `${ta ? 'Aᵀ·B ' : ''}${M}×${K}·${K}×${N}`, exact: flops / median(samples.exact) / 1e9, fast: flops / median(samples.fast) / 1e9 });
    for (const m of [a, b, c]) m.dispose();
  }
}
console.log(JSON.stringify(out));
