// The inference-only kernel module (dist/infer.wasm, for `manytask/infer`): the
// forward kernels a saved model's predict needs, nothing else. The same source
// files as the full module, so the same arithmetic, bit for bit; AssemblyScript
// leaves out whatever these exports do not reach (training kernels, losses,
// optimizers, clustering).

export { gemm } from "./gemm";
export { actForward } from "./act";
export { softmaxRows, mixForward, crossStitchForward, copyBlock } from "./mix";
export { copyRows } from "./rows";

export function heapBase(): usize {
  return __heap_base;
}
