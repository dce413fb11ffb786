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
}

/** Activation codes of assembly/act.ts. */
export const Act = { identity: 0, relu: 1 } as const;
