// The GEMM cases every runtime test computes, and the f64 reference they are
// checked against (tests/helpers/reference-core.js). Runtime-neutral on purpose
// (no Node APIs): the same file is bundled into the Cloudflare Worker, served to
// Chromium and imported by Node, so each runtime computes exactly the same inputs.

import { gemmRef, seededValues } from '../../helpers/reference-core.js';

export { seededValues };

/**
 * Each case: op(A) is M×K, op(B) is K×N; A and B are stored transposed when
 * transA / transB say so. `beta` set means gemm() into a C that starts as C0.
 */
function makeCases() {
  const spec = [
    // Both operands transposed, alpha ≠ 1: A is stored 13×7, B is stored 9×13.
    { name: '7x13 * 13x9, transposeA + transposeB, alpha -1.5', M: 7, K: 13, N: 9, transA: true, transB: true, alpha: -1.5, seed: 11 },
    // The fused epilogue: bias row added to every row, then ReLU.
    { name: '67x33 * 33x17 + bias, relu', M: 67, K: 33, N: 17, bias: true, relu: true, seed: 22 },
    // gemm() in place: C = 2·A·Bᵀ + 0.5·C0.
    { name: 'gemm 9x20 * (11x20)^T, alpha 2, beta 0.5', M: 9, K: 20, N: 11, transB: true, alpha: 2, beta: 0.5, seed: 33 },
  ];
  return spec.map((c) => ({
    transA: false, transB: false, alpha: 1, relu: false, ...c,
    A: seededValues(c.M * c.K, c.seed),
    B: seededValues(c.K * c.N, c.seed + 1),
    bias: c.bias ? seededValues(c.N, c.seed + 2) : undefined,
    C0: c.beta !== undefined ? seededValues(c.M * c.N, c.seed + 3) : undefined,
  }));
}

export const CASES = makeCases();

/**
 * Runs every case with a manytask module namespace (after `await init()`) and
 * returns JSON-safe results; `hex` holds the result's little-endian f32 bytes,
 * so a comparison across runtimes is bit for bit (-0, NaN payloads included).
 */
export function runCases(mt) {
  const { Matrix, matmul, gemm } = mt;
  return CASES.map((c) => {
    const a = Matrix.from(c.A, c.transA ? c.K : c.M, c.transA ? c.M : c.K);
    const b = Matrix.from(c.B, c.transB ? c.N : c.K, c.transB ? c.K : c.N);
    const bias = c.bias ? Matrix.from(c.bias, 1, c.N) : undefined;
    const options = { transposeA: c.transA, transposeB: c.transB, alpha: c.alpha };
    if (bias) options.bias = bias;
    if (c.relu) options.activation = 'relu';
    let out;
    if (c.beta !== undefined) {
      out = Matrix.from(c.C0, c.M, c.N);
      const returned = gemm(a, b, out, { ...options, beta: c.beta });
      if (returned !== out) throw new Error(`${c.name}: gemm() did not return its c argument`);
    } else {
      out = matmul(a, b, options);
    }
    const result = { name: c.name, rows: out.rows, cols: out.cols, hex: f32ToHex(out.toFloat32Array()) };
    for (const m of [a, b, bias, out]) m?.dispose();
    return result;
  });
}

/** The f64 reference of a case, and per element the scale of its rounding error (Σ|terms|). */
export function reference(c) {
  return gemmRef({ ...c, beta: c.beta ?? 0, relu: c.relu });
}

export function f32ToHex(f32) {
  const bytes = new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += bytes[i].toString(16).padStart(2, '0');
  return s;
}

export function hexToF32(hex) {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return new Float32Array(bytes.buffer);
}
