// node examples/worker/train.mjs [--out path] [--weights f32|f16|int8]
// Trains the model the Worker serves: the penguins demo's MMoE (species,
// sex and body mass from bill, flipper and island) on a seeded 80 % split,
// reports it on the other 20 %, and saves it next to this file as model.mtsk
// with f16 weights (half the bytes; npm run accuracy:weights shows what that
// costs: nothing measurable on this model).
// (In your own project: import { … } from 'manytask'.)
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { init, Dataset, MultiTaskModel, tasks, formatEvaluation } from '../../dist/node.js';

const { values: args } = parseArgs({ options: { out: { type: 'string' }, weights: { type: 'string', default: 'f16' } } });
await init();
const csv = await readFile(new URL('../data/penguins.csv', import.meta.url), 'utf8');
const data = Dataset.fromCSV(csv, {
  features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
  targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
});
const [train, test] = data.split(0.8, { seed: 0, stratify: 'species' });
const model = new MultiTaskModel({
  input: train,
  architecture: { type: 'mmoe', experts: 4, expertUnits: [16], towerUnits: [8] },
  tasks: [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')],
  optimizer: { type: 'adam', learningRate: 0.01 },
  seed: 0,
});
await model.fit(train, { epochs: 200, batchSize: 32, validationSplit: 0.15, earlyStopping: { patience: 25 }, seed: 0 });
console.log(formatEvaluation(model.evaluate(test)));
const bytes = model.save({
  weights: args.weights,
  metadata: { dataset: 'Palmer penguins (examples/data/penguins.csv)', split: '80/20 stratified by species, seed 0', trainedBy: 'examples/worker/train.mjs' },
});
const out = args.out ?? new URL('./model.mtsk', import.meta.url);
await writeFile(out, bytes);
console.log(`saved ${bytes.length} bytes (${args.weights} weights) to ${out instanceof URL ? out.pathname : out}`);
model.dispose();
