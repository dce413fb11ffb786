// Task specs: what a user declares per task. `tasks.binary('sex')` etc. give
// plain JSON-safe objects (they go into the model file as they are).

import { ArgumentError } from '../runtime/errors.js';
import { checkDim, checkF32, checkKeys, checkOptionsObject, isF32Finite, show } from '../runtime/validate.js';
import { checkQuantiles, createLoss, type Loss, type LossSpec, type LossType } from '../nn/loss.js';
import { checkActivation, type Activation } from '../runtime/activations.js';
import { checkTaskNames, orderTasks as orderTaskGraph } from './describe.js';
import { KINDS, isDistributionKind, type TaskKind } from './kinds.js';

/**
 * Supervised kinds learn labels; the unsupervised ones train on every row:
 * `reconstruction` decodes the row's (encoded) features back (MSE), `clustering`
 * learns k-means pseudo-labels of the shared representation, refreshed every
 * epoch (DeepCluster, Caron et al. 2018). Both let rows without any label train
 * the shared part next to the supervised tasks. The distribution kinds (gaussian,
 * poisson, quantile) predict a distribution of a numeric target (src/mtl/kinds.ts).
 */
export type { TaskKind } from './kinds.js';
export const TASK_KINDS: readonly TaskKind[] = ['binary', 'multiclass', 'multilabel', 'regression', 'reconstruction', 'clustering', 'gaussian', 'poisson', 'quantile'];
export const UNSUPERVISED: readonly TaskKind[] = ['reconstruction', 'clustering'];

export interface TaskOptions {
  /**
   * The loss, one its kind takes (KIND_LOSSES; another is an ArgumentError): binary and
   * multilabel bce (default), focal, softDice, softCrossEntropy; multiclass
   * softmaxCrossEntropy (default), multiclassFocal, softCrossEntropy; regression and
   * reconstruction mse (default), huber; clustering softmaxCrossEntropy (default),
   * multiclassFocal. Gaussian, poisson and quantile tasks train on their own loss only.
   */
  loss?: LossSpec;
  /**
   * The task's weight in the joint loss (default 1), as Keras's `loss_weights`: read by the
   * `fixed` weighting (the default), given with or without weights of its own (with them,
   * they must agree). Any other strategy sets the weights itself and refuses a weight other than 1.
   */
  weight?: number;
  /** Hidden layers of the task's head, between the architecture's output and the output layer. Default none. */
  headUnits?: number[];
  /** Activation of those hidden layers. Default 'relu'. */
  headActivation?: Activation;
  /** Number of classes (multiclass) or labels (multilabel), for array inputs; input.classes, a Dataset's column or addTask's classes must agree with it. */
  classes?: number;
  /** Per-class loss weights (finite, ≥ 0, within float32, not all 0), or 'balanced' (n_rows / (n_classes · count), as scikit-learn). */
  classWeights?: number[] | 'balanced';
  /**
   * Tasks whose predictions feed this task's head (ESMM-style cascades, e.g. p(click) → p(buy)).
   * Their probabilities (or values) are appended to this head's input.
   */
  inputsFrom?: string[];
  /** Let this task's loss train the tasks it reads from through their predictions. Default true. */
  backpropToInputs?: boolean;
  /** Clustering tasks: the number of clusters k (≥ 2). */
  clusters?: number;
  /** Quantile tasks: the levels predicted, strictly increasing in (0, 1). Default [0.05, 0.5, 0.95]. */
  quantiles?: number[];
}

/**
 * A task: its name and kind (as literal types when made by `tasks.*`, so a model's predictions are typed per task) and its options.
 * `tasks.*` return it frozen, its arrays copied: changing the options given afterwards changes no task. A spec
 * written by hand is checked as `tasks.*` checks it when a model takes it.
 */
export interface TaskSpec<Name extends string = string, Kind extends TaskKind = TaskKind> extends Readonly<TaskOptions> {
  readonly name: Name;
  readonly kind: Kind;
}

const OPTION_KEYS = ['loss', 'weight', 'headUnits', 'headActivation', 'classes', 'classWeights', 'inputsFrom', 'backpropToInputs', 'clusters', 'quantiles'] as const;

/** A quantile task's levels when its spec names none: the median and a central 90% interval. */
export const DEFAULT_QUANTILES: readonly number[] = [0.05, 0.5, 0.95];

