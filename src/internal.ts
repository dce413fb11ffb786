// Internals for manytask's own tests and benchmarks; not part of the public API
// and not listed in package.json "exports".
export { runtime, heapF32, resetRuntime, filePathUrl } from './runtime/module.js';
export { Act } from './runtime/abi.js';
export type { Kernels } from './runtime/abi.js';
export { matchClusters } from './mtl/core.js';
export { heapI32 } from './runtime/module.js';
export { describeModel } from './mtl/describe.js';
export { readArchitecture } from './mtl/arch/index.js';
export { crossStitchAlpha0 } from './mtl/arch/cross-stitch.js';
export { NetworkEngine } from './mtl/engine.js';
export { RngStream } from './nn/rng.js';
export { crc32 } from './io/format.js';
export { FixedPointSum, valueLimit, MAX_WEIGHT } from './federated/fixed-point.js';
export { encodeFrame, decodeFrame, encodeValues, decodeValues, encodedLength, INT8_BLOCK } from './federated/codec.js';
export { Federation, resolveOptions, layoutOfModelFile } from './federated/federation.js';
export { gaussianEpsilon, ln, roundedGaussian, noiseKey, clipFactor } from './federated/privacy.js';
export { serverStep, readServerOptimizer, stateWidth } from './federated/server-optimizer.js';
export { FederatedLayout } from './federated/layout.js';
export { BlobStore } from './federated/platform.js';
export { ProximalTerm } from './mtl/proximal.js';
export { jobRunner, jobWorkerSetup } from './threads/index.js';
export { Allocator } from './runtime/allocator.js';
export { Pool, LocalRunner } from './threads/pool.js';
export * as jobs from './threads/tasks.js';
export { chunkRows, kmeansChunkRows, GEMM_SPLIT_MACS, GEMM_MIN_ROWS } from './threads/parallel.js';
export { minimiseOnSimplex, projectToSimplex, logLossObjective, squaredErrorObjective } from './model/simplex-weights.js';
export { bootstrapSamples } from './model/ensemble.js';
export { normalQuantile, poissonQuantile } from './mtl/kinds.js';
