// One federation's rounds, without any I/O: its options, the model's layout and
// global weights, and the exact sums of the open round. The coordinator
// (coordinator.ts) keeps it in a Durable Object and persists what it accepts.
//
//   version   the global weights' number: 0 is the model the federation started
//             with; each closed round makes the next.
//   round     the open round, numbered from 1. A round closes when
//             clientsPerRound updates are in, or at its deadline with at least
//             minClients (the quorum); at the deadline with fewer, it is
//             abandoned: its updates are dropped, the weights stay, and the next
//             round starts from them. Either way the round number moves on, so an
//             update is counted in the round it names or in none.
//
// An update names the federation, the layout, the round and the version it was
// computed from; anything else about it that does not fit (its size, its parts,
// a value) refuses it whole before any of it is added.

import { readModelFile } from '../io/model-file.js';
import { encodeModel } from '../io/format.js';
import { ArgumentError } from '../runtime/errors.js';
import { checkKeys, checkName, integerOption, numberOption, type OptionRecord } from '../runtime/validate.js';
import { decodeFrame, decodeValues, DELTA_ENCODINGS, encodedLength, MAX_FRAME_HEADER, type DeltaEncoding } from './codec.js';
import { FederatedError } from './errors.js';
import { DEFAULT_FRACTION_BITS, FixedPointSum, MAX_WEIGHT } from './fixed-point.js';
import { FederatedLayout, type LayoutPart, type LayoutTensor } from './layout.js';
import { clipFactor, gaussianEpsilon, noiseKey, roundedGaussian, type PrivacyOptions, type PrivacyRecord } from './privacy.js';
import { readServerOptimizer, serverStep, stateWidth, type ServerOptimizerConfig, type ServerOptimizerSpec } from './server-optimizer.js';

/** What happens to the task-specific parts (each task's tower, gate, head…). */
export type TaskParts = 'local' | 'average';

export interface FederationOptions {
  /** The quorum: a round closes at its deadline only with at least this many updates. Default 2. */
  minClients?: number;
  /** A round closes as soon as this many updates are in. Default: minClients. */
  clientsPerRound?: number;
  /** A round's deadline, from when it opens. Default 10 minutes. */
  roundTimeoutMs?: number;
  /** Rounds to run (closed ones; abandoned rounds do not count); absent: no end. */
  rounds?: number;
  /**
   * 'local' (default): clients keep their task-specific parameters (personalised
   * multi-task learning) and send the shared part only. 'average': each task's
   * parameters are also averaged, among the clients that hold that task's labels.
   */
  taskParts?: TaskParts;
  /** Default { type: 'fedavg', learningRate: 1 }. */
  serverOptimizer?: ServerOptimizerSpec;
  /** Fraction bits of the exact sums (8–30). Default 24: values within ±128, to 6e−8. */
  fractionBits?: number;
  /** DP-FedAvg: clip each update to clipNorm, add Gaussian noise of σ·clipNorm to the sum (privacy.ts). */
  privacy?: PrivacyOptions;
  /** Global versions kept for download. Default 3. */
  keepVersions?: number;
  /** Blobs larger than this many bytes go to R2 when the deployment has a bucket. Default 1 MiB. */
  r2Above?: number;
}

export interface ResolvedOptions {
  minClients: number;
  clientsPerRound: number;
  roundTimeoutMs: number;
  rounds: number | null;
  taskParts: TaskParts;
  serverOptimizer: ServerOptimizerConfig;
  fractionBits: number;
  privacy: (Required<Omit<PrivacyOptions, 'seed'>> & { seed?: number }) | null;
  keepVersions: number;
  r2Above: number;
}

const OPTION_KEYS = ['minClients', 'clientsPerRound', 'roundTimeoutMs', 'rounds', 'taskParts', 'serverOptimizer', 'fractionBits', 'privacy', 'keepVersions', 'r2Above'] as const;

