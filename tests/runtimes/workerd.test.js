// manytask in a Cloudflare Worker, run by real workerd through Miniflare.
//
// Each Worker is built the way wrangler builds one: a user's worker.js that
// imports the `manytask` package from node_modules, bundled by esbuild with the
// `workerd`/`worker`/`browser` conditions, every .wasm kept out of the bundle as
// a CompiledWasm module (wrangler's default rule: hashed name beside the bundle,
// imported as a WebAssembly.Module), `node:*` imports left external as wrangler
// does without the nodejs_compat flag (it warns about them), and the bundle plus
// its .wasm handed to workerd as an explicit module list, as `wrangler dev` does.
// Two Workers, each its own isolate:
//   auto:     `await init()`: the workerd entry supplies its own bundled module;
//   explicit: `import wasm from 'manytask/manytask.wasm'; await init(wasm)`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, writeFile, readFile, copyFile, symlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { Miniflare } from 'miniflare';
import { REPO } from './helpers/process.js';
import { nodeResults, checkResults, nodeTraining, checkTraining } from './helpers/check.js';

const CASES_MODULE = fileURLToPath(new URL('./helpers/gemm-cases.js', import.meta.url));
const TRAIN_MODULE = fileURLToPath(new URL('./helpers/train-case.js', import.meta.url));

const WORKERS = {
  auto: `
import * as mt from 'manytask';
import { runCases } from ${JSON.stringify(CASES_MODULE)};
import { runTraining } from ${JSON.stringify(TRAIN_MODULE)};

export default {
  async fetch() {
    try {
      await mt.init();
      return Response.json({ initialized: mt.isInitialized(), results: runCases(mt), training: runTraining(mt) });
    } catch (err) {
      return Response.json({ error: String(err?.stack ?? err), code: err?.code }, { status: 500 });
    }
  },
};
`,
  explicit: `
import wasm from 'manytask/manytask.wasm';
import * as mt from 'manytask';
import { runCases } from ${JSON.stringify(CASES_MODULE)};
import { runTraining } from ${JSON.stringify(TRAIN_MODULE)};

export default {
  async fetch() {
    try {
      const isModule = wasm instanceof WebAssembly.Module;
      await mt.init(wasm);
      return Response.json({ isModule, initialized: mt.isInitialized(), results: runCases(mt), training: runTraining(mt) });
    } catch (err) {
      return Response.json({ error: String(err?.stack ?? err), code: err?.code }, { status: 500 });
    }
  },
};
`,
};

