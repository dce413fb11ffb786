// npm run table:semi — writes docs/semi-supervised.md: does training the shared part
// on unlabeled rows help when most labels are hidden? Penguins, 90% of each task's
// training labels hidden (independently per task, seeded); the same MMoE and
// shared-bottom models supervised only, with a reconstruction task, and with
// reconstruction + clustering; ten seeds; test metrics mean ± std.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { init, Dataset, Preprocessor, MultiTaskModel, tasks } from '../dist/node.js';

const SEEDS = Array.from({ length: 10 }, (_, i) => i);
const HIDDEN = 0.9;
await init();
const csv = await readFile(new URL('../examples/data/penguins.csv', import.meta.url), 'utf8');
const data = Dataset.fromCSV(csv, {
  features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
  targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
});
const SUPERVISED = [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')];
const VARIANTS = [
  ['supervised only', []],
  ['+ reconstruction', [tasks.reconstruction()]],
  ['+ reconstruction + clustering (k = 6)', [tasks.reconstruction(), tasks.clustering('clusters', { clusters: 6 })]],
];
const ARCHS = [['shared-bottom', { type: 'sharedBottom', units: [32], towerUnits: [16] }], ['MMoE', { type: 'mmoe', experts: 4, expertUnits: [16], towerUnits: [8] }]];
const METRICS = [['species', 'accuracy', 'species acc.'], ['sex', 'auc', 'sex AUC'], ['body_mass_g', 'r2', 'mass R²']];

/** A seeded uniform stream for choosing which labels to hide (mulberry32). */
function uniform(seed) {
  let s = (seed * 0x9e3779b9 + 17) >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const results = {};
let labeledRows = 0;
const started = performance.now();
for (const seed of SEEDS) {
  const [train, test] = data.split(0.8, { seed, stratify: 'species' });
  const pre = Preprocessor.fit(train);
  const x = pre.transform(train).features, xTest = pre.transform(test).features;
  const u = uniform(seed);
  const labels = {}, testLabels = {};
  for (const name of data.targetNames) {
    labels[name] = Float32Array.from(train.target(name).values, (v) => (u() < HIDDEN ? NaN : v));
    testLabels[name] = test.target(name).values;
  }
  labeledRows += labels.species.filter((v) => !Number.isNaN(v)).length / SEEDS.length;
  for (const [archName, architecture] of ARCHS) {
    for (const [variant, extra] of VARIANTS) {
      const model = new MultiTaskModel({
        input: { features: pre.featureNames, classes: { species: train.target('species').classes } },
        architecture, tasks: [...SUPERVISED, ...extra], seed, optimizer: { type: 'adam', learningRate: 0.01 }, affinity: false,
      });
      await model.fit(x, labels, { epochs: 150, batchSize: 32, seed });
      const e = model.evaluate(xTest, testLabels).tasks;
      const key = `${archName}, ${variant}`;
      METRICS.forEach(([task, metric], i) => (((results[key] ??= [[], [], []])[i]).push(e[task][metric])));
      model.dispose();
    }
  }
}
const minutes = (performance.now() - started) / 60000;
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs) => { const m = mean(xs); return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1)); };
const rows = Object.entries(results).map(([k, v]) => `| ${k} | ${v.map((xs) => `${mean(xs).toFixed(3)} ± ${std(xs).toFixed(3)}`).join(' | ')} |`);
// Paired per-seed differences against the supervised-only model of the same architecture.
const verdicts = [];
for (const [archName] of ARCHS) {
  const base = results[`${archName}, supervised only`];
  for (const [variant] of VARIANTS.slice(1)) {
    const v = results[`${archName}, ${variant}`];
    const parts = METRICS.map(([, , label], i) => {
      const d = v[i].map((x, s) => x - base[i][s]);
      const wins = d.filter((x) => x > 0).length;
      return `${label} ${mean(d) >= 0 ? '+' : ''}${mean(d).toFixed(3)} (better on ${wins}/${d.length} seeds)`;
    });
    verdicts.push(`- ${archName} ${variant}: ${parts.join('; ')}.`);
  }
}
const md = [
  '# Unlabeled rows in multi-task training: penguins with 90% of the labels hidden',
  '',
  `Written by \`npm run table:semi\` on ${new Date().toISOString().slice(0, 10)} (node ${process.version}) in ${minutes.toFixed(1)} minutes.`,
  `Ten stratified 80/20 splits of examples/data/penguins.csv (seeds 0–9); in each training split ${HIDDEN * 100}% of every task's labels are hidden`,
  `(independently per task, seeded), leaving about ${Math.round(labeledRows)} of ${Math.round(data.rows * 0.8)} rows labeled per task; every row still trains the`,
  'unsupervised tasks. Adam 0.01, batch 32, 150 epochs, no early stopping (there is too little labeled data to hold out). Test metrics on the',
  'fully labeled test split, mean ± std over the seeds.',
  '',
  `| model | ${METRICS.map((m) => m[2]).join(' | ')} |`,
  `|---|${METRICS.map(() => '---:').join('|')}|`,
  ...rows,
  '',
  '## Paired differences from supervised-only (same architecture, same seed)',
  '',
  ...verdicts,
  '',
].join('\n');
await mkdir(new URL('../docs/', import.meta.url), { recursive: true });
await writeFile(new URL('../docs/semi-supervised.md', import.meta.url), md);
console.log(md);
