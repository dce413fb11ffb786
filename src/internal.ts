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
export { jobRunner, jobWorkerSetup } from './threads/index.js';
export { Allocator } from './runtime/allocator.js';
export { Pool, LocalRunner } from './threads/pool.js';
export * as jobs from './threads/tasks.js';
export { chunkRows, kmeansChunkRows, GEMM_SPLIT_MACS, GEMM_MIN_ROWS } from './threads/parallel.js';
export { minimiseOnSimplex, projectToSimplex, logLossObjective, squaredErrorObjective } from './model/simplex-weights.js';
export { bootstrapSamples } from './model/ensemble.js';
