// Rows of numbers as users hand them over — an array of rows, a flat Float32Array or
// Float64Array, { data, rows, cols }, or a Matrix — read into one Float32Array,
// rows × cols, every value checked: a finite number that stays finite as the float32
// the kernels compute in. The one converter the model, `manytask/infer` and the
// clustering models read their inputs with. A Matrix is recognized by its methods,
// so this file imports no Matrix (the inference bundle reaches it).

import { ArgumentError, ShapeError } from '../runtime/errors.js';
import { show } from '../runtime/validate.js';

/** Inputs as arrays: rows × features. */
export type FeatureRows = readonly (readonly number[])[] | Float32Array | Float64Array | { readonly data: ArrayLike<number>; readonly rows: number; readonly cols: number } | MatrixLike;

/** The arrays and Matrices marked by encoded() (and a model's attack results): one set for manytask and manytask/infer. */
const ENCODED = new WeakSet<object>();

/**
 * Marks rows as already encoded: `model.featureNames.length` values per row, as a model
 * built from a Dataset reads them (numeric columns standardized, categories one-hot,
 * missing indicators) — what `Preprocessor.transform(rows).features` and `model.attack`
 * give. Such a model (and one loaded by manytask/infer from its file) refuses plain
 * arrays, typed arrays and Matrices that are not marked (`model.predict(encoded(x))`),
 * since numbers in the raw columns would be read as standardized ones. Returns `x`
 * itself; a model built from arrays reads either.
 */
export function encoded<T extends FeatureRows>(x: T): T {
  if (typeof x !== 'object' || x === null) throw new ArgumentError(`encoded: x must be an array of rows, a Float32Array, { data, rows, cols } or a Matrix, got ${show(x)}`);
  ENCODED.add(x);
  return x;
}

/** Whether a model built from a Dataset may read `x` as encoded rows: marked by encoded(), or no rows at all. */
export function isEncoded(x: unknown): boolean {
  return (typeof x === 'object' && x !== null && ENCODED.has(x)) || (Array.isArray(x) && x.length === 0);
}

/** What readRows needs of a Matrix. */
export interface MatrixLike {
  readonly rows: number;
  readonly cols: number;
  toFloat32Array(): Float32Array;
}

