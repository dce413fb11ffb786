// The kernel ABI: every export takes pointers (byte offsets into linear memory)
// and dimensions; no AssemblyScript object crosses the boundary. Memory above
// heapBase() belongs to the TypeScript allocator (src/runtime/allocator.ts).
//
// dist/manytask.wasm is built from this file on an imported memory, with the
// GEMM's scratch per instance (setGemmScratch): the same module then runs on
// one thread with a plain memory, and on every thread of the pool
// (src/threads/) with its memory import rewritten to a shared one
// (src/threads/shared-module.ts). AssemblyScript's runtime is not thread-safe:
// no kernel allocates (the stub runtime is never called; the build checks it),
// every buffer comes from the JavaScript allocator. See docs/threads.md.

export { gemm, gemmScratchBytes, setGemmScratch } from "./gemm";
export { distributionForward } from "./distribution";
export { axpy, scale, add, mul, dot, sum, sumSquares, sumF64, dotF64, colSums } from "./vec";
export { actForward, actBackward } from "./act";
export { rngSeed, rngNextU32, rngUniform, rngNormal, rngShuffle, rngDropoutMask } from "./rng";
export { layerNormForward, layerNormBackward } from "./norm";
export { gatherRows, gatherBytes, copyRows } from "./rows";
export * from "./optim";
export * from "./math";
export * from "./loss";
export {
  softmaxRows, softmaxRowsBackward, mixForward, mixBackward, crossStitchForward, crossStitchBackward, copyBlock, dselectForward, dselectBackward,
} from "./mix";
export { rowSquaredNorms, colMeanVar, subtractColumns, rowMeanSquaredError, firstNonFinite, groupStats } from "./rowstats";
export {
  kmeansScratchBytes, kmeansAssign, kmeansLabelSums, kmeansDistances, kmeansUpdate, kmeansRelocateEmpty, kmeansRowDistances,
  kmeansPlusPlusScratchBytes, kmeansPlusPlus, kmeansSampleDistinct, kmeansSampleWeighted, kmeansSampleIndices, kmeansMiniBatchUpdate, kmeansReassign,
} from "./kmeans";
export { gmmEStep, gmmUnresolvedRow, gmmMStep, gmmPrecisionsCholesky, gmmSample, gmmRespFromLabels, gmmRespRandom } from "./gmm";
export { gradDropCombine, trimmedMean, accumulateSquares } from "./combine";
export { conv1dIm2col, conv1dCol2im, temporalPoolForward, temporalPoolBackward, conv1dDirect } from "./conv1d";
export { embeddingGather, embeddingScatterAdd } from "./embedding";
export { addBroadcast, attentionForward, attentionForwardDirect, attentionBackward } from "./attention";

export function heapBase(): usize {
  return __heap_base;
}
export { gmmScatterSize, gmmMStepSums, gmmMStepMeans, gmmMStepScatter, gmmMStepFinish } from "./gmm";
export { fillZero } from "./fill";
export { gumbelLogits, gumbelSettled, divideByScalar } from "./gumbel";
export { crossStitchAlpha, writePointer } from "./stitch";
