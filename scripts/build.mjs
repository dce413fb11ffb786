// npm run build: assembly/ → dist/manytask.wasm (everything) and dist/infer.wasm
// (the forward kernels of manytask/infer), src/ → dist/*.js (+ .d.ts).
import { mkdir, copyFile, rm, readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import asc from 'assemblyscript/asc';
import { buildKernelVariants, VARIANT_FILES } from './wasm-variants.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

const { error, stderr } = await asc.main(['assembly/index.ts', '--config', 'asconfig.json', '--target', 'release']);
if (error) {
  console.error(stderr.toString());
  process.exit(1);
}

// The inference-only module: assembly/infer.ts with the release target's options
// (asconfig.json), as its own entry. --baseDir keeps asc from reading
// asconfig.json, whose entries would add assembly/index.ts.
const asconfig = JSON.parse(await readFile('asconfig.json', 'utf8'));
const flags = [];
for (const [key, value] of Object.entries({ ...asconfig.options, ...asconfig.targets.release })) {
  if (key === 'outFile' || key === 'textFile') continue;
  if (value === true) flags.push(`--${key}`);
  else if (Array.isArray(value)) flags.push(`--${key}`, value.join(','));
  else if (value !== false) flags.push(`--${key}`, String(value));
}
const infer = await asc.main(['infer.ts', '--baseDir', 'assembly', '--outFile', '../build/infer.wasm', '--textFile', '../build/infer.wat', ...flags]);
if (infer.error) {
  console.error(infer.stderr.toString());
  process.exit(1);
}

// The threaded kernels and the relaxed-SIMD GEMM (scripts/wasm-variants.mjs).
try {
  await buildKernelVariants(asc, flags);
} catch (err) {
  console.error(err.message);
  process.exit(1);
}

await rm('dist', { recursive: true, force: true });
await mkdir('dist', { recursive: true });
await copyFile('build/manytask.wasm', 'dist/manytask.wasm');
await copyFile('build/infer.wasm', 'dist/infer.wasm');
for (const file of VARIANT_FILES) await copyFile(`build/${file}`, `dist/${file}`);

// The ES-module entries (library and manytask/infer): one file per export
// condition, shared code in chunks, each .wasm loaded beside them at run time.
const entryBuild = {
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning',
};

await esbuild.build({
  entryPoints: {
    index: 'src/entries/index.ts',
    node: 'src/entries/node.ts',
    web: 'src/entries/web.ts',
    workerd: 'src/entries/workerd.ts',
    internal: 'src/internal.ts',
    // What the worker threads run (src/threads/, src/sweep/), found beside the entries at run time.
    worker: 'src/threads/worker.ts',
    'sweep-worker': 'src/sweep/worker.ts',
  },
  ...entryBuild,
  external: ['./manytask.wasm', 'node:*'],
  chunkNames: 'shared-[hash]',
});

// manytask/infer: its own build, so it shares no chunk (and no runtime state)
// with the full entries: it runs on infer.wasm, they on manytask.wasm.
await esbuild.build({
  entryPoints: {
    infer: 'src/entries/infer.ts',
    'infer-node': 'src/entries/infer-node.ts',
    'infer-web': 'src/entries/infer-web.ts',
    'infer-workerd': 'src/entries/infer-workerd.ts',
  },
  ...entryBuild,
  external: ['./infer.wasm', 'node:*'],
  chunkNames: 'infer-shared-[hash]',
});

// The CLI: Node only, one file.
await esbuild.build({
  entryPoints: { cli: 'src/bin.ts' },
  outdir: 'dist',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['./manytask.wasm'],
  logLevel: 'warning',
});

try {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
} catch {
  console.error('build: type errors (above)');
  process.exit(1);
}
console.log('built dist/');
