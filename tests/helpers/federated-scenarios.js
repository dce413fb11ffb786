// The coordinator's behaviour, written once and run in two places: in memory
// under Node, Deno and Bun (tests/unit/federated-rounds.test.js) and in workerd
// through Miniflare with real Durable Object storage, R2 and alarms
// (tests/runtimes/federated.test.js). Each scenario takes an environment:
//
//   { fetch(url, init) → Response   reaches the deployment's Worker (routeFederation)
//     url(name)                     the federation's URL
//     secret                        the deployment's secret
//     restart()                     the Durable Objects start again from their storage
//     passDeadline(name)            the open round's deadline passes and its alarm runs
//     roundTimeoutMs                the deadline checkDeadline sets: long enough for a few requests }
//
// Updates are made here, byte by byte, so that each fault is exactly the one meant.
import assert from 'node:assert/strict';
import { MultiTaskModel, tasks } from '../../dist/index.js';
import { startFederation, FederatedClient } from '../../dist/federated.js';
import { createToken } from '../../dist/federated-coordinator.js';
import { encodeFrame, encodeValues, decodeValues, encodedLength, layoutOfModelFile, MAX_WEIGHT } from '../../dist/internal.js';
import { seededValues, assertClose } from './reference.js';

/** A small two-task model (arrays in: 4 features); its owners give a shared part and one part per task. */
export function tinyModel(seed = 2) {
  return new MultiTaskModel({
    input: { features: 4, classes: { kind: 3 } },
    architecture: { type: 'sharedBottom', units: [6], towerUnits: [4] },
    tasks: [tasks.multiclass('kind'), tasks.regression('amount')], seed,
  });
}

/**
 * The model, its regression task's statistics fitted (fit with epochs 0 fits them, training nothing): a
 * federation whose clients train that task starts from such a model, or trainRound refuses.
 */
export async function withTargetStats(model) {
  await model.fit(Float32Array.from(seededValues(8 * 4, 1)), { amount: seededValues(8, 2).map((v) => 10 + 3 * v) }, { epochs: 0, unlabeledTasks: 'skip' });
  return model;
}

export const token = (env, clientId, extra = {}) => createToken(env.secret, { clientId, ...extra });
export const adminToken = (env) => createToken(env.secret, { clientId: 'operator', role: 'admin' });

export async function start(env, name, options, model = tinyModel()) {
  const bytes = model.save();
  model.dispose();
  const status = await startFederation({ url: env.url(name), token: await adminToken(env), model: bytes, options, fetch: env.fetch });
  return { status, bytes, ...layoutOfModelFile(bytes) };
}

