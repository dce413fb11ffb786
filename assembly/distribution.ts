// Distribution heads: from a task's raw outputs (logits) to the parameters of the
// distribution it predicts, the prediction step of the gaussian, poisson and
// quantile task kinds (src/mtl/kinds.ts). The loss kernels of assembly/loss.ts
// (lossGaussianNll, lossPoissonNll, lossPinball) take the same raw outputs and
// apply the same maps in f64, so training and prediction agree.
//
//   gaussian  [μ, r] → [μ, softplus(r) + minVariance]      cols = 2
//   poisson   [η]    → [exp(η)]                           cols = 1
//   quantile  [a₀ … a_{Q−1}] → q₀ = a₀, q_k = q_{k−1} + softplus(a_k)
//
// softplus(r) grows linearly, so a large residual cannot blow up the variance as
// exp(log-variance) would; the floor keeps 1/v (the NLL's gradient) bounded when
// a row is fit exactly. The cumulative softplus keeps the quantiles in order
// (never crossing) whatever the weights are.
//
// Contract: rows ≥ 1, cols as above; x and y are rows × cols f32 and may be the
// same buffer. Each value is computed in f64 from the f32 input with
// AssemblyScript's Math (software, the same bits in every runtime) and rounded to
// f32 when stored.

export const DIST_GAUSSIAN: i32 = 0;
export const DIST_POISSON: i32 = 1;
export const DIST_QUANTILE: i32 = 2;

/** softplus(x) = log(1 + eˣ), as max(x, 0) + log1p(e^−|x|): no overflow. */
// @ts-ignore: decorator
@inline export function softplus64(x: f64): f64 {
  return max<f64>(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** σ(x) = d softplus(x)/dx, without overflow. */
// @ts-ignore: decorator
@inline export function sigmoid64(x: f64): f64 {
  const e = Math.exp(-Math.abs(x));
  return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}

export function distributionForward(family: i32, rows: i32, cols: i32, x: usize, y: usize, minVariance: f64): void {
  const rowBytes = <usize>cols << 2;
  for (let i = 0; i < rows; i++) {
    const xr = x + <usize>i * rowBytes, yr = y + <usize>i * rowBytes;
    if (family == DIST_GAUSSIAN) {
      const mu = load<f32>(xr);
      const r = <f64>load<f32>(xr, 4);
      store<f32>(yr, mu);
      store<f32>(yr, <f32>(softplus64(r) + minVariance), 4);
    } else if (family == DIST_POISSON) {
      store<f32>(yr, <f32>Math.exp(<f64>load<f32>(xr)));
    } else {
      let q = <f64>load<f32>(xr);
      store<f32>(yr, <f32>q);
      for (let k = 1; k < cols; k++) {
        const o = <usize>k << 2;
        q += softplus64(<f64>load<f32>(xr + o));
        store<f32>(yr + o, <f32>q);
      }
    }
  }
}
