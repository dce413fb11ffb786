// Loss kernels: the reduced loss and its gradient w.r.t. the logits (or, for
// MSE and Huber, the predictions) in one call.
//
// Shared ABI (every kernel; the TypeScript caller, src/nn/loss.ts, checks the
// contract and the kernels trust it):
//   rows, cols ≥ 1. z and grad are rows × cols f32, contiguous row-major.
//   Targets are either rows × cols f32 ("dense", row-major) or one i32 class
//   index per row ("index"), as each kernel says.
//   mask         0 (every row labeled) or `rows` bytes: row i is labeled iff mask[i] ≠ 0.
//   weights      0 (all 1) or `rows` f32 sample weights.
//   classWeights 0 (all 1) or what the kernel says (2 floats or cols floats).
//   grad         written for every element, 0 in unlabeled rows. It may be z
//                itself (the gradient replaces the logits in place: every
//                kernel reads what it needs of an element or row before writing
//                it) but must not otherwise overlap z, the targets, mask,
//                weights or classWeights.
//   gradScale    the gradient written is gradScale · ∂(returned loss)/∂z (the
//                multi-task trainer passes the task weight). The returned loss
//                is not scaled.
//   reduction    0 = mean, 1 = sum.
//   Pointers are byte offsets; z, targets, weights and grad are 4-byte aligned.
//
// For a labeled row: z, targets, its weight and the class weights it uses are
// finite, weights ≥ 0, class indices in [0, cols), dense targets in [0, 1] where
// a kernel says so. Nothing of an unlabeled row is read (its z, target and
// weight may be anything, NaN included), so it contributes nothing.
//
// Reduction. With rowLoss_i the kernel's per-row loss and c_i the row's weight
// (sample weight, times the class weight of its true class where that applies):
//   sum  = Σ_{labeled i} c_i · rowLoss_i
//   mean = sum / n,  n = the number of labeled rows — not Σ c_i, so a batch with
//          few labels is not up- or down-weighted by accident.
// If no row is labeled the kernel returns 0 and writes a zero gradient.
//
// Numerics. Each element is computed in f64 from the f32 inputs with
// AssemblyScript's Math (a software libm inside this module: the same bits in
// every runtime). Logs and exps only ever see stable arguments: softplus as
// max(x, 0) + log1p(exp(−|x|)), σ and 1 − σ as separate quotients, softmax
// through the row maximum with log Σ = log1p(Σ_{j≠argmax} e_j). Each row's
// loss is a sum of non-negative terms (no cancellation when the loss is tiny).
// The loss is accumulated in f64 in a fixed order (row by row; within a row
// left to right, or two f64x2 lanes then the tail for MSE/Huber), so the
// result is deterministic. Gradients are rounded to f32 when stored (softmax
// and dice also park one f32 per element in grad between passes).
// SIMD: MSE and Huber are pure arithmetic and run 4 elements per step in two
// f64x2 halves; the others are dominated by the scalar exp/log1p calls.

// @ts-ignore: decorator
@inline const REDUCE_MEAN: i32 = 0;

/**
 * Binary / multilabel cross-entropy on logits.
 * y: rows × cols f32 targets in [0, 1] (soft targets allowed).
 * classWeights: 0 or 2 floats [w0, w1]; element weight (1 − y)·w0 + y·w1.
 * rowLoss = mean over cols of weight · (−y·log σ(z) − (1 − y)·log(1 − σ(z))).
 */
export function lossBce(
  rows: i32, cols: i32, z: usize, y: usize, mask: usize, weights: usize, classWeights: usize,
  grad: usize, gradScale: f64, reduction: i32,
): f64 {
  const n = countLabeled(rows, mask);
  if (n == 0) return zeroGradient(rows, cols, grad);
  const denom: f64 = reduction == REDUCE_MEAN ? <f64>n : 1.0;
  const w0: f64 = classWeights ? <f64>load<f32>(classWeights) : 1.0;
  const w1: f64 = classWeights ? <f64>load<f32>(classWeights, 4) : 1.0;
  const gradBase = gradScale / (denom * <f64>cols);
  const rowBytes = <usize>cols << 2;
  let total: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const off = <usize>i * rowBytes;
    if (!isLabeled(mask, i)) { memory.fill(grad + off, 0, rowBytes); continue; }
    const w = rowWeight(weights, i);
    const coef = gradBase * w;
    let s: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const o = off + (<usize>j << 2);
      const x = <f64>load<f32>(z + o);
      const t = <f64>load<f32>(y + o);
      const ew = classWeights ? (1 - t) * w0 + t * w1 : 1.0;
      const e = Math.exp(-Math.abs(x));
      const l = Math.log1p(e);
      const inv = 1 / (1 + e);
      const p = x >= 0 ? inv : e * inv;   // σ(x)
      const q = x >= 0 ? e * inv : inv;   // 1 − σ(x) = σ(−x)
      // t·softplus(−x) + (1 − t)·softplus(x): every term ≥ 0.
      s += ew * (l + t * max<f64>(-x, 0) + (1 - t) * max<f64>(x, 0));
      // σ(x) − t, as (1 − t)·σ(x) − t·σ(−x): exact-ish for hard targets.
      store<f32>(grad + o, <f32>(coef * ew * ((1 - t) * p - t * q)));
    }
    total += w * (s / <f64>cols);
  }
  return total / denom;
}

