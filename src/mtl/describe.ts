// The whole network of a multi-task model as one description: the architecture's
// shared part and task parts (src/mtl/arch/), then each task's head — hidden dense
// layers and an output layer on [R_t | the predictions of the tasks it reads
// from] — and the step from logits to a prediction (src/mtl/kinds.ts). The
// training engine, the model file check and `manytask/infer` all read this; it is
// pure data (the inference bundle reaches it).

import { Act } from '../runtime/abi.js';
import { ArgumentError } from '../runtime/errors.js';
import { show } from '../runtime/validate.js';
import { DescriptionBuilder, SHARED, type DescriptionLimits, type Op, type TensorSpec } from '../graph/description.js';
import type { EmbeddingTable } from '../data/encoding.js';
import { ACTIVATION_CODES, type Activation } from './arch/common.js';
import { checkActivation } from '../runtime/activations.js';
import { readArchitecture, type ReadArchitecture } from './arch/index.js';
import { KINDS, distributionWidth, isDistributionKind, type TaskKind } from './kinds.js';
import type { LayerInitializerName } from '../runtime/initializers.js';

/** The most tasks a model holds: it keeps task × task statistics (affinity, weighting), and a model file holds as many. */
export const MAX_TASKS = 1024;

/** The most features a model takes, and a model file holds. */
export const MAX_FEATURES = 1 << 20;

/** What the description needs of a task. */
export interface TaskShape {
  readonly name: string;
  readonly kind: TaskKind;
  /** Output columns. */
  readonly width: number;
  readonly inputsFrom?: readonly string[];
  readonly headUnits?: readonly number[];
  readonly headActivation?: Activation;
  /** Quantile tasks: the levels, one output each. */
  readonly quantiles?: readonly number[];
}

export interface TaskDescription {
  readonly name: string;
  readonly kind: TaskKind;
  readonly width: number;
  /** The architecture's part for this task: (x, z) → rep. */
  readonly ops: readonly Op[];
  /** R_t. */
  readonly rep: number;
  /** Indices of the tasks whose predictions this head reads. */
  readonly inputsFrom: readonly number[];
  /** The head: the concatenation of rep and the sources' predictions (when it reads any), then its layers. */
  readonly head: readonly Op[];
  /** The head's input value (rep itself when it reads no predictions). */
  readonly headInput: number;
  readonly logits: number;
  /** logits → prediction (softmax or sigmoid), or null when the logits are the prediction. */
  readonly prediction: Op | null;
  readonly predicted: number;
  /** Quantile tasks: the levels of the outputs. */
  readonly quantiles?: readonly number[];
}

export interface ModelDescription {
  readonly inputSize: number;
  /** The value the architecture reads as its input: 0 (the encoded row), or the embedding stage's output. */
  readonly input: number;
  readonly values: readonly number[];
  readonly tensors: readonly TensorSpec[];
  readonly shared: readonly Op[];
  readonly z: number;
  readonly tasks: readonly TaskDescription[];
  /** Task indices, every task after the tasks it reads from. */
  readonly order: readonly number[];
  /** The architecture spec with every default filled in. */
  readonly architecture: Record<string, unknown>;
}

/**
 * Describes a model. Throws ArgumentError/ShapeError naming the bad option, task
 * or name (a loader turns them into ModelFormatError). With limits (a file's
 * weight count), a spec larger than its weights fails at the first tensor past them.
 * `initializer` is what the heads' weights start from (the model's option; the
 * architecture's own is in its spec).
 */
