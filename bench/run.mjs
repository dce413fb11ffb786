// npm run bench [-- <suite> ...] [--quick]   suites: gemm, train, kmeans, autoencoder, size, coldstart, threads, conv1d, jobs, attention
//
// Every suite runs beside its peer in the same process (TF.js on its WASM backend,
// ml-kmeans, a plain JS loop), alternating, and reports medians. A full run of
// every suite writes BENCHMARKS.md and bench/ratios.svg; --quick (for CI smoke
// runs, under a minute) and partial runs only print.
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem, platform, arch, loadavg } from 'node:os';
import { benchGemm } from './gemm.mjs';
import { benchTrain } from './train.mjs';
import { benchKmeans } from './kmeans.mjs';
import { benchAutoencoder } from './autoencoder.mjs';
import { benchSize } from './size.mjs';
import { benchColdstart } from './coldstart.mjs';
import { benchThreads } from './threads.mjs';
import { benchConv1d } from './conv1d.mjs';
import { benchJobs } from './jobs.mjs';
import { benchAttention } from './attention.mjs';

const suites = { gemm: benchGemm, train: benchTrain, kmeans: benchKmeans, autoencoder: benchAutoencoder, size: benchSize, coldstart: benchColdstart, threads: benchThreads, conv1d: benchConv1d, jobs: benchJobs, attention: benchAttention };
const TITLES = {
  gemm: 'GEMM (GFLOP/s) beside TF.js-wasm tf.matMul',
  train: 'Multi-head MLP training and inference beside TF.js-layers on the WASM backend',
  kmeans: 'k-means (ms per Lloyd iteration) beside ml-kmeans and a plain JS loop',
  autoencoder: 'Autoencoder 64-32-8-32-64 beside TF.js-layers on the WASM backend',
  size: 'Inference bundle size beside TF.js (gzip)',
  coldstart: 'Cloudflare Worker cold start → first prediction (workerd)',
  threads: 'The worker pool: 1 and 2 threads, beside PyTorch and TF.js-wasm; the relaxed-SIMD GEMM',
  conv1d: 'The causal 1-D convolution, forward: im2col + GEMM (what the conv1d op runs) beside a direct kernel',
  jobs: 'Independent jobs on the worker threads: GMM and k-means starts side by side, ensemble members one per thread (1 and 2 threads)',
  attention: 'Self-attention, forward: the GEMM per row and head (what the attention op runs) beside a direct kernel',
};
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const wanted = args.filter((a) => !a.startsWith('--'));
for (const name of wanted) {
  if (!(name in suites)) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(suites).join(', ')}`);
    process.exit(2);
  }
}
const started = performance.now();
const loadStart = loadavg()[0];
console.log(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}${quick ? ', --quick' : ''}`);
const done = {};
for (const name of wanted.length ? wanted : Object.keys(suites)) done[name] = await suites[name]({ quick });
const minutes = (performance.now() - started) / 60000;
if (!quick && wanted.length === 0) {
  await writeReport(done, minutes, [loadStart, loadavg()[0]]);
  console.log(`\nwrote BENCHMARKS.md and bench/ratios.svg (${minutes.toFixed(1)} min)`);
}

/** The speed-ups worth a headline: [label, ratio (peer time / manytask time)]. */
function headlines(done) {
  const out = [];
  for (const r of done.gemm?.results ?? []) out.push([`GEMM ${r.label} (${r.M}×${r.K}·${r.K}×${r.N})`, r.ratio]);
  for (const r of done.train?.results.training ?? []) out.push([`MLP training step, batch ${r.batch}`, r.ratio]);
  for (const r of done.train?.results.inference ?? []) out.push([`MLP inference, ${r.rows} row${r.rows > 1 ? 's' : ''}`, r.ratio]);
  for (const r of done.kmeans?.results ?? []) out.push([`k-means ${r.case} vs ml-kmeans`, r.msPerIteration.mlKmeans / r.msPerIteration.manytask]);
  for (const r of done.autoencoder?.results.training ?? []) out.push([`autoencoder training, batch ${r.batch}`, r.ratio]);
  if (done.size) out.push(['inference bundle size (gzip) vs TF.js', done.size.results.ratio]);
  return out;
}

