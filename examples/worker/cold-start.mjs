// npm run coldstart:worker [-- --runs 11]
// Cold start → first prediction of this Worker in workerd (Miniflare), built as
// wrangler builds it (tests/runtimes/helpers/wrangler-bundle.js), next to a
// minimal Worker that answers "ok" with no manytask in it. Each run starts a
// fresh workerd: t0 new Miniflare → t1 ready (workerd up, the Worker's modules
// loaded) → t2 first POST /predict answered (one row) → t3 a second request
// answered. The two Workers alternate, runs are preceded by one discarded
// warm-up of each, and the table gives medians (and min–max).
//
// Workers cannot time themselves (their clock stands still while they compute),
// so this measures from outside: the difference between the two Workers is
// what manytask adds (compiling and instantiating infer.wasm, decoding the
// model, the first forward pass); workerd's own start-up is the rest. As a
// cross-check, the same manytask work is timed inside a fresh Node process.
import { mkdtemp, mkdir, copyFile, symlink, writeFile, rm } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir, loadavg, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Miniflare } from 'miniflare';
import { bundleWorkerProject } from '../../tests/runtimes/helpers/wrangler-bundle.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '11' } } });
const RUNS = Number(args.runs);
const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '..', '..');
const ROW = { bill_length_mm: 46.5, bill_depth_mm: 15.2, flipper_length_mm: 219, island: 'Biscoe' };

async function project(files) {
  const dir = await mkdtemp(join(tmpdir(), 'manytask-coldstart-'));
  await mkdir(join(dir, 'node_modules'), { recursive: true });
  await mkdir(join(dir, 'src'), { recursive: true });
  await symlink(repo, join(dir, 'node_modules', 'manytask'), 'dir');
  for (const [to, from] of Object.entries(files)) {
    if (from.text !== undefined) await writeFile(join(dir, to), from.text);
    else await copyFile(from, join(dir, to));
  }
  return dir;
}

const example = await project({
  'wrangler.toml': join(here, 'wrangler.toml'), 'src/worker.js': join(here, 'src', 'worker.js'), 'model.mtsk': join(here, 'model.mtsk'),
});
const minimal = await project({
  'wrangler.toml': { text: 'name = "minimal"\nmain = "src/worker.js"\ncompatibility_date = "2025-01-01"\n' },
  'src/worker.js': { text: 'export default { async fetch(request) { await request.text(); return Response.json({ ok: true }); } };\n' },
});
const workers = {
  manytask: (await bundleWorkerProject(example, join(example, 'dist'))).worker,
  minimal: (await bundleWorkerProject(minimal, join(minimal, 'dist'))).worker,
};

async function once(name) {
  const predict = () => mf.dispatchFetch('http://localhost/predict', { method: 'POST', body: JSON.stringify({ rows: [ROW] }) });
  const t0 = performance.now();
  const mf = new Miniflare({ cf: false, workers: [workers[name]] });
  try {
    await mf.ready;
    const t1 = performance.now();
    const first = await predict();
    const body = await first.json();
    const t2 = performance.now();
    if (first.status !== 200) throw new Error(`${name}: HTTP ${first.status} ${JSON.stringify(body)}`);
    await (await predict()).json();
    const t3 = performance.now();
    return { ready: t1 - t0, first: t2 - t1, total: t2 - t0, warm: t3 - t2 };
  } finally {
    await mf.dispose();
  }
}

const samples = { manytask: [], minimal: [] };
await once('manytask');
await once('minimal');
for (let i = 0; i < RUNS; i++) {
  for (const name of i % 2 ? ['minimal', 'manytask'] : ['manytask', 'minimal']) samples[name].push(await once(name));
}

// The same work in a fresh Node process: compile + instantiate infer.wasm, load the model, predict one row.
const nodeScript = `
const t0 = performance.now();
const { readFile } = await import('node:fs/promises');
const mt = await import(${JSON.stringify(join(repo, 'dist', 'infer-node.js'))});
const bytes = new Uint8Array(await readFile(${JSON.stringify(join(here, 'model.mtsk'))}));
const t1 = performance.now();
await mt.init();
const t2 = performance.now();
const model = mt.loadModel(bytes);
const t3 = performance.now();
model.predict([${JSON.stringify(ROW)}]);
const t4 = performance.now();
console.log(JSON.stringify({ imports: t1 - t0, init: t2 - t1, load: t3 - t2, predict: t4 - t3, manytask: t4 - t1 }));
`;
const inNode = [];
for (let i = 0; i < RUNS; i++) inNode.push(JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', nodeScript], { encoding: 'utf8' })));

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmt = (xs) => `${median(xs).toFixed(1)} ms (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
const col = (name, key) => samples[name].map((s) => s[key]);
console.log(`Cold start → first prediction, examples/worker in workerd (Miniflare ${(await import('miniflare/package.json', { with: { type: 'json' } })).default.version}), ${RUNS} runs each, median (min–max)`);
console.log(`machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end\n`);
const rows = [
  ['new Miniflare → ready', fmt(col('manytask', 'ready')), fmt(col('minimal', 'ready'))],
  ['ready → first response', fmt(col('manytask', 'first')), fmt(col('minimal', 'first'))],
  ['new Miniflare → first response', fmt(col('manytask', 'total')), fmt(col('minimal', 'total'))],
  ['a second (warm) request', fmt(col('manytask', 'warm')), fmt(col('minimal', 'warm'))],
];
const head = ['', 'manytask Worker (POST /predict)', 'minimal Worker'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
for (const r of [head, ...rows]) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('   '));
const diff = median(col('manytask', 'total')) - median(col('minimal', 'total'));
console.log(`\nmanytask's share of cold start → first prediction (difference of medians): ${diff.toFixed(1)} ms`);
const n = (key) => fmt(inNode.map((s) => s[key]));
console.log(`the same work in a fresh Node process: init (compile + instantiate infer.wasm) ${n('init')}, loadModel ${n('load')}, first predict ${n('predict')}; together ${n('manytask')}`);
await rm(example, { recursive: true, force: true });
await rm(minimal, { recursive: true, force: true });
