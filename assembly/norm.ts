// Layer normalization over the cols of each row, forward and backward.
// y = γ ⊙ (x − μ)·rstd + β, with μ, rstd = 1/√(σ² + ε) per row (biased variance,
// as PyTorch and Keras). The forward saves μ and rstd per row for the backward.
//
// Contract: x, y, dy, dx are rows × cols contiguous; gamma, beta, dGamma, dBeta
// hold cols floats; mean and rstd hold rows floats. y may alias x; dx may alias dy.
// dGamma and dBeta are overwritten (not accumulated).

export function layerNormForward(
  rows: i32, cols: i32, x: usize, gamma: usize, beta: usize, eps: f32,
  y: usize, mean: usize, rstd: usize,
): void {
  const inv: f64 = 1.0 / <f64>cols;
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * cols) << 2), yr = y + (<usize>(r * cols) << 2);
    let s: f64 = 0;
    for (let j = 0; j < cols; j++) s += <f64>load<f32>(xr + (<usize>j << 2));
    const mu = s * inv;
    let q: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const d = <f64>load<f32>(xr + (<usize>j << 2)) - mu;
      q += d * d;
    }
    const rs = <f32>(1.0 / Math.sqrt(q * inv + <f64>eps));
    const muf = <f32>mu;
    store<f32>(mean + (<usize>r << 2), muf);
    store<f32>(rstd + (<usize>r << 2), rs);
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 2;
      store<f32>(yr + o, (load<f32>(xr + o) - muf) * rs * load<f32>(gamma + o) + load<f32>(beta + o));
    }
  }
}

// Needs the forward's *input* x (not y, which may have overwritten it when aliased).
export function layerNormBackward(
  rows: i32, cols: i32, x: usize, gamma: usize, mean: usize, rstd: usize,
  dy: usize, dx: usize, dGamma: usize, dBeta: usize,
): void {
  for (let j = 0; j < cols; j++) {
    store<f32>(dGamma + (<usize>j << 2), 0);
    store<f32>(dBeta + (<usize>j << 2), 0);
  }
  const inv: f32 = 1 / <f32>cols;
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * cols) << 2), dyr = dy + (<usize>(r * cols) << 2), dxr = dx + (<usize>(r * cols) << 2);
    const mu = load<f32>(mean + (<usize>r << 2)), rs = load<f32>(rstd + (<usize>r << 2));
    // dx̂ = dy ⊙ γ;  dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ ⊙ x̂))
    let sumG: f32 = 0, sumGX: f32 = 0;
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 2;
      const g = load<f32>(dyr + o);
      const xh = (load<f32>(xr + o) - mu) * rs;
      store<f32>(dGamma + o, load<f32>(dGamma + o) + g * xh);
      store<f32>(dBeta + o, load<f32>(dBeta + o) + g);
      const gh = g * load<f32>(gamma + o);
      sumG += gh;
      sumGX += gh * xh;
    }
    const mG = sumG * inv, mGX = sumGX * inv;
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 2;
      const xh = (load<f32>(xr + o) - mu) * rs;
      store<f32>(dxr + o, rs * (load<f32>(dyr + o) * load<f32>(gamma + o) - mG - xh * mGX));
    }
  }
}
