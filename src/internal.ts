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
export { ProximalTerm } from './mtl/proximal.js';
