// deno run --allow-read examples/deno/train.ts
// Trains a multi-task model on the bundled penguins and predicts a new bird.
// (In your own project: import { … } from 'npm:manytask'.)
import { init, Dataset, MultiTaskModel, tasks, formatEvaluation } from '../../dist/web.js';

await init(); // fetches manytask.wasm next to dist/web.js (file: URLs work in Deno)
const csv = await Deno.readTextFile(new URL('../data/penguins.csv', import.meta.url));
const data = Dataset.fromCSV(csv, {
  features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
  targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
});
const [train, test] = data.split(0.8, { seed: 1, stratify: 'species' });
const model = new MultiTaskModel({
  input: train,
  architecture: { type: 'mmoe', experts: 4, expertUnits: [16], towerUnits: [8] },
  tasks: [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')],
  optimizer: { type: 'adam', learningRate: 0.01 },
  seed: 1,
});
await model.fit(train, { epochs: 150, validationSplit: 0.15, earlyStopping: { patience: 25 } });
console.log(formatEvaluation(model.evaluate(test)));
const p = model.predict([{ bill_length_mm: 46.5, bill_depth_mm: 15.2, flipper_length_mm: 219, island: 'Biscoe' }]);
console.log(`species ${p.species.classes[0]}, sex ${p.sex.classes[0]}, body mass ${Math.round(p.body_mass_g.values[0])} g`);
model.dispose();
