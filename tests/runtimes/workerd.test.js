// manytask in a Cloudflare Worker, run by real workerd through Miniflare.
//
// Each Worker is built the way wrangler builds one (helpers/wrangler-bundle.js):
// a user's worker.js that imports the `manytask` package from node_modules,
// bundled by esbuild with the `workerd`/`worker`/`browser` conditions, every
// .wasm kept out of the bundle as a CompiledWasm module (wrangler's default
// rule: hashed name beside the bundle, imported as a WebAssembly.Module),
// `node:*` imports left external as wrangler does without the nodejs_compat
// flag (it warns about them), and the bundle plus its .wasm handed to workerd
// as an explicit module list, as `wrangler dev` does.
// Two Workers, each its own isolate:
//   auto:     `await init()`: the workerd entry supplies its own bundled module;
//   explicit: `import wasm from 'manytask/manytask.wasm'; await init(wasm)`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, symlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { REPO } from './helpers/process.js';
import { bundleWorkerProject } from './helpers/wrangler-bundle.js';
import { nodeResults, checkResults, nodeTraining, checkTraining, nodeThreadCases } from './helpers/check.js';

const CASES_MODULE = fileURLToPath(new URL('./helpers/gemm-cases.js', import.meta.url));
const TRAIN_MODULE = fileURLToPath(new URL('./helpers/train-case.js', import.meta.url));

const THREAD_CASES_MODULE = fileURLToPath(new URL('../helpers/threads-cases.js', import.meta.url));

const WORKERS = {
  // Asking for threads in a Worker gives one, silently; the pool's cases (chunked sums) give Node's bits.
  auto: `
import * as mt from 'manytask';
import { runCases } from ${JSON.stringify(CASES_MODULE)};
import { runTraining } from ${JSON.stringify(TRAIN_MODULE)};
import { runThreadCases } from ${JSON.stringify(THREAD_CASES_MODULE)};

export default {
  async fetch() {
    try {
      const warnings = [];
      const warn = console.warn;
      console.warn = (...args) => { warnings.push(args.join(' ')); warn(...args); };
      await mt.init({ threads: 4 });
      console.warn = warn;
      return Response.json({
        initialized: mt.isInitialized(), results: runCases(mt), training: runTraining(mt),
        threadInfo: mt.threadInfo(), warnings, threadCases: runThreadCases(mt),
      });
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

/** Worker `name` as its own wrangler project under tmp (which holds node_modules), built as wrangler would. */
async function bundleWorker(tmp, name) {
  const dir = join(tmp, name);
  await mkdir(join(dir, 'src'), { recursive: true });
  await writeFile(join(dir, 'src', 'worker.js'), WORKERS[name]);
  await writeFile(join(dir, 'wrangler.toml'), `name = "${name}"\nmain = "src/worker.js"\ncompatibility_date = "2025-01-01"\n`);
  return bundleWorkerProject(dir, join(tmp, `out-${name}`));
}

test('manytask in workerd (Miniflare): init() with the bundled module, and init(wasm)', { timeout: 120_000 }, async (t) => {
  const tmp = await mkdtemp(join(tmpdir(), 'manytask-workerd-'));
  let mf;
  let runtimeOutput = '';
  try {
    // A user project with manytask installed: node_modules/manytask is this repo.
    await mkdir(join(tmp, 'node_modules'), { recursive: true });
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
      assert.deepEqual(b.externals.map((e) => [e.type, e.source]), [['CompiledWasm', join(REPO, 'dist', 'manytask.wasm')]], `${name}: external modules`);
      assert.equal(b.worker.modules.length, 2, `${name}: modules ${JSON.stringify(b.worker.modules)}`);
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
      workers: Object.values(bundles).map((b) => b.worker),
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
      if (name === 'auto') {
        assert.deepEqual(body.threadInfo, { threads: 1, requested: 4, fast: false, reason: 'Cloudflare Workers run one thread' }, context);
        assert.deepEqual(body.warnings, [], 'one thread in a Worker goes without saying');
        const single = await nodeThreadCases();
        assert.deepEqual(Object.keys(single).filter((k) => body.threadCases[k] !== single[k]), [], `workerd: the pool's cases differ from Node's${'\n'}${context}`);
      }
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
