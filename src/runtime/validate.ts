// Checks shared by every public function: they run before any kernel does.

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
  if (!Number.isFinite(Math.fround(value as number))) {
    throw new ArgumentError(`${where}: ${name} is ${value as number}, beyond the float32 range (±3.4e38) the kernels compute in`);
  }
  return value as number;
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

export function checkOptionsObject(where: string, options: unknown): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
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
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return typeof value === 'object' ? `a ${(value as object).constructor?.name ?? 'object'}` : typeof value;
}

/** Throws NonFinitePredictionError at the first value of `values` (rows × width, row-major) that is not finite. */
export function checkFinitePredictions(where: string, task: string, values: ArrayLike<number>, width: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // v − v is 0 for a finite number and NaN for NaN and ±Infinity: one test for both.
    if (v - v !== 0) throw new NonFinitePredictionError(where, task, Math.floor(i / width), v);
  }
}
