// Preprocessor: turns a Dataset's feature columns (or raw JS objects with those
// columns) into one row-major Float32Array for the model, with statistics taken
// only from the data it was fitted on.
//
// Per feature column, in the Dataset's feature order:
//
//  numeric  →  `<col>`: (x − mean) / std, where mean and std (population, ÷n)
//              are over the fit data's observed values; std = 1 when every
//              observed value is the same. A missing x is first replaced by the
//              column's fill value (raw units): the observed mean (missing:
//              'mean', the default), median ('median') or 0 ('zero').
//              `<col>_missing`: 1 if x was missing, else 0 — only for columns that
//              had at least one missing value in the fit data.
//  categorical → `<col>=<category>` for each category of the fit data (sorted as
//              classes are, src/data/values.ts): one-hot.
//              `<col>_other`: only with { unknown: 'other' }: 1 for a category
//              not seen in fitting (always 0 on the fit data). Without it, an
//              unseen category is an UnknownCategoryError naming the column, the
//              row, the value and the known categories.
//              `<col>_missing`: as for numeric columns; a missing value is all
//              zeros in the one-hot.
//
// Missing values that appear only at transform time (in a column that had none
// in the fit data) are imputed — numeric: the fill value; categorical: all
// zeros — and get no indicator: the features a model sees never change shape
// after fitting.
//
// toJSON() is plain data (numbers as JSON numbers, which round-trip exactly);
// Preprocessor.fromJSON(json) checks it and rebuilds the same Preprocessor.

import { ArgumentError, ShapeError } from '../runtime/errors.js';
import { checkKeys, checkOptionsObject, show } from '../runtime/validate.js';
import { Dataset, datasetInternals } from './dataset.js';
import { DataError, OutOfRangeError, UnknownCategoryError, checkMaxDeviation } from './errors.js';
import type { NumericImputation, UnknownCategory } from './spec.js';
import { INVALID, listNames, sortLabels, toCategory, toNumber } from './values.js';

export interface NumericColumnState {
  readonly name: string;
  readonly type: 'numeric';
  readonly missing: NumericImputation;
  /** Mean of the observed values of the fit data. */
  readonly mean: number;
  /** Their population standard deviation, or 1 if they are all equal. > 0. */
  readonly std: number;
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
}

export type PreprocessorColumnState = NumericColumnState | CategoricalColumnState;

/** What toJSON() returns and fromJSON() takes. */
export interface PreprocessorJSON {
  readonly format: 'manytask.preprocessor';
  readonly version: 1;
  /** Texts read as missing besides '' (from the fit Dataset's naValues). */
  readonly naValues: readonly string[];
  readonly columns: readonly PreprocessorColumnState[];
}

export interface TransformResult {
  /** rows × featureCount floats, row-major, in featureNames order. */
  readonly features: Float32Array;
  readonly rows: number;
}

/** A row to transform: an object with (at least) the feature columns; other keys are ignored. */
export type RawRow = Readonly<Record<string, unknown>>;

const FORMAT = 'manytask.preprocessor';

export class Preprocessor {
  readonly #columns: readonly PreprocessorColumnState[];
  readonly #naValues: readonly string[];
  readonly #featureNames: readonly string[];
  readonly #offsets: readonly number[];
  readonly #categoryIndex: readonly (ReadonlyMap<string, number> | null)[];

  private constructor(where: string, columns: readonly PreprocessorColumnState[], naValues: readonly string[]) {
    for (const c of columns) {
      if (c.type === 'categorical') Object.freeze(c.categories);
      Object.freeze(c);
    }
    this.#columns = Object.freeze([...columns]);
    this.#naValues = Object.freeze([...naValues]);
    const names: string[] = [];
    const offsets: number[] = [];
    for (const c of columns) {
      offsets.push(names.length);
      if (c.type === 'numeric') names.push(c.name);
      else {
        for (const cat of c.categories) names.push(`${c.name}=${cat}`);
        if (c.unknown === 'other') names.push(`${c.name}_other`);
      }
      if (c.indicator) names.push(`${c.name}_missing`);
    }
    const seen = new Set<string>();
    for (const name of names) {
      if (seen.has(name)) {
        throw new ArgumentError(`${where}: two encoded features would both be named ${JSON.stringify(name)}: rename one of the columns`);
      }
      seen.add(name);
    }
    this.#featureNames = Object.freeze(names);
    this.#offsets = offsets;
    this.#categoryIndex = columns.map((c) => (c.type === 'categorical' ? new Map(c.categories.map((cat, i) => [cat, i])) : null));
  }