/** Checks a federation's options and fills in the defaults. Throws ArgumentError naming the option. */
export function resolveOptions(options: unknown): ResolvedOptions {
  const where = 'federation options';
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) throw new ArgumentError(`${where} must be an object`);
  const o = (options ?? {}) as OptionRecord;
  checkKeys(where, o, OPTION_KEYS);
  const minClients = integerOption(where, o, 'minClients', 2, 1, 100_000);
  const clientsPerRound = integerOption(where, o, 'clientsPerRound', minClients, minClients, 100_000);
  const roundTimeoutMs = numberOption(where, o, 'roundTimeoutMs', 600_000, (v) => v >= 10 && v <= 30 * 86_400_000, 'a number of milliseconds from 10 to 30 days');
  const rounds = o.rounds === undefined ? null : integerOption(where, o, 'rounds', 1, 1);
  const taskParts = o.taskParts === undefined ? 'local' : checkName(where, 'taskParts', o.taskParts, ['local', 'average'] as const);
  const serverOptimizer = readServerOptimizer(where, o.serverOptimizer);
  const fractionBits = integerOption(where, o, 'fractionBits', DEFAULT_FRACTION_BITS, 8, 30);
  let privacy: ResolvedOptions['privacy'] = null;
  if (o.privacy !== undefined) {
    const p = o.privacy as OptionRecord;
    if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new ArgumentError(`${where}: privacy must be an object { clipNorm, noiseMultiplier, delta? }`);
    const w = `${where} (privacy)`;
    checkKeys(w, p, ['clipNorm', 'noiseMultiplier', 'delta', 'seed']);
    if (p.clipNorm === undefined || p.noiseMultiplier === undefined) throw new ArgumentError(`${w}: clipNorm and noiseMultiplier are required`);
    const clipNorm = numberOption(w, p, 'clipNorm', 1, (v) => v > 0 && v < 2 ** (31 - fractionBits), `a number > 0 and below ${2 ** (31 - fractionBits)} (the fixed-point range)`);
    privacy = {
      clipNorm,
      noiseMultiplier: numberOption(w, p, 'noiseMultiplier', 1, (v) => v > 0, 'a number > 0'),
      delta: numberOption(w, p, 'delta', 1e-5, (v) => v > 0 && v < 1, 'a number in (0, 1)'),
      ...(p.seed !== undefined ? { seed: integerOption(w, p, 'seed', 0, 0, 0xffffffff) } : {}),
    };
  }
  const keepVersions = integerOption(where, o, 'keepVersions', 3, 1, 1000);
  const r2Above = integerOption(where, o, 'r2Above', 1 << 20, 0);
  return { minClients, clientsPerRound, roundTimeoutMs, rounds, taskParts, serverOptimizer, fractionBits, privacy, keepVersions, r2Above };
}

/** The layout of a model file's parameters, by the owners its description declares. */
export function layoutOfModelFile(bytes: Uint8Array): { layout: FederatedLayout; header: Record<string, unknown>; weights: Float32Array } {
  const file = readModelFile(bytes);
  let offset = 0;
  const tensors: LayoutTensor[] = file.description.tensors.map((t) => {
    const entry = { name: t.name, rows: t.rows, cols: t.cols, owner: t.owner, offset };
    offset += Math.ceil((t.rows * t.cols) / 4) * 4;
    return entry;
  });
  return { layout: new FederatedLayout(tensors, file.description.tasks.map((t) => t.name), file.weights.length), header: file.header, weights: file.weights };
}

/** An update checked against the open round: each part's values, decoded and as fixed-point integers, and its weight. */
export interface CheckedUpdate {
  readonly client: string;
  readonly parts: readonly {
    readonly part: LayoutPart;
    /** The part's index in layout.parts. */
    readonly index: number;
    readonly values: Float32Array;
    /** Rows the client trained this part on. */
    readonly examples: number;
    /** Its weight in the sum: examples, or 1 with privacy. */
    readonly weight: number;
    readonly quantized: Float64Array;
  }[];
  readonly encoding: DeltaEncoding;
  readonly bytes: number;
  /** The factor privacy's clipping scaled it by (1: not clipped). */
  readonly clipFactor: number;
}

function partName(part: LayoutPart): string {
  return part.task === null ? 'the shared part' : `task "${part.task}"'s part`;
}

/** What a closed or abandoned round leaves in the history. */
export interface RoundRecord {
  round: number;
  /** The version it made (closed), or the version it left as it was (abandoned). */
  version: number;
  outcome: 'closed' | 'abandoned';
  /**
   * 'target' (clientsPerRound updates), 'deadline' (the quorum at the deadline);
   * abandoned: 'quorum-missed' (fewer at the deadline), 'non-finite' (the server
   * step would have made a weight NaN or infinite).
   */
  why: 'target' | 'deadline' | 'quorum-missed' | 'non-finite';
  clients: number;
  /** Rows of the shared part's updates. */
  examples: number;
  /** Per task (taskParts 'average'): clients that sent its part. */
  tasks: Record<string, number>;
  at: number;
}

/** The persisted scalars of a federation (its model, optimizer state and updates are blobs). */
export interface FederationState {
  format: 1;
  name: string;
  /** Random per start: an update of an earlier federation of the same name is refused. */
  id: string;
  options: ResolvedOptions;
  layoutId: string;
  version: number;
  round: number;
  roundOpenedAt: number;
  deadline: number;
  finished: boolean;
  /** Rounds aggregated with noise (privacy). */
  privateRounds: number;
  history: RoundRecord[];
}

