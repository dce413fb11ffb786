// MultiTaskModel#addTask keeps the tasks a model has: with the shared part frozen
// (the default), their predictions are bit for bit what they were, right after
// addTask, after fitting the new task alone and after save/load, for every
// architecture — also those whose shared tensors grow with the task count (a PLE
// level's shared gate, a cross-stitch unit's α). With freezeShared: false the
// trained values are still kept (in the grown tensor's top-left block).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, MultiTaskModel, tasks, loadModel, ARCHITECTURE_TYPES } from '../../dist/index.js';
import { crossStitchAlpha0 } from '../../dist/internal.js';
import { init as initInfer, loadModel as loadForInference } from '../../dist/infer.js';

before(async () => { await init(); await initInfer(); });

const n = 60;
const X = Array.from({ length: n }, (_, i) => [Math.sin(i), Math.cos(i * 0.7), Math.sin(i * 0.3)]);
const LABELS = { a: X.map(([p, q]) => p + q), b: X.map(([p]) => (p > 0 ? 1 : 0)) };
const C = X.map(([, , z]) => z * 2 - 0.5);
const D = X.map(([p, , z]) => (p * z > 0 ? 1 : 0));

// Every architecture, and the variants whose growth differs: PLE over more levels,
// without gate biases, and with sharedGateTasks past the task count (every task's
// experts); cross-stitch with dropout, another α⁰, alphaTasks past the task count.
const SPECS = {
  sharedBottom: [{ units: [6], towerUnits: [4] }],
  mmoe: [{ experts: 2, expertUnits: [4], towerUnits: [3] }],
  omoe: [{ experts: 2, expertUnits: [4], towerUnits: [3] }],
  cgc: [{ sharedExperts: 1, taskExperts: 2, expertUnits: [4], towerUnits: [3] }],
  ple: [
    { levels: 2, sharedExperts: 1, taskExperts: 1, expertUnits: [4], towerUnits: [3] },
    { levels: 3, sharedExperts: 2, taskExperts: 1, expertUnits: [5, 4], towerUnits: [], gateBias: false },
    { levels: 2, sharedExperts: 1, taskExperts: 2, expertUnits: [4], towerUnits: [3], sharedGateTasks: 5 },
  ],
  crossStitch: [
    { units: [4, 3], towerUnits: [3] },
    { units: [5], towerUnits: [], alphaDiagonal: 0.7, dropout: 0.1 },
    { units: [4], towerUnits: [3], alphaTasks: 7 },
  ],
  dselectK: [{ experts: 4, expertUnits: [3], k: 2, towerUnits: [3] }],
  ltb: [{ units: [4, 3], branches: [2], towerUnits: [3] }],
  conv1d: [{ steps: 3, filters: [4], towerUnits: [3] }],
  transformer: [{ steps: 3, dModel: 4, heads: 2, feedForward: 6, towerUnits: [3] }],
};

/** The tasks' outputs, as arrays (strict deepEqual tells every float apart, −0 from 0 too). */
function outputs(m, names) {
  const p = m.predict(X.slice(0, 12));
  return Object.fromEntries(names.map((t) => [t, Array.from(p[t].values ?? p[t].probabilities)]));
}

async function trainedModel(architecture, taskSpecs, seed = 3) {
  const m = new MultiTaskModel({
    input: { features: 3 }, architecture, tasks: taskSpecs, seed, optimizer: { type: 'adam', learningRate: 0.02 },
  });
  const labels = Object.fromEntries(taskSpecs.map((t) => [t.name, LABELS[t.name]]));
  await m.fit(X, labels, { epochs: 8, batchSize: 16 });
  return m;
}

