// An ensemble file served by a Cloudflare Worker (issue #18 part 1): a user's
// Worker imports manytask/infer and an .mtse file (a Data module), bundled as
// wrangler bundles it (helpers/wrangler-bundle.js) and run by real workerd
// (Miniflare); its predictions equal the full entry's Ensemble.predict in Node for
// the same file and rows, to the bit (JSON numbers round-trip exactly).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO } from './helpers/process.js';
import { penguinRows, expected, startWorkerWithFile } from './helpers/worker-example.js';
import * as mt from '../../dist/node.js';

const WORKER = `
import { init, loadEnsemble } from 'manytask/infer';
import file from '../ensemble.mtse';

await init();
const ensemble = loadEnsemble(new Uint8Array(file));

export default {
  async fetch(request) {
    try {
      const { rows } = await request.json();
      const out = {};
      for (const [task, p] of Object.entries(ensemble.predict(rows))) {
        if (p.kind === 'regression') out[task] = { values: Array.from(p.values) };
        else out[task] = { classes: p.classes, probabilities: p.kind === 'binary' ? Array.from(p.probabilities) : p.probabilities };
      }
      return Response.json({ combine: ensemble.combine, members: ensemble.members.length, predictions: out });
    } catch (err) {
      return Response.json({ error: String(err?.stack ?? err), code: err?.code }, { status: 500 });
    }
  },
};
`;

test('an ensemble file in a Worker: manytask/infer\'s loadEnsemble predicts what Ensemble.predict does in Node', { timeout: 180_000 }, async () => {
  await mt.init();
  const csv = await readFile(join(REPO, 'examples', 'data', 'penguins.csv'), 'utf8');
  const data = mt.Dataset.fromCSV(csv, {
    features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
    targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
  });
  const [train, valid] = data.split(0.8, { seed: 1, stratify: 'species' });
  const ensemble = await mt.Ensemble.train({
    architecture: { type: 'sharedBottom', units: [8], towerUnits: [4] },
    tasks: [mt.tasks.multiclass('species'), mt.tasks.binary('sex'), mt.tasks.regression('body_mass_g')],
  }, train, { members: 3, seed: 2, fit: { epochs: 5 } });
  ensemble.fitWeights(valid);
  const bytes = ensemble.save();

  const w = await startWorkerWithFile({ name: 'ensemble', worker: WORKER, file: 'ensemble.mtse', bytes });
  try {
    assert.ok(w.inputs.some((p) => p.endsWith('dist/infer-workerd.js')), `inputs: ${w.inputs.join(', ')}`);
    assert.ok(!w.inputs.some((p) => p.endsWith('dist/workerd.js') || p.endsWith('dist/index.js')), 'the full library in the bundle');
    const rows = penguinRows(csv);
    const res = await w.mf.dispatchFetch('http://localhost/', { method: 'POST', body: JSON.stringify({ rows }) });
    const text = await res.text();
    assert.equal(res.status, 200, `${text.slice(0, 500)}\n${w.output()}`);
    const answer = JSON.parse(text);
    assert.equal(answer.combine, 'weighted');
    assert.equal(answer.members, 3);
    assert.deepEqual(answer.predictions, expected(ensemble, rows));
  } finally {
    await w.close();
    ensemble.dispose();
  }
});
