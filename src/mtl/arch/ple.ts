// Progressive Layered Extraction (Tang et al., RecSys 2020): `levels` stacked
// extraction levels, each with S shared experts and K experts per task. At
// every level but the last, task k's gate mixes the shared experts and k's own
// into task k's input of the next level, and a shared gate over all the
// level's experts makes the shared experts' next input; the last level is a CGC.
// Gates are one linear layer on the input they belong with (x at level 0).
// See gated.ts for the computation.
//
//   Z   = [last level's experts: S shared | K of task 0 | … | K of task T−1 |
//          h_0 … h_{T−1}: each task's input to the last level]
//         rows × ((S + T·K)·d + T·d); the h blocks are there because the
//         last-level gate of task t, in t's task part, reads h_t (with
//         levels = 1 it reads x and Z is the experts alone, as in CGC)
//   R_t = tower_t(Σ_j softmax(h_t·W_t + b_t)_j · E_j)  over the last level's shared experts and t's own
//
// Parameters, level l = 0 … levels−1, expert i, layer k:
//   shared part   levels.<l>.sharedExperts.<i>.<k>.weight|bias
//                 levels.<l>.taskExperts.<task>.<i>.<k>.weight|bias   (owned by the task)
//                 levels.<l>.gate.<task>.weight|bias     (l < levels−1; width × (S + K); owned by the task)
//                 levels.<l>.sharedGate.weight|bias       (l < levels−1; width × (S + T·K))
//   task part     gate.<task>.weight|bias                 (the last level's gate)
//                 tower.<task>.<k>.weight|bias

import { count, defineArchitecture, flag, units, type CommonSpec } from './common.js';
import { describeGated } from './gated.js';

export interface PleSpec extends CommonSpec {
  type: 'ple';
  /** Extraction levels (≥ 1; 1 is CGC with PLE's parameter names). */
  levels: number;
  /** Shared experts per level (S ≥ 1). */
  sharedExperts: number;
  /** Experts per task per level (K ≥ 1). */
  taskExperts: number;
  /** Widths of each expert's layers (at least one). */
  expertUnits: number[];
  /** Whether the gates have a bias. Default true; false is the paper's gate, softmax(W·x). */
  gateBias?: boolean;
}

export const ple = defineArchitecture<PleSpec>()({
  type: 'ple',
  options: { levels: count(), sharedExperts: count(), taskExperts: count(), expertUnits: units(), gateBias: flag(true) },
  describe: (c, b, taskNames) => describeGated(c, {
    expert: (l, task, i) => (task === null ? `levels.${l}.sharedExperts.${i}` : `levels.${l}.taskExperts.${task}.${i}`),
    gate: (l, task) => (task === null ? `levels.${l}.sharedGate` : `levels.${l}.gate.${task}`),
  }, b, taskNames),
});
