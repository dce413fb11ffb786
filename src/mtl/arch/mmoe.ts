// Multi-gate Mixture-of-Experts (Ma et al., KDD 2018): n expert MLPs on the
// input, and per task a softmax gate (one linear layer on the input) mixing them.
//
//   Z   = [E_0(x) … E_{n−1}(x)]                       rows × (n·d), d = expertUnits[last]
//   R_t = tower_t(Σ_i softmax(x·W_t + b_t)_i · E_i(x))
//
// The paper's gate is softmax(W_t·x), without a bias: `gateBias: false` (the
// default true keeps the bias, as Keras' and DeepCTR's MMoE layers do).
//
// Parameters: `experts.<i>.<k>.weight|bias` (expert i, layer k; shared),
// `gate.<task>.weight|bias` (inputSize × n; no bias with gateBias: false) and `tower.<task>.<k>.weight|bias`
// (task-specific). The gated network (gated.ts) with one level, n shared experts
// and no task experts.

import { count, defineArchitecture, flag, units, type CommonSpec } from './common.js';
import { describeGated } from './gated.js';

export interface MmoeSpec extends CommonSpec {
  type: 'mmoe';
  /** Number of experts (n). */
  experts: number;
  /** Widths of each expert's layers (at least one). */
  expertUnits: number[];
  /** Whether the gates have a bias. Default true; false is the paper's gate, softmax(W·x). */
  gateBias?: boolean;
}

export const mmoe = defineArchitecture<MmoeSpec>()({
  type: 'mmoe',
  options: { experts: count(), expertUnits: units(), gateBias: flag(true) },
  describe: (c, b, taskNames) => describeGated({ ...c, levels: 1, sharedExperts: c.experts, taskExperts: 0 }, {
    expert: (_level, _task, i) => `experts.${i}`,
    gate: () => { throw new Error('unreachable: MMoE has one level'); },
  }, b, taskNames),
});
