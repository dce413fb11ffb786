// model.fit's features on small synthetic data: validationSplit and
// validationData, callbacks (order, return false, model.stopTraining), early
// stopping with best-weights restore, learning-rate schedules, freeze, sample
// weights, class weights ('balanced' and explicit) and seeded shuffling.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, MultiTaskModel, tasks, createSchedule, ArgumentError } from '../../dist/index.js';
import { heapF32 } from '../../dist/internal.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import { coreGradients, weightsSnapshot } from '../helpers/mtl-reference.js';

before(async () => { await init(); });

const N = 48;
const u = seededValues(N * 4, 11);
const X = Array.from({ length: N }, (_, i) => [u[4 * i], u[4 * i + 1], u[4 * i + 2]]);
const LABELS = {
  kind: X.map((r) => (r[0] + r[1] > 0.4 ? 2 : r[0] > 0 ? 1 : 0)),
  flag: X.map((r, i) => (i % 7 === 3 ? NaN : r[2] > 0.2 ? 1 : 0)), // some rows unlabeled
  amount: X.map((r, i) => 40 * r[0] - 25 * r[2] + 100 + 5 * u[4 * i + 3]),
};
const SPECS = () => [tasks.multiclass('kind'), tasks.binary('flag'), tasks.regression('amount')];

function model(options = {}) {
  return new MultiTaskModel({
    input: { features: 3, classes: { kind: 3 } }, seed: 3, tasks: SPECS(),
    architecture: { type: 'sharedBottom', units: [8], towerUnits: [4] }, optimizer: { type: 'adam', learningRate: 0.01 }, ...options,
  });
}
const slice = (labels, a, b) => Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, v.slice(a, b)]));
const same = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

test('validationSplit holds out the last rows: same weights and logs as validationData = those rows; validation never trains', async () => {
  const cut = N - Math.floor(N * 0.25);
  const a = model(), b = model(), c = model();
  const ha = await a.fit(X, LABELS, { epochs: 4, batchSize: 8, validationSplit: 0.25 });
  const hb = await b.fit(X.slice(0, cut), slice(LABELS, 0, cut), { epochs: 4, batchSize: 8, validationData: { x: X.slice(cut), labels: slice(LABELS, cut) } });
  const hc = await c.fit(X.slice(0, cut), slice(LABELS, 0, cut), { epochs: 4, batchSize: 8 });
  assert.ok(same(weightsSnapshot(a), weightsSnapshot(b)), 'validationSplit ≡ validationData of the last rows');
  assert.ok(same(weightsSnapshot(a), weightsSnapshot(c)), 'the validation rows do not influence training (not even the target standardization)');
  assert.deepEqual(ha.epochs.map((e) => e.val), hb.epochs.map((e) => e.val));
  assert.deepEqual(ha.get('loss'), hc.get('loss'));
  assert.equal(ha.epochs[0].val.tasks.kind.rows, N - cut);
  assert.equal(ha.epochs[0].val.tasks.flag.rows, LABELS.flag.slice(cut).filter((v) => !Number.isNaN(v)).length);
  // The last epoch's validation logs are what evaluate says about those rows now.
  assert.deepEqual(ha.epochs.at(-1).val, a.evaluate(X.slice(cut), slice(LABELS, cut)));
  assert.deepEqual(ha.get('val_kind_accuracy'), ha.epochs.map((e) => e.val.tasks.kind.accuracy));
  for (const m of [a, b, c]) m.dispose();
});

