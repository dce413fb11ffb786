// The encoding of raw values with a fitted preprocessing (src/data/preprocessor.ts
// says what each column becomes), written once: Preprocessor.transform runs it on
// Datasets and row objects, and `manytask/infer` runs it on the row objects a
// saved model's predict gets — so both give the same floats. Also the one reader
// of the preprocessing's plain-data form (Preprocessor.toJSON, the model file's
// `preprocessor` section). No Dataset and no fitting here: `manytask/infer`
// bundles this file.

import type { NumericImputation, UnknownCategory } from './spec.js';
import { DataError, OutOfRangeError, UnknownCategoryError, checkMaxDeviation, type DataErrorLocation } from './errors.js';
import { INVALID, listNames, toCategory, toNumber } from './values.js';
import { ArgumentError } from '../runtime/errors.js';
import { checkKeys, checkOptionsObject, isRecord, show } from '../runtime/validate.js';

export interface NumericColumnState {
  readonly name: string;
  readonly type: 'numeric';
  readonly missing: NumericImputation;
  /** Mean of the observed values of the fit data. */
  readonly mean: number;
  /** Their population standard deviation, or 1 if they are all equal. > 0. */
  readonly std: number;
  /**
   * Their one value, when they are all equal (std is then 1): with maxDeviation, any
   * other value is refused. Absent otherwise, and in files written before it.
   */
  readonly constant?: number;
  /** What a missing value becomes before scaling (raw units). */
  readonly fill: number;
  /** Whether the column has a `<name>_missing` feature. */
  readonly indicator: boolean;
}

export interface CategoricalColumnState {
  readonly name: string;
  readonly type: 'categorical';
  /** The one-hot categories, in feature order. */
  readonly categories: readonly string[];
  readonly unknown: UnknownCategory;
  readonly indicator: boolean;
  /**
   * An embedded column: one feature, the identifier's row in the table `table`
   * (categories[i] → i + buckets; 0 for a missing value; for an unseen or rare
   * identifier 0, or with `buckets` k > 1 its hashing bucket identifierBucket(v, k)),
   * `dim` floats per row. Columns sharing a table list the same categories.
   * Files written before buckets have none (one out-of-vocabulary row).
   */
  readonly embed?: { readonly dim: number; readonly table: string; readonly buckets?: number };
}

export type PreprocessorColumnState = NumericColumnState | CategoricalColumnState;

/** An embedding table of a model's input: `entries` rows (row 0: out of vocabulary) of `dim` floats, indexed by the encoded features `columns`. */
export interface EmbeddingTable {
  readonly table: string;
  readonly entries: number;
  readonly dim: number;
  readonly columns: readonly number[];
}

/** What Preprocessor.toJSON() returns and fromJSON() takes. */
export interface PreprocessorJSON {
  readonly format: 'manytask.preprocessor';
  readonly version: 1;
  /** Texts read as missing besides '' (from the fit Dataset's naValues). */
  readonly naValues: readonly string[];
  readonly columns: readonly PreprocessorColumnState[];
}

export const PREPROCESSOR_FORMAT = 'manytask.preprocessor';

/** Where a value sits, for errors: "rows[3]" or "row 4 (line 5)", and its index (and CSV line). */
export interface Place {
  readonly place: string;
  readonly rowIndex: number;
  readonly line?: number | undefined;
}

/**
 * Checks the plain-data form of a preprocessing (an object or its JSON text).
 * `fail(what)` throws the caller's error: an ArgumentError for
 * Preprocessor.fromJSON, a ModelFormatError for a model file.
 */