/** wrangler's CompiledWasm rule: `*.wasm` / `*.wasm?module` become external modules copied beside the bundle. */
function compiledWasm(outdir, copied) {
  return {
    name: 'compiled-wasm',
    setup(build) {
      build.onResolve({ filter: /\.wasm(\?module)?$/ }, async (args) => {
        if (args.pluginData?.compiledWasm) return undefined;
        const resolved = await build.resolve(args.path.replace(/\?module$/, ''), {
          kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { compiledWasm: true },
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        const bytes = await readFile(resolved.path);
        const name = `${createHash('sha1').update(bytes).digest('hex')}-${basename(resolved.path)}`;
        await copyFile(resolved.path, join(outdir, name));
        copied.add(resolved.path);
        return { path: `./${name}`, external: true };
      });
    },
  };
}

/** wrangler without nodejs_compat: a `node:*` import stays external, with a warning at build time. */
function nodeBuiltinsExternal(found) {
  return {
    name: 'node-builtins-external',
    setup(build) {
      build.onResolve({ filter: /^node:/ }, (args) => {
        found.add(`${args.path} (${args.kind}, from ${basename(args.importer)})`);
        return { path: args.path, external: true };
      });
    },
  };
}

async function bundleWorker(tmp, name) {
  const entry = join(tmp, 'src', `${name}.js`);
  await writeFile(entry, WORKERS[name]);
  const outdir = join(tmp, `out-${name}`);
  await mkdir(outdir, { recursive: true });
  const copied = new Set();
  const nodeImports = new Set();
  const result = await esbuild.build({
    absWorkingDir: tmp,
    entryPoints: [entry],
    outfile: join(outdir, 'worker.js'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    plugins: [compiledWasm(outdir, copied), nodeBuiltinsExternal(nodeImports)],
    metafile: true,
    logLevel: 'silent',
  });
  const wasmFiles = new Set();
  for (const out of Object.values(result.metafile.outputs)) {
    for (const imp of out.imports) if (imp.external && imp.path.endsWith('.wasm')) wasmFiles.add(join(outdir, imp.path));
  }
  const modules = [
    { type: 'ESModule', path: join(outdir, 'worker.js') },
    ...[...wasmFiles].map((path) => ({ type: 'CompiledWasm', path })),
  ];
  return { outdir, modules, copied: [...copied], nodeImports: [...nodeImports], inputs: Object.keys(result.metafile.inputs) };
}

test('manytask in workerd (Miniflare): init() with the bundled module, and init(wasm)', { timeout: 120_000 }, async (t) => {
  const tmp = await mkdtemp(join(tmpdir(), 'manytask-workerd-'));
  let mf;
  let runtimeOutput = '';
  try {
    // A user project with manytask installed: node_modules/manytask is this repo.
    await mkdir(join(tmp, 'node_modules'), { recursive: true });
    await mkdir(join(tmp, 'src'), { recursive: true });
    await symlink(REPO, join(tmp, 'node_modules', 'manytask'), 'dir');

    const bundles = {};
    for (const name of Object.keys(WORKERS)) {
      const b = await bundleWorker(tmp, name);
      bundles[name] = b;
      // The `workerd` condition was taken: dist/workerd.js, not another entry.
      assert.ok(b.inputs.some((p) => p.endsWith('dist/workerd.js')), `${name}: bundle lacks dist/workerd.js; inputs: ${b.inputs.join(', ')}`);
      for (const other of ['dist/index.js', 'dist/node.js', 'dist/web.js']) {
        assert.ok(!b.inputs.some((p) => p.endsWith(other)), `${name}: bundle includes ${other}; inputs: ${b.inputs.join(', ')}`);
      }
      // Both imports of the .wasm (the entry's and the worker's own) are the one dist/manytask.wasm.
      assert.deepEqual(b.copied, [join(REPO, 'dist', 'manytask.wasm')], `${name}: CompiledWasm modules`);
      assert.equal(b.modules.length, 2, `${name}: modules ${JSON.stringify(b.modules)}`);
      // A Worker without nodejs_compat must build without wrangler's node: warnings.
      assert.deepEqual(b.nodeImports, [], `${name}: node: imports in the Worker bundle`);
    }

    mf = new Miniflare({
      port: 0,
      cf: false,
      handleRuntimeStdio(stdout, stderr) {
        stdout.setEncoding('utf8').on('data', (d) => { runtimeOutput += d; });
        stderr.setEncoding('utf8').on('data', (d) => { runtimeOutput += d; });
      },
      workers: Object.entries(bundles).map(([name, b]) => ({
        name,
        modules: b.modules,
        modulesRoot: b.outdir,
        compatibilityDate: '2025-01-01',
      })),
    });
    await mf.ready;

    const fromNode = await nodeResults();
    for (const name of Object.keys(WORKERS)) {
      const worker = await mf.getWorker(name);
      const res = await worker.fetch('http://localhost/');
      const text = await res.text();
      const context = `worker "${name}" answered HTTP ${res.status}: ${text.slice(0, 2000)}\nworkerd output:\n${runtimeOutput}`;
      assert.equal(res.status, 200, context);
      const body = JSON.parse(text);
      assert.equal(body.initialized, true, context);
      if (name === 'explicit') assert.equal(body.isModule, true, `the .wasm import is not a WebAssembly.Module\n${context}`);
      checkResults(`workerd (${name})`, body.results, fromNode);
      checkTraining(`workerd (${name})`, body.training, await nodeTraining());
      t.diagnostic(`workerd ${name}: ${body.results.length} GEMM cases match the f64 reference and Node bit for bit`);
    }
  } finally {
    try {
      await mf?.dispose(); // rethrows a startup failure, so the temp dir goes in an inner finally
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
});
