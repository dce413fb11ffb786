// GEMM against the f64 reference: every transpose, shapes below/at/above the
// 5×8 register tile, the 256-deep K block, the 512-wide N block and the packing
// thresholds, plus alpha/beta and the bias/ReLU epilogue.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, Matrix, matmul, gemm } from '../../dist/index.js';
import { heapF32 } from '../../dist/internal.js';
import { gemmRef, assertClose, seededValues } from '../helpers/reference.js';

before(async () => { await init(); });

// rtol is relative to Σ|a·b| per element: f32 accumulation of K terms stays far
// below it, while losing a single term of a K ≤ 10⁵ sum exceeds it.
const TOL = { atol: 1e-7, rtol: 1e-5 };
const TRANSPOSES = [[false, false], [false, true], [true, false], [true, true]];

function runCase({ M, N, K, transA, transB, alpha, beta, withBias, relu, seed }) {
  const A = seededValues(M * K, seed);
  const B = seededValues(K * N, seed + 1);
  const C0 = beta === undefined ? undefined : seededValues(M * N, seed + 2);
  const bias = withBias ? seededValues(N, seed + 3) : undefined;
  const a = Matrix.from(A, transA ? K : M, transA ? M : K);
  const b = Matrix.from(B, transB ? N : K, transB ? K : N);
  const biasM = bias && Matrix.from(bias, 1, N);
  const options = { transposeA: transA, transposeB: transB };
  if (alpha !== undefined) options.alpha = alpha;
  if (biasM) options.bias = biasM;
  if (relu) options.activation = 'relu';
  let c;
  if (C0) {
    c = Matrix.from(C0, M, N);
    gemm(a, b, c, { ...options, beta });
  } else {
    c = matmul(a, b, options);
  }
  const got = c.toFloat32Array();
  const { C, scale } = gemmRef({ M, N, K, A, B, transA, transB, alpha, beta: beta ?? 0, C0, bias, relu });
  const label = `M=${M} N=${N} K=${K} tA=${transA} tB=${transB} alpha=${alpha} beta=${beta} bias=${!!withBias} relu=${!!relu}`;
  assertClose(got, C, { ...TOL, scale, label });
  for (const m of [a, b, c, biasM]) m?.dispose();
}

const Ms = [1, 2, 3, 4, 5, 6, 11, 15, 16, 17, 129];
const Ns = [1, 2, 3, 5, 6, 7, 8, 9, 16, 17, 129];
const Ks = [1, 2, 3, 255, 256, 257, 127, 513];

test('every transpose over shapes below, at and above the tile and the K block', () => {
  let seed = 1;
  for (let i = 0; i < Ms.length; i++) {
    for (let j = 0; j < Ns.length; j++) {
      const K = Ks[(i + j) % Ks.length];
      for (const [transA, transB] of TRANSPOSES) runCase({ M: Ms[i], N: Ns[j], K, transA, transB, seed: seed++ });
    }
  }
});

test('large shapes: N block edges (511, 512, 513, 1030), long transposed A (packed strips), odd sizes', () => {
  const shapes = [
    [127, 129, 257], [129, 127, 255], [257, 9, 129],
    [20, 511, 40], [20, 512, 40], [23, 513, 300], [7, 1030, 3],
    [1030, 9, 300], [1100, 17, 5], [1027, 5, 600], [128, 5, 1024], [130, 6, 257],
  ];
  let seed = 1000;
  for (const [M, N, K] of shapes) {
    for (const [transA, transB] of TRANSPOSES) runCase({ M, N, K, transA, transB, seed: seed++ });
  }
});

test('alpha, beta and the fused bias + ReLU epilogue (applied once, after the last K block)', () => {
  let seed = 5000;
  for (const [M, N, K] of [[1, 1, 1], [5, 8, 4], [6, 9, 300], [17, 33, 513], [64, 40, 256], [13, 5, 300], [8, 6, 513], [21, 2, 9], [2, 57, 40], [3, 24, 7]]) {
    for (const [transA, transB] of TRANSPOSES) {
      for (const alpha of [1, -0.5]) {
        for (const beta of [undefined, 0, 1, 0.25]) {
          for (const [withBias, relu] of [[false, false], [true, false], [false, true], [true, true]]) {
            runCase({ M, N, K, transA, transB, alpha, beta, withBias, relu, seed: seed++ });
          }
        }
      }
    }
  }
});

