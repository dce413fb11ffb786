// The element-wise gradient-combining kernels (assembly/combine.ts) against plain
// references (tests/helpers/weighting-reference.js), at widths below, at and above
// the 4-wide SIMD step with odd remainders, for one to five tasks and one to three rows.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init } from '../../dist/index.js';
import { runtime, heapF32 } from '../../dist/internal.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import { accumulateSquaresRef, gradDropRef, trimmedMeanRef } from '../helpers/weighting-reference.js';

before(async () => { await init(); });

const WIDTHS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33];

/** Copies Float32Arrays into fresh blocks of the module's memory; returns their pointers and a release function. */
function place(...arrays) {
  const { allocator } = runtime('test');
  const ptrs = arrays.map((a) => {
    const p = allocator.alloc(Math.max(a.length, 1) * 4);
    heapF32().set(a, p >>> 2);
    return p;
  });
  return { ptrs, release: () => ptrs.forEach((p) => allocator.free(p)) };
}

function table(pointers) {
  const { allocator } = runtime('test');
  const p = allocator.alloc(Math.max(pointers.length, 1) * 4);
  new Int32Array(heapF32().buffer, p, pointers.length).set(pointers);
  return p;
}

const read = (ptr, n) => heapF32().slice(ptr >>> 2, (ptr >>> 2) + n);

test('gradDropCombine: factors and the combined gradient as the reference, with and without the sign of Z', () => {
  const k = runtime('test').kernels;
  let seed = 1;
  for (const tasks of [1, 2, 3, 5]) {
    for (const rows of [1, 2, 3]) {
      for (const width of WIDTHS) {
        for (const [useZ, leak] of [[true, 0], [false, 0], [true, 0.25]]) {
          const grads = Array.from({ length: tasks }, () => seededValues(rows * width, seed++));
          const z = useZ ? seededValues(rows * width, seed++).map((v, i) => (i % 7 === 3 ? 0 : v)) : null; // some exact zeros
          const uniforms = seededValues(width, seed++).map((v) => (v + 1) / 2);
          const { ptrs, release } = place(...grads, uniforms, new Float32Array(tasks * width), new Float32Array(rows * width), ...(z ? [z] : []));
          const gp = ptrs.slice(0, tasks), [up, fp, op, zp = 0] = ptrs.slice(tasks);
          const tp = table(gp);
          k.gradDropCombine(tasks, rows, width, tp, zp, up, leak, fp, op);
          const ref = gradDropRef(grads, rows, width, z, uniforms, leak);
          const label = `tasks ${tasks}, rows ${rows}, width ${width}, z ${useZ}, leak ${leak}`;
          const factors = read(fp, tasks * width);
          ref.factors.forEach((fr, t) => assert.deepEqual(Array.from(factors.subarray(t * width, (t + 1) * width)), Array.from(fr), `${label}: factors of task ${t}`));
          const scale = new Float64Array(rows * width).map((_, i) => grads.reduce((s, g) => s + Math.abs(g[i]), 0));
          assertClose(read(op, rows * width), ref.out, { atol: 1e-7, rtol: 2e-7, scale, label });
          runtime('test').allocator.free(tp);
          release();
        }
      }
    }
  }
});

test('gradDropCombine: a hand case — pure signs always win, a split column keeps one side', () => {
  const k = runtime('test').kernels;
  // One row, three columns: column 0 all positive (P ≈ 1), column 1 all negative (P ≈ 0), column 2 split 3 : −1.
  const g1 = Float32Array.of(1, -2, 3), g2 = Float32Array.of(0.5, -1, -1);
  for (const [u2, kept] of [[0.5, [1, 0]], [0.9, [0, 1]]]) {
    const { ptrs, release } = place(g1, g2, Float32Array.of(0.3, 0.7, u2), new Float32Array(6), new Float32Array(3));
    const tp = table(ptrs.slice(0, 2));
    k.gradDropCombine(2, 1, 3, tp, 0, ptrs[2], 0, ptrs[3], ptrs[4]);
    // Column 2: s = [3, −1], Σ = 2, Σ|·| = 4: P = ½(1 + 2/4) = 0.75 (less a hair for the 1e-7): U = 0.5 keeps the
    // positive side, U = 0.9 the negative.
    const expected = [1.5, -3, kept[0] * 3 + kept[1] * -1];
    assertClose(read(ptrs[4], 3), expected, { atol: 0, rtol: 0, label: `U₂ = ${u2}` });
    runtime('test').allocator.free(tp);
    release();
  }
});

