// The network behind MMoE, CGC and PLE: levels of expert MLPs mixed by softmax
// gates (mmoe.ts, cgc.ts and ple.ts choose the sizes and the parameter names).
//
// A level has N = S + T·K experts, each an MLP of expertUnits (output width d):
// S shared experts, then K experts of task 0, K of task 1, …  Their outputs of
// one level sit side by side in one rows × (N·d) value, expert i at columns
// [i·d, (i+1)·d) — the layout the mixing kernel (assembly/mix.ts) reads.
//
// Level l's inputs: at l = 0 every expert and gate reads x. At l ≥ 1 task k's
// experts and gate read h_k (task k's output of level l−1) and the shared
// experts and shared gate read h_s. Every level but the last ends in gates
// (Tang et al., RecSys 2020, eq. 4–6):
//   h_k = Σ_j softmax(gate_k(in_k))_j · E_j   over the S shared experts and task k's K
//   h_s = Σ_j softmax(gate_s(in_s))_j · E_j   over all N experts (the S shared and
//                                             the first sharedGateTasks tasks' when set)
// a gate being one linear layer (logits = in·W + b, or in·W with gateBias: false,
// as the papers write it). The last level (the CGC
// of the paper) has only the task gates, and they belong to the task parts:
//
//   Z   = [E_0 … E_{N−1} of the last level | h_0 … h_{T−1} of level L−2]
//         rows × (N·d + T·d); the h blocks only when L ≥ 2, as the last-level
//         gate of task t reads h_t (it reads x when L = 1)
//   R_t = tower_t(Σ_j softmax(gate_t(in_t))_j · E_j)  over the shared experts and t's own
//
// So everything up to the last level's experts (task-specific experts and
// earlier gates included) is the shared part: it is what backwardShared
// differentiates. A task's own experts and gates belong to the task (their
// owner) even where they sit in the shared part. MMoE is the case L = 1, K = 0.
//
// Order: tensors are declared expert by expert, then each task's gate, then the
// shared gate (so a seed gives the weights it always gave). The experts of a level
// are branches (their backward runs in expert order, summing their gradients of a
// common input in that order); the gates' operations run shared gate first, then
// the tasks' in reverse, so the backward pass, which runs the operations in
// reverse, accumulates the experts' gradient from the task gates in task order,
// then the shared gate's. Both are the orders these sums have always had.

import { Act } from '../../runtime/abi.js';
import { type DescriptionBuilder, type Op } from '../../graph/description.js';
import { ACTIVATION_CODES, SHARED, withTowers, type ArchitectureParts, type CommonConfig } from './common.js';

export interface GatedShape extends CommonConfig {
  readonly levels: number;
  /** Shared experts per level (S). */
  readonly sharedExperts: number;
  /** Experts per task per level (K). */
  readonly taskExperts: number;
  readonly expertUnits: readonly number[];
  /** Whether each gate has a bias: logits = in·W + b (true) or in·W, the papers' softmax(W·x) (false). */
  readonly gateBias: boolean;
  /**
   * The tasks whose experts the shared gates mix, the first n (undefined or n ≥ T:
   * every task's): a model grown by addTask keeps its shared gates over the experts
   * they were trained on.
   */
  readonly sharedGateTasks?: number | undefined;
}

/** Parameter name prefixes. `task` is a task name, or null for the shared experts / shared gate. */
export interface GatedNames {
  expert(level: number, task: string | null, index: number): string;
  /** A gate of an intermediate level (level < levels − 1). */
  gate(level: number, task: string | null): string;
}

export function describeGated(c: GatedShape, names: GatedNames, b: DescriptionBuilder, taskNames: readonly string[]): ArchitectureParts {
  const { levels: L, sharedExperts: S, taskExperts: K } = c;
  const T = taskNames.length, N = S + T * K, d = c.expertUnits.at(-1)!, perGate = S + K;
  // The experts a shared gate mixes: the shared ones, then the first tasks' (a task added later has its experts last).
  const sharedGateWidth = S + Math.min(c.sharedGateTasks ?? T, T) * K;
  const act = ACTIVATION_CODES[c.activation];
  const gateInit = c.gateBias ? undefined : { weight: b.initializer, bias: false as const };
  const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
  /** Blocks a task's gate mixes: the shared experts, then the task's own. */
  const taskBlocks = (t: number): number[] => [...range(0, S), ...range(S + t * K, K)];
  const shared: Op[] = [];
  b.into(shared);
  let hTask: number[] = taskNames.map(() => b.input), hShared = b.input;
  let lastExperts: number[] = [];
  for (let l = 0; l < L; l++) {
    // Expert i < S is shared; the rest are task (i − S) / K's, its ((i − S) mod K)-th.
    const outs = b.branches(N, (i) => {
      if (i < S) return b.mlp(hShared, c.expertUnits, names.expert(l, null, i), act, SHARED, c.dropout);
      const t = Math.floor((i - S) / K), j = (i - S) % K;
      return b.mlp(hTask[t]!, c.expertUnits, names.expert(l, taskNames[t]!, j), act, t, c.dropout, `expert.${l}.${j}`);
    });
    if (l === L - 1) { lastExperts = outs; break; }
    const e = b.concat(outs);
    const gates = taskNames.map((name, t) => b.denseTensors(names.gate(l, name), b.width(hTask[t]!), perGate, t, `gate.${l}`, gateInit));
    const sharedGate = b.denseTensors(names.gate(l, null), b.width(hShared), sharedGateWidth, SHARED, '', gateInit);
    const nextShared = b.mix(e, range(0, sharedGateWidth), b.softmax(b.denseOp(hShared, sharedGate, Act.identity)), d);
    const nextTask: number[] = [];
    for (let t = T - 1; t >= 0; t--) nextTask[t] = b.mix(e, taskBlocks(t), b.softmax(b.denseOp(hTask[t]!, gates[t]!, Act.identity)), d);
    hTask = nextTask;
    hShared = nextShared;
  }
  const z = b.concat(L >= 2 ? [...lastExperts, ...hTask] : lastExperts);
  const tasks = withTowers(b, c, taskNames, (t) => {
    const input = L >= 2 ? b.slice(z, (N + t) * d, d) : b.input;
    const logits = b.denseOp(input, b.denseTensors(`gate.${taskNames[t]}`, b.width(input), perGate, t, 'gate', gateInit), Act.identity);
    return b.mix(z, taskBlocks(t), b.softmax(logits), d);
  });
  return { shared, z, tasks };
}