test('one to three rows (the row kernel) give the bits the 4×8 tiles give the same rows, over every K block', () => {
  // manytask/infer's module has only the tiles: a prediction of one row must not
  // depend on which module runs it. Rows 0..M−1 of an 8-row product go through
  // the tiles; the same rows alone through the row kernel.
  let seed = 900;
  for (const K of [1, 7, 256, 257, 600, 1030]) {
    for (const N of [1, 7, 8, 24, 33, 520]) {
      for (const M of [1, 2, 3]) {
        const A = seededValues(8 * K, seed), B = seededValues(K * N, seed + 1);
        const C0 = seededValues(8 * N, seed + 2), bias = seededValues(N, seed + 3);
        seed += 4;
        const b = Matrix.from(B, K, N), biasM = Matrix.from(bias, 1, N);
        const run = (rows) => {
          const a = Matrix.from(A.subarray(0, rows * K), rows, K), c = Matrix.from(C0.subarray(0, rows * N), rows, N);
          gemm(a, b, c, { alpha: -0.5, beta: 0.25, bias: biasM, activation: 'relu' });
          const out = c.toFloat32Array();
          a.dispose(); c.dispose();
          return out;
        };
        const tiles = run(8).subarray(0, M * N), row = run(M);
        assert.deepEqual(new Uint32Array(row.buffer, row.byteOffset, M * N), new Uint32Array(tiles.slice().buffer), `M=${M} N=${N} K=${K}`);
        b.dispose(); biasM.dispose();
      }
    }
  }
});

test('Aᵀ·op(B) with N ≤ 6 (narrow kernel): every column grouping, 16/8/4-row tiles and their remainders, B in place and packed', () => {
  // Rows: 16-row tiles (w ≤ 2), then 8, then 4, then M % 4 through the general
  // path. K: a transposed B is packed per 256-deep block (257 and 600 cross
  // blocks), a plain B is read in place over all of K.
  const Ms = [4, 8, 12, 16, 20, 24, 28, 32, 44, 13, 18, 31, 131];
  const Ks = [1, 5, 256, 257, 600];
  const epilogues = [
    {}, { alpha: -0.5 }, { beta: 0 }, { beta: 0.25 }, { withBias: true },
    { relu: true }, { alpha: 2, beta: 1, withBias: true, relu: true },
  ];
  let seed = 9000;
  for (let N = 1; N <= 6; N++) {
    for (let i = 0; i < Ms.length; i++) {
      const K = Ks[(i + N) % Ks.length];
      for (const transB of [false, true]) {
        const e = epilogues[seed % epilogues.length];
        runCase({ M: Ms[i], N, K, transA: true, transB, ...e, seed: seed++ });
      }
    }
  }
});

test('beta = 0 never reads C: NaN already in C does not leak into the result', () => {
  for (const [M, N, K] of [[3, 5, 2], [10, 16, 300], [7, 9, 3]]) {
    for (const [transA, transB] of TRANSPOSES) {
      const a = Matrix.from(seededValues(M * K, 1), transA ? K : M, transA ? M : K);
      const b = Matrix.from(seededValues(K * N, 2), transB ? N : K, transB ? K : N);
      const c = Matrix.zeros(M, N);
      // Matrix.from refuses non-finite values, so poison C behind the API's back.
      heapF32().fill(NaN, c.ptr >>> 2, (c.ptr >>> 2) + M * N);
      gemm(a, b, c, { beta: 0, transposeA: transA, transposeB: transB });
      assert.ok(c.toFloat32Array().every(Number.isFinite), `M=${M} N=${N} K=${K} tA=${transA} tB=${transB}`);
      for (const m of [a, b, c]) m.dispose();
    }
  }
});

test('matmul of number[][] inputs returns the product as rows', () => {
  const a = Matrix.from([[1, 2], [3, 4], [5, 6]]);
  const b = Matrix.from([[1, 0, -1], [2, 1, 0]]);
  assert.deepEqual(matmul(a, b).toArray(), [[5, 2, -1], [11, 4, -3], [17, 6, -5]]);
  assert.deepEqual(matmul(a, a, { transposeA: true }).toArray(), [[35, 44], [44, 56]]);
  assert.deepEqual(matmul(b, b, { transposeB: true }).toArray(), [[2, 2], [2, 5]]);
});
