// Weight initializers (seeded through Rng). Fan-in/fan-out follow Keras:
// a weight of shape [in, out] has fanIn = in, fanOut = out; a bias is declared
// with its layer's fan-in (so 'torch' can draw it as PyTorch does).
//
//   glorotUniform  U(±√(6/(fanIn + fanOut)))     Keras' default
//   glorotNormal   N(0, 2/(fanIn + fanOut))
//   heUniform      U(±√(6/fanIn))
//   heNormal       N(0, 2/fanIn)                 untruncated, as PyTorch's kaiming_normal_
//                                                (Keras truncates at 2σ)
//   torch          U(±1/√fanIn)                  PyTorch nn.Linear's weight and bias
//                                                (kaiming_uniform_ with a = √5)

import type { Rng } from './rng.js';
import { heapF32 } from '../runtime/module.js';
import type { Initializer } from '../runtime/initializers.js';

export * from '../runtime/initializers.js';

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
    case 'torch': {
      const limit = 1 / Math.sqrt(fanIn);
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
