// Embedded identifier columns end to end (docs/embeddings.md): the spec and its
// errors, the preprocessing (shared tables, the out-of-vocabulary row, minCount),
// training (how Adam treats rows a batch did not use), and the model file served
// by MultiTaskModel.load and manytask/infer with the same floats.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, Dataset, Preprocessor, MultiTaskModel, tasks, encoded, ArgumentError, ShapeError, UnknownCategoryError, ModelFormatError } from '../../dist/index.js';
import { init as initInfer, loadModel as loadForInference } from '../../dist/infer.js';
import { expectError } from '../helpers/errors.js';
import { withHeader } from '../helpers/model-file.js';

before(async () => { await init(); await initInfer(); });

const TEAMS = ['Ajax', 'Benfica', 'Celtic', 'Dynamo', 'Everton', 'Fulham'];
/** Matches of every pair of teams: goals from a fixed rule, so the data is the same on every run. */
function matches(teams = TEAMS) {
  const rows = [];
  teams.forEach((home, i) => teams.forEach((away, j) => {
    if (i === j) return;
    const hg = (i * 7 + j * 3) % 4, ag = (i * 2 + j * 5) % 3;
    rows.push({ home, away, neutral: (i + j) % 2, hg, ag, outcome: hg > ag ? 'home' : hg < ag ? 'away' : 'draw' });
  }));
  return rows;
}
const TEAM = { type: 'categorical', embed: { dim: 3, table: 'team' } };
const SPEC = { features: { home: TEAM, neutral: 'numeric', away: TEAM }, targets: { hg: 'regression', ag: 'regression', outcome: 'multiclass' } };

test('embed: spec errors name the column and what is wrong', () => {
  const rows = matches();
  const spec = (home) => ({ features: { home, away: TEAM }, targets: { hg: 'regression' } });
  for (const dim of [0, -2, 1.5, NaN, 5000]) {
    expectError(() => Dataset.fromRows(rows, spec({ type: 'categorical', embed: dim })), ShapeError, 'E_SHAPE', [/feature "home": embed dim must be an integer from 1 to 4096/]);
  }
  expectError(() => Dataset.fromRows(rows, spec({ type: 'categorical', embed: { dim: 3, minCount: 0 } })), ShapeError, 'E_SHAPE', [/embed minCount/]);
  expectError(() => Dataset.fromRows(rows, { features: { neutral: { type: 'numeric', embed: 4 } } }), ArgumentError, 'E_ARGUMENT', [/feature "neutral": embed applies to categorical columns/]);
  expectError(() => Dataset.fromRows(rows, spec({ type: 'categorical', embed: { dim: 4, table: 'team' } })), ArgumentError, 'E_ARGUMENT',
    [/features "home" and "away" share the embedding table "team" but ask for dim 4 and 3/]);
  expectError(() => Dataset.fromRows(rows, spec({ type: 'categorical', embed: { dim: 3, table: 'team', minCount: 2 } })), ArgumentError, 'E_ARGUMENT', [/minCount 2 and 1/]);
  expectError(() => Dataset.fromRows(rows, spec({ type: 'categorical', embed: { dim: 3, table: 'a.b' } })), ArgumentError, 'E_ARGUMENT', [/embed table must be a non-empty name without "."/]);
  expectError(() => Dataset.fromRows(rows, spec({ type: 'categorical', embed: { dim: 3, size: 9 } })), ArgumentError, 'E_ARGUMENT', [/size/]);
  expectError(() => Dataset.fromRows(rows, spec({ type: 'categorical', embed: '8' })), ArgumentError, 'E_ARGUMENT', [/embed must be a dimension/]);
  expectError(() => Dataset.fromRows(rows, spec({ type: 'categorical', embed: [3] })), ArgumentError, 'E_ARGUMENT', [/embed must be a dimension/]);
  const rare = Dataset.fromRows(rows, spec({ type: 'categorical', embed: { dim: 3, table: 'solo', minCount: 1000 } }));
  expectError(() => Preprocessor.fit(rare), ArgumentError, 'E_ARGUMENT', [/no identifier of the embedding table "solo" \(columns "home"\) appears minCount = 1000 times/]);
});