/**
 * Softmax cross-entropy over cols classes with temperature T and label smoothing ε.
 * labels: rows i32 class indices. classWeights: 0 or cols floats; a row is
 * weighted by the weight of its true class. temperature > 0, ε ∈ [0, 1].
 * p = softmax(z / T), q = (1 − ε)·onehot + ε/cols, rowLoss = −Σ q·log p,
 * ∂rowLoss/∂z = (p − q)/T.
 */
export function lossSoftmaxCrossEntropy(
  rows: i32, cols: i32, z: usize, labels: usize, mask: usize, weights: usize, classWeights: usize,
  temperature: f64, labelSmoothing: f64, grad: usize, gradScale: f64, reduction: i32,
): f64 {
  const n = countLabeled(rows, mask);
  if (n == 0) return zeroGradient(rows, cols, grad);
  const denom: f64 = reduction == REDUCE_MEAN ? <f64>n : 1.0;
  const invT = 1 / temperature;
  const offTarget = labelSmoothing / <f64>cols;      // q_j, j ≠ label
  const onTarget = (1 - labelSmoothing) + offTarget; // q_label
  const gradBase = gradScale * invT / denom;
  const rowBytes = <usize>cols << 2;
  let total: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const off = <usize>i * rowBytes;
    const zr = z + off, gr = grad + off;
    if (!isLabeled(mask, i)) { memory.fill(gr, 0, rowBytes); continue; }
    const t = load<i32>(labels + (<usize>i << 2));
    const c = rowWeight(weights, i) * (classWeights ? <f64>load<f32>(classWeights + (<usize>t << 2)) : 1.0);
    // Pass 1: the maximum of u = z/T and where it is (the first, on ties).
    let m = <f64>load<f32>(zr) * invT;
    let k = 0;
    for (let j = 1; j < cols; j++) {
      const u = <f64>load<f32>(zr + (<usize>j << 2)) * invT;
      if (u > m) { m = u; k = j; }
    }
    const ut = <f64>load<f32>(zr + (<usize>t << 2)) * invT;
    // Pass 2: e_j = exp(u_j − m) (parked in grad), Σ_{j≠k} e_j, Σ (m − u_j).
    let other: f64 = 0, gap: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 2;
      const u = <f64>load<f32>(zr + o) * invT;
      const e = Math.exp(u - m);
      if (j != k) other += e;
      gap += m - u;
      store<f32>(gr + o, <f32>e);
    }
    // log Σ e_j = log1p(other) since e_k = 1, and
    // −Σ q_j·log p_j = Σ q_j·(m − u_j + log Σ e) = log Σ e + (1 − ε)(m − u_t) + (ε/C)·Σ (m − u_j).
    total += c * (Math.log1p(other) + (1 - labelSmoothing) * (m - ut) + offTarget * gap);
    // Pass 3: the gradient.
    const invS = 1 / (1 + other);
    const coef = gradBase * c;
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 2;
      const p = <f64>load<f32>(gr + o) * invS;
      store<f32>(gr + o, <f32>(coef * (p - (j == t ? onTarget : offTarget))));
    }
  }
  return total / denom;
}

