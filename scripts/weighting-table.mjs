// npm run table:weighting — writes docs/weighting.md: every weighting strategy
// (on a shared-bottom network) beside single-task baselines, on the bundled Palmer
// penguins and Seattle weather tables, mean ± std per task metric over five seeded
// stratified splits, and which strategies differ from equal weighting by a paired
// t-test over the seeds. Replaces the earlier penguins-only table (docs/penguins.md).
//
//   node scripts/weighting-table.mjs [--quick] [--only type,type…]
//
// --quick (two seeds, 20 epochs, no file written) checks that it runs.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { init, MultiTaskModel, WEIGHTING_TYPES } from '../dist/node.js';
import { tableDatasets } from './table-datasets.mjs';

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const onlyAt = args.indexOf('--only');
const ONLY = onlyAt >= 0 ? args[onlyAt + 1].split(',') : null;
const SEEDS = QUICK ? [0, 1] : [0, 1, 2, 3, 4];
const FIT = { epochs: QUICK ? 20 : 200, batchSize: 32, validationSplit: 0.15, earlyStopping: { patience: 20 } };
const OPTIMIZER = { type: 'adam', learningRate: 0.01 };
const ARCH = { type: 'sharedBottom', units: [32], towerUnits: [16] };
const MMOE = { type: 'mmoe', experts: 4, expertUnits: [16], towerUnits: [8] };
// Paired two-sided t-test over the seeds at the 5% level: t(0.975; n − 1 degrees of freedom).
const T_CRITICAL = { 1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571 };

// The fixed part of the page: which gradients the strategies compare (docs/weighting.md, the README).
const GRADIENT_SOURCES = [
  "## Which gradients a strategy compares",
  "",
  "The gradient strategies compare the tasks' gradients of the shared representation Z (dL_t/dZ: one backward per task part, LibMTL's `rep_grad=True`) or of the shared parameters (dL_t/dθ: one backward of the shared part per task, LibMTL's default). Each strategy has a default (the README's table); `'either'` means the representation unless the model's `gradients` option says `'parameters'`.",
  "",
  "Comparing gradients of Z means something only where two tasks' gradients can overlap there. The model reads off its description which columns of Z each task's gradient reaches: those its task part and head read, and those of the tasks whose predictions it reads and backpropagates into (`src/mtl/overlap.ts`).",
  "",
  "| architecture | what a task reads of Z | do the tasks' gradients of Z overlap? |",
  "|---|---|---|",
  "| sharedBottom, omoe, conv1d, transformer | all of it | yes |",
  "| mmoe, dselectK, ltb | a mix over every block | yes¹ |",
  "| cgc, ple | the shared experts (at least one) and its own | yes, on the shared experts |",
  "| crossStitch | its own column's block alone | never |",
  "",
  "On crossStitch the Gram matrix of the gradients of Z is diagonal whatever the data: MGDA, IMTL and Aligned-MTL would see orthogonal tasks, GradDrop no coordinate with two signs to choose from (it trained exactly as `fixed` while logging kept fractions of 1/3), and the affinity would be the identity. So on an architecture where two tasks' gradients of Z cannot overlap:",
  "",
  "- `'either'`, the default of `gradnorm`, `mgda`, `imtl`, `alignedmtl` and `graddrop`, means the shared parameters' gradients (on crossStitch the columns and the cross-stitch units' α: every column reaches every task through α);",
  "- `gradients: 'representation'`, in the strategy's spec or as the model's option, is refused with an `ArgumentError` naming two such tasks;",
  "- `model.taskAffinity()` is the mean cosine of the tasks' shared-parameter gradients.",
  "",
  "A head that reads another task's predictions (`inputsFrom`) reaches that task's block too; when every pair of tasks then shares a column, the representation stays the default. GradDrop's default was `'representation'` before, and a model file saved so for crossStitch names it: such a file is refused on load (a `ModelFormatError` with the reason).",
  "",
  "¹ A softmax gate gives every expert some weight, so every task reads every block. DSelect-k's selectors, and LTB's parent choices at a low temperature, can settle on weights of exactly 0, and two tasks then share no expert; their shared-parameter gradients share nothing either. That is the trained network, not the architecture: the comparison stays on Z.",
];

