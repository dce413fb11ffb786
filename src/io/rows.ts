// Inputs for `manytask/infer`: raw rows encoded with a model file's saved
// preprocessing, or feature arrays, as MultiTaskModel.predict takes them —
// without the Dataset machinery. The encoding is Preprocessor.transform's for
// row objects (src/data/preprocessor.ts), computed the same way, so it gives the
// same floats: numeric (x − mean) / std (a missing x is the fill value, plus a
// `_missing` indicator where the column had one), categorical one-hot (an
// unseen category is an UnknownCategoryError, or `_other` where declared).

import { ArgumentError, ShapeError } from '../runtime/errors.js';
import { checkKeys, checkOptionsObject, show } from '../runtime/validate.js';
import { DataError, OutOfRangeError, UnknownCategoryError, checkMaxDeviation } from '../data/errors.js';
import { INVALID, listNames, toCategory, toNumber } from '../data/values.js';
import { ModelFormatError } from './format.js';

type Column =
  | { name: string; type: 'numeric'; mean: number; std: number; fill: number; indicator: boolean }
  | { name: string; type: 'categorical'; categories: string[]; index: Map<string, number>; other: boolean; indicator: boolean };

const where = 'predict';

/** The saved preprocessing of a model built from a Dataset. */
export class RowEncoder {
  readonly columns: readonly Column[];
  readonly width: number;
  readonly #na: string[];
  readonly #offsets: number[] = [];

