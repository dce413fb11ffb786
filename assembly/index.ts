// The kernel ABI: every export takes pointers (byte offsets into linear memory)
// and dimensions; no AssemblyScript object crosses the boundary. Memory above
// heapBase() belongs to the TypeScript allocator (src/runtime/allocator.ts).

export { gemm } from "./gemm";
export { axpy, scale, add, mul, dot, sum, sumSquares } from "./vec";

export function heapBase(): usize {
  return __heap_base;
}
export * from "./optim";
export * from "./math";