test('trimmedMean: the sorted middle values averaged, at every width, for 1 to 6 tasks and each possible trim', () => {
  const k = runtime('test').kernels;
  let seed = 100;
  for (const tasks of [1, 2, 3, 4, 5, 6]) {
    for (let trim = 0; 2 * trim < tasks; trim++) {
      for (const n of [...WIDTHS, 1001]) {
        const grads = Array.from({ length: tasks }, () => seededValues(n, seed++));
        if (tasks > 1) grads[1] = grads[1].map((v, i) => (i % 5 === 0 ? grads[0][i] : v)); // ties
        const { ptrs, release } = place(...grads, new Float32Array(tasks * 4), new Float32Array(n));
        const tp = table(ptrs.slice(0, tasks));
        k.trimmedMean(tasks, n, tp, trim, ptrs[tasks], ptrs[tasks + 1]);
        const scale = new Float64Array(n).map((_, i) => grads.reduce((s, g) => s + Math.abs(g[i]), 0) / (tasks - 2 * trim));
        assertClose(read(ptrs[tasks + 1], n), trimmedMeanRef(grads, n, trim), { atol: 0, rtol: 5e-7, scale, label: `tasks ${tasks}, trim ${trim}, n ${n}` });
        runtime('test').allocator.free(tp);
        release();
      }
    }
  }
  // By hand: the median of three, and the mean of the middle two of four.
  const { ptrs, release } = place(Float32Array.of(5, -1), Float32Array.of(1, 7), Float32Array.of(3, 2), Float32Array.of(100, -50), new Float32Array(16), new Float32Array(2));
  const t3 = table(ptrs.slice(0, 3)), t4 = table(ptrs.slice(0, 4));
  k.trimmedMean(3, 2, t3, 1, ptrs[4], ptrs[5]);
  assert.deepEqual(Array.from(read(ptrs[5], 2)), [3, 2]);
  k.trimmedMean(4, 2, t4, 1, ptrs[4], ptrs[5]);
  assert.deepEqual(Array.from(read(ptrs[5], 2)), [4, 0.5]);
  [t3, t4].forEach((p) => runtime('test').allocator.free(p));
  release();
});

test('accumulateSquares: h += g², and Σ g²/√(h + 1e-7) with the new h', () => {
  const k = runtime('test').kernels;
  for (const n of [...WIDTHS, 1000, 4099]) {
    const g = seededValues(n, 7 * n), h = seededValues(n, 7 * n + 1).map((v) => v * v);
    const { ptrs, release } = place(g, h);
    const score = k.accumulateSquares(n, ptrs[0], ptrs[1]);
    const ref = accumulateSquaresRef(g, h);
    assertClose(read(ptrs[1], n), ref.h, { atol: 0, rtol: 2 ** -23, label: `h, n ${n}` });
    assertClose([score], [ref.score], { atol: 0, rtol: 1e-6, label: `score, n ${n}` });
    release();
  }
  // By hand: g = (3, 4), h = (0, 9): h → (9, 25); 9/√9 + 16/√25 = 3 + 3.2 (up to the 1e-7).
  const { ptrs, release } = place(Float32Array.of(3, 4), Float32Array.of(0, 9));
  assertClose([k.accumulateSquares(2, ptrs[0], ptrs[1])], [6.2], { atol: 0, rtol: 1e-7, label: 'hand' });
  assert.deepEqual(Array.from(read(ptrs[1], 2)), [9, 25]);
  release();
});
