// The coordinator (FederatedCoordinator behind routeFederation) and the client,
// with Durable Objects in memory (tests/helpers/memory-durable-object.js), under
// Node, Deno and Bun: the scenarios of tests/helpers/federated-scenarios.js —
// every fault, a restart mid-round, the deadline, arrival orders, a late
// joiner — and the client's layout, which must be the coordinator's for every
// architecture. tests/runtimes/federated.test.js runs the same scenarios in
// workerd through Miniflare.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, MultiTaskModel, tasks, ARCHITECTURE_TYPES } from '../../dist/index.js';
import { FederatedClient, FederatedError, layoutOf } from '../../dist/federated.js';
import { FederatedCoordinator, routeFederation } from '../../dist/federated-coordinator.js';
import { layoutOfModelFile } from '../../dist/internal.js';
import { memoryNamespace, MemoryBucket } from '../helpers/memory-durable-object.js';
import { permutations } from '../helpers/federated-reference.js';
import {
  checkFaults, checkRestart, checkDeadline, checkOrders, checkLateJoiner, checkNoMixing, start, status, token, deltas, frame, send, tinyModel, withTargetStats,
} from '../helpers/federated-scenarios.js';
import { seededValues } from '../helpers/reference.js';

before(async () => { await init(); });

const SECRET = 'a-secret-of-the-deployment-under-test-0123456789';

/** A deployment in memory: the Worker's fetch is routeFederation over a namespace of coordinators. */
function deployment({ bucket } = {}) {
  const namespace = memoryNamespace(FederatedCoordinator, { FEDERATED_SECRET: SECRET, ...(bucket ? { FEDERATED_BUCKET: bucket } : {}) });
  const fetch = async (url, init) => (await routeFederation(new Request(url, init), namespace)) ?? new Response('not here', { status: 404 });
  return {
    secret: SECRET, fetch, namespace, roundTimeoutMs: 100,
    url: (name) => `http://coordinator.test/federations/${name}`,
    restart: () => namespace.restart(),
    async passDeadline(name) {
      const deadline = (await status(this, name)).deadline;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now()) + 5));
      await namespace.alarm(name);
    },
  };
}

test('the client\'s layout (by ParameterInfo.owner) is the coordinator\'s (by the model file\'s description), for every architecture', () => {
  const options = {
    sharedBottom: { units: [5], towerUnits: [3] }, mmoe: { experts: 2, expertUnits: [4], towerUnits: [3] }, omoe: { experts: 2, expertUnits: [4], towerUnits: [3] },
    cgc: { sharedExperts: 1, taskExperts: 1, expertUnits: [4], towerUnits: [3] }, ple: { sharedExperts: 1, taskExperts: 1, expertUnits: [4], levels: 2, towerUnits: [3] },
    crossStitch: { units: [4, 3], towerUnits: [3] }, dselectK: { experts: 4, expertUnits: [3], k: 2, towerUnits: [3] },
    ltb: { units: [4, 3], branches: [2], towerUnits: [3] }, conv1d: { steps: 3, filters: [4], towerUnits: [3] },
    transformer: { steps: 3, dModel: 4, heads: 2, feedForward: 6, towerUnits: [3] },
  };
  assert.deepEqual(Object.keys(options).sort(), [...ARCHITECTURE_TYPES].sort(), 'every architecture is covered');
  for (const type of ARCHITECTURE_TYPES) {
    const model = new MultiTaskModel({ input: { features: 3, classes: { a: 3 } }, architecture: { type, ...options[type] }, tasks: [tasks.multiclass('a'), tasks.binary('b'), tasks.regression('c')] });
    try {
      const mine = layoutOf(model), theirs = layoutOfModelFile(model.save()).layout;
      assert.equal(mine.id, theirs.id, type);
      assert.deepEqual(mine.tensors, theirs.tensors, type);
      // The parts are the owners' tensors, nothing else: shared = owner −1, each task its own.
      for (const info of model.parameters.list()) {
        const part = info.owner === -1 ? mine.shared : mine.tasks[info.owner];
        assert.ok(part.tensors.some((t) => t.name === info.name), `${type}: ${info.name} is in its owner's part`);
      }
      assert.equal(mine.parts.reduce((n, p) => n + p.length, 0), model.parameters.list().reduce((n, p) => n + p.size, 0), type);
      assert.ok(mine.shared.length > 0 && mine.tasks.every((p) => p.length > 0), `${type}: a shared part and a part per task`);
    } finally {
      model.dispose();
    }
  }
});

test('faults: no token, another deployment\'s or federation\'s token, a client starting, duplicates, malformed, oversized, non-finite, out-of-range, stale, wrong version or model — each refused with its reason, the round unharmed', async () => {
  await checkFaults(deployment());
});

test('a restart mid-round loses no accepted update and gives the same weights as no restart; state (FedAdam\'s too) survives', async () => {
  await checkRestart(deployment());
});