/**
 * The losses a task of each kind trains with, its default first. A loss outside its
 * kind's list would train on targets it does not read as they are meant: BCE on a
 * standardized regression target (outside [0, 1]), MSE on the logits a binary task's
 * predict turns into probabilities with a sigmoid. softCrossEntropy takes the outputs
 * of the kind: 'sigmoid' for binary and multilabel, 'softmax' for multiclass.
 */
export const KIND_LOSSES: Readonly<Record<TaskKind, readonly LossType[]>> = {
  binary: ['bce', 'focal', 'softDice', 'softCrossEntropy'],
  multiclass: ['softmaxCrossEntropy', 'multiclassFocal', 'softCrossEntropy'],
  multilabel: ['bce', 'focal', 'softDice', 'softCrossEntropy'],
  regression: ['mse', 'huber'],
  reconstruction: ['mse', 'huber'],
  clustering: ['softmaxCrossEntropy', 'multiclassFocal'],
  gaussian: ['gaussianNll'],
  poisson: ['poissonNll'],
  quantile: ['pinball'],
};

/** A frozen copy of an array option: the spec keeps nothing the caller can change later. */
const frozen = <T>(a: readonly T[]): readonly T[] => Object.freeze([...a]);

function make(kind: TaskKind, name: unknown, options: unknown, at = `tasks.${kind}('${String(name)}')`): TaskSpec {
  const where = `tasks.${kind}`;
  if (typeof name !== 'string' || name === '') throw new ArgumentError(`${where}: the task name must be a non-empty string, got ${show(name)}`);
  const opts = checkOptionsObject(at, options);
  checkKeys(at, opts, OPTION_KEYS);
  if (opts.weight !== undefined) {
    checkF32(at, 'weight', opts.weight);
    if ((opts.weight as number) < 0) throw new ArgumentError(`${at}: weight must be ≥ 0, got ${opts.weight}`);
  }
  if (opts.headUnits !== undefined) {
    if (!Array.isArray(opts.headUnits)) throw new ArgumentError(`${at}: headUnits must be an array of layer widths, got ${show(opts.headUnits)}`);
    opts.headUnits.forEach((u, i) => checkDim(at, `headUnits[${i}]`, u));
  }
  if (opts.classes !== undefined) {
    checkDim(at, 'classes', opts.classes);
    if (kind !== 'multiclass' && kind !== 'multilabel') throw new ArgumentError(`${at}: classes applies to multiclass and multilabel tasks only`);
    if (kind === 'multiclass' && (opts.classes as number) < 2) throw new ArgumentError(`${at}: a multiclass task needs at least 2 classes, got ${opts.classes}`);
  }
  if (opts.loss !== undefined && isDistributionKind(kind)) {
    throw new ArgumentError(`${at}: a ${kind} task trains on its own loss (${KINDS[kind].defaultLoss}); loss does not apply`);
  }
  let loss: Loss | undefined;
  if (opts.loss !== undefined) {
    try {
      loss = createLoss(opts.loss as LossSpec);
    } catch (err) {
      if (err instanceof ArgumentError) throw new ArgumentError(`${at}: loss: ${err.message.replace(/^createLoss: /, '')}`);
      throw err;
    }
    const allowed = KIND_LOSSES[kind];
    if (!allowed.includes(loss.type)) {
      throw new ArgumentError(`${at}: the ${loss.type} loss does not fit a ${kind} task; a ${kind} task takes ${allowed.join(', ')}`);
    }
    const output = (opts.loss as { output?: unknown }).output;
    if (loss.type === 'softCrossEntropy' && output !== undefined && output !== (kind === 'multiclass' ? 'softmax' : 'sigmoid')) {
      throw new ArgumentError(`${at}: the softCrossEntropy loss with ${String(output)} outputs does not fit a ${kind} task (multiclass: 'softmax'; binary, multilabel: 'sigmoid')`);
    }
  }
  if (opts.headActivation !== undefined) checkActivation(`${at}: headActivation`, opts.headActivation);
  if (opts.classWeights !== undefined && opts.classWeights !== 'balanced') {
    const cw = opts.classWeights;
    const bad = Array.isArray(cw) ? cw.findIndex((w) => !isF32Finite(w) || w < 0) : -1;
    if (!Array.isArray(cw) || cw.length === 0 || bad >= 0) {
      throw new ArgumentError(`${at}: classWeights must be 'balanced' or an array of finite weights ≥ 0 (within the float32 range), got ${bad >= 0 ? `classWeights[${bad}] = ${show((cw as unknown[])[bad])}` : show(cw)}`);
    }
    // As float32, what the kernels weight by: all 0 would train nothing.
    if (!cw.some((w: number) => Math.fround(w) > 0)) throw new ArgumentError(`${at}: classWeights must not all be 0`);
  }
  if (opts.classWeights !== undefined) {
    if (kind === 'regression' || UNSUPERVISED.includes(kind) || isDistributionKind(kind)) throw new ArgumentError(`${at}: classWeights do not apply to a ${kind} task`);
    if (loss?.classWeighting === 'none') throw new ArgumentError(`${at}: the ${loss.type} loss takes no classWeights`);
  }
  if (opts.inputsFrom !== undefined) {
    if (!Array.isArray(opts.inputsFrom) || opts.inputsFrom.some((s) => typeof s !== 'string')) {
      throw new ArgumentError(`${at}: inputsFrom must be an array of task names, got ${show(opts.inputsFrom)}`);
    }
    if (opts.inputsFrom.includes(name)) throw new ArgumentError(`${at}: a task cannot read its own prediction`);
  }
  if (opts.backpropToInputs !== undefined && typeof opts.backpropToInputs !== 'boolean') {
    throw new ArgumentError(`${at}: backpropToInputs must be true or false, got ${show(opts.backpropToInputs)}`);
  }
  if (kind === 'clustering') {
    if (opts.clusters === undefined) throw new ArgumentError(`${at}: a clustering task needs clusters (the number of clusters k)`);
    checkDim(at, 'clusters', opts.clusters);
    if ((opts.clusters as number) < 2) throw new ArgumentError(`${at}: clusters must be at least 2, got ${opts.clusters}`);
  } else if (opts.clusters !== undefined) {
    throw new ArgumentError(`${at}: clusters applies to clustering tasks only`);
  }
  if (kind !== 'quantile' && opts.quantiles !== undefined) throw new ArgumentError(`${at}: quantiles applies to quantile tasks only`);
  // A copy, frozen with its arrays: the spec goes into the model file as it is, and
  // nothing the caller changes afterwards reaches a model.
  const spec: Record<string, unknown> = { name, kind, ...opts };
  for (const key of ['headUnits', 'inputsFrom', 'classWeights'] as const) if (Array.isArray(opts[key])) spec[key] = frozen(opts[key] as unknown[]);
  if (opts.loss !== undefined) spec.loss = Object.freeze({ ...(opts.loss as LossSpec) });
  if (kind === 'quantile') spec.quantiles = frozen(checkQuantiles(`${at}: quantiles`, opts.quantiles ?? DEFAULT_QUANTILES));
  return Object.freeze(spec) as unknown as TaskSpec;
}

