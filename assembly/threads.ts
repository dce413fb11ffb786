// The threaded kernel module (dist/manytask-threads.wasm): every kernel of
// index.ts, built with --enable threads on an imported shared memory, so that
// one instance per thread (the calling thread and each worker of
// src/threads/pool.ts) runs kernels on the same memory. AssemblyScript's runtime
// is not thread-safe: no kernel allocates (the stub runtime is never called; the
// build checks it), every buffer comes from the JavaScript allocator, and the
// only scratch a kernel keeps between its own calls, the GEMM's packing buffers,
// is per instance (setGemmScratch). See docs/threads.md.

export * from "./index";
export { gemmScratchBytes, setGemmScratch } from "./gemm";
