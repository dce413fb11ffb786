// DSelect-k (Hazimeh et al., NeurIPS 2021): MMoE's experts, with each task's
// softmax gate replaced by a differentiable selection of (at most) k of the n
// experts. Per task t and row, k selectors each read m = ⌈log₂ n⌉ logits z_i = x·Wᶻ
// through the cubic smooth step S_γ (0 below −γ/2, 1 above γ/2), whose values pick
// an expert by the binary code of its index; softmax weights α = softmax(x·Wᵅ)
// combine the k selections (the paper's per-example gate, eq. 6–7):
//
//   Z   = [E_0(x) … E_{n−1}(x)]                                rows × (n·d)
//   r_ij = Π_l (bit_l(j) ? S_γ(z_il) : 1 − S_γ(z_il))
//   R_t = tower_t(Σ_j (Σ_i α_i · r_ij) · E_j(x))
//
// As S_γ saturates at 0 and 1 during training, each selector settles on one
// expert, so the gate ends up mixing at most k of them (sparse, unlike MMoE's
// softmax). With n not a power of two, each selector is renormalized over the n
// codes that are experts (the paper and LibMTL penalize the mass on the others
// with an extra loss instead); the paper's optional entropy regularizer is left out.
// Initialization as LibMTL and the authors' code: Wᶻ and its bias uniform in
// ±γ/100 (so every expert starts near 1/n), Wᵅ and its bias uniform in ±0.05.
//
// Parameters: `experts.<i>.<k>.weight|bias` (shared), `gate.<task>.selectors.weight|bias`
// (inputSize × k·m), `gate.<task>.weights.weight|bias` (inputSize × k) and
// `tower.<task>.<k>.weight|bias` (task-specific).

import { Act } from '../../runtime/abi.js';
import { count, defineArchitecture, fraction, units, withTowers, ACTIVATION_CODES, SHARED, type CommonSpec } from './common.js';
import type { Op } from '../../graph/description.js';

export interface DselectKSpec extends CommonSpec {
  type: 'dselectK';
  /** Number of experts (n ≥ 2). */
  experts: number;
  /** Selectors per task (k ≥ 1): the most experts a task's gate ends up mixing. */
  k: number;
  /** Widths of each expert's layers (at least one). */
  expertUnits: number[];
  /** The smooth step's width γ. Default 1 (as LibMTL). */
  gamma?: number;
}

export const dselectK = defineArchitecture<DselectKSpec>()({
  type: 'dselectK',
  // At most 2^10 experts, far past any gate the paper measured: a forged file cannot ask for 2^1000 codes.
  options: { experts: count(2, 1024), k: count(), expertUnits: units(), gamma: fraction(1, 1e-3, 1e3, true) },
  describe(c, b, taskNames) {
    const act = ACTIVATION_CODES[c.activation];
    const n = c.experts, bits = Math.ceil(Math.log2(n)), d = c.expertUnits.at(-1)!;
    const shared: Op[] = [];
    b.into(shared);
    const z = b.concat(b.branches(n, (i) => b.mlp(b.input, c.expertUnits, `experts.${i}`, act, SHARED, c.dropout)));
    const tasks = withTowers(b, c, taskNames, (t) => {
      const name = taskNames[t]!;
      const zInit = { uniform: c.gamma / 100 }, wInit = { uniform: 0.05 };
      const selectors = b.denseTensors(`gate.${name}.selectors`, b.width(b.input), c.k * bits, t, 'gate.selectors', { weight: zInit, bias: zInit });
      const weights = b.denseTensors(`gate.${name}.weights`, b.width(b.input), c.k, t, 'gate.weights', { weight: wInit, bias: wInit });
      const s = b.act(b.denseOp(b.input, selectors, Act.identity), Act.smoothStep, c.gamma);
      const alpha = b.softmax(b.denseOp(b.input, weights, Act.identity));
      const g = b.value(n);
      b.op({ kind: 'dselect', s, a: alpha, y: g, bits });
      return b.mix(z, Array.from({ length: n }, (_, i) => i), g, d);
    });
    return { shared, z, tasks };
  },
});
