// Adversarial examples of a multi-task model, and training and evaluation on them:
// FGSM (Goodfellow et al. 2015) and PGD (Madry et al. 2018) in the L∞ ball of
// radius ε around each row, in the feature space the network reads (a Dataset's
// encoded features: standardized numeric columns, so ε is in standard deviations).
// Only the features `perturbable` marks move (the model's numeric columns; one-hot
// categories and missing-value indicators stay as they are). Both ascend the
// gradient of the joint loss Σ_t w_t · L_t with respect to the inputs
// (MultiTaskModelCore.inputGradient), the loss the model trains on, w_t the
// weighting strategy's current task weights (lossWeights below).
// Training only: the inference bundle never reaches this file.

import { heapF32, runtime } from '../runtime/module.js';
import { ArgumentError } from '../runtime/errors.js';
import { Holding } from '../runtime/holdings.js';
import { F32_MAX, checkBoolean, checkChoice, checkInteger, checkKeys, checkNumber, checkSeed, isRecord, show } from '../runtime/validate.js';
import { Rng, RngStream } from '../nn/rng.js';
import type { MultiTaskModelCore, ResidentData } from './core.js';
import { PREDICT_CHUNK } from '../graph/forward.js';

/**
 * The task weights w_t of the joint loss an attack ascends and inputGradient
 * differentiates: the weighting strategy's current ones (what the history reports
 * for the latest epoch: fixed weights, uncertainty's exp(−s_t), a gradient
 * strategy's mean coefficient …), and 1, as under equal weighting, for a task that
 * has none yet: before the strategy's first step (the strategies that report a
 * mean over steps), or when the task had no labels in the latest epoch.
 */
export function lossWeights(core: MultiTaskModelCore): Float64Array {
  const w = Float64Array.from(core.weighting.currentWeights());
  for (let t = 0; t < w.length; t++) if (!Number.isFinite(w[t]!)) w[t] = 1;
  return w;
}

/**
 * An attack on a model's inputs: evaluate's `attack`, and what fit's `adversarial`
 * trains against. It ascends the joint loss Σ_t w_t · L_t, w_t the weighting
 * strategy's current task weights (1 for a task without one yet: see lossWeights).
 */
export interface AttackOptions {
  /** 'fgsm': one step of ε·sign(∇ₓL). 'pgd': `steps` steps of stepSize·sign(∇ₓL), each projected back into the ε-ball. */
  method: 'fgsm' | 'pgd';
  /** The L∞ radius, ≥ 0, in the units of the features the network reads (standard deviations for a Dataset's numeric columns). */
  epsilon: number;
  /** PGD only: the number of steps, an integer ≥ 1. Default 10. */
  steps?: number;
  /** PGD only: each step's size, > 0. Default 2.5 · ε / steps (Madry et al.). */
  stepSize?: number;
  /** PGD only: start from a uniform draw in the ε-ball (seeded, the `adversarial` random stream). Default true. */
  randomStart?: boolean;
}

/** fit's `adversarial`: an attack, and the share of each batch's rows it replaces. */
export interface AdversarialTrainingOptions extends AttackOptions {
  /** The share of each batch's rows replaced by their adversarial examples, in (0, 1]. Default 1. */
  fraction?: number;
}

/** evaluate's options. */
export interface EvaluateOptions {
  /** Evaluate on adversarial examples of the rows instead of the rows themselves. */
  attack?: AttackOptions & {
    /** Seeds PGD's random start (default: the model's seed). */
    seed?: number;
  };
}

/** A checked attack. */
export interface Attack {
  /** The option it was given as, for errors: "fit: adversarial", "evaluate: attack". */
  readonly option?: string;
  readonly method: 'fgsm' | 'pgd';
  readonly epsilon: number;
  readonly steps: number;
  readonly stepSize: number;
  readonly randomStart: boolean;
}

const ATTACK_KEYS = ['method', 'epsilon', 'steps', 'stepSize', 'randomStart'] as const;

/**
 * Checks an attack given as option `name` of `where` (fit's 'adversarial', evaluate's
 * 'attack'), with the extra keys that option takes; every error names the option.
 */
