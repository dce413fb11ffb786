// The parts of a model file's header besides the network (src/io/model-file.ts):
// the input schema, the class names and the regression statistics. Throws
// ModelFormatError.

import { F32_MAX, show, isRecord } from '../runtime/validate.js';
import { ModelFormatError } from './format.js';
import { MAX_FEATURES } from '../mtl/describe.js';
import { KINDS, classNameCount, type TaskKind } from '../mtl/kinds.js';

/** What these checks need of a task. */
export interface TaskOutputs {
  readonly name: string;
  readonly kind: TaskKind;
  readonly width: number;
}

export interface SchemaInfo {
  readonly featureNames: readonly string[];
  /** Per task name (own keys of the header's schema.tasks): output width and class names. */
  readonly tasks: ReadonlyMap<string, { readonly width: number; readonly classes?: readonly string[] }>;
  /** The embedding tables as the header gives them (describeModel checks them). */
  readonly embeddings: unknown;
}


/** At most this many outputs per task. */
const MAX_WIDTH = 1 << 16;

function fail(what: string): never {
  throw new ModelFormatError(what);
}

function strings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

/** The header's `schema`: feature names (distinct strings) and per-task widths and class names. */
export function readSchema(h: Record<string, unknown>): SchemaInfo {
  const schema = h.schema;
  if (!isRecord(schema) || !Array.isArray(schema.featureNames) || !isRecord(schema.tasks)) fail('the header has no input schema');
  const names = schema.featureNames;
  if (names.length < 1 || names.length > MAX_FEATURES) fail(`the feature count ${names.length} is out of range (1 to ${MAX_FEATURES})`);
  if (!strings(names)) fail('the feature names are not all strings');
  if (new Set(names).size !== names.length) fail('two features have the same name');
  const tasks = new Map<string, { width: number; classes?: readonly string[] }>();
  for (const name of Object.keys(schema.tasks)) {
    const v = schema.tasks[name];
    const width = isRecord(v) ? v.width : undefined;
    if (typeof width !== 'number' || !Number.isInteger(width) || width < 1 || width > MAX_WIDTH) fail(`task ${show(name)} has an invalid width in the schema`);
    const classes = (v as Record<string, unknown>).classes;
    if (classes !== undefined && (!strings(classes) || classes.length > MAX_WIDTH)) fail(`the class names of task ${show(name)} are not a list of strings`);
    tasks.set(name, { width: width as number, ...(classes !== undefined ? { classes: classes as string[] } : {}) });
  }
  return { featureNames: names as string[], tasks, embeddings: schema.embeddings ?? [] };
}

/** Class names, where the schema gives them, must match the task's outputs (two for a binary task). */
export function checkClasses(tasks: readonly TaskOutputs[], schema: SchemaInfo): void {
  for (const t of tasks) {
    const classes = schema.tasks.get(t.name)?.classes;
    if ((t.kind === 'binary' || t.kind === 'regression') && t.width !== 1) fail(`the ${t.kind} task ${show(t.name)} has width ${t.width}, not 1`);
    if (classes === undefined) continue;
    const want = classNameCount(t.kind, t.width);
    if (classes.length !== want) fail(`task ${show(t.name)} (${t.kind}, ${t.width} outputs) has ${classes.length} class names`);
  }
}

/**
 * The header's `targetStats`: for regression, gaussian and quantile tasks only (their targets are standardized), a finite mean and a
 * finite std > 0, both within the float32 range the predictions are returned in
 * (training computes them from labels that must fit float32). A regression task
 * may have none (a model saved before it was trained predicts standardized values).
 */
export function readTargetStats(h: Record<string, unknown>, tasks: readonly TaskOutputs[]): Map<string, { mean: number; std: number }> {
  const json = h.targetStats;
  const out = new Map<string, { mean: number; std: number }>();
  if (json === undefined) return out;
  if (!isRecord(json)) fail('the target statistics are not an object');
  for (const name of Object.keys(json)) {
    const task = tasks.find((t) => t.name === name);
    if (task === undefined || !KINDS[task.kind].standardized) fail(`the target statistics name ${show(name)}, which is not a regression, gaussian or quantile task`);
    const st = json[name];
    const mean = isRecord(st) ? st.mean : undefined, std = isRecord(st) ? st.std : undefined;
    if (typeof mean !== 'number' || typeof std !== 'number' || !(Math.abs(mean) <= F32_MAX) || !(std > 0 && std <= F32_MAX)) {
      fail(`the target statistics of ${show(name)} are mean ${show(mean)} and std ${show(std)}; they must be finite, the std > 0, both within the float32 range`);
    }
    out.set(name, { mean: mean as number, std: std as number });
  }
  return out;
}