test('addTask with the shared part frozen: the old tasks predict bit for bit as before, after fitting the new task alone, and after save/load', async () => {
  assert.deepEqual([...ARCHITECTURE_TYPES].sort(), Object.keys(SPECS).sort(), 'every architecture is checked');
  for (const [type, variants] of Object.entries(SPECS)) {
    for (const options of variants) {
      const architecture = { type, ...options };
      const what = JSON.stringify(architecture);
      const m = await trainedModel(architecture, [tasks.regression('a'), tasks.binary('b')]);
      const old = ['a', 'b'];
      const reference = outputs(m, old);
      const trained = new Map(m.parameters.list().map((p) => [p.name, m.parameters.get(p.name)]));
      m.addTask(tasks.regression('c'));
      assert.deepEqual(outputs(m, old), reference, `${what}: right after addTask`);
      // The new task's own tensors in the shared part (its experts, its column) are not frozen.
      const own = m.parameters.list().filter((p) => /^(levels\.\d+\.)?(taskExperts|column)\.c\./.test(p.name)).map((p) => p.name);
      assert.equal(own.length > 0, ['cgc', 'ple', 'crossStitch'].includes(type), `${what}: ${own}`);
      const start = new Map(own.map((name) => [name, m.parameters.get(name)]));
      const h = await m.fit(X, { c: C }, { epochs: 12, batchSize: 16, unlabeledTasks: 'skip' });
      const loss = h.get('c_loss');
      assert.ok(loss.at(-1) < loss[0], `${what}: the new task trains (${loss[0]} → ${loss.at(-1)})`);
      assert.deepEqual(outputs(m, old), reference, `${what}: after fitting the new task`);
      for (const name of own) assert.notDeepEqual(m.parameters.get(name), start.get(name), `${what}: ${name} trains`);
      for (const [name, values] of trained) {
        const now = m.parameters.get(name);
        if (now.length === values.length) assert.deepEqual(now, values, `${what}: ${name} as trained`);
      }
      // A second task on the grown model keeps the first three.
      const withC = outputs(m, ['a', 'b', 'c']);
      m.addTask(tasks.binary('d'));
      assert.deepEqual(outputs(m, ['a', 'b', 'c']), withC, `${what}: a second addTask`);
      await m.fit(X, { d: D }, { epochs: 3, batchSize: 16, unlabeledTasks: 'skip' });
      assert.deepEqual(outputs(m, ['a', 'b', 'c']), withC, `${what}: after fitting the second new task`);
      const all = outputs(m, ['a', 'b', 'c', 'd']);
      const bytes = m.save();
      const loaded = loadModel(bytes);
      assert.deepEqual(loaded.architecture, m.architecture, `${what}: the file keeps the grown architecture`);
      assert.deepEqual(outputs(loaded, ['a', 'b', 'c', 'd']), all, `${what}: after save/load`);
      const served = loadForInference(bytes);
      assert.deepEqual(outputs(served, ['a', 'b', 'c', 'd']), all, `${what}: manytask/infer`);
      served.dispose();
      loaded.dispose();
      m.dispose();
    }
  }
});

test('addTask from one task: a cross-stitch unit of one column grows to two, the first column unchanged', async () => {
  const architecture = { type: 'crossStitch', units: [4], towerUnits: [3] };
  const m = await trainedModel(architecture, [tasks.regression('a')]);
  const reference = outputs(m, ['a']);
  m.addTask(tasks.binary('b'));
  assert.deepEqual(outputs(m, ['a']), reference);
  await m.fit(X, { b: LABELS.b }, { epochs: 4, batchSize: 16, unlabeledTasks: 'skip' });
  assert.deepEqual(outputs(m, ['a']), reference);
  m.dispose();
});

test('addTask on a grown cross-stitch model: α⁰ of the old tasks keeps its blend, the new task blends over every task', async () => {
  const m = await trainedModel({ type: 'crossStitch', units: [3], towerUnits: [], alphaDiagonal: 0.8 }, [tasks.regression('a'), tasks.binary('b')]);
  const offset = m.parameters.get('cross.0.alphaOffset');
  m.addTask(tasks.regression('c'));
  const grown = m.parameters.get('cross.0.alphaOffset');
  // The trained 2×2 block in the top-left, the new row and column at their start (0).
  assert.deepEqual(Array.from(grown), [offset[0], offset[1], 0, offset[2], offset[3], 0, 0, 0, 0]);
  const a0 = crossStitchAlpha0(3, 0.8, 2), two = crossStitchAlpha0(2, 0.8);
  assert.deepEqual(a0, [two[0], two[1], 0, two[2], two[3], 0, (1 - 0.8) / 2, (1 - 0.8) / 2, 0.8]);
  assert.deepEqual(crossStitchAlpha0(3, 0.8), crossStitchAlpha0(3, 0.8, 3), 'every task the default');
  m.dispose();
});

