// Sharing architectures from JSON specs. Each splits the model into a shared
// part (x → Z) and one part per task ((x, Z) → R_t); see types.ts for the
// contract and each file for its Z layout and parameter names:
//
//   sharedBottom  shared-bottom.ts   hard parameter sharing: a trunk, then towers
//   mmoe          mmoe.ts            Multi-gate Mixture-of-Experts
//   omoe          omoe.ts            One-gate Mixture-of-Experts (MMoE's baseline)
//   cgc           cgc.ts             Customized Gate Control (one PLE level)
//   ple           ple.ts             Progressive Layered Extraction
//   crossStitch   cross-stitch.ts    cross-stitch networks
//
// Every spec takes `towerUnits` (each task's tower; [] for none), and optionally
// `activation` (default 'relu', of every layer but the gates) and `dropout`
// (default 0: the rate of a Dropout after every layer but the gates, active only
// in training). Bad specs throw before anything is built: an unknown type or
// option name, a missing option or a bad value → ArgumentError; a size or count
// that is not a positive integer → ShapeError. Each names the option.

import type { Architecture } from './types.js';
import { ArgumentError } from '../../runtime/errors.js';
import { show } from '../../runtime/validate.js';
import { SharedBottom, type SharedBottomSpec } from './shared-bottom.js';
import { Mmoe, type MmoeSpec } from './mmoe.js';
import { Omoe, type OmoeSpec } from './omoe.js';
import { Cgc, type CgcSpec } from './cgc.js';
import { Ple, type PleSpec } from './ple.js';
import { CrossStitch, type CrossStitchSpec } from './cross-stitch.js';

export type { Architecture, ArchitectureContext } from './types.js';
export type { SharedBottomSpec, MmoeSpec, OmoeSpec, CgcSpec, PleSpec, CrossStitchSpec };
export { SharedBottom, Mmoe, Omoe, Cgc, Ple, CrossStitch };

export type ArchitectureSpec = SharedBottomSpec | MmoeSpec | OmoeSpec | CgcSpec | PleSpec | CrossStitchSpec;
export type ArchitectureType = ArchitectureSpec['type'];

const FACTORIES: Record<ArchitectureType, (spec: Record<string, unknown>) => Architecture> = {
  sharedBottom: (s) => new SharedBottom(s),
  mmoe: (s) => new Mmoe(s),
  omoe: (s) => new Omoe(s),
  cgc: (s) => new Cgc(s),
  ple: (s) => new Ple(s),
  crossStitch: (s) => new CrossStitch(s),
};

/** The architecture type names createArchitecture knows. */
export const ARCHITECTURE_TYPES = Object.keys(FACTORIES) as readonly ArchitectureType[];

/** Validates a spec and makes the (unbuilt) architecture; the model then calls build(ctx). */
export function createArchitecture(spec: ArchitectureSpec): Architecture {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new ArgumentError(`createArchitecture: the spec must be an object with a "type", got ${show(spec)}`);
  }
  const type: unknown = (spec as { type?: unknown }).type;
  if (typeof type !== 'string' || !Object.hasOwn(FACTORIES, type)) {
    throw new ArgumentError(`createArchitecture: unknown architecture type ${show(type)} (known: ${ARCHITECTURE_TYPES.join(', ')})`);
  }
  return FACTORIES[type as ArchitectureType](spec as unknown as Record<string, unknown>);
}
