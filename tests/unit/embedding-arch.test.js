// Embedded columns under every architecture whose task parts read the input
// (docs/embeddings.md, "Architectures"): MMoE's and CGC's gates, PLE's, DSelect-k's
// selectors read the embedding stage's output beside the shared experts, so the
// tables' gradient is the sum of every reader's. Checked against central
// differences of the training loss itself, table entry by table entry; then under
// a strategy that combines per-task gradients of the shared parameters (MGDA), where
// each task's share of the tables' gradient must include its own gates' part.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, Dataset, Preprocessor, MultiTaskModel, tasks, ArgumentError } from '../../dist/index.js';
import { assertClose } from '../helpers/reference.js';
import { centralDifferences } from '../helpers/check-op.js';
import { coreGradients } from '../helpers/mtl-reference.js';
import { expectError } from '../helpers/errors.js';

before(async () => { await init(); });

const TEAMS = ['Ajax', 'Benfica', 'Celtic', 'Dynamo', 'Everton', 'Fulham'];
const TEAM = { type: 'categorical', embed: { dim: 3, table: 'team' } };
const SPEC = { features: { home: TEAM, neutral: 'numeric', away: TEAM }, targets: { hg: 'regression', ag: 'regression', outcome: 'multiclass' } };

// Every pair of teams once: the encoded row [home's table row, neutral, away's table row] and its labels.
const rows = [], labels = { hg: [], ag: [], outcome: [] };
TEAMS.forEach((home, i) => TEAMS.forEach((away, j) => {
  if (i === j) return;
  const hg = (i * 7 + j * 3) % 4, ag = (i * 2 + j * 5) % 3;
  rows.push({ home, neutral: (i + j) % 2, away, hg, ag, outcome: hg > ag ? 'home' : hg < ag ? 'away' : 'draw' });
}));
const data = Dataset.fromRows(rows, SPEC);

const TANH = { activation: 'tanh', towerUnits: [3] };
// The architectures whose task parts read the input, and two whose do not (the tables learn through the trunk alone).
const ARCHS = [
  { type: 'mmoe', experts: 3, expertUnits: [4], ...TANH },
  { type: 'cgc', sharedExperts: 2, taskExperts: 1, expertUnits: [4], ...TANH },
  { type: 'ple', levels: 2, sharedExperts: 1, taskExperts: 1, expertUnits: [4, 3], ...TANH },
  { type: 'dselectK', experts: 4, k: 2, expertUnits: [4], gamma: 6, ...TANH },
  { type: 'sharedBottom', units: [5], ...TANH },
  { type: 'omoe', experts: 2, expertUnits: [4], ...TANH },
];

/**
 * The encoded rows and labels of the data, as the core takes them; the tasks not in
 * `keep` unlabeled. `repeat` copies of the 30 rows: 270 rows (9) are a batch of two
 * micro-shards (src/mtl/shards.ts), each summing its own tables' gradient.
 */
function batch(model, keep = ['hg', 'ag', 'outcome'], repeat = 1) {
  const { features } = Preprocessor.fit(data).transform(rows);
  assert.deepEqual([features[0], features[2]], [1, 2], 'Ajax v Benfica: table rows 1 and 2');
  const tile = (a) => Array.from({ length: repeat }, () => Array.from(a)).flat();
  const labels = Object.fromEntries(model.taskNames.map((n) => [n, tile(Array.from(data.target(n).values, (v) => (keep.includes(n) ? v : NaN)))]));
  return { x: Float32Array.from(tile(features)), rows: rows.length * repeat, labels };
}

/** dL/d(table) of the training loss, by the model and by central differences of the loss it reports. */
function tableGradients(model, weights, keep, repeat = 1) {
  const b = batch(model, keep, repeat);
  const { grads } = coreGradients(model, b);
  const p = model.parameters, start = p.get('embedding.team');
  const loss = (theta) => {
    p.set('embedding.team', theta);
    const { losses } = coreGradients(model, b);
    return model.taskNames.reduce((s, n, t) => s + (keep.includes(n) ? weights[n] * losses[t] : 0), 0);
  };
  const { grad: numeric } = centralDifferences(loss, start, 4e-3);
  p.set('embedding.team', start);
  return { actual: grads['embedding.team'], numeric, grads };
}

/** Gates and selectors start near uniform (DSelect-k's at ±0.05): scaled up, their part of the tables' gradient is one a check can miss. */
function widenGates(model) {
  const p = model.parameters;
  for (const name of p.names().filter((n) => n.startsWith('gate.'))) p.set(name, p.get(name).map((v) => v * 12));
}

