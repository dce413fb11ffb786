// Public linear-algebra operations on Matrix: validate, then dispatch to a kernel.

import { Act } from '../runtime/abi.js';
import { ArgumentError, ShapeError } from '../runtime/errors.js';
import { heapF32, runtime } from '../runtime/module.js';
import { checkBoolean, checkF32, checkKeys, checkOptionsObject, show } from '../runtime/validate.js';
import { Matrix } from './matrix.js';

export type GemmActivation = 'identity' | 'relu';

export interface MatmulOptions {
  /** Use Aᵀ (A is stored K×M). Default false. */
  transposeA?: boolean;
  /** Use Bᵀ (B is stored N×K). Default false. */
  transposeB?: boolean;
  /** Scales the product. Default 1. */
  alpha?: number;
  /** A 1×N row added to every row of the result (after alpha and beta). */
  bias?: Matrix;
  /** Applied last. Default 'identity'. */
  activation?: GemmActivation;
}

export interface GemmOptions extends MatmulOptions {
  /** Scales the old contents of C. Default 0: C is overwritten and never read. */
  beta?: number;
}

const MATMUL_KEYS = ['transposeA', 'transposeB', 'alpha', 'bias', 'activation'] as const;
const GEMM_KEYS = [...MATMUL_KEYS, 'beta'] as const;

/** op(A)·op(B) (scaled, with bias and activation if asked) as a new Matrix. */
export function matmul(a: Matrix, b: Matrix, options?: MatmulOptions): Matrix {
  const opts = checkOptionsObject('matmul', options);
  checkKeys('matmul', opts, MATMUL_KEYS);
  const { m, n } = productShape('matmul', a, b, opts);
  const c = Matrix.zeros(m, n);
  try {
    run('matmul', a, b, c, opts, 0);
  } catch (err) {
    c.dispose();
    throw err;
  }
  return c;
}

/** C = alpha·op(A)·op(B) + beta·C [+ bias] [then activation], in place; returns C. */
export function gemm(a: Matrix, b: Matrix, c: Matrix, options?: GemmOptions): Matrix {
  const opts = checkOptionsObject('gemm', options);
  checkKeys('gemm', opts, GEMM_KEYS);
  checkMatrix('gemm', 'c', c);
  const { m, n } = productShape('gemm', a, b, opts);
  if (c.rows !== m || c.cols !== n) {
    throw new ShapeError(`gemm: c must be ${m}×${n} to hold op(a)·op(b), got ${c.rows}×${c.cols}`);
  }
  if (c === a || c === b || c === opts.bias) {
    throw new ArgumentError('gemm: c must not be the same matrix as a, b or bias');
  }
  const beta = opts.beta === undefined ? 0 : checkF32('gemm', 'beta', opts.beta);
  run('gemm', a, b, c, opts, beta);
  return c;
}

function productShape(where: string, a: Matrix, b: Matrix, opts: Record<string, unknown>): { m: number; n: number; k: number } {
  checkMatrix(where, 'a', a);
  checkMatrix(where, 'b', b);
  const ta = opts.transposeA === undefined ? false : checkBoolean(where, 'transposeA', opts.transposeA);
  const tb = opts.transposeB === undefined ? false : checkBoolean(where, 'transposeB', opts.transposeB);
  const m = ta ? a.cols : a.rows;
  const k = ta ? a.rows : a.cols;
  const kb = tb ? b.cols : b.rows;
  const n = tb ? b.rows : b.cols;
  if (k !== kb) {
    throw new ShapeError(
      `${where}: inner dimensions differ: op(a) is ${m}×${k}${ta ? ' (a transposed)' : ''}, ` +
        `op(b) is ${kb}×${n}${tb ? ' (b transposed)' : ''}`,
    );
  }
  return { m, n, k };
}

function run(where: string, a: Matrix, b: Matrix, c: Matrix, opts: Record<string, unknown>, beta: number): void {
  const ta = opts.transposeA === true;
  const tb = opts.transposeB === true;
  const alpha = opts.alpha === undefined ? 1 : checkF32(where, 'alpha', opts.alpha);
  let biasPtr = 0;
  if (opts.bias !== undefined) {
    checkMatrix(where, 'bias', opts.bias);
    const bias = opts.bias as Matrix;
    if (bias.rows !== 1 || bias.cols !== c.cols) {
      throw new ShapeError(`${where}: bias must be 1×${c.cols}, got ${bias.rows}×${bias.cols}`);
    }
    biasPtr = bias.ptr;
  }
  let act: number = Act.identity;
  if (opts.activation !== undefined) {
    if (opts.activation !== 'identity' && opts.activation !== 'relu') {
      throw new ArgumentError(`${where}: activation must be "identity" or "relu", got ${show(opts.activation)}`);
    }
    act = Act[opts.activation];
  }
  const k = ta ? a.rows : a.cols;
  runtime(where).kernels.gemm(
    ta ? 1 : 0, tb ? 1 : 0, c.rows, c.cols, k,
    alpha, a.ptr, a.cols, b.ptr, b.cols,
    beta, c.ptr, c.cols, biasPtr, act,
  );
}