/**
 * Cross-entropy against soft targets (probabilities, as a teacher gives them for
 * distillation) at temperature T > 0, u = z / T. y: rows × cols f32 in [0, 1].
 *  - softmax (sigmoid = 0): p = softmax(u), rowLoss = −Σ_j y_j·log p_j
 *    = Σ_j y_j·(m − u_j + log Σ e), ∂rowLoss/∂z_j = ((Σ y)·p_j − y_j)/T
 *    (p − y over T for targets that sum to 1);
 *  - sigmoid (sigmoid ≠ 0), each output its own probability: lossBce of u (rounded
 *    to f32), rowLoss = mean over cols of y·softplus(−u) + (1 − y)·softplus(u),
 *    ∂/∂z = (σ(u) − y)/(T·cols).
 * No class weights (a soft target has no single true class).
 */
export function lossSoftCrossEntropy(
  rows: i32, cols: i32, z: usize, y: usize, mask: usize, weights: usize,
  temperature: f64, sigmoid: i32, grad: usize, gradScale: f64, reduction: i32,
): f64 {
  const invT = 1 / temperature;
  if (sigmoid) {
    // The binary cross-entropy of σ(z/T): z/T (rounded to f32) into grad — the ABI lets
    // grad be the logits — then lossBce's own loop, its gradient scaled by 1/T.
    const count = rows * cols;
    for (let e = 0; e < count; e++) store<f32>(grad + (<usize>e << 2), <f32>(<f64>load<f32>(z + (<usize>e << 2)) * invT));
    return lossBce(rows, cols, grad, y, mask, weights, 0, grad, gradScale * invT, reduction);
  }
  const n = countLabeled(rows, mask);
  if (n == 0) return zeroGradient(rows, cols, grad);
  const denom: f64 = reduction == REDUCE_MEAN ? <f64>n : 1.0;
  const gradBase = gradScale * invT / denom;
  const rowBytes = <usize>cols << 2;
  let total: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const off = <usize>i * rowBytes;
    const zr = z + off, yr = y + off, gr = grad + off;
    if (!isLabeled(mask, i)) { memory.fill(gr, 0, rowBytes); continue; }
    const w = rowWeight(weights, i);
    const coef = gradBase * w;
    // Pass 1: the maximum of u and where it is (the first, on ties).
    let m = <f64>load<f32>(zr) * invT;
    let k = 0;
    for (let j = 1; j < cols; j++) {
      const u = <f64>load<f32>(zr + (<usize>j << 2)) * invT;
      if (u > m) { m = u; k = j; }
    }
    // Pass 2: e_j = exp(u_j − m) parked in grad, Σ_{j≠k} e_j, Σ y_j, Σ y_j·(m − u_j).
    let other: f64 = 0, mass: f64 = 0, gap: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 2;
      const u = <f64>load<f32>(zr + o) * invT;
      const t = <f64>load<f32>(yr + o);
      const e = Math.exp(u - m);
      if (j != k) other += e;
      mass += t;
      gap += t * (m - u);
      store<f32>(gr + o, <f32>e);
    }
    total += w * (gap + mass * Math.log1p(other));
    // Pass 3: the gradient.
    const invS = 1 / (1 + other);
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 2;
      const p = <f64>load<f32>(gr + o) * invS;
      store<f32>(gr + o, <f32>(coef * (mass * p - <f64>load<f32>(yr + o))));
    }
  }
  return total / denom;
}

/**
 * Binary / multilabel focal loss on logits (Lin et al. 2017), soft targets allowed:
 * element loss = −α·y·(1 − p)^γ·log p − (1 − α)·(1 − y)·p^γ·log(1 − p), p = σ(z).
 * y: rows × cols f32 in [0, 1]. gamma ≥ 0, alpha ∈ [0, 1]. classWeights: 0 or
 * 2 floats [w0, w1] multiplying each element by (1 − y)·w0 + y·w1 (on top of α).
 * rowLoss = mean over cols. γ = 0, α = ½ is half the BCE.
 */