test('a shared table indexes the union of its columns\' identifiers; unseen, missing and rare ones take row 0', () => {
  const rows = matches().filter((r) => r.away !== 'Fulham'); // Fulham plays at home only: still in the shared table
  rows.push({ home: 'Ajax', away: 'Gent', neutral: 0, hg: 1, ag: 1, outcome: 'draw' }); // Gent once: below minCount 2
  const data = Dataset.fromRows(rows, { ...SPEC, features: { home: { ...TEAM, embed: { ...TEAM.embed, minCount: 2 } }, neutral: 'numeric', away: { ...TEAM, embed: { ...TEAM.embed, minCount: 2 } } } });
  assert.deepEqual(data.spec.features.home, { type: 'categorical', unknown: 'other', embed: { dim: 3, table: 'team', minCount: 2, buckets: 1 } });
  const pre = Preprocessor.fit(data);
  assert.deepEqual(pre.featureNames, ['home', 'neutral', 'away']);
  assert.deepEqual(pre.embeddings, [{ table: 'team', entries: TEAMS.length + 1, dim: 3, columns: [0, 2] }]);
  const { features } = pre.transform([
    { home: 'Celtic', neutral: 1, away: 'Fulham' }, { home: 'Gent', neutral: 0, away: 'Nowhere' }, { home: null, neutral: 0, away: 'Ajax' },
  ]);
  assert.deepEqual([features[0], features[2], features[3], features[5], features[6], features[8]], [3, 6, 0, 0, 0, 1]);
  // The fitted state round-trips, embed included.
  assert.deepEqual(Preprocessor.fromJSON(JSON.parse(JSON.stringify(pre.toJSON()))).toJSON(), pre.toJSON());
  assert.deepEqual(pre.columns[0].embed, { dim: 3, table: 'team' });
  // unknown: 'error' refuses an unseen identifier instead.
  const strict = Preprocessor.fit(Dataset.fromRows(matches(), { features: { home: { type: 'categorical', unknown: 'error', embed: 2 } } }));
  expectError(() => strict.transform([{ home: 'Nowhere' }]), UnknownCategoryError, 'E_ARGUMENT', [/column "home", rows\[0\]: unknown category "Nowhere"/]);
});

const ARCH = { type: 'sharedBottom', units: [8], towerUnits: [] };
const TASKS = () => [tasks.poisson('hg'), tasks.poisson('ag'), tasks.multiclass('outcome')];

test('the model file serves embeddings: MultiTaskModel.load and manytask/infer predict what the model predicts, unseen teams included', async () => {
  const data = Dataset.fromRows(matches(), SPEC);
  const model = new MultiTaskModel({ input: data, architecture: ARCH, tasks: TASKS(), seed: 4 });
  assert.deepEqual(model.parameters.list()[0], { ...model.parameters.list()[0], name: 'embedding.team', shape: [TEAMS.length + 1, 3] });
  await model.fit(data, { epochs: 3, batchSize: 8 });
  // Other rows than the training ones, in another column order, with identifiers the model has not seen.
  const rows = [{ away: 'Benfica', neutral: 1, home: 'Fulham' }, { away: 'Zenit', neutral: 0, home: 'Celtic' }, { away: null, neutral: 0, home: 'Nowhere' }];
  const want = JSON.stringify(model.predict(rows));
  const bytes = model.save();
  assert.equal(JSON.stringify(MultiTaskModel.load(bytes).predict(rows)), want);
  const served = loadForInference(bytes);
  assert.equal(JSON.stringify(served.predict(rows)), want);
  assert.deepEqual(served.featureNames, ['home', 'neutral', 'away']);
  // Raw arrays must hold table rows: anything else is refused, naming the feature.
  assert.throws(() => served.predict(encoded([[7, 0, 1]])), (e) => e instanceof ArgumentError && /feature 0, row 0 of the batch: not a table row \(0…6\)/.test(e.message));
  assert.throws(() => model.predict(encoded([[1, 0, 2.5]])), (e) => e instanceof ArgumentError && /feature 2, row 0 of the batch: not a table row \(0…6\)/.test(e.message));
  served.dispose();
  model.dispose();
});

