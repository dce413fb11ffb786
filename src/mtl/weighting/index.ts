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
//   { type: 'gls' }  gls.ts
//   { type: 'imtl', lossScale?: true, optimizer?: 'adam', gradients?: 'either' }  imtl.ts
//   { type: 'nashmtl', maxNorm?: 1, updateWeightsEvery?: 1, gradients?: 'parameters' }  nashmtl.ts
//   { type: 'alignedmtl', scale?: 'min', gradients?: 'either' }  alignedmtl.ts
//   { type: 'gradvac', beta?: 0.5, gradients?: 'parameters' }  gradvac.ts
//   { type: 'graddrop', leak?: 0, gradients?: 'either' }  graddrop.ts
//   { type: 'moco', beta?: 0.5, betaSigma?: 0.5, gamma?: 0.1, gammaSigma?: 0.5, rho?: 0 }  moco.ts
//   { type: 'dbmtl', beta?: 0.9, betaSigma?: 0 }  dbmtl.ts
//   { type: 'stch', mu?: 1, warmupEpochs?: 4 }  stch.ts
//   { type: 'excessmtl', stepSize?: 0.01, gradients?: 'parameters' }  excessmtl.ts
//   { type: 'fairgrad', alpha?: 1, gradients?: 'parameters' }  fairgrad.ts
//   { type: 'famo', learningRate?: 0.025, weightDecay?: 1e-3 }  famo.ts
//   { type: 'modo', gamma?: 1e-3, rho?: 0.1 }  modo.ts
//   { type: 'sdmgrad', lambda?: 0.3, iterations?: 20 }  sdmgrad.ts
//   { type: 'upgrad', normEps?: 1e-4, regEps?: 1e-4, gradients?: 'parameters' }  upgrad.ts
//   { type: 'dualproj', normEps?: 1e-4, regEps?: 1e-4, gradients?: 'parameters' }  dualproj.ts
//   { type: 'config', gradients?: 'parameters' }  config.ts
//   { type: 'trimmedmean', trim?: 1, gradients?: 'parameters' }  trimmedmean.ts
//   { type: 'krum', nByzantine?: 0, nSelected?: 1, gradients?: 'parameters' }  krum.ts

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
import { GlsWeighting, type GlsWeightingSpec } from './gls.js';
import { ImtlWeighting, type ImtlWeightingSpec } from './imtl.js';
import { NashMtlWeighting, type NashMtlWeightingSpec } from './nashmtl.js';
import { AlignedMtlWeighting, type AlignedMtlWeightingSpec } from './alignedmtl.js';
import { GradVacWeighting, type GradVacWeightingSpec } from './gradvac.js';
import { GradDropWeighting, type GradDropWeightingSpec } from './graddrop.js';
import { MocoWeighting, type MocoWeightingSpec } from './moco.js';
import { DbMtlWeighting, type DbMtlWeightingSpec } from './dbmtl.js';
import { StchWeighting, type StchWeightingSpec } from './stch.js';
import { ExcessMtlWeighting, type ExcessMtlWeightingSpec } from './excessmtl.js';
import { FairGradWeighting, type FairGradWeightingSpec } from './fairgrad.js';
import { FamoWeighting, type FamoWeightingSpec } from './famo.js';
import { ModoWeighting, type ModoWeightingSpec } from './modo.js';
import { SdmGradWeighting, type SdmGradWeightingSpec } from './sdmgrad.js';
import { UpgradWeighting, type UpgradWeightingSpec } from './upgrad.js';
import { DualProjWeighting, type DualProjWeightingSpec } from './dualproj.js';
import { ConfigWeighting, type ConfigWeightingSpec } from './config.js';
import { TrimmedMeanWeighting, type TrimmedMeanWeightingSpec } from './trimmedmean.js';
import { KrumWeighting, type KrumWeightingSpec } from './krum.js';
import type { OptionRecord } from '../../runtime/validate.js';
import type { WeightingStrategy } from './types.js';

export type {
  CagradWeightingSpec, DwaWeightingSpec, FixedWeightingSpec, GradNormWeightingSpec, MgdaWeightingSpec,
  PcgradWeightingSpec, RlwWeightingSpec, UncertaintyWeightingSpec,
  GlsWeightingSpec, ImtlWeightingSpec, NashMtlWeightingSpec, AlignedMtlWeightingSpec, GradVacWeightingSpec, GradDropWeightingSpec, MocoWeightingSpec, DbMtlWeightingSpec, StchWeightingSpec, ExcessMtlWeightingSpec, FairGradWeightingSpec, FamoWeightingSpec, ModoWeightingSpec, SdmGradWeightingSpec, UpgradWeightingSpec, DualProjWeightingSpec, ConfigWeightingSpec, TrimmedMeanWeightingSpec, KrumWeightingSpec,
};
export type { AlignedMtlScale } from './alignedmtl.js';
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
  | CagradWeightingSpec
  | GlsWeightingSpec
  | ImtlWeightingSpec
  | NashMtlWeightingSpec
  | AlignedMtlWeightingSpec
  | GradVacWeightingSpec
  | GradDropWeightingSpec
  | MocoWeightingSpec
  | DbMtlWeightingSpec
  | StchWeightingSpec
  | ExcessMtlWeightingSpec
  | FairGradWeightingSpec
  | FamoWeightingSpec
  | ModoWeightingSpec
  | SdmGradWeightingSpec
  | UpgradWeightingSpec
  | DualProjWeightingSpec
  | ConfigWeightingSpec
  | TrimmedMeanWeightingSpec
  | KrumWeightingSpec;

export type WeightingType = WeightingSpec['type'];

const FACTORIES: { readonly [K in WeightingType]: new (spec: OptionRecord, where: string) => WeightingStrategy } = {
  fixed: FixedWeighting,
  uncertainty: UncertaintyWeighting,
  dwa: DwaWeighting,
  gradnorm: GradNormWeighting,
  rlw: RlwWeighting,
  pcgrad: PcgradWeighting,
  mgda: MgdaWeighting,
  cagrad: CagradWeighting,
  gls: GlsWeighting,
  imtl: ImtlWeighting,
  nashmtl: NashMtlWeighting,
  alignedmtl: AlignedMtlWeighting,
  gradvac: GradVacWeighting,
  graddrop: GradDropWeighting,
  moco: MocoWeighting,
  dbmtl: DbMtlWeighting,
  stch: StchWeighting,
  excessmtl: ExcessMtlWeighting,
  fairgrad: FairGradWeighting,
  famo: FamoWeighting,
  modo: ModoWeighting,
  sdmgrad: SdmGradWeighting,
  upgrad: UpgradWeighting,
  dualproj: DualProjWeighting,
  config: ConfigWeighting,
  trimmedmean: TrimmedMeanWeighting,
  krum: KrumWeighting,
};

/** The strategy types createWeighting knows. */
export const WEIGHTING_TYPES: readonly WeightingType[] = Object.freeze(Object.keys(FACTORIES) as WeightingType[]);

/** Validates `spec` and returns a new, unattached strategy. */
export function createWeighting(spec: WeightingSpec): WeightingStrategy {
  const where = 'createWeighting';
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new ArgumentError(`${where}: spec must be an object like { type: 'dwa', temperature: 2 }, got ${show(spec)}`);
  }
  const s = spec as unknown as OptionRecord;
  const type = s.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(FACTORIES, type)) {
    throw new ArgumentError(`${where}: unknown weighting type ${show(type)} (known: ${WEIGHTING_TYPES.join(', ')})`);
  }
  const Factory = FACTORIES[type as WeightingType];
  return new Factory(s, `${where}(${type})`);
}
