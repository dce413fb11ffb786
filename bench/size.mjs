// npm run bench -- size: the inference bundle (minified JS + .wasm, gzip) beside
// TF.js core + layers + the WASM backend bundled the same way.
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { measure, BUDGET } from '../scripts/size.mjs';
import { table } from './harness.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

async function tfjsSize() {
  const result = await esbuild.build({
    absWorkingDir: root, bundle: true, minify: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent',
    stdin: {
      contents: "import * as tf from '@tensorflow/tfjs-core'; import * as tfl from '@tensorflow/tfjs-layers'; import '@tensorflow/tfjs-backend-wasm'; export { tf, tfl };",
      resolveDir: root,
    },
    external: ['fs', 'path', 'os', 'worker_threads', 'perf_hooks', 'crypto', 'util'],
  });
  const js = gzipSync(result.outputFiles[0].contents, { level: 9 }).length;
  const wasm = gzipSync(await readFile(new URL('../node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm', import.meta.url)), { level: 9 }).length;
  return { js, wasm, total: js + wasm };
}

export async function benchSize() {
  const ours = (await measure()).filter((r) => r.infer);
  const tf = await tfjsSize();
  const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
  const inferWorkerd = ours.find((r) => /workerd/.test(r.name)) ?? ours[0];
  const rows = [
    ...ours.map((r) => [r.name, kb(r.jsGzip), kb(r.wasmGzip), kb(r.total)]),
    ['TF.js core + layers + wasm backend (SIMD .wasm)', kb(tf.js), kb(tf.wasm), kb(tf.total)],
  ];
  console.log(`\nInference bundle, minified, gzip -9 (KB = 1000 bytes; budget for manytask/infer: ${kb(BUDGET)})\n`);
  const text = table(['bundle', 'JS', '.wasm', 'total'], rows);
  return { results: { manytaskInfer: inferWorkerd.total, tfjs: tf.total, ratio: tf.total / inferWorkerd.total }, text };
}