export function lossFocal(
  rows: i32, cols: i32, z: usize, y: usize, mask: usize, weights: usize, classWeights: usize,
  gamma: f64, alpha: f64, grad: usize, gradScale: f64, reduction: i32,
): f64 {
  const n = countLabeled(rows, mask);
  if (n == 0) return zeroGradient(rows, cols, grad);
  const denom: f64 = reduction == REDUCE_MEAN ? <f64>n : 1.0;
  const w0: f64 = classWeights ? <f64>load<f32>(classWeights) : 1.0;
  const w1: f64 = classWeights ? <f64>load<f32>(classWeights, 4) : 1.0;
  const gradBase = gradScale / (denom * <f64>cols);
  const rowBytes = <usize>cols << 2;
  let total: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const off = <usize>i * rowBytes;
    if (!isLabeled(mask, i)) { memory.fill(grad + off, 0, rowBytes); continue; }
    const w = rowWeight(weights, i);
    const coef = gradBase * w;
    let s: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const o = off + (<usize>j << 2);
      const x = <f64>load<f32>(z + o);
      const t = <f64>load<f32>(y + o);
      const ew = classWeights ? (1 - t) * w0 + t * w1 : 1.0;
      const e = Math.exp(-Math.abs(x));
      const l = Math.log1p(e);
      const inv = 1 / (1 + e);
      const p = x >= 0 ? inv : e * inv;       // σ(x)
      const q = x >= 0 ? e * inv : inv;       // 1 − p
      const spPos = max<f64>(x, 0) + l;       // softplus(x)  = −log(1 − p)
      const spNeg = max<f64>(-x, 0) + l;      // softplus(−x) = −log p
      const a = alpha * t;
      const b = (1 - alpha) * (1 - t);
      // (1 − p)^γ and p^γ from the logs, which never underflow to log 0.
      const fq = gamma == 0 ? 1.0 : Math.exp(-gamma * spPos);
      const fp = gamma == 0 ? 1.0 : Math.exp(-gamma * spNeg);
      s += ew * (a * fq * spNeg + b * fp * spPos);
      // d/dz: −a·(1−p)^γ·(γ·p·softplus(−z) + (1 − p)) + b·p^γ·(γ·(1 − p)·softplus(z) + p)
      const g = b * fp * (gamma * q * spPos + p) - a * fq * (gamma * p * spNeg + q);
      store<f32>(grad + o, <f32>(coef * ew * g));
    }
    total += w * (s / <f64>cols);
  }
  return total / denom;
}

/**
 * Multiclass focal loss on softmax: rowLoss = −(1 − p_y)^γ·log p_y, p = softmax(z).
 * labels: rows i32 class indices. classWeights: 0 or cols floats (the α of the
 * paper, per class); a row is weighted by its true class's weight. gamma ≥ 0;
 * γ = 0 is the softmax cross-entropy.
 * With r = 1 − p_y and a = −log p_y: ∂rowLoss/∂z_j = K·(p_j − [j = y]),
 * K = r^γ·(1 + γ·p_y·a/r) (a/r → 1 as r → 0).
 */
export function lossMulticlassFocal(
  rows: i32, cols: i32, z: usize, labels: usize, mask: usize, weights: usize, classWeights: usize,
  gamma: f64, grad: usize, gradScale: f64, reduction: i32,
): f64 {
  const n = countLabeled(rows, mask);
  if (n == 0) return zeroGradient(rows, cols, grad);
  const denom: f64 = reduction == REDUCE_MEAN ? <f64>n : 1.0;
  const gradBase = gradScale / denom;
  const rowBytes = <usize>cols << 2;
  let total: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const off = <usize>i * rowBytes;
    const zr = z + off, gr = grad + off;
    if (!isLabeled(mask, i)) { memory.fill(gr, 0, rowBytes); continue; }
    const t = load<i32>(labels + (<usize>i << 2));
    const c = rowWeight(weights, i) * (classWeights ? <f64>load<f32>(classWeights + (<usize>t << 2)) : 1.0);
    let m = <f64>load<f32>(zr);
    let k = 0;
    for (let j = 1; j < cols; j++) {
      const u = <f64>load<f32>(zr + (<usize>j << 2));
      if (u > m) { m = u; k = j; }
    }
    const zt = <f64>load<f32>(zr + (<usize>t << 2));
    let other: f64 = 0, et: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 2;
      const e = Math.exp(<f64>load<f32>(zr + o) - m);
      if (j != k) other += e;
      if (j == t) et = e;
      store<f32>(gr + o, <f32>e);
    }
    const sum = 1 + other;
    const a = (m - zt) + Math.log1p(other);  // −log p_t, both terms ≥ 0
    // r = 1 − p_t without cancellation: Σ_{j≠t} e_j / Σ e when t is the argmax;
    // otherwise p_t ≤ ½ and 1 − p_t is harmless.
    let r: f64, pt: f64;
    if (t == k) { r = other / sum; pt = 1 / sum; } else { pt = et / sum; r = 1 - pt; }
    const f = gamma == 0 ? 1.0 : Math.pow(r, gamma);
    total += c * (f * a);
    const kFactor = f * (1 + gamma * pt * (r > 0 ? a / r : 1.0));
    const coef = gradBase * c * kFactor;
    const invS = 1 / sum;
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 2;
      const d = j == t ? -r : <f64>load<f32>(gr + o) * invS;  // p_j − [j = t]
      store<f32>(gr + o, <f32>(coef * d));
    }
  }
  return total / denom;
}

