// One-gate Mixture-of-Experts (OMoE; the baseline of Ma et al., KDD 2018): n
// expert MLPs on the input mixed by ONE softmax gate shared by every task, then
// a tower per task. With a single gate the mixture is a shared representation,
// so this is shared-bottom whose bottom is a mixture of experts:
//
//   Z   = Σ_i softmax(x·W + b)_i · E_i(x)          rows × d, d = expertUnits[last]
//                                                  (x·W alone with gateBias: false)
//   R_t = tower_t(Z)                               (towerUnits: [] → R_t = Z)
//
// Parameters: `experts.<i>.<k>.weight|bias` and `gate.weight|bias` (`gate.weight`
// alone with gateBias: false; shared),
// `tower.<task>.<k>.weight|bias` (task-specific).

import { Act } from '../../runtime/abi.js';
import { type Op } from '../../graph/description.js';
import { count, defineArchitecture, flag, units, withTowers, ACTIVATION_CODES, SHARED, type CommonSpec } from './common.js';

export interface OmoeSpec extends CommonSpec {
  type: 'omoe';
  /** Number of experts (n). */
  experts: number;
  /** Widths of each expert's layers (at least one). */
  expertUnits: number[];
  /** Whether the gates have a bias. Default true; false is the paper's gate, softmax(W·x). */
  gateBias?: boolean;
}

export const omoe = defineArchitecture<OmoeSpec>()({
  type: 'omoe',
  options: { experts: count(), expertUnits: units(), gateBias: flag(true) },
  describe(c, b, taskNames) {
    const shared: Op[] = [];
    b.into(shared);
    const act = ACTIVATION_CODES[c.activation];
    const outs = Array.from({ length: c.experts }, (_, i) => b.mlp(b.input, c.expertUnits, `experts.${i}`, act, SHARED, c.dropout));
    const gate = b.denseTensors('gate', b.width(b.input), c.experts, SHARED, '', c.gateBias ? undefined : { weight: b.initializer, bias: false });
    const logits = b.denseOp(b.input, gate, Act.identity);
    const e = b.concat(outs);
    const z = b.mix(e, outs.map((_, i) => i), b.softmax(logits), c.expertUnits.at(-1)!);
    return { shared, z, tasks: withTowers(b, c, taskNames, () => z) };
  },
});
