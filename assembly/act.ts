// Activations and their gradients, side by side.
// The codes are shared with the fused GEMM epilogue (identity and ReLU) and
// mirrored in src/runtime/abi.ts.
//
// Contract: n ≥ 0 floats at each pointer; y may alias x (forward) and dx may
// alias dy (backward). `alpha` is the slope of leaky ReLU / the scale of ELU /
// the width γ of the smooth step, ignored by the others. Transcendentals use AssemblyScript's Mathf (software,
// identical in every runtime).

export const ACT_IDENTITY: i32 = 0;
export const ACT_RELU: i32 = 1;
export const ACT_LEAKY_RELU: i32 = 2;
export const ACT_ELU: i32 = 3;
export const ACT_GELU: i32 = 4; // tanh approximation (Hendrycks & Gimpel; PyTorch approximate='tanh')
export const ACT_SIGMOID: i32 = 5;
export const ACT_TANH: i32 = 6;
export const ACT_SOFTPLUS: i32 = 7;
// The cubic smooth step of DSelect-k (Hazimeh et al. 2021, eq. 4): 0 below −γ/2,
// 1 above γ/2, −2/γ³·x³ + 3/(2γ)·x + 1/2 between; γ = alpha.
export const ACT_SMOOTH_STEP: i32 = 8;

const GELU_C: f32 = 0.7978845608028654; // √(2/π)
const GELU_K: f32 = 0.044715;

// y = f(x)
export function actForward(kind: i32, n: i32, x: usize, y: usize, alpha: f32): void {
  let i = 0;
  if (kind == ACT_RELU || kind == ACT_LEAKY_RELU || kind == ACT_IDENTITY) {
    const zero = f32x4.splat(0), av = f32x4.splat(kind == ACT_LEAKY_RELU ? alpha : kind == ACT_RELU ? 0 : 1);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(x + o);
      v128.store(y + o, v128.bitselect(v, f32x4.mul(v, av), f32x4.gt(v, zero)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, forward1(kind, load<f32>(x + o), alpha));
  }
}

// dx = dy · f'(x), given x and y = f(x) (each activation reads what is cheapest).
export function actBackward(kind: i32, n: i32, x: usize, y: usize, dy: usize, dx: usize, alpha: f32): void {
  let i = 0;
  if (kind == ACT_RELU || kind == ACT_LEAKY_RELU || kind == ACT_IDENTITY) {
    const zero = f32x4.splat(0), av = f32x4.splat(kind == ACT_LEAKY_RELU ? alpha : kind == ACT_RELU ? 0 : 1);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const g = v128.load(dy + o);
      v128.store(dx + o, v128.bitselect(g, f32x4.mul(g, av), f32x4.gt(v128.load(x + o), zero)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(dy + o) * derivative1(kind, load<f32>(x + o), load<f32>(y + o), alpha));
  }
}

// @ts-ignore: decorator
@inline function sigmoid(x: f32): f32 {
  if (x >= 0) return 1 / (1 + Mathf.exp(-x));
  const e = Mathf.exp(x);
  return e / (1 + e);
}

function forward1(kind: i32, x: f32, alpha: f32): f32 {
  switch (kind) {
    case ACT_IDENTITY: return x;
    case ACT_RELU: return x > 0 ? x : 0;
    case ACT_LEAKY_RELU: return x > 0 ? x : alpha * x;
    case ACT_ELU: return x > 0 ? x : alpha * Mathf.expm1(x);
    case ACT_GELU: return 0.5 * x * (1 + Mathf.tanh(GELU_C * (x + GELU_K * x * x * x)));
    case ACT_SIGMOID: return sigmoid(x);
    case ACT_TANH: return Mathf.tanh(x);
    case ACT_SOFTPLUS: return max(x, 0) + Mathf.log1p(Mathf.exp(-abs(x)));
    case ACT_SMOOTH_STEP: {
      const h = alpha / 2;
      return x <= -h ? 0 : x >= h ? 1 : (-2 / (alpha * alpha * alpha)) * x * x * x + (3 / (2 * alpha)) * x + 0.5;
    }
    default: return unreachable();
  }
}

function derivative1(kind: i32, x: f32, y: f32, alpha: f32): f32 {
  switch (kind) {
    case ACT_IDENTITY: return 1;
    case ACT_RELU: return x > 0 ? 1 : 0;
    case ACT_LEAKY_RELU: return x > 0 ? 1 : alpha;
    case ACT_ELU: return x > 0 ? 1 : y + alpha;
    case ACT_GELU: {
      const t = Mathf.tanh(GELU_C * (x + GELU_K * x * x * x));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * GELU_K * x * x);
    }
    case ACT_SIGMOID: return y * (1 - y);
    case ACT_TANH: return 1 - y * y;
    case ACT_SOFTPLUS: return sigmoid(x);
    case ACT_SMOOTH_STEP: {
      const h = alpha / 2;
      return x <= -h || x >= h ? 0 : (-6 / (alpha * alpha * alpha)) * x * x + 3 / (2 * alpha);
    }
    default: return unreachable();
  }
}
