// Learning-rate schedules: createSchedule(spec) → (step, epoch) → learning rate.
//
// `step` is the number of optimizer steps already taken (0 for the first
// update, like Keras's optimizer.iterations) and `epoch` the 0-based epoch (as
// PyTorch's scheduler.last_epoch). Each decaying schedule counts in `unit`
// ('step', the default, as Keras schedules; or 'epoch', as PyTorch's LR
// schedulers stepped once per epoch, in which case the epoch argument is required).
//
//   constant      lr
//   step          lr · γ^⌊t / stepSize⌋                        (PyTorch StepLR; γ defaults to 0.1)
//   exponential   lr · decayRate^(t / decaySteps), or ^⌊t / decaySteps⌋ with staircase
//                                                              (Keras ExponentialDecay; PyTorch ExponentialLR is decaySteps 1)
//   cosine        min + (lr − min) · ½(1 + cos(π · min(t, decaySteps) / decaySteps))
//                                                              (Keras CosineDecay with alpha = min/lr; PyTorch
//                                                               CosineAnnealingLR with eta_min = min up to T_max,
//                                                               then held at min instead of rising again)
//
// Linear warm-up composes with any of them (warmupSteps W > 0, always counted
// in optimizer steps): for step < W the rate rises linearly from warmupStart
// (default 0) towards the schedule's value, lr(t) = start + (target − start)·t/W;
// from step W on it is the schedule's value. A step-unit schedule starts its
// decay after the warm-up (it sees t − W, as Keras CosineDecay's
// warmup_steps), so its peak is learningRate at step W.
//
// A rate is always finite, ≥ 0 and within float32: gamma or decayRate above 1
// makes it grow, and the call at a step where it would leave float32 throws an
// ArgumentError naming the schedule and the step (it would be +Infinity in the update).
//
// Determinism: pow and cos come from the WASM module (assembly/math.ts), the
// rest is + − × ÷ and Math.floor/min, so every engine gives the same bits.
// Schedules using pow or cos need `await init()` before they are called.

import { ArgumentError } from '../runtime/errors.js';
import { runtime } from '../runtime/module.js';
import { checkBoolean, checkKeys, show } from '../runtime/validate.js';

export type ScheduleUnit = 'step' | 'epoch';

export interface WarmupOptions {
  /** Optimizer steps of linear warm-up (integer ≥ 0). Default 0. */
  warmupSteps?: number;
  /** The rate at step 0 of the warm-up (≥ 0). Default 0. */
  warmupStart?: number;
}

export interface ConstantScheduleSpec extends WarmupOptions {
  type: 'constant';
  learningRate: number;
}

export interface StepScheduleSpec extends WarmupOptions {
  type: 'step';
  learningRate: number;
  /** Multiply by gamma every stepSize units (integer ≥ 1). */
  stepSize: number;
  /**
   * > 0. Default 0.1 (PyTorch StepLR). Above 1 the rate grows (allowed, as in
   * PyTorch and Keras); calling the schedule at a step where it leaves float32
   * (3.4e38) throws an ArgumentError naming the schedule and the step.
   */
  gamma?: number;
  unit?: ScheduleUnit;
}

export interface ExponentialScheduleSpec extends WarmupOptions {
  type: 'exponential';
  learningRate: number;
  /** > 0: the factor per decaySteps units (above 1 the rate grows; as gamma of a step schedule). */
  decayRate: number;
  /** Integer ≥ 1. */
  decaySteps: number;
  /** Decay in whole steps of decaySteps (⌊t/decaySteps⌋). Default false. */
  staircase?: boolean;
  unit?: ScheduleUnit;
}

export interface CosineScheduleSpec extends WarmupOptions {
  type: 'cosine';
  learningRate: number;
  /** Units over which the rate falls from learningRate to minLearningRate (integer ≥ 1). */
  decaySteps: number;
  /** The floor, in [0, learningRate]. Default 0. */
  minLearningRate?: number;
  unit?: ScheduleUnit;
}

export type ScheduleSpec = ConstantScheduleSpec | StepScheduleSpec | ExponentialScheduleSpec | CosineScheduleSpec;

/** A learning-rate schedule; `config` is the validated spec with every default filled in. */
export interface Schedule {
  (step: number, epoch?: number): number;
  readonly config: Readonly<Required<ScheduleSpec>>;
}

const TYPES = ['constant', 'step', 'exponential', 'cosine'] as const;
const WARMUP_KEYS = ['warmupSteps', 'warmupStart'] as const;
const KEYS = {
  constant: ['type', 'learningRate', ...WARMUP_KEYS],
  step: ['type', 'learningRate', 'stepSize', 'gamma', 'unit', ...WARMUP_KEYS],
  exponential: ['type', 'learningRate', 'decayRate', 'decaySteps', 'staircase', 'unit', ...WARMUP_KEYS],
  cosine: ['type', 'learningRate', 'decaySteps', 'minLearningRate', 'unit', ...WARMUP_KEYS],
} as const;

