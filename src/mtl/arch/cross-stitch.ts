// Cross-stitch networks (Misra et al., CVPR 2016): one column (an MLP of
// `units`) per task; after each layer l a learnable T×T matrix α_l mixes the
// columns' activations, x̃_t = Σ_s α_l[t, s] · x_s, and x̃_t is column t's
// input to the next layer.
//
//   Z   = [x̃_0 | … | x̃_{T−1}] after the last layer      rows × (T·d), d = units[last]
//   R_t = tower_t(Z[:, t·d : (t+1)·d])                 (towerUnits: [] → that block itself)
//
// Initialization: α_l starts at the paper's blend α⁰ — alphaDiagonal (default
// 0.9) on the diagonal and (1 − alphaDiagonal)/(T − 1) off it, so each row sums
// to 1 (with one task, α⁰ = [[1]]). The parameter initializers cannot produce
// that matrix, so the learnable parameter is the offset from it:
//   α_l = α⁰ + cross.<l>.alphaOffset   (T×T, row t = output task t, column s = input task s; starts at 0)
// Its gradient is exactly dL/dα_l; Adam and SGD follow the same trajectory as
// with α_l itself, and weight decay pulls α_l towards α⁰ rather than towards 0.
//
// Parameters: `column.<task>.<l>.weight|bias` (layer l of the task's column, owned
// by the task) and `cross.<l>.alphaOffset` (shared) — the shared part, as every
// column feeds every task through α — then `tower.<task>.<k>.weight|bias`.

import { SHARED, type Op } from '../../graph/description.js';
import { ACTIVATION_CODES, defineArchitecture, fraction, units, withTowers, type CommonSpec } from './common.js';

export interface CrossStitchSpec extends CommonSpec {
  type: 'crossStitch';
  /** Widths of each column's layers (at least one); a cross-stitch unit follows each. */
  units: number[];
  /** α's initial diagonal, in [0, 1]. Default 0.9. */
  alphaDiagonal?: number;
}

/** α⁰ for T tasks: `diagonal` on the diagonal, the rest of each row's unit sum spread evenly off it. */
export function crossStitchAlpha0(T: number, diagonal: number): number[] {
  const off = T === 1 ? 0 : (1 - diagonal) / (T - 1);
  return Array.from({ length: T * T }, (_, i) => (i % (T + 1) === 0 ? (T === 1 ? 1 : diagonal) : off));
}

export const crossStitch = defineArchitecture<CrossStitchSpec>()({
  type: 'crossStitch',
  options: { units: units(), alphaDiagonal: fraction(0.9, 0, 1, true) },
  describe(c, b, taskNames) {
    const T = taskNames.length, act = ACTIVATION_CODES[c.activation];
    const alpha0 = crossStitchAlpha0(T, c.alphaDiagonal);
    const shared: Op[] = [];
    b.into(shared);
    let inputs = taskNames.map(() => b.input);
    c.units.forEach((u, l) => {
      const xs = taskNames.map((name, t) => b.dense(inputs[t]!, u, `column.${name}.${l}`, act, t, c.dropout, `column.${l}`));
      const alpha = b.tensor(`cross.${l}.alphaOffset`, T, T, 'zeros', SHARED, '');
      const ys = xs.map(() => b.value(u));
      b.op({ kind: 'crossStitch', xs, alpha, alpha0, ys });
      inputs = ys;
    });
    const d = c.units.at(-1)!;
    const z = b.concat(inputs);
    return { shared, z, tasks: withTowers(b, c, taskNames, (t) => b.slice(z, t * d, d)) };
  },
});
