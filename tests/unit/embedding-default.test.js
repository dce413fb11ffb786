// Embeddings chosen by default (docs/embeddings.md, "Embedded by default"): a
// categorical column that does not say `embed` is embedded when the data holds more
// than 50 distinct values, with min(50, ⌈1.6·levels^0.56⌉) floats per identifier;
// `embed: false` keeps it one-hot; the resolved spec writes the choice out.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, Dataset, Preprocessor, MultiTaskModel, tasks, ArgumentError } from '../../dist/index.js';
import { expectError } from '../helpers/errors.js';

before(async () => { await init(); });

/** `levels` distinct shop ids over 2·levels rows (a null every 7th), and a numeric column. */
function shops(levels) {
  return Array.from({ length: 2 * levels }, (_, i) => ({ shop: i % 7 === 6 ? null : `s${i % levels}`, size: i % 5, sales: (i * 13) % 11 }));
}
const fastai = (levels) => Math.min(50, Math.ceil(1.6 * levels ** 0.56));

test('50 distinct values stay one-hot; 51 are embedded with the documented width, a table of their own and unseen ids in row 0', () => {
  const fifty = Dataset.fromRows(shops(50), { features: { shop: 'categorical', size: 'numeric' }, targets: { sales: 'regression' } });
  assert.deepEqual(fifty.spec.features.shop, { type: 'categorical', unknown: 'error', embed: false });
  assert.equal(Preprocessor.fit(fifty).featureNames.length, 52, '50 shops, a missing indicator, size');
  const more = Dataset.fromRows(shops(51), { features: { shop: 'categorical', size: 'numeric' }, targets: { sales: 'regression' } });
  assert.deepEqual(more.spec.features.shop, { type: 'categorical', unknown: 'other', embed: { dim: 15, table: 'shop', minCount: 1, buckets: 1 } });
  const pre = Preprocessor.fit(more);
  assert.deepEqual(pre.featureNames, ['shop', 'size']);
  assert.deepEqual(pre.embeddings, [{ table: 'shop', entries: 52, dim: 15, columns: [0] }]);
  assert.equal(pre.transform([{ shop: 'never seen', size: 1 }]).features[0], 0, 'an unseen shop takes row 0');
  // A missing value is not a level: 50 shops and nulls stay one-hot.
  const withNulls = shops(50).map((r, i) => (i % 3 ? r : { ...r, shop: null }));
  assert.equal(Dataset.fromRows(withNulls, { features: { shop: 'categorical' } }).spec.features.shop.embed, false);
});

test('the default width follows min(50, ⌈1.6·levels^0.56⌉) at every step it takes', () => {
  // The steps of the rule between 51 and 460 levels (15 floats at 51, 50 from 451 on), each side of each.
  const edges = [51, 460];
  for (let n = 52; n <= 460; n++) if (fastai(n) !== fastai(n - 1)) edges.push(n - 1, n);
  assert.equal(edges.length, 2 + 2 * 35);
  for (const n of edges) {
    const rows = Array.from({ length: n }, (_, i) => ({ id: `u${i}` }));
    assert.equal(Dataset.fromRows(rows, { features: { id: 'categorical' } }).spec.features.id.embed.dim, fastai(n), `${n} levels`);
  }
});

test('embed: false keeps a column one-hot; an explicit unknown stays; the resolved spec reads another file the same way', () => {
  const rows = shops(80);
  const oneHot = Dataset.fromRows(rows, { features: { shop: { type: 'categorical', embed: false } } });
  assert.deepEqual(oneHot.spec.features.shop, { type: 'categorical', unknown: 'error', embed: false });
  assert.equal(Preprocessor.fit(oneHot).featureNames.length, 81, '80 shops and a missing indicator');
  const strict = Dataset.fromRows(rows, { features: { shop: { type: 'categorical', unknown: 'error' } } });
  assert.deepEqual(strict.spec.features.shop, { type: 'categorical', unknown: 'error', embed: { dim: fastai(80), table: 'shop', minCount: 1, buckets: 1 } });
  // Another file with 10 shops, read with the first one's resolved spec: still embedded, as the model expects; and the opt-out stays one-hot on 80.
  const again = Dataset.fromRows(shops(10), { features: { shop: Dataset.fromRows(rows, { features: { shop: 'categorical' } }).spec.features.shop } });
  assert.deepEqual(again.spec.features.shop.embed, { dim: fastai(80), table: 'shop', minCount: 1, buckets: 1 });
  assert.equal(Dataset.fromRows(rows, { features: oneHot.spec.features }).spec.features.shop.embed, false);
  expectError(() => Dataset.fromRows(rows, { features: { shop: { type: 'categorical', embed: 'no' } } }), ArgumentError, 'E_ARGUMENT', [/embed must be a dimension/]);
});

test('a column embedded by default whose name another column gives as its table: the two must agree, and the error names both', () => {
  const rows = shops(60).map((r, i) => ({ ...r, rival: `s${(i * 7) % 60}` }));
  expectError(() => Dataset.fromRows(rows, { features: { shop: 'categorical', rival: { type: 'categorical', embed: { dim: 4, table: 'shop' } } } }),
    ArgumentError, 'E_ARGUMENT', [/features "shop" and "rival" share the embedding table "shop" but ask for dim 16 and 4|features "rival" and "shop"/]);
});

test('a model on a column embedded by default trains and predicts unseen ids through the out-of-vocabulary row', async () => {
  const data = Dataset.fromRows(shops(64), { features: { shop: 'categorical', size: 'numeric' }, targets: { sales: 'regression' } });
  const model = new MultiTaskModel({ input: data, architecture: { type: 'sharedBottom', units: [8], towerUnits: [] }, tasks: [tasks.regression('sales')], seed: 1 });
  try {
    assert.deepEqual(model.parameters.list()[0].shape, [65, fastai(64)]);
    await model.fit(data, { epochs: 2, batchSize: 16 });
    const out = model.predict([{ shop: 's3', size: 2 }, { shop: 'new shop', size: 2 }]).sales.values;
    assert.ok(out.every(Number.isFinite));
  } finally {
    model.dispose();
  }
});
