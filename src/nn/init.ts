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
import { heapF32, runtime } from '../runtime/module.js';
import type { Initializer } from '../runtime/initializers.js';

export * from '../runtime/initializers.js';

/** Fills n floats at ptr (the caller's block: the draws go to the kernels unchecked). */
export function initialize(name: Initializer, ptr: number, n: number, fanIn: number, fanOut: number, rng: Rng): void {
  const k = runtime('initialize').kernels;
  const uniform = (lo: number, hi: number) => k.rngUniform(rng.state, n, ptr, lo, hi);
  if (typeof name === 'object') {
    uniform(-name.uniform, name.uniform);
    return;
  }
  switch (name) {
    case 'zeros':
    case 'ones':
      heapF32().fill(name === 'ones' ? 1 : 0, ptr >>> 2, (ptr >>> 2) + n);
      return;
    case 'glorotUniform': {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      uniform(-limit, limit);
      return;
    }
    case 'torch': {
      const limit = 1 / Math.sqrt(fanIn);
      uniform(-limit, limit);
      return;
    }
    case 'heUniform': {
      const limit = Math.sqrt(6 / fanIn);
      uniform(-limit, limit);
      return;
    }
    case 'glorotNormal':
      k.rngNormal(rng.state, n, ptr, 0, Math.sqrt(2 / (fanIn + fanOut)));
      return;
    case 'heNormal':
      k.rngNormal(rng.state, n, ptr, 0, Math.sqrt(2 / fanIn));
      return;
  }
}
