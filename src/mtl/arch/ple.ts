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
//                 levels.<l>.sharedGate.weight|bias       (l < levels−1; width × (S + n·K), n = T or sharedGateTasks)
//   task part     gate.<task>.weight|bias                 (the last level's gate)
//                 tower.<task>.<k>.weight|bias
//
// A task added to a trained model (addTask) brings K experts per level, after
// the others. With the shared part frozen, the shared gates must not mix them.
// A softmax gives every logit a share, exactly 0 only where e^(logit − max)
// underflows: a bias some 10⁴ below the others, which a gate without bias lacks
// and which int8 saving would take as the tensor's scale (its other biases then
// round to 0). So the grown spec says `sharedGateTasks`: the shared gates go on
// mixing the shared experts and the first tasks' alone, their trained tensors
// unchanged. When the shared part is retrained (freezeShared: false) the shared
// gates take the new experts in: each keeps its trained columns, the new task's
// start from the initializer.

import { ArgumentError } from '../../runtime/errors.js';
import { count, defineArchitecture, flag, optional, units, type CommonSpec, type GrowthRule } from './common.js';
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
  /**
   * With levels ≥ 2 (refused with one level, which has no shared gate): the shared
   * gates mix the shared experts and the experts of the first sharedGateTasks tasks
   * only (every task's when it is the task count or more). Default: every task's.
   * addTask sets it.
   */
  sharedGateTasks?: number;
}

export const ple = defineArchitecture<PleSpec>()({
  type: 'ple',
  options: {
    levels: count(), sharedExperts: count(), taskExperts: count(), expertUnits: units(), gateBias: flag(true),
    sharedGateTasks: optional<number | undefined>(count(), undefined),
  },
  describe(c, b, taskNames) {
    if (c.sharedGateTasks !== undefined && c.levels === 1) throw new ArgumentError('architecture "ple": sharedGateTasks needs levels ≥ 2');
    return describeGated(c, {
      expert: (l, task, i) => (task === null ? `levels.${l}.sharedExperts.${i}` : `levels.${l}.taskExperts.${task}.${i}`),
      gate: (l, task) => (task === null ? `levels.${l}.sharedGate` : `levels.${l}.gate.${task}`),
    }, b, taskNames);
  },
});

/** How a PLE takes one more task (see the file comment and growth.ts). */
export const growPle: GrowthRule = (c, taskNames, exact) => (exact
  ? { options: (c.levels as number) >= 2 ? { sharedGateTasks: Math.min((c.sharedGateTasks as number | undefined) ?? Infinity, taskNames.length) } : {}, keeps: () => false }
  : { options: { sharedGateTasks: undefined }, keeps: (name) => /^levels\.\d+\.sharedGate\.(weight|bias)$/.test(name) });