const WEIGHTS = { hg: 0.5, ag: 1, outcome: 2 };
const threeTasks = () => [tasks.regression('hg', { weight: 0.5 }), tasks.regression('ag'), tasks.multiclass('outcome', { weight: 2 })];

for (const architecture of ARCHS) {
  test(`${architecture.type} with embedded columns: the tables' gradient matches central differences of the weighted training loss`, () => {
    const model = new MultiTaskModel({ input: data, architecture, tasks: threeTasks(), seed: 7, affinity: false });
    try {
      widenGates(model);
      const { actual, numeric } = tableGradients(model, WEIGHTS, ['hg', 'ag', 'outcome']);
      assert.ok(Math.max(...Array.from(numeric, Math.abs)) > 1e-3, 'the tables move the loss');
      // Row 0 (out of vocabulary) is used by no row here: its gradient is exactly zero.
      assert.deepEqual(Array.from(actual.subarray(0, 3)), [0, 0, 0]);
      assertClose(actual, numeric, { atol: 2e-4, rtol: 2e-2, label: architecture.type });
    } finally {
      model.dispose();
    }
  });
}

for (const architecture of ARCHS.slice(0, 4)) {
  test(`${architecture.type} with embedded columns, a batch of two micro-shards: the tables' gradient matches central differences`, () => {
    const model = new MultiTaskModel({ input: data, architecture, tasks: threeTasks(), seed: 7, affinity: false });
    try {
      widenGates(model);
      const { actual, numeric } = tableGradients(model, WEIGHTS, ['hg', 'ag', 'outcome'], 9);
      assert.ok(Math.max(...Array.from(numeric, Math.abs)) > 1e-3, 'the tables move the loss');
      assertClose(actual, numeric, { atol: 2e-4, rtol: 2e-2, label: `${architecture.type}, 270 rows` });
    } finally {
      model.dispose();
    }
  });
}

for (const repeat of [1, 9]) test(`MMoE with embedded columns under MGDA over the shared parameters (${30 * repeat} rows): each task's share of the tables' gradient includes its gates' part`, () => {
  const architecture = ARCHS[0];
  const twoTasks = (weighting) => new MultiTaskModel({
    input: data, architecture, tasks: [tasks.regression('hg'), tasks.regression('ag')], seed: 7, affinity: false, ...(weighting ? { weighting } : {}),
  });
  // Each task alone (the other's labels missing) on a fixed-weight model: g_t of every parameter, the table's checked by central differences.
  const ref = twoTasks(null);
  const one = (name) => {
    const { actual, numeric, grads } = tableGradients(ref, { hg: 1, ag: 1 }, [name], repeat);
    assertClose(actual, numeric, { atol: 2e-4, rtol: 2e-2, label: `${name} alone` });
    return grads;
  };
  const gHg = one('hg'), gAg = one('ag');
  const shared = ref.parameters.list().filter((p) => p.owner === -1).map((p) => p.name);
  ref.dispose();
  assert.ok(shared.includes('embedding.team') && shared.some((n) => n.startsWith('experts.')), shared.join());
  const flat = (g) => Float64Array.from(shared.flatMap((n) => Array.from(g[n])));
  const dot = (a, b) => a.reduce((s, v, i) => s + v * b[i], 0);
  const a = flat(gHg), b = flat(gAg), diff = a.map((v, i) => v - b[i]);
  const alpha = Math.min(1, Math.max(0, dot(b.map((v, i) => v - a[i]), b) / dot(diff, diff)));
  assert.ok(alpha > 0.02 && alpha < 0.98, `an interior min-norm point (α = ${alpha})`);
  const model = twoTasks({ type: 'mgda', gradients: 'parameters' });
  try {
    const { grads } = coreGradients(model, batch(model, undefined, repeat));
    const expected = Float64Array.from(gHg['embedding.team'], (v, i) => alpha * v + (1 - alpha) * gAg['embedding.team'][i]);
    assertClose(grads['embedding.team'], expected, { atol: 1e-6, rtol: 1e-4, label: 'mgda: the table' });
  } finally {
    model.dispose();
  }
});

test('conv1d with embedded columns is refused: it slides over the encoded row\'s time-major layout, which an embedded column is not part of', () => {
  expectError(() => new MultiTaskModel({ input: data, architecture: { type: 'conv1d', steps: 3, filters: [2], towerUnits: [] }, tasks: threeTasks() }),
    ArgumentError, 'E_ARGUMENT', [/embeddings: the conv1d architecture reads the encoded row/]);
});
