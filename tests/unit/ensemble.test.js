// Ensembles that train themselves (issue #18 part 1): bootstrap samples from the
// seed, out-of-bag metrics against a hand-made out-of-bag combination, evaluate
// against the members' own evaluate and the predictions, weights fitted on the
// simplex (a known optimum; never worse than equal weights or any one member),
// ranked top-k, one file that the full and the inference entries load and predict
// from identically, and typed errors for bad input.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  init, MultiTaskModel, tasks, Dataset, Ensemble, loadEnsemble, loadModel, ModelFormatError, ArgumentError, ManytaskError, encoded,
} from '../../dist/index.js';
import * as infer from '../../dist/infer.js';
import { minimiseOnSimplex, projectToSimplex, logLossObjective, squaredErrorObjective, bootstrapSamples } from '../../dist/internal.js';
import { expectError } from '../helpers/errors.js';
import { assertClose } from '../helpers/reference.js';

const PENGUINS = readFileSync(new URL('../../examples/data/penguins.csv', import.meta.url), 'utf8');
const SPEC = {
  features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
  targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
};
const MODEL = () => ({
  architecture: { type: 'sharedBottom', units: [8], towerUnits: [4] },
  tasks: [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')],
  optimizer: { type: 'adam', learningRate: 0.02 },
});
let train, valid, held, bagged;

before(async () => {
  await init();
  await infer.init();
  const data = Dataset.fromCSV(PENGUINS, SPEC);
  let rest;
  [train, rest] = data.split(0.6, { seed: 3, stratify: 'species' });
  [valid, held] = rest.split(0.5, { seed: 4, stratify: 'species' });
  bagged = await Ensemble.train(MODEL(), train, { members: 4, seed: 7, fit: { epochs: 6, batchSize: 32 } });
});

const argmax = (row) => row.reduce((b, v, i) => (v > row[b] ? i : b), 0);

test('the simplex solver finds known optima: an exact mixture (squared error) and a two-member log loss', () => {
  // y = 0.3 a + 0.7 b exactly; c is noise. The optimum is [0.3, 0.7, 0] with loss 0.
  const rows = 50, M = 3;
  const v = new Float64Array(rows * M), y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const a = Math.sin(i), b = Math.cos(3 * i), c = ((i * 7919) % 13) / 13 - 0.5;
    v.set([a, b, c], i * M);
    y[i] = 0.3 * a + 0.7 * b;
  }
  const sq = minimiseOnSimplex(squaredErrorObjective(v, y, M), M);
  assertClose(Array.from(sq.weights), [0.3, 0.7, 0], { atol: 1e-6, rtol: 0, label: 'squared-error weights' });
  assert.ok(sq.loss < 1e-10, `loss ${sq.loss}`);
  // Two members: L(w) = −mean log(w a_i + (1 − w) b_i), convex in w; its minimum is where
  // L'(w) = −mean (a_i − b_i) / q_i crosses 0, found here by bisection.
  const a = [0.9, 0.2, 0.6, 0.7, 0.1, 0.8], b = [0.3, 0.8, 0.5, 0.2, 0.6, 0.4];
  const dL = (w) => -a.reduce((s, ai, i) => s + (ai - b[i]) / (w * ai + (1 - w) * b[i]), 0) / a.length;
  let lo = 0, hi = 1;
  for (let it = 0; it < 200; it++) { const mid = (lo + hi) / 2; if (dL(mid) < 0) lo = mid; else hi = mid; }
  assert.ok(lo > 0.05 && lo < 0.95, `an interior optimum (${lo})`);
  const ab = new Float64Array(a.flatMap((ai, i) => [ai, b[i]]));
  const ll = minimiseOnSimplex(logLossObjective(ab, 2), 2);
  assertClose(Array.from(ll.weights), [lo, 1 - lo], { atol: 1e-6, rtol: 0, label: 'log-loss weights' });
  // The projection: non-negative, sums to one, a point already on the simplex stays.
  for (const x of [[3, -1, 0.5], [0.2, 0.2, 0.2], [-5, -6, -7], [0.1, 0.6, 0.3]]) {
    const p = projectToSimplex(Float64Array.from(x));
    assert.ok(p.every((w) => w >= 0), `${x} → ${p}`);
    assert.ok(Math.abs(p.reduce((s, w) => s + w, 0) - 1) < 1e-12, `${x} → ${p}`);
  }
  assertClose(Array.from(projectToSimplex(Float64Array.from([0.1, 0.6, 0.3]))), [0.1, 0.6, 0.3], { atol: 1e-15, rtol: 0 });
});

