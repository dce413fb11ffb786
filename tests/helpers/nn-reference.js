// f64 references for the layers, and a central-difference gradient checker.

export const ACTIVATIONS = {
  identity: { f: (x) => x },
  relu: { f: (x) => (x > 0 ? x : 0) },
  leakyRelu: { f: (x, a) => (x > 0 ? x : a * x) },
  elu: { f: (x, a) => (x > 0 ? x : a * Math.expm1(x)) },
  gelu: { f: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))) },
  sigmoid: { f: (x) => 1 / (1 + Math.exp(-x)) },
  tanh: { f: (x) => Math.tanh(x) },
  softplus: { f: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))) },
};

/** y = f(x·W + b), x rows × m, W m × n, b n (or null), f a function of one number. */
export function affineRef(x, rows, m, W, b, n, f) {
  const y = new Float64Array(rows * n);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < n; j++) {
      let s = b ? b[j] : 0;
      for (let k = 0; k < m; k++) s += x[i * m + k] * W[k * n + j];
      y[i * n + j] = f(s);
    }
  }
  return y;
}

/** y = act(x·W + b) with the activation named `act` (alpha: its parameter). */
export function denseRef(x, rows, m, W, b, n, act, alpha) {
  return affineRef(x, rows, m, W, b, n, (s) => ACTIVATIONS[act].f(s, alpha));
}

export function layerNormRef(x, rows, n, gamma, beta, eps) {
  const y = new Float64Array(rows * n);
  for (let i = 0; i < rows; i++) {
    let mu = 0;
    for (let j = 0; j < n; j++) mu += x[i * n + j];
    mu /= n;
    let v = 0;
    for (let j = 0; j < n; j++) v += (x[i * n + j] - mu) ** 2;
    v /= n;
    const rs = 1 / Math.sqrt(v + eps);
    for (let j = 0; j < n; j++) y[i * n + j] = gamma[j] * (x[i * n + j] - mu) * rs + beta[j];
  }
  return y;
}

/** An independent xoshiro128** with splitmix32 seeding, as assembly/rng.ts documents it. */
export class XoshiroRef {
  constructor(seed, stream) {
    let x = (seed ^ Math.imul(stream, 0x9e3779b9)) >>> 0;
    this.s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      z = (z ^ (z >>> 16)) >>> 0;
      this.s[i] = z;
    }
  }
  next() {
    const s = this.s;
    const rotl = (v, k) => ((v << k) | (v >>> (32 - k))) >>> 0;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = rotl(s[3], 11);
    return result;
  }
}
