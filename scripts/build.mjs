// npm run build: assembly/ → dist/manytask.wasm (everything; on one thread, and
// on every thread of the pool with its memory shared) and dist/infer.wasm (the
// forward kernels of manytask/infer), src/ → dist/*.js and dist/types/*.d.ts.
// docs/packaging.md says what each dist file is for and how to add one.
import { mkdir, copyFile, rm, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import asc from 'assemblyscript/asc';
import { emitDeclarations } from './declarations.mjs';
import { buildKernelVariants, checkShareable, SHAREABLE_FLAGS, VARIANT_FILES } from './wasm-variants.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

// One module for one thread and for the worker pool: on an imported memory,
// with the GEMM's scratch per instance (scripts/wasm-variants.mjs). The pool
// rewrites its memory import to a shared one when it loads it.
const { error, stderr } = await asc.main(['assembly/index.ts', '--config', 'asconfig.json', '--target', 'release', ...SHAREABLE_FLAGS]);
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

// The relaxed-SIMD GEMM (scripts/wasm-variants.mjs).
try {
  await checkShareable('manytask', 'constant');
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

// `import packed from './manytask.wasm?embed'` (the embedded entries): the module
// gzipped, as a base64 string inside the JS, for bundlers that copy no assets
// (src/entries/embedded-wasm.ts unpacks it). Gzipped, the string is 36 KB, not
// the 83 KB of the bare module. Every other .wasm import stays an import of the
// file beside the entry.
const embedWasm = {
  name: 'embed-wasm',
  setup(build) {
    build.onResolve({ filter: /\.wasm\?embed$/ }, (args) => ({ path: `${root}build/${args.path.slice(2, -'?embed'.length)}`, namespace: 'embed-wasm' }));
    build.onLoad({ filter: /.*/, namespace: 'embed-wasm' }, async (args) => ({
      contents: `export default ${JSON.stringify(gzipSync(await readFile(args.path), { level: 9 }).toString('base64'))};`,
      loader: 'js',
    }));
  },
};

// Every JavaScript entry in one build, so that code they share sits in shared
// chunks loaded once: `manytask` and `manytask/infer` imported together share
// one runtime (one init, one memory) and one set of error classes, and the CLI
// is a small file on top of the library's chunks, not a second copy. esbuild
// puts into each chunk only the modules every entry that loads it reaches, so
// manytask/infer still loads none of the training code (scripts/size.mjs checks).
// Minified, so the tarball stays small and a Worker that wrangler bundles
// without minifying is about as small as `npm run size` says. No source maps:
// their sources are not shipped.
const result = await esbuild.build({
  entryPoints: {
    // manytask: one file per export condition (package.json "exports")
    index: 'src/entries/index.ts',
    node: 'src/entries/node.ts',
    web: 'src/entries/web.ts',
    workerd: 'src/entries/workerd.ts',
    embedded: 'src/entries/embedded.ts',
    // manytask/infer
    infer: 'src/entries/infer.ts',
    'infer-node': 'src/entries/infer-node.ts',
    'infer-web': 'src/entries/infer-web.ts',
    'infer-workerd': 'src/entries/infer-workerd.ts',
    'infer-embedded': 'src/entries/infer-embedded.ts',
    // manytask/federated: the client; manytask/federated/coordinator: the Durable Object (no WASM)
    federated: 'src/entries/federated.ts',
    'federated-coordinator': 'src/entries/federated-coordinator.ts',
    // the `manytask` command (package.json "bin")
    cli: 'src/bin.ts',
    // manytask's own tests and benchmarks; not in the package (package.json "files")
    internal: 'src/internal.ts',
    // What the worker threads run (src/threads/, src/sweep/), found beside the entries at run time.
    worker: 'src/threads/worker.ts',
    'sweep-worker': 'src/sweep/worker.ts',
  },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  // Whitespace and syntax only: identifiers stay readable in stack traces and
  // in node_modules (full minification would save 15 KB of the tarball and
  // rename the error classes: docs/packaging.md).
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  // What a saved model file records as the manytask that wrote it.
  define: { PACKAGE_VERSION: JSON.stringify(JSON.parse(await readFile('package.json', 'utf8')).version) },
  chunkNames: 'chunk-[hash]',
  external: ['./manytask.wasm', './infer.wasm', 'node:*'],
  plugins: [embedWasm],
  metafile: true,
  logLevel: 'warning',
});
// Which src/ files each dist file holds (scripts/size.mjs reads it).
await writeFile('build/esbuild-meta.json', JSON.stringify(result.metafile));

// A class whose body names itself (`new Matrix(…)` in a static method) comes out
// as `var Matrix=class _Matrix{…}`: esbuild keeps the class's own binding apart
// from the module's, and the class's `name` becomes "_Matrix" — in console.log,
// in stack traces, and in an error's `name` (ManytaskError takes new.target.name).
// The inner binding gets the class's own name back: inside the body both names
// are the same class, and esbuild chose `_Matrix` as a name nothing else in the
// chunk uses.
for (const file of Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'))) {
  const code = await readFile(file, 'utf8');
  const names = new Set([...code.matchAll(/(?<![\w$.])([A-Za-z][\w]*)=class _\1(?![\w$])/g)].map((m) => m[1]));
  if (names.size === 0) continue;
  let out = code;
  for (const name of names) out = out.replace(new RegExp(`(?<![\\w$.#])_${name}(?![\\w$])`, 'g'), name);
  await writeFile(file, out);
}

const typeEntries = {
  index: 'entries/index.ts',
  infer: 'entries/infer.ts',
  federated: 'entries/federated.ts',
  'federated-coordinator': 'entries/federated-coordinator.ts',
  'wasm-module': 'wasm-module.ts',
};
if (!(await emitDeclarations({ project: 'tsconfig.json', entries: typeEntries, outDir: 'dist/types' }))) {
  console.error('build: type errors (above)');
  process.exit(1);
}
console.log('built dist/');
