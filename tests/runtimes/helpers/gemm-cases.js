// The GEMM cases every runtime test computes, and the f64 reference they are
// checked against. Runtime-neutral on purpose (no Node APIs, no imports): the
// same file is bundled into the Cloudflare Worker, served to Chromium and
// imported by Node, so each runtime computes exactly the same inputs.

/** Deterministic f32 values in [-1, 1) (mulberry32). */
export function seededF32(n, seed) {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = u * 2 - 1;
  }
  return out;
}

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
    A: seededF32(c.M * c.K, c.seed),
    B: seededF32(c.K * c.N, c.seed + 1),
    bias: c.bias ? seededF32(c.N, c.seed + 2) : undefined,
    C0: c.beta !== undefined ? seededF32(c.M * c.N, c.seed + 3) : undefined,
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
  const { M, N, K, A, B, transA, transB, alpha, beta, C0, bias, relu } = c;
  const C = new Float64Array(M * N);
  const scale = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      let abs = 0;
      for (let k = 0; k < K; k++) {
        const p = (transA ? A[k * M + i] : A[i * K + k]) * (transB ? B[j * K + k] : B[k * N + j]);
        s += p;
        abs += Math.abs(p);
      }
      let v = alpha * s;
      let sc = Math.abs(alpha) * abs;
      if (beta !== undefined) { v += beta * C0[i * N + j]; sc += Math.abs(beta * C0[i * N + j]); }
      if (bias) { v += bias[j]; sc += Math.abs(bias[j]); }
      if (relu) v = Math.max(v, 0);
      C[i * N + j] = v;
      scale[i * N + j] = sc;
    }
  }
  return { C, scale };
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