export function readPreprocessorJSON(json: unknown, fail: (what: string) => never): { naValues: string[]; columns: PreprocessorColumnState[] } {
  let j = json;
  if (typeof j === 'string') {
    try { j = JSON.parse(j); } catch (e) { fail(`the text is not JSON (${e instanceof Error ? e.message : String(e)})`); }
  }
  const object = (what: string, v: unknown, keys: readonly string[]): Record<string, unknown> => {
    if (!isRecord(v)) fail(`${what} must be an object, got ${show(v)}`);
    for (const k of Object.keys(v)) if (!keys.includes(k)) fail(`${what} has an unknown key ${show(k)} (known: ${keys.join(', ')})`);
    for (const k of keys) if (!(k in v)) fail(`${what} lacks ${show(k)}`);
    return v;
  };
  const finite = (what: string, v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : fail(`${what} must be a finite number, got ${show(v)}`));
  const bool = (what: string, v: unknown): boolean => (typeof v === 'boolean' ? v : fail(`${what} must be true or false, got ${show(v)}`));
  const strings = (what: string, v: unknown, nonEmpty: boolean): string[] => {
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s !== '') || (nonEmpty && v.length === 0)) {
      fail(`${what} must be ${nonEmpty ? 'a non-empty' : 'an'} array of non-empty strings, got ${show(v)}`);
    }
    if (new Set(v).size !== v.length) fail(`${what} has a value twice`);
    return [...(v as string[])];
  };
  const o = object('the JSON', j, ['format', 'version', 'naValues', 'columns']);
  if (o.format !== PREPROCESSOR_FORMAT) fail(`format must be ${show(PREPROCESSOR_FORMAT)}, got ${show(o.format)}`);
  if (o.version !== 1) fail(`version must be 1 (the only version this manytask reads), got ${show(o.version)}`);
  const naValues = strings('naValues', o.naValues, false);
  if (!Array.isArray(o.columns) || o.columns.length === 0) fail(`columns must be a non-empty array, got ${show(o.columns)}`);
  const names = new Set<string>();
  const columns = (o.columns as unknown[]).map((raw, i): PreprocessorColumnState => {
    const at = `columns[${i}]`;
    const base = isRecord(raw) ? raw : fail(`${at} must be an object, got ${show(raw)}`);
    const name = typeof base.name === 'string' && base.name !== '' ? base.name : fail(`${at}.name must be a non-empty string, got ${show(base.name)}`);
    if (names.has(name)) fail(`${at}.name ${show(name)} appears twice`);
    names.add(name);
    if (base.type === 'numeric') {
      // `constant` is there for columns constant in the fit data only.
      const c = object(at, raw, ['name', 'type', 'missing', 'mean', 'std', 'fill', 'indicator', ...('constant' in base ? ['constant'] : [])]);
      if (c.missing !== 'mean' && c.missing !== 'median' && c.missing !== 'zero') fail(`${at}.missing must be "mean", "median" or "zero", got ${show(c.missing)}`);
      const std = finite(`${at}.std`, c.std);
      if (!(std > 0)) fail(`${at}.std must be > 0, got ${show(c.std)}`);
      return {
        name, type: 'numeric', missing: c.missing as NumericImputation, mean: finite(`${at}.mean`, c.mean), std,
        fill: finite(`${at}.fill`, c.fill), indicator: bool(`${at}.indicator`, c.indicator),
        ...('constant' in c ? { constant: finite(`${at}.constant`, c.constant) } : {}),
      };
    }
    if (base.type === 'categorical') {
      // `embed` is there for embedded columns only (files written before it have none).
      const c = object(at, raw, ['name', 'type', 'categories', 'unknown', 'indicator', ...('embed' in base ? ['embed'] : [])]);
      if (c.unknown !== 'error' && c.unknown !== 'other') fail(`${at}.unknown must be "error" or "other", got ${show(c.unknown)}`);
      // An embedded column is one feature, without a missing indicator (a missing identifier takes row 0).
      // The encoder needs no more of `embed`: the model's tables are checked against its dim and table.
      if ('embed' in c && !(isRecord(c.embed) && c.indicator === false)) fail(`${at}.embed needs indicator false`);
      const buckets = isRecord(c.embed) ? c.embed.buckets : undefined;
      if (buckets !== undefined && !(Number.isInteger(buckets) && (buckets as number) > 1 && (buckets as number) <= 4096)) fail(`${at}.embed.buckets must be an integer from 2 to 4096, got ${show(buckets)}`);
      return {
        name, type: 'categorical', categories: strings(`${at}.categories`, c.categories, true),
        unknown: c.unknown as UnknownCategory, indicator: bool(`${at}.indicator`, c.indicator),
        ...('embed' in c ? { embed: c.embed as { dim: number; table: string; buckets?: number } } : {}),
      };
    }
    return fail(`${at}.type must be "numeric" or "categorical", got ${show(base.type)}`);
  });
  return { naValues, columns };
}

/**
 * The hashing bucket of an identifier no row of its table holds: FNV-1a (32 bits,
 * offset basis 2166136261, prime 16777619) over its UTF-8 bytes (TextEncoder's: a
 * lone surrogate as U+FFFD), modulo `buckets`. Integer arithmetic only (Math.imul),
 * so every runtime, and any language hashing the same bytes, gives the same row.
 */
