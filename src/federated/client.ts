// The federated client: the library in a browser, Node, Deno or Bun, training a
// MultiTaskModel on local rows that never leave the device and exchanging only
// parameter updates with the coordinator (coordinator.ts) over HTTP.
//
//   pull        the global model's current version: its shared part (and, when the
//               federation averages task parts, every task's part) written into
//               the local model; the task parts a client keeps local stay its own.
//   trainRound  fit on the local rows from the pulled weights (with FedProx's
//               proximal term when asked), then push the update: local − pulled
//               weights of the shared part, and of each task part the client has
//               labels for when the federation averages task parts; each part
//               weighted by the rows it was trained on (its labeled rows, for a
//               task's part).
//   run         rounds of wait → pull → trainRound, until the federation finishes
//               or `rounds` updates were accepted.
//
// Updates travel as f32, f16 or int8 deltas (codec.ts). With f16 and int8 the
// rounding error of an update is carried into the next one (error feedback,
// Karimireddy et al. 2019), so it is delayed rather than lost.

import { FederatedError, isFederatedReason } from './errors.js';
import { decodeValues, encodedLength, encodeFrame, encodeValues, type DeltaEncoding } from './codec.js';
import { FederatedLayout, type LayoutPart } from './layout.js';
import { meaningDifference } from './meaning.js';
import { WS_PROTOCOL } from './auth.js';
import type { FetchResponse } from './platform.js';
import type { FederationOptions, RoundRecord, TaskParts } from './federation.js';
import type { PrivacyRecord } from './privacy.js';
import type { ServerOptimizerConfig } from './server-optimizer.js';
import { decodeModel } from '../io/format.js';
import { MultiTaskModel, loadModel, type LabelColumns } from '../model/multitask-model.js';
import { Dataset } from '../data/index.js';
import type { FitOptions, History } from '../mtl/fit.js';
import { UNSUPERVISED } from '../mtl/tasks.js';
import { KINDS } from '../mtl/kinds.js';
import { readRows, type FeatureRows } from '../tensor/rows.js';
import { checkKeys, checkOptionsObject, checkChoice, show } from '../runtime/validate.js';
import { ArgumentError } from '../runtime/errors.js';

/** What GET status answers. */
export interface FederationStatus {
  federation: string;
  started: boolean;
  id?: string;
  finished?: boolean;
  round?: number;
  version?: number;
  layout?: string;
  taskParts?: TaskParts;
  minClients?: number;
  clientsPerRound?: number;
  rounds?: number | null;
  accepted?: number;
  deadline?: number;
  roundTimeoutMs?: number;
  serverOptimizer?: ServerOptimizerConfig;
  fractionBits?: number;
  privacy?: PrivacyRecord | null;
  maxUpdateBytes?: number;
  history?: RoundRecord[];
}

/** Any fetch: the global one, or one that reaches the coordinator another way (a test's). */
export type FetchFunction = (url: string, init?: { method?: string; headers?: Record<string, string>; body?: Uint8Array }) => Promise<FetchResponse>;

export interface FederatedClientOptions {
  /** The federation's URL: `https://<worker>/federations/<name>` (a trailing / is fine). */
  url: string;
  /** A token for this client, from the deployment's operator (createToken). */
  token: string;
  /** How updates travel. Default 'f32'. */
  encoding?: DeltaEncoding;
  /** The global weights' download: 'f32' (default, exact) or 'f16' (half the bytes). */
  download?: 'f32' | 'f16';
  /** Carry f16/int8 rounding into the next update. Default true. */
  errorFeedback?: boolean;
  /** Default: globalThis.fetch. */
  fetch?: FetchFunction;
}

/** Local rows: a Dataset, or arrays with their labels. */
export type ClientData = Dataset | { x: FeatureRows; labels: LabelColumns };

export interface RoundOptions {
  /** fit's options for the local training (epochs, batchSize, learningRate, …). Default { epochs: 1, unlabeledTasks: 'skip' }. */
  fit?: FitOptions;
  /** FedProx's μ: the local objective adds μ/2·‖w − w_global‖² over the parameters the federation exchanges. Default 0. */
  proximal?: number;
}

