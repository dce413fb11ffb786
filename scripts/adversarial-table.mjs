// npm run table:adversarial — writes the adversarial-training tables of
// docs/ensembles.md: on the bundled Palmer penguins and Seattle weather tables, five
// seeded stratified splits, a model trained on clean rows beside one trained with
// PGD (fit's `adversarial`), each evaluated on the clean test rows and under PGD at
// three values of ε — test metrics, mean ± std over the seeds.
//
//   node scripts/adversarial-table.mjs [--quick]
//
// --quick (two seeds, 10 epochs, no file written) checks that it runs.
import { init, MultiTaskModel } from '../dist/node.js';
import { tableDatasets, datasetSection, writeDocTables, mean, std } from './table-datasets.mjs';

const QUICK = process.argv.includes('--quick');
const SEEDS = QUICK ? [0, 1] : [0, 1, 2, 3, 4];
const EPOCHS = QUICK ? 10 : 60;
const FIT = { epochs: EPOCHS, batchSize: 32 };
const SPEC = { architecture: { type: 'sharedBottom', units: [32], towerUnits: [16] }, optimizer: { type: 'adam', learningRate: 0.01 } };
/** Training: PGD at ε = 0.1 (standard deviations of each numeric feature), 5 steps, every row of every batch. */
const TRAIN_ATTACK = { method: 'pgd', epsilon: 0.1, steps: 5 };
/** Evaluation: PGD with 10 steps (step 2.5·ε/10, a random start) at each ε. */
const EPSILONS = [0.05, 0.1, 0.25];
const EVAL_STEPS = 10;
const MODELS = ['clean training', `PGD training (ε ${TRAIN_ATTACK.epsilon}, ${TRAIN_ATTACK.steps} steps)`];
const EVALS = ['clean', ...EPSILONS.map((e) => `PGD ε ${e}`)];

await init();
const DATASETS = await tableDatasets();
const started = Date.now();
const sections = [];

for (const set of DATASETS) {
  // results[model][evaluation][metric] = per seed
  const results = MODELS.map(() => EVALS.map(() => set.metrics.map(() => [])));
  for (const seed of SEEDS) {
    const [train, test] = set.data.split(0.8, { seed, stratify: set.stratify });
    for (const [m, adversarial] of [null, TRAIN_ATTACK].entries()) {
      const model = new MultiTaskModel({ ...SPEC, tasks: set.tasks(), seed, input: train });
      await model.fit(train, { ...FIT, ...(adversarial ? { adversarial } : {}) });
      EVALS.forEach((_, v) => {
        const attack = v === 0 ? undefined : { method: 'pgd', epsilon: EPSILONS[v - 1], steps: EVAL_STEPS, seed };
        const e = model.evaluate(test, attack ? { attack } : undefined);
        set.metrics.forEach(([task, metric], j) => results[m][v][j].push(e.tasks[task][metric]));
      });
      model.dispose();
    }
  }
  sections.push(section(set, results));
  console.log(`${set.name}: done`);
}

function section(set, results) {
  const head = ['trained', 'evaluated', ...set.metrics.map(([, , label]) => label)];
  const rows = results.flatMap((byEval, m) => byEval.map((metrics, v) => [
    v === 0 ? MODELS[m] : '', EVALS[v],
    ...set.metrics.map((x, j) => `${mean(metrics[j]).toFixed(x[3])} ± ${std(metrics[j]).toFixed(x[3])}`),
  ]));
  return datasetSection(set, head, rows);
}

const tables = sections.join('\n\n');
console.log(tables);
if (!QUICK) await writeDocTables('ensembles.md', 'adversarial', 'table:adversarial', tables);
console.log(`done in ${((Date.now() - started) / 60000).toFixed(1)} min`);
