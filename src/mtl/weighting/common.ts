// What every weighting strategy shares: option validation, the per-step input
// checks, JSON-safe state helpers, per-epoch reporting, and the few numeric
// helpers (softmax, normal draws, a random permutation) done so that they give
// the same bits in every engine.
//
// Determinism: JavaScript here uses only + − × ÷, Math.sqrt/abs/min/max/floor;
// exp, log, pow, cos and sin come from the WASM module (assembly/math.ts), and
// every random number from the seeded Rng (ctx.rng), through nextU32.

import type { Kernels } from '../../runtime/abi.js';
import { ArgumentError, ShapeError, TrainingDivergedError } from '../../runtime/errors.js';
import { heapF32, runtime } from '../../runtime/module.js';
import { Holding } from '../../runtime/holdings.js';
import { F32_MAX, show, type OptionRecord } from '../../runtime/validate.js';
import type { Rng } from '../../nn/rng.js';
import type {
  WeightingContext, WeightingNeeds, WeightingStepInput, WeightingStepOutput, WeightingStrategy, WeightingVectors,
} from './types.js';

/** Which per-task gradients a Gram-based strategy asks the trainer for (see WeightingNeeds.gradients). */
export type GradientSource = 'either' | 'representation' | 'parameters';
export const GRADIENT_SOURCES: readonly GradientSource[] = ['either', 'representation', 'parameters'];

/** The optimizer a strategy with learnable weights (uncertainty, gradnorm) steps them with. */
export type WeightOptimizer = 'adam' | 'sgd';
export const WEIGHT_OPTIMIZERS: readonly WeightOptimizer[] = ['adam', 'sgd'];

// Adam's constants for the strategies' own parameters (PyTorch's defaults).
export const ADAM_BETA1 = 0.9;
export const ADAM_BETA2 = 0.999;
export const ADAM_EPSILON = 1e-8;

export function needsOf(
  gradients: GradientSource | 'none', lossHistory = false,
  { vectors = false, lossesAfterUpdate = false }: { vectors?: boolean; lossesAfterUpdate?: boolean } = {},
): WeightingNeeds {
  return Object.freeze({ gradients, lossHistory, vectors, lossesAfterUpdate });
}

// ---------------------------------------------------------------------------
// JSON-safe state

/** A Float64Array as JSON numbers; NaN and ±∞ (not representable in JSON) become null. */
export function toJson(values: Float64Array): (number | null)[] {
  const out: (number | null)[] = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    out[i] = Number.isFinite(v) ? v : null;
  }
  return out;
}

/**
 * save()'s object as state() gives it: the running vectors' copies (Float32Array,
 * what snapshot() keeps) as base64 text (f32ToBase64), everything else as it is.
 */
function jsonSafe(value: unknown): unknown {
  if (value instanceof Float32Array) return f32ToBase64(value);
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  }
  return value;
}

/**
 * The Float32Arrays of a snapshot() being replaced, for VectorBank.save to copy
 * into (filled and emptied by snapshot(); empty otherwise, so state() allocates):
 * a step's snapshot then costs a memory copy, not an allocation the size of the
 * gradients (which, every step, doubled the step time of MoCo on a 95k-parameter
 * model through the garbage collector).
 */
const recycled: Float32Array[] = [];

function collectF32(value: unknown, into: Float32Array[]): void {
  if (value instanceof Float32Array) into.push(value);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) collectF32(v, into);
}

/** A Float32Array of `n` floats: a recycled one of that length if there is one, else new. */
function f32Copy(n: number): Float32Array {
  const i = recycled.findIndex((a) => a.length === n);
  return i < 0 ? new Float32Array(n) : recycled.splice(i, 1)[0]!;
}

/**
 * A task whose learned state stopped being usable: `what` is named in the error
 * (default 'the weighting state'), `problem` replaces "is not finite".
 */
export interface Divergence {
  readonly task: number;
  readonly what?: string;
  readonly problem?: string;
}

/** ln(F32_MAX) = 88.7228…, rounded down: exp(±LOG_F32_MAX) are within float32. */
export const LOG_F32_MAX = 88.72;

/**
 * For task weights exp(x_t) of learned x_t (uncertainty's −s_t, IMTL's s_t): the
 * first task whose |x_t| > LOG_F32_MAX, where its weight is ∞ or 0 in float32 (0:
 * the task would stop learning, and nothing would say so); null if none.
 */
export function expWeightBeyondF32(x: Float64Array, sign: 1 | -1): Divergence | null {
  for (let t = 0; t < x.length; t++) {
    const v = sign * x[t]!;
    if (v > LOG_F32_MAX) return { task: t, what: 'the task weight', problem: `is exp(${v.toPrecision(3)}), beyond float32` };
    if (v < -LOG_F32_MAX) return { task: t, what: 'the task weight', problem: `is exp(${v.toPrecision(3)}), 0 in float32: the task would stop learning` };
  }
  return null;
}