test('epochs 0 and validationSplit 0, as in Keras: no epoch (the model as it was, its target statistics fitted), no validation', async () => {
  // Both were refused (a ShapeError, an ArgumentError).
  const a = model(), b = model();
  for (const m of [a, b]) await m.fit(X, LABELS, { epochs: 2, batchSize: 16 });
  const w = weightsSnapshot(a), stats = a.inputAndTargets().targetStats;
  const events = [];
  const h = await a.fit(X, LABELS, {
    epochs: 0, batchSize: 16, freeze: ['shared'], validationSplit: 0.25,
    callbacks: { onTrainBegin: () => events.push('begin'), onEpochBegin: () => events.push('epoch'), onTrainEnd: (hist) => events.push(`end ${hist.epochs.length}`) },
  });
  assert.deepEqual([h.epochs, h.bestEpoch, h.reason, h.stoppedEarly, h.get('loss'), h.get('val_loss')], [[], -1, 'epochs', false, [], []]);
  assert.deepEqual(events, ['begin', 'end 0']);
  assert.ok(same(weightsSnapshot(a), w));
  assert.equal(a.steps, 6);
  assert.deepEqual(a.inputAndTargets().targetStats, stats);
  assert.ok(a.parameters.list().every((p) => !a.parameters.isFrozen(p.name)));
  // The optimizer's moments and step count too: the next fit trains as that of a model that did not run it.
  await a.fit(X, LABELS, { epochs: 1, batchSize: 16 });
  await b.fit(X, LABELS, { epochs: 1, batchSize: 16 });
  assert.ok(same(weightsSnapshot(a), weightsSnapshot(b)));
  // A model from arrays not fitted yet: epochs 0 fits its target statistics from the training rows, and trains nothing.
  const c = model(), d = model();
  const w0 = weightsSnapshot(c), fresh = c.predict(X).amount.values;
  await c.fit(X, LABELS, { epochs: 0, validationSplit: 0.25 });
  await d.fit(X.slice(0, 36), slice(LABELS, 0, 36), { epochs: 1 });
  assert.deepEqual(c.inputAndTargets().targetStats, d.inputAndTargets().targetStats, 'the training rows\' statistics');
  assert.ok(same(weightsSnapshot(c), w0));
  assert.equal(c.steps, 0);
  assert.notDeepEqual(c.predict(X).amount.values, fresh, 'predictions in the targets\' units');
  // validationSplit 0: no validation rows, the same run as without the option (validationData then allowed).
  const e = model(), f = model(), g = model();
  const he = await e.fit(X, LABELS, { epochs: 2, batchSize: 16, validationSplit: 0 });
  const hf = await f.fit(X, LABELS, { epochs: 2, batchSize: 16 });
  const hg = await g.fit(X, LABELS, { epochs: 2, batchSize: 16, validationSplit: 0, validationData: { x: X, labels: LABELS } });
  assert.ok(same(weightsSnapshot(e), weightsSnapshot(f)) && same(weightsSnapshot(g), weightsSnapshot(f)));
  assert.deepEqual(he.get('loss'), hf.get('loss'));
  assert.equal(he.epochs[0].val, undefined);
  assert.deepEqual(hg.get('val_loss').length, 2);
  for (const m of [a, b, c, d, e, f, g]) m.dispose();
});

test('history.get: every logged name, learningRate included; a name it does not log is an ArgumentError listing them', async () => {
  // It returned an array of NaN for a typo ('val_los') and for 'learningRate', which each epoch logs.
  const m = model();
  const h = await m.fit(X, LABELS, { epochs: 2, batchSize: 16, validationSplit: 0.25, learningRate: { type: 'step', learningRate: 0.01, stepSize: 1, gamma: 0.5, unit: 'epoch' } });
  assert.deepEqual(h.get('learningRate'), [0.01, 0.005]);
  assert.deepEqual(h.get('val_amount_mae'), h.epochs.map((e) => e.val.tasks.amount.mae));
  assert.deepEqual(h.get('flag_weight'), [1, 1]);
  const names = 'loss, learningRate, kind_loss, kind_weight, flag_loss, flag_weight, amount_loss, amount_weight, val_loss, ' +
    'val_kind_rows, val_kind_loss, val_kind_accuracy, val_kind_f1, val_kind_logLoss, val_flag_rows, val_flag_loss, val_flag_accuracy, val_flag_f1, val_flag_auc, val_flag_logLoss, ' +
    'val_amount_rows, val_amount_loss, val_amount_mae, val_amount_rmse, val_amount_r2';
  for (const name of ['val_los', 'val_kind_auc', 'seconds', 'kind']) {
    assert.throws(() => h.get(name), (e) => e instanceof ArgumentError && e.message === `history.get: "${name}" is not logged; the history has ${names}`);
  }
  // Without validation data, no val_ names.
  const h2 = await m.fit(X, LABELS, { epochs: 1 });
  assert.throws(() => h2.get('val_loss'), (e) => e instanceof ArgumentError && e.message.endsWith('the history has loss, learningRate, kind_loss, kind_weight, flag_loss, flag_weight, amount_loss, amount_weight'));
  m.dispose();
});

