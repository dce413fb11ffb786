// The inference-only kernel module (dist/infer.wasm, for `manytask/infer`): the
// forward kernels a saved model's predict needs, nothing else. The same source
// files as the full module, so the same arithmetic, bit for bit; AssemblyScript
// leaves out whatever these exports do not reach (training kernels, losses,
// optimizers, clustering).

import { gemmForward } from "./gemm";
export { actForward } from "./act";
export { softmaxRows, mixForward, crossStitchForward, copyBlock, dselectForward } from "./mix";
export { distributionForward } from "./distribution";
export { conv1dIm2col, temporalPoolForward } from "./conv1d";
export { embeddingGather } from "./embedding";
export { addBroadcast, attentionForwardLean as attentionForward } from "./attention";
export { layerNormForward } from "./norm";
// The normal quantile of a Gaussian task's interval (src/mtl/kinds.ts) takes a
// logarithm: log1p, which distributionForward compiles in already (log's tables
// would add 4 KB to this module).
export { mathLog1p } from "./math";

// C = alpha·A·B + beta·C (+ bias, activation): gemm of the full module with
// op(A) = A and op(B) = B, the only form a forward pass uses. transA and transB
// are taken to keep the full module's signature and must be 0.
export function gemm(
  transA: i32, transB: i32, M: i32, N: i32, K: i32,
  alpha: f32, a: usize, lda: i32, b: usize, ldb: i32,
  beta: f32, c: usize, ldc: i32, bias: usize, act: i32,
): void {
  if (transA | transB) unreachable();
  gemmForward(M, N, K, alpha, a, lda, b, ldb, beta, c, ldc, bias, act);
}

export function heapBase(): usize {
  return __heap_base;
}
