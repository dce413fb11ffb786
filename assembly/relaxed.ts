// The relaxed-SIMD GEMM (dist/gemm-relaxed.wasm; the worker threads make its
// memory import shared as they load it): the same source as the default GEMM, built with
// --enable relaxed-simd, so its multiply-adds are f32x4.relaxed_madd (an FMA
// where the engine has one). Opt-in (init({ fast: true })): its results may
// differ between engines, so the default build stays the deterministic one.
// It imports the main module's memory and keeps its scratch per instance.

export { gemm, gemmScratchBytes, setGemmScratch } from "./gemm";
