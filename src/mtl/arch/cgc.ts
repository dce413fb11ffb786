// Customized Gate Control (Tang et al., RecSys 2020): one extraction level with
// S shared experts and K experts per task; task t's gate (one linear layer on
// the input) mixes the shared experts and t's own.
//
//   Z   = [S shared experts | K experts of task 0 | … | K of task T−1]   rows × ((S + T·K)·d)
//   R_t = tower_t(Σ_j softmax(x·W_t + b_t)_j · E_j)   over the shared experts, then t's own
//
// Parameters: `sharedExperts.<i>.<k>.weight|bias` (shared) and
// `taskExperts.<task>.<i>.<k>.weight|bias` (expert i, layer k; owned by the task,
// in the shared part, as Z holds every expert: a task's own experts get gradient
// only from that task), then `gate.<task>.weight|bias` (inputSize × (S + K)) and
// `tower.<task>.<k>.weight|bias`. CGC is PLE with one level.

import { count, defineArchitecture, flag, units, type CommonSpec } from './common.js';
import { describeGated } from './gated.js';

export interface CgcSpec extends CommonSpec {
  type: 'cgc';
  /** Shared experts (S ≥ 1). */
  sharedExperts: number;
  /** Experts per task (K ≥ 1). */
  taskExperts: number;
  /** Widths of each expert's layers (at least one). */
  expertUnits: number[];
  /** Whether the gates have a bias. Default true; false is the paper's gate, softmax(W·x). */
  gateBias?: boolean;
}

export const cgc = defineArchitecture<CgcSpec>()({
  type: 'cgc',
  options: { sharedExperts: count(), taskExperts: count(), expertUnits: units(), gateBias: flag(true) },
  describe: (c, b, taskNames) => describeGated({ ...c, levels: 1 }, {
    expert: (_level, task, i) => (task === null ? `sharedExperts.${i}` : `taskExperts.${task}.${i}`),
    gate: () => { throw new Error('unreachable: CGC has one level'); },
  }, b, taskNames),
});
