// An option set to undefined is an option left out (issue 17 item 2). The
// package's .d.ts files say so (scripts/declarations.mjs gives every optional
// property `| undefined`); this checks the runtime agrees: each options type is
// read from the bundled dist/types/*.d.ts, and every optional key it declares is passed as
// undefined, all at once, to the call that takes it. The result must be the one
// the call gives without them, bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import {
  init, MultiTaskModel, tasks, Dataset, KMeans, GaussianMixture, AutoEncoder, Matrix, matmul, Network, Dense,
} from '../../dist/index.js';

await init();

const TYPES = new URL('../../dist/types/', import.meta.url);
const DECLARATIONS = readdirSync(TYPES).filter((f) => f.endsWith('.d.ts')).map((f) => readFileSync(new URL(f, TYPES), 'utf8'));

/** The optional property names `interface name` declares in the package's .d.ts files (declared once: the bundle has no duplicates). */
function optionalKeys(name) {
  const declaring = DECLARATIONS.filter((t) => new RegExp(`^(?:export )?interface ${name}\\b`, 'm').test(t));
  assert.equal(declaring.length, 1, `the .d.ts files declare interface ${name} ${declaring.length} times, not once`);
  const text = declaring[0];
  const start = text.search(new RegExp(`^(?:export )?interface ${name}\\b`, 'm'));
  // The interface's closing brace (comments inside it hold no braces).
  let depth = 0, end = text.indexOf('{', start);
  for (let i = end; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) { end = i; break; }
  }
  const body = text.slice(text.indexOf('{', start) + 1, end).replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  // Top-level members only: nested type literals are skipped by tracking depth line by line.
  const keys = [];
  let level = 0;
  for (const line of body.split('\n')) {
    const m = level === 0 ? /^\s*(?:readonly\s+)?(\w+)\?:/.exec(line) : null;
    if (m) keys.push(m[1]);
    level += (line.match(/[{(]/g) ?? []).length - (line.match(/[})]/g) ?? []).length;
  }
  assert.ok(keys.length > 0, `${name} has no optional property`);
  return keys;
}

const allUndefined = (keys, except = []) => Object.fromEntries(keys.filter((k) => !except.includes(k)).map((k) => [k, undefined]));
const bits = (a) => Buffer.from(Float32Array.from(a).buffer).toString('hex');

const CSV = 'a,b,kind,size\n' + Array.from({ length: 40 }, (_, i) => `${i % 7},${(i * 3) % 5},${['x', 'y'][i % 2]},${i % 9}`).join('\n');
const spec = { features: { a: 'numeric', b: 'numeric' }, targets: { kind: 'binary', size: 'regression' } };

async function trainedPredictions(taskOptions, modelOptions, fitOptions, splitOptions) {
  const data = Dataset.fromCSV(CSV, spec);
  const [train] = data.split(0.8, { seed: 2, ...splitOptions });
  const model = new MultiTaskModel({
    ...modelOptions,
    input: train, architecture: { type: 'sharedBottom', units: [6], towerUnits: [] }, seed: 4,
    tasks: [tasks.binary('kind', taskOptions), tasks.regression('size', taskOptions)],
  });
  await model.fit(train, { epochs: 3, batchSize: 8, ...fitOptions });
  const p = model.predict(data);
  model.dispose();
  return bits([...p.kind.probabilities, ...p.size.values]);
}

test('MultiTaskModel, tasks.*, fit, earlyStopping, callbacks and split: every optional option as undefined is the option left out', async () => {
  const base = await trainedPredictions(undefined, {}, {}, {});
  const same = await trainedPredictions(
    allUndefined(optionalKeys('TaskOptions')),
    allUndefined(optionalKeys('ModelOptions')),
    {
      ...allUndefined(optionalKeys('FitOptions'), ['epochs', 'batchSize']),
      callbacks: allUndefined(optionalKeys('FitCallbacks')),
    },
    allUndefined(optionalKeys('SplitOptions'), ['seed']),
  );
  assert.equal(same, base);
  // earlyStopping's own options, with the validation it needs.
  const data = Dataset.fromCSV(CSV, spec);
  const model = new MultiTaskModel({ input: data, architecture: { type: 'sharedBottom', units: [4], towerUnits: [] }, tasks: [tasks.binary('kind')] });
  await model.fit(data, { epochs: 2, validationSplit: 0.25, earlyStopping: allUndefined(optionalKeys('EarlyStoppingOptions')) });
  model.dispose();
});

test('KMeans, GaussianMixture and AutoEncoder (and its fit): every optional option as undefined is the option left out', () => {
  const points = Array.from({ length: 60 }, (_, i) => [i % 3 + (i % 7) / 10, (i % 5) / 3]);
  const km = (o) => bits(new KMeans({ k: 3, seed: 1, ...o }).fit(points).clusterCenters.flat());
  assert.equal(km(allUndefined(optionalKeys('KMeansOptions'), ['k', 'seed'])), km({}));
  const gmm = (o) => bits(new GaussianMixture({ nComponents: 2, seed: 1, ...o }).fit(points).scoreSamples(points));
  assert.equal(gmm(allUndefined(optionalKeys('GaussianMixtureOptions'), ['nComponents', 'seed'])), gmm({}));
  const ae = (o, f) => {
    const model = new AutoEncoder({ inputSize: 2, encoderUnits: [3, 1], seed: 1, ...o });
    model.fit(points, { epochs: 2, ...f });
    const scores = bits(model.anomalyScores(points));
    model.dispose?.();
    return scores;
  };
  assert.equal(ae(allUndefined(optionalKeys('AutoEncoderOptions'), ['inputSize', 'encoderUnits', 'seed']),
    allUndefined(optionalKeys('AutoEncoderFitOptions'), ['epochs'])), ae({}, {}));
});

test('matmul, Network and Dense: every optional option as undefined is the option left out', () => {
  const x = Matrix.from([[1, 2], [3, -4]]);
  const w = Matrix.from([[0.5, -1], [2, 0.25]]);
  const a = matmul(x, w), b = matmul(x, w, allUndefined(optionalKeys('MatmulOptions')));
  assert.equal(bits(b.toFloat32Array()), bits(a.toFloat32Array()));
  const net = (o, d) => {
    const n = new Network([new Dense(3, d), new Dense(1)], { inputSize: 2, seed: 3, ...o });
    const out = bits(n.forward(x).toFloat32Array());
    n.dispose();
    return out;
  };
  assert.equal(net(allUndefined(optionalKeys('NetworkOptions'), ['inputSize', 'seed']), allUndefined(optionalKeys('DenseOptions'))), net({}, undefined));
  for (const m of [x, w, a, b]) m.dispose();
});