export function identifierBucket(id: string, buckets: number): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(id)) h = Math.imul(h ^ b, 0x01000193);
  return (h >>> 0) % buckets;
}

/** A fitted preprocessing's columns, ready to encode values. */
export class ColumnEncoder {
  readonly columns: readonly PreprocessorColumnState[];
  readonly naValues: readonly string[];
  /** Names of the encoded features, in order. */
  readonly featureNames: readonly string[];
  readonly #offsets: readonly number[];
  readonly #categoryIndex: readonly (ReadonlyMap<string, number> | null)[];

  /** `fail(what)` throws the caller's error when two encoded features would share a name. */
  constructor(columns: readonly PreprocessorColumnState[], naValues: readonly string[], fail: (what: string) => never) {
    for (const c of columns) {
      if (c.type === 'categorical') Object.freeze(c.categories);
      Object.freeze(c);
    }
    this.columns = Object.freeze([...columns]);
    this.naValues = Object.freeze([...naValues]);
    const names: string[] = [];
    const offsets: number[] = [];
    for (const c of columns) {
      offsets.push(names.length);
      if (c.type === 'numeric' || c.embed) names.push(c.name);
      else {
        for (const cat of c.categories) names.push(`${c.name}=${cat}`);
        if (c.unknown === 'other') names.push(`${c.name}_other`);
      }
      if (c.indicator) names.push(`${c.name}_missing`);
    }
    if (new Set(names).size !== names.length) {
      fail(`two encoded features would both be named ${show(names.find((n, i) => names.indexOf(n) !== i))}: rename one of the columns`);
    }
    this.featureNames = Object.freeze(names);
    this.#offsets = offsets;
    this.#categoryIndex = columns.map((c) => (c.type === 'categorical' ? new Map(c.categories.map((cat, i) => [cat, i])) : null));
  }

  /**
   * Encodes row objects (other keys ignored; a missing key is a DataError,
   * null/undefined/'' a missing value) as rows × featureNames.length floats.
   */
  encodeObjects(where: string, rows: readonly unknown[], maxDeviation: number): Float32Array {
    const width = this.featureNames.length;
    const out = new Float32Array(rows.length * width);
    // An index loop, not forEach: forEach skips the holes of a sparse array ([a, , b]), which would stay rows of zeros.
    for (let r = 0; r < rows.length; r++) {
      const row: unknown = rows[r];
      if (!isRecord(row)) throw new ArgumentError(`${where}: rows[${r}] must be an object, got ${show(row)}`);
      this.columns.forEach((c, k) => {
        if (!Object.hasOwn(row, c.name)) {
          throw new DataError(
            `${where}: rows[${r}] has no key ${show(c.name)} (every row needs the features ${listNames(this.columns.map((col) => col.name))}; give null for a missing value)`,
            { column: c.name, rowIndex: r });
        }
        const raw = row[c.name];
        const v = c.type === 'numeric' ? toNumber(raw, this.naValues) : toCategory(raw, this.naValues);
        if (v === INVALID) {
          throw new DataError(
            `${where}: column ${show(c.name)}, rows[${r}]: expected ${c.type === 'numeric' ? 'a number' : 'a string, number or boolean'}, got ${show(raw)}`,
            { column: c.name, rowIndex: r, value: typeof raw === 'string' ? raw : show(raw) });
        }
        this.encode(where, k, v, out, r * width, maxDeviation, () => ({ place: `rows[${r}]`, rowIndex: r }));
      });
    }
    return out;
  }

  /**
   * maxDeviation for rows given already encoded (feature arrays, for a model
   * built from a Dataset): a standardized numeric feature beyond it is the
   * OutOfRangeError the same value given raw would be.
   */
  checkEncoded(where: string, features: Float32Array, rows: number, maxDeviation: number): void {
    if (maxDeviation === Infinity) return;
    const width = this.featureNames.length;
    this.columns.forEach((c, k) => {
      if (c.type !== 'numeric') return;
      const o = this.#offsets[k]!;
      // A constant column's one value, encoded: any other is refused.
      const only = c.constant === undefined ? undefined : Math.fround((c.constant - c.mean) / c.std);
      for (let r = 0; r < rows; r++) {
        const z = features[r * width + o]!;
        if (!(Math.abs(z) <= maxDeviation) || (only !== undefined && z !== only)) {
          const x = z * c.std + c.mean;
          throw new OutOfRangeError(where, `x row ${r}, feature ${o} (encoded: ${z})`, c, x, z, maxDeviation, { column: c.name, rowIndex: r, value: String(z) });
        }
      }
    });
  }

