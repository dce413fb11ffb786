// createWeighting(spec): a joint-loss weighting strategy (types.ts) from a plain
// spec. Every option is checked here, before training starts; what depends on the
// tasks (fixed weights against the task names) is checked by attach.
//
//   { type: 'fixed', weights?: number[] | { [task]: number } }     fixed.ts (default: equal weights)
//   { type: 'uncertainty', initialLogVariance?: 0, optimizer?: 'adam' }  uncertainty.ts
//   { type: 'dwa', temperature?: 2 }                                dwa.ts
//   { type: 'gradnorm', alpha?: 1.5, optimizer?: 'adam', gradients?: 'either' }  gradnorm.ts
//   { type: 'rlw' }                                                 rlw.ts
//   { type: 'pcgrad', gradients?: 'parameters' }                    pcgrad.ts
//   { type: 'mgda', normalization?: 'none', gradients?: 'either' }  mgda.ts
//   { type: 'cagrad', c?: 0.5, rescale?: 1, gradients?: 'parameters' }  cagrad.ts

import { ArgumentError } from '../../runtime/errors.js';
import { show } from '../../runtime/validate.js';
import { CagradWeighting, type CagradWeightingSpec } from './cagrad.js';
import { DwaWeighting, type DwaWeightingSpec } from './dwa.js';
import { FixedWeighting, type FixedWeightingSpec } from './fixed.js';
import { GradNormWeighting, type GradNormWeightingSpec } from './gradnorm.js';
import { MgdaWeighting, type MgdaWeightingSpec } from './mgda.js';
import { PcgradWeighting, type PcgradWeightingSpec } from './pcgrad.js';
import { RlwWeighting, type RlwWeightingSpec } from './rlw.js';
import { UncertaintyWeighting, type UncertaintyWeightingSpec } from './uncertainty.js';
import type { SpecRecord } from './common.js';
import type { WeightingStrategy } from './types.js';

export type {
  CagradWeightingSpec, DwaWeightingSpec, FixedWeightingSpec, GradNormWeightingSpec, MgdaWeightingSpec,
  PcgradWeightingSpec, RlwWeightingSpec, UncertaintyWeightingSpec,
};
export type { CagradRescale } from './cagrad.js';
export type { MgdaNormalization } from './mgda.js';
export type { GradientSource, WeightOptimizer } from './common.js';

export type WeightingSpec =
  | FixedWeightingSpec
  | UncertaintyWeightingSpec
  | DwaWeightingSpec
  | GradNormWeightingSpec
  | RlwWeightingSpec
  | PcgradWeightingSpec
  | MgdaWeightingSpec
  | CagradWeightingSpec;

export type WeightingType = WeightingSpec['type'];

const FACTORIES: { readonly [K in WeightingType]: new (spec: SpecRecord, where: string) => WeightingStrategy } = {
  fixed: FixedWeighting,
  uncertainty: UncertaintyWeighting,
  dwa: DwaWeighting,
  gradnorm: GradNormWeighting,
  rlw: RlwWeighting,
  pcgrad: PcgradWeighting,
  mgda: MgdaWeighting,
  cagrad: CagradWeighting,
};

/** The strategy types createWeighting knows. */
export const WEIGHTING_TYPES: readonly WeightingType[] = Object.freeze(Object.keys(FACTORIES) as WeightingType[]);

/** Validates `spec` and returns a new, unattached strategy. */
export function createWeighting(spec: WeightingSpec): WeightingStrategy {
  const where = 'createWeighting';
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new ArgumentError(`${where}: spec must be an object like { type: 'dwa', temperature: 2 }, got ${show(spec)}`);
  }
  const s = spec as unknown as SpecRecord;
  const type = s.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(FACTORIES, type)) {
    throw new ArgumentError(`${where}: unknown weighting type ${show(type)} (known: ${WEIGHTING_TYPES.join(', ')})`);
  }
  const Factory = FACTORIES[type as WeightingType];
  return new Factory(s, `${where}(${type})`);
}