/** The first task t with values[t] not finite, as a Divergence; null if none. */
export function firstNonFinite(values: Float64Array): Divergence | null {
  for (let t = 0; t < values.length; t++) if (!Number.isFinite(values[t]!)) return { task: t };
  return null;
}

/** Reads `state[name]`: an array of `n` numbers (null → NaN when `nullable`) into `into`. */
export function fromJson(
  where: string, state: OptionRecord, name: string, into: Float64Array, nullable = false,
): void {
  const v = state[name];
  if (!Array.isArray(v) || v.length !== into.length) {
    throw new ArgumentError(`${where}: state.${name} must be an array of ${into.length} numbers, got ${show(v)}`);
  }
  for (let i = 0; i < into.length; i++) {
    const x: unknown = v[i];
    if (x === null && nullable) into[i] = NaN;
    else if (typeof x === 'number' && Number.isFinite(x)) into[i] = x;
    else throw new ArgumentError(`${where}: state.${name}[${i}] must be a finite number${nullable ? ' or null' : ''}, got ${show(x)}`);
  }
}

/** Reads `state[name]`: an integer ≥ min. */
export function integerState(where: string, state: OptionRecord, name: string, min: number): number {
  const v = state[name];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new ArgumentError(`${where}: state.${name} must be an integer ≥ ${min}, got ${show(v)}`);
  }
  return v;
}

/** Checks every entry of a restored array against a rule (state fields with a range). */
export function checkEach(where: string, name: string, values: Float64Array, ok: (v: number) => boolean, rule: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!ok(values[i]!)) throw new ArgumentError(`${where}: state.${name}[${i}] must be ${rule}, got ${values[i]}`);
  }
}

export function checkStateObject(where: string, type: string, state: unknown): OptionRecord {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    throw new ArgumentError(`${where}: state must be an object from state(), got ${show(state)}`);
  }
  const s = state as OptionRecord;
  if (s.type !== type) {
    throw new ArgumentError(`${where}: state is for a ${show(s.type)} strategy, not ${show(type)}`);
  }
  return s;
}

// ---------------------------------------------------------------------------
// The base class: attach, per-step checks, restore before or after attach.
//
// A step's answer must be usable: every task weight and shared coefficient a
// finite float32 (the kernels scale the task's gradient by it). The learned state a
// step leaves must be finite (diverging(): else state() is not what restore()
// takes), and, when the next step starts from it, give weights float32 carries
// (unusable(): uncertainty's exp(−s_t) at s_t = 1e6 is 0, and the task would stop
// learning without a word). Each breach is a TrainingDivergedError naming the task;
// the trainer then puts back the weights and this state from before the step that
// led there (src/train/steps.ts, with snapshot() and restore()). The range is
// checked when the state is used, not when it is reached: a run whose step 1 finds
// an exploded loss stops on the loss, as before the check (docs/reliability.md), and
// the trainer checks it once more when a run ends (checkUsable).

export abstract class BaseStrategy implements WeightingStrategy {
  abstract readonly type: string;
  abstract readonly needs: WeightingNeeds;
  /** Task count; 0 until attached. */
  protected T = 0;
  protected names: readonly string[] = [];
  protected rng: Rng | null = null;
  #pending: OptionRecord | null = null;
  /** The step of the latest step() (what afterUpdate's divergence names). */
  #step = 0;

  attach(ctx: WeightingContext): void {
    const where = `${this.type}.attach`;
    if (typeof ctx !== 'object' || ctx === null) {
      throw new ArgumentError(`${where}: context must be an object, got ${show(ctx)}`);
    }
    const T = ctx.taskCount;
    if (typeof T !== 'number' || !Number.isSafeInteger(T) || T < 1) {
      throw new ShapeError(`${where}: taskCount must be a positive integer, got ${show(T)}`);
    }
    if (!Array.isArray(ctx.taskNames) || ctx.taskNames.length !== T) {
      throw new ShapeError(`${where}: taskNames must be an array of ${T} names, got ${show(ctx.taskNames)}`);
    }
    this.T = T;
    this.names = ctx.taskNames.slice();
    this.rng = ctx.rng ?? null;
    this.setup();
    if (this.#pending !== null) {
      const s = this.#pending;
      this.#pending = null;
      this.load(s);
    }
  }