test('bootstrap samples: reproducible from the seed, different across seeds and members, rows in range', async () => {
  const a = bootstrapSamples(100, 3, 11), b = bootstrapSamples(100, 3, 11), c = bootstrapSamples(100, 3, 12);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.notDeepEqual(a[0], a[1]);
  for (const bag of a) {
    assert.equal(bag.length, 100);
    assert.ok(bag.every((r) => r >= 0 && r < 100));
    const distinct = new Set(bag).size;
    assert.ok(distinct > 50 && distinct < 80, `about 63% distinct rows, got ${distinct}`); // 1 − 1/e
  }
  // Training twice with the same seed gives the same bags and bit-identical predictions.
  assert.deepEqual(bagged.bags, bootstrapSamples(train.rows, 4, 7));
  const again = await Ensemble.train(MODEL(), train, { members: 4, seed: 7, fit: { epochs: 6, batchSize: 32 } });
  try {
    const p = bagged.predict(held), q = again.predict(held);
    assert.deepEqual(q.species.probabilities, p.species.probabilities);
    assert.deepEqual(q.body_mass_g.values, p.body_mass_g.values);
    assert.deepEqual(again.outOfBag, bagged.outOfBag);
  } finally {
    again.dispose();
  }
  // Members differ (their own seeds and samples).
  assert.notDeepEqual(bagged.models[0].predict(held).sex.probabilities, bagged.models[1].predict(held).sex.probabilities);
});

test('out-of-bag metrics: each training row scored by the members that did not train on it', () => {
  const oob = bagged.outOfBag;
  assert.ok(oob, 'bagging reports out-of-bag metrics');
  const rows = [...Array(train.rows).keys()].filter((r) => bagged.bags.some((bag) => !bag.includes(r)));
  const sub = train.select(rows);
  const each = bagged.models.map((m) => m.predict(sub));
  const truth = sub.target('species');
  let right = 0, labeled = 0, absErr = 0, nMass = 0;
  const mass = sub.target('body_mass_g').values;
  rows.forEach((r, i) => {
    const out = bagged.models.map((_, m) => m).filter((m) => !bagged.bags[m].includes(r));
    const probs = [0, 1, 2].map((c) => out.reduce((s, m) => s + each[m].species.probabilities[i][c], 0) / out.length);
    const y = truth.values[i];
    if (Number.isInteger(y) && y >= 0) { labeled++; if (sub.target('species').classes[y] === bagged.models[0].classNames('species')[argmax(probs)]) right++; }
    if (Number.isFinite(mass[i])) { nMass++; absErr += Math.abs(out.reduce((s, m) => s + each[m].body_mass_g.values[i], 0) / out.length - mass[i]); }
  });
  assert.equal(oob.tasks.species.rows, labeled);
  assertClose([oob.tasks.species.accuracy], [right / labeled], { atol: 1e-12, rtol: 0, label: 'OOB species accuracy' });
  assertClose([oob.tasks.body_mass_g.mae], [absErr / nMass], { atol: 0, rtol: 1e-4, label: 'OOB body mass MAE (grams)' });
  for (const k of ['accuracy', 'f1', 'auc', 'logLoss', 'loss']) assert.ok(Number.isFinite(oob.tasks.sex[k]), k);
  assert.equal(oob.tasks.sex.loss, oob.tasks.sex.logLoss);
});