test('callbacks: order, batch logs, return false and model.stopTraining stop training', async () => {
  const events = [];
  const m = model();
  const h = await m.fit(X, LABELS, {
    epochs: 2, batchSize: 16,
    callbacks: {
      onTrainBegin: () => events.push('trainBegin'),
      onEpochBegin: (e) => { events.push(`epochBegin ${e}`); },
      onBatchEnd: (b, logs) => {
        events.push(`batch ${b} step ${logs.step}`);
        assert.deepEqual(Object.keys(logs.tasks), ['kind', 'flag', 'amount']);
        assert.ok(Object.values(logs.tasks).every(Number.isFinite));
      },
      onEpochEnd: (e, logs) => { events.push(`epochEnd ${e}`); assert.equal(logs.epoch, e); },
      onTrainEnd: (history) => { events.push(`trainEnd ${history.epochs.length}`); },
    },
  });
  assert.deepEqual(events, ['trainBegin', 'epochBegin 0', 'batch 0 step 1', 'batch 1 step 2', 'batch 2 step 3', 'epochEnd 0',
    'epochBegin 1', 'batch 0 step 4', 'batch 1 step 5', 'batch 2 step 6', 'epochEnd 1', 'trainEnd 2']);
  assert.equal(h.reason, 'epochs');
  assert.equal(m.steps, 6);

  // onBatchEnd → false: stops after that batch; the epoch is still logged and onEpochEnd runs.
  events.length = 0;
  const h2 = await m.fit(X, LABELS, {
    epochs: 5, batchSize: 16,
    callbacks: { onBatchEnd: (b) => { events.push(`batch ${b}`); return b === 1 ? false : undefined; }, onEpochEnd: (e) => { events.push(`epochEnd ${e}`); } },
  });
  assert.deepEqual(events, ['batch 0', 'batch 1', 'epochEnd 0']);
  assert.equal(h2.reason, 'stopped');
  assert.equal(h2.epochs.length, 1);
  assert.equal(m.steps, 8);

  // model.stopTraining = true from a callback does the same; the next fit starts afresh.
  const h3 = await m.fit(X, LABELS, { epochs: 5, batchSize: 16, callbacks: { onBatchEnd: (b) => { if (b === 0) m.stopTraining = true; } } });
  assert.equal(h3.reason, 'stopped');
  assert.equal(m.steps, 9);
  const h4 = await m.fit(X, LABELS, { epochs: 2, batchSize: 16 });
  assert.equal(h4.reason, 'epochs');
  assert.equal(m.steps, 15);

  // onEpochEnd → false stops after that epoch; onEpochBegin → false stops before it.
  const h5 = await m.fit(X, LABELS, { epochs: 5, batchSize: 16, callbacks: { onEpochEnd: (e) => (e === 1 ? false : undefined) } });
  assert.equal(h5.epochs.length, 2);
  assert.equal(h5.reason, 'stopped');
  const h6 = await m.fit(X, LABELS, { epochs: 5, batchSize: 16, callbacks: { onEpochBegin: (e) => (e === 2 ? false : undefined) } });
  assert.equal(h6.epochs.length, 2);
  assert.equal(h6.reason, 'stopped');
  assert.equal(m.steps, 15 + 6 + 6);
  m.dispose();
});

