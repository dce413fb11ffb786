// How each architecture takes one more task (MultiTaskModel#addTask): the rules
// live in the architectures' files, beside the layouts they change; this list
// keeps them out of manytask/infer, which only reads the specs they grow. An
// architecture missing here changes no option and grows no shared tensor: its
// shared part does not depend on the task count.

import type { Growth, GrowthRule } from './common.js';
import type { ArchitectureType } from './index.js';
import { growPle } from './ple.js';
import { growCrossStitch } from './cross-stitch.js';

const RULES: Partial<Record<ArchitectureType, GrowthRule>> = { ple: growPle, crossStitch: growCrossStitch };

const UNCHANGED: Growth = { options: {}, keeps: () => false };

/** What changes when a model whose architecture spec (every default filled in) is `config` takes a task after `taskNames`. */
export function growArchitecture(config: Readonly<Record<string, unknown>>, taskNames: readonly string[], exact: boolean): Growth {
  return RULES[config.type as ArchitectureType]?.(config, taskNames, exact) ?? UNCHANGED;
}