  /** From the header's `preprocessor` (Preprocessor.toJSON()); ModelFormatError if it is not one. */
  constructor(json: unknown) {
    const bad = (what: string): never => { throw new ModelFormatError(`its preprocessing section is invalid (${what})`); };
    const j = json as { format?: unknown; version?: unknown; naValues?: unknown; columns?: unknown } | null;
    if (j?.format !== 'manytask.preprocessor' || j.version !== 1) bad('not a manytask.preprocessor, version 1');
    const strings = (v: unknown, nonEmpty: boolean): string[] =>
      Array.isArray(v) && v.every((s) => typeof s === 'string' && s !== '') && new Set(v).size === v.length && !(nonEmpty && v.length === 0)
        ? (v as string[]) : bad(`${show(v)} is not a list of distinct non-empty strings`);
    this.#na = strings(j!.naValues, false);
    if (!Array.isArray(j!.columns) || j!.columns.length === 0) bad('no columns');
    const finite = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : bad(`${show(v)} is not a finite number`));
    let width = 0;
    const names = new Set<string>();
    this.columns = (j!.columns as Record<string, unknown>[]).map((c) => {
      if (typeof c?.name !== 'string' || c.name === '' || names.has(c.name) || typeof c.indicator !== 'boolean') bad(`column ${show(c?.name)}`);
      const name = c.name as string, indicator = c.indicator as boolean;
      names.add(name);
      this.#offsets.push(width);
      if (c.type === 'numeric') {
        const std = finite(c.std);
        if (!(std > 0)) bad(`column ${show(name)}: std ${std}`);
        width += indicator ? 2 : 1;
        return { name, type: 'numeric', mean: finite(c.mean), std, fill: finite(c.fill), indicator };
      }
      if (c.type !== 'categorical' || (c.unknown !== 'error' && c.unknown !== 'other')) return bad(`column ${show(name)} has type ${show(c.type)}`);
      const categories = strings(c.categories, true), other = c.unknown === 'other';
      width += categories.length + (other ? 1 : 0) + (indicator ? 1 : 0);
      return { name, type: 'categorical', categories, index: new Map(categories.map((v, i) => [v, i])), other, indicator };
    });
    this.width = width;
  }

  /**
   * Encodes row objects (other keys ignored; a missing key is a DataError, null/undefined/'' a missing value);
   * a numeric value more than `maxDeviation` standard deviations from its column's mean is an OutOfRangeError.
   */
  encode(rows: readonly unknown[], maxDeviation = Infinity): Float32Array {
    const width = this.width;
    const out = new Float32Array(rows.length * width);
    rows.forEach((row, r) => {
      if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new ArgumentError(`${where}: rows[${r}] must be an object, got ${show(row)}`);
      this.columns.forEach((c, k) => {
        if (!Object.hasOwn(row, c.name)) {
          throw new DataError(`${where}: rows[${r}] has no key ${show(c.name)} (every row needs the features ${listNames(this.columns.map((col) => col.name))}; give null for a missing value)`,
            { column: c.name, rowIndex: r });
        }
        const raw = (row as Record<string, unknown>)[c.name];
        const v = c.type === 'numeric' ? toNumber(raw, this.#na) : toCategory(raw, this.#na);
        if (v === INVALID) {
          throw new DataError(`${where}: column ${show(c.name)}, rows[${r}]: expected ${c.type === 'numeric' ? 'a number' : 'a string, number or boolean'}, got ${show(raw)}`,
            { column: c.name, rowIndex: r, value: typeof raw === 'string' ? raw : show(raw) });
        }
        let o = r * width + this.#offsets[k]!;
        if (c.type === 'numeric') {
          const missing = Number.isNaN(v);
          const x = missing ? c.fill : (v as number);
          const z = (x - c.mean) / c.std;
          if (!missing && Math.abs(z) > maxDeviation && Number.isFinite(Math.fround(z))) {
            throw new OutOfRangeError(where, `rows[${r}]`, c, x, z, maxDeviation, { column: c.name, rowIndex: r, value: String(x) });
          }
          // As Preprocessor.transform: an encoded value beyond float32 is refused, not computed with as ±Infinity.
          if (!Number.isFinite(Math.fround(z))) {
            throw new DataError(
              `${where}: column ${show(c.name)}, rows[${r}]: ${missing ? `the fill value ${c.fill} of a missing value` : `the value ${x}`} is ` +
              `${Number.isFinite(z) ? `${z.toExponential(2)} standard deviations` : 'too far'} from the fitted mean ${c.mean} (std ${c.std}): ` +
              'beyond the float32 range (±3.4e38) the model computes in', { column: c.name, rowIndex: r, value: String(x) });
          }
          out[o++] = z;
          if (c.indicator) out[o] = missing ? 1 : 0;
          return;
        }
        const n = c.categories.length;
        if (v === null) {
          if (c.indicator) out[o + n + (c.other ? 1 : 0)] = 1;
          return;
        }
        const i = c.index.get(v as string);
        if (i !== undefined) out[o + i] = 1;
        else if (c.other) out[o + n] = 1;
        else {
          throw new UnknownCategoryError(`${where}: column ${show(c.name)}, rows[${r}]: unknown category ${show(v)} (known: ${listNames(c.categories)})`,
            { column: c.name, rowIndex: r, value: String(v) }, c.categories);
        }
      });
    });
    return out;
  }
}

/** predict's options. */
export interface PredictOptions {
  /**
   * Refuse (OutOfRangeError, naming the column and row) a row with a numeric value
   * more than this many standard deviations from its column's training mean: the
   * model knows nothing there. Models built from a Dataset only (their
   * preprocessing keeps each column's mean and standard deviation). Default: no limit.
   */
  maxDeviation?: number;
}

/** Reads predict's options; returns maxDeviation (Infinity: no limit). */
export function predictOptions(where: string, options: unknown, hasStatistics: boolean): number {
  const opts = checkOptionsObject(where, options);
  checkKeys(where, opts, ['maxDeviation']);
  const limit = checkMaxDeviation(where, opts.maxDeviation);
  if (limit !== Infinity && !hasStatistics) {
    throw new ArgumentError(`${where}: maxDeviation needs a model built from a Dataset (its preprocessing keeps each numeric column's mean and standard deviation); this one was built from arrays`);
  }
  return limit;
}