export function describeModel(
  architecture: unknown, tasks: readonly TaskShape[], inputSize: number, limits?: DescriptionLimits,
  initializer: LayerInitializerName = 'glorotUniform', embeddings: unknown = [],
): ModelDescription {
  const arch: ReadArchitecture = readArchitecture(architecture);
  const names = checkTaskNames(tasks);
  const order = orderTasks(tasks, names);
  for (const task of tasks) {
    if (isDistributionKind(task.kind)) {
      // The levels a task maker checked (tasks.quantile), seen again here for a model file's header.
      const q: unknown = task.quantiles;
      if (task.kind === 'quantile' && !(Array.isArray(q) && q.length > 0 && q.every((v, k) => typeof v === 'number' && v > 0 && v < 1 && (k === 0 || v > q[k - 1])))) {
        throw new ArgumentError(`task "${task.name}": its quantiles ${show(q)} are not levels increasing in (0, 1)`);
      }
      const want = distributionWidth(task.kind, task.quantiles);
      if (task.width !== want) throw new ArgumentError(`task "${task.name}": a ${task.kind} head has ${want} output${want === 1 ? '' : 's'}, not ${task.width}`);
    }
    for (const src of task.inputsFrom ?? []) {
      const from = tasks[names.get(src)!]!;
      // Its prediction step has no backward pass: a reader's gradient could not reach it.
      if (isDistributionKind(from.kind)) throw new ArgumentError(`task "${task.name}" reads from the ${from.kind} task "${from.name}": a head cannot read a distribution`);
    }
  }
  const b = new DescriptionBuilder(inputSize, limits);
  const input: Op[] = [];
  const tables = readEmbeddings(embeddings, inputSize);
  if (tables.length > 0) b.input = describeInputStage(b.into(input), tables, inputSize);
  const parts = arch.describe(b, tasks.map((t) => t.name));
  b.initializer = initializer;
  // The heads, in task order; the prediction steps come after every head's tensors.
  const heads = tasks.map((task, t) => {
    const rep = parts.tasks[t]!.out;
    const sources = (task.inputsFrom ?? []).map((n) => names.get(n)!);
    const head: Op[] = [];
    b.into(head);
    const headInput = sources.length === 0 ? rep : b.value(sources.reduce((w, s) => w + tasks[s]!.width, b.width(rep)));
    const hidden = task.headUnits ?? [];
    const act = ACTIVATION_CODES[task.headActivation === undefined ? 'relu' : checkActivation(`task "${task.name}": headActivation`, task.headActivation)];
    const h = b.mlp(headInput, hidden, `head.${task.name}`, act, t, 0, 'head');
    const logits = b.dense(h, task.width, `head.${task.name}.${hidden.length}`, Act.identity, t, 0, `head.${hidden.length}`);
    return { sources, head, headInput, logits };
  });
  const described = tasks.map((task, t): TaskDescription => {
    const { sources, head, headInput, logits } = heads[t]!;
    const rep = parts.tasks[t]!.out;
    if (sources.length > 0) head.unshift({ kind: 'concat', xs: [rep], y: headInput });
    const output = KINDS[task.kind].output;
    let prediction: Op | null = null, predicted = logits;
    if (output !== 'identity') {
      predicted = b.value(task.width);
      prediction = output === 'softmax'
        ? { kind: 'softmax', x: logits, y: predicted }
        : output === 'sigmoid'
          ? { kind: 'act', x: logits, y: predicted, act: Act.sigmoid, alpha: 0 }
          : { kind: 'distribution', family: output, x: logits, y: predicted };
    }
    return {
      name: task.name, kind: task.kind, width: task.width, ops: parts.tasks[t]!.ops, rep, inputsFrom: sources, head, headInput, logits, prediction, predicted,
      ...(task.kind === 'quantile' ? { quantiles: task.quantiles! } : {}),
    };
  });
  // A head reading predictions concatenates [R_t | the sources' predictions] (their values are known now).
  for (const t of described) {
    if (t.inputsFrom.length === 0) continue;
    const concat = t.head[0] as Op & { kind: 'concat' };
    (t.head as Op[])[0] = { kind: 'concat', xs: [concat.xs[0]!, ...t.inputsFrom.map((s) => described[s]!.predicted)], y: concat.y };
  }
  return {
    inputSize, input: b.input, values: b.values, tensors: b.tensors, shared: [...input, ...parts.shared], z: parts.z, tasks: described, order, architecture: arch.config,
  };
}

/**
 * Checks the embedding tables (the Preprocessor's, or a model file's schema): sizes
 * and input columns, distinct, in range. (Their names need no check: a model file's
 * parameter table must list them as the description does.)
 */
function readEmbeddings(raw: unknown, inputSize: number): readonly EmbeddingTable[] {
  const used = new Set<unknown>();
  const count = (v: unknown, max: number): boolean => Number.isInteger(v) && (v as number) > 0 && (v as number) <= max;
  if (!Array.isArray(raw) || !raw.every((e: Partial<EmbeddingTable>) => count(e?.entries, MAX_FEATURES) && count(e!.dim, 4096) && e!.columns?.length
    && e!.columns.every((c) => count(c + 1, inputSize) && !used.has(c) && used.add(c)))) {
    throw new ArgumentError(`bad embeddings ${show(raw)}`);
  }
  return raw as EmbeddingTable[];
}

