// bun examples/bun/train.ts
// Trains a multi-task model on the bundled penguins, saves it, loads it back and predicts.
// (In your own project: import { … } from 'manytask'.)
import { init, Dataset, MultiTaskModel, tasks, loadModel, formatEvaluation } from '../../dist/node.js';

await init(); // reads manytask.wasm next to dist/node.js
const csv = await Bun.file(new URL('../data/penguins.csv', import.meta.url)).text();
const data = Dataset.fromCSV(csv, {
  features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
  targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
});
const [train, test] = data.split(0.8, { seed: 1, stratify: 'species' });
const model = new MultiTaskModel({
  input: train,
  architecture: { type: 'sharedBottom', units: [32], towerUnits: [16] },
  tasks: [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')],
  optimizer: { type: 'adam', learningRate: 0.01 },
  seed: 1,
});
await model.fit(train, { epochs: 150, validationSplit: 0.15, earlyStopping: { patience: 25 } });
console.log(formatEvaluation(model.evaluate(test)));
const file = `${import.meta.dir}/penguins.mtsk`;
await Bun.write(file, model.save());
const again = loadModel(new Uint8Array(await Bun.file(file).arrayBuffer()));
const p = again.predict([{ bill_length_mm: 46.5, bill_depth_mm: 15.2, flipper_length_mm: 219, island: 'Biscoe' }]);
console.log(`saved ${file}; reloaded, it predicts species ${p.species.classes[0]}, sex ${p.sex.classes[0]}, body mass ${Math.round(p.body_mass_g.values[0])} g`);
model.dispose();
again.dispose();