/**
 * Task constructors: `tasks.multiclass('species')`, `tasks.binary('sex', { weight: 2 })`, …
 * Each gives the task's name and kind as literal types, so that a model built
 * with them types its predictions and evaluations per task.
 */
export interface TaskMakers {
  binary<Name extends string>(name: Name, options?: TaskOptions): TaskSpec<Name, 'binary'>;
  multiclass<Name extends string>(name: Name, options?: TaskOptions): TaskSpec<Name, 'multiclass'>;
  multilabel<Name extends string>(name: Name, options?: TaskOptions): TaskSpec<Name, 'multilabel'>;
  regression<Name extends string>(name: Name, options?: TaskOptions): TaskSpec<Name, 'regression'>;
  /** Reconstructs the row's encoded features (MSE): trains the shared part on every row, labeled or not. Named 'reconstruction' by default. */
  reconstruction(name?: undefined, options?: TaskOptions): TaskSpec<'reconstruction', 'reconstruction'>;
  reconstruction<Name extends string>(name: Name, options?: TaskOptions): TaskSpec<Name, 'reconstruction'>;
  /** Learns k-means clusters of the shared representation, refreshed each epoch: `tasks.clustering('clusters', { clusters: 8 })`. Named 'clusters' by default. */
  clustering(name: undefined, options: TaskOptions): TaskSpec<'clusters', 'clustering'>;
  clustering<Name extends string>(name: Name, options: TaskOptions): TaskSpec<Name, 'clustering'>;
  /** A numeric target as a Gaussian: its mean and variance per row (negative log-likelihood). */
  gaussian<Name extends string>(name: Name, options?: TaskOptions): TaskSpec<Name, 'gaussian'>;
  /** A count (a whole number ≥ 0) as a Poisson distribution: its rate per row (negative log-likelihood). */
  poisson<Name extends string>(name: Name, options?: TaskOptions): TaskSpec<Name, 'poisson'>;
  /** Quantiles of a numeric target from one head, never crossing (pinball loss): `tasks.quantile('y', { quantiles: [0.1, 0.5, 0.9] })`. */
  quantile<Name extends string>(name: Name, options?: TaskOptions): TaskSpec<Name, 'quantile'>;
}