/**
 * The input stage: the encoded row's plain features (runs of columns no table
 * reads, as slices), then each table's lookups, side by side. Returns its output,
 * the value the architecture reads as x.
 */
function describeInputStage(b: DescriptionBuilder, tables: readonly EmbeddingTable[], inputSize: number): number {
  const indexed = new Set(tables.flatMap((t) => t.columns));
  const parts: number[] = [];
  for (let c = 0, from = 0; c <= inputSize; c++) {
    if (c < inputSize && !indexed.has(c)) continue;
    if (c > from) parts.push(b.slice(0, from, c - from));
    from = c + 1;
  }
  for (const t of tables) {
    // As Keras's Embedding starts (uniform in ±0.05); the out-of-vocabulary row too.
    const table = b.tensor(`embedding.${t.table}`, t.entries, t.dim, { uniform: 0.05 }, SHARED, '');
    const y = b.value(t.columns.length * t.dim);
    b.op({ kind: 'embedding', x: 0, cols: t.columns, table, entries: t.entries, y });
    parts.push(y);
  }
  return parts.length === 1 ? parts[0]! : b.concat(parts);
}

/** Task names become parameter name segments: distinct, non-empty, without ".". Returns name → index. */
export function checkTaskNames(tasks: readonly { readonly name: string }[]): Map<string, number> {
  if (tasks.length === 0) throw new ArgumentError('MultiTaskModel: tasks must be a non-empty array of tasks.binary(…)/multiclass(…)/…');
  if (tasks.length > MAX_TASKS) throw new ArgumentError(`MultiTaskModel: ${tasks.length} tasks; a model holds at most ${MAX_TASKS}`);
  const index = new Map<string, number>();
  tasks.forEach((t, i) => {
    if (index.has(t.name)) throw new ArgumentError(`MultiTaskModel: two tasks are named ${show(t.name)}`);
    if (typeof t.name !== 'string' || t.name === '' || t.name.includes('.')) {
      throw new ArgumentError(`task ${i} is named ${show(t.name)}: task names must be distinct non-empty strings without "." (they are parameter name segments)`);
    }
    index.set(t.name, i);
  });
  return index;
}

/**
 * Checks the tasks' inputsFrom (other tasks, no cycles) and returns the task
 * indices in an order where every source comes before its readers (depth first,
 * without recursion: a forged model file may chain a thousand tasks).
 */
export function orderTasks(tasks: readonly Pick<TaskShape, 'name' | 'inputsFrom'>[], names: ReadonlyMap<string, number>): number[] {
  const sources = tasks.map((s) => {
    const from: unknown = s.inputsFrom ?? [];
    if (!Array.isArray(from)) throw new ArgumentError(`task "${s.name}": inputsFrom must be an array of task names, got ${show(from)}`);
    return from.map((src: unknown) => {
      const j = typeof src === 'string' ? names.get(src) : undefined;
      if (j === undefined) throw new ArgumentError(`task "${s.name}" reads from ${show(src)}, which is not a task (tasks: ${[...names.keys()].join(', ')})`);
      if (src === s.name) throw new ArgumentError(`task "${s.name}" reads from itself: a task cannot read its own prediction`);
      return j;
    });
  });
  const order: number[] = [];
  const state = new Uint8Array(tasks.length); // 0 new, 1 on the path, 2 done
  for (let root = 0; root < tasks.length; root++) {
    if (state[root] === 2) continue;
    const stack: [number, number][] = [[root, 0]];
    state[root] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [t, k] = top;
      if (k < sources[t]!.length) {
        top[1]++;
        const src = sources[t]![k]!;
        if (state[src] === 1) {
          // The cycle, named short: a forged file may close one through a thousand tasks.
          const path = stack.map(([i]) => tasks[i]!.name);
          const cycle = [...path.slice(path.indexOf(tasks[src]!.name)), tasks[src]!.name].map((n) => show(n).slice(1, -1));
          const shown = cycle.length <= 8 ? cycle.join(' → ') : `${cycle.slice(0, 4).join(' → ')} → … → ${cycle.slice(-2).join(' → ')} (${cycle.length - 1} tasks)`;
          throw new ArgumentError(`the inputsFrom of task ${show(tasks[src]!.name)} form a cycle: ${shown}`);
        }
        if (state[src] === 0) { state[src] = 1; stack.push([src, 0]); }
      } else {
        state[t] = 2;
        order.push(t);
        stack.pop();
      }
    }
  }
  return order;
}
