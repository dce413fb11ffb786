// Compatibility with the model core before each architecture became a description
// (tests/fixtures/compat/make.mjs made the fixtures with that build): model files it
// saved load and predict the same numbers, in the full and the inference entries, and
// training with the same seed and data ends with bit-identical weights (but for the
// changes cases.mjs lists with their reasons).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { init, Dataset, MultiTaskModel, loadModel } from '../../dist/index.js';
import { init as initInfer, loadModel as loadForInference } from '../../dist/infer.js';
import { CASES, CHANGED_WEIGHTS, PENGUINS_SPEC, hashWeights, predictionNumbers } from '../fixtures/compat/cases.mjs';

const here = (name) => new URL(`../fixtures/compat/${name}`, import.meta.url);
const expected = JSON.parse(readFileSync(here('expected.json'), 'utf8'));
let train, rows;

before(async () => {
  await init();
  await initInfer();
  const data = Dataset.fromCSV(readFileSync(new URL('../../examples/data/penguins.csv', import.meta.url), 'utf8'), PENGUINS_SPEC);
  [train, rows] = data.split(0.8, { seed: 7, stratify: 'species' });
  rows = rows.select(Array.from({ length: 12 }, (_, i) => i));
});

for (const c of CASES) {
  test(`${c.name}: files saved before the model description load and predict the same numbers`, () => {
    for (const enc of ['f32', 'f16', 'int8']) {
      const bytes = new Uint8Array(readFileSync(here(`${c.name}.${enc}.mtsk`)));
      const want = expected[c.name].predictions[enc];
      const full = loadModel(bytes);
      assert.deepEqual(predictionNumbers(full.predict(rows)), want, `${enc}, MultiTaskModel.load`);
      full.dispose();
      const inf = loadForInference(bytes);
      const raw = Array.from({ length: rows.rows }, (_, i) => Object.fromEntries(Object.keys(PENGUINS_SPEC.features).map((f) => [f, rows.column(f)[i]])));
      assert.deepEqual(predictionNumbers(inf.predict(raw)), want, `${enc}, manytask/infer`);
      inf.dispose();
    }
  });

  test(`${c.name}: training with the same seed gives the weights of before, bit for bit`, async () => {
    const model = new MultiTaskModel({ input: train, ...c.model() });
    await model.fit(train, c.fit);
    assert.equal(hashWeights(model), CHANGED_WEIGHTS[c.name] ?? expected[c.name].weights);
    model.dispose();
  });
}

test('a crossStitch model saved with GradDrop on the representation\'s gradients (its default until they were refused there) loads, predicts as before and trains', async () => {
  // The tasks of a cross-stitch network read disjoint columns of Z, so 'representation' is now refused there; a
  // file that names it loads with the default source (the shared parameters), rather than as an invalid file.
  const bytes = new Uint8Array(readFileSync(here('cross-stitch-graddrop-representation.f32.mtsk')));
  const want = JSON.parse(readFileSync(here('cross-stitch-graddrop-representation.json'), 'utf8')).predictions;
  const full = loadModel(bytes);
  assert.deepEqual(predictionNumbers(full.predict(rows)), want);
  assert.equal(full.core.weighting.config().gradients, 'either');
  await full.fit(train, { epochs: 1, batchSize: 32 });
  full.dispose();
  const inf = loadForInference(bytes);
  const raw = Array.from({ length: rows.rows }, (_, i) => Object.fromEntries(Object.keys(PENGUINS_SPEC.features).map((f) => [f, rows.column(f)[i]])));
  assert.deepEqual(predictionNumbers(inf.predict(raw)), want);
  inf.dispose();
  // Given now, it is refused with the reason.
  assert.throws(() => new MultiTaskModel({
    input: train, architecture: { type: 'crossStitch', units: [8], towerUnits: [4] }, tasks: [{ name: 'sex', kind: 'binary' }, { name: 'species', kind: 'multiclass' }],
    weighting: { type: 'graddrop', gradients: 'representation' },
  }), (err) => err.code === 'E_ARGUMENT' && /read disjoint columns of the shared representation/.test(err.message));
});