async function writeReport(done, minutes, load) {
  // Read the files directly: not every package exports its package.json.
  const versions = {};
  for (const pkg of ['@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-layers', 'ml-kmeans']) {
    versions[pkg] = JSON.parse(await readFile(new URL(`../node_modules/${pkg}/package.json`, import.meta.url), 'utf8')).version;
  }
  const version = (pkg) => versions[pkg];
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)} in ${minutes.toFixed(1)} minutes.`,
    '',
    `Machine: ${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${arch()}. ` +
      `Runtime: Node ${process.version} (V8 ${process.versions.v8}), one thread (the worker-pool section: 1 and 2). Peers: @tensorflow/tfjs-core and ` +
      `tfjs-backend-wasm ${version('@tensorflow/tfjs-backend-wasm')}, tfjs-layers ${version('@tensorflow/tfjs-layers')}, ` +
      `ml-kmeans ${version('ml-kmeans')}. 1-minute load average ${load[0].toFixed(1)} at the start, ${load[1].toFixed(1)} at the end (2 cores: above 1, another job shared the machine).`,
    '',
    'Method: each job runs beside its peer in the same process, the contenders alternating, each repetition long enough to',
    'time reliably; the tables give medians. The peers are set up as a careful user would: warmed up, TF.js batches built',
    'from JS arrays, `optimizer.minimize` without reading the loss back, ml-kmeans given the same initial centres. TF.js-wasm',
    'runs one thread in Node, so everything is single-threaded but the worker-pool section, which times 1 and 2 threads',
    '(beside PyTorch at the same thread count where Debian\'s python3-torch is installed). Ratios: how many times longer the peer takes.',
    '',
    '![speed-up over the peer](bench/ratios.svg)',
    '',
  ];
  for (const [name, r] of Object.entries(done)) lines.push(`## ${TITLES[name]}`, '', r.text, '');
  lines.push('Run it yourself: `npm run bench` (all suites, writes this file), `npm run bench -- gemm` (one suite), `npm run bench -- --quick` (a smoke run).', '');
  await writeFile(new URL('../BENCHMARKS.md', import.meta.url), lines.join('\n'));
  await writeFile(new URL('./ratios.svg', import.meta.url), chart(headlines(done)));
}

/** Horizontal bars of the speed-ups on a log scale, 1× marked. */
function chart(items) {
  const rowH = 22, L = 330, R = 70, T = 40, W = 760;
  const H = T + items.length * rowH + 30;
  const max = Math.max(2, ...items.map(([, r]) => r));
  const x = (r) => L + (Math.log10(Math.max(r, 0.1)) - Math.log10(0.5)) / (Math.log10(max * 1.2) - Math.log10(0.5)) * (W - L - R);
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="10" y="22" font-size="14">How many times faster manytask is than the peer (log scale; TF.js-wasm, ml-kmeans)</text>`];
  for (const tick of [1, 2, 5, 10, 20, 50].filter((t) => t <= max * 1.2)) {
    parts.push(`<line x1="${x(tick)}" y1="${T - 6}" x2="${x(tick)}" y2="${H - 24}" stroke="${tick === 1 ? '#888' : '#eee'}"/>`,
      `<text x="${x(tick)}" y="${H - 10}" text-anchor="middle">${tick}×</text>`);
  }
  items.forEach(([label, r], i) => {
    const y = T + i * rowH;
    parts.push(`<text x="${L - 8}" y="${y + 14}" text-anchor="end">${esc(label)}</text>`,
      `<rect x="${x(0.5)}" y="${y + 3}" width="${Math.max(1, x(r) - x(0.5))}" height="${rowH - 8}" fill="${r >= 1 ? '#1b6ca8' : '#d1495b'}"/>`,
      `<text x="${x(r) + 4}" y="${y + 14}">${r.toFixed(r >= 10 ? 0 : 1)}×</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
