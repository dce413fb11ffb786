// The two bundled tables the comparison scripts (weighting-table.mjs,
// ensembles-table.mjs, adversarial-table.mjs) run on, with their tasks and the
// metrics they report; and how a script writes its tables into a doc.
import { readFile } from 'node:fs/promises';
import { mean, std, replaceBetween } from './doc-table.mjs';
import { Dataset, tasks } from '../dist/node.js';
import { withDayOfYear } from './seattle-weather.mjs';

const read = (name) => readFile(new URL(`../examples/data/${name}`, import.meta.url), 'utf8');

export async function tableDatasets() {
  return [
  {
    name: 'Palmer penguins',
    file: 'penguins.csv',
    data: Dataset.fromCSV(await read('penguins.csv'), {
      features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
      targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
    }),
    stratify: 'species',
    tasks: () => [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')],
    about: 'features bill length and depth, flipper length, island; tasks species (3 classes), sex (binary, 11 rows unlabeled) and body mass (regression)',
    metrics: [
      ['species', 'accuracy', 'species accuracy', 3], ['sex', 'accuracy', 'sex accuracy', 3], ['sex', 'auc', 'sex AUC', 3],
      ['body_mass_g', 'mae', 'mass MAE (g)', 0], ['body_mass_g', 'r2', 'mass R²', 3],
    ],
  },
  {
    name: 'Seattle weather',
    file: 'seattle-weather.csv',
    data: Dataset.fromCSV(withDayOfYear(await read('seattle-weather.csv')), {
      features: { temp_min: 'numeric', wind: 'numeric', day_sin: 'numeric', day_cos: 'numeric' },
      targets: { weather: 'multiclass', precipitation: 'regression', temp_max: 'regression' },
    }),
    stratify: 'weather',
    tasks: () => [tasks.multiclass('weather'), tasks.regression('precipitation'), tasks.regression('temp_max')],
    about: 'features temp_min, wind and the day of the year as (sin, cos) — the year and the date itself left out; tasks weather (5 classes: rain, sun, fog, drizzle, snow), precipitation (mm, regression) and temp_max (°C, regression)',
    metrics: [
      ['weather', 'accuracy', 'weather accuracy', 3], ['weather', 'f1', 'weather F1', 3],
      ['precipitation', 'mae', 'precipitation MAE', 2], ['precipitation', 'r2', 'precipitation R²', 3],
      ['temp_max', 'mae', 'temp_max MAE', 2], ['temp_max', 'r2', 'temp_max R²', 3],
    ],
  },
];
}

/**
 * Puts `tables` between the `<!-- key:tables:begin -->` and `<!-- key:tables:end -->`
 * markers of docs/`doc`, under a line naming `npm run script` and the date.
 */
/** A dataset's section of a doc: its name, what it holds, and a markdown table of `head` and `rows`. */
export function datasetSection(set, head, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [`### ${set.name}`, '', `${set.about}.`, '', line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

export async function writeDocTables(doc, key, script, tables) {
  const stamp = `Written by \`npm run ${script}\` (scripts/${script.replace('table:', '')}-table.mjs) on ${new Date().toISOString().slice(0, 10)}, node ${process.version}.`;
  await replaceBetween(doc, `<!-- ${key}:tables:begin -->`, `<!-- ${key}:tables:end -->`, `\n\n${stamp}\n\n${tables}\n\n`);
  console.log(`wrote docs/${doc}`);
}

export { mean, std };
