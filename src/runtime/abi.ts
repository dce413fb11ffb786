// The TypeScript view of the kernel module's exports (assembly/index.ts).
// Pointers are byte offsets into linear memory; dimensions are element counts.

type Ptr = number;

export interface Kernels {
  heapBase(): Ptr;
  gemm(
    transA: number, transB: number, M: number, N: number, K: number,
    alpha: number, a: Ptr, lda: number, b: Ptr, ldb: number,
    beta: number, c: Ptr, ldc: number, bias: Ptr, act: number,
  ): void;
  axpy(n: number, alpha: number, x: Ptr, y: Ptr): void;
  scale(n: number, alpha: number, x: Ptr): void;
  add(n: number, x: Ptr, y: Ptr, out: Ptr): void;
  mul(n: number, x: Ptr, y: Ptr, out: Ptr): void;
  dot(n: number, x: Ptr, y: Ptr): number;
  sum(n: number, x: Ptr): number;
  sumSquares(n: number, x: Ptr): number;
  /** Σ x accumulated in f64. */
  sumF64(n: number, x: Ptr): number;
  /** Σ x·y accumulated in f64. */
  dotF64(n: number, x: Ptr, y: Ptr): number;
  colSums(rows: number, cols: number, x: Ptr, out: Ptr): void;

  // activations (assembly/act.ts)
  actForward(kind: number, n: number, x: Ptr, y: Ptr, alpha: number): void;
  actBackward(kind: number, n: number, x: Ptr, y: Ptr, dy: Ptr, dx: Ptr, alpha: number): void;

  // the seeded PRNG (assembly/rng.ts); state is 16 bytes
  rngSeed(state: Ptr, seed: number, stream: number): void;
  rngNextU32(state: Ptr): number;
  rngUniform(state: Ptr, n: number, out: Ptr, lo: number, hi: number): void;
  rngNormal(state: Ptr, n: number, out: Ptr, mean: number, std: number): void;
  rngShuffle(state: Ptr, n: number, values: Ptr): void;
  rngDropoutMask(state: Ptr, n: number, out: Ptr, keep: number): void;

  // row movement (assembly/rows.ts)
  gatherRows(n: number, width: number, src: Ptr, idx: Ptr, dst: Ptr): void;
  gatherBytes(n: number, src: Ptr, idx: Ptr, dst: Ptr): void;
  copyRows(rows: number, cols: number, src: Ptr, srcStride: number, dst: Ptr, dstStride: number, accumulate: number): void;

  // layer normalization (assembly/norm.ts)
  layerNormForward(rows: number, cols: number, x: Ptr, gamma: Ptr, beta: Ptr, eps: number, y: Ptr, mean: Ptr, rstd: Ptr): void;
  layerNormBackward(rows: number, cols: number, x: Ptr, gamma: Ptr, mean: Ptr, rstd: Ptr, dy: Ptr, dx: Ptr, dGamma: Ptr, dBeta: Ptr): void;

  // Optimizers, clipping and deterministic scalar math (assembly/optim.ts,
  // assembly/math.ts; used by src/nn/optim.ts and src/nn/schedule.ts).
  sgd(
    n: number, p: Ptr, g: Ptr, v: Ptr, vOut: Ptr,
    lr: number, momentum: number, weightDecay: number, nesterov: number,
    gradScale: number, clip: number,
  ): number;
  adam(
    n: number, p: Ptr, g: Ptr, m: Ptr, v: Ptr, mOut: Ptr, vOut: Ptr,
    lr: number, beta1: number, beta2: number, epsilon: number, weightDecay: number, decoupled: number,
    bc1: number, bc2: number, gradScale: number, clip: number,
  ): number;
  sumSquaresF64(n: number, x: Ptr): number;
  clampAbs(n: number, limit: number, x: Ptr): void;
  mathPow(x: number, y: number): number;
  mathExp(x: number): number;
  mathLog(x: number): number;
  mathLog1p(x: number): number;
  mathCos(x: number): number;
  mathSin(x: number): number;

