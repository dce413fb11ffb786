// FederatedClient.join with a model of the client's own: besides the parameter
// layout, its weights must mean what the federation's mean — the same input
// encoding (numeric standardization, categories, embedding vocabularies), class
// names and target standardization, compared exactly (src/federated/meaning.ts).
// A model built from the client's own rows has the federation's layout but its
// own statistics: its updates would be in other units, averaged in silently.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { init, Dataset, MultiTaskModel, tasks } from '../../dist/index.js';
import { FederatedClient, FederatedError } from '../../dist/federated.js';
import { FederatedCoordinator, routeFederation } from '../../dist/federated-coordinator.js';
import { decodeModel, encodeModel } from '../../dist/internal.js';
import { memoryNamespace } from '../helpers/memory-durable-object.js';
import { start, token } from '../helpers/federated-scenarios.js';

before(async () => { await init({ threads: 1 }); });

const SECRET = 'a-secret-of-the-deployment-under-test-0123456789';

function deployment() {
  const namespace = memoryNamespace(FederatedCoordinator, { FEDERATED_SECRET: SECRET });
  const fetch = async (url, init) => (await routeFederation(new Request(url, init), namespace)) ?? new Response('not here', { status: 404 });
  return { secret: SECRET, fetch, url: (name) => `http://coordinator.test/federations/${name}` };
}

// Penguins without the rows that miss a value (so no column has a missing-value indicator).
const CSV = readFileSync(new URL('../../examples/data/penguins.csv', import.meta.url), 'utf8').split('\n').filter((l) => l !== '' && !/NA|,,|,$/.test(l)).join('\n');
const SPEC = {
  features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
  targets: { species: 'multiclass', body_mass_g: 'regression' },
};
const penguins = (csv = CSV, spec = SPEC) => Dataset.fromCSV(csv, spec);
const build = (data, seed = 1) => new MultiTaskModel({
  input: data, seed, architecture: { type: 'sharedBottom', units: [8], towerUnits: [4] },
  tasks: [tasks.multiclass('species'), tasks.regression('body_mass_g')],
});

/** A federation started from a model of all the rows; answers its URL's name and the model file it started from. */
async function federation(env, name) {
  const { bytes } = await start(env, name, { minClients: 1, rounds: 3, taskParts: 'average' }, build(penguins()));
  return bytes;
}

const client = async (env, name, id) => new FederatedClient({ url: env.url(name), token: await token(env, id), fetch: env.fetch });

/** join(model) refuses as 'wrong-model' with a message matching `pattern`, and leaves both the client and the model as they were. */
async function refuses(c, model, pattern) {
  const before = model.parameters.get('shared.0.weight').slice();
  await assert.rejects(c.join(model), (err) => {
    assert.ok(err instanceof FederatedError, String(err));
    assert.equal(err.reason, 'wrong-model');
    assert.match(err.message, pattern);
    return true;
  });
  assert.deepEqual(model.parameters.get('shared.0.weight'), before, 'the refused model keeps its weights');
  assert.throws(() => c.model, /join\(\) first/, 'the client has not joined');
}

test('join refuses a model built from the client\'s own rows (same spec, same layout, its own standardization), naming the column; the documented ways join', async () => {
  const env = deployment();
  const bytes = await federation(env, 'own');
  const data = penguins();
  const mass = Array.from(data.column('body_mass_g'), Number);
  const mine = data.select(mass.flatMap((m, i) => (m > 4000 ? [i] : [])));
  assert.equal(new Set(mine.column('island')).size, 3, 'every island among the client\'s rows: the same one-hot features');
  const own = build(mine);
  const c = await client(env, 'own', 'c1');
  await refuses(c, own, /FederatedClient\.join: the local model is not the federation's: numeric column "bill_length_mm" is standardized with mean \d+\.\d+ and std \d+\.\d+ in the local model, mean \d+\.\d+ and std \d+\.\d+ in the federation's.*join without a model/is);
  own.dispose();

  // The documented ways: without a model, or with one loaded from the federation's file.
  const loaded = MultiTaskModel.load(bytes);
  assert.equal(await c.join(loaded), loaded);
  assert.equal(c.pulled.version, 0);
  const r = await c.trainRound(mine, { fit: { epochs: 1 } });
  assert.equal(r.round, 1);
  const c2 = await client(env, 'own', 'c2');
  (await c2.join()).dispose();
  // The same recipe on the federation's rows gives the same preprocessing, bit for bit (the weights may differ: the pull replaces them).
  const same = build(data, 7);
  const c3 = await client(env, 'own', 'c3');
  assert.equal(await c3.join(same), same);
  loaded.dispose();
  same.dispose();
});

