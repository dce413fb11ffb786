// npm run table:ensembles — writes the tables of docs/ensembles.md: on the bundled
// Palmer penguins and Seattle weather tables, five seeded stratified splits, a
// single model beside bagged, weighted and ranked ensembles of five members and
// the student distilled from the weighted ensemble — test metrics (mean ± std over
// the seeds) and file sizes.
//
//   node scripts/ensembles-table.mjs [--quick]
//
// --quick (two seeds, 10 epochs, no file written) checks that it runs.
import { init, MultiTaskModel, Ensemble, distill } from '../dist/node.js';
import { tableDatasets, datasetSection, writeDocTables, mean, std } from './table-datasets.mjs';

const QUICK = process.argv.includes('--quick');
const SEEDS = QUICK ? [0, 1] : [0, 1, 2, 3, 4];
const EPOCHS = QUICK ? 10 : 60;
const MEMBERS = 5, K = 3, TEMPERATURE = 2;
const FIT = { epochs: EPOCHS, batchSize: 32 };
const SPEC = { architecture: { type: 'sharedBottom', units: [32], towerUnits: [16] }, optimizer: { type: 'adam', learningRate: 0.01 } };
const VARIANTS = ['single model', `bagged (${MEMBERS}, mean)`, `weighted (${MEMBERS}, fitted)`, `ranked (top ${K} of ${MEMBERS})`, 'distilled student'];

await init();
const DATASETS = await tableDatasets();
const started = Date.now();
const sections = [];

for (const set of DATASETS) {
  // results[variant] = { metrics: [[per seed]…], bytes: [per seed] }
  const results = VARIANTS.map(() => ({ metrics: set.metrics.map(() => []), bytes: [], oob: [] }));
  for (const seed of SEEDS) {
    const [trainAll, test] = set.data.split(0.8, { seed, stratify: set.stratify });
    // The last 20% of the training rows choose the weights and the ranking; every model trains on the rest.
    const [train, valid] = trainAll.split(0.8, { seed: seed + 100, stratify: set.stratify });
    const spec = { ...SPEC, tasks: set.tasks(), seed };
    const single = new MultiTaskModel({ ...spec, input: train });
    await single.fit(train, FIT);
    const bagged = await Ensemble.train(spec, train, { members: MEMBERS, seed, fit: FIT });
    const weighted = new Ensemble(bagged.models);
    weighted.fitWeights(valid);
    const ranked = new Ensemble(bagged.models);
    ranked.rank(valid, { k: K });
    const { student } = await distill(weighted, spec, train, { temperature: TEMPERATURE, fit: FIT });
    [single, bagged, weighted, ranked, student].forEach((m, v) => {
      const e = m.evaluate(test);
      set.metrics.forEach(([task, metric], j) => results[v].metrics[j].push(e.tasks[task][metric]));
      results[v].bytes.push(m.save().length);
    });
    set.metrics.forEach(([task, metric], j) => results[1].oob.push([j, bagged.outOfBag.tasks[task][metric]]));
    single.dispose();
    bagged.dispose();
    student.dispose();
  }
  sections.push(section(set, results));
  console.log(`${set.name}: done`);
}


function section(set, results) {
  const head = ['', ...set.metrics.map(([, , label]) => label), 'file (KB)'];
  const rows = results.map((r, v) => [
    VARIANTS[v],
    ...set.metrics.map((m, j) => `${mean(r.metrics[j]).toFixed(m[3])} ± ${std(r.metrics[j]).toFixed(m[3])}`),
    (mean(r.bytes) / 1000).toFixed(1),
  ]);
  const oob = set.metrics.map((m, j) => mean(results[1].oob.filter(([i]) => i === j).map(([, x]) => x)).toFixed(m[3]));
  rows.push(['bagged, out-of-bag', ...oob, '']);
  return datasetSection(set, head, rows);
}

const tables = sections.join('\n\n');
console.log(tables);
if (!QUICK) await writeDocTables('ensembles.md', 'ensembles', 'table:ensembles', tables);
console.log(`done in ${((Date.now() - started) / 60000).toFixed(1)} min`);
