// The multi-task model: an architecture (shared part → Z → task parts), one head
// per task, one parameter block for all of them, the joint loss and its weighting.
// This file holds the model and its training step; the epoch loop is src/mtl/fit.ts.

import type { EmbeddingTable } from '../data/encoding.js';
import { heapF32, runtime } from '../runtime/module.js';
import { ArgumentError, DisposedError, TrainingDivergedError } from '../runtime/errors.js';
import { checkKeys, checkOptionsObject, isRecord, show } from '../runtime/validate.js';
import { Holding } from '../runtime/holdings.js';
import { Parameters } from '../nn/params.js';
import { Rng, RngStream } from '../nn/rng.js';
import { checkLayerInitializer, type LayerInitializerName } from '../nn/init.js';
import { createLoss, runLoss, type Loss, type LossSpec } from '../nn/loss.js';
import { applyUpdate, applyUpdateAfter, canFinishGradient, createOptimizer, DEFAULT_OPTIMIZER, type Optimizer, type OptimizerSpec } from '../nn/optim.js';
import { checkSeed } from '../runtime/validate.js';
import type { ArchitectureSpec } from './arch/index.js';
import { describeModel, type ModelDescription } from './describe.js';
import { NetworkEngine } from './engine.js';
import type { WeightingStrategy, WeightingVectors } from './weighting/types.js';
import { createWeighting, type WeightingSpec } from './weighting/index.js';
import { checkTasks, defaultLoss, labelWidth, usesClassIndex, type TaskSpec } from './tasks.js';
import { KINDS } from './kinds.js';
import { encodeLabels } from './labels.js';
import { AffinityMeter, type AffinityOptions } from './affinity.js';
import { disjointTasks } from './overlap.js';
import { Relatedness, type RelatednessOptions } from './relatedness.js';
import type { ProximalTerm } from './proximal.js';
import { KMeans } from '../cluster/index.js';
import type { DivergenceGuard } from '../train/divergence.js';
import { GuardedSteps } from '../train/steps.js';
import { PREDICT_CHUNK } from '../graph/forward.js';
import { predictBlocks, shardsOf, type Shard } from './shards.js';

/** What the model knows about its inputs and each task's output width. */
export interface InputSchema {
  readonly featureCount: number;
  readonly featureNames: readonly string[];
  /** Per task name: output width (1, or the class/label count) and class names if known. */
  readonly tasks: ReadonlyMap<string, { readonly width: number; readonly classes?: readonly string[] }>;
  /** The embedding tables the encoded rows index (none by default). */
  readonly embeddings?: readonly EmbeddingTable[];
}

export interface ModelOptions {
  architecture: ArchitectureSpec;
  tasks: TaskSpec[];
  /**
   * Default { type: 'fixed' } with each task's `weight` (default 1); so is `{ type: 'fixed' }`
   * without weights. Fixed weights of its own must agree with any task's `weight`; every other
   * strategy sets the task weights itself and refuses a task `weight` other than 1.
   */
  weighting?: WeightingSpec;
  /** Default { type: 'adam', learningRate: 1e-3 }. */
  optimizer?: OptimizerSpec;
  /** Seeds initialization, dropout, shuffling and strategies. Default 0. */
  seed?: number;
  /**
   * What every dense layer's weights start from: 'glorotUniform' (default, as Keras),
   * 'glorotNormal', 'heUniform', 'heNormal', or 'torch' (PyTorch nn.Linear's: weights
   * and biases from U(±1/√fan_in)). The architecture's own `initializer` overrides it
   * for the architecture's layers; the heads always take this one.
   */
  initializer?: LayerInitializerName;
  /** Declared relatedness between tasks, used as a regularizer between their heads and towers. */
  relatedness?: RelatednessOptions;
  /** How inter-task affinity is measured during training. Default { method: 'gradientCosine', every: 10 }. */
  affinity?: AffinityOptions | false;
  /**
   * With a gradient strategy that accepts either: build its Gram matrix from
   * 'representation' or 'parameters' gradients. Default 'representation', except on
   * an architecture whose tasks read disjoint blocks of the representation
   * (crossStitch), where their gradients there never overlap: 'parameters' (and
   * 'representation' is refused). docs/weighting.md.
   */
  gradients?: 'representation' | 'parameters';
}

/**
 * Renumbers clusters `next` to agree with `previous` labels: repeatedly pairs the
 * (new, old) cluster numbers that share the most rows. Returns new → old.
 */
export function matchClusters(next: Int32Array, previous: Int32Array, k: number): Int32Array {
  const overlap = new Float64Array(k * k);
  for (let i = 0; i < next.length; i++) overlap[next[i]! * k + previous[i]!]!++;
  const map = new Int32Array(k).fill(-1), taken = new Uint8Array(k);
  for (let step = 0; step < k; step++) {
    let best = -1, bi = 0, bj = 0;
    for (let a = 0; a < k; a++) {
      if (map[a] !== -1) continue;
      for (let b = 0; b < k; b++) if (!taken[b] && overlap[a * k + b]! > best) { best = overlap[a * k + b]!; bi = a; bj = b; }
    }
    map[bi] = bj;
    taken[bj] = 1;
  }
  return map;
}

/** A task's labels for a whole dataset, resident in WASM memory during fit/evaluate. */
export interface ResidentLabels {
  targets: number;
  mask: number;
  labeled: number;
  counts: Float64Array;
  /** Targets are probabilities, rows × outputs (a softCrossEntropy loss), also for a multiclass task. */
  soft?: boolean;
}

/** A dataset resident in WASM memory: features and every task's labels (null: the data has none for it). */
export interface ResidentData {
  rows: number;
  x: number;
  labels: (ResidentLabels | null)[];
  sampleWeights: number;
}

/** A task's entry in a fixed weighting's own weights (an array in task order, or a record by name), if it has one. */
function fixedEntry(weights: unknown, spec: { readonly name?: unknown }, t: number): unknown {
  if (Array.isArray(weights)) return weights[t];
  return isRecord(weights) && typeof spec.name === 'string' && Object.hasOwn(weights, spec.name) ? weights[spec.name] : undefined;
}

/**
 * The weighting a model trains with. Only the fixed weighting reads the tasks'
 * `weight`s (Keras's loss_weights): not given (it is the default) or given without
 * weights of its own, it takes them; with weights of its own, a task's weight must be
 * the one they give it (the same thing said twice), not another. Every other strategy
 * sets the task weights itself (as LibMTL's do), so a task weight other than 1 is
 * refused there rather than ignored.
 */
export function jointWeighting(specs: readonly TaskSpec[], weighting: WeightingSpec | undefined): WeightingSpec {
  const fromTasks = (): Record<string, number> => Object.fromEntries(specs.map((s) => [s.name, s.weight ?? 1]));
  if (weighting === undefined) return { type: 'fixed', weights: fromTasks() };
  if (!isRecord(weighting)) return weighting; // createWeighting says what is wrong with it
  const where = 'MultiTaskModel';
  if (weighting.type === 'fixed') {
    const weights = (weighting as { weights?: unknown }).weights;
    // Without task weights: every weight 1, as before (the spec, and the model file, unchanged).
    if (weights === undefined) return specs.some((s) => s.weight !== undefined) ? { ...weighting, weights: fromTasks() } : weighting;
    specs.forEach((s, t) => {
      const given = fixedEntry(weights, s, t);
      if (s.weight !== undefined && given !== undefined && given !== s.weight) {
        throw new ArgumentError(`${where}: task ${show(s.name)} has weight ${s.weight}, but the fixed weighting's weights give it ${show(given)}; give a task's weight in one place`);
      }
    });
    return weighting;
  }
  const weighted = specs.find((s) => s.weight !== undefined && s.weight !== 1);
  if (weighted) {
    throw new ArgumentError(`${where}: task ${show(weighted.name)} has weight ${weighted.weight}, but the ${show(weighting.type)} weighting sets the task weights itself (only 'fixed' reads a task's weight); leave the weight out, or use { type: 'fixed' }`);
  }
  return weighting;
}