await init();
const DATASETS = await tableDatasets();

const STRATEGIES = (ONLY ?? WEIGHTING_TYPES).map((type) => ({ label: type, weighting: { type } }));
const started = performance.now();
const sections = [];
for (const set of DATASETS) {
  const configs = [
    { label: 'single-task', single: true },
    ...(ONLY ? [] : [{ label: 'MMoE, fixed', architecture: MMOE, weighting: { type: 'fixed' } }]),
    ...STRATEGIES,
  ];
  const results = new Map(); // label → per metric: values over seeds
  for (const config of configs) {
    const values = set.metrics.map(() => []);
    for (const seed of SEEDS) {
      const [train, test] = set.data.split(0.8, { seed, stratify: set.stratify });
      const evals = {};
      for (const taskList of config.single ? set.tasks().map((t) => [t]) : [set.tasks()]) {
        const model = new MultiTaskModel({
          input: train, architecture: config.architecture ?? ARCH, tasks: taskList, optimizer: OPTIMIZER, seed, affinity: false,
          ...(config.weighting ? { weighting: config.weighting } : {}),
        });
        await model.fit(train, { ...FIT, seed, labeledOnly: Boolean(config.single) });
        Object.assign(evals, model.evaluate(test).tasks);
        model.dispose();
      }
      set.metrics.forEach(([task, metric], i) => values[i].push(evals[task][metric]));
    }
    results.set(config.label, values);
    console.log(`${set.name} | ${config.label} | ${values.map((v, i) => cell(v, set.metrics[i][3])).join(' | ')}`);
  }
  sections.push(section(set, configs, results));
}
const minutes = (performance.now() - started) / 60000;
console.log(`done in ${minutes.toFixed(1)} min`);
if (QUICK || ONLY) process.exit(0);

const md = [
  '# Weighting strategies on penguins and Seattle weather',
  '',
  `Written by \`npm run table:weighting\` (scripts/weighting-table.mjs) on ${new Date().toISOString().slice(0, 10)}, node ${process.version}; ` +
    'the metrics are deterministic (the same seeds give the same numbers on every run and runtime). ' +
    `Every one of the ${WEIGHTING_TYPES.length} strategies with its defaults, on the same shared-bottom network (a trunk of 32, towers of 16), ` +
    `beside single-task baselines (the same network with one task, trained on the rows with that task's label: \`labeledOnly\`) ` +
    'and MMoE with equal weights (4 experts of 16, towers of 8). ' +
    `Five stratified 80/20 splits (seeds ${SEEDS[0]}–${SEEDS.at(-1)}; the model seed is the split's); Adam 0.01, batch 32, up to ${FIT.epochs} epochs with ` +
    `early stopping (patience ${FIT.earlyStopping.patience} on the summed validation loss of 15% of the training rows, best weights restored); ` +
    'test metrics, mean ± std over the seeds. Accuracy, F1, AUC and R²: higher is better; MAE: lower.',
  '',
  'A strategy **helps** (▲) or **hurts** (▼) a metric here when it differs from equal weighting (`fixed`, LibMTL\'s EW) by a paired t-test over the ' +
    'five seeds (the same split and initialization for both) at the 5% level: |mean difference| > 2.776 · std(differences)/√5. With five seeds ' +
    'only large, consistent differences pass; a blank means no such difference, not proof of none.',
  '',
  ...sections.flat(),
  '## Reading it',
  '',
  ...verdict(),
  '',
  ...GRADIENT_SOURCES,
  '',
].join('\n');
await mkdir(new URL('../docs/', import.meta.url), { recursive: true });
await writeFile(new URL('../docs/weighting.md', import.meta.url), md);
console.log('wrote docs/weighting.md');