  step(input: WeightingStepInput, out: WeightingStepOutput): void {
    this.checkStep(input, out);
    this.#step = input.step;
    this.#throw(this.unusable(), input.step);
    this.compute(input, out);
    for (let t = 0; t < this.T; t++) {
      if (!(Math.abs(out.taskWeights[t]!) <= F32_MAX)) throw new TrainingDivergedError(this.names[t]!, input.step, 'the task weight');
      if (!(Math.abs(out.sharedCoefficients[t]!) <= F32_MAX)) throw new TrainingDivergedError(this.names[t]!, input.step, 'the shared coefficient');
    }
    this.#throw(this.diverging(), input.step);
  }

  checkUsable(step: number): void {
    this.attached('checkUsable');
    this.#throw(this.unusable(), step);
  }

  #throw(d: Divergence | null, step: number): void {
    if (d !== null) throw new TrainingDivergedError(this.names[d.task]!, step, d.what ?? 'the weighting state', undefined, undefined, d.problem);
  }

  afterUpdate(losses: Float64Array, active: Uint8Array): void {
    this.attached('afterUpdate');
    const T = this.T;
    if (!(losses instanceof Float64Array) || losses.length !== T) {
      throw new ShapeError(`${this.type}.afterUpdate: losses must be a Float64Array of ${T}, got ${show(losses)}`);
    }
    if (!(active instanceof Uint8Array) || active.length !== T) {
      throw new ShapeError(`${this.type}.afterUpdate: active must be a Uint8Array of ${T}, got ${show(active)}`);
    }
    this.updated(losses, active);
    this.#throw(this.diverging(), this.#step);
  }

  /** Default: nothing in the kernel module's memory. */
  dispose(): void {}

  endEpoch(epochLosses: Float64Array): void {
    this.attached('endEpoch');
    if (!(epochLosses instanceof Float64Array) || epochLosses.length !== this.T) {
      throw new ShapeError(`${this.type}.endEpoch: epochLosses must be a Float64Array of ${this.T} losses, got ${show(epochLosses)}`);
    }
    this.epochEnded(epochLosses);
  }

  restore(state: Record<string, unknown>): void {
    const s = checkStateObject(`${this.type}.restore`, this.type, state);
    if (this.T === 0) this.#pending = s; // applied (and checked against the tasks) by attach
    else this.load(s);
  }

  state(): Record<string, unknown> {
    this.attached('state');
    return jsonSafe({ type: this.type, ...this.save() }) as Record<string, unknown>;
  }

  snapshot(reuse?: Record<string, unknown>): Record<string, unknown> {
    this.attached('snapshot');
    recycled.length = 0;
    if (reuse !== undefined) collectF32(reuse, recycled);
    try {
      return { type: this.type, ...this.save() };
    } finally {
      recycled.length = 0;
    }
  }

  abstract currentWeights(): Float64Array;
  abstract config(): Record<string, unknown>;

  /** Allocates the working arrays for this.T tasks (called by attach). */
  protected abstract setup(): void;
  /** Fills `out` for a checked input. */
  protected abstract compute(input: WeightingStepInput, out: WeightingStepOutput): void;
  protected abstract save(): Record<string, unknown>;
  /** Applies a state (already checked to be an object of this type); throws ArgumentError on bad fields. */
  protected abstract load(state: OptionRecord): void;
  /** Default: loss history is not used. */
  protected epochEnded(_epochLosses: Float64Array): void {}
  /** Default: the losses after the update are not used (needs.lossesAfterUpdate false). */
  protected updated(_losses: Float64Array, _active: Uint8Array): void {}
  /** The first task whose learned state (after step() or afterUpdate()) is not finite; null if none. Default: nothing learned. */
  protected diverging(): Divergence | null { return null; }
  /** The first task whose (finite) state gives a task weight float32 cannot carry; null if none. Default: none can. */
  protected unusable(): Divergence | null { return null; }

  protected attached(what: string): void {
    if (this.T === 0) throw new ArgumentError(`${this.type}.${what}: call attach() first`);
  }

  /** Needs a Gram matrix (needs.gradients ≠ 'none'). */
  protected get usesGram(): boolean {
    return this.needs.gradients !== 'none';
  }

  private checkStep(input: WeightingStepInput, out: WeightingStepOutput): void {
    const where = `${this.type}.step`;
    this.attached('step');
    const T = this.T;
    if (!(input.losses instanceof Float64Array) || input.losses.length !== T) {
      throw new ShapeError(`${where}: losses must be a Float64Array of ${T}, got ${show(input.losses)}`);
    }
    if (!(input.active instanceof Uint8Array) || input.active.length !== T) {
      throw new ShapeError(`${where}: active must be a Uint8Array of ${T}, got ${show(input.active)}`);
    }
    if (!(out.taskWeights instanceof Float64Array) || out.taskWeights.length !== T) {
      throw new ShapeError(`${where}: taskWeights must be a Float64Array of ${T}, got ${show(out.taskWeights)}`);
    }
    if (!(out.sharedCoefficients instanceof Float64Array) || out.sharedCoefficients.length !== T) {
      throw new ShapeError(`${where}: sharedCoefficients must be a Float64Array of ${T}, got ${show(out.sharedCoefficients)}`);
    }
    const lr = input.learningRate;
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
      throw new ArgumentError(`${where}: learningRate must be a finite number ≥ 0, got ${show(lr)}`);
    }
    const { losses, active } = input;
    for (let t = 0; t < T; t++) {
      if (active[t] !== 0 && !Number.isFinite(losses[t]!)) {
        throw new ArgumentError(`${where}: the loss of active task ${show(this.names[t])} is ${losses[t]}`);
      }
    }
    if (this.usesGram) {
      const g = input.gram;
      if (!(g instanceof Float64Array) || g.length !== T * T) {
        throw new ShapeError(`${where}: gram must be a ${T}×${T} Float64Array (${T * T} values), got ${show(g)}`);
      }
      for (let s = 0; s < T; s++) {
        if (active[s] === 0) continue;
        for (let t = 0; t < T; t++) {
          if (active[t] !== 0 && !Number.isFinite(g[s * T + t]!)) {
            throw new ArgumentError(`${where}: gram[${s}][${t}] is ${g[s * T + t]}`);
          }
        }
      }
    }
    if (this.needs.vectors) checkVectors(where, input.vectors, T);
  }
}