  // losses (assembly/loss.ts): each returns the reduced loss and writes gradScale·∂loss/∂z
  // into grad. mask: rows bytes; weights: rows f32; 0 = absent. reduction: 0 mean, 1 sum.
  lossBce(
    rows: number, cols: number, z: Ptr, y: Ptr, mask: Ptr, weights: Ptr, classWeights: Ptr,
    grad: Ptr, gradScale: number, reduction: number,
  ): number;
  lossSoftmaxCrossEntropy(
    rows: number, cols: number, z: Ptr, labels: Ptr, mask: Ptr, weights: Ptr, classWeights: Ptr,
    temperature: number, labelSmoothing: number, grad: Ptr, gradScale: number, reduction: number,
  ): number;
  lossSoftCrossEntropy(
    rows: number, cols: number, z: Ptr, y: Ptr, mask: Ptr, weights: Ptr,
    temperature: number, sigmoid: number, grad: Ptr, gradScale: number, reduction: number,
  ): number;
  lossFocal(
    rows: number, cols: number, z: Ptr, y: Ptr, mask: Ptr, weights: Ptr, classWeights: Ptr,
    gamma: number, alpha: number, grad: Ptr, gradScale: number, reduction: number,
  ): number;
  lossMulticlassFocal(
    rows: number, cols: number, z: Ptr, labels: Ptr, mask: Ptr, weights: Ptr, classWeights: Ptr,
    gamma: number, grad: Ptr, gradScale: number, reduction: number,
  ): number;
  lossSoftDice(
    rows: number, cols: number, z: Ptr, y: Ptr, mask: Ptr, weights: Ptr,
    smooth: number, grad: Ptr, gradScale: number, reduction: number,
  ): number;
  lossMse(
    rows: number, cols: number, z: Ptr, y: Ptr, mask: Ptr, weights: Ptr,
    grad: Ptr, gradScale: number, reduction: number,
  ): number;
  lossHuber(
    rows: number, cols: number, z: Ptr, y: Ptr, mask: Ptr, weights: Ptr,
    delta: number, grad: Ptr, gradScale: number, reduction: number,
  ): number;
  // Distribution heads: one f32 target per row; z holds the raw outputs (see distributionForward).
  lossGaussianNll(
    rows: number, z: Ptr, y: Ptr, mask: Ptr, weights: Ptr,
    minVariance: number, grad: Ptr, gradScale: number, reduction: number,
  ): number;
  lossPoissonNll(rows: number, z: Ptr, y: Ptr, mask: Ptr, weights: Ptr, grad: Ptr, gradScale: number, reduction: number): number;
  lossPinball(
    rows: number, cols: number, z: Ptr, y: Ptr, levels: Ptr, mask: Ptr, weights: Ptr,
    grad: Ptr, gradScale: number, reduction: number,
  ): number;
  /** Raw outputs → distribution parameters (assembly/distribution.ts); family a Dist code. */
  distributionForward(family: number, rows: number, cols: number, x: Ptr, y: Ptr, minVariance: number): void;

