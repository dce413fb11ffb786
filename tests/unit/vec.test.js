// Vector kernels against f64 references, at lengths below, at and above the
// 4-wide SIMD step and the 8-wide unrolled reductions, with odd remainders.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, Matrix, add, mul, scale, axpy, dot, sum, sumSquares } from '../../dist/index.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import { runtime, heapF32 } from '../../dist/internal.js';

before(async () => { await init(); });

const LENGTHS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 127, 129, 1000, 4099];
// Element-wise ops round once per element: a few ulps.
const ELEMENTWISE = { atol: 0, rtol: 2 ** -23 };
// Reductions: relative to Σ|terms|; far above f32 summation error, far below a lost term.
const REDUCTION = { atol: 1e-7, rtol: 1e-5 };

function pair(n, seed) {
  const x = seededValues(n, seed), y = seededValues(n, seed + 1);
  return { x, y, mx: Matrix.from(x, 1, n), my: Matrix.from(y, 1, n) };
}

test('add and mul, into a new matrix and in place', () => {
  for (const n of LENGTHS) {
    const { x, y, mx, my } = pair(n, n);
    assertClose(add(mx, my).toFloat32Array(), x.map((v, i) => v + y[i]), { ...ELEMENTWISE, label: `add n=${n}` });
    assertClose(mul(mx, my).toFloat32Array(), x.map((v, i) => v * y[i]), { ...ELEMENTWISE, label: `mul n=${n}` });
    mul(mx, my, mx);
    assertClose(mx.toFloat32Array(), x.map((v, i) => v * y[i]), { ...ELEMENTWISE, label: `mul in place n=${n}` });
  }
});

test('scale and axpy', () => {
  for (const n of LENGTHS) {
    const { x, y, mx, my } = pair(n, 3 * n);
    assertClose(scale(mx, -2.5).toFloat32Array(), x.map((v) => -2.5 * v), { ...ELEMENTWISE, label: `scale n=${n}` });
    assert.deepEqual(mx.toFloat32Array(), x, 'scale without out leaves its input alone');
    scale(mx, 0.5, mx);
    assertClose(mx.toFloat32Array(), x.map((v) => 0.5 * v), { ...ELEMENTWISE, label: `scale in place n=${n}` });
    axpy(0.75, mx, my);
    assertClose(my.toFloat32Array(), y.map((v, i) => v + 0.75 * (0.5 * x[i])), { atol: 1e-7, rtol: 2 ** -22, label: `axpy n=${n}` });
  }
});

test('dot, sum and sumSquares', () => {
  for (const n of LENGTHS) {
    const { x, y, mx, my } = pair(n, 7 * n);
    let d = 0, dAbs = 0, s = 0, sAbs = 0, q = 0;
    for (let i = 0; i < n; i++) {
      d += x[i] * y[i]; dAbs += Math.abs(x[i] * y[i]);
      s += x[i]; sAbs += Math.abs(x[i]);
      q += x[i] * x[i];
    }
    assertClose([dot(mx, my)], [d], { ...REDUCTION, scale: [dAbs], label: `dot n=${n}` });
    assertClose([sum(mx)], [s], { ...REDUCTION, scale: [sAbs], label: `sum n=${n}` });
    assertClose([sumSquares(mx)], [q], { ...REDUCTION, scale: [q], label: `sumSquares n=${n}` });
  }
});

test('reductions are deterministic: the same input gives the same bits', () => {
  const { mx, my } = pair(1001, 42);
  const first = [dot(mx, my), sum(mx), sumSquares(my)];
  for (let r = 0; r < 5; r++) assert.deepEqual([dot(mx, my), sum(mx), sumSquares(my)], first);
});

test('fillZero zeroes exactly n floats, NaN and infinities included, and leaves their neighbours alone', () => {
  const { kernels, allocator } = runtime('test');
  for (const n of [0, ...LENGTHS]) {
    const p = allocator.alloc((n + 2) * 4);
    try {
      const want = Float32Array.from(seededValues(n + 2, 7 * n + 1));
      want[1] = NaN;
      want[Math.min(2, n)] = -Infinity;
      heapF32().set(want, p >>> 2);
      kernels.fillZero(n, p + 4);
      want.fill(0, 1, n + 1);
      assert.deepEqual(heapF32().slice(p >>> 2, (p >>> 2) + n + 2), want, `n=${n}`);
    } finally {
      allocator.free(p);
    }
  }
});

test('dot, sum and sumSquares accumulate in float64: the f64 sum of the f32 terms, also beyond the float32 range', () => {
  // Products of two f32 are exact in f64: the kernels' only error is f64 rounding of the partial sums.
  const F64 = { atol: 0, rtol: 1e-13 };
  for (const n of LENGTHS) {
    const { x, y, mx, my } = pair(n, 11 * n);
    let d = 0, dAbs = 0, s = 0, sAbs = 0, q = 0;
    for (let i = 0; i < n; i++) {
      d += x[i] * y[i]; dAbs += Math.abs(x[i] * y[i]);
      s += x[i]; sAbs += Math.abs(x[i]);
      q += x[i] * x[i];
    }
    assertClose([dot(mx, my)], [d], { ...F64, scale: [dAbs], label: `dot n=${n}` });
    assertClose([sum(mx)], [s], { ...F64, scale: [sAbs], label: `sum n=${n}` });
    assertClose([sumSquares(mx)], [q], { ...F64, scale: [q], label: `sumSquares n=${n}` });
    // Scaled by 1e30 (each value still a float32), the squares and products go far beyond float32.
    const big = Matrix.from(x.map((v) => v * 1e30), 1, n);
    const bx = big.toFloat32Array();
    let bq = 0, bs = 0, bsAbs = 0;
    for (let i = 0; i < n; i++) { bq += bx[i] * bx[i]; bs += bx[i]; bsAbs += Math.abs(bx[i]); }
    assertClose([sumSquares(big)], [bq], { ...F64, scale: [bq], label: `sumSquares ×1e30 n=${n}` });
    assertClose([dot(big, big)], [bq], { ...F64, scale: [bq], label: `dot ×1e30 n=${n}` });
    assertClose([sum(big)], [bs], { ...F64, scale: [bsAbs], label: `sum ×1e30 n=${n}` });
    assert.ok(Number.isFinite(sumSquares(big)) && sumSquares(big) > 3.5e38, `n=${n}: beyond float32 and finite`);
    for (const m of [mx, my, big]) m.dispose();
  }
  const m = Matrix.from([[3e38, 3e38]]), e = Matrix.from([[1e30]]), h = Matrix.from([[1e20, -1e20, 1e20]]);
  assert.equal(sum(m), 2 * Math.fround(3e38));
  assert.equal(sumSquares(e), Math.fround(1e30) ** 2);
  assert.equal(dot(h, h), 3 * Math.fround(1e20) ** 2);
  for (const x of [m, e, h]) x.dispose();
});