function checkVectors(where: string, v: WeightingVectors | null | undefined, T: number): void {
  if (typeof v !== 'object' || v === null) throw new ShapeError(`${where}: vectors must be given (the strategy combines the gradient vectors), got ${show(v)}`);
  if (v.source !== 'representation' && v.source !== 'parameters') {
    throw new ArgumentError(`${where}: vectors.source must be 'representation' or 'parameters', got ${show(v.source)}`);
  }
  const whole = (x: unknown): boolean => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (!Array.isArray(v.pointers) || v.pointers.length !== T || !v.pointers.every(whole)) {
    throw new ShapeError(`${where}: vectors.pointers must be ${T} pointers, got ${show(v.pointers)}`);
  }
  if (!whole(v.rows) || !whole(v.width) || v.rows < 1 || v.width < 1 || v.length !== v.rows * v.width) {
    throw new ShapeError(`${where}: vectors must be rows × width = length floats with rows, width ≥ 1, got ${v.rows} × ${v.width} and length ${show(v.length)}`);
  }
  if (v.source === 'parameters' && v.rows !== 1) throw new ShapeError(`${where}: parameter gradient vectors have rows 1, got ${v.rows}`);
  if (!whole(v.output) || v.output === 0 || !whole(v.representation) || (v.source === 'representation') !== (v.representation !== 0)) {
    throw new ShapeError(`${where}: vectors.output must be a pointer, and vectors.representation one exactly when the source is 'representation'`);
  }
}

/** The kernels, for strategies that need exp/log/pow/cos/sin (init() must have run). */
export function mathKernels(where: string): Kernels {
  return runtime(where).kernels;
}

// ---------------------------------------------------------------------------
// Per-epoch means of per-step values, for strategies whose weights change every
// step (RLW, PCGrad, MGDA, CAGrad): currentWeights() reports each task's mean
// over the steps of the latest epoch in which it was active (NaN if it never was).

export class EpochMeans {
  epoch = -1;
  readonly sums: Float64Array;
  readonly counts: Float64Array;

  constructor(T: number) {
    this.sums = new Float64Array(T);
    this.counts = new Float64Array(T);
  }

  add(epoch: number, values: Float64Array, active: Uint8Array): void {
    if (epoch !== this.epoch) {
      this.epoch = epoch;
      this.sums.fill(0);
      this.counts.fill(0);
    }
    for (let t = 0; t < values.length; t++) {
      if (active[t] !== 0) {
        this.sums[t]! += values[t]!;
        this.counts[t]! += 1;
      }
    }
  }

  means(): Float64Array {
    const out = new Float64Array(this.sums.length);
    for (let t = 0; t < out.length; t++) {
      const c = this.counts[t]!;
      out[t] = c > 0 ? this.sums[t]! / c : NaN;
    }
    return out;
  }

  save(): Record<string, unknown> {
    return { epoch: this.epoch, sums: toJson(this.sums), counts: toJson(this.counts) };
  }