/** Validates `spec` and returns the schedule function. */
export function createSchedule(spec: ScheduleSpec): Schedule {
  const where = 'createSchedule';
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new ArgumentError(`${where}: spec must be an object like { type: 'cosine', learningRate: 0.001, decaySteps: 1000 }, got ${show(spec)}`);
  }
  const s = spec as unknown as Record<string, unknown>;
  const type = s.type;
  if (!(TYPES as readonly unknown[]).includes(type)) {
    throw new ArgumentError(`${where}: unknown schedule type ${show(type)} (known: ${TYPES.join(', ')})`);
  }
  const t = type as ScheduleSpec['type'];
  const w = `${where}(${t})`;
  checkKeys(w, s, KEYS[t]);
  const learningRate = nonNegative(w, 'learningRate', required(w, 'learningRate', s.learningRate));
  const warmupSteps = s.warmupSteps === undefined ? 0 : integer(w, 'warmupSteps', s.warmupSteps, 0);
  const warmupStart = s.warmupStart === undefined ? 0 : nonNegative(w, 'warmupStart', s.warmupStart);
  const unit = s.unit === undefined ? 'step' : checkUnit(w, s.unit);

  let config: Required<ScheduleSpec>;
  let base: (t: number) => number; // t: units since the decay started
  switch (t) {
    case 'constant':
      config = { type: t, learningRate, warmupSteps, warmupStart };
      base = () => learningRate;
      break;
    case 'step': {
      const stepSize = integer(w, 'stepSize', required(w, 'stepSize', s.stepSize), 1);
      const gamma = s.gamma === undefined ? 0.1 : positive(w, 'gamma', s.gamma);
      config = { type: t, learningRate, stepSize, gamma, unit, warmupSteps, warmupStart };
      base = (u) => learningRate * pow(gamma, Math.floor(u / stepSize));
      break;
    }
    case 'exponential': {
      const decayRate = positive(w, 'decayRate', required(w, 'decayRate', s.decayRate));
      const decaySteps = integer(w, 'decaySteps', required(w, 'decaySteps', s.decaySteps), 1);
      const staircase = s.staircase === undefined ? false : checkBoolean(w, 'staircase', s.staircase);
      config = { type: t, learningRate, decayRate, decaySteps, staircase, unit, warmupSteps, warmupStart };
      base = staircase
        ? (u) => learningRate * pow(decayRate, Math.floor(u / decaySteps))
        : (u) => learningRate * pow(decayRate, u / decaySteps);
      break;
    }
    case 'cosine': {
      const decaySteps = integer(w, 'decaySteps', required(w, 'decaySteps', s.decaySteps), 1);
      const minLearningRate = s.minLearningRate === undefined ? 0 : nonNegative(w, 'minLearningRate', s.minLearningRate);
      if (minLearningRate > learningRate) {
        throw new ArgumentError(`${w}: minLearningRate (${minLearningRate}) must not exceed learningRate (${learningRate})`);
      }
      config = { type: t, learningRate, decaySteps, minLearningRate, unit, warmupSteps, warmupStart };
      const span = learningRate - minLearningRate;
      base = (u) => minLearningRate + span * (0.5 * (1 + cos((Math.PI * Math.min(u, decaySteps)) / decaySteps)));
      break;
    }
  }
  Object.freeze(config);
  const every = (n: number) => `every ${n === 1 ? '' : `${n} `}${unit}${n === 1 ? '' : 's'}`;
  const growth = t === 'step' ? `gamma ${(config as StepScheduleSpec).gamma} ${every((config as StepScheduleSpec).stepSize)}`
    : t === 'exponential' ? `decayRate ${(config as ExponentialScheduleSpec).decayRate} ${every((config as ExponentialScheduleSpec).decaySteps)}` : `learningRate ${learningRate}`;
  const byEpoch = t !== 'constant' && unit === 'epoch';
  const call = 'schedule';

  const schedule = (step: number, epoch?: number): number => {
    if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) {
      throw new ArgumentError(`${call}: step must be an integer ≥ 0, got ${show(step)}`);
    }
    if (epoch !== undefined && (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0)) {
      throw new ArgumentError(`${call}: epoch must be an integer ≥ 0, got ${show(epoch)}`);
    }
    if (byEpoch && epoch === undefined) {
      throw new ArgumentError(`${call}: this ${t} schedule counts epochs (unit: 'epoch'); call it as schedule(step, epoch)`);
    }
    const warm = step < warmupSteps;
    const target = base(byEpoch ? epoch! : warm ? 0 : step - warmupSteps);
    const rate = warm ? warmupStart + (target - warmupStart) * (step / warmupSteps) : target;
    // gamma or decayRate above 1 grows the rate (as PyTorch and Keras allow): refused once it leaves float32.
    if (!(rate >= 0 && Number.isFinite(Math.fround(rate)))) {
      throw new ArgumentError(`${call}: the "${t}" schedule's learning rate at step ${step}${byEpoch ? ` (epoch ${epoch})` : ''} is ${rate}, ` +
        `beyond the float32 range (3.4e38) the update computes in (${growth})`);
    }
    return rate;
  };
  return Object.defineProperty(schedule, 'config', { value: config, enumerable: true }) as Schedule;
}

function pow(x: number, y: number): number {
  return runtime('schedule').kernels.mathPow(x, y);
}

function cos(x: number): number {
  return runtime('schedule').kernels.mathCos(x);
}

function required(where: string, name: string, value: unknown): unknown {
  if (value === undefined) throw new ArgumentError(`${where}: ${name} is required`);
  return value;
}

function nonNegative(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ArgumentError(`${where}: ${name} must be a finite number ≥ 0, got ${show(value)}`);
  }
  // A rate reaches the float32 update kernels: beyond 3.4e38 it would become +Infinity there.
  if (!Number.isFinite(Math.fround(value))) {
    throw new ArgumentError(`${where}: ${name} is ${value}, beyond the float32 range (3.4e38) the update computes in`);
  }
  return value;
}

function positive(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ArgumentError(`${where}: ${name} must be a finite number > 0, got ${show(value)}`);
  }
  return value;
}

function integer(where: string, name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ArgumentError(`${where}: ${name} must be an integer ≥ ${min}, got ${show(value)}`);
  }
  return value;
}

function checkUnit(where: string, value: unknown): ScheduleUnit {
  if (value !== 'step' && value !== 'epoch') {
    throw new ArgumentError(`${where}: unit must be "step" or "epoch", got ${show(value)}`);
  }
  return value;
}
