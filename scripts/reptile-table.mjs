// npm run table:reptile — writes docs/meta-learning.md's table: a task added with
// addTask and only 10, 50 or 200 labelled rows, on a trunk trained the ordinary way
// (joint fit of the other tasks) or meta-learned over them by Reptile (metaLearn).
//
// The Seattle weather windows of 14 days (examples/sequences/weather-windows.mjs),
// split in time (first 80% train, last 20% test). The model's tasks are tomorrow's
// weather type, precipitation and maximum temperature; the held-out tasks — never
// seen before addTask — are tomorrow's wind and minimum temperature. Per seed:
//   plain    fit the three tasks (200 epochs at most, early stopping), then addTask
//   Reptile  metaLearn over the three tasks (150 iterations × 8 steps of 16 rows), then addTask
// then the new task alone is trained on n rows drawn from the training period (50
// epochs, batches of up to 16), with the trunk frozen (addTask's default) or
// fine-tuned (freezeShared: false), and scored on the test period (MAE).
// Mean ± std over five seeds (initialization, rows drawn, batch order).
//
//   node scripts/reptile-table.mjs [--quick]
//
// --quick (two seeds, one held-out task, 10 and 50 rows, fewer iterations; no file written) checks that it runs.
import { readFile } from 'node:fs/promises';
import { meanStd, writeDocTable } from './doc-table.mjs';
import * as lib from '../dist/node.js';
import { weatherSeries, architectures } from '../examples/sequences/weather-windows.mjs';

const QUICK = process.argv.includes('--quick');
const SEEDS = QUICK ? [0, 1] : [0, 1, 2, 3, 4];
const SIZES = QUICK ? [10, 50] : [10, 50, 200];
const HELD_OUT = QUICK ? ['wind'] : ['wind', 'temp_min'];
const DAYS = 14;
const META = { iterations: QUICK ? 20 : 150, innerSteps: 8, batchSize: 16 };
await lib.init();
const { MultiTaskModel, tasks, windows, loadModel } = lib;
const csv = await readFile(new URL('../examples/data/seattle-weather.csv', import.meta.url), 'utf8');
const series = weatherSeries(lib, csv);
const KNOWN = { weather: 'multiclass', precipitation: 'regression', temp_max: 'regression' };
const all = windows(series, { length: DAYS, targets: KNOWN });
const cut = Math.floor(all.rows * 0.8);
const range = (from, to) => Array.from({ length: to - from }, (_, i) => from + i);
const train = all.select(range(0, cut));
const architecture = architectures(DAYS)['conv1d, last step'];

/** n distinct row indices below `bound`, by a seeded generator (mulberry32), sorted. */
function draw(n, bound, seed) {
  let a = (seed + 0x9e3779b9) >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const picked = new Set();
  while (picked.size < n) picked.add(Math.floor(next() * bound));
  return [...picked].sort((x, y) => x - y);
}

/** The pretrained trunk of one seed, as model-file bytes: 'plain' (a joint fit) or 'reptile' (metaLearn). */
async function pretrain(method, seed) {
  const model = new MultiTaskModel({
    input: train, seed, architecture, optimizer: { type: 'adam', learningRate: 0.003 },
    tasks: [tasks.multiclass('weather'), tasks.regression('precipitation'), tasks.regression('temp_max')],
  });
  try {
    if (method === 'plain') await model.fit(train, { epochs: QUICK ? 20 : 200, batchSize: 32, validationSplit: 0.15, earlyStopping: { patience: 15 } });
    else await model.metaLearn(train, { ...META, seed });
    return model.save();
  } finally {
    model.dispose();
  }
}

/** The held-out task's test MAE after addTask and training on `n` rows. */
async function adapt(bytes, task, n, freezeShared, seed) {
  const held = windows(series, { length: DAYS, targets: { [task]: 'regression' } });
  const few = held.select(draw(n, cut, seed));
  const test = held.select(range(cut, held.rows));
  const model = loadModel(bytes);
  try {
    model.addTask(tasks.regression(task), { data: few, freezeShared });
    await model.fit(few, { epochs: 50, batchSize: Math.min(16, n), unlabeledTasks: 'skip', seed });
    return model.evaluate(test).tasks[task].mae;
  } finally {
    model.dispose();
  }
}

const results = {}; // `${task}/${method}/${freeze}/${n}` → MAE per seed
for (const seed of SEEDS) {
  for (const method of ['plain', 'reptile']) {
    const bytes = await pretrain(method, seed);
    for (const task of HELD_OUT) {
      for (const freeze of [true, false]) {
        for (const n of SIZES) (results[`${task}/${method}/${freeze}/${n}`] ??= []).push(await adapt(bytes, task, n, freeze, seed));
      }
    }
  }
}
const stat = (v) => meanStd(v, 2);
const label = { plain: 'plain addTask (joint fit)', reptile: 'Reptile (metaLearn)' };
const lines = [`| held-out task (test MAE) | trunk | shared part | ${SIZES.map((n) => `${n} rows`).join(' | ')} |`, `| --- | --- | --- | ${SIZES.map(() => '---').join(' | ')} |`];
for (const task of HELD_OUT) {
  for (const method of ['plain', 'reptile']) {
    for (const freeze of [true, false]) {
      lines.push(`| ${task} | ${label[method]} | ${freeze ? 'frozen' : 'fine-tuned'} | ${SIZES.map((n) => stat(results[`${task}/${method}/${freeze}/${n}`])).join(' | ')} |`);
    }
  }
}
const table = lines.join('\n');
const caption = `${SEEDS.length} seeds (${SEEDS.join(', ')}); ${cut} training windows, ${all.rows - cut} test windows; the new task trained 50 epochs on n rows drawn from the training period; mean ± std over the seeds.`;
if (QUICK) {
  console.log(`${table}\n\n${caption}`);
} else {
  await writeDocTable('meta-learning.md', 'reptile', `${table}\n\n${caption}`);
  console.log(`${table}\n\n${caption}\nwrote docs/meta-learning.md`);
}