export function readAttack(where: string, name: string, value: unknown, extraKeys: readonly string[] = []): Attack & { readonly raw: Record<string, unknown> } {
  if (!isRecord(value)) throw new ArgumentError(`${where}: ${name} must be an object { method, epsilon, … }, got ${show(value)}`);
  checkKeys(`${where} ${name}`, value, [...ATTACK_KEYS, ...extraKeys]);
  const method = checkChoice(where, `${name}.method`, value.method, ['fgsm', 'pgd'] as const);
  const epsilon = checkNumber(where, `${name}.epsilon`, value.epsilon, (v) => v >= 0 && Number.isFinite(Math.fround(v)), 'a finite number ≥ 0');
  if (method === 'fgsm') {
    for (const key of ['steps', 'stepSize', 'randomStart'] as const) {
      if (value[key] !== undefined) throw new ArgumentError(`${where}: ${name}.${key} applies to method 'pgd' only (FGSM is one step of size epsilon)`);
    }
    return { option: `${where}: ${name}`, method, epsilon, steps: 1, stepSize: epsilon, randomStart: false, raw: value };
  }
  const steps = value.steps === undefined ? 10 : checkInteger(where, `${name}.steps`, value.steps, 1, 100_000);
  const stepSize = value.stepSize === undefined ? (2.5 * epsilon) / steps
    : checkNumber(where, `${name}.stepSize`, value.stepSize, (v) => v > 0 && Number.isFinite(Math.fround(v)), 'a finite number > 0');
  const randomStart = value.randomStart === undefined ? true : checkBoolean(where, `${name}.randomStart`, value.randomStart);
  return { option: `${where}: ${name}`, method, epsilon, steps, stepSize, randomStart, raw: value };
}

/** fit's `adversarial` option, checked. */
export function readAdversarialTraining(where: string, value: unknown): { attack: Attack; fraction: number } {
  const attack = readAttack(where, 'adversarial', value, ['fraction']);
  const fraction = attack.raw.fraction === undefined ? 1
    : checkNumber(where, 'adversarial.fraction', attack.raw.fraction, (v) => v > 0 && v <= 1, 'a number in (0, 1]');
  return { attack, fraction };
}

/** evaluate's options, checked: the attack and its seed, or null. */
export function readEvaluateOptions(where: string, options: unknown, modelSeed: number): { attack: Attack; seed: number } | null {
  if (options === undefined) return null;
  if (!isRecord(options)) throw new ArgumentError(`${where}: options must be an object, got ${show(options)}`);
  checkKeys(where, options, ['attack']);
  if (options.attack === undefined) return null;
  const attack = readAttack(where, 'attack', options.attack, ['seed']);
  const seed = attack.raw.seed === undefined ? modelSeed : checkSeed(`${where} attack`, attack.raw.seed);
  return { attack, seed };
}

/**
 * Perturbs the first rows of the batch in a model's buffers into adversarial
 * examples. Its buffers hold `capacity` rows; it draws PGD's random starts from
 * its own stream of `seed`.
 */
export class Attacker {
  readonly #core: MultiTaskModelCore;
  readonly #attack: Attack;
  readonly #perturbable: Uint8Array;
  readonly #rng: Rng;
  readonly #memory = new Holding('Attacker');
  readonly #capacity: number;
  /** rows × features each: the clean rows, the input gradient (or the random start), the best iterate so far. */
  readonly #clean: number;
  readonly #grad: number;
  readonly #best: number;
  readonly #losses: Float64Array;
  /** The joint loss of the best iterate of the last perturb (PGD), for tests and diagnostics. */
  lastLoss = NaN;

  constructor(core: MultiTaskModelCore, attack: Attack, perturbable: Uint8Array, seed: number, capacity: number) {
    if (perturbable.length !== core.schema.featureCount) throw new ArgumentError(`Attacker: ${perturbable.length} perturbable flags for ${core.schema.featureCount} features`);
    this.#core = core;
    this.#attack = attack;
    this.#perturbable = perturbable;
    this.#capacity = capacity;
    const floats = Math.max(capacity * core.schema.featureCount, 1) * 4;
    this.#clean = this.#memory.alloc(this, floats);
    this.#grad = this.#memory.alloc(this, floats);
    this.#best = this.#memory.alloc(this, floats);
    this.#rng = new Rng(seed, RngStream.adversarial);
    this.#losses = new Float64Array(core.taskNames.length);
  }

