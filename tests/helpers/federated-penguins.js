// Federated multi-task learning on penguins, split the way data lives on
// devices: not at random but by place. Used by tests/runtimes/federated.test.js
// (the coordinator in workerd) and scripts/federated-table.mjs (the table in
// docs/federated.md, with the coordinator in memory: the same class, the same
// integer sums, so the same weights).
//
// The split is the example's (examples/federated/penguins.mjs): a test set of
// every 4th row of each island; eight clients by island, three of them without
// one task's labels (a client without a task's labels has no such column). Each
// client's own rows are its training rows; "own held-out rows" would be 10 or so
// per client, too few to compare anything on.
//
// Everything is seeded: the same run gives the same numbers on every runtime.
import { readFileSync } from 'node:fs';
import { Dataset, MultiTaskModel, tasks } from '../../dist/index.js';
import { FederatedClient } from '../../dist/federated.js';
import { start, token } from './federated-scenarios.js';
import { SPEC, MISSING, splitByIsland } from '../../examples/federated/penguins.mjs';

export { SPEC, MISSING };

/** { test, train (Datasets), clients: [{ id, island, missing, rows, data (a Dataset) }] }. */
export function penguinsSplit() {
  const { train, test, clients } = splitByIsland(readFileSync(new URL('../../examples/data/penguins.csv', import.meta.url), 'utf8'));
  for (const c of clients) c.data = Dataset.fromRows(c.rows, c.spec);
  return { test: Dataset.fromRows(test, SPEC), train: Dataset.fromRows(train, SPEC), clients };
}

/**
 * The model every run starts from: built from the union of the training rows (its
 * preprocessing — scaling, the islands, the classes, the body mass's mean and
 * spread — fixed there once, as an operator fixes a federation's schema), seeded.
 */
export function initialModel(train, seed = 1) {
  return new MultiTaskModel({
    input: train,
    architecture: { type: 'sharedBottom', units: [16], towerUnits: [8] },
    tasks: [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')],
    seed,
  });
}

/** The local training of one round, and the centralised run's epochs per round. */
export const LOCAL_FIT = { epochs: 5, batchSize: 16, learningRate: 0.01, seed: 3 };

/** Test metrics: species and sex accuracy, body mass R² and MAE (g). */
export function metrics(model, data) {
  const e = model.evaluate(data).tasks;
  return { species: e.species.accuracy, sex: e.sex.accuracy, body_mass_r2: e.body_mass_g.r2, body_mass_mae: e.body_mass_g.mae };
}

/** Per task: the loss of `model` on the task's labeled rows of `data` (tasks without a label there: absent). */
export function taskLosses(model, data) {
  return Object.fromEntries(Object.entries(model.evaluate(data).tasks).map(([t, m]) => [t, m.loss]));
}

/**
 * A federation of the eight clients on `env` (tests/helpers/federated-scenarios.js'
 * environment): `rounds` rounds, every client each round (it pulls, trains
 * LOCAL_FIT on its rows and pushes), in client order — the order does not change
 * the aggregate. Answers the global model (a MultiTaskModel) and, per client, its
 * local model after pulling the last version (the global shared part with its own
 * task parts when they stay local) and the bytes of its updates. `options`:
 * more of the federation's options; `proximal`: FedProx's μ for the clients.
 */
export async function federate(env, name, split, { rounds = 20, taskParts = 'average', encoding = 'f32', seed = 1, options = {}, proximal = 0 } = {}) {
  const { bytes: start0 } = await start(env, name, { minClients: 8, clientsPerRound: 8, rounds, taskParts, ...options }, initialModel(split.train, seed));
  const clients = [];
  for (const c of split.clients) {
    const client = new FederatedClient({ url: env.url(name), token: await token(env, `penguins-${c.id}`), fetch: env.fetch, encoding });
    await client.join(MultiTaskModel.load(start0));
    clients.push(client);
  }
  const sent = clients.map(() => []);
  for (let r = 1; r <= rounds; r++) {
    for (const [i, client] of clients.entries()) {
      await client.pull();
      const result = await client.trainRound(split.clients[i].data, { fit: LOCAL_FIT, ...(proximal > 0 ? { proximal } : {}) });
      if (result.round !== r) throw new Error(`client ${i} trained round ${result.round}, expected ${r}`);
      sent[i].push(result.bytes);
    }
  }
  for (const client of clients) await client.pull();
  const res = await env.fetch(`${env.url(name)}/model`, { headers: { authorization: `Bearer ${await token(env, 'observer')}` } });
  const file = new Uint8Array(await res.arrayBuffer());
  return { global: MultiTaskModel.load(file), clients: clients.map((c) => c.model), sent, modelBytes: file.length };
}

/** Centralised training on the union of the clients' rows (their missing labels missing here too), as many epochs as a client's over the rounds. */
export async function centralised(split, { rounds = 20, seed = 1 } = {}) {
  const model = initialModel(split.train, seed);
  const union = Dataset.fromRows(split.clients.flatMap((c) => c.rows), SPEC);
  await model.fit(union, { ...LOCAL_FIT, epochs: LOCAL_FIT.epochs * rounds });
  return model;
}