/** GET <action> or POST bytes, as { status, body } (body: JSON, or the bytes of a model). */
export async function call(env, name, action, { token: t, body, headers = {} } = {}) {
  const res = await env.fetch(`${env.url(name)}/${action}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...(t ? { authorization: `Bearer ${t}` } : {}), ...headers },
    ...(body === undefined ? {} : { body }),
  });
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, body: type.includes('json') ? await res.json() : new Uint8Array(await res.arrayBuffer()), headers: res.headers };
}

export async function status(env, name, t) {
  const r = await call(env, name, 'status', { token: t ?? await token(env, 'observer') });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

/** The global model's weights (the whole block) at its current version. */
export async function globalWeights(env, name) {
  const r = await call(env, name, 'model', { token: await token(env, 'observer') });
  assert.equal(r.status, 200);
  return { weights: layoutOfModelFile(r.body).weights, version: Number(r.headers.get('x-manytask-version')), bytes: r.body };
}

/** Seeded deltas for each part an update sends: the shared part, and the named tasks' parts. */
export function deltas(layout, seed, taskNames = [], scale = 0.01) {
  return [layout.shared, ...taskNames.map((t) => layout.task(t))].map((part, i) => ({
    task: part.task, length: part.length, values: Float32Array.from(seededValues(part.length, seed * 17 + i), (v) => v * scale),
  }));
}

/**
 * An update frame for the open round of `s` (a status): `parts` as from deltas(),
 * each with `examples`; `edit` changes the header, `payload` the bytes.
 */
export function frame(s, parts, { encoding = 'f32', edit = (h) => h, payload: editPayload = (p) => p } = {}) {
  const payload = new Uint8Array(parts.reduce((n, p) => n + encodedLength(p.values.length, encoding), 0));
  let at = 0;
  for (const p of parts) at = encodeValues(p.values, encoding, payload, at, 'test');
  const header = edit({
    federation: s.id, layout: s.layout, round: s.round, version: s.version, encoding,
    parts: parts.map((p) => ({ task: p.task, examples: p.examples, length: p.length ?? p.values.length })),
  });
  return encodeFrame('update', header, editPayload(payload));
}

export async function send(env, name, client, bytes) {
  return call(env, name, 'update', { token: await token(env, client), body: bytes, headers: { 'content-type': 'application/octet-stream' } });
}

function expectRefusal(r, status, reason, pattern, what) {
  assert.equal(r.status, status, `${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  assert.equal(r.body.error?.reason, reason, `${what}: ${JSON.stringify(r.body)}`);
  if (pattern) assert.match(r.body.error.message, pattern, what);
}

/** FedAvg of `updates` ({ parts, examples per part }) added to `weights`, in f64, for each part. */
function expectedAverage(layout, weights, updates) {
  const out = Float64Array.from(weights);
  for (const part of layout.parts) {
    const senders = updates.map((u) => u.find((p) => p.task === part.task)).filter(Boolean);
    if (senders.length === 0 || part.length === 0) continue;
    const total = senders.reduce((n, p) => n + p.examples, 0);
    const mean = new Float64Array(part.length);
    for (const p of senders) for (let i = 0; i < part.length; i++) mean[i] += (p.examples * p.values[i]) / total;
    const base = layout.gather(part, weights);
    layout.scatter(part, Float32Array.from(base, (w, i) => w + mean[i]), out);
  }
  return out;
}

/**
 * Every fault of issue 15 point 3 that a request can carry, each refused with its
 * reason and status while the round goes on; then the round closes with the
 * good updates only, to the FedAvg of exactly those, and a late update of the
 * closed round is refused.
 */
export async function checkFaults(env, name = 'faults') {
  const { layout, weights: w0 } = await start(env, name, { minClients: 2, clientsPerRound: 3, taskParts: 'average', rounds: 5 });
  let s = await status(env, name);
  const good = (seed, examples, taskExamples = {}) => deltas(layout, seed, Object.keys(taskExamples)).map((p) => ({ ...p, examples: p.task === null ? examples : taskExamples[p.task] }));
  const u1 = good(1, 40, { kind: 30, amount: 12 });

  // Authentication and authorization.
  expectRefusal(await call(env, name, 'update', { body: frame(s, u1) }), 401, 'unauthorized', /no token/, 'no token');
  const stranger = await createToken('z'.repeat(40), { clientId: 'c1' });
  expectRefusal(await call(env, name, 'update', { token: stranger, body: frame(s, u1) }), 401, 'unauthorized', /signature does not verify/, 'another deployment\'s token');
  expectRefusal(await call(env, name, 'update', { token: await token(env, 'c1', { federation: 'elsewhere' }), body: frame(s, u1) }), 403, 'forbidden', /for federation "elsewhere"/, 'another federation\'s token');
  expectRefusal(await call(env, name, 'start', { token: await token(env, 'c1'), body: new Uint8Array(16) }), 403, 'forbidden', /only an admin token may start/, 'a client starting');
  expectRefusal(await call(env, name, 'start', { token: await adminToken(env), body: new Uint8Array(16) }), 409, 'already-started', null, 'a second start');

  // The first good update.
  let r = await send(env, name, 'c1', frame(s, u1));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual({ ok: r.body.ok, round: r.body.round, accepted: r.body.accepted, closed: r.body.closed }, { ok: true, round: 1, accepted: 1, closed: null });

  const u2 = good(2, 25, { kind: 25 });
  const bad = [
    ['c1 again (duplicate)', 'c1', frame(s, good(9, 10)), 409, 'duplicate', /already sent its update for round 1/],
    ['not a frame', 'c2', new TextEncoder().encode('{"parts": []} but not a frame at all'), 400, 'malformed', /magic/],
    ['truncated', 'c2', frame(s, u2).subarray(0, 100), 400, 'malformed', /checksum/],
    ['too large', 'c2', new Uint8Array(s.maxUpdateBytes + 1), 413, 'too-large', /at most/],
    ['a NaN', 'c2', frame(s, u2, { payload: (p) => { new DataView(p.buffer).setFloat32(8, NaN, true); return p; } }), 400, 'not-finite', /value 2 is NaN/],
    ['an ∞ (f16)', 'c2', frame(s, u2, { encoding: 'f16', payload: (p) => { new DataView(p.buffer).setUint16(0, 0x7c00, true); return p; } }), 400, 'not-finite', /value 0 is Infinity/],
    ['beyond the exact range', 'c2', frame(s, u2.map((p, i) => (i === 0 ? { ...p, values: p.values.map((v, j) => (j === 3 ? 1000 : v)) } : p))), 400, 'out-of-range', /value 3 is 1000/],
    ['a stale round', 'c2', frame({ ...s, round: 0 }, u2), 409, 'stale-round', /round 0; the open round is 1/],
    ['a future round', 'c2', frame({ ...s, round: 2 }, u2), 409, 'stale-round', null],
    ['a wrong version', 'c2', frame({ ...s, version: 3 }, u2), 409, 'wrong-version', /computed from version 3/],
    ['another model', 'c2', frame({ ...s, layout: 'deadbeef' }, u2), 409, 'wrong-model', /layout "deadbeef"/],
    ['another federation', 'c2', frame({ ...s, id: '00' }, u2), 409, 'wrong-model', /federation "00"/],
    ['an unknown task', 'c2', frame(s, [u2[0], { ...u2[1], task: 'colour' }]), 400, 'malformed', /task "colour", which the model does not have/],
    ['a task twice', 'c2', frame(s, [u2[0], u2[1], u2[1]]), 400, 'malformed', /repeats task "kind"/],
    ['no shared part first', 'c2', frame(s, [u2[1], u2[0]]), 400, 'malformed', /first part must be the shared one/],
    ['a part of the wrong length', 'c2', frame(s, [{ ...u2[0], length: u2[0].length - 1 }, u2[1]], { payload: (p) => p.subarray(4) }), 400, 'malformed', /has \d+ values; the model's has/],
    ['payload and parts disagree', 'c2', frame(s, u2, { payload: (p) => p.subarray(0, p.length - 4) }), 400, 'malformed', /payload is/],
    ['no examples', 'c2', frame(s, [{ ...u2[0], examples: 0 }, u2[1]]), 400, 'malformed', /examples must be an integer from 1/],
    ['too many examples', 'c2', frame(s, [{ ...u2[0], examples: MAX_WEIGHT + 1 }]), 400, 'out-of-range', /examples must be/],
    ['more task rows than rows', 'c2', frame(s, [u2[0], { ...u2[1], examples: 26 }]), 400, 'malformed', /26 labeled rows, more than the 25 rows/],
    ['an unknown encoding', 'c2', frame(s, u2, { edit: (h) => ({ ...h, encoding: 'bf16' }) }), 400, 'malformed', /encoding "bf16"/],
  ];
  for (const [what, client, bytes, code, reason, pattern] of bad) expectRefusal(await send(env, name, client, bytes), code, reason, pattern, what);
  // Nothing refused was counted or reached the weights.
  s = await status(env, name);
  assert.equal(s.accepted, 1);
  assert.equal(s.version, 0);
  assert.deepEqual(Array.from((await globalWeights(env, name)).weights), Array.from(w0));

  // Two more good updates close the round: the FedAvg of the three, each part weighted by its own rows.
  const u3 = good(3, 61, { amount: 50 });
  assert.equal((await send(env, name, 'c2', frame(s, u2))).status, 200);
  r = await send(env, name, 'c3', frame(s, u3, { encoding: 'int8' }));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.closed?.outcome, 'closed');
  assert.deepEqual(r.body.closed.tasks, { kind: 2, amount: 2 });
  assert.equal(r.body.closed.examples, 40 + 25 + 61);
  const u3sent = u3.map((p) => ({ ...p, values: travelled(p.values, 'int8') }));
  const after = await globalWeights(env, name);
  assert.equal(after.version, 1);
  assertClose(after.weights, expectedAverage(layout, w0, [u1, u2, u3sent]), { atol: 1e-7, rtol: 1e-6, label: 'the FedAvg of the accepted updates' });
  // A late update of the closed round counts nowhere.
  expectRefusal(await send(env, name, 'c4', frame(s, good(4, 5))), 409, 'stale-round', /round 1; the open round is 2/, 'an update of the closed round');
  return { layout };
}

/** `values` as the coordinator reads them back from `encoding`. */
function travelled(values, encoding) {
  const bytes = new Uint8Array(encodedLength(values.length, encoding));
  encodeValues(values, encoding, bytes, 0, 'test');
  const out = new Float32Array(values.length);
  decodeValues(bytes, 0, encoding, out, 'test');
  return out;
}

/**
 * A restart in the middle of a round loses no accepted update: two accepted, the
 * objects restarted, the third closes the round to the very weights (bit for bit)
 * of a federation that never restarted.
 */
export async function checkRestart(env, names = ['restart', 'no-restart']) {
  const results = [];
  for (const [k, name] of names.entries()) {
    const { layout } = await start(env, name, { minClients: 3, clientsPerRound: 3, serverOptimizer: { type: 'fedadam', learningRate: 0.05 } });
    let s = await status(env, name);
    const updates = [1, 2, 3].map((i) => deltas(layout, 100 + i).map((p) => ({ ...p, examples: 10 * i })));
    for (const i of [0, 1]) assert.equal((await send(env, name, `c${i}`, frame(s, updates[i]))).status, 200);
    if (k === 0) {
      await env.restart();
      s = await status(env, name);
      assert.equal(s.accepted, 2, 'the accepted updates survived the restart');
      expectRefusal(await send(env, name, 'c0', frame(s, updates[0])), 409, 'duplicate', null, 'an update accepted before the restart, again');
    }
    const r = await send(env, name, 'c2', frame(s, updates[2]));
    assert.equal(r.body.closed?.outcome, 'closed', JSON.stringify(r.body));
    results.push((await globalWeights(env, name)).weights);
  }
  assert.deepEqual(Array.from(results[0]), Array.from(results[1]), 'restarted and uninterrupted rounds give the same weights');
  // …and survive a restart after the close, with the server optimizer's state.
  await env.restart();
  assert.deepEqual(Array.from((await globalWeights(env, names[0])).weights), Array.from(results[0]));
  const s = await status(env, names[0]);
  assert.deepEqual([s.round, s.version, s.accepted], [2, 1, 0]);
}

/**
 * The deadline: with fewer updates than the quorum the round is abandoned (its
 * update dropped, the weights kept, the round number moving on, so the dropped
 * update cannot come back); with the quorum it closes with what it has — a client
 * that dropped out mid-round is simply not in it.
 */
export async function checkDeadline(env, name = 'deadline') {
  const { layout, weights: w0 } = await start(env, name, { minClients: 2, clientsPerRound: 3, roundTimeoutMs: env.roundTimeoutMs });
  let s = await status(env, name);
  const u = (seed) => deltas(layout, seed).map((p) => ({ ...p, examples: 7 }));
  assert.equal((await send(env, name, 'c1', frame(s, u(1)))).status, 200);
  await env.passDeadline(name, s.round);
  const abandoned = await status(env, name);
  assert.deepEqual([abandoned.round, abandoned.version, abandoned.accepted], [2, 0, 0]);
  assert.deepEqual([abandoned.history.at(-1).outcome, abandoned.history.at(-1).why, abandoned.history.at(-1).clients], ['abandoned', 'quorum-missed', 1]);
  assert.deepEqual(Array.from((await globalWeights(env, name)).weights), Array.from(w0), 'an abandoned round leaves the weights');
  expectRefusal(await send(env, name, 'c1', frame(s, u(1))), 409, 'stale-round', null, 'the abandoned round\'s update, again');
  s = abandoned;
  for (const c of ['c1', 'c2']) assert.equal((await send(env, name, c, frame(s, u(c === 'c1' ? 1 : 2)))).status, 200);
  // c3 dropped out: the deadline closes the round with the quorum.
  await env.passDeadline(name, s.round);
  const closed = await status(env, name);
  assert.deepEqual([closed.round, closed.version], [3, 1]);
  assert.deepEqual([closed.history.at(-1).outcome, closed.history.at(-1).why, closed.history.at(-1).clients], ['closed', 'deadline', 2]);
  assertClose((await globalWeights(env, name)).weights, expectedAverage(layout, w0, [u(1), u(2)]), { atol: 1e-7, rtol: 1e-6, label: 'closed at the deadline with c1 and c2' });
}

/**
 * The aggregate is the same, bit for bit, whatever the order in which updates
 * arrive: the same four updates (each its own encoding and weight) sent in each
 * of `orders` to one federation, started again from the same model for each
 * order (a finished federation may be started again). Plain FedAvg weighted by
 * rows, and DP-FedAvg (clipping, seeded noise) with FedAvgM.
 */
export async function checkOrders(env, orders, name = 'orders') {
  const model = tinyModel(5).save();
  const configs = {
    fedavg: { minClients: 4, clientsPerRound: 4, rounds: 1, taskParts: 'average' },
    private: { minClients: 4, clientsPerRound: 4, rounds: 1, taskParts: 'average', serverOptimizer: { type: 'fedavgm', momentum: 0.5 }, privacy: { clipNorm: 0.05, noiseMultiplier: 0.8, seed: 11 } },
  };
  const encodings = ['f32', 'f16', 'int8', 'f32'];
  for (const [label, options] of Object.entries(configs)) {
    let reference = null;
    for (const order of orders) {
      const { layout, weights: w0 } = await start(env, name, options, MultiTaskModel.load(model));
      const s = await status(env, name);
      const updates = [0, 1, 2, 3].map((i) => deltas(layout, 300 + i, i % 2 ? ['kind'] : ['amount'], 0.02).map((p) => ({ ...p, examples: 5 + i })));
      let last;
      for (const i of order) {
        last = await send(env, name, `c${i}`, frame(s, updates[i], { encoding: encodings[i] }));
        assert.equal(last.status, 200, JSON.stringify(last.body));
      }
      assert.equal(last.body.closed?.outcome, 'closed');
      const { bytes } = await globalWeights(env, name);
      const file = layoutOfModelFile(bytes);
      const hex = Array.from(new Uint8Array(file.weights.buffer), (b) => b.toString(16).padStart(2, '0')).join('');
      if (reference === null) {
        reference = hex;
        assert.ok(file.weights.some((w, i) => w !== w0[i]), `${label}: the round moved the weights`);
        const privacy = file.header.metadata.federated.privacy;
        if (options.privacy) {
          assert.deepEqual({ ...privacy, epsilon: 0 }, {
            mechanism: 'DP-FedAvg (Gaussian, client-level)', clipNorm: 0.05, noiseMultiplier: 0.8, denominator: 4, rounds: 1, delta: 1e-5, epsilon: 0,
            accountant: 'RDP of the Gaussian mechanism, composed over rounds, converted at the best order', seeded: true,
          });
          assert.ok(Math.abs(privacy.epsilon - (1 / (2 * 0.64) + 2 * Math.sqrt(Math.log(1e5) / (2 * 0.64)))) < 1e-9, `ε ${privacy.epsilon}`);
        } else {
          assert.equal(privacy, null);
        }
      } else {
        assert.equal(hex, reference, `${label}: order ${order} gives other weights than order ${orders[0]}`);
      }
    }
  }
}

/**
 * A late joiner: a client that joins after versions were made receives the
 * latest weights (all of them, task parts included) and trains from there.
 */
export async function checkLateJoiner(env, name = 'late') {
  const { layout } = await start(env, name, { minClients: 1, clientsPerRound: 1, taskParts: 'local' }, await withTargetStats(tinyModel()));
  for (let v = 0; v < 2; v++) {
    const s = await status(env, name);
    assert.equal((await send(env, name, 'early', frame(s, deltas(layout, v).map((p) => ({ ...p, examples: 3 }))))).status, 200);
  }
  const latest = await globalWeights(env, name);
  assert.equal(latest.version, 2);
  const client = new FederatedClient({ url: env.url(name), token: await token(env, 'late'), fetch: env.fetch });
  const model = await client.join();
  try {
    assert.deepEqual(client.pulled, { version: 2, round: 3 });
    const block = new Float32Array(layout.blockSize);
    for (const t of layout.tensors) block.set(model.parameters.get(t.name), t.offset);
    assert.deepEqual(Array.from(block), Array.from(latest.weights), 'the late joiner starts from version 2, whole');
    const x = Float32Array.from(seededValues(20 * 4, 3));
    const result = await client.trainRound({ x, labels: { kind: Array.from({ length: 20 }, (_, i) => i % 3), amount: Array.from(seededValues(20, 4)) } }, { fit: { epochs: 2, batchSize: 5 } });
    assert.deepEqual([result.round, result.version, result.examples], [3, 2, 20]);
    assert.deepEqual(result.tasks, {}, 'task parts stay local');
    assert.equal(result.closed?.outcome, 'closed');
  } finally {
    model.dispose();
  }
}

/**
 * Two rounds never mix: four updates sent at once to a round that closes at two.
 * Exactly two are accepted into round 1 and the new version is their FedAvg
 * alone; the other two are refused as stale (the round closed, or was closing,
 * while they were checked or stored) and counted nowhere — round 2 opens empty.
 */
export async function checkNoMixing(env, name = 'no-mixing') {
  const { layout, weights: w0 } = await start(env, name, { minClients: 2, clientsPerRound: 2 });
  const s = await status(env, name);
  const updates = [0, 1, 2, 3].map((i) => deltas(layout, 500 + i).map((p) => ({ ...p, examples: 3 + i })));
  const results = await Promise.all(updates.map((u, i) => send(env, name, `c${i}`, frame(s, u))));
  const accepted = [0, 1, 2, 3].filter((i) => results[i].status === 200);
  assert.equal(accepted.length, 2, `accepted: ${results.map((r) => `${r.status} ${JSON.stringify(r.body)}`).join('; ')}`);
  for (const [i, r] of results.entries()) if (!accepted.includes(i)) expectRefusal(r, 409, 'stale-round', null, `c${i}, past the round's two`);
  const after = await status(env, name);
  assert.deepEqual([after.round, after.version, after.accepted], [2, 1, 0]);
  assertClose((await globalWeights(env, name)).weights, expectedAverage(layout, w0, accepted.map((i) => updates[i])), { atol: 1e-7, rtol: 1e-6, label: `the FedAvg of c${accepted.join(' and c')} only` });
}