export interface RoundResult {
  round: number;
  /** The version the update was computed from. */
  version: number;
  /** Rows of the shared part's update, and per task the labeled rows of each task part sent. */
  examples: number;
  tasks: Record<string, number>;
  /** Bytes of the update sent. */
  bytes: number;
  history: History;
  /** The round's record when this update closed it. */
  closed: RoundRecord | null;
}

export interface RunOptions extends RoundOptions {
  /** Updates to have accepted. Default: until the federation finishes. */
  rounds?: number;
  /** Give up waiting for a round after this many ms. Default 10 minutes. */
  timeoutMs?: number;
  /** Longest pause between two status polls, ms. Default 2000. */
  pollMs?: number;
  /** Called after each accepted update. */
  onRound?: (result: RoundResult) => void;
}

const CLIENT_KEYS = ['url', 'token', 'encoding', 'download', 'errorFeedback', 'fetch'] as const;

export class FederatedClient {
  readonly url: string;
  readonly encoding: DeltaEncoding;
  readonly download: 'f32' | 'f16';
  readonly errorFeedback: boolean;
  readonly #token: string;
  readonly #fetch: FetchFunction;
  #model: MultiTaskModel | null = null;
  #layout: FederatedLayout | null = null;
  /** The pulled global weights (the whole block) and what they were. */
  #base: Float32Array | null = null;
  #pulled: { federation: string; layout: string; version: number; round: number; taskParts: TaskParts } | null = null;
  /** Per part index: what f16/int8 rounding left out of the last accepted update. */
  #residual = new Map<number, Float32Array>();

