// npm run table:probabilistic — writes docs/probabilistic.md's calibration table:
// the distribution task kinds on the bundled Seattle weather table (temp_max as a
// Gaussian, precipitation as quantiles 0.05/0.5/0.95, precipitation in whole mm as
// a Poisson count), evaluated on the 25% of rows held out of training, mean ± std
// over five seeded splits (scripts/seattle-weather.mjs calibrationRun).
//
//   node scripts/probabilistic-table.mjs [--quick]
//
// --quick (two seeds, 20 epochs, no file written) checks that it runs.
import { readFile } from 'node:fs/promises';
import { meanStd, writeDocTable } from './doc-table.mjs';
import * as lib from '../dist/node.js';
import { calibrationRun, LEVEL } from './seattle-weather.mjs';

const QUICK = process.argv.includes('--quick');
const SEEDS = QUICK ? [0, 1] : [0, 1, 2, 3, 4];
await lib.init();
const csv = await readFile(new URL('../examples/data/seattle-weather.csv', import.meta.url), 'utf8');

const runs = [];
for (const seed of SEEDS) runs.push(await calibrationRun(lib, csv, seed, QUICK ? { epochs: 20 } : {}));
const stat = (task, metric, digits) => meanStd(runs.map((r) => r.evaluation.tasks[task][metric]), digits);
const rows = [
  ['temp_max (°C)', 'gaussian', stat('temp_max', 'coverage', 3), stat('temp_max', 'intervalWidth', 2), `NLL ${stat('temp_max', 'nll', 3)}`, `MAE ${stat('temp_max', 'mae', 2)}`],
  ['precipitation (mm)', 'quantile 0.05, 0.5, 0.95', stat('precipitation', 'coverage', 3), stat('precipitation', 'intervalWidth', 2), `pinball ${stat('precipitation', 'pinball', 3)}`, ''],
  ['precipitation (whole mm)', 'poisson', stat('rain_mm', 'coverage', 3), stat('rain_mm', 'intervalWidth', 2), `NLL ${stat('rain_mm', 'nll', 3)}`, `MAE ${stat('rain_mm', 'mae', 2)}`],
];
const table = [
  `| target | task | coverage of the ${LEVEL * 100}% interval | interval width | score | point error |`,
  '| --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
const caption = `${SEEDS.length} seeds (${SEEDS.join(', ')}); ${runs[0].trainRows} training rows, ${runs[0].testRows} held-out rows per seed; mean ± std over the seeds.`;
if (QUICK) {
  console.log(`${table}\n\n${caption}`);
} else {
  await writeDocTable('probabilistic.md', 'probabilistic', `${table}\n\n${caption}`);
  console.log(`${table}\n\n${caption}\nwrote docs/probabilistic.md`);
}
