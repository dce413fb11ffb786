// The model's outputs on penguins.csv: predict's forms (class names from the
// Dataset, regression in grams), evaluate against metrics computed here from
// predict's output, save/load (bit-identical predictions; damaged files →
// ModelFormatError), addTask (copied weights bit-identical, shared part frozen,
// the new task trains), and Ensemble mean/vote against hand-combined members.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  init, MultiTaskModel, tasks, Dataset, Preprocessor, Ensemble, loadModel, ModelFormatError, ArgumentError,
} from '../../dist/index.js';
import { heapF32 } from '../../dist/internal.js';
import { assertClose } from '../helpers/reference.js';
import { withCoreBatch, weightsSnapshot } from '../helpers/mtl-reference.js';
import { withCrc, withHeader } from '../helpers/model-file.js';

const PENGUINS = readFileSync(new URL('../../examples/data/penguins.csv', import.meta.url), 'utf8');
const SPEC = {
  features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
  targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
};
let data, train, held;
const ALL = () => [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')];

before(async () => {
  await init();
  data = Dataset.fromCSV(PENGUINS, SPEC);
  [train, held] = data.split(0.75, { seed: 1, stratify: 'species' });
});

async function trained({ architecture = { type: 'sharedBottom', units: [16], towerUnits: [8] }, specs = ALL(), seed = 1, epochs = 25, ...rest } = {}) {
  const m = new MultiTaskModel({ input: train, architecture, tasks: specs, seed, optimizer: { type: 'adam', learningRate: 0.01 }, ...rest });
  await m.fit(train, { epochs, batchSize: 32 });
  return m;
}

const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
const argmax = (row) => row.reduce((b, v, i) => (v > row[b] ? i : b), 0);

test('predict: class names from the Dataset, probabilities, regression values in grams', async () => {
  const m = await trained();
  const p = m.predict(held);
  const n = held.rows;
  assert.deepEqual(m.classNames('species'), ['Adelie', 'Chinstrap', 'Gentoo']);
  assert.deepEqual(m.classNames('sex'), ['female', 'male']);
  assert.equal(m.classNames('body_mass_g'), null);
  assert.throws(() => m.classNames('mass'), (e) => e instanceof ArgumentError && /unknown task "mass"/.test(e.message));

  assert.equal(p.species.kind, 'multiclass');
  assert.equal(p.species.probabilities.length, n);
  p.species.probabilities.forEach((row, i) => {
    assert.equal(row.length, 3);
    assert.ok(Math.abs(row.reduce((s, v) => s + v, 0) - 1) < 1e-6, `row ${i} sums to 1`);
    assert.equal(p.species.classes[i], ['Adelie', 'Chinstrap', 'Gentoo'][argmax(row)]);
  });
  assert.equal(p.sex.kind, 'binary');
  assert.ok(p.sex.probabilities instanceof Float32Array && p.sex.probabilities.length === n);
  p.sex.probabilities.forEach((v, i) => {
    assert.ok(v > 0 && v < 1);
    assert.equal(p.sex.classes[i], v > 0.5 ? 'male' : 'female');
  });
  assert.equal(p.body_mass_g.kind, 'regression');
  // The model trains on standardized grams (mean and population std of the training column) and answers in grams.
  const grams = Array.from(train.column('body_mass_g')).filter(Number.isFinite);
  const mu = mean(grams), sd = Math.sqrt(mean(grams.map((g) => (g - mu) ** 2)));
  const features = Preprocessor.fit(train).transform(held).features;
  const raw = withCoreBatch(m, { x: features, rows: n, labels: {} },
    () => m.core.predictBatch(n).map((ptr, t) => heapF32().slice(ptr >>> 2, (ptr >>> 2) + n * m.core.widths[t])));
  assertClose(p.body_mass_g.values, Float64Array.from(raw[2], (v) => v * sd + mu), { atol: 1e-3, rtol: 1e-6, label: 'grams = raw·std + mean' });
  assert.ok(mean(Array.from(p.body_mass_g.values)) > 3500 && mean(Array.from(p.body_mass_g.values)) < 5000);
  assertClose(p.sex.probabilities, raw[1], { atol: 0, rtol: 0, label: 'binary probabilities as computed' });
  // Raw rows (objects) give the same as the Dataset.
  const rows = [{ bill_length_mm: 39.1, bill_depth_mm: 18.7, flipper_length_mm: 181, island: 'Torgersen' }, { bill_length_mm: 50, bill_depth_mm: 15, flipper_length_mm: 220, island: 'Biscoe' }];
  const q = m.predict(rows);
  assert.deepEqual(q.species.classes, ['Adelie', 'Gentoo']);
  const viaDataset = m.predict(Dataset.fromRows(rows, { features: SPEC.features }));
  assert.deepEqual(q, viaDataset);
  m.dispose();
});

test('predict on array inputs: class indices, or the names given; multilabel label lists; p = 0.5 is the negative class, as in the metrics', async () => {
  const x = Array.from({ length: 30 }, (_, i) => [Math.sin(i), Math.cos(i), (i % 4) / 4]);
  const labels = { tags: x.flatMap((r) => [r[0] > 0 ? 1 : 0, r[1] > 0 ? 1 : 0, r[2] > 0.3 ? 1 : 0]), k: x.map((_, i) => i % 3), b: x.map((r) => (r[0] > r[1] ? 1 : 0)) };
  for (const names of [null, { tags: ['red', 'green', 'blue'], k: ['lo', 'mid', 'hi'] }]) {
    const m = new MultiTaskModel({
      input: { features: 3, classes: names ?? { tags: 3, k: 3 } }, architecture: { type: 'mmoe', experts: 2, expertUnits: [8], towerUnits: [] }, seed: 2,
      tasks: [tasks.multilabel('tags'), tasks.multiclass('k'), tasks.binary('b')],
    });
    await m.fit(x, labels, { epochs: 10, batchSize: 10 });
    const p = m.predict(x);
    const label = (task, c) => (names ? names[task][c] : c);
    p.tags.probabilities.forEach((row, i) => assert.deepEqual(p.tags.labels[i], row.flatMap((v, c) => (v > 0.5 ? [label('tags', c)] : []))));
    p.k.probabilities.forEach((row, i) => assert.equal(p.k.classes[i], label('k', argmax(row))));
    p.b.probabilities.forEach((v, i) => assert.equal(p.b.classes[i], v > 0.5 ? 1 : 0));
    // A zeroed head answers exactly 0.5: the negative class (evaluate's accuracy counts it negative too).
    m.parameters.set('head.b.0.weight', new Array(m.parameters.get('head.b.0.weight').length).fill(0));
    m.parameters.set('head.b.0.bias', [0]);
    m.parameters.set('head.tags.0.weight', new Array(m.parameters.get('head.tags.0.weight').length).fill(0));
    m.parameters.set('head.tags.0.bias', [0, 0, 0]);
    const half = m.predict(x);
    assert.ok(half.b.probabilities.every((v) => v === 0.5));
    assert.deepEqual(half.b.classes, x.map(() => 0));
    assert.deepEqual(half.tags.labels, x.map(() => []));
    const e = m.evaluate(x, labels);
    assert.equal(e.tasks.b.accuracy, mean(labels.b.map((y, i) => (y === half.b.classes[i] ? 1 : 0))));
    m.dispose();
  }
});

test('evaluate: loss and metrics equal those computed here from predict\'s output', async () => {
  const m = await trained();
  const e = m.evaluate(held);
  const p = m.predict(held);
  const species = held.target('species').values, sex = held.target('sex').values, mass = held.target('body_mass_g').values;
  // species
  const si = [...species.keys()].filter((i) => !Number.isNaN(species[i]));
  assert.equal(e.tasks.species.rows, si.length);
  const names = m.classNames('species');
  assert.equal(e.tasks.species.accuracy, mean(si.map((i) => (p.species.classes[i] === names[species[i]] ? 1 : 0))));
  assertClose([e.tasks.species.loss], [mean(si.map((i) => -Math.log(p.species.probabilities[i][species[i]])))], { atol: 1e-6, rtol: 1e-5, label: 'species loss (cross-entropy)' });
  assertClose([e.tasks.species.logLoss], [e.tasks.species.loss], { atol: 1e-6, rtol: 1e-5, label: 'species log-loss' });
  const f1s = [0, 1, 2].map((c) => {
    const tp = si.filter((i) => species[i] === c && p.species.classes[i] === names[c]).length;
    const fp = si.filter((i) => species[i] !== c && p.species.classes[i] === names[c]).length;
    const fn = si.filter((i) => species[i] === c && p.species.classes[i] !== names[c]).length;
    return 2 * tp / (2 * tp + fp + fn);
  });
  assertClose([e.tasks.species.f1], [mean(f1s)], { atol: 1e-12, rtol: 0, label: 'species macro F1' });
  // sex: unlabeled rows skipped
  const xi = [...sex.keys()].filter((i) => !Number.isNaN(sex[i]));
  assert.ok(xi.length < held.rows, 'some held-out rows have no sex label');
  assert.equal(e.tasks.sex.rows, xi.length);
  const pr = p.sex.probabilities;
  assert.equal(e.tasks.sex.accuracy, mean(xi.map((i) => ((pr[i] > 0.5 ? 1 : 0) === sex[i] ? 1 : 0))));
  const pos = xi.filter((i) => sex[i] === 1), neg = xi.filter((i) => sex[i] === 0);
  let wins = 0;
  for (const a of pos) for (const b of neg) wins += pr[a] > pr[b] ? 1 : pr[a] === pr[b] ? 0.5 : 0;
  assertClose([e.tasks.sex.auc], [wins / (pos.length * neg.length)], { atol: 1e-12, rtol: 0, label: 'sex AUC' });
  assertClose([e.tasks.sex.logLoss], [mean(xi.map((i) => -Math.log(sex[i] ? pr[i] : 1 - pr[i])))], { atol: 1e-6, rtol: 1e-5, label: 'sex log-loss' });
  const tp = xi.filter((i) => sex[i] === 1 && pr[i] > 0.5).length, fp = neg.filter((i) => pr[i] > 0.5).length, fn = pos.length - tp;
  assertClose([e.tasks.sex.f1], [2 * tp / (2 * tp + fp + fn)], { atol: 1e-12, rtol: 0, label: 'sex F1' });
  // body mass, in grams
  const mi = [...mass.keys()].filter((i) => !Number.isNaN(mass[i]));
  const err = mi.map((i) => p.body_mass_g.values[i] - mass[i]);
  const mu = mean(mi.map((i) => mass[i]));
  assertClose([e.tasks.body_mass_g.mae], [mean(err.map(Math.abs))], { atol: 1e-3, rtol: 1e-6, label: 'MAE' });
  assertClose([e.tasks.body_mass_g.rmse], [Math.sqrt(mean(err.map((d) => d * d)))], { atol: 1e-3, rtol: 1e-6, label: 'RMSE' });
  assertClose([e.tasks.body_mass_g.r2], [1 - err.reduce((s, d) => s + d * d, 0) / mi.reduce((s, i) => s + (mass[i] - mu) ** 2, 0)], { atol: 1e-7, rtol: 1e-6, label: 'R²' });
  assertClose([e.loss], [e.tasks.species.loss + e.tasks.sex.loss + e.tasks.body_mass_g.loss], { atol: 1e-12, rtol: 0, label: 'total loss' });
  // A task without labels in the data is left out.
  const noSex = Dataset.fromCSV(PENGUINS, { features: SPEC.features, targets: { species: 'multiclass', body_mass_g: 'regression' } });
  assert.deepEqual(Object.keys(m.evaluate(noSex).tasks), ['species', 'body_mass_g']);
  m.dispose();
});

test('evaluate changes nothing in the model: before any fit, an array model scores with its labels\' own statistics for that call only', async () => {
  // evaluate kept the statistics of its labels (1e9…) and the later fit trained on them: a train MAE of 1.1e7 for targets 5…15.
  const x = Array.from({ length: 64 }, (_, i) => [i / 64, Math.sin(i)]);
  const y = x.map(([a]) => 10 * a + 5);
  const make = () => new MultiTaskModel({ input: { features: 2 }, architecture: { type: 'sharedBottom', units: [8], towerUnits: [] }, tasks: [tasks.regression('r')], seed: 1 });
  const plain = make(), evaluated = make();
  const e = evaluated.evaluate(x.slice(0, 3), { r: [1e9, 2e9, 3e9] });
  assert.ok(Number.isFinite(e.tasks.r.mae) && Number.isFinite(e.loss));
  assert.deepEqual(evaluated.inputAndTargets().targetStats, {}, 'no statistics kept');
  await plain.fit(x, { r: y }, { epochs: 5 });
  await evaluated.fit(x, { r: y }, { epochs: 5 });
  assert.deepEqual(weightsSnapshot(evaluated), weightsSnapshot(plain), 'the same training, bit for bit');
  assert.deepEqual(evaluated.inputAndTargets().targetStats, plain.inputAndTargets().targetStats);
  assert.deepEqual(evaluated.predict(x).r.values, plain.predict(x).r.values);
  plain.dispose(); evaluated.dispose();
  // Nor do labels that only validate: a task the training rows do not label gets no statistics
  // from the validation labels, nor from a column of missing labels (mean 0, std 1).
  const two = () => new MultiTaskModel({ input: { features: 2 }, architecture: { type: 'sharedBottom', units: [8], towerUnits: [] }, tasks: [tasks.binary('b'), tasks.regression('r')], seed: 1 });
  const b = x.map(([a]) => (a > 0.5 ? 1 : 0));
  for (const training of [{ b }, { b, r: x.map(() => NaN) }]) {
    const m = two();
    const h = await m.fit(x, training, { epochs: 1, unlabeledTasks: 'skip', validationData: { x, labels: { b, r: y.map((v) => v * 1e6) } } });
    assert.ok(Number.isFinite(h.epochs[0].val.tasks.r.mae), 'the validation is scored with its own statistics');
    assert.deepEqual(Object.keys(m.inputAndTargets().targetStats), [], `no statistics kept (${Object.keys(training)})`);
    await m.fit(x, { b, r: y }, { epochs: 1 });
    const mean = y.reduce((s, v) => s + v, 0) / y.length;
    assert.equal(m.inputAndTargets().targetStats.r.mean, mean, 'the first fit with labels fits them');
    m.dispose();
  }
});

// ---- save / load ----

test('save/load round trip: identical weights, predictions and evaluation; Dataset and array models', async () => {
  const m = await trained({ architecture: { type: 'mmoe', experts: 2, expertUnits: [8], towerUnits: [4] }, weighting: { type: 'uncertainty' } });
  const bytes = m.save({ metadata: { note: 'penguins' } });
  const back = loadModel(bytes);
  assert.deepEqual(weightsSnapshot(back), weightsSnapshot(m));
  assert.deepEqual(back.predict(held), m.predict(held));
  assert.deepEqual(back.evaluate(held), m.evaluate(held));
  assert.deepEqual(back.taskNames, m.taskNames);
  assert.deepEqual(back.inputSpec(), m.inputSpec());
  assert.deepEqual(back.taskAffinity(), m.taskAffinity());
  assert.deepEqual(back.core.weighting.state(), m.core.weighting.state(), 'the strategy\'s learned state is restored');
  assert.deepEqual(MultiTaskModel.load(back.save({ metadata: { note: 'penguins' } })).predict(held), m.predict(held), 'a loaded model saves the same model');
  back.dispose(); m.dispose();
  // An array-input model with a task-to-task input and a regression target (its standardization is saved).
  const x = Array.from({ length: 40 }, (_, i) => [Math.sin(i), Math.cos(i)]);
  const a = new MultiTaskModel({
    input: { features: ['u', 'v'] }, architecture: { type: 'cgc', sharedExperts: 1, taskExperts: 1, expertUnits: [6], towerUnits: [] }, seed: 4,
    tasks: [tasks.binary('click'), tasks.regression('spend', { inputsFrom: ['click'] })],
  });
  await a.fit(x, { click: x.map((r) => (r[0] > 0 ? 1 : 0)), spend: x.map((r) => 100 + 30 * r[1]) }, { epochs: 5, batchSize: 8 });
  const b = loadModel(a.save());
  assert.deepEqual(b.predict(x), a.predict(x));
  assert.deepEqual(b.featureNames, ['u', 'v']);
  a.dispose(); b.dispose();
});

test('load refuses truncated, corrupted, foreign, future-version and inconsistent files with ModelFormatError', async () => {
  const m = await trained({ epochs: 1 });
  const good = m.save();
  m.dispose();
  const refuse = (bytes, pattern, label) => assert.throws(() => loadModel(bytes), (e) => {
    assert.ok(e instanceof ModelFormatError, `${label}: ${e?.constructor?.name}: ${e?.message}`);
    assert.equal(e.code, 'E_MODEL_FORMAT');
    assert.match(e.message, pattern, label);
    return true;
  });
  const copy = () => Uint8Array.from(good);
  refuse(good.subarray(0, good.length - 9), /checksum|should be|truncated/, 'truncated');
  refuse(good.subarray(0, 20), /shorter than any model file/, 'cut short');
  refuse(withCrc(Uint8Array.from([...good.subarray(0, good.length - 4), 0, 0, 0, 0, 0, 0, 0, 0])), /should be \d+ bytes/, 'extended');
  const flipped = copy(); flipped[good.length - 40] ^= 0x10;
  refuse(flipped, /checksum does not match/, 'a flipped weight bit');
  const magic = copy(); magic[0] = 0x50;
  refuse(magic, /"MTSK" magic/, 'wrong magic');
  const future = copy(); new DataView(future.buffer).setUint16(4, 2, true);
  refuse(future, /format version 2, newer than this manytask reads \(1\)/, 'future version');
  refuse(withCrc(Object.assign(copy(), { 12: 0x7b + 1 })), /not valid UTF-8 JSON/, 'broken JSON');
  refuse(withHeader(copy(), (h) => ({ ...h, format: 'other' })), /does not describe a manytask model/, 'foreign header');
  refuse(withHeader(copy(), (h) => ({ ...h, architecture: { ...h.architecture, units: [17] } })), /parameter table does not match/, 'architecture ≠ weights');
  refuse(withHeader(copy(), (h) => ({ ...h, architecture: { type: 'moe' } })), /model description is invalid.*unknown architecture type/, 'bad architecture');
  refuse(withHeader(copy(), (h) => ({ ...h, tasks: [] })), /model description is invalid/, 'no tasks');
  const nan = copy(); new DataView(nan.buffer).setFloat32(good.length - 8, NaN, true);
  refuse(withCrc(nan), /weight \d+ is not finite/, 'a NaN weight');
  assert.throws(() => loadModel('MTSK'), ModelFormatError);
  // The intact file still loads.
  loadModel(good).dispose();
});

// ---- addTask ----

test('addTask: old parameters copied bit for bit, shared part frozen by default, the new task trains, old predictions unchanged', async () => {
  // The shared part of each architecture: the trunk, the experts.
  const sharedPart = { sharedBottom: /^shared\./, mmoe: /^experts\./ };
  for (const architecture of [{ type: 'sharedBottom', units: [16], towerUnits: [8] }, { type: 'mmoe', experts: 2, expertUnits: [8], towerUnits: [4] }]) {
    const m = await trained({ architecture, specs: [tasks.multiclass('species'), tasks.binary('sex')] });
    const before = Object.fromEntries(m.parameters.names().map((n) => [n, m.parameters.get(n)]));
    const predBefore = m.predict(held);
    m.addTask(tasks.regression('body_mass_g'), { data: train });
    assert.deepEqual(m.taskNames, ['species', 'sex', 'body_mass_g']);
    for (const [n, v] of Object.entries(before)) assert.deepEqual(m.parameters.get(n), v, `${architecture.type}: ${n} copied`);
    const isShared = (n) => sharedPart[architecture.type].test(n);
    for (const n of m.parameters.names()) assert.equal(m.parameters.isFrozen(n), isShared(n), `${n} frozen iff shared`);
    const predAfter = m.predict(held);
    assert.deepEqual(predAfter.species, predBefore.species);
    assert.deepEqual(predAfter.sex, predBefore.sex);
    const lossBefore = m.evaluate(held).tasks.body_mass_g.loss;
    const h = await m.fit(train, { epochs: 15, batchSize: 32 });
    for (const n of Object.keys(before).filter(isShared)) assert.deepEqual(m.parameters.get(n), before[n], `${n} stayed frozen`);
    assert.ok(h.get('body_mass_g_loss').at(-1) < 0.7 * h.get('body_mass_g_loss')[0], `the new task trains: ${h.get('body_mass_g_loss')}`);
    assert.ok(m.evaluate(held).tasks.body_mass_g.loss < 0.7 * lossBefore);
    m.dispose();
  }
  // freezeShared: false fine-tunes the shared part; a duplicate name is refused.
  const m = await trained({ specs: [tasks.multiclass('species')], epochs: 3 });
  const w = m.parameters.get('shared.0.weight');
  assert.throws(() => m.addTask(tasks.binary('species')), (e) => e instanceof ArgumentError && /already has a task named "species"/.test(e.message));
  m.addTask(tasks.binary('sex'), { data: train, freezeShared: false });
  assert.equal(m.parameters.isFrozen('shared.0.weight'), false);
  await m.fit(train, { epochs: 2 });
  assert.notDeepEqual(m.parameters.get('shared.0.weight'), w);
  assert.deepEqual(m.classNames('sex'), ['female', 'male']);
  m.dispose();
});

// ---- Ensemble ----

function majority(votes) {
  // The most frequent; among ties, the one that reached that count first.
  const counts = new Map(), reached = new Map();
  votes.forEach((v, i) => { counts.set(v, (counts.get(v) ?? 0) + 1); reached.set(v, i); });
  const top = Math.max(...counts.values());
  const candidates = [...counts.keys()].filter((v) => counts.get(v) === top);
  const when = (v) => { let c = 0; for (let i = 0; i < votes.length; i++) if (votes[i] === v && ++c === top) return i; return Infinity; };
  return candidates.sort((a, b) => when(a) - when(b))[0];
}

test('Ensemble: mean of probabilities and values, or a majority vote, as combined here from the members', async () => {
  const members = [];
  for (const seed of [1, 2, 3]) members.push(await trained({ seed, epochs: 4 }));
  const each = members.map((m) => m.predict(held));
  const n = held.rows;
  const mean3 = (f) => (f(each[0]) + f(each[1]) + f(each[2])) / 3;
  for (const combine of ['mean', 'vote']) {
    const e = new Ensemble(members, combine === 'mean' ? {} : { combine }).predict(held);
    assert.equal(new Ensemble(members, combine === 'mean' ? {} : { combine }).combine, combine);
    for (let i = 0; i < n; i++) {
      const probs = [0, 1, 2].map((c) => mean3((p) => p.species.probabilities[i][c]));
      assertClose(e.species.probabilities[i], probs, { atol: 1e-7, rtol: 1e-6, label: `species row ${i}` });
      const sexP = mean3((p) => p.sex.probabilities[i]);
      assertClose([e.sex.probabilities[i]], [sexP], { atol: 1e-7, rtol: 1e-6, label: `sex row ${i}` });
      assertClose([e.body_mass_g.values[i]], [mean3((p) => p.body_mass_g.values[i])], { atol: 1e-3, rtol: 1e-6, label: `mass row ${i}` });
      if (combine === 'mean') {
        assert.equal(e.species.classes[i], ['Adelie', 'Chinstrap', 'Gentoo'][argmax(e.species.probabilities[i])]);
        assert.equal(e.sex.classes[i], e.sex.probabilities[i] > 0.5 ? 'male' : 'female');
      } else {
        assert.equal(e.species.classes[i], majority(each.map((p) => p.species.classes[i])), `species vote row ${i}`);
        assert.equal(e.sex.classes[i], majority(each.map((p) => p.sex.classes[i])), `sex vote row ${i}`);
      }
    }
  }
  // The vote and the mean disagree somewhere (or the test above would not tell them apart).
  const mean = new Ensemble(members).predict(held), vote = new Ensemble(members, { combine: 'vote' }).predict(held);
  assert.ok(mean.sex.classes.some((c, i) => c !== vote.sex.classes[i]) || mean.species.classes.some((c, i) => c !== vote.species.classes[i]),
    'some row where the mean of probabilities and the vote differ');
  assert.deepEqual(majority(['a', 'b', 'b', 'a']), 'b');
  // Two members: every disagreement is a tie, which goes to the first member's class.
  const pair = new Ensemble(members.slice(0, 2), { combine: 'vote' }).predict(held);
  const ties = [...each[0].sex.classes.keys()].filter((i) => each[0].sex.classes[i] !== each[1].sex.classes[i]);
  assert.ok(ties.length > 0, 'the two members disagree somewhere');
  assert.deepEqual(pair.sex.classes, each[0].sex.classes);
  assert.deepEqual(pair.species.classes, each[0].species.classes);
  const other = await trained({ specs: [tasks.multiclass('species')], epochs: 1 });
  assert.throws(() => new Ensemble([members[0], other]), (e) => e instanceof ArgumentError && /member 1 has tasks \[species\]/.test(e.message));
  assert.throws(() => new Ensemble([]), (e) => e instanceof ArgumentError && /non-empty array/.test(e.message));
  assert.throws(() => new Ensemble(members, { combine: 'median' }), (e) => e instanceof ArgumentError && /combine must be 'mean', 'vote' or 'weighted'/.test(e.message));
  for (const m of [...members, other]) m.dispose();
});
