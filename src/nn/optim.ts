// Optimizers (SGD with momentum/Nesterov, Adam, AdamW) and gradient clipping
// over a ParameterBlock (src/nn/types.ts).
//
// Semantics are PyTorch's (torch.optim.SGD / Adam / AdamW); option names and
// clipping follow Keras where PyTorch has no optimizer-level equivalent:
//
//   createOptimizer({ type: 'adamw', learningRate: 1e-3, globalClipNorm: 1 })
//     .attach(block)            // allocates the state (e.g. Adam's m and v) once, zeroed
//     .step()                   // one fused kernel call per trainable range
//   opt.step({ learningRate })  // the trainer passes the scheduled rate
//   opt.dispose()               // frees the state
//
// Clipping, two ways:
//   - optimizer options `globalClipNorm` (Keras global_clipnorm) or `clipValue`
//     (Keras clipvalue): applied inside the fused update to the gradient it
//     reads; the gradient block itself is left as the backward pass wrote it.
//     The pre-clip global norm of the last step is `lastGradNorm`.
//   - functions `clipGradNorm(block, maxNorm)` → pre-clip norm (PyTorch's
//     clip_grad_norm_) and `clipGradValue(block, limit)` (clip_grad_value_),
//     which rewrite the gradient block in place, before `step()`.
// Global-norm clipping scales by maxNorm/norm only when norm > maxNorm (as
// tf.clip_by_global_norm; PyTorch divides by norm + 1e-6 and so also scales,
// by a factor within 1e-6 of 1, gradients just below the limit).
// Keras's per-variable `clipnorm` has no equivalent: a parameter block has no
// per-variable boundaries (the trainable ranges are merged).
//
// Faults: step() refuses a gradient that is not finite (TrainingDivergedError,
// nothing updated: one scan of the gradient, or the norm globalClipNorm computes
// anyway), and reports an update that overflowed float32 (the kernels
// flag any non-finite parameter they write). The trainers (MultiTaskModel.fit,
// AutoEncoder.fit) check the gradient themselves and use `applyUpdate`, which
// skips the first check and returns the flag, to put back their weights.
//
// Determinism: the only JS arithmetic on a numeric path is + − × ÷ and
// Math.sqrt (β₁ᵗ and β₂ᵗ are running f64 products, not Math.pow), and the
// kernels use IEEE f32 operations only, so the same inputs give the same bits
// in every engine.

import { ArgumentError, DisposedError, ShapeError, TrainingDivergedError } from '../runtime/errors.js';
import { heapF32, runtime } from '../runtime/module.js';
import { encodeCall, ProgramPieces } from '../threads/program.js';
import { programRunnerOf, type ProgramRunner } from '../threads/parallel.js';
import { checkBoolean, checkKeys, show } from '../runtime/validate.js';
import { disposeSymbol, Holding } from '../runtime/holdings.js';
import type { Allocator } from '../runtime/allocator.js';
import type { ParameterBlock } from './types.js';

/** Gradient clipping applied by `step()` (at most one of them, as in Keras). */
export interface ClipOptions {
  /** Scale the gradients of all trainable ranges by globalClipNorm/‖g‖ when their global L2 norm ‖g‖ exceeds it (Keras global_clipnorm). */
  globalClipNorm?: number;
  /** Clamp every gradient element to [−clipValue, clipValue] (Keras clipvalue). */
  clipValue?: number;
}

export interface SgdSpec extends ClipOptions {
  type: 'sgd';
  /** Required; ≥ 0. */
  learningRate: number;
  /** μ in [0, 1]; 0 (default) is plain SGD with no state. */
  momentum?: number;
  /** Nesterov momentum (needs momentum > 0). Default false. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient: g + wd·p. Default 0. */
  weightDecay?: number;
}

export interface AdamSpec extends ClipOptions {
  /** 'adam': weightDecay is an L2 term in the gradient; 'adamw': decoupled decay p ← p·(1 − lr·wd). */
  type: 'adam' | 'adamw';
  /** Required; ≥ 0. */
  learningRate: number;
  /** In [0, 1). Default 0.9. */
  beta1?: number;
  /** In [0, 1). Default 0.999. */
  beta2?: number;
  /** ≥ 0, added to √v̂ (PyTorch placement). Default 1e-8 (PyTorch; Keras uses 1e-7). */
  epsilon?: number;
  /** ≥ 0. Default 0 for 'adam', 0.01 for 'adamw' (PyTorch). */
  weightDecay?: number;
}

export type OptimizerSpec = SgdSpec | AdamSpec;

/** A model's optimizer when its options name none. */
export const DEFAULT_OPTIMIZER: Readonly<AdamSpec> = Object.freeze({ type: 'adam', learningRate: 1e-3 });

/** The spec with every default filled in. */
export type OptimizerConfig =
  | (Required<Omit<SgdSpec, keyof ClipOptions>> & ClipOptions)
  | (Required<Omit<AdamSpec, keyof ClipOptions>> & ClipOptions);

export interface StepOptions {
  /** The learning rate for this step (e.g. from a schedule); default: the spec's. */
  learningRate?: number;
}