export interface Rows {
  /** rows × cols, row-major. */
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

const isMatrixLike = (x: object): x is MatrixLike => typeof (x as { toFloat32Array?: unknown }).toFloat32Array === 'function';

/** Where readRows puts the values, and whether it checks them. */
export interface ReadRowsOptions {
  /** The model's width, when it has one (a flat array needs it). */
  readonly cols?: number;
  /** What the error says the input may be. */
  readonly accepts?: string;
  /**
   * A Float32Array of rows × cols to write into (a view of WASM memory, say) instead
   * of a new one; it must not be re-derived while readRows runs.
   */
  readonly into?: (rows: number, cols: number) => Float32Array;
  /** false: the caller checks the values itself (with a kernel, on data too large to scan in JS). Default true. */
  readonly check?: boolean;
  /**
   * true: the caller only reads the rows, and is done with them before the input
   * can change (it copies them into WASM at once): a Float32Array given (flat or
   * as { data }) comes back as it is, checked but not copied. Not with `into`.
   */
  readonly borrow?: boolean;
}

/**
 * `values` (rows × width, row-major) as an array of rows of numbers, the form
 * predictions and `toArray()` hand back. A plain loop: `Array.from` on a subarray
 * per row costs about 15 times as much (16,384 rows of 5: 20 ms against 1.3 ms).
 */
export function rowArrays(values: ArrayLike<number>, rows: number, width: number): number[][] {
  const out: number[][] = new Array(rows);
  for (let i = 0, k = 0; i < rows; i++) {
    const row: number[] = new Array(width);
    for (let c = 0; c < width; c++) row[c] = values[k++]!;
    out[i] = row;
  }
  return out;
}

/**
 * Reads `x` as rows (`what` names it in errors: "x", "points"). Errors: ShapeError
 * for a shape that does not fit, ArgumentError for a value that is not a finite
 * float32 or an input of another type, each naming the row and column.
 */
export function readRows(where: string, what: string, x: unknown, options: ReadRowsOptions = {}): Rows {
  const { cols, accepts = 'an array of rows, a Float32Array, { data, rows, cols } or a Matrix' } = options;
  const alloc = (r: number, c: number): Float32Array => options.into?.(r, c) ?? new Float32Array(r * c);
  const checked = (rows: Rows, original?: ArrayLike<unknown> | ((i: number) => unknown)): Rows =>
    (options.check === false ? rows : checkRows(where, what, rows, original));
  const expected = cols === undefined ? '' : ` (the model was fitted on ${cols} features)`;
  const width = (c: number): number => {
    if (cols !== undefined && c !== cols) throw new ShapeError(`${where}: ${what} ${what.endsWith('s') ? 'have' : 'has'} ${c} columns, expected ${cols}${expected}`);
    return c;
  };
  if (x instanceof Float32Array || x instanceof Float64Array) {
    if (cols === undefined) throw new ArgumentError(`${where}: a flat ${what} needs its column count; give { data, rows, cols }`);
    if (x.length === 0 || x.length % cols !== 0) throw new ShapeError(`${where}: a flat ${what} must hold rows × ${cols} values, got ${x.length}`);
    if (options.borrow === true && x instanceof Float32Array) return checked({ data: x, rows: x.length / cols, cols });
    const data = alloc(x.length / cols, cols);
    data.set(x);
    return checked({ data, rows: x.length / cols, cols }, x);
  }
  if (Array.isArray(x)) {
    if (x.length === 0) throw new ShapeError(`${where}: ${what} has no rows`);
    const first: unknown = x[0];
    if (!Array.isArray(first)) throw new ArgumentError(`${where}: ${what} must be ${accepts}; row 0 is ${show(first)}`);
    const c = cols ?? first.length;
    if (c < 1) throw new ShapeError(`${where}: ${what} row 0 has no values; expected at least one feature`);
    const data = alloc(x.length, c);
    // An index loop, not forEach: forEach skips the holes of a sparse array ([a, , b]), which would stay rows of zeros.
    for (let i = 0; i < x.length; i++) {
      const row: unknown = x[i];
      if (!Array.isArray(row) || row.length !== c) {
        throw new ShapeError(`${where}: ${what} row ${i} has ${Array.isArray(row) ? `${row.length} values` : `the value ${show(row)}`}, expected ${c}${cols === undefined ? ' (as row 0)' : expected}`);
      }
      for (let j = 0; j < c; j++) {
        const v: unknown = row[j];
        if (typeof v !== 'number') throw badValue(where, what, i, j, v);
        data[i * c + j] = v;
      }
    }
    return checked({ data, rows: x.length, cols: c }, (i) => (x[Math.floor(i / c)] as number[])[i % c]);
  }
  if (typeof x === 'object' && x !== null && isMatrixLike(x)) {
    width(x.cols);
    const copy = x.toFloat32Array();
    const data = options.into ? options.into(x.rows, x.cols) : copy;
    if (data !== copy) data.set(copy);
    return checked({ data, rows: x.rows, cols: x.cols });
  }
  if (typeof x === 'object' && x !== null && 'data' in x) {
    const p = x as Record<string, unknown>;
    const data = p.data;
    if (!(data instanceof Float32Array) && !(data instanceof Float64Array) && !Array.isArray(data)) {
      throw new ArgumentError(`${where}: ${what}.data must be a Float32Array, a Float64Array or a number[], got ${show(data)}`);
    }
    for (const key of ['rows', 'cols'] as const) {
      const v = p[key];
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new ShapeError(`${where}: ${what}.${key} must be a positive integer, got ${show(v)}`);
    }
    const r = p.rows as number, c = width(p.cols as number);
    const values = data as ArrayLike<unknown>;
    if (values.length !== r * c) throw new ShapeError(`${where}: ${what}.data has ${values.length} values; ${r} rows × ${c} cols needs ${r * c}`);
    if (options.borrow === true && data instanceof Float32Array) return checked({ data, rows: r, cols: c });
    const out = alloc(r, c);
    if (Array.isArray(data)) {
      for (let i = 0; i < out.length; i++) {
        const v = values[i];
        if (typeof v !== 'number') throw badValue(where, what, Math.floor(i / c), i % c, v);
        out[i] = v;
      }
    } else {
      out.set(data); // a typed array holds numbers only; checked below as every input is
    }
    return checked({ data: out, rows: r, cols: c }, values);
  }
  throw new ArgumentError(`${where}: ${what} must be ${accepts}, got ${show(x)}`);
}

/**
 * Every value of the f32 copy finite: a NaN or ±Infinity given (or made by a
 * computed Matrix), and a finite f64 beyond the f32 range, are errors naming the
 * caller's value (`original`, by flat index, where there is one).
 */
export function checkRows(where: string, what: string, rows: Rows, original?: ArrayLike<unknown> | ((i: number) => unknown)): Rows {
  const { data, cols } = rows;
  for (let i = 0; i < data.length; i++) {
    if (data[i]! - data[i]! === 0) continue;
    const o = original === undefined ? data[i] : typeof original === 'function' ? original(i) : original[i];
    throw badValue(where, what, Math.floor(i / cols), i % cols, o);
  }
  return rows;
}

/** The error for a value that is not a finite float32: the caller's value, at its row and column. */
export function badValue(where: string, what: string, row: number, col: number, v: unknown): ArgumentError {
  if (typeof v === 'number' && Number.isFinite(v)) {
    return new ArgumentError(`${where}: ${what} row ${row}, column ${col} is ${v}, beyond the float32 range (±3.4e38) the model computes in`);
  }
  return new ArgumentError(`${where}: ${what} row ${row}, column ${col} is ${show(v)}; expected a finite number`);
}
