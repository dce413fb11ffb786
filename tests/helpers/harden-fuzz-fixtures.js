// The models tests/unit/harden-modelfile.test.js mutates: five small networks
// covering every architecture family, task kind, task-to-task inputs, a Dataset
// with its preprocessing and plain arrays, each saved with f32, f16 and int8
// weights, and the fixed rows their predictions are compared on.
import { readFileSync } from 'node:fs';

const PENGUINS = new URL('../../examples/data/penguins.csv', import.meta.url);
const X = Array.from({ length: 40 }, (_, i) => [Math.sin(i), Math.cos(1.3 * i), ((i % 5) - 2) / 2]);

/** [{ name, files: { f32, f16, int8 }, rows }] trained for one epoch with a fixed seed. */
export async function makeModelFiles(mt) {
  const { MultiTaskModel, Dataset, tasks } = mt;
  const out = [];
  const keep = (name, model, rows, metadata) => {
    const files = Object.fromEntries(['f32', 'f16', 'int8'].map((w) => [w, model.save({ weights: w, metadata })]));
    out.push({ name, files, rows });
    model.dispose();
  };

  // A Dataset: preprocessing (numeric, categorical, missing values), class names, a regression head reading another task.
  const data = Dataset.fromCSV(readFileSync(PENGUINS, 'utf8'), {
    features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
    targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
  });
  const p = new MultiTaskModel({
    input: data, seed: 3, architecture: { type: 'sharedBottom', units: [8], towerUnits: [4], activation: 'elu', dropout: 0.1 },
    tasks: [tasks.multiclass('species', { headUnits: [3], headActivation: 'gelu' }), tasks.binary('sex'), tasks.regression('body_mass_g', { inputsFrom: ['sex'] })],
  });
  await p.fit(data, { epochs: 1, batchSize: 64 });
  keep('sharedBottom (penguins Dataset)', p, [
    { bill_length_mm: 39.1, bill_depth_mm: 18.7, flipper_length_mm: 181, island: 'Torgersen' },
    { bill_length_mm: 46.5, bill_depth_mm: 15.2, flipper_length_mm: 219, island: 'Biscoe' },
    { bill_length_mm: null, bill_depth_mm: 17, flipper_length_mm: '200', island: 'Dream' },
    { bill_length_mm: 52, bill_depth_mm: 19.5, flipper_length_mm: 197, island: '' },
  ], { source: 'penguins', n: 344 });

  // Arrays: MMoE with multilabel, multiclass (a count) and regression; a task named like an Object.prototype key.
  const a = new MultiTaskModel({
    input: { features: ['a', 'b', 'c'], classes: { tags: ['red', 'blue'], constructor: 3 } }, seed: 5,
    architecture: { type: 'mmoe', experts: 2, expertUnits: [6], towerUnits: [3], activation: 'tanh' },
    tasks: [tasks.multilabel('tags'), tasks.multiclass('constructor'), tasks.regression('spend', { inputsFrom: ['tags'] })],
    weighting: { type: 'uncertainty' },
  });
  await a.fit(X, {
    tags: X.flatMap((r) => [r[0] > 0 ? 1 : 0, r[1] > 0 ? 1 : 0]), constructor: X.map((_, i) => i % 3), spend: X.map((r) => 50 + 20 * r[2]),
  }, { epochs: 1, batchSize: 16 });
  const rows = X.slice(0, 5);
  keep('mmoe (arrays)', a, rows);

  // PLE, two levels, with task experts; binary and regression.
  const b = new MultiTaskModel({
    input: { features: 3 }, seed: 7, architecture: { type: 'ple', levels: 2, sharedExperts: 1, taskExperts: 1, expertUnits: [4], towerUnits: [] },
    tasks: [tasks.binary('flag'), tasks.regression('amount', { headUnits: [3] })], weighting: { type: 'dwa' },
  });
  await b.fit(X, { flag: X.map((r) => (r[0] > 0 ? 1 : 0)), amount: X.map((r) => 1e4 * r[1] - 3e3) }, { epochs: 1, batchSize: 16 });
  keep('ple (arrays)', b, rows);

  // Cross-stitch; leaky ReLU.
  const c = new MultiTaskModel({
    input: { features: 3 }, seed: 9, architecture: { type: 'crossStitch', units: [5, 4], towerUnits: [2], alphaDiagonal: 0.7, activation: 'leakyRelu' },
    tasks: [tasks.binary('u'), tasks.regression('v')],
  });
  await c.fit(X, { u: X.map((r) => (r[2] > 0 ? 1 : 0)), v: X.map((r) => r[0] - r[1]) }, { epochs: 1, batchSize: 16 });
  keep('crossStitch (arrays)', c, rows);

  // CGC with the unsupervised heads, and OMoE.
  const d = new MultiTaskModel({
    input: { features: 3 }, seed: 11, architecture: { type: 'cgc', sharedExperts: 1, taskExperts: 1, expertUnits: [4], towerUnits: [], activation: 'softplus' },
    tasks: [tasks.binary('flag'), tasks.reconstruction('recon'), tasks.clustering('groups', { clusters: 3 })],
  });
  await d.fit(X, { flag: X.map((r) => (r[0] > 0 ? 1 : 0)) }, { epochs: 1, batchSize: 16 });
  keep('cgc (reconstruction, clustering)', d, rows);
  const e = new MultiTaskModel({
    input: { features: 3, classes: { m: ['p', 'q', 's'] } }, seed: 13, architecture: { type: 'omoe', experts: 2, expertUnits: [4, 3], towerUnits: [], activation: 'sigmoid' },
    tasks: [tasks.regression('r'), tasks.multiclass('m')],
  });
  await e.fit(X, { r: X.map((r) => r[2]), m: X.map((_, i) => i % 3) }, { epochs: 1, batchSize: 16 });
  keep('omoe (arrays)', e, rows);
  return out;
}