function section(set, configs, results) {
  const base = results.get('fixed');
  const lines = [
    `## ${set.name}`,
    '',
    `${set.data.rows} rows (examples/data/${set.file}); ${set.about}.`,
    '',
    `| strategy | ${set.metrics.map((m) => m[2]).join(' | ')} | vs equal weighting |`,
    `|---|${set.metrics.map(() => '---:').join('|')}|---|`,
  ];
  for (const config of configs) {
    const values = results.get(config.label);
    const marks = config.label === 'fixed' ? [] : set.metrics.map((m, i) => mark(values[i], base[i], m[1]));
    const cells = values.map((v, i) => `${cell(v, set.metrics[i][3])}${marks[i] ? ` ${marks[i]}` : ''}`);
    const summary = config.label === 'fixed' ? '(the reference)' : set.metrics.map((m, i) => (marks[i] ? `${marks[i]} ${m[2]}` : '')).filter(Boolean).join(', ');
    lines.push(`| ${config.label} | ${cells.join(' | ')} | ${summary} |`);
  }
  lines.push('');
  set.results = results;
  return lines;
}

/** ▲ / ▼ when the paired differences from the reference pass the t-test (MAE: lower is better). */
function mark(values, base, metric) {
  const d = values.map((v, i) => v - base[i]);
  const n = d.length, m = mean(d), s = std(d);
  const significant = s === 0 ? m !== 0 : Math.abs(m) > (T_CRITICAL[n - 1] * s) / Math.sqrt(n);
  if (!significant) return '';
  return (metric === 'mae' ? m < 0 : m > 0) ? '▲' : '▼';
}

function verdict() {
  const out = [];
  let tests = 0, marked = 0;
  for (const set of DATASETS) {
    const base = set.results.get('fixed');
    for (const [label, values] of set.results) {
      if (label === 'fixed' || label === 'single-task' || label.startsWith('MMoE')) continue;
      set.metrics.forEach((m, i) => { tests++; if (mark(values[i], base[i], m[1])) marked++; });
    }
  }
  out.push(`Of the ${tests} comparisons of a strategy with equal weighting on one metric, ${marked} pass the test; at the 5% level chance alone ` +
    `would pass about ${Math.round(0.05 * tests)} of them when no strategy makes any difference. ${marked <= 0.075 * tests
      ? 'That is no more than chance would give: these tables show no strategy that reliably helps or hurts, and the marks below are where to look first on data of your own, not findings.'
      : 'That is more than chance would give: the marked strategies below differ from equal weighting on these tables.'}`, '');
  for (const set of DATASETS) {
    const base = set.results.get('fixed');
    const helps = [], hurts = [];
    for (const [label, values] of set.results) {
      if (label === 'fixed' || label === 'single-task' || label.startsWith('MMoE')) continue;
      const up = [], down = [];
      set.metrics.forEach((m, i) => {
        const k = mark(values[i], base[i], m[1]);
        if (k === '▲') up.push(m[2]);
        if (k === '▼') down.push(m[2]);
      });
      if (up.length) helps.push(`${label} (${up.join(', ')})`);
      if (down.length) hurts.push(`${label} (${down.join(', ')})`);
    }
    const against = (label) => {
      const values = set.results.get(label);
      const diffs = set.metrics.map((m, i) => { const k = mark(values[i], base[i], m[1]); return k ? `${k === '▲' ? 'better' : 'worse'} ${m[2]}` : ''; }).filter(Boolean);
      return diffs.length ? diffs.join(', ') : 'no difference that passes the test';
    };
    out.push(`- ${set.name}, the baselines against shared-bottom with equal weights: single-task — ${against('single-task')}; MMoE — ${against('MMoE, fixed')}.`);
    out.push(`- ${set.name}: ${helps.length ? `better than equal weighting — ${helps.join('; ')}` : 'no strategy is better than equal weighting on any metric'}. ` +
      `${hurts.length ? `Worse — ${hurts.join('; ')}.` : 'None is worse.'}`);
  }
  return out;
}

function cell(v, digits) { return `${mean(v).toFixed(digits)} ± ${std(v).toFixed(digits)}`; }
function mean(xs) { return xs.reduce((a, b) => a + b, 0) / xs.length; }
function std(xs) { const m = mean(xs); return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1)); }