export interface Optimizer {
  readonly type: OptimizerSpec['type'];
  /** The validated spec with defaults filled in (frozen). */
  readonly config: Readonly<OptimizerConfig>;
  /** Number of `step()` calls so far (Adam's t after the step is iterations for a tensor never frozen). */
  readonly iterations: number;
  /** The global gradient norm before clipping, from the last step with `globalClipNorm`; NaN otherwise. */
  readonly lastGradNorm: number;
  /** Bytes of optimizer state in WASM memory (0 before attach, for SGD without momentum, and after dispose). */
  readonly stateBytes: number;
  /**
   * Binds the optimizer to a parameter block and allocates its zeroed state. Once per
   * optimizer; the block must stay alive while it is used (a step after the block's
   * memory was freed, as by `network.dispose()`, throws DisposedError).
   */
  attach(block: ParameterBlock): this;
  /**
   * Updates the trainable parameters from the gradients (one fused kernel call per
   * range). The block's trainable ranges are read at every step, so a freeze or an
   * unfreeze since the last one takes effect without a new optimizer, as PyTorch's
   * optimizers skip a tensor whose requires_grad is off: a frozen tensor stops
   * changing and keeps its state (Adam's moments and step count, SGD's momentum) for
   * when it is unfrozen; a tensor trainable for the first time starts with a fresh state.
   */
  step(options?: StepOptions): void;
  /** Frees the state. Twice is harmless; any other use afterwards throws DisposedError. */
  dispose(): void;
  /** dispose(), for `using opt = createOptimizer(…).attach(…)`. */
  [disposeSymbol](): void;
}

const TYPES = ['sgd', 'adam', 'adamw'] as const;
const CLIP_KEYS = ['globalClipNorm', 'clipValue'] as const;
const SGD_KEYS = ['type', 'learningRate', 'momentum', 'nesterov', 'weightDecay', ...CLIP_KEYS] as const;
const ADAM_KEYS = ['type', 'learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay', ...CLIP_KEYS] as const;

/** Validates `spec` and returns an unattached optimizer (no memory is allocated until `attach`). */
export function createOptimizer(spec: OptimizerSpec): Optimizer {
  return new BlockOptimizer(normalize(spec));
}

function normalize(spec: unknown): OptimizerConfig {
  const where = 'createOptimizer';
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new ArgumentError(`${where}: spec must be an object like { type: 'adam', learningRate: 0.001 }, got ${show(spec)}`);
  }
  const s = spec as Record<string, unknown>;
  const type = s.type;
  if (!(TYPES as readonly unknown[]).includes(type)) {
    throw new ArgumentError(`${where}: unknown optimizer type ${show(type)} (known: ${TYPES.join(', ')})`);
  }
  const w = `${where}(${type as string})`;
  if ('clipNorm' in s || 'clipnorm' in s) {
    throw new ArgumentError(
      `${w}: clipNorm (Keras's per-variable clipnorm) is not supported: a parameter block has no per-variable ` +
        'boundaries; use globalClipNorm (Keras global_clipnorm, PyTorch clip_grad_norm_) or clipValue',
    );
  }
  checkKeys(w, s, type === 'sgd' ? SGD_KEYS : ADAM_KEYS);
  if (s.learningRate === undefined) throw new ArgumentError(`${w}: learningRate is required`);
  const learningRate = checkNonNegative(w, 'learningRate', s.learningRate);
  const clip: ClipOptions = {};
  if (s.globalClipNorm !== undefined) clip.globalClipNorm = checkPositive(w, 'globalClipNorm', s.globalClipNorm);
  if (s.clipValue !== undefined) clip.clipValue = checkPositive(w, 'clipValue', s.clipValue);
  if (clip.globalClipNorm !== undefined && clip.clipValue !== undefined) {
    throw new ArgumentError(`${w}: set at most one of globalClipNorm and clipValue (as Keras)`);
  }
  if (type === 'sgd') {
    const momentum = s.momentum === undefined ? 0 : checkNonNegative(w, 'momentum', s.momentum);
    if (momentum > 1) throw new ArgumentError(`${w}: momentum must be in [0, 1], got ${momentum}`);
    const nesterov = s.nesterov === undefined ? false : checkBoolean(w, 'nesterov', s.nesterov);
    if (nesterov && momentum === 0) {
      throw new ArgumentError(`${w}: nesterov needs momentum > 0 (momentum is 0)`);
    }
    const weightDecay = s.weightDecay === undefined ? 0 : checkNonNegative(w, 'weightDecay', s.weightDecay);
    return Object.freeze({ type, learningRate, momentum, nesterov, weightDecay, ...clip });
  }
  const beta1 = s.beta1 === undefined ? 0.9 : checkBeta(w, 'beta1', s.beta1);
  const beta2 = s.beta2 === undefined ? 0.999 : checkBeta(w, 'beta2', s.beta2);
  const epsilon = s.epsilon === undefined ? 1e-8 : checkNonNegative(w, 'epsilon', s.epsilon);
  // m / (√v + ε) is 0/0 = NaN for a parameter whose gradient has always been 0 (a dead ReLU) unless ε > 0 in float32.
  if (!(Math.fround(epsilon) > 0)) {
    throw new ArgumentError(
      `${w}: epsilon must be > 0 (at least 1.4e-45, the smallest float32), got ${epsilon}: with ε = 0 a parameter whose gradient is 0 gets 0/0 = NaN`,
    );
  }
  const weightDecay = s.weightDecay === undefined
    ? (type === 'adamw' ? 0.01 : 0)
    : checkNonNegative(w, 'weightDecay', s.weightDecay);
  return Object.freeze({ type: type as 'adam' | 'adamw', learningRate, beta1, beta2, epsilon, weightDecay, ...clip });
}

function checkNonNegative(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ArgumentError(`${where}: ${name} must be a finite number ≥ 0, got ${show(value)}`);
  }
  // The update kernels compute in float32: a larger value would become +Infinity there.
  if (!Number.isFinite(Math.fround(value))) {
    throw new ArgumentError(`${where}: ${name} is ${value}, beyond the float32 range (3.4e38) the update computes in`);
  }
  return value;
}

function checkPositive(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ArgumentError(`${where}: ${name} must be a finite number > 0, got ${show(value)}`);
  }
  return value;
}

function checkBeta(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new ArgumentError(`${where}: ${name} must be in [0, 1), got ${show(value)}`);
  }
  return value;
}

/** A validated copy of a ParameterBlock's geometry. */
interface Ranges {
  readonly size: number;
  readonly params: number;
  readonly grads: number;
  readonly offsets: readonly number[];
  readonly lengths: readonly number[];
}