/**
 * Soft dice loss for multilabel rows: p = σ(z),
 * rowLoss = 1 − (2·Σ p·y + s) / (Σ p + Σ y + s), computed as
 * Σ (p·(1 − y) + y·(1 − p)) / (Σ p + Σ y + s) (no cancellation near 0).
 * y: rows × cols f32 in [0, 1]. smooth s > 0. No class weights.
 */
export function lossSoftDice(
  rows: i32, cols: i32, z: usize, y: usize, mask: usize, weights: usize,
  smooth: f64, grad: usize, gradScale: f64, reduction: i32,
): f64 {
  const n = countLabeled(rows, mask);
  if (n == 0) return zeroGradient(rows, cols, grad);
  const denom: f64 = reduction == REDUCE_MEAN ? <f64>n : 1.0;
  const gradBase = gradScale / denom;
  const rowBytes = <usize>cols << 2;
  let total: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const off = <usize>i * rowBytes;
    if (!isLabeled(mask, i)) { memory.fill(grad + off, 0, rowBytes); continue; }
    const w = rowWeight(weights, i);
    // Pass 1: the sums; σ'(z) = p·(1 − p) parked in grad.
    let inter: f64 = 0, sumP: f64 = 0, sumY: f64 = 0, miss: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const o = off + (<usize>j << 2);
      const x = <f64>load<f32>(z + o);
      const t = <f64>load<f32>(y + o);
      const e = Math.exp(-Math.abs(x));
      const inv = 1 / (1 + e);
      const p = x >= 0 ? inv : e * inv;
      const q = x >= 0 ? e * inv : inv;
      inter += p * t; sumP += p; sumY += t;
      miss += p * (1 - t) + t * q;
      store<f32>(grad + o, <f32>(e * inv * inv));
    }
    const d = sumP + sumY + smooth;
    total += w * (miss / d);
    // ∂rowLoss/∂p_j = (ratio − 2·y_j)/d, ratio = (2·Σ p·y + s)/d.
    const ratio = (2 * inter + smooth) / d;
    const coef = gradBase * w / d;
    for (let j = 0; j < cols; j++) {
      const o = off + (<usize>j << 2);
      const t = <f64>load<f32>(y + o);
      store<f32>(grad + o, <f32>(coef * <f64>load<f32>(grad + o) * (ratio - 2 * t)));
    }
  }
  return total / denom;
}

/**
 * Mean squared error: rowLoss = mean over cols of (z − y)². y: rows × cols f32.
 * No class weights.
 */
export function lossMse(
  rows: i32, cols: i32, z: usize, y: usize, mask: usize, weights: usize,
  grad: usize, gradScale: f64, reduction: i32,
): f64 {
  const n = countLabeled(rows, mask);
  if (n == 0) return zeroGradient(rows, cols, grad);
  const denom: f64 = reduction == REDUCE_MEAN ? <f64>n : 1.0;
  const gradBase = 2 * gradScale / (denom * <f64>cols);
  const rowBytes = <usize>cols << 2;
  let total: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const off = <usize>i * rowBytes;
    const zr = z + off, yr = y + off, gr = grad + off;
    if (!isLabeled(mask, i)) { memory.fill(gr, 0, rowBytes); continue; }
    const w = rowWeight(weights, i);
    const coef = gradBase * w;
    const cv = f64x2.splat(coef);
    let acc0 = f64x2.splat(0), acc1 = f64x2.splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      const d0 = f64x2.sub(widen(zr + o, 0), widen(yr + o, 0));
      const d1 = f64x2.sub(widen(zr + o, 8), widen(yr + o, 8));
      acc0 = f64x2.add(acc0, f64x2.mul(d0, d0));
      acc1 = f64x2.add(acc1, f64x2.mul(d1, d1));
      narrowStore(gr + o, 0, f64x2.mul(cv, d0));
      narrowStore(gr + o, 8, f64x2.mul(cv, d1));
    }
    let s = lanes(acc0, acc1);
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const d = <f64>load<f32>(zr + o) - <f64>load<f32>(yr + o);
      s += d * d;
      store<f32>(gr + o, <f32>(coef * d));
    }
    total += w * (s / <f64>cols);
  }
  return total / denom;
}