  // Sharing architectures (assembly/mix.ts; used by src/mtl/arch/): gate softmax,
  // mixing experts with per-row gate weights (experts: n i32 expert indices),
  // cross-stitch units (xs/ys/dys/dxs: T u32 block pointers), a strided block copy.
  softmaxRows(rows: number, n: number, x: Ptr, y: Ptr): void;
  softmaxRowsBackward(rows: number, n: number, y: Ptr, dy: Ptr, dx: Ptr): void;
  mixForward(rows: number, n: number, d: number, e: Ptr, ldE: number, experts: Ptr, g: Ptr, out: Ptr, ldOut: number): void;
  mixBackward(
    rows: number, n: number, d: number, e: Ptr, ldE: number, experts: Ptr, g: Ptr,
    dOut: Ptr, ldDOut: number, dE: Ptr, dG: Ptr, accumulate: number,
  ): void;
  crossStitchForward(rows: number, T: number, d: number, xs: Ptr, ldX: number, alpha: Ptr, ys: Ptr, ldY: number): void;
  crossStitchBackward(
    rows: number, T: number, d: number, xs: Ptr, ldX: number, alpha: Ptr,
    dys: Ptr, ldDY: number, dxs: Ptr, ldDX: number, dAlpha: Ptr,
  ): void;
  copyBlock(rows: number, cols: number, src: Ptr, ldSrc: number, dst: Ptr, ldDst: number): void;
  dselectForward(rows: number, k: number, m: number, n: number, s: Ptr, a: Ptr, y: Ptr): void;
  dselectBackward(rows: number, k: number, m: number, n: number, s: Ptr, a: Ptr, dy: Ptr, ds: Ptr, da: Ptr): void;

  // Clustering (assembly/rowstats.ts, assembly/kmeans.ts, assembly/gmm.ts; used by
  // src/cluster/). Row statistics over n × d f32; f64 arrays are 8-byte aligned.
  rowSquaredNorms(n: number, d: number, x: Ptr, out: Ptr): number;
  colMeanVar(n: number, d: number, x: Ptr, mean: Ptr, variance: Ptr): void;
  subtractColumns(n: number, d: number, x: Ptr, shift: Ptr, out: Ptr): void;
  rowMeanSquaredError(n: number, d: number, a: Ptr, b: Ptr, out: Ptr): void;
  firstNonFinite(n: number, x: Ptr): number;
  // Per group of rows (labels i32 in 0..k−1; weights n f64 or 0), about ref (k × d f64): total k f64,
  // sums of x − ref k × d f64, squares of it k × d f64 (pooled ≠ 0: k, over the columns), largest |x| k × d f32.
  groupStats(
    n: number, d: number, k: number, x: Ptr, labels: Ptr, weights: Ptr, ref: Ptr,
    total: Ptr, sums: Ptr, squares: Ptr, largest: Ptr, pooled: number,
  ): void;
  // k-means: labels/counts i32, sums f64, rng a 16-byte xoshiro state; weights
  // (n f64 sample weights) and wsums (k f64 weight totals) are 0 when unweighted.
  kmeansScratchBytes(d: number, k: number): number;
  kmeansAssign(
    n: number, d: number, k: number, x: Ptr, xNorms: Ptr, centers: Ptr,
    labels: Ptr, minDist: Ptr, sums: Ptr, counts: Ptr, scratch: Ptr,
  ): number;
  kmeansLabelSums(
    n: number, d: number, k: number, x: Ptr, labels: Ptr, sums: Ptr, counts: Ptr, weights: Ptr, wsums: Ptr,
  ): void;
  kmeansDistances(n: number, d: number, k: number, x: Ptr, xNorms: Ptr, centers: Ptr, out: Ptr, scratch: Ptr): void;
  kmeansUpdate(k: number, d: number, sums: Ptr, counts: Ptr, centers: Ptr, wsums: Ptr): number;
  kmeansRelocateEmpty(
    n: number, d: number, k: number, x: Ptr, labels: Ptr, minDist: Ptr, sums: Ptr, counts: Ptr, weights: Ptr, wsums: Ptr,
  ): number;
  kmeansRowDistances(n: number, d: number, x: Ptr, centers: Ptr, labels: Ptr, out: Ptr, weights: Ptr): number;
  kmeansPlusPlusScratchBytes(n: number): number;
  kmeansPlusPlus(
    n: number, d: number, k: number, x: Ptr, trials: number, rng: Ptr, centers: Ptr, chosen: Ptr, scratch: Ptr, weights: Ptr,
  ): void;
  kmeansSampleDistinct(rng: Ptr, n: number, k: number, scratch: Ptr, out: Ptr): void;
  kmeansSampleWeighted(rng: Ptr, n: number, k: number, weights: Ptr, scratch: Ptr, out: Ptr): void;
  kmeansSampleIndices(rng: Ptr, count: number, bound: number, out: Ptr): void;
  kmeansMiniBatchUpdate(k: number, d: number, centers: Ptr, weights: Ptr, sums: Ptr, counts: Ptr, batchWsums: Ptr): number;
  kmeansReassign(
    rng: Ptr, k: number, d: number, centers: Ptr, weights: Ptr, ratio: number, batchRows: number, batch: Ptr, scratch: Ptr,
  ): number;
  // Gaussian mixtures: covType 0 full, 1 diag, 2 spherical, 3 tied; everything but x
  // (and labels) is f64; weights (n f64 sample weights) is 0 when unweighted.
  gmmEStep(
    n: number, d: number, k: number, covType: number, x: Ptr, means: Ptr, prec: Ptr, logDet: Ptr, logWeights: Ptr,
    resp: Ptr, logProbNorm: Ptr, scratch: Ptr, weights: Ptr,
  ): number;
  gmmUnresolvedRow(
    n: number, d: number, k: number, covType: number, x: Ptr, means: Ptr, prec: Ptr, logDet: Ptr, logWeights: Ptr, scratch: Ptr,
  ): number;
  gmmMStep(
    n: number, d: number, k: number, covType: number, x: Ptr, resp: Ptr, regCovar: number,
    nk: Ptr, means: Ptr, covariances: Ptr, prec: Ptr, logDet: Ptr, logWeights: Ptr, scratch: Ptr, weights: Ptr,
  ): number;
  gmmPrecisionsCholesky(d: number, k: number, covType: number, precisions: Ptr, prec: Ptr, logDet: Ptr, scratch: Ptr): number;
  gmmSample(
    rng: Ptr, n: number, d: number, k: number, covType: number, means: Ptr, prec: Ptr, weights: Ptr,
    out: Ptr, labels: Ptr, scratch: Ptr,
  ): void;
  gmmRespFromLabels(n: number, k: number, labels: Ptr, resp: Ptr): void;
  gmmRespRandom(rng: Ptr, n: number, k: number, resp: Ptr): void;

