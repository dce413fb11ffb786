// Every code block of README.md runs as written (issue 17 item 8), each where
// its mark says (helpers/snippets.js): in Node or bash in a fresh project with
// the packed tarball installed, as a Cloudflare Worker in workerd, or as a
// module Web Worker in Chromium; and every js/ts block type-checks under
// strict TypeScript. A block that cannot run alone is marked a fragment, with
// its reason, and listed in this test's output.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { consumerProject, writeFiles, mustRun, REPO } from './helpers/project.js';
import { extractSnippets, GIVEN } from './helpers/snippets.js';
import { withWorkers } from './helpers/workerd.js';
import { serveStatic } from './helpers/static-server.js';
import { ensureChromium, launchChromium } from '../runtimes/helpers/chromium.js';
import { run, describeRun } from '../runtimes/helpers/process.js';

const README = await readFile(join(REPO, 'README.md'), 'utf8');
const SNIPPETS = extractSnippets(README);
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const PENGUIN = { bill_length_mm: 46.5, bill_depth_mm: 15.2, flipper_length_mm: 219, island: 'Biscoe' };
const name = (s) => `README.md:${s.line}`;

let project;

/** A JSON value in which some object has only the keys "0", "1", …: a typed array JSON.stringify wrote as an object. */
function typedArrayAsObject(value, path = '') {
  if (Array.isArray(value)) return value.map((v, i) => typedArrayAsObject(v, `${path}[${i}]`)).find(Boolean) ?? null;
  if (value === null || typeof value !== 'object') return null;
  const keys = Object.keys(value);
  if (keys.length > 0 && keys.every((k, i) => k === String(i))) return path;
  return keys.map((k) => typedArrayAsObject(value[k], `${path}.${k}`)).find(Boolean) ?? null;
}

async function jsModule(snippet) {
  if (snippet.lang === 'js') return snippet.code;
  return (await esbuild.transform(snippet.code, { loader: 'ts', format: 'esm', target: 'es2022' })).code;
}

const RUNNERS = {
  async node(snippet) {
    const file = `snippets/${snippet.line}.mjs`;
    const given = snippet.given.length > 0 ? `import { ${snippet.given.join(', ')} } from '../readme-given.mjs';\n` : '';
    await writeFiles(project.dir, { [file]: given + await jsModule(snippet) });
    await mustRun(`node ${file}`, process.execPath, [file], { cwd: project.dir, timeoutMs: 300_000 });
  },

  async sh(snippet) {
    const r = await run('bash', ['-euo', 'pipefail', '-c', snippet.code], { cwd: project.dir, timeoutMs: 300_000 });
    assert.equal(r.code, 0, describeRun(`${name(snippet)} in bash`, r));
  },

  async worker(snippet) {
    const dir = join(project.dir, `worker-${snippet.line}`);
    const main = `worker.${snippet.lang}`;
    await writeFiles(dir, {
      [main]: snippet.code,
      'wrangler.toml': `name = "readme-${snippet.line}"\nmain = "${main}"\ncompatibility_date = "2025-01-01"\nrules = [\n  { type = "Data", globs = ["**/*.mtsk"], fallthrough = true },\n]\n`,
    });
    await copyFile(join(REPO, 'examples', 'worker', 'model.mtsk'), join(dir, 'model.mtsk'));
    await withWorkers({ readme: dir }, dir, async ({ fetch }) => {
      const r = await fetch('readme', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows: [PENGUIN] }) });
      assert.equal(r.status, 200, r.context);
      const body = JSON.parse(r.text);
      assert.equal(typedArrayAsObject(body), null, `a typed array was written as an object at ${typedArrayAsObject(body)}\n${r.context}`);
      assert.ok(JSON.stringify(body).includes('"Gentoo"'), r.context);
    });
  },

  async 'browser-worker'(snippet) {
    const dir = join(project.dir, `browser-${snippet.line}`);
    await writeFiles(dir, {
      'worker-source.js': await jsModule(snippet),
      'index.html': `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module">
const messages = [];
const worker = new Worker('./worker.js', { type: 'module' });
worker.onerror = (e) => { window.__result = { error: e.message, messages }; };
worker.onmessage = ({ data }) => { messages.push(data); if (data.done) window.__result = { messages }; };
const csv = await (await fetch('/examples/data/penguins.csv')).text();
worker.postMessage({ csv, features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
  targets: { species: 'multiclass', sex: 'binary' }, row: ${JSON.stringify(PENGUIN)} });
</script>\n`,
    });
    // Bundled for the browser as a user's bundler would; the `browser` build fetches manytask.wasm beside the bundle.
    await esbuild.build({ absWorkingDir: project.dir, entryPoints: [join(dir, 'worker-source.js')], outfile: join(dir, 'worker.js'), bundle: true, format: 'esm', platform: 'browser', logLevel: 'silent' });
    await copyFile(join(project.dir, 'node_modules', 'manytask', 'dist', 'manytask.wasm'), join(dir, 'manytask.wasm'));
    const t = { diagnostic() {} };
    await ensureChromium(t);
    const server = await serveStatic(project.dir);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const problems = [];
      page.on('pageerror', (err) => problems.push(String(err)));
      await page.goto(`${server.url}/browser-${snippet.line}/`);
      await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 120_000 });
      const result = await page.evaluate(() => window.__result);
      const context = `${JSON.stringify(result).slice(0, 2000)}\nproblems: ${problems.join('\n')}\nrequests: ${JSON.stringify(server.requests)}`;
      assert.equal(result.error, undefined, context);
      assert.deepEqual(problems, [], context);
      assert.ok(result.messages.filter((m) => typeof m.epoch === 'number').length > 0, `no epoch reported\n${context}`);
      const done = result.messages.at(-1);
      assert.match(JSON.stringify(done.prediction.species.classes), /Adelie|Chinstrap|Gentoo/, context);
    } finally {
      await browser.close();
      await server.close();
    }
  },
};