  constructor(options: FederatedClientOptions) {
    const o = checkOptionsObject('FederatedClient', options);
    checkKeys('FederatedClient', o, CLIENT_KEYS);
    if (typeof o.url !== 'string' || !/^https?:\/\//.test(o.url)) throw new ArgumentError(`FederatedClient: url must be the federation's http(s) URL, got ${show(o.url)}`);
    if (typeof o.token !== 'string' || o.token === '') throw new ArgumentError('FederatedClient: token must be the token the operator issued (createToken)');
    this.url = o.url.endsWith('/') ? o.url : `${o.url}/`;
    this.#token = o.token;
    this.encoding = o.encoding === undefined ? 'f32' : checkChoice('FederatedClient', 'encoding', o.encoding, ['f32', 'f16', 'int8'] as const);
    this.download = o.download === undefined ? 'f32' : checkChoice('FederatedClient', 'download', o.download, ['f32', 'f16'] as const);
    this.errorFeedback = o.errorFeedback === undefined ? true : o.errorFeedback === true;
    const f = (o.fetch ?? globalThis.fetch) as unknown;
    if (typeof f !== 'function') throw new ArgumentError('FederatedClient: this runtime has no fetch; pass options.fetch');
    this.#fetch = o.fetch === undefined ? (url, init) => (globalThis.fetch as unknown as FetchFunction)(url, init) : (f as FetchFunction);
  }

  /** The local model (after join). */
  get model(): MultiTaskModel {
    if (this.#model === null) throw new ArgumentError('FederatedClient: join() first');
    return this.#model;
  }

  /** The version and round of the last pull, or null. */
  get pulled(): { readonly version: number; readonly round: number } | null {
    return this.#pulled === null ? null : { version: this.#pulled.version, round: this.#pulled.round };
  }

  /** The federation's status. */
  async status(): Promise<FederationStatus> {
    const res = await this.#request('status');
    return (await readJson(res)) as FederationStatus;
  }

  /**
   * Joins the federation: without a model, builds the local model from the global
   * model file (`init()` of 'manytask' must have run); with one, checks that it is
   * the federation's — the same parameter layout (tasks, tensors, owners and
   * offsets) and the same meaning of its weights (meaning.ts: the input encoding,
   * each task's kind, class names and target standardization, exactly) — and
   * throws FederatedError 'wrong-model' naming the first difference, leaving the
   * client as it was. Then pulls the latest version into it: a late joiner starts
   * from the newest weights.
   */
  async join(model?: MultiTaskModel): Promise<MultiTaskModel> {
    const { bytes, meta } = await this.#download();
    const file = decodeModel(bytes);
    if (model !== undefined && !(model instanceof MultiTaskModel)) {
      throw new ArgumentError(`FederatedClient.join: model must be a MultiTaskModel, got ${show(model)}`);
    }
    const given = model !== undefined;
    model ??= loadModel(bytes);
    const layout = layoutOf(model);
    try {
      checkLayout(meta.layout, layout);
    } catch (err) {
      if (!given) model.dispose();
      throw err;
    }
    // A model built from the file holds its preprocessing by construction; one brought along may have fitted its own.
    const difference = given ? meaningDifference(file.header, model) : null;
    if (difference !== null) {
      throw new FederatedError('wrong-model', `FederatedClient.join: the local model is not the federation's: ${difference}; the same weights would mean something else in it. Join without a model (the federation's model file becomes the local model) or with one loaded from that file`);
    }
    this.#model = model;
    this.#layout = layout;
    this.#residual.clear();
    this.#apply(file, meta, true);
    return model;
  }

  /** Pulls the federation's latest version into the local model (see the top of this file). */
  async pull(): Promise<{ version: number; round: number }> {
    this.model; // joined
    const { bytes, meta } = await this.#download();
    this.#apply(decodeModel(bytes), meta, false);
    return { version: meta.version, round: meta.round };
  }

  /**
   * Trains on the local rows from the pulled weights and pushes the update for the
   * pulled round. Throws FederatedError when the coordinator refuses it
   * ('stale-round', 'wrong-version': pull and train again).
   */
  async trainRound(data: ClientData, options: RoundOptions = {}): Promise<RoundResult> {
    const model = this.model;
    const pulled = this.#pulled!;
    const o = checkOptionsObject('trainRound', options);
    checkKeys('trainRound', o, ['fit', 'proximal']);
    const fit = checkOptionsObject('trainRound fit', o.fit) as FitOptions;
    if (fit.proximal !== undefined) throw new ArgumentError('trainRound: give FedProx\'s μ as options.proximal (the client chooses the parameters it covers)');
    const mu = o.proximal === undefined ? 0 : o.proximal;
    if (typeof mu !== 'number' || !(mu >= 0) || !Number.isFinite(mu)) throw new ArgumentError(`trainRound: proximal must be a number ≥ 0, got ${show(mu)}`);
    const counts = trainingCounts(model, data, fit);
    // Without the federation's statistics of a standardized task, fit would take this client's own
    // mean and std: its update would be in its own units, averaged in with everyone else's.
    const stats = model.inputAndTargets().targetStats;
    for (const s of model.tasks) {
      if (KINDS[s.kind].standardized && (counts.tasks.get(s.name) ?? 0) > 0 && !Object.hasOwn(stats, s.name)) {
        throw new FederatedError('wrong-model', `trainRound: task ${JSON.stringify(s.name)} has no target statistics in the federation's model ` +
          '(it was built from arrays and never fitted with labels of the task), so each client would standardize its labels by its own mean and std ' +
          'and send updates in its own units; start the federation from a model fitted on representative rows (fit with epochs: 0 fits the statistics alone)');
      }
    }
    // A fresh local optimizer each round: its moments belong to the weights it stepped, which the pull replaced.
    model.core.resetOptimizer();
    // A client may hold no label of some task: it trains the others (and sends no part of that task).
    const fitOptions: FitOptions = { epochs: 1, unlabeledTasks: 'skip', ...fit, ...(mu > 0 ? { proximal: { mu, parameters: pulled.taskParts === 'average' ? 'all' : 'shared' } } : {}) };
    const history = data instanceof Dataset ? await model.fit(data, fitOptions) : await model.fit(data.x, data.labels, fitOptions);
    return this.#push(counts, history);
  }

  /**
   * Rounds until `rounds` updates were accepted or the federation finishes: wait
   * for a round this client has not trained, pull, train, push. A refusal because
   * the round moved on meanwhile is not an error: the next round is tried.
   */
  async run(data: ClientData, options: RunOptions = {}): Promise<RoundResult[]> {
    const o = checkOptionsObject('run', options);
    checkKeys('run', o, ['fit', 'proximal', 'rounds', 'timeoutMs', 'pollMs', 'onRound']);
    const rounds = o.rounds === undefined ? Infinity : (o.rounds as number);
    const results: RoundResult[] = [];
    let done = 0; // the last round this client trained (or tried)
    while (results.length < rounds) {
      const status = await this.waitForRound(done, { timeoutMs: o.timeoutMs as number | undefined, pollMs: o.pollMs as number | undefined });
      if (status.finished) break;
      await this.pull();
      done = this.#pulled!.round;
      try {
        const result = await this.trainRound(data, { ...(o.fit !== undefined ? { fit: o.fit as FitOptions } : {}), ...(o.proximal !== undefined ? { proximal: o.proximal as number } : {}) });
        results.push(result);
        (o.onRound as RunOptions['onRound'])?.(result);
      } catch (err) {
        if (err instanceof FederatedError && (err.reason === 'stale-round' || err.reason === 'wrong-version' || err.reason === 'duplicate')) continue;
        if (err instanceof FederatedError && err.reason === 'finished') break;
        throw err;
      }
    }
    return results;
  }

  /**
   * Waits until the open round is later than `round` (or the federation has
   * finished), polling the status with a growing pause, or over a WebSocket
   * where the runtime has one and `via: 'websocket'`.
   */
  async waitForRound(round: number, options: { timeoutMs?: number | undefined; pollMs?: number | undefined; via?: 'poll' | 'websocket' } = {}): Promise<FederationStatus> {
    const timeout = options.timeoutMs ?? 600_000, longest = options.pollMs ?? 2000;
    const until = Date.now() + timeout;
    if (options.via === 'websocket') return this.#waitOnSocket(round, until);
    let pause = 20;
    for (;;) {
      const status = await this.status();
      if (status.started && (status.finished === true || (status.round ?? 0) > round)) return status;
      if (Date.now() + pause > until) throw new FederatedError('transport', `no round after ${round} within ${timeout} ms (the federation is at round ${status.round ?? '— (not started)'})`);
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(longest, pause * 1.5);
    }
  }

  async #waitOnSocket(round: number, until: number): Promise<FederationStatus> {
    const WS = (globalThis as unknown as { WebSocket?: new (url: string, protocols: string[]) => SocketLike }).WebSocket;
    if (WS === undefined) throw new ArgumentError('waitForRound: this runtime has no WebSocket; wait with via: \'poll\'');
    const socket = new WS(`${this.url.replace(/^http/, 'ws')}connect`, [WS_PROTOCOL, this.#token]);
    try {
      return await new Promise<FederationStatus>((resolve, reject) => {
        const timer = setTimeout(() => reject(new FederatedError('transport', `no round after ${round} before the timeout`)), Math.max(0, until - Date.now()));
        socket.addEventListener('message', (event) => {
          let message: { type?: string; round?: number; finished?: boolean; started?: boolean; error?: { reason?: string; message?: string } };
          try { message = JSON.parse(String(event.data)) as typeof message; } catch { return; }
          if (message.type === 'refused') { clearTimeout(timer); reject(refusal(message.error)); return; }
          if ((message.type === 'status' || message.type === 'version') && message.started !== false && (message.finished === true || (message.round ?? 0) > round)) {
            clearTimeout(timer);
            resolve(message.type === 'status' ? (message as FederationStatus) : this.status());
          }
        });
        socket.addEventListener('error', () => { clearTimeout(timer); reject(new FederatedError('transport', 'the WebSocket to the coordinator failed')); });
        socket.addEventListener('close', (event) => { clearTimeout(timer); reject(new FederatedError('transport', `the coordinator closed the WebSocket (${(event as { code?: number }).code ?? '?'})`)); });
      });
    } finally {
      socket.close();
    }
  }

  async #download(): Promise<{ bytes: Uint8Array; meta: { federation: string; layout: string; version: number; round: number } }> {
    const res = await this.#request(`model${this.download === 'f16' ? '?weights=f16' : ''}`);
    const header = (name: string) => res.headers.get(name);
    const meta = {
      federation: header('x-manytask-federation') ?? '',
      layout: header('x-manytask-layout') ?? '',
      version: Number(header('x-manytask-version')),
      round: Number(header('x-manytask-round')),
    };
    if (meta.federation === '' || !Number.isSafeInteger(meta.version) || !Number.isSafeInteger(meta.round)) throw new FederatedError('transport', `${this.url}model answered without the federation's headers`);
    return { bytes: new Uint8Array(await res.arrayBuffer()), meta };
  }

  /** Writes a downloaded model file's exchanged parts (all of it at join) into the local model. */
  #apply(file: { header: Record<string, unknown>; weights: Float32Array }, meta: { federation: string; layout: string; version: number; round: number }, all: boolean): void {
    const layout = this.#layout!;
    checkLayout(meta.layout, layout);
    const { header, weights } = file;
    const table = header.parameters as { name: string; offset: number }[];
    if (weights.length !== layout.blockSize || !layout.tensors.every((t, i) => table[i]?.name === t.name && table[i]?.offset === t.offset)) {
      throw new FederatedError('wrong-model', 'the downloaded model\'s parameter table is not the local model\'s');
    }
    const metadata = header.metadata as { federated?: { taskParts?: unknown } } | undefined;
    const taskParts = metadata?.federated?.taskParts;
    if (taskParts !== 'local' && taskParts !== 'average') throw new FederatedError('transport', 'the downloaded model does not say how its federation treats task parts (metadata.federated.taskParts)');
    const params = this.model.parameters;
    const parts = all || taskParts === 'average' ? layout.parts : [layout.shared];
    for (const part of parts) for (const t of part.tensors) params.set(t.name, weights.subarray(t.offset, t.offset + t.rows * t.cols));
    // The base of the next update: the global weights for every exchanged part.
    this.#base = weights;
    this.#pulled = { federation: meta.federation, layout: meta.layout, version: meta.version, round: meta.round, taskParts };
  }

  async #push(counts: { examples: number; tasks: Map<string, number> }, history: History): Promise<RoundResult> {
    const layout = this.#layout!, pulled = this.#pulled!, base = this.#base!;
    const local = blockOf(this.model, layout);
    const parts: { index: number; part: LayoutPart; examples: number }[] = [{ index: 0, part: layout.shared, examples: counts.examples }];
    if (pulled.taskParts === 'average') {
      layout.tasks.forEach((part, t) => {
        const n = counts.tasks.get(part.task!) ?? 0;
        if (n > 0 && part.length > 0) parts.push({ index: t + 1, part, examples: n });
      });
    }
    const payload = new Uint8Array(parts.reduce((n, p) => n + encodedLength(p.part.length, this.encoding), 0));
    const residuals = new Map<number, Float32Array>();
    let at = 0;
    for (const p of parts) {
      const delta = layout.gather(p.part, local);
      const from = layout.gather(p.part, base);
      for (let i = 0; i < delta.length; i++) delta[i] = delta[i]! - from[i]!;
      const carried = this.#residual.get(p.index);
      if (carried && this.encoding !== 'f32') for (let i = 0; i < delta.length; i++) delta[i] = delta[i]! + carried[i]!;
      const start = at;
      at = encodeValues(delta, this.encoding, payload, at, `the update of ${p.part.task === null ? 'the shared part' : `task "${p.part.task}"`}`);
      if (this.errorFeedback && this.encoding !== 'f32') {
        // What the coordinator will read back; the difference waits for the next update.
        const decoded = new Float32Array(delta.length);
        decodeValues(payload, start, this.encoding, decoded, 'the update');
        for (let i = 0; i < delta.length; i++) decoded[i] = delta[i]! - decoded[i]!;
        residuals.set(p.index, decoded);
      }
    }
    const header = {
      federation: pulled.federation, layout: pulled.layout, round: pulled.round, version: pulled.version, encoding: this.encoding,
      parts: parts.map((p) => ({ task: p.part.task, examples: p.examples, length: p.part.length })),
    };
    const frame = encodeFrame('update', header, payload);
    const res = await this.#request('update', { method: 'POST', body: frame, headers: { 'content-type': 'application/octet-stream' } });
    const answer = (await readJson(res)) as { closed?: RoundRecord | null };
    for (const [index, r] of residuals) this.#residual.set(index, r);
    const tasks: Record<string, number> = {};
    for (const p of parts.slice(1)) tasks[p.part.task!] = p.examples;
    return { round: pulled.round, version: pulled.version, examples: counts.examples, tasks, bytes: frame.length, history, closed: answer.closed ?? null };
  }

