// One registry of random streams (src/nn/rng.ts RngStream): every consumer of a
// seed draws from its own stream, so one seed given to several of them (the CLI
// gives `--seed` to the model, to fit's shuffle and to Dataset.split) never makes
// two of them draw the same numbers. Issue #12 point 3: the weighting strategies
// and Dataset.split both drew from stream 3.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { init, MultiTaskModel, Rng, tasks } from '../../dist/index.js';
import { RngStream } from '../../dist/internal.js';

before(async () => { await init(); });

const SRC = new URL('../../src/', import.meta.url);

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(new URL(`${e.name}/`, dir)) : e.name.endsWith('.ts') ? [new URL(e.name, dir)] : []);
}

test('RngStream: distinct stream numbers, one per consumer, frozen', () => {
  const numbers = Object.values(RngStream);
  assert.ok(numbers.length >= 6, `init, dropout, shuffle, split, weighting, clustering: ${Object.keys(RngStream)}`);
  for (const [name, n] of Object.entries(RngStream)) assert.ok(Number.isInteger(n) && n >= 0 && n <= 0xffffffff, `${name}: ${n}`);
  assert.equal(new Set(numbers).size, numbers.length, `two consumers share a stream: ${JSON.stringify(RngStream)}`);
  assert.ok(Object.isFrozen(RngStream));
  // The streams a seed drew from before the registry: training with a given seed stays bit-identical.
  assert.deepEqual({ init: RngStream.init, dropout: RngStream.dropout, shuffle: RngStream.shuffle, split: RngStream.split, clustering: RngStream.clustering },
    { init: 0, dropout: 1, shuffle: 2, split: 3, clustering: 5 });
});

test('src/ seeds every stream through the registry: no stream number written anywhere else, no registry name unused', () => {
  const used = new Set();
  let calls = 0;
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, ''); // code, not comments
    const where = file.pathname.slice(SRC.pathname.length);
    const constructions = text.match(/new (Rng|RngState)\(/g) ?? [];
    const parsed = [...text.matchAll(/new (Rng|RngState)\(([^()]*(?:\([^()]*\)[^()]*)*)\)/g)];
    assert.equal(parsed.length, constructions.length, `${where}: a stream construction this test cannot read`);
    for (const [call, , args] of parsed) {
      calls++;
      const stream = args.slice(args.lastIndexOf(',') + 1).trim();
      const m = /^RngStream\.(\w+)$/.exec(stream);
      assert.ok(m && Object.hasOwn(RngStream, m[1]), `${where}: ${call} — the stream must be RngStream.<consumer>`);
      used.add(m[1]);
    }
  }
  assert.ok(calls >= 10, `found only ${calls} stream constructions in src/`);
  assert.deepEqual([...used].sort(), Object.keys(RngStream).sort(), 'every registered stream has a consumer');
});

// RLW's weights at the first step, computed from a given stream of `seed` as
// src/mtl/weighting/rlw.ts does (Box–Muller on 24-bit uniforms, softmax), in f64.
function rlwFirstWeights(seed, stream, T) {
  const rng = new Rng(seed, stream);
  const z = [];
  try {
    while (z.length < T) {
      const u1 = ((rng.nextU32() >>> 8) + 1) / 16777216;
      const u2 = (rng.nextU32() >>> 8) / 16777216;
      const r = Math.sqrt(-2 * Math.log(u1));
      z.push(r * Math.cos(2 * Math.PI * u2), r * Math.sin(2 * Math.PI * u2));
    }
  } finally {
    rng.dispose();
  }
  const e = z.slice(0, T).map((v) => Math.exp(v - Math.max(...z.slice(0, T))));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

test('RLW draws from the weighting stream, not from the stream of Dataset.split with the same seed', async () => {
  const rows = 12, seed = 7;
  const x = Array.from({ length: rows }, (_, i) => [i / rows, (i % 3) - 1]);
  const labels = { a: x.map((r) => r[0] + r[1]), b: x.map((r) => r[0] - r[1]), c: x.map((r) => 2 * r[0]) };
  const model = new MultiTaskModel({
    input: { features: 2 }, seed, weighting: { type: 'rlw' }, affinity: false,
    architecture: { type: 'sharedBottom', units: [4], towerUnits: [] },
    tasks: [tasks.regression('a'), tasks.regression('b'), tasks.regression('c')],
  });
  try {
    // One epoch of one batch: the logged weights are the first step's draw.
    const history = await model.fit(x, labels, { epochs: 1, batchSize: rows, shuffle: false });
    const logged = ['a', 'b', 'c'].map((t) => history.epochs[0].weights[t]);
    const fromWeighting = rlwFirstWeights(seed, RngStream.weighting, 3);
    const fromSplit = rlwFirstWeights(seed, RngStream.split, 3);
    logged.forEach((w, t) => assert.ok(Math.abs(w - fromWeighting[t]) < 1e-9, `task ${t}: logged ${w}, from the weighting stream ${fromWeighting[t]}`));
    assert.ok(logged.some((w, t) => Math.abs(w - fromSplit[t]) > 1e-3), `RLW drew the split stream's numbers: ${logged} vs ${fromSplit}`);
  } finally {
    model.dispose();
  }
});
