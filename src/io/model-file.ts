// Reading a model file for either loader (MultiTaskModel.load and
// `manytask/infer`): the bytes decoded (format.ts), the header's schema, class
// names and statistics checked (header.ts), and the network described again from
// the header's architecture and tasks (src/mtl/describe.ts) — the same
// description training used — then checked against the file's parameter table
// tensor by tensor before anything is allocated. So a header describing a larger
// network than its weights, a spec with a count of 10⁹ experts, or a table that
// lies about a shape is refused at the first tensor past the weights. Throws
// ModelFormatError.

import { show, isRecord } from '../runtime/validate.js';
import { ArgumentError, ShapeError } from '../runtime/errors.js';
import { DescriptionLimitError } from '../graph/description.js';
import { describeModel, MAX_TASKS, type ModelDescription, type TaskShape } from '../mtl/describe.js';
import { isTaskKind } from '../mtl/kinds.js';
import { decodeModel, ModelFormatError, type WeightEncoding } from './format.js';
import { checkClasses, readSchema, readTargetStats, type SchemaInfo } from './header.js';

export interface ModelFile {
  readonly header: Record<string, unknown>;
  /** The weights as f32, in the parameter table's layout. */
  readonly weights: Float32Array;
  readonly encoding: WeightEncoding;
  readonly schema: SchemaInfo;
  readonly description: ModelDescription;
  /** Regression targets' standardization, per task name. */
  readonly stats: Map<string, { mean: number; std: number }>;
}


function invalid(what: string): never {
  throw new ModelFormatError(`its model description is invalid (${what})`);
}
function mismatch(what: string): never {
  throw new ModelFormatError(`its parameter table does not match the architecture it describes (${what})`);
}

/** A message from the description's checks, cut short (a forged header can make them long). */
function brief(err: Error): string {
  return err.message.length > 300 ? `${err.message.slice(0, 300)}… (${err.message.length} characters)` : err.message;
}

export function readModelFile(bytes: Uint8Array): ModelFile {
  const { header: h, weights, encoding } = decodeModel(bytes);
  if (h.format !== 'manytask.model') throw new ModelFormatError('the header does not describe a manytask model');
  const schema = readSchema(h);
  const description = describeFile(h, schema, weights.length);
  checkTable(h, description, weights);
  checkClasses(description.tasks, schema);
  const stats = readTargetStats(h, description.tasks);
  return { header: h, weights, encoding, schema, description, stats };
}

/** The header's tasks and architecture as a description no larger than the file's `n` weights. */
function describeFile(h: Record<string, unknown>, schema: SchemaInfo, n: number): ModelDescription {
  const specs = h.tasks;
  if (!Array.isArray(specs) || specs.length === 0) invalid('tasks must be a non-empty array');
  if (specs.length > MAX_TASKS) invalid(`it has ${specs.length} tasks; a model file holds at most ${MAX_TASKS}`);
  const tasks = (specs as unknown[]).map((s, i): TaskShape => {
    if (!isRecord(s) || typeof s.name !== 'string' || !isTaskKind(s.kind)) invalid(`task ${i} is ${show(s)}: tasks need a name and a kind`);
    const task = s as Record<string, unknown> & { name: string };
    const width = schema.tasks.get(task.name)?.width;
    if (width === undefined) invalid(`task ${show(task.name)} has no output width in the schema`);
    const headUnits = task.headUnits;
    if (headUnits !== undefined && !(Array.isArray(headUnits) && headUnits.every((u) => Number.isSafeInteger(u) && (u as number) >= 1))) {
      invalid(`task ${show(task.name)}: headUnits must be an array of positive layer widths, got ${show(headUnits)}`);
    }
    return {
      name: task.name, kind: task.kind as TaskShape['kind'], width: width!,
      ...(task.inputsFrom !== undefined ? { inputsFrom: task.inputsFrom as string[] } : {}),
      ...(headUnits !== undefined ? { headUnits: headUnits as number[] } : {}),
      ...(task.headActivation !== undefined ? { headActivation: task.headActivation as TaskShape['headActivation'] & string } : {}),
      ...(task.kind === 'quantile' ? { quantiles: task.quantiles as number[] } : {}),
    };
  });
  try {
    return describeModel(h.architecture, tasks, schema.featureNames.length, { floats: n }, undefined, schema.embeddings);
  } catch (err) {
    if (err instanceof DescriptionLimitError) mismatch(err.message);
    if (err instanceof ArgumentError || err instanceof ShapeError) invalid(brief(err));
    throw err;
  }
}

/**
 * The header's parameter table must list the description's tensors in order, with
 * their names and shapes, each at the next 4-float-aligned offset, and end where
 * the weights end; the padding between and after tensors must be 0, as save()
 * writes it.
 */
function checkTable(h: Record<string, unknown>, d: ModelDescription, weights: Float32Array): void {
  const table = h.parameters;
  if (!Array.isArray(table)) mismatch('the header has no parameter table');
  let size = 0;
  d.tensors.forEach((t, i) => {
    const e = (table as unknown[])[i];
    const want = `${show(t.name)} ${t.rows}×${t.cols} at ${size}`;
    if (!isRecord(e)) mismatch(`the table ends before ${want}`);
    const shape = (e as { shape?: unknown }).shape;
    if (e!.name !== t.name || !Array.isArray(shape) || shape.length !== 2 || shape[0] !== t.rows || shape[1] !== t.cols || e!.offset !== size) {
      mismatch(`expected ${want}, found ${show(e!.name)} ${show(shape)} at ${show(e!.offset)}`);
    }
    for (let k = size + t.rows * t.cols; k < size + Math.ceil((t.rows * t.cols) / 4) * 4; k++) padding(weights, k);
    size += Math.ceil((t.rows * t.cols) / 4) * 4;
  });
  if ((table as unknown[]).length !== d.tensors.length || size !== weights.length) {
    mismatch(`the network has ${d.tensors.length} tensors in ${size} weights; the file has ${(table as unknown[]).length} in ${weights.length}`);
  }
}

function padding(weights: Float32Array, i: number): void {
  if (weights[i] !== 0) throw new ModelFormatError(`weight ${i} lies between tensors (padding) and is ${weights[i]}, not 0`);
}