  /** Learns every feature column's statistics (see the top of this file) from `data`. */
  static fit(data: Dataset): Preprocessor {
    const where = 'Preprocessor.fit';
    if (!(data instanceof Dataset)) throw new ArgumentError(`${where}: expected a Dataset, got ${show(data)}`);
    const p = datasetInternals(data);
    const columns: PreprocessorColumnState[] = [];
    for (const [name, col] of p.features) {
      if (col.spec.type === 'numeric') {
        const values = col.values as Float64Array;
        const observed = values.filter((v) => !Number.isNaN(v));
        if (observed.length === 0) {
          throw new DataError(`${where}: numeric column ${JSON.stringify(name)} has no values in the fit data (all ${p.rows} rows are missing)`, { column: name });
        }
        let sum = 0;
        let min = Infinity, max = -Infinity;
        for (const v of observed) { sum += v; if (v < min) min = v; if (v > max) max = v; }
        let mean = sum / observed.length;
        let squares = 0;
        for (const v of observed) squares += (v - mean) * (v - mean);
        let std = min === max ? 1 : Math.sqrt(squares / observed.length);
        if (!Number.isFinite(mean) || !Number.isFinite(std)) ({ mean, std } = scaledMoments(observed, Math.max(-min, max)));
        const missing = col.spec.missing;
        const fill = missing === 'mean' ? mean : missing === 'zero' ? 0 : median(observed);
        columns.push({ name, type: 'numeric', missing, mean, std, fill, indicator: observed.length < values.length });
      } else {
        const values = col.values as readonly (string | null)[];
        const present = values.filter((v): v is string => v !== null);
        if (present.length === 0) {
          throw new DataError(`${where}: categorical column ${JSON.stringify(name)} has no values in the fit data (all ${p.rows} rows are missing)`, { column: name });
        }
        columns.push({
          name, type: 'categorical', categories: sortLabels(new Set(present)), unknown: col.spec.unknown, indicator: present.length < values.length,
        });
      }
    }
    return new Preprocessor(where, columns, p.naValues);
  }

  /** Rebuilds a Preprocessor from toJSON() output (an object, or its JSON text). */
  static fromJSON(json: unknown): Preprocessor {
    const where = 'Preprocessor.fromJSON';
    let j = json;
    if (typeof j === 'string') {
      try { j = JSON.parse(j); } catch (e) {
        throw new ArgumentError(`${where}: the text is not JSON (${e instanceof Error ? e.message : String(e)})`);
      }
    }
    const o = object(where, 'the JSON', j, ['format', 'version', 'naValues', 'columns']);
    if (o.format !== FORMAT) throw new ArgumentError(`${where}: format must be ${JSON.stringify(FORMAT)}, got ${show(o.format)}`);
    if (o.version !== 1) throw new ArgumentError(`${where}: version must be 1 (the only version this manytask reads), got ${show(o.version)}`);
    const naValues = stringArray(where, 'naValues', o.naValues, false);
    if (!Array.isArray(o.columns) || o.columns.length === 0) {
      throw new ArgumentError(`${where}: columns must be a non-empty array, got ${show(o.columns)}`);
    }
    const names = new Set<string>();
    const columns = o.columns.map((raw: unknown, i): PreprocessorColumnState => {
      const at = `columns[${i}]`;
      const base = object(where, at, raw, null);
      if (typeof base.name !== 'string' || base.name === '') throw new ArgumentError(`${where}: ${at}.name must be a non-empty string, got ${show(base.name)}`);
      const name = base.name;
      if (names.has(name)) throw new ArgumentError(`${where}: ${at}.name ${JSON.stringify(name)} appears twice`);
      names.add(name);
      if (base.type === 'numeric') {
        const c = object(where, at, raw, ['name', 'type', 'missing', 'mean', 'std', 'fill', 'indicator']);
        if (c.missing !== 'mean' && c.missing !== 'median' && c.missing !== 'zero') {
          throw new ArgumentError(`${where}: ${at}.missing must be "mean", "median" or "zero", got ${show(c.missing)}`);
        }
        const std = finite(where, `${at}.std`, c.std);
        if (!(std > 0)) throw new ArgumentError(`${where}: ${at}.std must be > 0, got ${show(c.std)}`);
        return {
          name, type: 'numeric', missing: c.missing, mean: finite(where, `${at}.mean`, c.mean), std,
          fill: finite(where, `${at}.fill`, c.fill), indicator: bool(where, `${at}.indicator`, c.indicator),
        };
      }
      if (base.type === 'categorical') {
        const c = object(where, at, raw, ['name', 'type', 'categories', 'unknown', 'indicator']);
        if (c.unknown !== 'error' && c.unknown !== 'other') {
          throw new ArgumentError(`${where}: ${at}.unknown must be "error" or "other", got ${show(c.unknown)}`);
        }
        return {
          name, type: 'categorical', categories: stringArray(where, `${at}.categories`, c.categories, true),
          unknown: c.unknown, indicator: bool(where, `${at}.indicator`, c.indicator),
        };
      }
      throw new ArgumentError(`${where}: ${at}.type must be "numeric" or "categorical", got ${show(base.type)}`);
    });
    return new Preprocessor(where, columns, naValues);
  }

