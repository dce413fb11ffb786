// The packed tarball installed into a fresh project, used the way each kind of
// user uses it: Node as an ES module and through require(), the embedded
// entries, the `manytask` command, Deno and Bun with the project's
// node_modules, and two Cloudflare Workers (the full library and
// manytask/infer) in workerd. Every one trains, saves and predicts through
// fixtures/smoke.mjs, gets its own export condition, shares one runtime and
// one set of error classes between manytask and manytask/infer, and predicts
// the same bits as the others.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { consumerProject, writeFiles, mustRun, BIN, REPO } from './helpers/project.js';
import { withWorkers } from './helpers/workerd.js';
import { run, describeRun } from '../runtimes/helpers/process.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);
const fixture = (name) => readFile(new URL(name, FIXTURES), 'utf8');

let project;
/** Node's smoke result: every other consumer must predict the same bits. */
let fromNode;

/** Runs a consumer script, parses the JSON line it prints, checks the smoke result. */
async function consume(what, cmd, args, entries) {
  const r = await mustRun(what, cmd, args, { cwd: project.dir });
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1));
  const context = `${what}: ${r.stdout}\n${r.stderr}`;
  assert.ok(out.entry.endsWith(`node_modules/manytask/dist/${entries[0]}`), `${what}: manytask resolved to ${out.entry}`);
  assert.ok(out.inferEntry.endsWith(`node_modules/manytask/dist/${entries[1]}`), `${what}: manytask/infer resolved to ${out.inferEntry}`);
  checkSmoke(what, out, context);
  assert.equal(r.stderr, '', `${what} wrote to stderr (a warning?)\n${context}`);
  return out;
}

function checkSmoke(what, out, context) {
  assert.equal(out.sharedRuntime, true, `${what}: manytask/infer was not initialized by manytask's init()\n${context}`);
  assert.equal(out.sharedErrors, true, `${what}: manytask/infer's ModelFormatError is not manytask's\n${context}`);
  assert.deepEqual(out.either, [0, 1, 1, 1], `${what}: the binary task\n${context}`);
  out.sum.forEach((v, i) => assert.ok(Math.abs(v - [0, 1, 1, 2][i]) < 0.1, `${what}: regression ${out.sum}\n${context}`));
  assert.equal(out.inferBits, out.bits, `${what}: manytask/infer predicts other bits than the model it was saved from\n${context}`);
  if (fromNode) assert.equal(out.bits, fromNode.bits, `${what}: predictions differ from Node's in their bits\n${context}`);
}

describe('the packed tarball in a fresh project', { concurrency: 3 }, () => {
  before(async () => {
    project = await consumerProject();
    for (const f of ['smoke.mjs', 'main.mjs', 'main.cjs', 'embedded.mjs']) await writeFiles(project.dir, { [f]: await fixture(f) });
    fromNode = await consume('node main.mjs', process.execPath, ['main.mjs'], ['node.js', 'infer-node.js']);
  });
  after(() => project?.cleanup());

  test('Node, CommonJS: require() gets the node entries and works, without a warning', async () => {
    const out = await consume('node main.cjs', process.execPath, ['main.cjs'], ['node.js', 'infer-node.js']);
    assert.ok(!out.entry.startsWith('file:'));
  });

  test('Node: manytask/embedded and manytask/infer/embedded need no .wasm file', async () => {
    await consume('node embedded.mjs', process.execPath, ['embedded.mjs'], ['embedded.js', 'infer-embedded.js']);
  });

  test('Deno (the project\'s node_modules, --allow-read): the deno condition, web.js', async () => {
    await consume('deno run main.mjs', join(BIN, 'deno'), ['run', '--allow-read', '--no-lock', '--cached-only', 'main.mjs'], ['web.js', 'infer-web.js']);
  });

  test('Bun: the node condition', async () => {
    await consume('bun main.mjs', join(BIN, 'bun'), ['main.mjs'], ['node.js', 'infer-node.js']);
  });

  test('the manytask command from node_modules/.bin runs on the library\'s chunks', async () => {
    const r = await run(join(project.dir, 'node_modules', '.bin', 'manytask'), ['--help'], { cwd: project.dir, timeoutMs: 60_000 });
    assert.match(r.stdout, /^manytask — multi-task learning from CSV files\n\nUsage:/, describeRun('manytask --help', r));
    assert.equal(r.stderr, '', describeRun('manytask --help', r));
    const cli = await readFile(join(project.dir, 'node_modules', 'manytask', 'dist', 'cli.js'), 'utf8');
    assert.ok(cli.length < 40_000, `dist/cli.js is ${cli.length} bytes: a second copy of the library?`);
  });

  test('Cloudflare Workers (workerd): the full library and manytask/infer, with init() and no argument', async () => {
    const worker = (name, main, extra = '') => ({
      [`${name}/wrangler.toml`]: `name = "${name}"\nmain = "worker.mjs"\ncompatibility_date = "2025-01-01"\n${extra}`,
      [`${name}/worker.mjs`]: main,
    });
    await writeFiles(project.dir, {
      ...worker('full', `import * as mt from 'manytask';
import * as infer from 'manytask/infer';
import { smoke } from '../smoke.mjs';
export default { async fetch() { return Response.json(await smoke(mt, infer)); } };
`),
      ...worker('infer', `import { init, loadModel } from 'manytask/infer';
import modelFile from './model.mtsk';
await init();
const model = loadModel(new Uint8Array(modelFile));
export default {
  async fetch() {
    const p = model.predict([{ bill_length_mm: 46.5, bill_depth_mm: 15.2, flipper_length_mm: 219, island: 'Biscoe' }]);
    return Response.json({ species: p.species.classes, sex: p.sex.classes, grams: Array.from(p.body_mass_g.values) });
  },
};
`, 'rules = [\n  { type = "Data", globs = ["**/*.mtsk"], fallthrough = true },\n]\n'),
    });
    await copyFile(join(REPO, 'examples', 'worker', 'model.mtsk'), join(project.dir, 'infer', 'model.mtsk'));
    await withWorkers({ full: join(project.dir, 'full'), infer: join(project.dir, 'infer') }, project.dir, async ({ fetch, bundles }) => {
      const dist = (b) => b.inputs.filter((p) => p.includes('node_modules/manytask/dist/')).map((p) => p.replace(/.*\/dist\//, ''));
      assert.ok(dist(bundles.full).includes('workerd.js') && dist(bundles.full).includes('infer-workerd.js'), `full: ${dist(bundles.full)}`);
      assert.ok(dist(bundles.infer).includes('infer-workerd.js') && !dist(bundles.infer).includes('workerd.js'), `infer: ${dist(bundles.infer)}`);
      assert.deepEqual(bundles.full.externals.map((e) => e.source.replace(/.*\/dist\//, '')).sort(), ['infer.wasm', 'manytask.wasm']);
      assert.deepEqual(bundles.infer.externals.filter((e) => e.type === 'CompiledWasm').map((e) => e.source.replace(/.*\/dist\//, '')), ['infer.wasm']);
      for (const b of Object.values(bundles)) assert.deepEqual(b.nodeImports, []);

      const full = await fetch('full');
      assert.equal(full.status, 200, full.context);
      checkSmoke('workerd (full)', JSON.parse(full.text), full.context);
      const infer = await fetch('infer');
      assert.equal(infer.status, 200, infer.context);
      const body = JSON.parse(infer.text);
      assert.deepEqual(body.species, ['Gentoo'], infer.context);
      assert.ok(body.grams[0] > 4000 && body.grams[0] < 6500, infer.context);
    });
  });
});
