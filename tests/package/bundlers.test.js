// The packed tarball through the bundlers users build web pages with, each
// page run in Chromium: esbuild and `bun build` with manytask/embedded (no
// asset handling at all), esbuild with the .wasm as a file asset (the README's
// recipe), Vite with init() and no argument, on the page and in a module
// Worker (`worker: { format: 'es' }`). Every page trains, saves and predicts
// (fixtures/smoke.mjs) with manytask and manytask/infer sharing one runtime.
// And the default entries, bundled by esbuild for the neutral platform, run.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { consumerProject, mustRun, BIN } from './helpers/project.js';
import { serveStatic, pageResult } from './helpers/static-server.js';
import { ensureChromium, launchChromium } from '../runtimes/helpers/chromium.js';

const page = (script) => `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="${script}"></script>\n`;
const app = (from, infer) => `import * as mt from '${from}';
import * as infer from '${infer}';
import { smoke } from './smoke.mjs';
try {
  window.__result = await smoke(mt, infer);
} catch (err) {
  window.__result = { error: String(err?.stack ?? err), code: err?.code };
}
`;

let project, server, browser, fromNode;

/** The page's smoke result, checked; returns the requests the page made. */
async function checkPage(what, path) {
  const before = server.requests.length;
  const { result, problems } = await pageResult(browser, `${server.url}${path}`);
  const requests = server.requests.slice(before);
  const context = `${what}: ${JSON.stringify(result)}\nproblems: ${problems.join('\n')}\nrequests: ${JSON.stringify(requests)}`;
  assert.equal(result.error, undefined, context);
  assert.deepEqual(problems, [], context);
  assert.equal(result.sharedRuntime, true, context);
  assert.equal(result.sharedErrors, true, context);
  assert.deepEqual(result.either, [0, 1, 1, 1], context);
  assert.equal(result.inferBits, result.bits, context);
  assert.equal(result.bits, fromNode.bits, `${what}: predictions differ from Node's in their bits\n${context}`);
  assert.ok(requests.every((r) => r.status === 200), context);
  return requests.map((r) => r.path);
}