test('a restart with blobs in R2 (every blob above r2Above: 0) and in chunked storage reads them back', async () => {
  const bucket = new MemoryBucket();
  const env = deployment({ bucket });
  const { layout } = await start(env, 'r2', { minClients: 2, clientsPerRound: 2, r2Above: 0 });
  const s = await status(env, 'r2');
  assert.equal((await send(env, 'r2', 'c1', frame(s, deltas(layout, 1).map((p) => ({ ...p, examples: 3 }))))).status, 200);
  assert.ok([...bucket.objects.keys()].some((k) => /model-v0\.mtsk$/.test(k)) && [...bucket.objects.keys()].some((k) => /r1\/c1\.mtfl$/.test(k)), [...bucket.objects.keys()].join(', '));
  await env.restart();
  assert.equal((await status(env, 'r2')).accepted, 1);
  assert.equal((await send(env, 'r2', 'c2', frame(s, deltas(layout, 2).map((p) => ({ ...p, examples: 3 }))))).body.closed.outcome, 'closed');
  assert.ok(![...bucket.objects.keys()].some((k) => /\/r1\//.test(k)), 'a closed round\'s updates are deleted');
  assert.ok([...bucket.objects.keys()].some((k) => /model-v1\.mtsk$/.test(k)));
});

test('the deadline: below the quorum the round is abandoned (weights kept, its update cannot return); with it, the round closes without the client that dropped out', async () => {
  await checkDeadline(deployment());
});

test('the aggregate is bit-identical in every one of the 24 arrival orders of four updates (FedAvg; DP-FedAvg with FedAvgM)', async () => {
  await checkOrders(deployment(), permutations([0, 1, 2, 3]));
});

test('two rounds never mix: four updates at once to a round of two — two accepted, their FedAvg alone, two refused as stale', async () => {
  await checkNoMixing(deployment());
});

test('a late joiner receives the latest version whole and trains from it', async () => {
  await checkLateJoiner(deployment());
});

test('the client\'s run(): two clients, three rounds, int8 updates with error feedback, FedProx; stops when the federation finishes', async () => {
  const env = deployment();
  await start(env, 'run', { minClients: 2, clientsPerRound: 2, rounds: 3, taskParts: 'average' }, await withTargetStats(tinyModel(4)));
  const rows = 30;
  const data = (seed) => ({ x: Float32Array.from(seededValues(rows * 4, seed)), labels: { kind: Array.from(seededValues(rows, seed + 1), (v) => (v > 0.3 ? 2 : v > -0.3 ? 1 : 0)), amount: Array.from(seededValues(rows, seed + 2)) } });
  const clients = await Promise.all([1, 2].map(async (i) => {
    const c = new FederatedClient({ url: env.url('run'), token: await token(env, `runner-${i}`), fetch: env.fetch, encoding: 'int8' });
    await c.join();
    return c;
  }));
  const results = await Promise.all(clients.map((c, i) => c.run(data(10 * i), { fit: { epochs: 2, batchSize: 8 }, proximal: 0.01, pollMs: 20, timeoutMs: 20_000 })));
  for (const r of results) assert.deepEqual(r.map((x) => x.round), [1, 2, 3]);
  assert.equal(results.flat().filter((r) => r.closed?.outcome === 'closed').length, 3, 'each round closed by one of the two');
  const s = await status(env, 'run');
  assert.deepEqual([s.finished, s.version], [true, 3]);
  // The finished federation refuses more.
  await assert.rejects(clients[0].trainRound(data(5)), (err) => err instanceof FederatedError && err.reason === 'finished');
  for (const c of clients) c.model.dispose();
});

test('the client refuses a model that is not the federation\'s, and names a refusal it receives', async () => {
  const env = deployment();
  await start(env, 'mine', { minClients: 1 });
  const other = new MultiTaskModel({ input: { features: 4, classes: { kind: 3 } }, architecture: { type: 'sharedBottom', units: [7], towerUnits: [4] }, tasks: [tasks.multiclass('kind'), tasks.regression('amount')] });
  const client = new FederatedClient({ url: env.url('mine'), token: await token(env, 'c'), fetch: env.fetch });
  await assert.rejects(client.join(other), (err) => err instanceof FederatedError && err.reason === 'wrong-model' && /parameter layout/.test(err.message));
  other.dispose();
  const stranger = new FederatedClient({ url: env.url('mine'), token: 'mtfl1.e30.AAAA', fetch: env.fetch });
  await assert.rejects(stranger.status(), (err) => err instanceof FederatedError && err.reason === 'unauthorized');
  const nowhere = new FederatedClient({ url: 'http://127.0.0.1:9/federations/x', token: 't', fetch: () => Promise.reject(new TypeError('fetch failed')) });
  await assert.rejects(nowhere.status(), (err) => err instanceof FederatedError && err.reason === 'transport' && /could not reach/.test(err.message));
  assert.throws(() => new FederatedClient({ url: 'ftp://x', token: 't' }), /url must be the federation's http\(s\) URL/);
  assert.throws(() => new FederatedClient({ url: 'http://x', token: 't', encoding: 'f8' }), /encoding must be one of/);
});
