// Plain f64 references for the kernels and the seeded values every test draws,
// runtime-neutral (no imports, no Node APIs): tests/runtimes/helpers/ bundles
// this file into the Worker and serves it to Chromium, so every runtime computes
// from the same inputs. tests/helpers/reference.js adds the comparison helper.

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
