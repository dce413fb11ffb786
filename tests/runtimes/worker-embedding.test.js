// A model with embedding tables served by a Cloudflare Worker (issue #19 part 1):
// a user's Worker imports manytask/infer and a model file (a Data module) whose
// team columns share one embedding table, bundled as wrangler bundles it and run by
// real workerd (Miniflare), with one out-of-vocabulary row and with hashing buckets; its
// predictions, unseen teams included, equal
// MultiTaskModel.predict's in Node for the same file and rows, to the bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO } from './helpers/process.js';
import { startWorkerWithFile } from './helpers/worker-example.js';
import * as mt from '../../dist/node.js';
import { footballRows, splitByDate, teamSpec, TARGETS, footballTasks } from '../../scripts/football.mjs';

const WORKER = `
import { init, loadModel, predictionsToJSON } from 'manytask/infer';
import file from '../model.mtsk';

await init();
const model = loadModel(new Uint8Array(file));

export default {
  async fetch(request) {
    try {
      const { rows } = await request.json();
      return Response.json(predictionsToJSON(model.predict(rows)));
    } catch (err) {
      return Response.json({ error: String(err?.stack ?? err), code: err?.code }, { status: 500 });
    }
  },
};
`;

// One out-of-vocabulary row, then 8 hashing buckets (unseen teams hashed by FNV-1a in workerd as in Node).
const BUCKETED = { type: 'categorical', embed: { dim: 4, table: 'team', minCount: 39, buckets: 8 } };
for (const [label, features] of [['one out-of-vocabulary row', teamSpec(4)], ['hashing buckets', { home_team: BUCKETED, away_team: BUCKETED }]]) {
  test(`an embedding model in a Worker (${label}): manytask/infer predicts what MultiTaskModel.predict does in Node, unseen teams included`, { timeout: 180_000 }, async () => {
    await mt.init();
    const all = footballRows(await readFile(join(REPO, 'examples', 'data', 'football.json'), 'utf8'));
    const [trainRows, testRows] = splitByDate(all);
    const train = mt.Dataset.fromRows(trainRows, { features, targets: TARGETS });
    const model = new mt.MultiTaskModel({ input: train, seed: 3, architecture: { type: 'sharedBottom', units: [8], towerUnits: [] }, tasks: footballTasks(mt.tasks) });
    await model.fit(train, { epochs: 2, batchSize: 256 });
    const bytes = model.save();
    // Held-out matches: promoted teams in them are new to the model.
    const rows = testRows.slice(0, 300).map((r) => ({ home_team: r.home_team, away_team: r.away_team }));
    const seen = new Set(trainRows.flatMap((r) => [r.home_team, r.away_team]));
    assert.ok(rows.some((r) => !seen.has(r.home_team) || !seen.has(r.away_team)), 'the rows hold a team unseen in training');

    const w = await startWorkerWithFile({ name: 'football', worker: WORKER, file: 'model.mtsk', bytes });
    try {
      assert.ok(w.inputs.some((p) => p.endsWith('dist/infer-workerd.js')), `inputs: ${w.inputs.join(', ')}`);
      const res = await w.mf.dispatchFetch('http://localhost/', { method: 'POST', body: JSON.stringify({ rows }) });
      const text = await res.text();
      assert.equal(res.status, 200, `${text.slice(0, 500)}\n${w.output()}`);
      assert.deepEqual(JSON.parse(text), mt.predictionsToJSON(model.predict(rows)));
    } finally {
      await w.close();
      model.dispose();
    }
  });
}
