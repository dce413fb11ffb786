// The public multi-task model: data in (a Dataset, or arrays), predictions out,
// everything else delegated to MultiTaskModelCore (src/mtl/core.ts) and the loop (src/mtl/fit.ts).

import { encoded, isEncoded, readRows, type FeatureRows } from '../tensor/rows.js';
import { Matrix } from '../tensor/matrix.js';
import type { LabelColumns } from '../mtl/labels.js';
import type { ValidationData } from '../mtl/fit.js';
import { heapF32, runtime } from '../runtime/module.js';
import { ArgumentError, ShapeError } from '../runtime/errors.js';
import { F32_MAX, checkBoolean, checkFinitePredictions, checkKeys, checkOptionsObject, show } from '../runtime/validate.js';
import { getOwn, setOwn } from '../runtime/records.js';
import { disposeSymbol } from '../runtime/holdings.js';
import { MultiTaskModelCore, withoutUnreadWeights, type InputSchema, type ModelOptions, type ResidentData } from '../mtl/core.js';
import type { LayerInitializerName } from '../runtime/initializers.js';
import { TASK_KINDS, UNSUPERVISED, checkTask, checkTasks, type TaskKind, type TaskSpec } from '../mtl/tasks.js';
import { KINDS, columnKind, decodePrediction, distributionWidth, isDistributionKind, levelOption, type TaskPrediction } from '../mtl/kinds.js';
import type { TaskAffinity } from '../mtl/affinity.js';
import { fitLoop, parseFitOptions, type FitOptions, type History } from '../mtl/fit.js';
import { evaluateResident, type Evaluation } from '../mtl/evaluate.js';
import { inputGradientResident, perturbResident, readEvaluateOptions, type AttackOptions, type EvaluateOptions } from '../mtl/adversarial.js';
import { Dataset, Preprocessor, type DatasetTarget, type EmbeddingTable, type PreprocessorJSON } from '../data/index.js';
import { predictOptions, type PredictOptions } from '../data/encoding.js';
import { labelsByName } from '../data/dataset.js';
import { listNames } from '../data/values.js';
import { checkStepLayout } from '../data/windows.js';
import { encodeModel, ModelFormatError, type WeightEncoding } from '../io/format.js';
import { readModelFile } from '../io/model-file.js';
import { MAX_FEATURES, MAX_TASKS } from '../mtl/describe.js';
import { growArchitecture } from '../mtl/arch/growth.js';
import { PREDICT_CHUNK } from '../graph/forward.js';
import { reptile, type MetaLearnOptions, type MetaLearnSummary } from './reptile.js';

/** What a model file restores in place of a Dataset or an array spec (not public). */
class RestoredInput {
  constructor(
    readonly schema: InputSchema,
    readonly preprocessor: Preprocessor | null,
    readonly targetStats: Map<string, { mean: number; std: number }>,
  ) {}
}

/** package.json's version, written in by the build (scripts/build.mjs). */
declare const PACKAGE_VERSION: string;

/** Inputs as arrays: rows × features. */
export type { FeatureRows };
export type { LabelColumns, ValidationData };

export interface ArrayInputSpec {
  /** Number of features, or their names. */
  features: number | readonly string[];
  /** Class names or counts of multiclass/multilabel tasks (no other task); a count must agree with the task's own `classes`. */
  classes?: Record<string, number | readonly string[]>;
}

export interface MultiTaskModelOptions<Tasks extends TaskSpec[] = TaskSpec[]> extends ModelOptions {
  /** A Dataset (its feature encoding and class lists are fitted on it) or an array spec. */
  input: Dataset | ArrayInputSpec;
  /** The tasks, made with `tasks.binary(name)`, `tasks.multiclass(name)`, …: their names and kinds type the model's predictions. */
  tasks: Tasks;
}

export type { TaskPrediction };

/** The prediction of a task of kind `Kind`. */
export type PredictionOf<Kind extends TaskKind> = Extract<TaskPrediction, { kind: Kind }>;

/**
 * What predict returns: per task name, the prediction of its kind
 * (`predictions.species.classes`). For a model whose tasks are not known to the
 * types (a loaded file), `Record<string, TaskPrediction>`.
 */
export type Predictions<Tasks extends readonly TaskSpec[] = readonly TaskSpec[]> = { [S in Tasks[number] as S['name']]: PredictionOf<S['kind']> };

interface Prepared {
  features: Float32Array;
  rows: number;
  labels: Map<string, ArrayLike<number | null | undefined>>;
}

/**
 * A multi-task model. `Tasks` is the tuple of tasks it was built with, so that
 * predict and evaluate are typed per task; a model loaded from a file has
 * `TaskSpec[]`.
 */
export class MultiTaskModel<Tasks extends TaskSpec[] = TaskSpec[]> {
  /** Set to true (e.g. from a callback) to stop fit after the current batch. */
  stopTraining = false;
  #core: MultiTaskModelCore;
  readonly #preprocessor: Preprocessor | null;
  #schema: InputSchema;
  readonly #classNames = new Map<string, readonly string[]>();
  /** Regression targets are standardized for training; predictions are mapped back. */
  readonly #targetStats = new Map<string, { mean: number; std: number }>();