  /**
   * Writes column k's features of one row at out[base + offset…]. `v`: a number
   * (NaN: missing) or a category (null: missing). A numeric value more than
   * `maxDeviation` standard deviations from the column's mean is an
   * OutOfRangeError; one whose encoding leaves float32 a DataError; an unknown
   * category (without unknown: 'other') an UnknownCategoryError.
   */
  encode(where: string, k: number, v: number | string | null, out: Float32Array, base: number, maxDeviation: number, place: () => Place): void {
    const c = this.columns[k]!;
    let o = base + this.#offsets[k]!;
    const location = (value: string): DataErrorLocation => {
      const at = place();
      return at.line === undefined ? { column: c.name, rowIndex: at.rowIndex, value } : { column: c.name, rowIndex: at.rowIndex, value, line: at.line };
    };
    if (c.type === 'numeric') {
      const x = v as number;
      const missing = Number.isNaN(x);
      const z = ((missing ? c.fill : x) - c.mean) / c.std;
      const beyondFloat32 = !Number.isFinite(Math.fround(z));
      const other = c.constant !== undefined && x !== c.constant && maxDeviation !== Infinity;
      if (beyondFloat32 || (!missing && (Math.abs(z) > maxDeviation || other))) {
        const loc = location(String(missing ? c.fill : x));
        if (!beyondFloat32) throw new OutOfRangeError(where, place().place, c, x, z, maxDeviation, loc);
        // An encoded value beyond float32 is refused, not computed with as ±Infinity.
        throw new DataError(
          `${where}: column ${show(c.name)}, ${place().place}: ${missing ? `the fill value ${c.fill} of a missing value` : `the value ${x}`} is ` +
          `${Number.isFinite(z) ? `${z.toExponential(2)} standard deviations` : 'too far'} from the fitted mean ${c.mean} (std ${c.std}): ` +
          'beyond the float32 range (±3.4e38) the model computes in', loc);
      }
      out[o++] = z;
      if (c.indicator) out[o] = missing ? 1 : 0;
      return;
    }
    const n = c.categories.length;
    if (v === null) {
      if (c.indicator) out[o + n + (c.unknown === 'other' ? 1 : 0)] = 1;
      return;
    }
    const j = this.#categoryIndex[k]!.get(v as string);
    // An embedded column holds the identifier's table row (out is zeros: row 0, out of vocabulary, otherwise).
    const buckets = c.embed?.buckets ?? 1;
    if (j !== undefined) out[o + (c.embed ? 0 : j)] = c.embed ? j + buckets : 1;
    else if (c.unknown === 'other') {
      if (!c.embed) out[o + n] = 1;
      else if (buckets > 1) out[o] = identifierBucket(v as string, buckets);
    }
    else {
      throw new UnknownCategoryError(
        `${where}: column ${show(c.name)}, ${place().place}: unknown category ${show(v)} (known: ${listNames(c.categories)}); ` +
        "to send unseen categories to an extra feature, declare the column { type: 'categorical', unknown: 'other' }",
        location(String(v)), c.categories);
    }
  }
}

/** predict's options. */
export interface PredictOptions {
  /**
   * Refuse (OutOfRangeError, naming the column and row) a row with a numeric value
   * more than this many standard deviations from its column's training mean: the
   * model knows nothing there. A column that held one value in training refuses
   * any other (its standard deviation was 0). Models built from a Dataset only (their
   * preprocessing keeps each column's mean and standard deviation). Default: no limit.
   */
  maxDeviation?: number;
  /** Distribution tasks (gaussian, poisson, quantile): the level of the central interval, in (0, 1). Default 0.9. */
  level?: number;
}

/** Reads predict's options; returns maxDeviation (Infinity: no limit). `level` is read by the distribution tasks' decoding. */
export function predictOptions(where: string, options: unknown, hasStatistics: boolean): number {
  const opts = checkOptionsObject(where, options);
  checkKeys(where, opts, ['maxDeviation', 'level']);
  const limit = checkMaxDeviation(where, opts.maxDeviation);
  if (limit !== Infinity && !hasStatistics) {
    throw new ArgumentError(`${where}: maxDeviation needs a model built from a Dataset (its preprocessing keeps each numeric column's mean and standard deviation); this one was built from arrays`);
  }
  return limit;
}
