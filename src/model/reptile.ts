// Reptile (Nichol, Achiam & Schulman 2018, "On First-Order Meta-Learning
// Algorithms"): a meta-learned starting point over a model's tasks, so that a task
// added later (addTask) with few labelled rows learns faster from it.
//
//   φ = the model's weights
//   repeat `iterations` times, the tasks taken in turn (each round in a seeded order):
//     θ = φ; take `innerSteps` optimizer steps on batches of task τ's rows alone
//     φ ← φ + ε_i (θ − φ),   ε_i = ε₀ (1 − i / iterations)   (the paper's linear annealing)
//
// The inner loop is the model's own training step on task τ's labels only (the other
// tasks unlabelled, so they contribute nothing), with a fresh optimizer state each
// time, as the paper does; the outer step is first-order (no second derivatives), so
// one meta-iteration costs `innerSteps` ordinary steps. Everything φ holds moves — the
// shared part and the existing tasks' parts; a new task's head starts from the
// initializers and the shared part it reads is the meta-learned one (addTask with
// `freezeShared: false` lets it adapt, which is what Reptile prepares it for).
// Deterministic: rows are drawn by the library's seeded RNG, the outer step is plain
// f32 arithmetic.

import { ArgumentError } from '../runtime/errors.js';
import { F32_MAX, checkKeys, checkOptionsObject, integerOption, numberOption, show } from '../runtime/validate.js';
import { permutation } from '../data/dataset.js';
import type { LabelColumns } from '../mtl/labels.js';

export interface MetaLearnOptions {
  /** Meta-iterations (outer steps). Default 100. */
  iterations?: number;
  /** Optimizer steps on one task per meta-iteration. Default 8. */
  innerSteps?: number;
  /** Rows per inner step. Default 16. */
  batchSize?: number;
  /** The inner steps' learning rate. Default: the optimizer's. */
  innerLearningRate?: number;
  /** ε₀, the first outer step (annealed linearly to 0), in (0, 1]. Default 1 (the paper's). */
  metaStepSize?: number;
  /** The tasks to meta-train over (each needs labelled rows in the data). Default: every supervised task. */
  tasks?: readonly string[];
  /** Seeds the task order and the rows drawn. Default 0. */
  seed?: number;
}

export interface MetaLearnSummary {
  readonly iterations: number;
  readonly tasks: readonly string[];
  /** Inner steps taken in all. */
  readonly steps: number;
}

/** What Reptile needs of the model (MultiTaskModel.metaLearn supplies it). */
export interface ReptileHost {
  /** The encoded features, rows × cols. */
  readonly features: Float32Array;
  readonly rows: number;
  readonly cols: number;
  /** Each supervised task's labels for every row, as fit(x, labels) takes them (NaN or null: no label). */
  readonly labels: ReadonlyMap<string, ArrayLike<number | null | undefined>>;
  /** The parameter block, as a live view (re-read after every fit: memory may grow). */
  weights(): Float32Array;
  /** Trains on these rows and labels (the other tasks unlabelled), one pass, from a fresh optimizer state. */
  innerFit(x: Float32Array, labels: LabelColumns, batchSize: number, learningRate: number | undefined): Promise<void>;
}

const KNOWN = ['iterations', 'innerSteps', 'batchSize', 'innerLearningRate', 'metaStepSize', 'tasks', 'seed'];

export async function reptile(host: ReptileHost, options: MetaLearnOptions | undefined): Promise<MetaLearnSummary> {
  const where = 'metaLearn';
  const o = checkOptionsObject(where, options);
  checkKeys(where, o, KNOWN);
  const iterations = integerOption(where, o, 'iterations', 100, 1);
  const innerSteps = integerOption(where, o, 'innerSteps', 8, 1);
  const batchSize = integerOption(where, o, 'batchSize', 16, 1);
  const epsilon0 = numberOption(where, o, 'metaStepSize', 1, (v) => v > 0 && v <= 1, 'a number in (0, 1]');
  const innerLearningRate = o.innerLearningRate === undefined ? undefined : numberOption(where, o, 'innerLearningRate', 0, (v) => v > 0 && v <= F32_MAX, 'a number > 0 within float32 (≤ 3.4e38)');
  const seed = integerOption(where, o, 'seed', 0, 0, 2 ** 32 - 1);
  const supervised = [...host.labels.keys()];
  if (o.tasks === undefined && supervised.length === 0) {
    throw new ArgumentError(`${where}: the model has no supervised task with labels in the data, and Reptile meta-learns over supervised tasks`);
  }
  const names: unknown = o.tasks ?? supervised;
  if (!Array.isArray(names) || names.length === 0) throw new ArgumentError(`${where}: tasks must be a non-empty array of task names, got ${show(names)}`);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) throw new ArgumentError(`${where}: tasks names ${show(twice)} twice (each task is one of the tasks Reptile samples from)`);
  // Per task: its labels, their width per row, and the rows that carry one.
  const tasks = names.map((name: unknown) => {
    const values = typeof name === 'string' ? host.labels.get(name) : undefined;
    if (values === undefined) throw new ArgumentError(`${where}: ${show(name)} is not a supervised task of the model with labels in the data (tasks: ${supervised.join(', ')})`);
    const width = values.length / host.rows;
    const labelled: number[] = [];
    for (let r = 0; r < host.rows; r++) {
      const v = values[r * width];
      if (v !== null && v !== undefined && !Number.isNaN(v)) labelled.push(r);
    }
    if (labelled.length === 0) throw new ArgumentError(`${where}: task ${show(name)} has no labelled row in the data`);
    return { name: name as string, values, width, labelled };
  });

  const take = innerSteps * batchSize, cols = host.cols;
  // Each meta-iteration's rows are copied out as float32 rows (and again into WASM memory, at most 4 GiB).
  if (take * cols * 4 > 2 ** 32) {
    throw new ArgumentError(`${where}: innerSteps × batchSize = ${take} rows of ${cols} features per meta-iteration (${(take * cols * 4 / 2 ** 30).toPrecision(3)} GiB) ` +
      'exceed the 4 GiB of WebAssembly memory; lower innerSteps or batchSize');
  }
  const phi = host.weights().slice();
  let steps = 0, order: Int32Array = new Int32Array(0);
  for (let i = 0; i < iterations; i++) {
    // A new round: the tasks in a seeded order.
    const slot = i % tasks.length;
    if (slot === 0) order = permutation(tasks.length, (seed + i) >>> 0);
    const task = tasks[order[slot]!]!;
    // `take` rows of the task's labelled ones, drawn without replacement (cycling when it has fewer).
    const drawn = permutation(task.labelled.length, (seed * 7919 + i + 1) >>> 0);
    const x = new Float32Array(take * cols), y = new Float64Array(take * task.width);
    for (let k = 0; k < take; k++) {
      const r = task.labelled[drawn[k % drawn.length]!]!;
      x.set(host.features.subarray(r * cols, (r + 1) * cols), k * cols);
      for (let j = 0; j < task.width; j++) {
        const v = task.values[r * task.width + j];
        y[k * task.width + j] = v === null || v === undefined ? NaN : v;
      }
    }
    await host.innerFit(x, { [task.name]: y }, batchSize, innerLearningRate);
    steps += innerSteps;
    // φ ← φ + ε (θ − φ), then the model holds φ.
    const epsilon = epsilon0 * (1 - i / iterations), theta = host.weights();
    for (let p = 0; p < phi.length; p++) phi[p] = Math.fround(phi[p]! + epsilon * (theta[p]! - phi[p]!));
    theta.set(phi);
  }
  return { iterations, tasks: tasks.map((t) => t.name), steps };
}