/** a + b, element-wise, into `out` (which may be a or b) or a new matrix. */
export function add(a: Matrix, b: Matrix, out?: Matrix): Matrix {
  const target = elementwiseTarget('add', a, b, out);
  runtime('add').kernels.add(a.size, a.ptr, b.ptr, target.ptr);
  return target;
}

/** a ⊙ b, element-wise, into `out` (which may be a or b) or a new matrix. */
export function mul(a: Matrix, b: Matrix, out?: Matrix): Matrix {
  const target = elementwiseTarget('mul', a, b, out);
  runtime('mul').kernels.mul(a.size, a.ptr, b.ptr, target.ptr);
  return target;
}

/** alpha·a into `out` (which may be a) or a new matrix. */
export function scale(a: Matrix, alpha: number, out?: Matrix): Matrix {
  checkMatrix('scale', 'a', a);
  checkF32('scale', 'alpha', alpha);
  if (out !== undefined) {
    checkMatrix('scale', 'out', out);
    checkSameShape('scale', 'out', a, out);
  }
  const target = out === undefined ? Matrix.zeros(a.rows, a.cols) : out;
  if (target !== a) heapF32().copyWithin(target.ptr >>> 2, a.ptr >>> 2, (a.ptr >>> 2) + a.size);
  runtime('scale').kernels.scale(a.size, alpha, target.ptr);
  return target;
}

/** y += alpha·x, in place (BLAS axpy); returns y. */
export function axpy(alpha: number, x: Matrix, y: Matrix): Matrix {
  checkF32('axpy', 'alpha', alpha);
  checkMatrix('axpy', 'x', x);
  checkMatrix('axpy', 'y', y);
  checkSameShape('axpy', 'y', x, y);
  runtime('axpy').kernels.axpy(x.size, alpha, x.ptr, y.ptr);
  return y;
}

// The reductions accumulate in float64 and return a JS number: a total beyond the
// float32 range (sumSquares of 1e30) is still exact to f64 rounding, not Infinity
// (PyTorch's float32 torch.sum would overflow to inf there).

/** Σ aᵢ·bᵢ over all elements, accumulated in float64. */
export function dot(a: Matrix, b: Matrix): number {
  checkMatrix('dot', 'a', a);
  checkMatrix('dot', 'b', b);
  checkSameShape('dot', 'b', a, b);
  return runtime('dot').kernels.dotF64(a.size, a.ptr, b.ptr);
}

/** Σ aᵢ over all elements, accumulated in float64. */
export function sum(a: Matrix): number {
  checkMatrix('sum', 'a', a);
  return runtime('sum').kernels.sumF64(a.size, a.ptr);
}

/** Σ aᵢ² over all elements, accumulated in float64. */
export function sumSquares(a: Matrix): number {
  checkMatrix('sumSquares', 'a', a);
  return runtime('sumSquares').kernels.sumSquaresF64(a.size, a.ptr);
}

function elementwiseTarget(where: string, a: Matrix, b: Matrix, out: Matrix | undefined): Matrix {
  checkMatrix(where, 'a', a);
  checkMatrix(where, 'b', b);
  checkSameShape(where, 'b', a, b);
  if (out === undefined) return Matrix.zeros(a.rows, a.cols);
  checkMatrix(where, 'out', out);
  checkSameShape(where, 'out', a, out);
  return out;
}

function checkSameShape(where: string, name: string, a: Matrix, other: Matrix): void {
  if (other.rows !== a.rows || other.cols !== a.cols) {
    throw new ShapeError(`${where}: ${name} must be ${a.rows}×${a.cols} like a, got ${other.rows}×${other.cols}`);
  }
}

function checkMatrix(where: string, name: string, m: unknown): asserts m is Matrix {
  if (!(m instanceof Matrix)) throw new ArgumentError(`${where}: ${name} must be a Matrix, got ${show(m)}`);
  void m.ptr; // throws DisposedError for a disposed matrix
}