const HISTORY = 100;

export class Federation {
  readonly state: FederationState;
  readonly layout: FederatedLayout;
  /** The model file's header (its metadata updated at each close). */
  header: Record<string, unknown>;
  /** The global weights, the whole parameter block. */
  readonly weights: Float32Array;
  /** Server optimizer state per part (shared, then tasks), stateWidth × length f64 each. */
  readonly optimizerState: Float64Array[];
  readonly #sums: (FixedPointSum | null)[];
  readonly #clients = new Set<string>();
  readonly #scratch: Float64Array;

  constructor(state: FederationState, model: { layout: FederatedLayout; header: Record<string, unknown>; weights: Float32Array }, optimizerState: Float64Array[] | null) {
    this.state = state;
    this.layout = model.layout;
    this.header = model.header;
    this.weights = model.weights;
    if (this.layout.id !== state.layoutId) throw new FederatedError('config', `the stored model's layout ${this.layout.id} is not the federation's ${state.layoutId}`);
    const width = stateWidth(state.options.serverOptimizer);
    const parts = this.layout.parts;
    this.optimizerState = optimizerState ?? parts.map((p) => new Float64Array(width * p.length));
    if (this.optimizerState.length !== parts.length || this.optimizerState.some((s, i) => s.length !== width * parts[i]!.length)) {
      throw new FederatedError('config', 'the stored server optimizer state does not fit the model');
    }
    const averaged = (i: number) => i === 0 || state.options.taskParts === 'average';
    this.#sums = parts.map((p, i) => (averaged(i) && p.length > 0 ? new FixedPointSum(p.length, state.options.fractionBits) : null));
    this.#scratch = new Float64Array(Math.max(0, ...parts.map((p) => p.length)));
  }

  /** Starts a federation from a model file. */
  static start(name: string, id: string, modelBytes: Uint8Array, options: unknown, now: number): Federation {
    let resolved: ResolvedOptions;
    try {
      resolved = resolveOptions(options);
    } catch (err) {
      if (err instanceof ArgumentError) throw new FederatedError('malformed', err.message);
      throw err;
    }
    const model = layoutOfModelFile(modelBytes);
    if (model.layout.shared.length === 0) throw new FederatedError('malformed', 'the model has no shared parameters: there is nothing to federate');
    const state: FederationState = {
      format: 1, name, id, options: resolved, layoutId: model.layout.id, version: 0, round: 1,
      roundOpenedAt: now, deadline: now + resolved.roundTimeoutMs, finished: false, privateRounds: 0, history: [],
    };
    const federation = new Federation(state, model, null);
    federation.#recordMetadata();
    return federation;
  }

  /** Updates accepted in the open round. */
  get accepted(): number {
    return this.#clients.size;
  }

  hasUpdateFrom(client: string): boolean {
    return this.#clients.has(client);
  }

