// npm run table:football — writes docs/embeddings.md's comparison table: on the
// bundled football results (scripts/football.mjs), team embeddings shared by the
// home and the away column against one-hot team columns, each as one multi-task
// model (home goals, away goals, outcome) and as one model per task; evaluated on
// the 2016–17 season held out of training, mean ± std over five seeds.
//
//   node scripts/football-table.mjs [--quick]
//
// --quick (two seeds, 5 epochs, no file written) checks that it runs.
import { readFile } from 'node:fs/promises';
import { meanStd, writeDocTable } from './doc-table.mjs';
import * as lib from '../dist/node.js';
import { footballRun, footballRows } from './football.mjs';

const QUICK = process.argv.includes('--quick');
const SEEDS = QUICK ? [0, 1] : [0, 1, 2, 3, 4];
const RUN = QUICK ? { epochs: 5 } : {};
await lib.init();
const rows = footballRows(await readFile(new URL('../examples/data/football.json', import.meta.url), 'utf8'));

const TASKS = ['home_goals', 'away_goals', 'outcome'];
const CONFIGS = [
  { label: 'multi-task, team embeddings (d 8, one table)', dim: 8, perTask: false },
  { label: 'multi-task, one-hot teams', dim: 0, perTask: false },
  { label: 'one model per task, team embeddings (d 8)', dim: 8, perTask: true },
  { label: 'one model per task, one-hot teams', dim: 0, perTask: true },
];
let counts = null;
const results = [];
for (const c of CONFIGS) {
  const perSeed = [];
  for (const seed of SEEDS) {
    // One model per task: three runs, each task's metrics from its own model, their parameters summed.
    const runs = c.perTask
      ? await Promise.all(TASKS.map((only) => footballRun(lib, rows, seed, { ...RUN, dim: c.dim, only })))
      : [await footballRun(lib, rows, seed, { ...RUN, dim: c.dim })];
    counts ??= runs[0];
    perSeed.push({ tasks: Object.assign({}, ...runs.map((r) => r.tasks)), parameters: runs.reduce((s, r) => s + r.parameters, 0) });
  }
  results.push({ ...c, perSeed });
}
const stat = (c, get, digits) => meanStd(c.perSeed.map(get), digits);
const table = [
  '| model | home goals NLL | away goals NLL | outcome accuracy | outcome log loss | parameters |',
  '| --- | --- | --- | --- | --- | --- |',
  ...results.map((c) => `| ${c.label} | ${stat(c, (r) => r.tasks.home_goals.nll, 3)} | ${stat(c, (r) => r.tasks.away_goals.nll, 3)} | ` +
    `${stat(c, (r) => r.tasks.outcome.accuracy, 3)} | ${stat(c, (r) => r.tasks.outcome.logLoss, 3)} | ${c.perSeed[0].parameters} |`),
].join('\n');
const caption = `${SEEDS.length} seeds (${SEEDS.join(', ')}); ${counts.trainRows} training matches (2013–14 to 2015–16), ` +
  `${counts.testRows} held-out matches (2016–17); mean ± std over the seeds. NLL: Poisson negative log-likelihood per match (lower is better).`;
if (QUICK) {
  console.log(`${table}\n\n${caption}`);
} else {
  await writeDocTable('embeddings.md', 'football', `${table}\n\n${caption}`);
  console.log(`${table}\n\n${caption}\nwrote docs/embeddings.md`);
}
