// The sharing architectures, one file each (a pure description of the network;
// see common.ts for what a file exports and src/graph/description.ts for the
// form). Adding one is its file and one line in ARCHITECTURES.
//
//   sharedBottom  shared-bottom.ts   hard parameter sharing: a trunk, then towers
//   mmoe          mmoe.ts            Multi-gate Mixture-of-Experts
//   omoe          omoe.ts            One-gate Mixture-of-Experts (MMoE's baseline)
//   cgc           cgc.ts             Customized Gate Control (one PLE level)
//   ple           ple.ts             Progressive Layered Extraction
//   crossStitch   cross-stitch.ts    cross-stitch networks
//   dselectK      dselect-k.ts       DSelect-k: a sparse, differentiable expert selection per task
//   ltb           ltb.ts             Learning to Branch: a tree of blocks whose branching is learned
//   conv1d        conv1d.ts          causal 1-D convolutions over windows of a series, pooled over time
//   transformer   transformer.ts     Transformer encoder layers over the time steps of windows of a series
//
// Every spec takes `towerUnits` (each task's tower; [] for none), and optionally
// `activation` (default 'relu', of every layer but the gates) and `dropout`
// (default 0: the rate of a Dropout after every layer but the gates, active only
// in training) and `initializer` (default the model's, itself 'glorotUniform' by
// default: what every dense layer's weights start from, see src/nn/init.ts; fixed
// starts an architecture's paper prescribes, as DSelect-k's gates, stay as they are). Bad specs throw before anything is built: an unknown type or
// option name, a missing option or a bad value → ArgumentError; a size or count
// that is not a positive integer → ShapeError. Each names the option.

import { ArgumentError } from '../../runtime/errors.js';
import { show } from '../../runtime/validate.js';
import { DescriptionBuilder, type DescriptionLimits } from '../../graph/description.js';
import { readOptions, type LayerInitializerName, type ArchitectureDefinition, type ArchitectureParts, type ConfigOf, type OptionSchema } from './common.js';
import { sharedBottom } from './shared-bottom.js';
import { mmoe } from './mmoe.js';
import { omoe } from './omoe.js';
import { cgc } from './cgc.js';
import { ple } from './ple.js';
import { crossStitch } from './cross-stitch.js';
import { dselectK } from './dselect-k.js';
import { ltb } from './ltb.js';
import { conv1d } from './conv1d.js';
import { transformer } from './transformer.js';

/** The registry: an architecture's file, imported above, and its name here. */
const ARCHITECTURES = { sharedBottom, mmoe, omoe, cgc, ple, crossStitch, dselectK, ltb, conv1d, transformer };

type Registry = typeof ARCHITECTURES;
/** An architecture's name. */
export type ArchitectureType = keyof Registry;
/** The spec of architecture T, as a user writes it. */
export type ArchitectureSpecOf<T extends ArchitectureType> = NonNullable<Registry[T]['spec']>;
/** Any architecture's spec. */
export type ArchitectureSpec = { [T in ArchitectureType]: ArchitectureSpecOf<T> }[ArchitectureType];
export type { Activation } from './common.js';

/** The architecture type names the model knows. */
export const ARCHITECTURE_TYPES = Object.keys(ARCHITECTURES) as readonly ArchitectureType[];

/** A checked architecture spec with every default filled in (what a model file stores), and how to describe it. */
export interface ReadArchitecture {
  readonly config: Record<string, unknown> & { type: ArchitectureType };
  describe(b: DescriptionBuilder, taskNames: readonly string[]): ArchitectureParts;
}

/** Checks a spec (ArgumentError/ShapeError naming the option). */
export function readArchitecture(spec: unknown): ReadArchitecture {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new ArgumentError(`MultiTaskModel: the architecture spec must be an object with a "type", got ${show(spec)}`);
  }
  const type: unknown = (spec as { type?: unknown }).type;
  if (typeof type !== 'string' || !Object.hasOwn(ARCHITECTURES, type)) {
    throw new ArgumentError(`MultiTaskModel: unknown architecture type ${show(type)} (known: ${ARCHITECTURE_TYPES.join(', ')})`);
  }
  const def = ARCHITECTURES[type as ArchitectureType] as unknown as ArchitectureDefinition;
  const read = readOptions(def, spec as Record<string, unknown>) as ConfigOf<OptionSchema>;
  return {
    config: { type: type as ArchitectureType, ...read },
    describe: (b, taskNames) => {
      b.initializer = read.initializer as LayerInitializerName;
      return def.describe(read, b, taskNames);
    },
  };
}

export type { DescriptionLimits };
