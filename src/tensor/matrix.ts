// A row-major f32 matrix whose data lives in WASM linear memory.

import { heapF32 } from '../runtime/module.js';
import { ArgumentError, DisposedError, ShapeError } from '../runtime/errors.js';
import { disposeSymbol, Holding } from '../runtime/holdings.js';
import { checkDim, isF32Finite, show } from '../runtime/validate.js';
import { rowArrays } from './rows.js';

/** A flat array (with rows and cols), or an array of rows, each a number[] or a typed array. */
export type MatrixData = Float32Array | Float64Array | readonly number[] | readonly (readonly number[] | Float32Array | Float64Array)[];

export class Matrix {
  readonly rows: number;
  readonly cols: number;
  #ptr: number;
  readonly #memory: Holding;

  private constructor(rows: number, cols: number) {
    this.rows = rows;
    this.cols = cols;
    this.#memory = new Holding('Matrix');
    this.#ptr = this.#memory.alloc(this, rows * cols * 4, `a ${rows}×${cols} Matrix`);
  }

  /** A rows × cols matrix of zeros. */
  static zeros(rows: number, cols: number): Matrix {
    checkDim('Matrix.zeros', 'rows', rows);
    checkDim('Matrix.zeros', 'cols', cols);
    const m = new Matrix(rows, cols);
    heapF32().fill(0, m.#ptr >>> 2, (m.#ptr >>> 2) + rows * cols);
    return m;
  }

  /**
   * Copies `data` into a new matrix. A flat array or typed array needs `rows`
   * and `cols` (row-major); an array of rows (number[] or typed arrays, as
   * torch.tensor takes a list of rows) gives its own shape (pass rows/cols to
   * check it). Every value must be finite.
   */
  static from(data: MatrixData, rows?: number, cols?: number): Matrix {
    const where = 'Matrix.from';
    if (!Array.isArray(data) && !(data instanceof Float32Array) && !(data instanceof Float64Array)) {
      throw new ArgumentError(`${where}: data must be a Float32Array, a number[] or a number[][], got ${show(data)}`);
    }
    const nested = Array.isArray(data) && data.length > 0 && isRow(data[0]);
    if (nested) {
      const rowsData = data as readonly ArrayLike<number>[];
      const r = rows ?? rowsData.length;
      const c = cols ?? rowsData[0]!.length;
      checkDim(where, 'rows', r);
      checkDim(where, 'cols', c);
      if (rowsData.length !== r) throw new ShapeError(`${where}: expected ${r} rows, got ${rowsData.length}`);
      const m = new Matrix(r, c);
      const heap = heapF32();
      for (let i = 0; i < r; i++) {
        const row = rowsData[i];
        if (!isRow(row) || row.length !== c) {
          m.dispose();
          throw new ShapeError(`${where}: row ${i} has ${isRow(row) ? row.length : show(row)} values, expected ${c}`);
        }
        const at = (m.#ptr >>> 2) + i * c;
        for (let j = 0; j < c; j++) {
          const v = row[j];
          if (!isF32Finite(v)) {
            m.dispose();
            throw badValue(where, i, j, v);
          }
          heap[at + j] = v;
        }
      }
      return m;
    }
    const flat = data as Float32Array | Float64Array | readonly number[];
    if (rows === undefined || cols === undefined) {
      throw new ShapeError(`${where}: a flat array of ${flat.length} values needs rows and cols`);
    }
    checkDim(where, 'rows', rows);
    checkDim(where, 'cols', cols);
    if (flat.length !== rows * cols) {
      throw new ShapeError(`${where}: ${rows}×${cols} needs ${rows * cols} values, got ${flat.length}`);
    }
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      if (!isF32Finite(v)) throw badValue(where, Math.floor(i / cols), i % cols, v);
    }
    const m = new Matrix(rows, cols);
    heapF32().set(flat, m.#ptr >>> 2);
    return m;
  }

  /** Number of elements. */
  get size(): number {
    return this.rows * this.cols;
  }

  get isDisposed(): boolean {
    return this.#ptr === 0;
  }

  /** @internal Byte offset of the data in linear memory. */
  get ptr(): number {
    if (this.#ptr === 0) throw new DisposedError(`a ${this.rows}×${this.cols} Matrix`);
    return this.#ptr;
  }

  /** A copy of the data, row-major. */
  toFloat32Array(): Float32Array {
    const at = this.ptr >>> 2;
    return heapF32().slice(at, at + this.size);
  }

  /** A copy of the data as an array of rows. */
  toArray(): number[][] {
    return rowArrays(this.toFloat32Array(), this.rows, this.cols);
  }

  /**
   * Returns the memory now. Disposing twice is harmless; any other use afterwards
   * throws. A matrix never disposed gives its memory back once it is garbage
   * collected (see memory()), but WASM memory does not make the collector run.
   */
  dispose(): void {
    if (this.#ptr === 0) return;
    this.#memory.release();
    this.#ptr = 0;
  }

  /** dispose(), for `using m = Matrix.from(…)`. */
  [disposeSymbol](): void {
    this.dispose();
  }
}

/** A row of an array of rows: a number[] or a typed array. */
function isRow(x: unknown): x is ArrayLike<number> {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
}

/** A value Matrix.from cannot store: not a finite number, or beyond the float32 range (it would become ±Infinity). */
function badValue(where: string, row: number, col: number, v: unknown): ArgumentError {
  if (typeof v === 'number' && Number.isFinite(v)) {
    return new ArgumentError(`${where}: value at row ${row}, column ${col} is ${v}, beyond the float32 range (±3.4e38) a Matrix holds`);
  }
  return new ArgumentError(`${where}: value at row ${row}, column ${col} is ${show(v)}; expected a finite number`);
}
