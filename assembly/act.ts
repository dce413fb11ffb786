// Activation codes shared by the fused GEMM epilogue and the activation kernels.
// The TypeScript side mirrors these numbers in src/runtime/abi.ts.
export const ACT_IDENTITY: i32 = 0;
export const ACT_RELU: i32 = 1;
