// Multi-gate Mixture-of-Experts (Ma et al., KDD 2018): n expert MLPs on the
// input, and per task a softmax gate (one linear layer on the input) mixing them.
//
//   Z   = [E_0(x) … E_{n−1}(x)]                       rows × (n·d), d = expertUnits[last]
//   R_t = tower_t(Σ_i softmax(x·W_t + b_t)_i · E_i(x))
//
// Parameters: `experts.<i>.<k>.weight|bias` (expert i, layer k; shared),
// `gate.<task>.weight|bias` (inputSize × n) and `tower.<task>.<k>.weight|bias`
// (task-specific). Implemented by the gated engine (gated.ts) with one level,
// n shared experts and no task experts.

import type { Activation } from '../../nn/layers.js';
import { SpecReader } from './common.js';
import { GatedExperts } from './gated.js';

export interface MmoeSpec {
  type: 'mmoe';
  /** Number of experts (n). */
  experts: number;
  /** Widths of each expert's layers (at least one). */
  expertUnits: number[];
  /** Widths of each task's tower; [] for none. */
  towerUnits: number[];
  /** Of every expert and tower layer (gates are linear). Default 'relu'. */
  activation?: Activation;
  /** Dropout rate after every expert and tower layer while training. Default 0. */
  dropout?: number;
}

export class Mmoe extends GatedExperts {
  readonly type = 'mmoe';

  constructor(spec: Record<string, unknown>) {
    const r = new SpecReader('mmoe', spec, ['experts', 'expertUnits', 'towerUnits', 'activation', 'dropout']);
    super({
      levels: 1, sharedExperts: r.count('experts'), taskExperts: 0,
      expertUnits: r.units('expertUnits', false), towerUnits: r.units('towerUnits', true),
      activation: r.activation(), dropout: r.fraction('dropout', 0, 0, 1, false),
    }, {
      expert: (_level, _task, i) => `experts.${i}`,
      gate: () => { throw new Error('unreachable: MMoE has one level'); },
      sharedPrefixes: ['experts'],
    });
  }

  config(): Record<string, unknown> {
    return { type: this.type, experts: this.shape.sharedExperts, ...this.commonConfig() };
  }
}