test('early stopping restores the best epoch\'s weights; patience counts epochs without improvement', async () => {
  // Labels unrelated to the features: validation loss rises once the model memorizes.
  const noise = seededValues(N, 99);
  const labels = { kind: Array.from(noise, (v) => Math.floor((v + 1) * 1.5)), flag: Array.from(noise, (v, i) => ((i * 7) % 5 > 1 ? 1 : 0)), amount: Array.from(noise, (v) => 100 * v) };
  for (const [restoreBestWeights, patience] of [[true, 2], [false, 0], [true, 4]]) {
    const m = model({ optimizer: { type: 'adam', learningRate: 0.05 } });
    const snapshots = [];
    const h = await m.fit(X, labels, {
      epochs: 200, batchSize: 8, validationSplit: 0.25, earlyStopping: { monitor: 'val_loss', patience, restoreBestWeights },
      callbacks: { onEpochEnd: () => { snapshots.push(weightsSnapshot(m)); } },
    });
    const val = h.get('val_loss');
    const best = val.indexOf(Math.min(...val));
    assert.equal(h.reason, 'earlyStopping');
    assert.equal(h.stoppedEarly, true);
    assert.equal(h.bestEpoch, best, 'bestEpoch is the first epoch with the lowest val_loss');
    // As Keras: training stops after `patience` epochs without improvement (at least one).
    assert.equal(h.epochs.length, best + Math.max(patience, 1) + 1, `best ${best}, patience ${patience}`);
    assert.ok(same(weightsSnapshot(m), restoreBestWeights ? snapshots[best] : snapshots.at(-1)), `weights are epoch ${restoreBestWeights ? best : 'last'}'s`);
    if (restoreBestWeights) assert.ok(!same(snapshots[best], snapshots.at(-1)), 'the restore is visible');
    m.dispose();
  }
  // mode 'max' (auto for accuracy): the best epoch has the highest value.
  const m = model({ optimizer: { type: 'adam', learningRate: 0.05 } });
  const h = await m.fit(X, labels, { epochs: 200, batchSize: 8, validationSplit: 0.25, earlyStopping: { monitor: 'val_flag_auc', patience: 3 } });
  const auc = h.get('val_flag_auc');
  assert.equal(h.bestEpoch, auc.indexOf(Math.max(...auc)));
  assert.equal(h.epochs.length, h.bestEpoch + 4);
  m.dispose();
});

test('restoreBestWeights puts back the weighting strategy\'s state of the best epoch with its weights (uncertainty\'s log-variances, DWA\'s loss history)', async () => {
  // The weights went back and the learned log-variances stayed at the last epoch's: a later fit weighted the tasks as that epoch had.
  const noise = seededValues(N, 99);
  const labels = { kind: Array.from(noise, (v) => Math.floor((v + 1) * 1.5)), flag: Array.from(noise, (v, i) => ((i * 7) % 5 > 1 ? 1 : 0)), amount: Array.from(noise, (v) => 100 * v) };
  for (const weighting of [{ type: 'uncertainty' }, { type: 'dwa' }]) {
    const m = model({ optimizer: { type: 'adam', learningRate: 0.05 }, weighting });
    const states = [];
    const h = await m.fit(X, labels, {
      epochs: 200, batchSize: 8, validationSplit: 0.25, earlyStopping: { monitor: 'val_loss', patience: 3 },
      callbacks: { onEpochEnd: () => { states.push(JSON.stringify(m.core.weighting.state())); } },
    });
    assert.equal(h.reason, 'earlyStopping');
    assert.ok(h.bestEpoch < states.length - 1 && states[h.bestEpoch] !== states.at(-1), `${weighting.type}: the restore is visible`);
    assert.equal(JSON.stringify(m.core.weighting.state()), states[h.bestEpoch], `${weighting.type}: the best epoch's state`);
    m.dispose();
  }
});

test('earlyStopping on a value that is NaN (AUC of validation rows of one class, R² of constant labels) is an error naming it, not a run that puts back epoch 0', async () => {
  // It stopped after `patience` epochs and restored the first epoch's weights: an untrained model, silently.
  const n = 200;
  const x = Array.from({ length: n }, (_, i) => [Math.sin(i * 1.3), Math.cos(i * 0.7)]);
  const b = x.map(([a]) => (a > 0 ? 1 : 0)), r = x.map(([a, c]) => 2 * a - c);
  const vx = x.slice(0, 20).filter((_, i) => b[i] === 1);
  const validationData = { x: vx, labels: { b: vx.map(() => 1), r: vx.map(() => 5) } };
  for (const monitor of ['val_b_auc', 'val_r_r2']) {
    const m = new MultiTaskModel({ input: { features: 2 }, architecture: { type: 'sharedBottom', units: [8], towerUnits: [] }, tasks: [tasks.binary('b'), tasks.regression('r')], seed: 1 });
    const epochs = [];
    await assert.rejects(m.fit(x, { b, r }, { epochs: 40, validationData, earlyStopping: { monitor, patience: 5 }, callbacks: { onEpochEnd: (e) => { epochs.push(e); } } }),
      (e) => e.name === 'ArgumentError' && e.message.startsWith(`fit: earlyStopping monitors "${monitor}", which is NaN after epoch 0: it is undefined on the validation rows`) &&
        e.message.endsWith('The model keeps the weights of epoch 0'));
    assert.deepEqual(epochs, [], 'it stops before the epoch\'s callbacks');
    m.dispose();
  }
  // val_loss is defined on those rows: the run goes on.
  const m = new MultiTaskModel({ input: { features: 2 }, architecture: { type: 'sharedBottom', units: [8], towerUnits: [] }, tasks: [tasks.binary('b'), tasks.regression('r')], seed: 1 });
  const h = await m.fit(x, { b, r }, { epochs: 3, validationData, earlyStopping: { monitor: 'val_loss', patience: 5 } });
  assert.equal(h.epochs.length, 3);
  m.dispose();
});

