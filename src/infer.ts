// `manytask/infer`: load a model file and predict, nothing else. Everything
// here is what the entries in src/entries/infer*.ts share (each adds `init`,
// which finds infer.wasm its own way). The forward pass runs on the
// inference-only kernel module (assembly/infer.ts) and gives exactly
// MultiTaskModel.predict's output for the same file and rows.

import { ArgumentError, DisposedError } from './runtime/errors.js';
import { show, isRecord } from './runtime/validate.js';
import { setOwn } from './runtime/records.js';
import { ModelFormatError, type WeightEncoding } from './io/format.js';
import { readModelFile } from './io/model-file.js';
import { Predictor } from './io/predictor.js';
import { disposeSymbol } from './runtime/holdings.js';
import { ColumnEncoder, predictOptions, readPreprocessorJSON, type PredictOptions } from './data/encoding.js';
import { isEncoded, readRows } from './tensor/rows.js';
import { decodePrediction, levelOption, type TaskKind, type TaskPrediction } from './mtl/kinds.js';
import { combinePredictions, membersDisagree } from './mtl/ensemble-combine.js';
import { decodeEnsemble, readEnsembleWeights, type Combine } from './io/ensemble-file.js';

export {
  ManytaskError, InitError, NotInitializedError, ShapeError, ArgumentError, DisposedError, OutOfMemoryError, WasmTrapError,
  NonFinitePredictionError,
} from './runtime/errors.js';
export type { ErrorCode } from './runtime/errors.js';
export { encoded } from './tensor/rows.js';
export { DataError, UnknownCategoryError, OutOfRangeError } from './data/errors.js';
export type { DataErrorLocation } from './data/errors.js';
export { ModelFormatError } from './io/format.js';
export type { WeightEncoding } from './io/format.js';
export { isInitialized } from './runtime/module.js';
export { memory } from './runtime/holdings.js';
export type { MemoryInfo } from './runtime/holdings.js';
export type { WasmSource } from './runtime/module.js';
export type { TaskPrediction, TaskKind } from './mtl/kinds.js';
export { predictionsToJSON, type PredictionJSON } from './mtl/predictions-json.js';
export type { PredictOptions } from './data/encoding.js';

/** A task of a loaded model: its kind, output width and class (or label) names if the data gave them. */
export interface TaskInfo {
  readonly name: string;
  readonly kind: TaskKind;
  readonly width: number;
  readonly classes: readonly string[] | null;
}

/** A raw input column of a model built from a Dataset. */
export interface InputColumn {
  readonly name: string;
  readonly type: 'numeric' | 'categorical';
  /** The categories a categorical column knows. */
  readonly categories?: readonly string[];
}

/** What predict takes: row objects (a model built from a Dataset), or feature arrays (rows × features, or flat). */
export type PredictInput = readonly Record<string, unknown>[] | readonly (readonly number[])[] | Float32Array | Float64Array;

/** A model file loaded for prediction only. */
export class InferenceModel {
  readonly tasks: readonly TaskInfo[];
  /** The encoded features the network reads, in order. */
  readonly featureNames: readonly string[];
  /** The raw columns predict reads from row objects; null for a model built from arrays. */
  readonly inputColumns: readonly InputColumn[] | null;
  /** The `metadata` given to save(). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** How the file stored the weights. */
  readonly weights: WeightEncoding;
  readonly #encoder: ColumnEncoder | null;
  readonly #stats: ({ mean: number; std: number } | null)[];
  /** Per task: a quantile task's levels. */
  readonly #levels: (readonly number[] | undefined)[];
  readonly #predictor: Predictor;
  #disposed = false;