/**
 * Huber loss with threshold delta > 0: with d = z − y, element loss ½·d² if
 * |d| ≤ δ, else δ·(|d| − ½·δ); gradient clamp(d, −δ, δ). rowLoss = mean over
 * cols. y: rows × cols f32. No class weights.
 */
export function lossHuber(
  rows: i32, cols: i32, z: usize, y: usize, mask: usize, weights: usize,
  delta: f64, grad: usize, gradScale: f64, reduction: i32,
): f64 {
  const n = countLabeled(rows, mask);
  if (n == 0) return zeroGradient(rows, cols, grad);
  const denom: f64 = reduction == REDUCE_MEAN ? <f64>n : 1.0;
  const gradBase = gradScale / (denom * <f64>cols);
  const rowBytes = <usize>cols << 2;
  const dv = f64x2.splat(delta), ndv = f64x2.splat(-delta), half = f64x2.splat(0.5);
  let total: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const off = <usize>i * rowBytes;
    const zr = z + off, yr = y + off, gr = grad + off;
    if (!isLabeled(mask, i)) { memory.fill(gr, 0, rowBytes); continue; }
    const w = rowWeight(weights, i);
    const coef = gradBase * w;
    const cv = f64x2.splat(coef);
    let acc0 = f64x2.splat(0), acc1 = f64x2.splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      const d0 = f64x2.sub(widen(zr + o, 0), widen(yr + o, 0));
      const d1 = f64x2.sub(widen(zr + o, 8), widen(yr + o, 8));
      // m = min(|d|, δ); loss = m·(|d| − ½·m) is ½d² inside and δ(|d| − ½δ) outside.
      const a0 = f64x2.abs(d0), a1 = f64x2.abs(d1);
      const m0 = f64x2.min(a0, dv), m1 = f64x2.min(a1, dv);
      acc0 = f64x2.add(acc0, f64x2.mul(m0, f64x2.sub(a0, f64x2.mul(half, m0))));
      acc1 = f64x2.add(acc1, f64x2.mul(m1, f64x2.sub(a1, f64x2.mul(half, m1))));
      narrowStore(gr + o, 0, f64x2.mul(cv, f64x2.max(f64x2.min(d0, dv), ndv)));
      narrowStore(gr + o, 8, f64x2.mul(cv, f64x2.max(f64x2.min(d1, dv), ndv)));
    }
    let s = lanes(acc0, acc1);
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const d = <f64>load<f32>(zr + o) - <f64>load<f32>(yr + o);
      const a = Math.abs(d);
      const m = min<f64>(a, delta);
      s += m * (a - 0.5 * m);
      store<f32>(gr + o, <f32>(coef * max<f64>(min<f64>(d, delta), -delta)));
    }
    total += w * (s / <f64>cols);
  }
  return total / denom;
}

// @ts-ignore: decorator
@inline function isLabeled(mask: usize, i: i32): bool {
  return mask == 0 || load<u8>(mask + <usize>i) != 0;
}

// @ts-ignore: decorator
@inline function rowWeight(weights: usize, i: i32): f64 {
  return weights ? <f64>load<f32>(weights + (<usize>i << 2)) : 1.0;
}

function countLabeled(rows: i32, mask: usize): i32 {
  if (mask == 0) return rows;
  let n = 0;
  for (let i = 0; i < rows; i++) n += <i32>(load<u8>(mask + <usize>i) != 0);
  return n;
}

function zeroGradient(rows: i32, cols: i32, grad: usize): f64 {
  memory.fill(grad, 0, (<usize>rows * <usize>cols) << 2);
  return 0;
}

// Two f32 at p + offset, as an f64x2.
// @ts-ignore: decorator
@inline function widen(p: usize, offset: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p + offset));
}

// Stores an f64x2 as two f32 at p + offset.
// @ts-ignore: decorator
@inline function narrowStore(p: usize, offset: usize, v: v128): void {
  v128.store64_lane(p + offset, f32x4.demote_f64x2_zero(v), 0);
}

// The four partial sums of the SIMD loops, in a fixed order.
// @ts-ignore: decorator
@inline function lanes(acc0: v128, acc1: v128): f64 {
  const s = f64x2.add(acc0, acc1);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}