test('earlyStopping monitors a distribution task\'s metrics (nll, pinball, interval width, r2…); a coverage needs a mode; in a model with such a task any monitor works', async () => {
  // VAL_METRICS had no gaussian, poisson or quantile entry: every val_<task>_<metric> monitor was a TypeError in such a model.
  const n = 120;
  const x = Array.from({ length: n }, (_, i) => [Math.sin(i * 1.3), Math.cos(i * 0.7)]);
  const labels = { g: x.map(([a, b]) => 2 * a - b), p: x.map(([a]) => Math.round(3 + 2 * a)), q: x.map(([a, b]) => a + b), r: x.map(([a]) => a) };
  const make = () => new MultiTaskModel({
    input: { features: 2 }, architecture: { type: 'sharedBottom', units: [8], towerUnits: [] }, seed: 1, optimizer: { type: 'adam', learningRate: 0.05 },
    tasks: [tasks.gaussian('g'), tasks.poisson('p'), tasks.quantile('q'), tasks.regression('r')],
  });
  const cases = [['val_r_mae', 'min'], ['val_g_nll', 'min'], ['val_g_r2', 'max'], ['val_g_mae', 'min'], ['val_p_nll', 'min'], ['val_p_rmse', 'min'],
    ['val_q_pinball', 'min'], ['val_q_intervalWidth', 'min'], ['val_q_coverage', 'max', { mode: 'max' }], ['val_g_coverage', 'min', { mode: 'min' }]];
  for (const [monitor, mode, extra] of cases) {
    const m = make();
    const h = await m.fit(x, labels, { epochs: 6, validationSplit: 0.25, earlyStopping: { monitor, patience: 2, ...extra } });
    const v = h.get(monitor);
    assert.deepEqual(v, h.epochs.map((e) => e.val.tasks[monitor.split('_')[1]][monitor.split('_')[2]]));
    assert.ok(v.every(Number.isFinite), monitor);
    assert.equal(h.bestEpoch, v.indexOf(mode === 'max' ? Math.max(...v) : Math.min(...v)), `${monitor}: 'auto' is '${mode}'`);
    m.dispose();
  }
  const m = make();
  await assert.rejects(m.fit(x, labels, { epochs: 2, validationSplit: 0.25, earlyStopping: { monitor: 'val_g_coverage' } }),
    (e) => e instanceof ArgumentError && e.message === 'fit: earlyStopping monitors "val_g_coverage", a coverage, which is best at the task\'s level, neither highest nor lowest: give mode \'min\' or \'max\', or monitor another value');
  await assert.rejects(m.fit(x, labels, { epochs: 2, validationSplit: 0.25, earlyStopping: { monitor: 'val_p_r2' } }),
    (e) => e instanceof ArgumentError && e.message.startsWith('fit: earlyStopping.monitor "val_p_r2" is not something fit logs') &&
      e.message.includes('gaussian: nll, coverage, intervalWidth, mae, rmse, r2; poisson: nll, coverage, intervalWidth, mae, rmse; quantile: pinball, coverage, intervalWidth; regression: mae, rmse, r2'));
  assert.equal(m.steps, 0);
  m.dispose();
});