test('training on raw arrays: an index that is not a table row, found in a micro-shard (by a worker, on the pool), names the batch row; the next fit works', async () => {
  const data = Dataset.fromRows(matches(), SPEC);
  const model = new MultiTaskModel({ input: data, architecture: ARCH, tasks: TASKS(), seed: 4 });
  // 512 rows: 4 micro-shards of 128; row 300 is the third shard's 45th.
  const x = Array.from({ length: 512 }, (_, i) => [i % 6, i % 2, (i * 5) % 6]);
  const labels = { hg: x.map((r) => r[0] % 3), ag: x.map((r) => r[2] % 2), outcome: x.map((r) => r[1]) };
  x[300][2] = 9;
  await assert.rejects(model.fit(encoded(x), labels, { epochs: 1, batchSize: 512, shuffle: false }),
    (e) => e instanceof ArgumentError && /feature 2, row 300 of the batch: not a table row \(0…6\)/.test(e.message));
  x[300][2] = 1;
  const history = await model.fit(encoded(x), labels, { epochs: 1, batchSize: 512, shuffle: false });
  assert.ok(Number.isFinite(history.get('loss')[0]));
  model.dispose();
});

test('a model file whose preprocessing and embedding tables disagree is refused', () => {
  const data = Dataset.fromRows(matches(), SPEC);
  const model = new MultiTaskModel({ input: data, architecture: ARCH, tasks: TASKS(), seed: 4 });
  const bytes = model.save();
  model.dispose();
  const forge = (edit) => withHeader(bytes, (h) => { edit(h); return h; });
  // The columns swapped: the schema's tables no longer read what the preprocessing writes.
  const swapped = forge((h) => { h.schema.embeddings[0].columns = [2, 0]; });
  expectError(() => MultiTaskModel.load(swapped), ModelFormatError, 'E_MODEL_FORMAT', [/disagree on the embedding tables/]);
  // A table past the file's weights, and one on a column that does not exist.
  expectError(() => MultiTaskModel.load(forge((h) => { h.schema.embeddings[0].entries = 70; })), ModelFormatError, 'E_MODEL_FORMAT');
  expectError(() => loadForInference(forge((h) => { h.schema.embeddings[0].columns = [0, 3]; })), ModelFormatError, 'E_MODEL_FORMAT', [/embeddings/]);
});

test('MMoE with embeddings (its gates read the tables\' rows too): trains, and the model file serves it with the same floats', async () => {
  const data = Dataset.fromRows(matches(), SPEC);
  const model = new MultiTaskModel({ input: data, architecture: { type: 'mmoe', experts: 2, expertUnits: [4], towerUnits: [] }, tasks: TASKS(), seed: 6 });
  const start = Array.from(model.parameters.get('embedding.team'));
  await model.fit(data, { epochs: 2, batchSize: 8 });
  assert.notDeepEqual(Array.from(model.parameters.get('embedding.team')), start, 'the table learned');
  const rows = [{ home: 'Everton', neutral: 0, away: 'Ajax' }, { home: 'Nowhere', neutral: 1, away: 'Celtic' }];
  const want = JSON.stringify(model.predict(rows));
  const served = loadForInference(model.save());
  assert.equal(JSON.stringify(served.predict(rows)), want);
  served.dispose();
  model.dispose();
});