/**
 * Checks a ParameterBlock against the contract (types.ts) and the current WASM
 * memory: integer, 4-byte-aligned, non-overlapping params and grads inside
 * memory; trainable ranges sorted, non-overlapping, non-empty and inside size.
 */
function checkBlock(where: string, block: unknown): Ranges {
  if (typeof block !== 'object' || block === null) {
    throw new ArgumentError(`${where}: block must be a ParameterBlock, got ${show(block)}`);
  }
  const b = block as Record<string, unknown>;
  const size = b.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1) {
    throw new ShapeError(`${where}: block.size must be a positive integer, got ${show(size)}`);
  }
  const memoryBytes = runtime(where).memory.buffer.byteLength;
  for (const name of ['params', 'grads'] as const) {
    const ptr = b[name];
    if (typeof ptr !== 'number' || !Number.isSafeInteger(ptr) || ptr <= 0 || ptr % 4 !== 0) {
      throw new ArgumentError(`${where}: block.${name} must be a positive multiple of 4 (a byte offset), got ${show(ptr)}`);
    }
    if (ptr + size * 4 > memoryBytes) {
      throw new ArgumentError(
        `${where}: block.${name} (${ptr}) + ${size} floats ends beyond WASM memory (${memoryBytes} bytes)`,
      );
    }
  }
  const params = b.params as number, grads = b.grads as number;
  if (Math.abs(params - grads) < size * 4) {
    throw new ArgumentError(`${where}: block.params and block.grads overlap (${params} and ${grads}, ${size} floats each)`);
  }
  // Inside memory the library handed out and still holds: not a Matrix or a model of someone else's, not freed memory.
  for (const name of ['params', 'grads'] as const) {
    if (runtime(where).allocator.blockAt(b[name] as number, size * 4) === 0) {
      throw new ArgumentError(`${where}: block.${name} (${b[name] as number}) + ${size} floats is not inside one live block of WASM memory`);
    }
  }
  return { size, params, grads, ...checkTrainable(where, b.trainable, size) };
}

/** block.trainable checked against the contract (types.ts): sorted, non-overlapping, non-empty ranges inside size. */
function checkTrainable(where: string, trainable: unknown, size: number): { offsets: number[]; lengths: number[] } {
  if (!Array.isArray(trainable)) {
    throw new ArgumentError(`${where}: block.trainable must be an array of [offset, length] pairs, got ${show(trainable)}`);
  }
  const offsets: number[] = [], lengths: number[] = [];
  let end = 0;
  for (let i = 0; i < trainable.length; i++) {
    const r: unknown = trainable[i];
    const off = Array.isArray(r) ? r[0] : undefined, len = Array.isArray(r) ? r[1] : undefined;
    if (!Array.isArray(r) || r.length !== 2 || !isIndex(off) || !isIndex(len) || len === 0) {
      throw new ArgumentError(
        `${where}: block.trainable[${i}] must be [offset, length] with integers offset ≥ 0 and length ≥ 1, got ${show(r)}`,
      );
    }
    if (off < end) {
      throw new ShapeError(
        `${where}: block.trainable[${i}] = [${off}, ${len}] starts before the end of the previous range (${end}); ranges must be sorted and non-overlapping`,
      );
    }
    if (off + len > size) {
      throw new ShapeError(`${where}: block.trainable[${i}] = [${off}, ${len}] ends beyond block.size (${size})`);
    }
    offsets.push(off);
    lengths.push(len);
    end = off + len;
  }
  return { offsets, lengths };
}

/** Whether block.trainable still lists exactly the ranges `r` holds. */
function sameRanges(trainable: unknown, r: Ranges): boolean {
  if (!Array.isArray(trainable) || trainable.length !== r.offsets.length) return false;
  for (let i = 0; i < trainable.length; i++) {
    const t: unknown = trainable[i];
    if (!Array.isArray(t) || t.length !== 2 || t[0] !== r.offsets[i] || t[1] !== r.lengths[i]) return false;
  }
  return true;
}