test('learning-rate schedule: each step uses the scheduled rate (SGD: w ← w − lr·g), logged per epoch', async () => {
  const spec = { type: 'step', learningRate: 0.2, stepSize: 1, gamma: 0.5 }; // halves every optimizer step
  const labels = { kind: LABELS.kind, flag: LABELS.flag };
  const make = () => new MultiTaskModel({
    input: { features: 3, classes: { kind: 3 } }, seed: 5, tasks: [tasks.multiclass('kind'), tasks.binary('flag')],
    architecture: { type: 'sharedBottom', units: [8], towerUnits: [] }, optimizer: { type: 'sgd', learningRate: 1 },
  });
  const m = make();
  const snapshots = [weightsSnapshot(m)];
  // One batch per epoch, not shuffled: each epoch is one step on all rows in order.
  const h = await m.fit(X, labels, { epochs: 3, batchSize: N, shuffle: false, learningRate: spec, callbacks: { onEpochEnd: () => { snapshots.push(weightsSnapshot(m)); } } });
  const schedule = createSchedule(spec);
  assert.deepEqual(h.epochs.map((e) => e.learningRate), [0, 1, 2].map((e) => schedule(e, e)));
  assert.deepEqual(h.epochs.map((e) => e.learningRate), [0.2, 0.1, 0.05]);
  const probe = make();
  const p = probe.parameters;
  for (let e = 0; e < 3; e++) {
    heapF32().set(snapshots[e], p.params >>> 2);
    coreGradients(probe, { x: X.flat(), rows: N, labels });
    const g = heapF32().slice(p.grads >>> 2, (p.grads >>> 2) + p.size);
    const expected = Float64Array.from(snapshots[e], (w, i) => w - h.epochs[e].learningRate * g[i]);
    assertClose(snapshots[e + 1], expected, { atol: 1e-7, rtol: 1e-6, label: `epoch ${e}` });
  }
  m.dispose(); probe.dispose();
  // A constant number works too, and 0 leaves the weights alone.
  const z = model();
  const w0 = weightsSnapshot(z);
  const hz = await z.fit(X, LABELS, { epochs: 2, learningRate: 0 });
  assert.deepEqual(hz.get('loss').length, 2);
  assert.ok(same(weightsSnapshot(z), w0));
  z.dispose();
});

test('a schedule counts the steps of its own fit, as it counts its epochs: a later fit\'s warm-up and decay start at its first step', async () => {
  // It counted the model's steps so far: after 100 steps, a cosine over 50 steps with a warm-up of 10 was over,
  // and the second fit trained at rate 0 throughout, silently, while an epoch-unit schedule started again.
  const m = model(), byStep = model(), byEpoch = model();
  for (const x of [m, byStep, byEpoch]) await x.fit(X, LABELS, { epochs: 4, batchSize: 8 }); // 6 steps an epoch: 24 steps
  const spec = { type: 'cosine', learningRate: 0.01, decaySteps: 20, warmupSteps: 4 };
  const before = weightsSnapshot(m);
  const h = await m.fit(X, LABELS, { epochs: 3, batchSize: 8, learningRate: spec });
  const schedule = createSchedule(spec);
  // Each epoch logs the rate of its last step: steps 5, 11 and 17 of this fit.
  assert.deepEqual(h.epochs.map((e) => e.learningRate), [5, 11, 17].map((t) => schedule(t)));
  assert.ok(h.epochs.every((e) => e.learningRate > 0));
  assert.ok(!same(weightsSnapshot(m), before), 'the second fit trains');
  assert.equal(m.steps, 42);
  // A step-unit schedule halving every 6 steps is the epoch-unit one halving every epoch: the same rate at every step.
  await byStep.fit(X, LABELS, { epochs: 3, batchSize: 8, learningRate: { type: 'step', learningRate: 0.01, stepSize: 6, gamma: 0.5 } });
  await byEpoch.fit(X, LABELS, { epochs: 3, batchSize: 8, learningRate: { type: 'step', learningRate: 0.01, stepSize: 1, gamma: 0.5, unit: 'epoch' } });
  assert.ok(same(weightsSnapshot(byStep), weightsSnapshot(byEpoch)));
  for (const x of [m, byStep, byEpoch]) x.dispose();
});