  /** The largest update this federation takes (f32, every part it averages), in bytes. */
  get maxUpdateBytes(): number {
    const parts = this.layout.parts.filter((_, i) => this.#sums[i] !== null);
    return 12 + MAX_FRAME_HEADER + parts.reduce((n, p) => n + encodedLength(p.length, 'f32'), 0) + 4;
  }

  /**
   * Checks an update's bytes against the open round: federation, layout, round,
   * version, parts, sizes and every value. Adds nothing. Throws FederatedError.
   */
  check(bytes: Uint8Array, client: string): CheckedUpdate {
    const s = this.state;
    if (s.finished) throw new FederatedError('finished', `the federation finished after ${s.version} versions; it takes no more updates`);
    const { header: h, payload } = decodeFrame(bytes, 'update', this.maxUpdateBytes);
    const bad = (what: string): never => { throw new FederatedError('malformed', `the update's header: ${what}`); };
    if (h.federation !== s.id || h.layout !== s.layoutId) {
      throw new FederatedError('wrong-model', `the update is for ${h.federation !== s.id ? `federation ${JSON.stringify(h.federation)}` : `parameter layout ${JSON.stringify(h.layout)}`}; this is federation "${s.name}" (${s.id}), layout ${s.layoutId}: pull the current model`);
    }
    if (h.round !== s.round) {
      throw new FederatedError('stale-round', `the update is for round ${JSON.stringify(h.round)}; the open round is ${s.round} (version ${s.version}): pull the current model and train again`);
    }
    if (h.version !== s.version) {
      throw new FederatedError('wrong-version', `the update was computed from version ${JSON.stringify(h.version)}; round ${s.round} trains version ${s.version}: pull it and train again`);
    }
    if (this.#clients.has(client)) throw new FederatedError('duplicate', `client "${client}" already sent its update for round ${s.round}; this one is ignored`);
    const encoding = h.encoding as DeltaEncoding;
    if (!DELTA_ENCODINGS.includes(encoding)) bad(`encoding ${JSON.stringify(h.encoding)} is not one of ${DELTA_ENCODINGS.join(', ')}`);
    if (!Array.isArray(h.parts) || h.parts.length === 0) bad('parts must be a non-empty array');
    const parts: { part: LayoutPart; index: number; values: Float32Array; examples: number }[] = [];
    const seen = new Set<number>();
    let at = 0, sharedExamples = 0;
    (h.parts as unknown[]).forEach((raw, k) => {
      const p = raw as { task?: unknown; examples?: unknown; length?: unknown } | null;
      if (typeof p !== 'object' || p === null) bad(`part ${k} is not an object`);
      const task = p!.task;
      let index: number;
      if (task === null) index = 0;
      else if (typeof task === 'string' && this.layout.taskNames.includes(task)) index = 1 + this.layout.taskNames.indexOf(task);
      else { bad(`part ${k} names task ${JSON.stringify(task)}, which the model does not have (tasks: ${this.layout.taskNames.join(', ')})`); index = -1; }
      if (k === 0 && index !== 0) bad('the first part must be the shared one (task: null)');
      if (seen.has(index)) bad(`part ${k} repeats ${index === 0 ? 'the shared part' : `task "${task as string}"`}`);
      seen.add(index);
      if (this.#sums[index] === null) {
        throw new FederatedError('malformed', `the update carries task "${task as string}"'s parameters, but this federation keeps task parts local (taskParts: '${s.options.taskParts}')${this.layout.parts[index]!.length === 0 ? ' (and the task owns no parameter)' : ''}`);
      }
      const part = this.layout.parts[index]!;
      if (p!.length !== part.length) bad(`part ${k} (${index === 0 ? 'shared' : `task "${task as string}"`}) has ${JSON.stringify(p!.length)} values; the model's has ${part.length}`);
      const examples = p!.examples;
      if (typeof examples !== 'number' || !Number.isSafeInteger(examples) || examples < 1 || examples > MAX_WEIGHT) {
        throw new FederatedError(typeof examples === 'number' && examples > MAX_WEIGHT ? 'out-of-range' : 'malformed',
          `part ${k}: examples must be an integer from 1 to ${MAX_WEIGHT} (the rows it was trained on), got ${JSON.stringify(examples)}`);
      }
      if (index === 0) sharedExamples = examples;
      else if (examples > sharedExamples) bad(`part ${k}: task "${task as string}" has ${examples} labeled rows, more than the ${sharedExamples} rows of the update`);
      parts.push({ part, index, values: new Float32Array(part.length), examples });
      at += encodedLength(part.length, encoding);
    });
    if (at !== payload.length) bad(`its parts take ${at} bytes of ${encoding}, but the payload is ${payload.length} bytes`);
    let offset = 0;
    for (const p of parts) offset = decodeValues(payload, offset, encoding, p.values, partName(p.part));
    // With privacy the update is clipped as one vector (every part it sends) and weighs 1.
    const privacy = s.options.privacy;
    let factor = 1;
    if (privacy) {
      let sq = 0;
      for (const p of parts) for (let i = 0; i < p.values.length; i++) sq += p.values[i]! * p.values[i]!;
      factor = clipFactor(sq, privacy.clipNorm);
    }
    return {
      client, encoding, bytes: bytes.length, clipFactor: factor,
      parts: parts.map((p) => ({
        ...p, weight: privacy ? 1 : p.examples,
        quantized: this.#sums[p.index]!.quantize(p.values, factor, new Float64Array(p.values.length), partName(p.part)),
      })),
    };
  }

  /** Adds a checked update (check() of the open round) to the round's sums; it cannot fail. */
  add(update: CheckedUpdate): void {
    for (const p of update.parts) this.#sums[p.index]!.addQuantized(p.quantized, p.weight);
    this.#clients.add(update.client);
  }

  /** Whether the open round has its target of updates. */
  get full(): boolean {
    return this.#clients.size >= this.state.options.clientsPerRound;
  }

  /** Whether the open round, at its deadline, has its quorum. */
  get quorate(): boolean {
    return this.#clients.size >= this.state.options.minClients;
  }

  /**
   * Closes the open round: the average update of each part (with privacy: the
   * noised sum over the fixed denominator), a server optimizer step, the next
   * version. Returns its record. A step that would make a weight non-finite
   * abandons the round instead (the weights stay).
   */
  async close(why: 'target' | 'deadline', now: number): Promise<RoundRecord> {
    const s = this.state, o = s.options;
    const parts = this.layout.parts;
    const next = this.weights.slice();
    const nextState = this.optimizerState.map((st) => st.slice());
    const privacy = o.privacy;
    const tasks: Record<string, number> = {};
    for (let i = 0; i < parts.length; i++) {
      const sum = this.#sums[i];
      if (!sum || sum.count === 0) continue;
      if (i > 0) tasks[parts[i]!.task!] = sum.count;
      if (privacy) {
        const key = await noiseKey(privacy.seed, `${s.name}:${s.round}:${i}`);
        sum.addIntegers(await roundedGaussian(key, sum.length, privacy.noiseMultiplier * privacy.clipNorm * 2 ** o.fractionBits));
      }
      const delta = sum.mean(privacy ? o.clientsPerRound : sum.weight, this.#scratch.subarray(0, sum.length));
      const w = this.layout.gather(parts[i]!, next);
      serverStep(o.serverOptimizer, w, delta, nextState[i]!);
      for (let k = 0; k < w.length; k++) {
        if (!Number.isFinite(w[k]!)) return this.abandon('non-finite', now);
      }
      this.layout.scatter(parts[i]!, w, next);
    }
    const record: RoundRecord = { round: s.round, version: s.version + 1, outcome: 'closed', why, clients: this.#clients.size, examples: this.#sums[0]!.weight, tasks, at: now };
    this.weights.set(next);
    nextState.forEach((st, i) => this.optimizerState[i]!.set(st));
    s.version++;
    if (privacy) s.privateRounds++;
    this.#nextRound(record, now);
    this.#recordMetadata();
    return record;
  }

  /** Drops the open round's updates and opens the next round on the same version. */
  abandon(why: 'quorum-missed' | 'non-finite', now: number): RoundRecord {
    const s = this.state;
    const record: RoundRecord = { round: s.round, version: s.version, outcome: 'abandoned', why, clients: this.#clients.size, examples: this.#sums[0]!.weight, tasks: {}, at: now };
    this.#nextRound(record, now);
    return record;
  }

  #nextRound(record: RoundRecord, now: number): void {
    const s = this.state;
    s.history.push(record);
    if (s.history.length > HISTORY) s.history.splice(0, s.history.length - HISTORY);
    s.round++;
    s.roundOpenedAt = now;
    s.deadline = now + s.options.roundTimeoutMs;
    s.finished = s.options.rounds !== null && s.version >= s.options.rounds;
    this.#clients.clear();
    this.#sums.forEach((sum, i) => { if (sum) this.#sums[i] = new FixedPointSum(sum.length, sum.fractionBits); });
  }

  /** What the global model file records about its federated training (metadata.federated). */
  metadata(): Record<string, unknown> {
    const s = this.state, o = s.options;
    const privacy = o.privacy;
    const record: PrivacyRecord | null = privacy === null ? null : {
      mechanism: 'DP-FedAvg (Gaussian, client-level)',
      clipNorm: privacy.clipNorm,
      noiseMultiplier: privacy.noiseMultiplier,
      denominator: o.clientsPerRound,
      rounds: s.privateRounds,
      delta: privacy.delta,
      epsilon: gaussianEpsilon(privacy.noiseMultiplier, s.privateRounds, privacy.delta),
      accountant: 'RDP of the Gaussian mechanism, composed over rounds, converted at the best order',
      ...(privacy.seed !== undefined ? { seeded: true as const } : {}),
    };
    return {
      federation: s.name,
      id: s.id,
      version: s.version,
      rounds: s.history.filter((r) => r.outcome === 'closed').length,
      taskParts: o.taskParts,
      serverOptimizer: o.serverOptimizer,
      fractionBits: o.fractionBits,
      privacy: record,
    };
  }

  /** Writes metadata() into the model file's header (metadata.federated), keeping the rest of its metadata. */
  #recordMetadata(): void {
    const metadata = this.header.metadata;
    const rest = typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata) ? metadata : {};
    this.header = { ...this.header, metadata: { ...rest, federated: this.metadata() } };
  }

  /** The global model as a model file (f32, exact; or f16 for a smaller download). */
  modelFile(encoding: 'f32' | 'f16' = 'f32'): Uint8Array {
    return encodeModel({ header: this.header, weights: this.weights }, encoding);
  }
}
