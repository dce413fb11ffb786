// The one kit of checks every public function uses before any kernel runs: values
// (checkDim, checkInteger, checkNumber, checkChoice, …) and options read from an
// options object with a default (integerOption, numberOption, choiceOption,
// booleanOption), each error naming the function, the option and what it got.

import { ArgumentError, NonFinitePredictionError, ShapeError } from './errors.js';

/** A dimension: a positive safe integer. */
export function checkDim(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ShapeError(`${where}: ${name} must be a positive integer, got ${show(value)}`);
  }
  return value;
}

export function checkFiniteNumber(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ArgumentError(`${where}: ${name} must be a finite number, got ${show(value)}`);
  }
  return value;
}

/** The largest finite float32, ≈ 3.4e38. */
export const F32_MAX = 3.4028234663852886e38;

/** Whether `v` is a finite number that stays finite as a float32 (the kernels' type). */
export function isF32Finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && Number.isFinite(Math.fround(v));
}

/**
 * A finite number that a float32 kernel argument can hold: a finite f64 beyond
 * ±3.4e38 would silently become ±Infinity inside the kernel.
 */
export function checkF32(where: string, name: string, value: unknown): number {
  checkFiniteNumber(where, name, value);
  if (!Number.isFinite(Math.fround(value as number))) throw beyondF32(where, name, value as number);
  return value as number;
}

/** The error for a finite `value` of `name` that float32 cannot hold. */
export function beyondF32(where: string, name: string, value: number): ArgumentError {
  return new ArgumentError(`${where}: ${name} is ${value}, beyond the float32 range (±3.4e38) the kernels compute in`);
}

export function checkBoolean(where: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new ArgumentError(`${where}: ${name} must be true or false, got ${show(value)}`);
  }
  return value;
}

/** Rejects option keys the function does not know (a typo must not be ignored silently). */
export function checkKeys(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ArgumentError(`${where}: unknown option "${key}" (known: ${known.join(', ')})`);
    }
  }
}

/** An object with keys: not null, not an array. */
export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkOptionsObject(where: string, options: unknown): Record<string, unknown> {
  if (options === undefined) return {};
  if (!isRecord(options)) {
    throw new ArgumentError(`${where}: options must be an object, got ${show(options)}`);
  }
  return options as Record<string, unknown>;
}

export function show(value: unknown): string {
  if (typeof value === 'string') {
    // A message names the value, it does not carry it: a 1 MB cell stays out of the error text.
    return value.length > 120 ? `${JSON.stringify(value.slice(0, 100))}… (${value.length} characters)` : JSON.stringify(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value !== 'object') return typeof value;
  const name = ArrayBuffer.isView(value) ? value.constructor.name : (value as object).constructor?.name;
  return name === undefined || name === 'Object' ? 'an object' : `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}

/**
 * Throws NonFinitePredictionError at the first value of `values` (rows × width,
 * row-major) that is not finite; `why`, if given, replaces its explanation.
 */
export function checkFinitePredictions(where: string, task: string, values: ArrayLike<number>, width: number, why?: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // v − v is 0 for a finite number and NaN for NaN and ±Infinity: one test for both.
    if (v - v !== 0) throw new NonFinitePredictionError(where, task, Math.floor(i / width), v, why);
  }
}

/** An options object as the option readers take it. */
export type OptionRecord = Readonly<Record<string, unknown>>;

/** A whole number in [min, max]. */
export function checkInteger(where: string, name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const rule = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
    throw new ArgumentError(`${where}: ${name} must be ${rule}, got ${show(value)}`);
  }
  return value;
}

/** A finite number satisfying `ok`; `rule` says what that is ("a number in (0, 1)"). */
export function checkNumber(where: string, name: string, value: unknown, ok: (v: number) => boolean, rule: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new ArgumentError(`${where}: ${name} must be ${rule}, got ${show(value)}`);
  }
  return value;
}

/** One of a fixed set of values. */
export function checkChoice<T extends string | number>(where: string, name: string, value: unknown, known: readonly T[]): T {
  if (!(known as readonly unknown[]).includes(value)) {
    throw new ArgumentError(`${where}: ${name} must be one of ${known.map((k) => show(k)).join(', ')}, got ${show(value)}`);
  }
  return value as T;
}

/** One of a fixed set of names, where the error says "unknown <what>" and lists them. */
export function checkName<T extends string>(where: string, what: string, value: unknown, known: readonly T[]): T {
  if (typeof value !== 'string' || !(known as readonly string[]).includes(value)) {
    throw new ArgumentError(`${where}: unknown ${what} ${show(value)} (known: ${known.join(', ')})`);
  }
  return value as T;
}

/** A seed: an integer in [0, 2³²). */
export function checkSeed(where: string, seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new ArgumentError(`${where}: seed must be an integer from 0 to 4294967295, got ${show(seed)}`);
  }
  return seed;
}

/** options[name] (own properties only) checked by `check`, or `fallback` when absent. */
function option<T>(options: OptionRecord, name: string, fallback: T, check: (v: unknown) => T): T {
  const v = Object.hasOwn(options, name) ? options[name] : undefined;
  return v === undefined ? fallback : check(v);
}

export function integerOption(where: string, options: OptionRecord, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  return option(options, name, fallback, (v) => checkInteger(where, name, v, min, max));
}

export function numberOption(where: string, options: OptionRecord, name: string, fallback: number, ok: (v: number) => boolean, rule: string): number {
  return option(options, name, fallback, (v) => checkNumber(where, name, v, ok, rule));
}

export function choiceOption<T extends string | number>(where: string, options: OptionRecord, name: string, fallback: T, known: readonly T[]): T {
  return option(options, name, fallback, (v) => checkChoice(where, name, v, known));
}

export function booleanOption(where: string, options: OptionRecord, name: string, fallback: boolean): boolean {
  return option(options, name, fallback, (v) => checkBoolean(where, name, v));
}

/** options.seed, or `fallback` (0 unless given) when absent. */
export function seedOption(where: string, options: OptionRecord, fallback = 0): number {
  return option(options, 'seed', fallback, (v) => checkSeed(where, v));
}