test('freeze: frozen parameters are bit-identical after fit and thawed afterwards; parameters frozen before stay frozen', async () => {
  const m = model();
  const names = m.parameters.names();
  const before = Object.fromEntries(names.map((n) => [n, m.parameters.get(n)]));
  m.freeze('head.kind');
  await m.fit(X, LABELS, { epochs: 2, batchSize: 16, freeze: ['shared', 'tower.flag', 'head.kind'] });
  for (const n of names) {
    const frozen = n.startsWith('shared.') || n.startsWith('tower.flag.') || n.startsWith('head.kind.');
    if (frozen) assert.deepEqual(m.parameters.get(n), before[n], `${n} did not move`);
    else assert.notDeepEqual(m.parameters.get(n), before[n], `${n} trained`);
  }
  assert.ok(!m.parameters.isFrozen('shared.0.weight') && !m.parameters.isFrozen('tower.flag.0.bias'), 'fit thaws what it froze');
  assert.ok(m.parameters.isFrozen('head.kind.0.weight'), 'what model.freeze froze stays frozen');
  const mid = m.parameters.get('shared.0.weight');
  await m.fit(X, LABELS, { epochs: 1, batchSize: 16 });
  assert.notDeepEqual(m.parameters.get('shared.0.weight'), mid, 'thawed parameters train again');
  assert.deepEqual(m.parameters.get('head.kind.0.weight'), before['head.kind.0.weight']);
  assert.deepEqual(m.unfreeze('head.kind'), ['head.kind.0.weight', 'head.kind.0.bias']);
  await m.fit(X, LABELS, { epochs: 1, batchSize: 16 });
  assert.notDeepEqual(m.parameters.get('head.kind.0.weight'), before['head.kind.0.weight']);
  m.dispose();
});

test('sample weights: a weight-0 row\'s labels do not matter; weights change training', async () => {
  const R = 10;
  const weights = X.map((_, i) => (i === R ? 0 : 1 + (i % 3) / 2));
  const changed = { kind: LABELS.kind.map((v, i) => (i === R ? (v + 1) % 3 : v)), flag: LABELS.flag.map((v, i) => (i === R ? 1 - v : v)), amount: LABELS.amount.map((v, i) => (i === R ? v + 37 : v)) };
  const run = async (labels, sampleWeights, stats = true) => {
    const m = model();
    // Pin the target standardization (else the changed amount label would move it).
    if (stats) await m.fit(X, LABELS, { epochs: 1, learningRate: 0 });
    await m.fit(X, labels, { epochs: 3, batchSize: 8, sampleWeights });
    const w = weightsSnapshot(m);
    m.dispose();
    return w;
  };
  const a = await run(LABELS, weights), b = await run(changed, weights);
  assert.ok(same(a, b), 'the weight-0 row\'s labels are ignored');
  const ones = X.map(() => 1);
  assert.ok(!same(await run(LABELS, ones), await run(changed, ones)), 'with weight 1 they matter');
  assert.ok(!same(await run(LABELS, ones), a), 'the weights matter');
  assert.ok(same(await run(LABELS, ones), await run(LABELS, undefined)), 'all ones ≡ no sample weights');
});

test('class weights: \'balanced\' = n / (classes · count) from the training labels; explicit weights change training', async () => {
  const counts = (values, k) => Array.from({ length: k }, (_, c) => values.filter((v) => v === c).length);
  const kindCounts = counts(LABELS.kind, 3), flagCounts = counts(LABELS.flag, 2);
  const nKind = kindCounts.reduce((a, b) => a + b), nFlag = flagCounts.reduce((a, b) => a + b);
  assert.ok(kindCounts.every((c) => c > 0) && new Set(kindCounts).size > 1, `unbalanced classes ${kindCounts}`);
  const run = async (kindWeights, flagWeights) => {
    const m = new MultiTaskModel({
      input: { features: 3, classes: { kind: 3 } }, seed: 3, architecture: { type: 'sharedBottom', units: [8], towerUnits: [4] },
      tasks: [tasks.multiclass('kind', kindWeights ? { classWeights: kindWeights } : {}), tasks.binary('flag', flagWeights ? { classWeights: flagWeights } : {})],
    });
    await m.fit(X, { kind: LABELS.kind, flag: LABELS.flag }, { epochs: 2, batchSize: 8 });
    const w = weightsSnapshot(m);
    m.dispose();
    return w;
  };
  const balanced = await run('balanced', 'balanced');
  const explicit = await run(kindCounts.map((c) => nKind / (3 * c)), flagCounts.map((c) => nFlag / (2 * c)));
  assert.ok(same(balanced, explicit), '\'balanced\' is the explicit formula');
  assert.ok(!same(balanced, await run(undefined, undefined)), 'class weights change training');
  assert.ok(same(await run([1, 1, 1], [1, 1]), await run(undefined, undefined)), 'all-one class weights ≡ none');
});