  /**
   * Replaces the first `rows` rows of the batch in the buffers by adversarial
   * examples. FGSM: x + ε·sign(g). PGD: from x (or a uniform draw in the ε-ball),
   * `steps` times x ← clip(x + α·sign(g), x₀ − ε, x₀ + ε); the result is the
   * iterate (the start included) with the largest joint loss on these rows, so
   * more steps never give a weaker attack. sign(0) = 0.
   */
  perturb(rows: number): void {
    const core = this.#core, a = this.#attack;
    if (rows > this.#capacity) throw new ArgumentError(`Attacker: ${rows} rows, buffers for ${this.#capacity}`);
    const F = core.schema.featureCount, n = rows * F, mask = this.#perturbable;
    const weights = lossWeights(core);
    const x = core.batchX >>> 2, x0 = this.#clean >>> 2, g = this.#grad >>> 2, best = this.#best >>> 2;
    heapF32().copyWithin(x0, x, x + n);
    const eps = a.epsilon;
    if (eps > 0) core.batchEpsilon = eps;
    if (a.method === 'fgsm') {
      core.inputGradient(rows, weights, this.#grad, this.#losses);
      const h = heapF32();
      for (let i = 0; i < n; i++) if (mask[i % F]) h[x + i] = h[x0 + i]! + eps * Math.sign(h[g + i]!);
      this.#checkFinite(n);
      return;
    }
    if (a.randomStart && eps > 0) {
      // The draws span 2ε, computed in float32 (Rng.uniform refuses a wider range).
      if (2 * eps > F32_MAX) throw new ArgumentError(`${a.option ?? 'attack'}.epsilon = ${eps} moves PGD's random start, beyond float32 (its draws span 2ε)`);
      this.#rng.uniform(this.#grad, n, -eps, eps);
      const h = heapF32();
      for (let i = 0; i < n; i++) if (mask[i % F]) h[x + i] = h[x0 + i]! + h[g + i]!;
      this.#checkFinite(n);
    }
    let bestLoss = -Infinity;
    for (let step = 0; ; step++) {
      core.inputGradient(rows, weights, this.#grad, this.#losses);
      const loss = this.#joint(weights, rows);
      const h = heapF32();
      if (step === 0 || loss > bestLoss) {
        bestLoss = loss;
        h.copyWithin(best, x, x + n);
      }
      if (step === a.steps) break;
      for (let i = 0; i < n; i++) {
        if (!mask[i % F]) continue;
        const c = h[x0 + i]!, moved = h[x + i]! + a.stepSize * Math.sign(h[g + i]!);
        h[x + i] = Math.min(c + eps, Math.max(c - eps, moved));
      }
    }
    heapF32().copyWithin(x, best, best + n);
    this.#checkFinite(n);
    this.lastLoss = bestLoss;
  }

  /** ArgumentError naming ε when it moved a feature of the first n floats of the batch beyond float32. */
  #checkFinite(n: number): void {
    const h = heapF32(), x = this.#core.batchX >>> 2, F = this.#core.schema.featureCount;
    for (let i = 0; i < n; i++) {
      const v = h[x + i]!;
      if (Number.isFinite(v)) continue;
      const a = this.#attack;
      throw new ArgumentError(`${a.option ?? 'attack'}.epsilon = ${a.epsilon} moves feature "${this.#core.schema.featureNames[i % F]}" of a row to ${v}, beyond float32`);
    }
  }

  /** Σ_t w_t · L_t over the tasks with labeled rows in the batch (in f64). */
  #joint(weights: Float64Array, rows: number): number {
    let sum = 0;
    for (let t = 0; t < weights.length; t++) if (this.#core.labeledCount(t, rows) > 0) sum += weights[t]! * this.#losses[t]!;
    return sum;
  }

  dispose(): void {
    this.#memory.release();
    this.#rng.dispose();
  }
}

/**
 * Replaces the features of every row of `data` by its adversarial example, chunk
 * by chunk (PREDICT_CHUNK rows, as evaluate cuts them).
 */
export function perturbResident(core: MultiTaskModelCore, data: ResidentData, attack: Attack, perturbable: Uint8Array, seed: number): void {
  core.ensureCapacity(Math.min(data.rows, PREDICT_CHUNK));
  const chunk = Math.min(data.rows, core.capacity, PREDICT_CHUNK);
  const F = core.schema.featureCount;
  const attacker = new Attacker(core, attack, perturbable, seed, chunk);
  try {
    core.forEachChunk(data, chunk, (start, n) => {
      attacker.perturb(n);
      const from = core.batchX >>> 2;
      heapF32().copyWithin((data.x >>> 2) + start * F, from, from + n * F);
    });
  } finally {
    attacker.dispose();
  }
}

/**
 * dL/dx of the joint loss over every row of `data` (rows × features): Σ_t w_t · L_t,
 * L_t task t's mean loss over its labeled rows of `data` as evaluate computes it
 * (each chunk's mean weighted by its share of the labeled rows), w_t the weighting
 * strategy's current task weights (lossWeights).
 */
export function inputGradientResident(core: MultiTaskModelCore, data: ResidentData): Float32Array {
  const F = core.schema.featureCount, T = core.taskNames.length;
  core.ensureCapacity(Math.min(data.rows, PREDICT_CHUNK));
  const chunk = Math.min(data.rows, core.capacity, PREDICT_CHUNK);
  const weights = lossWeights(core), scaled = new Float64Array(T), losses = new Float64Array(T);
  const out = new Float32Array(data.rows * F);
  const { allocator } = runtime('inputGradient');
  const grad = allocator.alloc(Math.max(chunk * F, 1) * 4);
  try {
    core.forEachChunk(data, chunk, (start, n) => {
      for (let t = 0; t < T; t++) {
        const total = data.labels[t]?.labeled ?? 0;
        scaled[t] = total > 0 ? (weights[t]! * core.labeledCount(t, n)) / total : 0;
      }
      core.inputGradient(n, scaled, grad, losses);
      out.set(heapF32().subarray(grad >>> 2, (grad >>> 2) + n * F), start * F);
    });
  } finally {
    allocator.free(grad);
  }
  return out;
}
