// Federated learning with the coordinator in real workerd (Miniflare): the
// Worker of examples/federated (its src/worker.js and wrangler.toml, built as
// `wrangler deploy` builds it: tests/runtimes/helpers/wrangler-bundle.js), its
// Durable Object on SQLite storage, an R2 bucket and real alarms, persisted on
// disk, served on 127.0.0.1; the clients are Node, talking HTTP to it.
//
// - Eight clients on penguins split by island, three of them without one task's
//   labels (tests/helpers/federated-penguins.js): after 20 rounds the global
//   model's test metrics are within a stated tolerance of centralised training
//   on the union of their rows, and each client's personalised task parts
//   (taskParts 'local') have no higher loss on its own rows than the global ones
//   (taskParts 'average'), task by task.
// - Every fault of tests/helpers/federated-scenarios.js (the ones the unit tests
//   run in memory), here with workerd's storage and alarms: refusals with their
//   reasons, a restart of workerd mid-round (the same persisted storage) losing
//   no accepted update, the deadline's alarm, 24 arrival orders giving the same
//   bits, a late joiner, updates racing for the last places of a round; and a
//   client dropping in the middle of sending its update.
// - A client on the hibernating WebSocket: the status on connect, an update
//   accepted, the new version pushed when the round closes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, copyFile, symlink, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { REPO } from './helpers/process.js';
import { bundleWorkerProject, parseWranglerToml } from './helpers/wrangler-bundle.js';
import { init } from '../../dist/index.js';
import {
  checkFaults, checkRestart, checkDeadline, checkOrders, checkLateJoiner, checkNoMixing, start, status, token, deltas, frame, send,
} from '../helpers/federated-scenarios.js';
import { permutations } from '../helpers/federated-reference.js';
import { penguinsSplit, federate, centralised, metrics, taskLosses, MISSING } from '../helpers/federated-penguins.js';

const EXAMPLE = join(REPO, 'examples', 'federated');
const SECRET = 'the-federated-test-deployment-secret-0123456789';
const ROUNDS = 20;
/**
 * Federated (20 rounds × 5 local epochs) against centralised (100 epochs) on the
 * 84 test rows: measured, species accuracy 1 and 1, sex accuracy 0.675 and
 * 0.663, body-mass R² 0.820 and 0.863. The federated model may fall short by at
 * most this much (species: two test rows; sex: four; R²: 0.06).
 */
const TOLERANCE = { species: 0.025, sex: 0.05, body_mass_r2: 0.06 };

/** The example as a user's project: node_modules/manytask is this repository. */
async function exampleProject() {
  const dir = await mkdtemp(join(tmpdir(), 'manytask-federated-'));
  await mkdir(join(dir, 'node_modules'), { recursive: true });
  await mkdir(join(dir, 'src'), { recursive: true });
  await symlink(REPO, join(dir, 'node_modules', 'manytask'), 'dir');
  for (const f of ['wrangler.toml', 'package.json', 'src/worker.js']) await copyFile(join(EXAMPLE, f), join(dir, f));
  return dir;
}

