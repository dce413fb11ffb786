// npm run demo — multi-task learning on the Palmer penguins (examples/data/penguins.csv).
//
// Three tasks from the bill, flipper and island columns: species (3 classes), sex
// (binary; 11 rows have no label and still train the other tasks) and body mass
// (regression). Each is learned alone (single-task baselines, trained on the rows
// that have that task's label: fit's labeledOnly), then all together with hard
// parameter sharing and with MMoE, over five seeded train/test splits.
import { readFile, writeFile } from 'node:fs/promises';
import { init, Dataset, MultiTaskModel, tasks, loadModel, formatAffinity } from '../../dist/node.js';

await init();
const csv = await readFile(new URL('../data/penguins.csv', import.meta.url), 'utf8');
const data = Dataset.fromCSV(csv, {
  features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
  targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
});
const TASKS = [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')];
const SEEDS = [0, 1, 2, 3, 4];
const fitOptions = { epochs: 200, batchSize: 32, validationSplit: 0.15, earlyStopping: { patience: 25 } };
const optimizer = { type: 'adam', learningRate: 0.01 };

const MODELS = {
  'single-task': (seed, task) => ({ architecture: { type: 'sharedBottom', units: [32], towerUnits: [16] }, tasks: [task], seed, optimizer }),
  'shared-bottom': (seed) => ({ architecture: { type: 'sharedBottom', units: [32], towerUnits: [16] }, tasks: TASKS, seed, optimizer }),
  MMoE: (seed) => ({ architecture: { type: 'mmoe', experts: 4, expertUnits: [16], towerUnits: [8] }, tasks: TASKS, seed, optimizer }),
};
const METRICS = [
  ['species', 'accuracy', 'species accuracy', (v) => v.toFixed(3)],
  ['sex', 'accuracy', 'sex accuracy', (v) => v.toFixed(3)],
  ['sex', 'auc', 'sex AUC', (v) => v.toFixed(3)],
  ['body_mass_g', 'mae', 'body mass MAE (g)', (v) => v.toFixed(0)],
  ['body_mass_g', 'r2', 'body mass R²', (v) => v.toFixed(3)],
];

const results = {}; // model → metric label → values over seeds
let affinityModel = null;
const started = performance.now();
for (const seed of SEEDS) {
  const [train, test] = data.split(0.8, { seed, stratify: 'species' });
  for (const [name, make] of Object.entries(MODELS)) {
    const evaluations = {};
    const runs = name === 'single-task' ? TASKS.map((t) => make(seed, t)) : [make(seed)];
    for (const options of runs) {
      const model = new MultiTaskModel({ input: train, ...options });
      // A single-task model learns nothing from rows without its label: labeledOnly keeps them out of its batches.
      await model.fit(train, { ...fitOptions, seed, labeledOnly: name === 'single-task' });
      Object.assign(evaluations, model.evaluate(test).tasks);
      if (name === 'MMoE' && seed === 0) affinityModel = model; else model.dispose();
    }
    for (const [task, metric, label] of METRICS) ((results[name] ??= {})[label] ??= []).push(evaluations[task][metric]);
  }
}
const seconds = (performance.now() - started) / 1000;

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const names = Object.keys(MODELS);
const rows = METRICS.map(([, , label, f]) => [label, ...names.map((n) => `${f(mean(results[n][label]))} ± ${f(std(results[n][label]))}`)]);
const widths = ['', ...names].map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('   ');
console.log(`Palmer penguins: ${data.rows} rows, test = 20% (stratified), mean ± std over seeds ${SEEDS.join(', ')}\n`);
console.log(line(['', ...names]));
console.log(widths.map((w) => '─'.repeat(w)).join('   '));
for (const r of rows) console.log(line(r));
console.log(`\n(${SEEDS.length * (TASKS.length + 2)} models trained in ${seconds.toFixed(1)} s; accuracy, AUC and R²: higher is better; MAE: lower)\n`);

console.log(formatAffinity(affinityModel.taskAffinity()));

const file = 'penguins.mtsk';
const bytes = affinityModel.save({ metadata: { dataset: 'Palmer penguins', split: 'seed 0' } });
await writeFile(file, bytes);
const loaded = loadModel(bytes);
const penguin = { bill_length_mm: 46.5, bill_depth_mm: 15.2, flipper_length_mm: 219, island: 'Biscoe' };
const p = loaded.predict([penguin]);
console.log(`\nsaved the MMoE model to ${file} (${(bytes.length / 1024).toFixed(1)} KB); reloaded, it predicts for ${JSON.stringify(penguin)}:`);
console.log(`  species ${p.species.classes[0]} (p = ${Math.max(...p.species.probabilities[0]).toFixed(3)}), sex ${p.sex.classes[0]} (p(male) = ${p.sex.probabilities[0].toFixed(3)}), body mass ${p.body_mass_g.values[0].toFixed(0)} g`);
affinityModel.dispose();
loaded.dispose();
