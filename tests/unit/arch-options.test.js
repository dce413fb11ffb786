// Two options of issue 16 part 2. `gateBias: false` (MMoE, OMoE, CGC, PLE; its
// gradients are checked in arch.test.js, manytask/infer in model-file.test.js): the
// gates lose their biases and the model file keeps the choice. The `initializer`
// option of the model and of every architecture:
// each initializer's empirical distribution over a large layer (mean, variance,
// bounds), 'torch' drawing biases as nn.Linear does, the model's choice reaching the
// heads and the architecture unless its spec names its own, determinism from the
// seed, the default unchanged, the choice saved in the model file (old files read as
// glorotUniform) and typed errors for an unknown name.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  init, MultiTaskModel, tasks, Dataset, loadModel, ArgumentError, ModelFormatError, LAYER_INITIALIZERS,
} from '../../dist/index.js';
import * as sharedInfer from '../../dist/infer.js';
import { makeArchitecture } from '../helpers/arch-engine.js';
import { expectError } from '../helpers/errors.js';
import { parseFile, withHeader } from '../helpers/model-file.js';

const PENGUINS = readFileSync(new URL('../../examples/data/penguins.csv', import.meta.url), 'utf8');
const SPEC = {
  features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
  targets: { species: 'multiclass', sex: 'binary' },
};
let data;
before(async () => {
  await init();
  data = Dataset.fromCSV(PENGUINS, SPEC);
});

const FAN_IN = 300, FAN_OUT = 400;
/** Per initializer: the weights' variance, and the bound of a uniform draw (null: normal). */
const EXPECTED = {
  glorotUniform: { variance: 2 / (FAN_IN + FAN_OUT), limit: Math.sqrt(6 / (FAN_IN + FAN_OUT)) },
  glorotNormal: { variance: 2 / (FAN_IN + FAN_OUT), limit: null },
  heUniform: { variance: 2 / FAN_IN, limit: Math.sqrt(6 / FAN_IN) },
  heNormal: { variance: 2 / FAN_IN, limit: null },
  torch: { variance: 1 / (3 * FAN_IN), limit: 1 / Math.sqrt(FAN_IN) },
};

function moments(w) {
  let s = 0, s2 = 0, max = 0;
  for (const v of w) { s += v; s2 += v * v; max = Math.max(max, Math.abs(v)); }
  const mean = s / w.length;
  return { mean, variance: s2 / w.length - mean * mean, max };
}

test('every layer initializer: mean, variance and bounds over a 300×400 layer; biases zero but for torch', () => {
  assert.deepEqual([...LAYER_INITIALIZERS].sort(), Object.keys(EXPECTED).sort());
  for (const [name, want] of Object.entries(EXPECTED)) {
    const { params, dispose } = makeArchitecture(
      { type: 'sharedBottom', units: [FAN_OUT], towerUnits: [], initializer: name }, { inputSize: FAN_IN, tasks: ['a'], seed: 11 },
    );
    const w = moments(params.get('shared.0.weight'));
    const n = FAN_IN * FAN_OUT;
    // The mean of n draws has std √(variance/n): 5 of them is a bound a correct draw
    // misses once in 10⁶; the sample variance of 120 000 draws is within 2% of its value.
    assert.ok(Math.abs(w.mean) < 5 * Math.sqrt(want.variance / n), `${name}: mean ${w.mean}`);
    assert.ok(Math.abs(w.variance / want.variance - 1) < 0.02, `${name}: variance ${w.variance} vs ${want.variance}`);
    if (want.limit !== null) {
      assert.ok(w.max <= want.limit, `${name}: |w| ${w.max} past the bound ${want.limit}`);
      assert.ok(w.max > 0.999 * want.limit, `${name}: |w| reaches only ${w.max} of ${want.limit}`);
    } else {
      assert.ok(w.max > 3.5 * Math.sqrt(want.variance), `${name}: the tails are missing (max ${w.max})`);
    }
    const bias = params.get('shared.0.bias');
    if (name === 'torch') {
      // nn.Linear: the bias from U(±1/√fan_in) too.
      const b = moments(bias);
      assert.ok(b.max <= want.limit && b.max > 0.9 * want.limit, `torch bias: |b| ${b.max} vs ${want.limit}`);
      assert.ok(Math.abs(b.variance / want.variance - 1) < 0.25, `torch bias: variance ${b.variance} vs ${want.variance}`);
    } else {
      assert.deepEqual(bias, new Float32Array(FAN_OUT), `${name}: bias zeros, as Keras`);
    }
    dispose();
  }
});

const weightsOf = (m) => Object.fromEntries(m.parameters.names().map((n) => [n, m.parameters.get(n)]));
const model = (options) => new MultiTaskModel({
  input: data, tasks: [tasks.multiclass('species', { headUnits: [6] }), tasks.binary('sex')], seed: 4, ...options,
});