test('addTask with freezeShared: false keeps the trained values in the grown tensors and trains the shared part', async () => {
  for (const architecture of [
    { type: 'ple', levels: 2, sharedExperts: 1, taskExperts: 1, expertUnits: [4], towerUnits: [3] },
    { type: 'crossStitch', units: [4, 3], towerUnits: [3] },
  ]) {
    const m = await trainedModel(architecture, [tasks.regression('a'), tasks.binary('b')]);
    const trained = Object.fromEntries(m.parameters.list().map((p) => [p.name, { shape: p.shape, values: m.parameters.get(p.name) }]));
    m.addTask(tasks.regression('c'), { freezeShared: false });
    for (const p of m.parameters.list()) {
      const q = trained[p.name];
      if (!q) continue;
      const now = m.parameters.get(p.name);
      const [rows, cols] = q.shape;
      assert.ok(p.shape[0] >= rows && p.shape[1] >= cols, `${architecture.type}: ${p.name} does not shrink`);
      for (let r = 0; r < rows; r++) {
        assert.deepEqual(now.slice(r * p.shape[1], r * p.shape[1] + cols), q.values.slice(r * cols, (r + 1) * cols), `${architecture.type}: ${p.name} row ${r} kept`);
      }
      assert.equal(m.parameters.isFrozen(p.name), false);
    }
    if (architecture.type === 'ple') {
      // Not frozen, the shared gate takes the new task's experts in (fresh columns), as a PLE built with three tasks.
      assert.deepEqual(m.parameters.list().find((p) => p.name === 'levels.0.sharedGate.weight').shape, [3, 4]);
      assert.equal(m.architecture.sharedGateTasks, undefined);
    }
    const shared = architecture.type === 'ple' ? 'levels.0.sharedExperts.0.0.weight' : 'column.a.0.weight';
    const w = m.parameters.get(shared);
    await m.fit(X, { ...LABELS, c: C }, { epochs: 2, batchSize: 16 });
    assert.notDeepEqual(m.parameters.get(shared), w, `${architecture.type}: the shared part trains`);
    m.dispose();
  }
});

test('addTask: a clustering or reconstruction task gets its width (clusters, encoded features); what model.freeze froze stays frozen', async () => {
  // They got one output: every row in cluster 0 with probability 1, and a reconstruction of one value
  // of three (fit then failed on the label count). A tensor the user froze trained again.
  const m = new MultiTaskModel({ input: { features: 3 }, architecture: { type: 'sharedBottom', units: [6], towerUnits: [4] }, tasks: [tasks.regression('a')], seed: 1 });
  await m.fit(X, { a: LABELS.a }, { epochs: 2 });
  assert.deepEqual(m.freeze('tower.a'), ['tower.a.0.weight', 'tower.a.0.bias']);
  const tower = m.parameters.get('tower.a.0.weight').slice();
  m.addTask(tasks.clustering('groups', { clusters: 3 }));
  m.addTask(tasks.reconstruction('back'), { freezeShared: false });
  const shape = (name) => m.parameters.list().find((p) => p.name === name).shape;
  assert.deepEqual([shape('head.groups.0.weight'), shape('head.back.0.weight')], [[4, 3], [4, 3]]);
  assert.equal(m.parameters.isFrozen('tower.a.0.weight'), true, 'the user\'s freeze survives both calls');
  const p = m.predict(X.slice(0, 4));
  assert.equal(p.groups.probabilities[0].length, 3);
  assert.equal(p.back.values[0].length, 3);
  await m.fit(X, { a: LABELS.a }, { epochs: 1 });
  assert.deepEqual(m.parameters.get('tower.a.0.weight'), tower, 'the frozen tower did not train');
  m.dispose();
});

test('ple: sharedGateTasks with one level is refused (one level has no shared gate, so it was silently ignored)', () => {
  const build = () => new MultiTaskModel({
    input: { features: 3 }, architecture: { type: 'ple', levels: 1, sharedExperts: 1, taskExperts: 1, expertUnits: [4], towerUnits: [3], sharedGateTasks: 1 },
    tasks: [tasks.regression('a'), tasks.regression('b')], seed: 1,
  });
  assert.throws(build, (err) => err.code === 'E_ARGUMENT' && /architecture "ple": sharedGateTasks needs levels ≥ 2/.test(err.message));
});