  constructor(options: MultiTaskModelOptions<Tasks>) {
    const opts = checkOptionsObject('MultiTaskModel', options);
    if (opts.input === undefined) throw new ArgumentError('MultiTaskModel: options.input is required: a Dataset, or { features: count | names, classes? }');
    if (!Array.isArray(opts.tasks)) throw new ArgumentError(`MultiTaskModel: tasks must be an array of tasks.binary(…)/multiclass(…)/…, got ${show(opts.tasks)}`);
    // Every task checked as tasks.* checks it (also one written by hand), copied and frozen, before anything reads them.
    const specs = checkTasks(opts.tasks as TaskSpec[]).specs;
    const input = options.input as Dataset | ArrayInputSpec | RestoredInput;
    const taskInfo = new Map<string, { width: number; classes?: readonly string[] }>();
    if (input instanceof RestoredInput) {
      this.#preprocessor = input.preprocessor;
      this.#schema = input.schema;
      for (const [name, info] of input.schema.tasks) if (info.classes) this.#classNames.set(name, info.classes);
      for (const [name, st] of input.targetStats) this.#targetStats.set(name, st);
    } else if (input instanceof Dataset) {
      this.#preprocessor = Preprocessor.fit(input);
      const featureCount = this.#preprocessor.featureNames.length;
      for (const spec of specs) {
        if (UNSUPERVISED.includes(spec?.kind)) {
          taskInfo.set(spec.name, outputsOf(spec, featureCount));
          continue;
        }
        if (!input.targetNames.includes(spec.name)) {
          throw new ArgumentError(`task "${spec.name}" is not a target of the dataset (targets: ${input.targetNames.join(', ') || 'none'})`);
        }
        const col = input.target(spec.name);
        taskInfo.set(spec.name, outputsOf(spec, featureCount, { col }));
        if (col.classes) this.#classNames.set(spec.name, col.classes);
        if (KINDS[spec.kind].standardized) this.#targetStats.set(spec.name, standardizer(col.values));
      }
      const embeddings = this.#preprocessor.embeddings;
      this.#schema = { featureCount: this.#preprocessor.featureNames.length, featureNames: this.#preprocessor.featureNames, tasks: taskInfo, ...(embeddings.length > 0 ? { embeddings } : {}) };
    } else {
      const spec = checkOptionsObject('MultiTaskModel input', input);
      checkKeys('MultiTaskModel input', spec, ['features', 'classes']);
      const f = spec.features;
      // Checked before the names are made: a count of 1e9 would exhaust the JS heap.
      if (typeof f === 'number' ? !(Number.isInteger(f) && f > 0) : !Array.isArray(f) || f.length === 0) {
        throw new ArgumentError(`MultiTaskModel input: features must be a positive count or a list of names, got ${show(f)}`);
      }
      const count = typeof f === 'number' ? f : (f as unknown[]).length;
      if (count > MAX_FEATURES) throw new ArgumentError(`MultiTaskModel input: features is ${count}; a model takes at most ${MAX_FEATURES} features`);
      const names = typeof f === 'number' ? Array.from({ length: f }, (_, i) => `x${i}`) : (f as unknown[]).map(String);
      const twice = names.find((n, i) => names.indexOf(n) !== i);
      if (twice !== undefined) throw new ArgumentError(`MultiTaskModel input: features names ${JSON.stringify(twice)} twice`);
      const classes = (spec.classes === undefined ? {} : checkOptionsObject('MultiTaskModel input.classes', spec.classes)) as Record<string, unknown>;
      for (const t of specs) {
        const c = Object.hasOwn(classes, t.name) ? classes[t.name] ?? undefined : undefined;
        const given = c === undefined ? undefined : classesGiven('', t.name, c);
        const info = outputsOf(t, names.length, {
          given, givenBy: 'input.classes',
          missing: () => new ArgumentError(`task "${t.name}": with array inputs a ${t.kind} task needs its class count (tasks.${t.kind}('${t.name}', { classes: n }) or input.classes)`),
        });
        taskInfo.set(t.name, info);
        if (info.classes) this.#classNames.set(t.name, info.classes);
      }
      // An entry that names no task, or one without classes, would be ignored.
      for (const [name, c] of Object.entries(classes)) {
        const t = specs.find((x) => x.name === name);
        if (c === undefined || c === null || t?.kind === 'multiclass' || t?.kind === 'multilabel') continue;
        throw new ArgumentError(t === undefined
          ? `MultiTaskModel input.classes: ${show(name)} is not a task (tasks: ${specs.map((x) => x.name).join(', ')})`
          : `MultiTaskModel input.classes: task ${show(name)} is ${t.kind}; classes apply to multiclass and multilabel tasks`);
      }
      this.#preprocessor = null;
      this.#schema = { featureCount: names.length, featureNames: names, tasks: taskInfo };
    }
    const { input: _input, ...modelOptions } = options;
    void _input;
    this.#core = new MultiTaskModelCore(this.#schema, { ...modelOptions, tasks: specs as TaskSpec[] });
    // A trunk over time steps reads windows() features as steps × channels: their names must say so.
    const arch = this.#core.description.architecture;
    if (!(input instanceof RestoredInput) && typeof arch.steps === 'number') {
      try {
        checkStepLayout(`architecture ${show(arch.type)}`, this.#schema.featureNames, arch.steps);
      } catch (err) {
        this.#core.dispose();
        throw err;
      }
    }
  }

  get tasks(): readonly TaskSpec[] { return this.#core.specs; }
  get taskNames(): readonly string[] { return this.#core.taskNames; }
  get featureNames(): readonly string[] { return this.#schema.featureNames; }
  get parameters() { return this.#core.parameters; }
  /** The architecture spec with every default filled in (its `initializer` included): what the model file stores. */
  get architecture(): Readonly<Record<string, unknown>> { return this.#core.description.architecture; }
  /** What the heads' weights (and the architecture's, unless its spec names its own) started from. */
  get initializer(): LayerInitializerName { return this.#core.initializer; }
  /**
   * The model as one binary blob (see src/io/format.ts): architecture, tasks,
   * preprocessing statistics, the weighting strategy's state and the weights,
   * stored as `weights: 'f32'` (default, exact), `'f16'` (half the size) or
   * `'int8'` (a quarter, one scale per tensor). Loading gives f32 weights back.
   */
  save(options?: { metadata?: Record<string, unknown>; weights?: WeightEncoding }): Uint8Array {
    const core = this.#core;
    core.check();
    const opts = checkOptionsObject('save', options);
    checkKeys('save', opts, ['metadata', 'weights']);
    const encoding = opts.weights ?? 'f32';
    if (encoding !== 'f32' && encoding !== 'f16' && encoding !== 'int8') throw new ArgumentError(`save: weights must be 'f32', 'f16' or 'int8', got ${show(encoding)}`);
    const metadata = checkMetadata(opts.metadata);
    if (core.specs.length > MAX_TASKS) throw new ArgumentError(`save: the model has ${core.specs.length} tasks; a model file holds at most ${MAX_TASKS}`);
    const o = core.options;
    const header = {
      format: 'manytask.model',
      manytask: PACKAGE_VERSION,
      seed: core.seed,
      initializer: core.initializer,
      architecture: core.description.architecture,
      tasks: core.specs,
      weighting: core.weighting.config(),
      weightingState: core.weighting.state(),
      optimizer: core.optimizerSpec,
      ...(o.relatedness !== undefined ? { relatedness: o.relatedness } : {}),
      ...(o.affinity !== undefined ? { affinityOptions: o.affinity } : {}),
      ...(o.gradients !== undefined ? { gradients: o.gradients } : {}),
      ...this.inputAndTargets(),
      parameters: core.parameters.list().map((p) => ({ name: p.name, shape: p.shape, offset: p.offset })),
      affinity: this.taskAffinity(),
      steps: core.step,
      metadata,
    };
    const p = core.parameters;
    return encodeModel({ header, weights: heapF32().slice(p.params >>> 2, (p.params >>> 2) + p.size) }, encoding);
  }

  /**
   * @internal What save() writes of the input and the targets: the schema (feature
   * names, per task its width and class names, the embedding tables), the
   * preprocessing and the target statistics. With the layout of the parameters it
   * is what gives the weights their meaning (the federated client compares it with
   * the federation's model file at join: src/federated/meaning.ts).
   */
  inputAndTargets(): { schema: Record<string, unknown>; preprocessor: PreprocessorJSON | null; targetStats: Record<string, { mean: number; std: number }> } {
    return {
      schema: {
        featureNames: this.#schema.featureNames,
        tasks: Object.fromEntries([...this.#schema.tasks].map(([n, v]) => [n, v])),
        ...(this.#schema.embeddings ? { embeddings: this.#schema.embeddings } : {}),
      },
      preprocessor: this.#preprocessor?.toJSON() ?? null,
      targetStats: Object.fromEntries(this.#targetStats),
    };
  }

  /** Rebuilds a model from `save()`'s bytes (see loadModel); f16 and int8 weights come back as the f32 values they stand for. */
  static load(bytes: Uint8Array): MultiTaskModel {
    runtime('loadModel'); // NotInitializedError first, not a model error from deep inside the build
    // The network the header describes, checked tensor by tensor against the
    // parameter table and the weight count before the model reserves any memory.
    const { header: h, weights, schema: info, description, stats } = readModelFile(bytes);
    const fail = (what: string): never => { throw new ModelFormatError(what); };
    // The embedding tables were checked when the header was described.
    const embeddings = info.embeddings as readonly EmbeddingTable[];
    const schema: InputSchema = {
      featureCount: info.featureNames.length, featureNames: info.featureNames, tasks: new Map(info.tasks), ...(embeddings.length > 0 ? { embeddings } : {}),
    };
    const affinity = readAffinity(h.affinity, description.tasks.map((t) => t.name));
    let pre: Preprocessor | null = null;
    try {
      if (h.preprocessor !== null && h.preprocessor !== undefined) pre = Preprocessor.fromJSON(h.preprocessor);
    } catch (err) {
      fail(`its preprocessing section is invalid (${brief(err)})`);
    }
    if (pre && pre.featureCount !== schema.featureCount) fail('the preprocessing and the input schema disagree on the feature count');
    if (pre && JSON.stringify(pre.embeddings) !== JSON.stringify(embeddings)) fail('the preprocessing and the input schema disagree on the embedding tables');
    let model: MultiTaskModel;
    const restore = (weighting: unknown, gradients: unknown): MultiTaskModel => new MultiTaskModel({
      input: new RestoredInput(schema, pre, stats) as unknown as ArrayInputSpec,
      architecture: h.architecture as ModelOptions['architecture'],
      tasks: withoutUnreadWeights(h.tasks, h.weighting) as TaskSpec[],
      weighting: weighting as ModelOptions['weighting'] & object,
      optimizer: h.optimizer as ModelOptions['optimizer'] & object,
      seed: h.seed as number,
      // Files from before the option started from glorotUniform, the default.
      ...(h.initializer !== undefined ? { initializer: h.initializer as ModelOptions['initializer'] & string } : {}),
      ...(h.relatedness !== undefined ? { relatedness: h.relatedness as ModelOptions['relatedness'] & object } : {}),
      ...(h.affinityOptions !== undefined ? { affinity: h.affinityOptions as ModelOptions['affinity'] & object } : {}),
      ...(gradients !== undefined ? { gradients: gradients as 'representation' | 'parameters' } : {}),
    });
    try {
      try {
        model = restore(h.weighting, h.gradients);
      } catch (err) {
        // A file saved before 'representation' gradients were refused where tasks read disjoint
        // columns of Z (crossStitch; GradDrop's default then): it loads with the default source there.
        const w = h.weighting as Record<string, unknown> | undefined;
        if (!(err instanceof ArgumentError) || (w?.gradients !== 'representation' && h.gradients !== 'representation')) throw err;
        const { gradients: _, ...rest } = w ?? {};
        try { model = restore(w?.gradients === 'representation' ? rest : w, h.gradients === 'representation' ? undefined : h.gradients); } catch { throw err; }
      }
    } catch (err) {
      if (err instanceof ModelFormatError) throw err;
      throw new ModelFormatError(`its model description is invalid (${brief(err)})`);
    }
    try {
      const params = model.#core.parameters;
      const table = h.parameters as { name: string; shape: number[]; offset: number }[] | undefined;
      const mine = params.list();
      const same = Array.isArray(table) && table.length === mine.length && mine.every((p, i) => {
        const q = table[i]!;
        return q?.name === p.name && q.offset === p.offset && Array.isArray(q.shape) && q.shape[0] === p.shape[0] && q.shape[1] === p.shape[1];
      });
      if (!same || weights.length !== params.size) fail('its parameter table does not match the architecture it describes');
      heapF32().set(weights, params.params >>> 2);
      if (h.weightingState !== undefined && h.weightingState !== null) {
        try {
          model.#core.weighting.restore(h.weightingState as Record<string, unknown>);
        } catch (err) {
          fail(`its weighting state is invalid (${brief(err)})`);
        }
      }
      model.#savedAffinity = affinity;
      if (h.steps !== undefined && !(Number.isSafeInteger(h.steps) && (h.steps as number) >= 0)) fail(`its step count ${show(h.steps)} is not an integer ≥ 0`);
      if (h.steps !== undefined) model.#core.restoreStep(h.steps as number);
    } catch (err) {
      model.dispose();
      throw err;
    }
    return model;
  }

  #savedAffinity: TaskAffinity | null = null;

  /** A classification task's class (or label) names, in output order; null when the data gave only a count. */
  classNames(task: string): readonly string[] | null {
    this.#core.check();
    if (!this.#core.taskNames.includes(task)) throw new ArgumentError(`classNames: unknown task ${show(task)} (tasks: ${this.#core.taskNames.join(', ')})`);
    return this.#classNames.get(task) ?? null;
  }

  /** The feature columns (and their types) the model reads from raw rows; for building a Dataset to evaluate or predict. */
  inputSpec(): Record<string, 'numeric' | 'categorical'> {
    this.#core.check();
    if (!this.#preprocessor) throw new ArgumentError(`this model was built from arrays; it reads ${this.#schema.featureCount} numeric features, not named columns`);
    return Object.fromEntries(this.#preprocessor.columns.map((c) => [c.name, c.type]));
  }

  /** The optimizer steps taken so far. */
  get steps(): number { return this.#core.step; }

  /**
   * Trains the model. `fit(dataset, options)` or `fit(x, labels, options)`; see FitOptions.
   * Resolves with the history; rejects with TrainingDivergedError (weights kept from
   * before the failing step) if a loss or gradient becomes non-finite.
   */
  fit(data: Dataset, options?: FitOptions): Promise<History>;
  fit(x: FeatureRows, labels: LabelColumns, options?: FitOptions): Promise<History>;
  async fit(data: Dataset | FeatureRows, labelsOrOptions?: LabelColumns | FitOptions, maybeOptions?: FitOptions): Promise<History> {
    this.#core.check();
    // Two fits of one model would interleave their batches on the same weights and buffers.
    if (this.#fitting) throw new ArgumentError('fit: this model is already training (an earlier fit has not finished: await it, or set model.stopTraining = true)');
    this.#fitting = true;
    try {
      return await this.#fit(data, labelsOrOptions, maybeOptions);
    } finally {
      this.#fitting = false;
    }
  }

  #fitting = false;

  async #fit(data: Dataset | FeatureRows, labelsOrOptions?: LabelColumns | FitOptions, maybeOptions?: FitOptions): Promise<History> {
    const core = this.#core;
    const [given, options] = data instanceof Dataset ? [this.#prepare(data, 'fit'), labelsOrOptions as FitOptions | undefined] : [this.#prepare({ x: data, labels: labelsOrOptions as LabelColumns }, 'fit'), maybeOptions];
    const raw = checkOptionsObject('fit', options);
    // labeledOnly: the rows without a label for any supervised task go before anything else (validationSplit included).
    const kept = raw.labeledOnly !== undefined && checkBoolean('fit', 'labeledOnly', raw.labeledOnly) ? labeledRows(given, core.specs) : null;
    const train = kept ? kept.data : given;
    let validation: Prepared | null = null;
    let training = train;
    const s = raw.validationSplit;
    if (s !== undefined && (typeof s !== 'number' || !(s >= 0 && s < 1))) throw new ArgumentError(`fit: validationSplit must be a number between 0 and 1, got ${show(s)}`);
    // validationSplit 0, as in Keras: no validation rows.
    const splitting = typeof s === 'number' && s > 0;
    if (raw.validationData !== undefined && splitting) throw new ArgumentError('fit: give validationData or validationSplit, not both');
    if (raw.validationData !== undefined) {
      if (!(raw.validationData instanceof Dataset) && (typeof raw.validationData !== 'object' || raw.validationData === null)) {
        throw new ArgumentError(`fit: validationData must be a Dataset or { x, labels }, got ${show(raw.validationData)}`);
      }
      const v = raw.validationData as Dataset | { x: FeatureRows; labels: LabelColumns };
      validation = this.#prepare(v instanceof Dataset ? v : { x: (v as { x: FeatureRows }).x, labels: (v as { labels: LabelColumns }).labels }, 'fit validationData');
    } else if (splitting) {
      const nVal = Math.floor(train.rows * s);
      if (nVal < 1 || nVal >= train.rows) throw new ArgumentError(`fit: validationSplit ${s} of ${train.rows} rows leaves no rows on one side`);
      [training, validation] = splitTail(train, this.#schema.featureCount, train.rows - nVal);
    }
    // Target standardization fitted by this call (array inputs) comes from the training rows
    // only, and is kept once the data is accepted. Statistics the validation labels give a task
    // the training rows do not label serve this call's validation only.
    const pending = new Map<string, { mean: number; std: number }>();
    const split = training !== train;
    training = this.#standardize(training, pending);
    const valStats = new Map(pending);
    if (validation) validation = this.#standardize(validation, valStats);
    const loop = parseFitOptions(raw, core, validation !== null, () => this.#perturbableOrThrow('fit'));
    let sampleWeights = raw.sampleWeights as ArrayLike<number> | undefined;
    if (sampleWeights !== undefined && !Array.isArray(sampleWeights) && !(ArrayBuffer.isView(sampleWeights) && !(sampleWeights instanceof DataView))) {
      throw new ArgumentError(`fit: sampleWeights must be an array or a typed array of weights (one per row), got ${show(sampleWeights)}`);
    }
    if (sampleWeights !== undefined && kept) {
      if (sampleWeights.length !== given.rows) throw new ArgumentError(`sampleWeights: expected ${given.rows} weights (one per row), got ${sampleWeights.length}`);
      const all = sampleWeights;
      sampleWeights = kept.rows.map((r) => all[r]!);
    }
    if (sampleWeights !== undefined && split) sampleWeights = Array.prototype.slice.call(sampleWeights, 0, training.rows) as number[];
    // Parameters this fit freezes (not those frozen already, e.g. by model.freeze or addTask): thawed when it ends.
    const frozenHere: string[] = [];
    if (raw.freeze !== undefined) {
      if (!Array.isArray(raw.freeze)) throw new ArgumentError(`fit: freeze must be an array of parameter names or prefixes, got ${show(raw.freeze)}`);
      const params = core.parameters;
      const already = new Set(params.names().filter((n) => params.isFrozen(n)));
      try {
        for (const p of raw.freeze) {
          for (const n of params.freeze(p as string)) if (!already.has(n) && !frozenHere.includes(n)) frozenHere.push(n);
        }
      } catch (err) {
        for (const n of frozenHere) params.unfreeze(n);
        throw err;
      }
      if (loop.epochs > 0) core.resetOptimizer();
    }
    const resident = core.makeResident(training.features, training.rows, training.labels, sampleWeights);
    let residentVal: ResidentData | null = null;
    try {
      // Each weight is finite and ≥ 0 (makeResident); all 0 would train nothing and log a loss of 0.
      if (sampleWeights !== undefined && !Array.prototype.some.call(sampleWeights, (w) => (w as number) > 0)) {
        throw new ArgumentError(`fit: sampleWeights has no positive weight${split ? ' for the training rows (validationSplit)' : ''}; at least one row must weigh more than 0`);
      }
      residentVal = validation ? core.makeResident(validation.features, validation.rows, validation.labels) : null;
      const unlabeled = core.taskNames.filter((_, t) => (resident.labels[t]?.labeled ?? 0) === 0);
      if (unlabeled.length > 0 && (loop.unlabeledTasks === 'error' || unlabeled.length === core.specs.length)) {
        throw new ArgumentError(`task "${unlabeled[0]}" has no labels in the training data` +
          (unlabeled.length < core.specs.length ? ' (fit\'s unlabeledTasks: \'skip\' trains the other tasks without it)' : core.specs.length > 1 ? ' (nor has any other task)' : ''));
      }
      const valWhere = splitting ? `fit: the last ${residentVal?.rows} rows (validationSplit)` : 'fit validationData';
      if (residentVal) requireSomeLabels(core, residentVal, valWhere);
      for (const [name, st] of pending) this.#targetStats.set(name, st);
      return await fitLoop(core, resident, residentVal, loop, this, new Map([...valStats, ...this.#targetStats]), valWhere);
    } finally {
      core.freeResident(resident);
      if (residentVal) core.freeResident(residentVal);
      if (raw.freeze !== undefined) {
        for (const n of frozenHere) core.parameters.unfreeze(n);
        // epochs 0 leaves the optimizer's state as it was.
        if (loop.epochs > 0) core.resetOptimizer();
      }
    }
  }

  /**
   * Per-task loss and metrics on labeled data: `evaluate(dataset, options?)` or
   * `evaluate(x, labels, options?)`. With `options.attack` ({ method: 'fgsm' | 'pgd',
   * epsilon, steps?, stepSize?, randomStart?, seed? }), on the rows' adversarial
   * examples against this model instead (see fit's `adversarial`; docs/ensembles.md).
   * It changes nothing in the model: a regression task of a model built from arrays
   * and not fitted yet has no target statistics, and is scored with those of these
   * labels, for this call only. A prediction that is not finite is a
   * NonFinitePredictionError naming the task and row, as in predict.
   */
  evaluate(data: Dataset, options?: EvaluateOptions): Evaluation<Tasks>;
  evaluate(x: FeatureRows, labels?: LabelColumns, options?: EvaluateOptions): Evaluation<Tasks>;
  evaluate(data: Dataset | FeatureRows, labelsOrOptions?: LabelColumns | EvaluateOptions, maybeOptions?: EvaluateOptions): Evaluation<Tasks> {
    const core = this.#core;
    core.check();
    const [labels, options] = data instanceof Dataset ? [undefined, labelsOrOptions as EvaluateOptions | undefined] : [labelsOrOptions as LabelColumns | undefined, maybeOptions];
    const attack = readEvaluateOptions('evaluate', options, core.seed);
    const perturbable = attack ? this.#perturbableOrThrow('evaluate') : null;
    const pending = new Map<string, { mean: number; std: number }>();
    const p = this.#standardize(data instanceof Dataset ? this.#prepare(data, 'evaluate') : this.#prepare({ x: data, labels: labels ?? {} }, 'evaluate'), pending);
    const resident = core.makeResident(p.features, p.rows, p.labels);
    try {
      requireSomeLabels(core, resident, 'evaluate');
    } catch (err) {
      core.freeResident(resident);
      throw err;
    }
    try {
      core.ensureCapacity(Math.min(p.rows, PREDICT_CHUNK));
      core.assignClusters(resident);
      if (attack) perturbResident(core, resident, attack.attack, perturbable!, attack.seed);
      // Statistics taken from these labels (a model from arrays not fitted yet) serve this call only.
      return evaluateResident(core, resident, new Map([...pending, ...this.#targetStats]), 'evaluate') as Evaluation<Tasks>;
    } finally {
      core.freeResident(resident);
    }
  }

  /**
   * The gradient of the joint loss with respect to the inputs, for every row of
   * labeled data: rows × featureNames.length floats, row-major, in the feature
   * space the network reads — a Dataset's encoded features (numeric columns
   * standardized, categories one-hot, missing indicators), or the arrays as
   * given. The loss is Σ_t w_t · L_t: L_t task t's mean loss over its labeled
   * rows as `evaluate` reports it, w_t the weighting strategy's current task
   * weights (the default fixed weighting: each task's `weight`). The model runs
   * in inference mode (no dropout), as PyTorch's `model.eval()` then
   * `loss.backward()` with `x.requires_grad`.
   */
  inputGradient(data: Dataset): Float32Array;
  inputGradient(x: FeatureRows, labels: LabelColumns): Float32Array;
  inputGradient(data: Dataset | FeatureRows, labels?: LabelColumns): Float32Array {
    return this.withLabels(data, labels, 'inputGradient', (resident) => {
      this.#core.assignClusters(resident);
      return inputGradientResident(this.#core, resident);
    });
  }

  /**
   * Adversarial examples of labeled rows against this model: FGSM or PGD (see
   * AttackOptions) on the joint loss, in the feature space `inputGradient` uses;
   * rows × featureNames.length floats. Only numeric features move (for a Dataset,
   * its standardized numeric columns; one-hot categories and missing indicators
   * stay); each within `epsilon` of the row's own value.
   */
  attack(data: Dataset, attack: AttackOptions & { seed?: number }): Float32Array;
  attack(x: FeatureRows, labels: LabelColumns, attack: AttackOptions & { seed?: number }): Float32Array;
  attack(data: Dataset | FeatureRows, labelsOrAttack: LabelColumns | (AttackOptions & { seed?: number }), maybeAttack?: AttackOptions & { seed?: number }): Float32Array {
    const core = this.#core;
    core.check();
    const [labels, options] = data instanceof Dataset ? [undefined, labelsOrAttack] : [labelsOrAttack as LabelColumns, maybeAttack];
    const read = readEvaluateOptions('attack', { attack: options ?? null }, core.seed)!;
    const perturbable = this.#perturbableOrThrow('attack');
    return this.withLabels(data, labels, 'attack', (resident) => {
      core.assignClusters(resident);
      perturbResident(core, resident, read.attack, perturbable, read.seed);
      return encoded(heapF32().slice(resident.x >>> 2, (resident.x >>> 2) + resident.rows * this.#schema.featureCount));
    });
  }

  /**
   * Per encoded feature, 1 where an attack may move it: a numeric column's value (not
   * one-hot categories, not an embedded column's table row, not missing indicators).
   */
  #perturbable(): Uint8Array {
    const flags = new Uint8Array(this.#schema.featureCount);
    if (!this.#preprocessor) return flags.fill(1);
    let at = 0;
    for (const c of this.#preprocessor.columns) {
      if (c.type === 'numeric') flags[at++] = 1;
      else if (c.embed) at++;
      else at += c.categories.length + (c.unknown === 'other' ? 1 : 0);
      if (c.indicator) at++;
    }
    return flags;
  }

  #perturbableOrThrow(where: string): Uint8Array {
    const flags = this.#perturbable();
    if (!flags.includes(1)) throw new ArgumentError(`${where}: an attack perturbs numeric features, and this model reads none (${this.#schema.featureNames.join(', ')})`);
    return flags;
  }

  /**
   * @internal Runs `use` on the labels of `data`, resident in WASM memory and
   * matched to this model's outputs as evaluate matches them (classes by name,
   * regression standardized with `targetStats`), then frees them. For scoring
   * outputs made elsewhere (an ensemble's) with evaluate's own metrics.
   */
  withLabels<T>(data: Dataset | FeatureRows, labels: LabelColumns | undefined, where: string,
    use: (resident: ResidentData, targetStats: ReadonlyMap<string, { mean: number; std: number }>) => T): T {
    const core = this.#core;
    core.check();
    const pending = new Map<string, { mean: number; std: number }>();
    const p = this.#standardize(data instanceof Dataset ? this.#prepare(data, where) : this.#prepare({ x: data, labels: labels ?? {} }, where), pending);
    const stats = new Map([...pending, ...this.#targetStats]);
    const resident = core.makeResident(p.features, p.rows, p.labels);
    try {
      requireSomeLabels(core, resident, where);
      return use(resident, stats);
    } finally {
      core.freeResident(resident);
    }
  }

  /**
   * Predictions per task for raw rows (objects with the feature columns, when the
   * model was built from a Dataset), a Dataset, or feature arrays (for a model built
   * from a Dataset, only its encoded features marked with `encoded(x)`). A prediction
   * that is not finite is a NonFinitePredictionError naming the task and row. With
   * `maxDeviation` (a model built from a Dataset), a numeric value more than that
   * many standard deviations from its column's training mean is refused first,
   * with an OutOfRangeError naming the column and row.
   */
  predict(input: Dataset | readonly Record<string, unknown>[] | FeatureRows, options?: PredictOptions): Predictions<Tasks> {
    const core = this.#core;
    core.check();
    const maxDeviation = predictOptions('predict', options, this.#preprocessor !== null);
    // A Matrix is read where it lies in WASM memory, not copied out and back in
    // (4 MB for 16,384 rows of 64: 6 ms of a 50 ms predict).
    const matrix = input instanceof Matrix && (!this.#preprocessor || isEncoded(input)) ? this.#matrixFeatures(input) : null;
    const given = matrix ? null : this.#features(input, 'predict', maxDeviation);
    const rows = matrix ? matrix.rows : given!.rows;
    if (matrix) this.#preprocessor?.checkEncoded('predict', matrix.features(), rows, maxDeviation);
    const level = levelOption('predict', options);
    const perTask = core.widths.map((w) => new Float32Array(rows * w));
    const { allocator } = runtime('predict');
    const chunk = Math.min(rows, PREDICT_CHUNK);
    core.ensureCapacity(chunk);
    const x = matrix ? matrix.ptr : allocator.alloc(Math.max(rows * this.#schema.featureCount, 1) * 4);
    const idx = allocator.alloc(chunk * 4);
    try {
      if (given) heapF32().set(given.features.subarray(0, rows * this.#schema.featureCount), x >>> 2);
      const empty: ResidentData = { rows, x, labels: core.specs.map(() => null), sampleWeights: 0 };
      for (let start = 0; start < rows; start += chunk) {
        const n = Math.min(chunk, rows - start);
        const ids = new Int32Array(heapF32().buffer, idx, n);
        for (let i = 0; i < n; i++) ids[i] = start + i;
        core.loadBatch(empty, idx, n);
        const preds = core.predictBatch(n);
        core.widths.forEach((w, t) => {
          const p = preds[t]! >>> 2;
          perTask[t]!.set(heapF32().subarray(p, p + n * w), start * w);
        });
      }
    } finally {
      if (!matrix) allocator.free(x);
      allocator.free(idx);
    }
    // The Matrix's view made now: memory may have grown in the loop (nothing below allocates in WASM).
    const features = matrix ? matrix.features() : given!.features;
    const out: Record<string, TaskPrediction> = {};
    core.specs.forEach((s, t) => {
      setOwn(out, s.name, decodePrediction(s.name, s.kind, perTask[t]!, rows, core.widths[t]!, {
        classes: this.#classNames.get(s.name) ?? null, stats: this.#targetStats.get(s.name) ?? null, features, levels: s.quantiles, level,
      }));
    });
    return out as Predictions<Tasks>;
  }

  /** The inter-task affinity measured during training, as a matrix with suggested groups (null for one task or affinity: false). */
  taskAffinity(): TaskAffinity | null {
    this.#core.check();
    const measured = this.#core.affinity?.result() ?? null;
    // A loaded model reports what was measured before it was saved, until it trains again.
    if (measured && measured.samples.some((row) => row.some((n) => n > 0))) return measured;
    return this.#savedAffinity ?? measured;
  }

  /**
   * Adds a task to a (trained) model. Every trained parameter keeps its value: the
   * shared part, the other tasks' towers, gates and heads; the new task's parts
   * start from the initializers. By default the shared part the model has is frozen
   * (the new task's own parts in it, as its experts, train), and the tasks it has
   * predict bit for bit as before, also once the new task is trained alone
   * (`unlabeledTasks: 'skip'`). Where a shared tensor grows with the task count,
   * the architecture (src/mtl/arch/) says how: a PLE's shared gates go on mixing
   * the experts they were trained on (`sharedGateTasks`), a cross-stitch unit's
   * trained tasks do not read the new column (`alphaTasks`); an architecture that
   * could not keep them refuses with an ArgumentError. `freezeShared: false`
   * fine-tunes the shared part too: a grown tensor keeps its trained block, its new
   * rows and columns start from the initializer. Unfreeze later with
   * `model.unfreeze(prefix)`. The new task's class list comes from `data` (a
   * Dataset with that target) or `classes`.
   */
  addTask(task: TaskSpec, options?: { data?: Dataset; classes?: number | readonly string[]; freezeShared?: boolean }): void {
    const core = this.#core;
    core.check();
    if (typeof task !== 'object' || task === null || typeof task.name !== 'string' || !TASK_KINDS.includes(task.kind)) {
      throw new ArgumentError(`addTask: the task must be made with tasks.binary(name), tasks.multiclass(name), …, got ${show(task)}`);
    }
    const spec = checkTask('addTask: task', task);
    const opts = checkOptionsObject('addTask', options);
    checkKeys('addTask', opts, ['data', 'classes', 'freezeShared']);
    if (core.taskNames.includes(spec?.name)) throw new ArgumentError(`addTask: the model already has a task named "${spec.name}"`);
    const tasks = new Map(this.#schema.tasks);
    const data = opts.data as Dataset | undefined;
    let stats: ReturnType<typeof standardizer> | null = null;
    if (data !== undefined && !(data instanceof Dataset)) throw new ArgumentError(`addTask: data must be a Dataset, got ${show(data)}`);
    let col: DatasetTarget | undefined, given: ReturnType<typeof classesGiven> | undefined;
    if (UNSUPERVISED.includes(spec.kind)) {
      // Outputs from the spec alone (an unsupervised task has no column).
    } else if (data !== undefined) {
      if (!data.targetNames.includes(spec.name)) throw new ArgumentError(`addTask: the dataset has no target "${spec.name}" (targets: ${data.targetNames.join(', ')})`);
      col = data.target(spec.name);
      if (KINDS[spec.kind].standardized) stats = standardizer(col.values);
    } else if (spec.kind === 'multiclass' || spec.kind === 'multilabel') {
      if (opts.classes !== undefined) given = classesGiven('addTask: ', spec.name, opts.classes);
    }
    if (opts.classes !== undefined && given === undefined) {
      throw new ArgumentError(`addTask: classes apply to a multiclass or multilabel task added without data; task "${spec.name}" is ${spec.kind}${data !== undefined ? ', with data' : ''}`);
    }
    tasks.set(spec.name, outputsOf(spec, this.#schema.featureCount, {
      ...(col ? { col } : {}), given, givenBy: "addTask's classes option", missing: () => new ArgumentError(`addTask: the ${spec.kind} task "${spec.name}" needs data or classes`),
    }));
    const schema: InputSchema = { ...this.#schema, tasks };
    const old = core.options;
    let weighting = old.weighting;
    if (weighting === undefined || (weighting.type === 'fixed' && weighting.weights !== undefined && !Array.isArray(weighting.weights))) {
      const w = weighting?.type === 'fixed' && weighting.weights && !Array.isArray(weighting.weights) ? weighting.weights : Object.fromEntries(core.specs.map((t) => [t.name, t.weight ?? 1]));
      weighting = { type: 'fixed', weights: { ...w, [spec.name]: spec.weight ?? 1 } };
    } else if (weighting.type === 'fixed' && Array.isArray(weighting.weights)) {
      weighting = { type: 'fixed', weights: [...weighting.weights, spec.weight ?? 1] };
    }
    // With the shared part frozen the old tasks must compute as before: the architecture's file says
    // which options change with a task and which grown tensors keep their trained values (growth.ts).
    const exact = opts.freezeShared !== false;
    const arch = core.description.architecture;
    const growth = growArchitecture(arch, core.taskNames, exact);
    const architecture = { ...old.architecture, ...growth.options } as ModelOptions['architecture'];
    const next = new MultiTaskModelCore(schema, { ...old, architecture, tasks: [...core.specs, spec], ...(weighting ? { weighting } : {}) });
    try {
      const oldInfo = new Map(core.parameters.list().map((p) => [p.name, p]));
      for (const p of next.parameters.list()) {
        const q = oldInfo.get(p.name);
        if (q === undefined) continue;
        const [rows, cols] = q.shape, [grownRows, grownCols] = p.shape;
        if (rows === grownRows && cols === grownCols) {
          next.parameters.set(p.name, core.parameters.get(p.name));
        } else if (growth.keeps(p.name) && rows <= grownRows && cols <= grownCols) {
          // The trained block at the top-left; the new rows and columns as the initializer made them.
          const values = next.parameters.get(p.name), trained = core.parameters.get(p.name);
          for (let r = 0; r < rows; r++) values.set(trained.subarray(r * cols, (r + 1) * cols), r * grownCols);
          next.parameters.set(p.name, values);
        } else if (exact) {
          throw new ArgumentError(`addTask: architecture ${show(arch.type)} cannot keep its trained parameter "${p.name}" `
            + `(${rows}×${cols}; ${grownRows}×${grownCols} with the task "${spec.name}"), so the tasks the model has would not predict as before; `
            + 'freezeShared: false adds the task with that parameter started afresh, to retrain the shared part');
        }
        // Else it starts from its initializer: the shared part is retrained.
      }
      if (exact) {
        // The shared part the old tasks read; the new task's own tensors in it (its experts, its column) train.
        const list = next.parameters.list(), added = core.specs.length;
        for (const i of next.engine.sharedTensors) if (list[i]!.owner !== added) next.parameters.freeze(list[i]!.name);
      }
      // What the user froze (model.freeze) stays frozen.
      const grown = new Set(next.parameters.names());
      for (const p of core.parameters.list()) if (core.parameters.isFrozen(p.name) && grown.has(p.name)) next.parameters.freeze(p.name);
      next.resetOptimizer();
    } catch (err) {
      next.dispose();
      throw err;
    }
    if (stats !== null) this.#targetStats.set(spec.name, stats);
    const classes = tasks.get(spec.name)?.classes;
    if (classes) this.#classNames.set(spec.name, classes);
    this.#schema = schema;
    this.#core = next;
    core.dispose();
  }

  /**
   * Reptile (src/model/reptile.ts): moves the weights to a meta-learned starting point
   * over the model's tasks — repeated short trainings on one task at a time, each
   * pulling the weights part of the way towards where it ended — so that a task
   * added later with `addTask(…, { freezeShared: false })` and few labelled rows
   * learns faster from it. Leaves a fresh optimizer state.
   */
  async metaLearn(data: Dataset, options?: MetaLearnOptions): Promise<MetaLearnSummary> {
    this.#core.check();
    if (!(data instanceof Dataset)) throw new ArgumentError(`metaLearn: data must be a Dataset with the tasks' targets, got ${show(data)}`);
    const { features, rows, labels } = this.#prepare(data, 'metaLearn');
    for (const s of this.#core.specs) if (UNSUPERVISED.includes(s.kind)) labels.delete(s.name);
    const summary = await reptile({
      features, rows, cols: this.#schema.featureCount, labels,
      weights: () => { const p = this.#core.parameters; return heapF32().subarray(p.params >>> 2, (p.params >>> 2) + p.size); },
      innerFit: async (x, taskLabels, batchSize, learningRate) => {
        this.#core.resetOptimizer();
        await this.fit(encoded(x), taskLabels, {
          epochs: 1, batchSize, shuffle: false, earlyStopping: false, unlabeledTasks: 'skip', ...(learningRate === undefined ? {} : { learningRate }),
        });
      },
    }, options);
    this.#core.resetOptimizer();
    return summary;
  }

  /**
   * Freezes parameters by name prefix ('shared', 'head.species', …) until unfreeze;
   * returns the names. The model's optimizer starts afresh (its moments and step
   * count), as after `compile` in Keras: the next fit's first Adam step is a first
   * step. (A hand-written loop's `parameters.freeze` keeps the optimizer's state, as
   * PyTorch's `requires_grad_(False)`.)
   */
  freeze(prefix: string): string[] {
    const names = this.#core.parameters.freeze(prefix);
    this.#core.resetOptimizer();
    return names;
  }

  /** Unfreezes parameters by name prefix; returns the names. The optimizer starts afresh, as after freeze. */
  unfreeze(prefix: string): string[] {
    const names = this.#core.parameters.unfreeze(prefix);
    this.#core.resetOptimizer();
    return names;
  }

  /**
   * Returns the model's WASM memory now (its parameters, optimizer state and batch
   * buffers: about 100 KB for a small model, far more for a large one). Disposing
   * twice is harmless; any use afterwards throws. A model never disposed gives its
   * memory back once it is garbage collected, whenever that is.
   */
  dispose(): void {
    this.#core.dispose();
  }

  /** dispose(), for `using model = new MultiTaskModel(…)`. */
  [disposeSymbol](): void {
    this.dispose();
  }

  get isDisposed(): boolean {
    return this.#core.isDisposed;
  }

  /** @internal */
  get core(): MultiTaskModelCore {
    return this.#core;
  }

  /**
   * predict's input when it is a Matrix: its data where it lies (`ptr`), checked by
   * readRows as any Matrix is (given a view of it, not a copy; its values scanned by
   * the firstNonFinite kernel first, 20 times faster than a loop in JavaScript), and
   * `features()`, a view made when called (a view made before memory grows is
   * detached by the growth).
   */
  #matrixFeatures(m: Matrix): { ptr: number; rows: number; features: () => Float32Array } {
    const ptr = m.ptr;
    const features = (): Float32Array => heapF32().subarray(ptr >>> 2, (ptr >>> 2) + m.size);
    const check = runtime('predict').kernels.firstNonFinite(m.size, ptr) >= 0;
    readRows('predict', 'x', { rows: m.rows, cols: m.cols, toFloat32Array: features }, { cols: this.#schema.featureCount, check });
    return { ptr, rows: m.rows, features };
  }

  #features(input: unknown, where: string, maxDeviation = Infinity): { features: Float32Array; rows: number } {
    if (input instanceof Dataset || (Array.isArray(input) && input.length > 0 && !Array.isArray(input[0]) && typeof input[0] === 'object')) {
      if (!this.#preprocessor) throw new ArgumentError(`${where}: this model was built from arrays; pass feature arrays (rows × ${this.#schema.featureCount})`);
      return this.#preprocessor.transform(input as Dataset | Record<string, unknown>[], { maxDeviation });
    }
    // Numbers in the raw columns' order would be read as standardized ones, and when the widths
    // agree nothing else could tell: such a model reads arrays only when told they are encoded.
    if (this.#preprocessor && typeof input === 'object' && input !== null && !isEncoded(input)) {
      throw new ArgumentError(`${where}: this model was built from a Dataset: give rows as objects with its columns (${listNames(this.#preprocessor.inputColumns, 5)}) or a Dataset; `
        + `arrays and Matrices are read as its encoded features (${this.#schema.featureCount} per row, model.featureNames) only when marked so: encoded(x)`);
    }
    // Borrowed: every caller copies the rows into WASM before it returns or awaits (makeResident, predict).
    const { data, rows } = readRows(where, 'x', input, { cols: this.#schema.featureCount, accepts: 'a Dataset, an array of rows, a Float32Array, { data, rows, cols } or a Matrix', borrow: true });
    // Rows given encoded, for a model built from a Dataset: maxDeviation reads their standardized columns.
    this.#preprocessor?.checkEncoded(where, data, rows, maxDeviation);
    return { features: data, rows };
  }

  /** Features and labels of one call; regression labels checked, in their own units (see #standardize). */
  #prepare(data: Dataset | { x: unknown; labels: LabelColumns | undefined }, where: string): Prepared {
    const { features, rows } = this.#features(data instanceof Dataset ? data : data.x, where);
    const labels = new Map<string, ArrayLike<number | null | undefined>>();
    for (const s of this.#core.specs) {
      let values: ArrayLike<number | null | undefined> | undefined;
      if (s.kind === 'reconstruction') {
        // The target is the row itself, as the model sees it (encoded features).
        labels.set(s.name, features.subarray(0, rows * this.#schema.featureCount));
        continue;
      }
      if (s.kind === 'clustering') {
        // Pseudo-labels: filled from k-means of the shared representation (see MultiTaskModelCore.refreshClusters).
        labels.set(s.name, new Int32Array(rows));
        continue;
      }
      if (data instanceof Dataset) {
        if (!data.targetNames.includes(s.name)) continue;
        values = this.#datasetLabels(data, s, where);
      } else {
        const l = data.labels;
        if (l !== undefined && (typeof l !== 'object' || l === null)) throw new ArgumentError(`${where}: labels must be an object { taskName: values }, got ${show(l)}`);
        values = l === undefined ? undefined : getOwn(l, s.name);
        if (values === undefined) continue;
        if (typeof values !== 'object' || values === null || typeof (values as { length?: unknown }).length !== 'number') {
          throw new ArgumentError(`${where}: the labels of task "${s.name}" must be an array (one label per row, NaN/null for none), got ${show(values)}`);
        }
      }
      if (columnKind(s.kind) === 'regression') {
        for (let i = 0; i < values.length; i++) {
          const v: unknown = values[i];
          if (v !== null && v !== undefined && typeof v !== 'number') {
            throw new ArgumentError(`task "${s.name}", row ${i}: label ${show(v)} is not a number (use NaN, null or undefined for "no label")`);
          }
        }
      }
      labels.set(s.name, values);
    }
    if (!(data instanceof Dataset) && data.labels) {
      for (const name of Object.keys(data.labels)) {
        if (!this.#core.taskNames.includes(name)) throw new ArgumentError(`${where}: labels for "${name}", which is not a task (tasks: ${this.#core.taskNames.join(', ')})`);
      }
    }
    return { features, rows, labels };
  }

  /**
   * A Dataset's labels of task `s` as the model's outputs index them. The model's
   * class lists are the contract for any data after the model exists: labels are
   * matched to them by name (labelsByName), never by their position in the
   * Dataset's own class list, which depends on which classes its rows hold.
   */
  #datasetLabels(data: Dataset, s: TaskSpec, where: string): ArrayLike<number> {
    const col = data.target(s.name);
    checkKind(s, col, where);
    if (col.kind === 'regression') return col.values;  // also a distribution task's (checkKind)
    const classes = this.#classNames.get(s.name);
    if (classes === undefined) {
      throw new ArgumentError(
        `${where}: task "${s.name}" has no class names (it was added without data${s.kind === 'binary' ? '' : ', with a class count'}), so the Dataset's labels ` +
        `(${listNames(col.classes ?? [])}) cannot be matched to its outputs by name: give its labels as class indices (fit(x, labels)), or add the task ` +
        `with its class names (addTask(task, { data })${s.kind === 'binary' ? '' : ' or addTask(task, { classes: [names] })'})`);
    }
    return labelsByName(data, s.name, classes, where);
  }

  /**
   * Standardizes the regression labels of prepared data. A task without
   * statistics yet gets them from these labels (if it has one), into `pending` (the caller keeps
   * them once the data is accepted; later calls with the same `pending` reuse them).
   */
  #standardize(p: Prepared, pending: Map<string, { mean: number; std: number }>): Prepared {
    const labels = new Map(p.labels);
    for (const s of this.#core.specs) {
      const values = labels.get(s.name);
      if (!KINDS[s.kind].standardized || values === undefined) continue;
      let stats = this.#targetStats.get(s.name) ?? pending.get(s.name);
      if (!stats) {
        stats = standardizer(values);
        // No label, no statistics: a fit that skips the task must not fix them at mean 0, std 1.
        if (Array.prototype.some.call(values, (v) => Number.isFinite(v))) pending.set(s.name, stats);
      }
      const out = new Float32Array(values.length);
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        out[i] = v === null || v === undefined ? NaN : (v - stats.mean) / stats.std;
        if (typeof v === 'number' && !Number.isNaN(v) && (!Number.isFinite(out[i]!) || Math.abs(v) > F32_MAX)) {
          throw new ArgumentError(`task "${s.name}", row ${i}: label ${v} ${!Number.isFinite(v) ? 'is not a finite number'
            : Math.abs(v) > F32_MAX ? 'is beyond float32\'s range (±3.4e38)' : `is beyond float32's range once standardized (mean ${stats.mean}, std ${stats.std})`}`);
        }
      }
      labels.set(s.name, out);
    }
    return { ...p, labels };
  }
}

/** Refuses data in which no task has a labeled row (evaluate and validation data would report nothing). */
function requireSomeLabels(core: MultiTaskModelCore, data: ResidentData, where: string): void {
  if (data.labels.some((l) => l !== null && l.labeled > 0)) return;
  throw new ArgumentError(`${where}: no task has a labeled row (tasks: ${core.taskNames.join(', ')}); give labels for at least one task`);
}

/**
 * A task's classes as array inputs or addTask give them: a count, or names —
 * distinct, since data later meets them by name (as text: 1 and "1" are one name).
 */
function classesGiven(where: string, task: string, c: unknown): { width: number; names: string[] | null } {
  if (typeof c === 'number' && Number.isInteger(c) && c >= 1) return { width: c, names: null };
  if (!Array.isArray(c) || c.length === 0) {
    throw new ArgumentError(`${where}task "${task}": its classes must be a class count ≥ 1 or a non-empty list of class names, got ${show(c)}`);
  }
  const names = c.map(String);
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new ArgumentError(`${where}task "${task}": its class names must be distinct, as labels are matched to them by name; ${show(name)} is given twice`);
    seen.add(name);
  }
  return { width: names.length, names };
}

/** Output width of an unsupervised task: the encoded feature count (reconstruction) or k (clustering). */
/**
 * A task's outputs, as the constructor and addTask read them (one rule, so that a task
 * added later gets what the same task given at construction gets): an unsupervised
 * task's from its spec (a cluster each, or the encoded features again); a supervised
 * one's from its Dataset column (`col`: one per class for multiclass, the column's
 * width for multilabel), else from its classes (`given`; a multiclass or multilabel
 * task without them throws `missing()`); a distribution head's parameters; else one.
 */
function outputsOf(
  spec: TaskSpec, featureCount: number,
  from: { col?: DatasetTarget; given?: { width: number; names: string[] | null } | undefined; givenBy?: string; missing?: () => Error } = {},
): { width: number; classes?: readonly string[] } {
  if (UNSUPERVISED.includes(spec.kind)) return { width: spec.kind === 'reconstruction' ? featureCount : spec.clusters! };
  if (isDistributionKind(spec.kind)) {
    if (from.col) checkKind(spec, from.col);
    return { width: distributionWidth(spec.kind, spec.quantiles) };
  }
  // The class count the task's own spec declares (multiclass, multilabel): any other source must agree.
  const declared = spec.classes;
  const what = spec.kind === 'multilabel' ? 'labels' : 'classes';
  if (from.col) {
    const col = from.col;
    checkKind(spec, col);
    const width = col.kind === 'multiclass' ? col.classes!.length : col.width;
    if (declared !== undefined && declared !== width) {
      throw new ArgumentError(`task "${spec.name}" declares ${declared} ${what} (its classes option), but the Dataset's column has ${width} (${listNames(col.classes ?? [])}): `
        + `name them all in the Dataset's spec (targets: { ${show(spec.name)}: { type: '${spec.kind}', ${what}: […] } }), or leave classes out`);
    }
    return { width, ...(col.classes ? { classes: col.classes } : {}) };
  }
  if (spec.kind === 'multiclass' || spec.kind === 'multilabel') {
    const given = from.given;
    if (given !== undefined && declared !== undefined && given.width !== declared) {
      throw new ArgumentError(`task "${spec.name}" declares ${declared} ${what} (its classes option), but ${from.givenBy} gives ${given.width}; give them in one place`);
    }
    if (given === undefined && declared === undefined) throw from.missing!();
    return given ? { width: given.width, ...(given.names ? { classes: given.names } : {}) } : { width: declared! };
  }
  return { width: 1 };
}

function checkKind(spec: TaskSpec, col: DatasetTarget, where?: string): void {
  if (columnKind(spec.kind) !== col.kind) {
    throw new ArgumentError(`${where === undefined ? '' : `${where}: `}task "${spec.name}" is declared ${spec.kind}, but the dataset's column is ${col.kind}`);
  }
}

/** Mean and standard deviation of the finite values (std 1 when there is no spread). */
function standardizer(values: ArrayLike<unknown>): { mean: number; std: number } {
  let n = 0, sum = 0;
  for (let i = 0; i < values.length; i++) { const v = values[i]; if (typeof v === 'number' && Number.isFinite(v)) { n++; sum += v; } }
  const mean = n > 0 ? sum / n : 0;
  let sq = 0;
  for (let i = 0; i < values.length; i++) { const v = values[i]; if (typeof v === 'number' && Number.isFinite(v)) sq += (v - mean) ** 2; }
  const std = n > 1 ? Math.sqrt(sq / n) : 0;
  return { mean, std: std > 0 ? std : 1 };
}

/**
 * fit's labeledOnly: the rows that carry a label for at least one supervised task
 * of the model (for a one-task model: the rows with its label) and their indices.
 * Unsupervised tasks (reconstruction, clustering) label every row and are not
 * counted. Refuses data in which no row is left.
 */
function labeledRows(p: Prepared, specs: readonly TaskSpec[]): { data: Prepared; rows: number[] } {
  const supervised = specs.filter((s) => !UNSUPERVISED.includes(s.kind) && p.labels.has(s.name));
  const columns = supervised.map((s) => {
    const values = p.labels.get(s.name)!;
    const width = values.length / p.rows;
    if (!Number.isInteger(width) || width < 1) throw new ShapeError(`task "${s.name}": expected labels for ${p.rows} rows, got ${values.length} values`);
    return { values, width };
  });
  const rows: number[] = [];
  for (let r = 0; r < p.rows; r++) {
    const labeled = columns.some(({ values, width }) => {
      for (let j = 0; j < width; j++) {
        const v = values[r * width + j];
        if (v !== null && v !== undefined && !Number.isNaN(v)) return true;
      }
      return false;
    });
    if (labeled) rows.push(r);
  }
  if (rows.length === 0) {
    throw new ArgumentError(`fit: labeledOnly leaves no rows: none of the ${p.rows} rows has a label for ${supervised.length > 0 ? supervised.map((s) => `"${s.name}"`).join(', ') : 'any task (the model has no supervised task with labels here)'}`);
  }
  if (rows.length === p.rows) return { data: p, rows };
  const featureWidth = p.features.length / p.rows;
  const features = new Float32Array(rows.length * featureWidth);
  rows.forEach((r, i) => features.set(p.features.subarray(r * featureWidth, (r + 1) * featureWidth), i * featureWidth));
  const labels = new Map<string, ArrayLike<number | null | undefined>>();
  for (const [name, values] of p.labels) {
    const width = values.length / p.rows;
    const out: (number | null | undefined)[] = new Array<number | null | undefined>(rows.length * width);
    rows.forEach((r, i) => { for (let j = 0; j < width; j++) out[i * width + j] = values[r * width + j]; });
    labels.set(name, out);
  }
  return { data: { features, rows: rows.length, labels }, rows };
}

/** Splits prepared data at row `at` (the last rows become validation data, as Keras's validationSplit). */
function splitTail(p: Prepared, width: number, at: number): [Prepared, Prepared] {
  const head: Prepared = { features: p.features.subarray(0, at * width), rows: at, labels: new Map() };
  const tail: Prepared = { features: p.features.subarray(at * width, p.rows * width), rows: p.rows - at, labels: new Map() };
  for (const [name, values] of p.labels) {
    const w = values.length / p.rows;
    head.labels.set(name, Array.prototype.slice.call(values, 0, at * w) as number[]);
    tail.labels.set(name, Array.prototype.slice.call(values, at * w) as number[]);
  }
  return [head, tail];
}

/** An error from the code a header was handed to, for a ModelFormatError's message: at most 300 characters. */
function brief(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 300 ? `${text.slice(0, 300)}… (${text.length} characters)` : text;
}

const METADATA_DEPTH = 256;

/**
 * save()'s metadata: a plain object that JSON keeps exactly as it is — plain
 * objects and arrays of strings, finite numbers, booleans and null. Anything
 * JSON.stringify would throw on (a BigInt, a cycle), drop (a function, undefined,
 * a Symbol) or change (NaN and ±Infinity to null, a Date to a string, a Map to
 * {}) is an ArgumentError naming where it is.
 */
function checkMetadata(value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  const rule = 'metadata must be a plain JSON-safe object (plain objects, arrays, strings, finite numbers, booleans and null)';
  const plain = (v: object): boolean => { const proto = Object.getPrototypeOf(v); return proto === Object.prototype || proto === null; };
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !plain(value)) throw new ArgumentError(`save: ${rule}, got ${show(value)}`);
  const ancestors = new Set<object>();
  const walk = (v: unknown, path: string, depth: number): void => {
    const refuse = (what: string): never => { throw new ArgumentError(`save: ${path} is ${what}; ${rule}`); };
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
    if (typeof v === 'number') { if (!Number.isFinite(v)) refuse(`${v} (JSON would store null)`); return; }
    if (typeof v === 'bigint') refuse(`a BigInt (${v}n)`);
    if (typeof v !== 'object') refuse(v === undefined ? 'undefined (JSON would drop it)' : `a ${typeof v} (JSON would drop it)`);
    const o = v as object;
    if (ancestors.has(o)) refuse('the object it is inside (a cycle)');
    if (depth > METADATA_DEPTH) refuse(`nested more than ${METADATA_DEPTH} levels deep`);
    if (Object.getOwnPropertySymbols(o).length > 0) refuse('an object with Symbol keys (JSON would drop them)');
    ancestors.add(o);
    if (Array.isArray(o)) {
      for (let i = 0; i < o.length; i++) {
        if (!(i in o)) refuse(`an array with a hole at ${i} (JSON would store null)`);
        walk(o[i], `${path}[${i}]`, depth + 1);
      }
    } else {
      if (!plain(o)) refuse(`${show(o)} (not a plain object)`);
      for (const key of Object.keys(o)) walk((o as Record<string, unknown>)[key], `${path}${/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${show(key)}]`}`, depth + 1);
    }
    ancestors.delete(o);
  };
  walk(value, 'metadata', 0);
  return value as Record<string, unknown>;
}

/**
 * The affinity a saved model reports until it trains again: null, or what
 * taskAffinity() returned at save (its tasks some of the model's, a square
 * matrix of cosines — null where never measured — sample counts and groups).
 */
function readAffinity(v: unknown, taskNames: readonly string[]): TaskAffinity | null {
  if (v === undefined || v === null) return null;
  const bad = (): never => { throw new ModelFormatError('its saved task affinity is not one taskAffinity() returns'); };
  if (typeof v !== 'object' || Array.isArray(v)) bad();
  const a = v as Record<string, unknown>;
  const tasks = a.tasks;
  if (!Array.isArray(tasks) || !tasks.every((t) => typeof t === 'string' && taskNames.includes(t)) || new Set(tasks).size !== tasks.length) bad();
  const k = (tasks as string[]).length;
  const square = (m: unknown, cell: (x: unknown) => boolean): boolean =>
    Array.isArray(m) && m.length === k && m.every((row) => Array.isArray(row) && row.length === k && row.every(cell));
  if (!square(a.matrix, (x) => x === null || Number.isFinite(x))) bad();
  if (!square(a.samples, (x) => Number.isSafeInteger(x) && (x as number) >= 0)) bad();
  if (!Array.isArray(a.groups) || !a.groups.every((g) => Array.isArray(g) && g.every((t) => (tasks as string[]).includes(t)))) bad();
  if (a.method !== 'gradientCosine') bad();
  return { tasks: tasks as string[], matrix: a.matrix as number[][], samples: a.samples as number[][], groups: a.groups as string[][], method: 'gradientCosine' };
}

/** Rebuilds a model saved with `model.save()`. Refuses truncated, corrupted, foreign or future-version files with ModelFormatError. */
export function loadModel(bytes: Uint8Array): MultiTaskModel {
  return MultiTaskModel.load(bytes);
}