test('class weights on a multilabel task: \'balanced\' weighs the 0 and 1 entries by n / (2 · their count) over all labels', async () => {
  const tags = X.flatMap((r, i) => (i % 9 === 4 ? [NaN, NaN] : [r[0] > 0.6 ? 1 : 0, r[1] > 0 ? 1 : 0]));
  const known = tags.filter((v) => !Number.isNaN(v));
  const pos = known.filter((v) => v === 1).length, neg = known.length - pos;
  assert.ok(pos > 0 && neg > 2 * pos, `unbalanced labels: ${pos} ones, ${neg} zeros`);
  const run = async (classWeights) => {
    const m = new MultiTaskModel({
      input: { features: 3, classes: { tags: 2 } }, seed: 3, architecture: { type: 'sharedBottom', units: [8], towerUnits: [] },
      tasks: [tasks.multilabel('tags', classWeights ? { classWeights } : {})],
    });
    await m.fit(X, { tags }, { epochs: 2, batchSize: 8 });
    const w = weightsSnapshot(m);
    m.dispose();
    return w;
  };
  const n = known.length;
  assert.ok(same(await run('balanced'), await run([n / (2 * neg), n / (2 * pos)])));
});

test('shuffle: the same seed gives the same weights; another seed other weights; shuffle: false ignores the seed', async () => {
  const run = async (options) => {
    const m = model();
    await m.fit(X, LABELS, { epochs: 2, batchSize: 8, ...options });
    const w = weightsSnapshot(m);
    m.dispose();
    return w;
  };
  const a = await run({ seed: 1 }), b = await run({ seed: 1 }), c = await run({ seed: 2 });
  assert.ok(same(a, b), 'same seed, same weights');
  assert.ok(!same(a, c), 'another seed, other weights');
  assert.ok(same(await run({}), await run({ seed: 3 })), 'the default shuffle seed is the model\'s seed (3)');
  assert.ok(same(await run({ shuffle: false, seed: 1 }), await run({ shuffle: false, seed: 2 })), 'no shuffle: the seed is not used');
  assert.ok(!same(await run({ shuffle: false }), a), 'shuffling changes the batches');
});

test('fit, evaluate and predict read a Float32Array in place and leave it as it was; a NaN in it is still refused', async () => {
  // readRows borrows a Float32Array (flat or { data }) for MultiTaskModel instead of copying it first.
  const rows = 48, cols = 5;
  const xs = seededValues(rows * cols, 11);
  const before = xs.slice();
  const y = Float32Array.from({ length: rows }, (_, i) => xs[i * cols] * 2);
  const reconstruction = tasks.reconstruction('r');
  const model = new MultiTaskModel({
    input: { features: cols }, architecture: { type: 'sharedBottom', units: [8], towerUnits: [] }, seed: 3,
    tasks: [tasks.regression('y'), reconstruction],
  });
  try {
    await model.fit({ data: xs, rows, cols }, { y }, { epochs: 2, batchSize: 16, validationSplit: 0.25 });
    model.evaluate(xs, { y });
    const flat = model.predict(xs), framed = model.predict({ data: xs, rows, cols });
    assert.deepEqual(flat.y.values, framed.y.values);
    assert.deepEqual(xs, before);
    const bad = xs.slice();
    bad[3 * cols + 2] = NaN;
    assert.throws(() => model.predict(bad), (err) => err.code === 'E_ARGUMENT' && /x row 3, column 2 is NaN/.test(err.message));
  } finally {
    model.dispose();
  }
});
