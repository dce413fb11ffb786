// Validation helpers specific to the nn layer.
import { ArgumentError } from '../runtime/errors.js';
import { show } from '../runtime/validate.js';

/** A seed: an integer in [0, 2³²). */
export function checkSeed(where: string, seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new ArgumentError(`${where}: seed must be an integer from 0 to 4294967295, got ${show(seed)}`);
  }
  return seed;
}

/** One of a fixed set of names; the error lists them. */
export function checkName<T extends string>(where: string, what: string, value: unknown, known: readonly T[]): T {
  if (typeof value !== 'string' || !(known as readonly string[]).includes(value)) {
    throw new ArgumentError(`${where}: unknown ${what} ${show(value)} (known: ${known.join(', ')})`);
  }
  return value as T;
}
