// Shared-bottom (hard parameter sharing; Caruana 1997): one trunk MLP on the
// input, then one tower MLP per task.
//
//   Z   = trunk(x)                       rows × units[last]
//   R_t = tower_t(Z)                     (towerUnits: [] → R_t = Z)
//
// Parameters: `shared.<k>.weight|bias` (trunk layer k, shared),
// `tower.<task>.<k>.weight|bias` (task-specific).

import type { Op } from '../../graph/description.js';
import { defineArchitecture, units, withTowers, ACTIVATION_CODES, SHARED, type Activation, type LayerInitializerName } from './common.js';

export interface SharedBottomSpec {
  type: 'sharedBottom';
  /** Widths of the trunk's layers (at least one). */
  units: number[];
  /** Widths of each task's tower; [] for none. */
  towerUnits: number[];
  /** Of every layer (trunk and towers). Default 'relu'. */
  activation?: Activation;
  /** Dropout rate after every layer while training. Default 0. */
  dropout?: number;
  /** What every dense layer's weights start from (src/nn/init.ts). Default: the model's `initializer`. */
  initializer?: LayerInitializerName;
}

export const sharedBottom = defineArchitecture<SharedBottomSpec>()({
  type: 'sharedBottom',
  options: { units: units() },
  describe(c, b, taskNames) {
    const shared: Op[] = [];
    const z = b.into(shared).mlp(0, c.units, 'shared', ACTIVATION_CODES[c.activation], SHARED, c.dropout);
    return { shared, z, tasks: withTowers(b, c, taskNames, () => z) };
  },
});