  load(where: string, state: OptionRecord): void {
    const r = state.report;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) {
      throw new ArgumentError(`${where}: state.report must be an object, got ${show(r)}`);
    }
    const rep = r as OptionRecord;
    if (typeof rep.epoch !== 'number' || !Number.isSafeInteger(rep.epoch) || rep.epoch < -1) {
      throw new ArgumentError(`${where}: state.report.epoch must be an integer ≥ −1, got ${show(rep.epoch)}`);
    }
    const sums = new Float64Array(this.sums.length), counts = new Float64Array(this.counts.length);
    fromJson(where, rep, 'sums', sums);
    fromJson(where, rep, 'counts', counts);
    checkEach(where, 'report.counts', counts, (x) => x >= 0 && Number.isInteger(x), 'an integer ≥ 0');
    this.sums.set(sums);
    this.counts.set(counts);
    this.epoch = rep.epoch;
  }
}

/**
 * A strategy whose currentWeights() is each task's mean, over the latest epoch's
 * steps in which it was active, of a per-step value it records in `report`
 * (RLW's weights, the gradient strategies' shared coefficients …). Subclasses
 * call super.setup() and, when they keep more state, spread super.save() and call
 * super.load(state) after checking their own fields.
 */
export abstract class ReportingStrategy extends BaseStrategy {
  protected report = new EpochMeans(0);

  protected setup(): void {
    this.report = new EpochMeans(this.T);
  }

  currentWeights(): Float64Array {
    this.attached('currentWeights');
    return this.report.means();
  }

  protected save(): Record<string, unknown> {
    return { report: this.report.save() };
  }

  protected load(state: OptionRecord): void {
    this.report.load(`${this.type}.restore`, state);
  }
}

// ---------------------------------------------------------------------------
// Step outputs

/** Task weights and shared coefficients both w[t] for the active tasks, 0 for the others. */
export function weightActive(w: Float64Array, active: Uint8Array, out: WeightingStepOutput, T: number): void {
  for (let t = 0; t < T; t++) {
    const v = active[t] !== 0 ? w[t]! : 0;
    out.taskWeights[t] = v;
    out.sharedCoefficients[t] = v;
  }
}

/**
 * The start of a gradient-combining step (MGDA, PCGrad, CAGrad): task weight 1
 * for the active tasks and 0 for the others, every shared coefficient 0; the
 * active tasks' indices into `into`, in order. Returns how many there are.
 */
export function startCombining(active: Uint8Array, out: WeightingStepOutput, into: Int32Array, T: number): number {
  let n = 0;
  for (let t = 0; t < T; t++) {
    const on = active[t] !== 0;
    out.taskWeights[t] = on ? 1 : 0;
    out.sharedCoefficients[t] = 0;
    if (on) into[n++] = t;
  }
  return n;
}

/** ‖g_t‖² at or below this fraction of the largest counts as a vanishing gradient. */
export const VANISHING_GRADIENT = 1e-20;

/**
 * Of the tasks idx[0..n) (a startCombining list), keeps in place those whose
 * gradient does not vanish; the others get task weight 0 (coefficient 0 already).
 * Returns how many are kept. For the strategies that divide by a task's gradient
 * (Nash-MTL's and FairGrad's bargaining: a task without one has no position).
 */
export function keepWithGradient(gram: Float64Array, T: number, idx: Int32Array, n: number, out: WeightingStepOutput): number {
  let largest = 0;
  for (let i = 0; i < n; i++) largest = Math.max(largest, gram[idx[i]! * T + idx[i]!]!);
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const t = idx[i]!;
    if (gram[t * T + t]! > VANISHING_GRADIENT * largest) idx[kept++] = t;
    else out.taskWeights[t] = 0;
  }
  return kept;
}

/**
 * out.sharedCoefficients[k] += Σ_i C[i·T + k] over the tasks i, k in idx[0..n):
 * the shared coefficients of Σ_i g_i' when each g_i' = Σ_k C_ik g_k (PCGrad, GradVac).
 */
export function addCombinations(C: Float64Array, T: number, idx: Int32Array, n: number, out: WeightingStepOutput): void {
  for (let a = 0; a < n; a++) {
    const i = idx[a]!;
    for (let b = 0; b < n; b++) {
      const k = idx[b]!;
      out.sharedCoefficients[k] = out.sharedCoefficients[k]! + C[i * T + k]!;
    }
  }
}

// ---------------------------------------------------------------------------
// Numerics

/**
 * out[t] = scale·exp(x[t]/temperature) / Σ exp(x[s]/temperature) over the tasks
 * with active[t] ≠ 0 (max-shifted); 0 elsewhere. `active` null: every task.
 */