  // Element-wise combinations of per-task gradients (assembly/combine.ts; used by
  // src/mtl/weighting/graddrop.ts, trimmedmean.ts, excessmtl.ts). ptrs: tasks i32 offsets.
  gradDropCombine(
    tasks: number, rows: number, width: number, ptrs: Ptr, z: Ptr, uniforms: Ptr, leak: number, purity: Ptr, out: Ptr,
  ): void;
  trimmedMean(tasks: number, n: number, ptrs: Ptr, trim: number, scratch: Ptr, out: Ptr): void;
  accumulateSquares(n: number, g: Ptr, h: Ptr): number;

  // 1-D causal convolution and pooling over time (assembly/conv1d.ts). A row is
  // steps × channels floats, time-major; col is (rows·steps) × (kernel·channels).
  conv1dIm2col(rows: number, steps: number, channels: number, kernel: number, dilation: number, x: Ptr, col: Ptr): void;
  conv1dCol2im(rows: number, steps: number, channels: number, kernel: number, dilation: number, dcol: Ptr, dx: Ptr): void;
  temporalPoolForward(mode: number, rows: number, steps: number, channels: number, x: Ptr, y: Ptr): void;
  temporalPoolBackward(mode: number, rows: number, steps: number, channels: number, x: Ptr, y: Ptr, dy: Ptr, dx: Ptr): void;
  conv1dDirect(
    rows: number, steps: number, cin: number, cout: number, kernel: number, dilation: number, x: Ptr, w: Ptr, b: Ptr, y: Ptr, relu: number,
  ): void;
  // Embedding tables (assembly/embedding.ts; used by src/graph/): the index of row r
  // is the float x[r·ldx + col]. Gather returns −1 or the first row with a bad index.
  embeddingGather(rows: number, d: number, x: Ptr, ldx: number, col: number, table: Ptr, tableRows: number, y: Ptr, ldy: number): number;
  embeddingScatterAdd(rows: number, d: number, x: Ptr, ldx: number, col: number, dy: Ptr, ldy: number, grad: Ptr): void;
  // The GMM M-step in parts (assembly/gmm.ts), for the chunked M-step of src/threads/parallel.ts.
  gmmScatterSize(d: number, k: number, covType: number): number;
  gmmMStepSums(n: number, d: number, k: number, x: Ptr, resp: Ptr, weights: Ptr, nk: Ptr, sums: Ptr): void;
  gmmMStepMeans(d: number, k: number, nk: Ptr, means: Ptr): void;
  gmmMStepScatter(
    n: number, d: number, k: number, covType: number, x: Ptr, resp: Ptr, weights: Ptr, means: Ptr, acc: Ptr, scratch: Ptr,
  ): void;
  gmmMStepFinish(
    d: number, k: number, covType: number, regCovar: number, nk: Ptr, means: Ptr, covariances: Ptr, prec: Ptr, logDet: Ptr, logWeights: Ptr,
  ): number;
  // Self-attention over a window's time steps (assembly/attention.ts): qkv is rows × steps ×
  // 3·heads·dk ([q | k | v] per token), probs rows × heads × steps × steps, out rows × steps × heads·dk;
  // scratch steps × max(steps, dk) floats.
  addBroadcast(rows: number, n: number, x: Ptr, p: Ptr, y: Ptr): void;
  attentionForward(
    rows: number, steps: number, heads: number, dk: number, causal: number, keep: number, qkv: Ptr, probs: Ptr, out: Ptr, scratch: Ptr,
  ): void;
  attentionForwardDirect(rows: number, steps: number, heads: number, dk: number, causal: number, qkv: Ptr, probs: Ptr, out: Ptr): void;
  attentionBackward(
    rows: number, steps: number, heads: number, dk: number, causal: number, qkv: Ptr, probs: Ptr, dout: Ptr, dqkv: Ptr, scratch: Ptr,
  ): void;
  /** x[0 .. n) = 0 (assembly/fill.ts): zeroing a gradient block inside a training pass. */
  fillZero(n: number, x: Ptr): void;
  // LTB's Gumbel-softmax parent choice and a cross-stitch unit's α and pointer tables
  // (assembly/gumbel.ts, assembly/stitch.ts): what those ops computed in JavaScript, as
  // kernels a micro-shard's program can hold (the same f64 arithmetic, the same bits).
  gumbelLogits(n: number, u: Ptr, alpha: Ptr, temperature: number, out: Ptr): void;
  gumbelSettled(rows: number, n: number, alpha: Ptr, y: Ptr): void;
  divideByScalar(n: number, x: Ptr, divisor: number, y: Ptr): void;
  crossStitchAlpha(count: number, alpha0: Ptr, offset: Ptr, alpha: Ptr): void;
  writePointer(table: Ptr, index: number, pointer: number): void;
}

/** Pooling codes of assembly/conv1d.ts temporalPoolForward. */
export const Pool = { avg: 0, max: 1, last: 2 } as const;

/** Distribution codes of assembly/distribution.ts. */
export const Dist = { gaussian: 0, poisson: 1, quantile: 2 } as const;

/**
 * The floor added to a Gaussian head's variance, in the units the head trains in
 * (standardized targets: a standard deviation of at least 1% of the target's).
 * Without it a row fit exactly drives the variance to 0 and the NLL to −∞.
 */
export const GAUSSIAN_MIN_VARIANCE = 1e-4;

/** Activation codes of assembly/act.ts. */
export const Act = {
  identity: 0, relu: 1, leakyRelu: 2, elu: 3, gelu: 4, sigmoid: 5, tanh: 6, softplus: 7, smoothStep: 8,
} as const;
export type ActivationName = keyof typeof Act;