test('evaluate: one member scores as the member does; several score their combined predictions', () => {
  const m = bagged.models[0];
  const own = m.evaluate(held), alone = new Ensemble([m]).evaluate(held);
  for (const [task, keys] of [['species', ['rows', 'accuracy', 'f1', 'logLoss']], ['sex', ['rows', 'accuracy', 'f1', 'auc', 'logLoss']], ['body_mass_g', ['rows', 'mae', 'rmse', 'r2']]]) {
    for (const k of keys) assertClose([alone.tasks[task][k]], [own.tasks[task][k]], { rtol: 1e-5, atol: 1e-6, label: `${task}.${k}` });
  }
  assertClose([alone.tasks.body_mass_g.loss], [own.tasks.body_mass_g.loss], { atol: 0, rtol: 1e-4, label: 'regression loss: MSE on the standardized scale' });
  const e = bagged.evaluate(held), p = bagged.predict(held);
  const truth = held.target('species');
  let right = 0, n = 0;
  p.species.classes.forEach((c, i) => { const y = truth.values[i]; if (y >= 0) { n++; if (c === truth.classes[y]) right++; } });
  assertClose([e.tasks.species.accuracy], [right / n], { atol: 1e-12, rtol: 0 });
  assert.equal(e.loss, e.tasks.species.loss + e.tasks.sex.loss + e.tasks.body_mass_g.loss);
  // Arrays and labels work as for a model.
  expectError(() => new Ensemble(bagged.models, { combine: 'vote' }).evaluate(held), ArgumentError, 'E_ARGUMENT', /'vote' ensemble has no combined probabilities/);
});

test('fitWeights: per task non-negative, summing to one, never worse on the validation data than equal weights or any single member', () => {
  const e = new Ensemble(bagged.models);
  const equal = e.evaluate(valid);
  const singles = bagged.models.map((m) => new Ensemble([m]).evaluate(valid));
  const w = e.fitWeights(valid);
  assert.equal(e.combine, 'weighted');
  assert.deepEqual(Object.keys(w), ['species', 'sex', 'body_mass_g']);
  for (const [task, ws] of Object.entries(w)) {
    assert.equal(ws.length, 4);
    assert.ok(ws.every((x) => x >= 0), `${task}: ${ws}`);
    assert.ok(Math.abs(ws.reduce((s, x) => s + x, 0) - 1) < 1e-9, `${task}: ${ws}`);
  }
  const fitted = e.evaluate(valid);
  for (const task of ['species', 'sex', 'body_mass_g']) {
    assert.ok(fitted.tasks[task].loss <= equal.tasks[task].loss + 1e-6, `${task}: fitted ${fitted.tasks[task].loss} vs equal ${equal.tasks[task].loss}`);
    for (const [m, s] of singles.entries()) assert.ok(fitted.tasks[task].loss <= s.tasks[task].loss + 1e-6, `${task}: fitted vs member ${m}`);
  }
  // Weights given: scaled to sum to one, per task or for all.
  const given = new Ensemble(bagged.models, { combine: 'weighted', weights: [2, 0, 1, 1] });
  assert.deepEqual(given.weights().sex, [0.5, 0, 0.25, 0.25]);
  const p = given.predict(held), each = bagged.models.map((m) => m.predict(held));
  assertClose(Array.from(p.body_mass_g.values), Array.from(each[0].body_mass_g.values, (v, i) => 0.5 * v + 0.25 * each[2].body_mass_g.values[i] + 0.25 * each[3].body_mass_g.values[i]), { atol: 0, rtol: 1e-6 });
});