function isIndex(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** Σ g² over the trainable ranges, one f64-accumulating reduction per range, added in range order. */
function sumSquaresOf(r: Ranges, where: string): number {
  const k = runtime(where).kernels;
  let s = 0;
  for (let i = 0; i < r.offsets.length; i++) s += k.sumSquaresF64(r.lengths[i]!, r.grads + r.offsets[i]! * 4);
  return s;
}

/** Whether a gradient in the trainable ranges is NaN or ±∞ (a scan that stops at the first). */
function anyNonFinite(r: Ranges, where: string): boolean {
  const k = runtime(where).kernels;
  for (let i = 0; i < r.offsets.length; i++) if (k.firstNonFinite(r.lengths[i]!, r.grads + r.offsets[i]! * 4) >= 0) return true;
  return false;
}

/** The global L2 norm of the gradients over the block's trainable ranges. */
export function gradNorm(block: ParameterBlock): number {
  return Math.sqrt(sumSquaresOf(checkBlock('gradNorm', block), 'gradNorm'));
}

/**
 * PyTorch's clip_grad_norm_ over the trainable ranges: if the global L2 norm of
 * the gradients exceeds maxNorm, scales them in place by maxNorm/norm.
 * Returns the norm before clipping (Infinity or NaN if a gradient is; the
 * gradients are then scaled by 0 or left alone, as in PyTorch and TF).
 */
export function clipGradNorm(block: ParameterBlock, maxNorm: number): number {
  const where = 'clipGradNorm';
  const max = checkPositive(where, 'maxNorm', maxNorm);
  const r = checkBlock(where, block);
  const norm = Math.sqrt(sumSquaresOf(r, where));
  if (norm > max) {
    const k = runtime(where).kernels;
    const factor = max / norm;
    for (let i = 0; i < r.offsets.length; i++) k.scale(r.lengths[i]!, factor, r.grads + r.offsets[i]! * 4);
  }
  return norm;
}

/** PyTorch's clip_grad_value_: clamps every trainable gradient to [−limit, limit] in place (NaN stays NaN). */
export function clipGradValue(block: ParameterBlock, limit: number): void {
  const where = 'clipGradValue';
  const c = checkPositive(where, 'limit', limit);
  const r = checkBlock(where, block);
  const k = runtime(where).kernels;
  for (let i = 0; i < r.offsets.length; i++) k.clampAbs(r.lengths[i]!, c, r.grads + r.offsets[i]! * 4);
}

/** ' of parameter "name"' for the first tensor of a Parameters block with a non-finite value in `which`; '' if unknown. */
function tensorName(block: ParameterBlock | null, which: 'params' | 'grads', where: string): string {
  const list = (block as { list?: () => readonly { name: string; offset: number; size: number }[] } | null)?.list;
  if (typeof list !== 'function') return '';
  const k = runtime(where).kernels;
  const base = block![which];
  for (const p of list.call(block)) {
    if (!Number.isFinite(k.sumSquaresF64(p.size, base + p.offset * 4))) return ` of parameter "${p.name}"`;
  }
  return '';
}

/**
 * @internal For the trainers: one update of `optimizer` at `learningRate`, the gradient already
 * checked; false if a parameter became non-finite. `onPool: false` keeps the update on the calling
 * thread (the same floats either way): for a step whose batch ran there alone, handing half the
 * weights and their moments to another core costs more than it saves (a step at batch 32 on two
 * threads went from 0.99x to 0.7-0.86x of one thread's speed with the update on the pool).
 */
export function applyUpdate(optimizer: Optimizer, learningRate: number, onPool = true): boolean {
  return applyUpdates([optimizer], learningRate, onPool);
}

/**
 * @internal applyUpdate for several optimizers (one model's blocks), all or none: when
 * one of them runs in pieces on the pool and a worker thread throws, traps or dies
 * there, some pieces were applied and others not, so every optimizer's state (its
 * moments, β₁ᵗ and β₂ᵗ, its step count) is put back as it was before this call and
 * the error goes on to the caller, who puts back the weights (GuardedSteps keeps
 * them). Only then is the state kept: an update in pieces writes its new state
 * into a second buffer and keeps the old one (#applyInPieces), another optimizer of
 * the list is copied here (small: fewer than two pieces of parameters, or on the
 * calling thread). false: a parameter became non-finite (the updates after it are
 * not run).
 */
export function applyUpdates(optimizers: readonly Optimizer[], learningRate: number, onPool = true): boolean {
  const list = optimizers as readonly BlockOptimizer[];
  // Each block alive and its trainable ranges read before keepState: a freeze since the last step may widen the state.
  for (const o of list) o.sync();
  if (!list.some((o) => o.updatesInPieces(onPool))) return list.every((o) => o.applyUnchecked(learningRate, onPool));
  return allOrNone(list, onPool, () => list.every((o) => o.applyUnchecked(learningRate, onPool)));
}

/** Runs `update`; if it throws, every optimizer of `list` puts its state back (keepState, putBackState) and the error goes on. */
function allOrNone<T>(list: readonly BlockOptimizer[], onPool: boolean, update: () => T): T {
  for (const o of list) o.keepState(onPool);
  try {
    return update();
  } catch (err) {
    for (const o of list) o.putBackState();
    throw err;
  }
}

/**
 * Appends to `program` the calls that finish the gradient's floats at byte
 * address `g`, `floats` of them (a piece of a trainable range), before the
 * update reads them: the trainer's sum of its micro-shards' gradients.
 */
export type GradientPiece = (program: number[], g: number, floats: number) => void;

/** What applyUpdateAfter did. */
export type UpdateOutcome = 'updated' | 'overflowed' | 'nonFiniteGradient';

/**
 * @internal Whether applyUpdateAfter can run `optimizer`'s update now: in pieces
 * on the pool's threads (two threads or more, at least two pieces of
 * parameters), with no global norm to take over the whole gradient first.
 */
export function canFinishGradient(optimizer: Optimizer): boolean {
  return (optimizer as BlockOptimizer).finishingRunner() !== null;
}

/**
 * @internal For the trainers, where canFinishGradient(optimizer): one job on the
 * pool that first finishes and checks the gradient piece by piece (`piece`,
 * then a scan for a non-finite float), then, once every piece of the gradient
 * is finished and finite, updates every piece. The same floats as the trainer
 * finishing the gradient, checking it and calling applyUpdate, without the
 * gradient's sums and scan on the calling thread between two jobs.
 * 'nonFiniteGradient': nothing was updated (the parameters, the optimizer's state
 * and its step count are as they were). A worker that throws or dies in the job:
 * the optimizer's state and step count are as they were (the new state went to a
 * second buffer, taken only when every piece has run), and the error goes on.
 */
export function applyUpdateAfter(optimizer: Optimizer, learningRate: number, piece: GradientPiece): UpdateOutcome {
  return (optimizer as BlockOptimizer).applyAfter(learningRate, piece);
}

/**
 * Floats of the parameters per task when an update runs on the pool's threads
 * (32 KB of each of the parameters, gradients and state slots): blocks of at least
 * two pieces are updated there (the benchmark network's 50k parameters: 7 tasks).
 */
const UPDATE_PIECE = 8192;

const NAMES = { sgd: 'an SGD optimizer', adam: 'an Adam optimizer', adamw: 'an AdamW optimizer' } as const;

class BlockOptimizer implements Optimizer {
  readonly config: Readonly<OptimizerConfig>;
  #iterations = 0;
  #lastGradNorm = NaN;
  #disposed = false;
  /** The block's geometry and its trainable ranges as the last step read them. */
  #ranges: Ranges | null = null;
  #block: ParameterBlock | null = null;
  /** The allocator and the serial numbers of the blocks holding the parameters and the gradients at attach (Allocator.blockAt). */
  #allocator: Allocator | null = null;
  #paramsBlock = 0;
  #gradsBlock = 0;
  /**
   * Spans: the runs of the block (offset, length in floats) that have optimizer state,
   * sorted: the trainable ranges at attach, then every float trainable since. Each has
   * its place in a state slot (#spanState, floats), Adam's β₁ᵗ and β₂ᵗ (PyTorch counts a
   * parameter's steps itself: a frozen one's stop), and whether it is trainable now. A
   * freeze or unfreeze splits spans at the new ranges' ends, so each is wholly in or out.
   */
  #spanOff: number[] = [];
  #spanLen: number[] = [];
  #spanState: number[] = [];
  #spanOn: boolean[] = [];
  #spanB1: number[] = [];
  #spanB2: number[] = [];
  /** Floats per state slot (Σ over spans of their length rounded up to 4). */
  #stride = 0;
  // Per kernel call (one per trainable span): length, byte offsets of parameters, gradients, state slot 0 / 1 (0 if absent), span.
  #n: number[] = [];
  #p: number[] = [];
  #g: number[] = [];
  #s0: number[] = [];
  #s1: number[] = [];
  #span: number[] = [];
  #state = 0;
  #stateBytes = 0;
  readonly #memory: Holding = new Holding('Optimizer');

  // Built once: step() allocates nothing.
  readonly #stepWhere: string;

  constructor(config: OptimizerConfig) {
    this.config = config;
    this.#stepWhere = `${config.type}.step`;
  }

  get type(): OptimizerSpec['type'] { return this.config.type; }
  get iterations(): number { return this.#iterations; }
  get lastGradNorm(): number { return this.#lastGradNorm; }
  get stateBytes(): number { return this.#stateBytes; }

  /** State slots per parameter: Adam's m and v, SGD's velocity (with momentum). */
  #slots(): number {
    const c = this.config;
    if (c.type === 'sgd') return c.momentum > 0 ? 1 : 0;
    return 2;
  }

  attach(block: ParameterBlock): this {
    const where = `${this.#name()}.attach`;
    this.#checkLive();
    if (this.#ranges !== null) {
      throw new ArgumentError(`${where}: already attached to a parameter block; create one optimizer per block`);
    }
    const r = checkBlock(where, block);
    const allocator = runtime(where).allocator;
    const slots = this.#slots();
    // Each range's state starts on a 16-byte boundary (whole v128s).
    let stride = 0;
    for (let i = 0; i < r.offsets.length; i++) {
      this.#addSpan(this.#spanOff.length, r.offsets[i]!, r.lengths[i]!, stride, 1, 1, true);
      stride += Math.ceil(r.lengths[i]! / 4) * 4;
    }
    if (slots > 0 && stride > 0) {
      const bytes = slots * stride * 4;
      this.#state = this.#memory.alloc(this, bytes);
      this.#stateBytes = bytes;
      heapF32().fill(0, this.#state >>> 2, (this.#state >>> 2) + slots * stride);
    }
    this.#stride = stride;
    this.#ranges = r;
    this.#block = block;
    this.#allocator = allocator;
    this.#paramsBlock = allocator.blockAt(r.params, r.size * 4);
    this.#gradsBlock = allocator.blockAt(r.grads, r.size * 4);
    this.#buildCalls();
    return this;
  }

  #addSpan(at: number, off: number, len: number, state: number, b1 = 1, b2 = 1, on = false): void {
    this.#spanOff.splice(at, 0, off);
    this.#spanLen.splice(at, 0, len);
    this.#spanState.splice(at, 0, state);
    this.#spanOn.splice(at, 0, on);
    this.#spanB1.splice(at, 0, b1);
    this.#spanB2.splice(at, 0, b2);
  }

  /** The kernel calls: one per trainable span, with its pointers into the parameters, gradients and state. */
  #buildCalls(): void {
    const r = this.#ranges!, slots = this.#slots();
    this.#n = []; this.#p = []; this.#g = []; this.#s0 = []; this.#s1 = []; this.#span = [];
    for (let j = 0; j < this.#spanOff.length; j++) {
      if (!this.#spanOn[j]) continue;
      const off = this.#spanOff[j]!, state = this.#spanState[j]!;
      this.#n.push(this.#spanLen[j]!);
      this.#p.push(r.params + off * 4);
      this.#g.push(r.grads + off * 4);
      this.#s0.push(slots > 0 ? this.#state + state * 4 : 0);
      this.#s1.push(slots > 1 ? this.#state + (this.#stride + state) * 4 : 0);
      this.#span.push(j);
    }
  }

  /**
   * @internal Before an update: the attached block still alive (its memory not freed,
   * as by the Network's dispose) and where it was, and its trainable ranges as they
   * are now (a freeze or an unfreeze since the last step takes effect here).
   */
  sync(where = this.#stepWhere): Ranges {
    this.#checkLive();
    const r = this.#ranges;
    if (r === null) throw new ArgumentError(`${where}: no parameter block attached; call attach(block) first`);
    const allocator = runtime(where).allocator;
    if (allocator !== this.#allocator || allocator.blockAt(r.params, r.size * 4) !== this.#paramsBlock || allocator.blockAt(r.grads, r.size * 4) !== this.#gradsBlock) {
      throw new DisposedError(`${where}: the parameter block this optimizer is attached to`);
    }
    const b = this.#block as unknown as Record<string, unknown>;
    if (b.params !== r.params || b.grads !== r.grads || b.size !== r.size) {
      throw new ArgumentError(`${where}: the block's size, params or grads changed since attach; attach a new optimizer to it`);
    }
    const trainable = b.trainable;
    if (!sameRanges(trainable, r)) this.#retrain(where, trainable);
    return this.#ranges!;
  }

  /** New trainable ranges: spans split at their ends, state for floats that had none (zeros, PyTorch's lazy state), the calls rebuilt. */
  #retrain(where: string, trainable: unknown): void {
    const old = this.#ranges!;
    const t = checkTrainable(where, trainable, old.size);
    const cuts: number[] = [];
    for (let i = 0; i < t.offsets.length; i++) cuts.push(t.offsets[i]!, t.offsets[i]! + t.lengths[i]!);
    for (const x of cuts) {
      for (let j = 0; j < this.#spanOff.length; j++) {
        const off = this.#spanOff[j]!, len = this.#spanLen[j]!;
        if (x <= off || x >= off + len) continue;
        this.#spanLen[j] = x - off;
        this.#addSpan(j + 1, x, off + len - x, this.#spanState[j]! + (x - off), this.#spanB1[j], this.#spanB2[j]);
        break;
      }
    }
    // The floats of the new ranges no span covers: new spans, whose state goes after the old.
    let stride = this.#stride;
    for (let i = 0; i < t.offsets.length; i++) {
      let at = t.offsets[i]!;
      const end = at + t.lengths[i]!;
      for (let j = 0; at < end; j++) {
        const next = j < this.#spanOff.length ? this.#spanOff[j]! : Infinity;
        if (next + (j < this.#spanOff.length ? this.#spanLen[j]! : 0) <= at) continue;
        if (next > at) {
          const len = Math.min(next, end) - at;
          this.#addSpan(j, at, len, stride);
          stride += Math.ceil(len / 4) * 4;
          at += len;
        } else {
          at = next + this.#spanLen[j]!;
        }
      }
    }
    if (stride !== this.#stride) this.#growState(stride);
    for (let j = 0; j < this.#spanOff.length; j++) {
      const off = this.#spanOff[j]!;
      let on = false;
      for (let i = 0; i < t.offsets.length && !on; i++) on = off >= t.offsets[i]! && off < t.offsets[i]! + t.lengths[i]!;
      this.#spanOn[j] = on;
    }
    this.#ranges = { size: old.size, params: old.params, grads: old.grads, offsets: t.offsets, lengths: t.lengths };
    this.#buildCalls();
  }

  /** Each state slot widened to `stride` floats: the old state kept where it was in its slot, the rest zero. */
  #growState(stride: number): void {
    const slots = this.#slots();
    if (slots > 0) {
      const bytes = slots * stride * 4;
      const state = this.#memory.alloc(this, bytes, 'the optimizer\'s state');
      const heap = heapF32();
      heap.fill(0, state >>> 2, (state >>> 2) + slots * stride);
      for (let k = 0; k < slots && this.#state !== 0; k++) {
        const from = (this.#state >>> 2) + k * this.#stride;
        heap.copyWithin((state >>> 2) + k * stride, from, from + this.#stride);
      }
      this.#memory.free(this.#state);
      this.#memory.free(this.#spare);
      this.#spare = 0;
      this.#state = state;
      this.#stateBytes = bytes;
    }
    this.#stride = stride;
  }

  step(options?: StepOptions): void {
    const where = this.#stepWhere;
    // Disposed or unattached before the options are read (sync() checks both again, with the block).
    this.#checkLive();
    if (this.#ranges === null) throw new ArgumentError(`${where}: no parameter block attached; call attach(block) first`);
    let lr = this.config.learningRate;
    if (options !== undefined) {
      if (typeof options !== 'object' || options === null) {
        throw new ArgumentError(`${where}: options must be an object, got ${show(options)}`);
      }
      // for…in rather than Object.keys: no allocation per step.
      for (const key in options) {
        if (key !== 'learningRate') throw new ArgumentError(`${where}: unknown option "${key}" (known: learningRate)`);
      }
      if (options.learningRate !== undefined) lr = checkNonNegative(where, 'learningRate', options.learningRate);
    }
    const r = this.sync(where);
    // With globalClipNorm the norm is needed anyway; else the cheaper scan for a NaN or ±∞.
    const sq = this.config.globalClipNorm === undefined ? (anyNonFinite(r, where) ? NaN : 0) : sumSquaresOf(r, where);
    if (!Number.isFinite(sq)) {
      throw new TrainingDivergedError('', this.#iterations, `the gradient${tensorName(this.#block, 'grads', where)}`,
        'The parameters and the optimizer state were not updated');
    }
    if (!this.#apply(lr, this.config.globalClipNorm === undefined ? NaN : sq)) {
      throw new TrainingDivergedError('', this.#iterations - 1, `the updated parameters${tensorName(this.#block, 'params', where)}`,
        'The update overflowed float32, so the parameters are no longer finite');
    }
  }

  /**
   * @internal One update without checking the gradient first (the caller did), after sync()
   * (applyUpdates calls it for every optimizer first); false if a parameter became non-finite.
   */
  applyUnchecked(learningRate: number, onPool = true): boolean {
    return this.#apply(learningRate, this.config.globalClipNorm === undefined ? NaN : sumSquaresOf(this.#ranges!, this.#stepWhere), onPool);
  }

  /** @internal The pool's runner when applyUpdateAfter can run now (canFinishGradient), else null. */
  finishingRunner(): ProgramRunner | null {
    return this.config.globalClipNorm === undefined && this.#ranges !== null && !this.#disposed ? this.#piecesRunner(true) : null;
  }

  /** @internal applyUpdateAfter. */
  applyAfter(learningRate: number, piece: GradientPiece): UpdateOutcome {
    this.sync();
    const runner = this.finishingRunner();
    if (runner === null) throw new Error(`${this.#stepWhere}: applyUpdateAfter needs an update in pieces on the pool (canFinishGradient)`);
    const bad = this.#applyInPieces(runner, learningRate, 1, this.config.clipValue ?? Infinity, piece);
    return bad === 'gradient' ? 'nonFiniteGradient' : bad === 'parameters' ? 'overflowed' : 'updated';
  }

  /** The update; `sq` is Σg² over the trainable ranges when known (needed for globalClipNorm). */
  #apply(lr: number, sq: number, onPool = true): boolean {
    const where = this.#stepWhere;
    const r = this.#ranges!;
    const c = this.config;
    const k = runtime(where).kernels;
    let gradScale = 1;
    if (c.globalClipNorm !== undefined) {
      const norm = Math.sqrt(Number.isNaN(sq) ? sumSquaresOf(r, where) : sq);
      this.#lastGradNorm = norm;
      if (norm > c.globalClipNorm) gradScale = c.globalClipNorm / norm;
    }
    const clip = c.clipValue ?? Infinity;
    const n = this.#n;
    const runner = this.#piecesRunner(onPool);
    if (runner !== null) return this.#applyInPieces(runner, lr, gradScale, clip, null) === null;
    this.#iterations++;
    let bad = 0;
    if (c.type === 'sgd') {
      const nesterov = c.nesterov ? 1 : 0;
      for (let i = 0; i < n.length; i++) {
        bad |= k.sgd(n[i]!, this.#p[i]!, this.#g[i]!, this.#s0[i]!, this.#s0[i]!, lr, c.momentum, c.weightDecay, nesterov, gradScale, clip);
      }
    } else {
      const decoupled = c.type === 'adamw' ? 1 : 0;
      for (let i = 0; i < n.length; i++) {
        const j = this.#span[i]!;
        const b1 = this.#spanB1[j]! * c.beta1, b2 = this.#spanB2[j]! * c.beta2;
        this.#spanB1[j] = b1;
        this.#spanB2[j] = b2;
        bad |= k.adam(
          n[i]!, this.#p[i]!, this.#g[i]!, this.#s0[i]!, this.#s1[i]!, this.#s0[i]!, this.#s1[i]!,
          lr, c.beta1, c.beta2, c.epsilon, c.weightDecay, decoupled,
          1 - b1, 1 - b2, gradScale, clip,
        );
      }
    }
    return bad === 0;
  }

  /**
   * The update on the pool's threads: the trainable ranges cut into pieces of
   * UPDATE_PIECE floats (a multiple of 4: each float goes through the kernel's
   * SIMD loop or its tail exactly as in one call over its range, so the pieces
   * give the same floats for any thread count), each piece's kernel call then a
   * scan of the floats it wrote for one that is not finite. The kernels read the
   * state and write the new state into #spare (the same layout), which becomes the
   * state only once every piece has run: an update that fails half-way (a worker
   * that throws, traps or dies) leaves the state as it was, with no copy of it to
   * make first. With `gradient`, a first phase of the same pieces finishes the
   * gradient and scans it; the updates begin once every piece of the first phase
   * has ended, and run only if the gradient is finite (PROGRAM.phase,
   * src/threads/tasks.ts). Returns null, or what was not finite: the gradient
   * (then nothing changed) or the updated parameters.
   */
  #applyInPieces(runner: ProgramRunner, lr: number, gradScale: number, clip: number, gradient: GradientPiece | null): 'gradient' | 'parameters' | null {
    const c = this.config, n = this.#n;
    const finishing: number[][] = [], updates: number[][] = [];
    let finish: number[] = [], update: number[] = [], floats = 0;
    if (this.#spare === 0 && this.#stateBytes > 0) this.#spare = this.#memory.alloc(this, this.#stateBytes, 'the optimizer\'s next state');
    const spare = this.#spare - this.#state;
    for (let i = 0; i < n.length; i++) {
      const j = this.#span[i]!;
      const bc1 = c.type === 'sgd' ? 0 : 1 - this.#spanB1[j]! * c.beta1, bc2 = c.type === 'sgd' ? 0 : 1 - this.#spanB2[j]! * c.beta2;
      for (let at = 0; at < n[i]!; at += UPDATE_PIECE) {
        const len = Math.min(UPDATE_PIECE, n[i]! - at), off = at * 4;
        const p = this.#p[i]! + off, g = this.#g[i]! + off;
        const s0 = this.#s0[i] === 0 ? 0 : this.#s0[i]! + off, s1 = this.#s1[i] === 0 ? 0 : this.#s1[i]! + off;
        // The piece's new state in the spare buffer, at the same place.
        const n0 = s0 === 0 ? 0 : s0 + spare, n1 = s1 === 0 ? 0 : s1 + spare;
        if (gradient !== null) {
          gradient(finish, g, len);
          encodeCall(finish, 'firstNonFinite', [len, g]);
        }
        if (c.type === 'sgd') encodeCall(update, 'sgd', [len, p, g, s0, n0, lr, c.momentum, c.weightDecay, c.nesterov ? 1 : 0, gradScale, clip]);
        else encodeCall(update, 'adam', [len, p, g, s0, s1, n0, n1, lr, c.beta1, c.beta2, c.epsilon, c.weightDecay, c.type === 'adamw' ? 1 : 0, bc1, bc2, gradScale, clip]);
        encodeCall(update, 'firstNonFinite', [len, p]);
        floats += len;
        if (floats >= UPDATE_PIECE) {
          finishing.push(finish);
          updates.push(update);
          finish = []; update = []; floats = 0;
        }
      }
    }
    if (update.length > 0) {
      finishing.push(finish);
      updates.push(update);
    }
    const pieces = this.#pieces ??= new ProgramPieces((bytes) => this.#memory.alloc(this, bytes, 'an update\'s programs'), (ptr) => this.#memory.free(ptr));
    const phase = gradient !== null ? finishing.length : 0;
    // A worker that fails in the job throws here: the state is then as it was (the pieces that ran wrote into #spare).
    const bad = pieces.run(runtime(this.#stepWhere).memory, phase > 0 ? [...finishing, ...updates] : updates, (table, count, results, at) => runner.runPieces(table, count, results, at), phase);
    if (bad >= 0 && bad < phase) return 'gradient';
    this.#takeSpare();
    this.#iterations++;
    if (c.type !== 'sgd') {
      for (const j of this.#span) {
        this.#spanB1[j] = this.#spanB1[j]! * c.beta1;
        this.#spanB2[j] = this.#spanB2[j]! * c.beta2;
      }
    }
    return bad < 0 ? null : 'parameters';
  }

  /**
   * Every piece of an update in pieces has run: its new state, in #spare, becomes
   * the state, and the old state's buffer the spare (putBackState swaps them back).
   */
  #takeSpare(): void {
    const delta = this.#spare - this.#state;
    if (delta === 0) return;
    [this.#state, this.#spare] = [this.#spare, this.#state];
    for (let i = 0; i < this.#s0.length; i++) {
      if (this.#s0[i] !== 0) this.#s0[i]! += delta;
      if (this.#s1[i] !== 0) this.#s1[i]! += delta;
    }
  }

  /** The pool's runner when an update (onPool) runs in pieces there now: a block of two pieces or more, two threads or more; else null. */
  #piecesRunner(onPool: boolean): ProgramRunner | null {
    const runner = onPool && this.#ranges!.size >= 2 * UPDATE_PIECE ? programRunnerOf(runtime(this.#stepWhere).kernels) : null;
    return runner !== null && runner.threads >= 2 ? runner : null;
  }

  /** @internal Whether applyUnchecked(…, onPool) would run in pieces on the pool now (applyUpdates). */
  updatesInPieces(onPool: boolean): boolean {
    return this.#ranges !== null && !this.#disposed && this.#piecesRunner(onPool) !== null;
  }

  /** The state slots and the step's scalars as they were before an update (keepState), for putBackState. */
  #keptState: Float32Array | null = null;
  #keptScalars = new Float64Array(2);
  /** Each span's β₁ᵗ, then each span's β₂ᵗ, as keepState found them. */
  #keptPowers = new Float64Array(0);
  /** Where the state was when keepState ran. */
  #keptAt = 0;
  /** Where an update in pieces writes the new state (#applyInPieces): #stateBytes, the layout of #state; 0 until the first. */
  #spare = 0;

  /**
   * @internal Keeps what putBackState needs to undo the next update (applyUpdates,
   * before an update that may fail half-way, after sync): the step count, each span's
   * β₁ᵗ and β₂ᵗ and the last norm; and the state slots, unless the update runs in
   * pieces on the pool, which leaves them as they are until every piece has run
   * (#applyInPieces).
   */
  keepState(onPool = true): void {
    this.#keptAt = this.#state;
    const floats = this.#stateBytes >>> 2;
    if (floats > 0 && !this.updatesInPieces(onPool)) {
      if (this.#keptState?.length !== floats) this.#keptState = new Float32Array(floats);
      this.#keptState.set(heapF32().subarray(this.#state >>> 2, (this.#state >>> 2) + floats));
    } else {
      this.#keptState = null;
    }
    const s = this.#keptScalars, spans = this.#spanB1.length;
    s[0] = this.#iterations; s[1] = this.#lastGradNorm;
    if (this.#keptPowers.length !== 2 * spans) this.#keptPowers = new Float64Array(2 * spans);
    for (let j = 0; j < spans; j++) {
      this.#keptPowers[j] = this.#spanB1[j]!;
      this.#keptPowers[spans + j] = this.#spanB2[j]!;
    }
  }

  /** @internal Back to what keepState kept. */
  putBackState(): void {
    if (this.#disposed) return;
    if (this.#keptState !== null) heapF32().set(this.#keptState, this.#state >>> 2);
    // An update in pieces that ran to the end (an optimizer before the one that failed, in applyUpdates) took the spare: the old state is there.
    else if (this.#state !== this.#keptAt) this.#takeSpare();
    const s = this.#keptScalars, spans = this.#spanB1.length;
    this.#iterations = s[0]!; this.#lastGradNorm = s[1]!;
    for (let j = 0; j < spans; j++) {
      this.#spanB1[j] = this.#keptPowers[j]!;
      this.#spanB2[j] = this.#keptPowers[spans + j]!;
    }
  }

  /** The programs of #applyInPieces (made at its first use). */
  #pieces: ProgramPieces | null = null;

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#pieces = null;
    this.#memory.release();
    this.#spare = 0;
    this.#state = 0;
    this.#stateBytes = 0;
    this.#ranges = null;
    this.#block = null;
    this.#allocator = null;
    this.#spanOff = []; this.#spanLen = []; this.#spanState = []; this.#spanOn = []; this.#spanB1 = []; this.#spanB2 = [];
    this.#n = []; this.#p = []; this.#g = []; this.#s0 = []; this.#s1 = []; this.#span = [];
  }

  [disposeSymbol](): void {
    this.dispose();
  }

  /**
   * @internal For tests: copies of the state slots laid out like the parameter
   * block (block.size floats each; NaN where a float has no state: never trainable
   * since attach). A frozen tensor's state stays as its last update left it.
   */
  readState(): Float32Array[] {
    const r = this.#ranges;
    if (r === null) return [];
    const heap = heapF32();
    const out: Float32Array[] = [];
    for (let k = 0; k < this.#slots(); k++) {
      const slot = new Float32Array(r.size).fill(NaN);
      const base = (this.#state >>> 2) + k * this.#stride;
      for (let j = 0; j < this.#spanOff.length; j++) {
        const at = base + this.#spanState[j]!;
        slot.set(heap.subarray(at, at + this.#spanLen[j]!), this.#spanOff[j]!);
      }
      out.push(slot);
    }
    return out;
  }

  #name(): string {
    return this.config.type;
  }

  #checkLive(): void {
    if (this.#disposed) throw new DisposedError(NAMES[this.config.type]);
  }
}
