// Shared-bottom (hard parameter sharing; Caruana 1997): one trunk MLP on the
// input, then one tower MLP per task.
//
//   Z   = trunk(x)                       rows × units[last]
//   R_t = tower_t(Z)                     (towerUnits: [] → R_t = Z)
//
// Parameters: `shared.<k>.weight|bias` (trunk layer k, shared),
// `tower.<task>.<k>.weight|bias` (task-specific).

import type { Op } from '../../graph/description.js';
import { defineArchitecture, units, withTowers, ACTIVATION_CODES, SHARED, type CommonSpec } from './common.js';

export interface SharedBottomSpec extends CommonSpec {
  type: 'sharedBottom';
  /** Widths of the trunk's layers (at least one). */
  units: number[];
}

export const sharedBottom = defineArchitecture<SharedBottomSpec>()({
  type: 'sharedBottom',
  options: { units: units() },
  describe(c, b, taskNames) {
    const shared: Op[] = [];
    const z = b.into(shared).mlp(b.input, c.units, 'shared', ACTIVATION_CODES[c.activation], SHARED, c.dropout);
    return { shared, z, tasks: withTowers(b, c, taskNames, () => z) };
  },
});