test('rank: members ordered per task by their validation metric, the best k averaged', () => {
  const e = new Ensemble(bagged.models);
  const ranking = e.rank(valid, { k: 2 });
  assert.equal(e.combine, 'ranked');
  const losses = bagged.models.map((m) => m.evaluate(valid));
  for (const task of ['species', 'sex', 'body_mass_g']) {
    const order = ranking[task];
    assert.deepEqual([...order].sort(), [0, 1, 2, 3]);
    for (let i = 1; i < 4; i++) assert.ok(losses[order[i - 1]].tasks[task].loss <= losses[order[i]].tasks[task].loss);
    const w = e.weights()[task];
    assert.deepEqual(order.map((m) => w[m]), [0.5, 0.5, 0, 0]);
  }
  // k = 1 by accuracy: the best member's species prediction.
  const best = new Ensemble(bagged.models);
  const byAcc = best.rank(valid, { k: 1, metric: { species: 'accuracy' } });
  const top = byAcc.species[0];
  assert.ok(losses.every((l) => l.tasks.species.accuracy <= losses[top].tasks.species.accuracy));
  assert.deepEqual(best.predict(held).species.classes, bagged.models[top].predict(held).species.classes);
  expectError(() => e.rank(valid, { k: 5 }), ArgumentError, 'E_ARGUMENT', /k is 5, larger than the 4 members/);
  expectError(() => e.rank(valid, { k: 0 }), ArgumentError, 'E_ARGUMENT', /k must be an integer ≥ 1/);
  expectError(() => e.rank(valid, { k: 1, metric: 'accuracy' }), ArgumentError, 'E_ARGUMENT', /no accuracy for task "body_mass_g"/);
  expectError(() => e.rank(valid, { k: 1, metric: { mass: 'mae' } }), ArgumentError, 'E_ARGUMENT', /"mass", which is not a task/);
  expectError(() => e.rank(valid, { k: 1, metric: 'speed' }), ArgumentError, 'E_ARGUMENT', /metric must be one of/);
  const width = bagged.models[0].featureNames.length;
  expectError(() => e.rank({ x: encoded([Array(width).fill(0)]), labels: {} }, { k: 1 }), ArgumentError, 'E_ARGUMENT', /no task has a labeled row/);
  expectError(() => e.fitWeights({ x: encoded([Array(width).fill(0)]), labels: { sex: [1] } }), ArgumentError, 'E_ARGUMENT', /task "species" has no label in the validation data/);
  expectError(() => e.rank([1, 2], { k: 1 }), ArgumentError, 'E_ARGUMENT', /a Dataset or \{ x, labels \}/);
});

test('save/load: one file; the full and the inference entries predict exactly as the ensemble did', () => {
  const e = new Ensemble(bagged.models);
  e.fitWeights(valid);
  for (const combine of ['weighted', 'ranked', 'vote']) {
    const ens = combine === 'vote' ? new Ensemble(bagged.models, { combine }) : e;
    if (combine === 'ranked') ens.rank(valid, { k: 3 });
    const bytes = ens.save();
    const p = ens.predict(held);
    const back = loadEnsemble(bytes);
    const served = infer.loadEnsemble(bytes);
    try {
      assert.equal(back.combine, combine);
      assert.equal(served.combine, combine);
      assert.deepEqual(back.weights(), ens.weights());
      assert.deepEqual(back.predict(held), p);
      const rows = held.select([...Array(held.rows).keys()]);
      const columns = Object.keys(SPEC.features).map((f) => [f, rows.column(f)]);
      const objects = Array.from({ length: rows.rows }, (_, i) => Object.fromEntries(columns.map(([f, v]) => [f, Number.isNaN(v[i]) ? null : v[i]])));
      assert.ok(objects.every((o) => typeof o.island === 'string'), 'real rows');
      const q = served.predict(objects);
      assert.deepEqual(q, ens.predict(objects));
    } finally {
      back.dispose();
      served.dispose();
    }
  }
  const bytes = e.save({ weights: 'f16' });
  assert.ok(bytes.length < e.save().length, 'f16 members');
  assertClose(Array.from(loadEnsemble(bytes).predict(held).body_mass_g.values), Array.from(e.predict(held).body_mass_g.values), { atol: 0, rtol: 1e-2, label: 'f16 close to f32' });
  // Damaged, foreign and single-model files are refused.
  const bad = bytes.slice(); bad[40] ^= 1;
  expectError(() => loadEnsemble(bad), ModelFormatError, 'E_MODEL_FORMAT', /checksum/);
  expectError(() => infer.loadEnsemble(bad), infer.ModelFormatError, 'E_MODEL_FORMAT', /checksum/);
  expectError(() => loadEnsemble(bagged.models[0].save()), ModelFormatError, 'E_MODEL_FORMAT', /MTSE/);
  expectError(() => loadModel(bytes), ModelFormatError, 'E_MODEL_FORMAT', /MTSK/);
  expectError(() => loadEnsemble(bytes.subarray(0, bytes.length - 9)), ModelFormatError, 'E_MODEL_FORMAT');
});

