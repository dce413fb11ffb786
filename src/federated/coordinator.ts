// The coordinator: a Durable Object class a deployment exports from its Worker
// (examples/federated/). One object per federation name, single-writer and
// strongly consistent, so every decision about a round is made in one place.
//
// HTTP, under <prefix><name>/ (routeFederation forwards there):
//   POST start     admin: a start frame (codec.ts) with the options and the model file
//   GET  status    the round, version, quorum, deadline, history (JSON)
//   GET  model     the global model file (?version=v for a kept earlier one, ?weights=f16)
//   POST update    an update frame → { ok, round, version, accepted, closed } or a refusal
//   GET  connect   a WebSocket (hibernation): binary messages are updates, answered
//                  { type: 'accepted' | 'refused' }; { type: 'status' } asks for the
//                  status; every new version is pushed as { type: 'version' }
// Every request carries a token (auth.ts); a refusal is { error: { code, reason,
// message } } with the reason's HTTP status (errors.ts).
//
// Persistence: an accepted update is stored (its bytes as a blob, and a record
// under update/<round>/<client>) before it is acknowledged, and added to the
// in-memory sums only then. A restarted or woken object replays the open round's
// records into fresh sums, which are exactly the same integers whatever the order.
// Closing a round writes the new version's model and optimizer state as blobs
// first, then the state in one atomic put; a crash in between leaves the round
// open with its updates, and closing it again gives the same weights. Anything
// that fails half way reloads the object from storage.

import { FederatedError, type FederatedReason } from './errors.js';
import { decodeFrame } from './codec.js';
import { Federation, layoutOfModelFile, type FederationState, type RoundRecord } from './federation.js';
import { isFederationName, requestToken, verifyToken, WS_PROTOCOL, type TokenClaims } from './auth.js';
import { BlobStore, type BlobRef, type CoordinatorEnv, type CoordinatorState, type FetchRequest, type FetchResponse, type HibernatingSocket, type NamespaceLike } from './platform.js';
import { stateWidth } from './server-optimizer.js';
import { decodeModel, encodeModel } from '../io/format.js';

/** The largest start request (a model file and options). */
const MAX_START_BYTES = 96 * 1024 * 1024;

/** Blob references the state points at (persisted with it). */
interface Blobs {
  /** Kept versions of the global model file (f32). */
  versions: Record<string, BlobRef>;
  optimizer: BlobRef | null;
}

interface UpdateRecord {
  client: string;
  ref: BlobRef;
}

interface Attachment {
  sub: string;
  role: TokenClaims['role'];
}

export class FederatedCoordinator {
  readonly #ctx: CoordinatorState;
  readonly #env: CoordinatorEnv;
  #federation: Federation | null = null;
  #blobs: Blobs = { versions: {}, optimizer: null };
  #store: BlobStore | null = null;
  /** A round is being closed or abandoned: updates wait for the next one. */
  #closing = false;
  /** Clients whose update is being stored. */
  readonly #pending = new Set<string>();
  /** The latest version's model file per encoding, made once per version. */
  #files = new Map<string, Uint8Array>();

