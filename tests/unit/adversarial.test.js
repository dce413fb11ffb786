// Adversarial training (issue #18 part 3): the gradient of the joint loss with
// respect to the inputs against central differences of evaluate's losses for every
// architecture (task weights, several task kinds, a task reading another's
// prediction, dropout, missing labels); FGSM and PGD (only numeric features move,
// within ε; PGD's loss never falls from step to step); fit's `adversarial` option
// (deterministic from the seed); evaluate under attack; typed errors.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { init, MultiTaskModel, tasks, Dataset, ARCHITECTURE_TYPES, WEIGHTING_TYPES, ArgumentError, TrainingDivergedError } from '../../dist/index.js';
import { expectError, typedError } from '../helpers/errors.js';
import { assertClose } from '../helpers/reference.js';

const PENGUINS = readFileSync(new URL('../../examples/data/penguins.csv', import.meta.url), 'utf8');
const FEATURES = { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' };
const SPEC = { features: FEATURES, targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' } };
let penguins;

before(async () => {
  await init();
  penguins = Dataset.fromCSV(PENGUINS, SPEC).split(0.25, { seed: 5, stratify: 'species' })[0];
});

// Smooth activations (tanh) so that central differences see no kinks; dropout where
// an architecture takes it (inactive in the gradient: inference mode).
const ARCHS = [
  { type: 'sharedBottom', units: [7, 5], towerUnits: [3], activation: 'tanh', dropout: 0.2 },
  { type: 'mmoe', experts: 3, expertUnits: [6], towerUnits: [3], activation: 'tanh' },
  { type: 'omoe', experts: 2, expertUnits: [5], towerUnits: [], activation: 'tanh', dropout: 0.1 },
  { type: 'cgc', sharedExperts: 2, taskExperts: 1, expertUnits: [5], towerUnits: [3], activation: 'tanh' },
  { type: 'ple', levels: 2, sharedExperts: 1, taskExperts: 1, expertUnits: [5, 4], towerUnits: [], activation: 'tanh' },
  { type: 'crossStitch', units: [6, 4], towerUnits: [3], activation: 'tanh' },
  { type: 'dselectK', experts: 4, k: 2, expertUnits: [5], towerUnits: [3], gamma: 6, activation: 'tanh' },
  { type: 'ltb', units: [5, 4], branches: [2], towerUnits: [3], activation: 'tanh' },
  // The 5 features as 5 time steps of one channel; mean pooling (max's kinks break central differences at h = 1e-2; arch.test.js checks it).
  { type: 'conv1d', steps: 5, filters: [3, 2], kernelSize: 2, dilation: [1, 2], pooling: 'avg', units: [4], towerUnits: [3], activation: 'tanh' },
  // The same 5 steps as tokens: the input gradient through attention, layer norms, residuals and the positional encoding.
  { type: 'transformer', steps: 5, dModel: 6, heads: 2, feedForward: 5, causal: true, pooling: 'avg', towerUnits: [3], activation: 'tanh' },
];

const ROWS = 6, FEATURE_COUNT = 5;
function arrays(seed) {
  let s = seed;
  const rand = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
  const x = Array.from({ length: ROWS }, () => Array.from({ length: FEATURE_COUNT }, () => rand() * 2 - 1));
  const labels = {
    b: Array.from({ length: ROWS }, (_, i) => (i === 2 ? NaN : i % 2)), // one row without this task's label
    c: Array.from({ length: ROWS }, (_, i) => i % 3),
    m: Array.from({ length: ROWS * 2 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0),
    r: Array.from({ length: ROWS }, () => rand() * 10),
    q: Array.from({ length: ROWS }, () => rand()),
  };
  return { x, labels };
}
// Task weights, four kinds, and q reading c's probabilities (its gradient reaches x through c's head too).
const TASKS = () => [
  tasks.binary('b', { weight: 0.5 }), tasks.multiclass('c', { weight: 2 }), tasks.multilabel('m', { weight: 0.7 }),
  tasks.regression('r'), tasks.regression('q', { weight: 1.5, inputsFrom: ['c'] }),
];
const WEIGHTS = { b: 0.5, c: 2, m: 0.7, r: 1, q: 1.5 };
const jointLoss = (evaluation) => Object.entries(evaluation.tasks).reduce((sum, [name, t]) => sum + WEIGHTS[name] * t.loss, 0);

test('every architecture is covered by the input-gradient cases', () => {
  assert.deepEqual([...new Set(ARCHS.map((a) => a.type))].sort(), [...ARCHITECTURE_TYPES].sort());
});

for (const architecture of ARCHS) {
  test(`${architecture.type}: inputGradient matches central differences of the weighted joint loss`, async () => {
    const model = new MultiTaskModel({ input: { features: FEATURE_COUNT, classes: { c: 3, m: 2 } }, architecture, tasks: TASKS(), seed: 3 });
    try {
      const { x, labels } = arrays(11);
      await model.fit(x, labels, { epochs: 2, batchSize: 4 }); // trained weights, dropout masks drawn
      const grad = model.inputGradient(x, labels);
      assert.equal(grad.length, ROWS * FEATURE_COUNT);
      // The transformer's tokens are one channel each: the layer norm of x·w + c is close to a step in x
      // near the point where the token's spread is smallest, so a step of 1e-2 misses its curvature (its
      // central differences' error falls 100-fold at 1e-3, as O(h²) does).
      const h = architecture.type === 'transformer' ? 1e-3 : 1e-2, fd = new Float64Array(ROWS * FEATURE_COUNT);
      for (let i = 0; i < ROWS; i++) {
        for (let j = 0; j < FEATURE_COUNT; j++) {
          const at = (d) => jointLoss(model.evaluate(x.map((row, r) => (r === i ? row.map((v, c) => (c === j ? v + d : v)) : row)), labels));
          fd[i * FEATURE_COUNT + j] = (at(h) - at(-h)) / (2 * h);
        }
      }
      assert.ok(Math.max(...grad.map(Math.abs)) > 1e-3, 'the gradient is not zero');
      assertClose(grad, fd, { atol: 3e-4, rtol: 2e-2, label: architecture.type });
    } finally {
      model.dispose();
    }
  });
}

test('inputGradient over more rows than one chunk: each chunk weighted by its share of the labeled rows', async () => {
  const model = new MultiTaskModel({ input: { features: FEATURE_COUNT, classes: { c: 3, m: 2 } }, architecture: ARCHS[0], tasks: TASKS(), seed: 5 });
  try {
    const { x, labels } = arrays(3);
    await model.fit(x, labels, { epochs: 1 });
    // 100 copies of the 6 rows: 600 rows (one chunk), then 1200 (two chunks, 1024 + 176). Each task's
    // mean loss over the doubled data is the same, each row's share of it halved.
    const times = (k) => ({
      x: Array.from({ length: k * 100 }, () => x).flat(),
      labels: Object.fromEntries(Object.entries(labels).map(([n, v]) => [n, Array.from({ length: k * 100 }, () => v).flat()])),
    });
    const one = times(1), two = times(2);
    const g1 = model.inputGradient(one.x, one.labels), g2 = model.inputGradient(two.x, two.labels);
    assert.equal(g2.length, 2 * g1.length);
    const half = Array.from(g1, (v) => v / 2);
    assertClose(g2.subarray(0, g1.length), half, { atol: 1e-9, rtol: 1e-4, label: 'first copy' });
    assertClose(g2.subarray(g1.length), half, { atol: 1e-9, rtol: 1e-4, label: 'second copy (across the chunk boundary)' });
  } finally {
    model.dispose();
  }
});

test('FGSM and PGD: only numeric features move, each within ε; FGSM is x + ε·sign(∇ₓL)', async () => {
  const model = new MultiTaskModel({ input: penguins, architecture: { type: 'sharedBottom', units: [8], towerUnits: [4] }, tasks: [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')], seed: 2 });
  try {
    await model.fit(penguins, { epochs: 3 });
    const names = model.featureNames, F = names.length;
    const clean = model.attack(penguins, { method: 'fgsm', epsilon: 0 }), eps = 0.3; // ε = 0: the encoded rows themselves
    const grad = model.inputGradient(penguins);
    const fgsm = model.attack(penguins, { method: 'fgsm', epsilon: eps });
    const pgd = model.attack(penguins, { method: 'pgd', epsilon: eps, steps: 4 });
    const numeric = names.map((n) => Object.hasOwn(FEATURES, n) && FEATURES[n] === 'numeric');
    assert.deepEqual(numeric.filter(Boolean).length, 3, names.join());
    let moved = 0;
    for (let i = 0; i < clean.length; i++) {
      const j = i % F;
      if (!numeric[j]) {
        assert.equal(fgsm[i], clean[i], `${names[j]} (one-hot or indicator) stays`);
        assert.equal(pgd[i], clean[i], `${names[j]} stays under PGD`);
        continue;
      }
      assert.equal(fgsm[i], Math.fround(clean[i] + eps * Math.sign(grad[i])), `FGSM at ${i}`);
      assert.ok(Math.abs(pgd[i] - clean[i]) <= eps * (1 + 1e-6), `PGD within ε at ${i}: ${pgd[i] - clean[i]}`);
      if (pgd[i] !== clean[i]) moved++;
    }
    assert.ok(moved > clean.length / F, 'PGD moves the numeric features');
  } finally {
    model.dispose();
  }
});

test('PGD never lowers the joint loss from step to step, and is reproducible from its seed', async () => {
  const model = new MultiTaskModel({ input: penguins, architecture: { type: 'mmoe', experts: 2, expertUnits: [8], towerUnits: [4] }, tasks: [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')], seed: 4 });
  try {
    await model.fit(penguins, { epochs: 5 });
    const clean = model.evaluate(penguins).loss;
    for (const randomStart of [true, false]) {
      const losses = [];
      for (let steps = 1; steps <= 8; steps++) {
        losses.push(model.evaluate(penguins, { attack: { method: 'pgd', epsilon: 0.2, steps, stepSize: 0.08, randomStart, seed: 9 } }).loss);
      }
      for (let k = 1; k < losses.length; k++) assert.ok(losses[k] >= losses[k - 1], `randomStart ${randomStart}: step ${k + 1} lowered the loss: ${losses}`);
      assert.ok(losses[losses.length - 1] > clean * 1.05, `the attack raises the loss: clean ${clean}, ${losses}`);
    }
    const a = model.attack(penguins, { method: 'pgd', epsilon: 0.2, steps: 3, seed: 1 });
    assert.deepEqual(model.attack(penguins, { method: 'pgd', epsilon: 0.2, steps: 3, seed: 1 }), a);
    assert.notDeepEqual(model.attack(penguins, { method: 'pgd', epsilon: 0.2, steps: 3, seed: 2 }), a, 'another seed, another random start');
  } finally {
    model.dispose();
  }
});

test('adversarial training: deterministic from the seed, and not the clean model', async () => {
  const spec = { input: penguins, architecture: { type: 'sharedBottom', units: [8], towerUnits: [4], dropout: 0.1 }, tasks: [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')], seed: 6 };
  const run = async (adversarial) => {
    const m = new MultiTaskModel(spec);
    try {
      await m.fit(penguins, { epochs: 3, batchSize: 16, ...(adversarial ? { adversarial } : {}) });
      return m.predict(penguins).body_mass_g.values ?? m.predict(penguins).body_mass_g;
    } finally {
      m.dispose();
    }
  };
  const pgd = { method: 'pgd', epsilon: 0.2, steps: 3, fraction: 0.5 };
  const a = await run(pgd), b = await run(pgd);
  assert.deepEqual(a, b, 'the same seed, the same weights');
  assert.notDeepEqual(a, await run(null), 'PGD training changes the model');
  assert.notDeepEqual(a, await run({ ...pgd, fraction: 1 }), 'the fraction matters');
  const f1 = await run({ method: 'fgsm', epsilon: 0.1 });
  assert.deepEqual(f1, await run({ method: 'fgsm', epsilon: 0.1 }));
  // ε = 0 perturbs nothing: the clean model, bit for bit (the attack draws nothing from the training streams).
  assert.deepEqual(await run({ method: 'fgsm', epsilon: 0 }), await run(null));
});

test('every weighting strategy from scratch: the attack\'s loss weighs a task without a weight yet 1, as equal weighting', async () => {
  // The strategies that report a mean over their steps have no weight before the first (NaN): inputGradient,
  // attack, evaluate's attack and an adversarial fit threw "gradScale must be a finite number, got NaN".
  const make = (type) => new MultiTaskModel({
    input: penguins, architecture: { type: 'sharedBottom', units: [6], towerUnits: [3] }, seed: 3, weighting: { type },
    tasks: [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')],
  });
  const pgd = { method: 'pgd', epsilon: 0.1, steps: 2, seed: 1 }, fgsm = { method: 'fgsm', epsilon: 0.1 };
  const ref = make('fixed');
  const grad = ref.inputGradient(penguins), moved = ref.attack(penguins, pgd), scored = ref.evaluate(penguins, { attack: fgsm }).tasks;
  ref.dispose();
  assert.ok(grad.every(Number.isFinite) && grad.some((v) => v !== 0));
  for (const type of WEIGHTING_TYPES) {
    const m = make(type);
    try {
      assert.deepEqual(m.inputGradient(penguins), grad, `${type}: inputGradient`);
      assert.deepEqual(m.attack(penguins, pgd), moved, `${type}: attack`);
      assert.deepEqual(m.evaluate(penguins, { attack: fgsm }).tasks, scored, `${type}: evaluate under attack`);
      const h = await m.fit(penguins, { epochs: 1, batchSize: 32, adversarial: { method: 'pgd', epsilon: 0.1, steps: 2 } });
      assert.ok(Number.isFinite(h.epochs[0].loss), `${type}: adversarial fit`);
      assert.ok(m.inputGradient(penguins).every(Number.isFinite), `${type}: inputGradient after a step`);
    } finally {
      m.dispose();
    }
  }
});

test('bad adversarial and attack options: typed errors naming the option', async () => {
  const model = new MultiTaskModel({ input: penguins, architecture: { type: 'sharedBottom', units: [4], towerUnits: [] }, tasks: [tasks.multiclass('species')], seed: 1 });
  try {
    const fit = (adversarial) => model.fit(penguins, { epochs: 1, adversarial });
    const bad = [
      [{ method: 'fgsm', epsilon: -0.1 }, /adversarial\.epsilon must be a finite number ≥ 0, got -0\.1/],
      [{ method: 'fgsm', epsilon: Infinity }, /adversarial\.epsilon must be a finite number ≥ 0, got Infinity/],
      [{ method: 'fgsm', epsilon: NaN }, /adversarial\.epsilon/],
      [{ method: 'fgsm' }, /adversarial\.epsilon must be a finite number ≥ 0, got undefined/],
      [{ method: 'pgd', epsilon: 0.1, steps: 0 }, /adversarial\.steps must be an integer ≥ 1|adversarial\.steps must be an integer from 1/],
      [{ method: 'pgd', epsilon: 0.1, steps: 2.5 }, /adversarial\.steps/],
      [{ method: 'pgd', epsilon: 0.1, stepSize: 0 }, /adversarial\.stepSize must be a finite number > 0/],
      [{ method: 'pgd', epsilon: 0.1, randomStart: 'yes' }, /adversarial\.randomStart must be true or false/],
      [{ method: 'pgd', epsilon: 0.1, fraction: 0 }, /adversarial\.fraction must be a number in \(0, 1\], got 0/],
      [{ method: 'pgd', epsilon: 0.1, fraction: 1.5 }, /adversarial\.fraction must be a number in \(0, 1\], got 1\.5/],
      [{ method: 'fgsm', epsilon: 0.1, steps: 3 }, /adversarial\.steps applies to method 'pgd' only/],
      [{ method: 'bim', epsilon: 0.1 }, /adversarial\.method must be one of "fgsm", "pgd", got "bim"/],
      [{ method: 'pgd', epsilon: 0.1, eps: 0.1 }, /unknown option "eps"/],
      ['pgd', /adversarial must be an object/],
    ];
    for (const [value, pattern] of bad) await assert.rejects(fit(value), (err) => err instanceof ArgumentError && err.code === 'E_ARGUMENT' && pattern.test(err.message), JSON.stringify(value));
    expectError(() => model.evaluate(penguins, { attack: { method: 'pgd', epsilon: -1 } }), ArgumentError, 'E_ARGUMENT', /evaluate: attack\.epsilon must be a finite number ≥ 0/);
    expectError(() => model.evaluate(penguins, { attack: { method: 'pgd', epsilon: 1, steps: 0 } }), ArgumentError, 'E_ARGUMENT', /attack\.steps/);
    expectError(() => model.evaluate(penguins, { attack: { method: 'pgd', epsilon: 1, fraction: 0.5 } }), ArgumentError, 'E_ARGUMENT', /unknown option "fraction"/);
    expectError(() => model.evaluate(penguins, { atack: {} }), ArgumentError, 'E_ARGUMENT', /unknown option "atack"/);
    expectError(() => model.attack(penguins, { method: 'fgsm', epsilon: 0.1, seed: -1 }), ArgumentError, 'E_ARGUMENT', /seed must be an integer/);
    // A model with no numeric feature has nothing to perturb.
    const cats = Dataset.fromCSV(PENGUINS, { features: { island: 'categorical' }, targets: { species: 'multiclass' } });
    const onlyCategories = new MultiTaskModel({ input: cats, architecture: { type: 'sharedBottom', units: [4], towerUnits: [] }, tasks: [tasks.multiclass('species')] });
    try {
      await assert.rejects(onlyCategories.fit(cats, { adversarial: { method: 'fgsm', epsilon: 0.1 } }), (err) => err instanceof ArgumentError && /perturbs numeric features, and this model reads none/.test(err.message));
      expectError(() => onlyCategories.evaluate(cats, { attack: { method: 'fgsm', epsilon: 0.1 } }), ArgumentError, 'E_ARGUMENT', /evaluate: an attack perturbs numeric features/);
    } finally {
      onlyCategories.dispose();
    }
  } finally {
    model.dispose();
  }
});

test('an ε too large: a divergence on adversarial examples names it, and rows moved beyond float32 are refused naming it', async () => {
  const x = Array.from({ length: 40 }, (_, i) => [Math.sin(i), Math.cos(i)]);
  const labels = { b: x.map(([u]) => (u > 0 ? 1 : 0)), r: x.map(([u, v]) => u + v) };
  const model = new MultiTaskModel({ input: { features: 2 }, architecture: { type: 'sharedBottom', units: [8], towerUnits: [] }, tasks: [tasks.binary('b'), tasks.regression('r')], seed: 1 });
  try {
    const before = model.parameters.get('shared.0.weight');
    // Finite rows of ±1e30: the network's gradient overflows. It was "lower the learning rate or clip gradients".
    for (const method of ['fgsm', 'pgd']) {
      await assert.rejects(model.fit(x, labels, { epochs: 1, adversarial: { method, epsilon: 1e30 } }), typedError(TrainingDivergedError, 'E_DIVERGED', [
        /^training diverged at step 0: the (gradient|loss) of task "[br]" is not finite\. The weights were not updated; its batch held adversarial examples at adversarial\.epsilon = 1e\+30: lower epsilon, the learning rate, or clip gradients/,
      ], { label: method }));
    }
    assert.deepEqual(model.parameters.get('shared.0.weight'), before, 'nothing trained');
    // A clean fit's divergence keeps its advice.
    await assert.rejects(model.fit(x.map(([u, v]) => [u * 1e30, v * 1e30]), labels, { epochs: 1 }), (e) => e instanceof TrainingDivergedError && /; lower the learning rate or clip gradients \(globalClipNorm\)\.$/.test(e.message));
    // Rows moved beyond float32 (PGD's start x ± 3e38 for ε = 3e38; FGSM from a value of 1e38): refused before any step.
    const moved = /\.epsilon = 3e\+38 moves (feature "x[01]" of a row to -?Infinity|PGD's random start), beyond float32/;
    const far = x.map(([u, v], i) => (i === 5 ? [1e38, v] : [u, v]));
    await assert.rejects(model.fit(x, labels, { epochs: 1, adversarial: { method: 'pgd', epsilon: 3e38 } }), typedError(ArgumentError, 'E_ARGUMENT', [/^fit: adversarial/, moved]));
    await assert.rejects(model.fit(far, labels, { epochs: 1, adversarial: { method: 'fgsm', epsilon: 3e38 } }), typedError(ArgumentError, 'E_ARGUMENT', [/^fit: adversarial/, moved]));
    assert.deepEqual(model.parameters.get('shared.0.weight'), before, 'nothing trained');
    expectError(() => model.evaluate(far, labels, { attack: { method: 'fgsm', epsilon: 3e38 } }), ArgumentError, 'E_ARGUMENT', [/^evaluate: attack/, moved]);
    expectError(() => model.attack(x, labels, { method: 'pgd', epsilon: 3e38 }), ArgumentError, 'E_ARGUMENT', [/^attack: attack/, moved]);
    // An ε that stays within float32 is an attack like any other.
    assert.ok(model.attack(x, labels, { method: 'pgd', epsilon: 1e30, steps: 2 }).every(Number.isFinite));
  } finally {
    model.dispose();
  }
});

test('attack options set to undefined are options left out', async () => {
  const model = new MultiTaskModel({ input: penguins, architecture: { type: 'sharedBottom', units: [4], towerUnits: [] }, tasks: [tasks.multiclass('species'), tasks.binary('sex')], seed: 1 });
  try {
    await model.fit(penguins, { epochs: 1, adversarial: { method: 'fgsm', epsilon: 0.1, steps: undefined, stepSize: undefined, randomStart: undefined, fraction: undefined } });
    const unset = { steps: undefined, stepSize: undefined, randomStart: undefined, seed: undefined };
    assert.deepEqual(model.attack(penguins, { method: 'pgd', epsilon: 0.1, ...unset }), model.attack(penguins, { method: 'pgd', epsilon: 0.1 }));
    assert.deepEqual(model.attack(penguins, { method: 'fgsm', epsilon: 0.1, ...unset }), model.attack(penguins, { method: 'fgsm', epsilon: 0.1 }));
    assert.deepEqual(model.evaluate(penguins, { attack: undefined }), model.evaluate(penguins));
    expectError(() => model.attack(penguins), ArgumentError, 'E_ARGUMENT', /attack must be an object \{ method, epsilon, … \}, got null/);
  } finally {
    model.dispose();
  }
});