test('bad input: weights that do not match the members, unknown tasks, bad training options', async () => {
  const ms = bagged.models;
  expectError(() => new Ensemble(ms, { combine: 'weighted', weights: [1, 2, 3] }), ArgumentError, 'E_ARGUMENT', /has 3 weights; the ensemble has 4 members/);
  expectError(() => new Ensemble(ms, { combine: 'weighted', weights: [1, -1, 1, 1] }), ArgumentError, 'E_ARGUMENT', /weights\[1\] must be a finite number ≥ 0/);
  expectError(() => new Ensemble(ms, { combine: 'weighted', weights: [0, 0, 0, 0] }), ArgumentError, 'E_ARGUMENT', /all 0/);
  // Finite weights whose sum overflows float64 would all become w / Infinity = 0 (a regression task predicted 0).
  expectError(() => new Ensemble(ms, { combine: 'weighted', weights: [1e308, 1e308, 0, 0] }), ArgumentError, 'E_ARGUMENT',
    /weights sum to more than the float64 maximum/);
  expectError(() => new Ensemble(ms, { combine: 'weighted', weights: { species: [1, 1, 1, 1], sex: [1, 1, 1, 1], body_mass_g: [1e308, 0, 1e308, 1] } }),
    ArgumentError, 'E_ARGUMENT', /Ensemble: weights\.body_mass_g: the weights sum to more than/);
  expectError(() => new Ensemble(ms, { combine: 'weighted', weights: { species: [1, 1, 1, 1] } }), ArgumentError, 'E_ARGUMENT', /no entry for task "sex"/);
  expectError(() => new Ensemble(ms, { combine: 'weighted', weights: { species: [1, 1, 1, 1], sex: [1, 1, 1, 1], body_mass_g: [1, 1, 1, 1], mass: [1, 1, 1, 1] } }), ArgumentError, 'E_ARGUMENT', /"mass", which is not a task/);
  expectError(() => new Ensemble(ms, { combine: 'weighted' }), ArgumentError, 'E_ARGUMENT', /needs weights/);
  expectError(() => new Ensemble(ms, { weights: [1, 1, 1, 1] }), ArgumentError, 'E_ARGUMENT', /combine must be 'weighted'/);
  await assert.rejects(Ensemble.train(MODEL(), train, { members: 0 }), (e) => e instanceof ArgumentError && /members must be an integer from 1/.test(e.message));
  await assert.rejects(Ensemble.train(MODEL(), train, { members: 2, sampling: 'jackknife' }), (e) => e instanceof ArgumentError && /sampling must be 'bootstrap' or 'seeds'/.test(e.message));
  await assert.rejects(Ensemble.train(MODEL(), [[1, 2]], { members: 2 }), (e) => e instanceof ArgumentError && /data must be a Dataset/.test(e.message));
  await assert.rejects(Ensemble.train(MODEL(), train, { members: 2, fit: { epochs: -1 } }), (e) => e instanceof ManytaskError && /epochs/.test(e.message));
  // Seeds sampling: all rows, no out-of-bag metrics, member i seeded seed + i.
  const seeds = await Ensemble.train(MODEL(), train, { members: 2, sampling: 'seeds', seed: 5, fit: { epochs: 2 } });
  try {
    assert.equal(seeds.bags, null);
    assert.equal(seeds.outOfBag, null);
    const single = new MultiTaskModel({ ...MODEL(), input: train, seed: 6 });
    await single.fit(train, { epochs: 2 });
    assert.deepEqual(seeds.models[1].predict(held), single.predict(held));
    single.dispose();
  } finally {
    seeds.dispose();
  }
});