/**
 * A model file's tasks without the weights its weighting did not read. Files written
 * before the model compared the two (jointWeighting) may hold one: a task weight next
 * to another strategy, or next to fixed weights of the weighting's own that differed
 * (they won). Such a weight had no effect; left out, the file loads and trains as before.
 */
export function withoutUnreadWeights(tasks: unknown, weighting: unknown): unknown {
  if (!Array.isArray(tasks) || !isRecord(weighting)) return tasks;
  const weights = weighting.type === 'fixed' ? weighting.weights : undefined;
  return tasks.map((s: unknown, t) => {
    if (!isRecord(s) || s.weight === undefined) return s;
    const given = fixedEntry(weights, s, t);
    const read = weighting.type === 'fixed' ? given === undefined || given === s.weight : s.weight === 1;
    if (read) return s;
    const { weight: _unread, ...rest } = s;
    return rest;
  });
}

const MODEL_KEYS = ['architecture', 'tasks', 'weighting', 'optimizer', 'seed', 'initializer', 'relatedness', 'affinity', 'gradients'] as const;

export class MultiTaskModelCore {
  readonly schema: InputSchema;
  readonly specs: readonly TaskSpec[];
  readonly taskNames: readonly string[];
  readonly order: readonly number[];
  readonly seed: number;
  /** The model's `initializer` (the heads', and the architecture's unless its spec names one). */
  readonly initializer: LayerInitializerName;
  readonly parameters: Parameters;
  /** The network: the architecture and the heads, as one description. */
  readonly description: ModelDescription;
  readonly engine: NetworkEngine;
  /** Output columns per task. */
  readonly widths: readonly number[];
  readonly losses: readonly Loss[];
  readonly optimizerSpec: OptimizerSpec;
  readonly gradientSource: 'representation' | 'parameters';
  /** The affinity is measured on the shared parameters' gradients (tasks whose gradients of Z cannot overlap), else on Z's. */
  #affinityOnParameters = false;
  optimizer: Optimizer;
  weighting: WeightingStrategy;
  readonly affinity: AffinityMeter | null;
  readonly relatedness: Relatedness | null;
  readonly options: ModelOptions;