export const tasks: TaskMakers = {
  binary: (name: string, options?: TaskOptions) => make('binary', name, options),
  multiclass: (name: string, options?: TaskOptions) => make('multiclass', name, options),
  multilabel: (name: string, options?: TaskOptions) => make('multilabel', name, options),
  regression: (name: string, options?: TaskOptions) => make('regression', name, options),
  reconstruction: (name = 'reconstruction', options?: TaskOptions) => make('reconstruction', name, options),
  clustering: (name = 'clusters', options?: TaskOptions) => make('clustering', name, options),
  gaussian: (name: string, options?: TaskOptions) => make('gaussian', name, options),
  poisson: (name: string, options?: TaskOptions) => make('poisson', name, options),
  quantile: (name: string, options?: TaskOptions) => make('quantile', name, options),
} as TaskMakers;

export function defaultLoss(kind: TaskKind, spec?: TaskOptions): LossSpec {
  switch (kind) {
    case 'gaussian':
      return { type: 'gaussianNll' };
    case 'poisson':
      return { type: 'poissonNll' };
    case 'quantile':
      return { type: 'pinball', quantiles: spec?.quantiles ?? DEFAULT_QUANTILES };
    case 'binary':
    case 'multilabel':
      return { type: 'bce' };
    case 'multiclass':
      return { type: 'softmaxCrossEntropy' };
    case 'regression':
    case 'reconstruction':
      return { type: 'mse' };
    case 'clustering':
      return { type: 'softmaxCrossEntropy' };
  }
}

/** The kinds whose loss takes one class index per row. */
export function usesClassIndex(kind: TaskKind): boolean {
  return kind === 'multiclass' || kind === 'clustering';
}

/** Label values per row of a task with `width` outputs: one (a class index, or a distribution kind's value), else one per output. */
export function labelWidth(kind: TaskKind, width: number): number {
  return KINDS[kind].classIndex || KINDS[kind].oneValue ? 1 : width;
}

/**
 * A task as a model takes it: checked as its maker checks it (also a spec written by
 * hand, read from a file or changed after it was made) and copied, frozen.
 */
export function checkTask(where: string, spec: unknown): TaskSpec {
  const s = spec as TaskSpec | null;
  if (typeof s !== 'object' || s === null || Array.isArray(s) || typeof s.name !== 'string' || !TASK_KINDS.includes(s.kind)) {
    throw new ArgumentError(`${where} is ${show(s)}; make tasks with tasks.binary(name), tasks.multiclass(name), …`);
  }
  const { name, kind, ...options } = s;
  return make(kind, name, options, `${where} ${show(name)}`);
}

/**
 * Checks the tasks as a set — each as its task maker checks it, names distinct and
 * usable, inputsFrom naming other tasks without a cycle — and returns them (copies,
 * frozen) with an order where every source comes before its readers.
 */
export function checkTasks(specs: readonly TaskSpec[]): { specs: readonly TaskSpec[]; order: number[] } {
  if (!Array.isArray(specs) || specs.length === 0) throw new ArgumentError('MultiTaskModel: tasks must be a non-empty array of tasks.binary(…)/multiclass(…)/…');
  specs.forEach((s, i) => {
    if (typeof s !== 'object' || s === null || typeof s.name !== 'string' || !TASK_KINDS.includes(s.kind)) {
      throw new ArgumentError(`MultiTaskModel: task ${i} is ${show(s)}; make tasks with tasks.binary(name), tasks.multiclass(name), …`);
    }
  });
  const names = checkTaskNames(specs);
  const checked = specs.map((s) => checkTask('MultiTaskModel: task', s));
  return { specs: checked, order: orderTaskGraph(checked, names) };
}