  /** Prefer loadModel(bytes); the same. */
  constructor(bytes: Uint8Array) {
    const { header: h, weights, encoding, schema, description, stats } = readModelFile(bytes);
    this.#stats = description.tasks.map((t) => stats.get(t.name) ?? null);
    this.#levels = description.tasks.map((t) => t.quantiles);
    this.tasks = description.tasks.map((t) => ({ name: t.name, kind: t.kind, width: t.width, classes: schema.tasks.get(t.name)!.classes ?? null }));
    this.#encoder = h.preprocessor === null || h.preprocessor === undefined ? null : readEncoder(h.preprocessor);
    if (this.#encoder && this.#encoder.featureNames.join('\n') !== schema.featureNames.join('\n')) throw new ModelFormatError('the preprocessing and the input schema disagree on the features');
    this.featureNames = schema.featureNames;
    this.inputColumns = this.#encoder?.columns.map((c) => (c.type === 'numeric' ? { name: c.name, type: c.type } : { name: c.name, type: c.type, categories: c.categories })) ?? null;
    this.metadata = isRecord(h.metadata) ? h.metadata : {};
    this.weights = encoding;
    this.#predictor = new Predictor(description, weights);
  }

  get taskNames(): string[] {
    return this.tasks.map((t) => t.name);
  }

  /** A classification task's class (or label) names, in output order; null when the data gave only a count. */
  classNames(task: string): readonly string[] | null {
    const t = this.tasks.find((x) => x.name === task);
    if (!t) throw new ArgumentError(`unknown task ${show(task)} (tasks: ${this.taskNames.join(', ')})`);
    return t.classes;
  }

  /**
   * Per task: probabilities and predicted classes, label lists, or regression
   * values in their own units; exactly what MultiTaskModel.predict returns (and
   * refuses) for the same file, input and options: a prediction that is not finite
   * is a NonFinitePredictionError naming the task and row; `maxDeviation` refuses
   * a row too far from the training data with an OutOfRangeError.
   */
  predict(input: PredictInput, options?: PredictOptions): Record<string, TaskPrediction> {
    if (this.#disposed) throw new DisposedError('an InferenceModel');
    const maxDeviation = predictOptions('predict', options, this.#encoder !== null);
    const level = levelOption('predict', options);
    let features: Float32Array, rows: number;
    if (Array.isArray(input) && input.length > 0 && isRecord(input[0])) {
      if (!this.#encoder) throw new ArgumentError(`predict: this model was built from arrays; pass feature arrays (rows × ${this.featureNames.length})`);
      features = this.#encoder.encodeObjects('predict', input, maxDeviation);
      rows = input.length;
    } else {
      // As MultiTaskModel.predict: numbers in the raw columns would be read as standardized ones.
      if (this.#encoder && typeof input === 'object' && input !== null && !isEncoded(input)) throw new ArgumentError('predict: this model was built from a Dataset: give rows as objects with its columns (inputColumns); arrays are read as its encoded features (featureNames) only when marked so: encoded(x)');
      ({ data: features, rows } = readRows('predict', 'x', input, { cols: this.featureNames.length, accepts: 'an array of rows, a Float32Array, { data, rows, cols } or a Float64Array' }));
      this.#encoder?.checkEncoded('predict', features, rows, maxDeviation);
    }
    const perTask = this.#predictor.run(features, rows);
    const out: Record<string, TaskPrediction> = {};
    this.tasks.forEach((t, k) => {
      setOwn(out, t.name, decodePrediction(t.name, t.kind, perTask[k]!, rows, t.width, { classes: t.classes, stats: this.#stats[k]!, features, levels: this.#levels[k], level }));
    });
    return out;
  }

  /**
   * Returns the model's WASM memory (its weights and batch buffers) now; predict
   * afterwards throws DisposedError. Disposing twice is harmless. A model never
   * disposed gives its memory back once it is garbage collected.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#predictor.dispose();
    this.#disposed = true;
  }

  /** dispose(), for `using model = loadModel(bytes)`. */
  [disposeSymbol](): void {
    this.dispose();
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }
}


/** The file's preprocessing section, as Preprocessor.fromJSON reads it; ModelFormatError if it is not one. */
function readEncoder(json: unknown): ColumnEncoder {
  const fail = (what: string): never => { throw new ModelFormatError(`its preprocessing section is invalid (${what})`); };
  const { columns, naValues } = readPreprocessorJSON(json, fail);
  return new ColumnEncoder(columns, naValues, fail);
}

/**
 * Loads a model file saved by `model.save()` (f32, f16 or int8 weights) for
 * prediction. Needs `await init()` first. Refuses truncated, corrupted,
 * foreign, future-version and inconsistent files with ModelFormatError.
 */
export function loadModel(bytes: Uint8Array): InferenceModel {
  return new InferenceModel(bytes);
}

/** An ensemble file (`ensemble.save()`) loaded for prediction only: its members combined as the file says. */
export class InferenceEnsemble {
  readonly members: readonly InferenceModel[];
  readonly combine: Combine;
  readonly #weights: Map<string, Float64Array>;

  /** Prefer loadEnsemble(bytes); the same. */
  constructor(bytes: Uint8Array) {
    const { header, members } = decodeEnsemble(bytes);
    const models: InferenceModel[] = [];
    try {
      for (const m of members) models.push(new InferenceModel(m));
      const why = membersDisagree(models.map((m) => m.tasks));
      if (why !== null) throw new ModelFormatError(`(an ensemble file) ${why}`);
      this.#weights = readEnsembleWeights(header, models[0]!.taskNames, models.length);
    } catch (err) {
      for (const m of models) m.dispose();
      throw err;
    }
    this.members = models;
    this.combine = header.combine;
  }

  get tasks(): readonly TaskInfo[] { return this.members[0]!.tasks; }
  get taskNames(): string[] { return this.members[0]!.taskNames; }

  /** Per task, the weight of each member (summing to one). */
  weights(): Record<string, number[]> {
    return Object.fromEntries([...this.#weights].map(([name, w]) => [name, Array.from(w)]));
  }

  /** The combined predictions, exactly as Ensemble.predict gives them for the same file, input and options. */
  predict(input: PredictInput, options?: PredictOptions): Record<string, TaskPrediction> {
    const all = this.members.map((m) => m.predict(input, options));
    return combinePredictions(this.tasks, all, (t) => this.#weights.get(t)!, this.combine === 'vote');
  }

  dispose(): void {
    for (const m of this.members) m.dispose();
  }

  [disposeSymbol](): void {
    this.dispose();
  }
}

/**
 * Loads an ensemble file saved by `ensemble.save()` for prediction. Needs
 * `await init()` first. Refuses files that are not one (or whose members
 * disagree on their tasks) with ModelFormatError.
 */
export function loadEnsemble(bytes: Uint8Array): InferenceEnsemble {
  return new InferenceEnsemble(bytes);
}