  readonly #dropoutRng: Rng;
  readonly #strategyRng: Rng;
  /** Task → indices of the tasks whose predictions it reads. */
  readonly #inputsFrom: number[][];
  /** Task → tasks that read its predictions. */
  readonly #readers: number[][];
  #classWeights: number[] = [];
  #capacity = 0;
  #buf = {
    x: 0, sampleWeights: 0, dZ: 0,
    targets: [] as number[], mask: [] as number[], grad: [] as number[], dPred: [] as number[], dSrc: [] as number[],
    dZt: [] as number[], gShared: [] as number[], gCombined: 0,
  };
  #shared: { offsets: number[]; lengths: number[]; size: number } = { offsets: [], lengths: [], size: 0 };
  /**
   * The step protocol (src/train/steps.ts): the step count, the divergence rule, the
   * last good weights, and the weighting strategy's state that goes back with them.
   */
  readonly #steps = new GuardedSteps('the model', () => [this.parameters], () => this.resetOptimizer(), {
    save: (reuse) => this.weighting.snapshot(reuse as Record<string, unknown> | undefined),
    restore: (saved) => this.weighting.restore(saved as Record<string, unknown>),
    check: (step) => this.weighting.checkUsable(step),
  });
  #disposed = false;
  /** The per-batch buffers and class weights (the parameters, layers, optimizer and RNGs hold their own). */
  readonly #memory: Holding = new Holding('MultiTaskModel');
  // Per-step scratch (allocated once).
  readonly #stepLosses: Float64Array;
  /** The batch's losses after the update (needs.lossesAfterUpdate). */
  readonly #lossesAfter: Float64Array;
  readonly #active: Uint8Array;
  /** Labeled rows per task in the last training batch. */
  readonly #batchLabeled: Float64Array;
  readonly #gram: Float64Array;
  readonly #weightsOut: { taskWeights: Float64Array; sharedCoefficients: Float64Array };
  readonly #outputs: number[];
  /** One reusable argument object per task for Loss.compute (no allocation per step). */
  readonly #lossBuffers: { rows: number; cols: number; logits: number; targets: number; mask: number; sampleWeights: number; classWeights: number; grad: number; gradScale: number }[];

  constructor(schema: InputSchema, options: ModelOptions) {
    const opts = checkOptionsObject('MultiTaskModel', options);
    checkKeys('MultiTaskModel', opts, [...MODEL_KEYS, 'input']);
    this.options = options;
    this.schema = schema;
    this.seed = opts.seed === undefined ? 0 : checkSeed('MultiTaskModel', opts.seed);
    this.initializer = opts.initializer === undefined ? 'glorotUniform' : checkLayerInitializer('MultiTaskModel', opts.initializer);
    // Each task checked as tasks.* checks it (a spec written by hand or read from a file too), copied and frozen.
    const checked = checkTasks(options.tasks);
    this.order = checked.order;
    this.specs = checked.specs;
    this.taskNames = this.specs.map((s) => s.name);
    const T = this.specs.length;
    for (const s of this.specs) {
      if (!schema.tasks.has(s.name)) {
        throw new ArgumentError(`task "${s.name}" has no labels in the input data (targets: ${[...schema.tasks.keys()].join(', ') || 'none'})`);
      }
    }
    const index = new Map(this.taskNames.map((n, i) => [n, i]));
    this.#inputsFrom = this.specs.map((s) => (s.inputsFrom ?? []).map((n) => index.get(n)!));
    this.#readers = this.specs.map(() => []);
    this.#inputsFrom.forEach((srcs, t) => srcs.forEach((s) => this.#readers[s]!.push(t)));

    this.parameters = new Parameters();
    this.#dropoutRng = new Rng(this.seed, RngStream.dropout);
    this.#strategyRng = new Rng(this.seed, RngStream.weighting);
    this.widths = this.specs.map((s) => schema.tasks.get(s.name)!.width);
    try {
      // The architecture starts from the model's initializer unless its spec names its own.
      const arch: unknown = options.architecture;
      const architecture = typeof arch === 'object' && arch !== null && !Array.isArray(arch) && (arch as { initializer?: unknown }).initializer === undefined
        ? { ...arch, initializer: this.initializer } : arch;
      this.description = describeModel(architecture, this.specs.map((s, t) => ({ ...s, width: this.widths[t]! })), schema.featureCount, undefined, this.initializer, schema.embeddings ?? []);
      this.engine = new NetworkEngine(this.description, this.parameters, this.#dropoutRng);
      this.losses = this.specs.map((s) => createLoss(softOutput(s) ?? s.loss ?? defaultLoss(s.kind, s)));
      this.losses.forEach((l, t) => {
        const s = this.specs[t]!;
        // The kind's losses were checked with the spec (KIND_LOSSES); this is the labels' layout.
        // A soft-target loss takes probabilities (rows × outputs) for the classification kinds.
        const targets = usesClassIndex(s.kind) && l.type !== 'softCrossEntropy' ? 'index' : KINDS[s.kind].oneValue ? 'value' : 'dense';
        if (l.targetKind !== targets) {
          throw new ArgumentError(`task "${s.name}": the ${l.type} loss does not fit a ${s.kind} task`);
        }
      });
      const initRng = new Rng(this.seed, RngStream.init);
      try { this.parameters.allocate(initRng); } finally { initRng.dispose(); }
      this.optimizerSpec = options.optimizer ?? { ...DEFAULT_OPTIMIZER };
      this.optimizer = createOptimizer(this.optimizerSpec).attach(this.parameters);
      this.weighting = createWeighting(jointWeighting(this.specs, options.weighting));
      this.weighting.attach({ taskCount: T, taskNames: this.taskNames, rng: this.#strategyRng });
      if (opts.gradients !== undefined && opts.gradients !== 'representation' && opts.gradients !== 'parameters') {
        throw new ArgumentError(`MultiTaskModel: gradients must be 'representation' or 'parameters', got ${show(opts.gradients)}`);
      }
      const wants = this.weighting.needs.gradients;
      // Tasks whose gradients of Z cannot overlap (overlap.ts): their Gram entry and affinity there say nothing.
      const apart = T > 1 ? disjointTasks(this.description, this.specs.map((s) => s.backpropToInputs !== false)) : null;
      const asked = wants === 'parameters' || wants === 'representation' ? wants : options.gradients;
      if (apart !== null && asked === 'representation' && wants !== 'none') {
        const [s, t] = apart.map((i) => this.taskNames[i]!);
        throw new ArgumentError(`MultiTaskModel: ${wants === 'representation' ? `weighting "${this.weighting.type}": ` : ''}gradients: 'representation' ` +
          `cannot work on ${String(this.description.architecture.type)}: tasks "${s}" and "${t}" read disjoint columns of the shared representation, ` +
          `so their gradients there never overlap (a diagonal Gram matrix); use 'parameters' (the default here)`);
      }
      this.gradientSource = asked ?? (apart !== null ? 'parameters' : 'representation');
      this.#affinityOnParameters = apart !== null;
      this.affinity = options.affinity === false || T < 2 ? null : new AffinityMeter(this.taskNames, options.affinity);
      this.relatedness = options.relatedness === undefined ? null : new Relatedness(options.relatedness, this.taskNames, this.parameters);
    } catch (err) {
      // Whatever was allocated before the failing option (the optimizer state, the parameters…) goes back.
      (this as { optimizer?: Optimizer }).optimizer?.dispose();
      this.parameters.dispose();
      this.#dropoutRng.dispose();
      this.#strategyRng.dispose();
      throw err;
    }
    this.#computeSharedRanges();
    this.#stepLosses = new Float64Array(T);
    this.#lossesAfter = new Float64Array(T);
    this.#active = new Uint8Array(T);
    this.#batchLabeled = new Float64Array(T);
    this.#gram = new Float64Array(T * T);
    this.#weightsOut = { taskWeights: new Float64Array(T), sharedCoefficients: new Float64Array(T) };
    this.#outputs = new Array<number>(T).fill(0);
    this.#lossBuffers = this.widths.map((width) => ({
      rows: 0, cols: width, logits: 0, targets: 0, mask: 0, sampleWeights: 0, classWeights: 0, grad: 0, gradScale: 1,
    }));
  }

  get step(): number {
    return this.#steps.step;
  }

  /** Whether some task learns k-means pseudo-labels (refreshClusters must run before each epoch). */
  get hasClustering(): boolean {
    return this.specs.some((s) => s.kind === 'clustering');
  }

  /** Per clustering task: the last k-means run and how its cluster numbers map to the labels. */
  readonly #clusterModels = new Map<number, { km: KMeans; renumber: Int32Array | null }>();

  /**
   * DeepCluster's step: k-means (k = the task's clusters, seeded by the model seed
   * and the epoch) on the shared representation Z of every row of `data`, whose
   * cluster numbers become the clustering task's labels. DeepCluster re-initializes
   * the classifier because cluster numbers change meaning between runs; with few
   * steps per epoch that leaves the head nothing to learn, so instead each run's
   * clusters are renumbered to agree with the previous run's labels as far as
   * possible (greedy matching on the overlap counts) and the head keeps learning.
   */
  refreshClusters(data: ResidentData, epoch: number): void {
    const z = this.#representation(data);
    const width = this.engine.sharedSize;
    this.specs.forEach((s, t) => {
      if (s.kind !== 'clustering') return;
      const k = s.clusters!;
      const km = new KMeans({ k, seed: (this.seed + epoch * 7919) >>> 0, nInit: 1 }).fit({ data: z, rows: data.rows, cols: width });
      const labels = km.labels;
      const previous = this.#clusterModels.has(t) ? this.#readClusterLabels(data, t) : null;
      const renumber = previous ? matchClusters(labels, previous, k) : null;
      if (renumber) for (let i = 0; i < labels.length; i++) labels[i] = renumber[labels[i]!]!;
      this.#clusterModels.set(t, { km, renumber });
      this.#writeClusterLabels(data, t, labels);
    });
  }

  /**
   * Labels `data`'s rows of every clustering task with the nearest cluster of the
   * last refresh (for evaluation). A clustering task without a k-means run in this
   * session (a model just loaded) has no reference clusters: its labels are dropped,
   * so evaluation leaves it out.
   */
  assignClusters(data: ResidentData): void {
    if (!this.hasClustering) return;
    const { allocator } = runtime('MultiTaskModel');
    this.specs.forEach((s, t) => {
      const l = data.labels[t];
      if (s.kind !== 'clustering' || this.#clusterModels.has(t) || !l) return;
      allocator.free(l.targets);
      allocator.free(l.mask);
      data.labels[t] = null;
    });
    if (this.#clusterModels.size === 0) return;
    const z = this.#representation(data);
    for (const [t, { km, renumber }] of this.#clusterModels) {
      const labels = km.predict({ data: z, rows: data.rows, cols: this.engine.sharedSize });
      if (renumber) for (let i = 0; i < labels.length; i++) labels[i] = renumber[labels[i]!]!;
      this.#writeClusterLabels(data, t, labels);
    }
  }

  #readClusterLabels(data: ResidentData, t: number): Int32Array {
    return new Int32Array(heapF32().buffer, data.labels[t]!.targets, data.rows).slice();
  }

  #writeClusterLabels(data: ResidentData, t: number, labels: Int32Array): void {
    const l = data.labels[t];
    if (!l) return;
    new Int32Array(heapF32().buffer, l.targets, data.rows).set(labels);
  }

  /** Z for every row of `data`, in inference mode, as rows × sharedSize. */
  #representation(data: ResidentData): Float32Array {
    const width = this.engine.sharedSize;
    const out = new Float32Array(data.rows * width);
    this.ensureCapacity(Math.min(data.rows, PREDICT_CHUNK));
    this.forEachChunk(data, Math.min(data.rows, this.#capacity), (start, n) => {
      const z = this.engine.forwardShared(this.#buf.x, n, false) >>> 2;
      out.set(heapF32().subarray(z, z + n * width), start * width);
    });
    return out;
  }

  /** Loads `data`'s rows into the batch buffers `chunk` rows at a time, in order, calling `use(start, rows)` after each. */
  forEachChunk(data: ResidentData, chunk: number, use: (start: number, rows: number) => void): void {
    const { allocator } = runtime('MultiTaskModel');
    const idx = allocator.alloc(chunk * 4);
    try {
      for (let start = 0; start < data.rows; start += chunk) {
        const n = Math.min(chunk, data.rows - start);
        const ids = new Int32Array(heapF32().buffer, idx, n);
        for (let i = 0; i < n; i++) ids[i] = start + i;
        this.loadBatch(data, idx, n);
        use(start, n);
      }
    } finally {
      allocator.free(idx);
    }
  }

  /** Continues the step count of a saved model (learning-rate schedules pick up where they were). */
  restoreStep(step: number): void {
    this.#steps.step = step;
  }

  /** Rows the per-batch buffers hold. */
  get capacity(): number {
    return this.#capacity;
  }

  /** The shared part's parameter ranges: the tensors its operations use (in memory order). */
  #computeSharedRanges(): void {
    const shared = new Set(this.engine.sharedTensors);
    const offsets: number[] = [], lengths: number[] = [];
    for (const [i, p] of this.parameters.list().entries()) {
      if (!shared.has(i)) continue;
      const len = Math.ceil(p.size / 4) * 4;
      const last = offsets.length - 1;
      if (last >= 0 && offsets[last]! + lengths[last]! === p.offset) lengths[last]! += len;
      else { offsets.push(p.offset); lengths.push(len); }
    }
    this.#shared = { offsets, lengths, size: lengths.reduce((a, b) => a + b, 0) };
  }

  check(): void {
    if (this.#disposed) throw new DisposedError('a MultiTaskModel');
  }

  /** Makes every per-batch buffer hold `rows` rows. */
  ensureCapacity(rows: number): void {
    this.check();
    if (rows <= this.#capacity) return;
    const b = this.#buf;
    const free = (p: number) => this.#memory.free(p);
    [b.x, b.sampleWeights, b.dZ, ...b.targets, ...b.mask, ...b.grad, ...b.dPred, ...b.dSrc, ...b.dZt, ...b.gShared, b.gCombined].forEach(free);
    const T = this.specs.length;
    const alloc = (floats: number) => this.#memory.alloc(this, Math.max(floats, 1) * 4);
    const needsPerTask = this.weighting.needs.gradients !== 'none' || this.affinity !== null;
    this.#buf = {
      x: alloc(rows * this.schema.featureCount),
      sampleWeights: alloc(rows),
      dZ: alloc(rows * this.engine.sharedSize),
      targets: this.widths.map((w) => alloc(rows * w)),
      mask: this.widths.map(() => alloc(Math.ceil(rows / 4))),
      grad: this.widths.map((w) => alloc(rows * w)),
      // dL/d(a source task's prediction), split off a reader's head input gradient.
      dPred: this.widths.map((w, t) => (this.#readers[t]!.length > 0 ? alloc(rows * w) : 0)),
      // dL/dlogits of a source task from one reader's loss alone (per-task gradients).
      dSrc: this.widths.map((w, t) => (this.#readers[t]!.length > 0 && needsPerTask ? alloc(rows * w) : 0)),
      dZt: needsPerTask ? Array.from({ length: T }, () => alloc(rows * this.engine.sharedSize)) : [],
      gShared: (this.gradientSource === 'parameters' || this.#affinityOnParameters) && needsPerTask ? Array.from({ length: T }, () => alloc(this.#shared.size)) : [],
      // The shared parameters' gradient a strategy with needs.vectors writes (packed as gShared).
      gCombined: this.gradientSource === 'parameters' && this.weighting.needs.vectors ? alloc(this.#shared.size) : 0,
    };
    this.engine.allocate(rows);
    this.#capacity = rows;
  }

  /** Copies a dataset into WASM memory (features and every task's labels). */
  makeResident(x: Float32Array, rows: number, labels: ReadonlyMap<string, ArrayLike<unknown>>, sampleWeights?: ArrayLike<number>): ResidentData {
    const { allocator } = runtime('MultiTaskModel');
    const xPtr = allocator.alloc(Math.max(rows * this.schema.featureCount, 1) * 4);
    heapF32().set(x.subarray(0, rows * this.schema.featureCount), xPtr >>> 2);
    const resident: ResidentData = { rows, x: xPtr, labels: [], sampleWeights: 0 };
    try {
      for (const s of this.specs) {
        const raw = labels.get(s.name);
        if (raw === undefined) { resident.labels.push(null); continue; }
        const width = this.schema.tasks.get(s.name)!.width;
        resident.labels.push(encodeLabels(s.name, s.kind, width, rows, raw, this.losses[this.specs.indexOf(s)]!.type === 'softCrossEntropy'));
      }
      if (sampleWeights !== undefined) {
        if (sampleWeights.length !== rows) throw new ArgumentError(`sampleWeights: expected ${rows} weights (one per row), got ${sampleWeights.length}`);
        for (let i = 0; i < rows; i++) {
          const w: unknown = sampleWeights[i];
          if (typeof w !== 'number' || !Number.isFinite(Math.fround(w)) || w < 0) {
            throw new ArgumentError(`sampleWeights: row ${i} has weight ${show(w)}; expected a finite number ≥ 0 within the float32 range`);
          }
        }
        resident.sampleWeights = allocator.alloc(rows * 4);
        heapF32().set(sampleWeights, resident.sampleWeights >>> 2);
      }
    } catch (err) {
      this.freeResident(resident);
      throw err;
    }
    return resident;
  }

  freeResident(d: ResidentData): void {
    const { allocator } = runtime('MultiTaskModel');
    allocator.free(d.x);
    for (const l of d.labels) { if (l) { allocator.free(l.targets); allocator.free(l.mask); } }
    if (d.sampleWeights !== 0) allocator.free(d.sampleWeights);
    d.labels = [];
  }

  /** Per-class loss weights from the task specs ('balanced' from the training label counts). */
  setClassWeights(data: ResidentData): void {
    for (const p of this.#classWeights) this.#memory.free(p);
    this.#classWeights = [];
    this.#classWeights = this.specs.map((s, t) => {
      const cw = s.classWeights;
      if (cw === undefined) return 0;
      const loss = this.losses[t]!;
      const n = loss.classWeightCount(this.widths[t]!);
      if (n === 0) throw new ArgumentError(`task "${s.name}": its ${loss.type} loss takes no class weights`);
      let w: number[];
      if (cw === 'balanced') {
        const l = data.labels[t];
        if (!l) throw new ArgumentError(`task "${s.name}": classWeights 'balanced' needs labels to count`);
        // Counts per class: per class index (multiclass), of 0s and 1s (binary), and for a
        // multilabel task's [w(y = 0), w(y = 1)] of 0s and 1s over every label of the labeled rows.
        let counts = l.counts;
        if (s.kind === 'multilabel') {
          const ones = counts.reduce((a, b) => a + b, 0);
          counts = Float64Array.of(l.labeled * this.widths[t]! - ones, ones);
        }
        const total = counts.reduce((a, b) => a + b, 0);
        w = Array.from(counts, (c) => (c > 0 ? total / (counts.length * c) : 0));
        if (w.length !== n) throw new ArgumentError(`task "${s.name}": its ${loss.type} loss takes ${n} class weights; 'balanced' counts ${w.length} classes`);
      } else {
        if (cw.length !== n) throw new ArgumentError(`task "${s.name}": classWeights needs ${n} weights, got ${cw.length}`);
        w = cw;
      }
      const p = this.#memory.alloc(this, n * 4);
      heapF32().set(w, p >>> 2);
      return p;
    });
  }

  /**
   * The ε of the adversarial examples in the batch buffers (set by an attack on
   * them, src/mtl/adversarial.ts; loadBatch clears it): a divergence of the step on
   * them names it.
   */
  batchEpsilon = 0;

  /** Gathers the rows listed by `rows` i32 indices at `idx` (WASM memory) of `data` into the batch buffers. */
  loadBatch(data: ResidentData, idx: number, rows: number): void {
    this.batchEpsilon = 0;
    const k = runtime('MultiTaskModel').kernels;
    const b = this.#buf;
    k.gatherRows(rows, this.schema.featureCount, data.x, idx, b.x);
    this.widths.forEach((width, t) => {
      const l = data.labels[t];
      if (!l) { new Uint8Array(heapF32().buffer, b.mask[t]!, rows).fill(0); return; }
      k.gatherRows(rows, l.soft ? width : labelWidth(this.specs[t]!.kind, width), l.targets, idx, b.targets[t]!);
      k.gatherBytes(rows, l.mask, idx, b.mask[t]!);
    });
    if (data.sampleWeights !== 0) k.gatherRows(rows, 1, data.sampleWeights, idx, b.sampleWeights);
    this.#batchWeighted = data.sampleWeights !== 0;
  }

  #batchWeighted = false;
  /** Z of the last forward pass (the architecture's buffer). */
  #z = 0;

  /** Forward through the network for the batch in the buffers; returns each task's logits pointer. */
  forward(rows: number, training: boolean): readonly number[] {
    this.#z = this.engine.forwardShared(this.#buf.x, rows, training);
    for (const t of this.order) this.#outputs[t] = this.engine.forwardTask(t, rows, training);
    return this.#outputs;
  }

  /**
   * The training forward pass, shard by shard (each shard's rows of every value;
   * its dropout keyed by the step, `pass` and the shard); returns each task's
   * logits pointer for the whole batch.
   */
  #forwardShards(shards: readonly Shard[], pass: number): readonly number[] {
    const e = this.engine, F = this.schema.featureCount, x = this.#buf.x;
    e.beginDraws(this.#steps.step, pass);
    for (const shard of shards) e.keyDraws(shard);
    const outs = e.runShards('forward', shards, (shard) => {
      const z = e.forwardShared(x + shard.start * F * 4, shard.rows, true, shard, true);
      return { z, logits: this.order.map((t) => e.forwardTask(t, shard.rows, true, shard)) };
    });
    // Shard 0 starts at row 0: its pointers are the whole batch's.
    const first = outs[0]!;
    this.#z = first.z;
    this.order.forEach((t, i) => { this.#outputs[t] = first.logits[i]!; });
    return this.#outputs;
  }

  /**
   * One optimizer step on the batch in the buffers. Returns the per-task losses
   * (an internal array, valid until the next call). Throws TrainingDivergedError
   * (weights unchanged) if a loss or the gradient is not finite, or a loss breaks
   * the run's divergence rule (beginTraining).
   */
  trainBatch(rows: number, learningRate: number, epoch: number): Float64Array {
    const S = shardsOf(rows).length;
    // The shards' sums and the gradient's scan in the update's job, when that runs in pieces on the pool.
    const inUpdate = S > 1 && canFinishGradient(this.optimizer) && this.#sumsInUpdate();
    try {
      return this.#trainBatch(rows, learningRate, epoch, S, inUpdate);
    } catch (err) {
      // The step on adversarial examples: a large ε is as likely a cause as the learning rate.
      const eps = this.batchEpsilon;
      if (err instanceof TrainingDivergedError && eps > 0) {
        throw err.withAdvice(`its batch held adversarial examples at adversarial.epsilon = ${eps}: lower epsilon, the learning rate, or clip gradients (globalClipNorm)`);
      }
      throw err;
    }
  }

  #trainBatch(rows: number, learningRate: number, epoch: number, S: number, inUpdate: boolean): Float64Array {
    const losses = this.#steps.run({
      gradients: () => this.computeGradients(rows, learningRate, epoch, inUpdate),
      update: () => {
        // On the pool only when the batch's shards were (its workers hold those weights already).
        if (!this.#sumsPending) return applyUpdate(this.optimizer, learningRate, S > 1);
        this.#sumsPending = false;
        const e = this.engine;
        const outcome = applyUpdateAfter(this.optimizer, learningRate, (program, g, floats) => e.appendShardSums(program, S, g, floats));
        if (outcome === 'nonFiniteGradient') throw new TrainingDivergedError(this.#worstTask(rows, false), this.#steps.step, 'the gradient');
        return outcome === 'updated';
      },
      overflowed: () => this.#nonFiniteTask(),
      ...(this.weighting.needs.lossesAfterUpdate ? {
        settle: () => {
          // The same batch at the new weights (one more forward, no backward), for strategies that learn from the change (FAMO).
          const logits = this.#forwardShards(shardsOf(rows), 1);
          const after = this.#lossesAfter;
          for (let t = 0; t < after.length; t++) after[t] = this.#computeLoss(t, rows, logits[t]!, 0);
          this.weighting.afterUpdate(after, this.#active);
        },
      } : {}),
    });
    return losses;
  }

  /** computeGradients left the shards' sums and the gradient's scan to the update (trainBatch). */
  #sumsPending = false;

  /**
   * Whether the update's job can finish the gradient: its pieces cover the
   * trainable ranges alone, so every tensor must lie in one (no frozen tensor).
   */
  #sumsInUpdate(): boolean {
    return this.engine.gradientsWithin(this.parameters.trainable);
  }

  /** The proximal term μ/2·‖w − w₀‖² of the current training run (fit's `proximal`), added to the gradient after backward. */
  proximal: ProximalTerm | null = null;

  /** Starts a training run: a divergence will not go back past this point. */
  beginTraining(divergence: DivergenceGuard | null = null): void {
    this.#steps.begin(divergence);
  }

  /**
   * Ends a training run whose steps all succeeded: TrainingDivergedError, the weights
   * and the weighting state back to the last step's start, if that step left the
   * strategy with task weights float32 cannot carry (src/train/steps.ts end).
   */
  endTraining(): void {
    this.#steps.end();
  }

  /** The first task with a non-finite parameter of its own, else every task ("a/b/c"). */
  #nonFiniteTask(): string {
    const k = runtime('MultiTaskModel').kernels;
    const p = this.parameters;
    for (let t = 0; t < this.taskNames.length; t++) {
      for (const info of p.list()) {
        if (info.owner === t && !Number.isFinite(k.sumSquaresF64(info.size, p.params + info.offset * 4))) return this.taskNames[t]!;
      }
    }
    return this.taskNames.join('/');
  }

  /**
   * Forward, joint loss and backward on the batch in the buffers: fills the
   * gradient block (the weighting strategy applied, the relatedness regularizer
   * added) without touching the weights. Returns the per-task losses.
   */
  computeGradients(rows: number, learningRate: number, epoch: number, sumsInUpdate = false): Float64Array {
    this.check();
    this.#sumsPending = false;
    const T = this.specs.length;
    const k = runtime('MultiTaskModel').kernels;
    const b = this.#buf;
    const e = this.engine;
    // The batch's micro-shards: their number depends on the rows alone (src/mtl/shards.ts).
    const shards = shardsOf(rows), S = shards.length;
    const zWidth = e.sharedSize;
    const logits = this.#forwardShards(shards, 0);
    const losses = this.#stepLosses;
    for (let t = 0; t < T; t++) {
      losses[t] = this.#computeLoss(t, rows, logits[t]!, 1);
      if (!Number.isFinite(losses[t]!)) throw new TrainingDivergedError(this.taskNames[t]!, this.#steps.step, 'the loss');
      this.#batchLabeled[t] = this.#labeledCount(t, rows);
      this.#active[t] = this.#batchLabeled[t]! > 0 ? 1 : 0;
    }
    // An exploded loss stops the run before a weighting strategy or the backward pass computes with it.
    this.#steps.divergence?.check(losses, this.#active, this.#steps.step);
    const strategy = this.weighting;
    const out = this.#weightsOut;
    const measure = this.affinity !== null && this.affinity.due(this.#steps.step);
    const perTask = strategy.needs.gradients !== 'none' || measure;
    const input = { losses, active: this.#active, gram: null as Float64Array | null, learningRate, step: this.#steps.step, epoch };
    if (!perTask) {
      strategy.step(input, out);
      // The loss gradients above were written at scale 1 and nothing has touched them since.
      this.#backwardTasks(rows, logits, out.taskWeights, 'accumulate', shards, true);
      if (sumsInUpdate && this.relatedness === null && this.proximal === null) {
        // trainBatch's update sums the shards and scans the gradient, piece by piece, in its own job.
        this.#sumsPending = true;
        return losses;
      }
      e.addShardGradients(S);
    } else {
      // Phase A: unweighted per-task gradients of Z (and of the shared parameters if asked).
      this.#backwardPerTask(shards);
      const zLen = rows * zWidth;
      this.#fillGram(this.#buf.dZt, zLen);
      // The affinity's gradients: Z's, or the shared parameters' where Z's cannot overlap (the strategy's then are too, or it needs none).
      const onParameters = measure && this.#affinityOnParameters;
      if ((this.gradientSource === 'parameters' && strategy.needs.gradients !== 'none') || onParameters) {
        for (let t = 0; t < T; t++) {
          const dZt = b.dZt[t]!;
          e.runShards(`shared from dZ ${t}`, shards, (shard) => {
            this.#taskInputStage(t, shard);
            e.backwardShared(dZt + shard.start * zWidth * 4, shard.rows, shard);
          });
          e.addShardGradients(S, 'shared');
          this.#copySharedGrads(b.gShared[t]!, 'out');
        }
        if (measure && !onParameters) this.affinity!.record(this.#gram, this.#active);
        this.#fillGram(b.gShared, this.#shared.size);
        if (onParameters) this.affinity!.record(this.#gram, this.#active);
      } else if (measure) {
        this.affinity!.record(this.#gram, this.#active);
      }
      input.gram = strategy.needs.gradients === 'none' ? null : this.#gram;
      if (input.gram !== null) this.#checkGram(T);
      // needs.vectors: the strategy writes the shared gradient itself, into gCombined (parameters) or dZ (representation).
      const vectors = strategy.needs.vectors ? this.#vectorsInput(rows) : null;
      strategy.step(vectors ? { ...input, vectors } : input, out);
      // Phase B: the task parts again with the task weights, and the shared gradient from the coefficients.
      this.#backwardTasks(rows, logits, out.taskWeights, 'discard', shards);
      if (this.gradientSource === 'parameters' && strategy.needs.gradients !== 'none') {
        e.addShardGradients(S, 'tasks');
        const g = this.parameters.grads;
        for (let i = 0; i < this.#shared.offsets.length; i++) heapF32().fill(0, (g >>> 2) + this.#shared.offsets[i]!, (g >>> 2) + this.#shared.offsets[i]! + this.#shared.lengths[i]!);
        if (vectors) {
          this.#copySharedGrads(b.gCombined, 'axpyIn', 1);
        } else {
          const tmp = b.gShared;
          for (let t = 0; t < T; t++) {
            const c = out.sharedCoefficients[t]!;
            if (c !== 0) this.#copySharedGrads(tmp[t]!, 'axpyIn', c);
          }
        }
      } else {
        if (!vectors) {
          heapF32().fill(0, b.dZ >>> 2, (b.dZ >>> 2) + zLen);
          for (let t = 0; t < T; t++) {
            const c = out.sharedCoefficients[t]!;
            if (c !== 0) k.axpy(zLen, c, b.dZt[t]!, b.dZ);
          }
        }
        e.runShards('shared from dZ', shards, (shard) => e.backwardShared(b.dZ + shard.start * zWidth * 4, shard.rows, shard));
        e.addShardGradients(S);
      }
    }
    this.relatedness?.addGradients();
    this.proximal?.addGradients();
    // A non-finite gradient must not reach the weights. (A scan for NaN and ±∞ that
    // stops at the first: finite gradients of any size pass, as they should.)
    const p = this.parameters;
    for (const [off, len] of p.trainable) {
      if (k.firstNonFinite(len, p.grads + off * 4) >= 0) throw new TrainingDivergedError(this.#worstTask(rows, perTask), this.#steps.step, 'the gradient');
    }
    return losses;
  }

  /**
   * dL/dx of the joint loss L = Σ_t weights[t] · L_t on the batch in the buffers,
   * into `out` (rows × featureCount), L_t being task t's loss as training computes
   * it (the mean over its labeled rows, with sample and class weights): one
   * inference-mode forward (no dropout, LTB's settled tree), the same backward as
   * a training step (heads, sources, task parts, shared part) carried on to the
   * input. Writes each task's loss into `losses`. The parameter gradients it
   * writes on the way are scratch (a training step rewrites them all); the weights
   * stay as they are.
   */
  inputGradient(rows: number, weights: Float64Array, out: number, losses: Float64Array): void {
    this.check();
    const logits = this.forward(rows, false);
    for (let t = 0; t < this.specs.length; t++) losses[t] = this.#computeLoss(t, rows, logits[t]!, 0);
    const n = rows * this.schema.featureCount;
    this.engine.beginInputGradient(out, rows, true);
    let reached: boolean;
    try {
      // The whole batch as one shard (an inference-mode pass draws nothing): the shared part's backward included.
      this.#backwardTasks(rows, logits, weights, 'accumulate', [{ index: 0, start: 0, rows }]);
    } finally {
      reached = this.#finishInputGradient(out, rows);
    }
    if (!reached) heapF32().fill(0, out >>> 2, (out >>> 2) + n);
  }

  /** Ends the engine's collection; with z the input itself (no shared part), dL/dx is dL/dz. */
  #finishInputGradient(out: number, rows: number): boolean {
    const reached = this.engine.endInputGradient();
    if (this.description.z !== 0) return reached;
    const n = rows * this.schema.featureCount, dZ = this.#buf.dZ >>> 2;
    heapF32().copyWithin(out >>> 2, dZ, dZ + n);
    return true;
  }

  /** Labeled rows of task t in the batch in the buffers. */
  labeledCount(t: number, rows: number): number {
    return this.#labeledCount(t, rows);
  }

  /**
   * The per-task gradient vectors for a strategy with needs.vectors: dZ_t (rows ×
   * sharedSize) with Z, the combined gradient to be written into dZ; or the packed
   * shared-parameter gradients, the combination into gCombined.
   */
  #vectorsInput(rows: number): WeightingVectors {
    const b = this.#buf, width = this.engine.sharedSize;
    return this.gradientSource === 'parameters'
      ? { source: 'parameters', pointers: b.gShared, length: this.#shared.size, rows: 1, width: this.#shared.size, representation: 0, output: b.gCombined }
      : { source: 'representation', pointers: b.dZt, length: rows * width, rows, width, representation: this.#z, output: b.dZ };
  }

  /** Loss of task t on the batch (gradient into its grad buffer, scaled). */
  #computeLoss(t: number, rows: number, logits: number, gradScale: number): number {
    const b = this.#buf;
    const bufs = this.#lossBuffers[t]!;
    bufs.rows = rows;
    bufs.logits = logits;
    bufs.targets = b.targets[t]!;
    bufs.mask = b.mask[t]!;
    bufs.sampleWeights = this.#batchWeighted ? b.sampleWeights : 0;
    bufs.classWeights = this.#classWeights[t] ?? 0;
    bufs.grad = b.grad[t]!;
    bufs.gradScale = gradScale;
    return runLoss(this.losses[t]!, bufs);
  }

  /**
   * The task a non-finite gradient comes from: the first whose own parameters
   * (head, tower, gate, task experts, column: whatever it owns) have one; else, when
   * this step computed per-task gradients of Z, the first whose dZ_t is not finite,
   * or the one with the largest ‖dZ_t‖ (the shared part's backward overflowed on the
   * sum); else every task ("a/b/c").
   */
  #worstTask(rows: number, perTask: boolean): string {
    const k = runtime('MultiTaskModel').kernels;
    const finite = (n: number, ptr: number) => Number.isFinite(k.sumSquaresF64(n, ptr));
    for (let t = 0; t < this.taskNames.length; t++) {
      for (const p of this.parameters.list()) {
        if (p.owner === t && !finite(p.size, this.parameters.grads + p.offset * 4)) return this.taskNames[t]!;
      }
    }
    if (perTask) {
      let worst = -1, largest = 0;
      for (let t = 0; t < this.taskNames.length; t++) {
        const sq = k.sumSquaresF64(rows * this.engine.sharedSize, this.#buf.dZt[t]!);
        if (!Number.isFinite(sq)) return this.taskNames[t]!;
        if (sq > largest) { largest = sq; worst = t; }
      }
      if (worst >= 0) return this.taskNames[worst]!;
    }
    return this.taskNames.join('/');
  }

  /**
   * Backward through every head and task part, in reverse task order (a task's
   * readers first, so their gradient reaches its predictions before its own head runs),
   * shard by shard. Each task's loss gradient is recomputed scaled by weights[t].
   * mode 'accumulate': dZ = Σ_t (what reaches Z through task part t), then the shared
   * part's backward from it; 'discard': dZ ignored. `unscaledGradients`: each task's
   * loss gradient buffer holds its gradient at scale 1 for these logits already, so a
   * task of weight 1 keeps it (the kernel would write the same floats again).
   */
  #backwardTasks(rows: number, logits: readonly number[], weights: Float64Array, mode: 'accumulate' | 'discard', shards: readonly Shard[], unscaledGradients = false): void {
    const b = this.#buf;
    const e = this.engine;
    const zWidth = e.sharedSize;
    const T = this.specs.length;
    // Loss gradients, scaled (the value is known already), for the whole batch.
    for (let t = 0; t < T; t++) if (!unscaledGradients || weights[t] !== 1) this.#computeLoss(t, rows, logits[t]!, weights[t]!);
    e.runShards(`tasks, ${mode}`, shards, (shard) => {
      const k = e.kernels;
      e.resetInputStage(shard);
      const n = shard.rows, zLen = n * zWidth, dZ = b.dZ + shard.start * zWidth * 4;
      const rowsOf = (ptr: number, s: number) => ptr + shard.start * this.widths[s]! * 4;
      let first = true;
      for (let i = this.order.length - 1; i >= 0; i--) {
        const t = this.order[i]!;
        e.backwardHead(t, rowsOf(b.grad[t]!, t), n, shard);
        // The predictions' part of d(head input) goes back into each source's logits gradient.
        this.#routeToSources(t, shard, (s) => e.backpropPrediction(s, rowsOf(b.dPred[s]!, s), n, rowsOf(b.grad[s]!, s), shard));
        const dZt = e.backwardTask(t, n, undefined, shard);
        if (mode === 'accumulate') {
          if (first) k.copyBlock(1, zLen, dZt, zLen, dZ, zLen);
          else k.add(zLen, dZ, dZt, dZ);
        }
        first = false;
      }
      if (mode === 'accumulate') e.backwardShared(dZ, n, shard);
    });
  }

  /**
   * For a task whose head reads other tasks' predictions (and backprops into them):
   * copies each source's block of the last backwardHead(t)'s input gradient into
   * the shard's rows of dPred[s], then calls `route(s)`, source by source.
   */
  #routeToSources(t: number, shard: Shard, route: (s: number) => void): void {
    const srcs = this.#inputsFrom[t]!;
    if (srcs.length === 0 || this.specs[t]!.backpropToInputs === false) return;
    const e = this.engine, b = this.#buf, k = e.kernels;
    const inWidth = e.description.values[e.description.tasks[t]!.headInput]!;
    // The head's input gradient stays valid while `route` recurses: the graph is acyclic, so nothing below reaches t.
    const dIn = e.headInputGradient(t, shard);
    let col = e.repWidth(t);
    for (const s of srcs) {
      const w = this.widths[s]!;
      k.copyRows(shard.rows, w, dIn + col * 4, inWidth, b.dPred[s]! + shard.start * w * 4, w, 0);
      route(s);
      col += w;
    }
  }

  /**
   * Phase A: each task's own, unweighted gradient of the shared representation,
   * dZ_t = dL_t/dZ, into dZt[t]. A reader task's loss reaches Z through its own
   * task part and (with backpropToInputs) through each source's prediction, head
   * and task part; that second path belongs to the reader's dZ_t, not to the
   * source's. Parameter gradients written here are scratch: phase B rewrites them.
   * Each task's loss gradient is the one computeGradients wrote at scale 1 for these
   * logits, which nothing has touched since.
   */
  #backwardPerTask(shards: readonly Shard[]): void {
    const b = this.#buf;
    const zWidth = this.engine.sharedSize;
    const T = this.specs.length;
    this.engine.runShards('per task', shards, (shard) => {
      for (let t = 0; t < T; t++) this.engine.kernels.fillZero(shard.rows * zWidth, b.dZt[t]! + shard.start * zWidth * 4);
      for (let t = 0; t < T; t++) {
        this.#backpropInto(t, b.grad[t]! + shard.start * this.widths[t]! * 4, shard, b.dZt[t]! + shard.start * zWidth * 4);
      }
    });
  }

  /**
   * Before task t's shared backward in phase A (gradients of the shared parameters
   * per task): when task parts read the embedding stage's output (gates, selectors),
   * task t's share of the tables' gradient comes through its own part (and its
   * sources'), which phase A ran for every task before: run again for t alone (the
   * shard's rows), so that the shared backward gives the whole dL_t/d(tables). Its
   * dL_t/dZ goes to dZ, which this path does not use; its task parameters' gradients
   * are scratch.
   */
  #taskInputStage(t: number, shard: Shard): void {
    const e = this.engine;
    if (!e.taskPartsReadInput) return;
    const zWidth = e.sharedSize, dZ = this.#buf.dZ + shard.start * zWidth * 4;
    e.kernels.fillZero(shard.rows * zWidth, dZ);
    e.resetInputStage(shard);
    this.#backpropInto(t, this.#buf.grad[t]! + shard.start * this.widths[t]! * 4, shard, dZ);
  }

  /** Backward of dL/dlogits of task s (the shard's rows) through its head, its sources (if it backprops into them) and its task part, adding dL/dZ into acc. */
  #backpropInto(s: number, dLogits: number, shard: Shard, acc: number): void {
    const b = this.#buf, e = this.engine, n = shard.rows, k = e.kernels;
    e.backwardHead(s, dLogits, n, shard);
    this.#routeToSources(s, shard, (u) => {
      const w = this.widths[u]!, dSrc = b.dSrc[u]! + shard.start * w * 4;
      k.fillZero(n * w, dSrc);
      e.backpropPrediction(u, b.dPred[u]! + shard.start * w * 4, n, dSrc, shard);
      this.#backpropInto(u, dSrc, shard, acc);
    });
    const dZ = e.backwardTask(s, n, undefined, shard);
    k.add(n * e.sharedSize, acc, dZ, acc);
  }

  /**
   * The active tasks' Gram entries are finite: a task gradient that is finite but
   * so large that its products overflow float32 (the kernels' dot) has diverged;
   * the strategy would refuse the matrix as a bad argument.
   */
  #checkGram(T: number): void {
    const a = this.#active, g = this.#gram;
    for (let s = 0; s < T; s++) {
      if (a[s] === 0) continue;
      for (let t = 0; t < T; t++) {
        if (a[t] !== 0 && !Number.isFinite(g[s * T + t]!)) throw new TrainingDivergedError(this.taskNames[s]!, this.#steps.step, 'the gradient');
      }
    }
  }

  #fillGram(vectors: readonly number[], n: number): void {
    const k = runtime('MultiTaskModel').kernels;
    const T = this.specs.length;
    for (let s = 0; s < T; s++) {
      for (let t = s; t < T; t++) {
        const v = k.dot(n, vectors[s]!, vectors[t]!);
        this.#gram[s * T + t] = v;
        this.#gram[t * T + s] = v;
      }
    }
  }

  /** 'out': shared gradient ranges → dst (packed); 'axpyIn': grads[shared] += c · dst. */
  #copySharedGrads(dst: number, mode: 'out' | 'axpyIn', c = 1): void {
    const k = runtime('MultiTaskModel').kernels;
    const g = this.parameters.grads;
    let at = 0;
    for (let i = 0; i < this.#shared.offsets.length; i++) {
      const src = g + this.#shared.offsets[i]! * 4, len = this.#shared.lengths[i]!;
      if (mode === 'out') heapF32().copyWithin((dst >>> 2) + at, src >>> 2, (src >>> 2) + len);
      else k.axpy(len, c, dst + at * 4, src);
      at += len;
    }
  }

  /** Inference on the batch in the buffers: each task's predictions pointer (probabilities or values). */
  predictBatch(rows: number): readonly number[] {
    return this.#inferenceForward(rows).predictions;
  }

  /**
   * The inference forward pass of the batch in the buffers, with every task's
   * prediction: on the pool's threads, a block of rows per task (predictBlocks:
   * the same bits as one pass over the batch), else as one pass here.
   */
  #inferenceForward(rows: number): { logits: readonly number[]; predictions: readonly number[] } {
    const e = this.engine, blocks = predictBlocks(rows);
    if (blocks.length < 2 || !e.shardsOnThreads) {
      const logits = this.forward(rows, false);
      return { logits, predictions: this.widths.map((_, t) => e.prediction(t, rows)) };
    }
    const F = this.schema.featureCount, x = this.#buf.x;
    const outs = e.runShards('inference', blocks, (block) => {
      const z = e.forwardShared(x + block.start * F * 4, block.rows, false, block);
      const logits = this.order.map((t) => e.forwardTask(t, block.rows, false, block));
      return { z, logits, predictions: this.widths.map((_, t) => e.prediction(t, block.rows, block)) };
    }, false);
    // Block 0 starts at row 0: its pointers are the whole batch's.
    const first = outs[0]!;
    this.#z = first.z;
    this.order.forEach((t, i) => { this.#outputs[t] = first.logits[i]!; });
    return { logits: this.#outputs, predictions: first.predictions };
  }

  /**
   * Evaluation of the batch in the buffers in one forward pass: each task's mean
   * loss and labeled-row count into `losses`/`counts`; returns each task's predictions pointer.
   */
  evaluateBatch(rows: number, losses: Float64Array, counts: Float64Array): readonly number[] {
    const { logits, predictions } = this.#inferenceForward(rows);
    for (let t = 0; t < this.widths.length; t++) {
      losses[t] = this.#computeLoss(t, rows, logits[t]!, 0);
      counts[t] = this.#labeledCount(t, rows);
    }
    return predictions;
  }

  #labeledCount(t: number, rows: number): number {
    const m = new Uint8Array(heapF32().buffer, this.#buf.mask[t]!, rows);
    let n = 0;
    for (let i = 0; i < rows; i++) if (m[i] !== 0) n++;
    return n;
  }

  /** Labeled rows per task in the batch of the last trainBatch/computeGradients (an internal array). */
  get batchLabeledCounts(): Float64Array {
    return this.#batchLabeled;
  }

  get batchX(): number {
    return this.#buf.x;
  }

  /** Replaces the optimizer (after freezing or unfreezing, or a new learning rate), keeping nothing of the old state. */
  resetOptimizer(spec?: OptimizerSpec): void {
    this.optimizer.dispose();
    this.optimizer = createOptimizer(spec ?? this.optimizerSpec).attach(this.parameters);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#memory.release();
    this.weighting.dispose();
    this.engine.dispose();
    this.relatedness?.dispose();
    this.optimizer.dispose();
    this.parameters.dispose();
    this.#dropoutRng.dispose();
    this.#strategyRng.dispose();
    this.#disposed = true;
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }
}


/**
 * A softCrossEntropy loss given without `output`: the one the task's kind predicts
 * with (softmax for multiclass, sigmoid for binary and multilabel); undefined otherwise.
 */
function softOutput(s: TaskSpec): LossSpec | undefined {
  if (s.loss?.type !== 'softCrossEntropy' || s.loss.output !== undefined) return undefined;
  return { ...s.loss, output: s.kind === 'multiclass' ? 'softmax' : 'sigmoid' };
}