export function softmax(
  k: Kernels, x: Float64Array, active: Uint8Array | null, temperature: number, scale: number, out: Float64Array,
): void {
  const n = x.length;
  let max = -Infinity;
  for (let t = 0; t < n; t++) {
    if (active === null || active[t] !== 0) max = Math.max(max, x[t]! / temperature);
  }
  let sum = 0;
  for (let t = 0; t < n; t++) {
    if (active === null || active[t] !== 0) {
      const e = k.mathExp(x[t]! / temperature - max);
      out[t] = e;
      sum += e;
    } else {
      out[t] = 0;
    }
  }
  if (sum > 0) {
    for (let t = 0; t < n; t++) out[t] = (out[t]! / sum) * scale;
  }
}

const TWO_POW_32 = 4294967296;
const TWO_POW_24 = 16777216;

/**
 * An unbiased integer in [0, bound) from the Rng (Lemire's multiply-and-reject,
 * as assembly/rng.ts): u·bound is exact in a double for bound < 2²¹.
 */
export function randomBelow(rng: Rng, bound: number): number {
  let m = rng.nextU32() * bound;
  let low = m % TWO_POW_32;
  if (low < bound) {
    const threshold = (TWO_POW_32 - bound) % bound;
    while (low < threshold) {
      m = rng.nextU32() * bound;
      low = m % TWO_POW_32;
    }
  }
  return Math.floor(m / TWO_POW_32);
}

/** Fisher–Yates shuffle of values[0..n) in place (the order of assembly/rng.ts's rngShuffle). */
export function shuffle(rng: Rng, values: Int32Array, n: number): void {
  for (let i = n - 1; i > 0; i--) {
    const j = randomBelow(rng, i + 1);
    const v = values[i]!;
    values[i] = values[j]!;
    values[j] = v;
  }
}

/**
 * into[0..n−1) ← the tasks idx[0..n) other than idx[a], in a fresh random order
 * (PCGrad's and GradVac's order of projections for task idx[a]). Returns n − 1.
 */
export function othersShuffled(rng: Rng, idx: Int32Array, n: number, a: number, into: Int32Array): number {
  let m = 0;
  for (let b = 0; b < n; b++) if (b !== a) into[m++] = idx[b]!;
  shuffle(rng, into, m);
  return m;
}

/**
 * out[0..n) ~ N(0, 1) by Box–Muller on 24-bit uniforms, both outputs of each pair
 * used (the recipe of assembly/rng.ts's rngNormal, in f64).
 */
export function standardNormals(rng: Rng, k: Kernels, out: Float64Array, n: number): void {
  for (let i = 0; i < n; i += 2) {
    const u1 = ((rng.nextU32() >>> 8) + 1) / TWO_POW_24; // (0, 1]: log(u1) is finite
    const u2 = (rng.nextU32() >>> 8) / TWO_POW_24;
    const r = Math.sqrt(-2 * k.mathLog(u1));
    const theta = 2 * Math.PI * u2;
    out[i] = r * k.mathCos(theta);
    if (i + 1 < n) out[i + 1] = r * k.mathSin(theta);
  }
}

// ---------------------------------------------------------------------------
// Adam on a strategy's own scalars (uncertainty's log-variances, GradNorm's and
// FAMO's weights, IMTL's loss scales): PyTorch's update with β₁ 0.9, β₂ 0.999,
// ε 1e-8, and a bias correction counted per entry over the steps it was updated.

export class ScalarAdam {
  readonly m: Float64Array;
  readonly v: Float64Array;
  readonly beta1Power: Float64Array;
  readonly beta2Power: Float64Array;

  constructor(n: number) {
    this.m = new Float64Array(n);
    this.v = new Float64Array(n);
    this.beta1Power = new Float64Array(n).fill(1);
    this.beta2Power = new Float64Array(n).fill(1);
  }

  /** The first entry whose moments are not finite (a gradient whose square overflowed), or null. */
  firstNonFinite(): Divergence | null {
    return firstNonFinite(this.m) ?? firstNonFinite(this.v);
  }

  /** Entry i of x after one step along gradient g. */
  step(i: number, x: number, g: number, lr: number): number {
    const m = (this.m[i] = ADAM_BETA1 * this.m[i]! + (1 - ADAM_BETA1) * g);
    const v = (this.v[i] = ADAM_BETA2 * this.v[i]! + (1 - ADAM_BETA2) * g * g);
    const b1 = (this.beta1Power[i] = this.beta1Power[i]! * ADAM_BETA1);
    const b2 = (this.beta2Power[i] = this.beta2Power[i]! * ADAM_BETA2);
    return x - ((lr / (1 - b1)) * m) / (Math.sqrt(v) / Math.sqrt(1 - b2) + ADAM_EPSILON);
  }