  /** @internal One request to the federation with the token; a refusal is thrown as FederatedError. */
  request(action: string, init: { method?: string; body?: Uint8Array; headers?: Record<string, string> } = {}): Promise<FetchResponse> {
    return this.#request(action, init);
  }

  async #request(action: string, init: { method?: string; body?: Uint8Array; headers?: Record<string, string> } = {}): Promise<FetchResponse> {
    let res: FetchResponse;
    try {
      res = await this.#fetch(`${this.url}${action}`, { ...init, headers: { ...init.headers, authorization: `Bearer ${this.#token}` } });
    } catch (err) {
      throw new FederatedError('transport', `could not reach ${this.url}${action}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    if (res.ok) return res;
    let body: unknown = null;
    try { body = await res.json(); } catch { /* not JSON */ }
    throw refusal((body as { error?: { reason?: string; message?: string } } | null)?.error, res.status);
  }
}

interface SocketLike {
  addEventListener(type: string, listener: (event: { data?: unknown; code?: number }) => void): void;
  close(): void;
}

function refusal(error: { reason?: string; message?: string } | undefined, status?: number): FederatedError {
  if (error && isFederatedReason(error.reason) && typeof error.message === 'string') return new FederatedError(error.reason, error.message);
  return new FederatedError('transport', `the coordinator answered ${status === undefined ? 'something' : `HTTP ${status}`} that is not the protocol`);
}

async function readJson(res: FetchResponse): Promise<unknown> {
  try {
    return await res.json();
  } catch (err) {
    throw new FederatedError('transport', `the coordinator's answer is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function checkLayout(federation: string, layout: FederatedLayout): void {
  if (federation !== layout.id) {
    throw new FederatedError('wrong-model', `the federation's model has parameter layout ${federation}; the local model's is ${layout.id} (other tasks, architecture or sizes): join with the federation's model`);
  }
}

/** A model's layout: its parameters by their declared owners (layout.ts). */
export function layoutOf(model: MultiTaskModel): FederatedLayout {
  const params = model.parameters;
  return new FederatedLayout(
    params.list().map((p) => ({ name: p.name, rows: p.shape[0], cols: p.shape[1], owner: p.owner, offset: p.offset })),
    model.taskNames, params.size,
  );
}

/** The model's whole parameter block, as a model file lays it out. */
function blockOf(model: MultiTaskModel, layout: FederatedLayout): Float32Array {
  const block = new Float32Array(layout.blockSize);
  for (const t of layout.tensors) block.set(model.parameters.get(t.name), t.offset);
  return block;
}

/**
 * The rows fit trains on, as fit chooses them (labeledOnly drops rows without a
 * label of a supervised task first; validationSplit holds out the last rows of
 * what is left), and per task how many of them carry its label.
 */
function trainingCounts(model: MultiTaskModel, data: ClientData, fit: FitOptions): { examples: number; tasks: Map<string, number> } {
  const labeled = new Map<string, Uint8Array>();
  let rows: number;
  if (data instanceof Dataset) {
    rows = data.rows;
    for (const s of model.tasks) {
      if (UNSUPERVISED.includes(s.kind)) { labeled.set(s.name, new Uint8Array(rows).fill(1)); continue; }
      if (!data.targetNames.includes(s.name)) continue;
      const { values, width } = data.target(s.name);
      labeled.set(s.name, presence(values, width, rows));
    }
  } else {
    if (typeof data !== 'object' || data === null) throw new ArgumentError(`trainRound: data must be a Dataset or { x, labels }, got ${show(data)}`);
    rows = readRows('trainRound', 'x', data.x, { cols: model.featureNames.length, check: false }).rows;
    for (const s of model.tasks) {
      if (UNSUPERVISED.includes(s.kind)) { labeled.set(s.name, new Uint8Array(rows).fill(1)); continue; }
      const values = data.labels === undefined ? undefined : Object.hasOwn(data.labels, s.name) ? data.labels[s.name] : undefined;
      if (values === undefined) continue;
      const width = values.length / rows;
      if (!Number.isInteger(width) || width < 1) continue; // fit names the shape error
      labeled.set(s.name, presence(values, width, rows));
    }
  }
  let kept = Array.from({ length: rows }, (_, r) => r);
  if (fit.labeledOnly === true) {
    const supervised = model.tasks.filter((s) => !UNSUPERVISED.includes(s.kind)).map((s) => labeled.get(s.name)).filter((m) => m !== undefined);
    kept = kept.filter((r) => supervised.some((m) => m[r] === 1));
  }
  if (typeof fit.validationSplit === 'number') kept = kept.slice(0, kept.length - Math.floor(kept.length * fit.validationSplit));
  const tasks = new Map<string, number>();
  for (const [name, m] of labeled) tasks.set(name, kept.reduce((n, r) => n + m[r]!, 0));
  return { examples: kept.length, tasks };
}

/** 1 for each row with at least one label (a value that is a number and not NaN). */
function presence(values: ArrayLike<number | null | undefined>, width: number, rows: number): Uint8Array {
  const out = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < width; j++) {
      const v = values[r * width + j];
      if (typeof v === 'number' && !Number.isNaN(v)) { out[r] = 1; break; }
    }
  }
  return out;
}

