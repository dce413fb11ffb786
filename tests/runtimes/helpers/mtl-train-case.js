// A seeded multi-task training run with the whole MultiTaskModel path: an MMoE
// with dropout, three task kinds (one reading another's prediction), missing
// labels, balanced class weights, uncertainty weighting (its log-variances
// trained too), Adam on a warm-up + cosine schedule, seeded shuffling, a
// validation split, f16 save and reload. Every runtime runs it with the same
// build; the weights, the per-epoch losses, the predictions and the saved file
// must agree bit for bit (Node vs workerd: tests/runtimes/worker-example.test.js).
// Runtime-neutral on purpose: no Node APIs, no imports but the data helpers
// (it receives the module namespace).
import { seededValues, f32ToHex } from './gemm-cases.js';

export const MTL_EPOCHS = 6;

export async function runMtlTraining(mt) {
  const { MultiTaskModel, tasks, loadModel } = mt;
  const rows = 96, inputs = 5;
  const xs = seededValues(rows * inputs, 101);
  const x = Array.from({ length: rows }, (_, i) => Array.from(xs.subarray(i * inputs, (i + 1) * inputs)));
  const labels = {
    click: x.map((r, i) => (i % 7 === 3 ? NaN : r[0] + 0.5 * r[1] > 0 ? 1 : 0)),
    kind: x.map((r, i) => (i % 5 === 1 ? null : r[2] > 0.3 ? 2 : r[2] > -0.3 ? 1 : 0)),
    spend: x.map((r, i) => (i % 4 === 2 ? undefined : 20 + 10 * r[3] - 5 * r[4] * r[0])),
  };
  const model = new MultiTaskModel({
    input: { features: inputs, classes: { kind: 3 } },
    architecture: { type: 'mmoe', experts: 3, expertUnits: [8], towerUnits: [6], activation: 'gelu', dropout: 0.1 },
    tasks: [
      tasks.binary('click', { classWeights: 'balanced' }),
      tasks.multiclass('kind', { headUnits: [4] }),
      tasks.regression('spend', { inputsFrom: ['click'], loss: { type: 'huber', delta: 1 } }),
    ],
    weighting: { type: 'uncertainty' },
    optimizer: { type: 'adam', learningRate: 0.01 },
    seed: 2024,
  });
  const history = await model.fit(x, labels, {
    epochs: MTL_EPOCHS, batchSize: 16, validationSplit: 0.2, shuffle: true,
    learningRate: { type: 'cosine', learningRate: 0.02, decaySteps: 30, warmupSteps: 5 },
  });
  const weights = model.parameters.names().map((n) => f32ToHex(model.parameters.get(n))).join('');
  const saved = model.save({ weights: 'f16' });
  const back = loadModel(saved);
  const p = back.predict(x.slice(0, 12));
  const prediction = [f32ToHex(p.click.probabilities), f32ToHex(Float32Array.from(p.kind.probabilities.flat())), f32ToHex(p.spend.values)].join('');
  back.dispose();
  model.dispose();
  return {
    weights,
    losses: history.get('loss'),
    valLosses: history.get('val_loss'),
    taskWeights: history.get('spend_weight'),
    prediction,
    saved: Array.from(saved, (b) => b.toString(16).padStart(2, '0')).join(''),
  };
}