  save(): Record<string, unknown> {
    return { m: toJson(this.m), v: toJson(this.v), beta1Power: toJson(this.beta1Power), beta2Power: toJson(this.beta2Power) };
  }

  /** Reads the fields save() wrote (at the top level of `state`); applies them only if all are valid. */
  load(where: string, state: OptionRecord): void {
    const n = this.m.length;
    const m = new Float64Array(n), v = new Float64Array(n), b1 = new Float64Array(n), b2 = new Float64Array(n);
    fromJson(where, state, 'm', m);
    fromJson(where, state, 'v', v);
    fromJson(where, state, 'beta1Power', b1);
    fromJson(where, state, 'beta2Power', b2);
    checkEach(where, 'v', v, (x) => x >= 0, '≥ 0');
    checkEach(where, 'beta1Power', b1, (x) => x >= 0 && x <= 1, 'in [0, 1]');
    checkEach(where, 'beta2Power', b2, (x) => x >= 0 && x <= 1, 'in [0, 1]');
    this.m.set(m); this.v.set(v); this.beta1Power.set(b1); this.beta2Power.set(b2);
  }
}

// ---------------------------------------------------------------------------
// Gradient vectors in the kernel module's memory (strategies with needs.vectors)

/**
 * A block of the kernel module's memory owned by a strategy (running gradient
 * estimates, scratch). Grows on demand, keeping nothing; freed by dispose().
 * Views over it must be re-derived (heapF32()) after anything that can grow memory.
 */
export class KernelBlock {
  #ptr = 0;
  #bytes = 0;
  readonly #memory = new Holding('WeightingStrategy');