describe('the packed tarball in bundled web pages (Chromium)', () => {
  before(async (t) => {
    await ensureChromium(t);
    const smoke = await readFile(new URL('./fixtures/smoke.mjs', import.meta.url), 'utf8');
    project = await consumerProject({
      files: {
        'smoke.mjs': smoke,
        'embedded.js': app('manytask/embedded', 'manytask/infer/embedded'),
        // The README's esbuild recipe: the .wasm imported as a file, its URL passed to init().
        'asset.js': `import wasmUrl from 'manytask/manytask.wasm';\n${app('manytask', 'manytask/infer').replace('try {\n', 'try {\n  await mt.init(wasmUrl);\n')}`,
        'esbuild-embedded/index.html': page('./embedded.js'),
        'esbuild-asset/index.html': page('./asset.js'),
        'bun/index.html': page('./embedded.js'),
        'vite/index.html': page('./main.js'),
        'vite/main.js': `${app('manytask', 'manytask/infer')}
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
window.__worker = await new Promise((resolve) => { worker.onmessage = (e) => resolve(e.data); worker.onerror = (e) => resolve({ error: e.message }); });
`,
        'vite/worker.js': `import * as mt from 'manytask';
import * as infer from 'manytask/infer';
import { smoke } from '../smoke.mjs';
await mt.init(); // top-level await in a module Worker: vite.config.js sets worker.format to 'es'
postMessage(await smoke(mt, infer).catch((err) => ({ error: String(err?.stack ?? err) })));
`,
        'vite/vite.config.js': `export default { base: './', logLevel: 'warn', worker: { format: 'es' }, build: { outDir: 'dist', target: 'es2022' } };\n`,
        'vite/smoke.mjs': smoke,
        'neutral.mjs': `import * as mt from 'manytask';\nimport * as infer from 'manytask/infer';\nimport { smoke } from './smoke.mjs';\nconsole.log(JSON.stringify(await smoke(mt, infer)));\n`,
      },
    });
    fromNode = JSON.parse((await mustRun('node smoke', process.execPath, ['--input-type=module', '-e',
      "import * as mt from 'manytask'; import * as infer from 'manytask/infer'; import { smoke } from './smoke.mjs'; console.log(JSON.stringify(await smoke(mt, infer)));"], { cwd: project.dir })).stdout);
    const esbuild = join(BIN, 'esbuild');
    const dir = project.dir;
    await Promise.all([
      mustRun('esbuild (embedded)', esbuild, ['embedded.js', '--bundle', '--format=esm', '--platform=browser', '--outdir=esbuild-embedded', '--log-level=warning'], { cwd: dir }),
      mustRun('esbuild (the .wasm as a file)', esbuild, ['asset.js', '--bundle', '--format=esm', '--platform=browser', '--outdir=esbuild-asset',
        '--loader:.wasm=file', '--public-path=/esbuild-asset/', '--log-level=warning'], { cwd: dir }),
      mustRun('bun build (embedded)', join(BIN, 'bun'), ['build', 'embedded.js', '--target=browser', '--outdir=bun'], { cwd: dir }),
    ]);
    await mustRun('vite build', join(BIN, 'vite'), ['build'], { cwd: join(dir, 'vite'), timeoutMs: 180_000 });
    server = await serveStatic(dir);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await project?.cleanup();
  });

  test('esbuild, manytask/embedded: nothing to copy, no .wasm fetched', async () => {
    const paths = await checkPage('esbuild embedded', '/esbuild-embedded/');
    assert.deepEqual(paths.filter((p) => p.endsWith('.wasm')), []);
  });

  test('bun build --target=browser, manytask/embedded: nothing to copy, no .wasm fetched', async () => {
    const paths = await checkPage('bun build embedded', '/bun/');
    assert.deepEqual(paths.filter((p) => p.endsWith('.wasm')), []);
  });

  test('esbuild --loader:.wasm=file --public-path: init(url) fetches the emitted manytask.wasm', async () => {
    const emitted = (await readdir(join(project.dir, 'esbuild-asset'))).filter((f) => f.endsWith('.wasm'));
    assert.equal(emitted.length, 1, `esbuild emitted ${emitted}`);
    const paths = await checkPage('esbuild asset', '/esbuild-asset/');
    assert.deepEqual(paths.filter((p) => p.endsWith('.wasm')), [`/esbuild-asset/${emitted[0]}`]);
  });

  test('Vite build: init() finds the .wasm Vite emitted, on the page and in a module Worker', async () => {
    const paths = await checkPage('vite build', '/vite/dist/');
    assert.ok(paths.some((p) => /^\/vite\/dist\/assets\/manytask-[\w-]+\.wasm$/.test(p)), `no manytask.wasm asset fetched: ${paths}`);
    const page = await browser.newPage();
    try {
      await page.goto(`${server.url}/vite/dist/`);
      await page.waitForFunction(() => window.__worker !== undefined, null, { timeout: 60_000 });
      const worker = await page.evaluate(() => window.__worker);
      assert.equal(worker.error, undefined, JSON.stringify(worker));
      assert.deepEqual(worker.either, [0, 1, 1, 1]);
      assert.equal(worker.bits, fromNode.bits, 'the Worker predicts other bits than Node');
    } finally {
      await page.close();
    }
  });

  test('esbuild --platform=neutral takes the default entries (no node: import), and the bundle runs', async () => {
    const r = await mustRun('esbuild --platform=neutral', join(BIN, 'esbuild'), ['neutral.mjs', '--bundle', '--format=esm', '--platform=neutral',
      '--main-fields=module,main', '--outfile=neutral/out.mjs', '--log-level=warning'], { cwd: project.dir });
    assert.equal(r.stderr, '');
    const out = await readFile(join(project.dir, 'neutral', 'out.mjs'), 'utf8');
    assert.doesNotMatch(out, /["']node:/, 'the neutral bundle imports a node: module');
    // The default entries look for their .wasm beside themselves: here, beside the bundle.
    for (const f of ['manytask.wasm', 'infer.wasm']) await copyFile(join(project.dir, 'node_modules', 'manytask', 'dist', f), join(project.dir, 'neutral', f));
    const run = await mustRun('node neutral/out.mjs', process.execPath, ['neutral/out.mjs'], { cwd: project.dir });
    assert.equal(JSON.parse(run.stdout).bits, fromNode.bits);
  });
});
