// sweep(): runs over seeds, a grid and folds, one per worker thread. Each run's
// history, metrics and saved model equal those of the same run done one after
// another on the calling thread, and those of the run written out by hand with
// the public API; folds partition the rows; bad options and failing runs are
// typed errors naming what and which run. Runs unchanged under Node, Deno and Bun.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  init, sweep, Dataset, MultiTaskModel, tasks, loadModel, ArgumentError, ManytaskError,
} from '../../dist/index.js';
import { jobWorkerSetup } from '../../dist/internal.js';
import { typedError } from '../helpers/errors.js';

const PENGUINS = readFileSync(new URL('../../examples/data/penguins.csv', import.meta.url), 'utf8');
let train, testSet;

const MODEL = {
  architecture: { type: 'sharedBottom', units: [12], towerUnits: [] },
  tasks: [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')],
  optimizer: { type: 'adam', learningRate: 0.01 },
  seed: 3,
};
const FIT = { epochs: 3, batchSize: 32 };

before(async () => {
  await init({ threads: 3 });
  const data = Dataset.fromCSV(PENGUINS, {
    features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
    targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
  });
  [train, testSet] = data.split(0.8, { seed: 1, stratify: 'species' });
}, { timeout: 60_000 });

/** A run without its wall-clock times, the model file as an array: what must not depend on where it ran. */
function portable(run) {
  const { seconds, epochs, model, ...rest } = run;
  return { ...rest, epochs: epochs.map(({ seconds: s, ...e }) => e), model: model === undefined ? undefined : Array.from(model) };
}

test('seeds × grid on worker threads: every run equals the same run on the calling thread, and the run by hand', { timeout: 120_000 }, async () => {
  const spec = {
    model: MODEL, fit: FIT, data: train, test: testSet, keepModels: true,
    seeds: [1, 2],
    grid: { 'model.weighting': [{ type: 'fixed' }, { type: 'uncertainty' }], 'fit.batchSize': [16, 64] },
  };
  assert.notEqual(await jobWorkerSetup('sweep-worker.js'), null, 'the runs go to worker threads here');
  const parallel = await sweep(spec);
  const one = await sweep({ ...spec, threads: 1 });
  assert.equal(parallel.length, 8);
  assert.deepEqual(parallel.map(portable), one.map(portable));
  // Order: the first grid path slowest, then the next, then seeds.
  assert.deepEqual(parallel.map((r) => [r.params['model.weighting'].type, r.params['fit.batchSize'], r.seed]), [
    ['fixed', 16, 1], ['fixed', 16, 2], ['fixed', 64, 1], ['fixed', 64, 2],
    ['uncertainty', 16, 1], ['uncertainty', 16, 2], ['uncertainty', 64, 1], ['uncertainty', 64, 2],
  ]);
  assert.notDeepEqual(parallel[0].evaluation, parallel[1].evaluation, 'the seeds give different models');

  // Run 6 (uncertainty, batch 64, seed 1) by hand.
  const model = new MultiTaskModel({ ...MODEL, weighting: { type: 'uncertainty' }, seed: 1, input: train });
  const history = await model.fit(train, { ...FIT, batchSize: 64 });
  const run = parallel[6];
  assert.deepEqual(run.evaluation, model.evaluate(testSet));
  assert.deepEqual(run.epochs.map((e) => e.loss), history.epochs.map((e) => e.loss));
  assert.deepEqual(Array.from(run.model), Array.from(model.save()));
  // A kept model loads and predicts as the one trained by hand.
  const loaded = loadModel(run.model);
  const rows = [{ bill_length_mm: 46.5, bill_depth_mm: 15.2, flipper_length_mm: 219, island: 'Biscoe' }];
  assert.deepEqual(loaded.predict(rows), model.predict(rows));
  loaded.dispose();
  model.dispose();
});

test('folds: k runs, each trained on the other folds and evaluated on its own; the folds partition the rows', { timeout: 120_000 }, async () => {
  const runs = await sweep({ model: MODEL, fit: { epochs: 1 }, data: train, folds: 4, foldSeed: 7 });
  assert.deepEqual(runs.map((r) => r.fold), [0, 1, 2, 3]);
  for (const r of runs) assert.ok(r.evaluation !== null && Number.isFinite(r.evaluation.loss));
  // Fold f of 4 over n rows after the seeded shuffle: the first n % 4 folds one row longer (every row has a species).
  const n = train.rows;
  assert.deepEqual(runs.map((r) => r.evaluation.tasks.species.rows), [0, 1, 2, 3].map((f) => Math.floor(n / 4) + (f < n % 4 ? 1 : 0)));
  // Fold 0 by hand: the first rows of the same shuffle (Dataset.split's, seed 7) held out, the rest trained on in order.
  const size0 = Math.floor(n / 4) + (n % 4 > 0 ? 1 : 0);
  const position = new Map(Array.from(train.sourceRows, (src, i) => [src, i]));
  const heldAt = new Set(Array.from(train.split(size0 / n, { seed: 7 })[0].sourceRows, (src) => position.get(src)));
  const rows = (inHeld) => Array.from({ length: n }, (_, i) => i).filter((i) => heldAt.has(i) === inHeld);
  const model = new MultiTaskModel({ ...MODEL, input: train.select(rows(false)) });
  await model.fit(train.select(rows(false)), { epochs: 1 });
  assert.deepEqual(runs[0].evaluation, model.evaluate(train.select(rows(true))));
  model.dispose();
  const again = await sweep({ model: MODEL, fit: { epochs: 1 }, data: train, folds: 4, foldSeed: 7, threads: 1 });
  assert.deepEqual(runs.map(portable), again.map(portable));
});

test('sweep rejects bad options, naming them', { timeout: 60_000 }, async () => {
  const bad = async (extra, pattern) => {
    await assert.rejects(sweep({ model: MODEL, fit: FIT, data: train, ...extra }), typedError(ArgumentError, 'E_ARGUMENT', [pattern]), JSON.stringify(Object.keys(extra)));
  };
  await bad({ fit: { epochs: 1, callbacks: { onEpochEnd() {} } } }, /fit\.callbacks cannot run in a sweep/);
  await bad({ fit: { epochs: 1, validationData: train } }, /^sweep: fit\.validationData cannot be given to a sweep's runs .*use fit\.validationSplit, or test:/);
  await bad({ grid: { learningRate: [1] } }, /grid path "learningRate" must start with model\. or fit\./);
  await bad({ grid: { 'model.__proto__.x': [1] } }, /prototype/);
  await bad({ grid: { 'model.seed': [] } }, /grid\['model\.seed'\] must be a non-empty array/);
  await bad({ folds: 1 }, /folds must be an integer from 2/);
  await bad({ folds: 3, test: testSet }, /give folds or test, not both/);
  await bad({ seeds: [] }, /seeds must be a non-empty array/);
  await bad({ seeds: [-1] }, /seed/);
  await bad({ threads: 0 }, /threads must be an integer from 1 to 64/);
  await bad({ threads: 1e4 }, /threads must be an integer from 1 to 64/);
  await bad({ data: [[1, 2]] }, /data must be a Dataset/);
  await bad({ model: { ...MODEL, input: train } }, /model\.input is given by each run's data/);
  await bad({ grid: { 'model.optimizer': [{ type: 'adam', learningRate: () => 0.1 }] } }, /must be plain data to reach a worker thread/);
  await bad({ speed: 'fast' }, /unknown option "speed"/);
  // Both set the seed: seeds won, and the runs were labelled with the grid's seeds.
  await bad({ seeds: [1], grid: { 'model.seed': [5, 6] } }, /^sweep: seeds and grid\['model\.seed'\] both set each run's seed/);
});

test("grid over model.optimizer's options on a model with the default optimizer varies that optimizer (it threw 'unknown optimizer type undefined')", { timeout: 60_000 }, async () => {
  const { optimizer: _, ...model } = MODEL;
  const runs = await sweep({ model, fit: { epochs: 2, batchSize: 32 }, data: train, test: testSet, threads: 1, grid: { 'model.optimizer.learningRate': [1e-3, 1e-2] } });
  for (const [i, learningRate] of [1e-3, 1e-2].entries()) {
    const m = new MultiTaskModel({ ...model, input: train, optimizer: { type: 'adam', learningRate } });
    await m.fit(train, { epochs: 2, batchSize: 32 });
    assert.deepEqual(runs[i].params, { 'model.optimizer.learningRate': learningRate });
    assert.equal(runs[i].evaluation.loss, m.evaluate(testSet).loss, `run ${i} is adam at ${learningRate}`);
    m.dispose();
  }
  assert.notEqual(runs[0].evaluation.loss, runs[1].evaluation.loss);
});

test('a run that fails rejects the sweep with an error of its code, naming the run', { timeout: 60_000 }, async () => {
  await assert.rejects(
    sweep({ model: MODEL, fit: FIT, data: train, grid: { 'model.architecture': [MODEL.architecture, { type: 'sharedBottom', units: [4] }] } }),
    (err) => err instanceof ManytaskError && err.code === 'E_ARGUMENT' &&
      /sweep run 1 \(model\.architecture = \{"type":"sharedBottom","units":\[4\]\}\).*towerUnits/.test(err.message),
  );
});
