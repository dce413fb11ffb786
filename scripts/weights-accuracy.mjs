// npm run accuracy:weights — what saving the weights as f16 or int8 costs, on
// the demo's model (examples/node/penguins-demo.mjs: MMoE with 4 experts of 16
// units and towers of 8 on the Palmer penguins, the same five seeded 80/20
// splits, fit options and optimizer). Each trained model is saved as f32, f16
// and int8, reloaded, and evaluated on its test split; the table gives the
// metrics (mean over seeds) and the change from f32, plus how far the predicted
// probabilities and values move and how many predicted classes flip.
import { readFile } from 'node:fs/promises';
import { init, Dataset, MultiTaskModel, tasks, loadModel } from '../dist/node.js';

await init();
const csv = await readFile(new URL('../examples/data/penguins.csv', import.meta.url), 'utf8');
const data = Dataset.fromCSV(csv, {
  features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
  targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
});
const SEEDS = [0, 1, 2, 3, 4];
const ENCODINGS = ['f32', 'f16', 'int8'];
const METRICS = [
  ['species', 'accuracy', 'species accuracy', 4],
  ['sex', 'accuracy', 'sex accuracy', 4],
  ['sex', 'auc', 'sex AUC', 4],
  ['body_mass_g', 'mae', 'body mass MAE (g)', 2],
  ['body_mass_g', 'r2', 'body mass R²', 4],
];

const metrics = Object.fromEntries(ENCODINGS.map((e) => [e, Object.fromEntries(METRICS.map(([, , label]) => [label, []]))]));
const drift = Object.fromEntries(ENCODINGS.map((e) => [e, { prob: 0, grams: 0, flips: 0, rows: 0, bytes: 0 }]));
for (const seed of SEEDS) {
  const [train, test] = data.split(0.8, { seed, stratify: 'species' });
  const model = new MultiTaskModel({
    input: train, architecture: { type: 'mmoe', experts: 4, expertUnits: [16], towerUnits: [8] },
    tasks: [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')],
    seed, optimizer: { type: 'adam', learningRate: 0.01 },
  });
  await model.fit(train, { epochs: 200, batchSize: 32, validationSplit: 0.15, earlyStopping: { patience: 25 }, seed });
  const reference = model.predict(test);
  for (const weights of ENCODINGS) {
    const bytes = model.save({ weights });
    const loaded = loadModel(bytes);
    const e = loaded.evaluate(test).tasks;
    for (const [task, metric, label] of METRICS) metrics[weights][label].push(e[task][metric]);
    const p = loaded.predict(test);
    const d = drift[weights];
    d.bytes = bytes.length;
    d.rows += test.rows;
    for (let i = 0; i < test.rows; i++) {
      p.species.probabilities[i].forEach((v, c) => { d.prob = Math.max(d.prob, Math.abs(v - reference.species.probabilities[i][c])); });
      d.prob = Math.max(d.prob, Math.abs(p.sex.probabilities[i] - reference.sex.probabilities[i]));
      d.grams = Math.max(d.grams, Math.abs(p.body_mass_g.values[i] - reference.body_mass_g.values[i]));
      if (p.species.classes[i] !== reference.species.classes[i]) d.flips++;
      if (p.sex.classes[i] !== reference.sex.classes[i]) d.flips++;
    }
    loaded.dispose();
  }
  model.dispose();
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sign = (v, digits) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`;
console.log(`Weights as f32, f16 and int8: the demo's MMoE on penguins, test = 20%, mean over seeds ${SEEDS.join(', ')}\n`);
const head = ['', ...ENCODINGS.map((e) => `${e} file`)];
const rows = METRICS.map(([, , label, digits]) => {
  const base = mean(metrics.f32[label]);
  return [label, ...ENCODINGS.map((e) => {
    const v = mean(metrics[e][label]);
    const worst = Math.max(...metrics[e][label].map((x, i) => Math.abs(x - metrics.f32[label][i])));
    return e === 'f32' ? v.toFixed(digits) : `${v.toFixed(digits)} (${sign(v - base, digits)}; worst seed ${worst.toFixed(digits)})`;
  })];
});
rows.push(['max |Δ probability|', ...ENCODINGS.map((e) => drift[e].prob.toExponential(2))]);
rows.push(['max |Δ body mass| (g)', ...ENCODINGS.map((e) => drift[e].grams.toFixed(3))]);
rows.push(['predicted classes that flip', ...ENCODINGS.map((e) => `${drift[e].flips} of ${2 * drift[e].rows}`)]);
rows.push(['file size (bytes)', ...ENCODINGS.map((e) => String(drift[e].bytes))]);
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('   ');
console.log(line(head));
console.log(widths.map((w) => '─'.repeat(w)).join('   '));
for (const r of rows) console.log(line(r));
