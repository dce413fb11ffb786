// Weight initializers (seeded through Rng). Fan-in/fan-out follow Keras:
// a weight of shape [in, out] has fanIn = in, fanOut = out.

import type { Rng } from './rng.js';
import { heapF32 } from '../runtime/module.js';
import { checkName } from '../runtime/validate.js';

export const INITIALIZERS = ['glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'zeros', 'ones'] as const;
export type InitializerName = (typeof INITIALIZERS)[number];
/** A named initializer, or uniform on [−limit, limit] (a fixed range, as DSelect-k's gates start). */
export type Initializer = InitializerName | { readonly uniform: number };

export function checkInitializer(where: string, value: unknown): InitializerName {
  return checkName(where, 'initializer', value, INITIALIZERS);
}

/** Fills n floats at ptr. */
export function initialize(name: Initializer, ptr: number, n: number, fanIn: number, fanOut: number, rng: Rng): void {
  if (typeof name === 'object') {
    rng.uniform(ptr, n, -name.uniform, name.uniform);
    return;
  }
  switch (name) {
    case 'zeros':
    case 'ones':
      heapF32().fill(name === 'ones' ? 1 : 0, ptr >>> 2, (ptr >>> 2) + n);
      return;
    case 'glorotUniform': {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      rng.uniform(ptr, n, -limit, limit);
      return;
    }
    case 'heUniform': {
      const limit = Math.sqrt(6 / fanIn);
      rng.uniform(ptr, n, -limit, limit);
      return;
    }
    case 'glorotNormal':
      rng.normal(ptr, n, 0, Math.sqrt(2 / (fanIn + fanOut)));
      return;
    case 'heNormal':
      rng.normal(ptr, n, 0, Math.sqrt(2 / fanIn));
      return;
  }
}
