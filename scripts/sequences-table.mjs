// npm run table:sequences — writes docs/sequences.md's table: tomorrow's Seattle
// weather (type, precipitation, maximum temperature) from the last 14 days, a conv1d
// trunk beside a Transformer encoder layer and an MLP over the flattened window,
// tested on the last 20% of the
// windows in time (examples/sequences/weather-windows.mjs), mean ± std over five
// seeds (the split is chronological, so a seed changes the initialization, the
// validation rows and the batch order). A persistence row (tomorrow = today) says
// what the series gives for free.
//
//   node scripts/sequences-table.mjs [--quick]
//
// --quick (two seeds, 20 epochs, no file written) checks that it runs.
import { readFile } from 'node:fs/promises';
import { meanStd, writeDocTable } from './doc-table.mjs';
import * as lib from '../dist/node.js';
import { weatherRun, weatherSeries, architectures, TARGETS } from '../examples/sequences/weather-windows.mjs';

const QUICK = process.argv.includes('--quick');
const SEEDS = QUICK ? [0, 1] : [0, 1, 2, 3, 4];
const DAYS = 14;
await lib.init();
const csv = await readFile(new URL('../examples/data/seattle-weather.csv', import.meta.url), 'utf8');

const stat = meanStd;
const rows = [];
let sizes = null;
for (const [name, architecture] of Object.entries(architectures(DAYS))) {
  const runs = [];
  for (const seed of SEEDS) {
    const run = await weatherRun(lib, csv, { architecture, days: DAYS, seed, ...(QUICK ? { epochs: 20 } : {}) });
    run.model.dispose();
    runs.push(run);
  }
  sizes = runs[0];
  const metric = (task, m) => runs.map((r) => r.evaluation.tasks[task][m]);
  rows.push([name, String(runs[0].parameters), stat(metric('weather', 'accuracy'), 3), stat(metric('weather', 'logLoss'), 3),
    stat(metric('precipitation', 'mae'), 2), stat(metric('temp_max', 'mae'), 2)]);
}

// Persistence on the same test windows: tomorrow's values are today's.
const data = lib.windows(weatherSeries(lib, csv), { length: DAYS, targets: TARGETS });
const cut = Math.floor(data.rows * 0.8);
const test = Array.from({ length: data.rows - cut }, (_, i) => cut + i);
const today = (c) => data.column(c), tomorrow = (c) => data.column(c);
const levels = lib.levelsOf(data).weather;
const todayType = (r) => levels.find((l) => today(`weather=${l}[t]`)[r] === 1);
const accuracy = test.filter((r) => todayType(r) === tomorrow('weather')[r]).length / test.length;
const mae = (c) => test.reduce((s, r) => s + Math.abs(today(`${c}[t]`)[r] - tomorrow(c)[r]), 0) / test.length;
rows.push(['persistence (tomorrow = today)', '0', accuracy.toFixed(3), '—', mae('precipitation').toFixed(2), mae('temp_max').toFixed(2)]);

const table = [
  '| trunk | weights | weather accuracy | weather log loss | precipitation MAE (mm) | temp_max MAE (°C) |',
  '| --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
const caption = `${SEEDS.length} seeds (${SEEDS.join(', ')}); windows of ${DAYS} days; ${sizes.trainRows} training windows (the first 80% in time), ` +
  `${sizes.testRows} test windows (the last 20%); mean ± std over the seeds.`;
if (QUICK) {
  console.log(`${table}\n\n${caption}`);
} else {
  await writeDocTable('sequences.md', 'sequences', `${table}\n\n${caption}`);
  console.log(`${table}\n\n${caption}\nwrote docs/sequences.md`);
}
