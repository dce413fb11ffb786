// node start.mjs [--url http://127.0.0.1:8787] [--name penguins] [--rounds 20]
// The operator's part: builds the model every client starts from, starts
// federation <name> on the coordinator with it, and issues a token per client
// (written to tokens.json, which client.mjs and the browser page read; in a
// real deployment each device gets only its own).
// (In your own project: import { … } from 'manytask', 'manytask/federated' and
// 'manytask/federated/coordinator'.)
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { init, Dataset, MultiTaskModel, tasks } from '../../dist/node.js';
import { startFederation, FederatedError } from '../../dist/federated.js';
import { createToken } from '../../dist/federated-coordinator.js';
import { SPEC, CLIENTS, splitByIsland } from './penguins.mjs';
import { deploymentSecret } from './secret.mjs';

const { values: args } = parseArgs({ options: { url: { type: 'string', default: 'http://127.0.0.1:8787' }, name: { type: 'string', default: 'penguins' }, rounds: { type: 'string', default: '20' } } });
await init();
const secret = await deploymentSecret();
const csv = await readFile(new URL('../data/penguins.csv', import.meta.url), 'utf8');
// The model's preprocessing (scaling, islands, classes, the body mass's mean and
// spread) is fitted once here and travels in the model file; an operator would
// fit it on a sample or public ranges, not on the clients' rows.
const model = new MultiTaskModel({
  input: Dataset.fromRows(splitByIsland(csv).train, SPEC),
  architecture: { type: 'sharedBottom', units: [16], towerUnits: [8] },
  tasks: [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')],
  seed: 1,
});
const federation = `${args.url.replace(/\/$/, '')}/federations/${args.name}`;
try {
  const status = await startFederation({
    url: federation,
    token: await createToken(secret, { clientId: 'operator', role: 'admin' }),
    model,
    // A round closes when all eight have sent their update, or at its deadline with at least four.
    options: { minClients: 4, clientsPerRound: CLIENTS, roundTimeoutMs: 120_000, rounds: Number(args.rounds), taskParts: 'average' },
  });
  console.log(`started ${federation}: round ${status.round}, ${status.rounds} rounds of up to ${status.clientsPerRound} clients (quorum ${status.minClients})`);
} catch (err) {
  if (!(err instanceof FederatedError && err.reason === 'already-started')) throw err;
  console.log(`${err.message}; the clients can join it`);
} finally {
  model.dispose();
}
const clients = {};
for (let id = 0; id < CLIENTS; id++) clients[id] = await createToken(secret, { clientId: `penguins-${id}`, federation: args.name });
await writeFile(new URL('./tokens.json', import.meta.url), `${JSON.stringify({ federation, clients }, null, 2)}\n`);
console.log('tokens for clients 0–7 in tokens.json');
