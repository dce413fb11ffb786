// node client.mjs 0 1 2 … [--encoding f32|f16|int8]
// Federated clients in Node, one per id given (0–7: their rows are penguins.mjs'
// split by island). Each joins the federation of tokens.json (start.mjs wrote
// it), then trains 5 epochs on its own rows each round and sends only the update
// of the weights, until the federation finishes; its rows never leave it. At the
// end each reports the global model on the held-out rows.
// (In your own project: import { … } from 'manytask' and 'manytask/federated'.)
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { init, Dataset } from '../../dist/node.js';
import { FederatedClient } from '../../dist/federated.js';
import { SPEC, CLIENTS, splitByIsland } from './penguins.mjs';

const { values: args, positionals } = parseArgs({ allowPositionals: true, options: { encoding: { type: 'string', default: 'f32' } } });
const ids = positionals.map(Number);
if (ids.length === 0 || !ids.every((id) => Number.isInteger(id) && id >= 0 && id < CLIENTS)) {
  console.error(`usage: node client.mjs <client id 0–${CLIENTS - 1}>… [--encoding f32|f16|int8]`);
  process.exit(2);
}
const { federation, clients: tokens } = JSON.parse(await readFile(new URL('./tokens.json', import.meta.url), 'utf8'));
await init();
const split = splitByIsland(await readFile(new URL('../data/penguins.csv', import.meta.url), 'utf8'));
const test = Dataset.fromRows(split.test, SPEC);

await Promise.all(ids.map(async (id) => {
  const mine = split.clients[id];
  const data = Dataset.fromRows(mine.rows, mine.spec);
  const client = new FederatedClient({ url: federation, token: tokens[id], encoding: args.encoding });
  const model = await client.join();
  console.log(`client ${id} (${mine.island}, ${mine.rows.length} rows${mine.missing ? `, no ${mine.missing} labels` : ''}) joined at version ${client.pulled.version}`);
  await client.run(data, {
    fit: { epochs: 5, batchSize: 16, learningRate: 0.01, seed: 3 },
    pollMs: 500,
    onRound: (r) => console.log(`client ${id}: round ${r.round}, ${r.bytes} bytes sent${r.closed ? ` — round closed: version ${r.closed.version}` : ''}`),
  });
  await client.pull();
  const e = model.evaluate(test).tasks;
  console.log(`client ${id}: global model version ${client.pulled.version} on the ${test.rows} test rows: species accuracy ${e.species.accuracy.toFixed(3)}, sex accuracy ${e.sex.accuracy.toFixed(3)}, body mass MAE ${e.body_mass_g.mae.toFixed(0)} g`);
  model.dispose();
}));