test('Adam on a table: rows no batch has used never move; a row used once keeps moving on its moments (dense Adam, as torch.optim.Adam on nn.Embedding)', async () => {
  const all = Dataset.fromRows(matches(), SPEC);
  const model = new MultiTaskModel({ input: all, architecture: ARCH, tasks: TASKS(), seed: 2, optimizer: { type: 'adam', learningRate: 0.01 } });
  const table = () => Array.from(model.parameters.get('embedding.team'));
  const row = (t, i) => t.slice(i * 3, i * 3 + 3);
  const start = table();
  // Ajax (row 1) and Benfica (row 2) only.
  const early = Dataset.fromRows(matches(['Ajax', 'Benfica']), SPEC);
  await model.fit(early, { epochs: 2, batchSize: 2, shuffle: false });
  const mid = table();
  for (const i of [0, 3, 4, 5, 6]) assert.deepEqual(row(mid, i), row(start, i), `row ${i} (never used) did not move`);
  for (const i of [1, 2]) assert.notDeepEqual(row(mid, i), row(start, i), `row ${i} (used) moved`);
  // Celtic (3) and Dynamo (4) only: Ajax's row gets zero gradients but still moves on its first moment.
  await model.fit(Dataset.fromRows(matches(['Celtic', 'Dynamo']), SPEC), { epochs: 1, batchSize: 2, shuffle: false });
  const late = table();
  assert.notDeepEqual(row(late, 1), row(mid, 1), 'a row used before keeps moving with zero gradients');
  for (const i of [0, 5, 6]) assert.deepEqual(row(late, i), row(start, i), `row ${i} (never used) still did not move`);
  model.dispose();
});

test('attacks and input gradients with embedded columns: only the numeric feature moves, the table rows stay whole numbers', async () => {
  const data = Dataset.fromRows(matches(), SPEC);
  const model = new MultiTaskModel({
    input: data, architecture: { type: 'sharedBottom', units: [8], towerUnits: [] }, seed: 5,
    tasks: [tasks.regression('hg'), tasks.regression('ag'), tasks.multiclass('outcome')],
  });
  try {
    await model.fit(data, { epochs: 3, batchSize: 8, adversarial: { method: 'pgd', epsilon: 0.2, steps: 2 } });
    const names = model.featureNames; // home, neutral, away: one feature each
    assert.deepEqual(names, ['home', 'neutral', 'away']);
    const clean = model.attack(data, { method: 'fgsm', epsilon: 0 });
    const moved = model.attack(data, { method: 'pgd', epsilon: 0.5, steps: 3 });
    let numericMoved = 0;
    for (let r = 0; r < data.rows; r++) {
      for (const c of [0, 2]) assert.equal(moved[r * 3 + c], clean[r * 3 + c], `row ${r}: the table row of ${names[c]} moved`);
      if (moved[r * 3 + 1] !== clean[r * 3 + 1]) numericMoved++;
    }
    assert.ok(numericMoved > data.rows / 2, `the numeric feature moved on ${numericMoved} of ${data.rows} rows`);
    const g = model.inputGradient(data);
    for (let r = 0; r < data.rows; r++) assert.ok(g[r * 3] === 0 && g[r * 3 + 2] === 0, `row ${r}: a gradient for a table row`);
  } finally {
    model.dispose();
  }
});

/** FNV-1a (32 bits) of a string's UTF-8 bytes mod k: the reference of docs/embeddings.md, by TextEncoder. */
function fnvBucket(id, k) {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(id)) h = Math.imul(h ^ b, 0x01000193);
  return (h >>> 0) % k;
}