test('the model\'s initializer: heads and architecture; the spec\'s own wins for the architecture; the seed decides; the default is unchanged', () => {
  const mmoe = { type: 'mmoe', experts: 3, expertUnits: [8], towerUnits: [4] };
  const a = model({ architecture: mmoe, initializer: 'torch' }), b = model({ architecture: mmoe, initializer: 'torch' });
  const wa = weightsOf(a);
  assert.deepEqual(wa, weightsOf(b), 'same seed, same initializer: bit-identical weights');
  assert.equal(a.initializer, 'torch');
  assert.equal(a.architecture.initializer, 'torch', 'the architecture takes the model\'s initializer');
  for (const name of ['experts.0.0.bias', 'gate.sex.bias', 'tower.sex.0.bias', 'head.species.0.bias', 'head.sex.0.bias']) {
    assert.ok(wa[name].some((v) => v !== 0), `${name}: drawn under torch`);
  }
  const c = model({ architecture: mmoe, initializer: 'torch', seed: 5 });
  assert.notDeepEqual(weightsOf(c)['experts.0.0.weight'], wa['experts.0.0.weight'], 'another seed, other weights');

  const mixed = model({ architecture: { ...mmoe, initializer: 'heNormal' }, initializer: 'torch' });
  const wm = weightsOf(mixed);
  assert.equal(mixed.architecture.initializer, 'heNormal');
  assert.deepEqual(wm['experts.0.0.bias'], new Float32Array(8), 'the architecture\'s own initializer: heNormal, zero biases');
  assert.ok(wm['head.sex.0.bias'].some((v) => v !== 0), 'the heads keep the model\'s (torch)');

  const plain = model({ architecture: mmoe }), glorot = model({ architecture: mmoe, initializer: 'glorotUniform' });
  assert.deepEqual(weightsOf(plain), weightsOf(glorot), 'glorotUniform is the default');
  assert.equal(plain.initializer, 'glorotUniform');
  for (const m of [a, b, c, mixed, plain, glorot]) m.dispose();
});

test('an unknown initializer is an ArgumentError naming the option and the choices', () => {
  const known = /known: glorotUniform, glorotNormal, heUniform, heNormal, torch\)/;
  const arch = { type: 'sharedBottom', units: [4], towerUnits: [] };
  expectError(() => model({ architecture: arch, initializer: 'kaiming' }), ArgumentError, 'E_ARGUMENT', [/^MultiTaskModel: unknown initializer "kaiming"/, known]);
  expectError(() => model({ architecture: { ...arch, initializer: 'zeros' } }), ArgumentError, 'E_ARGUMENT', [/architecture "sharedBottom": unknown initializer "zeros"/, known]);
  expectError(() => model({ architecture: { ...arch, initializer: 3 } }), ArgumentError, 'E_ARGUMENT', [/unknown initializer 3/, known]);
});

test('the model file keeps the initializer; a file without one reads as glorotUniform; manytask/infer checks it', async () => {
  const m = model({ architecture: { type: 'cgc', sharedExperts: 2, taskExperts: 1, expertUnits: [6], towerUnits: [] }, initializer: 'heUniform' });
  await m.fit(data, { epochs: 1, batchSize: 64 });
  const bytes = m.save();
  const { header } = parseFile(bytes);
  assert.equal(header.initializer, 'heUniform');
  assert.equal(header.architecture.initializer, 'heUniform');
  const loaded = loadModel(bytes);
  assert.equal(loaded.initializer, 'heUniform');
  assert.deepEqual(loaded.architecture, m.architecture, 'a loaded model describes itself');
  assert.deepEqual(weightsOf(loaded), weightsOf(m));

  const old = withHeader(bytes, (h) => {
    const { initializer: _model, ...rest } = h;
    const { initializer: _arch, ...architecture } = h.architecture;
    return { ...rest, architecture };
  });
  const before = loadModel(old);
  assert.equal(before.initializer, 'glorotUniform');
  assert.equal(before.architecture.initializer, 'glorotUniform');
  assert.deepEqual(weightsOf(before), weightsOf(m), 'the weights are the file\'s, whatever they started from');

  const forged = withHeader(bytes, (h) => ({ ...h, architecture: { ...h.architecture, initializer: 'xavier' } }));
  for (const load of [loadModel, sharedInfer.loadModel]) {
    expectError(() => load(forged), ModelFormatError, 'E_MODEL_FORMAT', /unknown initializer "xavier"/);
  }
  expectError(() => loadModel(withHeader(bytes, (h) => ({ ...h, initializer: 'xavier' }))), ModelFormatError, 'E_MODEL_FORMAT', /unknown initializer "xavier"/);
  const lean = sharedInfer.loadModel(bytes);
  const rows = data.select([0, 1, 2]);
  assert.deepEqual(lean.predict(Array.from({ length: 3 }, (_, i) => Object.fromEntries(Object.keys(SPEC.features).map((f) => [f, rows.column(f)[i]])))).sex.probabilities,
    m.predict(rows).sex.probabilities);
  for (const x of [m, loaded, before, lean]) x.dispose();
});

test('gateBias: false (MMoE, OMoE, CGC, PLE): gates without a bias, kept by the model file', async () => {
  const specs = [
    { type: 'mmoe', experts: 2, expertUnits: [4], towerUnits: [] },
    { type: 'omoe', experts: 2, expertUnits: [4], towerUnits: [] },
    { type: 'cgc', sharedExperts: 1, taskExperts: 1, expertUnits: [4], towerUnits: [] },
    { type: 'ple', levels: 2, sharedExperts: 1, taskExperts: 1, expertUnits: [4], towerUnits: [] },
  ];
  for (const spec of specs) {
    const withBias = model({ architecture: spec }), without = model({ architecture: { ...spec, gateBias: false } });
    const gates = (m) => m.parameters.names().filter((n) => /(^|\.)(gate|sharedGate)(\.|$)/.test(n));
    const biased = gates(withBias);
    assert.ok(biased.some((n) => n.endsWith('.bias')), `${spec.type}: gates have biases by default`);
    assert.deepEqual(gates(without), biased.filter((n) => !n.endsWith('.bias')), `${spec.type}: the same gates, without their biases`);
    assert.equal(withBias.architecture.gateBias, true);
    await without.fit(data, { epochs: 1, batchSize: 64 });
    const bytes = without.save();
    assert.equal(parseFile(bytes).header.architecture.gateBias, false);
    const loaded = loadModel(bytes);
    assert.equal(loaded.architecture.gateBias, false);
    assert.deepEqual(weightsOf(loaded), weightsOf(without));
    for (const m of [withBias, without, loaded]) m.dispose();
  }
});
