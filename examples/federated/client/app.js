// The browser client: the same FederatedClient as client.mjs, in a page. The
// client id, token and federation come from the form, or from the address
// (?client=7&token=…&federation=http://127.0.0.1:8787/federations/penguins).
import { init, Dataset } from 'manytask';
import { FederatedClient } from 'manytask/federated';
import { SPEC, CLIENTS, splitByIsland } from '/shared/penguins.mjs';

const $ = (id) => document.getElementById(id);
const log = (line) => { $('log').textContent += `${line}\n`; };
const params = new URLSearchParams(location.search);
for (let id = 0; id < CLIENTS; id++) $('client').add(new Option(`client ${id}`, String(id)));
$('client').value = params.get('client') ?? '7';
$('token').value = params.get('token') ?? '';
if (params.has('federation')) $('url').value = params.get('federation').replace(/\/federations\/[^/]+\/?$/, '');

async function run() {
  const id = Number($('client').value);
  await init();
  const split = splitByIsland(await (await fetch('/data/penguins.csv')).text());
  const mine = split.clients[id];
  const data = Dataset.fromRows(mine.rows, mine.spec);
  const federation = params.get('federation') ?? `${$('url').value.replace(/\/$/, '')}/federations/penguins`;
  const client = new FederatedClient({ url: federation, token: $('token').value.trim() });
  const model = await client.join();
  log(`client ${id} (${mine.island}, ${mine.rows.length} rows) joined ${federation} at version ${client.pulled.version}`);
  await client.run(data, {
    fit: { epochs: 5, batchSize: 16, learningRate: 0.01, seed: 3 },
    pollMs: 500,
    onRound: (r) => log(`round ${r.round}: ${r.bytes} bytes sent${r.closed ? `, round closed: version ${r.closed.version}` : ''}`),
  });
  await client.pull();
  const e = model.evaluate(Dataset.fromRows(split.test, SPEC)).tasks;
  log(`done — the global model on the ${split.test.length} test rows: species accuracy ${e.species.accuracy.toFixed(3)}, sex accuracy ${e.sex.accuracy.toFixed(3)}, body mass MAE ${e.body_mass_g.mae.toFixed(0)} g`);
  document.body.dataset.result = JSON.stringify({ version: client.pulled.version, species: e.species.accuracy });
}

$('form').addEventListener('submit', (event) => {
  event.preventDefault();
  $('join').disabled = true;
  run().catch((err) => { log(`error: ${err.message}`); document.body.dataset.error = err.message; });
});
if (params.has('token') && params.has('autostart')) $('form').requestSubmit();