test('hashing buckets: unseen and rare identifiers take row FNV-1a(UTF-8) mod k, known ones k + their index, a missing one row 0; served the same by manytask/infer', async () => {
  // The reference itself, on FNV-1a's published values.
  assert.equal(fnvBucket('', 2 ** 32), 0x811c9dc5);
  assert.equal(fnvBucket('a', 2 ** 32), 0xe40c292c);
  assert.equal(fnvBucket('foobar', 2 ** 32), 0xbf9cf968);
  const bucketed = { type: 'categorical', embed: { dim: 3, table: 'team', minCount: 2, buckets: 5 } };
  const rows = matches();
  rows.push({ home: 'Gent', away: 'Ajax', neutral: 0, hg: 1, ag: 0, outcome: 'home' }); // Gent once: rare, hashed
  const spec = { ...SPEC, features: { home: bucketed, neutral: 'numeric', away: bucketed } };
  const data = Dataset.fromRows(rows, spec);
  assert.deepEqual(data.spec.features.home.embed, { dim: 3, table: 'team', minCount: 2, buckets: 5 });
  const pre = Preprocessor.fit(data);
  assert.deepEqual(pre.embeddings, [{ table: 'team', entries: TEAMS.length + 5, dim: 3, columns: [0, 2] }]);
  assert.deepEqual(pre.columns[0].embed, { dim: 3, table: 'team', buckets: 5 });
  const unseen = ['Gent', 'Zenit', 'Ñandú FC', '東京', '🦊 United', 'x'];
  const { features } = pre.transform([
    { home: 'Ajax', neutral: 0, away: 'Fulham' }, { home: null, neutral: 0, away: 'Celtic' },
    ...unseen.map((home) => ({ home, neutral: 1, away: 'Ajax' })),
  ]);
  assert.deepEqual([features[0], features[2], features[3], features[5]], [5, 10, 0, 7], 'known teams after the 5 buckets, missing in row 0');
  const got = unseen.map((_, i) => features[(i + 2) * 3]);
  assert.deepEqual(got, unseen.map((id) => fnvBucket(id, 5)));
  assert.ok(new Set(got).size > 1, `the unseen teams spread over the buckets: ${got}`);
  // The preprocessing's JSON keeps the buckets; a file saying 1 or 5000 is refused.
  assert.deepEqual(Preprocessor.fromJSON(JSON.parse(JSON.stringify(pre.toJSON()))).transform([{ home: 'Zenit', neutral: 0, away: 'Ajax' }]).features[0], fnvBucket('Zenit', 5));
  for (const bad of [1, 5000, 2.5]) {
    const json = pre.toJSON();
    const forged = { ...json, columns: json.columns.map((c, i) => (i === 0 ? { ...c, embed: { ...c.embed, buckets: bad } } : c)) };
    expectError(() => Preprocessor.fromJSON(forged), ArgumentError, 'E_ARGUMENT', [/embed\.buckets must be an integer from 2 to 4096/]);
  }
  expectError(() => Dataset.fromRows(rows, { ...spec, features: { home: { ...bucketed, embed: { ...bucketed.embed, buckets: 0 } }, away: bucketed } }), ShapeError, 'E_SHAPE', [/embed buckets must be an integer from 1 to 4096/]);
  expectError(() => Dataset.fromRows(rows, { ...spec, features: { home: { ...bucketed, embed: { ...bucketed.embed, buckets: 4 } }, away: bucketed } }), ArgumentError, 'E_ARGUMENT', [/buckets 4 and 5/]);
  // A model trains the buckets (Gent's is used) and serves them: manytask/infer predicts the same floats.
  const model = new MultiTaskModel({ input: data, architecture: ARCH, tasks: TASKS(), seed: 4 });
  assert.deepEqual(model.parameters.list()[0].shape, [TEAMS.length + 5, 3]);
  const start = Array.from(model.parameters.get('embedding.team'));
  await model.fit(data, { epochs: 2, batchSize: 8 });
  const table = model.parameters.get('embedding.team'), gent = fnvBucket('Gent', 5);
  assert.notDeepEqual(Array.from(table.subarray(gent * 3, gent * 3 + 3)), start.slice(gent * 3, gent * 3 + 3), 'the rare team trained its bucket');
  const ask = unseen.map((home) => ({ home, neutral: 0, away: 'Dynamo' }));
  const want = JSON.stringify(model.predict(ask));
  const served = loadForInference(model.save());
  assert.equal(JSON.stringify(served.predict(ask)), want);
  assert.equal(JSON.stringify(MultiTaskModel.load(model.save()).predict(ask)), want);
  served.dispose();
  model.dispose();
});
