// Plain f64 references for the kernels, and the one comparison helper every
// kernel test uses. Written for clarity, not speed: they define the semantics.
import assert from 'node:assert/strict';

/**
 * C = alpha·op(A)·op(B) + beta·C0 (+ bias) (then ReLU), in f64.
 * Returns the result and, per element, Σ|alpha·a·b| + |beta·c0| + |bias|:
 * the scale a rounding error is proportional to.
 */
export function gemmRef({ M, N, K, A, B, transA = false, transB = false, alpha = 1, beta = 0, C0, bias, relu = false }) {
  const C = new Float64Array(M * N);
  const scale = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0, abs = 0;
      for (let k = 0; k < K; k++) {
        const a = transA ? A[k * M + i] : A[i * K + k];
        const b = transB ? B[j * K + k] : B[k * N + j];
        s += a * b;
        abs += Math.abs(a * b);
      }
      let v = alpha * s;
      let sc = Math.abs(alpha) * abs;
      if (beta !== 0) { v += beta * C0[i * N + j]; sc += Math.abs(beta * C0[i * N + j]); }
      if (bias) { v += bias[j]; sc += Math.abs(bias[j]); }
      if (relu) v = Math.max(v, 0);
      C[i * N + j] = v;
      scale[i * N + j] = sc;
    }
  }
  return { C, scale };
}

/**
 * Asserts |actual − expected| ≤ atol + rtol·scale element-wise, where scale is
 * |expected| unless given (for sums, pass Σ|terms|). Reports the worst element.
 */
export function assertClose(actual, expected, { atol, rtol, scale, label = '' }) {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let worst = -1, worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    const tol = atol + rtol * (scale ? scale[i] : Math.abs(e));
    const err = Math.abs(a - e);
    if (!(err <= tol)) {
      const excess = Number.isNaN(err) ? Infinity : err / tol;
      if (worst < 0 || excess > worstExcess) { worst = i; worstExcess = excess; }
    }
  }
  if (worst >= 0) {
    const tol = atol + rtol * (scale ? scale[worst] : Math.abs(expected[worst]));
    assert.fail(`${label}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} ± ${tol.toExponential(2)}`);
  }
}

/** Deterministic values in [-1, 1) (a small LCG: tests must not depend on Math.random). */
export function seededValues(n, seed) {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

// f32 unit roundoff: the tolerances below are small multiples of it.
export const F32_EPS = 2 ** -24;