describe('README.md: every code block runs as written', () => {
  before(async () => {
    const files = { 'readme-given.mjs': await readFile(new URL('./fixtures/readme-given.mjs', import.meta.url), 'utf8') };
    for (const f of await readdir(join(REPO, 'examples', 'data'))) files[`examples/data/${f}`] = await readFile(join(REPO, 'examples', 'data', f), 'utf8');
    project = await consumerProject({ files, link: ['@types/node'] });
    await mkdir(join(project.dir, 'snippets'), { recursive: true });
  });
  after(() => project?.cleanup());

  test('every block is a js, ts or sh block with a known mark; the fragments and their reasons', (t) => {
    assert.ok(SNIPPETS.length >= 8, `README.md has ${SNIPPETS.length} code blocks to run`);
    for (const s of SNIPPETS.filter((x) => x.harness === 'fragment')) t.diagnostic(`${name(s)} is a fragment: ${s.reason}`);
    for (const harness of ['node', 'sh', 'worker', 'browser-worker']) assert.ok(SNIPPETS.some((s) => s.harness === harness), `no ${harness} block: is the runner still reading the README's marks?`);
  });

  for (const snippet of SNIPPETS.filter((s) => s.harness !== 'fragment')) {
    test(`${name(snippet)} (${snippet.lang}, ${snippet.harness}${snippet.given.length ? `, given ${snippet.given.join(' ')}` : ''})`, { timeout: 600_000 }, () => RUNNERS[snippet.harness](snippet));
  }

  test('every js and ts block type-checks under strict TypeScript (exactOptionalPropertyTypes, noUncheckedIndexedAccess)', async () => {
    const blocks = SNIPPETS.filter((s) => s.lang !== 'sh' && s.harness !== 'fragment');
    const files = {
      // What a Worker project declares for its Data modules, and the names `given` marks define.
      'typecheck/globals.d.ts': "declare module '*.mtsk' { const bytes: ArrayBuffer; export default bytes; }\n" +
        Object.entries(GIVEN).map(([g, { type, what }]) => `/** ${what} */\ndeclare const ${g}: ${type};\n`).join(''),
    };
    for (const s of blocks) files[`typecheck/${s.harness}/${s.line}.${s.lang}`] = `${s.code}export {};\n`;
    const strict = { strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, skipLibCheck: false, noEmit: true, allowJs: true, checkJs: true, target: 'ES2022' };
    const configs = {
      'Node, no DOM': { harness: 'node', module: 'node16', moduleResolution: 'node16', lib: ['ES2022'], types: ['node'] },
      'a bundler, DOM': { harness: 'node', module: 'esnext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], types: [] },
      'a Worker': { harness: 'worker', module: 'esnext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], types: [] },
      'a Web Worker': { harness: 'browser-worker', module: 'esnext', moduleResolution: 'bundler', lib: ['ES2022', 'WebWorker'], types: [] },
    };
    for (const [what, { harness, ...options }] of Object.entries(configs)) {
      const include = Object.keys(files).filter((f) => f.startsWith(`typecheck/${harness}/`));
      if (include.length === 0) continue;
      files[`tsconfig.${harness}.${options.lib.join('-')}.json`] = JSON.stringify({ compilerOptions: { ...strict, ...options }, files: ['typecheck/globals.d.ts', ...include] });
    }
    await writeFiles(project.dir, files);
    const failures = [];
    await Promise.all(Object.entries(configs).map(async ([what, { harness, lib }]) => {
      const config = `tsconfig.${harness}.${lib.join('-')}.json`;
      if (!files[config]) return;
      const r = await run(process.execPath, [TSC, '-p', config], { cwd: project.dir, timeoutMs: 180_000 });
      if (r.code !== 0) failures.push(describeRun(`tsc (${what}, ${config})`, r));
    }));
    assert.deepEqual(failures, []);
  });
});