export interface StartOptions {
  /** The federation's URL: `https://<worker>/federations/<name>`. */
  url: string;
  /** An admin token (createToken with role: 'admin'). */
  token: string;
  /** The model the federation starts from: a MultiTaskModel or its saved bytes. */
  model: MultiTaskModel | Uint8Array;
  /** The federation's rounds, quorum, deadline, task parts, server optimizer, privacy… */
  options?: FederationOptions;
  /** Default: globalThis.fetch. */
  fetch?: FetchFunction;
}

/**
 * Starts federation `url` from a model (an admin's call): version 0 is that model,
 * round 1 opens. Answers the federation's status; FederatedError if it refuses
 * ('already-started', 'forbidden', a 'malformed' option naming what is wrong).
 */
export async function startFederation(options: StartOptions): Promise<FederationStatus> {
  const o = checkOptionsObject('startFederation', options);
  checkKeys('startFederation', o, ['url', 'token', 'model', 'options', 'fetch']);
  const bytes = o.model instanceof MultiTaskModel ? o.model.save() : o.model;
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError(`startFederation: model must be a MultiTaskModel or its saved bytes, got ${show(o.model)}`);
  const client = new FederatedClient({ url: o.url as string, token: o.token as string, ...(o.fetch !== undefined ? { fetch: o.fetch as FetchFunction } : {}) });
  const frame = encodeFrame('start', { options: o.options ?? {} }, bytes);
  return (await readJson(await client.request('start', { method: 'POST', body: frame, headers: { 'content-type': 'application/octet-stream' } }))) as FederationStatus;
}