  /** Names of the encoded features, in order (e.g. `bill_length_mm`, `bill_length_mm_missing`, `island=Biscoe`). */
  get featureNames(): readonly string[] { return this.#featureNames; }

  /** Floats per transformed row. */
  get featureCount(): number { return this.#featureNames.length; }

  /** The raw feature columns transform() reads, in order. */
  get inputColumns(): readonly string[] { return this.#columns.map((c) => c.name); }

  /** The fitted state of each column (a copy, as in toJSON().columns). */
  get columns(): readonly PreprocessorColumnState[] { return this.toJSON().columns; }

  /**
   * Encodes a Dataset with the fitted feature columns, or an array of plain
   * objects holding them (as `model.predict(rows)` gets: other keys are ignored;
   * a missing key is an error, null/undefined/'' a missing value). With
   * `maxDeviation`, a numeric value more than that many standard deviations from
   * its column's fitted mean is an OutOfRangeError naming the column and row.
   */
  transform(data: Dataset | readonly RawRow[], options?: { maxDeviation?: number }): TransformResult {
    const where = 'Preprocessor.transform';
    const opts = checkOptionsObject(where, options);
    checkKeys(where, opts, ['maxDeviation']);
    const maxDeviation = checkMaxDeviation(where, opts.maxDeviation);
    const width = this.#featureNames.length;
    if (data instanceof Dataset) {
      const p = datasetInternals(data);
      const out = new Float32Array(p.rows * width);
      const locate = (r: number): string => (p.lines === null ? `row ${r + 1}` : `row ${r + 1} (line ${p.lines[r]})`);
      this.#columns.forEach((c, k) => {
        const col = p.features.get(c.name);
        if (col === undefined) {
          throw new ArgumentError(`${where}: the Dataset has no feature ${JSON.stringify(c.name)} (its features: ${listNames(data.featureNames)})`);
        }
        if (col.spec.type !== c.type) {
          throw new ArgumentError(`${where}: feature ${JSON.stringify(c.name)} is ${col.spec.type} in the Dataset but was fitted as ${c.type}`);
        }
        for (let r = 0; r < p.rows; r++) {
          this.#encode(where, k, col.values[r]!, out, r * width, maxDeviation, () => ({ place: locate(r), rowIndex: r, line: p.lines?.[r] }));
        }
      });
      return { features: out, rows: p.rows };
    }
    if (!Array.isArray(data)) throw new ArgumentError(`${where}: expected a Dataset or an array of row objects, got ${show(data)}`);
    const rows = data as readonly unknown[];
    if (rows.length === 0) throw new ShapeError(`${where}: no rows`);
    const out = new Float32Array(rows.length * width);
    rows.forEach((row, r) => {
      if (typeof row !== 'object' || row === null || Array.isArray(row)) {
        throw new ArgumentError(`${where}: rows[${r}] must be an object, got ${show(row)}`);
      }
      this.#columns.forEach((c, k) => {
        if (!Object.hasOwn(row, c.name)) {
          throw new DataError(
            `${where}: rows[${r}] has no key ${JSON.stringify(c.name)} (every row needs the features ${listNames(this.inputColumns)}; give null for a missing value)`,
            { column: c.name, rowIndex: r });
        }
        const raw = (row as RawRow)[c.name];
        const v = c.type === 'numeric' ? toNumber(raw, this.#naValues) : toCategory(raw, this.#naValues);
        if (v === INVALID) {
          throw new DataError(
            `${where}: column ${JSON.stringify(c.name)}, rows[${r}]: expected ${c.type === 'numeric' ? 'a number' : 'a string, number or boolean'}, got ${show(raw)}`,
            { column: c.name, rowIndex: r, value: typeof raw === 'string' ? raw : show(raw) });
        }
        this.#encode(where, k, v, out, r * width, maxDeviation, () => ({ place: `rows[${r}]`, rowIndex: r, line: undefined }));
      });
    });
    return { features: out, rows: rows.length };
  }