test('join refuses a model whose classes are in another order, and one whose targets are standardized otherwise', async () => {
  const env = deployment();
  await federation(env, 'order');
  const reordered = build(penguins(CSV, { ...SPEC, targets: { ...SPEC.targets, species: { type: 'multiclass', classes: ['Gentoo', 'Adelie', 'Chinstrap'] } } }));
  await refuses(await client(env, 'order', 'c1'), reordered,
    /task "species" orders its classes "Gentoo", "Adelie", "Chinstrap" in the local model, "Adelie", "Chinstrap", "Gentoo" in the federation's/);
  reordered.dispose();
  // The same feature rows, one body mass 1 g heavier: only the target standardization differs.
  const lines = CSV.split('\n');
  const cells = lines[1].split(',');
  cells[5] = String(Number(cells[5]) + 1);
  const heavier = build(penguins([lines[0], cells.join(','), ...lines.slice(2)].join('\n')));
  await refuses(await client(env, 'order', 'c2'), heavier,
    /task "body_mass_g" standardizes its targets with mean \d+\.\d+ and std \d+\.\d+ in the local model, mean \d+\.\d+ and std \d+\.\d+ in the federation's/);
  heavier.dispose();
});

test('the statistics are compared exactly: one unit in the last place of a mean or a std is another model', async () => {
  const env = deployment();
  const bytes = await federation(env, 'exact');
  const { header, weights } = decodeModel(bytes);
  const nextUp = (x) => {
    const f = new Float64Array([x]);
    new BigInt64Array(f.buffer)[0] += 1n;
    return f[0];
  };
  const altered = (change) => {
    const h = structuredClone(header);
    change(h);
    return MultiTaskModel.load(encodeModel({ header: h, weights }));
  };
  const byTarget = altered((h) => { h.targetStats.body_mass_g.mean = nextUp(h.targetStats.body_mass_g.mean); });
  await refuses(await client(env, 'exact', 'c1'), byTarget, /task "body_mass_g" standardizes its targets with mean/);
  byTarget.dispose();
  const byColumn = altered((h) => { const c = h.preprocessor.columns.find((x) => x.name === 'flipper_length_mm'); c.std = nextUp(c.std); });
  await refuses(await client(env, 'exact', 'c2'), byColumn, /numeric column "flipper_length_mm" is standardized with mean/);
  byColumn.dispose();
  const byFill = altered((h) => { const c = h.preprocessor.columns.find((x) => x.name === 'bill_length_mm'); c.fill = nextUp(c.fill); });
  await refuses(await client(env, 'exact', 'c3'), byFill, /numeric column "bill_length_mm" fills a missing value with/);
  byFill.dispose();
  const byLevels = altered((h) => { const c = h.preprocessor.columns.find((x) => x.name === 'island'); c.categories = [...c.categories].reverse(); });
  await refuses(await client(env, 'exact', 'c4'), byLevels, /categorical column "island": category 1 is "Torgersen" in the local model, "Biscoe" in the federation's \(its one-hot features, in order\)/);
  byLevels.dispose();
  const untouched = altered(() => {});
  const c5 = await client(env, 'exact', 'c5');
  assert.equal(await c5.join(untouched), untouched);
  untouched.dispose();
});

test('join compares embedding vocabularies, and a model reading arrays with a model encoding raw columns', async () => {
  const env = deployment();
  const rows = (teams) => teams.map((team, i) => ({ team, x: i % 5, y: (i * 7) % 11 }));
  const spec = { features: { team: { type: 'categorical', embed: 2 }, x: 'numeric' }, targets: { y: 'regression' } };
  const make = (data) => new MultiTaskModel({ input: data, seed: 1, architecture: { type: 'sharedBottom', units: [4], towerUnits: [3] }, tasks: [tasks.regression('y')] });
  await start(env, 'teams', { minClients: 1 }, make(Dataset.fromRows(rows(['a', 'b', 'c', 'a', 'b', 'c']), spec)));
  const others = make(Dataset.fromRows(rows(['a', 'b', 'd', 'a', 'b', 'd']), spec));
  await refuses(await client(env, 'teams', 'c1'), others, /embedded column "team": identifier 3 is "d" in the local model, "c" in the federation's \(its embedding vocabulary, in table order\)/);
  others.dispose();

  await federation(env, 'arrays');
  const global = build(penguins());
  const arrays = new MultiTaskModel({
    input: { features: global.featureNames, classes: { species: global.classNames('species') } }, seed: 1,
    architecture: { type: 'sharedBottom', units: [8], towerUnits: [4] }, tasks: [tasks.multiclass('species'), tasks.regression('body_mass_g')],
  });
  global.dispose();
  await refuses(await client(env, 'arrays', 'c2'), arrays, /the federation's model encodes raw columns with a preprocessing fitted on a Dataset; the local model reads feature arrays/);
  arrays.dispose();
});

test('models built from arrays: class names (and their order) and target statistics are compared too', async () => {
  const env = deployment();
  const make = (classes) => new MultiTaskModel({
    input: { features: 4, classes: { kind: classes } }, seed: 3,
    architecture: { type: 'sharedBottom', units: [6], towerUnits: [4] }, tasks: [tasks.multiclass('kind'), tasks.regression('amount')],
  });
  const x = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i));
  const labels = (shift) => ({ kind: Array.from({ length: 10 }, (_, i) => i % 3), amount: Array.from({ length: 10 }, (_, i) => i + shift) });
  const global = make(['a', 'b', 'c']);
  await global.fit(x, labels(0), { epochs: 1 });
  await start(env, 'arrays', { minClients: 1 }, global);
  const swapped = make(['a', 'c', 'b']);
  await swapped.fit(x, labels(0), { epochs: 1 });
  await refuses(await client(env, 'arrays', 'c1'), swapped, /task "kind" orders its classes "a", "c", "b" in the local model, "a", "b", "c" in the federation's/);
  swapped.dispose();
  const counted = make(3);
  await counted.fit(x, labels(0), { epochs: 1 });
  await refuses(await client(env, 'arrays', 'c2'), counted, /task "kind" has only a count of classes in the local model; the federation's names them "a", "b", "c"/);
  counted.dispose();
  const untrained = make(['a', 'b', 'c']);
  await refuses(await client(env, 'arrays', 'c3'), untrained, /task "amount" has no target standardization in the local model; the federation's standardizes its targets with mean 4\.5 and std/);
  untrained.dispose();
  const shifted = make(['a', 'b', 'c']);
  await shifted.fit(x, labels(1), { epochs: 1 });
  await refuses(await client(env, 'arrays', 'c4'), shifted, /task "amount" standardizes its targets with mean 5\.5 and std \S+ in the local model, mean 4\.5 and std \S+ in the federation's/);
  shifted.dispose();
  const same = make(['a', 'b', 'c']);
  await same.fit(x, labels(0), { epochs: 1 });
  const c5 = await client(env, 'arrays', 'c5');
  assert.equal(await c5.join(same), same);
  same.dispose();
});

test('trainRound refuses to standardize a regression task by the client\'s own labels when the federation\'s model holds no statistics for it', async () => {
  // A federation started from a model built from arrays and never fitted: each client's
  // first fit took its own labels' mean and std (2.5 and 1002.5 in two clients), averaged in silently.
  const env = deployment();
  const fresh = () => new MultiTaskModel({
    input: { features: 3 }, seed: 2, architecture: { type: 'sharedBottom', units: [6], towerUnits: [] },
    tasks: [tasks.binary('flag'), tasks.regression('amount')],
  });
  await start(env, 'no-stats', { minClients: 1, rounds: 2, taskParts: 'average' }, fresh());
  const x = Float32Array.from({ length: 30 }, (_, i) => Math.sin(i));
  const c = await client(env, 'no-stats', 'a');
  const model = await c.join();
  try {
    await assert.rejects(c.trainRound({ x, labels: { amount: Array.from({ length: 10 }, (_, i) => 1000 + i) } }), (err) => {
      assert.ok(err instanceof FederatedError, String(err));
      assert.equal(err.reason, 'wrong-model');
      assert.match(err.message, /^trainRound: task "amount" has no target statistics in the federation's model .*start the federation from a model fitted on representative rows \(fit with epochs: 0 fits the statistics alone\)/);
      return true;
    });
    // A client without labels for that task trains the others.
    const r = await c.trainRound({ x, labels: { flag: Array.from({ length: 10 }, (_, i) => i % 2) } });
    assert.equal(r.examples, 10);
  } finally {
    model.dispose();
  }
  // Fitted before the start (epochs 0: the statistics alone), the model holds them, and a client trains the task.
  const fitted = fresh();
  await fitted.fit(x, { amount: Array.from({ length: 10 }, (_, i) => 500 + 10 * i) }, { epochs: 0, unlabeledTasks: 'skip' });
  assert.deepEqual(fitted.inputAndTargets().targetStats, { amount: { mean: 545, std: Math.sqrt(825) } });
  assert.equal(fitted.steps, 0);
  await start(env, 'stats', { minClients: 1, rounds: 2, taskParts: 'average' }, fitted);
  const d = await client(env, 'stats', 'b');
  const m = await d.join();
  try {
    const r = await d.trainRound({ x, labels: { amount: Array.from({ length: 10 }, (_, i) => 1000 + i) } });
    assert.equal(r.examples, 10);
  } finally {
    m.dispose();
  }
});
