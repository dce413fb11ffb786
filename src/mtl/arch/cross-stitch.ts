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
//
// A task added to a trained model (addTask) is a new last row and column of α.
// The trained tasks must not read the new column: α[t, new] exactly 0. An offset
// cannot cancel α⁰'s share for it (f32(α⁰ + offset) is 0 only for offset = −α⁰,
// and 1/(T−1) is no float32), and the old rows' α⁰ would change with T too. So
// α⁰'s blend is per row: row t spreads 1 − alphaDiagonal over the first
// max(alphaTasks, t + 1) tasks, 0 beyond (alphaTasks: every task by default, the
// paper's α⁰). The grown spec sets alphaTasks to the task count the model was
// trained with; the trained offsets keep their rows and columns, the new ones
// start at 0, and the new task's row blends over every task.

import { SHARED, type Op } from '../../graph/description.js';
import { ACTIVATION_CODES, count, defineArchitecture, fraction, optional, units, withTowers, type CommonSpec, type GrowthRule } from './common.js';

export interface CrossStitchSpec extends CommonSpec {
  type: 'crossStitch';
  /** Widths of each column's layers (at least one); a cross-stitch unit follows each. */
  units: number[];
  /** α's initial diagonal, in [0, 1]. Default 0.9. */
  alphaDiagonal?: number;
  /**
   * α⁰'s row t blends task t with the first max(alphaTasks, t + 1) tasks only (all
   * of them when alphaTasks is the task count or more). Default: every task (the
   * paper's α⁰). addTask sets it.
   */
  alphaTasks?: number;
}

/**
 * α⁰ for T tasks: in row t, `diagonal` on the diagonal and the rest of the row's
 * unit sum spread evenly over the first max(first, t + 1) tasks (every task by default).
 */
export function crossStitchAlpha0(T: number, diagonal: number, first = T): number[] {
  return Array.from({ length: T * T }, (_, i) => {
    const t = Math.floor(i / T), s = i % T, n = Math.max(Math.min(first, T), t + 1);
    // A row over one task (its own) is 1 on the diagonal.
    return s === t ? (n > 1 ? diagonal : 1) : s < n ? (1 - diagonal) / (n - 1) : 0;
  });
}

export const crossStitch = defineArchitecture<CrossStitchSpec>()({
  type: 'crossStitch',
  options: { units: units(), alphaDiagonal: fraction(0.9, 0, 1, true), alphaTasks: optional<number | undefined>(count(), undefined) },
  describe(c, b, taskNames) {
    const T = taskNames.length, act = ACTIVATION_CODES[c.activation];
    const alpha0 = crossStitchAlpha0(T, c.alphaDiagonal, c.alphaTasks);
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

/**
 * How a cross-stitch network takes one more task (see the file comment and
 * growth.ts). Retrained or not, the old rows keep their blend: their offsets were
 * trained against it.
 */
export const growCrossStitch: GrowthRule = (c, taskNames) => ({
  options: { alphaTasks: Math.min((c.alphaTasks as number | undefined) ?? Infinity, taskNames.length) },
  keeps: (name) => /^cross\.\d+\.alphaOffset$/.test(name),
});