  /** Plain data for a model file; Preprocessor.fromJSON(p.toJSON()) is the same Preprocessor. */
  toJSON(): PreprocessorJSON {
    return {
      format: FORMAT,
      version: 1,
      naValues: [...this.#naValues],
      columns: this.#columns.map((c) => (c.type === 'numeric' ? { ...c } : { ...c, categories: [...c.categories] })),
    };
  }

  /** Writes column k's features of one row at out[base + offset…]. `v`: number (NaN = missing) or category (null = missing). */
  #encode(
    where: string, k: number, v: number | string | null, out: Float32Array, base: number, maxDeviation: number,
    place: () => { place: string; rowIndex: number; line: number | undefined },
  ): void {
    const c = this.#columns[k]!;
    let o = base + this.#offsets[k]!;
    if (c.type === 'numeric') {
      const x = v as number;
      const missing = Number.isNaN(x);
      const z = ((missing ? c.fill : x) - c.mean) / c.std;
      const beyondFloat32 = !Number.isFinite(Math.fround(z));
      if (beyondFloat32 || (!missing && Math.abs(z) > maxDeviation)) {
        const at = place();
        const loc: { column: string; rowIndex: number; value: string; line?: number } = { column: c.name, rowIndex: at.rowIndex, value: String(missing ? c.fill : x) };
        if (at.line !== undefined) loc.line = at.line;
        if (!beyondFloat32) throw new OutOfRangeError(where, at.place, c, x, z, maxDeviation, loc);
        throw new DataError(
          `${where}: column ${JSON.stringify(c.name)}, ${at.place}: ${missing ? `the fill value ${c.fill} of a missing value` : `the value ${x}`} is ` +
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
    if (j !== undefined) {
      out[o + j] = 1;
    } else if (c.unknown === 'other') {
      out[o + n] = 1;
    } else {
      const at = place();
      const loc: { column: string; rowIndex: number; value: string; line?: number } = { column: c.name, rowIndex: at.rowIndex, value: String(v) };
      if (at.line !== undefined) loc.line = at.line;
      throw new UnknownCategoryError(
        `${where}: column ${JSON.stringify(c.name)}, ${at.place}: unknown category ${show(v)} (known: ${listNames(c.categories)}); ` +
        `to send unseen categories to an extra feature, declare the column { type: 'categorical', unknown: 'other' }`,
        loc, c.categories);
    }
  }
}

/**
 * Mean and population std of values whose sum or squares overflow f64 (|v| up to
 * 1.8e308): computed on v / scale, scale = max |v|, then scaled back.
 */
function scaledMoments(values: Float64Array, scale: number): { mean: number; std: number } {
  let sum = 0;
  for (const v of values) sum += v / scale;
  const m = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v / scale - m) * (v / scale - m);
  const std = Math.sqrt(squares / values.length) * scale;
  return { mean: m * scale, std: std > 0 && Number.isFinite(std) ? std : 1 };
}

function median(values: Float64Array): number {
  const s = values.slice().sort(); // typed arrays sort numerically
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function object(where: string, what: string, value: unknown, keys: readonly string[] | null): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ArgumentError(`${where}: ${what} must be an object, got ${show(value)}`);
  }
  if (keys !== null) {
    for (const k of Object.keys(value)) {
      if (!keys.includes(k)) throw new ArgumentError(`${where}: ${what} has an unknown key ${JSON.stringify(k)} (known: ${keys.join(', ')})`);
    }
    for (const k of keys) {
      if (!(k in value)) throw new ArgumentError(`${where}: ${what} lacks ${JSON.stringify(k)}`);
    }
  }
  return value as Record<string, unknown>;
}

function finite(where: string, what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ArgumentError(`${where}: ${what} must be a finite number, got ${show(value)}`);
  return value;
}

function bool(where: string, what: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ArgumentError(`${where}: ${what} must be true or false, got ${show(value)}`);
  return value;
}

function stringArray(where: string, what: string, value: unknown, nonEmpty: boolean): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '') || (nonEmpty && value.length === 0)) {
    throw new ArgumentError(`${where}: ${what} must be ${nonEmpty ? 'a non-empty' : 'an'} array of non-empty strings, got ${show(value)}`);
  }
  if (new Set(value).size !== value.length) throw new ArgumentError(`${where}: ${what} has a value twice`);
  return [...(value as string[])];
}