  get pointer(): number { return this.#ptr; }
  get bytes(): number { return this.#bytes; }

  /** Makes the block at least `bytes` long (a new, uninitialized block if it was shorter); returns its pointer. */
  ensure(where: string, bytes: number): number {
    if (bytes <= this.#bytes && this.#ptr !== 0) return this.#ptr;
    this.free();
    this.#ptr = this.#memory.alloc(this, Math.max(bytes, 16), `${where}'s working memory`);
    this.#bytes = Math.max(bytes, 16);
    return this.#ptr;
  }

  free(): void {
    if (this.#ptr === 0) return;
    this.#memory.release();
    this.#ptr = 0;
    this.#bytes = 0;
  }
}

/** Writes the pointers of the vectors of tasks idx[0..n) into the i32 table at `table` (for the combine kernels). */
export function writePointerTable(table: number, vectors: WeightingVectors, idx: Int32Array, n: number): void {
  const view = new Int32Array(heapF32().buffer, table, n);
  for (let i = 0; i < n; i++) view[i] = vectors.pointers[idx[i]!]!;
}

/** vectors.output ← Σ_i coefficients[i] · (vector of task idx[i]) over i < n, with the axpy kernel. */
export function combineVectors(k: Kernels, vectors: WeightingVectors, idx: Int32Array, coefficients: Float64Array, n: number): void {
  const out = vectors.output;
  heapF32().fill(0, out >>> 2, (out >>> 2) + vectors.length);
  for (let i = 0; i < n; i++) {
    const c = coefficients[i]!;
    if (c !== 0) k.axpy(vectors.length, c, vectors.pointers[idx[i]!]!, out);
  }
}

// ---------------------------------------------------------------------------
// f32 arrays in a state(): the bits as base64 (exact, and a third of the size of
// JSON numbers), for the strategies that keep vectors as long as the gradients.

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The bytes of `values` (little-endian f32) as base64. */
export function f32ToBase64(values: Float32Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let out = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[n >>> 18]! + B64[(n >>> 12) & 63]! + B64[(n >>> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += `${B64[n >>> 18]!}${B64[(n >>> 12) & 63]!}==`;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${B64[n >>> 18]!}${B64[(n >>> 12) & 63]!}${B64[(n >>> 6) & 63]!}=`;
  }
  return out;
}

/** Decodes f32ToBase64's text of exactly `count` finite floats; throws ArgumentError naming `state.name` otherwise. */
export function base64ToF32(where: string, name: string, text: unknown, count: number): Float32Array {
  const bytes = count * 4;
  const expected = Math.ceil(bytes / 3) * 4;
  if (typeof text !== 'string' || text.length !== expected || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new ArgumentError(`${where}: state.${name} must be the base64 text of ${count} float32 values, got ${show(text)}`);
  }
  const out = new Uint8Array(Math.ceil(bytes / 3) * 3);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const c = text[i + j]!;
      n = (n << 6) | (c === '=' ? 0 : B64.indexOf(c));
    }
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 255;
    out[o++] = n & 255;
  }
  const values = new Float32Array(out.buffer, 0, count);
  for (let i = 0; i < count; i++) {
    if (!Number.isFinite(values[i]!)) throw new ArgumentError(`${where}: state.${name}[${i}] is ${values[i]}, not a finite number`);
  }
  return values.slice();
}

/** A snapshot()'s copy of `count` floats, checked as base64ToF32 checks the text's. */
function checkedF32(where: string, name: string, values: Float32Array, count: number): Float32Array {
  if (values.length !== count) throw new ArgumentError(`${where}: state.${name} must hold ${count} float32 values, got ${values.length}`);
  for (let i = 0; i < count; i++) {
    if (!Number.isFinite(values[i]!)) throw new ArgumentError(`${where}: state.${name}[${i}] is ${values[i]}, not a finite number`);
  }
  return values;
}

/** out (n×n row-major) ← the rows and columns idx[0..n) of the T×T Gram matrix. */
export function activeGram(gram: Float64Array, T: number, idx: Int32Array, n: number, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) out[i * n + j] = gram[idx[i]! * T + idx[j]!]!;
  }
}

/**
 * `count` f32 vectors of one length in the kernel module's memory, for the
 * strategies that keep running estimates of the task gradients (MoCo, DB-MTL,
 * ExcessMTL) or the previous step's gradients (MoDo, SDMGrad). The length is set
 * by the first step (zeros) or by a restored state, and must not change after.
 */
export class VectorBank {
  readonly count: number;
  #block = new KernelBlock();
  #length = 0;

  constructor(count: number) {
    this.count = count;
  }

  /** Floats per vector; 0 before the first step. */
  get length(): number { return this.#length; }

  /** Makes the vectors `length` floats long (zeros, the first time). */
  ready(where: string, length: number): void {
    if (this.#length === length && this.#block.pointer !== 0) return;
    if (this.#length !== 0 && this.#length !== length) {
      throw new ShapeError(`${where}: the strategy's stored vectors have ${this.#length} entries, this step's gradients ${length} (a state from another model?)`);
    }
    const p = this.#block.ensure(where, this.count * length * 4);
    heapF32().fill(0, p >>> 2, (p >>> 2) + this.count * length);
    this.#length = length;
  }

  /** Byte offset of vector t. */
  pointer(t: number): number {
    return this.#block.pointer + t * this.#length * 4;
  }

  /**
   * A copy of the vectors (state() writes them as base64 text: a step's snapshot
   * keeps the copy, which costs a memory copy, not an encoding).
   */
  save(): { length: number; vectors: Float32Array | null } {
    if (this.#length === 0) return { length: 0, vectors: null };
    const p = this.#block.pointer >>> 2, n = this.count * this.#length;
    const copy = f32Copy(n);
    copy.set(heapF32().subarray(p, p + n));
    return { length: this.#length, vectors: copy };
  }

  /** The first task whose vector holds a value that is not finite (float32 overflowed), or null. */
  firstNonFinite(k: Kernels): Divergence | null {
    for (let t = 0; t < this.count && this.#length > 0; t++) {
      if (k.firstNonFinite(this.#length, this.pointer(t)) >= 0) return { task: t };
    }
    return null;
  }

  /** Applies what save() wrote (checked first). */
  load(where: string, state: unknown): void {
    if (typeof state !== 'object' || state === null) throw new ArgumentError(`${where}: state.bank must be an object from state(), got ${show(state)}`);
    const s = state as OptionRecord;
    const length = s.length;
    if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
      throw new ArgumentError(`${where}: state.bank.length must be an integer ≥ 0, got ${show(length)}`);
    }
    if (length === 0) {
      if (s.vectors !== null) throw new ArgumentError(`${where}: state.bank.vectors must be null when its length is 0`);
      this.dispose();
      return;
    }
    const values = s.vectors instanceof Float32Array ? checkedF32(where, 'bank.vectors', s.vectors, this.count * length) : base64ToF32(where, 'bank.vectors', s.vectors, this.count * length);
    this.#length = 0;
    this.ready(where, length);
    heapF32().set(values, this.#block.pointer >>> 2);
  }

  dispose(): void {
    this.#block.free();
    this.#length = 0;
  }
}

/** Per-task 0/1 flags as JSON numbers (restored with flagsFromJson). */
export function flagsToJson(flags: Uint8Array): number[] {
  return Array.from(flags);
}

export function flagsFromJson(where: string, state: OptionRecord, name: string, into: Uint8Array): void {
  const v = state[name];
  if (!Array.isArray(v) || v.length !== into.length || !v.every((x) => x === 0 || x === 1)) {
    throw new ArgumentError(`${where}: state.${name} must be an array of ${into.length} zeros and ones, got ${show(v)}`);
  }
  into.set(v as number[]);
}