  constructor(ctx: CoordinatorState, env: CoordinatorEnv) {
    this.#ctx = ctx;
    this.#env = env;
    void ctx.blockConcurrencyWhile(() => this.#load());
  }

  async #load(): Promise<void> {
    const storage = this.#ctx.storage;
    this.#federation = null;
    this.#files = new Map();
    const state = (await storage.get('state')) as FederationState | undefined;
    if (state === undefined) return;
    this.#blobs = ((await storage.get('blobs')) as Blobs | undefined) ?? { versions: {}, optimizer: null };
    const store = new BlobStore(storage, this.#env.FEDERATED_BUCKET ?? null, state.options.r2Above);
    this.#store = store;
    const modelRef = this.#blobs.versions[String(state.version)];
    if (modelRef === undefined) throw new FederatedError('internal', `version ${state.version}'s model is missing from storage`);
    const model = layoutOfModelFile(await store.get(modelRef));
    let optimizer: Float64Array[] | null = null;
    if (this.#blobs.optimizer !== null) {
      const bytes = await store.get(this.#blobs.optimizer);
      const all = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      const width = stateWidth(state.options.serverOptimizer);
      let at = 0;
      optimizer = model.layout.parts.map((p) => { const s = all.slice(at, at + width * p.length); at += width * p.length; return s; });
    }
    const federation = new Federation(state, model, optimizer);
    // The open round's accepted updates, replayed: the sums are integers, so the order does not matter.
    const records = await storage.list({ prefix: `update/${state.round}/` });
    for (const record of records.values()) {
      const r = record as UpdateRecord;
      federation.add(federation.check(await store.get(r.ref), r.client));
    }
    this.#federation = federation;
    // Stopped between the update that filled the round and its close: close it now.
    if (federation.full && !state.finished) await storage.setAlarm(Date.now());
  }

  /** Handles a request routed to this federation (see the top of this file). */
  async fetch(request: FetchRequest): Promise<FetchResponse> {
    try {
      const url = new URL(request.url);
      const segments = url.pathname.split('/').filter((s) => s !== '');
      const action = segments[segments.length - 1] ?? '';
      const name = segments[segments.length - 2];
      if (!isFederationName(name)) throw new FederatedError('not-found', `no federation in ${url.pathname}`);
      const claims = await this.#authorize(request, name, action === 'start' ? 'admin' : 'client');
      const method = request.method;
      if (action === 'start' && method === 'POST') return json(await this.#start(request, name));
      if (action === 'status' && method === 'GET') return json(this.#status(name));
      if (action === 'model' && method === 'GET') return await this.#model(url);
      if (action === 'update' && method === 'POST') {
        const federation = this.#running(name);
        const bytes = await readBody(request, federation.maxUpdateBytes, 'update');
        return json(await this.#receive(bytes, claims.sub));
      }
      if (action === 'connect' && method === 'GET') return this.#connect(request, claims);
      throw new FederatedError('not-found', `no action ${method} ${action} (actions: POST start, GET status, GET model, POST update, GET connect)`);
    } catch (err) {
      await drainUnread(request);
      return errorResponse(err);
    }
  }

  /** The deadline: close the round with its quorum, or abandon it. */
  async alarm(): Promise<void> {
    const federation = this.#federation;
    if (federation === null || federation.state.finished || this.#closing) return;
    const now = Date.now();
    if (federation.full) {
      await this.#close('target');
      return;
    }
    if (now < federation.state.deadline) {
      await this.#ctx.storage.setAlarm(federation.state.deadline);
      return;
    }
    if (federation.accepted > 0 && federation.quorate) await this.#close('deadline');
    else await this.#abandon();
  }

  async webSocketMessage(socket: HibernatingSocket, message: string | ArrayBuffer): Promise<void> {
    const who = socket.deserializeAttachment() as Attachment;
    if (typeof message === 'string') {
      let type: unknown;
      try { type = (JSON.parse(message) as { type?: unknown }).type; } catch { type = undefined; }
      if (type === 'status') socket.send(JSON.stringify({ type: 'status', ...this.#status(null) }));
      else socket.send(JSON.stringify({ type: 'refused', error: errorBody(new FederatedError('malformed', 'a text message must be {"type":"status"}; updates are binary messages')) }));
      return;
    }
    try {
      const result = await this.#receive(new Uint8Array(message), who.sub);
      socket.send(JSON.stringify({ type: 'accepted', ...result }));
    } catch (err) {
      socket.send(JSON.stringify({ type: 'refused', error: errorBody(err) }));
    }
  }

  webSocketClose(socket: HibernatingSocket, code: number): void {
    try { socket.close(code === 1005 || code === 1006 ? 1000 : code, 'closed'); } catch { /* already closed */ }
  }

  async #authorize(request: FetchRequest, name: string, role: TokenClaims['role']): Promise<TokenClaims> {
    const secret = this.#env.FEDERATED_SECRET;
    if (secret === undefined) throw new FederatedError('config', 'the deployment has no FEDERATED_SECRET (set it with `wrangler secret put FEDERATED_SECRET`); every request is refused');
    const claims = await verifyToken(secret, requestToken(request.headers));
    if (claims.fed !== undefined && claims.fed !== name) throw new FederatedError('forbidden', `the token is for federation "${claims.fed}", not "${name}"`);
    if (role === 'admin' && claims.role !== 'admin') throw new FederatedError('forbidden', `only an admin token may start a federation; "${claims.sub}" is a ${claims.role}`);
    return claims;
  }

  #running(name: string | null): Federation {
    const federation = this.#federation;
    if (federation === null) throw new FederatedError('not-started', `federation ${name === null ? '' : `"${name}" `}has not been started (POST …/start with an admin token)`);
    if (name !== null && federation.state.name !== name) throw new FederatedError('internal', `this object holds federation "${federation.state.name}", not "${name}" (the router must name objects by federation)`);
    return federation;
  }

  async #start(request: FetchRequest, name: string): Promise<Record<string, unknown>> {
    if (this.#federation !== null && !this.#federation.state.finished) {
      throw new FederatedError('already-started', `federation "${name}" is running (round ${this.#federation.state.round}, version ${this.#federation.state.version})`);
    }
    const frame = decodeFrame(await readBody(request, MAX_START_BYTES, 'start'), 'start', MAX_START_BYTES);
    const id = hex(globalThis.crypto.getRandomValues(new Uint8Array(16)));
    const federation = Federation.start(name, id, frame.payload, frame.header.options, Date.now());
    if (this.#federation !== null) await this.#wipe();
    const store = new BlobStore(this.#ctx.storage, this.#env.FEDERATED_BUCKET ?? null, federation.state.options.r2Above);
    const ref = await store.put(this.#blobKey(federation.state, 'model-v0.mtsk'), federation.modelFile(), () => ({}));
    this.#blobs = { versions: { 0: ref }, optimizer: null };
    await this.#ctx.storage.put({ state: federation.state, blobs: this.#blobs });
    await this.#ctx.storage.setAlarm(federation.state.deadline);
    this.#store = store;
    this.#federation = federation;
    this.#files = new Map();
    return this.#status(name);
  }

  /** Removes a finished federation's blobs and records before a new start. */
  async #wipe(): Promise<void> {
    const storage = this.#ctx.storage;
    const store = this.#store!;
    await store.delete([...Object.values(this.#blobs.versions), ...(this.#blobs.optimizer ? [this.#blobs.optimizer] : [])]);
    const updates = await storage.list({ prefix: 'update/' });
    await store.delete([...updates.values()].map((r) => (r as UpdateRecord).ref));
    const keys = [...updates.keys()];
    for (let i = 0; i < keys.length; i += 128) await storage.delete(keys.slice(i, i + 128));
  }

  #blobKey(state: FederationState, file: string): string {
    return `manytask-federated/${state.name}/${state.id}/${file}`;
  }

  #status(name: string | null): Record<string, unknown> {
    const federation = this.#federation;
    if (federation === null) return { federation: name, started: false };
    const s = federation.state, o = s.options;
    return {
      federation: s.name,
      id: s.id,
      started: true,
      finished: s.finished,
      round: s.round,
      version: s.version,
      layout: s.layoutId,
      taskParts: o.taskParts,
      minClients: o.minClients,
      clientsPerRound: o.clientsPerRound,
      rounds: o.rounds,
      accepted: federation.accepted,
      deadline: s.deadline,
      roundTimeoutMs: o.roundTimeoutMs,
      serverOptimizer: o.serverOptimizer,
      fractionBits: o.fractionBits,
      privacy: federation.metadata().privacy,
      maxUpdateBytes: federation.maxUpdateBytes,
      history: s.history.slice(-10),
    };
  }

  async #model(url: URL): Promise<FetchResponse> {
    const federation = this.#running(null);
    const s = federation.state;
    const weights = url.searchParams.get('weights') ?? 'f32';
    if (weights !== 'f32' && weights !== 'f16') throw new FederatedError('not-found', `weights must be f32 or f16, got ${JSON.stringify(weights)}`);
    const asked = url.searchParams.get('version');
    const version = asked === null ? s.version : Number(asked);
    let bytes: Uint8Array;
    if (version === s.version) {
      bytes = this.#files.get(weights) ?? federation.modelFile(weights);
      this.#files.set(weights, bytes);
    } else {
      const ref = Number.isSafeInteger(version) ? this.#blobs.versions[String(version)] : undefined;
      if (ref === undefined) throw new FederatedError('not-found', `version ${JSON.stringify(asked)} is not kept (kept: ${Object.keys(this.#blobs.versions).join(', ')})`);
      bytes = await this.#store!.get(ref);
      if (weights === 'f16') bytes = encodeModel(decodeModel(bytes), 'f16');
    }
    return new Response(bytes as Uint8Array<ArrayBuffer>, {
      headers: {
        'content-type': 'application/octet-stream',
        'x-manytask-federation': s.id,
        'x-manytask-layout': s.layoutId,
        'x-manytask-version': String(version),
        'x-manytask-round': String(s.round),
      },
    }) as FetchResponse;
  }

  /** Checks, stores and counts one update; closes the round when it is full. */
  async #receive(bytes: Uint8Array, client: string): Promise<Record<string, unknown>> {
    const federation = this.#running(null);
    const s = federation.state;
    if (this.#closing) throw new FederatedError('stale-round', `round ${s.round} is closing; pull the next version and train again`);
    if (this.#pending.has(client)) throw new FederatedError('duplicate', `client "${client}" is already sending an update for round ${s.round}; this one is ignored`);
    const checked = federation.check(bytes, client);
    const round = s.round, version = s.version;
    const key = `update/${round}/${client}`;
    this.#pending.add(client);
    try {
      const ref = await this.#store!.put(this.#blobKey(s, `r${round}/${encodeURIComponent(client)}.mtfl`), bytes, (r) => ({ [key]: { client, ref: r } satisfies UpdateRecord }));
      // Storing in R2 lets other events in: the round may have moved on meanwhile.
      if (s.round !== round || this.#closing) {
        await this.#ctx.storage.delete([key]);
        await this.#store!.delete([ref]);
        throw new FederatedError('stale-round', `round ${round} closed while the update was being stored; pull the next version and train again`);
      }
      federation.add(checked);
    } finally {
      this.#pending.delete(client);
    }
    const accepted = federation.accepted;
    const closed = federation.full ? await this.#close('target') : null;
    return { ok: true, round, version, accepted, clipFactor: checked.clipFactor, closed };
  }

  async #close(why: 'target' | 'deadline'): Promise<RoundRecord> {
    const federation = this.#federation!;
    const s = federation.state;
    const closedRound = s.round;
    this.#closing = true;
    try {
      const record = await federation.close(why, Date.now());
      if (record.outcome === 'closed') {
        const store = this.#store!;
        const model = await store.put(this.#blobKey(s, `model-v${s.version}.mtsk`), federation.modelFile(), () => ({}));
        const optimizer = federation.optimizerState.some((p) => p.length > 0)
          ? await store.put(this.#blobKey(s, `optimizer-v${s.version}`), concatF64(federation.optimizerState), () => ({}))
          : null;
        const versions = { ...this.#blobs.versions, [String(s.version)]: model };
        const dropped = Object.keys(versions).map(Number).sort((a, b) => a - b).slice(0, -s.options.keepVersions);
        const old = dropped.map((v) => versions[String(v)]!);
        for (const v of dropped) delete versions[String(v)];
        const previous = this.#blobs.optimizer;
        this.#blobs = { versions, optimizer };
        await this.#ctx.storage.put({ state: s, blobs: this.#blobs });
        await store.delete([...old, ...(previous ? [previous] : [])]);
      } else {
        await this.#ctx.storage.put({ state: s });
      }
      this.#files = new Map();
      await this.#dropRound(closedRound);
      await this.#schedule();
      this.#broadcast(record);
      return record;
    } catch (err) {
      await this.#ctx.blockConcurrencyWhile(() => this.#load());
      throw err;
    } finally {
      this.#closing = false;
    }
  }

  async #abandon(): Promise<void> {
    const federation = this.#federation!;
    const closedRound = federation.state.round;
    this.#closing = true;
    try {
      const record = federation.abandon('quorum-missed', Date.now());
      await this.#ctx.storage.put({ state: federation.state });
      await this.#dropRound(closedRound);
      await this.#schedule();
      this.#broadcast(record);
    } catch (err) {
      await this.#ctx.blockConcurrencyWhile(() => this.#load());
      throw err;
    } finally {
      this.#closing = false;
    }
  }

  /** Deletes a closed or abandoned round's update records and blobs. */
  async #dropRound(round: number): Promise<void> {
    const storage = this.#ctx.storage;
    const records = await storage.list({ prefix: `update/${round}/` });
    const keys = [...records.keys()];
    for (let i = 0; i < keys.length; i += 128) await storage.delete(keys.slice(i, i + 128));
    await this.#store!.delete([...records.values()].map((r) => (r as UpdateRecord).ref));
  }

  async #schedule(): Promise<void> {
    const s = this.#federation!.state;
    if (s.finished) await this.#ctx.storage.deleteAlarm();
    else await this.#ctx.storage.setAlarm(s.deadline);
  }

  #broadcast(record: RoundRecord): void {
    const s = this.#federation!.state;
    const message = JSON.stringify({ type: 'version', round: s.round, version: s.version, finished: s.finished, record });
    for (const socket of this.#ctx.getWebSockets()) {
      try { socket.send(message); } catch { /* a socket closing as we send */ }
    }
  }

  #connect(request: FetchRequest, claims: TokenClaims): FetchResponse {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') throw new FederatedError('not-found', 'connect is a WebSocket upgrade (Upgrade: websocket)');
    const Pair = (globalThis as unknown as { WebSocketPair?: new () => Record<0 | 1, HibernatingSocket> }).WebSocketPair;
    if (Pair === undefined) throw new FederatedError('config', 'this runtime has no WebSocketPair (the coordinator runs in Cloudflare Workers)');
    const pair = new Pair();
    const client = pair[0], server = pair[1];
    this.#ctx.acceptWebSocket(server, [claims.sub]);
    server.serializeAttachment({ sub: claims.sub, role: claims.role } satisfies Attachment);
    server.send(JSON.stringify({ type: 'status', ...this.#status(null) }));
    const headers: Record<string, string> = {};
    if (request.headers.get('sec-websocket-protocol')?.split(',').some((p) => p.trim() === WS_PROTOCOL)) headers['sec-websocket-protocol'] = WS_PROTOCOL;
    return new Response(null, { status: 101, webSocket: client, headers } as ResponseInit) as FetchResponse;
  }
}

export interface RouteOptions {
  /** The path before the federation's name. Default '/federations/'. */
  prefix?: string;
  /** Answer browsers of these origins ('*': any), with the CORS preflight. Default: none. */
  cors?: string | readonly string[];
}

/**
 * Forwards `<prefix><name>/<action>` to the coordinator object of federation
 * `name`; null for any other path (the Worker answers those itself).
 */
export async function routeFederation(request: FetchRequest, namespace: NamespaceLike, options: RouteOptions = {}): Promise<FetchResponse | null> {
  const prefix = options.prefix ?? '/federations/';
  const url = new URL(request.url);
  if (!url.pathname.startsWith(prefix)) return null;
  const origin = request.headers.get('origin');
  const allowed = options.cors === undefined ? null : options.cors === '*' ? origin ?? '*' : (typeof options.cors === 'string' ? [options.cors] : options.cors).includes(origin ?? '') ? origin : null;
  const cors: Record<string, string> = allowed === null ? {} : {
    'access-control-allow-origin': allowed,
    'access-control-allow-headers': 'authorization, content-type',
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-expose-headers': 'x-manytask-federation, x-manytask-layout, x-manytask-version, x-manytask-round',
    vary: 'origin',
  };
  if (request.method === 'OPTIONS') return new Response(null, { status: allowed === null ? 403 : 204, headers: cors }) as FetchResponse;
  const rest = url.pathname.slice(prefix.length).split('/');
  if (rest.length !== 2 || !isFederationName(rest[0])) {
    await drainUnread(request);
    return errorResponse(new FederatedError('not-found', `${url.pathname}: expected ${prefix}<federation>/<action>, a federation name being 1–64 letters, digits, _ or -`), cors);
  }
  const stub = namespace.get(namespace.idFromName(rest[0]!) as never);
  const response = await stub.fetch(request);
  if (allowed === null || response.status === 101) return response;
  const headers = new Headers(response.headers);
  for (const [k, v] of Object.entries(cors)) headers.set(k, v);
  return new Response(response.body, { status: response.status, headers }) as FetchResponse;
}

/**
 * What is read (and dropped) past a body's limit before the refusal is sent:
 * closing a connection with unread request bytes resets it, and the client then
 * sees a broken connection instead of the 413. Beyond this, it may.
 */
const DRAIN_BYTES = 1024 * 1024;

/** Reads a request body of at most `max` bytes (413 before keeping any when Content-Length says more). */
async function readBody(request: FetchRequest, max: number, what: string): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  const body = request.body;
  if (declared !== null && Number(declared) > max) {
    if (body !== null && Number(declared) <= max + DRAIN_BYTES) await discard(body.getReader(), max + DRAIN_BYTES);
    throw new FederatedError('too-large', `the ${what} is ${declared} bytes; this federation takes at most ${max}`);
  }
  if (body === null) throw new FederatedError('malformed', `the ${what} has no body`);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await discard(reader, DRAIN_BYTES);
      throw new FederatedError('too-large', `the ${what} is more than ${max} bytes; this federation takes at most ${max}`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

/**
 * A refusal made before the body was read (a bad token, an unknown action, a
 * federation not started…): the body is read and dropped first, up to
 * DRAIN_BYTES, for the same reason as above.
 */
async function drainUnread(request: FetchRequest): Promise<void> {
  const body = request.body;
  if (body === null || request.bodyUsed || body.locked) return;
  if (Number(request.headers.get('content-length') ?? 0) > DRAIN_BYTES) return;
  await discard(body.getReader(), DRAIN_BYTES);
}

/** Reads and drops up to `budget` more bytes, then stops reading. */
async function discard(reader: ReadableStreamDefaultReader<Uint8Array>, budget: number): Promise<void> {
  try {
    for (let left = budget; left > 0;) {
      const { done, value } = await reader.read();
      if (done) return;
      left -= value.length;
    }
    await reader.cancel();
  } catch {
    // The client went away: nothing to answer.
  }
}

function errorBody(err: unknown): { code: string; reason: FederatedReason; message: string } {
  if (err instanceof FederatedError) return { code: err.code, reason: err.reason, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'E_FEDERATED', reason: 'internal', message: `the coordinator failed: ${message}` };
}

function errorResponse(err: unknown, headers: Record<string, string> = {}): FetchResponse {
  const body = errorBody(err);
  const status = err instanceof FederatedError ? err.status : 500;
  return new Response(JSON.stringify({ error: body }), { status, headers: { 'content-type': 'application/json', ...headers } }) as FetchResponse;
}

function json(body: unknown): FetchResponse {
  return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } }) as FetchResponse;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function concatF64(parts: readonly Float64Array[]): Uint8Array {
  const all = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  return new Uint8Array(all.buffer);
}