test('federated learning with the coordinator in workerd (Durable Object, R2, alarms on 127.0.0.1): penguins by island vs centralised, personalised heads, every fault, order-free aggregate, WebSocket', { timeout: 300_000 }, async (t) => {
  await init();
  const config = parseWranglerToml(await readFile(join(EXAMPLE, 'wrangler.toml'), 'utf8'));
  assert.equal(config.main, 'src/worker.js');
  const dir = await exampleProject();
  const persist = join(dir, '.state');
  let mf = null, output = '';
  try {
    const b = await bundleWorkerProject(dir, join(dir, 'dist'));
    assert.ok(b.inputs.some((p) => p.endsWith('dist/federated-coordinator.js')), `the Worker bundles manytask/federated/coordinator: ${b.inputs.join(', ')}`);
    assert.ok(!b.inputs.some((p) => /dist\/(index|node|web|workerd)\.js$/.test(p)), 'the coordinator needs none of the training library');
    assert.deepEqual(b.externals, [], 'and no WebAssembly');
    const options = {
      host: '127.0.0.1', port: 0, cf: false, defaultPersistRoot: persist,
      handleRuntimeStdio(stdout, stderr) {
        stdout.setEncoding('utf8').on('data', (d) => { output += d; });
        stderr.setEncoding('utf8').on('data', (d) => { output += d; });
      },
      workers: [{
        ...b.worker,
        durableObjects: { COORDINATOR: { className: 'Coordinator', useSQLite: true } },
        r2Buckets: ['FEDERATED_BUCKET'],
        bindings: { FEDERATED_SECRET: SECRET, ALLOWED_ORIGINS: '*' },
      }],
    };
    let base = '';
    const launch = async () => {
      mf = new Miniflare(options);
      const url = await mf.ready;
      assert.equal(url.hostname, '127.0.0.1');
      base = url.href;
    };
    await launch();
    const env = {
      secret: SECRET,
      roundTimeoutMs: 1500,
      fetch: (url, init) => fetch(url, init),
      url: (name) => `${base}federations/${name}`,
      /** workerd stopped and started again over the same persisted storage. */
      async restart() { await mf.dispose(); mf = null; await launch(); },
      /** The deadline passes and workerd runs the alarm itself: wait for the round to move on. */
      async passDeadline(name, round) {
        const { deadline } = await status(this, name);
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())));
        for (let i = 0; i < 100; i++) {
          if ((await status(this, name)).round > round) return;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.fail(`round ${round} of "${name}" did not move on within 5 s of its deadline`);
      },
    };
    const context = () => `\nworkerd output:\n${output.slice(-4000)}`;

    await t.test('the Worker answers other paths with its own 404, and CORS preflights', async () => {
      const other = await fetch(`${base}elsewhere`);
      assert.equal(other.status, 404);
      assert.match(await other.text(), /manytask federated coordinator/);
      const preflight = await fetch(`${base}federations/x/status`, { method: 'OPTIONS', headers: { origin: 'https://app.example' } });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example');
    });

    await t.test('penguins by island, eight clients: the federated model within tolerance of centralised training; personalised task parts at least as good on each client\'s rows', async () => {
      const split = penguinsSplit();
      const central = await centralised(split, { rounds: ROUNDS });
      const reference = metrics(central, split.test);
      central.dispose();
      // Every model version and update goes to R2 (r2Above 0) in this one.
      const global = await federate(env, 'penguins', split, { rounds: ROUNDS, taskParts: 'average', options: { r2Above: 0 } });
      const federated = metrics(global.global, split.test);
      t.diagnostic(`test metrics, federated vs centralised: ${JSON.stringify(federated)} vs ${JSON.stringify(reference)}`);
      for (const [m, tol] of Object.entries(TOLERANCE)) {
        assert.ok(federated[m] >= reference[m] - tol, `${m}: federated ${federated[m]} < centralised ${reference[m]} − ${tol}`);
      }
      const bucket = await mf.getR2Bucket('FEDERATED_BUCKET');
      const keys = (await bucket.list({ prefix: 'manytask-federated/penguins/' })).objects.map((o) => o.key);
      assert.ok(keys.some((k) => k.endsWith(`model-v${ROUNDS}.mtsk`)), `the last version is in R2: ${keys.join(', ')}`);
      assert.ok(!keys.some((k) => /\/r\d+\//.test(k)), 'closed rounds\' updates are deleted');

      const local = await federate(env, 'penguins-local', split, { rounds: ROUNDS, taskParts: 'local' });
      for (const [i, c] of split.clients.entries()) {
        const personalised = taskLosses(local.clients[i], c.data), shared = taskLosses(global.clients[i], c.data);
        assert.deepEqual(Object.keys(personalised).sort(), ['body_mass_g', 'sex', 'species'].filter((task) => task !== MISSING[i]).sort());
        for (const task of Object.keys(personalised)) {
          assert.ok(personalised[task] <= shared[task], `client ${i} (${c.island}), ${task}: personalised loss ${personalised[task]} > global ${shared[task]}`);
        }
      }
      for (const m of [global.global, ...global.clients, local.global, ...local.clients]) m.dispose();
    });

    await t.test('faults: each refused with its reason, the round unharmed', async () => { await checkFaults(env); });
    await t.test('an oversized update (declared or streamed, up to 1 MiB over), or one refused before it is read, is answered with its status every time, not with a reset connection', async () => {
      const { layout } = await start(env, 'oversized', { minClients: 2, clientsPerRound: 2 });
      const s = await status(env, 'oversized');
      const headers = { authorization: `Bearer ${await token(env, 'big')}`, 'content-type': 'application/octet-stream' };
      for (let i = 0; i < 20; i++) {
        const extra = [1, 4096, 65_536, 1 << 20][i % 4];
        const body = new Uint8Array(s.maxUpdateBytes + extra);
        const streamed = i % 2 === 1;
        const res = await fetch(`${env.url('oversized')}/update`, {
          method: 'POST', headers, duplex: 'half',
          body: streamed ? new ReadableStream({ start(c) { c.enqueue(body); c.close(); } }) : body,
        });
        assert.equal(res.status, 413, `${extra} bytes over (${streamed ? 'streamed' : 'declared'})${context()}`);
        assert.equal((await res.json()).error.reason, 'too-large');
      }
      // Refused before its body is read (another federation's token, an unknown action): the same.
      const update = frame(s, deltas(layout, 4).map((p) => ({ ...p, examples: 2 })));
      const elsewhere = await token(env, 'big', { federation: 'elsewhere' });
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${env.url('oversized')}/${i % 2 ? 'upload' : 'update'}`, { method: 'POST', body: update, headers: { ...headers, authorization: `Bearer ${elsewhere}` } });
        assert.equal(res.status, 403, `refusal ${i}${context()}`);
        await res.arrayBuffer();
      }
      assert.equal((await send(env, 'oversized', 'big', frame(s, deltas(layout, 3).map((p) => ({ ...p, examples: 2 }))))).status, 200, 'then the same client sends its update');
    });
    await t.test('workerd restarted mid-round over its persisted storage: no accepted update lost, the same weights as without the restart', async () => { await checkRestart(env); });
    await t.test('the deadline (workerd\'s alarm): below the quorum abandoned, with it closed without the client that dropped out', async () => { await checkDeadline(env); });
    await t.test('the aggregate is bit-identical in all 24 arrival orders of four updates (FedAvg; DP-FedAvg with FedAvgM)', async () => { await checkOrders(env, permutations([0, 1, 2, 3])); });
    await t.test('a late joiner gets the latest version', async () => { await checkLateJoiner(env); });
    await t.test('two rounds never mix: four updates at once for a round of two', async () => { await checkNoMixing(env); });

    await t.test('a client that drops in the middle of sending its update: nothing of it is counted', async () => {
      const { layout } = await start(env, 'dropped', { minClients: 2, clientsPerRound: 2 });
      const s = await status(env, 'dropped');
      const bytes = frame(s, deltas(layout, 7).map((p) => ({ ...p, examples: 4 })));
      const body = new ReadableStream({
        start(controller) { controller.enqueue(bytes.subarray(0, bytes.length >> 1)); },
        pull(controller) { controller.error(new Error('the client went away')); },
      });
      await fetch(`${env.url('dropped')}/update`, {
        method: 'POST', body, duplex: 'half',
        headers: { authorization: `Bearer ${await token(env, 'leaver')}`, 'content-type': 'application/octet-stream' },
      }).then((r) => r.arrayBuffer(), () => null);
      assert.equal((await status(env, 'dropped')).accepted, 0, `a half-sent update is not counted${context()}`);
      const whole = await send(env, 'dropped', 'leaver', bytes);
      assert.equal(whole.status, 200, `and the client may send it again whole: ${JSON.stringify(whole.body)}`);
    });

    await t.test('the hibernating WebSocket: status on connect, an update accepted, the new version pushed', async () => {
      const { layout } = await start(env, 'socket', { minClients: 2, clientsPerRound: 2 });
      const s = await status(env, 'socket');
      const res = await mf.dispatchFetch(`${env.url('socket')}/connect`, { headers: { upgrade: 'websocket', authorization: `Bearer ${await token(env, 'ws-client')}` } });
      assert.equal(res.status, 101);
      const ws = res.webSocket;
      const messages = [];
      let wake = () => {};
      ws.addEventListener('message', (event) => { messages.push(JSON.parse(event.data)); wake(); });
      ws.accept();
      const next = async (type) => {
        for (let i = 0; i < 100; i++) {
          const at = messages.findIndex((m) => m.type === type);
          if (at >= 0) return messages.splice(at, 1)[0];
          await new Promise((resolve) => { wake = resolve; setTimeout(resolve, 50); });
        }
        assert.fail(`no "${type}" message over the WebSocket: ${JSON.stringify(messages)}${context()}`);
      };
      assert.deepEqual([(await next('status')).round, s.round], [1, 1]);
      ws.send(frame(s, deltas(layout, 1).map((p) => ({ ...p, examples: 5 }))));
      const accepted = await next('accepted');
      assert.deepEqual([accepted.round, accepted.accepted], [1, 1]);
      ws.send('not json');
      assert.equal((await next('refused')).error.reason, 'malformed');
      assert.equal((await send(env, 'socket', 'http-client', frame(s, deltas(layout, 2).map((p) => ({ ...p, examples: 5 }))))).status, 200);
      const version = await next('version');
      assert.deepEqual([version.round, version.version, version.record.outcome], [2, 1, 'closed']);
      ws.close(1000, 'done');
    });
  } finally {
    try {
      await mf?.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
});
