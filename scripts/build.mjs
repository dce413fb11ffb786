// npm run build: assembly/ → dist/manytask.wasm, src/ → dist/*.js (+ .d.ts).
import { mkdir, copyFile, rm } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import asc from 'assemblyscript/asc';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

const { error, stderr } = await asc.main(['assembly/index.ts', '--config', 'asconfig.json', '--target', 'release']);
if (error) {
  console.error(stderr.toString());
  process.exit(1);
}

await rm('dist', { recursive: true, force: true });
await mkdir('dist', { recursive: true });
await copyFile('build/manytask.wasm', 'dist/manytask.wasm');

await esbuild.build({
  entryPoints: {
    index: 'src/entries/index.ts',
    node: 'src/entries/node.ts',
    web: 'src/entries/web.ts',
    workerd: 'src/entries/workerd.ts',
    internal: 'src/internal.ts',
  },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  external: ['./manytask.wasm', 'node:*'],
  chunkNames: 'shared-[hash]',
  sourcemap: true,
  logLevel: 'warning',
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
